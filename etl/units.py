"""Load the administrative units of both schemes, their lineage and the agency registry.

Source: PyPI ``vietnamadminunits`` 1.0.4 (MIT, pinned in pyproject.toml). Its SQLite dataset
holds the legacy 63/696/10,035 units and the 34/3,321 units from 1 July 2025 with GSO codes;
its converter data maps old provinces to new ones and old communes to new communes (whole or
split, with a default new commune for split ones). Nothing here is typed by hand.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import vietnamadminunits
from sqlalchemy import Connection, func, insert, select
from tqdm import tqdm

from data.schema import agency, agency_type, unit, unit_lineage
from data.text import name_key, nfc

PACKAGE = "vietnamadminunits"
PACKAGE_VERSION = "1.0.4"
SOURCE = f"{PACKAGE} {PACKAGE_VERSION}"
_PKG_DIR = Path(vietnamadminunits.__file__).resolve().parent
REFERENCE_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"

LEGACY_END = date(2025, 6, 30)
NEW_START = date(2025, 7, 1)


def _dataset() -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{_PKG_DIR / 'data' / 'dataset.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def _province_kind(full_name: str) -> str:
    return "thành phố" if full_name.startswith("Thành phố") else "tỉnh"


def _kind(value: str | None) -> str:
    return nfc(value).lower() if value else ""


def load_units(conn: Connection, progress: bool = False) -> dict[str, int]:
    """Insert all units of both schemes and the lineage; no-op when already loaded.

    Returns counts per (scheme, level) and lineage rows. ``progress`` shows a bar on stderr.
    """
    existing = conn.execute(select(func.count()).select_from(unit)).scalar_one()
    if existing:
        return unit_counts(conn)
    steps = [
        ("Đơn vị trước 01/07/2025", _insert_legacy),
        ("Đơn vị từ 01/07/2025", _insert_2025),
        ("Liên kết đơn vị cũ - mới", _insert_lineage),
    ]
    ds = _dataset()
    try:
        with tqdm(total=len(steps), desc="Danh mục đơn vị", unit="bước", disable=not progress) as bar:
            for label, step in steps:
                bar.set_postfix_str(label)
                step(conn, ds)
                bar.update()
    finally:
        ds.close()
    return unit_counts(conn)


def unit_counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(unit.c.scheme, unit.c.level, func.count()).group_by(unit.c.scheme, unit.c.level))
    counts = {f"{s}/{lvl}": n for s, lvl, n in rows}
    counts["lineage"] = conn.execute(select(func.count()).select_from(unit_lineage)).scalar_one()
    return counts


def _bulk(conn: Connection, table, rows: list[dict]) -> None:  # noqa: ANN001
    for i in range(0, len(rows), 2000):
        conn.execute(insert(table), rows[i : i + 2000])


def _ids(conn: Connection, scheme: str, level: str) -> dict[str, int]:
    q = select(unit.c.code, unit.c.id).where(unit.c.scheme == scheme, unit.c.level == level)
    return {code: uid for code, uid in conn.execute(q)}


def _insert_legacy(conn: Connection, ds: sqlite3.Connection) -> None:
    rows = ds.execute("SELECT * FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode").fetchall()
    provinces: dict[str, dict] = {}
    districts: dict[str, dict] = {}
    for r in rows:
        provinces.setdefault(
            r["provinceCode"],
            {
                "scheme": "legacy",
                "level": "province",
                "code": r["provinceCode"],
                "name": nfc(r["province"]),
                "short_name": nfc(r["provinceShort"]),
                "kind": _province_kind(nfc(r["province"])),
                "parent_id": None,
                "name_key": name_key(r["provinceShort"]),
                "lat": r["provinceLat"],
                "lon": r["provinceLon"],
            },
        )
        districts.setdefault(
            r["districtCode"],
            {
                "scheme": "legacy",
                "level": "district",
                "code": r["districtCode"],
                "name": nfc(r["district"]),
                "short_name": nfc(r["districtShort"]),
                "kind": _kind(r["districtType"]),
                "parent_code": r["provinceCode"],
                "name_key": name_key(r["districtShort"]),
                "lat": r["districtLat"],
                "lon": r["districtLon"],
            },
        )
    _bulk(conn, unit, list(provinces.values()))
    pid = _ids(conn, "legacy", "province")
    drows = []
    for d in districts.values():
        d = dict(d)
        d["parent_id"] = pid[d.pop("parent_code")]
        drows.append(d)
    _bulk(conn, unit, drows)
    did = _ids(conn, "legacy", "district")
    crows = []
    for r in rows:
        if not r["wardCode"]:
            continue  # island districts without communes (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, ...)
        crows.append(
            {
                "scheme": "legacy",
                "level": "commune",
                "code": r["wardCode"],
                "name": nfc(r["ward"]),
                "short_name": nfc(r["wardShort"]),
                "kind": _kind(r["wardType"]),
                "parent_id": did[r["districtCode"]],
                "name_key": name_key(r["wardShort"]),
                "lat": r["wardLat"],
                "lon": r["wardLon"],
            }
        )
    _bulk(conn, unit, crows)


def _insert_2025(conn: Connection, ds: sqlite3.Connection) -> None:
    rows = ds.execute("SELECT * FROM admin_units ORDER BY provinceCode, wardCode").fetchall()
    provinces: dict[str, dict] = {}
    for r in rows:
        provinces.setdefault(
            r["provinceCode"],
            {
                "scheme": "2025",
                "level": "province",
                "code": r["provinceCode"],
                "name": nfc(r["province"]),
                "short_name": nfc(r["provinceShort"]),
                "kind": _province_kind(nfc(r["province"])),
                "parent_id": None,
                "name_key": name_key(r["provinceShort"]),
                "lat": r["provinceLat"],
                "lon": r["provinceLon"],
            },
        )
    _bulk(conn, unit, list(provinces.values()))
    pid = _ids(conn, "2025", "province")
    crows = [
        {
            "scheme": "2025",
            "level": "commune",
            "code": r["wardCode"],
            "name": nfc(r["ward"]),
            "short_name": nfc(r["wardShort"]),
            "kind": _kind(r["wardType"]),
            "parent_id": pid[r["provinceCode"]],
            "name_key": name_key(r["wardShort"]),
            "lat": r["wardLat"],
            "lon": r["wardLon"],
        }
        for r in rows
    ]
    _bulk(conn, unit, crows)


def _insert_lineage(conn: Connection, ds: sqlite3.Connection) -> None:
    conv = json.loads((_PKG_DIR / "data" / "converter_2025.json").read_text(encoding="utf-8"))
    old_prov = {r[0]: r[1] for r in ds.execute("SELECT DISTINCT provinceKey, provinceCode FROM admin_units_legacy")}
    new_prov = {r[0]: r[1] for r in ds.execute("SELECT DISTINCT provinceKey, provinceCode FROM admin_units")}
    old_comm = {
        f"{r[0]}_{r[1]}_{r[2]}": r[3]
        for r in ds.execute(
            "SELECT provinceKey, districtKey, wardKey, wardCode FROM admin_units_legacy WHERE wardCode IS NOT NULL"
        )
    }
    # Island districts without communes (Hoàng Sa, Bạch Long Vĩ, Côn Đảo, Lý Sơn, Cồn Cỏ) became
    # special zones (đặc khu): the package keys them as "<province>_<district>_".
    old_dist = {
        f"{r[0]}_{r[1]}_": r[2]
        for r in ds.execute("SELECT provinceKey, districtKey, districtCode FROM admin_units_legacy WHERE wardCode IS NULL")
    }
    new_comm = {f"{r[0]}_{r[1]}": r[2] for r in ds.execute("SELECT provinceKey, wardKey, wardCode FROM admin_units")}
    # Fallback for the few keys the package spells differently (e.g. with diacritics left in).
    new_comm_folded = {name_key(k.replace("_", " ")): v for k, v in new_comm.items()}

    op = _ids(conn, "legacy", "province")
    np_ = _ids(conn, "2025", "province")
    oc = _ids(conn, "legacy", "commune")
    od = _ids(conn, "legacy", "district")
    nc = _ids(conn, "2025", "commune")

    rows: dict[tuple[int, int], dict] = {}
    for new_key, old_keys in conv["DICT_PROVINCE"].items():
        for ok in old_keys:
            rows[(op[old_prov[ok]], np_[new_prov[new_key]])] = {
                "old_unit_id": op[old_prov[ok]],
                "new_unit_id": np_[new_prov[new_key]],
                "level": "province",
                "rule": "whole",
                "share": 1.0,
                "is_default": True,
                "source": SOURCE,
            }

    def new_code(prov_key: str, ward_key: str) -> str | None:
        return new_comm.get(f"{prov_key}_{ward_key}") or new_comm_folded.get(name_key(f"{prov_key} {ward_key}"))

    for prov_key, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in wards.items():
            code = new_code(prov_key, ward_key)
            for ok in old_keys:
                if code is None or (ok not in old_comm and ok not in old_dist):
                    continue
                old_id = oc[old_comm[ok]] if ok in old_comm else od[old_dist[ok]]
                key = (old_id, nc[code])
                rows[key] = {
                    "old_unit_id": key[0],
                    "new_unit_id": key[1],
                    "level": "commune" if ok in old_comm else "district",
                    "rule": "whole",
                    "share": 1.0,
                    "is_default": True,
                    "source": SOURCE,
                }
    for prov_key, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for ok, targets in olds.items():
            if ok not in old_comm:
                continue
            for t in targets:
                code = new_code(prov_key, t["newWardKey"])
                if code is None:
                    continue
                key = (oc[old_comm[ok]], nc[code])
                rows[key] = {
                    "old_unit_id": key[0],
                    "new_unit_id": key[1],
                    "level": "commune",
                    "rule": "split",
                    "share": None,  # the package does not say how the old commune was divided
                    "is_default": bool(t["isDefaultNewWard"]),
                    "source": SOURCE + " (split; default new commune takes its figures)",
                }
    _bulk(conn, unit_lineage, list(rows.values()))


# --- agencies -------------------------------------------------------------------------------


def read_agency_types(path: Path | None = None) -> list[dict]:
    path = path or REFERENCE_DIR / "agency_types.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        out = []
        for r in csv.DictReader(fh):
            out.append(
                {
                    "code": r["code"],
                    "name": nfc(r["name"]),
                    "kind": r["kind"],
                    "valid_from": date.fromisoformat(r["valid_from"]) if r["valid_from"] else None,
                    "valid_to": date.fromisoformat(r["valid_to"]) if r["valid_to"] else None,
                    "successor_code": r["successor_code"] or None,
                    "note": r["note"] or None,
                }
            )
        return out


def _overlaps(t: dict, start: date | None, end: date | None) -> bool:
    return (t["valid_to"] is None or start is None or t["valid_to"] >= start) and (
        t["valid_from"] is None or end is None or t["valid_from"] <= end
    )


def load_agencies(conn: Connection, types: Iterable[dict] | None = None) -> int:
    """Insert the agency types and one agency per province and type valid in its scheme."""
    types = list(types or read_agency_types())
    have = {r[0] for r in conn.execute(select(agency_type.c.code))}
    new_types = [t for t in types if t["code"] not in have]
    if new_types:
        _bulk(conn, agency_type, new_types)
    existing = {(u, t) for u, t in conn.execute(select(agency.c.unit_id, agency.c.type_code))}
    provinces = conn.execute(select(unit.c.id, unit.c.scheme).where(unit.c.level == "province")).all()
    rows = []
    for uid, scheme in provinces:
        start, end = (None, LEGACY_END) if scheme == "legacy" else (NEW_START, None)
        for t in types:
            if _overlaps(t, start, end) and (uid, t["code"]) not in existing:
                rows.append({"unit_id": uid, "type_code": t["code"], "name": t["name"], "name_key": name_key(t["name"])})
    _bulk(conn, agency, rows)
    return conn.execute(select(func.count()).select_from(agency)).scalar_one()

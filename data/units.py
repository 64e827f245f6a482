"""Unit and agency registry (read side): look-ups by code or by name, both schemes.

Names are matched on ``data.text.name_key``: insensitive to NFC/NFD, case, the Ð/Đ look-alike
and prefixes such as "UBND huyện", "Xã", "TP.", "Sở".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection, select

from data.schema import agency, agency_type, unit
from data.text import fold, name_key

SCHEME_LABELS = {
    "legacy": "Trước 01/07/2025 (63 tỉnh, 3 cấp)",
    "2025": "Từ 01/07/2025 (34 tỉnh, 2 cấp)",
}
LEVEL_LABELS = {"province": "Tỉnh/thành phố", "district": "Huyện/quận", "commune": "Xã/phường", "department": "Sở, ngành"}
SCHEME_CHANGE = date(2025, 7, 1)

_SCHEME_ALIASES = {
    "legacy": "legacy",
    "old": "legacy",
    "63": "legacy",
    "truoc": "legacy",
    "2025": "2025",
    "new": "2025",
    "34": "2025",
    "sau": "2025",
}


def parse_scheme(text: str) -> str:
    key = fold(text).replace(" ", "")
    if key in _SCHEME_ALIASES:
        return _SCHEME_ALIASES[key]
    raise ValueError(f"Hệ thống đơn vị không hợp lệ: {text!r} (dùng 'legacy' hoặc '2025').")


def scheme_for(day: date) -> str:
    """The scheme in force on ``day``."""
    return "2025" if day >= SCHEME_CHANGE else "legacy"


@dataclass(frozen=True)
class Subject:
    unit_id: int
    agency_id: int | None = None


class Registry:
    """In-memory registry of all units and agencies (about 14,000 + 2,300 rows)."""

    def __init__(self, conn: Connection) -> None:
        self.units = pd.DataFrame(
            conn.execute(
                select(
                    unit.c.id,
                    unit.c.scheme,
                    unit.c.level,
                    unit.c.code,
                    unit.c.name,
                    unit.c.short_name,
                    unit.c.kind,
                    unit.c.parent_id,
                    unit.c.name_key,
                )
            ).mappings().all()
        )
        self.units["parent_id"] = self.units["parent_id"].astype("Int64")
        self.agencies = pd.DataFrame(
            conn.execute(
                select(
                    agency.c.id,
                    agency.c.unit_id,
                    agency.c.type_code,
                    agency.c.name,
                    agency.c.name_key,
                    agency_type.c.kind,
                    agency_type.c.valid_from,
                    agency_type.c.valid_to,
                ).join(agency_type, agency_type.c.code == agency.c.type_code)
            ).mappings().all()
        )
        self._by_id = self.units.set_index("id")
        self._by_code = {(r.scheme, r.level, r.code): r.id for r in self.units.itertuples()}
        self._by_key: dict[tuple, list[int]] = {}
        for r in self.units.itertuples():
            self._by_key.setdefault((r.scheme, r.level, r.name_key), []).append(r.id)
        self._agency_by_key: dict[tuple[int, str], int] = {}
        for r in self.agencies.itertuples():
            self._agency_by_key[(r.unit_id, r.name_key)] = r.id
            self._agency_by_key[(r.unit_id, fold(r.type_code))] = r.id

    # -- units --------------------------------------------------------------------------
    def unit(self, unit_id: int) -> pd.Series:
        return self._by_id.loc[unit_id]

    def by_code(self, scheme: str, level: str, code: str) -> int | None:
        code = str(code).strip()
        if code.isdigit():
            width = {"province": 2, "district": 3, "commune": 5}[level]
            code = code.zfill(width)
        return self._by_code.get((scheme, level, code))

    def match_name(self, scheme: str, level: str, text: str, parent_id: int | None = None) -> list[int]:
        """All units of ``level`` in ``scheme`` whose name matches ``text`` (within ``parent_id``,
        which may be a province for communes of the legacy scheme)."""
        ids = self._by_key.get((scheme, level, name_key(text)), [])
        if parent_id is None:
            return list(ids)
        return [i for i in ids if self.is_within(i, parent_id)]

    def is_within(self, unit_id: int, ancestor_id: int) -> bool:
        current: int | None = unit_id
        while current is not None:
            if current == ancestor_id:
                return True
            parent = self._by_id.at[current, "parent_id"]
            current = None if pd.isna(parent) else int(parent)
        return False

    def children(self, unit_id: int, level: str | None = None) -> pd.DataFrame:
        """Direct children, or all descendants at ``level``."""
        if level is None:
            return self.units[self.units["parent_id"] == unit_id]
        u = self._by_id.loc[unit_id]
        cand = self.units[(self.units["scheme"] == u["scheme"]) & (self.units["level"] == level)]
        return cand[[self.is_within(i, unit_id) for i in cand["id"]]]

    def province_of(self, unit_id: int) -> int:
        current = unit_id
        while True:
            parent = self._by_id.at[current, "parent_id"]
            if pd.isna(parent):
                return current
            current = int(parent)

    def search(self, text: str, scheme: str | None = None, limit: int = 20) -> pd.DataFrame:
        """Accent-insensitive search for the UI ("dien bien" finds Điện Biên)."""
        q = fold(text)
        df = self.units if scheme is None else self.units[self.units["scheme"] == scheme]
        hits = df[df["name"].map(fold).str.contains(q, regex=False)]
        order = {"province": 0, "district": 1, "commune": 2}
        return hits.sort_values(by=["level", "name"], key=lambda s: s.map(order) if s.name == "level" else s).head(
            limit
        )

    # -- agencies -----------------------------------------------------------------------
    def match_agency(self, province_id: int, text: str) -> int | None:
        """An agency of a province by name ("Sở Nội vụ", "SỞ NỘI VỤ", "Nội vụ") or type code."""
        return self._agency_by_key.get((province_id, name_key(text))) or self._agency_by_key.get(
            (province_id, fold(text))
        )


# --- the unit tree as frames (builder and read side) ---------------------------------------


def unit_tree(conn: Connection) -> pd.DataFrame:
    """All units indexed by id: scheme, level, code, name, short_name, parent_id, and their
    province_id and district_id (the unit itself where it is one); about 14,000 rows."""
    df = pd.DataFrame(conn.execute(select(unit.c.id, unit.c.scheme, unit.c.level, unit.c.code, unit.c.name,
                                          unit.c.short_name, unit.c.parent_id)).all(),
                      columns=["id", "scheme", "level", "code", "name", "short_name", "parent_id"])
    if df.empty:
        return df.assign(province_id=pd.Series(dtype="Int64"), district_id=pd.Series(dtype="Int64"))
    parent = df.set_index("id")["parent_id"]
    level = df.set_index("id")["level"]
    df["province_id"] = df["id"].where(df["level"] == "province")
    df["district_id"] = df["id"].where(df["level"] == "district")
    p1 = df["parent_id"]
    p1_level = p1.map(level)
    df.loc[p1_level == "province", "province_id"] = p1[p1_level == "province"]
    df.loc[p1_level == "district", "district_id"] = p1[p1_level == "district"]
    p2 = p1.map(parent)
    mask = (p1_level == "district") & p2.notna()
    df.loc[mask, "province_id"] = p2[mask]
    for col in ("province_id", "district_id", "parent_id"):
        df[col] = df[col].astype("Int64")
    return df.set_index("id", drop=False)


def agency_frame(conn: Connection) -> pd.DataFrame:
    """Agencies indexed by id: unit_id (their province), type_code, name, kind, valid_from/to."""
    df = pd.DataFrame(conn.execute(
        select(agency.c.id, agency.c.unit_id, agency.c.type_code, agency.c.name, agency_type.c.kind,
               agency_type.c.valid_from, agency_type.c.valid_to)
        .join(agency_type, agency_type.c.code == agency.c.type_code)).all(),
        columns=["id", "unit_id", "type_code", "name", "kind", "valid_from", "valid_to"])
    return df.set_index("id", drop=False)


def lineage_frame(conn: Connection) -> pd.DataFrame:
    """The default lineage rows (old unit -> the new unit that takes its figures): old, new, level."""
    from data.schema import unit_lineage

    return pd.DataFrame(conn.execute(
        select(unit_lineage.c.old_unit_id, unit_lineage.c.new_unit_id, unit_lineage.c.level)
        .where(unit_lineage.c.is_default.is_(True))).all(), columns=["old", "new", "level"])

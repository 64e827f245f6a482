"""``python -m etl demo``: deterministic, realistic monthly sample data ("Dữ liệu minh họa").

Subjects: for each selected legacy province, its agencies, its districts (the district
People's Committee's own dossiers) and its communes, monthly 2019-01 .. 2025-06; for the 2025
provinces they map to, their agencies and communes, 2025-07 .. the last full month.

Calibrated on the seed documents: postal intake about 8 % (Quảng Trị 8,39 %), postal return
about 30 % (31,9 %), online intake rising from a few percent in 2019 towards 50 %, overdue
rates from near 0 to over 80 % across units (Điện Biên Phủ 81,9 %), about half the communes
without any online dossier in early 2020 (Điện Biên 66/129), procedure offers at province
scale like Điện Biên's 1.785 / 243 / 86 (levels 2/3/4) in early 2020.

Every row satisfies the Biểu 06 identities (received = carried + online + direct/postal =
settled + pending; settled = early + on time + overdue; pending = within + overdue) and the
stock chain (carried over = previous month's pending). Everything goes into one 'demo' batch.
"""

from __future__ import annotations

import sys
import zlib
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, select

from data import periods as P
from data.schema import (
    DOSSIER_COUNTS,
    OFFER_COUNTS,
    agency,
    agency_type,
    dossier_stat,
    postal_agreement,
    procedure_offer,
    unit,
    unit_lineage,
)
from data.store import bulk_insert
from etl.store import PeriodCache, close_batch, open_batch, sha256_bytes

GENERATOR_VERSION = "demo-1"
LEGACY_FIRST = date(2019, 1, 1)
LEGACY_LAST = date(2025, 6, 30)
NEW_FIRST = date(2025, 7, 1)
SEED_PROVINCES = ("45", "24", "11", "64", "12")  # Quảng Trị, Bắc Giang, Điện Biên, Gia Lai, Lai Châu
SEASON = np.array([0.85, 0.70, 1.05, 1.00, 1.02, 1.00, 0.98, 1.00, 1.02, 1.05, 1.08, 1.15])
CHUNK = 20000


@dataclass
class Subjects:
    """Parallel arrays describing the reporting subjects of one scheme."""

    unit_id: np.ndarray
    agency_id: np.ndarray  # -1 = none
    kind: np.ndarray  # 'agency' | 'district' | 'commune'
    province_id: np.ndarray
    valid_from: np.ndarray  # month index (inclusive)
    valid_to: np.ndarray  # month index (inclusive)


def last_full_month(today: date | None = None) -> date:
    today = today or date.today()
    first = date(today.year, today.month, 1)
    return P.month(first.year - (first.month == 1), 12 if first.month == 1 else first.month - 1).end


def _parse_until(until: str | None) -> date:
    if until is None:
        return last_full_month()
    per = P.parse_spec(until)
    if per.kind != "month":
        raise ValueError(f"--until phải là một tháng dạng YYYY-MM, không phải {until!r}.")
    return per.end


def select_provinces(conn: Connection, provinces: str) -> tuple[list[int], list[int]]:
    """(legacy province ids, 2025 province ids) for a selection."""
    rows = conn.execute(
        select(unit.c.id, unit.c.code, unit.c.scheme).where(unit.c.level == "province")
    ).all()
    legacy = {code: uid for uid, code, scheme in rows if scheme == "legacy"}
    lin = conn.execute(
        select(unit_lineage.c.old_unit_id, unit_lineage.c.new_unit_id).where(unit_lineage.c.level == "province")
    ).all()
    old_to_new = dict(lin)
    new_to_old: dict[int, list[int]] = {}
    for o, n in lin:
        new_to_old.setdefault(n, []).append(o)
    sel = provinces.strip().lower()
    if sel == "all":
        old_ids = list(legacy.values())
    elif sel == "default":
        seeds = [legacy[c] for c in SEED_PROVINCES]
        old_ids = sorted({o for s in seeds for o in new_to_old[old_to_new[s]]})
    else:
        codes = [c.strip().zfill(2) for c in sel.split(",") if c.strip()]
        bad = [c for c in codes if c not in legacy]
        if bad or not codes:
            raise ValueError(
                f"Mã tỉnh (trước 01/07/2025) không hợp lệ: {', '.join(bad) or provinces!r}. "
                "Dùng 'default', 'all' hoặc danh sách mã như 11,12,45."
            )
        old_ids = sorted(legacy[c] for c in codes)
    new_ids = sorted({old_to_new[o] for o in old_ids})
    return sorted(old_ids), new_ids


def _month_index(d: date, first: date) -> int:
    return (d.year - first.year) * 12 + d.month - first.month


def _subjects(conn: Connection, scheme: str, province_ids: list[int], first: date, last: date) -> Subjects:
    n_months = _month_index(last, first) + 1
    ag = conn.execute(
        select(agency.c.id, agency.c.unit_id, agency_type.c.valid_from, agency_type.c.valid_to)
        .join(agency_type, agency_type.c.code == agency.c.type_code)
        .where(agency.c.unit_id.in_(province_ids))
        .order_by(agency.c.id)
    ).all()
    units = pd.DataFrame(
        conn.execute(
            select(unit.c.id, unit.c.level, unit.c.parent_id).where(unit.c.scheme == scheme).order_by(unit.c.id)
        ).all(),
        columns=["id", "level", "parent_id"],
    )
    dist = units[(units["level"] == "district") & units["parent_id"].isin(province_ids)]
    comm = units[units["level"] == "commune"]
    parent_prov = dict(zip(dist["id"], dist["parent_id"], strict=True))
    if scheme == "legacy":
        comm = comm[comm["parent_id"].isin(dist["id"])]
        comm_prov = comm["parent_id"].map(parent_prov).to_numpy()
    else:
        comm = comm[comm["parent_id"].isin(province_ids)]
        comm_prov = comm["parent_id"].to_numpy()

    def idx(d: date | None, default: int) -> int:
        return default if d is None else max(0, min(n_months - 1, _month_index(d, first)))

    # an agency created after the last month never reports (its month index lies past the end)
    a_from = [n_months if vf is not None and vf > last else (idx(vf, 0) if vf is None or vf >= first else 0)
              for _, _, vf, _ in ag]
    a_to = [n_months - 1 if vt is None else (_month_index(vt, first) if vt >= first else -1) for *_, vt in ag]
    n_a, n_d, n_c = len(ag), len(dist), len(comm)
    return Subjects(
        unit_id=np.concatenate([[u for _, u, _, _ in ag], dist["id"], comm["id"]]).astype(np.int64),
        agency_id=np.concatenate([[a for a, *_ in ag], -np.ones(n_d + n_c)]).astype(np.int64),
        kind=np.array(["agency"] * n_a + ["district"] * n_d + ["commune"] * n_c),
        province_id=np.concatenate([[u for _, u, _, _ in ag], dist["parent_id"], comm_prov]).astype(np.int64),
        valid_from=np.concatenate([a_from, np.zeros(n_d + n_c)]).astype(int),
        valid_to=np.concatenate([a_to, np.full(n_d + n_c, n_months - 1)]).astype(int),
    )


def _traits(rng: np.random.Generator, s: Subjects, scheme: str) -> dict[str, np.ndarray]:
    n = len(s.unit_id)
    is_a, is_d, is_c = s.kind == "agency", s.kind == "district", s.kind == "commune"
    provinces = np.unique(s.province_id)
    prov_digital = dict(zip(provinces, rng.normal(0, 0.5, len(provinces)), strict=True))
    prov_postal = dict(zip(provinces, rng.lognormal(0, 0.35, len(provinces)), strict=True))
    size = np.where(is_a, rng.lognormal(np.log(180), 1.0, n), np.where(is_d, rng.lognormal(np.log(450), 0.6, n),
                    rng.lognormal(np.log(45 if scheme == "legacy" else 140), 0.8, n)))
    # Online adoption: agencies first, then districts, communes last (about half start after 2020).
    start = np.where(is_a, rng.normal(6, 10, n), np.where(is_d, rng.normal(12, 10, n), rng.normal(22, 14, n)))
    # Timeliness: most units settle on time; a tail of weak units (up to > 80 % overdue).
    weak = rng.random(n) < 0.07
    overdue = np.where(weak, rng.uniform(0.45, 0.92, n), rng.beta(0.7, 9, n))
    return {
        "size": size,
        "digital": np.array([prov_digital[p] for p in s.province_id]) + rng.normal(0, 0.6, n),
        "start": start,
        "postal": np.clip(0.095 * np.array([prov_postal[p] for p in s.province_id]) * rng.lognormal(0, 0.5, n),
                          0, 0.6),
        "ret_postal": np.clip(rng.normal(0.32, 0.12, n), 0.02, 0.85),
        "overdue": overdue,
        "settle": np.clip(rng.normal(0.86, 0.05, n), 0.6, 0.98),
        "is_c": is_c,
    }


def _online_share(t_years: float, digital: np.ndarray) -> np.ndarray:
    """Logistic adoption: about 3 % in 2019, about 50 % in 2025-2026."""
    return 1 / (1 + np.exp(-(-3.4 + 0.55 * t_years + digital)))


def _simulate(rng: np.random.Generator, s: Subjects, tr: dict, months: list[P.Period]) -> dict[str, np.ndarray]:
    """Monthly counts for all subjects; returns flat arrays (subject index, month index, columns)."""
    n = len(s.unit_id)
    carried = rng.poisson(tr["size"] * 0.1)
    out = {k: [] for k in ("subj", "month", *DOSSIER_COUNTS)}
    for j, per in enumerate(months):
        active = (s.valid_from <= j) & (j <= s.valid_to)
        start_now = active & (s.valid_from == j) & (j > 0)
        carried = np.where(start_now, rng.poisson(tr["size"] * 0.1), carried)
        t = (per.start.year - 2019) + (per.start.month - 1) / 12
        trend = 1 + 0.03 * t
        new = rng.poisson(tr["size"] * SEASON[per.start.month - 1] * trend * rng.gamma(20, 1 / 20, n))
        months_since_2019 = _month_index(per.start, LEGACY_FIRST)
        adopted = months_since_2019 >= tr["start"]
        share = np.where(adopted, _online_share(t, tr["digital"]), 0.0)
        online = rng.binomial(new, share)
        rest = new - online
        postal = rng.binomial(rest, tr["postal"])
        available = carried + new
        settled = rng.binomial(available, tr["settle"])
        pending = available - settled
        q = np.clip(tr["overdue"] * rng.lognormal(0, 0.15, n), 0, 0.97)
        s_over = rng.binomial(settled, q)
        early = rng.binomial(settled - s_over, 0.35)
        on_time = settled - s_over - early
        p_over = rng.binomial(pending, np.clip(q * 1.2, 0, 0.98))
        ret_postal = rng.binomial(settled, tr["ret_postal"])
        cols = {
            "received_total": available, "received_carried": carried, "received_new": None,
            "received_online": online, "received_direct_postal": rest, "received_postal": postal,
            "settled_total": settled, "settled_early": early, "settled_on_time": on_time,
            "settled_overdue": s_over, "pending_total": pending, "pending_within": pending - p_over,
            "pending_overdue": p_over, "overdue_total": None, "returned_total": settled,
            "returned_postal": ret_postal,
        }
        idx = np.flatnonzero(active)
        out["subj"].append(idx)
        out["month"].append(np.full(len(idx), j))
        for k, v in cols.items():
            out[k].append(None if v is None else v[idx])
        carried = pending
    return {k: (np.concatenate(v) if v[0] is not None else None) for k, v in out.items()}


def _offers(rng: np.random.Generator, s: Subjects, tr: dict, quarters: list[P.Period],
            first: date) -> pd.DataFrame:
    """Quarterly procedure offer per subject: levels 2/3/4 to 2022, partial/full-process after."""
    n = len(s.unit_id)
    base = np.where(s.kind == "agency", rng.integers(40, 160, n),
                    np.where(s.kind == "district", rng.integers(100, 135, n), rng.integers(95, 125, n)))
    frames = []
    for per in quarters:
        t = (per.start.year - 2019) + (per.start.month - 1) / 12
        j0 = _month_index(per.start, first)
        active = (s.valid_from <= j0 + 2) & (j0 <= s.valid_to)
        idx = np.flatnonzero(active)
        total = base[idx]
        online = np.clip(0.10 + 0.115 * t + 0.05 * tr["digital"][idx], 0.05, 0.97)
        o = np.round(total * online).astype(int)
        f = np.round(total * np.clip(online * (0.25 + 0.05 * t), 0, online)).astype(int)
        df = pd.DataFrame({"i": idx, "procedures_total": total,
                           "bcci_published": np.round(total * np.clip(0.55 + 0.06 * t, 0.3, 0.98)).astype(int)})
        if per.start.year <= 2022:
            df["online_level2"], df["online_level3"], df["online_level4"] = total - o, o - f, f
        else:
            df["online_partial"], df["online_full"] = o - f, f
        df["period"] = per
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def run_demo(engine: Engine, provinces: str = "default", seed: int = 2025, until: str | None = None) -> int:
    """Generate the demo data set as one batch; identical input -> nothing changes."""
    last = _parse_until(until)
    name = f"demo:{provinces}:seed{seed}:{last:%Y-%m}"
    with engine.begin() as conn:
        old_ids, new_ids = select_provinces(conn, provinces)
        batch_id, replaced, covered = open_batch(
            conn, kind="demo", dataset="demo", file_name=name,
            sha256=sha256_bytes(f"{name}:{GENERATOR_VERSION}".encode()), rows=0,
            note="Dữ liệu minh họa, sinh tự động (không phải số liệu thật)",
        )
        if batch_id is None:
            print(f"{name}: dữ liệu minh họa này đã có, không thay đổi.", file=sys.stderr)
            return 0
        rng = np.random.default_rng([seed, zlib.crc32(provinces.encode())])
        periods = PeriodCache(conn)
        total = 0
        plan = [("legacy", old_ids, LEGACY_FIRST, min(LEGACY_LAST, last))]
        if last >= NEW_FIRST:
            plan.append(("2025", new_ids, NEW_FIRST, last))
        for scheme, prov_ids, first, end in plan:
            if end < first:
                continue
            total += _generate_scheme(conn, rng, batch_id, periods, scheme, prov_ids, first, end)
        from sqlalchemy import update

        from data.schema import load_batch

        conn.execute(update(load_batch).where(load_batch.c.id == batch_id).values(rows=total))
        close_batch(conn, batch_id, covered, whole=provinces.strip().lower() == "all", progress=True)
    print(f"{name}: đã sinh {total:,} dòng dữ liệu minh họa".replace(",", ".")
          + (f" (thay thế lô {replaced})" if replaced else "") + ".", file=sys.stderr)
    return 0


def _generate_scheme(conn: Connection, rng: np.random.Generator, batch_id: int, periods: PeriodCache,
                     scheme: str, prov_ids: list[int], first: date, end: date) -> int:
    months = P.months_between(first, end)
    subj = _subjects(conn, scheme, prov_ids, first, end)
    tr = _traits(rng, subj, scheme)
    label = "trước 01/07/2025" if scheme == "legacy" else "từ 01/07/2025"
    sim = _simulate(rng, subj, tr, months)
    month_pid = np.array([periods.id_for(p) for p in months])
    ref = f"demo:{GENERATOR_VERSION}"
    n = len(sim["subj"])
    agency_ids = subj.agency_id[sim["subj"]]
    columns = ["batch_id", "source_ref", "unit_id", "agency_id", "scope", "period_id", *DOSSIER_COUNTS]
    data = {
        "batch_id": np.full(n, batch_id), "source_ref": np.full(n, ref, dtype=object),
        "unit_id": subj.unit_id[sim["subj"]],
        "agency_id": pd.array(np.where(agency_ids < 0, 0, agency_ids), dtype="Int64"),
        "scope": np.full(n, "own", dtype=object), "period_id": month_pid[sim["month"]],
    }
    data["agency_id"][agency_ids < 0] = pd.NA
    for c in DOSSIER_COUNTS:
        data[c] = sim[c] if sim[c] is not None else np.full(n, None, dtype=object)
    frame = pd.DataFrame(data, columns=columns)
    bulk_insert(conn, dossier_stat, frame, f"Hồ sơ {label}")

    quarters = sorted({(p.start.year, (p.start.month - 1) // 3 + 1) for p in months})
    qpers = [P.quarter(y, q) for y, q in quarters]
    of = _offers(rng, subj, tr, qpers, first)
    if not of.empty:
        of["batch_id"], of["source_ref"], of["scope"] = batch_id, ref, "own"
        of["unit_id"] = subj.unit_id[of["i"]]
        ag = subj.agency_id[of["i"]]
        of["agency_id"] = pd.array(np.where(ag < 0, 0, ag), dtype="Int64")
        of.loc[ag < 0, "agency_id"] = pd.NA
        of["period_id"] = [periods.id_for(p) for p in of["period"]]
        # The province's own catalogue (distinct procedures), as Điện Biên's portal counts them.
        prov = _province_catalogue(subj, of, batch_id, ref)
        prov = prov.dropna(axis=1, how="all")
        of = pd.concat([of, prov], ignore_index=True)
        for c in OFFER_COUNTS:
            of[c] = pd.to_numeric(of[c], errors="coerce").round().astype("Int64") if c in of else pd.NA
        cols = ["batch_id", "source_ref", "unit_id", "agency_id", "scope", "period_id", *OFFER_COUNTS]
        bulk_insert(conn, procedure_offer, of[cols], f"TTHC {label}")

    # Postal cooperation agreements: most agencies and district PPCs sign in 2017-2021.
    cand = np.flatnonzero(subj.kind != "commune")
    signs = rng.random(len(cand)) < 0.88
    days = rng.integers(0, (date(2021, 12, 31) - date(2017, 1, 1)).days, len(cand))
    agr = pd.DataFrame({
        "batch_id": batch_id, "source_ref": ref, "unit_id": subj.unit_id[cand][signs],
        "agency_id": pd.array(np.where(subj.agency_id[cand][signs] < 0, 0, subj.agency_id[cand][signs]),
                              dtype="Int64"),
        "signed_on": [date.fromordinal(date(2017, 1, 1).toordinal() + int(d)) for d in days[signs]],
    })
    agr.loc[subj.agency_id[cand][signs] < 0, "agency_id"] = pd.NA
    if scheme == "2025":
        agr["signed_on"] = [max(d, date(2025, 7, 1)) for d in agr["signed_on"]]
    bulk_insert(conn, postal_agreement, agr, f"Thỏa thuận BCCI {label}")
    return len(frame) + len(of) + len(agr)


def _province_catalogue(subj: Subjects, of: pd.DataFrame, batch_id: int, ref: str) -> pd.DataFrame:
    of = of.assign(province_id=subj.province_id[of["i"]], kind=subj.kind[of["i"]])
    cols = [c for c in OFFER_COUNTS if c in of]
    agencies = of[of["kind"] == "agency"].groupby(["province_id", "period_id"])[cols].sum(min_count=1)
    # district and commune catalogues: one typical unit each (they share the same procedures)
    lower = of[of["kind"] != "agency"].groupby(["province_id", "period_id", "kind"])[cols].median()
    lower = lower.round().groupby(["province_id", "period_id"]).sum(min_count=1)
    prov = agencies.add(lower, fill_value=0).reset_index()
    prov["unit_id"], prov["agency_id"], prov["scope"] = prov["province_id"], pd.NA, "total"
    prov["batch_id"], prov["source_ref"] = batch_id, ref
    return prov.drop(columns=["province_id"])

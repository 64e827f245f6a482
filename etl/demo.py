"""``python -m etl demo``: deterministic, realistic monthly sample data ("Dữ liệu minh họa").

Subjects (who reports): for each selected legacy province its agencies, its districts (the
district People's Committee's own dossiers) and its communes, monthly 2019-01 .. 2025-06; for
the 2025 provinces they form, their agencies and communes, 2025-07 .. the last full month.

One process per unit through the changes. Behind the subjects are *strands*, one latent process
per legacy subject (its size, channel shares, timeliness, its stock of pending dossiers),
simulated month by month from 2019 to the end; a subject's row of a month is the sum of the
strands reporting to it that month, and a strand's pending dossiers go with it. So:
- from 1/3/2025 an agency merged into another (Sở Kế hoạch và Đầu tư into Sở Tài chính ...)
  reports under its successor (``agency_type.successor_code``);
- from 1/7/2025 an old agency reports under the agency of the same type of its new province, an
  old commune under its default new commune (``unit_lineage``), an island district under its
  special zone, and the other district People's Committees under the new province's public
  administration service centre (Trung tâm Phục vụ hành chính công), which takes their dossiers.
A merged province's first months are the sum of its old parts (its rates their weighted
combination), an unchanged province simply goes on, and growth and noise continue as before.
A unit nothing flows into (no lineage) gets a process of its own from its first month. When a
selection holds only some parts of a merged province, its 2025 figures are the sum of those parts.

Calibrated on the seed documents: postal intake about 8 % (Quảng Trị 8,39 %), postal return
about 30 % (31,9 %), online intake rising from a few percent in 2019 towards 50 %, overdue
rates from near 0 to over 80 % across units (Điện Biên Phủ 81,9 %), about half the communes
without any online dossier in early 2020 (Điện Biên 66/129), procedure offers at province
scale like Điện Biên's 1.785 / 243 / 86 (levels 2/3/4) in early 2020.

Every row satisfies the Biểu 06 identities (received = carried + online + direct/postal =
settled + pending; settled = early + on time + overdue; pending = within + overdue) and the
stock chain (carried over = previous month's pending; where units merge, the sum of the merged
units' pending). Everything goes into one 'demo' batch.
"""

from __future__ import annotations

import sys
import zlib
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, select, update

from data import periods as P
from data.schema import (
    DOSSIER_COUNTS,
    OFFER_COUNTS,
    agency,
    agency_type,
    dossier_stat,
    load_batch,
    postal_agreement,
    procedure_offer,
    unit,
    unit_lineage,
)
from data.store import bulk_insert
from etl import demo_scores
from etl.store import PeriodCache, close_batch, open_batch, sha256_bytes

GENERATOR_VERSION = "demo-3"  # demo-2: one process per unit through the changes; demo-3: Chỉ số 766 scores
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
    type_code: np.ndarray  # agency type ('' for units)
    successor: np.ndarray  # the agency type that takes over an ended agency ('' none)


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
        select(agency.c.id, agency.c.unit_id, agency_type.c.valid_from, agency_type.c.valid_to, agency.c.type_code,
               agency_type.c.successor_code)
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
              for _, _, vf, *_ in ag]
    a_to = [n_months - 1 if vt is None else (_month_index(vt, first) if vt >= first else -1) for _, _, _, vt, *_ in ag]
    n_a, n_d, n_c = len(ag), len(dist), len(comm)
    return Subjects(
        unit_id=np.concatenate([[r[1] for r in ag], dist["id"], comm["id"]]).astype(np.int64),
        agency_id=np.concatenate([[r[0] for r in ag], -np.ones(n_d + n_c)]).astype(np.int64),
        kind=np.array(["agency"] * n_a + ["district"] * n_d + ["commune"] * n_c),
        province_id=np.concatenate([[r[1] for r in ag], dist["parent_id"], comm_prov]).astype(np.int64),
        valid_from=np.concatenate([a_from, np.zeros(n_d + n_c)]).astype(int),
        valid_to=np.concatenate([a_to, np.full(n_d + n_c, n_months - 1)]).astype(int),
        type_code=np.array([r[4] for r in ag] + [""] * (n_d + n_c), dtype=object),
        successor=np.array([r[5] or "" for r in ag] + [""] * (n_d + n_c), dtype=object),
    )


def _concat(a: Subjects, b: Subjects) -> Subjects:
    return Subjects(**{f: np.concatenate([getattr(a, f), getattr(b, f)]) for f in a.__dataclass_fields__})


def _none() -> Subjects:
    z = np.zeros(0, dtype=np.int64)
    return Subjects(z, z, np.array([], dtype="<U8"), z, z, z, np.array([], dtype=object), np.array([], dtype=object))


@dataclass
class Strands:
    """The latent processes and whom each reports to, month by month (subject index, -1 none)."""

    rep: np.ndarray  # (strands, months)
    kind: np.ndarray  # the kind of unit the strand began as
    province_id: np.ndarray  # the province it began in (for province-wide traits)
    new_unit: np.ndarray  # bool: began as a 2025 unit (sized like one)


def _strands(conn: Connection, leg: Subjects, new: Subjects, n_months: int) -> Strands:
    """A strand per legacy subject (an agency that only takes over merged ones, such as Sở Nông
    nghiệp và Môi trường from 1/3/2025, has none of its own), traced through the agency merges
    and the lineage to 1/7/2025; a strand of its own for every subject nothing flows into."""
    n_leg, j_new = len(leg.unit_id), _month_index(NEW_FIRST, LEGACY_FIRST)
    by_type = {(p, t): i for i, (p, t) in enumerate(zip(leg.province_id, leg.type_code, strict=True)) if t}
    succ = np.array([by_type.get((p, s), -1) if s else -1
                     for p, s in zip(leg.province_id, leg.successor, strict=True)], dtype=np.int64)
    taken_over = {(p, s) for p, s in zip(leg.province_id, leg.successor, strict=True) if s}
    own = (leg.valid_from == 0) | ~np.array([(p, t) in taken_over
                                            for p, t in zip(leg.province_id, leg.type_code, strict=True)], dtype=bool)
    start = np.flatnonzero(own)
    n_leg_m = min(n_months, j_new)
    months = np.arange(n_leg_m)

    def valid(r: np.ndarray) -> np.ndarray:
        safe = np.where(r >= 0, r, 0)
        return (r >= 0) & (leg.valid_from[safe] <= months) & (months <= leg.valid_to[safe])

    r = np.repeat(start[:, None], n_leg_m, axis=1)
    for _ in range(3):  # an ended agency reports under its successor (chains are short)
        r = np.where(~valid(r) & (r >= 0), succ[np.where(r >= 0, r, 0)], r)
    r = np.where(valid(r), r, -1)
    rep = np.full((len(start), n_months), -1, dtype=np.int64)
    rep[:, :n_leg_m] = r
    kind, prov, new_unit = leg.kind[start], leg.province_id[start], np.zeros(len(start), dtype=bool)
    if n_months > j_new and len(new.unit_id):
        dest = _destinations(conn, leg, new, r[:, -1])
        rep[:, j_new:] = np.where(dest >= 0, dest + n_leg, -1)[:, None]
        fed = np.zeros(len(new.unit_id), dtype=bool)
        fed[dest[dest >= 0]] = True
        lone = np.flatnonzero(~fed)  # 2025 units without lineage: a process of their own
        extra = np.full((len(lone), n_months), -1, dtype=np.int64)
        extra[:, j_new:] = (lone + n_leg)[:, None]
        rep = np.vstack([rep, extra])
        kind = np.concatenate([kind, new.kind[lone]])
        prov = np.concatenate([prov, new.province_id[lone]])
        new_unit = np.concatenate([new_unit, np.ones(len(lone), dtype=bool)])
    return Strands(rep, kind, prov, new_unit)


def _destinations(conn: Connection, leg: Subjects, new: Subjects, june: np.ndarray) -> np.ndarray:
    """For each strand, by the legacy subject it reports to in June 2025 (``june``), the 2025
    subject it reports to from July: the agency of the same type of the new province, the default
    new commune of an old commune (or special zone of an island district); the new province's
    public administration service centre takes the other district People's Committees' dossiers."""
    lin = dict(conn.execute(select(unit_lineage.c.old_unit_id, unit_lineage.c.new_unit_id)
                            .where(unit_lineage.c.is_default.is_(True))).all())
    new_commune = {int(u): i for i, (u, k) in enumerate(zip(new.unit_id, new.kind, strict=True)) if k == "commune"}
    new_agency = {(int(p), t): i for i, (p, t) in enumerate(zip(new.province_id, new.type_code, strict=True)) if t}
    out = np.full(len(june), -1, dtype=np.int64)
    for a, s in enumerate(june):
        if s < 0:
            continue
        province = lin.get(int(leg.province_id[s]))
        kind = leg.kind[s]
        target = new_commune.get(lin.get(int(leg.unit_id[s]), -1)) if kind != "agency" else \
            new_agency.get((province, leg.type_code[s]))
        for fallback in ("TTPVHCC", "VP"):
            if target is None:
                target = new_agency.get((province, fallback))
        out[a] = -1 if target is None else target
    return out


def _traits(rng: np.random.Generator, st: Strands) -> dict[str, np.ndarray]:
    n = len(st.kind)
    is_a, is_d = st.kind == "agency", st.kind == "district"
    provinces = np.unique(st.province_id)
    prov_digital = dict(zip(provinces, rng.normal(0, 0.5, len(provinces)), strict=True))
    prov_postal = dict(zip(provinces, rng.lognormal(0, 0.35, len(provinces)), strict=True))
    size = np.where(is_a, rng.lognormal(np.log(180), 1.0, n), np.where(is_d, rng.lognormal(np.log(450), 0.6, n),
                    rng.lognormal(np.log(np.where(st.new_unit, 140, 45)), 0.8, n)))
    # Online adoption: agencies first, then districts, communes last (about half start after 2020).
    start = np.where(is_a, rng.normal(6, 10, n), np.where(is_d, rng.normal(12, 10, n), rng.normal(22, 14, n)))
    # Timeliness: most units settle on time; a tail of weak units (up to > 80 % overdue).
    weak = rng.random(n) < 0.07
    overdue = np.where(weak, rng.uniform(0.45, 0.92, n), rng.beta(0.7, 9, n))
    return {
        "size": size,
        "digital": np.array([prov_digital[p] for p in st.province_id]) + rng.normal(0, 0.6, n),
        "start": start,
        "postal": np.clip(0.095 * np.array([prov_postal[p] for p in st.province_id]) * rng.lognormal(0, 0.5, n),
                          0, 0.6),
        "ret_postal": np.clip(rng.normal(0.32, 0.12, n), 0.02, 0.85),
        "overdue": overdue,
        "settle": np.clip(rng.normal(0.86, 0.05, n), 0.6, 0.98),
        # the procedure catalogue a unit of this kind offers
        "catalogue": np.where(is_a, rng.integers(40, 160, n), np.where(is_d, rng.integers(100, 135, n),
                                                                      rng.integers(95, 125, n))).astype(float),
    }


def _online_share(t_years: float, digital: np.ndarray) -> np.ndarray:
    """Logistic adoption: about 3 % in 2019, about 50 % in 2025-2026."""
    return 1 / (1 + np.exp(-(-3.4 + 0.55 * t_years + digital)))


def _simulate(rng: np.random.Generator, rep: np.ndarray, tr: dict, months: list[P.Period]) -> dict[str, np.ndarray]:
    """Monthly counts of every strand, summed per subject it reports to; flat arrays (subject
    index, month index, columns). A strand's pending dossiers are carried into its next month
    whoever it reports to then, so stocks pass on when units merge."""
    n = rep.shape[0]
    carried = rng.poisson(tr["size"] * 0.1)
    started = np.zeros(n, dtype=bool)
    out = {k: [] for k in ("subj", "month", *DOSSIER_COUNTS)}
    for j, per in enumerate(months):
        to = rep[:, j]
        active = to >= 0
        start_now = active & ~started & (j > 0)
        carried = np.where(start_now, rng.poisson(tr["size"] * 0.1), carried)
        started |= active
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
            "returned_postal": ret_postal, "in_time_total": None,
        }
        idx = np.flatnonzero(active)
        idx = idx[np.argsort(to[idx], kind="stable")]
        keys = to[idx]
        first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, dtype=np.int64)
        out["subj"].append(keys[first])
        out["month"].append(np.full(len(first), j))
        for k, v in cols.items():
            out[k].append(None if v is None else np.add.reduceat(v[idx], first) if len(first) else v[idx])
        carried = pending
    return {k: (np.concatenate(v) if v[0] is not None else None) for k, v in out.items()}


def _subject_traits(rep: np.ndarray, tr: dict, n_subjects: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(months each subject reports, its catalogue size, its digital propensity): a subject
    takes the strands that form it in its first month, weighted by their size."""
    ii, jj = np.nonzero(rep >= 0)
    ss = rep[ii, jj]
    active = np.zeros((n_subjects, rep.shape[1]), dtype=bool)
    active[ss, jj] = True
    first = np.where(active.any(axis=1), active.argmax(axis=1), -1)
    at_first = jj == first[ss]
    a, s = ii[at_first], ss[at_first]
    w = tr["size"][a]
    count = np.bincount(s, minlength=n_subjects)
    weight = np.bincount(s, weights=w, minlength=n_subjects)
    with np.errstate(invalid="ignore"):
        catalogue = np.round(np.bincount(s, weights=tr["catalogue"][a], minlength=n_subjects) / count)
        digital = np.bincount(s, weights=w * tr["digital"][a], minlength=n_subjects) / weight
    return active, np.nan_to_num(catalogue).astype(int), np.nan_to_num(digital)


def _offers(s: Subjects, active: np.ndarray, catalogue: np.ndarray, digital: np.ndarray,
            quarters: list[P.Period]) -> pd.DataFrame:
    """Quarterly procedure offer per subject: levels 2/3/4 to 2022, partial/full-process after."""
    frames = []
    for per in quarters:
        t = (per.start.year - 2019) + (per.start.month - 1) / 12
        j0 = _month_index(per.start, LEGACY_FIRST)
        idx = np.flatnonzero(active[:, j0:j0 + 3].any(axis=1))
        total = catalogue[idx]
        online = np.clip(0.10 + 0.115 * t + 0.05 * digital[idx], 0.05, 0.97)
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


def _agreements(rng: np.random.Generator, s: Subjects, rep: np.ndarray, active: np.ndarray,
                size: np.ndarray) -> pd.DataFrame:
    """Postal cooperation agreements: most agencies and district PPCs sign in 2017-2021; a unit
    formed by a merge has one from its first day when the main agency it continues (the one
    bringing the most dossiers) had one."""
    first = np.where(active.any(axis=1), active.argmax(axis=1), -1)
    cand = np.flatnonzero(s.kind != "commune")
    draws = rng.random(len(cand)) < 0.88
    days = rng.integers(0, (date(2021, 12, 31) - date(2017, 1, 1)).days, len(cand))
    own_first = np.zeros(len(s.unit_id), dtype=bool)  # subjects with a strand of their own
    live = np.flatnonzero((rep >= 0).any(axis=1))
    own_first[rep[live, np.argmax(rep[live] >= 0, axis=1)]] = True
    signed: dict[int, date] = {}
    for k in np.argsort(first[cand], kind="stable"):
        i, f = int(cand[k]), int(first[cand[k]])
        if f < 0:
            continue
        begins = date(LEGACY_FIRST.year + f // 12, f % 12 + 1, 1)
        if f == 0 or own_first[i] and f != _month_index(NEW_FIRST, LEGACY_FIRST):
            if draws[k]:
                signed[i] = max(date.fromordinal(date(2017, 1, 1).toordinal() + int(days[k])),
                                begins if f else date(2017, 1, 1))
            continue
        came = rep[:, f] == i
        before = pd.Series(size[came]).groupby(rep[came, f - 1]).sum().drop(-1, errors="ignore")
        agencies = before[s.kind[before.index.to_numpy()] == "agency"] if len(before) else before
        main = (agencies if len(agencies) else before).idxmax() if len(before) else None
        if (main in signed) if main is not None else draws[k]:  # as the main unit it continues
            signed[i] = begins
    keys = np.array(sorted(signed), dtype=np.int64)
    agency_ids = s.agency_id[keys]
    agr = pd.DataFrame({"unit_id": s.unit_id[keys],
                        "agency_id": pd.array(np.where(agency_ids < 0, 0, agency_ids), dtype="Int64"),
                        "signed_on": [signed[int(k)] for k in keys]})
    agr.loc[agency_ids < 0, "agency_id"] = pd.NA
    return agr


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
        total = _generate(conn, rng, batch_id, PeriodCache(conn), old_ids, new_ids, last)
        conn.execute(update(load_batch).where(load_batch.c.id == batch_id).values(rows=total))
        close_batch(conn, batch_id, covered, whole=provinces.strip().lower() == "all", progress=True)
    print(f"{name}: đã sinh {total:,} dòng dữ liệu minh họa".replace(",", ".")
          + (f" (thay thế lô {replaced})" if replaced else "") + ".", file=sys.stderr)
    return 0


def _generate(conn: Connection, rng: np.random.Generator, batch_id: int, periods: PeriodCache,
              old_ids: list[int], new_ids: list[int], last: date) -> int:
    months = P.months_between(LEGACY_FIRST, last)
    leg = _subjects(conn, "legacy", old_ids, LEGACY_FIRST, min(LEGACY_LAST, last))
    new = _subjects(conn, "2025", new_ids, NEW_FIRST, last) if last >= NEW_FIRST else _none()
    subj = _concat(leg, new)
    st = _strands(conn, leg, new, len(months))
    tr = _traits(rng, st)
    sim = _simulate(rng, st.rep, tr, months)
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
    bulk_insert(conn, dossier_stat, frame, "Hồ sơ")

    active, catalogue, digital = _subject_traits(st.rep, tr, len(subj.unit_id))
    quarters = [P.quarter(y, q) for y, q in sorted({(p.start.year, (p.start.month - 1) // 3 + 1) for p in months})]
    of = _offers(subj, active, catalogue, digital, quarters)
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
        bulk_insert(conn, procedure_offer, of[cols], "TTHC")

    agr = _agreements(rng, subj, st.rep, active, tr["size"]).assign(batch_id=batch_id, source_ref=ref)
    bulk_insert(conn, postal_agreement, agr[["batch_id", "source_ref", "unit_id", "agency_id", "signed_on"]],
                "Thỏa thuận BCCI")
    # Chỉ số 766 of the 2025 units (etl/demo_scores.py), following their dossiers
    scores = demo_scores.generate(conn, batch_id, periods, new_ids, last, dossiers=frame)
    return len(frame) + len(of) + len(agr) + scores


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

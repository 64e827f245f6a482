"""Demo scores of the Chỉ số 766 (Decision 766/QĐ-TTg) for the 2025 units ("Dữ liệu minh họa").

For each selected 2025 province, its agencies (sở, ngành: the registry's agencies of the
province whose type is in force after 1/7/2025) and its communes: one capture (``as_of`` = the
period's end + 5 days) per month from 07/2025 to the demo's last month, per complete quarter and
per complete year. Written into the demo batch (score_stat, dataset 'demo'), so close_batch
builds agg_score from them and a real portal capture of the same subject and period replaces
them (data/build/scores.py prefers real rows).

The model: a subject's six group scores are shares of their maxima between 55 % and 92 %, so the
total (their sum, out of 100) lies between 55 and 92. Each share is a logistic function of the
province's level, the subject's own level, a level per group, a slow improvement over the months
and noise; "Tiến độ, kết quả giải quyết" (TDGQ) follows the subject's on-time rate and the two
online groups (CLGQ, TTTT) its online intake share in the dossier demo when they are given. A
quarter's and a year's scores are the mean of their months. Groups are rounded to 2 decimals and
the total is the sum of the rounded groups. Deterministic: a province's scores depend only on
the seed and the province, not on which other provinces are selected.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection, or_, select

from data import metrics
from data import periods as P
from data.schema import SCORE_COMPONENTS, agency, agency_type, score_stat, unit
from data.store import bulk_insert
from etl.store import PeriodCache

FIRST = date(2025, 7, 1)
AS_OF_DAYS = 5  # the capture: a few days after the period's end
SHARE_LO, SHARE_HI = 0.55, 0.92
GROUPS = tuple(g.column for g in metrics.SCORE_GROUPS)
MAXIMA = np.array([float(g.max_points) for g in metrics.SCORE_GROUPS])
REF = "demo:scores766-1"


def score_periods(last: date) -> tuple[list[P.Period], list[P.Period], list[P.Period]]:
    """(months, complete quarters, complete years) from 07/2025 to ``last``'s month."""
    if last < FIRST:
        return [], [], []
    months = P.months_between(FIRST, last)
    quarters = [P.quarter(m.start.year, (m.start.month - 1) // 3 + 1) for m in months if m.start.month % 3 == 0]
    years = [P.year_period(m.start.year) for m in months if m.start.month == 12]
    return months, quarters, years


def subjects(conn: Connection, province_ids: list[int], last: date) -> pd.DataFrame:
    """unit_id, agency_id (<NA> for units), province_id, level of the scored subjects."""
    if not province_ids:
        return pd.DataFrame(columns=["unit_id", "agency_id", "province_id", "level"])
    provs = pd.DataFrame({"unit_id": province_ids, "agency_id": pd.NA, "province_id": province_ids,
                          "level": "province"})
    comm = pd.DataFrame(conn.execute(
        select(unit.c.id, unit.c.parent_id).where(unit.c.level == "commune", unit.c.parent_id.in_(province_ids))
        .order_by(unit.c.id)).all(), columns=["unit_id", "province_id"]).assign(agency_id=pd.NA, level="commune")
    ag = pd.DataFrame(conn.execute(
        select(agency.c.id, agency.c.unit_id).join(agency_type, agency_type.c.code == agency.c.type_code)
        .where(agency.c.unit_id.in_(province_ids),
               or_(agency_type.c.valid_to.is_(None), agency_type.c.valid_to >= FIRST),
               or_(agency_type.c.valid_from.is_(None), agency_type.c.valid_from <= last))
        .order_by(agency.c.id)).all(), columns=["agency_id", "unit_id"])
    ag = ag.assign(province_id=ag["unit_id"], level="department")
    out = pd.concat([provs, ag, comm], ignore_index=True)[["unit_id", "agency_id", "province_id", "level"]]
    out["agency_id"] = pd.array(pd.to_numeric(out["agency_id"]), dtype="Int64")
    return out


def indicators(dossiers: pd.DataFrame | None, subj: pd.DataFrame, month_ids: list[int]) -> tuple[np.ndarray,
                                                                                                   np.ndarray]:
    """(on-time rate, online intake share) of each subject (rows) and month (columns), NaN
    where the dossier demo has nothing; a province's over all its subjects."""
    n, t = len(subj), len(month_ids)
    on_time, online = np.full((n, t), np.nan), np.full((n, t), np.nan)
    if dossiers is None or dossiers.empty or not n:
        return on_time, online
    d = dossiers[dossiers["period_id"].isin(month_ids)]
    if d.empty:
        return on_time, online
    cols = ["received_total", "received_carried", "received_online", "settled_total", "settled_early",
            "settled_on_time"]
    d = d[["unit_id", "agency_id", "period_id", *cols]].copy()
    for c in cols:
        d[c] = pd.to_numeric(d[c], errors="coerce").astype("float64")
    d["agency_id"] = pd.to_numeric(d["agency_id"]).fillna(-1).astype(np.int64)
    prov_of = dict(zip(subj["unit_id"], subj["province_id"], strict=True))
    d["province_id"] = d["unit_id"].map(prov_of)
    key = pd.MultiIndex.from_arrays([subj["unit_id"].to_numpy(np.int64),
                                     subj["agency_id"].fillna(-1).to_numpy(np.int64)])
    own = d.groupby(["unit_id", "agency_id", "period_id"])[cols].sum()
    whole = d.dropna(subset=["province_id"]).groupby(["province_id", "period_id"])[cols].sum()
    whole.index = pd.MultiIndex.from_arrays([whole.index.get_level_values(0).astype(np.int64),
                                             np.full(len(whole), -1, dtype=np.int64),
                                             whole.index.get_level_values(1)])
    is_prov = (subj["level"] == "province").to_numpy()
    for part, mask in ((own, ~is_prov), (whole, is_prov)):
        if part.empty:
            continue
        new = part["received_total"] - part["received_carried"]
        rate = (part["settled_early"] + part["settled_on_time"]) / part["settled_total"].where(part["settled_total"] > 0)
        share = part["received_online"] / new.where(new > 0)
        for values, target in ((rate, on_time), (share, online)):
            wide = values.unstack("period_id").reindex(columns=month_ids)
            wide.index = pd.MultiIndex.from_tuples([(int(a), int(b)) for a, b in wide.index])
            got = wide.reindex(key).to_numpy(dtype="float64")
            target[mask] = got[mask]
    return on_time, online


def _province_scores(rng: np.random.Generator, n: int, is_prov: np.ndarray, on_time: np.ndarray,
                     online: np.ndarray) -> np.ndarray:
    """Monthly group shares (subjects × months × groups) of one province's subjects."""
    t = on_time.shape[1]
    level = rng.normal(0, 0.7)
    own = np.where(is_prov, level, 0.6 * level + rng.normal(0, 0.8, n))
    group = rng.normal(0, 0.6, (n, 1, len(GROUPS)))
    trend = (0.02 + rng.normal(0, 0.01)) * np.arange(t)
    noise = np.zeros((n, t, len(GROUPS)))
    e = rng.normal(0, 0.2, (n, len(GROUPS)))
    for j in range(t):  # AR(1): scores move from one month to the next, not jump
        e = 0.6 * e + rng.normal(0, 0.2, (n, len(GROUPS)))
        noise[:, j] = e
    z = 0.4 + own[:, None, None] + group + trend[None, :, None] + noise
    tdgq, clgq, tttt = GROUPS.index("tdgq"), GROUPS.index("clgq"), GROUPS.index("tttt")
    z[:, :, tdgq] += np.nan_to_num(3.0 * (on_time - 0.85))
    for k in (clgq, tttt):
        z[:, :, k] += np.nan_to_num(2.5 * (online - 0.4))
    return SHARE_LO + (SHARE_HI - SHARE_LO) / (1 + np.exp(-z))


def frame(conn: Connection, batch_id: int, periods: PeriodCache, province_ids: list[int], last: date,
          seed: int = 2025, dossiers: pd.DataFrame | None = None) -> pd.DataFrame:
    """The score_stat rows of the demo scores (columns of score_stat, without id)."""
    months, quarters, years = score_periods(last)
    subj = subjects(conn, sorted(province_ids), last)
    if not months or subj.empty:
        return pd.DataFrame(columns=[c.name for c in score_stat.columns if c.name != "id"])
    month_ids = [periods.id_for(m) for m in months]
    on_time, online = indicators(dossiers, subj, month_ids)
    shares = np.zeros((len(subj), len(months), len(GROUPS)))
    codes = dict(conn.execute(select(unit.c.id, unit.c.code).where(unit.c.id.in_(province_ids))).all())
    for pid in sorted(province_ids):
        rows = np.flatnonzero(subj["province_id"].to_numpy() == pid)
        rng = np.random.default_rng([seed, 766, int(codes.get(pid, pid))])
        is_prov = (subj["level"].to_numpy()[rows] == "province")
        shares[rows] = _province_scores(rng, len(rows), is_prov, on_time[rows], online[rows])
    scores = shares * MAXIMA  # subjects × months × groups
    spans: list[tuple[P.Period, np.ndarray]] = [(m, scores[:, [j]].mean(axis=1)) for j, m in enumerate(months)]
    for per in [*quarters, *years]:
        cols = [j for j, m in enumerate(months) if per.start <= m.start and m.end <= per.end]
        spans.append((per, scores[:, cols].mean(axis=1)))
    parts = []
    n = len(subj)
    for per, g in spans:
        g = np.round(g, 2)
        part = pd.DataFrame(g, columns=list(GROUPS))
        part["total"] = np.round(g.sum(axis=1), 2)
        part["period_id"] = periods.id_for(per)
        part["as_of"] = per.end + timedelta(days=AS_OF_DAYS)
        part["i"] = np.arange(n)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    s = subj.iloc[out["i"].to_numpy()].reset_index(drop=True)
    out["batch_id"], out["source_ref"] = batch_id, REF
    out["unit_id"] = s["unit_id"].to_numpy(np.int64)
    # Python ints or None (a float id would not COPY into PostgreSQL's integer column)
    out["agency_id"] = pd.array(s["agency_id"], dtype="Int64").to_numpy(dtype=object, na_value=None)
    out["scope"] = np.where(s["level"] == "province", "total", "own")
    out["portal_code"], out["portal_rank"] = None, None
    for c in SCORE_COMPONENTS:
        out[f"max_{c}"] = None  # the registry's maxima (data.metrics.SCORE_GROUPS)
    return out[[c.name for c in score_stat.columns if c.name != "id"]]


def generate(conn: Connection, batch_id: int, periods: PeriodCache, province_ids: list[int], last: date,
             seed: int = 2025, dossiers: pd.DataFrame | None = None) -> int:
    """Write the demo scores into ``batch_id`` (one bulk insert); the number of rows."""
    rows = frame(conn, batch_id, periods, province_ids, last, seed, dossiers)
    bulk_insert(conn, score_stat, rows, "Chỉ số 766")
    return len(rows)

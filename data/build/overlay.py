"""Stated figures for periods other than a month, put on top of the monthly aggregates.

A source may state a figure for a longer period ("2017-2019", "9 tháng 2020", a quarter of a
Biểu 06, a year). Such a figure is kept as it is (never split into months) and wins over the
months of the same subject (real beats demo; a stated figure beats a sum). For every subject
with stated rows, the *target* periods are the stated periods themselves and the standard
periods (quarter, half, 9 months, year, January..month) that its stated rows tile exactly
(four quarters make a year). For each target and each unit above such a subject, a row of
grain 'stated' holds the unit's figure for exactly that period:

- where the unit has every month of the period: its months' sum, with each stated subject's
  own months replaced by its stated figure (``sum + stated - the subject's months``);
- otherwise (the months do not cover the period, e.g. "2017-2019" when months start in 2019):
  the stated figures alone;
- a stated total of the unit itself (scope 'total') wins, indicator by indicator.

The read side uses a 'stated' row instead of the months' sum wherever one exists for exactly
the period asked for; other units keep their months' sum.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from data import periods as P
from data.build.facts import SUBJECT
from data.store import (
    DOSSIER_IDS,
    FLAGS,
    join_ids,
    month_aligned,
    months_spanned,
    pairs_from_parts,
    parts_from_pairs,
    sum_subperiods,
)

VAL = [c for mid in DOSSIER_IDS for c in (f"{mid}:num", f"{mid}:den", f"{mid}__real", f"{mid}__demo")]


def standard_periods(first_year: int, last_year: int) -> list[P.Period]:
    """Quarters, halves, 9 months, years and January..month of the years given."""
    out: list[P.Period] = []
    for y in range(first_year, last_year + 1):
        out += [P.quarter(y, q) for q in (1, 2, 3, 4)] + [P.half(y, 1), P.half(y, 2), P.nine_months(y),
                                                           P.year_period(y)]
        out += [P.classify(date(y, 1, 1), P.month(y, m).end) for m in (2, 4, 5, 7, 8, 10, 11)]
    return out


def _chain(spans: list[tuple[date, date]], start: date, end: date) -> list[tuple[date, date]] | None:
    """Stated spans that tile start..end exactly (the period itself, or consecutive ones)."""
    if (start, end) in spans:
        return [(start, end)]
    inside = sorted(s for s in spans if s[0] >= start and s[1] <= end)
    out, cursor = [], start
    while cursor <= end:
        nxt = [s for s in inside if s[0] == cursor]
        if not nxt:
            return None
        best = max(nxt, key=lambda s: s[1])
        out.append(best)
        cursor = best[1] + timedelta(days=1)
    return out if out and out[-1][1] == end and len(out) > 1 else None


def targets(stated: pd.DataFrame, years: list[int] | set[int] | None = None
            ) -> dict[tuple[date, date], list[tuple[tuple, list[tuple[date, date]]]]]:
    """{target period: [(subject, the stated spans that make it)]}, of the targets touching
    ``years`` when given (the others have not changed)."""
    out: dict[tuple[date, date], list] = {}
    if stated.empty:
        return out
    for subject, rows in stated.groupby(SUBJECT, dropna=False, sort=True):
        spans = sorted(set(zip(rows["period_start"], rows["period_end"], strict=True)))
        cands = {s: [s] for s in spans}
        for per in standard_periods(min(s[0].year for s in spans), max(s[1].year for s in spans)):
            chain = _chain(spans, per.start, per.end)
            if chain is not None:
                cands.setdefault((per.start, per.end), chain)
        for t, chain in cands.items():
            if years is None or any(y in years for y in range(t[0].year, t[1].year + 1)):
                out.setdefault(t, []).append((subject, chain))
    return out


def _values(summed: pd.DataFrame, single: bool | np.ndarray) -> pd.DataFrame:
    if summed.empty:
        return pd.DataFrame(columns=VAL, dtype=float)
    p = pairs_from_parts(summed, single)
    flags = summed[FLAGS].astype("float64")
    out = pd.concat([p, flags], axis=1)
    for mid in DOSSIER_IDS:  # provenance only where the indicator is known
        known = out[f"{mid}:num"].notna()
        out[f"{mid}__real"] = out[f"{mid}__real"].where(known)
        out[f"{mid}__demo"] = out[f"{mid}__demo"].where(known)
    return out[VAL]


def _oplus(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Sum where either side is known (unknown + unknown stays unknown)."""
    if a.empty:
        return b
    if b.empty:
        return a
    idx = a.index.union(b.index)
    a2, b2 = a.reindex(idx), b.reindex(idx)
    a2, b2 = a2.astype(float), b2.astype(float)
    out = a2.fillna(0) + b2.fillna(0)
    return out.where(a2.notna() | b2.notna())


def _metric_mask(frame: pd.DataFrame) -> pd.DataFrame:
    """Per value column, whether its indicator is known in ``frame``."""
    return pd.DataFrame({c: frame[f"{c.split(':')[0].split('__')[0]}:num"].notna() for c in VAL}, index=frame.index)


def _override(base: pd.DataFrame, top: pd.DataFrame) -> pd.DataFrame:
    """``base`` with every indicator ``top`` knows taken from ``top``."""
    if top.empty:
        return base
    idx = base.index.union(top.index)
    out, t = base.reindex(idx), top.reindex(idx)
    return out.mask(_metric_mask(t), t)


def build(stated: pd.DataFrame, months: pd.DataFrame, unit_months: pd.DataFrame, units: pd.DataFrame,
          years: list[int] | None = None) -> pd.DataFrame:
    """Rows of grain 'stated' (store columns, pairs as parts) for the units above the stated
    subjects of ``stated``, for the targets touching ``years`` (all when None); ``months`` are
    the subjects' months, ``unit_months`` the units'."""
    rows = []
    for (start, end), items in targets(stated, years).items():
        rows.append(_target(start, end, items, stated, months, unit_months, units))
    rows = [r for r in rows if not r.empty]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _subject_rows(stated: pd.DataFrame, subject: tuple, chain: list) -> pd.DataFrame:
    unit_id, agency_id, scope = subject
    same = (stated["unit_id"] == unit_id) & (stated["scope"] == scope)
    same &= stated["agency_id"].isna() if pd.isna(agency_id) else (stated["agency_id"] == agency_id)
    rows = stated[same]
    return rows[[sp in chain for sp in zip(rows["period_start"], rows["period_end"], strict=True)]]


def _grouped(frame: pd.DataFrame, mask: np.ndarray, by: np.ndarray) -> pd.DataFrame:
    """Rows of ``frame`` (one per subject) where ``mask``, summed per ``by`` (unknown stays unknown)."""
    if not mask.any():
        return pd.DataFrame(columns=VAL, dtype=float)
    part = frame[mask].astype(float).assign(_k=by[mask])
    return part.groupby("_k")[VAL].sum(min_count=1).rename_axis(None)


def _target(start: date, end: date, items: list, stated: pd.DataFrame, months: pd.DataFrame,
            unit_months: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    n = len(items)
    subj = pd.DataFrame([dict(zip(SUBJECT, s, strict=True)) for s, _ in items])
    subj["unit_id"] = subj["unit_id"].astype(np.int64)
    subj["agency_id"] = pd.to_numeric(subj["agency_id"]).astype("Int64")
    # each stated subject's figure for the period (its stated spans summed)
    chains = pd.concat([_subject_rows(stated, s, chain).assign(_i=i) for i, (s, chain) in enumerate(items)],
                       ignore_index=True)
    st_sum = sum_subperiods(chains, ["_i"], start, end).reindex(range(n))
    st = _values(st_sum, st_sum["single"].fillna(False).to_numpy(dtype=bool))
    # ... and its own months inside the period: what it adds to the sums of the units above it
    if len(months):
        m = months.merge(subj.assign(_i=range(n)), on=SUBJECT, how="inner")
        ms = _values(sum_subperiods(m, ["_i"], start, end), False).reindex(range(n)) if len(m) else None
    else:
        ms = None
    ms = ms if ms is not None else pd.DataFrame(np.nan, index=range(n), columns=VAL)
    delta = (st - ms.fillna(0)).where(_metric_mask(st))
    # the units' own sums for the period, and whether their months cover all of it
    um = sum_subperiods(unit_months, ["level", "key"], start, end)
    us = _values(um, False) if len(um) else pd.DataFrame(columns=VAL, index=pd.MultiIndex.from_tuples(
        [], names=["level", "key"]))
    full_all = (um["rows"] == months_spanned(start, end)) & month_aligned(start, end) if len(um) else \
        pd.Series(dtype=bool)

    def at_level(frame: pd.DataFrame | pd.Series, level: str) -> pd.DataFrame | pd.Series:
        if len(frame) and level in frame.index.get_level_values(0):
            return frame.xs(level, level=0)
        return frame.iloc[0:0].droplevel(0) if isinstance(frame.index, pd.MultiIndex) else frame.iloc[0:0]

    def value(level: str, D: pd.DataFrame, S: pd.DataFrame, T: pd.DataFrame) -> tuple[pd.DataFrame, ...]:
        keys = D.index.union(S.index).union(T.index)
        base = at_level(us, level).reindex(keys)
        full = at_level(full_all, level).astype(bool).reindex(keys, fill_value=False).to_numpy(dtype=bool)
        val = _oplus(base, D.reindex(keys)).reindex(keys)
        if (~full).any():
            val.loc[~full] = S.reindex(keys).loc[~full].to_numpy()
        val = _override(val, T)
        tot_delta = (T - base.reindex(T.index).astype(float).fillna(0)).where(_metric_mask(T)) if len(T) else T
        return val, _override(D.reindex(keys), tot_delta), _override(S.reindex(keys), T)

    level_of = subj["unit_id"].map(units["level"]).to_numpy()
    is_total = ((subj["scope"] == "total") & subj["agency_id"].isna()).to_numpy()
    has_agency = subj["agency_id"].notna().to_numpy()
    unit_ids = subj["unit_id"].to_numpy(dtype=np.int64)
    results: dict[str, pd.DataFrame] = {}
    pending: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    empty = pd.DataFrame(columns=VAL, dtype=float)
    for level in ("commune", "district", "province"):
        own = (level_of == level) & ~is_total  # a province's own subjects include its agencies
        child_d, child_s = pending.get(level, (empty, empty))
        D = _oplus(_grouped(delta, own, unit_ids), child_d)
        S = _oplus(_grouped(st, own, unit_ids), child_s)
        T = _grouped(st, (level_of == level) & is_total, unit_ids)
        if D.empty and S.empty and T.empty:
            continue
        val, d_pass, s_pass = value(level, D, S, T)
        results[level] = val
        parent = pd.Series(val.index, index=val.index).map(units["parent_id"]).dropna().astype(np.int64)
        for plevel, keys in parent.groupby(parent.map(units["level"])):
            dd = d_pass.reindex(keys.index).assign(_k=keys.to_numpy()).groupby("_k")[VAL].sum(min_count=1) \
                .rename_axis(None)
            ss = s_pass.reindex(keys.index).assign(_k=keys.to_numpy()).groupby("_k")[VAL].sum(min_count=1) \
                .rename_axis(None)
            old_d, old_s = pending.get(plevel, (empty, empty))
            pending[plevel] = (_oplus(old_d, dd), _oplus(old_s, ss))
    if has_agency.any():  # departments: their agencies' stated figures replace the agencies' months
        agency_ids = subj["agency_id"].fillna(-1).astype(np.int64).to_numpy()
        val, _, _ = value("department", _grouped(delta, has_agency, agency_ids), _grouped(st, has_agency, agency_ids),
                          empty)
        results["department"] = val
    frames = [v.assign(level=lv) for lv, v in results.items() if len(v)]
    if not frames:
        return pd.DataFrame()
    vals = pd.concat(frames).rename_axis("key").reset_index()
    vals = vals[vals[[f"{mid}:num" for mid in DOSSIER_IDS]].notna().any(axis=1)].reset_index(drop=True)
    if vals.empty:
        return vals
    # provenance: the units' own batches and those of every stated subject below them
    below: dict[tuple[str, int], set[str]] = {}
    for i in range(n):
        ids = set(str(st_sum["batches"].iloc[i]).split(","))
        chain_key = int(unit_ids[i])
        while True:
            below.setdefault((str(units.at[chain_key, "level"]), chain_key), set()).update(ids)
            parent = units.at[chain_key, "parent_id"]
            if pd.isna(parent):
                break
            chain_key = int(parent)
        if has_agency[i]:
            below.setdefault(("department", int(subj["agency_id"].iloc[i])), set()).update(ids)
    out = pd.concat([parts_from_pairs(vals), vals[FLAGS]], axis=1)
    out["level"], out["key"] = vals["level"], vals["key"].astype(np.int64)
    out["period_start"], out["period_end"] = start, end
    out["grain"], out["months"] = "stated", months_spanned(start, end)
    keyed = list(zip(out["level"], out["key"], strict=True))
    out["reporting"] = 0  # reporting completeness is a matter of months
    out["batches"] = [join_ids([*(below.get(k, set())), um.at[k, "batches"] if k in um.index else ""])
                      for k in keyed]
    return out

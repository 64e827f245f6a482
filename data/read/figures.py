"""Indicators of units and periods from the analytics store.

``wide`` gives, per requested period (``pidx``) and unit (``key``), every indicator's
numerator and denominator with the number of real and demo subjects behind it and the batches
behind each family of indicators; ``long`` turns that into the rows pages, exports and the CLI
show (one per unit, period and indicator, with names, dataset, source and coverage).

Rules (docs/data_model.md): a period's dossier indicators are the sum of its months, and only
units with every month count (``complete``); a stated figure for exactly the period wins; an
as-of indicator (procedure offer, counts) takes the best snapshot inside the period: the unit's
own stated catalogue before a sum of its subjects, the fuller sum before a partial one, real
before demo, the latest last. Counts nobody states come from the communes (zero activity) and
the postal agreements.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from data import metrics
from data import periods as P
from data.read import fetch
from data.read.fetch import Where
from data.schema import OFFER_COUNTS, load_batch
from data.store import (
    COUNT_IDS,
    DOSSIER_IDS,
    OFFER_IDS,
    PARTS,
    join_ids,
    month_aligned,
    months_spanned,
    pair_arrays,
)

ALL_IDS = [m.id for m in metrics.METRICS]
PAIR = [c for mid in ALL_IDS for c in (f"{mid}:num", f"{mid}:den")]
FLAG = [c for mid in ALL_IDS for c in (f"{mid}:real", f"{mid}:demo")]
FAMILY = {m.id: ("units" if m.numerator.startswith("units") else "agencies") if m.source == "count" else m.source
          for m in metrics.METRICS}
BATCH_COLS = ["b:dossier", "b:offer", "b:units", "b:agencies"]
WIDE = ["pidx", "key", *PAIR, *FLAG, "months", "months_expected", "reporting", *OFFER_COUNTS, *BATCH_COLS]
METRIC_COLS = ["key", "level", "scheme", "code", "name", "dataset", "source", "period_start", "period_end",
               "period_label", "metric", "numerator", "denominator", "value", "months", "months_expected",
               "coverage", "subjects"]
HEAT_COLS = ["key", "name", "period_label", "period_start", "numerator", "denominator", "value", "dataset", "source"]
STANDARD = {"month", "quarter", "half", "9m", "year"}


def _empty_wide() -> pd.DataFrame:
    return pd.DataFrame(columns=WIDE)


class Part:
    """Columns (numpy arrays) for rows identified by (pidx, key)."""

    def __init__(self, pidx: np.ndarray, key: np.ndarray) -> None:
        self.pidx = np.asarray(pidx, dtype=np.int64)
        self.key = np.asarray(key, dtype=np.int64)
        self.cols: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.key)


def _merge(parts: list[Part]) -> pd.DataFrame:
    """One frame (columns WIDE) from the parts, rows matched on (pidx, key)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty_wide()
    shift = 1 << 39  # keys may be negative (the whole country): code = pidx, then key + shift
    code = [p.pidx * (1 << 40) + p.key + shift for p in parts]
    allc = np.unique(np.concatenate(code))
    n = len(allc)
    out: dict[str, np.ndarray] = {"pidx": allc >> 40, "key": (allc & ((1 << 40) - 1)) - shift}
    for p, c in zip(parts, code, strict=True):
        pos = np.searchsorted(allc, c)
        for name, values in p.cols.items():
            if name not in out:
                out[name] = np.full(n, "" if values.dtype == object else np.nan, dtype=values.dtype
                                    if values.dtype == object else float)
            out[name][pos] = values
    for c in WIDE:
        if c not in out:
            out[c] = np.full(n, "", dtype=object) if c.startswith("b:") else np.full(n, np.nan)
    return pd.DataFrame(out)[WIDE]


# --- dossier indicators ---------------------------------------------------------------------


def _dossier_part(rows: pd.DataFrame, single: np.ndarray, expected: np.ndarray) -> Part:
    part = Part(rows["pidx"].to_numpy(), rows["key"].to_numpy())
    pairs = pair_arrays(rows[PARTS].to_numpy(dtype="float64"), single)
    flags = rows[[f"{mid}__{d}" for mid in DOSSIER_IDS for d in ("real", "demo")]].to_numpy(dtype="float64")
    for i, (mid, (num, den)) in enumerate(pairs.items()):
        known = ~np.isnan(num)
        part.cols[f"{mid}:num"], part.cols[f"{mid}:den"] = num, den
        part.cols[f"{mid}:real"] = np.where(known, flags[:, 2 * i], np.nan)
        part.cols[f"{mid}:demo"] = np.where(known, flags[:, 2 * i + 1], np.nan)
    part.cols["months"] = rows["months"].to_numpy(dtype="float64")
    part.cols["reporting"] = rows["reporting"].to_numpy(dtype="float64")
    part.cols["months_expected"] = expected[part.pidx].astype(float)
    part.cols["b:dossier"] = rows["batches"].to_numpy(dtype=object)
    return part


def _dossier(conn: Connection, where: Where, periods: list[P.Period], complete: bool,
             metric_ids: list[str] | None = None) -> Part:
    one_month = np.array([months_spanned(p.start, p.end) == 1 and month_aligned(p.start, p.end) for p in periods])
    expected = np.array([months_spanned(p.start, p.end) for p in periods])
    sums = fetch.dossier_month_sums(conn, where, periods, metric_ids)
    if len(sums) and complete:
        sums = sums[sums["months"].to_numpy() == expected[sums["pidx"].to_numpy(dtype=int)]]
    stated = fetch.dossier_stated(conn, where, periods)
    if len(stated) and len(sums):  # a stated figure for exactly the period wins over its months
        code = sums["pidx"].to_numpy(dtype=np.int64) * (1 << 40) + sums["key"].to_numpy(dtype=np.int64)
        scode = stated["pidx"].to_numpy(dtype=np.int64) * (1 << 40) + stated["key"].to_numpy(dtype=np.int64)
        sums = sums[~np.isin(code, scode)]
    parts = []
    if len(sums):
        parts.append(_dossier_part(sums, one_month[sums["pidx"].to_numpy(dtype=int)], expected))
    if len(stated):
        parts.append(_dossier_part(stated, np.ones(len(stated), dtype=bool), expected))
    if not parts:
        return Part(np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    if len(parts) == 1:
        return parts[0]
    out = Part(np.concatenate([p.pidx for p in parts]), np.concatenate([p.key for p in parts]))
    out.cols = {c: np.concatenate([p.cols[c] for p in parts]) for c in parts[0].cols}
    return out


# --- procedure offers -----------------------------------------------------------------------


def _pick(pidx: np.ndarray, key: np.ndarray, *order: np.ndarray) -> np.ndarray:
    """Row positions of the best row per (pidx, key): highest ``order`` values, first first."""
    idx = np.lexsort(tuple(-o for o in reversed(order)) + (key, pidx))
    p, k = pidx[idx], key[idx]
    first = np.ones(len(idx), dtype=bool)
    first[1:] = (p[1:] != p[:-1]) | (k[1:] != k[:-1])
    return idx[first]


def _offers(conn: Connection, where: Where, periods: list[P.Period]) -> Part:
    rows = fetch.offer_rows(conn, where, periods)
    empty = Part(np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    if rows.empty:
        return empty
    pidx, key = rows["pidx"].to_numpy(dtype=np.int64), rows["key"].to_numpy(dtype=np.int64)
    end = rows["period_end"].to_numpy(dtype=np.int64)  # day numbers (data.read.fetch)
    batches = rows["batches"].to_numpy(dtype=object)
    stated_any = rows[[f"{m}__stated" for m in OFFER_IDS]].to_numpy(dtype=float).max(axis=1)
    real_any = (rows[[f"{m}__real" for m in OFFER_IDS]].to_numpy(dtype=float).sum(axis=1) > 0).astype(float)
    best = _pick(pidx, key, np.nan_to_num(stated_any), real_any, end)  # the snapshot's raw counts as a whole
    out = Part(pidx[best], key[best])
    for c in OFFER_COUNTS:
        out.cols[c] = rows[c].to_numpy(dtype=float)[best]
    chosen_batches = [[] for _ in range(len(best))]
    where_row = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(out.pidx, out.key, strict=True))}
    for mid in OFFER_IDS:
        num, den = rows[f"{mid}__num"].to_numpy(dtype=float), rows[f"{mid}__den"].to_numpy(dtype=float)
        real, demo = rows[f"{mid}__real"].to_numpy(dtype=float), rows[f"{mid}__demo"].to_numpy(dtype=float)
        ok = ~np.isnan(num) & ~np.isnan(den)
        for c in ("num", "den", "real", "demo"):
            out.cols[f"{mid}:{c}"] = np.full(len(best), np.nan)
        if not ok.any():
            continue
        sub = np.flatnonzero(ok)
        stated = np.nan_to_num(rows[f"{mid}__stated"].to_numpy(dtype=float))[sub]
        pick = sub[_pick(pidx[sub], key[sub], stated, (real + demo)[sub], (real > 0)[sub].astype(float), end[sub])]
        pos = np.array([where_row[(int(a), int(b))] for a, b in zip(pidx[pick], key[pick], strict=True)])
        out.cols[f"{mid}:num"][pos], out.cols[f"{mid}:den"][pos] = num[pick], den[pick]
        out.cols[f"{mid}:real"][pos], out.cols[f"{mid}:demo"][pos] = real[pick], demo[pick]
        for i, b in zip(pos, batches[pick], strict=True):
            chosen_batches[i].append(b)
    out.cols["b:offer"] = np.array([join_ids(b) for b in chosen_batches], dtype=object)
    return out


# --- counts ---------------------------------------------------------------------------------


def _counts(conn: Connection, where: Where, periods: list[P.Period]) -> Part:
    rows = fetch.count_rows(conn, where, periods)
    zero_missing = [i for i, p in enumerate(periods) if where.level in ("country", "province", "district")
                    and month_aligned(p.start, p.end) and not _is_standard(p)]
    extra = [_zero_on_the_fly(conn, where, periods[i], i) for i in zero_missing]
    frames = [r for r in [rows, *extra] if len(r)]
    empty = Part(np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    if not frames:
        return empty
    rows = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    pidx, key = rows["pidx"].to_numpy(dtype=np.int64), rows["key"].to_numpy(dtype=np.int64)
    end = pd.to_datetime(rows["period_end"]).to_numpy().astype("datetime64[D]").astype(np.int64) \
        if rows["period_end"].dtype == object else rows["period_end"].to_numpy(dtype=np.int64)
    is_stated = (rows["kind"] == "stated").to_numpy(dtype=float)
    parts = []
    for family, total, part in (("units", "units_total", "units_zero_activity"),
                                ("agencies", "agencies_total", "agencies_with_agreement")):
        mid = next(m for m in COUNT_IDS if FAMILY[m] == family)
        num, den = rows[part].to_numpy(dtype=float), rows[total].to_numpy(dtype=float)
        real = rows[f"{family}_real"].to_numpy(dtype=float)
        ok = ~np.isnan(num) & ~np.isnan(den)
        ok &= ~((rows["kind"] == "agreements").to_numpy() & (num <= 0))
        if not ok.any():
            continue
        sub = np.flatnonzero(ok)
        pick = sub[_pick(pidx[sub], key[sub], is_stated[sub], (real[sub] > 0).astype(float), end[sub])]
        p = Part(pidx[pick], key[pick])
        p.cols[f"{mid}:num"], p.cols[f"{mid}:den"] = num[pick], den[pick]
        p.cols[f"{mid}:real"] = real[pick]
        p.cols[f"{mid}:demo"] = rows[f"{family}_demo"].to_numpy(dtype=float)[pick]
        p.cols[f"b:{family}"] = rows["batches"].to_numpy(dtype=object)[pick]
        parts.append(p)
    if not parts:
        return empty
    if len(parts) == 1:
        return parts[0]
    merged = _merge(parts)  # both families, matched on (pidx, key)
    out = Part(merged["pidx"].to_numpy(), merged["key"].to_numpy())
    for p in parts:
        for c in p.cols:
            out.cols[c] = merged[c].to_numpy()
    return out


def _is_standard(p: P.Period) -> bool:
    if p.kind in STANDARD:
        return True
    return p.start.month == 1 and p.start.day == 1 and p.start.year == p.end.year and month_aligned(p.start, p.end)


def _zero_on_the_fly(conn: Connection, where: Where, per: P.Period, pidx: int) -> pd.DataFrame:
    """Zero activity over a period no stored count covers (e.g. "2017-2019"), from the communes'
    stored months."""
    df = fetch.commune_online_sums(conn, where.scheme or "legacy", where.province, per)
    if df.empty:
        return df
    df = df[df["months"] == months_spanned(per.start, per.end)]
    if where.level == "country":
        df = df.assign(country=where.keys[0] if where.keys else 0)
    by = {"province": "province", "country": "country"}.get(where.level, "parent")
    df = df.assign(_z=(pd.to_numeric(df["online"]) == 0).astype(int), _r=(pd.to_numeric(df["real"]) > 0),
                   _d=(pd.to_numeric(df["demo"]) > 0))
    g = df.groupby(by)
    out = pd.DataFrame({"units_total": g.size(), "units_zero_activity": g["_z"].sum(),
                        "units_real": g["_r"].any().astype(int), "units_demo": g["_d"].any().astype(int),
                        "batches": g["batches"].agg(join_ids)}).reset_index().rename(columns={by: "key"})
    out = out.assign(kind="zero", pidx=pidx, period_start=per.start, period_end=per.end,
                     agencies_total=np.nan, agencies_with_agreement=np.nan, agencies_real=np.nan,
                     agencies_demo=np.nan)
    if where.keys is not None:
        out = out[out["key"].isin(where.keys)]
    return out


# --- together -------------------------------------------------------------------------------


def wide(conn: Connection, where: Where, periods: list[P.Period], complete: bool = True,
         metric_ids: list[str] | None = None) -> pd.DataFrame:
    """Every indicator per (pidx, key) for the units ``where`` selects (columns ``WIDE``); with
    ``metric_ids`` only those are read (the others come back unknown)."""
    if not periods:
        return _empty_wide()
    wanted = set(ALL_IDS if metric_ids is None else metric_ids)
    empty = Part(np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    dossier = [m for m in DOSSIER_IDS if m in wanted]
    return _merge([_dossier(conn, where, periods, complete, dossier) if dossier else empty,
                   _offers(conn, where, periods) if wanted & set(OFFER_IDS) else empty,
                   _counts(conn, where, periods) if wanted & set(COUNT_IDS) else empty])


def total(w: pd.DataFrame, key: int = 0) -> pd.DataFrame:
    """Units' indicators added up (the country from its provinces; today's units from the old
    ones): pairs and provenance counts summed per pidx, batch ids joined."""
    if w.empty:
        return _empty_wide()
    return sum_by(w.assign(key=key), ["pidx", "key"])


def sum_by(w: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    g = w.groupby(by, sort=False)
    nums = [*PAIR, *FLAG, "reporting", *OFFER_COUNTS]
    out = g[nums].sum(min_count=1)
    known = g[[f"{mid}:num" for mid in ALL_IDS]].count() > 0  # a pair is known where any unit gives it
    for mid in ALL_IDS:
        unknown = ~known[f"{mid}:num"].to_numpy()
        if unknown.any():
            out.loc[unknown, [f"{mid}:num", f"{mid}:den"]] = np.nan
    out["months"] = g["months"].max()
    out["months_expected"] = g["months_expected"].max()
    for c in BATCH_COLS:
        first, n = g[c].first(), g[c].nunique()
        out[c] = first
        many = n[n > 1].index
        if len(many):
            out.loc[many, c] = w.set_index(by).loc[many, c].groupby(level=list(range(len(by)))).agg(join_ids)
    return out.reset_index()[WIDE]


# --- long format ----------------------------------------------------------------------------


def batch_names(conn: Connection) -> pd.DataFrame:
    rows = conn.execute(select(load_batch.c.id, load_batch.c.file_name, load_batch.c.dataset)).all()
    return pd.DataFrame(rows, columns=["id", "file_name", "dataset"]).set_index("id")


def _source(ids: str, dataset: str, names: dict[int, tuple[str, str]]) -> str:
    """File names of the batches behind an indicator; only the real (demo) ones when it is
    real (demo) only."""
    rows = [names[int(x)] for x in ids.split(",") if x and int(x) in names]
    if dataset in ("real", "demo"):
        kept = [r for r in rows if r[1] == dataset]
        rows = kept or rows
    return "; ".join(sorted({r[0] for r in rows}))


def long(w: pd.DataFrame, periods: list[P.Period], describe: pd.DataFrame, names: pd.DataFrame,
         metric_ids: list[str] | None = None) -> pd.DataFrame:
    """One row per unit, period and indicator (columns ``METRIC_COLS``). ``describe``: level,
    scheme, code and name by key."""
    if w.empty:
        return pd.DataFrame(columns=METRIC_COLS)
    pidx, key = w["pidx"].to_numpy(dtype=np.int64), w["key"].to_numpy(dtype=np.int64)
    months, expected = w["months"].to_numpy(dtype=float), w["months_expected"].to_numpy(dtype=float)
    cols: dict[str, list[np.ndarray]] = {c: [] for c in ("pidx", "key", "metric", "numerator", "denominator",
                                                          "_real", "_demo", "_b", "months", "months_expected",
                                                          "dossier")}
    for mid in (ALL_IDS if metric_ids is None else metric_ids):
        num, den = w[f"{mid}:num"].to_numpy(dtype=float), w[f"{mid}:den"].to_numpy(dtype=float)
        ok = ~np.isnan(num) & ~np.isnan(den) & (den > 0)
        if not ok.any():
            continue
        n = int(ok.sum())
        dossier = FAMILY[mid] == "dossier"
        cols["pidx"].append(pidx[ok])
        cols["key"].append(key[ok])
        cols["metric"].append(np.full(n, mid, dtype=object))
        cols["numerator"].append(num[ok])
        cols["denominator"].append(den[ok])
        cols["_real"].append(w[f"{mid}:real"].to_numpy(dtype=float)[ok])
        cols["_demo"].append(w[f"{mid}:demo"].to_numpy(dtype=float)[ok])
        cols["_b"].append(w[f"b:{FAMILY[mid]}"].to_numpy(dtype=object)[ok])
        cols["months"].append(months[ok] if dossier else np.full(n, np.nan))
        cols["months_expected"].append(expected[ok] if dossier else np.full(n, np.nan))
        cols["dossier"].append(np.full(n, dossier))
    if not cols["key"]:
        return pd.DataFrame(columns=METRIC_COLS)
    a = {c: np.concatenate(v) for c, v in cols.items()}
    real, demo = np.nan_to_num(a["_real"]) > 0, np.nan_to_num(a["_demo"]) > 0
    dataset = np.where(real & demo, "mixed", np.where(real, "real", np.where(demo, "demo", ""))).astype(object)
    lookup = {int(i): (f, d) for i, f, d in zip(names.index, names["file_name"], names["dataset"], strict=True)}
    cache: dict[tuple[str, str], str] = {}
    source = np.empty(len(dataset), dtype=object)
    for i, (b, d) in enumerate(zip(a["_b"], dataset, strict=True)):
        k = (b, d)
        if k not in cache:
            cache[k] = _source(b or "", d, lookup)
        source[i] = cache[k]
    with np.errstate(invalid="ignore", divide="ignore"):
        subjects = np.where(a["dossier"], np.round((np.nan_to_num(a["_real"]) + np.nan_to_num(a["_demo"]))
                                                   / np.where(a["months"] > 0, a["months"], np.nan)), np.nan)
        coverage = a["months"] / a["months_expected"]
    d = describe.reindex(a["key"])
    starts = np.array([p.start for p in periods], dtype=object)
    ends = np.array([p.end for p in periods], dtype=object)
    labels = np.array([p.label for p in periods], dtype=object)
    out = pd.DataFrame({
        "key": a["key"], "level": d["level"].to_numpy(), "scheme": d["scheme"].to_numpy(),
        "code": d["code"].to_numpy(), "name": d["name"].to_numpy(), "dataset": dataset, "source": source,
        "period_start": starts[a["pidx"]], "period_end": ends[a["pidx"]], "period_label": labels[a["pidx"]],
        "metric": a["metric"], "numerator": a["numerator"], "denominator": a["denominator"],
        "value": a["numerator"] / a["denominator"], "months": a["months"], "months_expected": a["months_expected"],
        "coverage": coverage, "subjects": subjects})
    return out[out["code"].notna()].reset_index(drop=True)


__all__ = ["HEAT_COLS", "METRIC_COLS", "Where", "batch_names", "long", "sum_by", "total", "wide"]

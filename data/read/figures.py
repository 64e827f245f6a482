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

from datetime import date

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
    join_ids,
    month_aligned,
    months_spanned,
    pairs_from_parts,
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
STANDARD = {"month", "quarter", "half", "9m", "year"}


def _empty_wide() -> pd.DataFrame:
    return pd.DataFrame(columns=WIDE)


# --- dossier indicators ---------------------------------------------------------------------


def _dossier(conn: Connection, where: Where, periods: list[P.Period], complete: bool) -> pd.DataFrame:
    sums = fetch.dossier_month_sums(conn, where, periods)
    one_month = np.array([p.kind == "month" or months_spanned(p.start, p.end) == 1 and month_aligned(p.start, p.end)
                          for p in periods])
    expected = np.array([months_spanned(p.start, p.end) for p in periods])
    if len(sums):
        pidx = sums["pidx"].astype(int).to_numpy()
        if complete:
            sums = sums[sums["months"].to_numpy() == expected[pidx]]
            pidx = sums["pidx"].astype(int).to_numpy()
        pairs = pairs_from_parts(sums, one_month[pidx])
        sums = pd.concat([sums[["pidx", "key", "months", "reporting", "batches"]], pairs, sums[[
            f"{mid}__{d}" for mid in DOSSIER_IDS for d in ("real", "demo")]]], axis=1)
    stated = fetch.dossier_stated(conn, where, periods)
    if len(stated):
        sp = pairs_from_parts(stated, True)
        stated = pd.concat([stated[["pidx", "key", "months", "reporting", "batches"]], sp, stated[[
            f"{mid}__{d}" for mid in DOSSIER_IDS for d in ("real", "demo")]]], axis=1)
        if len(sums):
            keep = ~pd.MultiIndex.from_frame(sums[["pidx", "key"]]).isin(pd.MultiIndex.from_frame(stated[["pidx",
                                                                                                          "key"]]))
            sums = pd.concat([sums[keep], stated], ignore_index=True)
        else:
            sums = stated
    if not len(sums):
        return pd.DataFrame(columns=["pidx", "key"])
    out = sums.rename(columns={f"{mid}__{d}": f"{mid}:{d}" for mid in DOSSIER_IDS for d in ("real", "demo")})
    for mid in DOSSIER_IDS:  # provenance only where the indicator is known
        known = out[f"{mid}:num"].notna() & out[f"{mid}:den"].notna()
        for d in ("real", "demo"):
            out[f"{mid}:{d}"] = out[f"{mid}:{d}"].where(known)
    out["months_expected"] = expected[out["pidx"].astype(int).to_numpy()]
    return out.rename(columns={"batches": "b:dossier"})


# --- procedure offers -----------------------------------------------------------------------


def _best(df: pd.DataFrame, keys: list[str], order: list[str]) -> pd.DataFrame:
    """The first row per ``keys`` when sorted by ``order`` descending."""
    return df.sort_values(order, ascending=False, kind="stable").drop_duplicates(keys)


def _offers(conn: Connection, where: Where, periods: list[P.Period]) -> pd.DataFrame:
    rows = fetch.offer_rows(conn, where, periods)
    if rows.empty:
        return pd.DataFrame(columns=["pidx", "key"])
    parts = []
    for mid in OFFER_IDS:
        r = rows[rows[f"{mid}__num"].notna() & rows[f"{mid}__den"].notna()]
        if r.empty:
            continue
        r = r.assign(_n=r[f"{mid}__real"] + r[f"{mid}__demo"], _real=(r[f"{mid}__real"] > 0).astype(int))
        best = _best(r, ["pidx", "key"], [f"{mid}__stated", "_n", "_real", "period_end"])
        parts.append(best[["pidx", "key", f"{mid}__num", f"{mid}__den", f"{mid}__real", f"{mid}__demo", "batches"]]
                     .rename(columns={f"{mid}__num": f"{mid}:num", f"{mid}__den": f"{mid}:den",
                                      f"{mid}__real": f"{mid}:real", f"{mid}__demo": f"{mid}:demo",
                                      "batches": f"_b_{mid}"}).set_index(["pidx", "key"]))
    # the raw counts (departments page) of the best snapshot as a whole
    stated_any = rows[[f"{m}__stated" for m in OFFER_IDS]].max(axis=1)
    real_any = (rows[[f"{m}__real" for m in OFFER_IDS]].sum(axis=1) > 0).astype(int)
    whole = _best(rows.assign(_s=stated_any, _r=real_any), ["pidx", "key"], ["_s", "_r", "period_end"])
    out = whole.set_index(["pidx", "key"])[list(OFFER_COUNTS)]
    for p in parts:
        out = out.join(p, how="outer")
    bcols = [c for c in out.columns if c.startswith("_b_")]
    out["b:offer"] = [join_ids(v) for v in out[bcols].itertuples(index=False, name=None)] if bcols else ""
    return out.drop(columns=bcols).reset_index()


# --- counts ---------------------------------------------------------------------------------


def _counts(conn: Connection, where: Where, periods: list[P.Period]) -> pd.DataFrame:
    rows = fetch.count_rows(conn, where, periods)
    zero_missing = [i for i, p in enumerate(periods) if where.level in ("province", "district")
                    and month_aligned(p.start, p.end) and not _is_standard(p)]
    extra = [_zero_on_the_fly(conn, where, periods[i], i) for i in zero_missing]
    rows = pd.concat([r for r in [rows, *extra] if len(r)], ignore_index=True) if len(rows) or any(
        len(e) for e in extra) else rows
    if rows.empty:
        return pd.DataFrame(columns=["pidx", "key"])
    out = None
    for family, total, part in (("units", "units_total", "units_zero_activity"),
                                ("agencies", "agencies_total", "agencies_with_agreement")):
        mid = next(m for m in COUNT_IDS if FAMILY[m] == family)
        r = rows[rows[total].notna() & rows[part].notna()]
        if r.empty:
            continue
        r = r.assign(_stated=(r["kind"] == "stated").astype(int), _real=(r[f"{family}_real"] > 0).astype(int))
        r = r[~((r["kind"] == "agreements") & (r[part] <= 0))]
        best = _best(r, ["pidx", "key"], ["_stated", "_real", "period_end"])
        best = best[["pidx", "key", part, total, f"{family}_real", f"{family}_demo", "batches"]].rename(columns={
            part: f"{mid}:num", total: f"{mid}:den", f"{family}_real": f"{mid}:real",
            f"{family}_demo": f"{mid}:demo", "batches": f"b:{family}"})
        out = best if out is None else out.merge(best, on=["pidx", "key"], how="outer")
    return out if out is not None else pd.DataFrame(columns=["pidx", "key"])


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
    by = "province" if where.level == "province" else "parent"
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


def wide(conn: Connection, where: Where, periods: list[P.Period], complete: bool = True) -> pd.DataFrame:
    """Every indicator per (pidx, key) for the units ``where`` selects (columns ``WIDE``)."""
    if not periods:
        return _empty_wide()
    parts = [f for f in (_dossier(conn, where, periods, complete), _offers(conn, where, periods),
                         _counts(conn, where, periods)) if len(f)]
    if not parts:
        return _empty_wide()
    out = parts[0]
    for p in parts[1:]:
        out = out.merge(p, on=["pidx", "key"], how="outer")
    for c in WIDE:
        if c not in out:
            out[c] = "" if c.startswith("b:") else np.nan
    for c in BATCH_COLS:
        out[c] = out[c].fillna("")
    out["pidx"] = out["pidx"].astype(int)
    out["key"] = out["key"].astype(np.int64)
    return out[WIDE].reset_index(drop=True)


def total(w: pd.DataFrame, key: int = 0) -> pd.DataFrame:
    """Units' indicators added up (the country from its provinces; today's units from the old
    ones): pairs and provenance counts summed per pidx, batch ids joined."""
    if w.empty:
        return _empty_wide()
    w = w.copy()
    w["key"] = key if np.isscalar(key) else key
    return sum_by(w, ["pidx", "key"])


def sum_by(w: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    g = w.groupby(by, sort=False)
    nums = [*PAIR, *FLAG, "reporting", *OFFER_COUNTS]
    out = g[nums].sum(min_count=1)
    for mid in ALL_IDS:  # a pair is known where any unit gives it
        known = g[f"{mid}:num"].count() > 0
        out.loc[~known, [f"{mid}:num", f"{mid}:den"]] = np.nan
    out["months"] = g["months"].max()
    out["months_expected"] = g["months_expected"].max()
    for c in BATCH_COLS:
        out[c] = g[c].agg(join_ids)
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
    frames = []
    for mid in metric_ids or ALL_IDS:
        num, den = pd.to_numeric(w[f"{mid}:num"]), pd.to_numeric(w[f"{mid}:den"])
        ok = num.notna() & den.notna() & (den > 0)
        if not ok.any():
            continue
        part = w.loc[ok, ["pidx", "key", "months", "months_expected", f"{mid}:real", f"{mid}:demo",
                          f"b:{FAMILY[mid]}"]].copy()
        part.columns = ["pidx", "key", "months", "months_expected", "_real", "_demo", "_b"]
        part["metric"], part["numerator"], part["denominator"] = mid, num[ok], den[ok]
        frames.append(part)
    if not frames:
        return pd.DataFrame(columns=METRIC_COLS)
    out = pd.concat(frames, ignore_index=True)
    real, demo = out["_real"].fillna(0) > 0, out["_demo"].fillna(0) > 0
    out["dataset"] = np.where(real & demo, "mixed", np.where(real, "real", np.where(demo, "demo", "")))
    lookup = {int(i): (f, d) for i, f, d in zip(names.index, names["file_name"], names["dataset"], strict=True)}
    cache: dict[tuple[str, str], str] = {}
    sources = []
    for b, d in zip(out["_b"], out["dataset"], strict=True):
        if (b, d) not in cache:
            cache[(b, d)] = _source(b, d, lookup)
        sources.append(cache[(b, d)])
    out["source"] = sources
    out["value"] = out["numerator"] / out["denominator"]
    dossier = out["metric"].map(lambda m: FAMILY[m] == "dossier")
    n_months = out["months"].where(out["months"] > 0)
    out["subjects"] = ((out["_real"].fillna(0) + out["_demo"].fillna(0)) / n_months).round().where(dossier)
    out.loc[~dossier, ["months", "months_expected"]] = np.nan
    out["coverage"] = out["months"] / out["months_expected"]
    out["period_start"] = out["pidx"].map({i: p.start for i, p in enumerate(periods)})
    out["period_end"] = out["pidx"].map({i: p.end for i, p in enumerate(periods)})
    out["period_label"] = out["pidx"].map({i: p.label for i, p in enumerate(periods)})
    d = describe.reindex(out["key"].to_numpy())
    for c in ("level", "scheme", "code", "name"):
        out[c] = d[c].to_numpy()
    out = out[out["code"].notna()]
    return out[METRIC_COLS].reset_index(drop=True)


__all__ = ["METRIC_COLS", "Where", "batch_names", "long", "sum_by", "total", "wide", "date"]

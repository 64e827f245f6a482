"""As-of figures: procedure offers (snapshots), stated unit/agency counts and the counts
computed where nobody states them.

- Offers: per unit and snapshot date, the unit's stated catalogue (scope 'total') where there
  is one, indicator by indicator, otherwise the sum of its subjects' snapshots of that date
  (real replacing demo per subject). The read side takes, per indicator, the best snapshot
  inside the period (data/read/figures.py).
- Stated counts (count_stat) stay with the unit or agency they were stated for.
- Zero activity: for each standard period (months, quarters, halves, 9 months, years, January
  to any month), the communes under each district and province whose months cover the period,
  and those of them without an online dossier in it (communes without figures are unknown,
  not zero).
- Agreements: the agencies of the province valid on a day and those of them with a postal
  agreement signed by then, stored at every day that count changes.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from data import periods as P
from data.build.facts import SUBJECT, offer_metrics
from data.build.overlay import standard_periods
from data.build.rollup import Groups, roll_up
from data.schema import OFFER_COUNTS
from data.store import join_ids


def offer_groups() -> Groups:
    by_metric = {m: [f"{m}__num", f"{m}__den", f"{m}__stated", f"{m}__real", f"{m}__demo"] for m in offer_metrics()}
    return Groups(by_metric, {m: f"{m}__num" for m in offer_metrics()}, whole=list(OFFER_COUNTS),
                  reset_on_roll=[f"{m}__stated" for m in offer_metrics()], largest=["_start"])


def offers(subjects: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """agg_offer rows for the subjects' snapshots. A unit's snapshot is named by the earliest
    start of the stored periods behind it (a quarter's offers: the quarter)."""
    if subjects.empty:
        return pd.DataFrame()
    day = pd.to_datetime(subjects["period_start"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    out = roll_up(subjects.assign(_start=-day.astype(float)), units, offer_groups(), ["period_end"])
    out["period_start"] = (-out.pop("_start").to_numpy(dtype=float)).astype(np.int64).astype("datetime64[D]") \
        .astype(object)
    return out


def stated_counts(counts: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """agg_count rows of kind 'stated': the counts where they were stated (no roll-up)."""
    if counts.empty:
        return pd.DataFrame()
    c = counts.copy()
    dep = c["agency_id"].notna()
    c["level"] = np.where(dep, "department", c["unit_id"].map(units["level"]))
    c["key"] = np.where(dep, c["agency_id"].fillna(0).astype(np.int64), c["unit_id"]).astype(np.int64)
    c["province"] = c["unit_id"].map(units["province_id"]).astype(np.int64)
    c["parent"] = np.where(dep, c["unit_id"], c["unit_id"].map(units["parent_id"]).fillna(0)).astype(np.int64)
    c["scheme"] = c["unit_id"].map(units["scheme"])
    keys = ["level", "key", "scheme", "parent", "province", "period_start", "period_end", "dataset"]
    g = c.groupby(keys, dropna=False)
    out = g[["units_total", "units_zero_activity", "agencies_total", "agencies_with_agreement"]].sum(min_count=1)
    out["batches"] = g["batches"].agg(join_ids)
    out = out.reset_index()
    real, demo = (out["dataset"] == "real").astype(int), (out["dataset"] == "demo").astype(int)
    units_known = out["units_total"].notna() & out["units_zero_activity"].notna()
    ag_known = out["agencies_total"].notna() & out["agencies_with_agreement"].notna()
    out["units_real"], out["units_demo"] = real.where(units_known), demo.where(units_known)
    out["agencies_real"], out["agencies_demo"] = real.where(ag_known), demo.where(ag_known)
    # a real and a demo count of the same unit and period: the real one
    out = out.sort_values("dataset", key=lambda s: s != "real").drop_duplicates(
        ["level", "key", "period_start", "period_end"])
    return out.drop(columns="dataset").assign(kind="stated")


def zero_activity(unit_months: pd.DataFrame, units: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """agg_count rows of kind 'zero' for the districts and provinces of ``unit_months``."""
    com = unit_months[(unit_months["level"] == "commune")]
    com = com[com["online_intake_share__nf"].notna()]
    if com.empty or not years:
        return pd.DataFrame()
    keys = np.sort(com["key"].unique())
    first = years[0]
    n_months = 12 * (years[-1] - first + 1)
    starts = pd.to_datetime(com["period_start"])
    col = ((starts.dt.year - first) * 12 + starts.dt.month - 1).to_numpy()
    ok = (col >= 0) & (col < n_months)
    com, col = com[ok], col[ok]
    rows = np.searchsorted(keys, com["key"].to_numpy())
    present = np.zeros((len(keys), n_months), dtype=bool)
    value = np.zeros((len(keys), n_months))
    real = np.zeros((len(keys), n_months), dtype=bool)
    demo = np.zeros((len(keys), n_months), dtype=bool)
    present[rows, col] = True
    value[rows, col] = com["online_intake_share__nf"].to_numpy(dtype=float)
    real[rows, col] = com["online_intake_share__real"].to_numpy() > 0
    demo[rows, col] = com["online_intake_share__demo"].to_numpy() > 0
    by_level = {}
    for level, col_name in (("province", "province_id"), ("district", "district_id")):
        parent = units.loc[keys, col_name]
        has = parent.notna().to_numpy()
        if not has.any():
            continue
        codes, uniques = pd.factorize(parent[has].astype(np.int64))
        # the batches behind each unit's communes in each month (a period joins its months')
        per_month = com.assign(_p=com["key"].map(units[col_name]), _m=col).dropna(subset=["_p"]) \
            .groupby(["_p", "_m"])["batches"].agg(lambda s: set(",".join(s).split(",")))
        batches: dict[int, dict[int, set]] = {}
        for (unit_key, month), ids in per_month.items():
            batches.setdefault(int(unit_key), {})[int(month)] = ids
        by_level[level] = (has, codes, uniques.to_numpy(), batches)
    pers = [p for y in years for p in [*[P.month(y, m) for m in range(1, 13)], *standard_periods(y, y)]]
    out = []
    for per in pers:
        a = (per.start.year - first) * 12 + per.start.month - 1
        b = (per.end.year - first) * 12 + per.end.month
        covered = present[:, a:b].all(axis=1)
        if not covered.any():
            continue
        zero = covered & (value[:, a:b].sum(axis=1) == 0)
        r, d = real[:, a:b].any(axis=1) & covered, demo[:, a:b].any(axis=1) & covered
        for level, (has, codes, uniques, batches) in by_level.items():
            n = len(uniques)
            total = np.bincount(codes, weights=covered[has], minlength=n)
            keep = total > 0
            if not keep.any():
                continue
            res = pd.DataFrame({
                "key": uniques[keep], "units_total": total[keep],
                "units_zero_activity": np.bincount(codes, weights=zero[has], minlength=n)[keep],
                "units_real": (np.bincount(codes, weights=r[has], minlength=n)[keep] > 0).astype(int),
                "units_demo": (np.bincount(codes, weights=d[has], minlength=n)[keep] > 0).astype(int)})
            res["level"], res["period_start"], res["period_end"] = level, per.start, per.end
            res["batches"] = [join_ids(set().union(*[batches.get(int(k), {}).get(m, set()) for m in range(a, b)]))
                              for k in res["key"]]
            out.append(res)
    if not out:
        return pd.DataFrame()
    res = pd.concat(out, ignore_index=True)
    res["province"] = res["key"].map(units["province_id"]).astype(np.int64)
    res["parent"] = res["key"].map(units["parent_id"]).fillna(0).astype(np.int64)
    res["scheme"] = res["key"].map(units["scheme"])
    return res.assign(kind="zero")


def agreements(signed: pd.DataFrame, agencies: pd.DataFrame, units: pd.DataFrame, provinces: list[int]
               ) -> pd.DataFrame:
    """agg_count rows of kind 'agreements' for ``provinces``: one row at every day the count
    changes (a signature, an agency created or merged), valid until the next row."""
    if signed.empty or agencies.empty:
        return pd.DataFrame()
    signed = signed[signed["unit_id"].isin(provinces)]
    if signed.empty:
        return pd.DataFrame()
    signed = signed.assign(signed_on=pd.to_datetime(signed["signed_on"]).dt.date)
    first_signed = signed.groupby("agency_id")["signed_on"].min()
    out = []
    for prov, rows in signed.groupby("unit_id"):
        ag = agencies[agencies["unit_id"] == prov]
        start = rows["signed_on"].min()
        days = {start, *rows["signed_on"], *[d for d in ag["valid_from"].dropna() if d > start],
                *[d + timedelta(days=1) for d in ag["valid_to"].dropna() if d >= start]}
        done = ag["id"].map(first_signed)
        for day in sorted(days):
            valid = (ag["valid_from"].isna() | (ag["valid_from"] <= day)) & (ag["valid_to"].isna() | (ag["valid_to"] >= day))
            ok = valid & done.notna() & (done <= day)
            out.append({"key": int(prov), "period_start": day, "period_end": day, "agencies_total": int(valid.sum()),
                        "agencies_with_agreement": int(ok.sum()), "batches": join_ids(rows["batch_id"]),
                        "agencies_real": int((rows["dataset"] == "real").any()),
                        "agencies_demo": int((rows["dataset"] == "demo").any())})
    res = pd.DataFrame(out)
    res["level"], res["province"], res["parent"] = "province", res["key"], 0
    res["scheme"] = res["key"].map(units["scheme"])
    return res.assign(kind="agreements")


__all__ = ["SUBJECT", "agreements", "offers", "stated_counts", "zero_activity"]

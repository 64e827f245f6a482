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
                  reset_on_roll=[f"{m}__stated" for m in offer_metrics()])


def offers(subjects: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """agg_offer rows for the subjects' snapshots."""
    if subjects.empty:
        return pd.DataFrame()
    starts = subjects.groupby("period_end")["period_start"].min()
    out = roll_up(subjects, units, offer_groups(), ["period_end"])
    out["period_start"] = out["period_end"].map(starts)
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
    if com.empty or not years:
        return pd.DataFrame()
    online = com["online_intake_share__nf"]
    com = com[online.notna()]
    if com.empty:
        return pd.DataFrame()
    keys = np.sort(com["key"].unique())
    row_of = {k: i for i, k in enumerate(keys)}
    first = years[0]
    n_months = 12 * (years[-1] - first + 1)
    col = np.array([(d.year - first) * 12 + d.month - 1 for d in com["period_start"]])
    ok = (col >= 0) & (col < n_months)
    com, col = com[ok], col[ok]
    rows = com["key"].map(row_of).to_numpy()
    present = np.zeros((len(keys), n_months), dtype=bool)
    value = np.zeros((len(keys), n_months))
    real = np.zeros((len(keys), n_months), dtype=bool)
    demo = np.zeros((len(keys), n_months), dtype=bool)
    present[rows, col] = True
    value[rows, col] = com["online_intake_share__nf"].to_numpy(dtype=float)
    real[rows, col] = com["online_intake_share__real"].to_numpy() > 0
    demo[rows, col] = com["online_intake_share__demo"].to_numpy() > 0
    batches = com.groupby("key")["batches"].agg(join_ids).reindex(keys).to_numpy()
    province = units.loc[keys, "province_id"].to_numpy(dtype=np.int64)
    district = units.loc[keys, "district_id"].to_numpy()
    scheme = units.loc[keys, "scheme"].to_numpy()
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
        frame = pd.DataFrame({"province": province, "district": district, "scheme": scheme, "covered": covered,
                              "zero": zero, "real": r, "demo": d, "batches": batches})[covered]
        for level, by in (("province", "province"), ("district", "district")):
            part = frame[frame[by].notna()]
            if part.empty:
                continue
            g = part.groupby(by)
            res = pd.DataFrame({"units_total": g["covered"].sum(), "units_zero_activity": g["zero"].sum(),
                                "units_real": g["real"].any().astype(int), "units_demo": g["demo"].any().astype(int),
                                "batches": g["batches"].agg(join_ids), "scheme": g["scheme"].first()})
            res = res.reset_index().rename(columns={by: "key"})
            res["key"] = res["key"].astype(np.int64)
            res["level"] = level
            res["province"] = res["key"].map(units["province_id"]).astype(np.int64)
            res["parent"] = res["key"].map(units["parent_id"]).fillna(0).astype(np.int64)
            out.append(res.assign(period_start=per.start, period_end=per.end))
    if not out:
        return pd.DataFrame()
    return pd.concat(out, ignore_index=True).assign(kind="zero")


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

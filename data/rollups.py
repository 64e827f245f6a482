"""Monthly metric pairs per province and district, computed once per data version.

Trend charts ask for many periods at once; summing pairs from this table is instant, where
aggregating raw rows period by period would take seconds at national size. Built from the
same rules as ``data.aggregate`` (real before demo per subject, pairs per subject), for
monthly 'own' rows only; stated totals and non-monthly periods stay with ``data.queries``.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select

from data import metrics
from data.aggregate import frame, units_frame
from data.cache import cached
from data.schema import DOSSIER_COUNTS, dossier_stat, load_batch, period


@cached
def monthly_pairs(engine: Engine) -> pd.DataFrame:
    """Columns: scheme, province_id, district_id, month (date), dataset, '<metric>:num/den'."""
    units = units_frame(engine)
    q = (
        select(dossier_stat.c.unit_id, dossier_stat.c.agency_id, period.c.start_date.label("month"),
               load_batch.c.dataset, *[dossier_stat.c[c] for c in DOSSIER_COUNTS])
        .join(period, period.c.id == dossier_stat.c.period_id)
        .join(load_batch, load_batch.c.id == dossier_stat.c.batch_id)
        .where(period.c.kind == "month", dossier_stat.c.scope == "own", load_batch.c.status == "active")
    )
    with engine.connect() as conn:
        df = frame(conn, q)
    if df.empty:
        return df
    # real before demo for the same subject and month
    df["_real"] = (df["dataset"] == "real").astype(int)
    df = df.sort_values("_real").drop_duplicates(["unit_id", "agency_id", "month"], keep="last")
    counts = df[list(DOSSIER_COUNTS)].apply(pd.to_numeric, errors="coerce")
    pairs = metrics.pairs(counts, "dossier")
    keys = pd.DataFrame({
        "scheme": df["unit_id"].map(units["scheme"]).values,
        "province_id": df["unit_id"].map(units["province_id"]).values,
        "district_id": df["unit_id"].map(units["district_id"]).values,
        "month": df["month"].values,
        "dataset": df["dataset"].values,
    })
    full = pd.concat([keys.reset_index(drop=True), pairs.reset_index(drop=True)], axis=1)
    group = ["scheme", "province_id", "district_id", "month", "dataset"]
    return full.groupby(group, dropna=False, sort=True).sum(min_count=1).reset_index()


def trend(engine: Engine, scheme: str, province_id: int | list[int] | None = None, district_id: int | None = None,
          freq: str = "quarter", metric_ids: list[str] | None = None) -> pd.DataFrame:
    """Long frame (period_start, metric, numerator, denominator, value, dataset) of a province
    (or several provinces together: the old provinces of a merged one), a district or the whole
    country (both None), by month / quarter / year."""
    return _summed(engine, scheme, province_id, district_id, freq, metric_ids, by=None)


def by_unit(engine: Engine, scheme: str, level: str, province_id: int | None = None, freq: str = "quarter",
            metric_ids: list[str] | None = None) -> pd.DataFrame:
    """Like ``trend`` with one series per province (``level='province'``) or per district of a
    province (``level='district'``): the extra column ``key`` is the unit id."""
    col = {"province": "province_id", "district": "district_id"}[level]
    out = _summed(engine, scheme, province_id, None, freq, metric_ids, by=col)
    return out.rename(columns={col: "key"})


def _summed(engine: Engine, scheme: str, province_id: int | list[int] | None, district_id: int | None, freq: str,
            metric_ids: list[str] | None, by: str | None) -> pd.DataFrame:
    df = monthly_pairs(engine)
    empty = pd.DataFrame(columns=[*([by] if by else []), "period_start", "metric", "numerator", "denominator",
                                  "value", "dataset"])
    if df.empty:
        return empty
    df = df[df["scheme"] == scheme]
    if isinstance(province_id, list):
        df = df[df["province_id"].isin(province_id)]
    elif province_id is not None:
        df = df[df["province_id"] == province_id]
    if district_id is not None:
        df = df[df["district_id"] == district_id]
    if by is not None:
        df = df[df[by].notna()]
    if df.empty:
        return empty
    month = pd.to_datetime(df["month"])
    start = {"month": month, "quarter": month.dt.to_period("Q").dt.start_time,
             "year": month.dt.to_period("Y").dt.start_time}[freq]
    pair_cols = [c for c in df.columns if ":" in c]
    keys = [by, "period_start"] if by else ["period_start"]
    g = df.assign(period_start=start.values).groupby(keys)
    summed = g[pair_cols].sum(min_count=1)
    n_months = g["month"].nunique()
    summed["dataset"] = g["dataset"].agg(lambda s: s.iloc[0] if s.nunique() == 1 else "mixed")
    expected = {"month": 1, "quarter": 3, "year": 12}[freq]
    summed = summed[n_months == expected].reset_index()  # complete periods only
    summed["dataset"] = summed["dataset"].astype(str)
    long = metrics.from_pairs(summed, [*keys, "dataset"], metric_ids)
    long["period_start"] = pd.to_datetime(long["period_start"]).dt.date
    if by:
        long[by] = long[by].astype(int)
    return long

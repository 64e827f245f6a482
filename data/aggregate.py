"""Aggregation of stored figures to a requested period and to territorial units.

Rules (DESIGN.md, "one way data flow"):
- A stored row whose period equals the requested period is used as it is; otherwise rows of
  sub-periods lying inside the requested period are aggregated: flows are summed, the
  carried-over stock is the first sub-period's, in-progress stocks are the last one's.
- For one subject (unit, agency, scope), rows of 'real' batches win over 'demo' rows, and
  exact-period rows win over aggregated ones. Real and demo figures are never added together.
- A unit's figure is its scope 'total' rows when a source states them; otherwise the sum of
  the scope 'own' rows of the unit and everything below it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, and_, case, func, select

from data.periods import Period
from data.schema import (
    COUNT_MEASURES,
    DOSSIER_COUNTS,
    OFFER_COUNTS,
    agency,
    agency_type,
    count_stat,
    dossier_stat,
    load_batch,
    period,
    postal_agreement,
    unit,
)

STOCK_FIRST = ("received_carried",)
STOCK_LAST = ("pending_total", "pending_within", "pending_overdue")
EXACT_ONLY = ("received_total",)  # a sum of monthly totals would count carried-over twice
FLOWS = tuple(c for c in DOSSIER_COUNTS if c not in STOCK_FIRST + STOCK_LAST + EXACT_ONLY)
SUBJECT = ["unit_id", "agency_id", "scope"]


# --- units ----------------------------------------------------------------------------------


def frame(conn: Connection, query) -> pd.DataFrame:  # noqa: ANN001
    """Run a query into a DataFrame (tuples, not dicts: several times faster on big results)."""
    result = conn.execute(query)
    return pd.DataFrame(result.all(), columns=list(result.keys()))



_UNITS: dict[str, pd.DataFrame] = {}


def units_frame(engine: Engine) -> pd.DataFrame:
    """All units with their province and district ancestors (cached per database)."""
    key = engine.url.render_as_string(hide_password=False)
    if key not in _UNITS:
        with engine.connect() as conn:
            df = pd.DataFrame(
                conn.execute(
                    select(unit.c.id, unit.c.scheme, unit.c.level, unit.c.code, unit.c.name, unit.c.short_name,
                           unit.c.parent_id)
                ).mappings().all()
            )
        if df.empty:
            return df
        parent = df.set_index("id")["parent_id"]
        level = df.set_index("id")["level"]
        df["province_id"] = np.where(df["level"] == "province", df["id"], np.nan)
        df["district_id"] = np.where(df["level"] == "district", df["id"], np.nan)
        p1 = df["parent_id"]
        p1_level = p1.map(level)
        df.loc[p1_level == "province", "province_id"] = p1[p1_level == "province"]
        df.loc[p1_level == "district", "district_id"] = p1[p1_level == "district"]
        p2 = p1.map(parent)
        mask = (p1_level == "district") & p2.notna()
        df.loc[mask, "province_id"] = p2[mask]
        df["province_id"] = df["province_id"].astype("Int64")
        df["district_id"] = df["district_id"].astype("Int64")
        df["parent_id"] = df["parent_id"].astype("Int64")
        _UNITS[key] = df.set_index("id", drop=False)
    return _UNITS[key]


def agencies_frame(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(
            conn.execute(
                select(agency.c.id, agency.c.unit_id, agency.c.type_code, agency.c.name, agency_type.c.kind,
                       agency_type.c.valid_from, agency_type.c.valid_to)
                .join(agency_type, agency_type.c.code == agency.c.type_code)
            ).mappings().all()
        ).set_index("id", drop=False)


def subtree_ids(units: pd.DataFrame, unit_id: int) -> list[int]:
    """The unit and all its descendants."""
    u = units.loc[unit_id]
    if u["level"] == "province":
        return units.index[units["province_id"] == unit_id].tolist()
    if u["level"] == "district":
        return units.index[units["district_id"] == unit_id].tolist()
    return [unit_id]


# --- batches --------------------------------------------------------------------------------


def batches_frame(conn: Connection) -> pd.DataFrame:
    return pd.DataFrame(
        conn.execute(select(load_batch.c.id, load_batch.c.dataset, load_batch.c.file_name, load_batch.c.kind))
        .mappings()
        .all(),
        columns=["id", "dataset", "file_name", "kind"],
    ).set_index("id", drop=False)


def _combine_provenance(df: pd.DataFrame, batches: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["dataset"] = df["batch_id"].map(batches["dataset"])
    df["source"] = df["batch_id"].map(batches["file_name"])
    return df


def group_sum(df: pd.DataFrame, keys: list[str] | str, cols: list[str], extra: dict | None = None) -> pd.DataFrame:
    """Sum ``cols`` per group (all-unknown stays unknown) and combine dataset/source labels.

    Vectorised: labels are joined in Python only for the few groups with several sources.
    """
    g = df.groupby(keys, dropna=False, sort=False)
    out = g[cols].sum(min_count=1) if cols else g.size().to_frame("_n").drop(columns="_n")
    for col, how in (extra or {}).items():
        out[col] = getattr(g[col], how)()
    for col in ("dataset", "source"):
        if col not in df:
            continue
        first, n = g[col].first(), g[col].nunique()
        out[col] = first
        multi = n[n > 1].index
        if len(multi):
            joined = df.set_index(keys).loc[multi, col].groupby(level=keys if isinstance(keys, list) else 0)
            out.loc[multi, col] = joined.agg(_labels if col == "dataset" else _join_sources)
    return out.reset_index()


def _join_sources(values: pd.Series) -> str:
    return "; ".join(sorted({x for v in values.dropna() for x in str(v).split("; ") if x}))


def _labels(values: pd.Series) -> str:
    s = sorted(set(values.dropna()))
    if len(s) == 1:
        return s[0]
    return "mixed" if s else ""


# --- dossier figures per subject ------------------------------------------------------------


def dossier_subjects(conn: Connection, per: Period, unit_ids: list[int] | None = None,
                     exact_only: bool = False) -> pd.DataFrame:
    """One row per subject: counts for ``per`` (exact row, or aggregated sub-periods)."""
    ps, pe = per.start, per.end
    d, p, b = dossier_stat, period, load_batch
    exact = and_(p.c.start_date == ps, p.c.end_date == pe)
    exact_i = case((exact, 1), else_=0).label("exact")
    q = (
        select(
            d.c.unit_id, d.c.agency_id, d.c.scope, d.c.batch_id, exact_i,
            *[func.sum(d.c[c]).label(c) for c in FLOWS],
            *[func.sum(case((p.c.start_date == ps, d.c[c]))).label(c) for c in STOCK_FIRST],
            *[func.sum(case((p.c.end_date == pe, d.c[c]))).label(c) for c in STOCK_LAST],
            *[func.sum(case((exact, d.c[c]))).label(c) for c in EXACT_ONLY],
            func.count().label("n_rows"),
            func.sum(p.c.days).label("days"),
        )
        .join(p, p.c.id == d.c.period_id)
        .join(b, b.c.id == d.c.batch_id)
        .where(p.c.start_date >= ps, p.c.end_date <= pe, b.c.status == "active")
        .group_by(d.c.unit_id, d.c.agency_id, d.c.scope, d.c.batch_id, exact_i)
    )
    if unit_ids is not None:
        q = q.where(d.c.unit_id.in_(unit_ids))
    if exact_only:
        q = q.where(exact)
    df = frame(conn, q)
    if df.empty:
        return pd.DataFrame(columns=[*SUBJECT, *DOSSIER_COUNTS, "n_rows", "dataset", "source"])
    df = _combine_provenance(df, batches_frame(conn))
    # An aggregated figure needs sub-periods covering the whole period (no partial sums).
    return _choose(df, (pe - ps).days + 1)


def _choose(df: pd.DataFrame, period_days: int) -> pd.DataFrame:
    """Per subject keep the best rows: real before demo, exact period before aggregated.

    Aggregated rows whose sub-periods do not cover the whole period are dropped.
    """
    df = df.copy()
    df["days"] = pd.to_numeric(df["days"])
    df["agency_id"] = df["agency_id"].astype("Int64")
    df["_rank"] = (df["dataset"] != "real").astype(int) * 2 + (1 - df["exact"].astype(int))
    best = df.groupby(SUBJECT, dropna=False)["_rank"].transform("min")
    df = df[df["_rank"] == best]
    counts = [c for c in DOSSIER_COUNTS if c in df]
    for c in counts:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    out = group_sum(df, SUBJECT, [*counts, "n_rows", "days"], {"exact": "max"})
    out = out[(out["exact"] == 1) | (out["days"] == period_days)]
    out.loc[out["exact"] == 0, list(EXACT_ONLY)] = np.nan
    return out.reset_index(drop=True)


def asof_subjects(conn: Connection, table, per: Period, unit_ids: list[int] | None = None,  # noqa: ANN001
                  exact_only: bool = False) -> pd.DataFrame:
    """As-of figures (procedure offer, counts): per subject the latest row ending inside ``per``."""
    p, b = period, load_batch
    extra = [table.c.measure, table.c.counted_level, table.c.value] if table is count_stat else [
        table.c[c] for c in OFFER_COUNTS
    ]
    q = (
        select(table.c.unit_id, table.c.agency_id, table.c.scope, table.c.batch_id, p.c.end_date, *extra)
        .join(p, p.c.id == table.c.period_id)
        .join(b, b.c.id == table.c.batch_id)
        .where(p.c.end_date >= per.start, p.c.end_date <= per.end, b.c.status == "active")
    )
    if unit_ids is not None:
        q = q.where(table.c.unit_id.in_(unit_ids))
    if exact_only:
        q = q.where(p.c.start_date == per.start, p.c.end_date == per.end)
    df = frame(conn, q)
    if df.empty:
        return df
    df = _combine_provenance(df, batches_frame(conn))
    df["agency_id"] = df["agency_id"].astype("Int64")
    keys = SUBJECT + (["measure", "counted_level"] if table is count_stat else [])
    df["_real"] = (df["dataset"] == "real").astype(int)
    df = df.sort_values(["_real", "end_date"]).groupby(keys, dropna=False, sort=False).tail(1)
    return df.drop(columns=["_real", "batch_id"])


# --- territorial roll-up --------------------------------------------------------------------


def rollup(subjects: pd.DataFrame, units: pd.DataFrame, level: str, value_cols: list[str],
           direct: bool = False) -> pd.DataFrame:
    """Figures per unit of ``level`` (or per agency for level 'department').

    ``value_cols`` are summed: stored counts and metric pair columns ("<metric>:num/den").
    Where a source states a 'total' for the unit, its counts are used as a whole, and its
    metric pairs win metric by metric over the roll-up of 'own' rows.
    ``direct``: no roll-up, only subjects that are themselves units of ``level``.
    Returns columns: key ('unit_id' or 'agency_id'), value columns, dataset, source.
    """
    if subjects.empty:
        return pd.DataFrame(columns=["key", *value_cols, "dataset", "source"])
    s = subjects.copy()
    s["unit_level"] = s["unit_id"].map(units["level"])
    if level == "department":
        part = s[s["agency_id"].notna()].assign(key=lambda x: x["agency_id"].astype(int))
        return _sum_by(part, value_cols)
    anc = {"province": "province_id", "district": "district_id", "commune": "id"}[level]
    s["key"] = s["unit_id"].map(units[anc])
    own = s[(s["scope"] == "own") & s["key"].notna()]
    if direct:
        own = own[(own["unit_level"] == level) & own["agency_id"].isna()]
    total = s[(s["scope"] == "total") & (s["unit_level"] == level) & s["agency_id"].isna()].assign(
        key=lambda x: x["unit_id"]
    )
    own_sum = _sum_by(own, value_cols).set_index("key")
    total_sum = _sum_by(total, value_cols).set_index("key")
    if total_sum.empty:
        return own_sum.reset_index()
    if own_sum.empty:
        return total_sum.reset_index()
    pair_cols = [c for c in value_cols if ":" in c and c in total_sum]
    count_cols = [c for c in value_cols if ":" not in c and c in total_sum]
    out = total_sum.combine_first(own_sum)
    stated = out.index.isin(total_sum.index)
    out.loc[stated, count_cols] = total_sum[count_cols]
    # a stated metric wins; else the roll-up of own rows (pairs stay whole: both or neither)
    for num in [c for c in pair_cols if c.endswith(":num")]:
        den = num[:-4] + ":den"
        use_total = out.index.isin(total_sum.index[total_sum[num].notna()])
        own_vals = own_sum.reindex(out.index)
        out.loc[~use_total, num] = own_vals.loc[~use_total, num]
        out.loc[~use_total, den] = own_vals.loc[~use_total, den]
    both = out.index.isin(total_sum.index) & out.index.isin(own_sum.index)
    for col in ("dataset", "source"):
        out.loc[both, col] = [
            _labels(pd.Series([a, b])) if col == "dataset" else "; ".join(sorted({a, b} - {""}))
            for a, b in zip(total_sum.reindex(out.index[both])[col], own_sum.reindex(out.index[both])[col],
                            strict=True)
        ]
    return out.reset_index()


def _sum_by(df: pd.DataFrame, value_cols: list[str]) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame(columns=["key", *value_cols, "dataset", "source"])
    df = df.copy()
    df["key"] = df["key"].astype(int)
    cols = [c for c in value_cols if c in df]
    return group_sum(df, "key", cols)


def counts_pivot(counts: pd.DataFrame) -> pd.DataFrame:
    """count_stat rows -> one row per subject; agency measures counted at department level,
    unit measures at commune level."""
    if counts.empty:
        return pd.DataFrame(columns=[*SUBJECT, *COUNT_MEASURES, "dataset", "source"])
    wanted = counts[
        (counts["measure"].str.startswith("agencies") & (counts["counted_level"] == "department"))
        | (counts["measure"].str.startswith("units") & (counts["counted_level"] == "commune"))
    ]
    if wanted.empty:
        return pd.DataFrame(columns=[*SUBJECT, *COUNT_MEASURES, "dataset", "source"])
    piv = wanted.pivot_table(index=SUBJECT, columns="measure", values="value", aggfunc="sum", dropna=False)
    piv = piv.reset_index()
    prov = wanted.groupby(SUBJECT, dropna=False).agg(dataset=("dataset", _labels), source=("source", "first"))
    return piv.merge(prov.reset_index(), on=SUBJECT, how="left")


def zero_activity_from_communes(subjects: pd.DataFrame, units: pd.DataFrame, level: str) -> pd.DataFrame:
    """Fallback for zero_activity_share: among the communes under each unit that reported in
    the period, how many received no online dossier."""
    if subjects.empty or level in ("commune", "department"):
        return pd.DataFrame(columns=["key", "units_total", "units_zero_activity"])
    s = subjects[(subjects["scope"] == "own") & subjects["agency_id"].isna()].copy()
    s = s[s["unit_id"].map(units["level"]) == "commune"]
    if s.empty:
        return pd.DataFrame(columns=["key", "units_total", "units_zero_activity"])
    anc = {"province": "province_id", "district": "district_id"}[level]
    s["key"] = s["unit_id"].map(units[anc])
    s = s[s["key"].notna() & s["received_online"].notna()]
    g = s.groupby("key").agg(
        units_total=("unit_id", "size"), units_zero_activity=("received_online", lambda x: int((x == 0).sum()))
    )
    g = g.reset_index()
    g["key"] = g["key"].astype(int)
    return g


def agreements_by_province(conn: Connection, per: Period, agencies: pd.DataFrame) -> pd.DataFrame:
    """Fallback for bcci_agreement_share: agencies of each province valid in the period, and
    those with a postal agreement signed by the period end."""
    valid = agencies[
        (agencies["valid_from"].isna() | (agencies["valid_from"] <= per.end))
        & (agencies["valid_to"].isna() | (agencies["valid_to"] >= per.end))
    ]
    q = (
        select(postal_agreement.c.agency_id)
        .join(load_batch, load_batch.c.id == postal_agreement.c.batch_id)
        .where(load_batch.c.status == "active", postal_agreement.c.agency_id.is_not(None),
               postal_agreement.c.signed_on <= per.end)
        .distinct()
    )
    signed = set(conn.execute(q).scalars())
    if not signed:
        return pd.DataFrame(columns=["key", "agencies_total", "agencies_with_agreement"])
    valid = valid.assign(signed=valid["id"].isin(signed))
    g = valid.groupby("unit_id").agg(agencies_total=("id", "size"), agencies_with_agreement=("signed", "sum"))
    g = g[g["agencies_with_agreement"] > 0].reset_index().rename(columns={"unit_id": "key"})
    return g

"""Stored figures per subject for requested periods (several periods in one pass).

Rules (DESIGN.md, docs/data_model.md):
- A stored row whose period equals the requested period is used as it is; otherwise rows of
  sub-periods lying inside the requested period are aggregated: flows are summed, the
  carried-over stock is the first sub-period's, in-progress stocks are the last one's, and
  ``received_total`` is carried (first) + the sum of new received. By default an aggregate
  must cover the whole period (no partial sums); ``complete=False`` keeps partial ones, and
  the ``months`` / ``months_expected`` columns always say how much of the period is covered.
- For one subject (unit, agency, scope), rows of 'real' batches win over 'demo' rows, and
  exact-period rows win over aggregated ones. Real and demo figures are never added together.
- Procedure offers and unit counts are as-of values: per subject the latest row ending inside
  the period.
- Only batches with status 'active' count.

Heavy work runs in SQL (filter by period and unit, GROUP BY subject and batch); pandas handles
the few rows per subject that come back. Every frame here carries ``pidx``: the index of the
requested period in the caller's list.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, case, func, select

from data.periods import Period
from data.schema import (
    DOSSIER_COUNTS,
    OFFER_COUNTS,
    agency,
    agency_type,
    count_stat,
    dossier_stat,
    load_batch,
    period,
    unit,
)

STOCK_FIRST = ("received_carried",)
STOCK_LAST = ("pending_total", "pending_within", "pending_overdue")
EXACT_ONLY = ("received_total",)  # rebuilt from carried (first) + new received when aggregated
FLOWS = tuple(c for c in DOSSIER_COUNTS if c not in STOCK_FIRST + STOCK_LAST + EXACT_ONLY)
SUBJECT = ["unit_id", "agency_id", "scope"]
PIDX = "pidx"


def frame(conn: Connection, query) -> pd.DataFrame:  # noqa: ANN001
    """Run a query into a DataFrame (tuples, not dicts: several times faster on big results)."""
    result = conn.execute(query)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def _numeric(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Counts as float64 (SQL NULL -> NaN; PostgreSQL returns sums as Decimal)."""
    for c in cols:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    df["agency_id"] = pd.to_numeric(df["agency_id"]).astype("Int64")
    return df


def months_spanned(per: Period) -> int:
    """Calendar months touched by a period (2020-01-01..2020-02-24 -> 2)."""
    return (per.end.year * 12 + per.end.month) - (per.start.year * 12 + per.start.month) + 1


# --- units and agencies ---------------------------------------------------------------------

_UNITS: dict[str, pd.DataFrame] = {}


def units_frame(engine: Engine) -> pd.DataFrame:
    """All units with their province and district ancestors (cached per database)."""
    key = engine.url.render_as_string(hide_password=False)
    if key not in _UNITS:
        with engine.connect() as conn:
            df = frame(conn, select(unit.c.id, unit.c.scheme, unit.c.level, unit.c.code, unit.c.name,
                                    unit.c.short_name, unit.c.parent_id))
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
        for col in ("province_id", "district_id", "parent_id"):
            df[col] = df[col].astype("Int64")
        _UNITS[key] = df.set_index("id", drop=False)
    return _UNITS[key]


def agencies_frame(engine: Engine) -> pd.DataFrame:
    """Agencies with their province (unit_id), type code and validity dates."""
    with engine.connect() as conn:
        df = frame(conn, select(agency.c.id, agency.c.unit_id, agency.c.type_code, agency.c.name, agency_type.c.kind,
                                agency_type.c.valid_from, agency_type.c.valid_to)
                   .join(agency_type, agency_type.c.code == agency.c.type_code))
    return df.set_index("id", drop=False)


def subtree_ids(units: pd.DataFrame, unit_id: int) -> list[int]:
    """The unit and all its descendants."""
    u = units.loc[unit_id]
    if u["level"] == "province":
        return units.index[units["province_id"] == unit_id].tolist()
    if u["level"] == "district":
        return units.index[units["district_id"] == unit_id].tolist()
    return [unit_id]


# --- provenance -----------------------------------------------------------------------------


def batches_frame(conn: Connection) -> pd.DataFrame:
    df = frame(conn, select(load_batch.c.id, load_batch.c.dataset, load_batch.c.file_name, load_batch.c.kind,
                            load_batch.c.status))
    return df.set_index("id", drop=False)


def _provenance(df: pd.DataFrame, batches: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["dataset"] = df["batch_id"].map(batches["dataset"])
    df["source"] = df["batch_id"].map(batches["file_name"])
    return df


def labels(values: pd.Series) -> str:
    """'real', 'demo', or 'mixed' for a set of dataset labels."""
    s = sorted(set(values.dropna()) - {""})
    if len(s) == 1:
        return s[0]
    return "mixed" if s else ""


def join_sources(values: pd.Series) -> str:
    return "; ".join(sorted({x for v in values.dropna() for x in str(v).split("; ") if x}))


def group_sum(df: pd.DataFrame, keys: list[str] | str, cols: list[str], extra: dict | None = None) -> pd.DataFrame:
    """Sum ``cols`` per group (all-unknown stays unknown) and combine dataset/source labels.

    ``extra``: other columns with their pandas aggregation ("max", "size" ...). Vectorised:
    labels are joined in Python only for the few groups with several sources.
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
            out.loc[multi, col] = joined.agg(labels if col == "dataset" else join_sources)
    return out.reset_index()


# --- dossier figures per subject ------------------------------------------------------------


def _periods_frame(conn: Connection) -> pd.DataFrame:
    """All stored periods (a few hundred rows) with their length in days and in months."""
    df = frame(conn, select(period.c.id, period.c.start_date, period.c.end_date, period.c.days))
    df["months"] = [months_spanned(Period(s, e, "", "")) for s, e in zip(df["start_date"], df["end_date"],
                                                                        strict=True)]
    return df


def _lookup(cand: pd.DataFrame, col: str) -> dict[int, int]:
    return {int(i): int(v) for i, v in zip(cand["id"], cand[col], strict=True)}


def _active_ids(batches: pd.DataFrame) -> list[int]:
    return batches.index[batches["status"] == "active"].tolist() or [-1]


def _scheme_filter(df: pd.DataFrame, units: pd.DataFrame | None, scheme: str | None) -> pd.DataFrame:
    if scheme is None or units is None or df.empty:
        return df
    return df[df["unit_id"].map(units["scheme"]) == scheme]


def _dossier_query(per: Period, cand: pd.DataFrame, unit_ids: list[int] | None):  # noqa: ANN202
    """GROUP BY subject and batch over the stored periods ``cand`` inside ``per``. No joins:
    periods are resolved beforehand (this is the query that meets a million rows), and the
    caller keeps the active batches (an IN on batch_id makes SQLite scan the batch index)."""
    d = dossier_stat
    ids = cand["id"].tolist()
    exact_ids = cand.loc[(cand["start_date"] == per.start) & (cand["end_date"] == per.end), "id"].tolist() or [-1]
    first_ids = cand.loc[cand["start_date"] == per.start, "id"].tolist() or [-1]
    last_ids = cand.loc[cand["end_date"] == per.end, "id"].tolist() or [-1]
    exact = case((d.c.period_id.in_(exact_ids), 1), else_=0)
    q = (
        select(
            d.c.unit_id, d.c.agency_id, d.c.scope, d.c.batch_id, exact.label("exact"),
            *[func.sum(d.c[c]).label(c) for c in FLOWS],
            *[func.sum(case((d.c.period_id.in_(first_ids), d.c[c]))).label(c) for c in STOCK_FIRST],
            *[func.sum(case((d.c.period_id.in_(last_ids), d.c[c]))).label(c) for c in STOCK_LAST],
            *[func.sum(case((d.c.period_id.in_(exact_ids), d.c[c]))).label(c) for c in EXACT_ONLY],
            func.count().label("n_rows"),
            func.sum(case(_lookup(cand, "days"), value=d.c.period_id)).label("days"),
            func.sum(case(_lookup(cand, "months"), value=d.c.period_id)).label("months"),
        )
        .where(d.c.period_id.in_(ids))  # batches are filtered afterwards: an IN on batch_id
        .group_by(d.c.unit_id, d.c.agency_id, d.c.scope, d.c.batch_id, exact)
    )
    return q.where(d.c.unit_id.in_(unit_ids)) if unit_ids is not None else q


def dossier_subjects(conn: Connection, periods: list[Period], unit_ids: list[int] | None = None,
                     scheme: str | None = None, exact_only: bool = False, complete: bool = True,
                     units: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per subject and requested period (``pidx``): the dossier counts for the period.

    ``scheme`` (with ``units``, the units frame) keeps subjects of that scheme only.
    Columns: pidx, unit_id, agency_id, scope, the DOSSIER_COUNTS, n_rows (stored rows used),
    days, months (calendar months covered), months_expected, exact, dataset, source.
    """
    stored, batches = _periods_frame(conn), batches_frame(conn)
    active = _active_ids(batches)
    parts = []
    for i, per in enumerate(periods):
        inside = (stored["start_date"] >= per.start) & (stored["end_date"] <= per.end)
        if exact_only:
            inside &= (stored["start_date"] == per.start) & (stored["end_date"] == per.end)
        if not inside.any():
            continue
        df = frame(conn, _dossier_query(per, stored[inside], unit_ids))
        df = _scheme_filter(df[df["batch_id"].isin(active)], units, scheme)
        if not df.empty:
            parts.append(_numeric(df, [*DOSSIER_COUNTS, "n_rows", "days", "months"]).assign(pidx=i))
    if not parts:
        return pd.DataFrame(columns=[PIDX, *SUBJECT, *DOSSIER_COUNTS, "n_rows", "days", "months", "months_expected",
                                     "exact", "dataset", "source"])
    df = _provenance(pd.concat(parts, ignore_index=True), batches)
    return _choose(df, periods, complete)


def _choose(df: pd.DataFrame, periods: list[Period], complete: bool) -> pd.DataFrame:
    """Per subject and period keep the best rows: real before demo, exact period before
    aggregated; drop aggregates that do not cover the whole period unless ``complete`` is False."""
    df = df.copy()
    for c in ("days", "months", "exact"):
        df[c] = pd.to_numeric(df[c])
    df["agency_id"] = df["agency_id"].astype("Int64")
    df["_rank"] = (df["dataset"] != "real").astype(int) * 2 + (1 - df["exact"].astype(int))
    best = df.groupby([PIDX, *SUBJECT], dropna=False)["_rank"].transform("min")
    df = df[df["_rank"] == best]
    counts = [c for c in DOSSIER_COUNTS if c in df]
    for c in counts:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    out = group_sum(df, [PIDX, *SUBJECT], [*counts, "n_rows", "days", "months"], {"exact": "max"})
    expected_days = out[PIDX].map({i: (p.end - p.start).days + 1 for i, p in enumerate(periods)})
    out["months_expected"] = out[PIDX].map({i: months_spanned(p) for i, p in enumerate(periods)})
    if complete:
        out = out[(out["exact"] == 1) | (out["days"] == expected_days)]
        expected_days = expected_days[out.index]
    agg = out["exact"] == 0
    # received_total of an aggregate = carried over at the start + everything received since
    new = out["received_new"].fillna(out["received_online"] + out["received_direct_postal"])
    out.loc[agg, "received_total"] = (out["received_carried"] + new)[agg]
    out.loc[agg & (out["days"] != expected_days), "received_total"] = np.nan  # partial: not a period total
    return out.reset_index(drop=True)


def asof_subjects(conn: Connection, table, periods: list[Period], unit_ids: list[int] | None = None,  # noqa: ANN001
                  scheme: str | None = None, exact_only: bool = False,
                  units: pd.DataFrame | None = None) -> pd.DataFrame:
    """As-of figures (procedure offer, counts): per subject and period the latest row ending
    inside the period (a real row before a demo row). An offer is a snapshot at its end date;
    a count (e.g. communes without dossiers over a span) must lie wholly inside the period."""
    stored, batches = _periods_frame(conn), batches_frame(conn)
    active = _active_ids(batches)
    extra = [table.c.measure, table.c.counted_level, table.c.value] if table is count_stat else [
        table.c[c] for c in OFFER_COUNTS
    ]
    parts = []
    for i, per in enumerate(periods):
        inside = (stored["end_date"] >= per.start) & (stored["end_date"] <= per.end)
        if table is count_stat:  # counts over a span (communes without dossiers) must lie inside
            inside &= stored["start_date"] >= per.start
        if exact_only:
            inside &= (stored["start_date"] == per.start) & (stored["end_date"] == per.end)
        if not inside.any():
            continue
        q = (select(table.c.unit_id, table.c.agency_id, table.c.scope, table.c.batch_id, table.c.period_id, *extra)
             .where(table.c.period_id.in_(stored.loc[inside, "id"].tolist())))
        if unit_ids is not None:
            q = q.where(table.c.unit_id.in_(unit_ids))
        df = frame(conn, q)
        df = _scheme_filter(df[df["batch_id"].isin(active)], units, scheme)
        if not df.empty:
            parts.append(_numeric(df, ["value"] if table is count_stat else list(OFFER_COUNTS)).assign(pidx=i))
    if not parts:
        return pd.DataFrame()
    df = _provenance(pd.concat(parts, ignore_index=True), batches)
    df["end_date"] = df["period_id"].map(stored.set_index("id")["end_date"])
    keys = [PIDX, *SUBJECT] + (["measure", "counted_level"] if table is count_stat else [])
    df["_real"] = (df["dataset"] == "real").astype(int)
    df = df.sort_values(["_real", "end_date", "batch_id"]).groupby(keys, dropna=False, sort=False).tail(1)
    return df.drop(columns=["_real", "batch_id", "period_id"]).reset_index(drop=True)

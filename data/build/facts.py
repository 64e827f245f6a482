"""The raw figures of some provinces, read once and made ready to aggregate.

- dossier rows of calendar months, per subject (unit, agency, scope) and month: rows of real
  batches replace rows of demo batches for the same subject and month and are never added to
  them; several batches of the same kind are summed;
- dossier rows of any other stored period ("2017-2019", "9 tháng 2020", a quarter), per subject
  and exact period, with the same rule: the stated figures that overlay.py puts on top;
- procedure offers per subject and snapshot date, and stated unit/agency counts;

each as the indicator parts of data.metrics (``month_parts``, ``pairs``) plus, per indicator,
the number of real and demo subjects behind it, and the batch ids behind every row.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection, or_, select

from data import metrics
from data.schema import (
    COUNTED_LEVEL,
    DOSSIER_COUNTS,
    OFFER_COUNTS,
    count_stat,
    dossier_stat,
    load_batch,
    period,
    postal_agreement,
    procedure_offer,
)
from data.store import join_ids

SUBJECT = ["unit_id", "agency_id", "scope"]
PERIOD = ["period_start", "period_end"]
MAX_IN = 5000  # above this many units, read everything and filter in memory


DATE_COLUMNS = ("period_start", "period_end", "signed_on")


def frame(conn: Connection, query) -> pd.DataFrame:  # noqa: ANN001
    """Run a query into a DataFrame straight through the driver's cursor: a builder reads up to
    a million rows, and SQLAlchemy's result rows cost more than the query itself. The query's
    values are inlined (integers, dates); date columns come back as ``datetime.date``."""
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cur = conn.connection.dbapi_connection.cursor()
    try:
        if conn.dialect.name == "postgresql":  # COPY streams text far faster than row fetching
            buf = io.StringIO()
            with cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy:
                for data in copy:
                    buf.write(bytes(data).decode())
            buf.seek(0)
            df = pd.read_csv(buf, dtype={"scope": str, "dataset": str, "kind": str, "batch_kind": str,
                                                "batch_id": str}, na_values=[""],
                             keep_default_na=False)
            if "batch_id" in df:
                df["batch_id"] = pd.to_numeric(df["batch_id"])
        else:
            cur.execute(sql)
            names = [d[0] for d in cur.description]
            df = pd.DataFrame(cur.fetchall(), columns=names)
    finally:
        cur.close()
    for c in DATE_COLUMNS:
        if c in df and len(df) and isinstance(df[c].iloc[0], str):  # SQLite: ISO text
            days = {v: date.fromisoformat(v[:10]) for v in df[c].dropna().unique()}
            df[c] = df[c].map(days)
    return df


def _where_units(q, table, unit_ids: list[int] | None):  # noqa: ANN001, ANN202
    if unit_ids is not None and len(unit_ids) <= MAX_IN:
        q = q.where(table.c.unit_id.in_(unit_ids))
    return q


def _keep_units(df: pd.DataFrame, unit_ids: list[int] | None) -> pd.DataFrame:
    if unit_ids is not None and len(unit_ids) > MAX_IN:
        df = df[df["unit_id"].isin(unit_ids)]
    return df


def _numeric(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    for c in cols:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    df["agency_id"] = pd.to_numeric(df["agency_id"]).astype("Int64")
    return df


def choose_real(df: pd.DataFrame, keys: list[str], value_cols: list[str]) -> pd.DataFrame:
    """Per ``keys``: real rows replace demo rows, and a report (Biểu 06, a template file, a
    document) replaces the national portal's counts (``batch_kind`` 'portal': a second source
    shown beside it, never added to it); rows of the same kind are summed (their batch ids
    joined). Fast path when every key has one row (the usual case)."""
    if df.empty:
        return df.assign(batches=pd.Series(dtype=str))
    df = df.assign(batches=df["batch_id"].astype(str))
    if not df.duplicated(keys).any():
        return df
    rank = (df["dataset"] != "real").astype(int) * 2
    if "batch_kind" in df:
        rank += (df["batch_kind"] == "portal").astype(int)
    df = df[rank == rank.groupby([df[k] for k in keys], dropna=False).transform("min")]
    dup = df.duplicated(keys, keep=False)
    if not dup.any():
        return df
    many = df[dup]
    g = many.groupby(keys, dropna=False, sort=False)
    summed = g[value_cols].sum(min_count=1)
    summed["batches"] = g["batches"].agg(join_ids)
    summed["dataset"] = g["dataset"].first()
    return pd.concat([df[~dup], summed.reset_index()], ignore_index=True)


def provenance(known: dict[str, pd.Series], dataset: pd.Series) -> pd.DataFrame:
    """'<metric>__real' / '__demo': 1 where the row gives the indicator and is real (demo)."""
    real, demo = (dataset == "real").to_numpy(), (dataset == "demo").to_numpy()
    out = {}
    for mid, k in known.items():
        k = k.to_numpy()
        out[f"{mid}__real"] = (k & real).astype(np.int64)
        out[f"{mid}__demo"] = (k & demo).astype(np.int64)
    return pd.DataFrame(out, index=dataset.index)


def dossier_known(parts: pd.DataFrame) -> dict[str, pd.Series]:
    out = {}
    for m in metrics.dossier_metrics():
        first = f"{m.id}__{metrics.metric_parts(m.id)[0]}"
        k = parts[first].notna()
        if f"{m.id}__xn" in parts:
            k |= parts[f"{m.id}__xn"].notna()
        out[m.id] = k
    return out


@dataclass
class Dossiers:
    months: pd.DataFrame  # SUBJECT, period_start/end (a month), parts, flags, batches, dataset
    stated: pd.DataFrame  # the same for every other stored period


def read_dossiers(conn: Connection, unit_ids: list[int] | None, months: tuple[date, date] | None = None,
                  stated: bool = True) -> Dossiers:
    """Dossier figures of these units (all when None): calendar months lying in ``months``
    (first day, last day; none when None) and, when ``stated``, every other stored period."""
    d = dossier_stat
    q = (select(d.c.unit_id, d.c.agency_id, d.c.scope, d.c.batch_id, period.c.start_date.label("period_start"),
                period.c.end_date.label("period_end"), period.c.kind, load_batch.c.dataset,
                load_batch.c.kind.label("batch_kind"), *[d.c[c] for c in DOSSIER_COUNTS])
         .join(period, period.c.id == d.c.period_id).join(load_batch, load_batch.c.id == d.c.batch_id)
         .where(load_batch.c.status == "active"))
    is_month = period.c.kind == "month"
    wanted = []
    if months is not None:
        wanted.append(is_month & (period.c.start_date >= months[0]) & (period.c.end_date <= months[1]))
    if stated:
        wanted.append(period.c.kind != "month")
    if not wanted:
        empty = _with_parts(pd.DataFrame())
        return Dossiers(empty, empty)
    q = _where_units(q.where(or_(*wanted)), d, unit_ids)
    df = _keep_units(frame(conn, q), unit_ids)
    df = _numeric(df, list(DOSSIER_COUNTS)) if len(df) else df
    month_rows = df["kind"] == "month" if len(df) else pd.Series(dtype=bool)
    return Dossiers(_with_parts(df[month_rows] if len(df) else df), _with_parts(df[~month_rows] if len(df) else df))


def _with_parts(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        cols = [*SUBJECT, *PERIOD, "dataset", "batches", *metrics.part_columns()]
        return pd.DataFrame(columns=cols)
    df = choose_real(df, [*SUBJECT, *PERIOD], list(DOSSIER_COUNTS))
    if df.empty:
        cols = [*SUBJECT, *PERIOD, "dataset", "batches", *metrics.part_columns()]
        return pd.DataFrame(columns=cols)
    df = df.reset_index(drop=True)
    parts = metrics.month_parts(df[list(DOSSIER_COUNTS)])
    flags = provenance(dossier_known(parts), df["dataset"])
    keep = df[[*SUBJECT, *PERIOD, "dataset", "batches"]]
    return pd.concat([keep, parts, flags], axis=1)


# --- procedure offers and counts ------------------------------------------------------------


def offer_metrics() -> list[str]:
    return [m.id for m in metrics.METRICS if m.source == "offer"]


def read_offers(conn: Connection, unit_ids: list[int] | None) -> pd.DataFrame:
    """Procedure offers per subject and snapshot (the stored period's end): raw counts,
    '<metric>__num/__den', flags and '<metric>__stated' (1 on a unit's stated catalogue)."""
    t = procedure_offer
    q = (select(t.c.unit_id, t.c.agency_id, t.c.scope, t.c.batch_id, period.c.start_date.label("period_start"),
                period.c.end_date.label("period_end"), load_batch.c.dataset, load_batch.c.kind.label("batch_kind"),
                *[t.c[c] for c in OFFER_COUNTS])
         .join(period, period.c.id == t.c.period_id).join(load_batch, load_batch.c.id == t.c.batch_id)
         .where(load_batch.c.status == "active"))
    df = _keep_units(frame(conn, _where_units(q, t, unit_ids)), unit_ids)
    df = _numeric(df, list(OFFER_COUNTS))
    if not df.empty and df.duplicated([*SUBJECT, "period_end", "dataset"]).any():
        # a snapshot is identified by its date: the earliest start names it
        start = pd.to_datetime(df["period_start"])
        df["period_start"] = start.groupby([df[k] for k in [*SUBJECT, "period_end"]], dropna=False).transform(
            "min").dt.date
    df = choose_real(df, [*SUBJECT, "period_end"], list(OFFER_COUNTS))
    if df.empty:
        return df
    df = df.reset_index(drop=True)
    p = metrics.pairs(df[list(OFFER_COUNTS)], "offer")
    known = {m: p[f"{m}:num"].notna() for m in offer_metrics()}
    total = ((df["scope"] == "total") & df["agency_id"].isna()).to_numpy()
    cols = {}
    for m in offer_metrics():
        cols[f"{m}__num"], cols[f"{m}__den"] = p[f"{m}:num"], p[f"{m}:den"]
        cols[f"{m}__stated"] = (known[m].to_numpy() & total).astype(np.int64)
    out = pd.concat([df[[*SUBJECT, "period_start", "period_end", "dataset", "batches", *OFFER_COUNTS]],
                     pd.DataFrame(cols, index=df.index), provenance(known, df["dataset"])], axis=1)
    return out


def read_counts(conn: Connection, unit_ids: list[int] | None) -> pd.DataFrame:
    """Stated counts (count_stat) of the units the indicators use (agencies counted at department
    level, units at commune level): one row per subject and period, measures as columns, with
    the dataset and batch ids; real rows replace demo rows of the same subject and period."""
    t = count_stat
    q = (select(t.c.unit_id, t.c.agency_id, t.c.scope, t.c.batch_id, t.c.measure, t.c.counted_level, t.c.value,
                period.c.start_date.label("period_start"), period.c.end_date.label("period_end"),
                load_batch.c.dataset)
         .join(period, period.c.id == t.c.period_id).join(load_batch, load_batch.c.id == t.c.batch_id)
         .where(load_batch.c.status == "active"))
    df = _keep_units(frame(conn, _where_units(q, t, unit_ids)), unit_ids)
    if df.empty:
        return df
    df = df[df["counted_level"] == df["measure"].map(COUNTED_LEVEL)]
    df = _numeric(df, ["value"])
    keys = [*SUBJECT, *PERIOD, "dataset"]
    piv = df.pivot_table(index=keys, columns="measure", values="value", aggfunc="sum", dropna=False)
    piv = piv.dropna(how="all").reset_index()
    ids = df.groupby(keys, dropna=False)["batch_id"].agg(join_ids).rename("batches").reset_index()
    piv = piv.merge(ids, on=keys, how="left")
    for c in COUNTED_LEVEL:
        if c not in piv:
            piv[c] = np.nan
    return choose_real(piv.assign(batch_id=piv.pop("batches")), [*SUBJECT, *PERIOD], list(COUNTED_LEVEL))


def read_agreements(conn: Connection, unit_ids: list[int] | None) -> pd.DataFrame:
    """Signed postal agreements of agencies: agency_id, unit_id, signed_on, dataset, batch_id."""
    t = postal_agreement
    q = (select(t.c.agency_id, t.c.unit_id, t.c.signed_on, t.c.batch_id, load_batch.c.dataset)
         .join(load_batch, load_batch.c.id == t.c.batch_id)
         .where(load_batch.c.status == "active", t.c.agency_id.is_not(None), t.c.signed_on.is_not(None)))
    return _keep_units(frame(conn, _where_units(q, t, unit_ids)), unit_ids)

"""The analytics store (tables agg_dossier, agg_offer, agg_count in data/schema.py): its
columns, the arithmetic of periods made of sub-periods, and fast bulk writes.

Shared by the builder (data/build, run by the ETL) and the read side (data/read): a period's
indicator is computed from its parts in one place (``pairs_from_parts``), whether the parts
were summed by the database (the read side's GROUP BY) or in memory (the builder's overlays).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, and_, delete, or_
from tqdm import tqdm

from data import metrics

COUNTRY = {"legacy": -1, "2025": -2}  # the key of the whole country of each scheme (level 'country')
DOSSIER_IDS = [m.id for m in metrics.dossier_metrics()]
OFFER_IDS = [m.id for m in metrics.METRICS if m.source == "offer"]
COUNT_IDS = [m.id for m in metrics.METRICS if m.source == "count"]
PARTS = metrics.part_columns()  # '<metric>__nf' ...
FLAGS = [f"{mid}__{d}" for mid in DOSSIER_IDS for d in ("real", "demo")]
FIRST_PARTS = {p for p in PARTS if p.endswith("__d0")}
LAST_PARTS = {p for p in PARTS if p.endswith(("__nl", "__dl"))}
SINGLE_PARTS = {p for p in PARTS if p.endswith(("__xn", "__xd"))}
FLOW_PARTS = [p for p in PARTS if p not in FIRST_PARTS | LAST_PARTS | SINGLE_PARTS]


def months_spanned(start: date, end: date) -> int:
    """Calendar months touched by a period (2020-01-01..2020-02-24 -> 2)."""
    return (end.year * 12 + end.month) - (start.year * 12 + start.month) + 1


def month_aligned(start: date, end: date) -> bool:
    nxt = date(end.year + (end.month == 12), end.month % 12 + 1, 1)
    return start.day == 1 and (nxt - end).days == 1


PART_INDEX = {p: i for i, p in enumerate(PARTS)}
_NUM = {mid: [PART_INDEX[f"{mid}__{p}"] for p in metrics.metric_parts(mid) if p in ("nf", "nl")] for mid in DOSSIER_IDS}
_DEN = {mid: [PART_INDEX[f"{mid}__{p}"] for p in metrics.metric_parts(mid) if p in ("df", "d0", "dl")]
        for mid in DOSSIER_IDS}
_X = {mid: (PART_INDEX[f"{mid}__xn"], PART_INDEX[f"{mid}__xd"]) for mid in DOSSIER_IDS
      if "xn" in metrics.metric_parts(mid)}


def pair_arrays(parts: np.ndarray, single: np.ndarray | bool) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{metric: (numerator, denominator)} of every dossier indicator from summed parts (an
    array with the columns of PARTS, NaN = unknown).

    ``single``: rows that are one stored period (a month, a stated period), where a value kept
    without its parts (xn / xd) counts; elsewhere a missing part makes the pair unknown.
    """
    single = np.broadcast_to(np.asarray(single, dtype=bool), (len(parts),))
    out = {}
    for mid in DOSSIER_IDS:
        num = parts[:, _NUM[mid]].sum(axis=1)
        den = parts[:, _DEN[mid]].sum(axis=1)
        if mid in _X:
            xn, xd = _X[mid]
            num = np.where(np.isnan(num) & single, parts[:, xn], num)
            den = np.where(np.isnan(den) & single, parts[:, xd], den)
        unknown = np.isnan(num) | np.isnan(den)
        num[unknown] = np.nan
        den[unknown] = np.nan
        out[mid] = (num, den)
    return out


def pairs_from_parts(df: pd.DataFrame, single: np.ndarray | bool) -> pd.DataFrame:
    """``pair_arrays`` as a frame: '<metric>:num' / '<metric>:den'."""
    arrays = pair_arrays(df[PARTS].to_numpy(dtype="float64"), single)
    cols = {}
    for mid, (num, den) in arrays.items():
        cols[f"{mid}:num"], cols[f"{mid}:den"] = num, den
    return pd.DataFrame(cols, index=df.index)


def parts_from_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """The inverse for a single stated period: the pair in the indicator's first numerator and
    denominator parts, zeros in its other parts (so ``pairs_from_parts`` gives it back)."""
    out = {}
    for mid in DOSSIER_IDS:
        parts = metrics.metric_parts(mid)
        num, den = pairs[f"{mid}:num"], pairs[f"{mid}:den"]
        known = num.notna() & den.notna()
        first_n = next(p for p in parts if p in ("nf", "nl"))
        first_d = next(p for p in parts if p in ("df", "d0", "dl"))
        for p in parts:
            if p in ("xn", "xd"):
                out[f"{mid}__{p}"] = pd.Series(np.nan, index=pairs.index)
            elif p == first_n:
                out[f"{mid}__{p}"] = num.where(known)
            elif p == first_d:
                out[f"{mid}__{p}"] = den.where(known)
            else:
                out[f"{mid}__{p}"] = pd.Series(0.0, index=pairs.index).where(known)
    return pd.DataFrame(out, index=pairs.index)


def sum_subperiods(df: pd.DataFrame, keys: list[str], start: date, end: date) -> pd.DataFrame:
    """In memory, what the read side's GROUP BY does: per ``keys``, the rows lying inside
    start..end summed into one period. Flows are summed, first parts taken from the rows that
    start at ``start``, last parts from those that end at ``end``; 'days' is the number of
    days the rows cover and 'single' whether one row is the whole period."""
    inside = df[(df["period_start"] >= start) & (df["period_end"] <= end)]
    if inside.empty:
        return pd.DataFrame(columns=[*keys, *PARTS, *FLAGS, "days", "rows", "single", "batches"]).set_index(keys)
    inside = inside.copy()
    is_first = (inside["period_start"] == start).to_numpy()
    is_last = (inside["period_end"] == end).to_numpy()
    is_whole = is_first & is_last
    for p in FIRST_PARTS:
        inside[p] = inside[p].where(is_first)
    for p in LAST_PARTS:
        inside[p] = inside[p].where(is_last)
    for p in SINGLE_PARTS:
        inside[p] = inside[p].where(is_whole)
    inside["days"] = [(e - s).days + 1 for s, e in zip(inside["period_start"], inside["period_end"], strict=True)]
    inside["rows"] = 1
    out = group_sum(inside, keys, [*PARTS, *FLAGS, "days", "rows"])
    out["single"] = (out["rows"] == 1) & (out["days"] == (end - start).days + 1)
    return out


def join_ids(values: Iterable) -> str:
    """'3,7' from batch-id strings or numbers (sorted, distinct)."""
    ids = {int(x) for v in values if v is not None and v == v for x in str(v).split(",") if x}
    return ",".join(str(i) for i in sorted(ids))


def group_sum(df: pd.DataFrame, keys: list[str], cols: list[str], largest: tuple[str, ...] = ("_start",)
              ) -> pd.DataFrame:
    """Sum ``cols`` per group (all-unknown stays unknown), except the ``largest`` ones (their
    maximum); join the batch ids of each group (vectorised: Python joins only the groups with
    several distinct id lists)."""
    g = df.groupby(keys, sort=False, dropna=False)
    summed = [c for c in cols if c not in largest]
    out = g[summed].sum(min_count=1)
    for c in cols:
        if c in largest:
            out[c] = g[c].max()
    first, n = g["batches"].first(), g["batches"].nunique()
    out["batches"] = first
    many = n[n > 1].index
    if len(many):
        sub = df.set_index(keys)["batches"]
        out.loc[many, "batches"] = sub.loc[many].groupby(level=list(range(len(keys)))).agg(join_ids)
    return out


def insert_frame(conn: Connection, table: Table, frame: pd.DataFrame, label: str | None = None) -> None:
    """Insert a frame into a store table: its integer columns as integers (NaN -> NULL), missing
    columns as NULL, converted a column at a time with numpy (the store writes up to a million
    rows)."""
    if frame.empty:
        return
    n = len(frame)
    columns = []
    for c in table.columns:
        if c.name not in frame:
            columns.append([None] * n)
        elif c.type.python_type is int:
            a = pd.to_numeric(frame[c.name], errors="coerce").to_numpy(dtype="float64")
            missing = np.isnan(a)
            v = np.round(np.where(missing, 0, a)).astype(np.int64).astype(object)
            v[missing] = None
            columns.append(v)
        else:
            v = frame[c.name].to_numpy(dtype=object)
            columns.append(np.where(pd.isna(frame[c.name]).to_numpy(), None, v))
    bulk_rows(conn, table, [c.name for c in table.columns], zip(*columns, strict=True), n, label)


def as_ints(values: pd.DataFrame) -> pd.DataFrame:
    """Counts as nullable integers for storing (NaN -> NULL)."""
    return values.apply(lambda s: pd.to_numeric(s, errors="coerce").round().astype("Int64"))


# --- writes ---------------------------------------------------------------------------------

CHUNK = 20000


def bulk_insert(conn: Connection, table: Table, frame: pd.DataFrame, label: str | None = None) -> None:
    """Fast insert of a frame whose columns are the table's (see ``bulk_rows``)."""
    if frame.empty:
        return
    values = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
    bulk_rows(conn, table, list(frame.columns), values, len(frame), label)


def bulk_rows(conn: Connection, table: Table, cols: list[str], values: Iterable[tuple], total: int,
              label: str | None = None) -> None:
    """Fast insert of tuples in ``cols`` order: COPY on PostgreSQL, executemany elsewhere; a
    progress bar on stderr when ``label`` is given."""
    dbapi = conn.connection.dbapi_connection
    with tqdm(total=total, desc=label, unit="dòng", unit_scale=True, leave=False, file=sys.stderr,
              disable=label is None) as bar:
        if conn.dialect.name == "postgresql":
            quoted = ", ".join(f'"{c}"' for c in cols)
            with dbapi.cursor() as cur, cur.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
                for k, row in enumerate(values, 1):
                    copy.write_row(row)
                    if k % CHUNK == 0:
                        bar.update(CHUNK)
            bar.update(total % CHUNK)
            return
        sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        cur = dbapi.cursor()
        batch: list[tuple] = []
        for row in values:
            batch.append(row)
            if len(batch) == CHUNK:
                cur.executemany(sql, batch)
                bar.update(len(batch))
                batch = []
        if batch:
            cur.executemany(sql, batch)
            bar.update(len(batch))
        cur.close()


def year_conditions(table: Table, years: list[int] | None, overlapping: bool = False) -> list:
    """Conditions selecting a store table's rows of calendar ``years`` (none: all rows): rows
    starting in one of them, or, with ``overlapping``, rows whose period touches one of them."""
    if years is None:
        return []
    if overlapping:
        return [or_(*[and_(table.c.period_start <= date(y, 12, 31), table.c.period_end >= date(y, 1, 1))
                      for y in years])]
    return [or_(*[and_(table.c.period_start >= date(y, 1, 1), table.c.period_start <= date(y, 12, 31))
                  for y in years])]


def delete_where(conn: Connection, table: Table, *conditions) -> None:  # noqa: ANN002
    conn.execute(delete(table).where(*conditions))

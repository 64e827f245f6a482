"""SQL on the analytics store. Every function selects (and sums) stored aggregates for a set
of units of one level and a list of periods; nothing here reads the figure tables.

A selection (``Where``) is a level, a scheme and one of: every unit of that level, the units
inside a province (``province``), the units one level below a unit (``parent``) or a list of
keys. Periods asked together are split into groups of disjoint periods; each group is one
GROUP BY over the months (grain 'month'), with flows summed and stocks taken from the first /
last month of each period (data.store.pairs_from_parts turns the sums into indicators).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, case, func, or_, select, tuple_

from data import periods as P
from data.read.registry import registry
from data.schema import OFFER_COUNTS, agg_count, agg_dossier, agg_offer
from data.store import (
    FIRST_PARTS,
    FLAGS,
    FLOW_PARTS,
    LAST_PARTS,
    OFFER_IDS,
    PARTS,
    SINGLE_PARTS,
    group_sum,
    month_aligned,
)


@dataclass(frozen=True)
class Where:
    level: str  # province | district | commune | department
    scheme: str | None = None  # legacy | 2025
    province: int | None = None
    parent: int | None = None
    keys: tuple[int, ...] | None = None

    def conditions(self, table) -> list:  # noqa: ANN001
        out = [table.c.level == self.level]
        if self.scheme is not None:
            out.append(table.c.scheme == self.scheme)
        if self.province is not None:
            out.append(table.c.province == self.province)
        if self.parent is not None:
            out.append(table.c.parent == self.parent)
        if self.keys is not None:
            out.append(table.c.key.in_(self.keys or (-1,)))
        return out


def frame(conn: Connection, query, numeric: list[str] | None = None) -> pd.DataFrame:  # noqa: ANN001
    """The query's rows as they come from the driver (SQLAlchemy's compiled-statement cache, no
    per-row processing: dates may come back as ISO text); ``numeric`` columns as float64 (NULL ->
    NaN, PostgreSQL's Decimal sums -> float), converted as one block."""
    result = conn.execute(query)
    names = list(result.keys())
    rows = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    if not numeric or not rows:
        return pd.DataFrame(rows, columns=names)
    values = np.array(rows, dtype=object)
    pos = [names.index(c) for c in numeric]
    num = pd.DataFrame(values[:, pos].astype("float64"), columns=numeric)
    rest = [i for i in range(len(names)) if i not in set(pos)]
    other = pd.DataFrame({names[i]: values[:, i] for i in rest})
    return pd.concat([other, num], axis=1)[names]


def _days(values: pd.Series) -> np.ndarray:
    """Dates (date objects or ISO strings) as day numbers."""
    return pd.to_datetime(values).to_numpy().astype("datetime64[D]").astype(np.int64)


def _day(d: date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


def disjoint_groups(periods: list[P.Period]) -> list[list[int]]:
    """Indices of ``periods`` in groups whose periods do not overlap."""
    groups: list[list[int]] = []
    for i in sorted(range(len(periods)), key=lambda i: (periods[i].start, periods[i].end)):
        for g in groups:
            if all(periods[i].start > periods[j].end or periods[i].end < periods[j].start for j in g):
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


# --- dossier indicators -----------------------------------------------------------------------


def _subset(metric_ids: list[str] | None) -> tuple[list[str], list[str]]:
    """The part and flag columns of these dossier indicators (all when None)."""
    if metric_ids is None:
        return PARTS, FLAGS
    wanted = {m for m in metric_ids}
    return ([p for p in PARTS if p.split("__")[0] in wanted], [f for f in FLAGS if f.split("__")[0] in wanted])


def dossier_month_sums(conn: Connection, where: Where, periods: list[P.Period],
                       metric_ids: list[str] | None = None) -> pd.DataFrame:
    """Per (pidx, key): the parts summed over the months of each period, 'months' (months with
    a row), 'reporting' (in the last month), the provenance counts and batch ids; only the
    columns of ``metric_ids`` when given (the others come back unknown)."""
    parts, flags = _subset(metric_ids)
    out = []
    for group in disjoint_groups(periods):
        month_of: dict[date, int] = {}
        firsts, lasts, singles = [], [], []
        for i in group:
            per = periods[i]
            if not month_aligned(per.start, per.end):
                continue  # months cannot make it: only a stated figure can
            months = P.months_between(per.start, per.end)
            for m in months:
                month_of[m.start] = i
            firsts.append(months[0].start)
            lasts.append(months[-1].start)
            if len(months) == 1:
                singles.append(months[0].start)
        if not month_of:
            continue
        t = agg_dossier
        ps = t.c.period_start
        pidx = case(month_of, value=ps)
        cols = [t.c.key, pidx.label("pidx"), t.c.batches, func.count().label("months")]
        cols += [func.sum(case((ps.in_(lasts), t.c.reporting))).label("reporting")]
        cols += [func.sum(t.c[p]).label(p) for p in FLOW_PARTS if p in parts]
        cols += [func.sum(case((ps.in_(firsts), t.c[p]))).label(p) for p in FIRST_PARTS if p in parts]
        cols += [func.sum(case((ps.in_(lasts), t.c[p]))).label(p) for p in LAST_PARTS if p in parts]
        cols += [func.sum(case((ps.in_(singles or [date.min]), t.c[p]))).label(p) for p in SINGLE_PARTS
                 if p in parts]
        cols += [func.sum(t.c[f]).label(f) for f in flags]
        q = (select(*cols).where(t.c.grain == "month", ps.in_(list(month_of)), *where.conditions(t))
             .group_by(t.c.key, pidx, t.c.batches))
        out.append(frame(conn, q, [*parts, *flags, "months", "reporting"]))
    if not out:
        return pd.DataFrame(columns=["pidx", "key", "months", "reporting", *PARTS, *FLAGS, "batches"])
    df = pd.concat(out, ignore_index=True) if len(out) > 1 else out[0]
    if df.duplicated(["pidx", "key"]).any():  # rows of one unit with different batch lists
        df = group_sum(df, ["pidx", "key"], [*parts, *flags, "months", "reporting"]).reset_index()
    return _full(df)


def _full(df: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in (*PARTS, *FLAGS) if c not in df]
    if missing:
        df = pd.concat([df, pd.DataFrame(np.nan, index=df.index, columns=missing)], axis=1)
    return df


def dossier_stated(conn: Connection, where: Where, periods: list[P.Period]) -> pd.DataFrame:
    """Stated rows (grain 'stated') for exactly these periods: pidx, key, parts, flags, batches."""
    t = agg_dossier
    spans = {(p.start, p.end): i for i, p in enumerate(periods)}
    q = (select(t.c.key, t.c.period_start, t.c.period_end, t.c.months, t.c.reporting, t.c.batches,
                *[t.c[p] for p in PARTS], *[t.c[f] for f in FLAGS])
         .where(t.c.grain == "stated", tuple_(t.c.period_start, t.c.period_end).in_(list(spans)),
                *where.conditions(t)))
    df = frame(conn, q, [*PARTS, *FLAGS, "months", "reporting"])
    if df.empty:
        return df.assign(pidx=pd.Series(dtype=int))
    df["pidx"] = [spans[(_d(s), _d(e))] for s, e in zip(df["period_start"], df["period_end"], strict=True)]
    return df.drop(columns=["period_start", "period_end"])


def _d(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# --- as-of figures --------------------------------------------------------------------------


OFFER_IN_FORCE_DAYS = 92  # a catalogue snapshot stands until the next one: at most a quarter
# ... and never across a reorganisation: the agency merges of 1/3/2025 (data/reference/
# agency_types.csv, valid_to 28/02/2025) and the new units of 1/7/2025
REORGANISED = (date(2025, 3, 1), date(2025, 7, 1))


def offer_rows(conn: Connection, where: Where, periods: list[P.Period]) -> pd.DataFrame:
    """Offer snapshots ending inside any of the periods (pidx assigned; a snapshot inside two
    periods appears twice). A unit with no snapshot inside a period (a month inside a quarter)
    takes its latest snapshot of the ``OFFER_IN_FORCE_DAYS`` before the period, none from before a
    reorganisation: the catalogue in force, so November shows the catalogue of 30 September
    instead of "no data", and April 2025 no catalogue of a department merged on 1/3/2025."""
    t = agg_offer
    back = timedelta(days=OFFER_IN_FORCE_DAYS)
    within = or_(*[and_(t.c.period_end >= p.start - back, t.c.period_end <= p.end) for p in periods])
    q = select(t).where(within, *where.conditions(t))
    num = [c.name for c in t.columns if c.name.split("__")[0] in OFFER_IDS or c.name in OFFER_COUNTS]
    df = frame(conn, q, num)
    if df.empty:
        return df
    end = _days(df["period_end"])
    df["period_end"] = end
    key = df["key"].to_numpy(dtype=np.int64)
    agencies = registry(conn.engine).agencies if where.level == "department" else None

    def ended(p: P.Period) -> np.ndarray:  # agencies gone before the period: no catalogue in force
        if agencies is None:
            return np.array([], dtype=np.int64)
        gone = agencies["valid_to"].map(lambda d: d is not None and d == d and _d(d) < p.start)
        return agencies.index[gone.to_numpy(dtype=bool)].to_numpy(dtype=np.int64)

    parts = []
    for i, p in enumerate(periods):
        a, b = _day(p.start), _day(p.end)
        inside = (end >= a) & (end <= b)
        since = max([a - OFFER_IN_FORCE_DAYS] + [_day(d) for d in REORGANISED if d <= p.start])
        before = np.flatnonzero((end < a) & (end >= since) & ~np.isin(key, key[inside]) & ~np.isin(key, ended(p)))
        inside[_latest_per_key(before, end, key)] = True  # each unit's latest earlier snapshot
        if inside.any():
            parts.append(df[inside].assign(pidx=i))
    if not parts:
        return df.iloc[0:0].assign(pidx=pd.Series(dtype=int))
    return pd.concat(parts, ignore_index=True) if len(parts) != 1 else parts[0]


def _latest_per_key(rows: np.ndarray, end: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Of the row positions ``rows``, the one with the latest ``end`` for each ``key``."""
    if not len(rows):
        return rows
    order = rows[np.lexsort((-end[rows], key[rows]))]
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    return order[first]


def count_rows(conn: Connection, where: Where, periods: list[P.Period]) -> pd.DataFrame:
    """Counts usable for the periods: stated ones lying inside a period, computed ones ('zero')
    for exactly a period, the agreement count in force on a period's last day (pidx assigned)."""
    t = agg_count
    first, last = min(p.start for p in periods), max(p.end for p in periods)
    conds = [and_(t.c.kind == "stated", t.c.period_end >= first, t.c.period_end <= last),
             and_(t.c.kind == "zero", tuple_(t.c.period_start, t.c.period_end).in_([(p.start, p.end) for p in periods])),
             and_(t.c.kind == "agreements", t.c.period_end <= last)]
    nums = ["units_total", "units_zero_activity", "agencies_total", "agencies_with_agreement", "units_real",
            "units_demo", "agencies_real", "agencies_demo"]
    df = frame(conn, select(t).where(or_(*conds), *where.conditions(t)), nums)
    if df.empty:
        return df
    start, end = _days(df["period_start"]), _days(df["period_end"])
    df["period_start"], df["period_end"] = start, end
    kind = df["kind"].to_numpy()
    key = df["key"].to_numpy(dtype=np.int64)
    parts = []
    for i, p in enumerate(periods):
        a, b = _day(p.start), _day(p.end)
        take = ((kind == "stated") & (end >= a) & (end <= b) & (start >= a)) | ((kind == "zero") & (start == a)
                                                                               & (end == b))
        agr = np.flatnonzero((kind == "agreements") & (end <= b))
        take[_latest_per_key(agr, end, key)] = True  # the agreement count in force on the last day
        if take.any():
            parts.append(df[take].assign(pidx=i))
    if not parts:
        return df.iloc[0:0].assign(pidx=pd.Series(dtype=int))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def commune_online_sums(conn: Connection, scheme: str, province: int | None, per: P.Period) -> pd.DataFrame:
    """Communes' online dossiers over a period from their months (for zero activity over a
    period no stored count covers): key, parent, province, months, online, real, demo, batches."""
    t = agg_dossier
    months = [m.start for m in P.months_between(per.start, per.end)]
    conds = [t.c.level == "commune", t.c.scheme == scheme, t.c.grain == "month", t.c.period_start.in_(months),
             t.c.online_intake_share__nf.is_not(None)]
    if province is not None:
        conds.append(t.c.province == province)
    q = (select(t.c.key, t.c.parent, t.c.province, func.count().label("months"),
                func.sum(t.c.online_intake_share__nf).label("online"),
                func.sum(t.c.online_intake_share__real).label("real"),
                func.sum(t.c.online_intake_share__demo).label("demo"), func.max(t.c.batches).label("batches"))
         .where(*conds).group_by(t.c.key, t.c.parent, t.c.province))
    return frame(conn, q)


def latest_month(conn: Connection, scheme: str | None = None) -> date | None:
    t = agg_dossier
    q = select(func.max(t.c.period_end)).where(t.c.grain == "month", t.c.level == "province")
    if scheme is not None:
        q = q.where(t.c.scheme == scheme)
    v = conn.execute(q).scalar()
    return _d(v) if v is not None else None


def first_month(conn: Connection) -> date | None:
    t = agg_dossier
    v = conn.execute(select(func.min(t.c.period_start)).where(t.c.grain == "month", t.c.level == "province")).scalar()
    return _d(v) if v is not None else None


__all__ = ["Where", "commune_online_sums", "count_rows", "dossier_month_sums", "dossier_stated", "first_month",
           "latest_month", "offer_rows"]

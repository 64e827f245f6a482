"""Chỉ số 766 in the analytics store (agg_score): one row per unit (or agency) and period.

Rules (docs/data_model.md, "Chỉ số 766"):
- the figures of active batches only; real rows replace demo rows of the same subject and
  period, and a real capture of a level and parent (a province's communes) leaves out the demo
  units of that group and period; for each component (the total and the six groups) the latest capture (``as_of``,
  then the later batch) that states it: a group may come from another file than the total;
- maxima as the source states them, else the registry's (data.metrics.SCORE_GROUPS);
- ranks among the units of the same level and parent (the provinces of a scheme; the
  departments, or the communes, of a province), 1 = best, ties share the better rank;
- the previous snapshot: the latest earlier capture of the same period (a batch this one
  replaced), else the same kind of period before (the month, quarter or year before).

Scores are never summed: a province's score is the portal's, not its communes' mean.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from data import metrics
from data.periods import classify
from data.schema import SCORE_COMPONENTS, agg_score, load_batch, period, score_stat, unit
from data.store import COUNTRY, delete_where, insert_frame, join_ids
from data.units import unit_tree

MAX_DEFAULT = {"total": 100.0, **{g.column: float(g.max_points) for g in metrics.SCORE_GROUPS}}


def read_scores(conn: Connection, provinces: set[int] | None = None, active: bool | None = True,
                unit_ids: list[int] | None = None) -> pd.DataFrame:
    """score_stat rows with their batch (dataset, status, kind, id) and period; ``active``: only
    rows of active batches (True), of history (False) or both (None); ``unit_ids``: only the rows
    of these units (an agency's unit is its province), filtered in the database."""
    s = score_stat
    q = (select(s.c.batch_id, s.c.source_ref, s.c.unit_id, s.c.agency_id, s.c.as_of, s.c.portal_code,
                *[s.c[c] for c in SCORE_COMPONENTS], *[s.c[f"max_{c}"] for c in SCORE_COMPONENTS], s.c.portal_rank,
                period.c.start_date.label("period_start"), period.c.end_date.label("period_end"),
                period.c.kind.label("period_kind"), period.c.label.label("period_label"),
                load_batch.c.dataset, load_batch.c.status, load_batch.c.kind.label("batch_kind"))
         .join(period, period.c.id == s.c.period_id).join(load_batch, load_batch.c.id == s.c.batch_id))
    if active is True:
        q = q.where(load_batch.c.status == "active")
    elif active is False:
        q = q.where(load_batch.c.status == "replaced")
    if unit_ids is not None:
        q = q.where(s.c.unit_id.in_(sorted(unit_ids)))
    df = pd.DataFrame(conn.execute(q).all(), columns=[c.name for c in q.selected_columns])
    for c in ("period_start", "period_end", "as_of"):
        if len(df) and not isinstance(df[c].iloc[0], date):
            df[c] = df[c].map(lambda v: date.fromisoformat(str(v)[:10]))
    for c in [*SCORE_COMPONENTS, *[f"max_{c}" for c in SCORE_COMPONENTS]]:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    df["agency_id"] = pd.to_numeric(df["agency_id"]).astype("Int64")
    if provinces is not None and len(df):
        units = unit_tree(conn)
        df = df[df["unit_id"].map(units["province_id"]).isin(provinces)]
    return df.reset_index(drop=True)


def _place(df: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """level, key, parent, province, scheme of score rows (agencies at level 'department')."""
    dep = df["agency_id"].notna().to_numpy()
    level = df["unit_id"].map(units["level"]).to_numpy(dtype=object)
    province = df["unit_id"].map(units["province_id"]).astype("float64").to_numpy()
    scheme = df["unit_id"].map(units["scheme"]).to_numpy(dtype=object)
    parent = df["unit_id"].map(units["parent_id"]).astype("float64").to_numpy()
    country = np.array([COUNTRY.get(s, 0) for s in scheme], dtype="float64")
    out = df.assign(
        level=np.where(dep, "department", level),
        key=np.where(dep, df["agency_id"].fillna(-1).astype("float64").to_numpy(), df["unit_id"].to_numpy()),
        province=province,
        scheme=scheme,
        parent=np.where(dep, df["unit_id"].to_numpy(), np.where(level == "province", country, parent)),
    )
    for c in ("key", "province", "parent"):
        out[c] = out[c].astype(np.int64)
    return out


SUBJECT = ["level", "key"]
PERIOD = ["period_start", "period_end"]


def latest(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per subject and period: each component from the latest capture stating it."""
    if rows.empty:
        return rows
    rows = rows.copy()
    real = (rows["dataset"] == "real").groupby([rows[k] for k in (*SUBJECT, *PERIOD)]).transform("any")
    rows = rows[(rows["dataset"] == "real") | ~real]
    rows = rows.sort_values(["as_of", "batch_id"])
    keys = [*SUBJECT, *PERIOD]
    g = rows.groupby(keys, sort=False)
    out = g[["scheme", "parent", "province", "period_kind", "period_label", "dataset"]].last()
    batches: list[pd.Series] = []
    as_of: list[pd.Series] = []
    for c in SCORE_COMPONENTS:
        has = rows[rows[c].notna()]
        last = has.groupby(keys, sort=False).tail(1).set_index(keys)
        out[c] = last[c]
        out[f"max_{c}"] = last[f"max_{c}"].fillna(MAX_DEFAULT[c])
        batches.append(last["batch_id"].astype(str))
        as_of.append(last["as_of"])
        if c == "total":
            out["portal_rank"] = last["portal_rank"]
    out["batches"] = _joined(pd.concat(batches, axis=1).reindex(out.index))
    latest_day = pd.concat(as_of, axis=1).reindex(out.index).apply(pd.to_datetime).max(axis=1)
    out["as_of"] = latest_day.map(lambda v: None if pd.isna(v) else v.date())
    out = out.reset_index()
    out = out[out[list(SCORE_COMPONENTS)].notna().any(axis=1)]
    # where a real capture ranks the units of a level and parent (the portal's list of a
    # province's communes), demo units of that group and period are not ranked among them
    group = [out["level"], out["parent"], out["period_start"], out["period_end"]]
    any_real = (out["dataset"] == "real").groupby(group).transform("any")
    return out[(out["dataset"] == "real") | ~any_real]


def _joined(b: pd.DataFrame) -> pd.Series:
    """join_ids of each row (vectorised where a row's components share one batch, the usual case)."""
    ids = b.apply(pd.to_numeric)
    lo, hi = ids.min(axis=1), ids.max(axis=1)
    out = pd.Series([""] * len(b), index=b.index, dtype=object)
    one = lo.notna() & (lo == hi)
    out[one] = lo[one].astype(np.int64).astype(str)
    mixed = lo.notna() & (lo != hi)
    if mixed.any():
        out[mixed] = b[mixed].apply(lambda r: join_ids(r.dropna()), axis=1)
    return out


def add_ranks(df: pd.DataFrame) -> pd.DataFrame:
    """rank_<component> among the subjects of the same level, parent and period; rank_of."""
    if df.empty:
        return df
    group = [df["level"], df["parent"], df["period_start"], df["period_end"]]
    for c in SCORE_COMPONENTS:
        df[f"rank_{c}"] = df.groupby(group)[c].rank(method="min", ascending=False)
    df["rank_of"] = df.groupby(group)["key"].transform("size")
    return df


def _previous_period(kind: str, start: date) -> tuple[date, date] | None:
    if kind == "month":
        end = start.replace(day=1) - pd.Timedelta(days=1)
        return end.replace(day=1), end
    if kind == "quarter":
        end = start - pd.Timedelta(days=1)
        return date(end.year, end.month - 2, 1), end
    if kind == "year":
        return date(start.year - 1, 1, 1), date(start.year - 1, 12, 31)
    return None


def add_previous(df: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """prev_total / prev_rank / prev_as_of / prev_label: the previous snapshot of each row."""
    if df.empty:
        return df
    for c in ("prev_total", "prev_rank"):
        df[c] = np.nan
    df["prev_as_of"], df["prev_label"] = None, None
    # an earlier capture of the same period (history rows giving the total), ranked within its batch
    if not history.empty:
        h = history[history["total"].notna()].copy()
        h["h_rank"] = h.groupby(["batch_id", "level", "parent", "period_start", "period_end"])["total"] \
            .rank(method="min", ascending=False)
        h = h.sort_values(["as_of", "batch_id"]).merge(
            df[[*SUBJECT, *PERIOD, "as_of"]].rename(columns={"as_of": "cur_as_of"}), on=[*SUBJECT, *PERIOD])
        h = h[h["as_of"] < h["cur_as_of"]].groupby([*SUBJECT, *PERIOD]).tail(1)
        if len(h):
            idx = df.set_index([*SUBJECT, *PERIOD]).index
            hh = h.set_index([*SUBJECT, *PERIOD])
            df["prev_total"] = hh["total"].reindex(idx).to_numpy()
            df["prev_rank"] = hh["h_rank"].reindex(idx).to_numpy()
            df["prev_as_of"] = hh["as_of"].reindex(idx).to_numpy()
            df.loc[df["prev_total"].notna(), "prev_label"] = "bản chụp trước của cùng kỳ"
    # else the period before, as it stands now
    prev = df[["level", "key", "period_start", "period_end", "total", "rank_total", "as_of", "period_kind"]]
    bounds = [_previous_period(k, s) for k, s in zip(df["period_kind"], df["period_start"], strict=True)]
    want = pd.DataFrame({"level": df["level"], "key": df["key"],
                         "period_start": [b[0] if b else None for b in bounds],
                         "period_end": [b[1] if b else None for b in bounds]}, index=df.index)
    if len(want):
        want["period_start"] = want["period_start"].map(lambda v: v if v is None else _as_day(v))
        want["period_end"] = want["period_end"].map(lambda v: v if v is None else _as_day(v))
    found = want.reset_index().merge(prev, on=["level", "key", "period_start", "period_end"], how="left") \
        .set_index("index")
    use = df["prev_total"].isna() & found["total"].reindex(df.index).notna()
    df.loc[use, "prev_total"] = found.loc[use[use].index, "total"]
    df.loc[use, "prev_rank"] = found.loc[use[use].index, "rank_total"]
    df.loc[use, "prev_as_of"] = found.loc[use[use].index, "as_of"]
    idx = use[use].index
    pairs = list(zip(found.loc[idx, "period_start"], found.loc[idx, "period_end"], strict=True))
    label = {p: classify(*p).label for p in set(pairs)}  # one per period, not per row
    df.loc[idx, "prev_label"] = [label[p] for p in pairs]
    return df


def _as_day(v: object) -> date:
    return v.date() if isinstance(v, pd.Timestamp) else v  # type: ignore[return-value]


def compute(conn: Connection, provinces: set[int] | None,
            provinces_only: bool = False) -> tuple[pd.DataFrame, set[str]]:
    """The agg_score rows of ``provinces`` (all: None), province rows of their schemes included
    (ranks among provinces need them all); and the schemes touched. ``provinces_only``: only the
    province rows (what changes when a batch holds nothing but provinces' scores)."""
    units = unit_tree(conn)
    wanted = None
    if provinces is not None:
        schemes = {str(units.at[p, "scheme"]) for p in provinces if p in units.index}
        prov_ids = units.index[(units["level"] == "province") & units["scheme"].isin(schemes)]
        inside = units.index[units["province_id"].isin(provinces)] if not provinces_only else []
        wanted = sorted(set(prov_ids) | set(inside))
    rows = read_scores(conn, None, active=None, unit_ids=wanted)
    if provinces_only and len(rows):
        rows = rows[rows["agency_id"].isna()]
    if rows.empty:
        return rows, set()
    rows = _place(rows, units)
    if provinces is not None:
        schemes = {str(units.at[p, "scheme"]) for p in provinces if p in units.index}
        rows = rows[rows["province"].isin(provinces) | ((rows["level"] == "province") & rows["scheme"].isin(schemes))]
    else:
        schemes = set(rows["scheme"].unique())
    active = rows[rows["status"] == "active"]
    history = rows[(rows["status"] == "replaced") & (rows["batch_kind"] == "portal")]
    out = add_previous(add_ranks(latest(active)), history)
    return out, schemes


def only_provinces(conn: Connection, batch_ids: set[int]) -> bool:
    """Whether these batches hold scores of provinces only (a national table of the portal)."""
    if not batch_ids:
        return False
    q = (select(unit.c.level, score_stat.c.agency_id.is_(None)).join(unit, unit.c.id == score_stat.c.unit_id)
         .where(score_stat.c.batch_id.in_(sorted(batch_ids))).distinct())
    found = set(conn.execute(q).all())
    return bool(found) and found == {("province", True)}


def refresh(conn: Connection, provinces: set[int] | None, batch_ids: set[int] | None = None) -> None:
    """Recompute agg_score for ``provinces`` (and the province rows of their schemes); when the
    batches behind the change (``batch_ids``) hold provinces' scores only, the province rows alone."""
    if provinces is not None and batch_ids and only_provinces(conn, batch_ids):
        frame, schemes = compute(conn, provinces, provinces_only=True)
        if schemes:
            delete_where(conn, agg_score, agg_score.c.level == "province", agg_score.c.scheme.in_(sorted(schemes)))
        if not frame.empty:
            insert_frame(conn, agg_score, frame[frame["level"] == "province"])
        return
    frame, schemes = compute(conn, provinces)
    if provinces is None:
        delete_where(conn, agg_score)
    else:
        if provinces:
            delete_where(conn, agg_score, agg_score.c.level != "province", agg_score.c.province.in_(sorted(provinces)))
        if schemes:
            delete_where(conn, agg_score, agg_score.c.level == "province", agg_score.c.scheme.in_(sorted(schemes)))
        if not schemes:
            delete_where(conn, agg_score, agg_score.c.province.in_(sorted(provinces)))
    if not frame.empty:
        if provinces is not None:
            frame = frame[frame["province"].isin(provinces) | (frame["level"] == "province")]
        insert_frame(conn, agg_score, frame)

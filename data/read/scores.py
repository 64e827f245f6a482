"""Chỉ số 766 from the analytics store (agg_score): scores per unit and period, with names.

Frames carry ``level``, ``key`` (unit id; agency id at level 'department'), ``parent``,
``province``, ``name``, ``code`` (the official unit code; the portal's code for agencies),
the period and capture, each component (``total`` and the six groups, columns in lower case)
with its maximum and rank among the units of the same level and parent, and the previous
snapshot. The scope of the request is applied by data/queries.py.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import pandas as pd
from sqlalchemy import Engine, and_, func, select

from data import metrics
from data import periods as P
from data.read.registry import registry
from data.schema import SCORE_COMPONENTS, agg_score, load_batch, portal_unit

COMPONENT_KEYS = ("total", *[g.column for g in metrics.SCORE_GROUPS])


def _frame(engine: Engine, q) -> pd.DataFrame:  # noqa: ANN001
    with engine.connect() as conn:
        df = pd.DataFrame(conn.execute(q).all(), columns=[c.name for c in q.selected_columns])
    for c in ("period_start", "period_end", "as_of", "prev_as_of"):
        if c in df and len(df):
            df[c] = df[c].map(lambda v: v if v is None or isinstance(v, date) else date.fromisoformat(str(v)[:10]))
    return df


def _named(engine: Engine, df: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return df.assign(name=pd.Series(dtype=str), code=pd.Series(dtype=str), portal_code=pd.Series(dtype=str))
    reg = registry(engine)
    units, agencies = reg.units, reg.agencies
    dep = df["level"] == "department"
    df = df.copy()
    df["name"] = df["key"].map(units["name"]).where(~dep, df["key"].map(agencies["name"]))
    df["code"] = df["key"].map(units["code"]).where(~dep, df["key"].map(agencies["type_code"]))
    codes = portal_codes(engine)
    df["portal_code"] = [codes.get(("department" if d else "unit", int(k))) for d, k in zip(dep, df["key"],
                                                                                               strict=True)]
    # agencies the registry learnt after it was cached: the portal's name as seen
    missing = df["name"].isna()
    if missing.any():
        df.loc[missing, "name"] = df.loc[missing, "portal_code"].fillna("?")
    return df


def portal_codes(engine: Engine) -> dict[tuple[str, int], str]:
    """{('unit', unit id) | ('department', agency id): the portal's electronic code}."""
    q = select(portal_unit.c.level, portal_unit.c.unit_id, portal_unit.c.agency_id, portal_unit.c.code)
    out: dict[tuple[str, int], str] = {}
    with engine.connect() as conn:
        for level, uid, aid, code in conn.execute(q):
            if level == "department":
                if aid is not None:
                    out[("department", int(aid))] = code
            else:
                out[("unit", int(uid))] = code
    return out


def score_periods(engine: Engine, scheme: str | None = None) -> pd.DataFrame:
    """The periods with scores: period_start, period_end, period_kind, label, as_of (latest),
    dataset ('real' when any row is real), newest first. The same for every view of a data
    version (a GROUP BY over the whole store, 50 ms nationally): kept per process and version."""
    from data.read.quality import data_version

    return _periods(engine.url.render_as_string(hide_password=False), scheme, data_version(engine), engine).copy()


@lru_cache(maxsize=16)
def _periods(url: str, scheme: str | None, version: str, engine: Engine) -> pd.DataFrame:
    del url, version  # the cache's key
    t = agg_score
    q = select(t.c.period_start, t.c.period_end, t.c.period_kind, func.max(t.c.as_of).label("as_of"),
               func.max(t.c.dataset).label("dataset"), func.count().label("rows"))
    if scheme:
        q = q.where(t.c.scheme == scheme)
    q = q.group_by(t.c.period_start, t.c.period_end, t.c.period_kind)
    df = _frame(engine, q)
    if df.empty:
        return df.assign(label=pd.Series(dtype=str), spec=pd.Series(dtype=str))
    per = [P.classify(s, e) for s, e in zip(df["period_start"], df["period_end"], strict=True)]
    df["label"], df["spec"] = [p.label for p in per], [p.spec for p in per]
    return df.sort_values(["period_end", "period_start"], ascending=[False, True]).reset_index(drop=True)


def scores(engine: Engine, per: P.Period | None = None, level: str | None = None, scheme: str | None = None,
           within: int | None = None, keys: list[int] | None = None, kind: str | None = None) -> pd.DataFrame:
    """Scores of a level (or every level), in ``per`` (or every period of ``kind``), inside a
    province (``within``: its departments and communes) or of some subjects (``keys``)."""
    t = agg_score
    q = select(t)
    if per is not None:
        q = q.where(t.c.period_start == per.start, t.c.period_end == per.end)
    if kind is not None:
        q = q.where(t.c.period_kind == kind)
    if level is not None:
        q = q.where(t.c.level == level)
    if scheme is not None:
        q = q.where(t.c.scheme == scheme)
    if within is not None:
        q = q.where(and_(t.c.province == within, t.c.level != "province"))
    if keys is not None:
        q = q.where(t.c.key.in_(keys))
    return _named(engine, _frame(engine, q.order_by(t.c.period_end, t.c.level, t.c.rank_total)))


def long_scores(df: pd.DataFrame) -> pd.DataFrame:
    """One row per subject, period and component: score, max_score, share (score / max), rank."""
    if df.empty:
        return pd.DataFrame(columns=["level", "key", "name", "period_start", "period_end", "component", "label",
                                     "score", "max_score", "share", "rank", "rank_of"])
    frames = []
    for c in COMPONENT_KEYS:
        part = df[["level", "key", "name", "code", "period_start", "period_end", "as_of", "rank_of", "dataset",
                   "batches"]].copy()
        part["component"] = c
        part["label"] = metrics.score_group(c).label_vi
        part["score"], part["max_score"], part["rank"] = df[c], df[f"max_{c}"], df[f"rank_{c}"]
        frames.append(part[part["score"].notna()])
    out = pd.concat(frames, ignore_index=True)
    out["share"] = out["score"] / out["max_score"]
    return out


def weakest_group(row: pd.Series) -> str | None:
    """The group with the lowest share of its maximum (the one to work on)."""
    best: tuple[float, str] | None = None
    for g in metrics.SCORE_GROUPS:
        v, m = row.get(g.column), row.get(f"max_{g.column}")
        if v is None or pd.isna(v) or not m:
            continue
        share = float(v) / float(m)
        if best is None or share < best[0]:
            best = (share, g.key)
    return best[1] if best else None


def score_sources(engine: Engine, batch_ids: list[int]) -> pd.DataFrame:
    """The batches behind some scores: id, kind, dataset, file, as_of, note."""
    if not batch_ids:
        return pd.DataFrame(columns=["id", "kind", "dataset", "file_name", "as_of", "note"])
    b = load_batch
    q = select(b.c.id, b.c.kind, b.c.dataset, b.c.file_name, b.c.as_of, b.c.note).where(b.c.id.in_(batch_ids))
    return _frame(engine, q)


__all__ = ["COMPONENT_KEYS", "SCORE_COMPONENTS", "long_scores", "portal_codes", "score_periods", "score_sources",
           "scores", "weakest_group"]

"""The target that applies to a unit's figure: the most specific one in force on the period's
last day. A target stored for the unit itself (a province's own plan, e.g. Lai Châu's
"Giai đoạn 2021-2025: 80 % TTHC … 50 % hồ sơ"), else one stored for its district or province,
else, for a unit of the 2025 scheme, one of its only predecessor (a province the merger did not
touch keeps its plan), else the national default of the metric registry (Nghị quyết 76/NQ-CP,
Quyết định 766/QĐ-TTg). Without any: None, and the UI gives no verdict."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine, select

from data import metrics
from data.read.documents import document_name
from data.read.registry import registry
from data.schema import load_batch, target


def stored_targets(engine: Engine) -> pd.DataFrame:
    """Targets stored per unit (active batches, or set by hand): metric_id, unit_id, valid_from,
    valid_to, value, source."""
    q = (select(target.c.metric_id, target.c.unit_id, target.c.valid_from, target.c.valid_to, target.c.value,
                target.c.source)
         .outerjoin(load_batch, load_batch.c.id == target.c.batch_id)
         .where((target.c.batch_id.is_(None)) | (load_batch.c.status == "active")))
    with engine.connect() as conn:
        res = conn.execute(q)
        return pd.DataFrame(res.all(), columns=list(res.keys()))


def _chain(engine: Engine, unit_id: int) -> list[int]:
    """The unit, its parents up to the province, then (2025 units) the sole predecessor of each."""
    reg = registry(engine)
    units, lin = reg.units, reg.lineage
    chain: list[int] = []
    current: int | None = unit_id
    while current is not None and current in units.index:
        chain.append(current)
        parent = units.at[current, "parent_id"]
        current = None if pd.isna(parent) else int(parent)
    for u in list(chain):
        if units.at[u, "scheme"] == "2025":
            old = lin.loc[lin["new"] == u, "old"]
            if len(old) == 1 and (lin["old"] == int(old.iloc[0])).sum() == 1:  # one-to-one: the same unit
                chain.append(int(old.iloc[0]))
    return chain


def targets_for(engine: Engine, metric_ids: list[str], day: date, unit_id: int | None = None,
                stored: pd.DataFrame | None = None) -> dict[str, metrics.Target | None]:
    """{metric: the target in force on ``day`` for the unit (None: the country)}."""
    stored = stored_targets(engine) if stored is None else stored
    chain = _chain(engine, unit_id) if unit_id is not None else []
    out: dict[str, metrics.Target | None] = {}
    for mid in metric_ids:
        found = None
        if len(stored) and chain:
            t = stored[(stored["metric_id"] == mid) & stored["unit_id"].isin(chain)
                       & (stored["valid_from"] <= day) & (stored["valid_to"] >= day)]
            if len(t):
                t = t.assign(_rank=t["unit_id"].map({u: i for i, u in enumerate(chain)})).sort_values("_rank")
                r = t.iloc[0]
                found = metrics.Target(float(r["value"]), r["valid_from"], r["valid_to"], document_name(r["source"]))
        out[mid] = found or metrics.target_for(mid, day)
    return out


def unit_targets(engine: Engine, metric_id: str, day: date, unit_ids: list[int],
                 parent_id: int | None = None) -> dict[int, float | None]:
    """{unit: target value} of one indicator for the units of one comparison (the children of
    ``parent_id``, or the provinces for None): the parent's target, except for the few units
    that have one stored for themselves or their only predecessor."""
    stored = stored_targets(engine)
    if len(stored):
        stored = stored[(stored["metric_id"] == metric_id) & (stored["valid_from"] <= day) & (stored["valid_to"] >= day)]
    t = targets_for(engine, [metric_id], day, parent_id, stored)[metric_id]
    out: dict[int, float | None] = dict.fromkeys(unit_ids, t.value if t else None)
    if stored.empty:
        return out
    lin = registry(engine).lineage
    own = set(stored["unit_id"].dropna().astype(int))
    heirs = set(lin.loc[lin["old"].isin(own), "new"].astype(int))
    for u in set(unit_ids) & (own | heirs):  # a unit with its own plan (or its predecessor's)
        t = targets_for(engine, [metric_id], day, u, stored)[metric_id]
        out[u] = t.value if t else None
    return out


def row_targets(engine: Engine, metric_id: str, day: date, rows: pd.DataFrame,
                parent_id: int | None) -> dict[int, float | None]:
    """{row key: target value} for the units (or departments) of a comparison: each unit's own
    target; departments take their province's (``parent_id``)."""
    part = rows[rows["metric"] == metric_id] if "metric" in rows else rows
    keys = [int(k) for k in part["key"].unique()] if len(part) else []
    if len(part) and (part["level"] == "department").all():
        t = targets_for(engine, [metric_id], day, parent_id)[metric_id]
        return dict.fromkeys(keys, t.value if t else None)
    return unit_targets(engine, metric_id, day, keys, parent_id)

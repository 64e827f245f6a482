"""Where a unit stands among its peers ("32/34"): the provinces of its scheme, or the units of
its level inside the same parent. Reads the analytics store through the view functions."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from data import metrics
from data import periods as P
from data.read.registry import registry
from data.read.views import as_today, level_metrics
from data.units import SCHEME_CHANGE


def peers_metrics(engine: Engine, per: P.Period, scheme: str, unit_id: int,
                  metric_ids: list[str]) -> pd.DataFrame:
    """Indicators of the unit's peers (itself included) for ``per`` in the view's ``scheme``."""
    u = registry(engine).units.loc[unit_id]
    if scheme == "today" and per.start < SCHEME_CHANGE:
        if u["level"] != "province":  # old figures on today's communes: not ranked
            return pd.DataFrame()
        return as_today(engine, per, metric_ids)
    if u["level"] == "province":
        return level_metrics(engine, per, "province", scheme=str(u["scheme"]), metric_ids=metric_ids)
    parent = u["parent_id"]
    if pd.isna(parent):
        return pd.DataFrame()
    return level_metrics(engine, per, str(u["level"]), within=int(parent), metric_ids=metric_ids)


def rank_of(peers: pd.DataFrame, unit_id: int, metric_ids: list[str]) -> dict[str, tuple[int, int]]:
    """{metric: (rank, number of peers with a value)}; rank 1 is the best by the indicator's
    direction, ties share the better rank."""
    out: dict[str, tuple[int, int]] = {}
    if peers.empty:
        return out
    for mid in metric_ids:
        part = peers[(peers["metric"] == mid) & peers["value"].notna()]
        own = part.loc[part["key"] == unit_id, "value"]
        if own.empty:
            continue
        v = float(own.iloc[0])
        better = part["value"] > v if metrics.get(mid).higher_is_better else part["value"] < v
        out[mid] = (int(better.sum()) + 1, len(part))
    return out


def sibling_ranks(engine: Engine, per: P.Period, scheme: str, unit_id: int | None,
                  metric_ids: list[str]) -> dict[str, tuple[int, int]]:
    """The unit's rank among its peers on each indicator (empty for the country)."""
    if unit_id is None:
        return {}
    return rank_of(peers_metrics(engine, per, scheme, unit_id, metric_ids), unit_id, metric_ids)

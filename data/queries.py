"""The read side as pages, the presentation mode, the exports and ``etl metrics`` call it.

Every function selects from the analytics store that the ETL maintains (data/build); none
aggregates raw figures at request time, and none keeps state between requests. Modules:
data.read.fetch (SQL), data.read.figures (indicators of units and periods), data.read.views
(dashboard views), data.read.quality (batches, findings, completeness), data.read.stored
(figures exactly as stated), data.read.table (the ``etl metrics`` table).
"""

from __future__ import annotations

from sqlalchemy import Engine

from data.read.figures import METRIC_COLS
from data.read.outliers import outliers
from data.read.quality import (
    batches,
    completeness_rows,
    data_version,
    findings_table,
    real_batches,
    real_coverage,
    reporting_completeness,
    scope_ids,
    scope_roots,
    stated_vs_computed,
    stored_periods,
)
from data.read.ranks import sibling_ranks
from data.read.reconcile import portal_findings, portal_vs_report
from data.read.registry import registry
from data.read.scores import long_scores, score_periods, score_sources, scores, weakest_group
from data.read.stored import stored_metrics
from data.read.targets import row_targets, stored_targets, targets_for
from data.read.views import (
    HEAT_COLS,
    agency_comparison,
    as_today,
    child_level,
    children_metrics,
    data_range,
    find_unit,
    has_demo_data,
    headline_metrics,
    heat_frame,
    heat_periods,
    level_metrics,
    level_metrics_multi,
    old_provinces,
    unit_metrics,
    unit_options,
    view_metrics,
    view_trend,
)


def metrics_table(engine: Engine, unit: str | None = None, level: str | None = None, period: str | None = None,
                  metric: str | None = None, scheme: str | None = None):  # noqa: ANN201
    """The rows ``etl metrics`` prints, from the command-line options (see data.read.table)."""
    from data.read.table import metrics_table as _table

    return _table(engine, unit, level, period, metric, scheme)


def units_frame(engine: Engine):  # noqa: ANN201
    """All units with their province and district (reference data)."""
    return registry(engine).units


__all__ = [
    "HEAT_COLS", "METRIC_COLS", "agency_comparison", "as_today", "batches", "child_level", "children_metrics",
    "data_range", "data_version", "find_unit", "findings_table", "has_demo_data", "headline_metrics", "heat_frame",
    "heat_periods", "level_metrics", "level_metrics_multi", "metrics_table", "old_provinces", "real_coverage",
    "reporting_completeness", "real_batches", "row_targets", "sibling_ranks", "stated_vs_computed", "stored_metrics",
    "stored_periods", "stored_targets", "targets_for", "unit_metrics", "unit_options", "units_frame", "view_metrics",
    "view_trend", "completeness_rows", "outliers", "scope_ids", "scope_roots",
    "long_scores", "score_periods", "score_sources", "scores", "weakest_group",
    "portal_findings", "portal_vs_report",
]


# --- the request's scope (issue 10) ------------------------------------------------------------
# Every read above returns only what the signed-in user may read (data/read/scope.py): rows of
# units outside the scope (and the country's own rows) are dropped here, in the one facade every
# page, callback and export goes through, so no crafted request reaches another province.

def _scoped(fn):  # noqa: ANN001, ANN202
    import functools

    import pandas as pd

    from data.read import scope

    @functools.wraps(fn)
    def wrapper(engine: Engine, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        out = fn(engine, *args, **kwargs)
        if scope.current() is None:
            return out
        if isinstance(out, tuple):
            return tuple(scope.filter_rows(engine, x) if isinstance(x, pd.DataFrame) else x for x in out)
        return scope.filter_rows(engine, out) if isinstance(out, pd.DataFrame) else out

    return wrapper


_SCOPED = ("agency_comparison", "as_today", "children_metrics", "headline_metrics", "heat_frame", "level_metrics",
           "level_metrics_multi", "stored_metrics", "unit_metrics", "view_metrics", "view_trend", "outliers", "scores",
           "portal_findings", "portal_vs_report")
for _name in _SCOPED:
    globals()[_name] = _scoped(globals()[_name])

_find_unit, _unit_options = find_unit, unit_options


def find_unit(engine: Engine, scheme: str, code: str):  # noqa: ANN201, F811
    """The unit with this code in this scheme, if the request may read it (None otherwise)."""
    from data.read import scope

    hit = _find_unit(engine, scheme, code)
    return hit if hit is None or scope.allows(int(hit["id"])) else None


def unit_options(engine: Engine, scheme: str, text: str = "", limit: int = 60,  # noqa: F811
                 current: str = "") -> list[dict[str, str]]:
    """The unit choices of the filter bar, only those the request may read."""
    from data.read import scope

    opts = _unit_options(engine, scheme, text, limit, current)
    allowed = scope.current()
    if allowed is None:
        return opts
    units = registry(engine).units
    codes = set(units.loc[units.index.isin(allowed) & (units["scheme"] == scheme), "code"].astype(str))
    return [o for o in opts if o["value"] in codes]

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
from data.read.registry import registry
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
]

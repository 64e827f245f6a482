"""Read-side queries returning DataFrames (SQLAlchemy Core; SQLite and PostgreSQL alike).

Pages and the ``etl metrics`` command call these; they never write SQL themselves.
Semantics (docs/data_model.md): subject = (unit, agency or none, scope); 'real' rows win over
'demo' rows of the same subject and period and are never added to them; a period is matched
exactly or aggregated from the stored sub-periods inside it (flows summed, carried-over
first, in-progress last, as-of values last); a unit's figure is its stated 'total' or the
roll-up of what lies below it; only 'active' batches count. Every result carries ``dataset``
('real' | 'demo' | 'mixed') and ``source`` (file names / documents), and the metric frames
carry ``months`` / ``months_expected`` / ``coverage`` of dossier data.

Numbers always come from ``data.metrics`` (numerator/denominator pairs): no metric is
re-defined here. Modules: data.aggregate (periods, subjects), data.figures (roll-up, long
format), data.table (the ``etl metrics`` table), data.dashboard (page helpers).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine, case, func, select

from data import metrics as metric_registry
from data.aggregate import PIDX, group_sum, subtree_ids, units_frame
from data.figures import (
    FLAG_COLS,
    INFO_COLS,
    METRIC_COLS,
    METRIC_KEY_COLS,
    PAIR_COLS,
    VALUE_COLS,
    describe,
    figures_multi,
    level_metrics_multi,
    long_metrics,
)
from data.periods import Period, classify
from data.schema import (
    OFFER_COUNTS,
    count_stat,
    dossier_stat,
    finding,
    load_batch,
    period,
    procedure_offer,
    unit_lineage,
)
from data.units import SCHEME_CHANGE

LEVEL_ORDER = {"province": 0, "district": 1, "commune": 2, "department": 3}
KEY_COLS = METRIC_KEY_COLS
__all__ = ["INFO_COLS", "PAIR_COLS", "VALUE_COLS", "figures", "level_metrics", "level_metrics_multi"]


# --- figures and indicators of one level ----------------------------------------------------


def figures(engine: Engine, per: Period, level: str, within: int | None = None, scheme: str | None = None,
            stored_only: bool = False, complete: bool = True) -> pd.DataFrame:
    """Counts and metric pairs per unit of ``level`` (or agency, 'department') for ``per``.

    ``within``: only units inside this unit; ``stored_only``: exactly what is stored for the
    period and unit (no aggregation, no roll-up); ``complete=False`` keeps aggregates that do
    not cover the whole period (see ``months``).
    """
    return figures_multi(engine, [per], level, within, scheme, stored_only, complete).drop(columns=PIDX)


def level_metrics(engine: Engine, per: Period, level: str, within: int | None = None,
                  scheme: str | None = None, metric_ids: list[str] | None = None,
                  stored_only: bool = False, complete: bool = True) -> pd.DataFrame:
    """Indicators per unit of ``level``: key, level, scheme, code, name, dataset, source,
    period_start/end/label, metric, numerator, denominator, value, months, months_expected,
    coverage, subjects."""
    return level_metrics_multi(engine, [per], level, within, scheme, metric_ids, stored_only, complete)


def _empty_metrics() -> pd.DataFrame:
    return pd.DataFrame(columns=METRIC_COLS)


# --- functions the pages use ----------------------------------------------------------------


def unit_metrics(engine: Engine, unit_id: int, metric_ids: list[str] | None = None,
                 periods: list[Period] | None = None) -> pd.DataFrame:
    """One unit's indicators over ``periods``.

    With ``periods=None``: every period stored for the unit or anything below it (months,
    quarters, the periods of the documents ...), each with the unit's roll-up. All periods are
    computed in one pass.
    """
    units = units_frame(engine)
    periods = periods if periods is not None else stored_periods(engine, subtree_ids(units, unit_id))
    df = level_metrics_multi(engine, periods, units.at[unit_id, "level"], within=unit_id, metric_ids=metric_ids)
    return df[df["key"] == unit_id].reset_index(drop=True)


def children_metrics(engine: Engine, unit_id: int, level: str, period: Period,
                     metric_ids: list[str] | None = None) -> pd.DataFrame:
    """Indicators of the units of ``level`` ('district' | 'commune') inside ``unit_id``, or of
    the province's agencies for level 'department'."""
    return level_metrics(engine, period, level, within=unit_id, metric_ids=metric_ids)


def agency_comparison(engine: Engine, province_id: int, period: Period,
                      metric_ids: list[str] | None = None) -> pd.DataFrame:
    """Departments of one province side by side: one row per agency with figures (key, code,
    name, dataset, source, the procedure counts OFFER_COUNTS) and one column per metric value."""
    fig = figures(engine, period, "department", within=province_id)
    base = fig[["key", "code", "name", "dataset", "source", *OFFER_COUNTS]]
    long = metric_registry.from_pairs(fig, ["key"], metric_ids)
    if not long.empty:
        wide = long.pivot_table(index="key", columns="metric", values="value")
        wide.columns.name = None
        base = base.merge(wide.reset_index(), on="key", how="left")
    return base.sort_values("code").reset_index(drop=True)


def as_today(engine: Engine, period: Period, metric_ids: list[str] | None = None,
             level: str = "province", within: int | None = None) -> pd.DataFrame:
    """Legacy-scheme figures of ``period`` shown on today's (2025) units through unit_lineage.

    level 'province': each old province goes to its new province. Level 'commune': each old
    commune goes to its default new commune (split communes are not apportioned: the lineage
    gives no shares), and the island districts without communes go to their special zone
    (lineage level 'district'). Numerator/denominator pairs are summed per new unit. A period
    that starts on or after 01/07/2025 is shown as stored in the 2025 scheme. ``within``: a
    2025 province; only it (level 'province') or its communes (level 'commune') are computed.
    """
    if period.start >= SCHEME_CHANGE:
        return level_metrics(engine, period, level, within=within, scheme="2025", metric_ids=metric_ids)
    lin = _lineage(engine)
    if within is None:
        old = figures(engine, period, level, scheme="legacy")
    else:  # only the old provinces that went into this new province
        olds = lin.loc[(lin["level"] == "province") & (lin["new"] == within), "old"].tolist()
        parts = [figures(engine, period, level, within=int(o)) for o in olds]
        parts = [p for p in parts if not p.empty]
        old = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if level == "commune":
        islands = lin[lin["level"] == "district"]
        if within is not None:
            islands = islands[islands["new"].map(units_frame(engine)["parent_id"]) == within]
        extra = [figures(engine, period, "district", within=int(d)) for d in islands["old"]]
        extra = [e[e["key"] == d] for e, d in zip(extra, islands["old"], strict=True) if not e.empty]
        old = pd.concat([f for f in [old, *extra] if not f.empty], ignore_index=True) if extra else old
    if old.empty:
        return _empty_metrics()
    mapping = lin[lin["level"].isin([level, "district"] if level == "commune" else [level])]
    old["new_key"] = old["key"].map(mapping.drop_duplicates("old").set_index("old")["new"])
    old = old[old["new_key"].notna()]
    cols = [c for c in [*VALUE_COLS, *PAIR_COLS, *FLAG_COLS, "subjects"] if c in old]
    new = group_sum(old, "new_key", cols, {"months": "max", "months_expected": "max"}).rename(
        columns={"new_key": "key"})
    new[PIDX] = 0
    return long_metrics(describe(engine, new, level, within, "2025"), [period], metric_ids)


def _lineage(engine: Engine) -> pd.DataFrame:
    """Default lineage rows: old unit id, new unit id, level."""
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(
            select(unit_lineage.c.old_unit_id, unit_lineage.c.new_unit_id, unit_lineage.c.level)
            .where(unit_lineage.c.is_default.is_(True))).all(), columns=["old", "new", "level"])


def old_provinces(engine: Engine, new_province_id: int) -> list[int]:
    """The legacy provinces merged into a 2025 province (through the lineage)."""
    lin = _lineage(engine)
    return sorted(int(o) for o in lin.loc[(lin["level"] == "province") & (lin["new"] == new_province_id), "old"])


# --- periods, batches, findings -------------------------------------------------------------


def stored_periods(engine: Engine, unit_ids: list[int] | None = None, scheme: str | None = None,
                   dataset: str | None = None) -> list[Period]:
    """Periods that have stored figures (optionally for these units / this dataset), oldest
    first (by start, then end), with their labels as stated."""
    units = units_frame(engine)
    if unit_ids is None and scheme is not None:
        unit_ids = units.index[units["scheme"] == scheme].tolist()
    found: set[tuple[date, date, str]] = set()
    with engine.connect() as conn:
        for table in (dossier_stat, procedure_offer, count_stat):
            used = (select(table.c.period_id).join(load_batch, load_batch.c.id == table.c.batch_id)
                    .where(load_batch.c.status == "active"))
            if unit_ids is not None:
                used = used.where(table.c.unit_id.in_(unit_ids))
            if dataset is not None:
                used = used.where(load_batch.c.dataset == dataset)
            q = select(period.c.start_date, period.c.end_date, period.c.label).where(period.c.id.in_(used))
            found.update((s, e, lbl) for s, e, lbl in conn.execute(q))
    return [classify(s, e, lbl) for s, e, lbl in sorted(found, key=lambda x: (x[0], x[1]))]


def stored_metrics(engine: Engine, dataset: str | None = None, metric_ids: list[str] | None = None) -> pd.DataFrame:
    """Every indicator exactly as stored (stored period, stored subject; no roll-up),
    optionally only of one dataset ('real' = seed documents and loaded files)."""
    periods = stored_periods(engine, dataset=dataset)
    frames = []
    for level in LEVEL_ORDER:
        df = level_metrics_multi(engine, periods, level, metric_ids=metric_ids, stored_only=True)
        if dataset is not None:
            df = df[df["dataset"] == dataset]
        if not df.empty:
            frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else _empty_metrics()


def batches(engine: Engine) -> pd.DataFrame:
    """Every load batch: id, kind, dataset, file, SHA-256, rows, time, status, replaced_by, note."""
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(select(load_batch).order_by(load_batch.c.id)).mappings().all(),
                            columns=[c.name for c in load_batch.columns])


def findings_table(engine: Engine, batch: int | None = None) -> pd.DataFrame:
    """Validation findings of the active batches (or of one batch, whatever its status):
    batch, file, sheet, row, column, rule, severity, message."""
    q = (
        select(finding.c.batch_id.label("batch"), finding.c.file, finding.c.sheet, finding.c.row,
               finding.c.column, finding.c.rule, finding.c.severity, finding.c.message)
        .join(load_batch, load_batch.c.id == finding.c.batch_id)
        .order_by(finding.c.batch_id, finding.c.row, finding.c.id)
    )
    q = q.where(finding.c.batch_id == batch) if batch is not None else q.where(load_batch.c.status == "active")
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).all(),
                            columns=["batch", "file", "sheet", "row", "column", "rule", "severity", "message"])


def data_version(engine: Engine) -> str:
    """Changes whenever a batch is loaded or replaced (cache key for the UI)."""
    with engine.connect() as conn:
        n, last, replaced, active = conn.execute(
            select(func.count(), func.max(load_batch.c.id), func.count(load_batch.c.replaced_by),
                   func.sum(case((load_batch.c.status == "active", 1), else_=0)))
        ).one()
    return f"{n}-{last}-{replaced}-{active}"


def metrics_table(engine: Engine, unit: str | None = None, level: str | None = None, period: str | None = None,
                  metric: str | None = None, scheme: str | None = None) -> pd.DataFrame:
    """The rows ``etl metrics`` prints, from the command-line options (see data.table)."""
    from data.table import metrics_table as _table

    return _table(engine, unit, level, period, metric, scheme)


# Dashboard helpers live in data.dashboard; re-exported here because pages call queries.*.
from data.dashboard import (  # noqa: E402
    child_level,
    data_range,
    find_unit,
    has_demo_data,
    headline_metrics,
    heat_frame,
    heat_periods,
    real_coverage,
    reporting_completeness,
    stated_vs_computed,
    unit_options,
    view_metrics,
    view_trend,
)

__all__ += [
    "child_level",
    "data_range",
    "find_unit",
    "has_demo_data",
    "headline_metrics",
    "heat_frame",
    "heat_periods",
    "real_coverage",
    "reporting_completeness",
    "stated_vs_computed",
    "unit_options",
    "view_metrics",
    "view_trend",
]

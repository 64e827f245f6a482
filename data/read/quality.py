"""Is the data believable? Load batches, validation findings, percentages the sources state
against their own counts, which provinces reported which months, the real sources by unit and
period, and which periods hold figures."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine, case, func, select, union

from data import periods as P
from data.read.figures import HEAT_COLS
from data.read.registry import registry
from data.read.stored import stored_metrics
from data.schema import (
    agg_count,
    agg_dossier,
    agg_offer,
    count_stat,
    dossier_stat,
    finding,
    load_batch,
    period,
    procedure_offer,
    stated_value,
)


def batches(engine: Engine) -> pd.DataFrame:
    """Every load batch: id, kind, dataset, file, SHA-256, rows, time, status, replaced_by, note."""
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(select(load_batch).order_by(load_batch.c.id)).mappings().all(),
                            columns=[c.name for c in load_batch.columns])


def seed_files(engine: Engine) -> set[str]:
    """File names of the seed batches (one file holding every transcribed document)."""
    with engine.connect() as conn:
        return {str(f) for (f,) in conn.execute(select(load_batch.c.file_name).where(load_batch.c.kind == "seed"))}


def findings_table(engine: Engine, batch: int | None = None) -> pd.DataFrame:
    """Validation findings of the active batches (or of one batch, whatever its status)."""
    q = (select(finding.c.batch_id.label("batch"), finding.c.file, finding.c.sheet, finding.c.row,
                finding.c.column, finding.c.rule, finding.c.severity, finding.c.message)
         .join(load_batch, load_batch.c.id == finding.c.batch_id)
         .order_by(finding.c.batch_id, finding.c.row, finding.c.id))
    q = q.where(finding.c.batch_id == batch) if batch is not None else q.where(load_batch.c.status == "active")
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).all(),
                            columns=["batch", "file", "sheet", "row", "column", "rule", "severity", "message"])


def data_version(engine: Engine) -> str:
    """Changes whenever a batch is loaded or replaced."""
    with engine.connect() as conn:
        n, last, replaced, active = conn.execute(
            select(func.count(), func.max(load_batch.c.id), func.count(load_batch.c.replaced_by),
                   func.sum(case((load_batch.c.status == "active", 1), else_=0)))).one()
    return f"{n}-{last}-{replaced}-{active}"


def stated_vs_computed(engine: Engine) -> pd.DataFrame:
    """Each percentage a source states next to the value computed from its own stored counts."""
    q = (select(stated_value.c.unit_id, stated_value.c.agency_id, stated_value.c.metric_id, stated_value.c.value,
                stated_value.c.stated_text, stated_value.c.source_ref, stated_value.c.batch_id,
                period.c.start_date, period.c.end_date, period.c.label)
         .join(period, period.c.id == stated_value.c.period_id)
         .join(load_batch, load_batch.c.id == stated_value.c.batch_id)
         .where(load_batch.c.status == "active").order_by(stated_value.c.id))
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    cols = ["name", "period_label", "metric", "stated_text", "stated", "numerator", "denominator", "computed",
            "source"]
    if not rows:
        return pd.DataFrame(columns=cols)
    reg = registry(engine)
    figs = stored_metrics(engine, dataset=None, batch_ids=sorted({int(r["batch_id"]) for r in rows}))
    out = []
    for r in rows:
        per = P.classify(r["start_date"], r["end_date"], r["label"])
        level = "department" if r["agency_id"] is not None else reg.units.at[r["unit_id"], "level"]
        code = reg.describe(level).at[r["agency_id"] if r["agency_id"] is not None else r["unit_id"], "code"]
        m = figs[(figs["code"] == code) & (figs["level"] == level) & (figs["metric"] == r["metric_id"])
                 & (figs["period_start"] == per.start) & (figs["period_end"] == per.end)]
        name = m["name"].iloc[0] if len(m) else reg.describe(level).at[
            r["agency_id"] if r["agency_id"] is not None else r["unit_id"], "name"]
        out.append({"name": name, "period_label": per.label, "metric": r["metric_id"], "stated_text": r["stated_text"],
                    "stated": r["value"], "numerator": m["numerator"].iloc[0] if len(m) else None,
                    "denominator": m["denominator"].iloc[0] if len(m) else None,
                    "computed": m["value"].iloc[0] if len(m) else None, "source": r["source_ref"]})
    return pd.DataFrame(out, columns=cols)


def reporting_completeness(engine: Engine, scheme: str, last: date, months: int = 12) -> pd.DataFrame:
    """Per province and month (the ``months`` months up to ``last``): the communes with a
    monthly report against all communes of the province (columns HEAT_COLS)."""
    wanted = [P.month(last.year, last.month)]
    while len(wanted) < months:
        s = wanted[-1].start
        wanted.append(P.month(s.year - (s.month == 1), 12 if s.month == 1 else s.month - 1))
    wanted = wanted[::-1]
    reg = registry(engine)
    units = reg.units
    communes = units[(units["scheme"] == scheme) & (units["level"] == "commune")]
    if communes.empty:
        return pd.DataFrame(columns=HEAT_COLS)
    expected = communes.groupby("province_id").size()
    t = agg_dossier
    flags = [t.c[f"{m}__real"] for m in ("online_intake_share", "overdue_rate")]
    q = (select(t.c.key, t.c.period_start, t.c.reporting, *flags, t.c.online_intake_share__demo)
         .where(t.c.level == "province", t.c.scheme == scheme, t.c.grain == "month",
                t.c.period_start.in_([p.start for p in wanted])))
    with engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(q).all(), columns=["key", "period_start", "reporting", "r1", "r2", "demo"])
    grid = pd.MultiIndex.from_product([expected.index, [p.start for p in wanted]], names=["key", "period_start"])
    grid = grid.to_frame(index=False)
    if len(rows):
        rows["period_start"] = pd.to_datetime(rows["period_start"]).dt.date
        real = (pd.to_numeric(rows["r1"]).fillna(0) + pd.to_numeric(rows["r2"]).fillna(0)) > 0
        demo = pd.to_numeric(rows["demo"]).fillna(0) > 0
        rows["dataset"] = ["mixed" if r and d else "real" if r else "demo" if d else "" for r, d in
                           zip(real, demo, strict=True)]
        grid = grid.merge(rows[["key", "period_start", "reporting", "dataset"]], on=["key", "period_start"], how="left")
    else:
        grid["reporting"], grid["dataset"] = 0, ""
    grid["numerator"] = pd.to_numeric(grid["reporting"]).fillna(0)
    grid["dataset"] = grid["dataset"].fillna("")
    grid["denominator"] = grid["key"].map(expected)
    grid["value"] = grid["numerator"] / grid["denominator"]
    grid["key"] = grid["key"].astype(int)
    grid["name"] = grid["key"].map(units["name"])
    grid["period_label"] = [f"{d:%m/%Y}" for d in grid["period_start"]]
    grid["source"] = ""
    return grid[HEAT_COLS].sort_values(["name", "period_start"]).reset_index(drop=True)


def real_coverage(engine: Engine) -> pd.DataFrame:
    """Which units the real sources report, for which periods, from which files."""
    parts = []
    with engine.connect() as conn:
        for table in (dossier_stat, procedure_offer, count_stat):
            q = (select(table.c.unit_id, period.c.start_date, period.c.end_date, period.c.label,
                        load_batch.c.file_name, func.count().label("rows"))
                 .join(period, period.c.id == table.c.period_id)
                 .join(load_batch, load_batch.c.id == table.c.batch_id)
                 .where(load_batch.c.status == "active", load_batch.c.dataset == "real")
                 .group_by(table.c.unit_id, period.c.start_date, period.c.end_date, period.c.label,
                           load_batch.c.file_name))
            parts.append(pd.DataFrame(conn.execute(q).all(), columns=["unit_id", "start", "end", "label", "file",
                                                                      "rows"]))
    df = pd.concat(parts, ignore_index=True)
    cols = ["name", "period_label", "start", "end", "rows", "files"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    out = df.groupby(["unit_id", "start", "end", "label"], as_index=False).agg(
        rows=("rows", "sum"), files=("file", lambda s: "; ".join(sorted(set(s)))))
    out["name"] = out["unit_id"].map(registry(engine).units["name"])
    out = out.rename(columns={"label": "period_label"})
    return out.sort_values(["start", "name"])[cols].reset_index(drop=True)


def stored_periods(engine: Engine, unit_id: int | None = None, scheme: str | None = None) -> list[P.Period]:
    """Periods the store holds figures for (of one unit, of a scheme, or all), oldest first:
    months, stated periods, offer snapshots and counts."""
    qs = []
    for t in (agg_dossier, agg_offer, agg_count):
        q = select(t.c.period_start, t.c.period_end)
        if unit_id is not None:
            level = registry(engine).units.at[unit_id, "level"]
            q = q.where(t.c.key == unit_id, t.c.level == level)
        elif scheme is not None:
            q = q.where(t.c.scheme == scheme)
        if t is agg_count:
            q = q.where(t.c.kind == "stated")
        qs.append(q)
    with engine.connect() as conn:
        spans = {(_d(s), _d(e)) for s, e in conn.execute(union(*qs))}
        labels = dict(((_d(s), _d(e)), lbl) for s, e, lbl in conn.execute(select(period.c.start_date, period.c.end_date,
                                                                                  period.c.label)))
    return [P.classify(s, e, labels.get((s, e))) for s, e in sorted(spans)]


def _d(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])

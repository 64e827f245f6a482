"""Is the data believable? Load batches, validation findings, percentages the sources state
against their own counts, which units reported which months, the real sources by unit and
period, and which periods hold figures. The data-quality page scopes each of them to the view's
unit and period: ``scope_roots`` and ``scope_ids`` turn the view's unit into the units of the
stored scheme it covers (the old units behind one of today's units for the scheme 'today')."""

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
from data.text import vi_sort_key


def batches(engine: Engine) -> pd.DataFrame:
    """Every load batch: id, kind, dataset, file, SHA-256, rows, time, status, replaced_by, note."""
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(select(load_batch).order_by(load_batch.c.id)).mappings().all(),
                            columns=[c.name for c in load_batch.columns])


def real_batches(engine: Engine) -> pd.DataFrame:
    """The active batches of real figures: id, kind (seed: one file holding every transcribed
    document), file_name."""
    q = (select(load_batch.c.id, load_batch.c.kind, load_batch.c.file_name)
         .where(load_batch.c.dataset == "real", load_batch.c.status == "active"))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).all(), columns=["id", "kind", "file_name"])


# --- the view's scope -----------------------------------------------------------------------


def scope_roots(engine: Engine, scheme: str, unit_id: int | None) -> list[int] | None:
    """The units of the stored ``scheme`` a view's unit stands for (None: the whole country):
    the unit itself when it belongs to that scheme, otherwise (the scheme 'today', whose units
    are today's but whose figures are the old ones) the old units whose figures go to it."""
    if unit_id is None:
        return None
    units = registry(engine).units
    if units.at[unit_id, "scheme"] == scheme:
        return [unit_id]
    lin = registry(engine).lineage
    level = units.at[unit_id, "level"]
    return sorted(int(o) for o in lin.loc[(lin["new"] == unit_id) & (lin["level"] == level), "old"])


def scope_ids(engine: Engine, scheme: str, unit_id: int | None) -> set[int] | None:
    """Ids of every unit of ``scheme`` inside the view's unit (the roots and all their units
    below); None for the whole country."""
    roots = scope_roots(engine, scheme, unit_id)
    if roots is None:
        return None
    units = registry(engine).units
    units = units[units["scheme"] == scheme]
    inside = units["id"].isin(roots) | units["province_id"].isin(roots) | units["district_id"].isin(roots)
    return {int(i) for i in units.loc[inside, "id"]}


def _overlaps(start: object, end: object, lo: date | None, hi: date | None) -> bool:
    return (lo is None or _d(end) >= lo) and (hi is None or _d(start) <= hi)


def findings_table(engine: Engine, batch: int | None = None, unit_ids: set[int] | None = None,
                   start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Validation findings of the active batches (or of one batch, whatever its status). With
    ``unit_ids``, only those about one of these units; with ``start``/``end``, only those whose
    period overlaps them (findings about no unit or no period stay when not filtered on that)."""
    q = (select(finding.c.batch_id.label("batch"), finding.c.file, finding.c.sheet, finding.c.row,
                finding.c.column, finding.c.rule, finding.c.severity, finding.c.message, finding.c.unit_id,
                period.c.start_date, period.c.end_date)
         .join(load_batch, load_batch.c.id == finding.c.batch_id)
         .outerjoin(period, period.c.id == finding.c.period_id)
         .order_by(finding.c.batch_id, finding.c.row, finding.c.id))
    q = q.where(finding.c.batch_id == batch) if batch is not None else q.where(load_batch.c.status == "active")
    cols = ["batch", "file", "sheet", "row", "column", "rule", "severity", "message"]
    with engine.connect() as conn:
        df = pd.DataFrame(conn.execute(q).all(), columns=[*cols, "unit_id", "start", "end"])
    if unit_ids is not None:
        df = df[df["unit_id"].isin(unit_ids)]
    if start is not None or end is not None:
        keep = [s is None or s != s or _overlaps(s, e, start, end) for s, e in zip(df["start"], df["end"],
                                                                                  strict=True)]
        df = df[pd.Series(keep, index=df.index, dtype=bool)]
    return df[cols].reset_index(drop=True)


def data_version(engine: Engine) -> str:
    """Changes whenever a batch is loaded or replaced, or a target is set, ended or deleted on
    the targets page (each of which writes an audit row)."""
    from data.schema import audit_log

    with engine.connect() as conn:
        n, last, replaced, active = conn.execute(
            select(func.count(), func.max(load_batch.c.id), func.count(load_batch.c.replaced_by),
                   func.sum(case((load_batch.c.status == "active", 1), else_=0)))).one()
        targets = conn.execute(select(func.max(audit_log.c.id)).where(
            audit_log.c.action.in_(("target_set", "target_end", "target_delete")))).scalar()
    return f"{n}-{last}-{replaced}-{active}" + (f"-t{targets}" if targets else "")


def stated_vs_computed(engine: Engine, unit_ids: set[int] | None = None, start: date | None = None,
                       end: date | None = None) -> pd.DataFrame:
    """Each percentage a source states next to the value computed from its own stored counts
    (of the units ``unit_ids`` and the periods overlapping ``start``..``end`` when given), by
    unit name in Vietnamese order."""
    q = (select(stated_value.c.unit_id, stated_value.c.agency_id, stated_value.c.metric_id, stated_value.c.value,
                stated_value.c.stated_text, stated_value.c.source_ref, stated_value.c.batch_id,
                period.c.start_date, period.c.end_date, period.c.label)
         .join(period, period.c.id == stated_value.c.period_id)
         .join(load_batch, load_batch.c.id == stated_value.c.batch_id)
         .where(load_batch.c.status == "active").order_by(stated_value.c.id))
    with engine.connect() as conn:
        rows = [r for r in conn.execute(q).mappings().all()
                if (unit_ids is None or r["unit_id"] in unit_ids) and _overlaps(r["start_date"], r["end_date"],
                                                                                 start, end)]
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
    out = pd.DataFrame(out, columns=cols)
    return out.iloc[out["name"].map(vi_sort_key).argsort(kind="stable")].reset_index(drop=True)


def completeness_rows(engine: Engine, scheme: str, unit_id: int | None) -> list[int]:
    """The units of ``scheme`` the completeness grid of a view shows: the provinces for the whole
    country, the units one level down for a province or district, the commune itself; for one of
    today's units in the scheme 'today', the old units behind it."""
    units = registry(engine).units
    units = units[units["scheme"] == scheme]
    roots = scope_roots(engine, scheme, unit_id)
    if roots is None:
        return [int(i) for i in units.loc[units["level"] == "province", "id"]]
    if len(roots) != 1 or units.at[roots[0], "level"] == "commune":
        return roots
    return [int(i) for i in units.loc[units["parent_id"] == roots[0], "id"]]


def reporting_completeness(engine: Engine, scheme: str, last: date, months: int = 12,
                           rows: list[int] | None = None, first: date | None = None) -> pd.DataFrame:
    """Per unit of ``rows`` (default: every province of the scheme) and month (the ``months``
    months up to ``last``, none before ``first``): the communes with a monthly report against all
    communes of the unit (1 for a commune) (columns HEAT_COLS)."""
    wanted = [P.month(last.year, last.month)]
    while len(wanted) < months:
        s = wanted[-1].start
        prev = P.month(s.year - (s.month == 1), 12 if s.month == 1 else s.month - 1)
        if first is not None and prev.end < first:
            break
        wanted.append(prev)
    wanted = wanted[::-1]
    reg = registry(engine)
    units = reg.units
    communes = units[(units["scheme"] == scheme) & (units["level"] == "commune")]
    if rows is None:
        rows = [int(i) for i in units.loc[(units["scheme"] == scheme) & (units["level"] == "province"), "id"]]
    if communes.empty or not rows:
        return pd.DataFrame(columns=HEAT_COLS)
    col = {"province": "province_id", "district": "district_id", "commune": "id"}
    row_level = units.loc[rows, "level"]
    expected = pd.Series({r: int((communes[col[lvl]] == r).sum()) for r, lvl in row_level.items()})
    expected = expected[expected > 0]
    if expected.empty:
        return pd.DataFrame(columns=HEAT_COLS)
    t = agg_dossier
    flags = [t.c[f"{m}__real"] for m in ("online_intake_share", "overdue_rate")]
    q = (select(t.c.key, t.c.period_start, t.c.reporting, *flags, t.c.online_intake_share__demo)
         .where(t.c.level.in_(sorted(set(row_level))), t.c.scheme == scheme, t.c.grain == "month",
                t.c.period_start.in_([p.start for p in wanted])))
    if len(rows) <= 1000:
        q = q.where(t.c.key.in_([int(r) for r in expected.index]))
    with engine.connect() as conn:
        found = pd.DataFrame(conn.execute(q).all(), columns=["key", "period_start", "reporting", "r1", "r2", "demo"])
    found = found[found["key"].isin(expected.index)].copy()
    grid = pd.MultiIndex.from_product([expected.index, [p.start for p in wanted]], names=["key", "period_start"])
    grid = grid.to_frame(index=False)
    if len(found):
        found["period_start"] = pd.to_datetime(found["period_start"]).dt.date
        real = (pd.to_numeric(found["r1"]).fillna(0) + pd.to_numeric(found["r2"]).fillna(0)) > 0
        demo = pd.to_numeric(found["demo"]).fillna(0) > 0
        found["dataset"] = ["mixed" if r and d else "real" if r else "demo" if d else "" for r, d in
                           zip(real, demo, strict=True)]
        grid = grid.merge(found[["key", "period_start", "reporting", "dataset"]], on=["key", "period_start"], how="left")
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
    grid = grid.assign(_k=grid["name"].map(vi_sort_key)).sort_values(["_k", "period_start"])
    return grid[HEAT_COLS].reset_index(drop=True)


def real_coverage(engine: Engine, unit_ids: set[int] | None = None, start: date | None = None,
                  end: date | None = None) -> pd.DataFrame:
    """Which units the real sources report, for which periods, from which files (of the units
    ``unit_ids`` and the periods overlapping ``start``..``end`` when given), by period, then unit
    name in Vietnamese order."""
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
    if unit_ids is not None:
        df = df[df["unit_id"].isin(unit_ids)]
    if len(df) and (start is not None or end is not None):
        df = df[pd.Series([_overlaps(s, e, start, end) for s, e in zip(df["start"], df["end"], strict=True)],
                          index=df.index, dtype=bool)]
    cols = ["name", "period_label", "start", "end", "rows", "files"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    out = df.groupby(["unit_id", "start", "end", "label"], as_index=False).agg(
        rows=("rows", "sum"), files=("file", lambda s: "; ".join(sorted(set(s)))))
    out["name"] = out["unit_id"].map(registry(engine).units["name"])
    out = out.rename(columns={"label": "period_label"})
    out["_k"] = out["name"].map(vi_sort_key)
    return out.sort_values(["start", "_k"])[cols].reset_index(drop=True)


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


# --- the batch history (issue 10) -----------------------------------------------------------

CLI_LOADER = "dòng lệnh"  # ``loaded_by`` NULL: loaded from the command line


def batch_history(engine: Engine, unit_ids: frozenset[int] | set[int] | None = None) -> pd.DataFrame:
    """Every load batch, latest first: id, kind, dataset, file_name, loaded_by, who (the loader
    or "dòng lệnh"), loaded_at, rows, status (active | replaced | rolledback), replaced (the ids
    of the batches it replaced, including those a rollback of it brought back), replaced_by,
    undone_by and undone_at (who rolled it back, when). With ``unit_ids`` (a reader's scope):
    only the real batches with figures of those units, and the demo batches."""
    import json

    from data.schema import audit_log

    cols = ["id", "kind", "dataset", "file_name", "loaded_by", "who", "loaded_at", "rows", "status", "replaced",
            "replaced_by", "undone_by", "undone_at"]
    with engine.connect() as conn:
        rows = conn.execute(select(load_batch.c.id, load_batch.c.kind, load_batch.c.dataset, load_batch.c.file_name,
                                   load_batch.c.loaded_by, load_batch.c.loaded_at, load_batch.c.rows,
                                   load_batch.c.status, load_batch.c.replaced_by)
                            .order_by(load_batch.c.id.desc())).mappings().all()
        undone = conn.execute(select(audit_log.c.user_name, audit_log.c.at, audit_log.c.detail)
                              .where(audit_log.c.action == "rollback").order_by(audit_log.c.id)).all()
        visible = None
        if unit_ids is not None:
            real = [r["id"] for r in rows if r["dataset"] == "real"]
            parts = [select(t.c.batch_id).where(t.c.batch_id.in_(real), t.c.unit_id.in_(sorted(unit_ids))).distinct()
                     for t in (dossier_stat, procedure_offer, count_stat, stated_value)]
            visible = {int(b) for (b,) in conn.execute(union(*parts))} if real else set()
    replaced: dict[int, set[int]] = {}
    for r in rows:
        if r["replaced_by"] is not None:
            replaced.setdefault(int(r["replaced_by"]), set()).add(int(r["id"]))
    by_undo: dict[int, tuple[str, object]] = {}
    for who, at, detail in undone:
        try:
            d = json.loads(detail)
        except ValueError:
            continue
        if isinstance(d, dict) and "batch" in d:
            b = int(d["batch"])
            replaced.setdefault(b, set()).update(int(x) for x in d.get("restored") or [])
            by_undo[b] = (who or CLI_LOADER, at)
    out = [{**r, "who": r["loaded_by"] or CLI_LOADER, "replaced": tuple(sorted(replaced.get(int(r["id"]), ()))),
            "undone_by": by_undo.get(int(r["id"]), (None, None))[0],
            "undone_at": by_undo.get(int(r["id"]), (None, None))[1]}
           for r in rows if visible is None or r["dataset"] == "demo" or int(r["id"]) in visible]
    return pd.DataFrame(out, columns=cols)


def period_locks(engine: Engine) -> pd.DataFrame:
    """The locked unit periods, latest first: id, unit_id, unit_name, unit_code, scheme, start,
    end, label, locked_by, locked_at, note."""
    from data.schema import period_lock, unit

    q = (select(period_lock.c.id, period_lock.c.unit_id, unit.c.name.label("unit_name"),
                unit.c.code.label("unit_code"), unit.c.scheme, period_lock.c.period_start.label("start"),
                period_lock.c.period_end.label("end"), period_lock.c.locked_by, period_lock.c.locked_at,
                period_lock.c.note)
         .join(unit, unit.c.id == period_lock.c.unit_id)
         .order_by(period_lock.c.period_start.desc(), unit.c.code, period_lock.c.id))
    with engine.connect() as conn:
        df = pd.DataFrame(conn.execute(q).all(), columns=["id", "unit_id", "unit_name", "unit_code", "scheme", "start",
                                                          "end", "locked_by", "locked_at", "note"])
    df["label"] = [P.classify(_as_day(s), _as_day(e)).label for s, e in zip(df["start"], df["end"], strict=True)]
    return df


def _as_day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])

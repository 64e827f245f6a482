"""Read-side queries returning DataFrames (SQLAlchemy Core; SQLite and PostgreSQL alike).

Pages and the ``etl metrics`` command call these; they never write SQL themselves.
Every figure carries ``dataset`` ('real' | 'demo' | 'mixed') and ``source`` (the files or
documents behind it), so the UI can label sample data and cite real sources.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine, func, select

from data import metrics as metric_registry
from data.aggregate import (
    agencies_frame,
    agreements_by_province,
    asof_subjects,
    counts_pivot,
    dossier_subjects,
    group_sum,
    rollup,
    subtree_ids,
    units_frame,
    zero_activity_from_communes,
)
from data.periods import Period, classify
from data.schema import (
    COUNT_MEASURES,
    DOSSIER_COUNTS,
    OFFER_COUNTS,
    count_stat,
    dossier_stat,
    finding,
    load_batch,
    period,
    procedure_offer,
    unit_lineage,
)

LEVEL_ORDER = {"province": 0, "district": 1, "commune": 2, "department": 3}
VALUE_COLS = [*DOSSIER_COUNTS, *OFFER_COUNTS, *COUNT_MEASURES]
PAIR_COLS = [c for m in metric_registry.METRICS for c in metric_registry.pair_columns(m.id)]
KEY_COLS = ["key", "level", "scheme", "code", "name", "dataset", "source"]


# --- figures at one level -------------------------------------------------------------------


def figures(engine: Engine, per: Period, level: str, within: int | None = None,
            scheme: str | None = None, stored_only: bool = False) -> pd.DataFrame:
    """Counts per unit of ``level`` (or per agency for 'department') for period ``per``.

    ``within``: only units inside this unit (for 'department': the province's agencies).
    ``stored_only``: only figures stored for exactly this period and subject (no
    aggregation, no roll-up, no as-of carry-over): what the sources themselves state.
    Columns: key, level, scheme, code, name, the stored counts, dataset, source.
    """
    units = units_frame(engine)
    if units.empty:
        return pd.DataFrame()
    ids = subtree_ids(units, within) if within is not None else None
    if ids is None and scheme is not None:
        ids = units.index[units["scheme"] == scheme].tolist()
    with engine.connect() as conn:
        subj = dossier_subjects(conn, per, ids, exact_only=stored_only)
        offers = asof_subjects(conn, procedure_offer, per, ids, exact_only=stored_only)
        counts = counts_pivot(asof_subjects(conn, count_stat, per, ids, exact_only=stored_only))
        agreements = None
        if level == "province" and not stored_only:
            agreements = agreements_by_province(conn, per, agencies_frame(engine))
    subj = _with_pairs(subj, "dossier")
    parts = [rollup(subj, units, level, [*DOSSIER_COUNTS, *_pair_cols(subj)], direct=stored_only)]
    if not offers.empty:
        offers = _with_pairs(offers, "offer")
        parts.append(rollup(offers, units, level, [*OFFER_COUNTS, *_pair_cols(offers)], direct=stored_only))
    if not counts.empty:
        direct = counts[counts["agency_id"].isna()] if level != "department" else counts[counts["agency_id"].notna()]
        direct = direct.assign(key=direct["agency_id"] if level == "department" else direct["unit_id"])
        if level != "department":
            direct = direct[direct["unit_id"].map(units["level"]) == level]
        parts.append(direct.drop(columns=["unit_id", "agency_id", "scope"]))
    out = _merge_parts(parts)
    # Fallbacks computed from detail rows when no source states the counts.
    if not stored_only:
        out = _fill_from(out, zero_activity_from_communes(subj, units, level),
                         ["units_total", "units_zero_activity"])
    if agreements is not None:
        out = _fill_from(out, agreements, ["agencies_total", "agencies_with_agreement"])
    for c in COUNT_MEASURES:
        if c not in out:
            out[c] = float("nan")
    out = pd.concat([out, metric_registry.pairs(out[list(COUNT_MEASURES)].apply(pd.to_numeric), "count")], axis=1)
    return _describe(engine, out, level, within, scheme)


def _with_pairs(df: pd.DataFrame, source: str) -> pd.DataFrame:
    if df.empty:
        return df
    counts = [c for c in (*DOSSIER_COUNTS, *OFFER_COUNTS) if c in df]
    num = df[counts].apply(pd.to_numeric, errors="coerce")
    return pd.concat([df, metric_registry.pairs(num, source)], axis=1)


def _pair_cols(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if ":" in c]


def _merge_parts(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if p is not None and not p.empty]
    if not parts:
        return pd.DataFrame(columns=["key", *VALUE_COLS, "dataset", "source"])
    out = parts[0]
    for i, p in enumerate(parts[1:], start=1):
        out = out.merge(p, on="key", how="outer", suffixes=("", f"_{i}"))
        for col in ("dataset", "source"):
            other = f"{col}_{i}"
            if other in out:
                out[col] = [_join_labels(a, b, col) for a, b in zip(out[col], out[other], strict=True)]
                out = out.drop(columns=other)
    return out


def _join_labels(a: object, b: object, col: str) -> str:
    vals = {str(v) for v in (a, b) if isinstance(v, str) and v}
    if col == "dataset":
        return vals.pop() if len(vals) == 1 else ("mixed" if vals else "")
    return "; ".join(sorted({x for v in vals for x in v.split("; ")}))


def _fill_from(out: pd.DataFrame, extra: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    if extra is None or extra.empty:
        return out
    for c in cols:
        if c not in out:
            out[c] = pd.NA
    merged = out.merge(extra[["key", *cols]], on="key", how="outer", suffixes=("", "_calc"))
    for c in cols:
        merged[c] = pd.to_numeric(merged[c], errors="coerce").fillna(pd.to_numeric(merged[f"{c}_calc"]))
        merged = merged.drop(columns=f"{c}_calc")
    if "dataset" in merged:
        merged["dataset"] = merged["dataset"].fillna("demo")
        merged["source"] = merged["source"].fillna("")
    return merged


def _describe(engine: Engine, out: pd.DataFrame, level: str, within: int | None,
              scheme: str | None) -> pd.DataFrame:
    units = units_frame(engine)
    if out.empty:
        return pd.DataFrame(columns=["key", "level", "scheme", "code", "name", *VALUE_COLS, "dataset", "source"])
    out = out.copy()
    out["key"] = out["key"].astype(int)
    if level == "department":
        ag = agencies_frame(engine)
        out = out[out["key"].isin(ag.index)]
        prov = out["key"].map(ag["unit_id"])
        out["scheme"] = prov.map(units["scheme"]).values
        out["code"] = (prov.map(units["code"]) + "." + out["key"].map(ag["type_code"])).values
        out["name"] = (out["key"].map(ag["name"]) + " (" + prov.map(units["name"]) + ")").values
        if within is not None:
            out = out[prov.values == within]
    else:
        out = out[out["key"].isin(units.index)]
        out = out[out["key"].map(units["level"]) == level]
        if within is not None:
            out = out[out["key"].isin(subtree_ids(units, within))]
        out["scheme"] = out["key"].map(units["scheme"])
        out["code"] = out["key"].map(units["code"])
        out["name"] = out["key"].map(units["name"])
    if scheme is not None:
        out = out[out["scheme"] == scheme]
    out["level"] = level
    for c in [*VALUE_COLS, *PAIR_COLS]:
        out[c] = pd.to_numeric(out[c], errors="coerce") if c in out else float("nan")
    return out.reset_index(drop=True)


def level_metrics(engine: Engine, per: Period, level: str, within: int | None = None,
                  scheme: str | None = None, metric_ids: list[str] | None = None,
                  stored_only: bool = False) -> pd.DataFrame:
    """Indicators per unit of ``level``: key, level, scheme, code, name, dataset, source,
    metric, numerator, denominator, value (plus period columns)."""
    fig = figures(engine, per, level, within, scheme, stored_only=stored_only)
    if fig.empty:
        return _empty_metrics()
    long = metric_registry.from_pairs(fig, KEY_COLS, metric_ids)
    long["period_start"], long["period_end"], long["period_label"] = per.start, per.end, per.label
    return long


def _empty_metrics() -> pd.DataFrame:
    return pd.DataFrame(columns=["key", "level", "scheme", "code", "name", "dataset", "source", "metric",
                                 "numerator", "denominator", "value", "period_start", "period_end", "period_label"])


# --- functions the pages use ----------------------------------------------------------------


def unit_metrics(engine: Engine, unit_id: int, metric_ids: list[str] | None = None,
                 periods: list[Period] | None = None) -> pd.DataFrame:
    """One unit's indicators over periods (default: every stored period with data in it)."""
    units = units_frame(engine)
    u = units.loc[unit_id]
    periods = periods or stored_periods(engine, subtree_ids(units, unit_id))
    frames = [level_metrics(engine, p, u["level"], within=unit_id, metric_ids=metric_ids) for p in periods]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else _empty_metrics()


def children_metrics(engine: Engine, unit_id: int, level: str, per: Period,
                     metric_ids: list[str] | None = None) -> pd.DataFrame:
    """Indicators of the units (or agencies, level 'department') inside ``unit_id``."""
    return level_metrics(engine, per, level, within=unit_id, metric_ids=metric_ids)


def agency_comparison(engine: Engine, province_id: int, per: Period,
                      metric_ids: list[str] | None = None) -> pd.DataFrame:
    """Departments of one province side by side, with their procedure counts (wide)."""
    fig = figures(engine, per, "department", within=province_id)
    if fig.empty:
        return fig
    long = metric_registry.from_pairs(fig, KEY_COLS, metric_ids)
    wide = long.pivot_table(index=["key", "code", "name", "dataset"], columns="metric", values="value").reset_index()
    return wide.merge(fig[["key", *OFFER_COUNTS]], on="key", how="left")


def as_today(engine: Engine, per: Period, metric_ids: list[str] | None = None,
             level: str = "province") -> pd.DataFrame:
    """Legacy-scheme figures of ``per`` shown on today's (2025) units through the lineage.

    Province: each old province's figure goes to its new province. Commune: each old
    commune's figure goes to its default new commune (split communes are not apportioned).
    """
    old = figures(engine, per, level, scheme="legacy")
    if old.empty:
        return _empty_metrics()
    with engine.connect() as conn:
        lin = pd.DataFrame(
            conn.execute(
                select(unit_lineage.c.old_unit_id, unit_lineage.c.new_unit_id).where(
                    unit_lineage.c.level == level, unit_lineage.c.is_default.is_(True)
                )
            ).mappings().all()
        )
    old["new_key"] = old["key"].map(lin.set_index("old_unit_id")["new_unit_id"])
    old = old[old["new_key"].notna()]
    cols = [c for c in [*VALUE_COLS, *PAIR_COLS] if c in old]
    new = group_sum(old, "new_key", cols).rename(columns={"new_key": "key"})
    new = _describe(engine, new, level, None, "2025")
    long = metric_registry.from_pairs(new, KEY_COLS, metric_ids)
    long["period_start"], long["period_end"], long["period_label"] = per.start, per.end, per.label
    return long


# --- periods, batches, findings -------------------------------------------------------------


def stored_periods(engine: Engine, unit_ids: list[int] | None = None, scheme: str | None = None,
                   dataset: str | None = None) -> list[Period]:
    """Periods that have stored figures (optionally for these units / this dataset), oldest first."""
    units = units_frame(engine)
    if unit_ids is None and scheme is not None:
        unit_ids = units.index[units["scheme"] == scheme].tolist()
    found: set[tuple[date, date, str]] = set()
    with engine.connect() as conn:
        for table in (dossier_stat, procedure_offer, count_stat):
            q = (
                select(period.c.start_date, period.c.end_date, period.c.label)
                .join(table, table.c.period_id == period.c.id)
                .join(load_batch, load_batch.c.id == table.c.batch_id)
                .where(load_batch.c.status == "active")
                .distinct()
            )
            if unit_ids is not None:
                q = q.where(table.c.unit_id.in_(unit_ids))
            if dataset is not None:
                q = q.where(load_batch.c.dataset == dataset)
            found.update((s, e, lbl) for s, e, lbl in conn.execute(q))
    return [classify(s, e, lbl) for s, e, lbl in sorted(found)]


def stored_metrics(engine: Engine, dataset: str | None = None, metric_ids: list[str] | None = None) -> pd.DataFrame:
    """Every indicator exactly as stored (stored period, stored subject; no roll-up),
    optionally only of one dataset ('real' = seed documents and loaded files)."""
    frames = []
    for per in stored_periods(engine, dataset=dataset):
        for level in LEVEL_ORDER:
            df = level_metrics(engine, per, level, metric_ids=metric_ids, stored_only=True)
            if dataset is not None:
                df = df[df["dataset"] == dataset]
            if not df.empty:
                frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else _empty_metrics()


def data_range(engine: Engine) -> tuple[date, date] | None:
    """First and last day covered by monthly dossier figures (None when there are none)."""
    with engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(period.c.start_date), func.max(period.c.end_date))
            .join(dossier_stat, dossier_stat.c.period_id == period.c.id)
            .where(period.c.kind == "month")
        ).one()
    return (first, last) if first else None


def has_demo_data(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(load_batch).where(
            load_batch.c.dataset == "demo", load_batch.c.status == "active")).scalar_one())


def batches(engine: Engine) -> pd.DataFrame:
    """Every load batch: file, SHA-256, rows, time, status, dataset."""
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(select(load_batch).order_by(load_batch.c.id)).mappings().all())


def findings_table(engine: Engine, batch: int | None = None) -> pd.DataFrame:
    """Validation findings of active batches (or of one batch)."""
    q = (
        select(finding.c.batch_id.label("batch"), finding.c.file, finding.c.sheet, finding.c.row,
               finding.c.column, finding.c.rule, finding.c.severity, finding.c.message)
        .join(load_batch, load_batch.c.id == finding.c.batch_id)
        .order_by(finding.c.batch_id, finding.c.row, finding.c.id)
    )
    q = q.where(finding.c.batch_id == batch) if batch is not None else q.where(load_batch.c.status == "active")
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).mappings().all(),
                            columns=["batch", "file", "sheet", "row", "column", "rule", "severity", "message"])


def data_version(engine: Engine) -> str:
    """Changes whenever a batch is loaded or replaced (cache key for the UI)."""
    with engine.connect() as conn:
        n, last, active = conn.execute(
            select(func.count(), func.max(load_batch.c.id), func.sum(func.length(load_batch.c.status)))
        ).one()
    return f"{n}-{last}-{active}"


# --- helpers for the dashboard (cached by data version) -------------------------------------


def unit_options(engine: Engine, scheme: str, text: str = "", limit: int = 60,
                 current: str = "") -> list[dict[str, str]]:
    """Units of a scheme matching ``text`` accent-insensitively ("dien bien" finds Điện Biên);
    with no text: every province. The ``current`` unit (a code) is always included.
    Provinces first, then districts, then communes, each in Vietnamese alphabetical order;
    value = official code."""
    from data.text import fold

    units = units_frame(engine)
    u = units[units["scheme"] == scheme]
    found = u["name"].map(fold).str.contains(fold(text), regex=False) if text else u["level"] == "province"
    u = u[found]
    u = u.assign(_lvl=u["level"].map(LEVEL_ORDER), _key=u["short_name"].map(fold))
    u = u.sort_values(["_lvl", "_key"])
    if text:
        u = u.head(limit)
    if current and current not in set(u["code"]):
        cur = find_unit(engine, scheme, current)
        if cur is not None:
            u = pd.concat([cur.to_frame().T, u])
    parent = u["province_id"].map(units["short_name"])
    labels = [n if lvl == "province" else f"{n} ({p})" for n, lvl, p in zip(u["name"], u["level"], parent,
                                                                              strict=True)]
    return [{"label": lbl, "value": c} for lbl, c in zip(labels, u["code"], strict=True)]


def find_unit(engine: Engine, scheme: str, code: str) -> pd.Series | None:
    """The unit with this official code in this scheme (level from the code length)."""
    units = units_frame(engine)
    level = {2: "province", 3: "district", 5: "commune"}.get(len(code))
    hit = units[(units["scheme"] == scheme) & (units["level"] == level) & (units["code"] == code)]
    return hit.iloc[0] if len(hit) else None


def headline_metrics(engine: Engine, per: Period, scheme: str, unit_id: int | None,
                     metric_ids: list[str] | None = None) -> pd.DataFrame:
    """Indicators of one unit, or of the whole country (unit_id None) as the sum of its provinces."""
    if unit_id is not None:
        units = units_frame(engine)
        df = level_metrics(engine, per, units.at[unit_id, "level"], within=unit_id, metric_ids=metric_ids)
        return df[df["key"] == unit_id]
    fig = figures(engine, per, "province", scheme=scheme)
    if fig.empty:
        return _empty_metrics()
    pair_cols = [c for c in PAIR_COLS if c in fig]
    total = fig[pair_cols].sum(min_count=1).to_frame().T
    labels = set(fig["dataset"])
    total["key"], total["level"], total["scheme"], total["code"], total["name"] = 0, "country", scheme, "", "Toàn quốc"
    total["dataset"] = labels.pop() if len(labels) == 1 else "mixed"
    total["source"] = "; ".join(sorted({s for v in fig["source"] for s in str(v).split("; ") if s}))
    long = metric_registry.from_pairs(total, KEY_COLS, metric_ids)
    long["period_start"], long["period_end"], long["period_label"] = per.start, per.end, per.label
    return long


def stated_vs_computed(engine: Engine) -> pd.DataFrame:
    """Each percentage a source states next to the value computed from its own counts."""
    from data.schema import stated_value

    q = (
        select(stated_value.c.unit_id, stated_value.c.agency_id, stated_value.c.metric_id, stated_value.c.value,
               stated_value.c.stated_text, stated_value.c.source_ref, period.c.start_date, period.c.end_date,
               period.c.label)
        .join(period, period.c.id == stated_value.c.period_id)
        .join(load_batch, load_batch.c.id == stated_value.c.batch_id)
        .where(load_batch.c.status == "active")
    )
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    out = []
    for r in rows:
        per = classify(r["start_date"], r["end_date"], r["label"])
        level = "department" if r["agency_id"] is not None else units_frame(engine).at[r["unit_id"], "level"]
        key = r["agency_id"] if r["agency_id"] is not None else r["unit_id"]
        m = level_metrics(engine, per, level, metric_ids=[r["metric_id"]], stored_only=True)
        m = m[m["key"] == key]
        out.append({
            "name": m["name"].iloc[0] if len(m) else units_frame(engine).at[r["unit_id"], "name"],
            "period_label": per.label, "metric": r["metric_id"], "stated_text": r["stated_text"],
            "stated": r["value"], "numerator": m["numerator"].iloc[0] if len(m) else None,
            "denominator": m["denominator"].iloc[0] if len(m) else None,
            "computed": m["value"].iloc[0] if len(m) else None, "source": r["source_ref"],
        })
    return pd.DataFrame(out, columns=["name", "period_label", "metric", "stated_text", "stated", "numerator",
                                      "denominator", "computed", "source"])

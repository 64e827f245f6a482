"""Helpers for the dashboard pages: unit pickers, headline figures, stated versus computed.

Re-exported by ``data.queries`` (pages call ``queries.<name>``).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine, exists, func, select

from data.aggregate import PIDX, units_frame
from data.figures import FLAG_COLS, METRIC_COLS, PAIR_COLS, figures_multi, level_metrics_multi, long_metrics
from data.periods import Period, classify
from data.schema import dossier_stat, load_batch, period, stated_value

LEVEL_ORDER = {"province": 0, "district": 1, "commune": 2, "department": 3}


def data_range(engine: Engine) -> tuple[date, date] | None:
    """First and last day covered by monthly dossier figures (None when there are none)."""
    with engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(period.c.start_date), func.max(period.c.end_date))
            .where(period.c.kind == "month", exists().where(dossier_stat.c.period_id == period.c.id))
        ).one()
    return (first, last) if first else None


def has_demo_data(engine: Engine) -> bool:
    """True when an active demo batch exists (the UI then shows the sample-data badge)."""
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(load_batch).where(
            load_batch.c.dataset == "demo", load_batch.c.status == "active")).scalar_one())


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
        df = level_metrics_multi(engine, [per], units.at[unit_id, "level"], within=unit_id, metric_ids=metric_ids)
        return df[df["key"] == unit_id].reset_index(drop=True)
    fig = figures_multi(engine, [per], "province", scheme=scheme)
    if fig.empty:
        return pd.DataFrame(columns=METRIC_COLS)
    pair_cols = [c for c in [*PAIR_COLS, *FLAG_COLS] if c in fig]
    total = fig[pair_cols].sum(min_count=1).to_frame().T
    total["months"], total["months_expected"] = fig["months"].max(), fig["months_expected"].max()
    total["subjects"] = fig["subjects"].sum(min_count=1)
    labels = set(fig["dataset"])
    total["key"], total["level"], total["scheme"], total["code"], total["name"] = 0, "country", scheme, "", "Toàn quốc"
    total["dataset"] = labels.pop() if len(labels) == 1 else "mixed"
    total["source"] = "; ".join(sorted({s for v in fig["source"] for s in str(v).split("; ") if s}))
    total[PIDX] = 0
    return long_metrics(total, [per], metric_ids)


def stated_vs_computed(engine: Engine) -> pd.DataFrame:
    """Each percentage a source states next to the value computed from its own stored counts."""
    q = (
        select(stated_value.c.unit_id, stated_value.c.agency_id, stated_value.c.metric_id, stated_value.c.value,
               stated_value.c.stated_text, stated_value.c.source_ref, period.c.start_date, period.c.end_date,
               period.c.label)
        .join(period, period.c.id == stated_value.c.period_id)
        .join(load_batch, load_batch.c.id == stated_value.c.batch_id)
        .where(load_batch.c.status == "active")
        .order_by(stated_value.c.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    units = units_frame(engine)
    out = []
    for r in rows:
        per = classify(r["start_date"], r["end_date"], r["label"])
        level = "department" if r["agency_id"] is not None else units.at[r["unit_id"], "level"]
        key = r["agency_id"] if r["agency_id"] is not None else r["unit_id"]
        m = level_metrics_multi(engine, [per], level, metric_ids=[r["metric_id"]], stored_only=True)
        m = m[m["key"] == key]
        out.append({
            "name": m["name"].iloc[0] if len(m) else units.at[r["unit_id"], "name"],
            "period_label": per.label, "metric": r["metric_id"], "stated_text": r["stated_text"],
            "stated": r["value"], "numerator": m["numerator"].iloc[0] if len(m) else None,
            "denominator": m["denominator"].iloc[0] if len(m) else None,
            "computed": m["value"].iloc[0] if len(m) else None, "source": r["source_ref"],
        })
    return pd.DataFrame(out, columns=["name", "period_label", "metric", "stated_text", "stated", "numerator",
                                      "denominator", "computed", "source"])


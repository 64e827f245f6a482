"""Helpers for the dashboard pages: unit pickers, headline figures, stated versus computed.

Re-exported by ``data.queries`` (pages call ``queries.<name>``).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine, exists, func, select

from data.aggregate import PIDX, labels, units_frame
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
    return national_metrics(figures_multi(engine, [per], "province", scheme=scheme), per, scheme, metric_ids)


def national_metrics(fig: pd.DataFrame, per: Period, scheme: str, metric_ids: list[str] | None) -> pd.DataFrame:
    """The whole country's indicators from the provinces' figures (``figures_multi``)."""
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



HEAT_COLS = ["key", "name", "period_label", "period_start", "numerator", "denominator", "value", "dataset", "source"]


def heat_periods(per: Period, first: date, n: int = 8) -> list[Period]:
    """Up to ``n`` consecutive months (when ``per`` is a month) or quarters (otherwise) ending
    with the one that holds ``per.end``, none starting before ``first``."""
    from data import periods as P

    if per.kind == "month":
        y, m = per.start.year, per.start.month
        out = []
        for _ in range(n):
            out.append(P.month(y, m))
            y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    else:
        y, q = per.end.year, (per.end.month - 1) // 3 + 1
        out = []
        for _ in range(n):
            out.append(P.quarter(y, q))
            y, q = (y, q - 1) if q > 1 else (y - 1, 4)
    return [p for p in reversed(out) if p.start >= first]


def heat_frame(engine: Engine, per: Period, scheme: str, unit_id: int | None, level: str, metric_id: str,
               first: date) -> pd.DataFrame:
    """See ``_heat``; ``scheme='today'`` (whole country only) puts the old provinces' figures
    on today's provinces through the lineage."""
    if scheme != "today":
        return _heat(engine, per, scheme, unit_id, level, metric_id, first)
    if unit_id is not None:  # not available for one province yet: the page shows its empty state
        return pd.DataFrame(columns=HEAT_COLS)
    from data.queries import _lineage

    df = _heat(engine, per, "legacy", None, "province", metric_id, first)
    lin = _lineage(engine)
    new = df["key"].map(lin[lin["level"] == "province"].drop_duplicates("old").set_index("old")["new"])
    df = df.assign(key=new).dropna(subset=["key"])
    g = df.groupby(["key", "period_label", "period_start"], as_index=False).agg(
        numerator=("numerator", "sum"), denominator=("denominator", "sum"), dataset=("dataset", labels),
        source=("source", "first"))
    g["value"] = g["numerator"] / g["denominator"]
    g["key"] = g["key"].astype(int)
    g["name"] = g["key"].map(units_frame(engine)["name"])
    return g[df.columns.tolist()].reset_index(drop=True)


def _heat(engine: Engine, per: Period, scheme: str, unit_id: int | None, level: str, metric_id: str,
          first: date) -> pd.DataFrame:
    """One indicator for the units one level down (provinces for the whole country) over the
    periods of ``heat_periods``: key, name, period_label, period_start, numerator, denominator,
    value, dataset, source. Whole-country and province-by-district views come from the monthly
    roll-up (fast); others from the full query layer."""
    from data import rollups

    periods = heat_periods(per, first)
    cols = HEAT_COLS
    if not periods:
        return pd.DataFrame(columns=cols)
    units = units_frame(engine)
    freq = "month" if per.kind == "month" else "quarter"
    labels = {p.start: p.label for p in periods}
    if unit_id is None or (level == "district" and units.at[unit_id, "level"] == "province"):
        df = rollups.by_unit(engine, scheme, "province" if unit_id is None else "district",
                             province_id=unit_id, freq=freq, metric_ids=[metric_id])
        df = df[df["period_start"].isin(labels)]
        df = df.assign(name=df["key"].map(units["name"]), period_label=df["period_start"].map(labels), source="")
    else:
        df = level_metrics_multi(engine, periods, level, within=unit_id, metric_ids=[metric_id])
        df = df[df["metric"] == metric_id]
    return df[cols].reset_index(drop=True)


def child_level(unit_level: str | None, unit_scheme: str, requested: str) -> str:
    """The level one step down that a page compares: provinces for the whole country; for a
    district its communes; in the 2025 scheme (no districts) a province's communes."""
    if unit_level is None:
        return "province"
    if unit_level == "district" or (requested == "district" and unit_scheme != "legacy"):
        return "commune"
    return requested


def view_metrics(engine: Engine, per: Period, scheme: str, unit_id: int | None, level: str,
                 metric_ids: list[str] | None = None, prev: Period | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """(the unit's indicators for ``per``, the indicators of the units one level down, the
    unit's indicators for the comparison period ``prev`` or None) for a page.

    ``scheme``: 'legacy', '2025', or 'today': figures stored before 1/7/2025 shown on today's
    units through the lineage (``unit_id`` is then a 2025 unit). ``unit_id`` None: the whole
    country and its provinces. The period and its comparison period are computed in one pass.
    """
    from data.queries import as_today, level_metrics
    from data.units import SCHEME_CHANGE

    today = scheme == "today" and per.start < SCHEME_CHANGE
    if scheme == "today" and prev is not None:  # each period on its own: either may cross 1/7/2025
        cur, kids, _ = view_metrics(engine, per, scheme, unit_id, level, metric_ids)
        return cur, kids, view_metrics(engine, prev, scheme, unit_id, level, metric_ids)[0]
    data_scheme = "legacy" if today else ("2025" if scheme == "today" else scheme)
    periods = [per, prev] if prev is not None else [per]
    if unit_id is None:
        fig = figures_multi(engine, periods, "province", scheme=data_scheme)
        now = fig[fig[PIDX] == 0]
        head = national_metrics(now, per, data_scheme, metric_ids)
        old = national_metrics(fig[fig[PIDX] == 1].assign(**{PIDX: 0}), prev, data_scheme, metric_ids) \
            if prev is not None else None
        kids = as_today(engine, per, metric_ids, "province") if today else long_metrics(now, [per], metric_ids)
        return head, kids, old
    units = units_frame(engine)
    if not today:
        own = level_metrics_multi(engine, periods, units.at[unit_id, "level"], within=unit_id, metric_ids=metric_ids)
        own = own[own["key"] == unit_id]

        def of(p: Period) -> pd.DataFrame:
            return own[(own["period_start"] == p.start) & (own["period_end"] == p.end)].reset_index(drop=True)

        cur, old = of(per), (of(prev) if prev is not None else None)
        return cur, level_metrics(engine, per, level, within=unit_id, metric_ids=metric_ids), old
    province = unit_id if units.at[unit_id, "level"] == "province" else int(units.at[unit_id, "province_id"])
    own = as_today(engine, per, metric_ids, units.at[unit_id, "level"], within=province)
    kids = as_today(engine, per, metric_ids, "commune", within=province) if unit_id == province else own.iloc[0:0]
    return own[own["key"] == unit_id].reset_index(drop=True), kids, None


def view_trend(engine: Engine, scheme: str, unit_id: int | None, metric_ids: list[str], first: date, last: date,
               freq: str = "quarter") -> pd.DataFrame:
    """Quarterly (or monthly, yearly) indicators of a unit or the whole country from ``first``
    to ``last``. With ``scheme='today'`` the series runs across 1/7/2025: before it, the old
    provinces that form today's province; after it, today's province."""
    from data import periods as P
    from data import rollups
    from data.queries import old_provinces, unit_metrics
    from data.units import SCHEME_CHANGE

    units = units_frame(engine)
    level = units.at[unit_id, "level"] if unit_id is not None else None

    def series(sch: str, uid: int | list[int] | None, lvl: str | None) -> pd.DataFrame:
        if lvl in (None, "province"):
            return rollups.trend(engine, sch, province_id=uid, freq=freq, metric_ids=metric_ids)
        if lvl == "district":
            return rollups.trend(engine, sch, district_id=uid, freq=freq, metric_ids=metric_ids)
        quarters = sorted({(p.start.year, (p.start.month - 1) // 3 + 1) for p in P.months_between(first, last)})
        return unit_metrics(engine, uid, metric_ids, [P.quarter(y, q) for y, q in quarters])  # type: ignore[arg-type]

    if scheme != "today":
        out = series(scheme, unit_id, level)
    else:
        before = series("legacy", old_provinces(engine, unit_id) if level == "province" else None, "province") \
            if level in (None, "province") else pd.DataFrame(columns=["period_start", "metric"])
        after = series("2025", unit_id, level)
        before = before[pd.to_datetime(before["period_start"]) < pd.Timestamp(SCHEME_CHANGE)]
        out = pd.concat([f for f in (before, after) if len(f)], ignore_index=True) if len(before) or len(after) \
            else after
    if len(out):
        out = out[pd.to_datetime(out["period_start"]) <= pd.Timestamp(last)]
    return out.reset_index(drop=True)


def reporting_completeness(engine: Engine, scheme: str, last: date, months: int = 12) -> pd.DataFrame:
    """Which provinces reported which months: per province and month, the communes with a stored
    monthly dossier row (any active batch) against all communes of the province.

    Columns: key, name, period_label, period_start, numerator (communes reporting), denominator
    (communes), value (their share), dataset ('real' / 'demo' / 'mixed'), source ('').
    """
    from data import periods as P

    cols = HEAT_COLS
    wanted = heat_periods(P.month(last.year, last.month), date.min, months)
    units = units_frame(engine)
    communes = units[(units["scheme"] == scheme) & (units["level"] == "commune")]
    if communes.empty:
        return pd.DataFrame(columns=cols)
    starts = [p.start for p in wanted]
    q = (select(dossier_stat.c.unit_id, period.c.start_date, load_batch.c.dataset).distinct()
         .join(period, period.c.id == dossier_stat.c.period_id)
         .join(load_batch, load_batch.c.id == dossier_stat.c.batch_id)
         .where(period.c.kind == "month", period.c.start_date.in_(starts), load_batch.c.status == "active",
                dossier_stat.c.agency_id.is_(None)))
    with engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(q).all(), columns=["unit_id", "period_start", "dataset"])
    rows = rows[rows["unit_id"].isin(communes.index)]
    expected = communes.groupby("province_id").size()
    labels_by_start = {p.start: f"{p.start:%m/%Y}" for p in wanted}
    grid = pd.MultiIndex.from_product([expected.index, starts], names=["key", "period_start"]).to_frame(index=False)
    if len(rows):
        rows["key"] = rows["unit_id"].map(communes["province_id"])
        got = rows.groupby(["key", "period_start"]).agg(numerator=("unit_id", "nunique"),
                                                        dataset=("dataset", labels)).reset_index()
        got["period_start"] = pd.to_datetime(got["period_start"]).dt.date
        grid = grid.merge(got, on=["key", "period_start"], how="left")
    else:
        grid["numerator"], grid["dataset"] = 0, ""
    grid["numerator"] = grid["numerator"].fillna(0)
    grid["dataset"] = grid["dataset"].fillna("")
    grid["denominator"] = grid["key"].map(expected)
    grid["value"] = grid["numerator"] / grid["denominator"]
    grid["key"] = grid["key"].astype(int)
    grid["name"] = grid["key"].map(units["name"])
    grid["period_label"] = grid["period_start"].map(labels_by_start)
    grid["source"] = ""
    return grid[cols].sort_values(["name", "period_start"]).reset_index(drop=True)


def real_coverage(engine: Engine) -> pd.DataFrame:
    """Which units the real (non-demo) sources report, for which periods, from which files:
    unit name, period label and dates, number of stored figure rows, file names."""
    from data.schema import count_stat, procedure_offer

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
            parts.append(pd.DataFrame(conn.execute(q).all(),
                                      columns=["unit_id", "start", "end", "label", "file", "rows"]))
    df = pd.concat(parts, ignore_index=True)
    cols = ["name", "period_label", "start", "end", "rows", "files"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    units = units_frame(engine)
    out = df.groupby(["unit_id", "start", "end", "label"], as_index=False).agg(
        rows=("rows", "sum"), files=("file", lambda s: "; ".join(sorted(set(s)))))
    out["name"] = out["unit_id"].map(units["name"])
    out = out.rename(columns={"label": "period_label"})
    return out.sort_values(["start", "name"])[cols].reset_index(drop=True)

"""What the dashboard pages, the presentation mode and the exports ask for: indicators of a
unit and of the units one level down, trends, heatmaps, the departments of a province, and
figures of old units shown on today's units. Every function reads the analytics store only.

``scheme`` of a view: 'legacy' (units until 30/06/2025), '2025', or 'today' (figures stored
before 1/7/2025 shown on today's units: the old units' stored aggregates summed through the
lineage, so each old unit's as-of figures are picked before they are added; a period across
1/7/2025, such as the year 2025, is its old units' months then today's units', data.read.across).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, exists, select

from data import periods as P
from data.read import fetch
from data.read.across import ZERO_COLS, halves, months_across, part, spans_change, today_sources, zero_across
from data.read.figures import (
    ALL_IDS,
    HEAT_COLS,
    METRIC_COLS,
    Where,
    _dossier_part,
    _merge,
    batch_names,
    long,
    sum_by,
    total,
    wide,
)
from data.read.registry import Registry, registry
from data.schema import OFFER_COUNTS, load_batch
from data.store import (
    COUNT_IDS,
    COUNTRY,
    OFFER_IDS,
    months_spanned,
)
from data.text import fold
from data.units import SCHEME_CHANGE

LEVEL_ORDER = {"province": 0, "district": 1, "commune": 2, "department": 3}


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=METRIC_COLS)


def where_for(reg: Registry, level: str, within: int | None, scheme: str | None) -> Where:
    """The units of ``level`` inside ``within`` (the unit itself when it is of that level)."""
    if within is None:
        if level == "province" and scheme is not None:  # by key: the primary key's index
            return Where(level, scheme, keys=tuple(int(k) for k in reg.units.index[
                (reg.units["level"] == "province") & (reg.units["scheme"] == scheme)]))
        return Where(level, scheme)
    u = reg.units.loc[within]
    if u["level"] == level:
        return Where(level, keys=(int(within),))
    if u["level"] == "province":
        return Where(level, province=int(within))
    if u["level"] == "district":
        return Where(level, province=int(u["province_id"]), parent=int(within))
    return Where(level, keys=())  # nothing lies below a commune


def _metrics(conn: Connection, reg: Registry, periods: list[P.Period], level: str, within: int | None,
             scheme: str | None, metric_ids: list[str] | None, complete: bool = True) -> pd.DataFrame:
    w = wide(conn, where_for(reg, level, within, scheme), periods, complete, metric_ids)
    return long(w, periods, reg.describe(level), batch_names(conn), metric_ids)


def level_metrics_multi(engine: Engine, periods: list[P.Period], level: str, within: int | None = None,
                        scheme: str | None = None, metric_ids: list[str] | None = None,
                        complete: bool = True) -> pd.DataFrame:
    """Indicators of the units of ``level`` (inside ``within``) for several periods."""
    with engine.connect() as conn:
        return _metrics(conn, registry(engine), periods, level, within, scheme, metric_ids, complete)


def level_metrics(engine: Engine, per: P.Period, level: str, within: int | None = None, scheme: str | None = None,
                  metric_ids: list[str] | None = None, complete: bool = True) -> pd.DataFrame:
    """Indicators per unit of ``level``: key, level, scheme, code, name, dataset, source,
    period_start/end/label, metric, numerator, denominator, value, months, months_expected,
    coverage, subjects."""
    return level_metrics_multi(engine, [per], level, within, scheme, metric_ids, complete)


def unit_metrics(engine: Engine, unit_id: int, metric_ids: list[str] | None = None,
                 periods: list[P.Period] | None = None) -> pd.DataFrame:
    """One unit's indicators over ``periods`` (default: every period with figures for it)."""
    reg = registry(engine)
    if periods is None:
        from data.read.quality import stored_periods

        periods = stored_periods(engine, unit_id)
    df = level_metrics_multi(engine, periods, reg.units.at[unit_id, "level"], within=unit_id, metric_ids=metric_ids)
    return df[df["key"] == unit_id].reset_index(drop=True)


def children_metrics(engine: Engine, unit_id: int, level: str, period: P.Period,
                     metric_ids: list[str] | None = None) -> pd.DataFrame:
    """Indicators of the units of ``level`` inside ``unit_id`` (its agencies for 'department')."""
    return level_metrics(engine, period, level, within=unit_id, metric_ids=metric_ids)


def agency_comparison(engine: Engine, province_id: int, period: P.Period,
                      metric_ids: list[str] | None = None) -> pd.DataFrame:
    """Departments of one province side by side: key, code, name, dataset, source, the procedure
    counts and one column per indicator value."""
    from data.schema import OFFER_COUNTS

    reg = registry(engine)
    with engine.connect() as conn:
        w = wide(conn, Where("department", province=province_id), [period])
        lng = long(w, [period], reg.agency_names, batch_names(conn), metric_ids)
    cols = ["key", "code", "name", "dataset", "source", *OFFER_COUNTS]
    if w.empty:
        return pd.DataFrame(columns=cols)
    base = w[["key", *OFFER_COUNTS]].copy()
    desc = reg.agency_names.reindex(base["key"])
    base["code"], base["name"] = desc["code"].to_numpy(), desc["name"].to_numpy()
    ds = lng.groupby("key")["dataset"].agg(lambda s: s.iloc[0] if s.nunique() == 1 else "mixed")
    src = lng.groupby("key")["source"].agg(lambda s: "; ".join(sorted({x for v in s for x in v.split("; ") if x})))
    base["dataset"], base["source"] = base["key"].map(ds).fillna(""), base["key"].map(src).fillna("")
    if len(lng):
        wide_values = lng.pivot_table(index="key", columns="metric", values="value")
        wide_values.columns.name = None
        base = base.merge(wide_values.reset_index(), on="key", how="left")
    return base[[*cols, *[c for c in base.columns if c not in cols]]].sort_values("code").reset_index(drop=True)


# --- as today's units -----------------------------------------------------------------------


def _today_wide(conn: Connection, reg: Registry, periods: list[P.Period], level: str,
                within: int | None) -> pd.DataFrame:
    """Legacy figures summed onto 2025 units (provinces, or the communes of ``within``)."""
    frames = []
    for where, mapping in today_sources(reg, level, within):
        w = wide(conn, where, periods)
        if len(w):
            frames.append(w.assign(key=w["key"].map(mapping)))
    w = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if w.empty:
        return w
    w = w[w["key"].notna()]
    return sum_by(w.assign(key=w["key"].astype(int)), ["pidx", "key"]) if len(w) else w


def _wide_across(conn: Connection, reg: Registry, per: P.Period, metric_ids: list[str] | None, level: str,
                 within: int | None, country: bool = False) -> pd.DataFrame:
    """Every indicator of ``per`` (a period across 1/7/2025) on today's units of ``level``
    (inside the 2025 province ``within``; the whole country with ``country``): dossier
    indicators over all its months (data.read.across); procedure offers and agreements as of
    its end (today's units); communes without online dossiers counted on today's communes."""
    if country:
        olds = [(Where("country", "legacy", keys=(COUNTRY["legacy"],)),
                 pd.Series({COUNTRY["legacy"]: COUNTRY["2025"]}))]
        new = Where("country", "2025", keys=(COUNTRY["2025"],))
    else:
        olds, new = today_sources(reg, level, within), where_for(reg, level, within, "2025")
    expected = np.array([months_spanned(per.start, per.end)])
    rows = months_across(conn, olds, new, per, metric_ids)
    parts = [_dossier_part(rows, np.zeros(len(rows), dtype=bool), expected)] if len(rows) else []
    wanted = set(ALL_IDS if metric_ids is None else metric_ids)
    as_of = [m for m in ALL_IDS if m in wanted and (m in OFFER_IDS or m in COUNT_IDS) and m != "zero_activity_share"]
    if as_of:
        end = wide(conn, new, [halves(per)[1]], True, as_of)
        parts.append(part(end, [*[f"{m}:{x}" for m in as_of for x in ("num", "den", "real", "demo")],
                                 *OFFER_COUNTS, "b:offer", "b:agencies"]))
    if "zero_activity_share" in wanted and level in ("province", "country"):
        parts.append(part(zero_across(conn, reg, per, None if country else within, level), ZERO_COLS))
    return _merge(parts)


def _as_today(conn: Connection, reg: Registry, periods: list[P.Period], metric_ids: list[str] | None,
              level: str, within: int | None) -> pd.DataFrame:
    before = [p for p in periods if p.end < SCHEME_CHANGE]
    out = []
    if before:
        idx = [i for i, p in enumerate(periods) if p.end < SCHEME_CHANGE]
        w = _today_wide(conn, reg, before, level, within)
        if len(w):
            w["pidx"] = w["pidx"].map(dict(enumerate(idx)))
        out.append(w)
    for i, p in enumerate(periods):  # both sides of 1/7/2025: old units' months, then today's
        if spans_change(p):
            out.append(_wide_across(conn, reg, p, metric_ids, level, within).assign(pidx=i))
    after = [(i, p) for i, p in enumerate(periods) if p.start >= SCHEME_CHANGE]
    if after:
        w = wide(conn, where_for(reg, level, within, "2025"), [p for _, p in after])
        if len(w):
            w["pidx"] = w["pidx"].map({j: i for j, (i, _) in enumerate(after)})
        out.append(w)
    w = pd.concat([f for f in out if len(f)], ignore_index=True) if any(len(f) for f in out) else pd.DataFrame()
    return long(w, periods, reg.unit_names, batch_names(conn), metric_ids) if len(w) else _empty()


def as_today(engine: Engine, period: P.Period, metric_ids: list[str] | None = None, level: str = "province",
             within: int | None = None) -> pd.DataFrame:
    """Figures of ``period`` on today's (2025) units: for a period before 1/7/2025 the old
    provinces (level 'province') or old communes (level 'commune'; split communes go to their
    default new commune, island districts to their special zone) are added up through the
    lineage; from 1/7/2025 the 2025 units' own figures. ``within``: a 2025 province."""
    with engine.connect() as conn:
        return _as_today(conn, registry(engine), [period], metric_ids, level, within)


def old_provinces(engine: Engine, new_province_id: int) -> list[int]:
    lin = registry(engine).lineage
    return sorted(int(o) for o in lin.loc[(lin["level"] == "province") & (lin["new"] == new_province_id), "old"])


# --- the views of the pages -----------------------------------------------------------------


def child_level(unit_level: str | None, unit_scheme: str, requested: str) -> str:
    """The level one step down that a page compares: provinces for the whole country; for a
    district its communes; in the 2025 scheme (no districts) a province's communes."""
    if unit_level is None:
        return "province"
    if unit_level == "district" or (requested == "district" and unit_scheme != "legacy"):
        return "commune"
    return requested


def _national(conn: Connection, reg: Registry, periods: list[P.Period], scheme: str,
              metric_ids: list[str] | None) -> pd.DataFrame:
    """The whole country's indicators for the periods (its stored rows, level 'country')."""
    key = COUNTRY[scheme]
    w = wide(conn, Where("country", scheme, keys=(key,)), periods, True, metric_ids)
    names = pd.DataFrame({"level": ["country"], "scheme": [scheme], "code": [""], "name": ["Toàn quốc"]}, index=[key])
    return long(w, periods, names, batch_names(conn), metric_ids)


def _national_across(conn: Connection, reg: Registry, per: P.Period, metric_ids: list[str] | None) -> pd.DataFrame:
    """The whole country for a period across 1/7/2025 (old country's months, then today's)."""
    w = _wide_across(conn, reg, per, metric_ids, "country", None, country=True)
    names = pd.DataFrame({"level": ["country"], "scheme": ["2025"], "code": [""], "name": ["Toàn quốc"]},
                         index=[COUNTRY["2025"]])
    return long(w, [per], names, batch_names(conn), metric_ids)


def headline_metrics(engine: Engine, per: P.Period, scheme: str, unit_id: int | None,
                     metric_ids: list[str] | None = None) -> pd.DataFrame:
    """Indicators of one unit, or of the whole country (unit_id None) as the sum of its provinces."""
    reg = registry(engine)
    with engine.connect() as conn:
        if unit_id is None:
            return _national(conn, reg, [per], scheme, metric_ids)
        df = _metrics(conn, reg, [per], reg.units.at[unit_id, "level"], unit_id, None, metric_ids)
    return df[df["key"] == unit_id].reset_index(drop=True)


def _of(df: pd.DataFrame, p: P.Period) -> pd.DataFrame:
    return df[(df["period_start"] == p.start) & (df["period_end"] == p.end)].reset_index(drop=True)


def view_metrics(engine: Engine, per: P.Period, scheme: str, unit_id: int | None, level: str,
                 metric_ids: list[str] | None = None, prev: P.Period | None = None,
                 kid_metric_ids: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """(the unit's indicators for ``per``, those of the units one level down, the unit's
    indicators for the comparison period ``prev`` or None). ``unit_id`` None: the country.
    ``kid_metric_ids``: the indicators of the units below, when fewer are shown for them."""
    kid_ids = kid_metric_ids if kid_metric_ids is not None else metric_ids
    if scheme == "today":  # each period on its own: either may lie after 1/7/2025
        if prev is not None:
            cur, kids, _ = view_metrics(engine, per, scheme, unit_id, level, metric_ids, None, kid_ids)
            return cur, kids, view_metrics(engine, prev, scheme, unit_id, level, metric_ids, None, [])[0]
        if per.start >= SCHEME_CHANGE:
            return view_metrics(engine, per, "2025", unit_id, level, metric_ids, None, kid_ids)
    reg = registry(engine)
    periods = [per, prev] if prev is not None else [per]
    with engine.connect() as conn:
        if scheme == "today":
            if unit_id is None:
                head = _national_across(conn, reg, per, metric_ids) if spans_change(per) else \
                    _national(conn, reg, [per], "legacy", metric_ids)
                kids = _as_today(conn, reg, [per], kid_ids, "province", None) if kid_ids != [] else _empty()
                return head, kids, None
            u = reg.units.loc[unit_id]
            province = unit_id if u["level"] == "province" else int(u["province_id"])
            own = _as_today(conn, reg, [per], metric_ids, u["level"], province)
            kids = _as_today(conn, reg, [per], kid_ids, "commune", province) if unit_id == province and \
                kid_ids != [] else own.iloc[0:0]
            return own[own["key"] == unit_id].reset_index(drop=True), kids, None
        if unit_id is None:
            head = _national(conn, reg, periods, scheme, metric_ids)
            kids = _metrics(conn, reg, [per], "province", None, scheme, kid_ids) if kid_ids != [] else _empty()
            return _of(head, per), kids, (_of(head, prev) if prev is not None else None)
        own = _metrics(conn, reg, periods, reg.units.at[unit_id, "level"], unit_id, None, metric_ids)
        own = own[own["key"] == unit_id]
        kids = _metrics(conn, reg, [per], level, unit_id, None, kid_ids) if kid_ids != [] else _empty()
        return _of(own, per), kids, (_of(own, prev) if prev is not None else None)


def _periods_between(first: date, last: date, freq: str) -> list[P.Period]:
    months = P.months_between(first, last)
    if freq == "month":
        return months
    if freq == "year":
        return [P.year_period(y) for y in sorted({m.start.year for m in months})]
    return [P.quarter(y, q) for y, q in sorted({(m.start.year, (m.start.month - 1) // 3 + 1) for m in months})]


def view_trend(engine: Engine, scheme: str, unit_id: int | None, metric_ids: list[str], first: date, last: date,
               freq: str = "quarter") -> pd.DataFrame:
    """Quarterly (or monthly, yearly) indicators of a unit or the country from ``first`` to
    ``last`` (complete periods only). 'today': before 1/7/2025 the old provinces that form
    today's province (or the old country), from it today's units."""
    reg = registry(engine)
    periods = _periods_between(first, last, freq)
    with engine.connect() as conn:
        if scheme == "today":
            u = reg.units.loc[unit_id] if unit_id is not None else None
            before = [p for p in periods if p.end < SCHEME_CHANGE]
            after = [p for p in periods if p.start >= SCHEME_CHANGE]
            parts = []
            for p in [p for p in periods if spans_change(p)]:  # a year 2025
                if u is None:
                    parts.append(_national_across(conn, reg, p, metric_ids))
                elif u["level"] == "province":
                    w = _wide_across(conn, reg, p, metric_ids, "province", unit_id)
                    parts.append(long(w, [p], reg.unit_names, batch_names(conn), metric_ids))
            if before and (u is None or u["level"] == "province"):
                if u is None:
                    parts.append(_national(conn, reg, before, "legacy", metric_ids))
                else:
                    olds = tuple(int(o) for o in reg.lineage.loc[(reg.lineage["level"] == "province")
                                                                 & (reg.lineage["new"] == unit_id), "old"])
                    w = total(wide(conn, Where("province", "legacy", keys=olds), before), key=unit_id)
                    parts.append(long(w, before, reg.unit_names, batch_names(conn), metric_ids))
            if after:
                parts.append(_series(conn, reg, after, "2025", unit_id, metric_ids))
            out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) \
                else _empty()
        else:
            out = _series(conn, reg, periods, scheme, unit_id, metric_ids)
    if len(out):
        out = out[pd.to_datetime(out["period_start"]) <= pd.Timestamp(last)]
    return out.reset_index(drop=True)


def _series(conn: Connection, reg: Registry, periods: list[P.Period], scheme: str, unit_id: int | None,
            metric_ids: list[str] | None) -> pd.DataFrame:
    if unit_id is None:
        return _national(conn, reg, periods, scheme, metric_ids)
    df = _metrics(conn, reg, periods, reg.units.at[unit_id, "level"], unit_id, None, metric_ids)
    return df[df["key"] == unit_id]


def heat_periods(per: P.Period, first: date, n: int = 8) -> list[P.Period]:
    """Up to ``n`` consecutive months (when ``per`` is a month) or quarters (otherwise) ending
    with the one that holds ``per.end``, none starting before ``first``."""
    out = []
    if per.kind == "month":
        y, m = per.start.year, per.start.month
        for _ in range(n):
            out.append(P.month(y, m))
            y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    else:
        y, q = per.end.year, (per.end.month - 1) // 3 + 1
        for _ in range(n):
            out.append(P.quarter(y, q))
            y, q = (y, q - 1) if q > 1 else (y - 1, 4)
    return [p for p in reversed(out) if p.start >= first]


def heat_frame(engine: Engine, per: P.Period, scheme: str, unit_id: int | None, level: str, metric_id: str,
               first: date) -> pd.DataFrame:
    """One indicator for the units one level down (provinces for the country) over the periods
    of ``heat_periods``: key, name, period_label, period_start, numerator, denominator, value,
    dataset, source. 'today' exists for the whole country only (old provinces on today's)."""
    periods = heat_periods(per, first)
    if not periods or (scheme == "today" and unit_id is not None):
        return pd.DataFrame(columns=HEAT_COLS)
    reg = registry(engine)
    with engine.connect() as conn:
        if scheme == "today":
            df = _as_today(conn, reg, periods, [metric_id], "province", None)
        elif unit_id is None:
            df = _metrics(conn, reg, periods, "province", None, scheme, [metric_id])
        else:
            df = _metrics(conn, reg, periods, level, unit_id, None, [metric_id])
    return df[HEAT_COLS].reset_index(drop=True) if len(df) else pd.DataFrame(columns=HEAT_COLS)


# --- units and the data range ---------------------------------------------------------------


def data_range(engine: Engine) -> tuple[date, date] | None:
    """First and last day covered by monthly dossier aggregates (None when there are none)."""
    with engine.connect() as conn:
        first, last = fetch.first_month(conn), fetch.latest_month(conn)
    return (first, last) if first else None


def has_demo_data(engine: Engine) -> bool:
    """True when an active demo batch exists (the UI then shows the sample-data badge)."""
    with engine.connect() as conn:
        return bool(conn.execute(select(exists().where(load_batch.c.dataset == "demo",
                                                       load_batch.c.status == "active"))).scalar())


def find_unit(engine: Engine, scheme: str, code: str) -> pd.Series | None:
    """The unit with this official code in this scheme (level from the code length)."""
    units = registry(engine).units
    level = {2: "province", 3: "district", 5: "commune"}.get(len(code))
    hit = units[(units["scheme"] == scheme) & (units["level"] == level) & (units["code"] == code)]
    return hit.iloc[0] if len(hit) else None


def unit_options(engine: Engine, scheme: str, text: str = "", limit: int = 60,
                 current: str = "") -> list[dict[str, str]]:
    """Units of a scheme matching ``text`` accent-insensitively ("dien bien" finds Điện Biên);
    with no text: every province. The ``current`` unit (a code) is always included. Provinces
    first, then districts, then communes, each in Vietnamese alphabetical order."""
    units = registry(engine).units
    u = units[units["scheme"] == scheme]
    found = u["name"].map(fold).str.contains(fold(text), regex=False) if text else u["level"] == "province"
    u = u[found]
    u = u.assign(_lvl=u["level"].map(LEVEL_ORDER), _key=u["sort_key"]).sort_values(["_lvl", "_key"])
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

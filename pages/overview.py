"""Tổng quan: are we on target, are we improving, which units drag us down?

KPI cards for the chosen unit and period (value, target, change, traffic light), trend lines of
the main indicators, and the best and worst five units one level down.
"""

from __future__ import annotations

from datetime import date

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components import charts
from components.filterbar import filter_bar
from components.kpi import kpi_card, kpi_inputs, target_value
from components.state import COMPARE, period_options, resolve_view
from components.tables import demo_badge
from data import metrics, queries, rollups
from data import periods as P
from data.cache import cached
from data.db import default_url, get_engine

dash.register_page(__name__, path="/", name="Tổng quan", order=0, title="Tổng quan — Theo dõi cải cách TTHC")

KPIS = ["online_intake_share", "online_offer_share", "postal_intake_share", "postal_return_share",
        "index766_timeliness", "overdue_rate"]
TREND = ["online_intake_share", "postal_intake_share", "index766_timeliness"]

headline = cached(queries.headline_metrics)
children = cached(queries.children_metrics)
unit_options = cached(queries.unit_options)
unit_trend = cached(queries.unit_metrics)


def layout(**params: str) -> html.Div:
    engine = get_engine(default_url())
    rng = queries.data_range(engine)
    if rng is None:
        return html.Div(html.P("Chưa có số liệu. Nạp bằng: python -m etl seed / load / demo.", className="lead"))
    state, per, prev = resolve_view(params, rng)
    scheme = state.data_scheme
    first, last = _scheme_range(rng, scheme)
    unit = queries.find_unit(engine, state.unit_scheme, state.unit) if state.unit else None
    unit_id = int(unit["id"]) if unit is not None else None
    title = unit["name"] if unit is not None else "Toàn quốc"

    cur = headline(engine, per, scheme, unit_id, KPIS).set_index("metric")
    old = headline(engine, prev, scheme, unit_id, KPIS).set_index("metric") if prev else None
    cards = [dbc.Col(kpi_card(m, kpi_inputs(cur, m), kpi_inputs(old, m), target_value(m, per),
                              COMPARE[state.compare]),
                     xs=12, sm=6, xl=4, xxl=2, className="mb-3") for m in KPIS]
    is_demo = bool(len(cur)) and (cur["dataset"] != "real").any()

    trend = _trend(engine, scheme, unit, first, last)
    if len(trend):  # the trend ends at the period shown
        trend = trend[pd.to_datetime(trend["period_start"]) <= pd.Timestamp(per.end)]
    child_level = "province" if unit is None else state.level
    kids = (queries.level_metrics(engine, per, "province", scheme=scheme, metric_ids=[state.metric])
            if unit is None else children(engine, unit_id, child_level, per, [state.metric]))
    m = metrics.get(state.metric)
    return html.Div([
        filter_bar(state, unit_options(engine, state.unit_scheme, current=state.unit), period_options(rng[0], rng[1], state.scheme)),
        html.H1([f"{title} — {per.label}", demo_badge() if is_demo else None], className="h3 mb-1"),
        html.P(f"{per.start:%d/%m/%Y} – {per.end:%d/%m/%Y}; so sánh với "
               f"{prev.label if prev else 'không có kỳ so sánh'}.", className="text-muted small"),
        dbc.Row(cards, className="g-3"),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader("Xu hướng theo quý"),
                              dbc.CardBody(dcc.Graph(id="overview-trend", figure=charts.trend_figure(trend, TREND),
                                                     config={"displaylogo": False, "locale": "vi"}))]),
                    lg=7, className="mb-3"),
            dbc.Col(dbc.Card([dbc.CardHeader(f"Năm đơn vị tốt nhất và yếu nhất: {m.label_vi}"),
                              dbc.CardBody(dcc.Graph(id="overview-best-worst", figure=_best_worst(kids, m.id),
                                                     config={"displaylogo": False, "locale": "vi"}))]),
                    lg=5, className="mb-3"),
        ], className="mt-1"),
    ])


def _scheme_range(rng: tuple, scheme: str) -> tuple:
    first, last = rng
    if scheme == "legacy":
        return first, min(last, date(2025, 6, 30))
    return max(first, date(2025, 7, 1)), last


def _trend(engine, scheme: str, unit, first: date, last: date):  # noqa: ANN001, ANN202
    if unit is None:
        return rollups.trend(engine, scheme, freq="quarter", metric_ids=TREND)
    if unit["level"] == "province":
        return rollups.trend(engine, scheme, province_id=int(unit["id"]), freq="quarter", metric_ids=TREND)
    if unit["level"] == "district":
        return rollups.trend(engine, scheme, district_id=int(unit["id"]), freq="quarter", metric_ids=TREND)
    quarters = sorted({(p.start.year, (p.start.month - 1) // 3 + 1) for p in P.months_between(first, last)})
    return unit_trend(engine, int(unit["id"]), TREND, [P.quarter(y, q) for y, q in quarters])


def _best_worst(df, metric_id: str):  # noqa: ANN001, ANN202
    part = df[df["metric"] == metric_id]
    if len(part) <= 10:
        return charts.bar_figure(part, metric_id)
    m = metrics.get(metric_id)
    ordered = part.sort_values("value", ascending=not m.higher_is_better)
    return charts.bar_figure(pd.concat([ordered.head(5), ordered.tail(5)]), metric_id)

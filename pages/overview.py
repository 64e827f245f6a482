"""Tổng quan: are we on target, are we improving, which units drag us down?

KPI cards for the chosen unit and period (value, target, change, traffic light), trend lines of
the main indicators, and the best and worst five units one level down.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components import charts
from components.family import GRAPH_CONFIG, view_caption
from components.filterbar import filter_bar
from components.kpi import kpi_row
from components.state import period_options, resolve_view, scheme_range
from components.tables import demo_badge
from data import metrics, queries
from data.cache import cached
from data.db import default_url, get_engine

dash.register_page(__name__, path="/", name="Tổng quan", order=0, title="Tổng quan — Theo dõi cải cách TTHC")

KPIS = ["online_intake_share", "online_offer_share", "postal_intake_share", "postal_return_share",
        "index766_timeliness", "overdue_rate"]
TREND = ["online_intake_share", "postal_intake_share", "index766_timeliness"]

view_metrics = cached(queries.view_metrics)
view_trend = cached(queries.view_trend)
unit_options = cached(queries.unit_options)
data_range = cached(queries.data_range)
find_unit = cached(queries.find_unit)


def layout(**params: str) -> html.Div:
    engine = get_engine(default_url())
    rng = data_range(engine)
    if rng is None:
        return html.Div(html.P("Chưa có số liệu. Nạp bằng: python -m etl seed / load / demo.", className="lead"))
    state, per, prev = resolve_view(params, rng)
    unit = find_unit(engine, state.unit_scheme, state.unit) if state.unit else None
    unit_id = int(unit["id"]) if unit is not None else None
    title = unit["name"] if unit is not None else "Toàn quốc"
    level = queries.child_level(unit["level"] if unit is not None else None, state.unit_scheme, state.level)
    wanted = list(dict.fromkeys([*KPIS, state.metric]))
    cur, kids = view_metrics(engine, per, state.scheme, unit_id, level, wanted)
    old = view_metrics(engine, prev, state.scheme, unit_id, level, wanted)[0] if prev else None
    is_demo = bool(len(cur)) and (cur[cur["metric"].isin(KPIS)]["dataset"] != "real").any()
    first, last = scheme_range(rng, state.scheme)
    trend = view_trend(engine, state.scheme, unit_id, TREND, first, min(last, per.end))
    m = metrics.get(state.metric)
    return html.Div([
        filter_bar(state, unit_options(engine, state.unit_scheme, current=state.unit),
                   period_options(rng[0], rng[1], state.scheme)),
        html.H1([f"{title} — {per.label}", demo_badge() if is_demo else None], className="h3 mb-1"),
        html.P(view_caption(per, prev, state.scheme), className="text-muted small"),
        kpi_row(cur, old, KPIS, per, state.compare, xl=4),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader("Xu hướng theo quý"),
                              dbc.CardBody(dcc.Graph(id="overview-trend", figure=charts.trend_figure(trend, TREND),
                                                     config=GRAPH_CONFIG))]),
                    lg=7, className="mb-3"),
            dbc.Col(dbc.Card([dbc.CardHeader(f"Năm đơn vị tốt nhất và yếu nhất: {m.label_vi}"),
                              dbc.CardBody(dcc.Graph(id="overview-best-worst", figure=_best_worst(kids, m.id),
                                                     config=GRAPH_CONFIG))]),
                    lg=5, className="mb-3"),
        ], className="mt-1"),
    ])


def _best_worst(df, metric_id: str):  # noqa: ANN001, ANN202
    part = df[df["metric"] == metric_id]
    if len(part) <= 10:
        return charts.bar_figure(part, metric_id)
    m = metrics.get(metric_id)
    ordered = part.sort_values("value", ascending=not m.higher_is_better)
    return charts.bar_figure(pd.concat([ordered.head(5), ordered.tail(5)]), metric_id)

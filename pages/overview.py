"""Tổng quan: are we on target, are we improving, which units drag us down?

KPI cards for the chosen unit and period (value, target, change, traffic light), trend lines of
the main indicators, and the best and worst five units one level down.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import charts
from components.families import FAMILIES
from components.family import GRAPH_CONFIG, NO_DATA, view_caption
from components.filterbar import filter_bar
from components.kpi import kpi_row
from components.notices import view_notices
from components.state import period_options
from components.tables import demo_badge
from components.view import load_view
from data import metrics, queries
from data.db import default_url, get_engine

dash.register_page(__name__, path="/", name="Tổng quan", order=0, title="Tổng quan — Theo dõi cải cách TTHC")

KPIS = list(FAMILIES["/"].kpis)
TREND = list(FAMILIES["/"].trend)

unit_options = queries.unit_options


def layout(**params: str) -> html.Div:
    view = load_view(params, "/")
    if view is None:
        return html.Div(html.P(NO_DATA, className="lead"))
    engine = get_engine(default_url())
    state, per = view.state, view.per
    m = metrics.get(state.metric)
    is_demo = bool(len(view.cur)) and (view.cur[view.cur["metric"].isin(KPIS)]["dataset"] != "real").any()
    bar = filter_bar(state, unit_options(engine, state.unit_scheme, current=state.unit),
                     period_options(view.data_range[0], view.data_range[1], state.scheme), shown_level=view.fixed_level)
    notices = view_notices(view, "/")
    if view.unknown_unit:
        return html.Div([bar, *notices])
    return html.Div([
        bar, *notices,
        html.H1([f"{view.unit_name} — {per.label}", demo_badge() if is_demo else None], className="h3 mb-1"),
        html.P(view_caption(per, view.prev, state.scheme), className="text-muted small"),
        kpi_row(view.cur, view.old, KPIS, per, state.compare, xl=4, ranks=view.ranks, targets=view.targets,
                real=view.own_real()),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader("Xu hướng theo quý"),
                              dbc.CardBody(dcc.Graph(id="overview-trend", figure=charts.trend_figure(view.trend, TREND, target=view.targets.get(TREND[0])),
                                                     config=GRAPH_CONFIG))]),
                    lg=7, className="mb-3"),
            dbc.Col(dbc.Card([dbc.CardHeader(f"Năm đơn vị tốt nhất và yếu nhất: {m.label_vi}"),
                              dbc.CardBody(dcc.Graph(id="overview-best-worst", figure=charts.best_worst(
                                  view.kids, m.id, view.kid_targets.get(m.id)),
                                                     config=GRAPH_CONFIG))]),
                    lg=5, className="mb-3"),
        ], className="mt-1"),
    ])

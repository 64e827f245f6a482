"""Sở, ngành: the departments of one province side by side on any indicator, with their
procedure counts."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import charts
from components.families import DEPARTMENT_METRICS
from components.filterbar import filter_bar
from components.state import period_options, resolve_view
from components.tables import demo_badge, procedure_counts
from data import metrics, queries
from data.db import default_url, get_engine
from data.queries import data_range, find_unit
from data.text import format_int

dash.register_page(__name__, path="/so-nganh", name="Sở, ngành", order=6, title="Sở, ngành — Theo dõi cải cách TTHC")

comparison = queries.agency_comparison
departments = queries.children_metrics
unit_options = queries.unit_options
SHOWN = list(DEPARTMENT_METRICS)


def layout(**params: str) -> html.Div:
    engine = get_engine(default_url())
    rng = data_range(engine)
    if rng is None:
        return html.P("Chưa có số liệu.", className="lead")
    state, per, _prev = resolve_view(params, rng)
    scheme = state.data_scheme
    bar = filter_bar(state, unit_options(engine, state.unit_scheme, current=state.unit),
                     period_options(rng[0], rng[1], state.scheme), show_level=False)
    unit = find_unit(engine, scheme, state.unit) if state.unit else None
    if unit is None or unit["level"] != "province":
        return html.Div([bar, html.H1("Sở, ngành", className="h3"),
                         dbc.Alert("Chọn một tỉnh ở ô “Đơn vị” để so sánh các sở, ngành của tỉnh.", color="info")])
    df = comparison(engine, int(unit["id"]), per)
    long = departments(engine, int(unit["id"]), "department", per, SHOWN)
    long = long.assign(name=long["name"].str.split(" (", regex=False).str[0])
    # each department against its province's target (the province's own, or the national default)
    targets = {mid: t.value if t else None
               for mid, t in queries.targets_for(engine, SHOWN, per.end, int(unit["id"])).items()}
    graphs = []
    for mid in SHOWN:
        graphs.append(dbc.Col(dbc.Card([dbc.CardHeader(metrics.get(mid).label_vi), dbc.CardBody(
            dcc.Graph(id=f"dept-{mid}", figure=charts.bar_figure(long, mid, target=targets[mid]),
                      config={"displaylogo": False}))]),
            lg=6, className="mb-3"))
    is_demo = not df.empty and (df["dataset"] != "real").any()
    counts = procedure_counts(df) if not df.empty else df
    table = dbc.Table([
        html.Thead(html.Tr([html.Th("Cơ quan"), *[html.Th(h, className="text-end")
                                                     for h in ("Số TTHC", "Công bố qua BCCI", "Trực tuyến")]])),
        html.Tbody([html.Tr([html.Td(r["Cơ quan"]), *[html.Td(format_int(r[c]), className="text-end")
                                                       for c in ("Số TTHC", "Công bố qua BCCI", "Trực tuyến")]])
                    for _, r in counts.iterrows()]),
    ], size="sm", responsive=True) if not df.empty else html.P("Chưa có số liệu cho kỳ này", className="text-muted")
    return html.Div([
        bar,
        html.H1([f"Sở, ngành — {unit['name']} — {per.label}", demo_badge() if is_demo else None], className="h4"),
        dbc.Row(graphs),
        dbc.Card([dbc.CardHeader("Số thủ tục hành chính theo cơ quan"), dbc.CardBody(table)]),
    ])

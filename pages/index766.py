"""Chỉ số 766: the province's score in the Decision 766 index (total out of 100 and six groups)
as the national portal (Cổng DVCQG) publishes it: its rank among the 34 provinces and the change
since the previous snapshot, its groups against their maxima (weakest first), trends beside the
national average, its departments and communes ranked, the league and map of the provinces on
the total or any group (``group=`` in the URL), and the reconciliation of the portal's dossier
counts with the reports. There is no target for the index: neutral colours, no verdicts."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from components import notices
from components import scorecard as SC
from components.family import GRAPH_CONFIG
from components.filterbar import filter_bar
from components.scorecard_view import PATH, ScoreView, load_scores, reconciliation
from components.tables import demo_badge
from data import geo, metrics, queries
from data.db import default_url, get_engine

dash.register_page(__name__, path=PATH, name="Chỉ số 766", order=5.5,
                   title="Chỉ số 766 — Theo dõi cải cách TTHC")

GRAPH = {**GRAPH_CONFIG, "responsive": True}
WORST = "worst"


def layout(**params: str) -> html.Div:
    view = load_scores(params)
    if view is None:
        return html.Div([html.H1("Chỉ số 766", className="h4"),
                         html.P("Chưa có điểm Chỉ số 766 nào. Nạp tệp của Cổng DVCQG (python -m etl load TỆP) "
                                "hoặc sinh dữ liệu minh họa (python -m etl demo).", className="lead")])
    engine = get_engine(default_url())
    state = view.state
    options = [{"label": r.label, "value": r.spec} for r in view.periods.itertuples(index=False)]
    bar = filter_bar(state, queries.unit_options(engine, state.unit_scheme, current=state.unit), options,
                     show_level=False)
    if view.unknown_unit:
        return html.Div([bar, notices.unknown_unit(state, PATH, "")])
    top = [bar]
    if view.notice:
        top.append(dbc.Alert(view.notice, color="info", id="s766-notice"))
    if view.unit is not None and view.unit["level"] != "province":
        top.append(dbc.Alert(f"Chỉ số 766 được công bố cho tỉnh, sở ngành và xã; đang hiển thị "
                             f"{view.name}, tỉnh có {view.unit['name']}.", color="light", id="s766-unit-note"))
    title = html.H1([f"Chỉ số 766 — {view.name} — {view.per.label}", demo_badge() if view.is_demo else None],
                    className="h4", id="s766-title")
    body = [_scorecard(view), _trends(view)]
    if view.province is not None:
        body.append(_units(view))
    body.append(_league(view))
    if view.province is not None:
        compared, found = reconciliation(view)
        body.append(SC.reconcile_block(compared, found, view.name, view.per.label))
    return html.Div([*top, title, *body])


def _graph(graph_id: str, fig) -> dcc.Graph:  # noqa: ANN001
    """A chart as tall as its figure (the card grows with it)."""
    return dcc.Graph(id=graph_id, figure=fig, config=GRAPH, style={"height": f"{fig.layout.height or 300}px"})


def _scorecard(view: ScoreView) -> dbc.Row:
    if view.province is None:
        avg = view.national
        card = dbc.Card(dbc.CardBody([
            html.Div("Trung bình các tỉnh, thành phố", className="small text-muted"),
            html.Div([html.Span(SC.score_text(avg), className="display-6 fw-semibold", id="s766-total"),
                      html.Span(" /100 điểm", className="text-muted")]),
            html.Div(f"{len(view.provinces)} tỉnh, thành phố có điểm", className="small", id="s766-rank"),
            html.Div(view.source, className="small text-muted mt-1", id="s766-source"),
        ]), className="mb-3 h-100", id="s766-headline")
        return dbc.Row([dbc.Col(card, lg=4, className="mb-3")])
    groups = SC.groups_frame(view.row)
    chart = dbc.Card([dbc.CardHeader("Sáu nhóm chỉ số so với điểm tối đa (nhóm yếu nhất ở trên)"),
                      dbc.CardBody(_graph("s766-groups", SC.groups_figure(groups)),
                                   className="p-2")], className="mb-3 h-100")
    return dbc.Row([
        dbc.Col(SC.headline(view.name, view.row, view.source, view.national), lg=4, className="mb-3"),
        dbc.Col(chart, lg=8, className="mb-3"),
    ])


def _trends(view: ScoreView) -> dbc.Row:
    cols = []
    for kind, what in (("month", "theo tháng"), ("quarter", "theo quý")):
        own, avg = view.trend(kind)
        fig = SC.trend_figure(own, avg, kind, view.name if view.province is not None else None)
        cols.append(dbc.Col(dbc.Card([dbc.CardHeader(f"Tổng điểm {what}"),
                                      dbc.CardBody(_graph(f"s766-trend-{kind}", fig),
                                                   className="p-2")]), lg=6, className="mb-3"))
    return dbc.Row(cols)


def _units(view: ScoreView) -> html.Div:
    switch = dbc.Switch(id="s766-worst", label="Kém nhất lên đầu", value=False, className="mb-2")
    cols = []
    for df, what, tid in ((view.departments, "Sở, ngành", "s766-departments"),
                          (view.communes, "Xã, phường, đặc khu", "s766-communes")):
        table = SC.ranked_frame(df)
        content = SC.ranked_table(table, tid, what) if not table.empty else html.P(
            "Chưa có điểm cho kỳ này.", className="text-muted", id=f"{tid}-empty")
        cols.append(dbc.Col(dbc.Card([dbc.CardHeader(f"{what} của {view.name} ({len(table)})"),
                                      dbc.CardBody(content, className="p-2")]), lg=6, className="mb-3"))
    return html.Div([switch, dbc.Row(cols)])


def _league(view: ScoreView) -> html.Div:
    g = view.group
    league = view.league
    units = view.units
    scheme = view.state.unit_scheme
    prov = units[(units["scheme"] == scheme) & (units["level"] == "province")]
    selected = str(view.province["code"]) if view.province is not None else None
    fig = SC.score_map(dash.get_relative_path(f"/geo/provinces-{scheme}.geojson"), league, g, geo.ATTRIBUTION,
                       selected, prov[["code", "name"]], geo.province_boxes(prov, scheme))
    picker = dcc.Dropdown(id="s766-group", value=g.key if g.key != "TOTAL" else "total", clearable=False,
                          options=[{"label": metrics.SCORE_TOTAL.label_vi, "value": "total"},
                                   *[{"label": f"{x.label_vi} (tối đa {x.max_points})", "value": x.key}
                                     for x in metrics.SCORE_GROUPS]])
    table = SC.ranked_table(league, "s766-league", "Tỉnh, thành phố", page_size=34) if not league.empty else \
        html.P("Chưa có điểm cho kỳ này.", className="text-muted", id="s766-league")
    return html.Div([
        dbc.Row([dbc.Col(html.H2(f"Xếp hạng các tỉnh: {g.label_vi}", className="h5 mt-2", id="s766-league-title"),
                         md=6), dbc.Col(picker, md=6, className="mb-2")]),
        dbc.Row([
            dbc.Col(dbc.Card(dbc.CardBody(html.Div(dcc.Graph(id="s766-map", figure=fig, config={
                **GRAPH, "scrollZoom": False}), className="rank-map"), className="p-2")), lg=5, className="mb-3"),
            dbc.Col(dbc.Card([dbc.CardHeader(f"Bảng xếp hạng ({len(league)} tỉnh, thành phố)"),
                              dbc.CardBody(table, className="p-2")]), lg=7, className="mb-3"),
        ]),
    ], id="s766-league-block")


def _with(search: str | None, **changes: str) -> str:
    """The current query with ``changes`` (an empty value removes the key)."""
    query = dict(parse_qsl((search or "").lstrip("?")))
    for k, v in changes.items():
        if v:
            query[k] = v
        else:
            query.pop(k, None)
    return "?" + urlencode(query)


@callback(Output("url", "href", allow_duplicate=True), Input("s766-group", "value"), State("url", "search"),
          prevent_initial_call=True)
def _group(value: str | None, search: str | None) -> str:
    current = dict(parse_qsl((search or "").lstrip("?"))).get("group", "total")
    if value is None or value.lower() == current.lower():
        return no_update
    return PATH + _with(search, group="" if value == "total" else value)


@callback(Output("url", "href", allow_duplicate=True), Input("s766-map", "clickData"), State("url", "search"),
          prevent_initial_call=True)
def _map_click(click: dict | None, search: str | None) -> str:
    if not click or not click.get("points") or not click["points"][0].get("location"):
        return no_update
    return PATH + _with(search, unit=str(click["points"][0]["location"]))


@callback(Output("s766-departments", "sort_by"), Output("s766-communes", "sort_by"), Input("s766-worst", "value"),
          prevent_initial_call=True)
def _worst(worst: bool) -> tuple[list, list]:
    order = [{"column_id": "rank", "direction": "desc" if worst else "asc"}]
    return order, order

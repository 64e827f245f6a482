"""Xếp hạng & bản đồ: which units lag? A province map and a league table; clicking a province
or a row goes one level down (province → district → commune, or province → commune after
1/7/2025), and the breadcrumb goes back up."""

from __future__ import annotations

from urllib.parse import parse_qsl

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from components import notices
from components.filterbar import filter_bar
from components.kpi import target_line
from components.league import league_frame, league_table
from components.maps import map_card
from components.state import ViewState, period_options, resolve_view, scheme_range
from components.tables import demo_badge
from data import metrics, queries
from data.db import default_url, get_engine
from data.queries import data_range, find_unit

dash.register_page(__name__, path="/xep-hang", name="Xếp hạng & bản đồ", order=5,
                   title="Xếp hạng & bản đồ — Theo dõi cải cách TTHC")

level_metrics = queries.level_metrics
as_today = queries.as_today
unit_options = queries.unit_options
units_frame = queries.units_frame
PATH = "/xep-hang"
NEXT_LEVEL = {("legacy", "province"): "district", ("legacy", "district"): "commune", ("2025", "province"): "commune"}


def layout(**params: str) -> html.Div:
    engine = get_engine(default_url())
    rng = data_range(engine)
    if rng is None:
        return html.P("Chưa có số liệu.", className="lead")
    state, per, prev = resolve_view(params, rng)
    scheme, unit_scheme = state.data_scheme, state.unit_scheme
    unit = find_unit(engine, unit_scheme, state.unit) if state.unit else None
    m = metrics.get(state.metric)
    target = queries.targets_for(engine, [m.id], per.end, int(unit["id"]) if unit is not None else None)[m.id]
    bar = filter_bar(state, unit_options(engine, unit_scheme, current=state.unit),
                     period_options(rng[0], rng[1], state.scheme),
                     shown_level="province" if unit is None else "commune" if unit["level"] == "district" else None)
    if state.unit and unit is None:
        other = "legacy" if unit_scheme == "2025" else "2025"
        return html.Div([bar, notices.unknown_unit(state, PATH, other if find_unit(engine, other, state.unit)
                                                   is not None else "")])
    outside = notices.period_outside(state, per, PATH, scheme_range(rng, state.scheme),
                                     "today" if state.scheme != "today" else "")

    if unit is None:  # the country: provinces
        level = "province"
        get = (lambda p: as_today(engine, p, [m.id])) if state.scheme == "today" else (
            lambda p: level_metrics(engine, p, "province", scheme=scheme, metric_ids=[m.id]))
    else:
        level = state.level if state.level != "district" or unit_scheme == "legacy" else "commune"
        if unit["level"] == "district":
            level = "commune"
        uid = int(unit["id"])
        get = lambda p: level_metrics(engine, p, level, within=uid, metric_ids=[m.id])  # noqa: E731
    cur = get(per)
    old = get(prev) if prev else cur.iloc[0:0]
    table = league_frame(cur, old, m.id, queries.row_targets(engine, m.id, per.end, cur,
                                                             int(unit["id"]) if unit is not None else None))
    drillable = level not in ("commune", "department")
    units = units_frame(engine)
    geojson = dash.get_relative_path(f"/geo/provinces-{unit_scheme}.geojson")  # served by app.py
    map_df = table if level == "province" else league_frame(
        (as_today(engine, per, [m.id]) if state.scheme == "today" else
         level_metrics(engine, per, "province", scheme=scheme, metric_ids=[m.id])), old.iloc[0:0], m.id, None)
    is_demo = not cur.empty and (cur["dataset"] != "real").any()
    return html.Div([
        bar, outside,
        _breadcrumb(state, unit, units),
        html.H1([f"{m.label_vi} — {per.label}", demo_badge() if is_demo else None], className="h4"),
        dbc.Row([
            dbc.Col(dcc.Dropdown(id="rank-metric", value=m.id, clearable=False,
                                 options=[{"label": x.label_vi, "value": x.id} for x in metrics.METRICS]),
                    md=6, className="mb-2"),
        ]),
        dbc.Row([
            dbc.Col(map_card(geojson, map_df, m.id, per.end, unit_scheme, unit, readable(units)), lg=5,
                    className="mb-3"),
            dbc.Col(dbc.Card([dbc.CardHeader(f"Bảng xếp hạng ({len(table)} đơn vị)"
                                             + (" — bấm vào một dòng để xem cấp dưới" if drillable else "")),
                              dbc.CardBody([_own_rank(engine, state, per, unit, m), target_line(m, target),
                                            league_table(table, drillable=drillable) if not table.empty else
                                            html.P("Chưa có số liệu cho kỳ này", className="text-muted")])]),
                    lg=7, className="mb-3"),
        ]),
        dcc.Store(id="rank-level", data=level),
    ])


def readable(units: pd.DataFrame) -> pd.DataFrame:
    """The units the signed-in user may read (the map draws only their provinces)."""
    from data.read import scope

    allowed = scope.current()
    return units if allowed is None else units[units.index.isin(allowed)]


def _breadcrumb(state: ViewState, unit, units) -> dbc.Breadcrumb:  # noqa: ANN001
    items = [{"label": "Toàn quốc", "href": "/xep-hang" + state.query(unit=""), "external_link": False}]
    chain = []
    current = unit
    while current is not None:
        chain.append(current)
        parent = current["parent_id"]
        current = None if pd.isna(parent) else units.loc[int(parent)]
    for u in reversed(chain):
        # each step back shows that unit as it was drilled into: its own level below
        below = NEXT_LEVEL.get((state.unit_scheme, u["level"]), state.level)
        items.append({"label": u["name"], "href": PATH + state.query(unit=u["code"], level=below),
                      "external_link": False})
    items[-1]["active"] = True
    return dbc.Breadcrumb(items=items, id="rank-breadcrumb")


def _own_rank(engine, state: ViewState, per, unit, m: metrics.Metric) -> html.P | None:  # noqa: ANN001
    """The chosen unit's own value and rank among its peers ("Tỉnh Điện Biên: 40,95 %, hạng 3/3")."""
    if unit is None:
        return None
    ranks = queries.sibling_ranks(engine, per, state.scheme, int(unit["id"]), [m.id])
    if m.id not in ranks:
        return None
    rank, n = ranks[m.id]
    return html.P([html.Strong(unit["name"]), f": hạng {rank}/{n} trong các đơn vị cùng cấp"],
                  className="mb-2", id="rank-own")


def _down(search: str, code: str, level: str) -> str:
    state = ViewState.from_params(dict(parse_qsl((search or "").lstrip("?"))))
    next_level = NEXT_LEVEL.get((state.unit_scheme, level), "commune")
    return "/xep-hang" + state.query(unit=code, level=next_level)


@callback(Output("url", "href", allow_duplicate=True), Input("rank-map", "clickData"), State("url", "search"),
          prevent_initial_call=True)
def _map_click(click: dict | None, search: str) -> str:
    if not click or not click.get("points"):
        return no_update
    return _down(search, click["points"][0]["location"], "province")


@callback(Output("url", "href", allow_duplicate=True), Input("league", "active_cell"),
          State("league", "derived_viewport_data"), State("rank-level", "data"), State("url", "search"),
          prevent_initial_call=True)
def _row_click(cell: dict | None, rows: list[dict] | None, level: str, search: str) -> str:
    if not cell or not rows or level in ("commune", "department"):
        return no_update
    return _down(search, rows[cell["row"]]["code"], level)


@callback(Output("url", "href", allow_duplicate=True), Input("rank-metric", "value"), State("url", "search"),
          prevent_initial_call=True)
def _metric(metric_id: str, search: str) -> str:
    state = ViewState.from_params(dict(parse_qsl((search or "").lstrip("?"))))
    return no_update if metric_id == state.metric else "/xep-hang" + state.query(metric=metric_id)

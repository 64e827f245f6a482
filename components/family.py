"""One layout for the thematic pages (postal, online, timeliness): KPI cards of the family,
its trend, units one level down on the main indicator, an optional heatmap of units × periods,
and a page-specific extra block."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components import charts
from components.filterbar import filter_bar
from components.heatmap import heatmap_figure
from components.kpi import kpi_row
from components.state import period_options, resolve_view, scheme_range
from components.tables import demo_badge
from data import metrics, queries
from data.cache import cached

view_metrics = cached(queries.view_metrics)
view_trend = cached(queries.view_trend)
heat_frame = cached(queries.heat_frame)
unit_options = cached(queries.unit_options)
data_range = cached(queries.data_range)
find_unit = cached(queries.find_unit)
GRAPH_CONFIG = {"displaylogo": False, "locale": "vi"}


def family_layout(engine, params: dict[str, str], title: str, kpis: list[str], main_metric: str,  # noqa: ANN001
                  prefix: str, extra: Callable[[pd.DataFrame], object] | None = None,
                  heat_metric: str | None = None) -> html.Div:
    rng = data_range(engine)
    if rng is None:
        return html.P("Chưa có số liệu. Nạp bằng: python -m etl seed / load / demo.", className="lead")
    state, per, prev = resolve_view(params, rng)
    unit = find_unit(engine, state.unit_scheme, state.unit) if state.unit else None
    unit_id = int(unit["id"]) if unit is not None else None
    level = queries.child_level(unit["level"] if unit is not None else None, state.unit_scheme, state.level)
    cur, kids = view_metrics(engine, per, state.scheme, unit_id, level, kpis)
    old = view_metrics(engine, prev, state.scheme, unit_id, level, kpis)[0] if prev else None
    first, last = scheme_range(rng, state.scheme)
    trend = view_trend(engine, state.scheme, unit_id, kpis, first, min(last, per.end))
    is_demo = bool(len(cur)) and (cur["dataset"] != "real").any()
    name = unit["name"] if unit is not None else "Toàn quốc"
    main = metrics.get(main_metric)
    blocks = [
        filter_bar(state, unit_options(engine, state.unit_scheme, current=state.unit),
                   period_options(rng[0], rng[1], state.scheme)),
        html.H1([f"{title} — {name} — {per.label}", demo_badge() if is_demo else None], className="h4"),
        html.P(view_caption(per, prev, state.scheme), className="text-muted small"),
        kpi_row(cur, old, kpis, per, state.compare, xl=3),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader("Xu hướng theo quý"), dbc.CardBody(dcc.Graph(
                id=f"{prefix}-trend", figure=charts.trend_figure(trend, kpis), config=GRAPH_CONFIG))]),
                lg=6, className="mb-3"),
            dbc.Col(dbc.Card([dbc.CardHeader(f"{main.label_vi} theo đơn vị"), dbc.CardBody(dcc.Graph(
                id=f"{prefix}-units", figure=charts.bar_figure(kids, main.id, top=30), config=GRAPH_CONFIG))]),
                lg=6, className="mb-3"),
        ]),
    ]
    if heat_metric is not None:
        hm = metrics.get(heat_metric)
        heat = heat_frame(engine, per, state.scheme, unit_id, level, heat_metric, first)
        blocks.append(dbc.Card([
            dbc.CardHeader(f"{hm.label_vi}: đơn vị × kỳ (30 đơn vị yếu nhất ở kỳ gần nhất)"),
            dbc.CardBody(dcc.Graph(id=f"{prefix}-heatmap", figure=heatmap_figure(heat, heat_metric),
                                   config=GRAPH_CONFIG))], className="mb-3"))
    if extra is not None:
        blocks.append(extra(kids))
    return html.Div(blocks)


def view_caption(per, prev, scheme: str) -> str:  # noqa: ANN001
    """'01/01/2024 – 31/03/2024; so sánh với …' plus what 'as today' means."""
    text = (f"{per.start:%d/%m/%Y} – {per.end:%d/%m/%Y}; so sánh với "
            f"{prev.label if prev else 'không có kỳ so sánh'}.")
    if scheme == "today" and per.start < date(2025, 7, 1):
        text += " Số liệu trước 01/07/2025 được cộng theo đơn vị hành chính hiện nay."
    return text

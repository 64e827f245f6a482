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
from components.notices import view_notices
from components.realfigures import real_beside_card
from components.state import period_options
from components.tables import demo_badge
from components.view import load_view
from data import metrics, queries
from data.db import default_url, get_engine

unit_options = queries.unit_options
GRAPH_CONFIG = {"displaylogo": False, "locale": "vi"}
HEAT_TODAY_TEXT = "Theo đơn vị hiện nay, bản đồ nhiệt mới có cho toàn quốc (chọn “Toàn quốc”)"
NO_DATA = "Chưa có số liệu. Nạp bằng: python -m etl seed / load / demo."


def family_layout(params: dict[str, str], title: str, kpis: list[str], main_metric: str,
                  prefix: str, extra: Callable[[pd.DataFrame], object] | None = None,
                  heat_metric: str | None = None, path: str = "/") -> html.Div:
    view = load_view(params, path)
    if view is None:
        return html.P(NO_DATA, className="lead")
    engine = get_engine(default_url())
    state, per = view.state, view.per
    main = metrics.get(main_metric)
    bar = filter_bar(state, unit_options(engine, state.unit_scheme, current=state.unit),
                     period_options(view.data_range[0], view.data_range[1], state.scheme), shown_level=view.fixed_level)
    notices = view_notices(view, path)
    if view.unknown_unit:
        return html.Div([bar, *notices])
    blocks = [
        bar, *notices,
        html.H1([f"{title} — {view.unit_name} — {per.label}", demo_badge() if view.is_demo else None],
                className="h4"),
        html.P(view_caption(per, view.prev, state.scheme), className="text-muted small"),
        kpi_row(view.cur, view.old, kpis, per, state.compare, xl=3, ranks=view.ranks, targets=view.targets,
                real=view.own_real()),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader("Xu hướng theo quý"), dbc.CardBody(dcc.Graph(
                id=f"{prefix}-trend", figure=charts.trend_figure(view.trend, kpis, target=view.targets.get(kpis[0])), config=GRAPH_CONFIG))]),
                lg=6, className="mb-3"),
            dbc.Col(dbc.Card([dbc.CardHeader(units_title(view.kids, main, UNITS_SHOWN)), dbc.CardBody(dcc.Graph(
                id=f"{prefix}-units", figure=charts.bar_figure(view.kids, main.id, top=UNITS_SHOWN,
                                                       target=view.kid_targets.get(main.id), real=view.real),
                config=GRAPH_CONFIG))]), lg=6, className="mb-3"),
        ]),
    ]
    if heat_metric is not None:
        hm = metrics.get(heat_metric)
        blocks.append(dbc.Card([
            dbc.CardHeader(f"{hm.label_vi}: đơn vị × kỳ (30 đơn vị yếu nhất ở kỳ gần nhất)"),
            dbc.CardBody(dcc.Graph(id=f"{prefix}-heatmap", figure=heatmap_figure(
                view.heat(heat_metric), heat_metric, empty_text=HEAT_TODAY_TEXT
                if state.scheme == "today" and view.unit is not None else None),
                                   config=GRAPH_CONFIG))], className="mb-3"))
    blocks.append(real_beside_card(pd.concat([view.cur, view.kids], ignore_index=True), view.real))
    if extra is not None:
        blocks.append(extra(view.kids))
    return html.Div(blocks)


UNITS_SHOWN = 30


def units_title(kids: pd.DataFrame, m: metrics.Metric, shown: int) -> str:
    """The per-unit chart's title: which units it shows, the weakest first."""
    n = int((kids["metric"] == m.id).sum()) if len(kids) else 0
    if n > shown:
        return f"{m.label_vi}: {shown} đơn vị yếu nhất trong {n} (yếu nhất ở trên)"
    return f"{m.label_vi} theo đơn vị (yếu nhất ở trên)"


def view_caption(per, prev, scheme: str) -> str:  # noqa: ANN001
    """'01/01/2024 – 31/03/2024; so sánh với …' plus what 'as today' means."""
    text = (f"{per.start:%d/%m/%Y} – {per.end:%d/%m/%Y}; so sánh với "
            f"{prev.label if prev else 'không có kỳ so sánh'}.")
    if scheme == "today" and per.start < date(2025, 7, 1):
        text += " Số liệu trước 01/07/2025 được cộng theo đơn vị hành chính hiện nay."
    return text

"""One layout for the thematic pages (postal, online, timeliness): KPI cards of the family,
its trend, units one level down on the main indicator, and a page-specific extra block."""

from __future__ import annotations

from collections.abc import Callable

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components import charts
from components.filterbar import filter_bar
from components.kpi import kpi_card, kpi_inputs, target_value
from components.state import COMPARE, period_options, resolve_view
from components.tables import demo_badge
from data import metrics, queries, rollups
from data.cache import cached

headline = cached(queries.headline_metrics)
level_metrics = cached(queries.level_metrics)
unit_options = cached(queries.unit_options)


def family_layout(engine, params: dict[str, str], title: str, kpis: list[str], main_metric: str,  # noqa: ANN001
                  prefix: str, extra: Callable[[pd.DataFrame], object] | None = None) -> html.Div:
    rng = queries.data_range(engine)
    if rng is None:
        return html.P("Chưa có số liệu.", className="lead")
    state, per, prev = resolve_view(params, rng)
    scheme = state.data_scheme
    unit = queries.find_unit(engine, state.unit_scheme, state.unit) if state.unit else None
    unit_id = int(unit["id"]) if unit is not None else None
    cur = headline(engine, per, scheme, unit_id, kpis).set_index("metric")
    old = headline(engine, prev, scheme, unit_id, kpis).set_index("metric") if prev else None
    cards = [dbc.Col(kpi_card(m, kpi_inputs(cur, m), kpi_inputs(old, m), target_value(m, per),
                              COMPARE[state.compare]),
                     xs=12, sm=6, xl=3, className="mb-3") for m in kpis]
    if unit is None:
        kids = level_metrics(engine, per, "province", scheme=scheme, metric_ids=kpis)
        trend = rollups.trend(engine, scheme, freq="quarter", metric_ids=kpis)
    else:
        level = "commune" if unit["level"] == "district" or (state.level == "district" and scheme != "legacy") \
            else state.level
        kids = level_metrics(engine, per, level, within=unit_id, metric_ids=kpis)
        trend = (rollups.trend(engine, scheme, province_id=unit_id, freq="quarter", metric_ids=kpis)
                 if unit["level"] == "province" else
                 rollups.trend(engine, scheme, district_id=unit_id, freq="quarter", metric_ids=kpis)
                 if unit["level"] == "district" else pd.DataFrame(columns=["metric"]))
    if len(trend):  # the trend ends at the period shown
        trend = trend[pd.to_datetime(trend["period_start"]) <= pd.Timestamp(per.end)]
    is_demo = bool(len(cur)) and (cur["dataset"] != "real").any()
    name = unit["name"] if unit is not None else "Toàn quốc"
    main = metrics.get(main_metric)
    blocks = [
        filter_bar(state, unit_options(engine, state.unit_scheme, current=state.unit),
                   period_options(rng[0], rng[1], state.scheme)),
        html.H1([f"{title} — {name} — {per.label}", demo_badge() if is_demo else None], className="h4"),
        dbc.Row(cards, className="g-3"),
        dbc.Row([
            dbc.Col(dbc.Card([dbc.CardHeader("Xu hướng theo quý"), dbc.CardBody(dcc.Graph(
                id=f"{prefix}-trend", figure=charts.trend_figure(trend, kpis), config={"displaylogo": False}))]),
                lg=6, className="mb-3"),
            dbc.Col(dbc.Card([dbc.CardHeader(f"{main.label_vi} theo đơn vị"), dbc.CardBody(dcc.Graph(
                id=f"{prefix}-units", figure=charts.bar_figure(kids, main.id, top=30),
                config={"displaylogo": False}))]), lg=6, className="mb-3"),
        ]),
    ]
    if extra is not None:
        blocks.append(extra(kids))
    return html.Div(blocks)


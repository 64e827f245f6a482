"""Bưu chính công ích: postal intake and return shares, procedures published for postal
service, agencies with a signed agreement, and the gap between intake and return."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from components.charts import base_layout, empty_figure
from components.families import FAMILIES
from components.family import family_layout

dash.register_page(__name__, path="/buu-chinh-cong-ich", name="Bưu chính công ích", order=1,
                   title="Bưu chính công ích — Theo dõi cải cách TTHC")
KPIS = list(FAMILIES["/buu-chinh-cong-ich"].kpis)


def layout(**params: str) -> html.Div:
    return family_layout(params, "Bưu chính công ích", KPIS, "postal_intake_share",
                         "postal", _gap, path="/buu-chinh-cong-ich")


def _gap(kids: pd.DataFrame) -> dbc.Card:
    """Intake versus return via the postal service per unit: where results go by post but
    dossiers do not come in by post."""
    wide = kids.pivot_table(index="name", columns="metric", values="value")
    if {"postal_intake_share", "postal_return_share"} - set(wide.columns) or wide.empty:
        fig = empty_figure()
    else:
        wide = wide.dropna(subset=["postal_intake_share", "postal_return_share"])
        wide = wide.assign(gap=wide["postal_return_share"] - wide["postal_intake_share"]).sort_values("gap").tail(25)
        fig = go.Figure([
            go.Bar(y=wide.index, x=wide["postal_intake_share"], name="Tiếp nhận qua BCCI", orientation="h",
                   marker_color="#0d6efd"),
            go.Bar(y=wide.index, x=wide["postal_return_share"], name="Trả kết quả qua BCCI", orientation="h",
                   marker_color="#fd7e14"),
        ])
        fig.update_layout(barmode="group")
        fig.update_xaxes(tickformat=".0%")
        base_layout(fig, max(320, 30 * len(wide) + 100))
    return dbc.Card([dbc.CardHeader("Chênh lệch giữa tiếp nhận và trả kết quả qua bưu chính (25 đơn vị chênh nhiều nhất)"),
                     dbc.CardBody(dcc.Graph(id="postal-gap", figure=fig, config={"displaylogo": False}))])

"""Tổng quan (first version): the real figures in the database and the load batches."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from components.tables import batches_table, demo_badge, figures_table
from data import queries
from data.db import default_url, get_engine

dash.register_page(__name__, path="/nguon-so-lieu", name="Nguồn số liệu", order=9, menu="data",
                   title="Nguồn số liệu — Theo dõi cải cách TTHC")


def layout(**_params: str) -> html.Div:
    engine = get_engine(default_url())
    real = queries.stored_metrics(engine, dataset="real")
    return html.Div([
        html.H1("Theo dõi cải cách thủ tục hành chính", className="h3"),
        html.P(["Bưu chính công ích, dịch vụ công trực tuyến và tiến độ giải quyết hồ sơ theo tỉnh, sở ngành, "
                "huyện và xã.", demo_badge() if queries.has_demo_data(engine) else None],
               className="lead"),
        dbc.Card([
            dbc.CardHeader(html.H2("Số liệu thật từ tài liệu nguồn và tệp đã nạp", className="h5 mb-0")),
            dbc.CardBody(figures_table(real)),
        ], className="mb-4"),
        dbc.Card([
            dbc.CardHeader(html.H2("Các lô số liệu đã nạp", className="h5 mb-0")),
            dbc.CardBody(batches_table(queries.batches(engine))),
        ]),
    ])

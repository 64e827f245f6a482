"""Tiến độ giải quyết: overdue rates (settled, in progress, overall), the Index 766
timeliness rate, and the worst units with their counts (2.037/2.486 style)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from components.families import FAMILIES
from components.family import family_layout
from data.text import format_int, format_percent

dash.register_page(__name__, path="/tien-do-giai-quyet", name="Tiến độ giải quyết", order=3,
                   title="Tiến độ giải quyết — Theo dõi cải cách TTHC")
KPIS = list(FAMILIES["/tien-do-giai-quyet"].kpis)


def layout(**params: str) -> html.Div:
    return family_layout(params, "Tiến độ giải quyết", KPIS, "overdue_rate",
                         "timeliness", _worst, heat_metric="overdue_rate", path="/tien-do-giai-quyet")


def _worst(kids: pd.DataFrame) -> dbc.Card:
    part = kids[kids["metric"] == "overdue_rate"].sort_values("value", ascending=False).head(15)
    rows = [html.Tr([html.Td(r.name), html.Td(f"{format_int(r.numerator)}/{format_int(r.denominator)}",
                                              className="text-end"),
                     html.Td(format_percent(r.value), className="text-end fw-semibold")])
            for r in part.itertuples(index=False)]
    body = dbc.Table([html.Thead(html.Tr([html.Th("Đơn vị"), html.Th("Hồ sơ quá hạn / tiếp nhận"),
                                          html.Th("Tỷ lệ")])), html.Tbody(rows)], size="sm", id="timeliness-worst") \
        if rows else html.P("Chưa có số liệu cho kỳ này", className="text-muted")
    return dbc.Card([dbc.CardHeader("Các đơn vị có tỷ lệ hồ sơ quá hạn cao nhất"), dbc.CardBody(body)])

"""Dịch vụ công trực tuyến: share of procedures online (level 3-4 before 2022, partial and
full-process after), online filing against the 50 % target, and units with no online dossier."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from components.families import FAMILIES
from components.family import family_layout
from data.text import format_int

dash.register_page(__name__, path="/dich-vu-cong-truc-tuyen", name="Dịch vụ công trực tuyến", order=2,
                   title="Dịch vụ công trực tuyến — Theo dõi cải cách TTHC")
KPIS = list(FAMILIES["/dich-vu-cong-truc-tuyen"].kpis)


def layout(**params: str) -> html.Div:
    return family_layout(params, "Dịch vụ công trực tuyến", KPIS,
                         "online_intake_share", "online", _zero, path="/dich-vu-cong-truc-tuyen")


def _zero(kids: pd.DataFrame) -> dbc.Card:
    part = kids[kids["metric"] == "online_intake_share"]
    zero = part[part["numerator"] == 0].sort_values("denominator", ascending=False)
    body = (html.P("Chưa có số liệu cho kỳ này" if part.empty else "Mọi đơn vị đều đã có hồ sơ trực tuyến trong kỳ.",
                   className="text-muted") if zero.empty else
            dbc.Table([html.Thead(html.Tr([html.Th("Đơn vị"), html.Th("Hồ sơ tiếp nhận trong kỳ")])),
                       html.Tbody([html.Tr([html.Td(r.name), html.Td(format_int(r.denominator), className="text-end")])
                                   for r in zero.head(50).itertuples(index=False)])],
                      size="sm", responsive=True, id="online-zero"))
    return dbc.Card([dbc.CardHeader(f"Đơn vị chưa phát sinh hồ sơ trực tuyến trong kỳ ({len(zero)})"),
                     dbc.CardBody(body)])

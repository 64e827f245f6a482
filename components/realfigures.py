"""Real figures beside demo ones: where a document states a figure for a unit and a period that
overlaps the view, it is shown next to the demo value the view computes, marked "Số liệu thật"
and named by its document (title and date). Components never query: the view brings both."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from components.tables import demo_badge
from data import metrics
from data.text import format_date, format_int, format_percent

REAL_LABEL = "Số liệu thật"


def real_badge() -> dbc.Badge:
    return dbc.Badge(REAL_LABEL, color="success", className="ms-1",
                     title="Số liệu ghi trong tài liệu nguồn, không phải dữ liệu minh họa")


def real_text(r: pd.Series | object) -> str:
    """'81,94 % (2.037/2.486), 01/01/2020 – 24/02/2020' of one real row."""
    return (f"{format_percent(r.value)} ({format_int(r.numerator)}/{format_int(r.denominator)}), "
            f"{format_date(r.period_start)} – {format_date(r.period_end)}")


def real_beside_card(shown: pd.DataFrame, real: pd.DataFrame, card_id: str = "real-beside") -> dbc.Card | None:
    """A table: unit, indicator, the view's (demo) value, the real figure with its period and
    document. None when there is nothing to show."""
    if real is None or real.empty:
        return None
    demo = {(lv, int(k), m): v for lv, k, m, v in zip(shown["level"], shown["key"], shown["metric"], shown["value"],
                                                        strict=True)} if len(shown) else {}
    rows = []
    for r in real.sort_values(["name", "metric", "period_start"]).itertuples(index=False):
        v = demo.get((r.level, int(r.key), r.metric))
        rows.append(html.Tr([
            html.Td(r.name), html.Td(metrics.get(r.metric).label_vi),
            html.Td([format_percent(v) if v is not None else "–", demo_badge()], className="text-nowrap"),
            html.Td([html.Strong(format_percent(r.value)), f" ({format_int(r.numerator)}/{format_int(r.denominator)})",
                     real_badge()], className="text-nowrap"),
            html.Td(f"{format_date(r.period_start)} – {format_date(r.period_end)}", className="text-nowrap"),
            html.Td(r.source, className="small"),
        ]))
    head = html.Thead(html.Tr([html.Th(h) for h in ("Đơn vị", "Chỉ số", "Trong kỳ đang xem", REAL_LABEL,
                                                    "Kỳ của số liệu thật", "Tài liệu")]))
    return dbc.Card([
        dbc.CardHeader("Số liệu thật trong kỳ này (từ tài liệu nguồn), bên cạnh dữ liệu minh họa"),
        dbc.CardBody(html.Div(dbc.Table([head, html.Tbody(rows)], size="sm", className="mb-0"),
                              className="table-scroll")),
    ], className="mb-3", id=card_id)

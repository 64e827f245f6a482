"""Tables of figures with Vietnamese number formats and provenance."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from data import metrics
from data.text import format_date, format_int, format_percent

DEMO_LABEL = "Dữ liệu minh họa"


def demo_badge() -> dbc.Badge:
    return dbc.Badge(DEMO_LABEL, color="warning", text_color="dark", className="ms-2",
                     title="Số liệu sinh tự động để minh họa, không phải số liệu thật")


def figures_table(df: pd.DataFrame) -> dbc.Table | html.P:
    """Indicator rows (from data.queries) as a table: unit, period, indicator, counts, value, source."""
    if df.empty:
        return html.P("Chưa có số liệu.", className="text-muted")
    header = html.Thead(html.Tr([html.Th(h) for h in
                                 ("Đơn vị", "Kỳ", "Chỉ số", "Tử số / mẫu số", "Tỷ lệ", "Nguồn")]))
    body = []
    for r in df.itertuples(index=False):
        m = metrics.get(r.metric)
        source = html.Span(r.source.split(" — ")[0], title=r.source) if r.source else ""
        body.append(html.Tr([
            html.Td(r.name),
            html.Td([r.period_label, html.Br(), html.Small(f"{format_date(r.period_start)} – "
                                                            f"{format_date(r.period_end)}", className="text-muted")]),
            html.Td(m.label_vi),
            html.Td(f"{format_int(r.numerator)}/{format_int(r.denominator)}", className="text-end text-nowrap"),
            html.Td(format_percent(r.value), className="text-end text-nowrap fw-semibold"),
            html.Td([source, demo_badge()] if r.dataset != "real" else source, className="small"),
        ]))
    return dbc.Table([header, html.Tbody(body)], striped=True, hover=True, responsive=True, size="sm")


def procedure_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Procedure counts per agency (from ``queries.agency_comparison``), most procedures first:
    agency, code, procedures, published for postal service, online (the registry's
    ``online_offered``: level 3 + 4 before 2022, partial + full process after)."""
    from data.schema import OFFER_COUNTS

    num = df[[c for c in OFFER_COUNTS if c in df]].apply(pd.to_numeric, errors="coerce")
    derived = metrics.derive(num, ["online_offered"])
    return pd.DataFrame({
        "Cơ quan": df["name"].str.split(" (", regex=False).str[0], "Mã": df["code"],
        "Số TTHC": num.get("procedures_total"), "Công bố qua BCCI": num.get("bcci_published"),
        "Trực tuyến": derived["online_offered"],
    }).sort_values("Số TTHC", ascending=False).reset_index(drop=True)


def batches_table(df: pd.DataFrame) -> dbc.Table | html.P:
    if df.empty:
        return html.P("Chưa nạp lô số liệu nào.", className="text-muted")
    status = {"active": "đang dùng", "replaced": "đã thay thế", "rolledback": "đã hoàn tác"}
    rows = [html.Tr([html.Td(r.id), html.Td(r.file_name), html.Td(r.loaded_at.strftime("%d/%m/%Y %H:%M")),
                     html.Td(format_int(r.rows), className="text-end"), html.Td(status.get(r.status, r.status)),
                     html.Td(DEMO_LABEL if r.dataset == "demo" else "Số liệu thật")])
            for r in df.itertuples(index=False)]
    head = html.Thead(html.Tr([html.Th(h) for h in ("Lô", "Tệp", "Thời điểm nạp", "Số dòng", "Trạng thái",
                                                    "Loại")]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", responsive=True)

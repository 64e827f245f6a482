"""Chất lượng dữ liệu: is the data believable? Validation findings, percentages stated by the
sources against their own counts, reporting completeness (which provinces reported which months),
the real sources by unit and period, and every load batch with its file, time and row count."""

from __future__ import annotations

from datetime import date

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.heatmap import heatmap_figure
from components.state import SCHEMES as STATE_SCHEMES
from components.tables import batches_table, demo_badge
from data import metrics, queries
from data.db import default_url, get_engine
from data.text import format_int, format_percent

dash.register_page(__name__, path="/chat-luong-du-lieu", name="Chất lượng dữ liệu", order=8,
                   title="Chất lượng dữ liệu — Theo dõi cải cách TTHC")

SEVERITY = {"error": ("Lỗi", "danger"), "warning": ("Cảnh báo", "warning")}


stated_vs_computed = queries.stated_vs_computed
findings_table = queries.findings_table
batches = queries.batches
completeness = queries.reporting_completeness
real_coverage = queries.real_coverage
data_range = queries.data_range
SCHEMES = {k: v for k, v in STATE_SCHEMES.items() if k != "today"}  # completeness is per stored scheme


def layout(scheme: str = "", **_params: str) -> html.Div:
    engine = get_engine(default_url())
    stated = stated_vs_computed(engine)
    findings = findings_table(engine)
    rng = data_range(engine)
    return html.Div([
        html.H1("Chất lượng dữ liệu", className="h3"),
        _completeness_card(engine, rng, scheme),
        dbc.Card([dbc.CardHeader(html.H2("Số liệu thật: đơn vị, kỳ báo cáo và tệp nguồn", className="h5 mb-0")),
                  dbc.CardBody(_coverage_table(real_coverage(engine)))], className="mb-4"),
        dbc.Card([dbc.CardHeader(html.H2("Tỷ lệ ghi trong tài liệu so với số liệu của chính tài liệu",
                                         className="h5 mb-0")),
                  dbc.CardBody(_stated_table(stated))], className="mb-4"),
        dbc.Card([dbc.CardHeader(html.H2(f"Kết quả kiểm tra khi nạp ({len(findings)})", className="h5 mb-0")),
                  dbc.CardBody(_findings_table(findings))], className="mb-4"),
        dbc.Card([dbc.CardHeader(html.H2("Các lô số liệu", className="h5 mb-0")),
                  dbc.CardBody(batches_table(batches(engine)))]),
    ])


def _completeness_card(engine, rng, scheme: str) -> dbc.Card:  # noqa: ANN001
    """Provinces × the last 12 months: share of communes with a monthly report."""
    if rng is None:
        body = html.P("Chưa có số liệu.", className="text-muted")
        scheme = scheme or "2025"
    else:
        if scheme not in SCHEMES:
            scheme = "2025" if rng[1] >= date(2025, 7, 1) else "legacy"
        last = rng[1] if scheme == "2025" else min(rng[1], date(2025, 6, 30))
        df = completeness(engine, scheme, last)
        graph = dcc.Graph(id="quality-completeness", figure=heatmap_figure(df, "reporting", top=70,
                                                                           label="Xã báo cáo", zrange=(0, 1)),
                          config={"displaylogo": False, "locale": "vi"})
        demo = bool(len(df)) and (df["dataset"].isin(["demo", "mixed"])).any()
        body = [html.P(["Mỗi ô: số xã có báo cáo tháng / tổng số xã của tỉnh.",
                        demo_badge() if demo else None], className="small text-muted mb-1"), graph]
    links = [dbc.NavLink(text, href=f"?scheme={key}", active=key == scheme, className="py-1")
             for key, text in SCHEMES.items()]
    return dbc.Card([
        dbc.CardHeader([html.H2("Mức độ đầy đủ của báo cáo: tỷ lệ xã có báo cáo tháng, theo tỉnh",
                                className="h5 mb-1"), dbc.Nav(links, pills=True, className="small")]),
        dbc.CardBody(body)], className="mb-4")


def _coverage_table(df) -> html.Div:  # noqa: ANN001
    if df.empty:
        return html.P("Chưa nạp số liệu thật nào.", className="text-muted")
    rows = [html.Tr([html.Td(r.name), html.Td(r.period_label),
                     html.Td(f"{r.start:%d/%m/%Y} – {r.end:%d/%m/%Y}", className="text-nowrap"),
                     html.Td(format_int(r.rows), className="text-end"), html.Td(html.Small(r.files))])
            for r in df.itertuples(index=False)]
    head = html.Thead(html.Tr([html.Th(h) for h in ("Đơn vị", "Kỳ báo cáo", "Từ – đến", "Số dòng", "Tệp")]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", responsive=True, id="coverage-table")


def _stated_table(df) -> html.Div:  # noqa: ANN001
    if df.empty:
        return html.P("Không có tỷ lệ nào được nêu kèm số liệu.", className="text-muted")
    rows = []
    for r in df.itertuples(index=False):
        agrees = r.computed is not None and abs(r.stated - r.computed) < 0.0001 + 10 ** -(
            len(r.stated_text.rstrip("%").split(",")[-1]) + 2)
        rows.append(html.Tr([
            html.Td(r.name), html.Td(r.period_label), html.Td(metrics.get(r.metric).label_vi),
            html.Td(r.stated_text, className="text-end"),
            html.Td(f"{format_int(r.numerator)}/{format_int(r.denominator)} = {format_percent(r.computed)}"
                    if r.computed is not None else "–", className="text-end"),
            html.Td(dbc.Badge("Khớp", color="success") if agrees else dbc.Badge("Không khớp", color="danger")),
            html.Td(html.Small(r.source.split(" — ")[0], title=r.source)),
        ]))
    head = html.Thead(html.Tr([html.Th(h) for h in ("Đơn vị", "Kỳ", "Chỉ số", "Tài liệu ghi", "Tính từ số liệu",
                                                    "Đánh giá", "Nguồn")]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", responsive=True, id="stated-table")


def _findings_table(df) -> html.Div:  # noqa: ANN001
    if df.empty:
        return html.P("Không có cảnh báo nào.", className="text-muted")
    rows = [html.Tr([html.Td(r.batch), html.Td(r.file), html.Td(r.sheet or "–"),
                     html.Td("–" if r.row != r.row or r.row is None else int(r.row)), html.Td(r.column or "–"),
                     html.Td(dbc.Badge(*SEVERITY.get(r.severity, (r.severity, "secondary"))[:1],
                                       color=SEVERITY.get(r.severity, ("", "secondary"))[1])),
                     html.Td(r.message)]) for r in df.itertuples(index=False)]
    head = html.Thead(html.Tr([html.Th(h) for h in ("Lô", "Tệp", "Sheet", "Dòng", "Cột", "Mức", "Nội dung")]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", responsive=True, id="findings-table")

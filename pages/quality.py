"""Chất lượng dữ liệu: is the data believable? For the unit and period of the URL (the shared
filter bar, like every page): reporting completeness, outliers with their batch and source row,
percentages stated by the sources against their own counts, validation findings and the real
sources; then every load batch with its file, time and row count."""

from __future__ import annotations

from datetime import date

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.filterbar import filter_bar
from components.heatmap import heatmap_figure
from components.outliers import outliers_table, rule_text
from components.state import period_options, resolve_view, scheme_range
from components.tables import batches_table, demo_badge
from data import metrics, queries
from data import periods as P
from data.db import default_url, get_engine
from data.text import format_int, format_percent

dash.register_page(__name__, path="/chat-luong-du-lieu", name="Chất lượng dữ liệu", order=8, menu="data",
                   title="Chất lượng dữ liệu — Theo dõi cải cách TTHC")

SEVERITY = {"error": ("Lỗi", "danger"), "warning": ("Cảnh báo", "warning")}
MAX_MONTHS = 36  # the completeness grid: 12 months up to the period's end, or the period's months

stated_vs_computed = queries.stated_vs_computed
findings_table = queries.findings_table
batches = queries.batches
completeness = queries.reporting_completeness
real_coverage = queries.real_coverage
data_range = queries.data_range
outliers = queries.outliers


def _card(title: str, body: object, **kw: object) -> dbc.Card:
    return dbc.Card([dbc.CardHeader(html.H2(title, className="h5 mb-0")), dbc.CardBody(body)], className="mb-4",
                    **kw)


def layout(**params: str) -> html.Div:
    engine = get_engine(default_url())
    rng = data_range(engine)
    if rng is None:
        return html.Div([html.H1("Chất lượng dữ liệu", className="h3"), html.P("Chưa có số liệu.", className="lead"),
                         _card("Các lô số liệu", batches_table(batches(engine)))])
    state, per, _prev = resolve_view(params, rng)
    scheme = state.data_scheme
    unit = queries.find_unit(engine, state.unit_scheme, state.unit) if state.unit else None
    unit_id = int(unit["id"]) if unit is not None else None
    ids = queries.scope_ids(engine, scheme, unit_id)
    where = f"{unit['name'] if unit is not None else 'Toàn quốc'} — {per.label}"
    found = outliers(engine, scheme, per.start, per.end, ids)
    findings = findings_table(engine, unit_ids=ids, start=per.start, end=per.end)
    return html.Div([
        filter_bar(state, queries.unit_options(engine, state.unit_scheme, current=state.unit),
                   period_options(rng[0], rng[1], state.scheme), show_level=False),
        html.H1("Chất lượng dữ liệu", className="h3 mb-0"),
        html.P(where, className="lead", id="quality-scope"),
        _completeness_card(engine, rng, scheme, unit_id, per),
        _card(f"Số liệu bất thường ({format_int(len(found))})", [rule_text(), outliers_table(found)],
              id="outliers-card"),
        _card("Tỷ lệ ghi trong tài liệu so với số liệu của chính tài liệu",
              _stated_table(stated_vs_computed(engine, ids, per.start, per.end))),
        _card(f"Kết quả kiểm tra khi nạp ({len(findings)})", _findings_table(findings)),
        _card("Số liệu thật: đơn vị, kỳ báo cáo và tệp nguồn",
              _coverage_table(real_coverage(engine, ids, per.start, per.end))),
        _card("Các lô số liệu (tất cả)", batches_table(batches(engine))),
    ])


def _completeness_card(engine, rng: tuple[date, date], scheme: str, unit_id: int | None,  # noqa: ANN001
                       per: P.Period) -> dbc.Card:
    """Units × months: share of communes with a monthly report (one level down from the unit)."""
    first, last = scheme_range(rng, scheme)
    end = min(per.end, last)
    span = (end.year * 12 + end.month) - (per.start.year * 12 + per.start.month) + 1
    df = completeness(engine, scheme, end, months=min(max(12, span), MAX_MONTHS),
                      rows=queries.completeness_rows(engine, scheme, unit_id), first=first)
    graph = dcc.Graph(id="quality-completeness", figure=heatmap_figure(df, "reporting", top=70, label="Xã báo cáo",
                                                                       zrange=(0, 1),
                                                                       empty_text="Chưa có số liệu cho kỳ này"),
                      config={"displaylogo": False, "locale": "vi"})
    demo = bool(len(df)) and (df["dataset"].isin(["demo", "mixed"])).any()
    return _card("Mức độ đầy đủ của báo cáo: tỷ lệ xã có báo cáo tháng", [
        html.P(["Mỗi ô: số xã có báo cáo tháng / tổng số xã của đơn vị (một xã: 100 % khi có báo cáo), "
                f"12 tháng đến hết kỳ đã chọn (hoặc các tháng của kỳ khi kỳ dài hơn, tối đa {MAX_MONTHS}).",
                demo_badge() if demo else None], className="small text-muted mb-1"), graph])


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

"""UI pieces of the targets page (pages/targets.py): the form, the list of targets and the
choices of the targets that can be ended or deleted. No queries: frames come from data.read."""

from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from data import metrics
from data.read.targets import KIND_VI
from data.text import format_date, format_percent

KIND_BADGE = {"national": "secondary", "document": "info", "manual": "primary"}


def metric_options() -> list[dict]:
    return [{"label": m.label_vi, "value": m.id} for m in metrics.METRICS if m.fmt == "percent"]


def target_form(unit_options: list[dict]) -> dbc.Card:
    def field(label: str, control: object, width: int = 6) -> dbc.Col:
        return dbc.Col([dbc.Label(label, html_for=getattr(control, "id", None)), control], md=width,
                       className="mb-2")

    return dbc.Card([
        dbc.CardHeader(html.H2("Đặt mục tiêu mới", className="h5 mb-0")),
        dbc.CardBody([
            dbc.Row([
                field("Chỉ số", dcc.Dropdown(id="tg-metric", options=metric_options(), placeholder="Chọn chỉ số")),
                field("Đơn vị", dcc.Dropdown(id="tg-unit", options=unit_options, placeholder="Chọn đơn vị")),
            ]),
            dbc.Row([
                field("Mục tiêu (%)", dbc.Input(id="tg-value", type="text", inputMode="decimal",
                                                placeholder="ví dụ 85 hoặc 92,5"), 4),
                field("Áp dụng từ ngày", dbc.Input(id="tg-from", type="date"), 4),
                field("đến ngày", dbc.Input(id="tg-to", type="date"), 4),
            ]),
            field("Văn bản giao mục tiêu", dbc.Textarea(
                id="tg-source", rows=2, maxLength=500,
                placeholder="Số, ngày, cơ quan ban hành, ví dụ: Kế hoạch 12/KH-UBND ngày 10/01/2026 của UBND tỉnh"),
                12),
            dbc.Button("Lưu mục tiêu", id="tg-save", color="primary", className="mt-2"),
            html.Div(id="tg-save-result", className="mt-3", role="status"),
        ]),
    ], className="mb-4")


def manage_card(choices: list[dict]) -> dbc.Card:
    return dbc.Card([
        dbc.CardHeader(html.H2("Kết thúc hoặc xóa mục tiêu đã đặt", className="h5 mb-0")),
        dbc.CardBody([
            dbc.Row([
                dbc.Col([dbc.Label("Mục tiêu", html_for="tg-pick"),
                         dcc.Dropdown(id="tg-pick", options=choices, placeholder="Chọn mục tiêu đặt trên trang này")],
                        md=7, className="mb-2"),
                dbc.Col([dbc.Label("Kết thúc vào ngày", html_for="tg-end-on"),
                         dbc.Input(id="tg-end-on", type="date", value=date.today().isoformat())], md=5,
                        className="mb-2"),
            ]),
            dbc.Button("Kết thúc", id="tg-end", color="secondary", className="me-2"),
            dbc.Button("Xóa", id="tg-delete", color="danger", outline=True),
            html.Div(id="tg-manage-result", className="mt-3", role="status"),
        ]),
    ], className="mb-4")


def _status(r: dict, today: date) -> str:
    if r["valid_to"] < today:
        return "Đã hết hạn"
    if r["valid_from"] > today:
        return "Chưa đến ngày áp dụng"
    return "Đang áp dụng"


def targets_table(df: pd.DataFrame, today: date | None = None) -> dbc.Table | html.P:
    """Targets (``data.read.targets.target_list``): indicator, unit, period, value, source
    (as users see it on the KPI cards), kind and whether in force today."""
    if df.empty:
        return html.P("Chưa có mục tiêu nào.", className="text-muted")
    today = today or date.today()
    head = html.Thead(html.Tr([html.Th(h) for h in ("Chỉ số", "Đơn vị", "Áp dụng", "Mục tiêu", "Nguồn", "Loại",
                                                    "Trạng thái")]))
    rows = []
    for r in df.to_dict("records"):
        m = metrics.get(r["metric_id"])
        sign = "≥" if m.higher_is_better else "≤"
        rows.append(html.Tr([
            html.Td(m.label_vi), html.Td(r["unit_name"]),
            html.Td(f"{format_date(r['valid_from'])} – {format_date(r['valid_to'])}", className="text-nowrap"),
            html.Td(f"{sign} {format_percent(float(r['value']), 1)}", className="text-end text-nowrap fw-semibold"),
            html.Td(r["shown_source"], className="small"),
            html.Td(dbc.Badge(KIND_VI[r["kind"]], color=KIND_BADGE[r["kind"]])),
            html.Td(_status(r, today), className="small text-nowrap"),
        ], className=f"tg-row tg-{r['kind']}"))
    return dbc.Table([head, html.Tbody(rows)], striped=True, hover=True, responsive=True, size="sm",
                     id="tg-table-body")


def manual_choices(df: pd.DataFrame) -> list[dict]:
    """Dropdown options of the targets set on the page (the only ones that can be changed here)."""
    part = df[df["kind"] == "manual"]
    return [{"label": f"{metrics.get(r['metric_id']).label_vi} — {r['unit_name']}: "
                      f"{format_percent(float(r['value']), 1)}, {format_date(r['valid_from'])} – "
                      f"{format_date(r['valid_to'])}", "value": int(r["id"])} for r in part.to_dict("records")]


def result(message: str, ok: bool) -> dbc.Alert:
    return dbc.Alert(message, color="success" if ok else "danger", className="mb-0")

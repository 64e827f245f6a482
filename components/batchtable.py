"""The pieces of the "Lô số liệu" page: the batch history with its "Hoàn tác" buttons, the
confirmation text, the locked periods and the lock form. No queries: the page passes frames
from data.read.quality (batch_history, period_locks)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from components.tables import DEMO_LABEL
from data.text import format_date, format_int

STATUS = {"active": ("đang dùng", "success"), "replaced": ("đã bị thay thế", "secondary"),
          "rolledback": ("đã hoàn tác", "dark")}


def _when(value: object) -> str:
    return value.strftime("%d/%m/%Y %H:%M") if value is not None and value == value else "–"  # type: ignore[attr-defined]


def can_undo(row: object) -> bool:
    """Whether a history row may be rolled back: an active batch of real figures."""
    return getattr(row, "status", None) == "active" and getattr(row, "dataset", None) == "real"


def _status(r: object) -> list:
    label, color = STATUS.get(r.status, (r.status, "light"))  # type: ignore[attr-defined]
    out: list = [dbc.Badge(label, color=color, className="me-1")]
    if r.status == "replaced" and r.replaced_by == r.replaced_by and r.replaced_by is not None:  # type: ignore[attr-defined]
        out.append(html.Small(f"bởi lô {int(r.replaced_by)}", className="text-muted"))  # type: ignore[attr-defined]
    if r.status == "rolledback" and r.undone_by:  # type: ignore[attr-defined]
        out.append(html.Small(f"bởi {r.undone_by}, {_when(r.undone_at)}", className="text-muted"))  # type: ignore[attr-defined]
    return out


def history_table(df: pd.DataFrame, undo: bool) -> dbc.Table | html.P:
    """Every batch, latest first; ``undo``: a "Hoàn tác" button on each active real batch."""
    if df.empty:
        return html.P("Chưa nạp lô số liệu nào.", className="text-muted")
    head = ["Lô", "Tệp", "Người nạp", "Thời điểm nạp", "Số dòng", "Trạng thái", "Thay thế lô"] + (
        [""] if undo else [])
    rows = []
    for r in df.itertuples(index=False):
        name: list = [r.file_name]
        if r.dataset == "demo":
            name.append(dbc.Badge(DEMO_LABEL, color="warning", text_color="dark", className="ms-2"))
        cells = [html.Td(r.id), html.Td(name), html.Td(r.who), html.Td(_when(r.loaded_at), className="text-nowrap"),
                 html.Td(format_int(r.rows), className="text-end"), html.Td(_status(r)),
                 html.Td(", ".join(f"lô {i}" for i in r.replaced) or "–")]
        if undo:
            cells.append(html.Td(dbc.Button("Hoàn tác", id={"type": "lo-undo", "batch": int(r.id)}, size="sm",
                                            color="danger", outline=True) if can_undo(r) else ""))
        rows.append(html.Tr(cells))
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)], size="sm",
                     responsive=True, hover=True, className="batch-history")


def confirm_text(row: object) -> list:
    """What the confirmation dialog says about the batch to roll back."""
    restored = ", ".join(f"lô {i}" for i in row.replaced)  # type: ignore[attr-defined]
    after = (f"Lô nó đã thay thế ({restored}) sẽ được dùng lại." if restored else
             "Lô này không thay thế lô nào: số liệu của nó biến mất, không có số liệu nào được khôi phục.")
    return [html.P([html.Strong(f"Hoàn tác lô {row.id} — {row.file_name}"),  # type: ignore[attr-defined]
                    f" ({format_int(row.rows)} dòng, {row.who} nạp lúc {_when(row.loaded_at)})?"]),  # type: ignore[attr-defined]
            html.P(f"Số liệu của lô sẽ không còn được dùng ở mọi trang. {after}"),
            html.P("Số liệu tổng hợp được tính lại ngay; thao tác được ghi vào nhật ký.", className="text-muted mb-0")]


def locks_table(df: pd.DataFrame, unlock: bool) -> dbc.Table | html.P:
    """The locked unit periods; ``unlock``: a "Mở khóa" button on each (admins)."""
    if df.empty:
        return html.P("Chưa có kỳ nào bị khóa.", className="text-muted")
    head = ["Đơn vị", "Kỳ", "Người khóa", "Thời điểm khóa", "Ghi chú"] + ([""] if unlock else [])
    rows = []
    for r in df.itertuples(index=False):
        system = "trước 01/07/2025" if r.scheme == "legacy" else "từ 01/07/2025"
        cells = [html.Td([r.unit_name, html.Br(), html.Small(f"mã {r.unit_code}, hệ {system}", className="text-muted")]),
                 html.Td([r.label, html.Br(), html.Small(f"{format_date(r.start)} – {format_date(r.end)}",
                                                         className="text-muted")]),
                 html.Td(r.locked_by), html.Td(_when(r.locked_at), className="text-nowrap"), html.Td(r.note or "")]
        if unlock:
            cells.append(html.Td(dbc.Button("Mở khóa", id={"type": "lo-unlock", "lock": int(r.id)}, size="sm",
                                            color="secondary", outline=True)))
        rows.append(html.Tr(cells))
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)], size="sm",
                     responsive=True, className="period-locks")


def lock_form() -> dbc.Form:
    """Unit code, unit system, period and note, and the "Khóa kỳ" button (analysts)."""
    return dbc.Form(dbc.Row([
        dbc.Col([dbc.Label("Mã đơn vị", html_for="lo-unit"),
                 dbc.Input(id="lo-unit", placeholder="11, 096 hoặc 03124", maxLength=5)], md=2),
        dbc.Col([dbc.Label("Hệ đơn vị", html_for="lo-scheme"),
                 dbc.Select(id="lo-scheme", value="auto", options=[
                     {"label": "Theo kỳ (tự chọn)", "value": "auto"},
                     {"label": "Trước 01/07/2025", "value": "legacy"},
                     {"label": "Từ 01/07/2025", "value": "2025"}])], md=3),
        dbc.Col([dbc.Label("Kỳ", html_for="lo-period"),
                 dbc.Input(id="lo-period", placeholder="2025-Q1, 2025-03, 2024", maxLength=30)], md=2),
        dbc.Col([dbc.Label("Ghi chú", html_for="lo-note"),
                 dbc.Input(id="lo-note", placeholder="Đã đối chiếu với báo cáo giấy", maxLength=200)], md=3),
        dbc.Col(dbc.Button("Khóa kỳ", id="lo-lock", color="primary", className="w-100"), md=2,
                className="d-flex align-items-end"),
    ], className="g-2"), className="mb-3")


def message(text: str, ok: bool) -> dbc.Alert:
    return dbc.Alert(text, color="success" if ok else "danger", dismissable=True, className="mt-2")

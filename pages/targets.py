"""Mục tiêu: an analyst sets targets per indicator for the units of its province(s), which
override the national defaults (and show on the KPI cards with who set them and the document
cited); ends or deletes them. The list shows every target of those units — set here, loaded
from documents — and the national defaults. Every callback checks the role and the scope again
(data/targets_write.py refuses what the signed-in user may not do)."""

from __future__ import annotations

from datetime import date

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update

from components import access
from components.targets import manage_card, manual_choices, result, target_form, targets_table
from data.db import default_url, get_engine
from data.read.targets import target_list, unit_choices
from data.targets_write import TargetError, delete_target, editable_units, end_target, set_target

dash.register_page(__name__, path="/muc-tieu", name="Mục tiêu", order=20, nav=False, role="analyst",
                   title="Mục tiêu — Theo dõi cải cách TTHC")

DENIED = "Trang này dành cho cán bộ phân tích (analyst) và quản trị. Hãy đăng nhập bằng tài khoản có quyền."


def _lists(engine, user) -> tuple[object, list[dict]]:  # noqa: ANN001
    """The table of targets of the user's units (with the national defaults) and the choices of
    the targets set here."""
    scope = editable_units(engine, user)
    df = target_list(engine, scope, national=True)
    return targets_table(df), manual_choices(df)


def layout(**_params: str) -> html.Div:
    user = access.current_user()
    engine = get_engine(default_url())
    try:
        scope = editable_units(engine, user)
    except TargetError:
        return html.Div([html.H1("Mục tiêu", className="h3"), dbc.Alert(DENIED, color="warning")])
    table, choices = _lists(engine, user)
    where = ", ".join(user.unit_codes) if user and user.unit_codes else "mọi đơn vị"
    return html.Div([
        html.H1("Mục tiêu", className="h3 mb-0"),
        html.P(["Mục tiêu đặt cho một đơn vị thay cho mục tiêu quốc gia (và mục tiêu của đơn vị cấp trên) trong "
                "thời gian áp dụng; thẻ chỉ số ghi người đặt, ngày đặt và văn bản giao mục tiêu. ",
                html.Span(f"Phạm vi: {where}.", id="tg-scope")], className="text-muted"),
        dbc.Row([dbc.Col(target_form(unit_choices(engine, scope)), lg=7), dbc.Col(manage_card(choices), lg=5)]),
        dbc.Card([dbc.CardHeader(html.H2("Các mục tiêu", className="h5 mb-0")),
                  dbc.CardBody(table, id="tg-table")], className="mb-4"),
    ])


def _day(value: str | None, what: str) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise TargetError(f"Cần chọn {what}.") from None


@callback(Output("tg-save-result", "children"), Output("tg-table", "children", allow_duplicate=True),
          Output("tg-pick", "options", allow_duplicate=True),
          Input("tg-save", "n_clicks"), State("tg-metric", "value"), State("tg-unit", "value"),
          State("tg-value", "value"), State("tg-from", "value"), State("tg-to", "value"),
          State("tg-source", "value"), prevent_initial_call=True)
def save(n: int | None, metric_id: str | None, unit_id: int | None, value: str | None, start: str | None,
         end: str | None, source: str | None) -> tuple:
    if not n:
        return no_update, no_update, no_update
    user, engine = access.current_user(), get_engine(default_url())
    try:
        if not metric_id:
            editable_units(engine, user)  # a viewer hears about the role, not the form
            raise TargetError("Cần chọn chỉ số.")
        if unit_id is None:
            editable_units(engine, user)
            raise TargetError("Cần chọn đơn vị.")
        set_target(engine, user, metric_id, int(unit_id), _day(start, "ngày bắt đầu áp dụng"),
                   _day(end, "ngày kết thúc áp dụng"), value, source or "", ip=access.client_ip())
    except TargetError as exc:
        return result(str(exc), False), no_update, no_update
    table, choices = _lists(engine, user)
    return result("Đã lưu mục tiêu. Các trang số liệu dùng mục tiêu này từ bây giờ.", True), table, choices


@callback(Output("tg-manage-result", "children"), Output("tg-table", "children", allow_duplicate=True),
          Output("tg-pick", "options", allow_duplicate=True),
          Input("tg-end", "n_clicks"), Input("tg-delete", "n_clicks"), State("tg-pick", "value"),
          State("tg-end-on", "value"), prevent_initial_call=True)
def manage(n_end: int | None, n_delete: int | None, target_id: int | None, end_on: str | None) -> tuple:
    action = dash.ctx.triggered_id if dash.ctx else None
    return change("delete" if action == "tg-delete" else "end", target_id, end_on) if (n_end or n_delete) else \
        (no_update, no_update, no_update)


def change(action: str, target_id: int | None, end_on: str | None) -> tuple:
    """End (``action`` 'end', last day ``end_on``) or delete a target set on this page."""
    user, engine = access.current_user(), get_engine(default_url())
    try:
        editable_units(engine, user)
        if target_id is None:
            raise TargetError("Cần chọn mục tiêu.")
        if action == "delete":
            delete_target(engine, user, int(target_id), ip=access.client_ip())
            message = "Đã xóa mục tiêu."
        else:
            end_target(engine, user, int(target_id), _day(end_on, "ngày kết thúc"), ip=access.client_ip())
            message = "Đã kết thúc mục tiêu."
    except TargetError as exc:
        return result(str(exc), False), no_update, no_update
    table, choices = _lists(engine, user)
    return result(message, True), table, choices

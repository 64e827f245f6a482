"""Lô số liệu: every load batch (file, who, when, rows, status, what it replaced) with "Hoàn
tác" for analysts, and the locked unit periods with the lock form (analysts) and unlock
(admins). Readers see the history of their units. Every callback checks the role again on the
server: a hidden button is never the protection (components/access.py)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from components import access
from components.batchtable import confirm_text, history_table, lock_form, locks_table, message
from data.db import default_url, get_engine
from data.read import scope
from data.read.quality import batch_history, period_locks
from etl.batches import BatchError, lock, rollback, unlock

dash.register_page(__name__, path="/lo-so-lieu", name="Lô số liệu", order=19, nav=False, role="viewer",
                   title="Lô số liệu — Theo dõi cải cách TTHC")

NEED_ANALYST = "Cần vai trò phân tích viên (analyst) trở lên để làm việc này."
NEED_ADMIN = "Chỉ quản trị viên (admin) mới mở khóa được kỳ số liệu."


def _engine():  # noqa: ANN202
    return get_engine(default_url())


def _card(title: str, body: list, note: str | None = None) -> dbc.Card:
    return dbc.Card([dbc.CardHeader(html.H2(title, className="h5 mb-0")),
                     dbc.CardBody([html.P(note, className="text-muted small") if note else None, *body])],
                    className="mb-4")


def content() -> list:
    """The history and the locks, drawn for the signed-in user's role and units."""
    engine = _engine()
    analyst, admin = access.has_role("analyst"), access.has_role("admin")
    history = batch_history(engine, unit_ids=scope.current())
    locks = period_locks(engine)
    allowed = scope.current()
    if allowed is not None:
        locks = locks[locks["unit_id"].isin(allowed)]
    return [
        _card("Lịch sử các lô", [history_table(history, undo=analyst)],
              "Hoàn tác một lô: số liệu của nó không còn được dùng và lô mà nó đã thay thế được dùng lại. "
              "Dữ liệu minh họa không hoàn tác được." if analyst else None),
        _card("Các kỳ đã khóa", [lock_form() if analyst else None, locks_table(locks, unlock=admin)],
              "Kỳ đã khóa sau khi rà soát: số liệu của đơn vị (và các đơn vị trực thuộc) trong kỳ đó không bị "
              "thay thế hay hoàn tác nữa, trừ khi quản trị viên làm." if analyst else None),
    ]


def layout(**_params: str) -> html.Div:
    return html.Div([
        html.H1("Lô số liệu", className="h3"),
        html.P("Mỗi lần nạp một tệp là một lô. Nạp lại tệp cùng tên với nội dung mới thì lô mới thay thế lô cũ.",
               className="lead"),
        dcc.Store(id="lo-version", data=0), dcc.Store(id="lo-pending"),
        html.Div(id="lo-message", role="status"),
        html.Div(content(), id="lo-content"),
        dbc.Modal([dbc.ModalHeader(dbc.ModalTitle("Xác nhận hoàn tác")), dbc.ModalBody(id="lo-modal-body"),
                   dbc.ModalFooter([dbc.Button("Hủy", id="lo-cancel", color="secondary", outline=True),
                                    dbc.Button("Hoàn tác lô này", id="lo-confirm", color="danger")])],
                  id="lo-modal", is_open=False),
    ])


@callback(Output("lo-content", "children"), Input("lo-version", "data"), prevent_initial_call=True)
def redraw(_version: int) -> list:
    return content()


@callback(
    Output("lo-modal", "is_open"), Output("lo-pending", "data"), Output("lo-modal-body", "children"),
    Output("lo-message", "children"),
    Input({"type": "lo-undo", "batch": ALL}, "n_clicks"), prevent_initial_call=True,
)
def ask_rollback(clicks: list) -> tuple:
    """A "Hoàn tác" click: the confirmation dialog for that batch (analysts only)."""
    trigger = ctx.triggered_id
    if not any(clicks or []) or not isinstance(trigger, dict):
        return no_update, no_update, no_update, no_update
    if not access.has_role("analyst"):
        return False, None, None, message(NEED_ANALYST, ok=False)
    batch_id = int(trigger["batch"])
    rows = batch_history(_engine(), unit_ids=scope.current())
    row = rows[rows["id"] == batch_id]
    if row.empty:
        return False, None, None, message(f"Không có lô số liệu {batch_id}.", ok=False)
    return True, batch_id, confirm_text(next(row.itertuples(index=False))), None


@callback(
    Output("lo-modal", "is_open", allow_duplicate=True), Output("lo-message", "children", allow_duplicate=True),
    Output("lo-version", "data", allow_duplicate=True),
    Input("lo-confirm", "n_clicks"), State("lo-pending", "data"), State("lo-version", "data"),
    prevent_initial_call=True,
)
def confirm_rollback(n: int | None, batch_id: int | None, version: int | None) -> tuple:
    """The confirmed rollback, checked again here: role, status, locks, scope (etl.batches)."""
    if not n or batch_id is None:
        return no_update, no_update, no_update
    user = access.current_user()
    if user is None or not access.has_role("analyst"):
        return False, message(NEED_ANALYST, ok=False), no_update
    try:
        done = rollback(_engine(), int(batch_id), user=user, ip=access.client_ip())
    except BatchError as exc:
        return False, message(str(exc), ok=False), (version or 0) + 1
    return False, message(done.message(), ok=True), (version or 0) + 1


@callback(Output("lo-modal", "is_open", allow_duplicate=True), Input("lo-cancel", "n_clicks"),
          prevent_initial_call=True)
def cancel(_n: int | None) -> bool:
    return False


@callback(
    Output("lo-message", "children", allow_duplicate=True), Output("lo-version", "data", allow_duplicate=True),
    Input("lo-lock", "n_clicks"),
    State("lo-unit", "value"), State("lo-scheme", "value"), State("lo-period", "value"), State("lo-note", "value"),
    State("lo-version", "data"), prevent_initial_call=True,
)
def submit_lock(n: int | None, unit_code: str | None, scheme: str | None, period_spec: str | None,
                note: str | None, version: int | None) -> tuple:
    """Lock a unit's period (analysts, within their province)."""
    if not n:
        return no_update, no_update
    user = access.current_user()
    if user is None or not access.has_role("analyst"):
        return message(NEED_ANALYST, ok=False), no_update
    if not (unit_code or "").strip() or not (period_spec or "").strip():
        return message("Nhập mã đơn vị và kỳ cần khóa.", ok=False), no_update
    try:
        made = lock(_engine(), unit_code.strip(), period_spec.strip(), user,
                    scheme=scheme if scheme in ("legacy", "2025") else None, note=(note or "").strip() or None,
                    ip=access.client_ip())
    except ValueError as exc:  # BatchError, or a period the parser refuses (its message is Vietnamese)
        return message(str(exc), ok=False), no_update
    return message(f"Đã khóa: {made.describe()}.", ok=True), (version or 0) + 1


@callback(
    Output("lo-message", "children", allow_duplicate=True), Output("lo-version", "data", allow_duplicate=True),
    Input({"type": "lo-unlock", "lock": ALL}, "n_clicks"), State("lo-version", "data"), prevent_initial_call=True,
)
def submit_unlock(clicks: list, version: int | None) -> tuple:
    """Remove a lock (admins only)."""
    trigger = ctx.triggered_id
    if not any(clicks or []) or not isinstance(trigger, dict):
        return no_update, no_update
    user = access.current_user()
    if user is None or not access.has_role("admin"):
        return message(NEED_ADMIN, ok=False), no_update
    try:
        gone = unlock(_engine(), user=user, lock_id=int(trigger["lock"]), ip=access.client_ip())
    except BatchError as exc:
        return message(str(exc), ok=False), (version or 0) + 1
    return message(f"Đã mở khóa: {gone.describe()}.", ok=True), (version or 0) + 1

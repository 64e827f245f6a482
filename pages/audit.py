"""Nhật ký: the audit log for admins — who did what, when, from where — newest first, filtered by
action, user and days, and downloadable as CSV (every matching row, not only those shown).
Every callback checks the role again."""

from __future__ import annotations

import json
from datetime import date

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from components import access
from data.db import default_url, get_engine
from data.read.audit import action_label, audit_choices, audit_csv, audit_rows
from data.text import format_int

dash.register_page(__name__, path="/nhat-ky", name="Nhật ký", order=21, nav=False, role="admin",
                   title="Nhật ký — Theo dõi cải cách TTHC")

SHOWN = 500
DENIED = "Trang này dành cho quản trị hệ thống. Hãy đăng nhập bằng tài khoản quản trị."


def _filters(actions: list[str], users: list[str]) -> dbc.Row:
    def col(label: str, control: object, md: int = 3) -> dbc.Col:
        return dbc.Col([dbc.Label(label, html_for=getattr(control, "id", None)), control], md=md, className="mb-2")

    return dbc.Row([
        col("Hành động", dcc.Dropdown(id="au-action", options=[{"label": action_label(a), "value": a}
                                                               for a in actions], placeholder="Mọi hành động")),
        col("Người dùng", dcc.Dropdown(id="au-user", options=users, placeholder="Mọi người dùng")),
        col("Từ ngày", dbc.Input(id="au-from", type="date"), 2),
        col("Đến ngày", dbc.Input(id="au-to", type="date"), 2),
        dbc.Col(dbc.Button("Tải CSV", id="au-csv", color="secondary", className="mt-md-4"), md=2, className="mb-2"),
    ], className="align-items-end")


def layout(**_params: str) -> html.Div:
    if not access.has_role("admin"):
        return html.Div([html.H1("Nhật ký", className="h3"), dbc.Alert(DENIED, color="warning")])
    engine = get_engine(default_url())
    actions, users = audit_choices(engine)
    return html.Div([
        html.H1("Nhật ký hoạt động", className="h3 mb-0"),
        html.P("Mọi thao tác thay đổi dữ liệu, người dùng, mục tiêu và mọi lần đăng nhập, mới nhất trước.",
               className="text-muted"),
        _filters(actions, users),
        html.Div(log_view(None, None, None, None), id="au-table"),
        dcc.Download(id="au-download"),
    ])


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _detail(text: str) -> str:
    """The JSON detail as "key: value; …" (the raw text when it is not a JSON object)."""
    try:
        d = json.loads(text)
    except (TypeError, ValueError):
        return text or ""
    if not isinstance(d, dict):
        return str(d)
    return "; ".join(f"{k}: {v}" for k, v in d.items())


def log_table(df: pd.DataFrame) -> dbc.Table | html.P:
    if df.empty:
        return html.P("Không có dòng nhật ký nào phù hợp.", className="text-muted")
    head = html.Thead(html.Tr([html.Th(h, className="text-nowrap") for h in
                              ("Thời điểm", "Người dùng", "Hành động", "Chi tiết", "Địa chỉ IP")]))
    body = [html.Tr([html.Td(f"{r.at:%d/%m/%Y %H:%M:%S}", className="text-nowrap"), html.Td(r.user_name or "–"),
                     html.Td(action_label(r.action), title=r.action), html.Td(_detail(r.detail), className="small"),
                     html.Td(r.ip or "–", className="small")], className="au-row")
            for r in df.itertuples(index=False)]
    return dbc.Table([head, html.Tbody(body)], striped=True, hover=True, responsive=True, size="sm")


def log_view(action: str | None, user: str | None, start: str | None, end: str | None) -> html.Div:
    """The newest ``SHOWN`` matching rows and how many match in all (admins only)."""
    if not access.has_role("admin"):
        return dbc.Alert(DENIED, color="warning")
    engine = get_engine(default_url())
    df = audit_rows(engine, action or None, user or None, _day(start), _day(end), limit=SHOWN + 1)
    more = len(df) > SHOWN
    note = (f"{format_int(SHOWN)} dòng mới nhất (còn nữa: tải CSV để có tất cả)." if more
            else f"{format_int(len(df))} dòng.")
    return html.Div([html.P(note, className="small text-muted", id="au-count"), log_table(df.head(SHOWN))])


@callback(Output("au-table", "children"), Input("au-action", "value"), Input("au-user", "value"),
          Input("au-from", "value"), Input("au-to", "value"), prevent_initial_call=True)
def _refresh(action: str | None, user: str | None, start: str | None, end: str | None) -> html.Div:
    return log_view(action, user, start, end)


def csv_download(action: str | None, user: str | None, start: str | None, end: str | None) -> dict | None:
    """Every matching row as a CSV file for dcc.Download (None when the user is no admin)."""
    if not access.has_role("admin"):
        return None
    engine = get_engine(default_url())
    df = audit_rows(engine, action or None, user or None, _day(start), _day(end))
    name = f"nhat-ky_{date.today():%d-%m-%Y}.csv"
    return dcc.send_string("\ufeff" + audit_csv(df), name, type="text/csv")


@callback(Output("au-download", "data"), Input("au-csv", "n_clicks"), State("au-action", "value"),
          State("au-user", "value"), State("au-from", "value"), State("au-to", "value"), prevent_initial_call=True)
def _download(n: int | None, action: str | None, user: str | None, start: str | None, end: str | None) -> object:
    if not n:
        return no_update
    return csv_download(action, user, start, end) or no_update

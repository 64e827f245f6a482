"""Nạp số liệu: a reporter drops a file (Biểu số 06/VPCP/KSTT or the project's template, what
``python -m etl load`` accepts), sees what it read and every error and warning before anything
is stored, then confirms. The layout is the same for everyone (the page cache may serve it);
who may upload, and for which units, is checked by the callbacks on every request
(components.uploadview, etl.preview)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from components import uploadview as V

dash.register_page(__name__, path="/nap-so-lieu", name="Nạp số liệu", order=18, nav=False, role="reporter",
                   title="Nạp số liệu — Theo dõi cải cách TTHC")


def layout(**_params: str) -> html.Div:
    return html.Div([
        html.H1("Nạp số liệu", className="h3"),
        html.P(["Tải lên Biểu số 06/VPCP/KSTT, tệp theo ",
                html.A("mẫu nhập liệu", href="/nguon-so-lieu"),
                " hoặc tệp của Cổng DVCQG (Chỉ số 766: JSON, tệp Excel). Tệp được kiểm tra như khi nạp bằng lệnh; chưa có gì được lưu cho đến khi bạn bấm “Xác nhận nạp”. "
                "Chỉ nạp được số liệu của các đơn vị thuộc phạm vi tài khoản."], className="text-muted"),
        V.portal_options(),
        V.drop_zone(),
        dcc.Store(id="upload-token"),
        dcc.Loading(html.Div(id="upload-preview-box"), type="default"),
        dbc.Button("Xác nhận nạp", id="upload-confirm", color="primary", disabled=True, className="my-3"),
        dcc.Loading(html.Div(id="upload-result-box"), type="default"),
    ])


@callback(
    Output("upload-preview-box", "children"), Output("upload-token", "data"),
    Output("upload-confirm", "disabled"), Output("upload-result-box", "children"),
    Output("upload-file", "contents"),
    Input("upload-file", "contents"), State("upload-file", "filename"),
    State("upload-period", "value"), State("upload-as-of", "value"),
    prevent_initial_call=True,
)
def show_preview(contents: str | None, filename: str | None, period: str | None, as_of: str | None) -> tuple:
    if contents is None:  # the reset below (so the same file can be chosen again)
        raise PreventUpdate
    view, token, disabled = V.handle_upload(contents, filename, period, as_of)
    return view, token, disabled, None, None


@callback(
    Output("upload-result-box", "children", allow_duplicate=True),
    Output("upload-confirm", "disabled", allow_duplicate=True),
    Output("upload-token", "data", allow_duplicate=True),
    Input("upload-confirm", "n_clicks"), State("upload-token", "data"),
    prevent_initial_call=True,
)
def confirm(n_clicks: int | None, token: str | None) -> tuple:
    if not n_clicks:
        raise PreventUpdate
    result, disabled = V.handle_confirm(token)
    return result, disabled, None if disabled else no_update

"""Exports of the current view (not a page): the PowerPoint / PNG / Excel files are made in the
background (Dash background callback) with a progress bar; the presentation and print links
follow the URL."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode

from dash import Input, Output, State, callback, clientside_callback, dcc, no_update

from components.deck import build_deck
from components.exports import to_png_zip, to_pptx, to_xlsx

KINDS = {"export-pptx": "pptx", "export-png": "png", "export-xlsx": "xlsx"}
MIME = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "png": "application/zip", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@callback(Output("export-present", "href"), Output("export-print", "href"), Input("url", "pathname"),
          Input("url", "search"))
def _links(path: str | None, search: str | None) -> tuple[str, str]:
    query = dict(parse_qsl((search or "").lstrip("?")))
    query["tu"] = path or "/"
    base = "/trinh-chieu?" + urlencode(query, safe="/")
    return base, base + "&in=1"


def _make(kind: str, search: str | None, path: str | None, set_progress) -> tuple:  # noqa: ANN001
    set_progress((5, "Đang lấy số liệu…"))
    deck = build_deck(dict(parse_qsl((search or "").lstrip("?"))), path or "/")
    if deck is None:
        return no_update, "Chưa có số liệu để xuất."

    def step(done: int, total: int, text: str) -> None:
        set_progress((10 + int(85 * done / total), text))

    try:
        if kind == "pptx":
            data = to_pptx(deck, step)
        elif kind == "png":
            data = to_png_zip(deck, step)
        else:
            data = to_xlsx(deck)
    except Exception:  # e.g. no chromium on the server: say so instead of failing silently
        logging.getLogger(__name__).exception("export %s failed", kind)
        return no_update, ("Không tạo được tệp. Ảnh biểu đồ cần trình duyệt Chromium trên máy chủ "
                           "(apt-get install chromium); xem nhật ký máy chủ để biết chi tiết.")
    set_progress((100, "Xong, đang tải tệp về"))
    return dcc.send_bytes(data, deck.file_name("zip" if kind == "png" else kind), type=MIME[kind]), ""


# A click writes the request into a store in the app shell (clientside); the background job
# listens to that store only. Buttons live in the page content and are re-created with every
# page render: listening to them directly would start (and kill) a worker process each time.
clientside_callback(
    """function(p, g, x) {
        const id = dash_clientside.callback_context.triggered_id;
        const kinds = {"export-pptx": "pptx", "export-png": "png", "export-xlsx": "xlsx"};
        const clicks = {"export-pptx": p, "export-png": g, "export-xlsx": x}[id];
        if (!id || !clicks) { return dash_clientside.no_update; }
        return {kind: kinds[id], path: window.location.pathname, search: window.location.search, at: Date.now()};
    }""",
    Output("export-request", "data"),
    Input("export-pptx", "n_clicks"), Input("export-png", "n_clicks"), Input("export-xlsx", "n_clicks"),
    prevent_initial_call=True,
)


@callback(
    Output("export-download", "data"), Output("export-error", "children"),
    Input("export-request", "data"), State("job-token", "data"),
    background=True, prevent_initial_call=True,
    progress=[Output("export-progress", "value"), Output("export-progress-text", "children")],
    running=[(Output("export-status", "style"), {"display": "block"}, {"display": "none"})],
)
def _export(set_progress, request: dict | None, token: str | None) -> tuple:  # noqa: ANN001
    if not request or request.get("kind") not in MIME:
        return no_update, no_update
    from components.login import enter_job
    from data.db import default_url, get_engine

    if not enter_job(get_engine(default_url()), token):  # another process: the asker's scope
        return no_update, "Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại rồi xuất tệp."
    return _make(request["kind"], request.get("search"), request.get("path"), set_progress)

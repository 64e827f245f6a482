"""Exports of the current view (not a page): the PowerPoint / PNG / Excel files are made in the
background (Dash background callback) with a progress bar; the presentation and print links
follow the URL."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from dash import Input, Output, State, callback, dcc, no_update

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
    base = "/trinh-chieu?" + "&".join(f"{k}={v}" for k, v in query.items())
    return base, base + "&in=1"


def _make(kind: str, search: str | None, path: str | None, set_progress) -> tuple:  # noqa: ANN001
    set_progress((5, "Đang lấy số liệu"))
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
    set_progress((100, "Xong"))
    return dcc.send_bytes(data, deck.file_name("zip" if kind == "png" else kind), type=MIME[kind]), ""


def _register(button: str, kind: str) -> None:
    """One background callback per button (a shared one cannot tell reliably which was clicked)."""

    @callback(
        Output("export-download", "data", allow_duplicate=True),
        Output("export-error", "children", allow_duplicate=True),
        Input(button, "n_clicks"), State("url", "pathname"), State("url", "search"),
        background=True, prevent_initial_call=True,
        progress=[Output("export-progress", "value"), Output("export-progress", "label")],
        running=[(Output("export-status", "style"), {"display": "block"}, {"display": "none"}),
                 *[(Output(b, "disabled"), True, False) for b in KINDS]],
    )
    def export(set_progress, n_clicks: int, path: str | None, search: str | None) -> tuple:  # noqa: ANN001
        if not n_clicks:
            return no_update, no_update
        return _make(kind, search, path, set_progress)


for _button, _kind in KINDS.items():
    _register(_button, _kind)

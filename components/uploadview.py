"""The "Nạp số liệu" page's pieces: the drop zone, the preview of a file (what it read, what it
would replace, every finding with sheet, row and column), the result of a confirm, and the two
steps the page's callbacks run (each re-checks who is asking: components.access)."""

from __future__ import annotations

import base64
import binascii

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import access
from components.state import ViewState
from data.db import default_url, get_engine
from data.text import format_decimal, format_int
from etl import preview as U

MAX_LINES = 500  # rows of the per-unit table shown (the file may have thousands)
MAX_FINDINGS = 500
LEVELS = {"province": "Tỉnh", "district": "Huyện", "commune": "Xã", "department": "Sở, ngành"}
COUNT_HEADERS = {"received_total": "Tiếp nhận", "received_online": "Trực tuyến", "received_postal": "Qua BCCI",
                 "settled_total": "Đã giải quyết", "settled_overdue": "Giải quyết quá hạn",
                 "pending_overdue": "Đang quá hạn", "returned_postal": "Trả qua BCCI"}
NO_RIGHT = "Cần đăng nhập bằng tài khoản có quyền nạp số liệu (vai trò reporter trở lên)."


def drop_zone() -> dcc.Upload:
    return dcc.Upload(
        id="upload-file",
        children=html.Div(["Kéo thả tệp vào đây hoặc ", html.A("chọn tệp", href="#"),
                           html.Div(f"Biểu số 06/VPCP/KSTT, mẫu nhập liệu hoặc tệp của Cổng DVCQG; .xlsx, .xlsm, .csv, .json; tối đa "
                                    f"{U.MAX_UPLOAD_BYTES // 1024 // 1024} MB, "
                                    f"{format_int(U.MAX_UPLOAD_ROWS)} dòng.", className="small text-muted")]),
        accept=",".join(U.ACCEPTED_SUFFIXES), max_size=U.MAX_UPLOAD_BYTES, multiple=False,
        className="upload-zone border border-2 rounded p-4 mb-3 text-center", style={"borderStyle": "dashed"},
        style_reject={"borderColor": "#dc3545", "borderStyle": "dashed"},  # dragging a file over the limit
    )


def decode(contents: str | None) -> bytes | None:
    """The bytes of a dcc.Upload ``contents`` value ('data:…;base64,…'); None when malformed."""
    if not isinstance(contents, str) or "," not in contents:
        return None
    try:
        return base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        return None


def dashboard_href(pv: U.Preview | None) -> str:
    """The overview of the file's unit and (latest) period."""
    if pv is None:
        return "/"
    changes: dict[str, str] = {}
    if pv.home is not None:
        changes |= {"scheme": pv.home[0], "unit": pv.home[1]}
    if pv.periods:
        changes["period"] = pv.periods[-1].spec
    return "/" + ViewState().query(**changes)


def size_text(n: int) -> str:
    """6435 -> '6,3 KB'; 2500000 -> '2,4 MB'."""
    value, unit = (n / 1024 / 1024, "MB") if n >= 1024 * 1024 else (n / 1024, "KB")
    return f"{value:.1f}".replace(".", ",") + f" {unit}"


# --- the preview -------------------------------------------------------------------------------


def _summary(pv: U.Preview) -> html.Div:
    periods = ", ".join(p.label for p in pv.periods) or "–"
    units = ", ".join(pv.units) or "–"
    n = len(pv.lines)
    return html.Div([
        html.P([html.Strong("Tệp: "), pv.file_name, f" ({size_text(pv.size)})"], className="mb-1"),
        html.P([html.Strong("Đơn vị báo cáo: "), units], className="mb-1", id="upload-units"),
        html.P([html.Strong("Kỳ báo cáo: "), periods], className="mb-1", id="upload-periods"),
        html.P([html.Strong("Số dòng số liệu: "), format_int(sum(ln.rows for ln in pv.lines)),
                f" ({format_int(n)} đơn vị và kỳ)"], className="mb-0"),
    ], className="mb-3")


def lines_table(pv: U.Preview) -> dbc.Table | html.P:
    if not pv.lines:
        return html.P("Không có dòng số liệu nào đọc được.", className="text-muted")
    scores = any(ln.counts.get("score_total") is not None for ln in pv.lines)  # a file of the portal
    head = html.Thead(html.Tr([html.Th("Đơn vị"), html.Th("Cấp"), html.Th("Kỳ"),
                               *([html.Th("Điểm Chỉ số 766", className="text-end")] if scores else []),
                               *[html.Th(h, className="text-end") for h in COUNT_HEADERS.values()]]))
    rows = [html.Tr([html.Td(ln.subject), html.Td(LEVELS.get(ln.level, ln.level)), html.Td(ln.period),
                     *([html.Td(format_decimal(ln.counts.get("score_total")), className="text-end")] if scores else []),
                     *[html.Td(format_int(ln.counts.get(c)), className="text-end") for c in COUNT_HEADERS]])
            for ln in pv.lines[:MAX_LINES]]
    more = ([html.Tr(html.Td(f"… và {format_int(len(pv.lines) - MAX_LINES)} dòng khác", colSpan=10))]
            if len(pv.lines) > MAX_LINES else [])
    return dbc.Table([head, html.Tbody(rows + more)], size="sm", responsive=True, id="upload-lines")


def findings_table(pv: U.Preview) -> dbc.Table | html.P:
    if not pv.findings:
        return html.P("Không có lỗi hay cảnh báo nào.", className="text-success", id="upload-findings")
    order = sorted(pv.findings, key=lambda f: (f.severity != "error", f.sheet or "", f.row or 0))
    head = html.Thead(html.Tr([html.Th(h) for h in ("Mức", "Sheet", "Dòng", "Cột", "Nội dung")]))
    rows = [html.Tr([html.Td(dbc.Badge("Lỗi" if f.severity == "error" else "Cảnh báo",
                                       color="danger" if f.severity == "error" else "warning")),
                     html.Td(f.sheet or "–"), html.Td("–" if f.row is None else str(f.row)), html.Td(f.column or "–"),
                     html.Td(f.message)])
            for f in order[:MAX_FINDINGS]]
    more = ([html.Tr(html.Td(f"… và {format_int(len(order) - MAX_FINDINGS)} kết quả khác", colSpan=5))]
            if len(order) > MAX_FINDINGS else [])
    return dbc.Table([head, html.Tbody(rows + more)], size="sm", responsive=True, id="upload-findings")


def _prior_text(p: U.Prior) -> str:
    who = f" bởi {p.loaded_by}" if p.loaded_by else ""
    return f"lô {p.batch_id} (tệp “{p.file_name}”, {format_int(p.rows)} dòng, nạp ngày {p.loaded_at}{who})"


def replacement_notice(pv: U.Preview) -> list[dbc.Alert]:
    out = []
    if pv.replaces is not None:
        r = pv.replaces
        gone = ([html.Div("Số liệu của lô đó mà tệp mới không có sẽ bị xóa: " + "; ".join(r.subjects) + ".")]
                if r.subjects else [])
        out.append(dbc.Alert([html.Div(f"Tệp này sẽ thay thế {_prior_text(r)}: số liệu của lô cũ được thay bằng "
                                       "số liệu của tệp mới."), *gone], color="warning", id="upload-replaces"))
    for p in pv.added_to:
        out.append(dbc.Alert(f"Đã có số liệu của cùng đơn vị và kỳ trong {_prior_text(p)}: "
                             f"{'; '.join(p.subjects)}. Hai lô cùng được tính (cộng dồn), không thay thế nhau.",
                             color="info", className="upload-added"))
    if not out and pv.can_confirm:
        out.append(dbc.Alert("Tệp này không thay thế số liệu nào đã nạp.", color="light", id="upload-replaces"))
    return out


def preview_view(pv: U.Preview) -> html.Div:
    if pv.status == "unchanged":
        return html.Div(dbc.Alert(f"Nội dung tệp “{pv.file_name}” đã được nạp (lô {pv.same_batch_id}); nạp lại "
                                  "không thay đổi gì.", color="info"), id="upload-preview")
    verdict = (dbc.Alert("Tệp hợp lệ: kiểm tra số liệu bên dưới rồi bấm “Xác nhận nạp”. Chưa có gì được lưu.",
                         color="success")
               if pv.can_confirm else
               dbc.Alert(f"Tệp có {format_int(len(pv.errors))} lỗi: không thể nạp. Sửa tệp rồi tải lên lại. "
                         "Chưa có gì được lưu.", color="danger"))
    return html.Div([
        verdict, _summary(pv), *replacement_notice(pv),
        html.H3(f"Lỗi và cảnh báo ({format_int(len(pv.errors))} lỗi, {format_int(len(pv.warnings))} cảnh báo)",
                className="h6"), findings_table(pv),
        html.H3("Số liệu theo đơn vị", className="h6"), lines_table(pv),
    ], id="upload-preview")


def result_view(c: U.Confirmed) -> dbc.Alert:
    if not c.ok:
        return dbc.Alert(c.message, color="danger" if c.batch_id is None else "info", id="upload-result")
    return dbc.Alert([c.message, " ", html.A("Xem trên bảng điều khiển", href=dashboard_href(c.preview),
                                             className="alert-link")], color="success", id="upload-result")


# --- the two steps -------------------------------------------------------------------------------


# the command line's words in the portal reader's messages, as the page says them
_WEB_WORDS = (("hãy chạy lại với --period", "hãy điền “Kỳ số liệu” ở trên rồi tải tệp lên lại"),
              ("hãy chạy lại với --as-of DATE", "hãy điền “Ngày chụp số liệu” ở trên rồi tải tệp lên lại"),
              ("--period", "“Kỳ số liệu”"), ("--as-of", "“Ngày chụp số liệu”"))


def portal_options() -> html.Div:
    """Period and capture date for a file of the national portal that does not state them."""
    return dbc.Row([
        dbc.Col([dbc.Label("Kỳ số liệu", html_for="upload-period", className="small mb-0"),
                 dbc.Input(id="upload-period", placeholder="2026-Q3, 2026-08 hoặc 2026", size="sm", type="text")],
                xs=6, md=3),
        dbc.Col([dbc.Label("Ngày chụp số liệu", html_for="upload-as-of", className="small mb-0"),
                 dbc.Input(id="upload-as-of", placeholder="dd/mm/yyyy", size="sm", type="text")], xs=6, md=3),
        dbc.Col(html.Small("Chỉ cần cho tệp của Cổng DVCQG (Chỉ số 766) không ghi kỳ hay ngày chụp; "
                           "điền trước khi tải tệp lên.", className="text-muted"), xs=12, md=6,
                className="d-flex align-items-end"),
    ], className="g-2 mb-2")


def parse_options(period_text: str | None, as_of_text: str | None) -> tuple[object, object, str | None]:
    """(period, capture date, error message) from the two fields."""
    from data.periods import parse_spec
    from etl.sheet import to_date

    per = as_of = None
    if period_text and period_text.strip():
        try:
            per = parse_spec(period_text)
        except ValueError as exc:
            return None, None, f"Kỳ số liệu “{period_text}”: {exc}"
    if as_of_text and as_of_text.strip():
        try:
            as_of = to_date(as_of_text)
        except ValueError:
            return None, None, f"Ngày chụp số liệu “{as_of_text}” không đọc được: hãy viết dd/mm/yyyy (ví dụ 05/10/2026)."
    return per, as_of, None


def handle_upload(contents: str | None, filename: str | None, period_text: str | None = None,
                  as_of_text: str | None = None) -> tuple[object, str | None, bool]:
    """(preview, token or None, confirm button disabled) for an uploaded file."""
    user = access.current_user()
    if user is None or not access.has_role("reporter"):
        return dbc.Alert(NO_RIGHT, color="danger"), None, True
    data = decode(contents)
    if data is None:
        return dbc.Alert("Không đọc được tệp gửi lên; hãy chọn lại tệp.", color="danger"), None, True
    per, as_of, problem = parse_options(period_text, as_of_text)
    if problem:
        return dbc.Alert(problem, color="danger", id="upload-options-error"), None, True
    pv, token = U.start_upload(get_engine(default_url()), data, filename or "", user, access.client_ip(),
                               period=per, as_of=as_of)
    for f in pv.findings:
        for cli, web in _WEB_WORDS:
            f.message = f.message.replace(cli, web)
    return preview_view(pv), token, token is None


def handle_confirm(token: str | None) -> tuple[object, bool]:
    """(result, confirm button disabled) of confirming the previewed file."""
    user = access.current_user()
    if user is None or not access.has_role("reporter"):
        return dbc.Alert(NO_RIGHT, color="danger", id="upload-result"), True
    return result_view(U.confirm_upload(get_engine(default_url()), token, user, access.client_ip())), True

"""The data-quality page's outlier list: the rules in Vietnamese, then one row per outlier with
its unit, period, indicator, value, what it was compared with, and the batch and source row it
came from (data.read.outliers)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from components.tables import demo_badge
from data import metrics
from data.read import outliers as rules
from data.text import format_int, format_percent

SHOWN = 150  # rows listed at most; the heading says how many there are


def _num(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def rule_text() -> html.Div:
    """The two rules, with the thresholds the read side uses."""
    floor = round(rules.FLOOR * 100)
    return html.Div([
        html.P("Bất thường chưa chắc là sai: đó là những số liệu cần kiểm tra lại với đơn vị báo cáo. "
               "Số liệu được xét đúng như nguồn ghi cho từng đơn vị (không cộng dồn cấp dưới); số liệu thật "
               "thay cho số liệu minh họa của cùng đơn vị, cùng kỳ.", className="small mb-1"),
        html.Ul([
            html.Li([html.Strong("Lệch khỏi các đơn vị cùng cấp: "),
                     "tỷ lệ hồ sơ quá hạn, tỷ lệ hồ sơ nộp trực tuyến hoặc tỷ lệ hồ sơ tiếp nhận qua BCCI của một "
                     f"đơn vị cách trung vị của các đơn vị cùng cấp trong cùng tỉnh, cùng kỳ hơn {floor} điểm "
                     f"phần trăm và hơn {_num(rules.K_MAD)} lần độ phân tán (1,4826 × MAD, độ lệch tuyệt đối "
                     f"trung vị). Chỉ xét đơn vị có từ {rules.MIN_DENOMINATOR} hồ sơ trở lên, trong tỉnh có "
                     f"từ {rules.MIN_PEERS} đơn vị như vậy."]),
            html.Li([html.Strong("Tăng, giảm đột biến: "),
                     f"số hồ sơ tiếp nhận trong tháng gấp {_num(rules.JUMP)} lần trở lên, hoặc chỉ bằng "
                     f"1/{_num(rules.JUMP)} trở xuống, so với tháng trước, khi tháng nhiều hơn có từ "
                     f"{rules.MIN_JUMP_COUNT} hồ sơ trở lên."]),
        ], className="small mb-2"),
    ], id="outlier-rules")


def _indicator(r) -> str:  # noqa: ANN001
    return "Hồ sơ tiếp nhận trong tháng" if r.indicator == rules.RECEIVED else metrics.get(r.indicator).label_vi


def _value(r) -> list:  # noqa: ANN001
    if r.rule == "jump":
        return [html.Span(format_int(r.value), className="fw-semibold")]
    return [html.Span(format_percent(r.value), className="fw-semibold"), html.Br(),
            html.Small(f"{format_int(r.numerator)}/{format_int(r.denominator)}", className="text-muted")]


def _reference(r) -> list:  # noqa: ANN001
    if r.rule == "jump":
        ratio = r.value / r.reference if r.reference else None
        times = f"×{_num(round(ratio, 1))}" if ratio is not None else "từ 0"
        return [f"Tháng {r.reference_label}: {format_int(r.reference)}", html.Br(),
                html.Small(times, className="text-muted")]
    return [f"Trung vị của tỉnh: {format_percent(r.reference)}", html.Br(),
            html.Small(f"{format_int(r.peers)} đơn vị cùng cấp", className="text-muted")]


def _row_cell(r) -> list:  # noqa: ANN001
    row = "–" if r.row is None or r.row != r.row else format_int(r.row)
    parts: list = [row if not r.sheet else f"{r.sheet}, dòng {row}"]
    if r.more_rows:
        parts += [html.Br(), html.Small(f"và {r.more_rows} dòng khác", className="text-muted")]
    return parts


def outliers_table(df: pd.DataFrame) -> html.Div:
    """The outliers as a table (id ``outliers-table``), at most SHOWN rows."""
    if df.empty:
        return html.P("Không thấy số liệu bất thường nào theo hai quy tắc trên.", className="text-muted",
                      id="outliers-none")
    peers, jumps = int((df["rule"] == "peers").sum()), int((df["rule"] == "jump").sum())
    lead = (f"{format_int(len(df))} số liệu bất thường: {format_int(peers)} lệch khỏi các đơn vị cùng cấp, "
            f"{format_int(jumps)} tăng, giảm đột biến.")
    if len(df) > SHOWN:
        lead += f" Hiển thị {format_int(SHOWN)} dòng đầu; chọn một đơn vị hoặc một kỳ ngắn hơn để xem hết."
    rows = [html.Tr([
        html.Td([r.name, html.Br(), html.Small(f"Mã {r.code} — {r.province}", className="text-muted")]),
        html.Td(r.period_label, className="text-nowrap"),
        html.Td(_indicator(r)),
        html.Td(_value(r), className="text-end text-nowrap"),
        html.Td(_reference(r), className="text-nowrap"),
        html.Td(format_int(r.batch_id), className="text-end"),
        html.Td([html.Small(r.file_name), demo_badge() if r.dataset != "real" else None]),
        html.Td(_row_cell(r), className="text-nowrap"),
    ], className="outlier-row") for r in df.head(SHOWN).itertuples(index=False)]
    head = html.Thead(html.Tr([html.Th(h) for h in ("Đơn vị", "Kỳ", "Chỉ số", "Giá trị", "Đối chiếu", "Lô",
                                                    "Tệp", "Dòng")]))
    return html.Div([html.P(lead, className="small fw-semibold mb-1", id="outliers-summary"),
                     dbc.Table([head, html.Tbody(rows)], size="sm", responsive=True, hover=True,
                               id="outliers-table")])

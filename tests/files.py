"""Builders for import files used by the tests: Biểu 06 workbooks as people draw them (title rows,
merged header cells, numbering row, sections, 'Tổng cộng', signature block) and template files."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import openpyxl

from etl.extract import TEMPLATE_COLUMNS

FORM06_HEADER = ["STT", "Lĩnh vực, đơn vị", "Số hồ sơ nhận giải quyết", None, None, None,
                 "Số hồ sơ đã giải quyết", None, None, None, "Số hồ sơ đang giải quyết", None, None]
FORM06_HEADER2 = [None, None, "Tổng số", "Trong kỳ", None, "Từ kỳ trước", "Tổng số", "Trả trước hạn",
                  "Trả đúng thời hạn", "Trả quá hạn", "Tổng số", "Trong hạn", "Quá hạn"]
FORM06_HEADER3 = [None, None, None, "Trực tuyến", "Trực tiếp, dịch vụ bưu chính", None, None, None, None, None,
                  None, None, None]
# merged header cells (first row, first col, last row, last col), relative to the "STT" row, 1-based cols
FORM06_MERGES = [(0, 1, 2, 1), (0, 2, 2, 2), (0, 3, 0, 6), (0, 7, 0, 10), (0, 11, 0, 13), (1, 4, 1, 5),
                 (1, 3, 2, 3), (1, 6, 2, 6), (1, 7, 2, 7), (1, 8, 2, 8), (1, 9, 2, 9), (1, 10, 2, 10),
                 (1, 11, 2, 11), (1, 12, 2, 12), (1, 13, 2, 13)]
NUMBERING = {
    "plain": [f"({i})" for i in range(1, 14)],
    "formula": ["(1)", "(2)", "(3)=(4)+(5)+(6)", "(4)", "(5)", "(6)", "(7)=(8)+(9)+(10)", "(8)", "(9)", "(10)",
                "(11)=(12)+(13)", "(12)", "(13)"],
    "numbers": list(range(1, 14)),
    "none": None,
}
PERIOD_2024_Q1 = "Kỳ báo cáo: Quý I năm 2024 (Từ ngày 01/01/2024 đến ngày 31/03/2024)"
TITLE_ROWS = 4  # rows above the "STT" row written by form06_rows


def unit_row(stt: object, name: str, online: int, direct: int, carried: int, early: int, on_time: int,
             overdue: int, within: int, p_overdue: int) -> list[object]:
    """A Biểu 06 row in the official column order, totals consistent with their parts."""
    total = online + direct + carried
    return [stt, name, total, online, direct, carried, early + on_time + overdue, early, on_time, overdue,
            within + p_overdue, within, p_overdue]


def sum_rows(label: str, rows: list[list[object]], stt: object = None) -> list[object]:
    return [stt, label, *[sum(r[j] for r in rows) for j in range(2, 13)]]


def form06_rows(body: list[list[object]], province: str = "UBND TỈNH ĐIỆN BIÊN",
                period: str | None = PERIOD_2024_Q1, numbering: str = "plain",
                period_dates: str | None = None) -> list[list[object]]:
    """All rows of a Biểu 06 sheet: title, three header rows, numbering, body, signature block."""
    rows: list[list[object]] = [
        [province, None, None, None, None, None, None, None,
         "Biểu số 06/VPCP/KSTT\nBan hành kèm theo Thông tư số 01/2020/TT-VPCP ngày 21/10/2020"],
        ["TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC"],
        [period],
        [period_dates] if period_dates else ["Đơn vị tính: Số hồ sơ TTHC."],
        list(FORM06_HEADER), list(FORM06_HEADER2), list(FORM06_HEADER3),
    ]
    if NUMBERING[numbering] is not None:
        rows.append(list(NUMBERING[numbering]))
    rows += [list(r) for r in body]
    rows += [
        [],
        [None, None, None, None, None, None, None, None, "Điện Biên, ngày 20 tháng 3 năm 2024"],
        [None, "Người lập biểu", None, None, None, None, None, None, "Thủ trưởng đơn vị"],
        [None, "(Ký, ghi rõ họ tên)", None, None, None, None, None, None, "(Ký tên, đóng dấu)"],
        [None, "Nguyễn Văn A", None, None, None, None, None, None, "Trần Thị B"],
    ]
    return rows


def write_form06(path: Path, body: list[list[object]], **kw: object) -> Path:
    """Biểu 06 as an Excel workbook with merged header cells (sheet 'Biểu 06')."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Biểu 06"
    for row in form06_rows(body, **kw):  # type: ignore[arg-type]
        ws.append(row)
    start = TITLE_ROWS + 1
    for r1, c1, r2, c2 in FORM06_MERGES:
        ws.merge_cells(start_row=start + r1, start_column=c1, end_row=start + r2, end_column=c2)
    wb.save(path)
    return path


def write_form06_csv(path: Path, body: list[list[object]], encoding: str = "utf-8-sig", **kw: object) -> Path:
    """The same sheet saved as CSV (no merged cells: group headers only over their first column)."""
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        for row in form06_rows(body, **kw):  # type: ignore[arg-type]
            w.writerow(["" if v is None else v for v in row])
    return path


def dien_bien_form06_body() -> list[list[object]]:
    """Điện Biên before 01/07/2025: two departments, two districts, one commune, sums consistent."""
    depts = [unit_row(1, "Sở Nội vụ", 20, 30, 5, 30, 20, 2, 3, 0),
             unit_row(2, "SỞ Y TẾ", 100, 50, 0, 100, 40, 5, 5, 0)]
    districts = [unit_row(1, "UBND huyện Mường Nhé", 10, 253, 0, 20, 10, 229, 4, 0),
                 unit_row(2, "Thành phố Điện Biên Phủ", 400, 2086, 0, 200, 200, 2037, 49, 0)]
    communes = [unit_row(1, "Xã Mường Lói", 0, 12, 1, 5, 5, 1, 2, 0)]
    return [sum_rows("I. Cấp tỉnh", depts, "I"), *depts,
            sum_rows("II. Cấp huyện", districts, "II"), *districts,
            sum_rows("III. Cấp xã", communes, "III"), *communes,
            sum_rows("Tổng cộng", depts + districts + communes)]


def write_template_csv(path: Path, rows: list[dict[str, object]], encoding: str = "utf-8") -> Path:
    headers = [h for _, h in TEMPLATE_COLUMNS]
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for r in rows:
            w.writerow([r.get(f, "") for f, _ in TEMPLATE_COLUMNS])
    return path


def write_template_xlsx(path: Path, rows: list[dict[str, object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([h for _, h in TEMPLATE_COLUMNS])
    for r in rows:
        ws.append([r.get(f) for f, _ in TEMPLATE_COLUMNS])
    wb.save(path)
    return path


GOOD_ROW = {
    "province_code": "11", "unit_name": "UBND huyện Mường Nhé", "period": "2024-Q1",
    "received_carried": 10, "received_online": "1.234", "received_direct": 300, "received_postal": 25,
    "settled_early": 800, "settled_on_time": 500, "settled_overdue": 69, "pending_within": 150,
    "pending_overdue": 50, "returned_total": 1369, "returned_postal": 400,
}


def cp1258(text: str) -> bytes:
    """Windows-1258 as old Excel saves "CSV" on Vietnamese Windows: letters with circumflex, breve
    or horn precomposed, tone marks as combining characters."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", ch)
            shape = "".join(m for m in marks if m in "\u0302\u0306\u031b")
            tones = "".join(m for m in marks if m not in shape)
            out += unicodedata.normalize("NFC", base + shape).encode("cp1258") + tones.encode("cp1258")
    return out

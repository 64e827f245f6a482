"""Builders for import files used by the tests (realistic Biểu 06 workbooks, template files)."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from etl.extract import TEMPLATE_COLUMNS

FORM06_HEADER = ["STT", "Lĩnh vực, đơn vị", "Số hồ sơ nhận giải quyết", None, None, None,
                 "Số hồ sơ đã giải quyết", None, None, None, "Số hồ sơ đang giải quyết", None, None]
FORM06_HEADER2 = [None, None, "Tổng số", "Trong kỳ", None, "Từ kỳ trước", "Tổng số", "Trả trước hạn",
                  "Trả đúng thời hạn", "Trả quá hạn", "Tổng số", "Trong hạn", "Quá hạn"]
FORM06_HEADER3 = [None, None, None, "Trực tuyến", "Trực tiếp, dịch vụ bưu chính", None, None, None, None, None,
                  None, None, None]


def unit_row(stt: object, name: str, online: int, direct: int, carried: int, early: int, on_time: int,
             overdue: int, within: int, p_overdue: int) -> list[object]:
    total = online + direct + carried
    return [stt, name, total, online, direct, carried, early + on_time + overdue, early, on_time, overdue,
            within + p_overdue, within, p_overdue]


def sum_rows(label: str, rows: list[list[object]], stt: object = None) -> list[object]:
    return [stt, label, *[sum(r[j] for r in rows) for j in range(2, 13)]]


def write_form06(path: Path, body: list[list[object]], province: str = "UBND TỈNH ĐIỆN BIÊN",
                 period: str | None = "Kỳ báo cáo: Quý I năm 2024 (Từ ngày 01/01/2024 đến ngày 31/03/2024)") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Biểu 06"
    ws.append([province, None, None, None, None, None, None, None, "Biểu số 06/VPCP/KSTT"])
    ws.append(["TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC"])
    ws.append([period])
    ws.append(["Đơn vị tính: Số hồ sơ TTHC."])
    start = ws.max_row + 1
    for hdr in (FORM06_HEADER, FORM06_HEADER2, FORM06_HEADER3):
        ws.append(hdr)
    # merged header cells as people draw them
    ws.merge_cells(start_row=start, start_column=1, end_row=start + 2, end_column=1)
    ws.merge_cells(start_row=start, start_column=2, end_row=start + 2, end_column=2)
    ws.merge_cells(start_row=start, start_column=3, end_row=start, end_column=6)
    ws.merge_cells(start_row=start, start_column=7, end_row=start, end_column=10)
    ws.merge_cells(start_row=start, start_column=11, end_row=start, end_column=13)
    ws.merge_cells(start_row=start + 1, start_column=4, end_row=start + 1, end_column=5)
    ws.append([f"({i})" for i in range(1, 14)])
    for row in body:
        ws.append(row)
    ws.append([])
    ws.append([None, "Người lập biểu", None, None, None, None, None, None, "Thủ trưởng đơn vị"])
    ws.append([None, "(Ký, ghi rõ họ tên)", None, None, None, None, None, None, "(Ký tên, đóng dấu)"])
    ws.append([None, "Nguyễn Văn A", None, None, None, None, None, None, "Trần Thị B"])
    wb.save(path)
    return path


def dien_bien_form06_body() -> list[list[object]]:
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

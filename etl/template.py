"""The project's blank import template (CSV and XLSX), written from ``TEMPLATE_COLUMNS``.

Regenerate with ``python -m etl.template`` after changing the columns.
"""

from __future__ import annotations

import csv
from pathlib import Path

from etl.extract import TEMPLATE_COLUMNS

REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference"
HELP = [
    ("Hệ thống đơn vị", "Không bắt buộc: 'legacy' (trước 01/07/2025) hoặc '2025'; mặc định theo kỳ báo cáo."),
    ("Mã tỉnh", "Mã tỉnh theo danh mục (2 chữ số). Bắt buộc khi ghi tên đơn vị hoặc cơ quan."),
    ("Mã đơn vị", "Mã đơn vị hành chính: tỉnh (2 số), huyện (3 số, trước 01/07/2025), xã (5 số)."),
    ("Tên đơn vị", "Dùng khi không có mã; ví dụ 'Huyện Mường Nhé', 'UBND xã Mường Lói'."),
    ("Cơ quan", "Sở, ngành cấp tỉnh (tên hoặc mã như SNV), để trống với UBND cấp huyện/xã."),
    ("Phạm vi", "'own' (số liệu của chính cơ quan/đơn vị, mặc định) hoặc 'total' (toàn địa bàn)."),
    ("Kỳ báo cáo", "2026-Q1, 2025-H1, 2020-9M, 2024, 2024-03 hoặc 'Quý I năm 2026'."),
    ("Từ ngày / Đến ngày", "Không bắt buộc: ngày chính xác dd/mm/yyyy (ví dụ kỳ từ 15/12/2025 đến 14/03/2026)."),
    ("Các cột số", "Số nguyên không âm; để trống nếu không có số liệu (không ghi 0 thay cho 'không biết'). "
                   "Có thể ghi 1.234 (dấu chấm phân cách hàng nghìn)."),
    ("Tiếp nhận - trực tiếp", "Hồ sơ nộp trực tiếp, KHÔNG gồm bưu chính; bưu chính ghi riêng ở cột kế bên."),
]


def write_template(directory: Path = REFERENCE) -> tuple[Path, Path]:
    import openpyxl
    from openpyxl.styles import Alignment, Font

    headers = [h for _, h in TEMPLATE_COLUMNS]
    csv_path = directory / "mau_nhap_lieu.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerow(headers)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Số liệu"
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for col in ws.columns:
        ws.column_dimensions[col[0].column_letter].width = 18
    ws.freeze_panes = "A2"
    guide = wb.create_sheet("Hướng dẫn")
    guide.append(["Cột", "Cách ghi"])
    for row in HELP:
        guide.append(list(row))
    guide.column_dimensions["A"].width = 28
    guide.column_dimensions["B"].width = 100
    xlsx_path = directory / "mau_nhap_lieu.xlsx"
    wb.save(xlsx_path)
    return csv_path, xlsx_path


if __name__ == "__main__":
    for p in write_template():
        print(p)

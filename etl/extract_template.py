"""The project's import template: one row per subject and period (docs/import_template.md).

Headers are matched accent-, case- and punctuation-insensitively (``data.text.fold``); text in
parentheses is ignored ("Từ ngày (dd/mm/yyyy)"), and the schema's English field names are
accepted too. The blank templates in data/reference are written from ``TEMPLATE_COLUMNS``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime

from data.periods import Period, classify, month, parse_spec, parse_vietnamese
from data.text import fold
from etl.sheet import Record, Sheet, cell_text, is_blank, to_date

# (field, Vietnamese header). Counts are mapped onto data/schema.py in etl/load.py.
TEMPLATE_COLUMNS: list[tuple[str, str]] = [
    ("scheme", "Hệ thống đơn vị"),
    ("province_code", "Mã tỉnh"),
    ("unit_code", "Mã đơn vị"),
    ("unit_name", "Tên đơn vị"),
    ("agency", "Cơ quan"),
    ("scope", "Phạm vi"),
    ("period", "Kỳ báo cáo"),
    ("date_from", "Từ ngày"),
    ("date_to", "Đến ngày"),
    ("received_total", "Tiếp nhận - tổng số"),
    ("received_carried", "Tiếp nhận - từ kỳ trước"),
    ("received_online", "Tiếp nhận - trực tuyến"),
    ("received_direct", "Tiếp nhận - trực tiếp"),
    ("received_postal", "Tiếp nhận - qua bưu chính công ích"),
    ("settled_total", "Đã giải quyết - tổng số"),
    ("settled_early", "Đã giải quyết - trước hạn"),
    ("settled_on_time", "Đã giải quyết - đúng hạn"),
    ("settled_overdue", "Đã giải quyết - quá hạn"),
    ("pending_total", "Đang giải quyết - tổng số"),
    ("pending_within", "Đang giải quyết - trong hạn"),
    ("pending_overdue", "Đang giải quyết - quá hạn"),
    ("returned_total", "Trả kết quả - tổng số"),
    ("returned_postal", "Trả kết quả - qua bưu chính công ích"),
    ("procedures_total", "Số TTHC"),
    ("bcci_published", "TTHC công bố qua bưu chính công ích"),
    ("online_level3", "TTHC trực tuyến mức độ 3"),
    ("online_level4", "TTHC trực tuyến mức độ 4"),
    ("online_partial", "TTHC trực tuyến một phần"),
    ("online_full", "TTHC trực tuyến toàn trình"),
]
TEXT_FIELDS = frozenset({"scheme", "province_code", "unit_code", "unit_name", "agency", "scope", "period",
                         "date_from", "date_to"})
COUNT_FIELDS = tuple(f for f, _ in TEMPLATE_COLUMNS if f not in TEXT_FIELDS)

_ALIASES = {
    "he thong": "scheme", "he thong don vi hanh chinh": "scheme",
    "ma tinh thanh pho": "province_code", "ma tinh tp": "province_code",
    "ma dvhc": "unit_code", "ma don vi hanh chinh": "unit_code", "ma huyen xa": "unit_code",
    "don vi": "unit_name", "ten dvhc": "unit_name", "don vi hanh chinh": "unit_name", "ten don vi hanh chinh": "unit_name",
    "co quan don vi": "agency", "so nganh": "agency", "so ban nganh": "agency", "ma co quan": "agency",
    "ky": "period",
    "tiep nhan qua bcci": "received_postal", "tiep nhan qua buu chinh": "received_postal",
    "tra ket qua qua bcci": "returned_postal", "tra ket qua qua buu chinh": "returned_postal",
    "tthc cong bo qua bcci": "bcci_published",
}


def _header_key(text: str) -> str:
    return fold(re.sub(r"\([^)]*\)", " ", text))


HEADER_FIELDS: dict[str, str] = (
    {_header_key(h): f for f, h in TEMPLATE_COLUMNS} | {fold(f): f for f, _ in TEMPLATE_COLUMNS} | _ALIASES
)
_SUBJECT = {"unit_code", "unit_name", "province_code", "agency"}


def _row_fields(row: list[object]) -> dict[int, str]:
    return {j: HEADER_FIELDS[k] for j, v in enumerate(row)
            if isinstance(v, str) and (k := _header_key(v)) in HEADER_FIELDS}


def find_header_row(sheet: Sheet, scan: int = 30) -> int | None:
    """Index of the template's header row: a period column, a subject column and a third one."""
    for i, row in enumerate(sheet.rows[:scan]):
        fields = set(_row_fields(row).values())
        has_period = "period" in fields or {"date_from", "date_to"} <= fields
        if has_period and fields & _SUBJECT and len(fields) >= 3:
            return i
    return None


def parse_template(file: str, sheet: Sheet) -> tuple[list[Record], list[tuple[str, str, str, int]]]:
    """Records of a template sheet, and problems with its header row.

    Problems are (rule, severity, column header, row): an unknown column is a warning (its
    values are ignored), the same column twice an error.
    """
    problems, records, _ = iter_template(file, sheet)
    return list(records), problems


def iter_template(file: str, sheet: Sheet, release: bool = False) -> tuple[
        list[tuple[str, str, str, int]], Iterator[Record], int]:
    """Like ``parse_template``, but the records come one by one (national files: a million rows).

    Returns (header problems, records, number of rows below the header). All records share one
    ``headers`` dict. With ``release`` each raw row is dropped from ``sheet.rows`` once read, so
    the cells of a large file are not held twice.
    """
    header_idx = find_header_row(sheet)
    if header_idx is None:
        return [], iter(()), 0
    header = sheet.rows[header_idx]
    header_row = sheet.row_numbers[header_idx]
    fields: dict[int, tuple[str, str]] = {}
    problems: list[tuple[str, str, str, int]] = []
    seen: dict[str, str] = {}
    for j, v in enumerate(header):
        if is_blank(v):
            continue
        text = cell_text(v)
        f = HEADER_FIELDS.get(_header_key(text))
        if f is None:
            problems.append(("unknown_column", "warning", text, header_row))
        elif f in seen:
            problems.append(("duplicate_column", "error", text, header_row))
        else:
            seen[f] = text
            fields[j] = (f, text)
    headers = {f: h for f, h in fields.values()}
    columns = [(j, f) for j, (f, _) in fields.items()]

    def records() -> Iterator[Record]:
        rows, numbers = sheet.rows, sheet.row_numbers
        for i in range(header_idx + 1, len(rows)):
            row = rows[i]
            if release:
                rows[i] = []
            if all(is_blank(v) for v in row):
                continue
            width = len(row)
            values = {f: (row[j] if j < width else None) for j, f in columns}
            yield Record(file=file, sheet=sheet.name, row=numbers[i], values=values, headers=headers)

    return problems, records(), len(sheet.rows) - header_idx - 1


def template_period(rec: Record) -> tuple[Period | None, str | None, str]:
    """The record's period from 'Kỳ báo cáo' and/or 'Từ ngày'/'Đến ngày'.

    Returns (period, None, field) or (None, Vietnamese problem, field of the offending column).
    Exact dates win over the named period (whose label is kept).
    """
    raw = rec.values.get("period")
    dates: dict[str, date | None] = {}
    for f in ("date_from", "date_to"):
        try:
            dates[f] = to_date(rec.values.get(f))
        except ValueError:
            return None, f"ngày '{rec.cell(f)}' không hợp lệ (dùng dạng dd/mm/yyyy)", f
    d1, d2 = dates["date_from"], dates["date_to"]
    named: Period | None = None
    if isinstance(raw, datetime | date):  # Excel turned "2024-03" or "3/2024" into a date
        named = month(raw.year, raw.month)
    elif not is_blank(raw):
        spec = cell_text(raw)
        try:
            named = parse_spec(spec)
        except ValueError:
            named = parse_vietnamese(spec)
        if named is None:
            return None, f"không hiểu được kỳ báo cáo '{spec}' (ví dụ đúng: 2026-Q1, 2025-H1, 2024, Quý I năm 2026)", \
                "period"
    if (d1 is None) != (d2 is None):
        missing = "date_to" if d2 is None else "date_from"
        return None, "cần ghi cả 'Từ ngày' và 'Đến ngày' (hoặc để trống cả hai)", missing
    if d1 is not None and d2 is not None:
        if d2 < d1:
            return None, f"đến ngày {d2:%d/%m/%Y} trước từ ngày {d1:%d/%m/%Y}", "date_to"
        return classify(d1, d2, named.label if named else None), None, "period"
    if named is None:
        return None, "thiếu kỳ báo cáo", "period"
    return named, None, "period"

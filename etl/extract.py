"""Reading import files: CSV/XLSX into sheets of cells, and recognising their layout.

Two layouts are understood (see docs/import_template.md):
- the project's template, one row per subject and period (``etl.extract_template``);
- Biểu số 06/VPCP/KSTT as people fill it in Excel (``etl.extract_form06``).

Both produce ``Record`` objects: one subject (unit or agency) and period with its cells as
written, each remembered with its sheet, row and column header for the messages.
A file that cannot be read at all raises ``UnreadableFile`` with one Vietnamese line.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from pathlib import Path

from etl.extract_form06 import find_header
from etl.extract_template import TEMPLATE_COLUMNS, find_header_row
from etl.sheet import Record, Sheet, UncomputedFormula, cell_text, is_blank, to_date

__all__ = ["TEMPLATE_COLUMNS", "Record", "Sheet", "UnreadableFile", "cell_text", "detect_layout", "is_blank",
           "read_sheets", "to_date"]

# Files larger than this are read with openpyxl's streaming reader (no merged cells, no formulas).
LARGE_XLSX = 5_000_000


class UnreadableFile(Exception):
    """The file cannot be read at all. ``rule`` is the finding's rule id, the message one line."""

    def __init__(self, message: str, rule: str = "unreadable") -> None:
        super().__init__(message)
        self.rule = rule


# --- reading files --------------------------------------------------------------------------


def read_sheets(path: Path, data: bytes | None = None) -> list[Sheet]:
    """All visible sheets of an XLSX file, or the one table of a CSV file."""
    name = path.name
    if data is None:
        data = path.read_bytes()
    suffix = path.suffix.lower()
    if not data.strip():
        raise UnreadableFile(f"{name}: tệp rỗng, không có dữ liệu.", "empty_file")
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(name, data)
    if suffix in (".csv", ".txt"):
        return [_read_csv(name, data)]
    if suffix == ".xls" or data[:4] == b"\xd0\xcf\x11\xe0":
        raise UnreadableFile(
            f"{name}: tệp Excel 97-2003 (.xls) không được hỗ trợ; hãy mở bằng Excel và lưu lại dạng .xlsx.",
            "not_spreadsheet",
        )
    raise UnreadableFile(
        f"{name}: chỉ nhận tệp .csv hoặc .xlsx (tệp này có đuôi '{suffix or 'không có đuôi'}').", "not_spreadsheet"
    )


def _read_xlsx(name: str, data: bytes) -> list[Sheet]:
    import openpyxl

    if data[:4] == b"\xd0\xcf\x11\xe0":  # OLE container: an .xls renamed, or a password-protected .xlsx
        raise UnreadableFile(
            f"{name}: tệp Excel định dạng cũ (.xls) hoặc có đặt mật khẩu; hãy lưu lại dạng .xlsx không mật khẩu.",
            "not_spreadsheet",
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnreadableFile(f"{name}: không phải tệp Excel .xlsx hợp lệ (nội dung không đọc được).", "not_spreadsheet")
    large = len(data) > LARGE_XLSX
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=large)
        formulas = None if large else openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for broken or foreign zip files
        raise UnreadableFile(
            f"{name}: không mở được tệp Excel ({type(exc).__name__}); tệp hỏng hoặc không phải .xlsx.",
            "not_spreadsheet",
        ) from None
    sheets = []
    for ws in wb.worksheets:
        if getattr(ws, "sheet_state", "visible") != "visible":
            continue  # hidden working sheets are not part of the report
        rows = [list(r) for r in ws.iter_rows(min_row=1, values_only=True)]
        if formulas is not None:
            _mark_uncomputed(rows, formulas[ws.title])
        _spread_merged_text(ws, rows)
        sheets.append(Sheet(ws.title, rows))
    if not any(not is_blank(v) for s in sheets for row in s.rows for v in row):
        raise UnreadableFile(f"{name}: tệp Excel rỗng, không có dữ liệu.", "empty_file")
    return sheets


def _mark_uncomputed(rows: list[list[object]], ws) -> None:  # noqa: ANN001
    """Formula cells without a stored value become ``UncomputedFormula`` (never read as blank)."""
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if v is None:
                f = ws.cell(i + 1, j + 1).value
                if isinstance(f, str) and f.startswith("="):
                    row[j] = UncomputedFormula(f)


def _spread_merged_text(ws, rows: list[list[object]]) -> None:  # noqa: ANN001
    """Repeat the text of a merged cell over its range (header groups, 'Tổng cộng' over two columns).

    Numbers are never repeated: a merged number would otherwise be counted twice.
    """
    for rng in getattr(ws, "merged_cells", None) and ws.merged_cells.ranges or ():
        if rng.min_row - 1 >= len(rows):
            continue
        first = rows[rng.min_row - 1]
        value = first[rng.min_col - 1] if rng.min_col - 1 < len(first) else None
        if not isinstance(value, str):
            continue
        for r in range(rng.min_row, min(rng.max_row, len(rows)) + 1):
            row = rows[r - 1]
            for c in range(rng.min_col, min(rng.max_col, len(row)) + 1):
                if row[c - 1] is None:
                    row[c - 1] = value


# --- CSV --------------------------------------------------------------------------------------

# Letters only Vietnamese uses: breve, horn, hook above, dot below, đ.
_VN_MARKS = {"\u0306", "\u031b", "\u0309", "\u0323"}


def _vietnamese_letters(text: str) -> int:
    n = 0
    for ch in text:
        if ch in "đĐ" or ord(ch) > 127 and ch.isalpha() and _VN_MARKS & set(unicodedata.normalize("NFD", ch)):
            n += 1
    return n


def looks_vietnamese(text: str) -> bool:
    """True when ``text`` reads as Vietnamese, not as mojibake of another encoding."""
    text = unicodedata.normalize("NFC", text)
    vn = _vietnamese_letters(text)
    odd = sum(1 for ch in text if 0x80 <= ord(ch) <= 0xBF or ord(ch) in (0xD7, 0xF7))
    return vn >= 2 and odd * 10 <= vn


def decode_csv(name: str, data: bytes) -> str:
    """UTF-8 (with or without BOM); else Windows-1258 / Windows-1252 when it reads as Vietnamese."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise UnreadableFile(
            f"{name}: tệp CSV mã hóa UTF-16 (Unicode Text); hãy lưu lại dạng 'CSV UTF-8 (Comma delimited)'.",
            "encoding",
        )
    if data[:4] == b"PK\x03\x04":
        raise UnreadableFile(f"{name}: đây là tệp Excel/zip, không phải CSV; hãy đổi đuôi thành .xlsx.", "not_spreadsheet")
    head = data[:4096]
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    if b"\x00" in head or controls * 50 > len(head):
        raise UnreadableFile(f"{name}: không phải tệp CSV dạng văn bản (nội dung nhị phân).", "not_spreadsheet")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for encoding in ("cp1258", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if looks_vietnamese(text):
            return unicodedata.normalize("NFC", text)
    raise UnreadableFile(
        f"{name}: mã hóa ký tự không đọc được (không phải UTF-8, cũng không phải Windows-1258); "
        "hãy lưu lại tệp dạng 'CSV UTF-8 (Comma delimited)'.",
        "encoding",
    )


def _delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:30] if ln.strip()]
    best, best_score = ",", 0
    for d in (",", ";", "\t"):
        widths = [len(r) for r in csv.reader(lines, delimiter=d)]
        score = sorted(widths)[len(widths) // 2] if widths else 0
        if score > best_score:
            best, best_score = d, score
    return best


def _read_csv(name: str, data: bytes) -> Sheet:
    text = decode_csv(name, data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[list[object]] = []
    numbers: list[int] = []
    line = 1
    # Cells repeat a lot (codes, periods, small counts): one string object per distinct value
    # keeps a national file (a million rows) at a fraction of the memory.
    pool: dict[str, str] = {}
    share = pool.setdefault
    try:
        for r in reader:
            rows.append([share(c, c) for c in r])
            numbers.append(line)
            line = reader.line_num + 1
    except csv.Error as exc:
        raise UnreadableFile(f"{name}: tệp CSV hỏng ở dòng {line} ({exc}).", "not_spreadsheet") from None
    if not any(not is_blank(c) for r in rows for c in r):
        raise UnreadableFile(f"{name}: tệp rỗng, không có dữ liệu.", "empty_file")
    return Sheet(None, rows, numbers)


# --- layout -------------------------------------------------------------------------------------


def detect_layout(sheet: Sheet) -> str | None:
    """'template', 'form06' or None."""
    if find_header_row(sheet) is not None:
        return "template"
    if find_header(sheet) is not None:
        return "form06"
    return None


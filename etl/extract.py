"""Reading import files: CSV/XLSX sheets, the project template and Biểu số 06/VPCP/KSTT.

Both layouts produce ``Record`` objects: one subject (unit or agency) and period with its
counts as written, each cell remembered with its sheet, row and column header for messages.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from data.periods import Period, classify, parse_spec, parse_vietnamese
from data.text import fold, nfc

# --- the project's template -----------------------------------------------------------------
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
TEXT_FIELDS = {"scheme", "province_code", "unit_code", "unit_name", "agency", "scope", "period", "date_from",
               "date_to"}
_HEADER_KEYS = {fold(h): f for f, h in TEMPLATE_COLUMNS} | {
    "ma don vi hanh chinh": "unit_code", "don vi": "unit_name", "ky": "period", "scheme": "scheme",
    "tiep nhan qua bcci": "received_postal", "tra ket qua qua bcci": "returned_postal",
}

# Biểu 06 columns by their number in the numbering row (1)...(13).
FORM06_COLUMNS = {
    3: "received_total", 4: "received_online", 5: "received_direct_postal", 6: "received_carried",
    7: "settled_total", 8: "settled_early", 9: "settled_on_time", 10: "settled_overdue",
    11: "pending_total", 12: "pending_within", 13: "pending_overdue",
}


class UnreadableFile(Exception):
    """The file cannot be read at all; the message is one Vietnamese line."""


@dataclass
class Sheet:
    name: str | None  # None for CSV
    rows: list[list[object]]


@dataclass
class Record:
    """One subject and period from a file, values as written (not yet validated)."""

    file: str
    sheet: str | None
    row: int
    values: dict[str, object] = field(default_factory=dict)  # field -> raw cell value
    headers: dict[str, str] = field(default_factory=dict)  # field -> column header as written
    # filled by the layout reader or by resolution in etl/load.py
    period: Period | None = None
    period_text: str | None = None
    level_hint: str | None = None  # province | district | commune | department
    province_id: int | None = None
    kind: str = "unit"  # unit | section | total
    section: str | None = None


# --- reading files --------------------------------------------------------------------------


def read_sheets(path: Path) -> list[Sheet]:
    """All sheets of an XLSX file, or the one table of a CSV file."""
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFile(f"{path.name}: tệp rỗng, không có dữ liệu.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, data)
    if suffix == ".csv":
        return [Sheet(None, _read_csv(path, data))]
    raise UnreadableFile(f"{path.name}: chỉ nhận tệp .csv hoặc .xlsx (tệp này là '{suffix or 'không có đuôi'}').")


def _read_xlsx(path: Path, data: bytes) -> list[Sheet]:
    import openpyxl

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnreadableFile(f"{path.name}: không phải tệp Excel .xlsx hợp lệ (nội dung không đọc được).")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=len(data) > 5_000_000)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise UnreadableFile(f"{path.name}: không mở được tệp Excel ({type(exc).__name__}).") from None
    sheets = []
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        if not getattr(ws, "merged_cells", None):
            sheets.append(Sheet(ws.title, rows))
            continue
        for rng in ws.merged_cells.ranges:  # merged header cells: repeat the value across
            value = ws.cell(rng.min_row, rng.min_col).value
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if r - 1 < len(rows) and c - 1 < len(rows[r - 1]) and rows[r - 1][c - 1] is None:
                        rows[r - 1][c - 1] = value
        sheets.append(Sheet(ws.title, rows))
    if not any(any(v not in (None, "") for v in row) for s in sheets for row in s.rows):
        raise UnreadableFile(f"{path.name}: tệp Excel không có dữ liệu.")
    return sheets


def _read_csv(path: Path, data: bytes) -> list[list[object]]:
    if data[:4] == b"PK\x03\x04" or b"\x00" in data[:4096]:
        raise UnreadableFile(f"{path.name}: không phải tệp CSV dạng văn bản.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1258")
        except UnicodeDecodeError:
            text = ""
        if not _looks_vietnamese(text):
            raise UnreadableFile(
                f"{path.name}: mã hóa ký tự không phải UTF-8; hãy lưu lại tệp dưới dạng 'CSV UTF-8'."
            ) from None
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [list(r) for r in csv.reader(io.StringIO(text), dialect)]
    if not any(any(c.strip() for c in r) for r in rows):
        raise UnreadableFile(f"{path.name}: tệp rỗng, không có dữ liệu.")
    return rows


def _looks_vietnamese(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    viet = set("ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")
    return sum(c.lower() in viet for c in letters) / len(letters) > 0.05


def _cell_text(v: object) -> str:
    return "" if v is None else nfc(str(v))


# --- layout detection -----------------------------------------------------------------------


def detect_layout(sheet: Sheet) -> str | None:
    """'template', 'form06' or None."""
    for row in sheet.rows[:40]:
        keys = {fold(_cell_text(v)) for v in row if v not in (None, "")}
        if _HEADER_KEYS.keys() & keys and {"ky bao cao", "ma don vi", "ten don vi"} & keys:
            return "template"
        numbered = sum(bool(re.fullmatch(r"\(\d{1,2}\)", _cell_text(v).replace(" ", ""))) for v in row)
        if numbered >= 10:
            return "form06"
    return None


# --- template -------------------------------------------------------------------------------


def parse_template(file: str, sheet: Sheet) -> list[Record]:
    header_idx = next(
        i for i, row in enumerate(sheet.rows[:40])
        if {"ky bao cao", "ma don vi", "ten don vi"} & {fold(_cell_text(v)) for v in row}
    )
    header = sheet.rows[header_idx]
    fields = {}
    for j, v in enumerate(header):
        f = _HEADER_KEYS.get(fold(_cell_text(v)))
        if f is not None:
            fields[j] = (f, _cell_text(v))
    records = []
    for i, row in enumerate(sheet.rows[header_idx + 1:], start=header_idx + 2):
        if not any(v not in (None, "") and _cell_text(v) != "" for v in row):
            continue
        rec = Record(file=file, sheet=sheet.name, row=i)
        for j, (f, h) in fields.items():
            v = row[j] if j < len(row) else None
            rec.values[f] = v
            rec.headers[f] = h
        records.append(rec)
    return records


def template_period(rec: Record) -> tuple[Period | None, str | None]:
    """The record's period from 'Kỳ báo cáo' and/or 'Từ ngày'/'Đến ngày'; (None, message) on error."""
    spec = _cell_text(rec.values.get("period"))
    d1, d2 = _date(rec.values.get("date_from")), _date(rec.values.get("date_to"))
    if (rec.values.get("date_from") not in (None, "") and d1 is None) or (
        rec.values.get("date_to") not in (None, "") and d2 is None
    ):
        return None, "ngày không hợp lệ (dùng dạng dd/mm/yyyy)"
    named: Period | None = None
    if spec:
        try:
            named = parse_spec(spec)
        except ValueError:
            named = parse_vietnamese(spec)
        if named is None:
            return None, f"kỳ báo cáo không hiểu được: '{spec}'"
    if d1 and d2:
        if d2 < d1:
            return None, f"ngày kết thúc {d2:%d/%m/%Y} trước ngày bắt đầu {d1:%d/%m/%Y}"
        return classify(d1, d2, named.label if named else None), None
    if named is None:
        return None, "thiếu kỳ báo cáo"
    return named, None


def _date(v: object) -> date | None:
    if v in (None, ""):
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", _cell_text(v))
    if m:
        try:
            return date(int(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            return None
    try:
        return date.fromisoformat(_cell_text(v))
    except ValueError:
        return None


# --- Biểu số 06/VPCP/KSTT -------------------------------------------------------------------

_ROMAN = re.compile(r"^(i|ii|iii|iv|v|vi)\b")


def parse_form06(file: str, sheet: Sheet) -> tuple[list[Record], str | None, Period | None, list[str]]:
    """Records of one Biểu 06 sheet, the reporting province text and period from the title.

    Returns (records, province text, period, problems) where problems are messages about the
    title (missing period or reporting unit).
    """
    rows = sheet.rows
    num_idx = next(
        i for i, row in enumerate(rows)
        if sum(bool(re.fullmatch(r"\(\d{1,2}\)", _cell_text(v).replace(" ", ""))) for v in row) >= 10
    )
    numbering = {int(_cell_text(v).strip(" ()")): j for j, v in enumerate(rows[num_idx])
                 if re.fullmatch(r"\(\d{1,2}\)", _cell_text(v).replace(" ", ""))}
    header_rows = rows[max(0, num_idx - 3):num_idx]
    first_header = next((i for i, row in enumerate(rows[:num_idx])
                         if any(fold(_cell_text(v)) == "stt" for v in row)), max(0, num_idx - 3))
    title_rows = rows[:first_header]
    province_text, per = None, None
    for row in title_rows:
        for v in row:
            t = _cell_text(v)
            f = fold(t)
            if per is None and ("ky bao cao" in f or re.search(r"\b(quy|thang|nam)\b", f)):
                per = parse_vietnamese(t)
            m = re.match(r"^(?:ubnd|uy ban nhan dan)\s+(tinh|thanh pho)\s+(.+)$", f)
            if province_text is None and m:
                province_text = re.split(r"\s{2,}|\s-\s", t)[0]
    problems = []
    if per is None:
        problems.append("không tìm thấy kỳ báo cáo trong các dòng tiêu đề (ví dụ 'Kỳ báo cáo: Quý I năm 2026')")
    if province_text is None:
        problems.append("không tìm thấy đơn vị báo cáo trong các dòng tiêu đề (ví dụ 'UBND TỈNH ĐIỆN BIÊN')")

    def label(n: int) -> str:
        j = numbering[n]
        texts = []
        for hr in header_rows:
            t = _cell_text(hr[j]) if j < len(hr) else ""
            if t and t not in texts:
                texts.append(t)
        return f"({n}) " + " / ".join(texts)

    name_col = numbering.get(2, 1)
    stt_col = numbering.get(1, 0)
    records: list[Record] = []
    section: str | None = None
    for i, row in enumerate(rows[num_idx + 1:], start=num_idx + 2):
        name = _cell_text(row[name_col]) if name_col < len(row) else ""
        stt = _cell_text(row[stt_col]) if stt_col < len(row) else ""
        f_name, f_stt = fold(name), fold(stt)
        if any(k in f_name or k in f_stt for k in ("nguoi lap", "thu truong", "nguoi ky")):
            break
        has_numbers = any(
            row[j] not in (None, "") for n, j in numbering.items() if n >= 3 and j < len(row)
        )
        if not name and not has_numbers:
            continue
        rec = Record(file=file, sheet=sheet.name, row=i)
        rec.values["unit_name"], rec.headers["unit_name"] = name, label(2) if 2 in numbering else "Đơn vị"
        for n, fieldname in FORM06_COLUMNS.items():
            if n in numbering:
                j = numbering[n]
                rec.values[fieldname] = row[j] if j < len(row) else None
                rec.headers[fieldname] = label(n)
        text = f_stt + " " + f_name
        if f_name.startswith(("tong cong", "tong so", "cong")) or f_stt.startswith("tong"):
            rec.kind = "total"
        elif _ROMAN.match(f_stt) or _ROMAN.match(f_name) or "cap tinh" in text or "cap huyen" in text or "cap xa" in text:
            rec.kind = "section"
            section = ("department" if "cap tinh" in text else "district" if "cap huyen" in text
                       else "commune" if "cap xa" in text else None)
        rec.section = section
        rec.level_hint = section if rec.kind == "unit" else None
        records.append(rec)
    return records, province_text, per, problems

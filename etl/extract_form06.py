"""Biểu số 06/VPCP/KSTT (Thông tư 01/2020/TT-VPCP) as people fill it in Excel or save it as CSV.

What the parser assumes, and nothing more:
- title rows above the table name the reporting province ("UBND TỈNH ĐIỆN BIÊN", "ỦY BAN NHÂN DÂN
  THÀNH PHỐ HÀ NỘI") and the period ("Kỳ báo cáo: Quý I năm 2026 (Từ ngày 15/12/2025 đến ngày
  14/3/2026)", the dates possibly on the next row);
- the column header is found by content: the row with "STT", two or three header rows below it
  (merged cells or not), optionally the numbering row (1)…(13). Count columns are recognised by
  their header text (group "Số hồ sơ nhận / đã / đang giải quyết" + "Tổng số", "Trực tuyến",
  "Trực tiếp, dịch vụ bưu chính", "Từ kỳ trước", "Trả trước hạn", "Đúng hạn", "Quá hạn",
  "Trong hạn"); when the text does not identify all eleven, the numbering row is used with the
  official order (3)…(13);
- below: section rows ("I. Cấp tỉnh", "II. Cấp huyện", "III. Cấp xã", or "Các sở, ban,
  ngành", "UBND các huyện" ...), numbered unit rows, district sub-total rows inside the commune
  section ("Huyện Mường Nhé" followed by its communes), a "Tổng cộng" row anywhere, and the
  signature block, where reading stops.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from data.periods import Period, parse_vietnamese
from data.text import fold, parse_number
from etl.sheet import Record, Sheet, cell_text, is_blank

COUNT_FIELDS = (
    "received_total", "received_online", "received_direct_postal", "received_carried",
    "settled_total", "settled_early", "settled_on_time", "settled_overdue",
    "pending_total", "pending_within", "pending_overdue",
)
# Official numbering of the count columns (Thông tư 01/2020/TT-VPCP).
STANDARD_NUMBERS = dict(zip(range(3, 14), COUNT_FIELDS, strict=True))

_STT = {"stt", "tt", "so tt", "so thu tu"}
_NUMBERED = re.compile(r"^\((\d{1,2})\)")
_ROMAN = re.compile(r"^(i|ii|iii|iv|v|vi|vii|viii|ix|x)\b")
_STOP = re.compile(
    r"^(nguoi lap|thu truong|nguoi ky|ghi chu|noi nhan|ky ten|ky ghi ro|xac nhan|kt chu tich|chu tich|"
    r"giam doc|tm ubnd|tm uy ban|lanh dao)|\bngay\b.{0,25}\bthang\b.{0,25}\bnam\b"
)
_DATE_RANGE = re.compile(r"\btu ngay\b.*\bden ngay\b")
_DISTRICT_PREFIX = re.compile(r"^(ubnd |uy ban nhan dan )?(huyen|quan|thi xa|thanh pho|tp|tx)\b")


@dataclass
class Form06Header:
    start: int  # index of the first header row (the "STT" row)
    data_start: int  # index of the first row below the header (and numbering row)
    numbering: dict[int, int]  # column number (1)...(13) -> column index; empty when absent
    stt_col: int
    name_col: int
    code_col: int | None
    columns: dict[str, int]  # count field -> column index
    labels: dict[str, str]  # field -> column header as written


@dataclass
class Form06Sheet:
    records: list[Record]
    province_texts: list[tuple[str, int]]  # candidate reporting-unit names from the title, with row
    period: Period | None
    period_text: str | None
    period_row: int | None
    header: Form06Header
    problems: list[str] = field(default_factory=list)


# --- header -------------------------------------------------------------------------------


def _numbering(row: list[object]) -> dict[int, int]:
    out: dict[int, int] = {}
    for j, v in enumerate(row):
        m = _NUMBERED.match(cell_text(v).replace(" ", "")) if isinstance(v, str) else None
        if m and int(m[1]) not in out:
            out[int(m[1])] = j
    if len(out) >= 10:
        return out
    # plain 1, 2, 3 ... 13 (numbers in Excel, text in CSV) and nothing else in the row
    cells = [(j, cell_text(v)) for j, v in enumerate(row) if not is_blank(v) and not isinstance(v, bool)]
    if len(cells) >= 10 and [t for _, t in cells] == [str(n) for n in range(1, len(cells) + 1)]:
        return {int(t): j for j, t in cells}
    return {}


def _forward_filled(row: list[object], width: int) -> list[str]:
    out, last = [], ""
    for j in range(width):
        v = row[j] if j < len(row) else None
        if not is_blank(v):
            last = cell_text(v)
        out.append(last)
    return out


def _group(text: str) -> str | None:
    f = fold(text)
    if "dang giai quyet" in f:
        return "pending"
    if "da giai quyet" in f:
        return "settled"
    if "nhan giai quyet" in f or "tiep nhan" in f:
        return "received"
    return None


def _leaf(group: str, text: str) -> str | None:
    f = fold(text)
    if "tong so" in f or f == "tong":
        return f"{group}_total"
    if group == "received":
        if "truc tuyen" in f:
            return "received_online"
        if "truc tiep" in f or "buu chinh" in f:
            return "received_direct_postal"
        if "ky truoc" in f:
            return "received_carried"
    elif group == "settled":
        if "truoc han" in f:
            return "settled_early"
        if "dung han" in f or "dung thoi han" in f or "trong han" in f:
            return "settled_on_time"
        if "qua han" in f:
            return "settled_overdue"
    elif group == "pending":
        if "trong han" in f or "chua den han" in f or "chua qua han" in f or "con han" in f:
            return "pending_within"
        if "qua han" in f:
            return "pending_overdue"
    return None


def _has_numbers(row: list[object]) -> bool:
    return any(isinstance(v, int | float) and not isinstance(v, bool) for v in row)


def find_header(sheet: Sheet, scan: int = 60) -> Form06Header | None:
    """Locate the table header of a Biểu 06 sheet by content; None when there is none."""
    rows = sheet.rows[:scan]
    num_idx, numbering = None, {}
    for i, row in enumerate(rows):
        numbering = _numbering(row)
        if numbering:
            num_idx = i
            break
    # the STT row: just above the numbering row (or anywhere when there is none)
    # (a vertically merged "STT" repeats over the header rows: take the first of them)
    lo, hi = (max(0, num_idx - 6), num_idx) if num_idx is not None else (0, len(rows))
    stt_rows = [i for i in range(lo, hi) if any(isinstance(v, str) and fold(v) in _STT for v in rows[i])]
    if stt_rows:
        start = stt_rows[0]
    elif num_idx is not None:
        groups = [i for i in range(max(0, num_idx - 5), num_idx) if any(isinstance(v, str) and _group(v)
                                                                        for v in rows[i])]
        if not groups:
            return None
        start = groups[0]
    else:
        return None
    if num_idx is not None:
        end = num_idx  # header rows are start .. num_idx-1
        data_start = num_idx + 1
    else:
        end = start + 1
        while end < min(len(rows), start + 4) and not _has_numbers(rows[end]) and not _is_body_row(rows[end]):
            end += 1
        data_start = end
    header_rows = rows[start:end]
    if not header_rows:
        return None
    width = max(len(r) for r in header_rows)
    filled = [_forward_filled(r, width) for r in header_rows]

    columns: dict[str, int] = {}
    conflict = False
    groups_at: dict[int, tuple[str, int]] = {}
    for j in range(width):
        group = next(((g, k) for k, ff in enumerate(filled) if (g := _group(ff[j]))), None)
        if group is None:
            continue
        groups_at[j] = group
        leaf_text = next((cell_text(r[j]) for r in reversed(header_rows) if j < len(r) and not is_blank(r[j])), "")
        f = _leaf(group[0], leaf_text)
        if f is None:
            continue
        if f in columns:
            conflict = True
        columns[f] = j
    if conflict or len(columns) < len(COUNT_FIELDS):
        if not all(n in numbering for n in STANDARD_NUMBERS):
            return None
        columns = {f: numbering[n] for n, f in STANDARD_NUMBERS.items()}

    stt_col = next((j for j, v in enumerate(header_rows[0]) if isinstance(v, str) and fold(v) in _STT),
                   numbering.get(1, 0))
    count_cols = set(columns.values())
    name_col = numbering.get(2)
    code_col = None
    for r in header_rows:
        for j, v in enumerate(r):
            if j in count_cols or j == stt_col or not isinstance(v, str):
                continue
            f = fold(v)
            if code_col is None and re.match(r"^ma (don vi|dvhc|so)\b", f):
                code_col = j
            elif name_col is None and ("don vi" in f or "linh vuc" in f or f.startswith("ten")):
                name_col = j
    if name_col is None:
        name_col = stt_col + 1

    def label(f: str) -> str:
        j = columns[f]
        texts: list[str] = []
        group_row = groups_at.get(j, (None, -1))[1]
        for k, r in enumerate(header_rows):
            t = filled[k][j] if k == group_row else (cell_text(r[j]) if j < len(r) else "")
            if t and t not in texts:
                texts.append(t)
        number = next((n for n, c in numbering.items() if c == j), None)
        text = " / ".join(texts) or f
        return f"({number}) {text}" if number is not None else text

    labels = {f: label(f) for f in columns}
    labels["unit_name"] = _plain_label(header_rows, name_col, numbering) or "Lĩnh vực, đơn vị"
    if code_col is not None:
        labels["unit_code"] = _plain_label(header_rows, code_col, numbering) or "Mã đơn vị"
    return Form06Header(start, data_start, numbering, stt_col, name_col, code_col, columns, labels)


def _plain_label(header_rows: list[list[object]], j: int, numbering: dict[int, int]) -> str:
    texts: list[str] = []
    for r in header_rows:
        t = cell_text(r[j]) if j < len(r) else ""
        if t and t not in texts:
            texts.append(t)
    number = next((n for n, c in numbering.items() if c == j), None)
    text = " / ".join(texts)
    return f"({number}) {text}" if number is not None and text else text


def _numeric(value: object) -> bool:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return True
    try:
        return isinstance(value, str) and parse_number(value) is not None
    except ValueError:
        return False


def _is_body_row(row: list[object]) -> bool:
    texts = [fold(v) for v in row if isinstance(v, str) and v.strip()]
    return any(_ROMAN.match(t) or t.startswith(("tong cong", "cap ")) for t in texts)


# --- title ----------------------------------------------------------------------------------


def _title_lines(rows: list[list[object]], numbers: list[int]) -> list[tuple[str, int]]:
    """Every text line of the title cells, with its row number."""
    out = []
    for row, number in zip(rows, numbers, strict=True):
        for v in row:
            if isinstance(v, str):
                for line in v.splitlines():
                    if line.strip():
                        out.append((cell_text(line), number))
    return out


def parse_title(rows: list[list[object]], numbers: list[int]) -> tuple[list[tuple[str, int]],
                                                                       tuple[Period | None, str | None, int | None]]:
    """Reporting-unit candidates and the period (period, text it came from, row) of the title rows."""
    lines = _title_lines(rows, numbers)
    candidates: list[tuple[str, int]] = []
    for text, number in lines:
        f = fold(text)
        m = re.search(r"(?:^|\b)(?:ubnd|uy ban nhan dan)\s+(.+)$", f)
        if m:
            candidates.append((m[1], number))
        elif re.match(r"^(tinh|thanh pho)\s+\w+", f):
            candidates.append((f, number))
    # the period: the "Kỳ báo cáo" line (and the cells after it), plus a "Từ ngày … đến ngày" line
    key: list[tuple[str, int]] = []
    for i, row in enumerate(rows):
        cells = [cell_text(v) for v in row if isinstance(v, str) and v.strip()]
        for k, t in enumerate(cells):
            f = fold(t)
            if "ky bao cao" in f:
                key.append((" ".join(cells[k:]), numbers[i]))
                break
            if _DATE_RANGE.search(f):
                key.append((t, numbers[i]))
                break
    if key:
        text = " ".join(t for t, _ in key)
        return candidates, (parse_vietnamese(text), text, key[0][1])
    for text, number in lines:
        f = fold(text)
        if _STOP.search(f) or "thong tu" in f or "nghi dinh" in f or "quyet dinh" in f:
            continue  # dates of a signature line or of the legal basis are not the period
        per = parse_vietnamese(text)
        if per is not None:
            return candidates, (per, text, number)
    return candidates, (None, None, None)


# --- body -----------------------------------------------------------------------------------


def section_level(text: str) -> str | None:
    """The level of the units listed under a section row."""
    words = set(fold(text).split())
    f = fold(text)
    if "cap huyen" in f or words & {"huyen", "quan"}:
        return "district"
    if "cap tinh" in f or words & {"so", "nganh", "ban"}:
        return "department"
    if "cap xa" in f or words & {"xa", "phuong", "thi", "tran"}:
        return "commune"
    return None


def _kind(stt: str, name: str) -> str:
    fs, fn = fold(stt), fold(name)
    if fn.startswith("tong cong") or fn in {"tong", "tong so", "cong", "toan tinh", "tong toan tinh"} or \
            fs.startswith("tong cong"):
        return "total"
    if _ROMAN.fullmatch(fs) or (not fs and _ROMAN.match(fn) and re.match(r"^[IVXivx]+[.)]?\s", name)) \
            or fn.startswith(("cap tinh", "cap huyen", "cap xa")):
        return "section"
    return "unit"


def parse_form06(file: str, sheet: Sheet) -> Form06Sheet | None:
    """Records of one Biểu 06 sheet with the reporting unit and period from its title rows."""
    header = find_header(sheet)
    if header is None:
        return None
    rows, numbers = sheet.rows, sheet.row_numbers
    candidates, (per, per_text, per_row) = parse_title(rows[:header.start], numbers[:header.start])
    problems = []
    if per is None:
        problems.append("không tìm thấy kỳ báo cáo trong các dòng tiêu đề (ví dụ 'Kỳ báo cáo: Quý I năm 2026')"
                        if per_text is None else f"không hiểu được kỳ báo cáo '{per_text}'")
    if not candidates:
        problems.append("không tìm thấy đơn vị báo cáo trong các dòng tiêu đề (ví dụ 'UBND TỈNH ĐIỆN BIÊN')")

    count_cols = header.columns
    records: list[Record] = []
    section: Record | None = None
    for row, number in zip(rows[header.data_start:], numbers[header.data_start:], strict=True):
        def at(j: int | None, row: list[object] = row) -> object:
            return row[j] if j is not None and j < len(row) else None

        has_counts = any(not is_blank(at(j)) for j in count_cols.values())
        texts = [fold(v) for v in row if isinstance(v, str) and v.strip()]
        if any(_STOP.search(t) for t in texts) and not any(_numeric(at(j)) for j in count_cols.values()):
            break  # signature block (its names and titles may sit in the count columns)
        name, stt = cell_text(at(header.name_col)), cell_text(at(header.stt_col))
        code = at(header.code_col)
        if not name and re.search(r"[^\W\d_]", stt):
            name = stt  # "Tổng cộng" or "I. Cấp tỉnh" written in the STT column
        if not name and not has_counts and is_blank(code):
            continue
        rec = Record(file=file, sheet=sheet.name, row=number)
        rec.values["unit_name"] = name
        rec.headers["unit_name"] = header.labels["unit_name"]
        if header.code_col is not None:
            rec.values["unit_code"] = code
            rec.headers["unit_code"] = header.labels["unit_code"]
        for f, j in count_cols.items():
            rec.values[f] = at(j)
            rec.headers[f] = header.labels[f]
        rec.kind = _kind(stt if stt != name else "", name)
        if rec.kind == "section":
            section = rec
            rec.level_hint = section_level(name)
        elif rec.kind == "unit" and section is not None:
            rec.section = section.values["unit_name"]  # type: ignore[assignment]
            rec.level_hint = section.level_hint
            if rec.level_hint == "commune" and _DISTRICT_PREFIX.match(fold(name)):
                rec.kind = "group"  # a district's sub-total heading its communes
        records.append(rec)
    return Form06Sheet(records, candidates, per, per_text, per_row, header, problems)

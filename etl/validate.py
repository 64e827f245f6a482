"""Validation rules. Every rule returns ``Finding`` objects (Vietnamese messages, with location).

Errors reject the whole file; warnings load with a finding.
"""

from __future__ import annotations

import difflib
import re
from datetime import date

from data.text import format_percent, name_key, parse_number
from etl.sheet import UncomputedFormula, cell_text
from etl.store import Finding


def stated_percentage_finding(
    stated_text: str,
    numerator: float,
    denominator: float,
    *,
    file: str,
    sheet: str | None = None,
    row: int | None = None,
    column: str | None = None,
    what: str = "",
) -> Finding | None:
    """Compare a percentage as written ("10,08%") with its own counts (23/212 = 10,85 %).

    The stated value agrees when it is within one unit of its last written digit
    (24,16 % for 29/120 = 24,1667 % agrees: documents often truncate instead of rounding).
    Returns a warning finding when they disagree, else None.
    """
    text = stated_text.strip().replace(" ", "").rstrip("%")
    m = re.fullmatch(r"(\d+)(?:[.,](\d+))?", text)
    if not m or not denominator:
        return None
    decimals = len(m[2] or "")
    stated_pct = float(f"{m[1]}.{m[2] or 0}")
    computed_pct = 100.0 * numerator / denominator
    if abs(stated_pct - computed_pct) < 10 ** (-decimals) - 1e-12:
        return None
    return Finding(
        file=file,
        sheet=sheet,
        row=row,
        column=column,
        rule="stated_percentage",
        severity="warning",
        message=(
            f"Tỷ lệ ghi trong tài liệu {stated_text.strip()} không khớp với số liệu "
            f"{_int(numerator)}/{_int(denominator)} = {format_percent(numerator / denominator)}"
            + (f" ({what})" if what else "")
            + ". Đã nạp cả hai giá trị."
        ),
    )


def _int(x: float) -> str:
    return f"{round(x):,}".replace(",", ".")


# --- rules on import records (etl/load.py) --------------------------------------------------
# Each rule returns findings located at the record's file, sheet, row and the column header as
# written. Rule ids, severities and what they check, in one place (also in docs/import_template.md):

RULES: dict[str, tuple[str, str]] = {
    "empty_file": ("error", "tệp rỗng"),
    "not_spreadsheet": ("error", "không phải tệp CSV/XLSX đọc được"),
    "encoding": ("error", "mã hóa ký tự không phải UTF-8 hoặc Windows-1258"),
    "unreadable": ("error", "không đọc được tệp"),
    "unknown_layout": ("error", "không nhận ra mẫu nhập liệu hay Biểu số 06"),
    "no_rows": ("error", "không có dòng số liệu"),
    "duplicate_column": ("error", "một cột xuất hiện hai lần"),
    "unknown_column": ("warning", "cột không thuộc mẫu, bị bỏ qua"),
    "formula_no_value": ("error", "ô công thức không có giá trị đã tính"),
    "not_a_number": ("error", "chữ trong ô số"),
    "negative": ("error", "số âm"),
    "not_whole": ("error", "số không nguyên"),
    "too_large": ("error", "số lớn bất thường (trên 1.000 tỷ), thường do gõ nhầm"),
    "received_sum": ("error", "tổng tiếp nhận ≠ trực tuyến + trực tiếp/bưu chính + kỳ trước"),
    "settled_sum": ("error", "tổng đã giải quyết ≠ trước hạn + đúng hạn + quá hạn"),
    "pending_sum": ("error", "tổng đang giải quyết ≠ trong hạn + quá hạn"),
    "balance": ("warning", "tiếp nhận ≠ đã giải quyết + đang giải quyết (có thể có hồ sơ rút)"),
    "returned_postal_le_returned_total": ("error", "trả kết quả qua bưu chính > tổng trả kết quả"),
    "offer_exceeds_total": ("error", "số TTHC của một loại > tổng số TTHC"),
    "offer_levels_exceed_total": ("warning", "mức độ 3 + mức độ 4 (hoặc một phần + toàn trình) > tổng số TTHC"),
    "section_sum": ("error", "dòng mục, dòng huyện hoặc 'Tổng cộng' ≠ tổng các dòng của nó"),
    "section_not_stored": ("warning", "dòng mục có số liệu nhưng không liệt kê đơn vị: không được lưu"),
    "empty_row": ("warning", "dòng không có số liệu: không được lưu"),
    "missing_subject": ("error", "thiếu mã/tên đơn vị"),
    "unknown_unit": ("error", "đơn vị không có trong danh mục của kỳ (kèm gợi ý)"),
    "ambiguous_unit": ("error", "tên ứng với nhiều đơn vị (liệt kê)"),
    "unit_outside_province": ("error", "đơn vị không thuộc tỉnh đã ghi"),
    "unknown_agency": ("error", "cơ quan không có trong danh mục của tỉnh (kèm gợi ý)"),
    "agency_with_unit": ("error", "cơ quan cấp tỉnh ghi kèm đơn vị cấp huyện/xã"),
    "agency_not_in_period": ("error", "cơ quan không tồn tại trong kỳ báo cáo"),
    "scheme": ("error", "hệ thống đơn vị không hợp lệ"),
    "scope": ("error", "phạm vi không hợp lệ"),
    "duplicate": ("error", "trùng đơn vị và kỳ báo cáo trong tệp"),
    "period_missing": ("error", "thiếu kỳ báo cáo"),
    "period_invalid": ("error", "kỳ báo cáo hoặc ngày không hiểu được, đến ngày trước từ ngày"),
    "period_future": ("error", "kỳ báo cáo chưa bắt đầu"),
    "period_too_old": ("error", "kỳ báo cáo trước năm 2015"),
    "period_open": ("warning", "kỳ báo cáo chưa kết thúc"),
}

FIELD_LABELS = {
    "received_total": "Tiếp nhận - tổng số",
    "received_carried": "Tiếp nhận - từ kỳ trước",
    "received_online": "Tiếp nhận - trực tuyến",
    "received_direct": "Tiếp nhận - trực tiếp",
    "received_direct_postal": "Tiếp nhận - trực tiếp, bưu chính",
    "received_postal": "Tiếp nhận - qua bưu chính công ích",
    "settled_total": "Đã giải quyết - tổng số",
    "pending_total": "Đang giải quyết - tổng số",
    "returned_total": "Trả kết quả - tổng số",
    "returned_postal": "Trả kết quả - qua bưu chính công ích",
    "procedures_total": "Số TTHC",
    "unit_name": "Tên đơn vị",
    "period": "Kỳ báo cáo",
}
OLDEST_YEAR = 2015
MAX_COUNT = 10**12  # no unit handles a trillion dossiers; also keeps values inside BIGINT


def _finding(rule: str, message: str, rec, field: str | None = None, **extra) -> Finding:  # noqa: ANN001, ANN003
    """A finding of ``rule`` at the record's row and the column of ``field`` as written in the file."""
    column = (rec.headers.get(field) or FIELD_LABELS.get(field, field)) if field else None
    return Finding(file=rec.file, sheet=rec.sheet, row=rec.row, column=column, rule=rule,
                   severity=RULES[rule][0], message=message, **extra)


def _fmt(x: float | None) -> str:
    return "trống" if x is None else f"{int(x):,}".replace(",", ".")


# --- numbers ----------------------------------------------------------------------------------


def parse_count(raw: object, rec, field: str) -> tuple[int | None, Finding | None]:  # noqa: ANN001
    """A count cell: a non-negative whole number, or blank / "-" (unknown, NULL).

    Rules: formula_no_value, not_a_number (quoting the text), negative, not_whole, too_large.
    """
    # fast paths: what almost every cell is
    if raw is None:
        return None, None
    if type(raw) is int and 0 <= raw <= MAX_COUNT:
        return raw, None
    if type(raw) is str:
        text = raw.strip()
        if not text:
            return None, None
        if text.isascii() and text.isdigit() and len(text) <= 12:
            return int(text), None
    if isinstance(raw, UncomputedFormula):
        return None, _finding("formula_no_value", f"Ô chứa công thức {raw} nhưng tệp không lưu giá trị đã tính; "
                              "hãy mở tệp bằng Excel rồi lưu lại.", rec, field)
    if isinstance(raw, date):
        return None, _finding("not_a_number", f"Ô chứa ngày {raw:%d/%m/%Y}, không phải số.", rec, field)
    try:
        value = parse_number(raw)
    except OverflowError:  # an integer beyond any float
        return None, _finding("too_large", f"Số {cell_text(raw)[:30]}… lớn bất thường; hãy kiểm tra lại ô này.",
                              rec, field)
    except ValueError:
        return None, _finding("not_a_number", f"Ô chứa '{cell_text(raw)}', không phải số.", rec, field)
    if value is None:
        return None, None
    shown = cell_text(raw) if isinstance(raw, str) else _fmt(value) if float(value).is_integer() else str(raw)
    if value < 0:
        return None, _finding("negative", f"Số liệu không được âm (ghi {shown}).", rec, field)
    if abs(value - round(value)) > 1e-6:
        return None, _finding("not_whole", f"Số liệu phải là số nguyên (ghi {shown}).", rec, field)
    if value > MAX_COUNT:
        return None, _finding("too_large", f"Số {shown} lớn bất thường (trên 1.000 tỷ); hãy kiểm tra lại ô này.",
                              rec, field)
    return int(round(value)), None


# --- identities of one record -----------------------------------------------------------------


def _sum_rule(rule: str, total: str, parts: tuple[str, ...], text: str):  # noqa: ANN202
    def check(counts: dict[str, int | None], rec) -> list[Finding]:  # noqa: ANN001
        t = counts.get(total)
        vals = [counts.get(p) for p in parts]
        if t is None or any(v is None for v in vals):
            return []
        s = sum(vals)  # type: ignore[arg-type]
        if s == t:
            return []
        return [_finding(rule, f"{text}: ghi {_fmt(t)}, cộng các cột được {_fmt(s)}.", rec, total)]

    check.__name__ = rule
    check.__doc__ = text
    return check


received_sum = _sum_rule(
    "received_sum", "received_total", ("received_online", "received_direct_postal", "received_carried"),
    "Tổng số hồ sơ tiếp nhận phải bằng trực tuyến + trực tiếp, bưu chính + từ kỳ trước")
settled_sum = _sum_rule(
    "settled_sum", "settled_total", ("settled_early", "settled_on_time", "settled_overdue"),
    "Tổng số hồ sơ đã giải quyết phải bằng trước hạn + đúng hạn + quá hạn")
pending_sum = _sum_rule(
    "pending_sum", "pending_total", ("pending_within", "pending_overdue"),
    "Tổng số hồ sơ đang giải quyết phải bằng trong hạn + quá hạn")


def balance(counts: dict[str, int | None], rec) -> list[Finding]:  # noqa: ANN001
    """Received = settled + in progress; a warning only (withdrawn or returned dossiers)."""
    rt, st, pt = counts.get("received_total"), counts.get("settled_total"), counts.get("pending_total")
    if rt is None or st is None or pt is None or rt == st + pt:
        return []
    return [_finding("balance", f"Hồ sơ tiếp nhận ({_fmt(rt)}) khác đã giải quyết + đang giải quyết "
                                f"({_fmt(st + pt)}); có thể có hồ sơ rút hoặc trả lại.", rec, "received_total")]


def returned_postal(counts: dict[str, int | None], rec) -> list[Finding]:  # noqa: ANN001
    """Results returned via the postal service cannot exceed results returned."""
    p, w = counts.get("returned_postal"), counts.get("returned_total")
    if p is None or w is None or p <= w:
        return []
    return [_finding("returned_postal_le_returned_total",
                     f"Kết quả trả qua bưu chính công ích ({_fmt(p)}) lớn hơn tổng số kết quả đã trả ({_fmt(w)}).",
                     rec, "returned_postal")]


_OFFER_PARTS = {
    "bcci_published": "TTHC công bố qua bưu chính công ích",
    "online_level2": "TTHC trực tuyến mức độ 2",
    "online_level3": "TTHC trực tuyến mức độ 3",
    "online_level4": "TTHC trực tuyến mức độ 4",
    "online_partial": "TTHC trực tuyến một phần",
    "online_full": "TTHC trực tuyến toàn trình",
}


def offer_parts(counts: dict[str, int | None], rec) -> list[Finding]:  # noqa: ANN001
    """Each kind of procedure is at most the number of procedures; levels 3 + 4 and partial + full too."""
    total = counts.get("procedures_total")
    if total is None:
        return []
    out = [_finding("offer_exceeds_total", f"{label} ({_fmt(counts[f])}) lớn hơn tổng số TTHC ({_fmt(total)}).",
                    rec, f)
           for f, label in _OFFER_PARTS.items() if counts.get(f) is not None and counts[f] > total]  # type: ignore[operator]
    if out:
        return out
    for a, b, text in (("online_level3", "online_level4", "mức độ 3 + mức độ 4"),
                       ("online_partial", "online_full", "một phần + toàn trình")):
        va, vb = counts.get(a), counts.get(b)
        if va is not None and vb is not None and va + vb > total:
            out.append(_finding("offer_levels_exceed_total", f"TTHC trực tuyến {text} ({_fmt(va + vb)}) lớn hơn "
                                f"tổng số TTHC ({_fmt(total)}).", rec, b))
    return out


RECORD_RULES = (received_sum, settled_sum, pending_sum, balance, returned_postal, offer_parts)


def record_findings(counts: dict[str, int | None], rec) -> list[Finding]:  # noqa: ANN001
    """Every identity rule on the parsed counts of one record."""
    return [f for rule in RECORD_RULES for f in rule(counts, rec)]


# --- structure of a file ----------------------------------------------------------------------


def section_findings(parts: list[tuple[object, dict]], total: tuple[object, dict], what: str) -> list[Finding]:
    """A section row, a district sub-total or 'Tổng cộng' equals the sum of its rows, column by column.

    A column is checked only when the total row and every part give it.
    """
    rec, counts = total
    out = []
    for field, value in counts.items():
        if value is None:
            continue
        vals = [c.get(field) for _, c in parts]
        if not vals or any(v is None for v in vals):
            continue
        s = sum(vals)
        if s != value:
            rows = [p.row for p, _ in parts]  # type: ignore[attr-defined]
            span = f"dòng {rows[0]}" if len(rows) == 1 else f"{len(rows)} dòng từ {min(rows)} đến {max(rows)}"
            out.append(_finding("section_sum", f"{what} ghi {_fmt(value)}, tổng của {span} là {_fmt(s)}.", rec, field))
    return out


def section_not_stored(rec, what: str) -> list[Finding]:  # noqa: ANN001
    return [_finding("section_not_stored", f"{what} có số liệu nhưng không liệt kê đơn vị nào bên dưới; "
                     "số liệu của dòng này không được lưu (chỉ lưu số liệu từng đơn vị).", rec, "unit_name")]


def empty_row(rec, name: str) -> list[Finding]:  # noqa: ANN001
    return [_finding("empty_row", f"Dòng của '{name}' không có số liệu nào; không lưu.", rec)]


def duplicate_findings(items: list[tuple[tuple, object, str]]) -> list[Finding]:
    """Two records of a file for the same subject and period: the later row names the earlier one."""
    seen: dict[tuple, object] = {}
    out = []
    for key, rec, label in items:
        first = seen.setdefault(key, rec)
        if first is rec:
            continue
        where = f"dòng {first.row}" + (f" (sheet '{first.sheet}')" if first.sheet != rec.sheet else "")  # type: ignore[attr-defined]
        out.append(_finding("duplicate", f"Dòng {rec.row} trùng {label} với {where}.", rec,  # type: ignore[attr-defined]
                            "unit_name" if "unit_name" in rec.headers else "unit_code"))  # type: ignore[attr-defined]
    return out


# --- periods ----------------------------------------------------------------------------------


def period_problem(rule: str, message: str, rec, field: str = "period") -> list[Finding]:  # noqa: ANN001
    """A period that is missing (period_missing) or cannot be understood (period_invalid)."""
    return [_finding(rule, f"Kỳ báo cáo: {message}.", rec, field)]


def period_findings(per, rec, field: str = "period", today=None) -> list[Finding]:  # noqa: ANN001
    """A present period is sane: started, not before 2015; a warning when it has not ended yet."""
    today = today or date.today()
    span = f"{per.label} ({per.start:%d/%m/%Y} - {per.end:%d/%m/%Y})"
    if per.start > today:
        return [_finding("period_future", f"Kỳ báo cáo {span} chưa bắt đầu (hôm nay {today:%d/%m/%Y}).", rec, field)]
    if per.start.year < OLDEST_YEAR:
        return [_finding("period_too_old", f"Kỳ báo cáo {span} trước năm {OLDEST_YEAR}, không hợp lý.", rec, field)]
    if per.end > today:
        return [_finding("period_open", f"Kỳ báo cáo {span} chưa kết thúc (hôm nay {today:%d/%m/%Y}); "
                                        "số liệu có thể chưa đầy đủ.", rec, field)]
    return []


# --- subjects ---------------------------------------------------------------------------------

SCHEME_TEXT = {"legacy": "đơn vị hành chính trước 01/07/2025", "2025": "đơn vị hành chính từ 01/07/2025"}


def closest(text_key: str, names_by_key: dict[str, list[str]], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Names whose key is closest to ``text_key`` (every unit of a close name, at most 6)."""
    close = difflib.get_close_matches(text_key, list(names_by_key), n=n, cutoff=cutoff)
    return list(dict.fromkeys(name for k in close for name in names_by_key[k]))[:6]


def unknown_unit(text: str, scheme: str, where: str, names_by_key: dict[str, list[str]], rec,  # noqa: ANN001
                 field: str) -> list[Finding]:
    """The unit is not in the scheme of the period: suggest the closest names."""
    hints = closest(name_key(text), names_by_key)
    hint = f" Có phải: {', '.join(hints)}?" if hints else ""
    return [_finding("unknown_unit", f"Không có đơn vị '{text}'{where} trong danh mục {SCHEME_TEXT[scheme]}.{hint}",
                     rec, field)]


def unknown_code(code: str, scheme: str, rec, field: str, what: str = "Mã đơn vị") -> list[Finding]:  # noqa: ANN001
    return [_finding("unknown_unit", f"{what} {code} không có trong danh mục {SCHEME_TEXT[scheme]}.", rec, field)]


def ambiguous_unit(text: str, candidates: list[str], rec, field: str) -> list[Finding]:  # noqa: ANN001
    shown = "; ".join(candidates[:8]) + (f"; và {len(candidates) - 8} đơn vị khác" if len(candidates) > 8 else "")
    return [_finding("ambiguous_unit", f"Tên '{text}' ứng với {len(candidates)} đơn vị: {shown}. "
                     "Hãy ghi mã đơn vị (hoặc mã tỉnh).", rec, field)]


def unit_outside_province(unit_name: str, province_name: str, rec, field: str) -> list[Finding]:  # noqa: ANN001
    return [_finding("unit_outside_province", f"{unit_name} không thuộc {province_name}.", rec, field)]


def missing_subject(rec) -> list[Finding]:  # noqa: ANN001
    return [_finding("missing_subject", "Thiếu mã đơn vị hoặc tên đơn vị (hoặc mã tỉnh và cơ quan).", rec,
                     "unit_code" if "unit_code" in rec.headers else "unit_name")]


def unknown_agency(text: str, province_name: str, names_by_key: dict[str, list[str]], rec,  # noqa: ANN001
                   field: str) -> list[Finding]:
    hints = closest(name_key(text), names_by_key, cutoff=0.5)
    hint = f" Có phải: {', '.join(hints)}?" if hints else ""
    return [_finding("unknown_agency", f"Không có cơ quan '{text}' của {province_name}.{hint}", rec, field)]


def agency_with_unit(agency_text: str, unit_name: str, rec) -> list[Finding]:  # noqa: ANN001
    return [_finding("agency_with_unit", f"'{agency_text}' là cơ quan cấp tỉnh, không thuộc {unit_name}; "
                     "để trống 'Tên đơn vị'/'Mã đơn vị' (hoặc ghi chính tỉnh).", rec, "agency")]


def agency_not_in_period(agency_name: str, valid_from, valid_to, successor: str | None, per, rec,  # noqa: ANN001
                         field: str) -> list[Finding]:
    """The agency existed, but not during the period (e.g. Sở Thông tin và Truyền thông in 2026)."""
    if (valid_to is None or per.start <= valid_to) and (valid_from is None or per.end >= valid_from):
        return []
    if valid_to is not None and per.start > valid_to:
        when = f"chỉ tồn tại đến {valid_to:%d/%m/%Y}" + (f"; từ đó thuộc {successor}" if successor else "")
    else:
        when = f"chỉ có từ {valid_from:%d/%m/%Y}"
    return [_finding("agency_not_in_period", f"{agency_name} {when}, không có trong kỳ báo cáo {per.label}.",
                     rec, field)]


def bad_choice(rule: str, text: str, allowed: str, rec, field: str) -> list[Finding]:  # noqa: ANN001
    """A scheme or scope cell with a value outside its list."""
    what = "Hệ thống đơn vị" if rule == "scheme" else "Phạm vi"
    return [_finding(rule, f"{what} '{text}' không hợp lệ (dùng {allowed}).", rec, field)]


def scheme_not_in_period(text: str, expected: str, per, rec) -> list[Finding]:  # noqa: ANN001
    """An explicit scheme that was not in force at any time during the period."""
    return [_finding("scheme", f"Hệ thống đơn vị '{text}' không áp dụng cho kỳ báo cáo {per.label} "
                     f"({per.start:%d/%m/%Y} - {per.end:%d/%m/%Y}); kỳ này dùng {SCHEME_TEXT[expected]} "
                     f"('{expected}'), hoặc để trống cột này.", rec, "scheme")]

"""Validation rules. Every rule returns ``Finding`` objects (Vietnamese messages, with location).

Errors reject the whole file; warnings load with a finding.
"""

from __future__ import annotations

import re

from data.text import format_percent
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


# --- rules on import records ----------------------------------------------------------------
# Each takes the parsed counts of one record (field -> int | None) and the record itself
# (file, sheet, row, headers) and returns findings. Messages name the column as written.

_SUMS = [
    # (rule id, total field, part fields, Vietnamese description)
    ("received_sum", "received_total", ("received_online", "received_direct_postal", "received_carried"),
     "Tổng số hồ sơ tiếp nhận phải bằng trực tuyến + trực tiếp/bưu chính + từ kỳ trước"),
    ("settled_sum", "settled_total", ("settled_early", "settled_on_time", "settled_overdue"),
     "Tổng số hồ sơ đã giải quyết phải bằng trước hạn + đúng hạn + quá hạn"),
    ("pending_sum", "pending_total", ("pending_within", "pending_overdue"),
     "Tổng số hồ sơ đang giải quyết phải bằng trong hạn + quá hạn"),
]


def _fmt(x: float | None) -> str:
    return "trống" if x is None else f"{int(x):,}".replace(",", ".")


def parse_count(raw: object, rec, field: str) -> tuple[int | None, Finding | None]:  # noqa: ANN001
    """A count cell: a non-negative whole number or blank."""
    from data.text import parse_number

    where = {"file": rec.file, "sheet": rec.sheet, "row": rec.row, "column": rec.headers.get(field, field)}
    try:
        value = parse_number(raw)
    except ValueError:
        return None, Finding(rule="not_a_number", severity="error",
                             message=f"Ô chứa '{raw}', không phải số.", **where)
    if value is None:
        return None, None
    if value < 0:
        return None, Finding(rule="negative", severity="error",
                             message=f"Số hồ sơ không được âm ({_fmt(value)}).", **where)
    if not float(value).is_integer():
        return None, Finding(rule="not_whole", severity="error",
                             message=f"Số hồ sơ phải là số nguyên (ghi {raw}).", **where)
    return int(value), None


def sum_findings(counts: dict[str, int | None], rec) -> list[Finding]:  # noqa: ANN001
    """Biểu 06 identities on one record."""
    out = []
    where = {"file": rec.file, "sheet": rec.sheet, "row": rec.row}
    for rule, total, parts, text in _SUMS:
        t = counts.get(total)
        vals = [counts.get(p) for p in parts]
        if t is None or any(v is None for v in vals):
            continue
        s = sum(vals)  # type: ignore[arg-type]
        if s != t:
            out.append(Finding(rule=rule, severity="error", column=rec.headers.get(total, total),
                               message=f"{text}: ghi {_fmt(t)}, cộng các cột được {_fmt(s)}.", **where))
    rt, st, pt = counts.get("received_total"), counts.get("settled_total"), counts.get("pending_total")
    if rt is not None and st is not None and pt is not None and rt != st + pt:
        out.append(Finding(rule="balance", severity="warning", column=rec.headers.get("received_total"),
                           message=f"Hồ sơ tiếp nhận ({_fmt(rt)}) khác đã giải quyết + đang giải quyết "
                                   f"({_fmt(st + pt)}); có thể có hồ sơ rút hoặc trả lại.", **where))
    for part, whole, text in (("returned_postal", "returned_total", "Kết quả trả qua bưu chính"),
                              ("received_postal", "received_direct_postal", "Hồ sơ tiếp nhận qua bưu chính")):
        p, w = counts.get(part), counts.get(whole)
        if p is not None and w is not None and p > w:
            out.append(Finding(rule=f"{part}_le_{whole}", severity="error", column=rec.headers.get(part, part),
                               message=f"{text} ({_fmt(p)}) lớn hơn tổng ({_fmt(w)}).", **where))
    return out


def period_findings(per, problem: str | None, rec, today=None) -> list[Finding]:  # noqa: ANN001
    """The period is present and sane."""
    from datetime import date

    today = today or date.today()
    where = {"file": rec.file, "sheet": rec.sheet, "row": rec.row,
             "column": rec.headers.get("period", "Kỳ báo cáo")}
    if per is None:
        return [Finding(rule="period", severity="error", message=f"Kỳ báo cáo: {problem or 'thiếu'}.", **where)]
    if per.start > today:
        return [Finding(rule="period", severity="error",
                        message=f"Kỳ báo cáo {per.label} chưa bắt đầu (sau ngày {today:%d/%m/%Y}).", **where)]
    if per.start.year < 2015:
        return [Finding(rule="period", severity="error",
                        message=f"Kỳ báo cáo {per.label} trước năm 2015, không hợp lý.", **where)]
    return []


def duplicate_findings(keys: list[tuple[tuple, object]]) -> list[Finding]:
    """Two records of a file for the same subject and period: both rows are named."""
    seen: dict[tuple, object] = {}
    out = []
    for key, rec in keys:
        if key in seen:
            first = seen[key]
            out.append(Finding(file=rec.file, sheet=rec.sheet, row=rec.row, rule="duplicate", severity="error",
                               column=rec.headers.get("unit_name") or rec.headers.get("unit_code"),
                               message=f"Trùng đơn vị và kỳ báo cáo với dòng {first.row}."))
        else:
            seen[key] = rec
    return out


def section_findings(parts: list[tuple[object, dict]], total: tuple[object, dict], what: str) -> list[Finding]:
    """A section row or the 'Tổng cộng' row equals the sum of its rows, column by column."""
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
            out.append(Finding(file=rec.file, sheet=rec.sheet, row=rec.row, rule="section_sum", severity="error",
                               column=rec.headers.get(field, field),
                               message=f"{what} ghi {_fmt(value)}, tổng các dòng là {_fmt(s)}."))
    return out

"""Reporting periods: exact start and end dates plus the label as people write it.

Two notations are understood:
- compact specs for the command line and the URL: ``2026-Q1``, ``2025-H1``, ``2020-9M``,
  ``2024``, ``2024-03``, ``2017-2019``, ``2020-01-01..2020-02-24``;
- Vietnamese labels as found in report titles: "Quý I năm 2026", "6 tháng đầu năm 2025",
  "9 tháng 2020", "Năm 2024", "Tháng 3/2024", "Từ ngày 15/12/2025 đến ngày 14/03/2026".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from data.text import fold

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
_ROMAN_TO_INT = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    label: str
    kind: str  # month | quarter | half | 9m | year | multi_year | custom

    @property
    def spec(self) -> str:
        """The compact spec that reproduces this period (used in URLs and CSV)."""
        s, e = self.start, self.end
        if self.kind == "month":
            return f"{s:%Y-%m}"
        if self.kind == "quarter":
            return f"{s.year}-Q{(s.month - 1) // 3 + 1}"
        if self.kind == "half":
            return f"{s.year}-H{1 if s.month == 1 else 2}"
        if self.kind == "9m":
            return f"{s.year}-9M"
        if self.kind == "year":
            return f"{s.year}"
        if self.kind == "multi_year":
            return f"{s.year}-{e.year}"
        return f"{s.isoformat()}..{e.isoformat()}"

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def month(year: int, month_no: int) -> Period:
    return Period(date(year, month_no, 1), _month_end(year, month_no), f"Tháng {month_no:02d}/{year}", "month")


def quarter(year: int, q: int) -> Period:
    m0 = 3 * (q - 1) + 1
    return Period(date(year, m0, 1), _month_end(year, m0 + 2), f"Quý {ROMAN[q]}/{year}", "quarter")


def half(year: int, h: int) -> Period:
    if h == 1:
        return Period(date(year, 1, 1), date(year, 6, 30), f"6 tháng đầu năm {year}", "half")
    return Period(date(year, 7, 1), date(year, 12, 31), f"6 tháng cuối năm {year}", "half")


def nine_months(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 9, 30), f"9 tháng đầu năm {year}", "9m")


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), f"Năm {year}", "year")


def years(first: int, last: int) -> Period:
    return Period(date(first, 1, 1), date(last, 12, 31), f"{first}-{last}", "multi_year")


def custom(start: date, end: date, label: str | None = None) -> Period:
    label = label or f"Từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}"
    return Period(start, end, label, "custom")


def classify(start: date, end: date, label: str | None = None) -> Period:
    """Build a Period from dates, recognising standard shapes; keeps ``label`` if given."""
    std: Period | None = None
    if start.day == 1 and end == _month_end(end.year, end.month) and start.year == end.year:
        months = end.month - start.month + 1
        if months == 1:
            std = month(start.year, start.month)
        elif months == 3 and start.month in (1, 4, 7, 10):
            std = quarter(start.year, (start.month - 1) // 3 + 1)
        elif months == 6 and start.month in (1, 7):
            std = half(start.year, 1 if start.month == 1 else 2)
        elif months == 9 and start.month == 1:
            std = nine_months(start.year)
        elif months == 12:
            std = year_period(start.year)
    elif start == date(start.year, 1, 1) and end == date(end.year, 12, 31):
        std = years(start.year, end.year)
    if std is None:
        return custom(start, end, label)
    return Period(std.start, std.end, label or std.label, std.kind)


_SPEC_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(\d{4})-q([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})-h([12])$"), "half"),
    (re.compile(r"^(\d{4})-9m$"), "9m"),
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "month"),
    (re.compile(r"^(\d{4})-(\d{4})$"), "multi_year"),
    (re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$"), "custom"),
]


def parse_spec(spec: str) -> Period:
    """Parse a compact period spec; raises ValueError with a Vietnamese message."""
    text = spec.strip().lower()
    for pattern, kind in _SPEC_PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        if kind == "quarter":
            return quarter(int(m[1]), int(m[2]))
        if kind == "half":
            return half(int(m[1]), int(m[2]))
        if kind == "9m":
            return nine_months(int(m[1]))
        if kind == "year":
            return year_period(int(m[1]))
        if kind == "month":
            if not 1 <= int(m[2]) <= 12:
                break
            return month(int(m[1]), int(m[2]))
        if kind == "multi_year":
            if int(m[2]) < int(m[1]):
                break
            return years(int(m[1]), int(m[2]))
        start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        if end < start:
            break
        return classify(start, end)
    raise ValueError(
        f"Kỳ báo cáo không hợp lệ: {spec!r}. Dùng dạng 2026-Q1, 2025-H1, 2020-9M, 2024, 2024-03, "
        "2017-2019 hoặc 2020-01-01..2020-02-24."
    )


_DATE = r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})"


def parse_vietnamese(text: str) -> Period | None:
    """Find a reporting period in a Vietnamese title line; None when there is none.

    Explicit dates ("Từ ngày 15/12/2025 đến ngày 14/3/2026") win over a named period,
    because official quarterly reports (Thông tư 01/2020/TT-VPCP) run from the 15th.
    """
    raw = " ".join(str(text).split())
    dates = re.findall(_DATE, raw)
    f = fold(raw)
    named = _parse_named(f)
    if len(dates) >= 2:
        (d1, m1, y1), (d2, m2, y2) = dates[0], dates[1]
        try:
            start, end = date(int(y1), int(m1), int(d1)), date(int(y2), int(m2), int(d2))
        except ValueError:
            return None
        label = named.label if named else None
        return classify(start, end, label) if end >= start else None
    return named


def _parse_named(f: str) -> Period | None:
    m = re.search(r"\bquy\s+(iv|iii|ii|i|[1-4])\b[^0-9]*(\d{4})", f)
    if m:
        q = _ROMAN_TO_INT.get(m[1]) or int(m[1])
        return quarter(int(m[2]), q)
    m = re.search(r"\b6 thang (dau|cuoi)?\s*nam (\d{4})", f)
    if m:
        return half(int(m[2]), 2 if m[1] == "cuoi" else 1)
    m = re.search(r"\b9 thang (?:dau )?(?:nam )?(\d{4})", f)
    if m:
        return nine_months(int(m[1]))
    m = re.search(r"\bthang\s+(\d{1,2})(?:\s+nam)?\s+(\d{4})", f)  # fold() turns "3/2024" into "3 2024"
    if m and 1 <= int(m[1]) <= 12:
        return month(int(m[2]), int(m[1]))
    m = re.search(r"\b(\d{4})\s*-\s*(\d{4})\b", f)
    if m and int(m[1]) <= int(m[2]):
        return years(int(m[1]), int(m[2]))
    m = re.search(r"\bnam\s+(\d{4})\b", f)
    if m:
        return year_period(int(m[1]))
    return None


def months_between(start: date, end: date) -> list[Period]:
    """All calendar months from the month of ``start`` to the month of ``end``."""
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(month(y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out

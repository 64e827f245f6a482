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

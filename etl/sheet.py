"""Cells, sheets and records: what the readers in etl/extract*.py produce."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from data.text import fold, nfc


@dataclass(frozen=True)
class UncomputedFormula:
    """A formula cell whose computed value the file does not store (written by a program)."""

    formula: str

    def __str__(self) -> str:
        return self.formula


@dataclass
class Sheet:
    name: str | None  # None for CSV
    rows: list[list[object]]
    row_numbers: list[int] = field(default_factory=list)  # as the user sees them (Excel row / CSV line)

    def __post_init__(self) -> None:
        if not self.row_numbers:
            self.row_numbers = list(range(1, len(self.rows) + 1))


@dataclass
class Record:
    """One subject and period from a file, values as written (not yet validated)."""

    file: str
    sheet: str | None
    row: int
    values: dict[str, object] = field(default_factory=dict)  # field -> raw cell value
    headers: dict[str, str] = field(default_factory=dict)  # field -> column header as written
    kind: str = "unit"  # unit | section | group | total (Biểu 06); template records are units
    section: str | None = None  # the section row's text this record belongs to (Biểu 06)
    level_hint: str | None = None  # department | district | commune, from the section (Biểu 06)

    def cell(self, name: str) -> str:
        """A text field as NFC text ('' when blank)."""
        return cell_text(self.values.get(name))


# --- cells ----------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A cell as NFC text; whole floats lose their '.0' (Excel numbers typed as codes)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_EXCEL_EPOCH = date(1899, 12, 30)


def to_date(value: object) -> date | None:
    """A date cell: an Excel date, an Excel serial number, dd/mm/yyyy or yyyy-mm-dd text.

    Raises ValueError for something that is not a date; None for a blank cell.
    """
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 20000 <= value <= 80000:
        return _EXCEL_EPOCH + timedelta(days=int(value))
    text = cell_text(value)
    m = re.fullmatch(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})", text)
    if m:
        return date(int(m[3]), int(m[2]), int(m[1]))
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?", text)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    raise ValueError(text)


def folded_cells(row: list[object]) -> list[str]:
    return [fold(cell_text(v)) if isinstance(v, str) else "" for v in row]

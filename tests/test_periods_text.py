"""Period specs and Vietnamese labels; Vietnamese text and number handling."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from data import periods
from data.text import fold, format_int, format_percent, name_key, nfc, parse_number


@pytest.mark.parametrize(
    ("spec", "start", "end", "label"),
    [
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "Quý I/2026"),
        ("2025-H1", date(2025, 1, 1), date(2025, 6, 30), "6 tháng đầu năm 2025"),
        ("2020-9M", date(2020, 1, 1), date(2020, 9, 30), "9 tháng đầu năm 2020"),
        ("2024", date(2024, 1, 1), date(2024, 12, 31), "Năm 2024"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "Tháng 02/2024"),
        ("2017-2019", date(2017, 1, 1), date(2019, 12, 31), "2017-2019"),
        ("2020-01-01..2020-02-24", date(2020, 1, 1), date(2020, 2, 24), "Từ 01/01/2020 đến 24/02/2020"),
    ],
)
def test_parse_spec(spec: str, start: date, end: date, label: str) -> None:
    p = periods.parse_spec(spec)
    assert (p.start, p.end, p.label) == (start, end, label)
    assert periods.parse_spec(p.spec) == p


@pytest.mark.parametrize("bad", ["2026-Q5", "2024-13", "2019-2017", "quý 1", ""])
def test_parse_spec_rejects_with_vietnamese_message(bad: str) -> None:
    with pytest.raises(ValueError, match="Kỳ báo cáo không hợp lệ"):
        periods.parse_spec(bad)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("Kỳ báo cáo: Quý I năm 2026", date(2026, 1, 1), date(2026, 3, 31)),
        ("Kỳ báo cáo: Quý I năm 2026 (Từ ngày 15/12/2025 đến ngày 14/3/2026)", date(2025, 12, 15), date(2026, 3, 14)),
        ("BÁO CÁO 6 THÁNG ĐẦU NĂM 2025", date(2025, 1, 1), date(2025, 6, 30)),
        ("9 tháng đầu năm 2020", date(2020, 1, 1), date(2020, 9, 30)),
        ("Tháng 3 năm 2024", date(2024, 3, 1), date(2024, 3, 31)),
        ("Năm 2019", date(2019, 1, 1), date(2019, 12, 31)),
    ],
)
def test_parse_vietnamese_titles(text: str, start: date, end: date) -> None:
    p = periods.parse_vietnamese(text)
    assert p is not None and (p.start, p.end) == (start, end)


def test_explicit_dates_keep_the_named_label() -> None:
    p = periods.parse_vietnamese("Quý I năm 2026 (Từ ngày 15/12/2025 đến ngày 14/3/2026)")
    assert p is not None and p.label == "Quý I/2026" and p.kind == "custom"


def test_text_keys() -> None:
    assert fold("Ðiện  Biên") == "dien bien"
    assert name_key(unicodedata.normalize("NFD", "UBND huyện Mường Ảng")) == "muongang"
    assert name_key("TP. Điện Biên Phủ") == name_key("Thành phố Điện Biên Phủ") == "dienbienphu"
    assert name_key("Sở Nội vụ") == "noivu"
    assert nfc(unicodedata.normalize("NFD", "Quảng Trị")) == "Quảng Trị"


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1.234", 1234), ("648.098", 648098), ("1.234.567", 1234567), (" 42 ", 42), ("8,39", 8.39), (17, 17),
     ("", None), ("-", None), (None, None)],
)
def test_parse_number(raw: object, value: float | None) -> None:
    assert parse_number(raw) == value


def test_parse_number_rejects_text() -> None:
    with pytest.raises(ValueError):
        parse_number("mười hai")


def test_vietnamese_formats() -> None:
    assert format_int(648098) == "648.098"
    assert format_percent(54346 / 648098) == "8,39 %"

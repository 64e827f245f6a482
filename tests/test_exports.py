"""Exports of a view: the PowerPoint deck opens with python-pptx and has the expected slides and
titles, the PNG images have their size, the Excel file reads back with the same numbers."""

from __future__ import annotations

import io
import shutil
import struct
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from components import exports
from components.deck import build_deck
from etl.cli import main

VIEW = {"scheme": "legacy", "unit": "11", "level": "district", "period": "2024-Q4"}
SEED_VIEW = {"scheme": "legacy", "unit": "11", "level": "district", "period": "2020-01-01..2020-02-24"}


@pytest.fixture(scope="module")
def db(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("exports") / "x.sqlite"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    assert main(["seed", "--db", url]) == 0
    assert main(["demo", "--provinces", "11", "--until", "2025-06", "--db", url]) == 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TTHC_DB_URL", url)
        yield url


@pytest.fixture(scope="module")
def deck(db: str):  # noqa: ANN201
    d = build_deck(VIEW, "/tien-do-giai-quyet")
    assert d is not None
    return d


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_deck_content_and_file_name(deck) -> None:  # noqa: ANN001
    assert [s.key for s in deck.slides] == ["kpis", "trend", "units-overdue_rate", "units-index766_timeliness",
                                            "heat-overdue_rate"]
    assert deck.unit == "Tỉnh Điện Biên" and deck.period == "Quý IV/2024"
    assert deck.file_name("pptx") == f"TTHC_tinh-dien-bien_quy-iv-2024_{date.today():%d-%m-%Y}.pptx"
    assert "Dữ liệu minh họa" in deck.source


def test_powerpoint_has_a_title_slide_and_one_chart_per_slide(deck) -> None:  # noqa: ANN001
    from pptx import Presentation

    prs = Presentation(io.BytesIO(exports.to_pptx(deck)))
    slides = list(prs.slides)
    assert len(slides) == 1 + len(deck.slides)
    assert slides[0].shapes.title.text == "Tiến độ giải quyết — Tỉnh Điện Biên"
    assert "Quý IV/2024" in slides[0].placeholders[1].text
    for slide, expected in zip(slides[1:], deck.slides, strict=True):
        texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
        pictures = [s for s in slide.shapes if s.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
        assert texts[0] == expected.title
        assert any("Tỉnh Điện Biên · Quý IV/2024 (01/10/2024 – 31/12/2024)" in t and "Dữ liệu minh họa" in t
                   for t in texts)
        assert len(pictures) == 1 and _png_size(pictures[0].image.blob) == (1600, 900)


def test_png_images_have_their_size(deck) -> None:  # noqa: ANN001
    with zipfile.ZipFile(io.BytesIO(exports.to_png_zip(deck))) as z:
        names = z.namelist()
        assert len(names) == len(deck.slides) and names[0].endswith("_01-kpis.png")
        assert all(_png_size(z.read(n)) == (1600, 900) for n in names)


def test_excel_reads_back_with_the_same_numbers(deck) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    data = exports.to_xlsx(deck)
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None)
    assert list(sheets)[0] == "Thông tin" and len(sheets) == 1 + len(deck.slides)
    for (name, back), slide in zip(list(sheets.items())[1:], deck.slides, strict=True):
        assert list(back.columns) == list(slide.table.columns), name
        for col in ("Tử số", "Mẫu số", "Tỷ lệ"):
            if col in back:
                pd.testing.assert_series_equal(back[col].astype(float), slide.table[col].astype(float),
                                               check_names=False)
    ws = load_workbook(io.BytesIO(data))[list(sheets)[1]]
    header = [c.value for c in ws[1]]
    row = [c for c in ws[2]]
    assert row[header.index("Tử số")].data_type == "n" and row[header.index("Tỷ lệ")].number_format == "0.00%"


def test_excel_of_the_seed_view_holds_the_document_figure(db: str) -> None:
    deck = build_deck(SEED_VIEW, "/tien-do-giai-quyet")
    sheets = pd.read_excel(io.BytesIO(exports.to_xlsx(deck)), sheet_name=None)
    units = list(sheets.values())[3]  # Thông tin, KPIs, trend, then overdue rate by district
    row = units[units["Đơn vị"] == "Thành phố Điện Biên Phủ"].iloc[0]
    assert (row["Tử số"], row["Mẫu số"]) == (2037, 2486) and round(row["Tỷ lệ"], 4) == 0.8194
    assert row["Loại số liệu"] == "Số liệu thật" and row["Nguồn"] == "seed_figures.csv"


def test_a_failed_export_says_why(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """No chromium on the server: the user reads a Vietnamese message, no broken file arrives."""
    from pages import _export

    def no_browser(*_a, **_k) -> bytes:  # noqa: ANN002, ANN003
        raise RuntimeError("chromium not found")

    monkeypatch.setattr(_export, "to_pptx", no_browser)
    steps: list = []
    data, message = _export._make("pptx", "?scheme=legacy&unit=11&period=2024-Q4", "/", steps.append)
    assert data is _export.no_update and "Chromium" in message and "apt-get install chromium" in message
    data, message = _export._make("xlsx", "?scheme=legacy&unit=11&period=2024-Q4", "/", steps.append)
    assert data["filename"].endswith(".xlsx") and message == "" and steps[-1] == (100, "Xong, đang tải tệp về")


def test_ranking_and_department_decks_carry_their_tables(db: str) -> None:
    """'Every table as Excel': the league table of the ranking page and the departments'
    procedure counts go into the deck and the workbook, numbers as numbers."""
    ranking = build_deck({"scheme": "legacy", "unit": "11", "level": "district", "period": "2024",
                          "metric": "overdue_rate"}, "/xep-hang")
    league = next(s for s in ranking.slides if s.key == "league-overdue_rate")
    assert list(league.table["Hạng"]) == list(range(1, 11))  # Điện Biên's ten districts
    assert set(league.table["Đánh giá"]) <= {"Đạt", "Gần đạt", "Chưa đạt"}
    assert "units-overdue_rate" not in [s.key for s in ranking.slides]
    depts = build_deck({"scheme": "legacy", "unit": "11", "period": "2024-Q4"}, "/so-nganh")
    assert depts.heading == "Sở, ngành — Tỉnh Điện Biên"
    counts = next(s for s in depts.slides if s.key == "departments-procedures").table
    book = pd.read_excel(io.BytesIO(exports.to_xlsx(depts)), sheet_name=None)
    back = list(book.values())[-1]
    assert list(back.columns) == ["Cơ quan", "Mã", "Số TTHC", "Công bố qua BCCI", "Trực tuyến"]
    assert back["Số TTHC"].tolist() == counts["Số TTHC"].tolist() and back["Số TTHC"].dtype.kind in "if"

"""Exports of a view: the PowerPoint deck opens with python-pptx and has the expected slides and
titles, the PNG images have their size, the Excel file reads back with the same numbers."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from components import exports
from components.deck import build_deck, change_text
from components.families import family_of
from components.lights import light_style
from components.view import load_view
from data import metrics
from data.text import format_int, format_percent
from tests.conftest import demo_database

VIEW = {"scheme": "legacy", "unit": "11", "level": "district", "period": "2024-Q4"}
SEED_VIEW = {"scheme": "legacy", "unit": "11", "level": "district", "period": "2020-01-01..2020-02-24"}


@pytest.fixture(scope="module")
def db(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = demo_database(template_db, tmp_path_factory.mktemp("exports"), "11", "2025-06")
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


def _charts(slide) -> list:  # noqa: ANN001
    return [s.chart for s in slide.shapes if s.has_chart]


def _pictures(slide) -> list:  # noqa: ANN001
    return [s for s in slide.shapes if s.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE


def _every_label_shown(chart) -> bool:  # noqa: ANN001
    from pptx.oxml.ns import qn

    skip = chart.category_axis._element.find(qn("c:tickLblSkip"))
    return skip is not None and skip.get("val") == "1"


def _worst_first(part: pd.DataFrame, metric_id: str) -> pd.DataFrame:
    """The page's order of units on a bar chart: who drags the figure down on top."""
    return part.sort_values(["value", "name"], ascending=[metrics.get(metric_id).higher_is_better, True])


def _shown_units(kids: pd.DataFrame, metric_id: str) -> pd.DataFrame:
    """The units a unit slide shows (the page's best_worst: all of them when ten or fewer), worst first."""
    m = metrics.get(metric_id)
    part = kids[kids["metric"] == metric_id].sort_values("value", ascending=not m.higher_is_better)
    return _worst_first(part if len(part) <= 10 else pd.concat([part.head(5), part.tail(5)]), metric_id)


def test_powerpoint_is_16_9_with_a_centred_title_and_native_charts(deck) -> None:  # noqa: ANN001
    from pptx import Presentation
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches

    prs = Presentation(io.BytesIO(exports.to_pptx(deck)))
    slides = list(prs.slides)
    assert (prs.slide_width, prs.slide_height) == (Inches(13.333), Inches(7.5))
    assert abs(prs.slide_width / prs.slide_height - 16 / 9) < 0.001
    assert len(slides) == 1 + len(deck.slides)
    title, sub = slides[0].shapes.title, slides[0].placeholders[1]
    assert title.text == "Tiến độ giải quyết — Tỉnh Điện Biên" and "Quý IV/2024" in sub.text
    for shape in (title, sub):  # centred on the 16:9 slide, the text too
        assert abs(shape.left + shape.width / 2 - prs.slide_width / 2) < Inches(0.02)
        assert all(p.alignment == PP_ALIGN.CENTER for p in shape.text_frame.paragraphs)
    for slide, expected in zip(slides[1:], deck.slides, strict=True):
        texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
        assert slide.shapes.title.text == expected.title
        assert any("Tỉnh Điện Biên · Quý IV/2024 (01/10/2024 – 31/12/2024)" in t and "Dữ liệu minh họa" in t
                   for t in texts)
        assert _pictures(slide) == []  # no chart as a picture
        if expected.key.startswith("heat-"):  # a heatmap is no PowerPoint chart type: a native table
            tables = [s.table for s in slide.shapes if s.has_table]
            assert len(tables) == 1 and tables[0].cell(0, 0).text == "Đơn vị"
        else:
            assert len(_charts(slide)) == 1, expected.key
        assert "Nguồn: Dữ liệu minh họa" in slide.notes_slide.notes_text_frame.text


def test_powerpoint_charts_hold_the_figures_of_the_page(db: str) -> None:
    """Bars: the page's units, the worst on top, every one labelled, each value the page's figure,
    coloured against the target in force (neutral without one); lines: the trend's quarters."""
    from pptx import Presentation
    from pptx.enum.chart import XL_CHART_TYPE

    params = {"scheme": "legacy", "unit": "11", "level": "district", "period": "2024-Q4"}
    view = load_view(params, "/")
    d = build_deck(params, "/")
    prs = Presentation(io.BytesIO(exports.to_pptx(d)))
    slides = dict(zip([s.key for s in d.slides], list(prs.slides)[1:], strict=True))
    for mid in ("online_intake_share", "postal_intake_share", "overdue_rate"):
        (chart,) = _charts(slides[f"units-{mid}"])
        shown = _shown_units(view.kids, mid)
        assert chart.chart_type == XL_CHART_TYPE.BAR_CLUSTERED and chart.category_axis.reverse_order
        assert list(chart.plots[0].categories) == shown["name"].tolist()
        assert list(chart.plots[0].series[0].values) == pytest.approx(shown["value"].tolist(), abs=1e-12)
        assert _every_label_shown(chart) and chart.plots[0].data_labels.number_format == "0.00 %"
        target = metrics.target_for(mid, view.per.end, "11")
        colours = [str(chart.plots[0].series[0].points[i].format.fill.fore_color.rgb) for i in range(len(shown))]
        expected = [light_style(metrics.get(mid).light(v, target.value if target else None)).color.lstrip("#").upper()
                    for v in shown["value"]]
        assert colours == expected
        notes = slides[f"units-{mid}"].notes_slide.notes_text_frame.text
        best = shown.iloc[0]
        assert (f"1. {best['name']}: {format_percent(best['value'])} "
                f"({format_int(best['numerator'])}/{format_int(best['denominator'])}") in notes
        assert ("Nghị quyết 76/NQ-CP" in notes) == (target is not None)
        assert "Nguồn: Dữ liệu minh họa, không phải số liệu thật." in notes
    assert {"DC3545"} <= set(colours_of(slides["units-online_intake_share"]))  # below the 50 % target: red
    assert set(colours_of(slides["units-overdue_rate"])) == {"5B7DB1"}  # no target: neutral
    (trend,) = _charts(slides["trend"])
    assert trend.chart_type in (XL_CHART_TYPE.LINE, XL_CHART_TYPE.LINE_MARKERS)  # the target has no markers
    online = view.trend[view.trend["metric"] == "online_intake_share"].sort_values("period_start").tail(12)
    assert list(trend.plots[0].categories)[-1] == "Quý IV/2024" and len(trend.plots[0].categories) == len(online)
    assert list(trend.plots[0].series[0].values) == pytest.approx(online["value"].tolist(), abs=1e-12)
    assert [s.name for s in trend.plots[0].series][-1] == "Mục tiêu 50 %"
    (kpis,) = _charts(slides["kpis"])
    cur = view.cur.set_index("metric")["value"]
    assert list(kpis.plots[0].series[0].values) == pytest.approx([cur[m] for m in family_of("/").kpis], abs=1e-12)
    notes = slides["kpis"].notes_slide.notes_text_frame.text
    row = view.cur.set_index("metric").loc["online_intake_share"]
    assert (f"Tỷ lệ hồ sơ nộp trực tuyến của Tỉnh Điện Biên Quý IV/2024: {format_percent(row['value'])} "
            f"({format_int(row['numerator'])}/{format_int(row['denominator'])} hồ sơ tiếp nhận trong kỳ)") in notes
    assert "mục tiêu ≥ 50 % (Nghị quyết 76/NQ-CP" in notes and "−" not in notes


def colours_of(slide) -> list[str]:  # noqa: ANN001
    (chart,) = _charts(slide)
    series = chart.plots[0].series[0]
    return [str(series.points[i].format.fill.fore_color.rgb) for i in range(len(list(series.values)))]


def test_ranking_deck_labels_every_unit_and_has_a_map_slide(db: str) -> None:
    """130 communes: every one on a ranking slide, each labelled (no skipped label, a readable
    font); the map as a picture with every province's figure in the notes."""
    from pptx import Presentation
    from pptx.util import Pt

    params = {"scheme": "legacy", "unit": "11", "level": "commune", "period": "2024-Q4", "metric": "overdue_rate"}
    view = load_view(params, "/xep-hang")
    d = build_deck(params, "/xep-hang")
    prs = Presentation(io.BytesIO(exports.to_pptx(d)))
    pairs = list(zip(d.slides, list(prs.slides)[1:], strict=True))
    league = [(s, p) for s, p in pairs if s.key.startswith("league-overdue_rate")]
    communes = view.kids[view.kids["metric"] == "overdue_rate"]
    assert len(communes) > 100 and len(league) == -(-len(communes) // 20)
    names: list[str] = []
    values: list[float] = []
    for _, slide in league:
        (chart,) = _charts(slide)
        assert _pictures(slide) == [] and _every_label_shown(chart)
        assert chart.category_axis.tick_labels.font.size >= Pt(9)
        names += list(chart.plots[0].categories)
        values += list(chart.plots[0].series[0].values)
    assert sorted(names) == sorted(communes["name"]) and len(names) == len(communes)
    assert values == sorted(values)  # lower is better: best first, across the slides
    by_name = communes.set_index("name")["value"]
    assert values == pytest.approx([by_name[n] for n in names], abs=1e-12)
    assert 0.0 in values  # the 0 % communes are there, labelled by the data labels
    (m_slide, m_pptx), = [(s, p) for s, p in pairs if s.key == "map-overdue_rate"]
    assert m_pptx.shapes.title.text == "Bản đồ: Tỷ lệ hồ sơ quá hạn theo tỉnh"
    (pic,) = _pictures(m_pptx)
    assert _png_size(pic.image.blob) == (900, 900) and _charts(m_pptx) == []
    notes = m_pptx.notes_slide.notes_text_frame.text
    own = next(r for _, r in m_slide.table.iterrows() if r["Mã"] == "11")
    assert f"Tỉnh Điện Biên: {format_percent(own['Tỷ lệ'])}" in notes and "Nguồn: Dữ liệu minh họa" in notes
    assert "Tỉnh Điện Biên" in "".join(s.text_frame.text for s in m_pptx.shapes if s.has_text_frame)
    assert all(_pictures(p) == [] for s, p in pairs if s.key != "map-overdue_rate")


def test_department_deck_is_native_bar_charts(db: str) -> None:
    from pptx import Presentation

    d = build_deck({"scheme": "legacy", "unit": "11", "period": "2024-Q4"}, "/so-nganh")
    prs = Presentation(io.BytesIO(exports.to_pptx(d)))
    for slide, p in zip(d.slides, list(prs.slides)[1:], strict=True):
        (chart,) = _charts(p)
        assert _every_label_shown(chart) and _pictures(p) == []
        if slide.key.startswith("departments-") and slide.key != "departments-procedures":
            shown = slide.table.rename(columns={"Đơn vị": "name", "Tỷ lệ": "value"})
            assert list(chart.plots[0].categories) == _worst_first(shown, slide.key.split("-", 1)[1])["name"].tolist()
    counts = next(s for s in d.slides if s.key == "departments-procedures").table
    (chart,) = _charts(list(prs.slides)[-1])
    assert list(chart.plots[0].categories) == counts["Cơ quan"].tolist()
    assert list(chart.plots[0].series[0].values) == counts["Số TTHC"].astype(float).tolist()
    assert chart.plots[0].data_labels.number_format == "#,##0"


def test_kpi_changes_carry_their_sign_in_the_arrow() -> None:
    assert change_text(0.42, 0.425) == ("▼ 0,5 điểm %", -0.5)
    assert change_text(0.43, 0.42)[0] == "▲ 1,0 điểm %" and change_text(0.42, 0.42)[0] == "■ 0,0 điểm %"


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
    assert row["Loại số liệu"] == "Số liệu thật"
    assert row["Nguồn"] == "Đẩy mạnh tuyên truyền về dịch vụ công trực tuyến (Báo Điện Biên Phủ), 24/02/2020"


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
    assert set(league.table["Đánh giá"]) == {"Chưa có mục tiêu"}  # no target for overdue dossiers: no verdict
    online = build_deck({"scheme": "legacy", "unit": "11", "level": "district", "period": "2024",
                         "metric": "online_intake_share"}, "/xep-hang")
    verdicts = next(s for s in online.slides if s.key == "league-online_intake_share").table["Đánh giá"]
    assert set(verdicts) <= {"Đạt", "Gần đạt", "Chưa đạt"}  # against the 50 % of Nghị quyết 76/NQ-CP
    assert "units-overdue_rate" not in [s.key for s in ranking.slides]
    depts = build_deck({"scheme": "legacy", "unit": "11", "period": "2024-Q4"}, "/so-nganh")
    assert depts.heading == "Sở, ngành — Tỉnh Điện Biên"
    counts = next(s for s in depts.slides if s.key == "departments-procedures").table
    book = pd.read_excel(io.BytesIO(exports.to_xlsx(depts)), sheet_name=None)
    back = list(book.values())[-1]
    assert list(back.columns) == ["Cơ quan", "Mã", "Số TTHC", "Công bố qua BCCI", "Trực tuyến"]
    assert back["Số TTHC"].tolist() == counts["Số TTHC"].tolist() and back["Số TTHC"].dtype.kind in "if"


def test_excel_sheet_names_are_meaningful_and_columns_fit_the_names(db: str) -> None:
    """Sheet names within Excel's 31 characters, without []:*?/\\, unique, saying what they hold;
    every column at least as wide as its longest text (the unit names)."""
    from openpyxl import load_workbook

    decks = [build_deck({"scheme": "legacy", "unit": "11", "level": "commune", "period": "2024-Q4",
                         "metric": "overdue_rate"}, "/xep-hang"),
             build_deck({"scheme": "legacy", "unit": "11", "period": "2024-Q4"}, "/so-nganh"),
             build_deck(VIEW, "/tien-do-giai-quyet")]
    for d in decks:
        book = load_workbook(io.BytesIO(exports.to_xlsx(d)))
        titles = book.sheetnames
        assert len(titles) == len(set(titles)) == 1 + sum(s.table is not None for s in d.slides)
        assert all(len(t) <= 31 and not set(t) & set("[]:*?/\\") for t in titles)
        assert titles[1:] == [s.sheet for s in d.slides if s.table is not None]  # the deck's own names, not cut
        for ws in book.worksheets:
            header = [c.value for c in ws[1]]
            for j, col in enumerate(header, start=1):
                letter = ws.cell(1, j).column_letter
                texts = [str(c.value) for c in ws[letter][1:] if isinstance(c.value, str)]
                assert ws.column_dimensions[letter].width >= max([len(col), *map(len, texts)]), (ws.title, col)
    ranking = load_workbook(io.BytesIO(exports.to_xlsx(decks[0])))
    assert {"HS quá hạn xếp hạng", "HS quá hạn bản đồ tỉnh", "HS nộp trực tuyến theo xã"} <= set(ranking.sheetnames)
    league = ranking["HS quá hạn xếp hạng"]
    table = next(s.table for s in decks[0].slides if s.key == "league-overdue_rate")
    assert league.max_row == 1 + len(table) > 100  # all communes in one sheet


def test_sheet_names_are_cut_and_made_unique() -> None:
    used: set[str] = set()
    long = "Tỷ lệ TTHC cung cấp trực tuyến: mức 3/4 [toàn trình]"
    first, second = exports.sheet_name(long, used), exports.sheet_name(long, used)
    assert len(first) <= 31 and len(second) <= 31 and first != second and second.endswith("(2)")
    assert not set(first + second) & set("[]:*?/\\")

"""Reading import files without a database: encodings, sheets, the template's headers and periods,
the Biểu 06 header, title and rows as people really draw them, and the per-cell rules."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from etl import validate as V
from etl.extract import UnreadableFile, detect_layout, read_sheets
from etl.extract_form06 import COUNT_FIELDS, find_header, parse_form06, section_level
from etl.extract_template import TEMPLATE_COLUMNS, parse_template, template_period
from etl.resolve import _agency_variants, written_kind
from etl.sheet import Record, Sheet, UncomputedFormula
from etl.template import REFERENCE
from tests.files import (
    FORM06_HEADER,
    cp1258,
    dien_bien_form06_body,
    form06_rows,
    sum_rows,
    unit_row,
    write_form06,
    write_form06_csv,
)

# --- files ------------------------------------------------------------------------------------


def test_csv_with_bom_semicolons_and_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("\ufeffMã tỉnh;Tên đơn vị;Ghi chú\n11;Mường Nhé;\"hai\ndòng\"\n11;Mường Ảng;x\n".encode())
    (sheet,) = read_sheets(path)
    assert sheet.name is None
    assert sheet.rows == [["Mã tỉnh", "Tên đơn vị", "Ghi chú"], ["11", "Mường Nhé", "hai\ndòng"],
                          ["11", "Mường Ảng", "x"]]
    assert sheet.row_numbers == [1, 2, 4]  # the line where each row starts, as an editor shows it


def test_windows_1258_csv_is_read_as_nfc(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(cp1258("Tên đơn vị,Kỳ báo cáo\nSở Nội vụ,2024\n"))
    (sheet,) = read_sheets(path)
    assert sheet.rows[1][0] == "Sở Nội vụ" and unicodedata.is_normalized("NFC", sheet.rows[1][0])


@pytest.mark.parametrize(
    ("name", "content", "rule"),
    [
        ("a.csv", "Name,City\nMüller,Zürich\nJosé,Málaga\n".encode("latin-1"), "encoding"),
        ("a.csv", "Tên đơn vị\nMường Nhé\n".encode("utf-16"), "encoding"),
        ("a.csv", b"\x00\x01\x02binary" * 20, "not_spreadsheet"),
        ("a.csv", b"PK\x03\x04" + bytes(100), "not_spreadsheet"),
        ("a.csv", b"  \r\n", "empty_file"),
        ("a.xlsx", b"not a zip at all", "not_spreadsheet"),
        ("a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "not_spreadsheet"),
        ("a.ods", b"something", "not_spreadsheet"),
    ],
)
def test_unreadable_files_raise_one_line(tmp_path: Path, name: str, content: bytes, rule: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFile) as exc:
        read_sheets(path)
    assert exc.value.rule == rule
    assert str(exc.value).startswith(f"{name}: ") and "\n" not in str(exc.value)


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(UnreadableFile) as exc:
        read_sheets(path)
    assert exc.value.rule == "not_spreadsheet" and "không mở được tệp Excel" in str(exc.value)


def test_xlsx_merged_text_is_spread_numbers_are_not(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Tổng cộng", None, 5, None])
    ws.append([None, None, None, "=C1*2"])  # a formula written by a program: no computed value stored
    ws.merge_cells("A1:B1")
    ws.merge_cells("C1:D1")
    hidden = wb.create_sheet("old")
    hidden.append(["kept out"])
    hidden.sheet_state = "hidden"
    wb.save(tmp_path / "m.xlsx")
    (sheet,) = read_sheets(tmp_path / "m.xlsx")
    assert sheet.name == "Sheet"
    assert sheet.rows[0] == ["Tổng cộng", "Tổng cộng", 5, None]
    assert sheet.rows[1][3] == UncomputedFormula("=C1*2")


def test_layouts_are_recognised(tmp_path: Path) -> None:
    sheets = read_sheets(REFERENCE / "mau_nhap_lieu.xlsx")
    assert [(s.name, detect_layout(s)) for s in sheets] == [("Số liệu", "template"), ("Hướng dẫn", None)]
    (csv_sheet,) = read_sheets(REFERENCE / "mau_nhap_lieu.csv")
    assert [h for h in csv_sheet.rows[0]] == [h for _, h in TEMPLATE_COLUMNS]
    assert detect_layout(csv_sheet) == "template"
    assert detect_layout(read_sheets(write_form06(tmp_path / "b.xlsx", dien_bien_form06_body()))[0]) == "form06"
    assert detect_layout(Sheet(None, [["Họ tên", "Tuổi"], ["A", "1"]])) is None


# --- the template -----------------------------------------------------------------------------


def test_template_headers_are_matched_loosely() -> None:
    header = [unicodedata.normalize("NFD", "MÃ TỈNH"), "ten don vi", "Kỳ  báo cáo", "Từ ngày (dd/mm/yyyy)",
              "Đến ngày", "Tiếp nhận – trực tuyến", "received_carried", "Ghi chú", "Mã tỉnh"]
    sheet = Sheet("S", [["Báo cáo quý"], header, ["11", "Mường Nhé", "2024-Q1", None, None, "1.234", 5, "x", "12"],
                        [None] * 9])
    records, problems = parse_template("f.xlsx", sheet)
    assert problems == [("unknown_column", "warning", "Ghi chú", 2), ("duplicate_column", "error", "Mã tỉnh", 2)]
    (rec,) = records
    assert rec.row == 3
    assert rec.values == {"province_code": "11", "unit_name": "Mường Nhé", "period": "2024-Q1", "date_from": None,
                          "date_to": None, "received_online": "1.234", "received_carried": 5}
    assert rec.headers["received_online"] == "Tiếp nhận – trực tuyến"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"period": "2026-Q1"}, (date(2026, 1, 1), date(2026, 3, 31), "Quý I/2026")),
        ({"period": "Quý II năm 2024"}, (date(2024, 4, 1), date(2024, 6, 30), "Quý II/2024")),
        ({"period": "Tháng 3/2024"}, (date(2024, 3, 1), date(2024, 3, 31), "Tháng 03/2024")),
        ({"period": 2024}, (date(2024, 1, 1), date(2024, 12, 31), "Năm 2024")),
        ({"period": datetime(2024, 3, 1)}, (date(2024, 3, 1), date(2024, 3, 31), "Tháng 03/2024")),  # Excel's "2024-03"
        ({"period": "2026-Q1", "date_from": "15/12/2025", "date_to": datetime(2026, 3, 14)},
         (date(2025, 12, 15), date(2026, 3, 14), "Quý I/2026")),
        ({"date_from": 45292, "date_to": "2024-01-31"}, (date(2024, 1, 1), date(2024, 1, 31), "Tháng 01/2024")),
    ],
)
def test_template_period(values: dict, expected: tuple) -> None:
    per, problem, _ = template_period(Record("f", None, 2, values=values))
    assert problem is None and (per.start, per.end, per.label) == expected


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({}, "period", "thiếu kỳ báo cáo"),
        ({"period": "quý năm"}, "period", "không hiểu được kỳ báo cáo 'quý năm'"),
        ({"period": "2024", "date_from": "32/01/2024", "date_to": "01/02/2024"}, "date_from", "'32/01/2024'"),
        ({"date_from": "01/02/2024"}, "date_to", "cả 'Từ ngày' và 'Đến ngày'"),
        ({"date_from": "01/02/2024", "date_to": "01/01/2024"}, "date_to", "trước từ ngày"),
    ],
)
def test_template_period_problems(values: dict, field: str, words: str) -> None:
    per, problem, where = template_period(Record("f", None, 2, values=values))
    assert per is None and where == field and words in problem


# --- Biểu số 06 -------------------------------------------------------------------------------


@pytest.mark.parametrize("numbering", ["plain", "formula", "numbers", "none"])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_form06_header_found_by_content(tmp_path: Path, numbering: str, fmt: str) -> None:
    write = write_form06 if fmt == "xlsx" else write_form06_csv
    path = write(tmp_path / f"b.{fmt}", dien_bien_form06_body(), numbering=numbering)
    (sheet,) = read_sheets(path)
    form = parse_form06(path.name, sheet)
    h = form.header
    assert h.columns == dict(zip(COUNT_FIELDS, range(2, 13), strict=True))
    assert (h.stt_col, h.name_col) == (0, 1)
    assert h.labels["received_direct_postal"].endswith("Trực tiếp, dịch vụ bưu chính")
    assert h.labels["pending_within"].startswith("(12) " if numbering != "none" else "Số hồ sơ đang giải quyết")
    first = (9 if numbering != "none" else 8) + (fmt == "csv")  # CSV: line numbers (the title has a 2-line cell)
    assert [(r.row, r.kind, r.level_hint) for r in form.records] == [
        (first, "section", "department"), (first + 1, "unit", "department"), (first + 2, "unit", "department"),
        (first + 3, "section", "district"), (first + 4, "unit", "district"), (first + 5, "unit", "district"),
        (first + 6, "section", "commune"), (first + 7, "unit", "commune"), (first + 8, "total", None)]
    nhe = form.records[4]
    assert nhe.cell("unit_name") == "UBND huyện Mường Nhé" and nhe.section == "II. Cấp huyện"
    expected = 263 if fmt == "xlsx" else "263"
    assert (nhe.values["received_total"], nhe.values["settled_overdue"]) == (expected, 229 if fmt == "xlsx" else "229")
    assert (form.period.start, form.period.end) == (date(2024, 1, 1), date(2024, 3, 31))
    assert form.province_texts[0] == ("tinh dien bien", 1) and form.problems == []


def test_form06_columns_follow_the_header_text_not_the_position() -> None:
    # a variant that puts "Từ kỳ trước" before the channels and "Quá hạn" before "Trong hạn"
    header = [list(FORM06_HEADER),
              [None, None, "Tổng số", "Số kỳ trước chuyển qua", "Số mới tiếp nhận", None, "Tổng số", "Trả trước hạn",
               "Trả đúng thời hạn", "Trả quá hạn", "Tổng số", "Quá hạn", "Chưa đến hạn"],
              [None, None, None, None, "Trực tuyến", "Trực tiếp hoặc dịch vụ bưu chính", None, None, None, None,
               None, None, None],
              [f"({i})" for i in range(1, 14)]]
    rows = [["UBND TỈNH ĐIỆN BIÊN"], ["Kỳ báo cáo: Năm 2024"], *header, [1, "Sở Nội vụ", 10, 1, 2, 7, 9, 1, 1, 7, 1, 1, 0]]
    h = find_header(Sheet("S", rows))
    assert [f for f, _ in sorted(h.columns.items(), key=lambda kv: kv[1])] == [
        "received_total", "received_carried", "received_online", "received_direct_postal", "settled_total",
        "settled_early", "settled_on_time", "settled_overdue", "pending_total", "pending_overdue", "pending_within"]


def test_form06_title_lines() -> None:
    body = [unit_row(1, "Công an tỉnh", 1, 1, 0, 1, 1, 0, 0, 0)]
    rows = form06_rows(body, province="ỦY BAN NHÂN DÂN TỈNH ĐIỆN BIÊN\nVĂN PHÒNG", period="Kỳ báo cáo: Quý I năm 2026",
                       period_dates="(Từ ngày 15/12/2025 đến ngày 14/3/2026)")
    form = parse_form06("b.xlsx", Sheet("S", rows))
    assert form.province_texts[0] == ("tinh dien bien", 1)
    assert (form.period.start, form.period.end, form.period.label, form.period_row) == \
        (date(2025, 12, 15), date(2026, 3, 14), "Quý I/2026", 3)
    assert [(r.kind, r.cell("unit_name")) for r in form.records] == [("unit", "Công an tỉnh")]  # not a total


def test_form06_period_not_taken_from_signature_or_legal_basis() -> None:
    rows = form06_rows([unit_row(1, "Sở Nội vụ", 1, 1, 0, 1, 1, 0, 0, 0)], period="Điện Biên, ngày 20 tháng 3 năm 2026")
    form = parse_form06("b.xlsx", Sheet("S", rows))
    assert form.period is None and "không tìm thấy kỳ báo cáo" in form.problems[0]
    rows = form06_rows([], period="BÁO CÁO QUÝ III NĂM 2024")
    assert parse_form06("b.xlsx", Sheet("S", rows)).period.label == "Quý III/2024"


def test_form06_sections_groups_totals_and_signature() -> None:
    nhe = [unit_row(1, "Xã Mường Nhé", 1, 10, 0, 5, 5, 0, 1, 0)]
    body = [
        ["Tổng cộng", None, *sum_rows("", nhe)[2:]],  # label written in the STT column (merged A:B)
        ["A", "Các sở, ban, ngành", *[None] * 11],
        unit_row(1, "Sở Nội vụ", 1, 1, 0, 1, 1, 0, 0, 0),
        ["B", "UBND các huyện, thị xã, thành phố", *[None] * 11],
        ["C", "UBND các xã, phường, thị trấn", *[None] * 11],
        sum_rows("Huyện Mường Nhé", nhe, 1), *nhe,
        [None, None, None, None, None, None, None, None, "Nguyễn Văn A"],  # a name in a count column
    ]
    rows = form06_rows(body)
    rows.insert(rows.index(body[-1]), [None, "Người lập biểu", None, None, None, None, None, None, "Thủ trưởng"])
    form = parse_form06("b.xlsx", Sheet("S", rows))
    assert [(r.kind, r.level_hint, r.cell("unit_name")) for r in form.records] == [
        ("total", None, "Tổng cộng"), ("unit", None, "Các sở, ban, ngành"), ("unit", None, "Sở Nội vụ"),
        ("unit", None, "UBND các huyện, thị xã, thành phố"), ("unit", None, "UBND các xã, phường, thị trấn"),
        ("unit", None, "Huyện Mường Nhé"), ("unit", None, "Xã Mường Nhé")]
    # lettered headings are not sections; Roman-numbered ones are
    body[1][0], body[3][0], body[4][0] = "I", "II", "III"
    form = parse_form06("b.xlsx", Sheet("S", form06_rows(body[:-1])))
    assert [(r.kind, r.level_hint) for r in form.records] == [
        ("total", None), ("section", "department"), ("unit", "department"), ("section", "district"),
        ("section", "commune"), ("group", "commune"), ("unit", "commune")]


@pytest.mark.parametrize(
    ("text", "level"),
    [("I. Cấp tỉnh", "department"), ("Các Sở, ban, ngành", "department"), ("II. CẤP HUYỆN", "district"),
     ("UBND các huyện, thị xã, thành phố", "district"), ("III. Cấp xã", "commune"),
     ("UBND các xã, phường, thị trấn", "commune"), ("IV. Khác", None)],
)
def test_section_level(text: str, level: str | None) -> None:
    assert section_level(text) == level


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [("UBND huyện Mường Nhé", "huyện"), ("Xã Mường Nhé", "xã"), ("TP. Ðiện Biên Phủ", "thành phố"),
     ("Thị xã Mường Lay", "thị xã"), ("THỊ TRẤN MƯỜNG ẢNG", "thị trấn"), ("Mường Nhé", None),
     (unicodedata.normalize("NFD", "Phường 1"), "phường")],
)
def test_written_kind(text: str, kind: str | None) -> None:
    assert written_kind(text) == kind


def test_agency_variants() -> None:
    assert "sgddt" in _agency_variants("Sở GD&ĐT", "dien bien")
    assert "so noi vu" in _agency_variants("Sở Nội vụ tỉnh Điện Biên", "dien bien")
    assert "cong an tinh" in _agency_variants("Công an tỉnh Điện Biên", "dien bien")
    assert "van phong uy ban nhan dan tinh" in _agency_variants("Văn phòng UBND tỉnh", "dien bien")
    assert "trung tam phuc vu hanh chinh cong tinh" in _agency_variants("Trung tâm Phục vụ hành chính công", "x")


# --- per-cell and per-row rules ---------------------------------------------------------------

_REC = Record("f.csv", None, 7, headers={"received_online": "Tiếp nhận - trực tuyến"})


@pytest.mark.parametrize(
    ("raw", "value"),
    [(12, 12), (12.0, 12), ("1.234", 1234), ("1.234.567", 1234567), (" 45 ", 45), ("-", None), ("", None),
     (None, None), (float("nan"), None), ("0", 0)],
)
def test_counts_accepted(raw: object, value: int | None) -> None:
    assert V.parse_count(raw, _REC, "received_online") == (value, None)


@pytest.mark.parametrize(
    ("raw", "rule", "words"),
    [(-1, "negative", "ghi -1"), ("-3", "negative", "ghi -3"), ("abc", "not_a_number", "'abc'"),
     ("12 hồ sơ", "not_a_number", "'12 hồ sơ'"), (1.5, "not_whole", "1.5"), ("8,5", "not_whole", "8,5"),
     (datetime(2024, 3, 1), "not_a_number", "01/03/2024"), (True, "not_a_number", "True"),
     (UncomputedFormula("=SUM(C9:C12)"), "formula_no_value", "=SUM(C9:C12)")],
)
def test_counts_refused(raw: object, rule: str, words: str) -> None:
    value, problem = V.parse_count(raw, _REC, "received_online")
    assert value is None
    assert (problem.rule, problem.severity, problem.row, problem.column) == (rule, "error", 7, "Tiếp nhận - trực tuyến")
    assert words in problem.message


def test_record_rules() -> None:
    good = {"received_total": 10, "received_online": 3, "received_direct_postal": 5, "received_carried": 2,
            "settled_total": 6, "settled_early": 1, "settled_on_time": 4, "settled_overdue": 1,
            "pending_total": 4, "pending_within": 4, "pending_overdue": 0, "returned_total": 6, "returned_postal": 2,
            "procedures_total": 100, "online_level3": 40, "online_level4": 50}
    assert V.record_findings(good, _REC) == []
    unknown = {**good, "received_carried": None, "received_total": 999}  # a part unknown: no sum to check
    assert [f.rule for f in V.record_findings(unknown, _REC)] == ["balance"]
    findings = V.record_findings({**good, "pending_total": 5, "pending_within": 5, "online_level4": 61}, _REC)
    assert [(f.rule, f.severity) for f in findings] == [("balance", "warning"),
                                                         ("offer_levels_exceed_total", "warning")]
    assert "10" in findings[0].message and "11" in findings[0].message


def test_rule_registry_is_complete() -> None:
    for rule, (severity, text) in V.RULES.items():
        assert severity in ("error", "warning") and text, rule


def test_period_sanity() -> None:
    from data.periods import parse_spec

    today = date(2026, 11, 22)
    assert V.period_findings(parse_spec("2026-Q3"), _REC, today=today) == []
    assert [f.rule for f in V.period_findings(parse_spec("2026-Q4"), _REC, today=today)] == ["period_open"]
    assert [f.rule for f in V.period_findings(parse_spec("2027"), _REC, today=today)] == ["period_future"]
    assert [f.rule for f in V.period_findings(parse_spec("2014-2016"), _REC, today=today)] == ["period_too_old"]
    (f,) = V.period_findings(parse_spec("2026-Q4"), _REC, today=today)
    assert f.severity == "warning" and "01/10/2026 - 31/12/2026" in f.message

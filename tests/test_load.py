"""Importing files: good files load with their exact numbers; bad files are refused whole,
with the row and column named, and the database unchanged."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from data.schema import FIGURE_TABLES, dossier_stat, finding, load_batch, unit
from etl.cli import main
from etl.load import load_file
from tests.files import (
    GOOD_ROW,
    dien_bien_form06_body,
    sum_rows,
    unit_row,
    write_form06,
    write_template_csv,
    write_template_xlsx,
)


def _state(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (*FIGURE_TABLES, load_batch, finding))


def _stored(engine: Engine, unit_name: str) -> dict:
    with engine.connect() as conn:
        row = conn.execute(
            select(dossier_stat).join(unit, unit.c.id == dossier_stat.c.unit_id).where(unit.c.name == unit_name)
        ).mappings().one()
    return dict(row)


def _rejected(engine: Engine, path: Path) -> list:
    before = _state(engine)
    res = load_file(engine, path)
    assert res.status == "rejected"
    assert _state(engine) == before  # nothing stored, not even a batch
    return res.errors


# --- good files -----------------------------------------------------------------------------


def test_template_csv_loads_exact_numbers(engine: Engine, tmp_path: Path) -> None:
    res = load_file(engine, write_template_csv(tmp_path / "q1.csv", [GOOD_ROW]))
    assert res.status == "loaded" and res.rows == 1
    r = _stored(engine, "Huyện Mường Nhé")
    assert r["received_online"] == 1234  # "1.234" written as text
    assert r["received_direct_postal"] == 325 and r["received_postal"] == 25
    assert r["received_total"] == 1569  # computed from its parts
    assert r["settled_total"] == 1369 and r["pending_total"] == 200
    assert r["source_ref"] == "q1.csv!!2"


def test_template_postal_left_empty_stays_unknown(engine: Engine, tmp_path: Path) -> None:
    row = {**GOOD_ROW, "received_postal": ""}
    load_file(engine, write_template_csv(tmp_path / "q1.csv", [row]))
    r = _stored(engine, "Huyện Mường Nhé")
    assert r["received_direct_postal"] == 300 and r["received_postal"] is None  # never guessed


def test_template_xlsx_with_nfd_upper_case_and_lookalike(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {**GOOD_ROW, "unit_name": unicodedata.normalize("NFD", "UBND HUYỆN MƯỜNG NHÉ")},
        {**GOOD_ROW, "unit_name": "TP. Ðiện Biên Phủ"},  # U+00D0 look-alike
        {**GOOD_ROW, "unit_name": "", "agency": "SỞ NỘI VỤ"},
    ]
    res = load_file(engine, write_template_xlsx(tmp_path / "q1.xlsx", rows))
    assert res.status == "loaded" and res.rows == 3, [str(f) for f in res.findings]
    assert _stored(engine, "Thành phố Điện Biên Phủ")["received_online"] == 1234
    assert _stored(engine, "Tỉnh Điện Biên")["agency_id"] is not None


def test_template_2025_units(engine: Engine, tmp_path: Path) -> None:
    row = {**GOOD_ROW, "province_code": "44", "unit_name": "Phường Đồng Hới", "period": "2026-Q1"}
    res = load_file(engine, write_template_csv(tmp_path / "new.csv", [row]))
    assert res.status == "loaded"
    with engine.connect() as conn:
        scheme = conn.execute(select(unit.c.scheme).join(dossier_stat, dossier_stat.c.unit_id == unit.c.id)).scalar()
    assert scheme == "2025"


def test_form06_loads_units_of_every_section(engine: Engine, tmp_path: Path) -> None:
    res = load_file(engine, write_form06(tmp_path / "bieu06.xlsx", dien_bien_form06_body()))
    assert res.status == "loaded", [str(f) for f in res.findings]
    assert res.rows == 5
    r = _stored(engine, "Thành phố Điện Biên Phủ")
    assert (r["received_total"], r["received_online"], r["received_direct_postal"]) == (2486, 400, 2086)
    assert r["received_postal"] is None  # the official form merges postal with direct
    assert r["settled_overdue"] == 2037
    assert _stored(engine, "Xã Mường Lói")["received_carried"] == 1


def test_form06_period_from_explicit_dates(engine: Engine, tmp_path: Path) -> None:
    path = write_form06(tmp_path / "b.xlsx", dien_bien_form06_body(),
                        period="Kỳ báo cáo: Quý I năm 2024 (Từ ngày 15/12/2023 đến ngày 14/3/2024)")
    assert load_file(engine, path).status == "loaded"
    from data.schema import period

    with engine.connect() as conn:
        starts = conn.execute(select(period.c.start_date, period.c.label)).all()
    assert any(str(s) == "2023-12-15" and lbl == "Quý I/2024" for s, lbl in starts)


def test_same_file_twice_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write_template_csv(tmp_path / "q1.csv", [GOOD_ROW])
    assert load_file(engine, path).status == "loaded"
    before = _state(engine)
    assert load_file(engine, path).status == "unchanged"
    assert _state(engine) == before


def test_corrected_file_replaces_its_earlier_batch(engine: Engine, tmp_path: Path) -> None:
    path = write_template_csv(tmp_path / "q1.csv", [GOOD_ROW])
    first = load_file(engine, path)
    write_template_csv(path, [{**GOOD_ROW, "received_online": 1000}])
    second = load_file(engine, path)
    assert second.status == "replaced" and second.replaced_batch_id == first.batch_id
    assert _stored(engine, "Huyện Mường Nhé")["received_online"] == 1000  # one row, the new one
    with engine.connect() as conn:
        statuses = conn.execute(select(load_batch.c.status).order_by(load_batch.c.id)).scalars().all()
    assert statuses == ["replaced", "active"]


def test_warning_loads_with_a_finding(engine: Engine, tmp_path: Path) -> None:
    row = {**GOOD_ROW, "received_total": 1600}  # parts give 1569; settled + pending = 1569
    row["received_carried"] = 41  # now received parts sum to 1600 but balance differs: warning
    res = load_file(engine, write_template_csv(tmp_path / "w.csv", [row]))
    assert res.status == "loaded"
    assert [f.rule for f in res.findings] == ["balance"]
    with engine.connect() as conn:
        stored = conn.execute(select(finding.c.rule, finding.c.row)).all()
    assert stored == [("balance", 2)]


# --- defective files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "rule", "column"),
    [
        ({"settled_overdue": -5}, "negative", "Đã giải quyết - quá hạn"),
        ({"received_online": "mười"}, "not_a_number", "Tiếp nhận - trực tuyến"),
        ({"received_total": 999}, "received_sum", "Tiếp nhận - tổng số"),
        ({"settled_total": 1}, "settled_sum", "Đã giải quyết - tổng số"),
        ({"pending_total": 7}, "pending_sum", "Đang giải quyết - tổng số"),
        ({"returned_postal": 5000}, "returned_postal_le_returned_total", "Trả kết quả - qua bưu chính công ích"),
        ({"unit_name": "Huyện Không Có"}, "unknown_unit", "Tên đơn vị"),
        ({"agency": "Sở Vũ Trụ", "unit_name": ""}, "unknown_agency", "Cơ quan"),
        ({"period": ""}, "period", "Kỳ báo cáo"),
        ({"period": "2099-Q1"}, "period", "Kỳ báo cáo"),
        ({"period": "quý năm"}, "period", "Kỳ báo cáo"),
    ],
)
def test_bad_template_row_is_refused_with_row_and_column(engine: Engine, tmp_path: Path, change: dict,
                                                         rule: str, column: str) -> None:
    rows = [{**GOOD_ROW, "unit_name": "Thành phố Điện Biên Phủ"}, {**GOOD_ROW, **change}]
    errors = _rejected(engine, write_template_csv(tmp_path / "bad.csv", rows))
    assert [(e.rule, e.row, e.column) for e in errors] == [(rule, 3, column)]
    assert errors[0].message and "bad.csv" in str(errors[0])


def test_every_problem_is_listed(engine: Engine, tmp_path: Path) -> None:
    rows = [{**GOOD_ROW, "settled_overdue": -1}, {**GOOD_ROW, "unit_name": "Mường Ảng", "received_online": "x"}]
    errors = _rejected(engine, write_template_csv(tmp_path / "bad.csv", rows))
    assert {(e.rule, e.row) for e in errors} == {("negative", 2), ("not_a_number", 3)}


def test_unknown_unit_gets_a_suggestion(engine: Engine, tmp_path: Path) -> None:
    errors = _rejected(engine, write_template_csv(tmp_path / "bad.csv", [{**GOOD_ROW, "unit_name": "Mường Nhét"}]))
    assert "Huyện Mường Nhé" in errors[0].message


def test_duplicate_rows_name_both_rows(engine: Engine, tmp_path: Path) -> None:
    errors = _rejected(engine, write_template_csv(tmp_path / "dup.csv", [GOOD_ROW, GOOD_ROW]))
    assert [(e.rule, e.row) for e in errors] == [("duplicate", 3)] and "dòng 2" in errors[0].message


def test_form06_wrong_total_row(engine: Engine, tmp_path: Path) -> None:
    body = dien_bien_form06_body()
    body[-1][10] += 1  # Tổng cộng: in progress, total and within deadline (consistent in the row)
    body[-1][11] += 1
    errors = _rejected(engine, write_form06(tmp_path / "b.xlsx", body))
    total_row = 8 + len(body)  # 4 title rows, 3 header rows, the numbering row
    assert [(e.rule, e.row, e.column[:4]) for e in errors] == [("section_sum", total_row, "(11)"),
                                                                ("section_sum", total_row, "(12)")]
    assert errors[0].sheet == "Biểu 06" and "Tổng cộng" in errors[0].message


def test_form06_wrong_section_and_unknown_unit(engine: Engine, tmp_path: Path) -> None:
    depts = [unit_row(1, "Sở Nội vụ", 20, 30, 5, 30, 20, 2, 3, 0), unit_row(2, "Sở Hải Quân", 1, 1, 0, 1, 1, 0, 0, 0)]
    section = sum_rows("I. Cấp tỉnh", depts, "I")
    section[3] += 2
    errors = _rejected(engine, write_form06(tmp_path / "b.xlsx", [section, *depts]))
    assert {e.rule for e in errors} == {"section_sum", "unknown_agency", "received_sum"}


def test_form06_missing_period(engine: Engine, tmp_path: Path) -> None:
    errors = _rejected(engine, write_form06(tmp_path / "b.xlsx", dien_bien_form06_body(), period="Báo cáo định kỳ"))
    assert errors[0].rule == "title" and "kỳ báo cáo" in errors[0].message


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("empty.csv", b"", "tệp rỗng"),
        ("blank.csv", b"\n \n", "tệp rỗng"),
        ("image.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(200), "không phải tệp Excel"),
        ("random.xlsx", bytes(range(256)) * 4, "không phải tệp Excel"),
        ("legacy.csv", "Mã đơn vị,Kỳ báo cáo,Tên đơn vị\n,2024-Q1,Mường Nhé\n".encode("utf-16"), "CSV"),
        ("latin1.csv", "Name,Period\nMüller,2024\nJosé,2024\n".encode("latin-1"), "mã hóa"),
        ("notes.csv", "ghi chú,không phải biểu\n1,2\n".encode(), "không nhận ra mẫu biểu"),
        ("report.pdf", b"%PDF-1.4", "chỉ nhận tệp"),
    ],
)
def test_unreadable_files_get_one_clear_line(engine: Engine, tmp_path: Path, name: str, content: bytes,
                                             words: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    errors = _rejected(engine, path)
    assert len(errors) == 1 and words in str(errors[0]), str(errors[0])
    assert str(errors[0]).count("\n") == 0


def _cp1258(text: str) -> bytes:
    """Windows-1258: letters with circumflex/breve/horn precomposed, tone marks combining."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", ch)
            shape = "".join(m for m in marks if m in "\u0302\u0306\u031b")
            tones = "".join(m for m in marks if m not in shape)
            out += unicodedata.normalize("NFC", base + shape).encode("cp1258") + tones.encode("cp1258")
    return out


def test_legacy_windows_vietnamese_csv_is_accepted(engine: Engine, tmp_path: Path) -> None:
    path = write_template_csv(tmp_path / "cp1258.csv", [GOOD_ROW])
    path.write_bytes(_cp1258(path.read_text(encoding="utf-8")))  # as old Excel saves "CSV" on Vietnamese Windows
    res = load_file(engine, path)
    assert res.status == "loaded", [str(f) for f in res.findings]
    assert _stored(engine, "Huyện Mường Nhé")["received_online"] == 1234


def test_cli_refuses_bad_file_without_traceback(capsys: pytest.CaptureFixture[str], db_url: str,
                                                tmp_path: Path) -> None:
    good = write_template_csv(tmp_path / "good.csv", [GOOD_ROW])
    bad = write_template_csv(tmp_path / "bad.csv", [{**GOOD_ROW, "settled_overdue": -3}])
    assert main(["load", str(good), str(bad), "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert "good.csv: đã nạp 1 dòng" in err
    assert "bad.csv: BỊ TỪ CHỐI, 1 lỗi" in err and "dòng 2" in err and "Traceback" not in err

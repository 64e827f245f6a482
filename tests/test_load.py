"""Importing files: good files load with their exact numbers; bad files are refused whole,
with the row and column named, and the database unchanged."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, func, select

from data.schema import (
    FIGURE_TABLES,
    agency,
    dossier_stat,
    finding,
    load_batch,
    period,
    procedure_offer,
    unit,
)
from etl.cli import main
from etl.load import load_file
from etl.template import REFERENCE
from tests.files import (
    GOOD_ROW,
    cp1258,
    dien_bien_form06_body,
    sum_rows,
    unit_row,
    write_form06,
    write_form06_csv,
    write_template_csv,
    write_template_xlsx,
)


def _state(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (*FIGURE_TABLES, load_batch, finding))


def _stored(engine: Engine, unit_name: str, scheme: str | None = None) -> dict:
    q = (select(dossier_stat).join(unit, unit.c.id == dossier_stat.c.unit_id)
         .join(load_batch, load_batch.c.id == dossier_stat.c.batch_id)  # a replaced batch keeps its rows
         .where(unit.c.name == unit_name, dossier_stat.c.agency_id.is_(None), load_batch.c.status == "active"))
    if scheme:
        q = q.where(unit.c.scheme == scheme)
    with engine.connect() as conn:
        return dict(conn.execute(q).mappings().one())


def _stored_agency(engine: Engine, agency_name: str) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(dossier_stat).join(agency, agency.c.id == dossier_stat.c.agency_id)
                                 .where(agency.c.name == agency_name)).mappings().one())


def _loaded(engine: Engine, path: Path) -> object:
    res = load_file(engine, path)
    assert res.status in ("loaded", "replaced"), [str(f) for f in res.findings]
    return res


def _rejected(engine: Engine, path: Path) -> list:
    before = _state(engine)
    res = load_file(engine, path)
    assert res.status == "rejected", [str(f) for f in res.findings]
    assert _state(engine) == before  # nothing stored, not even a batch
    assert res.errors
    return res.errors


# --- the project's template -----------------------------------------------------------------


def test_template_csv_loads_exact_numbers(engine: Engine, tmp_path: Path) -> None:
    res = _loaded(engine, write_template_csv(tmp_path / "q1.csv", [GOOD_ROW]))
    assert res.rows == 1 and res.findings == []
    r = _stored(engine, "Huyện Mường Nhé")
    assert r["received_online"] == 1234  # "1.234" written as text
    assert r["received_direct_postal"] == 325 and r["received_postal"] == 25
    assert r["received_carried"] == 10
    assert r["received_total"] == 1569  # computed from its parts
    assert (r["settled_early"], r["settled_on_time"], r["settled_overdue"], r["settled_total"]) == (800, 500, 69, 1369)
    assert (r["pending_within"], r["pending_overdue"], r["pending_total"]) == (150, 50, 200)
    assert (r["returned_total"], r["returned_postal"]) == (1369, 400)
    assert r["scope"] == "own" and r["source_ref"] == "q1.csv!!2"
    with engine.connect() as conn:
        p = conn.execute(select(period).where(period.c.id == r["period_id"])).mappings().one()
        b = conn.execute(select(load_batch)).mappings().one()
    assert (str(p["start_date"]), str(p["end_date"])) == ("2024-01-01", "2024-03-31")
    assert (b["kind"], b["dataset"], b["file_name"], b["status"], b["rows"]) == ("file", "real", "q1.csv", "active", 1)
    assert len(b["sha256"]) == 64


def test_template_postal_left_empty_stays_unknown(engine: Engine, tmp_path: Path) -> None:
    _loaded(engine, write_template_csv(tmp_path / "q1.csv", [{**GOOD_ROW, "received_postal": ""}]))
    r = _stored(engine, "Huyện Mường Nhé")
    assert r["received_direct_postal"] == 300 and r["received_postal"] is None  # never guessed
    assert r["received_total"] == 1544


def test_template_xlsx_with_nfd_upper_case_prefixes_and_lookalike(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {**GOOD_ROW, "unit_name": unicodedata.normalize("NFD", "UBND HUYỆN MƯỜNG NHÉ")},
        {**GOOD_ROW, "unit_name": "TP. Ðiện Biên Phủ", "received_online": 7},  # U+00D0 look-alike
        {**GOOD_ROW, "unit_name": "Xã Mường Nhé", "received_online": 8},  # not the district of that name
        {**GOOD_ROW, "unit_name": "", "agency": "SỞ NỘI VỤ", "received_online": 9},
        {**GOOD_ROW, "unit_name": "", "agency": "Sở GD&ĐT", "received_online": 10},  # abbreviation
        {**GOOD_ROW, "unit_name": "Tỉnh Điện Biên", "agency": "Văn phòng UBND tỉnh", "received_online": 11},
    ]
    res = _loaded(engine, write_template_xlsx(tmp_path / "q1.xlsx", rows))
    assert res.rows == 6
    assert _stored(engine, "Huyện Mường Nhé")["received_online"] == 1234
    assert _stored(engine, "Thành phố Điện Biên Phủ")["received_online"] == 7
    assert _stored(engine, "Xã Mường Nhé", "legacy")["received_online"] == 8
    noi_vu = _stored_agency(engine, "Sở Nội vụ")
    assert noi_vu["received_online"] == 9 and noi_vu["source_ref"] == "q1.xlsx!Sheet!5"
    assert _stored_agency(engine, "Sở Giáo dục và Đào tạo")["received_online"] == 10
    assert _stored_agency(engine, "Văn phòng Ủy ban nhân dân tỉnh")["received_online"] == 11


def test_template_codes_scheme_2025_and_procedure_offers(engine: Engine, tmp_path: Path) -> None:
    rows = [
        {**GOOD_ROW, "province_code": "", "unit_name": "", "unit_code": "03160", "period": "2026-Q1"},
        {"province_code": "11.0", "unit_code": 94, "period": "2024", "received_online": 5},  # Excel dropped the 0
        {"province_code": 11, "unit_name": "Phường Mường Lay", "period": "2025", "received_online": 6},  # ends in 2025 units
        {"province_code": "44", "period": "Quý I năm 2026", "scope": "total", "procedures_total": 1890,
         "bcci_published": "1.500", "online_partial": 900, "online_full": 700},
    ]
    _loaded(engine, write_template_xlsx(tmp_path / "codes.xlsx", rows))
    assert _stored(engine, "Xã Mường Nhé", "2025")["received_online"] == 1234
    assert _stored(engine, "Thành phố Điện Biên Phủ")["received_online"] == 5
    assert _stored(engine, "Phường Mường Lay", "2025")["received_online"] == 6
    with engine.connect() as conn:
        offer = conn.execute(select(procedure_offer, unit.c.name, unit.c.scheme)
                             .join(unit, unit.c.id == procedure_offer.c.unit_id)).mappings().one()
        n_dossier_rows = conn.execute(select(func.count()).select_from(dossier_stat)).scalar_one()
    assert (offer["name"], offer["scheme"], offer["scope"]) == ("Tỉnh Quảng Trị", "2025", "total")
    assert (offer["procedures_total"], offer["bcci_published"], offer["online_partial"], offer["online_full"]) == \
        (1890, 1500, 900, 700)
    assert offer["online_level3"] is None
    assert n_dossier_rows == 3  # the offer-only row has no dossier figures


def test_shipped_blank_templates_filled_in_load(engine: Engine, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(REFERENCE / "mau_nhap_lieu.xlsx")
    assert wb.sheetnames == ["Số liệu", "Hướng dẫn"]
    ws = wb["Số liệu"]
    headers = [c.value for c in ws[1]]
    ws.append([{"Mã tỉnh": "11", "Tên đơn vị": "Huyện Mường Ảng", "Kỳ báo cáo": "2024-H1",
                "Tiếp nhận - trực tuyến": 12, "Tiếp nhận - trực tiếp": 30}.get(h) for h in headers])
    wb.save(tmp_path / "mau.xlsx")
    _loaded(engine, tmp_path / "mau.xlsx")  # the "Hướng dẫn" sheet is not read as data
    assert _stored(engine, "Huyện Mường Ảng")["received_direct_postal"] == 30
    text = (REFERENCE / "mau_nhap_lieu.csv").read_text(encoding="utf-8-sig")
    (tmp_path / "mau.csv").write_text(text.strip() + "\n,11,,Mường Ảng,,,2024-H2,,,,,40\n", encoding="utf-8")
    _loaded(engine, tmp_path / "mau.csv")
    with engine.connect() as conn:
        values = conn.execute(select(dossier_stat.c.received_online).order_by(dossier_stat.c.id)).scalars().all()
    assert values == [12, 40]


def test_template_exact_dates_and_semicolons(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "dates.csv"
    path.write_text("Mã tỉnh;Tên đơn vị;Kỳ báo cáo;Từ ngày;Đến ngày;Tiếp nhận - trực tuyến\n"
                    "11;Mường Ảng;Quý I năm 2024;15/12/2023;14/03/2024;33\n", encoding="utf-8")
    _loaded(engine, path)
    with engine.connect() as conn:
        p = conn.execute(select(period)).mappings().one()
    assert (str(p["start_date"]), str(p["end_date"]), p["label"]) == ("2023-12-15", "2024-03-14", "Quý I/2024")


# --- Biểu số 06/VPCP/KSTT -------------------------------------------------------------------


def test_form06_xlsx_loads_units_of_every_section(engine: Engine, tmp_path: Path) -> None:
    res = _loaded(engine, write_form06(tmp_path / "bieu06.xlsx", dien_bien_form06_body()))
    assert res.rows == 5 and res.findings == []
    r = _stored(engine, "Thành phố Điện Biên Phủ")
    assert (r["received_total"], r["received_online"], r["received_direct_postal"], r["received_carried"]) == \
        (2486, 400, 2086, 0)
    assert r["received_postal"] is None  # the official form merges postal with direct
    assert (r["settled_total"], r["settled_early"], r["settled_on_time"], r["settled_overdue"]) == (2437, 200, 200, 2037)
    assert (r["pending_total"], r["pending_within"], r["pending_overdue"]) == (49, 49, 0)
    assert r["source_ref"] == "bieu06.xlsx!Biểu 06!14"
    assert _stored(engine, "Huyện Mường Nhé")["received_direct_postal"] == 253
    assert _stored(engine, "Xã Mường Lói")["received_carried"] == 1
    assert _stored_agency(engine, "Sở Y tế")["received_online"] == 100  # "SỞ Y TẾ"
    with engine.connect() as conn:  # section and "Tổng cộng" rows are checked, not stored
        assert conn.execute(select(func.count()).select_from(dossier_stat)).scalar_one() == 5


def test_form06_csv_with_formula_numbering_and_dates_on_their_own_row(engine: Engine, tmp_path: Path) -> None:
    path = write_form06_csv(tmp_path / "bieu06.csv", dien_bien_form06_body(), numbering="formula",
                            period="Kỳ báo cáo: Quý II năm 2024",
                            period_dates="(Từ ngày 15/03/2024 đến ngày 14/06/2024)")
    res = _loaded(engine, path)
    assert res.rows == 5
    r = _stored(engine, "Huyện Mường Nhé")
    assert (r["received_total"], r["settled_overdue"], r["source_ref"]) == (263, 229, "bieu06.csv!!14")
    with engine.connect() as conn:
        p = conn.execute(select(period)).mappings().one()
    assert (str(p["start_date"]), str(p["end_date"]), p["label"]) == ("2024-03-15", "2024-06-14", "Quý II/2024")


def test_form06_2025_scheme_communes_and_agencies(engine: Engine, tmp_path: Path) -> None:
    depts = [unit_row(1, "Sở KH&CN", 40, 10, 0, 30, 15, 0, 5, 0),
             unit_row(2, "Công an tỉnh Điện Biên", 500, 100, 20, 400, 200, 0, 20, 0)]
    communes = [unit_row(1, unicodedata.normalize("NFD", "PHƯỜNG ĐIỆN BIÊN PHỦ"), 300, 200, 10, 300, 200, 0, 10, 0),
                unit_row(2, "UBND xã Mường Nhé", 5, 50, 0, 20, 30, 0, 5, 0)]
    body = [sum_rows("Tổng cộng", depts + communes), sum_rows("I. Cấp tỉnh", depts, "I"), *depts,
            sum_rows("II. Cấp xã", communes, "II"), *communes]  # total first, as many provinces write it
    path = write_form06(tmp_path / "q1-2026.xlsx", body,
                        period="Kỳ báo cáo: Quý I năm 2026 (Từ ngày 15/12/2025 đến ngày 14/3/2026)")
    assert _loaded(engine, path).rows == 4
    assert _stored(engine, "Phường Điện Biên Phủ", "2025")["received_online"] == 300
    assert _stored(engine, "Xã Mường Nhé", "2025")["received_direct_postal"] == 50
    assert _stored_agency(engine, "Sở Khoa học và Công nghệ")["received_online"] == 40
    assert _stored_agency(engine, "Công an tỉnh")["received_carried"] == 20
    with engine.connect() as conn:
        schemes = set(conn.execute(select(unit.c.scheme).join(dossier_stat, dossier_stat.c.unit_id == unit.c.id))
                      .scalars())
    assert schemes == {"2025"}


def test_form06_communes_grouped_by_district(engine: Engine, tmp_path: Path) -> None:
    nhe = [unit_row(1, "Xã Mường Nhé", 1, 10, 0, 5, 5, 0, 1, 0), unit_row(2, "Xã Sín Thầu", 2, 20, 0, 10, 10, 1, 1, 0)]
    ang = [unit_row(1, "Thị trấn Mường Ảng", 3, 30, 0, 20, 10, 0, 3, 0)]
    body = [sum_rows("III. Cấp xã", nhe + ang, "III"), sum_rows("Huyện Mường Nhé", nhe, 1), *nhe,
            sum_rows("Huyện Mường Ảng", ang, 2), *ang]
    assert _loaded(engine, write_form06(tmp_path / "xa.xlsx", body)).rows == 3
    assert _stored(engine, "Xã Mường Nhé", "legacy")["received_direct_postal"] == 10
    assert _stored(engine, "Thị trấn Mường Ảng")["received_online"] == 3
    with engine.connect() as conn:  # the district sub-totals are not stored as district figures
        n = conn.execute(select(func.count()).select_from(dossier_stat).join(unit, unit.c.id == dossier_stat.c.unit_id)
                         .where(unit.c.level == "district")).scalar_one()
    assert n == 0
    body[1][3] += 1  # wrong sub-total of Huyện Mường Nhé
    errors = _rejected(engine, write_form06(tmp_path / "xa.xlsx", body))
    assert [(e.rule, e.row, e.column[:3]) for e in errors] == [("received_sum", 10, "(3)"), ("section_sum", 10, "(4)")]


def test_form06_of_a_district_with_a_code_column(engine: Engine, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["UBND HUYỆN MƯỜNG NHÉ"])
    ws.append(["Kỳ báo cáo: 6 tháng đầu năm 2024"])
    ws.append(["STT", "Mã đơn vị", "Đơn vị", "Số hồ sơ nhận giải quyết", None, None, None, "Số hồ sơ đã giải quyết",
               None, None, None, "Số hồ sơ đang giải quyết", None, None])
    ws.append([None, None, None, "Tổng số", "Trực tuyến", "Trực tiếp, dịch vụ bưu chính", "Từ kỳ trước", "Tổng số",
               "Trước hạn", "Đúng hạn", "Quá hạn", "Tổng số", "Trong hạn", "Quá hạn"])
    for r in ("D3:G3", "H3:K3", "L3:N3"):
        ws.merge_cells(r)
    ws.append([1, "03160", "Mường Nhé", 11, 1, 10, 0, 10, 5, 5, 0, 1, 1, 0])
    ws.append([2, None, "Sín Thầu", 22, 2, 20, 0, 20, 10, 9, 1, 2, 2, 0])
    wb.save(tmp_path / "nhe.xlsx")
    assert _loaded(engine, tmp_path / "nhe.xlsx").rows == 2
    assert _stored(engine, "Xã Mường Nhé", "legacy")["received_direct_postal"] == 10
    assert _stored(engine, "Xã Sín Thầu", "legacy")["settled_overdue"] == 1


def test_form06_section_without_units_loads_with_a_warning(engine: Engine, tmp_path: Path) -> None:
    depts = [unit_row(1, "Sở Nội vụ", 20, 30, 5, 30, 20, 2, 3, 0)]
    communes = sum_rows("III. Cấp xã", [unit_row(1, "x", 1, 2, 3, 4, 1, 0, 1, 0)], "III")
    body = [sum_rows("I. Cấp tỉnh", depts, "I"), *depts, communes,
            sum_rows("Tổng cộng", [sum_rows("", depts), communes])]
    res = _loaded(engine, write_form06(tmp_path / "b.xlsx", body))
    assert res.rows == 1 and [(f.rule, f.row) for f in res.findings] == [("section_not_stored", 11)]


# --- loading again --------------------------------------------------------------------------


def test_same_file_twice_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write_form06(tmp_path / "b.xlsx", dien_bien_form06_body())
    first = _loaded(engine, path)
    before = _state(engine)
    again = load_file(engine, path)
    assert (again.status, again.batch_id) == ("unchanged", first.batch_id)
    assert _state(engine) == before


def test_corrected_file_replaces_its_earlier_batch(engine: Engine, tmp_path: Path) -> None:
    path = write_template_csv(tmp_path / "q1.csv", [{**GOOD_ROW, "received_total": 1600, "received_carried": 41}])
    first = _loaded(engine, path)
    assert [f.rule for f in first.findings] == ["balance"]
    write_template_csv(path, [{**GOOD_ROW, "received_online": 1000, "received_carried": 244}])  # still 1.569
    second = load_file(engine, path)
    assert second.status == "replaced" and second.replaced_batch_id == first.batch_id
    assert _stored(engine, "Huyện Mường Nhé")["received_online"] == 1000  # one row, the new one
    with engine.connect() as conn:
        batches = conn.execute(select(load_batch.c.id, load_batch.c.status, load_batch.c.replaced_by)
                               .order_by(load_batch.c.id)).all()
        findings = conn.execute(select(func.count()).select_from(finding).join(
            load_batch, load_batch.c.id == finding.c.batch_id).where(load_batch.c.status == "active")).scalar_one()
    assert batches == [(first.batch_id, "replaced", second.batch_id), (second.batch_id, "active", None)]
    assert findings == 0  # the old batch's warning is no longer shown (its rows stay for a rollback)


def test_warnings_are_stored_as_findings(engine: Engine, tmp_path: Path) -> None:
    row = {**GOOD_ROW, "received_total": 1600, "received_carried": 41}  # received 1600, settled + pending 1569
    path = tmp_path / "w.csv"
    write_template_csv(path, [row])
    path.write_text(path.read_text(encoding="utf-8").replace("Kỳ báo cáo", "Kỳ báo cáo,Ghi chú", 1)
                    .replace("2024-Q1", "2024-Q1,ok", 1), encoding="utf-8")
    res = _loaded(engine, path)
    with engine.connect() as conn:
        stored = conn.execute(select(finding.c.rule, finding.c.severity, finding.c.row, finding.c.column,
                                     finding.c.unit_id.isnot(None), finding.c.batch_id)).all()
    assert sorted(stored) == [("balance", "warning", 2, "Tiếp nhận - tổng số", True, res.batch_id),
                              ("unknown_column", "warning", 1, "Ghi chú", False, res.batch_id)]


# --- defective files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "rule", "column"),
    [
        ({"settled_overdue": -5}, "negative", "Đã giải quyết - quá hạn"),
        ({"received_online": "mười"}, "not_a_number", "Tiếp nhận - trực tuyến"),
        ({"received_online": 12.5}, "not_whole", "Tiếp nhận - trực tuyến"),
        ({"received_total": 999}, "received_sum", "Tiếp nhận - tổng số"),
        ({"settled_total": 1}, "settled_sum", "Đã giải quyết - tổng số"),
        ({"pending_total": 7}, "pending_sum", "Đang giải quyết - tổng số"),
        ({"returned_postal": 5000}, "returned_postal_le_returned_total", "Trả kết quả - qua bưu chính công ích"),
        ({"procedures_total": 10, "bcci_published": 11}, "offer_exceeds_total", "TTHC công bố qua bưu chính công ích"),
        ({"unit_name": "Huyện Không Có"}, "unknown_unit", "Tên đơn vị"),
        ({"unit_name": "", "unit_code": "99999"}, "unknown_unit", "Mã đơn vị"),
        ({"unit_name": "", "unit_code": "001"}, "unit_outside_province", "Mã đơn vị"),
        ({"agency": "Sở Vũ Trụ", "unit_name": ""}, "unknown_agency", "Cơ quan"),
        ({"agency": "Sở Nông nghiệp và Môi trường", "unit_name": ""}, "agency_not_in_period", "Cơ quan"),
        ({"agency": "Sở Nội vụ"}, "agency_with_unit", "Cơ quan"),
        ({"period": ""}, "period_missing", "Kỳ báo cáo"),
        ({"period": "2099-Q1"}, "period_future", "Kỳ báo cáo"),
        ({"period": "2012"}, "period_too_old", "Kỳ báo cáo"),
        ({"period": "quý năm"}, "period_invalid", "Kỳ báo cáo"),
        ({"date_from": "15/03/2024", "date_to": "14/12/2023"}, "period_invalid", "Đến ngày"),
        ({"scope": "một phần"}, "scope", "Phạm vi"),
        ({"scheme": "2025"}, "scheme", "Hệ thống đơn vị"),  # 2024-Q1 is before 01/07/2025
        ({"received_online": "12345678901234"}, "too_large", "Tiếp nhận - trực tuyến"),
    ],
)
def test_bad_template_row_is_refused_with_row_and_column(engine: Engine, tmp_path: Path, change: dict,
                                                         rule: str, column: str) -> None:
    rows = [{**GOOD_ROW, "unit_name": "Thành phố Điện Biên Phủ"}, {**GOOD_ROW, **change}]
    errors = _rejected(engine, write_template_csv(tmp_path / "bad.csv", rows))
    assert [(e.rule, e.row, e.column) for e in errors] == [(rule, 3, column)]
    assert "bad.csv" in str(errors[0]) and "dòng 3" in str(errors[0])


def test_every_problem_is_listed(engine: Engine, tmp_path: Path) -> None:
    rows = [{**GOOD_ROW, "settled_overdue": -1}, {**GOOD_ROW, "unit_name": "Mường Ảng", "received_online": "x"},
            {**GOOD_ROW, "unit_name": "Mường Chà", "period": ""}]
    errors = _rejected(engine, write_template_csv(tmp_path / "bad.csv", rows))
    assert {(e.rule, e.row) for e in errors} == {("negative", 2), ("not_a_number", 3), ("period_missing", 4)}
    assert "'x'" in next(e.message for e in errors if e.rule == "not_a_number")  # the text is quoted


def test_the_same_problem_on_many_rows_is_reported_on_each_row(engine: Engine, tmp_path: Path) -> None:
    # subjects and periods are understood once per distinct value; findings must still name each row
    rows = [{**GOOD_ROW, "unit_name": "Mường Nhét", "period": p} for p in ("2024-Q1", "2024-Q2")]
    rows += [{**GOOD_ROW, "unit_name": "Mường Nhét", "period": "2024-Q1"}, {**GOOD_ROW, "period": "quý năm"},
             {**GOOD_ROW, "unit_name": "Mường Ảng", "period": "quý năm"}]
    errors = _rejected(engine, write_template_csv(tmp_path / "bad.csv", rows))
    assert [(e.rule, e.row) for e in errors] == [("unknown_unit", 2), ("unknown_unit", 3), ("unknown_unit", 4),
                                                  ("period_invalid", 5), ("period_invalid", 6)]
    assert len({e.message for e in errors if e.rule == "unknown_unit"}) == 1


def test_larger_template_file_streams_with_exact_values(engine: Engine, tmp_path: Path) -> None:
    # 96 districts x 30 months: above the progress-bar threshold, rows read and released one by one
    with engine.connect() as conn:
        codes = conn.execute(select(unit.c.code).where(unit.c.scheme == "legacy", unit.c.level == "district")
                             .order_by(unit.c.code).limit(96)).scalars().all()
    months = [f"{y}-{m:02d}" for y in (2022, 2023, 2024) for m in range(1, 13)][:30]
    rows = [{"unit_code": c, "period": m, "received_online": i, "received_direct": 7, "received_carried": 1,
             "settled_early": i, "settled_on_time": 8, "settled_overdue": 0, "pending_within": 0, "pending_overdue": 0}
            for m in months for i, c in enumerate(codes)]
    res = load_file(engine, write_template_csv(tmp_path / "big.csv", rows))
    assert res.status == "loaded" and res.rows == 2880, [str(f) for f in res.findings[:5]]
    with engine.connect() as conn:
        got = conn.execute(select(dossier_stat.c.source_ref, dossier_stat.c.received_total, unit.c.code)
                           .join(unit, unit.c.id == dossier_stat.c.unit_id)
                           .where(dossier_stat.c.source_ref == "big.csv!!2881")).one()
        n_periods = conn.execute(select(func.count(func.distinct(dossier_stat.c.period_id)))).scalar_one()
    assert got == ("big.csv!!2881", 95 + 7 + 1, codes[95]) and n_periods == 30


def test_unknown_unit_gets_suggestions(engine: Engine, tmp_path: Path) -> None:
    errors = _rejected(engine, write_template_csv(tmp_path / "bad.csv", [{**GOOD_ROW, "unit_name": "Mường Nhét"}]))
    assert "Huyện Mường Nhé" in errors[0].message and "Tỉnh Điện Biên" in errors[0].message


def test_ambiguous_name_lists_the_candidates(engine: Engine, tmp_path: Path) -> None:
    errors = _rejected(engine, write_template_csv(tmp_path / "amb.csv", [
        {**GOOD_ROW, "province_code": "", "unit_name": "Huyện Châu Thành"}]))
    assert [e.rule for e in errors] == ["ambiguous_unit"]
    assert "10 đơn vị" in errors[0].message and "Huyện Châu Thành (mã" in errors[0].message


def test_duplicate_rows_name_both_rows(engine: Engine, tmp_path: Path) -> None:
    dup = {**GOOD_ROW, "unit_name": "", "unit_code": "096"}  # the same district by code
    errors = _rejected(engine, write_template_csv(tmp_path / "dup.csv", [GOOD_ROW, GOOD_ROW | {"unit_name": "x"}, dup]))
    dups = [e for e in errors if e.rule == "duplicate"]
    assert [(e.row, e.column) for e in dups] == [(4, "Tên đơn vị")]
    assert "Dòng 4" in dups[0].message and "dòng 2" in dups[0].message and "Huyện Mường Nhé" in dups[0].message


def test_uncomputed_formula_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = write_template_xlsx(tmp_path / "f.xlsx", [{**GOOD_ROW, "received_total": "=L2+M2+N2"}])
    errors = _rejected(engine, path)
    assert [(e.rule, e.row, e.column) for e in errors] == [("formula_no_value", 2, "Tiếp nhận - tổng số")]


def test_form06_wrong_total_row(engine: Engine, tmp_path: Path) -> None:
    body = dien_bien_form06_body()
    body[-1][10] += 1  # Tổng cộng: in progress, total and within deadline (consistent in the row)
    body[-1][11] += 1
    errors = _rejected(engine, write_form06(tmp_path / "b.xlsx", body))
    total_row = 8 + len(body)  # 4 title rows, 3 header rows, the numbering row
    assert [(e.rule, e.row, e.column) for e in errors] == [
        ("section_sum", total_row, "(11) Số hồ sơ đang giải quyết / Tổng số"),
        ("section_sum", total_row, "(12) Số hồ sơ đang giải quyết / Trong hạn")]
    assert errors[0].sheet == "Biểu 06" and "Tổng cộng" in errors[0].message


@pytest.mark.parametrize(
    ("row", "col", "value", "rule"),
    [(2, 4, -3, "negative"), (2, 5, "năm", "not_a_number"), (2, 2, 56, "received_sum"),
     (2, 6, 52, "settled_sum"), (5, 10, 4, "pending_sum")],
)
def test_form06_defective_unit_row(engine: Engine, tmp_path: Path, row: int, col: int, value: object,
                                   rule: str) -> None:
    body = dien_bien_form06_body()
    body[row][col] = value
    errors = _rejected(engine, write_form06(tmp_path / "b.xlsx", body))
    first = errors[0]
    assert (first.rule, first.row) == (rule, 9 + row)
    assert first.column.startswith(f"({col + 1})")


def test_form06_wrong_section_unknown_agency_and_unknown_unit(engine: Engine, tmp_path: Path) -> None:
    depts = [unit_row(1, "Sở Nội vụ", 20, 30, 5, 30, 20, 2, 3, 0), unit_row(2, "Sở Hải Quân", 1, 1, 0, 1, 1, 0, 0, 0)]
    districts = [unit_row(1, "Huyện Mường Nhẽo", 1, 1, 0, 1, 1, 0, 0, 0)]
    section = sum_rows("I. Cấp tỉnh", depts, "I")
    section[3] += 2
    errors = _rejected(engine, write_form06(tmp_path / "b.xlsx", [section, *depts,
                                                                  sum_rows("II. Cấp huyện", districts, "II"),
                                                                  *districts]))
    assert {(e.rule, e.row) for e in errors} == {("received_sum", 9), ("section_sum", 9), ("unknown_agency", 11),
                                                 ("unknown_unit", 13)}
    assert "Huyện Mường Nhé" in next(e.message for e in errors if e.rule == "unknown_unit")


def test_form06_duplicate_unit_rows(engine: Engine, tmp_path: Path) -> None:
    districts = [unit_row(1, "Huyện Mường Nhé", 1, 1, 0, 1, 1, 0, 0, 0),
                 unit_row(2, "UBND HUYỆN MƯỜNG NHÉ", 1, 1, 0, 1, 1, 0, 0, 0)]
    errors = _rejected(engine, write_form06(tmp_path / "b.xlsx", [sum_rows("II. Cấp huyện", districts, "II"),
                                                                  *districts]))
    assert [(e.rule, e.row) for e in errors] == [("duplicate", 11)] and "dòng 10" in errors[0].message


@pytest.mark.parametrize(
    ("kw", "rule"),
    [({"period": "Báo cáo định kỳ"}, "period_missing"),
     ({"period": "Kỳ báo cáo: quý năm nay"}, "period_invalid"),
     ({"period": "Kỳ báo cáo: Quý I năm 2099"}, "period_future"),
     ({"province": "UBND TỈNH ĐIỆN BIÊN PHỦ"}, "unknown_unit")],
)
def test_form06_title_problems(engine: Engine, tmp_path: Path, kw: dict, rule: str) -> None:
    errors = _rejected(engine, write_form06(tmp_path / "b.xlsx", dien_bien_form06_body(), **kw))
    assert [e.rule for e in errors] == [rule]
    assert errors[0].row == {"period_missing": None, "unknown_unit": 1}.get(rule, 3)


@pytest.mark.parametrize(
    ("name", "content", "rule", "words"),
    [
        ("empty.csv", b"", "empty_file", "Tệp rỗng"),
        ("blank.csv", b"\n \n", "empty_file", "Tệp rỗng"),
        ("image.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(200), "not_spreadsheet", "Không phải tệp Excel"),
        ("random.xlsx", bytes(range(256)) * 4, "not_spreadsheet", "Không phải tệp Excel"),
        ("image.csv", b"\x89PNG\r\n\x1a\n" + bytes(200), "not_spreadsheet", "nhị phân"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "not_spreadsheet", ".xls"),
        ("utf16.csv", "Mã đơn vị,Kỳ báo cáo,Tên đơn vị\n,2024-Q1,Mường Nhé\n".encode("utf-16"), "encoding", "UTF-16"),
        ("latin1.csv", "Name,Period\nMüller,2024\nJosé,2024\n".encode("latin-1"), "encoding", "Mã hóa"),
        ("notes.csv", "ghi chú,không phải biểu\n1,2\n".encode(), "unknown_layout", "Không nhận ra mẫu biểu"),
        ("report.pdf", b"%PDF-1.4", "not_spreadsheet", "Chỉ nhận tệp .csv hoặc .xlsx"),
        ("header_only.csv", "Mã tỉnh,Tên đơn vị,Kỳ báo cáo\n".encode(), "no_rows", "không có dòng số liệu"),
    ],
)
def test_unreadable_files_get_one_clear_line(engine: Engine, tmp_path: Path, name: str, content: bytes, rule: str,
                                             words: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    errors = _rejected(engine, path)
    assert [e.rule for e in errors] == [rule]
    assert words in str(errors[0]) and name in str(errors[0]) and "\n" not in str(errors[0])


def test_missing_file(engine: Engine, tmp_path: Path) -> None:
    errors = _rejected(engine, tmp_path / "nowhere.csv")
    assert [e.rule for e in errors] == ["unreadable"]


def test_legacy_windows_vietnamese_csv_is_accepted(engine: Engine, tmp_path: Path) -> None:
    path = write_template_csv(tmp_path / "cp1258.csv", [GOOD_ROW])
    path.write_bytes(cp1258(path.read_text(encoding="utf-8")))  # as old Excel saves "CSV" on Vietnamese Windows
    _loaded(engine, path)
    assert _stored(engine, "Huyện Mường Nhé")["received_online"] == 1234


# --- command line ---------------------------------------------------------------------------


def test_cli_summary_lines_and_exit_codes(capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path) -> None:
    good = write_template_csv(tmp_path / "good.csv", [GOOD_ROW])
    bad = write_template_csv(tmp_path / "bad.csv", [{**GOOD_ROW, "settled_overdue": -3}])
    assert main(["load", str(good), str(bad), "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert "good.csv: đã nạp 1 dòng vào lô 1." in err
    assert "bad.csv: BỊ TỪ CHỐI, 1 lỗi; cơ sở dữ liệu không thay đổi." in err
    assert "LỖI [bad.csv, dòng 2, cột 'Đã giải quyết - quá hạn'] Số liệu không được âm (ghi -3)." in err
    assert "Traceback" not in err
    assert main(["load", str(good), "--db", db_url]) == 0
    assert "good.csv: nội dung này đã được nạp (lô 1), không thay đổi." in capsys.readouterr().err
    write_template_csv(good, [{**GOOD_ROW, "received_total": 1600, "received_carried": 41}])
    assert main(["load", str(good), "--db", db_url]) == 0
    err = capsys.readouterr().err
    assert "good.csv: đã nạp 1 dòng vào lô 2, thay thế lô 1, 1 cảnh báo." in err
    assert "  Cảnh báo [good.csv, dòng 2, cột 'Tiếp nhận - tổng số']" in err


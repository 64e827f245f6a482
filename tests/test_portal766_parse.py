"""Parsing of Cổng DVCQG (Decision 766) files: reporting-API answers, capture envelopes, Excel dumps."""

from __future__ import annotations

import io
import json
import re
from datetime import date

import openpyxl
import pytest

from data.periods import month, parse_spec, quarter, year_period
from etl.portal766 import AS_OF_HELP, GROUP_KEYS, PERIOD_HELP, looks_like_portal, parse_portal
from tests import portal766_files as F

P = parse_spec("2025-10")
AS_OF = date(2025, 11, 5)
QT = F.QT


def _req(**kw: object) -> dict:
    return {"timeType": "quarter", "year": 2026, "quarter": 3, "currentPage": 1, "pageSize": 200, **kw}


def _errors(pf, rule: str | None = None) -> list:  # noqa: ANN001
    return [f for f in pf.findings if f.severity == "error" and (rule is None or f.rule == rule)]


def _warnings(pf, rule: str) -> list:  # noqa: ANN001
    return [f for f in pf.findings if f.severity == "warning" and f.rule == rule]


# --- reporting API ------------------------------------------------------------------------------


def test_national_service_results_reads_every_province_with_its_scores() -> None:
    ans = F.national_service_results()
    pf = parse_portal("service-results.json", F.to_bytes(ans), period=P, as_of=AS_OF)
    assert pf.findings == []
    assert pf.source == "api:service-results" and pf.as_of == AS_OF
    assert len(pf.rows) == 34
    by_code = {r.code: r for r in pf.rows}
    for i, item in enumerate(ans["data"]["evaluation"], 1):
        r = by_code[item["departmentCode"]]
        assert r.row == i and r.sheet == "service-results"
        assert r.name == item["departmentName"] and r.level == "province" and r.parent_code is None
        assert r.period == P
        assert r.scores == {"total": item["totalScore"], **item["groupScores"]}
        assert r.extra["departmentId"] == item["departmentId"]
        assert r.extra["ratio"] == item["ratio"] and r.extra["scoreDelta"] == item["scoreDelta"]
    assert by_code[F.CODE["Hà Nội"]].name == "UBND Thành phố Hà Nội"
    # monthly chart: 8 months done, nulls for the months to come are skipped
    avg = [p for p in pf.points if p.measure == "average_score"]
    assert [p.period for p in avg] == [month(2025, m) for m in range(1, 9)]
    assert [p.value for p in avg] == [m["averageScore"] for m in ans["data"]["monthlyChart"][:8]]
    assert all(p.code is None and p.level == "country" for p in avg)
    on_time = [p.value for p in pf.points if p.measure == "on_time_pct"]
    overdue = [p.value for p in pf.points if p.measure == "overdue_pct"]
    assert on_time == [d["onTimePct"] for d in ans["data"]["dossierChart"][:8]]
    assert overdue == [d["overduePct"] for d in ans["data"]["dossierChart"][:8]]
    assert pf.national["donuts"] == ans["data"]["donuts"]


@pytest.mark.parametrize(("request_body", "expected"), [
    ({"timeType": "year", "year": 2026}, year_period(2026)),
    ({"timeType": "quarter", "year": 2026, "quarter": 3}, quarter(2026, 3)),
    ({"timeType": "month", "year": 2026, "month": 8}, month(2026, 8)),
])
def test_capture_envelope_gives_period_and_as_of(request_body: dict, expected) -> None:  # noqa: ANN001
    body = {**request_body, "departmentType": "ADMINISTRATIVE_UNIT", "currentPage": 1, "pageSize": 200}
    data = F.envelope(F.national_service_results(), "service-results", body, fetched_at="2026-12-01T10:15:00+07:00")
    pf = parse_portal("766_x.json", data)  # no --period, no --as-of: the envelope says both
    assert pf.findings == []
    assert pf.request == body and pf.as_of == date(2026, 12, 1)
    assert pf.capture["url"].endswith("/api/v1/reporting/evaluation/service-results")
    assert {r.period for r in pf.rows} == {expected}
    assert pf.points[0].period == month(2026, 1)  # chart months belong to the request's year


def test_envelope_period_wins_over_argument_with_a_warning() -> None:
    data = F.envelope(F.national_service_results(), "service-results", _req())
    pf = parse_portal("e.json", data, period=P, as_of=AS_OF)
    assert {r.period for r in pf.rows} == {quarter(2026, 3)} and pf.as_of == date(2026, 12, 1)
    assert _warnings(pf, "portal_period_conflict") and _warnings(pf, "portal_as_of_conflict")
    assert not _errors(pf)


def test_province_service_results_children_levels_and_parent() -> None:
    ans = F.province_service_results()
    data = F.envelope(ans, "service-results", _req(rootDepartmentId=F.dept_id(QT)))
    pf = parse_portal("qt.json", data)
    assert not _errors(pf)
    assert len(pf.rows) == 45
    levels = {r.code: r.level for r in pf.rows}
    assert levels[f"{QT}.11"] == "department" and levels[f"{QT}.13"] == "department"
    assert levels[f"{QT}.129"] == "commune" and levels[f"{QT}.130"] == "commune"
    assert {r.parent_code for r in pf.rows} == {QT}
    r = next(r for r in pf.rows if r.code == f"{QT}.11")
    src = next(e for e in ans["data"]["evaluation"] if e["departmentCode"] == f"{QT}.11")
    assert r.name == "Sở Y tế - Tỉnh Quảng Trị" and r.scores["total"] == src["totalScore"]
    assert r.scores["MDSH"] == src["groupScores"]["MDSH"]
    # the province's own chart: code of the province, not the country
    assert pf.points and all(p.code == QT and p.level == "province" for p in pf.points)
    assert pf.national["scope_code"] == QT


def test_children_without_level_field_are_told_apart_by_name() -> None:
    ans = F.province_service_results(with_level=False)
    pf = parse_portal("qt.json", F.to_bytes(ans), period=P, as_of=AS_OF)
    levels = {r.name: r.level for r in pf.rows}
    assert levels["Ban Quản lý Khu kinh tế tỉnh Quảng Trị"] == "department"
    assert levels["UBND phường Đông Hà"] == "commune" and levels["UBND đặc khu Cồn Cỏ"] == "commune"
    assert levels["UBND xã Khe Sanh"] == "commune"


def test_dvc_progress_tree_counts_scores_and_text_sorted_children() -> None:
    ans = F.dvc_progress_tree()
    codes_in_file = [c["departmentCode"] for c in ans["data"]["children"]]
    assert codes_in_file.index(f"{QT}.129") < codes_in_file.index(f"{QT}.13")  # sorted as text
    pf = parse_portal("dvc-progress-tree.json", F.to_bytes(ans), period=P, as_of=AS_OF)
    assert pf.findings == [] and pf.source == "api:dvc-progress-tree"
    parent, children = pf.rows[0], pf.rows[1:]
    p = ans["data"]["parent"]
    assert parent.level == "province" and parent.code == QT and parent.parent_code is None and parent.row is None
    assert parent.counts == {"received_total": p["totalReceived"], "settled_total": p["totalCompleted"],
                             "in_time_total": p["totalOnTime"]}
    assert parent.scores == {"TDGQ": p["totalScore"]} and parent.max_scores == {"TDGQ": 20}
    assert parent.extra["avgProcessingDays"] == 3.42
    assert sorted(r.code for r in children) == sorted(codes_in_file) and len(children) == 45
    for r, c in zip(children, ans["data"]["children"], strict=True):
        assert r.code == c["departmentCode"] and r.parent_code == QT
        assert r.level == ("department" if c["level"] == "PROVINCE" else "commune")
        assert r.counts == {"received_total": c["totalReceived"], "overdue_total": c["totalOverdue"],
                            "in_time_total": c["totalOnTime"]}
        assert r.scores == {"TDGQ": c["score"]} and r.max_scores == {"TDGQ": 20}
        assert r.extra["ratio"] == c["ratio"]


def test_provide_online_tree_counts_mapping() -> None:
    ans = F.provide_online_tree()
    pf = parse_portal("provide-online-tree.json", F.to_bytes(ans), period=P, as_of=AS_OF)
    assert pf.findings == []
    for r, c in zip(pf.rows, [ans["data"]["parent"], *ans["data"]["children"]], strict=True):
        assert r.counts == {"received_online": c["channelOnlineSum"], "received_postal": c["channelPostalSum"],
                            "received_direct_postal": c["channelDirectSum"] + c["channelPostalSum"],
                            "online_full": c["fullCount"], "online_partial": c["partialCount"]}
        for k in ("channelTotalSum", "onlineOnTimeSum", "onlineOverdueSum", "channelDirectSum"):
            assert r.extra[k] == c[k]
        assert set(r.scores) == {"CLGQ"} and r.max_scores == {"CLGQ": 12}
    commune = next(r for r in pf.rows if r.name == "UBND xã Lao Bảo")
    assert commune.level == "commune" and commune.parent_code == QT


def test_tree_shape_recognised_without_endpoint_in_name() -> None:
    pf = parse_portal("answer.json", F.to_bytes(F.provide_online_tree()), period=P, as_of=AS_OF)
    assert pf.source == "api:provide-online-tree" and pf.rows[1].scores.keys() == {"CLGQ"}


def test_unknown_tree_endpoint_reads_scores_without_group() -> None:
    ans = F.answer({"parent": {"departmentCode": QT, "departmentName": "UBND tỉnh Quảng Trị", "totalScore": 7.5,
                               "totalMaxScore": 10},
                    "children": [{"departmentName": "Sở Y tế - Tỉnh Quảng Trị", "departmentCode": f"{QT}.11",
                                  "level": "PROVINCE", "score": 8.25, "maxScore": 10}]})
    pf = parse_portal("e.json", F.envelope(ans, "public-info-tree", _req(rootDepartmentId="x")))
    assert pf.source == "api:public-info-tree"
    assert [r.scores for r in pf.rows] == [{"score": 7.5}, {"score": 8.25}]
    assert pf.rows[1].max_scores == {"score": 10}
    w = _warnings(pf, "portal_unknown_group")
    assert len(w) == 1 and w[0].sheet == "public-info-tree" and "public-info-tree" in str(w[0])
    assert not _errors(pf)


def test_numbers_written_as_text_in_json() -> None:
    ans = F.national_service_results(overrides={3: {"totalScore": "81.25"}})
    ans["data"]["evaluation"][2]["groupScores"]["CKMB"] = "15.5"
    tree = F.dvc_progress_tree(overrides={4: {"totalReceived": "1200", "totalOnTime": 1100.0, "score": "18.40"}})
    pf = parse_portal("a.json", F.to_bytes(ans), period=P, as_of=AS_OF)
    row = pf.rows[2]
    assert row.scores["total"] == 81.25 and row.scores["CKMB"] == 15.5
    pt = parse_portal("dvc-progress-tree.json", F.to_bytes(tree), period=P, as_of=AS_OF)
    child = pt.rows[4]
    assert child.counts["received_total"] == 1200 and child.counts["in_time_total"] == 1100
    assert isinstance(child.counts["in_time_total"], int) and child.scores["TDGQ"] == 18.4
    assert not _errors(pt)


# --- error paths: JSON --------------------------------------------------------------------------


def test_not_json() -> None:
    pf = parse_portal("hong.json", b"<html>502 Bad Gateway</html>", period=P, as_of=AS_OF)
    (e,) = _errors(pf)
    assert e.rule == "portal_not_json" and "hong.json" in str(e) and "JSON" in e.message


def test_answer_with_error_code_reports_the_portal_message() -> None:
    data = F.to_bytes({"code": "UNAUTHORIZED", "data": None, "message": "Phiên đăng nhập đã hết hạn"})
    pf = parse_portal("service-results.json", data, period=P, as_of=AS_OF)
    (e,) = _errors(pf)
    assert e.rule == "portal_api_error" and "Phiên đăng nhập đã hết hạn" in e.message and "UNAUTHORIZED" in e.message
    assert e.sheet == "service-results" and pf.rows == []


def test_missing_key_names_row_and_key() -> None:
    ans = F.national_service_results(overrides={5: {"departmentCode": F.DROP}})
    pf = parse_portal("tinh.json", F.to_bytes(ans), period=P, as_of=AS_OF)
    (e,) = _errors(pf)
    assert (e.rule, e.sheet, e.row, e.column) == ("portal_missing_key", "service-results", 5, "departmentCode")
    text = str(e)
    assert "tinh.json" in text and "dòng 5" in text and "cột 'departmentCode'" in text and "service-results" in text
    assert len(pf.rows) == 33


def test_tree_child_missing_score_key() -> None:
    tree = F.dvc_progress_tree(overrides={7: {"score": F.DROP}})
    pf = parse_portal("dvc-progress-tree.json", F.to_bytes(tree), period=P, as_of=AS_OF)
    (e,) = _errors(pf)
    assert (e.sheet, e.row, e.column) == ("dvc-progress-tree", 7, "score") and "Mục 7 của data.children" in e.message


def test_bad_number_names_row_and_key() -> None:
    ans = F.national_service_results(overrides={3: {"totalScore": "8o,5"}})
    pf = parse_portal("a.json", F.to_bytes(ans), period=P, as_of=AS_OF)
    (e,) = _errors(pf)
    assert (e.rule, e.row, e.column) == ("portal_number", 3, "totalScore") and "8o,5" in e.message


@pytest.mark.parametrize("value", [100.5, -1])
def test_score_out_of_range_is_an_error(value: float) -> None:
    ans = F.national_service_results(overrides={2: {"totalScore": value}})
    pf = parse_portal("a.json", F.to_bytes(ans), period=P, as_of=AS_OF)
    (e,) = _errors(pf)
    assert (e.rule, e.row, e.column) == ("portal_score_range", 2, "totalScore")
    assert "total" not in pf.rows[1].scores


def test_group_score_above_its_maximum_is_a_warning() -> None:
    ans = F.national_service_results()
    ans["data"]["evaluation"][3]["groupScores"]["CKMB"] = 19.5  # max 18
    pf = parse_portal("a.json", F.to_bytes(ans), period=P, as_of=AS_OF)
    w = _warnings(pf, "portal_group_max")
    assert len(w) == 1 and (w[0].row, w[0].column) == (4, "CKMB") and "18" in w[0].message
    assert not _errors(pf) and pf.rows[3].scores["CKMB"] == 19.5


def test_tree_score_above_stated_max_is_a_warning() -> None:
    tree = F.provide_online_tree(overrides={2: {"score": 12.5}})
    pf = parse_portal("provide-online-tree.json", F.to_bytes(tree), period=P, as_of=AS_OF)
    assert {(f.rule, f.row) for f in pf.findings} == {("portal_group_max", 2), ("portal_above_max", 2)}


def test_duplicate_code_names_both_rows() -> None:
    ans = F.national_service_results()
    ans["data"]["evaluation"][6]["departmentCode"] = ans["data"]["evaluation"][1]["departmentCode"]
    pf = parse_portal("a.json", F.to_bytes(ans), period=P, as_of=AS_OF)
    (e,) = _errors(pf)
    assert e.rule == "portal_duplicate" and e.row == 7 and "dòng 2" in e.message and "dòng 7" in e.message
    assert len(pf.rows) == 33


@pytest.mark.parametrize("value", [12.5, -3, "abc"])
def test_bad_counts_name_endpoint_row_and_key(value: object) -> None:
    tree = F.dvc_progress_tree(overrides={9: {"totalOverdue": value}})
    pf = parse_portal("cay.json", F.to_bytes(tree), period=P, as_of=AS_OF)
    (e,) = _errors(pf)
    assert (e.sheet, e.row, e.column) == ("dvc-progress-tree", 9, "totalOverdue")
    assert e.rule in ("portal_count", "portal_number") and "cay.json" in str(e)
    assert "overdue_total" not in pf.rows[9].counts and "received_total" in pf.rows[9].counts


def test_missing_period_is_one_error_and_missing_as_of_another() -> None:
    pf = parse_portal("a.json", F.to_bytes(F.national_service_results()))
    assert [e.message for e in _errors(pf)] == [PERIOD_HELP, AS_OF_HELP]
    assert "--period" in PERIOD_HELP and "2026-Q3" in PERIOD_HELP and "--as-of" in AS_OF_HELP
    assert len(pf.rows) == 34 and all(r.period is None for r in pf.rows)  # still checked, not stored


# --- the Excel dump -----------------------------------------------------------------------------


def test_excel_dump_all_sheets() -> None:
    tables = F.excel_tables()
    pf = parse_portal("report_tinh_766_service.xlsx", F.excel_dump(tables), period=P, as_of=AS_OF)
    assert pf.findings == [] and pf.source == "excel:report_tinh_766" and pf.as_of == AS_OF
    sheets = {}
    for r in pf.rows:
        sheets.setdefault(r.sheet, []).append(r)
    assert {s: len(v) for s, v in sheets.items()} == {"Điểm năm": 34, "Điểm tháng": 34, "Sở Ban": 10, "Xã Phường": 8}
    assert {r.period for r in sheets["Điểm năm"]} == {year_period(2025)}
    assert {r.period for r in sheets["Điểm tháng"]} == {month(2025, 10)}
    assert {r.period for r in sheets["Sở Ban"] + sheets["Xã Phường"]} == {P}
    for sheet, rows in sheets.items():
        for k, (r, src) in enumerate(zip(rows, tables[sheet], strict=True)):
            assert r.row == k + 3  # a title row, the header, then the data
            assert r.code == src["MA_COQUAN"] and r.name == src["TEN_COQUAN"]
            assert r.scores == {"total": float(src["TONG_SCORE"]), **{g: float(src[g]) for g in GROUP_KEYS}}
            assert r.rank == int(src["ROW_STT"]) and r.extra["ID_COQUAN"] == src["ID_COQUAN"]
    assert all(r.level == "province" and r.parent_code is None for r in sheets["Điểm năm"])
    assert all(r.level == "department" for r in sheets["Sở Ban"])
    assert {r.parent_code for r in sheets["Sở Ban"]} == {F.PT, F.AG}
    assert all(r.level == "commune" and r.parent_code == F.AG for r in sheets["Xã Phường"])
    dong_thai = next(r for r in sheets["Xã Phường"] if "Đông Thái" in r.name)
    assert dong_thai.name == "UBND xã Đông Thái - tỉnh An Giang" and dong_thai.extra["province_name"] == "tỉnh An Giang"
    # the trend sheet: 3 provinces x 10 months x (TONG_SCORE, TDGQ)
    assert len(pf.points) == 60
    first = [p for p in pf.points if p.code == "H01" and p.measure == "total"]
    assert [p.period for p in first] == [month(2025, m) for m in range(1, 11)]
    assert [p.value for p in first] == [float(t["TONG_SCORE"]) for t in tables["Xu hướng tháng"][:10]]
    assert all(p.sheet == "Xu hướng tháng" and p.level == "province" for p in pf.points)


def test_excel_tolerates_column_order_extra_columns_blanks_and_title_rows() -> None:
    tables = F.excel_tables(overrides={"Điểm tháng": {4: {"MDHL": None, "CKMB": "  "}}})
    cols = ["GHI_CHU", "ROW_STT", "TONG_SCORE", "CKMB", "CLGQ", "TTTT", "MDSH", "MDHL", "TDGQ", "MA_COQUAN",
            "TEN_COQUAN", "ID"]
    for r in tables["Điểm tháng"]:
        r["GHI_CHU"] = "đã rà soát"
    data = F.excel_dump(tables, title_rows=3, columns={"Điểm tháng": cols})
    pf = parse_portal("dump.xlsx", data, period=P, as_of=AS_OF)
    assert not _errors(pf)
    rows = [r for r in pf.rows if r.sheet == "Điểm tháng"]
    assert rows[0].row == 5 and len(rows) == 34
    r4 = rows[3]
    assert "MDHL" not in r4.scores and "CKMB" not in r4.scores
    assert r4.scores["total"] == float(tables["Điểm tháng"][3]["TONG_SCORE"])
    assert r4.extra["GHI_CHU"] == "đã rà soát" and r4.level == "province"


def test_excel_year_sheet_with_dotted_codes_uses_loai_coquan() -> None:
    tables = F.excel_tables(overrides={"Điểm năm": {2: {"MA_COQUAN": "H01.05", "LOAI_COQUAN": "2",
                                                        "TEN_COQUAN": "Sở Y tế - tỉnh An Giang"},
                                                    3: {"MA_COQUAN": "H01.120", "LOAI_COQUAN": None,
                                                        "CAPDONVIID": "3", "TEN_COQUAN": "UBND xã Ba Chúc"}}})
    pf = parse_portal("d.xlsx", F.excel_dump(tables), period=P, as_of=AS_OF)
    rows = [r for r in pf.rows if r.sheet == "Điểm năm"]
    assert (rows[1].level, rows[1].parent_code) == ("department", "H01")
    assert (rows[2].level, rows[2].parent_code) == ("commune", "H01")
    assert rows[0].level == "province"


def test_excel_month_sheet_needs_a_month_period() -> None:
    pf = parse_portal("d.xlsx", F.excel_dump(), period=parse_spec("2025"), as_of=AS_OF)
    (e,) = _errors(pf)
    assert e.rule == "portal_period_month" and e.sheet == "Điểm tháng" and "--period 2025-10" in e.message
    assert {r.period for r in pf.rows if r.sheet == "Điểm năm"} == {year_period(2025)}


def test_excel_without_period_or_as_of() -> None:
    pf = parse_portal("d.xlsx", F.excel_dump())
    assert [e.message for e in _errors(pf)] == [PERIOD_HELP, AS_OF_HELP]


def test_excel_bad_number_names_sheet_row_and_column() -> None:
    tables = F.excel_tables(overrides={"Sở Ban": {4: {"TDGQ": "15,x"}}})
    pf = parse_portal("bao_cao.xlsx", F.excel_dump(tables), period=P, as_of=AS_OF)
    (e,) = _errors(pf)
    assert (e.rule, e.sheet, e.row, e.column) == ("portal_number", "Sở Ban", 6, "TDGQ")
    text = str(e)
    assert "bao_cao.xlsx" in text and "sheet 'Sở Ban'" in text and "dòng 6" in text and "cột 'TDGQ'" in text


def test_excel_score_over_100_and_duplicate_code() -> None:
    tables = F.excel_tables(overrides={"Xã Phường": {2: {"TONG_SCORE": "101.00"},
                                                     5: {"MA_COQUAN": F.excel_tables()["Xã Phường"][0]["MA_COQUAN"]}}})
    pf = parse_portal("d.xlsx", F.excel_dump(tables), period=P, as_of=AS_OF)
    rules = {(e.rule, e.sheet, e.row, e.column) for e in _errors(pf)}
    assert rules == {("portal_score_range", "Xã Phường", 4, "TONG_SCORE"),
                     ("portal_duplicate", "Xã Phường", 7, "MA_COQUAN")}
    dup = next(e for e in _errors(pf) if e.rule == "portal_duplicate")
    assert "dòng 3" in dup.message and "dòng 7" in dup.message


def test_excel_missing_score_column() -> None:
    cols = [c for c in F.EXCEL_COLUMNS if c != "TONG_SCORE"]
    pf = parse_portal("d.xlsx", F.excel_dump(columns={"Sở Ban": cols}), period=P, as_of=AS_OF)
    (e,) = _errors(pf)
    assert (e.rule, e.sheet, e.column) == ("portal_missing_column", "Sở Ban", "TONG_SCORE")


def test_excel_trend_duplicate_month() -> None:
    tables = F.excel_tables(overrides={"Xu hướng tháng": {3: {"THANG": "2"}}})
    pf = parse_portal("d.xlsx", F.excel_dump(tables), period=P, as_of=AS_OF)
    (e,) = _errors(pf)
    assert (e.rule, e.sheet, e.row) == ("portal_duplicate", "Xu hướng tháng", 5)
    assert "dòng 4" in e.message and "Tháng 02/2025" in e.message


def test_excel_quarter_trend_sheet() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Xu hướng quý"
    ws.append(["NAM", "QUY", "MA_COQUAN", "TEN_COQUAN", "TONG_SCORE"])
    ws.append(["2025", "III", QT, "UBND tỉnh Quảng Trị", "84.10"])
    ws.append(["2025", "4", QT, "UBND tỉnh Quảng Trị", "86.35"])
    buf = io.BytesIO()
    wb.save(buf)
    pf = parse_portal("q.xlsx", buf.getvalue(), period=P, as_of=AS_OF)
    assert not _errors(pf)
    assert [(p.period, p.value) for p in pf.points] == [(quarter(2025, 3), 84.10), (quarter(2025, 4), 86.35)]


def test_no_portal_table_in_workbook() -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["Mã đơn vị", "Tên đơn vị", "Tiếp nhận - tổng số"])
    buf = io.BytesIO()
    wb.save(buf)
    pf = parse_portal("khac.xlsx", buf.getvalue(), period=P, as_of=AS_OF)
    assert [e.rule for e in _errors(pf)] == ["portal_no_table"]


# --- sniffing -----------------------------------------------------------------------------------


def test_looks_like_portal() -> None:
    assert looks_like_portal("a.json", F.to_bytes(F.national_service_results()))
    assert looks_like_portal("a.json", F.envelope(F.dvc_progress_tree(), "dvc-progress-tree", _req()))
    assert looks_like_portal("d.xlsx", F.excel_dump())
    assert not looks_like_portal("a.json", json.dumps({"rows": []}).encode())
    assert not looks_like_portal("a.csv", "Mã đơn vị,Tên đơn vị\n01,Hà Nội\n".encode())
    wb = openpyxl.Workbook()
    wb.active.append(["Mã đơn vị", "Tên đơn vị", "Tiếp nhận - tổng số"])
    buf = io.BytesIO()
    wb.save(buf)
    assert not looks_like_portal("template.xlsx", buf.getvalue())


def test_excel_quarter_sheet_follows_period() -> None:
    rows = F.excel_tables()["Điểm năm"][:3]
    data = F.excel_dump({"Điểm quý": rows})
    pf = parse_portal("q.xlsx", data, period=P, as_of=AS_OF)
    assert not _errors(pf) and {r.period for r in pf.rows} == {quarter(2025, 4)}
    pf = parse_portal("q.xlsx", data, period=parse_spec("2025"), as_of=AS_OF)
    (e,) = _errors(pf)
    assert e.rule == "portal_period_quarter" and e.sheet == "Điểm quý" and "--period 2025-Q4" in e.message


def test_fixture_names_are_real_2025_units() -> None:
    """The fixtures' provinces and communes exist in the 2025 registry (so mapping tests mean something)."""
    from data.text import name_key
    from etl.units import _dataset

    ds = _dataset()
    rows = ds.execute("SELECT provinceShort, ward FROM admin_units").fetchall()
    provinces = {name_key(r["provinceShort"]) for r in rows}
    assert {name_key(re.sub(r"^UBND (tỉnh|Thành phố) ", "", n)) for _, n in F.PROVINCES} == provinces
    wards = {(name_key(r["provinceShort"]), name_key(r["ward"])) for r in rows}
    for province, names in (("Quảng Trị", F.QT_COMMUNES), ("An Giang", F.AG_COMMUNES)):
        for n in names:
            ward = re.sub(r"^UBND ", "", n.split(" - ")[0])
            assert (name_key(province), name_key(ward)) in wards, n


def test_every_rule_reported_is_registered() -> None:
    """A rule id missing from PORTAL_RULES would raise KeyError on a rare error path."""
    import inspect

    from etl import portal766

    used = set(re.findall(r'report\(\s*"(portal_[a-z_]+)"', inspect.getsource(portal766)))
    assert len(used) > 25 and used <= set(portal766.PORTAL_RULES)
    assert {s for s, _ in portal766.PORTAL_RULES.values()} == {"error", "warning"}

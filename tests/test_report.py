"""``etl metrics`` / ``etl findings`` output: columns, number formats, order, options, errors."""

from __future__ import annotations

import csv
import io
import re

import pytest

from etl.cli import main
from etl.report import COLUMNS, FINDING_COLUMNS, format_fraction, format_number


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def seeded(db_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["seed", "--db", db_url]) == 0
    capsys.readouterr()
    return db_url


def test_formats() -> None:
    assert format_number(648098.0) == "648098" and format_number(2037) == "2037"
    assert format_fraction(54346 / 648098) == "0.083854602236"
    assert format_fraction(19 / 20) == "0.95" and format_fraction(0.0) == "0" and format_fraction(1.0) == "1"


def test_metrics_csv_shape_and_order(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "metrics", "--db", seeded)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == ",".join(COLUMNS)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 12  # every figure pair the documents give, nothing rolled up
    for r in rows:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["period_start"]) and re.fullmatch(r"\d{4}-\d{2}-\d{2}",
                                                                                     r["period_end"])
        assert r["numerator"].isdigit() and r["denominator"].isdigit()  # plain integers, no separators
        assert abs(float(r["value"]) - int(r["numerator"]) / int(r["denominator"])) < 1e-12
        assert r["scheme"] == "legacy"
    # sorted by period (start, end), then level (province, district, commune, department), code, metric
    keys = [(r["period_start"], r["period_end"]) for r in rows]
    assert keys == sorted(keys)
    first = [(r["unit_code"], r["metric"]) for r in rows[:2]]
    assert first == [("45", "postal_intake_share"), ("45", "postal_return_share")]
    snv = [r for r in rows if r["unit_code"] == "24.SNV"]
    assert {r["unit_name"] for r in snv} == {"Sở Nội vụ (Tỉnh Bắc Giang)"}
    # the same data gives byte-identical output
    assert _run(capsys, "metrics", "--db", seeded)[1] == out


def test_unit_by_name_level_and_metric(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "metrics", "--unit", "dien bien", "--level", "district", "--metric", "overdue_rate",
                        "--db", seeded)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [(r["unit_code"], r["numerator"], r["denominator"]) for r in rows] == [
        ("094", "2037", "2486"), ("096", "229", "263"), ("102", "340", "608")]
    assert {r["period_label"] for r in rows} == {"Từ đầu năm 2020 đến 24/02/2020"}
    # an agency by code and by name; with --period the stored label is kept
    for unit in ("24.SNV", "sở nội vụ bắc giang"):
        code, out, _ = _run(capsys, "metrics", "--unit", unit, "--period", "2020-9M", "--metric",
                            "postal_intake_share", "--db", seeded)
        assert out.splitlines()[1:] == [
            "24.SNV,Sở Nội vụ (Tỉnh Bắc Giang),legacy,2020-01-01,2020-09-30,9 tháng đầu năm 2020,"
            "postal_intake_share,29,120,0.241666666667"]


def test_departments_of_a_province(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "metrics", "--unit", "24", "--level", "department", "--scheme", "legacy",
                        "--period", "2019", "--db", seeded)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["unit_code"], r["metric"], r["numerator"], r["denominator"]) for r in rows] == [
        ("24.SNV", "postal_intake_share", "23", "212")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2024-13"], "Kỳ báo cáo không hợp lệ"),
        (["--level", "tinh"], "Cấp không hợp lệ"),
        (["--metric", "foo"], "Chỉ số không tồn tại"),
        (["--scheme", "1990"], "Hệ thống đơn vị không hợp lệ"),
        (["--unit", "Xã Không Có Thật"], "Không tìm thấy đơn vị"),
        (["--unit", "Bắc Ninh"], "ứng với"),  # provinces of both schemes, no figures to choose by
        (["--unit", "094", "--level", "province"], "không có đơn vị cấp"),
        (["--level", "district", "--scheme", "2025"], "không còn cấp huyện"),
    ],
)
def test_bad_options_exit_2_with_a_vietnamese_message(seeded: str, capsys: pytest.CaptureFixture[str],
                                                      args: list[str], message: str) -> None:
    code, out, err = _run(capsys, "metrics", *args, "--db", seeded)
    assert code == 2 and out == "" and err.startswith("Lỗi: ") and message in err


def test_ambiguous_name_lists_candidates(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = _run(capsys, "metrics", "--unit", "Bắc Ninh", "--db", seeded)
    assert "Tỉnh Bắc Ninh (mã 24, tỉnh/thành phố, từ 01/07/2025)" in err and "(mã 27, tỉnh/thành phố, trước 01/07/2025)" in err
    assert "--scheme" in err


def test_nothing_to_show_is_not_an_error(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "metrics", "--period", "2030", "--db", seeded)
    assert code == 0 and out == ",".join(COLUMNS) + "\n" and "Không có số liệu" in err


def test_findings_csv(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "findings", "--db", seeded)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and out.splitlines()[0] == ",".join(FINDING_COLUMNS)
    assert [(r["batch"], r["file"], r["sheet"], r["column"], r["rule"], r["severity"]) for r in rows] == [
        ("1", "seed_figures.csv", "", "stated_text", "stated_percentage", "warning")]
    code, out, err = _run(capsys, "findings", "--batch", "99", "--db", seeded)
    assert out == ",".join(FINDING_COLUMNS) + "\n" and "99" in err

"""The data-quality page's read side: outliers found in files loaded through the ETL (named with
their batch and source row, ordinary units left alone), every block scoped to the view's unit and
period, and names in Vietnamese alphabetical order."""

from __future__ import annotations

import random
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from data import queries
from data.read import outliers as rules
from data.text import vi_sort_key
from etl.load import load_file
from tests.files import write_template_csv

# --- Vietnamese alphabetical order ------------------------------------------------------------

ALPHABET = ["a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "g", "h", "i", "k", "l", "m", "n", "o", "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "x", "y"]


def test_letters_sort_in_the_order_of_the_vietnamese_alphabet() -> None:
    shuffled = ALPHABET[:]
    random.Random(9).shuffle(shuffled)
    assert sorted(shuffled, key=vi_sort_key) == ALPHABET
    upper = [x.upper() for x in shuffled]
    assert sorted(upper, key=vi_sort_key) == [x.upper() for x in ALPHABET]


def test_province_names_in_vietnamese_order() -> None:
    # letter by letter: "cao" < "cần" (a < â), "đà" < "đắk" (a < ă) < "điện" (ă < i) < "đồng",
    # "thái" < "thanh" (i < n), "lai" < "lạng" < "lào" < "lâm" (i < n < o; a < â), "huế" < "hưng"
    expected = ["An Giang", "Bắc Ninh", "Cà Mau", "Cao Bằng", "Cần Thơ", "Dương Kinh", "Đà Nẵng", "Đắk Lắk",
                "Điện Biên", "Đồng Nai", "Đồng Tháp", "Ea Súp", "Gia Lai", "Hà Nội", "Hà Tĩnh", "Hải Phòng",
                "Hồ Chí Minh", "Huế", "Hưng Yên", "Lai Châu", "Lạng Sơn", "Lào Cai", "Lâm Đồng", "Thái Nguyên",
                "Thanh Hóa", "Tuyên Quang", "Vĩnh Long"]
    shuffled = expected[:]
    random.Random(1).shuffle(shuffled)
    assert sorted(shuffled, key=vi_sort_key) == expected
    assert sorted(shuffled) != expected  # code-point order puts every "Đ…" after "V…"


def test_d_bar_comes_after_every_d_and_before_e() -> None:
    names = ["Ea Súp", "Điện Biên", "Duy Tiên", "Đà Lạt", "Dĩ An", "Đức Phổ", "Dương Kinh"]
    ordered = sorted(names, key=vi_sort_key)
    assert ordered == ["Dĩ An", "Duy Tiên", "Dương Kinh", "Đà Lạt", "Điện Biên", "Đức Phổ", "Ea Súp"]


def test_tones_only_break_ties() -> None:
    assert sorted(["Bạ", "Bá", "Ba", "Bà", "Bã", "Bả"], key=vi_sort_key) == ["Ba", "Bà", "Bả", "Bã", "Bá", "Bạ"]
    assert vi_sort_key("Bạc Liêu") < vi_sort_key("Bắc Ninh")  # a < ă whatever the tones
    assert vi_sort_key("Ba Đình") < vi_sort_key("Bà Rịa")  # đ < r decides before the tone


def test_case_nfd_and_look_alike_letters_do_not_change_the_order() -> None:
    key = vi_sort_key("Điện Biên")
    assert vi_sort_key(unicodedata.normalize("NFD", "Điện Biên")) == key
    assert vi_sort_key("Ðiện Biên") == key  # U+00D0 typed for Đ
    for variant in ("điện biên", "ĐIỆN BIÊN"):
        assert vi_sort_key("Đắk Lắk") < vi_sort_key(variant) < vi_sort_key("Đồng Nai")


def test_numbered_wards_sort_by_their_number() -> None:
    assert sorted(["Phường 10", "Phường 2", "Phường 1"], key=vi_sort_key) == ["Phường 1", "Phường 2", "Phường 10"]


def test_unit_dropdown_lists_provinces_in_vietnamese_order(engine: Engine) -> None:
    labels = [o["label"] for o in queries.unit_options(engine, "2025")]
    short = [lbl.removeprefix("Tỉnh ").removeprefix("Thành phố ") for lbl in labels]
    assert short.index("Cần Thơ") < short.index("Đà Nẵng") < short.index("Điện Biên") < short.index("Gia Lai")
    assert short.index("Thái Nguyên") < short.index("Thanh Hóa")
    assert short == sorted(short, key=vi_sort_key)


# --- outliers -------------------------------------------------------------------------------


def _counts(received: int, overdue: int) -> dict[str, int]:
    """A month of a commune: 40 % online, ``overdue`` of ``received`` settled overdue."""
    online = received * 2 // 5
    pending = received // 30
    return {"received_carried": 0, "received_online": online, "received_direct": received - online,
            "settled_on_time": received - overdue - pending, "settled_overdue": overdue, "pending_within": pending,
            "pending_overdue": 0}


@pytest.fixture
def crafted(engine: Engine, tmp_path: Path) -> dict:
    """Communes of Điện Biên (2025 units) for 07 and 08/2025 loaded from one template file:
    eight ordinary communes at 5-9 % overdue, one at 94 % in August, one whose August is ×6 its
    July, one tiny commune at 90 % (10 dossiers) and one going 2 -> 10 dossiers (noise)."""
    units = queries.units_frame(engine)
    codes = sorted(units.loc[(units["scheme"] == "2025") & (units["level"] == "commune")
                             & (units["province_id"] == int(units.loc[(units["scheme"] == "2025")
                                                                      & (units["code"] == "11"), "id"].iloc[0])),
                             "code"])[:12]
    ordinary, high, jump, tiny, noise = codes[:8], codes[8], codes[9], codes[10], codes[11]
    rows: list[dict] = []
    for month in ("2025-07", "2025-08"):
        for i, code in enumerate(ordinary):
            received = 100 + 10 * i
            rows.append({"province_code": "11", "unit_code": code, "period": month,
                         **_counts(received, received * (5 + i // 2) // 100)})
        rows.append({"province_code": "11", "unit_code": high, "period": month,
                     **_counts(100, 94 if month == "2025-08" else 7)})
        rows.append({"province_code": "11", "unit_code": jump, "period": month,
                     **_counts(600 if month == "2025-08" else 100, 42 if month == "2025-08" else 7)})
        rows.append({"province_code": "11", "unit_code": tiny, "period": month, **_counts(10, 9)})
        rows.append({"province_code": "11", "unit_code": noise, "period": month,
                     **_counts(10 if month == "2025-08" else 2, 0)})
    res = load_file(engine, write_template_csv(tmp_path / "dien_bien_2025.csv", rows))
    assert res.status == "loaded", [str(f) for f in res.findings]

    def row_of(code: str, month: str) -> int:  # header on row 1
        return next(i for i, r in enumerate(rows) if r["unit_code"] == code and r["period"] == month) + 2

    return {"batch": res.batch_id, "ordinary": ordinary, "high": high, "jump": jump, "tiny": tiny, "noise": noise,
            "high_row": row_of(high, "2025-08"), "jump_row": row_of(jump, "2025-08"), "units": units}


def test_outliers_name_the_unit_its_batch_and_its_row(engine: Engine, crafted: dict) -> None:
    found = queries.outliers(engine, "2025", date(2025, 7, 1), date(2025, 12, 31))
    assert set(found["code"]) == {crafted["high"], crafted["jump"]}  # ordinary, tiny and noisy units stay out
    peer = found[found["rule"] == "peers"].iloc[0]
    assert (peer["code"], peer["indicator"], peer["period_label"]) == (crafted["high"], "overdue_rate",
                                                                        "Tháng 08/2025")
    assert peer["value"] == pytest.approx(0.94) and 0.05 <= peer["reference"] <= 0.09
    assert peer["peers"] == 10  # the eight ordinary communes, the jumping one and itself (tiny one too small)
    assert (peer["batch_id"], peer["file_name"], peer["row"]) == (crafted["batch"], "dien_bien_2025.csv",
                                                                  crafted["high_row"])
    assert peer["province"] == "Tỉnh Điện Biên" and peer["name"]
    jump = found[found["rule"] == "jump"].iloc[0]
    assert (jump["code"], jump["indicator"], jump["period_label"]) == (crafted["jump"], "received", "Tháng 08/2025")
    assert (jump["value"], jump["reference"], jump["reference_label"]) == (600, 100, "07/2025")
    assert (jump["batch_id"], jump["row"]) == (crafted["batch"], crafted["jump_row"])


def test_a_fall_to_a_fifth_is_a_jump_too(engine: Engine, tmp_path: Path) -> None:
    units = queries.units_frame(engine)
    code = units.loc[(units["scheme"] == "2025") & (units["level"] == "commune"), "code"].iloc[0]
    rows = [{"unit_code": code, "period": "2025-09", **_counts(300, 3)},
            {"unit_code": code, "period": "2025-10", **_counts(59, 1)},  # 300 -> 59: below 1/5
            {"unit_code": code, "period": "2025-11", **_counts(100, 1)}]  # 59 -> 100: ordinary
    res = load_file(engine, write_template_csv(tmp_path / "fall.csv", rows))
    found = queries.outliers(engine, "2025", date(2025, 7, 1), date(2025, 12, 31))
    assert list(found["period_label"]) == ["Tháng 10/2025"]
    assert (found["value"].iloc[0], found["reference"].iloc[0], found["row"].iloc[0]) == (59, 300, 3)
    assert found["batch_id"].iloc[0] == res.batch_id


def test_outliers_follow_the_views_unit_and_period(engine: Engine, crafted: dict) -> None:
    units = crafted["units"]

    def uid(code: str, level: str) -> int:
        return int(units.loc[(units["scheme"] == "2025") & (units["level"] == level) & (units["code"] == code),
                             "id"].iloc[0])

    def codes(unit_id: int | None, start: date, end: date) -> set[str]:
        ids = queries.scope_ids(engine, "2025", unit_id)
        return set(queries.outliers(engine, "2025", start, end, ids)["code"])

    h2 = (date(2025, 7, 1), date(2025, 12, 31))
    assert codes(uid("11", "province"), *h2) == {crafted["high"], crafted["jump"]}
    assert codes(uid(crafted["high"], "commune"), *h2) == {crafted["high"]}  # still against its province's median
    assert codes(uid("12", "province"), *h2) == set()
    assert codes(None, date(2025, 7, 1), date(2025, 7, 31)) == set()  # July holds neither
    assert codes(None, date(2025, 8, 1), date(2025, 8, 31)) == {crafted["high"], crafted["jump"]}


def test_completeness_of_a_province_lists_its_communes(engine: Engine, crafted: dict) -> None:
    units = crafted["units"]
    prov = int(units.loc[(units["scheme"] == "2025") & (units["code"] == "11"), "id"].iloc[0])
    rows = queries.completeness_rows(engine, "2025", prov)
    grid = queries.reporting_completeness(engine, "2025", date(2025, 8, 31), months=12, rows=rows,
                                          first=date(2025, 7, 1))
    assert sorted(grid["period_label"].unique()) == ["07/2025", "08/2025"]  # nothing before the scheme
    assert set(grid["name"]) == set(units.loc[rows, "name"]) and len(rows) > 12
    reported = grid[grid["value"] == 1]
    assert len(reported) == 24  # twelve communes, two months
    names = list(dict.fromkeys(grid["name"]))
    assert names == sorted(names, key=vi_sort_key)
    national = queries.reporting_completeness(engine, "2025", date(2025, 8, 31), months=2)
    dien_bien = national[national["name"] == "Tỉnh Điện Biên"]
    assert list(dien_bien["numerator"]) == [12, 12]


def test_scope_of_todays_unit_in_old_figures_is_its_old_provinces(engine: Engine) -> None:
    units = queries.units_frame(engine)
    new = int(units.loc[(units["scheme"] == "2025") & (units["level"] == "province") & (units["code"] == "11"),
                        "id"].iloc[0])
    roots = queries.scope_roots(engine, "legacy", new)
    assert [units.at[r, "name"] for r in roots] == ["Tỉnh Điện Biên"]
    ids = queries.scope_ids(engine, "legacy", new)
    assert set(units.loc[sorted(ids), "scheme"]) == {"legacy"}
    assert "Huyện Mường Nhé" in set(units.loc[sorted(ids), "name"])


def test_stated_percentages_and_findings_follow_the_scope(engine: Engine, tmp_path: Path) -> None:
    from tests.files import GOOD_ROW  # Mường Nhé district, 2024-Q1

    path = write_template_csv(tmp_path / "q1.csv", [{**GOOD_ROW, "received_total": 1600, "received_carried": 41}])
    res = load_file(engine, path)
    assert res.status == "loaded" and res.findings  # received 1600, settled + pending 1569: a warning
    units = queries.units_frame(engine)
    legacy = units[units["scheme"] == "legacy"]
    dien_bien = int(legacy.loc[legacy["code"] == "11", "id"].iloc[0])
    lai_chau = int(legacy.loc[legacy["code"] == "12", "id"].iloc[0])
    inside = queries.scope_ids(engine, "legacy", dien_bien)
    assert len(queries.findings_table(engine, unit_ids=inside, start=date(2024, 1, 1), end=date(2024, 12, 31)))
    assert queries.findings_table(engine, unit_ids=queries.scope_ids(engine, "legacy", lai_chau)).empty
    assert queries.findings_table(engine, start=date(2025, 1, 1), end=date(2025, 3, 31)).empty
    cov = queries.real_coverage(engine, inside, date(2024, 1, 1), date(2024, 3, 31))
    assert list(cov["name"]) == ["Huyện Mường Nhé"]
    assert queries.real_coverage(engine, inside, date(2024, 4, 1), date(2024, 6, 30)).empty


def test_rule_constants_are_the_ones_the_page_explains() -> None:
    from components.outliers import rule_text

    text = str(rule_text())
    assert "30 điểm phần trăm" in text and "gấp 5 lần" in text and "1/5" in text
    assert f"từ {rules.MIN_DENOMINATOR} hồ sơ" in text and f"từ {rules.MIN_JUMP_COUNT} hồ sơ" in text


def test_stated_percentages_follow_the_scope_in_name_order(db_url: str, engine: Engine) -> None:
    from etl.cli import main

    assert main(["seed", "--db", db_url]) == 0
    units = queries.units_frame(engine)
    legacy = units[units["scheme"] == "legacy"]

    def ids(code: str) -> set[int]:
        return queries.scope_ids(engine, "legacy", int(legacy.loc[legacy["code"] == code, "id"].iloc[0]))

    bac_giang = ids("24")
    every = queries.stated_vs_computed(engine)
    assert {"10,08%", "24,16%"} <= set(every["stated_text"])
    assert list(every["name"]) == sorted(every["name"], key=vi_sort_key)
    in_2019 = queries.stated_vs_computed(engine, bac_giang, date(2019, 1, 1), date(2019, 12, 31))
    assert list(in_2019["stated_text"]) == ["10,08%"]
    assert queries.stated_vs_computed(engine, ids("11")).empty  # Điện Biên states no percentage
    assert queries.stated_vs_computed(engine, None, date(2021, 1, 1), date(2021, 12, 31)).empty

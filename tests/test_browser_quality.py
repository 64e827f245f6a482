"""The data-quality page in headless Chromium on the demo data plus one crafted file: the URL's
unit and period scope every block, the crafted outliers are listed with their batch and row, the
unit list and tables are in Vietnamese order, and no console error."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from data import queries
from data.db import get_engine
from data.text import vi_sort_key
from etl.cli import main
from tests.conftest import add_test_user
from tests.files import write_template_csv
from tests.test_browser import _plot, _start_app, browser, page  # noqa: F401

pytestmark = pytest.mark.browser
FILE = "crafted_dien_bien.csv"


def _counts(received: int, overdue: int) -> dict[str, int]:
    online = received * 2 // 5
    return {"received_carried": 0, "received_online": online, "received_direct": received - online,
            "settled_on_time": received - overdue, "settled_overdue": overdue, "pending_within": 0,
            "pending_overdue": 0}


@pytest.fixture(scope="module")
def crafted(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Seed + demo for Điện Biên and Lai Châu, then a real file: one commune of Điện Biên at 94 %
    overdue in 08/2025 (its peers are the demo communes), another received ×6 its July."""
    base = tmp_path_factory.mktemp("quality")
    path = base / "app.sqlite"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    assert main(["seed", "--db", url]) == 0
    assert main(["demo", "--provinces", "11,12", "--until", "2025-12", "--db", url]) == 0
    add_test_user(url)
    engine = get_engine(url)
    units = queries.units_frame(engine)
    prov = int(units.loc[(units["scheme"] == "2025") & (units["code"] == "11"), "id"].iloc[0])
    flagged = set(queries.outliers(engine, "2025", date(2025, 7, 1), date(2025, 12, 31))["code"])
    communes = units[(units["province_id"] == prov) & (units["level"] == "commune") & ~units["code"].isin(flagged)]
    high, jump = communes.sort_values("code").iloc[0], communes.sort_values("code").iloc[1]
    rows = [{"province_code": "11", "unit_code": high["code"], "period": "2025-08", **_counts(200, 188)},
            {"province_code": "11", "unit_code": jump["code"], "period": "2025-07", **_counts(100, 5)},
            {"province_code": "11", "unit_code": jump["code"], "period": "2025-08", **_counts(600, 30)}]
    assert main(["load", str(write_template_csv(base / FILE, rows)), "--db", url]) == 0
    batch = int(queries.batches(engine)["id"].max())
    return {"url": url, "high": high["name"], "jump": jump["name"], "batch": batch}


@pytest.fixture(scope="module")
def server(crafted: dict) -> Iterator[str]:
    proc, base = _start_app(crafted["url"])
    yield base
    proc.terminate()
    proc.wait(10)


def _outlier_rows(pg) -> list[str]:  # noqa: ANN001
    pg.wait_for_selector("#outliers-card", timeout=30000)
    return pg.locator("#outliers-table tbody tr").all_inner_texts() if pg.locator("#outliers-table").count() else []


def test_quality_page_scoped_to_the_urls_unit_and_period(server: str, crafted: dict, page) -> None:  # noqa: ANN001, F811
    page.goto(server + "/chat-luong-du-lieu?unit=11&period=2025")
    heat = _plot(page, "quality-completeness")["data"][0]
    assert heat["x"] == [f"{m:02d}/2025" for m in range(7, 13)]  # the 2025 scheme's months of the year
    assert "Tỉnh Điện Biên" not in heat["y"] and all(not y.startswith("Tỉnh") for y in heat["y"])
    assert len(heat["y"]) > 20  # the province's communes, not the provinces
    # the year of the 34 provinces is counted from 01/07/2025 (components.state.clip_to_scheme)
    assert page.inner_text("#quality-scope") == "Tỉnh Điện Biên — 6 tháng cuối năm 2025"
    assert "Tỉnh Điện Biên" in page.inner_text("#f-unit") and "Năm 2025" in page.inner_text("#f-period")
    rows = _outlier_rows(page)
    high = [r for r in rows if r.startswith(crafted["high"] + "\n")]
    assert len(high) == 1, rows
    assert "Tháng 08/2025" in high[0] and "Tỷ lệ hồ sơ quá hạn" in high[0] and "94,00 %" in high[0]
    assert "Trung vị của tỉnh" in high[0] and FILE in high[0]
    cells = high[0].split("\t")
    assert cells[-3].strip() == str(crafted["batch"]) and cells[-1].strip() == "2"  # batch, file row 2
    jump = [r for r in rows if r.startswith(crafted["jump"] + "\n") and "Tháng 08/2025" in r]
    assert len(jump) == 1 and "600" in jump[0] and "Tháng 07/2025: 100" in jump[0] and "×6" in jump[0]
    assert jump[0].split("\t")[-1].strip() == "4"
    names = [r.split("\n")[0] for r in rows]
    assert names == sorted(names, key=vi_sort_key)
    assert "Lệch khỏi các đơn vị cùng cấp" in page.inner_text("#outlier-rules")
    assert page.console_errors == []


def test_another_unit_or_period_leaves_the_crafted_outliers_out(server: str, crafted: dict, page) -> None:  # noqa: ANN001, F811
    for query in ("?unit=12&period=2025", "?unit=11&period=2025-07"):
        page.goto(server + "/chat-luong-du-lieu" + query)
        rows = _outlier_rows(page)
        assert not [r for r in rows if r.startswith((crafted["high"] + "\n", crafted["jump"] + "\n"))
                    and "08/2025" in r], query
    assert page.console_errors == []


def test_unknown_parameters_fall_back_like_elsewhere(server: str, page) -> None:  # noqa: ANN001, F811
    page.goto(server + "/chat-luong-du-lieu?scheme=foo&unit=abc&period=xyz")
    page.wait_for_selector("#quality-scope", timeout=30000)
    assert page.inner_text("#quality-scope") == "Toàn quốc — Quý IV/2025"  # the latest complete quarter
    heat = _plot(page, "quality-completeness")["data"][0]
    assert "Tỉnh Điện Biên" in heat["y"] and heat["x"][-1] == "12/2025"
    assert page.console_errors == []


def test_unit_dropdown_in_vietnamese_order(server: str, page) -> None:  # noqa: ANN001, F811
    page.goto(server + "/chat-luong-du-lieu?period=2025")
    page.wait_for_selector("#f-unit", timeout=30000)
    page.click("#f-unit")
    page.wait_for_selector(".VirtualizedSelectOption", timeout=10000)
    options = page.locator(".VirtualizedSelectOption").all_inner_texts()  # the first rows of the list
    short = [o.removeprefix("Tỉnh ").removeprefix("Thành phố ") for o in options]
    assert short[:9] == ["Toàn quốc", "An Giang", "Bắc Ninh", "Cà Mau", "Cao Bằng", "Cần Thơ", "Đà Nẵng",
                         "Đắk Lắk", "Điện Biên"], short
    assert page.console_errors == []

"""The Chỉ số 766 page in headless Chromium, on the demo database with real-shaped portal files
loaded as a user would (tests/portal766_files.py): two national captures of Q3/2026 (the later
replaces the earlier one) and Quảng Trị's departments and communes. The page shows the file's
total and rank, the change since the earlier capture, the groups weakest first; the group
selector changes the league, the map and the URL; the URL reopens the view; no console error and
no sideways scrolling on a desktop and a phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from etl.load import load_file
from etl.portal766 import GROUP_MAX
from tests import portal766_files as F
from tests.conftest import demo_database
from tests.test_browser import _start_app, browser, new_page  # noqa: F401  (the module's browser fixture)
from tests.test_browser_view import OVERFLOW_JS

pytestmark = pytest.mark.browser
REQ = {"timeType": "quarter", "year": 2026, "quarter": 3, "currentPage": 1, "pageSize": 200}
NATIONAL = F.national_service_results()  # the capture of 05/10/2026
EARLIER = F.national_service_results(seed=765)  # the capture of 01/10/2026
VIEW = "/chi-so-766?unit=44&period=2026-Q3"


def _vn(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def _rank(answer: dict, code: str) -> int:
    totals = [r["totalScore"] for r in answer["data"]["evaluation"]]
    mine = next(r["totalScore"] for r in answer["data"]["evaluation"] if r["departmentCode"] == code)
    return 1 + sum(t > mine for t in totals)


def _qt(answer: dict) -> dict:
    return next(r for r in answer["data"]["evaluation"] if r["departmentCode"] == F.QT)


@pytest.fixture(scope="module")
def db(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("browser766")
    url = demo_database(template_db, folder, "45", "2026-11")  # Quảng Trị's demo up to 11/2026
    from data.db import get_engine

    engine = get_engine(url)
    files = {
        "766_toan-quoc_2026-Q3_01-10.json": F.envelope(EARLIER, "service-results", REQ,
                                                       fetched_at="2026-10-01T09:00:00+07:00"),
        "766_toan-quoc_2026-Q3_05-10.json": F.envelope(NATIONAL, "service-results", REQ,
                                                       fetched_at="2026-10-05T09:00:00+07:00"),
        "766_quang-tri_2026-Q3_05-10.json": F.envelope(F.province_service_results(), "service-results",
                                                       {**REQ, "rootDepartmentId": F.dept_id(F.QT)},
                                                       fetched_at="2026-10-05T09:30:00+07:00"),
    }
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        result = load_file(engine, path)
        assert result.status in ("loaded", "replaced"), (name, result.findings)
    return url


@pytest.fixture(scope="module")
def server(db: str) -> Iterator[str]:
    proc, base = _start_app(db)
    yield base
    proc.terminate()
    proc.wait(10)


def _open(page, url: str) -> None:  # noqa: ANN001
    page.goto(url)
    page.wait_for_selector("#s766-title", timeout=60000)
    page.wait_for_load_state("networkidle")


def _trace(page, graph_id: str, trace: int, key: str) -> list:  # noqa: ANN001
    page.wait_for_selector(f"#{graph_id} .main-svg", timeout=20000)
    return page.evaluate(f"() => Array.from(document.querySelector('#{graph_id} .js-plotly-plot')"
                         f"._fullData[{trace}].{key})")


def _map_z(page) -> list:  # noqa: ANN001
    """The shares the map colours the provinces by (its trace of scores)."""
    page.wait_for_selector("#s766-map .main-svg", timeout=20000)
    return page.evaluate("() => Array.from(document.querySelector('#s766-map .js-plotly-plot')._fullData"
                         ".find(t => t.name !== 'Đang chọn' && t.name !== 'Chưa có điểm').z)")


def test_province_scorecard_shows_the_portal_figures(server: str, browser) -> None:  # noqa: ANN001, F811
    context, page = new_page(browser, 1440, 900, base=server)
    try:
        _open(page, server + VIEW)
        mine, before = _qt(NATIONAL), _qt(EARLIER)
        assert page.inner_text("#s766-total") == _vn(mine["totalScore"])
        assert page.inner_text("#s766-rank") == f"Hạng {_rank(NATIONAL, F.QT)}/34"
        change = page.inner_text("#s766-change")
        diff = mine["totalScore"] - before["totalScore"]
        assert change == (f"{'▲' if diff > 0 else '▼'} {_vn(abs(diff))} điểm so với bản chụp trước ngày "
                          "01/10/2026 của cùng kỳ")
        assert "766_toan-quoc_2026-Q3_05-10.json, bản chụp 05/10/2026" in page.inner_text("#s766-source")
        assert "Dữ liệu minh họa" not in page.inner_text("#s766-title")  # the portal's figures, not the demo
        # the groups, weakest first (by share of the maximum): plotly lists them bottom-up
        groups = mine["groupScores"]
        weakest_first = sorted(groups, key=lambda g: groups[g] / GROUP_MAX[g])
        from data import metrics

        labels = [metrics.score_group(g).label_vi for g in weakest_first]
        assert _trace(page, "s766-groups", 1, "y")[::-1] == labels
        texts = _trace(page, "s766-groups", 1, "text")[::-1]
        assert texts[0] == f"{_vn(groups[weakest_first[0]])}/{GROUP_MAX[weakest_first[0]]}"
        # the departments and communes from the province's file, ranked
        assert "Sở Y tế" in page.inner_text("#s766-departments")
        assert "Phường Đồng Hới" in page.inner_text("#s766-communes") or \
            "Xã" in page.inner_text("#s766-communes")
        assert "Đối chiếu số liệu Cổng DVCQG và báo cáo" in page.inner_text("#s766-reconcile")
        assert page.console_errors == []
    finally:
        context.close()


def test_group_selector_changes_league_map_and_url(server: str, browser) -> None:  # noqa: ANN001, F811
    context, page = new_page(browser, 1440, 900, base=server)
    try:
        _open(page, server + VIEW)
        z_total = _map_z(page)
        first_total = page.inner_text("#s766-league tbody tr:nth-child(2) td:nth-child(2)")
        from data import metrics

        rows = NATIONAL["data"]["evaluation"]
        leader = max(rows, key=lambda r: r["totalScore"])
        # a group whose leader is not the total's, so the league visibly changes
        key, best = next((g, b) for g in GROUP_MAX
                         if (b := max(rows, key=lambda r, g=g: r["groupScores"][g])) is not leader)
        label = metrics.score_group(key).label_vi
        page.click("#s766-group")
        page.keyboard.type(label)
        page.wait_for_timeout(300)
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => location.search.includes('group={key}')", timeout=20000)
        page.wait_for_function(f"() => (document.querySelector('#s766-league-title')?.innerText || '').includes('{label}')",
                               timeout=30000)
        name = best["departmentName"].removeprefix("UBND ").replace("tỉnh", "Tỉnh")
        top = page.inner_text("#s766-league tbody tr:nth-child(2) td:nth-child(2)")
        assert top == name and top != first_total
        assert _map_z(page) != z_total and len(z_total) == 34  # the map follows the group
        # the URL reopens the same view
        url = page.url
        _open(page, url)
        assert label in page.inner_text("#s766-league-title")
        assert page.inner_text("#s766-league tbody tr:nth-child(2) td:nth-child(2)") == name
        assert page.inner_text("#s766-total") == _vn(_qt(NATIONAL)["totalScore"])
        # a change of the filters keeps the group
        page.click("#f-period")
        page.keyboard.type("Tháng 06/2026")
        page.wait_for_timeout(300)
        page.keyboard.press("Enter")
        page.wait_for_function("() => location.search.includes('period=2026-06')", timeout=20000)
        assert f"group={key}" in page.url
        page.wait_for_function("() => (document.querySelector('#s766-title')?.innerText || '').includes('Tháng 06/2026')",
                               timeout=30000)
        assert "Dữ liệu minh họa" in page.inner_text("#s766-title")  # June: the demo's scores, labelled
        assert page.console_errors == []
    finally:
        context.close()


@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_no_sideways_scrolling(server: str, browser, size: tuple[int, int]) -> None:  # noqa: ANN001, F811
    context, page = new_page(browser, *size, phone=size[0] < 600, base=server)
    try:
        for url in (VIEW, "/chi-so-766?unit=&period=2026-11"):
            _open(page, server + url)
            page.wait_for_selector("#s766-map .main-svg", timeout=20000)
            box = page.evaluate(OVERFLOW_JS)
            assert box["scroll"] <= box["width"] and box["out"] == [], (url, box)
        assert page.console_errors == []
    finally:
        context.close()

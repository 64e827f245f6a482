"""What users hit (issue 9) in headless Chromium: a verdict only against a target, filters that
stay through menus, Back and scheme switches, the worst units first with the unit's rank, real
figures beside demo ones, a phone layout without sideways scrolling, and no dead ends."""

# ruff: noqa: F811  (pytest fixtures imported from tests.test_browser are parameters here)
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.test_browser import _plot, browser, db, new_page, page, server  # noqa: F401

pytestmark = pytest.mark.browser

PAGES = ["/", "/buu-chinh-cong-ich", "/dich-vu-cong-truc-tuyen", "/tien-do-giai-quyet", "/xep-hang", "/so-nganh",
         "/chat-luong-du-lieu", "/nguon-so-lieu"]

# Elements reaching past the right edge of the window that no scrolling box holds: what makes a
# page scroll sideways (the page itself is not allowed to hide it: html/body keep overflow visible)
OVERFLOW_JS = """() => {
  const W = document.documentElement.clientWidth, out = [];
  const held = (el) => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; }
    return false; };
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > W + 1 && !held(el)) out.push((el.id || el.className || el.tagName).toString().slice(0, 50));
  }
  return {scroll: document.documentElement.scrollWidth, width: W, out: out.slice(0, 5),
          hidden: getComputedStyle(document.documentElement).overflowX + '/' + getComputedStyle(document.body).overflowX};
}"""


@pytest.fixture(params=[(390, 844), (1440, 900)], ids=["phone", "desktop"])
def sized(browser, server: str, request: pytest.FixtureRequest) -> Iterator[object]:  # noqa: ANN001
    context, p = new_page(browser, *request.param, phone=request.param[0] < 600, base=server)
    yield p
    context.close()


@pytest.fixture
def phone(browser, server: str) -> Iterator[object]:  # noqa: ANN001
    context, p = new_page(browser, 390, 844, phone=True, base=server)
    yield p
    context.close()


def _xs(page, graph_id: str, trace: int = 0) -> list[float]:  # noqa: ANN001
    """The x values of one trace as drawn (typed arrays made plain lists)."""
    page.wait_for_selector(f"#{graph_id} .main-svg", timeout=20000)
    return page.evaluate(f"""() => Array.from(document.querySelector('#{graph_id} .js-plotly-plot')._fullData[{trace}].x)""")


def _ready(page) -> None:  # noqa: ANN001
    page.wait_for_selector("h1, .alert", timeout=30000)
    page.wait_for_load_state("networkidle")


# --- 1. a light only where there is a target --------------------------------------------------


def test_no_verdict_without_a_target_and_the_target_named_with_one(server: str, page) -> None:  # noqa: ANN001, F811
    page.goto(server + "/buu-chinh-cong-ich?scheme=2025&period=2025-Q4")
    _ready(page)
    cards = page.locator(".kpi-card")
    postal = cards.nth(0).inner_text()
    assert "Chưa có mục tiêu" in postal
    assert not any(word in postal for word in ("Chưa đạt", "Gần đạt")) and "\nĐạt" not in postal
    # the per-unit bars are one neutral colour: no red without a target
    bars = _plot(page, "postal-units")["data"][0]
    colours = bars["marker"]["color"]
    assert len(set(colours if isinstance(colours, list) else [colours])) == 1
    assert not set(colours) & {"#dc3545", "#198754", "#ffc107"}
    page.goto(server + "/dich-vu-cong-truc-tuyen?scheme=2025&unit=11&period=2025-Q4")
    _ready(page)
    online = page.locator(".kpi-card").nth(0)
    text = online.inner_text()
    assert "Mục tiêu ≥ 50 %" in text and any(w in text for w in ("Đạt", "Gần đạt", "Chưa đạt"))
    assert "Nghị quyết 76/NQ-CP" in online.locator(".kpi-target").get_attribute("title")  # whose target
    assert page.console_errors == []


def test_a_province_target_from_its_document_applies(server: str, page) -> None:  # noqa: ANN001, F811
    """Lai Châu's own plan (80 % / 50 % for 2021-2025) is the target its cards name."""
    page.goto(server + "/?scheme=legacy&unit=12&period=2024")
    _ready(page)
    title = page.locator(".kpi-card").nth(0).locator(".kpi-target").get_attribute("title")
    assert "(Lai Châu)" in title and "01/01/2021" in title and "31/12/2025" in title


# --- 2. filters stay with the user ----------------------------------------------------------


def test_menu_links_keep_the_view_and_back_steps_once(server: str, page) -> None:  # noqa: ANN001, F811
    before = page.evaluate("history.length")
    page.goto(server + "/?unit=11&period=2025")
    _ready(page)
    assert page.evaluate("history.length") == before + 1  # this view: opening added no other entry
    page.click("#f-compare")
    page.get_by_text("Cùng kỳ năm trước").click()
    page.wait_for_function("() => location.search.includes('compare=yoy')", timeout=20000)
    page.click("a.nav-link:has-text('Tiến độ giải quyết')")
    page.wait_for_function("() => location.pathname === '/tien-do-giai-quyet'", timeout=20000)
    _ready(page)
    assert "unit=11" in page.url and "period=2025" in page.url and "compare=yoy" in page.url
    assert "Tỉnh Điện Biên" in page.inner_text("h1")
    page.go_back()
    page.wait_for_function("() => location.pathname === '/' && location.search.includes('compare=yoy')",
                           timeout=20000)
    page.go_back()  # one press per view
    page.wait_for_function("() => !location.search.includes('compare=yoy')", timeout=20000)
    assert "unit=11" in page.url
    page.go_forward()
    page.wait_for_function("() => location.search.includes('compare=yoy')", timeout=20000)
    assert page.console_errors == []


def test_switching_the_unit_system_keeps_a_unit_present_in_both(server: str, page) -> None:  # noqa: ANN001, F811
    page.goto(server + "/?scheme=2025&unit=11&period=2025-Q4")
    _ready(page)
    page.click("#f-scheme")
    page.get_by_text("Trước 01/07/2025 (63 tỉnh)").click()
    page.wait_for_function("() => location.search.includes('scheme=legacy')", timeout=20000)
    _ready(page)
    assert "unit=11" in page.url and "Tỉnh Điện Biên" in page.inner_text("h1")
    assert "period=latest-quarter" in page.url  # Q4/2025 is not in the old system: its latest quarter


def test_an_unknown_unit_says_so(server: str, page) -> None:  # noqa: ANN001, F811
    for path in ("/", "/tien-do-giai-quyet", "/xep-hang"):
        page.goto(server + path + "?unit=99")
        page.wait_for_selector("#unknown-unit", timeout=30000)
        assert "Không có đơn vị mã “99”" in page.inner_text("#unknown-unit")
        assert "unit=99" in page.url  # the URL is not silently rewritten to the country
        assert page.locator(".kpi-card").count() == 0
    page.goto(server + "/?scheme=2025&unit=45")  # Quảng Trị's old code: offered in the old system
    page.wait_for_selector("#unknown-unit", timeout=30000)
    link = page.locator("#unknown-unit a", has_text="Trước 01/07/2025")
    link.click()
    page.wait_for_function("() => location.search.includes('scheme=legacy')", timeout=20000)
    page.wait_for_selector("h1", timeout=20000)
    assert "Tỉnh Quảng Trị" in page.inner_text("h1")


def test_breadcrumb_restores_the_level_of_each_step(server: str, page) -> None:  # noqa: ANN001, F811
    page.goto(server + "/xep-hang?scheme=legacy&unit=11&level=district&period=2024")
    page.wait_for_selector("#league td", timeout=30000)
    page.locator("#league td[data-dash-column=name]").first.click()  # a district: its communes
    page.wait_for_function("() => location.search.includes('level=commune')", timeout=20000)
    page.wait_for_selector("#rank-breadcrumb a:has-text('Tỉnh Điện Biên')", timeout=20000)
    page.click("#rank-breadcrumb a:has-text('Tỉnh Điện Biên')")
    page.wait_for_function("() => location.search.includes('unit=11&') && location.search.includes('level=district')",
                           timeout=20000)
    # the province's districts again (the commune table is replaced when the page re-renders)
    page.wait_for_function("""() => { const td = document.querySelector('#league td[data-dash-column=name]');
        return td && /^(Huyện|Thành phố|Thị xã)/.test(td.innerText); }""", timeout=20000)
    assert "Huyện" in page.inner_text("#f-level")


# --- 3. the worst units first, the unit's rank -----------------------------------------------


def test_per_unit_chart_shows_the_worst_first_and_the_rank(server: str, page) -> None:  # noqa: ANN001, F811
    page.goto(server + "/tien-do-giai-quyet?scheme=2025&unit=11&period=2025-Q4")
    _ready(page)
    header = page.inner_text("#timeliness-units >> xpath=../..")
    values = _xs(page, "timeliness-units")
    # plotly draws the first category at the bottom: the top bar is the last one
    assert values[-1] == max(values) and values == sorted(values)  # overdue: the highest on top
    if "yếu nhất trong" in header:
        assert len(values) == 30
    card = page.locator(".kpi-card").nth(0).inner_text()
    assert "Hạng " in card and "/2" in card  # Điện Biên among the two 2025 provinces of the demo
    page.goto(server + "/dich-vu-cong-truc-tuyen?scheme=2025&unit=11&period=2025-Q4")
    _ready(page)
    values = _xs(page, "online-units")
    assert values[-1] == min(values)  # online filing: the lowest on top


# --- 5. real figures where people look ------------------------------------------------------


def test_real_figure_beside_the_demo_value_named_by_its_document(server: str, page) -> None:  # noqa: ANN001, F811
    page.goto(server + "/tien-do-giai-quyet?scheme=legacy&unit=11&level=district&period=2020")
    page.wait_for_selector("#real-beside", timeout=30000)
    table = page.inner_text("#real-beside")
    assert "Thành phố Điện Biên Phủ" in table and "81,94 %" in table and "2.037/2.486" in table
    assert "Số liệu thật" in table and "Dữ liệu minh họa" in table
    assert "Đẩy mạnh tuyên truyền về dịch vụ công trực tuyến (Báo Điện Biên Phủ), 24/02/2020" in table
    assert "seed_figures.csv" not in table
    traces = _plot(page, "timeliness-units")["data"]
    i = next(i for i, t in enumerate(traces) if t.get("name", "").startswith("Số liệu thật"))
    names = page.evaluate(f"() => Array.from(document.querySelector('#timeliness-units .js-plotly-plot')._fullData[{i}].y)")
    x = _xs(page, "timeliness-units", i)
    assert abs(x[names.index("Thành phố Điện Biên Phủ")] - 2037 / 2486) < 1e-9


# --- 6. a phone layout -----------------------------------------------------------------------


def test_no_page_scrolls_sideways(server: str, sized) -> None:  # noqa: ANN001
    for path in PAGES:
        sized.goto(server + path + "?scheme=legacy&unit=11&period=2024")
        _ready(sized)
        sized.wait_for_timeout(300)
        found = sized.evaluate(OVERFLOW_JS)
        assert found["hidden"] == "visible/visible", found  # not hidden away
        assert found["scroll"] <= found["width"] and found["out"] == [], (path, found)
    assert sized.console_errors == []


def test_phone_first_screen_holds_the_headline_figures(server: str, phone) -> None:  # noqa: ANN001
    sized = phone
    sized.goto(server + "/?scheme=2025&unit=11&period=2025-Q4")
    _ready(sized)
    assert not sized.locator("a.nav-link:has-text('Tiến độ giải quyết')").is_visible()  # the menu folds
    assert not sized.locator("#f-period").is_visible()  # the filters fold behind their summary
    assert "Tỉnh Điện Biên" in sized.inner_text("#f-toggle")
    first = sized.locator(".kpi-value").first.bounding_box()
    assert first["y"] + first["height"] <= 844  # a number on the first screen
    sized.click("#f-toggle")
    sized.locator("#f-period").wait_for(state="visible", timeout=10000)
    sized.wait_for_function("() => !document.querySelector('.collapsing')", timeout=10000)  # done opening
    sized.click("#nav-toggle")
    sized.locator("a.nav-link:has-text('Tiến độ giải quyết')").wait_for(state="visible", timeout=10000)
    # a swipe over a chart scrolls the page: no chart takes the drag
    for graph in ("overview-trend", "overview-best-worst"):
        assert _plot(sized, graph)["layout"]["dragmode"] is False


# --- 10. no dead ends ------------------------------------------------------------------------


def test_no_dead_ends(server: str, page) -> None:  # noqa: ANN001, F811
    page.goto(server + "/xep-hang?scheme=legacy&period=2024")
    page.wait_for_selector("#league td", timeout=30000)
    level = page.locator("#f-level")
    assert "Tỉnh, thành phố" in level.inner_text() and "Xã" not in level.inner_text()
    page.goto(server + "/xep-hang?scheme=2025&unit=11&period=2025-Q4")  # communes: the lowest level
    page.wait_for_selector("#league td", timeout=30000)
    assert "bấm vào một dòng" not in page.inner_text("body")
    url = page.url
    page.locator("#league td[data-dash-column=name]").first.click()
    page.wait_for_timeout(800)
    assert page.url == url and page.locator("#league td.focused").count() == 0  # nothing promised, nothing done
    page.goto(server + "/?scheme=2025&unit=11&period=2024")  # a period of the other system
    page.wait_for_selector("#period-outside", timeout=30000)
    note = page.locator("#period-outside")
    assert "01/07/2025" in note.inner_text() and "Năm 2024 nằm ngoài" in note.inner_text()
    note.locator("a").click()
    page.wait_for_function("() => location.search.includes('scheme=today')", timeout=20000)
    page.wait_for_selector(".kpi-value", timeout=20000)
    assert page.console_errors == []

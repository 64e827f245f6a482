"""The dashboard in headless Chromium (Debian's /usr/bin/chromium driven by Playwright):
pages load with data and no console error, a filter change updates the chart and the URL,
a copied URL reopens the same view, back works, the seed figure is on screen."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from etl.cli import main
from tests.conftest import ROOT, TEST_PASSWORD, TEST_USER, demo_database

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_app(url: str, **env_extra: str) -> tuple[subprocess.Popen, str]:
    """The production server of the README's run command (gunicorn.conf.py) with two workers,
    so every browser test also runs against several stateless workers."""
    port = _free_port()
    # one session key for every test server: a browser signed in once is signed in on all of them
    env = {**os.environ, "TTHC_DB_URL": url, "PORT": str(port), "HOST": "127.0.0.1", "WEB_CONCURRENCY": "2",
           "TTHC_SECRET_KEY": "khoa-phien-chi-dung-khi-kiem-thu", **env_extra}
    # the server's log goes to a file: a pipe nobody reads fills up and blocks the server
    log = tempfile.NamedTemporaryFile("w+", prefix="tthc-app-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:server"], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        log.seek(0)
        pytest.fail("the app did not start: " + log.read()[-4000:])
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def db(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = demo_database(template_db, tmp_path_factory.mktemp("browser"), "11,12", "2025-12")
    return url


@pytest.fixture(scope="module")
def server(db: str) -> Iterator[str]:
    proc, base = _start_app(db)
    yield base
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is required for the browser tests (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def login(page, base: str, name: str = TEST_USER, password: str = TEST_PASSWORD) -> None:  # noqa: ANN001
    """Sign in through the login page as a user would."""
    page.goto(base + "/dang-nhap")
    page.fill("#name", name)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")


def new_page(browser, width: int = 1440, height: int = 1000, phone: bool = False,  # noqa: ANN001
             base: str | None = None) -> tuple[object, object]:
    """A fresh browser context and page of that size (``phone``: a touch screen) that records
    console errors and page errors in ``page.console_errors``; signed in on ``base`` if given."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN", is_mobile=phone,
                                  has_touch=phone)
    context.set_default_navigation_timeout(90000)  # a loaded 2-core CI machine can be slow to start
    p = context.new_page()
    p.console_errors = []  # type: ignore[attr-defined]
    p.on("console", lambda m: m.type == "error" and p.console_errors.append(m.text))  # type: ignore[attr-defined]
    p.on("pageerror", lambda e: p.console_errors.append(str(e)))  # type: ignore[attr-defined]
    if base is not None:
        login(p, base)
    return context, p


@pytest.fixture
def page(browser, server: str) -> Iterator[object]:  # noqa: ANN001
    context, p = new_page(browser, base=server)
    requests: list[str] = []
    p.on("request", lambda r: requests.append(r.url))
    p.requests = requests  # type: ignore[attr-defined]
    yield p
    context.close()


def _chart_points(page, graph_id: str) -> int:  # noqa: ANN001
    page.wait_for_selector(f"#{graph_id} .main-svg", timeout=20000)
    return page.locator(f"#{graph_id} .scatterlayer .point, #{graph_id} .barlayer .point").count()


def test_every_worker_serves_every_script(server: str) -> None:
    """The page may come from one worker and its scripts from another: each worker knows them."""
    import http.cookiejar
    import re
    import urllib.error
    import urllib.request
    from urllib.parse import urlencode

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = opener.open(server + "/dang-nhap", timeout=30).read().decode()
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    opener.open(server + "/dang-nhap", urlencode({"name": TEST_USER, "password": TEST_PASSWORD, "csrf": token,
                                                   "next": "/"}).encode(), timeout=30)
    html = opener.open(server + "/", timeout=30).read().decode()
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert len(scripts) > 5

    def fetch(src: str) -> int:
        try:
            with opener.open(server + src, timeout=30) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(16) as pool:  # busy enough that both workers answer
        codes = list(pool.map(fetch, scripts * 8))
    assert codes == [200] * len(codes), sorted(set(codes))


def test_overview_loads_with_data_and_no_console_error(server: str, page) -> None:  # noqa: ANN001
    page.goto(server + "/")
    page.wait_for_selector("h1", timeout=20000)
    assert _chart_points(page, "overview-trend") > 0
    assert _chart_points(page, "overview-best-worst") > 0
    assert page.locator(".kpi-card").count() == 6
    assert "Dữ liệu minh họa" in page.inner_text("body")
    assert page.console_errors == []
    assert all(u.startswith(server) or u.startswith("data:") for u in page.requests), page.requests


def test_filter_change_updates_url_and_chart(server: str, page) -> None:  # noqa: ANN001
    page.goto(server + "/?scheme=legacy&unit=11&level=district&period=2024-Q1")
    page.wait_for_selector("#overview-best-worst .main-svg", timeout=20000)
    heading = page.inner_text("h1")
    assert "Tỉnh Điện Biên" in heading and "Quý I/2024" in heading
    before = page.inner_text("#overview-best-worst")
    page.click("#f-period")
    page.keyboard.type("Năm 2023")
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('period=2023')", timeout=20000)
    page.wait_for_function("() => (document.querySelector('h1')?.innerText || '').includes('Năm 2023')", timeout=20000)
    assert page.inner_text("#overview-best-worst") != before  # the chart changed with the period
    page.go_back()
    page.wait_for_function("() => (document.querySelector('h1')?.innerText || '').includes('Quý I/2024')", timeout=20000)
    assert page.console_errors == []


def test_copied_url_reopens_the_same_view(server: str, page, browser) -> None:  # noqa: ANN001
    url = server + "/?scheme=legacy&unit=12&level=commune&period=2023&compare=yoy&metric=overdue_rate"
    page.goto(url)
    page.wait_for_selector("#overview-best-worst .main-svg", timeout=20000)
    first = (page.inner_text("h1"), page.inner_text(".kpi-card >> nth=0"))
    other = browser.new_page()
    login(other, server)
    other.goto(url)
    other.wait_for_selector("#overview-best-worst .main-svg", timeout=20000)
    assert (other.inner_text("h1"), other.inner_text(".kpi-card >> nth=0")) == first
    assert "Tỉnh Lai Châu" in first[0] and "Năm 2023" in first[0]
    other.close()


def test_accent_insensitive_unit_search(server: str, page) -> None:  # noqa: ANN001
    page.goto(server + "/?scheme=legacy&period=2024")
    page.wait_for_selector("#f-unit", timeout=20000)
    page.click("#f-unit")
    page.keyboard.type("dien bien")
    menu = page.locator("#f-unit .Select-menu-outer")
    menu.wait_for(timeout=10000)
    assert menu.inner_text().splitlines()[0] == "Tỉnh Điện Biên"
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('unit=11')", timeout=20000)


def test_seed_figure_on_screen(server: str, page) -> None:  # noqa: ANN001
    page.goto(server + "/nguon-so-lieu")
    page.wait_for_selector("table", timeout=20000)
    body = page.inner_text("body")
    assert "Thành phố Điện Biên Phủ" in body and "2.037/2.486" in body and "81,94 %" in body
    assert page.console_errors == []


def test_ranking_map_and_drill_down(server: str, page) -> None:  # noqa: ANN001
    page.goto(server + "/xep-hang?scheme=legacy&period=2024&metric=overdue_rate")
    page.wait_for_selector("#rank-map .maplibregl-canvas, #rank-map canvas", timeout=20000)
    page.wait_for_selector("#league td", timeout=20000)
    rows = page.locator("#league tbody tr").count()
    assert rows >= 2  # the two demo provinces (Điện Biên, Lai Châu) have data in 2024
    assert "CC BY-SA 4.0" in page.inner_text("#rank-map")  # attribution on the map
    first_name = page.locator("#league td[data-dash-column=name]").first.inner_text()
    page.locator("#league td[data-dash-column=name]").first.click()
    page.wait_for_function("() => /unit=\\d\\d&/.test(location.search) && location.search.includes('level=district')",
                           timeout=20000)
    page.wait_for_function(f"() => (document.querySelector('#rank-breadcrumb')?.innerText || '').includes('{first_name}')",
                           timeout=20000)
    page.wait_for_selector("#league td", timeout=20000)
    assert "Huyện" in page.inner_text("#league") or "Thành phố" in page.inner_text("#league")
    page.locator("#rank-breadcrumb a", has_text="Toàn quốc").click()
    page.wait_for_function("() => location.search.includes('unit=&') || !location.search.includes('unit=')",
                           timeout=20000)
    assert page.console_errors == []
    assert all(u.startswith(server) or u.startswith(("data:", "blob:")) for u in page.requests), [
        u for u in page.requests if not u.startswith(server)]


def test_departments_page(server: str, page) -> None:  # noqa: ANN001
    page.goto(server + "/so-nganh?scheme=legacy&unit=11&period=2024-Q1")
    page.wait_for_selector("#dept-online_intake_share .main-svg", timeout=20000)
    assert _chart_points(page, "dept-online_intake_share") >= 15
    body = page.inner_text("body")
    assert "Sở Nội vụ" in body and "Số thủ tục hành chính theo cơ quan" in body
    assert page.console_errors == []


def test_data_quality_page_shows_the_disagreement(server: str, page) -> None:  # noqa: ANN001
    page.goto(server + "/chat-luong-du-lieu?scheme=legacy&period=2019-2020")  # the page shows the URL's period
    page.wait_for_selector("#stated-table", timeout=20000)
    stated = page.inner_text("#stated-table")
    assert "10,08%" in stated and "23/212 = 10,85 %" in stated and "Không khớp" in stated
    assert "24,16%" in stated and "Khớp" in stated
    assert "seed_figures.csv" in page.inner_text("#findings-table")
    assert page.console_errors == []


@pytest.mark.parametrize(("path", "prefix"), [("/buu-chinh-cong-ich", "postal"),
                                              ("/dich-vu-cong-truc-tuyen", "online"),
                                              ("/tien-do-giai-quyet", "timeliness")])
def test_thematic_pages_load_with_data(server: str, page, path: str, prefix: str) -> None:  # noqa: ANN001
    page.goto(server + path + "?scheme=legacy&unit=11&level=district&period=2024")
    page.wait_for_selector(f"#{prefix}-units .main-svg", timeout=20000)
    assert _chart_points(page, f"{prefix}-trend") > 0
    assert _chart_points(page, f"{prefix}-units") >= 5
    assert page.locator(".kpi-card").count() == 4
    assert page.console_errors == []


def test_timeliness_shows_the_dien_bien_phu_figure(server: str, page) -> None:  # noqa: ANN001
    page.goto(server + "/tien-do-giai-quyet?scheme=legacy&unit=11&level=district&period=2020-01-01..2020-02-24")
    page.wait_for_selector("#timeliness-worst", timeout=20000)
    page.wait_for_timeout(1500)  # a dropdown that dropped the custom period would rewrite the URL by now
    assert "period=2020-01-01..2020-02-24" in page.url
    assert "Từ 01/01/2020 đến 24/02/2020" in page.inner_text("h1")
    worst = page.inner_text("#timeliness-worst")
    assert "Thành phố Điện Biên Phủ\t2.037/2.486\t81,94 %" in worst
    assert "Huyện Mường Nhé\t229/263\t87,07 %" in worst


def test_trend_ends_at_the_period_shown(server: str, page) -> None:  # noqa: ANN001
    page.goto(server + "/dich-vu-cong-truc-tuyen?scheme=legacy&unit=11&level=commune&period=2020")
    page.wait_for_selector("#online-trend .main-svg", timeout=20000)
    ticks = page.locator("#online-trend .xaxislayer-above").text_content() or ""
    assert "2020" in ticks and "2021" not in ticks and "2024" not in ticks


def test_district_and_commune_search(server: str, page) -> None:  # noqa: ANN001
    page.goto(server + "/?scheme=legacy&period=2024")
    page.wait_for_selector("#f-unit", timeout=20000)
    page.click("#f-unit")
    page.keyboard.type("muong nhe")
    page.wait_for_function("() => { const m = document.querySelector('#f-unit .Select-menu-outer');"
                           " return m && m.innerText.includes('Huyện Mường Nhé'); }", timeout=20000)
    menu = page.inner_text("#f-unit .Select-menu-outer")
    assert "Huyện Mường Nhé (Điện Biên)" in menu and "Xã Mường Nhé" in menu
    page.locator("#f-unit .Select-menu-outer >> text=Huyện Mường Nhé (Điện Biên)").click()
    page.wait_for_function("() => location.search.includes('unit=096')", timeout=20000)
    page.wait_for_function("() => (document.querySelector('h1')?.innerText || '').includes('Huyện Mường Nhé')",
                           timeout=20000)
    assert page.console_errors == []


def _plot(page, graph_id: str) -> dict:  # noqa: ANN001
    """The Plotly data and layout drawn in a dcc.Graph."""
    page.wait_for_selector(f"#{graph_id} .main-svg", timeout=20000)
    return page.evaluate(f"""() => {{ const el = document.querySelector('#{graph_id} .js-plotly-plot');
        return {{data: el.data, layout: el.layout}}; }}""")


def test_timeliness_heatmap_of_units_by_periods(server: str, page) -> None:  # noqa: ANN001
    page.goto(server + "/tien-do-giai-quyet?scheme=legacy&unit=11&level=district&period=2024-Q4")
    heat = _plot(page, "timeliness-heatmap")["data"][0]
    assert heat["type"] == "heatmap"
    assert heat["x"] == [f"Quý {q}/{y}" for y, q in [(2023, "I"), (2023, "II"), (2023, "III"), (2023, "IV"),
                                                      (2024, "I"), (2024, "II"), (2024, "III"), (2024, "IV")]]
    assert len(heat["y"]) == 10 and "Thành phố Điện Biên Phủ" in heat["y"]  # Điện Biên's ten districts
    assert all(v is not None for row in heat["z"] for v in row)
    assert page.console_errors == []


def test_as_today_on_the_overview_spans_the_reform(server: str, page) -> None:  # noqa: ANN001
    """'Số liệu cũ theo đơn vị hiện nay': 2024 figures on today's Điện Biên equal the old
    province's (it was not merged), and the trend runs on across 1/7/2025."""
    page.goto(server + "/?scheme=legacy&unit=11&period=2024")
    page.wait_for_selector(".kpi-card .kpi-value", timeout=20000)
    legacy = page.locator(".kpi-card .kpi-value").all_inner_texts()
    page.goto(server + "/?scheme=today&unit=11&period=2024")
    page.wait_for_selector(".kpi-card .kpi-value", timeout=20000)
    assert "Tỉnh Điện Biên — Năm 2024" in page.inner_text("h1")
    assert page.locator(".kpi-card .kpi-value").all_inner_texts() == legacy
    assert "theo đơn vị hành chính hiện nay" in page.inner_text("body")
    best_worst = _plot(page, "overview-best-worst")["data"][0]
    assert len(best_worst["y"]) == 10 and all(name.startswith(("Xã", "Phường")) for name in best_worst["y"])
    assert page.console_errors == []


def test_a_real_figure_inside_demo_data_is_labelled_real(server: str, page) -> None:  # noqa: ANN001
    page.goto(server + "/dich-vu-cong-truc-tuyen?scheme=legacy&unit=11&period=2020-Q1")
    page.wait_for_selector(".kpi-card", timeout=20000)
    card = page.locator(".kpi-card", has_text="329/2.114").inner_text()
    # named by its document's title and date, not by the file it was transcribed into
    assert "15,56 %" in card and "Dữ liệu minh họa" not in card
    assert "Nguồn: Đẩy mạnh tuyên truyền về dịch vụ công trực tuyến (Báo Điện Biên Phủ), 24/02/2020" in card
    other = page.locator(".kpi-card", has_text="Tỷ lệ hồ sơ nộp trực tuyến").first.inner_text()
    assert "Dữ liệu minh họa" in other


def test_chart_hover_names_the_source(server: str, page) -> None:  # noqa: ANN001
    page.goto(server + "/tien-do-giai-quyet?scheme=legacy&unit=11&level=district&period=2020-01-01..2020-02-24")
    bars = _plot(page, "timeliness-units")["data"][0]
    hover = dict(zip(bars["y"], bars["customdata"], strict=True))
    assert hover["Thành phố Điện Biên Phủ"] == ("2.037/2.486<br>Nguồn: Đẩy mạnh tuyên truyền về dịch vụ công "
                                                "trực tuyến (Báo Điện Biên Phủ), 24/02/2020")


def test_reporting_completeness_on_the_quality_page(server: str, page) -> None:  # noqa: ANN001
    page.goto(server + "/chat-luong-du-lieu?scheme=legacy")
    heat = _plot(page, "quality-completeness")["data"][0]
    assert sorted(heat["y"]) == sorted(["Tỉnh Điện Biên", "Tỉnh Lai Châu"]) or len(heat["y"]) == 63
    assert len(heat["x"]) == 12 and heat["x"][-1] == "06/2025"
    page.goto(server + "/chat-luong-du-lieu?scheme=legacy&period=2020")  # the real sources of the URL's period
    page.wait_for_selector("#coverage-table", timeout=20000)
    assert "Huyện Mường Nhé" in page.inner_text("#coverage-table")
    assert page.console_errors == []


def test_home_province_is_the_default_view(db: str, page) -> None:  # noqa: ANN001
    proc, base = _start_app(db, TTHC_HOME_PROVINCE="12")
    try:
        page.goto(base + "/")
        page.wait_for_selector("h1", timeout=20000)
        assert page.inner_text("h1").startswith("Tỉnh Lai Châu")
        assert page.locator(".kpi-card .kpi-value").count() == 6
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_page_seen_before_shows_new_figures_after_a_load(db: str, page, tmp_path: Path) -> None:  # noqa: ANN001
    """Pages drawn once are served again from the shared page cache, but never after a load."""
    from tests.files import GOOD_ROW, write_template_csv

    copy = tmp_path / "cached.sqlite"
    shutil.copy(db.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    proc, base = _start_app(url)
    view = base + "/dich-vu-cong-truc-tuyen?scheme=legacy&unit=03124&period=2024-03"
    try:
        cards = []
        for _ in range(2):  # the second visit comes from the cache
            page.goto(view)
            page.wait_for_selector(".kpi-card .kpi-value", timeout=20000)
            cards.append(page.locator(".kpi-card", has_text="Tỷ lệ hồ sơ nộp trực tuyến").first.inner_text())
        assert cards[0] == cards[1] and "Dữ liệu minh họa" in cards[0]
        ward = {**GOOD_ROW, "unit_name": "", "unit_code": "03124", "period": "2024-03"}
        assert main(["load", str(write_template_csv(tmp_path / "ward.csv", [ward])), "--db", url]) == 0
        page.goto(view)
        page.wait_for_selector(".kpi-card .kpi-value", timeout=20000)
        after = page.locator(".kpi-card", has_text="Tỷ lệ hồ sơ nộp trực tuyến").first.inner_text()
        assert "1.234/1.559" in after and "Nguồn: ward.csv" in after  # the loaded figure, not the cached page
    finally:
        proc.terminate()
        proc.wait(10)


PRESENT = "/trinh-chieu?scheme=legacy&unit=11&level=district&period=2024-Q4&tu=/tien-do-giai-quyet"


def _visible_slide(page) -> str:  # noqa: ANN001
    return page.evaluate("""() => Array.from(document.querySelectorAll('#deck > .slide'))
        .filter(s => getComputedStyle(s).display !== 'none').map(s => s.id).join(',')""")


def test_presentation_pages_with_the_keyboard(server: str, browser) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
    page = context.new_page()
    login(page, server)
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    try:
        page.goto(server + PRESENT, timeout=90000)
        page.wait_for_selector("#deck .slide-graph .main-svg", state="attached", timeout=30000)
        n = page.locator("#deck > .slide").count()
        assert n == 6  # title + KPIs, trend, two unit rankings, heatmap
        assert _visible_slide(page) == "slide-1"
        assert "Tiến độ giải quyết — Tỉnh Điện Biên" in page.inner_text("#slide-1")
        page.keyboard.press("ArrowRight")
        assert _visible_slide(page) == "slide-2" and page.url.endswith("#2")
        page.keyboard.press("End")
        assert _visible_slide(page) == f"slide-{n}"
        page.keyboard.press("ArrowLeft")
        assert _visible_slide(page) == f"slide-{n - 1}"
        page.keyboard.press("Home")
        assert _visible_slide(page) == "slide-1"
        page.keyboard.press("ArrowRight")
        footer = page.inner_text("#slide-2 .slide-footer")
        assert "Tỉnh Điện Biên" in footer and "Quý IV/2024" in footer and "Dữ liệu minh họa" in footer
        sizes = page.evaluate("""() => ['.slide-title', '.slide-footer'].map(sel =>
            parseFloat(getComputedStyle(document.querySelector('#slide-2 ' + sel)).fontSize))""")
        assert min(sizes) >= 24
        page.keyboard.press("f")
        page.wait_for_function("document.fullscreenElement !== null", timeout=5000)
        page.reload()  # the hash keeps the slide
        page.wait_for_selector("#deck .slide-graph .main-svg", state="attached", timeout=30000)
        page.wait_for_function("document.querySelector('#slide-2').classList.contains('active')", timeout=5000)
        assert errors == []
    finally:
        context.close()


def test_print_layout_puts_one_chart_per_a4_page(server: str, page) -> None:  # noqa: ANN001
    import re

    page.goto(server + PRESENT + "&in=1")
    page.wait_for_selector("#deck .slide-graph .main-svg", timeout=30000)
    page.wait_for_load_state("networkidle")
    widths = page.evaluate("""() => Array.from(document.querySelectorAll('.slide-graph .main-svg'))
        .map(svg => svg.getBoundingClientRect().width)""")
    assert widths and max(widths) <= 1050  # fits the printable width of A4 landscape
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == page.locator("#deck > .slide").count() == 6


def test_powerpoint_export_from_the_page(server: str, page) -> None:  # noqa: ANN001
    from pptx import Presentation

    page.goto(server + "/tien-do-giai-quyet?scheme=legacy&unit=11&level=district&period=2024-Q4")
    page.wait_for_selector("#timeliness-trend .main-svg", timeout=30000)
    present = page.get_attribute("#export-present", "href")
    assert present.startswith("/trinh-chieu?") and "tu=/tien-do-giai-quyet" in present and "unit=11" in present
    with page.expect_download(timeout=90000) as info:
        page.click("#export-pptx")
    download = info.value
    assert download.suggested_filename.startswith("TTHC_tinh-dien-bien_quy-iv-2024_")
    assert download.suggested_filename.endswith(".pptx")
    prs = Presentation(download.path())
    assert len(prs.slides) == 6
    with page.expect_download(timeout=90000) as info:
        page.click("#export-xlsx")
    assert info.value.suggested_filename.endswith(".xlsx")
    assert page.console_errors == []

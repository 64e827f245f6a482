"""The real app (components.security installed by app.py, served by gunicorn like production) in
headless Chromium: every page renders under the Content-Security-Policy
with no console error (a CSP violation is one); headers on pages, assets and callbacks; a
failing callback answers a generic message; an analyst sets a target on /muc-tieu and the KPI
card of that province names it, who set it and the document."""

from __future__ import annotations

import json
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime

import pytest

from data import auth
from data.db import get_engine
from tests.conftest import TEST_PASSWORD, TEST_USER
from tests.test_browser import _start_app, browser, db, login, new_page  # noqa: F401

pytestmark = pytest.mark.browser

PAGES = ["/", "/buu-chinh-cong-ich?scheme=legacy&unit=11&period=2024",
         "/dich-vu-cong-truc-tuyen?scheme=legacy&unit=11&level=commune&period=2024",
         "/tien-do-giai-quyet?scheme=legacy&unit=11&level=district&period=2024-Q4",
         "/xep-hang?scheme=legacy&period=2024&metric=overdue_rate", "/so-nganh?scheme=legacy&unit=11&period=2024-Q1",
         "/chat-luong-du-lieu?scheme=legacy", "/nguon-so-lieu", "/trinh-chieu?tu=/xep-hang&scheme=legacy&period=2024",
         "/muc-tieu", "/nhat-ky"]
HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
           "Permissions-Policy")
KH = "Kế hoạch 7/KH-UBND tỉnh Điện Biên"


@pytest.fixture(scope="module")
def secure_server(db: str) -> Iterator[str]:  # noqa: F811
    """The production server (app.py installs components.security) on the browser tests' data,
    with an analyst of Điện Biên."""
    engine = get_engine(db)
    if auth.get_user(engine, "lan") is None:
        auth.add_user(engine, "lan", "analyst", "mot-mat-khau-dai", units=["11"])
    proc, base = _start_app(db, TTHC_CACHE_DIR=tempfile.mkdtemp(prefix="tthc-sec-pages-"))
    yield base
    proc.terminate()
    proc.wait(10)


_OPENERS: dict[str, urllib.request.OpenerDirector] = {}


def _opener(base: str) -> urllib.request.OpenerDirector:
    """A urllib client signed in as the tests' admin (cookies kept)."""
    if base not in _OPENERS:
        import http.cookiejar
        from urllib.parse import urlencode

        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        form = opener.open(base + "/dang-nhap", timeout=30).read().decode()
        token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        opener.open(base + "/dang-nhap", urlencode({"name": TEST_USER, "password": TEST_PASSWORD, "csrf": token,
                                                    "next": "/"}).encode(), timeout=30)
        _OPENERS[base] = opener
    return _OPENERS[base]


def _open(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, dict, str]:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with _opener(url.split("/", 3)[0] + "//" + url.split("/", 3)[2]).open(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode("utf-8", "replace")


def test_every_page_renders_under_the_csp_without_console_error(secure_server: str, browser) -> None:  # noqa: ANN001, F811
    context, page = new_page(browser, base=secure_server)  # the tests' admin: every page is open to it
    try:
        for path in PAGES:
            page.goto(secure_server + path)
            page.wait_for_load_state("networkidle")
            page.wait_for_selector("h1, .slide", timeout=30000)
            page.wait_for_timeout(500)
            assert page.console_errors == [], (path, page.console_errors)
        # the map (maplibre starts workers from blob: URLs) and a drill-down by clicking a row
        page.goto(secure_server + "/xep-hang?scheme=legacy&period=2024&metric=overdue_rate")
        page.wait_for_selector("#rank-map .maplibregl-canvas, #rank-map canvas", timeout=30000)
        page.locator("#league td[data-dash-column=name]").first.click()
        page.wait_for_function("() => location.search.includes('level=district')", timeout=20000)
        page.wait_for_selector("#league td", timeout=20000)
        page.wait_for_timeout(1000)
        assert page.console_errors == []
    finally:
        context.close()


def test_headers_on_pages_assets_and_callbacks(secure_server: str) -> None:
    status, headers, html = _open(secure_server + "/")
    assert status == 200
    scripts = re.findall(r'<script src="(/_dash-component-suites/[^"]+)"', html)
    css = re.findall(r'href="(/assets/[^"]+\.css[^"]*)"', html)
    assert scripts and css
    answers = [(status, headers), _open(secure_server + scripts[0])[:2], _open(secure_server + css[0])[:2],
               _open(secure_server + "/_dash-layout")[:2], _open(secure_server + "/_dash-dependencies")[:2]]
    body = json.dumps({"output": "tg-table.children", "outputs": {"id": "tg-table", "property": "children"},
                       "inputs": [], "changedPropIds": []}).encode()
    answers.append(_open(secure_server + "/_dash-update-component", body, {"Content-Type": "application/json"})[:2])
    for status, h in answers:
        assert status in (200, 204, 500), status
        assert all(k in h for k in HEADERS), h
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"] and h["X-Frame-Options"] == "DENY"


def test_a_failing_callback_shows_no_traceback(secure_server: str) -> None:
    bad = json.dumps({"output": "no-such.children", "inputs": [{"id": "x", "property": "y", "value": 1}]}).encode()
    status, _, text = _open(secure_server + "/_dash-update-component", bad, {"Content-Type": "application/json"})
    assert status == 500 and "Đã có lỗi khi xử lý yêu cầu" in text
    assert "Traceback" not in text and "File \"" not in text and "KeyError" not in text
    status, _, text = _open(secure_server + "/_dash-update-component", bad,
                            {"Content-Type": "application/json", "Origin": "https://evil.example"})
    assert status == 403


def _choose(page, dropdown: str, text: str) -> None:  # noqa: ANN001
    page.click(f"#{dropdown}")
    page.keyboard.type(text)
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")


def test_a_target_set_on_the_page_is_named_on_the_kpi_card(secure_server: str, browser) -> None:  # noqa: ANN001, F811
    context, page = new_page(browser)
    login(page, secure_server, "lan", "mot-mat-khau-dai")
    try:
        page.goto(secure_server + "/muc-tieu")
        page.wait_for_selector("#tg-save", timeout=30000)
        _choose(page, "tg-metric", "hồ sơ nộp trực tuyến")
        _choose(page, "tg-unit", "Tỉnh Điện Biên (trước")
        page.fill("#tg-value", "65")
        page.fill("#tg-from", "2025-01-01")
        page.fill("#tg-to", "2025-06-30")
        page.fill("#tg-source", KH)
        page.click("#tg-save")
        page.wait_for_selector("#tg-save-result .alert", timeout=20000)
        assert "Đã lưu mục tiêu" in page.inner_text("#tg-save-result"), page.inner_text("#tg-save-result")
        assert KH in page.inner_text("#tg-table")
        page.goto(secure_server + "/dich-vu-cong-truc-tuyen?scheme=legacy&unit=11&period=2025-Q1")
        card = page.locator(".kpi-card", has_text="Tỷ lệ hồ sơ nộp trực tuyến")
        card.wait_for(timeout=30000)
        target = card.locator(".kpi-target")
        assert target.inner_text() == "Mục tiêu ≥ 65 %"
        title = target.get_attribute("title")
        assert f"nguồn: Đặt bởi lan ngày {datetime.now():%d/%m/%Y}: {KH}" in title
        assert "01/01/2025 đến 30/06/2025" in title
        assert page.console_errors == []
    finally:
        context.close()

"""Sign-in in headless Chromium (issue 10): the login page, a viewer who cannot see another
province by editing the URL or by a hand-written callback request, the menu of their role, and
signing out."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.conftest import TEST_PASSWORD, add_test_user, demo_database_on
from tests.test_browser import _start_app, browser, login, new_page  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def site(request: pytest.FixtureRequest) -> Iterator[str]:
    """The app on SQLite and on PostgreSQL."""
    url = demo_database_on(request.param, request, "auth-browser", "11,12", "2025-12")
    add_test_user(url, "xem11", "viewer", ("11",))
    add_test_user(url, "quantri_so_noi_vu_tinh", "admin")  # a long name: the account menu cuts it
    proc, base = _start_app(url)
    yield base
    proc.terminate()
    proc.wait(10)


def test_login_page_then_the_users_own_province(site: str, browser) -> None:  # noqa: ANN001, F811
    context, page = new_page(browser)
    page.goto(site + "/tien-do-giai-quyet?scheme=2025&period=2025-Q4")
    assert "/dang-nhap" in page.url and page.locator("#login-form").is_visible()
    page.fill("#name", "xem11")
    page.fill("#password", "sai-mat-khau-roi")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector(".alert-danger", timeout=10000)
    assert "không đúng" in page.inner_text(".alert-danger")
    page.fill("#password", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    page.wait_for_selector("h1", timeout=30000)
    assert page.url.endswith("/tien-do-giai-quyet?scheme=2025&period=2025-Q4")  # back where they were going
    assert page.inner_text("h1").startswith("Tiến độ giải quyết — Tỉnh Điện Biên")
    page.wait_for_function("() => (document.querySelector('#nav-user')?.innerText || '').includes('xem11')", timeout=10000)
    assert page.console_errors == []
    context.close()


def test_a_viewer_cannot_see_another_province(site: str, browser) -> None:  # noqa: ANN001, F811
    context, page = new_page(browser)
    login(page, site, "xem11")
    page.goto(site + "/?scheme=legacy&unit=12&period=2024")  # Lai Châu, by editing the URL
    page.wait_for_selector("#unknown-unit", timeout=30000)
    assert "trong phạm vi bạn được xem" in page.inner_text("#unknown-unit")
    assert "Lai Châu" not in page.inner_text("body")
    page.click("#f-unit")  # the unit list holds only their province
    options = page.locator("#f-unit .Select-menu-outer").inner_text()
    assert "Tỉnh Điện Biên" in options and "Lai Châu" not in options
    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/xep-hang"},
                       {"id": "_pages_location", "property": "search", "value": "?scheme=legacy&unit=12&period=2024"}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    answer = page.request.post(site + "/_dash-update-component", data=json.dumps(body),
                               headers={"Content-Type": "application/json"})
    assert answer.status == 200 and "Lai Ch" not in json.dumps(answer.json(), ensure_ascii=False)
    shapes = page.request.get(site + "/geo/provinces-2025.geojson").json()
    assert [f["id"] for f in shapes["features"]] == ["11"]
    context.close()


def test_sign_out(site: str, browser) -> None:  # noqa: ANN001, F811
    context, page = new_page(browser)
    login(page, site, "xem11")
    page.goto(site + "/")
    page.wait_for_selector("#nav-account-menu .dropdown-toggle", timeout=30000)
    page.wait_for_function("() => document.querySelector('#logout-csrf')?.value", timeout=10000)
    page.wait_for_load_state("networkidle")
    page.click("#nav-account-menu .dropdown-toggle")  # the account menu holds the sign-out button
    page.click("#logout")
    page.wait_for_url("**/dang-nhap", timeout=20000)
    page.goto(site + "/")
    assert "/dang-nhap" in page.url  # the session is gone
    context.close()


@pytest.mark.parametrize("width", [1200, 1280, 1300, 1400, 1440])
def test_an_admins_menu_stays_on_one_line_with_the_role_pages_in_the_account_menu(site: str, browser,  # noqa: ANN001, F811
                                                                                   width: int) -> None:
    context, page = new_page(browser, width, 800)
    login(page, site, "quantri_so_noi_vu_tinh")
    page.goto(site + "/")
    page.wait_for_function("() => (document.querySelector('#nav-user')?.innerText || '').includes('quantri_so')", timeout=30000)
    page.evaluate("() => document.fonts.ready")  # measured in the app's own font, as a user sees it once loaded
    bar = page.locator("nav.navbar").bounding_box()
    assert bar["height"] < 70  # one line: no label breaks, nothing wraps
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    page.click("#nav-account-menu .dropdown-toggle")
    items = page.locator("#nav-account-menu .dropdown-item:visible").all_inner_texts()
    assert items == ["Nạp số liệu", "Lô số liệu", "Mục tiêu", "Nhật ký", "Đăng xuất"]
    assert page.console_errors == []
    context.close()

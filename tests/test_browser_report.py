"""A province running the dashboard, in headless Chromium (issue 10), signed in through the login
page: a reporter uploads a Biểu file, sees the preview with a named error, fixes the file,
confirms and sees the figure on the dashboard; an analyst rolls the batch back (the figure is
gone) and locks the period, after which the reporter's replacement is refused; the admin's audit
page lists all of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_PASSWORD, add_test_user, demo_database_on
from tests.files import GOOD_ROW, write_template_csv
from tests.test_browser import _start_app, browser, login, new_page  # noqa: F401

pytestmark = pytest.mark.browser

VIEW = "/tien-do-giai-quyet?scheme=legacy&unit=096&period=2024-Q1"  # Huyện Mường Nhé, Q1/2024
ROW = {**GOOD_ROW}  # Mường Nhé's own figures for Q1/2024: 1.234 online of 1.559 received


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def site(request: pytest.FixtureRequest) -> Iterator[str]:
    """The app on SQLite and on PostgreSQL."""
    url = demo_database_on(request.param, request, "report", "11", "2024-06")
    add_test_user(url, "baocao", "reporter", ("legacy:11",))
    add_test_user(url, "phantich", "analyst", ("legacy:11",))
    proc, base = _start_app(url)
    yield base
    proc.terminate()
    proc.wait(10)


def _upload(page, path: Path) -> None:  # noqa: ANN001
    """Drop a file on the upload zone and wait for its preview (not the previous file's)."""
    old = page.inner_text("#upload-preview") if page.locator("#upload-preview").count() else ""
    page.locator("#upload-file input[type=file]").set_input_files(str(path))
    page.wait_for_selector("#upload-preview", timeout=60000)
    page.wait_for_function("(old) => { const b = document.querySelector('#upload-preview'); "
                           "return b && b.innerText.trim() && b.innerText !== old; }", arg=old,
                           timeout=60000)


def _overdue_card(page, site: str) -> str:  # noqa: ANN001
    page.goto(site + VIEW)
    card = page.locator(".kpi-card", has_text="Tỷ lệ hồ sơ quá hạn").first
    card.wait_for(timeout=30000)
    return card.inner_text()


def test_upload_rollback_lock_and_audit(site: str, browser, tmp_path: Path) -> None:  # noqa: ANN001, F811
    reporter_ctx, reporter = new_page(browser)
    login(reporter, site, "baocao", TEST_PASSWORD)
    before = _overdue_card(reporter, site)
    reporter.goto(site + "/nap-so-lieu")
    reporter.wait_for_selector("#upload-file", timeout=30000)
    # a letter o typed for a zero: the preview names sheet, row and column, and nothing can be confirmed
    _upload(reporter, write_template_csv(tmp_path / "muong_nhe_q1.csv", [{**ROW, "received_online": "12o"}]))
    findings = reporter.inner_text("#upload-findings")
    assert "12o" in findings and "Tiếp nhận - trực tuyến" in findings and "2" in findings
    assert reporter.locator("#upload-confirm").is_disabled()
    # the fixed file: its unit and period, then confirmed
    (tmp_path / "fixed").mkdir()  # the same file name, corrected (a browser ignores re-picking one path)
    _upload(reporter, write_template_csv(tmp_path / "fixed" / "muong_nhe_q1.csv", [ROW]))
    assert "Mường Nhé" in reporter.inner_text("#upload-preview")
    reporter.wait_for_function("() => !document.querySelector('#upload-confirm').disabled", timeout=20000)
    reporter.click("#upload-confirm")
    reporter.wait_for_selector("#upload-result", timeout=60000)
    result = reporter.inner_text("#upload-result")
    assert "lô" in result.lower(), result
    loaded = _overdue_card(reporter, site)
    assert "119/1.569" in loaded and "muong_nhe_q1.csv" in loaded  # 69 + 50 overdue of 1.569: the file's figure
    assert reporter.console_errors == []

    analyst_ctx, analyst = new_page(browser)
    login(analyst, site, "phantich", TEST_PASSWORD)
    analyst.goto(site + "/lo-so-lieu")
    undo = analyst.locator("button", has_text="Hoàn tác").first
    undo.wait_for(timeout=30000)
    undo.click()
    analyst.wait_for_selector("#lo-modal.show, .modal.show", timeout=10000)
    analyst.click("#lo-confirm")
    analyst.wait_for_function("() => (document.querySelector('#lo-message')?.innerText || '').length > 0", timeout=30000)
    assert "hoàn tác" in analyst.inner_text("#lo-message").lower()
    assert _overdue_card(analyst, site) == before  # the figure before the upload is back
    # the analyst locks Mường Nhé's quarter; the reporter's new upload of it is refused, naming the lock
    analyst.goto(site + "/lo-so-lieu")
    analyst.wait_for_selector("#lo-unit", timeout=30000)
    analyst.fill("#lo-unit", "096")
    analyst.fill("#lo-period", "2024-Q1")
    analyst.click("#lo-lock")
    analyst.wait_for_function("() => (document.querySelector('#lo-message')?.innerText || '').includes('khóa')",
                              timeout=30000)
    reporter.goto(site + "/nap-so-lieu")
    reporter.wait_for_selector("#upload-file", timeout=30000)
    _upload(reporter, write_template_csv(tmp_path / "muong_nhe_q1_b.csv", [ROW]))
    refused = reporter.inner_text("#upload-preview")
    if not reporter.locator("#upload-confirm").is_disabled():
        reporter.click("#upload-confirm")
        reporter.wait_for_selector("#upload-result", timeout=60000)
        refused = reporter.inner_text("#upload-result")
    assert "khóa" in refused.lower() and "phantich" in refused, refused
    assert "Dữ liệu minh họa" in _overdue_card(reporter, site)

    admin_ctx, admin = new_page(browser)
    login(admin, site)
    admin.goto(site + "/nhat-ky")
    admin.wait_for_selector("table", timeout=30000)
    trail = admin.inner_text("body")
    for action in ("Xem trước tệp", "Xác nhận nạp", "Hoàn tác lô", "Khóa kỳ", "Nạp bị từ chối", "Đăng nhập"):
        assert action in trail, action
    for ctx in (reporter_ctx, analyst_ctx, admin_ctx):
        ctx.close()

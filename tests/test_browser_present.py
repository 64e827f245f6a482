"""Presentation mode in headless Chromium: a change reads '▼ 0,7 điểm %' (the arrow carries the
sign, no minus after it), a 0 % bar is drawn and labelled, every unit of a ranking slide has its
label, the keyboard hint disappears in full screen (the real Fullscreen API: headless Chromium
grants it on a key press), and the ranking and department decks have their map and department
slides."""

from __future__ import annotations

import re

import pytest

from tests.test_browser import browser, db, new_page, server  # noqa: F401

pytestmark = pytest.mark.browser
RANKING = ("/trinh-chieu?scheme=legacy&unit=11&level=commune&period=2024-Q4&metric=overdue_rate"
           "&tu=/xep-hang")
DEPARTMENTS = "/trinh-chieu?scheme=legacy&unit=11&period=2024-Q4&tu=/so-nganh"


def _open(chromium, url: str, width: int = 1600, height: int = 900):  # noqa: ANN001, ANN202
    context, page = new_page(chromium, width, height, base=url.split("/trinh-chieu", 1)[0])
    page.goto(url)
    page.wait_for_selector("#deck .slide-graph .main-svg", state="attached", timeout=60000)
    return context, page


def _titles(page) -> list[str]:  # noqa: ANN001
    return page.evaluate("() => Array.from(document.querySelectorAll('#deck > .slide'))"
                         ".map(s => (s.querySelector('.slide-title, .slide-heading') || {}).textContent || '')")


def _go(page, n: int) -> None:  # noqa: ANN001
    page.keyboard.press("Home")
    for _ in range(n - 1):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => document.querySelector('#slide-{n}').classList.contains('active')", timeout=5000)
    page.wait_for_timeout(600)  # plotly redraws the chart that just appeared


def test_ranking_presentation_draws_zero_bars_labels_every_unit_and_has_a_map(server: str, browser) -> None:  # noqa: ANN001, F811
    context, page = _open(browser, server + RANKING, 1024, 576)  # a low-resolution projector: crowded labels
    try:
        titles = _titles(page)
        kpi = page.inner_text("#slide-2")
        assert re.search(r"[▲▼■] \d+,\d điểm %", kpi), kpi
        assert not re.search(r"[▲▼■]\s*[−-]", kpi)  # no double minus
        assert "▼ " in kpi or "▲ " in kpi
        n_map = titles.index("Bản đồ: Tỷ lệ hồ sơ quá hạn theo tỉnh") + 1
        types = page.evaluate(f"() => document.querySelector('#slide-{n_map} .js-plotly-plot').data.map(t => t.type)")
        assert "choroplethmap" in types
        n = titles.index("Bảng xếp hạng: Tỷ lệ hồ sơ quá hạn (hạng 1–19/129)") + 1
        _go(page, n)
        graph = f"#slide-{n} .js-plotly-plot"
        bars = page.evaluate(f"() => Array.from(document.querySelector('{graph}')._fullData"
                             ".filter(t => t.type === 'bar')[0].x)")  # decoded (plotly sends typed arrays)
        zeros = sum(1 for v in bars if v == 0)
        assert zeros > 0
        # each 0 % bar: a drawn mark at 0 and its label '0,00 %', on screen
        marks = page.locator(f"{graph} .scatterlayer .point")
        labels = page.locator(f"{graph} .scatterlayer .textpoint text", has_text="0,00 %")
        assert marks.count() == zeros and labels.count() == zeros
        box = marks.first.bounding_box()
        assert box and box["height"] >= 10 and box["width"] >= 2
        # every unit of the slide keeps its label (plotly skips crowded category labels otherwise)
        ticks = page.locator(f"{graph} .yaxislayer-above .ytick text").all_text_contents()
        names = page.evaluate(f"() => Array.from(document.querySelector('{graph}')._fullData"
                              ".filter(t => t.type === 'bar')[0].y)")
        assert len(names) == 19 and sorted(ticks) == sorted(names)
        assert page.console_errors == []  # type: ignore[attr-defined]
    finally:
        context.close()


def test_key_hint_hides_in_full_screen(server: str, browser) -> None:  # noqa: ANN001, F811
    context, page = _open(browser, server + DEPARTMENTS)
    try:
        hint = page.locator("#present-hint")
        assert hint.is_visible() and "F toàn màn hình" in hint.inner_text()
        page.keyboard.press("f")
        page.wait_for_function("() => document.fullscreenElement === document.getElementById('present-root')",
                               timeout=5000)
        page.wait_for_function("() => getComputedStyle(document.getElementById('present-hint')).display === 'none'",
                               timeout=5000)
        assert not hint.is_visible()
        page.keyboard.press("f")  # leave full screen: the hint is back
        page.wait_for_function("() => document.fullscreenElement === null", timeout=5000)
        page.wait_for_function("() => getComputedStyle(document.getElementById('present-hint')).display !== 'none'",
                               timeout=5000)
        assert hint.is_visible()
        titles = _titles(page)
        assert "Tỷ lệ hồ sơ nộp trực tuyến theo sở, ngành" in titles
        assert "Số thủ tục hành chính theo cơ quan" in titles
        assert page.console_errors == []  # type: ignore[attr-defined]
    finally:
        context.close()

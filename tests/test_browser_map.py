"""The ranking page's map in headless Chromium: a shared URL for a province opens the map
outlined and zoomed to that province, the country view shows the whole country on a phone
(the northwest edge is not cut), the map block does not overflow a phone's width, no console
error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.test_browser import browser, db, new_page, server  # noqa: F401

pytestmark = pytest.mark.browser

# What the map shows, from plotly's own state: its centre and zoom (MapLibre's world is 512 px
# wide at zoom 0) over the size of its plot area; and the box the page asked for.
VIEW_JS = """() => {
  const gd = document.querySelector('#rank-map .js-plotly-plot');
  const full = gd && gd._fullLayout;
  if (!full || !full.map || !full._size || !gd.layout.meta) return null;
  const m = full.map, w = full._size.w, h = full._size.h, world = 512 * Math.pow(2, m.zoom);
  const merc = (lat) => Math.log(Math.tan(Math.PI / 4 + lat * Math.PI / 360));
  const unmerc = (y) => (2 * Math.atan(Math.exp(y)) - Math.PI / 2) * 180 / Math.PI;
  const y = merc(m.center.lat), dy = h / 2 / world * 2 * Math.PI, dx = w / 2 / world * 360;
  return {zoom: m.zoom, box: gd.layout.meta.fit, width: w,
          shown: [m.center.lon - dx, unmerc(y - dy), m.center.lon + dx, unmerc(y + dy)]};
}"""
FITTED_JS = "() => { const v = (" + VIEW_JS + ")(); return v && v.box && v.shown[0] <= v.box[0] && " \
            "v.shown[1] <= v.box[1] && v.shown[2] >= v.box[2] && v.shown[3] >= v.box[3]; }"


@pytest.fixture(params=[(1440, 900), (390, 844)], ids=["desktop", "phone"])
def sized(browser, server: str, request: pytest.FixtureRequest) -> Iterator[object]:  # noqa: ANN001, F811
    context, p = new_page(browser, *request.param, base=server)
    yield p
    context.close()


def _open_map(page, url: str) -> dict:  # noqa: ANN001
    page.goto(url)
    page.wait_for_selector("#rank-map .maplibregl-canvas", timeout=30000)
    page.wait_for_function(FITTED_JS, timeout=20000)  # the browser fits the box to the map's size
    return page.evaluate(VIEW_JS)


def _map_block_fits(page) -> None:  # noqa: ANN001
    block = page.evaluate("""() => { const card = document.getElementById('rank-map').closest('.card');
        const r = card.getBoundingClientRect();
        return {left: r.left, right: r.right, scroll: card.scrollWidth, client: card.clientWidth,
                width: innerWidth}; }""")
    assert block["left"] >= 0 and block["right"] <= block["width"], block
    assert block["scroll"] <= block["client"], block


def test_a_shared_province_url_outlines_and_zooms_to_it(server: str, sized) -> None:  # noqa: ANN001, F811
    view = _open_map(sized, server + "/xep-hang?unit=11&scheme=2025")
    west, south, east, north = view["box"]
    assert 102 < west < east < 104 and 20.8 < south < north < 22.7  # Điện Biên's box, not the country's
    assert view["zoom"] > 6.5
    # zoomed to it, not just containing it: the box fills the map in one direction at least
    shown = view["shown"]
    assert (east - west) / (shown[2] - shown[0]) > 0.85 or (north - south) / (shown[3] - shown[1]) > 0.85
    assert "Chưa có ranh giới cấp xã" in sized.inner_text("#rank-map-note")
    assert "CC BY-SA 4.0" in sized.inner_text("#rank-map")
    _map_block_fits(sized)
    assert sized.console_errors == []


def test_the_country_map_is_whole_on_any_screen(server: str, sized) -> None:  # noqa: ANN001, F811
    view = _open_map(sized, server + "/xep-hang?scheme=legacy&period=2024&metric=online_intake_share")
    west, south, east, north = view["box"]
    assert west < 102.2 and north > 23.3  # the northwest corner: Điện Biên, Lai Châu
    assert east > 116.9 and south < 7.0  # Trường Sa
    legend = sized.inner_text("#rank-map")
    assert "Mục tiêu ≥ 50 %" in legend and "Chưa có số liệu" in legend
    assert "Gần đạt" in legend or "Chưa đạt" in legend or "Đạt (" in legend
    _map_block_fits(sized)
    assert sized.console_errors == []

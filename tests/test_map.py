"""The ranking page's province map: coloured by the league table's verdict against the target
in force (a neutral single-hue scale without one), the selected province outlined and zoomed to,
the whole country (both archipelagos) otherwise, fitted so a phone's map is not cut, and a plain
note below province level where no boundary file can be used."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pytest
from sqlalchemy import Engine

from components.league import DIMMED, league_frame, province_map
from components.lights import LIGHTS, light_style
from components.maps import map_card, province_of
from data import geo
from data.queries import units_frame

ONLINE = "online_intake_share"  # target 50 % (NQ 76, QĐ 766) from 2021 to 2030
END_2024 = date(2024, 12, 31)
LEGACY_BOUNDS = (102.14, 6.95, 116.95, 23.39)  # the mainland, Hoàng Sa and Trường Sa (SOURCES.md)


@pytest.fixture
def units(engine: Engine) -> pd.DataFrame:
    return units_frame(engine)


def _cur(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    """Province figures as the read side gives them: (code, name, numerator, denominator)."""
    return pd.DataFrame([{"key": i, "code": c, "name": n, "metric": ONLINE, "numerator": a, "denominator": b,
                          "value": a / b, "dataset": "demo"} for i, (c, n, a, b) in enumerate(rows)])


def _plain(fig: go.Figure) -> dict:
    """The figure as plain lists (plotly packs numeric arrays as base64 in its JSON)."""
    out = fig.to_plotly_json()
    out["data"] = [{**t.to_plotly_json(), **{k: list(v) for k in ("z", "locations")
                                             if (v := getattr(t, k, None)) is not None}} for t in fig.data]
    return out


def _figure(card) -> dict:  # noqa: ANN001
    """The rank-map figure inside the map card."""
    stack = [card]
    while stack:
        node = stack.pop()
        if getattr(node, "id", None) == "rank-map":
            return _plain(node.figure)
        children = getattr(node, "children", None)
        stack.extend(children if isinstance(children, list) else [children] if children is not None else [])
    raise AssertionError("no rank-map graph in the card")


def _trace_of(fig: dict, code: str, outline: bool = False) -> dict:
    hits = [t for t in fig["data"] if code in list(t["locations"]) and (t.get("name") == "Đang chọn") == outline]
    assert len(hits) == 1, [t.get("name") for t in hits]
    return hits[0]


def _colour(trace: dict) -> str:
    scale = trace["colorscale"]
    assert scale[0][1] == scale[-1][1], "a band is one solid colour"
    return scale[0][1]


def _visible(fig: dict, width: float, height: float) -> tuple[float, float, float, float]:
    """West, south, east, north a Web Mercator map of that size shows (MapLibre: 512 px world)."""
    c, z = fig["layout"]["map"]["center"], fig["layout"]["map"]["zoom"]
    world = 512 * 2 ** z
    half_lon = width / 2 / world * 360
    y = math.log(math.tan(math.pi / 4 + math.radians(c["lat"]) / 2))
    half_y = height / 2 / world * 2 * math.pi

    def lat(v: float) -> float:
        return math.degrees(2 * math.atan(math.exp(v)) - math.pi / 2)

    return c["lon"] - half_lon, lat(y - half_y), c["lon"] + half_lon, lat(y + half_y)


def test_dien_bien_at_43_percent_is_amber_on_the_map_as_in_the_table(units: pd.DataFrame) -> None:
    cur = _cur([("11", "Tỉnh Điện Biên", 430, 1000), ("12", "Tỉnh Lai Châu", 550, 1000),
                ("01", "Thành phố Hà Nội", 300, 1000)])
    table = league_frame(cur, cur.iloc[0:0], ONLINE, 0.5)
    verdict = dict(zip(table["code"], table["light"], strict=True))
    assert verdict == {"11": "Gần đạt", "12": "Đạt", "01": "Chưa đạt"}

    fig = _figure(map_card("/geo/x.geojson", table, ONLINE, END_2024, "legacy", None, units))
    for code, light in (("11", "amber"), ("12", "green"), ("01", "red")):
        trace = _trace_of(fig, code)
        assert _colour(trace) == light_style(light).color
        assert trace["name"].startswith(verdict[code] + " (")  # the legend names the table's verdict
        assert trace["showlegend"] is True
    assert _trace_of(fig, "11")["name"] == "Gần đạt (40 % – 50 %)"
    assert _trace_of(fig, "12")["name"] == "Đạt (≥ 50 %)"
    assert fig["layout"]["legend"]["title"]["text"] == "Mục tiêu ≥ 50 %:"
    # every other province is drawn, grey, as having no figure
    nodata = _trace_of(fig, "02")
    assert nodata["name"] == "Chưa có số liệu" and len(nodata["locations"]) == 63 - 3


def test_lower_is_better_bands_read_the_other_way() -> None:
    df = _cur([("11", "Tỉnh Điện Biên", 6, 100)])
    df["counts"] = "6/100"
    fig = _plain(province_map("/geo/x.geojson", df, "overdue_rate", "x", target=0.05))
    trace = _trace_of(fig, "11")  # 6 % against at most 5 %: within 5 / 0,8 = 6,25 % -> Gần đạt
    assert _colour(trace) == LIGHTS["amber"].color and trace["name"] == "Gần đạt (5 % – 6,25 %)"
    assert fig["layout"]["legend"]["title"]["text"] == "Mục tiêu ≤ 5 %:"


def test_without_a_target_a_single_hue_scale_and_no_verdict(units: pd.DataFrame) -> None:
    cur = _cur([("11", "Tỉnh Điện Biên", 430, 1000), ("12", "Tỉnh Lai Châu", 550, 1000)])
    cur["metric"] = "on_time_rate"  # no rule sets a target for it
    table = league_frame(cur, cur.iloc[0:0], "on_time_rate", None)
    fig = _figure(map_card("/geo/x.geojson", table, "on_time_rate", END_2024, "legacy", None, units))
    data = _trace_of(fig, "11")
    assert dict(zip(data["locations"], data["z"], strict=True)) == pytest.approx({"11": 43.0, "12": 55.0})
    assert data["colorbar"]["ticksuffix"] == " %" and "chưa có mục tiêu" in data["colorbar"]["title"]["text"]
    verdict_colours = {s.color.lower() for k, s in LIGHTS.items() if k} | {s.background.lower() for k, s in
                                                                           LIGHTS.items() if k}
    used = {c.lower() for t in fig["data"] for _, c in t["colorscale"]}
    assert not used & verdict_colours
    assert not any(t.get("showlegend") for t in fig["data"])  # no band legend without a target


def test_a_selected_province_is_outlined_and_zoomed_to(units: pd.DataFrame) -> None:
    cur = _cur([("11", "Tỉnh Điện Biên", 430, 1000), ("12", "Tỉnh Lai Châu", 550, 1000)])
    table = league_frame(cur, cur.iloc[0:0], ONLINE, 0.5)
    country = _figure(map_card("/geo/x.geojson", table, ONLINE, END_2024, "2025", None, units))
    dien_bien = units[(units["scheme"] == "2025") & (units["code"] == "11")].iloc[0]
    fig = _figure(map_card("/geo/x.geojson", table, ONLINE, END_2024, "2025", dien_bien, units))

    outline = _trace_of(fig, "11", outline=True)
    assert list(outline["locations"]) == ["11"] and outline["marker"]["line"]["width"] >= 2
    others = [t for t in fig["data"] if t.get("name") != "Đang chọn"]
    assert all(outline["marker"]["line"]["width"] > t["marker"]["line"]["width"] for t in others)
    assert fig["data"][-1] is outline or fig["data"][-1] == outline  # drawn on top
    for t in others:  # the province at full strength, every other one dimmed
        for code, op in zip(t["locations"], t["marker"]["opacity"], strict=True):
            assert op == (1.0 if code == "11" else DIMMED)

    west, south, east, north = fig["layout"]["meta"]["fit"]
    assert (west, south, east, north) == geo.province_boxes(
        units[(units["scheme"] == "2025") & (units["level"] == "province")], "2025")["11"]
    assert 102 < west < east < 104 and 20.8 < south < north < 22.7  # Điện Biên
    c = fig["layout"]["map"]["center"]
    assert west < c["lon"] < east and south < c["lat"] < north
    assert fig["layout"]["map"]["zoom"] > country["layout"]["map"]["zoom"] + 2
    v = _visible(fig, 540, 560)
    assert v[0] <= west and v[1] <= south and v[2] >= east and v[3] >= north


def test_the_country_view_holds_both_archipelagos_and_fits_a_phone(units: pd.DataFrame) -> None:
    table = league_frame(_cur([("11", "Tỉnh Điện Biên", 430, 1000)]), _cur([]), ONLINE, 0.5)
    fig = _figure(map_card("/geo/x.geojson", table, ONLINE, END_2024, "legacy", None, units))
    box = fig["layout"]["meta"]["fit"]
    assert box == pytest.approx(LEGACY_BOUNDS, abs=0.01)
    assert box[2] > 114.3 and box[1] < 8.6  # Trường Sa (about 114 E, 8.6-11.5 N)
    assert box[2] > 112.3 and box[3] > 17.1  # Hoàng Sa (about 111-113 E, 15.7-17.1 N)
    # the server's view and a phone's (the browser refits with the same maths) show it all
    for width, height in ((540, 560), (348, 414), (320, 380)):
        center, zoom = geo.fit_view(tuple(box), width, height)
        v = _visible({"layout": {"map": {"center": center, "zoom": zoom}}}, width, height)
        assert v[0] < box[0] and v[3] > box[3], "northwest corner (Điện Biên, Lai Châu) cut"
        assert v[2] > box[2] and v[1] < box[1]
        assert v[2] - v[0] < 1.2 * (box[2] - box[0]) or v[3] - v[1] < 1.2 * (box[3] - box[1])  # and fills it
    v = _visible(fig, 540, 560)
    assert v[0] < box[0] and v[3] > box[3]


def test_below_province_level_the_map_says_it_has_no_boundaries(units: pd.DataFrame) -> None:
    table = league_frame(_cur([("11", "Tỉnh Điện Biên", 430, 1000)]), _cur([]), ONLINE, 0.5)
    commune_2025 = units[(units["scheme"] == "2025") & (units["level"] == "commune")].iloc[0]
    district = units[(units["scheme"] == "legacy") & (units["level"] == "district") & (units["code"] == "094")].iloc[0]
    assert province_of(district, units) == "11" and province_of(None, units) is None

    assert "rank-map-note" not in str(map_card("/g", table, ONLINE, END_2024, "legacy", None, units))
    legacy = str(map_card("/g", table, ONLINE, END_2024, "legacy", district, units))
    assert "Chưa có ranh giới cấp huyện/xã có giấy phép sử dụng rõ ràng; bản đồ chỉ có cấp tỉnh." in legacy
    fig = _figure(map_card("/g", table, ONLINE, END_2024, "legacy", district, units))
    assert _trace_of(fig, "11", outline=True)  # the district's province is the one outlined
    new = map_card("/g", table, ONLINE, END_2024, "2025", commune_2025, units)
    assert "Chưa có ranh giới cấp xã" in str(new)
    assert _trace_of(_figure(new), province_of(commune_2025, units), outline=True)

"""Province boundaries keyed by official code (both schemes).

Geometry: Open Development Vietnam "Địa phận tỉnh" (CC BY-SA 4.0) via TaliaCao/Vietnam-Shape-Map
(MIT), simplified; both archipelagos (Hoàng Sa in Đà Nẵng, Trường Sa in Khánh Hòa) included;
see reference/geo/SOURCES.md. The files carry no GSO codes: features are joined to the unit
registry by normalised name.

No district or commune boundaries: none with a licence that allows this use could be had
(SOURCES.md, section 6, says what was checked); the map says so below province level.
"""

from __future__ import annotations

import copy
import json
import math
from functools import lru_cache
from pathlib import Path

import pandas as pd

from data.text import name_key

GEO_DIR = Path(__file__).resolve().parent / "reference" / "geo"
FILES = {"legacy": "vn_provinces_63_odv.geojson", "2025": "vn_provinces_34_odv_merged.geojson"}
ALIASES = {"hcm": "hochiminh", "tphcm": "hochiminh"}
ATTRIBUTION = ("Ranh giới tỉnh: Open Development Vietnam, “Địa phận tỉnh” (CC BY-SA 4.0), qua "
               "TaliaCao/Vietnam-Shape-Map (MIT); đã đơn giản hóa và gộp tỉnh. Gồm quần đảo Hoàng Sa và Trường Sa.")


@lru_cache(maxsize=2)
def _raw(scheme: str) -> dict:
    return json.loads((GEO_DIR / FILES[scheme]).read_text(encoding="utf-8"))


def provinces_geojson(provinces: pd.DataFrame, scheme: str) -> tuple[dict, list[str]]:
    """(GeoJSON whose feature ids are official province codes, names that did not join).

    ``provinces``: unit rows of one scheme and level 'province' (columns short_name, code).
    """
    keys = {name_key(n): c for n, c in zip(provinces["short_name"], provinces["code"], strict=True)}
    geo = copy.deepcopy(_raw(scheme))
    unmatched = []
    for feature in geo["features"]:
        key = name_key(feature["properties"]["ten_tinh"])
        code = keys.get(ALIASES.get(key, key))
        if code is None:
            unmatched.append(feature["properties"]["ten_tinh"])
        feature["id"] = code
    return geo, unmatched


# --- What the map shows: boxes and views --------------------------------------------------------

Box = tuple[float, float, float, float]  # west, south, east, north (degrees)
TILE = 512  # MapLibre's world is 512 px wide at zoom 0
MAX_ZOOM = 9.0  # a small province is not blown up past its neighbourhood

# Below province level there is no map: no boundary file of districts (before 1/7/2025) or
# communes (both schemes) with a licence that allows this use could be had; SOURCES.md says what
# was checked. The page says so plainly where the map would be.
NO_LOWER_LEVEL = {
    "legacy": "Chưa có ranh giới cấp huyện/xã có giấy phép sử dụng rõ ràng; bản đồ chỉ có cấp tỉnh.",
    "2025": "Chưa có ranh giới cấp xã có giấy phép sử dụng rõ ràng; bản đồ chỉ có cấp tỉnh.",
}


def _points(coords: list) -> list[tuple[float, float]]:
    if coords and isinstance(coords[0], (int, float)):
        return [(coords[0], coords[1])]
    return [p for c in coords for p in _points(c)]


def _box(points: list[tuple[float, float]]) -> Box:
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


@lru_cache(maxsize=2)
def _feature_boxes(scheme: str) -> tuple[tuple[str, Box], ...]:
    return tuple((f["properties"]["ten_tinh"], _box(_points(f["geometry"]["coordinates"])))
                 for f in _raw(scheme)["features"])


def province_boxes(provinces: pd.DataFrame, scheme: str) -> dict[str, Box]:
    """Bounding box of every province of ``scheme`` that joins to the registry, by official code
    (``provinces`` as for :func:`provinces_geojson`)."""
    keys = {name_key(n): c for n, c in zip(provinces["short_name"], provinces["code"], strict=True)}
    out = {}
    for name, box in _feature_boxes(scheme):
        key = name_key(name)
        code = keys.get(ALIASES.get(key, key))
        if code is not None:
            out[code] = box
    return out


def country_box(scheme: str) -> Box:
    """The whole country, Hoàng Sa and Trường Sa included (they are parts of two provinces)."""
    boxes = [b for _, b in _feature_boxes(scheme)]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _mercator(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def fit_view(box: Box, width: float, height: float, pad: float = 0.04,
             max_zoom: float = MAX_ZOOM) -> tuple[dict[str, float], float]:
    """(centre, zoom) of a Web Mercator map ``width`` × ``height`` px that shows all of ``box``
    with ``pad`` of the size spare on each side (plotly's map has no 'fit bounds' setting).
    The browser redoes this for the size the map is drawn at (assets/map_fit.js, same maths)."""
    west, south, east, north = box
    x = max(east - west, 1e-6) / 360
    y = max(_mercator(north) - _mercator(south), 1e-6) / (2 * math.pi)
    usable = 1 - 2 * pad
    zoom = min(math.log2(width * usable / (TILE * x)), math.log2(height * usable / (TILE * y)), max_zoom)
    mid = (_mercator(north) + _mercator(south)) / 2
    lat = math.degrees(2 * math.atan(math.exp(mid)) - math.pi / 2)
    return {"lon": (west + east) / 2, "lat": lat}, zoom

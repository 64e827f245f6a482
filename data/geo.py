"""Province boundaries keyed by official code (both schemes).

Geometry: Open Development Vietnam "Địa phận tỉnh" (CC BY-SA 4.0) via TaliaCao/Vietnam-Shape-Map
(MIT), simplified; both archipelagos (Hoàng Sa in Đà Nẵng, Trường Sa in Khánh Hòa) included;
see reference/geo/SOURCES.md. The files carry no GSO codes: features are joined to the unit
registry by normalised name.
"""

from __future__ import annotations

import copy
import json
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

"""Reference frames the read side joins to figures: units of both schemes, agencies, the
lineage, and how each unit or agency is named. Loaded once per database per process, never
built from figures, so a restart has nothing to redo. They change with ``etl init`` and when a
file of the national portal registers an agency the registry lacked: every few seconds a
process compares its number of agencies with the database's and reloads when they differ."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
from sqlalchemy import Engine, func, select

from data.schema import agency
from data.text import vi_sort_key
from data.units import agency_frame, lineage_frame, unit_tree


@dataclass(frozen=True)
class Registry:
    units: pd.DataFrame  # unit_tree, plus ``sort_key``: data.text.vi_sort_key of the short name
    agencies: pd.DataFrame
    lineage: pd.DataFrame
    unit_names: pd.DataFrame  # by unit id: level, scheme, code, name
    agency_names: pd.DataFrame  # by agency id: level 'department', scheme, code '24.SNV', name

    def describe(self, level: str) -> pd.DataFrame:
        return self.agency_names if level == "department" else self.unit_names


@lru_cache(maxsize=4)
def _load(url: str, engine: Engine) -> Registry:
    with engine.connect() as conn:
        units, agencies, lineage = unit_tree(conn), agency_frame(conn), lineage_frame(conn)
    # unit lists (dropdowns, tables) sort in Vietnamese alphabetical order: Đ after D, not after T
    units["sort_key"] = units["short_name"].map(vi_sort_key) if len(units) else pd.Series(dtype=str)
    unit_names = units[["level", "scheme", "code", "name"]]
    prov = agencies["unit_id"]
    agency_names = pd.DataFrame({
        "level": "department", "scheme": prov.map(units["scheme"]),
        "code": prov.map(units["code"]) + "." + agencies["type_code"],
        "name": agencies["name"] + " (" + prov.map(units["name"]) + ")",
    }, index=agencies.index)
    return Registry(units, agencies, lineage, unit_names, agency_names)


RECHECK_SECONDS = 5.0
_checked: dict[str, float] = {}


def registry(engine: Engine) -> Registry:
    url = engine.url.render_as_string(hide_password=False)
    reg = _load(url, engine)
    if reg.units.empty:  # not initialised yet: do not keep an empty registry
        _load.cache_clear()
        return reg
    now = time.monotonic()
    if now - _checked.get(url, 0.0) > RECHECK_SECONDS:
        _checked[url] = now
        with engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(agency)).scalar()
        if n != len(reg.agencies):  # agencies registered since (a portal file): reload
            _load.cache_clear()
            reg = _load(url, engine)
    return reg


def clear() -> None:
    _load.cache_clear()

"""Unit search for the filter bar on every page: districts and communes are offered as the user
types (accent-insensitive); provinces are always listed. Lives with the pages (components never
query); imported by app.py. Dash Pages skips modules whose name starts with an underscore."""

from __future__ import annotations

from urllib.parse import parse_qsl

from dash import Input, Output, State, callback, no_update

from components.filterbar import NATIONAL, unit_search_options
from components.state import ViewState
from data import queries
from data.db import default_url, get_engine


@callback(Output("f-unit", "options"), Input("f-unit", "search_value"), State("url", "search"),
          prevent_initial_call=True)
def _search_units(text: str | None, search: str) -> list[dict] | object:
    if not text or len(text.strip()) < 2:
        return no_update
    state = ViewState.from_params(dict(parse_qsl((search or "").lstrip("?"))))
    engine = get_engine(default_url())
    found = queries.unit_options(engine, state.unit_scheme, text=text, limit=60, current=state.unit)
    provinces = queries.unit_options(engine, state.unit_scheme, current=state.unit)
    seen = {o["value"] for o in found}
    merged = found + [o for o in provinces if o["value"] not in seen]
    return unit_search_options([{"label": "Toàn quốc", "value": NATIONAL}, *merged])

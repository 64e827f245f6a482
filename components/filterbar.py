"""The filter bar shared by every page. Its state lives in the URL query string: a change
rewrites the URL (history entry, no reload) and the page re-renders from it."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.exportbar import export_bar
from components.state import COMPARE, LEVELS, SCHEMES, ViewState
from data.text import fold

NATIONAL = "__vn__"
# where only one level lies below: the country lists provinces, a district its communes
FIXED_LEVELS = {"province": "Tỉnh, thành phố", "commune": "Xã"}


def _period_label(spec: str) -> str:
    from components.state import RELATIVE
    from data.periods import parse_spec

    return RELATIVE.get(spec) or parse_spec(spec).label


def unit_search_options(options: list[dict[str, str]]) -> list[dict]:
    """Public form of the accent-insensitive options, for the search callback."""
    return _with_search(options)


def _with_search(options: list[dict[str, str]]) -> list[dict[str, str]]:
    """Dropdown options whose client-side search is accent-insensitive ("dien bien")."""
    # dcc.Dropdown filters on ``search`` only when the label is a component
    return [{"label": html.Span(o["label"]), "value": o["value"], "search": f"{fold(o['label'])} {o['label']}"}
            for o in options]


def filter_bar(state: ViewState, unit_options: list[dict[str, str]], period_options: list[dict[str, str]],
               show_level: bool = True, shown_level: str | None = None) -> dbc.Card:
    """``shown_level``: the one level the page can list below the unit, when there is no choice
    ('province' for the country, 'commune' for a district): the selector shows it, disabled."""
    units = [{"label": "Toàn quốc", "value": NATIONAL}, *unit_options]
    if state.period not in {o["value"] for o in period_options}:
        # a period from the URL that the list does not offer (e.g. a custom range): keep it, or the
        # dropdown would clear itself and rewrite the URL
        period_options = [{"label": _period_label(state.period), "value": state.period}, *period_options]
    col = {"xs": 12, "md": 6, "lg": 2}
    unit_label = next((o["label"] for o in units if o["value"] == (state.unit or NATIONAL)), state.unit)
    period_label = next((o["label"] for o in period_options if o["value"] == state.period), state.period)
    summary = dbc.Button(f"Bộ lọc: {unit_label} · {period_label}", id="f-toggle", color="light",
                         className="d-md-none w-100 text-start filter-summary", n_clicks=0)
    return dbc.Card(dbc.CardBody([summary, dbc.Collapse(_body(state, units, period_options, show_level, col, shown_level),
                                                        id="f-collapse", is_open=False, className="d-md-block")]),
                    className="mb-3 filter-bar")


def _level(state: ViewState, shown: str | None) -> dcc.Dropdown:
    """The level selector: fixed (and disabled) where only one level lies below the unit."""
    if shown in FIXED_LEVELS:
        return dcc.Dropdown(id="f-level", clearable=False, value=shown, disabled=True,
                            options=[{"label": FIXED_LEVELS[shown], "value": shown}])
    return dcc.Dropdown(id="f-level", clearable=False, value=state.level,
                        options=[{"label": v, "value": k} for k, v in LEVELS.items()
                                 if k != "district" or state.scheme == "legacy"])


def _body(state: ViewState, units: list[dict[str, str]], period_options: list[dict[str, str]], show_level: bool,
          col: dict, shown_level: str | None = None) -> html.Div:
    return html.Div([dbc.Row([
        dbc.Col([dbc.Label("Hệ thống đơn vị", html_for="f-scheme", className="small mb-0"),
                 dcc.Dropdown(id="f-scheme", options=[{"label": v, "value": k} for k, v in SCHEMES.items()],
                              value=state.scheme, clearable=False)], **{**col, "lg": 3}),
        dbc.Col([dbc.Label("Đơn vị", html_for="f-unit", className="small mb-0"),
                 dcc.Dropdown(id="f-unit", options=_with_search(units), value=state.unit or NATIONAL,
                              clearable=False, placeholder="Gõ tên đơn vị, ví dụ: dien bien")],
                **{**col, "lg": 3}),
        dbc.Col([dbc.Label("So sánh theo cấp", html_for="f-level", className="small mb-0"), _level(state, shown_level)],
                **col, style=None if show_level else {"display": "none"}),
        dbc.Col([dbc.Label("Kỳ", html_for="f-period", className="small mb-0"),
                 dcc.Dropdown(id="f-period", options=period_options, value=state.period, clearable=False)],
                **col),
        dbc.Col([dbc.Label("So với", html_for="f-compare", className="small mb-0"),
                 dcc.Dropdown(id="f-compare", options=[{"label": v, "value": k} for k, v in COMPARE.items()],
                              value=state.compare, clearable=False)], **col),
    ], className="g-2"), export_bar()])

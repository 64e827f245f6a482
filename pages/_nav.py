"""The filter bar writes the view into the URL; every navigation keeps the rest of the view.

A change of a filter pushes one history entry (Back and Forward step through views one by
one); a URL that already says the same view in other words (missing or reordered parameters)
is left alone, so opening a shared link adds no entry. Switching the unit system keeps the unit
when its code exists in the other system too (Điện Biên is 11 in both) and the period when the
other system covers it. Lives with the pages because it asks the unit registry."""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import parse_qsl, urlencode

from dash import ALL, Input, Output, State, callback, clientside_callback, no_update

from components.filterbar import NATIONAL
from components.state import LEVELS, ViewState, scheme_range, valid_in_scheme
from data import queries
from data.db import default_url, get_engine


def switched(current: ViewState, scheme: str) -> dict[str, str]:
    """What survives a switch of the unit system: the unit if its code names a unit there too,
    the period if that system covers it; otherwise the country and the latest quarter."""
    engine = get_engine(default_url())
    new = ViewState(scheme=scheme)
    unit = current.unit if current.unit and queries.find_unit(engine, new.unit_scheme, current.unit) is not None \
        else ""
    rng = queries.data_range(engine)
    period = current.period if rng and valid_in_scheme(current.period, scheme_range(rng, scheme)) \
        else "latest-quarter"
    level = current.level if current.level != "district" or scheme == "legacy" else "commune"
    return {"unit": unit, "period": period, "level": level}


@callback(
    Output("url", "href", allow_duplicate=True),
    Input("f-scheme", "value"), Input("f-unit", "value"), Input("f-level", "value"), Input("f-period", "value"),
    Input("f-compare", "value"),
    State("url", "pathname"), State("url", "search"),
    prevent_initial_call=True,
)
def _to_url(scheme: str, unit: str, level: str, period: str, compare: str, pathname: str, search: str) -> str:
    if None in (scheme, level, period, compare):  # a dropdown cleared itself: keep the URL as it is
        return no_update
    current = ViewState.from_params(dict(parse_qsl((search or "").lstrip("?"))))
    if level not in LEVELS:  # the fixed level of the country ("Tỉnh"): keep the user's choice for below
        level = current.level
    # a unit the list does not hold (an unknown code in the URL) clears the dropdown: keep it, so
    # the page says the code is unknown instead of silently showing the country
    unit = current.unit if unit is None else "" if unit == NATIONAL else unit
    changes = {"unit": unit, "level": level, "period": period,
               "compare": compare}
    if scheme != current.scheme:
        changes = {**changes, **switched(current, scheme)}
    new = ViewState.from_params(dict(parse_qsl(current.query(scheme=scheme, **changes).lstrip("?"))))
    if new == current:  # the same view (e.g. a shared URL in other words): no new history entry
        return no_update
    # a page's own parameters (the Chỉ số 766 page's ``group``) survive a change of the filters
    extra = {k: v for k, v in parse_qsl((search or "").lstrip("?")) if k not in asdict(new)}
    return (pathname or "/") + new.query() + ("&" + urlencode(extra) if extra else "")


# Menu links carry the view to the other pages (only the path changes)
clientside_callback(
    """function(search, ids) {
        return ids.map(function(id) { return id.path + (search || ""); });
    }""",
    Output({"type": "nav-link", "path": ALL}, "href"),
    Input("url", "search"), State({"type": "nav-link", "path": ALL}, "id"),
)


# The folded menu (phones) opens with its button and closes once a page is chosen
clientside_callback(
    """function(clicks, search, path, open) {
        var ctx = window.dash_clientside.callback_context;
        var fromButton = ctx.triggered.length && ctx.triggered[0].prop_id === "nav-toggle.n_clicks";
        return fromButton ? !open : false;
    }""",
    Output("nav-collapse", "is_open"),
    Input("nav-toggle", "n_clicks"), Input("url", "search"), Input("url", "pathname"),
    State("nav-collapse", "is_open"), prevent_initial_call=True,
)

# On a phone the filters fold behind a one-line summary, so the first screen shows figures
clientside_callback("function(n, open) { return !open; }", Output("f-collapse", "is_open"),
                    Input("f-toggle", "n_clicks"), State("f-collapse", "is_open"), prevent_initial_call=True)


@callback(
    Output("nav-user", "children"), Output("logout-csrf", "value"), Output("nav-account", "style"),
    Output({"type": "role-item", "path": ALL, "role": ALL}, "style"), Output("job-token", "data"),
    Input("url", "pathname"), State({"type": "role-item", "path": ALL, "role": ALL}, "id"),
)
def _account(_path: str, links: list[dict]) -> tuple:
    """The signed-in user's name, the sign-out form's CSRF token, the pages of their role, and
    the signed token background exports run with."""
    from components.access import current_user
    from components.login import job_token
    from components.security import csrf_token

    user = current_user()
    hidden = {"display": "none"}
    token = job_token(get_engine(default_url()))
    if user is None:  # the public (TTHC_PUBLIC=1): no account, no role pages
        return "", "", hidden, [hidden for _ in links], token
    roles = {"viewer": "xem", "reporter": "báo cáo", "analyst": "phân tích", "admin": "quản trị"}
    return (f"{user.name} ({roles[user.role]})", csrf_token(), None,
            [None if user.can(link["role"]) else hidden for link in links], token)

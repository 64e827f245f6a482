"""Plain-language notices where a view cannot show what the URL asks: a unit code that names no
unit of the chosen system, a period the chosen system does not cover. Each says what is wrong
and offers the way out as a link that keeps the rest of the view."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.state import RELATIVE, SCHEMES, ViewState
from components.view import View
from data import periods as P


def unknown_unit(state: ViewState, path: str, elsewhere: str) -> dbc.Alert:
    """``elsewhere``: a scheme in which the code names a unit ('' when none)."""
    links = [dcc.Link("Xem toàn quốc", href=path + state.query(unit=""), className="alert-link me-3")]
    if elsewhere:
        links.insert(0, dcc.Link(f"Xem mã {state.unit} trong hệ “{SCHEMES[elsewhere]}”",
                                 href=path + state.query(scheme=elsewhere), className="alert-link me-3"))
    from data.read import scope

    text = f"Không có đơn vị mã “{state.unit}” trong hệ “{SCHEMES[state.scheme]}”"
    if scope.current() is not None:  # or it lies outside what this user may read
        text += " trong phạm vi bạn được xem"
    return dbc.Alert([html.Div(text + "."),
                      html.Div(links, className="mt-1")], color="warning", id="unknown-unit")


def period_outside(state: ViewState, per: P.Period, path: str, covered: tuple, elsewhere: str) -> dbc.Alert | None:
    """A notice when the period asked for reaches outside the scheme's part of the data
    (``covered``: first and last day): either it lies outside, or only its part inside is counted
    (``per``, clipped by components.state.clip_to_scheme). ``elsewhere``: the scheme that covers
    it whole ('' when none)."""
    first, last = covered
    asked = P.parse_spec(state.period) if state.period not in RELATIVE else per
    if first <= asked.start and asked.end <= last:
        return None
    if per.end < first or per.start > last:
        text = f"{asked.label} nằm ngoài khoảng này."
    else:
        text = (f"{asked.label} chỉ được tính từ {max(per.start, first):%d/%m/%Y} đến "
                f"{min(per.end, last):%d/%m/%Y}.")
    text = f"Hệ “{SCHEMES[state.scheme]}” có số liệu từ {first:%d/%m/%Y} đến {last:%d/%m/%Y}; " + text
    body: list = [html.Div(text)]
    if elsewhere:
        body.append(dcc.Link(f"Chuyển sang hệ “{SCHEMES[elsewhere]}”", href=path + state.query(scheme=elsewhere),
                             className="alert-link"))
    return dbc.Alert(body, color="info", id="period-outside")


def view_notices(view: View, path: str) -> list[dbc.Alert]:
    """The notices a view needs (none for an ordinary view)."""
    if view.unknown_unit:
        return [unknown_unit(view.state, path, view.unit_elsewhere)]
    note = period_outside(view.state, view.per, path, (view.first, view.last),
                          "today" if view.state.scheme != "today" else "")
    return [note] if note is not None else []

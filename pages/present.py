"""Trình chiếu: the key charts of a dashboard view, one per screen, for review meetings.

Same URL parameters as the dashboard (``tu`` names the page it came from), so a prepared link
opens the prepared deck. Keys: → / PageDown / Space next, ← / PageUp previous, Home / End,
F full screen (assets/present.js). ``in=1`` gives the A4 landscape print layout: every slide on
its own page, charts at a fixed size so nothing is cut.
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash
from dash import dcc, html

from components.deck import Deck, build_deck, for_screen
from components.tables import DEMO_LABEL

dash.register_page(__name__, path="/trinh-chieu", name="Trình chiếu", order=90, nav=False,
                   title="Trình chiếu — Theo dõi cải cách TTHC")
PRINT_SIZE = (1000, 560)  # px: fits an A4 landscape page (277 × 190 mm printable) with its header


def layout(tu: str = "/", **params: str) -> html.Div:
    printing = params.pop("in", "") == "1"
    deck = build_deck(params, tu)
    if deck is None:
        return html.P("Chưa có số liệu để trình chiếu.", className="lead")
    slides = [_title_slide(deck, printing)]
    total = len(deck.slides) + 1
    for i, slide in enumerate(deck.slides, start=2):
        fig = for_screen(slide.figure, font_size=14 if printing else 24)
        if slide.geo_scheme:  # a slide is taller than the page's map: zoom in as much
            fig.update_layout(map_zoom=(fig.layout.map.zoom or 4.15) + 0.4)
        if printing:
            fig.update_layout(width=PRINT_SIZE[0], height=PRINT_SIZE[1], autosize=False)
        graph = dcc.Graph(id=f"slide-graph-{i}", figure=fig, responsive=not printing,
                          config={"displayModeBar": False, "locale": "vi", "staticPlot": printing},
                          className="slide-graph")
        slides.append(html.Section([
            html.H2(slide.title, className="slide-title"),
            graph,
            _footer(deck, i, total),
        ], className="slide", id=f"slide-{i}"))
    back = f"{tu}?" + urlencode({k: v for k, v in params.items() if v}, safe="/")
    controls = html.Div([
        html.A("← Về bảng điều khiển", href=back, className="btn btn-light btn-sm"),
        html.Button("In / lưu PDF", id="present-print", className="btn btn-light btn-sm", n_clicks=0,
                    **{"data-action": "print"}),
        html.Span("Phím ← → chuyển trang · Home/End đầu/cuối · F toàn màn hình", id="present-hint",
                  className="present-hint small text-muted"),  # hidden in full screen (assets/present.css)
    ], className="present-controls d-flex gap-2 align-items-center")
    return html.Div([controls, html.Div(slides, id="deck")],
                    className="present print-layout" if printing else "present", id="present-root")


def _title_slide(deck: Deck, printing: bool) -> html.Section:
    return html.Section([
        html.Div([
            html.H1(deck.heading, className="slide-heading"),
            html.P(f"{deck.period} ({deck.dates})", className="slide-sub"),
            html.P(DEMO_LABEL if deck.is_demo else deck.source, className="slide-demo" if deck.is_demo else ""),
            html.P(deck.source if deck.is_demo else "", className="slide-source"),
        ], className="slide-center"),
        _footer(deck, 1, len(deck.slides) + 1),
    ], className="slide active" if not printing else "slide", id="slide-1")


def _footer(deck: Deck, n: int, total: int) -> html.Footer:
    return html.Footer([html.Span(deck.footnote()), html.Span(f"{n}/{total}", className="slide-no")],
                       className="slide-footer")

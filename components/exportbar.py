"""The export bar under the filter bar: presentation mode, PowerPoint, PNG, Excel, print.
Links are filled from the current URL and the files are made by pages/_export.py."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


def export_bar() -> html.Div:
    button = {"size": "sm", "color": "secondary", "outline": True}
    return html.Div([
        html.Span("Xuất:", className="small text-muted me-1"),
        dbc.Button("Trình chiếu", id="export-present", href="/trinh-chieu", external_link=True, **button),
        dbc.Button("PowerPoint", id="export-pptx", n_clicks=0, **button),
        dbc.Button("Ảnh PNG", id="export-png", n_clicks=0, **button),
        dbc.Button("Excel", id="export-xlsx", n_clicks=0, **button),
        dbc.Button("Bản in A4", id="export-print", href="/trinh-chieu?in=1", external_link=True, target="_blank",
                   **button),
    ], className="export-bar d-flex flex-wrap gap-1 align-items-center mt-2")


def export_status() -> html.Div:
    """Progress of an export, shown only when it takes more than a second (CSS delay)."""
    return html.Div([
        html.Div("Đang tạo tệp…", id="export-progress-text", className="small mb-1"),
        dbc.Progress(id="export-progress", value=0, max=100, striped=True, animated=True, style={"height": "18px"}),
    ], id="export-status", className="export-status shadow", style={"display": "none"})

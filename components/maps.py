"""The ranking page's map block: the province map fitted to the view (the whole country, or the
selected unit's province outlined and zoomed to), coloured like the league table, and a plain
note where the map cannot go below province level. Components never query: the page passes
the unit registry and the figures."""

from __future__ import annotations

from datetime import date

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from components.league import province_map
from data import geo, metrics


def province_of(unit: pd.Series | None, units: pd.DataFrame) -> str | None:
    """Official code of the province a unit lies in (the unit itself for a province)."""
    if unit is None:
        return None
    pid = unit["province_id"]
    return str(units.at[int(pid), "code"]) if not pd.isna(pid) else None


def map_card(geojson: dict | str, df: pd.DataFrame, metric_id: str, day: date, scheme: str,
             unit: pd.Series | None, units: pd.DataFrame) -> dbc.Card:
    """The map card: provinces of ``scheme`` with ``df``'s figures (code, name, value, counts),
    coloured against the target in force on ``day`` (the period's end)."""
    provinces = units[(units["scheme"] == scheme) & (units["level"] == "province")]
    selected = province_of(unit, units)
    target = metrics.target_for(metric_id, day, selected)
    fig = province_map(geojson, df, metric_id, geo.ATTRIBUTION, selected,
                       target=target.value if target is not None else None,
                       boxes=geo.province_boxes(provinces, scheme), provinces=provinces[["code", "name"]])
    note = None
    if unit is not None:
        note = html.P(geo.NO_LOWER_LEVEL[scheme], id="rank-map-note", role="note",
                      className="small text-muted mb-2")
    graph = dcc.Graph(id="rank-map", figure=fig, config={"displaylogo": False, "scrollZoom": False,
                                                         "responsive": True})
    return dbc.Card(dbc.CardBody([note, html.Div(graph, className="rank-map")], className="p-2"))

"""League table (scorecard) and province map for the ranking page. Components never query."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from dash import dash_table

from components.charts import base_layout, empty_figure, row_target
from components.lights import LIGHTS, light_style
from data import metrics
from data.text import format_int, format_percent

FONT = "'Be Vietnam Pro', system-ui, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', Arial, sans-serif"


def league_frame(cur: pd.DataFrame, prev: pd.DataFrame, metric_id: str,
                 target: metrics.Target | float | dict[int, float | None] | None) -> pd.DataFrame:
    """Rank, unit, value, target, light, change and counts for one indicator; the light only
    against the target in force (``target``: one for all rows or each row's own by key), the
    neutral "Chưa có mục tiêu" without one."""
    target = target.value if isinstance(target, metrics.Target) else target
    m = metrics.get(metric_id)
    part = cur[cur["metric"] == metric_id].copy()
    if part.empty:
        return pd.DataFrame()
    before = prev[prev["metric"] == metric_id].set_index("key")["value"] if not prev.empty else pd.Series(
        dtype=float)
    part["prev"] = part["key"].map(before)
    part = part.sort_values("value", ascending=not m.higher_is_better).reset_index(drop=True)
    part["rank"] = range(1, len(part) + 1)
    diff = (part["value"] - part["prev"]) * 100
    better = diff >= 0 if m.higher_is_better else diff <= 0
    part["trend"] = [("–" if pd.isna(d) else ("▲" if d > 0 else "▼" if d < 0 else "■")
                      + f" {abs(d):.1f}".replace(".", ",") + (" ✓" if b else " ✗")) for d, b in zip(diff, better,
                                                                                                   strict=True)]
    part["_target"] = [row_target(target, k) for k in part["key"]]
    part["light"] = [light_style(m.light(v, t)).label for v, t in zip(part["value"], part["_target"], strict=True)]
    part["pct"] = part["value"] * 100
    part["counts"] = [f"{format_int(n)}/{format_int(d)}" for n, d in zip(part["numerator"], part["denominator"],
                                                                       strict=True)]
    sign = "≥ " if m.higher_is_better else "≤ "
    part["target"] = [sign + format_percent(t, 0) if t is not None else "–" for t in part["_target"]]
    return part


def league_table(df: pd.DataFrame, table_id: str = "league", drillable: bool = True) -> dash_table.DataTable:
    """``drillable``: rows open the level below on click; otherwise cells are not selectable (no
    highlight that promises a click does something)."""
    from dash.dash_table.Format import Format, Scheme

    columns = [
        {"name": "Hạng", "id": "rank", "type": "numeric"},
        {"name": "Đơn vị", "id": "name"},
        {"name": "Tỷ lệ (%)", "id": "pct", "type": "numeric",
         "format": Format(precision=2, scheme=Scheme.fixed, decimal_delimiter=",", group_delimiter=".")},
        {"name": "Tử số/mẫu số", "id": "counts"},
        {"name": "Mục tiêu", "id": "target"},
        {"name": "Đánh giá", "id": "light"},
        {"name": "So với kỳ so sánh (điểm %)", "id": "trend"},
    ]
    return dash_table.DataTable(
        id=table_id, columns=columns, data=df[["rank", "name", "pct", "counts", "target", "light", "trend", "code"]]
        .to_dict("records") if not df.empty else [],
        sort_action="native", page_size=25, style_as_list_view=True,
        style_cell={"fontFamily": FONT, "padding": "6px", "textAlign": "left", "fontSize": "15px"},
        style_cell_conditional=[{"if": {"column_id": c}, "textAlign": "right"} for c in ("rank", "pct", "counts")],
        style_data_conditional=[{"if": {"filter_query": f'{{light}} = "{k}"', "column_id": "light"},
                                 "backgroundColor": s.background} for k, s in
                                ((s.label, s) for s in LIGHTS.values() if s.background)],
        style_header={"fontWeight": "bold"}, cell_selectable=drillable,
    )


def province_map(geojson: dict | str, df: pd.DataFrame, metric_id: str, attribution: str,
                 selected: str | None = None) -> go.Figure:
    """Choropleth of provinces from our own GeoJSON; no base map is fetched from anywhere."""
    m = metrics.get(metric_id)
    if df.empty:
        return empty_figure()
    fig = go.Figure(go.Choroplethmap(
        geojson=geojson, locations=df["code"], z=df["value"], featureidkey="id",
        colorscale="RdYlGn" if m.higher_is_better else "RdYlGn_r", marker_line_color="white",
        marker_line_width=0.6, marker_opacity=[1.0 if selected in (None, c) else 0.55 for c in df["code"]],
        text=df["name"], customdata=[f"{format_percent(v)} ({c})" for v, c in zip(df["value"], df["counts"],
                                                                                 strict=True)],
        hovertemplate="%{text}<br>%{customdata}<extra></extra>",
        colorbar={"title": {"text": "%"}, "tickformat": ".0%"},
    ))
    # MapLibre with a blank style: no tiles, no glyphs, no topojson from any CDN. The view
    # covers the mainland and both archipelagos (Hoàng Sa, Trường Sa).
    fig.update_layout(map={"style": "white-bg", "center": {"lat": 15.6, "lon": 108.6}, "zoom": 4.15})
    fig.add_annotation(text=attribution.replace(" (MIT); ", " (MIT);<br>"), showarrow=False, xref="paper", yref="paper", x=0, y=-0.02,
                       font={"size": 10, "color": "#6c757d"}, xanchor="left", align="left")
    base_layout(fig, 640)
    fig.update_layout(margin={"l": 0, "r": 0, "t": 10, "b": 30})
    return fig

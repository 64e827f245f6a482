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


NO_DATA_COLOR = "#e9ecef"
BORDER = "#adb5bd"  # grey, not white: the islands of Hoàng Sa and Trường Sa stay visible
SEQUENTIAL = [[0.0, "#dce6f2"], [1.0, "#1f3f7a"]]  # one hue, no red or green: no verdict without a target
DIMMED = 0.35  # other provinces when one is selected
MAP_SIZE = (540, 560)  # plot area the server-side view is worked out for; the browser refits it


def _pct(x: float) -> str:
    whole = abs(x * 100 - round(x * 100)) < 1e-9
    return format_percent(x, 0 if whole else 2)


def map_bands(metric_id: str, target: float) -> list[tuple[str, str]]:
    """(light, legend text) of the three bands of the league table's verdict, best first."""
    m = metrics.get(metric_id)
    near, goal = m.bands(target)
    if m.higher_is_better:
        texts = (f"≥ {_pct(goal)}", f"{_pct(near)} – {_pct(goal)}", f"< {_pct(near)}")
    else:
        texts = (f"≤ {_pct(goal)}", f"{_pct(goal)} – {_pct(near)}", f"> {_pct(near)}")
    return [(k, f"{light_style(k).label} ({t})") for k, t in zip(("green", "amber", "red"), texts, strict=True)]


def _target_text(m: metrics.Metric, target: float | None) -> str:
    if target is None:
        return ""
    return f"Mục tiêu {'≥' if m.higher_is_better else '≤'} {_pct(target)}:"


def _wrap(text: str, width: int = 58) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


def province_map(geojson: dict | str, df: pd.DataFrame, metric_id: str, attribution: str,
                 selected: str | None = None, *, target: float | None = None,
                 boxes: dict[str, tuple[float, float, float, float]] | None = None,
                 provinces: pd.DataFrame | None = None) -> go.Figure:
    """Choropleth of provinces from our own GeoJSON; no base map is fetched from anywhere.

    With a target in force the provinces are coloured by the league table's three bands (the
    same ``Metric.light`` verdict and ``light_style`` colours, named in the legend); without one,
    by a single-hue scale with no verdict. ``provinces`` (code, name): all provinces, those
    without a figure drawn grey. ``selected``: that province outlined, the others dimmed, and the
    view fitted to its box (``boxes``: box by code); otherwise the whole country, both
    archipelagos included. ``layout.meta.fit`` carries the box so the browser refits it to the
    size the map is drawn at (assets/map_fit.js)."""
    from data.geo import fit_view

    m = metrics.get(metric_id)
    if df.empty and provinces is None:
        return empty_figure()
    fig = go.Figure()
    shown = set(df["code"]) if not df.empty else set()

    def opacity(codes: list[str]) -> list[float]:
        return [1.0 if selected in (None, c) else DIMMED for c in codes]

    def layer(part: pd.DataFrame, **kw: object) -> go.Choroplethmap:
        codes = list(part["code"])
        return go.Choroplethmap(geojson=geojson, locations=codes, featureidkey="id", text=part["name"],
                                marker_line_color=BORDER, marker_line_width=0.6, marker_opacity=opacity(codes),
                                hovertemplate="%{text}<br>%{customdata}<extra></extra>", **kw)

    if provinces is not None:
        rest = provinces[~provinces["code"].isin(shown)]
        if not rest.empty:
            fig.add_trace(layer(rest, z=[0] * len(rest), colorscale=[[0, NO_DATA_COLOR], [1, NO_DATA_COLOR]],
                                showscale=False, customdata=["Chưa có số liệu"] * len(rest),
                                name="Chưa có số liệu", showlegend=target is not None, legendrank=2000))
    if not df.empty:
        info = [f"{format_percent(v)} ({c})" for v, c in zip(df["value"], df["counts"], strict=True)]
        if target is not None:
            lights = [m.light(v, target) for v in df["value"]]
            for light, name in map_bands(metric_id, target):
                mask = [x == light for x in lights]
                if not any(mask):
                    continue
                part = df[mask]
                color = light_style(light).color
                fig.add_trace(layer(part, z=[1] * len(part), colorscale=[[0, color], [1, color]], showscale=False,
                                    customdata=[f"{t} — {light_style(light).label}"
                                                for t, k in zip(info, mask, strict=True) if k],
                                    name=name, showlegend=True))
        else:
            fig.add_trace(layer(df, z=df["value"] * 100, colorscale=SEQUENTIAL, customdata=info, name=m.label_vi,
                                colorbar={"title": {"text": "Tỷ lệ (%) — chưa có mục tiêu để đánh giá",
                                                    "side": "top", "font": {"size": 12}},
                                          "ticksuffix": " %", "orientation": "h", "x": 0, "xanchor": "left",
                                          "y": 1.0, "yanchor": "bottom", "len": 0.8, "thickness": 12}))
    if selected is not None:  # drawn last: the outline is not hidden under a neighbour's border
        fig.add_trace(go.Choroplethmap(geojson=geojson, locations=[selected], featureidkey="id", z=[0],
                                       colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]], showscale=False,
                                       marker_line_color="#212529", marker_line_width=3, hoverinfo="skip",
                                       name="Đang chọn", showlegend=False))
    # MapLibre with a blank style: no tiles, no glyphs, no topojson from any CDN.
    box = (boxes or {}).get(selected) if selected else None
    if box is None and boxes:
        box = (min(b[0] for b in boxes.values()), min(b[1] for b in boxes.values()),
               max(b[2] for b in boxes.values()), max(b[3] for b in boxes.values()))
    center, zoom = fit_view(box, *MAP_SIZE) if box else ({"lat": 15.2, "lon": 109.5}, 4.2)
    lines = _wrap(attribution)
    fig.add_annotation(text="<br>".join(lines), showarrow=False, xref="paper", yref="paper", x=0, y=0,
                       yshift=-4, yanchor="top", font={"size": 10, "color": "#6c757d"}, xanchor="left", align="left")
    base_layout(fig, None)
    fig.update_layout(map={"style": "white-bg", "center": center, "zoom": zoom}, meta={"fit": list(box) if box else None},
                      margin={"l": 0, "r": 0, "t": 10, "b": 8 + 13 * len(lines)}, autosize=True,
                      legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom",
                              "title": {"text": _target_text(m, target)},
                              "font": {"size": 12}, "traceorder": "normal"})
    if target is not None:  # one band a line: a row of them overflows a narrow map
        fig.update_layout(legend={"orientation": "v", "title": {"side": "top"}})
    return fig

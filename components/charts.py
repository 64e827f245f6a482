"""Plotly figures in Vietnamese formats (1.234,5 and 8,39 %; dd/mm/yyyy), with empty states."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from components.lights import light_style
from data import metrics
from data.text import format_int, format_percent

FONT = "Be Vietnam Pro, Segoe UI, Roboto, Arial, sans-serif"
COLORS = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#d63384", "#20c997"]
EMPTY_TEXT = "Chưa có số liệu cho kỳ này"


def base_layout(fig: go.Figure, height: int = 360) -> go.Figure:
    """The look every chart shares, set in one update (each plotly update validates the figure)."""
    fig.update_layout(
        separators=",.",  # decimal comma, thousands dot
        font={"family": FONT, "size": 14},
        height=height,
        margin={"l": 50, "r": 20, "t": 30, "b": 40},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.15},
        hoverlabel={"font_family": FONT},
        xaxis={"showgrid": False},
        yaxis={"gridcolor": "#e9ecef", "zeroline": False},
        # no drag on the chart: a swipe on a phone scrolls the page (zoom stays in the toolbar)
        dragmode=False,
    )
    return fig


def empty_figure(text: str = EMPTY_TEXT, height: int = 300) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, font={"size": 16, "color": "#6c757d"},
                       xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return base_layout(fig, height)


def _period_label(start: object, freq: str) -> str:
    from data import periods as P

    if freq == "quarter":
        return P.quarter(start.year, (start.month - 1) // 3 + 1).label  # type: ignore[attr-defined]
    if freq == "year":
        return str(start.year)  # type: ignore[attr-defined]
    if freq == "month":
        return f"{start.month:02d}/{start.year}"  # type: ignore[attr-defined]
    return start.strftime("%d/%m/%Y")  # type: ignore[attr-defined]


def trend_figure(df: pd.DataFrame, metric_ids: list[str], labels: dict[str, str] | None = None,
                 freq: str = "quarter", target: metrics.Target | None | bool = True) -> go.Figure:
    """Lines of several indicators over periods; the target of the first as a dashed line
    (``target``: the unit's target in force; True: the national default on the last period)."""
    if df.empty:
        return empty_figure()
    fig = go.Figure()
    for i, mid in enumerate(metric_ids):
        part = df[df["metric"] == mid].sort_values("period_start").tail(12)  # three years of quarters
        if part.empty:
            continue
        m = metrics.get(mid)
        text = [f"{format_percent(v)} ({format_int(n)}/{format_int(d)})<br>{provenance_text(ds, src)}" for v, n, d, ds, src in
                zip(part["value"], part["numerator"], part["denominator"], _col(part, "dataset"),
                    _col(part, "source"), strict=True)]
        fig.add_trace(go.Scatter(
            x=[_period_label(p, freq) for p in part["period_start"]],
            y=part["value"], mode="lines+markers", name=(labels or {}).get(mid, m.label_vi),
            line={"color": COLORS[i % len(COLORS)], "width": 3}, customdata=text,
            hovertemplate="%{x}<br>%{customdata}<extra>" + m.label_vi + "</extra>",
        ))
        if i == 0 and len(part):
            if target is True:
                target = m.target_on(part["period_end"].iloc[-1] if "period_end" in part else
                                     part["period_start"].iloc[-1])
            if target:
                fig.add_hline(y=target.value, line_dash="dash", line_color=light_style("red").color,
                              annotation_text=f"Mục tiêu {format_percent(target.value, 0)}",
                              annotation_position="top left")
    if not fig.data:
        return empty_figure()
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(nticks=6, automargin=True)  # labels turn instead of running together on a phone
    base_layout(fig)
    fig.update_layout(legend={"orientation": "h", "y": -0.2}, margin={"b": 70})
    return fig


def bar_figure(df: pd.DataFrame, metric_id: str, top: int | None = None,
               target: float | dict[int, float | None] | None = None, real: pd.DataFrame | None = None,
               best_first: bool = False) -> go.Figure:
    """Horizontal bars of units on one indicator, the worst on top (by the indicator's direction:
    who drags the figure down comes first); ``top``: only that many of the worst. Traffic-light
    colours against the target in force, one neutral colour without one. ``real``: real figures
    of these units (periods overlapping the view) drawn as marked points beside the bars.
    ``best_first``: rank order instead (a ranking slide "hạng 1–19")."""
    part = df[df["metric"] == metric_id].copy()
    if part.empty:
        return empty_figure()
    m = metrics.get(metric_id)
    part = part.sort_values(["value", "name"], ascending=[m.higher_is_better != best_first, True])
    if top:
        part = part.head(top)
    part = part.iloc[::-1]  # plotly draws the first category at the bottom
    fig = go.Figure(go.Bar(
        x=part["value"], y=part["name"], orientation="h", name=f"{m.label_vi} trong kỳ",
        marker_color=[light_style(m.light(v, row_target(target, k))).color
                      for v, k in zip(part["value"], _col(part, "key"), strict=True)],
        text=[format_percent(v) for v in part["value"]], textangle=0, cliponaxis=False,
        # short bars (a 0 % bar has no length at all) carry their label outside, so every unit has one
        textposition=["outside" if v < 0.15 * (part["value"].max() or 1) else "inside" for v in part["value"]],
        customdata=[f"{format_int(n)}/{format_int(d)}<br>{provenance_text(ds, src)}" for n, d, ds, src in
                    zip(part["numerator"], part["denominator"], _col(part, "dataset"), _col(part, "source"),
                        strict=True)],
        hovertemplate="%{y}<br>%{text} (%{customdata})<extra></extra>",
    ))
    fig.update_xaxes(rangemode="tozero", range=None if part["value"].max() > 0 else [0, 0.1])
    if real is not None and len(real):
        _real_markers(fig, real[real["metric"] == metric_id], set(part["key"]) if "key" in part else set())
    fig.update_xaxes(tickformat=".0%")
    return base_layout(fig, max(260, 28 * len(part) + 80))


def _real_markers(fig: go.Figure, real: pd.DataFrame, keys: set) -> None:
    """A dark diamond at each real figure of a unit on the chart, named by its document."""
    real = real[real["key"].isin(keys)]
    if real.empty:
        return
    fig.add_trace(go.Scatter(
        x=real["value"], y=real["name"], mode="markers+text", name="Số liệu thật (tài liệu nguồn)",
        marker={"symbol": "diamond", "size": 14, "color": "#212529", "line": {"color": "white", "width": 1}},
        text=[format_percent(v) for v in real["value"]], textposition="middle right",
        customdata=[f"{format_int(n)}/{format_int(d)}, {s:%d/%m/%Y} – {e:%d/%m/%Y}<br>Nguồn: {src}" for n, d, s, e, src
                    in zip(real["numerator"], real["denominator"], real["period_start"], real["period_end"],
                           real["source"], strict=True)],
        hovertemplate="%{y}<br>Số liệu thật: %{x:.2%} (%{customdata})<extra></extra>",
    ))
    fig.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.12})
    top = max(float(real["value"].max()), max((float(v) for v in fig.data[0].x), default=0.0))
    fig.update_xaxes(range=[0, min(1.0, top) * 1.2])  # room for the label right of the point



def row_target(target: float | dict[int, float | None] | None, key: object) -> float | None:
    """The target of one row: one value for every row, or each row's own (by unit key)."""
    if isinstance(target, dict):
        return target.get(int(key)) if key is not None and key == key else None
    return target


def provenance_text(dataset: object, source: object) -> str:
    """Hover line saying where a figure comes from: the real files or documents, or that it is
    sample data."""
    if dataset == "real":
        return f"Nguồn: {source}" if source else "Số liệu thật"
    if dataset == "mixed":
        real = "; ".join(x for x in str(source or "").split("; ") if x and not x.startswith("demo:"))
        return f"Một phần dữ liệu minh họa; nguồn thật: {real}" if real else "Một phần dữ liệu minh họa"
    return "Dữ liệu minh họa"


def _col(df: pd.DataFrame, name: str) -> list:
    return df[name].tolist() if name in df else [None] * len(df)


def best_worst(df: pd.DataFrame, metric_id: str, target: float | dict[int, float | None] | None = None) -> go.Figure:
    """The best and the worst five units on one indicator (all of them when ten or fewer)."""
    part = df[df["metric"] == metric_id]
    if len(part) <= 10:
        return bar_figure(part, metric_id, target=target)
    m = metrics.get(metric_id)
    ordered = part.sort_values("value", ascending=not m.higher_is_better)
    return bar_figure(pd.concat([ordered.head(5), ordered.tail(5)]), metric_id, target=target)

"""Heatmap of units × periods on one indicator (which units are late, and since when?)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from components.charts import base_layout, empty_figure, provenance_text
from data import metrics
from data.text import format_int, format_percent

# one hue, darker = higher: the heatmap compares units and periods, it gives no verdict (the
# verdict colours belong to a target, components.lights)
NEUTRAL_SCALE = "Blues"


def heatmap_figure(df: pd.DataFrame, metric_id: str, top: int = 30, label: str | None = None,
                   zrange: tuple[float, float] | None = None, empty_text: str | None = None) -> go.Figure:
    """Rows: the ``top`` units that do worst in the latest period (worst on top); columns:
    periods in time order. Cells show the value; hover adds counts and provenance.
    ``metric_id`` outside the registry (e.g. reporting completeness): higher is better."""
    if df.empty:
        return empty_figure(empty_text) if empty_text else empty_figure()
    higher_is_better = metrics.get(metric_id).higher_is_better if metric_id in metrics.BY_ID else True
    order = df.sort_values("period_start")["period_label"].drop_duplicates().tolist()
    latest = df[df["period_start"] == df["period_start"].max()].set_index("name")["value"]
    names = latest.sort_values(ascending=higher_is_better).index.tolist()
    names += sorted(set(df["name"]) - set(names))
    names = names[:top][::-1]  # plotly draws the first row at the bottom
    grid = df.pivot_table(index="name", columns="period_label", values="value", aggfunc="first")
    grid = grid.reindex(index=names, columns=order)
    prefix = f"{label}: " if label else ""
    info = df.assign(_t=[f"{prefix}{format_int(n)}/{format_int(d)}<br>{provenance_text(ds, s)}" for n, d, ds, s in
                         zip(df["numerator"], df["denominator"], df["dataset"], df["source"], strict=True)])
    hover = info.pivot_table(index="name", columns="period_label", values="_t", aggfunc="first")
    hover = hover.reindex(index=names, columns=order).fillna("Chưa có số liệu")
    text = grid.map(lambda v: "" if pd.isna(v) else format_percent(v, 1))
    fig = go.Figure(go.Heatmap(
        z=grid.values, x=order, y=names, text=text.values, texttemplate="%{text}", customdata=hover.values,
        colorscale=NEUTRAL_SCALE, xgap=2, ygap=2,
        hovertemplate="%{y}<br>%{x}: %{text}<br>%{customdata}<extra></extra>",
        colorbar={"title": {"text": "%"}, "tickformat": ".0%"}, hoverongaps=False,
        zmin=zrange[0] if zrange else None, zmax=zrange[1] if zrange else None,
    ))
    fig.update_xaxes(side="top", tickangle=0)
    base_layout(fig, max(260, 26 * len(names) + 90))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 40, "b": 10})
    fig.update_yaxes(automargin=True)
    return fig

"""Chỉ số 766 (Decision 766/QĐ-TTg) pieces: the headline (total, rank, change since the previous
snapshot, source), the six groups against their maxima, trends with the national average, the
ranked departments and communes, the 34-province league and map, and the reconciliation of the
portal's counts with the reports. Components never query: they take the frames of
data.queries (``scores``, ``score_sources``, ``portal_vs_report``, ``portal_findings``).

There is no target for the index: everything is drawn in neutral colours, with no verdict."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import dash_table, html

from components.charts import FONT, base_layout, empty_figure
from components.league import BORDER, DIMMED, MAP_SIZE, NO_DATA_COLOR, SEQUENTIAL, _wrap
from components.lights import LIGHTS
from components.tables import DEMO_LABEL
from data import metrics
from data.text import format_date, format_int

NEUTRAL = LIGHTS[None].color  # one hue for every score: no traffic light without a target
BACK = "#e9ecef"  # the rest of a group's maximum
NATIONAL = "#6c757d"
SELECTED = "#1f3f7a"  # the unit shown, among its peers (same hue, darker)
GROUP_CHOICES = {"total": metrics.SCORE_TOTAL, **{g.key: g for g in metrics.SCORE_GROUPS}}


def score_text(value: object, digits: int = 2) -> str:
    """78.4 -> '78,4'; 15.5 -> '15,5'; 80.0 -> '80' (Vietnamese decimal comma, no trailing zeros)."""
    if value is None or value != value:
        return "–"
    text = f"{float(value):.{digits}f}".rstrip("0").rstrip(".")  # type: ignore[arg-type]
    return text.replace(".", ",")


def group_of(key: str | None) -> metrics.ScoreGroup:
    """The group (or the total) chosen by a URL value; unknown values give the total."""
    return GROUP_CHOICES.get((key or "total").upper() if (key or "").lower() != "total" else "total",
                             metrics.SCORE_TOTAL)


def column_of(g: metrics.ScoreGroup) -> str:
    return "total" if g.key == "TOTAL" else g.column


# --- the headline ---------------------------------------------------------------------------


def change_words(row: pd.Series) -> tuple[str, str] | None:
    """('▲ 1,25 điểm so với Tháng 08/2026 (bản chụp 05/09/2026)', 'Hạng tăng 2 bậc (5 → 3)'),
    or None without a previous snapshot. The arrow carries the sign."""
    prev = row.get("prev_total")
    if prev is None or prev != prev or row.get("total") is None:
        return None
    diff = round(float(row["total"]) - float(prev), 2)
    arrow = "▲" if diff > 0 else "▼" if diff < 0 else "■"
    label = row.get("prev_label") or "kỳ trước"
    day = row.get("prev_as_of")
    has_day = day is not None and day == day
    if label.startswith("bản chụp trước"):  # an earlier capture of the same period
        text = f"{arrow} {score_text(abs(diff))} điểm so với bản chụp trước" + (
            f" ngày {format_date(day)}" if has_day else "") + " của cùng kỳ"
    else:
        when = f" (bản chụp {format_date(day)})" if has_day else ""
        text = f"{arrow} {score_text(abs(diff))} điểm so với {label}{when}"
    rank, before = row.get("rank_total"), row.get("prev_rank")
    if rank is None or before is None or before != before or rank != rank:
        return text, ""
    step = int(before) - int(rank)
    if step == 0:
        return text, f"Giữ nguyên hạng ({int(rank)})"
    word = "tăng" if step > 0 else "giảm"
    return text, f"Hạng {word} {abs(step)} bậc ({int(before)} → {int(rank)})"


def source_text(sources: pd.DataFrame) -> str:
    """The files behind a score ('Cổng DVCQG: qt.json, bản chụp 05/10/2026') or the demo label."""
    if sources is None or sources.empty:
        return "Chưa rõ nguồn"
    parts = []
    for r in sources.sort_values("id").itertuples(index=False):
        if r.dataset == "demo":
            parts.append(DEMO_LABEL)
        else:
            day = f", bản chụp {format_date(r.as_of)}" if r.as_of is not None and r.as_of == r.as_of else ""
            parts.append(f"{r.file_name}{day}")
    return "Nguồn: " + "; ".join(dict.fromkeys(parts))


def headline(name: str, row: pd.Series | None, source: str, national: float | None = None) -> dbc.Card:
    """The unit's total with its rank among its peers, the change and the source."""
    if row is None:
        return dbc.Card(dbc.CardBody(html.P(f"{name}: chưa có điểm Chỉ số 766 cho kỳ này.", className="mb-0")),
                        className="mb-3")
    change = change_words(row)
    body = [
        html.Div(name, className="small text-muted"),
        html.Div([html.Span(score_text(row["total"]), className="display-6 fw-semibold", id="s766-total"),
                  html.Span(" /100 điểm", className="text-muted")]),
        html.Div(f"Hạng {int(row['rank_total'])}/{int(row['rank_of'])}", className="fs-5", id="s766-rank")
        if row.get("rank_total") == row.get("rank_total") and row.get("rank_total") is not None else None,
        html.Div(change[0], className="small", id="s766-change") if change else
        html.Div("Chưa có bản chụp trước để so sánh", className="small text-muted", id="s766-change"),
        html.Div(change[1], className="small text-muted") if change and change[1] else None,
        html.Div(f"Trung bình các tỉnh: {score_text(national)} điểm", className="small text-muted")
        if national is not None else None,
        html.Div(source, className="small text-muted mt-1", id="s766-source"),
    ]
    return dbc.Card(dbc.CardBody(body), className="mb-3 h-100", id="s766-headline")


# --- the six groups -------------------------------------------------------------------------


def groups_frame(row: pd.Series | None) -> pd.DataFrame:
    """The groups of one score, weakest first (by share of their maximum): key, label, note,
    score, max, share."""
    rows = []
    for g in metrics.SCORE_GROUPS:
        v = None if row is None else row.get(g.column)
        if v is None or v != v:
            continue
        m = row.get(f"max_{g.column}") or g.max_points
        rows.append({"key": g.key, "label": g.label_vi, "note": g.note, "score": float(v), "max": float(m),
                     "share": float(v) / float(m)})
    df = pd.DataFrame(rows, columns=["key", "label", "note", "score", "max", "share"])
    return df.sort_values(["share", "label"]).reset_index(drop=True)


def groups_figure(groups: pd.DataFrame) -> go.Figure:
    """Horizontal bars: each group's share of its maximum (a light bar for the rest), labelled
    '15,5/18'; the weakest on top; the decision behind each group on hover."""
    if groups.empty:
        return empty_figure()
    part = groups.iloc[::-1]  # plotly draws the first category at the bottom: weakest on top
    labels = [f"{score_text(s)}/{score_text(m)}" for s, m in zip(part["score"], part["max"], strict=True)]
    fig = go.Figure([
        go.Bar(x=[1.0] * len(part), y=part["label"], orientation="h", marker_color=BACK, hoverinfo="skip",
               name="Điểm tối đa", showlegend=False),
        go.Bar(x=part["share"], y=part["label"], orientation="h", marker_color=NEUTRAL, name="Điểm đạt được",
               text=labels, textposition="outside", cliponaxis=False, textangle=0,
               customdata=[f"{t} điểm ({score_text(s * 100, 1)} % tối đa)<br>{n}"
                           for t, s, n in zip(labels, part["share"], part["note"], strict=True)],
               hovertemplate="<b>%{y}</b><br>%{customdata}<extra></extra>"),
    ])
    fig.update_layout(barmode="overlay", showlegend=False)
    base_layout(fig, 60 * len(part) + 70)
    fig.update_layout(margin={"l": 10, "r": 70, "t": 10, "b": 40})
    fig.update_xaxes(range=[0, 1.0], tickformat=".0%", title_text="Điểm đạt được so với điểm tối đa của nhóm")
    fig.update_yaxes(automargin=True)
    return fig


# --- trends ---------------------------------------------------------------------------------


def national_average(provinces: pd.DataFrame, column: str = "total") -> pd.DataFrame:
    """The mean of the provinces' scores per period (period_start, period_end, average, n)."""
    if provinces.empty:
        return pd.DataFrame(columns=["period_start", "period_end", "average", "n"])
    g = provinces.dropna(subset=[column]).groupby(["period_start", "period_end"])[column]
    return pd.DataFrame({"average": g.mean(), "n": g.size()}).reset_index().sort_values("period_start")


def _tick(start: object, kind: str) -> str:
    from data import periods as P

    if kind == "quarter":
        return P.quarter(start.year, (start.month - 1) // 3 + 1).label  # type: ignore[attr-defined]
    return f"{start.month:02d}/{start.year}"  # type: ignore[attr-defined]


def trend_figure(unit_rows: pd.DataFrame, national: pd.DataFrame, kind: str, name: str | None) -> go.Figure:
    """The unit's total (``unit_rows``: period_start, total) and the national average over the
    months or quarters (``kind``)."""
    if national.empty and unit_rows.empty:
        return empty_figure()
    fig = go.Figure()
    if name and not unit_rows.empty:
        u = unit_rows.sort_values("period_start")
        fig.add_trace(go.Scatter(x=[_tick(s, kind) for s in u["period_start"]], y=u["total"], name=name,
                                 mode="lines+markers", line={"color": NEUTRAL, "width": 3},
                                 hovertemplate="%{x}: %{y:.2f} điểm<extra>" + name + "</extra>"))
    if not national.empty:
        fig.add_trace(go.Scatter(x=[_tick(s, kind) for s in national["period_start"]], y=national["average"],
                                 name="Trung bình các tỉnh", mode="lines+markers",
                                 line={"color": NATIONAL, "width": 2, "dash": "dot"},
                                 hovertemplate="%{x}: %{y:.2f} điểm<extra>Trung bình các tỉnh</extra>"))
    base_layout(fig, 300)
    fig.update_yaxes(title_text="Tổng điểm", rangemode="normal")
    fig.update_layout(legend={"orientation": "h", "y": -0.25}, margin={"l": 50, "r": 20, "t": 20, "b": 60})
    return fig


# --- departments and communes, the league ---------------------------------------------------


def ranked_frame(df: pd.DataFrame, column: str = "total", worst_first: bool = False) -> pd.DataFrame:
    """Units of one level ranked on a component: rank, name, code, score, max, weakest group."""
    from data.read.scores import weakest_group  # pure: no query

    cols = ["rank", "name", "code", "score", "max", "total", "weakest", "change", "dataset"]
    if df.empty or column not in df:
        return pd.DataFrame(columns=[*cols, "data"])
    part = df.dropna(subset=[column]).copy()
    part["rank"] = part[f"rank_{column}"].astype("Int64")
    part["score"], part["max"] = part[column], part[f"max_{column}"]
    part["weakest"] = [metrics.score_group(k).label_vi if k else "–"
                       for k in (weakest_group(r) for _, r in part.iterrows())]
    diff = part["total"] - part["prev_total"] if "prev_total" in part else pd.Series(float("nan"), index=part.index)
    part["change"] = ["–" if d != d or column != "total" else ("▲ " if d > 0 else "▼ " if d < 0 else "■ ")
                      + score_text(abs(d)) for d in diff]
    part["data"] = [DEMO_LABEL if d == "demo" else "Số liệu thật" for d in part["dataset"]]
    part = part.sort_values(["rank", "name"], ascending=[not worst_first, True])
    return part[[*cols, "data"]].reset_index(drop=True)


def ranked_table(df: pd.DataFrame, table_id: str, what: str = "Đơn vị", page_size: int = 15) -> dash_table.DataTable:
    """A ranked table (rank, unit, score, weakest group), sortable; Vietnamese decimals."""
    from dash.dash_table.Format import Format, Scheme

    fmt = Format(precision=2, scheme=Scheme.fixed, decimal_delimiter=",", group_delimiter=".")
    columns = [{"name": "Hạng", "id": "rank", "type": "numeric"}, {"name": what, "id": "name"},
               {"name": "Điểm", "id": "score", "type": "numeric", "format": fmt},
               {"name": "Nhóm yếu nhất", "id": "weakest"},
               {"name": "So với kỳ trước", "id": "change"}]
    if not df.empty and (df["dataset"] == "demo").any():  # say which rows are sample data
        columns.append({"name": "Loại số liệu", "id": "data"})
    data = df.assign(rank=df["rank"].astype(float)).to_dict("records") if not df.empty else []
    return dash_table.DataTable(
        id=table_id, columns=columns, data=data, sort_action="native", page_size=page_size,
        style_as_list_view=True, style_table={"overflowX": "auto"},
        style_cell={"fontFamily": FONT, "padding": "6px", "textAlign": "left", "fontSize": "14px",
                    "whiteSpace": "normal", "height": "auto", "minWidth": "60px"},
        style_cell_conditional=[{"if": {"column_id": c}, "textAlign": "right"} for c in ("rank", "score")],
        style_header={"fontWeight": "bold"}, cell_selectable=False,
    )


def league_bars(league: pd.DataFrame, g: metrics.ScoreGroup, height_per: int = 22,
                selected: str | None = None) -> go.Figure:
    """The provinces' scores on one component as bars in rank order (best on top); the
    ``selected`` unit (by name) in a darker shade of the same hue."""
    if league.empty:
        return empty_figure()
    part = league.sort_values(["rank", "name"]).iloc[::-1]
    colors = [SELECTED if n == selected else NEUTRAL for n in part["name"]]
    fig = go.Figure(go.Bar(x=part["score"], y=part["name"], orientation="h", marker_color=colors,
                           name=g.label_vi, text=[score_text(v) for v in part["score"]], textposition="outside",
                           cliponaxis=False, textangle=0,
                           hovertemplate="%{y}: %{x:.2f} điểm<extra></extra>"))
    base_layout(fig, max(260, height_per * len(part) + 80))
    top = float(league["max"].max()) if "max" in league and league["max"].notna().any() else g.max_points
    fig.update_xaxes(range=[0, top * 1.08], title_text=f"Điểm (tối đa {score_text(top)})")
    fig.update_yaxes(tickmode="linear", dtick=1, automargin=True)
    fig.update_layout(margin={"l": 10, "r": 40, "t": 10, "b": 40}, showlegend=False)
    return fig


def score_map(geojson: dict | str, league: pd.DataFrame, g: metrics.ScoreGroup, attribution: str,
              selected: str | None, provinces: pd.DataFrame,
              boxes: dict[str, tuple[float, float, float, float]] | None = None) -> go.Figure:
    """The provinces coloured by their share of the component's maximum (one hue, no verdict);
    those without a score grey; ``selected`` outlined and the view fitted to it."""
    from data.geo import fit_view

    fig = go.Figure()
    shown = set(league["code"].astype(str)) if not league.empty else set()
    rest = provinces[~provinces["code"].astype(str).isin(shown)]

    def opacity(codes: list[str]) -> list[float]:
        return [1.0 if selected in (None, c) else DIMMED for c in codes]

    if not rest.empty:
        codes = list(rest["code"].astype(str))
        fig.add_trace(go.Choroplethmap(geojson=geojson, locations=codes, featureidkey="id", z=[0] * len(rest),
                                       colorscale=[[0, NO_DATA_COLOR], [1, NO_DATA_COLOR]], showscale=False,
                                       marker_line_color=BORDER, marker_line_width=0.6, text=rest["name"],
                                       marker_opacity=opacity(codes), name="Chưa có điểm",
                                       hovertemplate="%{text}<br>Chưa có điểm<extra></extra>"))
    if not league.empty:
        codes = list(league["code"].astype(str))
        info = [f"{score_text(s)}/{score_text(m)} điểm — hạng {int(r)}" for s, m, r in
                zip(league["score"], league["max"], league["rank"], strict=True)]
        fig.add_trace(go.Choroplethmap(
            geojson=geojson, locations=codes, featureidkey="id", z=league["share"], text=league["name"],
            colorscale=SEQUENTIAL, marker_line_color=BORDER, marker_line_width=0.6, marker_opacity=opacity(codes),
            customdata=info, name=g.label_vi, hovertemplate="%{text}<br>%{customdata}<extra></extra>",
            colorbar={"title": {"text": f"{g.label_vi}: % điểm tối đa", "side": "top", "font": {"size": 12}},
                      "tickformat": ".0%", "orientation": "h", "x": 0, "xanchor": "left", "y": 1.0,
                      "yanchor": "bottom", "len": 0.8, "thickness": 12}))
    if selected is not None:
        fig.add_trace(go.Choroplethmap(geojson=geojson, locations=[selected], featureidkey="id", z=[0],
                                       colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]], showscale=False,
                                       marker_line_color="#212529", marker_line_width=3, hoverinfo="skip",
                                       name="Đang chọn", showlegend=False))
    # the whole country, the province outlined: the map is there to compare the provinces
    box = (min(b[0] for b in boxes.values()), min(b[1] for b in boxes.values()),
           max(b[2] for b in boxes.values()), max(b[3] for b in boxes.values())) if boxes else None
    center, zoom = fit_view(box, *MAP_SIZE) if box else ({"lat": 15.2, "lon": 109.5}, 4.2)
    lines = _wrap(attribution)
    fig.add_annotation(text="<br>".join(lines), showarrow=False, xref="paper", yref="paper", x=0, y=0, yshift=-4,
                       yanchor="top", font={"size": 10, "color": "#6c757d"}, xanchor="left", align="left")
    base_layout(fig, None)
    fig.update_layout(map={"style": "white-bg", "center": center, "zoom": zoom},
                      meta={"fit": list(box) if box else None}, autosize=True,
                      margin={"l": 0, "r": 0, "t": 10, "b": 8 + 13 * len(lines)})
    return fig


def league_frame(provinces: pd.DataFrame, g: metrics.ScoreGroup) -> pd.DataFrame:
    """The provinces ranked on a component: rank, name, code, score, max, share, total, change."""
    col = column_of(g)
    out = ranked_frame(provinces, col)
    if out.empty:
        return out.assign(share=pd.Series(dtype=float))
    return out.assign(share=out["score"] / out["max"])


# --- reconciliation -------------------------------------------------------------------------


def reconcile_block(compared: pd.DataFrame, found: pd.DataFrame, unit_name: str, period_label: str) -> dbc.Card:
    """'Đối chiếu số liệu Cổng DVCQG và báo cáo': the portal's counts beside the reports' where
    both exist, then the loader's findings about their differences."""
    head = html.Thead(html.Tr([html.Th(h) for h in ("Đơn vị", "Chỉ tiêu", "Cổng DVCQG", "Báo cáo",
                                                      "Chênh lệch", "Nguồn")]))
    body = []
    for r in compared.itertuples(index=False):
        gap = int(r.gap)
        day = f" (bản chụp {format_date(r.portal_as_of)})" if r.portal_as_of is not None else ""
        body.append(html.Tr([
            html.Td(r.name), html.Td(r.label), html.Td(format_int(r.portal), className="text-end"),
            html.Td(format_int(r.report), className="text-end"),
            html.Td(("+" if gap > 0 else "") + format_int(gap), className="text-end fw-semibold" if gap else
                    "text-end"),
            html.Td(html.Small(f"Cổng: {r.portal_file}{day}; báo cáo: {r.report_file}")),
        ]))
    table = dbc.Table([head, html.Tbody(body)], size="sm", responsive=True, striped=True, id="s766-compare") \
        if body else html.P(f"{unit_name}, {period_label}: chưa có số hồ sơ nào vừa có trên Cổng DVCQG vừa có "
                            "trong báo cáo để đối chiếu.", className="text-muted small", id="s766-compare")
    items = [html.Li([r.message, html.Small(f" — {r.file}" + (f", dòng {int(r.row)}" if r.row == r.row and
                                                             r.row is not None else ""), className="text-muted")])
             for r in found.itertuples(index=False)]
    notes = html.Div([html.H3(f"Khác biệt đã ghi nhận khi nạp ({len(items)})", className="h6 mt-3"),
                      html.Ul(items, className="small")], id="s766-findings") if items else \
        html.P("Không có khác biệt nào được ghi nhận khi nạp tệp của Cổng DVCQG.", className="small text-muted mt-2",
               id="s766-findings")
    return dbc.Card([dbc.CardHeader("Đối chiếu số liệu Cổng DVCQG và báo cáo"), dbc.CardBody([table, notes])],
                    className="mb-3", id="s766-reconcile")

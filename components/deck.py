"""The key charts and tables of a dashboard view as a deck: one chart per slide, each with its
title, the unit, the period, the source and speaker notes that say the numbers in words. The
presentation mode draws it on screen and the exports turn it into PowerPoint (native charts
whose data is what the screen figures show, see ``Chart``), PNG, Excel and an A4 print layout,
so all of them show the same figures as the page they come from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import plotly.colors as pcolors
import plotly.graph_objects as go

from components import charts
from components.families import DEPARTMENT_METRICS, DEPARTMENTS_PATH, RANKING_PATH, family_of
from components.heatmap import heatmap_figure
from components.league import league_frame, province_map
from components.lights import LIGHTS, light_style
from components.tables import DEMO_LABEL, procedure_counts
from components.view import View, load_view
from data import geo, metrics, queries
from data.db import default_url, get_engine
from data.text import fold, format_int, format_percent

DEMO_NOTE = f"{DEMO_LABEL}, không phải số liệu thật"
LEAGUE_PAGE = 20  # units per ranking slide: every one labelled and readable from the back of the room
# Short indicator names for Excel sheet names: at most 17 characters, so that with " theo sở ngành"
# (the longest ending) a name stays within Excel's 31
SHORT = {
    "postal_intake_share": "HS nộp qua BCCI", "postal_return_share": "Trả KQ qua BCCI",
    "bcci_procedure_share": "TTHC qua BCCI", "bcci_agreement_share": "Thỏa thuận BCCI",
    "online_offer_share": "TTHC trực tuyến", "online_full_share": "TTHC toàn trình",
    "online_intake_share": "HS nộp trực tuyến", "on_time_rate": "HS đúng hạn",
    "overdue_settled_rate": "HS đã GQ quá hạn", "pending_overdue_rate": "HS đang quá hạn",
    "overdue_rate": "HS quá hạn", "index766_timeliness": "Tiến độ QĐ 766",
    "settlement_rate": "HS đã giải quyết", "zero_activity_share": "ĐV chưa có HS TT",
}
BELOW = {"province": "tỉnh", "district": "huyện", "commune": "xã", "department": "sở, ngành"}


@dataclass
class Series:
    name: str
    values: list[float | None]
    colors: list[str] | None = None  # one per point ('#rrggbb' or 'rgb(r, g, b)')
    color: str | None = None
    dashed: bool = False


@dataclass
class Chart:
    """What a slide's native PowerPoint chart shows, read from the screen figure (so both
    agree): 'bar' (categories top to bottom), 'line' (categories in time order), 'table' (a
    heatmap: one series per column, cell colours as point colours) or 'map' (a picture)."""
    kind: str
    categories: list[str]
    series: list[Series]
    percent: bool = True  # shares (fractions shown as %) or counts
    axis_max: float | None = None  # the value axis' end when several slides share it
    number_format: str | None = None  # e.g. '0.00' for Chỉ số 766 scores (None: by ``percent``)


@dataclass
class Slide:
    key: str
    title: str
    figure: go.Figure
    table: pd.DataFrame | None  # Vietnamese headers, numbers as numbers, shares as fractions; None: see the previous slide
    notes: str = ""  # the numbers and the source in words (speaker notes)
    sheet: str = ""  # Excel sheet name (meaningful, at most 31 characters)
    geo_scheme: str | None = None  # map slides: whose province boundaries the figure needs
    native: Chart | None = None  # the native chart when the figure has none (the KPI cards)

    @property
    def chart(self) -> Chart:
        return self.native or chart_of(self.figure, "map" if self.geo_scheme else None)


@dataclass
class Deck:
    heading: str
    unit: str
    period: str
    dates: str
    source: str
    is_demo: bool
    slides: list[Slide] = field(default_factory=list)
    created: date = field(default_factory=date.today)

    def footnote(self) -> str:
        return f"{self.unit} · {self.period} ({self.dates}) · {self.source}"

    def file_name(self, ext: str, suffix: str = "") -> str:
        """'TTHC_tinh-dien-bien_quy-iv-2024_22-11-2026.pptx': unit, period and date of the export."""
        parts = ["TTHC", _slug(self.unit), _slug(self.period), f"{self.created:%d-%m-%Y}"]
        return "_".join(parts) + (f"_{suffix}" if suffix else "") + f".{ext}"


def _slug(text: str) -> str:
    return fold(text).replace(" ", "-") or "x"


def build_deck(params: dict[str, str], path: str = "/") -> Deck | None:
    """The deck of the view these URL parameters describe, on the page at ``path`` (its
    family decides which indicators come first). None when there are no figures at all."""
    if (path.rstrip("/") or "/") == "/chi-so-766":  # the Chỉ số 766 page has its own slides
        from components.scorecard_deck import score_deck

        return score_deck(params)
    view = load_view(params, path)
    if view is None:
        return None
    fam = family_of(path)
    real = view.sources()
    source = DEMO_NOTE if view.is_demo else (f"Nguồn: {real}" if real else "Số liệu thật")
    if view.is_demo and real:
        source = f"Nguồn: {real}; phần còn lại: {DEMO_NOTE.lower()}"
    deck = Deck(heading=f"{fam.title} — {view.unit_name}", unit=view.unit_name, period=view.per.label,
                dates=f"{view.per.start:%d/%m/%Y} – {view.per.end:%d/%m/%Y}", source=source,
                is_demo=view.is_demo)
    tail = f"Nguồn: {source.removeprefix('Nguồn: ')}."
    kpis = list(fam.kpis)
    deck.slides.append(Slide("kpis", f"Các chỉ số chính — {view.unit_name} — {view.per.label}",
                             kpi_figure(view, kpis), kpi_table(view, kpis), _kpi_notes(view, kpis, tail),
                             "Chỉ số chính", native=kpi_chart(view, kpis)))
    path = path.rstrip("/") or "/"
    if path == DEPARTMENTS_PATH:
        deck.heading = f"Sở, ngành — {view.unit_name}"
        deck.slides += _department_slides(view, tail)
        return deck
    deck.slides.append(Slide("trend", "Xu hướng theo quý", charts.trend_figure(view.trend, list(fam.trend)),
                             trend_table(view.trend, list(fam.trend)), _trend_notes(view, list(fam.trend), tail),
                             "Xu hướng theo quý"))
    below = BELOW.get(view.level, "đơn vị")
    for mid in fam.units:
        if path == RANKING_PATH and mid == view.state.metric:
            continue  # the league slides below show it for every unit
        m = metrics.get(mid)
        target = _target(view, mid)
        fig = readable_bars(charts.best_worst(view.kids, mid, target=target.value if target else None))
        deck.slides.append(Slide(f"units-{mid}", f"{m.label_vi} theo {below}", fig, units_table(view.kids, mid),
                                 _bar_notes(fig, view.kids, mid, target, f"{m.label_vi} theo {below}", view, tail),
                                 _sheet(mid, f"theo {below}")))
    if path == RANKING_PATH:
        deck.heading = f"Xếp hạng — {view.unit_name}"
        deck.slides[2:2] = [_map_slide(view, tail), *_league_slides(view, tail)]
    if fam.heat:
        heat = view.heat(fam.heat)
        fig = heatmap_figure(heat, fam.heat, top=20)
        deck.slides.append(Slide(f"heat-{fam.heat}", f"{metrics.get(fam.heat).label_vi}: đơn vị × kỳ", fig,
                                 heat_table(heat), _heat_notes(fig, fam.heat, tail), _sheet(fam.heat, "đơn vị × kỳ")))
    return deck


def _target(view: View, metric_id: str) -> metrics.Target | None:
    """The target the page shows for the unit (its own stored one, or the national default)."""
    if metric_id in view.targets:
        return view.targets[metric_id]
    return metrics.target_for(metric_id, view.per.end)


def _sheet(metric_id: str, what: str) -> str:
    return f"{SHORT.get(metric_id, metrics.get(metric_id).label_vi[:17].strip())} {what}"


# --- figures --------------------------------------------------------------------------------


def change_text(value: float, before: float) -> tuple[str, float]:
    """('▼ 0,5 điểm %', the rounded change): the arrow carries the sign, so no minus follows it."""
    diff = round((value - before) * 100, 1)
    arrow = "▲" if diff > 0 else "▼" if diff < 0 else "■"
    return f"{arrow} {abs(diff):.1f} điểm %".replace(".", ","), diff


def kpi_figure(view: View, kpis: list[str]) -> go.Figure:
    """The KPI cards as one figure (value, counts, target, change against the comparison period)."""
    cur = view.cur.set_index("metric") if len(view.cur) else pd.DataFrame()
    old = view.old.set_index("metric") if view.old is not None and len(view.old) else pd.DataFrame()
    cols = 3 if len(kpis) > 4 else 2
    rows = -(-len(kpis) // cols)
    fig = go.Figure()
    for i, mid in enumerate(kpis):
        m = metrics.get(mid)
        r, c = divmod(i, cols)
        domain = {"x": [c / cols + 0.02, (c + 1) / cols - 0.02], "y": [1 - (r + 1) / rows + 0.1, 1 - r / rows - 0.1]}
        target = _target(view, mid)
        sub = f"Mục tiêu {'≥' if m.higher_is_better else '≤'} {format_percent(target.value, 0)}" if target \
            else "Chưa có mục tiêu"
        if mid not in cur.index:
            fig.add_annotation(text=f"<b>{m.label_vi}</b><br>Chưa có số liệu cho kỳ này", showarrow=False,
                               xref="paper", yref="paper", x=sum(domain["x"]) / 2, y=sum(domain["y"]) / 2)
            continue
        row = cur.loc[mid]
        counts = f"{format_int(row['numerator'])}/{format_int(row['denominator'])}"
        fig.add_trace(go.Indicator(
            mode="number", value=float(row["value"]) * 100, number={"valueformat": ".2f", "suffix": " %"},
            domain=domain,
            title={"text": f"{m.label_vi}<br><span style='font-size:0.9em;color:#495057'>{counts} · {sub}</span>"},
        ))
        if mid in old.index and view.prev is not None:
            text, diff = change_text(float(row["value"]), float(old.loc[mid, "value"]))
            good = diff == 0 or (diff > 0) == m.higher_is_better
            fig.add_annotation(text=f"{text}<br>so với {view.prev.label}", showarrow=False, xref="paper",
                               yref="paper", x=sum(domain["x"]) / 2, y=domain["y"][0], yanchor="top",
                               font={"color": LIGHTS["green" if good else "red"].color})
    charts.base_layout(fig, 620)
    fig.update_layout(margin={"l": 20, "r": 20, "t": 40, "b": 20})
    return fig


def kpi_chart(view: View, kpis: list[str]) -> Chart:
    """The KPI cards as a native bar chart: this period coloured against the target in force
    (neutral without one), the comparison period in grey."""
    cur = view.cur.set_index("metric") if len(view.cur) else pd.DataFrame()
    old = view.old.set_index("metric") if view.old is not None and len(view.old) else pd.DataFrame()
    now = [float(cur.loc[mid, "value"]) if mid in cur.index else None for mid in kpis]
    colors = []
    for mid, v in zip(kpis, now, strict=True):
        target = _target(view, mid)
        colors.append(light_style(metrics.get(mid).light(v, target.value if target else None)).color)
    series = [Series(view.per.label, now, colors)]
    if view.prev is not None and len(old):
        series.append(Series(view.prev.label, [float(old.loc[mid, "value"]) if mid in old.index else None
                                               for mid in kpis], color="#adb5bd"))
    return Chart("bar", [metrics.get(mid).label_vi for mid in kpis], series)


def readable_bars(fig: go.Figure) -> go.Figure:
    """Every unit of a bar chart labelled (no skipped category), and a 0 % bar drawn and
    labelled: plotly draws a bar of length 0 as nothing, so a tick mark and '0,00 %' stand in."""
    bars = [t for t in fig.data if isinstance(t, go.Bar) and t.orientation == "h"]
    if not bars:
        return fig
    fig.update_yaxes(tickmode="linear", dtick=1, automargin=True, ticklabelstandoff=6)
    fig.update_layout(showlegend=False)
    for bar in bars:
        zeros = [i for i, v in enumerate(bar.x) if v == 0]
        if not zeros:
            continue
        colors = bar.marker.color if isinstance(bar.marker.color, (list, tuple)) else [bar.marker.color] * len(bar.x)
        bar.textposition = ["none" if v == 0 else "auto" for v in bar.x]
        fig.add_trace(go.Scatter(
            x=[0] * len(zeros), y=[bar.y[i] for i in zeros], mode="markers+text", cliponaxis=False,
            marker={"symbol": "line-ns", "size": 18, "line": {"width": 4, "color": [colors[i] for i in zeros]}},
            text=[format_percent(0)] * len(zeros), textposition="middle right", hoverinfo="skip",
            showlegend=False, name="zero-bars"))
    return fig


def for_screen(fig: go.Figure, font_size: int = 24, height: int | None = None) -> go.Figure:
    """A copy readable from the back of a meeting room (presentation mode, slides); a bar chart
    of many units gets a smaller font so every unit keeps its label."""
    big = go.Figure(fig)  # a copy
    big.update_layout(font={"size": font_size}, hoverlabel={"font_size": font_size}, height=height, autosize=True,
                      legend={"font": {"size": font_size - 2}})
    n = max((len(t.y) for t in big.data if isinstance(t, go.Bar) and t.y is not None), default=0)
    if n > 12:
        size = max(11, min(font_size, int(font_size * 15 / n)))
        big.update_yaxes(tickfont={"size": size})
        big.update_traces(textfont={"size": size}, selector={"type": "bar"})
        big.update_traces(textfont={"size": size}, selector={"type": "scatter"})
    return big


def chart_of(fig: go.Figure, kind: str | None = None) -> Chart:
    """The data of a screen figure as a native chart: its bars (best on top), lines or heatmap."""
    if kind == "map":
        return Chart("map", [], [])
    bars = [t for t in fig.data if isinstance(t, go.Bar)]
    if bars:
        cats = [str(x) for x in bars[0].y][::-1]
        series = []
        for t in bars:
            color = t.marker.color
            colors = list(color)[::-1] if isinstance(color, (list, tuple)) else None
            series.append(Series(t.name or "", [float(v) for v in t.x][::-1], colors,
                                 None if colors else (color or charts.COLORS[0])))
        end = fig.layout.xaxis.range[1] if fig.layout.xaxis.range else None
        return Chart("bar", cats, series, percent=fig.layout.xaxis.tickformat == ".0%", axis_max=end)
    heat = [t for t in fig.data if isinstance(t, go.Heatmap)]
    if heat:
        h = heat[0]
        rows, cols = list(h.y)[::-1], list(h.x)
        z = [list(r) for r in h.z][::-1]
        flat = [v for r in z for v in r if v is not None and v == v]
        lo, hi = (h.zmin, h.zmax) if h.zmin is not None else (min(flat, default=0), max(flat, default=1))
        scale = h.colorscale if h.colorscale else "RdYlGn"
        names = [list(s) for s in scale] if not isinstance(scale, str) else scale

        def color(v: float | None) -> str:
            if v is None or v != v:
                return "#f8f9fa"
            return pcolors.sample_colorscale(names, [(v - lo) / (hi - lo) if hi > lo else 0.5])[0]

        return Chart("table", rows, [Series(str(c), [None if r[j] != r[j] else r[j] for r in z],
                                            [color(r[j]) for r in z]) for j, c in enumerate(cols)])
    lines = [t for t in fig.data if isinstance(t, go.Scatter) and t.mode and "lines" in t.mode]
    cats: list[str] = []
    for t in sorted(lines, key=lambda t: -len(t.x)):
        cats += [str(x) for x in t.x if str(x) not in cats]
    series = [Series(t.name or "", [dict(zip(map(str, t.x), t.y, strict=True)).get(c) for c in cats],
                     color=t.line.color) for t in lines]
    for shape in fig.layout.shapes or ():  # the target line of the first indicator
        if shape.line.dash == "dash" and shape.y0 == shape.y1 and shape.y0 is not None:
            series.append(Series(f"Mục tiêu {format_percent(shape.y0, 0)}", [float(shape.y0)] * len(cats),
                                 color=shape.line.color, dashed=True))
    return Chart("line", cats, series)


# --- notes: the numbers in words --------------------------------------------------------------


def _noun(m: metrics.Metric) -> str:
    return m.denominator_vi[:1].lower() + m.denominator_vi[1:]


def _target_words(m: metrics.Metric, target: metrics.Target | None) -> str:
    if target is None:
        return "chưa có mục tiêu áp dụng trong kỳ (không đánh giá đạt/chưa đạt)"
    sign = "≥" if m.higher_is_better else "≤"
    return f"mục tiêu {sign} {format_percent(target.value, 0)} ({target.source})"


def _figure_words(m: metrics.Metric, value: float, num: object, den: object) -> str:
    return f"{format_percent(value)} ({format_int(num)}/{format_int(den)} {_noun(m)})"


def _kpi_notes(view: View, kpis: list[str], tail: str) -> str:
    cur = view.cur.set_index("metric") if len(view.cur) else pd.DataFrame()
    old = view.old.set_index("metric") if view.old is not None and len(view.old) else pd.DataFrame()
    lines = []
    for mid in kpis:
        m = metrics.get(mid)
        target = _target(view, mid)
        if mid not in cur.index:
            lines.append(f"{m.label_vi} của {view.unit_name} {view.per.label}: chưa có số liệu.")
            continue
        r = cur.loc[mid]
        words = _figure_words(m, r["value"], r["numerator"], r["denominator"])
        line = f"{m.label_vi} của {view.unit_name} {view.per.label}: {words}"
        if mid in old.index and view.prev is not None:
            line += (f", {change_text(float(r['value']), float(old.loc[mid, 'value']))[0]} so với "
                     f"{view.prev.label} ({format_percent(old.loc[mid, 'value'])})")
        light = m.light(float(r["value"]), target.value if target else None)
        verdict = f" — {light_style(light).label}" if light else ""
        lines.append(f"{line}; {_target_words(m, target)}{verdict}.")
    return "\n".join([*lines, tail])


def _trend_notes(view: View, metric_ids: list[str], tail: str) -> str:
    lines = []
    for mid in metric_ids:
        m = metrics.get(mid)
        part = view.trend[view.trend["metric"] == mid].sort_values("period_start").tail(12) if len(view.trend) \
            else view.trend
        if not len(part):
            continue
        steps = "; ".join(f"{_quarter(p)} {_figure_words(m, v, n, d)}" for p, v, n, d in
                          zip(part["period_start"], part["value"], part["numerator"], part["denominator"], strict=True))
        lines.append(f"{m.label_vi} của {view.unit_name} theo quý: {steps}; "
                     f"{_target_words(m, _target(view, mid))}.")
    return "\n".join([*lines, tail]) if lines else f"Chưa có số liệu theo quý. {tail}"


def _quarter(start: date) -> str:
    """'Quý IV/2024': the trend chart's label of the quarter starting on ``start``."""
    from data import periods as P

    return P.quarter(start.year, (start.month - 1) // 3 + 1).label


def _bar_notes(fig: go.Figure, kids: pd.DataFrame, metric_id: str, target: metrics.Target | None, what: str,
               view: View, tail: str, first: int = 1) -> str:
    """One line per unit on the chart, best first, with its counts and verdict."""
    m = metrics.get(metric_id)
    rows = kids[kids["metric"] == metric_id].drop_duplicates("name").set_index("name") if len(kids) else kids
    chart = chart_of(fig)
    lines = [f"{what} — {view.unit_name} — {view.per.label}; {_target_words(m, target)}."]
    if len(chart.categories) < len(rows):
        lines.append(f"Biểu đồ hiện {len(chart.categories)} trong {len(rows)} đơn vị (tốt nhất và kém nhất); "
                     "bảng Excel có đủ các đơn vị.")
    for i, name in enumerate(chart.categories, start=first):
        if name not in rows.index:
            continue
        r = rows.loc[name]
        light = m.light(float(r["value"]), target.value if target else None)
        verdict = f" — {light_style(light).label}" if light else ""
        lines.append(f"{i}. {name}: {_figure_words(m, r['value'], r['numerator'], r['denominator'])}{verdict}")
    return "\n".join([*lines, tail])


def _heat_notes(fig: go.Figure, metric_id: str, tail: str) -> str:
    chart = chart_of(fig)
    lines = [f"{metrics.get(metric_id).label_vi} của {len(chart.categories)} đơn vị qua {len(chart.series)} kỳ "
             "(kém nhất ở kỳ gần nhất lên đầu)."]
    for i, name in enumerate(chart.categories):
        lines.append(f"{name}: " + "; ".join(f"{s.name} {format_percent(s.values[i])}" for s in chart.series
                                             if s.values[i] is not None))
    return "\n".join([*lines, tail])


# --- tables ---------------------------------------------------------------------------------


def _dataset_text(ds: object) -> str:
    return {"real": "Số liệu thật", "demo": DEMO_LABEL, "mixed": f"Một phần {DEMO_LABEL.lower()}"}.get(
        str(ds), "")


def kpi_table(view: View, kpis: list[str]) -> pd.DataFrame:
    cur = view.cur.set_index("metric") if len(view.cur) else pd.DataFrame()
    old = view.old.set_index("metric") if view.old is not None and len(view.old) else pd.DataFrame()
    rows = []
    for mid in kpis:
        m = metrics.get(mid)
        target = _target(view, mid)
        r = cur.loc[mid] if mid in cur.index else None
        rows.append({
            "Chỉ số": m.label_vi, "Tử số": None if r is None else float(r["numerator"]),
            "Mẫu số": None if r is None else float(r["denominator"]),
            "Tỷ lệ": None if r is None else float(r["value"]),
            "Tỷ lệ kỳ so sánh": float(old.loc[mid, "value"]) if mid in old.index else None,
            "Mục tiêu": target.value if target else None,
            "Loại số liệu": "" if r is None else _dataset_text(r["dataset"]),
            "Nguồn": "" if r is None else str(r.get("source", "") or ""),
        })
    return pd.DataFrame(rows)


def trend_table(trend: pd.DataFrame, metric_ids: list[str]) -> pd.DataFrame:
    part = trend[trend["metric"].isin(metric_ids)].sort_values(["metric", "period_start"]) if len(trend) else trend
    return pd.DataFrame({
        "Chỉ số": [metrics.get(x).label_vi for x in part.get("metric", [])],
        "Từ ngày": pd.to_datetime(part.get("period_start", pd.Series(dtype=object))).dt.date.tolist(),
        "Tử số": part.get("numerator", pd.Series(dtype=float)).astype(float).tolist(),
        "Mẫu số": part.get("denominator", pd.Series(dtype=float)).astype(float).tolist(),
        "Tỷ lệ": part.get("value", pd.Series(dtype=float)).astype(float).tolist(),
        "Loại số liệu": [_dataset_text(x) for x in part.get("dataset", [])],
    })


def units_table(kids: pd.DataFrame, metric_id: str) -> pd.DataFrame:
    m = metrics.get(metric_id)
    part = kids[kids["metric"] == metric_id].sort_values("value", ascending=not m.higher_is_better) \
        if len(kids) else kids
    return pd.DataFrame({
        "Hạng": list(range(1, len(part) + 1)),
        "Đơn vị": part.get("name", pd.Series(dtype=str)).tolist(),
        "Mã": part.get("code", pd.Series(dtype=str)).astype(str).tolist(),
        "Tử số": part.get("numerator", pd.Series(dtype=float)).astype(float).tolist(),
        "Mẫu số": part.get("denominator", pd.Series(dtype=float)).astype(float).tolist(),
        "Tỷ lệ": part.get("value", pd.Series(dtype=float)).astype(float).tolist(),
        "Loại số liệu": [_dataset_text(x) for x in part.get("dataset", [])],
        "Nguồn": [str(x or "") for x in part.get("source", [])],
    })


def heat_table(heat: pd.DataFrame) -> pd.DataFrame:
    part = heat.sort_values(["name", "period_start"]) if len(heat) else heat
    return pd.DataFrame({
        "Đơn vị": part.get("name", pd.Series(dtype=str)).tolist(),
        "Kỳ": part.get("period_label", pd.Series(dtype=str)).tolist(),
        "Tử số": part.get("numerator", pd.Series(dtype=float)).astype(float).tolist(),
        "Mẫu số": part.get("denominator", pd.Series(dtype=float)).astype(float).tolist(),
        "Tỷ lệ": part.get("value", pd.Series(dtype=float)).astype(float).tolist(),
        "Loại số liệu": [_dataset_text(x) for x in part.get("dataset", [])],
    })


# --- page-specific slides -------------------------------------------------------------------

agency_comparison = queries.agency_comparison
children_metrics = queries.children_metrics


def _league_slides(view: View, tail: str) -> list[Slide]:
    """The ranking page's league table on its indicator (rank, value, counts, target, light) in
    the workbook, and its bars on as many slides as it takes to label every unit."""
    m = metrics.get(view.state.metric)
    target = _target(view, m.id)
    goal = target.value if target else None
    table = units_table(view.kids, m.id)
    table.insert(6, "Mục tiêu", goal)
    table.insert(7, "Đánh giá", [light_style(m.light(v, goal)).label for v in table["Tỷ lệ"]])
    part = view.kids[view.kids["metric"] == m.id] if len(view.kids) else view.kids
    ordered = part.sort_values("value", ascending=not m.higher_is_better) if len(part) else part
    n = len(ordered)
    pages = max(1, -(-n // LEAGUE_PAGE))
    size = max(1, -(-n // pages))
    what = f"Bảng xếp hạng: {m.label_vi}"
    end = round(float(ordered["value"].max()) * 1.12 + 0.005, 3) if n else None  # one scale on every page
    slides = []
    for k in range(pages):
        chunk = ordered.iloc[k * size:(k + 1) * size]
        fig = readable_bars(charts.bar_figure(chunk, m.id, target=goal, best_first=True))  # in rank order
        if pages > 1 and end:
            fig.update_xaxes(range=[0, end])
        title = what + (f" (hạng {k * size + 1}–{k * size + len(chunk)}/{n})" if pages > 1 else "")
        slides.append(Slide(f"league-{m.id}" + (f"-{k + 1}" if k else ""), title, fig, table if k == 0 else None,
                            _bar_notes(fig, chunk, m.id, target, title, view, tail, first=k * size + 1),
                            _sheet(m.id, "xếp hạng") if k == 0 else ""))
    return slides


def _geo_url(scheme: str) -> str:
    """Where app.py serves the province boundaries (the browser loads them once and caches them)."""
    import dash

    path = f"/geo/provinces-{scheme}.geojson"
    try:
        return dash.get_relative_path(path)
    except Exception:  # no app (a test, a script): the plain path
        return path


def _map_slide(view: View, tail: str) -> Slide:
    """The ranking page's province map on its indicator (the unit's province highlighted), the
    provinces without figures in grey so the whole country shows."""
    m = metrics.get(view.state.metric)
    scheme = view.state.unit_scheme
    engine = get_engine(default_url())
    if view.unit is None:
        long = view.kids
    elif view.state.scheme == "today":
        long = queries.as_today(engine, view.per, [m.id])
    else:
        long = queries.level_metrics(engine, view.per, "province", scheme=view.state.data_scheme, metric_ids=[m.id])
    long = long[long["metric"] == m.id] if len(long) else long
    frame = league_frame(long, long.iloc[0:0], m.id, None) if len(long) else pd.DataFrame()
    units = queries.units_frame(engine)
    selected = None
    if view.unit is not None and pd.notna(view.unit["province_id"]):
        selected = str(units.loc[int(view.unit["province_id"]), "code"])
    fig = province_map(_geo_url(scheme), frame, m.id, geo.ATTRIBUTION, selected)
    prov = units[(units["scheme"] == scheme) & (units["level"] == "province")]
    shown = set(frame["code"].astype(str)) if len(frame) else set()
    rest = prov[~prov["code"].astype(str).isin(shown)]
    if len(rest) and fig.data:
        grey = "#dee2e6"
        base = go.Choroplethmap(geojson=fig.data[0].geojson, locations=rest["code"].astype(str), z=[0] * len(rest),
                                featureidkey="id", colorscale=[[0, grey], [1, grey]], showscale=False,
                                marker_line_color="white", marker_line_width=0.6, text=rest["name"],
                                hovertemplate="%{text}<br>Chưa có số liệu<extra></extra>", name="Chưa có số liệu")
        fig = go.Figure(data=[base, *fig.data], layout=fig.layout)
    target = _target(view, m.id)
    title = f"Bản đồ: {m.label_vi} theo tỉnh"
    ranked = units_table(long, m.id)
    lines = [f"{title} — {view.per.label}; {_target_words(m, target)}. Màu trên bản đồ là thang liên tục "
             f"theo giá trị, không phải đánh giá; {len(rest)} tỉnh chưa có số liệu để màu xám."]
    lines += [f"{r['Hạng']}. {r['Đơn vị']}: {_figure_words(m, r['Tỷ lệ'], r['Tử số'], r['Mẫu số'])}"
              for _, r in ranked.iterrows()]
    return Slide(f"map-{m.id}", title, fig, ranked.rename(columns={"Đơn vị": "Tỉnh"}),
                 "\n".join([*lines, tail]), _sheet(m.id, "bản đồ tỉnh"), geo_scheme=scheme)


def _department_slides(view: View, tail: str) -> list[Slide]:
    """The departments of the province side by side, then their procedure counts."""
    if view.unit is None or view.unit["level"] != "province":
        return []
    engine = get_engine(default_url())
    uid = int(view.unit["id"])
    long = children_metrics(engine, uid, "department", view.per, list(DEPARTMENT_METRICS))
    long = long.assign(name=long["name"].str.split(" (", regex=False).str[0])
    slides = []
    for mid in DEPARTMENT_METRICS:
        target = _target(view, mid)
        fig = readable_bars(charts.bar_figure(long, mid, target=target.value if target else None))
        title = f"{metrics.get(mid).label_vi} theo sở, ngành"
        slides.append(Slide(f"departments-{mid}", title, fig, units_table(long, mid),
                            _bar_notes(fig, long, mid, target, title, view, tail), _sheet(mid, "theo sở ngành")))
    df = agency_comparison(engine, uid, view.per)
    if len(df):
        table = procedure_counts(df)
        fig = go.Figure(go.Bar(x=table["Số TTHC"][::-1], y=table["Cơ quan"][::-1], orientation="h",
                               marker_color=charts.COLORS[0], textangle=0,
                               text=[format_int(v) for v in table["Số TTHC"][::-1]]))
        charts.base_layout(fig, max(300, 26 * len(table) + 80))
        fig = readable_bars(fig)
        lines = [f"Số thủ tục hành chính theo cơ quan — {view.unit_name} — {view.per.label}:"]
        lines += [f"{r['Cơ quan']}: {format_int(r['Số TTHC'])} TTHC, {format_int(r['Công bố qua BCCI'])} công bố "
                  f"qua BCCI, {format_int(r['Trực tuyến'])} trực tuyến" for _, r in table.iterrows()]
        slides.append(Slide("departments-procedures", "Số thủ tục hành chính theo cơ quan", fig, table,
                            "\n".join([*lines, tail]), "Số TTHC theo cơ quan"))
    return slides

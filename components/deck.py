"""The key charts and tables of a dashboard view as a deck: one chart per slide, each with its
title, the unit, the period and the source. The presentation mode draws it on screen and the
exports turn it into PowerPoint, PNG, Excel and an A4 print layout, so all of them show the same
figures as the page they come from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from components import charts
from components.families import DEPARTMENT_METRICS, DEPARTMENTS_PATH, RANKING_PATH, family_of
from components.heatmap import heatmap_figure
from components.lights import LIGHTS, light_style
from components.tables import DEMO_LABEL, procedure_counts
from components.view import View, load_view
from data import metrics, queries
from data.db import default_url, get_engine
from data.text import fold, format_int, format_percent

DEMO_NOTE = f"{DEMO_LABEL}, không phải số liệu thật"


@dataclass
class Slide:
    key: str
    title: str
    figure: go.Figure
    table: pd.DataFrame  # Vietnamese headers; numbers stored as numbers, shares as fractions


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
    deck.slides.append(Slide("kpis", f"Các chỉ số chính — {view.unit_name} — {view.per.label}",
                             kpi_figure(view, list(fam.kpis)), kpi_table(view, list(fam.kpis))))
    deck.slides.append(Slide("trend", "Xu hướng theo quý", charts.trend_figure(view.trend, list(fam.trend)),
                             trend_table(view.trend, list(fam.trend))))
    below = "tỉnh" if view.level == "province" else {"district": "huyện", "commune": "xã",
                                                       "department": "sở, ngành"}.get(view.level, "đơn vị")
    for mid in fam.units:
        m = metrics.get(mid)
        deck.slides.append(Slide(f"units-{mid}", f"{m.label_vi} theo {below}",
                                 charts.best_worst(view.kids, mid), units_table(view.kids, mid)))
    if path.rstrip("/") == RANKING_PATH:
        deck.heading = f"Xếp hạng — {view.unit_name}"
        deck.slides = [*deck.slides[:2], _league_slide(view),
                       *[s for s in deck.slides[2:] if s.key != f"units-{view.state.metric}"]]
    if path.rstrip("/") == DEPARTMENTS_PATH:
        deck.heading = f"Sở, ngành — {view.unit_name}"
        deck.slides = deck.slides[:1] + _department_slides(view)
        return deck
    if fam.heat:
        heat = view.heat(fam.heat)
        deck.slides.append(Slide(f"heat-{fam.heat}", f"{metrics.get(fam.heat).label_vi}: đơn vị × kỳ",
                                 heatmap_figure(heat, fam.heat, top=20), heat_table(heat)))
    return deck


# --- figures --------------------------------------------------------------------------------


def kpi_figure(view: View, kpis: list[str]) -> go.Figure:
    """The KPI cards as one figure (value, change against the comparison period, target)."""
    cur = view.cur.set_index("metric") if len(view.cur) else pd.DataFrame()
    old = view.old.set_index("metric") if view.old is not None and len(view.old) else pd.DataFrame()
    cols = 3 if len(kpis) > 4 else 2
    rows = -(-len(kpis) // cols)
    fig = go.Figure()
    for i, mid in enumerate(kpis):
        m = metrics.get(mid)
        r, c = divmod(i, cols)
        domain = {"x": [c / cols + 0.02, (c + 1) / cols - 0.02], "y": [1 - (r + 1) / rows + 0.04, 1 - r / rows - 0.1]}
        target = m.target_on(view.per.end)
        sub = f"Mục tiêu {format_percent(target.value, 0)}" if target else "Chưa đặt mục tiêu"
        if mid not in cur.index:
            fig.add_annotation(text=f"<b>{m.label_vi}</b><br>Chưa có số liệu cho kỳ này", showarrow=False,
                               xref="paper", yref="paper", x=sum(domain["x"]) / 2, y=sum(domain["y"]) / 2)
            continue
        row = cur.loc[mid]
        counts = f"{format_int(row['numerator'])}/{format_int(row['denominator'])}"
        good, bad = LIGHTS["green"].color, LIGHTS["red"].color
        delta = None
        if mid in old.index:
            delta = {"reference": float(old.loc[mid, "value"]) * 100, "valueformat": ".1f", "suffix": " điểm %",
                     "increasing": {"color": good if m.higher_is_better else bad},
                     "decreasing": {"color": bad if m.higher_is_better else good}}
        fig.add_trace(go.Indicator(
            mode="number+delta" if delta else "number", value=float(row["value"]) * 100,
            number={"valueformat": ".2f", "suffix": " %"}, delta=delta, domain=domain,
            title={"text": f"{m.label_vi}<br><span style='font-size:0.9em;color:#495057'>{counts} · {sub}</span>"},
        ))
    charts.base_layout(fig, 620)
    fig.update_layout(margin={"l": 20, "r": 20, "t": 40, "b": 20})
    return fig


def for_screen(fig: go.Figure, font_size: int = 24, height: int | None = None) -> go.Figure:
    """A copy readable from the back of a meeting room (presentation mode, slides)."""
    big = go.Figure(fig)  # a copy
    big.update_layout(font={"size": font_size}, hoverlabel={"font_size": font_size}, height=height, autosize=True,
                      legend={"font": {"size": font_size - 2}})
    return big


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
        target = m.target_on(view.per.end)
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


def _league_slide(view: View) -> Slide:
    """The ranking page's league table on its indicator (rank, value, counts, target, light)."""
    m = metrics.get(view.state.metric)
    target = m.target_on(view.per.end)
    table = units_table(view.kids, m.id)
    table.insert(6, "Mục tiêu", target.value if target else None)
    table.insert(7, "Đánh giá", [light_style(m.light(v, target.value if target else None)).label
                                 for v in table["Tỷ lệ"]])
    return Slide(f"league-{m.id}", f"Bảng xếp hạng: {m.label_vi}",
                 charts.bar_figure(view.kids, m.id, top=30), table)


def _department_slides(view: View) -> list[Slide]:
    """The departments of the province side by side, then their procedure counts."""
    if view.unit is None or view.unit["level"] != "province":
        return []
    engine = get_engine(default_url())
    uid = int(view.unit["id"])
    long = children_metrics(engine, uid, "department", view.per, list(DEPARTMENT_METRICS))
    long = long.assign(name=long["name"].str.split(" (", regex=False).str[0])
    slides = [Slide(f"departments-{mid}", f"{metrics.get(mid).label_vi} theo sở, ngành",
                    charts.bar_figure(long, mid), units_table(long, mid)) for mid in DEPARTMENT_METRICS]
    df = agency_comparison(engine, uid, view.per)
    if len(df):
        table = procedure_counts(df)
        fig = go.Figure(go.Bar(x=table["Số TTHC"][::-1], y=table["Cơ quan"][::-1], orientation="h",
                               marker_color=charts.COLORS[0], textangle=0,
                               text=[format_int(v) for v in table["Số TTHC"][::-1]]))
        charts.base_layout(fig, max(300, 26 * len(table) + 80))
        slides.append(Slide("departments-procedures", "Số thủ tục hành chính theo cơ quan", fig, table))
    return slides

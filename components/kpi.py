"""KPI card: value, target, change against the comparison period, traffic light, provenance."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.lights import NO_TARGET, light_style
from components.realfigures import real_text
from components.state import COMPARE
from components.tables import demo_badge
from data import metrics
from data.text import format_int, format_percent


def kpi_card(metric_id: str, current: dict | None, previous: dict | None, target: metrics.Target | None,
             compare_label: str, rank: tuple[int, int] | None = None, real: list[str] | None = None) -> dbc.Card:
    """``current``/``previous``: {'value', 'numerator', 'denominator', 'dataset', 'source'} or None."""
    m = metrics.get(metric_id)
    if current is None:
        body = [html.Div(m.label_vi, className="small text-muted"),
                html.Div("Chưa có số liệu cho kỳ này", className="text-muted py-3")]
        return dbc.Card(dbc.CardBody(body), className="h-100 kpi-card")
    value = current["value"]
    light = m.light(value, target.value if target else None)
    delta = None
    if previous is not None:
        diff = (value - previous["value"]) * 100
        better = diff >= 0 if m.higher_is_better else diff <= 0
        arrow = "▲" if diff > 0 else "▼" if diff < 0 else "■"
        delta = html.Span(f"{arrow} {abs(diff):.1f} điểm %".replace(".", ","),
                          className="text-success" if better else "text-danger",
                          title=f"So với {compare_label}: {format_percent(previous['value'])}")
    style = light_style(light)
    badge = dbc.Badge(style.label, color=style.bootstrap,
                      className="ms-1 align-self-start text-nowrap") if light else None
    body = [
        html.Div([m.label_vi, badge], className="small text-muted d-flex justify-content-between gap-1"),
        html.Div([html.Span(format_percent(value), className="display-6 fw-semibold kpi-value"),
                  html.Span(f"Hạng {rank[0]}/{rank[1]}", className="ms-2 small text-muted kpi-rank text-nowrap",
                            title=f"Xếp hạng trong {rank[1]} đơn vị cùng cấp (1 = tốt nhất)")
                  if rank else None]),
        html.Div(f"{format_int(current['numerator'])}/{format_int(current['denominator'])} {_caption(m)}",
                 className="small text-muted"),
        html.Div([_target_text(m, target, light), delta], className="mt-1"),
    ]
    if current.get("dataset") != "real":
        body.append(html.Div(demo_badge(), className="mt-1"))
    elif current.get("source"):
        body.append(html.Div(f"Nguồn: {current['source']}", className="small text-muted mt-1",
                             title=current["source"]))
    for text in real or []:  # a document's figure for a period overlapping this one
        body.append(html.Div([html.Span("Số liệu thật: ", className="fw-semibold"), text],
                             className="small mt-1 kpi-real"))
    return dbc.Card(dbc.CardBody(body), className=f"h-100 kpi-card border-{style.bootstrap}")


def _target_text(m: metrics.Metric, target: metrics.Target | None, light: str | None) -> html.Span:
    """Which target the verdict is against and where it comes from, or that none applies."""
    if target is None:
        return html.Span(NO_TARGET, className="small me-2 kpi-target",
                         title="Không có mục tiêu quốc gia hay của tỉnh cho chỉ số này trong kỳ: không đánh giá")
    sign = "≥" if m.higher_is_better else "≤"
    return html.Span(f"Mục tiêu {sign} {format_percent(target.value, 0)}", className="small me-2 kpi-target",
                     title=f"Mục tiêu áp dụng từ {target.valid_from:%d/%m/%Y} đến {target.valid_to:%d/%m/%Y}; "
                           f"nguồn: {target.source}")


def _real_texts(real, metric_id: str) -> list[str]:  # noqa: ANN001
    if real is None or real.empty:
        return []
    return [f"{real_text(r)} — {r.source}" for r in real[real["metric"] == metric_id].itertuples(index=False)]


def target_line(m: metrics.Metric, target: metrics.Target | None) -> html.P:
    """One line under a table or chart: the target the verdicts are against and its source, or
    that there is none (then no verdict and neutral colours)."""
    if target is None:
        return html.P(f"{NO_TARGET} cho chỉ số này trong kỳ: không đánh giá Đạt/Chưa đạt, màu trung tính.",
                      className="small text-muted mb-2 target-line")
    sign = "≥" if m.higher_is_better else "≤"
    near = m.bands(target.value)[0]
    return html.P(f"Mục tiêu {sign} {format_percent(target.value, 0)} (Gần đạt: {sign} {format_percent(near, 0)}), "
                  f"áp dụng {target.valid_from:%d/%m/%Y} – {target.valid_to:%d/%m/%Y}; nguồn: {target.source}.",
                  className="small text-muted mb-2 target-line")


def _caption(m: metrics.Metric) -> str:
    """The numerator's name inside a sentence: lower-case first letter, acronyms kept (TTHC)."""
    text = m.numerator_vi
    first = text.split(" ", 1)[0]
    return text if first.isupper() else text[0].lower() + text[1:]


def kpi_inputs(df, metric_id: str) -> dict | None:  # noqa: ANN001
    """One metric's row of a headline frame (indexed by metric) as kpi_card wants it."""
    if df is None or metric_id not in df.index:
        return None
    r = df.loc[metric_id]
    return {k: r[k] for k in ("value", "numerator", "denominator", "dataset", "source")}


def target_of(metric_id: str, per, unit_code: str | None = None) -> metrics.Target | None:  # noqa: ANN001
    return metrics.target_for(metric_id, per.end, unit_code)


def kpi_row(cur, old, kpis: list[str], per, compare: str, xl: int = 4,  # noqa: ANN001
            ranks: dict[str, tuple[int, int]] | None = None,
            targets: dict[str, metrics.Target | None] | None = None, real=None) -> dbc.Row:  # noqa: ANN001
    """KPI cards of one unit and period against the comparison period (frames by metric), with
    the unit's rank among its peers where known."""
    cur = cur.set_index("metric") if "metric" in cur else cur
    old = old.set_index("metric") if old is not None and "metric" in old else old
    cards = [dbc.Col(kpi_card(m, kpi_inputs(cur, m), kpi_inputs(old, m), (targets or {}).get(m) if targets is not None else target_of(m, per), COMPARE[compare],
                              (ranks or {}).get(m), _real_texts(real, m)),
                     xs=6, xl=xl, className="mb-2 mb-md-3") for m in kpis]
    return dbc.Row(cards, className="g-3")

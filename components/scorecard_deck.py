"""The Chỉ số 766 page as a deck (components.deck): the scorecard, the six groups, the trends,
the league of the provinces (bars and map), the departments and communes, and the
reconciliation with the reports; the presentation mode, PowerPoint (native charts), PNG and
Excel (one sheet per table, named for what it holds) are made from it like the other pages'."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from components import charts
from components import scorecard as SC
from components.deck import DEMO_NOTE, Chart, Deck, Series, Slide, chart_of
from components.scorecard_view import ScoreView, load_scores, reconciliation
from components.tables import DEMO_LABEL
from data import geo

SCORE_FORMAT = "0.00"
LEAGUE_PAGE = 17  # provinces per league slide: 34 on two slides, every one labelled


def _native(fig: go.Figure) -> Chart:
    chart = chart_of(fig)
    chart.percent, chart.number_format = False, SCORE_FORMAT
    return chart


def _data(ds: object) -> str:
    return DEMO_LABEL if ds == "demo" else "Số liệu thật"


def scorecard_figure(view: ScoreView) -> go.Figure:
    """The headline as a figure: the total (the national average for the country), its change."""
    row = view.row
    fig = go.Figure()
    if view.province is not None and row is not None:
        # the change is said once, under the number, with the arrow carrying its sign (as on the
        # KPI slides: components.deck.change_text), not again as plotly's "▼ -0,45"
        fig.add_trace(go.Indicator(
            mode="number", value=float(row["total"]), number={"valueformat": ".2f", "suffix": " điểm"},
            title={"text": f"{view.name}<br><span style='font-size:0.8em'>Hạng {int(row['rank_total'])}/"
                           f"{int(row['rank_of'])} · trung bình các tỉnh {SC.score_text(view.national)}</span>"}))
        change = SC.change_words(row)
        if change:
            fig.add_annotation(text=" · ".join(x for x in change if x), showarrow=False, xref="paper", yref="paper",
                               x=0.5, y=0.05, font={"color": "#495057"})
    elif view.national is not None:
        fig.add_trace(go.Indicator(mode="number", value=view.national, number={"valueformat": ".2f",
                                                                                "suffix": " điểm"},
                                   title={"text": f"Trung bình {len(view.provinces)} tỉnh, thành phố"}))
    else:
        return charts.empty_figure()
    charts.base_layout(fig, 520)
    return fig


def _scorecard_slide(view: ScoreView, tail: str) -> Slide:
    row = view.row
    rows = [("Đơn vị", view.name), ("Kỳ", view.per.label)]
    if row is not None:
        change = SC.change_words(row)
        rows += [("Tổng điểm", float(row["total"])), ("Hạng", int(row["rank_total"])),
                 ("Số tỉnh xếp hạng", int(row["rank_of"])), ("Thay đổi", change[0] if change else "–"),
                 ("Thay đổi hạng", change[1] if change else "–"), ("Ngày bản chụp", SC.format_date(row["as_of"]))]
    rows += [("Trung bình các tỉnh", view.national), ("Nguồn", view.source)]
    table = pd.DataFrame(rows, columns=["Mục", "Giá trị"])
    names = [view.name, "Trung bình các tỉnh"] if row is not None else ["Trung bình các tỉnh"]
    values = [float(row["total"]), view.national] if row is not None else [view.national]
    native = Chart("bar", names, [Series(view.per.label, values, color=SC.NEUTRAL)], percent=False,
                   number_format=SCORE_FORMAT)
    notes = "; ".join(f"{k}: {SC.score_text(v) if isinstance(v, float) else v}" for k, v in rows) + f". {tail}"
    return Slide("scorecard", f"Chỉ số 766 — {view.name} — {view.per.label}", scorecard_figure(view), table, notes,
                 "Chỉ số 766", native=native)


def _groups_slide(view: ScoreView, tail: str) -> Slide:
    groups = SC.groups_frame(view.row)
    table = pd.DataFrame({"Nhóm": groups["label"], "Mã": groups["key"], "Điểm": groups["score"],
                          "Tối đa": groups["max"], "Tỷ lệ điểm tối đa": groups["share"]})
    native = Chart("bar", list(groups["label"]), [Series("Điểm đạt được", list(groups["score"]), color=SC.NEUTRAL),
                                                  Series("Điểm tối đa", list(groups["max"]), color="#ced4da")],
                   percent=False, number_format=SCORE_FORMAT)
    lines = [f"{r.label}: {SC.score_text(r.score)}/{SC.score_text(r.max)} điểm" for r in groups.itertuples()]
    return Slide("groups", f"Sáu nhóm chỉ số — {view.name} (nhóm yếu nhất trước)", SC.groups_figure(groups), table,
                 "Nhóm yếu nhất trước. " + "; ".join(lines) + f". {tail}", "Nhóm chỉ số", native=native)


def _trend_slide(view: ScoreView, kind: str, tail: str) -> Slide:
    own, avg = view.trend(kind)
    name = view.name if view.province is not None else None
    fig = SC.trend_figure(own, avg, kind, name)
    what = "theo tháng" if kind == "month" else "theo quý"
    table = avg.rename(columns={"period_start": "Từ ngày", "period_end": "Đến ngày", "average": "Trung bình các tỉnh",
                                "n": "Số tỉnh"})
    table.insert(0, "Kỳ", [SC._tick(s, kind) for s in avg["period_start"]])
    if name:
        table[f"Tổng điểm {name}"] = table["Từ ngày"].map(dict(zip(own["period_start"], own["total"], strict=True)))
    table = table.drop(columns=["Đến ngày"])
    notes = f"Tổng điểm {what}: " + "; ".join(f"{k} {SC.score_text(v)}" for k, v in zip(
        table["Kỳ"], table[f"Tổng điểm {name}"] if name else table["Trung bình các tỉnh"], strict=True))
    return Slide(f"trend-{kind}", f"Tổng điểm {what}", fig, table, f"{notes}. {tail}", f"Xu hướng {what}",
                 native=_native(fig))


def _league_table(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    return pd.DataFrame({"Hạng": frame["rank"].astype(float), what: frame["name"], "Mã": frame["code"],
                         "Điểm": frame["score"], "Tối đa": frame["max"], "Tổng điểm": frame["total"],
                         "Nhóm yếu nhất": frame["weakest"], "Loại số liệu": [_data(d) for d in frame["dataset"]]})


def _league_slides(view: ScoreView, tail: str) -> list[Slide]:
    league, g = view.league, view.group
    table = _league_table(league, "Tỉnh")
    pages = max(1, -(-len(league) // LEAGUE_PAGE))
    slides = []
    for k in range(pages):
        chunk = league.iloc[k * LEAGUE_PAGE:(k + 1) * LEAGUE_PAGE]
        fig = SC.league_bars(chunk, g, selected=view.name if view.province is not None else None)
        if len(league):
            fig.update_xaxes(range=[0, float(league["max"].max()) * 1.08])
        title = f"Xếp hạng các tỉnh: {g.label_vi}" + (f" (hạng {k * LEAGUE_PAGE + 1}–{k * LEAGUE_PAGE + len(chunk)})"
                                                       if pages > 1 else "")
        notes = "; ".join(f"{int(r['rank'])}. {r['name']} {SC.score_text(r['score'])}" for _, r in chunk.iterrows())
        slides.append(Slide(f"league-{g.key}" + (f"-{k + 1}" if k else ""), title, fig, table if k == 0 else None,
                            f"{title}: {notes}. {tail}", "Xếp hạng các tỉnh" if k == 0 else "", native=_native(fig)))
    return slides


def _map_slide(view: ScoreView, tail: str) -> Slide:
    from components.deck import _geo_url

    league, g = view.league, view.group
    scheme = view.state.unit_scheme
    units = view.units
    prov = units[(units["scheme"] == scheme) & (units["level"] == "province")]
    selected = str(view.province["code"]) if view.province is not None else None
    fig = SC.score_map(_geo_url(scheme), league, g, geo.ATTRIBUTION, selected, prov[["code", "name"]],
                       geo.province_boxes(prov, scheme))
    table = pd.DataFrame({"Hạng": league["rank"].astype(float), "Tỉnh": league["name"], "Tỷ lệ": league["share"],
                          "Điểm": league["score"], "Tối đa": league["max"]})
    return Slide(f"map-{g.key}", f"Bản đồ: {g.label_vi} theo tỉnh (% điểm tối đa)", fig, table,
                 f"Màu là thang liên tục theo điểm, không phải đánh giá. {tail}", "Bản đồ tỉnh", geo_scheme=scheme)


def _units_slides(view: ScoreView, tail: str) -> list[Slide]:
    slides = []
    for df, what, key, sheet in ((view.departments, "Sở, ngành", "departments", "Sở ngành"),
                                 (view.communes, "Xã, phường", "communes", "Xã phường")):
        frame = SC.ranked_frame(df)
        if frame.empty:
            continue
        worst = frame.sort_values("rank", ascending=False).head(20).sort_values("rank")
        fig = SC.league_bars(worst, SC.group_of("total"))
        title = f"{what} của {view.name}" + (f": {len(worst)} đơn vị điểm thấp nhất" if len(frame) > 20 else "")
        notes = "; ".join(f"{int(r['rank'])}. {r['name']} {SC.score_text(r['score'])} (yếu nhất: {r['weakest']})"
                          for _, r in worst.iterrows())
        slides.append(Slide(key, title, fig, _league_table(frame, what), f"{notes}. {tail}", sheet,
                            native=_native(fig)))
    return slides


def _reconcile_slide(view: ScoreView, tail: str) -> Slide | None:
    compared, found = reconciliation(view)
    if compared.empty and found.empty:
        return None
    table = pd.DataFrame({"Đơn vị": compared["name"], "Chỉ tiêu": compared["label"], "Cổng DVCQG": compared["portal"],
                          "Báo cáo": compared["report"], "Chênh lệch": compared["gap"],
                          "Tệp Cổng": compared["portal_file"], "Tệp báo cáo": compared["report_file"]})
    if not found.empty:
        extra = pd.DataFrame({"Đơn vị": view.name, "Chỉ tiêu": "Khác biệt ghi nhận khi nạp", "Tệp Cổng": found["file"],
                              "Tệp báo cáo": found["message"]})
        table = pd.concat([table, extra], ignore_index=True)
    cats = [f"{n} – {lbl}" for n, lbl in zip(compared["name"], compared["label"], strict=True)]
    native = Chart("bar", cats, [Series("Cổng DVCQG", [float(v) for v in compared["portal"]], color=SC.NEUTRAL),
                                 Series("Báo cáo", [float(v) for v in compared["report"]], color=SC.NATIONAL)],
                   percent=False, number_format="#,##0")
    fig = go.Figure([go.Bar(y=cats[::-1], x=list(compared["portal"])[::-1], orientation="h", name="Cổng DVCQG",
                            marker_color=SC.NEUTRAL),
                     go.Bar(y=cats[::-1], x=list(compared["report"])[::-1], orientation="h", name="Báo cáo",
                            marker_color=SC.NATIONAL)]) if cats else charts.empty_figure(
        "Không có số hồ sơ nào có ở cả hai nguồn; xem các khác biệt trong bảng Excel")
    charts.base_layout(fig, max(300, 40 * len(cats) + 100))
    notes = "; ".join(f"{c}: Cổng {v:,} — báo cáo {w:,}".replace(",", ".") for c, v, w in
                      zip(cats, compared["portal"], compared["report"], strict=True))
    return Slide("reconcile", "Đối chiếu số liệu Cổng DVCQG và báo cáo", fig, table, f"{notes}. {tail}",
                 "Đối chiếu Cổng DVCQG", native=native if cats else None)


def score_deck(params: dict[str, str]) -> Deck | None:
    """The deck of the Chỉ số 766 view these URL parameters describe (None without scores)."""
    view = load_scores(params)
    if view is None or view.unknown_unit:
        return None
    source = DEMO_NOTE if view.is_demo else view.source
    deck = Deck(heading=f"Chỉ số 766 — {view.name}", unit=view.name, period=view.per.label,
                dates=f"{view.per.start:%d/%m/%Y} – {view.per.end:%d/%m/%Y}", source=source, is_demo=view.is_demo)
    tail = source if source.startswith("Nguồn") else f"Nguồn: {source}."
    deck.slides.append(_scorecard_slide(view, tail))
    if view.province is not None:
        deck.slides.append(_groups_slide(view, tail))
    deck.slides += [_trend_slide(view, "month", tail), _trend_slide(view, "quarter", tail)]
    deck.slides += [*_league_slides(view, tail), _map_slide(view, tail)]
    if view.province is not None:
        deck.slides += _units_slides(view, tail)
        rec = _reconcile_slide(view, tail)
        if rec is not None:
            deck.slides.append(rec)
    return deck

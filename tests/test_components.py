"""UI building blocks on hand-made frames: provenance on hover, one traffic-light vocabulary."""

from __future__ import annotations

import json

import pandas as pd
import plotly.io as pio

from components import charts
from components.kpi import kpi_card
from components.league import league_frame
from components.lights import LIGHTS


def _rows() -> pd.DataFrame:
    return pd.DataFrame({
        "key": [1, 2], "code": ["094", "096"], "name": ["Thành phố Điện Biên Phủ", "Huyện Mường Nhé"],
        "metric": ["overdue_rate"] * 2, "numerator": [2037, 5], "denominator": [2486, 100],
        "value": [2037 / 2486, 0.05], "dataset": ["real", "demo"],
        "source": ["Báo Điện Biên Phủ 24/02/2020", "demo:11"],
    })


def test_bar_hover_names_the_source_of_real_figures_and_labels_demo() -> None:
    fig = charts.bar_figure(_rows(), "overdue_rate")
    hover = dict(zip(fig.data[0].y, fig.data[0].customdata, strict=True))
    assert hover["Thành phố Điện Biên Phủ"] == "2.037/2.486<br>Nguồn: Báo Điện Biên Phủ 24/02/2020"
    assert hover["Huyện Mường Nhé"].endswith("Dữ liệu minh họa")
    assert "81,94 %" in fig.data[0].text


def test_trend_hover_carries_provenance() -> None:
    df = pd.DataFrame({"period_start": pd.to_datetime(["2024-01-01", "2024-04-01"]).date,
                       "metric": ["online_intake_share"] * 2, "numerator": [1, 2], "denominator": [10, 10],
                       "value": [0.1, 0.2], "dataset": ["demo", "mixed"], "source": ["demo:x", "demo:x; a.xlsx"]})
    fig = charts.trend_figure(df, ["online_intake_share"])
    assert fig.data[0].customdata[0].endswith("Dữ liệu minh họa")
    assert fig.data[0].customdata[1].endswith("Một phần dữ liệu minh họa; nguồn thật: a.xlsx")
    assert json.loads(pio.to_json(fig))["layout"]["separators"] == ",."


def test_kpi_card_and_league_table_use_the_same_light_words() -> None:
    """One verdict against one target: the card, the league table and the bar agree."""
    from datetime import date

    from data import metrics

    rows = _rows().assign(metric="online_intake_share", value=[0.43, 0.2])
    target = metrics.target_for("online_intake_share", date(2025, 12, 31))
    league = league_frame(rows, pd.DataFrame(), "online_intake_share", target.value)
    card = kpi_card("online_intake_share", {"value": 0.43, "numerator": 43, "denominator": 100,
                                            "dataset": "real", "source": "x"}, None, target, "kỳ trước")
    card_text = json.dumps(card.to_plotly_json(), default=str, ensure_ascii=False)
    row = league[league["code"] == "094"].iloc[0]
    assert row["light"] == LIGHTS["amber"].label == "Gần đạt" and "Gần đạt" in card_text
    assert "Mục tiêu ≥ 50 %" in card_text and "Nghị quyết 76/NQ-CP" in card_text  # which target, whose
    bar = charts.bar_figure(rows, "online_intake_share", target=target.value)
    colours = dict(zip(bar.data[0].y, bar.data[0].marker.color, strict=True))
    assert colours["Thành phố Điện Biên Phủ"] == LIGHTS["amber"].color
    assert colours["Huyện Mường Nhé"] == LIGHTS["red"].color


def test_no_verdict_without_a_target() -> None:
    """National BCCI intake 3,73 %: no rule sets a target, so no 'Chưa đạt' and no red."""
    rows = _rows().assign(metric="postal_intake_share", value=[0.0373, 0.2])
    card = kpi_card("postal_intake_share", {"value": 0.0373, "numerator": 373, "denominator": 10000,
                                            "dataset": "real", "source": "x"}, None, None, "kỳ trước")
    text = json.dumps(card.to_plotly_json(), default=str, ensure_ascii=False)
    assert "Chưa có mục tiêu" in text
    assert not any(LIGHTS[k].label in text.replace("Chưa có mục tiêu", "") for k in ("green", "amber", "red"))
    league = league_frame(rows, pd.DataFrame(), "postal_intake_share", None)
    assert set(league["light"]) == {"Chưa có mục tiêu"}
    bar = charts.bar_figure(rows, "postal_intake_share")
    assert set(bar.data[0].marker.color) == {LIGHTS[None].color}


def test_a_year_across_the_reform_counts_inside_the_chosen_system_and_says_so() -> None:
    """"Năm 2025" of the 34 provinces is 01/07–31/12/2025: the cards and the notice agree."""
    from datetime import date

    from components.notices import period_outside
    from components.state import ViewState, resolve_view

    rng = (date(2019, 1, 1), date(2025, 12, 31))
    state, per, _ = resolve_view({"scheme": "2025", "period": "2025"}, rng)
    assert (per.start, per.end) == (date(2025, 7, 1), date(2025, 12, 31))
    note = json.dumps(period_outside(state, per, "/", (date(2025, 7, 1), date(2025, 12, 31)), "today")
                      .to_plotly_json(), default=str, ensure_ascii=False)
    assert "Năm 2025 chỉ được tính từ 01/07/2025 đến 31/12/2025" in note
    _, old, _ = resolve_view({"scheme": "legacy", "period": "2025"}, rng)
    assert (old.start, old.end) == (date(2025, 1, 1), date(2025, 6, 30))
    _, latest, _ = resolve_view({"scheme": "2025", "period": "latest-year"}, rng)
    assert latest.start == date(2025, 7, 1)
    outside = period_outside(ViewState(scheme="2025", period="2024"), resolve_view(
        {"scheme": "2025", "period": "2024"}, rng)[1], "/", (date(2025, 7, 1), date(2025, 12, 31)), "today")
    assert "Năm 2024 nằm ngoài" in json.dumps(outside.to_plotly_json(), default=str, ensure_ascii=False)
    assert period_outside(ViewState(scheme="2025", period="2025-Q3"), resolve_view(
        {"scheme": "2025", "period": "2025-Q3"}, rng)[1], "/", (date(2025, 7, 1), date(2025, 12, 31)), "") is None

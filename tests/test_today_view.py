"""'Số liệu cũ theo đơn vị hiện nay' over a period across 1/7/2025 (issue 9): one view, one
answer. The year 2025 of Điện Biên is its old province's months to June and today's province's
from July; the KPI cards, the trend, the units below and the zero-activity count all say so."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from components.families import FAMILIES
from components.state import period_options
from components.view import load_view
from tests.conftest import demo_database

ONLINE, TIMELINESS = "/dich-vu-cong-truc-tuyen", "/tien-do-giai-quyet"
YEAR_2025 = {"scheme": "today", "unit": "11", "period": "2025"}


@pytest.fixture(scope="module")
def db(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = demo_database(template_db, tmp_path_factory.mktemp("today"), "11,12", "2025-12")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TTHC_DB_URL", url)
        yield url


@pytest.mark.parametrize("path", [ONLINE, TIMELINESS])
def test_every_card_has_the_figure_the_trend_has(db: str, path: str) -> None:
    v = load_view(YEAR_2025, path)
    assert v is not None and v.per.label == "Năm 2025"
    cur = v.cur.set_index("metric")
    assert set(FAMILIES[path].kpis) <= set(cur.index)  # no "Chưa có số liệu cho kỳ này"
    assert (cur.loc[[m for m in FAMILIES[path].kpis if m in cur.index and cur.at[m, "months"] == cur.at[m, "months"]],
                    "months"] == 12).all()
    quarters = v.trend[v.trend["period_start"].astype(str) >= "2025-01-01"]
    for m in ("online_intake_share", "postal_intake_share"):  # flows: the year is its four quarters
        q = quarters[quarters["metric"] == m]
        if len(q):
            assert len(q) == 4
            assert cur.at[m, "numerator"] == q["numerator"].sum()
            assert cur.at[m, "denominator"] == q["denominator"].sum()


def test_zero_activity_card_counts_the_communes_of_the_table(db: str) -> None:
    v = load_view(YEAR_2025, ONLINE)
    zero = v.cur.set_index("metric").loc["zero_activity_share"]
    communes = v.kids[v.kids["metric"] == "online_intake_share"]
    assert len(communes) == 45  # today's communes of Điện Biên, each with the whole year
    assert zero["denominator"] == len(communes)
    assert zero["numerator"] == (communes["numerator"] == 0).sum()


def test_the_country_is_the_sum_of_its_provinces_across_the_change(db: str) -> None:
    v = load_view({"scheme": "today", "period": "2025"}, ONLINE)
    head = v.cur.set_index("metric").loc["online_intake_share"]
    provinces = v.kids[v.kids["metric"] == "online_intake_share"]
    assert len(provinces) == 2 and head["months"] == 12
    assert head["numerator"] == provinces["numerator"].sum()
    assert head["denominator"] == provinces["denominator"].sum()


def test_only_whole_years_are_offered() -> None:
    """A year a scheme covers only in part would show empty cards beside a full trend."""
    first, last = date(2019, 1, 1), date(2026, 10, 31)

    def years(scheme: str) -> list[str]:
        return [o["value"] for o in period_options(first, last, scheme) if o["value"].isdigit()]

    assert years("legacy") == [str(y) for y in range(2024, 2018, -1)]
    assert years("2025") == []  # 2025 begins on 1/7, 2026 is not over
    assert years("today")[0] == "2025"


@pytest.mark.parametrize("month", ["2025-11", "2024-05"])
def test_a_month_inside_a_quarter_shows_the_catalogue_in_force(db: str, month: str) -> None:
    """Procedure catalogues are snapshots at quarter ends: November shows the one of 30 September
    (not "Chưa có số liệu" beside a month full of dossiers), the same figure as the quarter's."""
    scheme = "2025" if month >= "2025-07" else "legacy"
    v = load_view({"scheme": scheme, "unit": "11", "period": month}, ONLINE)
    q = "2025-Q3" if month == "2025-11" else "2024-Q1"
    before = load_view({"scheme": scheme, "unit": "11", "period": q}, ONLINE)
    cur, ref = v.cur.set_index("metric"), before.cur.set_index("metric")
    for m in ("online_offer_share", "online_full_share"):
        assert m in cur.index, m
        assert (cur.at[m, "numerator"], cur.at[m, "denominator"]) == (ref.at[m, "numerator"], ref.at[m, "denominator"])

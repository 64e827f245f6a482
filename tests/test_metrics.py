"""Every indicator of the registry on hand-built counts."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from data import metrics

BIEU06 = {  # one consistent Biểu 06 row
    "received_total": 1000, "received_carried": 100, "received_online": 300, "received_direct_postal": 600,
    "received_postal": 50, "settled_total": 800, "settled_early": 200, "settled_on_time": 500,
    "settled_overdue": 100, "pending_total": 200, "pending_within": 150, "pending_overdue": 50,
    "returned_total": 800, "returned_postal": 240,
}
OFFER = {"procedures_total": 200, "bcci_published": 150, "online_level2": 80, "online_level3": 90,
         "online_level4": 30}
COUNTS = {"agencies_total": 20, "agencies_with_agreement": 19, "units_total": 129, "units_zero_activity": 66}

EXPECTED = {
    "postal_intake_share": (50, 900),
    "postal_return_share": (240, 800),
    "bcci_procedure_share": (150, 200),
    "bcci_agreement_share": (19, 20),
    "online_offer_share": (120, 200),
    "online_full_share": (30, 200),
    "online_intake_share": (300, 900),
    "on_time_rate": (700, 800),
    "overdue_settled_rate": (100, 800),
    "pending_overdue_rate": (50, 200),
    "overdue_rate": (150, 1000),
    "index766_timeliness": (850, 1000),
    "settlement_rate": (800, 1000),
    "zero_activity_share": (66, 129),
}


def test_registry_is_complete_and_labelled() -> None:
    assert set(EXPECTED) == set(metrics.BY_ID)
    for m in metrics.METRICS:
        assert m.label_vi and m.label_en and m.numerator in metrics.DERIVED and m.denominator in metrics.DERIVED


@pytest.mark.parametrize("metric_id", sorted(EXPECTED))
def test_each_metric(metric_id: str) -> None:
    df = pd.DataFrame([{**BIEU06, **OFFER, **COUNTS}])
    out = metrics.compute(df, [metric_id])
    num, den = EXPECTED[metric_id]
    assert (out["numerator"].iloc[0], out["denominator"].iloc[0]) == (num, den)
    assert math.isclose(out["value"].iloc[0], num / den)


@pytest.mark.parametrize("metric_id", sorted(EXPECTED))
def test_unknown_counts_give_no_value(metric_id: str) -> None:
    df = pd.DataFrame([{c: None for c in [*BIEU06, *OFFER, *COUNTS]}])
    assert metrics.compute(df, [metric_id]).empty


def test_totals_only_sources() -> None:
    # Quảng Trị 2017-2019: only 'received' (new) and postal are stated
    df = pd.DataFrame([{"received_new": 648098, "received_postal": 54346, "returned_total": 489085,
                        "returned_postal": 156120}])
    out = metrics.compute(df).set_index("metric")
    assert list(out.index) == ["postal_intake_share", "postal_return_share"]
    assert out.loc["postal_intake_share", "numerator"] == 54346
    # Điện Biên: overdue of any status over dossiers received
    df = pd.DataFrame([{"received_new": 2486, "overdue_total": 2037}])
    out = metrics.compute(df, ["overdue_rate"])
    assert (out["numerator"].iloc[0], out["denominator"].iloc[0]) == (2037, 2486)


def test_decree_42_offer_counts() -> None:
    df = pd.DataFrame([{"procedures_total": 100, "online_partial": 50, "online_full": 40}])
    out = metrics.compute(df, ["online_offer_share", "online_full_share"]).set_index("metric")
    assert out.loc["online_offer_share", "value"] == 0.9 and out.loc["online_full_share", "value"] == 0.4


def test_pairs_only_where_both_parts_are_known() -> None:
    df = pd.DataFrame([{"received_new": 212, "received_postal": 23},  # a department: no channels
                       {"received_online": 10, "received_direct_postal": 90, "received_postal": 5}])
    p = metrics.pairs(df, "dossier").sum(min_count=1)
    assert p["postal_intake_share:num"] == 28 and p["postal_intake_share:den"] == 312
    assert p["online_intake_share:num"] == 10 and p["online_intake_share:den"] == 100  # 212 not added


def test_targets_and_lights() -> None:
    from datetime import date

    m = metrics.get("online_offer_share")
    assert m.target_on(date(2025, 6, 30)).value == 0.8 and m.target_on(date(2026, 1, 1)).value == 0.9
    assert metrics.get("online_intake_share").target_on(date(2024, 1, 1)).value == 0.5
    assert m.light(0.85, 0.8) == "green" and m.light(0.7, 0.8) == "amber" and m.light(0.6, 0.8) == "red"
    # no verdict without a target in force: BCCI intake 3,73 % has no rule behind a colour
    assert metrics.target_for("postal_intake_share", date(2025, 12, 31)) is None
    assert metrics.get("postal_intake_share").light(0.0373, None) is None
    assert metrics.get("overdue_rate").light(0.82, None) is None
    # Điện Biên online filing 43 % against the 50 % target: "Gần đạt", the same everywhere
    assert metrics.get("online_intake_share").light(0.43, 0.5) == "amber"
    # lower-is-better against a target: within target / 0.8
    assert metrics.get("overdue_rate").light(0.06, 0.05) == "amber"
    assert metrics.get("overdue_rate").light(0.07, 0.05) == "red"
    with pytest.raises(ValueError, match="Chỉ số không tồn tại"):
        metrics.get("nope")

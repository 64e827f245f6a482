"""The demo data: deterministic, consistent with Biểu 06, calibrated, labelled, never over real data."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import Engine, func, insert, select

from data import periods as P
from data import queries
from data.db import get_engine
from data.schema import dossier_stat, load_batch, period, unit
from etl.demo import run_demo

LAI_CHAU = "12"


def _rows(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        q = (select(dossier_stat, period.c.start_date, unit.c.scheme, unit.c.level, load_batch.c.dataset)
             .join(period, period.c.id == dossier_stat.c.period_id)
             .join(unit, unit.c.id == dossier_stat.c.unit_id)
             .join(load_batch, load_batch.c.id == dossier_stat.c.batch_id))
        return pd.DataFrame(conn.execute(q).mappings().all())


@pytest.fixture(scope="module")
def lai_chau(template_db, tmp_path_factory) -> Engine:  # noqa: ANN001
    import shutil

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    shutil.copy(template_db, path)
    engine = get_engine(f"sqlite:///{path}")
    assert run_demo(engine, provinces=LAI_CHAU, until="2025-09") == 0
    return engine


def test_deterministic(lai_chau: Engine, db_url: str) -> None:
    other = get_engine(db_url)
    run_demo(other, provinces=LAI_CHAU, until="2025-09")
    a, b = _rows(lai_chau), _rows(other)
    cols = ["unit_id", "agency_id", "start_date", "received_total", "received_online", "received_postal",
            "settled_overdue", "pending_total", "returned_postal"]
    assert a[cols].sort_values(cols[:3]).reset_index(drop=True).equals(
        b[cols].sort_values(cols[:3]).reset_index(drop=True))


def test_biểu06_identities_on_every_row(lai_chau: Engine) -> None:
    r = _rows(lai_chau)
    assert len(r) > 10_000
    assert (r["received_total"] == r["received_carried"] + r["received_online"] + r["received_direct_postal"]).all()
    assert (r["received_postal"] <= r["received_direct_postal"]).all()
    assert (r["settled_total"] == r["settled_early"] + r["settled_on_time"] + r["settled_overdue"]).all()
    assert (r["pending_total"] == r["pending_within"] + r["pending_overdue"]).all()
    assert (r["received_total"] == r["settled_total"] + r["pending_total"]).all()
    assert (r["returned_postal"] <= r["returned_total"]).all()
    counts = r[["received_total", "received_online", "settled_overdue", "pending_overdue"]]
    assert (counts >= 0).all().all()


MERGED_ON_1_MARCH = {"SNV", "STC", "SXD", "SKHCN", "VP", "SNNMT", "SDTTG"}  # take over merged agencies


def _with_types(engine: Engine, r: pd.DataFrame) -> pd.DataFrame:
    from data.schema import agency

    with engine.connect() as conn:
        types = dict(conn.execute(select(agency.c.id, agency.c.type_code)).all())
    return r.assign(type_code=r["agency_id"].map(types))


def test_carried_over_is_previous_pending(lai_chau: Engine) -> None:
    """Each unit carries over what it had pending; a department that took over a merged one
    on 1/3/2025 carries both, so the province's total stock passes on whole every month."""
    r = _with_types(lai_chau, _rows(lai_chau)).sort_values(["unit_id", "agency_id", "start_date"])
    r["prev_pending"] = r.groupby(["unit_id", "agency_id"], dropna=False)["pending_total"].shift()
    chained = r[r["prev_pending"].notna()]
    merge = (chained["start_date"] == date(2025, 3, 1)) & chained["type_code"].isin(MERGED_ON_1_MARCH)
    assert len(chained) > 1000 and (chained["received_carried"] == chained["prev_pending"])[~merge].all()
    taken = (chained["received_carried"] - chained["prev_pending"])[merge]  # the merged one's pending
    assert merge.sum() >= 4 and (taken >= 0).all() and (taken > 0).sum() >= 3
    legacy = r[r["scheme"] == "legacy"].groupby("start_date")[["received_carried", "pending_total"]].sum()
    assert (legacy["received_carried"].iloc[1:].to_numpy() == legacy["pending_total"].iloc[:-1].to_numpy()).all()
    new = r[r["scheme"] == "2025"].groupby("start_date")[["received_carried", "pending_total"]].sum()
    assert new["received_carried"].iloc[0] == legacy["pending_total"].iloc[-1]  # 1/7/2025: nothing lost


def test_schemes_meet_at_1_july_2025(lai_chau: Engine) -> None:
    r = _rows(lai_chau)
    legacy, new = r[r["scheme"] == "legacy"], r[r["scheme"] == "2025"]
    assert legacy["start_date"].max() == date(2025, 6, 1) and legacy["start_date"].min() == date(2019, 1, 1)
    assert new["start_date"].min() == date(2025, 7, 1) and new["start_date"].max() == date(2025, 9, 1)
    assert set(new["level"]) == {"province", "commune"}  # departments sit on the province; no districts
    assert (r["dataset"] == "demo").all()


def _province_value(engine: Engine, per: P.Period, metric: str, scheme: str = "legacy") -> float:
    m = queries.level_metrics(engine, per, "province", scheme=scheme, metric_ids=[metric])
    return float(m["value"].iloc[0])


def test_calibration_bands(lai_chau: Engine) -> None:
    y19, y20, h25 = P.year_period(2019), P.year_period(2020), P.half(2025, 1)
    assert 0.04 <= _province_value(lai_chau, y19, "postal_intake_share") <= 0.13
    assert 0.20 <= _province_value(lai_chau, y20, "postal_return_share") <= 0.40
    assert _province_value(lai_chau, y19, "online_intake_share") < 0.15
    assert _province_value(lai_chau, h25, "online_intake_share") > 0.30
    assert 0.35 <= _province_value(lai_chau, y20, "zero_activity_share") <= 0.65
    units = queries.level_metrics(lai_chau, y20, "commune", metric_ids=["overdue_rate"])
    assert units["value"].max() > 0.5 and units["value"].min() < 0.05


def test_running_twice_changes_nothing(lai_chau: Engine) -> None:
    with lai_chau.connect() as conn:
        before = conn.execute(select(func.count()).select_from(dossier_stat)).scalar_one()
    assert run_demo(lai_chau, provinces=LAI_CHAU, until="2025-09") == 0
    with lai_chau.connect() as conn:
        assert conn.execute(select(func.count()).select_from(dossier_stat)).scalar_one() == before


def test_demo_never_touches_real_rows(engine: Engine) -> None:
    with engine.begin() as conn:
        b = conn.execute(insert(load_batch).values(kind="file", dataset="real", file_name="real.csv",
                                                   sha256="1" * 64, rows=1, loaded_at=datetime(2026, 1, 1),
                                                   status="active")).inserted_primary_key[0]
        uid = conn.execute(select(unit.c.id).where(unit.c.scheme == "legacy", unit.c.code == LAI_CHAU,
                                                   unit.c.level == "province")).scalar_one()
        pid = conn.execute(insert(period).values(start_date=date(2019, 1, 1), end_date=date(2019, 1, 31),
                                                 label="Tháng 01/2019", kind="month", days=31)).inserted_primary_key[0]
        conn.execute(insert(dossier_stat).values(batch_id=b, source_ref="real.csv!!2", unit_id=uid, scope="total",
                                                 period_id=pid, received_new=777, received_online=77))
    run_demo(engine, provinces=LAI_CHAU, until="2019-03")
    with engine.connect() as conn:
        real = conn.execute(select(dossier_stat.c.received_new).where(dossier_stat.c.batch_id == b)).all()
        status = conn.execute(select(load_batch.c.status).where(load_batch.c.id == b)).scalar_one()
    assert real == [(777,)] and status == "active"
    m = queries.level_metrics(engine, P.month(2019, 1), "province", scheme="legacy").set_index(["key", "metric"])
    online, postal = m.loc[(uid, "online_intake_share")], m.loc[(uid, "postal_intake_share")]
    assert (online["numerator"], online["denominator"]) == (77, 777)  # the stated real total, not demo sums
    assert online["dataset"] == "real" and online["source"] == "real.csv"
    # the total states no postal channel, so that share still comes from the demo rows below it
    assert postal["dataset"] == "demo" and postal["denominator"] != 777


def test_bad_selection_is_refused() -> None:
    from etl.cli import main

    assert main(["demo", "--provinces", "99", "--db", "sqlite://"]) == 2


def test_department_comparison_and_unit_trend(lai_chau: Engine) -> None:
    prov = int(queries.units_frame(lai_chau).query("scheme == 'legacy' and level == 'province' and code == '12'")
               .index[0])
    deps = queries.agency_comparison(lai_chau, prov, P.quarter(2024, 1))
    assert len(deps) >= 15 and deps["name"].str.contains("Sở Nội vụ").any()
    assert (deps["procedures_total"] > 0).all() and deps["on_time_rate"].between(0, 1).all()
    assert "Sở Thông tin và Truyền thông" in " ".join(deps["name"])  # still exists in 2024
    after = queries.agency_comparison(lai_chau, prov, P.month(2025, 4))
    assert not after["name"].str.contains("Thông tin và Truyền thông").any()  # merged on 01/03/2025
    trend = queries.unit_metrics(lai_chau, prov, ["online_intake_share"],
                                 [P.year_period(y) for y in (2019, 2021, 2023)])
    values = trend.sort_values("period_start")["value"].tolist()
    assert len(values) == 3 and values[0] < values[1] < values[2]  # online filing grows


@pytest.fixture(scope="module")
def dien_bien_mixed(template_db, tmp_path_factory) -> Engine:  # noqa: ANN001
    """Real seed figures and demo data for Điện Biên in the same unit and period."""
    import shutil

    from etl.cli import main

    path = tmp_path_factory.mktemp("mixed") / "mixed.sqlite"
    shutil.copy(template_db, path)
    assert main(["seed", "--db", f"sqlite:///{path}"]) == 0
    engine = get_engine(f"sqlite:///{path}")
    assert run_demo(engine, provinces="11", until="2020-12") == 0
    return engine


def test_each_indicator_carries_its_own_provenance(dien_bien_mixed: Engine) -> None:
    """Q1/2020 of Điện Biên: the procedure counts (329/2.114) and the communes without dossiers
    (66/129) are real stated figures; the dossier shares are demo. Each indicator says which."""
    prov = queries.find_unit(dien_bien_mixed, "legacy", "11")
    df = queries.headline_metrics(dien_bien_mixed, P.quarter(2020, 1), "legacy", int(prov["id"])).set_index("metric")
    offer, zero, postal = df.loc["online_offer_share"], df.loc["zero_activity_share"], df.loc["postal_intake_share"]
    assert (offer["numerator"], offer["denominator"], offer["dataset"]) == (329, 2114, "real")
    assert offer["source"] == "seed_figures.csv"
    assert (zero["numerator"], zero["denominator"], zero["dataset"]) == (66, 129, "real")
    assert postal["dataset"] == "demo" and postal["source"].startswith("demo:")
    # a month without stated figures: every indicator is demo
    feb = queries.headline_metrics(dien_bien_mixed, P.month(2020, 3), "legacy", int(prov["id"]))
    assert set(feb["dataset"]) == {"demo"}


# --- one process per unit across 1/7/2025 (issue 9) -------------------------------------------

MAIN = ["online_intake_share", "postal_intake_share", "overdue_rate", "index766_timeliness",
        "postal_return_share", "online_offer_share"]
JUMP_POINTS = 5.0  # the demo generator before issue 9 jumped up to 28 points (online filing)


def _one_to_one(engine: Engine) -> list[str]:
    """Codes of the provinces the 2025 merger left alone (one old province, one new)."""
    u = queries.units_frame(engine)
    new = u[(u["scheme"] == "2025") & (u["level"] == "province")]
    return sorted(u.at[olds[0], "code"] for olds in (queries.old_provinces(engine, int(i)) for i in new.index)
                  if len(olds) == 1)


@pytest.fixture(scope="module")
def across(template_db, tmp_path_factory) -> Engine:  # noqa: ANN001
    """Every province the merger left alone, and Quảng Bình + Quảng Trị (merged into Quảng Trị)."""
    import shutil

    path = tmp_path_factory.mktemp("across") / "across.sqlite"
    shutil.copy(template_db, path)
    engine = get_engine(f"sqlite:///{path}")
    codes = _one_to_one(engine)
    assert len(codes) == 11 and "11" in codes
    assert run_demo(engine, provinces=",".join([*codes, "44", "45"]), until="2025-09") == 0
    return engine


def test_unchanged_province_continues_across_1_july_2025(across: Engine) -> None:
    """Điện Biên and the ten other provinces the merger did not touch: their quarterly series
    'as today's units' (the app's trend) moves by a few points at most from Q2/2025 (old units)
    to Q3/2025 (2025 units), as from any quarter to the next."""
    jumps = {}
    for code in _one_to_one(across):
        unit_id = int(queries.find_unit(across, "2025", code)["id"])
        t = queries.view_trend(across, "today", unit_id, MAIN, date(2025, 1, 1), date(2025, 9, 30))
        v = t.pivot_table(index="period_start", columns="metric", values="value")
        assert len(v) == 3 and set(v.columns) == set(MAIN), (code, v)
        for m in MAIN:
            jumps[(code, m)] = abs(v[m].iloc[2] - v[m].iloc[1]) * 100
    worst = max(jumps, key=jumps.get)
    assert jumps[worst] <= JUMP_POINTS, (worst, jumps[worst])


def test_unchanged_province_has_the_same_communes_figures(across: Engine) -> None:
    """Today's communes of Điện Biên: Q2/2025 summed from their old communes, Q3/2025 their own;
    online filing moves little and their dossier counts go on at the same scale."""
    prov = int(queries.find_unit(across, "2025", "11")["id"])
    ids = ["online_intake_share", "overdue_rate"]
    q2 = queries.as_today(across, P.quarter(2025, 2), ids, "commune", within=prov)
    q3 = queries.level_metrics(across, P.quarter(2025, 3), "commune", within=prov, metric_ids=ids)
    m = q2.merge(q3, on=["key", "metric"], suffixes=("_q2", "_q3"))
    assert m["key"].nunique() == 45
    online = m[m["metric"] == "online_intake_share"]
    assert ((online["value_q3"] - online["value_q2"]).abs() * 100).median() <= JUMP_POINTS
    ratio = online["denominator_q3"] / online["denominator_q2"]
    assert ratio.between(0.7, 1.4).mean() >= 0.9


def test_merged_province_starts_as_the_sum_of_its_parts(across: Engine) -> None:
    """Quảng Trị (2025) = Quảng Bình + Quảng Trị (old): its July 2025 dossiers are their June
    dossiers summed (with the month's usual change), it carries over exactly their pending
    dossiers, and its rates are their weighted combination."""
    new = int(queries.find_unit(across, "2025", "44")["id"])
    olds = queries.old_provinces(across, new)
    assert len(olds) == 2
    flows = [m for m in MAIN if m != "online_offer_share"]  # offers are quarterly snapshots
    june = queries.level_metrics(across, P.month(2025, 6), "province", scheme="legacy", metric_ids=flows)
    june = june[june["key"].isin(olds)]
    july = queries.level_metrics(across, P.month(2025, 7), "province", scheme="2025", metric_ids=flows)
    july = july[july["key"] == new].set_index("metric")
    parts = june.groupby("metric")[["numerator", "denominator"]].sum()
    ratio = july.loc["online_intake_share", "denominator"] / parts.loc["online_intake_share", "denominator"]
    assert 0.9 <= ratio <= 1.12  # June 1,00 and July 0,98 of the seasonal pattern, plus noise
    for m in flows:
        combined = parts.loc[m, "numerator"] / parts.loc[m, "denominator"]
        assert abs(july.loc[m, "value"] - combined) * 100 <= JUMP_POINTS, m
    r = _rows(across)
    r = r[((r["scheme"] == "legacy") & r["unit_id"].isin(olds) | (r["scheme"] == "2025") & (r["unit_id"] == new))
          | r["unit_id"].isin(_descendants(across, [*olds, new]))]
    pending_june = r[(r["scheme"] == "legacy") & (r["start_date"] == date(2025, 6, 1))]["pending_total"].sum()
    carried_july = r[(r["scheme"] == "2025") & (r["start_date"] == date(2025, 7, 1))]["received_carried"].sum()
    assert carried_july == pending_june > 0


def _descendants(engine: Engine, province_ids: list[int]) -> list[int]:
    u = queries.units_frame(engine)
    return list(u.index[u["province_id"].isin(province_ids) & (u["level"] != "province")])

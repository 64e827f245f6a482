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


def test_carried_over_is_previous_pending(lai_chau: Engine) -> None:
    r = _rows(lai_chau).sort_values(["unit_id", "agency_id", "start_date"])
    r["prev_pending"] = r.groupby(["unit_id", "agency_id"], dropna=False)["pending_total"].shift()
    chained = r[r["prev_pending"].notna()]
    assert len(chained) > 1000 and (chained["received_carried"] == chained["prev_pending"]).all()


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

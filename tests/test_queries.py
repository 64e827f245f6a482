"""Aggregation semantics on hand-made rows: periods, stocks, real versus demo, roll-up, lineage."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, insert, select

from data import periods as P
from data import queries
from data.schema import dossier_stat, load_batch, unit
from etl.store import PeriodCache


def _uid(engine: Engine, scheme: str, level: str, code: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(unit.c.id).where(unit.c.scheme == scheme, unit.c.level == level,
                                                    unit.c.code == code)).scalar_one()


def _batch(conn, dataset: str, name: str) -> int:  # noqa: ANN001
    return conn.execute(insert(load_batch).values(
        kind="file" if dataset == "real" else "demo", dataset=dataset, file_name=name, sha256=name.ljust(64, "0"),
        rows=0, loaded_at=datetime(2026, 1, 1), status="active")).inserted_primary_key[0]


def _row(conn, batch: int, unit_id: int, per: P.Period, scope: str = "own", **counts: int) -> None:  # noqa: ANN001
    conn.execute(insert(dossier_stat).values(batch_id=batch, source_ref="t", unit_id=unit_id, agency_id=None,
                                             scope=scope, period_id=PeriodCache(conn).id_for(per), **counts))


def _month(m: int, carried: int, online: int, direct: int, settled_in_time: int, pending: int) -> dict:
    return dict(received_carried=carried, received_online=online, received_direct_postal=direct,
                received_total=carried + online + direct, settled_early=0, settled_on_time=settled_in_time,
                settled_overdue=0, settled_total=settled_in_time, pending_total=pending, pending_within=pending,
                pending_overdue=0)


@pytest.fixture
def muong_nhe(engine: Engine) -> tuple[Engine, int]:
    uid = _uid(engine, "legacy", "district", "096")
    with engine.begin() as conn:
        b = _batch(conn, "real", "a.csv")
        _row(conn, b, uid, P.month(2024, 1), **_month(1, 10, 5, 95, 80, 30))
        _row(conn, b, uid, P.month(2024, 2), **_month(2, 30, 10, 60, 70, 30))
        _row(conn, b, uid, P.month(2024, 3), **_month(3, 30, 20, 80, 90, 40))
    return engine, uid


def _figure(engine: Engine, per: P.Period, level: str, key: int) -> dict:
    df = queries.figures(engine, per, level)
    return df[df["key"] == key].iloc[0].to_dict()


def test_quarter_sums_flows_and_takes_first_and_last_stocks(muong_nhe: tuple[Engine, int]) -> None:
    engine, uid = muong_nhe
    f = _figure(engine, P.quarter(2024, 1), "district", uid)
    assert f["received_online"] == 35 and f["received_direct_postal"] == 235  # flows summed
    assert f["received_carried"] == 10  # first month's stock
    assert f["pending_total"] == 40  # last month's stock
    assert f["settled_total"] == 240
    m = queries.level_metrics(engine, P.quarter(2024, 1), "district", within=None).set_index("metric")
    assert m.loc["settlement_rate", "denominator"] == 10 + 35 + 235  # carried once + new


def test_incomplete_coverage_gives_no_figure(muong_nhe: tuple[Engine, int]) -> None:
    engine, uid = muong_nhe
    assert queries.figures(engine, P.half(2024, 1), "district").empty  # 3 of 6 months


def test_real_beats_demo_and_they_are_never_added(engine: Engine) -> None:
    uid = _uid(engine, "legacy", "district", "096")
    with engine.begin() as conn:
        _row(conn, _batch(conn, "demo", "demo:x"), uid, P.month(2024, 1), **_month(1, 0, 1, 9, 5, 5))
        _row(conn, _batch(conn, "real", "r.csv"), uid, P.month(2024, 1), **_month(1, 0, 50, 50, 60, 40))
    f = _figure(engine, P.month(2024, 1), "district", uid)
    assert f["received_online"] == 50 and f["dataset"] == "real" and f["source"] == "r.csv"


def test_stated_total_is_not_added_to_own_rows(engine: Engine) -> None:
    prov = _uid(engine, "legacy", "province", "11")
    dist = _uid(engine, "legacy", "district", "096")
    with engine.begin() as conn:
        b = _batch(conn, "real", "r.csv")
        _row(conn, b, prov, P.year_period(2024), scope="total", received_new=1000, received_postal=80)
        _row(conn, b, dist, P.year_period(2024), received_new=300, received_postal=10, received_online=30,
             received_direct_postal=270)
    f = _figure(engine, P.year_period(2024), "province", prov)
    assert f["received_new"] == 1000  # the stated total, not 1300
    m = queries.level_metrics(engine, P.year_period(2024), "province").set_index("metric")
    assert (m.loc["postal_intake_share", "numerator"], m.loc["postal_intake_share", "denominator"]) == (80, 1000)
    # an indicator the total does not state comes from the roll-up of own rows
    assert (m.loc["online_intake_share", "numerator"], m.loc["online_intake_share", "denominator"]) == (30, 300)


def test_as_today_maps_old_provinces_onto_new_ones(engine: Engine) -> None:
    bac_giang, bac_ninh_old = _uid(engine, "legacy", "province", "24"), _uid(engine, "legacy", "province", "27")
    quang_binh, quang_tri_old = _uid(engine, "legacy", "province", "44"), _uid(engine, "legacy", "province", "45")
    with engine.begin() as conn:
        b = _batch(conn, "real", "r.csv")
        for uid, n in ((bac_giang, 100), (bac_ninh_old, 50), (quang_binh, 30), (quang_tri_old, 20)):
            _row(conn, b, uid, P.year_period(2024), scope="total", received_new=n, received_postal=n // 10)
    df = queries.as_today(engine, P.year_period(2024), ["postal_intake_share"]).set_index("name")
    assert df.loc["Tỉnh Bắc Ninh", "denominator"] == 150 and df.loc["Tỉnh Bắc Ninh", "code"] == "24"
    assert df.loc["Tỉnh Quảng Trị", "denominator"] == 50 and (df["scheme"] == "2025").all()


def test_data_version_changes_with_a_load(engine: Engine) -> None:
    v1 = queries.data_version(engine)
    with engine.begin() as conn:
        _batch(conn, "real", "x.csv")
    assert queries.data_version(engine) != v1

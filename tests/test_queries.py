"""Aggregation semantics on hand-made rows: periods, stocks, real versus demo, roll-up, lineage.

Rows are written straight into the figure tables, then the analytics store is refreshed as the
ETL does after every write; the read side only sees the store."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, insert, select

from data import periods as P
from data import queries
from data.build import Scope, refresh
from data.schema import dossier_stat, load_batch, unit
from etl.store import PeriodCache


def _refresh(engine: Engine) -> None:
    with engine.begin() as conn:
        refresh(conn, Scope())


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
    _refresh(engine)
    return engine, uid


def _pairs(engine: Engine, per: P.Period, level: str, key: int, **kw) -> dict[str, tuple]:  # noqa: ANN003
    df = queries.level_metrics(engine, per, level, **kw)
    df = df[df["key"] == key]
    return {m: (n, d) for m, n, d in zip(df["metric"], df["numerator"], df["denominator"], strict=True)}


def test_quarter_sums_flows_and_takes_first_and_last_stocks(muong_nhe: tuple[Engine, int]) -> None:
    engine, uid = muong_nhe
    m = _pairs(engine, P.quarter(2024, 1), "district", uid)
    assert m["online_intake_share"] == (35, 35 + 235)  # flows summed
    assert m["settlement_rate"] == (240, 10 + 35 + 235)  # carried over once (the first month's) + new
    assert m["index766_timeliness"] == (240 + 40, 240 + 40)  # in progress: the last month's stock only
    assert m["pending_overdue_rate"] == (0, 40)


def test_a_month_is_its_own_row(muong_nhe: tuple[Engine, int]) -> None:
    engine, uid = muong_nhe
    m = _pairs(engine, P.month(2024, 2), "district", uid)
    assert m["settlement_rate"] == (70, 30 + 10 + 60) and m["index766_timeliness"] == (100, 100)


def test_incomplete_coverage_gives_no_figure(muong_nhe: tuple[Engine, int]) -> None:
    engine, uid = muong_nhe
    assert queries.level_metrics(engine, P.half(2024, 1), "district").empty  # 3 of 6 months


def test_real_beats_demo_and_they_are_never_added(engine: Engine) -> None:
    uid = _uid(engine, "legacy", "district", "096")
    with engine.begin() as conn:
        _row(conn, _batch(conn, "demo", "demo:x"), uid, P.month(2024, 1), **_month(1, 0, 1, 9, 5, 5))
        _row(conn, _batch(conn, "real", "r.csv"), uid, P.month(2024, 1), **_month(1, 0, 50, 50, 60, 40))
    _refresh(engine)
    m = queries.level_metrics(engine, P.month(2024, 1), "district").set_index("metric").loc["online_intake_share"]
    assert (m["numerator"], m["denominator"]) == (50, 100) and m["dataset"] == "real" and m["source"] == "r.csv"


def test_stated_total_is_not_added_to_own_rows(engine: Engine) -> None:
    prov = _uid(engine, "legacy", "province", "11")
    dist = _uid(engine, "legacy", "district", "096")
    with engine.begin() as conn:
        b = _batch(conn, "real", "r.csv")
        _row(conn, b, prov, P.year_period(2024), scope="total", received_new=1000, received_postal=80)
        _row(conn, b, dist, P.year_period(2024), received_new=300, received_postal=10, received_online=30,
             received_direct_postal=270)
    _refresh(engine)
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
    _refresh(engine)
    df = queries.as_today(engine, P.year_period(2024), ["postal_intake_share"]).set_index("name")
    assert df.loc["Tỉnh Bắc Ninh", "denominator"] == 150 and df.loc["Tỉnh Bắc Ninh", "code"] == "24"
    assert df.loc["Tỉnh Quảng Trị", "denominator"] == 50 and (df["scheme"] == "2025").all()


def test_data_version_changes_with_a_load(engine: Engine) -> None:
    v1 = queries.data_version(engine)
    with engine.begin() as conn:
        _batch(conn, "real", "x.csv")
    assert queries.data_version(engine) != v1


# --- coverage, stocks, roll-up through stated totals ----------------------------------------


def test_coverage_and_partial_aggregates(muong_nhe: tuple[Engine, int]) -> None:
    engine, uid = muong_nhe
    q1 = queries.level_metrics(engine, P.quarter(2024, 1), "district", metric_ids=["online_intake_share"])
    assert (q1["months"].iloc[0], q1["months_expected"].iloc[0], q1["coverage"].iloc[0]) == (3, 3, 1.0)
    # the half year has 3 of 6 months: no figure by default, a labelled partial one on request
    part = queries.level_metrics(engine, P.half(2024, 1), "district", metric_ids=["online_intake_share"],
                                 complete=False)
    assert (part["months"].iloc[0], part["months_expected"].iloc[0]) == (3, 6)
    assert (part["numerator"].iloc[0], part["denominator"].iloc[0]) == (35, 270)
    m = _pairs(engine, P.half(2024, 1), "district", uid, complete=False)
    assert "pending_overdue_rate" not in m  # June is missing: the stock at the end is unknown
    assert m["settlement_rate"] == (240, 10 + 35 + 235)  # carried over at the start is known


def test_aggregated_received_is_carried_once_plus_new(muong_nhe: tuple[Engine, int]) -> None:
    engine, uid = muong_nhe
    m = _pairs(engine, P.quarter(2024, 1), "district", uid)
    assert m["overdue_rate"][1] == 10 + 35 + 235  # not the sum of the monthly totals (420)


def test_exact_stored_period_wins_over_its_months(muong_nhe: tuple[Engine, int]) -> None:
    engine, uid = muong_nhe
    with engine.begin() as conn:
        b = _batch(conn, "real", "q.csv")
        _row(conn, b, uid, P.quarter(2024, 1), received_new=999, received_online=99, received_direct_postal=900)
    _refresh(engine)
    m = queries.level_metrics(engine, P.quarter(2024, 1), "district", metric_ids=["online_intake_share"])
    assert (m["numerator"].iloc[0], m["denominator"].iloc[0]) == (99, 999)
    assert "q.csv" in m["source"].iloc[0]  # with a.csv: the quarter's other indicators still come from its months


def test_a_stated_district_total_replaces_its_communes(engine: Engine) -> None:
    prov, dbp = _uid(engine, "legacy", "province", "11"), _uid(engine, "legacy", "district", "094")
    ward, other = _uid(engine, "legacy", "commune", "03124"), _uid(engine, "legacy", "district", "096")
    with engine.begin() as conn:
        b = _batch(conn, "real", "r.csv")
        _row(conn, b, dbp, P.year_period(2024), scope="total", received_new=500, overdue_total=50)
        _row(conn, b, ward, P.year_period(2024), received_new=40, overdue_total=4)  # inside the stated total
        _row(conn, b, other, P.year_period(2024), received_new=100, overdue_total=30)
    _refresh(engine)
    m = queries.level_metrics(engine, P.year_period(2024), "province", within=prov, metric_ids=["overdue_rate"])
    assert (m["numerator"].iloc[0], m["denominator"].iloc[0]) == (80, 600)  # 500 + 100, the ward not again
    d = queries.children_metrics(engine, prov, "district", P.year_period(2024), ["overdue_rate"]).set_index("code")
    assert d.loc["094", "denominator"] == 500 and d.loc["096", "denominator"] == 100


def test_departments_roll_up_into_their_province(engine: Engine) -> None:
    from data.schema import agency

    prov = _uid(engine, "legacy", "province", "24")
    with engine.connect() as conn:
        snv, sxd = (conn.execute(select(agency.c.id).where(agency.c.unit_id == prov, agency.c.type_code == t))
                    .scalar_one() for t in ("SNV", "SXD"))
    with engine.begin() as conn:
        b = _batch(conn, "real", "r.csv")
        pid = PeriodCache(conn).id_for(P.year_period(2019))
        for aid, new, postal in ((snv, 212, 23), (sxd, 100, 7)):
            conn.execute(insert(dossier_stat).values(batch_id=b, source_ref="t", unit_id=prov, agency_id=aid,
                                                     scope="own", period_id=pid, received_new=new,
                                                     received_postal=postal))
    _refresh(engine)
    m = queries.unit_metrics(engine, prov, ["postal_intake_share"])
    assert (m["numerator"].iloc[0], m["denominator"].iloc[0]) == (30, 312)
    assert m["period_label"].iloc[0] == "Năm 2019" and m["code"].iloc[0] == "24"
    d = queries.agency_comparison(engine, prov, P.year_period(2019), ["postal_intake_share"]).set_index("code")
    assert list(d.index) == ["24.SNV", "24.SXD"]
    assert d.loc["24.SNV", "postal_intake_share"] == 23 / 212 and d.loc["24.SNV", "name"] == "Sở Nội vụ (Tỉnh Bắc Giang)"


# --- fallbacks for counts nobody states -----------------------------------------------------


def test_zero_activity_is_counted_from_commune_rows(engine: Engine) -> None:
    dist = _uid(engine, "legacy", "district", "094")
    codes = ["03124", "03127", "03130"]
    with engine.begin() as conn:
        b = _batch(conn, "demo", "demo:x")
        for code, online in zip(codes, (0, 5, 0), strict=True):
            _row(conn, b, _uid(engine, "legacy", "commune", code), P.month(2024, 1), received_online=online,
                 received_direct_postal=10)
    _refresh(engine)
    m = queries.level_metrics(engine, P.month(2024, 1), "district", within=dist, metric_ids=["zero_activity_share"])
    assert (m["numerator"].iloc[0], m["denominator"].iloc[0]) == (2, 3) and m["dataset"].iloc[0] == "demo"


def test_stated_counts_win_over_the_commune_fallback(engine: Engine) -> None:
    from data.schema import count_stat

    prov = _uid(engine, "legacy", "province", "11")
    with engine.begin() as conn:
        b = _batch(conn, "real", "r.csv")
        _row(conn, b, _uid(engine, "legacy", "commune", "03124"), P.month(2024, 1), received_online=0)
        pid = PeriodCache(conn).id_for(P.month(2024, 1))
        for measure, value in (("units_total", 129), ("units_zero_activity", 66)):
            conn.execute(insert(count_stat).values(batch_id=b, source_ref="t", unit_id=prov, scope="total",
                                                   period_id=pid, measure=measure, counted_level="commune",
                                                   value=value))
    _refresh(engine)
    m = queries.level_metrics(engine, P.month(2024, 1), "province", within=prov, metric_ids=["zero_activity_share"])
    assert (m["numerator"].iloc[0], m["denominator"].iloc[0]) == (66, 129)


def test_agreement_share_from_postal_agreements(engine: Engine) -> None:
    from datetime import date

    from data.read.registry import registry
    from data.schema import postal_agreement

    prov = _uid(engine, "legacy", "province", "45")
    ag = registry(engine).agencies
    mine = ag[ag["unit_id"] == prov]
    valid_2019 = mine[(mine["valid_from"].isna() | (mine["valid_from"] <= date(2019, 12, 31)))
                      & (mine["valid_to"].isna() | (mine["valid_to"] >= date(2019, 12, 31)))]
    with engine.begin() as conn:
        b = _batch(conn, "real", "r.csv")
        for aid, day in ((int(valid_2019.index[0]), date(2018, 5, 1)), (int(valid_2019.index[1]), date(2020, 3, 1))):
            conn.execute(insert(postal_agreement).values(batch_id=b, source_ref="t", unit_id=prov, agency_id=aid,
                                                         signed_on=day))
        _row(conn, b, prov, P.year_period(2019), scope="total", received_new=1)  # something to show
    _refresh(engine)
    m = queries.level_metrics(engine, P.year_period(2019), "province", within=prov,
                              metric_ids=["bcci_agreement_share"])
    assert (m["numerator"].iloc[0], m["denominator"].iloc[0]) == (1, len(valid_2019))  # 2020 signature not yet


# --- as today's units -----------------------------------------------------------------------


def test_as_today_commune_level_with_island_district(engine: Engine) -> None:
    con_co = _uid(engine, "legacy", "district", "471")  # Huyện Cồn Cỏ: no communes
    split = _uid(engine, "legacy", "commune", "31268")  # Xã Tân Thạnh: split, default Xã Trường Thành
    with engine.begin() as conn:
        b = _batch(conn, "real", "r.csv")
        _row(conn, b, con_co, P.year_period(2024), received_new=40, received_postal=4)
        _row(conn, b, split, P.year_period(2024), received_new=30, received_postal=3)
    _refresh(engine)
    df = queries.as_today(engine, P.year_period(2024), ["postal_intake_share"], level="commune").set_index("code")
    assert df.loc["19742", "name"] == "Đặc khu Cồn Cỏ" and df.loc["19742", "denominator"] == 40
    assert df.loc["31288", "denominator"] == 30 and "31666" not in df.index
    assert (df["scheme"] == "2025").all()


# --- the table behind the command line ------------------------------------------------------


def test_metrics_table_and_unit_names(engine: Engine) -> None:
    uid = _uid(engine, "legacy", "district", "094")
    with engine.begin() as conn:
        _row(conn, _batch(conn, "real", "r.csv"), uid, P.year_period(2024), scope="total", received_new=10,
             overdue_total=2)
    _refresh(engine)
    t = queries.metrics_table(engine, unit="thanh pho dien bien phu", period="2024")
    assert list(t[["code", "name", "metric", "numerator", "denominator"]].itertuples(index=False, name=None)) == [
        ("094", "Thành phố Điện Biên Phủ", "overdue_rate", 2, 10)]
    # "Điện Biên": the province (not the district of that name), the legacy one since it has figures
    assert set(queries.metrics_table(engine, unit="Điện Biên", period="2024")["code"]) == {"11"}
    with pytest.raises(ValueError, match="Tỉnh Quảng Trị \\(mã 44.*Tỉnh Quảng Trị \\(mã 45"):
        queries.metrics_table(engine, unit="Quảng Trị")  # provinces of both schemes, no figures to choose by
    with pytest.raises(ValueError, match="Cấp không hợp lệ"):
        queries.metrics_table(engine, level="tinh")


def test_data_version_changes_when_a_batch_is_replaced(engine: Engine) -> None:
    from sqlalchemy import update

    with engine.begin() as conn:
        old, new = _batch(conn, "real", "x.csv"), _batch(conn, "real", "x.csv")
    v1 = queries.data_version(engine)
    with engine.begin() as conn:
        conn.execute(update(load_batch).where(load_batch.c.id == old).values(status="replaced", replaced_by=new))
    assert queries.data_version(engine) != v1

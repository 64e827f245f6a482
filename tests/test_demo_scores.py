"""Demo scores of the Chỉ số 766 (etl/demo_scores.py): deterministic, plausible, within the
maxima, labelled demo, and replaced by a real portal capture of the same subject and period."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from data import metrics
from data import periods as P
from data.read import scores as S
from data.schema import agg_score, load_batch, score_stat, unit
from etl import demo_scores
from etl.demo import run_demo
from etl.load import load_file
from etl.store import PeriodCache
from tests import portal766_files as F

LAST = date(2026, 11, 30)


def _province(engine, code: str) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return int(conn.execute(select(unit.c.id).where(unit.c.scheme == "2025", unit.c.level == "province",
                                                        unit.c.code == code)).scalar_one())


def _frame(engine, ids: list[int], last: date = LAST) -> pd.DataFrame:  # noqa: ANN001
    with engine.begin() as conn:
        out = demo_scores.frame(conn, 1, PeriodCache(conn), ids, last)
        conn.rollback()
    return out


def test_scores_are_deterministic_plausible_and_within_maxima(engine) -> None:  # noqa: ANN001
    qt = _province(engine, "44")
    a, b = _frame(engine, [qt]), _frame(engine, [qt])
    pd.testing.assert_frame_equal(a, b)
    groups = [g.column for g in metrics.SCORE_GROUPS]
    assert np.allclose(a["total"], a[groups].sum(axis=1), atol=0.005)  # the total is the sum of the groups
    for g in metrics.SCORE_GROUPS:
        assert (a[g.column] >= 0).all() and (a[g.column] <= g.max_points).all(), g.key
    assert a["total"].between(55, 92).all()
    assert a["total"].std() > 2  # not one number repeated
    # 17 months 07/2025-11/2026, 5 complete quarters, the year 2025; a capture a few days after each
    assert a["period_id"].nunique() == 17 + 5 + 1
    # the province, its agencies and its communes
    with engine.connect() as conn:
        communes = conn.execute(select(unit.c.id).where(unit.c.parent_id == qt)).scalars().all()
    subjects = a.drop_duplicates(["unit_id", "agency_id"])
    assert set(communes) <= set(subjects["unit_id"])
    assert subjects["agency_id"].notna().sum() >= 10
    assert (subjects["unit_id"] == qt).sum() == subjects["agency_id"].notna().sum() + 1


def test_a_province_scores_do_not_depend_on_the_selection(engine) -> None:  # noqa: ANN001
    qt, hn = _province(engine, "44"), _province(engine, "01")
    alone = _frame(engine, [qt])
    both = _frame(engine, [qt, hn])
    mine = both[both["unit_id"].isin(alone["unit_id"].unique())].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone.reset_index(drop=True), mine)


def test_quarter_is_the_mean_of_its_months_and_as_of_follows_the_period(engine) -> None:  # noqa: ANN001
    qt = _province(engine, "44")
    with engine.begin() as conn:
        cache = PeriodCache(conn)
        df = demo_scores.frame(conn, 1, cache, [qt], LAST)
        ids = {p: cache.id_for(p) for p in [P.month(2026, m) for m in (7, 8, 9)] + [P.quarter(2026, 3)]}
        conn.rollback()
    prov = df[(df["unit_id"] == qt) & df["agency_id"].isna()].set_index("period_id")
    months = prov.loc[[ids[P.month(2026, m)] for m in (7, 8, 9)], "tdgq"].mean()
    assert prov.loc[ids[P.quarter(2026, 3)], "tdgq"] == pytest.approx(months, abs=0.01)
    assert prov.loc[ids[P.quarter(2026, 3)], "as_of"] == date(2026, 9, 30) + timedelta(days=5)


def test_demo_run_stores_demo_scores_and_a_real_capture_replaces_them(engine, tmp_path) -> None:  # noqa: ANN001
    assert run_demo(engine, "45", until="2025-12") == 0  # Quảng Trị (before 1/7/2025) -> Quảng Trị 2025
    qt = _province(engine, "44")
    with engine.connect() as conn:
        kinds = conn.execute(select(load_batch.c.kind, load_batch.c.dataset)
                             .join(score_stat, score_stat.c.batch_id == load_batch.c.id).distinct()).all()
        n_store = conn.execute(select(agg_score.c.key).where(agg_score.c.province == qt)).all()
    assert kinds == [("demo", "demo")] and n_store
    q4 = P.quarter(2025, 4)
    before = S.scores(engine, q4, level="province")
    assert before["key"].tolist() == [qt] and (before["dataset"] == "demo").all()  # only the demo's province
    before_communes = S.scores(engine, q4, within=qt)
    # the portal's national answer for Q4/2025: every province real, Quảng Trị's demo score replaced
    req = {"timeType": "quarter", "year": 2025, "quarter": 4, "currentPage": 1, "pageSize": 200}
    path = tmp_path / "766_toan-quoc_2025-Q4.json"
    path.write_bytes(F.envelope(F.national_service_results(), "service-results", req,
                                fetched_at="2026-01-06T08:00:00+07:00"))
    assert load_file(engine, path).status == "loaded"
    after = S.scores(engine, q4, level="province")
    assert len(after) == 34 and (after["dataset"] == "real").all()
    mine = next(r for r in F.national_service_results()["data"]["evaluation"] if r["departmentCode"] == F.QT)
    row = after[after["key"] == qt].iloc[0]
    assert row["total"] == pytest.approx(mine["totalScore"]) and row["as_of"] == date(2026, 1, 6)
    # the other periods and the communes (the file has none) keep their demo scores
    assert (S.scores(engine, P.quarter(2025, 3), level="province")["dataset"] == "demo").all()
    communes = S.scores(engine, q4, within=qt)
    assert len(communes) == len(before_communes) and (communes["dataset"] == "demo").all()
    # the portal's tree of Quảng Trị's communes for Q4/2025: its communes alone are ranked, no demo among them
    req = {**req, "rootDepartmentId": F.dept_id(F.QT)}
    tree = tmp_path / "766_QT_2025-Q4_dvc-progress-tree.json"
    tree.write_bytes(F.envelope(F.dvc_progress_tree(), "dvc-progress-tree", req, fetched_at="2026-01-06T08:00:00+07:00"))
    assert load_file(engine, tree).status == "loaded"
    communes = S.scores(engine, q4, level="commune", within=qt)
    assert len(communes) == len(F.QT_COMMUNES) and (communes["dataset"] == "real").all()
    assert set(communes["rank_of"]) == {len(F.QT_COMMUNES)}
    assert (S.scores(engine, P.quarter(2025, 3), level="commune", within=qt)["dataset"] == "demo").all()


@pytest.mark.postgres
def test_demo_scores_on_postgresql(pg_engine) -> None:  # noqa: ANN001
    assert run_demo(pg_engine, "45", until="2025-12") == 0
    qt = _province(pg_engine, "44")
    rows = S.scores(pg_engine, P.month(2025, 12), within=qt)
    assert len(rows) > 50 and set(rows["level"]) == {"commune", "department"}
    deps = rows[rows["level"] == "department"]
    assert len(deps) >= 10 and deps["name"].str.startswith(("Sở", "Ban", "Công an", "Văn phòng", "Thanh tra",
                                                          "Bảo hiểm", "Thi hành", "Trung tâm")).all()

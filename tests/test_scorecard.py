"""The Chỉ số 766 page's builders (components/scorecard*.py), the period choice, the deck and
exports, and the reconciliation read (data/read/reconcile.py)."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import insert, select

from components import scorecard as SC
from components.scorecard_view import pick_period
from data import metrics
from data import periods as P
from data.schema import dossier_stat, finding, load_batch, unit
from etl.store import PeriodCache

GROUPS = {"ckmb": 16.46, "tdgq": 13.11, "clgq": 9.11, "tttt": 9.43, "mdhl": 15.65, "mdsh": 17.13}


def _row(**kw: object) -> pd.Series:
    base = {"level": "province", "key": 1, "name": "Tỉnh Quảng Trị", "code": "44", "total": sum(GROUPS.values()),
            **GROUPS, **{f"max_{g.column}": float(g.max_points) for g in metrics.SCORE_GROUPS}, "max_total": 100.0,
            "rank_total": 9, "rank_of": 34, "prev_total": 72.24, "prev_rank": 28, "prev_as_of": date(2026, 10, 1),
            "prev_label": "bản chụp trước của cùng kỳ", "dataset": "real", "batches": "3", "as_of": date(2026, 10, 5),
            **{f"rank_{g.column}": 1 for g in metrics.SCORE_GROUPS}}
    return pd.Series({**base, **kw})


def test_score_text_is_vietnamese() -> None:
    assert SC.score_text(15.5) == "15,5" and SC.score_text(80.89) == "80,89" and SC.score_text(80.0) == "80"
    assert SC.score_text(None) == "–" and SC.score_text(float("nan")) == "–"


def test_change_since_an_earlier_capture_and_since_the_previous_period() -> None:
    text, rank = SC.change_words(_row())
    assert text == "▲ 8,65 điểm so với bản chụp trước ngày 01/10/2026 của cùng kỳ"
    assert rank == "Hạng tăng 19 bậc (28 → 9)"
    text, rank = SC.change_words(_row(prev_total=82.14, prev_rank=7, prev_label="Tháng 08/2026",
                                      prev_as_of=date(2026, 9, 5)))
    assert text == "▼ 1,25 điểm so với Tháng 08/2026 (bản chụp 05/09/2026)" and rank == "Hạng giảm 2 bậc (7 → 9)"
    assert SC.change_words(_row(prev_total=float("nan"))) is None


def test_groups_weakest_first_by_share_of_maximum_with_labels_against_maxima() -> None:
    groups = SC.groups_frame(_row())
    # shares: TDGQ 0,66, CLGQ 0,76, MDSH 0,78, MDHL 0,87, CKMB 0,91, TTTT 0,94
    assert list(groups["key"]) == ["TDGQ", "CLGQ", "MDSH", "MDHL", "CKMB", "TTTT"]
    fig = SC.groups_figure(groups)
    bars = fig.data[1]
    assert bars.y[-1] == "Tiến độ, kết quả giải quyết"  # plotly draws the last category on top
    assert "13,11/20" in bars.text and "9,43/10" in bars.text
    assert metrics.QD766 in bars.customdata[-1]  # the decision behind the group on hover
    colors = {t.marker.color for t in fig.data}
    assert not colors & {"#198754", "#dc3545", "#ffc107"}  # no traffic light: no target for the index


def test_ranked_units_name_their_weakest_group_and_can_put_the_worst_first() -> None:
    df = pd.DataFrame([_row(key=1, name="Sở A", rank_total=2, total=80.0),
                       _row(key=2, name="Sở B", rank_total=1, total=85.0, tdgq=19.9, clgq=6.0),
                       _row(key=3, name="Sở C", rank_total=3, total=70.0, dataset="demo")])
    best = SC.ranked_frame(df)
    assert list(best["name"]) == ["Sở B", "Sở A", "Sở C"]
    assert best.loc[0, "weakest"] == "Cung cấp dịch vụ trực tuyến"
    assert best.loc[1, "weakest"] == "Tiến độ, kết quả giải quyết"
    assert list(SC.ranked_frame(df, worst_first=True)["name"]) == ["Sở C", "Sở A", "Sở B"]
    table = SC.ranked_table(best, "t")
    assert {"name": "Loại số liệu", "id": "data"} in table.columns  # demo rows are said to be demo
    assert best.loc[2, "data"] == "Dữ liệu minh họa"


def test_league_on_a_group_and_national_average() -> None:
    df = pd.DataFrame([_row(key=1, name="A", mdsh=20.0, rank_mdsh=1), _row(key=2, name="B", mdsh=11.0, rank_mdsh=2)])
    league = SC.league_frame(df, SC.group_of("MDSH"))
    assert list(league["name"]) == ["A", "B"] and league["share"].tolist() == pytest.approx([20 / 22, 0.5])
    assert SC.group_of("bogus") is metrics.SCORE_TOTAL and SC.group_of("total") is metrics.SCORE_TOTAL
    df["period_start"], df["period_end"] = date(2026, 7, 1), date(2026, 9, 30)
    avg = SC.national_average(df.assign(total=[80.0, 70.0]))
    assert avg["average"].tolist() == [75.0] and avg["n"].tolist() == [2]


def _periods() -> pd.DataFrame:
    rows = [(P.month(2026, 11), "month"), (P.month(2026, 10), "month"), (P.quarter(2026, 3), "quarter"),
            (P.month(2026, 9), "month"), (P.year_period(2025), "year")]
    return pd.DataFrame({"period_start": [p.start for p, _ in rows], "period_end": [p.end for p, _ in rows],
                         "period_kind": [k for _, k in rows], "label": [p.label for p, _ in rows],
                         "spec": [p.spec for p, _ in rows]})


def test_period_default_is_the_latest_month_and_a_missing_one_says_so() -> None:
    per = _periods()
    assert pick_period(per, "latest-quarter", asked=False)[0]["spec"] == "2026-11"
    assert pick_period(per, "latest-quarter", asked=True)[0]["spec"] == "2026-Q3"
    assert pick_period(per, "latest-year", asked=True)[0]["spec"] == "2025"
    row, notice = pick_period(per, "2026-10", asked=True)
    assert row["spec"] == "2026-10" and notice == ""
    row, notice = pick_period(per, "2024-Q1", asked=True)
    assert row["spec"] == "2026-11" and notice.startswith("Quý I/2024 chưa có điểm Chỉ số 766")


def test_source_names_the_file_and_capture_or_says_demo() -> None:
    real = pd.DataFrame({"id": [3], "kind": ["portal"], "dataset": ["real"], "file_name": ["qt.json"],
                         "as_of": [date(2026, 10, 5)], "note": [None]})
    assert SC.source_text(real) == "Nguồn: qt.json, bản chụp 05/10/2026"
    demo = real.assign(dataset="demo", file_name="demo:all", as_of=None)
    assert SC.source_text(demo) == "Nguồn: Dữ liệu minh họa"


# --- reconciliation ----------------------------------------------------------------------------


def _batch(conn, kind: str, name: str, as_of: date | None = None) -> int:  # noqa: ANN001
    return conn.execute(insert(load_batch).values(
        kind=kind, dataset="real", file_name=name, sha256=name * 2, rows=1, loaded_at=datetime(2026, 10, 6),
        status="active", as_of=as_of)).inserted_primary_key[0]


def test_portal_counts_beside_the_report_and_the_findings(engine) -> None:  # noqa: ANN001
    from data.read.reconcile import portal_findings, portal_vs_report

    per = P.quarter(2026, 3)
    with engine.begin() as conn:
        qt = conn.execute(select(unit.c.id).where(unit.c.scheme == "2025", unit.c.code == "44")).scalar_one()
        commune = conn.execute(select(unit.c.id).where(unit.c.parent_id == qt).limit(1)).scalar_one()
        pid = PeriodCache(conn).id_for(per)
        portal, report = _batch(conn, "portal", "qt.json", date(2026, 10, 5)), _batch(conn, "file", "bieu06.xlsx")
        base = {"unit_id": commune, "agency_id": None, "scope": "own", "period_id": pid}
        conn.execute(insert(dossier_stat), [
            {**base, "batch_id": portal, "source_ref": "p", "received_total": 1200, "received_online": 700},
            {**base, "batch_id": report, "source_ref": "r", "received_total": 1180, "received_online": None},
        ])
        conn.execute(insert(finding), [
            {"batch_id": portal, "file": "qt.json", "sheet": "dvc-progress-tree", "row": 4, "column": "received_total",
             "rule": "portal_differs", "severity": "warning", "unit_id": commune, "period_id": pid,
             "message": f"Xã X, {per.label}: Cổng DVCQG có 1.200 hồ sơ tiếp nhận, báo cáo “bieu06.xlsx” có 1.180"},
            {"batch_id": portal, "file": "qt.json", "sheet": None, "row": None, "column": None, "unit_id": commune,
             "period_id": PeriodCache(conn).id_for(P.quarter(2026, 2)),
             "rule": "portal_differs", "severity": "warning", "message": "Xã X, Quý II/2026: another period"},
            {"batch_id": portal, "file": "qt.json", "sheet": None, "row": None, "column": None, "unit_id": commune,
             "period_id": pid, "rule": "portal_number", "severity": "warning",
             "message": f"Xã X, {per.label}: another rule"},
        ])
    compared = portal_vs_report(engine, qt, per)
    assert len(compared) == 1  # online: only the portal states it
    r = compared.iloc[0]
    assert (r["label"], r["portal"], r["report"], r["gap"]) == ("Hồ sơ tiếp nhận", 1200, 1180, 20)
    assert r["portal_file"] == "qt.json" and r["report_file"] == "bieu06.xlsx" and r["level"] == "commune"
    found = portal_findings(engine, qt, per)
    assert found["message"].tolist() == [f"Xã X, {per.label}: Cổng DVCQG có 1.200 hồ sơ tiếp nhận, báo cáo "
                                         "“bieu06.xlsx” có 1.180"]
    other = conn_free_province(engine)
    assert portal_vs_report(engine, other, per).empty and portal_findings(engine, other, per).empty
    card = SC.reconcile_block(compared, found, "Tỉnh Quảng Trị", per.label)
    text = str(card)
    assert "Đối chiếu số liệu Cổng DVCQG và báo cáo" in text and "1.200" in text and "+20" in text


def conn_free_province(engine) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return int(conn.execute(select(unit.c.id).where(unit.c.scheme == "2025", unit.c.code == "01")).scalar_one())


# --- deck and exports ----------------------------------------------------------------------------


def test_deck_and_excel_of_the_page(engine, monkeypatch) -> None:  # noqa: ANN001
    from components.exports import to_xlsx
    from components.scorecard_deck import score_deck
    from etl.demo import run_demo

    assert run_demo(engine, "45", until="2025-12") == 0
    monkeypatch.setenv("TTHC_DB_URL", str(engine.url))
    deck = score_deck({"unit": "44", "period": "2025-Q4", "group": "MDSH"})
    keys = [s.key for s in deck.slides]
    assert keys[:2] == ["scorecard", "groups"] and "league-MDSH" in keys and "map-MDSH" in keys
    assert deck.is_demo and deck.heading == "Chỉ số 766 — Tỉnh Quảng Trị" and deck.period == "Quý IV/2025"
    groups = next(s for s in deck.slides if s.key == "groups")
    assert groups.chart.number_format == "0.00" and len(groups.chart.categories) == 6
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(deck)))
    assert {"Thông tin", "Chỉ số 766", "Nhóm chỉ số", "Xếp hạng các tỉnh", "Sở ngành", "Xã phường"} <= set(wb.sheetnames)
    ws = wb["Nhóm chỉ số"]
    assert [c.value for c in ws[1]] == ["Nhóm", "Mã", "Điểm", "Tối đa", "Tỷ lệ điểm tối đa"]
    assert ws["E2"].number_format == "0.00%"  # a share, shown as a percentage

"""Loading the national portal's files (Chỉ số 766) into the database: scores equal the file's,
units matched to the official lists or refused with candidates, agencies registered, later
captures replace earlier ones and keep them, the portal's counts feed the indicators and are
reconciled with a report; the ``scores``, ``portal-codes`` and ``fetch766`` commands."""

from __future__ import annotations

import csv
import io
import threading
from contextlib import redirect_stderr, redirect_stdout
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from data import periods as P
from data.db import get_engine
from data.schema import agency, agg_score, load_batch, portal_unit, score_stat, unit
from etl.cli import main
from etl.load import load_file
from tests import portal766_files as F
from tests.files import write_template_csv

Q3 = {"timeType": "quarter", "year": 2026, "quarter": 3, "currentPage": 1, "pageSize": 200}
NAT_REQ = {**Q3, "departmentType": "ADMINISTRATIVE_UNIT"}
QT_REQ = {**Q3, "rootDepartmentId": F.dept_id(F.QT)}


def _write(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _scores(url: str, *args: str) -> list[dict[str, str]]:
    code, out, err = _cli("scores", "--db", url, *args)
    assert code == 0, err
    return list(csv.DictReader(io.StringIO(out)))


def _load_national(engine: Engine, tmp: Path, body: dict | None = None, at: str = "2026-10-05T08:00:00+07:00",
                   name: str = "766_2026-Q3_VN_service-results.json"):  # noqa: ANN202
    body = body or F.national_service_results()
    return load_file(engine, _write(tmp, name, F.envelope(body, "service-results", NAT_REQ, fetched_at=at)))


def _qt_total(body: dict) -> float:
    return next(r["totalScore"] for r in body["data"]["evaluation"] if r["departmentCode"] == F.QT)


def test_national_scores_equal_the_file_with_ranks_of_34(engine: Engine, db_url: str, tmp_path: Path) -> None:
    body = F.national_service_results()
    res = _load_national(engine, tmp_path, body)
    assert res.status == "loaded", [str(f) for f in res.findings]
    rows = _scores(db_url, "--level", "province", "--period", "2026-Q3")
    by = {(r["unit_code"], r["component"]): r for r in rows}
    qt = next(r for r in body["data"]["evaluation"] if r["departmentCode"] == F.QT)
    assert float(by[("44", "total")]["score"]) == qt["totalScore"]
    for key, value in qt["groupScores"].items():
        assert float(by[("44", key)]["score"]) == value
        assert by[("44", key)]["max_score"] == str(F.GROUP_MAX[key])
    order = sorted(body["data"]["evaluation"], key=lambda r: -r["totalScore"])
    expected_rank = 1 + sum(1 for r in order if r["totalScore"] > qt["totalScore"])
    assert by[("44", "total")]["rank"] == str(expected_rank) and by[("44", "total")]["rank_of"] == "34"
    assert by[("44", "total")]["period_label"] == "Quý III/2026" and by[("44", "total")]["as_of"] == "2026-10-05"
    assert "bản chụp 05/10/2026" in by[("44", "total")]["source"]
    assert len({r["unit_code"] for r in rows}) == 34
    # the mapping is stored and listed for review
    code, out, _ = _cli("portal-codes", "--db", db_url)
    listed = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(listed) == 34
    assert {r["code"]: r["unit_name"] for r in listed}[F.QT] == "Tỉnh Quảng Trị"


def test_tree_matches_communes_registers_agencies_and_feeds_the_766_rate(engine: Engine, db_url: str,
                                                                         tmp_path: Path) -> None:
    _load_national(engine, tmp_path)
    tree = F.dvc_progress_tree()
    path = _write(tmp_path, "qt_dvc.json", F.envelope(tree, "dvc-progress-tree", QT_REQ))
    code, _, err = _cli("load", "--db", db_url, str(path))
    assert code == 0, err
    assert "Đã đăng ký cơ quan mới của Cổng DVCQG: Ban Quản lý Khu kinh tế tỉnh Quảng Trị" in err
    with engine.connect() as conn:
        communes = conn.execute(select(func.count()).select_from(portal_unit)
                                .where(portal_unit.c.level == "commune")).scalar()
        registered = conn.execute(select(agency.c.name).join(portal_unit, portal_unit.c.agency_id == agency.c.id)
                                  .where(portal_unit.c.matched == "registered")).scalars().all()
    assert communes == len(F.QT_COMMUNES)
    assert "Ban Quản lý Khu kinh tế tỉnh Quảng Trị" in registered
    # a commune's TDGQ score as the file says
    child = next(c for c in tree["data"]["children"] if c["level"] == "COMMUNE")
    rows = _scores(db_url, "--level", "commune")
    name = child["departmentName"].split(" - ")[0].removeprefix("UBND ").lower()
    hit = [r for r in rows if r["unit_name"].lower() == name and r["component"] == "TDGQ"]
    assert hit and float(hit[0]["score"]) == child["score"]
    # the province's Index 766 rate is the portal's totalOnTime / totalReceived
    code, out, _ = _cli("metrics", "--db", db_url, "--unit", "44", "--period", "2026-Q3",
                        "--metric", "index766_timeliness")
    m = list(csv.DictReader(io.StringIO(out)))
    par = tree["data"]["parent"]
    assert m and int(m[0]["numerator"]) == par["totalOnTime"] and int(m[0]["denominator"]) == par["totalReceived"]


def test_an_unknown_commune_is_refused_with_candidates_and_nothing_is_stored(engine: Engine, tmp_path: Path) -> None:
    _load_national(engine, tmp_path)
    row = 1 + next(i for i, c in enumerate(F.dvc_progress_tree()["data"]["children"]) if c["level"] == "COMMUNE")
    tree = F.dvc_progress_tree(overrides={row: {"departmentName": "UBND xã Đông Hớii - tỉnh Quảng Trị"}})
    before = _count(engine)
    res = load_file(engine, _write(tmp_path, "bad.json", F.envelope(tree, "dvc-progress-tree", QT_REQ)))
    assert res.status == "rejected"
    msg = " ".join(str(f) for f in res.errors)
    assert "Đông Hớii" in msg and f"dòng {row}" in msg and "Đồng Hới" in msg  # the closest official name
    assert _count(engine) == before


def test_period_and_capture_date_asked_for_when_the_file_does_not_say(engine: Engine, db_url: str,
                                                                      tmp_path: Path) -> None:
    bare = _write(tmp_path, "service-results.json", F.to_bytes(F.national_service_results()))
    code, _, err = _cli("load", "--db", db_url, str(bare))
    assert code == 1 and "--period" in err
    code, _, err = _cli("load", "--db", db_url, str(bare), "--period", "2026-08")
    assert code == 1 and "--as-of" in err
    code, _, err = _cli("load", "--db", db_url, str(bare), "--period", "2026-08", "--as-of", "05/09/2026")
    assert code == 0, err
    rows = _scores(db_url, "--period", "2026-08", "--level", "province")
    assert rows and {r["as_of"] for r in rows} == {"2026-09-05"}
    code, _, err = _cli("load", "--db", db_url, str(bare), "--as-of", "31/02/2026")
    assert code == 2 and "dd/mm/yyyy" in err


def test_a_later_capture_replaces_the_earlier_and_keeps_it_in_the_history(engine: Engine, db_url: str,
                                                                          tmp_path: Path) -> None:
    first = F.national_service_results()
    later = F.copy(first)
    for r in later["data"]["evaluation"]:
        if r["departmentCode"] == F.QT:
            r["totalScore"] = round(r["totalScore"] + 1.25, 2)
    a = _load_national(engine, tmp_path, first, "2026-10-05T08:00:00+07:00", "a.json")
    b = _load_national(engine, tmp_path, later, "2026-10-20T08:00:00+07:00", "b.json")
    assert b.status == "replaced" and b.replaced_batch_id == a.batch_id
    with engine.connect() as conn:
        qt = conn.execute(select(unit.c.id).where(unit.c.scheme == "2025", unit.c.level == "province",
                                                  unit.c.code == "44")).scalar()
        row = conn.execute(select(agg_score).where(agg_score.c.key == qt, agg_score.c.level == "province")).one()
        kept = conn.execute(select(func.count()).select_from(score_stat)
                            .where(score_stat.c.batch_id == a.batch_id)).scalar()
    assert row.total == _qt_total(later) and row.prev_total == _qt_total(first)
    assert str(row.prev_as_of)[:10] == "2026-10-05" and kept == 34
    # an older capture loaded afterwards goes into the history and changes nothing shown
    older = F.copy(first)
    older["data"]["evaluation"][0]["totalScore"] = 1.0
    c = _load_national(engine, tmp_path, older, "2026-10-01T08:00:00+07:00", "c.json")
    assert c.status == "history"
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(load_batch.c.id, load_batch.c.status)).all())
        again = conn.execute(select(agg_score.c.total).where(agg_score.c.key == qt,
                                                             agg_score.c.level == "province")).scalar()
    assert statuses == {a.batch_id: "replaced", b.batch_id: "active", c.batch_id: "replaced"}
    assert again == _qt_total(later)


def test_portal_counts_beside_a_report_are_reconciled_not_added(engine: Engine, db_url: str, tmp_path: Path) -> None:
    _load_national(engine, tmp_path)
    tree = F.dvc_progress_tree()
    child = next(c for c in tree["data"]["children"] if c["level"] == "COMMUNE")
    commune = child["departmentName"].split(" - ")[0]
    report = write_template_csv(tmp_path / "bao_cao_q3.csv", [{
        "province_code": "44", "unit_name": commune, "period": "2026-Q3", "scheme": "2025",
        "received_carried": 0, "received_online": child["totalReceived"] - 24 - 10, "received_direct": 10,
        "received_postal": 0, "settled_early": 0, "settled_on_time": child["totalReceived"] - 24,
        "settled_overdue": 0}])
    assert load_file(engine, report).status == "loaded"
    res = load_file(engine, _write(tmp_path, "qt_dvc.json", F.envelope(tree, "dvc-progress-tree", QT_REQ)))
    assert res.status == "loaded", [str(f) for f in res.errors]
    diffs = [f for f in res.findings if f.rule == "portal_differs"]
    assert diffs and "chênh +24" in diffs[0].message and "bao_cao_q3.csv" in diffs[0].message
    # the commune's figures are the report's, not the two added together
    code, out, _ = _cli("metrics", "--db", db_url, "--unit", commune, "--period", "2026-Q3",
                        "--metric", "settlement_rate")
    m = list(csv.DictReader(io.StringIO(out)))
    assert m and int(m[0]["denominator"]) == child["totalReceived"] - 24


def test_excel_dump_year_and_month_sheets(engine: Engine, db_url: str, tmp_path: Path) -> None:
    tables = F.excel_tables()
    path = _write(tmp_path, "report_tinh_766_service.xlsx", F.excel_dump(tables))
    code, _, err = _cli("load", "--db", db_url, str(path), "--period", "2025-10", "--as-of", "2025-11-03")
    assert code == 0, err
    year = {(r["unit_name"], r["component"]): r for r in _scores(db_url, "--period", "2025", "--level", "province")}
    month = {(r["unit_name"], r["component"]): r for r in _scores(db_url, "--period", "2025-10", "--level", "province")}
    y = next(r for r in tables["Điểm năm"] if r["MA_COQUAN"] == F.QT)
    mo = next(r for r in tables["Điểm tháng"] if r["MA_COQUAN"] == F.QT)
    assert year[("Tỉnh Quảng Trị", "total")]["score"] == str(float(y["TONG_SCORE"])).rstrip("0").rstrip(".")
    assert float(month[("Tỉnh Quảng Trị", "MDSH")]["score"]) == float(mo["MDSH"])
    assert year[("Tỉnh Quảng Trị", "total")]["period_label"] == "Năm 2025"
    communes = _scores(db_url, "--level", "commune", "--period", "2025-10")
    assert any(r["unit_name"] == "Xã Đông Thái" for r in communes)


def test_correcting_a_code_moves_its_figures(engine: Engine, db_url: str, tmp_path: Path) -> None:
    _load_national(engine, tmp_path)
    load_file(engine, _write(tmp_path, "qt_dvc.json", F.envelope(F.dvc_progress_tree(), "dvc-progress-tree", QT_REQ)))
    with engine.connect() as conn:
        code, uid = conn.execute(select(portal_unit.c.code, portal_unit.c.unit_id)
                                 .where(portal_unit.c.level == "commune").order_by(portal_unit.c.code)).first()
        other = conn.execute(select(unit.c.code).where(unit.c.parent_id == select(unit.c.parent_id)
                                                       .where(unit.c.id == uid).scalar_subquery(),
                                                       unit.c.id != uid)).scalars().first()
    rc, _, err = _cli("portal-codes", "--db", db_url, "set", code, "--unit", other)
    assert rc == 0, err
    moved = [r for r in _scores(db_url, "--level", "commune") if r["unit_code"] == other]
    assert moved and all(r["component"] == "TDGQ" for r in moved)
    rc, _, err = _cli("portal-codes", "--db", db_url, "set", code, "--unit", "99999")
    assert rc == 1 and "99999" in err


def _count(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar()
                     for t in (load_batch, score_stat, portal_unit, agency))


def test_fetch766_saves_captures_and_loads_them(db_url: str, tmp_path: Path) -> None:
    from tests.test_fetch766 import Replay, _handler

    replay = Replay()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(replay))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        rc, _, err = _cli("fetch766", "--db", db_url, "--year", "2026", "--quarter", "3", "--province", "44",
                          "--base-url", base, "--out", str(tmp_path / "cap"), "--interval", "0", "--retries", "1")
    finally:
        server.shutdown()
        server.server_close()
    assert rc == 0, err
    saved = sorted(p.name for p in (tmp_path / "cap").glob("*.json"))
    assert len(saved) == 4 and any("dvc-progress-tree" in s for s in saved)
    assert len({r["unit_code"] for r in _scores(db_url, "--level", "province")}) == 34
    assert _scores(db_url, "--level", "commune")
    engine = get_engine(db_url)
    with engine.connect() as conn:
        kinds = conn.execute(select(load_batch.c.kind, func.count()).group_by(load_batch.c.kind)).all()
    assert dict(kinds) == {"portal": 4}



@pytest.mark.postgres
def test_scores_on_postgresql(pg_engine: Engine, pg_url: str, tmp_path: Path) -> None:
    body = F.national_service_results()
    assert _load_national(pg_engine, tmp_path, body).status == "loaded"
    res = load_file(pg_engine, _write(tmp_path, "qt.json", F.envelope(F.dvc_progress_tree(), "dvc-progress-tree",
                                                                       QT_REQ)))
    assert res.status == "loaded"
    rows = {(r["unit_code"], r["component"]): r for r in _scores(pg_url, "--level", "province")}
    assert float(rows[("44", "total")]["score"]) == _qt_total(body)
    assert rows[("44", "total")]["rank_of"] == "34"


def test_web_upload_previews_a_portal_file_and_keeps_to_the_scope(engine: Engine, tmp_path: Path) -> None:
    from data import auth
    from etl.preview import preview

    data = F.envelope(F.national_service_results(), "service-results", NAT_REQ)
    pv = preview(engine, data, "766_2026-Q3_VN_service-results.json")
    assert pv.can_confirm and len(pv.lines) == 34 and [p.label for p in pv.periods] == ["Quý III/2026"]
    qt = next(ln for ln in pv.lines if ln.subject == "Tỉnh Quảng Trị")
    assert qt.counts["score_total"] == _qt_total(F.national_service_results())
    auth.add_user(engine, "bc_dien_bien", "reporter", "mat-khau-dai-du-10", units=["11"])
    pv = preview(engine, data, "766.json", auth.get_user(engine, "bc_dien_bien"))
    assert not pv.can_confirm
    outside = [f for f in pv.errors if f.rule == "outside_scope"]
    assert len(outside) == 33 and any("Tỉnh Quảng Trị" in f.message for f in outside)


def test_web_upload_takes_period_and_capture_date_for_a_bare_portal_file(engine: Engine, tmp_path: Path) -> None:
    from data import auth
    from etl.preview import confirm_upload, start_upload

    auth.add_user(engine, "bc_tinh", "admin", "mat-khau-dai-du-10")
    user = auth.get_user(engine, "bc_tinh")
    bare = F.to_bytes(F.national_service_results())
    pv, token = start_upload(engine, bare, "service-results.json", user)
    assert token is None and any(f.rule == "portal_no_period" for f in pv.errors)
    pv, token = start_upload(engine, bare, "service-results.json", user, period=P.parse_spec("2026-08"),
                             as_of=P.date(2026, 9, 5))
    assert token is not None and pv.can_confirm
    done = confirm_upload(engine, token, user)
    assert done.ok, done.message
    with engine.connect() as conn:
        b = conn.execute(select(load_batch).where(load_batch.c.id == done.batch_id)).one()
    assert b.kind == "portal" and str(b.as_of)[:10] == "2026-09-05" and b.loaded_by == "bc_tinh"


def test_the_portals_channel_total_below_its_received_total_is_a_finding(engine: Engine, tmp_path: Path) -> None:
    """Real captures differ: a province's channels add up to 24 dossiers fewer than it received."""
    _load_national(engine, tmp_path)
    progress = F.dvc_progress_tree()
    online = F.provide_online_tree()
    par = online["data"]["parent"]
    progress["data"]["parent"]["totalReceived"] = par["channelOnlineSum"] + par["channelDirectSum"] + \
        par["channelPostalSum"] + 24
    assert load_file(engine, _write(tmp_path, "qt_dvc.json", F.envelope(progress, "dvc-progress-tree",
                                                                          QT_REQ))).status == "loaded"
    res = load_file(engine, _write(tmp_path, "qt_online.json", F.envelope(online, "provide-online-tree", QT_REQ)))
    assert res.status == "loaded", [str(f) for f in res.errors]
    gaps = [f.message for f in res.findings if f.rule == "portal_differs" and "Quảng Trị" in f.message]
    assert any("chênh -24" in m and "qt_dvc.json" in m for m in gaps), gaps


def test_a_registered_agency_reaches_the_read_side_without_a_restart(engine: Engine, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from data.read import registry as R

    monkeypatch.setattr(R, "RECHECK_SECONDS", 0.0)
    before = len(R.registry(engine).agencies)
    _load_national(engine, tmp_path)
    load_file(engine, _write(tmp_path, "qt_dvc.json", F.envelope(F.dvc_progress_tree(), "dvc-progress-tree", QT_REQ)))
    names = R.registry(engine).agencies["name"].tolist()
    assert len(names) > before and "Ban Quản lý Khu kinh tế tỉnh Quảng Trị" in names


def test_the_periods_offered_follow_a_new_capture(engine: Engine, tmp_path: Path) -> None:
    from data.read.scores import score_periods

    _load_national(engine, tmp_path)
    assert score_periods(engine, "2025")["spec"].tolist() == ["2026-Q3"]
    body = F.national_service_results()
    path = _write(tmp_path, "aug.json", F.envelope(body, "service-results", {**NAT_REQ, "timeType": "month",
                                                                            "month": 8}))
    assert load_file(engine, path).status == "loaded"
    assert score_periods(engine, "2025")["spec"].tolist() == ["2026-Q3", "2026-08"]  # newest end first


def test_a_national_table_refreshes_only_the_province_rows_and_equals_a_rebuild(engine: Engine,
                                                                                tmp_path: Path) -> None:
    from data.build import rebuild
    from etl.demo import run_demo

    assert run_demo(engine, "45", until="2025-12") == 0  # demo scores of Quảng Trị's communes and agencies

    def below_provinces() -> list[tuple]:
        with engine.connect() as conn:
            return sorted(conn.execute(select(agg_score).where(agg_score.c.level != "province")).all())

    before = below_provinces()
    req = {"timeType": "quarter", "year": 2025, "quarter": 4, "departmentType": "ADMINISTRATIVE_UNIT"}
    first, later = F.national_service_results(), F.national_service_results(seed=767)
    for name, body, at in (("q4.json", first, "2026-01-05T08:00:00"), ("q4b.json", later, "2026-01-20T08:00:00")):
        assert load_file(engine, _write(tmp_path, name, F.envelope(body, "service-results", req,
                                                                   fetched_at=at))).status != "rejected"
    with engine.begin() as conn:
        report = rebuild(conn, progress=False)
    assert report["agg_score"][1:] == (0, 0)  # nothing differed, nothing was left over
    assert len(before) > 500 and below_provinces() == before  # the communes' and agencies' rows untouched

"""The analytics store is kept by the ETL in the transaction of every write: a load refreshes
only the provinces and years it touches, a killed load leaves the previous figures and
aggregates, ``etl rebuild`` finds any difference, and a database from before the store gets one."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from data import periods as P
from data import queries
from data.db import get_engine
from data.schema import STORE_TABLES, agg_dossier
from etl.cli import main
from etl.load import load_file
from tests.files import GOOD_ROW, write_template_csv

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_db(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Điện Biên and Lai Châu, 2019-2024, with their aggregates."""
    path = tmp_path_factory.mktemp("store") / "demo.sqlite"
    shutil.copy(template_db, path)
    assert main(["demo", "--provinces", "11,12", "--until", "2024-12", "--db", f"sqlite:///{path}"]) == 0
    get_engine.cache_clear()
    return path


@pytest.fixture
def demo(demo_db: Path, tmp_path: Path) -> Engine:
    path = tmp_path / "demo.sqlite"
    shutil.copy(demo_db, path)
    return get_engine(f"sqlite:///{path}")


def _rowids(engine: Engine, province_code: str, year: int | None = None) -> list[int]:
    prov = int(queries.find_unit(engine, "legacy", province_code)["id"])
    q = "SELECT rowid FROM agg_dossier WHERE province = :p" + (" AND period_start LIKE :y" if year else "")
    with engine.connect() as conn:
        return [r for (r,) in conn.execute(text(q + " ORDER BY rowid"), {"p": prov, "y": f"{year}-%"})]


def _store(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in STORE_TABLES),
                *conn.execute(select(agg_dossier.c.key, agg_dossier.c.period_start, agg_dossier.c.batches,
                                     agg_dossier.c.online_intake_share__nf)
                              .order_by(agg_dossier.c.key, agg_dossier.c.period_start).limit(2000)).all()]


def test_a_load_refreshes_only_its_provinces_and_years(demo: Engine, tmp_path: Path) -> None:
    lai_chau, dien_bien_2023, dien_bien_2024 = _rowids(demo, "12"), _rowids(demo, "11", 2023), \
        _rowids(demo, "11", 2024)
    ward = {**GOOD_ROW, "unit_name": "", "unit_code": "03124", "period": "2024-03"}  # a ward of Điện Biên Phủ
    res = load_file(demo, write_template_csv(tmp_path / "m3.csv", [ward]))
    assert res.status == "loaded", [str(f) for f in res.findings]
    assert _rowids(demo, "12") == lai_chau  # another province: not a row rewritten
    assert _rowids(demo, "11", 2023) == dien_bien_2023  # another year: not a row rewritten
    assert _rowids(demo, "11", 2024) != dien_bien_2024 and len(_rowids(demo, "11", 2024)) == len(dien_bien_2024)
    uid = int(queries.find_unit(demo, "legacy", "03124")["id"])
    m = queries.level_metrics(demo, P.month(2024, 3), "commune", within=uid).set_index("metric")
    online = m.loc["online_intake_share"]
    assert (online["numerator"], online["denominator"]) == (1234, 1234 + 300 + 25)  # the file's figure
    assert online["dataset"] == "real" and online["source"] == "m3.csv"
    q1 = queries.level_metrics(demo, P.quarter(2024, 1), "commune", within=uid).set_index("metric")
    assert q1.loc["online_intake_share", "dataset"] == "mixed"  # March real, January and February demo
    city = queries.level_metrics(demo, P.month(2024, 3), "district", within=int(
        queries.find_unit(demo, "legacy", "094")["id"])).set_index("metric")
    assert city.loc["online_intake_share", "dataset"] == "mixed"  # the real ward inside demo wards


def test_replacing_a_file_takes_its_old_figures_out_of_the_store(demo: Engine, tmp_path: Path) -> None:
    path = tmp_path / "m3.csv"
    load_file(demo, write_template_csv(path, [{**GOOD_ROW, "unit_name": "", "unit_code": "03124",
                                               "period": "2024-03"}]))
    lai_chau = {**GOOD_ROW, "province_code": "12", "unit_name": "", "unit_code": "03386", "period": "2024-03"}
    res = load_file(demo, write_template_csv(path, [lai_chau]))  # corrected: another province altogether
    assert res.status == "replaced", [str(f) for f in res.findings]
    ward = int(queries.find_unit(demo, "legacy", "03124")["id"])
    m = queries.level_metrics(demo, P.month(2024, 3), "commune", within=ward).set_index("metric")
    assert m.loc["online_intake_share", "dataset"] == "demo"  # the replaced figure is gone from the store
    other = int(queries.find_unit(demo, "legacy", "03386")["id"])
    t = queries.level_metrics(demo, P.month(2024, 3), "commune", within=other).set_index("metric")
    assert t.loc["online_intake_share", "source"] == "m3.csv"


def test_the_store_equals_a_rebuild_after_loads_seed_and_replacements(demo: Engine, tmp_path: Path) -> None:
    from data.build import rebuild

    path = tmp_path / "q.csv"
    load_file(demo, write_template_csv(path, [GOOD_ROW]))  # a quarter: a stated figure over months
    load_file(demo, write_template_csv(path, [{**GOOD_ROW, "received_online": 999}]))
    ward = {**GOOD_ROW, "unit_name": "", "unit_code": "03124", "received_online": 0}
    load_file(demo, write_template_csv(tmp_path / "months.csv", [{**ward, "period": f"2024-{m:02d}"}
                                                                 for m in range(1, 7)]))  # a real commune without online dossiers
    assert main(["seed", "--db", str(demo.url)]) == 0
    with demo.begin() as conn:
        report = rebuild(conn, progress=False)
    assert all(changed == 0 and extra == 0 for _, changed, extra in report.values()), report
    assert report["agg_dossier"][0] > 10000


def test_rebuild_command_finds_and_mends_a_difference(demo: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    with demo.begin() as conn:
        conn.execute(text("UPDATE agg_dossier SET online_intake_share__nf = online_intake_share__nf + 5 "
                          "WHERE rowid IN (SELECT rowid FROM agg_dossier LIMIT 3)"))
        conn.execute(text("DELETE FROM agg_offer WHERE rowid IN (SELECT rowid FROM agg_offer LIMIT 2)"))
    assert main(["rebuild", "--db", str(demo.url)]) == 0
    err = capsys.readouterr().err
    assert "hồ sơ: " in err and "3 dòng khác hoặc thiếu" in err and "TTHC: " in err and "2 dòng khác" in err
    assert "Đã sửa các khác biệt" in err
    assert main(["rebuild", "--db", str(demo.url)]) == 0
    assert "Số liệu tổng hợp đã khớp với số liệu gốc." in capsys.readouterr().err


def test_a_database_from_before_the_store_gets_its_aggregates(demo: Engine,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    with demo.begin() as conn:
        for t in STORE_TABLES:
            conn.execute(t.delete())
    assert queries.data_range(demo) is None  # nothing to show from an empty store
    assert main(["metrics", "--unit", "11", "--period", "2024", "--metric", "online_intake_share",
                 "--db", str(demo.url)]) == 0
    out = capsys.readouterr()
    assert "Tạo số liệu tổng hợp" in out.err and "Tỉnh Điện Biên" in out.out
    assert queries.data_range(demo) is not None


def _kill_during_aggregates(url: str, csv: Path, tmp_path: Path) -> None:
    marker = tmp_path / "aggregating"
    env = {**os.environ, "TTHC_TEST_PAUSE_AGGREGATE": str(marker)}
    proc = subprocess.Popen([sys.executable, "-m", "etl", "load", str(csv), "--db", url], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            if marker.exists():
                break
            time.sleep(0.1)
        else:
            pytest.fail("the load never reached the aggregate step")
        os.kill(proc.pid, signal.SIGKILL)  # in the middle of the transaction: figures written, store half done
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()


def _killed_load_keeps_everything(engine: Engine, url: str, tmp_path: Path) -> None:
    before, batches = _store(engine), queries.batches(engine)
    csv = write_template_csv(tmp_path / "m3.csv", [{**GOOD_ROW, "period": "2024-03"}])
    _kill_during_aggregates(url, csv, tmp_path)
    engine.dispose()
    assert _store(engine) == before
    assert queries.batches(engine).equals(batches)  # no batch, no figure of the killed load
    res = load_file(engine, csv)  # and the database takes the same file afterwards
    assert res.status == "loaded"
    assert _store(engine) != before


def test_a_load_killed_during_the_aggregate_step_leaves_everything_as_it_was(demo: Engine, tmp_path: Path) -> None:
    _killed_load_keeps_everything(demo, str(demo.url), tmp_path)


@pytest.mark.postgres
def test_a_load_killed_during_the_aggregate_step_postgres(pg_url: str, tmp_path: Path) -> None:
    assert main(["demo", "--provinces", "11", "--until", "2024-12", "--db", pg_url]) == 0
    _killed_load_keeps_everything(get_engine(pg_url), pg_url, tmp_path)

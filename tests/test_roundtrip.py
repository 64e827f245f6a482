"""End-to-end through the command line on SQLite and on a real PostgreSQL server.

The same commands on both backends must print the same indicators.
"""

from __future__ import annotations

import csv
import io

import pytest

from etl.cli import main

DEMO = ["demo", "--provinces", "12", "--until", "2019-06"]  # Lai Châu, six months: quick


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr().out
    assert code == 0, f"{args} exited {code}"
    return out


def _pipeline(capsys: pytest.CaptureFixture[str], url: str) -> dict[str, str]:
    _run(capsys, "init", "--db", url)
    _run(capsys, "seed", "--db", url)
    _run(capsys, *DEMO, "--db", url)
    return {
        "seed_metrics": _run(capsys, "metrics", "--scheme", "legacy", "--period", "2017-2019", "--db", url),
        "district_overdue": _run(capsys, "metrics", "--unit", "11", "--level", "district", "--metric",
                                 "overdue_rate", "--db", url),
        "demo_quarter": _run(capsys, "metrics", "--unit", "12", "--scheme", "legacy", "--period", "2019-Q1",
                             "--db", url),
        "findings": _run(capsys, "findings", "--db", url),
    }


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.postgres
def test_sqlite_and_postgres_print_the_same(capsys: pytest.CaptureFixture[str], db_url: str, pg_url: str) -> None:
    lite = _pipeline(capsys, db_url)
    pg = _pipeline(capsys, pg_url)
    for key in lite:
        assert _rows(lite[key]) == _rows(pg[key]), key
    # and they hold the source figures
    seed = _rows(lite["seed_metrics"])
    pairs = {(r["metric"], r["numerator"], r["denominator"]) for r in seed}
    assert ("postal_intake_share", "54346", "648098") in pairs
    assert ("postal_return_share", "156120", "489085") in pairs
    overdue = {(r["unit_name"], r["numerator"], r["denominator"]) for r in _rows(lite["district_overdue"])}
    assert ("Thành phố Điện Biên Phủ", "2037", "2486") in overdue
    demo = _rows(lite["demo_quarter"])
    assert demo and all(r["period_label"] == "Quý I/2019" for r in demo)

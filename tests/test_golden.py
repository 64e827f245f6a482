"""The analytics store answers what the read side it replaced answered (issue 8).

``tests/golden/*.json.gz`` hold the answers of the previous read side (commit 2561ccb, which
rolled raw rows up in pandas at request time) for a seeded sample of views (tests/golden/views.py):
240 over demo data of four provinces (two of them merged on 1/7/2025) and 71 over the real seed
figures inside demo data. The data sets are rebuilt here from nothing by the ETL, on SQLite and
on PostgreSQL, and every view is asked again through ``data.queries``.

Where a rule was changed on purpose, the comparison says how (docs/data_model.md):
1. A subject that reported only part of a period (the agencies merged on 1/3/2025) now counts in
   its province for the months it reported; the old side dropped it from every period it did not
   cover whole. Legacy and "as today" views of a province or the country over a period holding
   both February and March 2025 differ in their dossier indicators only.
2. An as-of indicator (the postal agreement share) is shown for a period without dossier figures.
3. Trends and heatmaps: indicators of flows agree. The old side summed monthly pairs for them, so
   the stock-based ones (carried over, in progress) counted stocks every month, and trends had no
   procedure-offer indicators at all.
4. Seed figures: a stated figure of a subject (a year, 9 months, a span of days) replaces that
   subject's months for the indicators it states and for the periods it makes up; a snapshot
   lacking an indicator no longer hides the catalogue that has it. Every real figure the old side
   showed is shown identically, and views away from the seed units and years agree whole.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from data import metrics, queries
from tests.golden.sets import build
from tests.golden.views import answer

GOLDEN = Path(__file__).resolve().parent / "golden"
DOSSIER = {m.id for m in metrics.METRICS if m.source == "dossier"}
FLOWS = {"online_intake_share", "postal_intake_share", "postal_return_share", "on_time_rate",
         "overdue_settled_rate"}
SEED_UNITS = {"11", "24", "45", "44", "094", "096", "102"}  # provinces (both schemes) and districts with seed figures


def _recorded(name: str) -> list[dict]:
    return json.loads(gzip.decompress((GOLDEN / f"{name}_views.json.gz").read_bytes()))


def _spans_restructure(period: list[str]) -> bool:
    return period[0] <= "2025-02-28" and period[1] >= "2025-03-01"


def _comparison(view: dict) -> list[str]:
    from datetime import date

    from components.state import comparison_period
    from data import periods as P

    prev = comparison_period(P.classify(date.fromisoformat(view["period"][0]), date.fromisoformat(view["period"][1])),
                             view["compare"])
    return [prev.start.isoformat(), prev.end.isoformat()] if prev else ["", ""]


def _rows(rows: list[list], keep) -> dict:  # noqa: ANN001
    return {r[0]: r for r in rows if keep(r[0])}


def _check_demo(view: dict, new: dict, old: dict) -> list[str]:
    problems = []
    top = view["unit"] is None or view["unit_level"] == "province"
    for part, period in (("cur", view["period"]), ("old", _comparison(view))):
        restructured = top and view["scheme"] in ("legacy", "today") and _spans_restructure(period)
        keep = (lambda m: m not in DOSSIER) if restructured else (lambda m: True)
        a, b = _rows(new[part], keep), _rows(old[part], keep)
        extra = {m for m in a.keys() - b.keys() if m == "bcci_agreement_share" and not any(r in DOSSIER for r in b)}
        if {k: v for k, v in a.items() if k not in extra} != b:
            problems.append(f"{part}: {sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))}")
    restructured = view["unit"] is None and view["scheme"] in ("legacy", "today") and _spans_restructure(view["period"])
    keep = (lambda m: m not in DOSSIER) if restructured else (lambda m: True)
    if not restructured and new["kids"] != old["kids"] or restructured and {
            m: v for m, v in new["kids"]["metrics"].items() if keep(m)} != {
            m: v for m, v in old["kids"]["metrics"].items() if keep(m)}:
        problems.append(f"kids: {new['kids']['metrics']} != {old['kids']['metrics']}")
    problems += _flows(new, old)
    if new.get("departments") != old.get("departments"):
        problems.append("departments")
    return problems


def _flows(new: dict, old: dict) -> list[str]:
    out = []
    for part in ("trend", "heat"):
        a = {m: v for m, v in new[part]["metrics"].items() if m in FLOWS}
        b = {m: v for m, v in old[part]["metrics"].items() if m in FLOWS}
        if a != b:
            out.append(f"{part}: {a} != {b}")
    return out


def _check_seed(view: dict, new: dict, old: dict) -> list[str]:
    problems = []
    for part in ("cur", "old"):  # every real figure exactly as before
        got = _rows(new[part], lambda m: True)
        for r in old[part]:
            if r[3] == "real" and got.get(r[0]) != r:
                problems.append(f"{part}: real figure {r} became {got.get(r[0])}")
    near_seed = view["period"][0] <= "2020-09-30" and (view["unit"] is None or view["unit"] in SEED_UNITS)
    if not near_seed:
        problems += _check_demo(view, new, old)
    return problems


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def _engine(name: str, backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN202
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'g.sqlite'}"
    else:
        from tests.conftest import _admin_execute

        admin = request.getfixturevalue("pg_admin_url")
        db = f"golden_{name}"
        _admin_execute(admin, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        _admin_execute(admin, f"CREATE DATABASE {db}")
        url = admin.rsplit("/", 1)[0] + f"/{db}"
    return build(url, name)


@pytest.fixture(scope="module")
def demo_engine(backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    return _engine("demo", backend, request, tmp_path_factory)


@pytest.fixture(scope="module")
def seed_engine(backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    return _engine("seed", backend, request, tmp_path_factory)


def test_demo_views_answer_as_before(demo_engine) -> None:  # noqa: ANN001
    recorded = _recorded("demo")
    assert len(recorded) >= 200
    failures = {}
    for item in recorded:
        problems = _check_demo(item["view"], answer(demo_engine, item["view"], queries), item["answer"])
        if problems:
            failures[item["view"]["id"]] = (item["view"], problems)
    assert not failures, json.dumps(failures, ensure_ascii=False, indent=1)[:6000]


def test_seed_views_answer_as_before(seed_engine) -> None:  # noqa: ANN001
    failures = {}
    whole = 0
    for item in _recorded("seed"):
        new = answer(seed_engine, item["view"], queries)
        problems = _check_seed(item["view"], new, item["answer"])
        whole += all(new[p] == item["answer"][p] for p in ("cur", "old", "kids"))
        if problems:
            failures[item["view"]["id"]] = (item["view"], problems)
    assert not failures, json.dumps(failures, ensure_ascii=False, indent=1)[:6000]
    assert whole >= 40  # most seed views agree in every figure of the unit and its children

"""Benchmark of the write and read side at national size (not a test).

    .venv/bin/python scripts/bench_etl.py [--db URL] [--load-db URL]

Creates a fresh database (default: a temporary SQLite file), runs `init` and
`demo --provinces all`, exports one year of the national demo rows in the project's import
template and times `load` of that file into a second fresh database, then times the main
queries. Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text  # noqa: E402

from data import periods as P  # noqa: E402
from data import queries  # noqa: E402
from data.db import get_engine  # noqa: E402
from data.queries import units_frame  # noqa: E402
from data.schema import DOSSIER_COUNTS, agency, dossier_stat, load_batch, period, unit  # noqa: E402
from etl.cli import main as etl  # noqa: E402
from etl.extract import TEMPLATE_COLUMNS  # noqa: E402


def timed(label: str, fn, results: list) -> object:  # noqa: ANN001
    t = time.perf_counter()
    out = fn()
    results.append((label, time.perf_counter() - t))
    print(f"{label}: {results[-1][1]:.1f} s", file=sys.stderr)
    return out


def export_year(url: str, year: int, path: Path) -> int:
    """Write one year of demo rows as a template CSV (codes, agency type codes, counts)."""
    return export_template(url, path, date(year, 1, 1), date(year, 12, 31))


def export_template(url: str, path: Path, first: date, last: date, limit: int | None = None,
                    dataset: str | None = None) -> int:
    """Write the monthly dossier rows from ``first`` to ``last`` (the first ``limit`` of them, of
    batches of ``dataset`` when given) as the project's template CSV: codes, agency type codes,
    counts. Returns the number of rows."""
    engine = get_engine(url)
    prov = unit.alias("prov")
    q = (
        select(unit.c.code, agency.c.type_code, prov.c.code.label("prov_code"), period.c.start_date,
               *[dossier_stat.c[c] for c in DOSSIER_COUNTS])
        .join(unit, unit.c.id == dossier_stat.c.unit_id)
        .outerjoin(agency, agency.c.id == dossier_stat.c.agency_id)
        .outerjoin(prov, prov.c.id == agency.c.unit_id)
        .join(period, period.c.id == dossier_stat.c.period_id)
        .join(load_batch, load_batch.c.id == dossier_stat.c.batch_id)
        .where(period.c.kind == "month", period.c.start_date >= first, period.c.end_date <= last)
        .order_by(period.c.start_date, dossier_stat.c.id)
    )
    if dataset is not None:
        q = q.where(load_batch.c.dataset == dataset)
    if limit is not None:
        q = q.limit(limit)
    fields = [f for f, _ in TEMPLATE_COLUMNS]
    n = 0
    with engine.connect() as conn, path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([h for _, h in TEMPLATE_COLUMNS])
        for r in conn.execute(q):
            row = dict.fromkeys(fields, "")
            row["period"] = f"{r.start_date:%Y-%m}"
            if r.type_code:
                row["province_code"], row["agency"] = r.prov_code, r.type_code
            else:
                row["unit_code"] = r.code
            for c in ("received_carried", "received_online", "received_postal", "settled_early", "settled_on_time",
                      "settled_overdue", "pending_within", "pending_overdue", "returned_total", "returned_postal"):
                row[c] = getattr(r, c)
            row["received_direct"] = r.received_direct_postal - r.received_postal
            w.writerow([row[f] for f in fields])
            n += 1
    return n


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="database for init + demo (default: temporary SQLite)")
    ap.add_argument("--load-db", help="database for the load test (default: temporary SQLite)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tthc-bench-"))
    url = args.db or f"sqlite:///{tmp / 'bench.sqlite'}"
    load_url = args.load_db or f"sqlite:///{tmp / 'load.sqlite'}"
    res: list[tuple[str, float]] = []
    timed("init (schema, 14.149 units, lineage, agencies)", lambda: etl(["init", "--db", url]), res)
    timed("demo --provinces all", lambda: etl(["demo", "--provinces", "all", "--db", url]), res)
    engine = get_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(func.sum(load_batch.c.rows))).scalar_one()
        dossiers = conn.execute(select(func.count()).select_from(dossier_stat)).scalar_one()
        if engine.dialect.name == "postgresql":
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        else:
            size = os.path.getsize(engine.url.database)
    csv_path = tmp / "national_2024.csv"
    n_csv = timed("export 2024 as template CSV", lambda: export_year(url, 2024, csv_path), res)
    etl(["init", "--db", load_url])
    timed(f"load national_2024.csv ({n_csv:,} rows)".replace(",", "."),
          lambda: etl(["load", str(csv_path), "--db", load_url]), res)
    u = units_frame(engine)
    dien_bien = int(u[(u.scheme == "legacy") & (u.level == "province") & (u.code == "11")].index[0])
    for label, fn in [
        ("query: 63 provinces, one month", lambda: queries.level_metrics(engine, P.month(2024, 3), "province",
                                                                          scheme="legacy")),
        ("query: 63 provinces, one year", lambda: queries.level_metrics(engine, P.year_period(2024), "province",
                                                                         scheme="legacy")),
        ("query: communes of one province, one year",
         lambda: queries.children_metrics(engine, dien_bien, "commune", P.year_period(2024))),
        ("query: departments of one province, one quarter",
         lambda: queries.agency_comparison(engine, dien_bien, P.quarter(2024, 1))),
        ("query: 2024 on today's 34 provinces", lambda: queries.as_today(engine, P.year_period(2024))),
    ]:
        fn()  # warm
        timed(label, fn, res)
    print("\n| step | seconds |\n|---|---:|")
    for label, sec in res:
        print(f"| {label} | {sec:.2f} |")
    print(f"\nrows written by demo: {rows:,} (dossier rows {dossiers:,}); database size {size / 2**20:.0f} MB;"
          f" template CSV {csv_path.stat().st_size / 2**20:.0f} MB, {n_csv:,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())

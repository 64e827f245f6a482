"""``python -m etl portal-codes`` and ``python -m etl fetch766``."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from sqlalchemy import Engine, select, update

from data.build import footprint, refresh
from data.read.registry import clear as clear_registry
from data.schema import dossier_stat, load_batch, portal_unit, procedure_offer, score_stat
from data.units import scheme_for
from etl.portal_codes import correct, list_rows, strip_committee
from etl.resolve import Resolver

CAPTURES = Path(__file__).resolve().parent.parent / "data" / "captures"


def run_portal_codes(engine: Engine, action: str, code: str | None, scheme: str, unit_code: str | None,
                     agency_name: str | None, by: str | None = None) -> int:
    if action == "list":
        with engine.connect() as conn:
            rows = list_rows(conn, scheme)
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(["scheme", "code", "level", "unit_code", "unit_name", "agency", "name_seen", "matched",
                    "updated_at", "updated_by"])
        for r in rows:
            w.writerow(r.values())
        return 0
    if not code:
        print("LỖI: hãy cho mã của Cổng, ví dụ: python -m etl portal-codes set H44.129 --unit 12345", file=sys.stderr)
        return 2
    try:
        with engine.begin() as conn:
            resolver = Resolver.load(conn)
            what = correct(conn, resolver, scheme, code, unit_code, agency_name, by)
            moved = repoint(conn, scheme, code)
    except ValueError as exc:
        print(f"LỖI: {exc}", file=sys.stderr)
        return 1
    clear_registry()
    print(f"Đã sửa: {what}; {moved} dòng số liệu của Cổng được chuyển theo.", file=sys.stderr)
    return 0


def repoint(conn, scheme: str, code: str) -> int:  # noqa: ANN001
    """Move the stored portal figures of ``code`` to the unit/agency its mapping now names and
    refresh the aggregates of both places. Returns the number of rows moved."""
    m = conn.execute(select(portal_unit).where(portal_unit.c.scheme == scheme, portal_unit.c.code == code)).one()
    portal_batches = select(load_batch.c.id).where(load_batch.c.kind == "portal")
    tables = (score_stat, dossier_stat, procedure_offer)
    conds = {t: [t.c.batch_id.in_(portal_batches), t.c.source_ref.like(f"%!{code}")] for t in tables}
    touched = sorted({int(b) for t in tables for (b,) in conn.execute(select(t.c.batch_id).where(*conds[t]).distinct())})
    if not touched:
        return 0
    before = footprint(conn, touched)  # the old place, before any row moves
    n = sum(conn.execute(update(t).where(*conds[t]).values(unit_id=m.unit_id, agency_id=m.agency_id)).rowcount or 0
            for t in tables)
    refresh(conn, before | footprint(conn, touched))  # once, for the old place and the new
    return n


def run_fetch766(engine: Engine, args: argparse.Namespace) -> int:
    """Fetch the national table (and the trees of the provinces asked for), save each answer as
    a capture envelope, then load every capture."""
    from etl.fetch766 import Fetch766Error, fetch766
    from etl.load import load_file, summary_line

    out_dir = Path(args.out) if args.out else CAPTURES
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = _province_filter(engine, args.province, args.year, args.quarter, args.month)
    try:
        files = fetch766(args.base_url, args.year, quarter=args.quarter, month=args.month, provinces=wanted,
                         out_dir=out_dir, timeout=args.timeout, retries=args.retries, min_interval=args.interval,
                         log=lambda m: print(m, file=sys.stderr))
    except Fetch766Error as exc:
        print(f"LỖI: {exc}", file=sys.stderr)
        return 1
    with engine.connect() as conn:
        resolver = Resolver.load(conn)
    code = 0
    # the national table first: it teaches the provinces' codes to the files of their trees
    for f in sorted(files, key=lambda p: "service-results" not in p.name or "_H" in p.name):
        res = load_file(engine, f, resolver)
        print(summary_line(f.name, res), file=sys.stderr)
        for line in res.notes:
            print(line, file=sys.stderr)
        if res.status == "rejected":
            code = 1
            for finding in res.findings:
                print(f"  {finding}", file=sys.stderr)
    return code


def _province_filter(engine: Engine, provinces: list[str] | None, year: int, quarter: int | None,
                     month: int | None):  # noqa: ANN202
    """None (the national table only) or a predicate on the portal's (code, name) of a province:
    portal codes ("H44") as given, GSO codes ("11") through the unit's name."""
    if not provinces:
        return None
    from datetime import date

    day = date(year, (month or (quarter or 4) * 3), 1)
    scheme = scheme_for(day)
    with engine.connect() as conn:
        resolver = Resolver.load(conn)
    portal = {p.strip().upper() for p in provinces if p.strip().upper().startswith("H")}
    ids = set()
    for p in provinces:
        if p.strip().isdigit():
            uid = resolver.reg.by_code(scheme, "province", p.strip())
            if uid is None:
                raise SystemExit(f"LỖI: không có tỉnh mã “{p}” ({scheme}).")
            ids.add(uid)

    def wanted(code: str | None, name: str) -> bool:
        if code and code.upper() in portal:
            return True
        hits = resolver.by_name(scheme, strip_committee(name), None, ("province",))
        return len(hits) == 1 and hits[0] in ids

    return wanted

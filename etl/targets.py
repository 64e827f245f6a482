"""``etl targets``: every target as CSV on stdout — the national defaults of the metric registry
(kind ``national``, no unit), targets loaded from documents (``document``) and targets set on the
targets page (``manual``, with who set it) — and whether each is in force on the day asked
(today by default). Dates ISO, values as decimal fractions."""

from __future__ import annotations

import csv
import sys
from datetime import date

from sqlalchemy import Engine

from data.read.targets import in_force, source_text, target_list
from etl.report import format_fraction

COLUMNS = ["metric_id", "unit_code", "scheme", "unit_name", "valid_from", "valid_to", "value", "source", "set_by",
           "set_at", "kind", "in_force"]


def run_targets(engine: Engine, on: str | None = None, only_in_force: bool = False) -> int:
    try:
        day = date.fromisoformat(on) if on else date.today()
    except ValueError:
        raise ValueError(f"Ngày “{on}” không hợp lệ; viết YYYY-MM-DD, ví dụ 2026-03-31.") from None
    df = target_list(engine, national=True)
    force = in_force(df, day)
    if only_in_force:
        df, force = df[force], force[force]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r, f in zip(df.to_dict("records"), force, strict=True):
        manual = r["kind"] == "manual"
        writer.writerow([r["metric_id"], r["unit_code"] or "", r["scheme"] or "", r["unit_name"],
                         r["valid_from"].isoformat(), r["valid_to"].isoformat(), format_fraction(float(r["value"])),
                         r["source"] if not manual else source_text(r), r["set_by"] if manual else "",
                         r["set_at"].isoformat(sep=" ") if manual else "", r["kind"], int(bool(f))])
    return 0

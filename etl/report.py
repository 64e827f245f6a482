"""``etl metrics`` and ``etl findings``: indicators and validation findings as CSV on stdout.

The rows come from ``data.read.table`` (options, order) and ``data.queries``; this module only
formats them: dates ISO, counts as plain integers, values as plain decimal fractions.
"""

from __future__ import annotations

import csv
import math
import sys

from sqlalchemy import Engine

from data import queries
from data.read.table import metrics_chunks

COLUMNS = ["unit_code", "unit_name", "scheme", "period_start", "period_end", "period_label", "metric",
           "numerator", "denominator", "value"]
FINDING_COLUMNS = ["batch", "file", "sheet", "row", "column", "rule", "severity", "message"]


def format_number(x: float) -> str:
    """A count as a plain integer ("648098"); a non-integer as its shortest exact repr."""
    x = float(x)
    return str(int(x)) if x.is_integer() else repr(x)


def format_fraction(x: float) -> str:
    """A share as a plain decimal fraction with 12 decimals, trailing zeros dropped."""
    if math.isnan(x):
        return ""
    return f"{x:.12f}".rstrip("0").rstrip(".") if x else "0"


def run_metrics(engine: Engine, unit: str | None = None, level: str | None = None, period: str | None = None,
                metric: str | None = None, scheme: str | None = None) -> int:
    """Print the indicators as CSV, streamed chunk by chunk; bad options raise ValueError
    (checked before anything is printed)."""
    chunks = metrics_chunks(engine, unit, level, period, metric, scheme)
    first = next(chunks, None)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(COLUMNS)
    n = 0
    for df in ([first] if first is not None else []):
        n += _write(writer, df)
    for df in chunks:
        n += _write(writer, df)
    if n == 0:
        print("Không có số liệu phù hợp.", file=sys.stderr)
    return 0


def _write(writer, df) -> int:  # noqa: ANN001
    for r in df.itertuples(index=False):
        writer.writerow([r.code, r.name, r.scheme, r.period_start.isoformat(), r.period_end.isoformat(),
                         r.period_label, r.metric, format_number(r.numerator), format_number(r.denominator),
                         format_fraction(r.value)])
    sys.stdout.flush()
    return len(df)


def run_findings(engine: Engine, batch: int | None = None) -> int:
    """Print the findings of the active batches (or of one batch) as CSV."""
    df = queries.findings_table(engine, batch)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(FINDING_COLUMNS)
    for r in df.itertuples(index=False):
        writer.writerow(["" if v is None or (isinstance(v, float) and math.isnan(v))
                         else int(v) if isinstance(v, float) else v for v in r])
    if batch is not None and df.empty:
        print(f"Lô {batch}: không có kết quả kiểm tra nào.", file=sys.stderr)
    return 0

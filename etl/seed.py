"""``python -m etl seed``: load the real figures transcribed from the source documents.

``data/reference/seed_figures.csv`` holds one row per figure with its document, date and the
sentence it comes from. Figures of one subject and period are stored as one row; every stored
row's ``source_ref`` cites the document and quote(s). A percentage stated next to its counts
is kept too, and a disagreement becomes a warning finding (Bắc Giang: 10,08 % for 23/212).
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from data import metrics
from data.periods import classify
from data.schema import count_stat, dossier_stat, procedure_offer, stated_value, target
from data.text import nfc
from data.units import Registry
from etl.store import Finding, PeriodCache, close_batch, insert_rows, open_batch, save_findings, sha256_of
from etl.validate import stated_percentage_finding

SEED_FILE = Path(__file__).resolve().parent.parent / "data" / "reference" / "seed_figures.csv"
_WIDE = {"dossier_stat": dossier_stat, "procedure_offer": procedure_offer}


def _source_ref(rows: list[dict]) -> str:
    first = rows[0]
    quotes = list(dict.fromkeys(nfc(r["quote"]) for r in rows))
    head = f"{first['document']} — {nfc(first['title'])}"
    if first["document_date"]:
        head += f" ({first['document_date']})"
    return head + ": «" + " | ".join(quotes) + "»"


def read_seed(path: Path = SEED_FILE) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [{k: (v or "").strip() for k, v in r.items()} for r in csv.DictReader(fh)]


def run_seed(engine: Engine, path: Path = SEED_FILE) -> int:
    """Load the seed figures as one 'real' batch; a second run changes nothing."""
    rows = read_seed(path)
    with engine.begin() as conn:
        batch_id, replaced, covered = open_batch(
            conn, kind="seed", dataset="real", file_name=path.name, sha256=sha256_of(path), rows=len(rows),
            note="Số liệu trích từ các tài liệu nguồn (shared/seeds)",
        )
        if batch_id is None:
            print(f"{path.name}: đã nạp trước đó, không thay đổi.", file=sys.stderr)
            return 0
        reg = Registry(conn)
        periods = PeriodCache(conn)
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for i, r in enumerate(rows, start=2):  # line 1 is the header
            r["_line"] = i
            unit_id = reg.by_code(r["scheme"], r["unit_level"], r["unit_code"])
            if unit_id is None:
                raise ValueError(f"{path.name} dòng {i}: không có đơn vị mã {r['unit_code']} ({r['scheme']}).")
            agency_id = reg.match_agency(unit_id, r["agency_type"]) if r["agency_type"] else None
            if r["agency_type"] and agency_id is None:
                raise ValueError(f"{path.name} dòng {i}: không có cơ quan {r['agency_type']}.")
            per = classify(date.fromisoformat(r["period_start"]), date.fromisoformat(r["period_end"]),
                           nfc(r["period_label"]))
            r.update(_unit=unit_id, _agency=agency_id, _period=per)
            key = (r["table"], unit_id, agency_id, r["scope"], per, r["counted_level"], r["field"]
                   if r["table"] in ("count_stat", "stated_value", "target") else "")
            groups[key].append(r)

        wide: dict[str, list[dict]] = defaultdict(list)
        dossiers: dict[tuple, dict] = {}
        counts, stated, targets = [], [], []
        for (table, unit_id, agency_id, scope, per, counted, field), grp in groups.items():
            base = {"batch_id": batch_id, "source_ref": _source_ref(grp), "unit_id": unit_id,
                    "agency_id": agency_id, "scope": scope, "period_id": periods.id_for(per)}
            if table in _WIDE:
                wide[table].append({**base, **{r["field"]: int(r["value"]) for r in grp}})
                if table == "dossier_stat":
                    dossiers[(unit_id, agency_id, scope, per)] = wide[table][-1]
            elif table == "count_stat":
                counts.append({**base, "measure": field, "counted_level": counted, "value": int(grp[0]["value"])})
            elif table == "stated_value":
                r = grp[0]
                stated.append({**base, "metric_id": field, "value": float(r["value"]),
                               "stated_text": r["stated_text"], "note": r["note"] or None})
            elif table == "target":
                targets.append({"metric_id": field, "unit_id": unit_id, "valid_from": per.start,
                                "valid_to": per.end, "value": float(grp[0]["value"]),
                                "source": _source_ref(grp), "batch_id": batch_id})
            else:
                raise ValueError(f"{path.name} dòng {grp[0]['_line']}: bảng không hợp lệ {table!r}.")
        for table, trows in wide.items():
            insert_rows(conn, _WIDE[table], _fill(trows, _WIDE[table]))
        insert_rows(conn, count_stat, counts)
        insert_rows(conn, stated_value, stated)
        insert_rows(conn, target, targets)
        findings = _stated_findings(path.name, rows, dossiers)
        save_findings(conn, batch_id, findings, periods)
        close_batch(conn, batch_id, covered)
    n_figures = sum(len(v) for v in wide.values()) + len(counts) + len(stated) + len(targets)
    print(
        f"{path.name}: đã nạp {len(rows)} số liệu thành {n_figures} dòng"
        + (f" (thay thế lô {replaced})" if replaced else "")
        + f"; {len(findings)} cảnh báo.",
        file=sys.stderr,
    )
    for f in findings:
        print(f"  {f}", file=sys.stderr)
    return 0


def _fill(rows: list[dict], table) -> list[dict]:  # noqa: ANN001
    cols = [c.name for c in table.columns if c.name != "id"]
    return [{c: r.get(c) for c in cols} for r in rows]


def _stated_findings(file: str, rows: list[dict], dossier_rows: dict[tuple, dict]) -> list[Finding]:
    """Compare each stated percentage with the counts stored for the same subject and period."""
    out = []
    for r in rows:
        if r["table"] != "stated_value":
            continue
        counts = dossier_rows.get((r["_unit"], r["_agency"], r["scope"], r["_period"]))
        if counts is None:
            continue
        calc = metrics.compute(pd.DataFrame([counts]), [r["field"]])
        if calc.empty:
            continue
        f = stated_percentage_finding(
            r["stated_text"], float(calc["numerator"].iloc[0]), float(calc["denominator"].iloc[0]),
            file=file, row=r["_line"], column="stated_text",
            what=f"{metrics.get(r['field']).label_vi}, {r['_period'].label}",
        )
        if f is not None:
            f.unit_id, f.period = r["_unit"], r["_period"]
            out.append(f)
    return out

"""``etl metrics`` and ``etl findings``: indicators and validation findings as CSV on stdout."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator

import pandas as pd
from sqlalchemy import Engine

from data import metrics as metric_registry
from data import queries
from data.aggregate import agencies_frame, subtree_ids, units_frame
from data.periods import Period, parse_spec
from data.text import fold, name_key
from data.units import SCHEME_CHANGE, parse_scheme

COLUMNS = ["unit_code", "unit_name", "scheme", "period_start", "period_end", "period_label", "metric",
           "numerator", "denominator", "value"]
LEVELS = ("province", "district", "commune", "department")
METRIC_ORDER = {m.id: i for i, m in enumerate(metric_registry.METRICS)}


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _fraction(x: float) -> str:
    return f"{x:.12f}".rstrip("0").rstrip(".") if x else "0"


def resolve_unit(engine: Engine, text: str, scheme: str | None, level: str | None) -> tuple[str, int]:
    """('unit', id) or ('agency', id) for a code ("11", "094", "24.SNV") or a name."""
    units = units_frame(engine)
    text = text.strip()
    if "." in text and not text.replace(".", "").isdigit():  # agency code: <province code>.<type>
        prov_code, type_code = text.split(".", 1)
        ag = agencies_frame(engine)
        prov = units[(units["level"] == "province") & (units["code"] == prov_code.zfill(2))]
        if scheme:
            prov = prov[prov["scheme"] == scheme]
        hits = ag[ag["unit_id"].isin(prov.index) & (ag["type_code"].str.upper() == type_code.upper())]
        return _one(engine, [("agency", int(i)) for i in hits.index], text)
    if text.isdigit():
        # official codes are zero-padded: 2 digits (province), 3 (district), 5 (commune)
        cand = units[units["code"] == text] if len(text) in (2, 3, 5) else units[
            units["code"].str.lstrip("0") == text.lstrip("0")]
    else:
        key = name_key(text)
        cand = units[units["short_name"].map(name_key) == key]
        if cand.empty:
            cand = units[units["name"].map(fold).str.contains(fold(text), regex=False)]
    if scheme:
        cand = cand[cand["scheme"] == scheme]
    rank = {"province": 0, "district": 1, "commune": 2}
    if level in rank and len(cand) > 1:
        # children of the unit are asked for: it must lie above that level (and districts
        # exist only before 1/7/2025)
        cand = cand[cand["level"].map(rank) < rank[level]]
        if level == "district":
            cand = cand[cand["scheme"] == "legacy"]
    if len(cand) > 1:
        # "Điện Biên" means the province rather than a commune of the same name
        top = cand["level"].map(rank).min()
        cand = cand[cand["level"].map(rank) == top]
    return _one(engine, [("unit", int(i)) for i in cand.index], text)


def _one(engine: Engine, hits: list[tuple[str, int]], text: str) -> tuple[str, int]:
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise ValueError(f"Không tìm thấy đơn vị hoặc cơ quan: {text!r}.")
    units = units_frame(engine)
    names = [f"{units.at[i, 'name']} ({units.at[i, 'scheme']}, mã {units.at[i, 'code']})" for kind, i in hits[:10]
             if kind == "unit"]
    raise ValueError(f"{text!r} ứng với nhiều đơn vị: {'; '.join(names)}. Thêm --scheme hoặc dùng tên đầy đủ.")


def _infer_scheme(per: Period | None) -> str | None:
    if per is None:
        return None
    if per.end < SCHEME_CHANGE:
        return "legacy"
    if per.start >= SCHEME_CHANGE:
        return "2025"
    return None


def metric_rows(engine: Engine, unit: str | None = None, level: str | None = None, period: str | None = None,
                metric: str | None = None, scheme: str | None = None) -> Iterator[pd.DataFrame]:
    """Frames of indicator rows, one per period, in output order."""
    metric_ids = [metric_registry.get(metric).id] if metric else None
    if level is not None and level not in LEVELS:
        raise ValueError(f"Cấp không hợp lệ: {level!r} (dùng {', '.join(LEVELS)}).")
    scheme = parse_scheme(scheme) if scheme else None
    per = parse_spec(period) if period else None
    scheme_for_unit = scheme or _infer_scheme(per)
    units = units_frame(engine)
    target: tuple[str, int] | None = resolve_unit(engine, unit, scheme_for_unit, level) if unit else None

    if target is not None and target[0] == "agency":
        ag = agencies_frame(engine)
        prov = int(ag.at[target[1], "unit_id"])
        plan = [("department", prov, target[1])]
    elif target is not None:
        u = units.loc[target[1]]
        plan = [(level, target[1], None)] if level else [(u["level"], target[1], target[1])]
    else:
        plan = [(lvl, None, None) for lvl in ([level] if level else LEVELS)]

    if per is not None:
        periods = [per]
    else:
        ids = subtree_ids(units, plan[0][1]) if plan[0][1] is not None else None
        periods = queries.stored_periods(engine, ids, scheme)
    # With no unit, level or period: what is stored, as stored (no roll-ups, no aggregation).
    stored_only = unit is None and level is None and period is None
    for p in periods:
        frames = []
        for lvl, within, only in plan:
            df = queries.level_metrics(engine, p, lvl, within=within, scheme=scheme, metric_ids=metric_ids,
                                       stored_only=stored_only)
            if only is not None:
                df = df[df["key"] == only]
            frames.append(df)
        out = pd.concat([f for f in frames if not f.empty], ignore_index=True) if any(
            not f.empty for f in frames) else None
        if out is None:
            continue
        out["_lvl"] = out["level"].map(queries.LEVEL_ORDER)
        out["_m"] = out["metric"].map(METRIC_ORDER)
        yield out.sort_values(["scheme", "_lvl", "code", "_m"], kind="stable")


def run_metrics(engine: Engine, unit: str | None = None, level: str | None = None, period: str | None = None,
                metric: str | None = None, scheme: str | None = None) -> int:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(COLUMNS)
    n = 0
    for df in metric_rows(engine, unit, level, period, metric, scheme):
        for r in df.itertuples(index=False):
            writer.writerow([r.code, r.name, r.scheme, r.period_start.isoformat(), r.period_end.isoformat(),
                             r.period_label, r.metric, _number(r.numerator), _number(r.denominator),
                             _fraction(r.value)])
            n += 1
    if n == 0:
        print("Không có số liệu phù hợp.", file=sys.stderr)
    return 0


def run_findings(engine: Engine, batch: int | None = None) -> int:
    df = queries.findings_table(engine, batch)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["batch", "file", "sheet", "row", "column", "rule", "severity", "message"])
    for r in df.itertuples(index=False):
        writer.writerow(["" if pd.isna(v) else (int(v) if isinstance(v, float) else v) for v in r])
    return 0

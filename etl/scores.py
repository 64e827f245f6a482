"""``python -m etl scores``: Chỉ số 766 as CSV, one line per unit, period and component."""

from __future__ import annotations

import csv
import sys

from sqlalchemy import Engine

from data import metrics
from data import periods as P
from data.read import scores as S
from data.read.registry import registry

COLUMNS = ("unit_code", "unit_name", "scheme", "period_label", "period_start", "period_end", "as_of", "component",
           "score", "max_score", "rank", "rank_of", "source")
LEVELS = ("province", "department", "commune", "district")


def _number(x: object) -> str:
    if x is None or x != x:  # None, NaN
        return ""
    f = float(x)  # type: ignore[arg-type]
    return str(int(f)) if f.is_integer() else f"{f:.2f}".rstrip("0")


def run_scores(engine: Engine, unit: str | None = None, period: str | None = None, level: str | None = None,
               scheme: str | None = None, out=None) -> int:  # noqa: ANN001
    out = out or sys.stdout
    try:
        per = P.parse_spec(period) if period else None
    except ValueError as exc:
        print(f"LỖI: {exc}", file=sys.stderr)
        return 2
    if level and level not in LEVELS:
        print(f"LỖI: cấp “{level}” không có; chọn một trong: {', '.join(LEVELS)}.", file=sys.stderr)
        return 2
    df = S.scores(engine, per, level, scheme)
    if unit:
        u = unit.strip()
        hit = (df["code"].astype(str) == u) | (df["portal_code"].astype(str).str.upper() == u.upper()) | \
              (df["name"].str.casefold() == u.casefold())
        if not hit.any():
            print(f"LỖI: không có điểm Chỉ số 766 của đơn vị “{unit}” (mã đơn vị, mã Cổng DVCQG như H44.01, "
                  "hoặc tên đầy đủ).", file=sys.stderr)
            return 1
        df = df[hit]
    sources = S.score_sources(engine, sorted({int(b) for v in df["batches"] for b in str(v).split(",") if b}))
    by_id = {int(r.id): r for r in sources.itertuples()}
    units = registry(engine).units
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in df.itertuples():
        per_r = P.classify(r.period_start, r.period_end)
        src = []
        for b in str(r.batches).split(","):
            s = by_id.get(int(b)) if b else None
            if s is None:
                continue
            if s.dataset == "demo":
                src.append("Dữ liệu minh họa")
            else:
                src.append(f"{s.file_name}" + (f" (bản chụp {s.as_of:%d/%m/%Y})" if s.as_of else ""))
        name, code = r.name, r.code
        if r.level == "department":  # an agency: the portal's code, else province code / type code
            prov = units.loc[r.province] if r.province in units.index else None
            code = r.portal_code or (f"{prov['code']}/{r.code}" if prov is not None else r.code)
            name = f"{r.name} ({prov['name']})" if prov is not None else r.name
        for c in S.COMPONENT_KEYS:
            v = getattr(r, c)
            if v is None or v != v:
                continue
            w.writerow([code or "", name, r.scheme, per_r.label, r.period_start.isoformat(), r.period_end.isoformat(),
                        r.as_of.isoformat() if r.as_of else "", c if c == "total" else metrics.score_group(c).key,
                        _number(v), _number(getattr(r, f"max_{c}")), _number(getattr(r, f"rank_{c}")),
                        _number(r.rank_of), "; ".join(dict.fromkeys(src))])
    return 0

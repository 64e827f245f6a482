"""A seeded sample of dashboard views and a canonical form of what the read side answers for
them, so that two implementations of the read side can be compared figure by figure.

A view is what a page asks for: scheme (legacy / 2025 / today), unit (the country, a province,
a district, a commune), the level one step down, a period (month, quarter, half, 9 months,
year, year to date) and its comparison period. For each view the answer holds the unit's
indicators now and before, the units one level down, the quarterly trend, the heatmap, and for
a province its departments.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import date

import pandas as pd
from sqlalchemy import Engine, select

from data import periods as P
from data.schema import unit

SCHEME_CHANGE = date(2025, 7, 1)
LEGACY_FIRST, LEGACY_LAST = date(2019, 1, 1), date(2025, 6, 30)
NEW_FIRST, NEW_LAST = date(2025, 7, 1), date(2026, 10, 31)


def _units(engine: Engine, provinces: dict[str, list[str]]) -> pd.DataFrame:
    with engine.connect() as conn:
        df = pd.DataFrame(conn.execute(select(unit.c.id, unit.c.scheme, unit.c.level, unit.c.code,
                                              unit.c.parent_id)).all(),
                          columns=["id", "scheme", "level", "code", "parent_id"])
    prov = df[df["level"] == "province"].set_index("id")
    df["province"] = df["parent_id"].map(lambda p: p)
    parent = df.set_index("id")["parent_id"]
    level = df.set_index("id")["level"]

    def province_of(i: int) -> int:
        while level[i] != "province":
            i = int(parent[i])
        return i

    df["province_code"] = [prov.at[province_of(int(i)), "code"] for i in df["id"]]
    keep = pd.Series(False, index=df.index)
    for scheme, codes in provinces.items():
        keep |= (df["scheme"] == scheme) & df["province_code"].isin(codes)
    return df[keep].sort_values(["scheme", "level", "code"]).reset_index(drop=True)


def _period(rng: random.Random, first: date, last: date) -> P.Period:
    kind = rng.choice(["month", "quarter", "quarter", "half", "9m", "year", "ytd"])
    for _ in range(200):
        y = rng.randint(first.year, last.year)
        if kind == "month":
            p = P.month(y, rng.randint(1, 12))
        elif kind == "quarter":
            p = P.quarter(y, rng.randint(1, 4))
        elif kind == "half":
            p = P.half(y, rng.randint(1, 2))
        elif kind == "9m":
            p = P.nine_months(y)
        elif kind == "year":
            p = P.year_period(y)
        else:
            m = rng.randint(2, 11)
            p = P.classify(date(y, 1, 1), P.month(y, m).end)
        if p.start >= first and p.end <= last:
            return p
    return P.quarter(last.year, (last.month - 1) // 3 + 1)


def sample_views(engine: Engine, n: int, seed: int, provinces: dict[str, list[str]],
                 ranges: dict[str, tuple[date, date]] | None = None,
                 extra: list[dict] | None = None) -> list[dict]:
    """``n`` views over the units of ``provinces`` ({scheme: [province codes]}) in the period
    ``ranges`` of each scheme, then the ``extra`` views (given as they are)."""
    rng = random.Random(seed)
    units = _units(engine, provinces)
    ranges = ranges or {"legacy": (LEGACY_FIRST, LEGACY_LAST), "2025": (NEW_FIRST, NEW_LAST),
                        "today": (LEGACY_FIRST, LEGACY_LAST)}
    schemes = [s for s in ["legacy", "legacy", "2025", "today"] if s in ranges]
    views = []
    for i in range(n):
        scheme = rng.choice(schemes)
        unit_scheme = "legacy" if scheme == "legacy" else "2025"
        u = units[units["scheme"] == unit_scheme]
        where = rng.choice(["country", "province", "province", "district", "commune"])
        if where == "district" and unit_scheme != "legacy":
            where = "province"
        if where == "commune" and scheme == "today":
            where = "province"
        pick = None if where == "country" else u[u["level"] == where].sample(1, random_state=rng.randint(0, 10**6))
        level = rng.choice(["commune", "district", "department"] if unit_scheme == "legacy" else
                           ["commune", "department"])
        per = _period(rng, *ranges[scheme])
        views.append({"id": i, "scheme": scheme, "unit": None if pick is None else pick["code"].iloc[0],
                      "unit_level": None if pick is None else where, "level": level,
                      "period": [per.start.isoformat(), per.end.isoformat()],
                      "compare": rng.choice(["prev", "yoy"]),
                      "metric": rng.choice(["overdue_rate", "online_intake_share", "postal_intake_share",
                                            "index766_timeliness"])})
    for j, v in enumerate(extra or []):
        views.append({"id": n + j, "compare": "prev", "metric": "overdue_rate", "level": "commune", **v})
    return views


# --- canonical answers ----------------------------------------------------------------------


def _num(x: object) -> object:
    if x is None or (isinstance(x, float) and x != x):
        return None
    f = float(x)  # type: ignore[arg-type]
    return int(f) if f.is_integer() else round(f, 9)


def canonical(df: pd.DataFrame | None, keys: list[str]) -> list[list]:
    """Rows sorted by ``keys`` + metric: keys..., metric, numerator, denominator, dataset, source."""
    if df is None or len(df) == 0:
        return []
    cols = [*keys, "metric", "numerator", "denominator", "dataset", "source"]
    part = df[[c for c in cols if c in df]].copy()
    for c in keys:
        if c == "period_start":
            part[c] = pd.to_datetime(part[c]).dt.date.astype(str)
        elif c in part:
            part[c] = part[c].astype(str)
    rows = [[_num(v) if c in ("numerator", "denominator") else ("" if v is None or v != v else str(v))
             for c, v in zip(part.columns, r, strict=True)] for r in part.itertuples(index=False, name=None)]
    return sorted(rows, key=lambda r: [str(x) for x in r])


def summary(rows: list[list], n_keys: int) -> dict:
    """Digest of canonical rows and, per metric, [rows, Σ numerator, Σ denominator]."""
    per_metric: dict[str, list] = {}
    for r in rows:
        m = r[n_keys]
        s = per_metric.setdefault(m, [0, 0, 0])
        s[0] += 1
        s[1] += r[n_keys + 1] or 0
        s[2] += r[n_keys + 2] or 0
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()[:16]
    return {"n": len(rows), "digest": digest, "metrics": {k: [v[0], _num(v[1]), _num(v[2])]
                                                          for k, v in sorted(per_metric.items())}}


def answer(engine: Engine, view: dict, api) -> dict:  # noqa: ANN001
    """What ``api`` (a module with the read functions pages use) answers for ``view``."""
    from components.state import comparison_period, scheme_range

    per = P.classify(date.fromisoformat(view["period"][0]), date.fromisoformat(view["period"][1]))
    prev = comparison_period(per, view["compare"])
    scheme = view["scheme"]
    unit_scheme = "legacy" if scheme == "legacy" else "2025"
    u = api.find_unit(engine, unit_scheme, view["unit"]) if view["unit"] else None
    unit_id = int(u["id"]) if u is not None else None
    level = api.child_level(u["level"] if u is not None else None, unit_scheme, view["level"])
    wanted = None
    cur, kids, old = api.view_metrics(engine, per, scheme, unit_id, level, wanted, prev)
    first, last = scheme_range(api.data_range(engine), scheme)
    trend = api.view_trend(engine, scheme, unit_id, ["online_intake_share", "postal_intake_share",
                                                      "index766_timeliness", "overdue_rate", "online_offer_share"],
                           first, min(last, per.end))
    heat = api.heat_frame(engine, per, scheme, unit_id, level, view["metric"], first).assign(metric=view["metric"])
    out = {"cur": canonical(cur, []), "old": canonical(old, []),
           "kids": summary(canonical(kids, ["code"]), 1),
           "trend": summary(canonical(trend, ["period_start"]), 1),
           "heat": summary(canonical(heat, ["name", "period_start"]), 2)}  # agency ids differ by backend
    if u is not None and u["level"] == "province" and scheme != "today":
        deps = api.agency_comparison(engine, unit_id, per)
        cols = ["code", "procedures_total", "bcci_published", "online_level3", "online_level4", "online_partial",
                "online_full"]
        out["departments"] = sorted([[str(r[0]), *[_num(v) for v in r[1:]]]
                                     for r in deps[cols].itertuples(index=False, name=None)]) if len(deps) else []
    return out

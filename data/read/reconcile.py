"""Đối chiếu số liệu Cổng DVCQG và báo cáo: the portal's dossier counts beside a report's
(Biểu 06, the project's template) for the same unit, agency and period, and the findings the
portal loader recorded where they differ (rule ``portal_differs``, etl/portal_load.py).

Reads the figure tables (dossier_stat, finding) of active real batches with SQLAlchemy Core:
this is provenance, shown as the sources state it, not an aggregate. Frames carry ``level`` and
``key`` (the unit id; the agency id at level 'department') so data/queries.py applies the scope.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine, and_, func, select

from data import periods as P
from data.read.registry import registry
from data.schema import dossier_stat, finding, load_batch, period

PORTAL = "portal"
COMPARED = {"received_total": "Hồ sơ tiếp nhận", "received_online": "Hồ sơ trực tuyến",
            "received_postal": "Hồ sơ qua bưu chính", "overdue_total": "Hồ sơ quá hạn",
            "settled_on_time": "Hồ sơ giải quyết đúng hạn"}
RULE = "portal_differs"
COMPARE_COLUMNS = ["level", "key", "name", "measure", "label", "portal", "report", "gap", "portal_file",
                   "portal_as_of", "report_file"]
FINDING_COLUMNS = ["level", "key", "id", "batch_id", "file", "sheet", "row", "column", "message", "as_of"]


def _units_of(engine: Engine, province_id: int) -> list[int]:
    units = registry(engine).units
    return [int(i) for i in units.index[(units["province_id"] == province_id) | (units.index == province_id)]]


def _period_cond(per: P.Period):  # noqa: ANN202
    return and_(period.c.start_date == per.start, period.c.end_date == per.end)


def _day(v: object) -> date | None:
    if v is None or (isinstance(v, float) and v != v):
        return None
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def portal_vs_report(engine: Engine, province_id: int, per: P.Period) -> pd.DataFrame:
    """One row per subject of the province (itself, its agencies and communes) and count where
    both the portal and a report state it for ``per``: the two values and the gap (portal −
    report), with the files they come from. Empty when no subject has both."""
    d, b = dossier_stat, load_batch
    ids = _units_of(engine, province_id)
    q = (select(d.c.unit_id, d.c.agency_id, d.c.scope, (b.c.kind == PORTAL).label("portal"), b.c.file_name,
                b.c.as_of, *[func.sum(d.c[c]).label(c) for c in COMPARED])
         .join(b, b.c.id == d.c.batch_id).join(period, period.c.id == d.c.period_id)
         .where(b.c.status == "active", b.c.dataset == "real", d.c.unit_id.in_(ids), _period_cond(per))
         .group_by(d.c.unit_id, d.c.agency_id, d.c.scope, b.c.kind, b.c.file_name, b.c.as_of))
    with engine.connect() as conn:
        df = pd.DataFrame(conn.execute(q).all(), columns=[c.name for c in q.selected_columns])
    if df.empty:
        return pd.DataFrame(columns=COMPARE_COLUMNS)
    df["agency_id"] = pd.to_numeric(df["agency_id"]).fillna(-1).astype(int)
    df["portal"] = df["portal"].astype(bool)
    subject = ["unit_id", "agency_id", "scope"]
    rows = []
    for key, part in df.groupby(subject):
        mine, theirs = part[part["portal"]], part[~part["portal"]]
        if mine.empty or theirs.empty:
            continue
        for col, label in COMPARED.items():
            pv = pd.to_numeric(mine[col], errors="coerce").dropna()
            rv = pd.to_numeric(theirs[col], errors="coerce").dropna()
            if pv.empty or rv.empty:
                continue
            p_row = mine.loc[pv.index[-1]]
            rows.append({"unit_id": key[0], "agency_id": key[1], "measure": col, "label": label,
                         "portal": int(pv.iloc[-1]), "report": int(rv.sum()),
                         "portal_file": p_row["file_name"], "portal_as_of": _day(p_row["as_of"]),
                         "report_file": "; ".join(sorted(set(theirs.loc[rv.index, "file_name"])))})
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=COMPARE_COLUMNS)
    reg = registry(engine)
    dep = out["agency_id"] >= 0
    out["level"] = dep.map({True: "department", False: "unit"})
    out.loc[~dep, "level"] = out.loc[~dep, "unit_id"].map(reg.units["level"])
    out["key"] = out["agency_id"].where(dep, out["unit_id"]).astype(int)
    out["name"] = out["key"].map(reg.units["name"]).where(~dep, out["key"].map(reg.agencies["name"]))
    out["gap"] = out["portal"] - out["report"]
    order = {c: i for i, c in enumerate(COMPARED)}
    out = out.assign(_p=out["level"] != "province", _m=out["measure"].map(order))
    return out.sort_values(["_p", "name", "_m"])[COMPARE_COLUMNS].reset_index(drop=True)


def portal_findings(engine: Engine, province_id: int, per: P.Period) -> pd.DataFrame:
    """The ``portal_differs`` findings of active portal batches about the province (its units
    and agencies) and ``per`` (the loader records each with its unit and period)."""
    f, b = finding, load_batch
    ids = _units_of(engine, province_id)
    per_ids = select(period.c.id).where(_period_cond(per))
    q = (select(f.c.id, f.c.batch_id, f.c.file, f.c.sheet, f.c.row, f.c.column, f.c.message, b.c.as_of)
         .join(b, b.c.id == f.c.batch_id)
         .where(f.c.rule == RULE, b.c.status == "active", b.c.kind == PORTAL, f.c.unit_id.in_(ids),
                f.c.period_id.in_(per_ids))
         .order_by(f.c.batch_id, f.c.row, f.c.id))
    with engine.connect() as conn:
        df = pd.DataFrame(conn.execute(q).all(), columns=[c.name for c in q.selected_columns])
    if df.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    df["as_of"] = df["as_of"].map(_day)
    df["level"], df["key"] = "province", province_id  # for the scope: findings of this province
    return df[FINDING_COLUMNS]


__all__ = ["COMPARED", "portal_findings", "portal_vs_report"]

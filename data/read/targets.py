"""The target that applies to a unit's figure: the most specific one in force on the period's
last day. A target stored for the unit itself (a province's own plan, e.g. Lai Châu's
"Giai đoạn 2021-2025: 80 % TTHC … 50 % hồ sơ"), else one stored for its district or province,
else, for a unit of the 2025 scheme, one of its only predecessor (a province the merger did not
touch keeps its plan), else the national default of the metric registry (Nghị quyết 76/NQ-CP,
Quyết định 766/QĐ-TTg). Without any: None, and the UI gives no verdict."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine, select

from data import metrics
from data.read.documents import document_name
from data.read.registry import registry
from data.schema import load_batch, target


def stored_targets(engine: Engine) -> pd.DataFrame:
    """Targets stored per unit (active batches, or set by hand on the targets page): id,
    metric_id, unit_id, valid_from, valid_to, value, source, batch_id, set_by, set_at."""
    q = (select(target.c.id, target.c.metric_id, target.c.unit_id, target.c.valid_from, target.c.valid_to,
                target.c.value, target.c.source, target.c.batch_id, target.c.set_by, target.c.set_at)
         .outerjoin(load_batch, load_batch.c.id == target.c.batch_id)
         .where((target.c.batch_id.is_(None)) | (load_batch.c.status == "active")).order_by(target.c.id))
    with engine.connect() as conn:
        res = conn.execute(q)
        return pd.DataFrame(res.all(), columns=list(res.keys()))


def source_text(row: object) -> str:
    """How a stored target's source is named to users: a target set on the targets page names
    who set it, when, and the document the analyst cited ("Đặt bởi lan ngày 05/03/2026: Kế hoạch
    12/KH-UBND"); a loaded one names its document's title and date."""
    get = row.get if hasattr(row, "get") else lambda k, d=None: getattr(row, k, d)  # type: ignore[attr-defined]
    by = get("set_by")
    if by is not None and by == by:  # not None / NaN
        at = get("set_at")
        when = f" ngày {at:%d/%m/%Y}" if at is not None and at == at else ""
        return f"Đặt bởi {by}{when}: {get('source')}"
    return document_name(get("source"))


def _chain(engine: Engine, unit_id: int) -> list[int]:
    """The unit, its parents up to the province, then (2025 units) the sole predecessor of each."""
    reg = registry(engine)
    units, lin = reg.units, reg.lineage
    chain: list[int] = []
    current: int | None = unit_id
    while current is not None and current in units.index:
        chain.append(current)
        parent = units.at[current, "parent_id"]
        current = None if pd.isna(parent) else int(parent)
    for u in list(chain):
        if units.at[u, "scheme"] == "2025":
            old = lin.loc[lin["new"] == u, "old"]
            if len(old) == 1 and (lin["old"] == int(old.iloc[0])).sum() == 1:  # one-to-one: the same unit
                chain.append(int(old.iloc[0]))
    return chain


def targets_for(engine: Engine, metric_ids: list[str], day: date, unit_id: int | None = None,
                stored: pd.DataFrame | None = None) -> dict[str, metrics.Target | None]:
    """{metric: the target in force on ``day`` for the unit (None: the country)}."""
    stored = stored_targets(engine) if stored is None else stored
    chain = _chain(engine, unit_id) if unit_id is not None else []
    out: dict[str, metrics.Target | None] = {}
    for mid in metric_ids:
        found = None
        if len(stored) and chain:
            t = stored[(stored["metric_id"] == mid) & stored["unit_id"].isin(chain)
                       & (stored["valid_from"] <= day) & (stored["valid_to"] >= day)]
            if len(t):
                # the nearest unit first; for the same unit, one set on the targets page (a later
                # decision) before a document's, the latest set first
                t = t.assign(_rank=t["unit_id"].map({u: i for i, u in enumerate(chain)}),
                             _manual=t["set_by"].isna() if "set_by" in t else True,
                             _at=t.get("set_at"))
                t = t.sort_values(["_rank", "_manual", "_at"], ascending=[True, True, False], na_position="last")
                r = t.iloc[0]
                found = metrics.Target(float(r["value"]), r["valid_from"], r["valid_to"], source_text(r))
        out[mid] = found or metrics.target_for(mid, day)
    return out


def unit_targets(engine: Engine, metric_id: str, day: date, unit_ids: list[int],
                 parent_id: int | None = None) -> dict[int, float | None]:
    """{unit: target value} of one indicator for the units of one comparison (the children of
    ``parent_id``, or the provinces for None): the parent's target, except for the few units
    that have one stored for themselves or their only predecessor."""
    stored = stored_targets(engine)
    if len(stored):
        stored = stored[(stored["metric_id"] == metric_id) & (stored["valid_from"] <= day) & (stored["valid_to"] >= day)]
    t = targets_for(engine, [metric_id], day, parent_id, stored)[metric_id]
    out: dict[int, float | None] = dict.fromkeys(unit_ids, t.value if t else None)
    if stored.empty:
        return out
    lin = registry(engine).lineage
    own = set(stored["unit_id"].dropna().astype(int))
    heirs = set(lin.loc[lin["old"].isin(own), "new"].astype(int))
    for u in set(unit_ids) & (own | heirs):  # a unit with its own plan (or its predecessor's)
        t = targets_for(engine, [metric_id], day, u, stored)[metric_id]
        out[u] = t.value if t else None
    return out


def row_targets(engine: Engine, metric_id: str, day: date, rows: pd.DataFrame,
                parent_id: int | None) -> dict[int, float | None]:
    """{row key: target value} for the units (or departments) of a comparison: each unit's own
    target; departments take their province's (``parent_id``)."""
    part = rows[rows["metric"] == metric_id] if "metric" in rows else rows
    keys = [int(k) for k in part["key"].unique()] if len(part) else []
    if len(part) and (part["level"] == "department").all():
        t = targets_for(engine, [metric_id], day, parent_id)[metric_id]
        return dict.fromkeys(keys, t.value if t else None)
    return unit_targets(engine, metric_id, day, keys, parent_id)


# --- the list of targets (the targets page, ``python -m etl targets``) -------------------------

LIST_COLUMNS = ["id", "metric_id", "unit_id", "unit_code", "scheme", "level", "unit_name", "valid_from", "valid_to",
                "value", "source", "shown_source", "set_by", "set_at", "kind"]
KIND_VI = {"national": "Mặc định quốc gia", "document": "Theo tài liệu đã nạp", "manual": "Đặt trên trang Mục tiêu"}


def target_list(engine: Engine, unit_ids: set[int] | frozenset[int] | None = None,
                national: bool = False) -> pd.DataFrame:
    """Every stored target (of the units ``unit_ids`` when given) with its unit's code, scheme
    and name, and ``kind``: 'manual' (set on the targets page) or 'document' (loaded); with
    ``national`` also the registry's national defaults (kind 'national', no unit). Ordered by
    indicator, unit, start."""
    df = stored_targets(engine)
    if unit_ids is not None:
        df = df[df["unit_id"].isin(set(unit_ids))]
    names = registry(engine).unit_names
    ids = df["unit_id"]
    df = df.assign(unit_code=ids.map(names["code"]), scheme=ids.map(names["scheme"]), level=ids.map(names["level"]),
                   unit_name=ids.map(names["name"]), kind=df["set_by"].map(lambda b: "document" if b is None or b != b
                                                                           else "manual"))
    df["shown_source"] = [source_text(r) for r in df.to_dict("records")]
    if national:
        rows = [{"id": None, "metric_id": m.id, "unit_id": None, "unit_code": "", "scheme": "", "level": "country",
                 "unit_name": "Toàn quốc", "valid_from": t.valid_from, "valid_to": t.valid_to, "value": t.value,
                 "source": t.source, "shown_source": t.source, "set_by": None, "set_at": None, "kind": "national"}
                for m in metrics.METRICS for t in m.targets]
        national_df = pd.DataFrame(rows, columns=LIST_COLUMNS).astype(object)
        df = pd.concat([national_df, df[LIST_COLUMNS].astype(object)], ignore_index=True) if len(df) else national_df
    order = {m.id: i for i, m in enumerate(metrics.METRICS)}
    df = df[LIST_COLUMNS].assign(_m=df["metric_id"].map(order).fillna(len(order)), _u=df["unit_code"].fillna(""))
    return df.sort_values(["_m", "_u", "valid_from"], kind="stable").drop(columns=["_m", "_u"]).reset_index(drop=True)


def in_force(df: pd.DataFrame, day: date) -> pd.Series:
    """Which rows of ``target_list`` are in force on ``day``."""
    return (df["valid_from"] <= day) & (df["valid_to"] >= day)


def unit_choices(engine: Engine, unit_ids: set[int] | frozenset[int] | None) -> list[dict]:
    """Dropdown options ({label, value}) of the units whose targets may be set: ``unit_ids``
    (None: every province and district, for an admin without units), units of the 2025 system
    first, then province, district, commune, in Vietnamese alphabetical order."""
    units = registry(engine).units
    if unit_ids is None:
        units = units[units["level"].isin(["province", "district"])]
    else:
        units = units[units["id"].isin(set(unit_ids))]
    order = {"province": 0, "district": 1, "commune": 2}
    units = units.assign(_s=(units["scheme"] != "2025").astype(int), _l=units["level"].map(order))
    units = units.sort_values(["_s", "_l", "sort_key"])
    when = {"2025": "từ 01/07/2025", "legacy": "trước 01/07/2025"}
    return [{"label": f"{r.name} ({when.get(r.scheme, r.scheme)}, mã {r.code})", "value": int(r.id)}
            for r in units.itertuples(index=False)]

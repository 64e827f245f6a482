"""Outliers for the data-quality page: figures unlikely to be true, each named with the load
batch and the source row it came from (so it reads the figure rows themselves, not the store).

Two rules, both on the units' own figures exactly as stated (no roll-up):

- **Far from its peers** (cross-sectional): a unit's overdue rate, online intake share or postal
  intake share is far from the median of the units of the same level in the same province for
  the same period: ``|value - median| > max(K_MAD × 1.4826 × MAD, FLOOR)`` (MAD: the median of the
  absolute deviations from the median; 1.4826 × MAD estimates a standard deviation), counting
  only units with at least ``MIN_DENOMINATOR`` dossiers and provinces with at least
  ``MIN_PEERS`` such units, so small units and thin groups do not flood the list.
- **A jump** (temporal): a unit's dossiers received in a month are at least ``JUMP`` times, or at
  most 1/``JUMP`` of, those of the previous month, with at least ``MIN_JUMP_COUNT`` dossiers in
  the larger of the two months (1 → 5 is noise, 100 → 600 is not).

Per subject and period, real rows replace demo rows and a stated total replaces the unit's own
rows, as in the store (docs/data_model.md); several rows of one kind are added up.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from data import metrics
from data import periods as P
from data.read.registry import registry
from data.schema import DOSSIER_COUNTS, dossier_stat, load_batch, period, unit
from data.text import vi_sort_key

INDICATORS = ("overdue_rate", "online_intake_share", "postal_intake_share")
K_MAD = 3.0
FLOOR = 0.30  # 30 percentage points
MIN_DENOMINATOR = 30
MIN_PEERS = 5
JUMP = 5.0
MIN_JUMP_COUNT = 50
RECEIVED = "received"  # the indicator name of a jump: dossiers received in the month

COLUMNS = ["rule", "level", "key", "code", "name", "province", "period_start", "period_end", "period_label",
           "indicator", "value", "numerator", "denominator", "reference", "reference_label", "peers", "dataset",
           "batch_id", "file_name", "sheet", "row", "more_rows"]


def _raw(engine: Engine, scheme: str, lo: date, hi: date, unit_ids: list[int] | None) -> pd.DataFrame:
    t = dossier_stat
    q = (select(t.c.unit_id, t.c.agency_id, t.c.scope, t.c.batch_id, t.c.source_ref, load_batch.c.dataset,
                load_batch.c.file_name, period.c.start_date, period.c.end_date, period.c.label,
                *[t.c[c] for c in DOSSIER_COUNTS])
         .join(period, period.c.id == t.c.period_id).join(load_batch, load_batch.c.id == t.c.batch_id)
         .join(unit, unit.c.id == t.c.unit_id)
         .where(load_batch.c.status == "active", unit.c.scheme == scheme, period.c.start_date >= lo,
                period.c.end_date <= hi))
    if unit_ids is not None:
        q = q.where(t.c.unit_id.in_(unit_ids))
    with engine.connect() as conn:
        res = conn.execute(q)
        return pd.DataFrame(res.all(), columns=list(res.keys()))


def _subjects(engine: Engine, df: pd.DataFrame) -> pd.DataFrame:
    """One row per subject and period: the indicators' pairs and the dossiers received, summed
    over the rows that count, with the first of those rows as the reference."""
    reg = registry(engine)
    counts = df[list(DOSSIER_COUNTS)].apply(pd.to_numeric, errors="coerce").astype("float64")
    pairs = metrics.pairs(counts, "dossier")
    received = metrics.derive(counts, ["new_received"])["new_received"]
    out = df.drop(columns=list(DOSSIER_COUNTS)).copy()
    for m in INDICATORS:
        n, d = metrics.pair_columns(m)
        out[f"{m}:num"], out[f"{m}:den"] = pairs[n].to_numpy(), pairs[d].to_numpy()
    out[RECEIVED] = received.to_numpy()
    agency = pd.to_numeric(out["agency_id"]).astype("Int64")
    dep = agency.notna().to_numpy()
    out["level"] = np.where(dep, "department", out["unit_id"].map(reg.units["level"]))
    out["key"] = np.where(dep, agency.fillna(0).astype(np.int64), out["unit_id"]).astype(np.int64)
    out["province"] = np.where(dep, out["unit_id"], out["unit_id"].map(reg.units["province_id"])).astype(np.int64)
    out["start_date"] = [_d(v) for v in out["start_date"]]
    out["end_date"] = [_d(v) for v in out["end_date"]]
    subj = ["level", "key", "start_date", "end_date"]
    out = out[out["dataset"].eq("real").groupby([out[c] for c in subj]).transform("max").eq(out["dataset"] == "real")]
    total = out["scope"].eq("total") & out["level"].ne("department")
    out = out[total.groupby([out[c] for c in subj]).transform("max").eq(total)]
    out = out.sort_values(["batch_id", "source_ref"], kind="stable")
    g = out.groupby(subj, sort=False)
    value_cols = [c for m in INDICATORS for c in (f"{m}:num", f"{m}:den")] + [RECEIVED]
    agg = g[value_cols].sum(min_count=1)
    first = g[["province", "label", "dataset", "batch_id", "file_name", "source_ref"]].first()
    first["more_rows"] = g.size() - 1
    return pd.concat([agg, first], axis=1).reset_index()


def _ref(source_ref: str) -> tuple[str | None, int | None]:
    """(sheet, row) of a file row's reference 'file!sheet!row'; (None, None) for other sources."""
    parts = str(source_ref).rsplit("!", 2)
    if len(parts) == 3 and parts[2].isdigit():
        return parts[1] or None, int(parts[2])
    return None, None


def _peers(subj: pd.DataFrame) -> pd.DataFrame:
    frames = []
    for m in INDICATORS:
        num, den = subj[f"{m}:num"], subj[f"{m}:den"]
        part = subj[num.notna() & den.notna() & (den >= MIN_DENOMINATOR)].copy()
        if part.empty:
            continue
        part["value"] = part[f"{m}:num"] / part[f"{m}:den"]
        grp = part.groupby(["province", "level", "start_date", "end_date"])["value"]
        part["reference"] = grp.transform("median")
        part["peers"] = grp.transform("size")
        part["_mad"] = (part["value"] - part["reference"]).abs().groupby(
            [part["province"], part["level"], part["start_date"], part["end_date"]]).transform("median")
        limit = np.maximum(K_MAD * 1.4826 * part["_mad"], FLOOR)
        part = part[(part["peers"] >= MIN_PEERS) & ((part["value"] - part["reference"]).abs() > limit)]
        frames.append(part.assign(rule="peers", indicator=m, numerator=part[f"{m}:num"],
                                  denominator=part[f"{m}:den"]))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _is_month(start: date, end: date) -> bool:
    return start.day == 1 and P.month(start.year, start.month).end == end


def _jumps(subj: pd.DataFrame) -> pd.DataFrame:
    monthly = [_is_month(s, e) for s, e in zip(subj["start_date"], subj["end_date"], strict=True)]
    months = subj[pd.Series(monthly, index=subj.index, dtype=bool)]
    months = months[months[RECEIVED].notna()].copy()
    if months.empty:
        return pd.DataFrame()
    months["_m"] = [s.year * 12 + s.month for s in months["start_date"]]
    prev = months[["level", "key", "_m", RECEIVED, "start_date"]].assign(_m=months["_m"] + 1)
    prev = prev.rename(columns={RECEIVED: "reference", "start_date": "_prev_start"})
    both = months.merge(prev, on=["level", "key", "_m"], how="inner")
    cur, ref = both[RECEIVED], both["reference"]
    big = np.maximum(cur, ref) >= MIN_JUMP_COUNT
    jump = (cur >= JUMP * ref) | (cur * JUMP <= ref)
    both = both[big & jump]
    return both.assign(rule="jump", indicator=RECEIVED, value=both[RECEIVED], numerator=np.nan,
                       denominator=np.nan, peers=np.nan,
                       reference_label=[f"{d:%m/%Y}" for d in both["_prev_start"]])


def outliers(engine: Engine, scheme: str, start: date, end: date, unit_ids: set[int] | None = None) -> pd.DataFrame:
    """Every outlier (columns COLUMNS) of the units of the stored ``scheme`` (those of
    ``unit_ids`` when given, agencies of a province in it included) in the periods that lie in
    ``start``..``end``, compared with the peers of their province and with their previous month;
    sorted by unit name in Vietnamese order, then period."""
    reg = registry(engine)
    units = reg.units
    wanted = None
    if unit_ids is not None:
        provinces = set(units.loc[sorted(unit_ids), "province_id"].dropna().astype(int))
        wanted = [int(i) for i in units.index[units["province_id"].isin(provinces)]] if provinces else []
        if len(wanted) > 5000:
            wanted = None
    lo = P.month(start.year - (start.month == 1), 12 if start.month == 1 else start.month - 1).start
    raw = _raw(engine, scheme, lo, end, wanted)
    if raw.empty:
        return pd.DataFrame(columns=COLUMNS)
    subj = _subjects(engine, raw)
    inside = subj["start_date"] >= start
    found = [f for f in (_peers(subj[inside]), _jumps(subj)) if len(f)]
    if not found:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(found, ignore_index=True)
    out = out[out["start_date"] >= start]
    if unit_ids is not None:
        dep = out["level"] == "department"
        out = out[(dep & out["province"].isin(unit_ids)) | (~dep & out["key"].isin(unit_ids))]
    if out.empty:
        return pd.DataFrame(columns=COLUMNS)
    out = out.copy()
    names = pd.concat([reg.unit_names.assign(_l=reg.unit_names["level"]),
                       reg.agency_names.assign(_l="department")])
    names = names.set_index([names["_l"], names.index])
    d = names.reindex(pd.MultiIndex.from_arrays([out["level"], out["key"]]))
    out["code"], out["name"] = d["code"].to_numpy(), d["name"].to_numpy()
    out["province_id"] = out["province"]
    out["province"] = out["province"].map(units["name"])
    out["period_start"], out["period_end"] = out["start_date"], out["end_date"]
    out["period_label"] = [P.classify(s, e, lbl).label for s, e, lbl in
                           zip(out["start_date"], out["end_date"], out["label"], strict=True)]
    if "reference_label" not in out:
        out["reference_label"] = None
    out["reference_label"] = out["reference_label"].where(out["rule"] == "jump", "Trung vị của tỉnh")
    refs = [_ref(r) for r in out["source_ref"]]
    out["sheet"], out["row"] = [s for s, _ in refs], [r for _, r in refs]
    out["batch_id"] = out["batch_id"].astype(int)
    out["more_rows"] = out["more_rows"].astype(int)
    out["_k"] = out["name"].map(vi_sort_key)
    out = out.sort_values(["_k", "period_start", "rule", "indicator"], kind="stable")
    return out[COLUMNS].reset_index(drop=True)


def _d(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])

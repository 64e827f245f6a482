"""The aggregate builder: keeps the analytics store (agg_dossier, agg_offer, agg_count) equal
to what the figure tables say, in the transaction of the write that changed them.

    refresh(conn, scope)   recompute what a batch touched: its provinces and years
    rebuild(conn)          recompute everything from the raw rows, report any difference
    footprint(conn, ids)   the scope of some batches (call it before deleting their rows)

Modules: facts (raw rows -> subjects), rollup (subjects -> units), overlay (stated periods),
asof (offers and counts). Rules: docs/data_model.md.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select
from tqdm import tqdm

from data import metrics
from data.build import asof, country, overlay, scores
from data.build.facts import PERIOD, read_agreements, read_counts, read_dossiers, read_offers
from data.build.rollup import Groups, roll_up
from data.schema import (
    agg_count,
    agg_dossier,
    agg_offer,
    agg_score,
    count_stat,
    dossier_stat,
    load_batch,
    period,
    postal_agreement,
    procedure_offer,
    score_stat,
)
from data.store import COUNTRY, DOSSIER_IDS, PARTS, as_ints, delete_where, insert_frame, year_conditions
from data.units import agency_frame, unit_tree


@dataclass
class Scope:
    """What to recompute: provinces (ids of either scheme; None = all), calendar years (None =
    all years with figures) and the kinds of figures (``FAMILIES``; None = all)."""

    provinces: set[int] | None = None
    years: set[int] | None = None
    batches: set[int] = field(default_factory=set)
    families: set[str] | None = None

    def __or__(self, other: Scope) -> Scope:
        provinces = None if self.provinces is None or other.provinces is None else self.provinces | other.provinces
        years = None if self.years is None or other.years is None else self.years | other.years
        families = None if self.families is None or other.families is None else self.families | other.families
        return Scope(provinces, years, self.batches | other.batches, families)

    def has(self, family: str) -> bool:
        return self.families is None or family in self.families

    @property
    def empty(self) -> bool:
        return (self.provinces is not None and not self.provinces) or self.families == set()


# the kinds of figures a batch can hold: dossiers (and the zero-activity counts made of them),
# procedure offers, stated counts, postal agreements, Chỉ số 766 scores
FAMILIES = ("dossier", "offer", "count", "agreement", "score")


def dossier_groups() -> Groups:
    by_metric = {mid: [*[f"{mid}__{p}" for p in metrics.metric_parts(mid)], f"{mid}__real", f"{mid}__demo"]
                 for mid in DOSSIER_IDS}
    known = {mid: f"{mid}__{metrics.metric_parts(mid)[0]}" for mid in DOSSIER_IDS}
    return Groups(by_metric, known, plain=["reporting"])


# --- what a batch touches -------------------------------------------------------------------


def footprint(conn: Connection, batch_ids: list[int]) -> Scope:
    """Provinces and years of the rows of these batches."""
    if not batch_ids:
        return Scope(set(), set(), families=set())
    units = unit_tree(conn)
    unit_ids: set[int] = set()
    years: set[int] = set()
    families: set[str] = set()
    for family, table in (("dossier", dossier_stat), ("offer", procedure_offer), ("count", count_stat),
                          ("score", score_stat)):
        q = (select(table.c.unit_id, func.min(period.c.start_date), func.max(period.c.end_date))
             .join(period, period.c.id == table.c.period_id)
             .where(table.c.batch_id.in_(batch_ids)).group_by(table.c.unit_id))
        for uid, first, last in conn.execute(q):
            unit_ids.add(int(uid))
            families.add(family)
            first, last = _as_date(first), _as_date(last)
            years.update(range(first.year, last.year + 1))
    q = select(postal_agreement.c.unit_id).where(postal_agreement.c.batch_id.in_(batch_ids)).distinct()
    signed = {int(u) for (u,) in conn.execute(q)}
    if signed:
        families.add("agreement")
    unit_ids |= signed
    provinces = {int(units.at[u, "province_id"]) for u in unit_ids if u in units.index}
    return Scope(provinces, years, set(batch_ids), families)


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# --- computing ------------------------------------------------------------------------------


def compute(conn: Connection, scope: Scope) -> dict[str, pd.DataFrame]:
    """The store's rows for ``scope``, as frames keyed by table name (nothing is written)."""
    units = unit_tree(conn)
    provinces = sorted(scope.provinces) if scope.provinces is not None else \
        units.index[units["level"] == "province"].tolist()
    ids = units.index[units["province_id"].isin(provinces)].tolist() if scope.provinces is not None else None
    years = sorted(scope.years) if scope.years is not None else _all_years(conn)
    empty = pd.DataFrame()
    if not scope.has("dossier"):  # offers, counts or agreements only: the dossier aggregates stay
        return {"agg_dossier_month": empty, "agg_dossier_stated": empty,
                "agg_offer": asof.offers(read_offers(conn, ids), units) if scope.has("offer") else empty,
                "agg_count_stated": asof.stated_counts(read_counts(conn, ids), units) if scope.has("count") else empty,
                "agg_count_zero": empty,
                "agg_count_agreements": asof.agreements(read_agreements(conn, ids), agency_frame(conn), units,
                                                        provinces) if scope.has("agreement") else empty}
    stated_only = read_dossiers(conn, ids).stated
    want = set(years)
    for (start, end) in overlay.targets(stated_only, years):  # the months under the stated periods to redo
        want.update(range(start.year, end.year + 1))
    months = read_dossiers(conn, ids, _year_bounds(sorted(want)), stated=False).months if want else \
        stated_only.iloc[0:0]
    months = months.assign(reporting=((months["unit_id"].map(units["level"]) == "commune")
                                      & months["agency_id"].isna() & (months["scope"] == "own")).astype(np.int64))
    unit_months = roll_up(months, units, dossier_groups(), PERIOD)
    unit_months = unit_months.assign(grain="month", months=1)
    in_years = unit_months["period_start"].map(lambda d: d.year in set(years)) if len(unit_months) else []
    out = {
        "agg_dossier_month": unit_months[in_years] if len(unit_months) else unit_months,
        "agg_dossier_stated": _with_place(overlay.build(stated_only, months, unit_months, units, years), units,
                                          agency_frame(conn)),
        "agg_offer": asof.offers(read_offers(conn, ids), units) if scope.has("offer") else empty,
        "agg_count_stated": asof.stated_counts(read_counts(conn, ids), units) if scope.has("count") else empty,
        "agg_count_zero": asof.zero_activity(unit_months, units, years),
        "agg_count_agreements": asof.agreements(read_agreements(conn, ids), agency_frame(conn), units, provinces)
        if scope.has("agreement") else empty,
    }
    return out


def _with_place(rows: pd.DataFrame, units: pd.DataFrame, agencies: pd.DataFrame) -> pd.DataFrame:
    """scheme, parent and province of overlay rows (units, and agencies at level 'department')."""
    if rows.empty:
        return rows
    rows = rows.copy()
    dep = (rows["level"] == "department").to_numpy()
    unit_of = np.where(dep, rows["key"].map(agencies["unit_id"]).fillna(-1), rows["key"]).astype(np.int64)
    rows["province"] = np.where(dep, unit_of, pd.Series(unit_of).map(units["province_id"]).to_numpy())
    rows["parent"] = np.where(dep, unit_of, pd.Series(unit_of).map(units["parent_id"]).fillna(0).to_numpy())
    rows["scheme"] = pd.Series(unit_of).map(units["scheme"]).to_numpy()
    return rows


def _year_bounds(years: list[int]) -> tuple[date, date]:
    return date(years[0], 1, 1), date(years[-1], 12, 31)


def _all_years(conn: Connection) -> list[int]:
    first, last = conn.execute(select(func.min(period.c.start_date), func.max(period.c.end_date))).one()
    if first is None:
        return []
    return list(range(_as_date(first).year, _as_date(last).year + 1))


# --- writing --------------------------------------------------------------------------------


def _store_frame(table, frame: pd.DataFrame) -> pd.DataFrame:  # noqa: ANN001
    cols = [c.name for c in table.columns]
    out = pd.DataFrame({c: frame[c] if c in frame else pd.Series(None, index=frame.index, dtype=object)
                        for c in cols}, index=frame.index)
    ints = [c.name for c in table.columns if c.type.python_type is int and c.name not in ("key", "parent",
                                                                                          "province")]
    out[ints] = as_ints(out[ints])
    for c in ("key", "parent", "province"):
        out[c] = pd.to_numeric(out[c]).astype(np.int64)
    return out


def write(conn: Connection, scope: Scope, frames: dict[str, pd.DataFrame]) -> None:
    """Replace the store's rows of ``scope`` with ``frames`` (inside the caller's transaction)."""
    _pause_for_tests()
    provinces = sorted(scope.provinces) if scope.provinces is not None else None
    years = sorted(scope.years) if scope.years is not None else None

    def of(table):  # noqa: ANN001, ANN202
        return [table.c.province.in_(provinces)] if provinces is not None else []

    if scope.has("dossier"):
        delete_where(conn, agg_dossier, agg_dossier.c.grain == "month", *of(agg_dossier), *year_conditions(agg_dossier, years))
        delete_where(conn, agg_dossier, agg_dossier.c.grain == "stated", *of(agg_dossier), *year_conditions(agg_dossier, years, overlapping=True))
        delete_where(conn, agg_count, agg_count.c.kind == "zero", *of(agg_count), *year_conditions(agg_count, years))
    if scope.has("offer"):
        delete_where(conn, agg_offer, *of(agg_offer))
    if scope.has("count"):
        delete_where(conn, agg_count, agg_count.c.kind == "stated", *of(agg_count))
    if scope.has("agreement"):
        delete_where(conn, agg_count, agg_count.c.kind == "agreements", *of(agg_count))
    insert_frame(conn, agg_dossier, frames["agg_dossier_month"])
    insert_frame(conn, agg_dossier, frames["agg_dossier_stated"])
    insert_frame(conn, agg_offer, frames["agg_offer"])
    counts = [f for k, f in frames.items() if k.startswith("agg_count") and len(f)]
    if counts:
        insert_frame(conn, agg_count, pd.concat(counts, ignore_index=True))


def _pause_for_tests() -> None:
    """TTHC_TEST_PAUSE_AGGREGATE=<file>: announce the aggregate step in that file and wait (the
    crash test kills the process here, in the middle of the transaction)."""
    marker = os.environ.get("TTHC_TEST_PAUSE_AGGREGATE")
    if marker:
        Path(marker).write_text("aggregating", encoding="utf-8")
        time.sleep(60)


CHUNK_UNITS = 2500  # provinces are recomputed a few at a time, so memory stays bounded


def chunks(conn: Connection, scope: Scope) -> list[Scope]:
    """``scope`` split into groups of whole provinces of about CHUNK_UNITS units each."""
    units = unit_tree(conn)
    provinces = sorted(scope.provinces) if scope.provinces is not None else \
        units.index[units["level"] == "province"].tolist()
    sizes = units.groupby("province_id").size()
    out, current, n = [], [], 0
    for p in provinces:
        current.append(p)
        n += int(sizes.get(p, 1))
        if n >= CHUNK_UNITS:
            out.append(Scope(set(current), scope.years, scope.batches, scope.families))
            current, n = [], 0
    if current:
        out.append(Scope(set(current), scope.years, scope.batches, scope.families))
    return out


def refresh(conn: Connection, scope: Scope, progress: bool = False) -> None:
    """Recompute the store for ``scope`` (a no-op for an empty scope), a few provinces at a time."""
    if scope.empty:
        return
    parts = chunks(conn, scope)
    bar = tqdm(parts, desc="Tổng hợp số liệu", unit="nhóm tỉnh", leave=False, file=sys.stderr,
               disable=not progress or len(parts) < 2)
    others = scope.families is None or bool(set(scope.families) - {"score"})
    for part in bar if others else ():
        write(conn, part, compute(conn, part))
    if scope.has("score"):
        scores.refresh(conn, scope.provinces, scope.batches)
    if others:
        _refresh_country(conn, scope)


def _refresh_country(conn: Connection, scope: Scope) -> None:
    """The country rows of the schemes whose provinces ``scope`` touched (data/build/country.py)."""
    units = unit_tree(conn)
    provinces = scope.provinces if scope.provinces is not None else set(units.index[units["level"] == "province"])
    schemes = sorted({str(units.at[p, "scheme"]) for p in provinces if p in units.index})
    country.refresh(conn, schemes, sorted(scope.years) if scope.years is not None else None, scope.families)


def is_built(conn: Connection) -> bool:
    """False when there are active figures but no aggregates (a database from before the store)."""
    active = conn.execute(select(func.count()).select_from(load_batch).where(load_batch.c.status == "active")).scalar()
    if not active:
        return True
    return any(conn.execute(select(func.count()).select_from(t)).scalar() > 0
               for t in (agg_dossier, agg_offer, agg_score))


# --- rebuild with a report -------------------------------------------------------------------


def rebuild(conn: Connection, progress: bool = True) -> dict[str, tuple[int, int, int]]:
    """Recompute everything from the raw rows; {table: (rows now, rows that differed or were
    missing, rows that should not have been there)} — all zero differences when the store was
    right."""
    t0 = time.time()
    report = {"agg_dossier": (0, 0, 0), "agg_offer": (0, 0, 0), "agg_count": (0, 0, 0)}
    parts = chunks(conn, Scope())
    for part in tqdm(parts, desc="Tổng hợp lại", unit="nhóm tỉnh", leave=False, file=sys.stderr,
                     disable=not progress):
        frames = compute(conn, part)
        for name, table, key in (("agg_dossier", agg_dossier, ["level", "key", "grain", "period_start", "period_end"]),
                                 ("agg_offer", agg_offer, ["level", "key", "period_end"]),
                                 ("agg_count", agg_count, ["level", "key", "kind", "period_start", "period_end"])):
            new = pd.concat([_store_frame(table, f) for k, f in frames.items() if k.startswith(name) and len(f)] or
                            [_store_frame(table, pd.DataFrame(columns=[c.name for c in table.columns]))],
                            ignore_index=True)
            old = pd.DataFrame(conn.execute(select(table).where(table.c.province.in_(sorted(part.provinces)))).all(),
                               columns=[c.name for c in table.columns])
            report[name] = tuple(a + b for a, b in zip(report[name], _diff(old, new, key), strict=True))
        write(conn, part, frames)
    # the country rows: recomputed, then compared with what was stored before
    before = {name: pd.DataFrame(conn.execute(select(t).where(t.c.level == "country")).all(),
                                 columns=[c.name for c in t.columns])
              for name, t in (("agg_dossier", agg_dossier), ("agg_offer", agg_offer), ("agg_count", agg_count))}
    _refresh_country(conn, Scope())
    for name, table, key in (("agg_dossier", agg_dossier, ["level", "key", "grain", "period_start", "period_end"]),
                             ("agg_offer", agg_offer, ["level", "key", "period_end"]),
                             ("agg_count", agg_count, ["level", "key", "kind", "period_start", "period_end"])):
        now = pd.DataFrame(conn.execute(select(table).where(table.c.level == "country")).all(),
                           columns=[c.name for c in table.columns])
        report[name] = tuple(a + b for a, b in zip(report[name], _diff(before[name], now, key), strict=True))
    # rows of provinces that no longer exist in the registry (none in practice) would stay: count them
    for name, table in (("agg_dossier", agg_dossier), ("agg_offer", agg_offer), ("agg_count", agg_count)):
        known = sorted(p for part in parts for p in part.provinces) + list(COUNTRY.values())
        stray = conn.execute(select(func.count()).select_from(table).where(table.c.province.not_in(known))).scalar()
        if stray:
            delete_where(conn, table, table.c.province.not_in(known))
            report[name] = (report[name][0], report[name][1], report[name][2] + int(stray))
    # Chỉ số 766: recomputed whole (a few thousand rows a period), compared with what was there
    cols = [c.name for c in agg_score.columns]
    old = pd.DataFrame(conn.execute(select(agg_score)).all(), columns=cols)
    scores.refresh(conn, None)
    now = pd.DataFrame(conn.execute(select(agg_score)).all(), columns=cols)
    report["agg_score"] = _diff(old.drop(columns=["as_of", "prev_as_of"]), now.drop(columns=["as_of", "prev_as_of"]),
                                ["level", "key", "period_start", "period_end"])
    if progress:
        print(f"Tổng hợp lại toàn bộ trong {time.time() - t0:.1f} giây.", file=sys.stderr)
    return report


def _diff(old: pd.DataFrame, new: pd.DataFrame, key: list[str]) -> tuple[int, int, int]:
    """(rows computed, rows that differ from the stored ones or are missing, stored rows too many)."""
    def norm(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        for c in ("period_start", "period_end"):
            df[c] = pd.to_datetime(df[c]).dt.date
        for c in df.columns:
            if c not in key and c not in ("batches", "scheme", "grain", "kind", "level", "period_kind", "dataset",
                                          "prev_label"):
                df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
        return df.set_index(key).sort_index()

    o, n = norm(old), norm(new)
    missing = n.index.difference(o.index)
    extra = o.index.difference(n.index)
    both = n.index.intersection(o.index)
    a, b = n.loc[both], o.loc[both, n.columns]
    same = (a == b) | (a.isna() & b.isna())
    return len(n), int((~same.all(axis=1)).sum()) + len(missing), len(extra)


__all__ = ["PARTS", "Scope", "compute", "footprint", "is_built", "rebuild", "refresh", "write"]

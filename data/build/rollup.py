"""Roll-up of subjects to units, bottom-up (commune -> district -> province) and to agencies.

A unit's figure is its stated total (scope 'total') where a source states one, indicator by
indicator; otherwise its own rows (the People's Committee's; for a province also its
departments and agencies) plus the figures of the units one level down. An agency's figure
(level 'department') is the sum of its rows. Every value column is additive (indicator parts,
numerator/denominator pairs, the real/demo subject counts), so a roll-up is a sum.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from data.store import group_sum, join_ids

LEVELS = ("commune", "district", "province")


class Groups:
    """Which value columns belong to which indicator (a total replaces them together)."""

    def __init__(self, by_metric: dict[str, list[str]], known: dict[str, str], whole: Sequence[str] = (),
                 reset_on_roll: Sequence[str] = (), plain: Sequence[str] = (), largest: Sequence[str] = ()) -> None:
        self.by_metric = by_metric  # metric -> its columns
        self.known = known  # metric -> the column whose presence says the total gives the metric
        self.whole = list(whole)  # columns a total replaces as a whole (raw counts)
        self.reset_on_roll = list(reset_on_roll)  # zeroed when a child's figure enters its parent
        self.plain = list(plain)  # summed, never replaced (e.g. reporting communes)
        self.largest = list(largest)  # the largest value of the rows below, never replaced

    @property
    def columns(self) -> list[str]:
        cols = [c for cs in self.by_metric.values() for c in cs]
        return cols + [c for c in self.whole + self.plain + self.largest if c not in cols]


def _override(rolled: pd.DataFrame, total: pd.DataFrame, groups: Groups) -> pd.DataFrame:
    """The roll-up, with every indicator a total gives taken from the total."""
    if total.empty:
        return rolled
    if rolled.empty:  # the same shape as below: what a total does not give stays unknown
        rolled = pd.DataFrame({c: pd.Series(dtype=object if c == "batches" else float) for c in total.columns},
                              index=total.index[:0])
    idx = rolled.index.union(total.index)
    out = rolled.reindex(idx)
    out["batches"] = out["batches"].astype(object)
    t = total.reindex(idx)
    has_total = idx.isin(total.index)
    for mid, cols in groups.by_metric.items():
        use = has_total & t[groups.known[mid]].notna().to_numpy()
        if use.any():
            out.loc[use, cols] = t.loc[use, cols].to_numpy()
    if groups.whole:
        out.loc[has_total, groups.whole] = t.loc[has_total, groups.whole].to_numpy()
    for c in groups.plain:
        out[c] = out[c].fillna(0) + t[c].fillna(0)
    for c in groups.largest:
        out[c] = np.fmax(out[c].to_numpy(dtype=float), t[c].to_numpy(dtype=float))
    both = has_total & idx.isin(rolled.index)
    out.loc[has_total & ~idx.isin(rolled.index), "batches"] = t.loc[has_total & ~idx.isin(rolled.index), "batches"]
    if both.any():
        out.loc[both, "batches"] = [join_ids(pd.Series([a, b])) for a, b in
                                    zip(out.loc[both, "batches"], t.loc[both, "batches"], strict=True)]
    return out


def roll_up(subjects: pd.DataFrame, units: pd.DataFrame, groups: Groups, pkeys: list[str]) -> pd.DataFrame:
    """Figures per (level, key, *pkeys) for every unit and agency with a figure.

    ``subjects``: one row per subject (unit_id, agency_id, scope) and period key, with the
    value columns of ``groups`` and 'batches'. Output columns: level, key, scheme, parent,
    province, *pkeys, the value columns, batches.
    """
    cols = groups.columns
    if subjects.empty:
        return pd.DataFrame(columns=["level", "key", "scheme", "parent", "province", *pkeys, *cols, "batches"])
    s = subjects
    ulevel = s["unit_id"].map(units["level"])
    has_agency = s["agency_id"].notna()
    out = []
    dep = s[has_agency].assign(key=lambda x: x["agency_id"].astype(np.int64))
    if not dep.empty:
        d = group_sum(dep, ["key", *pkeys], cols).reset_index()
        prov = d["key"].map(dep.drop_duplicates("key").set_index("key")["unit_id"]).astype(np.int64)
        out.append(d.assign(level="department", parent=prov.values, province=prov.values))
    is_total = (s["scope"] == "total") & ~has_agency
    own = s[~is_total].assign(key=s.loc[~is_total, "unit_id"].astype(np.int64))
    tot = s[is_total].assign(key=s.loc[is_total, "unit_id"].astype(np.int64))
    figs: dict[str, pd.DataFrame] = {}
    idx = ["key", *pkeys]
    for lvl in LEVELS:
        parts = [own[ulevel[~is_total] == lvl]]
        for child in ("commune", "district"):
            if child in figs and not figs[child].empty:
                kids = figs[child].reset_index()
                kids["key"] = kids["key"].map(units["parent_id"]).astype(np.int64)
                kids = kids[kids["key"].map(units["level"]) == lvl]
                if groups.reset_on_roll:
                    kids[groups.reset_on_roll] = kids[groups.reset_on_roll].where(kids[groups.reset_on_roll].isna(),
                                                                                  0)
                parts.append(kids)
        parts = [p for p in parts if not p.empty]
        rolled = group_sum(pd.concat(parts, ignore_index=True), idx, cols) if parts else pd.DataFrame()
        t = tot[ulevel[is_total] == lvl]
        stated = group_sum(t, idx, cols) if not t.empty else pd.DataFrame()
        figs[lvl] = _override(rolled, stated, groups) if len(rolled) or len(stated) else pd.DataFrame()
        if not figs[lvl].empty:
            f = figs[lvl].reset_index()
            parent = f["key"].map(units["parent_id"])
            province = f["key"].map(units["province_id"])
            out.append(f.assign(level=lvl, parent=parent.fillna(0).astype(np.int64).values,
                                province=province.astype(np.int64).values))
    res = pd.concat(out, ignore_index=True)
    res["scheme"] = np.where(res["level"] == "department", res["province"].map(units["scheme"]),
                             res["key"].map(units["scheme"]))
    return res[["level", "key", "scheme", "parent", "province", *pkeys, *cols, "batches"]]

"""Figures of a period across 1/7/2025 on today's units ('Số liệu cũ theo đơn vị hiện nay'):
its months before the change summed from the old units through the lineage, its months from
the change today's units' own, put together as any period made of months is (flows summed,
carried over from the first month, in progress from the last). Selects from the store only."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from data import periods as P
from data.read import fetch
from data.read.figures import Part, Where
from data.read.registry import Registry
from data.store import (
    COUNTRY,
    DOSSIER_IDS,
    FIRST_PARTS,
    FLAGS,
    LAST_PARTS,
    PARTS,
    SINGLE_PARTS,
    group_sum,
    join_ids,
    months_spanned,
)
from data.units import SCHEME_CHANGE


def today_sources(reg: Registry, level: str, within: int | None) -> list[tuple[Where, pd.Series]]:
    """The old units whose figures make today's (provinces, or the communes of the 2025 province
    ``within``), each selection with its mapping old key -> today's key."""
    lin = reg.lineage
    if level == "province":
        olds = lin[lin["level"] == "province"]
        if within is not None:
            olds = olds[olds["new"] == within]
        where = Where("province", "legacy", keys=tuple(int(o) for o in olds["old"]) if within is not None else None)
        return [(where, olds.drop_duplicates("old").set_index("old")["new"])]
    new_parent = lin["new"].map(reg.units["parent_id"])
    com = lin[lin["level"] == "commune"]
    isl = lin[lin["level"] == "district"]
    if within is not None:
        com, isl = com[new_parent[com.index] == within], isl[new_parent[isl.index] == within]
    out = [(Where("commune", "legacy", keys=tuple(int(o) for o in com["old"])),
            com.drop_duplicates("old").set_index("old")["new"])]
    if len(isl):
        out.append((Where("district", "legacy", keys=tuple(int(o) for o in isl["old"])),
                    isl.drop_duplicates("old").set_index("old")["new"]))
    return out


def spans_change(p: P.Period) -> bool:
    """True for a period with months on both sides of 1/7/2025 (e.g. the year 2025)."""
    return p.start < SCHEME_CHANGE <= p.end


def halves(p: P.Period) -> tuple[P.Period, P.Period]:
    return P.classify(p.start, SCHEME_CHANGE - timedelta(days=1)), P.classify(SCHEME_CHANGE, p.end)


def months_across(conn: Connection, olds: list[tuple[Where, pd.Series]], new: Where, per: P.Period,
                   metric_ids: list[str] | None) -> pd.DataFrame:
    """Dossier parts of ``per`` on today's units, its months before 1/7/2025 summed from the old
    units (each complete over them) and its months after from today's units: flows summed,
    carried over from the first month (old units), in progress from the last (today's units),
    as for any period made of months. Columns of data.read.fetch.dossier_month_sums (pidx 0)."""
    a, b = halves(per)
    ids = None if metric_ids is None else [m for m in metric_ids if m in DOSSIER_IDS]
    before = []
    for where, mapping in olds:
        s = fetch.dossier_month_sums(conn, where, [a], ids)
        s = s[s["months"].to_numpy(dtype=float) == months_spanned(a.start, a.end)]
        if len(s):
            before.append(s.assign(key=s["key"].map(mapping)).dropna(subset=["key"]))
    after = fetch.dossier_month_sums(conn, new, [b], ids)
    after = after[after["months"].to_numpy(dtype=float) == months_spanned(b.start, b.end)]
    if not before or after.empty:
        return after.iloc[0:0]
    old = pd.concat(before, ignore_index=True)
    cols = [*PARTS, *FLAGS, "months"]
    old = group_sum(old.assign(key=old["key"].astype(np.int64)), ["key"], cols, largest=("months",))
    new_ = after.assign(key=after["key"].astype(np.int64)).set_index("key")
    keys = old.index.intersection(new_.index)
    old, new_ = old.loc[keys], new_.loc[keys]
    out = pd.DataFrame(index=keys)
    for c in PARTS:
        if c in FIRST_PARTS:
            out[c] = old[c]
        elif c in LAST_PARTS:
            out[c] = new_[c]
        elif c in SINGLE_PARTS:
            out[c] = np.nan
        else:
            out[c] = old[c] + new_[c]
    for c in FLAGS:
        out[c] = old[c].fillna(0) + new_[c].fillna(0)
    out["months"] = old["months"] + new_["months"]
    out["reporting"] = new_["reporting"]
    out["batches"] = [join_ids([x, y]) for x, y in zip(old["batches"], new_["batches"], strict=True)]
    return out.reset_index().assign(pidx=0)


ZERO_COLS = [f"zero_activity_share:{c}" for c in ("num", "den", "real", "demo")] + ["b:units"]


def part(df: pd.DataFrame, cols: list[str]) -> Part:
    """Columns of a frame keyed by unit, as a part of period 0 (see data.read.figures)."""
    part = Part(np.zeros(len(df), dtype=np.int64), df["key"].to_numpy(dtype=np.int64))
    part.cols = {c: df[c].to_numpy(dtype=object if c.startswith("b:") else float) for c in cols}
    return part


def zero_across(conn: Connection, reg: Registry, per: P.Period, within: int | None, level: str) -> pd.DataFrame:
    """Communes without online dossiers over ``per`` counted on today's communes (their months
    before 1/7/2025 summed from the old communes): the count the units-below table shows."""
    provinces = [within] if within is not None else [int(k) for k in reg.units.index[
        (reg.units["level"] == "province") & (reg.units["scheme"] == "2025")]]
    rows = []
    for prov in provinces:
        c = months_across(conn, today_sources(reg, "commune", prov), Where("commune", province=prov), per,
                           ["online_intake_share"])
        if len(c):
            rows.append(c.assign(province=prov))
    if not rows:
        return pd.DataFrame(columns=["key", *ZERO_COLS])
    c = pd.concat(rows, ignore_index=True)
    c = c[c["online_intake_share__nf"].notna()]
    c = c.assign(_z=(c["online_intake_share__nf"] == 0).astype(int),
                 _r=(c["online_intake_share__real"].fillna(0) > 0).astype(int),
                 _d=(c["online_intake_share__demo"].fillna(0) > 0).astype(int))
    by = c["province"] if level == "province" else pd.Series(COUNTRY["2025"], index=c.index)
    g = c.groupby(by)
    out = pd.DataFrame({"zero_activity_share:num": g["_z"].sum(), "zero_activity_share:den": g.size(),
                        "zero_activity_share:real": g["_r"].max(), "zero_activity_share:demo": g["_d"].max(),
                        "b:units": g["batches"].agg(join_ids)})
    return out.rename_axis("key").reset_index().astype({"key": np.int64})

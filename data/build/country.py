"""The whole country of each scheme (level 'country', key ``COUNTRY[scheme]``), summed from its
provinces' stored rows after they are refreshed: monthly dossier parts, the communes without
online dossiers of every standard period, procedure-offer snapshots, agreement counts at every
day one of them changes, and, for a stated period, the provinces' figures for exactly that period
(their stated row where they have one, otherwise the sum of their months when it covers it)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from data.build.facts import frame
from data.schema import OFFER_COUNTS, agg_count, agg_dossier, agg_offer
from data.store import (
    COUNTRY,
    DOSSIER_IDS,
    FLAGS,
    OFFER_IDS,
    PARTS,
    delete_where,
    group_sum,
    insert_frame,
    join_ids,
    month_aligned,
    months_spanned,
    pairs_from_parts,
    parts_from_pairs,
    sum_subperiods,
    year_conditions,
)


def _place(df: pd.DataFrame, scheme: str) -> pd.DataFrame:
    key = COUNTRY[scheme]
    return df.assign(level="country", key=key, scheme=scheme, parent=0, province=key)


def refresh(conn: Connection, schemes: list[str], years: list[int] | None, families: set[str] | None) -> None:
    """Recompute the country rows of ``schemes`` for ``years`` (all when None) and the kinds of
    figures in ``families`` (all when None)."""
    def has(f: str) -> bool:
        return families is None or f in families

    for scheme in schemes:
        key = COUNTRY[scheme]
        if has("dossier"):
            delete_where(conn, agg_dossier, agg_dossier.c.key == key, agg_dossier.c.level == "country",
                         agg_dossier.c.grain == "month", *year_conditions(agg_dossier, years))
            delete_where(conn, agg_dossier, agg_dossier.c.key == key, agg_dossier.c.level == "country",
                         agg_dossier.c.grain == "stated", *year_conditions(agg_dossier, years, overlapping=True))
            delete_where(conn, agg_count, agg_count.c.key == key, agg_count.c.level == "country",
                         agg_count.c.kind == "zero", *year_conditions(agg_count, years))
            months = _months(conn, scheme, years)
            if len(months):
                insert_frame(conn, agg_dossier, months)
            stated = _stated(conn, scheme, years)
            if len(stated):
                insert_frame(conn, agg_dossier, stated)
            zero = _zero(conn, scheme, years)
            if len(zero):
                insert_frame(conn, agg_count, zero)
        if has("offer"):
            delete_where(conn, agg_offer, agg_offer.c.key == key, agg_offer.c.level == "country")
            offers = _offers(conn, scheme)
            if len(offers):
                insert_frame(conn, agg_offer, offers)
        if has("agreement"):
            delete_where(conn, agg_count, agg_count.c.key == key, agg_count.c.level == "country",
                         agg_count.c.kind == "agreements")
            agreements = _agreements(conn, scheme)
            if len(agreements):
                insert_frame(conn, agg_count, agreements)


def _province_rows(conn: Connection, table, scheme: str, *conds) -> pd.DataFrame:  # noqa: ANN001, ANN002
    df = frame(conn, select(table).where(table.c.level == "province", table.c.scheme == scheme, *conds))
    for c in df.columns:
        if c not in ("level", "scheme", "batches", "grain", "kind", "period_start", "period_end"):
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    return df


def _months(conn: Connection, scheme: str, years: list[int] | None) -> pd.DataFrame:
    rows = _province_rows(conn, agg_dossier, scheme, agg_dossier.c.grain == "month", *year_conditions(agg_dossier, years))
    if rows.empty:
        return rows
    out = group_sum(rows, ["period_start", "period_end"], [*PARTS, *FLAGS, "reporting"]).reset_index()
    return _place(out.assign(grain="month", months=1), scheme)


def _stated(conn: Connection, scheme: str, years: list[int] | None) -> pd.DataFrame:
    """For every period a province has a stated row for: the sum of the provinces' figures for it."""
    stated = _province_rows(conn, agg_dossier, scheme, agg_dossier.c.grain == "stated",
                            *year_conditions(agg_dossier, years, overlapping=True))
    if stated.empty:
        return stated
    first, last = min(stated["period_start"]), max(stated["period_end"])
    months = _province_rows(conn, agg_dossier, scheme, agg_dossier.c.grain == "month",
                            agg_dossier.c.period_start >= first, agg_dossier.c.period_end <= last)
    flags = [f for f in FLAGS]
    out = []
    for (start, end), own in stated.groupby(["period_start", "period_end"]):
        figs = [pd.concat([pairs_from_parts(own, True), own[flags]], axis=1).assign(batches=own["batches"].values)]
        if len(months) and month_aligned(start, end):
            rest = months[~months["key"].isin(own["key"])]
            summed = sum_subperiods(rest, ["key"], start, end)
            summed = summed[summed["rows"] == months_spanned(start, end)]
            if len(summed):
                figs.append(pd.concat([pairs_from_parts(summed, False), summed[flags]], axis=1)
                            .assign(batches=summed["batches"].values))
        both = pd.concat(figs, ignore_index=True)
        for mid in DOSSIER_IDS:  # provenance only where the indicator is known
            unknown = both[f"{mid}:num"].isna()
            both.loc[unknown, [f"{mid}__real", f"{mid}__demo"]] = np.nan
        num = [f"{mid}:{p}" for mid in DOSSIER_IDS for p in ("num", "den")]
        total = both[num + flags].sum(min_count=1).to_frame().T
        row = pd.concat([parts_from_pairs(total), total[flags]], axis=1)
        row["batches"] = join_ids(both["batches"])
        out.append(row.assign(period_start=start, period_end=end, grain="stated",
                              months=months_spanned(start, end), reporting=0))
    return _place(pd.concat(out, ignore_index=True), scheme)


def _zero(conn: Connection, scheme: str, years: list[int] | None) -> pd.DataFrame:
    rows = _province_rows(conn, agg_count, scheme, agg_count.c.kind == "zero", *year_conditions(agg_count, years))
    if rows.empty:
        return rows
    g = rows.groupby(["period_start", "period_end"])
    out = pd.DataFrame({"units_total": g["units_total"].sum(), "units_zero_activity": g["units_zero_activity"].sum(),
                        "units_real": (g["units_real"].max() > 0).astype(int),
                        "units_demo": (g["units_demo"].max() > 0).astype(int),
                        "batches": g["batches"].agg(join_ids)}).reset_index()
    return _place(out.assign(kind="zero"), scheme)


def _offers(conn: Connection, scheme: str) -> pd.DataFrame:
    rows = _province_rows(conn, agg_offer, scheme)
    if rows.empty:
        return rows
    cols = [*OFFER_COUNTS, *[f"{m}__{p}" for m in OFFER_IDS for p in ("num", "den", "real", "demo")]]
    out = group_sum(rows, ["period_end"], cols).reset_index()
    out["period_start"] = out["period_end"].map(rows.groupby("period_end")["period_start"].min())
    for m in OFFER_IDS:
        out[f"{m}__stated"] = np.where(out[f"{m}__num"].notna(), 0, np.nan)
    return _place(out, scheme)


def _agreements(conn: Connection, scheme: str) -> pd.DataFrame:
    rows = _province_rows(conn, agg_count, scheme, agg_count.c.kind == "agreements")
    if rows.empty:
        return rows
    rows = rows.sort_values(["key", "period_end"])
    out = []
    for day in sorted(set(rows["period_end"])):
        in_force = rows[rows["period_end"] <= day].groupby("key").tail(1)
        in_force = in_force[in_force["agencies_with_agreement"] > 0]
        if in_force.empty:
            continue
        out.append({"period_start": day, "period_end": day, "agencies_total": in_force["agencies_total"].sum(),
                    "agencies_with_agreement": in_force["agencies_with_agreement"].sum(),
                    "agencies_real": int((in_force["agencies_real"] > 0).any()),
                    "agencies_demo": int((in_force["agencies_demo"] > 0).any()),
                    "batches": join_ids(in_force["batches"])})
    return _place(pd.DataFrame(out).assign(kind="agreements"), scheme) if out else pd.DataFrame()

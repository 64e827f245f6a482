"""Figures per unit (or per agency) of one level for one or more periods.

Territorial roll-up, bottom-up (commune -> district -> province): a unit's figure is its
scope 'total' row when a source states one; otherwise its own rows (the People's Committee
and, for a province, its departments and agencies) plus the figures of its children. So a
stated total always replaces everything below it and 'total' and 'own' rows of the same
territory are never added together. Metrics travel as numerator/denominator pairs computed
per subject (``data.metrics.pairs``); where a stated total cannot give a metric (it lacks a
count), the metric comes from the roll-up below it, both parts together.

Fallbacks when no source states the counts (``count_stat``):
- zero_activity_share: among the communes under a unit that have a stored row for the period,
  those with ``received_online == 0`` (communes without a row are not counted: unknown).
- bcci_agreement_share: agencies of the province valid at the period end, and those of them
  with a postal agreement signed on or before the period end.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Engine, select

from data import metrics as registry
from data.aggregate import (
    PIDX,
    SUBJECT,
    agencies_frame,
    asof_subjects,
    dossier_subjects,
    group_sum,
    join_sources,
    labels,
    subtree_ids,
    units_frame,
)
from data.periods import Period
from data.schema import (
    COUNT_MEASURES,
    DOSSIER_COUNTS,
    OFFER_COUNTS,
    count_stat,
    load_batch,
    postal_agreement,
    procedure_offer,
)

VALUE_COLS = [*DOSSIER_COUNTS, *OFFER_COUNTS, *COUNT_MEASURES]
PAIR_COLS = [c for m in registry.METRICS for c in registry.pair_columns(m.id)]
# Per metric, how many real and demo subjects stand behind its pair (summed like the pairs), so
# each indicator carries its own provenance: a real stated figure in a unit whose other
# indicators are demo is labelled real.
FLAG_COLS = [f"{m.id}:{d}" for m in registry.METRICS for d in ("real", "demo")]
INFO_COLS = ["months", "months_expected", "subjects"]
KEYS = [PIDX, "key"]


def combine_labels(a: pd.Series, b: pd.Series, col: str) -> pd.Series:
    """Row-wise union of two dataset ('real'/'demo'/'mixed') or source ('; '-joined) columns.
    Vectorised; Python joins only the rows whose two labels differ."""
    a = a.where(a.notna() & (a != ""), None)
    b = b.where(b.notna() & (b != ""), None)
    out = a.fillna(b)
    differ = a.notna() & b.notna() & (a != b)
    if differ.any():
        fn = labels if col == "dataset" else join_sources
        out[differ] = [fn(pd.Series([x, y])) for x, y in zip(a[differ], b[differ], strict=True)]
    return out.fillna("")


# --- roll-up --------------------------------------------------------------------------------


def _empty(cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=[*KEYS, *cols, *INFO_COLS, "dataset", "source"])


def _sum(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Sum per (pidx, key); months/months_expected: max; subjects: sum."""
    if df.empty:
        return _empty(cols).set_index(KEYS)
    df = df.copy()
    df["key"] = df["key"].astype(int)
    out = group_sum(df, KEYS, [c for c in [*cols, "subjects"] if c in df],
                    {c: "max" for c in ("months", "months_expected") if c in df})
    return out.set_index(KEYS)


def _combine(total: pd.DataFrame, rolled: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """A stated total wins (its counts as a whole; its metric pairs metric by metric)."""
    if total.empty:
        return rolled
    if rolled.empty:
        return total
    out = total.combine_first(rolled)
    stated = out.index.isin(total.index)
    counts = [c for c in cols if ":" not in c and c in total]
    out.loc[stated, [*counts, *[c for c in INFO_COLS if c in total]]] = total[
        [*counts, *[c for c in INFO_COLS if c in total]]]
    for num in [c for c in cols if c.endswith(":num") and c in total]:
        den = num[:-4] + ":den"
        use_total = out.index.isin(total.index[total[num].notna()])
        below = rolled.reindex(out.index)
        for col in (num, den, num[:-4] + ":real", num[:-4] + ":demo"):
            if col in out and col in below:
                out.loc[~use_total, col] = below.loc[~use_total, col]
    both = out.index.isin(total.index) & out.index.isin(rolled.index)
    if both.any():
        t, r = total.reindex(out.index[both]), rolled.reindex(out.index[both])
        for col in ("dataset", "source"):
            out.loc[both, col] = combine_labels(t[col], r[col], col).values
    return out


def rollup(subjects: pd.DataFrame, units: pd.DataFrame, level: str, cols: list[str],
           direct: bool = False) -> pd.DataFrame:
    """Figures per (pidx, key) for the units of ``level`` (key = agency id for 'department').

    ``cols`` are summed (stored counts and metric pair columns "<metric>:num/den").
    ``direct``: no roll-up; only what is stored for units of ``level`` themselves.
    """
    if subjects.empty:
        return _empty(cols)
    s = subjects.copy()
    s["subjects"] = 1
    s["unit_level"] = s["unit_id"].map(units["level"])
    if level == "department":
        return _sum(s[s["agency_id"].notna()].assign(key=lambda x: x["agency_id"].astype(int)), cols).reset_index()
    is_total = (s["scope"] == "total") & s["agency_id"].isna()
    totals, own = s[is_total].assign(key=lambda x: x["unit_id"]), s[~is_total].assign(key=lambda x: x["unit_id"])
    if direct:
        own = own[own["agency_id"].isna()]
        return _combine(_sum(totals[totals["unit_level"] == level], cols),
                        _sum(own[own["unit_level"] == level], cols), cols).reset_index()
    figs: dict[str, pd.DataFrame] = {}
    for lvl in ("commune", "district", "province"):
        parts = [own[own["unit_level"] == lvl]]
        for child in ("commune", "district"):
            if child in figs and not figs[child].empty:
                kids = figs[child].reset_index()
                kids["key"] = kids["key"].map(units["parent_id"])
                kids = kids[kids["key"].map(units["level"]) == lvl]
                parts.append(kids)
        parts = [p for p in parts if not p.empty]
        rolled = _sum(pd.concat(parts, ignore_index=True), cols) if parts else _empty(cols).set_index(KEYS)
        figs[lvl] = _combine(_sum(totals[totals["unit_level"] == lvl], cols), rolled, cols)
        if lvl == level:
            break
    return figs[level].reset_index()


# --- as-of counts and fallbacks -------------------------------------------------------------


def counts_pivot(counts: pd.DataFrame) -> pd.DataFrame:
    """count_stat rows -> one row per subject and period; agency measures counted at
    department level, unit measures at commune level (the ones the metrics use)."""
    cols = [PIDX, *SUBJECT, *COUNT_MEASURES, "dataset", "source"]
    if counts.empty:
        return pd.DataFrame(columns=cols)
    wanted = counts[
        (counts["measure"].str.startswith("agencies") & (counts["counted_level"] == "department"))
        | (counts["measure"].str.startswith("units") & (counts["counted_level"] == "commune"))
    ]
    if wanted.empty:
        return pd.DataFrame(columns=cols)
    keys = [PIDX, *SUBJECT]
    piv = wanted.pivot_table(index=keys, columns="measure", values="value", aggfunc="sum", dropna=False).reset_index()
    prov = wanted.groupby(keys, dropna=False).agg(dataset=("dataset", labels), source=("source", join_sources))
    return piv.merge(prov.reset_index(), on=keys, how="left")


def zero_activity_from_communes(subjects: pd.DataFrame, units: pd.DataFrame, level: str) -> pd.DataFrame:
    """units_total / units_zero_activity per (pidx, key) counted from commune rows."""
    cols = [*KEYS, "units_total", "units_zero_activity", "dataset", "source"]
    if subjects.empty or level in ("commune", "department"):
        return pd.DataFrame(columns=cols)
    s = subjects[(subjects["scope"] == "own") & subjects["agency_id"].isna()]
    s = s[(s["unit_id"].map(units["level"]) == "commune") & s["received_online"].notna()].copy()
    if s.empty:
        return pd.DataFrame(columns=cols)
    s["key"] = s["unit_id"].map(units[{"province": "province_id", "district": "district_id"}[level]])
    s = s[s["key"].notna()]
    s["zero"] = (s["received_online"] == 0).astype(int)
    g = s.groupby([PIDX, "key"]).agg(units_total=("unit_id", "size"), units_zero_activity=("zero", "sum"),
                                     dataset=("dataset", labels), source=("source", join_sources))
    g = g.reset_index()
    g["key"] = g["key"].astype(int)
    return g


def agreements_by_province(conn: Connection, periods: list[Period], agencies: pd.DataFrame,
                           unit_ids: list[int] | None = None) -> pd.DataFrame:
    """agencies_total / agencies_with_agreement per (pidx, province) from postal_agreement rows
    (of the provinces among ``unit_ids`` when given)."""
    cols = [*KEYS, "agencies_total", "agencies_with_agreement", "dataset", "source"]
    q = (
        select(postal_agreement.c.agency_id, postal_agreement.c.signed_on, load_batch.c.dataset,
               load_batch.c.file_name.label("source"))
        .join(load_batch, load_batch.c.id == postal_agreement.c.batch_id)
        .where(load_batch.c.status == "active", postal_agreement.c.agency_id.is_not(None),
               postal_agreement.c.signed_on.is_not(None))
    )
    if unit_ids is not None:
        q = q.where(postal_agreement.c.unit_id.in_(unit_ids))
    signed = pd.DataFrame(conn.execute(q).all(), columns=["agency_id", "signed_on", "dataset", "source"])
    if signed.empty or agencies.empty:
        return pd.DataFrame(columns=cols)
    signed["unit_id"] = signed["agency_id"].map(agencies["unit_id"])
    signed["signed_on"] = pd.to_datetime(signed["signed_on"])
    first_signed = signed.groupby("agency_id")["signed_on"].min()
    agencies = agencies[agencies["unit_id"].isin(set(signed["unit_id"]))]
    prov = signed.groupby("unit_id").agg(dataset=("dataset", labels), source=("source", join_sources))
    out = []
    for i, per in enumerate(periods):
        valid = agencies[(agencies["valid_from"].isna() | (agencies["valid_from"] <= per.end))
                         & (agencies["valid_to"].isna() | (agencies["valid_to"] >= per.end))]
        done = valid["id"].map(first_signed)
        valid = valid.assign(signed=done.notna() & (done <= pd.Timestamp(per.end)))
        g = valid.groupby("unit_id").agg(agencies_total=("id", "size"), agencies_with_agreement=("signed", "sum"))
        g = g[g["agencies_with_agreement"] > 0].join(prov).reset_index().rename(columns={"unit_id": "key"})
        out.append(g.assign(pidx=i))
    return pd.concat(out, ignore_index=True)[cols]


# --- figures --------------------------------------------------------------------------------


def with_pairs(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Add the metric pair columns of ``source`` ('dossier' | 'offer' | 'count') to ``df``."""
    if df.empty:
        return df
    counts = [c for c in VALUE_COLS if c in df]
    num = df[counts].apply(pd.to_numeric, errors="coerce")
    p = registry.pairs(num, source)
    flags = provenance_flags(p, df["dataset"])
    return pd.concat([df.reset_index(drop=True), p.reset_index(drop=True), flags.reset_index(drop=True)], axis=1)


def provenance_flags(pairs: pd.DataFrame, dataset: pd.Series) -> pd.DataFrame:
    """'<metric>:real' / '<metric>:demo': 1 where the row gives the metric's pair and is real
    (resp. demo), else 0. A 'mixed' row counts as both."""
    ds = dataset.reindex(pairs.index).fillna("").astype(str)
    out = {}
    for num in [c for c in pairs.columns if c.endswith(":num")]:
        known = pairs[num].notna()
        mid = num[:-4]
        out[f"{mid}:real"] = (known & ds.isin(["real", "mixed"])).astype(float)
        out[f"{mid}:demo"] = (known & ds.isin(["demo", "mixed"])).astype(float)
    return pd.DataFrame(out, index=pairs.index)


def _pair_cols(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if ":" in c]


def _merge(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if p is not None and not p.empty]
    if not parts:
        return _empty(VALUE_COLS)
    out = parts[0]
    for i, p in enumerate(parts[1:], start=1):
        p = p.drop(columns=[c for c in INFO_COLS if c in p and c in out])
        out = out.merge(p, on=KEYS, how="outer", suffixes=("", f"_{i}"))
        for col in ("dataset", "source"):
            other = f"{col}_{i}"
            if other in out:
                out[col] = combine_labels(out[col], out[other], col)
                out = out.drop(columns=other)
    return out


def _fill(out: pd.DataFrame, extra: pd.DataFrame | None, cols: list[str], tag: str) -> pd.DataFrame:
    """Fill unknown ``cols`` from a computed fallback (never overrides a stated count).
    ``tag``: the column that records the dataset behind ``cols`` (stated or computed)."""
    if tag not in out:
        out[tag] = None
    first = pd.to_numeric(out[cols[0]], errors="coerce") if cols[0] in out else pd.Series(float("nan"), out.index)
    out[tag] = out[tag].where(out[tag].notna(), out["dataset"].where(first.notna()) if "dataset" in out else None)
    if extra is None or extra.empty:
        return out
    for c in cols:
        if c not in out:
            out[c] = float("nan")
    merged = out.merge(extra[[*KEYS, *cols, "dataset", "source"]], on=KEYS, how="outer", suffixes=("", "_calc"))
    used = pd.to_numeric(merged[cols[0]], errors="coerce").isna() & merged[f"{cols[0]}_calc"].notna()
    for c in cols:
        merged[c] = pd.to_numeric(merged[c], errors="coerce").fillna(pd.to_numeric(merged[f"{c}_calc"]))
    if used.any():
        merged.loc[used, tag] = merged.loc[used, "dataset_calc"]
        for col in ("dataset", "source"):
            merged.loc[used, col] = combine_labels(merged.loc[used, col], merged.loc[used, f"{col}_calc"], col)
    return merged.drop(columns=[f"{c}_calc" for c in [*cols, "dataset", "source"]])


def figures_multi(engine: Engine, periods: list[Period], level: str, within: int | None = None,
                  scheme: str | None = None, stored_only: bool = False, complete: bool = True) -> pd.DataFrame:
    """Counts and metric pairs per unit of ``level`` (or agency, 'department') and period.

    ``within``: only units inside this unit (for 'department': the province's agencies).
    ``stored_only``: only figures stored for exactly the period and the unit itself (no
    aggregation, no roll-up, no fallback): what the sources themselves state.
    ``complete``: aggregated dossier figures must cover the whole period (see data.aggregate).
    Columns: pidx, key, level, scheme, code, name, counts, pairs, months, months_expected,
    subjects, dataset, source.
    """
    units = units_frame(engine)
    if units.empty or not periods:
        return describe(engine, _empty(VALUE_COLS), level, within, scheme)
    ids = subtree_ids(units, within) if within is not None else None
    args = {"unit_ids": ids, "scheme": scheme, "exact_only": stored_only, "units": units}
    with engine.connect() as conn:
        subj = with_pairs(dossier_subjects(conn, periods, complete=complete, **args), "dossier")
        offers = with_pairs(asof_subjects(conn, procedure_offer, periods, **args), "offer")
        counts = counts_pivot(asof_subjects(conn, count_stat, periods, **args))
        agreements = (agreements_by_province(conn, periods, agencies_frame(engine), ids)
                      if level == "province" and not stored_only else None)
    parts = [rollup(subj, units, level, [*DOSSIER_COUNTS, *_pair_cols(subj)], direct=stored_only)]
    if not offers.empty:
        offer_fig = rollup(offers, units, level, [*OFFER_COUNTS, *_pair_cols(offers)], direct=stored_only)
        parts.append(offer_fig.drop(columns=["subjects"], errors="ignore"))
    if not counts.empty:
        if level == "department":
            direct = counts[counts["agency_id"].notna()].assign(key=lambda x: x["agency_id"].astype(int))
        else:
            direct = counts[counts["agency_id"].isna() & (counts["unit_id"].map(units["level"]) == level)]
            direct = direct.assign(key=direct["unit_id"])
        for tag, col in (("_units_ds", "units_total"), ("_agencies_ds", "agencies_total")):
            stated = pd.to_numeric(direct[col], errors="coerce") if col in direct else None
            direct[tag] = direct["dataset"].where(stated.notna()) if stated is not None else None
        parts.append(direct.drop(columns=SUBJECT))
    out = _merge(parts)
    if out.empty:
        return describe(engine, out, level, within, scheme)
    zero = zero_activity_from_communes(subj, units, level) if not stored_only else None
    out = _fill(out, zero, ["units_total", "units_zero_activity"], "_units_ds")
    out = _fill(out, agreements, ["agencies_total", "agencies_with_agreement"], "_agencies_ds")
    for c in COUNT_MEASURES:
        if c not in out:
            out[c] = float("nan")
    counted = registry.pairs(out[list(COUNT_MEASURES)].apply(pd.to_numeric, errors="coerce"), "count")
    tags = {m.id: "_units_ds" if m.numerator.startswith("units") else "_agencies_ds"
            for m in registry.METRICS if m.source == "count"}
    count_flags = pd.concat([provenance_flags(counted[[f"{mid}:num"]], out[tag]) for mid, tag in tags.items()],
                            axis=1)
    out = pd.concat([out.drop(columns=[c for c in [*counted, *count_flags, *tags.values()] if c in out]),
                     counted, count_flags], axis=1)
    for col in ("dataset", "source"):
        out[col] = out[col].fillna("") if col in out else ""
    return describe(engine, out, level, within, scheme)


def describe(engine: Engine, out: pd.DataFrame, level: str, within: int | None, scheme: str | None) -> pd.DataFrame:
    """Add level, scheme, official code and name; keep only keys of ``level`` inside ``within``.

    An agency's code is '<province code>.<agency type>' (24.SNV) and its name
    '<agency name> (<province name>)'.
    """
    units = units_frame(engine)
    cols = [*KEYS, "level", "scheme", "code", "name", *VALUE_COLS, *PAIR_COLS, *FLAG_COLS, *INFO_COLS, "dataset",
            "source"]
    if out.empty:
        return pd.DataFrame(columns=cols)
    out = out.copy()
    out["key"] = out["key"].astype(int)
    if level == "department":
        ag = agencies_frame(engine)
        out = out[out["key"].isin(ag.index)]
        prov = out["key"].map(ag["unit_id"])
        out["scheme"] = prov.map(units["scheme"]).values
        out["code"] = (prov.map(units["code"]) + "." + out["key"].map(ag["type_code"])).values
        out["name"] = (out["key"].map(ag["name"]) + " (" + prov.map(units["name"]) + ")").values
        if within is not None:
            out = out[prov.values == within]
    else:
        out = out[out["key"].isin(units.index)]
        out = out[out["key"].map(units["level"]) == level]
        if within is not None:
            out = out[out["key"].isin(subtree_ids(units, within))]
        out["scheme"] = out["key"].map(units["scheme"])
        out["code"] = out["key"].map(units["code"])
        out["name"] = out["key"].map(units["name"])
    if scheme is not None:
        out = out[out["scheme"] == scheme]
    out["level"] = level
    for c in [*VALUE_COLS, *PAIR_COLS, *FLAG_COLS, *INFO_COLS]:
        out[c] = pd.to_numeric(out[c], errors="coerce") if c in out else float("nan")
    out[PIDX] = out[PIDX].astype(int)
    return out[cols].reset_index(drop=True)


# --- long format: one row per unit, period and metric ---------------------------------------

METRIC_KEY_COLS = ["key", "level", "scheme", "code", "name", "dataset", "source"]
METRIC_COLS = [*METRIC_KEY_COLS, "period_start", "period_end", "period_label", "metric", "numerator",
               "denominator", "value", "months", "months_expected", "coverage", "subjects"]


def long_metrics(fig: pd.DataFrame, periods: list[Period], metric_ids: list[str] | None = None) -> pd.DataFrame:
    """Figures (from ``figures_multi``) -> one row per unit, period and metric.

    ``months`` / ``months_expected`` / ``coverage``: calendar months of dossier data behind a
    dossier metric (empty for as-of metrics: procedure offers, counts). ``subjects``: number
    of stored subjects (units, agencies) summed into a dossier metric.
    """
    if fig.empty:
        return pd.DataFrame(columns=METRIC_COLS)
    long = registry.from_pairs(fig, [*METRIC_KEY_COLS, PIDX, *INFO_COLS], metric_ids)
    if long.empty:
        return pd.DataFrame(columns=METRIC_COLS)
    long = _metric_provenance(long, fig)
    asof = ~long["metric"].map(lambda m: registry.get(m).source == "dossier")
    long.loc[asof, INFO_COLS] = float("nan")
    long["coverage"] = long["months"] / long["months_expected"]
    long["period_start"] = long[PIDX].map({i: p.start for i, p in enumerate(periods)})
    long["period_end"] = long[PIDX].map({i: p.end for i, p in enumerate(periods)})
    long["period_label"] = long[PIDX].map({i: p.label for i, p in enumerate(periods)})
    return long[METRIC_COLS].reset_index(drop=True)


def level_metrics_multi(engine: Engine, periods: list[Period], level: str, within: int | None = None,
                        scheme: str | None = None, metric_ids: list[str] | None = None,
                        stored_only: bool = False, complete: bool = True) -> pd.DataFrame:
    """Indicators per unit of ``level`` for several periods in one pass (see ``figures_multi``)."""
    fig = figures_multi(engine, periods, level, within, scheme, stored_only=stored_only, complete=complete)
    return long_metrics(fig, periods, metric_ids)


def _metric_provenance(long: pd.DataFrame, fig: pd.DataFrame) -> pd.DataFrame:
    """Dataset and sources of each indicator on its own (not of the unit's row as a whole):
    'real' when only real subjects stand behind its pair, 'demo' when only demo ones, else
    'mixed'; the sources are narrowed to the real (or demo) files accordingly. Rows without
    flags (e.g. summed after the fact) keep the row's labels."""
    flags = [c for c in FLAG_COLS if c in fig]
    if not flags:
        return long
    parts = []
    for num in [c for c in fig.columns if c.endswith(":num")]:
        mid = num[:-4]
        if f"{mid}:real" not in fig:
            continue
        parts.append(pd.DataFrame({PIDX: fig[PIDX].values, "key": fig["key"].values, "metric": mid,
                                   "_real": fig[f"{mid}:real"].values, "_demo": fig[f"{mid}:demo"].values}))
    f = pd.concat(parts, ignore_index=True)
    long = long.merge(f, on=[PIDX, "key", "metric"], how="left")
    real, demo = long["_real"].fillna(0) > 0, long["_demo"].fillna(0) > 0
    known = real | demo
    long.loc[known, "dataset"] = "mixed"
    long.loc[real & ~demo, "dataset"] = "real"
    long.loc[demo & ~real, "dataset"] = "demo"
    for label, keep in (("real", real & ~demo), ("demo", demo & ~real)):
        if keep.any():
            long.loc[keep, "source"] = long.loc[keep, "source"].map(lambda s, lab=label: _narrow(s, lab))
    return long.drop(columns=["_real", "_demo"])


def _narrow(sources: object, dataset: str) -> str:
    """Keep the demo files ('demo:…') or the real ones from a '; '-joined source list."""
    items = [x for x in str(sources or "").split("; ") if x]
    kept = [x for x in items if x.startswith("demo:") == (dataset == "demo")]
    return "; ".join(kept or items)

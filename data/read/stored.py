"""Figures exactly as the sources state them: each stored row's indicators for its own unit (or
agency) and period, with no aggregation and no roll-up (a stated total wins over the unit's own
rows of the same period, indicator by indicator). This is what the "Nguồn số liệu" page, the
stated-versus-computed check and ``etl metrics`` without options show; it reads the figure
tables of the batches asked for (the real ones are a few thousand rows even for a province
that loads every month), never the demo data unless asked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, select

from data import metrics
from data import periods as P
from data.read.documents import document_name
from data.read.figures import METRIC_COLS
from data.read.registry import registry
from data.schema import (
    COUNT_MEASURES,
    COUNTED_LEVEL,
    DOSSIER_COUNTS,
    OFFER_COUNTS,
    count_stat,
    dossier_stat,
    load_batch,
    period,
    procedure_offer,
)


def _rows(conn: Connection, table, cols: list, dataset: str | None, batch_ids: list[int] | None,  # noqa: ANN001
          overlap: tuple[date, date] | None = None, subjects: tuple[list[int], list[int]] | None = None) -> pd.DataFrame:
    q = (select(table.c.unit_id, table.c.agency_id, table.c.scope, table.c.batch_id, load_batch.c.dataset,
                load_batch.c.file_name, table.c.source_ref, period.c.start_date, period.c.end_date, period.c.label,
                *cols)
         .join(period, period.c.id == table.c.period_id).join(load_batch, load_batch.c.id == table.c.batch_id)
         .where(load_batch.c.status == "active"))
    if dataset is not None:
        q = q.where(load_batch.c.dataset == dataset)
    if batch_ids is not None:
        q = q.where(table.c.batch_id.in_(batch_ids))
    if overlap is not None:  # periods that share a day with [start, end]
        q = q.where(period.c.start_date <= overlap[1], period.c.end_date >= overlap[0])
    if subjects is not None:  # (unit ids, agency ids) whose own rows are asked for
        units, agencies = subjects
        q = q.where((table.c.unit_id.in_(units) & table.c.agency_id.is_(None)) | table.c.agency_id.in_(agencies))
    res = conn.execute(q)
    return pd.DataFrame(res.all(), columns=list(res.keys()))


def _pairs(df: pd.DataFrame, counts: list[str], source: str) -> pd.DataFrame:
    num = df[counts].apply(pd.to_numeric, errors="coerce").astype("float64")
    p = metrics.pairs(num, source)
    return pd.concat([df.drop(columns=counts).reset_index(drop=True), p.reset_index(drop=True)], axis=1)


def _frames(conn: Connection, dataset: str | None, batch_ids: list[int] | None,
            overlap: tuple[date, date] | None = None, subjects: tuple[list[int], list[int]] | None = None) -> pd.DataFrame:
    parts = []
    d = _rows(conn, dossier_stat, [dossier_stat.c[c] for c in DOSSIER_COUNTS], dataset, batch_ids, overlap, subjects)
    if len(d):
        parts.append(_pairs(d, list(DOSSIER_COUNTS), "dossier"))
    o = _rows(conn, procedure_offer, [procedure_offer.c[c] for c in OFFER_COUNTS], dataset, batch_ids, overlap,
              subjects)
    if len(o):
        parts.append(_pairs(o, list(OFFER_COUNTS), "offer"))
    c = _rows(conn, count_stat, [count_stat.c.measure, count_stat.c.counted_level, count_stat.c.value], dataset,
              batch_ids, overlap, subjects)
    if len(c):
        c = c[c["counted_level"] == c["measure"].map(COUNTED_LEVEL)]
        keys = [k for k in c.columns if k not in ("measure", "counted_level", "value", "source_ref")]
        piv = c.pivot_table(index=keys, columns="measure", values="value", aggfunc="sum", dropna=False)
        piv = piv.dropna(how="all").reset_index()
        # the measures of one figure may be quoted from different sentences of the same document
        piv = piv.merge(c.groupby(keys, dropna=False)["source_ref"].first().reset_index(), on=keys, how="left")
        for m in COUNT_MEASURES:
            if m not in piv:
                piv[m] = np.nan
        parts.append(_pairs(piv, list(COUNT_MEASURES), "count"))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def stored_metrics(engine: Engine, dataset: str | None = "real", batch_ids: list[int] | None = None,
                   metric_ids: list[str] | None = None, overlap: tuple[date, date] | None = None,
                   subjects: tuple[list[int], list[int]] | None = None) -> pd.DataFrame:
    """Every indicator as stored (columns of data.read.figures.METRIC_COLS), by period, unit
    level and code; ``overlap``: only periods sharing a day with (first, last). ``source`` names
    the documents (title and date) a seed figure was transcribed from, or the loaded file.
    ``subjects``: only the own rows of these (unit ids, agency ids)."""
    with engine.connect() as conn:
        df = _frames(conn, dataset, batch_ids, overlap, subjects)
    return _long(engine, df, metric_ids)


def _long(engine: Engine, df: pd.DataFrame, metric_ids: list[str] | None) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame(columns=METRIC_COLS)
    reg = registry(engine)
    df["agency_id"] = pd.to_numeric(df["agency_id"]).astype("Int64")
    dep = df["agency_id"].notna()
    df["level"] = np.where(dep, "department", df["unit_id"].map(reg.units["level"]))
    df["key"] = np.where(dep, df["agency_id"].fillna(0).astype(np.int64), df["unit_id"]).astype(np.int64)
    df["total"] = (df["scope"] == "total") & ~dep
    docs = df["source_ref"].map(document_name)  # a seed figure's document; a file's own name otherwise
    df["_doc"] = np.where(docs != df["source_ref"].str.strip(), docs, df["file_name"])
    frames = []
    for mid in metric_ids or [m.id for m in metrics.METRICS]:
        n, d = f"{mid}:num", f"{mid}:den"
        if n not in df:
            continue
        part = df[df[n].notna() & df[d].notna()]
        if part.empty:
            continue
        # a stated total of the unit wins over its own rows of the same period
        has_total = part.groupby(["level", "key", "start_date", "end_date"])["total"].transform("max")
        part = part[part["total"] | ~has_total]
        g = part.groupby(["level", "key", "start_date", "end_date", "label"], sort=False)
        out = g[[n, d]].sum().rename(columns={n: "numerator", d: "denominator"})
        out["dataset"] = g["dataset"].agg(lambda s: s.iloc[0] if s.nunique() == 1 else "mixed")
        out["source"] = g["_doc"].agg(lambda s: "; ".join(sorted(set(s))))
        frames.append(out.reset_index().assign(metric=mid))
    if not frames:
        return pd.DataFrame(columns=METRIC_COLS)
    out = pd.concat(frames, ignore_index=True)
    out = out[out["denominator"] > 0]
    out["value"] = out["numerator"] / out["denominator"]
    per = [P.classify(s, e, lbl) for s, e, lbl in zip(out["start_date"], out["end_date"], out["label"], strict=True)]
    out["period_start"], out["period_end"] = out["start_date"], out["end_date"]
    out["period_label"] = [p.label for p in per]
    units, agencies = reg.unit_names, reg.agency_names
    desc = pd.concat([units.assign(_l=units["level"]), agencies.assign(_l="department")])
    desc = desc.set_index([desc["_l"], desc.index])
    d = desc.reindex(pd.MultiIndex.from_arrays([out["level"], out["key"]]))
    out["scheme"], out["code"], out["name"] = d["scheme"].to_numpy(), d["code"].to_numpy(), d["name"].to_numpy()
    for c in ("months", "months_expected", "coverage", "subjects"):
        out[c] = np.nan
    order = {m.id: i for i, m in enumerate(metrics.METRICS)}
    rank = {"province": 0, "district": 1, "commune": 2, "department": 3}
    out = out.assign(_l=out["level"].map(rank), _m=out["metric"].map(order)).sort_values(
        ["period_start", "period_end", "scheme", "_l", "code", "_m"], kind="stable")
    return out[METRIC_COLS].reset_index(drop=True)


def stored_chunks(engine: Engine, metric_ids: list[str] | None = None, size: int = 20) -> Iterator[pd.DataFrame]:
    """Everything stored (all batches, demo included), a few batches at a time (``etl metrics``
    with no option)."""
    with engine.connect() as conn:
        ids = [int(i) for (i,) in conn.execute(select(load_batch.c.id).where(load_batch.c.status == "active")
                                               .order_by(load_batch.c.id))]
    for first in range(0, len(ids), size):
        df = stored_metrics(engine, dataset=None, batch_ids=ids[first:first + size], metric_ids=metric_ids)
        if len(df):
            yield df

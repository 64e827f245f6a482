"""What a view of the dashboard shows, gathered once from the URL parameters: the view state,
its period and comparison period, the unit, the unit's indicators now and before, the units
one level down and the trend. Pages, the presentation mode and the exports all read it, so
they always agree. Data comes from the analytics store through ``data.queries``; no SQL here,
and nothing is kept between requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from components.families import DEPARTMENT_METRICS, family_of
from components.state import ViewState, resolve_view, scheme_range
from data import periods as P
from data import queries
from data.db import default_url, get_engine


@dataclass
class View:
    state: ViewState
    per: P.Period
    prev: P.Period | None
    data_range: tuple[date, date]
    unit: pd.Series | None
    level: str
    cur: pd.DataFrame
    old: pd.DataFrame | None
    kids: pd.DataFrame
    trend: pd.DataFrame
    first: date
    last: date
    ranks: dict[str, tuple[int, int]]  # the unit's rank among its peers per KPI ("32/34")
    unknown_unit: str = ""  # a unit code in the URL that names no unit of the scheme
    unit_elsewhere: str = ""  # then the scheme in which that code names a unit, if any
    targets: dict = field(default_factory=dict)  # {metric: Target | None} in force for the unit
    kid_targets: dict = field(default_factory=dict)  # {metric: {unit key: target value}} below it
    real: pd.DataFrame = field(default_factory=pd.DataFrame)  # real figures beside demo ones (real_beside)

    @property
    def unit_id(self) -> int | None:
        return int(self.unit["id"]) if self.unit is not None else None

    @property
    def unit_name(self) -> str:
        return str(self.unit["name"]) if self.unit is not None else "Toàn quốc"

    @property
    def fixed_level(self) -> str | None:
        """The one level below the unit when there is no choice: provinces below the country,
        communes below a district (None: the user chooses)."""
        if self.unit is None:
            return "province"
        return "commune" if self.unit["level"] == "district" else None

    @property
    def is_demo(self) -> bool:
        return bool(len(self.cur)) and (self.cur["dataset"] != "real").any()

    def heat(self, metric_id: str) -> pd.DataFrame:
        return queries.heat_frame(get_engine(default_url()), self.per, self.state.scheme, self.unit_id, self.level,
                          metric_id, self.first)

    def own_real(self) -> pd.DataFrame:
        """The real figures beside the unit's own (demo) indicators."""
        if self.real.empty or self.unit is None:
            return self.real.iloc[0:0]
        return self.real[(self.real["key"] == self.unit_id) & (self.real["level"] == self.unit["level"])]

    def sources(self) -> str:
        """Real sources behind the unit's indicators ('' when everything is demo)."""
        found = {x for v in self.cur.get("source", pd.Series(dtype=str)) for x in str(v).split("; ")
                 if x and not x.startswith("demo:")}
        return "; ".join(sorted(found))


TREND_QUARTERS = 12  # what the trend charts show: three years of quarters


def view_metrics(path: str, metric: str) -> tuple[list[str], list[str], list[str]]:
    """(the unit's indicators, those of the units one level down, those of the trend) a page of
    ``path`` shows (its family's, in components.families) with the view's chosen ``metric``."""
    fam = family_of(path)
    ordered = list(dict.fromkeys([*fam.kpis, *fam.trend, *fam.units, metric, *DEPARTMENT_METRICS]))
    return ordered, list(dict.fromkeys([*fam.units, metric])), list(dict.fromkeys([*fam.kpis, *fam.trend]))


def load_view(params: dict[str, str], path: str = "/") -> View | None:
    """The view of these URL parameters on the page at ``path`` (None when the database holds no
    figures yet): only the indicators that page, its presentation and its exports show are read."""
    engine = get_engine(default_url())
    rng = queries.data_range(engine)
    if rng is None:
        return None
    state, per, prev = resolve_view(params, rng)
    unit = queries.find_unit(engine, state.unit_scheme, state.unit) if state.unit else None
    unknown = state.unit if state.unit and unit is None else ""
    other = "legacy" if state.unit_scheme == "2025" else "2025"
    elsewhere = other if unknown and queries.find_unit(engine, other, unknown) is not None else ""
    unit_id = int(unit["id"]) if unit is not None else None
    level = queries.child_level(unit["level"] if unit is not None else None, state.unit_scheme, state.level)
    own, below, trended = view_metrics(path, state.metric)
    cur, kids, old = queries.view_metrics(engine, per, state.scheme, unit_id, level, own, prev, below)
    first, last = scheme_range(rng, state.scheme)
    end = min(last, per.end)
    q = (end.year * 4 + (end.month - 1) // 3) - (TREND_QUARTERS - 1)
    trend_from = max(first, P.quarter(q // 4, q % 4 + 1).start)
    trend = queries.view_trend(engine, state.scheme, unit_id, trended, trend_from, end)
    ranks = queries.sibling_ranks(engine, per, state.scheme, unit_id, list(family_of(path).kpis))
    targets = queries.targets_for(engine, own, per.end, unit_id)
    kid_targets = {m: queries.row_targets(engine, m, per.end, kids, unit_id) for m in below}
    # real figures of the units shown (old units' figures are not shown on today's units)
    real = pd.DataFrame()
    if not (state.scheme == "today" and per.start < date(2025, 7, 1)):
        cur, kids, real = with_documents(engine, per, cur, kids, sorted({*own, *below}))
    return View(state, per, prev, rng, unit, level, cur, old, kids, trend, first, last, ranks, unknown, elsewhere,
                targets, kid_targets, real)


def real_beside(real: pd.DataFrame, shown: pd.DataFrame) -> pd.DataFrame:
    """The real figures (as their documents state them, periods overlapping the view) of units and
    indicators the view shows demo (or partly demo) figures for: TP Điện Biên Phủ's 2.037/2.486
    overdue (01/01–24/02/2020) beside its demo value for 2020."""
    not_real = shown[shown["dataset"] != "real"] if len(shown) else shown
    if real.empty or not_real.empty:
        return real.iloc[0:0]
    wanted = set(zip(not_real["level"], not_real["key"].astype(int), not_real["metric"], strict=True))
    keep = [(lv, int(k), m) in wanted for lv, k, m in zip(real["level"], real["key"], real["metric"], strict=True)]
    return real[keep].reset_index(drop=True)


def with_documents(engine, per: P.Period, cur: pd.DataFrame, kids: pd.DataFrame,  # noqa: ANN001
                   metric_ids: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(cur, kids with seed sources named by document, the real figures beside demo ones). Only
    the units that need it are read: those shown with demo figures and those whose figures come
    from the seed file; only from the real batches."""
    batches = queries.real_batches(engine)
    shown = pd.concat([cur, kids], ignore_index=True)
    if batches.empty or shown.empty:
        return cur, kids, pd.DataFrame()
    seed = set(batches.loc[batches["kind"] == "seed", "file_name"].astype(str))
    from_seed = shown["source"].fillna("").map(lambda s: any(x in seed for x in s.split("; ")))
    need = shown[(shown["dataset"] != "real") | from_seed]
    if need.empty:
        return cur, kids, pd.DataFrame()
    units = sorted({int(k) for k, lv in zip(need["key"], need["level"], strict=True) if lv != "department"})
    agencies = sorted({int(k) for k, lv in zip(need["key"], need["level"], strict=True) if lv == "department"})
    real = queries.stored_metrics(engine, "real", batch_ids=[int(i) for i in batches["id"]], metric_ids=metric_ids,
                                  overlap=(per.start, per.end), subjects=(units, agencies))
    if real.empty:
        return cur, kids, real
    return name_documents(cur, real, seed), name_documents(kids, real, seed), real_beside(real, shown)


def name_documents(df: pd.DataFrame, real: pd.DataFrame, seed_files: set[str]) -> pd.DataFrame:
    """Sources named by document: a stored figure whose source is the seed file (one file for
    every transcribed document) gets the titles and dates of the documents behind that unit's
    indicator (``real``: the real figures as stated of the same units and overlapping periods)."""
    if df.empty or real.empty or not seed_files or "source" not in df:
        return df
    docs = real.groupby(["level", "key", "metric"])["source"].agg(lambda s: "; ".join(sorted(set(s))))
    by_unit = real.groupby(["level", "key"])["source"].agg(lambda s: "; ".join(sorted(set(s))))

    def rename(row: pd.Series) -> str:
        parts = [x for x in str(row["source"] or "").split("; ") if x]
        if not any(x in seed_files for x in parts):
            return row["source"]
        named = docs.get((row["level"], int(row["key"]), row["metric"])) or by_unit.get((row["level"], int(row["key"])))
        if not named:
            return row["source"]
        return "; ".join([x for x in parts if x not in seed_files] + [named])

    return df.assign(source=df.apply(rename, axis=1))

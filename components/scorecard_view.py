"""What the Chỉ số 766 page shows, gathered once from the URL (unit, period, scheme, ``group``):
the page, the presentation mode and the exports all read it, so they agree. Data comes from
the analytics store through ``data.queries``; no SQL here."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from components import scorecard as SC
from components.state import ViewState
from data import metrics, queries
from data import periods as P
from data.db import default_url, get_engine

PATH = "/chi-so-766"
PERIOD_KIND = {"latest-month": "month", "latest-quarter": "quarter", "prev-quarter": "quarter",
               "latest-year": "year", "ytd": "month"}


@dataclass
class ScoreView:
    state: ViewState
    group: metrics.ScoreGroup
    periods: pd.DataFrame  # score_periods: label, spec, kind, newest first
    per: P.Period
    unit: pd.Series | None  # the unit of the URL
    province: pd.Series | None  # the province shown (the unit's)
    provinces: pd.DataFrame  # the provinces' scores in the period
    row: pd.Series | None  # the province's row
    departments: pd.DataFrame
    communes: pd.DataFrame
    months: pd.DataFrame  # the provinces' scores of every month
    quarters: pd.DataFrame
    source: str
    units: pd.DataFrame
    notice: str = ""  # why the period shown is not the one asked for
    unknown_unit: bool = False

    @property
    def name(self) -> str:
        return str(self.province["name"]) if self.province is not None else "Toàn quốc"

    @property
    def province_id(self) -> int | None:
        return int(self.province["id"]) if self.province is not None else None

    @property
    def is_demo(self) -> bool:
        shown = self.provinces if self.row is None else self.row.to_frame().T
        return bool(len(shown)) and (shown["dataset"] != "real").any()

    @property
    def league(self) -> pd.DataFrame:
        return SC.league_frame(self.provinces, self.group)

    def trend(self, kind: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(the province's rows, the national average) over the months or quarters."""
        df = self.months if kind == "month" else self.quarters
        own = df[df["key"] == self.province_id] if self.province_id is not None and len(df) else df.iloc[0:0]
        avg = SC.national_average(df)
        # a user who may read one province only: no "average" of that one province
        return own, avg if len(avg) and avg["n"].max() > 1 else avg.iloc[0:0]

    @property
    def national(self) -> float | None:
        """The mean of the provinces' totals in the period (None below two provinces)."""
        avg = SC.national_average(self.provinces)
        return float(avg["average"].iloc[0]) if len(avg) and int(avg["n"].iloc[0]) > 1 else None

    def query(self, **changes: str) -> str:
        """The URL query of this view (the group kept unless it is the total)."""
        q = self.state.query(**changes)
        return q + (f"&group={self.group.key}" if self.group.key != "TOTAL" else "")


def pick_period(periods: pd.DataFrame, spec: str, asked: bool) -> tuple[pd.Series, str]:
    """The period to show: the one asked for if it has scores, else the latest of its kind
    (relative specs), else the latest month; and a notice when it is not the one asked for."""
    months = periods[periods["period_kind"] == "month"]
    latest = months.iloc[0] if len(months) else periods.iloc[0]
    if not asked:
        return latest, ""
    if spec in PERIOD_KIND:
        kind = periods[periods["period_kind"] == PERIOD_KIND[spec]]
        if spec == "prev-quarter" and len(kind) > 1:
            return kind.iloc[1], ""
        return (kind.iloc[0] if len(kind) else latest), ""
    hit = periods[periods["spec"] == spec]
    if len(hit):
        return hit.iloc[0], ""
    try:
        label = P.parse_spec(spec).label
    except ValueError:
        label = spec
    return latest, f"{label} chưa có điểm Chỉ số 766; đang hiển thị {latest['label']}, kỳ gần nhất có điểm."


def load_scores(params: dict[str, str]) -> ScoreView | None:
    """The view of these URL parameters; None when there are no scores at all."""
    engine = get_engine(default_url())
    state = ViewState.from_params(params)
    scheme = "legacy" if state.scheme == "legacy" else "2025"
    periods = queries.score_periods(engine, scheme)
    if periods.empty:
        return None
    chosen, notice = pick_period(periods, state.period, "period" in params)
    per = P.classify(chosen["period_start"], chosen["period_end"])
    state = replace(state, period=str(chosen["spec"]))
    units = queries.units_frame(engine)
    unit = queries.find_unit(engine, state.unit_scheme, state.unit) if state.unit else None
    province = None
    if unit is not None:
        pid = unit["province_id"] if unit["level"] != "province" else unit["id"]
        province = units.loc[int(pid)].copy() if pid == pid else None
        if province is not None:
            province["id"] = int(pid)
    provinces = queries.scores(engine, per, level="province", scheme=scheme)
    row = None
    empty = provinces.iloc[0:0]
    departments = communes = empty
    if province is not None:
        own = provinces[provinces["key"] == int(province["id"])]
        row = own.iloc[0] if len(own) else None
        within = queries.scores(engine, per, within=int(province["id"]))
        departments = within[within["level"] == "department"]
        communes = within[within["level"] == "commune"]
    shown = row.to_frame().T if row is not None else provinces
    batches = sorted({int(b) for v in shown.get("batches", []) for b in str(v).split(",") if b})
    source = SC.source_text(queries.score_sources(engine, batches))
    months = queries.scores(engine, None, level="province", scheme=scheme, kind="month")
    quarters = queries.scores(engine, None, level="province", scheme=scheme, kind="quarter")
    return ScoreView(state, SC.group_of(params.get("group")), periods, per, unit, province, provinces, row,
                     departments, communes, months, quarters, source, units, notice,
                     unknown_unit=bool(state.unit) and unit is None)


def reconciliation(view: ScoreView) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the portal's counts beside the reports', the portal_differs findings) of the province."""
    from data.read.reconcile import COMPARE_COLUMNS, FINDING_COLUMNS

    if view.province_id is None:
        return pd.DataFrame(columns=COMPARE_COLUMNS), pd.DataFrame(columns=FINDING_COLUMNS)
    engine = get_engine(default_url())
    return (queries.portal_vs_report(engine, view.province_id, view.per),
            queries.portal_findings(engine, view.province_id, view.per))

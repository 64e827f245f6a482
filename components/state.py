"""The dashboard's view state, kept in the URL query string.

``?scheme=2025&unit=11&level=commune&period=latest-quarter&compare=prev&metric=overdue_rate``
reopens exactly the same view; every page reads it with ``ViewState.from_params``.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from datetime import date
from urllib.parse import urlencode

from data import metrics
from data import periods as P

SCHEMES = {"2025": "Từ 01/07/2025 (34 tỉnh)", "legacy": "Trước 01/07/2025 (63 tỉnh)",
           "today": "Số liệu cũ theo đơn vị hiện nay"}
LEVELS = {"department": "Sở, ngành", "district": "Huyện", "commune": "Xã"}
COMPARE = {"prev": "Kỳ trước", "yoy": "Cùng kỳ năm trước"}
RELATIVE = {"latest-month": "Tháng gần nhất", "latest-quarter": "Quý gần nhất", "prev-quarter": "Quý trước đó",
            "latest-year": "Năm gần nhất", "ytd": "Từ đầu năm đến nay"}
SCHEME_START = date(2025, 7, 1)


@dataclass(frozen=True)
class ViewState:
    scheme: str = "2025"
    unit: str = ""  # official code in the scheme; "" = the whole country
    level: str = "commune"
    period: str = "latest-quarter"
    compare: str = "prev"
    metric: str = "online_intake_share"

    @classmethod
    def from_params(cls, params: dict[str, str], default_scheme: str = "2025") -> ViewState:
        """Read URL parameters; unknown or invalid values fall back to defaults."""
        from data.read import scope

        # a signed-in user's views start from their own unit (and cannot ask for the country,
        # which lies outside their scope); otherwise the configured home province
        own = scope.home_unit()
        home = own or os.environ.get("TTHC_HOME_PROVINCE", "").strip()
        s = cls(scheme=default_scheme, unit=home)
        scheme = params.get("scheme", s.scheme)
        s = replace(s, scheme=scheme if scheme in SCHEMES else s.scheme)
        if "unit" in params:
            unit = params["unit"].strip()
            s = replace(s, unit=unit if unit.isdigit() or (unit == "" and not own) else s.unit)
        level = params.get("level", s.level)
        s = replace(s, level=level if level in LEVELS else s.level)
        if s.scheme != "legacy" and s.level == "district":
            s = replace(s, level="commune")
        per = params.get("period", s.period)
        s = replace(s, period=per if _valid_period(per) else s.period)
        cmp_ = params.get("compare", s.compare)
        s = replace(s, compare=cmp_ if cmp_ in COMPARE else s.compare)
        metric = params.get("metric", s.metric)
        return replace(s, metric=metric if metric in metrics.BY_ID else s.metric)

    def query(self, **changes: str) -> str:
        """The query string of this state with ``changes`` applied ("?scheme=...")."""
        return "?" + urlencode(asdict(replace(self, **changes)))

    @property
    def data_scheme(self) -> str:
        """The scheme of the stored figures to read ('today' shows legacy figures)."""
        return "legacy" if self.scheme == "legacy" else ("2025" if self.scheme == "2025" else "legacy")

    @property
    def unit_scheme(self) -> str:
        """The scheme of the units shown ('today' shows today's units)."""
        return "legacy" if self.scheme == "legacy" else "2025"


def _valid_period(spec: str) -> bool:
    if spec in RELATIVE:
        return True
    try:
        P.parse_spec(spec)
    except ValueError:
        return False
    return True


def valid_in_scheme(spec: str, rng: tuple[date, date]) -> bool:
    """Whether a period spec lies inside a scheme's part of the data range (relative periods
    always do: they count back from that part's last month)."""
    if spec in RELATIVE:
        return True
    try:
        per = P.parse_spec(spec)
    except ValueError:
        return False
    return rng[0] <= per.start and per.end <= rng[1]


def resolve_period(spec: str, first: date, last: date) -> P.Period:
    """A Period for a spec; relative specs count back from the last month with data."""
    if spec not in RELATIVE:
        return P.parse_spec(spec)
    if spec == "latest-month":
        return P.month(last.year, last.month)
    if spec == "latest-year":
        y = last.year if last.month == 12 else last.year - 1
        return P.year_period(max(y, first.year))
    if spec == "ytd":
        start = max(date(last.year, 1, 1), first)
        return P.classify(start, last)
    q = (last.month - 1) // 3 + 1
    year = last.year
    if last.month % 3 != 0:  # quarter not complete yet: take the one before
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    if spec == "prev-quarter":
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    return P.quarter(year, q)


def comparison_period(per: P.Period, how: str) -> P.Period | None:
    """The previous period of the same kind, or the same period one year earlier."""
    if how == "yoy" or per.kind in ("year", "9m"):
        try:
            return P.classify(per.start.replace(year=per.start.year - 1), per.end.replace(year=per.end.year - 1))
        except ValueError:  # 29 February
            return P.classify(per.start.replace(year=per.start.year - 1, day=28),
                              per.end.replace(year=per.end.year - 1, day=28))
    if per.kind == "month":
        y, m = (per.start.year - 1, 12) if per.start.month == 1 else (per.start.year, per.start.month - 1)
        return P.month(y, m)
    if per.kind == "quarter":
        q = (per.start.month - 1) // 3 + 1
        return P.quarter(per.start.year - 1, 4) if q == 1 else P.quarter(per.start.year, q - 1)
    if per.kind == "half":
        return P.half(per.start.year - 1, 2) if per.start.month == 1 else P.half(per.start.year, 1)
    return None


def period_options(first: date, last: date, scheme: str) -> list[dict[str, str]]:
    """Dropdown options: relative choices, then years, halves, quarters and recent months."""
    lo, hi = (first, min(last, date(2025, 6, 30))) if scheme == "legacy" else (max(first, SCHEME_START), last)
    if scheme == "today":
        lo, hi = first, min(last, date(2025, 6, 30))
    opts = [{"label": v, "value": k} for k, v in RELATIVE.items()]
    for y in range(hi.year, lo.year - 1, -1):
        # a year only when the scheme covers it whole ('today' also across 1/7/2025)
        if P.year_period(y).start >= lo and P.year_period(y).end <= (last if scheme == "today" else hi):
            opts.append({"label": f"Năm {y}", "value": str(y)})
        for h in (2, 1):
            p = P.half(y, h)
            if p.start >= lo and p.end <= hi:
                opts.append({"label": p.label, "value": p.spec})
        for q in (4, 3, 2, 1):
            p = P.quarter(y, q)
            if p.start >= lo and p.end <= hi:
                opts.append({"label": p.label, "value": p.spec})
    for p in reversed(P.months_between(max(lo, date(hi.year - 1, hi.month, 1)), hi)):
        opts.append({"label": p.label, "value": p.spec})
    return opts


def resolve_view(params: dict[str, str], data_range: tuple[date, date]) -> tuple[ViewState, P.Period,
                                                                                 P.Period | None]:
    """The view state of the URL, its period and comparison period, for the data range given.

    Relative periods count back from the last month with data in the state's scheme.
    """
    first, last = data_range
    state = ViewState.from_params(params, "2025" if last >= SCHEME_START else "legacy")
    if state.data_scheme == "legacy":
        last = min(last, date(2025, 6, 30))
    else:
        first = max(first, SCHEME_START)
    per = clip_to_scheme(resolve_period(state.period, first, last), state.scheme)
    return state, per, comparison_period(per, state.compare)


def clip_to_scheme(per: P.Period, scheme: str) -> P.Period:
    """A period reaching across 1/7/2025 is counted inside the chosen system only (the 2025 units
    from 01/07/2025, the old ones until 30/06/2025): "Năm 2025" of the 34 provinces is
    01/07–31/12/2025, and the page says so (components.notices). 'today' spans both."""
    if scheme == "2025" and per.start < SCHEME_START <= per.end:
        return P.classify(SCHEME_START, per.end)
    if scheme == "legacy" and per.start < SCHEME_START <= per.end:
        return P.classify(per.start, date(2025, 6, 30))
    return per


def scheme_range(data_range: tuple[date, date], scheme: str) -> tuple[date, date]:
    """The part of the data range a scheme covers: before 1/7/2025 for 'legacy', from it for
    '2025', all of it for 'today' (old figures on today's units, then today's figures)."""
    first, last = data_range
    if scheme == "legacy":
        return first, min(last, date(2025, 6, 30))
    if scheme == "2025":
        return max(first, SCHEME_START), last
    return first, last

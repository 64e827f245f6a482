"""The metric registry: every indicator is declared here once.

Pages, tables, map legends, exports, the ``etl metrics`` command and the tests all read it.
A metric is numerator / denominator over *derived columns* (``DERIVED``), which are computed
from the stored counts after aggregation; a derived column is unknown (NaN) when the counts it
needs are unknown, so nothing is guessed.

Adding an indicator = one ``Metric(...)`` entry (and a derived column if it needs a new one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
import pandas as pd

# --- derived columns ------------------------------------------------------------------------


def _coalesce(*series: pd.Series) -> pd.Series:
    out = series[0].astype("float64")
    for s in series[1:]:
        out = out.fillna(s.astype("float64"))
    return out


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name].astype("float64") if name in df else pd.Series(np.nan, index=df.index)


def _new_received(df: pd.DataFrame) -> pd.Series:
    return _coalesce(
        _col(df, "received_new"),
        _col(df, "received_online") + _col(df, "received_direct_postal"),
        _col(df, "received_total") - _col(df, "received_carried"),
    )


DERIVED: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    # received in the period (online + direct + postal), without carried-over dossiers
    "new_received": _new_received,
    "received_postal": lambda df: _col(df, "received_postal"),
    "received_online": lambda df: _col(df, "received_online"),
    # received incl. carried over (Biểu 06 column 3)
    "received_all": lambda df: _coalesce(
        _col(df, "received_total"), _new_received(df) + _col(df, "received_carried")
    ),
    # "dossiers received" as the Điện Biên document uses it: with carried-over when known
    "received_for_overdue": lambda df: _coalesce(
        _col(df, "received_total"), _new_received(df) + _col(df, "received_carried"), _new_received(df)
    ),
    "returned_total": lambda df: _col(df, "returned_total"),
    "returned_postal": lambda df: _col(df, "returned_postal"),
    "settled": lambda df: _coalesce(
        _col(df, "settled_total"),
        _col(df, "settled_early") + _col(df, "settled_on_time") + _col(df, "settled_overdue"),
    ),
    "settled_in_time": lambda df: _col(df, "settled_early") + _col(df, "settled_on_time"),
    "settled_overdue": lambda df: _col(df, "settled_overdue"),
    "pending": lambda df: _coalesce(
        _col(df, "pending_total"), _col(df, "pending_within") + _col(df, "pending_overdue")
    ),
    "pending_within": lambda df: _col(df, "pending_within"),
    "pending_overdue": lambda df: _col(df, "pending_overdue"),
    "overdue_any": lambda df: _coalesce(
        _col(df, "overdue_total"), _col(df, "settled_overdue") + _col(df, "pending_overdue")
    ),
    # the Index 766 rate; where a source (the national portal) gives only its on-time count of
    # any status and the received total, those: totalOnTime / totalReceived
    "in_time_any": lambda df: _coalesce(
        _col(df, "settled_early") + _col(df, "settled_on_time") + _col(df, "pending_within"),
        _col(df, "in_time_total").where(_col(df, "received_total").notna()),
    ),
    "settled_plus_pending": lambda df: _coalesce(
        DERIVED["settled"](df) + DERIVED["pending"](df),
        _col(df, "received_total").where(_col(df, "in_time_total").notna()),
    ),
    # procedure offer (levels before Decree 42/2022, partial/full-process after)
    "procedures": lambda df: _coalesce(
        _col(df, "procedures_total"),
        _col(df, "online_level2") + _col(df, "online_level3") + _col(df, "online_level4"),
    ),
    "bcci_published": lambda df: _col(df, "bcci_published"),
    "online_offered": lambda df: _coalesce(
        _col(df, "online_level3") + _col(df, "online_level4"),
        _col(df, "online_partial") + _col(df, "online_full"),
    ),
    "online_full_offered": lambda df: _coalesce(_col(df, "online_level4"), _col(df, "online_full")),
    # unit/agency counts (stated by a source or counted from detail rows)
    "agencies_total": lambda df: _col(df, "agencies_total"),
    "agencies_with_agreement": lambda df: _col(df, "agencies_with_agreement"),
    "units_total": lambda df: _col(df, "units_total"),
    "units_zero_activity": lambda df: _col(df, "units_zero_activity"),
}


def derive(df: pd.DataFrame, names: list[str] | None = None) -> pd.DataFrame:
    """Add the derived columns (all, or ``names``) to a frame of summed counts."""
    out = df.copy()
    for name in names or DERIVED:
        out[name] = DERIVED[name](df)
    return out


# --- the registry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    value: float  # fraction
    valid_from: date
    valid_to: date
    source: str


@dataclass(frozen=True)
class Metric:
    id: str
    family: str  # postal | online | timeliness | activity
    label_vi: str
    label_en: str
    numerator: str  # a DERIVED column
    denominator: str  # a DERIVED column
    numerator_vi: str
    denominator_vi: str
    higher_is_better: bool
    source: str  # "dossier" | "offer" | "count": which stored figures it needs
    targets: tuple[Target, ...] = ()  # national defaults, in force from/to; a province may override
    fmt: str = "percent"
    note: str = ""

    def target_on(self, day: date) -> Target | None:
        """The national default target in force on ``day`` (None: no rule sets one)."""
        for t in self.targets:
            if t.valid_from <= day <= t.valid_to:
                return t
        return None

    def bands(self, target: float) -> tuple[float, float]:
        """(where "Gần đạt" starts, where "Đạt" starts) against a target: at least ``NEAR`` of
        the target for higher-is-better indicators, at most target / ``NEAR`` otherwise."""
        return (target * NEAR, target) if self.higher_is_better else (target / NEAR, target)

    def light(self, value: float | None, target: float | None) -> str | None:
        """'green' (Đạt) | 'amber' (Gần đạt) | 'red' (Chưa đạt) for a value against the target in
        force; None without a target or a value: no verdict is given without a target."""
        if value is None or value != value or target is None:
            return None
        near, goal = self.bands(target)
        if self.higher_is_better:
            return "green" if value >= goal else "amber" if value >= near else "red"
        return "green" if value <= goal else "amber" if value <= near else "red"


NEAR = 0.8  # "Gần đạt": within 80 % of the way to the target


def target_for(metric_id: str, day: date, unit_code: str | None = None) -> Target | None:
    """The target that applies to a unit's figure for a period ending on ``day``: today the
    national default of the registry (province overrides come with the targets table)."""
    del unit_code  # overrides per province and unit: not stored yet
    return get(metric_id).target_on(day)


NQ76 = "Nghị quyết 76/NQ-CP (Chương trình tổng thể cải cách hành chính 2021-2030)"
QD766 = "Quyết định 766/QĐ-TTg (Bộ chỉ số chỉ đạo, điều hành, 2022)"

METRICS: tuple[Metric, ...] = (
    Metric(
        "postal_intake_share", "postal", "Tỷ lệ hồ sơ tiếp nhận qua BCCI", "Dossiers received via postal service",
        "received_postal", "new_received", "Hồ sơ tiếp nhận qua bưu chính công ích", "Hồ sơ tiếp nhận trong kỳ",
        True, "dossier",
        note="Quyết định 45/2016/QĐ-TTg; ngưỡng màu là mặc định của dự án.",
    ),
    Metric(
        "postal_return_share", "postal", "Tỷ lệ trả kết quả qua BCCI", "Results returned via postal service",
        "returned_postal", "returned_total", "Kết quả trả qua bưu chính công ích", "Kết quả đã trả",
        True, "dossier",
    ),
    Metric(
        "bcci_procedure_share", "postal", "Tỷ lệ TTHC công bố tiếp nhận/trả kết quả qua BCCI",
        "Procedures published for postal service", "bcci_published", "procedures",
        "TTHC công bố thực hiện qua BCCI", "Tổng số TTHC", True, "offer",
    ),
    Metric(
        "bcci_agreement_share", "postal", "Tỷ lệ cơ quan đã ký thỏa thuận với Bưu điện",
        "Agencies with a postal cooperation agreement", "agencies_with_agreement", "agencies_total",
        "Cơ quan đã ký thỏa thuận", "Tổng số cơ quan", True, "count",
    ),
    Metric(
        "online_offer_share", "online", "Tỷ lệ TTHC cung cấp trực tuyến (mức 3-4 / một phần, toàn trình)",
        "Procedures offered online (level 3-4 / partial or full)", "online_offered", "procedures",
        "TTHC trực tuyến mức 3-4 (một phần, toàn trình)", "Tổng số TTHC", True, "offer",
        targets=(
            Target(0.80, date(2021, 1, 1), date(2025, 12, 31), NQ76 + "; " + QD766),
            Target(0.90, date(2026, 1, 1), date(2030, 12, 31), NQ76),
        ),
    ),
    Metric(
        "online_full_share", "online", "Tỷ lệ TTHC trực tuyến mức 4 / toàn trình",
        "Procedures offered fully online (level 4 / full-process)", "online_full_offered", "procedures",
        "TTHC mức 4 / toàn trình", "Tổng số TTHC", True, "offer",
    ),
    Metric(
        "online_intake_share", "online", "Tỷ lệ hồ sơ nộp trực tuyến", "Dossiers filed online",
        "received_online", "new_received", "Hồ sơ tiếp nhận trực tuyến", "Hồ sơ tiếp nhận trong kỳ",
        True, "dossier",
        targets=(Target(0.50, date(2021, 1, 1), date(2030, 12, 31), NQ76 + "; " + QD766),),
    ),
    Metric(
        "on_time_rate", "timeliness", "Tỷ lệ hồ sơ giải quyết đúng hạn", "Settled on time or early",
        "settled_in_time", "settled", "Hồ sơ giải quyết trước hạn và đúng hạn", "Hồ sơ đã giải quyết",
        True, "dossier",
    ),
    Metric(
        "overdue_settled_rate", "timeliness", "Tỷ lệ hồ sơ giải quyết quá hạn", "Settled overdue",
        "settled_overdue", "settled", "Hồ sơ giải quyết quá hạn", "Hồ sơ đã giải quyết",
        False, "dossier",
    ),
    Metric(
        "pending_overdue_rate", "timeliness", "Tỷ lệ hồ sơ đang giải quyết quá hạn", "In progress past deadline",
        "pending_overdue", "pending", "Hồ sơ đang giải quyết quá hạn", "Hồ sơ đang giải quyết",
        False, "dossier",
    ),
    Metric(
        "overdue_rate", "timeliness", "Tỷ lệ hồ sơ quá hạn", "Overdue dossiers (any status)",
        "overdue_any", "received_for_overdue", "Hồ sơ quá hạn (đã và đang giải quyết)", "Hồ sơ tiếp nhận",
        False, "dossier",
    ),
    Metric(
        "index766_timeliness", "timeliness", "Chỉ số tiến độ giải quyết (QĐ 766)", "Index 766 timeliness rate",
        "in_time_any", "settled_plus_pending",
        "Đã giải quyết trước/đúng hạn + đang giải quyết trong hạn", "Đã giải quyết + đang giải quyết",
        True, "dossier", note=QD766,
    ),
    Metric(
        "settlement_rate", "timeliness", "Tỷ lệ hồ sơ đã giải quyết", "Settled of all received",
        "settled", "received_all", "Hồ sơ đã giải quyết", "Hồ sơ tiếp nhận (kể cả kỳ trước chuyển sang)",
        True, "dossier",
    ),
    Metric(
        "zero_activity_share", "activity", "Tỷ lệ đơn vị chưa phát sinh hồ sơ trực tuyến",
        "Units with no online dossier", "units_zero_activity", "units_total",
        "Đơn vị chưa phát sinh hồ sơ trực tuyến", "Tổng số đơn vị", False, "count",
    ),
)

BY_ID: dict[str, Metric] = {m.id: m for m in METRICS}
FAMILY_LABELS = {
    "postal": "Bưu chính công ích",
    "online": "Dịch vụ công trực tuyến",
    "timeliness": "Tiến độ giải quyết",
    "activity": "Mức độ phát sinh hồ sơ",
}


def get(metric_id: str) -> Metric:
    try:
        return BY_ID[metric_id]
    except KeyError:
        raise ValueError(
            f"Chỉ số không tồn tại: {metric_id!r}. Có: {', '.join(BY_ID)}"
        ) from None


def compute(df: pd.DataFrame, metric_ids: list[str] | None = None) -> pd.DataFrame:
    """Long frame: the input's key columns plus metric, numerator, denominator, value.

    ``df`` holds summed stored counts per row (any key columns). Rows whose denominator is
    unknown or zero are dropped: no value is shown rather than a made-up one.
    """
    metrics = [get(m) for m in (metric_ids or list(BY_ID))]
    derived = derive(df)
    key_cols = [c for c in df.columns if c not in DERIVED and not _is_count(c)]
    frames = []
    for m in metrics:
        part = derived[key_cols].copy()
        part["metric"] = m.id
        part["numerator"] = derived[m.numerator]
        part["denominator"] = derived[m.denominator]
        part = part[part["numerator"].notna() & part["denominator"].notna() & (part["denominator"] > 0)]
        part["value"] = part["numerator"] / part["denominator"]
        frames.append(part)
    if not frames:
        return pd.DataFrame(columns=[*key_cols, "metric", "numerator", "denominator", "value"])
    return pd.concat(frames, ignore_index=True)


def _is_count(name: str) -> bool:
    from data.schema import COUNT_MEASURES, DOSSIER_COUNTS, OFFER_COUNTS

    return name in DOSSIER_COUNTS or name in OFFER_COUNTS or name in COUNT_MEASURES


def pair_columns(metric_id: str) -> tuple[str, str]:
    return f"{metric_id}:num", f"{metric_id}:den"


def pairs(df: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
    """Numerator/denominator columns per metric, computed per row of stored counts.

    A pair is kept only where both parts are known, so that summing pairs over subjects
    (departments, communes ...) adds up like with like: a subject that reports only totals
    never inflates the denominator of a channel share. ``source``: only metrics of that kind.
    """
    derived = derive(df)
    out = {}
    for m in METRICS:
        if source is not None and m.source != source:
            continue
        num, den = derived[m.numerator], derived[m.denominator]
        both = num.notna() & den.notna()
        n_col, d_col = pair_columns(m.id)
        out[n_col], out[d_col] = num.where(both), den.where(both)
    return pd.DataFrame(out, index=df.index)


def from_pairs(df: pd.DataFrame, key_cols: list[str], metric_ids: list[str] | None = None) -> pd.DataFrame:
    """Long frame (key columns, metric, numerator, denominator, value) from pair columns."""
    frames = []
    for m in [get(i) for i in (metric_ids or list(BY_ID))]:
        n_col, d_col = pair_columns(m.id)
        if n_col not in df:
            continue
        part = df[key_cols].copy()
        part["metric"] = m.id
        part["numerator"] = pd.to_numeric(df[n_col], errors="coerce")
        part["denominator"] = pd.to_numeric(df[d_col], errors="coerce")
        part = part[part["numerator"].notna() & part["denominator"].notna() & (part["denominator"] > 0)]
        part["value"] = part["numerator"] / part["denominator"]
        frames.append(part)
    if not frames:
        return pd.DataFrame(columns=[*key_cols, "metric", "numerator", "denominator", "value"])
    return pd.concat([f for f in frames if not f.empty] or frames[:1], ignore_index=True)


# --- a period made of months: the parts of each dossier indicator ---------------------------
#
# The analytics store keeps, per unit and month, the parts of every dossier indicator, so that
# a quarter, a half or a year is summed from its months in the database: a *flow* is summed
# over the months, a *first* part is the first month's (dossiers carried over from before the
# period) and a *last* part is the last month's (dossiers still in progress at its end),
# exactly as docs/data_model.md aggregates the counts themselves. A month's indicator is
# numerator = nf + nl and denominator = df + d0 + dl; a period of months m1..mk has
# numerator = Σ nf + nl(mk) and denominator = Σ df + d0(m1) + dl(mk).
#
# Where a month's value is known but cannot be split (e.g. a total received without the
# carried-over count), it is kept apart as xn / xd: it counts for that month alone, never in a
# longer period, where the counts it would need are unknown.

PART_NAMES = ("nf", "nl", "df", "d0", "dl", "xn", "xd")

Parts = tuple[pd.Series | None, pd.Series | None, pd.Series | None]  # flow, first, last


def _flow(name: str) -> Callable[[pd.DataFrame, pd.DataFrame], Parts]:
    return lambda df, d: (d[name], None, None)


def _last(name: str) -> Callable[[pd.DataFrame, pd.DataFrame], Parts]:
    return lambda df, d: (None, None, d[name])


def _with_carried(allow_unknown_carried: bool) -> Callable[[pd.DataFrame, pd.DataFrame], Parts]:
    def parts(df: pd.DataFrame, d: pd.DataFrame) -> Parts:
        carried = _col(df, "received_carried")
        if allow_unknown_carried:  # "received" falls back to the new dossiers alone
            carried = carried.where(carried.notna() | d["new_received"].isna(), 0.0)
        return d["new_received"], carried, None
    return parts


def _overdue_any(df: pd.DataFrame, d: pd.DataFrame) -> Parts:
    stated = _col(df, "overdue_total")
    flow = stated.fillna(_col(df, "settled_overdue"))
    last = _col(df, "pending_overdue").where(stated.isna(), 0.0)
    return flow, None, last


def _portal_or(df: pd.DataFrame, parts: Parts, portal_count: str) -> Parts:
    """The Index 766 parts, or where only the portal's counts are known (totalOnTime and
    totalReceived, no split into settled and in progress) that count as a flow."""
    flow, first, last = parts
    split = flow.notna() & last.notna()
    portal = ~split & _col(df, "in_time_total").notna() & _col(df, "received_total").notna()
    return flow.where(~portal, _col(df, portal_count)), first, last.where(~portal, 0.0)


# derived column -> its parts (flow, first, last) per subject and month
DERIVED_PARTS: dict[str, Callable[[pd.DataFrame, pd.DataFrame], Parts]] = {
    "new_received": _flow("new_received"),
    "received_postal": _flow("received_postal"),
    "received_online": _flow("received_online"),
    "received_all": _with_carried(False),
    "received_for_overdue": _with_carried(True),
    "returned_total": _flow("returned_total"),
    "returned_postal": _flow("returned_postal"),
    "settled": _flow("settled"),
    "settled_in_time": _flow("settled_in_time"),
    "settled_overdue": _flow("settled_overdue"),
    "pending": _last("pending"),
    "pending_within": _last("pending_within"),
    "pending_overdue": _last("pending_overdue"),
    "overdue_any": _overdue_any,
    "in_time_any": lambda df, d: _portal_or(df, (_col(df, "settled_early") + _col(df, "settled_on_time"), None,
                                                 _col(df, "pending_within")), "in_time_total"),
    "settled_plus_pending": lambda df, d: _portal_or(df, (d["settled"], None, d["pending"]), "received_total"),
}
# derived columns whose month value may be known without its parts (then kept as xn / xd)
_UNSPLITTABLE = ("received_all", "received_for_overdue")


def dossier_metrics() -> list[Metric]:
    return [m for m in METRICS if m.source == "dossier"]


@cache
def metric_parts(metric_id: str) -> tuple[str, ...]:
    """The parts the store keeps for a dossier indicator, e.g. ('nf', 'df') for a share of
    flows, ('nf', 'nl', 'df', 'dl') for the Index 766 rate (in progress counted at the end)."""
    m = get(metric_id)
    probe = pd.DataFrame({c: [1.0] for c in _ALL_COUNTS()})
    d = derive(probe)
    out = []
    for side, names in ((m.numerator, ("nf", None, "nl")), (m.denominator, ("df", "d0", "dl"))):
        for part, name in zip(DERIVED_PARTS[side](probe, d), names, strict=True):
            if part is not None and name is not None:
                out.append(name)
    if m.numerator in _UNSPLITTABLE or m.denominator in _UNSPLITTABLE:
        out += ["xn", "xd"]
    return tuple(out)


def _ALL_COUNTS() -> tuple[str, ...]:  # noqa: N802
    from data.schema import DOSSIER_COUNTS

    return DOSSIER_COUNTS


def month_parts(counts: pd.DataFrame) -> pd.DataFrame:
    """Per row of stored counts (one subject, one period): the parts of every dossier indicator
    as columns '<metric>__<part>'. All parts of an indicator are known together (or all NaN),
    so a subject that lacks a count never inflates a share (like ``pairs``)."""
    d = derive(counts)
    out: dict[str, pd.Series] = {}
    for m in dossier_metrics():
        num, den = d[m.numerator], d[m.denominator]
        known = num.notna() & den.notna()
        n_parts = DERIVED_PARTS[m.numerator](counts, d)
        d_parts = DERIVED_PARTS[m.denominator](counts, d)
        named = {"nf": n_parts[0], "nl": n_parts[2], "df": d_parts[0], "d0": d_parts[1], "dl": d_parts[2]}
        kept = [p for p in metric_parts(m.id) if p in named]
        split = known.copy()
        for p in kept:
            split &= named[p].notna()
        for p in kept:
            out[f"{m.id}__{p}"] = named[p].where(split)
        if "xn" in metric_parts(m.id):
            out[f"{m.id}__xn"] = num.where(known & ~split)
            out[f"{m.id}__xd"] = den.where(known & ~split)
    return pd.DataFrame(out, index=counts.index)


def part_columns() -> list[str]:
    """Every '<metric>__<part>' column of the store, in registry order."""
    return [f"{m.id}__{p}" for m in dossier_metrics() for p in metric_parts(m.id)]


# --- Chỉ số 766: the groups of the national portal's index ------------------------------------


@dataclass(frozen=True)
class ScoreGroup:
    key: str  # the portal's API key (CKMB ...); the store's column is key.lower()
    label_vi: str
    label_en: str
    max_points: float
    note: str = ""

    @property
    def column(self) -> str:
        return self.key.lower()


# Keys and maxima as the portal's API gives them (CKMB 18, TDGQ 20, CLGQ 12, TTTT 10, MDHL 18,
# MDSH 22). Decision 766/QĐ-TTg (23/06/2022, still in force; no amending decision found) has five
# groups: Công khai, minh bạch (18); Tiến độ, kết quả giải quyết (20); Số hóa hồ sơ (22); Cung cấp
# dịch vụ trực tuyến (22); Mức độ hài lòng (18). The portal splits the fourth into its online
# services part (CLGQ, 12; endpoint provide-online-tree) and online payment (TTTT, 10; endpoint
# formality-online-payment-tree), whose indicators the decision lists inside that group.
# Mapped by key, never by label.
_QD766_ONLINE = QD766 + ", nhóm “Cung cấp dịch vụ trực tuyến” (22 điểm), Cổng DVCQG tách thành CLGQ 12 + TTTT 10"
SCORE_GROUPS: tuple[ScoreGroup, ...] = (
    ScoreGroup("CKMB", "Công khai, minh bạch", "Publicity and transparency", 18, QD766),
    ScoreGroup("TDGQ", "Tiến độ, kết quả giải quyết", "Progress and results of settlement", 20, QD766),
    ScoreGroup("CLGQ", "Cung cấp dịch vụ trực tuyến", "Online service provision", 12, _QD766_ONLINE),
    ScoreGroup("TTTT", "Thanh toán trực tuyến", "Online payment", 10, _QD766_ONLINE),
    ScoreGroup("MDHL", "Mức độ hài lòng", "Satisfaction", 18, QD766),
    ScoreGroup("MDSH", "Số hóa hồ sơ", "Digitisation of dossiers", 22, QD766),
)
SCORE_TOTAL = ScoreGroup("TOTAL", "Tổng điểm Chỉ số 766", "Index 766 total", 100, QD766)
SCORE_BY_KEY: dict[str, ScoreGroup] = {g.key: g for g in (SCORE_TOTAL, *SCORE_GROUPS)}


def score_group(key: str) -> ScoreGroup:
    """The group (or the total, key 'total'/'TOTAL') of the Index 766 by its portal key."""
    try:
        return SCORE_BY_KEY[key.upper()]
    except KeyError:
        raise ValueError(f"Nhóm chỉ số 766 không tồn tại: {key!r}. Có: total, "
                         f"{', '.join(g.key for g in SCORE_GROUPS)}") from None

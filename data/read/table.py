"""The indicator table behind ``etl metrics``: options -> rows, in a deterministic order.

Options (all optional, Vietnamese errors as ValueError):
- ``unit``: an official code ("11", "094", "24.SNV" for an agency: province code + agency
  type) or a name, accent-insensitive ("quang tri", "TP Điện Biên Phủ"); ambiguous names
  list their candidates;
- ``level``: province | district | commune | department; with ``unit`` the children of that
  unit at that level, without it every unit of that level;
- ``period``: a compact spec (data.periods.parse_spec); without it every stored period;
- ``metric``: one metric id; ``scheme``: legacy | 2025 (data.units.parse_scheme).

With no option at all: every indicator of every unit and period exactly as stored (no
roll-up, no aggregation). Rows are sorted by period (start, end), scheme, level, code and
metric (registry order), so the same data gives the same output on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from sqlalchemy import Engine, exists, select

from data import metrics as registry
from data.periods import Period, parse_spec
from data.read.figures import METRIC_COLS
from data.read.quality import stored_periods
from data.read.registry import registry as unit_registry
from data.read.stored import stored_chunks
from data.read.views import level_metrics_multi
from data.schema import agg_dossier, agg_offer
from data.text import fold, name_key
from data.units import LEVEL_LABELS, SCHEME_CHANGE, parse_scheme

LEVELS = ("province", "district", "commune", "department")
LEVEL_RANK = {"province": 0, "district": 1, "commune": 2, "department": 3}
METRIC_ORDER = {m.id: i for i, m in enumerate(registry.METRICS)}
SCHEME_TEXT = {"legacy": "trước 01/07/2025", "2025": "từ 01/07/2025"}


# --- resolving --unit -----------------------------------------------------------------------


def resolve_unit(engine: Engine, text: str, scheme: str | None = None, level: str | None = None) -> tuple[str, int]:
    """('unit', unit id) or ('agency', agency id) for a code or a name; ValueError otherwise."""
    units = units_frame(engine)
    text = text.strip()
    if "." in text and not text.replace(".", "").isdigit():  # agency: <province code>.<type code>
        prov_code, type_code = text.split(".", 1)
        ag = agencies_frame(engine)
        prov = units[(units["level"] == "province") & (units["code"] == prov_code.strip().zfill(2))]
        if scheme:
            prov = prov[prov["scheme"] == scheme]
        hits = ag[ag["unit_id"].isin(prov.index) & (ag["type_code"].str.upper() == type_code.strip().upper())]
        if hits.empty:
            raise ValueError(f"Không có cơ quan mã {text!r} (dạng <mã tỉnh>.<mã loại cơ quan>, ví dụ 24.SNV).")
        return _one_agency(engine, text, hits.index.tolist())
    if text.isdigit():
        cand = units[units["code"] == text] if len(text) in (2, 3, 5) else units[
            units["code"].str.lstrip("0") == text.lstrip("0")]
    else:
        key = name_key(text)
        cand = units[units["short_name"].map(name_key) == key]
        if cand.empty:
            cand = units[units["name"].map(name_key) == key]
        if cand.empty:
            cand = units[units["name"].map(fold).str.contains(fold(text), regex=False)]
    if scheme:
        cand = cand[cand["scheme"] == scheme]
    if cand.empty and not text.isdigit():  # an agency with its province: "Sở Nội vụ Bắc Giang"
        ag = agencies_frame(engine)
        prov = ag["unit_id"].map(units["short_name"])
        full = (ag["name"] + " " + prov).map(fold)
        hits = ag[full.str.contains(fold(text), regex=False)]
        if scheme:
            hits = hits[hits["unit_id"].map(units["scheme"]) == scheme]
        if not hits.empty:
            return _one_agency(engine, text, hits.index.tolist())
    if cand.empty:
        where = f" trong danh mục đơn vị {SCHEME_TEXT[scheme]}" if scheme else ""
        raise ValueError(f"Không tìm thấy đơn vị {text!r}{where}.")
    rank = {"province": 0, "district": 1, "commune": 2}
    if level in rank and len(cand) > 1:  # children are asked for: the unit lies above that level
        above = cand[cand["level"].map(rank) < rank[level]]
        if level == "district":  # districts exist only before 01/07/2025
            above = above[above["scheme"] == "legacy"]
        cand = above if not above.empty else cand
    if len(cand) == 1:
        return "unit", int(cand.index[0])
    # "Điện Biên": the province rather than the district; of several, the one with figures
    top = cand if text.isdigit() else cand[cand["level"].map(rank) == cand["level"].map(rank).min()]
    with_data = [i for i in top.index if _has_data(engine, int(i))]
    if len(top) == 1 or len(with_data) == 1:
        return "unit", int(top.index[0] if len(top) == 1 else with_data[0])
    cand = cand.assign(_r=cand["level"].map(rank)).sort_values(["scheme", "_r", "code"])
    shown = "; ".join(f"{r.name} (mã {r.code}, {LEVEL_LABELS[r.level].lower()}, {SCHEME_TEXT[r.scheme]})"
                      for r in cand.head(12).itertuples())
    more = f"; và {len(cand) - 12} đơn vị khác" if len(cand) > 12 else ""
    raise ValueError(f"{text!r} ứng với {len(cand)} đơn vị: {shown}{more}. "
                     "Hãy dùng mã đơn vị, tên đầy đủ hoặc thêm --scheme / --period.")


def units_frame(engine: Engine) -> pd.DataFrame:
    return unit_registry(engine).units


def agencies_frame(engine: Engine) -> pd.DataFrame:
    return unit_registry(engine).agencies


def _has_data(engine: Engine, unit_id: int | None = None, agency_id: int | None = None) -> bool:
    """True when the store holds a figure of this unit (or agency)."""
    level = "department" if agency_id is not None else units_frame(engine).at[unit_id, "level"]
    key = agency_id if agency_id is not None else unit_id
    with engine.connect() as conn:
        for table in (agg_dossier, agg_offer):
            if conn.execute(select(exists().where(table.c.level == level, table.c.key == key))).scalar():
                return True
    return False


def _one_agency(engine: Engine, text: str, ids: list[int]) -> tuple[str, int]:
    """The one agency among ``ids``, or the one with figures; otherwise a ValueError."""
    if len(ids) > 1:
        with_data = [i for i in ids if _has_data(engine, agency_id=int(i))]
        ids = with_data if len(with_data) == 1 else ids
    if len(ids) == 1:
        return "agency", int(ids[0])
    names = "; ".join(_agency_label(engine, int(i)) for i in ids[:12])
    raise ValueError(f"{text!r} ứng với {len(ids)} cơ quan: {names}. Thêm --scheme legacy hoặc 2025, "
                     "hoặc dùng mã <mã tỉnh>.<mã loại cơ quan>.")


def _agency_label(engine: Engine, agency_id: int) -> str:
    ag, units = agencies_frame(engine), units_frame(engine)
    prov = units.loc[int(ag.at[agency_id, "unit_id"])]
    return f"{ag.at[agency_id, 'name']} ({prov['name']}, {SCHEME_TEXT[prov['scheme']]})"


# --- the table ------------------------------------------------------------------------------


def _infer_scheme(per: Period | None) -> str | None:
    if per is None:
        return None
    if per.end < SCHEME_CHANGE:
        return "legacy"
    return "2025" if per.start >= SCHEME_CHANGE else None


def _plan(engine: Engine, unit: str | None, level: str | None, scheme: str | None,
          per: Period | None) -> list[tuple[str, int | None, int | None]]:
    """[(level, within unit id, only this key)] to compute."""
    if level is not None and level not in LEVELS:
        raise ValueError(f"Cấp không hợp lệ: {level!r} (dùng {', '.join(LEVELS)}).")
    if level == "district" and scheme == "2025":
        raise ValueError("Từ 01/07/2025 không còn cấp huyện: dùng --scheme legacy hoặc --level commune.")
    if unit is None:
        return [(lvl, None, None) for lvl in ([level] if level else LEVELS)]
    kind, ident = resolve_unit(engine, unit, scheme or _infer_scheme(per), level)
    if kind == "agency":
        if level not in (None, "department"):
            raise ValueError(f"{unit!r} là một cơ quan cấp tỉnh: không có đơn vị cấp {level} bên dưới.")
        return [("department", int(agencies_frame(engine).at[ident, "unit_id"]), ident)]
    u = units_frame(engine).loc[ident]
    if level is None:
        return [(u["level"], ident, ident)]
    if level == "department" and u["level"] != "province":
        raise ValueError(f"{u['name']} không phải cấp tỉnh: sở, ngành chỉ có ở cấp tỉnh.")
    if level != "department" and LEVEL_RANK[level] < LEVEL_RANK[u["level"]]:
        raise ValueError(f"{u['name']} ({LEVEL_LABELS[u['level']].lower()}) không có đơn vị cấp "
                         f"{LEVEL_LABELS[level].lower()} bên dưới.")
    if level == "district" and u["scheme"] == "2025":
        raise ValueError(f"{u['name']} thuộc danh mục từ 01/07/2025: không có cấp huyện.")
    return [(level, ident, None)]


def _stored_label(engine: Engine, per: Period) -> Period:
    """The period with its label as stored ("Từ đầu năm 2020 đến 24/02/2020") when one exists."""
    from data.schema import period

    with engine.connect() as conn:
        label = conn.execute(select(period.c.label).where(period.c.start_date == per.start,
                                                         period.c.end_date == per.end)).scalar()
    return Period(per.start, per.end, label, per.kind) if label else per


def metrics_chunks(engine: Engine, unit: str | None = None, level: str | None = None, period: str | None = None,
                   metric: str | None = None, scheme: str | None = None) -> Iterator[pd.DataFrame]:
    """The table in sorted chunks (a few periods each), for streaming output."""
    metric_ids = [registry.get(metric).id] if metric else None
    scheme = parse_scheme(scheme) if scheme else None
    per = parse_spec(period) if period else None
    plan = _plan(engine, unit, level, scheme, per)
    if unit is None and level is None and period is None:  # everything exactly as stored
        for chunk in stored_chunks(engine, metric_ids):
            yield chunk[chunk["scheme"] == scheme] if scheme else chunk
        return
    if per is not None:
        periods = [_stored_label(engine, per)]
    else:
        within = plan[0][1]
        periods = stored_periods(engine, within, scheme)
    size = 48 if plan[0][1] is not None else 1
    for first in range(0, len(periods), size):
        chunk = periods[first:first + size]
        frames = []
        for lvl, within, only in plan:
            df = level_metrics_multi(engine, chunk, lvl, within=within, scheme=scheme, metric_ids=metric_ids)
            frames.append(df[df["key"] == only] if only is not None else df)
        frames = [f for f in frames if not f.empty]
        if not frames:
            continue
        out = pd.concat(frames, ignore_index=True)
        order = {(p.start, p.end): i for i, p in enumerate(chunk)}
        out["_p"] = [order[(s, e)] for s, e in zip(out["period_start"], out["period_end"], strict=True)]
        out["_l"] = out["level"].map(LEVEL_RANK)
        out["_m"] = out["metric"].map(METRIC_ORDER)
        yield out.sort_values(["_p", "scheme", "_l", "code", "_m"], kind="stable").drop(
            columns=["_p", "_l", "_m"]).reset_index(drop=True)


def metrics_table(engine: Engine, unit: str | None = None, level: str | None = None, period: str | None = None,
                  metric: str | None = None, scheme: str | None = None) -> pd.DataFrame:
    """The whole table as one frame (columns of data.figures.METRIC_COLS)."""
    frames = list(metrics_chunks(engine, unit, level, period, metric, scheme))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=METRIC_COLS)

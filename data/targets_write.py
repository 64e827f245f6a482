"""Targets set by analysts for their province and its units (issue 10): a target stored for a
unit overrides the national default of the metric registry (data/metrics.py) and any target of
a unit above it; the read side (data/read/targets.py) picks the most specific one in force.

Rules, each refusal with its message in Vietnamese (``TargetError``):
- the user is active, at least an analyst; the unit is inside the user's scope, widened to the
  whole province(s) of the user's units (an admin without units: every unit);
- the indicator exists; the value is a percentage from 0 to 100 (stored as a fraction); the
  period runs from ``valid_from`` to ``valid_to``, not backwards; a source document is named;
- no two targets set on this page for the same unit and indicator are in force on the same day:
  a new one overlapping another is refused, naming the one in the way (end it or delete it
  first). A target loaded from a document (a batch) may be overlapped: the one set here wins on
  the days both are in force (a later decision), and the document's stays for the record.

Only targets set on this page can be ended or deleted here (a document's goes with its batch).
Every change writes its audit row ('target_set', 'target_end', 'target_delete') in the same
transaction.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine, delete, insert, select, update

from data import metrics
from data.auth import User, write_audit
from data.read.scope import expand
from data.schema import target, unit
from data.text import format_date

MAX_SOURCE = 500


class TargetError(ValueError):
    """A refused target change, with its message in Vietnamese."""


def editable_units(engine: Engine, user: User | None) -> frozenset[int] | None:
    """The units whose targets ``user`` may set: every unit of the provinces of the user's
    units, in both systems (None: every unit, an admin without units). Refuses users below
    analyst."""
    if user is None or not user.active or not user.can("analyst"):
        raise TargetError("Chỉ cán bộ phân tích (analyst) hoặc quản trị mới đặt được mục tiêu.")
    if user.unrestricted:
        return None
    if not user.unit_ids:
        raise TargetError("Tài khoản chưa được gán đơn vị nào: không đặt được mục tiêu.")
    return expand(engine, tuple(user.unit_ids), province_wide=True)


def _check_scope(allowed: frozenset[int] | None, unit_id: int) -> None:
    if allowed is not None and int(unit_id) not in allowed:
        raise TargetError("Đơn vị này nằm ngoài phạm vi tỉnh của tài khoản: không đặt hay sửa được mục tiêu.")


def _label(metric_id: str) -> str:
    return metrics.get(metric_id).label_vi


def set_target(engine: Engine, user: User | None, metric_id: str, unit_id: int, valid_from: date,
               valid_to: date, percent: float | str | None, source: str, ip: str | None = None) -> int:
    """Store a target of ``percent`` % for the unit and indicator from ``valid_from`` to
    ``valid_to``; returns its id. Raises ``TargetError`` with the reason when refused."""
    allowed = editable_units(engine, user)  # the role first: nothing else is said to a viewer
    if metric_id not in metrics.BY_ID:
        raise TargetError(f"Chỉ số “{metric_id}” không có trong danh mục chỉ số.")
    try:
        pct = float(str(percent).strip().replace(",", ".").rstrip("%").strip())
    except (TypeError, ValueError):
        raise TargetError("Giá trị mục tiêu phải là một số phần trăm, ví dụ 85 hoặc 92,5.") from None
    if not 0 <= pct <= 100 or pct != pct:
        raise TargetError("Giá trị mục tiêu phải từ 0 % đến 100 %.")
    if not isinstance(valid_from, date) or not isinstance(valid_to, date):
        raise TargetError("Cần ngày bắt đầu và ngày kết thúc áp dụng.")
    if valid_from > valid_to:
        raise TargetError(f"Ngày bắt đầu ({format_date(valid_from)}) phải trước hoặc bằng ngày kết thúc "
                          f"({format_date(valid_to)}).")
    source = " ".join((source or "").split())
    if not source:
        raise TargetError("Cần ghi văn bản giao mục tiêu (số, ngày, cơ quan ban hành).")
    if len(source) > MAX_SOURCE:
        raise TargetError(f"Văn bản nguồn tối đa {MAX_SOURCE} ký tự.")
    with engine.begin() as conn:
        if conn.execute(select(unit.c.id).where(unit.c.id == int(unit_id))).first() is None:
            raise TargetError("Không có đơn vị này.")
        _check_scope(allowed, unit_id)
        clash = conn.execute(select(target.c.valid_from, target.c.valid_to, target.c.value, target.c.set_by).where(
            target.c.unit_id == int(unit_id), target.c.metric_id == metric_id, target.c.set_by.is_not(None),
            target.c.valid_from <= valid_to, target.c.valid_to >= valid_from)).first()
        if clash is not None:
            raise TargetError(
                f"Đã có mục tiêu {pct_text(clash.value)} cho chỉ số “{_label(metric_id)}” của đơn vị này từ "
                f"{format_date(clash.valid_from)} đến {format_date(clash.valid_to)} (đặt bởi {clash.set_by}), "
                "trùng thời gian: kết thúc hoặc xóa mục tiêu đó trước.")
        now = datetime.now().replace(microsecond=0)
        tid = conn.execute(insert(target).values(
            metric_id=metric_id, unit_id=int(unit_id), valid_from=valid_from, valid_to=valid_to, value=pct / 100,
            source=source, batch_id=None, set_by=user.name, set_at=now).returning(target.c.id)).scalar_one()  # type: ignore[union-attr]
        write_audit(conn, user.name, "target_set", {  # type: ignore[union-attr]
            "target_id": tid, "metric_id": metric_id, "unit_id": int(unit_id), "valid_from": valid_from,
            "valid_to": valid_to, "value": pct / 100, "source": source}, ip)
    return int(tid)


def pct_text(value: float) -> str:
    return f"{value * 100:g}".replace(".", ",") + " %"


def _own(conn, allowed: frozenset[int] | None, target_id: int):  # noqa: ANN001, ANN202
    row = conn.execute(select(target).where(target.c.id == int(target_id))).first()
    if row is None:
        raise TargetError("Không có mục tiêu này (có thể đã bị xóa).")
    if row.set_by is None:
        raise TargetError("Mục tiêu này được nạp từ tài liệu: chỉ gỡ được cùng lô số liệu của nó.")
    _check_scope(allowed, row.unit_id)
    return row


def end_target(engine: Engine, user: User | None, target_id: int, on: date, ip: str | None = None) -> None:
    """End a target set on this page: its last day becomes ``on`` (not before its first day,
    not later than its current last day)."""
    allowed = editable_units(engine, user)
    with engine.begin() as conn:
        row = _own(conn, allowed, target_id)
        if not isinstance(on, date) or on < row.valid_from:
            raise TargetError(f"Ngày kết thúc phải từ ngày bắt đầu ({format_date(row.valid_from)}) trở đi; "
                              "muốn bỏ hẳn thì xóa mục tiêu.")
        if on > row.valid_to:
            raise TargetError(f"Mục tiêu đã kết thúc ngày {format_date(row.valid_to)}; không kéo dài được, "
                              "hãy đặt mục tiêu mới.")
        conn.execute(update(target).where(target.c.id == row.id).values(valid_to=on))
        write_audit(conn, user.name, "target_end", {  # type: ignore[union-attr]
            "target_id": row.id, "metric_id": row.metric_id, "unit_id": row.unit_id,
            "valid_to_before": row.valid_to, "valid_to": on}, ip)


def delete_target(engine: Engine, user: User | None, target_id: int, ip: str | None = None) -> None:
    """Delete a target set on this page (the audit row keeps what it was)."""
    allowed = editable_units(engine, user)
    with engine.begin() as conn:
        row = _own(conn, allowed, target_id)
        conn.execute(delete(target).where(target.c.id == row.id))
        write_audit(conn, user.name, "target_delete", {  # type: ignore[union-attr]
            "target_id": row.id, "metric_id": row.metric_id, "unit_id": row.unit_id, "valid_from": row.valid_from,
            "valid_to": row.valid_to, "value": row.value, "source": row.source, "set_by": row.set_by}, ip)

"""Batches you can undo, and periods you can lock (issue 10).

``rollback(engine, batch_id, user)``: in one transaction the batch's figures stop being read
(status 'rolledback': the column holds 10 characters), the batches it replaced are active again, the analytics store is
recomputed for exactly the provinces and years of both (``data.build.refresh``) and an audit row
'rollback' is written; any failure leaves everything as it was. The rolled-back batch keeps its
rows: every read selects only active batches, the batch's findings stay inspectable (the
data-quality page, ``etl findings --batch``), the history shows what was undone, and its rows
are as cheap to keep as the rows of the replaced batches that a rollback restores. A demo batch
is never rolled back: the sample is regenerated with ``etl demo`` and the demo batch it replaced
is not kept.

``lock(engine, unit, period, user)``: an analyst marks a unit's period as reviewed. A lock covers
the unit, every unit inside it and, through the lineage, the same place in the other unit system,
for every stored period overlapping the locked one. A load whose real rows (or the rows of the
batch it replaces) lie under a lock is refused naming the unit, the period and who locked it,
unless the loader is an admin (``allow_locked``); the same holds for a rollback. ``unlock`` is
for admins. The command line (``user=None``) acts with the rights of whoever holds the shell,
except that replacing or rolling back locked figures still needs ``--admin-override``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, select, union_all, update

from data import periods as P
from data.auth import User, write_audit
from data.build import footprint, refresh
from data.schema import (
    count_stat,
    dossier_stat,
    load_batch,
    period,
    period_lock,
    procedure_offer,
    stated_value,
    unit,
)
from data.text import format_date
from data.units import lineage_frame, scheme_for, unit_tree

CLI_NAME = "dòng lệnh"  # who acted, when nobody is signed in (the command line)
STATUS_VI = {"active": "đang dùng", "replaced": "đã bị thay thế", "rolledback": "đã hoàn tác"}
_PERIOD_TABLES = (dossier_stat, procedure_offer, count_stat, stated_value)


class BatchError(ValueError):
    """A refused rollback, lock or unlock; the message is Vietnamese and complete."""


class LockedError(BatchError):
    """Figures of a locked unit and period would change."""


@dataclass(frozen=True)
class Lock:
    id: int
    unit_id: int
    unit_name: str
    unit_code: str
    scheme: str
    start: date
    end: date
    locked_by: str
    locked_at: datetime
    note: str | None = None

    @property
    def label(self) -> str:
        return P.classify(self.start, self.end).label

    def describe(self) -> str:
        return (f"{self.unit_name} (mã {self.unit_code}), kỳ {self.label} ({format_date(self.start)}–"
                f"{format_date(self.end)}), do {self.locked_by} khóa ngày {format_date(self.locked_at)}")


@dataclass
class RollbackResult:
    batch_id: int
    file_name: str
    restored: list[int] = field(default_factory=list)

    def message(self) -> str:
        again = (f" Lô {', '.join(map(str, self.restored))} được dùng lại." if self.restored else
                 " Lô này không thay thế lô nào, nên không có số liệu nào được khôi phục.")
        return f"Đã hoàn tác lô {self.batch_id} ({self.file_name}): số liệu của lô không còn được dùng.{again}"


# --- who may act ---------------------------------------------------------------------------


def _need(user: User | None, role: str, what: str) -> None:
    if user is not None and not (user.active and user.can(role)):
        names = {"analyst": "phân tích viên (analyst)", "admin": "quản trị viên (admin)"}
        raise BatchError(f"Cần vai trò {names[role]}{' trở lên' if role != 'admin' else ''} để {what}.")


def _covered(units: pd.DataFrame, lineage: pd.DataFrame, roots: Iterable[int]) -> set[int]:
    """The units inside ``roots``, in both unit systems (data.read.scope.expand, on a connection)."""
    related = set(roots)
    related |= set(lineage.loc[lineage["new"].isin(related), "old"].astype(int))
    related |= set(lineage.loc[lineage["old"].isin(related), "new"].astype(int))
    inside = units["id"].isin(related) | units["province_id"].isin(related) | units["district_id"].isin(related)
    return {int(i) for i in units.loc[inside, "id"]}


def _user_units(conn: Connection, user: User | None) -> set[int] | None:
    """The units an analyst acts on (the provinces of its scope); None: every unit."""
    if user is None or user.unrestricted:
        return None
    units = unit_tree(conn)
    provinces = {int(units.at[u, "province_id"]) if u in units.index and not pd.isna(units.at[u, "province_id"])
                 else u for u in user.unit_ids}
    return _covered(units, lineage_frame(conn), provinces)


# --- locks --------------------------------------------------------------------------------


def _locks(conn: Connection, lock_ids: Sequence[int] | None = None) -> list[Lock]:
    q = (select(period_lock, unit.c.name, unit.c.code, unit.c.scheme).join(unit, unit.c.id == period_lock.c.unit_id)
         .order_by(period_lock.c.period_start.desc(), unit.c.code, period_lock.c.id))
    if lock_ids is not None:
        q = q.where(period_lock.c.id.in_(list(lock_ids)))
    return [Lock(int(r.id), int(r.unit_id), r.name, r.code, r.scheme, _day(r.period_start), _day(r.period_end),
                 r.locked_by, r.locked_at, r.note) for r in conn.execute(q)]


def _day(value: object) -> date:
    return value if isinstance(value, date) and not isinstance(value, datetime) else date.fromisoformat(str(value)[:10])


def _period(spec: str | P.Period) -> P.Period:
    return spec if isinstance(spec, P.Period) else P.parse_spec(spec)


def find_unit_id(conn: Connection, code: str | int, scheme: str | None, day: date) -> int:
    """A unit id from an id or an official code (2 digits: province, 3: district, 5: commune) of
    ``scheme`` (default: the system in force on ``day``)."""
    if isinstance(code, int):
        if conn.execute(select(unit.c.id).where(unit.c.id == code)).first() is None:
            raise BatchError(f"Không có đơn vị số {code}.")
        return code
    code = str(code).strip()
    scheme = scheme or scheme_for(day)
    if scheme not in ("legacy", "2025"):
        raise BatchError(f"Hệ đơn vị “{scheme}” không có; dùng legacy hoặc 2025.")
    level = {2: "province", 3: "district", 5: "commune"}.get(len(code))
    hit = conn.execute(select(unit.c.id).where(unit.c.scheme == scheme, unit.c.code == code,
                                               unit.c.level == level)).scalar() if level else None
    if hit is None:
        when = "trước" if scheme == "legacy" else "từ"
        raise BatchError(f"Không có đơn vị mã “{code}” trong hệ đơn vị {when} 01/07/2025.")
    return int(hit)


def lock(engine: Engine, unit_ref: str | int, period_spec: str | P.Period, user: User | None = None, *,
         scheme: str | None = None, note: str | None = None, ip: str | None = None) -> Lock:
    """Lock a unit's period (an analyst of its province, an admin or the command line)."""
    _need(user, "analyst", "khóa kỳ số liệu")
    per = _period(period_spec)
    who = user.name if user is not None else CLI_NAME
    with engine.begin() as conn:
        uid = find_unit_id(conn, unit_ref, scheme, per.start)
        allowed = _user_units(conn, user)
        name = conn.execute(select(unit.c.name).where(unit.c.id == uid)).scalar_one()
        if allowed is not None and uid not in allowed:
            raise BatchError(f"{name} nằm ngoài phạm vi đơn vị của bạn: không khóa được.")
        same = conn.execute(select(period_lock.c.id).where(
            period_lock.c.unit_id == uid, period_lock.c.period_start == per.start,
            period_lock.c.period_end == per.end)).first()
        if same is not None:
            old = _locks(conn, [int(same.id)])[0]
            raise BatchError(f"Đã khóa rồi: {old.describe()}.")
        lock_id = conn.execute(insert(period_lock).values(
            unit_id=uid, period_start=per.start, period_end=per.end, locked_by=who,
            locked_at=datetime.now().replace(microsecond=0), note=note or None)
            .returning(period_lock.c.id)).scalar_one()
        made = _locks(conn, [int(lock_id)])[0]
        write_audit(conn, user.name if user else None, "lock",
                    {"lock": made.id, "unit": made.unit_code, "scheme": made.scheme, "unit_name": made.unit_name,
                     "period": per.spec, "note": note}, ip)
    return made


def unlock(engine: Engine, unit_ref: str | int | None = None, period_spec: str | P.Period | None = None,
           user: User | None = None, *, scheme: str | None = None, lock_id: int | None = None,
           ip: str | None = None) -> Lock:
    """Remove a lock (admins and the command line), by its id or by unit and period."""
    _need(user, "admin", "mở khóa kỳ số liệu")
    with engine.begin() as conn:
        if lock_id is None:
            if unit_ref is None or period_spec is None:
                raise BatchError("Cần đơn vị và kỳ (hoặc số của khóa) để mở khóa.")
            per = _period(period_spec)
            uid = find_unit_id(conn, unit_ref, scheme, per.start)
            lock_id = conn.execute(select(period_lock.c.id).where(
                period_lock.c.unit_id == uid, period_lock.c.period_start == per.start,
                period_lock.c.period_end == per.end)).scalar()
            if lock_id is None:
                name = conn.execute(select(unit.c.name).where(unit.c.id == uid)).scalar_one()
                raise BatchError(f"{name}, kỳ {per.label} không bị khóa.")
        found = _locks(conn, [int(lock_id)])
        if not found:
            raise BatchError(f"Không có khóa số {lock_id}.")
        conn.execute(delete(period_lock).where(period_lock.c.id == int(lock_id)))
        gone = found[0]
        write_audit(conn, user.name if user else None, "unlock",
                    {"lock": gone.id, "unit": gone.unit_code, "scheme": gone.scheme, "unit_name": gone.unit_name,
                     "period": P.classify(gone.start, gone.end).spec, "locked_by": gone.locked_by}, ip)
    return gone


def batch_cells(conn: Connection, batch_ids: Sequence[int]) -> pd.DataFrame:
    """The distinct (unit_id, start, end) of the rows of these batches that have a period."""
    if not batch_ids:
        return pd.DataFrame(columns=["unit_id", "start", "end"])
    parts = [select(t.c.unit_id, period.c.start_date, period.c.end_date)
             .join(period, period.c.id == t.c.period_id).where(t.c.batch_id.in_(list(batch_ids))).distinct()
             for t in _PERIOD_TABLES]
    rows = conn.execute(union_all(*parts)).all()
    df = pd.DataFrame(rows, columns=["unit_id", "start", "end"]).drop_duplicates()
    if len(df):
        df["start"], df["end"] = df["start"].map(_day), df["end"].map(_day)
    return df


def locked_conflicts(conn: Connection, batch_ids: Sequence[int]) -> list[Lock]:
    """The locks that real rows of these batches fall under (a changed locked figure)."""
    locks = _locks(conn)
    if not locks or not batch_ids:
        return []
    real = [int(i) for (i,) in conn.execute(select(load_batch.c.id).where(
        load_batch.c.id.in_(list(batch_ids)), load_batch.c.dataset == "real"))]
    return locks_over(conn, batch_cells(conn, real), locks)


def locks_over(conn: Connection, cells: pd.DataFrame, locks: list[Lock] | None = None) -> list[Lock]:
    """The locks over any of these (unit_id, start, end) cells, e.g. the rows of a file being
    previewed before it is stored (a preview can say it would be refused)."""
    locks = _locks(conn) if locks is None else locks
    if cells.empty or not locks:
        return []
    units, lineage = unit_tree(conn), lineage_frame(conn)
    hit = []
    for lk in locks:
        inside = cells["unit_id"].isin(_covered(units, lineage, [lk.unit_id]))
        overlap = (cells["start"] <= lk.end) & (cells["end"] >= lk.start)
        if bool((inside & overlap).any()):
            hit.append(lk)
    return hit


def locked_message(locks: Sequence[Lock], what: str) -> str:
    shown = "; ".join(lk.describe() for lk in locks[:3])
    more = f" và {len(locks) - 3} khóa khác" if len(locks) > 3 else ""
    return (f"{what}: số liệu của kỳ đã khóa sẽ thay đổi — {shown}{more}. Chỉ quản trị viên mới làm được việc này "
            "(trên dòng lệnh: --admin-override).")


def check_locks(conn: Connection, batch_ids: Sequence[int], allow_locked: bool = False,
                what: str = "Không nạp được") -> None:
    """Raise LockedError when real rows of these batches lie under a lock (unless allowed)."""
    if allow_locked:
        return
    hit = locked_conflicts(conn, batch_ids)
    if hit:
        raise LockedError(locked_message(hit, what))


# --- rollback -----------------------------------------------------------------------------


def rollback(engine: Engine, batch_id: int, user: User | None = None, ip: str | None = None,
             allow_locked: bool = False) -> RollbackResult:
    """Undo an active batch of real figures (see the module's docstring); raises BatchError."""
    _need(user, "analyst", "hoàn tác lô số liệu")
    allow_locked = allow_locked or (user is not None and user.can("admin"))
    with engine.begin() as conn:
        b = conn.execute(select(load_batch).where(load_batch.c.id == batch_id).with_for_update()).first()
        if b is None:
            raise BatchError(f"Không có lô số liệu {batch_id}.")
        if b.dataset == "demo":
            raise BatchError(f"Lô {batch_id} là dữ liệu minh họa: không hoàn tác được; muốn đổi thì tạo lại bằng "
                             "“python -m etl demo”.")
        if b.status == "rolledback":
            raise BatchError(f"Lô {batch_id} ({b.file_name}) đã được hoàn tác trước đó.")
        if b.status != "active":
            by = f" (lô {b.replaced_by} đã thay thế nó)" if b.replaced_by else ""
            raise BatchError(f"Lô {batch_id} ({b.file_name}) không còn được dùng{by}: chỉ hoàn tác được lô đang "
                             "dùng.")
        restored = conn.execute(select(load_batch).where(load_batch.c.replaced_by == batch_id,
                                                         load_batch.c.status == "replaced")
                                .order_by(load_batch.c.id)).all()
        ids = [int(r.id) for r in restored]
        for r in restored:
            twin = conn.execute(select(load_batch.c.id).where(
                load_batch.c.status == "active", load_batch.c.sha256 == r.sha256, load_batch.c.id != batch_id)).scalar()
            if twin is not None:
                raise BatchError(f"Không hoàn tác được lô {batch_id}: nội dung của lô {r.id} (sẽ được dùng lại) đang "
                                 f"có trong lô {twin}, số liệu sẽ bị tính hai lần.")
        allowed = _user_units(conn, user)
        if allowed is not None:
            outside = set(batch_cells(conn, [batch_id, *ids])["unit_id"].astype(int)) - allowed
            if outside:
                names = conn.execute(select(unit.c.name).where(unit.c.id.in_(sorted(outside))).limit(3)).scalars()
                raise BatchError(f"Lô {batch_id} có số liệu của đơn vị ngoài phạm vi của bạn ({', '.join(names)}): "
                                 "không hoàn tác được.")
        check_locks(conn, [batch_id, *ids], allow_locked, what=f"Không hoàn tác được lô {batch_id}")
        scope = footprint(conn, [batch_id, *ids])  # rows are kept: the scope of both, before and after
        n = conn.execute(update(load_batch).where(load_batch.c.id == batch_id, load_batch.c.status == "active")
                         .values(status="rolledback")).rowcount
        if n != 1:  # pragma: no cover - the row is locked above; a concurrent rollback won first
            raise BatchError(f"Lô {batch_id} vừa được thay đổi bởi thao tác khác; hãy tải lại danh sách.")
        if ids:
            conn.execute(update(load_batch).where(load_batch.c.id.in_(ids))
                         .values(status="active", replaced_by=None))
        refresh(conn, scope)
        write_audit(conn, user.name if user else None, "rollback",
                    {"batch": batch_id, "file": b.file_name, "rows": b.rows, "restored": ids,
                     "admin_override": bool(allow_locked)}, ip)
    return RollbackResult(batch_id, b.file_name, ids)


# --- the command line ---------------------------------------------------------------------


def run_batches(engine: Engine) -> int:
    """``etl batches``: the batch history as an aligned table on stdout."""
    from data.read.quality import batch_history
    from data.text import format_int

    df = batch_history(engine)
    if df.empty:
        print("Chưa nạp lô số liệu nào.", file=sys.stderr)
        return 0
    head = ["Lô", "Tệp", "Người nạp", "Thời điểm nạp", "Số dòng", "Trạng thái", "Thay thế lô"]
    rows = [[str(r.id), r.file_name + (" (minh họa)" if r.dataset == "demo" else ""), r.who,
             r.loaded_at.strftime("%d/%m/%Y %H:%M"), format_int(r.rows), status_text(r.status, r.replaced_by),
             ", ".join(map(str, r.replaced)) or "–"] for r in df.itertuples(index=False)]
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    right = {0, 4}
    for line in [head, *rows]:
        print("  ".join(c.rjust(w) if i in right else c.ljust(w)
                        for i, (c, w) in enumerate(zip(line, widths, strict=True))).rstrip())
    return 0


def status_text(status: str, replaced_by: object = None) -> str:
    text = STATUS_VI.get(status, status)
    if status == "replaced" and replaced_by is not None and replaced_by == replaced_by:
        text += f" (bởi lô {int(replaced_by)})"
    return text


def run_rollback(engine: Engine, batch_id: int, allow_locked: bool = False) -> int:
    try:
        res = rollback(engine, batch_id, allow_locked=allow_locked)
    except BatchError as exc:
        print(f"Từ chối: {exc}", file=sys.stderr)
        return 1
    print(res.message(), file=sys.stderr)
    return 0


def run_lock(engine: Engine, unit_code: str, period_spec: str, scheme: str | None = None,
             note: str | None = None) -> int:
    try:
        made = lock(engine, unit_code, period_spec, scheme=scheme, note=note)
    except BatchError as exc:
        print(f"Từ chối: {exc}", file=sys.stderr)
        return 1
    print(f"Đã khóa (khóa số {made.id}): {made.describe()}. Thay thế số liệu kỳ này từ nay cần quản trị viên.",
          file=sys.stderr)
    return 0


def run_unlock(engine: Engine, unit_code: str, period_spec: str, scheme: str | None = None) -> int:
    try:
        gone = unlock(engine, unit_code, period_spec, scheme=scheme)
    except BatchError as exc:
        print(f"Từ chối: {exc}", file=sys.stderr)
        return 1
    print(f"Đã mở khóa: {gone.describe()}.", file=sys.stderr)
    return 0

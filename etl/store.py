"""Write side shared by ``seed``, ``load`` and ``demo``: periods, batches, figures, findings.

A batch is written in one transaction by the caller (``with engine.begin() as conn``), so a
failure leaves the database as it was; ``close_batch`` then refreshes the analytics store for
what the batch (and the batch it replaced) touched, in the same transaction. Re-loading the same content (same SHA-256) is a no-op;
loading a file with the same name but new content replaces the earlier batch and its figures.

A replaced batch of real figures keeps its rows (status 'replaced': nothing reads them), so
rolling back the batch that replaced it (etl/batches.py) can bring them back; a replaced demo
batch is deleted (the sample is regenerated, never rolled back, and can be millions of rows).
A batch whose rows (or the rows of the batch it replaces) fall in a locked unit and period is
refused unless the loader is an admin (``allow_locked``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, delete, insert, select, text, update

from data.build import Scope, footprint, refresh
from data.periods import Period
from data.schema import FIGURE_TABLES, STORE_TABLES, finding, load_batch, period, target


@dataclass
class Finding:
    """One validation result. ``row`` is the 1-based row in the sheet/CSV as a user sees it."""

    file: str
    rule: str
    severity: str  # error | warning
    message: str  # Vietnamese, complete sentence
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    unit_id: int | None = None
    period: Period | None = None

    def location(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"dòng {self.row}")
        if self.column:
            parts.append(f"cột '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        level = "LỖI" if self.severity == "error" else "Cảnh báo"
        return f"{level} [{self.location()}] {self.message}"


@dataclass
class BatchResult:
    batch_id: int | None
    status: str  # loaded | unchanged | replaced | rejected | history (an older portal capture)
    rows: int = 0
    findings: list[Finding] = field(default_factory=list)
    replaced_batch_id: int | None = None
    notes: list[str] = field(default_factory=list)  # more summary lines (agencies registered ...)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class PeriodCache:
    """get-or-create period ids within one connection (periods are shared by all batches)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._ids: dict[tuple, int] = {
            (s, e): pid for pid, s, e in conn.execute(select(period.c.id, period.c.start_date, period.c.end_date))
        }

    def id_for(self, p: Period) -> int:
        key = (p.start, p.end)
        if key not in self._ids:
            pid = self.conn.execute(
                insert(period).values(
                    start_date=p.start, end_date=p.end, label=p.label, kind=p.kind, days=(p.end - p.start).days + 1
                )
            ).inserted_primary_key[0]
            self._ids[key] = pid
        return self._ids[key]


def find_active_batch(conn: Connection, *, sha256: str | None = None, file_name: str | None = None, kind: str):
    q = select(load_batch).where(load_batch.c.status == "active", load_batch.c.kind == kind)
    if sha256 is not None:
        q = q.where(load_batch.c.sha256 == sha256)
    if file_name is not None:
        q = q.where(load_batch.c.file_name == file_name)
    return conn.execute(q.order_by(load_batch.c.id.desc())).first()


def delete_batch_figures(conn: Connection, batch_id: int) -> None:
    for table in (*FIGURE_TABLES, finding, target):
        conn.execute(delete(table).where(table.c.batch_id == batch_id))


def open_batch(
    conn: Connection,
    *,
    kind: str,
    dataset: str,
    file_name: str,
    sha256: str,
    rows: int,
    note: str | None = None,
    replace_same_name: bool = True,
    loaded_by: str | None = None,
) -> tuple[int | None, int | None, Scope]:
    """Start a batch. Returns (new batch id, replaced batch id, what the replaced batch covered).

    The new id is None when an active batch of this kind already has the same content:
    the caller then changes nothing. ``loaded_by``: the signed-in user (None: the command line).
    """
    if find_active_batch(conn, sha256=sha256, kind=kind) is not None:
        return None, None, Scope(set(), set(), families=set())
    replaced = find_active_batch(conn, file_name=file_name, kind=kind) if replace_same_name else None
    new_id = conn.execute(
        insert(load_batch).values(
            kind=kind,
            dataset=dataset,
            file_name=file_name,
            sha256=sha256,
            rows=rows,
            loaded_at=datetime.now().replace(microsecond=0),
            status="active",
            note=note,
            loaded_by=loaded_by,
        )
    ).inserted_primary_key[0]
    if replaced is not None:
        covered = footprint(conn, [replaced.id])  # before its rows are gone
        if replaced.dataset == "demo":
            delete_batch_figures(conn, replaced.id)
        conn.execute(
            update(load_batch).where(load_batch.c.id == replaced.id).values(status="replaced", replaced_by=new_id)
        )
        return new_id, replaced.id, covered
    return new_id, None, Scope(set(), set(), families=set())


def close_batch(conn: Connection, batch_id: int, replaced: Scope | None = None, whole: bool = False,
                progress: bool = False, allow_locked: bool = False) -> None:
    """Bring the analytics store up to date with a batch just written (and the one it replaced):
    the provinces and years they touch, or everything (``whole``: e.g. the national demo).

    Raises ``etl.batches.LockedError`` (the caller's transaction then leaves everything as it
    was) when real rows of the batch or of the one it replaced lie in a locked unit and period,
    unless ``allow_locked`` (an admin)."""
    from etl.batches import check_locks

    check_locks(conn, [batch_id, *sorted((replaced.batches if replaced else set()) - {batch_id})], allow_locked)
    scope = Scope() if whole else footprint(conn, [batch_id]) | (replaced or Scope(set(), set(), families=set()))
    rows = conn.execute(select(load_batch.c.rows).where(load_batch.c.id == batch_id)).scalar() or 0
    if conn.dialect.name == "postgresql" and (whole or rows >= 10000):
        # a big write leaves the planner's statistics stale (a fresh database has none): the
        # builder's reads would scan whole tables (seconds instead of fractions of a second)
        for table in FIGURE_TABLES:
            conn.execute(text(f"ANALYZE {table.name}"))
    refresh(conn, scope, progress=progress)
    if conn.dialect.name == "postgresql" and (whole or rows >= 10000):
        for table in STORE_TABLES:
            conn.execute(text(f"ANALYZE {table.name}"))


def insert_rows(conn: Connection, table, rows: Sequence[dict], chunk: int = 5000) -> None:  # noqa: ANN001
    for i in range(0, len(rows), chunk):
        conn.execute(insert(table), list(rows[i : i + chunk]))


def save_findings(conn: Connection, batch_id: int, findings: Iterable[Finding], periods: PeriodCache) -> None:
    rows = [
        {
            "batch_id": batch_id,
            "file": f.file,
            "sheet": f.sheet,
            "row": f.row,
            "column": f.column,
            "rule": f.rule,
            "severity": f.severity,
            "message": f.message,
            "unit_id": f.unit_id,
            "period_id": periods.id_for(f.period) if f.period is not None else None,
        }
        for f in findings
    ]
    if rows:
        insert_rows(conn, finding, rows)

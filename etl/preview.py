"""Upload in the browser (issue 10): preview a file without storing it, then confirm it.

``preview`` runs exactly the command line's reading and validation (``etl.load.check_bytes``:
the same ``Finding`` objects and Vietnamese messages) and adds what a browser upload needs:
size, type and row limits, the uploader's unit scope, and what the file would replace. The
check phase only reads (no transaction to roll back: nothing is written, no aggregate is
touched). ``start_upload`` keeps the bytes server-side under a random token (with the file's
SHA-256, the uploader's name, an expiry); ``confirm_upload`` loads those bytes through the
normal load path (``etl.load.store_checked``: one transaction, ``close_batch`` refreshing the
aggregates, ``loaded_by`` set, the audit row inside the same transaction). The page cache keys
on ``queries.data_version``, which every new batch changes.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from data.auth import User, audit, write_audit
from data.periods import Period, classify
from data.schema import dossier_stat, load_batch, period, procedure_offer
from data.text import format_date, format_int
from etl.load import CheckedFile, check_bytes, store_checked
from etl.portal_load import CheckedPortal
from etl.resolve import Resolver
from etl.store import BatchResult, Finding, find_active_batch

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # one file
# dcc.Upload sends the file base64-encoded inside a JSON callback body (4/3 of its size plus
# the rest of the request): the value for Flask's MAX_CONTENT_LENGTH.
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES * 4 // 3 + 1024 * 1024
MAX_UPLOAD_ROWS = 200_000  # sheet rows of one uploaded file
# what etl.extract.read_sheets reads, and the national portal's JSON answers and captures
ACCEPTED_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".txt", ".json")
TOKEN_TTL_SECONDS = 30 * 60
SHOWN_COUNTS = ("received_total", "received_online", "received_postal", "settled_total", "settled_overdue",
                "pending_overdue", "returned_postal")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass
class Line:
    """One subject (unit or agency) and period of the file with its main numbers."""

    subject: str
    level: str  # province | district | commune | department
    period: str
    rows: int
    counts: dict[str, int | None]


@dataclass
class Prior:
    """An active batch the upload concerns: replaced (same file name) or added to (same subjects)."""

    batch_id: int
    file_name: str
    loaded_at: str
    loaded_by: str | None
    rows: int
    subjects: list[str]  # 'đơn vị …, kỳ …' of its figures the file also has (added to) or lacks (dropped)


@dataclass
class Preview:
    file_name: str
    size: int
    sha256: str = ""
    status: str = "ready"  # ready | rejected | unchanged
    findings: list[Finding] = field(default_factory=list)
    units: list[str] = field(default_factory=list)  # the reporting unit(s): provinces of the rows
    periods: list[Period] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    replaces: Prior | None = None  # the batch of the same file name the load replaces
    added_to: list[Prior] = field(default_factory=list)  # other batches with figures for the same subjects
    same_batch_id: int | None = None  # status unchanged: the batch with this very content
    home: tuple[str, str] | None = None  # (scheme, official code) of the unit to open afterwards

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != "error"]

    @property
    def can_confirm(self) -> bool:
        return self.status == "ready" and not self.errors


def clean_name(file_name: str) -> str:
    """The file's own name as the browser gave it: no folder, no control characters, NFC."""
    name = unicodedata.normalize("NFC", str(file_name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-200:] or "tep-tai-len"


def _size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}".replace(".", ",") + " MB"


def _allowed(engine: Engine, user: User | None) -> frozenset[int] | None:
    """Unit ids the user may upload for (None: any unit)."""
    if user is None or user.role == "admin":
        return None
    from data.read.scope import expand

    return expand(engine, user.unit_ids, province_wide=user.role == "analyst")


def _inspect(engine: Engine, data: bytes, file_name: str, user: User | None,
             max_rows: int = MAX_UPLOAD_ROWS, period: Period | None = None,
             as_of: date | None = None) -> tuple[Preview, CheckedFile | CheckedPortal | None]:
    name = clean_name(file_name)
    pv = Preview(name, len(data))
    if len(data) > MAX_UPLOAD_BYTES:
        pv.status = "rejected"
        pv.findings = [Finding(file=name, rule="too_large", severity="error",
                               message=f"Tệp nặng {_size_text(len(data))}, quá giới hạn {_size_text(MAX_UPLOAD_BYTES)} "
                                       "cho một lần nạp; hãy chia thành nhiều tệp nhỏ hơn.")]
        return pv, None
    checked = check_bytes(engine, data, name, max_rows=max_rows, period=period, as_of=as_of)
    pv.sha256 = checked.sha256
    if checked.same is not None:
        pv.status, pv.same_batch_id = "unchanged", int(checked.same.id)
        return pv, checked
    if isinstance(checked, CheckedPortal):
        _portal_preview(engine, pv, checked, user)
        return pv, checked
    res = checked.resolver
    pv.findings = list(checked.findings)
    if res is not None and checked.rows:
        _summarise(pv, checked, res)
        allowed = _allowed(engine, user)
        if allowed is not None:
            pv.findings += _outside_scope(checked, res, allowed, user)  # type: ignore[arg-type]
        _priors(engine, pv, checked, res, allowed, user)
    if pv.errors:
        pv.status = "rejected"
    return pv, checked


def _portal_preview(engine: Engine, pv: Preview, checked: CheckedPortal, user: User | None) -> None:
    """A file of the national portal: its units (as matched) and periods, scores and counts."""
    pv.findings = list(checked.findings)
    if checked.subjects:
        with engine.connect() as conn:
            res = Resolver.load(conn)
        allowed = _allowed(engine, user)
        outside: dict[int, int] = {}
        for s in checked.subjects:
            r = s.row
            label = _label(res, s.unit_id, s.agency_id) if s.agency_id is not None or s.pending is None else \
                f"{r.name} (cơ quan mới, sẽ được đăng ký)"
            counts = {c: r.counts.get(c) for c in SHOWN_COUNTS}
            if r.scores.get("total") is not None:
                counts["score_total"] = r.scores["total"]  # type: ignore[assignment]
            pv.lines.append(Line(label, r.level, r.period.label, 1, counts))
            if allowed is not None and s.unit_id not in allowed:
                outside[s.unit_id] = outside.get(s.unit_id, 0) + 1
        pv.periods = list(checked.periods)
        provinces = {res.province_of(s.unit_id) for s in checked.subjects}
        pv.units = [res.name[p] for p in provinces]
        if len(provinces) == 1:
            p = next(iter(provinces))
            pv.home = (str(res.reg.units.set_index("id").at[p, "scheme"]), str(res.code[p]))
        for uid, n in outside.items():
            pv.findings.append(Finding(
                file=checked.name, rule="outside_scope", severity="error",
                message=f"Đơn vị {res.describe(uid)} không thuộc phạm vi của tài khoản “{user.name if user else ''}”; "
                        f"không được nạp số liệu của Cổng DVCQG cho đơn vị này ({format_int(n)} dòng)."))
    if pv.errors:
        pv.status = "rejected"


def preview(engine: Engine, data: bytes, file_name: str, user: User | None = None,
            max_rows: int = MAX_UPLOAD_ROWS, period: Period | None = None, as_of: date | None = None) -> Preview:
    """What loading this content would do, writing nothing. ``user``: the uploader (None: no
    scope restriction, as on the command line); ``period``/``as_of``: for a file of the portal
    that does not say them (``etl load --period --as-of``)."""
    return _inspect(engine, data, file_name, user, max_rows, period, as_of)[0]


def _label(res: Resolver, unit_id: int, agency_id: int | None) -> str:
    if agency_id is None:
        return res.name[unit_id]
    return f"{res._agencies[agency_id].name} ({res.name[unit_id]})"


def _summarise(pv: Preview, checked: CheckedFile, res: Resolver) -> None:
    lines: dict[tuple, Line] = {}
    periods: dict[tuple, Period] = {}
    provinces: dict[int, None] = {}
    for r in checked.rows:
        key = (r.unit_id, r.agency_id, r.scope, r.period.start, r.period.end)
        counts = r.stored()
        line = lines.get(key)
        if line is None:
            label = _label(res, r.unit_id, r.agency_id) + (" (toàn địa bàn)" if r.scope == "total" else "")
            lines[key] = Line(label, "department" if r.agency_id is not None else res.level[r.unit_id],
                              r.period.label, 1, {c: counts.get(c) for c in SHOWN_COUNTS})
        else:  # a duplicate (an error already): shown once
            line.rows += 1
        periods.setdefault((r.period.start, r.period.end), r.period)
        provinces.setdefault(res.province_of(r.unit_id))
    pv.lines = list(lines.values())
    pv.periods = sorted(periods.values(), key=lambda p: (p.start, p.end))
    pv.units = [res.name[p] for p in provinces]
    subjects = {r.unit_id for r in checked.rows}
    home = next(iter(subjects)) if len(subjects) == 1 else (next(iter(provinces)) if len(provinces) == 1 else None)
    if home is not None:
        scheme = res.reg.units.set_index("id").at[home, "scheme"]
        pv.home = (str(scheme), str(res.code[home]))


def _outside_scope(checked: CheckedFile, res: Resolver, allowed: frozenset[int], user: User) -> list[Finding]:
    """One error per unit (or agency) of the file outside the uploader's scope, at its first row."""
    first: dict[tuple[int, int | None], tuple] = {}
    counts: dict[tuple[int, int | None], int] = {}
    for r in checked.rows:
        if r.unit_id not in allowed:
            key = (r.unit_id, r.agency_id)
            if key not in first:
                column = (r.headers.get("agency") if r.agency_id is not None else None) or r.headers.get("unit_name") \
                    or r.headers.get("unit_code")
                first[key] = (r.sheet, r.row, column)
            counts[key] = counts.get(key, 0) + 1
    scope = ", ".join(res.name[u] for u in user.unit_ids if u in res.name) or "không có đơn vị nào"
    out = []
    for (unit_id, agency_id), (sheet, row, column) in first.items():
        what = (f"Đơn vị {res.describe(unit_id)}" if agency_id is None
                else f"Cơ quan {res._agencies[agency_id].name} ({res.name[unit_id]})")
        out.append(Finding(
            file=checked.name, sheet=sheet, row=row, column=column, rule="outside_scope", severity="error",
            message=f"{what} không thuộc phạm vi của tài khoản “{user.name}” ({scope}); không được nạp số liệu "
                    f"cho {'đơn vị' if agency_id is None else 'cơ quan'} này "
                    f"({format_int(counts[(unit_id, agency_id)])} dòng)."))
    return out


def _batch_subjects(engine: Engine, batch_ids: list[int]) -> dict[int, set[tuple]]:
    """(unit, agency, scope, start, end) of the dossier and offer rows of some batches."""
    out: dict[int, set[tuple]] = {b: set() for b in batch_ids}
    if not batch_ids:
        return out
    with engine.connect() as conn:
        for t in (dossier_stat, procedure_offer):
            q = (select(t.c.batch_id, t.c.unit_id, t.c.agency_id, t.c.scope, period.c.start_date, period.c.end_date)
                 .join(period, period.c.id == t.c.period_id).where(t.c.batch_id.in_(batch_ids)).distinct())
            for b, *key in conn.execute(q):
                out[int(b)].add(tuple(key))
    return out


def _prior(row, subjects: list[tuple], res: Resolver) -> Prior:  # noqa: ANN001
    ordered = sorted(subjects, key=lambda k: (k[3], k[4], k[0], k[1] or 0))
    shown = [f"{_label(res, k[0], k[1])}, kỳ {classify(k[3], k[4]).label}" for k in ordered[:50]]
    if len(ordered) > 50:
        shown.append(f"… và {format_int(len(ordered) - 50)} dòng khác")
    return Prior(int(row.id), row.file_name, format_date(row.loaded_at), row.loaded_by, int(row.rows), shown)


def _priors(engine: Engine, pv: Preview, checked: CheckedFile, res: Resolver, allowed: frozenset[int] | None,
            user: User | None) -> None:
    """The batch of the same name this load replaces (and what of it the file lacks), and the
    other real batches with figures for the same subjects and periods (they are summed)."""
    mine = {(r.unit_id, r.agency_id, r.scope, r.period.start, r.period.end) for r in checked.rows}
    units = sorted({k[0] for k in mine})
    with engine.connect() as conn:
        same_name = find_active_batch(conn, file_name=checked.name, kind="file")
        others: set[int] = set()
        for t in (dossier_stat, procedure_offer):
            for i in range(0, len(units), 5000):
                q = (select(t.c.batch_id).join(load_batch, load_batch.c.id == t.c.batch_id)
                     .where(t.c.unit_id.in_(units[i:i + 5000]), load_batch.c.status == "active",
                            load_batch.c.dataset == "real").distinct())
                others |= {int(b) for b in conn.execute(q).scalars()}
        rows = {int(r.id): r for r in conn.execute(select(load_batch).where(load_batch.c.id.in_(
            others | ({int(same_name.id)} if same_name else set()))))}
    subjects = _batch_subjects(engine, sorted(rows))
    if same_name is not None:
        theirs = subjects[int(same_name.id)]
        pv.replaces = _prior(same_name, sorted(theirs - mine), res)
        outside = sorted({k[0] for k in theirs if allowed is not None and k[0] not in allowed})
        if outside:
            pv.findings.append(Finding(
                file=checked.name, rule="replace_outside_scope", severity="error",
                message=f"Đã có lô {same_name.id} cùng tên tệp “{checked.name}” (nạp {format_date(same_name.loaded_at)}) "
                        f"gồm số liệu của {', '.join(res.name[u] for u in outside[:5])} ngoài phạm vi của tài khoản "
                        f"“{user.name if user else ''}”; nạp tệp này sẽ thay thế lô đó. Hãy đổi tên tệp rồi tải lên lại."))
    for b in sorted(others - ({int(same_name.id)} if same_name else set())):
        common = subjects[b] & mine
        if common:
            pv.added_to.append(_prior(rows[b], sorted(common), res))


# --- keeping the bytes between preview and confirm ------------------------------------------------


def upload_dir() -> Path:
    """A private folder (mode 700) shared by the workers of this machine: ``TTHC_UPLOAD_DIR``,
    by default one in the system's temporary directory named after the database URL."""
    import hashlib

    from data.db import default_url

    where = Path(os.environ.get("TTHC_UPLOAD_DIR") or Path(tempfile.gettempdir()) /
                 f"tthc-uploads-{hashlib.sha1(default_url().encode()).hexdigest()[:12]}")
    where.mkdir(mode=0o700, parents=True, exist_ok=True)
    if where.stat().st_uid != os.getuid():
        raise PermissionError(f"{where} belongs to another user")
    where.chmod(0o700)
    return where


def _purge(where: Path, now: float) -> None:
    for p in where.glob("*.json"):
        try:
            if now - json.loads(p.read_text())["created"] > TOKEN_TTL_SECONDS:
                _drop(where, p.stem)
        except (OSError, ValueError, KeyError):
            continue


def _drop(where: Path, token: str) -> None:
    for suffix in (".bin", ".json"):
        (where / f"{token}{suffix}").unlink(missing_ok=True)


def stash(data: bytes, pv: Preview, user: User, period: Period | None = None, as_of: date | None = None) -> str:
    """Keep the previewed bytes (and the period / capture date given for them); returns the
    random token the page holds (never a path)."""
    where, now = upload_dir(), time.time()
    _purge(where, now)
    token = secrets.token_urlsafe(24)
    (where / f"{token}.bin").write_bytes(data)
    meta = {"name": pv.file_name, "sha256": pv.sha256, "user": user.name, "created": now,
            "period": period.spec if period else None, "as_of": as_of.isoformat() if as_of else None}
    (where / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False))
    return token


def unstash(token: object, user: User) -> tuple[bytes, str, Period | None, date | None] | None:
    """The bytes and name kept under ``token`` for this user, if still valid (not expired, same
    user, content unchanged); None otherwise (an expired entry is deleted)."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        return None
    where = upload_dir()
    try:
        meta = json.loads((where / f"{token}.json").read_text())
        data = (where / f"{token}.bin").read_bytes()
    except (OSError, ValueError):
        return None
    if time.time() - float(meta.get("created", 0)) > TOKEN_TTL_SECONDS:
        _drop(where, token)
        return None
    from etl.store import sha256_bytes

    if meta.get("user") != user.name or sha256_bytes(data) != meta.get("sha256"):
        return None
    from data.periods import parse_spec

    per = parse_spec(meta["period"]) if meta.get("period") else None
    as_of = date.fromisoformat(meta["as_of"]) if meta.get("as_of") else None
    return data, str(meta["name"]), per, as_of


# --- the two steps the page calls ---------------------------------------------------------------


def _detail(pv: Preview, **extra: object) -> dict:
    return {"file": pv.file_name, "sha256": pv.sha256, "bytes": pv.size, "status": pv.status,
            "errors": len(pv.errors), "warnings": len(pv.warnings), "units": pv.units[:10],
            "periods": [p.label for p in pv.periods[:10]], **extra}


def start_upload(engine: Engine, data: bytes, file_name: str, user: User, ip: str | None = None,
                 period: Period | None = None, as_of: date | None = None) -> tuple[Preview, str | None]:
    """Preview an uploaded file for ``user`` (audited as 'upload_preview'); a confirmable file
    is kept and its token returned."""
    pv = preview(engine, data, file_name, user, period=period, as_of=as_of)
    token = stash(data, pv, user, period, as_of) if pv.can_confirm else None
    audit(engine, user.name, "upload_preview", _detail(pv), ip)
    return pv, token


@dataclass
class Confirmed:
    ok: bool
    message: str  # Vietnamese, one sentence or two
    batch_id: int | None = None
    preview: Preview | None = None
    result: BatchResult | None = None


EXPIRED = "Phiên xem trước không còn hiệu lực (quá 30 phút hoặc đã nạp); hãy tải tệp lên lại."


def confirm_upload(engine: Engine, token: object, user: User | None, ip: str | None = None) -> Confirmed:
    """Load the bytes kept under ``token``: validated again (the same checks and the user's
    scope as they are now), stored in one transaction with its 'upload_confirm' audit row."""
    if user is None or not user.active or not user.can("reporter"):
        return Confirmed(False, "Tài khoản không có quyền nạp số liệu.")
    kept = unstash(token, user)
    if kept is None:
        return Confirmed(False, EXPIRED)
    data, name, per, as_of = kept
    pv, checked = _inspect(engine, data, name, user, period=per, as_of=as_of)
    if pv.status == "unchanged":
        _drop(upload_dir(), str(token))
        return Confirmed(False, f"Nội dung tệp này đã được nạp (lô {pv.same_batch_id}); không thay đổi.",
                         pv.same_batch_id, pv)
    if not pv.can_confirm or checked is None:
        return Confirmed(False, f"Tệp có {len(pv.errors)} lỗi; chưa nạp.", None, pv)

    def record(conn, res: BatchResult) -> None:  # noqa: ANN001
        write_audit(conn, user.name, "upload_confirm",
                    _detail(pv, batch_id=res.batch_id, replaced_batch_id=res.replaced_batch_id, rows=res.rows), ip)

    res = store_checked(engine, checked, loaded_by=user.name, in_transaction=record,
                        allow_locked=user.can("admin"))  # a locked period: only an admin replaces it
    _drop(upload_dir(), str(token))
    if res.status == "unchanged":
        return Confirmed(False, f"Nội dung tệp này đã được nạp (lô {res.batch_id}); không thay đổi.", res.batch_id,
                         pv, res)
    if res.status == "rejected":  # refused while storing (a locked period): nothing stored, say why
        with engine.begin() as conn:
            write_audit(conn, user.name, "upload_refused", _detail(pv, reason=[f.message for f in res.errors]), ip)
        return Confirmed(False, "Chưa nạp: " + " ".join(f.message for f in res.errors), None, pv, res)
    if res.status == "history":
        return Confirmed(True, f"Bản chụp trong tệp “{name}” cũ hơn bản đang dùng: đã lưu vào lịch sử (lô "
                               f"{res.batch_id}), số liệu đang hiển thị không đổi.", res.batch_id, pv, res)
    extra = f", thay thế lô {res.replaced_batch_id}" if res.replaced_batch_id else ""
    return Confirmed(True, f"Đã nạp {format_int(res.rows)} dòng của tệp “{name}” vào lô {res.batch_id}{extra}.",
                     res.batch_id, pv, res)

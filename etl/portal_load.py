"""Loading the national portal's files (Chỉ số 766): JSON answers of its reporting API, capture
envelopes saved by ``etl fetch766`` and the Excel dumps of its old API.

Reading is etl/portal766.py; here each row is matched to a unit or agency (etl/portal_codes.py),
checked, and stored in one transaction as a batch of kind 'portal':
- scores (total and groups, maxima and rank) in score_stat, with the capture date ``as_of``;
- dossier counts in dossier_stat and online procedure counts in procedure_offer, so every page
  uses them; a report (Biểu 06, the template) for the same unit and period wins over them in
  the aggregates, and a difference between the two is recorded as a finding.
A later capture of the same thing (same endpoint, province and periods: ``capture_key``)
replaces the earlier one, which stays in the history; an older one loaded after a newer one
goes straight into the history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection, Engine, and_, func, insert, select, update

from data.periods import Period
from data.schema import (
    DOSSIER_COUNTS,
    OFFER_COUNTS,
    SCORE_COMPONENTS,
    dossier_stat,
    load_batch,
    period,
    procedure_offer,
    score_stat,
)
from data.text import format_int
from data.units import scheme_for
from etl import portal766
from etl.batches import LockedError
from etl.portal_codes import CodeMatcher, Mapping, NewAgency, register_agencies, save_mappings
from etl.resolve import Resolver
from etl.store import (
    BatchResult,
    Finding,
    PeriodCache,
    close_batch,
    find_active_batch,
    save_findings,
    sha256_bytes,
)

KIND = "portal"


@dataclass
class PortalSubject:
    unit_id: int
    agency_id: int | None
    pending: str | None  # the code of an agency registered on storing
    row: portal766.PortalRow


@dataclass
class CheckedPortal:
    """A portal file read, matched and checked; nothing written."""

    name: str
    sha256: str
    size: int
    source: str = ""
    as_of: date | None = None
    capture_key: str = ""
    subjects: list[PortalSubject] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    mappings: list[Mapping] = field(default_factory=list)
    new_agencies: list[NewAgency] = field(default_factory=list)
    same: object | None = None
    periods: tuple[Period, ...] = ()

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def rows(self) -> list[PortalSubject]:
        return self.subjects


def check_portal(engine: Engine, data: bytes, name: str, period_opt: Period | None = None,
                 as_of_opt: date | None = None, resolver: Resolver | None = None) -> CheckedPortal:
    sha = sha256_bytes(data)
    out = CheckedPortal(name, sha, len(data))
    with engine.connect() as conn:
        out.same = find_active_batch(conn, sha256=sha, kind=KIND)
        if out.same is None:  # the same content in the history is the same capture too
            out.same = conn.execute(select(load_batch).where(load_batch.c.sha256 == sha,
                                                             load_batch.c.kind == KIND)).first()
    if out.same is not None:
        return out
    pf = portal766.parse_portal(name, data, period_opt, as_of_opt)
    out.source, out.as_of, out.findings = pf.source, pf.as_of, list(pf.findings)
    if out.errors:
        return out
    if not pf.rows:
        out.findings.append(Finding(file=name, rule="no_rows", severity="error",
                                    message="Tệp của Cổng DVCQG không có dòng số liệu nào của tỉnh, sở ngành hay xã."))
        return out
    periods = sorted({r.period for r in pf.rows}, key=lambda p: (p.start, p.end))
    out.periods = tuple(periods)
    with engine.connect() as conn:
        resolver = resolver or Resolver.load(conn)
        for scheme in sorted({scheme_for(p.end) for p in periods}):
            matcher = CodeMatcher(conn, resolver, scheme)
            rows = [r for r in pf.rows if scheme_for(r.period.end) == scheme]
            _match(out, matcher, rows, name)
            out.mappings += list(matcher.new.values())
            out.new_agencies += list(matcher.new_agencies.values())
        if not out.errors:
            out.findings += reconcile(conn, out)
    provinces = sorted({r.row.code for r in out.subjects if r.row.level == "province" and r.row.code} or
                       {r.row.parent_code or "" for r in out.subjects})
    root = provinces[0] if len(provinces) == 1 else "toàn quốc"
    out.capture_key = "|".join(["766", pf.source, root, ",".join(p.spec for p in periods)])[:200]
    return out


def _match(out: CheckedPortal, matcher: CodeMatcher, rows: list[portal766.PortalRow], name: str) -> None:
    # provinces first: their codes place the children of the same file
    for r in sorted(rows, key=lambda r: r.level != "province"):
        column = "departmentName" if r.sheet and not r.sheet[:1].isupper() else "TEN_COQUAN"
        if r.level == "province":
            uid, problems = matcher.province(r.code, r.name, name, r.sheet, r.row, column)
            out.findings += problems
            if uid is not None:
                out.subjects.append(PortalSubject(uid, None, None, r))
            continue
        province_id = matcher.province_of_child(r.parent_code, r.name)
        if province_id is None:
            out.findings.append(Finding(
                file=name, sheet=r.sheet, row=r.row, column=column, rule="portal_no_province", severity="error",
                message=f"Không xác định được tỉnh của “{r.name}” (mã {r.code or 'không có'}): tệp không có dòng "
                        "của tỉnh và tên không ghi tỉnh."))
            continue
        if r.level == "commune":
            uid, problems = matcher.commune(r.code, r.name, province_id, name, r.sheet, r.row, column)
            out.findings += problems
            if uid is not None:
                out.subjects.append(PortalSubject(uid, None, None, r))
        else:
            aid, pending = matcher.department(r.code, r.name, province_id)
            out.subjects.append(PortalSubject(province_id, aid, pending, r))
    seen: dict[tuple, PortalSubject] = {}
    for s in out.subjects:
        key = (s.unit_id, s.agency_id, s.pending, s.row.period)
        if key in seen:
            first = seen[key].row
            out.findings.append(Finding(
                file=name, sheet=s.row.sheet, row=s.row.row, rule="duplicate", severity="error",
                message=f"“{s.row.name}” trùng đơn vị với “{first.name}” (dòng {first.row}) trong cùng kỳ "
                        f"{s.row.period.label}."))
        seen[key] = s


# --- reconciliation ---------------------------------------------------------------------------

_COMPARED = (("received_total", "hồ sơ tiếp nhận"), ("received_online", "hồ sơ trực tuyến"),
             ("received_postal", "hồ sơ qua bưu chính"), ("overdue_total", "hồ sơ quá hạn"))


def reconcile(conn: Connection, checked: CheckedPortal) -> list[Finding]:
    """Warnings where the portal's counts differ from a report (Biểu 06, template) for the same
    unit and period, and where the portal's channels do not add up to its received total
    (the channels may come from another of its files)."""
    out: list[Finding] = []
    with_counts = [s for s in checked.subjects if s.row.counts and s.pending is None]
    if not with_counts:
        return out
    d = dossier_stat
    for s in with_counts:
        r = s.row
        agency_cond = d.c.agency_id.is_(None) if s.agency_id is None else d.c.agency_id == s.agency_id
        scope = _scope(r)
        q = (select(load_batch.c.kind, load_batch.c.file_name, *[func.sum(d.c[c]).label(c) for c, _ in _COMPARED],
                    func.sum(d.c.received_online + d.c.received_direct_postal).label("channels"))
             .join(load_batch, load_batch.c.id == d.c.batch_id).join(period, period.c.id == d.c.period_id)
             .where(load_batch.c.status == "active", d.c.unit_id == s.unit_id, agency_cond, d.c.scope == scope,
                    load_batch.c.dataset == "real",
                    and_(period.c.start_date == r.period.start, period.c.end_date == r.period.end))
             .group_by(load_batch.c.kind, load_batch.c.file_name))
        for row in conn.execute(q):
            other = row._mapping
            if other["kind"] == KIND:  # another of the portal's files: its channels against our total
                mine_total, their_channels = r.counts.get("received_total"), other["channels"]
                mine_channels = _channels(r.counts)
                if mine_total is not None and their_channels is not None and mine_total != their_channels:
                    out.append(_diff_finding(checked.name, s, "received_total", mine_total, their_channels,
                                             f"tổng các kênh nộp của tệp Cổng “{other['file_name']}”"))
                if mine_channels is not None and other["received_total"] is not None \
                        and mine_channels != other["received_total"]:
                    out.append(_diff_finding(checked.name, s, "channels", mine_channels, other["received_total"],
                                             f"tổng hồ sơ tiếp nhận của tệp Cổng “{other['file_name']}”"))
                continue
            for col, _ in _COMPARED:
                mine, theirs = r.counts.get(col), other[col]
                if mine is not None and theirs is not None and int(mine) != int(theirs):
                    out.append(_diff_finding(checked.name, s, col, mine, theirs,
                                             f"báo cáo “{other['file_name']}”"))
        total, channels = r.counts.get("received_total"), _channels(r.counts)
        if total is not None and channels is not None and total != channels:
            out.append(_diff_finding(checked.name, s, "channels", channels, total, "tổng hồ sơ tiếp nhận của chính tệp"))
    return out


def _channels(counts: dict[str, int]) -> int | None:
    if counts.get("received_online") is None or counts.get("received_direct_postal") is None:
        return None
    return int(counts["received_online"]) + int(counts["received_direct_postal"])


_WHAT = dict(_COMPARED) | {"channels": "hồ sơ theo kênh nộp (trực tuyến + trực tiếp + bưu chính)"}


def _diff_finding(file: str, s: PortalSubject, col: str, mine: int, theirs: int, other: str) -> Finding:
    r = s.row
    gap = int(mine) - int(theirs)
    return Finding(
        file=file, sheet=r.sheet, row=r.row, column=col, rule="portal_differs", severity="warning",
        unit_id=s.unit_id, period=r.period,
        message=f"{r.name}, {r.period.label}: Cổng DVCQG có {format_int(int(mine))} {_WHAT[col]}, {other} có "
                f"{format_int(int(theirs))} (chênh {'+' if gap > 0 else ''}{format_int(gap)}).")


# --- storing ------------------------------------------------------------------------------------


def store_portal(engine: Engine, checked: CheckedPortal, loaded_by: str | None = None,
                 in_transaction: Callable[[Connection, BatchResult], None] | None = None,
                 allow_locked: bool = False) -> BatchResult:
    if checked.same is not None:
        return BatchResult(checked.same.id, "unchanged", rows=checked.same.rows)
    if checked.errors:
        return BatchResult(None, "rejected", findings=checked.findings)
    try:
        return _store(engine, checked, loaded_by, in_transaction, allow_locked)
    except LockedError as exc:
        return BatchResult(None, "rejected", findings=[Finding(file=checked.name, rule="locked", severity="error",
                                                               message=str(exc))])


def _store(engine: Engine, c: CheckedPortal, loaded_by: str | None,
           in_transaction: Callable[[Connection, BatchResult], None] | None, allow_locked: bool) -> BatchResult:
    from data.build import footprint

    with engine.begin() as conn:
        current = conn.execute(select(load_batch).where(load_batch.c.kind == KIND, load_batch.c.status == "active",
                                                        load_batch.c.capture_key == c.capture_key)).first()
        older = current is not None and current.as_of is not None and c.as_of is not None and c.as_of < current.as_of
        batch_id = conn.execute(insert(load_batch).values(
            kind=KIND, dataset="real", file_name=c.name, sha256=c.sha256, rows=len(c.subjects),
            loaded_at=datetime.now().replace(microsecond=0), status="replaced" if older else "active",
            replaced_by=current.id if older else None, loaded_by=loaded_by, capture_key=c.capture_key,
            as_of=c.as_of, note=f"Cổng DVCQG ({c.source}), bản chụp ngày {c.as_of:%d/%m/%Y}" if c.as_of else None,
        )).inserted_primary_key[0]
        agency_ids = register_agencies(conn, c.new_agencies, loaded_by)
        save_mappings(conn, c.mappings, agency_ids, loaded_by)
        periods = PeriodCache(conn)
        scores, dossiers, offers = [], [], []
        for s in c.subjects:
            r = s.row
            aid = s.agency_id if s.agency_id is not None else agency_ids.get(s.pending or "")
            base = {"batch_id": batch_id, "source_ref": f"{c.name}!{r.sheet or ''}!{r.row or ''}!{r.code or ''}",
                    "unit_id": s.unit_id, "agency_id": aid, "scope": _scope(r), "period_id": periods.id_for(r.period)}
            if r.scores:
                scores.append({**base, "as_of": c.as_of, "portal_code": r.code, "portal_rank": r.rank,
                               **{col: r.scores.get(key) for col, key in _SCORE_KEYS},
                               **{f"max_{col}": r.max_scores.get(key) for col, key in _SCORE_KEYS}})
            d = {k: int(v) for k, v in r.counts.items() if k in DOSSIER_COUNTS and v is not None}
            if d:
                dossiers.append({**base, **{k: d.get(k) for k in DOSSIER_COUNTS}})
            o = {k: int(v) for k, v in r.counts.items() if k in OFFER_COUNTS and v is not None}
            if o:
                offers.append({**base, **{k: o.get(k) for k in OFFER_COUNTS}})
        for table, rows in ((score_stat, scores), (dossier_stat, dossiers), (procedure_offer, offers)):
            if rows:
                conn.execute(insert(table), rows)
        save_findings(conn, batch_id, c.findings, periods)
        replaced = None
        if current is not None and not older:
            covered = footprint(conn, [current.id])
            conn.execute(update(load_batch).where(load_batch.c.id == current.id)
                         .values(status="replaced", replaced_by=batch_id))
            replaced = current.id
            close_batch(conn, batch_id, covered, allow_locked=allow_locked)
        elif not older:
            close_batch(conn, batch_id, allow_locked=allow_locked)
        status = "history" if older else ("replaced" if replaced else "loaded")
        result = BatchResult(batch_id, status, rows=len(c.subjects), findings=c.findings, replaced_batch_id=replaced)
        if in_transaction is not None:
            in_transaction(conn, result)
    return result


def _scope(r: portal766.PortalRow) -> str:
    """A province's counts on the portal are the whole territory's (its departments and
    communes included): scope 'total', never summed with its children's."""
    return "total" if r.level == "province" else "own"


_SCORE_KEYS = tuple((col, "total" if col == "total" else col.upper()) for col in SCORE_COMPONENTS)


def summary_extra(c: CheckedPortal) -> list[str]:
    """Lines of the load summary about the portal's units: agencies registered."""
    return [f"  Đã đăng ký cơ quan mới của Cổng DVCQG: {a.name} (mã {a.code})" for a in c.new_agencies]

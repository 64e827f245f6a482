"""``python -m etl load FILE...``: import CSV/XLSX files, all or nothing per file.

A file with any error is rejected as a whole, with every problem listed (file, sheet, row,
column) and the database unchanged. Warnings load with a stored finding. The same content
twice changes nothing; a corrected file with the same name replaces its earlier batch.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, Engine
from tqdm import tqdm

from data.periods import Period
from data.schema import DOSSIER_COUNTS, OFFER_COUNTS, dossier_stat, procedure_offer
from data.store import bulk_rows
from data.text import format_int
from data.units import scheme_for
from etl import validate as V
from etl.batches import LockedError
from etl.extract import Record, Sheet, UnreadableFile, detect_layout, is_blank, read_sheets
from etl.extract_form06 import COUNT_FIELDS as FORM06_COUNTS
from etl.extract_form06 import Form06Sheet, parse_form06
from etl.extract_template import COUNT_FIELDS as TEMPLATE_COUNTS
from etl.extract_template import iter_template, template_period
from etl.portal766 import looks_like_portal
from etl.portal_load import CheckedPortal, check_portal, store_portal, summary_extra
from etl.resolve import LEVELS, Resolver, subject_label
from etl.store import (
    BatchResult,
    Finding,
    PeriodCache,
    close_batch,
    find_active_batch,
    open_batch,
    save_findings,
    sha256_bytes,
)

PROGRESS_MIN_ROWS = 2000  # files with more rows than this get progress bars
_TOTALS = (
    ("received_total", ("received_online", "received_direct_postal", "received_carried")),
    ("settled_total", ("settled_early", "settled_on_time", "settled_overdue")),
    ("pending_total", ("pending_within", "pending_overdue")),
)


STORED = (*DOSSIER_COUNTS, *OFFER_COUNTS)
_UNKNOWN = -1  # a blank count in _Row.counts (counts are never negative once validated)


@dataclass(slots=True)
class _Row:
    """A validated record ready to be stored, kept small: a national file has a million of them."""

    sheet: str | None
    row: int
    headers: dict[str, str]  # shared by the rows of a sheet
    unit_id: int
    agency_id: int | None
    scope: str
    period: Period
    counts: array  # STORED order, _UNKNOWN for blank

    @classmethod
    def of(cls, rec: Record, unit_id: int, agency_id: int | None, scope: str, period: Period,
           counts: dict[str, int | None]) -> _Row:
        values = array("q", [_UNKNOWN if (v := counts.get(c)) is None else v for c in STORED])
        return cls(rec.sheet, rec.row, rec.headers, unit_id, agency_id, scope, period, values)

    def record(self, file: str) -> Record:
        """A record without cells, for messages about this row."""
        return Record(file=file, sheet=self.sheet, row=self.row, headers=self.headers)

    def stored(self) -> dict[str, int | None]:
        return {c: (None if v == _UNKNOWN else v) for c, v in zip(STORED, self.counts, strict=True)}


class _FileCheck:
    """Validation state of one file: the rows to store and every finding."""

    def __init__(self, name: str, resolver: Resolver) -> None:
        self.name = name
        self.resolver = resolver
        self.rows: list[_Row] = []
        self.findings: list[Finding] = []

    def counts(self, rec: Record, fields: tuple[str, ...]) -> dict[str, int | None]:
        out: dict[str, int | None] = {}
        for f in fields:
            if f in rec.values:
                value, problem = V.parse_count(rec.values[f], rec, f)
                if problem:
                    self.findings.append(problem)
                out[f] = value
        return out

    def progress(self, records: Iterable[Record], what: str, total: int | None = None):  # noqa: ANN201
        total = len(records) if total is None else total  # type: ignore[arg-type]
        return tqdm(records, desc=f"{self.name}: {what}", unit="dòng", leave=False, file=sys.stderr,
                    total=total, disable=total < PROGRESS_MIN_ROWS)


# --- entry points ---------------------------------------------------------------------------


@dataclass
class CheckedFile:
    """A file read and validated, nothing written: what ``store_checked`` would store.

    ``same`` is the active batch with identical content (then nothing is read or checked);
    ``rows`` the validated records; ``findings`` every error and warning, as the CLI prints them.
    """

    name: str
    sha256: str
    size: int
    resolver: Resolver | None = None
    rows: list[_Row] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    same: object | None = None  # a load_batch row
    layouts: tuple[str, ...] = ()

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


def check_bytes(engine: Engine, data: bytes, name: str, resolver: Resolver | None = None,
                max_rows: int | None = None, period: Period | None = None,
                as_of: date | None = None) -> CheckedFile | CheckedPortal:
    """Read and validate a file's content exactly as ``etl load`` does, without writing anything.

    ``max_rows``: refuse a file with more sheet rows than this (the web upload's limit; the
    command line has none). A file of the national portal (Chỉ số 766: JSON, a capture of
    ``etl fetch766``, an Excel dump) is checked by etl/portal_load.py; ``period`` and ``as_of``
    say which period and capture date it holds where the file does not."""
    if looks_like_portal(name, data):
        return check_portal(engine, data, name, period, as_of, resolver)
    sha = sha256_bytes(data)
    out = CheckedFile(name, sha, len(data), resolver)
    with engine.connect() as conn:
        out.same = find_active_batch(conn, sha256=sha, kind="file")
    if out.same is not None:
        return out

    def refuse(rule: str, message: str) -> CheckedFile:
        out.findings = [Finding(file=name, rule=rule, severity="error", message=message)]
        return out

    try:
        sheets = read_sheets(Path(name), data)
        if max_rows is not None and (n := sum(len(s.rows) for s in sheets)) > max_rows:
            return refuse("too_many_rows", f"Tệp có {format_int(n)} dòng, quá giới hạn {format_int(max_rows)} dòng "
                                           "cho một lần nạp qua trình duyệt; hãy chia thành nhiều tệp nhỏ hơn.")
        layouts = [(s, detect_layout(s)) for s in sheets]
    except UnreadableFile as exc:
        message = str(exc).removeprefix(f"{name}: ")
        return refuse(exc.rule, message[:1].upper() + message[1:])
    except Exception as exc:  # a reader library failing on a strange file: one line, no traceback
        return refuse("unreadable", f"Không đọc được nội dung tệp ({type(exc).__name__}: {exc}).")
    out.layouts = tuple(layout for _, layout in layouts if layout)
    if not out.layouts:
        return refuse(
            "unknown_layout",
            "Không nhận ra mẫu biểu: cần mẫu nhập liệu của hệ thống (có cột 'Kỳ báo cáo' và 'Mã đơn vị' hoặc "
            "'Tên đơn vị') hoặc Biểu số 06/VPCP/KSTT (có dòng 'STT' và các cột 'Số hồ sơ nhận giải quyết', "
            "'đã giải quyết', 'đang giải quyết').")
    if resolver is None:
        with engine.connect() as conn:
            resolver = Resolver.load(conn)
    out.resolver = resolver
    check = _FileCheck(name, resolver)
    for sheet, layout in layouts:
        if layout == "template":
            _check_template(check, sheet)
        elif layout == "form06":
            _check_form06(check, sheet)
    check.findings += _duplicates(check)
    findings = _attach_subjects(check)
    if not check.rows and not any(f.severity == "error" for f in findings):
        findings.append(Finding(file=name, rule="no_rows", severity="error",
                                message="Tệp không có dòng số liệu nào để nạp."))
    out.rows, out.findings = check.rows, findings
    return out


def store_checked(engine: Engine, checked: CheckedFile, loaded_by: str | None = None,
                  in_transaction: Callable[[Connection, BatchResult], None] | None = None,
                  allow_locked: bool = False) -> BatchResult:
    """Store a checked file (all or nothing) and refresh the aggregates it touches, in one
    transaction; ``in_transaction(conn, result)`` runs inside it just before the commit (an
    audit row), and an exception there undoes everything. A file changing figures of a locked
    unit and period is rejected unless ``allow_locked`` (an admin)."""
    if isinstance(checked, CheckedPortal):
        return store_portal(engine, checked, loaded_by, in_transaction, allow_locked)
    if checked.same is not None:
        return BatchResult(checked.same.id, "unchanged", rows=checked.same.rows)
    if checked.errors:
        return BatchResult(None, "rejected", findings=checked.findings)
    try:
        return _store(engine, checked.name, checked.sha256, checked.rows, checked.findings, loaded_by, in_transaction,
                      allow_locked)
    except LockedError as exc:  # the transaction rolled back: nothing stored
        return _rejected(checked.name, "locked", str(exc))


def load_bytes(engine: Engine, data: bytes, name: str, resolver: Resolver | None = None,
               loaded_by: str | None = None, allow_locked: bool = False, period: Period | None = None,
               as_of: date | None = None) -> BatchResult:
    """Validate and load one file's content in one transaction (``load_file`` without the disk)."""
    checked = check_bytes(engine, data, name, resolver, period=period, as_of=as_of)
    result = store_checked(engine, checked, loaded_by, allow_locked=allow_locked)
    if isinstance(checked, CheckedPortal) and result.status != "rejected":
        result.notes = summary_extra(checked)
    return result


def load_file(engine: Engine, path: str | Path, resolver: Resolver | None = None, allow_locked: bool = False,
              loaded_by: str | None = None, period: Period | None = None, as_of: date | None = None) -> BatchResult:
    """Validate and load one file in one transaction. Returns what happened and the findings.
    A file changing figures of a locked unit and period is rejected unless ``allow_locked``
    (an admin); ``loaded_by``: the signed-in user (None: the command line)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _rejected(path.name, "unreadable", f"Không đọc được tệp ({exc.strerror or exc}).")
    return load_bytes(engine, data, path.name, resolver, loaded_by, allow_locked, period, as_of)


def run_load(engine: Engine, files: list[str], allow_locked: bool = False, period: Period | None = None,
             as_of: date | None = None) -> int:
    """Load each file; one summary line per file and every finding on stderr. 1 if any file was rejected."""
    with engine.connect() as conn:
        resolver = Resolver.load(conn)
    code = 0
    for f in files:
        res = load_file(engine, f, resolver, allow_locked=allow_locked, period=period, as_of=as_of)
        print(summary_line(Path(f).name, res), file=sys.stderr)
        for line in res.notes:
            print(line, file=sys.stderr)
        if res.status == "rejected":
            code = 1
        if res.status != "unchanged":
            for finding in res.findings:
                print(f"  {finding}", file=sys.stderr)
    return code


def summary_line(name: str, res: BatchResult) -> str:
    """One Vietnamese line saying what happened to a file."""
    warnings = len(res.findings) - len(res.errors)
    if res.status == "rejected":
        return f"{name}: BỊ TỪ CHỐI, {len(res.errors)} lỗi; cơ sở dữ liệu không thay đổi."
    if res.status == "unchanged":
        return f"{name}: nội dung này đã được nạp (lô {res.batch_id}), không thay đổi."
    if res.status == "history":
        return (f"{name}: bản chụp cũ hơn bản đang dùng; đã lưu {res.rows} dòng vào lịch sử (lô {res.batch_id}), "
                "không thay thế số liệu hiện hành.")
    extra = f", thay thế lô {res.replaced_batch_id}" if res.replaced_batch_id else ""
    extra += f", {warnings} cảnh báo" if warnings else ""
    return f"{name}: đã nạp {res.rows} dòng vào lô {res.batch_id}{extra}."


# --- storing --------------------------------------------------------------------------------


def _rejected(name: str, rule: str, message: str) -> BatchResult:
    return BatchResult(None, "rejected", findings=[Finding(file=name, rule=rule, severity="error", message=message)])


def _store(engine: Engine, name: str, sha: str, rows: list[_Row], findings: list[Finding],
           loaded_by: str | None = None,
           in_transaction: Callable[[Connection, BatchResult], None] | None = None,
           allow_locked: bool = False) -> BatchResult:
    with engine.begin() as conn:
        batch_id, replaced, covered = open_batch(conn, kind="file", dataset="real", file_name=name, sha256=sha,
                                                 rows=len(rows), loaded_by=loaded_by)
        if batch_id is None:  # loaded meanwhile by another process
            same = find_active_batch(conn, sha256=sha, kind="file")
            return BatchResult(same.id if same else None, "unchanged", rows=len(rows))
        periods = PeriodCache(conn)
        period_ids = {r.period: periods.id_for(r.period) for r in rows}  # new periods first (their own inserts)
        d_cols = ["batch_id", "source_ref", "unit_id", "agency_id", "scope", "period_id", *DOSSIER_COUNTS]
        o_cols = ["batch_id", "source_ref", "unit_id", "agency_id", "scope", "period_id", *OFFER_COUNTS]
        n_d = len(DOSSIER_COUNTS)

        def tuples(first: int, last: int):  # noqa: ANN202  (one pass per table: no second copy in memory)
            for r in rows:  # the counts array holds the dossier counts, then the offer counts (STORED)
                part = r.counts[first:last]
                if any(v != _UNKNOWN for v in part):
                    yield (batch_id, f"{name}!{r.sheet or ''}!{r.row}", r.unit_id, r.agency_id, r.scope,
                           period_ids[r.period], *[None if v == _UNKNOWN else v for v in part])

        big = len(rows) >= PROGRESS_MIN_ROWS
        bulk_rows(conn, dossier_stat, d_cols, tuples(0, n_d), len(rows), f"{name}: ghi" if big else None)
        bulk_rows(conn, procedure_offer, o_cols, tuples(n_d, len(STORED)), len(rows))
        save_findings(conn, batch_id, findings, periods)
        close_batch(conn, batch_id, covered, progress=len(rows) >= PROGRESS_MIN_ROWS, allow_locked=allow_locked)
        result = BatchResult(batch_id, "replaced" if replaced else "loaded", rows=len(rows), findings=findings,
                             replaced_batch_id=replaced)
        if in_transaction is not None:
            in_transaction(conn, result)
    return result


def _attach_subjects(check: _FileCheck) -> list[Finding]:
    """Warnings about a stored row carry its unit and period (the data-quality page links them)."""
    wanted = {(f.sheet, f.row) for f in check.findings if f.row is not None}
    by_row = {(r.sheet, r.row): r for r in check.rows if (r.sheet, r.row) in wanted} if wanted else {}
    for f in check.findings:
        r = by_row.get((f.sheet, f.row))
        if r is not None:
            f.unit_id = f.unit_id or r.unit_id
            f.period = f.period or r.period
    return check.findings


# --- the template ---------------------------------------------------------------------------


def template_counts(counts: dict[str, int | None]) -> dict[str, int | None]:
    """Template columns -> schema columns.

    The template splits direct and postal intake; the schema keeps direct + postal (the official
    form's column) and postal. With postal left empty, direct + postal = direct and postal stays
    unknown (never guessed). Totals missing in the file are computed when all their parts are given.
    """
    out = dict(counts)
    direct, postal = out.pop("received_direct", None), out.get("received_postal")
    if direct is not None:
        out["received_direct_postal"] = direct + (postal or 0)
    for total, parts in _TOTALS:
        if out.get(total) is None and all(out.get(p) is not None for p in parts):
            out[total] = sum(out[p] for p in parts)  # type: ignore[misc]
    return out


def _check_template(check: _FileCheck, sheet: Sheet) -> None:
    problems, records, n = iter_template(check.name, sheet, release=True)
    for rule, severity, column, row in problems:
        message = (f"Cột '{column}' không thuộc mẫu nhập liệu; số liệu trong cột này bị bỏ qua."
                   if rule == "unknown_column" else f"Cột '{column}' xuất hiện hai lần.")
        check.findings.append(Finding(file=check.name, sheet=sheet.name, row=row, column=column, rule=rule,
                                      severity=severity, message=message))
    # A national file repeats the same periods and subjects many times: each distinct one is
    # understood once. Cached findings carry no row in their message and are re-located per row.
    periods: dict[tuple, tuple[Period | None, str | None, str]] = {}
    sane: set[tuple[Period, str]] = set()
    subjects: dict[tuple, tuple[tuple[int, int | None, str] | None, list[Finding]]] = {}
    for rec in check.progress(records, "kiểm tra", total=n):
        values = rec.values
        key = (values.get("period"), values.get("date_from"), values.get("date_to"))
        if key not in periods:
            periods[key] = template_period(rec)
        per, problem, pfield = periods[key]
        if problem is not None:
            rule = "period_missing" if problem.startswith("thiếu") else "period_invalid"
            period_problems = V.period_problem(rule, problem, rec, pfield)
        elif (per, pfield) in sane:
            period_problems = []
        else:
            period_problems = V.period_findings(per, rec, pfield)
            if not period_problems:
                sane.add((per, pfield))  # type: ignore[arg-type]
        check.findings += period_problems
        counts = template_counts(check.counts(rec, TEMPLATE_COUNTS))
        check.findings += V.record_findings(counts, rec)
        if per is None or any(f.severity == "error" for f in period_problems):
            continue  # the units to look in depend on the period
        skey = (rec.sheet, *(values.get(f) for f in _SUBJECT_FIELDS), scheme_for(per.start), scheme_for(per.end),
                per if not is_blank(values.get("agency")) else None)
        cached = subjects.get(skey)
        if cached is None:
            subject, found = subjects[skey] = check.resolver.template_subject(rec, per)
        else:
            subject, found = cached[0], [replace(f, row=rec.row) for f in cached[1]]
        check.findings += found
        if subject is None:
            continue
        if all(v is None for v in counts.values()):
            check.findings += V.empty_row(rec, rec.cell("unit_name") or rec.cell("unit_code") or rec.cell("agency"))
            continue
        unit_id, agency_id, scope = subject
        check.rows.append(_Row.of(rec, unit_id, agency_id, scope, per, counts))


_SUBJECT_FIELDS = ("scheme", "province_code", "unit_code", "unit_name", "agency", "scope")


def _duplicates(check: _FileCheck) -> list[Finding]:
    """Rows of a file for the same subject and period (only colliding rows become records)."""
    first: dict[tuple, int] = {}
    groups: dict[tuple, list[int]] = {}
    for i, r in enumerate(check.rows):
        key = (r.unit_id, r.agency_id, r.scope, r.period.start, r.period.end)
        j = first.setdefault(key, i)
        if j != i:
            groups.setdefault(key, [j]).append(i)
    items = []
    for key, idx in groups.items():
        r0 = check.rows[idx[0]]
        label = f"{subject_label(check.resolver, r0.unit_id, r0.agency_id)}, kỳ {r0.period.label}"
        items += [(key, check.rows[i].record(check.name), label) for i in idx]
    return V.duplicate_findings(items)


# --- Biểu số 06/VPCP/KSTT -------------------------------------------------------------------


def _check_form06(check: _FileCheck, sheet: Sheet) -> None:
    form = parse_form06(check.name, sheet)
    if form is None:
        return
    title = Record(file=check.name, sheet=sheet.name, row=form.period_row or 1, headers={"period": "Kỳ báo cáo"})
    per = form.period
    if per is None:
        check.findings += V.period_problem("period_missing" if form.period_text is None else "period_invalid",
                                           form.problems[0], Record(check.name, sheet.name, form.period_row,
                                                                    headers={"period": "Kỳ báo cáo"}))
    else:
        period_problems = V.period_findings(per, title)
        check.findings += period_problems
        if any(f.severity == "error" for f in period_problems):
            per = None  # the units to look in depend on the period
    reporting = None
    if per is not None:
        scheme = scheme_for(per.end)
        reporting = check.resolver.reporting_unit(scheme, form.province_texts)
        if reporting is None:
            named = "; ".join(f"'{t}' (dòng {r})" for t, r in form.province_texts) or "không có"
            check.findings.append(Finding(
                file=check.name, sheet=sheet.name, row=form.province_texts[0][1] if form.province_texts else None,
                rule="unknown_unit", severity="error",
                message=f"Không xác định được tỉnh báo cáo từ các dòng tiêu đề (tìm thấy: {named}); "
                        f"dòng đầu biểu cần ghi ví dụ 'UBND TỈNH ĐIỆN BIÊN' (danh mục {V.SCHEME_TEXT[scheme]})."))
    parsed: list[tuple[Record, dict[str, int | None]]] = []
    for rec in check.progress(form.records, "kiểm tra"):
        counts = check.counts(rec, FORM06_COUNTS)
        check.findings += V.record_findings(counts, rec)
        parsed.append((rec, counts))
    if reporting is not None:
        _resolve_form06(check, form, parsed, reporting, per)  # type: ignore[arg-type]
    check.findings += form06_structure(parsed)


def _resolve_form06(check: _FileCheck, form: Form06Sheet, parsed: list[tuple[Record, dict]], reporting: int,
                    per: Period) -> None:
    res = check.resolver
    scheme = scheme_for(per.end)
    province = res.province_of(reporting)
    within = reporting
    for rec, counts in parsed:
        if rec.kind == "section":
            within = reporting
        if rec.kind not in ("unit", "group"):
            continue
        name = rec.cell("unit_name")
        if rec.kind == "group" and scheme == "2025":
            rec.kind = "unit"  # no districts since 01/07/2025
        if rec.kind == "group":
            within, problems = res.unit(scheme, name, reporting, ("district",), rec, "unit_name")
            check.findings += problems
            within = within or reporting
            continue
        code = rec.values.get("unit_code")
        if not name and is_blank(code):
            check.findings += V.missing_subject(rec)
            continue
        unit_id, agency_id = None, None
        level = rec.level_hint
        if not is_blank(code):
            unit_id, inside = res.by_code(scheme, code, reporting)
            if unit_id is None or not inside:
                check.findings += (V.unknown_code(rec.cell("unit_code"), scheme, rec, "unit_code") if unit_id is None
                                   else V.unit_outside_province(res.describe(unit_id), res.name[reporting], rec,
                                                                "unit_code"))
                continue
        elif level == "department" or (level is None and res.agency(province, name) is not None):
            agency_id, problems = res.agency_or_finding(province, name, per, rec, "unit_name")
            check.findings += problems
            if agency_id is None:
                continue
            unit_id = province
        else:
            levels = (level,) if level else tuple(lv for lv in LEVELS[scheme] if lv != "province")
            unit_id, problems = res.unit(scheme, name, within if level == "commune" else reporting, levels, rec,
                                         "unit_name")
            check.findings += problems
            if unit_id is None:
                continue
        if all(v is None for v in counts.values()):
            check.findings += V.empty_row(rec, name)
            continue
        check.rows.append(_Row.of(rec, unit_id, agency_id, "own", per, counts))


def form06_structure(parsed: list[tuple[Record, dict[str, int | None]]]) -> list[Finding]:
    """Section rows, district sub-totals and 'Tổng cộng' against the rows they sum."""
    out: list[Finding] = []
    Item = tuple[Record, dict[str, int | None]]
    sections: list[tuple[Item, list[Item]]] = []
    groups: list[tuple[Item, list[Item]]] = []
    loose: list[Item] = []  # unit rows outside any section
    totals: list[Item] = []
    section: tuple[Item, list[Item]] | None = None
    group: tuple[Item, list[Item]] | None = None
    for item in parsed:
        kind = item[0].kind
        if kind == "section":
            section, group = (item, []), None
            sections.append(section)
        elif kind == "group":
            group = (item, [])
            groups.append(group)
        elif kind == "unit":
            (section[1] if section is not None else loose).append(item)
            if group is not None:
                group[1].append(item)
        elif kind == "total":
            totals.append(item)

    for head, members in sections:
        name = head[0].cell("unit_name")
        if members:
            out += V.section_findings(members, head, f"Dòng mục '{name}'")
        elif any(v is not None for v in head[1].values()):
            out += V.section_not_stored(head[0], f"Dòng mục '{name}'")
    for head, members in groups:
        if members:
            out += V.section_findings(members, head, f"Dòng '{head[0].cell('unit_name')}'")
        elif any(v is not None for v in head[1].values()):
            out += V.section_not_stored(head[0], f"Dòng '{head[0].cell('unit_name')}'")
    parts: list[Item] = list(loose)
    for head, members in sections:
        parts += [head] if any(v is not None for v in head[1].values()) else members
    for total in totals:
        if parts:
            out += V.section_findings(parts, total, "Dòng 'Tổng cộng'")
    return out


"""``python -m etl load FILE...``: import CSV/XLSX files, all or nothing per file.

A file with any error is rejected as a whole, with every problem listed (file, sheet, row,
column) and the database unchanged. Warnings load with a stored finding. The same content
twice changes nothing; a corrected file with the same name replaces its earlier batch.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from sqlalchemy import Engine
from tqdm import tqdm

from data.schema import DOSSIER_COUNTS, OFFER_COUNTS, dossier_stat, procedure_offer
from data.text import fold, name_key, nfc
from data.units import Registry, parse_scheme, scheme_for
from etl import validate as V
from etl.extract import (
    TEXT_FIELDS,
    Record,
    Sheet,
    UnreadableFile,
    detect_layout,
    parse_form06,
    parse_template,
    read_sheets,
    template_period,
)
from etl.store import BatchResult, Finding, PeriodCache, insert_rows, open_batch, save_findings, sha256_of

LEVEL_BY_CODE_LENGTH = {2: "province", 3: "district", 5: "commune"}
SCOPES = {"own": "own", "rieng": "own", "total": "total", "toan dia ban": "total", "tong": "total"}


class _Row:
    """A resolved record ready to be stored."""

    def __init__(self, rec: Record, unit_id: int, agency_id: int | None, scope: str, period, counts: dict) -> None:  # noqa: ANN001
        self.rec, self.unit_id, self.agency_id, self.scope, self.period, self.counts = (
            rec, unit_id, agency_id, scope, period, counts)


def load_file(engine: Engine, path: str | Path, registry: Registry | None = None) -> BatchResult:
    """Validate and load one file in one transaction. Returns what happened and the findings."""
    path = Path(path)
    name = path.name
    try:
        sheets = read_sheets(path)
    except UnreadableFile as exc:
        return BatchResult(None, "rejected", findings=[Finding(file=name, rule="unreadable", severity="error",
                                                               message=str(exc).split(": ", 1)[-1])])
    except OSError as exc:
        return BatchResult(None, "rejected", findings=[Finding(file=name, rule="unreadable", severity="error",
                                                               message=f"không đọc được tệp ({exc.strerror}).")])
    if registry is None:
        with engine.connect() as conn:
            registry = Registry(conn)
    findings: list[Finding] = []
    rows: list[_Row] = []
    layouts = [(s, detect_layout(s)) for s in sheets]
    if not any(layout for _, layout in layouts):
        return BatchResult(None, "rejected", findings=[Finding(
            file=name, rule="layout", severity="error",
            message="không nhận ra mẫu biểu: cần mẫu nhập liệu của hệ thống (có cột 'Mã đơn vị', 'Kỳ báo cáo') "
                    "hoặc Biểu số 06/VPCP/KSTT (có dòng đánh số cột (1)…(13)).")])
    for sheet, layout in layouts:
        if layout == "template":
            _template_rows(name, sheet, registry, rows, findings)
        elif layout == "form06":
            _form06_rows(name, sheet, registry, rows, findings)
    findings += V.duplicate_findings([((r.unit_id, r.agency_id, r.scope, r.period.start, r.period.end), r.rec)
                                      for r in rows])
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        return BatchResult(None, "rejected", findings=findings)
    if not rows:
        return BatchResult(None, "rejected", findings=[Finding(file=name, rule="empty", severity="error",
                                                               message="tệp không có dòng số liệu nào.")])
    with engine.begin() as conn:
        batch_id, replaced = open_batch(conn, kind="file", dataset="real", file_name=name,
                                        sha256=sha256_of(path), rows=len(rows))
        if batch_id is None:
            return BatchResult(None, "unchanged", rows=len(rows))
        periods = PeriodCache(conn)
        dossiers, offers = [], []
        for r in tqdm(rows, desc=name, unit="dòng", leave=False, disable=len(rows) < 5000, file=sys.stderr):
            base = {"batch_id": batch_id, "source_ref": f"{name}!{r.rec.sheet or ''}!{r.rec.row}",
                    "unit_id": r.unit_id, "agency_id": r.agency_id, "scope": r.scope,
                    "period_id": periods.id_for(r.period)}
            d = {c: r.counts.get(c) for c in DOSSIER_COUNTS}
            if any(v is not None for v in d.values()):
                dossiers.append({**base, **d})
            o = {c: r.counts.get(c) for c in OFFER_COUNTS}
            if any(v is not None for v in o.values()):
                offers.append({**base, **o})
        insert_rows(conn, dossier_stat, dossiers)
        insert_rows(conn, procedure_offer, offers)
        save_findings(conn, batch_id, findings, periods)
    return BatchResult(batch_id, "replaced" if replaced else "loaded", rows=len(rows), findings=findings,
                       replaced_batch_id=replaced)


def run_load(engine: Engine, files: list[str]) -> int:
    """Load each file; print one summary line per file and every finding. Exit 1 if any rejected."""
    with engine.connect() as conn:
        registry = Registry(conn)
    code = 0
    for f in files:
        res = load_file(engine, f, registry)
        name = Path(f).name
        if res.status == "rejected":
            code = 1
            print(f"{name}: BỊ TỪ CHỐI, {len(res.errors)} lỗi; cơ sở dữ liệu không thay đổi.", file=sys.stderr)
        elif res.status == "unchanged":
            print(f"{name}: đã nạp nội dung này trước đó, không thay đổi.", file=sys.stderr)
        else:
            extra = f", thay thế lô {res.replaced_batch_id}" if res.replaced_batch_id else ""
            print(f"{name}: đã nạp {res.rows} dòng vào lô {res.batch_id}{extra}.", file=sys.stderr)
        for finding in res.findings:
            print(f"  {finding}", file=sys.stderr)
    return code


# --- template -------------------------------------------------------------------------------


def _counts(rec: Record, findings: list[Finding]) -> dict[str, int | None]:
    counts: dict[str, int | None] = {}
    for field, raw in rec.values.items():
        if field in TEXT_FIELDS or field == "unit_name":
            continue
        value, problem = V.parse_count(raw, rec, field)
        if problem:
            findings.append(problem)
        counts[field] = value
    return counts


def _template_rows(file: str, sheet: Sheet, reg: Registry, rows: list[_Row], findings: list[Finding]) -> None:
    for rec in parse_template(file, sheet):
        per, problem = template_period(rec)
        period_problems = V.period_findings(per, problem, rec)
        findings += period_problems
        counts = _counts(rec, findings)
        # the template splits direct and postal; the schema keeps direct+postal and postal
        direct, postal = counts.pop("received_direct", None), counts.get("received_postal")
        if direct is not None:
            counts["received_direct_postal"] = direct + (postal or 0)
        _fill_totals(counts)
        findings += V.sum_findings(counts, rec)
        if period_problems:
            continue
        target = _template_subject(rec, per, reg, findings)
        if target is None:
            continue
        unit_id, agency_id = target
        scope = SCOPES.get(fold(_text(rec.values.get("scope"))) or "own")
        if scope is None:
            findings.append(Finding(file=file, sheet=sheet.name, row=rec.row, column=rec.headers.get("scope"),
                                    rule="scope", severity="error",
                                    message=f"Phạm vi '{rec.values.get('scope')}' không hợp lệ (dùng 'own' hoặc 'total')."))
            continue
        rows.append(_Row(rec, unit_id, agency_id, scope, per, counts))


def _fill_totals(counts: dict[str, int | None]) -> None:
    """Totals missing in the file are computed from their parts when all parts are given."""
    for total, parts in (
        ("received_total", ("received_online", "received_direct_postal", "received_carried")),
        ("settled_total", ("settled_early", "settled_on_time", "settled_overdue")),
        ("pending_total", ("pending_within", "pending_overdue")),
    ):
        if counts.get(total) is None and all(counts.get(p) is not None for p in parts):
            counts[total] = sum(counts[p] for p in parts)  # type: ignore[misc]


def _text(v: object) -> str:
    return "" if v is None else nfc(str(v)).strip()


def _template_subject(rec: Record, per, reg: Registry, findings: list[Finding]) -> tuple[int, int | None] | None:  # noqa: ANN001
    where = {"file": rec.file, "sheet": rec.sheet, "row": rec.row}
    try:
        scheme = parse_scheme(_text(rec.values["scheme"])) if _text(rec.values.get("scheme")) else scheme_for(per.start)
    except ValueError as exc:
        findings.append(Finding(column=rec.headers.get("scheme"), rule="scheme", severity="error",
                                message=str(exc), **where))
        return None
    if scheme_for(per.start) != scheme_for(per.end):
        findings.append(Finding(column=rec.headers.get("period"), rule="period", severity="error",
                                message="Kỳ báo cáo không được vắt qua ngày 01/07/2025 (đổi hệ thống đơn vị hành chính).",
                                **where))
        return None
    scheme_label = "trước 01/07/2025" if scheme == "legacy" else "từ 01/07/2025"
    code = _text(rec.values.get("unit_code"))
    prov_code = _text(rec.values.get("province_code"))
    name = _text(rec.values.get("unit_name"))
    agency_text = _text(rec.values.get("agency"))
    province_id = reg.by_code(scheme, "province", prov_code) if prov_code else None
    if prov_code and province_id is None:
        findings.append(Finding(column=rec.headers.get("province_code"), rule="unknown_unit", severity="error",
                                message=f"Mã tỉnh {prov_code} không có trong danh mục {scheme_label}.", **where))
        return None
    unit_id = None
    if code:
        level = LEVEL_BY_CODE_LENGTH.get(len(code.zfill(2)) if len(code) < 2 else len(code))
        unit_id = reg.by_code(scheme, level, code) if level else None
        if unit_id is None:
            findings.append(Finding(column=rec.headers.get("unit_code"), rule="unknown_unit", severity="error",
                                    message=f"Mã đơn vị {code} không có trong danh mục {scheme_label}.", **where))
            return None
    elif name:
        unit_id = _match_unit(reg, scheme, name, province_id, rec, "unit_name", findings)
        if unit_id is None:
            return None
    elif province_id is not None:
        unit_id = province_id
    else:
        findings.append(Finding(column=rec.headers.get("unit_code") or rec.headers.get("unit_name"),
                                rule="unknown_unit", severity="error",
                                message="Thiếu mã đơn vị hoặc tên đơn vị.", **where))
        return None
    if not agency_text:
        return unit_id, None
    province = reg.province_of(unit_id)
    agency_id = reg.match_agency(province, agency_text)
    if agency_id is None:
        findings.append(Finding(column=rec.headers.get("agency"), rule="unknown_agency", severity="error",
                                message=_suggest_agency(reg, province, agency_text), **where))
        return None
    return province, agency_id


def _match_unit(reg: Registry, scheme: str, name: str, province_id: int | None, rec: Record, field: str,
                findings: list[Finding], levels: tuple[str, ...] = ("province", "district", "commune")) -> int | None:
    where = {"file": rec.file, "sheet": rec.sheet, "row": rec.row, "column": rec.headers.get(field, field)}
    for level in levels:
        if level == "district" and scheme == "2025":
            continue
        hits = reg.match_name(scheme, level, name, parent_id=province_id)
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            names = "; ".join(f"{reg.unit(h)['name']} (mã {reg.unit(h)['code']})" for h in hits[:6])
            findings.append(Finding(rule="ambiguous_unit", severity="error",
                                    message=f"Tên '{name}' ứng với nhiều đơn vị: {names}. Hãy ghi mã đơn vị.", **where))
            return None
    findings.append(Finding(rule="unknown_unit", severity="error", message=_suggest_unit(reg, scheme, name, province_id,
                                                                                     levels), **where))
    return None


def _suggest_unit(reg: Registry, scheme: str, name: str, province_id: int | None, levels: tuple[str, ...]) -> str:
    units = reg.units[(reg.units["scheme"] == scheme) & reg.units["level"].isin(levels)]
    if province_id is not None:
        units = units[[reg.is_within(i, province_id) for i in units["id"]]] if len(units) < 20000 else units
    by_key: dict[str, list[str]] = {}
    for k, n in zip(units["name_key"], units["name"], strict=True):
        by_key.setdefault(k, []).append(n)
    close = difflib.get_close_matches(name_key(name), list(by_key), n=3, cutoff=0.6)
    names = list(dict.fromkeys(n for c in close for n in by_key[c]))[:5]
    scheme_label = "trước 01/07/2025" if scheme == "legacy" else "từ 01/07/2025"
    hint = f" Có phải: {', '.join(names)}?" if names else ""
    return f"Không có đơn vị '{name}' trong danh mục {scheme_label}.{hint}"


def _suggest_agency(reg: Registry, province_id: int, text: str) -> str:
    ag = reg.agencies[reg.agencies["unit_id"] == province_id]
    close = difflib.get_close_matches(name_key(text), list(ag["name_key"]), n=3, cutoff=0.5)
    names = [ag.loc[ag["name_key"] == c, "name"].iloc[0] for c in close]
    hint = f" Có phải: {', '.join(names)}?" if names else ""
    return f"Không có cơ quan '{text}' của {reg.unit(province_id)['name']}.{hint}"


# --- Biểu 06 --------------------------------------------------------------------------------


def _form06_rows(file: str, sheet: Sheet, reg: Registry, rows: list[_Row], findings: list[Finding]) -> None:
    records, province_text, per, problems = parse_form06(file, sheet)
    for p in problems:
        findings.append(Finding(file=file, sheet=sheet.name, row=None, rule="title", severity="error",
                                message=p[0].upper() + p[1:] + "."))
    if per is not None:
        findings += V.period_findings(per, None, Record(file=file, sheet=sheet.name, row=1,
                                                         headers={"period": "Kỳ báo cáo"}))
    if problems or per is None:
        return
    scheme = scheme_for(per.start)
    hits = reg.match_name(scheme, "province", province_text)
    if len(hits) != 1:
        findings.append(Finding(file=file, sheet=sheet.name, row=None, rule="unknown_unit", severity="error",
                                message=f"Không xác định được tỉnh báo cáo từ tiêu đề '{province_text}'."))
        return
    province = hits[0]
    parsed: list[tuple[Record, dict]] = []
    for rec in records:
        counts = _counts(rec, findings)
        findings += V.sum_findings(counts, rec)
        parsed.append((rec, counts))
        if rec.kind != "unit":
            continue
        name = _text(rec.values.get("unit_name"))
        if not name:
            findings.append(Finding(file=file, sheet=sheet.name, row=rec.row, column=rec.headers.get("unit_name"),
                                    rule="unknown_unit", severity="error", message="Dòng có số liệu nhưng thiếu tên đơn vị."))
            continue
        level = rec.level_hint
        agency_id = None
        if level in (None, "department"):
            agency_id = reg.match_agency(province, name)
        if agency_id is not None:
            rows.append(_Row(rec, province, agency_id, "own", per, counts))
            continue
        if level == "department":
            findings.append(Finding(file=file, sheet=sheet.name, row=rec.row, column=rec.headers.get("unit_name"),
                                    rule="unknown_agency", severity="error", message=_suggest_agency(reg, province, name)))
            continue
        levels = (level,) if level else ("district", "commune")
        unit_id = _match_unit(reg, scheme, name, province, rec, "unit_name", findings, levels)
        if unit_id is not None:
            rows.append(_Row(rec, unit_id, None, "own", per, counts))
    findings += _form06_section_checks(parsed)


def _form06_section_checks(parsed: list[tuple[Record, dict]]) -> list[Finding]:
    out = []
    sections: list[tuple[tuple[Record, dict], list[tuple[Record, dict]]]] = []
    units_all: list[tuple[Record, dict]] = []
    for rec, counts in parsed:
        if rec.kind == "section":
            sections.append(((rec, counts), []))
        elif rec.kind == "unit":
            units_all.append((rec, counts))
            if sections:
                sections[-1][1].append((rec, counts))
        elif rec.kind == "total":
            with_numbers = [s for s, members in sections if any(v is not None for v in s[1].values())]
            parts = with_numbers if with_numbers and len(with_numbers) == len(sections) else units_all
            out += V.section_findings(parts, (rec, counts), "Dòng 'Tổng cộng'")
    for header, members in sections:
        if members:
            out += V.section_findings(members, header, f"Dòng '{_text(header[0].values.get('unit_name'))}'")
    return out

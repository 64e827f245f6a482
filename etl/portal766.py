"""Files of the national public-service portal (Cổng DVCQG) ranking under Decision 766/QĐ-TTg.

Pure parsing, no database: ``parse_portal`` turns one file into ``PortalRow`` objects (one
province, department or commune with its scores and counts), ``PortalPoint`` objects (trend
points) and ``Finding`` objects (Vietnamese messages naming file, sheet or endpoint, row and
column or JSON key). Everything is mapped by key (JSON key, Excel column name), never by label
or position; extra keys and columns are kept in ``extra`` or ignored.

Shapes understood
-----------------
1. The reporting API (2026), ``POST <base>/api/v1/reporting/evaluation/<endpoint>``, answering
   ``{"code": "OK", "data": {...}, "message": "OK"}``; either the bare answer or a *capture
   envelope* written by ``etl.fetch766`` (``{"capture": {url, method, request, fetched_at,
   status, sha256}, "body": <answer>}``), which also gives the period (request body) and the
   as-of date (``fetched_at``).

   - ``service-results``: ``data.evaluation[]`` rows (``departmentCode``, ``departmentName``,
     ``totalScore``, ``groupScores{CKMB..MDSH}``, ``ratio``, ``scoreDelta``, ``departmentId``);
     national (``departmentType`` ADMINISTRATIVE_UNIT: provinces) or for one province
     (``rootDepartmentId``: its departments and communes). ``data.monthlyChart[]`` gives points
     with measure ``average_score`` and ``data.dossierChart[]`` points ``on_time_pct`` and
     ``overdue_pct`` (for the country, code None and level "country", or for the province
     when the answer is rooted); null values (months to come) are skipped. ``data.donuts``
     and any other summary key of ``data`` go to ``PortalFile.national`` as read.
   - trees (``dvc-progress-tree``, ``provide-online-tree``, any ``*-tree``): ``data.parent``
     (the province) and ``data.children[]`` (departments ``level: PROVINCE``, communes
     ``level: COMMUNE``). A tree is about one group (``ENDPOINT_GROUP``): its ``score`` /
     ``totalScore`` go to ``scores[<group>]`` and ``maxScore`` / ``totalMaxScore`` to
     ``max_scores[<group>]``. For a tree endpoint not in ``ENDPOINT_GROUP`` they go to
     ``scores["score"]`` / ``max_scores["score"]`` with a warning. Counts are mapped by
     ``TREE_COUNTS``; ``received_direct_postal`` = channelDirectSum + channelPostalSum.

2. The old API dumped to Excel (``report_tinh_766_service``, 2025): one header row holding
   ``MA_COQUAN`` or ``TONG_SCORE`` (within the first 15 rows of a sheet), columns
   ``ID, TEN, TEN_COQUAN, MA_COQUAN, LOAI_COQUAN, CAPDONVIID, ID_COQUAN, TDGQ, MDHL, MDSH, TTTT,
   CLGQ, CKMB, TONG_SCORE, ROW_STT`` in any order, numbers usually stored as text with a "."
   decimal ("19.05"). Sheets without such a header are ignored.

   Assumptions (the portal does not document the old API):
   - ``TEN_COQUAN`` is the unit's name as the portal writes it ("UBND xã Đông Thái - tỉnh An
     Giang", "Sở Y tế - Tỉnh Phú Thọ"); ``TEN`` is used when ``TEN_COQUAN`` is blank. The
     text after " - " that names a province is kept in ``extra["province_name"]``.
   - ``LOAI_COQUAN``: 1 = UBND tỉnh/thành phố (province), 2 = sở, ban, ngành (department),
     3 = UBND xã/phường/đặc khu (commune). ``CAPDONVIID``: 1 = cấp tỉnh (the province and
     its departments), 3 = cấp xã. They decide the level only when the sheet name does not.
   - ``ROW_STT`` is the rank as stated; ``ID`` and ``ID_COQUAN`` are kept in ``extra``.
   - Level by sheet name: "Sở Ban" = department, "Xã Phường" = commune; "Điểm năm",
     "Điểm quý", "Điểm tháng" = provinces unless a code has a dot (then LOAI_COQUAN,
     CAPDONVIID, then the name: "UBND xã/phường/đặc khu ..." = commune, else department).
   - Period by sheet name: a sheet whose name says "năm" is for the year of ``--period``,
     "quý" for its quarter (a month period gives the quarter containing it), "tháng" for its
     month (a year or quarter period is then an error asking for a month). Other sheets
     ("Sở Ban", "Xã Phường") are for ``--period`` exactly as given.
   - Trend sheets ("Xu hướng tháng", "Xu hướng quý", "Xu hướng năm"): one row per unit and
     month / quarter / year: ``MA_COQUAN``, ``TEN_COQUAN``, ``NAM`` (blank or absent: the
     year of ``--period``), ``THANG`` (1-12) or ``QUY`` (1-4 or I-IV), ``TONG_SCORE`` and any
     group columns. Each number is a ``PortalPoint`` with measure "total" or the group key.

Codes: "H44" is a province, "H44.01" / "H44.129" its children (``parent_code`` "H44").
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from data.periods import Period, month, quarter, year_period
from data.text import fold, nfc
from etl.store import Finding

GROUP_KEYS = ("CKMB", "TDGQ", "CLGQ", "TTTT", "MDHL", "MDSH")
GROUP_MAX: dict[str, float] = {"CKMB": 18, "TDGQ": 20, "CLGQ": 12, "TTTT": 10, "MDHL": 18, "MDSH": 22}
ENDPOINT_GROUP: dict[str, str] = {"dvc-progress-tree": "TDGQ", "provide-online-tree": "CLGQ"}
# JSON key -> our count column, per tree endpoint
TREE_COUNTS: dict[str, dict[str, str]] = {
    "dvc-progress-tree": {
        "totalReceived": "received_total",
        "totalCompleted": "settled_total",
        "totalOverdue": "overdue_total",
        "totalOnTime": "in_time_total",
    },
    "provide-online-tree": {
        "channelOnlineSum": "received_online",
        "channelPostalSum": "received_postal",
        "fullCount": "online_full",
        "partialCount": "online_partial",
    },
}
# counts validated like the others but kept in ``extra`` under their JSON key
TREE_EXTRA_COUNTS: dict[str, tuple[str, ...]] = {
    "provide-online-tree": ("channelDirectSum", "channelTotalSum", "onlineOnTimeSum", "onlineOverdueSum"),
}
EXCEL_SOURCE = "excel:report_tinh_766"
# rule id -> (severity, what it checks), like etl.validate.RULES
PORTAL_RULES: dict[str, tuple[str, str]] = {
    "portal_not_json": ("error", "tệp không phải JSON"),
    "portal_not_excel": ("error", "tệp Excel không mở được"),
    "portal_shape": ("error", "JSON không theo khuôn câu trả lời của Cổng DVCQG"),
    "portal_api_error": ("error", "Cổng trả mã lỗi (code khác OK)"),
    "portal_http_status": ("error", "bản chụp ghi mã HTTP khác 200"),
    "portal_missing_key": ("error", "thiếu khóa JSON bắt buộc hoặc ô tên đơn vị trống"),
    "portal_missing_column": ("error", "sheet thiếu cột bắt buộc"),
    "portal_no_code_column": ("warning", "sheet không có cột MA_COQUAN"),
    "portal_blank_code": ("warning", "ô MA_COQUAN trống"),
    "portal_no_table": ("error", "không có sheet nào là bảng điểm 766"),
    "portal_number": ("error", "giá trị không phải số"),
    "portal_count": ("error", "số hồ sơ/thủ tục âm hoặc không nguyên"),
    "portal_score_range": ("error", "điểm ngoài khoảng 0-100"),
    "portal_group_max": ("warning", "điểm nhóm vượt mức tối đa của nhóm"),
    "portal_above_max": ("warning", "điểm lớn hơn điểm tối đa ghi trong tệp"),
    "portal_total_sum": ("warning", "tổng điểm khác tổng sáu nhóm"),
    "portal_blank_score": ("warning", "ô TONG_SCORE trống"),
    "portal_rank": ("error", "thứ hạng ROW_STT không phải số nguyên dương"),
    "portal_duplicate": ("error", "một mã đơn vị xuất hiện hai lần (cùng kỳ)"),
    "portal_level": ("warning", "cấp đơn vị không rõ hoặc trái với tên sheet"),
    "portal_unknown_group": ("warning", "cây đơn vị không rõ thuộc nhóm chỉ số nào"),
    "portal_month": ("error", "tháng trong biểu đồ không hợp lệ"),
    "portal_trend_time": ("error", "tháng/quý của sheet xu hướng không hợp lệ"),
    "portal_no_period": ("error", "tệp không ghi kỳ và không có --period"),
    "portal_request_period": ("error", "kỳ trong yêu cầu đã ghi không hợp lệ"),
    "portal_period_month": ("error", "sheet theo tháng cần --period theo tháng"),
    "portal_period_quarter": ("error", "sheet theo quý cần --period theo quý hoặc tháng"),
    "portal_period_conflict": ("warning", "kỳ ghi trong tệp khác --period (theo tệp)"),
    "portal_no_as_of": ("error", "tệp không ghi ngày chốt và không có --as-of"),
    "portal_as_of_conflict": ("warning", "ngày tải ghi trong tệp khác --as-of (theo tệp)"),
    "portal_fetched_at": ("warning", "ngày tải trong bản chụp không đọc được"),
}
PERIOD_HELP = "Tệp không ghi kỳ số liệu: hãy chạy lại với --period (ví dụ 2026, 2026-Q3, 2025-10)."
AS_OF_HELP = ("Tệp không ghi ngày chốt số liệu: hãy chạy lại với --as-of DATE "
              "(dd/mm/yyyy hoặc yyyy-mm-dd).")
_LEVEL_VI = {"province": "tỉnh", "department": "sở, ban, ngành", "commune": "xã"}
_JSON_LEVEL = {"PROVINCE": "department", "DEPARTMENT": "department", "AGENCY": "department",
               "COMMUNE": "commune", "WARD": "commune", "ADMINISTRATIVE_UNIT": "province"}
_LOAI_LEVEL = {"1": "province", "2": "department", "3": "commune"}
_CAP_LEVEL = {"1": "department", "3": "commune"}  # used only for dotted codes


@dataclass
class PortalRow:
    """One province / department / commune as the portal names it, for one period."""

    sheet: str | None  # Excel sheet name, or the JSON endpoint ("dvc-progress-tree")
    row: int | None  # Excel row as the user sees it; JSON: 1-based index in its list (None: data.parent)
    column: str | None  # not used for rows
    code: str | None  # "H44", "H44.01", "H44.129"
    name: str  # as written, NFC, trimmed
    level: str  # province | department | commune
    parent_code: str | None  # "H44" for children; None for provinces
    period: Period | None  # None only in a file that has the missing-period error finding
    scores: dict[str, float] = field(default_factory=dict)  # "total" and any of GROUP_KEYS
    max_scores: dict[str, float] = field(default_factory=dict)  # only maxima the file states
    rank: int | None = None  # as stated (ROW_STT)
    counts: dict[str, int] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class PortalPoint:
    """A trend point: monthlyChart / dossierChart / "Xu hướng tháng|quý"."""

    code: str | None
    name: str | None
    level: str | None  # province | department | commune | country
    period: Period
    measure: str  # total | CKMB.. | average_score | on_time_pct | overdue_pct
    value: float
    sheet: str | None
    row: int | None


@dataclass
class PortalFile:
    source: str  # "api:service-results", "api:dvc-progress-tree", ..., "excel:report_tinh_766"
    as_of: date | None
    rows: list[PortalRow] = field(default_factory=list)
    points: list[PortalPoint] = field(default_factory=list)
    national: dict[str, object] = field(default_factory=dict)  # donuts etc. as read
    findings: list[Finding] = field(default_factory=list)
    request: dict | None = None  # the request body when known (capture envelope)
    capture: dict | None = None  # the whole capture header of an envelope (url, fetched_at, sha256 ...)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


# --- small helpers ----------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _number(value: object) -> float | None:
    """A number as the portal writes it: JSON number or text with a '.' decimal. None if blank."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        if value != value:
            return None
        return float(value)
    text = nfc(str(value)).replace(" ", "")
    if text in ("", "-", "–"):
        return None
    if not _NUMBER.match(text):
        raise ValueError(value)
    return float(text)


def _vn(x: float) -> str:
    """19.05 -> '19,05' (Vietnamese decimal comma) for messages."""
    text = f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))
    return text.replace(".", ",")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


def _parent(code: str | None) -> str | None:
    return code.split(".", 1)[0] if code and "." in code else None


def _level_from_name(name: str) -> str:
    f = fold(name)
    for prefix in ("ubnd xa", "ubnd phuong", "ubnd dac khu", "uy ban nhan dan xa", "uy ban nhan dan phuong",
                   "uy ban nhan dan dac khu", "xa ", "phuong ", "dac khu"):
        if f.startswith(prefix):
            return "commune"
    return "department"


def _province_suffix(name: str) -> str | None:
    """'Sở Y tế - Tỉnh Phú Thọ' -> 'Tỉnh Phú Thọ'."""
    if " - " not in name:
        return None
    tail = name.rsplit(" - ", 1)[1].strip()
    return tail if fold(tail).startswith(("tinh ", "thanh pho ", "tp ")) else None


class _Ctx:
    """Collects findings for one file; remembers whether the one missing-period error was given."""

    def __init__(self, name: str) -> None:
        self.file = name
        self.findings: list[Finding] = []
        self.period_missing = False

    def add(self, severity: str, rule: str, message: str, sheet: str | None = None, row: int | None = None,
            column: str | None = None, period: Period | None = None) -> None:
        self.findings.append(Finding(file=self.file, rule=rule, severity=severity, message=message,
                                     sheet=sheet, row=row, column=column, period=period))

    def report(self, rule: str, message: str, **where: object) -> None:
        """A finding with the severity ``PORTAL_RULES`` gives the rule."""
        self.add(PORTAL_RULES[rule][0], rule, message, **where)  # type: ignore[arg-type]

    def no_period(self) -> None:
        if not self.period_missing:
            self.period_missing = True
            self.report("portal_no_period", PERIOD_HELP)


class _Cells:
    """Reads the values of one JSON object / Excel row with messages naming where they are."""

    def __init__(self, ctx: _Ctx, sheet: str | None, row: int | None, where: str, get, period: Period | None):  # noqa: ANN001
        self.ctx, self.sheet, self.row, self.where, self.get, self.period = ctx, sheet, row, where, get, period

    def _loc(self, key: str) -> dict:
        return {"sheet": self.sheet, "row": self.row, "column": key, "period": self.period}

    def number(self, key: str) -> float | None:
        raw = self.get(key)
        try:
            return _number(raw)
        except ValueError:
            self.ctx.report("portal_number", f"{self.where}: giá trị '{raw}' ở '{key}' không phải là số "
                            "(số thập phân viết bằng dấu chấm, ví dụ 19.05).", **self._loc(key))
            return None

    def count(self, key: str) -> int | None:
        x = self.number(key)
        if x is None:
            return None
        if x < 0 or not x.is_integer():
            self.ctx.report("portal_count", f"{self.where}: '{key}' = {_vn(x)} không phải là số hồ sơ/thủ tục "
                            "(phải là số nguyên không âm).", **self._loc(key))
            return None
        return int(x)

    def score(self, key: str, group: str | None, stated_max: float | None = None) -> float | None:
        x = self.number(key)
        if x is None:
            return None
        if x < 0 or x > 100:
            self.ctx.report("portal_score_range", f"{self.where}: điểm '{key}' = {_vn(x)} nằm ngoài khoảng 0–100.",
                            **self._loc(key))
            return None
        known = GROUP_MAX.get(group or "")
        if known is not None and x > known + 1e-9:
            self.ctx.report("portal_group_max", f"{self.where}: điểm nhóm {group}{'' if key == group else f' ({key})'} = {_vn(x)} vượt mức tối đa "
                            f"{_vn(known)} điểm của nhóm.", **self._loc(key))
        if stated_max is not None and x > stated_max + 1e-9:
            self.ctx.report("portal_above_max", f"{self.where}: điểm '{key}' = {_vn(x)} lớn hơn điểm tối đa ghi trong "
                            f"tệp ({_vn(stated_max)}).", **self._loc(key))
        return x


def _check_total(ctx: _Ctx, cells: _Cells, scores: dict[str, float], column: str) -> None:
    """The six group scores add up to the total (rounding to 2 decimals allows a few hundredths)."""
    if "total" in scores and all(g in scores for g in GROUP_KEYS):
        s = sum(scores[g] for g in GROUP_KEYS)
        if abs(s - scores["total"]) > 0.05:
            ctx.report("portal_total_sum", f"{cells.where}: tổng điểm {_vn(scores['total'])} khác tổng sáu nhóm "
                       f"({_vn(round(s, 2))}).", **cells._loc(column))


def _check_duplicates(ctx: _Ctx, rows: list, sheet: str | None, column: str, key=lambda r: r.code,  # noqa: ANN001
                      label=lambda r: f"'{r.code}'") -> list:
    """Drop repeated keys, with an error naming both rows; returns the rows kept."""
    seen: dict[object, object] = {}
    kept = []
    for r in rows:
        k = key(r)
        if k is None:
            kept.append(r)
            continue
        if k in seen:
            first = seen[k]
            ctx.report("portal_duplicate", f"Mã đơn vị {label(r)} xuất hiện hai lần: "
                       f"{_row_label(first.row)} và {_row_label(r.row)}; chỉ một dòng được phép.",
                       sheet=sheet, row=r.row, column=column, period=r.period)
            continue
        seen[k] = r
        kept.append(r)
    return kept


def _row_label(row: int | None) -> str:
    return "data.parent" if row is None else f"dòng {row}"


# --- sniffing ---------------------------------------------------------------------------------


def _is_zip(data: bytes) -> bool:
    return data[:2] == b"PK"


def _header_keys(row: tuple) -> set[str]:
    return {str(v).strip().upper() for v in row if isinstance(v, str) and v.strip()}


def looks_like_portal(name: str, data: bytes) -> bool:
    """Cheap sniff: a JSON answer ({"code", "data"}) or a capture envelope; or an XLSX with a
    sheet whose header row has MA_COQUAN and TONG_SCORE (or TONG_SCORE and two group keys)."""
    if _is_zip(data):
        if not zipfile.is_zipfile(io.BytesIO(data)):
            return False
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # not a workbook
            return False
        try:
            for ws in wb.worksheets:
                for row in ws.iter_rows(min_row=1, max_row=15, values_only=True):
                    keys = _header_keys(row)
                    if "TONG_SCORE" in keys and ("MA_COQUAN" in keys or len(keys & set(GROUP_KEYS)) >= 2):
                        return True
        finally:
            wb.close()
        return False
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"{"):
        return False
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return False
    if isinstance(obj, dict) and isinstance(obj.get("capture"), dict) and "body" in obj:
        obj = obj["body"]
    return isinstance(obj, dict) and "code" in obj and "data" in obj


# --- entry point ------------------------------------------------------------------------------


def parse_portal(name: str, data: bytes, period: Period | None = None, as_of: date | None = None) -> PortalFile:
    """Parse one portal file (JSON answer, capture envelope or Excel dump); never raises for bad content."""
    ctx = _Ctx(name)
    if _is_zip(data) or name.lower().endswith((".xlsx", ".xlsm")):
        out = _parse_excel(ctx, data, period, as_of)
    else:
        out = _parse_json(ctx, name, data, period, as_of)
    out.findings = ctx.findings
    return out


def _resolve_as_of(ctx: _Ctx, fetched: date | None, as_of: date | None) -> date | None:
    if fetched is not None:
        if as_of is not None and as_of != fetched:
            ctx.report("portal_as_of_conflict", f"Tệp được tải ngày {fetched:%d/%m/%Y}; ngày chốt "
                       f"{as_of:%d/%m/%Y} đã chọn bị bỏ qua.")
        return fetched
    if as_of is None:
        ctx.report("portal_no_as_of", AS_OF_HELP)
    return as_of


# --- JSON -------------------------------------------------------------------------------------


def _endpoint_from_url(url: str) -> str | None:
    m = re.search(r"/([A-Za-z0-9_-]+)/?(?:\?.*)?$", url or "")
    return m[1] if m else None


def _endpoint_from_name(name: str) -> str | None:
    base = name.rsplit("/", 1)[-1]
    for ep in ("service-results", *ENDPOINT_GROUP):
        if ep in base:
            return ep
    m = re.search(r"([a-z]+(?:-[a-z]+)*-tree)", base)
    return m[1] if m else None


def _period_from_request(ctx: _Ctx, request: dict) -> Period | None:
    tt = str(request.get("timeType") or "").strip().lower()
    if not tt:
        return None
    try:
        y = int(request["year"])
        if tt == "year":
            return year_period(y)
        if tt == "quarter":
            return quarter(y, int(request["quarter"]))
        if tt == "month":
            return month(y, int(request["month"]))
    except (KeyError, TypeError, ValueError):
        pass
    ctx.report("portal_request_period", f"Yêu cầu ghi trong tệp có kỳ không hợp lệ (timeType '{tt}', year "
               f"{request.get('year')!r}, quarter {request.get('quarter')!r}, month {request.get('month')!r}).",
               column="capture.request")
    return None


def _parse_json(ctx: _Ctx, name: str, data: bytes, period: Period | None, as_of: date | None) -> PortalFile:
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        ctx.report("portal_not_json", f"Tệp không phải JSON hợp lệ ({type(exc).__name__}: {exc}).")
        return PortalFile(source="api:unknown", as_of=as_of)
    capture: dict | None = None
    request: dict | None = None
    fetched: date | None = None
    endpoint = None
    if isinstance(obj, dict) and isinstance(obj.get("capture"), dict) and "body" in obj:
        capture = obj["capture"]
        request = capture.get("request") if isinstance(capture.get("request"), dict) else None
        endpoint = _endpoint_from_url(str(capture.get("url") or ""))
        try:
            fetched = datetime.fromisoformat(str(capture.get("fetched_at"))).date()
        except ValueError:
            ctx.report("portal_fetched_at", f"Ngày tải '{capture.get('fetched_at')}' trong tệp không đọc được.",
                       column="capture.fetched_at")
        status = capture.get("status")
        if status not in (None, 200):
            ctx.report("portal_http_status", f"Cổng trả mã HTTP {status} cho yêu cầu {capture.get('url')}.",
                       column="capture.status")
        obj = obj["body"]
    endpoint = endpoint or _endpoint_from_name(name)
    if not isinstance(obj, dict) or "code" not in obj:
        ctx.report("portal_shape", "Tệp JSON không phải câu trả lời của Cổng DVCQG (thiếu khóa 'code' và 'data').",
                   sheet=endpoint, column="code")
        return PortalFile(source=f"api:{endpoint or 'unknown'}", as_of=as_of, request=request, capture=capture)
    if str(obj.get("code")).upper() != "OK":
        ctx.report("portal_api_error", f"Cổng DVCQG trả lỗi '{obj.get('code')}': {obj.get('message') or '(không có lời nhắn)'}.",
                   sheet=endpoint, column="code")
        return PortalFile(source=f"api:{endpoint or 'unknown'}", as_of=fetched or as_of, request=request,
                          capture=capture)
    body = obj.get("data")
    if not isinstance(body, dict):
        ctx.report("portal_missing_key", "Câu trả lời thiếu khóa 'data' (hoặc 'data' không phải một đối tượng).",
                   sheet=endpoint, column="data")
        return PortalFile(source=f"api:{endpoint or 'unknown'}", as_of=fetched or as_of, request=request,
                          capture=capture)
    if endpoint is None:  # a bare answer saved under a name that does not say: tell by its shape
        endpoint = _endpoint_from_shape(body)
    req_period = _period_from_request(ctx, request) if request else None
    if req_period is not None:
        if period is not None and (period.start, period.end) != (req_period.start, req_period.end):
            ctx.report("portal_period_conflict", f"Tệp ghi kỳ {req_period.label}; kỳ {period.label} đã chọn bị bỏ qua.")
        period = req_period
    elif period is None:
        ctx.no_period()
    out = PortalFile(source=f"api:{endpoint}", as_of=_resolve_as_of(ctx, fetched, as_of), request=request,
                     capture=capture)
    if "evaluation" in body:
        _parse_service_results(ctx, out, endpoint, body, period, request)
    elif "children" in body or "parent" in body:
        _parse_tree(ctx, out, endpoint, body, period)
    else:
        ctx.report("portal_missing_key", "Câu trả lời không có 'data.evaluation' (bảng điểm) hay 'data.children' "
                   "(cây đơn vị).", sheet=endpoint, column="data.evaluation")
    return out


def _endpoint_from_shape(body: dict) -> str:
    if "evaluation" in body:
        return "service-results"
    items = [body.get("parent") or {}, *(body.get("children") or [])]
    keys = {k for it in items if isinstance(it, dict) for k in it}
    if keys & {"totalReceived", "totalOnTime", "totalCompleted", "avgProcessingDays"}:
        return "dvc-progress-tree"
    if keys & {"fullCount", "partialCount", "channelOnlineSum", "channelTotalSum"}:
        return "provide-online-tree"
    return "unknown-tree"


def _json_level(ctx: _Ctx, cells: _Cells, raw: object, code: str | None, name: str, default: str) -> str:
    if raw not in (None, ""):
        level = _JSON_LEVEL.get(str(raw).strip().upper())
        if level is not None:
            if level == "province" and code and "." in code:
                return _level_from_name(name)
            return level
        ctx.report("portal_level", f"{cells.where}: cấp '{raw}' không rõ; xác định cấp theo mã và tên.",
                   **cells._loc("level"))
    if code and "." in code:
        return _level_from_name(name)
    return default


def _require(ctx: _Ctx, item: object, keys: tuple[str, ...], where: str, sheet: str, row: int | None,
             period: Period | None) -> bool:
    if not isinstance(item, dict):
        ctx.report("portal_shape", f"{where} không phải một đối tượng JSON.", sheet=sheet, row=row, period=period)
        return False
    ok = True
    for key in keys:
        if key not in item:
            ctx.report("portal_missing_key", f"{where} thiếu khóa '{key}'; dòng này bị bỏ qua.", sheet=sheet, row=row,
                       column=key, period=period)
            ok = False
    return ok


_SR_KEYS = {"departmentId", "departmentName", "departmentCode", "totalScore", "groupScores", "level"}


def _parse_service_results(ctx: _Ctx, out: PortalFile, endpoint: str, body: dict, period: Period | None,
                           request: dict | None) -> None:
    items = body.get("evaluation")
    if not isinstance(items, list):
        ctx.report("portal_missing_key", "'data.evaluation' không phải một danh sách.", sheet=endpoint,
                   column="evaluation")
        items = []
    rooted = bool(request and request.get("rootDepartmentId")) or any(
        isinstance(it, dict) and "." in _text(it.get("departmentCode")) for it in items)
    rows: list[PortalRow] = []
    for i, item in enumerate(items, 1):
        where = f"Mục {i} của data.evaluation"
        if not _require(ctx, item, ("departmentName", "departmentCode", "totalScore"), where, endpoint, i, period):
            continue
        code = _text(item.get("departmentCode")) or None
        name = _text(item.get("departmentName"))
        cells = _Cells(ctx, endpoint, i, f"{where} ({name or code})", item.get, period)
        level = _json_level(ctx, cells, item.get("level"), code, name, "province")
        scores: dict[str, float] = {}
        total = cells.score("totalScore", None)
        if total is not None:
            scores["total"] = total
        groups = item.get("groupScores")
        if isinstance(groups, dict):
            gcells = _Cells(ctx, endpoint, i, cells.where, groups.get, period)
            for g in GROUP_KEYS:
                if g in groups:
                    x = gcells.score(g, g)
                    if x is not None:
                        scores[g] = x
        elif groups is not None:
            ctx.report("portal_shape", f"{cells.where}: 'groupScores' không phải một đối tượng.",
                       **cells._loc("groupScores"))
        _check_total(ctx, cells, scores, "totalScore")
        extra = {k: v for k, v in item.items() if k not in _SR_KEYS}
        if item.get("departmentId") is not None:
            extra["departmentId"] = item["departmentId"]
        rows.append(PortalRow(sheet=endpoint, row=i, column=None, code=code, name=name, level=level,
                              parent_code=_parent(code) if level != "province" else None, period=period,
                              scores=scores, max_scores={}, rank=None, counts={}, extra=extra))
    out.rows = _check_duplicates(ctx, rows, endpoint, "departmentCode")
    # trend charts and summary figures: for the country, or for the province of a rooted answer
    scope_code, scope_level = None, "country"
    if rooted:
        parents = {r.parent_code or r.code for r in out.rows if r.code}
        scope_code = parents.pop() if len(parents) == 1 else None
        scope_level = "province"
    year = period.start.year if period is not None else None
    out.points += _chart(ctx, endpoint, body, "monthlyChart", {"averageScore": "average_score"}, year,
                         scope_code, scope_level)
    out.points += _chart(ctx, endpoint, body, "dossierChart", {"onTimePct": "on_time_pct", "overduePct": "overdue_pct"},
                         year, scope_code, scope_level)
    out.national = {k: v for k, v in body.items() if k not in ("evaluation", "monthlyChart", "dossierChart")}
    if rooted:
        out.national["scope_code"] = scope_code


def _chart_month(raw: object) -> tuple[int | None, int] | None:
    text = _text(raw)
    m = re.fullmatch(r"(\d{1,2})", text) or re.fullmatch(r"(\d{1,2})/(\d{4})", text)
    if m and 1 <= int(m[1]) <= 12:
        return (int(m[2]) if m.lastindex == 2 else None), int(m[1])
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if m and 1 <= int(m[2]) <= 12:
        return int(m[1]), int(m[2])
    return None


def _chart(ctx: _Ctx, endpoint: str, body: dict, key: str, measures: dict[str, str], year: int | None,
           code: str | None, level: str) -> list[PortalPoint]:
    items = body.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        ctx.report("portal_shape", f"'data.{key}' không phải một danh sách.", sheet=endpoint, column=key)
        return []
    points = []
    for i, item in enumerate(items, 1):
        where = f"Mục {i} của data.{key}"
        if not _require(ctx, item, ("month",), where, endpoint, i, None):
            continue
        ym = _chart_month(item["month"])
        if ym is None:
            ctx.report("portal_month", f"{where}: tháng '{item['month']}' không hợp lệ.", sheet=endpoint, row=i,
                       column="month")
            continue
        y = ym[0] or year
        if y is None:
            continue  # the missing-period error is already there
        cells = _Cells(ctx, endpoint, i, where, item.get, None)
        for src, measure in measures.items():
            x = cells.score(src, None) if measure == "average_score" else cells.number(src)
            if x is not None:
                points.append(PortalPoint(code=code, name=None, level=level, period=month(y, ym[1]), measure=measure,
                                          value=x, sheet=endpoint, row=i))
    return points


_TREE_KEYS = {"departmentName", "departmentCode", "level", "score", "maxScore", "totalScore", "totalMaxScore",
              "departmentId"}


def _parse_tree(ctx: _Ctx, out: PortalFile, endpoint: str, body: dict, period: Period | None) -> None:
    group = ENDPOINT_GROUP.get(endpoint)
    if group is None:
        ctx.report("portal_unknown_group", f"Không biết '{endpoint}' thuộc nhóm chỉ số nào của Quyết định 766; "
                   "điểm được đọc nhưng không gắn với nhóm.", sheet=endpoint)
    count_map = TREE_COUNTS.get(endpoint, {})
    extra_counts = TREE_EXTRA_COUNTS.get(endpoint, ())
    rows: list[PortalRow] = []
    parent = body.get("parent")
    parent_code: str | None = None
    if parent is not None and _require(ctx, parent, ("departmentCode", "departmentName"), "data.parent",
                                       endpoint, None, period):
        row = _tree_row(ctx, endpoint, group, parent, None, "data.parent", "province", None, period,
                        count_map, extra_counts, ("totalScore", "totalMaxScore"))
        parent_code = row.code
        rows.append(row)
    children = body.get("children", [])
    if not isinstance(children, list):
        ctx.report("portal_missing_key", "'data.children' không phải một danh sách.", sheet=endpoint, column="children")
        children = []
    for i, item in enumerate(children, 1):
        where = f"Mục {i} của data.children"
        if not _require(ctx, item, ("departmentName", "departmentCode", "score"), where, endpoint, i, period):
            continue
        rows.append(_tree_row(ctx, endpoint, group, item, i, where, "department", parent_code, period,
                              count_map, extra_counts, ("score", "maxScore")))
    out.rows = _check_duplicates(ctx, rows, endpoint, "departmentCode")


def _tree_row(ctx: _Ctx, endpoint: str, group: str | None, item: dict, i: int | None, where: str, default: str,
              parent_code: str | None, period: Period | None, count_map: dict[str, str],
              extra_counts: tuple[str, ...], score_keys: tuple[str, str]) -> PortalRow:
    code = _text(item.get("departmentCode")) or None
    name = _text(item.get("departmentName"))
    cells = _Cells(ctx, endpoint, i, f"{where} ({name or code})", item.get, period)
    level = "province" if i is None else _json_level(ctx, cells, item.get("level"), code, name, default)
    key = group or "score"
    max_scores: dict[str, float] = {}
    mx = cells.number(score_keys[1])
    if mx is not None:
        if mx < 0 or mx > 100:
            ctx.report("portal_score_range", f"{cells.where}: điểm tối đa '{score_keys[1]}' = {_vn(mx)} nằm ngoài "
                       "khoảng 0–100.", **cells._loc(score_keys[1]))
        else:
            max_scores[key] = mx
    scores: dict[str, float] = {}
    x = cells.score(score_keys[0], group, max_scores.get(key))
    if x is not None:
        scores[key] = x
    counts: dict[str, int] = {}
    for src, dst in count_map.items():
        if src in item:
            n = cells.count(src)
            if n is not None:
                counts[dst] = n
    extra: dict[str, object] = {}
    for src in extra_counts:
        if src in item:
            n = cells.count(src)
            if n is not None:
                extra[src] = n
    if endpoint == "provide-online-tree" and "channelDirectSum" in extra and "received_postal" in counts:
        counts["received_direct_postal"] = int(extra["channelDirectSum"]) + counts["received_postal"]
    for k, v in item.items():
        if k not in _TREE_KEYS and k not in count_map and k not in extra_counts:
            extra[k] = v
    if item.get("departmentId") is not None:
        extra["departmentId"] = item["departmentId"]
    pcode = None if level == "province" else _parent(code) or parent_code
    return PortalRow(sheet=endpoint, row=i, column=None, code=code, name=name, level=level, parent_code=pcode,
                     period=period, scores=scores, max_scores=max_scores, rank=None, counts=counts, extra=extra)


# --- Excel ------------------------------------------------------------------------------------


def _sheet_words(title: str) -> set[str]:
    return set(fold(title).split())


def _sheet_level(title: str) -> str | None:
    words = _sheet_words(title)
    if words & {"so", "nganh"} or "co quan" in fold(title):
        return "department"
    if words & {"xa", "phuong"}:
        return "commune"
    return None


def _sheet_time(title: str) -> str | None:
    words = _sheet_words(title)
    if "thang" in words:
        return "month"
    if "quy" in words:
        return "quarter"
    if "nam" in words:
        return "year"
    return None


def _sheet_period(ctx: _Ctx, title: str, time: str | None, period: Period | None) -> Period | None:
    if period is None:
        ctx.no_period()
        return None
    y = period.start.year
    if time is None:
        return period
    if time == "year":
        return year_period(y)
    if time == "quarter":
        if period.kind == "quarter":
            return period
        if period.kind == "month":
            return quarter(y, (period.start.month - 1) // 3 + 1)
        ctx.report("portal_period_quarter", f"Sheet '{title}' ghi điểm theo quý nhưng kỳ đã chọn là {period.label}: "
                   f"hãy chạy lại với --period theo quý hoặc tháng (ví dụ --period {y}-Q4 hoặc {y}-10).", sheet=title)
        return None
    if period.kind == "month":
        return period
    ctx.report("portal_period_month", f"Sheet '{title}' ghi điểm theo tháng nhưng kỳ đã chọn là {period.label}: "
               f"hãy chạy lại với --period theo tháng (ví dụ --period {y}-10).", sheet=title)
    return None


def _parse_excel(ctx: _Ctx, data: bytes, period: Period | None, as_of: date | None) -> PortalFile:
    import openpyxl

    out = PortalFile(source=EXCEL_SOURCE, as_of=None)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        ctx.report("portal_not_excel", f"Không mở được tệp Excel ({type(exc).__name__}); tệp hỏng hoặc không phải .xlsx.")
        return out
    found = False
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(min_row=1, values_only=True)]
        header_at = next((i for i, r in enumerate(rows[:15]) if {"MA_COQUAN", "TONG_SCORE"} & _header_keys(tuple(r))),
                         None)
        if header_at is None:
            continue
        found = True
        cols: dict[str, int] = {}
        for j, v in enumerate(rows[header_at]):
            if isinstance(v, str) and v.strip():
                cols.setdefault(v.strip().upper(), j)
        body = [(header_at + 2 + k, r) for k, r in enumerate(rows[header_at + 1:])
                if any(v is not None and str(v).strip() for v in r)]
        if "xu huong" in fold(ws.title):
            out.points += _excel_trend(ctx, ws.title, cols, body, period)
        else:
            out.rows += _excel_scores(ctx, ws.title, cols, body, period)
    if not found:
        ctx.report("portal_no_table", "Không thấy bảng điểm Quyết định 766 trong tệp: không sheet nào có dòng tiêu đề "
                   "với cột MA_COQUAN hoặc TONG_SCORE.")
    out.as_of = _resolve_as_of(ctx, None, as_of)
    return out


def _excel_level(ctx: _Ctx, cells: _Cells, sheet_level: str | None, code: str | None, name: str,
                 loai: str, cap: str) -> str:
    by_loai = _LOAI_LEVEL.get(loai)
    if sheet_level is not None:
        if by_loai is not None and by_loai != sheet_level:
            ctx.report("portal_level", f"{cells.where}: LOAI_COQUAN = {loai} ({_LEVEL_VI[by_loai]}) khác với sheet "
                       f"'{cells.sheet}' ({_LEVEL_VI[sheet_level]}); theo tên sheet.", **cells._loc("LOAI_COQUAN"))
        return sheet_level
    if not (code and "." in code):
        return "province" if code else (by_loai or "province")
    if by_loai in ("department", "commune"):
        return by_loai
    return _CAP_LEVEL.get(cap) or _level_from_name(name)


def _getter(cols: dict[str, int], r: list):  # noqa: ANN202
    return lambda key: r[cols[key]] if key in cols and cols[key] < len(r) else None


def _excel_scores(ctx: _Ctx, title: str, cols: dict[str, int], body: list[tuple[int, list]],
                  period: Period | None) -> list[PortalRow]:
    missing = [c for c in ("TONG_SCORE",) if c not in cols]
    if "TEN_COQUAN" not in cols and "TEN" not in cols:
        missing.append("TEN_COQUAN")
    if missing:
        for c in missing:
            ctx.report("portal_missing_column", f"Sheet '{title}' thiếu cột '{c}'.", sheet=title, column=c)
        return []
    if not body:
        return []
    if "MA_COQUAN" not in cols:
        ctx.report("portal_no_code_column", f"Sheet '{title}' không có cột 'MA_COQUAN': đơn vị chỉ nhận ra theo tên.",
                   sheet=title, column="MA_COQUAN")
    p = _sheet_period(ctx, title, _sheet_time(title), period)
    sheet_level = _sheet_level(title)
    out: list[PortalRow] = []
    for rno, r in body:
        get = _getter(cols, r)
        code = _text(get("MA_COQUAN")) or None
        name = _text(get("TEN_COQUAN")) or _text(get("TEN"))
        cells = _Cells(ctx, title, rno, f"Dòng {rno} ({name or code})", get, p)
        if not name:
            ctx.report("portal_missing_key", f"Dòng {rno}: ô tên đơn vị (TEN_COQUAN) trống; dòng này bị bỏ qua.",
                       **cells._loc("TEN_COQUAN"))
            continue
        if code is None and "MA_COQUAN" in cols:
            ctx.report("portal_blank_code", f"{cells.where}: ô MA_COQUAN trống.", **cells._loc("MA_COQUAN"))
        loai, cap = _text(get("LOAI_COQUAN")), _text(get("CAPDONVIID"))
        level = _excel_level(ctx, cells, sheet_level, code, name, loai, cap)
        scores: dict[str, float] = {}
        total = cells.score("TONG_SCORE", None)
        if total is not None:
            scores["total"] = total
        elif get("TONG_SCORE") is None or not str(get("TONG_SCORE")).strip():
            ctx.report("portal_blank_score", f"{cells.where}: ô TONG_SCORE trống (đơn vị chưa được chấm điểm?).",
                       **cells._loc("TONG_SCORE"))
        for g in GROUP_KEYS:
            x = cells.score(g, g)
            if x is not None:
                scores[g] = x
        _check_total(ctx, cells, scores, "TONG_SCORE")
        rank = None
        stt = cells.number("ROW_STT")
        if stt is not None:
            if stt.is_integer() and stt >= 1:
                rank = int(stt)
            else:
                ctx.report("portal_rank", f"{cells.where}: thứ hạng ROW_STT = {_vn(stt)} không phải số nguyên dương.",
                           **cells._loc("ROW_STT"))
        extra: dict[str, object] = {}
        for k in ("ID", "ID_COQUAN", "LOAI_COQUAN", "CAPDONVIID"):
            if _text(get(k)):
                extra[k] = _text(get(k))
        if _text(get("TEN")) and _text(get("TEN")) != name:
            extra["TEN"] = _text(get("TEN"))
        if (prov := _province_suffix(name)) is not None:
            extra["province_name"] = prov
        known = {"ID", "TEN", "TEN_COQUAN", "MA_COQUAN", "LOAI_COQUAN", "CAPDONVIID", "ID_COQUAN", "TONG_SCORE",
                 "ROW_STT", *GROUP_KEYS}
        for k in cols:
            if k not in known and get(k) is not None and str(get(k)).strip():
                extra[k] = get(k)
        out.append(PortalRow(sheet=title, row=rno, column=None, code=code, name=name, level=level,
                             parent_code=_parent(code) if level != "province" else None, period=p, scores=scores,
                             max_scores={}, rank=rank, counts={}, extra=extra))
    return _check_duplicates(ctx, out, title, "MA_COQUAN")


_ROMAN_Q = {"I": 1, "II": 2, "III": 3, "IV": 4}


def _excel_trend(ctx: _Ctx, title: str, cols: dict[str, int], body: list[tuple[int, list]],
                 period: Period | None) -> list[PortalPoint]:
    time = "month" if "THANG" in cols else "quarter" if "QUY" in cols else _sheet_time(title) or "month"
    tcol = {"month": "THANG", "quarter": "QUY", "year": "NAM"}[time]
    need = [tcol] if tcol not in cols else []
    measures = [c for c in ("TONG_SCORE", *GROUP_KEYS) if c in cols]
    if not measures:
        need.append("TONG_SCORE")
    if "TEN_COQUAN" not in cols and "TEN" not in cols and "MA_COQUAN" not in cols:
        need.append("MA_COQUAN")
    for c in need:
        ctx.report("portal_missing_column", f"Sheet '{title}' (xu hướng) thiếu cột '{c}'.", sheet=title, column=c)
    if need or not body:
        return []
    points: list[PortalPoint] = []
    seen: dict[tuple, int] = {}
    for rno, r in body:
        get = _getter(cols, r)
        code = _text(get("MA_COQUAN")) or None
        name = _text(get("TEN_COQUAN")) or _text(get("TEN")) or None
        cells = _Cells(ctx, title, rno, f"Dòng {rno} ({name or code})", get, None)
        y_raw = cells.number("NAM") if "NAM" in cols else None
        if y_raw is None:
            if period is None:
                ctx.no_period()
                continue
            y = period.start.year
        else:
            y = int(y_raw)
        raw = _text(get(tcol)).upper()
        try:
            n = _ROMAN_Q[raw] if time == "quarter" and raw in _ROMAN_Q else int(float(raw))
            limit = {"month": 12, "quarter": 4, "year": 9999}[time]
            if not 1 <= n <= limit:
                raise ValueError(raw)
        except ValueError:
            what = {"month": "tháng (1-12)", "quarter": "quý (1-4)", "year": "năm"}[time]
            ctx.report("portal_trend_time", f"{cells.where}: '{tcol}' = '{get(tcol)}' không phải {what}.",
                       **cells._loc(tcol))
            continue
        p = month(y, n) if time == "month" else quarter(y, n) if time == "quarter" else year_period(n)
        key = (code or fold(name or ""), p.start, p.end)
        if key in seen:
            ctx.report("portal_duplicate", f"Đơn vị '{code or name}' có hai dòng cho {p.label}: dòng {seen[key]} và "
                       f"dòng {rno}; chỉ một dòng được phép.", sheet=title, row=rno, column="MA_COQUAN")
            continue
        seen[key] = rno
        level = "province" if code and "." not in code else _excel_level(
            ctx, cells, None, code, name or "", _text(get("LOAI_COQUAN")), _text(get("CAPDONVIID")))
        for c in measures:
            x = cells.score(c, c if c in GROUP_MAX else None)
            if x is not None:
                points.append(PortalPoint(code=code, name=name, level=level, period=p,
                                          measure="total" if c == "TONG_SCORE" else c, value=x, sheet=title, row=rno))
    return points

"""Builders for Cổng DVCQG (Decision 766) files used by the tests: reporting-API answers, capture
envelopes and the old API's Excel dump. All figures are invented (seeded random numbers); unit
names are real: the 34 provinces of the 2025 scheme as the portal writes them, departments of
Quảng Trị, and real 2025 communes of Quảng Trị and An Giang (from the project's unit registry).
The portal codes ("H25", "H25.129") are our own invented assignment.

Builders take ``overrides``: {1-based row: {key: value}} to inject faults (``DROP`` removes the
key), so a test can write a bad number, drop a required key or repeat a code.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import uuid
from copy import deepcopy

import openpyxl

from etl.portal766 import GROUP_KEYS, GROUP_MAX

DROP = object()  # an override value that removes the key

# (portal code, name as the portal writes it): invented codes, in Vietnamese alphabetical order
PROVINCES: list[tuple[str, str]] = [(f"H{i:02d}", n) for i, n in enumerate([
    "UBND tỉnh An Giang", "UBND tỉnh Bắc Ninh", "UBND tỉnh Cà Mau", "UBND tỉnh Cao Bằng",
    "UBND Thành phố Cần Thơ", "UBND Thành phố Đà Nẵng", "UBND tỉnh Đắk Lắk", "UBND tỉnh Điện Biên",
    "UBND tỉnh Đồng Nai", "UBND tỉnh Đồng Tháp", "UBND tỉnh Gia Lai", "UBND Thành phố Hà Nội",
    "UBND tỉnh Hà Tĩnh", "UBND Thành phố Hải Phòng", "UBND Thành phố Hồ Chí Minh", "UBND Thành phố Huế",
    "UBND tỉnh Hưng Yên", "UBND tỉnh Khánh Hòa", "UBND tỉnh Lai Châu", "UBND tỉnh Lạng Sơn",
    "UBND tỉnh Lào Cai", "UBND tỉnh Lâm Đồng", "UBND tỉnh Nghệ An", "UBND tỉnh Ninh Bình",
    "UBND tỉnh Phú Thọ", "UBND tỉnh Quảng Ngãi", "UBND tỉnh Quảng Ninh", "UBND tỉnh Quảng Trị",
    "UBND tỉnh Sơn La", "UBND tỉnh Tây Ninh", "UBND tỉnh Thái Nguyên", "UBND tỉnh Thanh Hóa",
    "UBND tỉnh Tuyên Quang", "UBND tỉnh Vĩnh Long",
], 1)]
CODE = {re.sub(r"^UBND (tỉnh|Thành phố) ", "", n): c for c, n in PROVINCES}  # "Quảng Trị" -> "H28"
QT = CODE["Quảng Trị"]
AG = CODE["An Giang"]
PT = CODE["Phú Thọ"]

QT_DEPARTMENTS = [
    "Văn phòng Ủy ban nhân dân tỉnh - Tỉnh Quảng Trị", "Sở Nội vụ - Tỉnh Quảng Trị", "Sở Tư pháp - Tỉnh Quảng Trị",
    "Sở Tài chính - Tỉnh Quảng Trị", "Sở Công Thương - Tỉnh Quảng Trị",
    "Sở Nông nghiệp và Môi trường - Tỉnh Quảng Trị", "Sở Xây dựng - Tỉnh Quảng Trị",
    "Sở Khoa học và Công nghệ - Tỉnh Quảng Trị", "Sở Văn hóa, Thể thao và Du lịch - Tỉnh Quảng Trị",
    "Sở Giáo dục và Đào tạo - Tỉnh Quảng Trị", "Sở Y tế - Tỉnh Quảng Trị", "Sở Dân tộc và Tôn giáo - Tỉnh Quảng Trị",
    "Ban Quản lý Khu kinh tế tỉnh Quảng Trị",  # not in the registry under this name
    "Công an tỉnh - Tỉnh Quảng Trị", "Thanh tra tỉnh - Tỉnh Quảng Trị",
]
# real 2025 communes of Quảng Trị (unit registry, scheme 2025)
QT_COMMUNES = [
    "UBND phường Đồng Hới", "UBND phường Đồng Thuận", "UBND phường Đồng Sơn", "UBND xã Minh Hóa", "UBND xã Dân Hóa",
    "UBND xã Tân Thành", "UBND xã Kim Điền", "UBND xã Tuyên Sơn", "UBND xã Tuyên Hóa", "UBND phường Ba Đồn",
    "UBND xã Phú Trạch", "UBND xã Quảng Trạch", "UBND phường Bắc Gianh", "UBND xã Hoàn Lão", "UBND xã Phong Nha",
    "UBND xã Bố Trạch", "UBND xã Lệ Thủy", "UBND xã Sen Ngư", "UBND phường Đông Hà", "UBND phường Nam Đông Hà",
    "UBND phường Quảng Trị", "UBND xã Vĩnh Linh", "UBND xã Cửa Tùng", "UBND xã Khe Sanh", "UBND xã Lao Bảo",
    "UBND xã Gio Linh", "UBND xã Cửa Việt", "UBND xã Đakrông", "UBND xã Hải Lăng", "UBND đặc khu Cồn Cỏ",
]
QT_UNITS = ([(f"{QT}.{i:02d}", n, "PROVINCE") for i, n in enumerate(QT_DEPARTMENTS, 1)]
            + [(f"{QT}.{100 + i}", n, "COMMUNE") for i, n in enumerate(QT_COMMUNES, 1)])  # .101 ... .130
# real 2025 communes of An Giang, written as the old API does (capitals vary)
AG_COMMUNES = ["UBND xã Đông Thái - tỉnh An Giang", "UBND Xã Mỹ Hòa Hưng - Tỉnh An Giang",
               "UBND phường Long Xuyên - tỉnh An Giang", "UBND Phường Châu Đốc - tỉnh An Giang",
               "UBND xã Núi Cấm - tỉnh An Giang", "UBND xã Tri Tôn - Tỉnh An Giang", "UBND đặc khu Phú Quốc - tỉnh An Giang",
               "UBND xã Vĩnh Hòa Hưng - tỉnh An Giang"]
DEPT_SHORT = ["Sở Y tế", "Sở Tư pháp", "Sở Xây dựng", "Sở Tài chính", "Sở Nội vụ"]


def dept_id(code: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"portal766-test/{code}"))


def _groups(rng: random.Random) -> dict[str, float]:
    return {g: round(rng.uniform(0.55, 0.98) * GROUP_MAX[g], 2) for g in GROUP_KEYS}


def _apply(items: list[dict], overrides: dict[int, dict] | None) -> list[dict]:
    for i, changes in (overrides or {}).items():
        for k, v in changes.items():
            if v is DROP:
                items[i - 1].pop(k, None)
            else:
                items[i - 1][k] = v
    return items


def answer(data: dict, code: str = "OK", message: str = "OK") -> dict:
    return {"code": code, "data": data, "message": message}


def national_service_results(seed: int = 766, months_done: int = 8, overrides: dict[int, dict] | None = None) -> dict:
    """The national ``service-results`` answer: 34 provinces, charts with nulls for months to come."""
    rng = random.Random(seed)
    rows = []
    for code, name in PROVINCES:
        g = _groups(rng)
        total = round(sum(g.values()), 2)
        rows.append({"departmentId": dept_id(code), "departmentName": name, "departmentCode": code,
                     "departmentType": "ADMINISTRATIVE_UNIT", "totalScore": total, "ratio": round(total / 100, 4),
                     "scoreDelta": round(rng.uniform(-3, 3), 2), "groupScores": g})
    rows.sort(key=lambda r: -r["totalScore"])
    _apply(rows, overrides)
    monthly = [{"month": f"{m:02d}", "averageScore": round(rng.uniform(70, 90), 2) if m <= months_done else None}
               for m in range(1, 13)]
    dossier = []
    for m in range(1, 13):
        on = round(rng.uniform(90, 99), 2) if m <= months_done else None
        dossier.append({"month": f"{m:02d}", "onTimePct": on, "overduePct": None if on is None else round(100 - on, 2)})
    donuts = {"onlineDossier": {"ONLINE": 1_234_567, "OTHER": 2_345_678},
              "onlineProvision": {"FULL": 1_017, "PARTIAL": 843, "NONE": 412}}
    return answer({"evaluation": rows, "monthlyChart": monthly, "dossierChart": dossier, "donuts": donuts})


def province_service_results(seed: int = 44, overrides: dict[int, dict] | None = None, with_level: bool = True) -> dict:
    """``service-results`` with rootDepartmentId = Quảng Trị: its departments and communes."""
    rng = random.Random(seed)
    rows = []
    for code, name, level in QT_UNITS:
        g = _groups(rng)
        row = {"departmentId": dept_id(code), "departmentName": name, "departmentCode": code,
               "totalScore": round(sum(g.values()), 2), "ratio": None, "scoreDelta": round(rng.uniform(-5, 5), 2),
               "groupScores": g}
        if with_level:
            row["level"] = level
        rows.append(row)
    rows.sort(key=lambda r: r["departmentCode"])  # as text: .129 before .13
    _apply(rows, overrides)
    monthly = [{"month": f"{m:02d}", "averageScore": round(rng.uniform(60, 95), 2) if m <= 8 else None}
               for m in range(1, 13)]
    return answer({"evaluation": rows, "monthlyChart": monthly, "donuts": {
        "onlineDossier": {"ONLINE": 45_678, "OTHER": 67_890}, "onlineProvision": {"FULL": 512, "PARTIAL": 301, "NONE": 97}}})


def dvc_progress_tree(seed: int = 1, overrides: dict[int, dict] | None = None, parent: dict | None = None) -> dict:
    """``dvc-progress-tree`` of Quảng Trị (group TDGQ, max 20), children sorted by code as text."""
    rng = random.Random(seed)
    children = []
    for code, name, level in QT_UNITS:
        received = rng.randint(50, 9000)
        on_time = rng.randint(int(received * 0.8), received)
        overdue = rng.randint(0, received - on_time)
        ratio = round(on_time / received, 4)
        children.append({"departmentName": name, "departmentCode": code, "level": level, "totalReceived": received,
                         "totalOnTime": on_time, "totalOverdue": overdue, "ratio": ratio,
                         "score": round(20 * ratio, 2), "maxScore": 20})
    children.sort(key=lambda c: c["departmentCode"])
    total_r = sum(c["totalReceived"] for c in children)
    total_ok = sum(c["totalOnTime"] for c in children)
    _apply(children, overrides)  # faults after the totals: the parent stays as the portal computed it
    par = {"departmentCode": QT, "departmentName": "UBND tỉnh Quảng Trị", "totalReceived": total_r,
           "totalOnTime": total_ok, "totalCompleted": int(total_r * 0.93), "avgProcessingDays": 3.42,
           "ratio": round(total_ok / total_r, 4), "totalScore": round(20 * total_ok / total_r, 2), "totalMaxScore": 20}
    par.update(parent or {})
    return answer({"parent": par, "children": children})


def provide_online_tree(seed: int = 2, overrides: dict[int, dict] | None = None) -> dict:
    """``provide-online-tree`` of Quảng Trị (group CLGQ, max 12)."""
    rng = random.Random(seed)
    children = []
    for code, name, level in QT_UNITS:
        online, direct, postal = rng.randint(0, 5000), rng.randint(0, 4000), rng.randint(0, 300)
        late = rng.randint(0, online // 20)
        children.append({"departmentName": name, "departmentCode": code, "level": level,
                         "fullCount": rng.randint(0, 120), "partialCount": rng.randint(0, 80),
                         "channelOnlineSum": online, "channelDirectSum": direct, "channelPostalSum": postal,
                         "channelTotalSum": online + direct + postal, "onlineOnTimeSum": online - late,
                         "onlineOverdueSum": late, "score": round(rng.uniform(5, 12), 2), "maxScore": 12})
    children.sort(key=lambda c: c["departmentCode"])
    keys = ("fullCount", "partialCount", "channelOnlineSum", "channelDirectSum", "channelPostalSum", "channelTotalSum",
            "onlineOnTimeSum", "onlineOverdueSum")
    par = {"departmentCode": QT, "departmentName": "UBND tỉnh Quảng Trị",
           **{k: sum(c.get(k, 0) for c in children) for k in keys}, "totalScore": 9.87, "totalMaxScore": 12}
    _apply(children, overrides)
    return answer({"parent": par, "children": children})


def to_bytes(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def envelope(body: dict, endpoint: str, request: dict, fetched_at: str = "2026-12-01T10:15:00+07:00",
             base: str = "https://dichvucong.example") -> bytes:
    """A capture envelope as etl.fetch766 writes it."""
    raw = to_bytes(body)
    return to_bytes({"capture": {"url": f"{base}/api/v1/reporting/evaluation/{endpoint}", "method": "POST",
                                 "request": request, "fetched_at": fetched_at, "status": 200,
                                 "sha256": hashlib.sha256(raw).hexdigest()}, "body": body})


# --- the old API dumped to Excel ---------------------------------------------------------------

EXCEL_COLUMNS = ["ID", "TEN", "TEN_COQUAN", "MA_COQUAN", "LOAI_COQUAN", "CAPDONVIID", "ID_COQUAN", "TDGQ", "MDHL",
                 "MDSH", "TTTT", "CLGQ", "CKMB", "TONG_SCORE", "ROW_STT"]


def _txt(x: float) -> str:
    return f"{x:.2f}"  # the dump writes every number as text with a decimal point


def _score_rows(rng: random.Random, units: list[tuple[str, str, str, str]]) -> list[dict]:
    """units: (code, name, LOAI_COQUAN, CAPDONVIID) -> rows with text numbers, ranked by total."""
    rows = []
    for code, name, loai, cap in units:
        g = _groups(rng)
        rows.append({"ID": str(rng.randint(10_000, 99_999)), "TEN": None, "TEN_COQUAN": name, "MA_COQUAN": code,
                     "LOAI_COQUAN": loai, "CAPDONVIID": cap, "ID_COQUAN": dept_id(code),
                     **{k: _txt(v) for k, v in g.items()}, "TONG_SCORE": _txt(sum(round(v, 2) for v in g.values()))})
    rows.sort(key=lambda r: -float(r["TONG_SCORE"]))
    for i, r in enumerate(rows, 1):
        r["ROW_STT"] = str(i)
    return rows


def excel_tables(seed: int = 2025, overrides: dict[str, dict[int, dict]] | None = None) -> dict[str, list[dict]]:
    """The sheets of a ``report_tinh_766_service`` dump as lists of dicts (keys = column names).
    ``overrides``: {sheet: {1-based data row: {column: value}}}."""
    rng = random.Random(seed)
    provinces = [(c, n, "1", "1") for c, n in PROVINCES]
    departments = [(f"{PT}.{i:02d}", f"{d} - Tỉnh Phú Thọ", "2", "1") for i, d in enumerate(DEPT_SHORT, 1)] + [
        (f"{AG}.{i:02d}", f"{d} - tỉnh An Giang", "2", "1") for i, d in enumerate(DEPT_SHORT, 1)]
    communes = [(f"{AG}.{100 + i}", n, "3", "3") for i, n in enumerate(AG_COMMUNES, 1)]
    tables = {"Điểm năm": _score_rows(rng, provinces), "Điểm tháng": _score_rows(rng, provinces),
              "Sở Ban": _score_rows(rng, departments), "Xã Phường": _score_rows(rng, communes)}
    trend = []
    for code, name in PROVINCES[:3]:
        for m in range(1, 11):
            trend.append({"MA_COQUAN": code, "TEN_COQUAN": name, "NAM": "2025", "THANG": str(m),
                          "TONG_SCORE": _txt(rng.uniform(60, 95)), "TDGQ": _txt(rng.uniform(10, 20))})
    tables["Xu hướng tháng"] = trend
    for sheet, rows in (overrides or {}).items():
        _apply(tables[sheet], rows)
    return tables


def excel_dump(tables: dict[str, list[dict]] | None = None, title_rows: int = 1,
               columns: dict[str, list[str]] | None = None) -> bytes:
    """Write the tables to an XLSX: a title row above the header on each sheet (``title_rows``),
    then the header and the rows. ``columns`` may give a sheet its own column order / extra columns."""
    tables = excel_tables() if tables is None else tables
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet("Ghi chú")
    ws.append(["Dữ liệu minh họa: báo cáo Quyết định 766 (report_tinh_766_service)"])
    for sheet, rows in tables.items():
        ws = wb.create_sheet(sheet)
        for _ in range(title_rows):
            ws.append([f"KẾT QUẢ ĐÁNH GIÁ - {sheet.upper()}"])
        cols = (columns or {}).get(sheet) or (list(rows[0]) if rows and "xu" in sheet.lower() else EXCEL_COLUMNS)
        ws.append(cols)
        for r in rows:
            ws.append([r.get(c) for c in cols])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def copy(obj: dict) -> dict:
    return deepcopy(obj)

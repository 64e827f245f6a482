"""A polite client for the Decision 766 reporting API of the national public-service portal.

``fetch766`` POSTs ``<base>/api/v1/reporting/evaluation/<endpoint>``:

1. ``service-results`` for the country (``departmentType`` ADMINISTRATIVE_UNIT): one row per
   province with its ``departmentId``;
2. for each selected province, ``service-results``, ``dvc-progress-tree`` and
   ``provide-online-tree`` with ``rootDepartmentId`` = that ``departmentId``.

Each answer is saved as it came, in a *capture envelope* that ``etl.portal766.parse_portal``
reads (period from the request body, as-of date from ``fetched_at``)::

    {"capture": {"url", "method": "POST", "request": {...}, "fetched_at": ISO datetime,
                 "status": 200, "sha256": <hex SHA-256 of the raw body bytes>},
     "body": <the JSON answer exactly>}

File names: ``766_<period spec>_<province code or VN>_<endpoint>[_p<page>]_<YYYYmmddTHHMMSS>.json``.

Paging: every request carries ``currentPage`` (from 1) and ``pageSize``. **Each page is saved as
its own envelope** (so the SHA-256 stays that of the bytes received; the loader reads each
file). The next page is asked for while the page's list (``data.evaluation`` or
``data.children``) is full (``pageSize`` items) and, when the answer states a total
(``totalPages`` / ``totalElements`` / ``totalCount`` / ``totalItems`` / ``total``, in ``data`` or
``data.pagination``), fewer items than that total have been read; at most ``max_pages`` pages.

Politeness: at least ``min_interval`` seconds between the starts of two requests; connection
errors, timeouts, HTTP 429 and 5xx are retried up to ``retries`` times (so ``retries + 1``
attempts) after ``backoff * 2**attempt`` seconds, or after the ``Retry-After`` the server asks
for when longer (capped at ``max_retry_after``); other 4xx answers are not retried. A final
failure raises ``Fetch766Error`` with a Vietnamese message naming the URL.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import requests

API_PATH = "/api/v1/reporting/evaluation/"
PROVINCE_ENDPOINTS = ("service-results", "dvc-progress-tree", "provide-online-tree")
_TOTAL_KEYS = ("totalPages", "totalElements", "totalCount", "totalItems", "total")


class Fetch766Error(RuntimeError):
    """A request failed for good; the message (Vietnamese) names the URL."""


class _Client:
    def __init__(self, session, timeout: float, retries: int, backoff: float, min_interval: float,  # noqa: ANN001
                 max_retry_after: float, log: Callable[[str], object]) -> None:
        self.session = session or requests.Session()
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.min_interval, self.max_retry_after, self.log = min_interval, max_retry_after, log
        self._last: float | None = None

    def _wait_turn(self) -> None:
        if self._last is not None:
            delay = self._last + self.min_interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        self._last = time.monotonic()

    def _retry_after(self, resp) -> float | None:  # noqa: ANN001
        value = resp.headers.get("Retry-After") if resp is not None else None
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            seconds = (when - datetime.now(when.tzinfo)).total_seconds()
        return max(0.0, min(seconds, self.max_retry_after))

    def post(self, url: str, body: dict) -> tuple[bytes, object, int]:
        """The raw body bytes, the parsed answer and the HTTP status of a successful POST."""
        attempts = self.retries + 1
        for attempt in range(attempts):
            self._wait_turn()
            resp = None
            try:
                resp = self.session.post(url, json=body, timeout=self.timeout,
                                         headers={"Accept": "application/json"})
            except requests.Timeout:
                reason = f"hết thời gian chờ ({self.timeout:g} giây)"
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, OSError) as exc:
                reason = f"lỗi kết nối ({type(exc).__name__})"
            else:
                status = resp.status_code
                if status < 400:
                    raw = resp.content
                    try:
                        return raw, json.loads(raw.decode("utf-8-sig")), status
                    except (UnicodeDecodeError, ValueError):
                        raise Fetch766Error(f"Cổng trả về nội dung không phải JSON cho {url} (HTTP {status}).") from None
                if status != 429 and status < 500:
                    raise Fetch766Error(f"Cổng từ chối yêu cầu {url}: HTTP {status}"
                                        f"{' ' + resp.reason if getattr(resp, 'reason', '') else ''}; không thử lại.")
                reason = f"HTTP {status}"
            if attempt == attempts - 1:
                raise Fetch766Error(f"Không tải được {url} sau {attempts} lần thử: {reason}.")
            delay = self.backoff * 2**attempt
            asked = self._retry_after(resp)
            if asked is not None:
                delay = max(delay, asked)
            self.log(f"{url}: {reason}; thử lại sau {delay:g} giây (lần {attempt + 2}/{attempts}).")
            time.sleep(delay)
        raise AssertionError("unreachable")


def _period_fields(year: int, quarter: int | None, month: int | None) -> tuple[dict, str]:
    if month is not None:
        if not 1 <= month <= 12:
            raise ValueError(f"Tháng không hợp lệ: {month}")
        return {"timeType": "month", "year": year, "month": month}, f"{year}-{month:02d}"
    if quarter is not None:
        if not 1 <= quarter <= 4:
            raise ValueError(f"Quý không hợp lệ: {quarter}")
        return {"timeType": "quarter", "year": year, "quarter": quarter}, f"{year}-Q{quarter}"
    return {"timeType": "year", "year": year}, f"{year}"


def _items(answer: object) -> list:
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, dict):
        return []
    for key in ("evaluation", "children"):
        if isinstance(data.get(key), list):
            return data[key]
    return []


def _more_pages(answer: object, page: int, page_size: int, read: int) -> bool:
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, dict) or len(_items(answer)) < page_size:
        return False
    for holder in (data, data.get("pagination") if isinstance(data.get("pagination"), dict) else {}):
        for key in _TOTAL_KEYS:
            value = holder.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                return page < value if key == "totalPages" else read < value
    return True


def _select(provinces: Iterable[str] | Callable[[str, str], bool] | None, code: str, name: str) -> bool:
    if provinces is None:
        return True
    if callable(provinces):
        return bool(provinces(code, name))
    return code in provinces


def fetch766(
    base_url: str,
    year: int,
    quarter: int | None = None,
    month: int | None = None,
    provinces: Iterable[str] | Callable[[str, str], bool] | None = None,
    *,
    out_dir: str | Path,
    timeout: float = 20,
    retries: int = 3,
    backoff: float = 1.0,
    min_interval: float = 1.0,
    session: object | None = None,
    log: Callable[[str], object] = print,
    page_size: int = 200,
    max_pages: int = 50,
    max_retry_after: float = 120.0,
) -> list[Path]:
    """Fetch the national ranking and, for each selected province, its three answers; returns
    the envelope files written (in request order). ``provinces``: portal codes ("H44") or a
    predicate on (code, name); None = all. Raises ``Fetch766Error`` when a request fails for
    good, when the national answer is not ``code: OK``, or when a selected code is unknown."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    client = _Client(session, timeout, retries, backoff, min_interval, max_retry_after, log)
    fields, spec = _period_fields(year, quarter, month)
    base = base_url.rstrip("/") + API_PATH
    saved: list[Path] = []

    def fetch_all(endpoint: str, extra: dict, scope: str) -> list[object]:
        answers = []
        page, read = 1, 0
        while True:
            body = {**fields, **extra, "currentPage": page, "pageSize": page_size}
            url = base + endpoint
            raw, answer, status = client.post(url, body)
            saved.append(_save(out, spec, scope, endpoint, page, url, body, raw, answer, status))
            answers.append(answer)
            if not (isinstance(answer, dict) and str(answer.get("code")).upper() == "OK"):
                log(f"{url}: Cổng trả lỗi '{answer.get('code') if isinstance(answer, dict) else answer}' "
                    f"({answer.get('message') if isinstance(answer, dict) else ''}); đã lưu câu trả lời.")
                break
            read += len(_items(answer))
            if page >= max_pages or not _more_pages(answer, page, page_size, read):
                break
            page += 1
        return answers

    national = fetch_all("service-results", {"departmentType": "ADMINISTRATIVE_UNIT"}, "VN")
    if not (isinstance(national[0], dict) and str(national[0].get("code")).upper() == "OK"):
        msg = national[0].get("message") if isinstance(national[0], dict) else national[0]
        raise Fetch766Error(f"Cổng trả lỗi cho bảng điểm toàn quốc {base}service-results: {msg}.")
    rows = [r for a in national for r in _items(a) if isinstance(r, dict)]
    log(f"Toàn quốc: {len(rows)} tỉnh, thành phố ({spec}).")
    wanted = [r for r in rows if _select(provinces, str(r.get("departmentCode") or ""), str(r.get("departmentName") or ""))]
    if provinces is not None and not callable(provinces):
        unknown = set(provinces) - {str(r.get("departmentCode")) for r in rows}
        if unknown:
            raise Fetch766Error(f"Không thấy mã tỉnh {', '.join(sorted(unknown))} trong bảng điểm toàn quốc "
                                f"{base}service-results.")
    for r in wanted:
        code, root = str(r.get("departmentCode")), r.get("departmentId")
        if not root:
            log(f"{code} {r.get('departmentName')}: câu trả lời không có departmentId; bỏ qua.")
            continue
        for endpoint in PROVINCE_ENDPOINTS:
            fetch_all(endpoint, {"rootDepartmentId": root}, code)
        log(f"{code} {r.get('departmentName')}: đã tải {len(PROVINCE_ENDPOINTS)} bảng.")
    return saved


def _save(out: Path, spec: str, scope: str, endpoint: str, page: int, url: str, body: dict, raw: bytes,
          answer: object, status: int) -> Path:
    now = datetime.now().astimezone().replace(microsecond=0)
    envelope = {
        "capture": {"url": url, "method": "POST", "request": body, "fetched_at": now.isoformat(),
                    "status": status, "sha256": hashlib.sha256(raw).hexdigest()},
        "body": answer,
    }
    stem = f"766_{spec}_{scope}_{endpoint}{'' if page == 1 else f'_p{page}'}_{now:%Y%m%dT%H%M%S}"
    path = out / f"{stem}.json"
    n = 2
    while path.exists():
        path = out / f"{stem}_{n}.json"
        n += 1
    path.write_text(json.dumps(envelope, ensure_ascii=False, indent=1), encoding="utf-8")
    return path

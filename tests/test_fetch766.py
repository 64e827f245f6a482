"""fetch766 against a local HTTP server (a thread on 127.0.0.1) that replays the fixtures."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from data.periods import quarter
from etl.fetch766 import Fetch766Error, fetch766
from etl.portal766 import parse_portal
from tests import portal766_files as F

QT = F.QT


class Replay:
    """What the fake portal answers. ``script``: actions used first, one per request:
    (status, headers) for an error answer, ("hang", seconds) for no answer, or None for normal."""

    def __init__(self) -> None:
        self.answers = {
            ("service-results", None): F.national_service_results(),
            ("service-results", F.dept_id(QT)): F.province_service_results(),
            ("dvc-progress-tree", F.dept_id(QT)): F.dvc_progress_tree(),
            ("provide-online-tree", F.dept_id(QT)): F.provide_online_tree(),
        }
        self.script: list = []
        self.with_total = False
        self.log: list[tuple[float, str, dict, bytes]] = []  # (time, endpoint, request body, bytes sent)
        self.release = threading.Event()
        self.lock = threading.Lock()

    def respond(self, endpoint: str, body: dict) -> tuple[int, dict, bytes]:
        ans = self.answers.get((endpoint, body.get("rootDepartmentId")))
        if ans is None:
            return 404, {}, b'{"code":"NOT_FOUND","message":"Kh\\u00f4ng t\\u00ecm th\\u1ea5y"}'
        ans = F.copy(ans)
        if not isinstance(ans.get("data"), dict):
            return 200, {"Content-Type": "application/json"}, F.to_bytes(ans)
        key = "evaluation" if "evaluation" in ans["data"] else "children"
        items = ans["data"][key]
        page, size = int(body.get("currentPage", 1)), int(body.get("pageSize", 200))
        ans["data"][key] = items[(page - 1) * size: page * size]
        if self.with_total:
            ans["data"]["totalCount"] = len(items)
        return 200, {"Content-Type": "application/json"}, F.to_bytes(ans)


def _handler(replay: Replay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw)
            endpoint = self.path.rstrip("/").rsplit("/", 1)[-1]
            with replay.lock:
                action = replay.script.pop(0) if replay.script else None
            if action and action[0] == "hang":
                replay.log.append((time.monotonic(), endpoint, body, b""))
                replay.release.wait(action[1])
                return
            if action:
                status, headers, data = action[0], action[1], b'{"code":"ERROR","message":"busy"}'
            else:
                status, headers, data = replay.respond(endpoint, body)
            replay.log.append((time.monotonic(), endpoint, body, data if status == 200 else b""))
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(data)

    return Handler


@pytest.fixture()
def portal() -> Iterator[tuple[str, Replay]]:
    replay = Replay()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(replay))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", replay
    finally:
        replay.release.set()
        server.shutdown()
        server.server_close()


FAST = {"timeout": 5, "retries": 3, "backoff": 0.01, "min_interval": 0}


def _quiet(lines: list[str]):  # noqa: ANN202
    return lines.append


def test_fetch_saves_envelopes_with_sha256_and_parse_reads_them(portal, tmp_path: Path) -> None:  # noqa: ANN001
    base, replay = portal
    lines: list[str] = []
    paths = fetch766(base, 2026, quarter=3, provinces={QT}, out_dir=tmp_path, log=_quiet(lines), **FAST)
    assert [e for _, e, _, _ in replay.log] == ["service-results", "service-results", "dvc-progress-tree",
                                                "provide-online-tree"]
    national_req = replay.log[0][2]
    assert national_req == {"timeType": "quarter", "year": 2026, "quarter": 3, "departmentType": "ADMINISTRATIVE_UNIT",
                            "currentPage": 1, "pageSize": 200}
    assert all(b["rootDepartmentId"] == F.dept_id(QT) for _, _, b, _ in replay.log[1:])
    assert len(paths) == 4
    assert re.fullmatch(r"766_2026-Q3_VN_service-results_\d{8}T\d{6}\.json", paths[0].name)
    assert re.fullmatch(rf"766_2026-Q3_{QT}_dvc-progress-tree_\d{{8}}T\d{{6}}\.json", paths[2].name)
    for path, (_, endpoint, req, sent) in zip(paths, replay.log, strict=True):
        env = json.loads(path.read_text(encoding="utf-8"))
        cap = env["capture"]
        assert cap["url"] == f"{base}/api/v1/reporting/evaluation/{endpoint}"
        assert cap["method"] == "POST" and cap["status"] == 200 and cap["request"] == req
        assert cap["sha256"] == hashlib.sha256(sent).hexdigest()
        assert env["body"] == json.loads(sent)
        pf = parse_portal(path.name, path.read_bytes())
        assert [f for f in pf.findings if f.severity == "error"] == []
        assert pf.as_of == date.today() and {r.period for r in pf.rows} == {quarter(2026, 3)}
    tree = parse_portal(paths[2].name, paths[2].read_bytes())
    assert tree.source == "api:dvc-progress-tree" and len(tree.rows) == 46
    assert any("34 tỉnh" in line for line in lines)


def test_select_provinces_by_predicate_and_month_request(portal, tmp_path: Path) -> None:  # noqa: ANN001
    base, replay = portal
    paths = fetch766(base, 2026, month=8, provinces=lambda code, name: name.endswith("Quảng Trị"),
                     out_dir=tmp_path, log=_quiet([]), **FAST)
    assert len(paths) == 4 and replay.log[0][2]["timeType"] == "month" and replay.log[0][2]["month"] == 8
    assert "766_2026-08_" in paths[1].name


def test_unknown_province_code_is_an_error(portal, tmp_path: Path) -> None:  # noqa: ANN001
    base, _ = portal
    with pytest.raises(Fetch766Error, match="H99"):
        fetch766(base, 2026, provinces={"H99"}, out_dir=tmp_path, log=_quiet([]), **FAST)


def test_pages_through_children(portal, tmp_path: Path) -> None:  # noqa: ANN001
    base, replay = portal
    paths = fetch766(base, 2026, quarter=3, provinces={QT}, out_dir=tmp_path, log=_quiet([]), **{**FAST},
                     page_size=10)
    pages = [(e, b["currentPage"]) for _, e, b, _ in replay.log]
    assert pages[:4] == [("service-results", p) for p in (1, 2, 3, 4)]  # 34 provinces: 10+10+10+4
    assert [p for e, p in pages if e == "dvc-progress-tree"] == [1, 2, 3, 4, 5]  # 45 children
    assert len(paths) == len(replay.log) == 19
    tree_files = [p for p in paths if "_dvc-progress-tree_" in p.name]
    assert "_p2_" in tree_files[1].name
    codes = [r.code for p in tree_files for r in parse_portal(p.name, p.read_bytes()).rows if r.level != "province"]
    assert sorted(codes) == sorted(c for c, _, _ in F.QT_UNITS)  # every child read once


def test_paging_stops_at_stated_total(portal, tmp_path: Path) -> None:  # noqa: ANN001
    base, replay = portal
    replay.with_total = True
    fetch766(base, 2026, provinces={QT}, out_dir=tmp_path, log=_quiet([]), **FAST, page_size=15)
    assert [b["currentPage"] for _, e, b, _ in replay.log if e == "dvc-progress-tree"] == [1, 2, 3]
    replay.with_total, replay.log[:] = False, []
    fetch766(base, 2026, provinces={QT}, out_dir=tmp_path / "b", log=_quiet([]), **FAST, page_size=15)
    # without a total a full last page needs one more (empty) page to know it was the last
    assert [b["currentPage"] for _, e, b, _ in replay.log if e == "dvc-progress-tree"] == [1, 2, 3, 4]


def test_retries_503_then_succeeds(portal, tmp_path: Path) -> None:  # noqa: ANN001
    base, replay = portal
    replay.script = [(503, {}), (502, {})]
    lines: list[str] = []
    paths = fetch766(base, 2026, provinces={QT}, out_dir=tmp_path, log=_quiet(lines), **{**FAST, "backoff": 0.1})
    assert len(replay.log) == 6 and len(paths) == 4
    t = [x for x, *_ in replay.log]
    assert t[1] - t[0] >= 0.09 and t[2] - t[1] >= 0.19  # exponential: 0.1 s, then 0.2 s
    assert sum("thử lại" in line for line in lines) == 2 and "HTTP 503" in lines[0]
    env = json.loads(paths[0].read_text(encoding="utf-8"))
    assert env["capture"]["sha256"] == hashlib.sha256(replay.log[2][3]).hexdigest()


def test_honours_retry_after(portal, tmp_path: Path) -> None:  # noqa: ANN001
    base, replay = portal
    replay.script = [(429, {"Retry-After": "1"})]
    fetch766(base, 2026, provinces=set(), out_dir=tmp_path, log=_quiet([]), **FAST)
    (t0, *_), (t1, *_) = replay.log
    assert t1 - t0 >= 0.95  # backoff alone would be 0.01 s


def test_gives_up_with_vietnamese_message_naming_the_url(portal, tmp_path: Path) -> None:  # noqa: ANN001
    base, replay = portal
    replay.script = [(503, {})] * 3
    with pytest.raises(Fetch766Error) as err:
        fetch766(base, 2026, out_dir=tmp_path, log=_quiet([]), **{**FAST, "retries": 2})
    msg = str(err.value)
    assert f"{base}/api/v1/reporting/evaluation/service-results" in msg
    assert "Không tải được" in msg and "3 lần thử" in msg and "HTTP 503" in msg
    assert len(replay.log) == 3 and list(tmp_path.iterdir()) == []


def test_no_retry_on_other_4xx(portal, tmp_path: Path) -> None:  # noqa: ANN001
    base, replay = portal
    replay.script = [(403, {})]
    with pytest.raises(Fetch766Error, match="HTTP 403.*không thử lại"):
        fetch766(base, 2026, out_dir=tmp_path, log=_quiet([]), **FAST)
    assert len(replay.log) == 1


def test_times_out_a_server_that_never_answers(portal, tmp_path: Path) -> None:  # noqa: ANN001
    base, replay = portal
    replay.script = [("hang", 5), ("hang", 5)]
    t0 = time.monotonic()
    with pytest.raises(Fetch766Error, match="hết thời gian chờ") as err:
        fetch766(base, 2026, out_dir=tmp_path, log=_quiet([]), **{**FAST, "timeout": 0.3, "retries": 1})
    assert time.monotonic() - t0 < 2.5
    assert "service-results" in str(err.value) and "2 lần thử" in str(err.value)


def test_respects_min_interval(portal, tmp_path: Path) -> None:  # noqa: ANN001
    base, replay = portal
    fetch766(base, 2026, provinces={QT}, out_dir=tmp_path, log=_quiet([]), **{**FAST, "min_interval": 0.25})
    times = [t for t, *_ in replay.log]
    assert len(times) == 4
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.24


def test_national_error_answer_stops_with_its_message(portal, tmp_path: Path) -> None:  # noqa: ANN001
    base, replay = portal
    replay.answers[("service-results", None)] = F.answer(None, code="MAINTENANCE", message="Hệ thống đang bảo trì")
    with pytest.raises(Fetch766Error, match="Hệ thống đang bảo trì"):
        fetch766(base, 2026, out_dir=tmp_path, log=_quiet([]), **FAST)


def test_connection_refused_is_retried_then_reported(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    lines: list[str] = []
    with pytest.raises(Fetch766Error, match="lỗi kết nối") as err:
        fetch766(f"http://127.0.0.1:{port}", 2026, out_dir=tmp_path, log=_quiet(lines), **{**FAST, "retries": 1})
    assert f"127.0.0.1:{port}/api/v1/reporting/evaluation/service-results" in str(err.value)
    assert len(lines) == 1 and "thử lại" in lines[0]

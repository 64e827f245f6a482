"""Benchmarks of the analytics store (issue 8), not tests: what a user meets on national data.

    .venv/bin/python scripts/bench_store.py views --db URL [--views 40] [--seed 1] [--server "CMD"] [--pages P,..]
        start the server (default: the README's run command's gunicorn), time until it listens and
        until the home page draws its first chart, then open views nobody has opened (seeded random
        pages x schemes x units x levels x month/quarter/year) once each in headless Chromium:
        page-render callback (server time) and first chart; next to it the database's own GROUP BY
        of the Biểu 06 counts over each view's subtree and period by child unit.
    .venv/bin/python scripts/bench_store.py users --db URL [--users 50] [--seconds 120] [--server "CMD"]
        simulated users (0,5-2 s think time) posting the page-render callback of random views
        over loopback; latencies, errors, and each worker's memory.
    .venv/bin/python scripts/bench_store.py etl [--db URL] [--rows 200000]
        etl demo --provinces all (aggregates included) and the load of a template file of
        ``--rows`` rows into that national database, with peak memory.

Every page is behind the login since issue 10: the benchmark adds an admin ``do_hieu_nang`` to
the database it measures (upgrading it first) and signs in as it, in Chromium and for the
simulated users (their requests carry that session's cookie).

``--server`` runs another command (e.g. "python app.py" for the development server), in ``--cwd``
when given (an older checkout, for a side-by-side); PORT and TTHC_DB_URL are set for it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["/", "/buu-chinh-cong-ich", "/dich-vu-cong-truc-tuyen", "/tien-do-giai-quyet", "/xep-hang", "/so-nganh"]
CHROMIUM = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER_DIR = ROOT  # --cwd: where the server command runs (an older checkout, for a side-by-side)


ACCESS_LOG = Path(tempfile.gettempdir()) / "tthc-bench-access.log"


BENCH_USER, BENCH_PASSWORD = "do_hieu_nang", "mat-khau-do-hieu-nang"


def bench_user(db: str) -> None:
    """An admin the benchmark signs in as (every page is behind the login since issue 10)."""
    from data import auth
    from data.db import get_engine, upgrade

    engine = get_engine(db)
    upgrade(engine)  # a database of an older version gets its users table first
    try:
        if auth.get_user(engine, BENCH_USER) is None:
            auth.add_user(engine, BENCH_USER, "admin", BENCH_PASSWORD, by="bench_store.py")
    except Exception:  # noqa: BLE001  an older checkout's database (--cwd) has no users table
        pass


def sign_in(page, base: str) -> None:  # noqa: ANN001
    """Sign in through the login page (a server from before issue 10 has none: nothing to do)."""
    page.goto(base + "/dang-nhap")
    if page.locator("#login-form").count() == 0:
        return
    page.fill("#name", BENCH_USER)
    page.fill("#password", BENCH_PASSWORD)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")


def start_server(db: str, command: str | None, port: int) -> tuple[subprocess.Popen, float, float]:
    """(process, seconds from start until it listens, the moment it listens). The default server
    writes its access log (with each request's own time) to ACCESS_LOG."""
    cmd = shlex.split(command) if command else [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py",
                                                 "app:server"]
    ACCESS_LOG.unlink(missing_ok=True)
    env = {**os.environ, "TTHC_DB_URL": db, "PORT": str(port), "HOST": "127.0.0.1", "TTHC_ACCESS_LOG": str(ACCESS_LOG),
           "TTHC_CACHE_DIR": tempfile.mkdtemp(prefix="tthc-bench-pages-")}  # an empty page cache: first visits
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=SERVER_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, time.perf_counter() - t0, time.perf_counter()
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("the server did not start") from None
            time.sleep(0.05)


SCORE_PAGE = "/chi-so-766"


def _score_view(rng: random.Random, units) -> tuple[dict, dict]:  # noqa: ANN001
    """A Chỉ số 766 view: a 2025 province (or the country) and a month, quarter or year with scores."""
    u = units[(units["scheme"] == "2025") & (units["level"] == "province")]
    row = None if rng.random() < 0.2 else u.sample(1, random_state=rng.randrange(10**6))
    kind = rng.choice(["month", "month", "quarter", "year"])
    if kind == "month":
        y, m = rng.choice([(2025, m) for m in range(7, 13)] + [(2026, m) for m in range(1, 11)])
        period = f"{y}-{m:02d}"
    elif kind == "quarter":
        period = rng.choice(["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"])
    else:
        period = "2025"
    params = {"scheme": "2025", "period": period, "group": rng.choice(["total", "TDGQ", "MDSH", "CKMB"])}
    if row is not None:
        params["unit"] = str(row["code"].iloc[0])
    desc = {"path": SCORE_PAGE, **params, "where": "country" if row is None else "province",
            "unit_id": int(row["id"].iloc[0]) if row is not None else None, "unit_level": "province", "kind": kind}
    return params, desc


def sample_views(n: int, seed: int, db: str, pages: list[str] | None = None) -> list[tuple[str, str, dict]]:
    """(path, query string, description) for ``n`` seeded random views of ``pages``."""
    from data import queries
    from data.db import get_engine

    rng = random.Random(seed)
    units = queries.units_frame(get_engine(db))
    out = []
    for _ in range(n):
        path = rng.choice(pages or PAGES)
        if path == SCORE_PAGE:
            params, desc = _score_view(rng, units)
            out.append((path, "&".join(f"{k}={v}" for k, v in params.items()), desc))
            continue
        scheme = rng.choice(["2025", "legacy", "legacy", "today"])
        unit_scheme = "legacy" if scheme == "legacy" else "2025"
        u = units[units["scheme"] == unit_scheme]
        where = rng.choice(["country", "province", "province", "district", "commune"])
        if path == "/so-nganh":
            where = "province"
        if where == "district" and unit_scheme != "legacy":
            where = "province"
        if where == "commune" and scheme == "today":
            where = "province"
        row = None if where == "country" else u[u["level"] == where].sample(1, random_state=rng.randrange(10**6))
        level = rng.choice(["commune", "district", "department"] if unit_scheme == "legacy" else ["commune",
                                                                                                 "department"])
        kind = rng.choice(["month", "quarter", "year"])
        year = rng.randint(2020, 2024) if scheme in ("legacy", "today") else rng.choice([2025, 2026])
        if kind == "year" and scheme == "2025":
            kind = "quarter"
        if kind == "month":
            m = rng.randint(7, 10) if scheme == "2025" else rng.randint(1, 12)
            period = f"{year}-{m:02d}"
        elif kind == "quarter":
            q = rng.choice([3, 4] if year == 2025 else [1, 2, 3]) if scheme == "2025" else rng.randint(1, 4)
            period = f"{year}-Q{q}"
        else:
            period = str(year)
        params = {"scheme": scheme, "level": level, "period": period, "metric": rng.choice(
            ["overdue_rate", "online_intake_share", "postal_intake_share", "index766_timeliness"])}
        if row is not None:
            params["unit"] = str(row["code"].iloc[0])
        desc = {"path": path, **params, "where": where, "unit_id": int(row["id"].iloc[0]) if row is not None else None,
                "unit_level": where, "kind": kind}
        out.append((path, "&".join(f"{k}={v}" for k, v in params.items()), desc))
    return out


# --- the database doing the same work by itself ------------------------------------------------


def raw_scores(db: str, desc: dict) -> float:
    """Seconds the database takes to pick, straight from score_stat, each unit's latest active
    capture of the view's period in its province (or the provinces, for the country)."""
    from sqlalchemy import text

    from data import periods as P
    from data.db import get_engine

    per = P.parse_spec(desc["period"])
    where = "u.parent_id = :p OR u.id = :p OR (s.agency_id IS NOT NULL AND s.unit_id = :p)" \
        if desc["unit_id"] else "u.level = 'province' AND s.agency_id IS NULL"
    q = text(f"""SELECT s.unit_id, s.agency_id, MAX(s.as_of), MAX(s.total), MAX(s.ckmb), MAX(s.tdgq), MAX(s.mdsh)
                FROM score_stat s JOIN load_batch b ON b.id = s.batch_id JOIN period p ON p.id = s.period_id
                JOIN unit u ON u.id = s.unit_id
                WHERE b.status = 'active' AND p.start_date = :s AND p.end_date = :e AND ({where})
                GROUP BY s.unit_id, s.agency_id""")
    with get_engine(db).connect() as conn:
        t = time.perf_counter()
        conn.execute(q, {"s": per.start, "e": per.end, "p": desc["unit_id"]}).all()
        return time.perf_counter() - t


def raw_group_by(db: str, desc: dict) -> float:
    """Seconds the database takes to SUM the Biểu 06 counts of the view's subtree and period by child
    unit, straight from the figure table (a temporary table maps each unit to its child unit)."""
    import pandas as pd
    from sqlalchemy import text

    from data import periods as P
    from data import queries
    from data.db import get_engine
    from data.schema import DOSSIER_COUNTS

    engine = get_engine(db)
    units = queries.units_frame(engine)
    scheme = "legacy" if desc["scheme"] in ("legacy", "today") else "2025"
    per = P.parse_spec(desc["period"])
    u = units[units["scheme"] == scheme]
    uid = desc["unit_id"]
    if desc["scheme"] == "today" and uid is not None:  # today's province: its old provinces
        olds = queries.old_provinces(engine, uid)
        mapping = u[u["province_id"].isin(olds)]
        child = mapping["province_id"]
    elif uid is None:
        mapping, child = u, u["province_id"]
    else:
        level = units.at[uid, "level"]
        col = {"province": "province_id", "district": "district_id", "commune": "id"}[level]
        mapping = u[u[col] == uid]
        child = mapping["district_id"] if level == "province" and scheme == "legacy" else mapping["id"]
    pairs = [(int(a), int(a) if pd.isna(b) else int(b)) for a, b in zip(mapping["id"], child, strict=True)]
    sums = ", ".join(f"SUM(d.{c})" for c in DOSSIER_COUNTS)
    with engine.connect() as conn:
        conn.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS bench_map (unit_id INTEGER PRIMARY KEY, child INTEGER)"))
        conn.execute(text("DELETE FROM bench_map"))
        conn.execute(text("INSERT INTO bench_map VALUES (:a, :b)"), [{"a": a, "b": b} for a, b in pairs])
        q = text(f"SELECT m.child, {sums} FROM dossier_stat d JOIN bench_map m ON m.unit_id = d.unit_id "
                 "JOIN period p ON p.id = d.period_id WHERE p.kind = 'month' AND p.start_date >= :s "
                 "AND p.end_date <= :e GROUP BY m.child")
        conn.execute(q, {"s": per.start, "e": per.end}).all()  # the plan is prepared once, as for the app
        t = time.perf_counter()
        conn.execute(q, {"s": per.start, "e": per.end}).all()
        took = time.perf_counter() - t
        conn.rollback()
    return took


# --- views ------------------------------------------------------------------------------------


def _log_lines() -> int:
    return len(ACCESS_LOG.read_text().splitlines()) if ACCESS_LOG.exists() else 0


def _render_time(after: int) -> float:
    """The page-render callback's own time (ms) from the access log lines written after line
    ``after``: the largest answer to /_dash-update-component is the page."""
    if not ACCESS_LOG.exists():
        return float("nan")
    best = (0, float("nan"))
    for line in ACCESS_LOG.read_text().splitlines()[after:]:
        if "/_dash-update-component" not in line:
            continue
        parts = line.rsplit(" ", 2)
        size, seconds = int(parts[1]) if parts[1].isdigit() else 0, float(parts[2])
        best = max(best, (size, seconds * 1000))
    return best[1]


def cmd_views(args: argparse.Namespace) -> int:
    from playwright.sync_api import sync_playwright

    views = sample_views(args.views, args.seed, args.db, args.pages.split(",") if args.pages else None)
    port = free_port()
    bench_user(args.db)
    proc, to_listen, listening = start_server(args.db, args.server, port)
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM)
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            sign_in(page, base)
            page.goto(base + "/")
            page.wait_for_selector(".main-svg", timeout=300000)
            home_ready = time.perf_counter() - listening  # includes signing in
            server_ms: list[float] = []

            def on_response(resp) -> None:  # noqa: ANN001
                if "_dash-update-component" in resp.url and "_pages_content" in (resp.request.post_data or ""):
                    t = resp.request.timing
                    server_ms.append(t["responseStart"] - t["requestStart"])

            page.on("response", on_response)
            for path, query, desc in views:
                server_ms.clear()
                logged = _log_lines()
                t = time.perf_counter()
                page.goto(f"{base}{path}?{query}")
                page.wait_for_selector(".main-svg, table, .alert", timeout=120000)
                first_chart = (time.perf_counter() - t) * 1000
                page.wait_for_load_state("networkidle")
                time.sleep(0.3)  # the access log line is written after the response
                rows.append({**desc, "render_ms": max(server_ms or [float("nan")]), "first_chart_ms": first_chart,
                             "server_ms": _render_time(logged)})
            browser.close()
    finally:
        proc.terminate()
        proc.wait(20)
    os.environ["TTHC_DB_URL"] = args.db
    from components.view import load_view

    for (path, query, _), r in zip(views, rows, strict=True):
        r["raw_ms"] = (raw_scores if path == SCORE_PAGE else raw_group_by)(args.db, r) * 1000
        params = dict(kv.split("=", 1) for kv in query.split("&"))
        t = time.perf_counter()
        try:
            if path == SCORE_PAGE:
                from components.scorecard_view import load_scores

                load_scores(params)
            else:
                load_view(params, path)  # the data a page of this view reads, without drawing it
            r["data_ms"] = (time.perf_counter() - t) * 1000
        except Exception:  # a database of an older version: no analytics store to read
            r["data_ms"] = float("nan")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    render = [r["render_ms"] for r in rows]
    own = [r["server_ms"] for r in rows if r["server_ms"] == r["server_ms"]]
    chart = [r["first_chart_ms"] for r in rows]
    raw = [r["raw_ms"] for r in rows]
    ratio = [a / b for a, b in zip(render, raw, strict=True) if b > 0]
    print(f"server listening after {to_listen:.1f} s; home page first chart {home_ready:.2f} s after that")
    print(f"{len(rows)} first visits: render callback p50 {pct(render, .5):.0f} ms, p95 {pct(render, .95):.0f} ms, "
          f"max {max(render):.0f} ms; first chart p50 {pct(chart, .5):.0f} ms, p95 {pct(chart, .95):.0f} ms, "
          f"max {max(chart):.0f} ms")
    if own:
        print(f"the same callbacks as the server logs them (its own time, without Chromium's view of the network): "
              f"p50 {pct(own, .5):.0f} ms, p95 {pct(own, .95):.0f} ms, max {max(own):.0f} ms")
    data = [r["data_ms"] for r in rows if r["data_ms"] == r["data_ms"]]
    data_ratio = [r["data_ms"] / r["raw_ms"] for r in rows if r["data_ms"] == r["data_ms"] and r["raw_ms"] > 0]
    print(f"database GROUP BY of the same views: median {statistics.median(raw):.1f} ms, p95 {pct(raw, .95):.1f} ms; "
          f"callback / GROUP BY: median {statistics.median(ratio):.1f}x")
    if data:
        print(f"the view's data alone (components.view.load_view in this process, no page drawn): median "
              f"{statistics.median(data):.1f} ms, p95 {pct(data, .95):.1f} ms; data / GROUP BY: median "
              f"{statistics.median(data_ratio):.1f}x")
    return 0


# --- simulated users -------------------------------------------------------------------------------


def render_payload(base: str) -> tuple[dict, str]:
    """The page-render callback request the browser sends, captured once, to be replayed, and the
    signed-in session's cookie header."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM)
        page = browser.new_page()
        sign_in(page, base)
        with page.expect_request(lambda r: "_dash-update-component" in r.url and "_pages_content" in
                                 (r.post_data or "")) as req:
            page.goto(base + "/")
        body = json.loads(req.value.post_data)
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
        browser.close()
    return body, cookie


def cmd_users(args: argparse.Namespace) -> int:
    import psutil

    views = sample_views(args.distinct, args.seed, args.db)
    port = free_port()
    bench_user(args.db)
    proc, to_listen, _ = start_server(args.db, args.server, port)
    base = f"http://127.0.0.1:{port}"
    try:
        template, cookie = render_payload(base)
        lat: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        deadline = time.perf_counter() + args.seconds

        def user(i: int) -> None:
            rng = random.Random(i)
            time.sleep(rng.uniform(0, 2))
            while time.perf_counter() < deadline:
                path, query, _ = rng.choice(views)
                body = json.loads(json.dumps(template))
                for inp in body["inputs"]:
                    if inp["property"] == "pathname":
                        inp["value"] = path
                    elif inp["property"] == "search":
                        inp["value"] = "?" + query
                req = urllib.request.Request(base + "/_dash-update-component", data=json.dumps(body).encode(),
                                             headers={"Content-Type": "application/json", "Cookie": cookie})
                t = time.perf_counter()
                try:
                    with urllib.request.urlopen(req, timeout=60) as resp:
                        resp.read()
                        ok = resp.status == 200
                except Exception as exc:  # a timeout or a server error is what we measure
                    ok = False
                    with lock:
                        errors.append(type(exc).__name__)
                took = time.perf_counter() - t
                with lock:
                    if ok:
                        lat.append(took)
                time.sleep(rng.uniform(0.5, 2.0))

        threads = [threading.Thread(target=user, args=(i,)) for i in range(args.users)]
        for t in threads:
            t.start()
        peak: dict[int, int] = {}
        while any(t.is_alive() for t in threads):
            for p in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    peak[p.pid] = max(peak.get(p.pid, 0), p.memory_info().rss)
            time.sleep(1)
    finally:
        proc.terminate()
        proc.wait(20)
    ms = [x * 1000 for x in lat]
    print(f"{args.users} users for {args.seconds} s, {args.distinct} different views: {len(ms)} answers, {len(errors)} errors "
          f"({', '.join(sorted(set(errors))) or 'none'}); p50 {pct(ms, .5):.0f} ms, p95 {pct(ms, .95):.0f} ms, "
          f"max {max(ms):.0f} ms; {len(ms) / args.seconds:.1f} answers/s")
    print("peak RSS per process (MB): " + ", ".join(f"{v / 2**20:.0f}" for v in sorted(peak.values(), reverse=True)))
    return 0


# --- ETL -------------------------------------------------------------------------------------------


def _timed_etl(argv: list[str]) -> tuple[float, float]:
    """(seconds, peak MB) of one ``python -m etl`` command in its own process."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "etl", *argv], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"etl {argv[0]} failed ({status})")
    return time.perf_counter() - t, usage.ru_maxrss / 1024


def export_rows(db: str, path: Path, n: int) -> int:
    """The first ``n`` monthly demo dossier rows of 2023-2024 as the project's template."""
    from datetime import date

    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_etl import export_template

    return export_template(db, path, date(2023, 1, 1), date(2024, 12, 31), limit=n, dataset="demo")


def cmd_etl(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="tthc-bench-"))
    db = args.db or f"sqlite:///{tmp / 'national.sqlite'}"
    print(f"init: {_timed_etl(['init', '--db', db])[0]:.1f} s")
    _timed_etl(["seed", "--db", db])
    sec, mb = _timed_etl(["demo", "--provinces", "all", "--until", "2026-10", "--db", db])
    print(f"demo --provinces all (1.362.464 rows and their aggregates): {sec:.1f} s, peak {mb:.0f} MB")
    csv_path = tmp / "file.csv"
    n = export_rows(db, csv_path, args.rows)
    sec, mb = _timed_etl(["load", str(csv_path), "--db", db])
    print(f"load of a {n:,}-row template file ".replace(",", ".") +
          f"({csv_path.stat().st_size / 2**20:.0f} MB) into that database, aggregates included: {sec:.1f} s, "
          f"peak {mb:.0f} MB")
    sec, mb = _timed_etl(["rebuild", "--db", db])
    print(f"etl rebuild (everything, with the difference report): {sec:.1f} s, peak {mb:.0f} MB")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("views")
    v.add_argument("--db", required=True)
    v.add_argument("--views", type=int, default=40)
    v.add_argument("--seed", type=int, default=1)
    v.add_argument("--server")
    v.add_argument("--json", help="write every view's timings here")
    v.add_argument("--pages", help=f"comma-separated pages to sample (default: {','.join(PAGES)}; "
                                   f"{SCORE_PAGE} samples its own views: 2025 provinces, months to 10/2026)")
    u = sub.add_parser("users")
    u.add_argument("--db", required=True)
    u.add_argument("--users", type=int, default=50)
    u.add_argument("--seconds", type=int, default=120)
    u.add_argument("--seed", type=int, default=2)
    u.add_argument("--distinct", type=int, default=400, help="how many different views the users pick from")
    u.add_argument("--server")
    e = sub.add_parser("etl")
    e.add_argument("--db")
    e.add_argument("--rows", type=int, default=200000)
    for p in (v, u):
        p.add_argument("--cwd", help="folder the server command runs in (default: this project)")
    args = ap.parse_args()
    global SERVER_DIR
    if getattr(args, "cwd", None):
        SERVER_DIR = Path(args.cwd)
    return {"views": cmd_views, "users": cmd_users, "etl": cmd_etl}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())

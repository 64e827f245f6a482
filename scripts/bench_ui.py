"""Benchmark of the dashboard (not a test): server time of each page's render callback and
time to the first drawn chart in headless Chromium, on the database of TTHC_DB_URL (default:
the embedded one, which the first start fills with the national demo data).

    .venv/bin/python scripts/bench_ui.py [--runs 20] [--port 8077]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VIEWS = [
    ("/", "Tổng quan, mặc định (toàn quốc, quý gần nhất)", ""),
    ("/", "Tổng quan, toàn quốc", "period=latest-quarter"),
    ("/", "Tổng quan, một tỉnh (cấp xã)", "scheme=2025&unit=11&level=commune&period=latest-quarter"),
    ("/buu-chinh-cong-ich", "Bưu chính công ích, một tỉnh cũ (cấp huyện)",
     "scheme=legacy&unit=11&level=district&period=2024"),
    ("/dich-vu-cong-truc-tuyen", "Dịch vụ công trực tuyến, toàn quốc", "period=latest-quarter"),
    ("/tien-do-giai-quyet", "Tiến độ giải quyết, một tỉnh", "scheme=2025&unit=11&period=latest-quarter"),
    ("/xep-hang", "Xếp hạng & bản đồ, 63 tỉnh", "scheme=legacy&period=2024&metric=overdue_rate"),
    ("/so-nganh", "Sở, ngành, một tỉnh", "scheme=2025&unit=11&period=latest-quarter"),
    ("/tien-do-giai-quyet", "Tiến độ giải quyết, tỉnh cũ, bản đồ nhiệt", "scheme=legacy&unit=11&level=district&period=2024-Q4"),
    ("/", "Tổng quan, số liệu cũ theo đơn vị hiện nay", "scheme=today&period=2024"),
    ("/chat-luong-du-lieu", "Chất lượng dữ liệu", ""),
]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--port", type=int, default=8077)
    ap.add_argument("--settle", type=int, default=120,
                    help="seconds to wait after the start (the app warms its default views meanwhile)")
    args = ap.parse_args()
    port = args.port
    env = {**os.environ, "PORT": str(port)}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(args.settle)
        from playwright.sync_api import sync_playwright

        base = f"http://127.0.0.1:{port}"
        rows = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            server_ms: dict[str, list[float]] = {}

            def on_response(resp) -> None:  # noqa: ANN001
                if "_dash-update-component" in resp.url:
                    body = resp.request.post_data or ""
                    if "_pages_content" in body:
                        t = resp.request.timing
                        server_ms.setdefault("last", []).append(t["responseStart"] - t["requestStart"])

            page.on("response", on_response)
            for path, label, query in VIEWS:
                url = f"{base}{path}?{query}" if query else base + path
                first_chart, renders, cold_render = [], [], 0.0
                for i in range(args.runs):
                    server_ms["last"] = []
                    page.goto(url)
                    page.wait_for_selector(".main-svg, table", timeout=120000)
                    first_chart.append(page.evaluate("performance.now()"))
                    page.wait_for_load_state("networkidle")
                    if i == 0:  # first visit of this view since the start
                        cold, cold_render = first_chart[0], max(server_ms["last"] or [0.0])
                    else:
                        renders.extend(server_ms["last"])
                rows.append((label, pct(renders, 0.5), pct(renders, 0.95), cold_render, cold,
                             statistics.median(first_chart[1:] or first_chart)))
            browser.close()
    finally:
        proc.terminate()
    print("| view | render callback p50 (ms) | p95 (ms) | render, first visit (ms) | first chart, first visit (ms) "
          "| first chart, later visits (ms) |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, p50, p95, cold_render, cold, warm in rows:
        print(f"| {label} | {p50:.0f} | {p95:.0f} | {cold_render:.0f} | {cold:.0f} | {warm:.0f} |")
    print(json.dumps({"runs": args.runs}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

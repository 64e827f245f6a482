"""Known vulnerabilities of the packages installed in .venv (run by scripts/test.sh).

pip-audit asks PyPI's vulnerability data for each installed version (``/pypi/<name>/<version>/json``).
Where a registry mirror answers only the project pages (``/pypi/<name>/json``), pip-audit skips every
package; then this script reads the project page instead, whose vulnerabilities are those of the
latest release: exact for a package installed at its latest version, unknown for an older one (listed
as not audited). Exit 1 on any known vulnerability not in scripts/audit-ignore.txt (each ignored id
there has its reason), or when the vulnerability data cannot be reached at all (the message says so;
TTHC_SKIP_AUDIT=1 skips the audit on a machine without network). TTHC_AUDIT_STRICT=1 also fails on
packages that could not be audited.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIP_AUDIT = Path(sys.executable).parent / "pip-audit"  # of the environment running this script (.venv)
OWN = "tthc-dashboard"  # this project, not on PyPI


def ignored() -> set[str]:
    path = ROOT / "scripts" / "audit-ignore.txt"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return {ln.split("#", 1)[0].strip() for ln in lines if ln.split("#", 1)[0].strip()}


def _project_page(name: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=30) as r:
            return json.load(r)
    except Exception:  # noqa: BLE001  (an unknown package, a network error: not audited)
        return None


def _installed(name: str, reason: str) -> str:
    """The installed version (pip-audit names it in its skip reason: "... : flask (3.1.3)")."""
    m = re.search(r"\(([^()\s]+)\)\s*$", reason)
    if m:
        return m.group(1)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return ""


def _ids(v: dict) -> set[str]:
    return {v.get("id", ""), *v.get("aliases", [])}


def main() -> int:
    if os.environ.get("TTHC_SKIP_AUDIT") == "1":
        print("pip-audit: bỏ qua (TTHC_SKIP_AUDIT=1).", file=sys.stderr)
        return 0
    skip = ignored()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        cmd = [str(PIP_AUDIT), "--skip-editable", "--progress-spinner", "off", "-f", "json", "-o", str(out)]
        for vid in sorted(skip):
            cmd += ["--ignore-vuln", vid]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if not out.exists():
            print("LỖI: pip-audit không chạy được — cần mạng tới pypi.org (dữ liệu lỗ hổng của PyPI). "
                  "Trên máy không có mạng đặt TTHC_SKIP_AUDIT=1 để bỏ qua.\n" + proc.stderr[-2000:], file=sys.stderr)
            return 1
        deps = json.loads(out.read_text())["dependencies"]
    found: list[tuple[str, str, str, str]] = []  # name, version, id, fixed in
    unaudited: list[str] = []
    deps = [d for d in deps if d["name"] != OWN]
    for d in deps:
        if "skip_reason" not in d:
            found += [(d["name"], d["version"], v["id"], ", ".join(v.get("fix_versions", [])) or "chưa có")
                      for v in d.get("vulns", [])]
            continue
        version = d.get("version") or _installed(d["name"], d["skip_reason"])
        d["version"] = version
        page = _project_page(d["name"])
        if page is None or page["info"]["version"] != version:
            unaudited.append(f"{d['name']} {d.get('version', '')}".strip())
            continue
        found += [(d["name"], d["version"], v["id"], ", ".join(v.get("fixed_in") or []) or "chưa có")
                  for v in page.get("vulnerabilities") or [] if not v.get("withdrawn") and not _ids(v) & skip]
    audited = len(deps) - len(unaudited)
    for name, version, vid, fixed in found:
        print(f"LỖ HỔNG: {name} {version}: {vid} (bản sửa: {fixed})", file=sys.stderr)
    if unaudited:
        print(f"pip-audit: {len(unaudited)} gói không kiểm tra được (dịch vụ không trả lời cho phiên bản đã cài, "
              f"không phải bản mới nhất): {', '.join(unaudited)}", file=sys.stderr)
    print(f"pip-audit: đã kiểm tra {audited}/{len(deps)} gói, {len(found)} lỗ hổng đã biết"
          f"{f' (bỏ qua có lý do: {len(skip)} mã trong scripts/audit-ignore.txt)' if skip else ''}.", file=sys.stderr)
    if found:
        return 1
    return 1 if unaudited and os.environ.get("TTHC_AUDIT_STRICT") == "1" else 0


if __name__ == "__main__":
    sys.exit(main())

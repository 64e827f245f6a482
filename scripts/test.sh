#!/usr/bin/env bash
# Install everything the tests need and run the whole suite:
#   - the project with its test extras in .venv
#   - Debian's postgresql (a throwaway server is started by tests/conftest.py) and chromium
#   - ruff, pip-audit (known vulnerabilities of the installed packages, scripts/audit.py; needs
#     pypi.org; TTHC_SKIP_AUDIT=1 skips it offline), then pytest (PostgreSQL tests are required
#     here, never skipped)
set -euo pipefail
source "$(dirname "$0")/_venv.sh" test

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "Cài đặt gói Debian: ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

.venv/bin/ruff check .
.venv/bin/python scripts/audit.py
export TTHC_REQUIRE_PG=1
# two processes (pytest-xdist): the suite waits on browsers and servers as much as it computes,
# so on a 2-core machine it takes about 8 minutes instead of 12; TTHC_TEST_WORKERS=0 runs it in one
exec .venv/bin/python -m pytest -n "${TTHC_TEST_WORKERS:-2}" "$@"

#!/usr/bin/env bash
# Install the app and start it on the embedded default database (data/tthc.sqlite).
# The first start creates the database and fills it with the real seed data and the demo data.
set -euo pipefail
source "$(dirname "$0")/_venv.sh"
exec .venv/bin/python app.py "$@"

#!/usr/bin/env bash
# Install the app and serve it on the embedded default database (data/tthc.sqlite) with the
# production server (gunicorn, gunicorn.conf.py: one worker per core). The first start creates
# the database and fills it with the real seed data and the demo data.
# Development server instead: .venv/bin/python app.py
set -euo pipefail
source "$(dirname "$0")/_venv.sh"
exec .venv/bin/gunicorn -c gunicorn.conf.py app:server "$@"

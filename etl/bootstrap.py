"""First start of the app: create the embedded default database and fill it.

Only the embedded SQLite default is filled automatically (schema, unit registry, the real
seed figures, the demo data), with progress bars. A server database given by URL is upgraded
but never filled with demo data behind the operator's back.
"""

from __future__ import annotations

import os
import sys

from sqlalchemy import Engine, func, select

from data.db import describe, upgrade
from data.schema import load_batch


def has_batches(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(load_batch)).scalar_one() > 0


def ensure_database(engine: Engine) -> None:
    """Upgrade the schema; on the embedded default database, fill it on first start."""
    from data import db
    from etl.cli import cmd_init

    embedded = engine.url.drivername.startswith("sqlite") and engine.url.database == str(db.DEFAULT_SQLITE)
    upgrade(engine)
    if has_batches(engine):
        from data.build import is_built, rebuild

        with engine.begin() as conn:
            if not is_built(conn):  # figures loaded before the analytics store existed
                print("Tạo số liệu tổng hợp từ số liệu đã có...", file=sys.stderr)
                rebuild(conn)
        return
    if not embedded:
        print(
            f"Cơ sở dữ liệu {describe(engine)} chưa có số liệu. Nạp bằng: python -m etl init && "
            "python -m etl seed && python -m etl load <tệp> (hoặc python -m etl demo).",
            file=sys.stderr,
        )
        return
    print("Lần chạy đầu tiên: tạo cơ sở dữ liệu mặc định và nạp số liệu (khoảng nửa phút)...", file=sys.stderr)
    from etl.demo import run_demo
    from etl.seed import run_seed

    cmd_init(engine)
    run_seed(engine)
    # the whole country by default (about 15 s); TTHC_DEMO_PROVINCES narrows it (e.g. "default", "11,12")
    run_demo(engine, provinces=os.environ.get("TTHC_DEMO_PROVINCES", "all"))

"""Migrations create the schema on SQLite and PostgreSQL and upgrade without losing data."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, func, insert, inspect, select

from data.db import upgrade
from data.schema import load_batch, metadata, unit


def _check(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
    with engine.begin() as conn:
        conn.execute(
            insert(load_batch).values(
                kind="file", dataset="real", file_name="x.csv", sha256="0" * 64, rows=0,
                loaded_at=datetime(2026, 1, 1), status="active",
            )
        )
    before = _count(engine)
    upgrade(engine)  # again: must keep everything
    assert _count(engine) == before


def _count(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(unit)).scalar_one(),
            conn.execute(select(func.count()).select_from(load_batch)).scalar_one(),
        )


def test_migrations_sqlite(engine: Engine) -> None:
    _check(engine)


@pytest.mark.postgres
def test_migrations_postgres(pg_engine: Engine) -> None:
    _check(pg_engine)


def test_models_match_migrations(engine: Engine) -> None:
    """The newest migration creates exactly what data/schema.py declares."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []

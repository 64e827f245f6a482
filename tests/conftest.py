"""Shared fixtures: an initialised SQLite database per test (copied from a session template)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from data.db import get_engine, upgrade
from etl.units import load_agencies, load_units

ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Schema + all units of both schemes + agencies, built once per test session."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    engine = get_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as conn:
        load_units(conn)
        load_agencies(conn)
    with engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    get_engine.cache_clear()
    return path


@pytest.fixture
def db_url(template_db: Path, tmp_path: Path) -> str:
    """URL of a fresh, initialised SQLite database for one test."""
    target = tmp_path / "tthc.sqlite"
    shutil.copy(template_db, target)
    return f"sqlite:///{target}"


@pytest.fixture
def engine(db_url: str) -> Engine:
    return get_engine(db_url)

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


def demo_database(template_db: Path, folder: Path, provinces: str, until: str) -> str:
    """URL of a copy of the template with the seed figures and demo data of ``provinces`` up to
    ``until`` (YYYY-MM), loaded by the ETL as a user would."""
    from etl.cli import main

    path = folder / "demo.sqlite"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    assert main(["seed", "--db", url]) == 0
    assert main(["demo", "--provinces", provinces, "--until", until, "--db", url]) == 0
    add_test_user(url)
    return url


def demo_database_on(backend: str, request: pytest.FixtureRequest, name: str, provinces: str, until: str) -> str:
    """``demo_database`` on SQLite or on the tests' PostgreSQL server (a database of its own)."""
    if backend == "sqlite":
        return demo_database(request.getfixturevalue("template_db"),
                             request.getfixturevalue("tmp_path_factory").mktemp(name), provinces, until)
    from etl.cli import main

    admin, template = request.getfixturevalue("pg_admin_url"), request.getfixturevalue("pg_template")
    db = f"demo_{name.replace('-', '_')}"
    _admin_execute(admin, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    _admin_execute(admin, f"CREATE DATABASE {db} TEMPLATE {template}")
    url = admin.rsplit("/", 1)[0] + f"/{db}"
    assert main(["seed", "--db", url]) == 0
    assert main(["demo", "--provinces", provinces, "--until", until, "--db", url]) == 0
    add_test_user(url)
    return url


TEST_USER, TEST_PASSWORD = "kiemthu", "mat-khau-kiem-thu-01"


def add_test_user(url: str, name: str = TEST_USER, role: str = "admin", units: tuple[str, ...] = ()) -> None:
    """A user the browser tests sign in as (an admin without units sees everything)."""
    from data.auth import add_user

    add_user(get_engine(url), name, role, TEST_PASSWORD, list(units))


@pytest.fixture
def db_url(template_db: Path, tmp_path: Path) -> str:
    """URL of a fresh, initialised SQLite database for one test."""
    target = tmp_path / "tthc.sqlite"
    shutil.copy(template_db, target)
    return f"sqlite:///{target}"


@pytest.fixture
def engine(db_url: str) -> Engine:
    return get_engine(db_url)


# --- PostgreSQL -----------------------------------------------------------------------------
# A throwaway server in a temporary directory, started once per session. scripts/test.sh sets
# TTHC_REQUIRE_PG=1 so a missing server fails the run instead of skipping the tests; an
# existing server can be used with TTHC_TEST_PG_URL=postgresql://user@host:port/postgres.

import glob  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_unavailable(reason: str) -> None:
    if os.environ.get("TTHC_REQUIRE_PG") == "1":
        pytest.fail(f"PostgreSQL is required (TTHC_REQUIRE_PG=1): {reason}")
    pytest.skip(f"PostgreSQL not available: {reason}")


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """URL (psycopg) of a maintenance database on a PostgreSQL server for this session."""
    if os.environ.get("TTHC_TEST_PG_URL"):
        yield os.environ["TTHC_TEST_PG_URL"]
        return
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        _pg_unavailable("no initdb under /usr/lib/postgresql (apt-get install postgresql)")
    bindir = Path(bins[-1]).parent
    # Not under pytest's numbered temp dirs: another pytest session may delete those while
    # this server still runs.
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="tthc-pg-"))
    datadir, sockdir = base / "data", base / "sock"
    sockdir.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        prefix = ["runuser", "-u", "postgres", "--"]
        subprocess.run(["chown", "-R", "postgres", str(base)], check=True)
        base.chmod(0o755)
        for parent in base.parents:
            if str(parent).startswith("/tmp/") or str(parent) == "/tmp":
                parent.chmod(parent.stat().st_mode | 0o011)
    port = _free_port()
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "-A", "trust", "-E", "UTF8",
         "--locale=C.UTF-8"],
        check=True, capture_output=True,
    )
    opts = f"-p {port} -k {sockdir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
    subprocess.run(
        [*prefix, str(bindir / "pg_ctl"), "-D", str(datadir), "-o", opts, "-l", str(base / "log"), "-w", "start"],
        check=True, capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def _admin_execute(admin_url: str, sql: str) -> None:
    from sqlalchemy import create_engine

    eng = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            conn.execute(text(sql))
    finally:
        eng.dispose()


@pytest.fixture(scope="session")
def pg_template(pg_admin_url: str) -> str:
    """Name of a PostgreSQL database with schema, units and agencies, used as a template."""
    name = "tthc_template"
    _admin_execute(pg_admin_url, f"DROP DATABASE IF EXISTS {name}")
    _admin_execute(pg_admin_url, f"CREATE DATABASE {name}")
    url = pg_admin_url.rsplit("/", 1)[0] + f"/{name}"
    engine = get_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        load_units(conn)
        load_agencies(conn)
    engine.dispose()
    get_engine.cache_clear()
    return name


@pytest.fixture
def pg_url(pg_admin_url: str, pg_template: str) -> Iterator[str]:
    """URL of a fresh, initialised PostgreSQL database for one test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    _admin_execute(pg_admin_url, f"CREATE DATABASE {name} TEMPLATE {pg_template}")
    url = pg_admin_url.rsplit("/", 1)[0] + f"/{name}"
    yield url
    get_engine(url).dispose()
    _admin_execute(pg_admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_engine(pg_url: str) -> Engine:
    return get_engine(pg_url)

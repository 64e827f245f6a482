"""The app starts on a database given by URL, serves everything itself and shows real figures."""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path

import plotly
import pytest
from sqlalchemy import func, select

from data.db import get_engine
from data.schema import load_batch
from etl.cli import main


@pytest.fixture
def app_module(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # noqa: ANN201
    assert main(["seed", "--db", db_url]) == 0
    monkeypatch.setenv("TTHC_DB_URL", db_url)
    if "app" in sys.modules:
        return importlib.reload(sys.modules["app"])
    return importlib.import_module("app")


def test_server_answers_and_loads_nothing_from_outside(app_module, db_url: str) -> None:  # noqa: ANN001
    from tests.conftest import TEST_PASSWORD, TEST_USER, add_test_user

    add_test_user(db_url)
    client = app_module.server.test_client()
    assert client.get("/").status_code == 302  # deny by default: the login page first
    form = client.get("/dang-nhap").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    client.post("/dang-nhap", data={"name": TEST_USER, "password": TEST_PASSWORD, "csrf": token, "next": "/"})
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    external = [u for u in re.findall(r'(?:src|href)="(https?://[^"]+)"', html)]
    assert external == []
    assert "bootstrap.min.css" in html  # served from assets/


def test_home_shows_the_seed_figures(app_module) -> None:  # noqa: ANN001
    from pages import sources as home

    text = json.dumps(home.layout(), cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)
    assert "Thành phố Điện Biên Phủ" in text and "2.037/2.486" in text and "81,94 %" in text
    assert "54.346/648.098" in text and "8,39 %" in text
    assert "Dữ liệu minh họa" not in text  # no demo data in this database, so no badge


def test_first_start_fills_only_the_embedded_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       db_url: str) -> None:
    from data import db
    from etl.bootstrap import ensure_database

    # a server database given by URL is upgraded, never filled behind the operator's back
    ensure_database(get_engine(db_url))
    with get_engine(db_url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(load_batch)).scalar_one() == 0
    # the embedded default: created and filled (seed + demo) on the first start
    monkeypatch.setattr(db, "DEFAULT_SQLITE", tmp_path / "tthc.sqlite")
    monkeypatch.setenv("TTHC_DEMO_PROVINCES", "12")
    engine = get_engine(f"sqlite:///{tmp_path / 'tthc.sqlite'}")
    ensure_database(engine)
    with engine.connect() as conn:
        kinds = sorted(conn.execute(select(load_batch.c.dataset)).scalars())
    assert kinds == ["demo", "real"]

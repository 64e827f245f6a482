"""The command line gives one clear Vietnamese line for bad input, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from etl.cli import main
from tests.conftest import ROOT


def test_bad_database_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["findings", "--db", "foo://nowhere"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Lỗi: URL cơ sở dữ liệu không hợp lệ") and "Traceback" not in err


def test_unreachable_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["findings", "--db", "postgresql://nobody@127.0.0.1:1/x"]) == 2
    assert "không kết nối" in capsys.readouterr().err


def test_bad_period_option(capsys: pytest.CaptureFixture[str], db_url: str) -> None:
    assert main(["metrics", "--period", "2026-Q5", "--db", db_url]) == 2
    assert "Kỳ báo cáo không hợp lệ" in capsys.readouterr().err


def test_init_as_a_new_user_would(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    for _ in range(2):  # the second run upgrades nothing and loads nothing twice
        res = subprocess.run(
            [sys.executable, "-m", "etl", "init", "--db", url], cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert res.returncode == 0, res.stderr
        assert "63/696/10035" in res.stderr and "34/3321" in res.stderr

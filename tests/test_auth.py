"""Sign-in, roles and scopes on the server (issue 10), through the real app's Flask server: deny by
default, the login page, the rate limit, a viewer who cannot read another province by the URL,
by a hand-written callback request or by the map geometry, the public mode, the first admin,
and the ``etl users`` command."""

from __future__ import annotations

import importlib
import io
import json
import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from data import auth
from data.db import get_engine
from data.schema import audit_log
from etl.cli import main
from tests.conftest import demo_database

PASSWORD = "mat-khau-cua-nguoi-xem-1"


@pytest.fixture(scope="module")
def db(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = demo_database(template_db, tmp_path_factory.mktemp("auth"), "11,12", "2025-12")
    auth.add_user(get_engine(url), "xem11", "viewer", PASSWORD, ["11"])
    auth.add_user(get_engine(url), "phantich12", "analyst", PASSWORD, ["legacy:12"])
    return url


def _app(monkeypatch: pytest.MonkeyPatch, db: str, **env: str):  # noqa: ANN202
    monkeypatch.setenv("TTHC_DB_URL", db)
    monkeypatch.setenv("TTHC_PAGE_CACHE", "0")
    monkeypatch.setenv("TTHC_SECRET_KEY", "khoa-kiem-thu")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    module = importlib.reload(sys.modules["app"]) if "app" in sys.modules else importlib.import_module("app")
    return module.server.test_client()


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, db: str):  # noqa: ANN201
    return _app(monkeypatch, db)


def _login(client, name: str, password: str = PASSWORD, nxt: str = "/"):  # noqa: ANN001, ANN202
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post("/dang-nhap", data={"name": name, "password": password, "csrf": token, "next": nxt})


def _render(client, path: str, search: str) -> tuple[int, str]:  # noqa: ANN001
    """The page-render callback as a browser (or anyone with a script) posts it."""
    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": search}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    r = client.post("/_dash-update-component", json=body)
    return r.status_code, json.dumps(r.get_json(), ensure_ascii=False) if r.is_json else r.get_data(as_text=True)


def test_everything_is_closed_without_signing_in(client) -> None:  # noqa: ANN001
    r = client.get("/xep-hang?unit=11")
    assert r.status_code == 302 and r.headers["Location"].endswith("/dang-nhap?next=/xep-hang%3Funit%3D11")
    assert _render(client, "/", "?unit=11")[0] == 401
    assert client.get("/geo/provinces-2025.geojson").status_code == 401
    page = client.get("/dang-nhap")
    assert page.status_code == 200 and "Đăng nhập" in page.get_data(as_text=True)
    assert client.get("/assets/bootstrap.min.css").status_code == 200  # the login page's own style


def test_wrong_password_is_refused_counted_and_rate_limited(client, db: str) -> None:  # noqa: ANN001
    r = _login(client, "xem11", "sai-mat-khau-roi")
    assert r.status_code == 200 and "không đúng" in r.get_data(as_text=True)  # the form again, with why
    for _ in range(4):
        _login(client, "xem11", "sai-mat-khau-roi")
    r = _login(client, "xem11")  # even the right password waits after five failures
    assert r.status_code == 429 and "quá nhiều lần" in r.get_data(as_text=True)
    with get_engine(db).connect() as conn:
        actions = [a for (a,) in conn.execute(select(audit_log.c.action).where(audit_log.c.user_name == "xem11"))]
    assert actions.count("login_failed") == 5 and "login_blocked" in actions
    with get_engine(db).begin() as conn:  # the window passes
        conn.execute(audit_log.delete().where(audit_log.c.user_name == "xem11"))


def test_login_form_needs_its_token(client) -> None:  # noqa: ANN001
    r = client.post("/dang-nhap", data={"name": "xem11", "password": PASSWORD, "csrf": "giả", "next": "/"})
    assert r.status_code == 400


def test_a_viewer_reads_only_their_province(client, db: str) -> None:  # noqa: ANN001
    r = _login(client, "xem11", nxt="https://evil.example/")
    assert r.status_code == 302 and r.headers["Location"] == "/"  # only paths of this site
    status, home = _render(client, "/", "")
    assert status == 200 and "Tỉnh Điện Biên —" in home  # the user's own province first
    # another province by the URL, and by a hand-written callback request: nothing of it
    for path in ("/", "/tien-do-giai-quyet", "/xep-hang", "/so-nganh"):
        status, text = _render(client, path, "?scheme=legacy&unit=12&period=2024")
        assert status == 200 and "Lai Châu" not in text, path
    status, text = _render(client, "/", "?scheme=legacy&unit=12&period=2024")
    assert "trong phạm vi bạn được xem" in text
    # the country is not theirs either: the view stays on their province
    status, text = _render(client, "/xep-hang", "?scheme=2025&unit=&period=2025-Q4")
    assert "Lai Châu" not in text and "Điện Biên" in text
    shapes = client.get("/geo/provinces-2025.geojson").get_json()
    assert [f["id"] for f in shapes["features"]] == ["11"]
    # their communes, in both unit systems
    status, text = _render(client, "/tien-do-giai-quyet", "?scheme=legacy&unit=11&level=district&period=2020")
    assert "Thành phố Điện Biên Phủ" in text and "81,94 %" in text


def test_an_analyst_reads_the_whole_province_of_their_unit(client) -> None:  # noqa: ANN001
    _login(client, "phantich12")
    status, text = _render(client, "/xep-hang", "?scheme=legacy&unit=12&level=commune&period=2024")
    assert status == 200 and "Tỉnh Lai Châu" in text and "Điện Biên" not in text


def test_sign_out_needs_the_token_and_ends_the_session(client) -> None:  # noqa: ANN001
    _login(client, "xem11")
    assert client.post("/dang-xuat", data={"csrf": "giả"}).status_code == 400
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/dang-nhap").get_data(as_text=True)).group(1)
    assert client.post("/dang-xuat", data={"csrf": token}).status_code == 302
    assert _render(client, "/", "")[0] == 401


def test_public_mode_shows_provinces_without_signing_in(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    client = _app(monkeypatch, db, TTHC_PUBLIC="1")
    status, text = _render(client, "/xep-hang", "?scheme=legacy&period=2024")
    assert status == 200 and "Tỉnh Điện Biên" in text and "Tỉnh Lai Châu" in text
    status, text = _render(client, "/", "?scheme=legacy&unit=094&period=2020")  # a district: not public
    assert "Thành phố Điện Biên Phủ —" not in text and "trong phạm vi bạn được xem" in text
    assert client.post("/dang-xuat").status_code == 302  # nothing to sign out of


def test_first_start_creates_one_admin_and_prints_the_password_once(
        template_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    import shutil

    path = tmp_path / "fresh.sqlite"
    shutil.copy(template_db, path)
    _app(monkeypatch, f"sqlite:///{path}")
    printed = capsys.readouterr().err
    password = re.search(r"mật khẩu:\s+(\S+)", printed).group(1)
    assert "tên đăng nhập: admin" in printed and "etl users passwd admin" in printed
    engine = get_engine(f"sqlite:///{path}")
    assert auth.verify(engine, "admin", password).role == "admin"
    with engine.connect() as conn:
        stored = conn.execute(select(auth.app_user.c.password_hash)).scalar_one()
    assert stored.startswith("scrypt:") and password not in stored
    _app(monkeypatch, f"sqlite:///{path}")  # the second start: no new admin, nothing printed
    assert "mật khẩu:" not in capsys.readouterr().err


def test_users_command(db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("mot-mat-khau-du-dai\n"))
    assert main(["users", "add", "baocao11", "--role", "reporter", "--unit", "11", "--password-stdin",
                 "--db", db]) == 0
    assert main(["users", "list", "--db", db]) == 0
    assert "baocao11,reporter,yes,2025:11" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO("ngan\n"))
    assert main(["users", "passwd", "baocao11", "--password-stdin", "--db", db]) == 2
    assert "ít nhất 10 ký tự" in capsys.readouterr().err
    assert main(["users", "add", "x", "--role", "viewer", "--password-stdin", "--db", db]) == 2
    assert "cần ít nhất một đơn vị" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("mot-mat-khau-du-dai\n"))
    assert main(["users", "add", "y", "--role", "viewer", "--unit", "99", "--password-stdin", "--db", db]) == 2
    assert "Không có đơn vị mã “99”" in capsys.readouterr().err
    assert main(["users", "disable", "baocao11", "--db", db]) == 0
    assert auth.verify(get_engine(db), "baocao11", "mot-mat-khau-du-dai") is None  # disabled: no sign-in
    with get_engine(db).connect() as conn:
        actions = {a for (a,) in conn.execute(select(audit_log.c.action).where(audit_log.c.user_name == "dòng lệnh"))}
    assert {"user_add", "user_disable"} <= actions

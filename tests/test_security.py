"""components.security on a small Flask app: headers on every response, errors without a stack
trace, cookie defaults from the environment, the same-origin check and the CSRF helpers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask, request

from components import security

SECRET_IN_TRACE = "secret-detail-of-the-failure"


def _app(monkeypatch: pytest.MonkeyPatch, **env: str) -> Flask:
    for k in ("TTHC_HTTPS", "TTHC_SESSION_HOURS"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    app = Flask("test_security")
    app.secret_key = "test-only"

    @app.get("/")
    def index() -> str:
        return "<p>trang</p>"

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError(SECRET_IN_TRACE)

    @app.post("/_dash-update-component")
    def callback() -> str:
        raise KeyError(SECRET_IN_TRACE)

    @app.post("/form")
    def form() -> tuple[str, int]:
        return ("ok", 200) if security.check_csrf(request.form.get("csrf")) else ("refused", 400)

    @app.get("/token")
    def token() -> str:
        return security.csrf_token()

    security.install(app, ["'sha256-abc='"])
    return app


def test_headers_on_every_response(monkeypatch: pytest.MonkeyPatch) -> None:
    client = _app(monkeypatch).test_client()
    for resp in (client.get("/"), client.get("/missing"), client.get("/boom"), client.post("/_dash-update-component")):
        h = resp.headers
        csp = h["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "script-src 'self' 'sha256-abc='" in csp and "unsafe-inline" not in csp.split("style-src")[0]
        assert "'unsafe-eval'" not in csp and "worker-src 'self' blob:" in csp
        assert h["X-Content-Type-Options"] == "nosniff" and h["X-Frame-Options"] == "DENY"
        assert h["Referrer-Policy"] == "same-origin" and "camera=()" in h["Permissions-Policy"]
        assert "Strict-Transport-Security" not in h  # only behind HTTPS (TTHC_HTTPS=1)


def test_errors_show_no_stack_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    client = _app(monkeypatch).test_client()
    page = client.get("/boom")
    text = page.get_data(as_text=True)
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert "Đã có lỗi khi xử lý yêu cầu" in text and '<html lang="vi">' in text
    assert SECRET_IN_TRACE not in text and "Traceback" not in text and "RuntimeError" not in text
    cb = client.post("/_dash-update-component", json={})
    assert cb.status_code == 500 and cb.mimetype == "text/plain"
    assert cb.get_data(as_text=True) == security.ERROR_VI  # a generic message, not the KeyError
    missing = client.get("/missing")
    assert missing.status_code == 404 and "Traceback" not in missing.get_data(as_text=True)


def test_cookie_defaults_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(monkeypatch)
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    app = _app(monkeypatch, TTHC_HTTPS="1", TTHC_SESSION_HOURS="2.5")
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=2.5)
    resp = app.test_client().get("/token")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert _app(monkeypatch, TTHC_SESSION_HOURS="tám").config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)


def test_requests_from_another_site_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    client = _app(monkeypatch).test_client()
    evil = client.post("/_dash-update-component", json={}, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403 and "trang web khác" in evil.get_data(as_text=True)
    assert client.post("/form", data={}, headers={"Origin": "null"}).status_code == 403
    same = client.post("/_dash-update-component", json={}, headers={"Origin": "http://localhost"})
    assert same.status_code == 500  # reached the (failing) callback: same origin passes
    assert client.get("/", headers={"Origin": "https://evil.example"}).status_code == 200  # reads are not refused


def test_csrf_token_of_the_session(monkeypatch: pytest.MonkeyPatch) -> None:
    client = _app(monkeypatch).test_client()
    token = client.get("/token").get_data(as_text=True)
    assert len(token) >= 40 and client.get("/token").get_data(as_text=True) == token  # one per session
    assert client.post("/form", data={"csrf": token}).status_code == 200
    assert client.post("/form", data={"csrf": token[:-1] + "x"}).status_code == 400
    assert client.post("/form", data={}).status_code == 400
    other = _app(monkeypatch).test_client()  # another browser: no token in its session
    assert other.post("/form", data={"csrf": token}).status_code == 400

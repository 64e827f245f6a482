"""Sign-in for the dashboard (issue 10): Flask-Login sessions, the login page, deny by default.

- Every request needs a signed-in user, except the login page and the app's own static assets;
  with ``TTHC_PUBLIC=1`` an anonymous visitor reads the country and the provinces (read only).
- Each request's readable units are set in ``data.read.scope`` from the user's role and units;
  the query layer filters by them, so what a page, a callback, an export or the map geometry
  returns never leaves the scope.
- Passwords: werkzeug scrypt (data/auth.py). Failed logins are counted per name and per address
  in the audit log: after ``MAX_FAILURES`` within ``FAILURE_WINDOW`` the login waits.
- The session cookie is HttpOnly, SameSite=Lax, Secure behind HTTPS (``TTHC_HTTPS=1``), and
  lasts ``TTHC_SESSION_HOURS`` (8) hours (components/security.py); the login and sign-out forms
  carry a CSRF token.
- Optionally, sign-in through an OpenID Connect provider (components/oidc.py), configured by
  ``TTHC_OIDC_*``; ``TTHC_OIDC_ONLY=1`` turns the password form off.
"""

from __future__ import annotations

import hashlib
import html
import os
import secrets
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

from flask import Flask, Response, abort, redirect, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from components import oidc
from components.security import check_csrf, csrf_token
from data import auth
from data.read import scope

LOGIN, LOGOUT = "/dang-nhap", "/dang-xuat"
MAX_FAILURES, FAILURE_WINDOW = 5, timedelta(minutes=15)
OPEN_PREFIXES = ("/assets/", "/favicon.ico")
PRIMING = False  # app._prime serves the index once in the master, before any worker exists


class SessionUser(UserMixin):
    """What Flask-Login keeps: the id, and the user read once per request."""

    def __init__(self, user: auth.User) -> None:
        self.user = user
        self.id = str(user.id)

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.user.active


def secret_key(db_url: str) -> bytes:
    """``TTHC_SECRET_KEY``, or a random key kept (mode 0600) in a file of the system's temporary
    folder named after the database, shared by the workers of this machine."""
    if os.environ.get("TTHC_SECRET_KEY"):
        return os.environ["TTHC_SECRET_KEY"].encode()
    path = Path(os.environ.get("TTHC_SECRET_FILE") or Path(tempfile.gettempdir()) /
                f"tthc-secret-{hashlib.sha1(db_url.encode()).hexdigest()[:12]}")
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def public_mode() -> bool:
    return os.environ.get("TTHC_PUBLIC", "") == "1"


def scope_of(engine, user: auth.User | None) -> tuple[frozenset[int] | None, str]:  # noqa: ANN001
    """(readable unit ids or None for all, the code the user's views start from)."""
    from data.read.registry import registry

    if user is None:  # the public: the country and the provinces
        units = registry(engine).units
        return frozenset(int(i) for i in units.index[units["level"] == "province"]), ""
    if user.unrestricted:
        return None, ""
    ids = scope.expand(engine, user.unit_ids, province_wide=user.role == "analyst")
    home = user.unit_codes[0].split(":", 1)[1] if user.unit_codes else ""
    return ids, home


def scope_key() -> str:
    """Identifies the readable units of this request (the page cache keeps pages per scope)."""
    ids = scope.current()
    return "all" if ids is None else hashlib.sha1(",".join(map(str, sorted(ids))).encode()).hexdigest()[:16]


def job_token(engine) -> str:  # noqa: ANN001
    """A signed note of who asks (the user id, or the public), for background jobs: an export runs
    in another process, without the request, and must read with the same scope."""
    from itsdangerous import URLSafeTimedSerializer

    user = current_user.user if current_user.is_authenticated else None
    signer = URLSafeTimedSerializer(secret_key(engine.url.render_as_string(hide_password=False)), "tthc-job")
    return signer.dumps(user.id if user is not None else "public")


def enter_job(engine, token: str | None) -> bool:  # noqa: ANN001
    """Set the scope of a background job from its token; False (and nothing readable) when the
    token is missing, forged or older than a session."""
    from itsdangerous import BadSignature, URLSafeTimedSerializer

    signer = URLSafeTimedSerializer(secret_key(engine.url.render_as_string(hide_password=False)), "tthc-job")
    scope.set_scope(frozenset(), "")
    try:
        who = signer.loads(token or "", max_age=int(float(os.environ.get("TTHC_SESSION_HOURS", "8")) * 3600))
    except BadSignature:
        return False
    if who == "public":
        if not public_mode():
            return False
        ids, home = scope_of(engine, None)
        scope.set_scope(ids, home, country=True)
        return True
    else:
        user = auth.get_user(engine, user_id=int(who))
        if user is None or not user.active:
            return False
        ids, home = scope_of(engine, user)
    scope.set_scope(ids, home)
    return True


def safe_next(nxt: str | None) -> str:
    """Where to go after signing in: only paths of this site."""
    nxt = nxt or "/"
    if urlsplit(nxt).netloc or not nxt.startswith("/") or nxt.startswith("//") or "\\" in nxt:
        return "/"
    return nxt


def sign_in(user: auth.User) -> None:
    """A fresh session for ``user`` (the password form and the SSO callback)."""
    session.clear()
    session.permanent = True
    login_user(SessionUser(user))
    csrf_token()  # the session's token from the start: callbacks only read it (parallel
    # callback responses each carry the session cookie, so none of them may change it)


def install(server: Flask, engine) -> None:  # noqa: ANN001
    server.secret_key = secret_key(engine.url.render_as_string(hide_password=False))
    # cookie flags and the session's lifetime: components.security.install
    manager = LoginManager(server)
    manager.session_protection = "strong"

    @manager.user_loader
    def _load(user_id: str) -> SessionUser | None:
        user = auth.get_user(engine, user_id=int(user_id))
        return SessionUser(user) if user is not None and user.active else None

    @server.before_request
    def _gate() -> Response | None:
        scope.set_scope(frozenset(), "")  # deny by default: nothing readable until decided below
        path = request.path
        if path in (LOGIN, LOGOUT, oidc.START, oidc.CALLBACK) or path.startswith(OPEN_PREFIXES) or PRIMING:
            return None
        user = current_user.user if current_user.is_authenticated else None
        if user is None and not public_mode():
            if path.startswith(("/_dash", "/geo/", "/_reload")) or request.method != "GET":
                abort(401)
            return redirect(f"{LOGIN}?next={quote(request.full_path.rstrip('?'), safe='/')}")
        ids, home = scope_of(engine, user)
        scope.set_scope(ids, home, country=user is None)  # the public: the country and its provinces
        return None

    @server.teardown_request
    def _forget(_exc: BaseException | None) -> None:
        scope.set_scope(None)  # the thread serves another request next: nothing carries over

    sso = oidc.install(server, engine)  # None without TTHC_OIDC_*: its routes answer 404

    @server.route(LOGIN, methods=["GET", "POST"])
    def _login() -> Response | str | tuple[str, int]:
        nxt = safe_next(request.values.get("next", "/"))
        if request.method == "GET":
            return _page(nxt, sso=sso)
        if sso is not None and sso.only:
            return _page(nxt, "Đăng nhập bằng mật khẩu đã tắt; hãy dùng tài khoản định danh.", sso=sso), 403
        name = (request.form.get("name") or "").strip()
        ip = request.remote_addr
        if not check_csrf(request.form.get("csrf")):
            return _page(nxt, "Phiên đăng nhập đã hết hạn, vui lòng thử lại.", name, sso), 400
        if auth.recent_failures(engine, name, ip, datetime.now() - FAILURE_WINDOW) >= MAX_FAILURES:
            auth.audit(engine, name, "login_blocked", {"name": name}, ip)
            return _page(nxt, "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút.", name, sso), 429
        user = auth.verify(engine, name, request.form.get("password") or "")
        if user is None:
            auth.audit(engine, name, "login_failed", {"name": name}, ip)
            return _page(nxt, "Tên đăng nhập hoặc mật khẩu không đúng.", name, sso)  # the form again
        sign_in(user)
        auth.audit(engine, user.name, "login", {"role": user.role}, ip)
        return redirect(nxt)

    @server.route(LOGOUT, methods=["POST"])
    def _logout() -> Response:
        if current_user.is_authenticated:
            if not check_csrf(request.form.get("csrf")):
                abort(400)
            auth.audit(engine, current_user.user.name, "logout", {}, request.remote_addr)
            logout_user()
        session.clear()
        return redirect(LOGIN)


def _page(nxt: str, error: str = "", name: str = "", sso: oidc.Config | None = None) -> str:
    """The login page: plain HTML with the app's own Bootstrap, no script; with SSO configured, its
    button (and no password form with ``TTHC_OIDC_ONLY=1``)."""
    alert = f'<div class="alert alert-danger" role="alert">{html.escape(error)}</div>' if error else ""
    if sso is not None and sso.only:
        return _shell(f'<div class="card card-body">{alert}{oidc.button(nxt)}</div>')
    sso_block = (f'<p class="text-center text-muted my-2">hoặc</p><div class="card card-body">{oidc.button(nxt)}</div>'
                 if sso is not None else "")
    return _shell(_form(nxt, alert, name) + sso_block)


def _shell(body: str) -> str:
    return f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Đăng nhập — Theo dõi cải cách TTHC</title>
<link rel="stylesheet" href="/assets/bootstrap.min.css"><link rel="stylesheet" href="/assets/zz_app.css"></head>
<body class="bg-light"><main class="container" style="max-width: 420px; padding-top: 12vh">
<h1 class="h4 mb-3">Theo dõi cải cách thủ tục hành chính</h1>
{body}</main></body></html>"""


def _form(nxt: str, alert: str, name: str) -> str:
    return f"""<form method="post" action="{LOGIN}" class="card card-body" id="login-form">
{alert}
<input type="hidden" name="csrf" value="{csrf_token()}"><input type="hidden" name="next" value="{html.escape(nxt)}">
<label class="form-label" for="name">Tên đăng nhập</label>
<input class="form-control mb-2" id="name" name="name" autocomplete="username" required value="{html.escape(name)}">
<label class="form-label" for="password">Mật khẩu</label>
<input class="form-control mb-3" id="password" name="password" type="password" autocomplete="current-password" required>
<button class="btn btn-primary" type="submit">Đăng nhập</button>
</form>"""

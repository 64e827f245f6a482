"""Web hygiene for the Flask server under the Dash app (issue 10): security headers on every
response, errors that never show a stack trace, session cookie defaults, a same-origin check on
state-changing requests and CSRF helpers for plain HTML forms.

``install(app.server, app.csp_hashes())`` once, after every page and clientside callback is
registered (the hashes are those of Dash's inline scripts: its renderer and the clientside
callbacks written as strings). The Content-Security-Policy allows only the app's own origin:
- scripts: 'self' and the inline scripts of those hashes; no 'unsafe-eval' (every page, the map
  included, runs without it in Chromium: tests/test_browser_security.py);
- styles: 'self' 'unsafe-inline' (Dash, plotly and maplibre set inline styles);
- images and workers: 'self' data: blob: (plotly's PNG export; the map's maplibre starts its
  workers from blob: URLs);
- no frames of the app in other sites (frame-ancestors 'none'), no plugins, forms and <base>
  only to the app itself.

Dash callbacks POST JSON: a cross-site HTML form cannot send ``application/json`` (Flask refuses
other bodies), and a script on another site cannot without a CORS preflight that is never
answered; on top of that, a POST/PUT/PATCH/DELETE whose ``Origin`` names another site is
refused. Plain form posts of the app's own routes (the login page) carry ``csrf_token()`` in a
hidden field and check it with ``check_csrf``.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from collections.abc import Callable, Sequence
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, Response, request, session
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

CSRF_KEY = "_csrf_token"
SESSION_HOURS = 8
ERROR_VI = "Đã có lỗi khi xử lý yêu cầu. Vui lòng thử lại; nếu lỗi lặp lại, hãy báo quản trị hệ thống."
ERROR_PAGE = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Lỗi — Theo dõi cải cách TTHC</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1 style="font-size: 1.5rem">Đã có lỗi</h1><p>{message}</p><p><a href="/">Về trang Tổng quan</a></p>
</body></html>"""

PERMISSIONS = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
               "payment=(), usb=(), interest-cohort=()")


def content_security_policy(script_hashes: Sequence[str] = ()) -> str:
    """The policy sent with every response (``script_hashes``: Dash's ``app.csp_hashes()``)."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "child-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{k} {' '.join(v)}" for k, v in directives.items())


def security_headers(script_hashes: Sequence[str] = ()) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(script_hashes),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": PERMISSIONS,
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def _session_hours() -> float:
    raw = os.environ.get("TTHC_SESSION_HOURS", "")
    try:
        hours = float(raw) if raw.strip() else SESSION_HOURS
    except ValueError:
        log.warning("TTHC_SESSION_HOURS=%r is not a number; using %s h", raw, SESSION_HOURS)
        return SESSION_HOURS
    return hours if hours > 0 else SESSION_HOURS


def _foreign_origin() -> bool:
    """Whether a state-changing request names another site as its origin."""
    origin = request.headers.get("Origin")
    if not origin:  # not sent by every client (curl, old browsers): the other defences hold
        return False
    return urlsplit(origin).netloc != request.host  # "null" (an opaque origin) is foreign too


def _is_callback() -> bool:
    return request.path.rsplit("/", 1)[-1] in ("_dash-update-component", "_dash-layout", "_dash-dependencies")


def install(server: Flask, script_hashes: Sequence[str] | Callable[[], Sequence[str]] | None = None) -> None:
    """Headers, error pages, cookie defaults and the origin check on ``server``.
    ``script_hashes``: Dash's ``app.csp_hashes`` (or its result); called on the first response,
    once every page and clientside callback has added its inline script."""
    made: dict[str, dict[str, str]] = {}

    def headers_now() -> dict[str, str]:
        if "h" not in made:
            hashes = script_hashes() if callable(script_hashes) else script_hashes
            made["h"] = security_headers(tuple(hashes or ()))
        return made["h"]

    https = os.environ.get("TTHC_HTTPS", "") == "1"
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=https,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=_session_hours()),
        PROPAGATE_EXCEPTIONS=False,  # exceptions go to the handler below, never to the browser
        TRAP_HTTP_EXCEPTIONS=False,
    )
    if server.debug:
        log.warning("Flask debug mode is on: turn it off in production (stack traces reach the browser)")

    @server.before_request
    def _same_origin() -> Response | None:
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and _foreign_origin():
            log.warning("refused a %s to %s from origin %s", request.method, request.path,
                        request.headers.get("Origin"))
            return Response("Yêu cầu từ trang web khác bị từ chối.", status=403, mimetype="text/plain")
        return None

    @server.after_request
    def _headers(resp: Response) -> Response:
        for k, v in headers_now().items():
            resp.headers.setdefault(k, v)
        if https:
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return resp

    @server.errorhandler(Exception)
    def _error(exc: Exception) -> Response | HTTPException:
        if isinstance(exc, HTTPException) and (exc.code or 500) < 500:
            return exc  # 404, 405 ...: werkzeug's short page, no trace in it
        log.error("error serving %s %s", request.method, request.path, exc_info=exc)
        if _is_callback() or request.accept_mimetypes.best == "application/json":
            return Response(ERROR_VI, status=500, mimetype="text/plain")
        return Response(ERROR_PAGE.format(message=ERROR_VI), status=500, mimetype="text/html")


# --- CSRF for plain HTML forms -----------------------------------------------------------------


def csrf_token() -> str:
    """The token of this session (created on first use) to put in a form's hidden field."""
    token = session.get(CSRF_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return token


def check_csrf(form_value: str | None) -> bool:
    """Whether a posted form's token is this session's (constant-time comparison)."""
    token = session.get(CSRF_KEY)
    return bool(token and form_value) and hmac.compare_digest(str(token).encode(), str(form_value).encode())


def private_folder(path: str) -> str:
    """A folder only this account can read and write (created 0700). The job and page caches
    (diskcache) unpickle what they read, so a folder another account could write would let it
    run code in the server (GHSA-w8v5-vhqr-4h9v): refuse one that is not ours or is open."""
    import stat
    from pathlib import Path

    folder = Path(path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = folder.stat()
    if st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        folder.chmod(0o700)  # ours and nobody else could write it: just close it
        return str(folder)
    if st.st_uid != os.getuid() or st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise RuntimeError(f"Thư mục bộ đệm {folder} không thuộc riêng tài khoản chạy ứng dụng (cần quyền 700); "
                           "hãy xóa nó hoặc đặt TTHC_CACHE_DIR / TTHC_JOBS_DIR sang thư mục khác.")
    return str(folder)

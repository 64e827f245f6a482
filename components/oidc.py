"""Sign-in through an OpenID Connect provider (Keycloak and the like), beside the local accounts,
on when configured by the environment (nothing changes without ``TTHC_OIDC_DISCOVERY_URL``):

- ``/dang-nhap/oidc`` sends the browser to the provider (authorization code flow with state,
  nonce and PKCE S256: Authlib's Flask client does the discovery, the flow and the ID token's
  checks: signature against the provider's JWKS, issuer, audience, expiry, nonce);
- ``/dang-nhap/oidc/callback`` reads the role and the units from the verified ID token's claims,
  creates or refreshes the user ``oidc:<preferred_username>`` (its role and units are the claims'
  at every sign-in, so what the provider revokes is gone at the next one; its password hash is
  random, so it never signs in with a password) and signs it in like the login form does.

Refused (with a Vietnamese message on the login page and an audit row ``login_refused``): no
recognised role, no unit for a role that needs one, units the registry does not know, a user
disabled here (``python -m etl users disable oidc:NAME``), an ID token that does not verify.
"""

from __future__ import annotations

import html
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from flask import Flask, Response, abort, redirect, request, session, url_for
from flask_login import current_user, logout_user

from data import auth
from data.schema import ROLES

log = logging.getLogger(__name__)

START, CALLBACK = "/dang-nhap/oidc", "/dang-nhap/oidc/callback"
NEXT_KEY = "_oidc_next"
BUTTON = "Đăng nhập bằng tài khoản định danh (SSO)"
TIMEOUT = 10  # seconds for each request to the provider (discovery, JWKS, token)


@dataclass(frozen=True)
class Config:
    discovery_url: str
    client_id: str
    client_secret: str
    role_claim: str = "realm_access.roles"
    role_prefix: str = "tthc-"
    units_claim: str = "tthc_units"
    only: bool = False
    scope: str = "openid profile"
    redirect_uri: str = ""


def config() -> Config | None:
    """The provider's settings from the environment; None (no SSO at all) without a discovery URL
    and a client id."""
    env = os.environ.get
    url, client = env("TTHC_OIDC_DISCOVERY_URL", "").strip(), env("TTHC_OIDC_CLIENT_ID", "").strip()
    if not url or not client:
        if url or client:
            log.warning("OpenID Connect is off: set both TTHC_OIDC_DISCOVERY_URL and TTHC_OIDC_CLIENT_ID")
        return None
    return Config(url, client, env("TTHC_OIDC_CLIENT_SECRET", ""),
                  env("TTHC_OIDC_ROLE_CLAIM", "").strip() or "realm_access.roles",
                  env("TTHC_OIDC_ROLE_PREFIX", "tthc-").strip(),
                  env("TTHC_OIDC_UNITS_CLAIM", "").strip() or "tthc_units",
                  env("TTHC_OIDC_ONLY", "") == "1",
                  env("TTHC_OIDC_SCOPE", "").strip() or "openid profile",
                  env("TTHC_OIDC_REDIRECT_URI", "").strip())


# --- claims -> role, units, name ---------------------------------------------------------------


def claim(claims: Mapping, path: str) -> object:
    """The value at a dotted path ("realm_access.roles"); a claim whose own name has dots
    ("https://example.gov.vn/units") is read whole first."""
    if path in claims:
        return claims[path]
    cur: object = claims
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def values(value: object) -> list[str]:
    """A claim as a list of strings: a JSON list, or one string separated by spaces or commas."""
    if isinstance(value, str):
        return [v for v in re.split(r"[\s,]+", value) if v]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if isinstance(v, str | int) and str(v).strip()]
    return []


def role_of(claims: Mapping, cfg: Config) -> str | None:
    """The highest of the roles named ``<prefix><role>`` (``tthc-viewer`` … ``tthc-admin``) in
    the role claim, or None."""
    given = {v.lower() for v in values(claim(claims, cfg.role_claim))}
    found = [r for r in ROLES if f"{cfg.role_prefix}{r}".lower() in given]
    return max(found, key=auth.RANK.__getitem__) if found else None


def name_of(claims: Mapping) -> str | None:
    """``oidc:<preferred_username>`` (or the subject when the name cannot be used), or None."""
    for candidate in (claims.get("preferred_username"), claims.get("sub")):
        if isinstance(candidate, str):
            name = auth.EXTERNAL_PREFIX + candidate.strip()
            if candidate.strip() and len(name) <= 80 and not any(ch.isspace() for ch in name):
                return name
    return None


# --- the routes --------------------------------------------------------------------------------


class Refused(Exception):
    """A sign-in refused: ``message`` for the user (Vietnamese), ``reason`` for the audit log."""

    def __init__(self, reason: str, message: str, name: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.message, self.name = reason, message, name


def button(nxt: str) -> str:
    """The SSO button of the login page: a plain link (a top-level GET navigation, so the CSP's
    ``form-action 'self'`` has nothing to say about the redirect to the provider)."""
    return (f'<a class="btn btn-outline-primary w-100" id="sso-login" '
            f'href="{START}?next={html.escape(quote(nxt, safe="/"))}">{BUTTON}</a>')


def install(server: Flask, engine) -> Config | None:  # noqa: ANN001
    """The two routes (404 when SSO is not configured); returns the configuration."""
    cfg = config()
    client = None
    if cfg is not None:
        from authlib.integrations.flask_client import OAuth

        kwargs = {"scope": cfg.scope, "code_challenge_method": "S256", "default_timeout": TIMEOUT}
        if not cfg.client_secret:  # a public client: PKCE only
            kwargs["token_endpoint_auth_method"] = "none"
        client = OAuth(server).register("tthc", client_id=cfg.client_id, client_secret=cfg.client_secret or None,
                                        server_metadata_url=cfg.discovery_url, client_kwargs=kwargs)

    def _refuse(exc: Refused, nxt: str, sub: str | None = None) -> tuple[str, int]:
        from components.login import _page

        auth.audit(engine, exc.name, "login_refused", {"via": "oidc", "reason": exc.reason, "sub": sub},
                   request.remote_addr)
        if exc.name is not None and current_user.is_authenticated:  # a verified identity refused here:
            logout_user()  # whoever was signed in in this browser is not any more
        return _page(nxt, exc.message, sso=cfg), 403

    @server.route(START)
    def _oidc_start() -> Response | tuple[str, int]:
        from components.login import safe_next

        if client is None:
            abort(404)
        nxt = safe_next(request.args.get("next", "/"))
        session[NEXT_KEY] = nxt
        redirect_uri = cfg.redirect_uri or url_for(
            "_oidc_callback", _external=True, _scheme="https" if os.environ.get("TTHC_HTTPS") == "1" else None)
        try:
            return client.authorize_redirect(redirect_uri)
        except Exception:  # the provider unreachable, a wrong discovery URL ...
            log.warning("OpenID Connect: cannot start the sign-in", exc_info=True)
            return _refuse(Refused("provider_unreachable", "Không kết nối được tới máy chủ định danh. "
                                   "Vui lòng thử lại sau hoặc báo quản trị hệ thống."), nxt)

    @server.route(CALLBACK)
    def _oidc_callback() -> Response | tuple[str, int]:
        from components.login import safe_next, sign_in

        if client is None:
            abort(404)
        nxt = safe_next(session.get(NEXT_KEY, "/"))
        claims: Mapping = {}
        try:
            claims = _verified_claims(client, cfg)
            user = _user_of(engine, claims, cfg)
        except Refused as exc:
            return _refuse(exc, nxt, claims.get("sub") if isinstance(claims.get("sub"), str) else None)
        session.pop(NEXT_KEY, None)
        sign_in(user)
        auth.audit(engine, user.name, "login", {"role": user.role, "units": list(user.unit_codes), "via": "oidc",
                                                "sub": claims.get("sub")}, request.remote_addr)
        return redirect(nxt)

    return cfg


def _verified_claims(client, cfg: Config) -> Mapping:  # noqa: ANN001
    """The claims of the callback's ID token, verified by Authlib (state, PKCE, signature, iss,
    aud, exp, nonce); Refused when anything is missing or wrong."""
    from authlib.integrations.base_client import MismatchingStateError, OAuthError

    if request.args.get("error"):
        raise Refused("provider_error", "Máy chủ định danh không cho đăng nhập "
                      f"({request.args.get('error')}). Vui lòng thử lại.")
    try:
        issuer = client.load_server_metadata().get("issuer")
        if not issuer:
            raise Refused("no_issuer", "Cấu hình máy chủ định danh thiếu “issuer”; hãy báo quản trị hệ thống.")
        options = {"iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": cfg.client_id},
                   "exp": {"essential": True}}
        token = client.authorize_access_token(claims_options=options)
    except Refused:
        raise
    except MismatchingStateError as exc:  # no flow started in this browser, or started twice
        raise Refused("state", "Phiên đăng nhập đã hết hạn, vui lòng thử lại.") from exc
    except OAuthError as exc:
        log.warning("OpenID Connect: token request refused: %s", exc)
        raise Refused("token_error", "Máy chủ định danh từ chối đăng nhập. Vui lòng thử lại.") from exc
    except Exception as exc:  # a signature, issuer, audience, expiry or nonce that does not verify
        log.warning("OpenID Connect: ID token refused: %r", exc)
        raise Refused("invalid_token", "Không xác thực được thông tin đăng nhập từ máy chủ định danh. "
                      "Vui lòng thử lại.") from exc
    claims = token.get("userinfo")
    if not claims:  # no ID token in the answer: nothing verified to sign in with
        raise Refused("no_id_token", "Máy chủ định danh không trả về mã định danh (ID token).")
    return claims


def _user_of(engine, claims: Mapping, cfg: Config) -> auth.User:  # noqa: ANN001
    name = name_of(claims)
    if name is None:
        raise Refused("no_name", "Tài khoản định danh không có tên đăng nhập dùng được.")
    role = role_of(claims, cfg)
    if role is None:
        roles = ", ".join(f"{cfg.role_prefix}{r}" for r in ROLES)
        raise Refused("no_role", "Tài khoản định danh chưa được cấp quyền xem hệ thống theo dõi TTHC "
                      f"(cần một trong các vai trò: {roles}). Hãy liên hệ quản trị hệ thống.", name)
    units = values(claim(claims, cfg.units_claim))
    if role != "admin" and not units:
        raise Refused("no_units", f"Tài khoản định danh vai trò {role} chưa được gán đơn vị "
                      f"(thuộc tính “{cfg.units_claim}”). Hãy liên hệ quản trị hệ thống.", name)
    try:
        return auth.upsert_external(engine, name, role, units, {"sub": claims.get("sub")}, request.remote_addr)
    except auth.DisabledUser as exc:
        raise Refused("disabled", "Tài khoản đã bị khóa trên hệ thống này. Hãy liên hệ quản trị hệ thống.",
                      name) from exc
    except auth.AuthError as exc:  # a unit the registry does not know
        raise Refused("unknown_unit", f"Đơn vị của tài khoản định danh không hợp lệ: {exc}", name) from exc

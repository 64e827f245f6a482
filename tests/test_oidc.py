"""Sign-in through an OpenID Connect provider (components/oidc.py), against a fake Keycloak-like
provider run in this process on a free port (discovery, JWKS of an RSA key made here, an
authorization endpoint that signs in at once, a token endpoint checking PKCE and returning an
RS256 ID token). The app is the real one (its Flask server's test client); the provider is
reached over HTTP by Authlib, as in production."""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import re
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select
from werkzeug.serving import make_server

from components.login import scope_of
from data import auth
from data.db import get_engine
from data.read.registry import registry
from data.schema import audit_log
from tests.conftest import demo_database

CLIENT_ID, CLIENT_SECRET = "tthc-dashboard", "bi-mat-cua-ung-dung"


class FakeProvider:
    """A small OpenID provider: what its next ID token says is set by the test (``claims``,
    ``override``: claims replaced, a None value removes one; ``sign_with``: another key)."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
        self.sign_with: RSAKey | None = None
        self.claims: dict = {}
        self.override: dict = {}
        self.deny = ""  # an error the authorization endpoint answers with
        self.authorize_requests: list[dict] = []
        self.token_requests: list[dict] = []
        self._codes: dict[str, dict] = {}
        app = Flask("fake_oidc")
        app.add_url_rule("/realms/tthc/.well-known/openid-configuration", view_func=self.discovery)
        app.add_url_rule("/realms/tthc/protocol/openid-connect/auth", view_func=self.authorize)
        app.add_url_rule("/realms/tthc/protocol/openid-connect/token", view_func=self.token, methods=["POST"])
        app.add_url_rule("/realms/tthc/protocol/openid-connect/certs", view_func=self.certs)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}/realms/tthc"

    def discovery(self):  # noqa: ANN201
        oidc = f"{self.base}/protocol/openid-connect"
        return jsonify(issuer=self.base, authorization_endpoint=f"{oidc}/auth", token_endpoint=f"{oidc}/token",
                       jwks_uri=f"{oidc}/certs", response_types_supported=["code"],
                       subject_types_supported=["public"], id_token_signing_alg_values_supported=["RS256"],
                       code_challenge_methods_supported=["S256"])

    def certs(self):  # noqa: ANN201
        return jsonify(keys=[{**self.key.as_dict(private=False), "alg": "RS256", "use": "sig"}])

    def authorize(self):  # noqa: ANN201
        args = request.args.to_dict()
        self.authorize_requests.append(args)
        back = args["redirect_uri"]
        if self.deny:
            return redirect(f"{back}?{urlencode({'error': self.deny, 'state': args['state']})}")
        code = secrets.token_urlsafe(16)
        self._codes[code] = args
        return redirect(f"{back}?{urlencode({'code': code, 'state': args['state']})}")

    def token(self):  # noqa: ANN201
        form = request.form.to_dict()
        self.token_requests.append(form)
        asked = self._codes.pop(form.get("code", ""), None)
        basic = base64.b64decode(request.headers.get("Authorization", "Basic ")[6:]).decode()
        if asked is None or basic != f"{CLIENT_ID}:{CLIENT_SECRET}" or form.get("redirect_uri") != asked["redirect_uri"]:
            return jsonify(error="invalid_grant"), 400
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if asked.get("code_challenge_method") != "S256" or challenge != asked.get("code_challenge"):
            return jsonify(error="invalid_grant", error_description="PKCE"), 400
        now = int(time.time())
        claims = {"iss": self.base, "sub": "f3b0c1de-0000-4000-8000-000000000001", "aud": CLIENT_ID,
                  "azp": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": asked.get("nonce"),
                  "preferred_username": "lan", **self.claims}
        for k, v in self.override.items():
            if v is None:
                claims.pop(k, None)
            else:
                claims[k] = v
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.sign_with or self.key)
        return jsonify(access_token=secrets.token_urlsafe(24), token_type="Bearer", expires_in=300,
                       id_token=id_token)


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    p = FakeProvider()
    thread = threading.Thread(target=p.server.serve_forever, daemon=True)
    thread.start()
    yield p
    p.server.shutdown()


@pytest.fixture(autouse=True)
def _fresh_provider(provider: FakeProvider) -> None:
    provider.claims, provider.override, provider.sign_with, provider.deny = {}, {}, None, ""


@pytest.fixture(scope="module")
def db(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return demo_database(template_db, tmp_path_factory.mktemp("oidc"), "11,12", "2025-12")


def _app(monkeypatch: pytest.MonkeyPatch, db: str, provider: FakeProvider | None, **env: str):  # noqa: ANN202
    for k in ("TTHC_OIDC_DISCOVERY_URL", "TTHC_OIDC_CLIENT_ID", "TTHC_OIDC_CLIENT_SECRET", "TTHC_OIDC_ONLY",
              "TTHC_OIDC_ROLE_CLAIM", "TTHC_OIDC_UNITS_CLAIM", "TTHC_OIDC_ROLE_PREFIX", "TTHC_PUBLIC"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("TTHC_DB_URL", db)
    monkeypatch.setenv("TTHC_PAGE_CACHE", "0")
    monkeypatch.setenv("TTHC_SECRET_KEY", "khoa-kiem-thu")
    if provider is not None:
        monkeypatch.setenv("TTHC_OIDC_DISCOVERY_URL", f"{provider.base}/.well-known/openid-configuration")
        monkeypatch.setenv("TTHC_OIDC_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("TTHC_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    module = importlib.reload(sys.modules["app"]) if "app" in sys.modules else importlib.import_module("app")
    return module.server.test_client()


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, db: str, provider: FakeProvider):  # noqa: ANN201
    return _app(monkeypatch, db, provider)


def _sso(client, nxt: str = "/"):  # noqa: ANN001, ANN202
    """The whole round trip as a browser makes it: the SSO button's link, the provider (which
    signs in at once and sends the browser back), the app's callback."""
    r = client.get(f"/dang-nhap/oidc?{urlencode({'next': nxt})}")
    assert r.status_code == 302, r.get_data(as_text=True)
    back = requests.get(r.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302
    url = urlsplit(back.headers["Location"])
    assert url.path == "/dang-nhap/oidc/callback"
    return client.get(f"{url.path}?{url.query}")


def _render(client, path: str, search: str) -> tuple[int, str]:  # noqa: ANN001
    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": search}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    r = client.post("/_dash-update-component", json=body)
    return r.status_code, json.dumps(r.get_json(), ensure_ascii=False) if r.is_json else r.get_data(as_text=True)


def _audit(db: str, action: str) -> list[tuple[str | None, dict]]:
    with get_engine(db).connect() as conn:
        rows = conn.execute(select(audit_log.c.user_name, audit_log.c.detail).where(audit_log.c.action == action)
                            .order_by(audit_log.c.id)).all()
    return [(u, json.loads(d)) for u, d in rows]


def _province(db: str, code: str) -> int:
    units = registry(get_engine(db)).units
    return int(units.index[(units["scheme"] == "2025") & (units["code"] == code) & (units["level"] == "province")][0])


KEYCLOAK_VIEWER = {"realm_access": {"roles": ["offline_access", "uma_authorization", "tthc-viewer"]},
                   "tthc_units": ["11"]}


def test_unconfigured_app_has_no_sso(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    client = _app(monkeypatch, db, None)
    page = client.get("/dang-nhap").get_data(as_text=True)
    assert "SSO" not in page and 'id="login-form"' in page
    assert client.get("/dang-nhap/oidc").status_code == 404
    assert client.get("/dang-nhap/oidc/callback?code=x&state=y").status_code == 404


def test_a_keycloak_viewer_signs_in_scoped_to_their_province(client, db: str, provider: FakeProvider) -> None:  # noqa: ANN001
    page = client.get("/dang-nhap?next=/xep-hang")
    text = page.get_data(as_text=True)
    assert "Đăng nhập bằng tài khoản định danh (SSO)" in text and 'id="login-form"' in text
    # a plain link (a top-level GET), not a form: CSP form-action does not apply to the redirect
    assert 'href="/dang-nhap/oidc?next=/xep-hang"' in text and "<script" not in text
    assert "form-action 'self'" in page.headers["Content-Security-Policy"]
    provider.claims = KEYCLOAK_VIEWER
    r = _sso(client, "/xep-hang")
    assert r.status_code == 302 and r.headers["Location"] == "/xep-hang"
    asked, sent = provider.authorize_requests[-1], provider.token_requests[-1]
    assert asked["code_challenge_method"] == "S256" and asked["nonce"] and asked["state"]  # PKCE, nonce, state
    assert "openid" in asked["scope"].split() and sent["code_verifier"]
    user = auth.get_user(get_engine(db), "oidc:lan")
    assert user.role == "viewer" and user.unit_codes == ("2025:11",) and user.active
    ids, home = scope_of(get_engine(db), user)
    assert _province(db, "11") in ids and _province(db, "12") not in ids and home == "11"
    status, home_page = _render(client, "/", "")
    assert status == 200 and "Tỉnh Điện Biên —" in home_page
    status, other = _render(client, "/xep-hang", "?scheme=legacy&unit=12&period=2024")
    assert status == 200 and "Lai Châu" not in other
    logins = [d for u, d in _audit(db, "login") if u == "oidc:lan"]
    assert logins[-1]["via"] == "oidc" and logins[-1]["role"] == "viewer" and logins[-1]["sub"].startswith("f3b0")
    assert any(u == "định danh (SSO)" and d["name"] == "oidc:lan" for u, d in _audit(db, "user_add"))
    # the account has no password anyone knows, and the password form refuses it anyway
    with get_engine(db).connect() as conn:
        stored = conn.execute(select(auth.app_user.c.password_hash).where(auth.app_user.c.name == "oidc:lan")).scalar()
    assert stored.startswith("scrypt:")
    assert auth.verify(get_engine(db), "oidc:lan", "") is None


def test_role_and_units_follow_the_claims_at_each_sign_in(client, db: str, provider: FakeProvider) -> None:  # noqa: ANN001
    provider.override = {"preferred_username": "minh"}
    provider.claims = {"realm_access": {"roles": ["tthc-viewer", "tthc-analyst"]}, "tthc_units": "legacy:12"}
    assert _sso(client).status_code == 302
    user = auth.get_user(get_engine(db), "oidc:minh")
    assert user.role == "analyst" and user.unit_codes == ("legacy:12",)  # the highest role; a legacy code
    status, text = _render(client, "/xep-hang", "?scheme=legacy&unit=12&level=commune&period=2024")
    assert "Tỉnh Lai Châu" in text and "Điện Biên" not in text
    provider.claims = {"realm_access": {"roles": ["tthc-reporter"]}, "tthc_units": "11 2025:12"}
    assert _sso(client).status_code == 302
    user = auth.get_user(get_engine(db), "oidc:minh")
    assert user.role == "reporter" and set(user.unit_codes) == {"2025:11", "2025:12"}
    # the role revoked in the provider: refused at the next sign-in, and not signed in
    provider.claims = {"realm_access": {"roles": ["admin", "offline_access"]}, "tthc_units": ["11"]}
    r = _sso(client)
    assert r.status_code == 403 and "chưa được cấp quyền" in r.get_data(as_text=True)
    assert _render(client, "/", "")[0] == 401


def test_a_token_without_a_role_is_refused_in_vietnamese(client, db: str, provider: FakeProvider) -> None:  # noqa: ANN001
    provider.override = {"preferred_username": "khach"}
    provider.claims = {"realm_access": {"roles": ["offline_access"]}, "tthc_units": ["11"]}
    r = _sso(client)
    text = r.get_data(as_text=True)
    assert r.status_code == 403 and "Tài khoản định danh chưa được cấp quyền" in text and "tthc-viewer" in text
    assert "Traceback" not in text and auth.get_user(get_engine(db), "oidc:khach") is None
    assert _render(client, "/", "")[0] == 401
    assert ("oidc:khach", {"via": "oidc", "reason": "no_role", "sub": "f3b0c1de-0000-4000-8000-000000000001"}) \
        in _audit(db, "login_refused")


@pytest.mark.parametrize(("claims", "reason", "message"), [
    ({"realm_access": {"roles": ["tthc-viewer"]}}, "no_units", "chưa được gán đơn vị"),
    ({"realm_access": {"roles": ["tthc-viewer"]}, "tthc_units": ["99"]}, "unknown_unit", "Không có đơn vị mã “99”"),
])
def test_units_missing_or_unknown_are_refused(client, db: str, provider: FakeProvider, claims: dict,  # noqa: ANN001
                                              reason: str, message: str) -> None:
    provider.override = {"preferred_username": f"dv-{reason}"}
    provider.claims = claims
    r = _sso(client)
    assert r.status_code == 403 and message in r.get_data(as_text=True)
    assert auth.get_user(get_engine(db), f"oidc:dv-{reason}") is None
    assert any(u == f"oidc:dv-{reason}" and d["reason"] == reason for u, d in _audit(db, "login_refused"))


def test_an_account_disabled_here_cannot_sign_in_by_sso(client, db: str, provider: FakeProvider) -> None:  # noqa: ANN001
    provider.override = {"preferred_username": "hoa"}
    provider.claims = KEYCLOAK_VIEWER
    assert _sso(client).status_code == 302
    client.post("/dang-xuat", data={"csrf": re.search(r'name="csrf" value="([^"]+)"',
                                                      client.get("/dang-nhap").get_data(as_text=True)).group(1)})
    auth.set_active(get_engine(db), "oidc:hoa", False, by="dòng lệnh")  # etl users disable oidc:hoa
    r = _sso(client)
    assert r.status_code == 403 and "đã bị khóa" in r.get_data(as_text=True)
    assert _render(client, "/", "")[0] == 401
    assert not auth.get_user(get_engine(db), "oidc:hoa").active  # the sign-in did not enable it again
    assert any(u == "oidc:hoa" and d["reason"] == "disabled" for u, d in _audit(db, "login_refused"))


@pytest.mark.parametrize("tamper", ["nonce", "iss", "aud", "exp", "signature", "no_nonce"])
def test_an_id_token_that_does_not_verify_is_refused(client, db: str, provider: FakeProvider, tamper: str) -> None:  # noqa: ANN001
    provider.claims = KEYCLOAK_VIEWER
    provider.override = {"preferred_username": f"gia-{tamper}", **{
        "nonce": {"nonce": "not-the-nonce-we-sent"},
        "iss": {"iss": "http://127.0.0.1:1/realms/other"},
        "aud": {"aud": "another-client", "azp": "another-client"},
        "exp": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000},
        "no_nonce": {"nonce": None},
        "signature": {},
    }[tamper]}
    if tamper == "signature":  # the same key id, another key
        provider.sign_with = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    r = _sso(client)
    text = r.get_data(as_text=True)
    assert r.status_code == 403 and "Không xác thực được thông tin đăng nhập" in text and "Traceback" not in text
    assert auth.get_user(get_engine(db), f"oidc:gia-{tamper}") is None
    assert _render(client, "/", "")[0] == 401
    assert _audit(db, "login_refused")[-1][1]["reason"] == "invalid_token"


def test_the_audience_must_name_this_client_even_with_azp(client, provider: FakeProvider) -> None:  # noqa: ANN001
    provider.claims = KEYCLOAK_VIEWER
    provider.override = {"aud": ["account"], "azp": CLIENT_ID}  # issued to us, meant for another
    assert _sso(client).status_code == 403
    provider.override = {"aud": ["account", CLIENT_ID], "azp": CLIENT_ID}  # Keycloak's usual shape
    assert _sso(client).status_code == 302


def test_a_callback_replayed_or_without_a_flow_is_refused(client, provider: FakeProvider) -> None:  # noqa: ANN001
    provider.claims = KEYCLOAK_VIEWER
    r = client.get(f"/dang-nhap/oidc?{urlencode({'next': '/'})}")
    back = requests.get(r.headers["Location"], allow_redirects=False, timeout=10).headers["Location"]
    url = urlsplit(back)
    assert client.get(f"{url.path}?{url.query}").status_code == 302
    again = client.get(f"{url.path}?{url.query}")  # the same code and state a second time
    assert again.status_code == 403 and "Phiên đăng nhập đã hết hạn" in again.get_data(as_text=True)
    forged = client.get("/dang-nhap/oidc/callback?code=abc&state=xyz")
    assert forged.status_code == 403


def test_the_provider_saying_no_is_shown(client, provider: FakeProvider) -> None:  # noqa: ANN001
    provider.deny = "access_denied"
    r = _sso(client)
    assert r.status_code == 403 and "Máy chủ định danh không cho đăng nhập (access_denied)" in r.get_data(as_text=True)


@pytest.mark.parametrize("nxt", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_only_local_paths_after_sso(client, provider: FakeProvider, nxt: str) -> None:  # noqa: ANN001
    provider.claims = KEYCLOAK_VIEWER
    r = _sso(client, nxt)
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_sso_only_hides_and_refuses_the_password_form(monkeypatch: pytest.MonkeyPatch, db: str,
                                                      provider: FakeProvider) -> None:
    from tests.conftest import TEST_PASSWORD, TEST_USER

    client = _app(monkeypatch, db, provider, TTHC_OIDC_ONLY="1")
    page = client.get("/dang-nhap").get_data(as_text=True)
    assert "(SSO)" in page and 'id="login-form"' not in page and 'type="password"' not in page
    r = client.post("/dang-nhap", data={"name": TEST_USER, "password": TEST_PASSWORD, "next": "/"})
    assert r.status_code == 403 and "Đăng nhập bằng mật khẩu đã tắt" in r.get_data(as_text=True)
    assert _render(client, "/", "")[0] == 401


def test_the_password_form_still_works_beside_sso(client) -> None:  # noqa: ANN001
    from tests.conftest import TEST_PASSWORD, TEST_USER

    def post(password: str):  # noqa: ANN202
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/dang-nhap").get_data(as_text=True)).group(1)
        return client.post("/dang-nhap", data={"name": TEST_USER, "password": password, "csrf": token, "next": "/"})

    wrong = post("khong-phai-mat-khau").get_data(as_text=True)
    assert "không đúng" in wrong and "(SSO)" in wrong  # the form again, the SSO button still there
    assert post(TEST_PASSWORD).status_code == 302 and _render(client, "/", "")[0] == 200


def test_an_unreachable_provider_is_a_message(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    from tests.conftest import _free_port

    client = _app(monkeypatch, db, None, TTHC_OIDC_CLIENT_ID=CLIENT_ID, TTHC_OIDC_DISCOVERY_URL=(
        f"http://127.0.0.1:{_free_port()}/realms/tthc/.well-known/openid-configuration"))
    r = client.get("/dang-nhap/oidc")
    assert r.status_code == 403 and "Không kết nối được tới máy chủ định danh" in r.get_data(as_text=True)


def test_local_commands_keep_off_the_sso_names(db: str) -> None:
    with pytest.raises(auth.AuthError, match="tài khoản định danh"):
        auth.add_user(get_engine(db), "oidc:gia", "admin", "mot-mat-khau-du-dai")
    with pytest.raises(auth.AuthError, match="không đăng nhập bằng mật khẩu"):
        auth.set_password(get_engine(db), "oidc:lan", "mot-mat-khau-du-dai")


def test_claim_paths_and_values() -> None:
    from components import oidc

    cfg = oidc.Config("u", CLIENT_ID, "", role_claim="resource_access.tthc-dashboard.roles", role_prefix="")
    claims = {"resource_access": {"tthc-dashboard": {"roles": ["viewer", "admin"]}}, "https://x.vn/dv": "11, 12"}
    assert oidc.role_of(claims, cfg) == "admin"  # plain names with an empty prefix; the highest
    assert oidc.values(oidc.claim(claims, "https://x.vn/dv")) == ["11", "12"]
    assert oidc.role_of({"realm_access": {"roles": "tthc-admin"}}, oidc.Config("u", "c", "")) == "admin"
    assert oidc.name_of({"preferred_username": "có dấu cách", "sub": "abc"}) == "oidc:abc"


@pytest.mark.browser
def test_sso_round_trip_in_chromium_under_the_csp(db: str, provider: FakeProvider) -> None:
    """Chromium follows the SSO link to the provider (another site: the app is on ``localhost``,
    the provider on ``127.0.0.1``) and back, under the app's CSP and SameSite=Lax cookie, on the
    production server with two workers (the flow's state travels in the signed session cookie)."""
    from tests.test_browser import _start_app, browser, new_page  # noqa: F401 (browser: the fixture)

    provider.claims = KEYCLOAK_VIEWER
    provider.override = {"preferred_username": "trinh"}
    proc, base = _start_app(db, TTHC_OIDC_DISCOVERY_URL=f"{provider.base}/.well-known/openid-configuration",
                            TTHC_OIDC_CLIENT_ID=CLIENT_ID, TTHC_OIDC_CLIENT_SECRET=CLIENT_SECRET)
    base = base.replace("127.0.0.1", "localhost")
    try:
        from playwright.sync_api import sync_playwright

        from tests.test_browser import CHROMIUM

        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            context, page = new_page(b)
            page.goto(base + "/dang-nhap?next=/xep-hang")
            with page.expect_navigation(url=f"{base}/xep-hang"):
                page.click("#sso-login")
            page.wait_for_selector("text=Điện Biên >> visible=true", timeout=60000)
            assert page.console_errors == []  # no CSP violation on the way
            context.close()
            b.close()
    finally:
        proc.terminate()
        proc.wait(10)
    assert auth.get_user(get_engine(db), "oidc:trinh").role == "viewer"

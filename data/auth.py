"""Users, roles, unit scopes and the audit log (issue 10). No web code here: the app (app.py,
components/access.py) and the command line (``python -m etl users``) both use these functions.

Roles, each including the one before:
- ``viewer``: reads its units and everything below them;
- ``reporter``: also uploads files for its units;
- ``analyst``: every unit of its province(s), findings, targets, locks;
- ``admin``: users, every unit, replacing a locked period.

A user is scoped to one or more units (official codes with their scheme); an admin with no unit
sees everything. Passwords are hashed with werkzeug's scrypt (the hash names its method and
salt); nothing else about a password is stored.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, insert, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from data.schema import ROLES, app_user, audit_log, unit, user_unit

HASH_METHOD = "scrypt"
MIN_PASSWORD = 10
RANK = {r: i for i, r in enumerate(ROLES)}


EXTERNAL_PREFIX = "oidc:"  # users signed in by the identity provider (components/oidc.py); no password


class AuthError(ValueError):
    """A refused user operation, with its message in Vietnamese."""


class DisabledUser(AuthError):
    """The account exists here and is disabled."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    active: bool
    unit_ids: tuple[int, ...] = ()  # the units the user is scoped to (empty: everything, admins)
    unit_codes: tuple[str, ...] = field(default=())  # "2025:11" style, for display

    def can(self, role: str) -> bool:
        """Whether the user has at least ``role``."""
        return RANK[self.role] >= RANK[role]

    @property
    def unrestricted(self) -> bool:
        return self.role == "admin" and not self.unit_ids


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.")
    return generate_password_hash(password, method=HASH_METHOD)


def random_password() -> str:
    return secrets.token_urlsafe(15)


def _unit_ids(conn: Connection, codes: list[str]) -> list[int]:
    """Unit ids of codes written as CODE (2025 scheme), or SCHEME:CODE ("legacy:094")."""
    out = []
    for c in codes:
        scheme, code = c.split(":", 1) if ":" in c else ("2025", c)
        level = {2: "province", 3: "district", 5: "commune"}.get(len(code))
        hit = conn.execute(select(unit.c.id).where(unit.c.scheme == scheme, unit.c.code == code,
                                                   unit.c.level == level)).scalar()
        if hit is None:
            raise AuthError(f"Không có đơn vị mã “{code}” trong hệ {'trước' if scheme == 'legacy' else 'từ'} "
                            "01/07/2025.")
        out.append(int(hit))
    return out


def _load(conn: Connection, row) -> User:  # noqa: ANN001
    units = conn.execute(select(unit.c.id, unit.c.scheme, unit.c.code).join(user_unit, user_unit.c.unit_id == unit.c.id)
                         .where(user_unit.c.user_id == row.id).order_by(unit.c.id)).all()
    return User(int(row.id), row.name, row.role, bool(row.active), tuple(int(u.id) for u in units),
                tuple(f"{u.scheme}:{u.code}" for u in units))


def get_user(engine: Engine, name: str | None = None, user_id: int | None = None) -> User | None:
    with engine.connect() as conn:
        q = select(app_user)
        q = q.where(app_user.c.name == name) if name is not None else q.where(app_user.c.id == user_id)
        row = conn.execute(q).first()
        return _load(conn, row) if row is not None else None


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        return [_load(conn, r) for r in conn.execute(select(app_user).order_by(app_user.c.name))]


def add_user(engine: Engine, name: str, role: str, password: str, units: list[str] | None = None,
             by: str | None = None, ip: str | None = None) -> User:
    """A new active user; ``units``: codes ("11", "legacy:094"). Every role but admin needs one."""
    name = name.strip()
    if not name or len(name) > 80 or any(ch.isspace() for ch in name):
        raise AuthError("Tên đăng nhập không được trống, không có dấu cách, tối đa 80 ký tự.")
    if name.startswith(EXTERNAL_PREFIX):
        raise AuthError(f"Tên bắt đầu bằng “{EXTERNAL_PREFIX}” dành cho tài khoản định danh (SSO).")
    if role not in ROLES:
        raise AuthError(f"Vai trò “{role}” không có; chọn một trong: {', '.join(ROLES)}.")
    if role != "admin" and not units:
        raise AuthError(f"Người dùng vai trò {role} cần ít nhất một đơn vị (--unit MÃ).")
    now = datetime.now()
    with engine.begin() as conn:
        if conn.execute(select(app_user.c.id).where(app_user.c.name == name)).first():
            raise AuthError(f"Đã có người dùng “{name}”.")
        ids = _unit_ids(conn, units or [])
        uid = conn.execute(insert(app_user).values(name=name, password_hash=hash_password(password), role=role,
                                                   active=True, created_at=now, password_changed_at=now)
                           .returning(app_user.c.id)).scalar_one()
        for i in ids:
            conn.execute(insert(user_unit).values(user_id=uid, unit_id=i))
        write_audit(conn, by, "user_add", {"name": name, "role": role, "units": units or []}, ip)
    return get_user(engine, name)  # type: ignore[return-value]


def set_password(engine: Engine, name: str, password: str, by: str | None = None, ip: str | None = None) -> None:
    if name.startswith(EXTERNAL_PREFIX):
        raise AuthError("Tài khoản định danh (SSO) không đăng nhập bằng mật khẩu.")
    with engine.begin() as conn:
        n = conn.execute(update(app_user).where(app_user.c.name == name).values(
            password_hash=hash_password(password), password_changed_at=datetime.now())).rowcount
        if not n:
            raise AuthError(f"Không có người dùng “{name}”.")
        write_audit(conn, by, "user_passwd", {"name": name}, ip)


def set_active(engine: Engine, name: str, active: bool, by: str | None = None, ip: str | None = None) -> None:
    with engine.begin() as conn:
        n = conn.execute(update(app_user).where(app_user.c.name == name).values(active=active)).rowcount
        if not n:
            raise AuthError(f"Không có người dùng “{name}”.")
        write_audit(conn, by, "user_enable" if active else "user_disable", {"name": name}, ip)


def verify(engine: Engine, name: str, password: str) -> User | None:
    """The active user with this name and password, or None (same answer for every failure)."""
    with engine.connect() as conn:
        row = conn.execute(select(app_user).where(app_user.c.name == name)).first()
        if row is None or name.startswith(EXTERNAL_PREFIX):  # SSO accounts have no password
            check_password_hash(_DUMMY, password)  # the same time whether or not the name exists
            return None
        if not row.active or not check_password_hash(row.password_hash, password):
            return None
        return _load(conn, row)


def upsert_external(engine: Engine, name: str, role: str, units: list[str], detail: dict | None = None,
                    ip: str | None = None) -> User:
    """The account of a user signed in by the identity provider, created or refreshed with the
    role and units of its claims (so what the provider revokes is gone at the next sign-in). A new
    account gets a random password hash nobody knows. Raises DisabledUser for an account disabled
    here, AuthError for a unit the registry does not know (nothing is changed then)."""
    if not name.startswith(EXTERNAL_PREFIX) or role not in ROLES:
        raise AuthError(f"Tài khoản định danh không hợp lệ: “{name}”, vai trò “{role}”.")
    now = datetime.now()
    with engine.begin() as conn:
        row = conn.execute(select(app_user).where(app_user.c.name == name)).first()
        if row is not None and not row.active:
            raise DisabledUser(f"Người dùng “{name}” đã bị khóa.")
        ids = _unit_ids(conn, units)
        if row is None:
            uid = conn.execute(insert(app_user).values(
                name=name, password_hash=generate_password_hash(secrets.token_urlsafe(32), method=HASH_METHOD),
                role=role, active=True, created_at=now, password_changed_at=now).returning(app_user.c.id)).scalar_one()
            write_audit(conn, "định danh (SSO)", "user_add", {"name": name, "role": role, "units": units,
                                                               **(detail or {})}, ip)
        else:
            uid = row.id
            conn.execute(update(app_user).where(app_user.c.id == uid).values(role=role))
            conn.execute(delete(user_unit).where(user_unit.c.user_id == uid))
        for i in dict.fromkeys(ids):  # once each, in the claim's order
            conn.execute(insert(user_unit).values(user_id=uid, unit_id=i))
    return get_user(engine, name)  # type: ignore[return-value]


_DUMMY = generate_password_hash("không-phải-mật-khẩu", method=HASH_METHOD)


def ensure_admin(engine: Engine) -> str | None:
    """On a database without any administrator: create ``admin`` with a random password and
    return it (to print once); None when there is one."""
    with engine.connect() as conn:
        if conn.execute(select(app_user.c.id).where(app_user.c.role == "admin").limit(1)).first() is not None:
            return None
        if conn.execute(select(app_user.c.id).where(app_user.c.name == "admin")).first() is not None:
            return None  # a user named admin exists with another role: the operator's choice
    password = random_password()
    add_user(engine, "admin", "admin", password, by="hệ thống")
    return password


def remove_units(engine: Engine, name: str) -> None:  # for tests and the users command
    with engine.begin() as conn:
        uid = conn.execute(select(app_user.c.id).where(app_user.c.name == name)).scalar()
        if uid is not None:
            conn.execute(delete(user_unit).where(user_unit.c.user_id == uid))


# --- the audit log -----------------------------------------------------------------------------


def write_audit(conn: Connection, user: str | None, action: str, detail: dict | str,
                ip: str | None = None) -> None:
    """One audit row in the caller's transaction (so an action and its record land together)."""
    text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False, default=str)
    conn.execute(insert(audit_log).values(at=datetime.now(), user_name=user, action=action, detail=text, ip=ip))


def audit(engine: Engine, user: str | None, action: str, detail: dict | str, ip: str | None = None) -> None:
    with engine.begin() as conn:
        write_audit(conn, user, action, detail, ip)


def recent_failures(engine: Engine, name: str, ip: str | None, since: datetime) -> int:
    """Failed logins for this name or from this address since ``since`` (the rate limit)."""
    from sqlalchemy import func, or_

    cond = [audit_log.c.action == "login_failed", audit_log.c.at >= since]
    who = [audit_log.c.user_name == name] + ([audit_log.c.ip == ip] if ip else [])
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log).where(*cond, or_(*who))).scalar_one())

"""Who is asking: the signed-in user of the current request (Flask-Login) and what the role
allows. Pages and callbacks check roles here; what data a user may read is enforced below them,
in the query layer (data/read/scope.py). Components never query."""

from __future__ import annotations

from data.auth import User


def current_user() -> User | None:
    """The signed-in user of this request (None outside a request or when nobody is signed in)."""
    try:
        from flask import has_request_context
        from flask_login import current_user as proxy
    except ImportError:  # pragma: no cover
        return None
    if not has_request_context() or not getattr(proxy, "is_authenticated", False):
        return None
    return proxy.user  # type: ignore[attr-defined]


def has_role(role: str) -> bool:
    user = current_user()
    return user is not None and user.active and user.can(role)


def user_name() -> str | None:
    user = current_user()
    return user.name if user else None


def client_ip() -> str | None:
    from flask import has_request_context, request

    return request.remote_addr if has_request_context() else None

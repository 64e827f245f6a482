"""The audit log as users read it (the admin's page "Nhật ký", its CSV download): newest first,
filtered by action, user and day. SELECT only; rows are written by data.auth.write_audit in the
transaction of the action they record."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import Engine, distinct, select

from data.schema import audit_log

COLUMNS = ["id", "at", "user_name", "action", "detail", "ip"]

ACTION_VI = {  # how each action is named on the page ('' falls back to the code)
    "login": "Đăng nhập", "login_failed": "Đăng nhập sai", "logout": "Đăng xuất",
    "user_add": "Thêm người dùng", "user_passwd": "Đổi mật khẩu", "user_enable": "Mở khóa người dùng",
    "user_disable": "Khóa người dùng", "target_set": "Đặt mục tiêu", "target_end": "Kết thúc mục tiêu",
    "target_delete": "Xóa mục tiêu", "upload_preview": "Xem trước tệp", "upload_confirm": "Xác nhận nạp",
    "upload_refused": "Nạp bị từ chối", "rollback": "Hoàn tác lô", "lock": "Khóa kỳ", "unlock": "Mở khóa kỳ",
    "login_blocked": "Đăng nhập bị chặn", "login_refused": "Đăng nhập SSO bị từ chối",
}


def action_label(action: str) -> str:
    return ACTION_VI.get(action, action)


def audit_rows(engine: Engine, action: str | None = None, user: str | None = None, since: date | None = None,
               until: date | None = None, limit: int | None = None) -> pd.DataFrame:
    """Audit rows newest first: id, at, user_name, action, detail (JSON text), ip; ``since`` and
    ``until`` are days, both included; ``limit``: at most that many rows."""
    q = select(*[audit_log.c[c] for c in COLUMNS]).order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
    if action:
        q = q.where(audit_log.c.action == action)
    if user:
        q = q.where(audit_log.c.user_name == user)
    if since:
        q = q.where(audit_log.c.at >= datetime.combine(since, time.min))
    if until:
        q = q.where(audit_log.c.at < datetime.combine(until + timedelta(days=1), time.min))
    if limit:
        q = q.limit(int(limit))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).all(), columns=COLUMNS)


def audit_choices(engine: Engine) -> tuple[list[str], list[str]]:
    """(the actions, the user names) found in the log, for the page's filters."""
    with engine.connect() as conn:
        actions = sorted(a for a in conn.execute(select(distinct(audit_log.c.action))).scalars() if a)
        users = sorted(u for u in conn.execute(select(distinct(audit_log.c.user_name))).scalars() if u)
    return actions, users


def audit_csv(df: pd.DataFrame) -> str:
    """The rows as CSV text (the page sends it with a BOM so spreadsheet programs read the
    accents): the time in ISO form, user, action code and name, detail (JSON), IP address."""
    out = pd.DataFrame({"Thời điểm": df["at"].map(lambda t: t.isoformat(sep=" ", timespec="seconds")),
                        "Người dùng": df["user_name"].fillna(""), "Mã hành động": df["action"],
                        "Hành động": df["action"].map(action_label), "Chi tiết": df["detail"],
                        "Địa chỉ IP": df["ip"].fillna("")})
    return out.to_csv(index=False, lineterminator="\n")

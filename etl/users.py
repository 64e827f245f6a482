"""``python -m etl users add|list|disable|enable|passwd``: the dashboard's users (issue 10).

    python -m etl users add NAME --role viewer|reporter|analyst|admin [--unit CODE ...] [--password-stdin]
    python -m etl users list
    python -m etl users disable NAME | enable NAME
    python -m etl users passwd NAME [--password-stdin]

A unit is an official code of the 2025 system ("11", "01234") or SCHEME:CODE ("legacy:094").
Without ``--password-stdin`` the password is asked twice on the terminal (not echoed); with it,
the first line of standard input is the password (scripts and tests). Every change is written
to the audit log as made by "dòng lệnh".
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import Engine

from data import auth
from data.schema import ROLES

BY = "dòng lệnh"


def add_parser(sub: argparse._SubParsersAction, add_db) -> None:  # noqa: ANN001
    p = sub.add_parser("users", help="Quản lý người dùng của bảng điều khiển")
    users = p.add_subparsers(dest="users_command", required=True)
    a = users.add_parser("add", help="Thêm người dùng")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=ROLES)
    a.add_argument("--unit", action="append", default=[], help="Mã đơn vị (lặp lại được); hệ cũ: legacy:MÃ")
    a.add_argument("--password-stdin", action="store_true", help="Đọc mật khẩu từ dòng đầu của stdin")
    add_db(a)
    ls = users.add_parser("list", help="Liệt kê người dùng")
    add_db(ls)
    for name, text in (("disable", "Khóa người dùng"), ("enable", "Mở khóa người dùng")):
        d = users.add_parser(name, help=text)
        d.add_argument("name")
        add_db(d)
    pw = users.add_parser("passwd", help="Đổi mật khẩu")
    pw.add_argument("name")
    pw.add_argument("--password-stdin", action="store_true")
    add_db(pw)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mật khẩu: ")
    if first != getpass.getpass("Nhập lại mật khẩu: "):
        raise auth.AuthError("Hai lần nhập mật khẩu không khớp.")
    return first


def run(engine: Engine, args: argparse.Namespace) -> int:
    try:
        if args.users_command == "add":
            user = auth.add_user(engine, args.name, args.role, _password(args.password_stdin), args.unit, by=BY)
            print(f"Đã thêm người dùng {user.name} ({user.role}; đơn vị: {', '.join(user.unit_codes) or 'tất cả'}).",
                  file=sys.stderr)
        elif args.users_command == "list":
            print("name,role,active,units")
            for u in auth.list_users(engine):
                print(f"{u.name},{u.role},{'yes' if u.active else 'no'},{' '.join(u.unit_codes)}")
        elif args.users_command in ("disable", "enable"):
            auth.set_active(engine, args.name, args.users_command == "enable", by=BY)
            print(f"Đã {'mở khóa' if args.users_command == 'enable' else 'khóa'} người dùng {args.name}.",
                  file=sys.stderr)
        elif args.users_command == "passwd":
            auth.set_password(engine, args.name, _password(args.password_stdin), by=BY)
            print(f"Đã đổi mật khẩu của {args.name}.", file=sys.stderr)
    except auth.AuthError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    return 0

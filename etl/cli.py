"""``python -m etl <command> [--db URL]``: init, seed, demo, load, rebuild, metrics, findings,
targets, users, batches, rollback, lock, unlock."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from data.db import default_url, describe, get_engine, upgrade


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, help="SQLAlchemy URL (mặc định: $TTHC_DB_URL hoặc data/tthc.sqlite)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m etl", description="Nạp và kiểm tra số liệu TTHC.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="Tạo/nâng cấp lược đồ, nạp danh mục đơn vị hành chính và cơ quan")
    _add_db(p)

    p = sub.add_parser("seed", help="Nạp số liệu thật từ các tài liệu nguồn (shared/seeds)")
    _add_db(p)

    p = sub.add_parser("demo", help="Sinh dữ liệu minh họa (tất định)")
    _add_db(p)
    p.add_argument("--provinces", default="default",
                   help="'default' (các tỉnh có tài liệu nguồn và lân cận), 'all' (toàn quốc) hoặc danh sách mã tỉnh cũ, ví dụ 11,12,45")
    p.add_argument("--seed", type=int, default=2025, help="Hạt giống ngẫu nhiên")
    p.add_argument("--until", default=None, help="Tháng cuối cùng (YYYY-MM); mặc định: tháng đầy đủ gần nhất")

    p = sub.add_parser("load", help="Nạp tệp CSV/XLSX (mẫu của dự án, Biểu số 06/VPCP/KSTT) hoặc tệp của Cổng "
                                    "DVCQG (Chỉ số 766: JSON, bản chụp của fetch766, tệp Excel)")
    _add_db(p)
    p.add_argument("files", nargs="+")
    p.add_argument("--period", help="Kỳ số liệu khi tệp của Cổng DVCQG không ghi: 2026, 2026-Q3, 2025-10")
    p.add_argument("--as-of", dest="as_of", help="Ngày chụp số liệu khi tệp không ghi: dd/mm/yyyy hoặc yyyy-mm-dd")
    p.add_argument("--admin-override", action="store_true",
                   help="Quản trị viên: cho phép thay thế số liệu của kỳ đã khóa")

    p = sub.add_parser("rebuild", help="Tổng hợp lại toàn bộ số liệu tổng hợp từ số liệu gốc và báo khác biệt")
    _add_db(p)

    p = sub.add_parser("metrics", help="In các chỉ số (CSV)")
    _add_db(p)
    p.add_argument("--unit", help="Mã hoặc tên đơn vị/cơ quan")
    p.add_argument("--level", help="province | district | commune | department")
    p.add_argument("--period", help="2026-Q1, 2025-H1, 2020-9M, 2024, 2024-03, 2017-2019 ...")
    p.add_argument("--metric", help="Mã chỉ số, ví dụ postal_intake_share")
    p.add_argument("--scheme", help="legacy | 2025")

    p = sub.add_parser("scores", help="In điểm Chỉ số 766 (CSV): tổng điểm và sáu nhóm, hạng, nguồn")
    _add_db(p)
    p.add_argument("--unit", help="Mã đơn vị, mã Cổng DVCQG (H44, H44.01) hoặc tên đầy đủ")
    p.add_argument("--period", help="2026, 2026-Q3, 2026-08 ...")
    p.add_argument("--level", help="province | department | commune")
    p.add_argument("--scheme", help="legacy | 2025")

    p = sub.add_parser("portal-codes", help="Bảng mã điện tử của Cổng DVCQG và đơn vị/cơ quan tương ứng; sửa ghép mã")
    _add_db(p)
    p.add_argument("action", choices=("list", "set"), nargs="?", default="list")
    p.add_argument("code", nargs="?", help="Mã của Cổng (với set), ví dụ H44.129")
    p.add_argument("--scheme", choices=("legacy", "2025"), default="2025")
    p.add_argument("--unit", help="Với set: mã đơn vị (Tổng cục Thống kê) mà mã của Cổng chỉ tới")
    p.add_argument("--agency", help="Với set: tên cơ quan trong danh mục mà mã của Cổng chỉ tới")

    p = sub.add_parser("fetch766", help="Tải số liệu Chỉ số 766 từ Cổng DVCQG, lưu bản chụp và nạp")
    _add_db(p)
    p.add_argument("--year", type=int, required=True)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quarter", type=int, choices=(1, 2, 3, 4))
    g.add_argument("--month", type=int, choices=range(1, 13), metavar="1..12")
    p.add_argument("--province", action="append", default=None,
                   help="Mã tỉnh (Tổng cục Thống kê, ví dụ 11) hoặc mã Cổng (H44); có thể lặp; mặc định: chỉ bảng toàn quốc")
    p.add_argument("--base-url", default="https://dichvucong.gov.vn", help="Địa chỉ Cổng DVCQG")
    p.add_argument("--out", default=None, help="Thư mục lưu bản chụp (mặc định data/captures)")
    p.add_argument("--interval", type=float, default=1.0, help="Khoảng nghỉ tối thiểu giữa hai lần gọi (giây)")
    p.add_argument("--timeout", type=float, default=20.0, help="Thời gian chờ mỗi lần gọi (giây)")
    p.add_argument("--retries", type=int, default=3, help="Số lần thử lại khi lỗi mạng, 429 hoặc 5xx")

    p = sub.add_parser("findings", help="In kết quả kiểm tra dữ liệu (CSV)")
    _add_db(p)
    p.add_argument("--batch", type=int, help="Chỉ lô này")

    p = sub.add_parser("targets", help="In các mục tiêu: mặc định quốc gia, theo tài liệu, đặt trên trang Mục tiêu (CSV)")
    _add_db(p)
    p.add_argument("--on", help="Ngày xét còn hiệu lực (YYYY-MM-DD, mặc định hôm nay)")
    p.add_argument("--in-force", action="store_true", help="Chỉ in các mục tiêu còn hiệu lực vào ngày đó")
    from etl import users

    users.add_parser(sub, _add_db)

    p = sub.add_parser("batches", help="Lịch sử các lô số liệu: tệp, người nạp, thời điểm, số dòng, trạng thái")
    _add_db(p)

    p = sub.add_parser("rollback", help="Hoàn tác một lô số liệu: lô nó đã thay thế được dùng lại")
    _add_db(p)
    p.add_argument("batch", type=int, help="Số lô (xem python -m etl batches)")
    p.add_argument("--admin-override", action="store_true", help="Quản trị viên: cho phép khi kỳ đã khóa")

    for name, what in (("lock", "Khóa kỳ số liệu của một đơn vị sau khi rà soát"),
                       ("unlock", "Mở khóa kỳ số liệu của một đơn vị (quản trị viên)")):
        p = sub.add_parser(name, help=what)
        _add_db(p)
        p.add_argument("--unit", required=True, help="Mã đơn vị: 2 số (tỉnh), 3 số (huyện) hoặc 5 số (xã)")
        p.add_argument("--scheme", choices=("legacy", "2025"), default=None,
                       help="Hệ đơn vị (mặc định: hệ có hiệu lực vào ngày đầu kỳ)")
        p.add_argument("--period", required=True, help="Kỳ: 2025-Q1, 2025-H1, 2024, 2024-03 ...")
        if name == "lock":
            p.add_argument("--note", default=None, help="Ghi chú (ví dụ: đã đối chiếu với báo cáo giấy)")
    return parser


def _period_option(spec: str | None):  # noqa: ANN202
    from data.periods import parse_spec

    return parse_spec(spec) if spec else None


def _date_option(text: str | None):  # noqa: ANN202
    from etl.sheet import to_date

    try:
        return to_date(text) if text and text.strip() else None
    except ValueError:
        raise ValueError(f"Ngày “{text}” không đọc được: hãy viết dd/mm/yyyy hoặc yyyy-mm-dd (ví dụ 05/10/2026).") \
            from None


def engine_for(args: argparse.Namespace) -> Engine:
    return get_engine(args.db or default_url())


def cmd_init(engine: Engine) -> int:
    from etl.units import load_agencies, load_units

    upgrade(engine)
    with engine.begin() as conn:
        counts = load_units(conn, progress=True)
        n_agencies = load_agencies(conn)
    print(f"Cơ sở dữ liệu: {describe(engine)}", file=sys.stderr)
    print(
        "Đơn vị: trước 01/07/2025 {p}/{d}/{c} (tỉnh/huyện/xã); từ 01/07/2025 {np}/{nc} (tỉnh/xã); "
        "liên kết cũ-mới {l}; cơ quan {a}".format(
            p=counts.get("legacy/province", 0),
            d=counts.get("legacy/district", 0),
            c=counts.get("legacy/commune", 0),
            np=counts.get("2025/province", 0),
            nc=counts.get("2025/commune", 0),
            l=counts.get("lineage", 0),
            a=n_agencies,
        ),
        file=sys.stderr,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ValueError as exc:  # bad option values: one clear line, no traceback
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    except (ArgumentError, NoSuchModuleError) as exc:
        print(f"Lỗi: URL cơ sở dữ liệu không hợp lệ ({args.db or default_url()}): {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        print(f"Lỗi: không kết nối hoặc không ghi được cơ sở dữ liệu: {reason}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    engine = engine_for(args)
    if args.command == "init":
        return cmd_init(engine)
    # Every other command works on an initialised database.
    cmd_init_quiet(engine)
    if args.command == "seed":
        from etl.seed import run_seed

        return run_seed(engine)
    if args.command == "demo":
        from etl.demo import run_demo

        return run_demo(engine, provinces=args.provinces, seed=args.seed, until=args.until)
    if args.command == "load":
        from etl.load import run_load

        try:
            period, as_of = _period_option(args.period), _date_option(args.as_of)
        except ValueError as exc:
            print(f"LỖI: {exc}", file=sys.stderr)
            return 2
        return run_load(engine, args.files, allow_locked=args.admin_override, period=period, as_of=as_of)
    if args.command == "rebuild":
        return cmd_rebuild(engine)
    if args.command == "metrics":
        from etl.report import run_metrics

        return run_metrics(
            engine, unit=args.unit, level=args.level, period=args.period, metric=args.metric, scheme=args.scheme
        )
    if args.command == "scores":
        from etl.scores import run_scores

        return run_scores(engine, unit=args.unit, period=args.period, level=args.level, scheme=args.scheme)
    if args.command == "portal-codes":
        from etl.portal_cmd import run_portal_codes

        return run_portal_codes(engine, args.action, args.code, args.scheme, args.unit, args.agency)
    if args.command == "fetch766":
        from etl.portal_cmd import run_fetch766

        return run_fetch766(engine, args)
    if args.command == "findings":
        from etl.report import run_findings

        return run_findings(engine, batch=args.batch)
    if args.command == "users":
        from etl import users

        return users.run(engine, args)
    if args.command == "targets":
        from etl.targets import run_targets

        return run_targets(engine, on=args.on, only_in_force=args.in_force)

    if args.command in ("batches", "rollback", "lock", "unlock"):
        from etl import batches

        if args.command == "batches":
            return batches.run_batches(engine)
        if args.command == "rollback":
            return batches.run_rollback(engine, args.batch, allow_locked=args.admin_override)
        if args.command == "lock":
            return batches.run_lock(engine, args.unit, args.period, scheme=args.scheme, note=args.note)
        return batches.run_unlock(engine, args.unit, args.period, scheme=args.scheme)
    return 1


def cmd_init_quiet(engine: Engine) -> None:
    """Make sure schema, registries and the analytics store exist (cheap when they do)."""
    from data.build import is_built, rebuild
    from etl.units import load_agencies, load_units

    upgrade(engine)
    with engine.begin() as conn:
        load_units(conn)
        load_agencies(conn)
        if not is_built(conn):  # a database from before the analytics store
            print("Tạo số liệu tổng hợp từ số liệu gốc đã có...", file=sys.stderr)
            rebuild(conn)


def cmd_rebuild(engine: Engine) -> int:
    """Recompute the analytics store from the raw figures; say what differed."""
    from data.build import rebuild
    from data.text import format_int

    names = {"agg_dossier": "hồ sơ", "agg_offer": "TTHC", "agg_count": "đếm đơn vị/cơ quan", "agg_score": "Chỉ số 766"}
    with engine.begin() as conn:
        report = rebuild(conn)
    same = True
    for table, (rows, changed, extra) in report.items():
        same &= changed == 0 and extra == 0
        print(f"{names[table]}: {format_int(rows)} dòng tổng hợp; {format_int(changed)} dòng khác hoặc thiếu, "
              f"{format_int(extra)} dòng thừa", file=sys.stderr)
    print("Số liệu tổng hợp đã khớp với số liệu gốc." if same else
          "Đã sửa các khác biệt: số liệu tổng hợp nay khớp với số liệu gốc.", file=sys.stderr)
    return 0

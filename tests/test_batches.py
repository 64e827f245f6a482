"""Batches you can undo and periods you can lock (issue 10, point 3): a rollback brings back the
figures the batch replaced, atomically and with the store equal to a rebuild; a locked period
refuses a replacing load (naming the unit, the period and who locked it) unless an admin loads;
the command line and the page's callbacks refuse what the role does not allow; every action is
in the audit log."""

from __future__ import annotations

import importlib
import json
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from data import periods as P
from data import queries
from data.auth import User
from data.build import rebuild
from data.read.quality import batch_history, period_locks
from data.schema import STORE_TABLES, audit_log, load_batch, unit
from etl import batches
from etl.batches import BatchError, lock, rollback, unlock
from etl.cli import main
from etl.load import load_file
from tests.files import GOOD_ROW, write_template_csv

Q1 = P.quarter(2024, 1)
A_ROW = GOOD_ROW  # Mường Nhé, 2024-Q1: 1.234 dossiers received online
B_ROW = {**GOOD_ROW, "received_online": 1000, "received_carried": 244}  # corrected: 1.000 online, same total


def _unit_id(engine: Engine, name: str, scheme: str = "legacy") -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(unit.c.id).where(unit.c.name == name, unit.c.scheme == scheme)).scalar_one())


def _online(engine: Engine) -> float:
    """The online intake of Mường Nhé in 2024-Q1 as the dashboard reads it (data.queries)."""
    m = queries.unit_metrics(engine, _unit_id(engine, "Huyện Mường Nhé"), ["online_intake_share"], [Q1])
    assert len(m) == 1, m
    return float(m.iloc[0]["numerator"])


def _statuses(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(select(load_batch.c.id, load_batch.c.status, load_batch.c.replaced_by)
                            .order_by(load_batch.c.id)).all()


def _store(engine: Engine) -> list:
    with engine.connect() as conn:
        return [sorted(tuple(map(str, r)) for r in conn.execute(select(t))) for t in STORE_TABLES]


def _audit(engine: Engine, action: str) -> list[dict]:
    with engine.connect() as conn:
        return [{"user": u, "ip": ip, **json.loads(d)} for u, ip, d in conn.execute(
            select(audit_log.c.user_name, audit_log.c.ip, audit_log.c.detail).where(audit_log.c.action == action)
            .order_by(audit_log.c.id))]


def _a_then_b(engine: Engine, tmp_path: Path) -> tuple[int, int]:
    path = tmp_path / "muong-nhe-q1.csv"
    a = load_file(engine, write_template_csv(path, [A_ROW]))
    assert a.status == "loaded", [str(f) for f in a.findings]
    assert _online(engine) == 1234
    b = load_file(engine, write_template_csv(path, [B_ROW]))
    assert (b.status, b.replaced_batch_id) == ("replaced", a.batch_id), [str(f) for f in b.findings]
    assert _online(engine) == 1000
    return a.batch_id, b.batch_id


def _user(engine: Engine, role: str, province: str | None = "11", name: str | None = None) -> User:
    ids = (_unit_id(engine, {"11": "Tỉnh Điện Biên", "12": "Tỉnh Lai Châu"}[province]),) if province else ()
    return User(id=1, name=name or f"{role}-1", role=role, active=True, unit_ids=ids)


def _check_rollback(engine: Engine, tmp_path: Path) -> None:
    a, b = _a_then_b(engine, tmp_path)
    version = queries.data_version(engine)
    done = rollback(engine, b, user=_user(engine, "analyst"), ip="10.0.0.7")
    assert done.restored == [a]
    assert queries.data_version(engine) != version  # cached pages of the old figures are not served
    assert _online(engine) == 1234  # the replaced figure is what the dashboard shows again
    assert _statuses(engine) == [(a, "active", None), (b, "rolledback", None)]
    with engine.begin() as conn:  # the store is exactly what a rebuild from the raw rows gives
        assert {t: (changed, extra) for t, (_, changed, extra) in rebuild(conn, progress=False).items()} == {
            "agg_dossier": (0, 0), "agg_offer": (0, 0), "agg_count": (0, 0), "agg_score": (0, 0)}
    assert _audit(engine, "rollback") == [{"user": "analyst-1", "ip": "10.0.0.7", "batch": b,
                                           "file": "muong-nhe-q1.csv", "rows": 1, "restored": [a],
                                           "admin_override": False}]
    hist = batch_history(engine).set_index("id")
    assert hist.at[b, "status"] == "rolledback" and hist.at[b, "replaced"] == (a,)
    assert hist.at[b, "undone_by"] == "analyst-1" and hist.at[a, "status"] == "active"
    assert hist.at[a, "who"] == "dòng lệnh"  # loaded from the command line


def test_rollback_brings_back_the_replaced_figures(engine: Engine, tmp_path: Path) -> None:
    _check_rollback(engine, tmp_path)


def test_rollback_brings_back_the_replaced_figures_on_postgres(pg_engine: Engine, tmp_path: Path) -> None:
    _check_rollback(pg_engine, tmp_path)


def test_rollback_of_a_batch_that_replaced_nothing_removes_its_figures(engine: Engine, tmp_path: Path) -> None:
    res = load_file(engine, write_template_csv(tmp_path / "q1.csv", [A_ROW]))
    rollback(engine, res.batch_id)
    assert queries.unit_metrics(engine, _unit_id(engine, "Huyện Mường Nhé"), ["online_intake_share"], [Q1]).empty
    again = load_file(engine, tmp_path / "q1.csv")  # the same file can be loaded again afterwards
    assert again.status == "loaded" and _online(engine) == 1234


def test_a_failed_rollback_changes_nothing(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = _a_then_b(engine, tmp_path)
    before = (_statuses(engine), _store(engine))
    real_refresh = batches.refresh

    def refresh_then_fail(conn, scope, progress=False):  # noqa: ANN001, ANN202
        real_refresh(conn, scope, progress)  # the store is rewritten inside the transaction, then it fails
        raise RuntimeError("disk full")

    monkeypatch.setattr(batches, "refresh", refresh_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        rollback(engine, b)
    assert (_statuses(engine), _store(engine)) == before
    assert _online(engine) == 1000 and _audit(engine, "rollback") == []


def test_rollback_refusals_say_why(engine: Engine, tmp_path: Path) -> None:
    a, b = _a_then_b(engine, tmp_path)
    with pytest.raises(BatchError, match=f"Lô {a} .*không còn được dùng \\(lô {b} đã thay thế nó\\)"):
        rollback(engine, a)
    with pytest.raises(BatchError, match="Cần vai trò phân tích viên"):
        rollback(engine, b, user=_user(engine, "reporter"))
    with pytest.raises(BatchError, match="ngoài phạm vi của bạn \\(Huyện Mường Nhé"):
        rollback(engine, b, user=_user(engine, "analyst", province="12"))  # an analyst of Lai Châu
    with pytest.raises(BatchError, match="Không có lô số liệu 999"):
        rollback(engine, 999)
    with engine.begin() as conn:
        demo = conn.execute(insert(load_batch).values(kind="demo", dataset="demo", file_name="demo", sha256="0" * 64,
                                                      rows=0, loaded_at=datetime.now(), status="active")
                            .returning(load_batch.c.id)).scalar_one()
    with pytest.raises(BatchError, match="dữ liệu minh họa"):
        rollback(engine, demo)
    rollback(engine, b)
    with pytest.raises(BatchError, match="đã được hoàn tác trước đó"):
        rollback(engine, b)
    assert _online(engine) == 1234 and len(_audit(engine, "rollback")) == 1


# --- locks ----------------------------------------------------------------------------------


def test_a_locked_period_refuses_a_replacing_load_unless_an_admin_loads(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "q1.csv"
    first = load_file(engine, write_template_csv(path, [A_ROW]))
    made = lock(engine, "11", "2024-Q1", _user(engine, "analyst", name="chi.nguyen"), scheme="legacy",
                note="đã đối chiếu", ip="10.0.0.8")
    assert (made.unit_name, made.label, made.locked_by) == ("Tỉnh Điện Biên", Q1.label, "chi.nguyen")
    refused = load_file(engine, write_template_csv(path, [B_ROW]))
    assert refused.status == "rejected" and [f.rule for f in refused.errors] == ["locked"]
    text = refused.errors[0].message
    assert "Tỉnh Điện Biên" in text and Q1.label in text and "chi.nguyen" in text and "01/01/2024" in text
    assert _statuses(engine) == [(first.batch_id, "active", None)] and _online(engine) == 1234
    other = load_file(engine, write_template_csv(tmp_path / "another-name.csv", [B_ROW]))  # adds to the figure
    assert other.status == "rejected" and other.errors[0].rule == "locked"
    q2 = load_file(engine, write_template_csv(tmp_path / "q2.csv", [{**B_ROW, "period": "2024-Q2"}]))
    assert q2.status == "loaded"  # another period is not locked
    forced = load_file(engine, path, allow_locked=True)  # an admin
    assert forced.status == "replaced" and _online(engine) == 1000
    assert _audit(engine, "lock") == [{"user": "chi.nguyen", "ip": "10.0.0.8", "lock": made.id, "unit": "11",
                                       "scheme": "legacy", "unit_name": "Tỉnh Điện Biên", "period": "2024-Q1",
                                       "note": "đã đối chiếu"}]


def test_a_locked_period_refuses_a_rollback_unless_admin(engine: Engine, tmp_path: Path) -> None:
    a, b = _a_then_b(engine, tmp_path)
    lock(engine, "11", "2024-03", scheme="legacy")  # a month inside the quarter of the figures
    with pytest.raises(BatchError, match="Không hoàn tác được lô .*Tỉnh Điện Biên .*do dòng lệnh khóa"):
        rollback(engine, b, user=_user(engine, "analyst"))
    assert _online(engine) == 1000
    rollback(engine, b, user=_user(engine, "admin", province=None))
    assert _online(engine) == 1234 and _audit(engine, "rollback")[0]["admin_override"] is True


def test_who_may_lock_and_unlock(engine: Engine) -> None:
    with pytest.raises(BatchError, match="phân tích viên"):
        lock(engine, "11", "2024-Q1", _user(engine, "viewer"))
    with pytest.raises(BatchError, match="ngoài phạm vi"):
        lock(engine, "12", "2024-Q1", _user(engine, "analyst"), scheme="legacy")  # Lai Châu, analyst of Điện Biên
    made = lock(engine, "096", "2024-Q1", _user(engine, "analyst"))  # the scheme of the period: legacy
    assert made.unit_name == "Huyện Mường Nhé"
    with pytest.raises(BatchError, match="Đã khóa rồi"):
        lock(engine, "096", "2024-Q1", _user(engine, "analyst"))
    with pytest.raises(BatchError, match="quản trị viên"):
        unlock(engine, user=_user(engine, "analyst"), lock_id=made.id)
    assert len(period_locks(engine)) == 1
    unlock(engine, "096", "2024-Q1", _user(engine, "admin", province=None, name="root"))
    assert period_locks(engine).empty
    assert [(r["user"], r["unit"], r["locked_by"]) for r in _audit(engine, "unlock")] == [
        ("root", "096", "analyst-1")]


# --- the command line -----------------------------------------------------------------------


def test_cli_batches_rollback_lock_unlock(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "q1.csv"
    assert main(["load", str(write_template_csv(path, [A_ROW])), "--db", db_url]) == 0
    assert main(["load", str(write_template_csv(path, [B_ROW])), "--db", db_url]) == 0
    capsys.readouterr()
    assert main(["batches", "--db", db_url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["Lô", "Tệp", "Người", "nạp", "Thời", "điểm", "nạp", "Số", "dòng", "Trạng", "thái",
                              "Thay", "thế", "lô"]
    assert "q1.csv" in out[1] and "dòng lệnh" in out[1] and "đang dùng" in out[1] and out[1].endswith("1")
    assert "đã bị thay thế (bởi lô 2)" in out[2] and out[2].endswith("–")

    assert main(["lock", "--unit", "11", "--scheme", "legacy", "--period", "2024-Q1", "--db", db_url]) == 0
    assert "Đã khóa" in capsys.readouterr().err
    assert main(["rollback", "2", "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Từ chối: Không hoàn tác được lô 2") and "Tỉnh Điện Biên" in err
    write_template_csv(path, [{**B_ROW, "received_online": 900, "received_carried": 344}])
    assert main(["load", str(path), "--db", db_url]) == 1
    assert "BỊ TỪ CHỐI" in capsys.readouterr().err
    assert main(["unlock", "--unit", "11", "--scheme", "legacy", "--period", "2024-Q1", "--db", db_url]) == 0
    assert "Đã mở khóa" in capsys.readouterr().err
    assert main(["unlock", "--unit", "11", "--scheme", "legacy", "--period", "2024-Q1", "--db", db_url]) == 1
    assert "không bị khóa" in capsys.readouterr().err

    assert main(["rollback", "2", "--db", db_url]) == 0
    assert "Đã hoàn tác lô 2 (q1.csv)" in capsys.readouterr().err
    assert main(["rollback", "2", "--db", db_url]) == 1
    assert "đã được hoàn tác" in capsys.readouterr().err
    assert main(["lock", "--unit", "99", "--period", "2024-Q1", "--db", db_url]) == 1
    assert "Không có đơn vị mã “99”" in capsys.readouterr().err
    assert main(["lock", "--unit", "11", "--period", "2024-Q7", "--db", db_url]) == 2  # not a period
    assert "Kỳ báo cáo không hợp lệ" in capsys.readouterr().err


def test_cli_admin_override_loads_over_a_lock(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "q1.csv"
    assert main(["load", str(write_template_csv(path, [A_ROW])), "--db", db_url]) == 0
    assert main(["lock", "--unit", "096", "--period", "2024-Q1", "--db", db_url]) == 0
    write_template_csv(path, [B_ROW])
    assert main(["load", str(path), "--db", db_url]) == 1
    assert main(["load", str(path), "--admin-override", "--db", db_url]) == 0
    from data.db import get_engine

    assert _online(get_engine(db_url)) == 1000


# --- the page -------------------------------------------------------------------------------


@pytest.fixture
def page(db_url: str, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.setenv("TTHC_DB_URL", db_url)
    monkeypatch.setenv("TTHC_PAGE_CACHE", "0")
    if "app" in sys.modules:
        importlib.reload(sys.modules["app"])
    else:
        importlib.import_module("app")
    return importlib.import_module("pages.batches")


def _as(monkeypatch: pytest.MonkeyPatch, user: User | None) -> None:
    from components import access

    monkeypatch.setattr(access, "current_user", lambda: user)


def _clicked(component_id: dict) -> None:
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    prop = json.dumps(component_id, separators=(",", ":"), sort_keys=True) + ".n_clicks"
    context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop, "value": 1}]))


def _nested_lists(component: object) -> list:
    """Children lists holding a list (Dash cannot render them: the page shows nothing there)."""
    found = []
    kids = getattr(component, "children", None)
    if isinstance(kids, list | tuple):
        found += [component] if any(isinstance(k, list | tuple) for k in kids) else []
        for k in kids:
            found += _nested_lists(k)
    elif kids is not None:
        found += _nested_lists(kids)
    return found


def _text(component: object) -> str:
    import plotly

    return json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


def test_page_callbacks_check_the_role_on_the_server(page, engine: Engine, tmp_path: Path,  # noqa: ANN001
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = _a_then_b(engine, tmp_path)
    for who in (None, _user(engine, "viewer"), _user(engine, "reporter")):
        _as(monkeypatch, who)
        drawn = page.layout()
        assert '"Hoàn tác"' not in _text(drawn) and '"lo-lock"' not in _text(drawn)  # no button for them...
        _clicked({"batch": b, "type": "lo-undo"})
        is_open, pending, _, msg = page.ask_rollback([1])  # ...and a hand-made click is refused
        assert (is_open, pending) == (False, None) and "phân tích viên" in _text(msg)
        _, msg, _ = page.confirm_rollback(1, b, 0)
        assert "phân tích viên" in _text(msg)
        msg, version = page.submit_lock(1, "11", "legacy", "2024-Q1", None, 0)
        assert "phân tích viên" in _text(msg) and version is page.no_update
    assert _online(engine) == 1000 and period_locks(engine).empty
    assert _audit(engine, "rollback") == [] and _statuses(engine)[-1][1] == "active"

    _as(monkeypatch, _user(engine, "analyst"))
    drawn = page.layout()
    assert '"Hoàn tác"' in _text(drawn) and '"lo-lock"' in _text(drawn) and _nested_lists(drawn) == []
    _clicked({"batch": b, "type": "lo-undo"})
    is_open, pending, body, msg = page.ask_rollback([1])
    assert (is_open, pending, msg) == (True, b, None) and f"Hoàn tác lô {b} — muong-nhe-q1.csv" in _text(body)
    msg, version = page.submit_lock(1, "11", "legacy", "2024-Q2", "xong", 3)
    assert "Đã khóa: Tỉnh Điện Biên" in _text(msg) and version == 4
    lock_id = int(period_locks(engine)["id"].iloc[0])
    _clicked({"lock": lock_id, "type": "lo-unlock"})
    msg, version = page.submit_unlock([1], 4)  # an analyst cannot unlock
    assert "quản trị viên" in _text(msg) and len(period_locks(engine)) == 1
    is_open, msg, version = page.confirm_rollback(1, b, 4)
    assert is_open is False and f"Đã hoàn tác lô {b}" in _text(msg) and version == 5
    assert _online(engine) == 1234 and _audit(engine, "rollback")[0]["user"] == "analyst-1"
    assert "đã hoàn tác" in _text(page.redraw(5))

    _as(monkeypatch, _user(engine, "admin", province=None, name="root"))
    _clicked({"lock": lock_id, "type": "lo-unlock"})
    msg, _ = page.submit_unlock([1], 5)
    assert "Đã mở khóa" in _text(msg) and period_locks(engine).empty

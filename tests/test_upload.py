"""Upload in the browser: a file is previewed exactly as ``etl load`` checks it, nothing stored;
an error blocks the confirm; a confirmed file is stored with who loaded it and audit rows; a
reporter cannot upload for a unit outside the scope; limits and stale tokens are refused."""

from __future__ import annotations

import json
import os
from pathlib import Path

import plotly
import pytest
from sqlalchemy import Engine, func, select

from components import access
from components import uploadview as UV
from data import periods as P
from data import queries
from data.auth import User
from data.schema import audit_log, load_batch, metadata
from etl import preview as U
from etl.load import load_file
from tests.files import GOOD_ROW, dien_bien_form06_body, write_form06, write_template_csv, write_template_xlsx

Q1_2024 = P.quarter(2024, 1)


@pytest.fixture(autouse=True)
def _private_upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    monkeypatch.setenv("TTHC_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("TTHC_DB_URL", db_url)  # the page's callbacks use the default database


def _unit_id(engine: Engine, scheme: str, code: str) -> int:
    return int(queries.find_unit(engine, scheme, code)["id"])


def _user(engine: Engine, role: str = "reporter", units: tuple[tuple[str, str], ...] = (("legacy", "11"),),
          name: str = "can_bo_dien_bien") -> User:
    ids = tuple(_unit_id(engine, s, c) for s, c in units)
    return User(7, name, role, True, ids, tuple(f"{s}:{c}" for s, c in units))


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables}


def _audit(engine: Engine) -> list[tuple[str, str | None, dict]]:
    with engine.connect() as conn:
        return [(r.action, r.user_name, json.loads(r.detail))
                for r in conn.execute(select(audit_log).order_by(audit_log.c.id))]


def _text(component: object) -> str:
    return json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


def _signed_in(monkeypatch: pytest.MonkeyPatch, user: User | None) -> None:
    monkeypatch.setattr(access, "current_user", lambda: user)


def _contents(path: Path) -> str:
    import base64

    return "data:application/octet-stream;base64," + base64.b64encode(path.read_bytes()).decode()


BAD_ROW = {**GOOD_ROW, "received_online": "12o"}  # a letter o typed for a zero


# --- preview -------------------------------------------------------------------------------------


def test_preview_of_a_good_file_shows_unit_period_numbers_and_writes_nothing(engine: Engine, tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_form06(tmp_path / "bieu06_q1.xlsx", dien_bien_form06_body())
    before, version = _counts(engine), queries.data_version(engine)
    pv = U.preview(engine, path.read_bytes(), path.name, _user(engine))
    assert pv.can_confirm and pv.status == "ready" and pv.findings == []
    assert pv.units == ["Tỉnh Điện Biên"] and pv.periods == [Q1_2024]
    lines = {ln.subject: ln for ln in pv.lines}
    assert len(lines) == 5
    noi_vu = lines["Sở Nội vụ (Tỉnh Điện Biên)"]
    assert noi_vu.level == "department" and noi_vu.period == "Quý I/2024"
    assert (noi_vu.counts["received_total"], noi_vu.counts["received_online"], noi_vu.counts["settled_overdue"]) \
        == (55, 20, 2)
    assert lines["Thành phố Điện Biên Phủ"].counts["received_total"] == 2486
    assert pv.replaces is None and pv.added_to == []
    assert _counts(engine) == before and queries.data_version(engine) == version

    # through the page: the same preview, the confirm button enabled, only an audit row written
    _signed_in(monkeypatch, _user(engine))
    view, token, disabled = UV.handle_upload(_contents(path), path.name)
    text = _text(view)
    assert "Tỉnh Điện Biên" in text and "Quý I/2024" in text and "2.486" in text and "Sở Nội vụ" in text
    assert "không thay thế số liệu nào" in text and "Chưa có gì được lưu" in text
    assert token and not disabled
    after = _counts(engine)
    assert after.pop("audit_log") == before.pop("audit_log") + 1 and after == before
    assert queries.data_version(engine) == version
    assert [(a, u, d["file"], d["status"]) for a, u, d in _audit(engine)] == [
        ("upload_preview", "can_bo_dien_bien", "bieu06_q1.xlsx", "ready")]
    assert list((tmp_path / "uploads").iterdir())  # the bytes wait server-side, under the token only
    assert (tmp_path / "uploads").stat().st_mode & 0o077 == 0


def test_bad_cell_is_named_and_blocks_the_confirm_then_the_fixed_file_is_stored(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = _user(engine)
    _signed_in(monkeypatch, user)
    bad = write_template_xlsx(tmp_path / "q1.xlsx", [{**GOOD_ROW, "unit_name": "TP. Điện Biên Phủ"}, BAD_ROW])
    before = _counts(engine)
    view, token, disabled = UV.handle_upload(_contents(bad), bad.name)
    assert token is None and disabled
    pv = U.preview(engine, bad.read_bytes(), bad.name, user)
    assert not pv.can_confirm and pv.status == "rejected"
    [err] = pv.errors
    assert (err.sheet, err.row, err.column) == ("Sheet", 3, "Tiếp nhận - trực tuyến") and "'12o'" in err.message
    # the CLI reports the very same finding
    assert [str(f) for f in load_file(engine, bad).errors] == [str(err)]
    text = _text(view)
    assert "Sheet" in text and "Tiếp nhận - trực tuyến" in text and "12o" in text and "không thể nạp" in text
    # nothing to confirm: a click without a token is refused and stores nothing
    result, _ = UV.handle_confirm(None)
    assert "hãy tải tệp lên lại" in _text(result)
    after = _counts(engine)
    assert after.pop("audit_log") == before.pop("audit_log") + 1 and after == before

    good = write_template_xlsx(tmp_path / "q1.xlsx", [{**GOOD_ROW, "unit_name": "TP. Điện Biên Phủ"}, GOOD_ROW])
    version = queries.data_version(engine)
    _, token, disabled = UV.handle_upload(_contents(good), good.name)
    assert token and not disabled
    result, disabled = UV.handle_confirm(token)
    text = _text(result)
    with engine.connect() as conn:
        batch = conn.execute(select(load_batch)).one()
    assert f"vào lô {batch.id}" in text and "Đã nạp 2 dòng" in text and disabled
    assert "/?scheme=legacy&unit=11&" in text and "period=2024-Q1" in text  # the dashboard of the unit and period
    assert (batch.loaded_by, batch.file_name, batch.status, batch.rows) == ("can_bo_dien_bien", "q1.xlsx", "active", 2)
    assert queries.data_version(engine) != version
    stored = queries.stored_metrics(engine, batch_ids=[batch.id], metric_ids=["postal_return_share"])
    row = stored[stored["name"] == "Huyện Mường Nhé"].iloc[0]
    assert (row["numerator"], row["denominator"]) == (400, 1369)
    # the analytics store was refreshed: the province adds up both districts
    head = queries.headline_metrics(engine, Q1_2024, "legacy", _unit_id(engine, "legacy", "11"),
                                    ["postal_return_share"])
    assert (head.iloc[0]["numerator"], head.iloc[0]["denominator"]) == (800, 2738)
    actions = _audit(engine)
    assert [a for a, _, _ in actions] == ["upload_preview", "upload_preview", "upload_confirm"]
    assert actions[-1][1] == "can_bo_dien_bien" and actions[-1][2]["batch_id"] == batch.id
    # the token is spent: a second click does not load again
    again, _ = UV.handle_confirm(token)
    assert "không còn hiệu lực" in _text(again)


def test_preview_names_the_batch_it_replaces_and_what_would_be_dropped(engine: Engine, tmp_path: Path) -> None:
    first = write_template_csv(tmp_path / "bao_cao.csv", [GOOD_ROW, {**GOOD_ROW, "unit_name": "TP. Điện Biên Phủ"}])
    first_bytes = first.read_bytes()
    old = load_file(engine, first)
    assert old.status == "loaded"
    other = write_template_csv(tmp_path / "khac.csv", [{**GOOD_ROW, "received_online": 5}])
    assert load_file(engine, other).status == "loaded"
    second = write_template_csv(tmp_path / "bao_cao.csv", [{**GOOD_ROW, "received_online": 99}])
    pv = U.preview(engine, second.read_bytes(), second.name, _user(engine))
    assert pv.can_confirm
    assert pv.replaces is not None and pv.replaces.batch_id == old.batch_id and pv.replaces.rows == 2
    assert pv.replaces.subjects == ["Thành phố Điện Biên Phủ, kỳ Quý I/2024"]  # in the old batch, not in the new file
    [added] = pv.added_to
    assert added.file_name == "khac.csv" and added.subjects == ["Huyện Mường Nhé, kỳ Quý I/2024"]
    text = _text(UV.preview_view(pv))
    assert f"lô {old.batch_id}" in text and "sẽ bị xóa" in text and "cộng dồn" in text
    # identical content: nothing to do
    same = U.preview(engine, first_bytes, first.name, _user(engine))
    assert same.status == "unchanged" and same.same_batch_id == old.batch_id and not same.can_confirm


# --- scope ---------------------------------------------------------------------------------------


def test_reporter_cannot_upload_for_a_unit_outside_the_scope(engine: Engine, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    district = _user(engine, units=(("legacy", "096"),), name="can_bo_muong_nhe")  # Huyện Mường Nhé
    path = write_template_csv(tmp_path / "q1.csv", [GOOD_ROW, {**GOOD_ROW, "unit_name": "TP. Điện Biên Phủ"}])
    pv = U.preview(engine, path.read_bytes(), path.name, district)
    [err] = pv.errors
    assert err.rule == "outside_scope" and (err.row, err.column) == (3, "Tên đơn vị")
    assert "Thành phố Điện Biên Phủ" in err.message and "không thuộc phạm vi" in err.message
    assert "can_bo_muong_nhe" in err.message and not pv.can_confirm
    assert U.preview(engine, write_template_csv(tmp_path / "mn.csv", [GOOD_ROW]).read_bytes(), "mn.csv",
                     district).can_confirm

    # a Lai Châu reporter and a Biểu 06 of Điện Biên: every unit named, refused
    form = write_form06(tmp_path / "b06.xlsx", dien_bien_form06_body())
    lai_chau = _user(engine, units=(("legacy", "12"),), name="can_bo_lai_chau")
    _signed_in(monkeypatch, lai_chau)
    view, token, disabled = UV.handle_upload(_contents(form), form.name)
    assert token is None and disabled
    text = _text(view)
    assert "Đơn vị Huyện Mường Nhé (mã 096, Tỉnh Điện Biên) không thuộc phạm vi" in text
    assert "Cơ quan Sở Nội vụ (Tỉnh Điện Biên) không thuộc phạm vi" in text and "can_bo_lai_chau" in text
    # an admin may upload for any unit
    assert U.preview(engine, form.read_bytes(), form.name, _user(engine, "admin", units=())).can_confirm


def test_confirm_checks_role_and_scope_again(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_template_csv(tmp_path / "q1.csv", [GOOD_ROW])
    reporter = _user(engine)
    _signed_in(monkeypatch, reporter)
    _, token, _ = UV.handle_upload(_contents(path), path.name)
    assert token
    before = _counts(engine)
    # the account's scope moved to Lai Châu before the click: refused, naming the unit
    moved = _user(engine, units=(("legacy", "12"),))
    res = U.confirm_upload(engine, token, moved)
    assert not res.ok and res.batch_id is None and "Huyện Mường Nhé" in _text(UV.preview_view(res.preview))
    # someone else's token, a viewer, nobody signed in: refused
    _, token, _ = UV.handle_upload(_contents(path), path.name)
    assert U.confirm_upload(engine, token, _user(engine, name="nguoi_khac")).message == U.EXPIRED
    assert not U.confirm_upload(engine, token, _user(engine, "viewer")).ok
    _signed_in(monkeypatch, None)
    result, _ = UV.handle_confirm(token)
    assert "quyền nạp số liệu" in _text(result)
    view, token2, _ = UV.handle_upload(_contents(path), path.name)
    assert token2 is None and "quyền nạp số liệu" in _text(view)
    after = _counts(engine)
    after.pop("audit_log"), before.pop("audit_log")
    assert after == before
    # the rightful user still can
    assert U.confirm_upload(engine, token, reporter).ok


# --- limits and tokens ---------------------------------------------------------------------------


def test_size_type_and_row_limits_have_clear_messages(engine: Engine, tmp_path: Path) -> None:
    user = _user(engine)
    big = U.preview(engine, b"a" * (U.MAX_UPLOAD_BYTES + 1), "lon.csv", user)
    assert [f.rule for f in big.errors] == ["too_large"] and "quá giới hạn 10,0 MB" in big.errors[0].message
    for name, data, words in [("so_lieu.json", b'{"a": 1}', "Chỉ nhận tệp .csv hoặc .xlsx"),
                              ("bao_cao.pdf", b"%PDF-1.4 ...", "Chỉ nhận tệp .csv hoặc .xlsx"),
                              ("cu.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "Excel 97-2003"),
                              ("gia.xlsx", b"khong phai excel", "Không phải tệp Excel .xlsx hợp lệ"),
                              ("rong.csv", b"", "Tệp rỗng")]:
        pv = U.preview(engine, data, name, user)
        assert not pv.can_confirm and words in pv.errors[0].message, (name, [str(f) for f in pv.findings])
    rows = [{**GOOD_ROW, "unit_name": n} for n in ("UBND huyện Mường Nhé", "TP. Điện Biên Phủ", "Xã Mường Lói")]
    path = write_template_csv(tmp_path / "q1.csv", rows)
    pv = U.preview(engine, path.read_bytes(), path.name, user, max_rows=3)  # a header and three rows
    assert not pv.can_confirm and "Tệp có 4 dòng, quá giới hạn 3 dòng" in pv.errors[0].message
    assert U.preview(engine, path.read_bytes(), path.name, user, max_rows=4).can_confirm
    assert U.MAX_REQUEST_BYTES > U.MAX_UPLOAD_BYTES * 4 // 3  # base64 in a JSON body fits Flask's limit
    assert UV.drop_zone().max_size == U.MAX_UPLOAD_BYTES


def test_unknown_forged_or_expired_tokens_are_refused(engine: Engine, tmp_path: Path) -> None:
    user = _user(engine)
    path = write_template_csv(tmp_path / "q1.csv", [GOOD_ROW])
    before = _counts(engine)
    for token in [None, "", "x" * 32, "../../etc/passwd", str(tmp_path / "q1.csv"), {"path": "/etc"}]:
        assert U.confirm_upload(engine, token, user).message == U.EXPIRED
    pv, token = U.start_upload(engine, path.read_bytes(), path.name, user)
    meta = Path(os.environ["TTHC_UPLOAD_DIR"]) / f"{token}.json"
    data = json.loads(meta.read_text())
    meta.write_text(json.dumps({**data, "created": data["created"] - U.TOKEN_TTL_SECONDS - 1}))
    assert U.confirm_upload(engine, token, user).message == U.EXPIRED
    assert not meta.exists()  # an expired upload is deleted
    # bytes changed on disk after the preview: refused
    pv, token = U.start_upload(engine, path.read_bytes(), path.name, user)
    (meta.parent / f"{token}.bin").write_bytes(b"something else")
    assert U.confirm_upload(engine, token, user).message == U.EXPIRED
    after = _counts(engine)
    after.pop("audit_log"), before.pop("audit_log")
    assert after == before


def test_a_locked_out_account_cannot_confirm(engine: Engine, tmp_path: Path) -> None:
    path = write_template_csv(tmp_path / "q1.csv", [GOOD_ROW])
    user = _user(engine)
    _, token = U.start_upload(engine, path.read_bytes(), path.name, user)
    disabled = User(user.id, user.name, user.role, False, user.unit_ids, user.unit_codes)
    assert not U.confirm_upload(engine, token, disabled).ok
    with engine.connect() as conn:  # nothing stored, not even a batch
        assert conn.execute(select(func.count()).select_from(load_batch)).scalar_one() == 0


def test_the_page_is_registered_for_reporters_off_the_menu(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import sys

    from dash import page_registry

    from etl.cli import main

    assert main(["seed", "--db", db_url]) == 0
    monkeypatch.setenv("TTHC_PAGE_CACHE", "0")
    app = importlib.reload(sys.modules["app"]) if "app" in sys.modules else importlib.import_module("app")
    page = page_registry["pages.upload"]
    assert (page["path"], page["name"], page["nav"], page["role"]) == ("/nap-so-lieu", "Nạp số liệu", False, "reporter")
    text = _text(page["layout"]())
    assert '"Xác nhận nạp"' in text and '"disabled": true' in text and "upload-file" in text
    client = app.server.test_client()
    assert client.get("/nap-so-lieu").status_code == 302  # deny by default: the login page first

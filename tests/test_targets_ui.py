"""Targets set by an analyst (issue 10, point 4): validation in Vietnamese, the province scope,
no overlap, end and delete with their audit rows, the KPI card naming who set the target, the
``etl targets`` CSV, and the page's callbacks refusing what the signed-in user may not do.
Also the admin's audit page (point 5): newest first, filters, CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta

import dash
import plotly
import pytest
from sqlalchemy import Engine, func, select

from components import access
from components.kpi import kpi_card
from data import auth
from data.read.targets import targets_for
from data.schema import audit_log, target, unit
from data.targets_write import TargetError, delete_target, end_target, set_target
from etl.cli import main

KH = "Kế hoạch 12/KH-UBND ngày 10/01/2026 của UBND tỉnh Điện Biên"
D0, D1 = date(2026, 1, 1), date(2026, 12, 31)


def _unit(engine: Engine, scheme: str, code: str) -> int:
    level = {2: "province", 3: "district", 5: "commune"}[len(code)]
    with engine.connect() as conn:
        return int(conn.execute(select(unit.c.id).where(unit.c.scheme == scheme, unit.c.code == code,
                                                        unit.c.level == level)).scalar_one())


@pytest.fixture
def users(engine: Engine) -> dict[str, auth.User]:
    pw = "mot-mat-khau-dai"
    return {
        "lan": auth.add_user(engine, "lan", "analyst", pw, units=["11"]),  # Điện Biên (2025 system)
        "minh": auth.add_user(engine, "minh", "analyst", pw, units=["legacy:01"]),  # Hà Nội (before 1/7/2025)
        "hoa": auth.add_user(engine, "hoa", "viewer", pw, units=["11"]),
        "root": auth.add_user(engine, "root", "admin", pw),
    }


def _audit(engine: Engine, action: str) -> list[dict]:
    with engine.connect() as conn:
        return [json.loads(d) for d in conn.execute(select(audit_log.c.detail).where(audit_log.c.action == action)
                                                    .order_by(audit_log.c.id)).scalars()]


def _text(component: object) -> str:
    return json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


def test_validation_messages_in_vietnamese(engine: Engine, users: dict) -> None:
    eb = _unit(engine, "legacy", "11")
    lan = users["lan"]
    cases = [
        (("no_such_metric", eb, D0, D1, "85", KH), "không có trong danh mục chỉ số"),
        (("on_time_rate", eb, D0, D1, "150", KH), "từ 0 % đến 100 %"),
        (("on_time_rate", eb, D0, D1, "-1", KH), "từ 0 % đến 100 %"),
        (("on_time_rate", eb, D0, D1, "tám mươi", KH), "phải là một số phần trăm"),
        (("on_time_rate", eb, D1, D0, "85", KH), "Ngày bắt đầu (31/12/2026) phải trước hoặc bằng ngày kết thúc"),
        (("on_time_rate", eb, D0, D1, "85", "   "), "Cần ghi văn bản giao mục tiêu"),
    ]
    for args, message in cases:
        with pytest.raises(TargetError, match=message.replace("(", r"\(").replace(")", r"\)")):
            set_target(engine, lan, *args)
    assert _audit(engine, "target_set") == []  # nothing refused is recorded as set
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(target)).scalar_one() == 0
    # decimal comma and a percent sign are understood; the value is stored as a fraction
    tid = set_target(engine, lan, "on_time_rate", eb, D0, D1, "92,5 %", KH)
    with engine.connect() as conn:
        row = conn.execute(select(target).where(target.c.id == tid)).one()
    assert (row.value, row.set_by, row.batch_id, row.source) == (0.925, "lan", None, KH)
    assert _audit(engine, "target_set")[0]["value"] == 0.925


def test_scope_role_and_overlap_refusals(engine: Engine, users: dict) -> None:
    eb_legacy, eb_2025 = _unit(engine, "legacy", "11"), _unit(engine, "2025", "11")
    dbp = _unit(engine, "legacy", "094")  # Thành phố Điện Biên Phủ, a district of the old province
    hanoi = _unit(engine, "2025", "01")
    lan = users["lan"]
    # the analyst's province in both systems and the units inside it
    for u in (eb_legacy, eb_2025, dbp):
        set_target(engine, lan, "online_intake_share", u, D0, D1, "60", KH)
    with pytest.raises(TargetError, match="ngoài phạm vi tỉnh"):
        set_target(engine, lan, "online_intake_share", hanoi, D0, D1, "60", KH)
    with pytest.raises(TargetError, match="Chỉ cán bộ phân tích"):
        set_target(engine, users["hoa"], "online_intake_share", eb_legacy, D0, D1, "60", KH)
    with pytest.raises(TargetError, match="Chỉ cán bộ phân tích"):
        set_target(engine, None, "online_intake_share", eb_legacy, D0, D1, "60", KH)
    # an admin without units may set any unit's
    set_target(engine, users["root"], "online_intake_share", hanoi, D0, D1, "55", "Quyết định 5/QĐ-UBND")
    # an overlapping target of the same unit and indicator is refused, naming the one in the way
    with pytest.raises(TargetError, match=r"Đã có mục tiêu 60 %.*01/01/2026 đến 31/12/2026 \(đặt bởi lan\)"):
        set_target(engine, lan, "online_intake_share", eb_legacy, date(2026, 6, 1), date(2027, 5, 31), "70", KH)
    # the next day is free; another indicator of the same unit too
    set_target(engine, lan, "online_intake_share", eb_legacy, date(2027, 1, 1), date(2027, 12, 31), "70", KH)
    set_target(engine, lan, "on_time_rate", eb_legacy, D0, D1, "95", KH)
    # a target of another province cannot be ended or deleted by this analyst
    hanoi_id = max(r["target_id"] for r in _audit(engine, "target_set") if r["unit_id"] == hanoi)
    with pytest.raises(TargetError, match="ngoài phạm vi tỉnh"):
        delete_target(engine, lan, hanoi_id)
    with pytest.raises(TargetError, match="ngoài phạm vi tỉnh"):
        end_target(engine, users["minh"], _audit(engine, "target_set")[0]["target_id"], date(2026, 3, 31))


def test_a_target_set_here_is_the_one_the_kpi_card_names(engine: Engine, users: dict) -> None:
    eb, dbp, eb_2025 = _unit(engine, "legacy", "11"), _unit(engine, "legacy", "094"), _unit(engine, "2025", "11")
    day = date(2026, 3, 31)
    national = targets_for(engine, ["online_intake_share"], day, eb)["online_intake_share"]
    assert national is not None and national.value == 0.5 and "76/NQ-CP" in national.source
    set_target(engine, users["lan"], "online_intake_share", eb, D0, D1, "65", KH)
    today = f"{datetime.now():%d/%m/%Y}"
    for u in (eb, dbp, eb_2025):  # the province, a district inside it, the same province after 1/7/2025
        t = targets_for(engine, ["online_intake_share"], day, u)["online_intake_share"]
        assert (t.value, t.valid_from, t.valid_to) == (0.65, D0, D1)
        assert t.source == f"Đặt bởi lan ngày {today}: {KH}"
    card = _text(kpi_card("online_intake_share", {"value": 0.7, "numerator": 70, "denominator": 100,
                                                  "dataset": "demo"}, None, t, "Quý trước"))
    assert "Mục tiêu ≥ 65 %" in card
    assert f"nguồn: Đặt bởi lan ngày {today}: {KH}" in card  # on hover (the span's title)
    assert "Đạt" in card  # 70 % against 65 %: the verdict is against the province's own target
    # outside the target's days the national default applies again; elsewhere nothing changed
    assert targets_for(engine, ["online_intake_share"], date(2025, 12, 31), eb)["online_intake_share"].value == 0.5
    other = targets_for(engine, ["online_intake_share"], day, _unit(engine, "legacy", "12"))["online_intake_share"]
    assert other.value == 0.5


def test_a_target_set_here_overrides_a_documents_for_the_same_unit(engine: Engine, db_url: str, users: dict) -> None:
    assert main(["seed", "--db", db_url]) == 0  # Lai Châu's plan 2021-2025: online intake ≥ 50 %
    lai_chau = _unit(engine, "legacy", "12")
    day = date(2024, 12, 31)
    t = targets_for(engine, ["online_intake_share"], day, lai_chau)["online_intake_share"]
    assert t.value == 0.5 and "Lai Châu" in t.source
    analyst = auth.add_user(engine, "thu", "analyst", "mot-mat-khau-dai", units=["12"])
    set_target(engine, analyst, "online_intake_share", lai_chau, date(2024, 1, 1), date(2025, 12, 31), "55",
               "Nghị quyết 3/NQ-HĐND tỉnh Lai Châu")
    t = targets_for(engine, ["online_intake_share"], day, lai_chau)["online_intake_share"]
    assert t.value == 0.55 and t.source.startswith("Đặt bởi thu ngày ")
    doc = engine.connect().execute(select(target.c.id).where(target.c.batch_id.is_not(None))).scalars().first()
    with pytest.raises(TargetError, match="nạp từ tài liệu"):
        delete_target(engine, analyst, doc)


def test_end_and_delete_with_their_audit_rows(engine: Engine, users: dict) -> None:
    eb = _unit(engine, "legacy", "11")
    lan = users["lan"]
    tid = set_target(engine, lan, "on_time_rate", eb, D0, D1, "90", KH, ip="10.0.0.7")
    with pytest.raises(TargetError, match="từ ngày bắt đầu \\(01/01/2026\\)"):
        end_target(engine, lan, tid, date(2025, 12, 31))
    with pytest.raises(TargetError, match="không kéo dài được"):
        end_target(engine, lan, tid, date(2027, 1, 1))
    end_target(engine, lan, tid, date(2026, 6, 30))
    assert targets_for(engine, ["on_time_rate"], date(2026, 6, 30), eb)["on_time_rate"].value == 0.9
    assert targets_for(engine, ["on_time_rate"], date(2026, 7, 31), eb)["on_time_rate"] is None  # no national one
    set_target(engine, lan, "on_time_rate", eb, date(2026, 7, 1), D1, "93", KH)  # no longer overlapping
    delete_target(engine, lan, tid)
    with pytest.raises(TargetError, match="Không có mục tiêu này"):
        delete_target(engine, lan, tid)
    assert _audit(engine, "target_end") == [{"target_id": tid, "metric_id": "on_time_rate", "unit_id": eb,
                                             "valid_to_before": "2026-12-31", "valid_to": "2026-06-30"}]
    deleted = _audit(engine, "target_delete")
    assert len(deleted) == 1 and deleted[0]["value"] == 0.9 and deleted[0]["source"] == KH
    with engine.connect() as conn:
        ips = conn.execute(select(audit_log.c.ip, audit_log.c.user_name).where(
            audit_log.c.action == "target_set").order_by(audit_log.c.id)).all()
    assert ips[0] == ("10.0.0.7", "lan")


def test_etl_targets_prints_every_target_as_csv(engine: Engine, db_url: str, users: dict,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    eb = _unit(engine, "legacy", "11")
    set_target(engine, users["lan"], "on_time_rate", eb, D0, D1, "90", KH)
    capsys.readouterr()
    assert main(["targets", "--db", db_url, "--on", "2026-03-31"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == ["metric_id", "unit_code", "scheme", "unit_name", "valid_from", "valid_to", "value",
                             "source", "set_by", "set_at", "kind", "in_force"]
    national = [r for r in rows if r["kind"] == "national"]
    assert {(r["metric_id"], r["valid_from"], r["value"], r["in_force"]) for r in national} >= {
        ("online_offer_share", "2021-01-01", "0.8", "0"), ("online_offer_share", "2026-01-01", "0.9", "1"),
        ("online_intake_share", "2021-01-01", "0.5", "1")}
    assert all(r["unit_code"] == "" and r["unit_name"] == "Toàn quốc" for r in national)
    [manual] = [r for r in rows if r["kind"] == "manual"]
    assert (manual["metric_id"], manual["unit_code"], manual["scheme"], manual["unit_name"], manual["value"],
            manual["set_by"], manual["in_force"]) == ("on_time_rate", "11", "legacy", "Tỉnh Điện Biên", "0.9", "lan",
                                                      "1")
    assert manual["source"].startswith("Đặt bởi lan ngày ") and manual["source"].endswith(KH)
    assert main(["targets", "--db", db_url, "--on", "2025-03-31", "--in-force"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and all(r["in_force"] == "1" for r in rows) and not any(r["kind"] == "manual" for r in rows)
    assert main(["targets", "--db", db_url, "--on", "31/03/2026"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


# --- the pages' callbacks, with the signed-in user faked --------------------------------------


@pytest.fixture
def pages_(db_url: str, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.setenv("TTHC_DB_URL", db_url)
    dash.Dash("test_targets_ui", use_pages=True, pages_folder="")
    import importlib

    # Dash's page loader may have imported them already (sys.modules only, not as attributes)
    return importlib.import_module("pages.targets"), importlib.import_module("pages.audit")


def _as(monkeypatch: pytest.MonkeyPatch, user: auth.User | None) -> None:
    monkeypatch.setattr(access, "current_user", lambda: user)


def test_targets_page_saves_and_refuses(engine: Engine, users: dict, pages_, monkeypatch: pytest.MonkeyPatch) -> None:
    page, _ = pages_
    eb, hanoi = _unit(engine, "legacy", "11"), _unit(engine, "2025", "01")
    _as(monkeypatch, users["hoa"])  # a viewer: no form, and a crafted callback is refused
    assert page.DENIED in _text(page.layout())
    msg, table, _ = page.save(1, "on_time_rate", eb, "90", "2026-01-01", "2026-12-31", KH)
    assert "Chỉ cán bộ phân tích" in _text(msg) and table is dash.no_update
    _as(monkeypatch, users["lan"])
    layout = _text(page.layout())
    assert "Đặt mục tiêu mới" in layout and "Tỉnh Điện Biên (trước 01/07/2025, mã 11)" in layout
    assert "Thành phố Hà Nội" not in layout  # only the analyst's province in the unit list
    msg, table, choices = page.save(1, "on_time_rate", hanoi, "90", "2026-01-01", "2026-12-31", KH)
    assert "ngoài phạm vi tỉnh" in _text(msg)
    msg, _, _ = page.save(1, "on_time_rate", eb, "90", "2026-01-01", None, KH)
    assert "Cần chọn ngày kết thúc áp dụng" in _text(msg)
    msg, table, choices = page.save(1, "on_time_rate", eb, "90", "2026-01-01", "2026-12-31", KH)
    assert "Đã lưu mục tiêu" in _text(msg)
    shown = _text(table)
    assert "Tỉnh Điện Biên" in shown and "≥ 90,0 %" in shown and f"Đặt bởi lan ngày {datetime.now():%d/%m/%Y}" in shown
    assert "Mặc định quốc gia" in shown  # the national defaults are listed for comparison
    [choice] = choices
    msg, _, choices = page.change("end", choice["value"], "2026-03-31")
    assert "Đã kết thúc" in _text(msg) and "31/03/2026" in choices[0]["label"]
    _as(monkeypatch, users["minh"])  # another province's analyst cannot delete it by id
    msg, _, _ = page.change("delete", choice["value"], None)
    assert "ngoài phạm vi tỉnh" in _text(msg)
    _as(monkeypatch, users["lan"])
    msg, _, choices = page.change("delete", choice["value"], None)
    assert "Đã xóa" in _text(msg) and choices == []
    assert [a for a in ("target_set", "target_end", "target_delete") if _audit(engine, a)] == [
        "target_set", "target_end", "target_delete"]


def test_audit_page_newest_first_filters_and_csv(engine: Engine, users: dict, pages_,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import update

    _, page = pages_
    eb = _unit(engine, "legacy", "11")
    set_target(engine, users["lan"], "on_time_rate", eb, D0, D1, "90", KH, ip="10.1.2.3")
    auth.audit(engine, "lan", "login", {}, "10.1.2.3")
    with engine.begin() as conn:  # the users were added "three days ago"
        conn.execute(update(audit_log).where(audit_log.c.action == "user_add").values(
            at=datetime.now() - timedelta(days=3)))
    _as(monkeypatch, users["lan"])  # an analyst is no admin
    assert page.DENIED in _text(page.layout()) and page.csv_download(None, None, None, None) is None
    _as(monkeypatch, users["root"])
    everything = _text(page.layout())
    assert "Đặt mục tiêu" in everything and "Thêm người dùng" in everything and "10.1.2.3" in everything
    assert everything.index("Đăng nhập") < everything.index("Đặt mục tiêu") < everything.index("Thêm người dùng")
    only = _text(page.log_view("target_set", None, None, None))
    assert "1 dòng." in only and "Thêm người dùng" not in only and "metric_id: on_time_rate" in only
    today = date.today().isoformat()
    assert "Thêm người dùng" not in _text(page.log_view(None, None, today, today))
    assert "4 dòng." in _text(page.log_view("user_add", None, None, None))
    assert "Không có dòng nhật ký" in _text(page.log_view(None, "minh", today, None))
    sent = page.csv_download(None, "lan", None, None)
    assert sent["filename"] == f"nhat-ky_{date.today():%d-%m-%Y}.csv"
    text = sent["content"]
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["Mã hành động"] for r in rows] == ["login", "target_set"]  # newest first, only lan's
    assert rows[1]["Hành động"] == "Đặt mục tiêu" and rows[1]["Địa chỉ IP"] == "10.1.2.3"
    assert json.loads(rows[1]["Chi tiết"])["source"] == KH

"""Administrative units of both schemes and their lineage, loaded from vietnamadminunits."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from data.schema import agency, unit, unit_lineage
from data.units import Registry
from etl.units import load_agencies, load_units, unit_counts


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return unit_counts(conn)


def test_unit_counts_both_schemes(engine: Engine) -> None:
    counts = _counts(engine)
    assert counts["legacy/province"] == 63
    assert counts["legacy/district"] == 696
    assert counts["legacy/commune"] == 10035
    assert counts["2025/province"] == 34
    assert counts["2025/commune"] == 3321
    assert "2025/district" not in counts  # no district tier after 1 July 2025


def _province(engine: Engine, scheme: str, short_name: str) -> tuple[int, str]:
    with engine.connect() as conn:
        row = conn.execute(
            select(unit.c.id, unit.c.code).where(
                unit.c.scheme == scheme, unit.c.level == "province", unit.c.short_name == short_name
            )
        ).one()
    return row.id, row.code


def _successors(engine: Engine, old_id: int) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(unit.c.short_name)
            .join(unit_lineage, unit_lineage.c.new_unit_id == unit.c.id)
            .where(unit_lineage.c.old_unit_id == old_id)
        ).scalars()
        return sorted(rows)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Hà Giang", "Tuyên Quang"),
        ("Quảng Bình", "Quảng Trị"),
        ("Bình Định", "Gia Lai"),
        ("Bắc Giang", "Bắc Ninh"),
        ("Điện Biên", "Điện Biên"),
        ("Lai Châu", "Lai Châu"),
        ("Quảng Trị", "Quảng Trị"),
    ],
)
def test_known_province_merges(engine: Engine, old: str, new: str) -> None:
    old_id, _ = _province(engine, "legacy", old)
    assert _successors(engine, old_id) == [new]


def test_reused_codes_need_the_scheme(engine: Engine) -> None:
    # Bắc Ninh (2025) kept code 24, which was Bắc Giang's; Gia Lai (2025) took Bình Định's 52.
    _, bac_giang_code = _province(engine, "legacy", "Bắc Giang")
    _, bac_ninh_code = _province(engine, "2025", "Bắc Ninh")
    assert bac_giang_code == bac_ninh_code == "24"
    _, gia_lai_new = _province(engine, "2025", "Gia Lai")
    _, binh_dinh_old = _province(engine, "legacy", "Bình Định")
    assert gia_lai_new == binh_dinh_old == "52"


def test_every_legacy_province_and_commune_has_a_successor(engine: Engine) -> None:
    with engine.connect() as conn:
        for level, expected in (("province", 63), ("commune", 10035)):
            mapped = conn.execute(
                select(func.count(func.distinct(unit_lineage.c.old_unit_id))).where(unit_lineage.c.level == level)
            ).scalar_one()
            assert mapped == expected
        default_per_old = conn.execute(
            select(unit_lineage.c.old_unit_id, func.count())
            .where(unit_lineage.c.is_default.is_(True))
            .group_by(unit_lineage.c.old_unit_id)
            .having(func.count() != 1)
        ).all()
        assert default_per_old == []  # exactly one default successor per old unit
        new_covered = conn.execute(
            select(func.count(func.distinct(unit_lineage.c.new_unit_id))).where(
                unit_lineage.c.level.in_(["commune", "district"])
            )
        ).scalar_one()
        assert new_covered == 3321  # incl. 5 island districts that became special zones (đặc khu)
        island = conn.execute(
            select(unit.c.name).join(unit_lineage, unit_lineage.c.new_unit_id == unit.c.id).where(
                unit_lineage.c.level == "district"
            )
        ).scalars().all()
        assert "Đặc khu Hoàng Sa" in island and "Đặc khu Côn Đảo" in island


def test_split_communes_are_marked(engine: Engine) -> None:
    with engine.connect() as conn:
        split_old = conn.execute(
            select(func.count(func.distinct(unit_lineage.c.old_unit_id))).where(unit_lineage.c.rule == "split")
        ).scalar_one()
    assert 400 < split_old < 500  # the package lists 471 divided communes


def test_names_are_nfc_with_diacritics(engine: Engine) -> None:
    import unicodedata

    with engine.connect() as conn:
        names = conn.execute(select(unit.c.name)).scalars().all()
    assert all(unicodedata.is_normalized("NFC", n) for n in names)
    assert "Tỉnh Điện Biên" in names and "Thành phố Điện Biên Phủ" in names


def test_kinds(engine: Engine) -> None:
    with engine.connect() as conn:
        kinds = set(conn.execute(select(unit.c.kind)).scalars())
    assert {"tỉnh", "thành phố", "quận", "huyện", "thị xã", "phường", "xã", "thị trấn", "đặc khu"} <= kinds


def test_registry_matching_is_insensitive_to_form_case_and_prefix(engine: Engine) -> None:
    import unicodedata

    with engine.connect() as conn:
        reg = Registry(conn)
    dien_bien = reg.by_code("legacy", "province", "11")
    assert reg.match_name("legacy", "province", "ĐIỆN BIÊN") == [dien_bien]
    assert reg.match_name("legacy", "province", "Ðiện Biên") == [dien_bien]  # U+00D0 look-alike
    nfd = unicodedata.normalize("NFD", "UBND huyện Mường Nhé")
    [muong_nhe] = reg.match_name("legacy", "district", nfd, parent_id=dien_bien)
    assert reg.unit(muong_nhe)["name"] == "Huyện Mường Nhé"
    assert reg.match_name("legacy", "district", "TP. Điện Biên Phủ", parent_id=dien_bien)
    snv = reg.match_agency(dien_bien, "SỞ NỘI VỤ")
    assert snv is not None and reg.match_agency(dien_bien, "SNV") == snv
    assert reg.search("dien bien")["short_name"].iloc[0] == "Điện Biên"


def test_agencies_follow_the_2025_restructuring(engine: Engine) -> None:
    with engine.connect() as conn:
        reg = Registry(conn)
    old = reg.by_code("legacy", "province", "24")
    new = reg.by_code("2025", "province", "24")
    assert reg.match_agency(old, "Sở Thông tin và Truyền thông") is not None
    assert reg.match_agency(new, "Sở Thông tin và Truyền thông") is None
    assert reg.match_agency(new, "Sở Nông nghiệp và Môi trường") is not None


def test_loading_again_changes_nothing(engine: Engine) -> None:
    before = _counts(engine)
    with engine.begin() as conn:
        load_units(conn)
        n = load_agencies(conn)
        assert n == conn.execute(select(func.count()).select_from(agency)).scalar_one()
    assert _counts(engine) == before


@pytest.mark.postgres
def test_units_on_postgres(pg_engine: Engine) -> None:
    counts = _counts(pg_engine)
    assert counts["legacy/commune"] == 10035 and counts["2025/commune"] == 3321
    old_id, _ = _province(pg_engine, "legacy", "Quảng Bình")
    assert _successors(pg_engine, old_id) == ["Quảng Trị"]


@pytest.mark.parametrize(("scheme", "count"), [("legacy", 63), ("2025", 34)])
def test_every_province_joins_to_the_map(engine: Engine, scheme: str, count: int) -> None:
    from data.geo import provinces_geojson
    from data.queries import units_frame

    units = units_frame(engine)
    provinces = units[(units["scheme"] == scheme) & (units["level"] == "province")]
    geo, unmatched = provinces_geojson(provinces, scheme)
    assert unmatched == []
    ids = [f["id"] for f in geo["features"]]
    assert len(ids) == len(set(ids)) == count and set(ids) == set(provinces["code"])

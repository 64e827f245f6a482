"""The national portal's electronic codes (H44, H44.01, H44.129) and the units they stand for.

The portal names its units its own way ("UBND tỉnh Đồng Tháp", "UBND xã Đông Thái - tỉnh An
Giang", "Sở Y tế - Tỉnh Phú Thọ"). A code seen for the first time is matched by name within its
province and the match is stored (table portal_unit); later files use the stored match, so a
correction (``python -m etl portal-codes set``) holds. Provinces and communes must match the
official unit lists: an unmatched one is an error naming the closest names, never a guess.
Agencies are the portal's to name: one the registry lacks is registered for its province.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from data.schema import agency, agency_type, portal_unit, unit
from data.text import fold, name_key, nfc
from etl import validate as V
from etl.resolve import Resolver
from etl.sheet import Record
from etl.store import Finding

LEVEL_VI = {"province": "tỉnh, thành phố", "department": "sở, ban, ngành", "commune": "xã, phường, đặc khu"}
REGISTERED_KIND = "department"


@dataclass
class Mapping:
    code: str
    scheme: str
    level: str
    unit_id: int
    agency_id: int | None
    name_seen: str
    matched: str  # name | manual | registered
    new: bool = False  # not stored yet


@dataclass
class NewAgency:
    """An agency the registry lacks, to register for its province when the file is stored."""

    province_id: int
    code: str
    name: str


def stored_mappings(conn: Connection, scheme: str | None = None) -> dict[tuple[str, str], Mapping]:
    q = select(portal_unit)
    if scheme is not None:
        q = q.where(portal_unit.c.scheme == scheme)
    return {(r.scheme, r.code): Mapping(r.code, r.scheme, r.level, r.unit_id, r.agency_id, r.name_seen, r.matched)
            for r in conn.execute(q)}


_UBND = re.compile(r"^\s*(ubnd|uy ban nhan dan)\s+", re.IGNORECASE)


def strip_committee(text: str) -> str:
    """'UBND tỉnh Đồng Tháp' -> 'tỉnh Đồng Tháp' (the People's Committee stands for its unit)."""
    text = nfc(text).strip()
    f = fold(text)
    m = _UBND.match(f)
    if not m:
        return text
    # fold keeps the length of 'ubnd ' / 'uy ban nhan dan ' only for unaccented text: cut by words
    words = len(m.group(0).split())
    return " ".join(text.split()[words:])


def split_province(text: str) -> tuple[str, str | None]:
    """'UBND xã Đông Thái - tỉnh An Giang' -> ('UBND xã Đông Thái', 'tỉnh An Giang')."""
    parts = [p.strip() for p in re.split(r"\s+[-–]\s+", nfc(text).strip()) if p.strip()]
    if len(parts) >= 2 and re.match(r"^(tinh|thanh pho|tp)\b", fold(parts[-1])):
        return " - ".join(parts[:-1]), parts[-1]
    return nfc(text).strip(), None


def _record(file: str, sheet: str | None, row: int | None, column: str = "name") -> Record:
    return Record(file=file, sheet=sheet, row=row or 0, headers={column: column})


class CodeMatcher:
    """Resolves the portal's units of one file, remembering what it matched."""

    def __init__(self, conn: Connection, resolver: Resolver, scheme: str) -> None:
        self.resolver = resolver
        self.scheme = scheme
        self.known = stored_mappings(conn, scheme)
        self.new: dict[str, Mapping] = {}
        self.new_agencies: dict[str, NewAgency] = {}

    def lookup(self, code: str | None) -> Mapping | None:
        if not code:
            return None
        return self.new.get(code) or self.known.get((self.scheme, code))

    def province(self, code: str | None, name: str, file: str, sheet: str | None, row: int | None,
                 column: str) -> tuple[int | None, list[Finding]]:
        found = self.lookup(code)
        if found is not None:
            return found.unit_id, []
        text = strip_committee(split_province(name)[0])
        rec = _record(file, sheet, row, column)
        uid, problems = self.resolver.unit(self.scheme, text, None, ("province",), rec, column)
        if uid is not None and code:
            self.new[code] = Mapping(code, self.scheme, "province", uid, None, name, "name", new=True)
        return uid, _portal_words(problems, name)

    def province_of_child(self, parent_code: str | None, name: str) -> int | None:
        """The province of a department or commune: its parent's code, else its name's suffix."""
        parent = self.lookup(parent_code)
        if parent is not None:
            return parent.unit_id
        suffix = split_province(name)[1]
        if suffix:
            hits = self.resolver.by_name(self.scheme, suffix, None, ("province",))
            if len(hits) == 1:
                return hits[0]
        return None

    def commune(self, code: str | None, name: str, province_id: int, file: str, sheet: str | None,
                row: int | None, column: str) -> tuple[int | None, list[Finding]]:
        found = self.lookup(code)
        if found is not None:
            return found.unit_id, []
        text = strip_committee(split_province(name)[0])
        rec = _record(file, sheet, row, column)
        levels = ("commune",) if self.scheme == "2025" else ("commune", "district")
        uid, problems = self.resolver.unit(self.scheme, text, province_id, levels, rec, column)
        if uid is not None and code:
            self.new[code] = Mapping(code, self.scheme, "commune", uid, None, name, "name", new=True)
        return uid, _portal_words(problems, name)

    def department(self, code: str | None, name: str, province_id: int) -> tuple[int | None, str | None]:
        """(agency id, None) for a known agency; (None, code) for one to register when stored."""
        found = self.lookup(code)
        if found is not None and (found.agency_id is not None or found.matched == "registered"):
            return found.agency_id, (None if found.agency_id is not None else code)
        text = split_province(name)[0]
        aid = self.resolver.agency(province_id, text)
        key = code or f"?{name_key(text)}"
        if aid is not None:
            self.new[key] = Mapping(key, self.scheme, "department", province_id, aid, name, "name", new=True)
            return aid, None
        self.new_agencies.setdefault(key, NewAgency(province_id, key, text))
        self.new[key] = Mapping(key, self.scheme, "department", province_id, None, name, "registered", new=True)
        return None, key


def _portal_words(problems: list[Finding], name: str) -> list[Finding]:
    for p in problems:
        p.message = f"Cổng DVCQG ghi “{name}”: {p.message[:1].lower()}{p.message[1:]}"
    return problems


def register_agencies(conn: Connection, new: list[NewAgency], by: str | None = None) -> dict[str, int]:
    """Register the agencies the registry lacks (type code 'DVC-<code>'); {portal code: agency id}."""
    out: dict[str, int] = {}
    for a in new:
        type_code = f"DVC-{a.code}"[:20]
        if conn.execute(select(agency_type.c.code).where(agency_type.c.code == type_code)).first() is None:
            conn.execute(insert(agency_type).values(
                code=type_code, name=a.name, kind=REGISTERED_KIND,
                note=f"Cơ quan do Cổng Dịch vụ công quốc gia nêu tên (mã điện tử {a.code}), "
                     f"được đăng ký khi nạp số liệu{f' bởi {by}' if by else ''}."))
        row = conn.execute(select(agency.c.id).where(agency.c.unit_id == a.province_id,
                                                     agency.c.type_code == type_code)).first()
        if row is None:
            aid = conn.execute(insert(agency).values(unit_id=a.province_id, type_code=type_code, name=a.name,
                                                     name_key=name_key(a.name))).inserted_primary_key[0]
        else:
            aid = row.id
        out[a.code] = int(aid)
    return out


def save_mappings(conn: Connection, mappings: list[Mapping], agency_ids: dict[str, int], by: str | None = None) -> None:
    now = datetime.now().replace(microsecond=0)
    for m in mappings:
        aid = m.agency_id if m.agency_id is not None else agency_ids.get(m.code)
        exists = conn.execute(select(portal_unit.c.id).where(portal_unit.c.scheme == m.scheme,
                                                             portal_unit.c.code == m.code)).first()
        values = dict(level=m.level, unit_id=m.unit_id, agency_id=aid, name_seen=m.name_seen[:300],
                      matched=m.matched, updated_at=now, updated_by=by)
        if exists is None:
            conn.execute(insert(portal_unit).values(scheme=m.scheme, code=m.code, **values))


# --- the portal-codes command ------------------------------------------------------------------


def list_rows(conn: Connection, scheme: str | None = None) -> list[dict[str, object]]:
    """The mapping as the command prints it (one row per code)."""
    q = (select(portal_unit, unit.c.code.label("unit_code"), unit.c.name.label("unit_name"),
                agency.c.name.label("agency_name"))
         .join(unit, unit.c.id == portal_unit.c.unit_id).outerjoin(agency, agency.c.id == portal_unit.c.agency_id)
         .order_by(portal_unit.c.scheme, portal_unit.c.code))
    if scheme:
        q = q.where(portal_unit.c.scheme == scheme)
    return [{"scheme": r.scheme, "code": r.code, "level": r.level, "unit_code": r.unit_code,
             "unit_name": r.unit_name, "agency": r.agency_name or "", "name_seen": r.name_seen,
             "matched": r.matched, "updated_at": f"{r.updated_at:%Y-%m-%d %H:%M:%S}", "updated_by": r.updated_by or ""}
            for r in conn.execute(q)]


def correct(conn: Connection, resolver: Resolver, scheme: str, code: str, unit_code: str | None,
            agency_name: str | None, by: str | None = None) -> str:
    """Point a portal code at another unit (by GSO code) or agency (by name, in the province of
    the code); raises ValueError with a Vietnamese message. Returns what was done."""
    row = conn.execute(select(portal_unit).where(portal_unit.c.scheme == scheme, portal_unit.c.code == code)).first()
    if row is None:
        raise ValueError(f"Chưa có mã Cổng DVCQG “{code}” ({V.SCHEME_TEXT[scheme]}); mã chỉ có sau khi nạp một tệp "
                         "của Cổng có mã đó.")
    values: dict[str, object] = {"matched": "manual", "updated_at": datetime.now().replace(microsecond=0),
                                 "updated_by": by}
    if row.level == "department":
        if not agency_name:
            raise ValueError(f"Mã “{code}” là một cơ quan: hãy cho --agency TÊN (tên cơ quan trong danh mục).")
        aid = resolver.agency(row.unit_id, agency_name)
        if aid is None:
            raise ValueError(f"Không có cơ quan “{agency_name}” của {resolver.name[row.unit_id]} trong danh mục.")
        values["agency_id"] = aid
        what = f"{code} → {agency_name} ({resolver.name[row.unit_id]})"
    else:
        if not unit_code:
            raise ValueError(f"Mã “{code}” là một đơn vị hành chính: hãy cho --unit MÃ (mã đơn vị của Tổng cục "
                             "Thống kê).")
        uid, _ = resolver.by_code(scheme, unit_code)
        if uid is None or resolver.level[uid] != row.level:
            raise ValueError(f"Không có {LEVEL_VI[row.level]} mã “{unit_code}” ({V.SCHEME_TEXT[scheme]}).")
        values["unit_id"] = uid
        what = f"{code} → {resolver.describe(uid)}"
    conn.execute(update(portal_unit).where(portal_unit.c.id == row.id).values(**values))
    return what

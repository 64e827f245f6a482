"""Who a row is about: units by code or name, provincial agencies by name, abbreviation or type code.

Built on ``data.units.Registry`` (names matched on ``name_key``: insensitive to NFC/NFD, case,
the Ð/Đ look-alike and prefixes such as "UBND huyện", "Xã", "TP.", "Sở"). On top of it:
- a written kind ("Xã Mường Nhé", "Huyện Mường Nhé") picks the unit of that kind, so a commune
  is never taken for the district of the same name;
- codes that lost their leading zeros in Excel (94 for 094) are found within the given province;
- agencies are also found as "Sở GD&ĐT" (type code SGDDT), "Văn phòng UBND tỉnh",
  "Công an tỉnh Điện Biên".
Problems are returned as findings built by ``etl.validate`` (with the closest names suggested).
"""

from __future__ import annotations

import re
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Connection, select

from data.periods import Period
from data.schema import agency_type
from data.text import fold
from data.units import Registry, parse_scheme, scheme_for
from etl import validate as V
from etl.sheet import Record, cell_text, is_blank
from etl.store import Finding

LEVELS = {"legacy": ("province", "district", "commune"), "2025": ("province", "commune")}
CODE_WIDTH = {"province": 2, "district": 3, "commune": 5}
SCOPES = {"own": "own", "rieng": "own", "cua don vi": "own", "total": "total", "toan dia ban": "total",
          "tong": "total", "dia ban": "total"}

_KIND_PREFIXES = [
    ("thanh pho", "thành phố"), ("tp", "thành phố"), ("thi xa", "thị xã"), ("tx", "thị xã"),
    ("thi tran", "thị trấn"), ("tt", "thị trấn"), ("huyen", "huyện"), ("quan", "quận"),
    ("phuong", "phường"), ("xa", "xã"), ("tinh", "tỉnh"), ("dac khu", "đặc khu"),
]


def code_text(raw: object) -> str:
    """A code cell as text: '094', 94, 94.0 and '94.0' -> '094' / '94' (zeros restored later)."""
    return re.sub(r"\.0+$", "", cell_text(raw).strip())


def written_kind(text: str) -> str | None:
    """The kind of unit a name states: 'UBND huyện Mường Nhé' -> 'huyện'; None when unstated."""
    f = re.sub(r"^(uy ban nhan dan|ubnd)\s+", "", fold(text))
    for prefix, kind in _KIND_PREFIXES:
        if f.startswith(prefix + " "):
            return kind
    return None


class Resolver:
    """Look-ups over one registry, with the maps the messages need (built once per run)."""

    def __init__(self, registry: Registry, successors: dict[str, str] | None = None) -> None:
        self.reg = registry
        self.successors = successors or {}  # agency type code -> the type that took over its work
        self._agencies = {int(r.id): r for r in registry.agencies.itertuples()}
        self._agency_memo: dict[tuple[int, str], int | None] = {}
        u = registry.units
        self.name = dict(zip(u["id"], u["name"], strict=True))
        self.code = dict(zip(u["id"], u["code"], strict=True))
        self.kind = dict(zip(u["id"], u["kind"], strict=True))
        self.level = dict(zip(u["id"], u["level"], strict=True))
        self.parent = {int(i): (None if pd.isna(p) else int(p)) for i, p in zip(u["id"], u["parent_id"], strict=True)}
        self._province: dict[int, int] = {}
        for i in self.parent:
            self._province[i] = self._root(i)
        self._names_cache: dict[tuple, dict[str, list[str]]] = {}

    @classmethod
    def load(cls, conn: Connection) -> Resolver:
        successors = {c: s for c, s in conn.execute(select(agency_type.c.code, agency_type.c.successor_code)) if s}
        return cls(Registry(conn), successors)

    def _root(self, i: int) -> int:
        while self.parent[i] is not None:
            i = self.parent[i]  # type: ignore[assignment]
        return i

    def province_of(self, unit_id: int) -> int:
        return self._province[unit_id]

    def is_within(self, unit_id: int, ancestor_id: int) -> bool:
        current: int | None = unit_id
        while current is not None:
            if current == ancestor_id:
                return True
            current = self.parent[current]
        return False

    def describe(self, unit_id: int) -> str:
        """'Xã An Bình (mã 12345, Tỉnh Đồng Tháp)' for lists of candidates."""
        prov = self.province_of(unit_id)
        where = f", {self.name[prov]}" if prov != unit_id else ""
        return f"{self.name[unit_id]} (mã {self.code[unit_id]}{where})"

    # -- units ----------------------------------------------------------------------------
    def by_code(self, scheme: str, raw: object, within: int | None = None) -> tuple[int | None, bool]:
        """(unit id, inside ``within``) for a code cell; (None, False) when no unit has that code.

        A code of the exact width (2 province, 3 district, 5 commune) is taken as written; a
        shorter one (Excel drops leading zeros) is tried at every wider level, inside ``within``.
        """
        code = code_text(raw)
        if not code.isdigit():
            return None, False
        levels = LEVELS[scheme]
        found = [i for lv in levels if CODE_WIDTH[lv] == len(code) and (i := self.reg.by_code(scheme, lv, code))]
        padded = [i for lv in levels if CODE_WIDTH[lv] > len(code)
                  and (i := self.reg.by_code(scheme, lv, code.zfill(CODE_WIDTH[lv])))]
        if within is None:  # as written first, else the widest-area unit the padded code names
            return ((found + padded)[0], True) if found + padded else (None, False)
        if found and self.is_within(found[0], within):
            return found[0], True
        inside = [i for i in padded if self.is_within(i, within)]
        if inside:  # the widest-area unit first, as above
            return inside[0], True
        outside = found + padded
        return (outside[0], False) if outside else (None, False)

    def by_name(self, scheme: str, text: str, within: int | None, levels: tuple[str, ...]) -> list[int]:
        """Units of the first level (in ``levels`` order) whose name matches, respecting a written kind."""
        kind = written_kind(text)
        for level in levels:
            if level not in LEVELS[scheme]:
                continue
            hits = self.reg.match_name(scheme, level, text, parent_id=within)
            if kind is not None:
                hits = [h for h in hits if self.kind[h] == kind]
            if hits:
                return hits
        return []

    def names_by_key(self, scheme: str, levels: tuple[str, ...], within: int | None) -> dict[str, list[str]]:
        """Names of the units where a suggestion may come from, grouped by name key."""
        key = (scheme, levels, within)
        if key not in self._names_cache:
            u = self.reg.units
            sel = u[(u["scheme"] == scheme) & u["level"].isin(levels)]
            out: dict[str, list[str]] = {}
            for i, k, n in zip(sel["id"], sel["name_key"], sel["name"], strict=True):
                if within is None or self.is_within(i, within):
                    out.setdefault(k, []).append(n if within is not None else self.describe(i))
            self._names_cache[key] = out
        return self._names_cache[key]

    def unit(self, scheme: str, text: str, within: int | None, levels: tuple[str, ...], rec: Record,
             field: str) -> tuple[int | None, list[Finding]]:
        """One unit by name, or the finding that says why not (unknown with suggestions, ambiguous)."""
        hits = self.by_name(scheme, text, within, levels)
        if len(hits) == 1:
            return hits[0], []
        if hits:
            return None, V.ambiguous_unit(text, [self.describe(h) for h in hits], rec, field)
        where = f" thuộc {self.name[within]}" if within is not None else ""
        if "district" in levels and scheme == "2025":
            where += " (từ 01/07/2025 không còn cấp huyện)"
        levels = tuple(lv for lv in levels if lv in LEVELS[scheme])
        return None, V.unknown_unit(text, scheme, where, self.names_by_key(scheme, levels, within), rec, field)

    def reporting_unit(self, scheme: str, candidates: list[tuple[str, int]]) -> int | None:
        """The province (or, before 01/07/2025, the district) named in a form's title."""
        for text, _ in candidates:
            hits = self.by_name(scheme, text, None, ("province",))
            if len(hits) == 1:
                return hits[0]
        for text, _ in candidates:
            hits = self.by_name(scheme, text, None, ("district",))
            if len(hits) == 1:
                return hits[0]
        return None

    # -- agencies -------------------------------------------------------------------------
    def agency(self, province_id: int, text: str) -> int | None:
        key = (province_id, text)
        if key not in self._agency_memo:  # a national file names the same agencies many times
            self._agency_memo[key] = next(
                (found for variant in _agency_variants(text, fold(self.reg.unit(province_id)["short_name"]))
                 if (found := self.reg.match_agency(province_id, variant)) is not None), None)
        return self._agency_memo[key]

    def agency_or_finding(self, province_id: int, text: str, per: Period | None, rec: Record,
                          field: str) -> tuple[int | None, list[Finding]]:
        found = self.agency(province_id, text)
        if found is None:
            ag = self.reg.agencies[self.reg.agencies["unit_id"] == province_id]
            names: dict[str, list[str]] = {}
            for k, n in zip(ag["name_key"], ag["name"], strict=True):
                names.setdefault(k, []).append(n)
            return None, V.unknown_agency(text, self.name[province_id], names, rec, field)
        if per is None:
            return found, []
        row = self._agencies[found]
        successor = None
        if row.type_code in self.successors:
            successor = next((a.name for a in self._agencies.values()
                              if a.unit_id == province_id and a.type_code == self.successors[row.type_code]), None)
        problems = V.agency_not_in_period(row.name, _as_date(row.valid_from), _as_date(row.valid_to), successor, per,
                                          rec, field)
        return (None if problems else found), problems

    # -- the template's subject -----------------------------------------------------------
    def template_subject(self, rec: Record, per: Period) -> tuple[tuple[int, int | None, str] | None,
                                                                  list[Finding]]:
        """(unit id, agency id, scope) of a template row, or the findings that prevent it."""
        scheme_text = rec.cell("scheme")
        try:
            scheme = parse_scheme(scheme_text) if scheme_text else scheme_for(per.end)
        except ValueError:
            return None, V.bad_choice("scheme", scheme_text, "'legacy' hoặc '2025'", rec, "scheme")
        if scheme not in (scheme_for(per.start), scheme_for(per.end)):
            return None, V.scheme_not_in_period(scheme_text, scheme_for(per.end), per, rec)
        scope_text = rec.cell("scope")
        scope = SCOPES.get(fold(scope_text)) if scope_text else "own"
        if scope is None:
            return None, V.bad_choice("scope", scope_text, "'own' hoặc 'total'", rec, "scope")
        province_id = None
        if not is_blank(rec.values.get("province_code")):
            province_id = self.reg.by_code(scheme, "province", code_text(rec.values["province_code"]))
            if province_id is None:
                return None, V.unknown_code(rec.cell("province_code"), scheme, rec, "province_code", "Mã tỉnh")
        name, agency_text = rec.cell("unit_name"), rec.cell("agency")
        if not is_blank(rec.values.get("unit_code")):
            unit_id, inside = self.by_code(scheme, rec.values["unit_code"], province_id)
            if unit_id is None:
                return None, V.unknown_code(rec.cell("unit_code"), scheme, rec, "unit_code")
            if not inside:
                return None, V.unit_outside_province(self.describe(unit_id), self.name[province_id], rec,  # type: ignore[index]
                                                     "unit_code")
        elif name:
            unit_id, problems = self.unit(scheme, name, province_id, LEVELS[scheme], rec, "unit_name")
            if unit_id is None:
                return None, problems
        elif province_id is not None:
            unit_id = province_id
        else:
            return None, V.missing_subject(rec)
        if not agency_text:
            return (unit_id, None, scope), []
        province = self.province_of(unit_id)
        if unit_id != province:
            return None, V.agency_with_unit(agency_text, self.name[unit_id], rec)
        agency_id, problems = self.agency_or_finding(province, agency_text, per, rec, "agency")
        return ((province, agency_id, scope) if agency_id is not None else None), problems


def _as_date(value: object) -> date | None:
    if value is None or value != value:  # None, NaN, NaT
        return None
    return value.date() if isinstance(value, datetime) else value  # type: ignore[return-value]


def _agency_variants(text: str, province_key: str) -> list[str]:
    """Ways people write an agency: as is, UBND spelled out, without the province, abbreviated."""
    f = fold(text)
    base = [text, re.sub(r"\bubnd\b", "uy ban nhan dan", f)]
    out = list(base)
    for v in base:
        v = fold(v)
        if province_key and v.endswith(" " + province_key):
            cut = v[: -len(province_key) - 1]
            out += [cut, re.sub(r"\s+(tinh|thanh pho|tp)$", "", cut)]
    out += [fold(v) + " tinh" for v in base if not fold(v).endswith(" tinh")]  # "Công an" -> "Công an tỉnh"
    for v in list(out):
        v = fold(v)
        if v.startswith("so "):  # "Sở GD&ĐT" -> type code SGDDT
            out.append("s" + v[3:].replace(" ", ""))
        elif v.startswith("trung tam "):
            out.append("tt" + v[10:].replace(" ", ""))
    return list(dict.fromkeys(out))


def subject_label(resolver: Resolver, unit_id: int, agency_id: int | None) -> str:
    """How a subject is named in a duplicate message."""
    if agency_id is None:
        return f"đơn vị {resolver.name[unit_id]}"
    return f"cơ quan {resolver._agencies[agency_id].name} ({resolver.name[unit_id]})"

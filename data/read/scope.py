"""What the current request may read: the units of the signed-in user's scope and everything
below them, in both unit systems (through the lineage, so "as today" and the old units of the
same place stay readable). Set once per request by the app (components/access.py) in a context
variable; every read of the facade ``data.queries`` filters its rows by it, so a crafted
callback asking for another province gets nothing. None: no restriction (an admin without
units, the command line, the ETL)."""

from __future__ import annotations

from contextvars import ContextVar

import pandas as pd
from sqlalchemy import Engine

from data.read.registry import registry

_SCOPE: ContextVar[frozenset[int] | None] = ContextVar("tthc_scope", default=None)
_HOME: ContextVar[str] = ContextVar("tthc_home_unit", default="")
_COUNTRY: ContextVar[bool] = ContextVar("tthc_country", default=False)  # the public reads the country too


def expand(engine: Engine, unit_ids: tuple[int, ...], province_wide: bool = False) -> frozenset[int]:
    """Every unit inside the given ones (``province_wide``: inside their provinces), in both
    systems: the given units' predecessors and successors through the lineage count too."""
    reg = registry(engine)
    units, lin = reg.units, reg.lineage
    roots = set(unit_ids)
    if province_wide:
        roots = {int(units.at[u, "province_id"]) if not pd.isna(units.at[u, "province_id"]) else u for u in roots}
    related = set(roots)
    related |= set(lin.loc[lin["new"].isin(roots), "old"].astype(int))
    related |= set(lin.loc[lin["old"].isin(roots), "new"].astype(int))
    inside = units["id"].isin(related) | units["province_id"].isin(related) | units["district_id"].isin(related)
    return frozenset(int(i) for i in units.loc[inside, "id"])


def set_scope(unit_ids: frozenset[int] | None, home: str = "", country: bool = False) -> None:
    _SCOPE.set(unit_ids)
    _HOME.set(home)
    _COUNTRY.set(country)


def current() -> frozenset[int] | None:
    return _SCOPE.get()


def home_unit() -> str:
    """The official code the signed-in user's views start from ('' for the country)."""
    return _HOME.get()


def allows(unit_id: int | None) -> bool:
    """Whether the current scope may read this unit (None: the whole country)."""
    scope = _SCOPE.get()
    if scope is None:
        return True
    if unit_id is None:
        return _COUNTRY.get()
    return int(unit_id) in scope


def filter_rows(engine: Engine, df: pd.DataFrame) -> pd.DataFrame:
    """Only the rows of units (and departments of provinces) inside the scope; country rows go."""
    scope = _SCOPE.get()
    if scope is None or not isinstance(df, pd.DataFrame) or df.empty or "key" not in df:
        return df
    if "level" not in df:
        return df[df["key"].isin(scope)]
    agencies = registry(engine).agencies["unit_id"]
    dep = df["level"] == "department"
    ok = (~dep & df["key"].isin(scope)) | (dep & df["key"].map(agencies).isin(scope))
    if _COUNTRY.get():
        ok |= df["level"] == "country"
    return df[ok]

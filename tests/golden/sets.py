"""The data sets the recorded answers were made on: each is rebuilt from nothing by the ETL."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from data.db import get_engine

# Điện Biên and Lai Châu (unchanged in 2025) and Quảng Bình + Quảng Trị (merged into Quảng Trị 44)
SETS: dict[str, dict] = {
    "demo": {"commands": [["init"], ["demo", "--provinces", "11,12,44,45", "--until", "2026-10"]],
             "provinces": {"legacy": ["11", "12", "44", "45"], "2025": ["11", "12", "44"]},
             "views": 240, "seed": 8},
    # the real seed figures (stated periods such as "2017-2019", "9 tháng 2020") inside demo data
    "seed": {"commands": [["init"], ["seed"], ["demo", "--provinces", "11,24,45", "--until", "2020-12"]],
             "provinces": {"legacy": ["11", "24", "45"], "2025": ["11", "24", "44"]}, "views": 60, "seed": 9,
             "ranges": {"legacy": (date(2019, 1, 1), date(2020, 12, 31)),
                        "today": (date(2019, 1, 1), date(2020, 12, 31))},
             "extra": [
                 {"scheme": "legacy", "unit": "45", "unit_level": "province", "period": ["2017-01-01", "2019-12-31"]},
                 {"scheme": "legacy", "unit": None, "unit_level": None, "period": ["2017-01-01", "2019-12-31"]},
                 {"scheme": "legacy", "unit": "24", "unit_level": "province", "level": "department",
                  "period": ["2019-01-01", "2019-12-31"]},
                 {"scheme": "legacy", "unit": "24", "unit_level": "province", "level": "department",
                  "period": ["2020-01-01", "2020-09-30"]},
                 {"scheme": "legacy", "unit": "24", "unit_level": "province", "level": "department",
                  "period": ["2020-01-01", "2020-12-31"]},
                 {"scheme": "legacy", "unit": "11", "unit_level": "province", "level": "district",
                  "period": ["2020-01-01", "2020-02-24"]},
                 {"scheme": "legacy", "unit": "11", "unit_level": "province", "level": "district",
                  "period": ["2020-01-01", "2020-03-31"]},
                 {"scheme": "legacy", "unit": "11", "unit_level": "province", "level": "department",
                  "period": ["2020-01-01", "2020-03-31"]},
                 {"scheme": "legacy", "unit": "094", "unit_level": "district", "period": ["2020-01-01", "2020-02-24"]},
                 {"scheme": "today", "unit": "44", "unit_level": "province", "period": ["2017-01-01", "2019-12-31"]},
                 {"scheme": "legacy", "unit": "45", "unit_level": "province", "level": "department",
                  "period": ["2020-07-01", "2020-09-30"]},
             ]},
}


def build(url: str, name: str) -> Engine:
    """A fresh database at ``url`` holding the set ``name``."""
    from etl.cli import main

    for cmd in SETS[name]["commands"]:
        assert main([*cmd, "--db", url]) == 0, cmd
    return get_engine(url)

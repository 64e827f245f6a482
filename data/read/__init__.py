"""The read side: functions that only select from the analytics store (data/store.py) and
return DataFrames. Layers, imports one way: fetch (SQL) -> figures (indicators of units and
periods) -> views / quality / table (what pages, exports and the CLI ask for). Pages call
them through ``data.queries``."""

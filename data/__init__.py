"""Read side and schema: engine, tables, unit registry, metric registry, queries returning DataFrames."""

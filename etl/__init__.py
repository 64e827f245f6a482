"""Write side: extract (CSV/XLSX/official forms) -> validate -> load, seed and demo data, CLI."""

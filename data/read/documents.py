"""How a source is named to users: by the document's title and date ("Báo cáo kết quả … (Sở Nội
vụ Bắc Giang), 09/2020"), not by the file it was transcribed into. Seed rows cite their document
as ``"<file> — <title> (<date>): «<quote>»"`` (etl/seed.py); a loaded file is its file name."""

from __future__ import annotations

import re

_SEED_REF = re.compile(r"^(?P<file>[^—]+?) — (?P<title>.+?)(?: \((?P<date>[0-9/]+)\))?: «.*$", re.S)


def document_name(source_ref: str | None) -> str:
    """Title and date of the document a source reference cites (the reference itself when it
    cites a file)."""
    if not source_ref:
        return ""
    m = _SEED_REF.match(source_ref.strip())
    if not m:
        return source_ref.strip()
    return m["title"] + (f", {m['date']}" if m["date"] else "")


def quote_of(source_ref: str | None) -> str:
    """The quoted sentence(s) of a seed reference ('' for a file)."""
    if not source_ref or "«" not in source_ref:
        return ""
    return source_ref.split("«", 1)[1].rstrip("»").strip()

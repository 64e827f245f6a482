"""A page drawn once is served again from a disk cache shared by every worker of the machine.

The page-render callback's answer depends only on the page's address (path and query string),
the data (``queries.data_version``, which changes with every load) and the code. So its JSON is
kept in a ``diskcache`` folder (``TTHC_CACHE_DIR``; by default one in the system's temporary
directory named after the database URL) under a key made of those three; any worker on the machine
answers the next request for the same view from it, and a load makes every old entry unreachable
(they are evicted by size). Nothing here is needed for a correct answer: a restart, another
machine or an emptied folder only means the page is drawn again (DESIGN: workers hold no state
that a restart must rebuild). The first visit of a view is never served from here.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from flask import Flask, Response, g, request

ROOT = Path(__file__).resolve().parent.parent
SIZE_LIMIT = 256 * 2**20  # bytes; least recently used entries go first
_RENDER = "_pages_content"


SETTINGS = ("TTHC_HOME_PROVINCE",)  # environment variables a page's content depends on
PRIVATE = ("/muc-tieu", "/nhat-ky")  # pages that depend on the signed-in user and the audit log: never cached


def _code_version() -> str:
    """Changes when any module of the app or a setting that shapes pages changes (an upgrade or
    another home province never serves an old page)."""
    h = hashlib.sha1(json.dumps([os.environ.get(k, "") for k in SETTINGS]).encode())
    for folder in ("app.py", "pages", "components", "data"):
        for path in sorted((ROOT / folder).rglob("*.py")) if (ROOT / folder).is_dir() else [ROOT / folder]:
            st = path.stat()
            h.update(f"{path.relative_to(ROOT)}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:12]


def install(server: Flask, db_url: str, data_version, scope_key=lambda: "") -> None:  # noqa: ANN001
    """Serve repeated page renders of ``server`` from the shared cache. ``data_version()`` gives
    the current data version string, ``scope_key()`` the readable units of the request (a page
    drawn for one scope is never served to another)."""
    import diskcache

    where = os.environ.get("TTHC_CACHE_DIR") or str(
        Path(tempfile.gettempdir()) / f"tthc-pages-{hashlib.sha1(db_url.encode()).hexdigest()[:12]}")
    from components.security import private_folder

    cache = diskcache.Cache(private_folder(where), size_limit=SIZE_LIMIT)
    code = _code_version()

    @server.before_request
    def _from_cache() -> Response | None:
        if request.path.rsplit("/", 1)[-1] != "_dash-update-component" or request.method != "POST":
            return None
        body = request.get_data(cache=True)
        if _RENDER.encode() not in body:
            return None
        try:
            inputs = json.loads(body)["inputs"]
        except (ValueError, KeyError, TypeError):
            return None
        view = [(i.get("property"), i.get("value")) for i in inputs if isinstance(i, dict)]
        if any(p == "pathname" and isinstance(v, str) and v.rstrip("/") in PRIVATE for p, v in view):
            return None
        key = hashlib.sha256(json.dumps([code, data_version(), scope_key(), view],
                                        ensure_ascii=False).encode()).hexdigest()
        hit = cache.get(key)
        if hit is not None:
            return Response(hit, mimetype="application/json")
        g.page_cache_key = key
        return None

    @server.after_request
    def _to_cache(resp: Response) -> Response:
        key = g.pop("page_cache_key", None)
        if key is not None and resp.status_code == 200 and not resp.direct_passthrough:
            cache.set(key, resp.get_data())
        return resp

"""TTHC reform monitoring dashboard: the Dash app (use_pages), its shell and the WSGI ``server``.

Run: ``python app.py [--db URL]`` (host/port from HOST/PORT, default 127.0.0.1:8050);
gunicorn: ``gunicorn app:server``. The database URL comes from ``--db`` or ``TTHC_DB_URL``;
default: the SQLite file data/tthc.sqlite, created and filled on the first start.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import dash_bootstrap_components as dbc
from dash import Dash, dcc, html, page_container, page_registry

from components.exportbar import export_status
from data.db import ENV_VAR, default_url, get_engine

ROOT = Path(__file__).resolve().parent


def _db_from_argv(argv: list[str]) -> None:
    """Honour ``--db URL`` by putting it where every module reads the URL from."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db")
    args, _ = parser.parse_known_args(argv)
    if args.db:
        os.environ[ENV_VAR] = args.db


def _navbar() -> dbc.Navbar:
    """The menu: its links keep the view (pages/_nav.py); on a phone it folds behind a button.
    Pages for a role (``role=`` in register_page) appear for the users who have it; the signed-in
    user's name and the sign-out button sit at the end (pages/_nav.py fills them)."""
    pages = sorted(page_registry.values(), key=lambda p: p.get("order", 50))
    links = [
        dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact",
                                id={"type": "nav-link", "path": page["relative_path"]}))
        for page in pages if page.get("nav", True) and not page.get("menu")
    ]
    # the pages about the data itself (quality, sources) under one "Dữ liệu" menu
    data_pages = [page for page in pages if page.get("nav", True) and page.get("menu") == "data"]
    if data_pages:
        links.append(dbc.DropdownMenu([
            dbc.DropdownMenuItem(page["name"], href=page["relative_path"],
                                 id={"type": "nav-link", "path": page["relative_path"]})
            for page in data_pages], label="Dữ liệu", nav=True, in_navbar=True, id="nav-data-menu"))
    # the account menu: the pages of the user's role, then sign-out (one item in the bar, so the
    # menu stays on one line at 1440 px whatever the role)
    items = [
        dbc.DropdownMenuItem(page["name"], href=page["relative_path"], style={"display": "none"},
                             id={"type": "role-item", "path": page["relative_path"], "role": page["role"]})
        for page in pages if page.get("role")
    ]
    items += [
        dbc.DropdownMenuItem(divider=True),
        html.Form([
            dcc.Input(type="hidden", name="csrf", id="logout-csrf"),
            dbc.Button("Đăng xuất", type="submit", size="sm", color="link", id="logout",
                       className="dropdown-item"),
        ], action="/dang-xuat", method="post", className="m-0"),
    ]
    links.append(html.Div(
        dbc.DropdownMenu(items, label=html.Span(id="nav-user"), nav=True, in_navbar=True, align_end=True,
                         id="nav-account-menu", toggleClassName="text-white small"),
        className="ms-xl-auto", id="nav-account", style={"display": "none"}))
    return dbc.Navbar(
        dbc.Container(
            [
                # the full title from 1400 px, a short one where the menu needs the room
                dbc.NavbarBrand([html.Span("Theo dõi cải cách TTHC", className="d-none d-xxl-inline"),
                                 html.Span("Cải cách TTHC", className="d-xxl-none")],
                                href="/", id={"type": "nav-link", "path": "/", "brand": 1}),
                dbc.NavbarToggler(id="nav-toggle"),
                dbc.Collapse(dbc.Nav(links, navbar=True, className="w-100"), id="nav-collapse", navbar=True, is_open=False),
            ],
            fluid=True,
        ),
        color="primary",
        dark=True,
        expand="xl",
        className="mb-3",
    )


def _geo_routes(app: Dash) -> None:
    """Province boundaries as static JSON keyed by official codes (the map loads them by URL, so
    half a megabyte of geometry is not resent with every callback; the browser caches it)."""
    import json

    from flask import Response

    from data import geo
    from data.queries import units_frame

    cache: dict[tuple[str, str], bytes] = {}

    @app.server.route("/geo/provinces-<scheme>.geojson")
    def provinces(scheme: str) -> Response:
        if scheme not in geo.FILES:
            return Response("Không có ranh giới cho hệ đơn vị này.", status=404, mimetype="text/plain")
        from components.login import scope_key
        from data.read import scope

        key = (scheme, scope_key())  # each scope its own boundaries: only the provinces it may read
        if key not in cache:
            units = units_frame(get_engine(default_url()))
            prov = units[(units["scheme"] == scheme) & (units["level"] == "province")]
            allowed = scope.current()
            if allowed is not None:
                prov = prov[prov.index.isin(allowed)]
            shapes = geo.provinces_geojson(prov, scheme)[0]
            if allowed is not None:  # provinces outside the scope are not sent at all
                shapes["features"] = [f for f in shapes["features"] if f["id"] is not None]
            cache[key] = json.dumps(shapes, ensure_ascii=False).encode()
        resp = Response(cache[key], mimetype="application/geo+json")
        resp.headers["Cache-Control"] = "private, max-age=3600"
        return resp


def _job_manager():  # noqa: ANN202
    """Background jobs (exports) run in worker processes; their state lives in a disk cache
    shared by every worker of this machine serving the same database (``TTHC_JOBS_DIR``, by
    default a folder in the system's temporary directory named after the database URL), so a
    job started by one worker is polled by any other. Not in the project tree."""
    import hashlib
    import tempfile

    import diskcache
    from dash import DiskcacheManager

    where = os.environ.get("TTHC_JOBS_DIR") or str(
        Path(tempfile.gettempdir()) / f"tthc-jobs-{hashlib.sha1(default_url().encode()).hexdigest()[:12]}")
    from components.security import private_folder

    return DiskcacheManager(diskcache.Cache(private_folder(where)))


def create_app() -> Dash:
    from etl.bootstrap import ensure_database

    engine = get_engine(default_url())
    ensure_database(engine)
    _first_admin(engine)
    app = Dash(
        __name__,
        background_callback_manager=_job_manager(),
        use_pages=True,
        pages_folder=str(ROOT / "pages"),
        assets_folder=str(ROOT / "assets"),
        serve_locally=True,
        title="Theo dõi cải cách thủ tục hành chính",
        update_title=None,
        suppress_callback_exceptions=True,
    )
    import pages._export  # noqa: F401  (exports of the current view)
    import pages._nav  # noqa: F401  (filters into the URL, menu links keeping the view)
    import pages._search  # noqa: F401  (the unit search callback shared by every page)
    from components import login, security
    from etl.preview import MAX_REQUEST_BYTES

    app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES  # an upload (base64 in JSON) and no more
    security.install(app.server, app.csp_hashes)  # headers, error pages, the origin check
    login.install(app.server, engine)  # then sign-in: every later hook runs with the request's scope
    _geo_routes(app)
    if os.environ.get("TTHC_PAGE_CACHE", "1") != "0":
        from components import pagecache
        from data import queries

        pagecache.install(app.server, default_url(), lambda: queries.data_version(engine), login.scope_key)
    app.index_string = app.index_string.replace("<html>", '<html lang="vi">')
    app.layout = html.Div(
        [dcc.Location(id="url", refresh="callback-nav"), _navbar(),
         dbc.Container(page_container, fluid=True, className="pb-4"), dcc.Download(id="export-download"),
         dcc.Store(id="export-request"), dcc.Store(id="job-token"), html.Div(id="export-error", className="export-error", role="alert"),
         export_status()],
        lang="vi",
    )
    _prime(app)
    return app


def _first_admin(engine) -> None:  # noqa: ANN001
    """A database without users gets ``admin`` with a random password, shown once here."""
    from data.auth import ensure_admin

    password = ensure_admin(engine)
    if password:
        print("\n".join([
            "", "=" * 72,
            "Đã tạo người dùng quản trị đầu tiên (chỉ hiện một lần):",
            "  tên đăng nhập: admin",
            f"  mật khẩu:      {password}",
            "Đổi mật khẩu:  python -m etl users passwd admin --password-stdin",
            "Thêm người dùng: python -m etl users add TEN --role viewer --unit 11 --password-stdin",
            "=" * 72, ""]), file=sys.stderr, flush=True)


def _prime(app: Dash) -> None:
    """Before any worker exists (gunicorn forks them after this, with preload):

    - serve the index page once: Dash registers its component libraries (the paths its
      JavaScript is served from) on the first request, so a browser that gets the page from one
      worker and the scripts from another finds them all;
    - load the unit registry (reference data, the same for every request) and draw the home
      page once, discarding it: the code paths (plotly's validators, compiled queries) are
      initialised here once instead of in every worker's first request. No figure is kept.
    """
    import logging

    from dash import page_registry

    from components import login
    from data import queries

    login.PRIMING = True  # the master's own request, before any user can ask
    try:
        with app.server.test_client() as client:
            client.get("/")
    finally:
        login.PRIMING = False
    try:
        queries.units_frame(get_engine(default_url()))
        home = next(p for p in page_registry.values() if p["path"] == "/")
        home["layout"]()
    except Exception:  # an empty or unreachable database: the page says so itself when asked
        logging.getLogger(__name__).warning("could not draw the home page at start", exc_info=True)


if __name__ == "__main__":
    _db_from_argv(sys.argv[1:])

app = create_app()
server = app.server

if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8050")), debug=False)

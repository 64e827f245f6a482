"""The real app with components.security installed, as the lead's app.py will do it: for the
browser tests of the security headers (tests/test_browser_security.py), served by gunicorn as
``tests.secure_app:server``. Not used in production."""

from __future__ import annotations

import app as _app
from components.security import install

# app.py serves one request at start (its _prime), after which Flask refuses new hooks; the lead
# calls install() inside create_app() before _prime(), which this wrapper imitates
_app.app.server._got_first_request = False
install(_app.app.server, _app.app.csp_hashes())
app = _app.app
server = _app.server

# tests only: TTHC_TEST_USER=name signs every request in as that user (the login page is the lead's)
import os  # noqa: E402

if os.environ.get("TTHC_TEST_USER"):
    from components import access
    from data import auth
    from data.db import default_url, get_engine

    _user = auth.get_user(get_engine(default_url()), os.environ["TTHC_TEST_USER"])
    access.current_user = lambda: _user

"""Production server settings for ``gunicorn -c gunicorn.conf.py app:server`` (scripts/run.sh).

One worker process per core, a few threads each. The app is imported once in the master
(``preload_app``): the first start creates and fills the embedded database there, once, before any
worker serves. Workers keep no state that a restart must rebuild: figures come from the analytics
store in the database, so any number of workers, on any number of machines pointing at the same
PostgreSQL, serve the same answers. Override with HOST, PORT, WEB_CONCURRENCY (workers) and
TTHC_THREADS (threads per worker).
"""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8050')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
worker_class = "gthread"
threads = int(os.environ.get("TTHC_THREADS") or 4)
preload_app = True
timeout = 120  # an export renders charts in a background job; requests themselves take milliseconds
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("TTHC_ACCESS_LOG") or None
# request line, status, bytes, seconds taken (what the benchmark reads)
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(B)s %(L)s'
errorlog = "-"
loglevel = os.environ.get("TTHC_LOG_LEVEL", "info")


def post_fork(server, worker):  # noqa: ANN001, ANN201
    """Database connections opened in the master (the first start) are not shared with workers."""
    from data.db import default_url, get_engine

    get_engine(default_url()).dispose(close=False)


def when_ready(server):  # noqa: ANN001, ANN201
    server.log.info("Đang phục vụ tại http://%s (%d tiến trình × %d luồng)", bind, workers, threads)

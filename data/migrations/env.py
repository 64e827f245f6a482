"""Alembic environment: runs on the connection handed over by data.db.upgrade (or a URL)."""

from alembic import context
from sqlalchemy import create_engine

from data.db import default_url, normalise_url
from data.schema import metadata

config = context.config
connection = config.attributes.get("connection")


def _run(conn) -> None:  # noqa: ANN001
    context.configure(
        connection=conn,
        target_metadata=metadata,
        render_as_batch=conn.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    engine = create_engine(normalise_url(config.get_main_option("sqlalchemy.url") or default_url()))
    with engine.begin() as conn:
        _run(conn)

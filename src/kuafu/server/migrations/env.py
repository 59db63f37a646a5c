"""Alembic environment: run against the connection `kuafu.server.core.db.migrate` passes."""

from alembic import context
from sqlalchemy import create_engine

from kuafu.server.core.db import normalise_url
from kuafu.server.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # `alembic` command line: sqlalchemy.url from the ini
        engine = create_engine(normalise_url(config.get_main_option("sqlalchemy.url")))
        with engine.begin() as connection:
            _migrate(connection)
    else:
        _migrate(connection)


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run()

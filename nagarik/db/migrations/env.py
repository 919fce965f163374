"""Alembic environment: migrations run against nagarik.db's engine and metadata."""

from alembic import context

from nagarik import db
from nagarik.db import models

connectable = context.config.attributes.get("connection")


def run() -> None:
    if connectable is not None:
        context.configure(connection=connectable, target_metadata=models.Base.metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    with db.get_engine().connect() as connection:
        context.configure(connection=connection, target_metadata=models.Base.metadata)
        with context.begin_transaction():
            context.run_migrations()


run()

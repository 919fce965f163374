"""Alembic environment of the channel's tables: always given a connection by whatsapp.cloud.migrate."""

from alembic import context

from whatsapp.cloud.migrate import VERSION_TABLE
from whatsapp.cloud.store import metadata

context.configure(connection=context.config.attributes["connection"], target_metadata=metadata, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()

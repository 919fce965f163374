"""The channel's tables, created and changed by Alembic migrations (whatsapp/cloud/migrations/).

Every process that opens the store brings its tables to the newest revision first, as Rasa's
own tracker store creates its tables itself; one process at a time (a file lock beside a SQLite
database, an advisory lock on PostgreSQL). The channel runs under Rasa's pins, so it keeps a
version table of its own (`whatsapp_alembic_version`) and may share a database with the civic
tables without touching their history. A store made before migrations (its tables but no version
table) is stamped with the revision its columns show, then upgraded.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "whatsapp_alembic_version"
ADVISORY_LOCK = 0x57410001  # any fixed number: the key of the channel's migration lock on PostgreSQL


def upgrade(engine: Engine) -> None:
    with _file_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
        config = _config(connection)
        revision = _revision_before_migrations(connection)
        if revision:
            command.stamp(config, revision)
        command.upgrade(config, "head")


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _revision_before_migrations(connection: Connection) -> str | None:
    """What a store created by create_all (before these migrations) already has."""
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    if VERSION_TABLE in tables or "whatsapp_inbox" not in tables:
        return None
    columns = {column["name"] for column in inspector.get_columns("whatsapp_outbox")}
    return "whatsapp_0002" if "callback_data" in columns else "whatsapp_0001"


@contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

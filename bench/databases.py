"""A civic database of a bench's own: SQLite in its folder, or a database of its name on the
PostgreSQL server the benches share (NAGARIK_TEST_DATABASE_URL's), dropped afterwards."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from harness.deployment import POSTGRES


def _execute(server: str, *statements: str) -> None:
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    admin.dispose()


def fresh_database(choice: str, directory: Path, name: str) -> str:
    """`choice`: sqlite, postgresql (the shared server) or a postgresql:// URL; an empty database's URL."""
    if choice == "sqlite":
        return f"sqlite:///{directory / 'nagarik.db'}"
    server = (POSTGRES if choice == "postgresql" else choice).rstrip("/")
    server = server.rsplit("/", 1)[0] if server.count("/") > 2 else server
    _execute(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
    return f"{server}/{name}"


def drop_database(url: str) -> None:
    server, name = url.rsplit("/", 1)
    _execute(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

"""The civic database's engine and sessions (the schema is in nagarik/db/models.py).

SQLite by default (a file under var/), PostgreSQL when DATABASE_URL says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from nagarik import settings
from nagarik.db.models import Counter


@cache
def get_engine(url: str | None = None) -> Engine:
    url = url or settings.database_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


@cache
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back on an exception."""
    session = _session_factory(url or settings.database_url())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def next_number(session: Session, name: str) -> int:
    """Atomically take the next value of a named counter (works on SQLite and PostgreSQL)."""
    for _attempt in range(5):
        taken = session.execute(
            update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
        ).scalar_one_or_none()
        if taken is not None:
            return taken
        try:
            with session.begin_nested():
                session.execute(insert(Counter).values(name=name, value=1))
            return 1
        except IntegrityError:
            continue  # another process created it first: take the next value instead
    raise RuntimeError(f"could not allocate from counter {name}")


def count(session: Session, statement: Any) -> int:
    return session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()

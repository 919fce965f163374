"""Bringing a database's schema to the newest Alembic revision (nagarik/db/migrations/)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from nagarik import db, settings


def migrate(url: str | None = None) -> None:
    """Bring the schema to the newest Alembic revision."""
    config = Config(str(settings.PROJECT_ROOT / "alembic.ini"))
    engine = db.get_engine(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

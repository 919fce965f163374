"""The Alembic migrations build exactly the schema the models describe (on SQLite and PostgreSQL)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from nagarik import db
from nagarik.db import models


def test_the_migrations_match_the_models(database_url):
    with db.get_engine(database_url).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), models.Base.metadata)
    assert differences == []

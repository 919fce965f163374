"""Fixtures: a migrated, seeded civic database (SQLite, and PostgreSQL when
NAGARIK_TEST_DATABASE_URL is set), the merged domain, and real rasa-sdk trackers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, delete, text
from sqlalchemy.exc import OperationalError

from nagarik import db, settings
from nagarik.catalog import store as catalog_store
from nagarik.db import models
from nagarik.db.migrate import migrate
from nagarik.shared.catalog import Catalog
from tests.unit.http_server import server  # noqa: F401 (the HTTP transports' tests use this fixture)

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "fixtures" / "seed"  # the tests' own sample rows, never the demo's
os.environ[settings.SAMPLE_DIR_VARIABLE] = str(SAMPLES)  # also for servers the tests start

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("NAGARIK_TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'nagarik.db'}"
        migrate(url)
        yield url
        return
    base = os.environ["NAGARIK_TEST_DATABASE_URL"]
    schema = f"nagarik_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        pytest.fail(f"PostgreSQL at {base} is not reachable (NAGARIK_TEST_DATABASE_URL is set): {exc}")
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    migrate(url)
    yield url
    db.get_engine(url).dispose()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


# The catalog's tables (the *Row classes) are seeded again, not emptied; counters are handled below.
CATALOG_TABLES = {mapper.local_table for mapper in models.Base.registry.mappers if mapper.class_.__name__.endswith("Row")}
MUTABLE_TABLES = [  # every other table, children before parents
    table for table in reversed(models.Base.metadata.sorted_tables) if table not in CATALOG_TABLES | {models.Counter.__table__}
]


@pytest.fixture
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A clean, freshly seeded database for each test; DATABASE_URL points at it."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    with db.session_scope(database_url) as session:
        for table in MUTABLE_TABLES:
            session.execute(delete(table))
        # Identifier sequences start again; the catalog revision only grows (readers cache by it).
        session.execute(delete(models.Counter).where(models.Counter.name != catalog_store.REVISION_COUNTER))
        catalog_store.seed(session, samples=SAMPLES)
    yield database_url


@pytest.fixture
def catalog(database: str) -> Catalog:
    with db.session_scope() as session:
        return catalog_store.read_catalog(session)


def _merge(target: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict):
            target.setdefault(key, {}).update(value)
        elif isinstance(value, list):
            target.setdefault(key, []).extend(value)
        else:
            target[key] = value


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in sorted((ROOT / "domain").rglob("*.yml")):
        _merge(merged, yaml.safe_load(path.read_text(encoding="utf-8")))
    return merged

"""`python -m nagarik.manage migrate|seed|init|check-catalog`: database chores for make and officials."""

from __future__ import annotations

import argparse
import sys

from alembic import command
from alembic.config import Config

from nagarik import campaigns, catalog_store, db, reminders
from nagarik.catalog import CatalogError, parse_applications, parse_catalog


def migrate(url: str | None = None) -> None:
    """Bring the schema to the newest Alembic revision."""
    config = Config(str(db.PROJECT_ROOT / "alembic.ini"))
    engine = db.get_engine(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def seed(url: str | None = None) -> None:
    with db.session_scope(url) as session:
        catalog = catalog_store.seed(session)
        dates = reminders.seed_dates(session)
    print(
        f"seeded {len(catalog.services)} services, {len(catalog.grievance_categories)} grievance categories, "
        f"{len(catalog.wards)} wards, {len(catalog.holidays)} holidays, {dates} sample reminder dates"
    )


def check_catalog() -> None:
    catalog = parse_catalog(catalog_store.SEED_DIR / "catalog.yml")
    applications = parse_applications(catalog_store.SEED_DIR / "applications.yml", catalog)
    print(f"catalog OK: {len(catalog.services)} services, {len(applications)} sample applications")
    rules = reminders.load()
    print(f"reminders OK: {len(rules.kinds)} kinds, {len(rules.rules)} rules")
    for name in campaigns.available():
        print(f"campaign {name} OK: {len(campaigns.load_definition(name)['steps'])} steps")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nagarik.manage", description=__doc__)
    parser.add_argument("command", choices=["migrate", "seed", "init", "check-catalog", "demo"])
    args = parser.parse_args(argv)
    try:
        if args.command in ("migrate", "init"):
            migrate()
            print(f"database schema is current ({db.database_url().split('@')[-1]})")
        if args.command in ("seed", "init"):
            seed()
        if args.command == "check-catalog":
            check_catalog()
        if args.command == "demo":
            from nagarik.demo import seed_neighbours

            print(f"demo: {seed_neighbours()} neighbours of the demo citizen added (seed/demo.yml)")
    except CatalogError as exc:
        print(f"catalog error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

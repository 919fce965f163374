"""migrate, seed, init, check-catalog, demo: the civic database's chores, for make and officials."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from nagarik import db, settings
from nagarik.catalog import store as catalog_store
from nagarik.db.migrate import migrate
from nagarik.officials.demo import seed_accounts, seed_neighbours
from nagarik.outbound import campaigns, reminders
from nagarik.shared.catalog import parse_applications, parse_catalog
from nagarik.shared.seed_files import SeedFileError


def register(commands: argparse._SubParsersAction) -> None:
    chores = {
        "migrate": ("bring the schema to the newest revision (Alembic)", migrate_schema),
        "seed": ("load seed/catalog.yml, the sample applications and sample dates", seed),
        "init": ("migrate, then seed", init),
        "check-catalog": ("check the catalog, reminder and campaign files without touching the database", check_catalog),
        "demo": ("add the demo citizen's 600 neighbours and a console account per role (seed/demo.yml)", demo),
    }
    for name, (help_text, func) in chores.items():
        commands.add_parser(name, help=help_text).set_defaults(func=lambda args, func=func: chore(func))


def chore(func: Callable[[], None]) -> int:
    """Run a chore; a seed file to fix is said with its file and line (exit 1)."""
    try:
        func()
    except SeedFileError as exc:
        print(f"catalog error: {exc}", file=sys.stderr)
        return 1
    return 0


def migrate_schema() -> None:
    migrate()
    print(f"database schema is current ({settings.database_url().split('@')[-1]})")


def seed() -> None:
    with db.session_scope() as session:
        catalog = catalog_store.seed(session)
        dates = reminders.seed_dates(session)
    print(
        f"seeded {len(catalog.services)} services, {len(catalog.grievance_categories)} grievance categories, "
        f"{len(catalog.wards)} wards, {len(catalog.holidays)} holidays, {dates} sample reminder dates"
    )


def init() -> None:
    migrate_schema()
    seed()


def check_catalog() -> None:
    catalog = parse_catalog(settings.SEED_DIR / "catalog.yml")
    applications = parse_applications(settings.SEED_DIR / "applications.yml", catalog)
    print(f"catalog OK: {len(catalog.services)} services, {len(applications)} sample applications")
    rules = reminders.load()
    print(f"reminders OK: {len(rules.kinds)} kinds, {len(rules.rules)} rules")
    for name in campaigns.available():
        print(f"campaign {name} OK: {len(campaigns.load_definition(name)['steps'])} steps")


def demo() -> None:
    print(f"demo: {seed_neighbours()} neighbours of the demo citizen added (seed/demo.yml)")
    made, existing = seed_accounts()
    for account in made:  # the only time these passwords are shown
        scope = f": {', '.join(account.departments)}" if account.departments else ""
        print(f"demo: console account {account.username} ({account.role}{scope}) password (shown once): {account.password}")
    if existing:
        print(f"demo: {existing} console account(s) existed already, passwords unchanged and not shown again")

"""Escalation ladders in the catalog (defaults, validation, the database's copy) and the dates of
each SLA step in working days (nagarik.citizens.escalation)."""

import datetime as dt
from pathlib import Path

import pytest

from nagarik import db
from nagarik.catalog import store as catalog_store
from nagarik.citizens import escalation
from nagarik.shared.catalog import DEFAULT_SLA_DAYS, Authority, parse_catalog
from nagarik.shared.seed_files import SeedFileError
from tests.unit.test_catalog import SEED, broken, line_of

# Thursday 24 Dec 2026, 10:00 in Bengaluru; the 25th is Christmas, the 26th the 4th Saturday.
FILED = dt.datetime(2026, 12, 24, 4, 30)
ROADS_LADDER = """    escalation:
      - {days: 7, role: department_head}
      - {days: 12, role: supervisor}
      - {days: 20, role: commissioner}
"""


def test_a_category_without_a_ladder_gets_the_default_one_and_without_sla_21_days(tmp_path: Path):
    shipped = parse_catalog(SEED / "catalog.yml")
    sanitation = shipped.category("sanitation")
    assert [(r.level, r.days, r.to) for r in sanitation.escalation] == [
        (1, 3, Authority(role="department_head")),
        (2, 10, Authority(role="supervisor")),
    ]
    assert [(r.days, r.to.role) for r in shipped.category("roads").escalation] == [
        (7, "department_head"), (12, "supervisor"), (20, "commissioner"),
    ]  # fmt: skip
    assert shipped.office.appellate == Authority(role="commissioner")

    roads_sla_and_ladder = "    department: engineering\n    sla_days: 7\n" + _comment_and(ROADS_LADDER)
    path = broken(tmp_path, roads_sla_and_ladder, "    department: engineering\n")
    roads = parse_catalog(path).category("roads")
    assert roads.sla_days == DEFAULT_SLA_DAYS == 21
    assert [(r.days, r.to.role) for r in roads.escalation] == [(21, "department_head"), (28, "supervisor")]


def _comment_and(ladder: str) -> str:
    text = (SEED / "catalog.yml").read_text(encoding="utf-8")
    start = text.index("    # Up the ladder when unresolved")
    return text[start : text.index(ladder) + len(ladder)]


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("{days: 12, role: supervisor}", "{days: 7, role: supervisor}", "{days: 7, role: supervisor}",
         "grievance category 'roads': escalation level 2: days must be more than level 1's 7"),
        ("{days: 12, role: supervisor}", "{days: 12, role: mayor}", "role: mayor",
         "grievance category 'roads': escalation level 2: unknown role 'mayor'"),
        ("{days: 12, role: supervisor}", "{days: 12, role: supervisor, officer: demo-supervisor}", "officer: demo-supervisor",
         "grievance category 'roads': escalation level 2: give either a role"),
        ("{days: 12, role: supervisor}", "{days: 12, officer: 'Not A User!'}", "Not A User",
         "grievance category 'roads': escalation level 2: officer 'Not A User!' is not a console username"),
        ("appellate: {role: commissioner}", "appellate: {role: judge}", "role: judge", "office: appellate: unknown role 'judge'"),
    ],
)  # fmt: skip
def test_a_wrong_ladder_or_appellate_names_its_line(tmp_path: Path, old: str, new: str, needle: str, message: str):
    path = broken(tmp_path, old, new)
    with pytest.raises(SeedFileError) as error:
        parse_catalog(path)
    assert str(error.value).startswith(f"{path}:{line_of(path, needle)}: {message}")


def test_a_named_officer_is_a_rung_and_the_database_keeps_the_ladder(tmp_path: Path, database):
    path = broken(tmp_path, "{days: 12, role: supervisor}", "{days: 12, officer: demo-supervisor}")
    rung = parse_catalog(path).category("roads").escalation[1]
    assert rung.to == Authority(officer="demo-supervisor") and rung.to.describe() == "officer demo-supervisor"
    with db.session_scope() as session:
        catalog_store.write_catalog(session, parse_catalog(path))
    with db.session_scope() as session:
        read = catalog_store.read_catalog(session)
    assert read.category("roads").escalation == parse_catalog(path).category("roads").escalation
    assert read.office.appellate == Authority(role="commissioner")
    assert [r.days for r in read.category("other").escalation] == [7, 14]


def test_the_steps_fall_on_working_days(catalog):
    sanitation, roads = catalog.category("sanitation"), catalog.category("roads")  # 3 and 7 working days
    # Friday is Christmas, Saturday the 4th Saturday: Monday 28th is the first working day after filing.
    assert escalation.ack_reminder_day(catalog, FILED) == dt.date(2026, 12, 28)
    assert escalation.half_sla_days(sanitation) == 2 and escalation.half_sla_days(roads) == 4
    assert escalation.half_sla_day(catalog, sanitation, FILED) == dt.date(2026, 12, 29)
    assert escalation.half_sla_day(catalog, roads, FILED) == dt.date(2026, 12, 31)
    # roads: level 1 at 7 working days (Mon 4 Jan: the 2nd is an open 1st Saturday, the 3rd a Sunday)
    assert escalation.level_due(catalog, roads, FILED, dt.date(2027, 1, 2)) == 0
    assert escalation.level_due(catalog, roads, FILED, dt.date(2027, 1, 4)) == 1
    assert escalation.level_due(catalog, roads, FILED, dt.date(2027, 1, 11)) == 2  # 12 working days: the 9th is a 2nd Saturday
    assert escalation.level_due(catalog, roads, FILED, dt.date(2027, 3, 1)) == 3
    assert escalation.authority_at(roads, 3) == Authority(role="commissioner")


def test_a_step_is_due_from_the_office_opening_and_cutoffs_agree_with_level_due(catalog):
    # 09:59 and 10:00 in Bengaluru on Monday 28th
    assert escalation.sweep_day(catalog, dt.datetime(2026, 12, 28, 4, 29)) == dt.date(2026, 12, 27)
    assert escalation.sweep_day(catalog, dt.datetime(2026, 12, 28, 4, 30)) == dt.date(2026, 12, 28)
    # On Monday 28th, one working day has passed for everything filed up to Sunday 27th (local).
    assert escalation.latest_filing_day(catalog, 1, dt.date(2026, 12, 28)) == dt.date(2026, 12, 27)
    assert escalation.filed_before(catalog, 1, dt.date(2026, 12, 28)) == dt.datetime(2026, 12, 27, 18, 30)
    roads = catalog.category("roads")
    on = dt.date(2027, 1, 11)
    for rung in roads.escalation:
        cutoff = escalation.filed_before(catalog, rung.days, on)
        assert escalation.level_due(catalog, roads, cutoff - dt.timedelta(minutes=1), on) >= rung.level
        assert escalation.level_due(catalog, roads, cutoff, on) < rung.level

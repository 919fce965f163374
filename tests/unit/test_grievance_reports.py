"""The grievance lifecycle's reports (nagarik.officials.grievance_reports) on hand-made grievances
moved through the lifecycle at chosen moments (each seed's comment gives its figures): SLA
compliance by the local due date, the average resolution time, escalations, ratings, appeals and
reopenings, a department restriction, local dates across a daylight-saving change. Then the
dashboard's section and its CSV, and who may download it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from side_stores import stores  # noqa: F401 (a fixture: the dashboard's channel store)
from sqlalchemy import event, select

from nagarik import db
from nagarik.citizens import grievance_lifecycle as lc
from nagarik.citizens.stores import Stores
from nagarik.db import models
from nagarik.officials import dashboard, grievance_reports
from nagarik.officials.dashboard import Period
from nagarik.officials.grievance_reports import Figures
from nagarik.shared import clock
from nagarik.shared.clock import from_local, frozen
from nagarik.web import console
from tests.unit.staff_helpers import START, add_official
from tests.unit.test_console import login

JAN = Period(dt.date(2030, 1, 1), dt.date(2030, 1, 7))  # START (2030-01-07 10:30 IST) is on its last day


def local(day: int, hour: int = 10, minute: int = 0, month: int = 1, year: int = 2030) -> dt.datetime:
    """A local (IST) wall-clock time as the naive UTC the database holds."""
    return from_local(dt.datetime(year, month, day, hour, minute))


def date(day: int, month: int = 1, year: int = 2030) -> dt.date:
    return dt.date(year, month, day)


class Seed:
    """Grievances filed and moved through the lifecycle with an injected `now` for each move."""

    def __init__(self) -> None:
        self.number = 0

    def file(self, category: str, department: str, created: dt.datetime, due: dt.date) -> models.Grievance:
        self.number += 1
        with db.session_scope() as session:
            grievance = models.Grievance(
                tracking_id=f"GRV-2030-{self.number:06d}", phone="919876543210", category_key=category,
                department_key=department, description="Garbage not collected", location_text="9th main",
                location_key="9th main", language="en", status="registered", created_at=created, due_on=due,
            )  # fmt: skip
            grievance.events.append(models.GrievanceEvent(status="registered", changed_by="citizen", created_at=created))
            session.add(grievance)
        return grievance

    @staticmethod
    def move(grievance: models.Grievance, *steps: tuple[str, dt.datetime]) -> None:
        """Each step at its moment: resolved (assigned first), rejected, reopened, a rating
        (good, average, poor), appealed, decided."""
        with db.session_scope() as session:
            row = session.execute(select(models.Grievance).where(models.Grievance.id == grievance.id)).scalar_one()
            for step, at in steps:
                if step == "resolved":
                    if row.status != "reopened":
                        lc.transition(session, row, "assigned", by="ravi", actor="official", now=at)
                    lc.transition(session, row, "resolved", by="ravi", actor="official", remark="fixed", now=at)
                elif step == "rejected":
                    lc.transition(session, row, "rejected", by="ravi", actor="official", remark="not ours", now=at)
                elif step == "reopened":
                    lc.reopen(session, row, "still broken", now=at)
                elif step in lc.RATINGS:
                    lc.rate(session, row, step, now=at)
                elif step == "appealed":
                    lc.appeal(session, row, "nothing was done", now=at)
                elif step == "decided":
                    lc.decide_appeal(session, row, "Cleared again; the officer is warned.", by="asha", now=at)
                else:
                    raise ValueError(step)

    @staticmethod
    def escalate(grievance: models.Grievance, level: int, at: dt.datetime) -> None:
        """What the SLA sweep marks when it escalates (nagarik.outbound.sla_sweep)."""
        with db.session_scope() as session:
            row = session.get(models.Grievance, grievance.id)
            assert row is not None
            row.escalation_level, row.escalated_at = level, at


def days(*spans: tuple[dt.datetime, dt.datetime]) -> float:
    return sum((resolved - filed).total_seconds() for filed, resolved in spans) / 86_400


# The resolution times the seed gives (filed, resolved), per category
SANITATION_SPANS = [
    (local(1, 10), local(3, 15)),
    (local(2, 10), local(5, 10)),
    (local(2, 11), local(5, 1, 0)),
    (local(20, 12, month=12, year=2029), local(1, 0, 5)),
]
STRAY_SPANS = [(local(3, 10), local(6, 10))]
STREETLIGHT_SPANS = [(local(2, 10), local(3, 10)), (local(1, 10), local(1, 15))]


def seed_grievances() -> None:
    """health/sanitation: filed 4 (H1 H2 H3 H5); resolved 4 (H1 in time; H2 late; H3 late by the local
    date though on time by UTC's; H4 filed in December, resolved late just after the period's first
    midnight): 25 %; escalated 1 (H5); rated good 1 (H1), poor 1 (H2); appeals filed 1 (H2), decided
    1 in time (H2). H6 and H7 fall just outside the period's edges.
    health/stray_animals: filed 2; resolved 1 (S2, resolved again after its reopening, in time; S1 is
    reopened, its resolution no longer stands); reopened 2.
    electrical/streetlight: filed 3 (E1 E2 E4); resolved 2 in time (E1, and E4 now appealed);
    escalated 1 (E1; E5's escalation was in December); rated average 1 (E1), poor 1 (E4; E3's and
    E6's ratings were before the period); appeals filed 1 (E4, waiting); decided 2 (E3 in time, E6
    late).
    engineering/roads: nothing in the period (R1 is filed at the midnight after it)."""
    seed = Seed()
    h1 = seed.file("sanitation", "health", local(1, 10), date(4))
    seed.move(h1, ("resolved", local(3, 15)), ("good", local(4, 9)))
    h2 = seed.file("sanitation", "health", local(2, 10), date(4))
    seed.move(h2, ("resolved", local(5, 10)), ("poor", local(5, 12)), ("appealed", local(6, 10)), ("decided", local(7, 9)))
    h3 = seed.file("sanitation", "health", local(2, 11), date(4))
    seed.move(h3, ("resolved", local(5, 1, 0)))  # 01:00 IST on Jan 5 is 19:30 UTC on Jan 4, the due date
    h4 = seed.file("sanitation", "health", local(20, 12, month=12, year=2029), date(24, 12, 2029))
    seed.move(h4, ("resolved", local(1, 0, 5)))
    h5 = seed.file("sanitation", "health", local(6, 10), date(9))
    seed.escalate(h5, 1, local(7, 8))
    h6 = seed.file("sanitation", "health", local(31, 23, 59, month=12, year=2029), date(3))
    seed.move(h6, ("resolved", local(8, 0, 0)))  # neither filed nor resolved in the period
    seed.file("sanitation", "health", local(8, 0, 0), date(11))  # H7: the midnight after the period

    s1 = seed.file("stray_animals", "health", local(3, 10), date(8))
    seed.move(s1, ("resolved", local(4, 10)), ("reopened", local(5, 10)))
    s2 = seed.file("stray_animals", "health", local(3, 10), date(8))
    seed.move(s2, ("resolved", local(4, 10)), ("reopened", local(4, 12)), ("resolved", local(6, 10)))

    e1 = seed.file("streetlight", "electrical", local(2, 10), date(4))
    seed.move(e1, ("resolved", local(3, 10)), ("average", local(3, 12)))
    seed.escalate(e1, 1, local(2, 20))
    e2 = seed.file("streetlight", "electrical", local(1, 10), date(3))
    seed.move(e2, ("rejected", local(2, 10)))
    e3 = seed.file("streetlight", "electrical", local(1, 10, month=12, year=2029), date(4, 12, 2029))
    seed.move(e3, ("resolved", local(5, month=12, year=2029)), ("poor", local(6, month=12, year=2029)),
              ("appealed", local(20, month=12, year=2029)), ("decided", local(2, 10)))  # fmt: skip
    e4 = seed.file("streetlight", "electrical", local(1, 10), date(3))
    seed.move(e4, ("resolved", local(1, 15)), ("poor", local(2, 10)), ("appealed", local(3, 10)))
    e5 = seed.file("streetlight", "electrical", local(25, month=12, year=2029), date(27, 12, 2029))
    seed.escalate(e5, 2, local(30, month=12, year=2029))
    e6 = seed.file("streetlight", "electrical", local(1, month=10, year=2029), date(3, 10, 2029))
    seed.move(e6, ("resolved", local(2, month=10, year=2029)), ("poor", local(3, month=10, year=2029)),
              ("appealed", local(10, month=10, year=2029)), ("decided", local(3, 10)))  # due Nov 9: decided late  # fmt: skip

    seed.file("roads", "engineering", local(8, 0, 0), date(15))  # R1


@pytest.fixture
def seeded(database: str) -> None:
    seed_grievances()


def counts(row: Figures) -> dict[str, int]:
    return {name: getattr(row, name) for name in grievance_reports.COUNTED if name != "resolution_days"}


def figures(**given: int) -> dict[str, int]:
    zero = dict.fromkeys((name for name in grievance_reports.COUNTED if name != "resolution_days"), 0)
    return zero | given


SANITATION = figures(filed=4, resolved=4, resolved_in_sla=1, escalated=1, rated_good=1, rated_poor=1, appeals_filed=1,
                     appeals_decided=1, appeals_decided_in_time=1)  # fmt: skip
STRAY = figures(filed=2, resolved=1, resolved_in_sla=1, reopened=2)
STREETLIGHT = figures(filed=3, resolved=2, resolved_in_sla=2, escalated=1, rated_average=1, rated_poor=1, appeals_filed=1,
                      appeals_waiting=1, appeals_decided=2, appeals_decided_in_time=1)  # fmt: skip


def test_figures_per_department_and_category(seeded: None) -> None:
    with db.session_scope() as session:
        found = grievance_reports.report(session, JAN)
    assert [d.department for d in found.departments] == ["electrical", "health"]  # roads: nothing in the period
    electrical, health = found.departments
    assert [row.category for row in health.categories] == ["sanitation", "stray_animals"]
    sanitation, stray = health.categories
    assert counts(sanitation) == SANITATION and counts(stray) == STRAY
    assert counts(electrical.categories[0]) == STREETLIGHT
    assert counts(health.total) == {name: SANITATION[name] + STRAY[name] for name in SANITATION}
    assert health.total.category is None and counts(electrical.total) == STREETLIGHT
    assert counts(found.total) == {name: SANITATION[name] + STRAY[name] + STREETLIGHT[name] for name in SANITATION}


def test_sla_compliance_and_the_average_resolution_time(seeded: None) -> None:
    with db.session_scope() as session:
        found = grievance_reports.report(session, JAN)
    electrical, health = found.departments
    sanitation, stray = health.categories
    assert sanitation.sla_compliance == 0.25 and stray.sla_compliance == 1.0 and health.total.sla_compliance == 0.4
    assert electrical.total.sla_compliance == 1.0 and found.total.sla_compliance == 4 / 7
    assert sanitation.average_resolution_days == pytest.approx(days(*SANITATION_SPANS) / 4)
    assert stray.average_resolution_days == pytest.approx(3.0)  # from filing to the resolution that stands
    assert electrical.total.average_resolution_days == pytest.approx(days(*STREETLIGHT_SPANS) / 2)
    assert health.total.average_resolution_days == pytest.approx(days(*SANITATION_SPANS, *STRAY_SPANS) / 5)
    assert found.total.rated == 4


def test_the_period_edges_are_local_midnights(seeded: None) -> None:
    with db.session_scope() as session:
        first = grievance_reports.report(session, Period(date(1), date(1)))
        eighth = grievance_reports.report(session, Period(date(8), date(8)))
    health = next(d for d in first.departments if d.department == "health")
    assert (health.total.filed, health.total.resolved, health.total.resolved_in_sla) == (1, 1, 0)  # H1 filed, H4 resolved
    assert {d.department: (d.total.filed, d.total.resolved) for d in eighth.departments} == {
        "engineering": (1, 0), "health": (1, 1),  # R1, H7 filed at its first moment; H6 resolved then
    }  # fmt: skip


def test_a_department_restriction_shows_only_those_departments(seeded: None) -> None:
    with db.session_scope() as session:
        only = grievance_reports.report(session, JAN, ["electrical"])
        none = grievance_reports.report(session, JAN, [])
        unknown = grievance_reports.report(session, JAN, ["water"])
    assert [d.department for d in only.departments] == ["electrical"] and counts(only.total) == STREETLIGHT
    assert none.empty and counts(none.total) == figures() and none.total.sla_compliance is None
    assert unknown.empty and unknown.total.average_resolution_days is None


def test_two_statements_whatever_the_number_of_grievances(seeded: None) -> None:
    """Set-based: the report groups in the database; it never reads grievance by grievance."""
    statements: list[str] = []
    with db.session_scope() as session:
        engine = session.get_bind()

        def count(*hook: Any) -> None:  # before_cursor_execute(conn, cursor, statement, ...)
            statements.append(hook[2])

        event.listen(engine, "before_cursor_execute", count)
        try:
            grievance_reports.report(session, JAN)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 2 and all("GROUP BY" in statement for statement in statements)


@pytest.fixture
def berlin() -> Iterator[None]:
    clock.use_office_timezone("Europe/Berlin")
    try:
        yield
    finally:
        clock.use_office_timezone(clock.DEFAULT_TIMEZONE)


def test_local_dates_across_a_daylight_saving_change(database: str, berlin: None) -> None:
    """Berlin moves from +1 h to +2 h at 01:00 UTC on 31 March 2030: the SQL's local dates follow."""
    period = Period(dt.date(2030, 3, 25), dt.date(2030, 4, 5))
    assert grievance_reports.offsets(period) == [(dt.datetime(2030, 3, 24, 23, 0), 3600), (dt.datetime(2030, 3, 31, 1, 0), 7200)]
    assert grievance_reports.offsets(JAN) == [(dt.datetime(2029, 12, 31, 23, 0), 3600)]  # one: a single expression
    seed = Seed()
    filed = dt.datetime(2030, 3, 26, 9, 0)
    before = seed.file("sanitation", "health", filed, dt.date(2030, 3, 30))
    seed.move(before, ("resolved", dt.datetime(2030, 3, 30, 23, 30)))  # 00:30 on Mar 31 (+1 h): late
    after = seed.file("sanitation", "health", filed, dt.date(2030, 3, 31))
    seed.move(after, ("resolved", dt.datetime(2030, 3, 31, 22, 30)))  # 00:30 on Apr 1 (+2 h): late
    edge = seed.file("sanitation", "health", filed, dt.date(2030, 3, 31))
    seed.move(edge, ("resolved", dt.datetime(2030, 3, 31, 21, 59)))  # 23:59 on Mar 31 (+2 h): in time
    with db.session_scope() as session:
        found = grievance_reports.report(session, period)
    assert (found.total.resolved, found.total.resolved_in_sla) == (3, 1)


def test_the_csv_has_every_row_and_guards_against_formulas(seeded: None) -> None:
    with db.session_scope() as session:
        found = grievance_reports.report(session, JAN)
    rows = list(csv.reader(io.StringIO(grievance_reports.report_csv(found))))
    assert tuple(rows[0]) == grievance_reports.CSV_COLUMNS
    assert [(row[2], row[3]) for row in rows[1:]] == [
        ("electrical", "streetlight"), ("electrical", "all"), ("health", "sanitation"), ("health", "stray_animals"),
        ("health", "all"), ("all", "all"),
    ]  # fmt: skip
    sanitation = dict(zip(rows[0], rows[3], strict=True))
    assert (sanitation["first_day"], sanitation["last_day"]) == ("2030-01-01", "2030-01-07")
    assert (sanitation["filed"], sanitation["resolved"], sanitation["resolved_within_sla"]) == ("4", "4", "1")
    assert sanitation["sla_compliance"] == "0.2500"
    assert sanitation["average_resolution_days"] == f"{days(*SANITATION_SPANS) / 4:.2f}"
    assert (sanitation["rated_good"], sanitation["rated_poor"], sanitation["escalated"]) == ("1", "1", "1")
    evil = "=cmd|'/c calc'!A1"
    hostile = grievance_reports.Report(JAN, [grievance_reports.DepartmentReport(evil, Figures(evil))], Figures("all"))
    cells = list(csv.reader(io.StringIO(grievance_reports.report_csv(hostile))))[1]
    assert cells[2] == f"'{evil}" and cells[7] == "" and cells[8] == ""  # no share, no average: empty cells


# --- the dashboard and its CSV ------------------------------------------------------------------------


@pytest.fixture
def client(seeded: None, stores: Stores, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:  # noqa: F811 (the fixture above)
    monkeypatch.setenv("NAGARIK_CONSOLE_SECURE_COOKIES", "0")
    monkeypatch.setattr(dashboard, "sources", lambda: stores.channel)
    app = FastAPI()
    console.install(app)
    with frozen(START), TestClient(app, base_url="http://testserver", follow_redirects=False) as test_client:
        yield test_client


def cells(page: str, row_id: str) -> list[str]:
    match = re.search(rf'<tr id="{row_id}">(.*?)</tr>', page, re.S)
    assert match, row_id
    return re.findall(r"<t[dh]>([^<]*)</t[dh]>", match.group(1))


JANUARY = {"from": "2030-01-01", "to": "2030-01-07"}


def test_the_dashboard_has_a_table_per_department_with_its_categories(client: TestClient) -> None:
    add_official("asha", "supervisor")
    login(client, "asha")
    page = client.get("/console/dashboard", params=JANUARY).text
    assert "Grievance lifecycle" in page and 'id="lifecycle-health"' in page and 'id="lifecycle-electrical"' in page
    assert 'id="lifecycle-engineering"' not in page
    average = f"{days(*SANITATION_SPANS) / 4:.1f}"
    assert cells(page, "lifecycle-health-sanitation") == [
        "Garbage and sanitation", "4", "4", "1", "25.0%", average, "1", "1", "0", "1", "1", "0", "1", "1", "0",
    ]  # fmt: skip
    assert cells(page, "lifecycle-health-all")[:5] == ["All", "6", "5", "2", "40.0%"]
    assert cells(page, "lifecycle-electrical-streetlight")[-6:] == ["1", "1", "1", "2", "1", "0"]
    assert 'href="/console/dashboard/grievance-report.csv?from=2030-01-01&amp;to=2030-01-07"' in page


def test_the_section_in_hindi_and_with_nothing_in_the_period(client: TestClient) -> None:
    add_official("asha", "supervisor", language="hi")
    login(client, "asha")
    page = client.get("/console/dashboard", params=JANUARY).text
    assert "शिकायतों का जीवनचक्र" in page and "SLA अनुपालन" in page
    empty = client.get("/console/dashboard", params={"from": "2030-02-01", "to": "2030-02-01"}).text
    assert 'id="grievance-report-no-data"' in empty and 'id="lifecycle-health"' not in empty


def test_the_csv_download(client: TestClient) -> None:
    add_official("vera", "viewer")
    login(client, "vera")
    response = client.get("/console/dashboard/grievance-report.csv", params=JANUARY)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="grievance-report-2030-01-01-2030-01-07.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert tuple(rows[0]) == grievance_reports.CSV_COLUMNS and len(rows) == 7
    assert rows[-1][2:8] == ["all", "all", "9", "7", "4", f"{4 / 7:.4f}"]
    default = list(csv.reader(io.StringIO(client.get("/console/dashboard/grievance-report.csv").text)))
    assert default[1][:2] == ["2029-12-09", "2030-01-07"]  # the dashboard's default: 30 local days
    with db.session_scope() as session:
        audited = select(models.AuditEntry).where(models.AuditEntry.action == "dashboard.grievance_report")
        entry = session.execute(audited).scalar()
    assert entry is not None and entry.who == "vera" and entry.detail == "2030-01-01..2030-01-07"


@pytest.mark.parametrize("role", ["department_officer", "broadcaster", "trainer"])
def test_roles_without_the_dashboard_may_not_download_it(client: TestClient, role: str) -> None:
    add_official("ravi", role, ["health"] if role == "department_officer" else None)
    login(client, "ravi")
    assert client.get("/console/dashboard/grievance-report.csv", params=JANUARY).status_code == 404


def test_a_stranger_is_sent_to_sign_in(client: TestClient) -> None:
    assert client.get("/console/dashboard/grievance-report.csv").status_code == 303

"""The departments' grievance work (nagarik.citizens.grievance_work): the SLA on the office's
calendar, the queue's filters and sorting, each action's row, history and notification, bulk work
that leaves what the official may not work alone, and the CSV that a spreadsheet will not run."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from nagarik import db
from nagarik.citizens import grievance_work, grievances
from nagarik.citizens.grievance_work import NotYoursError, QueueFilter, Worker, WorkError
from nagarik.db import models
from nagarik.outbound import notifications
from nagarik.outbound.messages import message_body
from nagarik.shared.catalog import Catalog
from nagarik.shared.clock import frozen
from nagarik.staff import policy
from tests.unit.staff_helpers import START, add_official

MONDAY = START.date()  # 2030-01-07, a Monday; the office's date at START too (10:30 in Bengaluru)


def may_work(official: models.Official, grievance: models.Grievance) -> bool:
    return policy.can(official, policy.WORK_GRIEVANCES, grievance)


def worker(session, username: str, move=notifications.grievance_moved) -> Worker:
    official = session.execute(select(models.Official).where(models.Official.username == username)).scalar_one()
    return Worker(official, may_work, move)


def add(session, tracking_id: str, category: str = "sanitation", department: str = "health", *, due_on: dt.date = MONDAY,
        status: str = "registered", ward: str | None = "jayanagar", created_at: dt.datetime = START, language: str = "en",
        description: str = "Garbage not collected", phone: str = "919876543210") -> models.Grievance:  # fmt: skip
    grievance = models.Grievance(
        tracking_id=tracking_id, phone=phone, category_key=category, department_key=department, description=description,
        location_text="9th main", location_key="9th main", ward_key=ward, language=language, status=status,
        created_at=created_at, due_on=due_on,
    )  # fmt: skip
    grievance.events.append(models.GrievanceEvent(status="registered", note="", changed_by="citizen", created_at=created_at))
    if status != "registered":  # the office took it on before the test
        grievance.events.append(models.GrievanceEvent(status=status, note="", changed_by="asha", created_at=created_at))
    session.add(grievance)
    session.flush()
    return grievance


def notices(session) -> list[models.Broadcast]:
    templates = ("grievance_update", notifications.RESOLVED_TEMPLATE)
    query = select(models.Broadcast).where(models.Broadcast.template.in_(templates)).order_by(models.Broadcast.id)
    return list(session.execute(query).scalars())


@pytest.fixture
def people(database: str) -> None:
    add_official("ravi", "department_officer", ["health"])
    add_official("uma", "department_officer", ["health"])
    add_official("wasim", "department_officer", ["water"])
    add_official("asha", "supervisor")
    add_official("vee", "viewer")


# --- the SLA ------------------------------------------------------------------------------------


def test_the_sla_state_counts_the_offices_working_days(catalog: Catalog) -> None:
    monday = grievance_work.sla_days(catalog, START)
    assert (monday.today, monday.soon) == (MONDAY, dt.date(2030, 1, 9))
    state = {due: grievance_work.sla_state(models.Grievance(status="registered", due_on=due), monday)
             for due in (dt.date(2030, 1, 6), MONDAY, dt.date(2030, 1, 9), dt.date(2030, 1, 10))}  # fmt: skip
    assert list(state.values()) == ["overdue", "due_soon", "due_soon", "on_time"]
    # Friday 11 January: the 2nd Saturday and the Sunday are closed, so Tuesday is 2 working days away
    friday = grievance_work.sla_days(catalog, START + dt.timedelta(days=4))
    assert friday.soon == dt.date(2030, 1, 15)
    assert grievance_work.sla_state(models.Grievance(status="in_progress", due_on=dt.date(2030, 1, 15)), friday) == "due_soon"
    assert grievance_work.sla_state(models.Grievance(status="reopened", due_on=dt.date(2030, 1, 16)), friday) == "on_time"
    assert grievance_work.sla_state(models.Grievance(status="resolved", due_on=dt.date(2030, 1, 1)), friday) == ""


# --- the queue ------------------------------------------------------------------------------------


def test_the_queue_filters_sorts_and_keeps_to_the_departments(catalog: Catalog, people: None) -> None:
    with frozen(START), db.session_scope() as session:
        days = grievance_work.sla_days(catalog)
        add(session, "GRV-2030-000001", due_on=dt.date(2030, 1, 4), created_at=START - dt.timedelta(days=5))
        add(session, "GRV-2030-000002", due_on=dt.date(2030, 1, 8), ward="btm_layout")
        add(session, "GRV-2030-000003", due_on=dt.date(2030, 1, 20), status="resolved")
        add(session, "GRV-2030-000004", "water_supply", "water", due_on=dt.date(2030, 1, 20))
        ravi = worker(session, "ravi")
        grievance_work.assign(session, ravi, grievances.grievance_by_tracking_id(session, "GRV-2030-000002"), ravi.official)

        def ids(departments, chosen: QueueFilter | None = None, sort="due", descending=False) -> list[str]:
            found = grievance_work.queue(session, departments, chosen or QueueFilter(), days, sort, descending)
            assert found.total == len(found.rows)
            return [row.grievance.tracking_id for row in found.rows]

        assert ids(["health"]) == ["GRV-2030-000001", "GRV-2030-000002", "GRV-2030-000003"]
        assert ids(None) == ["GRV-2030-000001", "GRV-2030-000002", "GRV-2030-000003", "GRV-2030-000004"]
        assert ids([]) == []
        assert ids(["health"], QueueFilter(sla="overdue")) == ["GRV-2030-000001"]
        assert ids(["health"], QueueFilter(sla="due_soon")) == ["GRV-2030-000002"]
        assert ids(None, QueueFilter(sla="on_time")) == ["GRV-2030-000004"]  # a resolved one has no SLA state
        assert ids(None, QueueFilter(status="resolved")) == ["GRV-2030-000003"]
        assert ids(None, QueueFilter(category="water_supply")) == ["GRV-2030-000004"]
        assert ids(None, QueueFilter(department="water")) == ["GRV-2030-000004"]
        assert ids(None, QueueFilter(assignee=str(ravi.official.id))) == ["GRV-2030-000002"]
        assert ids(["health"], QueueFilter(assignee="none")) == ["GRV-2030-000001", "GRV-2030-000003"]
        assert "GRV-2030-000002" not in ids(None, QueueFilter(ward="jayanagar"))
        assert ids(None, QueueFilter(ward="btm_layout")) == ["GRV-2030-000002"]
        assert ids(["health"], sort="age", descending=True)[0] == "GRV-2030-000001"  # the greatest age first
        assert ids(["health"], sort="age")[-1] == "GRV-2030-000001"
        assert ids(["health"], sort="tracking_id", descending=True) == ["GRV-2030-000003", "GRV-2030-000002", "GRV-2030-000001"]
        assert ids(["health"], sort="assignee", descending=True)[0] == "GRV-2030-000002"
        [first, *_] = grievance_work.queue(session, ["health"], QueueFilter(), days).rows
        assert (first.sla, first.age_days) == ("overdue", 5)
        page = grievance_work.queue(session, None, QueueFilter(), days, offset=2, limit=1)
        assert (page.total, [row.grievance.tracking_id for row in page.rows]) == (4, ["GRV-2030-000003"])


def test_the_csv_masks_phones_and_defuses_formulas(catalog: Catalog, people: None) -> None:
    with frozen(START), db.session_scope() as session:
        add(session, "GRV-2030-000001", description='=HYPERLINK("http://evil.example","click")')
        add(session, "GRV-2030-000002", description="+91 calls only", phone="919811112222")
        add(session, "GRV-2030-000003", "water_supply", "water", description="@SUM(A1)")
        found = grievance_work.queue(session, ["health"], QueueFilter(), grievance_work.sla_days(catalog))
        rows = list(csv.DictReader(io.StringIO(grievance_work.queue_csv(found.rows))))
    assert [row["tracking_id"] for row in rows] == ["GRV-2030-000001", "GRV-2030-000002"]
    assert rows[0]["description"] == '\'=HYPERLINK("http://evil.example","click")' and rows[1]["description"] == "'+91 calls only"
    assert rows[0]["phone"] == "91987•••3210" and rows[0]["sla"] == "due_soon"
    for cell in ("-1", "@x", "\t=1", " =1", "＝1"):
        assert grievance_work.csv_safe(cell).startswith("'"), cell
    assert grievance_work.csv_safe("Garbage") == "Garbage"


def test_the_export_reads_plain_rows_and_writes_what_queue_csv_writes(catalog: Catalog, people: None) -> None:
    """export_csv (the console's CSV, columns only) against queue_csv over the whole queue's rows."""
    with frozen(START), db.session_scope() as session:
        days = grievance_work.sla_days(catalog)
        add(session, "GRV-2030-000001", due_on=dt.date(2030, 1, 4), created_at=START - dt.timedelta(days=5))
        add(session, "GRV-2030-000002", due_on=dt.date(2030, 1, 8), ward="btm_layout", description="=1+1")
        add(session, "GRV-2030-000003", due_on=dt.date(2030, 1, 20), status="resolved")
        add(session, "GRV-2030-000004", "water_supply", "water", due_on=dt.date(2030, 1, 20))
        ravi = worker(session, "ravi")
        grievance_work.assign(session, ravi, grievances.grievance_by_tracking_id(session, "GRV-2030-000002"), ravi.official)
        for departments, chosen, sort, descending in [
            (None, QueueFilter(), "due", False), (["health"], QueueFilter(), "assignee", True),
            (None, QueueFilter(sla="overdue"), "age", False), (None, QueueFilter(ward="btm_layout"), "status", True),
            ([], QueueFilter(), "due", False),
        ]:  # fmt: skip
            found = grievance_work.queue(session, departments, chosen, days, sort, descending, limit=None)
            exported = grievance_work.export_csv(session, departments, chosen, days, sort, descending)
            assert exported == (grievance_work.queue_csv(found.rows), found.total)
        everything = grievance_work.export_csv(session, None, QueueFilter(), days)[0]
        assert ",ravi," in everything and "'=1+1" in everything and "91987•••3210" in everything


# --- one grievance --------------------------------------------------------------------------------


def test_acknowledging_is_kept_once_with_who_and_the_citizen_is_not_messaged(people: None) -> None:
    with frozen(START), db.session_scope() as session:
        grievance = add(session, "GRV-2030-000001")
        ravi = worker(session, "ravi")
        assert grievance_work.acknowledge(session, ravi, grievance) is True
        assert grievance_work.acknowledge(session, ravi, grievance) is False
        assert grievance.acknowledged_at == START
        assert [(n.kind, n.author) for n in grievance.notes] == [("acknowledged", "ravi")]
        # the status moves on (the citizen may read it in the chat), but nobody is messaged
        assert [(e.status, e.changed_by) for e in grievance.events] == [("registered", "citizen"), ("acknowledged", "ravi")]
        assert notices(session) == []


def test_assigning_only_to_an_official_who_may_work_it(people: None) -> None:
    with frozen(START), db.session_scope() as session:
        grievance = add(session, "GRV-2030-000001")
        ravi = worker(session, "ravi")
        uma, wasim, vee = (worker(session, name).official for name in ("uma", "wasim", "vee"))
        assert grievance_work.assign(session, ravi, grievance, uma) is True
        assert grievance.assignee_id == uma.id
        assert grievance_work.assign(session, ravi, grievance, uma) is False  # already hers
        for other in (wasim, vee):  # another department's officer; a viewer works nothing
            with pytest.raises(WorkError, match="grv_error_not_assignable"):
                grievance_work.assign(session, ravi, grievance, other)
        assert grievance_work.assign(session, ravi, grievance, None) is True
        assert [(n.kind, n.author, n.detail) for n in grievance.notes] == [("assigned", "ravi", "uma"), ("assigned", "ravi", "")]
        assert [official.username for official in grievance_work.assignable(session, grievance, may_work)] == [
            "asha",
            "ravi",
            "uma",
        ]
        assert [o.username for o in grievance_work.workers_of(session, ["water"], may_work)] == ["asha", "wasim"]


def test_a_status_change_is_public_history_and_tells_the_citizen_in_their_language(people: None) -> None:
    with frozen(START), db.session_scope() as session:
        grievance = add(session, "GRV-2030-000001", language="kn", status="assigned")
        session.add(models.Citizen(phone="919876543210", language="kn"))
        sent = grievance_work.change_status(session, worker(session, "ravi"), grievance, "in_progress", "Truck sent")
        assert grievance.status == "in_progress"
        assert [(e.status, e.changed_by, e.note) for e in grievance.events][-1] == ("in_progress", "ravi", "Truck sent")
        [notice] = notices(session)
        assert notice is sent and notice.created_by == "ravi" and notice.audience["phones"] == ["919876543210"]
        body = message_body(notice, "kn", in_window=True, wards={})["text"]["body"]
        assert "GRV-2030-000001" in body and notifications.grievance_status_labels()["in_progress"]["kn"] in body
        with pytest.raises(WorkError, match="grv_error_unknown_status"):
            grievance_work.change_status(session, worker(session, "ravi"), grievance, "vanished")
        for illegal in ("registered", "closed", "appealed", "appeal_decided"):  # not the office's to make from here
            with pytest.raises(WorkError, match="grv_error_illegal_transition"):
                grievance_work.change_status(session, worker(session, "ravi"), grievance, illegal, "x")
        assert grievance.status == "in_progress" and len(notices(session)) == 1


def test_resolving_and_rejecting_need_their_note_and_tell_the_citizen(people: None) -> None:
    with frozen(START), db.session_scope() as session:
        first, second = add(session, "GRV-2030-000001", status="assigned"), add(session, "GRV-2030-000002", status="assigned")
        ravi = worker(session, "ravi")
        for act, grievance in ((grievance_work.resolve, first), (grievance_work.reject, second)):
            with pytest.raises(WorkError, match="grv_error_needs_text"):
                act(session, ravi, grievance, "   ")
        assert notices(session) == [] and first.status == second.status == "assigned"
        with pytest.raises(WorkError, match="grv_error_too_long"):
            grievance_work.resolve(session, ravi, first, "x" * 2001)
        grievance_work.resolve(session, ravi, first, "Cleared on Tuesday")
        grievance_work.reject(session, ravi, second, "Private land")
        assert (first.status, first.events[-1].note) == ("resolved", "Cleared on Tuesday")
        assert (second.status, second.events[-1].note, second.events[-1].changed_by) == ("rejected", "Private land", "ravi")
        assert len(notices(session)) == 2


def test_a_transfer_moves_it_unassigned_with_its_reason_and_out_of_the_officers_reach(catalog: Catalog, people: None) -> None:
    with frozen(START), db.session_scope() as session:
        grievance = add(session, "GRV-2030-000001")
        ravi = worker(session, "ravi")
        grievance_work.acknowledge(session, ravi, grievance)
        grievance_work.assign(session, ravi, grievance, ravi.official)
        for department in ("health", "atlantis"):
            with pytest.raises(WorkError, match="grv_error_unknown_department"):
                grievance_work.transfer(session, ravi, grievance, department, "why", catalog)
        with pytest.raises(WorkError, match="grv_error_needs_text"):
            grievance_work.transfer(session, ravi, grievance, "water", "", catalog)
        grievance_work.transfer(session, ravi, grievance, "water", "A burst pipe, not garbage", catalog)
        assert (grievance.department_key, grievance.assignee_id, grievance.acknowledged_at) == ("water", None, None)
        last = grievance.notes[-1]
        assert (last.kind, last.author, last.text, last.detail) == (
            "transferred",
            "ravi",
            "A burst pipe, not garbage",
            "health -> water",
        )
        with pytest.raises(NotYoursError):  # ravi works health only
            grievance_work.add_note(session, ravi, grievance, "still here?")
        grievance_work.add_note(session, worker(session, "wasim"), grievance, "On it")
        assert [n.text for n in grievance_work.internal_notes(grievance)] == ["On it"]
        kinds = [item.kind for item in grievance_work.history(grievance)]
        assert kinds == ["status", "status", "status", "acknowledged", "assigned", "transferred"]
        # the transfer itself is not the citizen's news, and their clock does not restart
        assert notices(session) == [] and [e.status for e in grievance.events] == ["registered", "acknowledged", "assigned"]
        assert (grievance.transfer_count, grievance.due_on, grievance.status) == (1, MONDAY, "assigned")


def test_the_fourth_transfer_is_refused_to_an_officer_but_not_to_a_supervisor(catalog: Catalog, people: None) -> None:
    with frozen(START), db.session_scope() as session:
        grievance = add(session, "GRV-2030-000001", status="assigned")
        asha = worker(session, "asha")
        supervisor = Worker(asha.official, may_work, notifications.grievance_moved, supervisor=True)
        route = ["water", "health", "water"]
        for number, department in enumerate(route):  # asha, acting as an officer (supervisor=False)
            assert grievance_work.transfers_left(grievance) == 3 - number
            grievance_work.transfer(session, asha, grievance, department, "wrong office", catalog)
        assert (grievance.transfer_count, grievance_work.transfers_left(grievance)) == (3, 0)
        with pytest.raises(WorkError, match="transfer_limit"):
            grievance_work.transfer(session, asha, grievance, "health", "again", catalog)
        assert (grievance.department_key, grievance.transfer_count) == ("water", 3)
        grievance_work.transfer(session, supervisor, grievance, "health", "the supervisor decides", catalog)
        assert (grievance.department_key, grievance.transfer_count, grievance.due_on) == ("health", 4, MONDAY)
        assert [n.kind for n in grievance.notes].count("transferred") == 4


def test_every_action_refuses_an_official_who_may_not_work_it(catalog: Catalog, people: None) -> None:
    with frozen(START), db.session_scope() as session:
        grievance = add(session, "GRV-2030-000001")
        attempts = [
            lambda outsider: grievance_work.acknowledge(session, outsider, grievance),
            lambda outsider: grievance_work.assign(session, outsider, grievance, None),
            lambda outsider: grievance_work.change_status(session, outsider, grievance, "closed"),
            lambda outsider: grievance_work.resolve(session, outsider, grievance, "done"),
            lambda outsider: grievance_work.reject(session, outsider, grievance, "no"),
            lambda outsider: grievance_work.transfer(session, outsider, grievance, "water", "mine", catalog),
            lambda outsider: grievance_work.add_note(session, outsider, grievance, "hello"),
            lambda outsider: grievance_work.workable(session, outsider, "GRV-2030-000001"),
        ]
        for name in ("wasim", "vee"):
            for attempt in attempts:
                with pytest.raises(NotYoursError):
                    attempt(worker(session, name))
        with pytest.raises(NotYoursError):
            grievance_work.workable(session, worker(session, "ravi"), "GRV-2030-999999")
        assert (grievance.status, grievance.department_key, grievance.notes, notices(session)) == ("registered", "health", [], [])


# --- in bulk --------------------------------------------------------------------------------------


def test_bulk_work_changes_only_what_the_official_may_work_and_reports_the_rest(people: None) -> None:
    with frozen(START), db.session_scope() as session:
        add(session, "GRV-2030-000001", status="assigned")
        add(session, "GRV-2030-000002", phone="919811112222", status="assigned")
        add(session, "GRV-2030-000003", "water_supply", "water", phone="919833334444", status="assigned")
        ravi, uma = worker(session, "ravi"), worker(session, "uma").official
        chosen = ["GRV-2030-000001", "GRV-2030-000002", "GRV-2030-000003", "GRV-2030-999999", "GRV-2030-000001"]
        assigned = grievance_work.bulk_assign(session, ravi, chosen, uma)
        assert assigned.changed == ["GRV-2030-000001", "GRV-2030-000002"]
        assert assigned.refused == ["GRV-2030-000003", "GRV-2030-999999"]
        moved = grievance_work.bulk_change_status(session, ravi, chosen, "in_progress", "Crew on the way")
        assert (moved.changed, moved.refused) == (["GRV-2030-000001", "GRV-2030-000002"], ["GRV-2030-000003", "GRV-2030-999999"])
        assert sorted(n.audience["phones"][0] for n in notices(session)) == ["919811112222", "919876543210"]
        assert moved.notifications == notices(session)
        water = grievances.grievance_by_tracking_id(session, "GRV-2030-000003")
        assert (water.status, water.assignee_id) == ("assigned", None)
        assert [e.status for e in water.events] == ["registered", "assigned"]
        # the supervisor may work the water grievance, but not give it to a health officer
        refused = grievance_work.bulk_assign(session, worker(session, "asha"), ["GRV-2030-000003"], uma)
        assert (refused.changed, refused.refused) == ([], ["GRV-2030-000003"])
        with pytest.raises(WorkError, match="grv_error_needs_text"):  # refused before any is changed
            grievance_work.bulk_change_status(session, ravi, chosen, "resolved", "")
        # one already resolved is left as it is (the lifecycle allows no "in_progress" from there)
        grievance_work.resolve(session, ravi, grievances.grievance_by_tracking_id(session, "GRV-2030-000002"), "Done")
        again = grievance_work.bulk_change_status(session, ravi, ["GRV-2030-000001", "GRV-2030-000002"], "resolved", "Done")
        assert (again.changed, again.refused) == (["GRV-2030-000001"], ["GRV-2030-000002"])
        assert grievances.grievance_by_tracking_id(session, "GRV-2030-000001").status == "resolved"
        with pytest.raises(WorkError, match="grv_error_nothing_selected"):
            grievance_work.bulk_assign(session, ravi, ["", " "], uma)
        assert grievances.grievance_by_tracking_id(session, "GRV-2030-000001").status == "resolved"

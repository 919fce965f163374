"""Date reminders: each rule fires once per date, on the right day in IST at its hour (an injected
clock, never sleeping), catches up when missed but never on or after the date, and respects the
per-kind opt-out and STOP; the message carries a button that stops that kind of reminder."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from nagarik import db
from nagarik.citizens import subscriptions
from nagarik.db import models
from nagarik.outbound import broadcasts, reminders
from nagarik.outbound.messages import message_body
from nagarik.shared.seed_files import SeedFileError
from simulator.media import MediaStore
from simulator.templates import TemplateRegistry
from simulator.validation import validate_send
from tests.support import devanagari, kannada
from tests.unit import test_api

ROOT = Path(__file__).resolve().parents[2]
PHONE, OTHER = "919811100001", "919811100002"
api = test_api.api  # the officials' API as a real server (a fixture)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def ist(text: str) -> dt.datetime:
    """An IST wall-clock time as the naive UTC the services take (IST is UTC+5:30, no DST)."""
    return utc(text) - dt.timedelta(hours=5, minutes=30)


def add(phone: str, kind: str, due_on: str, reference: str = "TL/JAY/2025/01873") -> int:
    with db.session_scope() as session:
        return reminders.add_date(session, phone, kind, dt.date.fromisoformat(due_on), reference).id


def run(now: dt.datetime, rules: reminders.Rules | None = None) -> list[tuple[int, str, dict]]:
    """Run the periodic job at `now`; (broadcast id, phone, texts) of what it created."""
    with db.session_scope() as session:
        return [(b.id, b.audience["phones"][0], b.texts) for b in reminders.run_due(session, now, rules)]


def fired(date_id: int) -> dict[str, int | None]:
    with db.session_scope() as session:
        rows = session.execute(select(models.ReminderSent).where(models.ReminderSent.citizen_date_id == date_id)).scalars()
        return {row.rule_key: row.broadcast_id for row in rows}


def test_a_reminder_fires_on_its_day_in_ist_at_its_hour_and_only_once(database):
    date_id = add(PHONE, "licence_expiry", "2026-12-31")  # 30 days before: 2026-12-01 at 10:00 IST
    assert run(ist("2026-11-30T10:00")) == []  # the day before
    assert run(ist("2026-12-01T09:59")) == []  # the day, before the hour
    assert run(utc("2026-11-30T23:00")) == []  # already the 1st in IST (04:30), still before the hour
    [(broadcast_id, phone, texts)] = run(ist("2026-12-01T10:00"))
    assert phone == PHONE and "31-12-2026" in texts["en"] and "TL/JAY/2025/01873" in texts["en"]
    assert devanagari(texts["hi"]) and kannada(texts["kn"])
    assert fired(date_id) == {"licence_expiry_30_days": broadcast_id}
    assert run(ist("2026-12-01T10:05")) == [] and run(ist("2026-12-02T10:00")) == []  # once, however often it runs
    with db.session_scope() as session:
        broadcast = session.get(models.Broadcast, broadcast_id)
        assert (broadcast.kind, broadcast.template, broadcast.status) == ("reminder", "date_reminder", "scheduled")
        assert broadcast.send_at == ist("2026-12-01T10:00") and broadcast.audience["reminder_kind"] == "licence_expiry"
        assert broadcast.priority > broadcasts.PRIORITY["announcement"]


def test_the_day_is_the_ist_day_around_midnight(database):
    """05:00 IST is 23:30 UTC the day before: the UTC date is not the day that counts."""
    early = reminders.Rule("collection_early", "certificate_collection", 1, 5, reminders.load().rules[-1].texts)
    rules = reminders.Rules(reminders.load().kinds, (early,), reminders.load().stop_button, 21)
    first = add(PHONE, "certificate_collection", "2026-12-10", "DC-2026-000457")  # fires 2026-12-09 05:00 IST
    assert run(utc("2026-12-08T23:29"), rules) == []
    assert [phone for _, phone, _ in run(utc("2026-12-08T23:30"), rules)] == [PHONE]  # UTC still says the 8th
    assert fired(first)
    second = add(OTHER, "certificate_collection", "2026-12-10", "DC-2026-000458")
    assert run(utc("2026-12-09T23:30"), rules) == []  # UTC says the 9th, but in IST it is the 10th: the date itself
    assert fired(second) == {}


def test_a_missed_reminder_catches_up_at_its_hour_but_never_on_or_after_the_date(database):
    date_id = add(PHONE, "licence_expiry", "2026-12-31")
    assert run(ist("2026-12-03T21:30")) == []  # quiet hours: not at night
    assert run(ist("2026-12-04T09:30")) == []  # a catch-up too waits for the rule's hour
    assert len(run(ist("2026-12-04T10:00"))) == 1  # three days late, still before the date
    assert list(fired(date_id)) == ["licence_expiry_30_days"]
    late = add(OTHER, "licence_expiry", "2026-12-05")  # registered with both rules' days gone
    assert run(ist("2026-12-05T10:00")) == [] and run(ist("2026-12-06T10:00")) == []  # on and after the date: never
    assert fired(late) == {}
    assert list(fired(date_id)) == ["licence_expiry_30_days"]  # the 7-day one is not due until the 24th


def test_a_date_registered_late_gets_one_reminder_not_a_pile(database):
    date_id = add(PHONE, "licence_expiry", "2026-12-08")  # both the 30- and the 7-day reminder are late
    [(broadcast_id, _, texts)] = run(ist("2026-12-03T10:00"))
    assert fired(date_id) == {"licence_expiry_7_days": broadcast_id, "licence_expiry_30_days": None}  # passed over
    assert "08-12-2026" in texts["en"]
    assert run(ist("2026-12-04T10:00")) == []


def test_two_rules_for_one_date_fire_separately(database):
    date_id = add(PHONE, "licence_expiry", "2026-12-31")
    [(month_before, _, month_texts)] = run(ist("2026-12-01T10:00"))
    assert run(ist("2026-12-23T10:00")) == []  # 8 days before: nothing due
    [(week_before, _, week_texts)] = run(ist("2026-12-24T10:00"))
    assert month_before != week_before and month_texts["en"] != week_texts["en"]
    assert fired(date_id) == {"licence_expiry_30_days": month_before, "licence_expiry_7_days": week_before}


def test_opting_out_of_one_kind_keeps_the_others(database):
    add(PHONE, "licence_expiry", "2026-12-31")
    tax = add(PHONE, "property_tax_due", "2026-12-16")  # 15 days before: 2026-12-01 at 09:00
    with db.session_scope() as session:
        reminders.opt_out(session, PHONE, "licence_expiry")
        reminders.opt_out(session, PHONE, "licence_expiry")  # tapping the button twice is fine
        assert reminders.opted_out_kinds(session, PHONE) == ["licence_expiry"]
    sent = run(ist("2026-12-01T10:00"))
    assert len(sent) == 1 and "Property tax" in sent[0][2]["en"] and list(fired(tax)) == ["property_tax_due_15_days"]
    with db.session_scope() as session:
        reminders.opt_in(session, PHONE, "licence_expiry")
    [(_, _, texts)] = run(ist("2026-12-01T10:05"))  # back in: the reminder it missed comes
    assert "licence" in texts["en"]


def test_stop_stops_reminders_until_start(database):
    add(PHONE, "licence_expiry", "2026-12-31")
    with db.session_scope() as session:
        subscriptions.stop_all(session, PHONE)
    assert run(ist("2026-12-01T10:00")) == []
    with db.session_scope() as session:
        subscriptions.start_again(session, PHONE)
    assert len(run(ist("2026-12-01T10:05"))) == 1


def test_a_second_worker_firing_the_same_reminder_does_nothing(database):
    date_id = add(PHONE, "licence_expiry", "2026-12-31")
    rule = reminders.load().rules[0]
    with db.session_scope() as session:
        first = reminders.fire(session, rule, session.get(models.CitizenDate, date_id), ist("2026-12-01T10:00"))
    with db.session_scope() as session:  # another worker that saw the date as due a moment earlier
        assert reminders.fire(session, rule, session.get(models.CitizenDate, date_id), ist("2026-12-01T10:00")) is None
        assert db.count(session, select(models.Broadcast)) == 1  # its broadcast was rolled back with the savepoint
    assert fired(date_id) == {rule.key: first.id}


def test_the_reminder_goes_to_the_citizen_on_the_record_even_if_they_never_wrote(database):
    add(PHONE, "licence_expiry", "2026-12-31")
    with db.session_scope() as session:
        session.add(models.Citizen(phone=OTHER, language="hi"))
    add(OTHER, "licence_expiry", "2026-12-31", "TL/BSV/2025/00412")
    with db.session_scope() as session:
        for broadcast in reminders.run_due(session, ist("2026-12-01T10:00")):
            assert broadcasts.audience_size(session, "reminder", broadcasts.Audience.from_dict(broadcast.audience)) == 1
            broadcasts.materialize(session, broadcast)
        copies = session.execute(select(models.BroadcastRecipient.phone, models.BroadcastRecipient.language)).all()
    assert sorted(copies) == [(PHONE, "en"), (OTHER, "hi")]


@pytest.mark.parametrize("language", ["en", "hi", "kn"])
def test_the_message_inside_and_outside_the_window_and_its_stop_button(database, language):
    add(PHONE, "licence_expiry", "2026-12-31")
    [(broadcast_id, _, texts)] = run(ist("2026-12-01T10:00"))
    with db.session_scope() as session:
        broadcast = session.get(models.Broadcast, broadcast_id)
    payload = '/stop_reminder{"reminder_kind":"licence_expiry"}'
    title = reminders.load().stop_button[language]
    meta = TemplateRegistry.load(ROOT / "config" / "templates.yml")  # what the simulator checks, as Meta would

    inside = message_body(broadcast, language, in_window=True, wards={})
    [button] = inside["interactive"]["action"]["buttons"]
    assert inside["type"] == "interactive" and inside["interactive"]["body"]["text"] == texts[language]
    assert button["reply"] == {"id": payload, "title": title}
    accepted = validate_send({"messaging_product": "whatsapp", "to": PHONE, **inside}, templates=meta, media=MediaStore())
    assert accepted.choices == [{"kind": "button_reply", "id": payload, "title": title}]

    outside = message_body(broadcast, language, in_window=False, wards={})
    template = outside["template"]
    assert (template["name"], template["language"]["code"]) == ("date_reminder", language)
    [body, quick_reply] = template["components"]
    assert [p["text"] for p in body["parameters"]] == broadcast.template_params[language]
    assert quick_reply["parameters"] == [{"type": "payload", "payload": payload}]
    accepted = validate_send({"messaging_product": "whatsapp", "to": PHONE, **outside}, templates=meta, media=MediaStore())
    assert accepted.rendered == texts[language]  # the same words as inside the window
    assert [(c["payload"], c["title"]) for c in accepted.choices] == [(payload, title)]  # the template's button is ours


def test_dates_are_registered_once_and_checked(database):
    first = add(PHONE, "licence_expiry", "2026-12-31")
    assert add(PHONE, "licence_expiry", "2026-12-31") == first
    assert add(PHONE, "licence_expiry", "2027-12-31") != first  # renewed: a new date
    with db.session_scope() as session:
        with pytest.raises(ValueError, match="unknown reminder kind"):
            reminders.add_date(session, PHONE, "passport_expiry", dt.date(2026, 12, 31))
        with pytest.raises(ValueError, match="not a phone number"):
            reminders.add_date(session, "call me", "licence_expiry", dt.date(2026, 12, 31))
        assert reminders.add_date(session, "+91 98111 00001", "licence_expiry", dt.date(2027, 12, 31), "TL/JAY/2025/01873").id
    with db.session_scope() as session:
        demo_dates = ROOT / "seed" / "citizen_dates.yml"  # the demo's file is valid and idempotent
        assert reminders.seed_dates(session, demo_dates) == reminders.seed_dates(session, demo_dates)
        demo = reminders.dates_of(session, "919876543210")
        assert ("licence_expiry", dt.date(2026, 12, 30)) in [(d.kind, d.due_on) for d in demo]
        assert len(reminders.dates_of(session, PHONE)) == 2


def test_a_date_without_a_reference_reads_well(database):
    add(PHONE, "certificate_collection", "2026-12-10", reference="")
    [(_, _, texts)] = run(ist("2026-12-09T17:00"))
    assert "()" not in texts["en"] and "(application" not in texts["en"] and "tomorrow, 10-12-2026" in texts["en"]


RULES = """quiet_from: 21
stop_button: {en: Stop these reminders, hi: ये रिमाइंडर बंद करें, kn: ಈ ಜ್ಞಾಪನೆಗಳು ಬೇಡ}
kinds:
  licence_expiry: {en: Licence expiry, hi: लाइसेंस की समाप्ति, kn: ಪರವಾನಗಿ ಅವಧಿ ಮುಕ್ತಾಯ}
rules:
  - key: licence_expiry_30_days
    kind: %(kind)s
    days_before: 30
    hour: %(hour)s
    text: {en: "%(text)s", hi: "लाइसेंस ({reference}) {date}", kn: "ಪರವಾನಗಿ ({reference}) {date}"}
"""


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        ({"kind": "passport_expiry"}, 7, "kind 'passport_expiry' is not one of the kinds"),
        ({"hour": "22"}, 9, "hour must be from 0 to 20"),
        ({"text": "Licence {reference} expires {date}"}, 10, "put {reference} in brackets"),
        ({"text": "Licence ({reference}) expires {day}"}, 10, "only {reference} and {date}"),
    ],
)
def test_mistakes_in_the_rules_file_name_their_line(tmp_path, change, line, message):
    path = tmp_path / "reminders.yml"
    path.write_text(RULES % {"kind": "licence_expiry", "hour": "10", "text": "Licence ({reference}) expires {date}", **change})
    with pytest.raises(SeedFileError) as error:
        reminders.load(path)
    assert str(error.value).startswith(f"{path}:{line}:") and message in str(error.value)


def test_the_api_registers_and_lists_dates(api):
    created = api.post(
        f"/api/citizens/{PHONE}/dates", json={"kind": "licence_expiry", "due_on": "2026-12-31", "reference": "TL/1"}
    )
    assert created.status_code == 201 and created.json()["due_on"] == "2026-12-31"
    again = api.post(f"/api/citizens/{PHONE}/dates", json={"kind": "licence_expiry", "due_on": "2026-12-31", "reference": "TL/1"})
    assert again.json()["id"] == created.json()["id"]
    assert api.post(f"/api/citizens/{PHONE}/dates", json={"kind": "nonsense", "due_on": "2026-12-31"}).status_code == 400
    assert api.post(f"/api/citizens/{PHONE}/dates", json={"kind": "licence_expiry", "due_on": "31/12"}).status_code == 400
    run(ist("2026-12-01T10:00"))
    listed = api.get(f"/api/citizens/{PHONE}/dates").json()
    assert listed["dates"] == [
        {
            "id": created.json()["id"],
            "kind": "licence_expiry",
            "due_on": "2026-12-31",
            "reference": "TL/1",
            "reminders_done": ["licence_expiry_30_days"],
        }
    ]
    assert listed["opted_out_of"] == []

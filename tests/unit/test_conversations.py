"""Conversations for the officials' review: Rasa's broker events (as Rasa 3.6 serialises them:
Event.as_dict() plus sender_id) consumed into the console's tables from the SQL broker's table and
from RabbitMQ, the list's filters and search, the conversation page, and the review's actions."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, func, select

from nagarik import db
from nagarik.conversations import consumer, display, review, sources
from nagarik.db import models
from nagarik.shared.clock import frozen
from nagarik.web import console
from tests.unit.staff_helpers import PASSWORD, START, add_grievance, add_official

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
PHONE = "919876543210"
OTHER = "919811112222"
T0 = float(calendar.timegm(START.timetuple()))  # the conversations happen at START


# --- events as Rasa 3.6 serialises them (rasa/shared/core/events.py, as_dict) ---------------------


def session_start(at: float, sender: str = PHONE) -> list[dict[str, Any]]:
    return [
        action("action_session_start", at, sender),
        {"sender_id": sender, "event": "session_started", "timestamp": at},
        action("action_listen", at, sender),
    ]


def user(text: str, intent: str, confidence: float, at: float, sender: str = PHONE, entities: dict[str, str] | None = None,
         whatsapp_type: str = "text") -> dict[str, Any]:  # fmt: skip
    found = [{"entity": name, "value": value, "start": 0, "end": 0, "extractor": "RegexEntityExtractor"}
             for name, value in (entities or {}).items()]  # fmt: skip
    metadata = {"wamid": f"wamid.{uuid.uuid4().hex}", "whatsapp_type": whatsapp_type, "profile_name": None, "text": text}
    return {
        "sender_id": sender, "event": "user", "timestamp": at, "metadata": metadata, "text": text,
        "parse_data": {
            "intent": {"name": intent, "confidence": confidence}, "entities": found, "text": text,
            "message_id": metadata["wamid"], "metadata": metadata,
            "intent_ranking": [{"name": intent, "confidence": confidence}],
        },
        "input_channel": "whatsapp", "message_id": metadata["wamid"],
    }  # fmt: skip


def bot(text: str | None, at: float, sender: str = PHONE, **data: Any) -> dict[str, Any]:
    parts = {"elements": None, "quick_replies": None, "buttons": None, "attachment": None, "image": None, "custom": None}
    return {"sender_id": sender, "event": "bot", "timestamp": at, "metadata": {"utter_action": "utter_x"}, "text": text,
            "data": {**parts, **data}}  # fmt: skip


def action(name: str, at: float, sender: str = PHONE) -> dict[str, Any]:
    return {"sender_id": sender, "event": "action", "timestamp": at, "name": name, "policy": "RulePolicy",
            "confidence": 1.0, "action_text": None, "hide_rule_turn": False}  # fmt: skip


def slot(name: str, value: Any, at: float, sender: str = PHONE) -> dict[str, Any]:
    return {"sender_id": sender, "event": "slot", "timestamp": at, "name": name, "value": value}


LANGUAGE_BUTTONS = [{"title": "English", "payload": "/choose_language{\"language\":\"en\"}"},
                    {"title": "हिन्दी", "payload": "/choose_language{\"language\":\"hi\"}"}]  # fmt: skip
CATEGORIES = [{"title": name, "payload": f"/inform{{\"grievance_category\":\"{name}\"}}"}
              for name in ("garbage", "roads", "water", "streetlight", "drainage")]  # fmt: skip


def grievance_conversation(at: float = T0, sender: str = PHONE) -> list[dict[str, Any]]:
    """A citizen in Hindi files a grievance with a photo; one message is not understood."""
    return [
        *session_start(at, sender),
        user("namaste", "greet", 0.97, at + 1, sender),
        action("utter_choose_language", at + 1.1, sender),
        bot("Choose your language", at + 1.1, sender, buttons=LANGUAGE_BUTTONS),
        action("action_listen", at + 1.2, sender),
        user(LANGUAGE_BUTTONS[1]["payload"], "choose_language", 1.0, at + 2, sender, {"language": "hi"}, "interactive"),
        slot("language", "hi", at + 2.1, sender),
        user("कचरा नहीं उठाया <script>alert(1)</script>", "report_grievance", 0.91, at + 3, sender),
        bot("श्रेणी चुनें", at + 3.1, sender, buttons=CATEGORIES),
        user("asdf qwerty", "nlu_fallback", 0.55, at + 4, sender),
        action("action_default_fallback", at + 4.1, sender),
        user('/inform{"media_type":"image","media_ref":"m-123"}', "inform", 1.0, at + 5, sender,
             {"media_type": "image", "media_ref": "m-123"}, "image"),
        user('/inform{"latitude":"12.925000","longitude":"77.593800"}', "inform", 1.0, at + 6, sender,
             {"latitude": "12.925000", "longitude": "77.593800"}, "location"),
        action("action_submit_grievance", at + 7, sender),
        bot("आपकी शिकायत GRV-2030-000001 दर्ज हुई", at + 7.1, sender),
        bot(None, at + 7.2, sender, custom={"whatsapp": {"type": "location", "location": {
            "latitude": 12.9, "longitude": 77.5, "name": "Ward office", "address": "9th main"}}}),
        user('/inform{"media_type":"audio"}', "inform", 1.0, at + 8, sender, {"media_type": "audio"}, "audio"),
        bot("Please type your message", at + 8.1, sender, attachment="https://example.org/form.pdf"),
    ]


def handoff_conversation(at: float, sender: str = OTHER) -> list[dict[str, Any]]:
    return [
        *session_start(at, sender),
        user("I want to talk to an officer about water", "request_human", 0.88, at + 1, sender),
        action("action_handoff", at + 1.1, sender),
        bot("An officer will reply. Your reference is HO-2030-000001.", at + 1.2, sender),
        user("my application BC-2026-001234", "application_status", 0.42, at + 2, sender),
    ]


# --- Rasa's SQL event broker's table, as rasa/core/brokers/sql.py makes it -----------------------


class BrokerTable:
    def __init__(self, path: Path, name: str = "events") -> None:
        self.url = f"sqlite:///{path}"
        self.table = Table(name, MetaData(), Column("id", Integer, primary_key=True), Column("sender_id", String(255)),
                           Column("data", Text))  # fmt: skip
        self.engine = create_engine(self.url)
        self.table.metadata.create_all(self.engine)

    def publish(self, *events: dict[str, Any]) -> None:
        with self.engine.begin() as connection:
            connection.execute(self.table.insert(), [{"sender_id": e["sender_id"], "data": json.dumps(e)} for e in events])

    def ids(self) -> list[int]:
        with self.engine.connect() as connection:
            return list(connection.execute(select(self.table.c.id).order_by(self.table.c.id)).scalars())


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[BrokerTable]:
    table = BrokerTable(tmp_path / "events.db")
    yield table
    table.engine.dispose()


def consume(source: Any) -> int:
    with db.session_scope() as session:
        return consumer.consume(session, source)


def conversations() -> list[models.Conversation]:
    with db.session_scope() as session:
        rows = list(session.execute(select(models.Conversation).order_by(models.Conversation.id)).scalars())
        session.expunge_all()
        return rows


def turns(conversation_id: int | None = None) -> list[models.Turn]:
    with db.session_scope() as session:
        query = select(models.Turn).order_by(models.Turn.at, models.Turn.id)
        if conversation_id is not None:
            query = query.where(models.Turn.conversation_id == conversation_id)
        rows = list(session.execute(query).scalars())
        session.expunge_all()
        return rows


def links() -> set[tuple[str, str]]:
    with db.session_scope() as session:
        return {(row.kind, row.ref) for row in session.execute(select(models.ConversationLink)).scalars()}


def test_the_consumer_reads_rasas_events_into_conversations_and_turns(database: str, broker: BrokerTable) -> None:
    broker.publish(*grievance_conversation())
    assert consume(sources.SqlSource(broker.url)) == len(grievance_conversation())
    [conversation] = conversations()
    assert conversation.sender == PHONE and conversation.language == "hi"
    assert conversation.started_at == START and conversation.last_at == START + dt.timedelta(seconds=8.1)
    assert (conversation.user_messages, conversation.bot_messages) == (7, 5)
    assert conversation.fallbacks == 2  # the nlu_fallback and action_default_fallback
    assert conversation.has_grievance and not conversation.has_handoff
    assert links() == {("grievance", "GRV-2030-000001")}
    kept = turns()
    assert [t.kind for t in kept][:4] == ["user", "action", "bot", "user"]
    assert all(t.action != "action_listen" for t in kept)
    first = kept[0]
    assert (first.text, first.intent, first.confidence) == ("namaste", "greet", 0.97)
    assert kept[2].data == {"buttons": LANGUAGE_BUTTONS}
    photo = next(t for t in kept if t.data and t.data.get("whatsapp_type") == "image")
    assert photo.data["entities"] == {"media_type": "image", "media_ref": "m-123"}
    pin = next(t for t in kept if t.kind == "bot" and t.data and "custom" in t.data)
    assert pin.data["custom"]["whatsapp"]["type"] == "location"


def test_consuming_again_changes_nothing_and_the_next_run_resumes_after_the_last_id(database: str, broker: BrokerTable) -> None:
    source = sources.SqlSource(broker.url, batch_size=4)  # several batches a run
    broker.publish(*grievance_conversation())
    consume(source)
    before = [(t.event_key, t.conversation_id) for t in turns()]
    assert consume(source) == 0
    assert [(t.event_key, t.conversation_id) for t in turns()] == before
    # Rasa goes on; the same JSON published twice (a redelivery) is kept once.
    later = [user("thank you", "thank", 0.99, T0 + 20), bot("You are welcome", T0 + 20.1)]
    broker.publish(*later, later[0])
    assert consume(source) == 3
    assert len(turns()) == len(before) + 2
    [conversation] = conversations()
    assert conversation.user_messages == 8 and conversation.last_at == START + dt.timedelta(seconds=20.1)
    with db.session_scope() as session:
        assert session.get(models.ConversationCursor, source.name).last_id == broker.ids()[-1]
    assert len(broker.ids()) == 1  # consumed rows are pruned, all but the newest (its id is never reused)


def test_a_new_rasa_session_is_a_new_conversation(database: str, broker: BrokerTable) -> None:
    broker.publish(*grievance_conversation(), *session_start(T0 + 7200), user("hello again", "greet", 0.9, T0 + 7201))
    consume(sources.SqlSource(broker.url))
    first, second = conversations()
    assert second.sender == first.sender == PHONE and second.started_at == START + dt.timedelta(seconds=7200)
    assert [t.text for t in turns(second.id)] == ["hello again"]


def test_events_up_to_an_erasure_s_cutoff_arriving_late_do_not_bring_the_conversation_back(
    database: str, broker: BrokerTable
) -> None:
    """The consumer may run behind the erasure's passes: what the citizen wrote before asking to be
    forgotten is skipped whenever it arrives; what they write afterwards is a new conversation."""
    with db.session_scope() as session:
        session.add(models.ErasureRequest(phone=PHONE, cutoff=T0 + 100, kept={}, media=[]))
    broker.publish(*grievance_conversation(), *session_start(T0 + 200), user("hello again", "greet", 0.9, T0 + 201))
    broker.publish(*handoff_conversation(T0))  # another citizen's, at the same time
    consume(sources.SqlSource(broker.url))
    kept = conversations()
    assert sorted(c.sender for c in kept) == sorted([PHONE, OTHER])
    mine = next(c for c in kept if c.sender == PHONE)
    assert [t.text for t in turns(mine.id)] == ["hello again"]


def test_ward_and_language_come_from_the_citizen_when_the_events_do_not_say(database: str, broker: BrokerTable) -> None:
    with db.session_scope() as session:
        session.add(models.Citizen(phone=OTHER, language="kn", ward_key="jayanagar"))
    broker.publish(*handoff_conversation(T0))
    consume(sources.SqlSource(broker.url))
    [conversation] = conversations()
    assert (conversation.language, conversation.ward_key) == ("kn", "jayanagar")
    assert conversation.has_handoff and conversation.low_confidence == 1  # 0.42 is below config.yml's 0.55
    assert links() == {("handoff", "HO-2030-000001"), ("application", "BC-2026-001234")}


def test_the_broker_named_in_each_endpoints_file_is_read_from_here(monkeypatch: pytest.MonkeyPatch) -> None:
    demo = sources.from_config(sources.broker_config(ROOT / "endpoints.yml"))
    assert isinstance(demo, sources.SqlSource) and demo.url == f"sqlite:///{ROOT / 'var' / 'events.db'}"
    rest = sources.from_config(sources.broker_config(ROOT / "tests" / "rest" / "endpoints.yml"))
    assert isinstance(rest, sources.SqlSource) and rest.url.endswith("var/test/events.db")
    for name, value in {"TRACKER_DB_HOST": "db.local", "TRACKER_DB_PORT": "5433", "TRACKER_DB_NAME": "talk",
                        "TRACKER_DB_USER": "rasa", "TRACKER_DB_PASSWORD": "p@ss"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    postgres = sources.from_config(sources.broker_config(ROOT / "endpoints.postgres.yml"))
    assert isinstance(postgres, sources.SqlSource) and postgres.table_name == "rasa_broker_events"
    assert postgres.url == "postgresql+psycopg2://rasa:p%40ss@db.local:5433/talk"
    pika = sources.from_config({"type": "pika", "url": "127.0.0.1", "username": "guest", "password": "guest", "queues": ["q1"]})
    assert isinstance(pika, sources.PikaSource) and (pika.url, pika.queue) == ("amqp://guest:guest@127.0.0.1:5672/%2F", "q1")
    monkeypatch.delenv("TRACKER_DB_PASSWORD")
    with pytest.raises(sources.BrokerConfigError, match="TRACKER_DB_PASSWORD"):
        sources.broker_config(ROOT / "endpoints.postgres.yml")


# --- Rasa itself (its environment) writes, we read ----------------------------------------------

RASA_SCRIPT = """
import asyncio, json, sys
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.utils.endpoints import read_endpoint_config

async def main(endpoints, root_endpoints):
    made = {}
    for path in root_endpoints:  # the project's own files create their broker (here, under this cwd's var/)
        made[path] = type(await EventBroker.create(read_endpoint_config(path, "event_broker"))).__name__
    broker = await EventBroker.create(read_endpoint_config(endpoints, "event_broker"))
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db="tracker.db", event_broker=broker)
    sender = "919876543210"
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    parse = {"intent": {"name": "greet", "confidence": 0.93}, "entities": [], "text": "namaste"}
    for event in (ActionExecuted("action_session_start", timestamp=1000), SessionStarted(timestamp=1000),
                  ActionExecuted("action_listen", timestamp=1000),
                  UserUttered("namaste", parse["intent"], [], parse, timestamp=1001, input_channel="whatsapp",
                              metadata={"whatsapp_type": "text"}),
                  SlotSet("language", "hi", timestamp=1001), ActionExecuted("utter_greet", timestamp=1002),
                  BotUttered("नमस्ते", {"buttons": [{"title": "Help", "payload": "/help"}]}, timestamp=1002),
                  ActionExecuted("action_listen", timestamp=1002)):
        tracker.update(event)
    await store.save(tracker)
    await broker.close()
    print(json.dumps(made))

asyncio.run(main(sys.argv[1], sys.argv[2:]))
"""


@pytest.mark.parametrize("kind", ["SQL", "channels.event_broker.BackgroundSQLEventBroker"])
def test_rasas_own_sql_event_brokers_are_read(database: str, tmp_path: Path, kind: str) -> None:
    """Rasa's SQLEventBroker (and ours, which writes off the turn) behind Rasa's SQLTrackerStore."""
    (tmp_path / "endpoints.yml").write_text(f"event_broker:\n  type: {kind}\n  dialect: sqlite\n  db: events.db\n")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT), "NAGARIK_ACTIONS_TOKEN": "x" * 32}
    files = [str(ROOT / "endpoints.yml"), str(ROOT / "tests" / "rest" / "endpoints.yml")]
    done = subprocess.run([str(RASA_PYTHON), "-c", RASA_SCRIPT, "endpoints.yml", *files], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert set(json.loads(done.stdout.strip().splitlines()[-1]).values()) == {"BackgroundSQLEventBroker"}
    assert consume(sources.SqlSource(f"sqlite:///{tmp_path / 'events.db'}")) == 8
    [conversation] = conversations()
    assert (conversation.sender, conversation.language) == (PHONE, "hi")
    assert (conversation.user_messages, conversation.bot_messages) == (1, 1)
    said = turns()
    assert [(t.kind, t.text or t.action) for t in said] == [("user", "namaste"), ("action", "utter_greet"), ("bot", "नमस्ते")]
    assert said[0].confidence == 0.93 and said[2].data == {"buttons": [{"title": "Help", "payload": "/help"}]}


# --- RabbitMQ (Rasa's Pika broker), the real server on this machine -----------------------------

AMQP = "amqp://guest:guest@127.0.0.1:5672/%2F"


def rabbit() -> Any:
    import pika

    try:
        return pika.BlockingConnection(pika.URLParameters(AMQP))
    except Exception as exc:  # any failure to connect is the same failure here
        pytest.fail(f"RabbitMQ is not reachable at 127.0.0.1:5672 (guest/guest), which the Pika broker tests need: {exc!r}")


def test_events_from_rabbitmq_are_consumed_and_acked_after_the_commit(database: str) -> None:
    queue = f"nagarik_test_{uuid.uuid4().hex[:12]}"
    connection = rabbit()
    try:
        channel = connection.channel()
        channel.queue_declare(queue, durable=True)  # as Rasa's PikaEventBroker declares its queues
        for event in [*grievance_conversation(), *handoff_conversation(T0 + 100)]:
            channel.basic_publish("", queue, json.dumps(event).encode())
        source = sources.PikaSource(AMQP, queue, batch_size=7, wait_seconds=0.3)
        assert consume(source) == len(grievance_conversation()) + len(handoff_conversation(T0))
        assert consume(source) == 0
        assert [c.sender for c in conversations()] == [PHONE, OTHER]
        assert len(turns()) == 19 and conversations()[1].has_handoff
        assert channel.queue_declare(queue, durable=True, passive=True).method.message_count == 0  # all acked
        # A batch whose commit fails is not acked: it is delivered again, and kept once.
        channel.basic_publish("", queue, json.dumps(user("later", "greet", 0.9, T0 + 300)).encode())
        with pytest.raises(RuntimeError), db.session_scope() as session:
            for _batch in source.batches(session):
                raise RuntimeError("the database went away")
        assert channel.queue_declare(queue, durable=True, passive=True).method.message_count == 1
        assert consume(source) == 1 and len(turns()) == 20
    finally:
        connection.channel().queue_delete(queue)
        connection.close()


# --- the review: filters, search, paging ---------------------------------------------------------


def add_conversation(sender: str, at: dt.datetime, **fields: Any) -> int:
    defaults = {"user_messages": 1, "bot_messages": 1, "fallbacks": 0, "low_confidence": 0, "has_handoff": False,
                "has_grievance": False, "tags": []}  # fmt: skip
    texts = fields.pop("texts", ["hello"])
    intent = fields.pop("intent", "greet")
    flagged = fields.pop("flagged", False)
    with db.session_scope() as session:
        row = models.Conversation(sender=sender, started_at=at, last_at=at + dt.timedelta(minutes=5), **{**defaults, **fields})
        session.add(row)
        session.flush()
        for number, words in enumerate(texts):
            session.add(models.Turn(
                conversation_id=row.id, sender=sender, at=at, kind="user", text=words, intent=intent, confidence=0.9,
                event_key=uuid.uuid4().hex, flag_note="", flagged_at=at if flagged and number == 0 else None,
            ))  # fmt: skip
        return row.id


def found(**filters: Any) -> list[int]:
    with db.session_scope() as session:
        return [row.id for row in review.listing(session, review.Filters(**filters)).rows]


def test_each_filter_and_the_search(database: str) -> None:
    day = START
    plain = add_conversation(PHONE, day, language="en", ward_key="jayanagar", texts=["Where is the ward office?"])
    hindi = add_conversation(OTHER, day - dt.timedelta(days=3), language="hi", intent="report_grievance", has_grievance=True,
                             texts=["कचरा नहीं उठाया"], reviewed_at=day, reviewed_by="asha")  # fmt: skip
    lost = add_conversation("919800000001", day - dt.timedelta(days=1), language="kn", fallbacks=1, has_handoff=True,
                            flagged=True, texts=["asdf", "Garbage near the temple"])  # fmt: skip
    assert found() == [plain, lost, hindi]  # the latest first
    assert found(start=(day - dt.timedelta(days=1)).date(), end=(day - dt.timedelta(days=1)).date()) == [lost]
    assert found(end=(day - dt.timedelta(days=2)).date()) == [hindi]
    assert found(language="hi") == [hindi] and found(ward="jayanagar") == [plain]
    assert found(intent="report_grievance") == [hindi]
    assert found(not_understood=True) == [lost] and found(handoff=True) == [lost] and found(grievance=True) == [hindi]
    assert found(flagged=True) == [lost] and found(unreviewed=True) == [plain, lost]
    assert found(phone="98111") == [hindi] and found(phone="+91 98765 43210") == [plain]
    assert found(words="garbage TEMPLE") == [lost] and found(words="कचरा") == [hindi] and found(words="50%") == []
    assert found(language="kn", not_understood=True, words="asdf") == [lost]


def test_the_list_is_paged(database: str) -> None:
    ids = [add_conversation(f"9198000{n:05d}", START + dt.timedelta(minutes=n)) for n in range(review.PAGE_SIZE + 3)]
    with db.session_scope() as session:
        first = review.listing(session, review.Filters())
        second = review.listing(session, review.Filters(page=2))
    assert first.more and not second.more and [row.id for row in second.rows] == ids[:3][::-1]


def test_turns_show_as_the_citizen_saw_them(database: str, broker: BrokerTable) -> None:
    broker.publish(*grievance_conversation())
    consume(sources.SqlSource(broker.url))
    seen = display.shown(turns())
    tap = seen[3]
    assert (tap.text, tap.payload) == ("हिन्दी", LANGUAGE_BUTTONS[1]["payload"])  # the button's title, not its payload
    assert seen[2].buttons == ["English", "हिन्दी"]
    categories = next(item for item in seen if item.rows)
    assert categories.list_button and categories.rows[0] == "garbage" and not categories.buttons  # 5 choices: a list
    assert next(item for item in seen if item.media == "image").turn.kind == "user"
    assert next(item for item in seen if item.media == "audio")
    pins = [item.location for item in seen if item.location]
    assert pins[0]["latitude"] == "12.925000" and pins[1]["name"] == "Ward office"
    assert next(item for item in seen if item.document).document == "https://example.org/form.pdf"


# --- the pages ------------------------------------------------------------------------------------


@pytest.fixture
def client(database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("NAGARIK_CONSOLE_SECURE_COOKIES", "0")
    app = FastAPI()
    console.install(app)
    with frozen(START + dt.timedelta(hours=1)), TestClient(app, base_url="http://testserver", follow_redirects=False) as test:
        yield test


def login(client: TestClient, username: str) -> str:
    client.cookies.clear()
    assert client.post("/console/login", data={"username": username, "password": PASSWORD}).status_code == 303
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/").text)
    assert match
    return match.group(1)


def audited(action: str) -> list[tuple[str, str, str]]:
    with db.session_scope() as session:
        rows = session.execute(select(models.AuditEntry).where(models.AuditEntry.action == action).order_by(models.AuditEntry.id))
        return [(row.who, row.object, row.detail) for row in rows.scalars()]


@pytest.fixture
def filed(client: TestClient, broker: BrokerTable) -> int:
    add_grievance("GRV-2030-000001", "sanitation", "health")
    broker.publish(*grievance_conversation())
    consume(sources.SqlSource(broker.url))
    return conversations()[0].id


def test_the_list_masks_phones_and_the_page_escapes_what_the_citizen_wrote(client: TestClient, filed: int) -> None:
    add_official("asha", "supervisor")
    add_official("tara", "trainer")
    login(client, "tara")
    listing = client.get("/console/conversations", params={"words": "कचरा", "grievance": "1"})
    assert listing.status_code == 200 and "91987•••3210" in listing.text and PHONE not in listing.text
    assert f"/console/conversations/{filed}" in listing.text
    page = client.get(f"/console/conversations/{filed}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert PHONE not in page.text  # a trainer may not see the whole number
    assert "report_grievance" in page.text and "0.91" in page.text and "action_submit_grievance" in page.text
    assert "/console/grievances/GRV-2030-000001" in page.text and "Ward office" in page.text
    login(client, "asha")
    assert PHONE in client.get(f"/console/conversations/{filed}").text
    assert [(who, target) for who, target, _ in audited("conversation.view")] == [("tara", str(filed)), ("asha", str(filed))]
    assert [who for who, _, _ in audited("conversations.list")] == ["tara"]


def test_a_trainer_flags_tags_notes_and_marks_reviewed_and_each_is_audited(client: TestClient, filed: int) -> None:
    add_official("tara", "trainer")
    token = login(client, "tara")
    turn = next(t for t in turns(filed) if t.intent == "nlu_fallback")
    base = f"/console/conversations/{filed}"
    flagging = {"csrf_token": token, "turn": str(turn.id), "note": "a new intent?"}
    assert client.post(f"{base}/flag", data=flagging).status_code == 303
    assert client.post(f"{base}/tag", data={"csrf_token": token, "tag": "  Missing Intent! "}).status_code == 303
    assert client.post(f"{base}/note", data={"csrf_token": token, "note": "<b>check</b> the garbage intent"}).status_code == 303
    assert client.post(f"{base}/reviewed", data={"csrf_token": token}).status_code == 303
    [flagged] = [t for t in turns(filed) if t.flagged_at]
    assert (flagged.id, flagged.flagged_by, flagged.flag_note) == (turn.id, "tara", "a new intent?")
    [conversation] = conversations()
    assert conversation.tags == ["missing intent"] and conversation.reviewed_by == "tara"
    page = client.get(base).text
    assert "&lt;b&gt;check&lt;/b&gt; the garbage intent" in page and "missing intent" in page
    assert found(flagged=True) == [filed] and found(unreviewed=True) == []
    for action in ("flag", "tag", "note", "reviewed"):
        assert [who for who, target, _ in audited(f"conversation.{action}") if target == str(filed)] == ["tara"], action
    assert client.post(f"{base}/tag", data={"csrf_token": token, "remove": "missing intent"}).status_code == 303
    assert client.post(f"{base}/flag", data={"csrf_token": token, "turn": str(turn.id), "unflag": "1"}).status_code == 303
    assert conversations()[0].tags == [] and found(flagged=True) == []


def test_review_actions_need_the_csrf_token_and_a_turn_of_that_conversation(
    client: TestClient, filed: int, broker: BrokerTable
) -> None:
    add_official("tara", "trainer")
    token = login(client, "tara")
    base = f"/console/conversations/{filed}"
    assert client.post(f"{base}/reviewed").status_code == 403
    assert client.post(f"{base}/reviewed", data={"csrf_token": "forged"}).status_code == 403
    assert conversations()[0].reviewed_at is None
    broker.publish(*handoff_conversation(T0 + 100))
    consume(sources.SqlSource(broker.url))
    elsewhere = turns(conversations()[1].id)[0]
    assert client.post(f"{base}/flag", data={"csrf_token": token, "turn": str(elsewhere.id)}).status_code == 404
    assert client.post("/console/conversations/999999/reviewed", data={"csrf_token": token}).status_code == 404


def test_a_department_officer_and_a_broadcaster_get_404_and_a_viewer_only_reads(client: TestClient, filed: int) -> None:
    add_official("ravi", "department_officer", ["health"])
    add_official("bina", "broadcaster")
    add_official("vee", "viewer")
    for name in ("ravi", "bina"):
        token = login(client, name)
        assert client.get("/console/conversations").status_code == 404
        assert client.get(f"/console/conversations/{filed}").status_code == 404
        assert client.post(f"/console/conversations/{filed}/reviewed", data={"csrf_token": token}).status_code == 404
    token = login(client, "vee")
    page = client.get(f"/console/conversations/{filed}")
    assert page.status_code == 200 and "/reviewed" not in page.text and PHONE not in page.text
    assert client.post(f"/console/conversations/{filed}/note", data={"csrf_token": token, "note": "x"}).status_code == 404
    with db.session_scope() as session:
        assert session.execute(select(func.count()).select_from(models.ConversationNote)).scalar() == 0


def test_every_filter_box_of_the_list_has_its_words_in_each_language() -> None:
    from nagarik.web.console import conversation_pages
    from nagarik.web.console.words import words

    for language in ("en", "hi", "kn"):
        assert all(words(language).get(f"conv_{check}") for check in conversation_pages.CHECKS), language

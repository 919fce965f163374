"""The channel's durable inbox: exactly once, in order per citizen, nothing lost after a crash."""

import os
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from nagarik.db.migrate import migrate as migrate_civic
from whatsapp.cloud import migrate
from whatsapp.cloud.media import sniff
from whatsapp.cloud.store import LEASE_SECONDS, Store
from whatsapp.cloud.store import metadata as store_tables
from whatsapp.inbound import InboundMessage, StatusUpdate, Webhook

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("NAGARIK_TEST_DATABASE_URL") else [])


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    if request.param == "sqlite":
        yield Store(f"sqlite:///{tmp_path / 'whatsapp.db'}")
        return
    base = os.environ["NAGARIK_TEST_DATABASE_URL"]
    schema = f"whatsapp_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    store = Store(f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}")
    yield store
    store.engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def text_message(wamid: str, sender: str = "919876543210", body: str = "hi") -> InboundMessage:
    return InboundMessage(id=wamid, sender=sender, kind="text", raw_type="text", text=body)


def test_a_message_delivered_twice_is_accepted_once(store):
    assert len(store.accept(Webhook(messages=[text_message("w1")]))) == 1
    assert store.accept(Webhook(messages=[text_message("w1")])) == []
    assert store.inbox_states() == {"pending": 1}


def test_a_citizens_messages_are_claimed_in_order_one_at_a_time(store):
    store.accept(Webhook(messages=[text_message("a1"), text_message("b1", sender="919845012345"), text_message("a2")]))
    assert store.senders_waiting() == ["919876543210", "919845012345"]
    first = store.claim_next("919876543210", "worker-1")
    assert first.message.id == "a1" and first.attempt == 1
    # While a1 is being handled nobody may take a2, not even another worker.
    assert store.claim_next("919876543210", "worker-2") is None
    store.finish(first.row_id)
    assert store.claim_next("919876543210", "worker-2").message.id == "a2"


def test_a_crashed_worker_s_message_is_claimed_again_after_its_lease(store):
    store.accept(Webhook(messages=[text_message("c1")]))
    row_id = store.claim_next("919876543210", "dies", now=1000.0).row_id
    assert store.claim_next("919876543210", "survivor", now=1000.0 + LEASE_SECONDS - 1) is None
    again = store.claim_next("919876543210", "survivor", now=1000.0 + LEASE_SECONDS + 1)
    assert again is not None and again.row_id == row_id
    assert again.attempt == 2  # so the channel looks for a reply the first holder sent
    assert not store.was_answered("c1")
    store.record_send(recipient="919876543210", body={"type": "text"}, state="accepted", wamid="out-1", inbound_wamid="c1")
    assert store.was_answered("c1")  # the survivor will not answer it a second time


def test_statuses_out_of_order_never_go_back(store):
    store.record_send(recipient="919876543210", body={}, state="accepted", wamid="out-2")
    store.accept(Webhook(statuses=[StatusUpdate("out-2", "read", "919876543210", timestamp=30)]))
    store.accept(Webhook(statuses=[StatusUpdate("out-2", "delivered", "919876543210", timestamp=20)]))
    row = store.outbound("out-2")
    assert row["status"] == "read" and row["delivered_at"] == 20 and row["read_at"] == 30


def test_a_repeated_status_keeps_its_first_time_and_a_late_one_never_lowers(store):
    for status, stamp in (("delivered", 20), ("delivered", 25), ("sent", 10), ("read", 30), ("sent", 40)):
        store.accept(Webhook(statuses=[StatusUpdate("out-4", status, "919876543210", timestamp=stamp)]))
    row = store.outbound("out-4")  # all before our record of the send: one status_only row holds them
    assert (row["state"], row["status"]) == ("status_only", "read")
    assert (row["sent_at"], row["delivered_at"], row["read_at"]) == (10, 20, 30)


def test_a_status_that_overtakes_the_send_record_is_kept(store):
    store.accept(Webhook(statuses=[StatusUpdate("out-3", "failed", "919876543210", timestamp=5, error_code=131026)]))
    store.record_send(recipient="919876543210", body={"type": "text"}, state="accepted", wamid="out-3")
    row = store.outbound("out-3")
    assert row["state"] == "accepted" and row["error_code"] == 131026 and row["failed_at"] == 5


def test_the_customer_service_window(store):
    store.accept(Webhook(messages=[text_message("d1")]), now=10_000.0)
    assert store.window_open("919876543210", 86_400, now=10_000.0 + 86_000)
    assert not store.window_open("919876543210", 86_400, now=10_000.0 + 86_401)
    assert not store.window_open("917000000000", 86_400)


def test_reactions_and_revokes_are_recorded_but_not_queued(store):
    reaction = InboundMessage(id="r1", sender="919876543210", kind="ignored", raw_type="reaction")
    assert store.accept(Webhook(messages=[reaction])) == []
    assert store.inbox_states() == {"ignored": 1}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0rest", ("image/jpeg", "jpg")),
        (b"\x89PNG\r\n\x1a\nrest", ("image/png", "png")),
        (b"%PDF-1.7 rest", ("application/pdf", "pdf")),
        (b"\x00\x00\x00\x18ftypmp42rest", ("video/mp4", "mp4")),
        (b"\x00\x00\x00\x14ftyp3gp5rest", ("video/3gpp", "3gp")),
        (b"MZ\x90\x00 an exe claiming to be a jpeg", None),
        (b"", None),
    ],
)
def test_files_are_recognised_by_their_bytes(data, expected):
    assert sniff(data) == expected


def test_the_migrations_build_exactly_the_store_s_tables(store):
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": migrate.VERSION_TABLE})
        assert compare_metadata(context, store_tables) == []
        assert context.get_current_revision() == "whatsapp_0004"


def test_a_store_made_before_migrations_is_adopted_and_keeps_its_rows(tmp_path):
    """The first stores made their tables with create_all and had no callback_data column."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        command.upgrade(migrate._config(connection), "whatsapp_0001")
        connection.execute(text(f"DROP TABLE {migrate.VERSION_TABLE}"))
        connection.execute(text("INSERT INTO whatsapp_windows (sender, last_inbound_at) VALUES ('919800000001', 1.0)"))
    engine.dispose()
    store = Store(url)
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT sender FROM whatsapp_windows")).scalars().all() == ["919800000001"]
        assert connection.execute(text(f"SELECT version_num FROM {migrate.VERSION_TABLE}")).scalar_one() == "whatsapp_0004"
        connection.execute(text("SELECT callback_data FROM whatsapp_outbox"))  # the column a later version added
    Store(url)  # opening it again changes nothing


def test_the_channel_s_version_table_leaves_the_civic_history_alone(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    Store(url)
    migrate_civic(url)
    with create_engine(url).connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() is not None  # the civic head
        channel = MigrationContext.configure(connection, opts={"version_table": migrate.VERSION_TABLE})
        assert channel.get_current_revision() == "whatsapp_0004"


def test_the_media_quota_counts_a_moving_day_per_citizen(store):
    day = 24 * 60 * 60
    store.record_media_fetch("919800000001", "m1", 1000, now=1_000.0)
    store.record_media_fetch("919800000001", "m2", 500, now=1_000.0 + day / 2)
    store.record_media_fetch("919800000001", "m2", 500, now=1_000.0 + day / 2)  # a retried turn: once
    store.record_media_fetch("919800000002", "m3", 7, now=1_000.0)
    assert store.media_fetched("919800000001", now=1_000.0 + day / 2) == (2, 1500)
    assert store.media_fetched("919800000001", now=1_000.0 + day + 1) == (1, 500)  # the first fell out of the day
    assert store.media_fetched("919800000002", now=1_000.0) == (1, 7)
    store.record_media_fetch("919800000001", "m4", 1, now=1_000.0 + 2 * day)  # and its row goes
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT wamid FROM whatsapp_media_fetches ORDER BY id")).scalars().all() == ["m3", "m4"]


def test_other_processes_hear_of_new_messages_at_once_on_postgresql(store):
    """The receiver's inbox write wakes every Rasa process (LISTEN/NOTIFY), instead of their next poll."""
    import threading

    if not store.notifies:
        assert store.engine.dialect.name == "sqlite"  # SQLite: one machine, the processes poll
        return
    other_process = Store(str(store.engine.url.render_as_string(hide_password=False)))
    heard, stop = threading.Event(), threading.Event()
    listener = threading.Thread(target=other_process.listen, args=(heard.set, stop, 0.2), daemon=True)
    listener.start()
    try:
        # Until LISTEN is in place a notification could be missed: keep storing until one is heard.
        for n in range(200):
            store.accept(Webhook(messages=[text_message(f"n{n}")]))
            if heard.wait(0.2):
                break
        assert heard.is_set()
        heard.clear()
        store.accept(Webhook(messages=[text_message("n-dup-0")]))
        assert heard.wait(30)
    finally:
        stop.set()
        listener.join(timeout=30)
        other_process.engine.dispose()

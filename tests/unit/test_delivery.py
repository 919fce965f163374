"""Meta's delivery statuses of broadcast copies, into the civic database."""

from nagarik import db
from nagarik.db import models
from nagarik.outbound import broadcasts
from tests.unit.broadcast_helpers import announce, citizen
from whatsapp.cloud.store import Store


def test_metas_statuses_become_the_copies_delivery_counts(database):
    from nagarik.outbound import delivery

    for phone in ("919100000071", "919100000072", "919100000073"):
        citizen(phone)
    broadcast_id, ids = announce()
    with db.session_scope() as session:
        broadcasts.record_many(session, [broadcasts.Outcome(i, "sent", wamid=f"wamid.{i}") for i in ids])

    def status(phone: str, name: str, code: int | None = None) -> dict:
        return {"callback_data": f"broadcast:{broadcast_id}:{phone}", "status": name, "error_code": code}

    with db.session_scope() as session:  # out of order, and repeated, as Meta sends them
        delivery.apply(session, [status("919100000071", "read"), status("919100000071", "delivered")])
        delivery.apply(session, [status("919100000072", "delivered"), status("919100000073", "sent")])
        delivery.apply(session, [status("919100000073", "failed", 131026), status("919100000073", "delivered")])
        delivery.apply(session, [status("919100000071", "sent"), {"callback_data": "reply:wamid.x:1", "status": "read"}])
    with db.session_scope() as session:
        state = broadcasts.progress(session, broadcast_id)
    assert state.states == {"read": 1, "delivered": 1, "failed": 1} and state.failures == {131026: 1}


def test_statuses_wait_in_the_channels_store_until_copied(database, tmp_path):
    from nagarik.outbound import delivery
    from whatsapp.inbound import StatusUpdate, Webhook

    citizen("919100000081")
    broadcast_id, ids = announce()
    store = Store(f"sqlite:///{tmp_path / 'wa.db'}")
    callback = f"broadcast:{broadcast_id}:919100000081"
    store.accept(Webhook(statuses=[StatusUpdate("wamid.81", "delivered", "919100000081", 1, callback_data=callback)]))
    store.accept(Webhook(statuses=[StatusUpdate("wamid.r", "read", "919100000099", 1, callback_data="reply:w:1")]))
    assert [s["status"] for s in store.broadcast_statuses()] == ["delivered"]  # a reply's status is not queued
    assert delivery.copy_from(store) == 1 and store.broadcast_statuses() == [] and delivery.copy_from(store) == 0
    with db.session_scope() as session:
        assert session.get(models.BroadcastRecipient, ids[0]).status == "delivered"

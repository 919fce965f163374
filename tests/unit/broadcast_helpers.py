"""Citizens, broadcasts and their copies, for the outbound engine's tests."""

from __future__ import annotations

from sqlalchemy import select

from nagarik import db
from nagarik.db import models
from nagarik.outbound import broadcasts
from nagarik.outbound.broadcasts import Audience
from tests.support import add_subscriber

JAYANAGAR, BASAVANAGUDI = "jayanagar", "basavanagudi"


def citizen(phone: str, *, topics=("water_supply",), ward=JAYANAGAR, language="kn", stop=False) -> None:
    add_subscriber(phone, topics, ward, language, stop)


def phones(kind: str, audience: Audience) -> list[str]:
    with db.session_scope() as session:
        return [phone for phone, _ in session.execute(broadcasts.audience_query(kind, audience))]


def announce(kind: str = "announcement") -> tuple[int, list[int]]:
    with db.session_scope() as session:
        broadcast = broadcasts.create(session, kind=kind, texts={"en": "Water off Friday", "kn": "ಶುಕ್ರವಾರ ನೀರು ಇಲ್ಲ"},
                                      audience=Audience(topics=("water_supply",)), created_by="t")  # fmt: skip
        broadcasts.materialize(session, broadcast)
        return broadcast.id, broadcasts.unfinished(session, broadcast.id, with_queued=True)


def states(broadcast_id: int) -> dict[str, str]:
    with db.session_scope() as session:
        row = models.BroadcastRecipient
        return dict(session.execute(select(row.phone, row.state).where(row.broadcast_id == broadcast_id)).all())

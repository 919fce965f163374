"""Helpers shared by the unit, REST and end-to-end tests."""

from __future__ import annotations

from nagarik import db, subscriptions
from whatsapp.outbound import script_language


def kannada(text: str) -> bool:
    return script_language(text) == "kn"


def devanagari(text: str) -> bool:
    return script_language(text) == "hi"


def add_subscriber(phone: str, topics: tuple[str, ...], ward: str, language: str = "en", stop: bool = False) -> None:
    """A citizen who chose updates (and maybe said STOP since), as the chat would record it."""
    with db.session_scope() as session:
        subscriptions.notice_shown(session, phone)  # consent comes after the notice
        for topic in topics:
            subscriptions.subscribe(session, phone, topic)
        subscriptions.set_ward(session, phone, ward)
        session.get(db.Citizen, phone).language = language
        if stop:
            subscriptions.stop_all(session, phone)

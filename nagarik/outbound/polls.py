"""Polls and consultations: a question with 2-10 options, one answer per citizen, results.

A poll goes out as a broadcast of kind "poll" (nagarik.outbound.broadcasts: audience, recipients, pacing).
Inside a citizen's 24-hour window the copy is the question itself with reply buttons (up to 3
options) or a list (4-10); outside it, the approved `consultation_invite` template whose quick-reply
button opens the window, after which the chat sends the question. Every button or row id is the
Rasa payload `/poll_answer{"poll_id":"<id>","poll_option":"<key>"}`, so a tap needs no NLU.

Only citizens the poll was sent to may answer or comment: their copy of the broadcast (a
`broadcast_recipients` row not skipped or failed) is the ticket, so typing another poll's payload
counts nothing. A citizen's answer is one row per (poll, phone): answering again overwrites it
(counted in `changes`) until the poll closes, by `close` or at `closes_at`. The citizen's ward
and language are kept as they were when answering, for results by ward and by language.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from nagarik import db, settings
from nagarik.db import models
from nagarik.outbound import broadcasts, templates
from nagarik.shared import clock
from nagarik.shared.seed_files import LANGUAGES, load_yaml
from whatsapp import limits, messages
from whatsapp.payloads import intent_payload

WORDING_FILE = settings.CONFIG_DIR / "polls" / "wording.yml"
INVITE_TEMPLATE = broadcasts.TEMPLATE["poll"]
OPTION_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")  # short: it travels in every button id
MIN_OPTIONS, MAX_OPTIONS = 2, limits.LIST_ROWS
COMMENT_LIMIT = 1000
UNKNOWN_WARD = "unknown"
NOT_RECEIVED = ("skipped", "failed")  # recipient rows of citizens the poll never reached


# --- definitions ---------------------------------------------------------------------------


def validate(question: Any, options: Any) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The question and options, cleaned; ValueError naming the first problem.

    Names must fit what the citizen taps: a reply button (up to 3 options) or a list row."""
    if not isinstance(question, dict) or not str(question.get("en") or "").strip():
        raise ValueError("question: needs at least an English text (question: {en: ...})")
    unknown = set(question) - set(LANGUAGES)
    if unknown:
        raise ValueError(f"question: unknown language(s) {', '.join(sorted(unknown))}; use {', '.join(LANGUAGES)}")
    if not all(isinstance(text, str) for text in question.values()):
        raise ValueError("question: the texts must be text; quote them")
    clean_question = {lang: text.strip() for lang, text in question.items() if text.strip()}
    for lang in LANGUAGES:
        text = " ".join((clean_question.get(lang) or clean_question["en"]).split())
        invite = templates.render(INVITE_TEMPLATE, lang, [text])
        if len(clean_question.get(lang, "")) > limits.INTERACTIVE_BODY or len(invite) > limits.INTERACTIVE_BODY:
            raise ValueError(f"question: the {lang} text is too long; the message may hold {limits.INTERACTIVE_BODY} characters")
    if not isinstance(options, list) or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise ValueError(f"a poll has {MIN_OPTIONS} to {MAX_OPTIONS} options")
    title_limit = limits.BUTTON_TITLE if len(options) <= limits.REPLY_BUTTONS else limits.ROW_TITLE
    shape = "reply buttons" if len(options) <= limits.REPLY_BUTTONS else "a list"
    clean_options: list[dict[str, Any]] = []
    for number, option in enumerate(options, start=1):
        if not isinstance(option, dict):
            raise ValueError(f"option {number}: expected {{key: ..., names: {{en: ...}}}}")
        key = str(option.get("key") or "")
        if not OPTION_KEY.fullmatch(key):
            raise ValueError(f"option {number}: key {key!r} must be lower_snake_case, at most 32 characters")
        if any(other["key"] == key for other in clean_options):
            raise ValueError(f"option {number}: key {key!r} is used twice")
        names = option.get("names")
        if not isinstance(names, dict) or not str(names.get("en") or "").strip():
            raise ValueError(f"option {key}: needs a name in English (names: {{en: ...}})")
        if not all(isinstance(name, str) for name in names.values()):  # YAML reads a bare Yes or No as true or false
            raise ValueError(f'option {key}: names are text; quote them, e.g. en: "Yes"')
        if set(names) - set(LANGUAGES):
            raise ValueError(f"option {key}: unknown language(s) {', '.join(sorted(set(names) - set(LANGUAGES)))}")
        clean_names = {lang: " ".join(name.split()) for lang, name in names.items() if name.strip()}
        for lang, name in clean_names.items():
            if len(name) > title_limit:
                raise ValueError(
                    f"option {key}: the {lang} name {name!r} has {len(name)} characters; "
                    f"with {len(options)} options they are {shape}, at most {title_limit}"
                )
        clean_options.append({"key": key, "names": clean_names})
    for lang in LANGUAGES:  # WhatsApp refuses two buttons with one title; a list would confuse
        shown = [option_names(option)[lang] for option in clean_options]
        repeated = {name for name in shown if shown.count(name) > 1}
        if repeated:
            raise ValueError(f"two options have the same {lang} name: {', '.join(sorted(repeated))}")
    return clean_question, clean_options


def load_definition(path: str | Path) -> dict[str, Any]:
    """A poll definition file (config/polls/*.yml): {question, options, allow_comments}, checked.
    Errors are ValueErrors that name the file (and the line, where the YAML gives it)."""
    path = Path(path)
    data = load_yaml(path)  # SeedFileError (a ValueError) with the line for bad YAML
    if not isinstance(data, dict) or "question" not in data or "options" not in data:
        raise ValueError(f"{path}: a poll definition has question: {{en, hi, kn}} and options: [{{key, names}}, ...]")
    unknown = set(data) - {"question", "options", "allow_comments"}
    if unknown:
        raise ValueError(f"{path}:{data.key_lines[min(unknown)]}: unknown field(s) {', '.join(sorted(unknown))}")
    allow_comments = data.get("allow_comments", True)
    if not isinstance(allow_comments, bool):
        raise ValueError(f"{path}:{data.key_lines['allow_comments']}: allow_comments is true or false")
    try:
        question, options = validate(data["question"], data["options"])
    except ValueError as exc:
        raise ValueError(f"{path}:{_line_of(data, str(exc))}: {exc}") from None
    return {"question": question, "options": options, "allow_comments": allow_comments}


def _line_of(data: dict[str, Any], message: str) -> int:
    """The line an error is about: the option it names, else the question or the options."""
    match = re.match(r"option (\S+?):", message)
    if match:
        for position, option in enumerate(data.get("options") or [], start=1):
            if isinstance(option, dict) and match.group(1) in (str(position), str(option.get("key"))):
                return getattr(option, "line", 0)
    return getattr(data, "key_lines", {}).get("question" if message.startswith("question") else "options", 0)


def option_names(option: dict[str, Any]) -> dict[str, str]:
    """An option's names in every language (English where a translation is missing)."""
    return {lang: option["names"].get(lang) or option["names"]["en"] for lang in LANGUAGES}


# --- creating, answering, closing ------------------------------------------------------------


def create(
    session: Session,
    *,
    question: dict[str, str],
    options: list[dict[str, Any]],
    audience: broadcasts.Audience,
    created_by: str,
    closes_at: dt.datetime | None = None,
    allow_comments: bool = True,
    send_at: dt.datetime | None = None,
) -> models.Poll:
    """A poll and its broadcast (kind "poll", the question per language as its texts). Times are naive UTC."""
    question, options = validate(question, options)
    if audience.phones:
        raise ValueError("a poll goes to an audience of wards, topics and languages, not to listed phones")
    if closes_at is not None and closes_at <= max(send_at or clock.utcnow(), clock.utcnow()):
        raise ValueError("a poll closes after it is sent")
    broadcast = broadcasts.create(session, kind="poll", texts=question, audience=audience, created_by=created_by, send_at=send_at)
    poll = models.Poll(
        question=question,
        options=options,
        allow_comments=allow_comments,
        audience=audience.as_dict(),
        status="open",
        closes_at=closes_at,
        broadcast_id=broadcast.id,
        created_by=created_by,
    )
    session.add(poll)
    session.flush()
    return poll


def find(session: Session, poll_id: int) -> models.Poll | None:
    return session.get(models.Poll, poll_id)


def is_closed(poll: models.Poll, now: dt.datetime | None = None) -> bool:
    now = now or clock.utcnow()
    return poll.status == "closed" or (poll.closes_at is not None and now >= poll.closes_at)


@dataclass(frozen=True)
class AnswerResult:
    outcome: str  # recorded | changed | same | closed | not_sent | unknown_poll | unknown_option
    poll: models.Poll | None
    option_names: dict[str, str] = field(default_factory=dict)  # the chosen option, per language
    closes_at: dt.datetime | None = None


def answer(session: Session, poll_id: int, phone: str, option_key: str, now: dt.datetime | None = None) -> AnswerResult:
    """Record or change a citizen's answer; one row per (poll, phone). Only from a citizen the
    poll was sent to ("not_sent" for anyone else); a closed poll says so to everyone."""
    now = now or clock.utcnow()
    poll = session.get(models.Poll, _poll_id(poll_id))
    if poll is None:
        return AnswerResult("unknown_poll", None)
    if is_closed(poll, now):
        return AnswerResult("closed", poll, closes_at=poll.closes_at)
    if not was_sent_to(session, poll, phone):
        return AnswerResult("not_sent", poll, closes_at=poll.closes_at)
    option = next((o for o in poll.options if o["key"] == option_key), None)
    if option is None:
        return AnswerResult("unknown_option", poll, closes_at=poll.closes_at)
    chosen = AnswerResult("recorded", poll, option_names(option), poll.closes_at)
    citizen = session.get(models.Citizen, phone)
    ward, language = (citizen.ward_key, citizen.language or "en") if citizen else (None, "en")
    if session.get(models.PollAnswer, (poll.id, phone)) is None:
        try:
            with session.begin_nested():  # a double tap may race us to the row: then it is a change
                session.add(
                    models.PollAnswer(
                        poll_id=poll.id,
                        phone=phone,
                        option_key=option_key,
                        ward_key=ward,
                        language=language,
                        changes=0,
                        answered_at=now,
                        updated_at=now,
                    )
                )
            return chosen
        except IntegrityError:
            pass
    row = models.PollAnswer
    changed = session.execute(
        update(row)
        .where(row.poll_id == poll.id, row.phone == phone, row.option_key != option_key)
        .values(option_key=option_key, ward_key=ward, language=language, changes=row.changes + 1, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return AnswerResult("changed" if changed.rowcount else "same", poll, chosen.option_names, poll.closes_at)


def add_comment(session: Session, poll_id: int, phone: str, text: str, now: dt.datetime | None = None) -> str:
    """Keep a citizen's comment on their answer: saved | closed | not_sent | no_answer | not_allowed.
    A later comment replaces the earlier one; blank text clears it."""
    poll = session.get(models.Poll, _poll_id(poll_id))
    if poll is None:
        return "no_answer"
    if not poll.allow_comments:
        return "not_allowed"
    if is_closed(poll, now):
        return "closed"
    if not was_sent_to(session, poll, phone):
        return "not_sent"
    saved = session.get(models.PollAnswer, (poll.id, phone))
    if saved is None:
        return "no_answer"
    saved.comment = text.strip()[:COMMENT_LIMIT] or None
    saved.updated_at = now or clock.utcnow()
    return "saved"


def close(session: Session, poll_id: int, now: dt.datetime | None = None) -> models.Poll:
    """Close a poll (KeyError if there is none); copies of its question not yet sent are cancelled."""
    poll = session.get(models.Poll, _poll_id(poll_id))
    if poll is None:
        raise KeyError(f"no poll {poll_id}")
    now = now or clock.utcnow()
    if poll.status != "closed":
        poll.status = "closed"
        if poll.closes_at is None or poll.closes_at > now:
            poll.closes_at = now
    broadcast = session.get(models.Broadcast, poll.broadcast_id) if poll.broadcast_id else None
    if broadcast is not None and (
        broadcast.status == "scheduled" or (broadcast.status == "running" and not broadcasts.finish_if_done(session, broadcast))
    ):
        broadcasts.cancel(session, broadcast.id)
    session.flush()
    return poll


def close_due(session: Session, now: dt.datetime | None = None) -> list[int]:
    """Close the open polls whose closing time has passed (for a periodic sweep); their ids."""
    now = now or clock.utcnow()
    due = session.execute(
        select(models.Poll.id).where(
            models.Poll.status == "open", models.Poll.closes_at.is_not(None), models.Poll.closes_at <= now
        )
    ).scalars()
    return [close(session, poll_id, now).id for poll_id in list(due)]


def was_sent_to(session: Session, poll: models.Poll, phone: str) -> bool:
    """Whether this citizen has a copy of the poll's broadcast (not skipped or failed): the same
    rule as `latest_open_for`, so whoever is shown a poll may answer it."""
    recipient = models.BroadcastRecipient
    found = session.execute(
        select(recipient.id).where(
            recipient.broadcast_id == poll.broadcast_id, recipient.phone == phone, recipient.state.not_in(NOT_RECEIVED)
        )
    ).first()
    return found is not None


def latest_open_for(session: Session, phone: str, now: dt.datetime | None = None) -> models.Poll | None:
    """The newest open poll whose broadcast included this citizen (and was not skipped or failed)."""
    now = now or clock.utcnow()
    recipient = models.BroadcastRecipient
    return session.execute(
        select(models.Poll)
        .join(recipient, recipient.broadcast_id == models.Poll.broadcast_id)
        .where(
            recipient.phone == phone,
            recipient.state.not_in(NOT_RECEIVED),
            models.Poll.status == "open",
            (models.Poll.closes_at.is_(None)) | (models.Poll.closes_at > now),
        )
        .order_by(models.Poll.created_at.desc(), models.Poll.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _poll_id(poll_id: int | str) -> int:
    """Poll ids arrive from Rasa payloads as strings; anything not a number is no poll."""
    try:
        return int(poll_id)
    except (TypeError, ValueError):
        return 0


# --- the messages ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def wording() -> dict[str, dict[str, str]]:
    return load_yaml(WORDING_FILE)


def answer_payload(poll_id: int, option_key: str) -> str:
    """The Rasa payload of an option's button or row (sent back as the message text when tapped)."""
    return intent_payload("poll_answer", poll_id=poll_id, poll_option=option_key)


def open_payload(poll_id: int) -> str:
    """The payload of the invitation template's button: the chat answers it with the question."""
    return intent_payload("poll_answer", poll_id=poll_id)


def question_message(poll: models.Poll, language: str) -> dict[str, Any]:
    """The free-form interactive message (inside the 24-hour window) in the citizen's language."""
    lang = language if language in poll.question else "en"
    words = wording()
    if poll.closes_at:
        footer = words["footer_until"][lang].format(closes=clock.local_text(poll.closes_at))
    else:
        footer = words["footer_open"][lang]
    names = [(answer_payload(poll.id, option["key"]), option_names(option)[lang]) for option in poll.options]
    if len(names) <= limits.REPLY_BUTTONS:
        return messages.reply_buttons(poll.question[lang], names, footer=footer)
    rows = [messages.list_row(payload, name) for payload, name in names]
    return messages.list_message(poll.question[lang], words["list_button"][lang], rows, footer=footer)


def invite_message(poll: models.Poll, language: str) -> dict[str, Any]:
    """The approved template (outside the window): the question, and a button that opens the window."""
    lang = language if language in poll.question else "en"
    return messages.template(INVITE_TEMPLATE, lang, [poll.question[lang]], quick_replies=[open_payload(poll.id)])


def broadcast_message(broadcast: models.Broadcast, language: str, in_window: bool) -> dict[str, Any]:
    """One copy of a poll's broadcast (nagarik.outbound.messages); the broadcast must be in a session."""
    session = object_session(broadcast)
    if session is None:
        raise ValueError(f"broadcast {broadcast.id} is not attached to a session: its poll cannot be found")
    poll = session.execute(select(models.Poll).where(models.Poll.broadcast_id == broadcast.id)).scalar_one()
    return question_message(poll, language) if in_window else invite_message(poll, language)


# --- results ---------------------------------------------------------------------------------


@dataclass
class Results:
    poll_id: int
    question: dict[str, str]
    options: list[dict[str, Any]]  # in definition order
    status: str  # open | closed (closed also once closes_at has passed)
    closes_at: dt.datetime | None
    by_option: dict[str, int]  # option key -> answers, every option, in definition order
    by_ward: dict[str, dict[str, int]]  # ward key ("unknown" if none) -> option key -> answers
    by_language: dict[str, dict[str, int]]  # language -> option key -> answers
    comments: int

    @property
    def total(self) -> int:
        return sum(self.by_option.values())

    def share(self, option_key: str) -> float:
        return self.by_option[option_key] / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "poll_id": self.poll_id,
            "question": self.question,
            "status": self.status,
            "closes_at": self.closes_at.isoformat() + "Z" if self.closes_at else None,
            "total": self.total,
            "comments": self.comments,
            "options": [
                {
                    "key": o["key"],
                    "names": option_names(o),
                    "answers": self.by_option[o["key"]],
                    "share": round(self.share(o["key"]), 4),
                }
                for o in self.options
            ],
            "by_ward": self.by_ward,
            "by_language": self.by_language,
        }


def results(session: Session, poll_id: int, now: dt.datetime | None = None) -> Results:
    """Counts by option, by ward x option and by language x option (KeyError if there is no poll)."""
    poll = session.get(models.Poll, _poll_id(poll_id))
    if poll is None:
        raise KeyError(f"no poll {poll_id}")
    keys = [option["key"] for option in poll.options]
    row = models.PollAnswer
    by_option = dict.fromkeys(keys, 0)
    by_ward: dict[str, dict[str, int]] = {}
    by_language: dict[str, dict[str, int]] = {}
    counted = session.execute(
        select(row.option_key, row.ward_key, row.language, func.count())
        .where(row.poll_id == poll.id)
        .group_by(row.option_key, row.ward_key, row.language)
    )
    for option_key, ward, language, count in counted:
        if option_key not in by_option:
            continue  # options never change; this only guards against hand-edited rows
        by_option[option_key] += count
        by_ward.setdefault(ward or UNKNOWN_WARD, dict.fromkeys(keys, 0))[option_key] += count
        by_language.setdefault(language, dict.fromkeys(keys, 0))[option_key] += count
    comments = db.count(session, select(row.phone).where(row.poll_id == poll.id, row.comment.is_not(None)))
    language_order = {lang: position for position, lang in enumerate(LANGUAGES)}
    return Results(
        poll_id=poll.id,
        question=dict(poll.question),
        options=list(poll.options),
        status="closed" if is_closed(poll, now) else "open",
        closes_at=poll.closes_at,
        by_option=by_option,
        by_ward={ward: by_ward[ward] for ward in sorted(by_ward, key=lambda w: (w == UNKNOWN_WARD, w))},
        by_language={
            lang: by_language[lang] for lang in sorted(by_language, key=lambda lang: (language_order.get(lang, 99), lang))
        },
        comments=comments,
    )


def results_table(results: Results) -> str:
    """Plain-text tables for the command line: by option, then by ward and by language."""
    keys = [option["key"] for option in results.options]
    closes = ""
    if results.closes_at:
        closes = f", closes {clock.local_text(results.closes_at)} {clock.to_local(results.closes_at):%Z}"
    lines = [
        f"Poll {results.poll_id}: {results.question['en']}",
        f"{results.status}{closes}; {results.total} answers, {results.comments} with a comment",
        "",
    ]
    width = max(len("option"), *(len(option_names(o)["en"]) + len(o["key"]) + 3 for o in results.options))
    lines.append(f"{'option':<{width}}  {'answers':>7}  {'share':>6}")
    for option in results.options:
        label = f"{option_names(option)['en']} ({option['key']})"
        lines.append(f"{label:<{width}}  {results.by_option[option['key']]:>7}  {results.share(option['key']):>6.1%}")
    for title, table in (("ward", results.by_ward), ("language", results.by_language)):
        lines += ["", _cross_table(title, table, keys)]
    return "\n".join(lines)


def _cross_table(title: str, table: dict[str, dict[str, int]], keys: list[str]) -> str:
    first = max([len(title), *(len(name) for name in table)])
    width = {key: max(len(key), 5) for key in keys}

    def line(name: str, cells: dict[str, Any], total: Any) -> str:
        return f"{name:<{first}}  " + "  ".join(f"{cells[key]:>{width[key]}}" for key in keys) + f"  {total:>5}"

    rows = [line(name, counts, sum(counts.values())) for name, counts in table.items()]
    return "\n".join([line(title, {key: key for key in keys}, "total"), *(rows or ["(no answers yet)"])])

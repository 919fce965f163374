"""The console's conversation pages: the filtered list, one conversation as the citizen saw it,
and the review's actions (flag a message, tag, note, mark reviewed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from nagarik.conversations import events, review
from nagarik.db import models
from nagarik.staff import audit, policy
from nagarik.web.console import render, security
from nagarik.web.console.render import Form
from nagarik.web.console.security import Visit

router = APIRouter(prefix=security.PREFIX)
Work = Callable[[Session, Visit, models.Conversation, Form], str]  # an action's change; the audit's detail
CHECKS = ("not_understood", "handoff", "grievance", "flagged", "unreviewed")


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def chosen_filters(request: Request) -> review.Filters:
    given = request.query_params
    page = given.get("page", "1")
    language = given.get("language", "")
    return review.Filters(
        start=_day(given.get("start", "")), end=_day(given.get("end", "")),
        language=language if language in events.LANGUAGES else "", ward=given.get("ward", "")[:64],
        intent=given.get("intent", "")[:128], phone=given.get("phone", "")[:32], words=given.get("words", "")[:200],
        page=int(page) if page.isdigit() and len(page) < 7 else 1,
        **{check: given.get(check) == "1" for check in CHECKS},
    )  # fmt: skip


def _query(filters: review.Filters, page: int) -> str:
    values = {
        "start": filters.start.isoformat() if filters.start else "", "end": filters.end.isoformat() if filters.end else "",
        "language": filters.language, "ward": filters.ward, "intent": filters.intent, "phone": filters.phone,
        "words": filters.words, **{check: "1" for check in CHECKS if getattr(filters, check)}, "page": str(page),
    }  # fmt: skip
    return urlencode({key: value for key, value in values.items() if value})


@router.get("/conversations")
def conversation_list(request: Request) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        render.require(visit, policy.READ_CONVERSATIONS)
        filters = chosen_filters(request)
        found = review.listing(session, filters)
        audit.record(session, visit.official.username, "conversations.list", "", visit.ip, _query(filters, found.page))
        return render.page(
            request, "conversations.html", visit, found=found, filters=filters, checks=CHECKS,
            languages=events.LANGUAGES, wards=review.wards(session), intents=review.intents(session),
            previous=_query(filters, found.page - 1), next=_query(filters, found.page + 1),
        )  # fmt: skip

    return render.with_visit(request, page)


def _conversation(session: Session, visit: Visit, conversation_id: int, action: str) -> models.Conversation:
    render.require(visit, action)
    conversation = review.by_id(session, conversation_id)
    if conversation is None:
        raise HTTPException(status_code=404)
    return conversation


@router.get("/conversations/{conversation_id}")
def conversation_detail(request: Request, conversation_id: int) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        conversation = _conversation(session, visit, conversation_id, policy.READ_CONVERSATIONS)
        # A view of a citizen's words: audited, whether or not their whole number is shown.
        audit.record(session, visit.official.username, "conversation.view", str(conversation.id), visit.ip)
        return render.page(
            request, "conversation.html", visit, detail=review.detail(session, conversation),
            whole_phone=policy.can(visit.official, policy.READ_CITIZEN),
            may_review=policy.can(visit.official, policy.REVIEW_CONVERSATIONS), threshold=events.fallback_threshold(),
        )  # fmt: skip

    return render.with_visit(request, page)


async def _review(request: Request, conversation_id: int, name: str, work: Work) -> Response:
    def run(session: Session, visit: Visit, form: Form) -> None:
        conversation = _conversation(session, visit, conversation_id, policy.REVIEW_CONVERSATIONS)
        detail = work(session, visit, conversation, form)
        audit.record(session, visit.official.username, f"conversation.{name}", str(conversation.id), visit.ip, detail)

    await render.post(request, run)
    return render.to(f"/conversations/{conversation_id}")


def _turn(session: Session, conversation: models.Conversation, form: Form) -> models.Turn:
    given = form.get("turn", "")
    turn = review.turn_of(session, conversation, int(given)) if given.isdigit() else None
    if turn is None:
        raise HTTPException(status_code=404)
    return turn


def _flag(session: Session, visit: Visit, conversation: models.Conversation, form: Form) -> str:
    turn = _turn(session, conversation, form)
    if form.get("unflag") == "1":
        review.unflag(turn)
        return f"turn {turn.id} unflagged"
    review.flag(turn, visit.official.username, form.get("note", ""))
    return f"turn {turn.id} flagged"


def _tag(session: Session, visit: Visit, conversation: models.Conversation, form: Form) -> str:
    if form.get("remove"):
        review.remove_tag(conversation, form["remove"])
        return f"removed {form['remove'][:review.MAX_TAG]}"
    kept = review.add_tag(conversation, form.get("tag", ""))
    if not kept:
        raise HTTPException(status_code=400, detail="an empty tag")
    return f"added {kept}"


def _note(session: Session, visit: Visit, conversation: models.Conversation, form: Form) -> str:
    note = review.add_note(session, conversation, visit.official.username, form.get("note", ""))
    if note is None:
        raise HTTPException(status_code=400, detail="an empty note")
    return ""  # the note itself stays in its table, not in the audit log


def _reviewed(session: Session, visit: Visit, conversation: models.Conversation, form: Form) -> str:
    review.mark_reviewed(conversation, visit.official.username)
    return ""


@router.post("/conversations/{conversation_id}/flag")
async def flag_turn(request: Request, conversation_id: int) -> Response:
    return await _review(request, conversation_id, "flag", _flag)


@router.post("/conversations/{conversation_id}/tag")
async def tag(request: Request, conversation_id: int) -> Response:
    return await _review(request, conversation_id, "tag", _tag)


@router.post("/conversations/{conversation_id}/note")
async def note(request: Request, conversation_id: int) -> Response:
    return await _review(request, conversation_id, "note", _note)


@router.post("/conversations/{conversation_id}/reviewed")
async def reviewed(request: Request, conversation_id: int) -> Response:
    return await _review(request, conversation_id, "reviewed", _reviewed)

"""Citizens waiting for an officer: the queue, and a live handoff (take, reply, give back)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from nagarik import settings
from nagarik.citizens import handoffs
from nagarik.db import models
from nagarik.outbound import live_handoffs, media_upload
from nagarik.outbound.sender import window_store
from nagarik.shared import clock
from nagarik.staff import audit, policy
from nagarik.web.console import render, security
from nagarik.web.console.render import Form
from nagarik.web.console.security import Visit

log = logging.getLogger(__name__)
router = APIRouter(prefix=security.PREFIX)
POLL = "every 3s"  # how soon a citizen's new message shows on the officer's page


@router.get("/handoffs")
def handoff_list(request: Request) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        render.require(visit, policy.READ_HANDOFFS)
        rows = handoffs.open_handoffs(session, policy.visible_departments(visit.official, policy.READ_HANDOFFS))
        now, store, minutes = clock.utcnow(), window_store(), settings.handoff_unanswered_minutes()
        windows = live_handoffs.windows_left(store, [row.phone for row in rows])
        late = {row.id for row in rows if handoffs.unanswered(row, now, minutes)}
        supervising = policy.can(visit.official, policy.SUPERVISE)
        return render.page(
            request,
            "handoffs.html",
            visit,
            rows=rows,
            now=now,
            windows=windows,
            late=late,
            minutes=minutes,
            supervising=supervising,
        )

    return render.with_visit(request, page)


def _handoff(session: Session, visit: Visit, reference: str, action: str = policy.READ_HANDOFFS) -> models.Handoff:
    handoff = handoffs.handoff_by_reference(session, reference)
    if handoff is None:
        raise HTTPException(status_code=404)
    render.require(visit, action, handoff)
    return handoff


@router.get("/handoffs/{reference}")
def handoff_detail(request: Request, reference: str) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        handoff = _handoff(session, visit, reference)
        # The page (not its polled thread) is the view of the citizen's words that the audit keeps.
        audit.record(session, visit.official.username, "handoff.view", handoff.reference, visit.ip)
        return _page(request, session, visit, handoff)

    return render.with_visit(request, page)


def _page(
    request: Request, session: Session, visit: Visit, handoff: models.Handoff, error: str = "", status: int = 200
) -> HTMLResponse:
    store = window_store()
    return render.page(
        request,
        "handoff.html",
        visit,
        status_code=status,
        handoff=handoff,
        turns=live_handoffs.thread(session, store, handoff),
        window=live_handoffs.window_left(store, handoff.phone),
        whole_phone=policy.can(visit.official, policy.READ_CITIZEN, handoff),
        may_work=policy.can(visit.official, policy.WORK_HANDOFFS, handoff),
        mine=handoff.status == "taken" and handoff.owner_id == visit.official.id,
        outcomes=handoffs.OUTCOMES,
        poll=POLL,
        error=error,
    )


@router.get("/handoffs/{reference}/thread")
def handoff_thread(request: Request, reference: str) -> HTMLResponse:
    """The conversation alone, which the page polls while it is open."""

    def fragment(session: Session, visit: Visit) -> HTMLResponse:
        handoff = _handoff(session, visit, reference)
        turns = live_handoffs.thread(session, window_store(), handoff)
        return render.page(request, "handoff_thread.html", visit, handoff=handoff, turns=turns, poll=POLL)

    return render.with_visit(request, fragment)


@router.post("/handoffs/{reference}/take")
async def take(request: Request, reference: str) -> Response:
    def work(session: Session, visit: Visit, form: Form) -> Response:
        handoff = _handoff(session, visit, reference, policy.WORK_HANDOFFS)
        try:
            live_handoffs.take(session, window_store(), handoff, visit.official)
        except handoffs.HandoffTakenError:
            session.refresh(handoff)
            return _page(request, session, visit, handoff, error="taken", status=409)
        audit.record(session, visit.official.username, "handoff.take", handoff.reference, visit.ip)
        return render.to(f"/handoffs/{reference}")

    return await render.post(request, work)


@router.post("/handoffs/{reference}/reply")
async def reply(request: Request, reference: str) -> Response:
    form = await request.form()
    given = security.csrf_given(request, form)
    text = form.get("text")

    def allowed(session: Session, visit: Visit) -> str:
        """The token and the right to answer, before any file goes to WhatsApp's media store."""
        security.check_csrf(given, visit.row)
        return _handoff(session, visit, reference, policy.WORK_HANDOFFS).phone

    media, problem = await _attachment(form.get("attachment"), await render.get(request, allowed))

    def work(session: Session, visit: Visit) -> Response | models.Broadcast:
        handoff = _handoff(session, visit, reference, policy.WORK_HANDOFFS)
        if problem:
            return _page(request, session, visit, handoff, error=problem[0], status=problem[1])
        try:
            broadcast = live_handoffs.reply(session, handoff, visit.official, text if isinstance(text, str) else "", media)
        except handoffs.HandoffTakenError:
            return _page(request, session, visit, handoff, error="not_yours", status=409)
        except ValueError as exc:
            return _page(request, session, visit, handoff, error=str(exc), status=400)
        detail = (media or {}).get("type", "text")
        audit.record(session, visit.official.username, "handoff.reply", handoff.reference, visit.ip, detail)
        return broadcast

    return await _started(request, await render.get(request, work), reference)


async def _attachment(upload: object, phone: str) -> tuple[dict[str, str] | None, tuple[str, int] | None]:
    """A photo, video or PDF the officer attached, stored in WhatsApp's media store; or why not
    (an error to show and its status). Only inside the window: the template carries text alone."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None, None
    data = await upload.read(media_upload.LARGEST + 1)  # no more than any limit needs
    try:
        checked = media_upload.check(data, upload.filename)
    except media_upload.MediaRefusedError as exc:
        return None, (str(exc), 413 if exc.reason == "too_big" else 415)
    if live_handoffs.window_left(window_store(), phone) is None:
        return None, ("attachment_outside_window", 400)
    try:
        media_id = await media_upload.upload(checked)
    except (media_upload.UploadError, OSError, ValueError) as exc:  # Meta away, settings missing
        log.warning("could not store an officer's attachment in the media store: %s", exc)
        return None, ("upload_failed", 502)
    return media_upload.as_media(checked, media_id), None


@router.post("/handoffs/{reference}/return")
async def give_back(request: Request, reference: str) -> Response:
    def work(session: Session, visit: Visit, form: Form) -> Response | models.Broadcast:
        handoff = _handoff(session, visit, reference, policy.WORK_HANDOFFS)
        try:
            told = live_handoffs.give_back(session, window_store(), handoff, visit.official, form.get("outcome", ""))
        except handoffs.HandoffTakenError:
            return _page(request, session, visit, handoff, error="not_yours", status=409)
        except ValueError as exc:
            return _page(request, session, visit, handoff, error=str(exc), status=400)
        audit.record(session, visit.official.username, "handoff.return", handoff.reference, visit.ip, handoff.outcome or "")
        return told

    return await _started(request, await render.post(request, work), reference)


async def _started(request: Request, done: Response | models.Broadcast, reference: str) -> Response:
    """Once committed, the outbound queue sends it (a worker must find the row the task names)."""
    if isinstance(done, Response):
        return done
    await run_in_threadpool(request.app.state.start_broadcast, done)
    return render.to(f"/handoffs/{reference}")

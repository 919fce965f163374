"""The console's broadcast pages: the list, composing an announcement or an emergency alert (with a
confirmation step for an alert), the audience size as it is chosen (an htmx fragment), a
broadcast's progress updating live, and cancelling. Polls, campaigns and reminders: poll_pages.

The work is the services': nagarik.outbound.broadcasts (checks, audience, create, cancel,
progress), media_upload (the attached file, to WhatsApp's media store) and overview (the lists).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from nagarik import db
from nagarik.db import models
from nagarik.outbound import broadcasts, checks, media_upload, overview
from nagarik.outbound.broadcasts import Audience
from nagarik.shared import clock
from nagarik.shared.seed_files import LANGUAGES
from nagarik.shared.topics import topics
from nagarik.staff import audit, policy
from nagarik.web import api
from nagarik.web.console import render, security
from nagarik.web.console.render import Form
from nagarik.web.console.security import Visit
from nagarik.web.console.words import words

log = logging.getLogger(__name__)
T = TypeVar("T")
router = APIRouter(prefix=security.PREFIX)

AUDIENCE_FIELDS = ("wards", "topics", "languages")
FINISHED = ("done", "cancelled", "failed")  # a progress fragment of these stops polling
POLL_SECONDS = 3
# In the order the progress table shows them: still to go, then what Meta said, then the rest.
STATES = ("queued", "sending", "retrying", "held", "sent", "delivered", "read", "failed", "skipped", "unknown")
MediaFields = ("media_type", "media_id", "media_filename")


# --- reading the form ------------------------------------------------------------------------


def text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def chosen(form: Any, name: str) -> list[str]:
    """The ticked boxes of a field (a form's or a query string's)."""
    return [value for value in form.getlist(name) if isinstance(value, str) and value]


def audience_from(form: Any) -> Audience:
    """The wards, topics and languages ticked, checked by the service (ValueError naming the field)."""
    return Audience.from_request({name: chosen(form, name) or None for name in AUDIENCE_FIELDS})


def send_time(form: Any) -> dt.datetime | None:
    """None to send now; else the local date-time chosen, as naive UTC, which must lie ahead."""
    if text(form, "when") != "later":
        return None
    send_at = checks.moment(text(form, "send_at") or None, "send_at")
    if send_at is None:
        raise ValueError("send_at: choose the date and time to send it")
    if send_at <= clock.utcnow():
        raise ValueError("send_at: that time has passed")
    return send_at


def texts_from(form: Any, prefix: str = "text") -> dict[str, str]:
    """A text per language, the blank ones left out (English is required by the service)."""
    return {lang: text(form, f"{prefix}_{lang}") for lang in LANGUAGES if text(form, f"{prefix}_{lang}").strip()}


@dataclass(frozen=True)
class Draft:
    """An announcement or alert as composed, checked, not yet stored."""

    kind: str
    texts: dict[str, str]
    audience: Audience
    send_at: dt.datetime | None  # None: now
    media: dict[str, str] | None


def read_draft(form: Any) -> Draft:
    kind = checks.choice(text(form, "kind") or None, "kind", broadcasts.DIRECT_KINDS, "announcement")
    media = None
    if text(form, "media_id"):  # uploaded before the alert's confirmation step
        stored = {"type": text(form, "media_type"), "id": text(form, "media_id"), "filename": text(form, "media_filename")}
        media = checks.media({key: value for key, value in stored.items() if value})
    return Draft(kind, texts_from(form), audience_from(form), send_time(form), media)


def dry_run(session: Session, draft: Draft, who: str) -> None:
    """The service's own whole check (texts, media, audience, an alert's wards), stored nowhere:
    nothing is uploaded or confirmed for a broadcast that could not be created."""
    nested = session.begin_nested()
    try:
        broadcasts.create(
            session, kind=draft.kind, texts=draft.texts, audience=draft.audience, created_by=who,
            media=draft.media, send_at=draft.send_at,
        )  # fmt: skip
    finally:
        nested.rollback()


def values_of(form: Any) -> dict[str, Any]:
    """What the official entered, to show the form again as they left it."""
    return {
        "kind": text(form, "kind") or "announcement",
        "texts": {lang: text(form, f"text_{lang}") for lang in LANGUAGES},
        **{name: chosen(form, name) for name in AUDIENCE_FIELDS},
        "when": text(form, "when") or "now",
        "send_at": text(form, "send_at"),
        "media": {name: text(form, name) for name in MediaFields},
    }


EMPTY: dict[str, Any] = {"kind": "announcement", "texts": {}, "wards": [], "topics": [], "languages": [], "when": "now",
                         "send_at": "", "media": {}}  # fmt: skip


async def post_form(request: Request, work: Callable[[Session, Visit, FormData], T]) -> T:
    """render.post for a form with repeated fields (ticked boxes): the work gets the whole form."""
    form = await request.form()
    given = security.csrf_given(request, form)

    def run(session: Session, visit: Visit) -> T:
        security.check_csrf(given, visit.row)
        return work(session, visit, form)

    return await render.get(request, run)


# --- what several pages show -----------------------------------------------------------------


def audience_choices(session: Session) -> dict[str, Any]:
    """The wards, topics and languages an official can choose from."""
    return {"wards": overview.wards(session), "topics": topics(), "languages": LANGUAGES}


def size_of(session: Session, kind: str, values: dict[str, Any]) -> int | None:
    try:
        audience = Audience.from_request({name: values.get(name) or None for name in AUDIENCE_FIELDS})
    except ValueError:
        return None
    return broadcasts.audience_size(session, kind, audience)


def refusal(language: str, exc: media_upload.MediaRefusedError) -> str:
    said = words(language)
    if exc.reason == "too_big":
        return said["bc_media_too_big"].format(mb=exc.limit // media_upload.MB)
    return said["bc_media_wrong_type"] if exc.reason == "wrong_type" else said["bc_media_empty"]


def compose_page(request: Request, session: Session, visit: Visit, values: dict[str, Any], error: str = "",
                 status_code: int = 200) -> HTMLResponse:  # fmt: skip
    render.require(visit, policy.SEND_BROADCAST)
    return render.page(
        request, "broadcast_new.html", visit, status_code=status_code, values=values, error=error,
        size=size_of(session, values["kind"], values), alert_allowed=policy.can(visit.official, policy.SEND_ALERT),
        limits={kind: limit // media_upload.MB for kind, limit in media_upload.ACCEPTED.values()},
        **audience_choices(session),
    )  # fmt: skip


async def compose_again(request: Request, form: FormData, error: str, status_code: int = 400) -> HTMLResponse:
    return await render.get(request, lambda session, visit: compose_page(request, session, visit, values_of(form), error,
                                                                          status_code))  # fmt: skip


def start_now(request: Request, broadcast_id: int) -> None:
    """Hand a broadcast to the queue, as the API does (tests give the app their own starter). If the
    queue is away, the sweep starts it when it comes back: its send_at has passed."""
    start = getattr(request.app.state, "start_broadcast", None) or api.starting_with(None)
    try:
        with db.session_scope() as session:
            start(session.get(models.Broadcast, broadcast_id))
    except Exception:
        log.exception("broadcast %s stored but not started; the sweep will start it", broadcast_id)


# --- the pages -------------------------------------------------------------------------------


@router.get("/broadcasts")
def broadcast_list(request: Request) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        render.require(visit, policy.READ_BROADCASTS)
        return render.page(request, "broadcasts.html", visit, rows=overview.recent(session), tab="broadcasts")

    return render.with_visit(request, page)


@router.get("/broadcasts/new")
def compose_form(request: Request) -> HTMLResponse:
    return render.with_visit(request, lambda session, visit: compose_page(request, session, visit, dict(EMPTY)))


@router.get("/broadcasts/audience")
def audience_size(
    request: Request,
    kind: str = "announcement",
    wards: list[str] = Query(default=[]),  # noqa: B008 - FastAPI's way to take a repeated field
    topics: list[str] = Query(default=[]),  # noqa: B008
    languages: list[str] = Query(default=[]),  # noqa: B008
) -> HTMLResponse:
    """The count fragment the compose forms ask for whenever a box is ticked (htmx)."""

    def fragment(session: Session, visit: Visit) -> HTMLResponse:
        render.require(visit, policy.SEND_BROADCAST)
        chosen_kind = kind if kind in api.AUDIENCE_KINDS else "announcement"
        size = size_of(session, chosen_kind, {"wards": wards, "topics": topics, "languages": languages})
        return render.page(request, "broadcast_audience.html", visit, size=size)

    return render.with_visit(request, fragment)


@router.post("/broadcasts/new")
async def compose(request: Request) -> Response:
    form = await request.form()
    given = security.csrf_given(request, form)
    upload = form.get("media")
    data, filename = b"", ""
    if isinstance(upload, UploadFile) and upload.filename:
        data, filename = await upload.read(media_upload.LARGEST + 1), upload.filename  # no more than any limit needs

    def check(session: Session, visit: Visit) -> tuple[Draft, str]:
        security.check_csrf(given, visit.row)
        render.require(visit, policy.SEND_BROADCAST)
        if text(form, "kind") == "emergency":
            render.require(visit, policy.SEND_ALERT)
        draft = read_draft(form)
        dry_run(session, draft, visit.official.username)
        return draft, visit.official.language

    try:
        draft, language = await render.get(request, check)
    except ValueError as exc:
        return await compose_again(request, form, str(exc))
    if data:
        try:
            checked = media_upload.check(data, filename)
        except media_upload.MediaRefusedError as exc:
            return await compose_again(request, form, refusal(language, exc), 413 if exc.reason == "too_big" else 415)
        try:
            media_id = await media_upload.upload(checked)
        except (media_upload.UploadError, OSError, ValueError) as exc:  # Meta away, settings missing
            log.warning("could not store %s in the media store: %s", checked.filename, exc)
            return await compose_again(request, form, words(language)["bc_media_upload_failed"], 502)
        draft = replace(draft, media=media_upload.as_media(checked, media_id))
    if draft.kind == "emergency" and text(form, "confirmed") != "yes":
        return await render.get(request, lambda session, visit: confirm_page(request, session, visit, draft))

    def send(session: Session, visit: Visit) -> int:
        render.require(visit, policy.SEND_BROADCAST)
        if draft.kind == "emergency":
            render.require(visit, policy.SEND_ALERT)
        broadcast = broadcasts.create(
            session, kind=draft.kind, texts=draft.texts, audience=draft.audience, created_by=visit.official.username,
            media=draft.media, send_at=draft.send_at,
        )  # fmt: skip
        size = broadcasts.audience_size(session, draft.kind, draft.audience)
        when = "now" if draft.send_at is None else f"at {draft.send_at.isoformat()}Z"
        action = "broadcast.send" if draft.send_at is None else "broadcast.schedule"
        media = f", with {draft.media['type']} {draft.media['id']}" if draft.media else ""
        detail = f"{draft.kind}, {size} citizens, {when}{media}"
        audit.record(session, visit.official.username, action, str(broadcast.id), visit.ip, detail)
        return broadcast.id

    try:
        broadcast_id = await render.get(request, send)
    except ValueError as exc:
        return await compose_again(request, form, str(exc))
    if draft.send_at is None:
        await run_in_threadpool(start_now, request, broadcast_id)
    return render.to(f"/broadcasts/{broadcast_id}")


def confirm_page(request: Request, session: Session, visit: Visit, draft: Draft) -> HTMLResponse:
    """An alert overtakes every other send and reaches everyone in its wards: shown whole, and sent
    only with the box ticked."""
    size = broadcasts.audience_size(session, draft.kind, draft.audience)
    return render.page(request, "broadcast_confirm.html", visit, draft=draft, size=size, ward_names=overview.wards(session),
                       send_at_text=render_local(draft.send_at))  # fmt: skip


def render_local(moment: dt.datetime | None) -> str:
    """A UTC moment as the datetime-local field writes it (the office's time)."""
    return clock.to_local(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


def shown_broadcast(session: Session, visit: Visit, broadcast_id: int) -> models.Broadcast:
    render.require(visit, policy.READ_BROADCASTS)
    broadcast = overview.listed(session, broadcast_id)
    if broadcast is None:
        raise HTTPException(status_code=404)
    return broadcast


def may_cancel(visit: Visit, broadcast: models.Broadcast) -> bool:
    alert_ok = broadcast.kind != "emergency" or policy.can(visit.official, policy.SEND_ALERT)
    return overview.can_cancel(broadcast) and policy.can(visit.official, policy.SEND_BROADCAST) and alert_ok


def progress_context(session: Session, broadcast: models.Broadcast) -> dict[str, Any]:
    progress = broadcasts.progress(session, broadcast.id)
    return {"progress": progress, "states": STATES, "live": progress.status not in FINISHED, "seconds": POLL_SECONDS,
            "broadcast": broadcast}  # fmt: skip


@router.get("/broadcasts/{broadcast_id:int}")
def broadcast_detail(request: Request, broadcast_id: int) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        broadcast = shown_broadcast(session, visit, broadcast_id)
        poll = overview.poll_of(session, broadcast.id) if broadcast.kind == "poll" else None
        return render.page(
            request, "broadcast.html", visit, cancellable=may_cancel(visit, broadcast), ward_names=overview.wards(session),
            audience=overview.audience_text(broadcast.audience), poll=poll, tab="broadcasts",
            **progress_context(session, broadcast),
        )  # fmt: skip

    return render.with_visit(request, page)


@router.get("/broadcasts/{broadcast_id:int}/progress")
def progress_fragment(request: Request, broadcast_id: int) -> HTMLResponse:
    """The live part of the progress page, polled by htmx every few seconds until the broadcast ends."""

    def fragment(session: Session, visit: Visit) -> HTMLResponse:
        broadcast = shown_broadcast(session, visit, broadcast_id)
        return render.page(request, "broadcast_progress.html", visit, **progress_context(session, broadcast))

    return render.with_visit(request, fragment)


@router.post("/broadcasts/{broadcast_id:int}/cancel")
async def cancel(request: Request, broadcast_id: int) -> Response:
    def work(session: Session, visit: Visit, form: Form) -> None:
        broadcast = shown_broadcast(session, visit, broadcast_id)
        render.require(visit, policy.SEND_BROADCAST)
        if broadcast.kind == "emergency":
            render.require(visit, policy.SEND_ALERT)
        if not overview.can_cancel(broadcast):
            return  # done or cancelled already: nothing to stop
        broadcasts.cancel(session, broadcast.id)
        audit.record(session, visit.official.username, "broadcast.cancel", str(broadcast.id), visit.ip, broadcast.kind)

    await render.post(request, work)
    return render.to(f"/broadcasts/{broadcast_id}")

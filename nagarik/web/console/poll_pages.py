"""The console's poll, campaign and reminder pages: creating a poll, its results by option, ward
and language (with the service's chart), closing it; campaigns with their steps' progress; the
reminder rules with what they sent. The work is nagarik.outbound's (polls, poll_chart,
campaigns, overview); the audience form is broadcast_pages'.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from nagarik.outbound import broadcasts, campaigns, checks, overview, polls, reminders
from nagarik.shared.seed_files import LANGUAGES
from nagarik.staff import audit, policy
from nagarik.web.console import render, security
from nagarik.web.console.broadcast_pages import (
    AUDIENCE_FIELDS,
    audience_choices,
    audience_from,
    chosen,
    post_form,
    send_time,
    size_of,
    start_now,
    text,
    texts_from,
)
from nagarik.web.console.render import Form
from nagarik.web.console.security import Visit

router = APIRouter(prefix=security.PREFIX)
OPTION_ROWS = 6  # blank rows are left out; the service takes 2 to 10 options
NOT_A_KEY = re.compile(r"[^a-z0-9]+")


# --- reading the poll form -------------------------------------------------------------------


def option_key(english: str, number: int, taken: set[str]) -> str:
    """A short key from the English name ("Keep it open" -> keep_it_open), else option_<n>."""
    key = NOT_A_KEY.sub("_", english.lower()).strip("_")[:32].strip("_")
    if not polls.OPTION_KEY.fullmatch(key) or key in taken:
        key = f"option_{number}"
    return key


def options_from(form: Any) -> list[dict[str, Any]]:
    options: list[dict[str, Any]] = []
    for number in range(1, OPTION_ROWS + 1):
        names = texts_from(form, f"option_{number}")
        if not names:
            continue
        key = option_key(names.get("en", ""), number, {option["key"] for option in options})
        options.append({"key": key, "names": names})
    return options


def poll_values(form: Any) -> dict[str, Any]:
    return {
        "question": {lang: text(form, f"question_{lang}") for lang in LANGUAGES},
        "options": [{lang: text(form, f"option_{number}_{lang}") for lang in LANGUAGES} for number in range(1, OPTION_ROWS + 1)],
        "allow_comments": text(form, "allow_comments") == "yes",
        "closes_at": text(form, "closes_at"),
        **{name: chosen(form, name) for name in AUDIENCE_FIELDS},
        "when": text(form, "when") or "now",
        "send_at": text(form, "send_at"),
        "kind": "poll",
    }


EMPTY_POLL: dict[str, Any] = {
    "question": {}, "options": [{}] * OPTION_ROWS, "allow_comments": True, "closes_at": "",
    "wards": [], "topics": [], "languages": [], "when": "now", "send_at": "", "kind": "poll",
}  # fmt: skip


def poll_form(request: Request, session: Session, visit: Visit, values: dict[str, Any], error: str = "",
              status_code: int = 200) -> HTMLResponse:  # fmt: skip
    render.require(visit, policy.SEND_BROADCAST)
    return render.page(request, "poll_new.html", visit, status_code=status_code, values=values, error=error,
                       size=size_of(session, "poll", values), tab="polls", **audience_choices(session))  # fmt: skip


def shown_poll(session: Session, visit: Visit, poll_id: int) -> Any:
    render.require(visit, policy.READ_BROADCASTS)
    poll = polls.find(session, poll_id)
    if poll is None:
        raise HTTPException(status_code=404)
    return poll


# --- polls -----------------------------------------------------------------------------------


@router.get("/polls")
def poll_list(request: Request) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        render.require(visit, policy.READ_BROADCASTS)
        return render.page(request, "polls.html", visit, rows=overview.recent_polls(session), tab="polls")

    return render.with_visit(request, page)


@router.get("/polls/new")
def new_poll_form(request: Request) -> HTMLResponse:
    return render.with_visit(request, lambda session, visit: poll_form(request, session, visit, dict(EMPTY_POLL)))


@router.post("/polls/new")
async def create_poll(request: Request) -> Response:
    def work(session: Session, visit: Visit, form: FormData) -> tuple[int | None, str, Any]:
        render.require(visit, policy.SEND_BROADCAST)
        try:
            with session.begin_nested():  # a refused poll leaves no broadcast behind
                send_at = send_time(form)
                chosen_audience = audience_from(form)
                poll = polls.create(
                    session, question=texts_from(form, "question"), options=options_from(form), audience=chosen_audience,
                    created_by=visit.official.username, closes_at=checks.moment(text(form, "closes_at") or None, "closes_at"),
                    allow_comments=text(form, "allow_comments") == "yes", send_at=send_at,
                )  # fmt: skip
        except ValueError as exc:
            return None, str(exc), form
        size = broadcasts.audience_size(session, "poll", chosen_audience)
        when = "now" if send_at is None else f"at {send_at.isoformat()}Z"
        audit.record(session, visit.official.username, "poll.send", str(poll.id), visit.ip, f"{size} citizens, {when}")
        return poll.id, "now" if send_at is None else "later", poll.broadcast_id

    poll_id, outcome, extra = await post_form(request, work)
    if poll_id is None:
        values = poll_values(extra)
        return await render.get(request, lambda session, visit: poll_form(request, session, visit, values, outcome, 400))
    if outcome == "now":
        await run_in_threadpool(start_now, request, extra)
    return render.to(f"/polls/{poll_id}")


@router.get("/polls/{poll_id:int}")
def poll_results(request: Request, poll_id: int) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        poll = shown_poll(session, visit, poll_id)
        return render.page(
            request, "poll.html", visit, poll=poll, results=polls.results(session, poll.id), names=polls.option_names,
            comments=overview.poll_comments(session, poll.id), ward_names=overview.wards(session), tab="polls",
            closable=policy.can(visit.official, policy.SEND_BROADCAST) and poll.status != "closed",
        )  # fmt: skip

    return render.with_visit(request, page)


@router.get("/polls/{poll_id:int}/chart.png")
def poll_chart(request: Request, poll_id: int) -> Response:
    from nagarik.outbound.poll_chart import chart_png  # Pillow: loaded only when a chart is asked for

    def image(session: Session, visit: Visit) -> Response:
        poll = shown_poll(session, visit, poll_id)
        results = polls.results(session, poll.id)
        return Response(chart_png(results, results.question["en"]), media_type="image/png")

    return render.with_visit(request, image)


@router.post("/polls/{poll_id:int}/close")
async def close_poll(request: Request, poll_id: int) -> Response:
    def work(session: Session, visit: Visit, form: Form) -> None:
        poll = shown_poll(session, visit, poll_id)
        render.require(visit, policy.SEND_BROADCAST)
        polls.close(session, poll.id)
        audit.record(session, visit.official.username, "poll.close", str(poll.id), visit.ip)

    await render.post(request, work)
    return render.to(f"/polls/{poll_id}")


# --- campaigns and reminders -----------------------------------------------------------------


@router.get("/campaigns")
def campaign_list(request: Request) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        render.require(visit, policy.READ_BROADCASTS)
        return render.page(request, "campaigns.html", visit, rows=overview.recent_campaigns(session), tab="campaigns")

    return render.with_visit(request, page)


@router.get("/campaigns/{campaign_id:int}")
def campaign_detail(request: Request, campaign_id: int) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        render.require(visit, policy.READ_BROADCASTS)
        try:
            campaign, steps = campaigns.progress(session, campaign_id)
        except KeyError:
            raise HTTPException(status_code=404) from None
        cancellable = campaign.status != "cancelled" and policy.can(visit.official, policy.SEND_BROADCAST)
        return render.page(request, "campaign.html", visit, campaign=campaign, steps=steps, cancellable=cancellable,
                           audience=overview.audience_text(campaign.audience), ward_names=overview.wards(session),
                           tab="campaigns")  # fmt: skip

    return render.with_visit(request, page)


@router.post("/campaigns/{campaign_id:int}/cancel")
async def cancel_campaign(request: Request, campaign_id: int) -> Response:
    def work(session: Session, visit: Visit, form: Form) -> None:
        render.require(visit, policy.READ_BROADCASTS)
        render.require(visit, policy.SEND_BROADCAST)
        try:
            campaigns.cancel(session, campaign_id)
        except KeyError:
            raise HTTPException(status_code=404) from None
        audit.record(session, visit.official.username, "campaign.cancel", str(campaign_id), visit.ip)

    await render.post(request, work)
    return render.to(f"/campaigns/{campaign_id}")


@router.get("/reminders")
def reminder_list(request: Request) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        render.require(visit, policy.READ_BROADCASTS)
        return render.page(request, "campaign_reminders.html", visit, rows=overview.reminder_rules(session),
                           kinds=reminders.load().kinds, tab="reminders")  # fmt: skip

    return render.with_visit(request, page)

"""The officials' JSON HTTP API: the same services as the command line, for the console and for
the departments' own systems (status changes arrive here).

    NAGARIK_API_TOKENS="token-of-ward-office:ward-office,token-of-revenue:revenue" \\
        .venv/bin/python -m nagarik.officials.api --port 5200

Every request carries `Authorization: Bearer <token>`; each token names who acts (kept with
what they send). Tokens come only from the environment.

    GET  /api/audience?kind=announcement&wards=jayanagar&topics=water_supply  -> {"size": n}
    POST /api/broadcasts {"kind", "texts": {"en", "hi", "kn"}, "wards", "topics", "languages", "media", "send_at"}
    GET  /api/broadcasts/<id>            POST /api/broadcasts/<id>/cancel
    POST /api/applications/<number>/stage {"stage", "expected_on"}
    POST /api/grievances/<tracking_id>/status {"status", "note"}
    GET  /api/certificates/<code>        GET /verify/<code>  (public: what a genuine certificate copy shows)
    POST /api/polls {"question": {"en", "hi", "kn"}, "options": [{"key", "names"}], "allow_comments", "wards", "topics",
                     "languages", "closes_at", "send_at"}   (times ISO; without an offset, IST)
    GET  /api/polls/<id>/results         GET /api/polls/<id>/chart.png         POST /api/polls/<id>/close
    POST /api/citizens/<phone>/dates {"kind", "due_on", "reference"}   GET /api/citizens/<phone>/dates  (reminders count back)
    POST /api/campaigns {"campaign": "<config/campaigns file name>" or "definition": {"name", "steps"}, "start_on", "wards",
                         "topics", "languages"}     GET /api/campaigns/<id>     POST /api/campaigns/<id>/cancel
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

from nagarik import db, settings
from nagarik.citizens import documents
from nagarik.db import models
from nagarik.outbound import broadcasts, campaigns, notifications, polls, reminders
from nagarik.outbound.broadcasts import Audience
from nagarik.shared import clock


def error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def body_of(request: Request) -> dict[str, Any]:
    """The request's JSON object, or {} (the services then say what is missing)."""
    return request.json if isinstance(request.json, dict) else {}


Handler = Callable[..., Awaitable[HTTPResponse]]


def service_errors(not_found: str | None = None) -> Callable[[Handler], Handler]:
    """What the services raise, as HTTP: ValueError or TypeError (bad input) -> 400 with the
    service's own message; KeyError (no such row) -> 404 saying `not_found`."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def mapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            try:
                return await handler(request, *args, **kwargs)
            except KeyError:
                if not_found is None:
                    raise
                return error(404, not_found)
            except (ValueError, TypeError) as exc:
                return error(400, str(exc))

        return mapped

    return wrap


def create_app(enqueue: Any = None) -> Sanic:
    """`enqueue(broadcast_id, priority)` starts a broadcast; by default the Huey queue's task."""
    app = Sanic("nagarik_api")
    tokens = settings.api_tokens()

    def start(broadcast: models.Broadcast) -> None:
        if enqueue is not None:
            enqueue(broadcast.id, broadcast.priority)
            return
        from nagarik.outbound.queue import start_broadcast

        start_broadcast(broadcast.id, priority=broadcast.priority)

    @app.middleware("request")
    async def authenticate(request: Request) -> HTTPResponse | None:
        if request.path.startswith("/verify/"):  # public: a bank or employer checks a certificate copy
            return None
        header = request.headers.get("authorization", "")
        given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        who = next((name for token, name in tokens.items() if given and hmac.compare_digest(token, given)), None)
        if who is None:
            return error(401, "a valid bearer token is required")
        request.ctx.who = who
        return None

    def audience_of(source: Any) -> Audience:
        def listed(key: str) -> tuple[str, ...]:
            value = source.get(key)
            if isinstance(value, str):
                value = [part for part in value.split(",") if part]
            return tuple(value or ())

        return Audience(listed("wards"), listed("topics"), listed("languages"))

    @app.get("/api/audience")
    async def audience(request: Request) -> HTTPResponse:
        with db.session_scope() as session:
            size = broadcasts.audience_size(session, request.args.get("kind", "announcement"), audience_of(request.args))
        return response.json({"size": size})

    @app.post("/api/broadcasts")
    @service_errors()
    async def create(request: Request) -> HTTPResponse:
        body = body_of(request)
        send_at = (
            dt.datetime.fromisoformat(body["send_at"]).astimezone(dt.timezone.utc).replace(tzinfo=None)
            if body.get("send_at")
            else None
        )
        with db.session_scope() as session:
            broadcast = broadcasts.create(
                session,
                kind=str(body.get("kind", "announcement")),
                texts=dict(body.get("texts") or {}),
                audience=audience_of(body),
                media=body.get("media"),
                send_at=send_at,
                created_by=request.ctx.who,
            )
            size = broadcasts.audience_size(session, broadcast.kind, audience_of(body))
            if send_at is None:
                start(broadcast)
            return response.json({"id": broadcast.id, "audience": size, "status": broadcast.status}, status=201)

    @app.get("/api/broadcasts/<broadcast_id:int>")
    @service_errors(not_found="no such broadcast")
    async def progress(request: Request, broadcast_id: int) -> HTTPResponse:
        with db.session_scope() as session:
            state = broadcasts.progress(session, broadcast_id)
        return response.json(
            {
                "id": state.broadcast_id,
                "status": state.status,
                "total": state.total,
                "states": dict(state.states),
                "failures": {str(code): count for code, count in state.failures.items()},
            }
        )

    @app.post("/api/broadcasts/<broadcast_id:int>/cancel")
    @service_errors(not_found="no such broadcast")
    async def cancel(request: Request, broadcast_id: int) -> HTTPResponse:
        with db.session_scope() as session:
            broadcasts.cancel(session, broadcast_id)
        return response.json({"id": broadcast_id, "status": "cancelled"})

    @app.post("/api/applications/<number>/stage")
    @service_errors(not_found="no such application")
    async def application_stage(request: Request, number: str) -> HTTPResponse:
        body = body_of(request)
        expected = dt.date.fromisoformat(body["expected_on"]) if body.get("expected_on") else None
        with db.session_scope() as session:
            broadcast = notifications.application_moved(session, number, str(body.get("stage", "")), expected)
            start(broadcast)
            return response.json({"number": number, "stage": body["stage"], "notification": broadcast.id})

    @app.post("/api/grievances/<tracking_id>/status")
    @service_errors(not_found="no such grievance")
    async def grievance_status(request: Request, tracking_id: str) -> HTTPResponse:
        body = body_of(request)
        with db.session_scope() as session:
            broadcast = notifications.grievance_moved(
                session, tracking_id, str(body.get("status", "")), str(body.get("note", ""))
            )
            start(broadcast)
            return response.json({"tracking_id": tracking_id, "status": body["status"], "notification": broadcast.id})

    def certificate(code: str) -> HTTPResponse:
        with db.session_scope() as session:
            found = documents.verify(session, code)
        return response.json(found) if found else error(404, "no certificate with this code")

    @app.get("/verify/<code>")
    async def verify_public(request: Request, code: str) -> HTTPResponse:
        return certificate(code)

    @app.get("/api/certificates/<code>")
    async def certificate_details(request: Request, code: str) -> HTTPResponse:
        return certificate(code)

    @app.post("/api/polls")
    @service_errors()
    async def create_poll(request: Request) -> HTTPResponse:
        body = body_of(request)
        closes_at = clock.from_local(body["closes_at"]) if body.get("closes_at") else None
        send_at = clock.from_local(body["send_at"]) if body.get("send_at") else None
        with db.session_scope() as session:
            poll = polls.create(
                session,
                question=body.get("question"),
                options=body.get("options"),
                audience=audience_of(body),
                created_by=request.ctx.who,
                closes_at=closes_at,
                allow_comments=bool(body.get("allow_comments", True)),
                send_at=send_at,
            )
            broadcast = session.get(models.Broadcast, poll.broadcast_id)
            if send_at is None:
                start(broadcast)
            size = broadcasts.audience_size(session, "poll", audience_of(body))
            created = {"id": poll.id, "broadcast_id": broadcast.id, "audience": size, "status": poll.status}
            return response.json(created, status=201)

    @app.get("/api/polls/<poll_id:int>/results")
    @service_errors(not_found="no such poll")
    async def poll_results(request: Request, poll_id: int) -> HTTPResponse:
        with db.session_scope() as session:
            return response.json(polls.results(session, poll_id).as_dict())

    @app.get("/api/polls/<poll_id:int>/chart.png")
    @service_errors(not_found="no such poll")
    async def poll_chart(request: Request, poll_id: int) -> HTTPResponse:
        from nagarik.outbound.poll_chart import chart_png

        with db.session_scope() as session:
            results = polls.results(session, poll_id)
        return response.raw(chart_png(results, results.question["en"]), content_type="image/png")

    @app.post("/api/polls/<poll_id:int>/close")
    @service_errors(not_found="no such poll")
    async def close_poll(request: Request, poll_id: int) -> HTTPResponse:
        with db.session_scope() as session:
            poll = polls.close(session, poll_id)
            return response.json({"id": poll.id, "status": poll.status})

    @app.post("/api/citizens/<phone>/dates")
    @service_errors()
    async def add_citizen_date(request: Request, phone: str) -> HTTPResponse:
        body = body_of(request)
        due_on = dt.date.fromisoformat(str(body.get("due_on", "")))
        with db.session_scope() as session:
            row = reminders.add_date(session, phone, str(body.get("kind", "")), due_on, str(body.get("reference") or ""))
            created = {"id": row.id, "phone": row.phone, "kind": row.kind, "due_on": row.due_on.isoformat()}
            return response.json({**created, "reference": row.reference}, status=201)

    @app.get("/api/citizens/<phone>/dates")
    @service_errors()
    async def citizen_dates(request: Request, phone: str) -> HTTPResponse:
        with db.session_scope() as session:
            dates = [
                {
                    "id": row.id,
                    "kind": row.kind,
                    "due_on": row.due_on.isoformat(),
                    "reference": row.reference,
                    "reminders_done": reminders.fired_rules(session, row.id),
                }
                for row in reminders.dates_of(session, phone)
            ]
            opted_out = reminders.opted_out_kinds(session, phone)
        return response.json({"phone": phone, "dates": dates, "opted_out_of": opted_out})

    @app.post("/api/campaigns")
    @service_errors()
    async def create_campaign(request: Request) -> HTTPResponse:
        body = body_of(request)
        if body.get("campaign"):
            if str(body["campaign"]) not in campaigns.available():
                return error(400, f"no campaign file {body['campaign']!r}; there are {', '.join(campaigns.available())}")
            definition = campaigns.load_definition(campaigns.CAMPAIGNS_DIR / f"{body['campaign']}.yml")
        else:
            definition = campaigns.check(body.get("definition"), "definition")
        start_on = dt.date.fromisoformat(str(body.get("start_on", "")))
        with db.session_scope() as session:
            campaign = campaigns.create(session, definition, audience_of(body), start_on, request.ctx.who)
            size = broadcasts.audience_size(session, "campaign", audience_of(body))
            steps = [step.id for step in campaigns.steps_of(session, campaign.id)]
            return response.json({"id": campaign.id, "audience": size, "steps": steps, "status": campaign.status}, status=201)

    @app.get("/api/campaigns/<campaign_id:int>")
    @service_errors(not_found="no such campaign")
    async def campaign_progress(request: Request, campaign_id: int) -> HTTPResponse:
        with db.session_scope() as session:
            campaign, steps = campaigns.progress(session, campaign_id)
        return response.json(
            {
                "id": campaign.id,
                "name": campaign.name,
                "status": campaign.status,
                "audience": campaign.audience,
                "steps": [
                    {
                        "number": step.number,
                        "broadcast_id": step.progress.broadcast_id,
                        "send_at": step.send_at.isoformat() + "Z",
                        "status": step.progress.status,
                        "total": step.progress.total,
                        "states": dict(step.progress.states),
                    }
                    for step in steps
                ],
            }
        )

    @app.post("/api/campaigns/<campaign_id:int>/cancel")
    @service_errors(not_found="no such campaign")
    async def cancel_campaign(request: Request, campaign_id: int) -> HTTPResponse:
        with db.session_scope() as session:
            campaigns.cancel(session, campaign_id)
        return response.json({"id": campaign_id, "status": "cancelled"})

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The officials' JSON API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5200)
    args = parser.parse_args()
    from nagarik.shared import log_privacy

    log_privacy.install()  # nothing personal in its logs
    if not settings.api_tokens():
        raise SystemExit("set NAGARIK_API_TOKENS (token:who,...) first: the API refuses everyone without it")
    create_app().run(host=args.host, port=args.port, workers=1, access_log=False, motd=False)

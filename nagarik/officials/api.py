"""The officials' JSON HTTP API: the same services as the command line, for the console and for
the departments' own systems (status changes arrive here).

    NAGARIK_API_TOKENS="token-of-ward-office:ward-office:broadcast+alert+polls,token-of-revenue:revenue:applications" \\
        .venv/bin/python -m nagarik.officials.api --port 5200

Every request carries `Authorization: Bearer <token>`; each token names who acts (kept with
what they send or change: created_by, a grievance event's changed_by, an application's
updated_by) and the scopes it may use. Tokens come only from the environment. No token, or an
unknown one: 401. A token without the route's scope: 403 naming the scope. A token written the
old way (token:who) has no scopes. Bad input: 400 naming the field (nagarik.outbound.checks).

Scopes, by route:
    broadcast      GET  /api/audience?kind=announcement&wards=jayanagar&topics=water_supply  -> {"size": n}
                   POST /api/broadcasts {"kind": "announcement", "texts": {"en", "hi", "kn"}, "wards", "topics",
                                         "languages", "media": {"type", "link"}, "send_at"}
    alert          the same two with kind "emergency" (an emergency alert overtakes every other send)
    (by kind)      GET  /api/broadcasts/<id>   POST /api/broadcasts/<id>/cancel: the scope that makes that kind
                   (announcement: broadcast, emergency: alert, poll: polls, campaign: campaigns, reminder: dates,
                   notification: applications or grievances, after what it tells)
    applications   POST /api/applications/<number>/stage {"stage", "expected_on"}
    grievances     POST /api/grievances/<tracking_id>/status {"status", "note"}
    certificates   GET  /api/certificates/<code>
    (public)       GET  /verify/<code>  (what a genuine certificate copy shows)
    polls          POST /api/polls {"question": {"en", "hi", "kn"}, "options": [{"key", "names"}], "allow_comments",
                                    "wards", "topics", "languages", "closes_at", "send_at"}
                   GET  /api/polls/<id>/results   GET /api/polls/<id>/chart.png   POST /api/polls/<id>/close
                   GET  /api/audience?kind=poll
    dates          POST /api/citizens/<phone>/dates {"kind", "due_on", "reference"}   GET /api/citizens/<phone>/dates
                   (reminders count back)
    campaigns      POST /api/campaigns {"campaign": "<config/campaigns file name>" or "definition": {"name", "steps"},
                                        "start_on", "wards", "topics", "languages"}
                   GET  /api/campaigns/<id>   POST /api/campaigns/<id>/cancel   GET /api/audience?kind=campaign
Times are ISO; without an offset, IST. Dates are YYYY-MM-DD.
"""

from __future__ import annotations

import argparse
import functools
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

from nagarik import db, settings
from nagarik.citizens import documents
from nagarik.db import models
from nagarik.outbound import broadcasts, campaigns, checks, notifications, polls, reminders
from nagarik.outbound.broadcasts import Audience

# The scope that makes (and so may follow or cancel) each kind of broadcast.
KIND_SCOPES = {"announcement": "broadcast", "emergency": "alert", "poll": "polls", "campaign": "campaigns", "reminder": "dates"}
NOTIFICATION_SCOPES = {"application_update": "applications", "grievance_update": "grievances"}  # by template
AUDIENCE_KINDS = ("announcement", "emergency", "poll", "campaign")
LONGEST_NOTE = 2000


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


def scope_of_broadcast(broadcast: models.Broadcast) -> str | None:
    if broadcast.kind == "notification":
        return NOTIFICATION_SCOPES.get(broadcast.template)
    return KIND_SCOPES.get(broadcast.kind)


def scope_of_stored(request: Request) -> str | None:
    """GET or cancel a broadcast: the scope of its kind (a broadcast token cannot cancel an alert)."""
    with db.session_scope() as session:
        broadcast = session.get(models.Broadcast, request.match_info["broadcast_id"])
        return scope_of_broadcast(broadcast) if broadcast else None


def scope_of_new(request: Request) -> str | None:
    """A new broadcast: "alert" for an emergency, else "broadcast" (a kind it cannot send: the handler says 400)."""
    kind = body_of(request).get("kind", "announcement")
    return KIND_SCOPES.get(kind) if kind in broadcasts.DIRECT_KINDS else None


def scope_of_audience(request: Request) -> str | None:
    return KIND_SCOPES.get(request.args.get("kind", "announcement"))


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
        """Who (401 if nobody known), then whether the route's scope is theirs (403 naming it). A route's
        ctx.scope is a scope, or a function of the request that says it (None: the handler answers 400 or 404)."""
        route = request.route
        if route is not None and getattr(route.ctx, "public", False):  # a bank or employer checks a certificate copy
            return None
        header = request.headers.get("authorization", "")
        given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        holder = next((held for token, held in tokens.items() if given and hmac.compare_digest(token, given)), None)
        if holder is None:
            return error(401, "a valid bearer token is required")
        request.ctx.who = holder.who
        if route is None:
            return None  # no such route: 404
        if not hasattr(route.ctx, "scope"):  # a route added without one is closed, not open to every token
            return error(403, "this route has no scope: nobody may use it")
        scope = route.ctx.scope(request) if callable(route.ctx.scope) else route.ctx.scope
        if scope is not None and scope not in holder.scopes:
            have = "+".join(sorted(holder.scopes)) or "none"
            return error(403, f"this token ({holder.who}) lacks the {scope!r} scope (it has: {have})")
        return None

    @app.get("/api/audience", ctx_scope=scope_of_audience)
    @service_errors()
    async def audience(request: Request) -> HTTPResponse:
        kind = checks.choice(request.args.get("kind"), "kind", AUDIENCE_KINDS, "announcement")
        chosen = Audience.from_request(request.args)
        with db.session_scope() as session:
            size = broadcasts.audience_size(session, kind, chosen)
        return response.json({"size": size})

    @app.post("/api/broadcasts", ctx_scope=scope_of_new)
    @service_errors()
    async def create(request: Request) -> HTTPResponse:
        body = body_of(request)
        kind = checks.choice(body.get("kind"), "kind", broadcasts.DIRECT_KINDS, "announcement")
        send_at = checks.moment(body.get("send_at"), "send_at")
        chosen = Audience.from_request(body)
        with db.session_scope() as session:
            broadcast = broadcasts.create(
                session,
                kind=kind,
                texts=body.get("texts"),
                audience=chosen,
                media=body.get("media"),
                send_at=send_at,
                created_by=request.ctx.who,
            )
            size = broadcasts.audience_size(session, broadcast.kind, chosen)
            if send_at is None:
                start(broadcast)
            return response.json({"id": broadcast.id, "audience": size, "status": broadcast.status}, status=201)

    @app.get("/api/broadcasts/<broadcast_id:int>", ctx_scope=scope_of_stored)
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
                **({"reason": state.reason} if state.reason else {}),
            }
        )

    @app.post("/api/broadcasts/<broadcast_id:int>/cancel", ctx_scope=scope_of_stored)
    @service_errors(not_found="no such broadcast")
    async def cancel(request: Request, broadcast_id: int) -> HTTPResponse:
        with db.session_scope() as session:
            broadcasts.cancel(session, broadcast_id)
        return response.json({"id": broadcast_id, "status": "cancelled"})

    @app.post("/api/applications/<number>/stage", ctx_scope="applications")
    @service_errors(not_found="no such application")
    async def application_stage(request: Request, number: str) -> HTTPResponse:
        body = body_of(request)
        stage = checks.text(body.get("stage"), "stage", 64)
        expected = checks.day(body.get("expected_on"), "expected_on", required=False)
        with db.session_scope() as session:
            broadcast = notifications.application_moved(session, number, stage, expected, by=request.ctx.who)
            start(broadcast)
            return response.json({"number": number, "stage": stage, "notification": broadcast.id})

    @app.post("/api/grievances/<tracking_id>/status", ctx_scope="grievances")
    @service_errors(not_found="no such grievance")
    async def grievance_status(request: Request, tracking_id: str) -> HTTPResponse:
        body = body_of(request)
        status = checks.text(body.get("status"), "status", 16)
        note = checks.text(body.get("note"), "note", LONGEST_NOTE)
        with db.session_scope() as session:
            broadcast = notifications.grievance_moved(session, tracking_id, status, note, by=request.ctx.who)
            start(broadcast)
            return response.json({"tracking_id": tracking_id, "status": status, "notification": broadcast.id})

    def certificate(code: str) -> HTTPResponse:
        with db.session_scope() as session:
            found = documents.verify(session, code)
        return response.json(found) if found else error(404, "no certificate with this code")

    @app.get("/verify/<code>", ctx_public=True)
    async def verify_public(request: Request, code: str) -> HTTPResponse:
        return certificate(code)

    @app.get("/api/certificates/<code>", ctx_scope="certificates")
    async def certificate_details(request: Request, code: str) -> HTTPResponse:
        return certificate(code)

    @app.post("/api/polls", ctx_scope="polls")
    @service_errors()
    async def create_poll(request: Request) -> HTTPResponse:
        body = body_of(request)
        closes_at = checks.moment(body.get("closes_at"), "closes_at")
        send_at = checks.moment(body.get("send_at"), "send_at")
        allow_comments = checks.flag(body.get("allow_comments"), "allow_comments", default=True)
        chosen = Audience.from_request(body)
        with db.session_scope() as session:
            poll = polls.create(
                session,
                question=body.get("question"),
                options=body.get("options"),
                audience=chosen,
                created_by=request.ctx.who,
                closes_at=closes_at,
                allow_comments=allow_comments,
                send_at=send_at,
            )
            broadcast = session.get(models.Broadcast, poll.broadcast_id)
            if send_at is None:
                start(broadcast)
            size = broadcasts.audience_size(session, "poll", chosen)
            created = {"id": poll.id, "broadcast_id": broadcast.id, "audience": size, "status": poll.status}
            return response.json(created, status=201)

    @app.get("/api/polls/<poll_id:int>/results", ctx_scope="polls")
    @service_errors(not_found="no such poll")
    async def poll_results(request: Request, poll_id: int) -> HTTPResponse:
        with db.session_scope() as session:
            return response.json(polls.results(session, poll_id).as_dict())

    @app.get("/api/polls/<poll_id:int>/chart.png", ctx_scope="polls")
    @service_errors(not_found="no such poll")
    async def poll_chart(request: Request, poll_id: int) -> HTTPResponse:
        from nagarik.outbound.poll_chart import chart_png

        with db.session_scope() as session:
            results = polls.results(session, poll_id)
        return response.raw(chart_png(results, results.question["en"]), content_type="image/png")

    @app.post("/api/polls/<poll_id:int>/close", ctx_scope="polls")
    @service_errors(not_found="no such poll")
    async def close_poll(request: Request, poll_id: int) -> HTTPResponse:
        with db.session_scope() as session:
            poll = polls.close(session, poll_id)
            return response.json({"id": poll.id, "status": poll.status})

    @app.post("/api/citizens/<phone>/dates", ctx_scope="dates")
    @service_errors()
    async def add_citizen_date(request: Request, phone: str) -> HTTPResponse:
        body = body_of(request)
        kind = checks.text(body.get("kind"), "kind", 32)
        due_on = checks.day(body.get("due_on"), "due_on")
        reference = checks.text(body.get("reference"), "reference", 64)
        with db.session_scope() as session:
            row = reminders.add_date(session, phone, kind, due_on, reference)
            created = {"id": row.id, "phone": row.phone, "kind": row.kind, "due_on": row.due_on.isoformat()}
            return response.json({**created, "reference": row.reference}, status=201)

    @app.get("/api/citizens/<phone>/dates", ctx_scope="dates")
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

    @app.post("/api/campaigns", ctx_scope="campaigns")
    @service_errors()
    async def create_campaign(request: Request) -> HTTPResponse:
        body = body_of(request)
        if body.get("campaign") is not None:
            name = body["campaign"]
            if not isinstance(name, str) or name not in campaigns.available():
                return error(400, f"campaign: no campaign file {name!r}; there are {', '.join(campaigns.available())}")
            definition = campaigns.load_definition(campaigns.CAMPAIGNS_DIR / f"{name}.yml")
        else:
            definition = campaigns.check(body.get("definition"), "definition")
        start_on = checks.day(body.get("start_on"), "start_on")
        chosen = Audience.from_request(body)
        with db.session_scope() as session:
            campaign = campaigns.create(session, definition, chosen, start_on, request.ctx.who)
            size = broadcasts.audience_size(session, "campaign", chosen)
            steps = [step.id for step in campaigns.steps_of(session, campaign.id)]
            return response.json({"id": campaign.id, "audience": size, "steps": steps, "status": campaign.status}, status=201)

    @app.get("/api/campaigns/<campaign_id:int>", ctx_scope="campaigns")
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

    @app.post("/api/campaigns/<campaign_id:int>/cancel", ctx_scope="campaigns")
    @service_errors(not_found="no such campaign")
    async def cancel_campaign(request: Request, campaign_id: int) -> HTTPResponse:
        with db.session_scope() as session:
            campaigns.cancel(session, campaign_id)
        return response.json({"id": campaign_id, "status": "cancelled"})

    unguarded = [route.uri for route in app.router.routes if not hasattr(route.ctx, "scope") and not hasattr(route.ctx, "public")]
    if unguarded:  # every route says its scope (or that it is public): none is open to any token by oversight
        raise RuntimeError(f"routes without a scope: {', '.join(unguarded)}")
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="The officials' JSON API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5200)
    args = parser.parse_args()
    from nagarik.shared import log_privacy

    log_privacy.install()  # nothing personal in its logs
    try:
        tokens = settings.api_tokens()
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    if not tokens:
        raise SystemExit("set NAGARIK_API_TOKENS (token:who:scope+scope,...) first: the API refuses everyone without it")
    for held in tokens.values():
        if not held.scopes:
            print(f"note: the token of {held.who} has no scopes (token:who); it is refused everywhere until it lists them")
    create_app().run(host=args.host, port=args.port, workers=1, access_log=False, motd=False)


if __name__ == "__main__":
    main()

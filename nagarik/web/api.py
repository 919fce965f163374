"""The officials' JSON HTTP API: the same services as the command line, for the console and for
the departments' own systems (status changes arrive here). Part of the web app (nagarik.web.app):

    NAGARIK_API_TOKENS="token-of-ward-office:ward-office:broadcast+alert+polls,token-of-revenue:revenue:applications" \\
        .venv/bin/python -m nagarik.web --port 5200

Every request carries `Authorization: Bearer <token>`; each token names who acts (kept with
what they send or change: created_by, a grievance event's changed_by, an application's
updated_by) and the scopes it may use. Tokens come only from the environment. No token, or an
unknown one: 401, before anything else (an unknown path under /api included). A token without
the route's scope: 403 naming the scope. A token written the old way (token:who) has no scopes.
Bad input: 400 naming the field (nagarik.outbound.checks). The OpenAPI description is at
/api/openapi.json (no token needed; the proxy does not forward /api/).

Scopes, by route:
    broadcast      GET  /api/audience?kind=announcement&wards=jayanagar&topics=water_supply  -> {"size": n}
                   POST /api/broadcasts {"kind": "announcement", "texts": {"en", "hi", "kn"}, "wards", "topics",
                                         "languages", "media": {"type", "link"}, "send_at"}
    alert          the same two with kind "emergency" (an emergency alert overtakes every other send)
    (by kind)      GET  /api/broadcasts/<id>   POST /api/broadcasts/<id>/cancel: the scope that makes that kind
                   (announcement: broadcast, emergency: alert, poll: polls, campaign: campaigns, reminder: dates,
                   notification: applications or grievances, after what it tells)
    applications   POST /api/applications/<number>/stage {"stage", "expected_on"}
    grievances     POST /api/grievances/<tracking_id>/status {"status", "note", "photo"}
                   POST /api/grievances/<tracking_id>/transitions {"to", "remark", "photo"}  (the same, in the lifecycle's words;
                   "photo" {"type": "image", "link"} with a resolution only)
                   GET  /api/grievances/<tracking_id>/transitions  -> the state and where it may go next
                   (a move the lifecycle does not allow: 409 {"error", "current", "target", "allowed"})
    grievance_appeals  POST /api/grievances/<tracking_id>/appeal-decision {"decision"}  (the appellate authority)
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

Every route of `router` declares its scope with `dependencies=[needs(...)]`: a scope, or a
dependency that works it out from the request. A route without one is refused to every token,
and `install` will not build an app that has one.
"""

# No `from __future__ import annotations`: FastAPI reads the annotations, a closure's (needs) included.
import hmac
import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Depends, FastAPI, Query, Request, params
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from nagarik import db, settings
from nagarik.citizens import documents, grievance_lifecycle, grievances, me_too
from nagarik.citizens.grievance_lifecycle import IllegalTransition
from nagarik.db import models
from nagarik.outbound import broadcasts, campaigns, checks, notifications, polls, reminders
from nagarik.outbound.broadcasts import Audience
from nagarik.web import bodies

# The scope that makes (and so may follow or cancel) each kind of broadcast.
KIND_SCOPES = {"announcement": "broadcast", "emergency": "alert", "poll": "polls", "campaign": "campaigns", "reminder": "dates"}
NOTIFICATION_SCOPES = {  # by template
    "application_update": "applications", "grievance_update": "grievances", "grievance_resolved": "grievances",
}  # fmt: skip
AUDIENCE_KINDS = ("announcement", "emergency", "poll", "campaign")
LONGEST_NOTE = 2000
UNKNOWN_PATH = "/api/{path:path}"

Enqueue = Callable[[int, int], Any]  # (broadcast_id, priority): starts a broadcast
StartBroadcast = Callable[[models.Broadcast], None]
ScopeRule = str | Callable[..., str | None] | None  # None: any known token


class ApiError(Exception):
    """An answer of the API's own: {"error": message} with `status`."""

    def __init__(self, status: int, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail or {}


async def answer_api_error(request: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse({"error": exc.message, **exc.detail}, status_code=exc.status)


def refused_transition(exc: IllegalTransition) -> ApiError:
    """409: the grievance is not in a state that may move there (a conflict with its state, not bad input)."""
    allowed = grievance_lifecycle.allowed_targets(exc.current, exc.actor) if exc.actor else ()
    return ApiError(409, str(exc), {"current": exc.current, "target": exc.target, "allowed": list(allowed)})


class ServiceRoute(APIRoute):
    """A route whose services say what went wrong by raising: ValueError or TypeError (bad input) -> 400
    with the service's own message; KeyError (no such row) -> 404 with the route's documented 404
    description (so the OpenAPI says exactly what the answer will), or a 500 if it documents none."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        not_found = self.responses.get(404, {}).get("description")

        async def answer(request: Request) -> Response:
            try:
                return await handle(request)
            except KeyError:
                if not_found is None:
                    raise
                raise ApiError(404, not_found) from None
            except IllegalTransition as exc:
                raise refused_transition(exc) from None
            except (ValueError, TypeError) as exc:
                raise ApiError(400, str(exc)) from None

        return answer


def missing(message: str) -> dict[int | str, dict[str, Any]]:
    """A route's `responses` for its 404: also the message it answers with (ServiceRoute)."""
    return {404: {"model": bodies.Error, "description": message}}


# --- who asks, and whether the route is theirs ------------------------------------------------------

bearer = HTTPBearer(auto_error=False, description="a token from NAGARIK_API_TOKENS (token:who:scope+scope)")
REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"model": bodies.Error, "description": "bad input, naming the field"},
    401: {"model": bodies.Error, "description": "no token, or an unknown one"},
    403: {"model": bodies.Error, "description": "the token lacks the route's scope (named)"},
}


def declares_scope(route: Any) -> bool:
    return isinstance(route, APIRoute) and any(hasattr(depends.dependency, "scope_rule") for depends in route.dependencies)


async def authenticate(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> settings.ApiToken:
    """Who asks (401 if nobody known); a route added without a scope is closed to every token, not open to all."""
    given = credentials.credentials.encode() if credentials else b""
    tokens: dict[str, settings.ApiToken] = request.app.state.api_tokens
    holder = next((held for token, held in tokens.items() if given and hmac.compare_digest(token.encode(), given)), None)
    if holder is None:
        raise ApiError(401, "a valid bearer token is required")
    if not declares_scope(request.scope.get("route")):
        raise ApiError(403, "this route has no scope: nobody may use it")
    return holder


Token = Annotated[settings.ApiToken, Depends(authenticate)]


def needs(rule: ScopeRule) -> params.Depends:
    """A route's scope, for its `dependencies`: a scope; or a dependency that says it (FastAPI gives it the
    path, the query or the body), which says None when no scope applies (the handler then answers 400 or
    404); or None: any known token."""
    resolve: Callable[..., str | None] = rule if callable(rule) else lambda: rule

    async def check(token: Token, scope: Annotated[str | None, Depends(resolve)]) -> None:
        if scope is not None and scope not in token.scopes:
            have = "+".join(sorted(token.scopes)) or "none"
            raise ApiError(403, f"this token ({token.who}) lacks the {scope!r} scope (it has: {have})")

    check.scope_rule = rule  # what declares_scope looks for
    return Depends(check)


async def json_object(request: Request) -> dict[str, Any]:
    """The request's JSON object, or {} for any other JSON or none (the services then say what is missing).
    Read here, after the token and scope checks, so a stranger's malformed body is a 401 like any other."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:  # UnicodeDecodeError included
        raise ApiError(400, "body: not valid JSON") from None
    return value if isinstance(value, dict) else {}


JsonObject = Annotated[dict[str, Any], Depends(json_object)]


async def broadcast_starter(request: Request) -> StartBroadcast:
    return request.app.state.start_broadcast


Start = Annotated[StartBroadcast, Depends(broadcast_starter)]


# --- the scopes that depend on the request ---------------------------------------------------------


def scope_of_broadcast(broadcast: models.Broadcast) -> str | None:
    if broadcast.kind == "notification":
        return NOTIFICATION_SCOPES.get(broadcast.template)
    return KIND_SCOPES.get(broadcast.kind)


def scope_of_stored(broadcast_id: int) -> str | None:
    """GET or cancel a broadcast: the scope of its kind (a broadcast token cannot cancel an alert)."""
    with db.session_scope() as session:
        broadcast = session.get(models.Broadcast, broadcast_id)
        return scope_of_broadcast(broadcast) if broadcast else None


async def scope_of_new(body: JsonObject) -> str | None:
    """A new broadcast: "alert" for an emergency, else "broadcast" (a kind it cannot send: the handler says 400).
    A null kind is an announcement, as checks.choice reads it."""
    kind = body.get("kind")
    kind = "announcement" if kind is None else kind
    return KIND_SCOPES.get(kind) if kind in broadcasts.DIRECT_KINDS else None


KindQuery = Annotated[str | None, Query(description=f"{', '.join(AUDIENCE_KINDS)} (default announcement)")]


async def scope_of_audience(kind: KindQuery = None) -> str | None:
    return KIND_SCOPES.get(kind or "announcement")


# --- the routes -------------------------------------------------------------------------------------

router = APIRouter(route_class=ServiceRoute, dependencies=[Depends(authenticate)], responses=REFUSALS)
public = APIRouter(route_class=ServiceRoute)  # no token: what anyone holding a certificate copy may check
ListQuery = Annotated[str | None, Query(description="comma-separated keys")]


@router.get("/api/audience", summary="How many citizens a broadcast would reach", dependencies=[needs(scope_of_audience)])
def audience(
    kind: KindQuery = None, wards: ListQuery = None, topics: ListQuery = None, languages: ListQuery = None
) -> dict[str, int]:
    kind = checks.choice(kind or None, "kind", AUDIENCE_KINDS, "announcement")
    chosen = Audience.from_request({"wards": wards, "topics": topics, "languages": languages})
    with db.session_scope() as session:
        return {"size": broadcasts.audience_size(session, kind, chosen)}


@router.post(
    "/api/broadcasts",
    summary="Send or schedule an announcement or an emergency alert",
    status_code=201,
    dependencies=[needs(scope_of_new)],
    openapi_extra=bodies.request_body(bodies.NewBroadcast),
)
def create(body: JsonObject, token: Token, start: Start) -> dict[str, Any]:
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
            created_by=token.who,
        )
        size = broadcasts.audience_size(session, broadcast.kind, chosen)
        if send_at is None:
            start(broadcast)
        return {"id": broadcast.id, "audience": size, "status": broadcast.status}


@router.get(
    "/api/broadcasts/{broadcast_id:int}",
    summary="A broadcast's progress",
    dependencies=[needs(scope_of_stored)],
    responses=missing("no such broadcast"),
)
def progress(broadcast_id: int) -> dict[str, Any]:
    with db.session_scope() as session:
        state = broadcasts.progress(session, broadcast_id)
    return {
        "id": state.broadcast_id,
        "status": state.status,
        "total": state.total,
        "states": dict(state.states),
        "failures": {str(code): count for code, count in state.failures.items()},
        **({"reason": state.reason} if state.reason else {}),
    }


@router.post(
    "/api/broadcasts/{broadcast_id:int}/cancel",
    summary="Cancel a broadcast's unsent copies",
    dependencies=[needs(scope_of_stored)],
    responses=missing("no such broadcast"),
)
def cancel(broadcast_id: int) -> dict[str, Any]:
    with db.session_scope() as session:
        broadcasts.cancel(session, broadcast_id)
    return {"id": broadcast_id, "status": "cancelled"}


@router.post(
    "/api/applications/{number}/stage",
    summary="Move an application to a stage (the citizen is told)",
    dependencies=[needs("applications")],
    responses=missing("no such application"),
    openapi_extra=bodies.request_body(bodies.StageChange),
)
def application_stage(number: str, body: JsonObject, token: Token, start: Start) -> dict[str, Any]:
    stage = checks.text(body.get("stage"), "stage", 64)
    expected = checks.day(body.get("expected_on"), "expected_on", required=False)
    with db.session_scope() as session:
        broadcast = notifications.application_moved(session, number, stage, expected, by=token.who)
        start(broadcast)
        return {"number": number, "stage": stage, "notification": broadcast.id}


@router.post(
    "/api/grievances/{tracking_id}/status",
    summary="Change a grievance's status (the citizen is told)",
    dependencies=[needs("grievances")],
    responses=missing("no such grievance"),
    openapi_extra=bodies.request_body(bodies.StatusChange),
)
def grievance_status(tracking_id: str, body: JsonObject, token: Token, start: Start) -> dict[str, Any]:
    status = checks.text(body.get("status"), "status", 16)
    note = checks.text(body.get("note"), "note", LONGEST_NOTE)
    photo = resolution_photo(body, status)
    with db.session_scope() as session:
        broadcast = notifications.grievance_moved(session, tracking_id, status, note, by=token.who, photo=photo)
        start(broadcast)
        return {"tracking_id": tracking_id, "status": status, "notification": broadcast.id}


def resolution_photo(body: JsonObject, status: str) -> dict[str, str] | None:
    """The officer's photo of the repair: {"type": "image", "link": "https://..."}, with a resolution only."""
    photo = checks.media(body.get("photo"), "photo")
    if photo is None:
        return None
    if photo["type"] != "image":
        raise ApiError(400, "photo.type: must be image")
    if status != "resolved":
        raise ApiError(400, "photo: only a resolution carries a photo")
    return photo


def _grievance(session: Any, tracking_id: str) -> models.Grievance:
    grievance = grievances.grievance_by_tracking_id(session, tracking_id)
    if grievance is None:
        raise KeyError(tracking_id)
    return grievance


@router.get(
    "/api/grievances/{tracking_id}/transitions",
    summary="A grievance's state and the states an official may move it to",
    dependencies=[needs("grievances")],
    responses=missing("no such grievance"),
)
def grievance_transitions(tracking_id: str) -> dict[str, Any]:
    with db.session_scope() as session:
        grievance = _grievance(session, tracking_id)
        return {
            "tracking_id": tracking_id, "status": grievance.status,
            "allowed": list(grievance_lifecycle.allowed_targets(grievance.status, "official")),
            "transfer_count": grievance.transfer_count, "rating": grievance.rating,
            "reported_by": me_too.reporter_count(grievance),  # the filer and the citizens who joined ("me too")
        }  # fmt: skip


@router.post(
    "/api/grievances/{tracking_id}/transitions",
    summary="Move a grievance along its lifecycle (the citizen is told); 409 if it may not go there",
    dependencies=[needs("grievances")],
    responses={**missing("no such grievance"), 409: {"model": bodies.Error, "description": "not allowed from its state"}},
    openapi_extra=bodies.request_body(bodies.Transition),
)
def grievance_transition(tracking_id: str, body: JsonObject, token: Token, start: Start) -> dict[str, Any]:
    target = checks.text(body.get("to"), "to", 16)
    if not target:
        raise ApiError(400, f"to: expected one of {', '.join(grievance_lifecycle.STATES)}")
    remark = checks.text(body.get("remark"), "remark", LONGEST_NOTE)
    photo = resolution_photo(body, target)
    with db.session_scope() as session:
        broadcast = notifications.grievance_moved(
            session, tracking_id, target, remark, by=token.who, actor="official", photo=photo
        )
        start(broadcast)
        return {"tracking_id": tracking_id, "status": target, "notification": broadcast.id}


@router.post(
    "/api/grievances/{tracking_id}/appeal-decision",
    summary="Decide a citizen's appeal (the citizen is told); 409 if it is not appealed",
    dependencies=[needs("grievance_appeals")],
    responses={**missing("no such grievance"), 409: {"model": bodies.Error, "description": "not an appeal waiting"}},
    openapi_extra=bodies.request_body(bodies.AppealDecision),
)
def grievance_appeal_decision(tracking_id: str, body: JsonObject, token: Token, start: Start) -> dict[str, Any]:
    decision = checks.text(body.get("decision"), "decision", LONGEST_NOTE)
    if not decision.strip():
        raise ApiError(400, "decision: expected the decision's text")
    with db.session_scope() as session:
        broadcast = notifications.grievance_moved(
            session, tracking_id, "appeal_decided", decision, by=token.who, actor="appellate"
        )
        start(broadcast)
        return {"tracking_id": tracking_id, "status": "appeal_decided", "notification": broadcast.id}


NO_CERTIFICATE = "no certificate with this code"


def certificate(code: str) -> dict[str, Any]:
    with db.session_scope() as session:
        found = documents.verify(session, code)
    if not found:
        raise ApiError(404, NO_CERTIFICATE)
    return found


@public.get("/verify/{code}", summary="What a genuine certificate copy shows (public)", responses=missing(NO_CERTIFICATE))
def verify_public(code: str) -> dict[str, Any]:
    return certificate(code)


@router.get(
    "/api/certificates/{code}",
    summary="A certificate's details",
    dependencies=[needs("certificates")],
    responses=missing(NO_CERTIFICATE),
)
def certificate_details(code: str) -> dict[str, Any]:
    return certificate(code)


@router.post(
    "/api/polls",
    summary="Send or schedule a poll",
    status_code=201,
    dependencies=[needs("polls")],
    openapi_extra=bodies.request_body(bodies.NewPoll),
)
def create_poll(body: JsonObject, token: Token, start: Start) -> dict[str, Any]:
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
            created_by=token.who,
            closes_at=closes_at,
            allow_comments=allow_comments,
            send_at=send_at,
        )
        broadcast = session.get(models.Broadcast, poll.broadcast_id)
        if send_at is None:
            start(broadcast)
        size = broadcasts.audience_size(session, "poll", chosen)
        return {"id": poll.id, "broadcast_id": broadcast.id, "audience": size, "status": poll.status}


@router.get(
    "/api/polls/{poll_id:int}/results",
    summary="A poll's answers so far",
    dependencies=[needs("polls")],
    responses=missing("no such poll"),
)
def poll_results(poll_id: int) -> dict[str, Any]:
    with db.session_scope() as session:
        return polls.results(session, poll_id).as_dict()


@router.get(
    "/api/polls/{poll_id:int}/chart.png",
    summary="A poll's answers as a bar chart",
    dependencies=[needs("polls")],
    response_class=Response,
    responses={**missing("no such poll"), 200: {"content": {"image/png": {}}, "description": "a PNG image"}},
)
def poll_chart(poll_id: int) -> Response:
    from nagarik.outbound.poll_chart import chart_png  # matplotlib: loaded only when a chart is asked for

    with db.session_scope() as session:
        results = polls.results(session, poll_id)
    return Response(chart_png(results, results.question["en"]), media_type="image/png")


@router.post(
    "/api/polls/{poll_id:int}/close",
    summary="Close a poll",
    dependencies=[needs("polls")],
    responses=missing("no such poll"),
)
def close_poll(poll_id: int) -> dict[str, Any]:
    with db.session_scope() as session:
        poll = polls.close(session, poll_id)
        return {"id": poll.id, "status": poll.status}


@router.post(
    "/api/citizens/{phone}/dates",
    summary="Add a date a citizen is reminded of",
    status_code=201,
    dependencies=[needs("dates")],
    openapi_extra=bodies.request_body(bodies.NewCitizenDate),
)
def add_citizen_date(phone: str, body: JsonObject) -> dict[str, Any]:
    kind = checks.text(body.get("kind"), "kind", 32)
    due_on = checks.day(body.get("due_on"), "due_on")
    reference = checks.text(body.get("reference"), "reference", 64)
    with db.session_scope() as session:
        row = reminders.add_date(session, phone, kind, due_on, reference)
        return {"id": row.id, "phone": row.phone, "kind": row.kind, "due_on": row.due_on.isoformat(), "reference": row.reference}


@router.get("/api/citizens/{phone}/dates", summary="A citizen's dates and the reminders sent", dependencies=[needs("dates")])
def citizen_dates(phone: str) -> dict[str, Any]:
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
    return {"phone": phone, "dates": dates, "opted_out_of": opted_out}


def campaign_definition(body: dict[str, Any]) -> dict[str, Any]:
    """A campaign file named by "campaign", else the "definition" given."""
    if body.get("campaign") is None:
        return campaigns.check(body.get("definition"), "definition")
    name = body["campaign"]
    if not isinstance(name, str) or name not in campaigns.available():
        raise ApiError(400, f"campaign: no campaign file {name!r}; there are {', '.join(campaigns.available())}")
    return campaigns.load_definition(campaigns.CAMPAIGNS_DIR / f"{name}.yml")


@router.post(
    "/api/campaigns",
    summary="Start a campaign of timed messages",
    status_code=201,
    dependencies=[needs("campaigns")],
    openapi_extra=bodies.request_body(bodies.NewCampaign),
)
def create_campaign(body: JsonObject, token: Token) -> dict[str, Any]:
    definition = campaign_definition(body)
    start_on = checks.day(body.get("start_on"), "start_on")
    chosen = Audience.from_request(body)
    with db.session_scope() as session:
        campaign = campaigns.create(session, definition, chosen, start_on, token.who)
        size = broadcasts.audience_size(session, "campaign", chosen)
        steps = [step.id for step in campaigns.steps_of(session, campaign.id)]
        return {"id": campaign.id, "audience": size, "steps": steps, "status": campaign.status}


@router.get(
    "/api/campaigns/{campaign_id:int}",
    summary="A campaign's progress, step by step",
    dependencies=[needs("campaigns")],
    responses=missing("no such campaign"),
)
def campaign_progress(campaign_id: int) -> dict[str, Any]:
    with db.session_scope() as session:
        campaign, steps = campaigns.progress(session, campaign_id)
    return {
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


@router.post(
    "/api/campaigns/{campaign_id:int}/cancel",
    summary="Cancel a campaign's unsent steps",
    dependencies=[needs("campaigns")],
    responses=missing("no such campaign"),
)
def cancel_campaign(campaign_id: int) -> dict[str, Any]:
    with db.session_scope() as session:
        campaigns.cancel(session, campaign_id)
    return {"id": campaign_id, "status": "cancelled"}


# Last: any other path under /api, for a known token (a stranger has had the 401 already).
@router.api_route(
    UNKNOWN_PATH,
    methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
    response_model=None,
    dependencies=[needs(None)],
)
def unknown_path(request: Request) -> NoReturn:
    allowed = methods_at(request.url.path)
    if allowed:
        raise ApiError(405, f"{request.method} is not allowed here; use {', '.join(sorted(allowed))}")
    raise ApiError(404, "no such route")


def methods_at(path: str) -> set[str]:
    """The methods the API's routes (this one aside) answer at `path`."""
    routes = [route for route in router.routes if isinstance(route, APIRoute) and route.path != UNKNOWN_PATH]
    return {method for route in routes if route.path_regex.match(path) for method in route.methods}


# --- into the app -----------------------------------------------------------------------------------


def starting_with(enqueue: Enqueue | None) -> StartBroadcast:
    """`enqueue(broadcast_id, priority)` starts a broadcast; by default the Huey queue's task."""

    def start(broadcast: models.Broadcast) -> None:
        if enqueue is not None:
            enqueue(broadcast.id, broadcast.priority)
            return
        from nagarik.outbound.queue import start_broadcast  # the queue's connection: only in a serving process

        start_broadcast(broadcast.id, priority=broadcast.priority)

    return start


def with_body_schemas(openapi: Callable[[], dict[str, Any]], schemas: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    """The app's OpenAPI with the request bodies' schemas, which the routes name but FastAPI never sees
    (the routes read their bodies themselves: see json_object)."""

    def described() -> dict[str, Any]:
        schema = openapi()
        schema.setdefault("components", {}).setdefault("schemas", {}).update(schemas)
        for path, operations in schema["paths"].items():
            for operation in operations.values() if path.startswith(("/api/", "/verify/")) else ():
                operation["responses"].pop("422", None)  # FastAPI's own validation never refuses here: checks does
        return schema

    return described


def install(app: FastAPI, enqueue: Enqueue | None = None) -> None:
    """Adds the API to `app`: refuses to if a route of `router` declares no scope (none is open to any
    token by oversight). The tokens are read now, once (a wrong NAGARIK_API_TOKENS raises ValueError)."""
    unscoped = [getattr(route, "path", repr(route)) for route in router.routes if not declares_scope(route)]
    if unscoped:
        raise RuntimeError(f"routes without a scope: {', '.join(unscoped)}")
    app.state.api_tokens = settings.api_tokens()
    app.state.start_broadcast = starting_with(enqueue)
    app.add_exception_handler(ApiError, answer_api_error)
    app.include_router(public)
    app.include_router(router)
    app.openapi = with_body_schemas(app.openapi, bodies.components())

"""Open311 GeoReport v2 over HTTP, under /open311/v2/ (the service: nagarik.open311.requests; the
formats: nagarik.open311.formats). Every path ends in .json or .xml, the format of the answer, errors
included (`errors`, with the HTTP status as each error's code).

    GET  services.{fmt}                 the grievance categories
    GET  services/{code}.{fmt}          a service's attributes (the ward)
    POST requests.{fmt}                 form-encoded; api_key with the `open311` scope (NAGARIK_API_TOKENS)
    GET  requests.{fmt}                 service_request_id, service_code, start_date, end_date, status
    GET  requests/{id}.{fmt}            one request
    GET  tokens/{token}.{fmt}           a request's id for its token (requests are answered at once)

The GETs need no key (the spec lets them be public; they show no personal data) and are limited per
client address. The API has no rate limiter of its own (its callers all hold tokens), so this one is
small and in-process: it guards a public door against one client's flood, which a per-process count
does well enough; the console's login throttle is in the database because failed logins must be
counted across processes, which reads need not be.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections import deque
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from nagarik import db, settings
from nagarik.catalog.store import current_catalog
from nagarik.open311 import formats, requests
from nagarik.open311.formats import Open311Error
from nagarik.shared import clock

PREFIX = "/open311/v2"
SCOPE = "open311"
READS_PER_MINUTE = 120  # per client address, per process
TRACKED_ADDRESSES = 10_000  # beyond this, the quietest are forgotten (memory stays bounded)


class Limiter:
    """At most `per_minute` reads per client address in any sliding minute (clock.utcnow, so a test
    freezes it)."""

    def __init__(self, per_minute: int = READS_PER_MINUTE) -> None:
        self.per_minute = per_minute
        self.seen: dict[str, deque[dt.datetime]] = {}

    def allow(self, address: str) -> bool:
        now = clock.utcnow()
        recent = self.seen.setdefault(address, deque())
        while recent and recent[0] <= now - dt.timedelta(minutes=1):
            recent.popleft()
        if len(recent) >= self.per_minute:
            return False
        recent.append(now)
        if len(self.seen) > TRACKED_ADDRESSES:
            for stale in [key for key, times in self.seen.items() if not times or times[-1] <= now - dt.timedelta(minutes=1)]:
                del self.seen[stale]
        return True


router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _format(fmt: str) -> str:
    return fmt if fmt in formats.FORMATS else "json"


def _answer(fmt: str, build: Callable[[str], bytes], status: int = 200) -> Response:
    """`build(fmt)`'s bytes, or the GeoReport errors it raised, in the request's format."""
    chosen = _format(fmt)
    try:
        if fmt not in formats.FORMATS:
            raise Open311Error(404, "the path must end in .json or .xml")
        return Response(build(chosen), status_code=status, media_type=formats.MEDIA_TYPES[chosen])
    except Open311Error as error:
        headers = {"Retry-After": "60"} if error.code == 429 else None
        return Response(
            formats.errors(chosen, error), status_code=error.code, media_type=formats.MEDIA_TYPES[chosen], headers=headers
        )


def _read(request: Request, fmt: str, build: Callable[[str], bytes]) -> Response:
    """A public GET: limited per client address first."""
    address = request.client.host if request.client else ""

    def limited(chosen: str) -> bytes:
        if not request.app.state.open311_limiter.allow(address):
            raise Open311Error(429, "too many requests from this address: wait a minute")
        return build(chosen)

    return _answer(fmt, limited)


def _with_catalog(work: Callable[[Any, Any], Any]) -> Any:
    """`work(session, catalog)` in one session."""
    with db.session_scope() as session:
        return work(session, current_catalog(session))


def _listing(root: tuple[str, str], work: Callable[[Any, Any], list[dict[str, Any]]]) -> Callable[[str], bytes]:
    return lambda chosen: formats.records(chosen, root, _with_catalog(work))


@router.get("/services.{fmt}")
def service_list(request: Request, fmt: str) -> Response:
    return _read(request, fmt, _listing(formats.SERVICES, lambda session, catalog: requests.services(catalog)))


@router.get("/services/{code}.{fmt}")
def service_definition(request: Request, code: str, fmt: str) -> Response:
    def build(chosen: str) -> bytes:
        return formats.definition(chosen, _with_catalog(lambda session, catalog: requests.definition(catalog, code)))

    return _read(request, fmt, build)


@router.get("/requests.{fmt}")
def request_list(request: Request, fmt: str) -> Response:
    params = dict(request.query_params)
    return _read(request, fmt, _listing(formats.REQUESTS, lambda session, catalog: requests.query(session, catalog, params)))


@router.get("/requests/{request_id}.{fmt}")
def request_one(request: Request, request_id: str, fmt: str) -> Response:
    return _read(request, fmt, _listing(formats.REQUESTS, lambda session, catalog: [requests.one(session, catalog, request_id)]))


@router.get("/tokens/{token_id}.{fmt}")
def token_one(request: Request, token_id: str, fmt: str) -> Response:
    return _read(request, fmt, _listing(formats.REQUESTS, lambda session, catalog: [requests.token(session, token_id)]))


def holder(request: Request, given: str | None) -> settings.ApiToken:
    """Who the api_key is, if it carries the open311 scope; else the spec's 403."""
    if not given:
        raise Open311Error(403, "api_key is required")
    tokens: dict[str, settings.ApiToken] = request.app.state.open311_tokens
    found = next((held for token, held in tokens.items() if hmac.compare_digest(token.encode(), given.encode())), None)
    if found is None:
        raise Open311Error(403, "invalid api_key")
    if SCOPE not in found.scopes:
        raise Open311Error(403, f"this api_key ({found.who}) lacks the {SCOPE!r} scope")
    return found


@router.post("/requests.{fmt}")
async def create_request(request: Request, fmt: str) -> Response:
    form: dict[str, str] = {}
    try:
        for key, value in (await request.form()).multi_items():
            if isinstance(value, str):  # an uploaded file is no GeoReport field
                form.setdefault(key, value)  # a name given twice: its first value
    except Exception:  # a body that is not a form (a broken multipart): answered like an empty one
        form = {}
    api_key = form.get("api_key") or request.query_params.get("api_key")

    def filed(chosen: str) -> bytes:
        who = holder(request, api_key).who  # the key before anything else: a stranger learns nothing
        record = _with_catalog(lambda session, catalog: requests.create(session, catalog, form, who=who))
        return formats.records(chosen, formats.REQUESTS, [record])

    return await run_in_threadpool(_answer, fmt, filed)


@router.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(path: str) -> Response:
    def refuse(chosen: str) -> bytes:
        raise Open311Error(404, "no such GeoReport v2 path")

    return _answer(path.rsplit(".", 1)[-1] if path.endswith((".json", ".xml")) else "json", refuse)


def install(app: FastAPI) -> None:
    """Adds /open311/v2/ to `app`; the keys are NAGARIK_API_TOKENS', read now, once."""
    app.state.open311_tokens = settings.api_tokens()
    app.state.open311_limiter = Limiter()
    app.include_router(router)

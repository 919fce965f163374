"""The officials' JSON HTTP API: the same services as the command line, for the console and for
the departments' own systems (status changes arrive here).

    NAGARIK_API_TOKENS="token-of-ward-office:ward-office,token-of-revenue:revenue" \\
        .venv/bin/python -m nagarik.api --port 5200

Every request carries `Authorization: Bearer <token>`; each token names who acts (kept with
what they send). Tokens come only from the environment.

    GET  /api/audience?kind=announcement&wards=jayanagar&topics=water_supply  -> {"size": n}
    POST /api/broadcasts {"kind", "texts": {"en", "hi", "kn"}, "wards", "topics", "languages", "media", "send_at"}
    GET  /api/broadcasts/<id>            POST /api/broadcasts/<id>/cancel
    POST /api/applications/<number>/stage {"stage", "expected_on"}
    POST /api/grievances/<tracking_id>/status {"status", "note"}
"""

from __future__ import annotations

import argparse
import datetime as dt
import hmac
import os
from typing import Any

from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

from nagarik import broadcasts, db, notifications
from nagarik.broadcasts import Audience


def api_tokens() -> dict[str, str]:
    """token -> who; a missing or empty NAGARIK_API_TOKENS means nobody can use the API."""
    pairs = [item.split(":", 1) for item in os.environ.get("NAGARIK_API_TOKENS", "").split(",") if ":" in item]
    return {token.strip(): who.strip() for token, who in pairs if token.strip()}


def error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def create_app(enqueue: Any = None) -> Sanic:
    """`enqueue(broadcast_id, priority)` starts a broadcast; by default the Huey queue's task."""
    app = Sanic("nagarik_api")
    tokens = api_tokens()

    def start(broadcast: db.Broadcast) -> None:
        if enqueue is not None:
            enqueue(broadcast.id, broadcast.priority)
            return
        from nagarik.tasks import start_broadcast

        start_broadcast(broadcast.id, priority=broadcast.priority)

    @app.middleware("request")
    async def authenticate(request: Request) -> HTTPResponse | None:
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
    async def create(request: Request) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        try:
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
        except (ValueError, TypeError) as exc:
            return error(400, str(exc))

    @app.get("/api/broadcasts/<broadcast_id:int>")
    async def progress(request: Request, broadcast_id: int) -> HTTPResponse:
        try:
            with db.session_scope() as session:
                state = broadcasts.progress(session, broadcast_id)
        except KeyError:
            return error(404, "no such broadcast")
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
    async def cancel(request: Request, broadcast_id: int) -> HTTPResponse:
        try:
            with db.session_scope() as session:
                broadcasts.cancel(session, broadcast_id)
        except KeyError:
            return error(404, "no such broadcast")
        return response.json({"id": broadcast_id, "status": "cancelled"})

    @app.post("/api/applications/<number>/stage")
    async def application_stage(request: Request, number: str) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        try:
            expected = dt.date.fromisoformat(body["expected_on"]) if body.get("expected_on") else None
            with db.session_scope() as session:
                broadcast = notifications.application_moved(session, number, str(body.get("stage", "")), expected)
                start(broadcast)
                return response.json({"number": number, "stage": body["stage"], "notification": broadcast.id})
        except KeyError:
            return error(404, "no such application")
        except ValueError as exc:
            return error(400, str(exc))

    @app.post("/api/grievances/<tracking_id>/status")
    async def grievance_status(request: Request, tracking_id: str) -> HTTPResponse:
        body = request.json if isinstance(request.json, dict) else {}
        try:
            with db.session_scope() as session:
                broadcast = notifications.grievance_moved(
                    session, tracking_id, str(body.get("status", "")), str(body.get("note", ""))
                )
                start(broadcast)
                return response.json({"tracking_id": tracking_id, "status": body["status"], "notification": broadcast.id})
        except KeyError:
            return error(404, "no such grievance")
        except ValueError as exc:
            return error(400, str(exc))

    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The officials' JSON API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5200)
    args = parser.parse_args()
    if not api_tokens():
        raise SystemExit("set NAGARIK_API_TOKENS (token:who,...) first: the API refuses everyone without it")
    create_app().run(host=args.host, port=args.port, workers=1, access_log=False, motd=False)

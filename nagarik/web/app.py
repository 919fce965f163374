"""The officials' web server as one FastAPI app: the JSON API (/api, and the public /verify) and
the console (/console). `python -m nagarik.web` serves it.

The OpenAPI description of the API is at /api/openapi.json, for departments' systems. It needs
no token (it says what the API takes, never what the database holds) and the proxy does not
forward /api/, so it is readable only where the API itself is. No Swagger or ReDoc pages: they
load their scripts from a CDN.
"""

from __future__ import annotations

from fastapi import FastAPI

from nagarik.web import api, console, open311

OPENAPI_URL = "/api/openapi.json"
DESCRIPTION = (
    "The officials' JSON API: broadcasts, emergency alerts, polls, campaigns, reminders' dates, application "
    "stages and grievance statuses. Every /api route takes `Authorization: Bearer <token>` and needs the scope "
    'it names (401: no or unknown token; 403: the missing scope). Refusals are `{"error": ...}`; a 400 names '
    "the field. Times are ISO, IST unless they give an offset; dates are YYYY-MM-DD."
)


def create_app(enqueue: api.Enqueue | None = None) -> FastAPI:
    """`enqueue(broadcast_id, priority)` starts a broadcast; by default the Huey queue's task."""
    app = FastAPI(
        title="Nagarik officials' API",
        version="1",
        description=DESCRIPTION,
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
    )
    api.install(app, enqueue)
    console.install(app)
    open311.install(app)  # /open311/v2/: GeoReport v2
    return app

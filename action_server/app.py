"""rasa-sdk's action server, locked to its one caller.

Rasa's action endpoint receives a whole tracker and trusts it, so anyone who can post to it can
forge slots. Here it listens on a private address only (NAGARIK_ACTIONS_HOST, 127.0.0.1 by
default) and every call must carry the shared secret Rasa sends from endpoints.yml
(`headers: {X-Nagarik-Actions-Token: ${NAGARIK_ACTIONS_TOKEN}}`), compared in constant time.
The health route stays open for the supervisor's check; an error never echoes the tracker back.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from rasa_sdk.endpoint import create_app as create_sdk_app
from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

TOKEN_HEADER = "X-Nagarik-Actions-Token"
OPEN_PATHS = frozenset({"/health"})

logger = logging.getLogger(__name__)


def create_app(token: str, actions_package: str = "actions") -> Sanic:
    if not token:
        raise ValueError("the action server needs a shared secret (NAGARIK_ACTIONS_TOKEN)")
    app = create_sdk_app(actions_package, cors_origins=None)
    expected = token.encode()

    @app.middleware("request")
    async def only_rasa(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get(TOKEN_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            logger.warning("refused an action call without the shared secret from %s", request.ip)
            return response.json({"error": "this server answers the Rasa server only"}, status=401)
        return None

    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        # rasa-sdk's own handler answers with the request body: a citizen's whole tracker.
        logger.error("action call failed", exc_info=exception)
        return response.json({"error": "the action failed; see the action server's log"}, status=500)

    app.error_handler.add(Exception, failed)
    return app


def sanic_settings() -> dict[str, Any]:
    """No access log (it would carry nothing useful but timing) and a tracker-sized body limit."""
    return {"ACCESS_LOG": False, "REQUEST_MAX_SIZE": 20 * 1024 * 1024}

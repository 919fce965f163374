"""create_app(config): the simulator as a Sanic app, with all state in memory."""

from __future__ import annotations

import itertools
import json
from typing import Any

from sanic import Request, Sanic
from sanic.exceptions import MethodNotSupported, NotFound
from sanic.response import HTTPResponse

from . import graph, inspection
from .config import SimConfig
from .errors import GraphError
from .state import SimState
from .templates import TemplateRegistry
from .webhooks import WebhookEmitter

_names = itertools.count(1)


def create_app(config: SimConfig) -> Sanic:
    # A fresh name per app: Sanic keeps a registry of names, and tests may build several apps.
    app = Sanic(f"whatsapp-simulator-{next(_names)}", configure_logging=False)
    app.config.REQUEST_MAX_SIZE = 128 * 1024 * 1024  # documents may be 100 MB
    app.config.RESPONSE_TIMEOUT = max(60.0, config.settings.timeout_hold + 30.0)  # let "timeout" faults hold
    state = SimState(config, TemplateRegistry.load(config.templates_path))
    app.ctx.state = state
    app.ctx.emitter = WebhookEmitter(state, config.webhook_concurrency)

    graph.register(app, config.api_version)
    inspection.register(app)

    @app.listener("before_server_start")
    async def start_emitter(app: Sanic, _loop: Any) -> None:
        await app.ctx.emitter.start()

    @app.listener("after_server_stop")
    async def stop_emitter(app: Sanic, _loop: Any) -> None:
        await app.ctx.emitter.stop()

    async def unknown_route(request: Request, exception: Exception) -> HTTPResponse:
        if request.path.startswith("/_sim/"):
            return inspection.sim_json({"error": f"no such inspection route: {request.method} {request.path}"}, 404)
        if isinstance(exception, MethodNotSupported):
            error = GraphError(
                100, f"Unsupported {request.method.lower()} request.", message=f"Unsupported {request.method.lower()} request."
            )
        else:
            error = GraphError(
                2500, f"Unknown path components: {request.path}", message=f"Unknown path components: {request.path}"
            )
        return HTTPResponse(json.dumps(error.body()), status=error.http_status, content_type="application/json")

    app.error_handler.add(NotFound, unknown_route)
    app.error_handler.add(MethodNotSupported, unknown_route)
    return app

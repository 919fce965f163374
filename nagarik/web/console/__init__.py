"""The officials' console: server-rendered pages under /console (sessions, CSRF, policy, audit)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from nagarik.web.console import (
    broadcast_pages,
    conversation_pages,
    dashboard_pages,
    grievance_pages,
    handoff_pages,
    pages,
    poll_pages,
    security,
)

ROUTERS = (pages, grievance_pages, handoff_pages, conversation_pages, broadcast_pages, poll_pages, dashboard_pages)


def install(app: FastAPI) -> None:
    """Adds the console's middleware and routes to the web app (nagarik.web.app.create_app)."""
    app.mount(f"{security.PREFIX}/static", StaticFiles(directory=Path(__file__).parent / "static"), name="console-static")
    for module in ROUTERS:  # not part of the API's OpenAPI description
        app.include_router(module.router, include_in_schema=False)
    app.middleware("http")(security.headers)

    @app.exception_handler(security.LoginRequiredError)
    async def to_login(request: Request, exc: security.LoginRequiredError) -> Response:
        if request.method != "GET":
            return PlainTextResponse("login required", status_code=403)
        response = RedirectResponse(f"{security.PREFIX}/login", status_code=303)
        security.clear_cookie(response)
        return response

    @app.exception_handler(security.CsrfRefusedError)
    async def csrf_refused(request: Request, exc: security.CsrfRefusedError) -> Response:
        return PlainTextResponse("CSRF token missing or wrong", status_code=403)

"""The officials' console: server-rendered pages under /console (sessions, CSRF, policy, audit)."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Adds the console's middleware and routes to the web app (nagarik.web.app.create_app)."""

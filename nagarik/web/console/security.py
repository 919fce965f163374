"""The console's session cookie, CSRF check and security headers.

Sessions and CSRF are hand-written (nagarik.staff.sessions): Starlette's SessionMiddleware is a
signed cookie that logout cannot revoke, and FastAPI has no CSRF protection. The CSRF token is
per session, sent back in a hidden form field or, from htmx, the X-CSRF-Token header.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from nagarik import settings
from nagarik.db import models
from nagarik.staff import sessions

PREFIX = "/console"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


class LoginRequiredError(Exception):
    """No live session: pages send the browser to the login page."""


class CsrfRefusedError(Exception):
    """A state-changing request without this session's CSRF token: 403."""


@dataclass(frozen=True)
class Visit:
    official: models.Official
    row: models.OfficialSession
    ip: str


def cookie_name() -> str:
    # __Host- requires Secure, path / and no Domain; over plain http (tests, demo) a plain name.
    return "__Host-nagarik_session" if settings.console_secure_cookies() else "nagarik_session"


def set_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        cookie_name(), token, httponly=True, secure=settings.console_secure_cookies(), samesite="strict", path="/"
    )


def clear_cookie(response: Response) -> None:
    response.delete_cookie(cookie_name(), path="/", secure=settings.console_secure_cookies(), httponly=True, samesite="strict")


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def visit(request: Request, session: Session) -> Visit:
    row = sessions.resume(session, request.cookies.get(cookie_name()))
    if row is None:
        raise LoginRequiredError
    official = session.get(models.Official, row.official_id)
    assert official is not None  # resume() ends sessions whose account is gone
    return Visit(official, row, client_ip(request))


def csrf_given(request: Request, form: FormData) -> str:
    """The CSRF token the request carries: htmx's header, else the form's hidden field."""
    value = request.headers.get("x-csrf-token") or form.get("csrf_token")
    return value if isinstance(value, str) else ""


def check_same_origin(request: Request) -> None:
    """The login form has no session to hold a token yet: a browser names the page a POST came from
    (Origin), and one from another site is refused, so no page elsewhere can sign an official in to
    an account of its choosing (login CSRF). A client that sends no Origin is not a browser's form."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    # Host names only: the proxy passes nginx's $host, which drops a port the browser's Origin keeps.
    host = urlsplit(f"//{request.headers.get('host', '')}").hostname
    if origin == "null" or urlsplit(origin).hostname != host:
        raise CsrfRefusedError


def check_csrf(given: str, row: models.OfficialSession) -> None:
    if not given or not secrets.compare_digest(given.encode(), row.csrf_token.encode()):
        raise CsrfRefusedError


async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    if request.url.path.startswith(PREFIX):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if not request.url.path.startswith(f"{PREFIX}/static/"):
            response.headers["Cache-Control"] = "no-store"  # pages may hold citizens' personal data
    return response

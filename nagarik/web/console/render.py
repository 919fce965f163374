"""What every console page shares: the templates, the page and redirect answers, the visit (a
live session) around a handler's work, and the CSRF check before a state-changing one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from sqlalchemy.orm import Session

from nagarik import db
from nagarik.shared.clock import local_text
from nagarik.shared.masking import mask_phone
from nagarik.staff import policy
from nagarik.web.console import security
from nagarik.web.console.security import Visit
from nagarik.web.console.words import words

T = TypeVar("T")
Form = dict[str, str]

# Autoescaping on for every template, whatever its name; citizen text is never marked safe.
_environment = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True)
_environment.filters["masked"] = mask_phone
_environment.filters["local"] = lambda moment: local_text(moment) if moment else ""
_environment.filters["duration"] = lambda span: _hours_minutes(span) if span else ""
templates = Jinja2Templates(env=_environment)


def _hours_minutes(span: dt.timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60}:{minutes % 60:02d}"  # h:mm, the same in every language


def page(request: Request, name: str, visit: Visit | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    language = visit.official.language if visit else "en"
    context |= {"t": words(language), "visit": visit, "policy": policy, "language": language}
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def to(path: str) -> RedirectResponse:
    return RedirectResponse(f"{security.PREFIX}{path}", status_code=303)


async def form_and_token(request: Request) -> tuple[Form, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}, security.csrf_given(request, form)


def require(visit: Visit, action: str, resource: Any = None) -> None:
    # 404, not 403: a page the official may not see does not admit that it exists.
    if not policy.can(visit.official, action, resource):
        raise HTTPException(status_code=404)


def with_visit(request: Request, work: Callable[[Session, Visit], T]) -> T:
    """A read: the live session (else to the login page), then the work, in one transaction."""
    with db.session_scope() as session:
        return work(session, security.visit(request, session))


async def get(request: Request, work: Callable[[Session, Visit], T]) -> T:
    return await run_in_threadpool(with_visit, request, work)


async def post(request: Request, work: Callable[[Session, Visit, Form], T]) -> T:
    """A state-changing request: a live session and its CSRF token, then the work."""
    form, given = await form_and_token(request)

    def run(session: Session, visit: Visit) -> T:
        security.check_csrf(given, visit.row)
        return work(session, visit, form)

    return await run_in_threadpool(with_visit, request, run)

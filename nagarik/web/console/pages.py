"""The console's pages. Handlers stay thin: the session and CSRF checks (security), the access
decision (nagarik.staff.policy), the query (nagarik.citizens), the audit row, the template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from sqlalchemy.orm import Session

from nagarik import db
from nagarik.citizens import grievances, handoffs
from nagarik.shared.clock import local_text
from nagarik.shared.masking import mask_phone
from nagarik.staff import accounts, audit, policy, sessions, throttle
from nagarik.web.console import security
from nagarik.web.console.security import Visit
from nagarik.web.console.words import words

# Autoescaping on for every template, whatever its name; citizen text is never marked safe.
_environment = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True)
_environment.filters["masked"] = mask_phone
_environment.filters["local"] = lambda moment: local_text(moment) if moment else ""
templates = Jinja2Templates(env=_environment)
router = APIRouter(prefix=security.PREFIX)


def _page(request: Request, name: str, visit: Visit | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    language = visit.official.language if visit else "en"
    context |= {"t": words(language), "visit": visit, "policy": policy, "language": language}
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def _to(path: str) -> RedirectResponse:
    return RedirectResponse(f"{security.PREFIX}{path}", status_code=303)


async def _form_and_token(request: Request) -> tuple[dict[str, str], str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}, security.csrf_given(request, form)


def _require(visit: Visit, action: str, resource: Any = None) -> None:
    # 404, not 403: a page the official may not see does not admit that it exists.
    if not policy.can(visit.official, action, resource):
        raise HTTPException(status_code=404)


@router.get("/login")
def login_page(request: Request) -> HTMLResponse:
    return _page(request, "login.html", None)


@router.post("/login")
async def login(request: Request) -> Response:
    form, _ = await _form_and_token(request)
    username, password = form.get("username", "").strip(), form.get("password", "")
    ip = security.client_ip(request)
    agent = request.headers.get("user-agent", "")

    def sign_in() -> str | None:
        with db.session_scope() as session:
            if throttle.blocked(session, username, ip):
                audit.record(session, username or "-", "login.throttled", ip=ip)
                return None
            official = accounts.authenticate(session, username, password)
            if official is None:
                throttle.failed(session, username, ip)
                audit.record(session, username or "-", "login.failed", ip=ip)
                return None
            throttle.succeeded(session, username)
            started = sessions.start(session, official, ip, agent)
            audit.record(session, official.username, "login", ip=ip)
            return started.token

    token = await run_in_threadpool(sign_in)
    if token is None:  # one answer for an unknown user, a wrong password and a throttled one
        return _page(request, "login.html", None, status_code=401, failed=True)
    response = _to("/")
    security.set_cookie(response, token)
    return response


def _with_visit(request: Request, work: Any) -> Any:
    with db.session_scope() as session:
        return work(session, security.visit(request, session))


async def _post(request: Request, work: Any) -> Any:
    """A state-changing request: a live session and its CSRF token, then the work."""
    form, given = await _form_and_token(request)

    def run(session: Session, visit: Visit) -> Any:
        security.check_csrf(given, visit.row)
        return work(session, visit, form)

    return await run_in_threadpool(_with_visit, request, run)


@router.post("/logout")
async def logout(request: Request) -> Response:
    def end(session: Session, visit: Visit, form: dict[str, str]) -> None:
        sessions.end(session, visit.row)
        audit.record(session, visit.official.username, "logout", ip=visit.ip)

    await _post(request, end)
    response = _to("/login")
    security.clear_cookie(response)
    return response


@router.post("/language")
async def choose_language(request: Request) -> Response:
    def choose(session: Session, visit: Visit, form: dict[str, str]) -> None:
        chosen = form.get("language", "en")
        accounts.set_language(session, visit.official, chosen)
        audit.record(session, visit.official.username, "account.language", visit.official.username, visit.ip, chosen)

    await _post(request, choose)
    return _to("/")


@router.get("/")
def home(request: Request) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        departments = policy.visible_departments(visit.official)
        open_grievances = grievances.open_count_in(session, departments) if departments != [] else None
        waiting = len(handoffs.open_handoffs(session)) if policy.can(visit.official, policy.READ_HANDOFFS) else None
        return _page(request, "home.html", visit, open_grievances=open_grievances, waiting=waiting)

    return _with_visit(request, page)


@router.get("/grievances")
def grievance_list(request: Request, status: str = "") -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        _require(visit, policy.READ_GRIEVANCES)
        chosen = status if status in grievances.STATUSES else ""
        rows = grievances.grievances_in(session, policy.visible_departments(visit.official), chosen or None)
        audit.record(session, visit.official.username, "grievances.list", chosen, visit.ip)
        return _page(request, "grievances.html", visit, rows=rows, status=chosen, statuses=grievances.STATUSES)

    return _with_visit(request, page)


@router.get("/grievances/{tracking_id}")
def grievance_detail(request: Request, tracking_id: str) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        if grievance is None:
            raise HTTPException(status_code=404)
        _require(visit, policy.READ_GRIEVANCES, grievance)
        whole_phone = policy.can(visit.official, policy.READ_CITIZEN, grievance)
        if whole_phone:  # a view of a citizen's personal data
            audit.record(session, visit.official.username, "grievance.view", grievance.tracking_id, visit.ip)
        return _page(request, "grievance.html", visit, grievance=grievance, whole_phone=whole_phone)

    return _with_visit(request, page)


@router.get("/handoffs")
def handoff_list(request: Request) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        _require(visit, policy.READ_HANDOFFS)
        return _page(request, "handoffs.html", visit, rows=handoffs.open_handoffs(session))

    return _with_visit(request, page)


@router.get("/audit")
def audit_log(request: Request) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        _require(visit, policy.READ_AUDIT)
        return _page(request, "audit.html", visit, rows=audit.recent(session))

    return _with_visit(request, page)


@router.get("/sessions")
def session_list(request: Request) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        everyone = policy.can(visit.official, policy.MANAGE_SESSIONS)
        rows = sessions.live(session, None if everyone else visit.official)
        names = {official.id: official.username for official in accounts.everyone(session)} if everyone else {}
        return _page(request, "sessions.html", visit, rows=rows, names=names)

    return _with_visit(request, page)


@router.post("/sessions/{session_id}/end")
async def end_session(request: Request, session_id: int) -> Response:
    def end(session: Session, visit: Visit, form: dict[str, str]) -> None:
        row = sessions.by_id(session, session_id)
        allowed = row is not None and (
            policy.can(visit.official, policy.MANAGE_SESSIONS) or policy.can(visit.official, policy.OWN_SESSIONS, row)
        )
        if not allowed or row is None:
            raise HTTPException(status_code=404)
        sessions.end(session, row)
        audit.record(session, visit.official.username, "session.end", str(session_id), visit.ip)

    await _post(request, end)
    return _to("/sessions")

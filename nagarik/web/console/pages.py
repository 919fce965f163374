"""The console's own pages: signing in and out, home, the official's language, sessions and the
audit log. Topic pages live beside it (grievance_pages, handoff_pages, broadcast_pages,
conversation_pages). Handlers stay thin: the session and CSRF checks (render, security), the access
decision (nagarik.staff.policy), the query (the services), the audit row, the template."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from nagarik import db
from nagarik.citizens import grievances, handoffs
from nagarik.staff import accounts, audit, policy, sessions, throttle
from nagarik.web.console import render, security
from nagarik.web.console.render import Form
from nagarik.web.console.security import Visit

router = APIRouter(prefix=security.PREFIX)


@router.get("/login")
def login_page(request: Request) -> HTMLResponse:
    return render.page(request, "login.html", None)


@router.post("/login")
async def login(request: Request) -> Response:
    security.check_same_origin(request)
    form, _ = await render.form_and_token(request)
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
        return render.page(request, "login.html", None, status_code=401, failed=True)
    response = render.to("/")
    security.set_cookie(response, token)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    def end(session: Session, visit: Visit, form: Form) -> None:
        sessions.end(session, visit.row)
        audit.record(session, visit.official.username, "logout", ip=visit.ip)

    await render.post(request, end)
    response = render.to("/login")
    security.clear_cookie(response)
    return response


@router.post("/language")
async def choose_language(request: Request) -> Response:
    def choose(session: Session, visit: Visit, form: Form) -> None:
        chosen = form.get("language", "en")
        accounts.set_language(session, visit.official, chosen)
        audit.record(session, visit.official.username, "account.language", visit.official.username, visit.ip, chosen)

    await render.post(request, choose)
    return render.to("/")


@router.get("/")
def home(request: Request) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        departments = policy.visible_departments(visit.official)
        open_grievances = grievances.open_count_in(session, departments) if departments != [] else None
        handoff_departments = policy.visible_departments(visit.official, policy.READ_HANDOFFS)
        waiting = len(handoffs.open_handoffs(session, handoff_departments)) if handoff_departments != [] else None
        return render.page(request, "home.html", visit, open_grievances=open_grievances, waiting=waiting)

    return render.with_visit(request, page)


@router.get("/audit")
def audit_log(request: Request) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        render.require(visit, policy.READ_AUDIT)
        return render.page(request, "audit.html", visit, rows=audit.recent(session))

    return render.with_visit(request, page)


@router.get("/sessions")
def session_list(request: Request) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        everyone = policy.can(visit.official, policy.MANAGE_SESSIONS)
        rows = sessions.live(session, None if everyone else visit.official)
        names = {official.id: official.username for official in accounts.everyone(session)} if everyone else {}
        return render.page(request, "sessions.html", visit, rows=rows, names=names)

    return render.with_visit(request, page)


@router.post("/sessions/{session_id}/end")
async def end_session(request: Request, session_id: int) -> Response:
    def end(session: Session, visit: Visit, form: Form) -> None:
        row = sessions.by_id(session, session_id)
        allowed = row is not None and (
            policy.can(visit.official, policy.MANAGE_SESSIONS) or policy.can(visit.official, policy.OWN_SESSIONS, row)
        )
        if not allowed or row is None:
            raise HTTPException(status_code=404)
        sessions.end(session, row)
        audit.record(session, visit.official.username, "session.end", str(session_id), visit.ip)

    await render.post(request, end)
    return render.to("/sessions")

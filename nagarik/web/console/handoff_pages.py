"""Citizens waiting for an officer: the queue."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from nagarik.citizens import handoffs
from nagarik.staff import policy
from nagarik.web.console import render, security
from nagarik.web.console.security import Visit

router = APIRouter(prefix=security.PREFIX)


@router.get("/handoffs")
def handoff_list(request: Request) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        render.require(visit, policy.READ_HANDOFFS)
        return render.page(request, "handoffs.html", visit, rows=handoffs.open_handoffs(session))

    return render.with_visit(request, page)

"""The departments' grievances: the scoped queue and a grievance's page."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from nagarik.citizens import grievances
from nagarik.staff import audit, policy
from nagarik.web.console import render, security
from nagarik.web.console.security import Visit

router = APIRouter(prefix=security.PREFIX)


@router.get("/grievances")
def grievance_list(request: Request, status: str = "") -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        render.require(visit, policy.READ_GRIEVANCES)
        chosen = status if status in grievances.STATUSES else ""
        rows = grievances.grievances_in(session, policy.visible_departments(visit.official), chosen or None)
        audit.record(session, visit.official.username, "grievances.list", chosen, visit.ip)
        return render.page(request, "grievances.html", visit, rows=rows, status=chosen, statuses=grievances.STATUSES)

    return render.with_visit(request, page)


@router.get("/grievances/{tracking_id}")
def grievance_detail(request: Request, tracking_id: str) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        grievance = grievances.grievance_by_tracking_id(session, tracking_id)
        if grievance is None:
            raise HTTPException(status_code=404)
        render.require(visit, policy.READ_GRIEVANCES, grievance)
        whole_phone = policy.can(visit.official, policy.READ_CITIZEN, grievance)
        if whole_phone:  # a view of a citizen's personal data
            audit.record(session, visit.official.username, "grievance.view", grievance.tracking_id, visit.ip)
        return render.page(request, "grievance.html", visit, grievance=grievance, whole_phone=whole_phone)

    return render.with_visit(request, page)

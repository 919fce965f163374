"""The departments' grievances: the scoped queue (filters, sorting, bulk work, CSV), a grievance's
page with its evidence, and its actions. The work itself is nagarik.citizens.grievance_work; a
status change goes through notifications.grievance_moved, as in the JSON API, so the citizen is
told in their language. Every action: a live session, its CSRF token, then
policy.can(official, WORK_GRIEVANCES, grievance) (404 if not), the work, its audit row."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from nagarik.catalog.store import current_catalog
from nagarik.citizens import evidence, grievance_lifecycle, grievance_work, grievances, me_too
from nagarik.citizens.grievance_lifecycle import IllegalTransition
from nagarik.citizens.grievance_work import QueueFilter, Worker, WorkError
from nagarik.db import models
from nagarik.outbound import media_upload, notifications
from nagarik.shared.catalog import Catalog
from nagarik.staff import audit, policy
from nagarik.web import api
from nagarik.web.console import render, security
from nagarik.web.console.render import Form
from nagarik.web.console.security import Visit
from whatsapp.cloud.media import stored_evidence
from whatsapp.cloud.settings import evidence_dir

router = APIRouter(prefix=security.PREFIX)
log = logging.getLogger(__name__)

EVIDENCE_TYPES = {"jpg": "image/jpeg", "png": "image/png", "mp4": "video/mp4", "3gp": "video/3gpp", "pdf": "application/pdf"}
INLINE_TYPES = {"jpg", "png", "mp4", "3gp"}  # shown on the page; anything else is downloaded


def may_work(official: models.Official, grievance: models.Grievance) -> bool:
    return policy.can(official, policy.WORK_GRIEVANCES, grievance)


def worker(visit: Visit) -> Worker:
    """A supervisor acts as one in the lifecycle (a transfer past the limit, an appeal's decision)."""
    supervisor = policy.can(visit.official, policy.SUPERVISE)
    return Worker(visit.official, may_work, notifications.grievance_moved, supervisor=supervisor)


ILLEGAL = "grv_error_illegal_transition"  # the console's words for a move the lifecycle refuses


def start_notifications(request: Request, sent: list[Any]) -> None:
    """Queue the citizens' messages, once their rows are committed (the app's starter, as the API's)."""
    start = getattr(request.app.state, "start_broadcast", None) or api.starting_with(None)
    for broadcast in sent:
        start(broadcast)


class Names:
    """Catalog keys in the official's language (the key itself if the catalog has no such row)."""

    def __init__(self, catalog: Catalog, language: str) -> None:
        self.catalog, self.language = catalog, language

    def _pick(self, names: dict[str, str] | None, key: str | None) -> str:
        return (names or {}).get(self.language) or (names or {}).get("en") or (key or "")

    def category(self, key: str) -> str:
        row = self.catalog.category(key)
        return self._pick(row.names if row else None, key)

    def ward(self, key: str | None) -> str:
        row = self.catalog.ward(key) if key else None
        return self._pick(row.names if row else None, key)

    def department(self, key: str) -> str:
        row = next((d for d in self.catalog.departments if d.key == key), None)
        return self._pick(row.name if row else None, key)


# --- the queue ------------------------------------------------------------------------------------


def chosen_filter(request: Request) -> QueueFilter:
    given = request.query_params
    return QueueFilter(**{name: given.get(name, "")[:64] for name in QueueFilter.__dataclass_fields__})


def sort_of(request: Request) -> tuple[str, bool]:
    sort = request.query_params.get("sort", "due")
    return (sort if sort in grievance_work.SORTS else "due"), request.query_params.get("order") == "desc"


@router.get("/grievances")
def grievance_list(request: Request) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        render.require(visit, policy.READ_GRIEVANCES)
        catalog = current_catalog(session)
        chosen, (sort, descending) = chosen_filter(request), sort_of(request)
        given_page = request.query_params.get("page", "1")
        number = max(1, int(given_page)) if given_page.isdigit() else 1
        departments = policy.visible_departments(visit.official)
        found = grievance_work.queue(
            session, departments, chosen, grievance_work.sla_days(catalog), sort, descending,
            offset=(number - 1) * grievance_work.PAGE_SIZE,
        )  # fmt: skip
        audit.record(session, visit.official.username, "grievances.list", chosen.status, visit.ip, urlencode(chosen.as_query()))
        shown = [d.key for d in catalog.departments] if departments is None else departments
        query = chosen.as_query()

        def link(**changes: Any) -> str:
            return urlencode({**query, "sort": sort, "order": "desc" if descending else "asc", **changes})

        return render.page(
            request, "grievances.html", visit, rows=found.rows, total=found.total, chosen=chosen, sort=sort,
            descending=descending, number=number, pages=max(1, -(-found.total // grievance_work.PAGE_SIZE)),
            link=link, statuses=grievances.STATUSES,
            reported_by=me_too.reporter_counts(session, [row.grievance.id for row in found.rows]),
            sla_states=grievance_work.SLA_STATES, catalog=catalog, names=Names(catalog, visit.official.language),
            departments=shown, workers=grievance_work.workers_of(session, shown, may_work),
            may_work_any=policy.can(visit.official, policy.WORK_GRIEVANCES),
            changed=request.query_params.get("changed", ""), refused=request.query_params.get("refused", ""),
            error=request.query_params.get("error", ""),
        )  # fmt: skip

    return render.with_visit(request, page)


@router.get("/grievances.csv")
def grievance_csv(request: Request) -> Response:
    def export(session: Session, visit: Visit) -> Response:
        render.require(visit, policy.READ_GRIEVANCES)
        chosen, (sort, descending) = chosen_filter(request), sort_of(request)
        days = grievance_work.sla_days(current_catalog(session))
        body, total = grievance_work.export_csv(
            session, policy.visible_departments(visit.official), chosen, days, sort, descending
        )
        audit.record(
            session, visit.official.username, "grievances.export", chosen.status, visit.ip,
            f"{urlencode(chosen.as_query())} rows={total}",
        )  # fmt: skip
        headers = {"Content-Disposition": 'attachment; filename="grievances.csv"'}
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)

    return render.with_visit(request, export)


QUEUE_PARAMETERS = (*QueueFilter.__dataclass_fields__, "sort", "order", "page")


def to_list(form: Form, **result: str) -> Response:
    """Back to the queue as the official left it (only the queue's own parameters), with the result."""
    kept = {key: form[key] for key in QUEUE_PARAMETERS if form.get(key)}
    return render.to(f"/grievances?{urlencode({**kept, **result})}")


@router.post("/grievances/bulk")
async def grievance_bulk(request: Request) -> Response:
    """One POST for the ticked grievances: assign them, or change their status (the citizens are told).
    Those the official may not work (or the assignee may not) are refused and left as they were."""
    tracking_ids = [value for value in (await request.form()).getlist("ids") if isinstance(value, str)]

    def work(session: Session, visit: Visit, form: Form) -> tuple[Response, list[Any]]:
        render.require(visit, policy.WORK_GRIEVANCES)
        acting = worker(visit)
        try:
            # bulk_* names: the form also carries the queue's filter (status, assignee) to return to
            if form.get("do") == "assign":
                assignee = _official(session, form.get("bulk_assignee", ""))
                done = grievance_work.bulk_assign(session, acting, tracking_ids, assignee)
                action, detail = "grievance.assign", assignee.username if assignee else ""
            else:
                status = form.get("bulk_status", "")
                done = grievance_work.bulk_change_status(session, acting, tracking_ids, status, form.get("bulk_remark", ""))
                action, detail = "grievance.status", status
        except WorkError as refused:
            return to_list(form, error=refused.key), []
        except IllegalTransition:
            return to_list(form, error=ILLEGAL), []
        for tracking_id in done.changed:
            audit.record(session, visit.official.username, action, tracking_id, visit.ip, f"bulk {detail}")
        return to_list(form, changed=str(len(done.changed)), refused=str(len(done.refused))), done.notifications

    response, sent = await render.post(request, work)
    start_notifications(request, sent)
    return response


def _official(session: Session, given: str) -> models.Official | None:
    """The chosen assignee: None for nobody; an unknown id is refused."""
    if given in ("", grievance_work.UNASSIGNED):
        return None
    found = session.get(models.Official, int(given)) if given.isdigit() else None
    if found is None:
        raise WorkError("grv_error_not_assignable")
    return found


# --- one grievance --------------------------------------------------------------------------------


def readable(session: Session, visit: Visit, tracking_id: str) -> models.Grievance:
    grievance = grievances.grievance_by_tracking_id(session, tracking_id)
    if grievance is None:
        raise HTTPException(status_code=404)
    render.require(visit, policy.READ_GRIEVANCES, grievance)
    return grievance


def detail_page(
    request: Request, session: Session, visit: Visit, grievance: models.Grievance, error: str = "", status_code: int = 200
) -> HTMLResponse:
    whole_phone = policy.can(visit.official, policy.READ_CITIZEN, grievance)
    if whole_phone:  # a view of a citizen's personal data
        audit.record(session, visit.official.username, "grievance.view", grievance.tracking_id, visit.ip)
    catalog = current_catalog(session)
    works = may_work(visit.official, grievance)
    name = evidence.file_name(grievance.evidence_ref)
    acting = worker(visit)
    return render.page(
        request, "grievance.html", visit, status_code=status_code, grievance=grievance, whole_phone=whole_phone,
        sla=grievance_work.sla_state(grievance, grievance_work.sla_days(catalog)), names=Names(catalog, visit.official.language),
        history=grievance_work.history(grievance), notes=grievance_work.internal_notes(grievance),
        evidence_kind=name.rsplit(".", 1)[-1] if name else "", evidence_text="" if name else (grievance.evidence_ref or ""),
        works=works, assignable=grievance_work.assignable(session, grievance, may_work) if works else [],
        statuses=grievance_lifecycle.allowed_targets(grievance.status, acting.actor),
        departments=[d.key for d in catalog.departments if d.key != grievance.department_key],
        transfers_left=grievance_work.transfers_left(grievance),
        may_transfer=acting.supervisor or grievance_work.transfers_left(grievance) > 0,
        may_decide=acting.supervisor and grievance.status == "appealed",
        reported_by=me_too.reporter_count(grievance),
        error=error,
    )  # fmt: skip


@router.get("/grievances/appeals")
def appeals_queue(request: Request) -> HTMLResponse:
    """Appealed grievances for supervisors (the appellate desk), the oldest appeal first, with the
    day each must be decided by (appeal_due_on)."""

    def page(session: Session, visit: Visit) -> HTMLResponse:
        render.require(visit, policy.SUPERVISE)
        catalog = current_catalog(session)
        rows = grievance_lifecycle.appealed(session, policy.visible_departments(visit.official))
        audit.record(session, visit.official.username, "grievances.appeals", "", visit.ip)
        return render.page(
            request, "grievance_appeals.html", visit, rows=rows, names=Names(catalog, visit.official.language),
            today=grievance_work.sla_days(catalog).today,
        )  # fmt: skip

    return render.with_visit(request, page)


@router.get("/grievances/{tracking_id}")
def grievance_detail(request: Request, tracking_id: str) -> HTMLResponse:
    def page(session: Session, visit: Visit) -> HTMLResponse:
        return detail_page(request, session, visit, readable(session, visit, tracking_id))

    return render.with_visit(request, page)


@router.get("/grievances/{tracking_id}/evidence")
def grievance_evidence(request: Request, tracking_id: str) -> Response:
    """The citizen's photo, video or document, only to an official who may read the grievance."""

    def serve(session: Session, visit: Visit) -> Response:
        grievance = readable(session, visit, tracking_id)
        name = evidence.file_name(grievance.evidence_ref)
        path = stored_evidence(name, evidence_dir()) if name else None  # only a file the channel stored
        if path is None:
            raise HTTPException(status_code=404)
        audit.record(session, visit.official.username, "grievance.evidence", grievance.tracking_id, visit.ip)
        kind = path.suffix.lstrip(".")
        disposition = "inline" if kind in INLINE_TYPES else "attachment"
        headers = {"Content-Disposition": f'{disposition}; filename="{grievance.tracking_id}.{kind}"'}
        return FileResponse(path, media_type=EVIDENCE_TYPES.get(kind, "application/octet-stream"), headers=headers)

    return render.with_visit(request, serve)


Action = Callable[[Session, Worker, models.Grievance, Form], Any]


async def act(request: Request, tracking_id: str, name: str, action: Action, detail: Callable[[Form], str]) -> Response:
    """One action on one grievance: CSRF, the policy (404), the work, its audit row, then the
    citizen's message if it sent one; a refusal the official can mend shows the page again (400)."""

    def work(session: Session, visit: Visit, form: Form) -> tuple[Response, list[Any]]:
        grievance = readable(session, visit, tracking_id)
        render.require(visit, policy.WORK_GRIEVANCES, grievance)
        try:
            outcome = action(session, worker(visit), grievance, form)
        except WorkError as refused:
            return detail_page(request, session, visit, grievance, refused.key, 400), []
        except IllegalTransition:  # e.g. another official moved it first
            return detail_page(request, session, visit, grievance, ILLEGAL, 409), []
        audit.record(session, visit.official.username, name, tracking_id, visit.ip, detail(form)[:500])
        sent = [outcome] if isinstance(outcome, models.Broadcast) else []
        still_readable = policy.can(visit.official, policy.READ_GRIEVANCES, grievance)  # not after a transfer away
        return render.to(f"/grievances/{tracking_id}" if still_readable else "/grievances"), sent

    response, sent = await render.post(request, work)
    start_notifications(request, sent)
    return response


def _nothing(form: Form) -> str:
    return ""


@router.post("/grievances/{tracking_id}/acknowledge")
async def acknowledge(request: Request, tracking_id: str) -> Response:
    return await act(
        request, tracking_id, "grievance.acknowledge", lambda s, w, g, f: grievance_work.acknowledge(s, w, g), _nothing
    )


@router.post("/grievances/{tracking_id}/assign")
async def assign(request: Request, tracking_id: str) -> Response:
    def work(session: Session, acting: Worker, grievance: models.Grievance, form: Form) -> Any:
        return grievance_work.assign(session, acting, grievance, _official(session, form.get("assignee", "")))

    return await act(request, tracking_id, "grievance.assign", work, lambda form: form.get("assignee", ""))


@router.post("/grievances/{tracking_id}/status")
async def change_status(request: Request, tracking_id: str) -> Response:
    def work(session: Session, acting: Worker, grievance: models.Grievance, form: Form) -> Any:
        return grievance_work.change_status(session, acting, grievance, form.get("status", ""), form.get("remark", ""))

    return await act(request, tracking_id, "grievance.status", work, lambda form: form.get("status", ""))


@router.post("/grievances/{tracking_id}/resolve")
async def resolve(request: Request, tracking_id: str) -> Response:
    """With the officer's photo of the repair if one is attached: it goes to WhatsApp's media store
    only after the token and the right to work this grievance are checked."""
    form = await request.form()
    upload = form.get("photo")
    photo, problem = None, ""
    if isinstance(upload, UploadFile) and upload.filename:
        given = security.csrf_given(request, form)

        def allowed(session: Session, visit: Visit) -> None:
            security.check_csrf(given, visit.row)
            render.require(visit, policy.WORK_GRIEVANCES, readable(session, visit, tracking_id))

        await render.get(request, allowed)
        photo, problem = await resolution_photo(upload)

    def work(session: Session, acting: Worker, grievance: models.Grievance, form: Form) -> Any:
        if problem:
            raise WorkError(problem)
        return grievance_work.resolve(session, acting, grievance, form.get("note", ""), photo)

    return await act(request, tracking_id, "grievance.resolve", work, lambda form: "with photo" if photo else "")


async def resolution_photo(upload: UploadFile) -> tuple[dict[str, str] | None, str]:
    """A JPEG or PNG of the repair in WhatsApp's media store, or the console's words for why not."""
    data = await upload.read(media_upload.LARGEST + 1)  # no more than any limit needs
    try:
        checked = media_upload.check(data, upload.filename or "photo")
    except media_upload.MediaRefusedError:
        return None, "grv_error_photo_type"
    if checked.kind != "image":
        return None, "grv_error_photo_type"
    try:
        media_id = await media_upload.upload(checked)
    except (media_upload.UploadError, OSError, ValueError) as exc:  # Meta away, settings missing
        log.warning("could not store a resolution's photo in the media store: %s", exc)
        return None, "grv_error_photo_upload_failed"
    return media_upload.as_media(checked, media_id), ""


@router.post("/grievances/{tracking_id}/reject")
async def reject(request: Request, tracking_id: str) -> Response:
    def work(session: Session, acting: Worker, grievance: models.Grievance, form: Form) -> Any:
        return grievance_work.reject(session, acting, grievance, form.get("reason", ""))

    return await act(request, tracking_id, "grievance.reject", work, _nothing)


@router.post("/grievances/{tracking_id}/transfer")
async def transfer(request: Request, tracking_id: str) -> Response:
    def work(session: Session, acting: Worker, grievance: models.Grievance, form: Form) -> Any:
        department = form.get("department", "")
        return grievance_work.transfer(session, acting, grievance, department, form.get("reason", ""), current_catalog(session))

    return await act(request, tracking_id, "grievance.transfer", work, lambda form: form.get("department", ""))


@router.post("/grievances/{tracking_id}/notes")
async def add_note(request: Request, tracking_id: str) -> Response:
    def work(session: Session, acting: Worker, grievance: models.Grievance, form: Form) -> Any:
        return grievance_work.add_note(session, acting, grievance, form.get("text", ""))

    return await act(request, tracking_id, "grievance.note", work, _nothing)


@router.post("/grievances/{tracking_id}/appeal-decision")
async def decide_appeal(request: Request, tracking_id: str) -> Response:
    """A supervisor decides an appeal (the citizen is told the decision)."""

    def work(session: Session, acting: Worker, grievance: models.Grievance, form: Form) -> Any:
        if not acting.supervisor:
            raise WorkError(ILLEGAL)
        decision = form.get("decision", "").strip()
        if not decision:
            raise WorkError("grv_error_needs_text")
        if len(decision) > grievance_work.MAX_TEXT:
            raise WorkError("grv_error_too_long")
        return acting.move(session, grievance.tracking_id, "appeal_decided", decision, by=acting.name, actor=acting.actor)

    return await act(request, tracking_id, "grievance.appeal_decision", work, _nothing)

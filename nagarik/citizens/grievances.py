"""Grievances: filing with routing and deadline, near-duplicate detection, evidence only as the
WhatsApp channel stored it, and lookup by the filer."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from nagarik import db
from nagarik.catalog.office_hours import add_working_days, local_now
from nagarik.citizens import grievance_lifecycle as lifecycle
from nagarik.db import models
from nagarik.shared import clock
from nagarik.shared.catalog import Catalog
from nagarik.shared.text import named_in_text, normalise_place, similar_places
from whatsapp.cloud.media import stored_evidence
from whatsapp.cloud.settings import evidence_dir

DUPLICATE_WINDOW = dt.timedelta(hours=24)
# Aliases of the lifecycle's names, for the callers that know them by these
STATUSES = lifecycle.STATES
OPEN_STATUSES = lifecycle.OPEN_STATES  # grievances the office still works on (their evidence stays, they count as open)
Grievance = models.Grievance  # the record callers outside the services (actions) name in type hints
EVIDENCE_FILE = "file:"  # evidence_ref prefix of a file in the channel's evidence store (WHATSAPP_EVIDENCE_DIR)


@dataclass(frozen=True)
class Filing:
    grievance: models.Grievance
    duplicate: bool  # True: an existing grievance was returned and nothing new was filed


def category_in_text(catalog: Catalog, text: str) -> str | None:
    return named_in_text(text, catalog.grievance_categories)


def attachable(evidence: str | None, directory: Path | None = None) -> bool:
    """Whether evidence may go with a grievance: none, the citizen's words, or a file the channel
    stored (its own name for it, in its evidence directory). Never a path or a name typed in:
    anyone can type `/inform{"media_ref": ...}` or `file:...`."""
    if evidence is None or not evidence.startswith(EVIDENCE_FILE):
        return True
    return stored_evidence(evidence[len(EVIDENCE_FILE) :], directory or evidence_dir()) is not None


def ward_in_text(catalog: Catalog, text: str) -> str | None:
    return named_in_text(text, catalog.wards)


# A pin further than this from every ward's centre is outside the office's area.
MAX_WARD_DISTANCE_KM = 5.0


def nearest_ward(catalog: Catalog, latitude: float, longitude: float) -> str | None:
    """The ward whose centre is nearest a location pin (haversine distance)."""
    best: tuple[float, str] | None = None
    for ward in catalog.wards:
        lat1, lon1, lat2, lon2 = map(math.radians, (latitude, longitude, *ward.centroid))
        a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
        distance = 2 * 6371.0 * math.asin(math.sqrt(a))
        if best is None or distance < best[0]:
            best = (distance, ward.key)
    return best[1] if best and best[0] <= MAX_WARD_DISTANCE_KM else None


def find_near_duplicate(session: Session, phone: str, category: str, location: str, now: dt.datetime) -> models.Grievance | None:
    """The same sender, category and (nearly) the same place within 24 hours."""
    candidates = session.execute(
        select(models.Grievance)
        .where(
            models.Grievance.phone == phone,
            models.Grievance.category_key == category,
            models.Grievance.created_at > now - DUPLICATE_WINDOW,
        )
        .order_by(models.Grievance.created_at.desc())
    ).scalars()
    for grievance in candidates:
        if similar_places(grievance.location_text, location):
            return grievance
    return None


def file_grievance(
    session: Session,
    catalog: Catalog,
    *,
    phone: str,
    category: str,
    description: str,
    location: str,
    language: str,
    evidence: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    now: dt.datetime | None = None,
) -> Filing:
    """Store a grievance with a tracking ID, routed to its department, due after the SLA."""
    now = now or clock.utcnow()
    category_row = catalog.category(category)
    if category_row is None:
        raise ValueError(f"unknown grievance category {category}")
    if not attachable(evidence):
        raise ValueError("the evidence is not a file the WhatsApp channel stored")
    existing = find_near_duplicate(session, phone, category, location, now)
    if existing is not None:
        return Filing(existing, duplicate=True)

    today = local_now(catalog, now).date()
    number = db.next_number(session, f"grievance-{today.year}")
    grievance = models.Grievance(
        tracking_id=f"GRV-{today.year}-{number:06d}",
        phone=phone,
        category_key=category,
        department_key=category_row.department,
        description=description.strip(),
        location_text=location.strip(),
        location_key=normalise_place(location),
        ward_key=nearest_ward(catalog, latitude, longitude)
        if latitude is not None and longitude is not None
        else ward_in_text(catalog, location),
        latitude=latitude,
        longitude=longitude,
        evidence_ref=evidence,
        language=language,
        status="registered",
        created_at=now,
        due_on=add_working_days(catalog, today, category_row.sla_days),
    )
    # No note: the history shows the status itself, in the reply language.
    grievance.events.append(models.GrievanceEvent(status="registered", note="", changed_by="citizen", created_at=now))
    session.add(grievance)
    session.flush()
    return Filing(grievance, duplicate=False)


def grievance_for_filer(session: Session, tracking_id: str, phone: str) -> models.Grievance | None:
    """A grievance only if this phone filed it; otherwise None, exactly as if it did not exist."""
    return session.execute(
        select(models.Grievance)
        .options(selectinload(models.Grievance.events))
        .where(models.Grievance.tracking_id == tracking_id, models.Grievance.phone == phone)
    ).scalar_one_or_none()


def recent_grievances(session: Session, phone: str, limit: int = 5) -> list[models.Grievance]:
    return list(
        session.execute(
            select(models.Grievance)
            .where(models.Grievance.phone == phone)
            .order_by(models.Grievance.created_at.desc(), models.Grievance.id.desc())
            .limit(limit)
        ).scalars()
    )


def change_status(
    session: Session,
    tracking_id: str,
    status: str,
    note: str = "",
    now: dt.datetime | None = None,
    *,
    by: str,
    actor: str = "official",
) -> models.Grievance:
    """Officials move a grievance along, as the lifecycle allows `actor` (IllegalTransition if not);
    every change is kept as history, with who made it (`by`)."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status}; use one of {', '.join(STATUSES)}")
    grievance = grievance_by_tracking_id(session, tracking_id)
    if grievance is None:
        raise KeyError(tracking_id)
    lifecycle.transition(session, grievance, status, by=by, actor=actor, remark=note, now=now)
    return grievance


def grievances_in(
    session: Session, departments: list[str] | None, status: str | None = None, limit: int = 200
) -> list[models.Grievance]:
    """The newest grievances of these departments (None: every department), optionally of one status."""
    query = select(models.Grievance).order_by(models.Grievance.created_at.desc()).limit(limit)
    if departments is not None:
        query = query.where(models.Grievance.department_key.in_(departments))
    if status:
        query = query.where(models.Grievance.status == status)
    return list(session.execute(query).scalars())


def open_count_in(session: Session, departments: list[str] | None) -> int:
    """Grievances not yet resolved, closed or rejected, in these departments (None: all)."""
    query = select(func.count()).select_from(models.Grievance).where(models.Grievance.status.in_(OPEN_STATUSES))
    if departments is not None:
        query = query.where(models.Grievance.department_key.in_(departments))
    return session.execute(query).scalar_one()


def grievance_by_tracking_id(session: Session, tracking_id: str) -> models.Grievance | None:
    query = select(models.Grievance).where(models.Grievance.tracking_id == tracking_id)
    query = query.options(selectinload(models.Grievance.events))
    return session.execute(query).scalar_one_or_none()

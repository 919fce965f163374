""" "Me too": a citizen about to file a problem the office is already working on (another citizen's
open grievance of the same category at the same place) may join that grievance instead. A joined
citizen counts as one more reporter (officials see "reported by N citizens") and is told of its
status changes like the filer (nagarik.outbound.notifications.grievance_moved), each in their language.

The same place: the same ward and pins within MATCH_DISTANCE_M of each other when both grievances
have a pin (the pin decides then: the words of two pins, "📍 12.93000, 77.58000", look alike even
far apart), otherwise the same landmark as the citizen wrote it (nagarik.shared.text.similar_places),
never across two different wards.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nagarik.citizens import grievances
from nagarik.db import models
from nagarik.shared import clock
from nagarik.shared.catalog import Catalog
from nagarik.shared.text import similar_places

MATCH_DISTANCE_M = 100.0
EARTH_RADIUS_M = 6_371_000.0
CANDIDATES = 500  # open grievances of one category and ward looked at, newest first
FORGOTTEN = ("erased:", "purged:")  # a reporter's number replaced by an erasure or the retention purge


class JoinRefusedError(ValueError):
    """Joining refused: `reason` is "own" (the filer) or "not_open" (resolved, closed or rejected since)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"cannot join this grievance: {reason}")


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in metres."""
    p1, q1, p2, q2 = map(math.radians, (lat1, lon1, lat2, lon2))
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((q2 - q1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def ward_of(catalog: Catalog, latitude: float | None, longitude: float | None, location_text: str) -> str | None:
    """The ward a grievance about to be filed will get (as grievances.file_grievance decides it)."""
    if latitude is not None and longitude is not None:
        return grievances.nearest_ward(catalog, latitude, longitude)
    return grievances.ward_in_text(catalog, location_text)


def matching_open_grievance(
    session: Session,
    catalog: Catalog,
    *,
    category: str,
    ward_key: str | None,
    latitude: float | None,
    longitude: float | None,
    location_text: str,
    exclude_phone: str,
) -> models.Grievance | None:
    """Another citizen's open grievance of this category at this place, or None.

    Order: among pin matches the nearest (the likeliest the same streetlight or pothole), newest
    first on a tie; pin matches before landmark matches; among landmark matches the newest."""
    if ward_key is None and latitude is not None and longitude is not None:
        ward_key = grievances.nearest_ward(catalog, latitude, longitude)
    row = models.Grievance
    query = (
        select(row)
        .where(
            row.category_key == category,
            row.status.in_(grievances.OPEN_STATUSES),
            row.phone != exclude_phone,
        )
        .order_by(row.created_at.desc(), row.id.desc())
        .limit(CANDIDATES)
    )
    if ward_key is not None:  # a grievance without a ward may still match by its landmark
        query = query.where(or_(row.ward_key == ward_key, row.ward_key.is_(None)))
    pinned = latitude is not None and longitude is not None
    by_pin: list[tuple[float, int, models.Grievance]] = []
    by_text: models.Grievance | None = None
    for position, grievance in enumerate(session.execute(query).scalars()):
        if ward_key is not None and grievance.ward_key is not None and grievance.ward_key != ward_key:
            continue
        if pinned and grievance.latitude is not None and grievance.longitude is not None:
            distance = distance_m(latitude, longitude, grievance.latitude, grievance.longitude)  # type: ignore[arg-type]
            if distance <= MATCH_DISTANCE_M and grievance.ward_key == ward_key:
                by_pin.append((distance, position, grievance))
        elif by_text is None and similar_places(grievance.location_text, location_text):
            by_text = grievance
    if by_pin:
        return min(by_pin, key=lambda found: found[:2])[2]
    return by_text


def join(
    session: Session, grievance: models.Grievance, phone: str, language: str, now: dt.datetime | None = None
) -> models.GrievanceReporter:
    """Record `phone` as one more reporter of an open grievance; joining again changes nothing
    (the first join stands). JoinRefusedError for the filer, or once the grievance is no longer open."""
    if phone == grievance.phone:
        raise JoinRefusedError("own")
    row = models.GrievanceReporter
    existing = session.execute(select(row).where(row.grievance_id == grievance.id, row.phone == phone)).scalar_one_or_none()
    if existing is not None:
        return existing
    if grievance.status not in grievances.OPEN_STATUSES:
        raise JoinRefusedError("not_open")
    reporter = row(grievance_id=grievance.id, phone=phone, language=language, joined_at=now or clock.utcnow())
    try:
        with session.begin_nested():  # the same citizen tapping Yes twice at once: one row stands
            session.add(reporter)
    except IntegrityError:
        return session.execute(select(row).where(row.grievance_id == grievance.id, row.phone == phone)).scalar_one()
    session.refresh(grievance, ["reporters"])
    return reporter


def reporter_count(grievance: models.Grievance) -> int:
    """The filer and every citizen who joined (forgotten numbers still count: they did report it)."""
    return 1 + len(grievance.reporters)


def reporter_counts(session: Session, grievance_ids: list[int]) -> dict[int, int]:
    """reporter_count for many grievances in one query (a queue page): id -> count."""
    row = models.GrievanceReporter
    joined: dict[int, int] = {}
    if grievance_ids:
        query = select(row.grievance_id, func.count()).where(row.grievance_id.in_(grievance_ids)).group_by(row.grievance_id)
        joined = {grievance_id: count for grievance_id, count in session.execute(query).tuples()}
    return {grievance_id: 1 + joined.get(grievance_id, 0) for grievance_id in grievance_ids}


def followers(session: Session, grievance: models.Grievance) -> list[tuple[str, str]]:
    """(phone, language) of the citizens who joined, in the order they joined; forgotten numbers
    are left out (nobody to tell)."""
    row = models.GrievanceReporter
    query = select(row.phone, row.language).where(row.grievance_id == grievance.id).order_by(row.id)
    return [(phone, language) for phone, language in session.execute(query).tuples() if not phone.startswith(FORGOTTEN)]


def followers_of(session: Session, grievance_ids: list[int]) -> dict[int, list[str]]:
    """followers' phones for many grievances in one query per thousand (the SLA sweep): id -> phones."""
    row = models.GrievanceReporter
    phones: dict[int, list[str]] = {}
    for start in range(0, len(grievance_ids), 1_000):
        batch = grievance_ids[start : start + 1_000]
        query = select(row.grievance_id, row.phone).where(row.grievance_id.in_(batch)).order_by(row.id)
        for grievance_id, phone in session.execute(query).tuples():
            if not phone.startswith(FORGOTTEN):
                phones.setdefault(grievance_id, []).append(phone)
    return phones

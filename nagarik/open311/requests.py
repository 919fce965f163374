"""The GeoReport v2 service: the catalog's grievance categories as services, service requests filed
as ordinary grievances (nagarik.citizens.grievances.file_grievance: the same tracking IDs, routing,
deadlines and console queue), and the public view of grievances, with no personal data in it.

Records are plain dicts with the spec's field names; nagarik.open311.formats writes them out. A
request the spec refuses raises Open311Error with the spec's code (400, 403, 404).

The phone a request gives is the citizen to tell on WhatsApp only if that number has consented: it
has spoken to us on WhatsApp and been shown the privacy notice (Citizen.notice_version, set by
nagarik.citizens.subscriptions.notice_shown) and has not said STOP. Only then is it the grievance's
`phone`, to which status changes are notified (nagarik.outbound.notifications). Any other number is
kept, for the officials, as `contact_phone`, and the grievance's `phone` is the filing system's
placeholder (PLACEHOLDER), which no notification reaches as a citizen.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from nagarik.citizens import grievances
from nagarik.db import models
from nagarik.open311.formats import Open311Error
from nagarik.shared import clock
from nagarik.shared.catalog import Catalog, GrievanceCategory

LONGEST_DESCRIPTION = 4000  # the spec's limit
LONGEST_ADDRESS = 500
LONGEST_URL = 2000
LONGEST_NAME = 128
LARGEST_WINDOW = dt.timedelta(days=90)  # start_date .. end_date, and the default window
MOST_REQUESTS = 1000  # the spec's default cap on GET requests
WARD_ATTRIBUTE = "ward"
PLACEHOLDER = "open311:{who}"  # a grievance's phone when no consenting citizen is named (not a number)
PHONE_DIGITS = re.compile(r"\d{10,15}")
SERVICE_NOTICE = "Due by {due} (office working days). Track it with {tracking_id}."
LANGUAGE = "en"  # Open311 says nothing of language; a consenting citizen's own language wins


# --- services --------------------------------------------------------------------------------------


def services(catalog: Catalog) -> list[dict[str, Any]]:
    """GET services: every grievance category, with its department as the group."""
    return [
        {
            "service_code": category.key,
            "service_name": category.names["en"],
            "description": f"{category.names['en']}: {catalog.department(category.department).name['en']}, "
            f"resolved within {category.sla_days} working days",
            "metadata": True,  # every service has the ward attribute
            "type": "realtime",  # POST answers the service_request_id at once
            "keywords": ", ".join(category.synonyms[:8]),
            "group": catalog.department(category.department).name["en"],
        }
        for category in catalog.grievance_categories
    ]


def _category(catalog: Catalog, code: str | None) -> GrievanceCategory:
    if not code:
        raise Open311Error(400, "service_code is required")
    category = catalog.category(code)
    if category is None:
        raise Open311Error(404, f"service_code {code!r} not found")
    return category


def attributes(catalog: Catalog) -> list[dict[str, Any]]:
    """The catalog gives its categories no questions of their own, so every service asks what a
    grievance needs beyond the spec's fields: the ward (it routes the grievance and its alerts)."""
    return [
        {
            "variable": True,
            "code": WARD_ATTRIBUTE,
            "datatype": "singlevaluelist",
            "required": True,
            "datatype_description": "one of the keys listed",
            "order": 1,
            "description": "Which ward is it in?",
            "values": [{"key": ward.key, "name": f"{ward.names['en']} (ward {ward.number})"} for ward in catalog.wards],
        }
    ]


def definition(catalog: Catalog, code: str) -> dict[str, Any]:
    """GET services/{code}: the service's attributes."""
    category = _category(catalog, code)
    return {"service_code": category.key, "attributes": attributes(catalog)}


# --- a new request ---------------------------------------------------------------------------------


def _text(form: Mapping[str, str], name: str, longest: int) -> str | None:
    value = (form.get(name) or "").strip()
    if len(value) > longest:
        raise Open311Error(400, f"{name}: at most {longest:,} characters (this has {len(value):,})")
    return value or None


def _coordinate(form: Mapping[str, str], name: str, bound: float) -> float | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, f"{name}: not a number") from None
    if not -bound <= value <= bound:  # NaN fails this too
        raise Open311Error(400, f"{name}: must be between -{bound:g} and {bound:g}")
    return value


def _location(form: Mapping[str, str]) -> tuple[str, float | None, float | None]:
    """The place as the grievance keeps it: address_string if given, else the pin written out."""
    latitude, longitude = _coordinate(form, "lat", 90), _coordinate(form, "long", 180)
    address = _text(form, "address_string", LONGEST_ADDRESS)
    if (latitude is None) != (longitude is None):
        raise Open311Error(400, "lat and long go together: give both, or address_string")
    if latitude is None and address is None:
        raise Open311Error(400, "a location is required: lat and long, or address_string")
    return address or f"{latitude:.6f}, {longitude:.6f}", latitude, longitude


def _ward(catalog: Catalog, form: Mapping[str, str]) -> str:
    given = (form.get(f"attribute[{WARD_ATTRIBUTE}]") or "").strip()
    if not given:
        raise Open311Error(400, f"attribute[{WARD_ATTRIBUTE}] is required")
    if catalog.ward(given) is None:
        raise Open311Error(400, f"attribute[{WARD_ATTRIBUTE}]: {given!r} is not one of the listed values")
    return given


def _media_url(form: Mapping[str, str]) -> str | None:
    url = _text(form, "media_url", LONGEST_URL)
    if url is not None and not url.lower().startswith(("https://", "http://")):
        raise Open311Error(400, "media_url: an http or https URL")
    return url  # kept as text for the officials; never fetched


def normalised_phone(raw: str | None) -> str | None:
    """A phone as WhatsApp numbers are kept (country code, digits only); ten digits are Indian."""
    if not raw or not raw.strip():
        return None
    digits = re.sub(r"[\s().-]", "", raw.strip()).removeprefix("+")
    if len(digits) == 10:
        digits = f"91{digits}"
    if not PHONE_DIGITS.fullmatch(digits):
        raise Open311Error(400, "phone: a phone number with its country code")
    return digits


def consenting_citizen(session: Session, phone: str | None) -> models.Citizen | None:
    """The citizen with this number, if they may be told on WhatsApp (see the module's docstring)."""
    citizen = session.get(models.Citizen, phone) if phone else None
    if citizen is None or citizen.notice_version is None or citizen.opted_out_at is not None:
        return None
    return citizen


def create(
    session: Session, catalog: Catalog, form: Mapping[str, str], *, who: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    """POST requests (the api_key already checked, `who` its holder): file the grievance."""
    now = now or clock.utcnow()
    category = _category(catalog, (form.get("service_code") or "").strip())
    location, latitude, longitude = _location(form)
    ward = _ward(catalog, form)
    description = _text(form, "description", LONGEST_DESCRIPTION) or ""
    media_url = _media_url(form)
    phone = normalised_phone(form.get("phone"))
    name = " ".join(part for part in (_text(form, "first_name", 64), _text(form, "last_name", 64)) if part) or None
    citizen = consenting_citizen(session, phone)
    filing = grievances.file_grievance(
        session,
        catalog,
        phone=citizen.phone if citizen else PLACEHOLDER.format(who=who)[:32],
        category=category.key,
        description=description,
        location=location,
        language=(citizen.language if citizen and citizen.language else LANGUAGE),
        evidence=media_url,
        latitude=latitude,
        longitude=longitude,
        now=now,
    )
    grievance = filing.grievance
    if not filing.duplicate:
        grievance.ward_key = ward  # the filer chose it from the list: it wins over the nearest centre
        grievance.source = "open311"
        grievance.contact_phone = phone
        grievance.contact_name = name[:LONGEST_NAME] if name else None
        grievance.events[0].changed_by = who  # the filing system, not a citizen in the chat
        session.flush()
    return {"service_request_id": grievance.tracking_id, "service_notice": notice(grievance), "account_id": None}


def notice(grievance: models.Grievance) -> str:
    return SERVICE_NOTICE.format(due=grievance.due_on.isoformat(), tracking_id=grievance.tracking_id)


# --- reading requests ------------------------------------------------------------------------------


def moment(value: str | None, name: str, zone: ZoneInfo) -> dt.datetime | None:
    """An ISO 8601 date or time as naive UTC; without an offset, the office's time."""
    if not value or not value.strip():
        return None
    text = value.strip()
    text = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text  # Python 3.10 reads no Z
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(400, f"{name}: not an ISO 8601 date or time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)


def window(start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The spec's date range: at most 90 days; by default the last 90 days."""
    if start is None and end is None:
        return now - LARGEST_WINDOW, now
    if start is None:
        return end - LARGEST_WINDOW, end
    if end is None:
        return start, start + LARGEST_WINDOW
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end - start > LARGEST_WINDOW:
        raise Open311Error(400, "start_date and end_date may be at most 90 days apart")
    return start, end


def _iso(moment_utc: dt.datetime, zone: ZoneInfo) -> str:
    return moment_utc.replace(tzinfo=dt.timezone.utc).astimezone(zone).isoformat(timespec="seconds")


def public_record(catalog: Catalog, grievance: models.Grievance) -> dict[str, Any]:
    """A grievance as anyone may see it: no phone, no name, the description as filed, and a media_url
    only if one was given through Open311 (a photo sent on WhatsApp stays with the officials)."""
    zone = ZoneInfo(catalog.office.timezone)
    category = catalog.category(grievance.category_key)
    updated = max(grievance.created_at, grievance.updated_at or grievance.created_at)  # bumped by every change
    evidence = grievance.evidence_ref or ""
    expected = dt.datetime.combine(grievance.due_on, catalog.office.closes, tzinfo=zone)
    return {
        "service_request_id": grievance.tracking_id,
        "status": "open" if grievance.status in grievances.OPEN_STATUSES else "closed",
        "status_notes": None,  # an official's note may name people: not published
        "service_name": category.names["en"] if category else grievance.category_key,
        "service_code": grievance.category_key,
        "description": grievance.description,
        "agency_responsible": catalog.department(grievance.department_key).name["en"],
        "service_notice": notice(grievance),
        "requested_datetime": _iso(grievance.created_at, zone),
        "updated_datetime": _iso(updated, zone),
        "expected_datetime": expected.isoformat(timespec="seconds"),
        "address": grievance.location_text,
        "address_id": None,
        "zipcode": None,
        "lat": grievance.latitude,
        "long": grievance.longitude,
        "media_url": evidence if grievance.source == "open311" and evidence.startswith(("http://", "https://")) else None,
    }


def one(session: Session, catalog: Catalog, request_id: str) -> dict[str, Any]:
    """GET requests/{id}."""
    grievance = grievances.grievance_by_tracking_id(session, request_id)
    if grievance is None:
        raise Open311Error(404, f"service_request_id {request_id!r} not found")
    return public_record(catalog, grievance)


def query(session: Session, catalog: Catalog, params: Mapping[str, str], now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """GET requests: by service_request_id (a comma list; the other filters then do not apply, as
    the spec says), else by service_code, status and date range, newest first, at most 1000."""
    now = now or clock.utcnow()
    row = models.Grievance
    ids = [part.strip() for part in (params.get("service_request_id") or "").split(",") if part.strip()]
    if ids:
        found = session.execute(select(row).where(row.tracking_id.in_(ids[:MOST_REQUESTS]))).scalars()
        by_id = {grievance.tracking_id: grievance for grievance in found}
        return [public_record(catalog, by_id[key]) for key in dict.fromkeys(ids) if key in by_id]
    zone = ZoneInfo(catalog.office.timezone)
    start, end = window(
        moment(params.get("start_date"), "start_date", zone), moment(params.get("end_date"), "end_date", zone), now
    )
    chosen = select(row).where(row.created_at >= start, row.created_at <= end)
    codes = [part.strip() for part in (params.get("service_code") or "").split(",") if part.strip()]
    unknown = [code for code in codes if catalog.category(code) is None]
    if unknown:
        raise Open311Error(404, f"service_code {unknown[0]!r} not found")
    if codes:
        chosen = chosen.where(row.category_key.in_(codes))
    status = (params.get("status") or "").strip()
    if status == "open":
        chosen = chosen.where(row.status.in_(grievances.OPEN_STATUSES))
    elif status == "closed":
        chosen = chosen.where(row.status.not_in(grievances.OPEN_STATUSES))
    elif status:
        raise Open311Error(400, "status: open or closed")
    chosen = chosen.order_by(row.created_at.desc(), row.id.desc()).limit(MOST_REQUESTS)
    return [public_record(catalog, grievance) for grievance in session.execute(chosen).scalars()]


def token(session: Session, token_id: str) -> dict[str, Any]:
    """GET tokens/{token}: requests are answered at once, so a request's token is its own id."""
    if grievances.grievance_by_tracking_id(session, token_id) is None:
        raise Open311Error(404, f"token {token_id!r} not found")
    return {"service_request_id": token_id, "token": token_id}

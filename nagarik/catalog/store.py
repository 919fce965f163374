"""The catalog in the database: written from the seed files, read back as a `Catalog`.

Actions read the catalog from the database on every question, so an office that edits
`seed/catalog.yml` and runs `make seed` changes answers at once, with no retraining.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nagarik import db, settings
from nagarik.db import models
from nagarik.shared import clock
from nagarik.shared.catalog import (
    DEFAULT_APPELLATE,
    Authority,
    Catalog,
    Department,
    GrievanceCategory,
    Holiday,
    Language,
    Office,
    SampleApplication,
    Service,
    Stage,
    Ward,
    ladder_as_list,
    ladder_from_list,
    parse_applications,
    parse_catalog,
)

REVISION_COUNTER = "catalog-revision"  # bumped on every write, so readers know when to reload
_cache: dict[str, tuple[int, Catalog]] = {}  # database URL -> (revision, catalog)


def write_catalog(session: Session, catalog: Catalog) -> None:
    """Upsert every catalog row; holidays are replaced wholesale (they are only dates)."""
    office = catalog.office
    session.merge(
        models.OfficeRow(
            key=office.key,
            name=office.name,
            address=office.address,
            phone=office.phone,
            email=office.email,
            hours=office.hours,
            open_days=list(office.open_days),
            closed_saturdays=list(office.closed_saturdays),
            opens=office.opens.strftime("%H:%M"),
            closes=office.closes.strftime("%H:%M"),
            timezone=office.timezone,
            appellate=office.appellate.as_dict(),
        )
    )
    for language in catalog.languages:
        session.merge(models.LanguageRow(key=language.key, name=language.name, synonyms=list(language.synonyms)))
    session.execute(delete(models.HolidayRow))
    for holiday in catalog.holidays:
        session.add(models.HolidayRow(date=holiday.date, name=holiday.name))
    for department in catalog.departments:
        session.merge(models.DepartmentRow(key=department.key, name=department.name, phone=department.phone))
    session.flush()
    for position, service in enumerate(catalog.services):
        session.merge(
            models.ServiceRow(
                key=service.key,
                position=position,
                department_key=service.department,
                application_prefix=service.application_prefix,
                processing_days=service.processing_days,
                names=service.names,
                synonyms=list(service.synonyms),
                documents=service.documents,
                steps=service.steps,
                fee=service.fee,
                processing_time=service.processing_time,
                where_to_apply=service.where,
                deadline=service.deadline,
            )
        )
    for position, category in enumerate(catalog.grievance_categories):
        session.merge(
            models.GrievanceCategoryRow(
                key=category.key,
                position=position,
                department_key=category.department,
                sla_days=category.sla_days,
                names=category.names,
                synonyms=list(category.synonyms),
                escalation=ladder_as_list(category.escalation),
            )
        )
    for ward in catalog.wards:
        session.merge(
            models.WardRow(
                key=ward.key,
                number=ward.number,
                names=ward.names,
                synonyms=list(ward.synonyms),
                latitude=ward.centroid[0],
                longitude=ward.centroid[1],
            )
        )
    for position, stage in enumerate(catalog.stages):
        session.merge(
            models.StageRow(key=stage.key, position=position, names=stage.names, next_step=stage.next_step, done=stage.done)
        )
    db.next_number(session, REVISION_COUNTER)


def write_applications(session: Session, applications: list[SampleApplication]) -> None:
    for item in applications:
        session.merge(
            models.Application(
                number=item.number,
                service_key=item.service,
                applicant_name=item.applicant,
                phone=item.phone,
                date_of_birth=item.date_of_birth,
                stage_key=item.stage,
                submitted_on=item.submitted_on,
                expected_on=item.expected_on,
            )
        )


def seed(session: Session, seed_dir: Path = settings.SEED_DIR, samples: Path | None = None) -> Catalog:
    """Load the catalog (seed/catalog.yml) and the sample applications (applications.yml of
    `samples`, by default settings.sample_dir()) into the database."""
    catalog = parse_catalog(seed_dir / "catalog.yml")
    write_catalog(session, catalog)
    session.flush()
    write_applications(session, parse_applications((samples or settings.sample_dir()) / "applications.yml", catalog))
    return catalog


def current_catalog(session: Session) -> Catalog:
    """The catalog, read again only when `make seed` (or an official's edit) has changed it."""
    revision = session.get(models.Counter, REVISION_COUNTER)
    number = revision.value if revision else 0
    url = str(session.get_bind().url)
    cached = _cache.get(url)
    if cached is None or cached[0] != number:
        cached = _cache[url] = (number, read_catalog(session))
        clock.use_office_timezone(cached[1].office.timezone)
    return cached[1]


def read_catalog(session: Session) -> Catalog:
    """The catalog as the database holds it now."""
    office_row = session.execute(select(models.OfficeRow)).scalars().first()
    if office_row is None:
        raise RuntimeError("the catalog is not loaded: run `make seed`")
    office = Office(
        key=office_row.key,
        name=office_row.name,
        address=office_row.address,
        phone=office_row.phone,
        email=office_row.email,
        hours=office_row.hours,
        open_days=tuple(office_row.open_days),
        closed_saturdays=tuple(office_row.closed_saturdays),
        opens=dt.time.fromisoformat(office_row.opens),
        closes=dt.time.fromisoformat(office_row.closes),
        timezone=office_row.timezone,
        appellate=Authority.from_dict(office_row.appellate) if office_row.appellate else DEFAULT_APPELLATE,
    )
    return Catalog(
        office=office,
        languages=tuple(
            Language(row.key, row.name, tuple(row.synonyms))
            for row in session.execute(select(models.LanguageRow).order_by(models.LanguageRow.key)).scalars()
        ),
        holidays=tuple(
            Holiday(row.date, row.name)
            for row in session.execute(select(models.HolidayRow).order_by(models.HolidayRow.date)).scalars()
        ),
        departments=tuple(
            Department(row.key, row.name, row.phone)
            for row in session.execute(select(models.DepartmentRow).order_by(models.DepartmentRow.key)).scalars()
        ),
        services=tuple(
            Service(
                key=row.key,
                department=row.department_key,
                application_prefix=row.application_prefix,
                processing_days=row.processing_days,
                names=row.names,
                synonyms=tuple(row.synonyms),
                documents=row.documents,
                steps=row.steps,
                fee=row.fee,
                processing_time=row.processing_time,
                where=row.where_to_apply,
                deadline=row.deadline,
            )
            for row in session.execute(select(models.ServiceRow).order_by(models.ServiceRow.position)).scalars()
        ),
        grievance_categories=tuple(
            GrievanceCategory(
                row.key,
                row.department_key,
                row.sla_days,
                row.names,
                tuple(row.synonyms),
                ladder_from_list(row.escalation, row.sla_days),
            )
            for row in session.execute(
                select(models.GrievanceCategoryRow).order_by(models.GrievanceCategoryRow.position)
            ).scalars()
        ),
        wards=tuple(
            Ward(row.key, row.number, row.names, tuple(row.synonyms), (row.latitude, row.longitude))
            for row in session.execute(select(models.WardRow).order_by(models.WardRow.number)).scalars()
        ),
        stages=tuple(
            Stage(row.key, row.names, row.next_step, row.done)
            for row in session.execute(select(models.StageRow).order_by(models.StageRow.position)).scalars()
        ),
    )

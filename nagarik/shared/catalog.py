"""The office's service catalog: loading and validating `seed/catalog.yml`.

Pure Python and PyYAML only, because both environments import it: the action server (to seed
the database) and the Rasa environment (to build the spaCy entity ruler).
Every error names the file and line, so an office clerk can fix the file without reading code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nagarik.shared.seed_files import LANGUAGES, Reader, SeedFileError, Text, load_yaml, mappings, unique

# The catalog's own name for a seed file it cannot use (callers catch SeedFileError).

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# CPGRAMS's defaults where a grievance category says nothing: 21 working days to resolve, then up
# to the department's head at the deadline and to the supervisor a week of working days later.
DEFAULT_SLA_DAYS = 21
DEFAULT_SECOND_LEVEL_AFTER = 7
# Whom a grievance may be escalated (or appealed) to, besides a named officer (a console username).
AUTHORITY_ROLES = ("department_head", "supervisor", "commissioner")
MAX_ESCALATION_LEVELS = 5


@dataclass(frozen=True)
class Authority:
    """A role of the office, or one named officer (their console username)."""

    role: str | None = None
    officer: str | None = None

    def describe(self) -> str:
        return f"officer {self.officer}" if self.officer else str(self.role)

    def as_dict(self) -> dict[str, str]:
        return {"officer": self.officer} if self.officer else {"role": str(self.role)}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Authority:
        return cls(role=data.get("role"), officer=data.get("officer"))


DEFAULT_APPELLATE = Authority(role="commissioner")


@dataclass(frozen=True)
class EscalationLevel:
    """Level n of a category's ladder: `days` working days after filing, the grievance goes to `to`."""

    level: int
    days: int
    to: Authority


def default_ladder(sla_days: int) -> tuple[EscalationLevel, ...]:
    return (
        EscalationLevel(1, sla_days, Authority(role="department_head")),
        EscalationLevel(2, sla_days + DEFAULT_SECOND_LEVEL_AFTER, Authority(role="supervisor")),
    )


def ladder_as_list(ladder: tuple[EscalationLevel, ...]) -> list[dict[str, Any]]:
    """The ladder as the database keeps it (grievance_categories.escalation)."""
    return [{"days": level.days, **level.to.as_dict()} for level in ladder]


def ladder_from_list(items: list[dict[str, Any]] | None, sla_days: int) -> tuple[EscalationLevel, ...]:
    if not items:
        return default_ladder(sla_days)
    return tuple(EscalationLevel(n, int(item["days"]), Authority.from_dict(item)) for n, item in enumerate(items, start=1))


@dataclass(frozen=True)
class Office:
    key: str
    name: Text
    address: Text
    phone: str
    email: str
    hours: Text
    open_days: tuple[str, ...]
    closed_saturdays: tuple[int, ...]
    opens: dt.time
    closes: dt.time
    timezone: str
    appellate: Authority = DEFAULT_APPELLATE  # who decides citizens' appeals, office-wide


@dataclass(frozen=True)
class Holiday:
    date: dt.date
    name: Text


@dataclass(frozen=True)
class Department:
    key: str
    name: Text
    phone: str


@dataclass(frozen=True)
class Service:
    key: str
    department: str
    application_prefix: str
    processing_days: int
    names: Text
    synonyms: tuple[str, ...]
    documents: dict[str, list[str]]
    steps: dict[str, list[str]]
    fee: Text
    processing_time: Text
    where: Text
    deadline: Text | None = None  # the last date to apply, pay or renew ("what is the last date?")


@dataclass(frozen=True)
class GrievanceCategory:
    key: str
    department: str
    sla_days: int
    names: Text
    synonyms: tuple[str, ...]
    escalation: tuple[EscalationLevel, ...] = ()  # the ladder, lowest level first (default_ladder if none given)

    def __post_init__(self) -> None:
        if not self.escalation:
            object.__setattr__(self, "escalation", default_ladder(self.sla_days))


@dataclass(frozen=True)
class Ward:
    key: str
    number: int
    names: Text
    synonyms: tuple[str, ...]
    centroid: tuple[float, float]


@dataclass(frozen=True)
class Stage:
    key: str
    names: Text
    next_step: Text
    done: bool = False  # the office's work is over (ready, issued, rejected): never "delayed"


@dataclass(frozen=True)
class ExcludedSubject:
    """A subject the office does not take up as a grievance (RTI, court matters, private
    disputes, policy), and where the citizen should go instead."""

    key: str
    names: Text
    keywords: tuple[str, ...]
    where: Text

    @property
    def synonyms(self) -> tuple[str, ...]:
        return self.keywords  # so text matching treats it like any other catalog item


@dataclass(frozen=True)
class Language:
    key: str
    name: str
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    office: Office
    languages: tuple[Language, ...]
    holidays: tuple[Holiday, ...]
    departments: tuple[Department, ...]
    services: tuple[Service, ...]
    grievance_categories: tuple[GrievanceCategory, ...]
    wards: tuple[Ward, ...]
    stages: tuple[Stage, ...]
    excluded_subjects: tuple[ExcludedSubject, ...] = ()
    _index: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("departments", "services", "grievance_categories", "wards", "stages", "languages", "excluded_subjects"):
            self._index[name] = {item.key: item for item in getattr(self, name)}

    def department(self, key: str) -> Department:
        return self._index["departments"][key]

    def service(self, key: str) -> Service | None:
        return self._index["services"].get(key)

    def category(self, key: str) -> GrievanceCategory | None:
        return self._index["grievance_categories"].get(key)

    def ward(self, key: str) -> Ward | None:
        return self._index["wards"].get(key)

    def stage(self, key: str) -> Stage | None:
        return self._index["stages"].get(key)

    def language(self, key: str) -> Language | None:
        return self._index["languages"].get(key)

    def excluded_subject(self, key: str) -> ExcludedSubject | None:
        return self._index["excluded_subjects"].get(key)


def _time(reader: Reader, key: str) -> dt.time:
    value = reader.get(key, str)
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        reader.fail(f"{reader.what}: {key} '{value}' must be HH:MM", key)
        raise  # unreachable: fail raises


USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


def _authority(reader: Reader) -> Authority:
    """`role: supervisor` or `officer: a-username`, exactly one of them."""
    role = reader.get("role", str, required=False)
    officer = reader.get("officer", str, required=False)
    if (role is None) == (officer is None):
        reader.fail(f"{reader.what}: give either a role ({', '.join(AUTHORITY_ROLES)}) or an officer's username")
    if role is not None and role not in AUTHORITY_ROLES:
        reader.fail(f"{reader.what}: unknown role '{role}' (use {', '.join(AUTHORITY_ROLES)})", "role")
    if officer is not None and not (0 < len(officer) <= 64 and set(officer) <= USERNAME_CHARS):
        reader.fail(f"{reader.what}: officer '{officer}' is not a console username", "officer")
    return Authority(role=role, officer=officer)


def _ladder(path: Path, reader: Reader, sla: int) -> tuple[EscalationLevel, ...]:
    """A category's escalation ladder: levels with strictly increasing working days."""
    if reader.get("escalation", list, required=False) is None:
        return default_ladder(sla)
    levels: list[EscalationLevel] = []
    items = reader.data["escalation"]
    if not items or len(items) > MAX_ESCALATION_LEVELS:
        reader.fail(f"{reader.what}: escalation has 1 to {MAX_ESCALATION_LEVELS} levels", "escalation")
    for number, item in enumerate(items, start=1):
        level_r = Reader(path, item, f"{reader.what}: escalation level {number}", reader.line_of("escalation"))
        days = level_r.get("days", int)
        if days < 1:
            level_r.fail(f"{level_r.what}: days must be at least 1", "days")
        if levels and days <= levels[-1].days:
            level_r.fail(f"{level_r.what}: days must be more than level {number - 1}'s {levels[-1].days}", "days")
        levels.append(EscalationLevel(number, days, _authority(level_r)))
    return tuple(levels)


def parse_catalog(path: Path) -> Catalog:
    """Load and validate a catalog file; raise SeedFileError naming the line of the first problem."""
    root = Reader(path, load_yaml(path), "catalog", 1)
    if root.get("version", int) != 1:
        root.fail("catalog: only version 1 is understood", "version")

    office_r = Reader(path, root.get("office", dict), "office")
    open_days = office_r.get("open_days", list)
    for day in open_days:
        if day not in WEEKDAYS:
            office_r.fail(f"office: unknown day '{day}' (use {', '.join(WEEKDAYS)})")
    office = Office(
        key=office_r.key(),
        name=office_r.text("name"),
        address=office_r.text("address"),
        phone=str(office_r.get("phone", (str, int))),
        email=office_r.get("email", str, required=False) or "",
        hours=office_r.text("hours"),
        open_days=tuple(open_days),
        closed_saturdays=tuple(office_r.get("closed_saturdays", list, required=False) or ()),
        opens=_time(office_r, "opens"),
        closes=_time(office_r, "closes"),
        timezone=office_r.get("timezone", str, required=False) or "Asia/Kolkata",
        appellate=_authority(Reader(path, office_r.data["appellate"], "office: appellate", office_r.line_of("appellate")))
        if office_r.get("appellate", dict, required=False) is not None
        else DEFAULT_APPELLATE,
    )

    languages_r = Reader(path, root.get("languages", dict), "languages")
    languages = []
    for lang in LANGUAGES:
        entry = Reader(path, languages_r.get(lang, dict), f"language '{lang}'")
        languages.append(Language(lang, entry.get("name", str), tuple(entry.synonyms("synonyms"))))

    holidays = []
    for reader in mappings(path, root, "holidays"):
        date = reader.get("date", dt.date)
        holidays.append(Holiday(date=date, name=reader.text("name")))

    departments = []
    dept_readers = mappings(path, root, "departments")
    for reader in dept_readers:
        departments.append(Department(reader.key(), reader.text("name"), str(reader.get("phone", (str, int)))))
    unique([(r, d.key) for r, d in zip(dept_readers, departments, strict=True)], "department")
    department_keys = {d.key for d in departments}

    def department_of(reader: Reader) -> str:
        key = reader.get("department", str)
        if key not in department_keys:
            reader.fail(f"{reader.what}: department '{key}' is not in departments", "department")
        return key

    services = []
    service_readers = mappings(path, root, "services")
    for reader in service_readers:
        key = reader.key()
        reader.what = f"service '{key}'"
        prefix = reader.get("application_prefix", str)
        if not (2 <= len(prefix) <= 4 and prefix.isalpha() and prefix.isupper()):
            reader.fail(f"{reader.what}: application_prefix must be 2-4 capital letters", "application_prefix")
        services.append(
            Service(
                key=key,
                department=department_of(reader),
                application_prefix=prefix,
                processing_days=reader.get("processing_days", int),
                names=reader.text("names"),
                synonyms=tuple(reader.synonyms("synonyms")),
                documents=reader.text_list("documents"),
                steps=reader.text_list("steps"),
                fee=reader.text("fee"),
                processing_time=reader.text("processing_time"),
                where=reader.text("where"),
                deadline=reader.text("deadline") if "deadline" in reader.data else None,
            )
        )
    unique([(r, s.key) for r, s in zip(service_readers, services, strict=True)], "service")
    unique([(r, s.application_prefix) for r, s in zip(service_readers, services, strict=True)], "prefix")

    categories = []
    category_readers = mappings(path, root, "grievance_categories")
    for reader in category_readers:
        key = reader.key()
        reader.what = f"grievance category '{key}'"
        sla = reader.get("sla_days", int, required=False)
        sla = DEFAULT_SLA_DAYS if sla is None else sla
        if sla < 1:
            reader.fail(f"{reader.what}: sla_days must be at least 1", "sla_days")
        categories.append(
            GrievanceCategory(
                key=key,
                department=department_of(reader),
                sla_days=sla,
                names=reader.text("names"),
                synonyms=tuple(reader.synonyms("synonyms")),
                escalation=_ladder(path, reader, sla),
            )
        )
    unique([(r, c.key) for r, c in zip(category_readers, categories, strict=True)], "grievance category")

    wards = []
    ward_readers = mappings(path, root, "wards")
    for reader in ward_readers:
        key = reader.key()
        reader.what = f"ward '{key}'"
        centroid = reader.get("centroid", list)
        if len(centroid) != 2 or not all(isinstance(c, (int, float)) for c in centroid):
            reader.fail(f"{reader.what}: centroid must be [latitude, longitude]", "centroid")
        wards.append(
            Ward(
                key=key,
                number=reader.get("number", int),
                names=reader.text("names"),
                synonyms=tuple(reader.synonyms("synonyms")),
                centroid=(float(centroid[0]), float(centroid[1])),
            )
        )
    unique([(r, w.key) for r, w in zip(ward_readers, wards, strict=True)], "ward")

    stages = []
    stage_readers = mappings(path, root, "application_stages")
    for reader in stage_readers:
        key = reader.key()
        reader.what = f"stage '{key}'"
        stages.append(Stage(key, reader.text("names"), reader.text("next_step"), bool(reader.get("done", bool, required=False))))
    unique([(r, s.key) for r, s in zip(stage_readers, stages, strict=True)], "stage")

    excluded = []
    excluded_readers = mappings(path, root, "excluded_subjects") if "excluded_subjects" in root.data else []
    for reader in excluded_readers:
        key = reader.key()
        reader.what = f"excluded subject '{key}'"
        excluded.append(ExcludedSubject(key, reader.text("names"), tuple(reader.synonyms("keywords")), reader.text("where")))
    unique([(r, e.key) for r, e in zip(excluded_readers, excluded, strict=True)], "excluded subject")

    return Catalog(
        office=office,
        languages=tuple(languages),
        holidays=tuple(sorted(holidays, key=lambda h: h.date)),
        departments=tuple(departments),
        services=tuple(services),
        grievance_categories=tuple(categories),
        wards=tuple(wards),
        stages=tuple(stages),
        excluded_subjects=tuple(excluded),
    )


@dataclass(frozen=True)
class SampleApplication:
    number: str
    service: str
    applicant: str
    phone: str
    date_of_birth: dt.date
    stage: str
    submitted_on: dt.date
    expected_on: dt.date | None


def parse_applications(path: Path, catalog: Catalog) -> list[SampleApplication]:
    """Load sample applications, checking them against the catalog."""
    from nagarik.shared.text import parse_application_number  # local: keeps import graph flat

    items = load_yaml(path)
    if not isinstance(items, list):
        raise SeedFileError(f"{path}:1: applications must be a list")
    result = []
    for position, item in enumerate(items, start=1):
        reader = Reader(path, item, f"application #{position}", getattr(items, "line", 0))
        number = parse_application_number(str(reader.get("number", str)))
        if number is None:
            reader.fail(f"{reader.what}: number must look like BC-2026-001234", "number")
        service = catalog.service(reader.get("service", str))
        if service is None:
            reader.fail(f"{reader.what}: unknown service '{reader.data['service']}'", "service")
        if not number.startswith(service.application_prefix + "-"):
            reader.fail(f"{reader.what}: {number} does not use the prefix {service.application_prefix}", "number")
        stage = reader.get("stage", str)
        if catalog.stage(stage) is None:
            reader.fail(f"{reader.what}: unknown stage '{stage}'", "stage")
        phone = str(reader.get("phone", (str, int)))
        if not (phone.isdigit() and 10 <= len(phone) <= 15):
            reader.fail(f"{reader.what}: phone must be country code and digits, e.g. 919876543210", "phone")
        result.append(
            SampleApplication(
                number=number,
                service=service.key,
                applicant=reader.get("applicant", str),
                phone=phone,
                date_of_birth=reader.get("date_of_birth", dt.date),
                stage=stage,
                submitted_on=reader.get("submitted_on", dt.date),
                expected_on=reader.get("expected_on", dt.date, required=False),
            )
        )
    return result

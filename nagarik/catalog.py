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

import yaml

LANGUAGES = ("en", "hi", "kn")
SYNONYM_TAGS = (*LANGUAGES, "hinglish")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Text = dict[str, str]  # language -> text


class CatalogError(ValueError):
    """A catalog file that cannot be used; the message names file and line."""


class _LineDict(dict):
    line: int = 0
    key_lines: dict[Any, int]


class _LineList(list):
    line: int = 0


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping and list and rejects duplicate keys."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LineDict:
    result = _LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise CatalogError(f"{loader.name}:{key_node.start_mark.line + 1}: duplicate key '{key}'")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _LineList:
    result = _LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path) -> Any:
    """Parse a YAML file, turning syntax errors into CatalogError with the line."""
    try:
        with open(path, encoding="utf-8") as handle:
            loader = _LineLoader(handle)
            loader.name = str(path)
            try:
                return loader.get_single_data()
            finally:
                loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise CatalogError(f"{path}:{line}: not valid YAML: {exc.problem}") from exc
    except OSError as exc:
        raise CatalogError(f"{path}: cannot be read: {exc.strerror}") from exc


class _Reader:
    """Typed access to one YAML mapping, with errors that point at the right line."""

    def __init__(self, path: Path, data: Any, what: str, line: int = 0) -> None:
        self.path = path
        self.what = what
        self.line = getattr(data, "line", line)
        if not isinstance(data, dict):
            self.fail(f"{what} must be a mapping")
        self.data = data

    def fail(self, message: str, key: str | None = None) -> None:
        """Raise naming the line of `key` within this mapping (or of the mapping itself)."""
        raise CatalogError(f"{self.path}:{self.line_of(key) if key else self.line}: {message}")

    def line_of(self, key: str) -> int:
        return getattr(self.data, "key_lines", {}).get(key, self.line)

    def get(self, key: str, kind: type | tuple[type, ...], required: bool = True) -> Any:
        if key not in self.data or self.data[key] is None:
            if required:
                self.fail(f"{self.what}: '{key}' is missing")
            return None
        value = self.data[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
            names = " or ".join(k.__name__ for k in _as_tuple(kind))
            self.fail(f"{self.what}: '{key}' must be {names}", key)
        return value

    def text(self, key: str) -> Text:
        """A mapping with a non-empty string for each of en, hi and kn."""
        value = self.get(key, dict)
        for lang in LANGUAGES:
            if not isinstance(value.get(lang), str) or not value[lang].strip():
                self.fail(f"{self.what}: {key} is missing '{lang}'", key)
        unknown = set(value) - set(LANGUAGES)
        if unknown:
            self.fail(f"{self.what}: {key} has unknown language {sorted(unknown)}", key)
        return {lang: value[lang].strip() for lang in LANGUAGES}

    def text_list(self, key: str) -> dict[str, list[str]]:
        value = self.get(key, dict)
        result: dict[str, list[str]] = {}
        for lang in LANGUAGES:
            items = value.get(lang)
            if not isinstance(items, list) or not items:
                self.fail(f"{self.what}: {key} is missing '{lang}'", key)
            result[lang] = [str(item).strip() for item in items]
        return result

    def synonyms(self, key: str) -> list[str]:
        """Synonyms by language tag, flattened; lower-cased because citizens rarely capitalise."""
        value = self.get(key, (dict, list))
        if isinstance(value, list):
            items = value
        else:
            unknown = set(value) - set(SYNONYM_TAGS)
            if unknown:
                self.fail(f"{self.what}: {key} has unknown tag {sorted(unknown)}", key)
            items = [item for tag in SYNONYM_TAGS for item in (value.get(tag) or [])]
        cleaned = [str(item).strip().lower() for item in items if str(item).strip()]
        if not cleaned:
            self.fail(f"{self.what}: {key} is empty", key)
        return list(dict.fromkeys(cleaned))

    def key(self) -> str:
        value = self.get("key", str)
        if not value.replace("_", "").isalnum() or not value.islower() or not value.isascii():
            self.fail(f"{self.what}: key '{value}' must be lower_snake_case ASCII", "key")
        return value


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


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


@dataclass(frozen=True)
class GrievanceCategory:
    key: str
    department: str
    sla_days: int
    names: Text
    synonyms: tuple[str, ...]


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
    _index: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("departments", "services", "grievance_categories", "wards", "stages", "languages"):
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


def _time(reader: _Reader, key: str) -> dt.time:
    value = reader.get(key, str)
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        reader.fail(f"{reader.what}: {key} '{value}' must be HH:MM", key)
        raise  # unreachable: fail raises


def _items(path: Path, root: _Reader, key: str) -> list[_Reader]:
    items = root.get(key, list)
    if not items:
        root.fail(f"'{key}' is empty", key)
    readers = []
    for position, item in enumerate(items, start=1):
        readers.append(_Reader(path, item, f"{key} #{position}", getattr(items, "line", 0)))
    return readers


def _unique(readers_and_keys: list[tuple[_Reader, str]], what: str) -> None:
    seen: set[str] = set()
    for reader, key in readers_and_keys:
        if key in seen:
            reader.fail(f"{what} '{key}' appears twice")
        seen.add(key)


def parse_catalog(path: Path) -> Catalog:
    """Load and validate a catalog file; raise CatalogError naming the line of the first problem."""
    root = _Reader(path, load_yaml(path), "catalog", 1)
    if root.get("version", int) != 1:
        root.fail("catalog: only version 1 is understood", "version")

    office_r = _Reader(path, root.get("office", dict), "office")
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
    )

    languages_r = _Reader(path, root.get("languages", dict), "languages")
    languages = []
    for lang in LANGUAGES:
        entry = _Reader(path, languages_r.get(lang, dict), f"language '{lang}'")
        languages.append(Language(lang, entry.get("name", str), tuple(entry.synonyms("synonyms"))))

    holidays = []
    for reader in _items(path, root, "holidays"):
        date = reader.get("date", dt.date)
        holidays.append(Holiday(date=date, name=reader.text("name")))

    departments = []
    dept_readers = _items(path, root, "departments")
    for reader in dept_readers:
        departments.append(Department(reader.key(), reader.text("name"), str(reader.get("phone", (str, int)))))
    _unique([(r, d.key) for r, d in zip(dept_readers, departments, strict=True)], "department")
    department_keys = {d.key for d in departments}

    def department_of(reader: _Reader) -> str:
        key = reader.get("department", str)
        if key not in department_keys:
            reader.fail(f"{reader.what}: department '{key}' is not in departments", "department")
        return key

    services = []
    service_readers = _items(path, root, "services")
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
            )
        )
    _unique([(r, s.key) for r, s in zip(service_readers, services, strict=True)], "service")
    _unique([(r, s.application_prefix) for r, s in zip(service_readers, services, strict=True)], "prefix")

    categories = []
    category_readers = _items(path, root, "grievance_categories")
    for reader in category_readers:
        key = reader.key()
        reader.what = f"grievance category '{key}'"
        sla = reader.get("sla_days", int)
        if sla < 1:
            reader.fail(f"{reader.what}: sla_days must be at least 1", "sla_days")
        categories.append(
            GrievanceCategory(
                key=key,
                department=department_of(reader),
                sla_days=sla,
                names=reader.text("names"),
                synonyms=tuple(reader.synonyms("synonyms")),
            )
        )
    _unique([(r, c.key) for r, c in zip(category_readers, categories, strict=True)], "grievance category")

    wards = []
    ward_readers = _items(path, root, "wards")
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
    _unique([(r, w.key) for r, w in zip(ward_readers, wards, strict=True)], "ward")

    stages = []
    stage_readers = _items(path, root, "application_stages")
    for reader in stage_readers:
        key = reader.key()
        reader.what = f"stage '{key}'"
        stages.append(Stage(key, reader.text("names"), reader.text("next_step"), bool(reader.get("done", bool, required=False))))
    _unique([(r, s.key) for r, s in zip(stage_readers, stages, strict=True)], "stage")

    return Catalog(
        office=office,
        languages=tuple(languages),
        holidays=tuple(sorted(holidays, key=lambda h: h.date)),
        departments=tuple(departments),
        services=tuple(services),
        grievance_categories=tuple(categories),
        wards=tuple(wards),
        stages=tuple(stages),
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
    from nagarik.text import parse_application_number  # local: keeps import graph flat

    items = load_yaml(path)
    if not isinstance(items, list):
        raise CatalogError(f"{path}:1: applications must be a list")
    result = []
    for position, item in enumerate(items, start=1):
        reader = _Reader(path, item, f"application #{position}", getattr(items, "line", 0))
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

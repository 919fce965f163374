"""Subjects the office does not take up as grievances (as CPGRAMS does not): RTI requests, matters
before a court, disputes between private people and suggestions about government policy.

The subjects, their keywords and where to go instead are the `excluded_subjects` of
seed/catalog.yml. They are read from that file (again whenever it changes), not from the database,
so an office's edit to "where to go" reaches citizens with no `make seed` and no retraining.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from nagarik import settings
from nagarik.citizens.grievances import category_in_text
from nagarik.shared.catalog import Catalog, ExcludedSubject, parse_catalog
from nagarik.shared.seed_files import LANGUAGES
from nagarik.shared.text import fold, named_in_text

_cache: dict[Path, tuple[float, tuple[ExcludedSubject, ...]]] = {}  # file -> (mtime, subjects)


def office_subjects(path: Path | None = None) -> tuple[ExcludedSubject, ...]:
    """The excluded subjects of the catalog file, parsed again only when the file has changed."""
    path = path or settings.SEED_DIR / "catalog.yml"
    mtime = path.stat().st_mtime
    cached = _cache.get(path)
    if cached is None or cached[0] != mtime:
        cached = _cache[path] = (mtime, parse_catalog(path).excluded_subjects)
    return cached[1]


def subject_in_text(text: str, subjects: Iterable[ExcludedSubject]) -> str | None:
    """The key of the subject a message is about, by its keywords or names in any language
    (folded as nagarik.shared.text does: case, nukta, punctuation, Indic case endings); the
    longest keyword wins, so "court case" beats "case"."""
    return named_in_text(text, list(subjects)) if fold(text) else None


def subject_of_grievance(text: str, subjects: Iterable[ExcludedSubject], catalog: Catalog) -> str | None:
    """The excluded subject a grievance's description is about, unless it also names a civic
    problem the office does take up: "pothole in front of the high court" is a roads complaint
    with a landmark, "my case is pending in the high court" is a court matter."""
    key = subject_in_text(text, subjects)
    return None if key is None or category_in_text(catalog, text) else key


def subject_named(value: str, subjects: Iterable[ExcludedSubject]) -> str | None:
    """A subject key from an entity value or button payload: the key itself or any keyword."""
    items = list(subjects)
    if any(value == subject.key for subject in items):
        return value
    return subject_in_text(value, items)


def explanation(subject: ExcludedSubject, language: str) -> tuple[str, str]:
    """The subject's name and where to go instead, in the citizen's language (English if unknown)."""
    language = language if language in LANGUAGES else "en"
    return subject.names[language], subject.where[language]

"""The console's own words per language: config/console/{en,hi,kn}.yml and one file per topic,
config/console/<topic>.{en,hi,kn}.yml (English fills any gap; a key defined twice is an error)."""

from __future__ import annotations

from functools import cache

import yaml

from nagarik import settings

DIRECTORY = settings.CONFIG_DIR / "console"


@cache
def _own(language: str) -> dict[str, str]:
    """One language's words, from its base file and its topic files."""
    found: dict[str, str] = {}
    paths = [DIRECTORY / f"{language}.yml", *sorted(DIRECTORY.glob(f"*.{language}.yml"))]
    for path in paths:
        if not path.exists():
            continue
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        twice = sorted(set(found) & set(loaded))
        if twice:
            raise ValueError(f"{path.name} defines console words already defined: {twice}")
        found |= loaded
    return found


@cache
def words(language: str) -> dict[str, str]:
    english = _own("en")
    return english if language == "en" else {**english, **_own(language)}

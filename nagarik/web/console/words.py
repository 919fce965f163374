"""The console's own words per language, from config/console/{en,hi,kn}.yml (English fills any gap)."""

from __future__ import annotations

from functools import cache

import yaml

from nagarik import settings

DIRECTORY = settings.CONFIG_DIR / "console"


@cache
def words(language: str) -> dict[str, str]:
    english = yaml.safe_load((DIRECTORY / "en.yml").read_text(encoding="utf-8"))
    path = DIRECTORY / f"{language}.yml"
    if language == "en" or not path.exists():
        return english
    return {**english, **yaml.safe_load(path.read_text(encoding="utf-8"))}

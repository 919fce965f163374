"""Which day a citizen asks about ("is the office open on Saturday?", "कल खुला है?", "ದೀಪಾವಳಿ ದಿನ"):
a weekday (the next one, today included), tomorrow or the day after, the weekend, a date, or a
holiday of the catalog by name. The words are in config/day_words.yml."""

from __future__ import annotations

import datetime as dt
from functools import cache

from nagarik import settings
from nagarik.shared.catalog import WEEKDAYS, Catalog
from nagarik.shared.seed_files import load_yaml
from nagarik.shared.text import parse_date, synonym_in_text

WORDS_FILE = settings.PROJECT_ROOT / "config" / "day_words.yml"


@cache
def _words() -> dict:
    return load_yaml(WORDS_FILE)


def _next(today: dt.date, weekday: str) -> dt.date:
    return today + dt.timedelta(days=(WEEKDAYS.index(weekday) - today.weekday()) % 7)


def days_named(catalog: Catalog, text: str, today: dt.date) -> list[dt.date]:
    """The days the message names, in order; [] when it names none (then: today)."""
    words = _words()
    found = parse_date(text)
    if found:
        return [found]
    for holiday in catalog.holidays:
        if holiday.date >= today and any(synonym_in_text(name, text) for name in holiday.name.values()):
            return [holiday.date]
    # Longest phrases first: "day after tomorrow" is not "tomorrow".
    for offset, phrases in sorted(words["relative"].items(), key=lambda item: -int(item[0])):
        if any(synonym_in_text(phrase, text) for phrase in phrases):
            return [today + dt.timedelta(days=int(offset))]
    if any(synonym_in_text(phrase, text) for phrase in words["weekend"]):
        saturday = _next(today, "sat")
        return [saturday, saturday + dt.timedelta(days=1)]
    return [_next(today, day) for day, names in words["weekdays"].items() if any(synonym_in_text(n, text) for n in names)]


def day_label(day: dt.date, language: str) -> str:
    """Saturday 05-12-2026, in the reply's language."""
    names = _words()["display"]
    return f"{names.get(language, names['en'])[WEEKDAYS[day.weekday()]]} {day.strftime('%d-%m-%Y')}"

"""Topics citizens subscribe to (config/topics.yml). Pure Python and PyYAML: the Rasa environment
reads it too, to build the entity ruler."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nagarik import settings
from nagarik.shared.seed_files import LANGUAGES, SeedFileError, load_yaml

TOPICS_FILE = settings.CONFIG_DIR / "topics.yml"


@dataclass(frozen=True)
class Topic:
    key: str
    names: dict[str, str]
    synonyms: tuple[str, ...]
    essential: bool


@lru_cache(maxsize=4)
def topics(path: Path = TOPICS_FILE) -> tuple[Topic, ...]:
    items = load_yaml(path)
    result = []
    for position, item in enumerate(items or [], start=1):
        if not isinstance(item, dict) or not item.get("key") or not all(item.get("names", {}).get(lang) for lang in LANGUAGES):
            raise SeedFileError(f"{path}:{getattr(item, 'line', 0)}: topic #{position} needs a key and names in en, hi and kn")
        synonyms = [s.lower() for values in (item.get("synonyms") or {}).values() for s in values]
        result.append(Topic(item["key"], item["names"], tuple(synonyms), bool(item.get("essential"))))
    return tuple(result)


def topic(key: str) -> Topic | None:
    return next((t for t in topics() if t.key == key), None)

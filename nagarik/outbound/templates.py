"""Our approved WhatsApp templates (config/templates.yml): the wording of proactive messages.

Inside a citizen's 24-hour window the same words go free-form; outside it the template itself.
(The simulator reads the same file with its own code: it stands for Meta, not for us.)
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from nagarik import settings
from nagarik.shared.seed_files import SeedFileError, load_yaml

TEMPLATES_FILE = settings.CONFIG_DIR / "templates.yml"


@lru_cache(maxsize=2)
def bodies(path: Path = TEMPLATES_FILE) -> dict[tuple[str, str], str]:
    """(name, language) -> body with {{1}}-style parameters, for approved templates."""
    data = load_yaml(path)
    entries = data.get("templates", data) if isinstance(data, dict) else data
    result = {}
    for entry in entries or []:
        if isinstance(entry, dict) and entry.get("status", "APPROVED") == "APPROVED":
            result[(entry["name"], entry["language"])] = entry["body"]
    return result


def render(name: str, language: str, parameters: list[str]) -> str:
    body = bodies().get((name, language))
    if body is None:
        raise SeedFileError(f"{TEMPLATES_FILE}: no approved template {name!r} in {language!r}")
    return re.sub(r"\{\{(\d+)\}\}", lambda m: parameters[int(m.group(1)) - 1], body)


@lru_cache(maxsize=2)
def quick_replies(path: Path = TEMPLATES_FILE) -> dict[tuple[str, str], list[str]]:
    """(name, language) -> its quick-reply buttons' titles, in order (the same words go on the
    free-form message's reply buttons inside the window)."""
    data = load_yaml(path)
    entries = data.get("templates", data) if isinstance(data, dict) else data
    return {
        (entry["name"], entry["language"]): [b["text"] for b in entry.get("buttons") or [] if b.get("type") == "QUICK_REPLY"]
        for entry in entries or []
        if isinstance(entry, dict) and entry.get("status", "APPROVED") == "APPROVED"
    }

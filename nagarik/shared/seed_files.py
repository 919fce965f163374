"""Reading the office's YAML files (catalog, reminders, campaigns, polls, templates, topics).

Pure Python and PyYAML only: the Rasa environment imports it too. Every error names the file and
line, so an office clerk can fix the file without reading code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("en", "hi", "kn")
SYNONYM_TAGS = (*LANGUAGES, "hinglish")

Text = dict[str, str]  # language -> text


class SeedFileError(ValueError):
    """A seed or configuration file that cannot be used; the message names file and line."""


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
            raise SeedFileError(f"{loader.name}:{key_node.start_mark.line + 1}: duplicate key '{key}'")
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
    """Parse a YAML file, turning syntax errors into SeedFileError with the line."""
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
        raise SeedFileError(f"{path}:{line}: not valid YAML: {exc.problem}") from exc
    except OSError as exc:
        raise SeedFileError(f"{path}: cannot be read: {exc.strerror}") from exc


class Reader:
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
        raise SeedFileError(f"{self.path}:{self.line_of(key) if key else self.line}: {message}")

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


def mappings(path: Path, root: Reader, key: str) -> list[Reader]:
    """A reader for each mapping of the non-empty list under `key`."""
    items = root.get(key, list)
    if not items:
        root.fail(f"'{key}' is empty", key)
    readers = []
    for position, item in enumerate(items, start=1):
        readers.append(Reader(path, item, f"{key} #{position}", getattr(items, "line", 0)))
    return readers


def unique(readers_and_keys: list[tuple[Reader, str]], what: str) -> None:
    """Fail at the second mapping whose key was already seen."""
    seen: set[str] = set()
    for reader, key in readers_and_keys:
        if key in seen:
            reader.fail(f"{what} '{key}' appears twice")
        seen.add(key)

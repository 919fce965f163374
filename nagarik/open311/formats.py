"""GeoReport v2's two formats, JSON and XML, with the spec's element names. Standard library only.

Every answer is a list of flat records (a service, a request, a token, an error) under a root element,
except the service definition, one record whose `attributes` nest: each attribute, and its `values`.
JSON: a list (or the definition's object); XML: `<root><item>...</item></root>`, UTF-8 with its
declaration, booleans as true/false, nothing (None) as an empty element.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree import ElementTree

FORMATS = ("json", "xml")
MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# Root element -> the element each of its records is.
SERVICES = ("services", "service")
REQUESTS = ("service_requests", "request")
ERRORS = ("errors", "error")
DEFINITION = "service_definition"
NESTED = {"attributes": "attribute", "values": "value"}  # a list inside a record: its items' element


class Open311Error(Exception):
    """An answer of GeoReport's own: `errors` with one error of this code (also the HTTP status)."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(parent: ElementTree.Element, record: Mapping[str, Any]) -> None:
    for key, value in record.items():
        child = ElementTree.SubElement(parent, key)
        if isinstance(value, list):
            for item in value:
                _fill(ElementTree.SubElement(child, NESTED[key]), item)
        else:
            child.text = _text(value)


def _xml(root: ElementTree.Element) -> bytes:
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def records(fmt: str, root: tuple[str, str], rows: Sequence[Mapping[str, Any]]) -> bytes:
    """A list answer (services, requests, tokens, errors) in `fmt`."""
    if fmt == "json":
        return json.dumps(list(rows), ensure_ascii=False).encode()
    element = ElementTree.Element(root[0])
    for row in rows:
        _fill(ElementTree.SubElement(element, root[1]), row)
    return _xml(element)


def definition(fmt: str, record: Mapping[str, Any]) -> bytes:
    """The service definition: one object in JSON, `<service_definition>` in XML."""
    if fmt == "json":
        return json.dumps(record, ensure_ascii=False).encode()
    element = ElementTree.Element(DEFINITION)
    _fill(element, record)
    return _xml(element)


def errors(fmt: str, error: Open311Error) -> bytes:
    return records(fmt, ERRORS, [{"code": error.code, "description": error.description}])

"""The template registry (config/templates.yml) and Meta's checks on a template send."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import GraphError, invalid, missing, not_valid
from .ids import stable_id

PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
MEDIA_FORMATS = ("IMAGE", "VIDEO", "DOCUMENT")
BODY_LIMIT = 1024


def placeholders(text: str | None) -> int:
    """How many positional parameters a text takes; they must be {{1}}..{{n}} without gaps."""
    numbers = sorted({int(match) for match in PLACEHOLDER.findall(text or "")})
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError(f"placeholders must be {{{{1}}}}..{{{{n}}}} without gaps: {text!r}")
    return len(numbers)


def fill(text: str, values: list[str]) -> str:
    return PLACEHOLDER.sub(lambda match: values[int(match.group(1)) - 1], text)


@dataclass(frozen=True)
class Template:
    name: str
    language: str
    category: str  # UTILITY, MARKETING, AUTHENTICATION
    status: str  # APPROVED, PAUSED, DISABLED, PENDING, REJECTED
    body: str
    header_format: str | None = None  # TEXT or a media format
    header_text: str | None = None
    footer: str | None = None
    buttons: tuple[dict[str, Any], ...] = field(default_factory=tuple)  # {type: QUICK_REPLY|URL|PHONE_NUMBER, text, url?}

    @property
    def id(self) -> str:
        return stable_id(self.name, self.language)

    def graph_json(self) -> dict[str, Any]:
        """The template as GET /{waba}/message_templates lists it."""
        components: list[dict[str, Any]] = []
        if self.header_format:
            header: dict[str, Any] = {"type": "HEADER", "format": self.header_format}
            if self.header_text:
                header["text"] = self.header_text
            components.append(header)
        components.append({"type": "BODY", "text": self.body})
        if self.footer:
            components.append({"type": "FOOTER", "text": self.footer})
        if self.buttons:
            components.append({"type": "BUTTONS", "buttons": [dict(button) for button in self.buttons]})
        return {
            "name": self.name,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "components": components,
            "id": self.id,
        }


def _template(entry: dict[str, Any]) -> Template:
    header = entry.get("header")
    header_format, header_text = None, None
    if isinstance(header, str):
        header_format, header_text = "TEXT", header
    elif isinstance(header, dict):
        header_format = str(header.get("format", "TEXT")).upper()
        header_text = header.get("text")
    buttons = tuple(
        {"type": str(button.get("type", "QUICK_REPLY")).upper(), **{k: v for k, v in button.items() if k != "type"}}
        for button in entry.get("buttons") or []
    )
    template = Template(
        name=str(entry["name"]),
        language=str(entry["language"]),
        category=str(entry.get("category", "UTILITY")).upper(),
        status=str(entry.get("status", "APPROVED")).upper(),
        body=str(entry["body"]),
        header_format=header_format,
        header_text=header_text,
        footer=entry.get("footer"),
        buttons=buttons,
    )
    placeholders(template.body)
    placeholders(template.header_text)
    if len(template.buttons) > 10:
        raise ValueError(f"template {template.name}: at most 10 buttons")
    return template


class TemplateRegistry:
    def __init__(self, templates: list[Template]) -> None:
        self.templates = templates
        self._by_key = {(t.name, t.language): t for t in templates}
        self._names = {t.name for t in templates}

    @classmethod
    def load(cls, path: str | Path) -> TemplateRegistry:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
        entries = data.get("templates", []) if isinstance(data, dict) else data
        return cls([_template(entry) for entry in entries])

    def find(self, name: str, language: str) -> Template | None:
        return self._by_key.get((name, language))

    def check_send(self, payload: Any) -> tuple[Template, str, list[dict[str, Any]]]:
        """Check a `template` object as Meta does; returns the template, the text the citizen sees,
        and the quick-reply choices (payload and title)."""
        if payload is None:
            raise missing("template")
        if not isinstance(payload, dict):
            raise invalid("Param template must be a JSON object")
        name = payload.get("name")
        if not name:
            raise missing("template['name']")
        if not isinstance(name, str):
            raise invalid("Param template['name'] must be a string")
        language = payload.get("language")
        if not isinstance(language, dict) or not language.get("code"):
            raise missing("template['language']['code']")
        code = language["code"]
        if "policy" in language and language["policy"] != "deterministic":
            raise invalid("Param template['language']['policy'] must be one of {DETERMINISTIC}")
        template = self.find(name, str(code))
        if template is None:
            raise GraphError(132001, f"template name ({name}) does not exist in {code}")
        if template.status == "PAUSED":
            raise GraphError(132015, f"Template {name} ({code}) is paused because of low quality")
        if template.status == "DISABLED":
            raise GraphError(132016, f"Template {name} ({code}) is disabled")
        if template.status != "APPROVED":
            raise GraphError(132001, f"template name ({name}) is not approved in {code} (status {template.status})")
        components = payload.get("components", [])
        if not isinstance(components, list) or not all(isinstance(c, dict) for c in components):
            raise invalid("Param template['components'] must be an array of objects")
        by_type: dict[str, dict[str, Any]] = {}
        button_params: dict[int, dict[str, Any]] = {}
        for component in components:
            kind = str(component.get("type", "")).lower()
            if kind == "button":
                index, value = self._button_parameter(template, component)
                button_params[index] = value
            elif kind in ("header", "body"):
                if kind in by_type:
                    raise invalid(f"Duplicate template component: {kind}")
                by_type[kind] = component
            else:
                raise invalid(f"Param template['components'][]['type'] must be one of {{HEADER, BODY, BUTTON}}, got {kind!r}")
        header_text = self._header(template, by_type.get("header"))
        body = fill(template.body, self._texts("body", placeholders(template.body), by_type.get("body")))
        if len(body) > BODY_LIMIT:
            raise GraphError(132005, f"body text is {len(body)} characters after substitution; the limit is {BODY_LIMIT}")
        choices = []
        for index, button in enumerate(template.buttons):
            if button["type"] == "URL" and placeholders(button.get("url")) and index not in button_params:
                raise missing(f"buttons: Button at index {index} of type Url requires a parameter;")
            if button["type"] == "QUICK_REPLY":
                payload_value = button_params.get(index, {}).get("payload", button["text"])
                choices.append({"kind": "button", "payload": payload_value, "title": button["text"], "index": index})
        rendered = "\n".join(part for part in (header_text, body, template.footer) if part)
        return template, rendered, choices

    @staticmethod
    def _parameters(where: str, component: dict[str, Any] | None) -> list[dict[str, Any]]:
        if component is None:
            return []
        parameters = component.get("parameters", [])
        if not isinstance(parameters, list) or not all(isinstance(p, dict) for p in parameters):
            raise invalid(f"Param template['components'][{where}]['parameters'] must be an array of objects")
        return parameters

    def _texts(self, where: str, expected: int, component: dict[str, Any] | None) -> list[str]:
        parameters = self._parameters(where, component)
        if len(parameters) != expected:
            raise GraphError(
                132000,
                f"{where}: number of localizable_params ({len(parameters)}) does not match "
                f"the expected number of params ({expected})",
            )
        return [_text_value(where, parameter) for parameter in parameters]

    def _header(self, template: Template, component: dict[str, Any] | None) -> str | None:
        if template.header_format in MEDIA_FORMATS:
            parameters = self._parameters("header", component)
            if len(parameters) != 1:
                raise GraphError(
                    132000, f"header: number of params ({len(parameters)}) does not match the expected number of params (1)"
                )
            media_type = template.header_format.lower()
            parameter = parameters[0]
            media = parameter.get(media_type)
            if parameter.get("type") != media_type or not isinstance(media, dict):
                raise GraphError(132012, f"header: parameter type must be {media_type}")
            if bool(media.get("id")) == bool(media.get("link")):
                raise not_valid(f"header: {media_type} needs exactly one of id or link")
            return f"[{media_type}]"
        if template.header_format == "TEXT":
            return fill(template.header_text or "", self._texts("header", placeholders(template.header_text), component))
        if component is not None:
            raise GraphError(132000, "header: number of params (1) does not match the expected number of params (0)")
        return None

    @staticmethod
    def _button_parameter(template: Template, component: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            index = int(component.get("index"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise missing("template button component 'index'") from None
        if not 0 <= index < len(template.buttons):
            raise not_valid(f"buttons: there is no button at index {index}")
        button = template.buttons[index]
        sub_type = str(component.get("sub_type", "")).upper()
        expected = {"QUICK_REPLY": "QUICK_REPLY", "URL": "URL"}.get(button["type"], button["type"])
        if sub_type != expected:
            raise GraphError(
                132012, f"buttons: button at index {index} is {button['type']}, not {sub_type or 'missing sub_type'}"
            )
        parameters = component.get("parameters", [])
        if not isinstance(parameters, list) or len(parameters) != 1 or not isinstance(parameters[0], dict):
            raise GraphError(132000, f"buttons: button at index {index} takes exactly one parameter")
        parameter = parameters[0]
        if expected == "QUICK_REPLY":
            if parameter.get("type") != "payload" or not isinstance(parameter.get("payload"), str):
                raise GraphError(132012, f"buttons: quick reply at index {index} takes a payload parameter")
            return index, {"payload": parameter["payload"]}
        return index, {"text": _text_value("button", parameter)}


def _text_value(where: str, parameter: dict[str, Any]) -> str:
    kind = parameter.get("type")
    if kind == "text":
        value = parameter.get("text")
        if value is None:
            raise missing(f"{where}: parameter text")
        if not isinstance(value, str) or not value.strip():
            raise GraphError(132012, f"{where}: text parameters must be non-empty strings")
        if "\n" in value or "\t" in value or "     " in value:
            raise GraphError(132018, "Param text cannot have new-line/tab characters or more than 4 consecutive spaces")
        return value
    if kind == "currency":
        return str((parameter.get("currency") or {}).get("fallback_value", ""))
    if kind == "date_time":
        return str((parameter.get("date_time") or {}).get("fallback_value", ""))
    raise GraphError(132012, f"{where}: parameter of type {kind!r} where the template expects text")

"""Graph API errors: the codes Meta answers with, and the JSON body it wraps them in."""

from __future__ import annotations

import secrets
import string
from typing import Any

# code -> (title, HTTP status). Titles follow Meta's error-code table; Graph prefixes them with "(#code)".
GRAPH_ERRORS: dict[int, tuple[str, int]] = {
    1: ("An unknown error occurred", 500),
    2: ("Service temporarily unavailable", 503),
    4: ("Application request limit reached", 400),
    100: ("Invalid parameter", 400),
    190: ("Invalid OAuth access token - Cannot parse access token", 401),
    368: ("Temporarily blocked for policies violations", 400),
    2500: ("Unknown path components", 400),
    80007: ("Rate limit issues", 400),
    130429: ("Rate limit hit", 400),
    130472: ("User's number is part of an experiment", 400),
    131000: ("Something went wrong", 500),
    131008: ("Required parameter is missing", 400),
    131009: ("Parameter value is not valid", 400),
    131016: ("Service unavailable", 503),
    131026: ("Message undeliverable", 400),
    131031: ("Account has been locked", 400),
    131047: ("Re-engagement message", 400),
    131048: ("Spam rate limit hit", 400),
    131049: ("This message was not delivered to maintain healthy ecosystem engagement.", 400),
    131050: ("User has stopped marketing messages", 400),
    131051: ("Unsupported message type", 400),
    131053: ("Media upload error", 400),
    131056: ("(Business Account, Consumer Account) pair rate limit hit", 400),
    132000: ("Number of parameters does not match the expected number of params", 400),
    132001: ("Template name does not exist in the translation", 400),
    132005: ("Translated text too long", 400),
    132007: ("Template Format Character Policy Violated", 400),
    132012: ("Parameter format does not match format in the created template", 400),
    132015: ("Template is paused", 400),
    132016: ("Template is disabled", 400),
    132018: ("There was an issue with the parameters in your template.", 400),
}

# Codes Graph reports without the "(#code)" prefix in `message`.
_UNPREFIXED = {1, 2, 190}

ERROR_HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"


def fbtrace_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "A" + "".join(secrets.choice(alphabet) for _ in range(22))


def title(code: int) -> str:
    return GRAPH_ERRORS.get(code, ("Unknown error", 400))[0]


class GraphError(Exception):
    """A request Meta would refuse; `body()` is the exact JSON Graph answers with."""

    def __init__(
        self,
        code: int,
        details: str,
        *,
        http_status: int | None = None,
        message: str | None = None,
        subcode: int | None = None,
        error_type: str = "OAuthException",
    ) -> None:
        super().__init__(f"{code}: {details}")
        self.code = code
        self.details = details
        self.http_status = http_status or GRAPH_ERRORS.get(code, ("", 400))[1]
        self.message = message or (title(code) if code in _UNPREFIXED else f"(#{code}) {title(code)}")
        self.subcode = subcode
        self.error_type = error_type

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
            "error_data": {"messaging_product": "whatsapp", "details": self.details},
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["fbtrace_id"] = fbtrace_id()
        return {"error": error}


def missing(what: str) -> GraphError:
    return GraphError(131008, f"{what} is required")


def invalid(details: str) -> GraphError:
    """A value of the wrong kind (not a string, not a bool, an unexpected key)."""
    return GraphError(100, details)


def not_valid(details: str) -> GraphError:
    """A value of the right kind outside Meta's limits (lengths, counts, uniqueness)."""
    return GraphError(131009, details)


def unknown_object(object_id: str, method: str = "post") -> GraphError:
    # Graph's answer for an id it cannot load: code 100 with subcode 33, as a GraphMethodException.
    return GraphError(
        100,
        f"Object with ID '{object_id}' does not exist, cannot be loaded due to missing permissions, "
        "or does not support this operation.",
        message=(
            f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
            "missing permissions, or does not support this operation. Please read the Graph API documentation "
            "at https://developers.facebook.com/docs/graph-api"
        ),
        subcode=33,
        error_type="GraphMethodException",
    )


def status_error(code: int, details: str) -> dict[str, Any]:
    """The `errors[]` entry of a `failed` status webhook."""
    return {"code": code, "title": title(code), "message": title(code), "error_data": {"details": details}, "href": ERROR_HREF}

"""Rasa's calls to the action server, made cheaper where a profile of the WhatsApp turn showed them
costly (bench/turn_profile.py; figures in the README). Rasa itself is unchanged; these replace two
of its helpers at start-up, under Rasa's own pins (jsonschema 4.17, aiohttp 3.9, ujson 5).

- Rasa checks every answer against one JSON schema with `jsonschema.validate`, which first checks
  that schema against JSON Schema's own metaschema and builds a new validator: half of the Rasa
  process's CPU in a turn. The schema is a constant, so it is checked once and its validator kept.
  Every answer is still validated, and a bad one fails as before (the same ValidationError).
- Every call opened a new HTTP session and connection, and encoded the tracker (all of the
  session's events) with the standard library's json. The sessions now share one pool of
  keep-alive connections per event loop, closed sooner than the action server's (Sanic's 5 s), so
  a connection is never reused just as the server drops it; the tracker is encoded with ujson.

Installed by scripts/rasa_offline.py, the command line every Rasa server of the project runs under.
"""

from __future__ import annotations

import asyncio
from typing import Any

KEEP_ALIVE_SECONDS = 2.0  # below Sanic's KEEP_ALIVE_TIMEOUT (5 s) on the action server's side
_connectors: dict[asyncio.AbstractEventLoop, Any] = {}


def cache_the_answer_schema() -> None:
    import jsonschema
    from jsonschema import exceptions, validators
    from rasa.core.actions.action import RemoteAction

    if getattr(jsonschema.validate, "nagarik_cached", False):
        return
    spec = RemoteAction.action_response_format_spec()
    kind = validators.validator_for(spec)
    kind.check_schema(spec)
    validator = kind(spec)
    validate_anything = jsonschema.validate

    def validate(instance: Any, schema: Any, *args: Any, **kwargs: Any) -> None:
        if schema is not spec or args or kwargs:
            return validate_anything(instance, schema, *args, **kwargs)
        error = exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error
        return None

    validate.nagarik_cached = True  # type: ignore[attr-defined]
    # RemoteAction._validate_action_result imports `validate` from jsonschema at each call, and
    # asks for the spec each time: one spec object, so the cached validator is the one used.
    RemoteAction.action_response_format_spec = staticmethod(lambda: spec)  # type: ignore[method-assign]
    jsonschema.validate = validate


def shared_connector() -> Any:
    """This event loop's pool of keep-alive connections (Rasa's server runs one loop)."""
    import aiohttp

    loop = asyncio.get_running_loop()
    connector = _connectors.get(loop)
    if connector is None or connector.closed:
        for stale in [known for known in _connectors if known.is_closed()]:
            del _connectors[stale]
        connector = _connectors[loop] = aiohttp.TCPConnector(keepalive_timeout=KEEP_ALIVE_SECONDS)
    return connector


def pool_the_connections() -> None:
    import aiohttp
    import ujson
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
    from rasa.utils.endpoints import EndpointConfig

    def session(self: EndpointConfig) -> aiohttp.ClientSession:
        """Rasa's EndpointConfig.session, on the shared connections (closing the session keeps them)."""
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        return aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=shared_connector(),
            connector_owner=False,
            json_serialize=ujson.dumps,
        )

    EndpointConfig.session = session  # type: ignore[method-assign]


def install() -> None:
    cache_the_answer_schema()
    pool_the_connections()

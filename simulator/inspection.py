"""The inspection API under /_sim/ (JSON, no auth): drive citizens, look at what the connector sent,
inject faults and change limits. For tests and the terminal chat; Meta has nothing like it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from . import inbound
from .state import FAULT_KINDS, Fault, SimState
from .webhooks import WebhookEmitter, envelope, messages_value, serialize


def sim_json(body: Any, status: int = 200) -> HTTPResponse:
    return HTTPResponse(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8")


def _bad(message: str) -> HTTPResponse:
    return sim_json({"error": message}, 400)


def _parts(request: Request) -> tuple[SimState, WebhookEmitter]:
    return request.app.ctx.state, request.app.ctx.emitter


def _body(request: Request) -> Any:
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        return None


def _wait(request: Request) -> float:
    try:
        return min(max(float(request.args.get("wait", 0)), 0.0), 30.0)
    except ValueError:
        return 0.0


def _after(request: Request) -> int:
    try:
        return int(request.args.get("after", 0))
    except ValueError:
        return 0


# --- citizens --------------------------------------------------------------------------------------


def _default_references(state: SimState, spec: dict[str, Any], sender: inbound.Sender) -> dict[str, Any]:
    """Fill in what a real phone would know: which business message a tap or reaction refers to,
    and which of the citizen's own messages an edit or revoke changes."""
    spec = dict(spec)
    kind = spec.get("type", "text")
    fields = spec.get(kind) if isinstance(spec.get(kind), dict) else spec
    if kind in ("button_reply", "list_reply", "button") and not spec.get("context"):
        wanted = fields.get("payload") if kind == "button" else fields.get("id")
        record = state.last_sent_to(sender.key, lambda r: any(c.get("id", c.get("payload")) == wanted for c in r["choices"]))
        if record is not None:
            spec["context"] = record["wamid"]
    if kind == "reaction" and not fields.get("message_id"):
        record = state.last_sent_to(sender.key)
        if record is not None:
            spec = {**spec, "message_id": record["wamid"]}
    if kind in ("edit", "revoke") and not fields.get("message_id"):
        entry = state.last_inbound_from(sender.key)
        if entry is not None:
            spec = {**spec, "message_id": entry["wamid"]}
    return spec


async def post_inbound(request: Request) -> HTTPResponse:
    """One citizen message ({"from", "type", ...}) or several in one webhook ({"messages": [...]})."""
    state, emitter = _parts(request)
    body = _body(request)
    if not isinstance(body, dict):
        return _bad("send a JSON object")
    specs = body["messages"] if isinstance(body.get("messages"), list) else [body]
    if not specs or not all(isinstance(spec, dict) for spec in specs):
        return _bad("each message is a JSON object")
    messages, contacts, wamids, media_ids = [], [], [], []
    try:
        for spec in specs:
            sender = inbound.sender_from(spec)
            spec = _default_references(state, spec, sender)
            added: list[str] = []

            def add_media(data: bytes, mime: str, filename: str | None, added: list[str] = added) -> str:
                item = state.media.add(data, mime, filename=filename, origin="user", now=state.clock.now())
                added.append(item.id)
                return item.id

            message = inbound.build(
                spec, sender, stamp=state.clock.stamp(), business_phone=state.config.display_phone_number, add_media=add_media
            )
            messages.append(message)
            media_ids += added
            if message["type"] != "system" and sender.contact() not in contacts:
                contacts.append(sender.contact())
            wamids.append(message["id"])
            state.known_messages[message["id"]] = sender.key
            if spec.get("type", "text") in inbound.OPENS_WINDOW:
                for citizen in (sender.wa_id, sender.user_id):
                    if citizen:
                        state.open_window(citizen)
            state.record_inbound({"wamid": message["id"], "from": sender.key, "type": message["type"], "message": message})
    except (inbound.SpecError, TypeError, ValueError) as exc:
        return _bad(str(exc))
    payload = envelope(state.config, messages_value(state.config, contacts, messages))
    first = inbound.sender_from(specs[0]).key
    emitter.enqueue("citizen:" + first, lambda: payload, kind="message")
    answer: dict[str, Any] = {"wamid": wamids[0], "wamids": wamids}
    if media_ids:
        answer["media_id"] = media_ids[0]
    return sim_json(answer)


async def get_inbound(request: Request) -> HTTPResponse:
    state, _ = _parts(request)
    return sim_json([entry for entry in state.inbound if entry["seq"] > _after(request)])


async def post_webhook(request: Request) -> HTTPResponse:
    """Post an arbitrary payload (or exact `raw` text) once, signed valid|wrong|missing|malformed."""
    state, emitter = _parts(request)
    body = _body(request)
    if not isinstance(body, dict) or ("payload" not in body and "raw" not in body):
        return _bad('send {"payload": {...}} or {"raw": "..."}, with an optional "sign"')
    mode = body.get("sign", "valid")
    if mode not in ("valid", "wrong", "missing", "malformed"):
        return _bad("sign is one of valid, wrong, missing, malformed")
    if "raw" in body:
        data = str(body["raw"]).encode("utf-8")
    else:
        data = serialize(body["payload"], escape_slashes=state.settings.escape_slashes)
        _learn_messages(state, body["payload"])
    status, text, latency, error = await emitter.post(data, sign_mode=mode)
    state.record_delivery(
        {
            "kind": "raw",
            "key": "",
            "attempt": 1,
            "duplicate": None,
            "status": status,
            "error": error,
            "latency_ms": round(latency * 1000, 1),
            "wamids": [],
            "statuses": [],
            "response": text[:500],
            "body": data.decode("utf-8", "replace"),
            "sign": mode,
        }
    )
    return sim_json({"status": status, "body": text, "error": error, "latency_ms": round(latency * 1000, 1)})


def _learn_messages(state: SimState, payload: Any) -> None:
    """Messages in a hand-made payload open windows and can be marked read, like generated ones."""
    if not isinstance(payload, dict):
        return
    for entry in payload.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            for message in ((change or {}).get("value") or {}).get("messages") or []:
                sender = message.get("from") or message.get("from_user_id")
                if sender and message.get("id"):
                    state.known_messages[str(message["id"])] = str(sender)
                    if message.get("type") != "system":
                        state.open_window(str(sender))


async def post_verify(request: Request) -> HTTPResponse:
    _, emitter = _parts(request)
    body = _body(request) or {}
    return sim_json(await emitter.verify(body.get("verify_token"), body.get("mode", "subscribe")))


# --- what the connector did ------------------------------------------------------------------------


async def get_sent(request: Request) -> HTTPResponse:
    """Sent messages after `after`, to `to` if given. With `wait` (seconds, up to 30) and nothing
    to show yet, the answer waits for the next matching send: a long poll, so that a benchmark's
    fifty waiting citizens cost nothing while they wait."""
    state, _ = _parts(request)
    to = request.args.get("to")
    after = _after(request)

    def matching() -> list[dict[str, Any]]:
        # Newest first, stopping at `after`: a poll costs what is new, not the whole log.
        found = []
        for record in reversed(state.sent):
            if record["seq"] <= after:
                break
            if to is None or to.lstrip("+") in (record["to"], record["wa_id"], record["user_id"]):
                found.append(record)
        return found[::-1]

    records = matching()
    deadline = asyncio.get_running_loop().time() + _wait(request)
    while not records and (remaining := deadline - asyncio.get_running_loop().time()) > 0:
        state.waiting_polls += 1
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(state.sent_signal.wait(), remaining)
        finally:
            state.waiting_polls -= 1
        records = matching()
    return sim_json(records)


async def get_errors(request: Request) -> HTTPResponse:
    state, _ = _parts(request)
    return sim_json([entry for entry in state.errors if entry["seq"] > _after(request)])


async def get_ledger(request: Request) -> HTTPResponse:
    """Every accepted send as parallel lists `times` and `to`, and refusals counted by error code."""
    state, _ = _parts(request)
    return sim_json(state.ledger.as_dict(_after(request)))


async def get_deliveries(request: Request) -> HTTPResponse:
    state, _ = _parts(request)
    kind = request.args.get("kind")
    return sim_json([e for e in state.deliveries if e["seq"] > _after(request) and (kind is None or e["kind"] == kind)])


async def get_reads(request: Request) -> HTTPResponse:
    state, _ = _parts(request)
    return sim_json([entry for entry in state.reads if entry["seq"] > _after(request)])


async def get_media(request: Request) -> HTTPResponse:
    state, _ = _parts(request)
    items = state.media.items.values()
    return sim_json(
        [
            {
                "id": i.id,
                "mime_type": i.mime_type,
                "file_size": len(i.data),
                "sha256": i.sha256,
                "origin": i.origin,
                "filename": i.filename,
            }
            for i in items
        ]
    )


async def get_templates(request: Request) -> HTTPResponse:
    state, _ = _parts(request)
    return sim_json([t.graph_json() for t in state.templates.templates])


# --- control ---------------------------------------------------------------------------------------


async def faults(request: Request) -> HTTPResponse:
    state, _ = _parts(request)
    if request.method == "DELETE":
        state.faults.clear()
    elif request.method == "POST":
        body = _body(request)
        if not isinstance(body, dict) or body.get("kind") not in FAULT_KINDS:
            return _bad(f"kind is one of {', '.join(FAULT_KINDS)}")
        if body["kind"] == "error_code" and not body.get("code"):
            return _bad("an error_code fault needs a code, e.g. 130429")
        try:
            fault = Fault(
                kind=body["kind"],
                remaining=int(body.get("count", 1)),
                code=int(body["code"]) if body.get("code") else None,
                delay_ms=int(body["delay_ms"]) if body.get("delay_ms") is not None else None,
                status=int(body["status"]) if body.get("status") else None,
                deliver=bool(body.get("deliver", False)),
            )
        except (TypeError, ValueError):
            return _bad("count, code, delay_ms and status are numbers")
        state.add_fault(fault)
    return sim_json([fault.as_dict() for fault in state.faults])


async def config(request: Request) -> HTTPResponse:
    state, _ = _parts(request)
    if request.method == "POST":
        body = _body(request)
        if not isinstance(body, dict):
            return _bad("send a JSON object of settings")
        try:
            state.update_settings(body)
        except ValueError as exc:
            return _bad(str(exc))
    return sim_json(state.settings.as_dict())


async def window(request: Request, action: str) -> HTTPResponse:
    state, _ = _parts(request)
    body = _body(request) or {}
    citizen = str(body.get("wa_id") or body.get("bsuid") or "").lstrip("+")
    if not citizen:
        return _bad("give wa_id (or bsuid)")
    if action == "close":
        state.close_window(citizen)
    elif action == "open":
        state.open_window(citizen)
    else:
        return _bad("action is open or close")
    return sim_json({"wa_id": citizen, "open": state.in_window(citizen)})


async def clock(request: Request) -> HTTPResponse:
    """Move simulated time forward (windows close after 24 h, media URLs expire)."""
    state, _ = _parts(request)
    body = _body(request) or {}
    try:
        state.clock.advance(float(body.get("advance_s", 0)))
    except (TypeError, ValueError):
        return _bad("advance_s is a number of seconds")
    return sim_json({"now": state.clock.now(), "offset_s": state.clock.offset})


async def reset(request: Request) -> HTTPResponse:
    state, emitter = _parts(request)
    body = _body(request) or {}
    emitter.reset()
    state.reset(keep_settings=bool(body.get("keep_config")))
    return sim_json({"ok": True})


async def health(request: Request) -> HTTPResponse:
    state, emitter = _parts(request)
    config = state.config
    return sim_json(
        {
            "ok": True,
            "api_version": config.api_version,
            "phone_number_id": config.phone_number_id,
            "display_phone_number": config.display_phone_number,
            "waba_id": config.waba_id,
            "webhook_url": state.settings.webhook_url,
            "templates": len(state.templates.templates),
            "pending_webhooks": emitter.pending(),
            "waiting_polls": state.waiting_polls,
        }
    )


def register(app: Sanic) -> None:
    routes: list[tuple[Any, str, list[str]]] = [
        (health, "/_sim/health", ["GET"]),
        (post_inbound, "/_sim/inbound", ["POST"]),
        (get_inbound, "/_sim/inbound", ["GET"]),
        (post_webhook, "/_sim/webhook", ["POST"]),
        (post_verify, "/_sim/verify", ["POST"]),
        (get_sent, "/_sim/sent", ["GET"]),
        (get_errors, "/_sim/errors", ["GET"]),
        (get_ledger, "/_sim/ledger", ["GET"]),
        (get_deliveries, "/_sim/deliveries", ["GET"]),
        (get_reads, "/_sim/reads", ["GET"]),
        (get_media, "/_sim/media", ["GET"]),
        (get_templates, "/_sim/templates", ["GET"]),
        (faults, "/_sim/faults", ["GET", "POST", "DELETE"]),
        (config, "/_sim/config", ["GET", "POST"]),
        (window, "/_sim/window/<action>", ["POST"]),
        (clock, "/_sim/clock", ["POST"]),
        (reset, "/_sim/reset", ["POST"]),
    ]
    for handler, uri, methods in routes:
        app.add_route(handler, uri, methods=methods, name=f"sim_{handler.__name__}")

"""The Graph API routes: send and mark-as-read, media upload / lookup / download / delete, and the
few account reads a client makes. Every route checks the bearer token first (190, HTTP 401)."""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Request, Sanic
from sanic.response import HTTPResponse, raw

from .errors import GraphError, invalid, unknown_object
from .ids import wamid
from .media import UPLOAD_TYPES, base_mime, kind_of
from .state import Fault, SimState
from .statuses import WINDOW_DETAILS, pricing, schedule
from .validation import check_messaging_product, validate_send

log = logging.getLogger("simulator")

PAIR_DETAILS = (
    "Message failed to send because there were too many messages sent from this phone number to the same phone number "
    "in a short period of time."
)
Handler = Callable[..., Awaitable[HTTPResponse]]


def graph_json(body: Any, status: int = 200) -> HTTPResponse:
    return HTTPResponse(json.dumps(body, separators=(",", ":")), status=status, content_type="application/json")


def _state(request: Request) -> SimState:
    return request.app.ctx.state


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def check_token(token: str | None, state: SimState) -> None:
    if not token:
        raise GraphError(
            190,
            "An access token is required to request this resource.",
            message="An access token is required to request this resource.",
        )
    if not hmac.compare_digest(token.encode(), state.config.access_token.encode()):
        raise GraphError(190, "The access token could not be decrypted")


def graph_route(handler: Handler) -> Handler:
    """Auth first, then the handler; a GraphError becomes Graph's error answer and is logged."""

    @functools.wraps(handler)
    async def route(request: Request, **params: str) -> HTTPResponse:
        state = _state(request)
        request.ctx.payload = None
        try:
            check_token(bearer_token(request) or request.args.get("access_token"), state)
            return await handler(request, **params)
        except GraphError as error:
            body = error.body()
            state.record_error(
                {
                    "method": request.method,
                    "path": request.path,
                    "payload": request.ctx.payload,
                    "status": error.http_status,
                    "error": body,
                }
            )
            log.info("refused %s %s: %s %s", request.method, request.path, error.code, error.details)
            return graph_json(body, error.http_status)

    return route


def _check_phone(state: SimState, phone_id: str) -> None:
    if phone_id != state.config.phone_number_id:
        raise unknown_object(phone_id)


def _json_body(request: Request) -> Any:
    try:
        payload = json.loads(request.body or b"null")
    except ValueError:
        raise invalid("The request body is not valid JSON") from None
    request.ctx.payload = payload
    return payload


# --- messages --------------------------------------------------------------------------------------


@graph_route
async def post_messages(request: Request, phone_id: str) -> HTTPResponse:
    state = _state(request)
    _check_phone(state, phone_id)
    payload = _json_body(request)
    if isinstance(payload, dict) and "status" in payload:
        return _mark_read(state, payload)
    fault = state.take_fault()
    if fault is not None:
        return await _with_fault(request, fault, payload)
    return _accept(request, payload)


def _mark_read(state: SimState, payload: dict[str, Any]) -> HTTPResponse:
    check_messaging_product(payload)
    if payload["status"] != "read":
        raise invalid(f'Param status must be one of {{READ}} - got "{payload["status"]}".')
    message_id = payload.get("message_id")
    if not message_id:
        raise invalid("The parameter message_id is required.")
    if not isinstance(message_id, str) or message_id not in state.known_messages:
        raise invalid(f"Invalid message_id: {message_id!r} is not a message this number received")
    typing = payload.get("typing_indicator")
    if typing is not None and typing != {"type": "text"}:
        raise invalid('Param typing_indicator must be {"type": "text"}')
    state.record_read(
        {"message_id": message_id, "from": state.known_messages[message_id], "typing_indicator": typing is not None}
    )
    return graph_json({"success": True})


async def _with_fault(request: Request, fault: Fault, payload: Any) -> HTTPResponse:
    state = _state(request)
    if fault.kind == "slow":
        await asyncio.sleep((fault.delay_ms or 500) / 1000)
        return _accept(request, payload)
    if fault.kind == "timeout":
        hold = fault.delay_ms / 1000 if fault.delay_ms is not None else state.settings.timeout_hold
        if fault.deliver:  # Meta took the message; only the answer is lost
            response = _accept(request, payload)
            await asyncio.sleep(hold)
            return response
        await asyncio.sleep(hold)
        raise GraphError(131000, f"Injected timeout: the request was held for {hold:g} s", http_status=504)
    if fault.kind == "http_500":
        code = fault.code or 131000
        raise GraphError(code, "Injected server error", http_status=fault.status or 500)
    code = fault.code or 131000
    raise GraphError(code, "Injected error", http_status=fault.status)


def _accept(request: Request, payload: Any) -> HTTPResponse:
    state, emitter = _state(request), request.app.ctx.emitter
    accepted = validate_send(payload, templates=state.templates, media=state.media)
    settings, now = state.settings, state.clock.now()
    in_window = state.in_window(accepted.key)
    failure: tuple[int, str] | None = None
    if accepted.template is None and not in_window:
        if settings.window_error == "sync":
            raise GraphError(131047, WINDOW_DETAILS)
        failure = (131047, WINDOW_DETAILS)
    if not state.throughput.take(now):
        raise GraphError(130429, "Cloud API message throughput has been reached.")
    if not state.pairs.take(accepted.key, now):
        raise GraphError(131056, PAIR_DETAILS)
    undeliverable = set(settings.undeliverable)
    if failure is None and {accepted.key, accepted.to, accepted.user_id} & undeliverable:
        failure = (settings.undeliverable_code, "Message failed to send because the recipient cannot be reached.")
    message_id = wamid(accepted.key)
    category = accepted.template.category if accepted.template else None
    record = state.record_send(accepted, payload, message_id, pricing(category, in_window))
    schedule(state, emitter, record, failure)
    message: dict[str, str] = {"id": message_id}
    if accepted.template is not None:
        message["message_status"] = "accepted"
    return graph_json({"messaging_product": "whatsapp", "contacts": [accepted.contact], "messages": [message]})


# --- media -----------------------------------------------------------------------------------------


@graph_route
async def post_media(request: Request, phone_id: str) -> HTTPResponse:
    state = _state(request)
    _check_phone(state, phone_id)
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise invalid("Upload media as multipart/form-data with file, type and messaging_product")
    form, files = request.form, request.files
    request.ctx.payload = {key: form.get(key) for key in form}
    check_messaging_product({"messaging_product": form.get("messaging_product")})
    upload = files.get("file")
    if upload is None:
        raise invalid("The parameter file is required.")
    mime = form.get("type") or ""
    if not mime:
        raise invalid("The parameter type is required.")
    entry = UPLOAD_TYPES.get(base_mime(mime))
    if entry is None:
        raise invalid(
            f"Param file must be a file with one of the following types: {', '.join(sorted(UPLOAD_TYPES))}. "
            f"Received file of type '{mime}'."
        )
    _kind, limit = entry
    if not upload.body:
        raise GraphError(131053, "The uploaded file is empty")
    if len(upload.body) > limit:
        raise GraphError(
            131053, f"File of {len(upload.body)} bytes is larger than the {limit} bytes allowed for {base_mime(mime)}"
        )
    item = state.media.add(upload.body, mime, filename=upload.name, origin="business", now=state.clock.now())
    return graph_json({"id": item.id})


@graph_route
async def get_object(request: Request, object_id: str) -> HTTPResponse:
    state = _state(request)
    config = state.config
    if object_id == config.phone_number_id:
        return graph_json(
            {
                "verified_name": config.verified_name,
                "display_phone_number": config.display_phone_number,
                "id": config.phone_number_id,
                "quality_rating": "GREEN",
                "platform_type": "CLOUD_API",
                "throughput": {"level": "STANDARD"},
            }
        )
    item = state.media.get(object_id)
    if item is None:
        raise unknown_object(object_id, "get")
    owner = request.args.get("phone_number_id")
    if owner is not None and owner != config.phone_number_id:
        raise unknown_object(object_id, "get")
    token, expires = state.media.issue_url(item.id, state.clock.now(), state.settings.media_url_ttl)
    host = (state.settings.media_url_host or f"{request.scheme}://{request.host}").rstrip("/")
    url = f"{host}/whatsapp_business/attachments/?mid={item.id}&ext={int(expires)}&hash={token}"
    return graph_json(item.lookup_json(url))


@graph_route
async def delete_object(request: Request, object_id: str) -> HTTPResponse:
    state = _state(request)
    if not state.media.delete(object_id):
        raise unknown_object(object_id, "delete")
    return graph_json({"success": True})


@graph_route
async def download(request: Request) -> HTTPResponse:
    """The short-lived media URL (Meta's lookaside host). Needs the same bearer token as Graph."""
    state = _state(request)
    if not bearer_token(request):  # the URL does not take ?access_token=, only the header
        raise GraphError(190, "An access token is required to download media.")
    if state.settings.media_download_status:
        status = state.settings.media_download_status
        return HTTPResponse(f"Injected media download answer {status}", status=status, content_type="text/plain")
    outcome, item = state.media.resolve(request.args.get("hash", ""), state.clock.now())
    if outcome == "expired":
        return HTTPResponse("URL signature expired", status=410, content_type="text/plain")
    if item is None:
        return HTTPResponse("Not Found", status=404, content_type="text/plain")
    extension = {"image": "jpg", "video": "mp4", "audio": "ogg", "sticker": "webp"}.get(kind_of(item.mime_type) or "", "bin")
    filename = item.filename or f"{item.id}.{extension}"
    return raw(item.data, content_type=item.mime_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- account reads ---------------------------------------------------------------------------------


@graph_route
async def message_templates(request: Request, waba_id: str) -> HTTPResponse:
    state = _state(request)
    if waba_id != state.config.waba_id:
        raise unknown_object(waba_id, "get")
    name = request.args.get("name")
    data = [t.graph_json() for t in state.templates.templates if name is None or t.name == name]
    return graph_json({"data": data, "paging": {"cursors": {"before": "", "after": ""}}})


@graph_route
async def subscribed_apps(request: Request, waba_id: str) -> HTTPResponse:
    state = _state(request)
    if waba_id != state.config.waba_id:
        raise unknown_object(waba_id, request.method)
    if request.method == "POST":
        return graph_json({"success": True})
    return graph_json({"data": [{"whatsapp_business_api_data": {"id": "1000000000000001", "name": "Nagarik"}}]})


def register(app: Sanic, api_version: str) -> None:
    prefix = f"/{api_version}"
    app.add_route(post_messages, prefix + "/<phone_id>/messages", methods=["POST"])
    app.add_route(post_media, prefix + "/<phone_id>/media", methods=["POST"])
    app.add_route(message_templates, prefix + "/<waba_id>/message_templates", methods=["GET"])
    app.add_route(subscribed_apps, prefix + "/<waba_id>/subscribed_apps", methods=["GET", "POST"])
    app.add_route(get_object, prefix + "/<object_id>", methods=["GET"])
    app.add_route(delete_object, prefix + "/<object_id>", methods=["DELETE"])
    app.add_route(download, "/whatsapp_business/attachments", methods=["GET"])

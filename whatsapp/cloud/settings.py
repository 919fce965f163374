"""The WhatsApp channel's settings, from the environment (never from committed files)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {
    "access_token": "WHATSAPP_ACCESS_TOKEN",
    "app_secret": "WHATSAPP_APP_SECRET",
    "verify_token": "WHATSAPP_VERIFY_TOKEN",
    "phone_number_id": "WHATSAPP_PHONE_NUMBER_ID",
    "api_url": "WHATSAPP_API_URL",
}
HTTP_CLIENTS = ("keepalive", "aiohttp", "httpx")  # the broadcast workers' transports (whatsapp.cloud.transport)
# Where the bearer token may go to fetch a citizen's media: Meta's Graph API and its media host
# (the lookup's `url` is on lookaside.fbsbx.com). WHATSAPP_MEDIA_HOSTS replaces the list.
META_MEDIA_HOSTS = ("https://graph.facebook.com:443", "https://lookaside.fbsbx.com:443")  # as origin() gives them
_DEFAULT_PORTS = {"https": 443, "http": 80}


class MissingSettingError(RuntimeError):
    """Start-up stops here, naming what is missing."""


@dataclass(frozen=True)
class WhatsAppSettings:
    access_token: str
    app_secret: str
    verify_token: str
    phone_number_id: str
    api_url: str
    store_url: str
    evidence_dir: Path
    reopen_template: str | None
    http_timeout: float
    max_concurrent_turns: int
    retry_seconds: float = 2.0  # before a failed turn is tried again; doubles, MAX_ATTEMPTS in all
    http_client: str = "keepalive"  # the broadcast workers' transport, one of HTTP_CLIENTS
    media_hosts: tuple[str, ...] = META_MEDIA_HOSTS  # origins (see origin()) the bearer token may be sent to for media
    media_per_day: int = 20  # files fetched from one citizen in any 24 hours
    media_bytes_per_day: int = 50 * 1024 * 1024  # and their bytes

    @classmethod
    def load(cls, credentials: dict[str, Any] | None = None) -> WhatsAppSettings:
        """credentials.yml values first (they may be ${ENV} references), then the environment."""
        credentials = credentials or {}
        values = {key: credentials.get(key) or os.environ.get(env) for key, env in REQUIRED.items()}
        missing = [REQUIRED[key] for key, value in values.items() if not value]
        if missing:
            raise MissingSettingError(f"the WhatsApp channel needs {', '.join(missing)} in the environment (see README)")
        return cls(
            **{key: str(value).rstrip("/") if key == "api_url" else str(value) for key, value in values.items()},
            store_url=store_url(),
            evidence_dir=evidence_dir(),
            reopen_template=os.environ.get("WHATSAPP_REOPEN_TEMPLATE", "conversation_reopen") or None,
            http_timeout=float(os.environ.get("WHATSAPP_HTTP_TIMEOUT") or 10.0),
            max_concurrent_turns=int(os.environ.get("WHATSAPP_MAX_CONCURRENT_TURNS") or 2),
            retry_seconds=float(os.environ.get("WHATSAPP_RETRY_SECONDS") or 2.0),
            http_client=_http_client(),
            media_hosts=_media_hosts(),
            media_per_day=_count("WHATSAPP_MEDIA_PER_DAY", 20),
            media_bytes_per_day=_count("WHATSAPP_MEDIA_BYTES_PER_DAY", 50 * 1024 * 1024),
        )


def store_url() -> str:
    """WHATSAPP_STORE_URL: the channel's inbox and outbox (also read by the purge, which needs no secrets)."""
    return os.environ.get("WHATSAPP_STORE_URL") or f"sqlite:///{PROJECT_ROOT / 'var' / 'whatsapp.db'}"


def evidence_dir() -> Path:
    """WHATSAPP_EVIDENCE_DIR: where the channel keeps citizens' files (also read by the action server and the purge)."""
    return Path(os.environ.get("WHATSAPP_EVIDENCE_DIR") or PROJECT_ROOT / "var" / "evidence")


def origin(url: str) -> str:
    """`scheme://host:port` of a URL, or of a bare host (meaning https); ValueError if it has no host."""
    parts = urlsplit(url if "://" in url else f"https://{url}")
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # not a number
        port = None
    if scheme not in _DEFAULT_PORTS or not parts.hostname or port is None:
        raise ValueError(f"{url!r} is not an http(s) host or URL")
    return f"{scheme}://{parts.hostname}:{port}"


def _media_hosts() -> tuple[str, ...]:
    value = os.environ.get("WHATSAPP_MEDIA_HOSTS") or ",".join(META_MEDIA_HOSTS)
    try:
        return tuple(origin(host.strip()) for host in value.split(",") if host.strip())
    except ValueError as exc:
        example = "graph.facebook.com,http://127.0.0.1:5100"
        raise ValueError(f"WHATSAPP_MEDIA_HOSTS: {exc} (a comma-separated list such as {example})") from None


def _count(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number above 0, not {value!r}")
    return int(value)


def _http_client() -> str:
    value = os.environ.get("WHATSAPP_HTTP_CLIENT") or "keepalive"
    if value not in HTTP_CLIENTS:
        raise ValueError(f"WHATSAPP_HTTP_CLIENT must be one of {', '.join(HTTP_CLIENTS)}, not {value!r}")
    return value

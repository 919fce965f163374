"""The WhatsApp channel's settings, from the environment (never from committed files)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {
    "access_token": "WHATSAPP_ACCESS_TOKEN",
    "app_secret": "WHATSAPP_APP_SECRET",
    "verify_token": "WHATSAPP_VERIFY_TOKEN",
    "phone_number_id": "WHATSAPP_PHONE_NUMBER_ID",
    "api_url": "WHATSAPP_API_URL",
}
HTTP_CLIENTS = ("keepalive", "aiohttp", "httpx")  # the broadcast workers' transports (whatsapp.cloud.transport)


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
        )


def store_url() -> str:
    """WHATSAPP_STORE_URL: the channel's inbox and outbox (also read by the purge, which needs no secrets)."""
    return os.environ.get("WHATSAPP_STORE_URL") or f"sqlite:///{PROJECT_ROOT / 'var' / 'whatsapp.db'}"


def evidence_dir() -> Path:
    """WHATSAPP_EVIDENCE_DIR: where citizens' photos, videos and PDFs are kept."""
    return Path(os.environ.get("WHATSAPP_EVIDENCE_DIR") or PROJECT_ROOT / "var" / "evidence")


def _http_client() -> str:
    value = os.environ.get("WHATSAPP_HTTP_CLIENT") or "keepalive"
    if value not in HTTP_CLIENTS:
        raise ValueError(f"WHATSAPP_HTTP_CLIENT must be one of {', '.join(HTTP_CLIENTS)}, not {value!r}")
    return value

"""The deployment's settings, from the environment (the environment file systemd or the operator
loads), each checked here so that a wrong one is named before anything starts.

The processes' own settings (WHATSAPP_*, DATABASE_URL, NAGARIK_*) stay where they are read
(whatsapp/cloud/settings.py, nagarik/settings.py); `checks()` asks those modules, so production
is refused for exactly what the processes would refuse, before any of them starts, and also for
what only a deployment must not have: the simulator's public secrets, a placeholder, a short secret.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_RASA_PROCESSES = 8
# Secrets a deployment must set, each long enough not to be guessed.
SECRETS = (
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
    "NAGARIK_ACTIONS_TOKEN",
    "RASA_AUTH_TOKEN",
)
MIN_SECRET_LENGTH = 32
# What Rasa's endpoints (deploy/endpoints.yml.template) read from the environment; a password may be empty.
RASA_STORES = (
    "TRACKER_DB_HOST",
    "TRACKER_DB_PORT",
    "TRACKER_DB_NAME",
    "TRACKER_DB_USER",
    "REDIS_LOCK_HOST",
    "REDIS_LOCK_PORT",
    "REDIS_LOCK_DB",
)
PLACEHOLDER_MARK = "change-me"  # what nagarik.env.example writes where a secret goes


def _get(name: str, default: str = "") -> str:
    return os.environ.get(name) or default


def _port(name: str, default: int) -> int:
    value = _get(name, str(default))
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ValueError(f"{name} must be a port number (1-65535), not {value!r}")
    return int(value)


@dataclass(frozen=True)
class Layout:
    """Where each process listens. Only the proxy's port is public; the rest are on 127.0.0.1."""

    public_port: int
    server_name: str
    tls_certificate: Path | None  # None: plain HTTP, only behind a TLS-terminating load balancer
    tls_key: Path | None
    rasa_processes: int
    rasa_port: int  # the first; the others follow it
    receiver_port: int
    actions_port: int
    api_port: int
    worker_threads: int
    endpoints: Path
    run_dir: Path  # rendered configs, sockets, pid files, logs

    @property
    def rasa_ports(self) -> list[int]:
        return [self.rasa_port + i for i in range(self.rasa_processes)]

    @property
    def internal_ports(self) -> list[int]:
        return [*self.rasa_ports, self.receiver_port, self.actions_port, self.api_port]


def layout() -> Layout:
    processes = _get("NAGARIK_RASA_PROCESSES", "2")
    if not processes.isdigit() or not 1 <= int(processes) <= MAX_RASA_PROCESSES:
        raise ValueError(f"NAGARIK_RASA_PROCESSES must be a whole number from 1 to {MAX_RASA_PROCESSES}")
    threads = _get("NAGARIK_WORKER_THREADS", "4")
    if not threads.isdigit() or int(threads) < 1:
        raise ValueError("NAGARIK_WORKER_THREADS must be a whole number above 0")
    tls = _get("NAGARIK_TLS", "on")
    if tls not in ("on", "off"):
        raise ValueError("NAGARIK_TLS must be on or off")
    certificate = key = None
    if tls == "on":
        certificate, key = Path(_get("NAGARIK_TLS_CERTIFICATE")), Path(_get("NAGARIK_TLS_KEY"))
        for name, path in (("NAGARIK_TLS_CERTIFICATE", certificate), ("NAGARIK_TLS_KEY", key)):
            if not _get(name) or not path.is_file():
                raise ValueError(f"{name} must name the TLS {name.rsplit('_', 1)[1].lower()} file (or set NAGARIK_TLS=off)")
    result = Layout(
        public_port=_port("NAGARIK_PUBLIC_PORT", 443 if tls == "on" else 8080),
        server_name=_get("NAGARIK_SERVER_NAME", "_"),
        tls_certificate=certificate,
        tls_key=key,
        rasa_processes=int(processes),
        rasa_port=_port("NAGARIK_RASA_PORT", 5010),
        receiver_port=_port("NAGARIK_RECEIVER_PORT", 5006),
        actions_port=_port("NAGARIK_ACTIONS_PORT", 5055),
        api_port=_port("NAGARIK_API_PORT", 5200),
        worker_threads=int(threads),
        endpoints=Path(_get("NAGARIK_RASA_ENDPOINTS", str(ROOT / "deploy" / "endpoints.yml"))),
        run_dir=Path(_get("NAGARIK_RUN_DIR", str(ROOT / "var" / "deploy"))),
    )
    ports = [result.public_port, *result.internal_ports]
    if len(set(ports)) != len(ports):
        raise ValueError("two processes would share a port: check the NAGARIK_*_PORT settings and NAGARIK_RASA_PROCESSES")
    return result


def checks() -> list[str]:
    """Everything wrong with this environment for production, each naming its setting; [] is ready."""
    from harness.servers import SIMULATOR_SETTINGS
    from nagarik import settings as civic
    from nagarik.shared import clock
    from whatsapp.cloud.settings import REQUIRED, MissingSettingError, WhatsAppSettings

    problems: list[str] = []
    for attempt in (layout, WhatsAppSettings.load, civic.queue_url, civic.pacing_url, civic.messaging_tier):
        try:
            attempt()
        except (ValueError, MissingSettingError) as exc:
            problems.append(str(exc))
    for name in SECRETS:
        value = _get(name)
        if not value and name in REQUIRED.values():
            continue  # the channel's own message above names it
        if value and value == SIMULATOR_SETTINGS.get(name):
            problems.append(f"{name} is the local simulator's public value: set the real one")
        elif value and PLACEHOLDER_MARK in value:
            problems.append(f"{name} is still the example's placeholder")
        elif len(value) < MIN_SECRET_LENGTH:
            problems.append(f"{name} must be set to a secret of at least {MIN_SECRET_LENGTH} characters")
    missing = [name for name in (*RASA_STORES, "TRACKER_DB_PASSWORD") if name not in os.environ]
    missing += [name for name in RASA_STORES if name in os.environ and not os.environ[name]]
    if missing:
        problems.append(
            f"Rasa's tracker and lock stores need {', '.join(dict.fromkeys(missing))} (TRACKER_DB_PASSWORD may be empty)"
        )
    if not _get("DATABASE_URL").startswith("postgresql"):
        problems.append("DATABASE_URL must name the PostgreSQL database (several processes share it)")
    if not _get("WHATSAPP_STORE_URL").startswith("postgresql"):
        problems.append("WHATSAPP_STORE_URL must name a PostgreSQL database (every Rasa process reads the inbox)")
    if not _get("NAGARIK_QUEUE_URL").startswith(("redis://", "rediss://")):
        problems.append("NAGARIK_QUEUE_URL must be a redis:// URL (the workers of several processes share the queue)")
    if os.environ.get(clock.DEMO_CLOCK_VARIABLE):
        problems.append(f"{clock.DEMO_CLOCK_VARIABLE} is the demo's movable clock: unset it (deadlines must run on real time)")
    return problems

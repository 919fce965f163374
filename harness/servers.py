"""The one launcher: how each of the assistant's processes is started, checked and stopped.

`make demo`, the REST and end-to-end tests, and the benches all start their servers from here
(`python -m harness` for the demo and the REST tests, `harness.stack.Stack` for fresh databases).
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# Every Rasa command goes through scripts/rasa_offline.py: no telemetry, no crash reports to third parties.
RASA = [str(ROOT / ".venv-rasa" / "bin" / "python"), str(ROOT / "scripts" / "rasa_offline.py")]

# The local Cloud API simulator accepts exactly these: not secrets, and only for the simulator. A
# real deployment sets its own WHATSAPP_* values in the environment (docs/whatsapp.md).
SIMULATOR_SETTINGS = {
    "WHATSAPP_ACCESS_TOKEN": "simulator-access-token",
    "WHATSAPP_APP_SECRET": "simulator-app-secret",
    "WHATSAPP_VERIFY_TOKEN": "simulator-verify-token",
    "WHATSAPP_PHONE_NUMBER_ID": "100200300400500",
}


def simulator_settings(port: int = 5100) -> dict[str, str]:
    url = f"http://127.0.0.1:{port}"  # also the media host: the simulator serves downloads itself
    return {**SIMULATOR_SETTINGS, "WHATSAPP_API_URL": f"{url}/v21.0", "WHATSAPP_MEDIA_HOSTS": url}


# Secrets between our own processes: the action server's shared secret (endpoints.yml sends it)
# and the token of Rasa's HTTP API. A run on this machine makes its own unless the environment
# has them; nothing is written to disk.
RUN_SECRETS = ("NAGARIK_ACTIONS_TOKEN", "RASA_AUTH_TOKEN")


def run_secrets(env: dict[str, str]) -> dict[str, str]:
    return {name: env.get(name) or secrets.token_urlsafe(32) for name in RUN_SECRETS}


class StartError(RuntimeError):
    """A process would not start or answer; the message names its log."""


class Server:
    """One process: started with its output in `log`, up once `health` answers 200."""

    def __init__(
        self, name: str, command: list[str], env: dict[str, str], log: Path, health: str | None = None, start_seconds: float = 60
    ) -> None:
        self.name, self.command, self.env, self.log = name, command, env, log
        self.health, self.start_seconds = health, start_seconds
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def start(self) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            # A session of its own: Ctrl-C in the demo's chat reaches the launcher, which stops us in order.
            self.popen = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        if self.health:
            self.wait_healthy()
        return self

    def wait_healthy(self) -> None:
        assert self.popen is not None and self.health is not None
        deadline = time.monotonic() + self.start_seconds
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise StartError(f"{self.name} exited with {self.popen.returncode}; see {self.log}")
            try:
                if httpx.get(self.health, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise StartError(f"{self.name} did not answer at {self.health} within {self.start_seconds:.0f} s; see {self.log}")

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.running():
            assert self.popen is not None
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def action_server(port: int, env: dict[str, str], log: Path) -> Server:
    """Our action server (action_server/): on 127.0.0.1, answering only calls with NAGARIK_ACTIONS_TOKEN."""
    command = [PYTHON, "-m", "action_server", "--port", str(port)]
    return Server("action server", command, env, log, f"http://127.0.0.1:{port}/health", 60)


def write_endpoints(directory: Path, actions_port: int) -> Path:
    """Rasa's endpoints for a run of its own: the action server on that port, the tracker in `directory`."""
    endpoints = directory / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
        "  headers:\n    X-Nagarik-Actions-Token: ${NAGARIK_ACTIONS_TOKEN}\n"
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {directory / 'tracker.db'}\n"
        # the console's conversations (nagarik/conversations reads it with RASA_ENDPOINTS at this file)
        "event_broker:\n  type: channels.event_broker.BackgroundSQLEventBroker\n"
        f"  dialect: sqlite\n  db: {directory / 'events.db'}\n"
    )
    return endpoints


# The production channels file has the WhatsApp channel alone; the REST channel (anyone may write
# as any number) exists only in the REST tests' own file.
WHATSAPP_ONLY = "credentials.yml"
REST_ONLY = "tests/rest/credentials.yml"


def rasa_server(port: int, endpoints: Path | str, env: dict[str, str], log: Path, credentials: str = WHATSAPP_ONLY) -> Server:
    """The Rasa server on 127.0.0.1 with the channels in `credentials`; its HTTP API needs
    RASA_AUTH_TOKEN (?token=...). Up once it answers."""
    command = [*RASA, "run", "--interface", "127.0.0.1", "--port", str(port), "--model", "models"]
    # One argument with "=": a token may begin with "-", which Rasa's argument parser would take for an option.
    command += ["--enable-api", f"--auth-token={env['RASA_AUTH_TOKEN']}"]
    command += ["--endpoints", str(endpoints), "--credentials", credentials]
    return Server("Rasa server", command, env, log, f"http://127.0.0.1:{port}/", 300)


def simulator(port: int, webhook_url: str, env: dict[str, str], log: Path, *extra: str) -> Server:
    # It imports nothing of ours (docs/simulator.md); its logs are kept private from outside.
    command = [PYTHON, "-m", "nagarik.shared.log_privacy", "simulator", "--port", str(port), "--webhook-url", webhook_url, *extra]
    return Server("simulator", command, env, log, f"http://127.0.0.1:{port}/_sim/health", 30)


def console(port: int, env: dict[str, str], log: Path) -> Server:
    """The officials' web server (python -m nagarik.web: the console and the JSON API); up once the
    console's login page answers."""
    console_env = {
        **env,
        # Plain http on 127.0.0.1 here: a Secure (__Host-) cookie would never be sent back over it, so
        # no one could stay logged in. Behind the proxy (deploy/) the default, Secure, holds.
        "NAGARIK_CONSOLE_SECURE_COOKIES": "0",
        # The server will not start without API tokens; unless the environment names some, one made
        # for the run and given no scopes, so the API refuses everyone (deploy/ does the same).
        "NAGARIK_API_TOKENS": env.get("NAGARIK_API_TOKENS") or f"{secrets.token_urlsafe(32)}:harness",
    }
    command = [PYTHON, "-m", "nagarik.web", "--host", "127.0.0.1", "--port", str(port)]
    return Server("console", command, console_env, log, f"http://127.0.0.1:{port}/console/login", 60)


def workers(threads: int, env: dict[str, str], log: Path) -> Server:
    """The outbound queue's consumer (no health route: it is up once it runs)."""
    return Server("workers", [PYTHON, "-m", "nagarik", "worker", "--workers", str(threads)], env, log)

"""The production layout (deploy/) on this machine, as `python -m deploy start` runs it: nginx in
front on a free port, N Rasa processes on PostgreSQL with Redis locks, the receiver, the action
server, the workers and the officials' API under supervisord; the Cloud API simulator stands in
for Meta. Fresh PostgreSQL databases and Redis databases of its own, dropped after. Used by the
attack tests (tests/attacks/) and the deployment bench (bench/deployment.py).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import psycopg2
import redis

from harness.ports import free_ports
from harness.servers import PYTHON, ROOT, StartError, simulator

POSTGRES = os.environ.get("NAGARIK_TEST_DATABASE_URL") or "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


def answered(url: str) -> bool:
    """The server behind `url` answers itself (the proxy's 502 while it starts does not count)."""
    try:
        return httpx.get(url, timeout=5).status_code != 502
    except httpx.HTTPError:
        return False


def postgres(statement: str) -> None:
    """One statement on the PostgreSQL server, outside a transaction (CREATE and DROP DATABASE)."""
    try:
        connection = psycopg2.connect(POSTGRES.replace("postgresql+psycopg2://", "postgresql://"))
    except psycopg2.OperationalError as exc:
        raise StartError(f"PostgreSQL at {POSTGRES} is not reachable (the deployment runs on it): {exc}") from exc
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


class Deployment:
    def __init__(self, directory: Path, rasa_processes: int = 2, redis_dbs: tuple[int, int] = (11, 12), **extra: str) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.redis_dbs = redis_dbs
        public, receiver, actions, api, sim = free_ports(5)
        self.rasa_ports = free_ports(rasa_processes, consecutive=True)
        self.ports = {"receiver": receiver, "actions": actions, "api": api}
        self.public = f"http://127.0.0.1:{public}"
        self.simulator_url = f"http://127.0.0.1:{sim}"
        self.database = f"nagarik_deploy_{uuid.uuid4().hex[:8]}"
        postgres_base = POSTGRES.rsplit("/", 1)[0]
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "NAGARIK_", "RASA_", "TRACKER_DB"))}
        self.env = {
            **inherited,
            "WHATSAPP_ACCESS_TOKEN": secrets.token_urlsafe(40),
            "WHATSAPP_APP_SECRET": secrets.token_hex(16),
            "WHATSAPP_VERIFY_TOKEN": secrets.token_urlsafe(32),
            "WHATSAPP_PHONE_NUMBER_ID": "109876543210987",
            "WHATSAPP_API_URL": f"{self.simulator_url}/v21.0",
            "WHATSAPP_MEDIA_HOSTS": self.simulator_url,  # the simulator serves the media as Meta's hosts would
            "WHATSAPP_EVIDENCE_DIR": str(directory / "evidence"),
            "NAGARIK_ACTIONS_TOKEN": secrets.token_urlsafe(32),
            "RASA_AUTH_TOKEN": secrets.token_urlsafe(32),
            "NAGARIK_API_TOKENS": f"{secrets.token_urlsafe(32)}:deployment",
            "NAGARIK_TLS": "off",  # TLS is the operator's certificate; tests/unit/test_deploy.py checks that branch
            "NAGARIK_PUBLIC_PORT": str(public),
            "NAGARIK_RASA_PROCESSES": str(rasa_processes),
            "NAGARIK_RASA_PORT": str(self.rasa_ports[0]),
            "NAGARIK_RECEIVER_PORT": str(receiver),
            "NAGARIK_ACTIONS_PORT": str(actions),
            "NAGARIK_API_PORT": str(api),
            "NAGARIK_WORKER_THREADS": "2",
            "NAGARIK_RUN_DIR": str(directory / "run"),
            "NAGARIK_SAMPLE_DIR": str(ROOT / "tests" / "fixtures" / "seed"),  # never the demo's rows
            "DATABASE_URL": f"{postgres_base}/{self.database}",
            "WHATSAPP_STORE_URL": f"{postgres_base}/{self.database}",
            "NAGARIK_QUEUE_URL": f"redis://127.0.0.1:6379/{redis_dbs[0]}",
            "TRACKER_DB_HOST": "127.0.0.1",
            "TRACKER_DB_PORT": "5432",
            "TRACKER_DB_NAME": f"{self.database}_conversations",
            "TRACKER_DB_USER": "postgres",
            "TRACKER_DB_PASSWORD": "",
            "REDIS_LOCK_HOST": "127.0.0.1",
            "REDIS_LOCK_PORT": "6379",
            "REDIS_LOCK_DB": str(redis_dbs[1]),
            "RASA_TELEMETRY_ENABLED": "false",
            **extra,
        }
        self.logs = directory / "run" / "log"
        self.meta = simulator(sim, f"{self.public}/webhooks/whatsapp/webhook", self.env, directory / "simulator.log")

    def _flush_redis(self) -> None:
        try:
            for db in self.redis_dbs:
                redis.Redis(db=db).flushdb()
        except redis.RedisError as exc:
            raise StartError(f"Redis on 127.0.0.1:6379 is not reachable (the deployment's queue and locks): {exc}") from exc

    def deploy(self, *words: str) -> subprocess.CompletedProcess[str]:
        command = [PYTHON, "-m", "deploy", *words]
        return subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300)

    def start(self, seconds: float = 900) -> Deployment:
        """Up once every Rasa process, the receiver and the API answer (two Rasa processes load slowly on 2 cores)."""
        self._flush_redis()
        postgres(f'CREATE DATABASE "{self.database}"')
        postgres(f'CREATE DATABASE "{self.database}_conversations"')
        subprocess.run([PYTHON, "-m", "nagarik", "init"], cwd=ROOT, env=self.env, check=True, capture_output=True)
        self.meta.start()
        started = self.deploy("start", "--background")
        if started.returncode != 0:
            raise StartError(f"python -m deploy start failed: {started.stderr}")
        up = [f"http://127.0.0.1:{port}/" for port in self.rasa_ports]
        up += [f"{self.public}/verify/NGK-0000-0000", f"{self.public}/webhooks/whatsapp/webhook"]  # the API and the receiver
        deadline = time.monotonic() + seconds
        while not all(answered(url) for url in up):
            status = self.deploy("status").stdout
            if "FATAL" in status or "EXITED" in status or time.monotonic() > deadline:
                raise StartError(f"the deployment did not come up:\n{status}\n(logs: {self.logs})")
            time.sleep(1)
        return self

    def stop(self) -> None:
        pid_file = self.directory / "run" / "supervisord.pid"
        if pid_file.exists():
            self.deploy("stop")
            deadline = time.monotonic() + 180
            while pid_file.exists() and time.monotonic() < deadline:
                time.sleep(0.5)
        self.meta.stop()
        postgres(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        postgres(f'DROP DATABASE IF EXISTS "{self.database}_conversations" WITH (FORCE)')
        self._flush_redis()

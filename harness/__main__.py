"""Run a command with the assistant's servers up, then stop them whatever happened.

    .venv/bin/python -m harness [--simulator] [--rasa] [--worker] [--console] COMMAND [ARGS...]

The action server always; with --simulator the WhatsApp Cloud API simulator (:5100), with --rasa
the Rasa server (:5005; endpoints from RASA_ENDPOINTS, default endpoints.yml; channels from
RASA_CREDENTIALS, default credentials.yml: WhatsApp only), with --worker the outbound queue's
workers, with --console the officials' web server (:5200, the console at /console/, over plain
http). All on 127.0.0.1. They use the databases the environment names (DATABASE_URL, ...), as
`make demo` and `make rest-test` want; logs go to var/log/.

This is the launcher for this machine's demo and tests, not for production (deploy/ is). The
simulator's WhatsApp settings are used only with --simulator, and then always (a real token is
never sent to the simulator); without it the WhatsApp channel needs real settings and stops
naming what is missing. The secrets between our processes (NAGARIK_ACTIONS_TOKEN,
RASA_AUTH_TOKEN) are made for the run unless set, and given to COMMAND's environment.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys

from harness.servers import (
    ROOT,
    WHATSAPP_ONLY,
    Server,
    StartError,
    action_server,
    console,
    rasa_server,
    run_secrets,
    simulator,
    simulator_settings,
    workers,
)

LOGS = ROOT / "var" / "log"
CONSOLE_PORT = 5200


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__.split("\n")[0])
    parser.add_argument("--simulator", action="store_true")
    parser.add_argument("--rasa", action="store_true")
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--console", action="store_true", help="the officials' web server on :5200")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if not args.command:
        parser.error("a command to run is needed (for example: sleep infinity)")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    env.update(run_secrets(env))
    if args.simulator:
        env.update(simulator_settings())
    ports = [5055] + [5005] * args.rasa + [5100] * args.simulator + [CONSOLE_PORT] * args.console
    busy = [port for port in ports if port_in_use(port)]
    if busy:
        print(f"harness: port {busy[0]} is in use (is 'make demo' running?). Stop it first.", file=sys.stderr)
        return 1
    servers: list[Server] = [action_server(5055, env, LOGS / "actions.log")]
    if args.simulator:
        servers.append(simulator(5100, "http://127.0.0.1:5005/webhooks/whatsapp/webhook", env, LOGS / "simulator.log"))
    if args.rasa:
        endpoints = os.environ.get("RASA_ENDPOINTS", "endpoints.yml")
        credentials = os.environ.get("RASA_CREDENTIALS", WHATSAPP_ONLY)
        servers.append(rasa_server(5005, endpoints, env, LOGS / "rasa.log", credentials))
    if args.worker:
        servers.append(workers(4, env, LOGS / "worker.log"))
    if args.console:
        servers.append(console(CONSOLE_PORT, env, LOGS / "console.log"))
    try:
        for server in servers:
            print(f"==> starting the {server.name} (log: {server.log.relative_to(ROOT)})", flush=True)
            server.start()
        return subprocess.run(args.command, env=env).returncode
    except StartError as exc:
        print(f"harness: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        for server in reversed(servers):
            server.stop()


if __name__ == "__main__":
    sys.exit(main())

"""Run Nagarik for real: `python -m deploy check | render | start [--background] | stop | status`.

    check    name every setting that is missing or unsafe for production (exit 2), or say ready
    render   write nginx.conf, supervisord.conf and Rasa's endpoints.yml into NAGARIK_RUN_DIR
    start    check, render, migrate the databases, then run every process under supervisord
             (in the foreground for systemd: deploy/nagarik.service; --background returns at once)
    stop     stop every process          status   what supervisord says of each

The settings come from the environment: load the environment file first (nagarik.env.example
shows every one), as deploy/nagarik.service does with EnvironmentFile=.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from deploy import render as rendering
from deploy.settings import ROOT, checks, layout

APP_PYTHON = str(ROOT / ".venv" / "bin" / "python")
SUPERVISORD = str(ROOT / ".venv" / "bin" / "supervisord")
SUPERVISORCTL = str(ROOT / ".venv" / "bin" / "supervisorctl")


def check() -> int:
    problems = checks()
    for problem in problems:
        print(f"deploy: {problem}", file=sys.stderr)
    if problems:
        print(f"deploy: not starting: {len(problems)} setting(s) to fix (see deploy/nagarik.env.example)", file=sys.stderr)
        return 2
    print("deploy: the settings are ready for production")
    return 0


def render() -> int:
    try:
        written = rendering.render(layout())
    except (ValueError, FileNotFoundError) as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"deploy: wrote {path}")
    return 0


def start(background: bool) -> int:
    if check() or render():
        return 2
    for command in ([APP_PYTHON, "-m", "nagarik", "migrate"],):
        if subprocess.run(command, cwd=ROOT).returncode != 0:
            print(f"deploy: {' '.join(command[1:])} failed", file=sys.stderr)
            return 1
    config = str(layout().run_dir / "supervisord.conf")
    arguments = [SUPERVISORD, "-c", config] + ([] if background else ["-n"])
    if background:
        return subprocess.run(arguments, cwd=ROOT).returncode
    os.execv(SUPERVISORD, arguments)  # systemd supervises supervisord itself
    return 0  # not reached


def control(*words: str) -> int:
    return subprocess.run([SUPERVISORCTL, "-c", str(layout().run_dir / "supervisord.conf"), *words], cwd=ROOT).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check")
    commands.add_parser("render")
    commands.add_parser("start").add_argument("--background", action="store_true")
    commands.add_parser("stop")
    commands.add_parser("status")
    args = parser.parse_args(argv)
    if args.command == "check":
        return check()
    if args.command == "render":
        return render()
    if args.command == "start":
        return start(args.background)
    return control("shutdown") if args.command == "stop" else control("status")


if __name__ == "__main__":
    sys.exit(main())

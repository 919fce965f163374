"""user: officials' console accounts.

python -m nagarik user add NAME --role ROLE [--department CODE ...] [--language en] [--password-stdin]
python -m nagarik user list     python -m nagarik user disable NAME     python -m nagarik user sessions end NAME
"""

from __future__ import annotations

import argparse
import sys

from nagarik import db
from nagarik.staff import accounts, audit, sessions


def register(commands: argparse._SubParsersAction) -> None:
    user = commands.add_parser("user", help="officials' console accounts: add, list, disable, end sessions")
    actions = user.add_subparsers(dest="user_command", required=True)
    add = actions.add_parser("add", help="create an account; prints a generated password once")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=accounts.ROLES)
    add.add_argument("--department", action="append", default=[], help="a department code (repeat for several)")
    add.add_argument("--language", default="en", choices=accounts.LANGUAGES)
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=run_add)
    actions.add_parser("list", help="every account").set_defaults(func=run_list)
    disable = actions.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("name")
    disable.set_defaults(func=run_disable)
    user_sessions = actions.add_parser("sessions", help="an account's sessions")
    session_actions = user_sessions.add_subparsers(dest="sessions_command", required=True)
    end = session_actions.add_parser("end", help="end every live session of an account")
    end.add_argument("name")
    end.set_defaults(func=run_end_sessions)


def run_add(args: argparse.Namespace) -> None:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else accounts.generate_password()
    with db.session_scope() as session:
        official = accounts.create(session, args.name, args.role, password, args.department, args.language)
        audit.record(session, "cli", "account.add", official.username, detail=official.role)
    print(f"added {args.name} ({args.role}{': ' + ', '.join(args.department) if args.department else ''})")
    if not args.password_stdin:
        print(f"password (shown once): {password}")


def run_list(args: argparse.Namespace) -> None:
    with db.session_scope() as session:
        for official in accounts.everyone(session):
            state = "disabled" if official.disabled_at else "active"
            print(f"{official.username}\t{official.role}\t{','.join(official.departments) or '-'}\t{official.language}\t{state}")


def run_disable(args: argparse.Namespace) -> None:
    with db.session_scope() as session:
        official = accounts.disable(session, args.name)
        ended = sessions.end_all(session, official)
        audit.record(session, "cli", "account.disable", official.username)
    print(f"disabled {args.name}; ended {ended} session(s)")


def run_end_sessions(args: argparse.Namespace) -> int:
    with db.session_scope() as session:
        official = accounts.find(session, args.name)
        if official is None:
            print(f"no user {args.name!r}", file=sys.stderr)
            return 1
        ended = sessions.end_all(session, official)
        audit.record(session, "cli", "sessions.end_all", official.username)
    print(f"ended {ended} session(s) of {args.name}")
    return 0

"""`python -m nagarik.web --host 127.0.0.1 --port 5200`: the officials' web server (the JSON API and
the console), one uvicorn process, no access log."""

from __future__ import annotations

import argparse

from nagarik import settings
from nagarik.shared import log_privacy


def check_tokens() -> None:
    """Stops with the reason when NAGARIK_API_TOKENS is unset or wrong; notes the tokens that may do nothing."""
    try:
        tokens = settings.api_tokens()
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    if not tokens:
        raise SystemExit("set NAGARIK_API_TOKENS (token:who:scope+scope,...) first: the API refuses everyone without it")
    for held in tokens.values():
        if not held.scopes:
            print(f"note: the token of {held.who} has no scopes (token:who); it is refused everywhere until it lists them")


def main() -> None:
    parser = argparse.ArgumentParser(description="The officials' web server: the JSON API and the console")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5200)
    args = parser.parse_args()
    log_privacy.install()  # nothing personal in its logs
    check_tokens()
    import uvicorn

    from nagarik.web.app import create_app

    # One process; no access log (paths hold phone numbers); no websockets (nothing uses them, and the
    # installed websockets, 10 for Sanic, is older than uvicorn's own protocol needs).
    uvicorn.run(create_app(), host=args.host, port=args.port, access_log=False, server_header=False, ws="none")


if __name__ == "__main__":
    main()

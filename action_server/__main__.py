"""Start the action server: `python -m action_server --port 5055`.

NAGARIK_ACTIONS_TOKEN (the secret Rasa sends) is required; NAGARIK_ACTIONS_HOST is the address
it listens on (127.0.0.1 unless the Rasa servers are on other machines of a private network).
"""

from __future__ import annotations

import argparse
import logging
import sys

from action_server.app import create_app, sanic_settings
from nagarik import settings
from nagarik.shared import log_privacy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m action_server", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--actions", default="actions", help="the package the actions live in")
    args = parser.parse_args(argv)
    log_privacy.install()  # no phone number, date of birth or message text in its log
    try:
        token, host = settings.actions_token(), settings.actions_host()
    except ValueError as exc:
        print(f"action server: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(token, args.actions)
    app.config.update(sanic_settings())
    app.run(host=host, port=args.port, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""python -m simulator: run the WhatsApp Cloud API simulator. Flags fall back to environment variables."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .config import Settings, SimConfig, parse_pair_limit


def _env(*names: str, default: str | None = None) -> str | None:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return default


def parse_args(argv: list[str] | None = None) -> SimConfig:
    defaults = SimConfig()
    s = Settings()
    p = argparse.ArgumentParser(
        prog="python -m simulator", description="A local simulator of Meta's WhatsApp Cloud API for one number."
    )
    p.add_argument("--host", default=_env("SIM_HOST", default=defaults.host))
    p.add_argument("--port", type=int, default=int(_env("SIM_PORT", default=str(defaults.port)) or defaults.port))
    p.add_argument("--api-version", default=_env("SIM_API_VERSION", default=defaults.api_version), help="path prefix, e.g. v21.0")
    p.add_argument(
        "--phone-number-id", default=_env("WHATSAPP_PHONE_NUMBER_ID", "SIM_PHONE_NUMBER_ID", default=defaults.phone_number_id)
    )
    p.add_argument("--display-phone-number", default=_env("SIM_DISPLAY_PHONE_NUMBER", default=defaults.display_phone_number))
    p.add_argument("--waba-id", default=_env("WHATSAPP_WABA_ID", "SIM_WABA_ID", default=defaults.waba_id))
    p.add_argument("--access-token", default=_env("WHATSAPP_ACCESS_TOKEN", "SIM_ACCESS_TOKEN", default=defaults.access_token))
    p.add_argument("--app-secret", default=_env("WHATSAPP_APP_SECRET", "SIM_APP_SECRET", default=defaults.app_secret))
    p.add_argument("--verify-token", default=_env("WHATSAPP_VERIFY_TOKEN", "SIM_VERIFY_TOKEN", default=defaults.verify_token))
    p.add_argument(
        "--webhook-url",
        default=_env("SIM_WEBHOOK_URL", "WHATSAPP_WEBHOOK_URL", default=s.webhook_url),
        help="the connector's webhook",
    )
    p.add_argument("--templates", default=_env("SIM_TEMPLATES", default=defaults.templates_path))
    p.add_argument(
        "--throughput",
        type=float,
        default=float(_env("SIM_THROUGHPUT", default=str(s.throughput)) or s.throughput),
        help="messages/s",
    )
    p.add_argument(
        "--pair-limit",
        default=_env("SIM_PAIR_LIMIT", default=f"{s.pair_period:g}:{s.pair_burst}"),
        help="PERIOD[:BURST], default 6:45",
    )
    p.add_argument(
        "--media-url-ttl", type=float, default=float(_env("SIM_MEDIA_URL_TTL", default=str(s.media_url_ttl)) or s.media_url_ttl)
    )
    p.add_argument(
        "--status-delay", type=float, default=float(_env("SIM_STATUS_DELAY", default=str(s.status_delay)) or s.status_delay)
    )
    p.add_argument("--retry-attempts", type=int, default=s.retry_attempts, help="webhook attempts before giving up")
    p.add_argument("--retry-base", type=float, default=s.retry_base, help="first webhook retry delay in seconds (doubles)")
    p.add_argument("--webhook-timeout", type=float, default=s.webhook_timeout)
    p.add_argument("--timeout-hold", type=float, default=s.timeout_hold, help="seconds a 'timeout' fault holds a send")
    p.add_argument("--seed", type=int, default=None, help="random seed for duplicates and reordering")
    p.add_argument(
        "--webhook-concurrency", type=int, default=defaults.webhook_concurrency, help="webhook posts in flight (default 16)"
    )
    p.add_argument("--access-log", action="store_true")
    args = p.parse_args(argv)
    try:
        pair_period, pair_burst = parse_pair_limit(args.pair_limit)
    except ValueError as exc:
        p.error(str(exc))
    settings = Settings(
        webhook_url=args.webhook_url or None,
        throughput=args.throughput,
        pair_period=pair_period,
        pair_burst=pair_burst,
        media_url_ttl=args.media_url_ttl,
        status_delay=args.status_delay,
        retry_attempts=args.retry_attempts,
        retry_base=args.retry_base,
        webhook_timeout=args.webhook_timeout,
        timeout_hold=args.timeout_hold,
    )
    try:
        settings.check()
    except ValueError as exc:
        p.error(str(exc))
    return SimConfig(
        host=args.host,
        port=args.port,
        api_version=args.api_version,
        phone_number_id=args.phone_number_id,
        display_phone_number=args.display_phone_number,
        waba_id=args.waba_id,
        access_token=args.access_token,
        app_secret=args.app_secret,
        verify_token=args.verify_token,
        templates_path=args.templates,
        seed=args.seed,
        access_log=args.access_log,
        webhook_concurrency=max(1, args.webhook_concurrency),
        settings=settings,
    )


def main(argv: list[str] | None = None) -> None:
    config = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from .app import create_app  # after argument errors, so --help stays fast

    app = create_app(config)
    print(
        f"WhatsApp Cloud API simulator on http://{config.host}:{config.port}/{config.api_version}/{config.phone_number_id}/messages"
        f" -> webhooks to {config.settings.webhook_url or '(none)'}",
        file=sys.stderr,
        flush=True,
    )
    app.run(host=config.host, port=config.port, workers=1, access_log=config.access_log, motd=False)


if __name__ == "__main__":
    main()

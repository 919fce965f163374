"""Every setting of the civic side (NAGARIK_*, DATABASE_URL) and its paths, in one place.

Each is read from the environment when asked for, so a test or a command may set it first, and
checked here: a wrong value fails naming the variable. Secrets (API tokens) come only from the
environment. The WhatsApp channel's own settings are whatsapp/cloud/settings.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = PROJECT_ROOT / "seed"  # loaded into the database by `make seed`
CONFIG_DIR = PROJECT_ROOT / "config"  # read at run time (topics, templates, reminders, polls, campaigns)
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'nagarik.db'}"
DEFAULT_QUEUE_PATH = PROJECT_ROOT / "var" / "queue.db"
DEFAULT_TRACKER_STORE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"  # what endpoints.yml names
DEFAULT_VERIFY_URL = "http://127.0.0.1:5200/verify"
SAMPLE_DIR_VARIABLE = "NAGARIK_SAMPLE_DIR"

# Meta's messaging limits: unique citizens a business may reach outside their 24-hour window in
# any moving 24 hours. NAGARIK_MESSAGING_TIER is the account's tier.
TIERS = {"250": 250, "2000": 2_000, "10000": 10_000, "100000": 100_000, "unlimited": None}
MAX_MESSAGES_PER_SECOND = 1000  # a business number's highest throughput on the Cloud API
# What an officials' API token may do (nagarik.web.api lists each route's scope).
# grievance_appeals: deciding citizens' appeals (the appellate authority); a scope holds no ':' (the token's separator)
API_SCOPES = (
    "broadcast", "alert", "applications", "grievances", "grievance_appeals", "dates", "polls", "campaigns",
    "certificates", "open311",
)  # fmt: skip
MAX_WHO = 64  # the columns that keep who made a change (created_by, changed_by, updated_by)


def _get(name: str, default: str = "") -> str:
    return os.environ.get(name) or default


def database_url() -> str:
    """DATABASE_URL: the civic database (SQLite under var/ by default)."""
    return _get("DATABASE_URL", DEFAULT_DATABASE_URL)


def tracker_store_url() -> str:
    """Rasa's tracker store (its `events` table), for erasure and the purge: NAGARIK_TRACKER_STORE_URL,
    else the database the endpoints file names: PostgreSQL from TRACKER_DB_HOST, _PORT, _NAME, _USER and
    _PASSWORD when TRACKER_DB_HOST is set (endpoints.postgres.yml, deploy/), else var/tracker.db (endpoints.yml)."""
    url = _get("NAGARIK_TRACKER_STORE_URL")
    if not url and _get("TRACKER_DB_HOST"):
        user, password = quote(_get("TRACKER_DB_USER"), safe=""), quote(_get("TRACKER_DB_PASSWORD"), safe="")
        credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
        where = f"{_get('TRACKER_DB_HOST')}:{_get('TRACKER_DB_PORT', '5432')}/{_get('TRACKER_DB_NAME')}"
        url = f"postgresql+psycopg2://{credentials}{where}"
    url = url or DEFAULT_TRACKER_STORE_URL
    if not url.startswith(("sqlite:///", "postgresql")):
        raise ValueError("NAGARIK_TRACKER_STORE_URL must be a sqlite:/// or postgresql:// URL")
    return url


def queue_url() -> str:
    """NAGARIK_QUEUE_URL: the workers' queue, redis://... or sqlite:///path (var/queue.db by default)."""
    url = _get("NAGARIK_QUEUE_URL")
    if url and not url.startswith(("redis://", "rediss://", "sqlite:///")):
        raise ValueError("NAGARIK_QUEUE_URL must be a redis:// or sqlite:/// URL")
    return url or f"sqlite:///{DEFAULT_QUEUE_PATH}"


def pacing_url() -> str:
    """NAGARIK_PACING_URL: where the pacing slots live; else the queue's Redis if it has one, else the database."""
    url = _get("NAGARIK_PACING_URL")
    if not url:
        queue = _get("NAGARIK_QUEUE_URL")
        url = queue if queue.startswith("redis") else "database"
    if url != "database" and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("NAGARIK_PACING_URL must be 'database' or a redis:// URL")
    return url


def messaging_tier() -> int | None:
    """NAGARIK_MESSAGING_TIER (default 2000): citizens reachable outside their window per 24 hours; None: no limit."""
    value = _get("NAGARIK_MESSAGING_TIER", "2000")
    if value not in TIERS:
        raise ValueError(f"NAGARIK_MESSAGING_TIER must be one of {', '.join(TIERS)}")
    return TIERS[value]


def _positive(name: str, default: str, at_most: float, meaning: str) -> float:
    """A number above 0 and at most `at_most`, or a ValueError naming the variable."""
    try:
        number = float(_get(name, default))
    except ValueError:
        number = 0.0
    if not 0 < number <= at_most:
        raise ValueError(f"{name} must be {meaning} above 0" + (f" and at most {at_most:g}" if at_most < float("inf") else ""))
    return number


def messages_per_second() -> float:
    """NAGARIK_MESSAGES_PER_SECOND (default 80, Meta's default throughput of a number; at most Meta's highest)."""
    return _positive("NAGARIK_MESSAGES_PER_SECOND", "80", MAX_MESSAGES_PER_SECOND, "a number of messages per second")


def send_lease_seconds() -> float:
    """NAGARIK_SEND_LEASE_SECONDS (default 60): how long a worker holds copies before the sweep takes them back."""
    return _positive("NAGARIK_SEND_LEASE_SECONDS", "60", float("inf"), "a number of seconds")


@dataclass(frozen=True)
class ApiToken:
    who: str  # kept with what the token's holder sends or changes
    scopes: frozenset[str]  # what it may do (API_SCOPES); none: authenticated, allowed nothing


def api_tokens() -> dict[str, ApiToken]:
    """NAGARIK_API_TOKENS="token:who:scope+scope,...": who each bearer token acts as and what it
    may do (API_SCOPES). A token written the old way, "token:who", has no scopes: it is known but
    refused everywhere, so nothing gains rights it was never given. Empty means nobody can use the API.
    A mistake fails naming the variable and the item, never echoing a token."""
    tokens: dict[str, ApiToken] = {}
    for number, item in enumerate((part.strip() for part in _get("NAGARIK_API_TOKENS").split(",")), start=1):
        if not item:
            continue  # a trailing comma
        fields = [field.strip() for field in item.split(":")]
        where = f"NAGARIK_API_TOKENS item {number}"
        if len(fields) not in (2, 3) or not fields[0] or not fields[1]:
            raise ValueError(f"{where}: expected token:who or token:who:scope+scope (a token holds no ':' or ',')")
        token, who = fields[0], fields[1]
        if len(who) > MAX_WHO:
            raise ValueError(f"{where}: who has {len(who)} characters; at most {MAX_WHO}")
        scopes = frozenset(scope.strip() for scope in fields[2].split("+") if scope.strip()) if len(fields) == 3 else frozenset()
        unknown = sorted(scopes - set(API_SCOPES))
        if unknown:
            raise ValueError(f"{where} ({who}): unknown scope(s) {', '.join(unknown)}; use {'+'.join(API_SCOPES)}")
        if token in tokens:
            raise ValueError(f"{where} ({who}): the same token is given twice")
        tokens[token] = ApiToken(who, scopes)
    return tokens


def actions_token() -> str:
    """NAGARIK_ACTIONS_TOKEN: the secret the Rasa server sends the action server (required, 32+ characters)."""
    token = _get("NAGARIK_ACTIONS_TOKEN")
    if len(token) < 32:
        raise ValueError("NAGARIK_ACTIONS_TOKEN must be set to a secret of at least 32 characters (the one in Rasa's endpoints)")
    return token


def actions_host() -> str:
    """NAGARIK_ACTIONS_HOST (default 127.0.0.1): the private address the action server listens on."""
    return _get("NAGARIK_ACTIONS_HOST", "127.0.0.1")


def sample_dir() -> Path:
    """NAGARIK_SAMPLE_DIR: where the sample rows (applications.yml, citizen_dates.yml) come from:
    seed/ for the demo, tests/fixtures/seed for the tests, so that no test uses the demo's rows."""
    return Path(_get(SAMPLE_DIR_VARIABLE) or SEED_DIR)


def verify_url() -> str:
    """NAGARIK_VERIFY_URL: the public address printed on certificate copies for checking their code."""
    return _get("NAGARIK_VERIFY_URL", DEFAULT_VERIFY_URL).rstrip("/")


# The officials' console
def console_idle_minutes() -> int:
    """NAGARIK_CONSOLE_IDLE_MINUTES (default 30): a console session unused this long ends."""
    return int(_get("NAGARIK_CONSOLE_IDLE_MINUTES", "30"))


def handoff_unanswered_minutes() -> int:
    """NAGARIK_HANDOFF_UNANSWERED_MINUTES (default 120, the reply the citizen is promised in office
    hours): a handoff waiting this long without an officer's reply is shown to supervisors as a breach."""
    return int(_get("NAGARIK_HANDOFF_UNANSWERED_MINUTES", "120"))


def console_absolute_hours() -> int:
    """NAGARIK_CONSOLE_ABSOLUTE_HOURS (default 12): a console session ends this long after login, used or not."""
    return int(_get("NAGARIK_CONSOLE_ABSOLUTE_HOURS", "12"))


def console_login_limits() -> tuple[int, int, int]:
    """Failed logins allowed per account and per client address within a window of minutes:
    NAGARIK_CONSOLE_LOGIN_PER_ACCOUNT (5), NAGARIK_CONSOLE_LOGIN_PER_ADDRESS (20), NAGARIK_CONSOLE_LOGIN_WINDOW_MINUTES (15)."""
    return (
        int(_get("NAGARIK_CONSOLE_LOGIN_PER_ACCOUNT", "5")),
        int(_get("NAGARIK_CONSOLE_LOGIN_PER_ADDRESS", "20")),
        int(_get("NAGARIK_CONSOLE_LOGIN_WINDOW_MINUTES", "15")),
    )


def console_secure_cookies() -> bool:
    """NAGARIK_CONSOLE_SECURE_COOKIES (default on): Secure, __Host- cookies; off only for plain-http tests and the demo."""
    value = _get("NAGARIK_CONSOLE_SECURE_COOKIES", "1").lower()
    if value not in ("1", "0", "true", "false", "yes", "no"):
        raise ValueError("NAGARIK_CONSOLE_SECURE_COOKIES must be 1 or 0")
    return value in ("1", "true", "yes")

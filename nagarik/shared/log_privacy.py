"""Nothing personal in a log line: phone numbers and BSUIDs masked, message texts, slot values and
dates (of birth) left out, in every process, Rasa's and Sanic's own DEBUG lines included.

`install()` hooks the places every log line passes, however and whenever handlers are set up
later (Rasa's `rasa run --debug`, Sanic and coloredlogs all replace handlers):

- the LogRecord factory: each record's message, traceback and stack are redacted once, when made;
- a filter on `sanic.access`, whose request line comes as `extra` fields the factory never sees;
- structlog (Rasa's own events), if loaded: known personal keys (Rasa's list of anonymizable
  keys) are redacted by structure, and the rendered line by the same rules as any other;
- warnings and uncaught exceptions, which go to stderr (the log file) without logging.

The rules redact known formats precisely (Rasa's events, tracker states, slot dumps, `"text": ...`
pairs) and then mask what looks personal anywhere: calendar dates, and digit runs of 10 or more.
A text in a format they do not know is not caught: a new Rasa version's DEBUG lines need a look.

Processes call `install()` first thing (scripts/rasa_offline.py for Rasa, nagarik/__main__.py,
the officials' API); `python -m nagarik.shared.log_privacy MODULE ARGS...` runs any other module
(`-m simulator`, `-m rasa_sdk`) with it installed. Standard library only: both environments use it.
"""

from __future__ import annotations

import logging
import re
import runpy
import sys
import threading
import traceback
import warnings
from collections.abc import Callable
from typing import Any

from nagarik.shared.text import _MONTHS

REDACTED = "[redacted]"
DATE = "[date]"
MARK = "_nagarik_log_privacy"  # on every hook we set: install() twice sets nothing twice
EXTRA_LOGGERS = ("sanic.access",)  # loggers whose records carry personal data in `extra` fields


def mask(phone: str) -> str:
    """A phone number (or a BSUID's digits) as logs may show it: the first two and last four digits."""
    prefix = re.match(r"\+|[A-Z]{2}\.", phone)
    head = prefix.group(0) if prefix else ""
    digits = re.sub(r"\D", "", phone[len(head) :]) or phone[len(head) :]
    masked = digits[:2] + "*" * max(len(digits) - 6, 0) + digits[-4:] if len(digits) > 6 else "***"
    return head + masked


# --- the rules, on any text -----------------------------------------------------------------

_TEXT_KEYS = "text|body|caption|value|profile_name|parse_data_text|user_text|response_text|message|user_message|token_text"
_KEY = f"(?:{_TEXT_KEYS})"
_MONTH_NAMES = "|".join(re.escape(name) for name in sorted(_MONTHS, key=len, reverse=True))
_END = r"(?=\)(?:$|[\s\"',.\]}\\]))"  # an event's closing parenthesis, not one inside its value

# (pattern, replacement): known formats first, then the general masks.
_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # Rasa's events as str()/repr() show them (rasa/shared/core/events.py); a bot message's
    # metadata holds what the action filled in (an application's number, stage, dates)
    (re.compile(r"((?:User|Bot|Agent)Uttered\(text: )[\s\S]*?(?=, (?:intent|data): )"), rf"\1{REDACTED}"),
    (re.compile(r"(BotUttered\(text: [\s\S]*?, metadata: )\{[\s\S]*?\}(?=\))"), rf"\1{REDACTED}"),
    (re.compile(r"(BotUttered\(')[\s\S]*?(?=', \{[\s\S]*?, (?:None|[\d.e+-]+)\))"), rf"\1{REDACTED}"),
    (re.compile(r"(BotUttered\('\[redacted\]', )[\s\S]*?(?=, (?:None|[\d.e+-]+)\))"), rf"\1{REDACTED}"),
    (re.compile(r"(, entities: )[\s\S]*?(?=, use_text_for_featurization: )"), rf"\1{REDACTED}"),
    (re.compile(r"(SlotSet\(key: [^,]*, value: )(?!None\))[\s\S]*?" + _END), rf"\1{REDACTED}"),
    (re.compile(r"(Reminder(?:Scheduled|Cancelled)\([\s\S]*?entities: )[\s\S]*?(?=, name: |\))"), rf"\1{REDACTED}"),
    # tracker states (rule and memoization policies): "[state 5] user text: ... | previous action"
    (re.compile(r"(user text: )[\s\S]*?(?= \| |\\n|\n|(?<!\\)\"|$)"), rf"\1{REDACTED}"),
    # "text": "...", 'text': '...', text='...' (JSON, dict reprs, structlog's key=value), and JSON in a JSON string
    (re.compile(rf"""((?:["']{_KEY}["']\s*:|\b{_KEY}=)\s*)(["'])(?:\\.|(?!\2)[^\\])*\2"""), rf"\1\2{REDACTED}\2"),
    (re.compile(rf'(\\"{_KEY}\\"\s*:\s*\\")[\s\S]*?(?<!\\\\)(\\")'), rf"\1{REDACTED}\2"),
    # secrets in a URL's query (Rasa's HTTP API takes ?token=..., Meta's handshake hub.verify_token=...)
    (re.compile(r"((?:[?&]|\b)(?:token|auth_token|hub\.verify_token|access_token)=)[^&\s\"']+"), rf"\1{REDACTED}"),
    # Rasa's and rasa_sdk's DEBUG lines that end in a tracker's content
    (re.compile(r"(Contents of ignored event: |The request body is |Received NLG response: )[\s\S]*"), rf"\1{REDACTED}"),
    (re.compile(r"(Canceled reminder because it is outdated \()[\s\S]*(?=\)\.)"), rf"\1{REDACTED}"),
    (re.compile(r"(only the first event will be returned\. Parameters: )[\s\S]*"), rf"\1{REDACTED}"),
    # dates: whatever nagarik.shared.text.parse_date reads (15-08-1985, 1985/8/15, 15 aug 1985), not timestamps
    (re.compile(r"(?<![\d.])\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?![\d.])(?![T ]\d{1,2}:\d{2})"), DATE),
    (re.compile(r"(?<![\d.])\d{1,2}[-/. ]\d{1,2}[-/. ]\d{4}(?!\d)"), DATE),
    (re.compile(rf"(?<!\d)\d{{1,2}}(?:st|nd|rd|th)?[\s\-/.,]*(?:{_MONTH_NAMES})[\s\-/.,]*\d{{4}}(?!\d)", re.IGNORECASE), DATE),
    (re.compile(r"datetime\.date\(\d{4}, \d{1,2}, \d{1,2}\)"), f"datetime.date({DATE})"),
    # phone numbers and BSUIDs: wa_ids, sender ids, +91 98765 43210, US.13491208655302741918;
    # not the digits of a decimal (confidences, epoch timestamps)
    (re.compile(r"\b[A-Z]{2}\.\d{10,}(?!\d)"), lambda m: mask(m.group(0))),
    (re.compile(r"(?<![\w+])\+\d{1,3}(?:[ -]\d{2,5}){2,4}(?!\d)"), lambda m: mask(m.group(0))),
    (re.compile(r"(?<![\d.])(?:(?:\+?91|0)[ -]?)?\d{5}[ -]\d{5}(?!\d)"), lambda m: mask(m.group(0))),
    (re.compile(r"(?<![\d.])\+?\d{10,}(?!\d|\.\d)"), lambda m: mask(m.group(0))),
]
# Rasa's slot dump (processor.slots.log, older "Current slot values"): "\tstatus_dob: 15-08-1985" lines
_SLOT_LINE = re.compile(r"(^|\n|\\n|\")(\t|\\t)([^:\n\\]+): (?!None(?:$|\n|\\n|\"))[\s\S]*?(?=$|\n|\\n|(?<!\\)\")")


def redact(text: str) -> str:
    """The text with every known personal part replaced."""
    if "slot_values" in text or "slot values" in text.lower():
        text = _SLOT_LINE.sub(rf"\1\2\3: {REDACTED}", text)
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


# --- stdlib logging -------------------------------------------------------------------------

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record with its message formatted and redacted (args gone), its traceback and stack too."""
    try:
        message = record.getMessage()
    except Exception:  # arguments that do not fit the format: logging would report it; keep both
        message = f"{record.msg} {record.args!r}"
    record.msg, record.args = redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        # No formatter renders the raw exception again: Formatter.format prints exc_text alone.
        record.exc_text, record.exc_info = redact(record.exc_text), None
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class PrivacyFilter(logging.Filter):
    """Redacts a record's message and its `extra` fields (Sanic's access line: host, request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        for key, value in vars(record).items():
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


def _install_record_factory() -> None:
    made = logging.getLogRecordFactory()
    if getattr(made, MARK, False):
        return

    def private_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(made(*args, **kwargs))

    setattr(private_record, MARK, True)
    logging.setLogRecordFactory(private_record)


def _install_filters() -> None:
    for name in EXTRA_LOGGERS:
        logger = logging.getLogger(name)
        if not any(getattr(f, MARK, False) for f in logger.filters):
            privacy = PrivacyFilter()
            setattr(privacy, MARK, True)
            logger.addFilter(privacy)


# --- structlog (Rasa's events: rasa/utils/log_utils.py) -------------------------------------

# Rasa's own list of keys to anonymize (log_utils._anonymizer), by how their values are kept.
_WHOLE = frozenset(
    {"text", "response_text", "user_text", "parse_data_text", "message", "response", "user_message", "json_message"}
    | {"token_text", "tracker_latest_message", "entity", "current_entity", "next_entity", "successes"}
)
_SLOT_MAPS = frozenset({"slot_values", "slot_candidates", "prefilled_slots"})  # names kept, values not
_EVENTS = frozenset({"rasa_event", "rasa_events", "prediction_events"})  # each event's kind kept
_INNER_TEXT = frozenset(_TEXT_KEYS.split("|")) | {"metadata"}
_SAFE_EVENTS = frozenset(
    {"ActionExecuted", "ActiveLoop", "FollowupAction", "SessionStarted", "Restarted", "AllSlotsReset", "ActionReverted"}
    | {"UserUtteranceReverted", "ConversationPaused", "ConversationResumed", "LoopInterrupted", "ActionExecutionRejected"}
    | {"DefinePrevUserUtteredFeaturization", "EntitiesAdded", "StoryExported"}
)


def _scrub(value: Any) -> Any:
    """Nested text-like keys redacted; other strings through redact(); objects are left to the
    rendered line's rules."""
    if isinstance(value, dict):
        return {k: REDACTED if k in _INNER_TEXT and v is not None else _scrub(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_scrub(item) for item in value)
    return redact(value) if isinstance(value, str) else value


def _slots(value: Any) -> Any:
    if isinstance(value, dict):
        return {name: None if slot is None else REDACTED for name, slot in value.items()}
    return _SLOT_LINE.sub(rf"\1\2\3: {REDACTED}", value) if isinstance(value, str) else REDACTED


def _event(event: Any) -> Any:
    """What an event was, without what anyone wrote or what a slot holds."""
    if isinstance(event, (dict, str)):
        return _scrub(event)
    kind = type(event).__name__
    if kind == "SlotSet":
        return f"SlotSet(key: {getattr(event, 'key', '?')}, value: {'None' if event.value is None else REDACTED})"
    if kind == "UserUttered":
        return f"UserUttered(text: {REDACTED}, intent: {getattr(event, 'intent_name', None)})"
    if kind in _SAFE_EVENTS:
        return redact(str(event))
    return f"{kind}({REDACTED})"


def redact_event_dict(logger: Any, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """A structlog processor: personal keys by structure; the rendered line gets redact() too."""
    for key, value in event_dict.items():
        if key in _WHOLE:
            event_dict[key] = REDACTED
        elif key in _SLOT_MAPS:
            event_dict[key] = _slots(value)
        elif key in _EVENTS:
            event_dict[key] = [_event(e) for e in value] if isinstance(value, (list, tuple)) else _event(value)
        else:
            event_dict[key] = _scrub(value)
    return event_dict


def _redacting_renderer(render: Callable[..., Any]) -> Callable[..., Any]:
    """The last processor's line redacted: it reaches stdout without logging when structlog prints."""

    def rendered(logger: Any, method: str, event_dict: Any) -> Any:
        line = render(logger, method, event_dict)
        return redact(line) if isinstance(line, str) else line

    setattr(rendered, MARK, True)
    return rendered


def _install_structlog() -> None:
    structlog = sys.modules.get("structlog")
    if structlog is None:  # not loaded: nothing logs through it (Rasa's process installs again after)
        return
    processors = list(structlog.get_config()["processors"])
    if processors and getattr(processors[-1], MARK, False):
        return
    last = [_redacting_renderer(processors[-1])] if processors else []
    structlog.configure(processors=[redact_event_dict, *processors[:-1], *last])


# --- what goes to stderr without logging ----------------------------------------------------


def _install_stderr_hooks() -> None:
    format_warning = warnings.formatwarning
    if not getattr(format_warning, MARK, False):

        def private_warning(*args: Any, **kwargs: Any) -> str:
            return redact(format_warning(*args, **kwargs))

        setattr(private_warning, MARK, True)
        warnings.formatwarning = private_warning  # type: ignore[assignment]
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = _private_excepthook
    if threading.excepthook is threading.__excepthook__:
        threading.excepthook = _private_thread_excepthook


def _private_excepthook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
    sys.stderr.write(redact("".join(traceback.format_exception(kind, value, tb))))


def _private_thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread else "?"
    trace = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
    sys.stderr.write(f"Exception in thread {name}:\n{redact(trace)}")


def install() -> None:
    """Every log line of this process redacted from now on. Call it first thing, and again after
    anything that configures structlog (stdlib handlers set up later are covered as they are)."""
    _install_record_factory()
    _install_filters()
    _install_structlog()
    _install_stderr_hooks()


def main(argv: list[str] | None = None) -> None:
    """`python -m nagarik.shared.log_privacy MODULE ARGS...`: `python -m MODULE ARGS...` with install() first."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0].startswith("-"):
        raise SystemExit("usage: python -m nagarik.shared.log_privacy MODULE [ARGS...]")
    install()
    sys.argv = list(args)
    runpy.run_module(args[0], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    # The module by its name, not this __main__ copy: one set of hooks however the process imports it.
    from nagarik.shared.log_privacy import main as run

    run()

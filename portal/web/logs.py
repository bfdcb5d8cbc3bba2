"""Log lines as text or JSON (PORTAL_LOG_FORMAT), each with the request id it belongs to, personal data masked."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import re
import sys
from contextvars import ContextVar
from typing import Any, Iterator

from litestar.logging import LoggingConfig

from portal.settings import Settings

# The request (or, in the worker, the request that created the item) a log line belongs to.
current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# Masked in every line, whatever logged it: e-mail addresses, tracking references, private keys and
# signatures (32+ hex characters), phone numbers (French and international). A request id is a field
# of its own and never masked.
_MASKS = (
    (re.compile(r"[^\s@<>()\[\],;:\"']{1,64}@[^\s@<>()\[\],;:\"']+\.[A-Za-z]{2,}"), "[e-mail]"),
    (re.compile(r"\b[A-Za-z]{3}-[0-9A-Za-z]{4}-[0-9A-Za-z]{4}\b"), "[reference]"),
    (re.compile(r"\b[0-9a-fA-F]{32,}\b"), "[key]"),
    (re.compile(r"(?<![\w.])(?:\+|00)[1-9](?:[ .-]?\d){7,13}(?![\w.])"), "[phone]"),
    (re.compile(r"(?<![\w.])0[1-9](?:[ .-]?\d{2}){4}(?![\w.])"), "[phone]"),
)


def scrub(text: str) -> str:
    """The text with e-mail addresses, references, keys and phone numbers masked."""
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    return text


@contextlib.contextmanager
def logging_for_request(request_id: str | None) -> Iterator[None]:
    """Log lines written inside carry this request id (the worker, for the item a request created)."""
    token = current_request_id.set(request_id)
    try:
        yield
    finally:
        current_request_id.reset(token)


_previous_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args, **kwargs) -> logging.LogRecord:
    # Read when the line is written: a queue handler formats it later, in another thread.
    record = _previous_factory(*args, **kwargs)
    record.request_id = current_request_id.get()
    return record


logging.setLogRecordFactory(_record_with_request_id)


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string must not lose the line
        return str(record.msg)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request_id, the line's fields, the exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(_message(record)),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update({k: scrub(v) if isinstance(v, str) else v for k, v in fields.items() if k not in line})
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = scrub(record.exc_text)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """A readable line: time, level, logger, [request id], message and fields; masked as JSON lines are."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None)
        request_id = getattr(record, "request_id", None)
        message = _message(record)
        if isinstance(fields, dict) and fields:
            message += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        if request_id:
            message = f"[{request_id}] {message}"
        copy = logging.makeLogRecord({**record.__dict__, "msg": message, "args": None})
        return scrub(super().format(copy))


FORMATTERS = {"json": JsonFormatter, "text": TextFormatter}
# Loggers that write statements with their values (a citizen's words, a contact address) at DEBUG: never below WARNING.
QUIET = ("aiosqlite", "asyncpg", "piccolo")


def configure_logging(settings: Settings) -> None:
    """The `portal` command's logging: one handler on standard error, in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(FORMATTERS[settings.log_format]())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in QUIET:  # piccolo also announces the engine version on every start
        logging.getLogger(name).setLevel(logging.WARNING)


def app_logging_config(settings: Settings) -> LoggingConfig:
    """The web application's logging (Litestar configures it when the app is built), in the chosen format."""
    return LoggingConfig(
        formatters={"standard": {"()": FORMATTERS[settings.log_format]}},
        root={"level": settings.log_level, "handlers": ["queue_listener"]},
        loggers={name: {"level": "WARNING", "propagate": True} for name in QUIET},
        # 500s are logged by portal.web.errors; "always" would also log every 4xx as uncaught.
        log_exceptions="never",
    )


def server_log_config(settings: Settings) -> dict | None:
    """uvicorn's own logging: None leaves its lines to the root logger, so they take the portal's format."""
    return None

"""Structured (JSON) logs. Callers log ids, steps and outcomes, never tokens or free text."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


REDACTED: Final = "[redacted]"

#: Secrets recognisable by their shape, wherever they appear in a message or a traceback.
_SECRET_PATTERNS: Final = (
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{6,}"),  # Slack bot, user, app-level tokens
    re.compile(r"\bxapp-[A-Za-z0-9-]{6,}"),  # Slack app-level (Socket Mode) tokens
    re.compile(r"\bxoxe\.xox[bp]-[A-Za-z0-9-]{6,}"),  # Slack refresh-style tokens
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"),  # Authorization: Bearer …
    re.compile(r"(?i)\bbasic\s+[A-Za-z0-9+/=]{8,}"),  # Authorization: Basic …
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),  # JWTs
    re.compile(r"/privacy/export/[A-Za-z0-9._-]+"),  # signed export links
    re.compile(r"\[parameters: .*?\](?=\n|$)", re.DOTALL),  # SQLAlchemy errors quote values
    re.compile(
        r"(?i)\b(password|passwd|secret|signing_secret|client_secret|api_key|token|"
        r"authorization)(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"
    ),  # key=value pairs in messages, URLs and reprs
)
#: Fields whose whole value is secret or a person's free text: never logged, whatever they hold.
_SECRET_KEYS: Final = re.compile(
    r"(?i)(password|passwd|secret|token|authorization|api_key|cookie|signature|credential)"
)
_FREE_TEXT_KEYS: Final = frozenset(
    {
        "text",
        "body",
        "answer",
        "answers",
        "reason",
        "name",
        "display_name",
        "organisation",
        "works_on",
        "seeks",
        "offers",
        "ongemak",
        "themes_other",
        "value",
        "message_text",
        "payload",
        "messages",
    }
)


def redact_text(text: str) -> str:
    """``text`` with every recognisable secret replaced by [redacted]."""
    for pattern in _SECRET_PATTERNS:
        if pattern.groups >= 3:
            text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


def redact_value(key: str, value: Any) -> Any:
    if _SECRET_KEYS.search(key) or key.lower() in _FREE_TEXT_KEYS:
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(key, v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact_text(str(value))


class RedactingFilter(logging.Filter):
    """Strips tokens, signing secrets, passwords and free-text fields from every record that
    reaches a handler (ours, and third-party loggers that propagate: uvicorn, Bolt, msal).

    The message is rendered once and redacted; extra fields are redacted by name and shape; a
    traceback is formatted here and redacted, so an exception that quotes a token or an answer
    does not carry it into the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the record
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        for key, value in list(vars(record).items()):
            if key in _STANDARD or key.startswith("_"):
                continue
            setattr(record, key, redact_value(key, value))
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["trace"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # APScheduler reports every run of every job at INFO (twice a minute): only its problems.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))

"""One redaction for everything that leaves the process: the bot token, its secret half and the webhook
secret become [token] in every log record, traceback and error message, at every log level.

The token travels in every Bot API URL (`…/bot<token>/getUpdates`), so any library that logs a URL or
an exception about one (httpx, python-telegram-bot, asyncio) could print it. Rather than trusting each,
the root logging handlers filter every record on its way out, and uncaught exceptions are printed
through the same function.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from urllib.parse import quote

MASK = "[token]"
_secrets: set[str] = set()


def protect(*values: str | None) -> None:
    """Register secrets to be masked from now on. A bot token `id:secret` masks its secret half too."""
    for value in values:
        if not value:
            continue
        # A real token's secret half has 35 characters; pieces under 8 would mask ordinary words.
        parts = [value, *value.split(":", 1)[1:]]
        _secrets.update(p for p in parts if len(p) >= 8)
        _secrets.update(quote(p, safe="") for p in parts if len(p) >= 8)


def redact(text: str) -> str:
    """The text with every registered secret replaced by [token], longest first."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """On a handler: masks secrets in the message, the arguments' rendering, the traceback and the stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _secrets:
            return True
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install() -> None:
    """Filter every root handler (idempotent) and route uncaught exceptions and warnings through it."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    logging.captureWarnings(True)
    sys.excepthook = _print_redacted
    threading.excepthook = _print_thread_exception


def _print_redacted(exc_type, exc_value, exc_traceback) -> None:  # type: ignore[no-untyped-def]
    text = "".join(traceback.format_exception(exc_type, exc_value, exc_traceback))
    sys.stderr.write(redact(text))


def _print_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is not SystemExit:  # as the default hook: a thread calling sys.exit is no error
        _print_redacted(args.exc_type, args.exc_value, args.exc_traceback)

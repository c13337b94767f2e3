"""The error handler: log what failed without users' words or ids, and apologise when that can help."""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from .context import Context
from .send import acknowledge, send_html
from .texts import APOLOGY

log = logging.getLogger(__name__)


def _unreachable(error: object) -> bool:
    """Telegram could not be reached or asked to wait (BadRequest is a NetworkError too, but our fault)."""
    return isinstance(error, NetworkError | RetryAfter) and not isinstance(error, BadRequest)


def describe(update: object) -> str:
    """What was being handled, without the user's words, names or ids (they stay out of the logs)."""
    if not isinstance(update, Update):
        return type(update).__name__
    kind = next((k for k in ("message", "edited_message", "callback_query", "inline_query")
                 if getattr(update, k) is not None), "other")
    chat = update.effective_chat
    return f"update {update.update_id} ({kind}{f' in a {chat.type} chat' if chat else ''})"


async def on_error(update: object, context: Context) -> None:
    """Log the error with what was being handled, and apologise to the user."""
    error = context.error
    if update is None and _unreachable(error):
        log.warning("Telegram connection trouble while polling: %s", type(error).__name__)
        return
    if isinstance(error, Forbidden):  # blocked by the user, removed from the group
        log.info("%s: Telegram refused (%s); skipped", describe(update), error.message)
        return
    if _unreachable(error):
        # A reply that may or may not have arrived is not sent again (it could arrive twice), and an
        # apology would fail the same way: the user can ask again.
        log.warning("%s: reply skipped, Telegram could not be reached (%s)", describe(update), type(error).__name__)
        return
    log.error("error while handling %s", describe(update), exc_info=error)
    if not isinstance(update, Update) or update.inline_query is not None:
        return
    try:
        if update.callback_query is not None:
            await acknowledge(update, APOLOGY)
        elif update.effective_chat is not None:
            await send_html(context.bot, update.effective_chat.id, html.escape(APOLOGY))
    except TelegramError as exc:  # Telegram itself may be what failed
        log.warning("could not apologise: %s", type(exc).__name__)

"""Sending replies: HTML under Telegram's limits, with a plain-text fallback.

Flood control and RetryAfter are the rate limiter's (AIORateLimiter); what may be retried after a
network failure is decided in `transport`. Anything else that fails reaches the error handler.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable
from typing import Any

from telegram import Bot, ForceReply, InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from ..reply import split_message
from .context import Context

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ForceReply


def _html_to_plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", text))


async def send_html(bot: Bot, chat_id: int, text: str, reply_to: int | None = None,
                    markup: Markup | None = None) -> Message | None:
    """Send one HTML message (≤4096 chars); if Telegram cannot parse it, send it as plain text."""
    reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    try:
        return await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_parameters=reply,
                                      reply_markup=markup)
    except BadRequest as exc:
        if "parse entities" not in exc.message.lower():
            log.warning("sendMessage refused: %s", exc.message)
            return None
        # Telegram rejected it, so nothing was delivered: sending the plain form cannot duplicate it.
        log.error("Telegram could not parse our HTML (%s); sending plain text", exc.message)
    try:
        return await bot.send_message(chat_id, _html_to_plain(text), parse_mode=None, reply_parameters=reply,
                                      reply_markup=markup)
    except BadRequest as exc:
        log.warning("sendMessage(plain) refused: %s", exc.message)
        return None


async def send_long_html(bot: Bot, chat_id: int, text: str, reply_to: int | None = None,
                         markup: Markup | None = None) -> Message | None:
    """Send HTML of any length in parts under Telegram's limit; buttons go under the last part."""
    parts = split_message(text)
    last = None
    for i, part in enumerate(parts):
        is_last = i == len(parts) - 1
        last = await send_html(bot, chat_id, part, reply_to if i == 0 else None, markup if is_last else None)
    return last


async def say(update: Update, context: Context, text: str, markup: Markup | None = None,
              quote: bool = True) -> Message | None:
    """Reply in HTML to the message behind an update (or just into its chat)."""
    chat = update.effective_chat
    if chat is None:
        return None
    message = update.effective_message
    reply_to = message.message_id if quote and message is not None and update.callback_query is None else None
    return await send_long_html(context.bot, chat.id, text, reply_to, markup)


def say_once_returned(update: Update, context: Context, text: str, markup: Markup | None = None) -> None:
    """Reply just after the handler returns: for a dialogue's prompt or buttons.

    ConversationHandler records the new state only when the handler returns; a prompt sent from
    inside it could be answered (a button pressed) before that state exists.
    """
    context.application.create_task(say(update, context, text, markup), update=update)


async def acknowledge(update: Update, text: str | None = None) -> None:
    """Answer a button press (stops the client's spinner); a late or repeated answer is harmless."""
    if update.callback_query is not None:
        await quiet(update.callback_query.answer(text))


async def quiet(call: Awaitable[Any]) -> None:
    """Make a call whose refusal changes nothing for the user (an answer too late, a page not modified)."""
    try:
        await call
    except BadRequest as exc:
        log.debug("ignored: %s", exc.message)

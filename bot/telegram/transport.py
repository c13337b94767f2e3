"""The HTTP layer under python-telegram-bot: what may be sent twice, and updates it cannot read.

Two things the library leaves to the bot, done where the library lets one plug them in (a
`BaseRequest`, given to `ApplicationBuilder.request` and `.get_updates_request`):

- A call is repeated after a network failure only when repeating it cannot duplicate anything:
  the request never left (no connection, no free connection), or the method is one whose repeat
  Telegram ignores (answering a query, setting the menu, an edit). A `sendMessage` that timed out
  may have been delivered, so it is not sent again. RetryAfter is the rate limiter's business.
- One update the library cannot parse (a field a newer Bot API made required) makes it reject the
  whole `getUpdates` batch, fetch it again forever and log every user's words. Here such an update
  is replaced by a bare `{"update_id": …}`: polling confirms it, no handler matches it, and it is
  logged once by id and kind only.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from telegram import Update
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)

ATTEMPTS = 4  # per call, when a retry is safe
BACKOFF = 0.25  # seconds before the first retry, doubling

# Repeating these changes nothing a user sees twice (a second answer is refused, an edit "not modified").
REPEATABLE = frozenset({
    "getMe", "deleteWebhook", "setWebhook", "getWebhookInfo", "setMyCommands", "getFile",
    "answerCallbackQuery", "answerInlineQuery", "editMessageText", "editMessageReplyMarkup", "sendChatAction",
})
# httpx errors raised before any byte of the request reached Telegram.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _safe_to_repeat(endpoint: str, exc: NetworkError) -> bool:
    return endpoint in REPEATABLE or isinstance(exc.__cause__, NEVER_SENT)


def readable(update: Any) -> Any:
    """The update as sent if python-telegram-bot can parse it, else a bare one with its id."""
    try:
        Update.de_json(update, None)
        return update
    except Exception as exc:  # whatever the library raises on data it does not expect
        kinds = sorted(set(update) - {"update_id"}) if isinstance(update, dict) else []
        update_id = update.get("update_id") if isinstance(update, dict) else None
        # Id, kind and error type only: the update holds a user's name and words.
        log.warning("update %s (%s) cannot be read by python-telegram-bot (%s); skipped",
                    update_id, ", ".join(kinds) or "?", type(exc).__name__)
        return {"update_id": update_id} if isinstance(update_id, int) else None


class TelegramRequest(HTTPXRequest):
    """HTTPXRequest that repeats only what cannot duplicate a message, and skips unreadable updates."""

    async def do_request(self, url: str, method: str, request_data: Any = None, *args: Any, **kwargs: Any,
                         ) -> tuple[int, bytes]:
        """One Bot API call; failures safe to repeat are tried again with backoff."""
        endpoint = url.rsplit("/", 1)[-1]
        attempt = 1
        while True:
            try:
                code, payload = await super().do_request(url, method, request_data, *args, **kwargs)
            except (TimedOut, NetworkError) as exc:
                # getUpdates has the updater's own retry loop; everything else is decided here.
                if endpoint == "getUpdates" or attempt >= ATTEMPTS or not _safe_to_repeat(endpoint, exc):
                    raise
                log.info("%s: %s; trying again", endpoint, type(exc).__name__)
            else:
                if code < 500 or endpoint not in REPEATABLE or attempt >= ATTEMPTS:
                    return code, payload
                log.info("%s: Telegram answered %d; trying again", endpoint, code)
            await asyncio.sleep(BACKOFF * 2 ** (attempt - 1))
            attempt += 1

    async def post(self, url: str, *args: Any, **kwargs: Any) -> Any:
        """The call's result; for getUpdates, with every update the library cannot read made bare."""
        result = await super().post(url, *args, **kwargs)
        if url.endswith("/getUpdates") and isinstance(result, list):
            return [u for u in map(readable, result) if u is not None]
        return result

"""Webhook mode: the Application fed by a small tornado server of the bot's own.

python-telegram-bot's built-in webhook server answers an update it cannot parse (a field a newer
Bot API made required) with 400 and logs it whole at CRITICAL, the user's name and words with it;
Telegram then delivers it again and again. The library's documented way to take updates from one's
own web server is to put them on `Application.update_queue`; doing so lets the check polling uses
(`transport.readable`) skip such an update: it is answered 200 and logged once, by id and kind only.
The lifecycle is `run_webhook`'s: initialize, post_init, setWebhook, start … stop, shutdown, post_shutdown.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from collections.abc import Callable
from http import HTTPStatus

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.ext import Application, ExtBot

from .. import store
from .transport import readable

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class UpdateHandler(tornado.web.RequestHandler):
    """One POST from Telegram: checked, parsed if the library can, queued for the Application."""

    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, app: Application, secret_token: str | None) -> None:
        self.app = app
        self.secret_token = secret_token

    async def post(self) -> None:
        if self.request.headers.get("Content-Type") != "application/json":
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        token = self.request.headers.get(SECRET_HEADER, "")
        if self.secret_token is not None and not hmac.compare_digest(token.encode(), self.secret_token.encode()):
            log.warning("webhook request without the right secret token; refused")
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        try:
            data = readable(json.loads(self.request.body))
        except ValueError:  # not JSON (nor UTF-8): nothing Telegram would send
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from None
        if isinstance(data, dict) and set(data) - {"update_id"}:  # a bare id is a skipped update
            update = Update.de_json(data, self.app.bot)
            if isinstance(self.app.bot, ExtBot):
                self.app.bot.insert_callback_data(update)
            await self.app.update_queue.put(update)
        self.set_status(HTTPStatus.OK)  # a skipped update too: otherwise Telegram sends it again

    def log_exception(self, typ, value, tb) -> None:  # noqa: ANN001 – tornado's signature
        """Refusals are logged above; tornado's own lines would hold the request line and address."""
        if not isinstance(value, tornado.web.HTTPError):
            log.error("webhook request failed (%s)", typ.__name__ if typ else "?")


def server(app: Application, url_path: str, secret_token: str | None) -> tornado.httpserver.HTTPServer:
    """The HTTP server taking Telegram's POSTs at /url_path (not yet listening)."""
    web = tornado.web.Application([(rf"/{url_path}/?", UpdateHandler, {"app": app, "secret_token": secret_token})],
                                  log_function=lambda _handler: None)  # access lines hold addresses
    return tornado.httpserver.HTTPServer(web)


async def serve(app: Application, listen: str, port: int, url_path: str, webhook_url: str,
                secret_token: str | None, allowed_updates: list[str], stop: asyncio.Event | None = None) -> None:
    """Serve the webhook until `stop` is set (SIGINT/SIGTERM set it, and abandon a build in progress)."""
    stop = stop or asyncio.Event()
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        stop_on_signals(stop.set)  # after post_init, whose handlers stand for run_polling's loop
        http = server(app, url_path, secret_token)
        http.listen(port, listen)
        try:
            await app.bot.set_webhook(webhook_url, allowed_updates=allowed_updates, secret_token=secret_token)
            await app.start()
            log.info("webhook serving on port %d", port)
            try:
                await stop.wait()
            finally:
                await app.stop()
        finally:
            http.stop()
            await http.close_all_connections()
    finally:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


def stop_on_signals(stop: Callable[[], None]) -> None:
    """SIGINT/SIGTERM abandon a build in progress (a /reload's, an upload's), then `stop`: stopping
    waits for running handlers, and a build of a big archive would hold the exit for minutes."""
    loop = asyncio.get_running_loop()

    def stopping() -> None:
        store.abandon_builds()
        stop()

    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping)
    except (NotImplementedError, RuntimeError):  # no signals here (Windows, not the main thread)
        pass

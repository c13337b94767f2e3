"""The wiring: one Application factory (used by `qiaobot run` and the tests), its services, and running it.

Long-lived services — the engine, the question log, the flood limiters — live in the typed
`BotData`, created in `post_init` and closed in `post_shutdown`. Handlers are registered here in
the order they are tried; each module holds the handlers of one concern.
"""

from __future__ import annotations

import asyncio
import html
import importlib.util
import logging
import re
import shutil
import warnings
from urllib.parse import urlsplit

from telegram import Bot, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from .. import redaction
from ..activity import ActivityLog, RateLimiter
from ..config import ConfigError, Settings
from ..knowledge_home import open_serving
from ..matcher import Engine
from . import admin, buttons, questions, reports, upload, webhook
from .context import CONTEXT_TYPES, BotData
from .errors import on_error
from .inline import inline_query
from .menus import register_commands
from .texts import ADMIN_COMMANDS
from .transport import TelegramRequest

log = logging.getLogger(__name__)

# Edits are not asked for: an edited "/reload" or question is not a new request.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
# Commands count only as fresh messages: an edit or a forward of "/reload" is not a new request.
COMMAND_FILTER = filters.UpdateType.MESSAGE & ~filters.FORWARDED
FLOOD_RETRIES = 5  # RetryAfter waits per call: Telegram says when, so waiting is safe


def build_application(settings: Settings, engine: Engine | None = None) -> Application:
    """The bot, wired: handlers, defaults, and the services post_init will create (the one factory)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its request lines carry the token
    builder = (
        ApplicationBuilder()
        .token(settings.require_token())
        .context_types(CONTEXT_TYPES)
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        # Telegram's flood limits kept, and its RetryAfter waited out, by the library's limiter.
        .rate_limiter(AIORateLimiter(max_retries=FLOOD_RETRIES))
        .request(TelegramRequest(connection_pool_size=256))
        .get_updates_request(TelegramRequest(connection_pool_size=1))
        # A reload or a slow Telegram answer must not hold up other users' questions.
        .concurrent_updates(8)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if settings.api_base_url:
        builder = builder.base_url(settings.api_base_url)
    if settings.api_file_url:
        builder = builder.base_file_url(settings.api_file_url)
    app = builder.build()
    data: BotData = app.bot_data
    data.settings = settings
    data.admins = filters.User(user_id=settings.admin_ids)
    if engine is not None:
        data.use(engine)
    _add_handlers(app, data.admins)
    return app


def _upload_dialogue(admins: filters.User) -> ConversationHandler:
    """An admin's document in a private chat → preview with 加入 / 取消; /cancel or 10 minutes end it."""
    with warnings.catch_warnings():  # per chat and user on purpose, as for the FAQ dialogue
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[MessageHandler(filters.Document.ALL & filters.ChatType.PRIVATE & admins, upload.received)],
            states={
                upload.CONFIRM: [CallbackQueryHandler(upload.confirm, pattern=r"^up:yes$"),
                                 CallbackQueryHandler(upload.cancel, pattern=r"^up:no$")],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, upload.timed_out)],
            },
            fallbacks=[CommandHandler("cancel", upload.cancel, filters=COMMAND_FILTER)],
            conversation_timeout=upload.UPLOAD_TIMEOUT,
            allow_reentry=True,
        )


def _faq_dialogue() -> ConversationHandler:
    """➕ on /unanswered → the admin replies "答案 | 章节" → written; /cancel or 10 minutes end it."""
    # The dialogue is per chat and user (the answer is a message, not a button), which the library
    # warns about for a button entry point; that is the intent here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[CallbackQueryHandler(admin.faq_button, pattern=r"^uf:\d{1,12}$")],
            states={
                admin.FAQ_ANSWER: [MessageHandler(
                    filters.TEXT & ~filters.COMMAND & (filters.ChatType.PRIVATE | filters.REPLY), admin.faq_reply)],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, admin.faq_timed_out)],
            },
            fallbacks=[CommandHandler("cancel", admin.cancel, filters=COMMAND_FILTER)],
            conversation_timeout=admin.FAQ_TIMEOUT,
            allow_reentry=True,
        )


def _add_handlers(app: Application, admins: filters.User) -> None:
    """Every handler, in the order they are tried."""
    app.add_handler(TypeHandler(Update, questions.rate_gate), group=-1)

    app.add_handler(CommandHandler(["start", "help"], questions.start, filters=COMMAND_FILTER))
    app.add_handler(CommandHandler("ask", questions.ask_command, filters=COMMAND_FILTER))
    app.add_handler(CommandHandler("sections", buttons.sections_command, filters=COMMAND_FILTER))
    app.add_handler(CommandHandler("forget", questions.forget_command, filters=COMMAND_FILTER))

    by_admin = COMMAND_FILTER & admins
    app.add_handler(CommandHandler("reload", admin.reload_command, filters=by_admin, block=False))
    app.add_handler(CommandHandler("stats", admin.stats_command, filters=by_admin))
    app.add_handler(CommandHandler("unanswered", admin.unanswered_command, filters=by_admin))
    app.add_handler(CommandHandler("addfaq", admin.addfaq_command, filters=by_admin))
    app.add_handler(CommandHandler("reports", reports.reports_command, filters=by_admin))
    app.add_handler(CommandHandler("remove", reports.remove_command, filters=by_admin))
    app.add_handler(CommandHandler("restore", reports.restore_command, filters=by_admin, block=False))
    app.add_handler(_faq_dialogue())
    app.add_handler(_upload_dialogue(admins))
    app.add_handler(MessageHandler(filters.Document.ALL & filters.ChatType.PRIVATE, upload.refuse_document))
    app.add_handler(CommandHandler("cancel", admin.nothing_to_cancel, filters=COMMAND_FILTER))
    admin_only = [name for name, _ in ADMIN_COMMANDS if name != "cancel"]
    app.add_handler(CommandHandler(admin_only, admin.refuse, filters=COMMAND_FILTER))

    fresh_text = filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(fresh_text & filters.ChatType.PRIVATE, questions.private_text))
    app.add_handler(MessageHandler(fresh_text & filters.ChatType.GROUPS, questions.group_text))
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE & COMMAND_FILTER,
                                   questions.unknown_command))
    app.add_handler(MessageHandler(~filters.TEXT & filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE,
                                   questions.not_text))

    app.add_handler(CallbackQueryHandler(buttons.section_button, pattern=buttons.SECTION_PATTERN))
    for pattern in (buttons.PAGE_PATTERN, buttons.REPORT_PATTERN, buttons.REPORTS_PAGE_PATTERN):
        app.add_handler(CallbackQueryHandler(buttons.sections_page_button, pattern=pattern))
    app.add_handler(CallbackQueryHandler(buttons.suggestion_button, pattern=r"^sg:\d{1,12}:\d{1,2}$"))
    app.add_handler(CallbackQueryHandler(buttons.feedback_button, pattern=r"^fb:\d{1,12}:[01]$"))
    app.add_handler(CallbackQueryHandler(reports.remove_button, pattern=reports.REMOVE_PATTERN, block=False))
    app.add_handler(CallbackQueryHandler(buttons.stale_button))
    app.add_handler(InlineQueryHandler(inline_query))

    app.add_error_handler(on_error)


async def post_init(app: Application) -> None:
    """Open the engine (unless given), the question log and the limiters; register the command menus."""
    data: BotData = app.bot_data
    # replaces run_polling's signal handler, which stop_running stands for
    webhook.stop_on_signals(app.stop_running)
    if not hasattr(data, "engine"):
        engine, data.startup_warning = await asyncio.to_thread(
            open_serving, data.settings.knowledge_dir, data.settings.data_dir)
        data.use(engine)
    # No dialogue survives a restart, so neither do the reports that waited in one for 加入.
    await asyncio.to_thread(shutil.rmtree, data.settings.data_dir / upload.STAGING, True)
    data.activity = ActivityLog.open(data.settings.data_dir, data.settings.id_key, data.settings.retention_days)
    data.limiter = RateLimiter(capacity=8, rate=0.25)
    # Clients send an inline query per pause in typing, so inline gets a roomier bucket of its own.
    data.inline_limiter = RateLimiter(capacity=30, rate=1.0)
    try:
        await register_commands(app.bot, data)
    except TelegramError as exc:  # the menu is a convenience: answering matters more
        log.warning("command menus not set (%s); commands still work when typed", type(exc).__name__)
    if data.startup_warning:
        await _tell_admins(app.bot, data, data.startup_warning)


async def _tell_admins(bot: Bot, data: BotData, text: str) -> None:
    """A message to every admin who has a chat with the bot; one who has none is skipped."""
    for admin_id in sorted(data.settings.admin_ids):
        try:
            await bot.send_message(admin_id, html.escape(text))
        except TelegramError as exc:
            log.info("admin not told (%s)", type(exc).__name__)


async def post_shutdown(app: Application) -> None:
    """Close the question log."""
    data: BotData = app.bot_data
    if hasattr(data, "activity"):
        data.activity.close()


# --- running ---------------------------------------------------------------------------------------

def _check_webhook(webhook_url: str, secret_token: str | None) -> str:
    """The url_path to listen on, or a ConfigError saying what to fix."""
    if not webhook_url.startswith("https://"):
        raise ConfigError("--webhook-url must be a public https:// URL; Telegram sends webhooks over HTTPS only")
    if secret_token is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret_token):
        raise ConfigError("--secret-token may use only A-Z, a-z, 0-9, _ and - (1–256 characters)")
    if importlib.util.find_spec("tornado") is None:
        raise ConfigError("webhook mode needs python-telegram-bot[webhooks]; "
                          "install it with: pip install 'python-telegram-bot[webhooks]'")
    return urlsplit(webhook_url).path.lstrip("/")


def run(settings: Settings, webhook_url: str | None = None, port: int = 8443,
        secret_token: str | None = None) -> None:
    """Serve Telegram until SIGINT/SIGTERM: long polling, or a webhook behind HTTPS."""
    token = settings.require_token()
    redaction.install()  # the token and its secret half become [token] in every log line
    url_path = _check_webhook(webhook_url, secret_token) if webhook_url else ""
    asyncio.run(_check_telegram(settings, token))
    # Knowledge that does not build falls back to the last store that did: a restart never stays down.
    engine, warning = open_serving(settings.knowledge_dir, settings.data_dir)
    if warning:
        log.warning("%s", warning)
    app = build_application(settings, engine)
    app.bot_data.startup_warning = warning
    log.info("starting (%s)", "webhook" if webhook_url else "long polling")
    if webhook_url:
        # Not run_webhook: its server answers an update the library cannot parse with 400 (sent
        # again, forever) and logs it whole; ours skips it as polling does (see webhook.py).
        asyncio.run(webhook.serve(app, "0.0.0.0", port, url_path, webhook_url, secret_token, ALLOWED_UPDATES))
    else:
        app.run_polling(allowed_updates=ALLOWED_UPDATES)


async def _check_telegram(settings: Settings, token: str) -> None:
    """Fail start-up with one line, not a traceback, if Telegram refuses the token or cannot be reached."""
    bot = Bot(token, base_url=settings.api_base_url or "https://api.telegram.org/bot")
    try:
        async with bot:
            pass
    except InvalidToken:
        raise ConfigError("TELEGRAM_BOT_TOKEN was refused by Telegram; copy the token again from @BotFather") from None
    except NetworkError as exc:
        where = settings.api_base_url or "api.telegram.org"
        detail = redaction.redact(exc.message)
        raise ConfigError(f"cannot reach the Telegram Bot API at {where} ({detail}); check the network "
                          "or TELEGRAM_API_BASE_URL") from None

"""The Telegram channel: a thin adapter from Telegram updates to `Engine.ask` and back.

`build_application` is the one factory, used by `qiaobot run` and by the tests (which point
`base_url` at a fake Bot API server). Long-lived services — the engine, the question log, the rate
limiters — are kept in `bot_data`, created in `post_init` and closed in `post_shutdown`.

Callback data is short ASCII and never trusted: it names a row or an index, and the handler checks
who pressed it (feedback: the asker only; FAQ buttons: admins only, checked on every press).
"""

from __future__ import annotations

import asyncio
import html
import importlib.util
import logging
import math
import re
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from . import curated, redaction
from .activity import DAY, WEEK, ActivityLog, RateLimiter
from .answer import Answer
from .config import ConfigError, Settings
from .curated import KnowledgeError
from .matcher import Engine
from .reply import split_message, to_html

log = logging.getLogger(__name__)

T = TypeVar("T")
Context = ContextTypes.DEFAULT_TYPE

# bot_data keys
SETTINGS, ENGINE, ACTIVITY, LIMITER, INLINE_LIMITER = "settings", "engine", "activity", "limiter", "inline_limiter"
OUTLINE, GENERATION, RELOAD_LOCK, EXAMPLES, ADMIN_MENUS = "outline", "generation", "reload_lock", "examples", "admin_menus"

# Edits are not asked for: an edited "/reload" or question is not a new request.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
MAX_SUGGESTIONS = 4
INLINE_RESULTS = 5
SECTIONS_PER_PAGE = 10
NETWORK_ATTEMPTS = 5  # per Bot API call, for timeouts, dropped connections and 5xx (about 4 s of backoff)
FLOOD_WAITS = 5  # flood-control waits per call; Telegram says when to retry, so these do not count as failures
MAX_RETRY_AFTER = 60.0  # longer flood waits are skipped rather than held
BACKOFF = 0.25  # seconds before the first network retry, doubling up to 4 s
BUTTON_CHARS = 32

USER_COMMANDS = [
    ("start", "开始使用"),
    ("help", "使用说明和示例问题"),
    ("sections", "报告目录"),
    ("ask", "提问（在群里用）：/ask 问题"),
    ("forget", "删除我的提问记录"),
]
ADMIN_COMMANDS = [
    ("reload", "重新加载知识库"),
    ("stats", "提问统计"),
    ("unanswered", "未答出和差评的问题"),
    ("addfaq", "添加常见问题：问题 | 答案 | 章节"),
]

REFUSAL = "抱歉，这个命令只有管理员可以使用。"
APOLOGY = "抱歉，处理您的消息时出了点问题，请稍后再试。"
ONLY_ASKER = "只有提问的人可以评价这条回答。"
STALE_BUTTON = "这个按钮已过期，请重新发送问题或 /sections。"

# Commands count only as fresh messages: an edit or a forward of "/reload" is not a new request.
COMMAND_FILTER = filters.UpdateType.MESSAGE & ~filters.FORWARDED


# --- the factory -----------------------------------------------------------------------------------

def build_application(settings: Settings, engine: Engine | None = None) -> Application:
    """The bot, wired: handlers, defaults, and the services post_init will create (the one factory)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its request lines carry the token
    builder = (
        ApplicationBuilder()
        .token(settings.require_token())
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
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
    app.bot_data[SETTINGS] = settings
    app.bot_data[ENGINE] = engine

    app.add_handler(TypeHandler(Update, rate_gate), group=-1)

    app.add_handler(CommandHandler(["start", "help"], start, filters=COMMAND_FILTER))
    app.add_handler(CommandHandler("ask", ask_command, filters=COMMAND_FILTER))
    app.add_handler(CommandHandler("sections", sections_command, filters=COMMAND_FILTER))
    app.add_handler(CommandHandler("forget", forget_command, filters=COMMAND_FILTER))
    app.add_handler(CommandHandler("reload", reload_command, filters=COMMAND_FILTER, block=False))
    app.add_handler(CommandHandler("stats", stats_command, filters=COMMAND_FILTER))
    app.add_handler(CommandHandler("unanswered", unanswered_command, filters=COMMAND_FILTER))
    app.add_handler(CommandHandler("addfaq", addfaq_command, filters=COMMAND_FILTER))

    fresh_text = filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(fresh_text & filters.ChatType.PRIVATE, private_text))
    app.add_handler(MessageHandler(fresh_text & filters.ChatType.GROUPS, group_text))
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE & COMMAND_FILTER, unknown_command))
    app.add_handler(MessageHandler(~filters.TEXT & filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE,
                                   not_text))

    app.add_handler(CallbackQueryHandler(section_button, pattern=r"^s:\d{1,9}:\d{1,6}$"))
    app.add_handler(CallbackQueryHandler(sections_page_button, pattern=r"^sp:\d{1,9}:\d{1,6}$"))
    app.add_handler(CallbackQueryHandler(suggestion_button, pattern=r"^sg:\d{1,12}:\d{1,2}$"))
    app.add_handler(CallbackQueryHandler(feedback_button, pattern=r"^fb:\d{1,12}:[01]$"))
    app.add_handler(CallbackQueryHandler(faq_button, pattern=r"^uf:\d{1,12}$"))
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_handler(InlineQueryHandler(inline_query))

    app.add_error_handler(on_error)
    return app


async def post_init(app: Application) -> None:
    """Open the engine (unless given), the question log and the limiters; register the command menus."""
    settings: Settings = app.bot_data[SETTINGS]
    if app.bot_data.get(ENGINE) is None:
        app.bot_data[ENGINE] = await asyncio.to_thread(Engine.open, settings.knowledge_dir, settings.data_dir)
    app.bot_data[ACTIVITY] = ActivityLog.open(settings.data_dir, settings.id_key, settings.retention_days)
    app.bot_data[LIMITER] = RateLimiter(capacity=8, rate=0.25)
    # Clients send an inline query per pause in typing, so inline gets a roomier bucket of its own.
    app.bot_data[INLINE_LIMITER] = RateLimiter(capacity=30, rate=1.0)
    app.bot_data[RELOAD_LOCK] = asyncio.Lock()
    app.bot_data[GENERATION] = 0
    app.bot_data[ADMIN_MENUS] = set()
    _refresh_knowledge(app.bot_data)
    await register_commands(app.bot, app.bot_data)


async def post_shutdown(app: Application) -> None:
    """Close the question log."""
    activity: ActivityLog | None = app.bot_data.get(ACTIVITY)
    if activity is not None:
        activity.close()


def _refresh_knowledge(bot_data: dict) -> None:
    """Cache what the current engine's outline and examples are; a new generation invalidates old buttons."""
    engine: Engine = bot_data[ENGINE]
    bot_data[OUTLINE] = list(engine.outline())
    bot_data[EXAMPLES] = example_questions(engine, bot_data[OUTLINE])


async def register_commands(bot: Bot, bot_data: dict) -> None:
    """The command menu: users' commands everywhere, admins' own added in their private chats."""
    user = [BotCommand(c, d) for c, d in USER_COMMANDS]
    await deliver(lambda: bot.set_my_commands(user), "setMyCommands")
    await deliver(lambda: bot.set_my_commands(user, scope=BotCommandScopeAllPrivateChats()), "setMyCommands")
    await deliver(lambda: bot.set_my_commands(user, scope=BotCommandScopeAllGroupChats()), "setMyCommands")
    for admin_id in sorted(bot_data[SETTINGS].admin_ids):
        await register_admin_menu(bot, bot_data, admin_id)


async def register_admin_menu(bot: Bot, bot_data: dict, admin_id: int) -> None:
    """Show an admin their commands; Telegram knows the chat only once they have talked to the bot."""
    if admin_id in bot_data[ADMIN_MENUS]:
        return
    commands = [BotCommand(c, d) for c, d in USER_COMMANDS + ADMIN_COMMANDS]
    try:
        done = await deliver(lambda: bot.set_my_commands(commands, scope=BotCommandScopeChat(admin_id)),
                             "setMyCommands(admin)")
    except BadRequest as exc:
        log.info("admin menu not set yet (%s); it will be when that admin sends /start", exc)
        return
    if done:
        bot_data[ADMIN_MENUS].add(admin_id)


# --- talking to Telegram ---------------------------------------------------------------------------

def _seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after is an int in 22.x (with a deprecation warning) and a timedelta later."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)


async def deliver(action: Callable[[], Awaitable[T]], what: str) -> T | None:
    """Make one Bot API call: wait out flood control, retry network trouble, skip a blocked chat.

    Returns None when the call was given up; BadRequest is raised for the caller to decide. A retry
    after a timeout may duplicate a message that did arrive — better than losing an answer.
    """
    failures = floods = 0
    while True:
        try:
            return await action()
        except RetryAfter as exc:
            floods += 1
            delay = _seconds(exc)
            if delay > MAX_RETRY_AFTER or floods > FLOOD_WAITS:
                log.warning("%s: flood control asks to wait %.0fs; skipped", what, delay)
                return None
            log.info("%s: flood control, waiting %.1fs", what, delay)
            await asyncio.sleep(delay)
        except BadRequest:
            raise
        except Forbidden as exc:  # blocked by the user, kicked from the group
            log.info("%s: %s; skipped", what, exc.message)
            return None
        except (TimedOut, NetworkError) as exc:
            failures += 1
            if failures >= NETWORK_ATTEMPTS:
                log.warning("%s: %s after %d attempts; skipped", what, type(exc).__name__, failures)
                return None
            await asyncio.sleep(min(BACKOFF * 2 ** (failures - 1), 4.0))


def _html_to_plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", text))


async def send_html(bot: Bot, chat_id: int, text: str, reply_to: int | None = None,
                    markup: InlineKeyboardMarkup | ForceReply | None = None) -> Message | None:
    """Send one HTML message (≤4096 chars); if Telegram cannot parse it, send it as plain text."""
    reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None

    def send(body: str, mode: str | None) -> Callable[[], Awaitable[Message]]:
        return lambda: bot.send_message(chat_id, body, parse_mode=mode, reply_parameters=reply, reply_markup=markup)

    try:
        return await deliver(send(text, ParseMode.HTML), "sendMessage")
    except BadRequest as exc:
        if "parse entities" not in exc.message.lower():
            log.warning("sendMessage refused: %s", exc.message)
            return None
        log.error("Telegram could not parse our HTML (%s); sending plain text", exc.message)
    try:
        return await deliver(send(_html_to_plain(text), None), "sendMessage(plain)")
    except BadRequest as exc:
        log.warning("sendMessage(plain) refused: %s", exc.message)
        return None


async def send_long_html(bot: Bot, chat_id: int, text: str, reply_to: int | None = None,
                         markup: InlineKeyboardMarkup | None = None) -> Message | None:
    """Send HTML of any length in parts under Telegram's limit; buttons go under the last part."""
    parts = split_message(text)
    last = None
    for i, part in enumerate(parts):
        is_last = i == len(parts) - 1
        last = await send_html(bot, chat_id, part, reply_to if i == 0 else None, markup if is_last else None)
    return last


async def acknowledge(update: Update, text: str | None = None) -> None:
    """Answer a button press (stops the client's spinner); a late or repeated answer is harmless."""
    query = update.callback_query
    if query is None:
        return
    try:
        await deliver(lambda: query.answer(text), "answerCallbackQuery")
    except BadRequest as exc:
        log.debug("answerCallbackQuery: %s", exc.message)


async def say(update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | ForceReply | None = None,
              quote: bool = True) -> Message | None:
    """Reply in HTML to the message behind an update (or just into its chat)."""
    chat = update.effective_chat
    if chat is None:
        return None
    message = update.effective_message
    reply_to = message.message_id if quote and message is not None and update.callback_query is None else None
    return await send_long_html(context.bot, chat.id, text, reply_to, markup)  # type: ignore[arg-type]


# --- helpers ---------------------------------------------------------------------------------------

def _short(text: str, limit: int = BUTTON_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_admin(update: Update, context: Context) -> bool:
    user = update.effective_user
    return user is not None and user.id in context.bot_data[SETTINGS].admin_ids


def _engine(context: Context) -> Engine:
    return context.bot_data[ENGINE]


def _activity(context: Context) -> ActivityLog:
    return context.bot_data[ACTIVITY]


def example_questions(engine: Engine, outline: list, limit: int = 3) -> list[str]:
    """A few questions the current knowledge answers, made from its section titles and checked."""
    examples: list[str] = []
    for section in outline:
        title = getattr(section, "title", "") or ""
        if len(section.path) < 2 or not 2 <= len(title) <= 16:
            continue
        question = f"{title}有哪些做法？"
        try:
            if engine.ask(question).answered:
                examples.append(question)
        except Exception:  # an example is a nicety; never let it stop the bot
            log.exception("example question %r failed", question)
        if len(examples) >= limit:
            break
    return examples


def addressed_question(message: Message, bot: Bot) -> str | None:
    """The question in a group message meant for the bot (a mention or a reply to it), else None."""
    text = message.text or ""
    mention = f"@{bot.username}".lower() if bot.username else None
    mentioned = ""
    for entity, value in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        if entity.type == MessageEntity.MENTION and value.lower() == mention or \
                entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id:
            mentioned = value
            break
    replied = message.reply_to_message is not None and message.reply_to_message.from_user is not None \
        and message.reply_to_message.from_user.id == bot.id
    if not mentioned and not replied:
        return None
    return text.replace(mentioned, " ", 1).strip() if mentioned else text.strip()


def answer_keyboard(answer: Answer, log_id: int) -> InlineKeyboardMarkup | None:
    """"你可能想问" suggestions as buttons, and 👍/👎 under an answer."""
    rows = [[InlineKeyboardButton(f"❓ {_short(s)}", callback_data=f"sg:{log_id}:{i}")]
            for i, s in enumerate(answer.suggestions[:MAX_SUGGESTIONS])]
    if answer.answered:
        rows.append([InlineKeyboardButton("👍 有用", callback_data=f"fb:{log_id}:1"),
                     InlineKeyboardButton("👎 没用", callback_data=f"fb:{log_id}:0")])
    return InlineKeyboardMarkup(rows) if rows else None


async def answer_question(update: Update, context: Context, question: str, channel: str,
                          reply_to: int | None = None) -> None:
    """Ask the engine, log the question, and send the answer with its buttons."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    answer = _engine(context).ask(question)
    log_id = _activity(context).log_question(user.id, chat.id, channel, answer)
    await send_long_html(context.bot, chat.id, to_html(answer), reply_to, answer_keyboard(answer, log_id))


# --- the gate --------------------------------------------------------------------------------------

def _counts_for_limit(update: Update, context: Context) -> bool:
    """Only what the bot would answer counts: group chatter not meant for it does not."""
    if update.callback_query is not None:
        return True
    message = update.message
    if message is None:
        return False
    if message.chat.type == "private":
        return True
    is_command = bool(message.entities and message.entities[0].type == MessageEntity.BOT_COMMAND
                      and message.entities[0].offset == 0)
    return is_command or addressed_question(message, context.bot) is not None


async def rate_gate(update: Update, context: Context) -> None:
    """Keep one flooding user from starving the others: refuse past the limit, saying so once."""
    user = update.effective_user
    if user is None or _is_admin(update, context):
        return
    if update.inline_query is not None:
        if context.bot_data[INLINE_LIMITER].hit(user.id):
            await _quiet(deliver(lambda: update.inline_query.answer([], cache_time=5), "answerInlineQuery"))
            raise ApplicationHandlerStop
        return
    if not _counts_for_limit(update, context):
        return
    limiter: RateLimiter = context.bot_data[LIMITER]
    wait = limiter.hit(user.id)
    if not wait:
        return
    notice = f"您发得太快了，请 {math.ceil(wait)} 秒后再问。"
    if update.callback_query is not None:
        await acknowledge(update, notice)
    elif limiter.first_refusal(user.id):
        await say(update, context, html.escape(notice))
    raise ApplicationHandlerStop


async def _quiet(call: Awaitable[Any]) -> None:
    try:
        await call
    except BadRequest as exc:
        log.debug("ignored: %s", exc.message)


# --- users -----------------------------------------------------------------------------------------

async def start(update: Update, context: Context) -> None:
    """/start and /help: what the bot knows, example questions, and the commands."""
    engine = _engine(context)
    counts = engine.counts()
    docs = "\n".join(f"• 《{html.escape(title)}》" for title in engine.documents.values())
    examples = "\n".join(f"• {html.escape(q)}" for q in context.bot_data.get(EXAMPLES) or [])
    username = html.escape(context.bot.username or "")
    lines = [
        "您好！我根据下面的报告回答侨务工作方面的问题，并注明答案在报告中的出处：",
        docs,
        f"共 {counts['sections']} 个章节、{counts['facts']} 条事实" +
        (f"、{counts['faq']} 条常见问题。" if counts.get("faq") else "。"),
        "",
        "直接发问题给我就行" + ("，例如：\n" + examples if examples else "。"),
        "",
        "<b>命令</b>",
        "/sections 查看报告目录",
        "/ask 问题 — 在群里提问（也可以 @我 或回复我的消息）",
        "/help 使用说明",
        "/forget 删除我的提问记录",
        f"在任何聊天里输入 @{username} 问题，也可以查询。",
    ]
    if _is_admin(update, context):
        lines += ["", "<b>管理员命令</b>", "/reload 重新加载知识库", "/stats 提问统计",
                  "/unanswered 未答出和差评的问题", "/addfaq 问题 | 答案 | 章节 — 添加常见问题"]
        await register_admin_menu(context.bot, context.bot_data, update.effective_user.id)  # type: ignore[union-attr]
    await say(update, context, "\n".join(lines), quote=False)


async def private_text(update: Update, context: Context) -> None:
    """In a private chat every text is a question."""
    message = update.message
    if message is None or await faq_reply(update, context):
        return
    await answer_question(update, context, message.text or "", "private", reply_to=message.message_id)


async def group_text(update: Update, context: Context) -> None:
    """In a group, answer only when mentioned or replied to; stay silent otherwise."""
    message = update.message
    if message is None:
        return
    question = addressed_question(message, context.bot)
    if question is None or await faq_reply(update, context):
        return
    if not question:
        await say(update, context, "请在 @我 后面写上问题，例如：@我 合同外资引进了多少？")
        return
    await answer_question(update, context, question, "group", reply_to=message.message_id)


async def ask_command(update: Update, context: Context) -> None:
    """/ask 问题 — the way to ask in a group (works in private chats too)."""
    message = update.message
    if message is None:
        return
    parts = (message.text or "").split(maxsplit=1)
    question = parts[1].strip() if len(parts) > 1 else ""
    if not question:
        await say(update, context, "用法：/ask 问题，例如 /ask 合同外资引进了多少？")
        return
    await answer_question(update, context, question, message.chat.type, reply_to=message.message_id)


async def forget_command(update: Update, context: Context) -> None:
    """/forget: delete this user's questions, feedback and rate-limit state (the log does the work)."""
    user = update.effective_user
    if user is None:
        return
    removed = await asyncio.to_thread(_activity(context).forget_user, user.id)
    for limiter in (context.bot_data[LIMITER], context.bot_data[INLINE_LIMITER]):
        limiter.forget(user.id)
    await say(update, context, f"已删除您的 {removed} 条提问记录（连同评价和频率限制记录）。")


async def unknown_command(update: Update, context: Context) -> None:
    """An unknown command in a private chat: point to /help."""
    await say(update, context, "没有这个命令。发送 /help 查看可用的命令，或直接发问题给我。")


async def not_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice: the bot reads text only."""
    await say(update, context, "我只能读文字，请用文字提问。")


# --- the outline -----------------------------------------------------------------------------------

def sections_keyboard(bot_data: dict, page: int) -> tuple[str, InlineKeyboardMarkup]:
    """One page of the top-level sections as buttons, with page turns."""
    outline, generation = bot_data[OUTLINE], bot_data[GENERATION]
    top = [(i, s) for i, s in enumerate(outline) if len(s.path) == 1]
    pages = max(1, math.ceil(len(top) / SECTIONS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = top[page * SECTIONS_PER_PAGE:(page + 1) * SECTIONS_PER_PAGE]
    rows = [[InlineKeyboardButton(_short(s.heading), callback_data=f"s:{generation}:{i}")] for i, s in shown]
    turns = []
    if page > 0:
        turns.append(InlineKeyboardButton("⬅️ 上一页", callback_data=f"sp:{generation}:{page - 1}"))
    if page < pages - 1:
        turns.append(InlineKeyboardButton("下一页 ➡️", callback_data=f"sp:{generation}:{page + 1}"))
    if turns:
        rows.append(turns)
    engine: Engine = bot_data[ENGINE]
    titles = "、".join(f"《{html.escape(t)}》" for t in engine.documents.values())
    text = f"<b>报告目录</b>\n{titles}\n点按钮查看该部分的内容。"
    if pages > 1:
        text += f"（第 {page + 1}/{pages} 页）"
    return text, InlineKeyboardMarkup(rows)


async def sections_command(update: Update, context: Context) -> None:
    """/sections: the outline as buttons."""
    text, markup = sections_keyboard(context.bot_data, 0)
    await say(update, context, text, markup, quote=False)


def _outline_entry(update: Update, context: Context) -> tuple[int, Any] | None:
    """The outline index in a section button, if the button is from the current knowledge."""
    _, generation, index = update.callback_query.data.split(":")  # type: ignore[union-attr]
    outline = context.bot_data[OUTLINE]
    if int(generation) != context.bot_data[GENERATION] or int(index) >= len(outline):
        return None
    return int(index), outline[int(index)]


async def section_button(update: Update, context: Context) -> None:
    """A section button: show the section, with its parts as further buttons."""
    entry = _outline_entry(update, context)
    if entry is None:
        await acknowledge(update, "目录已更新，请重新发送 /sections。")
        return
    await acknowledge(update)
    index, section = entry
    outline, generation = context.bot_data[OUTLINE], context.bot_data[GENERATION]
    answer = _engine(context).show_section(section.doc, tuple(section.path))
    depth = len(section.path)
    children = [[InlineKeyboardButton(_short(s.heading), callback_data=f"s:{generation}:{i}")]
                for i, s in enumerate(outline) if s.doc == section.doc and len(s.path) == depth + 1
                and tuple(s.path[:depth]) == tuple(section.path)]
    await say(update, context, to_html(answer), InlineKeyboardMarkup(children) if children else None)


async def sections_page_button(update: Update, context: Context) -> None:
    """Turn a page of the outline."""
    query = update.callback_query
    _, generation, page = query.data.split(":")  # type: ignore[union-attr]
    if int(generation) != context.bot_data[GENERATION] or query.message is None:  # type: ignore[union-attr]
        await acknowledge(update, "目录已更新，请重新发送 /sections。")
        return
    await acknowledge(update)
    text, markup = sections_keyboard(context.bot_data, int(page))
    try:
        await deliver(lambda: query.edit_message_text(text, reply_markup=markup), "editMessageText")  # type: ignore[union-attr]
    except BadRequest as exc:  # pressed twice: "message is not modified"
        log.debug("page turn: %s", exc.message)


# --- buttons under answers -------------------------------------------------------------------------

async def suggestion_button(update: Update, context: Context) -> None:
    """A "你可能想问" button: answer that question here."""
    query = update.callback_query
    _, log_id, index = query.data.split(":")  # type: ignore[union-attr]
    row = _activity(context).get(int(log_id))
    chat = update.effective_chat
    # The button must belong to this chat's log row: data copied from elsewhere reveals nothing.
    if row is None or chat is None or row.chat_hash != _activity(context).chat_hash(chat.id) \
            or int(index) >= len(row.suggestions):
        await acknowledge(update, STALE_BUTTON)
        return
    await acknowledge(update)
    await answer_question(update, context, row.suggestions[int(index)], "button")


async def feedback_button(update: Update, context: Context) -> None:
    """👍/👎 under an answer: recorded for the asker only."""
    query = update.callback_query
    _, log_id, value = query.data.split(":")  # type: ignore[union-attr]
    user = update.effective_user
    if user is None or not _activity(context).set_feedback(int(log_id), user.id, 1 if value == "1" else -1):
        await acknowledge(update, ONLY_ASKER)
        return
    await acknowledge(update, "谢谢反馈！" if value == "1" else "谢谢反馈，我们会改进这个回答。")


async def stale_button(update: Update, context: Context) -> None:
    """Any other button: data we do not know (old, or forged)."""
    await acknowledge(update, STALE_BUTTON)


# --- inline mode -----------------------------------------------------------------------------------

async def inline_query(update: Update, context: Context) -> None:
    """`@bot 问题` in any chat: up to five answers to choose from."""
    query = update.inline_query
    if query is None:
        return
    text = query.query.strip()
    help_button = InlineQueryResultsButton("怎么提问？", start_parameter="help")
    if not text:
        await _quiet(deliver(lambda: query.answer([], button=help_button, cache_time=300), "answerInlineQuery"))
        return
    engine = _engine(context)
    main = engine.ask(text)
    answers = [main] if main.answered else []
    for suggestion in main.suggestions:
        if len(answers) >= INLINE_RESULTS:
            break
        other = engine.ask(suggestion)
        if other.answered and all(other.text != a.text for a in answers):
            answers.append(other)
    results = []
    for i, answer in enumerate(answers):
        first_line = next((line for line in answer.text.split("\n") if line.strip()), answer.question)
        ref = answer.references[0].label if answer.references else ""
        results.append(InlineQueryResultArticle(
            id=f"a{i}", title=_short(first_line, 60), description=_short(ref or answer.question, 100),
            input_message_content=InputTextMessageContent(split_message(to_html(answer))[0]),
        ))
    await _quiet(deliver(lambda: query.answer(results, cache_time=60, button=help_button), "answerInlineQuery"))


# --- admins ----------------------------------------------------------------------------------------

async def _admin_only(update: Update, context: Context) -> bool:
    """True for admins; anyone else gets a polite refusal and nothing happens."""
    if _is_admin(update, context):
        return True
    await say(update, context, REFUSAL)
    return False


async def reload_command(update: Update, context: Context) -> None:
    """/reload: build the knowledge anew beside the old one, then swap; on failure keep the old."""
    if not await _admin_only(update, context):
        return
    lock: asyncio.Lock = context.bot_data[RELOAD_LOCK]
    if lock.locked():
        await say(update, context, "正在重新加载，请稍候。")
        return
    async with lock:
        settings: Settings = context.bot_data[SETTINGS]
        old = _engine(context)
        before = old.counts()
        started = time.monotonic()
        chat = update.effective_chat
        if chat is not None:
            await _quiet(deliver(lambda: context.bot.send_chat_action(chat.id, ChatAction.TYPING), "sendChatAction"))
        try:
            # In a thread: questions arriving meanwhile are answered by the old engine.
            new = await asyncio.to_thread(Engine.open, settings.knowledge_dir, settings.data_dir)
        except KnowledgeError as exc:
            await say(update, context, "❌ 重新加载失败，仍在使用原来的知识库。\n" + html.escape(str(exc)))
            return
        except Exception as exc:
            log.exception("reload failed")
            await say(update, context, "❌ 重新加载失败，仍在使用原来的知识库。\n"
                      + html.escape(f"{type(exc).__name__}: {exc}"))
            return
        context.bot_data[ENGINE] = new
        context.bot_data[GENERATION] += 1
        _refresh_knowledge(context.bot_data)
        after = new.counts()
        took = time.monotonic() - started
    names = [("documents", "文档"), ("sections", "章节"), ("facts", "事实"), ("faq", "FAQ")]
    rows = "\n".join(f"{label}：{before.get(key, 0)} → {after.get(key, 0)}" for key, label in names)
    await say(update, context, f"✅ 知识库已重新加载（用时 {took:.1f} 秒）\n{rows}")


def _stats_line(label: str, stats: Any) -> str:
    if not stats.asked:
        return f"{label}：没有提问"
    return (f"{label}：提问 {stats.asked} 次，答出 {stats.answered}（{stats.answered_rate:.0%}），"
            f"未答出 {stats.declined}（{stats.declined_rate:.0%}）")


async def stats_command(update: Update, context: Context) -> None:
    """/stats: questions, answered and declined rates, the most frequent — last day and week."""
    if not await _admin_only(update, context):
        return
    activity = _activity(context)
    day, week = activity.stats(DAY), activity.stats(WEEK)
    lines = ["<b>提问统计</b>", _stats_line("最近一天", day), _stats_line("最近一周", week),
             f"提问和评价保留 {activity.retention_days} 天后自动删除；用户发送 /forget 可随时删除自己的记录。"]
    if week.top:
        lines += ["", "<b>一周内常问的问题</b>"]
        lines += [f"{n}. {html.escape(_short(q, 60))}（{count} 次）" for n, (q, count) in enumerate(week.top, 1)]
    await say(update, context, "\n".join(lines))


async def unanswered_command(update: Update, context: Context) -> None:
    """/unanswered: the latest declined and 👎 questions, newest first, each with a button to make an FAQ."""
    if not await _admin_only(update, context):
        return
    rows = _activity(context).unanswered(limit=10)
    if not rows:
        await say(update, context, "没有未答出或差评的问题。")
        return
    lines = ["<b>未答出和差评的问题</b>（最新在前；点按钮加为 FAQ）"]
    buttons = []
    for n, row in enumerate(rows, 1):
        when = time.strftime("%m-%d %H:%M", time.localtime(row.at))
        why = "👎" if row.feedback == -1 else "未答出"
        lines.append(f"{n}. {when} · {why} · {html.escape(_short(row.question, 80))}")
        buttons.append(InlineKeyboardButton(f"➕ {n}", callback_data=f"uf:{row.id}"))
    keyboard = [buttons[i:i + 5] for i in range(0, len(buttons), 5)]
    await say(update, context, "\n".join(lines), InlineKeyboardMarkup(keyboard))


def _split_fields(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[|｜]", text)]


async def _add_faq(update: Update, context: Context, question: str, answer: str, section: str,
                   source_id: int | None = None) -> None:
    settings: Settings = context.bot_data[SETTINGS]
    try:
        await asyncio.to_thread(curated.append_faq, settings.knowledge_dir, question, answer, section)
    except (ValueError, KnowledgeError, OSError) as exc:
        await say(update, context, "❌ 没有添加：" + html.escape(str(exc)))
        return
    _activity(context).record_faq(update.effective_user.id, question, answer, section, source_id)  # type: ignore[union-attr]
    await say(update, context, f"✅ 已写入 {curated.FAQ_FILE}：「{html.escape(question)}」。发送 /reload 后生效。")


async def addfaq_command(update: Update, context: Context) -> None:
    """/addfaq 问题 | 答案 | 章节 — write an FAQ entry to the knowledge folder (effective at /reload)."""
    if not await _admin_only(update, context):
        return
    parts = (update.message.text or "").split(maxsplit=1)  # type: ignore[union-attr]
    fields = _split_fields(parts[1]) if len(parts) > 1 else []
    if len(fields) not in (2, 3) or not fields[0] or not fields[1]:
        await say(update, context, "用法：/addfaq 问题 | 答案 | 章节\n章节可以省略，例如："
                  "/addfaq 引进了多少合同外资？ | 35亿美元 | 1.1")
        return
    await _add_faq(update, context, fields[0], fields[1], fields[2] if len(fields) == 3 else "")


async def faq_button(update: Update, context: Context) -> None:
    """A ➕ button from /unanswered: ask the admin for the answer (admin re-checked on every press)."""
    if not _is_admin(update, context):
        await acknowledge(update, REFUSAL)
        return
    _, log_id = update.callback_query.data.split(":")  # type: ignore[union-attr]
    row = _activity(context).get(int(log_id))
    if row is None:
        await acknowledge(update, STALE_BUTTON)
        return
    await acknowledge(update)
    prompt = await say(update, context,
                       f"为这个问题写 FAQ：\n「{html.escape(row.question)}」\n"
                       "请直接回复本消息：答案 | 章节（章节可以省略，例如 1.2）",
                       ForceReply(selective=True, input_field_placeholder="答案 | 章节"))
    if prompt is not None:
        context.user_data["faq_prompt"] = (prompt.chat_id, prompt.message_id, row.id, row.question)  # type: ignore[index]


async def faq_reply(update: Update, context: Context) -> bool:
    """An admin's reply to an FAQ prompt: write the entry. False if the message is not such a reply."""
    message = update.message
    pending = (context.user_data or {}).get("faq_prompt")
    if message is None or message.reply_to_message is None or not pending:
        return False
    chat_id, prompt_id, log_id, question = pending
    if message.chat_id != chat_id or message.reply_to_message.message_id != prompt_id:
        return False
    if not _is_admin(update, context):
        return False
    fields = _split_fields(message.text or "")
    if len(fields) > 2 or not fields[0]:
        await say(update, context, "格式是：答案 | 章节（章节可以省略）。请再回复一次。")
        return True
    context.user_data.pop("faq_prompt", None)  # type: ignore[union-attr]
    await _add_faq(update, context, question, fields[0], fields[1] if len(fields) == 2 else "", log_id)
    return True


# --- errors ----------------------------------------------------------------------------------------

def describe(update: object) -> str:
    """What was being handled, without the user's words or names (they stay out of the logs)."""
    if not isinstance(update, Update):
        return repr(update)[:200]
    kind = next((k for k in ("message", "edited_message", "callback_query", "inline_query")
                 if getattr(update, k) is not None), "other")
    chat = update.effective_chat
    return f"update {update.update_id} ({kind}{f' in a {chat.type} chat' if chat else ''})"


async def on_error(update: object, context: Context) -> None:
    """Log the error with what was being handled, and apologise to the user."""
    error = context.error
    if update is None and isinstance(error, (NetworkError, TimedOut, RetryAfter)):
        log.warning("Telegram connection trouble while polling: %s", error)
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
        log.warning("could not apologise: %s", exc)


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
    engine = Engine.open(settings.knowledge_dir, settings.data_dir)  # bad knowledge stops start-up here
    app = build_application(settings, engine)
    log.info("starting (%s)", "webhook" if webhook_url else "long polling")
    if webhook_url:
        app.run_webhook(listen="0.0.0.0", port=port, url_path=url_path, webhook_url=webhook_url,
                        secret_token=secret_token, allowed_updates=ALLOWED_UPDATES)
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
    except (NetworkError, TimedOut) as exc:
        where = settings.api_base_url or "api.telegram.org"
        detail = redaction.redact(exc.message)
        raise ConfigError(f"cannot reach the Telegram Bot API at {where} ({detail}); check the network "
                          "or TELEGRAM_API_BASE_URL") from None

"""Users' questions: private chats, groups (when addressed), /ask, /start; and the flood gate before them."""

from __future__ import annotations

import asyncio
import html
import logging
import math

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.ext import ApplicationHandlerStop

from ..answer import Answer
from ..reply import to_html
from .context import BotData, Context
from .menus import register_admin_menu
from .send import acknowledge, quiet, say, send_long_html
from .texts import FAQ_EXPIRED, FAQ_PROMPT, short

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 4
LOG_WAIT = 1.0  # seconds an answer waits for the question log at most


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


def answer_keyboard(answer: Answer, log_id: int | None) -> InlineKeyboardMarkup | None:
    """"你可能想问" suggestions as buttons, and 👍/👎 under an answer; none when the question could
    not be logged (the buttons name its log row; the suggestions are in the text anyway)."""
    if log_id is None:
        return None
    rows = [[InlineKeyboardButton(f"❓ {short(s)}", callback_data=f"sg:{log_id}:{i}")]
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
    data = context.bot_data
    answer = data.conversation.respond(data.engine, question, key=(chat.id, user.id))
    if answer.kind == "smalltalk":  # a greeting is neither a question to count nor one to rate
        await send_long_html(context.bot, chat.id, to_html(answer), reply_to, None)
        return
    log_id = await logged(data, user.id, chat.id, channel, answer)
    await send_long_html(context.bot, chat.id, to_html(answer), reply_to, answer_keyboard(answer, log_id))


async def logged(data: BotData, user_id: int, chat_id: int, channel: str, answer: Answer) -> int | None:
    """Log the question without letting the log hold up the answer: a full disk, a locked or
    broken log gives up after LOG_WAIT seconds, is counted in /stats, and the answer goes out."""
    try:
        return await asyncio.wait_for(
            asyncio.to_thread(data.activity.log_question, user_id, chat_id, channel, answer), LOG_WAIT)
    except Exception as exc:  # TimeoutError, sqlite3.Error, OSError: bookkeeping, never the answer
        data.log_failures += 1
        log.warning("question not logged (%s); answered anyway", type(exc).__name__)
        return None


def _replies_to_faq_prompt(message: Message, bot: Bot) -> bool:
    """A reply to an ➕ prompt that reached no FAQ dialogue (it ended, or the bot restarted)."""
    prompt = message.reply_to_message
    return prompt is not None and prompt.from_user is not None and prompt.from_user.id == bot.id \
        and (prompt.text or "").startswith(FAQ_PROMPT)


# --- the gate --------------------------------------------------------------------------------------

def _counts_for_limit(update: Update, bot: Bot) -> bool:
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
    return is_command or addressed_question(message, bot) is not None


async def rate_gate(update: Update, context: Context) -> None:
    """Keep one flooding user from starving the others: refuse past the limit, saying so once."""
    data: BotData = context.bot_data
    user = update.effective_user
    if user is None or data.is_admin(update):
        return
    if update.inline_query is not None:
        if data.inline_limiter.hit(user.id):
            await quiet(update.inline_query.answer([], cache_time=5))
            raise ApplicationHandlerStop
        return
    if not _counts_for_limit(update, context.bot):
        return
    wait = data.limiter.hit(user.id)
    if not wait:
        return
    notice = f"您发得太快了，请 {math.ceil(wait)} 秒后再问。"
    if update.callback_query is not None:
        await acknowledge(update, notice)
    elif data.limiter.first_refusal(user.id):
        await say(update, context, html.escape(notice))
    raise ApplicationHandlerStop


# --- handlers --------------------------------------------------------------------------------------

async def start(update: Update, context: Context) -> None:
    """/start and /help: what the bot knows, example questions, and the commands."""
    data = context.bot_data
    counts = data.engine.counts()
    docs = "\n".join(f"• 《{html.escape(title)}》" for title in data.engine.documents.values())
    examples = "\n".join(f"• {html.escape(q)}" for q in data.examples)
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
    user = update.effective_user
    admin = user is not None and data.is_admin(update)
    if admin:
        lines += ["", "<b>管理员命令</b>", "/reload 重新加载知识库", "/stats 提问统计",
                  "/unanswered 未答出和差评的问题", "/addfaq 问题 | 答案 | 章节 — 添加常见问题",
                  "/reports 报告列表；/remove 编号 移除；/restore 编号 恢复",
                  "/cancel 取消正在进行的操作",
                  "在私聊里发送 .txt、.docx 或 .pdf 文件 — 添加报告（先预览，点「加入」才生效）"]
    await say(update, context, "\n".join(lines), quote=False)
    if admin and user is not None:  # after the reply, which matters more
        await register_admin_menu(context.bot, data, user.id)


async def private_text(update: Update, context: Context) -> None:
    """In a private chat every text is a question."""
    message = update.message
    if message is None:
        return
    if _replies_to_faq_prompt(message, context.bot):
        await say(update, context, html.escape(FAQ_EXPIRED))
        return
    await answer_question(update, context, message.text or "", "private", reply_to=message.message_id)


async def group_text(update: Update, context: Context) -> None:
    """In a group, answer only when mentioned or replied to; stay silent otherwise."""
    message = update.message
    if message is None:
        return
    question = addressed_question(message, context.bot)
    if question is None:
        return
    if _replies_to_faq_prompt(message, context.bot):
        await say(update, context, html.escape(FAQ_EXPIRED))
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
    """/forget: delete this user's questions, feedback, rate-limit state and conversation memory."""
    user, chat = update.effective_user, update.effective_chat
    if user is None:
        return
    data = context.bot_data
    removed = await asyncio.to_thread(data.activity.forget_user, user.id)
    for limiter in (data.limiter, data.inline_limiter):
        limiter.forget(user.id)
    if chat is not None:
        data.conversation.forget((chat.id, user.id))
    await say(update, context, f"已删除您的 {removed} 条提问记录（连同评价和频率限制记录）。")


async def unknown_command(update: Update, context: Context) -> None:
    """An unknown command in a private chat: point to /help."""
    await say(update, context, "没有这个命令。发送 /help 查看可用的命令，或直接发问题给我。")


async def not_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice: the bot reads text only."""
    await say(update, context, "我只能读文字，请用文字提问。")

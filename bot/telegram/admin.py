"""Admin commands (/reload, /stats, /unanswered, /addfaq) and the ➕ FAQ dialogue.

Who is an admin is decided once, by `filters.User` on the handlers (see `app`); `refuse` answers
everyone else. Button presses carry no filter, so the ➕ entry point checks the same id set.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from typing import Any

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.ext import ConversationHandler

from .. import curated
from ..activity import DAY, WEEK
from ..curated import KnowledgeError
from ..knowledge_home import check_faq_addition
from ..matcher import Engine
from ..store import BuildAbandoned
from .context import Context, FaqDraft
from .send import acknowledge, quiet, say, say_once_returned
from .texts import FAQ_EXPIRED, FAQ_PROMPT, REFUSAL, STALE_BUTTON, short

log = logging.getLogger(__name__)

FAQ_ANSWER = 0  # the dialogue's one state: waiting for "答案 | 章节"
FAQ_TIMEOUT = 600  # seconds an admin has to answer an ➕ prompt


async def refuse(update: Update, context: Context) -> None:
    """An admin command from anyone else: a polite refusal, nothing happens."""
    if update.callback_query is not None:
        await acknowledge(update, REFUSAL)
    else:
        await say(update, context, REFUSAL)


async def reload_command(update: Update, context: Context) -> None:
    """/reload: build the knowledge anew beside the old one, then swap; on failure keep the old."""
    await reload_knowledge(update, context)


async def reload_knowledge(update: Update, context: Context, wait: bool = False) -> bool:
    """Build the knowledge home beside the serving store, swap, and reply with what changed.
    False when the knowledge did not build (the old one keeps serving)."""
    data = context.bot_data
    if data.reload_lock.locked() and not wait:
        await say(update, context, "正在重新加载，请稍候。")
        return False
    async with data.reload_lock:
        before = data.engine.counts()
        started = time.monotonic()
        if update.effective_chat is not None:
            await quiet(context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING))
        try:
            # In a thread: questions arriving meanwhile are answered by the old engine.
            new = await asyncio.to_thread(Engine.open, data.settings.knowledge_dir, data.settings.data_dir)
        except KnowledgeError as exc:
            await say(update, context, "❌ 重新加载失败，仍在使用原来的知识库。\n" + html.escape(str(exc)))
            return False
        except BuildAbandoned:  # the bot is stopping; the next start builds again
            log.info("reload abandoned: stopping")
            return False
        except Exception as exc:
            log.exception("reload failed")
            await say(update, context, "❌ 重新加载失败，仍在使用原来的知识库。\n"
                      + html.escape(f"{type(exc).__name__}: {exc}"))
            return False
        data.use(new)
        after = new.counts()
        took = time.monotonic() - started
    names = [("documents", "文档"), ("sections", "章节"), ("facts", "事实"), ("faq", "FAQ")]
    rows = "\n".join(f"{label}：{before.get(key, 0)} → {after.get(key, 0)}" for key, label in names)
    await say(update, context, f"✅ 知识库已重新加载（用时 {took:.1f} 秒）\n{rows}")
    return True


def _stats_line(label: str, stats: Any) -> str:
    if not stats.asked:
        return f"{label}：没有提问"
    return (f"{label}：提问 {stats.asked} 次，答出 {stats.answered}（{stats.answered_rate:.0%}），"
            f"未答出 {stats.declined}（{stats.declined_rate:.0%}）")


async def stats_command(update: Update, context: Context) -> None:
    """/stats: questions, answered and declined rates, the most frequent — last day and week."""
    activity = context.bot_data.activity
    day, week = activity.stats(DAY), activity.stats(WEEK)
    lines = ["<b>提问统计</b>", _stats_line("最近一天", day), _stats_line("最近一周", week),
             f"提问和评价保留 {activity.retention_days} 天后自动删除；用户发送 /forget 可随时删除自己的记录。"]
    if context.bot_data.log_failures:
        lines.append(f"⚠️ 启动以来有 {context.bot_data.log_failures} 个问题已回答但没能记入日志（磁盘满或日志被占用）。")
    if week.top:
        lines += ["", "<b>一周内常问的问题</b>"]
        lines += [f"{n}. {html.escape(short(q, 60))}（{count} 次）" for n, (q, count) in enumerate(week.top, 1)]
    await say(update, context, "\n".join(lines))


async def unanswered_command(update: Update, context: Context) -> None:
    """/unanswered: the latest declined and 👎 questions, newest first, each with a button to make an FAQ."""
    rows = context.bot_data.activity.unanswered(limit=10)
    if not rows:
        await say(update, context, "没有未答出或差评的问题。")
        return
    lines = ["<b>未答出和差评的问题</b>（最新在前；点按钮加为 FAQ）"]
    buttons = []
    for n, row in enumerate(rows, 1):
        when = time.strftime("%m-%d %H:%M", time.localtime(row.at))
        why = "👎" if row.feedback == -1 else "未答出"
        lines.append(f"{n}. {when} · {why} · {html.escape(short(row.question, 80))}")
        buttons.append(InlineKeyboardButton(f"➕ {n}", callback_data=f"uf:{row.id}"))
    keyboard = [buttons[i:i + 5] for i in range(0, len(buttons), 5)]
    await say(update, context, "\n".join(lines), InlineKeyboardMarkup(keyboard))


def _split_fields(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[|｜]", text)]


async def _add_faq(update: Update, context: Context, question: str, answer: str, section: str,
                   source_id: int | None = None) -> None:
    data = context.bot_data
    try:
        # The checks the next build makes, so an entry that would stop a restart is never written.
        check_faq_addition(data.engine, question, answer, section)
        await asyncio.to_thread(curated.append_faq, data.settings.knowledge_dir, question, answer, section)
    except (ValueError, KnowledgeError, OSError) as exc:
        await say(update, context, "❌ 没有添加：" + html.escape(str(exc)))
        return
    if update.effective_user is not None:
        data.activity.record_faq(update.effective_user.id, question, answer, section, source_id)
    await say(update, context, f"✅ 已写入 {curated.FAQ_FILE}：「{html.escape(question)}」。发送 /reload 后生效。")


async def addfaq_command(update: Update, context: Context) -> None:
    """/addfaq 问题 | 答案 | 章节 — write an FAQ entry to the knowledge folder (effective at /reload)."""
    parts = (update.message.text or "").split(maxsplit=1) if update.message else []
    fields = _split_fields(parts[1]) if len(parts) > 1 else []
    if len(fields) not in (2, 3) or not fields[0] or not fields[1]:
        await say(update, context, "用法：/addfaq 问题 | 答案 | 章节\n章节可以省略，例如："
                  "/addfaq 引进了多少合同外资？ | 35亿美元 | 1.1")
        return
    await _add_faq(update, context, fields[0], fields[1], fields[2] if len(fields) == 3 else "")


# --- the ➕ dialogue (a ConversationHandler, wired in `app`) ----------------------------------------

async def faq_button(update: Update, context: Context) -> int:
    """A ➕ button from /unanswered: ask the admin for the answer (admin re-checked on every press)."""
    if not context.bot_data.is_admin(update):
        await refuse(update, context)
        return ConversationHandler.END
    _, log_id = (update.callback_query.data or "").split(":")
    row = context.bot_data.activity.get(int(log_id))
    if row is None:
        await acknowledge(update, STALE_BUTTON)
        return ConversationHandler.END
    await acknowledge(update)
    context.user_data.faq_draft = FaqDraft(row.id, row.question)
    say_once_returned(update, context,
                      f"{FAQ_PROMPT}\n「{html.escape(row.question)}」\n"
                      "请直接回复本消息：答案 | 章节（章节可以省略，例如 1.2）；发送 /cancel 放弃。",
                      ForceReply(selective=True, input_field_placeholder="答案 | 章节"))
    return FAQ_ANSWER


async def faq_reply(update: Update, context: Context) -> int | None:
    """The admin's "答案 | 章节": write the entry, or ask again if it is malformed."""
    draft = context.user_data.faq_draft
    if draft is None or update.message is None:  # the dialogue's data is gone: end it
        await say(update, context, html.escape(FAQ_EXPIRED))
        return ConversationHandler.END
    fields = _split_fields(update.message.text or "")
    if len(fields) > 2 or not fields[0]:
        await say(update, context, "格式是：答案 | 章节（章节可以省略）。请再回复一次，或发送 /cancel 放弃。")
        return None  # stay in the dialogue
    context.user_data.faq_draft = None
    await _add_faq(update, context, draft.question, fields[0], fields[1] if len(fields) == 2 else "", draft.log_id)
    return ConversationHandler.END


async def cancel(update: Update, context: Context) -> int:
    """/cancel: leave the dialogue; nothing is written."""
    context.user_data.faq_draft = None
    await say(update, context, "已取消，没有写入任何内容。")
    return ConversationHandler.END


async def nothing_to_cancel(update: Update, context: Context) -> None:
    """/cancel outside a dialogue."""
    await say(update, context, "没有正在进行的操作。")


async def faq_timed_out(update: object, context: Context) -> None:
    """The admin did not answer in time: say so, so a late reply is not mistaken for a question."""
    context.user_data.faq_draft = None
    if isinstance(update, Update):
        await say(update, context, html.escape(FAQ_EXPIRED), quote=False)

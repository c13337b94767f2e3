"""Buttons: the outline (/sections and its pages), suggestions and feedback under answers, stale ones.

Callback data is short ASCII and never trusted: it names a row or an index and the knowledge
generation it was made for; the handler checks who pressed it and whether it is still current.
"""

from __future__ import annotations

import html
import logging
import math

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from ..matcher import SectionRow
from ..reply import to_html
from .context import BotData, Context
from .questions import answer_question
from .send import acknowledge, say
from .texts import ONLY_ASKER, STALE_BUTTON, STALE_OUTLINE, short

log = logging.getLogger(__name__)

SECTIONS_PER_PAGE = 10
SECTION_PATTERN = r"^s:[0-9a-f]{8}:\d{1,6}$"
PAGE_PATTERN = r"^sp:[0-9a-f]{8}:\d{1,6}$"


def sections_keyboard(data: BotData, page: int) -> tuple[str, InlineKeyboardMarkup]:
    """One page of the top-level sections as buttons, with page turns."""
    top = [(i, s) for i, s in enumerate(data.outline) if len(s.path) == 1]
    pages = max(1, math.ceil(len(top) / SECTIONS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = top[page * SECTIONS_PER_PAGE:(page + 1) * SECTIONS_PER_PAGE]
    rows = [[InlineKeyboardButton(short(s.heading), callback_data=f"s:{data.generation}:{i}")] for i, s in shown]
    turns = []
    if page > 0:
        turns.append(InlineKeyboardButton("⬅️ 上一页", callback_data=f"sp:{data.generation}:{page - 1}"))
    if page < pages - 1:
        turns.append(InlineKeyboardButton("下一页 ➡️", callback_data=f"sp:{data.generation}:{page + 1}"))
    if turns:
        rows.append(turns)
    titles = "、".join(f"《{html.escape(t)}》" for t in data.engine.documents.values())
    text = f"<b>报告目录</b>\n{titles}\n点按钮查看该部分的内容。"
    if pages > 1:
        text += f"（第 {page + 1}/{pages} 页）"
    return text, InlineKeyboardMarkup(rows)


async def sections_command(update: Update, context: Context) -> None:
    """/sections: the outline as buttons."""
    text, markup = sections_keyboard(context.bot_data, 0)
    await say(update, context, text, markup, quote=False)


def _current(data: BotData, generation: str) -> bool:
    return generation == data.generation


def _outline_entry(data: BotData, callback_data: str) -> tuple[int, SectionRow] | None:
    """The outline index in a section button, if the button is from the current knowledge."""
    _, generation, index = callback_data.split(":")
    if not _current(data, generation) or int(index) >= len(data.outline):
        return None
    return int(index), data.outline[int(index)]


async def section_button(update: Update, context: Context) -> None:
    """A section button: show the section, with its parts as further buttons."""
    data = context.bot_data
    entry = _outline_entry(data, update.callback_query.data or "")
    if entry is None:
        await acknowledge(update, STALE_OUTLINE)
        return
    await acknowledge(update)
    _, section = entry
    answer = data.engine.show_section(section.doc, tuple(section.path))
    depth = len(section.path)
    children = [[InlineKeyboardButton(short(s.heading), callback_data=f"s:{data.generation}:{i}")]
                for i, s in enumerate(data.outline) if s.doc == section.doc and len(s.path) == depth + 1
                and tuple(s.path[:depth]) == tuple(section.path)]
    await say(update, context, to_html(answer), InlineKeyboardMarkup(children) if children else None)


async def sections_page_button(update: Update, context: Context) -> None:
    """Turn a page of the outline."""
    query = update.callback_query
    _, generation, page = (query.data or "").split(":")
    if not _current(context.bot_data, generation) or query.message is None:
        await acknowledge(update, STALE_OUTLINE)
        return
    await acknowledge(update)
    text, markup = sections_keyboard(context.bot_data, int(page))
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:  # pressed twice: "message is not modified"
        log.debug("page turn: %s", exc.message)


async def suggestion_button(update: Update, context: Context) -> None:
    """A "你可能想问" button: answer that question here."""
    activity = context.bot_data.activity
    _, log_id, index = (update.callback_query.data or "").split(":")
    row = activity.get(int(log_id))
    chat = update.effective_chat
    # The button must belong to this chat's log row: data copied from elsewhere reveals nothing.
    if row is None or chat is None or row.chat_hash != activity.chat_hash(chat.id) \
            or int(index) >= len(row.suggestions):
        await acknowledge(update, STALE_BUTTON)
        return
    await acknowledge(update)
    await answer_question(update, context, row.suggestions[int(index)], "button")


async def feedback_button(update: Update, context: Context) -> None:
    """👍/👎 under an answer: recorded for the asker only."""
    _, log_id, value = (update.callback_query.data or "").split(":")
    user = update.effective_user
    if user is None or not context.bot_data.activity.set_feedback(int(log_id), user.id, 1 if value == "1" else -1):
        await acknowledge(update, ONLY_ASKER)
        return
    await acknowledge(update, "谢谢反馈！" if value == "1" else "谢谢反馈，我们会改进这个回答。")


async def stale_button(update: Update, context: Context) -> None:
    """Any other button: data we do not know (old, or forged)."""
    await acknowledge(update, STALE_BUTTON)

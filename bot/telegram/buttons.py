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
REPORTS_PER_PAGE = 10
MAX_CHILD_BUTTONS = 30  # a part with 150 points must still fit Telegram's reply-markup limit
SECTION_PATTERN = r"^s:[0-9a-f]{8}:\d{1,6}$"
PAGE_PATTERN = r"^sp:[0-9a-f]{8}:\d{1,5}:\d{1,6}$"  # generation, report, page
REPORT_PATTERN = r"^sr:[0-9a-f]{8}:\d{1,5}$"  # generation, report
REPORTS_PAGE_PATTERN = r"^sd:[0-9a-f]{8}:\d{1,6}$"  # generation, page of the report list


def _page_turns(prefix: str, page: int, pages: int) -> list[InlineKeyboardButton]:
    turns = []
    if page > 0:
        turns.append(InlineKeyboardButton("⬅️ 上一页", callback_data=f"{prefix}:{page - 1}"))
    if page < pages - 1:
        turns.append(InlineKeyboardButton("下一页 ➡️", callback_data=f"{prefix}:{page + 1}"))
    return turns


def _paged(items: list, page: int, per_page: int) -> tuple[list, int, int]:
    pages = max(1, math.ceil(len(items) / per_page))
    page = min(max(page, 0), pages - 1)
    return items[page * per_page:(page + 1) * per_page], page, pages


def reports_keyboard(data: BotData, page: int) -> tuple[str, InlineKeyboardMarkup]:
    """Several reports: which one's outline to show, a page of report buttons at a time."""
    docs = list(data.engine.documents.items())
    shown, page, pages = _paged(list(enumerate(docs)), page, REPORTS_PER_PAGE)
    rows = [[InlineKeyboardButton(short(title), callback_data=f"sr:{data.generation}:{i}")]
            for i, (_doc, title) in shown]
    if turns := _page_turns(f"sd:{data.generation}", page, pages):
        rows.append(turns)
    text = f"<b>报告目录</b>\n共 {len(docs)} 份报告，请选择一份查看目录。"
    if pages > 1:
        text += f"（第 {page + 1}/{pages} 页）"
    return text, InlineKeyboardMarkup(rows)


def sections_keyboard(data: BotData, report: int, page: int) -> tuple[str, InlineKeyboardMarkup]:
    """One page of one report's top-level sections as buttons, with page turns."""
    docs = list(data.engine.documents)
    doc = docs[min(max(report, 0), len(docs) - 1)]
    top = [(i, s) for i, s in enumerate(data.outline) if s.doc == doc and len(s.path) == 1]
    shown, page, pages = _paged(top, page, SECTIONS_PER_PAGE)
    rows = [[InlineKeyboardButton(short(s.heading), callback_data=f"s:{data.generation}:{i}")] for i, s in shown]
    if turns := _page_turns(f"sp:{data.generation}:{docs.index(doc)}", page, pages):
        rows.append(turns)
    if len(docs) > 1:
        rows.append([InlineKeyboardButton("📚 全部报告", callback_data=f"sd:{data.generation}:0")])
    text = f"<b>报告目录</b>\n《{html.escape(data.engine.documents[doc])}》\n点按钮查看该部分的内容。"
    if pages > 1:
        text += f"（第 {page + 1}/{pages} 页）"
    return text, InlineKeyboardMarkup(rows)


async def sections_command(update: Update, context: Context) -> None:
    """/sections: the outline as buttons; with several reports, first which report."""
    data = context.bot_data
    several = len(data.engine.documents) > 1
    text, markup = reports_keyboard(data, 0) if several else sections_keyboard(data, 0, 0)
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
    # The summary above already names every point; buttons for the first ones keep the markup small.
    buttons = children[:MAX_CHILD_BUTTONS]
    await say(update, context, to_html(answer), InlineKeyboardMarkup(buttons) if buttons else None)


async def sections_page_button(update: Update, context: Context) -> None:
    """Turn a page of a report's outline (sp), pick a report (sr), or turn the report list (sd)."""
    query = update.callback_query
    kind, generation, *numbers = (query.data or "").split(":")
    data = context.bot_data
    if not _current(data, generation) or query.message is None:
        await acknowledge(update, STALE_OUTLINE)
        return
    await acknowledge(update)
    if kind == "sd":
        text, markup = reports_keyboard(data, int(numbers[0]))
    else:
        text, markup = sections_keyboard(data, int(numbers[0]), int(numbers[1]) if len(numbers) > 1 else 0)
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

"""Admin commands over the reports in the knowledge home: /reports, /remove ID (with a confirming
button), /restore ID. The file work is `knowledge_home`'s; a change that does not build is undone."""

from __future__ import annotations

import asyncio
import hashlib
import html
from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from ..curated import AdminError
from ..knowledge_home import find_report, list_reports, remove_report, restore_report
from .admin import reload_knowledge
from .context import Context
from .send import acknowledge, quiet, say

REMOVE_PATTERN = r"^rm:[0-9a-f]{12}$"
MAX_LISTED = 50  # reports listed in one message; the rest are counted


def _token(report_id: str) -> str:
    """Callback data fits 64 bytes whatever the id (a Chinese file name takes 3 bytes a character)."""
    return hashlib.sha256(report_id.encode()).hexdigest()[:12]


def _argument(update: Update) -> str:
    parts = (update.message.text or "").split(maxsplit=1) if update.message else []
    return parts[1].strip() if len(parts) > 1 else ""


async def reports_command(update: Update, context: Context) -> None:
    """/reports: id, title, statements, and when and by whom each report was added."""
    engine = context.bot_data.engine
    reports = await asyncio.to_thread(list_reports, context.bot_data.settings.knowledge_dir)
    lines = [f"<b>报告（{len(reports)} 份）</b>"]
    for r in reports[:MAX_LISTED]:
        title = engine.documents.get(r.id, "（未加载）")
        added = f"，{r.added_at} 由 {r.added_by} 加入" if r.added_at else ""
        lines.append(f"• <code>{html.escape(r.id)}</code> 《{html.escape(title)}》"
                     f" {engine.doc_facts.get(r.id, 0)} 条{html.escape(added)}")
    if len(reports) > MAX_LISTED:
        lines.append(f"……另有 {len(reports) - MAX_LISTED} 份")
    lines.append("移除：/remove 编号；恢复：/restore 编号")
    await say(update, context, "\n".join(lines))


async def remove_command(update: Update, context: Context) -> None:
    """/remove ID: ask for confirmation with a button; nothing moves before it is pressed."""
    report_id = _argument(update)
    if not report_id:
        await say(update, context, "用法：/remove 编号（发送 /reports 查看编号）")
        return
    try:
        report = find_report(context.bot_data.settings.knowledge_dir, report_id)
    except AdminError as exc:
        await say(update, context, html.escape(str(exc)))
        return
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("确认移除", callback_data=f"rm:{_token(report.id)}")]])
    title = context.bot_data.engine.documents.get(report.id, report.path.name)
    await say(update, context, f"要移除《{html.escape(title)}》（{html.escape(report.path.name)}）吗？"
              "移除后可以用 /restore 恢复。", keyboard)


async def remove_button(update: Update, context: Context) -> None:
    """确认移除: move the report aside and reload; if the rest does not build, put it back."""
    query = update.callback_query
    if query is None or not context.bot_data.is_admin(update):
        await acknowledge(update, "抱歉，只有管理员可以移除报告。")
        return
    await acknowledge(update)
    await quiet(query.edit_message_reply_markup(None))  # pressed once is enough
    home = context.bot_data.settings.knowledge_dir
    token = (query.data or "")[3:]
    matching = [r for r in await asyncio.to_thread(list_reports, home) if _token(r.id) == token]
    if not matching:
        await say(update, context, "这份报告已经不在了。发送 /reports 查看。")
        return
    report_id = matching[0].id
    await _change(update, context, lambda: remove_report(home, report_id), lambda: restore_report(home, report_id),
                  f"已移除 {report_id}，可用 /restore {report_id} 恢复。")


async def restore_command(update: Update, context: Context) -> None:
    """/restore ID: bring back the most recently removed report of that id and reload."""
    report_id = _argument(update)
    if not report_id:
        await say(update, context, "用法：/restore 编号")
        return
    home = context.bot_data.settings.knowledge_dir
    await _change(update, context, lambda: restore_report(home, report_id), lambda: remove_report(home, report_id),
                  f"已恢复 {report_id}。")


async def _change(update: Update, context: Context, do: Callable[[], object], undo: Callable[[], object],
                  done: str) -> None:
    try:
        await asyncio.to_thread(do)
    except (AdminError, OSError) as exc:
        await say(update, context, "❌ " + html.escape(str(exc)))
        return
    if await reload_knowledge(update, context, wait=True):
        await say(update, context, html.escape(done))
    else:  # the old knowledge still serves; the files go back to match it
        await asyncio.to_thread(undo)
        await say(update, context, "已撤销这次改动。")

"""An admin adds a report by sending it in a private chat: checked, built beside the serving
knowledge, previewed, and added only when the admin presses 加入 (a ConversationHandler, wired in `app`).

Nothing is downloaded before the sender is known to be an admin and the size is within what bots
may download; the knowledge home changes only on 加入, and a replaced report is kept aside.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import secrets
import shutil
from collections import Counter
from pathlib import Path

from telegram import Document, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import ConversationHandler

from .. import store
from ..curated import AdminError, KnowledgeError
from ..knowledge_home import add_report, list_reports, report_name
from ..matcher import Engine
from .admin import reload_knowledge
from .context import Context, UploadDraft
from .send import acknowledge, quiet, say, say_once_returned

log = logging.getLogger(__name__)

CONFIRM = 1  # the dialogue's one state: the preview is shown, waiting for 加入 or 取消
UPLOAD_TIMEOUT = 600  # seconds the preview waits for an answer
MAX_DOWNLOAD = 20 * 1024 * 1024  # Telegram lets bots download at most 20 MB
LEVELS = "一二三四五六"
STAGING = "uploads"  # under BOT_DATA_DIR: one folder per report waiting for 加入


def _staging_dir(context: Context) -> Path:
    return context.bot_data.settings.data_dir / STAGING / secrets.token_hex(8)


def _discard(draft: UploadDraft | None) -> None:
    if draft is not None:
        shutil.rmtree(draft.staging, ignore_errors=True)


def _same_report(folder: Path, stem: str) -> list[Path]:
    """Reports in the knowledge folder with this id (the id is the file name without its suffix)."""
    return [r.path for r in list_reports(folder) if r.id == stem]


def _link_or_copy(source: str, target: str) -> None:
    """A hard link where the file system allows (a large archive is staged in no time), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _stage(home: Path, staging: Path, name: str) -> tuple[Path, list[Path]]:
    """A copy of the knowledge home without the report this file would replace; where the file goes."""
    knowledge = staging / "knowledge"
    # Symlinks stay symlinks, so the build judges them as it does in the home.
    shutil.copytree(home, knowledge, symlinks=True, copy_function=_link_or_copy)
    replaced = _same_report(home, Path(name).stem)
    for old in _same_report(knowledge, Path(name).stem):
        old.unlink()
    return knowledge / name, replaced


def preview(engine: Engine, doc: str, name: str, size: int, replaced: list[Path]) -> str:
    """What the report would add: title, sections per level, statements, and what to watch."""
    levels = Counter(len(path) for d, path in engine.sections if d == doc and path != (0,))
    level_text = "，".join(f"{LEVELS[n - 1] if n <= len(LEVELS) else n}级 {count} 个"
                           for n, count in sorted(levels.items())) or "没有"
    found = next((r for r in store.summary(engine.store_file) if r.doc == doc), None)
    lines = [f"<b>预览：《{html.escape(engine.documents[doc])}》</b>",
             f"文件：{html.escape(name)}（{max(1, size // 1024)} KB）"]
    if found and (found.year or found.issuer):
        lines.append("年份和发文单位：" + html.escape(" ".join(str(x) for x in (found.year, found.issuer) if x)))
    lines += [
             f"章节：{level_text}",
             f"事实：{engine.doc_facts.get(doc, 0)} 条"]
    warnings = [html.escape(w) for w in (found.warnings if found else [])]
    if not levels:
        warnings.append("没有识别出章节编号：这份报告将作为一个整体回答。")
    if replaced:
        warnings.append("将替换现有的同名报告（" + "、".join(html.escape(p.name) for p in replaced)
                        + "）；原文件移到回收站，可用 /restore 恢复。")
    lines += [f"⚠️ {w}" for w in warnings]
    lines += ["", "点「加入」把它加入知识库，或「取消」。"]
    return "\n".join(lines)


async def _build_staged(update: Update, context: Context, document: Document, draft: UploadDraft) -> Engine | None:
    """Download the file into a copy of the knowledge home and build it; on failure say why, return None."""
    settings = context.bot_data.settings
    knowledge = draft.staging / "knowledge"
    try:
        target, draft.replaced = await asyncio.to_thread(_stage, settings.knowledge_dir, draft.staging, draft.file_name)
        file = await document.get_file()
        await file.download_to_drive(target)
        engine = await asyncio.to_thread(Engine.open, knowledge, settings.data_dir)
    except TelegramError as exc:
        await say(update, context, "❌ 下载失败：" + html.escape(exc.message) + "。知识库没有改变。")
        return None
    except KnowledgeError as exc:
        reason = str(exc).replace(f"{knowledge}{os.sep}", "")  # the admin knows the file, not our staging folder
        await say(update, context, "❌ 这个文件不能加入，知识库没有改变：\n" + html.escape(reason))
        return None
    except Exception as exc:  # a file no reader copes with must not end the dialogue in a traceback
        log.exception("an uploaded report could not be built")
        await say(update, context, "❌ 这个文件不能加入，知识库没有改变：" + html.escape(type(exc).__name__))
        return None
    if draft.doc not in engine.documents:
        await say(update, context, "❌ 没有从这个文件里读出报告内容，知识库没有改变。")
        return None
    return engine


async def received(update: Update, context: Context) -> int:
    """An admin's document: size first, then download, build beside the serving knowledge, preview."""
    document = update.message.document if update.message else None
    if document is None:
        return ConversationHandler.END
    try:
        name = report_name(Path(document.file_name or "").name)
    except AdminError as exc:
        await say(update, context, html.escape(str(exc)))
        return ConversationHandler.END
    if (document.file_size or 0) > MAX_DOWNLOAD:
        await say(update, context, f"文件太大（{document.file_size // (1024 * 1024)} MB）："
                  "Telegram 只允许机器人下载 20 MB 以内的文件。")
        return ConversationHandler.END
    _discard(context.user_data.upload)  # a second document replaces an unanswered preview
    context.user_data.upload = None
    draft = UploadDraft(_staging_dir(context), name, Path(name).stem, [])
    engine = await _build_staged(update, context, document, draft)
    if engine is None:
        _discard(draft)
        return ConversationHandler.END
    confirm = "替换" if draft.replaced else "加入"
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(confirm, callback_data="up:yes"),
                                      InlineKeyboardButton("取消", callback_data="up:no")]])
    context.user_data.upload = draft
    size = (draft.staging / "knowledge" / name).stat().st_size
    say_once_returned(update, context, preview(engine, draft.doc, name, size, draft.replaced), keyboard)
    return CONFIRM


def _add(draft: UploadDraft, home: Path, by: str) -> None:
    """Put the staged report into the knowledge home; what it replaces goes to `.removed/` (/restore)."""
    data = (draft.staging / "knowledge" / draft.file_name).read_bytes()
    add_report(home, draft.file_name, data, by=by, replace=True)


async def confirm(update: Update, context: Context) -> int:
    """加入 (or 替换): save the report into the knowledge home and serve it."""
    await acknowledge(update)
    draft, context.user_data.upload = context.user_data.upload, None
    if draft is None:
        return ConversationHandler.END
    if update.callback_query is not None:
        await quiet(update.callback_query.edit_message_reply_markup(None))  # pressed once is enough
    settings = context.bot_data.settings
    try:
        by = str(update.effective_user.id) if update.effective_user else ""
        await asyncio.to_thread(_add, draft, settings.knowledge_dir, by)
    except (OSError, AdminError) as exc:
        await say(update, context, "❌ 没有保存：" + html.escape(str(exc)))
        return ConversationHandler.END
    finally:
        _discard(draft)
    await reload_knowledge(update, context, wait=True)  # a reload already running must not skip this report
    return ConversationHandler.END


async def cancel(update: Update, context: Context) -> int:
    """取消 or /cancel: forget the preview; the knowledge is unchanged."""
    await acknowledge(update)
    if update.callback_query is not None:
        await quiet(update.callback_query.edit_message_reply_markup(None))
    _discard(context.user_data.upload)
    context.user_data.upload = None
    await say(update, context, "已取消，知识库没有改变。")
    return ConversationHandler.END


async def timed_out(update: object, context: Context) -> None:
    """No answer to the preview in time: forget it."""
    _discard(context.user_data.upload)
    context.user_data.upload = None


async def refuse_document(update: Update, context: Context) -> None:
    """A document from anyone but an admin: refused, nothing downloaded."""
    await say(update, context, "抱歉，只有管理员可以发送报告文件。提问请直接发文字。")

"""The typed context every handler gets: long-lived services in a dataclass instead of string keys."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from telegram import Update
from telegram.ext import CallbackContext, ContextTypes, ExtBot, filters

from ..activity import ActivityLog, RateLimiter
from ..config import Settings
from ..conversation import Conversation
from ..matcher import Engine, SectionRow

log = logging.getLogger(__name__)


@dataclass
class BotData:
    """What the whole bot shares. Fields without a default are set by `build_application` and `post_init`."""

    settings: Settings = field(init=False)
    admins: filters.User = field(init=False)  # the one admin check: handlers' filters and `is_admin` read it
    engine: Engine = field(init=False)
    activity: ActivityLog = field(init=False)
    limiter: RateLimiter = field(init=False)
    inline_limiter: RateLimiter = field(init=False)
    reload_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    outline: list[SectionRow] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    generation: str = ""  # of the knowledge the outline buttons point into
    admin_menus: set[int] = field(default_factory=set)
    conversation: Conversation = field(default_factory=Conversation)  # follow-ups and small talk, per chat and user
    log_failures: int = 0  # questions answered but not logged (a full disk, a locked log), shown in /stats
    startup_warning: str | None = None  # the knowledge did not build at start: the last good store serves

    def use(self, engine: Engine) -> None:
        """Serve from `engine`; what is cached from the knowledge, and the button generation, follow it."""
        self.engine = engine
        self.generation = generation_of(engine)
        self.outline = list(engine.outline())
        self.examples = self.conversation.examples(engine)

    def is_admin(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and user.id in self.admins.user_ids


@dataclass
class FaqDraft:
    """An admin's FAQ entry in the making: the question waits for its answer."""

    log_id: int
    question: str


@dataclass
class UploadDraft:
    """A report an admin sent, built in its own folder, waiting for 加入 or 取消."""

    staging: Path
    file_name: str
    doc: str
    replaced: list[Path]  # reports in the knowledge home with the same id


@dataclass
class UserData:
    """What the bot keeps per user (in memory only)."""

    faq_draft: FaqDraft | None = None
    upload: UploadDraft | None = None


Context = CallbackContext[ExtBot[None], UserData, dict, BotData]
CONTEXT_TYPES = ContextTypes(context=CallbackContext, bot_data=BotData, user_data=UserData)


def generation_of(engine: Engine) -> str:
    """8 hex digits naming the knowledge: the store is named by its content digest, so buttons made
    before a restart still work when the knowledge is the same, and are stale when it changed."""
    return hashlib.sha256(engine.store_file.name.encode()).hexdigest()[:8]

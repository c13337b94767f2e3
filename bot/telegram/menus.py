"""The command menus Telegram shows: users' commands everywhere, admins' own in their private chats."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import BadRequest

from .context import BotData
from .texts import ADMIN_COMMANDS, USER_COMMANDS

log = logging.getLogger(__name__)


async def register_commands(bot: Bot, data: BotData) -> None:
    """Set the users' menu in every scope, and each admin's where Telegram already knows the chat."""
    user = [BotCommand(c, d) for c, d in USER_COMMANDS]
    await bot.set_my_commands(user)
    await bot.set_my_commands(user, scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(user, scope=BotCommandScopeAllGroupChats())
    for admin_id in sorted(data.admins.user_ids):
        await register_admin_menu(bot, data, admin_id)


async def register_admin_menu(bot: Bot, data: BotData, admin_id: int) -> None:
    """Show an admin their commands; Telegram knows the chat only once they have talked to the bot."""
    if admin_id in data.admin_menus:
        return
    commands = [BotCommand(c, d) for c, d in USER_COMMANDS + ADMIN_COMMANDS]
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(admin_id))
    except BadRequest as exc:
        log.info("an admin's menu is not set yet (%s); it will be when that admin sends /start", exc.message)
        return
    data.admin_menus.add(admin_id)

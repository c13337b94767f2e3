"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests of the Telegram channel.

It speaks the real wire format (form-encoded requests, `{"ok": ..., "result": ...}` answers, the
HTTP status codes python-telegram-bot maps to its exceptions) and rejects what Telegram rejects:
malformed HTML under parse_mode=HTML, text over 4096 characters, empty text, callback data over
64 bytes, answering a callback or inline query twice, writing to a chat the bot has never seen.
On a lone "&" that starts no entity it is stricter than Telegram, which is harmless for a bot that
escapes everything.

Tests play the users (`send_text`, `press`, `inline_query`; `send_raw` for malformed updates), read
what the bot sent (`calls`, `wait_for`) and inject faults (`inject`: 429 with retry_after, 500, slow answers, dropped
connections). The server runs in its own thread, so it keeps answering while the test's event
loop is busy; the waiting helpers are async so they never block that loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200
MAX_INLINE_RESULTS = 50
MAX_DOWNLOAD = 20 * 1024 * 1024  # the cloud Bot API lets bots download at most 20 MB

# Form fields that carry JSON; everything else is a raw string (so a reply text "2024" stays text).
STRUCTURED = {
    "reply_markup", "entities", "reply_parameters", "link_preview_options", "results", "commands",
    "allowed_updates", "scope", "caption_entities", "button", "menu_button",
}
NUMBERS = {"timeout"}
INTEGERS = {"message_id", "offset", "limit", "cache_time", "user_id", "reply_to_message_id",
            "message_thread_id", "max_connections"}
BOOLEANS = {"is_personal", "show_alert", "drop_pending_updates", "disable_notification", "protect_content",
            "allow_sending_without_reply", "disable_web_page_preview"}

COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
                "upload_document", "choose_sticker", "find_location", "record_video_note",
                "upload_video_note"}
DEFAULT_UPDATE_TYPES = {"message", "edited_message", "channel_post", "edited_channel_post",
                        "inline_query", "chosen_inline_result", "callback_query", "shipping_query",
                        "pre_checkout_query", "poll", "poll_answer", "my_chat_member", "chat_join_request",
                        "business_connection", "business_message", "edited_business_message",
                        "deleted_business_messages", "purchased_paid_media"}


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional parameters."""

    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts entity offsets in."""
    return len(text.encode("utf-16-le")) // 2


# --- Telegram HTML --------------------------------------------------------------------------------

ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span",
                "tg-spoiler", "blockquote", "tg-emoji"}
ENTITY_TYPE = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
               "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
               "a": "text_link", "code": "code", "pre": "pre", "span": "spoiler", "tg-spoiler": "spoiler",
               "blockquote": "blockquote", "tg-emoji": "custom_emoji"}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>")
ATTR_RE = re.compile(r"""([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


def parse_html(source: str) -> tuple[str, list[dict]]:
    """Parse Telegram HTML into plain text and message entities, or raise "can't parse entities"."""

    def fail(reason: str, pos: int) -> ApiError:
        offset = len(source[:pos].encode("utf-8"))
        return bad_request(f"can't parse entities: {reason} at byte offset {offset}")

    text: list[str] = []
    length = 0  # UTF-16 length of the text so far
    stack: list[tuple[str, int, dict]] = []
    entities: list[dict] = []
    pos = 0
    while pos < len(source):
        ch = source[pos]
        if ch == "&":
            m = ENTITY_RE.match(source, pos)
            if not m:
                raise fail("Unsupported HTML entity; escape a lone '&' as &amp;", pos)
            if m.group(1):
                char = NAMED_ENTITIES[m.group(1)]
            else:
                code = int(m.group(2)) if m.group(2) else int(m.group(3), 16)
                if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    raise fail("Invalid numeric HTML entity", pos)
                char = chr(code)
            text.append(char)
            length += utf16_len(char)
            pos = m.end()
        elif ch == "<":
            m = TAG_RE.match(source, pos)
            if not m:
                raise fail("Unexpected '<'; escape it as &lt;", pos)
            closing, name, attrs, self_closing = m.group(1), m.group(2).lower(), m.group(3), m.group(4)
            if name not in ALLOWED_TAGS:
                raise fail(f'Unsupported start tag "{name}"', pos)
            if closing:
                if not stack:
                    raise fail(f'Unexpected end tag "{name}"', pos)
                open_name, start, entity = stack.pop()
                if open_name != name:
                    raise fail(f'Unmatched end tag, expected "</{open_name}>", found "</{name}>"', pos)
                entity["offset"], entity["length"] = start, length - start
                if entity["length"] > 0:
                    entities.append(entity)
            else:
                if self_closing:
                    raise fail(f'Unsupported self-closing tag "{name}"', pos)
                entity = _tag_entity(name, dict(_attributes(attrs)), lambda reason, p=pos: fail(reason, p))
                stack.append((name, length, entity))
            pos = m.end()
        else:
            text.append(ch)
            length += utf16_len(ch)
            pos += 1
    if stack:
        raise bad_request("can't parse entities: Can't find end tag corresponding to start tag "
                          f'"{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(text), entities


def _attributes(raw: str):
    for m in ATTR_RE.finditer(raw):
        yield m.group(1).lower(), next((g for g in m.groups()[1:] if g is not None), "")


def _tag_entity(name: str, attrs: dict[str, str], fail: Callable[[str], ApiError]) -> dict:
    entity: dict[str, Any] = {"type": ENTITY_TYPE[name]}
    if name == "a":
        href = attrs.get("href", "")
        if not re.match(r"^(https?://|tg://|mailto:)", href):
            raise fail('Tag "a" needs an href starting with http://, https:// or tg://')
        entity["url"] = href
    elif name == "span" and attrs.get("class") != "tg-spoiler":
        raise fail('Tag "span" must have class "tg-spoiler"')
    elif name == "tg-emoji":
        if not attrs.get("emoji-id", "").isdigit():
            raise fail('Tag "tg-emoji" must have a numeric "emoji-id"')
        entity["custom_emoji_id"] = attrs["emoji-id"]
    elif name == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif name == "code" and attrs.get("class", "").startswith("language-"):
        entity["language"] = attrs["class"][len("language-"):]
    return entity


def check_text(raw: Any, parse_mode: Any, field_name: str = "message text") -> tuple[str, list[dict]]:
    """Validate a message text as Telegram does and return (plain text, entities)."""
    if raw is None or raw == "":
        raise bad_request(f"{field_name} is empty")
    if not isinstance(raw, str):
        raw = json.dumps(raw)
    mode = (parse_mode or "").lower()
    if mode == "html":
        text, entities = parse_html(raw)
    elif mode in ("", "none"):
        text, entities = raw, []
    else:
        raise bad_request(f"unsupported parse_mode {parse_mode!r} in this fake")
    if not text.strip():
        raise bad_request(f"{field_name} is empty")
    if utf16_len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text, entities


def check_reply_markup(markup: Any) -> dict | None:
    """Validate an inline keyboard / force reply as Telegram does."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('field "inline_keyboard" must be an Array of Arrays')
        buttons = [b for row in rows for b in row]
        if len(buttons) > 100:
            raise bad_request("reply markup is too long")
        for button in buttons:
            if not str(button.get("text", "")).strip():
                raise bad_request("text buttons are unallowed in the inline keyboard")
            actions = [k for k in button if k != "text"]
            if len(actions) != 1:
                raise bad_request("an inline keyboard button needs a text and exactly one action")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"^(https?|tg)://", str(button["url"])):
                raise bad_request("BUTTON_URL_INVALID")
    elif not ({"force_reply", "remove_keyboard", "keyboard"} & markup.keys()):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


# --- the server ------------------------------------------------------------------------------------

@dataclass
class Call:
    """One request the bot made, with what the fake answered."""

    method: str
    params: dict
    ok: bool = True
    result: Any = None
    error: str | None = None
    fault: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    """A fault to inject into the next matching request(s)."""

    method: str  # a Bot API method name, or "*" for any except getUpdates
    kind: str  # "429", "500", "slow", "drop", "timeout"
    times: int = 1
    retry_after: int = 1
    delay: float = 0.5
    processed: bool = False  # for "drop": whether Telegram had already done the work


class FakeBotAPI:
    """The fake server. Use as a context manager or call start()/stop()."""

    def __init__(self, token: str = "123456:TEST-token_for-the-fake", username: str = "qiaowu_test_bot",
                 bot_id: int = 123456):
        self.token = token
        self.bot_user = {"id": bot_id, "is_bot": True, "first_name": "侨务问答", "username": username,
                         "can_join_groups": True, "can_read_all_group_messages": False,
                         "supports_inline_queries": True}
        self.cond = threading.Condition()
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.updates: list[dict] = []
        self.chats: dict[int, dict] = {}
        self.messages: dict[tuple[int, int], dict] = {}
        self.callback_queries: dict[str, dict] = {}
        self.inline_queries: dict[str, dict] = {}
        self.commands: dict[str, list[dict]] = {}
        self.webhook_url = ""
        self.allowed_updates: set[str] = set(DEFAULT_UPDATE_TYPES)
        self.blocked_users: set[int] = set()
        self.confirmed_offset = 0
        self.fetched_up_to = 0
        self.unhandled_errors: list[str] = []
        self.files: dict[str, bytes] = {}  # file_id → content, for getFile and the download
        self.downloads: list[str] = []  # file paths fetched from the file endpoint
        self._update_ids = itertools.count(1000)
        self._message_ids: dict[int, itertools.count] = {}
        self._query_ids = itertools.count(7_000_000)
        self._poll_generation = 0
        self._stopping = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ------------------------------------------------------------------------------------

    def start(self) -> FakeBotAPI:
        fake = self

        class Handler(_Handler):
            api = fake

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-bot-api",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self.cond:
            self._stopping = True
            self.cond.notify_all()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server, "start() the fake first"
        return self._server.server_address[1]

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def base_url(self) -> str:
        """python-telegram-bot's base_url: the token and method are appended to it."""
        return f"http://127.0.0.1:{self.port}/bot"

    # playing the users ----------------------------------------------------------------------------

    def user(self, user_id: int, first_name: str | None = None) -> dict:
        return {"id": user_id, "is_bot": False, "first_name": first_name or f"用户{user_id}",
                "language_code": "zh-hans"}

    def private_chat(self, user_id: int) -> dict:
        return self._chat({"id": user_id, "type": "private", "first_name": f"用户{user_id}"})

    def group_chat(self, chat_id: int = -100_200_300, title: str = "侨务交流群") -> dict:
        kind = "supergroup" if chat_id < -10**12 else "group"
        return self._chat({"id": chat_id, "type": kind, "title": title})

    def _chat(self, chat: dict) -> dict:
        with self.cond:
            return self.chats.setdefault(chat["id"], chat)

    def send_text(self, user_id: int, text: str, chat: dict | None = None, *, reply_to: dict | None = None,
                  forwarded_from: int | None = None, entities: list[dict] | None = None) -> dict:
        """A user writes `text` (private chat unless `chat` is given); returns the message."""
        chat = chat or self.private_chat(user_id)
        message = {"message_id": self._next_message_id(chat["id"]), "from": self.user(user_id),
                   "chat": chat, "date": int(time.time()), "text": text}
        ents = self._auto_entities(text) if entities is None else entities
        if ents:
            message["entities"] = ents
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if forwarded_from is not None:
            message["forward_origin"] = {"type": "user", "date": int(time.time()) - 60,
                                         "sender_user": self.user(forwarded_from)}
        with self.cond:
            self.messages[(chat["id"], message["message_id"])] = message
        self._push("message", message)
        return message

    def edit_text(self, message: dict, text: str) -> dict:
        """The user edits an earlier message."""
        edited = dict(message, text=text, edit_date=int(time.time()))
        ents = self._auto_entities(text)
        edited.pop("entities", None)
        if ents:
            edited["entities"] = ents
        self._push("edited_message", edited)
        return edited

    def press(self, user_id: int, message: dict, data: str, *, forge: bool = False) -> str:
        """A user presses a button of a bot message; `forge` sends data the keyboard does not have."""
        with self.cond:
            current = self.messages.get((message["chat"]["id"], message["message_id"]), message)
        if not forge:
            buttons = [b.get("callback_data") for row in
                       (current.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
            if data not in buttons:
                raise AssertionError(f"no button with data {data!r} on that message: {buttons}")
        query_id = str(next(self._query_ids))
        with self.cond:
            self.callback_queries[query_id] = {"answered": False, "at": time.monotonic()}
        self._push("callback_query", {"id": query_id, "from": self.user(user_id), "message": current,
                                      "chat_instance": str(abs(current["chat"]["id"])), "data": data})
        return query_id

    def inline_query(self, user_id: int, query: str) -> str:
        """A user types `@bot query` in some chat; returns the inline query id."""
        query_id = str(next(self._query_ids))
        with self.cond:
            self.inline_queries[query_id] = {"answered": False, "at": time.monotonic()}
        self._push("inline_query", {"id": query_id, "from": self.user(user_id), "query": query,
                                    "offset": "", "chat_type": "sender"})
        return query_id

    def send_document(self, user_id: int, file_name: str, content: bytes, mime_type: str = "text/plain",
                      *, size: int | None = None) -> dict:
        """A user sends a file in their private chat; `size` overrides the reported file_size."""
        file_id = f"doc-{next(self._query_ids)}"
        with self.cond:
            self.files[file_id] = content
        document = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": file_name,
                    "mime_type": mime_type, "file_size": len(content) if size is None else size}
        message = self.message_with(user_id, document=document)
        with self.cond:
            self.messages[(message["chat"]["id"], message["message_id"])] = message
        self._push("message", message)
        return message

    def send_raw(self, kind: str, payload: dict) -> int:
        """Queue an update exactly as given, even one python-telegram-bot cannot parse; returns its id."""
        return self._push(kind, payload)

    def message_with(self, user_id: int, **fields: Any) -> dict:
        """A message from `user_id` in their private chat with arbitrary fields (for `send_raw`)."""
        chat = self.private_chat(user_id)
        return {"message_id": self._next_message_id(chat["id"]), "from": self.user(user_id), "chat": chat,
                "date": int(time.time()), **fields}

    def _auto_entities(self, text: str) -> list[dict]:
        """bot_command at offset 0 and @mentions, as Telegram clients mark them (UTF-16 units)."""
        entities = []
        m = re.match(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?", text)
        if m:
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))})
        for m in re.finditer(r"(?<![\w/])@[A-Za-z0-9_]{5,32}", text):
            if m.start() == 0 and entities:
                continue
            entities.append({"type": "mention", "offset": utf16_len(text[:m.start()]),
                             "length": utf16_len(m.group(0))})
        return entities

    def _next_message_id(self, chat_id: int) -> int:
        with self.cond:
            return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _push(self, kind: str, payload: dict) -> int:
        with self.cond:
            update_id = next(self._update_ids)
            self.updates.append({"update_id": update_id, kind: payload})
            self.cond.notify_all()
            return update_id

    # faults ---------------------------------------------------------------------------------------

    def inject(self, method: str, kind: str, times: int = 1, **options: Any) -> Fault:
        """Make the next `times` calls of `method` ("*" = any but getUpdates) fail with `kind`."""
        if kind not in {"429", "500", "slow", "drop", "timeout"}:
            raise ValueError(kind)
        fault = Fault(method, kind, times, **options)
        with self.cond:
            self.faults.append(fault)
        return fault

    def _take_fault(self, method: str) -> Fault | None:
        with self.cond:
            for fault in self.faults:
                any_method = fault.method == "*" and method != "getUpdates"
                if fault.times > 0 and (fault.method == method or any_method):
                    fault.times -= 1
                    return fault
        return None

    # reading what the bot did ---------------------------------------------------------------------

    def forget(self) -> None:
        """Drop the call log and kept messages (a long test measuring memory must not count the fake's)."""
        with self.cond:
            self.calls.clear()
            self.messages.clear()
            self.callback_queries.clear()
            self.inline_queries.clear()

    def mark(self) -> int:
        """The current position in the call log, to wait for calls made after it."""
        with self.cond:
            return len(self.calls)

    def find(self, method: str | None = None, since: int = 0, ok: bool | None = True,
             **match: Any) -> list[Call]:
        """Calls of `method` made since `since` whose params equal `match` (ok=None: any outcome)."""
        with self.cond:
            calls = self.calls[since:]
        return [c for c in calls if (method is None or c.method == method) and (ok is None or c.ok == ok)
                and all(c.params.get(k) == v for k, v in match.items())]

    async def wait_for(self, method: str, since: int = 0, timeout: float = 5.0, count: int = 1,
                       ok: bool | None = True, where: Callable[[Call], bool] | None = None,
                       **match: Any) -> list[Call]:
        """Wait (without blocking the event loop) until `count` matching calls were made."""
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.find(method, since, ok, **match) if where is None or where(c)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                recent = [(c.method, c.params.get("text", ""), c.error) for c in self.find(None, since, None)]
                raise AssertionError(f"timed out waiting for {count}× {method} {match}; calls: {recent}")
            await asyncio.sleep(0.01)

    async def reply_to(self, message: dict, timeout: float = 5.0, since: int = 0) -> Call:
        """Wait for the bot's sendMessage that replies to `message`."""

        def replies(call: Call) -> bool:
            params = call.params.get("reply_parameters") or {}
            return params.get("message_id") == message["message_id"] or \
                call.params.get("reply_to_message_id") == message["message_id"]

        calls = await self.wait_for("sendMessage", since=since, timeout=timeout, where=replies,
                                    chat_id=message["chat"]["id"])
        return calls[0]

    async def wait_confirmed(self, update_id: int | None = None, timeout: float = 5.0) -> None:
        """Wait until the bot fetched every update pushed so far (or up to `update_id`)."""
        with self.cond:
            last = self.updates[-1]["update_id"] if self.updates else 0
        target = update_id if update_id is not None else last
        deadline = time.monotonic() + timeout
        while self.fetched_up_to < target:
            if time.monotonic() > deadline:
                raise AssertionError(f"bot did not fetch update {target}")
            await asyncio.sleep(0.01)

    def message(self, call: Call) -> dict:
        """The message a successful sendMessage/editMessageText call produced (as the bot sees it)."""
        assert call.ok, call.error
        return call.result

    # the Bot API methods --------------------------------------------------------------------------

    def handle(self, method: str, params: dict) -> Any:
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found")
        return handler(params)

    def api_getMe(self, params: dict) -> dict:
        return self.bot_user

    def api_logOut(self, params: dict) -> bool:
        return True

    def api_close(self, params: dict) -> bool:
        return True

    def api_deleteWebhook(self, params: dict) -> bool:
        with self.cond:
            self.webhook_url = ""
            if params.get("drop_pending_updates"):
                self.updates.clear()
        return True

    def api_setWebhook(self, params: dict) -> bool:
        url = params.get("url", "")
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        with self.cond:
            self.webhook_url = url
        return True

    def api_getWebhookInfo(self, params: dict) -> dict:
        return {"url": self.webhook_url, "has_custom_certificate": False,
                "pending_update_count": len(self.updates)}

    def api_getUpdates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if not 1 <= limit <= 100:
            limit = 100
        with self.cond:
            if self.webhook_url:
                raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                    "use deleteWebhook to delete the webhook first")
            if "allowed_updates" in params:
                self.allowed_updates = set(params["allowed_updates"] or DEFAULT_UPDATE_TYPES)
            self._poll_generation += 1
            generation = self._poll_generation
            if offset > 0:  # confirms every update before offset
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                self.confirmed_offset = max(self.confirmed_offset, offset)
            deadline = time.monotonic() + timeout
            while True:
                # Telegram drops update kinds the bot did not ask for
                self.updates = [u for u in self.updates if next(iter(u.keys() - {"update_id"})) in
                                self.allowed_updates]
                ready = self.updates[offset:] if offset < 0 else [u for u in self.updates if u["update_id"] >= offset]
                if ready or self._stopping:
                    batch = ready[:limit]
                    if batch:
                        self.fetched_up_to = max(self.fetched_up_to, batch[-1]["update_id"])
                    return batch
                if generation != self._poll_generation:
                    raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that "
                                        "only one bot instance is running")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self.cond.wait(min(remaining, 0.2))

    def _known_chat(self, params: dict) -> dict:
        raw = params.get("chat_id")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        with self.cond:
            chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if chat["type"] == "private" and chat_id in self.blocked_users:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _reply_target(self, chat: dict, params: dict) -> dict | None:
        reply = params.get("reply_parameters") or (
            {"message_id": params["reply_to_message_id"]} if "reply_to_message_id" in params else None)
        if not reply:
            return None
        target_chat = int(reply.get("chat_id", chat["id"]))
        with self.cond:
            target = self.messages.get((target_chat, int(reply["message_id"])))
        if target is None and not (reply.get("allow_sending_without_reply")
                                   or params.get("allow_sending_without_reply")):
            raise bad_request("message to be replied not found")
        return target

    def api_sendMessage(self, params: dict) -> dict:
        chat = self._known_chat(params)
        text, entities = check_text(params.get("text"), params.get("parse_mode"))
        markup = check_reply_markup(params.get("reply_markup"))
        target = self._reply_target(chat, params)
        message: dict[str, Any] = {"message_id": self._next_message_id(chat["id"]), "from": self.bot_user,
                                   "chat": chat, "date": int(time.time()), "text": text}
        if entities:
            message["entities"] = entities
        if target is not None:
            message["reply_to_message"] = {k: v for k, v in target.items() if k != "reply_to_message"}
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        with self.cond:
            self.messages[(chat["id"], message["message_id"])] = message
        return message

    def _bot_message(self, params: dict) -> dict:
        if "inline_message_id" in params:
            raise bad_request("inline messages are not kept by this fake")
        chat = self._known_chat(params)
        with self.cond:
            message = self.messages.get((chat["id"], int(params.get("message_id") or 0)))
        if message is None:
            raise bad_request("message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return message

    def api_editMessageText(self, params: dict) -> dict:
        message = self._bot_message(params)
        text, entities = check_text(params.get("text"), params.get("parse_mode"))
        markup = check_reply_markup(params.get("reply_markup"))
        if text == message["text"] and entities == message.get("entities", []) and \
                markup == message.get("reply_markup"):
            raise bad_request("message is not modified: specified new message content and reply markup are "
                              "exactly the same as a current content and reply markup of the message")
        edited = dict(message, text=text, edit_date=int(time.time()))
        edited.pop("entities", None)
        edited.pop("reply_markup", None)
        if entities:
            edited["entities"] = entities
        if markup and "inline_keyboard" in markup:
            edited["reply_markup"] = markup
        with self.cond:
            self.messages[(message["chat"]["id"], message["message_id"])] = edited
        return edited

    def api_editMessageReplyMarkup(self, params: dict) -> dict:
        message = self._bot_message(params)
        markup = check_reply_markup(params.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise bad_request("message is not modified: specified new message content and reply markup are "
                              "exactly the same as a current content and reply markup of the message")
        edited = dict(message, edit_date=int(time.time()))
        edited.pop("reply_markup", None)
        if markup:
            edited["reply_markup"] = markup
        with self.cond:
            self.messages[(message["chat"]["id"], message["message_id"])] = edited
        return edited

    def api_answerCallbackQuery(self, params: dict) -> bool:
        self._answer_query(self.callback_queries, params.get("callback_query_id"))
        if len(str(params.get("text", ""))) > MAX_CALLBACK_ANSWER:
            raise bad_request("MESSAGE_TOO_LONG")
        return True

    def _answer_query(self, queries: dict, query_id: Any) -> None:
        with self.cond:
            query = queries.get(str(query_id))
            # Telegram gives a bot about 15 seconds to answer, and only once
            if query is None or query["answered"] or time.monotonic() - query["at"] > 15:
                raise bad_request("query is too old and response timeout expired or query ID is invalid")
            query["answered"] = True

    def api_answerInlineQuery(self, params: dict) -> bool:
        results = params.get("results")
        if not isinstance(results, list):
            raise bad_request("RESULTS_INVALID")
        if len(results) > MAX_INLINE_RESULTS:
            raise bad_request("RESULTS_TOO_MUCH")
        ids = set()
        for result in results:
            rid = str(result.get("id", ""))
            if not 1 <= len(rid.encode()) <= 64:
                raise bad_request("RESULT_ID_INVALID")
            if rid in ids:
                raise bad_request("RESULT_ID_DUPLICATE")
            ids.add(rid)
            if result.get("type") == "article":
                if not str(result.get("title", "")).strip():
                    raise bad_request("RESULT_TITLE_EMPTY")
                content = result.get("input_message_content") or {}
                check_text(content.get("message_text"), content.get("parse_mode"))
            check_reply_markup(result.get("reply_markup"))
        self._answer_query(self.inline_queries, params.get("inline_query_id"))
        with self.cond:
            self.inline_queries[str(params.get("inline_query_id"))]["results"] = results
        return True

    def api_setMyCommands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be a list of at most 100 BotCommand")
        for command in commands:
            if not COMMAND_RE.match(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        scope = params.get("scope") or {"type": "default"}
        if "chat_id" in scope:
            self._known_chat(scope)
        key = scope["type"] + (f":{scope['chat_id']}" if "chat_id" in scope else "")
        with self.cond:
            self.commands[key] = commands
        return True

    def api_getMyCommands(self, params: dict) -> list[dict]:
        scope = params.get("scope") or {"type": "default"}
        key = scope["type"] + (f":{scope['chat_id']}" if "chat_id" in scope else "")
        with self.cond:
            return self.commands.get(key, [])

    def api_getFile(self, params: dict) -> dict:
        file_id = params.get("file_id")
        with self.cond:
            content = self.files.get(file_id)  # type: ignore[arg-type]
        if content is None:
            raise bad_request("invalid file_id")
        if len(content) > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(content),
                "file_path": f"documents/{file_id}"}

    def api_sendChatAction(self, params: dict) -> bool:
        self._known_chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True


def decode_params(raw: dict[str, str]) -> dict:
    """Turn form fields into values: JSON only for structured fields, ints and bools where typed."""
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key in STRUCTURED and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {key} JSON object") from None
        elif key in INTEGERS and isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                raise bad_request(f"field \"{key}\" must be a number") from None
        elif key in NUMBERS and isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise bad_request(f"field \"{key}\" must be a number") from None
        elif key in BOOLEANS and isinstance(value, str):
            value = value.lower() in ("true", "1")
        params[key] = value
    if isinstance(params.get("chat_id"), str) and params["chat_id"].lstrip("-").isdigit():
        params["chat_id"] = int(params["chat_id"])
    return params


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client closing its keep-alive connection is normal; anything else is a bug in the fake."""
        import sys

        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """One HTTP exchange: parse the Bot API call, apply faults, answer in Telegram's format."""

    api: FakeBotAPI
    protocol_version = "HTTP/1.1"  # keep-alive, like api.telegram.org
    disable_nagle_algorithm = True  # headers and body go in separate writes: no 40 ms delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        api = self.api
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        download = re.match(r"^/file/bot([^/]+)/documents/([\w-]+)$", url.path)
        if download:
            return self._download(unquote(download.group(1)), download.group(2))  # PTB quotes the ":"
        m = re.match(r"^/bot([^/]+)/([A-Za-z]+)$", url.path)
        if not m:
            return self._send(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        token, method = m.groups()
        raw: dict[str, Any] = dict(parse_qsl(url.query, keep_blank_values=True))
        ctype = self.headers.get("Content-Type", "")
        try:
            if body and ctype.startswith("application/json"):
                raw.update(json.loads(body))
            elif body and ctype.startswith("application/x-www-form-urlencoded"):
                raw.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            elif body:
                raise bad_request(f"this fake does not read {ctype or 'untyped'} bodies")
            params = decode_params(raw)
        except ApiError as exc:
            return self._error(Call(method, raw), exc)
        call = Call(method, params)
        if token != api.token:
            return self._error(call, ApiError(401, "Unauthorized"))
        fault = api._take_fault(method)
        if fault:
            call.fault = fault.kind
            if fault.kind == "429":
                return self._error(call, ApiError(429, f"Too Many Requests: retry after {fault.retry_after}",
                                                  {"retry_after": fault.retry_after}))
            if fault.kind == "500":
                return self._error(call, ApiError(500, "Internal Server Error"))
            if fault.kind in ("drop", "timeout"):
                if fault.processed:
                    with contextlib.suppress(ApiError):
                        call.result = api.handle(method, params)
                if fault.kind == "timeout":
                    time.sleep(fault.delay)
                call.ok, call.error = False, fault.kind
                self._record(call)
                self._drop()
                return None
            if fault.kind == "slow":
                time.sleep(fault.delay)
        try:
            call.result = api.handle(method, params)
        except ApiError as exc:
            return self._error(call, exc)
        except Exception as exc:  # a bug in the fake: fail loudly in the test, not silently
            api.unhandled_errors.append(f"{method}: {exc!r}")
            return self._error(call, ApiError(500, f"fake crashed: {exc!r}"))
        self._record(call)
        # the client may have given up (its read timeout); Telegram would not notice either
        with contextlib.suppress(OSError):
            self._send(200, {"ok": True, "result": call.result})
        return None

    def _download(self, token: str, file_id: str) -> None:
        """The bytes behind a getFile answer, as Telegram's file server sends them."""
        api = self.api
        with api.cond:
            content = api.files.get(file_id) if token == api.token else None
            if content is not None:
                api.downloads.append(file_id)
        if content is None:
            return self._send(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)
        return None

    def _record(self, call: Call) -> None:
        with self.api.cond:
            self.api.calls.append(call)
            self.api.cond.notify_all()

    def _error(self, call: Call, exc: ApiError) -> None:
        call.ok, call.error = False, exc.description
        self._record(call)
        payload: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
        if exc.parameters:
            payload["parameters"] = exc.parameters
        with contextlib.suppress(OSError):
            self._send(exc.code, payload)

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        """Close the connection without an answer, as a broken network would."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

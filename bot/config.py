"""Settings from the environment, checked once at start-up with messages that say how to fix them."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from . import redaction
from .activity import MIN_KEY_CHARS, RETENTION_DAYS

PACKAGE_DIR = Path(__file__).resolve().parent
KNOWLEDGE_HOME = "knowledge"  # in the data folder, unless BOT_KNOWLEDGE_DIR says otherwise
SHIPPED_MANIFEST = ".shipped.json"  # in the knowledge home: what the shipped files were when it was seeded


class ConfigError(Exception):
    """A missing or malformed setting; the message names it and says how to fix it."""


def usable_cpus() -> int:
    """The CPUs this process may use: its affinity mask (taskset, cpusets), capped by a cgroup v2 CPU
    quota (docker --cpus), not the host's core count."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cpus = min(cpus, max(1, int(int(quota) / int(period))))
    except (OSError, ValueError):
        pass  # no cgroup v2 limit to read: the affinity mask is all there is
    return max(1, cpus)


def shipped_knowledge_dir() -> Path:
    """The shipped knowledge: inside the package when installed, at the repository top in a checkout."""
    installed = PACKAGE_DIR / "knowledge"
    return installed if installed.is_dir() else PACKAGE_DIR.parent / "knowledge"


def _file_hashes(folder: Path) -> dict[str, str]:
    """Content hash of every file in a knowledge folder, by relative path (hidden files and caches left out)."""
    hashes = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") or part == "__pycache__" for part in name.parts):
            hashes[str(name)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def knowledge_home(data_dir: Path) -> tuple[Path, bool]:
    """`data_dir/knowledge`, the folder admins change: created from the shipped knowledge on first start
    and never written by an upgrade afterwards. Returns it and whether it was just created."""
    home = data_dir / KNOWLEDGE_HOME
    if home.is_dir():
        return home, False
    shipped = shipped_knowledge_dir()
    tmp = data_dir / f".{KNOWLEDGE_HOME}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    # Copied whole under a temporary name, then renamed: a start cut short leaves no half-seeded home.
    shutil.copytree(shipped, tmp, ignore=shutil.ignore_patterns(".*", "__pycache__"), copy_function=shutil.copyfile)
    for path in [tmp, *tmp.rglob("*")]:  # the installed package may be read-only; the home is not
        path.chmod(path.stat().st_mode | (0o700 if path.is_dir() else 0o600))
    (tmp / SHIPPED_MANIFEST).write_text(json.dumps(_file_hashes(shipped), indent=1) + "\n", encoding="utf-8")
    try:
        os.rename(tmp, home)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if home.is_dir():  # another process seeded it first
            return home, False
        raise
    return home, True


def newer_shipped_files(home: Path) -> list[str]:
    """Shipped files that changed or appeared since the home was seeded: offered, never copied over."""
    try:
        seeded = json.loads((home / SHIPPED_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # a folder given with BOT_KNOWLEDGE_DIR, or one seeded by hand
    return [name for name, digest in _file_hashes(shipped_knowledge_dir()).items() if seeded.get(name) != digest]


def default_data_dir(env: Mapping[str, str] = os.environ) -> Path:
    """Where the store and the question log live unless BOT_DATA_DIR says otherwise."""
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "qiaowu-bot"


def parse_admin_ids(raw: str) -> frozenset[int]:
    """Parse BOT_ADMIN_IDS ("123, 456") into user ids."""
    ids = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigError(
                f"BOT_ADMIN_IDS: {part!r} is not a Telegram user id; "
                "set it to comma-separated numbers, e.g. BOT_ADMIN_IDS=12345,67890"
            )
        ids.add(int(part))
    return frozenset(ids)


def read_id_key(env: Mapping[str, str]) -> str | None:
    """BOT_ID_KEY, or the file BOT_ID_KEY_FILE names (a Docker secret); None: the key file in the data folder."""
    key, source = env.get("BOT_ID_KEY", "").strip(), "BOT_ID_KEY"
    if not key and env.get("BOT_ID_KEY_FILE"):
        source = "BOT_ID_KEY_FILE"
        try:
            key = Path(env["BOT_ID_KEY_FILE"]).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"BOT_ID_KEY_FILE: cannot read {env['BOT_ID_KEY_FILE']} ({exc})") from exc
    if not key:
        return None
    if len(key) < MIN_KEY_CHARS:
        raise ConfigError(f"{source}: the key is shorter than {MIN_KEY_CHARS} characters and could be guessed; "
                          "make one with: openssl rand -hex 32")
    return key


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TOKEN_IN_URL = re.compile(r"/bot\d+:")


def read_log_level(env: Mapping[str, str]) -> str:
    """LOG_LEVEL: a level name; DEBUG also logs message contents (python-telegram-bot logs raw updates)."""
    level = env.get("LOG_LEVEL", "").strip().upper() or "WARNING"
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL: {level!r} is not a log level; use one of {', '.join(LOG_LEVELS)}")
    return level


def bot_api_url(variable: str, raw: str, suffix: str) -> str:
    """A Bot API URL to which python-telegram-bot appends the token: completed to end in `suffix`
    ("/bot", "/file/bot") when given without it; refused, naming `variable`, when it is no URL or
    already holds a token. Messages show the URL with any token masked."""
    shown = redaction.redact(raw)
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:  # urllib's own message would quote the port, which may be the token
        raise ConfigError(f"{variable}: {shown} is not a valid URL (check the host and the port), "
                          "e.g. http://localhost:8081") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{variable}: {shown} is not an http:// or https:// URL, e.g. https://api.telegram.org")
    if parts.query or parts.fragment or TOKEN_IN_URL.search(parts.path) or redaction.MASK in shown:
        raise ConfigError(f"{variable}: {shown} must end at {suffix}, without the token "
                          "(python-telegram-bot appends it), e.g. https://api.telegram.org" + suffix)
    if "{token}" in parts.path:  # python-telegram-bot's own template: it knows where the token goes
        return raw
    path, head = parts.path.rstrip("/"), suffix.removesuffix("/bot")  # head: "" or "/file"
    if not path.endswith("/bot"):
        path += "/bot" if head and path.endswith(head) else suffix
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def read_api_urls(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """TELEGRAM_API_BASE_URL and TELEGRAM_API_FILE_URL; the file URL defaults to the base URL's prefix
    with /file/bot. (None, None): Telegram's own."""
    base_raw = env.get("TELEGRAM_API_BASE_URL", "").strip()
    file_raw = env.get("TELEGRAM_API_FILE_URL", "").strip()
    base = bot_api_url("TELEGRAM_API_BASE_URL", base_raw, "/bot") if base_raw else None
    if file_raw:
        return base, bot_api_url("TELEGRAM_API_FILE_URL", file_raw, "/file/bot")
    if base and base.endswith("/bot"):
        return base, base.removesuffix("/bot") + "/file/bot"
    return base, None


def read_retention_days(env: Mapping[str, str]) -> int:
    """BOT_RETENTION_DAYS: how many days questions and feedback are kept."""
    raw = env.get("BOT_RETENTION_DAYS", "").strip()
    if not raw:
        return RETENTION_DAYS
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"BOT_RETENTION_DAYS: {raw!r} is not a number of days (1 or more), e.g. BOT_RETENTION_DAYS=180")
    return int(raw)


def read_port(env: Mapping[str, str]) -> int:
    """PORT: where the webhook server listens."""
    raw = env.get("PORT", "").strip() or "8443"
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ConfigError(f"PORT: {raw!r} is not a port number (1–65535), e.g. PORT=8443")
    return int(raw)


class WebhookSecret(str):
    """The webhook's secret token, compared in constant time.

    The bot's webhook server (telegram/webhook.py) compares the X-Telegram-Bot-Api-Secret-Token header
    with hmac.compare_digest; python-telegram-bot's own run_webhook does `token != self.secret_token`
    (22.x, ext/_utils/webhookhandler.py). When the right operand is this subclass of str, Python calls
    its reflected __ne__ first, so any such check takes as long for a guess that is nearly right as
    for one that is all wrong."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and hmac.compare_digest(self.encode(), other.encode())

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__


def webhook_secret(given: str | None) -> WebhookSecret:
    """The given secret, or a new random one: the bot sets the webhook itself, so only Telegram needs it."""
    secret = WebhookSecret(given or secrets.token_urlsafe(32))  # 43 of the characters Telegram allows
    redaction.protect(secret)
    return secret


@dataclass(frozen=True)
class Settings:
    knowledge_dir: Path
    data_dir: Path
    token: str | None = field(default=None, repr=False)  # never printed
    api_base_url: str | None = None
    admin_ids: frozenset[int] = frozenset()
    id_key: str | None = field(default=None, repr=False)  # BOT_ID_KEY; None: the key file in data_dir
    retention_days: int = RETENTION_DAYS
    api_file_url: str | None = None
    log_level: str = "WARNING"
    webhook_secret: str | None = field(default=None, repr=False)  # WEBHOOK_SECRET_TOKEN
    port: int = 8443  # PORT: the webhook's listen port
    knowledge_seeded: bool = False  # the knowledge home was created from the shipped knowledge just now

    def knowledge_line(self) -> str:
        """Where the knowledge comes from, for the start-up line."""
        line = f"knowledge home {self.knowledge_dir}"
        if self.knowledge_seeded:
            line += " (created from the shipped knowledge)"
        newer = newer_shipped_files(self.knowledge_dir)
        if newer:
            line += (f"; the shipped knowledge has newer files not copied in: {', '.join(newer)} "
                     f"(in {shipped_knowledge_dir()})")
        return line

    @classmethod
    def from_env(cls, knowledge_dir: str | Path | None = None) -> Settings:
        """Read the environment; an explicit --knowledge wins over BOT_KNOWLEDGE_DIR, which wins over the
        knowledge home in the data folder (created from the shipped knowledge on first start)."""
        env = os.environ
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip() or None
        redaction.protect(token)  # from the moment it is read, nothing prints it
        data = Path(env.get("BOT_DATA_DIR") or default_data_dir(env))
        try:
            data.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"BOT_DATA_DIR: cannot create {data} ({exc.strerror}); choose a writable folder") from exc
        given = knowledge_dir or env.get("BOT_KNOWLEDGE_DIR")
        seeded = False
        if given:
            knowledge = Path(given)
            if not knowledge.is_dir():
                source = "--knowledge" if knowledge_dir else "BOT_KNOWLEDGE_DIR"
                raise ConfigError(f"{source}: {knowledge} is not a directory; point it at a folder of reports")
        else:
            try:
                knowledge, seeded = knowledge_home(data)
            except OSError as exc:
                raise ConfigError(f"BOT_DATA_DIR: cannot create the knowledge home {data / KNOWLEDGE_HOME} ({exc}); "
                                  "make the folder writable, or set BOT_KNOWLEDGE_DIR") from exc
        base_url, file_url = read_api_urls(env)
        admins = parse_admin_ids(env.get("BOT_ADMIN_IDS", ""))
        return cls(knowledge.resolve(), data.resolve(), token, base_url, admins, read_id_key(env),
                   read_retention_days(env), file_url, read_log_level(env),
                   env.get("WEBHOOK_SECRET_TOKEN", "").strip() or None, read_port(env), seeded)

    def require_token(self) -> str:
        """The token for Telegram (masked in all output from now on), or a ConfigError saying how to set it."""
        redaction.protect(self.token)
        if not self.token:
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set; get a token from @BotFather and export it")
        if ":" not in self.token:
            raise ConfigError("TELEGRAM_BOT_TOKEN looks malformed; it has the form 123456:ABC-DEF…")
        return self.token

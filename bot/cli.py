"""qiaobot: the command line. Every subcommand is a thin channel over the same Engine."""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

from . import redaction, reply
from .config import ConfigError, Settings, webhook_secret
from .curated import AdminError, KnowledgeError

EXAMPLES = ["合同外资引进了多少？", "侨商会换届是谁来祝贺的？", "侨务宣传有哪些做法？", "困難歸僑的補助一共發了多少？"]
HELP = """命令：
  /help      显示帮助
  /sections  报告目录（输入章节编号如 5.2 查看该章节）
  /quit      退出
直接输入问题即可，例如：""" + "".join(f"\n  {q}" for q in EXAMPLES)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _engine(args: argparse.Namespace):
    from .matcher import Engine

    settings: Settings = args.settings
    return Engine.open(settings.knowledge_dir, settings.data_dir, _progress), settings


def cmd_ask(args: argparse.Namespace) -> int:
    # Other tools read this output: UTF-8 whatever the locale, and a bad byte on stdin is a bad
    # question (answered false), not a crash that loses the lines after it.
    sys.stdin.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[union-attr]
    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    engine, _ = _engine(args)
    if args.jsonl:
        for line in sys.stdin:
            answer = engine.ask(line.rstrip("\r\n"))
            sys.stdout.write(json.dumps(answer.to_json(), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        return 0
    question = " ".join(args.question)
    if not question:
        print("用法：qiaobot ask \"问题\"（或 --jsonl 从标准输入每行读一个问题）", file=sys.stderr)
        return 2
    answer = engine.ask(question)
    print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2) if args.json else reply.to_plain(answer))
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from . import store

    started = time.monotonic()
    engine, settings = _engine(args)  # builds when the knowledge changed, then checks it answers its FAQ
    if args.outline:
        tree = store.outline(engine.store_file, args.outline)
        if not tree:
            known = ", ".join(engine.documents)
            print(f"qiaobot: there is no report {args.outline!r}; the reports are: {known}", file=sys.stderr)
            return 2
        for path, heading, statements in tree:
            print(f"{'  ' * (len(path) - 1)}{'.'.join(map(str, path))}  {heading}  ({statements})")
        return 0
    counts = ", ".join(f"{k} {v}" for k, v in engine.counts().items())
    print(f"store {engine.store_file} ready in {time.monotonic() - started:.1f}s: {counts}\n"
          f"{settings.knowledge_line()}")
    for report in store.summary(engine.store_file):
        print(_report_line(report))
        for warning in report.warnings:
            print(f"  warning: {warning}")
    return 0


def _report_line(report) -> str:
    """One report as the build tells it: file, title, year and issuer, sections per level, statements."""
    found = " ".join(x for x in (str(report.year or ""), report.issuer) if x)
    levels = " + ".join(map(str, report.levels)) or "0"
    read_as = f", read as {report.encoding.upper()}" if report.encoding in ("gb18030", "big5", "utf-16") else ""
    return (f"{report.file}: 《{report.title}》{f' ({found})' if found else ''}, sections {levels}, "
            f"statements {report.statements}{read_as}")


def _outline_text(engine) -> str:
    lines = []
    for s in engine.outline():
        indent = "  " * (len(s.path) - 1)
        prefix = f"[{s.doc}] " if len(engine.documents) > 1 and len(s.path) == 1 else ""
        lines.append(f"{indent}{'.'.join(map(str, s.path))}  {prefix}{s.heading}")
    return "\n".join(lines)


def cmd_chat(args: argparse.Namespace) -> int:
    from .conversation import Conversation
    from .matcher import parse_section_ref

    engine, _ = _engine(args)
    conversation = Conversation()  # follow-ups (那…呢, 还有呢, 详细说说) lean on the last question
    docs = "、".join(engine.documents.values())
    print(f"侨务问答（{docs}）。输入问题，/help 帮助，/quit 退出。")
    while True:
        try:
            line = input("> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not line:
            continue
        if line in ("/quit", "/exit", "/q"):
            return 0
        if line in ("/help", "/start"):
            print(HELP)
        elif line == "/sections":
            print(_outline_text(engine))
        elif line.replace(".", "").isdigit() and len(engine.documents) >= 1:
            doc = next(iter(engine.documents))
            print(engine.show_section(doc, parse_section_ref(line)).text)
        else:
            print(reply.to_plain(conversation.respond(engine, line, key="console")))


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation import evaluate, load_cases

    engine, _ = _engine(args)
    report = evaluate(engine, load_cases(Path(args.file)))
    print(report.table())
    if args.failures:
        for case, answer, outcome in report.failures:
            got = [list(r.path) for r in answer.references]
            print(f"\n[{outcome}] {case.kind} {case.question!r} expect {case.doc}:{list(case.path or [])} "
                  f"{list(case.expect)} got {got} score {answer.score:.2f}\n  {answer.text[:160]!r}")
    return 0


def cmd_reports(args: argparse.Namespace) -> int:
    from .knowledge_home import list_reports

    settings: Settings = args.settings
    for r in list_reports(settings.knowledge_dir):
        added = f"  added {r.added_at}" + (f" by {r.added_by}" if r.added_by else "") if r.added_at else ""
        print(f"{r.id}  {r.path.name}{added}")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """Add a report file to the knowledge home; a report that does not build is taken back."""
    from .knowledge_home import add_report, undo_add

    settings: Settings = args.settings
    source = Path(args.file)
    added = add_report(settings.knowledge_dir, source.name, source.read_bytes(), by="shell", replace=args.replace)
    return _rebuild_or(settings, lambda: undo_add(settings.knowledge_dir, added), f"added {added.name}")


def cmd_remove(args: argparse.Namespace) -> int:
    from .knowledge_home import remove_report, restore_report

    settings: Settings = args.settings
    remove_report(settings.knowledge_dir, args.id)
    return _rebuild_or(settings, lambda: restore_report(settings.knowledge_dir, args.id),
                       f"removed {args.id} (qiaobot restore {args.id} brings it back)")


def cmd_restore(args: argparse.Namespace) -> int:
    from .knowledge_home import remove_report, restore_report

    settings: Settings = args.settings
    restore_report(settings.knowledge_dir, args.id)
    return _rebuild_or(settings, lambda: remove_report(settings.knowledge_dir, args.id), f"restored {args.id}")


def _rebuild_or(settings: Settings, undo: Callable[[], object], done: str) -> int:
    """Build the changed knowledge; when it does not build, undo the change and say why (exit 1)."""
    from .matcher import Engine

    try:
        engine = Engine.open(settings.knowledge_dir, settings.data_dir, _progress)
    except KnowledgeError:
        undo()
        raise
    counts = ", ".join(f"{k} {v}" for k, v in engine.counts().items())
    print(f"{done}; knowledge now: {counts}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from . import telegram

    settings: Settings = args.settings
    settings.require_token()
    _progress(f"qiaobot: {settings.knowledge_line()}, data folder {settings.data_dir}")
    # A webhook without a secret would take updates "from" anyone who learns its URL.
    secret = webhook_secret(args.secret_token or settings.webhook_secret) if args.webhook_url else None
    telegram.run(settings, webhook_url=args.webhook_url, port=args.port or settings.port, secret_token=secret)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qiaobot", description="侨务工作报告问答机器人 (qiaowu-bot)")
    sub = p.add_subparsers(dest="command")
    knowledge = argparse.ArgumentParser(add_help=False)
    knowledge.add_argument("--knowledge", metavar="DIR",
                           help="knowledge folder (default: BOT_KNOWLEDGE_DIR, else the knowledge home BOT_DATA_DIR/knowledge)")

    a = sub.add_parser("ask", parents=[knowledge], help="answer one question, or one per stdin line with --jsonl")
    a.add_argument("question", nargs="*")
    fmt = a.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the answer as a JSON object")
    fmt.add_argument("--jsonl", action="store_true", help="read questions from stdin, write one JSON object per line")
    a.set_defaults(func=cmd_ask)

    sub.add_parser("chat", parents=[knowledge], help="talk to the bot in the console").set_defaults(func=cmd_chat)
    b = sub.add_parser("build", parents=[knowledge], help="build the knowledge store now and tell what it read")
    b.add_argument("--outline", metavar="DOC", help="print one report's section tree (DOC: its file name without extension)")
    b.set_defaults(func=cmd_build)

    sub.add_parser("reports", parents=[knowledge], help="list the reports in the knowledge home"
                   ).set_defaults(func=cmd_reports)
    ad = sub.add_parser("add", parents=[knowledge], help="add a report file (.txt .md .docx .pdf) and rebuild")
    ad.add_argument("file")
    ad.add_argument("--replace", action="store_true", help="replace the report of the same name")
    ad.set_defaults(func=cmd_add)
    rm = sub.add_parser("remove", parents=[knowledge], help="move a report to the recoverable .removed folder")
    rm.add_argument("id", help="the report's id (its file name without extension; see qiaobot reports)")
    rm.set_defaults(func=cmd_remove)
    rs = sub.add_parser("restore", parents=[knowledge], help="bring back a removed report")
    rs.add_argument("id")
    rs.set_defaults(func=cmd_restore)

    e = sub.add_parser("eval", parents=[knowledge], help="score a question set (JSON lines)")
    e.add_argument("file")
    e.add_argument("--failures", action="store_true", help="also list every question not answered correctly")
    e.set_defaults(func=cmd_eval)

    r = sub.add_parser("run", parents=[knowledge], help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    r.add_argument("--webhook-url", help="serve a webhook at this public HTTPS URL instead of long polling")
    r.add_argument("--port", type=int, help="webhook listen port (default: PORT or 8443)")
    r.add_argument("--secret-token", help="webhook secret token (default: WEBHOOK_SECRET_TOKEN, else a random one)")
    r.set_defaults(func=cmd_run)
    return p


def configure_logging(level: str) -> None:
    """Logging set up once, every record passing the token redaction on its way out. At INFO and above
    no record holds a user's text, name or id; DEBUG shows message contents (python-telegram-bot logs
    raw updates there)."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level)  # also when something configured logging first
    # httpx logs a line per request at INFO (a getUpdates every few seconds): only with DEBUG.
    logging.getLogger("httpx").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    redaction.install()


def _fail(message: str, status: int = 2) -> int:
    print(f"qiaobot: {redaction.redact(message)}", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    redaction.install()  # before anything can fail with the token in its text
    args = parser().parse_args(argv)
    try:
        args.settings = Settings.from_env(getattr(args, "knowledge", None))
    except ConfigError as exc:
        return _fail(str(exc))
    configure_logging(args.settings.log_level)
    if args.command is None:
        args = parser().parse_args(["run"] if args.settings.token else ["chat"], namespace=args)
    try:
        return args.func(args)
    except (KnowledgeError, AdminError) as exc:  # bad knowledge (the file and line named), a refused change
        return _fail(str(exc), status=1)
    except ConfigError as exc:  # a usage error: a setting or an option
        return _fail(str(exc))
    except BrokenPipeError:
        return 0
    except (OSError, sqlite3.Error) as exc:  # a full disk, a read-only data folder
        return _fail(f"{exc}; if it concerns the data folder, check that BOT_DATA_DIR is writable and has space")


if __name__ == "__main__":
    sys.exit(main())

"""What admins change in the knowledge home: reports added, removed and restored, FAQ entries
checked before they are written, and a start that keeps serving the last good knowledge.

Reports are files in the home; a removed one moves to `.removed/` (dot folders are never read as
knowledge), so `restore` can bring it back. Who added a report, and when, is kept in `.added.json`.
Every file name an admin sends is checked here: a bare name with a report's extension, never a path.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import store
from .curated import AdminError, KnowledgeError, check_faq_cells
from .matcher import Engine, parse_section_ref
from .reading.formats import REPORT_SUFFIXES

log = logging.getLogger(__name__)

REMOVED_DIR = ".removed"
LEDGER = ".added.json"
_SAFE_NAME = re.compile(r"^[^\\/:*?\"<>|\x00-\x1f]{1,120}$")


@dataclass(frozen=True)
class ReportFile:
    id: str  # the file stem: the `doc` of references
    path: Path
    added_at: str  # ISO time, or "" for a report that was there before the ledger
    added_by: str


def report_name(filename: str) -> str:
    """The name a sent file is saved under, or AdminError: a bare name with a report's extension."""
    name = Path(filename or "").name.strip()
    if name != (filename or "").strip() or not _SAFE_NAME.match(name) or name.startswith("."):
        raise AdminError(f"文件名 {filename!r} 不能用：请用不含路径和特殊字符的文件名，例如 2024年工作总结.docx")
    if Path(name).suffix.lower() not in REPORT_SUFFIXES:
        raise AdminError(f"只能添加 {'、'.join(REPORT_SUFFIXES)} 格式的报告（{name} 不是；.doc 请另存为 .docx）")
    return name


def list_reports(home: Path) -> list[ReportFile]:
    """The reports in the home (not in dot folders), with who added them when it is known."""
    ledger = _ledger(home)
    found = []
    for path in sorted(home.rglob("*")):
        rel = path.relative_to(home)
        if any(p.startswith(".") for p in rel.parts) or path.suffix.lower() not in REPORT_SUFFIXES:
            continue
        if path.is_file() and _inside(home, path):
            entry = ledger.get(path.stem, {})
            found.append(ReportFile(path.stem, path, entry.get("at", ""), entry.get("by", "")))
    return found


def find_report(home: Path, report_id: str) -> ReportFile:
    for report in list_reports(home):
        if report.id == report_id:
            return report
    raise AdminError(f"没有编号为 {report_id!r} 的报告；发送 /reports 查看编号")


def add_report(home: Path, name: str, data: bytes, by: str = "", replace: bool = False) -> Path:
    """Save a report's bytes into the home under `name` (written whole, then renamed into place).
    An existing report of that id is moved to `.removed/` first when `replace`, else refused."""
    name = report_name(name)
    stem = Path(name).stem
    existing = [r for r in list_reports(home) if r.id == stem]
    if existing and not replace:
        raise AdminError(f"已有同名报告 {existing[0].path.name}；要替换请确认替换")
    for old in existing:
        _move_aside(home, old.path)
    target = home / name
    tmp = home / f".{name}.part"
    tmp.write_bytes(data)
    os.replace(tmp, target)
    _record(home, stem, by)
    return target


def remove_report(home: Path, report_id: str) -> Path:
    """Move a report to `.removed/`, from where `restore_report` brings it back."""
    return _move_aside(home, find_report(home, report_id).path)


def restore_report(home: Path, report_id: str) -> Path:
    """Bring back the most recently removed report of that id."""
    if any(r.id == report_id for r in list_reports(home)):
        raise AdminError(f"报告 {report_id!r} 已经在用；先移除现在的那份再恢复")
    removed = sorted((home / REMOVED_DIR).glob(f"*--{report_id}.*"), reverse=True) if (home / REMOVED_DIR).is_dir() else []
    removed = [p for p in removed if Path(p.name.split("--", 1)[1]).stem == report_id]
    if not removed:
        raise AdminError(f"回收站里没有编号为 {report_id!r} 的报告")
    target = home / removed[0].name.split("--", 1)[1]
    os.replace(removed[0], target)
    return target


def undo_add(home: Path, added: Path) -> None:
    """Take back a report just added whose build failed, and restore what it replaced."""
    stem = added.stem
    added.unlink(missing_ok=True)
    with contextlib.suppress(AdminError):  # AdminError: it replaced nothing
        restore_report(home, stem)


def _move_aside(home: Path, path: Path) -> Path:
    removed = home / REMOVED_DIR
    removed.mkdir(exist_ok=True)
    target = removed / f"{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**6:06d}--{path.name}"
    os.replace(path, target)
    return target


def _inside(home: Path, path: Path) -> bool:
    """A file whose real location is in the home (a symlink pointing out of it is not)."""
    try:
        return path.resolve().is_relative_to(home.resolve())
    except OSError:
        return False


def _ledger(home: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads((home / LEDGER).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _record(home: Path, stem: str, by: str) -> None:
    ledger = _ledger(home)
    ledger[stem] = {"at": time.strftime("%Y-%m-%d %H:%M"), "by": by}
    tmp = home / f"{LEDGER}.part"
    tmp.write_text(json.dumps(ledger, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, home / LEDGER)


# ---- FAQ entries ----------------------------------------------------------------------------------

def check_faq_addition(engine: Engine, question: str, answer: str, section: str = "", doc: str = "") -> None:
    """Refuse, with the reason, an FAQ entry the next build would refuse or that would not answer:
    the same cell checks as the build, a section that exists, a question no other entry shadows."""
    try:
        check_faq_cells(question, answer)
    except KnowledgeError as exc:
        raise AdminError(str(exc).split(": ", 1)[-1]) from exc
    if doc and doc not in engine.documents:
        raise AdminError(f"没有编号为 {doc!r} 的报告")
    path = parse_section_ref(section)
    if section.strip() and not path:
        raise AdminError(f"章节 {section!r} 看不懂：请写成 5.2 或 （五）二是")
    if path:
        docs = [doc] if doc else list(engine.documents)
        if not any((d, path) in engine.sections for d in docs):
            raise AdminError(f"章节 {'.'.join(map(str, path))} 不存在；发送 /sections 查看目录")
    owner = engine.match_faq(engine.analyzer.match_form(question))
    if owner is not None:
        raise AdminError(f"已有相近的常见问题：{owner.question}（第 {owner.line} 行）")


# ---- starting ---------------------------------------------------------------------------------------

def open_serving(knowledge_dir: Path, data_dir: Path,
                 progress: Callable[[str], None] = lambda _m: None) -> tuple[Engine, str | None]:
    """The engine for the knowledge home, or — when the home does not build — the newest store
    that once built, with a warning saying why; KnowledgeError only when there is none."""
    try:
        return Engine.open(knowledge_dir, data_dir, progress), None
    except KnowledgeError as exc:
        for candidate in store.serving_candidates(data_dir):
            try:
                engine = Engine(candidate)
            except Exception:  # a store from another version or a damaged file: try the next one
                log.warning("store %s cannot serve", candidate.name, exc_info=True)
                continue
            return engine, f"知识库有错误，继续使用上次成功构建的版本（{candidate.name}）：{exc}"
        raise


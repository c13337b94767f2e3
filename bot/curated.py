"""The files an admin edits in the knowledge folder, read (and for the FAQ, appended) here.

Reports are `*.txt`. Curated data is CSV (opens in any spreadsheet, one row per entry):
`faq.csv`, `synonyms.csv`, `corrections.csv`, `words.csv`, `aliases.csv`. Errors name the file and line.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .normalize import fold

FAQ_FILE = "faq.csv"
SYNONYMS_FILE = "synonyms.csv"
CORRECTIONS_FILE = "corrections.csv"
WORDS_FILE = "words.csv"
ALIASES_FILE = "aliases.csv"
CURATED_FILES = (FAQ_FILE, SYNONYMS_FILE, CORRECTIONS_FILE, WORDS_FILE, ALIASES_FILE)

FAQ_COLUMNS = ("question", "alternates", "answer", "doc", "section")
LIST_SEPARATOR = re.compile(r"\s*[|｜]\s*")


class KnowledgeError(Exception):
    """Bad knowledge: the message names the file (and line) and says what is wrong."""

    def __init__(self, path: Path | str, message: str, line: int | None = None):
        self.path = Path(path)
        self.line = line
        where = f"{self.path.name}, line {line}" if line else self.path.name
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class FaqEntry:
    question: str
    alternates: tuple[str, ...]
    answer: str
    doc: str  # empty: the only document, resolved when the store is built
    section: str  # as the admin wrote it: "5.2", "（五）二是", or empty
    line: int = 0


@dataclass(frozen=True)
class Correction:
    wrong: str
    right: str
    doc: str  # empty: applies to every document


@dataclass
class Curated:
    """Everything an admin curates, as read from one knowledge folder."""

    faq: list[FaqEntry] = field(default_factory=list)
    synonyms: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    words: list[tuple[str, int | None, str | None]] = field(default_factory=list)
    aliases: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def corrections_for(self, doc: str) -> dict[str, str]:
        return {c.wrong: c.right for c in self.corrections if not c.doc or c.doc == doc}


def split_list(cell: str) -> tuple[str, ...]:
    return tuple(p for p in LIST_SEPARATOR.split(cell.strip()) if p)


def decode_utf8(path: Path, data: bytes, hint: str = "") -> str:
    """The UTF-8 text of a knowledge file, or a KnowledgeError naming the line of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise KnowledgeError(path, f"is not UTF-8 text{hint}", line) from exc


def _rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) for each non-empty row; a missing column or bad encoding is an error."""
    text = decode_utf8(path, path.read_bytes(), "; save it as UTF-8 (CSV UTF-8 in a spreadsheet)")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise KnowledgeError(path, "looks like a binary file, not CSV; save it as CSV UTF-8", line)
    reader = csv.DictReader(io.StringIO(text), strict=True)
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error as exc:
        raise KnowledgeError(path, _csv_problem(exc), 1) from exc
    missing = [c for c in required if c not in fieldnames]
    if missing:
        raise KnowledgeError(path, f"the header row needs the columns {', '.join(required)}", 1)
    rows = []
    while True:
        line = reader.line_num + 1  # where the row starts (a quoted cell may span lines)
        try:
            row = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            raise KnowledgeError(path, _csv_problem(exc), line) from exc
        if None in row:
            raise KnowledgeError(path, "has more cells than the header; put commas inside quotes", line)
        cleaned = {k: (v or "").strip() for k, v in row.items()}
        if any(cleaned.values()) and not cleaned[required[0]].startswith("#"):
            rows.append((line, cleaned))


def _csv_problem(exc: csv.Error) -> str:
    if "unexpected end of data" in str(exc):
        return 'has a quote (") that is never closed; write a quote inside a cell as ""'
    if "expected after" in str(exc):
        return 'has a quote (") inside a quoted cell; write it as ""'
    return f"is not valid CSV ({exc})"


def _question_key(question: str) -> str:
    """Two FAQ questions are the same if they differ only in width, script, case or end punctuation."""
    return fold(question).rstrip("?？!！。.~～ ")


def read_faq(path: Path) -> list[FaqEntry]:
    entries, seen = [], {}
    for line, row in _rows(path, ("question", "answer")):
        if not row["question"] or not row["answer"]:
            raise KnowledgeError(path, "an FAQ entry needs both a question and an answer", line)
        key = _question_key(row["question"])
        if key in seen:
            raise KnowledgeError(path, f"the question {row['question']!r} is already on line {seen[key]}", line)
        seen[key] = line
        entries.append(
            FaqEntry(row["question"], split_list(row.get("alternates", "")), row["answer"], row.get("doc", ""),
                     row.get("section", ""), line)
        )
    return entries


def read_synonyms(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    groups = []
    for line, row in _rows(path, ("canonical", "variants")):
        variants = split_list(row["variants"])
        if not row["canonical"] or not variants:
            raise KnowledgeError(path, "a synonym row needs a canonical word and at least one variant", line)
        groups.append((row["canonical"], variants))
    return groups


def read_corrections(path: Path) -> list[Correction]:
    out = []
    for line, row in _rows(path, ("wrong", "right")):
        if not row["wrong"] or not row["right"]:
            raise KnowledgeError(path, "a correction needs both the wrong and the right form", line)
        out.append(Correction(row["wrong"], row["right"], row.get("doc", "")))
    return out


def read_words(path: Path) -> list[tuple[str, int | None, str | None]]:
    words = []
    for line, row in _rows(path, ("word",)):
        freq = row.get("freq", "")
        if freq and not freq.isdigit():
            raise KnowledgeError(path, f"freq must be a whole number, not {freq!r}", line)
        if re.search(r"\s", row["word"]):
            raise KnowledgeError(path, "a word may not contain spaces", line)
        words.append((row["word"], int(freq) if freq else None, row.get("tag") or None))
    return words


def read_aliases(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """Abbreviations and other names of one thing (GDP, 国内生产总值): a question may use either."""
    out = []
    for line, row in _rows(path, ("alias", "full")):
        forms = split_list(row["full"])
        if not row["alias"] or not forms:
            raise KnowledgeError(path, "an alias row needs the alias and at least one full form", line)
        out.append((row["alias"], forms))
    return out


def read_curated(knowledge_dir: Path) -> Curated:
    """Read every curated file present in the folder; absent files mean no entries."""
    curated = Curated()
    readers = {FAQ_FILE: ("faq", read_faq), SYNONYMS_FILE: ("synonyms", read_synonyms),
               CORRECTIONS_FILE: ("corrections", read_corrections), WORDS_FILE: ("words", read_words),
               ALIASES_FILE: ("aliases", read_aliases)}
    for name, (attr, reader) in readers.items():
        path = knowledge_dir / name
        if path.is_file():
            setattr(curated, attr, reader(path))
    return curated


def append_faq(knowledge_dir: Path, question: str, answer: str, section: str = "", doc: str = "") -> None:
    """Add one FAQ row to faq.csv (creating it with a header); it takes effect at the next reload."""
    question, answer = question.strip(), answer.strip()
    if not question or not answer:
        raise ValueError("an FAQ entry needs both a question and an answer")
    path = knowledge_dir / FAQ_FILE
    new = not path.is_file() or path.stat().st_size == 0
    header = list(FAQ_COLUMNS)
    if not new:
        if any(_question_key(e.question) == _question_key(question) for e in read_faq(path)):
            raise ValueError(f"faq.csv already has the question {question!r}")
        header = next(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    row = {"question": question, "answer": answer, "doc": doc, "section": section}
    lost = [k for k, v in row.items() if v and k not in header]
    if lost:
        raise ValueError(f"faq.csv has no {lost[0]!r} column; add it to the header row")
    needs_newline = not new and not path.read_bytes().endswith(b"\n")
    with path.open("a", encoding="utf-8", newline="") as f:
        if needs_newline:
            f.write("\r\n")
        writer = csv.DictWriter(f, header, restval="", extrasaction="ignore")
        if new:
            writer.writeheader()
        writer.writerow(row)
        f.flush()
        os.fsync(f.fileno())  # an addition the admin was told about survives a crash

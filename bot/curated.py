"""The files an admin edits in the knowledge folder, read (and for the FAQ, appended) here.

Reports are `.txt`, `.md`, `.docx` or `.pdf` files (see `bot.reading.formats`). Curated data is CSV (opens in any spreadsheet, one row per entry):
`faq.csv`, `synonyms.csv`, `corrections.csv`, `words.csv`, `aliases.csv`. Errors name the file and line.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .normalize import fold, to_simplified

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
        self.message = message
        where = f"{self.path.name}, line {line}" if line else self.path.name
        super().__init__(f"{where}: {message}")

    def __reduce__(self):  # raised in a build worker process, it reaches the build whole
        return type(self), (self.path, self.message, self.line)


class AdminError(ValueError):
    """An admin's request that cannot be done (a report name, an FAQ entry); the message says why."""


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


def decode_text(path: Path, data: bytes, hint: str = "") -> tuple[str, str]:
    """(text, encoding) of a knowledge file: UTF-8, else GB18030 (which includes GBK and GB2312, what
    Chinese Excel and WPS save) or Big5 (Traditional, from Taiwan and Hong Kong). A file whose first
    lines are UTF-8 Chinese and the rest something else, or bytes that are neither, are a
    KnowledgeError naming the line of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        # GBK text has no Chinese character that is also valid UTF-8 before its first invalid byte
        # (measured on the shipped and government reports): Chinese there means a mixed file.
        if not re.search(r"[\u3400-\u9fff]", data[: exc.start].decode("utf-8")):
            readings = []
            for encoding in ("gb18030", "big5"):
                with contextlib.suppress(UnicodeDecodeError):  # not this one
                    readings.append((_common_share(data.decode(encoding)), encoding))
            if readings:
                encoding = max(readings)[1]
                return data.decode(encoding), encoding
        raise KnowledgeError(path, f"is neither UTF-8 nor GB18030 (GBK) text{hint}", line) from exc


def _common_share(text: str, sample: int = 20_000) -> float:
    """How much of a reading is common Chinese (GB2312, once in Simplified form): Big5 bytes read as
    GB18030 decode without error but into rare characters and kana (0.72 of them common for the shipped
    report in Traditional form saved as Big5, against 1.0 read as Big5)."""
    chars = [c for c in to_simplified(text[:sample]) if "\u3040" <= c <= "\u9fff"]
    if not chars:
        return 0.0
    return sum(1 for c in chars if _in_gb2312(c)) / len(chars)


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def _rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) for each non-empty row; a missing column or bad encoding is an error."""
    text, _ = decode_text(path, path.read_bytes(), "; save it as CSV UTF-8 in a spreadsheet")
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
        cleaned = {k: _read_cell((v or "").strip()) for k, v in row.items()}
        if any(cleaned.values()) and not cleaned[required[0]].startswith("#"):
            rows.append((line, cleaned))


def _csv_problem(exc: csv.Error) -> str:
    if "unexpected end of data" in str(exc):
        return 'has a quote (") that is never closed; write a quote inside a cell as ""'
    if "expected after" in str(exc):
        return 'has a quote (") inside a quoted cell; write it as ""'
    return f"is not valid CSV ({exc})"


# Spreadsheets (Excel, WPS) evaluate a cell that starts with one of these: written with a leading
# apostrophe, which they show as text, and read back without it (OWASP's advice for CSV).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_QUESTION_CHARS = 120  # the longest question the engine takes
_CJK = re.compile(r"[\u3400-\u9fff]")
_WORDY = re.compile(r"\w")


def neutralise_cell(value: str) -> str:
    """A cell no spreadsheet evaluates: `=1+1` → `'=1+1`."""
    return "'" + value if value.startswith(FORMULA_STARTS) or value.startswith("'") else value


def _read_cell(value: str) -> str:
    """The cell as the admin typed it: the apostrophe `neutralise_cell` added is dropped."""
    return value[1:] if value.startswith("'") and value[1:2] and value[1:].startswith((*FORMULA_STARTS, "'")) else value


def check_faq_cells(question: str, answer: str, path: Path | str = FAQ_FILE, line: int | None = None) -> None:
    """What every FAQ entry needs, at build time and before /addfaq writes one."""
    if not question or not answer:
        raise KnowledgeError(path, "an FAQ entry needs both a question and an answer", line)
    if question.startswith("#"):
        raise KnowledgeError(path, "a question may not start with # (that marks a comment line)", line)
    if not _CJK.search(question) or not _WORDY.search(question):
        raise KnowledgeError(path, f"the question {question!r} has no Chinese words; write it as users ask", line)
    if len(question) > MAX_QUESTION_CHARS:
        raise KnowledgeError(path, f"the question is {len(question)} characters; keep it under "
                             f"{MAX_QUESTION_CHARS}", line)


def _question_key(question: str) -> str:
    """Two FAQ questions are the same if they differ only in width, script, case or end punctuation."""
    return fold(question).rstrip("?？!！。.~～ ")


def read_faq(path: Path) -> list[FaqEntry]:
    entries, seen = [], {}
    for line, row in _rows(path, ("question", "answer")):
        check_faq_cells(row["question"], row["answer"], path, line)
        alternates = split_list(row.get("alternates", ""))
        for phrasing in (row["question"], *alternates):
            key = _question_key(phrasing)
            if key in seen and seen[key] != line:
                raise KnowledgeError(path, f"the question {phrasing!r} is already on line {seen[key]}", line)
            seen[key] = line
        entries.append(
            FaqEntry(row["question"], alternates, row["answer"], row.get("doc", ""),
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
    """`wrong, right, doc, context`: doc empty = every report; context (phrases separated by |, each
    holding the wrong form) = only inside those phrases, where the wrong form cannot be the right
    word (开展 → 发展 in 经济开展|开展大局, never in 开展活动). Each context becomes its own
    phrase-to-phrase correction, so everything downstream sees plain pairs."""
    out = []
    for line, row in _rows(path, ("wrong", "right")):
        wrong, right, doc = row["wrong"], row["right"], row.get("doc", "")
        if not wrong or not right:
            raise KnowledgeError(path, "a correction needs both the wrong and the right form", line)
        contexts = split_list(row.get("context", ""))
        for context in contexts:
            if wrong not in context:
                raise KnowledgeError(path, f"the context {context!r} does not contain {wrong!r}", line)
            out.append(Correction(context, context.replace(wrong, right), doc))
        if not contexts:
            out.append(Correction(wrong, right, doc))
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
    check_faq_cells(question, answer, path)
    row = {k: neutralise_cell(v) for k, v in
           {"question": question, "answer": answer, "doc": doc, "section": section}.items()}
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

"""Build the knowledge store: a pure function from the knowledge folder to one SQLite file.

The file is named by the content hash of the knowledge, so a store is built once per content and
never on a start that finds it already built. A build writes a temporary file and renames it into
place: a crash leaves the old store or the new one, never half of each.

Locks (flock) say who uses a file: a build holds its temporary file, so one nobody holds was left
by a build that died and is removed; a serving engine may hold its store (see `hold`), so pruning
passes it by.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import sqlite_utils

from . import features
from .analyzer import Analyzer, alias_words, index_terms, pinyin_key
from .config import usable_cpus
from .curated import CURATED_FILES, FAQ_FILE, Curated, KnowledgeError, decode_text, read_curated
from .parser import ParsedReport, parse_file
from .reading.formats import check_report, is_report

log = logging.getLogger(__name__)

try:
    import fcntl
except ImportError:  # Windows: no locks; stale temporary files stay and pruning trusts the count
    fcntl = None  # type: ignore[assignment]

SCHEMA_VERSION = "14"  # bump when the store layout or the analysis changes
MAX_REPORT_BYTES = 64 * 1024 * 1024
PARALLEL_FROM = 8  # reports; below this, worker start-up costs more than it saves
KEEP_STORES = 2
LEGACY_ENCODINGS = ("gb18030", "big5")  # the build says which files it read so
STALE_TMP_SECONDS = 60  # an unlocked temporary file younger than this may be a build just starting
ABANDON_CHECK_STEPS = 10_000  # SQLite virtual-machine steps between looks at the stop flag

_abandoned = threading.Event()  # set once this process is stopping: builds give up


class BuildAbandoned(Exception):
    """A build given up because the process is stopping; its temporary file is removed."""


def abandon_builds() -> None:
    """Make every build of this process (running or to come) stop soon: the process is stopping.
    Serving stores are untouched; a build's temporary file is removed on its way out."""
    _abandoned.set()


def _check_abandoned() -> None:
    if _abandoned.is_set():
        raise BuildAbandoned("the build was abandoned: the process is stopping")


@dataclass(frozen=True)
class KnowledgeFiles:
    root: Path
    reports: list[Path]
    curated: list[Path]
    digest: str  # of everything: names the store
    analysis: str  # of what changes how reports are analysed (not the FAQ): says which rows can be reused
    hashes: dict[Path, str]  # of each report's bytes


def scan(knowledge_dir: Path) -> KnowledgeFiles:
    """Every report (.txt .md .docx .pdf, and the .doc files to refuse) under the folder (no symlinked
    folders: no loops; no links that lead outside it) and the curated files."""
    if not knowledge_dir.is_dir():
        raise KnowledgeError(knowledge_dir, "is not a folder")
    reports: list[Path] = []
    for root, dirs, files in os.walk(knowledge_dir, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        reports += [Path(root) / f for f in sorted(files) if is_report(f) and not f.startswith(".")]
    curated = [knowledge_dir / n for n in CURATED_FILES if (knowledge_dir / n).is_file()]
    digest = hashlib.sha256(SCHEMA_VERSION.encode())
    analysis = hashlib.sha256(SCHEMA_VERSION.encode())
    hashes: dict[Path, str] = {}
    report_set = set(reports)
    for path in reports + curated:
        if not path.is_file():
            raise KnowledgeError(path, "is not a regular file (a broken or looping link, a pipe, a device); remove it")
        if path.is_symlink() and not path.resolve().is_relative_to(knowledge_dir.resolve()):
            raise KnowledgeError(path, "is a link to a file outside the knowledge folder; copy the file in instead")
        if path.stat().st_size > MAX_REPORT_BYTES:
            raise KnowledgeError(path, f"is larger than {MAX_REPORT_BYTES // 2**20} MB; split it into several reports")
        digest.update(str(path.relative_to(knowledge_dir)).encode() + b"\0")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise KnowledgeError(path, f"cannot be read ({exc.strerror})") from exc
        if path in report_set:
            check_report(path, data)  # refuse a binary, empty or unreadable report before building anything
            hashes[path] = hashlib.sha256(data).hexdigest()
        elif path.name != FAQ_FILE:
            analysis.update(path.name.encode() + b"\0" + data + b"\0")
        digest.update(data + b"\0")
    stems = Counter(p.stem for p in reports)
    dupes = [s for s, n in stems.items() if n > 1]
    if dupes:
        raise KnowledgeError(knowledge_dir, f"two reports share the name {dupes[0]!r}; report names must be unique")
    return KnowledgeFiles(knowledge_dir, reports, curated, digest.hexdigest(), analysis.hexdigest(), hashes)


def store_path(data_dir: Path, digest: str) -> Path:
    return data_dir / f"store-{digest[:16]}.db"


def analyzer_for(curated: Curated) -> Analyzer:
    all_corrections: dict[str, str] = {}
    for c in curated.corrections:
        all_corrections.setdefault(c.wrong, c.right)
    return Analyzer(all_corrections, curated.synonyms,
                    curated.words + alias_words([(a, f) for a, forms in curated.aliases for f in forms]))


# Worker state for parallel builds: each process loads jieba once.
_worker: tuple[Curated, Analyzer] | None = None


def _init_worker(curated: Curated, parent: int) -> None:
    global _worker
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    _worker = (curated, analyzer_for(curated))


def _exit_with_parent(parent: int) -> None:
    """A build killed with -9 cannot stop its workers, which would wait for work for ever (holding
    its temporary file): they stop themselves once it is gone."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _analyse(path: Path) -> tuple[ParsedReport, list[dict], list[dict]]:
    assert _worker is not None
    curated, analyzer = _worker
    return analyse_report(path, curated, analyzer)


def analyse_report(path: Path, curated: Curated, analyzer: Analyzer) -> tuple[ParsedReport, list[dict], list[dict]]:
    """Parse one report and turn its sections and facts into store rows."""
    report = parse_file(path, curated.corrections_for(path.stem))
    sections = []
    for s in report.sections:
        match = analyzer.match_form(s.title)
        tokens = analyzer.tokens(match)
        sections.append({
            "doc": s.doc, "path": json.dumps(list(s.path)), "depth": len(s.path), "marker": s.marker,
            "title": s.title, "heading": s.heading, "label": s.label, "match_text": match,
            "tokens": " ".join(tokens), "index_terms": " ".join(index_terms(tokens)), "body": "\n".join(s.body),
            "openings": "\n".join(s.openings),
        })
    facts = []
    for f in report.facts:
        match = analyzer.match_form(f.text)
        tokens = analyzer.tokens(match)
        facts.append({
            "doc": f.doc, "path": json.dumps(list(f.path)), "seq": f.seq, "text": f.text, "original": f.original,
            "match_text": match, "tokens": " ".join(tokens), "index_terms": " ".join(index_terms(tokens)),
            "features": json.dumps(features.extract(f.text, analyzer.people, analyzer.places), ensure_ascii=False),
        })
    return report, sections, facts


def _analysed(reports: list[Path], curated: Curated,
              progress: Callable[[str], None]) -> Iterator[tuple[ParsedReport, list[dict], list[dict]]]:
    total = len(reports)
    workers = min(usable_cpus(), total)
    if total >= PARALLEL_FROM and workers > 1:
        # spawn, not fork: forking a running, threaded bot copies its locks in whatever state they are.
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_worker, initargs=(curated, os.getpid()))
        try:
            for i, result in enumerate(pool.map(_analyse, reports, chunksize=8), 1):
                _check_abandoned()
                if i % 100 == 0 or i == total:
                    progress(f"analysed {i}/{total} reports")
                yield result
        finally:  # abandoned or failed: the reports not started yet are not analysed for nothing
            pool.shutdown(wait=True, cancel_futures=True)
    elif reports:
        analyzer = analyzer_for(curated)
        for path in reports:
            _check_abandoned()
            yield analyse_report(path, curated, analyzer)


def build(knowledge_dir: Path, data_dir: Path, progress: Callable[[str], None] = lambda _m: None) -> Path:
    """Build (or find already built) the store for this knowledge; return its path."""
    files = scan(knowledge_dir)
    target = store_path(data_dir, files.digest)
    if target.exists() and _complete(target):
        return target
    started = time.monotonic()
    curated = read_curated(knowledge_dir)
    for path in files.curated:
        encoding = decode_text(path, path.read_bytes())[1]
        if encoding in LEGACY_ENCODINGS:
            progress(f"{path.name} was read as {encoding.upper()}")
    data_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_tmp(data_dir)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}-{threading.get_native_id()}")
    tmp.unlink(missing_ok=True)
    try:
        with tmp.open("wb") as held:
            _lock(held, shared=False)  # released when this process ends, however it ends
            previous = _previous(data_dir, files.analysis)
            if previous is None or not _update(previous, tmp, files, curated, progress):
                _write(tmp, files, curated, progress, previous)
        _check_abandoned()
        os.replace(tmp, target)  # just written: too fresh for another build to think it stale
    except sqlite3.OperationalError:
        _check_abandoned()  # "interrupted" by the stop flag (see _open_tmp): say so
        raise
    finally:
        tmp.unlink(missing_ok=True)
    log.info("built %s in %.1fs", target.name, time.monotonic() - started)
    _prune(data_dir, keep=target)
    return target


def _meta(path: Path) -> dict[str, str]:
    """A store's meta table; empty for a file that is not a readable store."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return dict(conn.execute("select key, value from meta"))
    except sqlite3.Error:
        return {}


def _complete(path: Path) -> bool:
    return _meta(path).get("complete") == "1"


def _stores_newest_first(data_dir: Path) -> list[Path]:
    return sorted(data_dir.glob("store-*.db"), key=_mtime, reverse=True)


def serving_candidates(data_dir: Path) -> list[Path]:
    """Complete stores of this version, newest first: what can serve when the knowledge does not build."""
    return [s for s in _stores_newest_first(data_dir)
            if (meta := _meta(s)).get("complete") == "1" and meta.get("schema") == SCHEMA_VERSION]


SECTION_COLUMNS = ("doc", "path", "depth", "marker", "title", "heading", "label", "match_text", "tokens",
                   "index_terms", "body", "openings")
FACT_COLUMNS = ("doc", "path", "seq", "text", "original", "match_text", "tokens", "index_terms", "features")
DOCUMENT_COLUMNS = ("doc", "title", "chars", "sections", "facts", "file_hash", "file", "encoding", "year", "issuer",
                    "warnings")


def _previous(data_dir: Path, analysis: str) -> Path | None:
    """The newest complete store analysed the same way: its rows for unchanged reports are reused."""
    for candidate in _stores_newest_first(data_dir):
        meta = _meta(candidate)
        if meta.get("complete") == "1" and meta.get("analysis") == analysis:
            return candidate
    return None


def _create_tables(db: sqlite_utils.Database) -> None:
    text = {c: str for c in SECTION_COLUMNS} | {"depth": int}
    db["sections"].create(text)
    db["facts"].create({c: str for c in FACT_COLUMNS} | {"seq": int})
    db["documents"].create({c: str for c in DOCUMENT_COLUMNS} | {"chars": int, "sections": int, "facts": int,
                                                                 "year": int}, pk="doc")


def _insert(db: sqlite_utils.Database, table: str, columns: tuple[str, ...], rows: list[dict]) -> None:
    """Plain executemany: the archive has hundreds of thousands of rows and they need no conversion."""
    marks = ", ".join("?" * len(columns))
    db.conn.executemany(f"insert into {table} ({', '.join(columns)}) values ({marks})",
                        ([r[c] for c in columns] for r in rows))


def _reuse(db: sqlite_utils.Database, previous: Path, files: KnowledgeFiles) -> set[str]:
    """Copy the rows of every report unchanged since the previous store; return their names."""
    db.conn.execute("attach database ? as prev", (f"file:{previous}?mode=ro",))
    wanted = {p.stem: h for p, h in files.hashes.items()}
    same = [doc for doc, h in db.conn.execute("select doc, file_hash from prev.documents") if wanted.get(doc) == h]
    # One pass per table: a query per report scanned the whole table each time (minutes at 3,000).
    db.conn.execute("create temp table same (doc text primary key)")
    db.conn.executemany("insert into temp.same values (?)", ((doc,) for doc in same))
    for table, columns in (("sections", SECTION_COLUMNS), ("facts", FACT_COLUMNS), ("documents", DOCUMENT_COLUMNS)):
        cols = ", ".join(columns)
        db.conn.execute(f"insert into {table} ({cols}) select {cols} from prev.{table} "
                        "where doc in (select doc from temp.same) order by rowid")
    db.conn.commit()
    db.conn.execute("drop table temp.same")
    db.conn.execute("detach database prev")
    return set(same)


def _write(path: Path, files: KnowledgeFiles, curated: Curated, progress: Callable[[str], None],
           previous: Path | None = None) -> None:
    db = _open_tmp(path)
    _create_tables(db)
    reused = _reuse(db, previous, files) if previous else set()
    if reused:
        progress(f"reused {len(reused)} unchanged reports from {previous.name if previous else ''}")
    _add_reports(db, files, [p for p in files.reports if p.stem not in reused], curated, progress)
    _check_facts(db, files)
    _write_curated(db, curated)
    _index(db)
    _write_meta(db, files)
    db.conn.commit()
    db.close()


def _open_tmp(path: Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(path)
    db.conn.execute("pragma journal_mode = off")  # a temp file: the rename is the commit
    db.conn.execute("pragma synchronous = off")
    # A long statement (indexing an archive) stops with "interrupted" once the process is stopping.
    db.conn.set_progress_handler(_abandoned.is_set, ABANDON_CHECK_STEPS)
    return db


def _add_reports(db: sqlite_utils.Database, files: KnowledgeFiles, reports: list[Path], curated: Curated,
                 progress: Callable[[str], None]) -> None:
    """Analyse the reports and insert their rows (sections, facts, documents); not indexed yet."""
    for report, sections, facts in _analysed(reports, curated, progress):
        if not facts and not report.chars:
            continue
        path = next(p for p in reports if p.stem == report.doc)
        if report.encoding in LEGACY_ENCODINGS:
            progress(f"{path.name} was read as {report.encoding.upper()}")
        _insert(db, "sections", SECTION_COLUMNS, sections)
        _insert(db, "facts", FACT_COLUMNS, facts)
        _insert(db, "documents", DOCUMENT_COLUMNS, [{
            "doc": report.doc, "title": report.title, "chars": report.chars, "sections": len(sections),
            "facts": len(facts), "file_hash": files.hashes[path], "file": str(path.relative_to(files.root)),
            "encoding": report.encoding, "year": report.year, "issuer": report.issuer,
            "warnings": json.dumps(report.warnings, ensure_ascii=False),
        }])


def _check_facts(db: sqlite_utils.Database, files: KnowledgeFiles) -> None:
    if not db.execute("select count(*) from facts").fetchone()[0]:
        raise KnowledgeError(files.root, "has no report with any text; add a report (.txt, .md, .docx or a PDF with text)")


def _write_curated(db: sqlite_utils.Database, curated: Curated) -> None:
    for table in ("synonyms", "corrections", "words", "faq"):
        db[table].drop(ignore=True)  # an update starts from the previous store's
    db["synonyms"].insert_all(
        [{"canonical": c, "variant": v} for c, vs in curated.synonyms for v in vs], batch_size=1000
    )
    db["corrections"].insert_all([c.__dict__ for c in curated.corrections])
    db["words"].insert_all([{"word": w, "freq": f, "tag": t} for w, f, t in curated.words])
    db["aliases"].insert_all([{"alias": a, "full": f} for a, forms in curated.aliases for f in forms])
    db["faq"].insert_all([_faq_row(e) for e in curated.faq])


def _write_meta(db: sqlite_utils.Database, files: KnowledgeFiles) -> None:
    db["meta"].drop(ignore=True)
    db["meta"].insert_all([
        {"key": "digest", "value": files.digest}, {"key": "analysis", "value": files.analysis},
        {"key": "schema", "value": SCHEMA_VERSION}, {"key": "built_at", "value": time.strftime("%Y-%m-%dT%H:%M:%S")},
        {"key": "complete", "value": "1"},
    ], pk="key")


# Above this share of the reports changed, a fresh file costs less than deleting and reinserting.
UPDATE_UP_TO = 0.25


def _update(previous: Path, path: Path, files: KnowledgeFiles, curated: Curated,
            progress: Callable[[str], None]) -> bool:
    """Write the new store as a copy of the previous one with only the changed reports' rows replaced
    (and their full-text entries), the curated tables and term statistics rewritten. False, and
    nothing written, when too much changed for that to pay."""
    wanted = {p.stem: h for p, h in files.hashes.items()}
    with hold(previous), sqlite3.connect(f"file:{previous}?mode=ro", uri=True) as conn:
        had = dict(conn.execute("select doc, file_hash from documents"))
        stale = [doc for doc, h in had.items() if wanted.get(doc) != h]
        changed = [p for p in files.reports if had.get(p.stem) != files.hashes[p]]
        if len(set(stale) | {p.stem for p in changed}) > UPDATE_UP_TO * len(files.reports):
            return False
        shutil.copyfile(previous, path)  # held: no pruning removes it meanwhile
    progress(f"updating {previous.name}: {len(changed)} reports new or changed, {len(stale)} removed or changed")
    db = _open_tmp(path)
    for doc in stale:
        for table in ("facts", "sections"):  # external-content FTS5: told what it indexed, then the rows go
            db.execute(f"insert into {table}_fts({table}_fts, rowid, index_terms) "
                       f"select 'delete', rowid, index_terms from {table} where doc = ?", [doc])
            db.execute(f"delete from {table} where doc = ?", [doc])
        db.execute("delete from documents where doc = ?", [doc])
    last = {t: db.execute(f"select coalesce(max(rowid), 0) from {t}").fetchone()[0] for t in ("facts", "sections")}
    _add_reports(db, files, changed, curated, progress)
    for table, after in last.items():
        db.execute(f"insert into {table}_fts(rowid, index_terms) select rowid, index_terms from {table} "
                   "where rowid > ?", [after])
    _check_facts(db, files)
    _write_curated(db, curated)
    _term_stats(db)
    _write_meta(db, files)
    db.conn.commit()
    db.close()
    return True


def _faq_row(e) -> dict:
    return {"question": e.question, "alternates": json.dumps(list(e.alternates), ensure_ascii=False),
            "answer": e.answer, "doc": e.doc, "section": e.section, "line": e.line}


def _index(db: sqlite_utils.Database) -> None:
    db.execute("create virtual table facts_fts using fts5(index_terms, content='facts', content_rowid='rowid')")
    db.execute("insert into facts_fts(rowid, index_terms) select rowid, index_terms from facts")
    db.execute("create virtual table sections_fts using fts5(index_terms, content='sections', content_rowid='rowid')")
    db.execute("insert into sections_fts(rowid, index_terms) select rowid, index_terms from sections")
    db["facts"].create_index(["doc", "seq"], if_not_exists=True)
    _term_stats(db)


def _term_stats(db: sqlite_utils.Database) -> None:
    """Term statistics from the full-text indexes: rewritten whole by a build and by an update."""
    db["vocab"].drop(ignore=True)
    # Document frequencies straight from the full-text index; words only headings use (2010 in
    # 二、2010年主要任务) are report words too, with a frequency of one.
    db.execute("create virtual table if not exists temp.facts_terms using fts5vocab(main, facts_fts, 'row')")
    db.execute("create virtual table if not exists temp.section_terms using fts5vocab(main, sections_fts, 'row')")
    db["vocab"].create({"term": str, "df": int, "pinyin": str}, pk="term")
    db.execute("insert into vocab (term, df) select term, doc from temp.facts_terms")
    db.execute("insert or ignore into vocab (term, df) select term, 1 from temp.section_terms")
    db.conn.executemany("update vocab set pinyin = ? where term = ?", (
        (pinyin_key(t), t) for (t,) in db.execute("select term from vocab where length(term) between 2 and 5")
        if all("\u3400" <= c <= "\u9fff" for c in t)
    ))
    for table in ("facts", "sections"):
        _postings(db.conn, table)
    db.conn.commit()


BM25_K1, BM25_B = 1.2, 0.75  # FTS5's own bm25() defaults: the candidates rank as `order by rank` did


def _postings(conn: sqlite3.Connection, table: str) -> None:
    """Impact postings (`{table}_postings`): per term, the rowids of the statements (or sections)
    holding it, ascending, as int32 bytes, and each one's BM25 weight of the term as float32 bytes,
    so a question's candidates are a few array sums (see Engine._search), not full-text queries.

    Archives repeat boilerplate word for word across reports: only the first row of each wording
    is posted, so sixty copies of one sentence cannot crowd out the rest. The weights count every
    row, as the full-text index does."""
    conn.execute(f"drop table if exists {table}_postings")
    conn.execute(f"create table {table}_postings (term text primary key, rowids blob, impacts blob) without rowid")
    n_rows, last = conn.execute(f"select count(*), coalesce(max(rowid), 0) from {table}").fetchone()
    if not n_rows:
        return
    first = np.zeros(last + 1, dtype=bool)
    first[np.fromiter((r for (r,) in conn.execute(f"select min(rowid) from {table} group by match_text")),
                      dtype=np.int64)] = True
    # Every occurrence of every term, from the full-text index itself (so the terms are its tokens,
    # the vocab table's), in term order then row order: the rows' numbers only, cut into terms by
    # each term's count of occurrences, so nothing per occurrence is a Python object.
    conn.execute(f"create virtual table if not exists temp.{table}_instances using fts5vocab(main, {table}_fts, 'instance')")
    conn.execute(f"create virtual table if not exists temp.{table}_counts using fts5vocab(main, {table}_fts, 'row')")
    vocabulary = conn.execute(f"select term, cnt from temp.{table}_counts").fetchall()
    if not vocabulary:  # rows without a term (a report of headings only, no words indexed)
        return
    terms, counts = zip(*vocabulary, strict=True)
    occurrences = np.fromiter((r for (r,) in conn.execute(f"select doc from temp.{table}_instances")), dtype=np.int32)
    ends = np.cumsum(counts)
    if ends[-1] != occurrences.size:  # the two views of the index disagree: a bug, never a wrong posting
        raise RuntimeError(f"{table}_fts: {occurrences.size} occurrences, {ends[-1]} counted")
    term_of = np.repeat(np.arange(len(terms), dtype=np.int32), counts)
    # One posting per (term, row): where either changes; its term frequency is the run's length.
    start = np.flatnonzero(np.r_[True, (np.diff(occurrences) != 0) | (np.diff(term_of) != 0)])
    rows, posting_term = occurrences[start], term_of[start]
    tf = np.diff(np.r_[start, occurrences.size]).astype(np.float64)
    length = np.bincount(rows, weights=tf, minlength=last + 1)
    df = np.bincount(posting_term, minlength=len(terms))
    idf = np.maximum(np.log((n_rows - df + 0.5) / (df + 0.5)), 1e-6)  # FTS5's idf, floored as it floors it
    norm = tf + BM25_K1 * (1 - BM25_B + BM25_B * length[rows] / (length.sum() / n_rows))
    impact = (idf[posting_term] * tf * (BM25_K1 + 1) / norm).astype(np.float32)
    keep = first[rows]
    rows, posting_term, impact = rows[keep], posting_term[keep], impact[keep]
    bounds = np.searchsorted(posting_term, np.arange(len(terms) + 1))
    conn.executemany(f"insert into {table}_postings values (?, ?, ?)", (
        (term, rows[a:b].tobytes(), impact[a:b].tobytes())
        for term, a, b in zip(terms, bounds[:-1], bounds[1:], strict=True) if b > a
    ))
    conn.execute(f"drop table temp.{table}_counts")
    conn.execute(f"drop table temp.{table}_instances")


@dataclass(frozen=True)
class ReportSummary:
    """What the build tells of one report."""

    doc: str
    file: str
    title: str
    encoding: str
    year: int | None
    issuer: str
    levels: list[int]  # sections per numbering level, outermost first
    statements: int
    warnings: list[str]


def summary(path: Path) -> list[ReportSummary]:
    """Each report in a store as the build reports it, in file order."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        depths: dict[str, Counter[int]] = {}
        for doc, depth, n in conn.execute("select doc, depth, count(*) from sections where path != '[0]' "
                                          "group by doc, depth"):
            depths.setdefault(doc, Counter())[depth] = n
        rows = conn.execute("select doc, file, title, encoding, year, issuer, facts, warnings from documents "
                            "order by file").fetchall()
    return [ReportSummary(doc, file, title, encoding, year, issuer, _per_level(depths.get(doc, Counter())), facts,
                          json.loads(warnings)) for doc, file, title, encoding, year, issuer, facts, warnings in rows]


def _per_level(depths: Counter[int]) -> list[int]:
    return [depths[d] for d in range(1, max(depths, default=0) + 1)]


def outline(path: Path, doc: str) -> list[tuple[tuple[int, ...], str, int]]:
    """(path, heading, statements) of every section of one report, in order; empty if it is not there."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        counts = dict(conn.execute("select path, count(*) from facts where doc = ? group by path", (doc,)))
        rows = conn.execute("select path, heading from sections where doc = ? order by rowid", (doc,)).fetchall()
    return [(tuple(json.loads(p)), heading, counts.get(p, 0)) for p, heading in rows]


def hold(path: Path) -> IO[bytes]:
    """Mark a store as serving for as long as the returned file stays open: pruning passes it by."""
    held = path.open("rb")
    _lock(held, shared=True)
    return held


def _lock(file: IO[bytes], shared: bool, wait: bool = True) -> bool:
    """flock the file; False if `wait` is off and someone else holds it."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(file, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if wait else fcntl.LOCK_NB))
        return True
    except BlockingIOError:
        return False


def _remove_if_unused(path: Path, min_age: float = 0.0) -> None:
    """Delete the file unless someone holds it (or it is younger than min_age seconds)."""
    try:
        if time.time() - path.stat().st_mtime < min_age:
            return
        with path.open("rb") as f:
            if _lock(f, shared=False, wait=False):
                path.unlink()
    except OSError:
        pass  # gone already, or not ours to delete


def _remove_stale_tmp(data_dir: Path) -> None:
    """Temporary files of builds that died (kill -9, power cut) are never finished: remove them."""
    if fcntl is not None:
        for tmp in data_dir.glob("store-*.db.tmp-*"):
            _remove_if_unused(tmp, min_age=STALE_TMP_SECONDS)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0  # removed meanwhile by another build's pruning


def _prune(data_dir: Path, keep: Path) -> None:
    """Keep the newest stores (the one serving and the one before it); drop older ones that no
    engine holds."""
    for old in [s for s in _stores_newest_first(data_dir) if s != keep][KEEP_STORES - 1:]:
        _remove_if_unused(old)

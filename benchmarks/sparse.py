"""The strong anchor: bm25s (BM25 scores precomputed into a sparse matrix) over the store's facts.

bm25s is a benchmark-only extra (`pip install -e ".[bench]"`); nothing in `bot/` imports it, and
`available()` lets the harness leave the bm25s figures out when it is absent.

- `SparseIndex.build(store_file)`: the jieba tokens of every fact (the store's `tokens` column, the
  same sentences the bot answers from) indexed by `bm25s.BM25` with its defaults (Lucene BM25,
  k1 1.5, b 0.75); timed from reading the store to the index being ready.
- `SparseIndex.best(terms)`: a question's terms → the best fact (the scores of every fact are a few
  column sums; the top one taken, as the rank_bm25 baseline does).
- cold start: `python -m benchmarks.sparse INDEX_DIR QUESTION` loads a saved index and answers one
  question tokenised by plain jieba; the harness times process start → the answer line.
"""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def available() -> bool:
    """True when bm25s (and numpy) can be imported."""
    return importlib.util.find_spec("bm25s") is not None


@dataclass
class SparseIndex:
    retriever: Any  # bm25s.BM25
    index_s: float
    facts: int

    @classmethod
    def build(cls, store_file: Path) -> SparseIndex:
        import bm25s

        started = time.perf_counter()
        with sqlite3.connect(f"file:{store_file}?mode=ro", uri=True) as conn:
            tokenized = [t.split() for (t,) in conn.execute("select tokens from facts order by rowid")]
        retriever = bm25s.BM25()
        retriever.index(tokenized, show_progress=False)
        return cls(retriever, time.perf_counter() - started, len(tokenized))

    def best(self, terms: list[str]) -> int | None:
        """Row number of the best-scoring fact, None when no term is in the vocabulary."""
        ids = self.retriever.get_tokens_ids(terms)
        if not ids:
            return None
        return int(self.retriever.get_scores_from_ids(ids).argmax())

    def save(self, folder: Path) -> None:
        self.retriever.save(str(folder))


def _answer_one(index_dir: str, question: str) -> int:
    """The cold-start process: load the saved index, tokenise with jieba, print the best fact's row."""
    import bm25s
    import jieba

    retriever = bm25s.BM25.load(index_dir)
    jieba.initialize()
    terms = [t for t in jieba.lcut(question) if t.strip() and any(c.isalnum() for c in t)]
    ids = retriever.get_tokens_ids(terms)
    best = int(retriever.get_scores_from_ids(ids).argmax()) if ids else -1
    print(best, flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: python -m benchmarks.sparse INDEX_DIR QUESTION", file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(_answer_one(sys.argv[1], sys.argv[2]))

"""One analyzer for both sides: the same folding, synonyms and segmentation for facts and questions."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import jieba
from pypinyin import lazy_pinyin

from .lexicon import items
from .normalize import Replacer, fold, synonym_map

jieba.setLogLevel(logging.WARNING)


def _word_set(*lines: str) -> frozenset[str]:
    return frozenset(w for line in lines for w in line.split())


# Words that carry the *form* of a question, not its topic. Their meaning is used by the
# question-type check; for matching they are noise.
QUESTION_WORDS = _word_set(
    "这份 那份 这篇 那篇 这次 那次 该 本次 特别 特殊 独特 之处 特别之处",
    "真正 真的 实际上 究竟 到底 一般 通常 总体上 总的来说",
    "哪些地方 什么地方 哪个地方 哪些东西 什么东西 有人 一年 下来 一年下来 这一年 全年度",
    "部分 这部分 这一部分 总体 整体 讲了 主要讲 一块 这一块 板块 有没有 是不是 有无 是否 哪些 什么样",
    "多少 几 几个 几次 几家 几位 几名 几所 几项 多大 多长 多久 多高 几多 哪些 哪个 哪位 哪里 哪儿 哪 哪天 哪一天 哪一年 哪年",
    "何时 何地 何人 什么 啥 咋 怎么 怎样 怎么样 如何 为何 为什么 谁 是否 有没有 有无 吗 呢 吧 呀 啊 嘛 么 请问",
    "问 问下 问一下 想问 想 知道 了解 一下 告诉 我 你 您 你们 我们 他们 的 了 是 在 有 和 与 及 把",
    "被 对 为 给 让 向 从 到 都 也 还 又 就 这 那 这个 那个 这些 那些 其 之 所 以 而",
    "或 并 等 个 些 年 中 里 上 下 时 后 前 过 着 做 做了 干 干了 搞 办了 做过 开展了 方面",
    "有关 关于 情况 具体 主要 哪方面 多少次 共 一共 总共 合计 总计 到底 究竟 大概 大约 约 左右 好 很 最 更 吗？",
    "呢？ 报告 总结 工作总结 文中 里面 提到 说 讲 写 是不是 能不能 可以 可不可以 应该 需要 用 用来 干什么 干嘛 作用 来 去 人",
    "些什么 哪几 哪几个 多 少 几号 几月 什么时候 去年 今年 全年 本年 年度 哪一 那么 怎么回事 内容 东西 事 事情 一些 主要 都有 有些",
    "谢谢 你好 您好 麻烦 帮忙 帮我 查 查一下",
)
# Phrases that only frame a question; jieba would cut them into odd pieces (这一部分 → 一部 + 分).
FILLER = re.compile(r"[这那]一?部分|[这那]一?块|[这那]方面|主要讲了?|主要说了?|讲了?(?:些)?(?:啥|什么)|说了?(?:些)?(?:啥|什么)|"
                    r"有没有|是不是|能不能|可不可以|请问一下|想问一下|想了解一下|麻烦问一下|"
                    r"什么地方|哪些地方|哪个地方|什么时候|什么样")
_ASKS_COUNT = re.compile(r"(?:几|多少)[\u4e00-\u9fff]?")  # 几场, 几届, 多少次: the form of a number question
SURNAMES = frozenset(items("surnames"))
_TOKEN_OK = re.compile(r"[\w\u3400-\u9fff]")


class Analyzer:
    """Turns text into the match form and the terms the index and the scorer use."""

    def __init__(self, corrections: dict[str, str], synonyms: Iterable[tuple[str, Iterable[str]]],
                 words: Iterable[tuple[str, int | None, str | None]]):
        self.corrections = Replacer({fold(k): fold(v) for k, v in corrections.items()})
        mapping = synonym_map(synonyms)
        # Single characters are only swapped as whole tokens: as substrings they would break words.
        self.phrase_synonyms = Replacer({k: v for k, v in mapping.items() if len(k) > 1})
        self.token_synonyms = {k: v for k, v in mapping.items() if len(k) == 1}
        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.initialize()
        self.word_tags: dict[str, str] = {}
        for word, freq, tag in words:
            canonical = self.match_form(word)
            self.tokenizer.add_word(canonical, freq or 2000, tag)
            if tag:
                self.word_tags[canonical] = tag
        self.people = frozenset(w for w, t in self.word_tags.items() if t == "nr")
        self.places = frozenset(w for w, t in self.word_tags.items() if t == "ns")

    def is_common_word(self, word: str) -> bool:
        """A word of jieba's general dictionary (收到), as opposed to a typo (华桥)."""
        return bool(self.tokenizer.FREQ.get(word))

    def token_spans(self, match_text: str) -> list[tuple[int, int]]:
        """(start, end) of each jieba token."""
        return [(a, b) for _w, a, b in self.tokenizer.tokenize(match_text)]

    def word_spans(self, match_text: str) -> list[tuple[int, int]]:
        """(start, end) of each dictionary word of two or more characters jieba finds in the text."""
        return [(a, b) for a, b in self.token_spans(match_text) if b - a > 1 and self.is_common_word(match_text[a:b])]

    @lru_cache(maxsize=4096)  # noqa: B019 - one analyzer per store, statements asked about again and again
    def names(self, match_text: str) -> tuple[tuple[str, str], ...]:
        """Proper names in a text, each with its tag: words jieba's dictionary tags as a person (nr*),
        place (ns*) or organisation (nt), the admin's tagged words, and new words jieba's model
        forms that start with a surname (王光宇) — people without a title before the name."""
        tags = proper_names()
        out = []
        for tok in self.tokenizer.cut(match_text):
            tag = self.word_tags.get(tok) or tags.get(tok)
            if tag is None and 2 <= len(tok) <= 3 and tok[0] in SURNAMES and not self.tokenizer.FREQ.get(tok):
                tag = "nr"
            if tag and (tag.startswith(("nr", "ns")) or tag == "nt"):
                out.append((tok, tag))
        return tuple(out)

    def match_form(self, text: str) -> str:
        """Folded, artifact forms corrected, synonyms folded to their canonical word."""
        return self.phrase_synonyms(self.corrections(fold(text)))

    def tokens(self, match_text: str) -> list[str]:
        """jieba tokens of a match-form text, without punctuation."""
        out = []
        for tok in self.tokenizer.cut(match_text):
            tok = tok.strip()
            if tok and _TOKEN_OK.search(tok):
                out.append(self.token_synonyms.get(tok, tok))
        return out

    def terms(self, match_text: str) -> list[str]:
        """Content terms of a question: tokens minus question words, order kept, no repeats."""
        seen: dict[str, None] = {}
        for tok in self.tokens(FILLER.sub(" ", match_text)):
            if tok not in QUESTION_WORDS and not _ASKS_COUNT.fullmatch(tok):
                seen.setdefault(tok, None)
        return list(seen)


@lru_cache(maxsize=1)
def proper_names() -> dict[str, str]:
    """The words jieba's dictionary tags as names of people, places or organisations, with the tag
    (read on first use: only questions asking who or where need it)."""
    out: dict[str, str] = {}
    with (Path(jieba.__file__).parent / "dict.txt").open(encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and (parts[2].startswith(("nr", "ns")) or parts[2] == "nt"):
                out[parts[0]] = parts[2]
    return out


def alias_words(aliases: Iterable[tuple[str, str]]) -> list[tuple[str, int | None, str | None]]:
    """Both names of every alias pair (aliases.csv), so segmentation keeps them whole on both sides."""
    return [(w, None, None) for pair in aliases for w in pair if not w.isascii()]


def index_terms(tokens: Iterable[str]) -> list[str]:
    """What the full-text index holds for a fact: its tokens and the bigrams inside long tokens,
    so a question that segments a name differently still finds it."""
    out = []
    for tok in tokens:
        out.append(tok)
        if len(tok) >= 3 and tok.isalpha():
            out.extend(tok[i : i + 2] for i in range(len(tok) - 1))
    return out


@lru_cache(maxsize=65536)
def char_pinyin(ch: str) -> str:
    """Toneless pinyin of one character (its most common reading)."""
    return lazy_pinyin(ch)[0]


def pinyin_key(word: str) -> str:
    """Character-by-character pinyin, the same for report words and for a question's spans."""
    return " ".join(char_pinyin(c) for c in word)

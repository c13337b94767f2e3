"""Bad questions: whatever a user sends, the answering path replies with well-formed Telegram HTML.

Property tests over Engine.ask → reply.to_html → reply.split_message: any Unicode, empty and
whitespace-only text, 100 KB messages, HTML/Markdown/SQL/FTS5-looking text, lone command
characters. Never an exception; always an Answer; every part ≤ 4096 characters and valid HTML.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import reply
from bot.answer import Answer, Reference
from bot.matcher import Engine

REPO = Path(__file__).resolve().parent.parent

# What Telegram's HTML parse mode accepts (https://core.telegram.org/bots/api#html-style).
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
                 "tg-emoji", "code", "pre", "blockquote"}
TELEGRAM_ENTITIES = {"lt", "gt", "amp", "quot"}
BARE_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")  # html.parser forgives these

EXAMPLES = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    knowledge = tmp_path_factory.mktemp("knowledge")
    shutil.copytree(REPO / "knowledge", knowledge, dirs_exist_ok=True)
    return Engine.open(knowledge, tmp_path_factory.mktemp("data"))


class TelegramHTML(HTMLParser):
    """Collects what Telegram would reject: unknown tags, unbalanced tags, raw <>&, comments."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in TELEGRAM_TAGS:
            self.problems.append(f"tag <{tag}> is not Telegram HTML")
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"</{tag}> closes nothing open")

    def handle_data(self, data):
        if any(c in data for c in "<>&"):
            self.problems.append(f"unescaped character in {data[:40]!r}")

    def handle_entityref(self, name):
        if name not in TELEGRAM_ENTITIES:
            self.problems.append(f"entity &{name}; is not one Telegram knows")

    def handle_charref(self, name):
        pass  # numeric references are fine

    def handle_comment(self, data):
        self.problems.append("comment")

    def handle_decl(self, decl):
        self.problems.append("declaration")

    def handle_pi(self, data):
        self.problems.append("processing instruction")

    def unknown_decl(self, data):
        self.problems.append("unknown declaration")


def telegram_html_problems(text: str) -> list[str]:
    parser = TelegramHTML()
    parser.feed(text)
    parser.close()
    if BARE_AMPERSAND.search(text):
        parser.problems.append("& that does not start an entity")
    if parser.rawdata:
        parser.problems.append(f"unparsed tail {parser.rawdata[:40]!r}")
    if parser.stack:
        parser.problems.append(f"unclosed tags {parser.stack}")
    return parser.problems


def assert_sendable(answer: Answer) -> list[str]:
    """The reply a channel would send for this answer is valid; return the Telegram parts."""
    assert isinstance(answer, Answer)
    assert isinstance(answer.text, str) and answer.text.strip()
    json.dumps(answer.to_json(), ensure_ascii=False)  # the ask --jsonl contract can always be written
    assert reply.to_plain(answer) == answer.text
    markup = reply.to_html(answer)
    assert telegram_html_problems(markup) == []
    # Escaping loses nothing: stripping the tags and unescaping gives the plain text back.
    assert html.unescape(re.sub(r"</?[a-z]+>", "", markup)) == answer.text
    parts = reply.split_message(markup)
    assert parts
    for part in parts:
        assert 0 < len(part) <= reply.TELEGRAM_LIMIT
        assert telegram_html_problems(part) == []
    return parts


def ask_and_check(engine: Engine, question: str) -> Answer:
    answer = engine.ask(question)
    assert_sendable(answer)
    if not answer.answered:
        assert answer.references == []
    return answer


# ---- strategies ---------------------------------------------------------------------------------

# Every code point, including control characters, surrogates, private use and unassigned ones.
any_char = st.characters(codec=None, categories=None)
cjk_char = st.characters(min_codepoint=0x3400, max_codepoint=0x9FFF)  # so the text reaches the scorer
WHITESPACE = " \t\n\r\x0b\x0c\x85\xa0\u1680\u2000\u2001\u200a\u2028\u2029\u202f\u205f\u3000\u200b\u200c\u200d\u2060\ufeff"
PIECES = [
    # the domain, so pieces land on real candidates and scoring
    "侨务", "华侨", "归侨侨眷", "接待", "多少", "合同外资", "谁", "哪天", "哪些做法", "侨商会", "米兰博士沙龙",
    # FTS5 query syntax and SQL
    '"', '""', "*", "NEAR(", "NEAR(a b, 2)", "AND", "OR", "NOT", "^", ":", "index_terms:", "facts_fts", "(", ")",
    "+", "-", "{index_terms}", "'; DROP TABLE facts; --", "' OR 1=1 --", "%", "_", "\\", "\x00",
    # HTML and Markdown
    "<b>", "</i>", "<script>alert(1)</script>", "&amp;", "&lt;", "&#0;", "&", "<", ">", "<!--", "]]>", "**粗**",
    "_斜_", "`代码`", "```", "[链接](http://x)", "||剧透||", "~~", "#",
    # scripts, direction, emoji, combining marks, full-width forms, compatibility forms
    "مرحبا", "שלום", "\u202e反转\u202c", "\u2067", "\u200f", "👨‍👩‍👧", "🇨🇳", "😀", "e\u0301\u0301\u0301", "侨\u0336\u0336",
    "Ｑ：ｗｈａｔ？", "１２３", "（一）", "ﾊﾝｶｸ", "\ufdfa", "㍻", "\U0002a700", "\U000e0001",
    # lone command characters and commands
    "/", "/start", "/help", "/reload", "/reload@qiaowu_bot", "@", "!", "?", "？", "。", "…", "|",
]
mixed = st.lists(st.one_of(st.sampled_from(PIECES), st.text(any_char, max_size=4)), max_size=16).map("".join)
spaced = st.lists(st.sampled_from(PIECES), min_size=1, max_size=12).map(" ".join)


# ---- properties ---------------------------------------------------------------------------------


@EXAMPLES
@given(question=st.text(any_char, max_size=200) | st.text(st.one_of(cjk_char, any_char), max_size=130))
def test_any_unicode_gets_a_sendable_reply(engine, question):
    ask_and_check(engine, question)


@EXAMPLES
@given(question=st.one_of(mixed, spaced))
def test_markup_sql_fts_and_mixed_scripts_get_a_sendable_reply(engine, question):
    ask_and_check(engine, question)


@EXAMPLES
@given(question=st.text(st.sampled_from(WHITESPACE), max_size=50))
def test_empty_or_whitespace_only_is_declined(engine, question):
    answer = ask_and_check(engine, question)
    assert not answer.answered


@pytest.mark.parametrize(
    "question",
    ["侨" * 100_000, "接待了多少人？" * 15_000, "a " * 50_000, "<b>&" * 25_000, "\ufdfa" * 3_000,
     "e" + "\u0301" * 100_000, "\n" * 100_000, "😀" * 50_000],
    ids=["cjk", "question-repeated", "latin", "markup", "nfkc-expanding", "combining", "newlines", "emoji"],
)
def test_100kb_questions_are_declined_politely(engine, question):
    answer = ask_and_check(engine, question)
    assert not answer.answered


@pytest.mark.parametrize("question", ["/", "@", "#", "*", "_", "`", "~", "|", ">", "\\", "!", "?", '"', "^", ":",
                                      "(", "NEAR(", "AND", "NOT", "OR", "&", "<", "\x00", "\u202e", "\u200b"])
def test_lone_command_and_syntax_characters(engine, question):
    answer = ask_and_check(engine, question)
    assert not answer.answered


@pytest.mark.parametrize(
    "question",
    ['侨务"', '"侨务" AND "华侨"', "侨务*", "NEAR(侨务 华侨, 1)", "侨务 NOT 华侨", "^侨务", "index_terms:侨务",
     "侨务 OR", "(侨务", "侨务)", "{index_terms}: 侨务", "接待'; DROP TABLE facts; --多少", "合同外资<b>引进</b>了多少",
     "合同外资\u202e引进了多少", "合同外资引进了多少" + "\u0301" * 5],
)
def test_query_syntax_around_real_words_still_answers_safely(engine, question):
    ask_and_check(engine, question)


def test_the_store_is_intact_after_injection_attempts(engine):
    for question in ["'; DROP TABLE facts; --", "侨务'); DELETE FROM facts; --", '") OR 1=1 --']:
        ask_and_check(engine, question)
    assert engine.ask("合同外资引进了多少").answered


# ---- the reply format on its own: any text an answer can carry ----------------------------------


@EXAMPLES
@given(text=st.text(any_char, min_size=1, max_size=300).filter(str.strip),
       label=st.text(any_char, max_size=40))
def test_any_answer_text_renders_as_telegram_html(text, label):
    ref = Reference("doc", "标题<&>", (1, 2), label)
    for answer in (Answer("q", True, reply.fact_text([text], [ref]), [ref], 1.0),
                   Answer("q", True, reply.section_text(text, [(text, text), (None, text)], ref), [ref], 1.0),
                   Answer("q", False, reply.decline_text(text, [text, label or "x"]))):
        assert_sendable(answer)

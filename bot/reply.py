"""How an answer reads: plain text (console, JSON) and Telegram HTML. Short enough for a phone."""

from __future__ import annotations

import html
import re

from .answer import Answer, Reference

TELEGRAM_LIMIT = 4096
FACT_CHARS = 160  # a key fact in a section summary is cut here
SOURCE = "出处："
SUGGEST = "你可能想问："
OTHERS = "其他报告也有相关内容："


def source_line(ref: Reference) -> str:
    report = f"{ref.title}（{ref.about}）" if ref.about else ref.title
    return f"{SOURCE}{report} › {ref.label}" if ref.label else f"{SOURCE}{report}"


def fact_text(facts: list[str], refs: list[Reference]) -> str:
    """The facts that answer, then where they stand."""
    body = "\n".join(facts) if len(facts) == 1 else "\n".join(f"• {f}" for f in facts)
    sources = "\n".join(source_line(r) for r in refs)
    return f"{body}\n\n{sources}" if sources else body


def _cut(text: str, limit: int = FACT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section_text(heading: str, lines: list[tuple[str | None, str]], ref: Reference) -> str:
    """A section summary: each point's title with its key fact, or the section's own facts."""
    rows = []
    for title, fact in lines:
        if title:
            rows.append(f"• {title}" + (f"：{_cut(fact)}" if fact else ""))
        elif fact:
            rows.append(f"• {_cut(fact)}")
    return f"【{heading}】\n" + "\n".join(rows) + f"\n\n{source_line(ref)}"


def decline_text(why: str, suggestions: list[str]) -> str:
    if not suggestions:
        return why
    return why + "\n" + SUGGEST + "\n" + "\n".join(f"· {s}" for s in suggestions)


def to_plain(answer: Answer) -> str:
    return answer.text


def to_html(answer: Answer) -> str:
    """Telegram HTML: every dynamic string escaped; the source line in italics; the asked item
    (the answer's span) in bold where it first stands."""
    out = []
    # Only a span with a figure or a Chinese character: a Latin one might match inside an entity.
    telling = answer.answered and answer.span and re.search(r"[\d\u3400-\u9fff]", answer.span)
    span = html.escape(answer.span or "", quote=False) if telling else ""
    for line in answer.text.split("\n"):
        escaped = html.escape(line, quote=False)
        if span and span in escaped and not line.startswith((SOURCE, "【")):
            out.append(escaped.replace(span, f"<b>{span}</b>", 1))
            span = ""
        elif line.startswith(SOURCE):
            out.append(f"<i>{escaped}</i>")
        elif line.startswith("【") and line.endswith("】"):
            out.append(f"<b>{escaped}</b>")
        else:
            out.append(escaped)
    return "\n".join(out)


_WRAPPED = re.compile(r"<(i|b)>(.*)</\1>", re.S)


def _cut_line(line: str, limit: int) -> list[str]:
    """Cut one over-long line into pieces within the limit, never inside an HTML entity, and
    with a line-wide <i>/<b> closed and reopened on each piece."""
    m = _WRAPPED.fullmatch(line)
    open_tag, close_tag, inner = (f"<{m.group(1)}>", f"</{m.group(1)}>", m.group(2)) if m else ("", "", line)
    room = limit - len(open_tag) - len(close_tag)
    pieces = []
    while inner:
        cut = min(room, len(inner))
        amp = inner.rfind("&", max(0, cut - 10), cut)
        if cut < len(inner) and amp != -1 and ";" not in inner[amp:cut]:
            cut = amp  # an entity such as &amp; would straddle the cut
        pieces.append(f"{open_tag}{inner[:cut]}{close_tag}")
        inner = inner[cut:]
    return pieces


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split at line breaks so each part fits Telegram's limit; a single long line is cut hard.

    Works on plain or on line-wise HTML (as to_html makes it: tags never span lines).
    """
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        if len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            pieces = _cut_line(line, limit)
            parts.extend(pieces[:-1])
            line = pieces[-1]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        parts.append(current)
    return [p for p in parts if p.strip()] or [text[:limit] or "…"]

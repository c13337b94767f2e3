"""Inline mode: `@bot 问题` in any chat offers answers to pick from."""

from __future__ import annotations

from telegram import InlineQueryResultArticle, InlineQueryResultsButton, InputTextMessageContent, Update

from ..answer import Answer
from ..reply import split_message, to_html
from .context import Context
from .send import quiet
from .texts import short

INLINE_RESULTS = 5


def result_title(answer: Answer) -> str:
    """What a result is called in the list: the exact item asked when the engine gives it, else the first line."""
    first_line = next((line for line in answer.text.split("\n") if line.strip()), answer.question)
    return short(answer.span or first_line, 60)  # `span`: the asked item as the report says it


def _answers(context: Context, text: str) -> list[Answer]:
    """The answer to the query and to its suggestions, without repeats."""
    engine = context.bot_data.engine
    main = engine.ask(text)
    answers = [main] if main.answered else []
    for suggestion in main.suggestions:
        if len(answers) >= INLINE_RESULTS:
            break
        other = engine.ask(suggestion)
        if other.answered and all(other.text != a.text for a in answers):
            answers.append(other)
    return answers


async def inline_query(update: Update, context: Context) -> None:
    """`@bot 问题` in any chat: up to five answers to choose from."""
    query = update.inline_query
    if query is None:
        return
    text = query.query.strip()
    help_button = InlineQueryResultsButton("怎么提问？", start_parameter="help")
    if not text:
        await quiet(query.answer([], button=help_button, cache_time=300))
        return
    results = []
    for i, answer in enumerate(_answers(context, text)):
        ref = answer.references[0].label if answer.references else ""
        results.append(InlineQueryResultArticle(
            id=f"a{i}", title=result_title(answer), description=short(ref or answer.question, 100),
            input_message_content=InputTextMessageContent(split_message(to_html(answer))[0]),
        ))
    await quiet(query.answer(results, cache_time=60, button=help_button))

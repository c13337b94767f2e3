"""The answer the engine gives: what every channel renders, and the JSON contract other tools read."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reference:
    """Where a fact stands: a document and a section path ([0] = before the first heading)."""

    doc: str
    title: str
    path: tuple[int, ...]
    label: str
    about: str = ""  # the report's year and issuer when its title does not say them (not in the JSON)

    def to_json(self) -> dict:
        return {"doc": self.doc, "title": self.title, "path": list(self.path), "label": self.label}


@dataclass
class Answer:
    """One reply to one question.

    `answered` is true only when `text` states what was asked; a decline or a list of suggestions
    is `answered=False`. `facts` holds the quoted statements (already in `text`) so channels can
    lay them out; `references[0]` is where the answer comes from.
    """

    question: str
    answered: bool
    text: str
    references: list[Reference] = field(default_factory=list)
    score: float = 0.0
    suggestions: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    span: str | None = None  # the asked item (figure, name, date, place) as it stands in the report
    kind: str = "answer"  # "smalltalk" and "followup" come from the conversation, not from one question
    # What the decision to answer from a statement was based on (bot.calibration): not in the JSON.
    evidence: dict[str, float] | None = None

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answered": self.answered,
            "answer": self.text,
            "span": self.span,
            "references": [r.to_json() for r in self.references],
            # A fact's score is a calibrated probability; a section's is its coverage, which
            # context and pair bonuses can push past 1.0.
            "score": round(min(1.0, max(0.0, float(self.score))), 4),
            "suggestions": list(self.suggestions),
        }

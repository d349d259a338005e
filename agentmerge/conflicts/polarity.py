"""Polarity conflicts: two units with the same content words where one says do and the other don't
("Always use soft deletes" / "Never use soft deletes"), or the same words on opposite sides of a contrast
("tests before the implementation" / "the implementation before tests").

The negation must scope over what the other unit says: "Never use print(); use the logger" does not
contradict "Use the logger", because what it negates (print) is not in the other unit.
"""

from __future__ import annotations

from ..match import NEGATED
from ..model import Conflict, Side
from ..normalize import plain, reversed_order


def _negated_head(tokens: tuple[str, ...]) -> set[str]:
    """The words a negation applies to: the content words right after each "not"."""
    heads: set[str] = set()
    for i, t in enumerate(tokens):
        if t == "not":
            heads.update(w for w in tokens[i + 1 : i + 3] if w != "not")
    return heads


def in_scope(neg_tokens: tuple[str, ...], other_tokens: tuple[str, ...]) -> bool:
    heads = _negated_head(neg_tokens)
    return bool(heads) and heads <= set(other_tokens) | {"not"} and bool(heads & set(other_tokens))


def _short(text: str, limit: int = 70) -> str:
    text = plain(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def detect(ctx) -> list[Conflict]:
    found: list[Conflict] = []
    seen: set[tuple[int, int]] = set()
    dropped = ctx.matching.dropped
    for p in sorted(ctx.matching.pairs, key=lambda p: (min(p.a, p.b), max(p.a, p.b))):
        if p.relation != NEGATED:
            continue
        a, b = sorted((dropped.get(p.a, p.a), dropped.get(p.b, p.b)))
        if a == b or (a, b) in seen:
            continue
        na, nb = ctx.matching.norms[a], ctx.matching.norms[b]
        reverse = reversed_order(na, nb)
        if not reverse:
            negated, other = (na, nb) if na.negated else (nb, na)
            if not in_scope(negated.tokens, other.tokens):
                continue
        seen.add((a, b))
        ua, ub = ctx.units[a], ctx.units[b]
        if reverse:
            stances = (_short(ua.text, 50), _short(ub.text, 50))
            why = "the same things in the opposite order of preference"
        else:
            stances = ("don't" if na.negated else "do", "don't" if nb.negated else "do")
            why = "the same instruction with opposite polarity"
        found.append(Conflict(
            id="", kind="polarity", topic=" ".join(plain(ua.text).split()[:6]), severity="medium",
            message=f"{ua.where} says \"{_short(ua.text)}\" but {ub.where} says \"{_short(ub.text)}\": {why}",
            sides=(Side(uids=(a,), stance=stances[0]), Side(uids=(b,), stance=stances[1])),
            suggestion="Keep the instruction that matches how the team works, or scope each one "
                       "(\"in migrations…\", \"for user data…\") so both can hold.",
        ))
    return found

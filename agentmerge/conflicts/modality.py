"""Modality conflicts: the same action on the same object, prohibited in one statement and required or
permitted in another ("never run migrations by hand" / "running a migration by hand is fine in an
emergency"), in any wording the statement model reads.

The prohibited action is the negation's scope (`Statement.actions` of a negated statement): every one of
its content terms, its verb first, must be in the other statement, so "don't commit secrets" and "read
secrets from the vault" (another verb), or "never delete old releases" and "keep every past release"
(agreement worded the other way round) are no conflict. A scope qualifier on one side only ("in an
emergency", "for small fixes") makes a scoped conflict, reported with the scope; qualifiers on both sides
that differ are two rules for two situations.
"""

from __future__ import annotations

from .align import NEGATOR, conflict, document_frequency, pairs, scope_of, sort, statements, takes_no_stance

POSITIVE = ("require", "recommend", "permit")
NEGATIVE = ("prohibit", "discourage")


def _core(s) -> list[str]:
    """The prohibited action's content terms, in order."""
    return [t for t in s.st.actions if not t.startswith("~")]


def detect(ctx) -> list:
    said = [s for s in statements(ctx) if s.st.modality in POSITIVE + NEGATIVE and not takes_no_stance(s)]
    if not said:
        return []
    df = document_frequency(said)
    common = max(8, len(said) // 10)

    def keys(s):
        # the prohibited side files itself under its action's rarest term; the other side under every term
        if s.st.modality in NEGATIVE:
            core = [t for t in _core(s) if df[t] <= common]
            return [min(core, key=lambda t: (df[t], t))] if core else []
        return [t for t in s.terms if df[t] <= common]

    found = []
    for a, b in pairs(said, keys):
        if (a.st.modality in NEGATIVE) == (b.st.modality in NEGATIVE):
            continue
        neg, pos = (a, b) if a.st.modality in NEGATIVE else (b, a)
        core = _core(neg)
        if len(core) < 2:
            continue  # "never guess", "no any": too little to say what is prohibited
        if not set(core) <= pos.terms or NEGATOR.search(pos.text):
            continue
        if not set(neg.st.heads) <= set(pos.st.heads) | pos.terms:
            continue  # "never deploy :latest" is about `:latest`, which the other does not name
        neg_scope, pos_scope = scope_of(neg.text), scope_of(pos.text)
        if neg_scope and pos_scope and neg_scope.lower() != pos_scope.lower():
            continue  # two rules for two situations
        if neg_scope and not pos_scope:
            continue  # "never X in production" does not forbid X elsewhere
        action = " ".join(t for t in core if not t.startswith("~"))
        scoped = f" (scoped: {pos_scope})" if pos_scope else ""
        verb = {"require": "requires", "recommend": "recommends", "permit": "allows"}[pos.st.modality]
        why = (f"one {'prohibits' if neg.st.modality == 'prohibit' else 'discourages'} what the other "
               f"{verb}{scoped}")
        stances = ("don't", pos.st.modality) if a is neg else (pos.st.modality, "don't")
        found.append(conflict(
            ctx, "modality", action, a, b, stances, why,
            "Keep one rule, or state the exception in the rule itself (\"never …, except …\") so both can hold."
            if pos_scope else "Keep the rule that matches how the team works and drop the other."))
    return sort(found)

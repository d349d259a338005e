"""Turn a unit into what the matcher compares: its statements' terms, polarity, numbers and order.

A unit is read into statements (`agentmerge.statements`: markdown-it tokens, each list item, nested item,
sentence, label and details apart) and each statement's terms come from `knowledge/terms.yaml`: lemmas
consistent across derivations, synonyms and abbreviations folded ("k8s" is "kubernetes", "single sign-on"
is "sso"), identifiers and code spans whole, stop words dropped. Low-weight terms (generic "do" verbs,
persona framings) stay out of `tokens`: they never decide whether two units say the same thing. Polarity,
numbers (a multiset) and order are kept apart: they decide whether two look-alike rules are one rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

import yaml

from . import model
from .lazy import compiled_when_used
from .statements import _pieces, plain_inline
from .statements.terms import Analysis, analyse, lemma, statement_terms, term_words, terms_data

_MARKER = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?", re.MULTILINE)
_QUOTE = re.compile(r"^[ \t]*>[ \t]?", re.MULTILINE)
_EMPHASIS = re.compile(r"(?<![\w])[*_]+|[*_]+(?![\w])|`+")
_LINK = re.compile(r"\[([^\]\n]{0,500})\]\([^)\n]{0,2000}\)")
_SPACE = re.compile(r"\s+")
# a keep-all label, as merge._label writes it: on a line of its own before a block, or after a line's text
LABEL = re.compile(r"\A<!-- agentmerge conflict [^\n]*? -->\n| ?<!-- agentmerge conflict [^\n]*? -->")


@dataclass(frozen=True)
class Normalised:
    """What the matcher knows of one unit."""

    tokens: tuple[str, ...]  # content terms in order (lemmas, canonical; stop and low-weight terms left out)
    folded: str  # the tokens joined by spaces: what rapidfuzz scores
    numbers: frozenset[str]
    negated: bool  # some statement prohibits or discourages its action, or asks to prevent something
    code: bool  # code blocks, tables and HTML compare as text, not as words
    contrasts: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = ()  # (word, words before, words after)
    counts: tuple[str, ...] = ()  # every number, sorted: the multiset ("3 ... 3" is not "3 ... 100")
    parts: tuple[frozenset[str], ...] = ()  # each statement's content terms
    head: frozenset[str] = frozenset()  # the terms of a `**Label**:` head, when the unit starts with one
    verbs: frozenset[str] = frozenset()  # the leading verbs of its imperative statements, generic ones left out
    order: tuple[tuple[str, str], ...] = ()  # (first, then) pairs of its statements
    capability: bool = False  # it opens with a persona framing ("Proficient in ...", "Expertise in ...")
    # some statement prohibits or discourages its action ("never", "avoid"), not only prevents something
    # ("eliminate N+1 problems", "... so a rerun never duplicates rows"): those are a *do*
    prohibits: bool = False


def load_yaml(text: str):
    """yaml.safe_load, with libyaml's C parser when PyYAML has it (same safe constructor, much faster)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def stem(word: str) -> str:
    """The lemma the matcher uses for a word (Snowball, with -ise and -ysis spellings folded first)."""
    return lemma(word)


@lru_cache(maxsize=262144)  # matching, unit keys and the value detector all read every unit's plain text
def plain(text: str) -> str:
    """Markdown to plain lower-case text: markers, emphasis, ticks and links folded away."""
    # each pattern needs a character that folding never creates: skip it when that is absent (a large
    # file's units are normalised by the tens of thousands)
    if "<!-- agentmerge conflict" in text:  # a keep-all label is agentmerge's note, not the unit's guidance
        text = LABEL.sub("", text)
    text = _MARKER.sub("", text)
    if ">" in text:
        text = _QUOTE.sub("", text)
    if "](" in text:
        text = _LINK.sub(r"\1", text)
    if "*" in text or "_" in text or "`" in text:
        text = _EMPHASIS.sub("", text)
    return _SPACE.sub(" ", text).strip().lower()


def words(text: str) -> list[str]:
    """The terms of plain text, in order, multi-word synonyms folded to their canonical term."""
    return [term for _surface, term in term_words(text)]


# Words whose two sides must not swap: "A before B", "A over B", "A instead of B", "A, not B".
_CONTRAST_WORDS = ("before", "after", "over", "above", "instead", "rather", "than", "not", "vs", "versus")


@lru_cache(maxsize=1)
def contrasts() -> frozenset[str]:
    return frozenset(lemma(w) for w in _CONTRAST_WORDS)


def _contrasts(content: tuple[str, ...]) -> tuple[tuple[str, frozenset[str], frozenset[str]], ...]:
    found = []
    marks = contrasts()
    for i, w in enumerate(content):
        if w in marks and 0 < i < len(content) - 1:
            found.append((w, frozenset(content[:i]), frozenset(content[i + 1 :])))
    return tuple(found)


def reversed_order(x: Normalised, y: Normalised) -> bool:
    """True when the same words stand on opposite sides of a contrast word in x and y
    ("tests before the implementation" / "the implementation before tests"), or when one says "A before
    B" and the other "B before A" in any wording ("merge after the tests pass")."""
    for first, then in x.order:
        for other_first, other_then in y.order:
            a, b = set(first.split()), set(then.split())
            c, d = set(other_first.split()), set(other_then.split())
            if (a & d) - (b | c) and (b & c) - (a | d):
                return True
    for word, left_x, right_x in x.contrasts:
        for other, left_y, right_y in y.contrasts:
            if other != word:
                continue
            moved_right = (right_x & left_y) - (left_x | right_y)
            moved_left = (left_x & right_y) - (right_x | left_y)
            if moved_right and moved_left:
                return True
    return False


_COLON_END = re.compile(r":[*_]{0,3}\s*\Z")


def ends_with_colon(text: str) -> bool:
    """Whether a paragraph ends with a colon, inside its emphasis or not ("Steps:", "*Backend Performance:*"):
    before a list, it introduces the list."""
    return _COLON_END.search(text) is not None


def unlabelled(text: str) -> str:
    """The text without the keep-all labels an earlier merge wrote on it (agentmerge's note, not guidance)."""
    return LABEL.sub("", text) if "<!-- agentmerge conflict" in text else text


def normalise(unit_text: str, kind: str, read=None) -> Normalised:
    """What a unit says, as the matcher compares it. `read`: the unit's markdown-it block tokens when the
    body's reading already has them (`Unit.read`), else the unit is parsed here."""
    if "<!-- agentmerge conflict" in unit_text:  # a keep-all label is agentmerge's note, not the unit's guidance
        unit_text = LABEL.sub("", unit_text)
        read = None
    if kind in (model.CODE, model.TABLE, model.HTML, model.CONFLICT):
        folded = _SPACE.sub(" ", unit_text).strip()
        return Normalised(tokens=(), folded=folded, numbers=frozenset(), negated=False, code=True)
    analyses = []
    head = None
    firsts = []
    for piece in _pieces(unit_text, kind, False, read):
        if piece.role in ("code", "table", "html"):
            continue
        text, code = plain_inline(piece.content)
        a = analyse(text, code)
        if piece.role == "head" and not analyses:
            head = a
        if "first" in text.lower() and _FIRST_ADVERB.search(text) and not a.order:
            firsts.append(len(analyses))
        analyses.append(a)
    normalised = _aggregate(analyses, head)
    if not firsts:
        return normalised
    # "Read the whole contract first; run the check once the review is done": a statement done `first`
    # comes before what the unit's later statements do
    low = terms_data().low
    order = list(normalised.order)
    for i in firsts:
        first = [t for t in analyses[i].terms if t not in low]
        then = [t for a in analyses[i + 1 :] for t in a.terms if t not in low and t not in first]
        if first and then:
            order.append((" ".join(first), " ".join(then)))
    return replace(normalised, order=tuple(order))


# `first` as the adverb of its statement's action ("read the contract first;"), not "the first draft"
_FIRST_ADVERB = re.compile(r"\bfirst\b(?=\s*(?:[.;,:!)]|$))", re.IGNORECASE)


def content_tokens(unit_text: str, kind: str, read=None) -> tuple[str, ...]:
    """`normalise(unit_text, kind).tokens`, read from the same statements without their values, polarity
    or order: what a library scan compares. `read`: the unit's markdown-it block tokens when the body's
    reading already has them (see `statements._pieces`)."""
    if "<!-- agentmerge conflict" in unit_text:
        unit_text = LABEL.sub("", unit_text)
        read = None
    if kind in (model.CODE, model.TABLE, model.HTML, model.CONFLICT):
        return ()
    low = terms_data().low
    out: list[str] = []
    for piece in _pieces(unit_text, kind, False, read):
        if piece.role in ("code", "table", "html"):
            continue
        text, _code = plain_inline(piece.content)
        out.extend(t for t in statement_terms(text) if t not in low)
    return tuple(out)


def _counted(a: Analysis) -> tuple[str, ...]:
    """A statement's values as the multiset the matcher compares: each quantity as its value in the base
    unit ("30 minutes" and "half an hour" are both 1800s), else the numbers as written."""
    if a.quantities:
        return tuple(f"{q.value:g}{q.unit}" if q.dimension in ("time", "percent", "size", "cadence") else f"{q.value:g}"
                     for q in a.quantities)
    return a.numbers


def _aggregate(analyses: list[Analysis], head: Analysis | None) -> Normalised:
    data = terms_data()
    low, averts = data.low, data.averts
    tokens: list[str] = []
    parts: list[frozenset[str]] = []
    verbs: set[str] = set()
    counts: list[str] = []
    order: list[tuple[str, str]] = []
    negated = prohibits = False
    for a in analyses:
        content = [t for t in a.terms if t not in low]
        tokens.extend(content)
        parts.append(frozenset(content))
        counts.extend(_counted(a))
        order.extend(a.order)
        order.extend(a.sequence)
        negated = negated or a.negated or a.averted or any(t in averts for t in a.terms)
        prohibits = prohibits or a.negated
        if a.verb and not a.negated and a.verb not in data.generic_verbs:
            verbs.add(a.verb)
    content_tokens = tuple(tokens)
    framed = bool(analyses) and any(t.startswith("~") and t in low for t in analyses[0].terms[:2])
    return Normalised(
        capability=framed,
        tokens=content_tokens,
        folded=" ".join(content_tokens),
        numbers=frozenset(counts),
        negated=negated,
        prohibits=prohibits,
        code=False,
        contrasts=_contrasts(content_tokens),
        counts=tuple(sorted(counts)),
        parts=tuple(parts),
        head=frozenset(t for t in head.terms if t not in low) if head is not None else frozenset(),
        verbs=frozenset(verbs),
        order=tuple(order),
    )


# Quoted text: a sample message, a request a user might make, a line of a transcript.
_QUOTED = re.compile(r'"[^"]*"|“[^”]*”')
WORD = re.compile(r"[\w'’-]+")  # a word as labels and quotations count them (hyphens and apostrophes kept)
_LABELS = compiled_when_used(r"(?:^|(?<=[\s/|(]))(?:[\w'’-]+ ){0,3}[\w'’-]+:")  # "Completion message:", "User:"


@lru_cache(maxsize=65536)
def quotation(text: str) -> bool:
    """The unit quotes someone: quoted text of four words or more and, outside the quotes, nothing but
    labels of up to four words (`Completion message: "Built 18 panels …"`, `- "Add an intent for refunds"`,
    `> User: "I want to cancel" / Bot: "…"`). What it quotes is an example of what someone says or writes,
    not the agent's guidance. A rule that quotes a phrase ("Reply with "We are on it" when unsure",
    "**Active voice**: write "the function returns X"") has words of its own."""
    if '"' not in text and "“" not in text:
        return False
    bare = plain(text)
    quoted = sum(len(WORD.findall(m.group(0))) for m in _QUOTED.finditer(bare))
    if quoted < 4:
        return False
    outside = _LABELS.sub(" ", _QUOTED.sub(" ", bare))
    return not WORD.search(outside)

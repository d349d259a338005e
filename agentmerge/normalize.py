"""Turn a unit's Markdown into what the matcher compares: content words, stemmed and canonicalised.

Case, emphasis, code ticks, list and checkbox markers and punctuation are folded away; words are stemmed
with Snowball so "migrations" meets "migration"; synonyms from `knowledge/vocabulary.yaml` map to one word
("eliminate"/"prevent" -> "avoid", "joinedload"/"eager loading" -> "eagerload"); generic words that carry
no guidance ("proper", "strategy", "use") are dropped. Negation and numbers are kept apart: they decide
whether two look-alike rules are the same rule at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import Stemmer
import yaml

from . import model

_MARKER = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?", re.MULTILINE)
_QUOTE = re.compile(r"^[ \t]*>[ \t]?", re.MULTILINE)
_EMPHASIS = re.compile(r"(?<![\w])[*_]+|[*_]+(?![\w])|`+")
_LINK = re.compile(r"\[([^\]\n]{0,500})\]\([^)\n]{0,2000}\)")
_CONTRACTION = re.compile(r"n['’]t\b")
_TOKEN = re.compile(r"[a-z0-9_]+(?:[+.][a-z0-9_]+)*\+?|%")
_NUMBER = re.compile(r"(?<![\w.+])\d+(?:\.\d+)?%?")
_SPACE = re.compile(r"\s+")
_NUMBER_WORD = re.compile(r"\d+(?:\.\d+)*\+?$")
# a keep-all label, as merge._label writes it: on a line of its own before a block, or after a line's text
LABEL = re.compile(r"\A<!-- agentmerge conflict [^\n]*? -->\n| ?<!-- agentmerge conflict [^\n]*? -->")


@dataclass(frozen=True)
class Vocabulary:
    """`knowledge/vocabulary.yaml`, stemmed: generic and negation words, synonyms to fold."""

    generic: frozenset[str]
    negation: frozenset[str]
    phrases: dict[str, tuple[tuple[tuple[str, ...], str], ...]]  # first stem -> (stemmed phrase, canonical), longest first
    words: dict[str, str]  # stemmed single word -> canonical word


@dataclass(frozen=True)
class Normalised:
    """What the matcher knows of one unit."""

    tokens: tuple[str, ...]  # content words in order (stemmed, canonical, generic words dropped)
    folded: str  # the tokens joined by spaces: what rapidfuzz scores
    numbers: frozenset[str]
    negated: bool
    code: bool  # code blocks, tables and HTML compare as text, not as words
    contrasts: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = ()  # (word, words before, words after)


def load_yaml(text: str):
    """yaml.safe_load, with libyaml's C parser when PyYAML has it (same safe constructor, much faster)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@lru_cache(maxsize=1)
def _stemmer():
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer().stemWord(word)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    data = load_yaml(resources.files("agentmerge.knowledge").joinpath("vocabulary.yaml").read_text("utf-8"))
    generic = frozenset(stem(w) for w in data["generic"].lower().split())
    negation = frozenset(stem(w.replace("n't", "not")) for w in data["negation"].lower().split()) | {"not"}
    phrases: list[tuple[tuple[str, ...], str]] = []
    words: dict[str, str] = {}
    for canonical, variants in data["synonyms"].items():
        for variant in [canonical, *variants]:
            parts = tuple(stem(t) for t in _TOKEN.findall(variant.lower()))
            if len(parts) == 1:
                words[parts[0]] = canonical
            elif parts:
                phrases.append((parts, canonical))
    phrases.sort(key=lambda p: (-len(p[0]), p[0]))
    by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for phrase, canonical in phrases:
        by_first.setdefault(phrase[0], []).append((phrase, canonical))
    return Vocabulary(generic=generic, negation=negation, phrases={k: tuple(v) for k, v in by_first.items()},
                      words=words)


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
    """Stemmed words of plain text, with multi-word synonyms folded to their canonical word."""
    if "n'" in text or "n’" in text:
        text = _CONTRACTION.sub(" not", text)
    stems = [stem(t) for t in _TOKEN.findall(text)]
    vocab = vocabulary()
    phrases, single = vocab.phrases, vocab.words
    out: list[str] = []
    i = 0
    end = len(stems)
    while i < end:
        current = stems[i]
        for phrase, canonical in phrases.get(current, ()):
            if tuple(stems[i : i + len(phrase)]) == phrase:
                out.append(canonical)
                i += len(phrase)
                break
        else:
            out.append(single.get(current, current))
            i += 1
    return out


# Words whose two sides must not swap: "A before B", "A over B", "A instead of B", "A, not B".
_CONTRAST_WORDS = ("before", "after", "over", "instead", "rather", "than", "not", "vs", "versus")


@lru_cache(maxsize=1)
def contrasts() -> frozenset[str]:
    return frozenset(stem(w) for w in _CONTRAST_WORDS)


def _contrasts(content: tuple[str, ...]) -> tuple[tuple[str, frozenset[str], frozenset[str]], ...]:
    found = []
    words = contrasts()
    for i, w in enumerate(content):
        if w in words and 0 < i < len(content) - 1:
            found.append((w, frozenset(content[:i]), frozenset(content[i + 1 :])))
    return tuple(found)


def reversed_order(x: Normalised, y: Normalised) -> bool:
    """True when the same words stand on opposite sides of a contrast word in x and y
    ("tests before the implementation" / "the implementation before tests")."""
    for word, left_x, right_x in x.contrasts:
        for other, left_y, right_y in y.contrasts:
            if other != word:
                continue
            moved_right = (right_x & left_y) - (left_x | right_y)
            moved_left = (left_x & right_y) - (right_x | left_y)
            if moved_right and moved_left:
                return True
    return False


def normalise(unit_text: str, kind: str) -> Normalised:
    if kind in (model.CODE, model.TABLE, model.HTML, model.CONFLICT):
        if "<!-- agentmerge conflict" in unit_text:
            unit_text = LABEL.sub("", unit_text)
        folded = _SPACE.sub(" ", unit_text).strip()
        return Normalised(tokens=(), folded=folded, numbers=frozenset(), negated=False, code=True)
    return normalise_plain(plain(unit_text))


def normalise_plain(text: str) -> Normalised:
    """`normalise` of a prose unit from its `plain` text (which the matcher also needs on its own)."""
    vocab = vocabulary()
    all_words = words(text)
    all_words = ["not" if w in vocab.negation or w == "avoid" else w for w in all_words]
    negated = "not" in all_words
    # numbers are compared on their own (`numbers`): two rules differing only in a number are the same
    # words with other values, a value conflict rather than two different rules
    content = tuple(w for w in all_words if w not in vocab.generic and w != "%"
                    and not (w[:1].isdecimal() and _NUMBER_WORD.match(w)))
    return Normalised(
        contrasts=_contrasts(content),
        tokens=content,
        folded=" ".join(content),
        numbers=frozenset(_NUMBER.findall(text)),
        negated=negated,
        code=False,
    )

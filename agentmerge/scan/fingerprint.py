"""Fingerprints: what the scan keeps of each file, read once in a worker.

A body is split into units by `agentmerge.split` (the markdown-it reading the merge uses), so the scan
counts and compares the units a merge would. Each file gives: its exact key (a hash of the body with
whitespace folded), a MinHash signature over word 3-gram shingles of its normalised units (near
duplicates), the keys of its countable guidance units (the most repeated guidance), and the weighted
terms of its description and body (same-role clusters).

A file larger than LARGE_BYTES is read in pieces (see `read_large`): memory stays bounded whatever its
size, and it is compared for exact copies only (its units are not counted).
"""

from __future__ import annotations

import codecs
import hashlib
import math
import os
import re
import zlib
from collections import Counter
from functools import lru_cache
from typing import Any

from ..model import AgentmergeError
from .discover import TOO_LARGE, UNREADABLE
from .lsh import _signature, band_keys
from .results import FileInfo
from .settings import (AGENT_SUFFIXES, INSTRUCTION_NAMES, LARGE_BYTES, MAX_BYTES, MIN_SHINGLES, MIN_UNITS,
                       PIECE_BYTES, SHINGLE)

_OPEN = re.compile(r"---[ \t]*")
_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*")
_NAME = re.compile(r"name[ \t]*:[ \t]*(.*?)[ \t]*$")
_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?")
_EXAMPLE = re.compile(r"<example>.*?(?:</example>|$)", re.S | re.I)
_CODE_KINDS = ("code", "table", "html")
# Same-role terms: at most this many per file (the most frequent), description and body apart.
ROLE_TERMS = 96
DESCRIPTION_CHARS = 500


def split_text(text: str) -> tuple[list[str] | None, list[str], bool]:
    """(frontmatter lines or None, body lines, frontmatter left unclosed). Newlines of any style."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and _OPEN.fullmatch(lines[0]):
        for i in range(1, len(lines)):
            if _CLOSE.fullmatch(lines[i]):
                return lines[1:i], lines[i + 1 :], False
        return None, lines, True
    return None, lines, False


class _Folded:
    """The exact key, built piece by piece: the body with every run of whitespace folded to one space."""

    def __init__(self) -> None:
        self._hash = hashlib.blake2b(digest_size=16)
        self._empty = True

    def add(self, lines: list[str]) -> None:
        folded = " ".join(" ".join(lines).split())
        if folded:
            self._hash.update(folded.encode("utf-8", "surrogatepass") if self._empty else
                              b" " + folded.encode("utf-8", "surrogatepass"))
            self._empty = False

    def key(self) -> bytes | None:
        return None if self._empty else self._hash.digest()


def body_key(body: list[str]) -> bytes | None:
    """What exact copies share: the body with every run of whitespace folded to one space. None if empty."""
    folded = _Folded()
    folded.add(body)
    return folded.key()


def units_of(body: list[str]) -> list[tuple[str, str]]:
    """(kind, text) for each unit of a Markdown body as the merge splits it (`agentmerge.split`): list
    items with what is nested in them, paragraphs, code blocks, tables, quotes, HTML blocks. Headings,
    pseudo-headings and rules separate units and are not units."""
    from ..split import blocks_of

    return [(kind, text) for kind, text, _read in _read_units(body)]


def _read_units(body: list[str]) -> list[tuple[str, str, Any]]:
    """`units_of`, each unit with its block tokens from the reading of the body as the merge's units keep
    them (`model.Unit.read`), or None."""
    from ..split import _read_of, blocks_of

    out = []
    for b in blocks_of(body):
        if b.kind not in ("heading", "rule"):
            text = "\n".join(body[b.start : b.end])
            out.append((b.kind, text, _read_of(b, text)))
    return out


def name_of(front: list[str] | None, path: str, data: dict[str, Any] | None = None) -> str:
    """The agent's `name` from its frontmatter, else one derived from the file name."""
    value = (data or {}).get("name")
    if isinstance(value, str) and value.strip():
        return value.strip()
    for line in front or ():
        m = _NAME.fullmatch(line)
        if m and m.group(1):
            value = m.group(1)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            if value and value not in ("|", ">", "|-", ">-"):
                return value
    parts = path.split("/")
    base = parts[-1]
    lower = base.lower()
    if lower in INSTRUCTION_NAMES and len(parts) > 1:
        return parts[-2]
    for suffix in (*AGENT_SUFFIXES, ".md"):
        if lower.endswith(suffix):
            return base[: -len(suffix)]
    return base


def format_of(path: str, has_frontmatter: bool) -> str:
    """The report's `format`, with Copilot prompt files told apart (they are commands, not agents)."""
    from ..report import format_of as report_format

    return "copilot-prompt" if path.lower().endswith(".prompt.md") else report_format(path, has_frontmatter)


def suffix_of(path: str) -> str:
    """The file's own ending, kept by consolidation: `.mdc`, `.agent.md`, `.prompt.md`, `.md`..."""
    lower = os.path.basename(path).lower()
    for suffix in AGENT_SUFFIXES:
        if lower.endswith(suffix):
            return path[-len(suffix) :]
    return os.path.splitext(path)[1] or ".md"


def _frontmatter(front: list[str] | None, display: str) -> dict[str, Any]:
    if front is None:
        return {}
    from .. import frontmatter as fm

    try:
        return fm.parse(front, display, start_line=1, end_line=len(front) + 2).data
    except AgentmergeError:
        return {}


def description_of(data: dict[str, Any]) -> str:
    value = data.get("description")
    if not isinstance(value, str):
        return ""
    return " ".join(_EXAMPLE.sub(" ", value).split())[:DESCRIPTION_CHARS]


@lru_cache(maxsize=131072)
def _normalised(kind: str, text: str):
    from ..normalize import normalise

    return normalise(text, kind)


_TOKENS: dict[tuple[str, str], tuple[str, ...]] = {}
TOKEN_CACHE = 131072


def _tokens(kind: str, text: str, read: Any = None) -> tuple[str, ...]:
    """A unit's content terms, as the merge normalises them (`normalise(text, kind).tokens`), read once per
    distinct unit; `read`: its block tokens from the body's reading, when they are at hand."""
    key = (kind, text)
    found = _TOKENS.get(key)
    if found is None:
        from ..normalize import content_tokens

        if len(_TOKENS) >= TOKEN_CACHE:
            _TOKENS.clear()
        found = _TOKENS[key] = content_tokens(text, kind, read)
    return found


def _text_kind(kind: str) -> bool:
    """Kinds compared by their words (code, tables, HTML and conflict blocks compare as text)."""
    return kind not in _CODE_KINDS and kind != "conflict"


def _code_like(kind: str) -> bool:
    return kind in _CODE_KINDS


def _compare_strings(units: list[tuple[str, str]]) -> list[str]:
    """What verification compares, one string per unit: its normalised words (code: its whitespace-separated
    tokens), sorted once here, so that rapidfuzz's plain `ratio` on them is its `token_sort_ratio`."""
    out = []
    for kind, text in units:
        words = " ".join(_tokens(kind, text)).split() if _text_kind(kind) else _normalised(kind, text).folded.split()
        if words:
            out.append(" ".join(sorted(words)))
    return out


def _shingles(units: list[tuple[str, str]]) -> set[bytes]:
    found: set[bytes] = set()
    for kind, text in units:
        if _code_like(kind):
            for line in text.split("\n"):
                line = " ".join(line.split())
                if line and not line.startswith(("```", "~~~")):
                    found.add(b"\x00" + line.encode("utf-8", "surrogatepass"))
            continue
        tokens = _tokens(kind, text) if _text_kind(kind) else ()
        if len(tokens) < SHINGLE:
            if tokens:
                found.add(" ".join(tokens).encode("utf-8", "surrogatepass"))
            continue
        for i in range(len(tokens) - SHINGLE + 1):
            found.add(" ".join(tokens[i : i + SHINGLE]).encode("utf-8", "surrogatepass"))
    return found


def term_id(word: str) -> int:
    return zlib.crc32(word.encode("utf-8", "surrogatepass"))


def _weights(words: Counter) -> dict[int, float]:
    """The ROLE_TERMS most frequent words, as {term id: 1 + log(count)} (sublinear term frequency)."""
    top = sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:ROLE_TERMS]
    return {term_id(w): 1.0 + math.log(n) for w, n in top}


def role_terms(description: str, units: list[tuple[str, str]]) -> tuple[dict[int, float], dict[int, float]]:
    """The weighted content words of the description and of the body's prose (normalised as the merge
    normalises: stems, synonyms folded, generic words dropped)."""
    desc = Counter(_tokens("paragraph", description)) if description else Counter()
    body: Counter = Counter()
    for kind, text in units:
        if _text_kind(kind):
            body.update(_tokens(kind, text))
    return _weights(desc), _weights(body)


def _display_unit(text: str) -> str:
    first = " ".join(_MARKER.sub("", text, count=1).split())
    return first if len(first) <= 200 else first[:199] + "…"


def _repeat_key(folded: str) -> int:
    return int.from_bytes(hashlib.blake2b(folded.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


def read_text(source: str, display: str, encoding: str) -> str:
    from ..read import decode, read_bytes

    return decode(read_bytes(source), display, encoding)


def repeated_units(units: list[tuple[str, str]]) -> dict[int, str]:
    """{key: text} of the units of one body that count towards the most repeated guidance: prose with at
    least three content words, not a lead-in to a list ("Before finalizing, verify:"). The key is a hash
    of the normalised words, so wording that normalises alike counts as one."""
    from ..normalize import ends_with_colon

    out: dict[int, str] = {}
    for kind, unit_text in units:
        if _code_like(kind) or ends_with_colon(unit_text):
            continue
        tokens = _tokens(kind, unit_text) if _text_kind(kind) else ()
        if len(tokens) >= 3:
            key = _repeat_key(" ".join(tokens))
            if key not in out:
                out[key] = unit_text
    return out


# --- very large files: read in pieces -------------------------------------------------------------------


def _pieces(source: str, display: str, encoding: str):
    """The file's text in pieces of about PIECE_BYTES, each ending at a line break (newlines normalised)."""
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise AgentmergeError(f"--encoding {encoding}: unknown encoding") from None
    decoder = codecs.getincrementaldecoder("utf-8-sig" if codec == "utf-8" else encoding)()
    wide = codec.startswith(("utf-16", "utf-32"))
    carry = ""
    offset = 0
    try:
        with open(source, "rb") as handle:
            while True:
                data = handle.read(PIECE_BYTES)
                if not wide and b"\x00" in data:
                    raise AgentmergeError(f"{display}: binary file (NUL byte at offset {offset + data.index(0)}); "
                                          "agent files are text")
                try:
                    text = carry + decoder.decode(data, final=not data)
                except UnicodeDecodeError as exc:
                    raise AgentmergeError(f"{display}: not valid {encoding} (near byte offset {offset + exc.start}); "
                                          "name the file's encoding with --encoding") from None
                offset += len(data)
                text = text.replace("\r\n", "\n")
                if text.endswith("\r") and data:
                    text, carry = text[:-1], "\r"  # a CRLF may be cut between two reads
                else:
                    carry = ""
                text = text.replace("\r", "\n")
                if not data:
                    if text:
                        yield text
                    return
                cut = text.rfind("\n")
                if cut < 0:
                    carry = text + carry
                    continue
                yield text[: cut + 1]
                carry = text[cut + 1 :] + carry
    except OSError as exc:
        raise AgentmergeError(f"{display}: cannot read ({exc.strerror or exc})") from None


def read_large(info: FileInfo, encoding: str) -> str | None:
    """Fill `info` from a very large file read in pieces, at most one piece in memory at a time: its exact
    key (the body's words, hashed piece by piece), its size, tokens and frontmatter. Its body is not split
    into units: a file this large is compared for exact copies only. Returns a warning."""
    folded = _Folded()
    chars = 0
    size = 0
    front_lines: list[str] | None = None
    first = True
    unclosed = False
    for piece in _pieces(info.source, info.path, encoding):
        chars += len(piece)
        size += len(piece.encode("utf-8", "surrogatepass"))
        lines = piece.split("\n")
        if first:
            first = False
            front, body, unclosed = split_text(piece)
            if front is not None:
                front_lines, lines = front, body
        folded.add(lines)
    info.body_key = folded.key()
    data = _frontmatter(front_lines, info.path)
    info.name = name_of(front_lines, info.path, data)
    info.format = format_of(info.path, front_lines is not None)
    info.bytes = size
    info.tokens = (chars + 3) // 4  # report.tokens of the whole text
    info.large = True
    hint = data.get("argument-hint")
    info.argument_hint = str(hint) if hint is not None else None
    warning = (f"{info.path}: {size:,} bytes, larger than {LARGE_BYTES:,}: read in pieces and compared for exact "
               "copies only (not for near or same-role duplicates)")
    if unclosed:
        warning += "; its frontmatter opened with '---' is never closed, read as body text"
    return warning


# --- one file -------------------------------------------------------------------------------------------


def fingerprint(task: tuple[int, str, str, str]) -> tuple[FileInfo, Any, list[int], Any, tuple[str, str] | None]:
    """One file's fingerprint (runs in a worker): its info, its MinHash signature and LSH band keys (None
    when the body is too short for near detection), the keys of its countable guidance units, its
    same-role terms (None for a file read in pieces), and a (reason, message) when it was skipped or
    calls for a warning (reason "" for a warning only)."""
    from ..report import tokens

    index, display, source, encoding = task
    info = FileInfo(index=index, path=display, source=source)
    try:
        size = os.path.getsize(source)
    except OSError as exc:
        return info, None, [], None, (UNREADABLE, f"{display}: cannot read ({exc.strerror or exc})")
    if size > MAX_BYTES:
        return info, None, [], None, (TOO_LARGE, f"{display}: {size:,} bytes, larger than the {MAX_BYTES:,}-byte "
                                                 "limit for an agent file; skipped")
    if size > LARGE_BYTES:
        try:
            return info, None, [], None, ("", read_large(info, encoding))
        except AgentmergeError as exc:
            return info, None, [], None, (UNREADABLE, f"{exc}; skipped")
    try:
        text = read_text(source, display, encoding)
    except AgentmergeError as exc:
        return info, None, [], None, (UNREADABLE, f"{exc}; skipped")
    front, body, unclosed = split_text(text)
    note = ("", f"{display}:1: frontmatter opened with '---' is never closed; read it as body text") if unclosed else None
    normalised_text = text.replace("\r\n", "\n").replace("\r", "\n")
    read_units = _read_units(body)
    units = [(kind, unit_text) for kind, unit_text, _read in read_units]
    for kind, unit_text, read in read_units:
        if _text_kind(kind):
            _tokens(kind, unit_text, read)  # read once, from the body's tokens; the steps below look it up
    del read_units
    data = _frontmatter(front, display)
    info.name = name_of(front, display, data)
    info.format = format_of(display, front is not None)
    info.bytes = len(text.encode("utf-8", "surrogatepass"))
    info.tokens = tokens(normalised_text)
    info.units = len(units)
    info.body_key = body_key(body)
    info.description = description_of(data)
    info.code_key = body_key([text for kind, text in units if kind == "code"])
    hint = data.get("argument-hint")
    info.argument_hint = str(hint) if hint is not None else None
    shingles = _shingles(units)
    signature = None
    if len(shingles) >= MIN_SHINGLES and len(units) >= MIN_UNITS:
        values = _signature(shingles)
        signature = (values, band_keys(values))
    return info, signature, list(repeated_units(units)), role_terms(info.description, units), note

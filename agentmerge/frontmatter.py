"""Frontmatter: strict YAML first, a lenient `key: value` reader when strict YAML refuses, and strict output.

Real agent files often carry frontmatter that YAML rejects (an unquoted one-line `description:` full of
`: ` and `<example>` blocks), yet the assistants that use them load them. We read them the way those
assistants do: top-level `key: value` lines, the value kept verbatim. Only YAML's safe loader is ever used,
so tags such as `!!python/object` are never constructed.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

import yaml

from .model import AgentmergeError, Frontmatter

_FENCE = re.compile(r"---[ \t]*")
_CLOSE = re.compile(r"(---|\.\.\.)[ \t]*")
# A top-level key: a plain word (`name`, `1`, `2024-01-01`) or a quoted one (`"model"`).
_KEY_LINE = re.compile(r"""(?:([A-Za-z_0-9][\w.-]*)|"([^"\\\n]*)"|'([^'\n]*)')[ \t]*:(?:[ \t]|$)""")
# Frontmatter is a handful of fields; anything this large is not an agent's frontmatter.
MAX_FRONTMATTER_BYTES = 1_000_000
MAX_ALIASES = 100
# Deeper flow collections are not loaded: libyaml's composer recurses on the C stack (a `[[[...` 30,000
# levels deep crashes the interpreter) and PyYAML's pure-Python one raises RecursionError.
MAX_DEPTH = 100
_SCALARS = (str, int, float, bool, type(None))
# Safe loading only (no object construction), with libyaml's C parser when available.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPENERS = (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken, yaml.BlockSequenceStartToken,
            yaml.BlockMappingStartToken)
_CLOSERS = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken, yaml.BlockEndToken)
_BRACKETS = re.compile(r"[\[\]{}]")


class TooDeep(ValueError):
    """YAML nested deeper than MAX_DEPTH: read leniently instead of loaded."""


def _too_deep(text: str) -> bool:
    # A cheap upper bound on flow nesting first; the token stream (libyaml's scanner does not recurse)
    # only when brackets alone could nest that deep.
    depth = deepest = 0
    for m in _BRACKETS.finditer(text):
        depth = depth + 1 if m.group() in "[{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    if deepest <= MAX_DEPTH:
        return False
    depth = 0
    try:
        for token in yaml.scan(text, Loader=_SAFE_LOADER):
            if isinstance(token, _OPENERS):
                depth += 1
                if depth > MAX_DEPTH:
                    return True
            elif isinstance(token, _CLOSERS):
                depth -= 1
    except yaml.YAMLError:
        return False  # loading stops at the same error, no deeper than the tokens seen so far
    return False


def _load(text: str) -> Any:
    if _too_deep(text):
        raise TooDeep(f"nested more than {MAX_DEPTH} levels deep")
    return yaml.load(text, Loader=_SAFE_LOADER)


def _try_load(text: str) -> tuple[Any, Exception | None]:
    """`_load`, with every way YAML can refuse odd or hostile text returned as (None, the error): YAML
    errors, but also ValueError/KeyError/AttributeError from its constructors (`date: 2024-02-30`,
    `!!bool maybe`, `!!timestamp x`) and RecursionError from the pure-Python composer."""
    try:
        return _load(text), None
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - any refusal means "not valid YAML"; the text is kept verbatim
        return None, exc


def split_frontmatter(lines: list[str], path: str) -> tuple[Frontmatter | None, int]:
    """Find the frontmatter block at the top of `lines` (no newlines). Returns it and the body's first index."""
    if not lines or not _FENCE.fullmatch(lines[0]):
        return None, 0
    for i in range(1, len(lines)):
        if _CLOSE.fullmatch(lines[i]):
            return parse(lines[1:i], path, start_line=1, end_line=i + 1), i + 1
    raise AgentmergeError(f"{path}:1: frontmatter opened with '---' is never closed")


def parse(lines: list[str], path: str, start_line: int, end_line: int) -> Frontmatter:
    raw = "\n".join(lines)
    if len(raw) > MAX_FRONTMATTER_BYTES:
        raise AgentmergeError(f"{path}:{start_line}: frontmatter is larger than {MAX_FRONTMATTER_BYTES} bytes")
    chunks = _key_chunks(lines, start_line + 1)
    fields = {key: (first, first + len(chunk) - 1) for key, first, chunk in chunks}
    _check_aliases(raw, path, start_line + 1)
    data, error = _try_load(raw) if raw.strip() else ({}, None)
    if data is None and error is None:
        data = {}  # only comments, or an explicit null: no fields
    if isinstance(data, dict):
        verbatim = {key: _verbatim(key, chunk) for key, _first, chunk in chunks}  # the last one of a repeated key
        odd = tuple(_key_text(k) for k in data if not isinstance(k, str))
        named = {_text_of(k): v for k, v in data.items()}
        return Frontmatter(
            data={k: _plain(v, raw_value=verbatim.get(k)) for k, v in named.items()},
            lines=fields, raw=raw, valid_yaml=True, recovered=False,
            start_line=start_line, end_line=end_line, odd_keys=odd,
        )
    recovered: dict[str, Any] = {}
    for key, _first, chunk in chunks:
        recovered[key] = _lenient_value(key, chunk)
    return Frontmatter(
        data=recovered, lines=fields, raw=raw, valid_yaml=False, recovered=bool(recovered),
        start_line=start_line, end_line=end_line,
    )


def _key_text(key: Any) -> str:
    """A key YAML read as a number, a date, a boolean or null, as it is written (`1`, `2024-01-01`, `true`)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if hasattr(key, "isoformat"):
        return key.isoformat()
    if isinstance(key, int) and key.bit_length() > _MAX_INT_BITS:
        return "a very long number"
    return str(key)


def _text_of(key: Any) -> str:
    return key if isinstance(key, str) else _key_text(key)


def field_lines(fm: Frontmatter, key: str) -> tuple[int, int]:
    """The lines a field stands on; the whole block when its key is not on a line of its own (a flow
    mapping `{name: a}`, a merge key `<<:`, an explicit key `? name`)."""
    return fm.lines.get(key) or (fm.start_line + 1, max(fm.start_line + 1, fm.end_line - 1))


def problem(fm: Frontmatter) -> str:
    """A short phrase saying why strict YAML refused this frontmatter (for the one warning per input)."""
    data, exc = _try_load(fm.raw)
    if isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or type(exc).__name__
        if mark is not None:
            return f"{what} (line {fm.start_line + 1 + mark.line})"
        return str(what)
    if isinstance(exc, (TooDeep, RecursionError)):
        return f"nested more than {MAX_DEPTH} levels deep"
    if exc is not None:
        return " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
    if isinstance(data, dict):
        return "a key is not a string"
    return f"it is a {type(data).__name__}, not a mapping of keys"


def duplicate_keys(fm: Frontmatter) -> list[tuple[str, int, int]]:
    """Top-level keys written more than once, as (key, first line, repeated line). YAML forbids them;
    PyYAML and the lenient reader both keep the last value, so the earlier ones do not reach the output."""
    seen: dict[str, int] = {}
    found: list[tuple[str, int, int]] = []
    for key, line, _chunk in _key_chunks(fm.raw.split("\n"), fm.start_line + 1):
        if key in seen:
            found.append((key, seen[key], line))
        else:
            seen[key] = line
    return found


def _check_aliases(raw: str, path: str, first_line: int = 1) -> None:
    """Refuse alias bombs before YAML builds them ("billion laughs"). With the size limit this bounds what
    loading can expand to; and nothing ever walks a loaded value deeper than a list of scalars."""
    if "*" not in raw:
        return
    aliases = 0
    try:
        for token in yaml.scan(raw, Loader=_SAFE_LOADER):
            if isinstance(token, yaml.AliasToken):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise AgentmergeError(
                        f"{path}:{first_line + token.start_mark.line}: frontmatter uses more than {MAX_ALIASES} "
                        "YAML aliases; refusing to expand them")
    except yaml.YAMLError:
        return  # not valid YAML: it is not loaded as a whole either


def _key_chunks(lines: list[str], first_line: int) -> list[tuple[str, int, list[str]]]:
    """Top-level keys with their lines (the key line and the indented or blank lines after it)."""
    chunks: list[tuple[str, int, list[str]]] = []
    for offset, line in enumerate(lines):
        m = _KEY_LINE.match(line)
        if m:
            key = next(g for g in m.groups() if g is not None)
            chunks.append((key, first_line + offset, [line]))
        elif chunks:
            chunks[-1][2].append(line)
    # Trailing blank lines belong to no field.
    for _key, _first, chunk in chunks:
        while len(chunk) > 1 and not chunk[-1].strip():
            chunk.pop()
    return chunks


def _verbatim(key: str, chunk: list[str]) -> str:
    head = _KEY_LINE.sub("", chunk[0], count=1).strip()
    rest = [line for line in chunk[1:]]
    return "\n".join([head, *rest]).strip("\n") if rest else head


_LEADING_TABS = re.compile(r"^[ \t]*\t[ \t]*", re.MULTILINE)


def _lenient_value(key: str, chunk: list[str]) -> Any:
    """The field's value: parsed when that one field is valid YAML on its own (also once tabs used as
    indentation, which YAML forbids, are read as two spaces each), else its text verbatim."""
    text = "\n".join(chunk)
    attempts = [text]
    if _LEADING_TABS.search(text):
        attempts.append(_LEADING_TABS.sub(lambda m: m.group().replace("\t", "  "), text))
    for attempt in attempts:
        parsed, _error = _try_load(attempt)
        if isinstance(parsed, dict) and len(parsed) == 1 and _text_of(next(iter(parsed))) == key:
            value = next(iter(parsed.values()))
            if _scalar(value) or _is_scalar_list(value):
                return value
    return _verbatim(key, chunk)


# Python refuses to turn an integer of more than 4,300 digits into text (CVE-2020-10735): such a value is
# kept as it is written. 14,000 bits is about 4,200 digits.
_MAX_INT_BITS = 14_000


def _scalar(value: Any) -> bool:
    return isinstance(value, _SCALARS) and not (isinstance(value, int) and value.bit_length() > _MAX_INT_BITS)


def _is_scalar_list(value: Any) -> bool:
    return isinstance(value, list) and all(_scalar(v) for v in value)


def _plain(value: Any, raw_value: str | None) -> Any:
    """Keep scalars and lists of scalars; anything deeper is kept as its source text (never walked)."""
    if _scalar(value) or _is_scalar_list(value):
        return value
    return raw_value if raw_value is not None else ""


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and not value.endswith((" ", "\t")) and "\r" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


class _QuotingDumper(yaml.SafeDumper):
    """Every string double-quoted: YAML escapes there whatever it cannot write plainly (NEL, U+2028, ...)."""


_QuotingDumper.add_representer(
    str, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"'))


def _same(a: Any, b: Any) -> bool:
    """Equality that also holds for NaN (`ratio: .nan` is a value like any other)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def dump(data: dict[str, Any]) -> str:
    """Strict YAML for the merged frontmatter; every value loads back exactly (checked). Block style
    where it round-trips, every string double-quoted where it does not. No fields: an empty block."""
    if not data:
        return ""
    for dumper in (_Dumper, _QuotingDumper):
        text = yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=1 << 30,
                         default_flow_style=False)
        loaded, _error = _try_load(text)
        if _same(loaded, data):
            return text
    raise AssertionError("merged frontmatter does not round-trip through YAML")  # pragma: no cover


_EXAMPLE = re.compile(r"<example>.*?</example>", re.DOTALL)
_SPACES = re.compile(r"\s+")
# The merged description keeps at most this many <example> blocks; the report lists any left out.
MAX_EXAMPLES = 6


def field_text(agent, key: str) -> str:
    """The field as it stands in the input, as `key: value` (its source lines)."""
    line, end = field_lines(agent.frontmatter, key)
    lines = _lines_of(agent.text)
    return "\n".join(lines[line - 1 : end])


@lru_cache(maxsize=16)
def _lines_of(text: str) -> tuple[str, ...]:
    # field_text runs once per field: split each file once, not once per field (a str caches its hash).
    return tuple(text.split("\n"))


def tools_of(agent) -> list[str] | None:
    """The input's tools, in order; None when it has no `tools` (it may use every tool). Entries that are not
    tool names (`1`, `null`, `{a: b}`) are left out: see `odd_tools`."""
    if agent.frontmatter is None or "tools" not in agent.frontmatter.data:
        return None
    value = agent.frontmatter.data["tools"]
    if value is None:
        return None
    return read_tools(value)[0]


def odd_tools(agent) -> list[str]:
    """The entries of the input's `tools` that are not tool names, as written."""
    return odd_tools_of(agent.frontmatter) if agent.frontmatter is not None else []


def odd_tools_of(front: Frontmatter) -> list[str]:
    if front.data.get("tools") is None:
        return []
    return read_tools(front.data["tools"])[1]


def read_tools(value: Any) -> tuple[list[str], list[str]]:
    """(tool names, entries that are not tool names) of a `tools` value: a comma-separated string or a list
    of strings. A list holding other things (kept as its source text when it nests) is read item by item;
    a number, a boolean or a mapping names no tool."""
    if isinstance(value, str) and value.strip().startswith(("[", "{")):
        loaded, error = _try_load(value)
        if error is None and isinstance(loaded, list):
            value = loaded
        else:
            return [], [value.strip()]
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()], []
    if not isinstance(value, list):
        return [], [_flow(value)]
    names = [v.strip() for v in value if isinstance(v, str) and v.strip()]
    return names, [_flow(v) for v in value if not isinstance(v, str)]


def _flow(value: Any) -> str:
    """A YAML value as it would be written inline (`null`, `true`, `{a: b}`)."""
    if isinstance(value, int) and not _scalar(value):
        return "a very long number"
    return yaml.safe_dump(value, default_flow_style=True, width=1 << 30).strip().removesuffix("...").strip()


def examples_of(description: str) -> list[str]:
    return _EXAMPLE.findall(description)


def prose_of(description: str) -> str:
    """A description without its <example> blocks, whitespace (and the literal `\\n` of one-line
    descriptions) folded: what it says outside the examples."""
    return _SPACES.sub(" ", _EXAMPLE.sub(" ", description).replace("\\n", " ")).strip()


def descriptions_left_out(agents, prefer: int | None, merged: Any) -> list[dict[str, Any]]:
    """Other inputs' descriptions whose prose (outside <example> blocks) is not in the merged description.

    The merged description is one input's (the preferred one, else the first that has one): descriptions
    tell an assistant when to pick the agent, and prose from several would contradict each other. What the
    others say differently is listed, each with its reason, so nothing leaves the merge unsaid; prose that
    is the merged one's in other words (90% alike) is not listed."""
    from rapidfuzz import fuzz

    holders = [a for a in agents if a.frontmatter is not None and "description" in a.frontmatter.data]
    if not holders:
        return []
    owner = sorted(holders, key=lambda a: (a.index != prefer, a.index))[0]
    base = prose_of(merged) if isinstance(merged, str) else None
    out = []
    for a in holders:
        value = a.frontmatter.data["description"]
        if a is owner or _same(value, merged):
            continue
        line = field_lines(a.frontmatter, "description")[0]
        why = f"the merged description is {owner.path}'s; other inputs' prose is not merged into it"
        if not isinstance(value, str):
            out.append({"path": a.path, "line": line, "text": str(value), "reason": why + " (and this one is not text)"})
            continue
        prose = prose_of(value)
        if not prose or base is not None and (prose in base or fuzz.ratio(prose, base) >= 90):
            continue
        out.append({"path": a.path, "line": line, "text": prose, "reason": why + " (its <example> blocks are)"})
    return out


def merge_frontmatter(agents, prefer: int | None, max_examples: int = MAX_EXAMPLES,
                      decided: dict[str, tuple[int, ...]] | None = None):
    """The merged frontmatter: scalar keys from the first input that has them (the preferred input first),
    the first description plus other inputs' <example> blocks that are not duplicates, up to a cap, and
    the union of tools. `decided`: key -> the inputs a decision keeps for it (tools: the union of theirs).
    Returns (data or None, notes, left-out examples)."""
    decided = decided or {}
    from rapidfuzz import fuzz

    holders = [a for a in agents if a.frontmatter is not None]
    if not holders:
        return None, [], []
    order = sorted(holders, key=lambda a: (a.index != prefer, a.index))
    keys: dict[str, None] = {}  # every input's keys, first appearance first (a dict: no quadratic scans)
    for a in holders:
        keys.update(dict.fromkeys(a.frontmatter.data))
    data: dict[str, Any] = {}
    notes: list[str] = []
    left_out: list[dict[str, Any]] = []
    for key in keys:
        owner = next((a for a in order if key in a.frontmatter.data and (key not in decided or a.index in decided[key])),
                     None)
        if owner is not None:  # None: the decision keeps inputs without the key (tools: every tool)
            data[key] = owner.frontmatter.data[key]
    if isinstance(data.get("description"), str):
        base = next(a for a in order if isinstance(a.frontmatter.data.get("description"), str))
        text = data["description"]
        literal = "\\n" in text and "\n" not in text
        sep = "\\n\\n" if literal else "\n\n"
        kept = [_SPACES.sub(" ", e) for e in examples_of(text)]
        added: list[str] = []
        for a in holders:
            if a is base or not isinstance(a.frontmatter.data.get("description"), str):
                continue
            for example in examples_of(a.frontmatter.data["description"]):
                folded = _SPACES.sub(" ", example)
                if any(fuzz.ratio(folded, k) >= 90 for k in kept):
                    continue
                if len(kept) >= max_examples:
                    left_out.append({"path": a.path, "text": example})
                    continue
                kept.append(folded)
                added.append(example.replace("\n", "\\n") if literal else example)
        if added:
            data["description"] = text.rstrip() + sep + sep.join(added)
            notes.append(f"description: added {len(added)} <example> block(s) from other inputs")
        if left_out:
            notes.append(f"description: left out {len(left_out)} <example> block(s) over the cap of {max_examples}")
    tool_holders = [a for a in holders if "tools" not in decided or a.index in decided["tools"]]
    tool_lists = [tools_of(a) for a in tool_holders]
    odd = [(a.path, odd_tools(a)) for a in tool_holders]
    odd = [(path, entries) for path, entries in odd if entries]
    listed = "; ".join(f"{path}: {', '.join(entries)}" for path, entries in odd)
    if any(t is not None for t in tool_lists):
        if any(t is None for t in tool_lists):
            data.pop("tools", None)
            notes.append("tools: an input has no `tools` (every tool), so the merged agent has none listed")
        else:
            union = list(dict.fromkeys(x for t in tool_lists for x in t))
            first = next(a for a in order if "tools" in a.frontmatter.data and a in tool_holders)
            if union or not odd:
                data["tools"] = union if isinstance(first.frontmatter.data["tools"], list) else ", ".join(union)
            if odd:  # nothing understood at all: the field stays as written, never read as "no tools"
                notes.append(f"tools: not tool names, {'left out of the merged tools' if union else 'kept as written'}: "
                             + listed)
    return data, notes, left_out

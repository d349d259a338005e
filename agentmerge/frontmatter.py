"""Frontmatter: strict YAML first, a lenient `key: value` reader when strict YAML refuses, and strict output.

Real agent files often carry frontmatter that YAML rejects (an unquoted one-line `description:` full of
`: ` and `<example>` blocks), yet the assistants that use them load them. We read them the way those
assistants do: top-level `key: value` lines, the value kept verbatim. Only YAML's safe loader is ever used,
so tags such as `!!python/object` are never constructed.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .model import AgentmergeError, Frontmatter

_FENCE = re.compile(r"---[ \t]*")
_CLOSE = re.compile(r"(---|\.\.\.)[ \t]*")
_KEY_LINE = re.compile(r"([A-Za-z_][\w.-]*)[ \t]*:(?:[ \t]|$)")
# Frontmatter is a handful of fields; anything this large is not an agent's frontmatter.
MAX_FRONTMATTER_BYTES = 1_000_000
MAX_ALIASES = 100
_SCALARS = (str, int, float, bool, type(None))
# Safe loading only (no object construction), with libyaml's C parser when available.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(text: str):
    return yaml.load(text, Loader=_SAFE_LOADER)


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
        raise AgentmergeError(f"{path}: frontmatter is larger than {MAX_FRONTMATTER_BYTES} bytes")
    chunks = _key_chunks(lines, start_line + 1)
    fields = {key: (first, first + len(chunk) - 1) for key, first, chunk in chunks}
    try:
        _check_aliases(raw, path)
        data = _load(raw) if raw.strip() else {}
    except yaml.YAMLError:
        data = None
    if isinstance(data, dict) and all(isinstance(k, str) for k in data):
        return Frontmatter(
            data={k: _plain(v, raw_value=_chunk_value(chunks, k)) for k, v in data.items()},
            lines=fields, raw=raw, valid_yaml=True, recovered=False,
            start_line=start_line, end_line=end_line,
        )
    recovered: dict[str, Any] = {}
    for key, _first, chunk in chunks:
        recovered[key] = _lenient_value(key, chunk)
    return Frontmatter(
        data=recovered, lines=fields, raw=raw, valid_yaml=False, recovered=bool(recovered),
        start_line=start_line, end_line=end_line,
    )


def problem(fm: Frontmatter) -> str:
    """A short phrase saying why strict YAML refused this frontmatter (for the one warning per input)."""
    try:
        data = _load(fm.raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or type(exc).__name__
        if mark is not None:
            return f"{what} (line {fm.start_line + 1 + mark.line})"
        return str(what)
    return f"it is a {type(data).__name__}, not a mapping of keys"


def _check_aliases(raw: str, path: str) -> None:
    """Refuse alias bombs before PyYAML builds them ("billion laughs")."""
    if "*" not in raw:
        return
    aliases = 0
    for token in yaml.scan(raw, Loader=_SAFE_LOADER):
        if isinstance(token, yaml.AliasToken):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise AgentmergeError(f"{path}: frontmatter uses more than {MAX_ALIASES} YAML aliases; refusing to expand them")


def _key_chunks(lines: list[str], first_line: int) -> list[tuple[str, int, list[str]]]:
    """Top-level keys with their lines (the key line and the indented or blank lines after it)."""
    chunks: list[tuple[str, int, list[str]]] = []
    for offset, line in enumerate(lines):
        m = _KEY_LINE.match(line)
        if m:
            chunks.append((m.group(1), first_line + offset, [line]))
        elif chunks:
            chunks[-1][2].append(line)
    # Trailing blank lines belong to no field.
    for _key, _first, chunk in chunks:
        while len(chunk) > 1 and not chunk[-1].strip():
            chunk.pop()
    return chunks


def _chunk_value(chunks: list[tuple[str, int, list[str]]], key: str) -> str | None:
    for k, _first, chunk in chunks:
        if k == key:
            return _verbatim(k, chunk)
    return None


def _verbatim(key: str, chunk: list[str]) -> str:
    head = chunk[0][chunk[0].index(":") + 1 :].strip()
    rest = [line for line in chunk[1:]]
    return "\n".join([head, *rest]).strip("\n") if rest else head


def _lenient_value(key: str, chunk: list[str]) -> Any:
    """The field's value: parsed when that one field is valid YAML on its own, else its text verbatim."""
    try:
        parsed = _load("\n".join(chunk))
    except yaml.YAMLError:
        parsed = None
    if isinstance(parsed, dict) and list(parsed) == [key]:
        value = parsed[key]
        if isinstance(value, _SCALARS) or _is_scalar_list(value):
            return value
    return _verbatim(key, chunk)


def _is_scalar_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, _SCALARS) for v in value)


def _plain(value: Any, raw_value: str | None) -> Any:
    """Keep scalars and lists of scalars; anything deeper is kept as its source text (never walked)."""
    if isinstance(value, _SCALARS) or _is_scalar_list(value):
        return value
    return raw_value if raw_value is not None else ""


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and not value.endswith((" ", "\t")) and "\r" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump(data: dict[str, Any]) -> str:
    """Strict YAML for the merged frontmatter; every value loads back exactly (checked)."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1 << 30, default_flow_style=False)
    if _load(text) != data:  # pragma: no cover - a bug in our dumping, never the user's input
        raise AssertionError("merged frontmatter does not round-trip through YAML")
    return text


_EXAMPLE = re.compile(r"<example>.*?</example>", re.DOTALL)
_SPACES = re.compile(r"\s+")
# The merged description keeps at most this many <example> blocks; the report lists any left out.
MAX_EXAMPLES = 6


def field_text(agent, key: str) -> str:
    """The field as it stands in the input, as `key: value` (its source lines)."""
    fm = agent.frontmatter
    line, end = fm.lines[key]
    lines = agent.text.split("\n")
    return "\n".join(lines[line - 1 : end])


def tools_of(agent) -> list[str] | None:
    """The input's tools, in order; None when it has no `tools` (it may use every tool)."""
    if agent.frontmatter is None or "tools" not in agent.frontmatter.data:
        return None
    value = agent.frontmatter.data["tools"]
    if value is None:
        return None
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(t).strip() for t in items if str(t).strip()]


def examples_of(description: str) -> list[str]:
    return _EXAMPLE.findall(description)


def merge_frontmatter(agents, prefer: int | None, max_examples: int = MAX_EXAMPLES):
    """The merged frontmatter: scalar keys from the first input that has them (the preferred input first),
    the first description plus other inputs' <example> blocks that are not duplicates, up to a cap, and
    the union of tools. Returns (data or None, notes, left-out examples)."""
    from rapidfuzz import fuzz

    holders = [a for a in agents if a.frontmatter is not None]
    if not holders:
        return None, [], []
    order = sorted(holders, key=lambda a: (a.index != prefer, a.index))
    keys: list[str] = []
    for a in holders:
        keys.extend(k for k in a.frontmatter.data if k not in keys)
    data: dict[str, Any] = {}
    notes: list[str] = []
    left_out: list[dict[str, Any]] = []
    for key in keys:
        owner = next(a for a in order if key in a.frontmatter.data)
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
    tool_lists = [tools_of(a) for a in holders]
    if any(t is not None for t in tool_lists):
        if any(t is None for t in tool_lists):
            data.pop("tools", None)
            notes.append("tools: an input has no `tools` (every tool), so the merged agent has none listed")
        else:
            union: list[str] = []
            for t in tool_lists:
                union.extend(x for x in t if x not in union)
            first = next(a for a in order if "tools" in a.frontmatter.data)
            data["tools"] = union if isinstance(first.frontmatter.data["tools"], list) else ", ".join(union)
    return data, notes, left_out

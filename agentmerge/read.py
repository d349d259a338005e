"""Read agent files: bytes -> text -> frontmatter + body -> sections and units."""

from __future__ import annotations

import os
from dataclasses import replace
from collections.abc import Sequence

from . import frontmatter as fm
from .model import Agent, AgentmergeError
from .split import split

# A file this large is not an agent definition; refusing it keeps memory bounded.
MAX_FILE_BYTES = 50 * 1024 * 1024


def decode(data: bytes, path: str, encoding: str = "utf-8") -> str:
    """Bytes to text: BOM stripped, invalid bytes reported with their line and byte offset."""
    if b"\x00" in data[:8192] or b"\x00" in data:
        offset = data.index(b"\x00")
        raise AgentmergeError(f"{path}: binary file (NUL byte at offset {offset}); agent files are text")
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise AgentmergeError(
            f"{path}:{line}: not valid {encoding} (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "name the file's encoding with --encoding"
        ) from None
    except LookupError:
        raise AgentmergeError(f"unknown encoding {encoding!r}") from None


def newline_style(text: str) -> str:
    """"\\r\\n" when most line endings are CRLF, else "\\n"."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"


def parse_agent(text: str, path: str, index: int = 0, first_uid: int = 0) -> Agent:
    """Parse an agent from its text (any newline style). `path` is used in messages and the report."""
    newline = newline_style(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    front, body_start = fm.split_frontmatter(lines, path)
    warnings: list[str] = []
    if front is not None and not front.valid_yaml:
        how = f"recovered {len(front.data)} field(s) as plain key: value lines" if front.recovered else "ignored it"
        warnings.append(f"{path}: frontmatter is not valid YAML ({fm.problem(front)}); {how}")
    sections, units, layout, head, tail = split(
        lines[body_start:], source=index, path=path, first_line=body_start + 1, first_uid=first_uid
    )
    return Agent(index=index, path=path, text=text, newline=newline, frontmatter=front, body_line=body_start + 1,
                 sections=sections, units=units, layout=layout, head=head, tail=tail, warnings=tuple(warnings))


def read_bytes(path: str) -> bytes:
    if os.path.isdir(path):
        raise AgentmergeError(f"{path}: is a directory, not an agent file")
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise AgentmergeError(f"{path}: {size} bytes is larger than the {MAX_FILE_BYTES}-byte limit for an agent file")
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise AgentmergeError(f"{path}: no such file") from None
    except PermissionError:
        raise AgentmergeError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise AgentmergeError(f"{path}: is a directory, not an agent file") from None
    except OSError as exc:
        raise AgentmergeError(f"{path}: cannot read ({exc.strerror or exc})") from None


def read_agents(paths: Sequence[str], encoding: str = "utf-8") -> tuple[Agent, ...]:
    """Read and split every input; unit ids run on across inputs so they order the whole run."""
    agents: list[Agent] = []
    next_uid = 0
    for index, path in enumerate(paths):
        text = decode(read_bytes(path), path, encoding)
        agent = parse_agent(text, path, index=index, first_uid=next_uid)
        next_uid += len(agent.units)
        agents.append(agent)
    return tuple(agents)


def renumbered(agent: Agent, index: int, first_uid: int) -> Agent:
    """The same agent as input number `index` with unit ids from `first_uid` (for agents parsed one by one)."""
    old_first = agent.units[0].uid if agent.units else 0
    if agent.index == index and old_first == first_uid:
        return agent
    shift = first_uid - old_first
    units = tuple(replace(u, uid=u.uid + shift, source=index) for u in agent.units)
    sections = tuple(replace(s, units=tuple(x + shift for x in s.units)) for s in agent.sections)
    layout = tuple(replace(s, ref=s.ref + shift) if s.kind == "unit" else s for s in agent.layout)
    return replace(agent, index=index, units=units, sections=sections, layout=layout)


def numbered(agents: Sequence[Agent]) -> tuple[Agent, ...]:
    """Agents numbered 0..n-1 with unit ids running on across them, as the pipeline expects."""
    out = []
    next_uid = 0
    for index, agent in enumerate(agents):
        out.append(renumbered(agent, index, next_uid))
        next_uid += len(agent.units)
    return tuple(out)

"""Read agent files: bytes -> text -> frontmatter + body -> sections and units."""

from __future__ import annotations

import codecs
import os
import stat
import sys
from dataclasses import replace
from collections.abc import Sequence

from . import frontmatter as fm
from . import model
from .model import Agent, AgentmergeError, printable
from .split import split

# A file this large is not an agent definition; refusing it keeps memory bounded.
MAX_FILE_BYTES = 50 * 1024 * 1024

# `-` as an input path reads standard input; messages and the report call it this.
STDIN = "-"
STDIN_NAME = "<stdin>"


# Byte-order marks, longest first (UTF-32's little-endian mark starts with UTF-16's).
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_WIDE_HINT = ("a UTF-16 or UTF-32 file without a byte-order mark is read with --encoding utf-16-le "
              "(or utf-16-be, utf-32-le, utf-32-be)")


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark at the start of `data` names, or None."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def decode(data: bytes, path: str, encoding: str = "utf-8") -> str:
    """Bytes to text: BOM stripped, invalid bytes reported with their line and byte offset.

    A byte-order mark (UTF-8, UTF-16, UTF-32) decides each file's encoding whatever --encoding says;
    without one, the file must decode as --encoding, and a file that cannot be text in it is refused."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise AgentmergeError(f"--encoding {encoding}: unknown encoding") from None
    codec = bom_encoding(data)
    named = encoding if codec is None else codec.removesuffix("-sig") + " (by its byte-order mark)"
    if codec is None:
        codec = "utf-8-sig" if name == "utf-8" else encoding
        wide = name.startswith(("utf-16", "utf-32"))  # their text has NUL bytes in it
        if not wide and b"\x00" in data:
            offset = data.index(b"\x00")
            raise AgentmergeError(f"{path}: binary file (NUL byte at offset {offset}); agent files are text; "
                                  + _WIDE_HINT)
        if wide and data and b"\x00" not in data:
            # Every line break and every ASCII character of UTF-16 or UTF-32 text has a NUL byte: without
            # one, this is some other encoding (most likely UTF-8), and decoding would make nonsense of it.
            raise AgentmergeError(f"{path}: not {encoding} text (no byte-order mark, and none of the NUL bytes "
                                  f"{encoding} text has); it is probably UTF-8: merge it without --encoding "
                                  "or give it a byte-order mark")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise AgentmergeError(
            f"{path}:{line}: not valid {named} "
            f"(byte 0x{data[exc.start]:02x} at offset {exc.start}); name the file's encoding with --encoding"
        ) from None
    if "\x00" in text:
        offset = text.index("\x00")
        raise AgentmergeError(f"{path}: binary file (NUL character at character {offset}); agent files are text")
    return text.removeprefix("\ufeff")


def newline_style(text: str) -> str:
    """"\\r\\n" when most line endings are CRLF, else "\\n"."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"


def _newline_warning(text: str, path: str, newline: str) -> str | None:
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    cr = text.count("\r") - crlf
    kinds = [f"{n} {name}" for n, name in ((crlf, "CRLF"), (lf, "LF"), (cr, "CR")) if n]
    if len(kinds) < 2:
        return None
    style = "CRLF" if newline == "\r\n" else "LF"
    return f"{path}: mixed line endings ({', '.join(kinds)}); each is read as a line break, {style} is written"


def parse_agent(text: str, path: str, index: int = 0, first_uid: int = 0) -> Agent:
    """Parse an agent from its text (any newline style). `path` is used in messages and the report."""
    warnings: list[str] = []
    if not text.strip():
        warnings.append(f"{path}: empty file; it adds nothing to the merge")
    newline = newline_style(text)
    if "\r" in text:
        mixed = _newline_warning(text, path, newline)
        if mixed:
            warnings.append(mixed)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    front, body_start = fm.split_frontmatter(lines, path)
    if front is not None and not front.valid_yaml and not front.recovered:
        # A list, a scalar or unreadable text between `---` lines: no fields to merge. It stays in the
        # body as the Markdown it is, so nothing of it is lost.
        warnings.append(f"{path}:{front.start_line}: the block between the '---' lines is not frontmatter "
                        f"({fm.problem(front)}); kept it as body text")
        front, body_start = None, 0
    elif front is not None and not front.valid_yaml:
        warnings.append(f"{path}: frontmatter is not valid YAML ({fm.problem(front)}); "
                        f"recovered {len(front.data)} field(s) as plain key: value lines")
    if front is not None and front.odd_keys:
        warnings.append(f"{path}:{front.start_line}: frontmatter key(s) {', '.join(front.odd_keys)} are not text "
                        "(YAML reads them as numbers, dates or booleans); kept as written, as text keys")
    if front is not None and fm.odd_tools_of(front):
        line = fm.field_lines(front, "tools")[0]
        warnings.append(f"{path}:{line}: tools: not tool names: {', '.join(fm.odd_tools_of(front))}; "
                        "they are not merged as tools (the report lists them)")
    if front is not None:
        for key, first, again in fm.duplicate_keys(front):
            warnings.append(f"{path}:{again}: frontmatter key {key!r} repeats line {first}; the last value is used")
    sections, units, layout, head, tail = split(
        lines[body_start:], source=index, path=path, first_line=body_start + 1, first_uid=first_uid
    )
    blocks = [u for u in units if u.kind == model.CONFLICT]
    if blocks:
        warnings.append(f"{path}:{blocks[0].line}: {len(blocks)} unresolved conflict block(s) "
                        f"(<<<<<<< … >>>>>>>); each is kept whole — resolve them in the file")
    return Agent(index=index, path=path, text=text, newline=newline, frontmatter=front, body_line=body_start + 1,
                 sections=sections, units=units, layout=layout, head=head, tail=tail, warnings=tuple(warnings))


_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def read_regular(path: str, limit: int, what: str = "an agent file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes. A named pipe nobody writes to would block the
    read forever and a device such as /dev/zero never ends: anything but a regular file is refused."""
    try:
        # O_NONBLOCK: opening a named pipe for reading must not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise AgentmergeError(f"{path}: no such file") from None
    except PermissionError:
        raise AgentmergeError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise AgentmergeError(f"{path}: is a directory, not {what}") from None
    except OSError as exc:
        raise AgentmergeError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise AgentmergeError(f"{path}: is a directory, not {what}")
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
            raise AgentmergeError(f"{path}: is {kind}; agentmerge reads only regular files")
        if info.st_size > limit:
            raise AgentmergeError(f"{path}: {info.st_size} bytes is larger than the {limit}-byte limit for {what}")
        os.set_blocking(fd, True)
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)  # bounded even if the file grows while it is read
    except PermissionError:
        raise AgentmergeError(f"{path}: permission denied") from None
    except OSError as exc:
        raise AgentmergeError(f"{path}: cannot read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise AgentmergeError(f"{path}: larger than the {limit}-byte limit for {what}")
    return data


def read_bytes(path: str) -> bytes:
    if path == STDIN:
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise AgentmergeError(f"{STDIN_NAME}: larger than the {MAX_FILE_BYTES}-byte limit for an agent file")
        return data
    return read_regular(path, MAX_FILE_BYTES)


def read_agents(paths: Sequence[str], encoding: str = "utf-8") -> tuple[Agent, ...]:
    """Read and split every input; unit ids run on across inputs so they order the whole run."""
    agents: list[Agent] = []
    next_uid = 0
    for index, path in enumerate(paths):
        name = STDIN_NAME if path == STDIN else printable(path)  # not UTF-8: shown escaped, read by its bytes
        text = decode(read_bytes(path), name, encoding)
        agent = parse_agent(text, name, index=index, first_uid=next_uid)
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

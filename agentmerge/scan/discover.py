"""Discovery: the agent definitions under the PATHs, and every Markdown file passed over with its reason.

A file is an agent-like definition by its place or name (anything under `agents/` or `commands/`, skills'
`SKILL.md`, CLAUDE.md / AGENTS.md / GEMINI.md, Cursor `.mdc` rules, Copilot `*.agent.md`,
`*.instructions.md`, `*.prompt.md`, `*.chatmode.md`) or by its content: a Markdown file whose frontmatter
has both `name` and `description`, wherever it lives. README, CHANGELOG, LICENSE and their kin never are.

Ignore files are honoured as git reads them (and as ruff and black do): every `.gitignore` met on the way
down applies below its own folder, the deeper one deciding, together with the `.gitignore` files above the
scanned folder up to the repository's root and that repository's `.git/info/exclude`. Patterns are read by
`pathspec`'s GitIgnoreSpec. A file named directly as a PATH is always read.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..model import AgentmergeError
from .settings import (AGENT_FOLDERS, AGENT_SUFFIXES, DOC_STEMS, HEAD_BYTES, INSTRUCTION_NAMES,
                       MARKDOWN_SUFFIXES, SKIP_DIRS, SKIP_NAMES)

# Reasons a file (or a folder, its path ending in "/") is passed over: the `reason` of `skipped[]`.
GITIGNORED = "gitignored"
EXCLUDED = "excluded"
VENDORED = "vendored or generated folder"
DOCUMENTATION = "documentation"
NO_FRONTMATTER = "no name and description in frontmatter"
SAME_FILE = "same file"
NOT_A_FILE = "not a regular file"
# Set by the fingerprint stage (see fingerprint.py), listed the same way.
UNREADABLE = "unreadable"
TOO_LARGE = "too large"

VCS_DIRS = frozenset({".git", ".hg", ".svn", ".bzr"})  # version-control metadata: pruned, not listed


@dataclass(frozen=True)
class Found:
    """A discovered file: its path for people (`path`, relative to the PATH given) and for the OS."""

    path: str
    source: str


@dataclass(frozen=True)
class Skipped:
    """A file (or a folder: `path` ends in "/") passed over, why, and what decided it."""

    path: str
    reason: str
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        out = {"path": self.path, "reason": self.reason}
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass
class Discovery:
    found: list[Found]
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def is_documentation(name: str) -> bool:
    """README.md, README.zh-CN.md, CHANGELOG.md, LICENSE.md, CONTRIBUTING.md and the like."""
    lower = name.lower()
    return lower in SKIP_NAMES or lower.split(".", 1)[0] in DOC_STEMS


def is_markdown(name: str) -> bool:
    lower = name.lower()
    return lower.endswith(MARKDOWN_SUFFIXES) or lower in INSTRUCTION_NAMES


def by_place(rel_parts: Sequence[str], root_name: str = "") -> bool:
    """Whether a file is an agent definition by its name or folder alone (no need to read it)."""
    name = rel_parts[-1].lower()
    if is_documentation(name):
        return False
    if name in INSTRUCTION_NAMES or name.endswith(AGENT_SUFFIXES):
        return True
    if not name.endswith(".md"):
        return False
    folders = [p.lower() for p in rel_parts[:-1]]
    if root_name:
        folders.insert(0, root_name.lower())
    return any(f in AGENT_FOLDERS for f in folders)


def is_agent_like(rel_parts: Sequence[str], root_name: str = "") -> bool:
    """Whether a file looks like an agent definition by its path (discovery also reads Markdown files'
    frontmatter: see `has_agent_frontmatter`)."""
    return by_place(rel_parts, root_name)


_OPEN = re.compile(rb"---[ \t]*\r?\n")
_CLOSE = re.compile(rb"^(?:---|\.\.\.)[ \t]*\r?$", re.M)
_KEY = re.compile(rb"^([A-Za-z_][\w-]*)[ \t]*:", re.M)


def frontmatter_keys(head: bytes) -> set[str] | None:
    """The top-level keys of the frontmatter at the start of `head` (None when it has no closed one).
    Keys only: strict YAML rejects many real agents' frontmatter, but their keys still read this way."""
    head = head.removeprefix(b"\xef\xbb\xbf")
    opened = _OPEN.match(head)
    if not opened:
        return None
    close = _CLOSE.search(head, opened.end())
    if not close:
        return None
    return {m.group(1).decode("ascii") for m in _KEY.finditer(head, opened.end(), close.start())}


def has_agent_frontmatter(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            keys = frontmatter_keys(handle.read(HEAD_BYTES))
    except OSError:
        return False
    return keys is not None and "name" in keys and "description" in keys


class IgnoreRules:
    """The ignore files that apply to one scanned folder: `(base, spec, label)`, `base` relative to `top`
    (the repository's root when the folder is inside one, else the folder itself)."""

    def __init__(self, root: str):
        import pathspec

        self._pathspec = pathspec
        self.root = os.path.abspath(root)
        self.top = _repository_root(self.root) or self.root
        self.prefix = os.path.relpath(self.root, self.top).replace(os.sep, "/")
        self.prefix = "" if self.prefix == "." else self.prefix + "/"
        self.specs: dict[str, list[tuple[object, str]]] = {}
        self.warnings: list[str] = []
        exclude = os.path.join(self.top, ".git", "info", "exclude")
        if os.path.isfile(exclude):
            self._add("", exclude, ".git/info/exclude")
        # The .gitignore files above the scanned folder, up to the repository's root.
        if self.prefix:
            parts = self.prefix.rstrip("/").split("/")
            for i in range(len(parts)):
                base = "/".join(parts[:i])
                self._add(base, os.path.join(self.top, *parts[:i], ".gitignore"))

    def _add(self, base: str, path: str, label: str | None = None) -> None:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            return
        label = label or ((base + "/" if base else "") + ".gitignore")
        try:
            spec = self._pathspec.GitIgnoreSpec.from_lines(lines)
        except ValueError:  # a line git would not read either ("!" alone, a trailing backslash): skip it
            good = []
            for n, line in enumerate(lines, 1):
                try:
                    self._pathspec.GitIgnoreSpec.from_lines([line])
                    good.append(line)
                except ValueError:
                    self.warnings.append(f"{label}:{n}: not a gitignore pattern ({line!r}); ignored")
            spec = self._pathspec.GitIgnoreSpec.from_lines(good)
        self.specs.setdefault(base, []).append((spec, label))

    def enter(self, rel_folder: str, names: Sequence[str]) -> None:
        """Read the folder's own .gitignore (`rel_folder` relative to the scanned root) before its entries."""
        if ".gitignore" in names:
            base = (self.prefix + rel_folder).rstrip("/") if rel_folder else self.prefix.rstrip("/")
            self._add(base, os.path.join(self.root, rel_folder, ".gitignore"))

    def ignored(self, rel: str, is_dir: bool) -> str | None:
        """The ignore file that ignores `rel` (relative to the scanned root), or None. The deepest ignore
        file with a matching pattern decides, its last matching pattern winning (`!` re-includes)."""
        path = self.prefix + rel + ("/" if is_dir else "")
        parts = path.rstrip("/").split("/")
        for depth in range(len(parts) - 1, -1, -1):
            base = "/".join(parts[:depth])
            for spec, label in reversed(self.specs.get(base, ())):
                result = spec.check_file(path[len(base) + 1 :] if base else path)
                if result.include is not None:
                    return label if result.include else None
        return None


def _repository_root(folder: str) -> str | None:
    cur = folder
    while True:
        if os.path.exists(os.path.join(cur, ".git")):
            return cur
        parent = os.path.dirname(cur)
        if parent == cur:
            return None
        cur = parent


def _globs(patterns: Sequence[str], option: str):
    if not patterns:
        return None
    import pathspec

    for p in patterns:
        try:
            pathspec.GitIgnoreSpec.from_lines([p])
        except ValueError:
            raise AgentmergeError(f"{option} {p!r}: not a gitignore-style glob") from None
    return pathspec.GitIgnoreSpec.from_lines(list(patterns))


def _matches(spec, rel: str, is_dir: bool = False) -> bool:
    return spec is not None and spec.match_file(rel + ("/" if is_dir else ""))


def _display(root: str, rel: str, several: bool) -> str:
    rel = rel.replace(os.sep, "/")
    if not several:
        return rel
    prefix = os.path.normpath(root).replace(os.sep, "/")
    return rel if prefix == "." else f"{prefix}/{rel}"


def discover_all(paths: Sequence[str], exclude: Sequence[str] = (), include: Sequence[str] = (),
                 gitignore: bool = True) -> Discovery:
    """Agent-like files under `paths`, sorted by display path, and the Markdown files passed over.

    `exclude` and `include` are gitignore-style globs on paths relative to each PATH: an excluded file
    or folder is passed over; an included Markdown file is read as an agent whatever its content or
    place. Ignore files and `exclude` win over `include`. Display paths are relative to the PATH given
    (prefixed with it when there are several PATHs). Files reached twice (overlapping PATHs, symbolic
    links) are read once.
    """
    if not paths:
        raise AgentmergeError("no PATH to scan")
    several = len(paths) > 1
    excluded, included = _globs(exclude, "--exclude"), _globs(include, "--include")
    found: list[Found] = []
    out = Discovery(found=[])
    for root in paths:
        if not os.path.exists(root):
            raise AgentmergeError(f"{root}: no such file or directory")
        if os.path.isfile(root):
            found.append(Found(os.path.normpath(root).replace(os.sep, "/"), root))
            continue
        if not os.path.isdir(root):
            raise AgentmergeError(f"{root}: not a file or directory")
        root_name = os.path.basename(os.path.abspath(root))
        rules = IgnoreRules(root) if gitignore else None

        def onerror(exc: OSError) -> None:
            out.warnings.append(f"{exc.filename}: cannot list ({exc.strerror or exc})")

        def skip(rel: str, reason: str, detail: str = "") -> None:
            out.skipped.append(Skipped(_display(root, rel, several), reason, detail))

        for folder, dirs, names in os.walk(root, onerror=onerror):
            rel_folder = os.path.relpath(folder, root)
            rel_folder = "" if rel_folder == "." else rel_folder.replace(os.sep, "/")
            if rules is not None:
                rules.enter(rel_folder, names)
            keep = []
            for d in sorted(dirs):
                rel = f"{rel_folder}/{d}" if rel_folder else d
                if d in VCS_DIRS:
                    continue
                if d in SKIP_DIRS or d.endswith(".egg-info"):
                    skip(rel + "/", VENDORED)
                elif _matches(excluded, rel, is_dir=True):
                    skip(rel + "/", EXCLUDED)
                elif rules is not None and (label := rules.ignored(rel, is_dir=True)):
                    skip(rel + "/", GITIGNORED, label)
                else:
                    keep.append(d)
            dirs[:] = keep
            parts = rel_folder.split("/") if rel_folder else []
            for n in sorted(names):
                if not is_markdown(n):
                    continue
                rel = f"{rel_folder}/{n}" if rel_folder else n
                full = os.path.join(folder, n)
                if _matches(excluded, rel):
                    skip(rel, EXCLUDED)
                    continue
                if rules is not None and (label := rules.ignored(rel, is_dir=False)):
                    skip(rel, GITIGNORED, label)
                    continue
                try:
                    if not stat.S_ISREG(os.stat(full).st_mode):
                        skip(rel, NOT_A_FILE)
                        continue
                except OSError:
                    skip(rel, NOT_A_FILE, "a dangling symbolic link")
                    continue
                if _matches(included, rel):
                    pass
                elif is_documentation(n):
                    skip(rel, DOCUMENTATION)
                    continue
                elif not by_place([*parts, n], root_name) and not has_agent_frontmatter(full):
                    skip(rel, NO_FRONTMATTER)
                    continue
                found.append(Found(_display(root, rel, several), full))
        if rules is not None:
            out.warnings += rules.warnings
    found.sort(key=lambda f: f.path)
    seen: dict[tuple[int, int] | str, str] = {}
    for f in found:
        try:
            st = os.stat(f.source)
            ident: tuple[int, int] | str = (st.st_dev, st.st_ino)
        except OSError:
            ident = os.path.realpath(f.source)
        if ident in seen:
            if seen[ident] != f.path:
                out.skipped.append(Skipped(f.path, SAME_FILE, seen[ident]))
            continue
        seen[ident] = f.path
        out.found.append(f)
    out.skipped.sort(key=lambda s: s.path)
    return out


def discover(paths: Sequence[str], exclude: Sequence[str] = ()) -> tuple[list[Found], list[str]]:
    """Agent-like files under `paths`, sorted by display path, and warnings (see `discover_all`)."""
    found = discover_all(paths, exclude)
    return found.found, found.warnings

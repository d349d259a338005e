"""Survey a library of agent definitions: find agent-like files, cluster exact and near duplicates.

No step compares all pairs of files or units. The pipeline streams, in sorted path order:

1. **discover**: walk the PATHs for agent-like files (Claude Code agents and commands, skills, CLAUDE.md /
   AGENTS.md / GEMINI.md, Cursor rules, Copilot instructions, agents and chat modes), skipping `.git`,
   `node_modules` and other vendored or generated folders.
2. **fingerprint** (worker processes): read each file, split its body into units (paragraphs, list items,
   code blocks, tables) with a light line splitter, normalise each unit with `agentmerge.normalize`, and
   compute the exact key (a hash of the body with whitespace folded) and a MinHash signature over word
   3-gram shingles of the normalised units.
3. **block**: exact copies group by key; for one representative per distinct body, the MinHash
   signature (datasketch) is cut into LSH bands, and files that agree on all values of a band are
   candidates. Band keys live in one NumPy array; buckets are found by sorting each band.
4. **verify** (worker processes, batched): each file's units are scored against the units of all its
   candidates in one `rapidfuzz.process.cdist` call. A pair's score is the share of units, on both
   sides, that have a close counterpart in the other file (token_sort_ratio >= `unit_cutoff`).
5. **cluster**: verified pairs (score >= `threshold`) form components; a component is one cluster when
   every member verifies against one anchor, otherwise it is cut into star clusters around anchors, so
   a chain of look-alikes never stretches a cluster across roles.
6. **analyse** (worker processes): the merge pipeline runs on each cluster's files and gives the
   conflicts between them and the size of the merged agent, hence the tokens consolidation saves.

Memory: the main process keeps per file a few scalars and its LSH band keys (8 bytes per band), and a
bounded counter of repeated guidance; unit texts are never held for the whole library, candidates are
re-read (through a bounded cache in each worker) when they are verified.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import stat
import sys
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatch
from functools import lru_cache
from typing import Any

from .model import AgentmergeError, printable

SCHEMA = "agentmerge-scan/1"

# --- tuned constants (see docs/scale.md; tuned on bench/synth.py libraries, seeds 1-3) -------------------

# Near duplicates: two files whose units overlap by at least this share (both sides counted).
# Planted near duplicates score 0.82-0.99, unrelated agents of the same role at most about 0.35.
THRESHOLD = 0.6
# A unit has a close counterpart when rapidfuzz's token_sort_ratio on normalised words reaches this.
UNIT_CUTOFF = 80
# MinHash LSH: 255 permutations in 51 bands of 5 rows. A pair with shingle Jaccard J becomes a candidate
# with probability 1 - (1 - J^5)^51: 0.05% at J = 0.1, 1.6% at 0.2, 80% at 0.5, 98% at 0.6, 99.99% at 0.75.
NUM_PERM = 255
BANDS, ROWS = 51, 5
MINHASH_SEED = 1
SHINGLE = 3  # words per shingle
MIN_SHINGLES = 5  # smaller bodies are too short for near-duplicate detection (exact copies still count)
MIN_UNITS = 2
# An LSH bucket with more files than this pairs each with its first file only (see BandIndex.candidates).
MAX_BUCKET = 200
# Pairs that share a bucket but whose signatures agree on fewer than this share of values (estimated
# Jaccard; planted near duplicates are at 0.6 and above) are not verified: they met by chance.
MIN_ESTIMATE = 0.25
# Components up to this size get every (anchor, member) pair verified before they are cut into stars.
ANCHOR_CHECK_LIMIT = 64
# Bounded memory: distinct units tracked for the "most repeated guidance" list, and units cached per worker.
REPEATED_CAPACITY = 200_000
UNIT_CACHE_FILES = 2048
# Verification batches: at most this many candidate units in one cdist call.
BATCH_UNITS = 20_000

# Folders that hold vendored, generated or version-control copies, never a library's own agents.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", "node_modules", "bower_components", "jspm_packages", "vendor",
    ".venv", "venv", ".env", "env", "site-packages", "__pycache__", ".tox", ".nox", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", ".hypothesis", ".cache", ".next", ".nuxt", ".turbo", ".terraform",
    "dist", "build", "target", "out", ".idea", ".gradle", ".yarn", ".pnpm-store", ".agentmerge",
})
# Documentation about a library, not an agent, even inside an agents/ folder.
SKIP_NAMES = frozenset({"readme.md", "changelog.md", "license.md", "contributing.md", "code_of_conduct.md",
                        "security.md", "history.md", "authors.md", "notice.md"})
INSTRUCTION_NAMES = frozenset({"claude.md", "claude.local.md", "agents.md", "gemini.md", "skill.md",
                               "copilot-instructions.md", ".cursorrules", ".windsurfrules"})
AGENT_SUFFIXES = (".mdc", ".instructions.md", ".agent.md", ".chatmode.md", ".prompt.md")
AGENT_FOLDERS = frozenset({"agents", "commands"})


# --- options and results ---------------------------------------------------------------------------------


@dataclass
class ScanOptions:
    threshold: float = THRESHOLD
    unit_cutoff: int = UNIT_CUTOFF
    jobs: int | None = None  # worker processes; None: one per available core
    top: int = 10  # entries of the most repeated guidance
    conflicts: bool = True  # run the merge pipeline on every cluster
    exclude: tuple[str, ...] = ()  # glob patterns on display paths or names
    encoding: str = "utf-8"
    on_conflict: str = "prefer-first"  # for the merges (consolidate)
    max_examples: int = 6


@dataclass(frozen=True)
class Found:
    """A discovered file: its path for people (`path`, relative to the PATH given) and for the OS."""

    path: str
    source: str


@dataclass
class FileInfo:
    index: int
    path: str
    source: str
    name: str = ""
    format: str = ""
    bytes: int = 0
    tokens: int = 0
    units: int = 0
    body_key: bytes | None = None
    copy_of: int | None = None  # index of the first file with the same body


@dataclass
class Cluster:
    kind: str  # "exact" | "near"
    members: list[int]  # file indexes, anchor first
    scores: dict[int, float]  # member -> score against the anchor
    exact_of: dict[int, int] = field(default_factory=dict)  # copy -> the member whose body it repeats
    id: str = ""
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    tokens_in: int = 0
    tokens_merged: int | None = None
    error: str | None = None

    @property
    def score(self) -> float:
        return round(min(self.scores[m] for m in self.members), 3)

    @property
    def tokens_saved(self) -> int:
        if self.tokens_merged is None:
            return 0
        return max(0, self.tokens_in - self.tokens_merged)


@dataclass
class ScanResult:
    roots: list[str]
    files: list[FileInfo]
    clusters: list[Cluster]
    repeated: list[dict[str, Any]]
    warnings: list[str]
    stats: dict[str, Any]
    options: ScanOptions

    def to_json(self) -> dict[str, Any]:
        files = self.files
        clusters = []
        for c in self.clusters:
            members = []
            for m in c.members:
                f = files[m]
                entry: dict[str, Any] = {"path": f.path, "name": f.name, "format": f.format, "tokens": f.tokens,
                                         "score": round(c.scores[m], 3)}
                if m in c.exact_of:
                    entry["exact_of"] = files[c.exact_of[m]].path
                members.append(entry)
            item: dict[str, Any] = {
                "id": c.id, "kind": c.kind, "score": c.score, "anchor": files[c.members[0]].path,
                "members": members, "conflicts": c.conflicts,
                "tokens": {"inputs": c.tokens_in, "merged": c.tokens_merged},
                "tokens_saved": c.tokens_saved,
            }
            if c.error:
                item["error"] = c.error
            clusters.append(item)
        library_tokens = sum(f.tokens for f in files)
        saved = sum(c.tokens_saved for c in self.clusters)
        return {
            "schema": SCHEMA,
            "roots": self.roots,
            "files": len(files),
            "clusters": clusters,
            "repeated_guidance": self.repeated,
            "tokens": library_tokens,
            "tokens_saved": saved,
            "tokens_estimated": "characters/4",
            "settings": {"threshold": self.options.threshold, "unit_cutoff": self.options.unit_cutoff,
                         "minhash": {"num_perm": NUM_PERM, "bands": BANDS, "rows": ROWS, "shingle_words": SHINGLE}},
            "warnings": self.warnings,
            "stats": self.stats,
        }


class Progress:
    """What the scan reports while it runs; the command line shows it as a bar. Does nothing by default."""

    def stage(self, name: str, total: int | None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def done(self) -> None:
        pass


# --- discovery --------------------------------------------------------------------------------------------


def is_agent_like(rel_parts: Sequence[str], root_name: str = "") -> bool:
    """Whether a file (its path relative to the scanned folder, as parts) looks like an agent definition."""
    name = rel_parts[-1].lower()
    if name in SKIP_NAMES:
        return False
    if name in INSTRUCTION_NAMES or name.endswith(AGENT_SUFFIXES):
        return True
    if not name.endswith(".md"):
        return False
    folders = [p.lower() for p in rel_parts[:-1]]
    if root_name:
        folders.insert(0, root_name.lower())
    return any(f in AGENT_FOLDERS for f in folders)


def _excluded(rel: str, name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch(rel, p) or fnmatch(name, p) or fnmatch(rel, p.rstrip("/") + "/*") for p in patterns)


def _display(root: str, rel: str, several: bool) -> str:
    rel = rel.replace(os.sep, "/")
    if not several:
        return rel
    prefix = os.path.normpath(root).replace(os.sep, "/")
    return rel if prefix == "." else f"{prefix}/{rel}"


def discover(paths: Sequence[str], exclude: Sequence[str] = ()) -> tuple[list[Found], list[str]]:
    """Agent-like files under `paths`, sorted by display path; a file named directly is always taken.

    Display paths are relative to the PATH given (prefixed with it when there are several PATHs).
    Files reached twice (overlapping PATHs, symbolic links) are read once. Returns (files, warnings).
    """
    if not paths:
        raise AgentmergeError("no PATH to scan")
    several = len(paths) > 1
    found: list[Found] = []
    warnings: list[str] = []
    for root in paths:
        if not os.path.exists(root):
            raise AgentmergeError(f"{root}: no such file or directory")
        if os.path.isfile(root):
            found.append(Found(os.path.normpath(root).replace(os.sep, "/"), root))
            continue
        if not os.path.isdir(root):
            raise AgentmergeError(f"{root}: not a file or directory")
        root_name = os.path.basename(os.path.abspath(root))

        def onerror(exc: OSError) -> None:
            warnings.append(f"{exc.filename}: cannot list ({exc.strerror or exc})")

        for folder, dirs, names in os.walk(root, onerror=onerror):
            rel_folder = os.path.relpath(folder, root)
            keep = []
            for d in sorted(dirs):
                if d in SKIP_DIRS or d.endswith(".egg-info"):
                    continue
                rel = d if rel_folder == "." else os.path.join(rel_folder, d)
                if exclude and _excluded(rel.replace(os.sep, "/"), d, exclude):
                    continue
                keep.append(d)
            dirs[:] = keep
            parts = [] if rel_folder == "." else rel_folder.split(os.sep)
            for n in names:
                if not is_agent_like([*parts, n], root_name):
                    continue
                rel = n if rel_folder == "." else os.path.join(rel_folder, n)
                if exclude and _excluded(rel.replace(os.sep, "/"), n, exclude):
                    continue
                full = os.path.join(folder, n)
                try:
                    if not stat.S_ISREG(os.stat(full).st_mode):
                        continue
                except OSError:
                    continue  # a dangling symbolic link
                found.append(Found(_display(root, rel, several), full))
    found.sort(key=lambda f: f.path)
    unique: list[Found] = []
    seen: dict[tuple[int, int] | str, str] = {}
    for f in found:
        try:
            st = os.stat(f.source)
            ident: tuple[int, int] | str = (st.st_dev, st.st_ino)
        except OSError:
            ident = os.path.realpath(f.source)
        if ident in seen:
            if seen[ident] != f.path:
                warnings.append(f"{f.path}: same file as {seen[ident]}; read once")
            continue
        seen[ident] = f.path
        unique.append(f)
    return unique, warnings


# --- reading: a light splitter, enough for fingerprints ---------------------------------------------------

_OPEN = re.compile(r"---[ \t]*")
_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")
_ITEM = re.compile(r" {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_RULE = re.compile(r" {0,3}([-*_])[ \t]*(?:\1[ \t]*){2,}$")
_PSEUDO = re.compile(r"\*\*[^*\n]+\*\*:?|\*\*[^*\n]+:\*\*")
_TABLE = re.compile(r" {0,3}\|")
_NAME = re.compile(r"name[ \t]*:[ \t]*(.*?)[ \t]*$")
_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?")


def split_text(text: str) -> tuple[list[str] | None, list[str], bool]:
    """(frontmatter lines or None, body lines, frontmatter left unclosed). Newlines of any style."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and _OPEN.fullmatch(lines[0]):
        for i in range(1, len(lines)):
            if _CLOSE.fullmatch(lines[i]):
                return lines[1:i], lines[i + 1 :], False
        return None, lines, True
    return None, lines, False


def body_key(body: list[str]) -> bytes | None:
    """What exact copies share: the body with every run of whitespace folded to one space. None if empty."""
    folded = " ".join(" ".join(body).split())
    if not folded:
        return None
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=16).digest()


def units_of(body: list[str]) -> list[tuple[str, str]]:
    """(kind, text) for each paragraph, top-level list item (with what is nested in it), code block and
    table of a Markdown body. Headings, pseudo-headings and rules separate units and are not units."""
    out: list[tuple[str, str]] = []
    cur: list[str] = []
    kind = ""
    i, n = 0, len(body)

    def flush() -> None:
        nonlocal cur, kind
        if cur:
            out.append((kind, "\n".join(cur)))
        cur, kind = [], ""

    while i < n:
        line = body[i]
        fence = _FENCE.match(line)
        if fence:
            flush()
            mark = fence.group(1)
            j = i + 1
            while j < n:
                s = body[j].strip()
                if s.startswith(mark[0] * len(mark)) and not s.strip(mark[0]):
                    break
                j += 1
            out.append(("code", "\n".join(body[i : j + 1])))
            i = j + 1
            continue
        s = line.strip()
        if not s:
            if kind == "item":  # a list item goes on over blank lines while the text stays indented
                j = i + 1
                while j < n and not body[j].strip():
                    j += 1
                if j < n and body[j].startswith(("  ", "\t")):
                    i = j
                    continue
            flush()
            i += 1
            continue
        if _HEADING.match(line) or _RULE.match(line) or _PSEUDO.fullmatch(s):
            flush()
        elif _ITEM.match(line):
            flush()
            kind, cur = "item", [line]
        elif _TABLE.match(line):
            if kind != "table":
                flush()
                kind = "table"
            cur.append(line)
        else:
            if kind == "table":
                flush()
            kind = kind or "paragraph"
            cur.append(line)
        i += 1
    flush()
    return out


def name_of(front: list[str] | None, path: str) -> str:
    """The agent's `name` from its frontmatter, else one derived from the file name."""
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


@lru_cache(maxsize=131072)
def _normalised(kind: str, text: str):
    from .normalize import normalise

    return normalise(text, kind)


def _code_like(kind: str) -> bool:
    return kind in ("code", "table")


def _compare_strings(units: list[tuple[str, str]]) -> list[str]:
    """What verification compares, one string per unit: its normalised words (code: its whitespace-separated
    tokens), sorted once here, so that rapidfuzz's plain `ratio` on them is its `token_sort_ratio`."""
    out = []
    for kind, text in units:
        words = _normalised(kind, text).folded.split()
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
                    found.add(b"\x00" + line.encode("utf-8"))
            continue
        tokens = _normalised(kind, text).tokens
        if len(tokens) < SHINGLE:
            if tokens:
                found.add(" ".join(tokens).encode("utf-8"))
            continue
        for i in range(len(tokens) - SHINGLE + 1):
            found.add(" ".join(tokens[i : i + SHINGLE]).encode("utf-8"))
    return found


def _display_unit(text: str) -> str:
    first = " ".join(_MARKER.sub("", text, count=1).split())
    return first if len(first) <= 200 else first[:199] + "…"


def _repeat_key(folded: str) -> int:
    return int.from_bytes(hashlib.blake2b(folded.encode("utf-8"), digest_size=8).digest(), "big")


@lru_cache(maxsize=1)
def _template():
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED)


def _signature(shingles: set[bytes]):
    """The MinHash signature of a set of shingles. Shingles are hashed with CRC-32 (C speed, the same in
    every process); datasketch's affine32 scheme runs each hash through the MurmurHash3 finalizer before
    permuting it, which spreads such structured hashes."""
    from datasketch import MinHash

    t = _template()
    m = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, permutations=t.permutations, scheme=t.scheme,
                hashfunc=zlib.crc32)
    m.update_batch(sorted(shingles))
    return m.hashvalues


def band_keys(signature) -> bytes:
    """LSH band keys of a MinHash signature: each band of ROWS values hashed to 8 bytes."""
    rows = signature[: BANDS * ROWS].reshape(BANDS, ROWS)
    return b"".join(hashlib.blake2b(row.tobytes(), digest_size=8).digest() for row in rows)


class BandIndex:
    """MinHash LSH buckets in a compact form: one 8-byte key per band and file in a NumPy array (not a
    Python set per bucket), and the buckets found by sorting each band. Two files are candidates when
    all ROWS values of at least one band agree and their whole signatures estimate a Jaccard of at least
    MIN_ESTIMATE. About 1.4 KB per file (band keys and the 32-bit signature)."""

    def __init__(self, capacity: int):
        import numpy as np

        self.keys = np.zeros((max(capacity, 1), BANDS), dtype=np.uint64)
        self.signatures = np.zeros((max(capacity, 1), NUM_PERM), dtype=np.uint32)
        self.owner = np.full(max(capacity, 1), -1, dtype=np.int64)
        self.size = 0

    def add(self, index: int, signature, keys: bytes) -> None:
        import numpy as np

        self.keys[self.size] = np.frombuffer(keys, dtype=np.uint64)
        self.signatures[self.size] = signature
        self.owner[self.size] = index
        self.size += 1

    def candidates(self) -> dict[int, list[int]]:
        """{file: [later files it shares a bucket with]}. A bucket larger than MAX_BUCKET (files that share
        boilerplate only, or many copies of one agent) links every member to its first member only; the
        verification and the anchor check then settle it."""
        import numpy as np

        found: set[tuple[int, int]] = set()
        owner = self.owner[: self.size]
        for b in range(BANDS):
            column = self.keys[: self.size, b]
            order = np.argsort(column, kind="stable")
            ordered = column[order]
            starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
            lengths = np.diff(np.r_[starts, len(ordered)])
            for start, length in zip(starts[lengths > 1].tolist(), lengths[lengths > 1].tolist()):
                rows = sorted(order[start : start + length].tolist(), key=lambda r: owner[r])
                if length > MAX_BUCKET:
                    found.update((rows[0], r) for r in rows[1:])
                else:
                    found.update(itertools.combinations(rows, 2))
        self.bucket_pairs = len(found)
        out: dict[int, list[int]] = defaultdict(list)
        if not found:
            return out
        pairs = np.array(sorted(found), dtype=np.int64)
        del found
        # The signatures estimate each pair's Jaccard: pairs that met in one band by chance are dropped here.
        for start in range(0, len(pairs), 8192):
            chunk = pairs[start : start + 8192]
            estimate = (self.signatures[chunk[:, 0]] == self.signatures[chunk[:, 1]]).mean(axis=1)
            for a, b in chunk[estimate >= MIN_ESTIMATE].tolist():
                out[int(owner[a])].append(int(owner[b]))
        return out


def read_text(source: str, display: str, encoding: str) -> str:
    from .read import decode, read_bytes

    return decode(read_bytes(source), display, encoding)


def repeated_units(units: list[tuple[str, str]]) -> dict[int, str]:
    """{key: text} of the units of one body that count towards the most repeated guidance: prose with at
    least three content words, not a lead-in to a list ("Before finalizing, verify:"). The key is a hash
    of the normalised words, so wording that normalises alike counts as one."""
    out: dict[int, str] = {}
    for kind, unit_text in units:
        if _code_like(kind) or unit_text.rstrip().endswith(":"):
            continue
        norm = _normalised(kind, unit_text)
        if len(norm.tokens) >= 3:
            key = _repeat_key(norm.folded)
            if key not in out:
                out[key] = unit_text
    return out


def fingerprint(task: tuple[int, str, str, str]) -> tuple[FileInfo, Any, list[int], str | None]:
    """One file's fingerprint (runs in a worker): its info, its MinHash signature and LSH band keys (None
    when the body is too short for near detection), the keys of its countable guidance units, and a
    warning when it cannot be read."""
    from .report import format_of, tokens

    index, display, source, encoding = task
    info = FileInfo(index=index, path=display, source=source)
    try:
        text = read_text(source, display, encoding)
    except AgentmergeError as exc:
        return info, None, [], f"{exc}; skipped"
    front, body, unclosed = split_text(text)
    warning = f"{display}:1: frontmatter opened with '---' is never closed; read it as body text" if unclosed else None
    normalised_text = text.replace("\r\n", "\n").replace("\r", "\n")
    units = units_of(body)
    info.name = name_of(front, display)
    info.format = format_of(display, front is not None)
    info.bytes = len(text.encode("utf-8", "surrogatepass"))
    info.tokens = tokens(normalised_text)
    info.units = len(units)
    info.body_key = body_key(body)
    shingles = _shingles(units)
    signature = None
    if len(shingles) >= MIN_SHINGLES and len(units) >= MIN_UNITS:
        values = _signature(shingles)
        signature = (values, band_keys(values))
    return info, signature, list(repeated_units(units)), warning


# --- verification -----------------------------------------------------------------------------------------


@lru_cache(maxsize=UNIT_CACHE_FILES)
def _cached_strings(source: str, encoding: str) -> tuple[str, ...]:
    try:
        text = read_text(source, source, encoding)
    except AgentmergeError:
        return ()
    return tuple(_compare_strings(units_of(split_text(text)[1])))


def _unit_texts(source: str, encoding: str) -> dict[int, str]:
    try:
        text = read_text(source, source, encoding)
    except AgentmergeError:
        return {}
    return repeated_units(units_of(split_text(text)[1]))


def overlap_scores(a: Sequence[str], others: Sequence[Sequence[str]], cutoff: int) -> list[float]:
    """For each of `others`: the share of units of `a` and of that file that have a close counterpart in
    the other ((matched in a + matched in other) / (units in a + units in other)). Units are compared with
    rapidfuzz `ratio` on token-sorted strings (see `_compare_strings`), in one cdist call per batch."""
    import numpy as np
    from rapidfuzz import fuzz, process

    scores: list[float] = []
    if not a:
        return [0.0] * len(others)
    start = 0
    while start < len(others):
        batch: list[Sequence[str]] = []
        size = 0
        while start + len(batch) < len(others) and (not batch or size + len(others[start + len(batch)]) <= BATCH_UNITS):
            batch.append(others[start + len(batch)])
            size += len(batch[-1])
        start += len(batch)
        flat = [s for other in batch for s in other]
        if not flat:
            scores.extend(0.0 for _ in batch)
            continue
        matrix = process.cdist(list(a), flat, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.uint8, workers=1)
        hit = matrix > 0
        lengths = [len(o) for o in batch]
        offsets = np.cumsum([0, *lengths[:-1]])
        nonempty = [k for k, length in enumerate(lengths) if length]
        row_hits = np.logical_or.reduceat(hit, offsets[nonempty], axis=1)  # (len(a), nonempty batch files)
        col_hits = np.add.reduceat(hit.any(axis=0), offsets[nonempty])
        matched_a = row_hits.sum(axis=0)
        by_file = {k: (int(matched_a[i]), int(col_hits[i])) for i, k in enumerate(nonempty)}
        for k, length in enumerate(lengths):
            if k not in by_file:
                scores.append(0.0)
                continue
            ma, mb = by_file[k]
            scores.append((ma + mb) / (len(a) + length))
    return scores


def verify(task: tuple[str, list[str], str, int]) -> list[float]:
    """Scores of one file against its candidates (runs in a worker)."""
    source, others, encoding, cutoff = task
    a = _cached_strings(source, encoding)
    return overlap_scores(a, [_cached_strings(o, encoding) for o in others], cutoff)


# --- clustering -------------------------------------------------------------------------------------------


def components(edges: dict[int, dict[int, float]]) -> list[list[int]]:
    seen: set[int] = set()
    out = []
    for start in sorted(edges):
        if start in seen:
            continue
        stack, comp = [start], []
        seen.add(start)
        while stack:
            node = stack.pop()
            comp.append(node)
            for nxt in edges[node]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        out.append(sorted(comp))
    return out


def _anchor(nodes: Iterable[int], edges: dict[int, dict[int, float]], among: set[int]) -> int:
    """The node with the most verified neighbours among `among`, then the highest total score, then the first."""
    def rank(n: int) -> tuple:
        near = [s for m, s in edges[n].items() if m in among]
        return (-len(near), -sum(near), n)
    return min(nodes, key=rank)


def stars(component: list[int], edges: dict[int, dict[int, float]]) -> list[tuple[int, list[int]]]:
    """Cut a component into clusters whose members all verify against the cluster's anchor (no chaining)."""
    left = set(component)
    out = []
    while len(left) > 1:
        anchor = _anchor(sorted(left), edges, left)
        members = sorted(m for m in edges[anchor] if m in left)
        if not members:
            break
        out.append((anchor, members))
        left -= {anchor, *members}
    return out


# --- bounded counting of repeated guidance -----------------------------------------------------------------


class RepeatedCounter:
    """How many distinct agent bodies carry each guidance unit, in bounded memory.

    Exact while at most `capacity` distinct units have been seen; past that, the units seen in the fewest
    agents are forgotten (each forgetting raises `error`: a reported count can be low by at most that
    much, the bound of Misra-Gries style frequent-item counting), so memory stays bounded on any library.
    """

    def __init__(self, capacity: int = REPEATED_CAPACITY, examples: int = 3):
        self.capacity = capacity
        self.examples = examples
        self.counts: dict[int, list] = {}  # key -> [count, [file indexes]]
        self.error = 0

    def add(self, index: int, keys: Iterable[int]) -> None:
        for key in keys:
            entry = self.counts.get(key)
            if entry is None:
                self.counts[key] = [1, [index]]
                continue
            entry[0] += 1
            if len(entry[1]) < self.examples:
                entry[1].append(index)
        if len(self.counts) > self.capacity:
            self._prune()

    def _prune(self) -> None:
        by_count: dict[int, int] = defaultdict(int)
        for entry in self.counts.values():
            by_count[entry[0]] += 1
        target = self.capacity // 2
        remaining, floor = len(self.counts), 0
        for count in sorted(by_count):
            if remaining <= target:
                break
            remaining -= by_count[count]
            floor = count
        self.counts = {k: v for k, v in self.counts.items() if v[0] > floor}
        self.error = max(self.error, floor)

    def top(self, n: int, files: Sequence[FileInfo], text_of: Callable[[FileInfo], dict[int, str]]) -> list[dict[str, Any]]:
        """The `n` units carried by the most agents (at least two), most first, then in the order they
        were first met. Only the counts are kept while scanning: `text_of(file)` gives the unit texts of one
        file by key, and is asked once for each first example."""
        best = sorted(((-v[0], v[1][0], k) for k, v in self.counts.items() if v[0] >= 2))[:n]
        texts: dict[int, dict[int, str]] = {}
        out = []
        for neg_count, first, key in best:
            if first not in texts:
                texts[first] = text_of(files[first])
            text = texts[first].get(key, "")
            out.append({"text": _display_unit(text), "agents": -neg_count,
                        "examples": [files[i].path for i in self.counts[key][1]]})
        return out


# --- running ----------------------------------------------------------------------------------------------


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class WorkerDied(AgentmergeError):
    """A worker process ended without finishing its task (killed by a signal, or by the system when memory
    ran out): the scan stops with one error line instead of waiting for an answer that never comes."""


_DIED = ("a scan worker process died before finishing (killed, or out of memory); the scan stopped: "
         "run it again, with fewer --jobs if memory is short")


def _serve(conn) -> None:
    """A worker's loop: (function, chunk of items) in, (True, results) or (False, exception) out."""
    from .signals import in_worker

    in_worker()
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        fn, chunk = task
        try:
            reply = (True, [fn(item) for item in chunk])
        except Exception as exc:  # noqa: BLE001 - handed back to the main process, raised there
            reply = (False, exc)
        try:
            conn.send(reply)
        except (TypeError, AttributeError, ValueError) as exc:  # an exception that does not pickle
            conn.send((False, RuntimeError(f"{type(reply[1]).__name__}: {reply[1]} ({exc})")))


class Workers:
    """Worker processes (forked where the OS allows, so they start at once and share what is loaded), or
    the calling process itself for one job.

    Each worker has a pipe of its own and one chunk of work at a time; the main process waits on the pipes
    and on the processes together. So a worker that dies (killed, or out of memory) ends the scan with an
    error at once, and stopping the workers never waits on a lock a dead worker held: both stdlib pools
    can hang there (multiprocessing.Pool waits forever for a dead worker's task, and its terminate() for
    the queue lock an idle worker holds; concurrent.futures races at exit after an interrupted shutdown).
    Workers leave run-ending signals to the main process, which stops them (see `signals.in_worker`)."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self._workers: list[tuple[Any, Any]] = []  # (process, the main process's end of its pipe)
        if jobs > 1:
            import multiprocessing

            method = "fork" if "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin" else "spawn"
            context = multiprocessing.get_context(method)
            for _ in range(jobs):
                ours, theirs = context.Pipe()
                process = context.Process(target=_serve, args=(theirs,), daemon=True)
                process.start()
                theirs.close()
                self._workers.append((process, ours))

    def imap(self, fn: Callable, items: Sequence, chunksize: int = 1) -> Iterator:
        """`map(fn, items)` over the workers, in order, lazily."""
        if not self._workers:
            return map(fn, items)
        size = max(1, chunksize)
        return self._run(fn, [items[i : i + size] for i in range(0, len(items), size)])

    def _run(self, fn: Callable, chunks: list) -> Iterator:
        from multiprocessing.connection import wait

        done: dict[int, list] = {}
        busy: dict[int, int] = {}  # worker -> the chunk it holds
        sent = shown = 0
        while shown < len(chunks):
            for w in range(len(self._workers)):
                if w not in busy and sent < len(chunks):
                    try:
                        self._workers[w][1].send((fn, chunks[sent]))
                    except OSError:  # its end of the pipe closed: it died
                        raise WorkerDied(_DIED) from None
                    busy[w] = sent
                    sent += 1
            while shown in done:
                yield from done.pop(shown)
                shown += 1
            if shown == len(chunks):
                return
            waiting = {self._workers[w][1]: w for w in busy}
            waiting.update({self._workers[w][0].sentinel: w for w in busy})
            for ready in wait(list(waiting)):
                w = waiting[ready]
                if w not in busy:
                    continue
                process, conn = self._workers[w]
                try:
                    ok, value = conn.recv()
                except (EOFError, OSError):
                    raise WorkerDied(_DIED) from None
                if not ok:
                    raise value
                done[busy.pop(w)] = value

    def close(self) -> None:
        for process, conn in self._workers:
            try:
                conn.send(None)
            except OSError:
                pass
        for process, conn in self._workers:
            process.join()
            conn.close()
        self._workers = []

    def terminate(self) -> None:
        """Stop every worker at once (SIGTERM, then SIGKILL for one that lingers)."""
        for process, _conn in self._workers:
            if process.is_alive():
                process.terminate()
        for process, conn in self._workers:
            process.join(2)
            if process.is_alive():
                process.kill()
                process.join()
            conn.close()
        self._workers = []


@contextmanager
def workers(jobs: int) -> Iterator[Workers]:
    pool = Workers(jobs)
    try:
        yield pool
    except BaseException:
        pool.terminate()
        raise
    else:
        pool.close()


def _chunk(n: int, jobs: int) -> int:
    return max(1, min(64, n // (jobs * 8) if jobs > 1 else n))


def _peak_rss_mb() -> dict[str, float]:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return {}
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale / 2**20
    return {"main": round(own, 1), "largest_worker": round(children, 1)}


def scan(paths: Sequence[str], options: ScanOptions | None = None, progress: Progress | None = None,
         found: list[Found] | None = None,
         analyse_hook: Callable[[Cluster, dict[str, Any]], None] | None = None,
         output_path: Callable[[Cluster, Sequence[FileInfo]], str] | None = None) -> ScanResult:
    """Scan `paths` for agent-like files and cluster exact and near duplicates.

    With `analyse_hook`, each cluster's merge outcome (see `analyse`) is handed to it as soon as it is
    ready; with `output_path` (where a cluster's merged agent will be written), that outcome includes the
    merged text and its report, so consolidation writes clusters as they come instead of holding every
    merged agent in memory.
    """
    options = options or ScanOptions()
    progress = progress or Progress()
    if not 0 < options.threshold <= 1:
        raise AgentmergeError(f"--threshold must be in (0, 1], not {options.threshold}")
    if not 0 < options.unit_cutoff <= 100:
        raise AgentmergeError(f"--unit-cutoff must be in (0, 100], not {options.unit_cutoff}")
    jobs = options.jobs or available_cores()
    if jobs < 1:
        raise AgentmergeError(f"--jobs must be at least 1, not {jobs}")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    clock = started

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 3)
        clock = now

    progress.stage("discovering agent files", None)
    warnings: list[str] = []
    if found is None:
        found, warnings = discover(paths, options.exclude)
    lap("discover")
    # Small libraries are faster without worker processes.
    jobs = min(jobs, max(1, len(found) // 50))
    # Load what every worker needs once, before the workers fork.
    _normalised("paragraph", "warm up the vocabulary before workers fork")
    if len(found) >= 2:
        _template()
        from rapidfuzz import process  # noqa: F401  (verification)

        from . import read, report  # noqa: F401  (fingerprints)
        if options.conflicts or output_path is not None:
            from . import pipeline  # noqa: F401  (merges)
    files: list[FileInfo] = []
    counter = RepeatedCounter()
    with workers(jobs) as pool:
        # 1-3: fingerprint, group exact copies, block near-duplicate candidates with MinHash LSH.
        progress.stage("fingerprinting", len(found))
        first_with_key: dict[bytes, int] = {}
        bands = BandIndex(len(found))
        # a name that is not UTF-8 is shown escaped (reports and JSON stay valid UTF-8), read by its bytes
        tasks = [(i, printable(f.path), f.source, options.encoding) for i, f in enumerate(found)]
        unreadable = 0
        for info, signature, repeated, warning in pool.imap(fingerprint, tasks, _chunk(len(tasks), jobs)):
            progress.advance()
            if warning:
                warnings.append(warning)
                if info.body_key is None and not info.format:
                    unreadable += 1
                    continue
            info.index = len(files)
            files.append(info)
            if info.body_key is not None:
                first = first_with_key.setdefault(info.body_key, info.index)
                if first != info.index:
                    info.copy_of = first
                    continue
            counter.add(info.index, repeated)
            if signature is not None:
                bands.add(info.index, *signature)
        del first_with_key
        candidates = bands.candidates()
        bucket_pairs = bands.bucket_pairs
        del bands
        lap("fingerprint")
        candidate_pairs = sum(len(v) for v in candidates.values())

        # 4: verify candidates, each file against all its candidates in one batch.
        progress.stage("verifying candidates", len(candidates))
        edges: dict[int, dict[int, float]] = defaultdict(dict)
        verified = 0

        def run_verify(blocks: list[tuple[int, list[int]]]) -> None:
            nonlocal verified
            vtasks = [(files[a].source, [files[b].source for b in bs], options.encoding, options.unit_cutoff)
                      for a, bs in blocks]
            for (a, bs), scores in zip(blocks, pool.imap(verify, vtasks, _chunk(len(vtasks), jobs))):
                progress.advance()
                for b, s in zip(bs, scores):
                    if s >= options.threshold:
                        edges[a][b] = edges[b][a] = s
                        verified += 1

        run_verify(sorted(candidates.items()))
        del candidates
        # Anchors: every member of a cluster must verify against its anchor; check the pairs LSH did not offer.
        missing: dict[int, list[int]] = defaultdict(list)
        for comp in components(edges):
            if 2 < len(comp) <= ANCHOR_CHECK_LIMIT:
                anchor = _anchor(comp, edges, set(comp))
                for m in comp:
                    if m != anchor and m not in edges[anchor]:
                        missing[anchor].append(m)
        if missing:
            progress.stage("verifying anchors", len(missing))
            run_verify(sorted(missing.items()))
        lap("verify")

        # 5: clusters. Exact copies first; near clusters take in the copies of their members.
        copies: dict[int, list[int]] = defaultdict(list)
        for f in files:
            if f.copy_of is not None:
                copies[f.copy_of].append(f.index)
        clusters: list[Cluster] = []
        in_near: set[int] = set()
        for comp in components(edges):
            for anchor, members in stars(comp, edges):
                scores = {anchor: 1.0, **{m: edges[anchor][m] for m in members}}
                exact_of: dict[int, int] = {}
                everyone = [anchor, *members]
                for m in [anchor, *members]:
                    for c in copies.get(m, ()):
                        exact_of[c] = m
                        scores[c] = scores[m]
                        everyone.append(c)
                ordered = [anchor, *sorted(everyone[1:], key=lambda i: files[i].path)]
                clusters.append(Cluster("near", ordered, scores, exact_of))
                in_near.update(everyone)
        exact = [Cluster("exact", [first, *rest], {first: 1.0, **{r: 1.0 for r in rest}},
                         {r: first for r in rest})
                 for first, rest in copies.items() if first not in in_near]
        clusters = sorted(exact, key=lambda c: files[c.members[0]].path) + sorted(
            clusters, key=lambda c: files[c.members[0]].path)
        for n, c in enumerate(clusters, 1):
            c.id = f"K{n}"
            c.tokens_in = sum(files[m].tokens for m in c.members)
            if c.kind == "exact":
                c.tokens_merged = files[c.members[0]].tokens
        lap("cluster")

        # 6: conflicts and merged sizes, from the merge pipeline.
        if options.conflicts or output_path is not None:
            progress.stage("merging clusters", len(clusters))
            atasks = [analysis_task(c, files, options, output_path(c, files) if output_path else None)
                      for c in clusters]
            for c, outcome in zip(clusters, pool.imap(analyse, atasks, 1)):
                progress.advance()
                apply_analysis(c, outcome)
                if c.error:
                    warnings.append(f"{c.id}: {c.error}")
                if analyse_hook is not None:
                    analyse_hook(c, outcome)
        lap("analyse")
        progress.done()
    seconds = time.perf_counter() - started
    stats = {
        "seconds": round(seconds, 3),
        "files_per_second": round(len(files) / seconds, 1) if seconds > 0 else None,
        "stage_seconds": timings,
        "jobs": jobs,
        "bytes": sum(f.bytes for f in files),
        "distinct_bodies": sum(1 for f in files if f.copy_of is None),
        "unreadable": unreadable,
        "bucket_pairs": bucket_pairs,
        "candidate_pairs": candidate_pairs,
        "verified_pairs": verified,
        "repeated_count_error": counter.error,
        "peak_rss_mb": _peak_rss_mb(),
    }
    repeated = counter.top(options.top, files, lambda f: _unit_texts(f.source, options.encoding))
    return ScanResult(roots=list(paths), files=files, clusters=clusters, repeated=repeated, warnings=warnings,
                      stats=stats, options=options)


# --- analysis: the merge pipeline on one cluster ----------------------------------------------------------


def analysis_task(c: Cluster, files: Sequence[FileInfo], options: ScanOptions, output_path: str | None) -> dict[str, Any]:
    # Exact copies add nothing to the body: only their frontmatter is merged, which keeps the merge cheap.
    return {
        "members": [(files[m].path, files[m].source, m in c.exact_of) for m in c.members],
        "encoding": options.encoding,
        "on_conflict": options.on_conflict,
        "max_examples": options.max_examples,
        "output_path": output_path,
    }


def _frontmatter_only(text: str) -> str | None:
    front, _body, _unclosed = split_text(text)
    if front is None:
        return None
    return "---\n" + "".join(line + "\n" for line in front) + "---\n"


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def analyse(task: dict[str, Any]) -> dict[str, Any]:
    """Merge one cluster's files (runs in a worker). Returns its conflicts between different files, the
    merged agent's token count and, when asked, the merged text and its Markdown report."""
    from .model import MergeOptions
    from .pipeline import AccountingError, merge
    from .read import parse_agent
    from .report import conflict_json, markdown, tokens

    try:
        agents = []
        for display, source, copy in task["members"]:
            text = read_text(source, display, task["encoding"])
            if copy:
                text = _frontmatter_only(text)
                if text is None:
                    continue
            agents.append(parse_agent(text, display, index=len(agents)))
        options = MergeOptions(on_conflict=task["on_conflict"], max_examples=task["max_examples"])
        result = merge(agents, options)
    except (AgentmergeError, AccountingError) as exc:
        return {"error": " ".join(str(exc).split())}
    conflicts = []
    for c in result.conflicts:
        data = conflict_json(result, c)
        if len({s["path"] for s in data["sides"]}) < 2:
            continue  # a conflict inside one file is that file's business, not the cluster's
        sides = [{"path": s["path"], "line": s["line"], "end_line": s["end_line"], "stance": s["stance"],
                  "text": _short(s["text"])} for s in data["sides"]]
        conflicts.append({"kind": data["kind"], "topic": data["topic"], "severity": data["severity"],
                          "message": data["message"], "sides": sides, "resolution": data["resolution"]})
    outcome: dict[str, Any] = {"conflicts": conflicts, "tokens_merged": tokens(result.text)}
    if task["output_path"] is not None:
        result.output_path = task["output_path"]
        outcome["text"] = result.text
        outcome["result_markdown"] = markdown(result)
    return outcome


def apply_analysis(c: Cluster, outcome: dict[str, Any]) -> None:
    if "error" in outcome:
        c.error = outcome["error"]
        return
    c.conflicts = [{"id": f"{c.id}.C{i}", **x} for i, x in enumerate(outcome["conflicts"], 1)]
    if c.kind == "near":  # exact copies save all copies but one, whatever the merged frontmatter weighs
        c.tokens_merged = outcome["tokens_merged"]


# --- comparing with a baseline (agentmerge check) ----------------------------------------------------------


def pairs_of(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every pair of files that a scan put in one cluster, with that cluster."""
    out = {}
    for c in data.get("clusters", []):
        paths = sorted(m["path"] for m in c.get("members", []))
        for i, a in enumerate(paths):
            for b in paths[i + 1 :]:
                out[(a, b)] = c
    return out


def conflict_key(c: dict[str, Any]) -> tuple:
    """A conflict's identity across runs: its kind and topic and who takes which stance (not line numbers)."""
    return (c.get("kind"), c.get("topic"), tuple(sorted((s.get("path", ""), str(s.get("stance", ""))) for s in c.get("sides", []))))


def compare(baseline: dict[str, Any], current: dict[str, Any]) -> dict[str, list]:
    """What `current` finds that `baseline` does not list: pairs of duplicates, and conflicts."""
    known_pairs = pairs_of(baseline)
    new_pairs = []
    for pair, cluster in sorted(pairs_of(current).items()):
        if pair not in known_pairs:
            new_pairs.append({"paths": list(pair), "cluster": cluster["id"], "kind": cluster["kind"],
                              "score": cluster["score"]})
    known_conflicts = {conflict_key(x) for c in baseline.get("clusters", []) for x in c.get("conflicts", [])}
    new_conflicts = []
    for c in current.get("clusters", []):
        for x in c.get("conflicts", []):
            if conflict_key(x) not in known_conflicts:
                new_conflicts.append({"cluster": c["id"], **x})
    return {"duplicates": new_pairs, "conflicts": new_conflicts}


# --- the Markdown report ------------------------------------------------------------------------------------


def _md(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def markdown(data: dict[str, Any]) -> str:
    """A scan (its JSON form) as a Markdown report for people."""
    stats = data.get("stats", {})
    clusters = data["clusters"]
    exact = [c for c in clusters if c["kind"] == "exact"]
    near = [c for c in clusters if c["kind"] == "near"]
    out = ["# agentmerge library scan", ""]
    out.append(f"Scanned {', '.join(f'`{r}`' for r in data.get('roots', []))}: {data['files']} agent-like file(s).")
    out += ["", "| | |", "|---|---:|",
            f"| exact duplicate clusters | {len(exact)} ({sum(len(c['members']) for c in exact)} files) |",
            f"| near duplicate clusters | {len(near)} ({sum(len(c['members']) for c in near)} files) |",
            f"| conflicts inside clusters | {sum(len(c['conflicts']) for c in clusters)} |",
            f"| library tokens (estimated, characters/4) | {data['tokens']:,} |",
            f"| tokens consolidation would save | {data['tokens_saved']:,} |"]
    if "seconds" in stats:
        out.append(f"| scan time | {stats['seconds']:.1f} s |")
    settings = data.get("settings", {})
    if settings:
        out += ["", f"Near duplicates: at least {settings['threshold']:.0%} of the units of both files have a close "
                    f"counterpart (token_sort_ratio >= {settings['unit_cutoff']}) in the other."]
    out += ["", "## Clusters", ""]
    if not clusters:
        out += ["No duplicate agents found.", ""]
    for c in clusters:
        out += [f"### {c['id']} · {c['kind']} · score {c['score']:.2f} · saves ~{c['tokens_saved']:,} tokens", "",
                "| member | name | format | tokens | score |", "|---|---|---|---:|---:|"]
        for i, m in enumerate(c["members"]):
            lead = " (leads)" if i == 0 else ""
            copy = f" = `{m['exact_of']}`" if m.get("exact_of") and c["kind"] == "near" else ""
            out.append(f"| `{m['path']}`{lead}{copy} | {_md(m.get('name', ''))} | {m.get('format', '')} | "
                       f"{m.get('tokens', '')} | {m['score']:.2f} |")
        if c.get("error"):
            out += ["", f"Merge failed: {_md(c['error'])}"]
        if c["conflicts"]:
            out += ["", "Conflicts:", ""]
            for x in c["conflicts"]:
                out.append(f"- **{x['kind']}** {x.get('topic') or ''} ({x.get('severity')}): {_md(x['message'])}")
                for s in x["sides"]:
                    out.append(f"  - `{s['path']}:{s['line']}` {_md(s.get('stance') or '')}")
        out.append("")
    if data.get("repeated_guidance"):
        out += ["## Most repeated guidance", "", "| agents | guidance | for example |", "|---:|---|---|"]
        for r in data["repeated_guidance"]:
            out.append(f"| {r['agents']} | {_md(r['text'])} | {', '.join(f'`{p}`' for p in r['examples'])} |")
        out.append("")
    if data.get("warnings"):
        out += ["## Warnings", "", *[f"- {_md(w)}" for w in data["warnings"]], ""]
    return "\n".join(out).rstrip() + "\n"

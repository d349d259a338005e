"""The scan's plain data: its options, what it knows of each file, its clusters and its result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .discover import Skipped
from .settings import BANDS, NUM_PERM, ROWS, SCHEMA, SHINGLE, THRESHOLD, UNIT_CUTOFF

@dataclass
class ScanOptions:
    threshold: float = THRESHOLD
    unit_cutoff: int = UNIT_CUTOFF
    jobs: int | None = None  # worker processes; None: one per available core
    top: int = 10  # entries of the most repeated guidance
    conflicts: bool = True  # run the merge pipeline on every cluster
    exclude: tuple[str, ...] = ()  # gitignore-style globs on paths relative to each PATH
    include: tuple[str, ...] = ()  # Markdown files read as agents whatever their content or place
    gitignore: bool = True  # honour .gitignore files and .git/info/exclude
    roles: bool = True  # look for same-role clusters
    role_threshold: float | None = None  # None: ROLE_THRESHOLD
    role_names: tuple[str, ...] = ()  # YAML files of name synonyms added to the built-in ones
    encoding: str = "utf-8"
    on_conflict: str = "prefer-first"  # for the merges (consolidate)
    max_examples: int = 6


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
    description: str = ""  # the frontmatter's description, cut to 500 characters (same-role clusters)
    argument_hint: str | None = None  # a command's `argument-hint`
    large: bool = False  # read in pieces: compared for exact copies only
    code_key: bytes | None = None  # the code blocks of the body, hashed (commands with other schemas differ)


@dataclass
class Cluster:
    kind: str  # "exact" | "near" | "role"
    members: list[int]  # file indexes, anchor first
    scores: dict[int, float]  # member -> score against the anchor
    exact_of: dict[int, int] = field(default_factory=dict)  # copy -> the member whose body it repeats
    id: str = ""
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    tokens_in: int = 0
    tokens_merged: int | None = None
    error: str | None = None
    near_of: dict[int, int] = field(default_factory=dict)  # role clusters: a near duplicate -> its anchor
    mergeable: bool = True
    why_not: str = ""  # why the members are listed, not merged
    shared: dict[str, Any] | None = None  # role clusters: what the members share
    adds: list[dict[str, Any]] = field(default_factory=list)  # role clusters: what each member adds
    also_in: dict[int, "Cluster"] = field(default_factory=dict)  # listed role clusters: member -> its cluster

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
    skipped: list[Skipped] = field(default_factory=list)

    def role_threshold(self) -> float | None:
        from .roles import ROLE_THRESHOLD

        if not self.options.roles:
            return None
        return self.options.role_threshold if self.options.role_threshold is not None else ROLE_THRESHOLD

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
                if m in c.near_of:
                    entry["near_of"] = files[c.near_of[m]].path
                if m in c.also_in:
                    entry["also_in"] = c.also_in[m].id
                members.append(entry)
            item: dict[str, Any] = {
                "id": c.id, "kind": c.kind, "score": c.score, "anchor": files[c.members[0]].path,
                "members": members, "conflicts": c.conflicts,
                "tokens": {"inputs": c.tokens_in, "merged": c.tokens_merged},
                "tokens_saved": c.tokens_saved,
            }
            item["mergeable"] = c.mergeable
            if not c.mergeable:
                item["not_merged"] = c.why_not
            if c.kind == "role":
                item["shared"] = c.shared
                item["adds"] = c.adds
            if c.error:
                item["error"] = c.error
            clusters.append(item)
        library_tokens = sum(f.tokens for f in files)
        saved = sum(c.tokens_saved for c in self.clusters)
        return {
            "schema": SCHEMA,
            "roots": self.roots,
            "files": len(files),
            "agents": [{"path": f.path, "name": f.name, "format": f.format, "tokens": f.tokens} for f in files],
            "skipped": [s.to_json() for s in self.skipped],
            "skipped_by_reason": skipped_by_reason(self.skipped),
            "clusters": clusters,
            "repeated_guidance": self.repeated,
            "tokens": library_tokens,
            "tokens_saved": saved,
            "tokens_estimated": "characters/4",
            "settings": {"threshold": self.options.threshold, "unit_cutoff": self.options.unit_cutoff,
                         "minhash": {"num_perm": NUM_PERM, "bands": BANDS, "rows": ROWS, "shingle_words": SHINGLE},
                         "role_threshold": self.role_threshold()},
            "warnings": self.warnings,
            "stats": self.stats,
        }


def skipped_by_reason(skipped: list[Skipped]) -> dict[str, int]:
    """How many paths were passed over for each reason, most first."""
    counts: dict[str, int] = {}
    for s in skipped:
        counts[s.reason] = counts.get(s.reason, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


class Progress:
    """What the scan reports while it runs; the command line shows it as a bar. Does nothing by default."""

    def stage(self, name: str, total: int | None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def done(self) -> None:
        pass



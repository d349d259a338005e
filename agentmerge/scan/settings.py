"""The scan's tuned constants (see docs/scale.md; tuned on bench/synth.py libraries, seeds 1-3)."""

from __future__ import annotations

SCHEMA = "agentmerge-scan/1"

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
# Documentation about a library, not an agent, even inside an agents/ folder or with agent-like
# frontmatter: matched on the file name up to its first dot (README.md, README.zh-CN.md, CHANGELOG.md).
SKIP_NAMES = frozenset({"readme.md", "changelog.md", "license.md", "contributing.md", "code_of_conduct.md",
                        "security.md", "history.md", "authors.md", "notice.md"})
DOC_STEMS = frozenset({
    "readme", "changelog", "changes", "history", "news", "releases", "release-notes", "release_notes",
    "license", "licence", "copying", "notice", "authors", "contributors", "maintainers", "codeowners",
    "contributing", "code_of_conduct", "code-of-conduct", "security", "support", "governance", "funding",
    "pull_request_template", "issue_template", "roadmap", "todo", "upgrading",
})
# Markdown, for discovery: files with these endings are read (their head) to see whether they are agents.
MARKDOWN_SUFFIXES = (".md", ".mdc", ".markdown")
# How much of a Markdown file discovery reads to find its frontmatter's `name` and `description`.
HEAD_BYTES = 64 * 1024
INSTRUCTION_NAMES = frozenset({"claude.md", "claude.local.md", "agents.md", "gemini.md", "skill.md",
                               "copilot-instructions.md", ".cursorrules", ".windsurfrules"})
AGENT_SUFFIXES = (".mdc", ".instructions.md", ".agent.md", ".chatmode.md", ".prompt.md")
AGENT_FOLDERS = frozenset({"agents", "commands"})



# Bounded memory. A file larger than LARGE_BYTES is read in pieces of about PIECE_BYTES, hashed for exact
# copies and measured, but not split or compared for near or same-role duplicates (a warning says so).
# Files larger than MAX_BYTES are skipped.
LARGE_BYTES = 1 * 1024 * 1024
PIECE_BYTES = 256 * 1024
MAX_BYTES = 512 * 1024 * 1024

"""Survey a library of agent definitions: find agent-like files, cluster exact, near and same-role duplicates.

No step compares all pairs of files or units. One module per stage; the pipeline streams, in sorted path
order:

1. **discover** (`discover.py`): walk the PATHs for agent-like files, by place and name (Claude Code agents
   and commands, skills, CLAUDE.md / AGENTS.md / GEMINI.md, Cursor rules, Copilot files) and by content
   (Markdown whose frontmatter has `name` and `description`), honouring `.gitignore` files and
   `--include` / `--exclude`; every Markdown file passed over is listed with its reason.
2. **fingerprint** (`fingerprint.py`, worker processes): read each file, split its body into units with
   `agentmerge.split` (the merge's markdown-it reading), normalise each unit with `agentmerge.normalize`,
   and compute the exact key (a hash of the body with whitespace folded), a MinHash signature over word
   3-gram shingles of the normalised units, and the weighted terms of its description and body. Very
   large files are read in pieces, in bounded memory.
3. **block** (`lsh.py`): exact copies group by key; for one representative per distinct body, the MinHash
   signature (datasketch's affine32 scheme, computed with NumPy) is cut into LSH bands, and files that agree on all values of a band are
   candidates. Band keys live in one NumPy array; buckets are found by sorting each band.
4. **verify** (`verify.py`, worker processes, batched): each file's units are scored against the units of
   all its candidates in one `rapidfuzz.process.cdist` call. A pair's score is the share of units, on both
   sides, that have a close counterpart in the other file (token_sort_ratio >= `unit_cutoff`).
5. **cluster** (`cluster.py`, `roles.py`): verified pairs (score >= `threshold`) form components, cut into
   star clusters around anchors, so a chain of look-alikes never stretches a cluster across roles. Same-role
   clusters come from agents with equivalent names (blocked on a name key) whose terms agree.
6. **analyse** (`analyse.py`, worker processes): the merge pipeline runs on each cluster's files and gives
   the conflicts between them, what they share and what each adds, and the size of the merged agent.

Memory: the main process keeps per file a few scalars, its LSH band keys (8 bytes per band) and at most a
few hundred weighted terms, and a bounded counter of repeated guidance; unit texts are never held for the
whole library, candidates are re-read (through a bounded cache in each worker) when they are verified.
"""

# ruff: noqa: F401  (this module is the package's public face: it re-exports)
from .analyse import analyse, analysis_task, apply_analysis, mergeable
from .cluster import components, stars
from .discover import Discovery, Found, Skipped, discover, discover_all, is_agent_like
from .fingerprint import body_key, fingerprint, name_of, read_text, repeated_units, split_text, units_of
from .lsh import BandIndex, band_keys
from .report import compare, conflict_key, markdown, pairs_of
from .repeated import RepeatedCounter
from .results import Cluster, FileInfo, Progress, ScanOptions, ScanResult
from .roles import ROLE_THRESHOLD, name_key, name_rules
from .run import scan
from .settings import (AGENT_FOLDERS, AGENT_SUFFIXES, ANCHOR_CHECK_LIMIT, BANDS, BATCH_UNITS, DOC_STEMS,
                       HEAD_BYTES, INSTRUCTION_NAMES, LARGE_BYTES, MARKDOWN_SUFFIXES, MAX_BUCKET, MAX_BYTES,
                       MINHASH_SEED, MIN_ESTIMATE, MIN_SHINGLES, MIN_UNITS, NUM_PERM, PIECE_BYTES,
                       REPEATED_CAPACITY, ROWS, SCHEMA, SHINGLE, SKIP_DIRS, SKIP_NAMES, THRESHOLD,
                       UNIT_CACHE_FILES, UNIT_CUTOFF)
from .verify import overlap_scores, verify
from .workers import Workers, available_cores, workers

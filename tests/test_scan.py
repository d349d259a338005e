"""`agentmerge scan` and `agentmerge check`: discovery, exact and near clusters, JSON, baseline round trip."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from agentmerge import scan as S

from .conftest import load_script, run_cli

ROOT = Path(__file__).resolve().parents[1]


REVIEWER = """\
You are a senior code reviewer who keeps a codebase readable, safe and easy to change.

## Review Priorities

- Check that every public function has a docstring that explains its contract and its failure modes.
- Flag functions longer than fifty lines and suggest how to split them along their responsibilities.
- Verify that error paths are tested as thoroughly as the happy path, including timeouts and retries.
- Reject pull requests that mix refactoring with behaviour changes; ask for two separate changes.

## Security

- Look for SQL built by string concatenation and insist on parameterised queries everywhere.
- Make sure secrets never appear in logs, error messages or committed configuration files.
- Confirm that user input is validated at the boundary before it reaches the domain layer.

## Workflow

1. Read the description and the linked issue before the diff.
2. Run the test suite locally and note any flaky test you meet.
3. Leave comments that explain why, not only what, and suggest a concrete alternative.
"""

DB = """\
You are a database engineer focused on PostgreSQL schema design, query performance and safe migrations.

## Schema Design

- Give every table a surrogate primary key and a created_at timestamp with time zone.
- Add foreign key constraints for every relationship and index the referencing columns.
- Prefer check constraints over application-side validation for invariants the data must keep.
- Normalise to third normal form first and denormalise only with a measured reason.

## Query Performance

- Read the EXPLAIN ANALYZE plan of every slow query before changing an index.
- Avoid N+1 query patterns by loading related rows with joins or batched lookups.
- Keep transactions short so that row locks are released before any network call.
- Paginate large result sets with keyset pagination instead of large offsets.

## Migrations

- Write every migration so that it can run while the old application version is still serving.
- Create indexes concurrently on large tables to avoid blocking writes during deploys.
- Backfill new columns in small batches and add the not-null constraint afterwards.
- Test each migration against a production-sized copy of the data before release.
"""

# The same role written again: two sections swapped, three items reworded, one dropped, one added.
DB_AGAIN = """\
You are a database engineer focused on PostgreSQL schema design, query performance and safe migrations.

## Query Performance

- Always read the EXPLAIN ANALYZE plan of every slow query before changing an index.
- Avoid N+1 query patterns by loading related rows with joins or batched lookups.
- Keep transactions short so that row locks are released before any remote call.
- Paginate large result sets with keyset pagination instead of large offsets.

## Schema Design

- Give every table a surrogate primary key and a created_at timestamp with time zone.
- Add foreign key constraints for every relationship and index the referencing columns.
- Prefer check constraints over application-side validation for invariants the data must keep.
- Normalise to third normal form first and denormalise only with a measured justification.

## Safe Migrations

- Write every migration so that it can run while the old application version is still serving.
- Create indexes concurrently on large tables to avoid blocking writes during deploys.
- Backfill new columns in small batches and add the not-null constraint afterwards.
- Keep a tested rollback script next to every migration that changes existing data.
"""

WRITER = """\
You are a technical writer who turns engineering knowledge into documentation people can follow.

## Style

- Write in the second person and the present tense, and keep sentences under twenty-five words.
- Start every how-to guide with what the reader will have achieved at the end.
- Use one term for one concept throughout a page and link the glossary entry on first use.

## Structure

- Split reference material from tutorials; never mix the two on one page.
- Put prerequisites in a short list before the first step of any procedure.
- End each page with the next page a reader is likely to need.
"""


def agent(name: str, body: str, description: str = "", tools: str | None = None) -> str:
    front = [f"name: {name}", f"description: {description or 'Use this agent for ' + name + ' work.'}"]
    if tools:
        front.append(f"tools: {tools}")
    return "---\n" + "\n".join(front) + "\n---\n\n" + body


def build_library(root: Path) -> dict[str, str]:
    """A small library: an exact pair under different names, a near pair, an unrelated agent, other
    agent-like formats, and noise a scanner must skip. Returns {role: path} of the interesting files."""
    files = {
        ".claude/agents/code-reviewer.md": agent("code-reviewer", REVIEWER, tools="Read, Grep"),
        # the same body, other frontmatter, trailing spaces, extra blank lines and CRLF line endings
        "plugins/quality/agents/pr-checker.md": agent("pr-checker", REVIEWER.replace("\n\n", "\n\n\n").replace(
            "boundary before", "boundary before   ")).replace("\n", "\r\n"),
        ".claude/agents/db-engineer.md": agent("db-engineer", DB),
        ".cursor/rules/postgres.mdc": "---\ndescription: PostgreSQL rules\nglobs: '**/*.sql'\nalwaysApply: false\n---\n\n" + DB_AGAIN,
        ".claude/agents/tech-writer.md": agent("tech-writer", WRITER),
        # noise: copies in vendored and version-control folders, and READMEs
        "node_modules/@packs/common/agents/code-reviewer.md": agent("code-reviewer", REVIEWER),
        ".git/info/agents-backup/db-engineer.md": agent("db-engineer", DB),
        "README.md": "# Our agents\n\n" + REVIEWER,
        ".claude/agents/README.md": REVIEWER,
        "docs/notes.md": WRITER,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return {"exact": ".claude/agents/code-reviewer.md", "copy": "plugins/quality/agents/pr-checker.md",
            "near": ".claude/agents/db-engineer.md", "near_again": ".cursor/rules/postgres.mdc",
            "unrelated": ".claude/agents/tech-writer.md"}


def scan_json(*args, cwd=None) -> dict:
    proc = run_cli("scan", *args, "--json", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


def member_sets(data: dict, kind: str | None = None) -> list[set[str]]:
    return [{m["path"] for m in c["members"]} for c in data["clusters"] if kind is None or c["kind"] == kind]


def without_timing(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "stats"}


# --- discovery ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path, expected", [
    (".claude/agents/reviewer.md", True),
    ("plugins/x/agents/code-reviewer.md", True),
    (".claude/commands/deploy.md", True),
    ("team/skills/pdf/SKILL.md", True),
    ("services/api/CLAUDE.md", True),
    ("AGENTS.md", True),
    ("GEMINI.md", True),
    (".cursor/rules/python.mdc", True),
    (".github/instructions/tests.instructions.md", True),
    (".github/agents/planner.agent.md", True),
    (".github/chatmodes/review.chatmode.md", True),
    ("README.md", False),
    (".claude/agents/README.md", False),
    ("docs/guide.md", False),
    ("team/skills/pdf/reference.md", False),
    ("plugins/x/agents/logo.png", False),
])
def test_agent_like_files(path, expected):
    assert S.is_agent_like(path.split("/")) is expected


def test_discovery_skips_vendored_and_version_control_folders(tmp_path):
    build_library(tmp_path)
    found, warnings = S.discover([str(tmp_path)])
    paths = [f.path for f in found]
    assert paths == sorted(paths)
    assert paths == [".claude/agents/code-reviewer.md", ".claude/agents/db-engineer.md",
                     ".claude/agents/tech-writer.md", ".cursor/rules/postgres.mdc",
                     "plugins/quality/agents/pr-checker.md"]
    assert warnings == []
    # --exclude leaves out more
    found, _ = S.discover([str(tmp_path)], exclude=["plugins"])
    assert "plugins/quality/agents/pr-checker.md" not in [f.path for f in found]


def test_units_of_a_body():
    body = ["Intro paragraph", "over two lines.", "", "## Heading", "", "- item one", "  continued", "",
            "  still item one", "- item two", "", "**Pseudo:**", "- item three", "", "```python", "x = 1", "",
            "y = 2", "```", "", "| a | b |", "|---|---|", "| 1 | 2 |", "", "---", "Last paragraph."]
    units = S.units_of(body)
    assert [k for k, _ in units] == ["paragraph", "item", "item", "item", "code", "table", "paragraph"]
    # the units a merge reads (agentmerge.split), with their exact source text
    assert units[1][1] == "- item one\n  continued\n\n  still item one"
    from agentmerge.split import blocks_of
    assert [k for k, _ in units] == [b.kind for b in blocks_of(body) if b.kind not in ("heading", "rule")]
    assert units[4][1].startswith("```python") and units[4][1].endswith("```")


def test_minhash_signatures_are_datasketch_affine32_ones():
    datasketch = pytest.importorskip("datasketch")
    import random
    import zlib

    import numpy as np

    from agentmerge.scan.lsh import _signature
    from agentmerge.scan.settings import MINHASH_SEED, NUM_PERM

    template = datasketch.MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED)
    rng = random.Random(12)
    for size in (1, 3, 40, 700):
        shingles = {bytes(rng.randrange(256) for _ in range(rng.randrange(1, 24))) for _ in range(size)}
        theirs = datasketch.MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, permutations=template.permutations,
                                    scheme=template.scheme, hashfunc=zlib.crc32)
        theirs.update_batch(sorted(shingles))
        ours = _signature(shingles)
        assert ours.dtype == theirs.hashvalues.dtype and np.array_equal(ours, theirs.hashvalues)


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _fixture_bodies():
    for path in sorted(FIXTURES.rglob("*.md")):
        if "holdout" not in path.relative_to(FIXTURES).parts:
            yield path, S.split_text(path.read_text("utf-8"))[1]


def test_fingerprint_terms_from_the_body_reading_are_the_merge_normalisation():
    """The scan reads each unit's statements from the tokens of its body's one markdown-it parse; what it
    compares must be what the merge's own normalisation of that unit gives."""
    from agentmerge.normalize import content_tokens, normalise
    from agentmerge.split import blocks_of

    body = ["Intro with **bold** and `code`. Second sentence.", "", "1. step one", "   - nested *item*",
            "   - [ ] a box", "2) other list", "", "> quoted line", "> - quoted item", "", "- **Label**: details.",
            "- item", "  ```", "  code inside", "", "- next"]
    checked = with_tokens = 0
    for _path, lines in [(None, body), *_fixture_bodies()]:
        for block in blocks_of(lines):
            if block.kind in ("heading", "rule"):
                continue
            text = "\n".join(lines[block.start : block.end])
            read = (block.tokens, block.base) if block.tokens is not None else None
            with_tokens += read is not None
            assert content_tokens(text, block.kind, read) == normalise(text, block.kind).tokens, text
            checked += 1
    assert checked > 1000 and with_tokens > checked // 2


def test_body_key_folds_whitespace_and_ignores_frontmatter():
    a = S.split_text("---\nname: a\n---\n\nHello   world\n\n- x\n")[1]
    b = S.split_text("---\nname: b\ntools: Read\n---\r\nHello world\r\n\r\n\r\n- x   \r\n")[1]
    assert S.body_key(a) == S.body_key(b)
    assert S.body_key(S.split_text("---\nname: c\n---\n\n")[1]) is None


def test_overlap_scores_and_stars():
    a = ["alpha beta gamma", "delta epsilon zeta", "eta theta iota"]
    same = list(a)
    half = ["alpha beta gamma", "kappa lambda mu", "nu xi omicron"]
    none = ["pi rho sigma"]
    assert S.overlap_scores(a, [same, half, none, []], 80) == [1.0, pytest.approx(2 / 6), 0.0, 0.0]
    # a chain a-b-c-d: no cluster may hold both ends
    edges = {0: {1: 0.9}, 1: {0: 0.9, 2: 0.8}, 2: {1: 0.8, 3: 0.9}, 3: {2: 0.9}}
    clusters = S.stars([0, 1, 2, 3], edges)
    for anchor, members in clusters:
        assert all(m in edges[anchor] for m in members)
    assert not any({0, 3} <= {anchor, *members} for anchor, members in clusters)


def test_repeated_counter_stays_bounded():
    counter = S.RepeatedCounter(capacity=100)
    for i in range(1000):
        counter.add(i, [i + 1, -1])
        assert len(counter.counts) <= 101
    files = [S.FileInfo(index=i, path=f"f{i}.md", source="") for i in range(1000)]
    top = counter.top(1, files, lambda f: {-1: "- shared unit", 7: "other"})
    assert top == [{"text": "shared unit", "agents": top[0]["agents"], "examples": ["f0.md", "f1.md", "f2.md"]}]
    assert 1000 - counter.error <= top[0]["agents"] <= 1000


# --- the command -------------------------------------------------------------------------------------------


def test_scan_finds_exact_and_near_duplicates(tmp_path):
    roles = build_library(tmp_path)
    data = scan_json(tmp_path)
    assert data["schema"] == "agentmerge-scan/1"
    assert data["files"] == 5
    assert member_sets(data, "exact") == [{roles["exact"], roles["copy"]}]
    assert member_sets(data, "near") == [{roles["near"], roles["near_again"]}]
    assert not any(roles["unrelated"] in s for s in member_sets(data))
    exact, near = data["clusters"]
    assert [c["id"] for c in data["clusters"]] == ["K1", "K2"]
    assert exact["score"] == 1.0 and exact["kind"] == "exact"
    assert [m["name"] for m in exact["members"]] == ["code-reviewer", "pr-checker"]
    assert 0.6 <= near["score"] < 1.0
    assert near["members"][0]["path"] == near["anchor"]
    # the exact copy saves all but one copy; the near pair saves what merging drops
    assert exact["tokens_saved"] == exact["members"][1]["tokens"]
    # an agent and a Cursor rule are different kinds of file: listed, not merged, so nothing is saved
    assert near["mergeable"] is False and "different kinds of file" in near["not_merged"]
    assert near["tokens_saved"] == 0
    assert data["tokens_saved"] == exact["tokens_saved"] + near["tokens_saved"]
    # conflicts between the members come from the merge pipeline: the copies' frontmatter differs
    assert any(c["kind"] == "frontmatter" for c in exact["conflicts"])
    for c in exact["conflicts"] + near["conflicts"]:
        assert len({s["path"] for s in c["sides"]}) >= 2
    assert isinstance(data["stats"]["seconds"], float)


def test_a_listed_cluster_reports_its_conflicts_with_no_side_settled(tmp_path):
    # an agent and a Cursor rule are listed, not merged: their disagreement is reported, and since nothing
    # is merged, no input order settles it (a merge of the two would keep the first side)
    rule = DB_AGAIN.replace("- Always read the EXPLAIN ANALYZE plan of every slow query before changing an index.",
                            "- Never add an index without reading the EXPLAIN ANALYZE plan first.")
    (tmp_path / "agents").mkdir()
    (tmp_path / ".cursor/rules").mkdir(parents=True)
    (tmp_path / "agents/db-engineer.md").write_text(agent("db-engineer", DB + "\n- Use UUID primary keys.\n"))
    (tmp_path / ".cursor/rules/postgres.mdc").write_text(
        "---\ndescription: PostgreSQL rules\nglobs: '**/*.sql'\n---\n\n" + rule + "\n- Do not use UUID primary keys.\n")
    data = scan_json(tmp_path)
    (cluster,) = data["clusters"]
    assert cluster["mergeable"] is False
    body = [c for c in cluster["conflicts"] if c["kind"] != "frontmatter"]
    assert body, cluster["conflicts"]
    assert all(c["resolution"] is None for c in body)
    assert all({s["path"] for s in c["sides"]} == {"agents/db-engineer.md", ".cursor/rules/postgres.mdc"}
               for c in body)
    merged = run_cli("merge", tmp_path / "agents/db-engineer.md", tmp_path / ".cursor/rules/postgres.mdc",
                     "-o", tmp_path / "out.md", "--report", tmp_path / "out.json")
    assert merged.returncode == 0, merged.stderr
    report = json.loads((tmp_path / "out.json").read_text())
    assert sorted((c["kind"], c["topic"]) for c in body) == sorted(
        (c["kind"], c["topic"]) for c in report["conflicts"] if c["kind"] != "frontmatter")


def test_scan_output_is_deterministic_and_paths_are_relative(tmp_path):
    build_library(tmp_path / "lib")
    first = scan_json("lib", cwd=tmp_path)
    second = scan_json(tmp_path / "lib", "--jobs", "1")
    assert without_timing(first)["clusters"] == without_timing(second)["clusters"]
    assert first["repeated_guidance"] == second["repeated_guidance"]
    for c in first["clusters"]:
        assert not any(m["path"].startswith(("/", "lib/")) for m in c["members"])


def test_several_paths_are_prefixed(tmp_path):
    build_library(tmp_path / "one")
    (tmp_path / "two" / ".claude" / "agents").mkdir(parents=True)
    (tmp_path / "two" / ".claude" / "agents" / "reviewer.md").write_text(agent("reviewer", REVIEWER))
    data = scan_json("one", "two", cwd=tmp_path)
    assert data["files"] == 6
    assert {"one/.claude/agents/code-reviewer.md", "one/plugins/quality/agents/pr-checker.md",
            "two/.claude/agents/reviewer.md"} in member_sets(data, "exact")


def test_scan_of_a_synthetic_library_finds_the_planted_duplicates(tmp_path):
    synth = load_script("bench/synth.py")
    manifest = synth.generate(tmp_path / "lib", agents=40, seed=5, exact_rate=0.1, near_rate=0.15)
    data = scan_json(tmp_path / "lib")
    assert data["files"] == len(manifest["files"])  # noise (READMEs, node_modules, .git) skipped

    def pairs(clusters):
        return {tuple(sorted(p)) for c in clusters for p in itertools.combinations(c, 2)}

    for kind in ("exact", "near"):
        planted = pairs(manifest[f"{kind}_clusters"])
        found = pairs(member_sets(data, kind))
        assert planted, kind
        assert planted <= found, (kind, planted - found)
        assert found <= planted, (kind, found - planted)


def test_terminal_table_and_markdown_report(tmp_path):
    build_library(tmp_path / "lib")
    proc = run_cli("scan", tmp_path / "lib", "--report", tmp_path / "scan.md", "--report", tmp_path / "scan.json")
    assert proc.returncode == 0, proc.stderr
    assert "Duplicate agents" in proc.stdout and "K1" in proc.stdout and "K2" in proc.stdout
    assert ".claude/agents/code-reviewer.md" in proc.stdout
    assert "exact cluster(s)" in proc.stdout
    assert proc.stderr == ""  # no progress bar when stderr is not a terminal
    report = (tmp_path / "scan.md").read_text()
    assert report.startswith("# agentmerge library scan")
    assert "### K1 · exact" in report and "### K2 · near" in report
    assert json.loads((tmp_path / "scan.json").read_text())["schema"] == "agentmerge-scan/1"


def test_repeated_guidance_counts_distinct_bodies(tmp_path):
    lib = tmp_path / "lib"
    shared = "- Never log secrets, tokens or personal data, not even at debug level.\n"
    for i, body in enumerate([REVIEWER, DB, WRITER]):
        path = lib / ".claude" / "agents" / f"a{i}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(agent(f"a{i}", body + "\n## Always\n\n" + shared))
    data = scan_json(lib)
    top = data["repeated_guidance"][0]
    assert top["text"] == "Never log secrets, tokens or personal data, not even at debug level."
    assert top["agents"] == 3 and len(top["examples"]) == 3


def test_empty_library_and_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    data = scan_json(tmp_path / "empty")
    assert data["files"] == 0 and data["clusters"] == []
    proc = run_cli("scan", tmp_path / "missing")
    assert proc.returncode == 2
    assert proc.stderr.startswith("agentmerge: error: ") and proc.stderr.count("\n") == 1
    proc = run_cli("scan", tmp_path / "empty", "--report", tmp_path / "x.txt")
    assert proc.returncode == 2 and "suffix" in proc.stderr


def test_unreadable_files_are_reported_not_fatal(tmp_path):
    lib = tmp_path / "lib"
    build_library(lib)
    (lib / ".claude" / "agents" / "binary.md").write_bytes(b"\x00\x01binary")
    (lib / ".claude" / "agents" / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    proc = run_cli("scan", lib, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["files"] == 5
    assert len(data["warnings"]) == 2 and proc.stderr.count("agentmerge: warning:") == 2


# --- check ---------------------------------------------------------------------------------------------------


def test_check_baseline_round_trip(tmp_path):
    lib = tmp_path / "lib"
    roles = build_library(lib)
    baseline = tmp_path / "baseline.json"
    proc = run_cli("check", lib, "--baseline", baseline)
    assert proc.returncode == 2 and "--update-baseline" in proc.stderr
    proc = run_cli("check", lib, "--baseline", baseline, "--update-baseline")
    assert proc.returncode == 0, proc.stderr
    written = json.loads(baseline.read_text())
    assert written["schema"] == "agentmerge-scan/1" and "stats" not in written
    proc = run_cli("check", lib, "--baseline", baseline)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no new duplicates" in proc.stdout
    # a new copy of the reviewer appears
    (lib / ".claude" / "agents" / "reviewer-copy.md").write_text(agent("reviewer-copy", REVIEWER))
    proc = run_cli("check", lib, "--baseline", baseline)
    assert proc.returncode == 1
    assert "new exact duplicate" in proc.stdout and ".claude/agents/reviewer-copy.md" in proc.stdout
    assert roles["unrelated"] not in proc.stdout
    # accepting it makes the check pass again
    assert run_cli("check", lib, "--baseline", baseline, "--update-baseline").returncode == 0
    assert run_cli("check", lib, "--baseline", baseline).returncode == 0


def test_check_flags_a_new_conflict(tmp_path):
    lib = tmp_path / "lib"
    build_library(lib)
    baseline = tmp_path / "baseline.json"
    assert run_cli("check", lib, "--baseline", baseline, "--update-baseline").returncode == 0
    # the copy now restricts its tools differently: a frontmatter conflict the baseline does not list
    copy = lib / "plugins" / "quality" / "agents" / "pr-checker.md"
    copy.write_bytes(copy.read_bytes().replace(b"name: pr-checker", b"name: pr-checker\r\ntools: Bash"))
    proc = run_cli("check", lib, "--baseline", baseline)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "new conflict" in proc.stdout and "tools" in proc.stdout


def test_check_rejects_a_baseline_that_is_not_a_scan(tmp_path):
    build_library(tmp_path / "lib")
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "agentmerge-report/1"}')
    proc = run_cli("check", tmp_path / "lib", "--baseline", bad)
    assert proc.returncode == 2 and "not a scan baseline" in proc.stderr
    bad.write_text("{not json")
    proc = run_cli("check", tmp_path / "lib", "--baseline", bad)
    assert proc.returncode == 2 and "not valid JSON" in proc.stderr


def test_pre_commit_hook_definition():
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "agentmerge-check")
    assert hook["entry"].startswith("agentmerge check")
    assert hook["pass_filenames"] is False and hook["language"] == "python"
    assert "--baseline" in hook["args"]

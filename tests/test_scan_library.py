"""Library consolidation a team can trust: every agent found (or its skip listed), ignore files honoured,
same-role agents recognised and different jobs kept apart, faithful output and an apply plan."""

from __future__ import annotations

import importlib
import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentmerge import scan as S

from .conftest import load_script, run_cli
from .test_consolidate import same_kind_library, snapshot
from .test_scan import DB, REVIEWER, WRITER, agent, scan_json

F = importlib.import_module("agentmerge.scan.fingerprint")  # the module (the package exports its function)

role_synth = load_script("bench/role_synth.py")


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def agents_of(data: dict) -> list[str]:
    return [a["path"] for a in data["agents"]]


def reasons(data: dict) -> dict[str, str]:
    return {s["path"]: s["reason"] for s in data["skipped"]}


# --- discovery ----------------------------------------------------------------------------------------------


def test_agents_are_found_by_their_frontmatter_wherever_they_live(tmp_path):
    write(tmp_path, {
        "categories/01-core-development/api-designer.md": agent("api-designer", REVIEWER),
        "subagents/db.md": agent("db", DB),
        "languages/writer.md": agent("writer", WRITER),
        "docs/guide.md": "# Guide\n\nHow to use the agents.\n",
        "docs/page.md": "---\ntitle: A page\ndescription: not an agent, it has no name\n---\n\nText.\n",
        "categories/README.md": agent("readme-shaped", WRITER),  # documentation, whatever its frontmatter
        "CHANGELOG.md": agent("changes", WRITER),
        "notes/README.zh-CN.md": agent("readme-zh", WRITER),
        "notes/script.py": "print('not Markdown')\n",
    })
    data = scan_json(tmp_path)
    assert agents_of(data) == ["categories/01-core-development/api-designer.md", "languages/writer.md",
                               "subagents/db.md"]
    assert [a["name"] for a in data["agents"]] == ["api-designer", "writer", "db"]
    assert all(a["format"] == "claude-agent" and a["tokens"] > 0 for a in data["agents"])
    assert reasons(data) == {
        "CHANGELOG.md": "documentation", "categories/README.md": "documentation",
        "notes/README.zh-CN.md": "documentation",
        "docs/guide.md": "no name and description in frontmatter",
        "docs/page.md": "no name and description in frontmatter",
    }
    assert data["skipped_by_reason"] == {"documentation": 3, "no name and description in frontmatter": 2}


def test_gitignore_nested_ignore_files_and_git_info_exclude_are_honoured(tmp_path):
    write(tmp_path, {
        ".claude/agents/code-reviewer.md": agent("code-reviewer", REVIEWER),
        "generated/agents/copy.md": agent("code-reviewer-copy", REVIEWER),  # gitignored: must not be clustered
        "plugins/x/agents/db.md": agent("db", DB),
        "plugins/x/agents/db.local.md": agent("db-local", DB),  # ignored by the nested .gitignore
        "plugins/x/agents/keep.local.md": agent("keep-local", WRITER),  # re-included with !
        "scratch/agents/draft.md": agent("draft", DB),  # ignored by .git/info/exclude
        ".gitignore": "generated/\n",
        "plugins/x/.gitignore": "*.local.md\n!keep.local.md\n",
        ".git/info/exclude": "scratch/\n",
    })
    data = scan_json(tmp_path)
    assert agents_of(data) == [".claude/agents/code-reviewer.md", "plugins/x/agents/db.md",
                               "plugins/x/agents/keep.local.md"]
    skipped = {s["path"]: s for s in data["skipped"]}
    assert skipped["generated/"]["reason"] == "gitignored" and skipped["generated/"]["detail"] == ".gitignore"
    assert skipped["plugins/x/agents/db.local.md"]["detail"] == "plugins/x/.gitignore"
    assert skipped["scratch/"]["detail"] == ".git/info/exclude"
    assert data["clusters"] == []  # the gitignored copy is not clustered with its original
    # a PATH inside the repository: the .gitignore above it still applies
    data = scan_json(tmp_path / "generated")
    assert data["files"] == 0 and reasons(data) == {"agents/": "gitignored"}
    # --no-gitignore reads them all
    data = scan_json(tmp_path, "--no-gitignore")
    assert "generated/agents/copy.md" in agents_of(data)
    assert [c["kind"] for c in data["clusters"]] == ["exact", "exact"]


def test_include_and_exclude_globs(tmp_path):
    write(tmp_path, {
        "prompts/triage.md": "You triage incoming bugs.\n\n- Label every bug.\n- Ask for steps to reproduce.\n",
        "agents/writer.md": agent("writer", WRITER),
        "agents/old/db.md": agent("db", DB),
    })
    data = scan_json(tmp_path, "--include", "prompts/*.md", "--exclude", "old/")
    assert agents_of(data) == ["agents/writer.md", "prompts/triage.md"]
    assert reasons(data) == {"agents/old/": "excluded"}


def test_terminal_summary_counts_skips_by_reason(tmp_path):
    write(tmp_path, {"agents/a.md": agent("a", WRITER), "README.md": "# x\n", "docs/a.md": "text\n",
                     "docs/b.md": "text\n", "node_modules/p/agents/a.md": agent("a", WRITER)})
    proc = run_cli("scan", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert ("Skipped 4 path(s): 2 no name and description in frontmatter, 1 documentation, "
            "1 vendored or generated folder") in proc.stdout


# --- same-role clusters ----------------------------------------------------------------------------------------


def test_same_role_agents_written_independently_are_clustered_and_other_jobs_kept_apart(tmp_path):
    truth = role_synth.generate(tmp_path, seed=3, collections=4)
    data = scan_json(tmp_path)
    roles = [sorted(m["path"] for m in c["members"]) for c in data["clusters"] if c["kind"] == "role"]
    assert sorted(roles) == truth["role_clusters"]
    assert not [c for c in data["clusters"] if c["kind"] != "role"]  # no two of them are near copies
    jobs = truth["jobs"]
    for c in roles:  # python / django and frontend developer / designer never share a cluster
        assert len({jobs[p] for p in c}) == 1
    first = next(c for c in data["clusters"] if c["kind"] == "role")
    assert first["shared"]["units"] >= 0 and [a["path"] for a in first["adds"]] == [m["path"] for m in first["members"]]
    assert all(a["units"] > 0 for a in first["adds"])  # each wrote guidance of its own


@pytest.mark.parametrize("a, b, same", [
    ("postgres-expert", "postgresql-expert", True),
    ("k8s-engineer", "kubernetes-engineer", True),
    ("PostgresExpert", "postgres_specialist", True),
    ("code-reviewer", "code-review", True),
    ("python-pro", "django-pro", False),
    ("frontend-developer", "frontend-designer", False),
    ("data-engineer", "data-scientist", False),
    ("01-code-reviewer", "code-reviewer", True),
    ("java-11-to-java-17-upgrade", "java-17-to-java-21-upgrade", False),
])
def test_equivalent_names(a, b, same):
    rules = S.name_rules()
    ka, kb = S.name_key(a, rules), S.name_key(b, rules)
    from agentmerge.scan.roles import compatible

    assert (ka[0] == kb[0] and compatible(ka[1], kb[1], rules)) is same


def test_a_tight_same_role_group_is_not_pulled_apart_by_a_looser_one_it_touches():
    # Four close agents (L1-L4) and three versions of one job from other libraries (T1-T3), near-identical
    # to one another and barely like L1. The agent with the most neighbours is L1: it must not take T1
    # and T2 and leave T3 alone.
    from agentmerge.scan.roles import name_rules, role_stars

    L1, L2, L3, L4, T1, T2, T3 = range(7)
    edges: dict[int, dict[int, float]] = {n: {} for n in range(7)}

    def link(a, b, s):
        edges[a][b] = edges[b][a] = s

    for a, b in [(L1, L2), (L1, L3), (L1, L4), (L2, L3), (L2, L4), (L3, L4)]:
        link(a, b, 0.5)
    link(L1, T1, 0.21)
    link(L1, T2, 0.21)
    link(T1, T2, 0.86)
    link(T1, T3, 0.83)
    link(T2, T3, 0.88)
    clusters = role_stars(list(range(7)), edges, {n: None for n in range(7)}, name_rules())
    assert sorted(sorted(c) for c in clusters) == [[L1, L2, L3, L4], [T1, T2, T3]]
    # without the tight group, L1 still takes the agents it is like
    for t in (T1, T2, T3):
        edges.pop(t)
    for n in edges:
        for t in (T1, T2, T3):
            edges[n].pop(t, None)
    assert [sorted(c) for c in role_stars([L1, L2, L3, L4], edges, {n: None for n in edges}, name_rules())] == [
        [L1, L2, L3, L4]]


def test_role_names_can_be_extended(tmp_path):
    extra = tmp_path / "names.yaml"
    extra.write_text("synonyms:\n  observability: [o11y]\n")
    assert S.name_key("o11y-engineer", S.name_rules())[0] == ("o11y",)
    assert S.name_key("o11y-engineer", S.name_rules((str(extra),)))[0] == ("observability",)
    (tmp_path / "lib").mkdir()
    proc = run_cli("scan", tmp_path / "lib", "--role-names", tmp_path / "missing.yaml")
    assert proc.returncode == 2 and proc.stderr.startswith("agentmerge: error: --role-names")


# --- faithful consolidation --------------------------------------------------------------------------------------


def test_exact_cluster_output_is_the_leader_byte_for_byte_in_its_format(tmp_path):
    rule = ("---\ndescription: SQL rules\nglobs: '**/*.sql'\nalwaysApply: false\n---\n\n" + DB +
            "\n- Give every table a surrogate primary key and a created_at timestamp with time zone.\n")
    write(tmp_path / "lib", {".cursor/rules/sql.mdc": rule, "team/.cursor/rules/sql-copy.mdc": rule.replace(
        "SQL rules", "SQL rules (team)")})
    out = tmp_path / "out"
    proc = run_cli("consolidate", tmp_path / "lib", "-o", out)
    assert proc.returncode == 0, proc.stderr
    index = json.loads((out / "index.json").read_text())
    (cluster,) = index["clusters"]
    assert cluster["kind"] == "exact" and cluster["output"]["agent"] == "sql.mdc"
    # the repeated item (within-file duplicate) is kept: the output is the leader, not a re-merge
    assert (out / "sql.mdc").read_bytes() == (tmp_path / "lib" / ".cursor/rules/sql.mdc").read_bytes()


def test_commands_with_different_arguments_are_listed_not_merged(tmp_path):
    steps = ("Deploy the service.\n\n1. Build the image.\n2. Push it to the registry.\n3. Roll out the new "
             "version and watch the error rate.\n4. Roll back when the error rate doubles.\n\n"
             "- Announce the deploy in the team channel before you start.\n"
             "- Write the release notes from the merged pull requests.\n")
    write(tmp_path / "lib", {
        ".claude/commands/deploy.md": "---\ndescription: Deploy\nargument-hint: <service>\n---\n\n" + steps +
        "\n```json\n{\"service\": \"string\"}\n```\n",
        "plugins/ops/commands/ship.md": "---\ndescription: Ship\nargument-hint: <service> <version>\n---\n\n" + steps +
        "\n```json\n{\"service\": \"string\", \"version\": \"string\"}\n```\n",
    })
    out = tmp_path / "out"
    proc = run_cli("consolidate", tmp_path / "lib", "-o", out)
    assert proc.returncode == 0, proc.stderr
    (cluster,) = json.loads((out / "index.json").read_text())["clusters"]
    assert cluster["kind"] == "near" and cluster["mergeable"] is False
    assert "different arguments" in cluster["not_merged"]
    assert cluster["output"]["agent"] is None and cluster["tokens_saved"] == 0
    assert sorted(p.name for p in out.iterdir()) == ["apply.sh", "deploy.report.md", "index.json", "index.md"]
    assert "listed, not merged" in (out / "apply.sh").read_text()
    assert "replace " not in (out / "apply.sh").read_text().split("# every file still as planned")[1]


def test_apply_plan_replaces_and_removes_only_when_run_and_refuses_changed_files(tmp_path):
    lib = tmp_path / "lib"
    roles = same_kind_library(lib)
    out = tmp_path / "out"
    before = snapshot(lib)
    assert run_cli("consolidate", lib, "-o", out).returncode == 0
    assert snapshot(lib) == before  # consolidate itself touches no input
    plan = out / "apply.sh"
    # a file changed since the plan: nothing at all is applied
    original = (lib / roles["near_again"]).read_bytes()
    (lib / roles["near_again"]).write_bytes(original + b"\n- One more rule.\n")
    proc = subprocess.run(["sh", str(plan)], capture_output=True, text=True)
    assert proc.returncode == 1 and "changed since the plan was made" in proc.stderr
    assert (lib / roles["copy"]).exists() and (lib / roles["near_again"]).exists()
    (lib / roles["near_again"]).write_bytes(original)
    proc = subprocess.run(["sh", str(plan)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert not (lib / roles["copy"]).exists() and not (lib / roles["near_again"]).exists()
    assert (lib / roles["exact"]).read_bytes() == (out / "code-reviewer.md").read_bytes()
    assert (lib / roles["near"]).read_bytes() == (out / "db-engineer.md").read_bytes()
    assert (lib / roles["unrelated"]).exists()


def test_role_cluster_replacements_are_commented_out(tmp_path):
    role_synth.generate(tmp_path / "lib", seed=3, collections=2)
    out = tmp_path / "out"
    assert run_cli("consolidate", tmp_path / "lib", "-o", out).returncode == 0
    steps = (out / "apply.sh").read_text().split("# every file still as planned")[1]
    active = [line for line in steps.splitlines() if line.startswith(("replace ", "remove ", "unchanged "))]
    assert active == [] and "# replace " in steps
    before = snapshot(tmp_path / "lib")
    proc = subprocess.run(["sh", str(out / "apply.sh")], capture_output=True, text=True)
    assert proc.returncode == 0 and snapshot(tmp_path / "lib") == before


# --- bounded memory ----------------------------------------------------------------------------------------------


def test_a_large_file_is_read_in_pieces_with_a_warning(tmp_path):
    item = "- [ ] check the index of the orders table before the migration runs {}\n"
    body = "".join(item.format(i) for i in range(16_000))  # about 1.2 MB: larger than LARGE_BYTES
    assert len(body) > S.LARGE_BYTES
    write(tmp_path, {"agents/huge.md": "---\nname: huge\ndescription: big\n---\n\n" + body,
                     "agents/huge-copy.md": "---\nname: huge-copy\ndescription: big\n---\n" + body.replace("\n", "\n\n"),
                     "agents/writer.md": agent("writer", WRITER)})
    proc = run_cli("scan", tmp_path, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert "agents/huge.md" in agents_of(data)
    assert any("read in pieces and compared for exact copies only" in w for w in data["warnings"])
    assert "read in pieces" in proc.stderr
    assert [sorted(m["path"] for m in c["members"]) for c in data["clusters"]] == [
        ["agents/huge-copy.md", "agents/huge.md"]]


def test_a_file_over_the_limit_is_skipped_and_listed(tmp_path, monkeypatch):
    write(tmp_path, {"agents/a.md": agent("a", WRITER * 3), "agents/b.md": agent("b", DB)})
    monkeypatch.setattr(F, "MAX_BYTES", 1500)
    result = S.scan([str(tmp_path)], S.ScanOptions(jobs=1, conflicts=False))
    assert [f.path for f in result.files] == ["agents/b.md"]
    (skip,) = result.skipped
    assert skip.path == "agents/a.md" and skip.reason == "too large" and "limit" in skip.detail


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab -#*\n\r\t`|x1")), max_size=400), st.integers(8, 64))
def test_the_exact_key_read_in_pieces_is_the_key_of_the_whole_file(tmp_path_factory, text, piece):
    path = tmp_path_factory.mktemp("k") / "a.md"
    path.write_bytes(text.encode("utf-8"))
    whole = S.FileInfo(index=0, path="a.md", source=str(path))
    old = F.PIECE_BYTES
    F.PIECE_BYTES = piece
    try:
        F.read_large(whole, "utf-8")
    finally:
        F.PIECE_BYTES = old
    assert whole.body_key == S.body_key(S.split_text(text)[1])


def test_a_listed_role_cluster_leaves_the_exact_cluster_it_touches_whole(tmp_path):
    import random

    concepts = role_synth.JOBS["code-review"][2]
    rng = random.Random(5)
    bullets = role_synth._bullets("code-review", role_synth._concepts(concepts, rng), rng)
    prose = role_synth._prose("code-review", role_synth._concepts(concepts, rng), rng)
    rule = "---\ndescription: Use for reviewing pull requests.\nglobs: '**/*.py'\n---\n\n" + prose
    write(tmp_path / "lib", {"a/agents/code-reviewer.md": agent("code-reviewer", bullets),
                             "b/agents/code-reviewer.md": agent("code-reviewer", bullets),
                             ".cursor/rules/code-reviewer.mdc": rule})
    data = scan_json(tmp_path / "lib")
    kinds = {c["kind"]: c for c in data["clusters"]}
    assert sorted(kinds) == ["exact", "role"]
    assert kinds["exact"]["mergeable"] is True and kinds["exact"]["tokens_saved"] > 0
    role = kinds["role"]
    assert role["mergeable"] is False and "different kinds of file" in role["not_merged"]
    assert {m["path"]: m.get("also_in") for m in role["members"]} == {
        ".cursor/rules/code-reviewer.mdc": None, "a/agents/code-reviewer.md": kinds["exact"]["id"]}


def test_a_bad_ignore_line_is_a_warning_and_a_bad_glob_an_error(tmp_path):
    write(tmp_path, {"agents/a.md": agent("a", WRITER), "agents/b.md": agent("b", DB), ".gitignore": "!\nagents/b.md\n"})
    proc = run_cli("scan", tmp_path, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert agents_of(data) == ["agents/a.md"]
    assert data["warnings"] == [".gitignore:1: not a gitignore pattern ('!'); ignored"]
    proc = run_cli("scan", tmp_path, "--exclude", "!")
    assert proc.returncode == 2 and proc.stderr.startswith("agentmerge: error: --exclude '!'")

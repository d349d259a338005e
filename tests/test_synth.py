"""The synthetic library generator (bench/synth.py): determinism, manifest ground truth, duplicate quality."""

from __future__ import annotations

import itertools
import json
import statistics
from pathlib import Path

import pytest

from .conftest import load_script

synth = load_script("bench/synth.py")

AGENTS = 60
SEED = 3


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _body(raw: bytes) -> str:
    """The text after the frontmatter, newlines normalised."""
    text = raw.decode("utf-8").replace("\r\n", "\n")
    if text.startswith("---\n"):
        end = text.index("\n---\n", 4)
        text = text[end + 5:]
    return text


def _fold(text: str) -> str:
    return " ".join(text.split())


def _lines(raw: bytes) -> set[str]:
    return {ln.strip() for ln in _body(raw).split("\n") if ln.strip()}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "lib"
    manifest = synth.generate(out, AGENTS, SEED)
    return out, manifest, _tree(out)


def test_same_arguments_give_identical_bytes(tmp_path, library):
    out, _, tree = library
    again = tmp_path / "again"
    synth.generate(again, AGENTS, SEED)
    assert _tree(again) == tree


def test_another_seed_gives_another_library(tmp_path, library):
    _, _, tree = library
    other = tmp_path / "other"
    synth.generate(other, AGENTS, SEED + 1)
    assert _tree(other) != tree


def test_manifest_matches_the_files_on_disk(library):
    out, m, tree = library
    assert json.loads(tree["manifest.json"]) == m
    assert m["seed"] == SEED
    assert m["agents"] == AGENTS == len(m["files"])
    assert m["files"] == sorted(m["files"]) and m["noise"] == sorted(m["noise"])
    assert not set(m["files"]) & set(m["noise"])
    assert set(tree) == set(m["files"]) | set(m["noise"]) | {"manifest.json"}
    assert m["bytes"] == sum(len(tree[p]) for p in m["files"])
    assert set(m["roles"]) == set(m["files"])

    clusters = m["exact_clusters"] + m["near_clusters"]
    members = [p for c in clusters for p in c]
    assert len(members) == len(set(members)), "a file belongs to at most one cluster"
    assert set(members) <= set(m["files"])
    assert all(2 <= len(c) <= 6 for c in clusters)
    # The rates count the derived files (every member but the first).
    assert sum(len(c) - 1 for c in m["exact_clusters"]) == round(AGENTS * 0.05)
    assert sum(len(c) - 1 for c in m["near_clusters"]) == round(AGENTS * 0.10)


def test_library_layout_looks_like_real_collections(library):
    _, m, _ = library
    files = m["files"]
    assert any(p.startswith("plugins/") and "/agents/" in p and p.endswith(".md") for p in files)
    assert any(p.startswith(".claude/agents/") for p in files)
    assert any(p.endswith("/SKILL.md") and "/skills/" in p for p in files)
    assert any(p.startswith(".cursor/rules/") and p.endswith(".mdc") for p in files)
    assert any(p.startswith(".github/instructions/") and p.endswith(".instructions.md") for p in files)
    assert any(p.endswith(("/CLAUDE.md", "/AGENTS.md")) for p in files)
    for p in files:
        parts = p.split("/")
        assert "node_modules" not in parts and ".git" not in parts
        assert parts[-1] not in ("README.md", "CHANGELOG.md")


def test_noise_is_present_and_outside_the_agents(library):
    _, m, _ = library
    noise = m["noise"]
    assert "README.md" in noise and "CHANGELOG.md" in noise
    assert any(p.startswith("node_modules/") and p.endswith(".md") for p in noise)
    assert any(p.startswith(".git/") and p.endswith(".md") for p in noise)
    assert any(p.startswith("plugins/") and p.endswith("/README.md") for p in noise)


def test_agent_shaped_noise_copies_library_agents(library):
    """node_modules/ and .git/ hold copies of real agents: a scanner that walks into them finds extra pairs."""
    _, m, tree = library
    agent_bytes = {tree[p] for p in m["files"]}
    traps = [p for p in m["noise"] if p.startswith(("node_modules/@agent-packs/", ".git/info/agents-backup/"))]
    assert traps
    assert all(tree[p] in agent_bytes for p in traps)


def _name(path: str, raw: bytes) -> str:
    """The agent's name: the frontmatter `name`, else the file or folder it is known by."""
    for line in raw.decode("utf-8").replace("\r\n", "\n").split("\n")[1:]:
        if line == "---":
            break
        if line.startswith("name: "):
            return line[6:].strip()
    parts = path.split("/")
    return parts[-2] if parts[-1] in ("SKILL.md", "CLAUDE.md", "AGENTS.md") else parts[-1].split(".")[0]


def test_exact_clusters_are_identical_after_whitespace_folding(library):
    _, m, tree = library
    assert m["exact_clusters"]
    for cluster in m["exact_clusters"]:
        assert len({_fold(_body(tree[p])) for p in cluster}) == 1, cluster


def test_cluster_members_have_different_names(library):
    _, m, tree = library
    for cluster in m["exact_clusters"] + m["near_clusters"]:
        names = [_name(p, tree[p]) for p in cluster]
        assert len(set(names)) == len(names), names


def test_exact_copies_vary_frontmatter_and_whitespace(tmp_path):
    m = synth.generate(tmp_path / "big", 400, 11)
    root = tmp_path / "big"
    raw_bodies_differ = crlf = 0
    for cluster in m["exact_clusters"]:
        src = (root / cluster[0]).read_bytes()
        for p in cluster[1:]:
            copy = (root / p).read_bytes()
            crlf += b"\r\n" in copy
            raw_bodies_differ += _body(copy) != _body(src)
    assert crlf > 0
    assert raw_bodies_differ > 0


def test_near_duplicates_differ_but_share_most_lines(library):
    _, m, tree = library
    assert m["near_clusters"]
    for cluster in m["near_clusters"]:
        src = tree[cluster[0]]
        for p in cluster[1:]:
            assert _fold(_body(tree[p])) != _fold(_body(src)), p
            j = _jaccard(_lines(src), _lines(tree[p]))
            assert 0.45 <= j <= 0.92, (cluster[0], p, j)
        for a, b in itertools.combinations(cluster, 2):
            assert _jaccard(_lines(tree[a]), _lines(tree[b])) >= 0.30


def test_unrelated_agents_share_only_a_few_lines(library):
    _, m, tree = library
    same = {frozenset(pair) for c in m["exact_clusters"] + m["near_clusters"] for pair in itertools.combinations(c, 2)}
    lines = {p: _lines(tree[p]) for p in m["files"]}
    same_role = []
    for a, b in itertools.combinations(m["files"], 2):
        if frozenset((a, b)) in same:
            continue
        j = _jaccard(lines[a], lines[b])
        assert j < 0.35, (a, b, j)
        if m["roles"][a] == m["roles"][b]:
            same_role.append(j)
    # Agents of the same role overlap a little (shared boilerplate and guidance), not a lot.
    assert same_role and 0.01 < statistics.mean(same_role) < 0.2


def test_average_size_is_realistic(library):
    _, m, _ = library
    mean = m["bytes"] / m["agents"]
    assert 4500 <= mean <= 8000, mean


def test_bodies_have_the_usual_structure(library):
    _, m, tree = library
    bodies = [_body(tree[p]) for p in m["files"]]
    for body in bodies:
        assert 4 <= sum(ln.startswith("## ") for ln in body.split("\n")) <= 11
        assert "\n1. " in body and "\n- [ ] " in body
    assert sum("```" in b for b in bodies) > len(bodies) // 4
    assert sum("\n|---" in b or "\n|--" in b for b in bodies) > 0
    assert sum("\n**" in b for b in bodies) > len(bodies) // 4


def test_claude_agent_descriptions_are_messy_one_liners(library):
    """As in the wild: one line, literal `\\n`, <example> blocks, and `: ` inside an unquoted scalar."""
    _, m, tree = library
    lines = [ln for p in m["files"] if p.startswith(("plugins/", ".claude/"))
             for ln in tree[p].decode().replace("\r\n", "\n").split("\n") if ln.startswith("description: Use")]
    assert any("\\n\\n" in ln and "<example>" in ln and "user: " in ln for ln in lines)
    assert any("<commentary>" in ln for ln in lines)


def test_refuses_to_write_into_a_non_empty_directory(tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        synth.generate(out, 10, 1)
    with pytest.raises(FileExistsError):  # no manifest.json: not ours to delete, even with overwrite
        synth.generate(out, 10, 1, overwrite=True)
    assert (out / "keep.txt").read_text() == "mine"


def test_overwrite_replaces_an_earlier_library(tmp_path):
    out = tmp_path / "lib"
    synth.generate(out, 20, 1)
    m = synth.generate(out, 10, 2, overwrite=True)
    assert m["agents"] == 10 and len(list(out.rglob("*.md")) + list(out.rglob("*.mdc"))) == 10 + len(m["noise"])


def test_cli(tmp_path, capsys):
    assert synth.main([str(tmp_path / "cli"), "--agents", "30", "--seed", "5", "--near-rate", "0.2"]) == 0
    m = json.loads((tmp_path / "cli" / "manifest.json").read_text())
    assert m["agents"] == 30 and sum(len(c) - 1 for c in m["near_clusters"]) == 6
    assert "30 agents" in capsys.readouterr().out
    assert synth.main([str(tmp_path / "bad"), "--agents", "10", "--exact-rate", "0.9"]) == 2

"""`agentmerge consolidate`: one merged agent per cluster, reports and an index; inputs never touched."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .conftest import run_cli
from .test_scan import DB_AGAIN, REVIEWER, WRITER, agent, build_library


def snapshot(root: Path) -> dict[str, str]:
    """Every file under root with a hash of its bytes and its modification time."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() + f":{p.stat().st_mtime_ns}"
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_dry_run_writes_nothing(tmp_path):
    lib = tmp_path / "lib"
    build_library(lib)
    before = snapshot(tmp_path)
    proc = run_cli("consolidate", lib, "-o", tmp_path / "out", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "out").exists()
    assert "dry run, nothing written" in proc.stdout
    assert "K1 exact: .claude/agents/code-reviewer.md, plugins/quality/agents/pr-checker.md" in proc.stdout
    assert str(tmp_path / "out" / "code-reviewer.md") in proc.stdout


def same_kind_library(lib: Path) -> dict[str, str]:
    """build_library with the near duplicate of db-engineer written as an agent too (not a Cursor rule)."""
    roles = build_library(lib)
    (lib / roles["near_again"]).unlink()
    again = lib / "team" / "agents" / "db-engineer-v2.md"
    again.parent.mkdir(parents=True)
    again.write_text(agent("db-engineer-v2", DB_AGAIN))
    return {**roles, "near_again": "team/agents/db-engineer-v2.md"}


def test_consolidate_writes_merged_agents_reports_and_index(tmp_path):
    lib = tmp_path / "lib"
    roles = same_kind_library(lib)
    before = snapshot(lib)
    out = tmp_path / "out"
    proc = run_cli("consolidate", lib, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert snapshot(lib) == before  # inputs neither modified nor deleted
    written = sorted(p.name for p in out.iterdir())
    assert written == ["apply.sh", "code-reviewer.md", "code-reviewer.report.md", "db-engineer.md",
                       "db-engineer.report.md", "index.json", "index.md"]
    # the exact pair: the anchor, byte for byte
    assert (out / "code-reviewer.md").read_bytes() == (lib / roles["exact"]).read_bytes()
    # the near pair: guidance of both, shared guidance once
    merged = (out / "db-engineer.md").read_text()
    assert "Test each migration against a production-sized copy" in merged  # only in the first
    assert "Keep a tested rollback script next to every migration" in merged  # only in the second
    assert merged.count("Give every table a surrogate primary key") == 1
    assert (out / "db-engineer.report.md").read_text().startswith("# agentmerge report")
    index = json.loads((out / "index.json").read_text())
    assert index["schema"] == "agentmerge-scan/1"
    assert [c["output"] for c in index["clusters"]] == [
        {"agent": "code-reviewer.md", "report": "code-reviewer.report.md", "replaces": roles["exact"],
         "removes": [roles["copy"]]},
        {"agent": "db-engineer.md", "report": "db-engineer.report.md", "replaces": roles["near"],
         "removes": [roles["near_again"]]}]
    assert {m["path"] for m in index["clusters"][1]["members"]} == {roles["near"], roles["near_again"]}
    text = (out / "index.md").read_text()
    assert text.startswith("# Consolidated agents") and "[code-reviewer.md](code-reviewer.md)" in text


def test_outdir_inside_the_library_and_a_second_run(tmp_path):
    lib = tmp_path / "lib"
    build_library(lib)
    out = lib / ".claude" / "agents" / "consolidated"  # outputs land where a scan looks for agents
    assert run_cli("consolidate", lib, "-o", out).returncode == 0
    first = json.loads((out / "index.json").read_text())
    inputs_after_first = snapshot(lib)
    # the second run neither scans the first run's outputs nor refuses to replace them
    proc = run_cli("consolidate", lib, "-o", out)
    assert proc.returncode == 0, proc.stderr
    second = json.loads((out / "index.json").read_text())
    assert [c["members"] for c in second["clusters"]] == [c["members"] for c in first["clusters"]]
    assert second["files"] == first["files"] == 5
    assert not any("consolidated/" in a["path"] for a in second["agents"])
    changed = {k for k in snapshot(lib) if snapshot(lib)[k] != inputs_after_first.get(k)}
    assert all(k.startswith(".claude/agents/consolidated/") for k in changed)


def test_never_overwrites_an_input_or_a_foreign_file(tmp_path):
    lib = tmp_path / "lib"
    build_library(lib)
    before = snapshot(lib)
    # OUTDIR = the folder holding the anchor: the merged code-reviewer.md would replace an input
    proc = run_cli("consolidate", lib, "-o", lib / ".claude" / "agents")
    assert proc.returncode == 2
    assert proc.stderr.startswith("agentmerge: error: ") and "never overwrites" in proc.stderr
    assert snapshot(lib) == before
    assert not (lib / ".claude" / "agents" / "code-reviewer.report.md").exists()
    # a file that agentmerge did not write is not replaced either
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.md").write_text("my notes\n")
    proc = run_cli("consolidate", lib, "-o", out)
    assert proc.returncode == 2 and "index.md" in proc.stderr
    assert (out / "index.md").read_text() == "my notes\n"
    assert sorted(p.name for p in out.iterdir()) == ["index.md"]


def test_names_that_repeat_get_a_suffix(tmp_path):
    lib = tmp_path / "lib"
    for folder, body in (("a", REVIEWER), ("b", WRITER)):
        for copy in ("one", "two"):
            path = lib / folder / "agents" / f"{copy}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(agent("helper", body))
    proc = run_cli("consolidate", lib, "-o", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["apply.sh", "helper-2.md", "helper-2.report.md", "helper.md", "helper.report.md",
                     "index.json", "index.md"]


def test_a_failed_run_leaves_no_outdir(tmp_path):
    proc = run_cli("consolidate", tmp_path / "missing", "-o", tmp_path / "out")
    assert proc.returncode == 2 and "no such file" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_outdir_that_is_a_file(tmp_path):
    build_library(tmp_path / "lib")
    (tmp_path / "file").write_text("x")
    proc = run_cli("consolidate", tmp_path / "lib", "-o", tmp_path / "file")
    assert proc.returncode == 2 and "not a folder" in proc.stderr


def test_nothing_to_consolidate(tmp_path):
    lib = tmp_path / "lib"
    (lib / "agents").mkdir(parents=True)
    (lib / "agents" / "writer.md").write_text(agent("writer", WRITER))
    proc = run_cli("consolidate", lib, "-o", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["apply.sh", "index.json", "index.md"]
    assert json.loads((tmp_path / "out" / "index.json").read_text())["clusters"] == []

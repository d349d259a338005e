"""The command line as a user runs it: real processes on the real seed agents."""

import json
import os

import pytest
from typer.testing import CliRunner

from agentmerge.cli import app

from .conftest import DATA, FASTAPI, PERFORMANCE, SEED_FILES


def _one_error_line(proc):
    lines = proc.stderr.strip().split("\n")
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("agentmerge: error: ")
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_merge_two_seeds_writes_agent_and_report(cli, tmp_path):
    out = tmp_path / "merged.md"
    proc = cli(FASTAPI, PERFORMANCE, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert out.exists() and (tmp_path / "merged.report.md").exists()
    assert out.read_text().startswith("---\nname: database-engineer\n")
    assert "agentmerge: merged 2 input(s) into" in proc.stdout
    assert "tokens (estimated):" in proc.stdout and "report:" in proc.stdout
    # one warning line for all the inputs whose frontmatter strict YAML rejects
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("agentmerge: warning:")]
    assert len(warnings) == 1 and f"{FASTAPI}, {PERFORMANCE}" in warnings[0]


def test_five_seeds_at_once(cli, tmp_path):
    proc = cli(*SEED_FILES, "-o", tmp_path / "all.md", "--report", tmp_path / "all.json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "all.json").read_text())
    assert data["schema"] == "agentmerge-report/1"
    assert [i["path"] for i in data["inputs"]] == [str(p) for p in SEED_FILES]
    assert not (tmp_path / "all.report.md").exists()  # --report given: no default report


def test_stdout_output_sends_messages_to_stderr(cli, tmp_path):
    proc = cli(FASTAPI, PERFORMANCE, "-o", "-", "--report", tmp_path / "r.md")
    assert proc.returncode == 0
    assert proc.stdout.startswith("---\nname: database-engineer\n")
    assert "agentmerge: merged" in proc.stderr and "agentmerge:" not in proc.stdout


def test_dedup_mode_with_one_input(cli, tmp_path):
    out = tmp_path / "clean.md"
    proc = cli(FASTAPI, "-o", out, "--report", tmp_path / "clean.json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "clean.json").read_text())
    assert data["stats"]["duplicates_dropped"] >= 1
    assert "- Use fixtures for common test data" not in out.read_text()
    assert "- Use database fixtures and factories for test data generation" in out.read_text()
    # a step of a numbered procedure stays in it, though a rule of the same file says the same
    proc = cli(PERFORMANCE, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "4. **Use database-side aggregations**" in out.read_text()
    assert "- Leverage database-level aggregations (COUNT, AVG, SUM)" in out.read_text()


def test_same_bytes_every_run(cli, tmp_path):
    """Whatever PYTHONHASHSEED: the merged agent and both reports are byte-identical."""
    for seed in ("1", "2"):
        (tmp_path / seed).mkdir()
        proc = cli(*SEED_FILES, "-o", "merged.md", "--report", "merged.json", "--report", "merged.report.md",
                   cwd=tmp_path / seed, env_extra={"PYTHONHASHSEED": seed})
        assert proc.returncode == 0
    for name in ("merged.md", "merged.json", "merged.report.md"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes()


def test_output_naming_an_input_is_refused(cli, tmp_path):
    a = tmp_path / "a.md"
    a.write_bytes(FASTAPI.read_bytes())
    before = a.read_bytes()
    link = tmp_path / "link.md"
    link.symlink_to(a)
    hard = tmp_path / "hard.md"
    os.link(a, hard)
    for target in (a, link, hard):
        proc = cli(a, PERFORMANCE, "-o", target)
        assert proc.returncode == 2
        assert "never overwrites an input" in _one_error_line(proc)
    proc = cli(a, PERFORMANCE, "-o", tmp_path / "m.md", "--report", a)
    assert proc.returncode == 2
    assert a.read_bytes() == before
    assert not (tmp_path / "m.md").exists()


@pytest.mark.parametrize("args, message", [
    (["missing.md", "-o", "out.md"], "missing.md: no such file"),
    ([".", "-o", "out.md"], "is a directory"),
    ([str(FASTAPI)], "Missing option"),
    ([str(FASTAPI), "-o", "x.md", "--on-conflict", "maybe"], "--on-conflict must be one of"),
    ([str(FASTAPI), "-o", "x.md", "--report", "r.txt"], "the suffix must be one of"),
    ([str(FASTAPI), "-o", "x.md", "--prefer", str(DATA)], "not one of the inputs"),
    ([str(FASTAPI), "-o", "no/such/folder/x.md"], "does not exist"),
    ([str(FASTAPI), "--frobnicate"], "No such option"),
])
def test_usage_and_input_errors_are_one_line_exit_2(cli, tmp_path, args, message):
    proc = cli(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert message in _one_error_line(proc)
    assert not (tmp_path / "x.md").exists()


def test_help_shows_examples():
    runner = CliRunner()
    result = runner.invoke(app, ["merge", "--help"])
    assert result.exit_code == 0
    assert "agentmerge a.md b.md -o merged.md" in result.output
    assert "--on-conflict" in result.output and "--report" in result.output


def test_cli_runner_merges(tmp_path):
    runner = CliRunner()
    out = tmp_path / "m.md"
    result = runner.invoke(app, [str(FASTAPI), str(PERFORMANCE), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert out.read_text().count("Identify and eliminate N+1") == 1


def test_version(cli):
    proc = cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("agentmerge ")

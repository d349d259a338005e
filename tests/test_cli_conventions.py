"""What users expect of a command-line tool: stdin, --diff, --dry-run, configuration files, quiet, typo
suggestions, help that fits 80 columns, shell completion, tables that never cut a file name."""

import json
import re
import subprocess

import pytest

from .conftest import FASTAPI, PERFORMANCE, SEED_FILES
from .test_cli import _one_error_line


# --- stdin ------------------------------------------------------------------------------------------------


def test_dash_reads_an_input_from_stdin(cli, tmp_path):
    proc = cli("-", PERFORMANCE, "-o", tmp_path / "m.md", "--report", tmp_path / "r.json",
               input_bytes=FASTAPI.read_text())
    assert proc.returncode == 0, proc.stderr
    plain = cli(FASTAPI, PERFORMANCE, "-o", tmp_path / "p.md", "-q")
    assert (tmp_path / "m.md").read_text() == (tmp_path / "p.md").read_text()
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["inputs"][0]["path"] == "<stdin>" and plain.returncode == 0
    assert any(c["sides"][0]["path"] == "<stdin>" for c in data["conflicts"])
    assert "<stdin>" in proc.stderr  # named so in the warnings


def test_stdin_to_stdout(cli):
    proc = cli(PERFORMANCE, "-", "-o", "-", input_bytes=FASTAPI.read_text())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("---\nname: database-engineer\n")
    assert "agentmerge: merged 2 input(s) into stdout" in proc.stderr


def test_prefer_the_input_from_stdin(cli, tmp_path):
    proc = cli(PERFORMANCE, "-", "-o", tmp_path / "m.md", "--prefer", "-", "--report", tmp_path / "r.json",
               input_bytes=FASTAPI.read_text())
    assert proc.returncode == 0, proc.stderr
    conflicts = json.loads((tmp_path / "r.json").read_text())["conflicts"]
    assert conflicts and all(c["resolution"]["strategy"] == "prefer" for c in conflicts)
    assert all(c["sides"][i]["path"] == "<stdin>" for c in conflicts for i in c["resolution"]["kept"])


def test_stdin_only_once(cli, tmp_path):
    proc = cli("-", "-", "-o", tmp_path / "m.md", input_bytes="- a\n")
    assert proc.returncode == 2
    assert "'-' (stdin) can be given only once" in _one_error_line(proc)


# --- --diff and --dry-run ---------------------------------------------------------------------------------


def test_diff_prints_a_unified_diff_and_writes_nothing(cli, tmp_path):
    proc = cli(FASTAPI, PERFORMANCE, "--diff", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.iterdir()) == []
    assert proc.stdout.startswith(f"--- {FASTAPI}\n+++ merged\n@@ ")
    # applying the diff to the first input gives the merged agent
    merged = cli(FASTAPI, PERFORMANCE, "-o", tmp_path / "m.md", "-q")
    assert merged.returncode == 0
    copy = tmp_path / "first.md"
    copy.write_bytes(FASTAPI.read_bytes())
    patch = subprocess.run(["patch", "-s", str(copy)], input=proc.stdout, text=True, capture_output=True)
    if patch.returncode == 127:
        pytest.skip("no patch program")
    assert patch.returncode == 0, patch.stderr
    assert copy.read_text() == (tmp_path / "m.md").read_text()
    assert "agentmerge: merged" in proc.stderr and "agentmerge:" not in proc.stdout


def test_diff_with_output_and_reports_writes_nothing(cli, tmp_path):
    proc = cli(FASTAPI, PERFORMANCE, "--diff", "-o", "m.md", "--report", "r.json", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"--- {FASTAPI}\n+++ m.md\n")
    assert list(tmp_path.iterdir()) == []


def test_dry_run_says_what_it_would_write(cli, tmp_path):
    proc = cli(FASTAPI, PERFORMANCE, "-o", "m.md", "--report", "r.html", "--dry-run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.iterdir()) == []
    assert re.search(r"^agentmerge: dry run: would write m\.md \(\d+ bytes, \d+ lines\)$", proc.stdout, re.M)
    assert re.search(r"^agentmerge: dry run: would write r\.html \(\d+ bytes\)$", proc.stdout, re.M)
    assert "report:" not in proc.stdout  # the summary does not claim a report was written


def test_missing_output_says_how_to_fix_it(cli, tmp_path):
    proc = cli(FASTAPI, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Missing option '-o' / '--output'" in _one_error_line(proc)


# --- configuration ----------------------------------------------------------------------------------------


def test_pyproject_defaults_and_the_command_line_wins(cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.agentmerge]\non-conflict = "mark"\nreport = ["r.json"]\n')
    work = tmp_path / "sub" / "dir"
    work.mkdir(parents=True)
    proc = cli(FASTAPI, PERFORMANCE, "-o", "m.md", "-q", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((work / "r.json").read_text())["options"]["on_conflict"] == "mark"
    assert "<<<<<<< " in (work / "m.md").read_text()
    proc = cli(FASTAPI, PERFORMANCE, "-o", "m2.md", "-q", "--on-conflict", "keep-all", "--report", "r2.json",
               cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((work / "r2.json").read_text())["options"]["on_conflict"] == "keep-all"
    assert not (work / "m2.report.md").exists()


def test_agentmerge_toml_wins_in_its_folder_and_tables_per_command(cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.agentmerge]\non-conflict = "mark"\n')
    (tmp_path / ".agentmerge.toml").write_text('on-conflict = "keep-all"\n\n[scan]\nthreshold = 2.0\n')
    proc = cli("scan", ".", cwd=tmp_path)
    assert proc.returncode == 2  # the scan table is read: 2.0 is out of range
    assert "--threshold" in _one_error_line(proc)
    (tmp_path / ".agentmerge.toml").write_text('on-conflict = "keep-all"\n')
    proc = cli(FASTAPI, PERFORMANCE, "-o", "m.md", "--report", "r.json", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "r.json").read_text())["options"]["on_conflict"] == "keep-all"


@pytest.mark.parametrize("text, message", [
    ('frobnicate = 1\n', "pyproject.toml: [tool.agentmerge]: unknown key 'frobnicate' (known: "),
    ('on_conflict = "mark"\n', "unknown key 'on_conflict'; did you mean 'on-conflict'?"),
    ('[tool.agentmerge.scan]\nthreshhold = 0.5\n', "[tool.agentmerge.scan]: unknown key 'threshhold'; did you mean 'threshold'?"),
    ('check = "yes"\n', "check must be true or false"),
    ('check = \n', "pyproject.toml: not valid TOML"),
])
def test_bad_configuration_is_one_line(cli, tmp_path, text, message):
    (tmp_path / "pyproject.toml").write_text("[tool.agentmerge]\n" + text)
    proc = cli(FASTAPI, "-o", "m.md", cwd=tmp_path)
    assert proc.returncode == 2
    assert message in _one_error_line(proc)
    assert not (tmp_path / "m.md").exists()


def test_configured_paths_are_relative_to_the_file(cli, tmp_path):
    (tmp_path / ".agentmerge.toml").write_text('axes = ["our-topics.yaml"]\n')
    (tmp_path / "sub").mkdir()
    proc = cli(FASTAPI, "-o", "m.md", cwd=tmp_path / "sub")
    assert proc.returncode == 2
    assert _one_error_line(proc) == "agentmerge: error: ../our-topics.yaml: no such file"


# --- quiet, warnings --------------------------------------------------------------------------------------


def test_quiet_drops_warnings_and_summary_but_not_errors(cli, tmp_path):
    proc = cli(*SEED_FILES, "-o", tmp_path / "m.md", "-q")
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""
    proc = cli(*SEED_FILES, "-o", tmp_path / "m.md")
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("agentmerge: warning:")]
    assert len(warnings) == 1 and all(str(p) in warnings[0] for p in SEED_FILES)
    proc = cli(*SEED_FILES, "-o", tmp_path / "nowhere" / "m.md", "-q")
    assert proc.returncode == 2 and "does not exist" in _one_error_line(proc)


def test_quiet_scan_drops_its_warnings_too(cli, tmp_path):
    agents = tmp_path / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "a.md").write_bytes(FASTAPI.read_bytes())
    (agents / "binary.md").write_bytes(b"\x00\x01binary")
    proc = cli("scan", ".", cwd=tmp_path)
    assert proc.returncode == 0 and "agentmerge: warning:" in proc.stderr and "binary.md" in proc.stderr
    proc = cli("scan", ".", "-q", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stderr == "" and proc.stdout == ""


# --- commands, help, completion ---------------------------------------------------------------------------


def test_a_mistyped_command_gets_a_suggestion(cli, tmp_path):
    proc = cli("scna", "DIR", cwd=tmp_path)
    assert proc.returncode == 2
    assert _one_error_line(proc) == "agentmerge: error: No such command 'scna'. Did you mean 'scan'?"
    (tmp_path / "scna").write_text("- a rule\n")  # a file of that name is merged, as asked
    proc = cli("scna", "-o", "out.md", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_no_arguments_prints_help_without_an_error_line(cli):
    proc = cli()
    assert proc.returncode == 2
    assert "Usage: agentmerge" in proc.stdout and "Commands" in proc.stdout
    assert "error" not in proc.stderr


@pytest.mark.parametrize("command", [[], ["merge"], ["scan"], ["consolidate"], ["check"]])
def test_help_fits_80_columns(cli, command):
    proc = cli(*command, "--help", env_extra={"COLUMNS": "80", "TERM": "dumb"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
    if command in (["merge"], ["consolidate"]):
        assert re.search(r"\bprefer-first\b", proc.stdout) and re.search(r"\bkeep-all\b", proc.stdout)
        assert not re.search(r"\|m\s|^\s*│?\s*ark\b", proc.stdout, re.M)


def test_shell_completion(cli):
    proc = cli("--show-completion", "bash")
    assert proc.returncode == 0, proc.stderr
    assert "_AGENTMERGE_COMPLETE=complete_bash" in proc.stdout and "complete " in proc.stdout
    env = {"_AGENTMERGE_COMPLETE": "complete_bash", "COMP_CWORD": "1", "COMP_WORDS": "agentmerge sc"}
    proc = cli(env_extra=env)
    assert proc.returncode == 0 and proc.stdout.split() == ["scan"]
    env = {"_AGENTMERGE_COMPLETE": "complete_bash", "COMP_CWORD": "2", "COMP_WORDS": "agentmerge a.md --on-c"}
    proc = cli(env_extra=env)
    assert proc.returncode == 0 and proc.stdout.split() == ["--on-conflict"]


# --- tables -----------------------------------------------------------------------------------------------


def test_scan_table_never_cuts_a_file_name(cli, tmp_path):
    deep = tmp_path / "plugins" / ("a-very-long-plugin-folder-name-" * 3 + "end") / "agents"
    deep.mkdir(parents=True)
    names = ["database-engineer-fastapi-with-a-long-name.md", "database-engineer-fastapi-copy-with-a-longer-name.md"]
    for name in names:
        (deep / name).write_bytes(FASTAPI.read_bytes())
    proc = cli("scan", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "…" not in proc.stdout
    cells = [line.split("│")[4].strip() for line in proc.stdout.splitlines() if line.count("│") >= 6]
    joined = "".join(cells)
    for name in names:
        assert str((deep / name).relative_to(tmp_path)) in joined
    assert "agent-like file(s)" in proc.stdout


def test_messages_are_not_highlighted_as_code(cli, tmp_path):
    (tmp_path / "agents").mkdir()
    (tmp_path / "agents" / "a.md").write_bytes(FASTAPI.read_bytes())
    (tmp_path / "agents" / "b.md").write_bytes(FASTAPI.read_bytes())
    proc = cli("scan", ".", cwd=tmp_path, env_extra={"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert "\x1b[" not in first and first.startswith("Scanned 2 agent-like file(s)")

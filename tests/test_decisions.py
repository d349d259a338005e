"""Decisions, remembered: stable keys, the decisions file, `--check` for CI, and `agentmerge resolve`.

Everything runs the real command line on the real fixtures (fixtures/seeds, fixtures/pairs)."""

import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from .conftest import DATA, FASTAPI, PERFORMANCE, ROOT, SEED_FILES

PAIRS = ROOT / "fixtures" / "pairs"
KEY = re.compile(r"^[0-9a-f]{12}$")


def _report(cli, tmp_path, *args, name="m"):
    out, js = tmp_path / f"{name}.md", tmp_path / f"{name}.json"
    proc = cli(*args, "-o", out, "--report", js, cwd=tmp_path)
    return proc, (json.loads(js.read_text()) if js.exists() else None)


def _decisions(tmp_path, lines, name="decisions.yaml"):
    path = tmp_path / name
    path.write_text("schema: agentmerge-decisions/1\ndecisions:\n" + "".join(f"  {line}\n" for line in lines))
    return path


def _copy(tmp_path, *sources, folder="in"):
    (tmp_path / folder).mkdir(exist_ok=True)
    paths = []
    for source in sources:
        target = tmp_path / folder / source.name
        shutil.copy(source, target)
        paths.append(f"{folder}/{source.name}")
    return paths


def test_every_conflict_and_unit_carries_a_key(cli, tmp_path):
    _proc, data = _report(cli, tmp_path, *SEED_FILES)
    keys = [c["key"] for c in data["conflicts"]]
    assert keys and all(KEY.match(k) for k in keys)
    assert len(set(keys)) == len(keys)
    units = [m for g in data["shared"] for m in g["members"]] + data["unique"]
    assert units and all(KEY.match(u["key"]) for u in units)
    assert all(KEY.match(u["key"]) for c in data["conflicts"] for s in c["sides"] for u in s.get("units", []))


def test_keys_survive_input_order_line_shifts_and_another_folder(cli, tmp_path):
    a, b = _copy(tmp_path, FASTAPI, PERFORMANCE)
    _p, ab = _report(cli, tmp_path, a, b, name="ab")
    _p, ba = _report(cli, tmp_path, b, a, name="ba")
    # the same files in another folder, with lines added before the first section
    (tmp_path / "moved").mkdir()
    text = PERFORMANCE.read_text()
    end = text.index("\n## ") + 1
    shifted = text[:end] + "A new paragraph.\n\nAnd a second one.\n\n" + text[end:]
    (tmp_path / "moved" / PERFORMANCE.name).write_text(shifted)
    shutil.copy(FASTAPI, tmp_path / "moved" / FASTAPI.name)
    _p, moved = _report(cli, tmp_path, f"moved/{FASTAPI.name}", f"moved/{PERFORMANCE.name}", name="moved")

    def conflicts(data):
        return {c["key"]: (c["kind"], c["topic"]) for c in data["conflicts"]}

    def units(data):
        return ({u["key"] for g in data["shared"] for u in g["members"]} | {u["key"] for u in data["unique"]}
                | {u["key"] for c in data["conflicts"] for s in c["sides"] for u in s.get("units", [])})

    assert conflicts(ab) == conflicts(ba) == conflicts(moved)
    lines = {c["key"]: [side["line"] for side in c["sides"]] for c in ab["conflicts"]}
    assert any([side["line"] for side in c["sides"]] != lines[c["key"]] for c in moved["conflicts"])  # lines moved
    assert units(ab) == units(ba)
    assert units(ab) - units(moved) == set()  # the two new paragraphs only add keys
    # renaming an input changes its keys: `keep: [b.md]` names it, so a decision must not follow silently
    shutil.copy(tmp_path / b, tmp_path / "in" / "renamed.md")
    _p, renamed = _report(cli, tmp_path, a, "in/renamed.md", name="renamed")
    assert set(conflicts(renamed)).isdisjoint(conflicts(ab))


def test_ci_check_fails_until_every_conflict_is_decided_then_passes(cli, tmp_path):
    a, b = _copy(tmp_path, PAIRS / "frontend" / "a.md", PAIRS / "frontend" / "b.md")
    # the default order settles every conflict, and yet nothing was decided: --check fails
    proc = cli(a, b, "-o", "m.md", "--report", "m.json", "--check", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    data = json.loads((tmp_path / "m.json").read_text())
    keys = [c["key"] for c in data["conflicts"]]
    assert all(c["resolution"]["strategy"] == "prefer-first" for c in data["conflicts"])
    assert data["stats"]["undecided_conflicts"] == len(keys) and data["stats"]["sides_dropped_by_default"] >= len(keys)
    for key in keys:
        assert key in proc.stderr
    assert f"agentmerge resolve {a} {b} -o m.md" in proc.stderr
    assert "0 unsettled" not in proc.stdout and f"{len(keys)} not decided" in proc.stdout
    assert (tmp_path / "m.md").exists()  # the merge is written: --check only judges it
    # the report's own decision lines, pasted into a decisions file: all but the last conflict
    lines = [c["decide"][1] for c in data["conflicts"]]
    _decisions(tmp_path, lines[:-1])
    proc = cli(a, b, "-o", "m.md", "--decisions", "decisions.yaml", "--check", cwd=tmp_path)
    assert proc.returncode == 1
    assert keys[-1] in proc.stderr and not any(k in proc.stderr for k in keys[:-1])
    assert "--decisions decisions.yaml" in proc.stderr
    _decisions(tmp_path, lines)
    proc = cli(a, b, "-o", "m.md", "--report", "m.json", "--decisions", "decisions.yaml", "--check", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "all decided" in proc.stdout
    data = json.loads((tmp_path / "m.json").read_text())
    assert {c["resolution"]["strategy"] for c in data["conflicts"]} == {"decision"}
    assert [c["key"] for c in data["conflicts"]] == keys
    # and in the other input order the same decisions still settle every conflict
    proc = cli(b, a, "-o", "m.md", "--decisions", "decisions.yaml", "--check", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_check_passes_with_prefer_but_never_while_tools_widen(cli, tmp_path):
    a, b = _copy(tmp_path, PAIRS / "frontend" / "a.md", PAIRS / "frontend" / "b.md")
    assert cli(a, b, "-o", "m.md", "--prefer", b, "--check", cwd=tmp_path).returncode == 0
    # one input may use three tools, the other every tool: the union lets the merged agent use every tool
    (tmp_path / "r.md").write_text("---\nname: reader\ntools: Read, Grep, Glob\n---\n\n- Read the code first.\n")
    (tmp_path / "w.md").write_text("---\nname: reader\n---\n\n- Write the change.\n")
    proc = cli("r.md", "w.md", "-o", "m.md", "--report", "m.json", "--prefer", "r.md", "--check", cwd=tmp_path)
    assert proc.returncode == 1
    assert "may use tools an input did not allow" in proc.stderr
    tools = next(c for c in json.loads((tmp_path / "m.json").read_text())["conflicts"] if c["topic"] == "tools")
    assert "tools:" not in (tmp_path / "m.md").read_text()  # every tool
    _decisions(tmp_path, [f"- {{conflict: {tools['key']}, keep: [r.md], note: read-only reviewer}}"])
    proc = cli("r.md", "w.md", "-o", "m.md", "--report", "m.json", "--decisions", "decisions.yaml", "--check",
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "tools: Read, Grep, Glob" in (tmp_path / "m.md").read_text()
    tools = next(c for c in json.loads((tmp_path / "m.json").read_text())["conflicts"] if c["topic"] == "tools")
    assert tools["decision"] == {"keep": ["r.md"], "note": "read-only reviewer", "line": 3}


def test_a_decision_keeps_the_chosen_side_whatever_the_order(cli, tmp_path):
    a, b = _copy(tmp_path, PERFORMANCE, DATA)
    proc, data = _report(cli, tmp_path, a, b)
    consistency = next(c for c in data["conflicts"] if c["topic"] == "consistency")
    eventual = next(s for s in consistency["sides"] if s["path"] == a)
    assert "eventual consistency" in eventual["text"]
    assert "lean toward eventual consistency" in (tmp_path / "m.md").read_text()  # the first input won
    model = next(c for c in data["conflicts"] if c["topic"] == "model")
    _decisions(tmp_path, [f"- {{conflict: {consistency['key']}, keep: [{b}], note: payments need locks}}",
                          f"- {{conflict: {model['key']}, keep: [{b}]}}"])
    for order in ((a, b), (b, a)):
        proc = cli(*order, "-o", "d.md", "--report", "d.json", "--decisions", "decisions.yaml", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        merged = (tmp_path / "d.md").read_text()
        assert "lean toward eventual consistency" not in merged
        assert "model: opus" in merged
        decided = json.loads((tmp_path / "d.json").read_text())
        c = next(c for c in decided["conflicts"] if c["key"] == consistency["key"])
        assert c["resolution"]["strategy"] == "decision" and c["decision"]["note"] == "payments need locks"
        assert [c["sides"][i]["path"] for i in c["in_output"]] == [b]
        assert decided["decisions"]["stale"] == []
        assert {d["conflict"] for d in decided["decisions"]["applied"]} == {consistency["key"], model["key"]}


def test_keep_all_keeps_every_side_settled(cli, tmp_path):
    a, b = _copy(tmp_path, PERFORMANCE, DATA)
    _proc, data = _report(cli, tmp_path, a, b)
    consistency = next(c for c in data["conflicts"] if c["topic"] == "consistency")
    _decisions(tmp_path, [f"- {{conflict: {consistency['key']}, keep: all}}"])
    proc = cli(a, b, "-o", "d.md", "--report", "d.json", "--decisions", "decisions.yaml", "--on-conflict", "mark",
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    c = next(c for c in json.loads((tmp_path / "d.json").read_text())["conflicts"] if c["key"] == consistency["key"])
    assert c["resolution"] == {"strategy": "decision", "kept": [0, 1]} and c["blocks"] == []
    merged = (tmp_path / "d.md").read_text()
    for side in c["sides"]:
        assert merged.split("\n")[side["output_line"] - 1] == side["text"].split("\n")[0]


def test_stale_decisions_are_reported_and_never_applied(cli, tmp_path):
    a, b = _copy(tmp_path, PERFORMANCE, DATA)
    _proc, data = _report(cli, tmp_path, a, b)
    by_topic = {c["topic"]: c["key"] for c in data["conflicts"]}
    _decisions(tmp_path, [
        "- {conflict: 0123456789ab, keep: all}",  # no such conflict
        f"- {{conflict: {by_topic['consistency']}, keep: [in/other.md]}}",  # not an input
        f"- {{conflict: {by_topic['name']}, keep: all}}",  # a name has one value
        "- {units: [0123456789ab, ba9876543210], same: true}",  # no such units
    ])
    proc = cli(a, b, "-o", "d.md", "--report", "d.json", "--decisions", "decisions.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.split("\n") if "stale decision" in line]
    assert [w.split(": ")[2] for w in warnings] == [f"decisions.yaml:{n}" for n in (3, 4, 5, 6)]
    assert "which is not an input of this run" in warnings[1] and "has one value" in warnings[2]
    report = json.loads((tmp_path / "d.json").read_text())
    assert len(report["decisions"]["stale"]) == 4 and report["decisions"]["applied"] == []
    assert all(c["resolution"]["strategy"] == "prefer-first" for c in report["conflicts"])
    assert (tmp_path / "d.md").read_bytes() == (tmp_path / "m.md").read_bytes()
    markdown = (tmp_path / "d.report.md")
    cli(a, b, "-o", "d.md", "--decisions", "decisions.yaml", "-q", cwd=tmp_path)
    assert "## Stale decisions" in markdown.read_text()
    assert "decisions: 0 applied, 4 stale" in cli(a, b, "-o", "d.md", "--decisions", "decisions.yaml",
                                                  cwd=tmp_path).stdout


@pytest.mark.parametrize("content, message", [
    ("schema: [unclosed\n", "decisions.yaml:2: not valid YAML"),
    ("decisions: []\n", "not a decisions file (expected schema: agentmerge-decisions/1)"),
    ("schema: agentmerge-decisions/2\ndecisions: []\n", "decisions.yaml:1: not a decisions file"),
    ("- a\n- b\n", "decisions.yaml:1: not a decisions file"),
    ("schema: agentmerge-decisions/1\ndecisions: {conflict: x}\n", "decisions.yaml:2: decisions must be a list"),
    ("schema: agentmerge-decisions/1\ndecisions:\n  - conflict: abc\n    keep: all\n",
     "decisions.yaml:3: 'abc' is not a key"),
    ("schema: agentmerge-decisions/1\ndecisions:\n  - conflict: 0123456789ab\n", "keep is missing"),
    ("schema: agentmerge-decisions/1\ndecisions:\n  - conflict: 0123456789ab\n    keep: some\n",
     "decisions.yaml:4: keep must be a list of input paths, or all"),
    ("schema: agentmerge-decisions/1\ndecisions:\n  - conflict: 0123456789ab\n    keep: []\n", "keep must be a list"),
    ("schema: agentmerge-decisions/1\ndecisions:\n  - conflict: 0123456789ab\n    keep: all\n    why: x\n",
     "decisions.yaml:5: unknown field 'why'"),
    ("schema: agentmerge-decisions/1\ndecisions:\n  - {conflict: 0123456789ab, keep: all}\n"
     "  - {conflict: 0123456789ab, keep: [a.md]}\n", "decisions.yaml:4: conflict 0123456789ab is decided twice"),
    ("schema: agentmerge-decisions/1\ndecisions:\n  - {units: [0123456789ab], same: true}\n", "units must list two"),
    ("schema: agentmerge-decisions/1\ndecisions:\n  - {units: [0123456789ab, 0123456789ac], same: maybe}\n",
     "same must be true or false"),
    ("schema: agentmerge-decisions/1\ndecisions:\n  - {units: [0123456789ab, 0123456789ac], conflict: 0123456789ab}\n",
     "not both"),
    ("schema: agentmerge-decisions/1\ndecisions:\n  - just text\n", "each decision is a mapping"),
    ("schema: agentmerge-decisions/1\ntypo: 1\n", "decisions.yaml:2: unknown field 'typo'"),
])
def test_malformed_decisions_files_are_one_line_errors(cli, tmp_path, content, message):
    (tmp_path / "decisions.yaml").write_text(content)
    proc = cli(FASTAPI, PERFORMANCE, "-o", "m.md", "--decisions", "decisions.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().split("\n")
    assert len(lines) == 1 and lines[0].startswith("agentmerge: error: decisions.yaml"), proc.stderr
    assert message in lines[0]
    assert not (tmp_path / "m.md").exists()


def test_a_missing_decisions_file_is_an_error(cli, tmp_path):
    proc = cli(FASTAPI, PERFORMANCE, "-o", "m.md", "--decisions", "none.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and "none.yaml: no such decisions file" in proc.stderr


def test_unit_decisions_override_the_matcher(cli, tmp_path):
    (a,) = _copy(tmp_path, FASTAPI)
    _proc, data = _report(cli, tmp_path, a)
    group = next(g for g in data["shared"] if g["kind"] == "duplicate")
    kept, dropped = group["members"][0], group["members"][1]
    assert dropped["text"] not in (tmp_path / "m.md").read_text()
    _decisions(tmp_path, [f"- {{units: [{kept['key']}, {dropped['key']}], same: false}}"])
    proc = cli(a, "-o", "d.md", "--report", "d.json", "--report", "d.report.md", "--decisions", "decisions.yaml",
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    merged = (tmp_path / "d.md").read_text()
    assert dropped["text"] in merged and kept["text"] in merged
    report = json.loads((tmp_path / "d.json").read_text())
    assert not any({kept["key"], dropped["key"]} <= {m["key"] for m in g["members"]} for g in report["shared"])
    assert report["decisions"]["applied"][0]["units"] == [kept["key"], dropped["key"]]
    assert (f"- units `{kept['key']}`, `{dropped['key']}`: different guidance (never collapsed), by your decision"
            in (tmp_path / "d.report.md").read_text())

    # same: true collapses two units the matcher keeps apart (pagination "for large result sets" and
    # "for unbounded result sets")
    a, b = _copy(tmp_path, FASTAPI, PERFORMANCE, folder="two")
    _proc, data = _report(cli, tmp_path, a, b, name="two")
    first, second = (next(u for u in data["unique"] if u["path"] == path and words in u["text"])
                     for path, words in ((a, "large result sets"), (b, "unbounded result sets")))
    _decisions(tmp_path, [f"- {{units: [{first['key']}, {second['key']}], same: true}}"], name="same.yaml")
    proc = cli(a, b, "-o", "s.md", "--report", "s.json", "--decisions", "same.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    merged = (tmp_path / "s.md").read_text()
    assert (first["text"] in merged) != (second["text"] in merged)
    report = json.loads((tmp_path / "s.json").read_text())
    group = next(g for g in report["shared"] if {m["key"] for m in g["members"]} == {first["key"], second["key"]})
    assert group["kind"] == "duplicate"


def test_resolve_refuses_without_a_terminal(cli, tmp_path):
    proc = cli("resolve", FASTAPI, PERFORMANCE, "-o", "m.md", cwd=tmp_path, input_bytes="1\n")
    assert proc.returncode == 2
    lines = proc.stderr.strip().split("\n")
    assert len(lines) == 1 and "resolve asks its questions in a terminal" in lines[0]
    assert "--decisions FILE" in lines[0]
    assert not list(tmp_path.iterdir())


def _pane(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-J", "-t", session, "-S", "-2000"], capture_output=True,
                          text=True).stdout


def _wait_for(session: str, text: str, count: int = 1, timeout: float = 60) -> str:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        pane = _pane(session)
        if pane.count(text) >= count:
            return pane
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear:\n{_pane(session)}")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (apt-get install tmux)")
def test_resolve_in_a_terminal_writes_decisions_then_merges(cli, tmp_path):
    a, b = _copy(tmp_path, PAIRS / "writing" / "a.md", PAIRS / "writing" / "b.md")
    _proc, data = _report(cli, tmp_path, a, b, name="before")
    conflicts = data["conflicts"]
    assert len(conflicts) >= 3
    session = f"agentmerge-test-{os.getpid()}"
    script = tmp_path / "run.sh"
    script.write_text(f"cd {tmp_path}\n{sys.executable} -m agentmerge resolve {a} {b} -o m.md\n"
                      "echo EXIT=$?\nsleep 60\n")
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "50", "sh", str(script)], check=True)
    try:
        def answer(text: str, prompt: str = "Decision [", count: int = 1) -> None:
            _wait_for(session, prompt, count)
            subprocess.run(["tmux", "send-keys", "-t", session, text, "Enter"], check=True)

        pane = _wait_for(session, "Decision [")
        first = conflicts[0]
        assert f"1/{len(conflicts)} · {first['id']}" in pane and first["key"] in pane
        for side in first["sides"]:  # both sides in full, with file:line
            assert f"{side['path']}:{side['line']}" in pane and side["text"].split("\n")[0] in pane
        answer("2")  # keep the second input's side
        answer("one name for both", "Note (optional")
        answer("s", count=2)  # skip the second
        third = conflicts[2]
        answer("a" if third["kind"] != "frontmatter" else "1", count=3)
        answer("", "Note (optional", count=2)
        answer("q", count=4)
        pane = _wait_for(session, "EXIT=")
        assert "EXIT=0" in pane, pane
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    written = (tmp_path / "m.decisions.yaml").read_text()
    keep_third = "all" if third["kind"] != "frontmatter" else f"[{a}]"
    assert written == ("schema: agentmerge-decisions/1\ndecisions:\n"
                       f"  - conflict: {first['key']}\n    keep: [{b}]\n    note: \"one name for both\"\n"
                       f"  - conflict: {third['key']}\n    keep: {keep_third}\n")
    report = (tmp_path / "m.report.md").read_text()
    assert f"{first['id']} · {first['kind']} · {first['topic']} · `{first['key']}`: keeps `{b}`, by your decision" in report
    # the merge was written with the decisions; CI now lists only what was skipped or left
    proc = cli(a, b, "-o", "m.md", "--decisions", "m.decisions.yaml", "--check", cwd=tmp_path)
    assert proc.returncode == 1
    assert conflicts[1]["key"] in proc.stderr and first["key"] not in proc.stderr

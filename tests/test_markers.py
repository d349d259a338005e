"""Conflict markers that tools parse: agentmerge's blocks have the grammar of `git merge-file`'s, git's own
checks accept them, and an input holding blocks keeps them whole when it is merged again."""

import json
import re
import shutil
import subprocess

import pytest

from agentmerge import markers
from agentmerge.normalize import plain

from .conftest import DATA, FASTAPI, PERFORMANCE, SEED_FILES

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

OPEN, SEP, CLOSE = re.compile(r"^<{7} (.+)$"), "=======", re.compile(r"^>{7} (.+)$")


def rerere_hunks(text: str) -> list[tuple[str, str, str, str]]:
    """The conflict hunks as git rerere reads them (rerere.c, handle_path): `<<<<<<<` opens, one `=======`
    splits, `>>>>>>>` closes; another opener inside, a second `=======`, or a hunk never closed is
    'could not parse conflict hunks'."""
    hunks, state, upper, lower, label = [], "outside", [], [], ""
    for line in text.split("\n"):
        if state == "outside":
            if OPEN.match(line):
                state, upper, lower, label = "upper", [], [], OPEN.match(line).group(1)
            elif line == SEP or CLOSE.match(line):
                raise ValueError(f"stray marker {line!r}")
        elif OPEN.match(line):
            raise ValueError("nested block")
        elif line == SEP:
            if state != "upper":
                raise ValueError("a second =======")
            state = "lower"
        elif CLOSE.match(line):
            if state != "lower":
                raise ValueError("closed before =======")
            hunks.append((label, "\n".join(upper), "\n".join(lower), CLOSE.match(line).group(1)))
            state = "outside"
        else:
            (upper if state == "upper" else lower).append(line)
    if state != "outside":
        raise ValueError("a block is never closed")
    return hunks


def _git_merge_file(tmp_path) -> str:
    for name, text in (("ours", "- keep a\n- timeout 30\n- end\n"), ("base", "- keep a\n- timeout\n- end\n"),
                       ("theirs", "- keep a\n- timeout 15\n- end\n")):
        (tmp_path / name).write_text(text)
    proc = subprocess.run(["git", "merge-file", "-p", "-L", "a.md", "-L", "base", "-L", "b.md", "ours", "base", "theirs"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1  # one conflict
    return proc.stdout


def test_the_grammar_is_git_merge_files(tmp_path):
    produced = _git_merge_file(tmp_path)
    assert rerere_hunks(produced) == [("a.md", "- timeout 30", "- timeout 15", "b.md")]
    assert markers.blocks(produced) == [{"start": 1, "end": 6, "labels": ("a.md", "b.md"),
                                         "sides": ("- timeout 30", "- timeout 15")}]
    text, starts = markers.write([("a.md", "- timeout 30"), ("b.md", "- timeout 15")])
    assert text + "\n" == "".join(produced.split("\n", 1)[1].partition("- end")[0])
    assert starts == [1, 3]


def _merge(cli, tmp_path, *inputs, mode="mark", name="m"):
    proc = cli(*inputs, "-o", f"{name}.md", "--report", f"{name}.json", "--report", f"{name}.report.md",
               "--on-conflict", mode, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return (tmp_path / f"{name}.md").read_text(), json.loads((tmp_path / f"{name}.json").read_text())


def test_every_block_is_two_sided_with_one_input_per_label(cli, tmp_path):
    text, data = _merge(cli, tmp_path, *SEED_FILES)
    hunks = rerere_hunks(text)
    inputs = {str(p) for p in SEED_FILES}
    assert hunks and all(upper in inputs and lower in inputs for upper, _u, _l, lower in hunks)
    assert len(hunks) == data["output"]["conflict_blocks"] == text.count("\n<<<<<<< ")
    # conflicts with more inputs than two became several blocks, and the report says how
    wide = [c for c in data["conflicts"] if c["blocks"] and len(c["blocks"][0]["labels"]) > 2]
    assert wide
    report = (tmp_path / "m.report.md").read_text()
    assert "two-sided conflict blocks, one after the other" in report
    lines = text.split("\n")
    for c in wide:
        block = c["blocks"][0]
        assert lines[block["line"] - 1] == f"<<<<<<< {block['labels'][0]}"
        assert lines[block["end_line"] - 1] == f">>>>>>> {block['labels'][-1]}"
        assert sum(1 for line in lines[block["line"] - 1:block["end_line"]] if line == SEP) == len(block["labels"]) - 1
        for side in c["sides"]:  # each side stands where the report says
            assert lines[side["output_line"] - 1] == side["text"].split("\n")[0]
    # the upper side of every later block is empty: the first input's side is in the block before
    assert any(upper == "" for _l, upper, _lo, _r in hunks)
    for before, hunk in zip(hunks, hunks[1:]):
        if hunk[1] == "":
            assert hunk[0] == before[0]


def test_one_input_blocks_are_two_sided_and_labelled_by_line(tmp_path):
    from agentmerge import MergeOptions, merge
    from agentmerge.read import parse_agent

    text = "- timeout 30\n- prefer timeout 15\n- never prefer timeout 15\n"
    result = merge([parse_agent(text, "a.md")], MergeOptions(on_conflict="mark"))
    assert rerere_hunks(result.text) == [("a.md:1", "- timeout 30", "- prefer timeout 15", "a.md:2"),
                                         ("a.md:1", "", "- never prefer timeout 15", "a.md:3")]


def test_git_diff_check_and_git_rerere_accept_the_blocks(cli, tmp_path):
    text, data = _merge(cli, tmp_path, PERFORMANCE, DATA, FASTAPI)
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args, ok=True):
        proc = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main",
                               *args], cwd=repo, capture_output=True, text=True)
        assert not ok or proc.returncode == 0, proc.stderr
        return proc

    git("init", "-q")
    (repo / "agent.md").write_text("- timeout\n")
    git("add", "agent.md")
    git("commit", "-qm", "base")
    git("checkout", "-qb", "other")
    (repo / "agent.md").write_text("- timeout 15\n")
    git("commit", "-qam", "other")
    git("checkout", "-q", "main")
    (repo / "agent.md").write_text("- timeout 30\n")
    git("commit", "-qam", "main")
    git("merge", "-q", "other", ok=False)  # a real conflict: rerere is asked about this path
    (repo / "agent.md").write_text(text)
    check = git("diff", "--check", ok=False)
    leftovers = [line for line in check.stdout.split("\n") if "leftover conflict marker" in line]
    assert len(leftovers) == 3 * data["output"]["conflict_blocks"], check.stdout
    proc = git("-c", "rerere.enabled=true", "rerere", ok=False)
    assert "could not parse" not in proc.stderr, proc.stderr
    assert list((repo / ".git" / "rr-cache").glob("*/preimage"))  # rerere recorded the hunks
    status = git("-c", "rerere.enabled=true", "rerere", "status").stdout
    assert "agent.md" in status


def test_an_input_with_markers_warns_and_keeps_each_block_whole(cli, tmp_path):
    block = _git_merge_file(tmp_path)
    (tmp_path / "half.md").write_text("# Rules\n\n" + block + "\nAlways log.\n")
    proc = cli("half.md", FASTAPI, "-o", "m.md", "--report", "m.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "half.md:4: 1 unresolved conflict block(s)" in proc.stderr  # the first line is "- keep a"
    merged = (tmp_path / "m.md").read_text()
    lines = block.split("\n")
    whole = "\n".join(lines[1:6])  # <<<<<<< a.md ... >>>>>>> b.md, as git wrote it
    assert whole.startswith("<<<<<<< a.md") and whole.endswith(">>>>>>> b.md")
    assert whole in merged
    assert rerere_hunks(merged) == rerere_hunks(block)
    data = json.loads((tmp_path / "m.json").read_text())
    assert data["inputs"][0]["conflict_blocks"] == 1


def test_agentmerge_check_flags_files_with_markers(cli, tmp_path):
    library = tmp_path / "agents"
    library.mkdir()
    shutil.copy(FASTAPI, library / "fastapi.md")
    proc = cli("check", library, "--baseline", tmp_path / "base.json", "--update-baseline", "-q")
    assert proc.returncode == 0, proc.stderr
    text = PERFORMANCE.read_text()
    # an example in a code fence is not a conflict
    (library / "git.md").write_text(text + "\n```\n<<<<<<< HEAD\nx\n=======\ny\n>>>>>>> b\n```\n")
    proc = cli("check", library, "--baseline", tmp_path / "base.json", "-q")
    assert "unresolved conflict markers" not in proc.stdout
    (library / "git.md").write_text(text + "\n" + _git_merge_file(tmp_path))
    proc = cli("check", library, "--baseline", tmp_path / "base.json", "-q")
    assert proc.returncode == 1
    assert re.search(r"unresolved conflict markers: git\.md:\d+", proc.stdout)
    assert "file(s) with unresolved conflict markers" in proc.stderr


@pytest.mark.parametrize("again", ["alone", "with a seed"])
def test_merging_mark_output_again_keeps_its_blocks(cli, tmp_path, again):
    text, data = _merge(cli, tmp_path, *SEED_FILES)
    before = rerere_hunks(text)
    extra = [] if again == "alone" else [DATA]
    second, data2 = _merge(cli, tmp_path, "m.md", *extra, name="again")
    after = rerere_hunks(second)  # parses: no nesting, no second =======
    assert after == before
    for block in markers.blocks(text):
        chunk = "\n".join(text.split("\n")[block["start"]:block["end"]])
        assert chunk in second
    assert data2["output"]["conflict_blocks"] == data["output"]["conflict_blocks"]


def test_keep_all_labels_are_never_labelled_again(cli, tmp_path):
    text, data = _merge(cli, tmp_path, *SEED_FILES, mode="keep-all")
    labels = text.count("<!-- agentmerge conflict")
    assert labels
    lines = text.split("\n")
    for c in data["conflicts"]:  # each side stands where the report says, its label beside or above it
        for side in c["sides"]:
            if side.get("units"):
                # the list it joined may have restyled its marker
                assert plain(lines[side["output_line"] - 1]) == plain(side["text"].split("\n")[0])
    second, _ = _merge(cli, tmp_path, "m.md", mode="keep-all", name="again")
    assert not any(line.count("<!-- agentmerge conflict") > 1 for line in second.split("\n"))
    assert not re.search(r"<!-- agentmerge conflict [^\n]*-->\n<!-- agentmerge conflict", second)
    assert second.count("<!-- agentmerge conflict") <= labels + len(data["conflicts"])

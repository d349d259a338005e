"""Bad input, through the command line as a user meets it: each case works (with a warning where something
was odd) or ends in one line `agentmerge: error: ...` naming the file, with exit code 2. Never a traceback,
never a hang, never a partial or overwritten file."""

from __future__ import annotations

import errno
import json
import os
import random
import re

import pytest

from agentmerge import AgentmergeError, read_agents
from agentmerge import write as write_module
from agentmerge.read import read_bytes
from agentmerge.write import atomic_write

from .conftest import FASTAPI, PERFORMANCE, load_script, run_cli

AGENT = "---\nname: tidy\ndescription: Keeps things tidy.\n---\n\n# Rules\n\n- Keep functions small.\n- Name things well.\n"


def one_error(proc, *needles: str) -> str:
    """The single stderr line of a refused run, after checking exit code 2 and that no traceback leaked."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().split("\n")
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("agentmerge: error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def works(proc, *warnings: str) -> list[str]:
    """A run that worked: exit 0, no traceback, and the expected warnings (one line each)."""
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "error" not in proc.stderr
    said = [line for line in proc.stderr.split("\n") if line.startswith("agentmerge: warning: ")]
    for needle in warnings:
        assert any(needle in line for line in said), (needle, proc.stderr)
    return said


def merge_one(tmp_path, name: str, data: bytes | str, *extra: str):
    """Write `data` to `name`, deduplicate it with the CLI into out.md (+ report.json)."""
    src = tmp_path / name
    src.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    proc = run_cli(src.name, "-o", "out.md", "--report", "report.json", *extra, cwd=tmp_path)
    return src, proc


def nothing_written(tmp_path) -> bool:
    return not (tmp_path / "out.md").exists() and not (tmp_path / "report.json").exists() and not any(
        p.name.startswith(".agentmerge-") for p in tmp_path.iterdir())


# --- paths --------------------------------------------------------------------------------------------------


def test_missing_path(tmp_path):
    proc = run_cli("nope.md", "-o", "out.md", cwd=tmp_path)
    one_error(proc, "nope.md: no such file")
    assert nothing_written(tmp_path)


def test_a_directory(tmp_path):
    (tmp_path / "agents").mkdir()
    proc = run_cli("agents", "-o", "out.md", cwd=tmp_path)
    one_error(proc, "agents: is a directory")
    assert nothing_written(tmp_path)


def test_output_folder_missing(tmp_path):
    proc = run_cli(FASTAPI, "-o", "no/such/folder/out.md", cwd=tmp_path)
    one_error(proc, "no/such/folder/out.md", "does not exist")
    proc = run_cli(FASTAPI, "-o", "out.md", "--report", "gone/r.json", cwd=tmp_path)
    one_error(proc, "gone/r.json", "does not exist")
    assert nothing_written(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file: permission cannot be denied")
def test_unreadable_file(tmp_path):
    src = tmp_path / "secret.md"
    src.write_text(AGENT)
    src.chmod(0)
    try:
        proc = run_cli("secret.md", "-o", "out.md", cwd=tmp_path)
    finally:
        src.chmod(0o644)
    one_error(proc, "secret.md: permission denied")
    assert nothing_written(tmp_path)


def test_unreadable_file_in_process(tmp_path, monkeypatch):
    """The same path as above, reachable as root: the system refusing to open it is reported as permission
    denied."""
    src = tmp_path / "secret.md"
    src.write_text(AGENT)
    real_open = os.open

    def refusing_open(path, *args, **kwargs):
        if str(path) == str(src):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    with pytest.raises(AgentmergeError, match=r"secret\.md: permission denied"):
        read_bytes(str(src))


# --- contents -----------------------------------------------------------------------------------------------


def test_empty_file_works_with_a_warning(tmp_path):
    _, proc = merge_one(tmp_path, "empty.md", b"")
    works(proc, "empty.md: empty file")
    assert (tmp_path / "out.md").read_bytes() == b""


@pytest.mark.parametrize("data, where", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL byte at offset 8"),
    (AGENT.encode() + b"\x00trailing", f"NUL byte at offset {len(AGENT)}"),
    (bytes(random.Random(4).randrange(256) for _ in range(4096)) + b"\x00", "NUL byte"),
], ids=["png", "nul-in-text", "random"])
def test_binary_content_and_nul_bytes(tmp_path, data, where):
    _, proc = merge_one(tmp_path, "blob.md", data)
    one_error(proc, "blob.md: binary file", where)
    assert nothing_written(tmp_path)


def test_invalid_utf8_says_where_and_offers_encoding(tmp_path):
    data = AGENT.replace("Name things well.", "Name things w\xe9ll.").encode("latin-1")
    offset = data.index(b"\xe9")
    _, proc = merge_one(tmp_path, "latin.md", data)
    one_error(proc, f"latin.md:9: not valid utf-8 (byte 0xe9 at offset {offset})", "--encoding")
    assert nothing_written(tmp_path)
    proc = run_cli("latin.md", "-o", "out.md", "-q", "--encoding", "latin-1", cwd=tmp_path)
    works(proc)
    assert "Name things wéll." in (tmp_path / "out.md").read_text(encoding="utf-8")


def test_unknown_encoding(tmp_path):
    _, proc = merge_one(tmp_path, "a.md", AGENT, "--encoding", "klingon-8")
    one_error(proc, "--encoding klingon-8: unknown encoding")


def test_utf16_with_encoding_is_not_mistaken_for_binary(tmp_path):
    _, proc = merge_one(tmp_path, "wide.md", AGENT.encode("utf-16"), "--encoding", "utf-16")
    works(proc)
    assert (tmp_path / "out.md").read_text(encoding="utf-8").endswith("- Name things well.\n")


def test_utf8_bom(tmp_path):
    _, proc = merge_one(tmp_path, "bom.md", b"\xef\xbb\xbf" + AGENT.encode())
    works(proc)
    out = (tmp_path / "out.md").read_bytes()
    assert out.startswith(b"---\nname: tidy\n")  # the BOM did not hide the frontmatter, and is not written
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["inputs"][0]["frontmatter"] == {"present": True, "valid_yaml": True, "recovered": False}


def test_crlf_is_kept(tmp_path):
    _, proc = merge_one(tmp_path, "dos.md", AGENT.replace("\n", "\r\n"))
    works(proc)
    assert (tmp_path / "out.md").read_bytes() == AGENT.replace("\n", "\r\n").encode()


def test_mixed_newlines_work_with_a_warning(tmp_path):
    data = "---\r\nname: tidy\r\n---\r\n\r\n# Rules\r\n\r\n- Keep functions small.\n- Name things well.\r- Test.\r\n"
    _, proc = merge_one(tmp_path, "mixed.md", data)
    works(proc, "mixed.md: mixed line endings (7 CRLF, 1 LF, 1 CR)")
    out = (tmp_path / "out.md").read_bytes()
    assert b"- Keep functions small.\r\n- Name things well.\r\n- Test.\r\n" in out
    assert out.count(b"\n") == out.count(b"\r\n")


def test_frontmatter_opened_but_never_closed(tmp_path):
    _, proc = merge_one(tmp_path, "open.md", "---\nname: x\ndescription: y\n\n# Body\n\n- one\n")
    one_error(proc, "open.md:1: frontmatter opened with '---' is never closed")
    assert nothing_written(tmp_path)


def test_yaml_alias_bomb_is_refused(tmp_path):
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 13):  # 12 levels of 9 aliases: 108, and 9^13 leaves if expanded
        prev, cur = chr(96 + i), chr(97 + i)
        levels.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    _, proc = merge_one(tmp_path, "bomb.md", "---\n" + "\n".join(levels) + "\n---\n\nBody.\n")
    one_error(proc, "bomb.md:", "more than 100 YAML aliases")
    assert nothing_written(tmp_path)


def test_yaml_aliases_under_the_limit_are_never_expanded(tmp_path):
    # 2^60 leaves if walked; loading keeps shared references, and nothing walks a nested value
    levels = ["a: &a [x, x]"] + [f"k{i}: &k{i} [*{'a' if i == 0 else f'k{i - 1}'}, *{'a' if i == 0 else f'k{i - 1}'}]"
                                 for i in range(40)]
    _, proc = merge_one(tmp_path, "small-bomb.md", "---\nname: x\n" + "\n".join(levels) + "\n---\n\nBody.\n")
    works(proc)


def test_python_tags_are_never_executed(tmp_path):
    canary = tmp_path / "canary"
    data = (f"---\nname: !!python/object/apply:os.system ['touch {canary}']\n"
            f"model: !!python/object/new:os.system ['touch {canary}']\n---\n\nBody.\n")
    _, proc = merge_one(tmp_path, "tags.md", data)
    works(proc, "tags.md: frontmatter is not valid YAML")
    assert not canary.exists()
    assert "!!python/object/apply:os.system" in (tmp_path / "out.md").read_text()  # kept as text


@pytest.mark.parametrize("front, kind", [("- a\n- b", "list"), ("just a sentence", "str"),
                                         ("!!python/object/apply:os.system ['true']", "constructor")])
def test_frontmatter_that_is_a_list_or_a_scalar_is_kept_as_body(tmp_path, front, kind):
    data = f"---\n{front}\n---\n\n- Keep functions small.\n"
    _, proc = merge_one(tmp_path, "odd.md", data)
    works(proc, "odd.md:1: the block between the '---' lines is not frontmatter", kind)
    assert (tmp_path / "out.md").read_text() == data  # nothing of it is lost


def test_duplicate_keys_work_with_a_warning(tmp_path):
    _, proc = merge_one(tmp_path, "dup.md", "---\nname: first\nmodel: opus\nname: second\n---\n\nBody.\n")
    works(proc, "dup.md:4: frontmatter key 'name' repeats line 2; the last value is used")
    assert (tmp_path / "out.md").read_text().startswith("---\nname: second\nmodel: opus\n---\n")


def test_tabs_in_yaml_work_with_a_warning(tmp_path):
    data = "---\nname: tabby\ntools:\n\t- Read\n\t- Grep\n---\n\nBody.\n"
    _, proc = merge_one(tmp_path, "tabs.md", data)
    works(proc, "tabs.md: frontmatter is not valid YAML", "(line 4)")
    assert (tmp_path / "out.md").read_text().startswith("---\nname: tabby\ntools:\n- Read\n- Grep\n---\n")


@pytest.mark.parametrize("value", ["created: 2024-02-30", "flag: !!bool maybe", "when: !!timestamp soon",
                                   "ratio: .nan", "v: " + "[" * 30_000 + "]" * 30_000])
def test_yaml_values_that_break_loaders_work(tmp_path, value):
    _, proc = merge_one(tmp_path, "odd-yaml.md", f"---\nname: x\n{value}\n---\n\nBody.\n")
    works(proc)
    assert (tmp_path / "out.md").read_text().endswith("\nBody.\n")


def test_unclosed_code_fence(tmp_path):
    data = "# Rules\n\n- Keep functions small.\n\n```python\n# not a heading\n## nor this\n- nor an item\n"
    _, proc = merge_one(tmp_path, "fence.md", data)
    works(proc)
    assert (tmp_path / "out.md").read_text() == data
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["inputs"][0]["units"] == 2  # the item and the code block, which runs to the end


def test_raw_html_blocks(tmp_path):
    data = ("# Rules\n\n<details>\n<summary>More</summary>\n\n- inside html\n</details>\n\n"
            "<!-- a comment\nover lines -->\n\n<div>\n<p>text</p>\n</div>\n\n- Keep functions small.\n")
    _, proc = merge_one(tmp_path, "html.md", data)
    works(proc)
    assert (tmp_path / "out.md").read_text() == data


# --- size and depth ---------------------------------------------------------------------------------------------


def test_list_nested_1500_levels_deep(tmp_path):
    data = "# Deep\n\n" + "".join("  " * i + f"- level {i}\n" for i in range(1500))
    _, proc = merge_one(tmp_path, "deep.md", data)
    works(proc)
    assert (tmp_path / "out.md").read_text() == data


def test_quote_nested_1500_levels_deep(tmp_path):
    data = "# Deep\n\n" + "".join(">" * i + f" level {i}\n" for i in range(1, 1501))
    _, proc = merge_one(tmp_path, "deepq.md", data)
    works(proc)
    assert (tmp_path / "out.md").read_text() == data


def test_a_2mb_single_line(tmp_path):
    line = " ".join(f"word{i % 977}" for i in range(300_000))
    assert len(line) > 2_000_000
    data = "# Long\n\n" + line + "\n"
    _, proc = merge_one(tmp_path, "long.md", data)
    works(proc)
    assert (tmp_path / "out.md").read_text() == data


LARGE = load_script("bench/large_input.py")  # the generators shared with the benchmark


def _every_unit_accounted_for(tmp_path, units: int) -> dict:
    stats = json.loads((tmp_path / "report.json").read_text())["stats"]
    assert stats["input_units"] == units
    assert stats["output_units"] + stats["duplicates_dropped"] == units
    return stats


def test_a_60000_item_file(tmp_path):
    """Runs to the end (a subprocess time limit guards against hangs only; speed is measured in bench/)."""
    _, proc = merge_one(tmp_path, "huge.md", LARGE.checklist_60k())
    works(proc)
    _every_unit_accounted_for(tmp_path, 60_000)


def test_a_60000_near_identical_item_file(tmp_path):
    """`- item 1` ... `- item 60000`: every unit has the same single word, so no word index can split them.
    Runs to the end, and nothing collapses: the numbers differ."""
    data = LARGE.numbered_60k()
    _, proc = merge_one(tmp_path, "items.md", data)
    works(proc)
    assert _every_unit_accounted_for(tmp_path, 60_000)["duplicates_dropped"] == 0
    assert (tmp_path / "out.md").read_text() == data


def test_60000_identical_lines(tmp_path):
    """60,000 copies of one rule collapse into one (exact copies are grouped as a class, not pair by pair)."""
    _, proc = merge_one(tmp_path, "same.md", LARGE.identical_60k())
    works(proc)
    assert _every_unit_accounted_for(tmp_path, 60_000)["output_units"] == 1
    assert (tmp_path / "out.md").read_text() == "# Rules\n\n- same rule here\n"


# --- output safety ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["same", "dot-path", "symlink", "hardlink"])
@pytest.mark.parametrize("flag", ["-o", "--report"])
def test_output_or_report_naming_an_input_is_refused_before_anything_is_written(tmp_path, how, flag):
    a = tmp_path / "a.md"
    a.write_text(AGENT)
    target = {"same": "a.md", "dot-path": "./a.md", "symlink": "link.md", "hardlink": "hard.md"}[how]
    if how == "symlink":
        (tmp_path / "link.md").symlink_to(a)
    if how == "hardlink":
        os.link(a, tmp_path / "hard.md")
    before = a.read_bytes()
    args = ["-o", target] if flag == "-o" else ["-o", "out.md", "--report", target]
    proc = run_cli("a.md", str(PERFORMANCE), *args, cwd=tmp_path)
    one_error(proc, "never overwrites an input")
    assert a.read_bytes() == before
    assert not (tmp_path / "out.md").exists() and not (tmp_path / "out.report.md").exists()


def test_writing_through_a_symlink_keeps_the_link(tmp_path):
    (tmp_path / "real.md").write_text("old\n")
    (tmp_path / "link.md").symlink_to("real.md")
    proc = run_cli(FASTAPI, "-o", "link.md", "-q", cwd=tmp_path)
    works(proc)
    assert (tmp_path / "link.md").is_symlink()
    assert (tmp_path / "real.md").read_text().startswith("---\nname: database-engineer\n")


@pytest.mark.parametrize("fail_at", ["write", "fsync", "replace"])
def test_a_write_that_fails_midway_leaves_no_partial_file(tmp_path, monkeypatch, fail_at):
    out = tmp_path / "out.md"
    out.write_text("the old merged agent\n")
    full = errno.ENOSPC, "No space left on device"

    if fail_at == "write":
        real_fdopen = os.fdopen

        class HalfWriter:
            """Writes half of what it is given, then the disk is full."""

            def __init__(self, handle):
                self.handle = handle

            def write(self, data):
                self.handle.write(data[: len(data) // 2])
                self.handle.flush()
                raise OSError(*full)

            def __getattr__(self, name):
                return getattr(self.handle, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.handle.close()

        monkeypatch.setattr(write_module.os, "fdopen", lambda *a, **k: HalfWriter(real_fdopen(*a, **k)))
    elif fail_at == "fsync":
        monkeypatch.setattr(write_module.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(*full)))
    else:
        monkeypatch.setattr(write_module.os, "replace", lambda a, b: (_ for _ in ()).throw(OSError(*full)))

    with pytest.raises(AgentmergeError, match=r"out\.md: cannot write \(No space left on device\)"):
        atomic_write(str(out), "the new merged agent\n" * 1000)
    assert out.read_text() == "the old merged agent\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.md"]


def test_a_temporary_file_that_cannot_be_created_is_one_error(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(write_module.tempfile, "mkstemp", refuse)
    with pytest.raises(AgentmergeError, match=r"out\.md: cannot write \(Permission denied\)"):
        atomic_write(str(tmp_path / "out.md"), "x")
    assert list(tmp_path.iterdir()) == []


def test_same_bytes_whatever_pythonhashseed_on_odd_input(tmp_path):
    """Warnings, recovered frontmatter and mixed newlines do not make the output depend on hashing."""
    (tmp_path / "odd.md").write_bytes(b"\xef\xbb\xbf---\r\nname: x\r\ndescription: a: b\r\ntools: Read, Grep\r\n"
                                      b"---\r\n\r\n# R\r\n\r\n- one\n- two\r- one\r\n")
    outputs = []
    for seed in ("1", "2"):
        proc = run_cli("odd.md", FASTAPI, "-o", f"out{seed}.md", "--report", f"r{seed}.json", "-q", cwd=tmp_path,
                       env_extra={"PYTHONHASHSEED": seed})
        works(proc)
        report = (tmp_path / f"r{seed}.json").read_text().replace(f"out{seed}.md", "OUT")
        outputs.append(((tmp_path / f"out{seed}.md").read_bytes(), report))
    assert outputs[0] == outputs[1]


def test_reading_the_bad_inputs_in_process_never_raises_anything_else(tmp_path):
    """The library API too: every bad input above is an AgentmergeError or an agent, nothing else."""
    cases = {"empty.md": b"", "nul.md": b"a\x00b", "utf.md": b"\xff", "open.md": b"---\nx: 1\n",
             "list.md": b"---\n- a\n---\n", "deep.md": b"---\nv: " + b"[" * 30_000 + b"\n---\n"}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        try:
            read_agents([str(tmp_path / name)])
        except AgentmergeError as exc:
            assert re.match(rf"{re.escape(str(tmp_path / name))}(:\d+)?: ", str(exc)), str(exc)

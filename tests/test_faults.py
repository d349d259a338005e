"""Faults and hostile input, through the command line as a user meets them: real files, named pipes,
symlinks and hard links, names that are not UTF-8, a closed standard output, a full disk (a file size
limit), killed workers and real signals. Each case ends in a complete run, or in one line `agentmerge:
error: ...` with nothing half-done: no output lost or overwritten, no temporary file left, no hang."""

from __future__ import annotations

import codecs
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentmerge import merge, parse_agent
from agentmerge.report import to_json

from .conftest import DATA, FASTAPI, PERFORMANCE, SEED_FILES, load_script, run_cli
from .test_bad_input import AGENT, one_error, works

OTHER = "---\nname: other\nmodel: sonnet\ntools: Read, Grep\n---\n\n# Rules\n\n- Review every query plan.\n"


def run_raw(args, cwd, timeout=120, **kwargs):
    """`python -m agentmerge ARGS` with ARGS as given (bytes allowed: names that are not UTF-8)."""
    env = dict(os.environ)
    env.pop("AGENTMERGE_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "agentmerge", *args], cwd=cwd, env=env, capture_output=True,
                          timeout=timeout, **kwargs)


def no_temporaries(folder: Path) -> bool:
    return not any(p.name.startswith(".agentmerge-") for p in folder.iterdir())


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


# --- data loss -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["symlink", "hardlink", "dot-path"])
def test_a_report_naming_the_output_by_another_path_is_refused(tmp_path, how):
    out = tmp_path / "out.md"
    out.write_text("the old merged agent\n")
    name = {"symlink": "link.md", "hardlink": "hard.md", "dot-path": "./out.md"}[how]
    if how == "symlink":
        (tmp_path / "link.md").symlink_to("out.md")
    elif how == "hardlink":
        os.link(out, tmp_path / "hard.md")
    proc = run_cli(FASTAPI, PERFORMANCE, "-o", "out.md", "--report", name, cwd=tmp_path)
    one_error(proc, "different files")
    assert out.read_text() == "the old merged agent\n"


def test_a_report_through_a_symlink_to_an_output_not_yet_written_is_refused(tmp_path):
    (tmp_path / "link.md").symlink_to("out.md")  # dangling: out.md does not exist yet
    proc = run_cli(FASTAPI, "-o", "out.md", "--report", "link.md", cwd=tmp_path)
    one_error(proc, "different files")
    assert not (tmp_path / "out.md").exists()


def test_a_baseline_never_replaces_a_scanned_agent(tmp_path):
    agents = tmp_path / "lib" / "agents"
    agents.mkdir(parents=True)
    (agents / "x.md").write_text(AGENT)
    (agents / "y.md").write_text(AGENT)
    before = (agents / "x.md").read_bytes()
    proc = run_cli("check", "lib", "--baseline", "lib/agents/x.md", "--update-baseline", cwd=tmp_path)
    one_error(proc, "lib/agents/x.md", "is a scanned agent")
    assert (agents / "x.md").read_bytes() == before
    assert no_temporaries(agents)


@pytest.mark.parametrize("front", ["1: one\nname: keyed\n2024-01-01: newyear\n",
                                   "name: keyed\n1: one\n2024-01-01: newyear\n"], ids=["before", "after"])
def test_frontmatter_keys_that_are_not_text_are_kept(tmp_path, front):
    (tmp_path / "a.md").write_text(f"---\n{front}description: Keys.\n---\n\n- Keep it.\n")
    proc = run_cli("a.md", "-o", "out.md", "--report", "r.json", cwd=tmp_path)
    said = works(proc, "a.md:1: frontmatter key(s) 1, 2024-01-01 are not text")
    assert len(said) == 1
    out = (tmp_path / "out.md").read_text()
    assert "\nname: keyed\n" in out and "'1': one\n" in out and "'2024-01-01': newyear\n" in out


def test_every_description_is_in_the_output_or_the_report(tmp_path):
    """The other inputs' description prose (outside <example> blocks) is kept or listed with its reason."""
    from agentmerge.frontmatter import prose_of

    proc = run_cli(*SEED_FILES, "-o", "out.md", "--report", "r.json", cwd=tmp_path)
    works(proc)
    report = json.loads((tmp_path / "r.json").read_text())
    merged = parse_agent((tmp_path / "out.md").read_text(), "out.md").frontmatter.data["description"]
    listed = {d["path"]: d for d in report["frontmatter"]["descriptions_left_out"]}
    for path in SEED_FILES:
        own = parse_agent(path.read_text(), str(path)).frontmatter.data["description"]
        prose = prose_of(own)
        assert prose in prose_of(merged) or listed[str(path)]["text"] == prose, path.name
        if str(path) in listed:
            assert "merged description is" in listed[str(path)]["reason"]
    assert len(listed) == len(SEED_FILES) - 1


@pytest.mark.parametrize("order", [[FASTAPI, DATA, PERFORMANCE], [DATA, PERFORMANCE, FASTAPI],
                                   [PERFORMANCE, FASTAPI, DATA]], ids=["fastapi-first", "data-first", "performance-first"])
def test_a_side_still_in_the_output_is_not_reported_dropped(order):
    """What the report calls kept or dropped is what the output holds: a side any of whose units is in the
    output is kept (in_output), whatever the resolution of this one conflict chose."""
    result = merge([parse_agent(p.read_text(), p.name, index=i) for i, p in enumerate(order)])
    kept = set(result.kept)
    reported = {c["id"]: c for c in to_json(result)["conflicts"]}
    for c in result.conflicts:
        for i, side in enumerate(c.sides):
            if side.uids:
                assert (i in reported[c.id]["in_output"]) == any(u in kept for u in side.uids), (c.id, i)


def test_output_naming_a_folder_that_does_not_exist_is_refused(tmp_path):
    proc = run_cli(FASTAPI, "-o", "newdir/", cwd=tmp_path)
    one_error(proc, "newdir/", "names a folder")
    assert list(tmp_path.iterdir()) == []


# --- internal errors on the user's input -------------------------------------------------------------------------


def test_names_that_are_not_utf8_are_shown_escaped(tmp_path):
    bad = tmp_path.joinpath(os.fsdecode(b"bad\xff.md"))
    bad.write_text(AGENT)
    (tmp_path / "b.md").write_text(OTHER)
    proc = run_raw([b"bad\xff.md", b"b.md", b"-o", b"o\xff.md", b"--report", b"r.json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr
    assert b"o\\xff.md" in proc.stdout
    report = json.loads((tmp_path / "r.json").read_bytes().decode("utf-8"))
    assert report["inputs"][0]["path"] == "bad\\xff.md" and report["output"]["path"] == "o\\xff.md"
    assert tmp_path.joinpath(os.fsdecode(b"o\xff.md")).read_text().startswith("---\nname: tidy\n")
    # a name holding an encoded surrogate (not valid UTF-8 either)
    tmp_path.joinpath(os.fsdecode(b"sur\xed\xa0\x80.md")).write_text(AGENT)
    proc = run_raw([b"sur\xed\xa0\x80.md", b"-o", b"s.md", b"--report", b"s.json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "s.json").read_bytes())["inputs"][0]["path"] == "sur\\xed\\xa0\\x80.md"
    # an error naming such a file is one line too
    proc = run_raw([b"gone\xff.md", b"-o", b"x.md"], tmp_path)
    assert proc.returncode == 2 and proc.stderr == b"agentmerge: error: gone\\xff.md: no such file\n"


def test_scan_and_consolidate_show_names_that_are_not_utf8_escaped(tmp_path):
    agents = tmp_path / "lib" / "agents"
    agents.mkdir(parents=True)
    agents.joinpath(os.fsdecode(b"bad\xff.md")).write_text(AGENT)
    (agents / "copy.md").write_text(AGENT)
    proc = run_raw(["scan", "lib", "--json", "--report", "s.md", "--report", "s.json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout.decode("utf-8"))
    assert "agents/bad\\xff.md" in {m["path"] for c in data["clusters"] for m in c["members"]}
    assert "bad\\xff.md" in (tmp_path / "s.md").read_bytes().decode("utf-8")
    json.loads((tmp_path / "s.json").read_bytes().decode("utf-8"))
    proc = run_raw(["consolidate", "lib", "-o", "out", "-q"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            path.read_bytes().decode("utf-8")  # every file written is valid UTF-8


@pytest.mark.parametrize("front, expected", [
    ("name: x\nbig: 0x" + "f" * 4000, "big: '0xfff"),
    ('name: q\n"model": opus', "model: opus"),
    ("{name: a, model: opus}", "name: a"),
    ("name: m\n<<: {model: opus}", "model: opus"),
    ("name: e\n? model\n: opus", "model: opus"),
], ids=["4000-digit-hex", "quoted-key", "flow-mapping", "merge-key", "explicit-key"])
def test_yaml_the_reader_used_to_choke_on(tmp_path, front, expected):
    (tmp_path / "a.md").write_text(f"---\n{front}\n---\n\n- Keep it.\n")
    (tmp_path / "b.md").write_text("---\nname: s\nmodel: sonnet\n---\n\n- Review it.\n")
    proc = run_cli("a.md", "b.md", "-o", "out.md", "--report", "r.json", cwd=tmp_path)
    works(proc)
    assert expected in (tmp_path / "out.md").read_text()
    report = json.loads((tmp_path / "r.json").read_text())
    if "model" in front:  # opus against sonnet: a recorded conflict, the first input's value kept
        assert any(c["topic"] == "model" for c in report["conflicts"])


@pytest.mark.parametrize("command", [["a.md", "-o", "-"], ["scan", ".", "--json"]], ids=["merge", "scan"])
def test_a_closed_standard_output_is_one_error(tmp_path, command):
    (tmp_path / "a.md").write_text(AGENT)
    script = " ".join(["exec", sys.executable, "-m", "agentmerge", *command, ">&-"])
    proc = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    one_error(proc, "standard output is closed")


@pytest.mark.parametrize("tools, odd", [
    ("[Read, 1, null, true, {a: b}, [x]]", "1, null, true, {a: b}, [x]"),
    ("42", "42"),
    ("{Read: true}", "{Read: true}"),
], ids=["mixed-list", "number", "mapping"])
def test_tools_that_are_not_names_are_never_made_tool_names(tmp_path, tools, odd):
    (tmp_path / "a.md").write_text(f"---\nname: t\ntools: {tools}\n---\n\n- Keep it.\n")
    (tmp_path / "b.md").write_text(OTHER)
    proc = run_cli("a.md", "b.md", "-o", "out.md", "--report", "r.json", cwd=tmp_path)
    said = works(proc, f"a.md:3: tools: not tool names: {odd}")
    assert len(said) == 1
    merged = parse_agent((tmp_path / "out.md").read_text(), "out.md").frontmatter.data["tools"]
    assert [t.strip() for t in merged.split(",")] == ["Read", "Grep"]
    notes = json.loads((tmp_path / "r.json").read_text())["frontmatter"]["notes"]
    assert any(odd in n for n in notes)
    # alone, the field is kept as written: nothing understood is never read as "no tools"
    proc = run_cli("a.md", "-o", "alone.md", cwd=tmp_path)
    works(proc)
    assert "\ntools: " in (tmp_path / "alone.md").read_text()


# --- hangs and unbounded memory -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["input", "output", "axes", "baseline"])
def test_a_named_pipe_nobody_uses_is_refused_not_waited_on(tmp_path, role):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "a.md").write_text(AGENT)
    args = {"input": ["pipe", "-o", "out.md"], "output": ["a.md", "-o", "pipe", "--report", "r.json"],
            "axes": ["a.md", "-o", "out.md", "--axes", "pipe"],
            "baseline": ["check", ".", "--baseline", "pipe"]}[role]
    proc = run_cli(*args, cwd=tmp_path)  # a hang ends in the subprocess time limit, failing the test
    message = one_error(proc, "pipe")
    assert "named pipe" in message
    assert not (tmp_path / "out.md").exists() and not (tmp_path / "r.json").exists() and no_temporaries(tmp_path)


def test_a_named_pipe_someone_reads_gets_the_merged_agent(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    reader = subprocess.Popen(["cat", str(tmp_path / "pipe")], stdout=subprocess.PIPE)
    proc = run_cli(FASTAPI, "-o", "pipe", "--report", "r.json", cwd=tmp_path)
    works(proc)
    assert reader.communicate(timeout=60)[0].startswith(b"---\nname: database-engineer\n")


def test_knowledge_alias_bomb_is_refused(tmp_path):
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        levels.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 9) + "]")
    (tmp_path / "bomb.yaml").write_text("topics:\n" + "\n".join("  " + line for line in levels) + "\n")
    (tmp_path / "a.md").write_text(AGENT)
    proc = run_cli("a.md", "-o", "out.md", "--axes", "bomb.yaml", cwd=tmp_path)
    one_error(proc, "bomb.yaml", "aliases")
    assert not (tmp_path / "out.md").exists()


def _limited_memory():
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GB: /dev/zero read whole would need more


@pytest.mark.parametrize("args", [["a.md", "-o", "out.md", "--axes", "/dev/zero"],
                                  ["check", ".", "--baseline", "/dev/zero"],
                                  ["/dev/zero", "-o", "out.md"]], ids=["axes", "baseline", "input"])
def test_endless_files_are_refused_unread(tmp_path, args):
    (tmp_path / "a.md").write_text(AGENT)
    proc = subprocess.run([sys.executable, "-m", "agentmerge", *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, preexec_fn=_limited_memory)
    one_error(proc, "/dev/zero", "character device")


def _signals_as_usual():
    """A child started from a shell's background job (or `nohup`) inherits ignored SIGINT or SIGHUP, which
    agentmerge rightly leaves ignored: the tests start theirs with every signal at its default."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def _library(folder: Path, agents: int) -> None:
    load_script("bench/synth.py").generate(folder, agents=agents, seed=5, exact_rate=0.1, near_rate=0.15)


def _start_scan(tmp_path: Path, agents: int = 1500):
    _library(tmp_path / "lib", agents)
    proc = subprocess.Popen([sys.executable, "-m", "agentmerge", "scan", "lib", "-j", "2", "-q", "--json"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_signals_as_usual)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(children(proc.pid)) < 2:
        time.sleep(0.02)
    workers = children(proc.pid)
    assert len(workers) == 2, "the scan did not start its workers"
    return proc, workers


def test_a_killed_scan_worker_ends_the_scan_with_one_error(tmp_path):
    proc, workers = _start_scan(tmp_path)
    os.kill(workers[0], signal.SIGKILL)  # as the OOM killer would
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 2, err
    assert err.startswith("agentmerge: error: a scan worker process died") and err.count("\n") == 1, err
    time.sleep(0.2)
    assert not any(alive(w) for w in workers)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_into_a_scan_ends_it_in_one_line(tmp_path, signum):
    proc, workers = _start_scan(tmp_path)
    time.sleep(0.3)
    proc.send_signal(signum)
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signum, err
    assert err == f"agentmerge: error: interrupted by {signal.Signals(signum).name}\n"
    time.sleep(0.2)
    assert not any(alive(w) for w in workers)


def test_headings_take_work_in_proportion_to_their_number():
    """The merge's own steps (pipeline.py) do work in proportion to the headings, not to their square:
    counted as the lines they execute, which do not depend on the machine's speed."""
    import agentmerge.pipeline as pipeline

    large = load_script("bench/large_input.py")
    target = pipeline.__file__

    def lines_run(n: int) -> int:
        agent = parse_agent(large.headings(n), "h.md")
        count = 0

        def local(frame, event, arg):
            nonlocal count
            if event == "line":
                count += 1
            return local

        def global_trace(frame, event, arg):
            return local if frame.f_code.co_filename == target else None

        sys.settrace(global_trace)
        try:
            merge([agent])
        finally:
            sys.settrace(None)
        return count

    small, large_count = lines_run(500), lines_run(2000)
    assert large_count < 4.8 * small, (small, large_count)  # 4x the headings: 4x the work, not 16x


# --- signals ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_into_a_long_merge_ends_it_in_one_line(tmp_path, signum):
    (tmp_path / "h.md").write_text(load_script("bench/large_input.py").headings(50_000))
    (tmp_path / "out.md").write_text("the old merged agent\n")
    proc = subprocess.Popen([sys.executable, "-m", "agentmerge", "h.md", "-o", "out.md", "-q"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=_signals_as_usual)
    time.sleep(2)
    assert proc.poll() is None, "the merge ended before the signal"
    proc.send_signal(signum)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signum
    assert err == f"agentmerge: error: interrupted by {signal.Signals(signum).name}\n"
    assert (tmp_path / "out.md").read_text() == "the old merged agent\n"
    assert no_temporaries(tmp_path)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
@pytest.mark.parametrize("during", ["fsync", "replace"])
def test_a_signal_while_outputs_are_written_leaves_old_outputs_and_no_temporary(tmp_path, monkeypatch, signum,
                                                                                 during):
    """A real signal, delivered while the temporary files are flushed (or renamed): every temporary file is
    removed and the old outputs stay as they were, or (held back during the renames) every new output is in
    place; never some of each."""
    from agentmerge import signals
    from agentmerge import write as write_module

    outputs = [tmp_path / "out.md", tmp_path / "out.report.md"]
    for path in outputs:
        path.write_text("old\n")
    real = getattr(write_module.os, during)

    def signalled(*args):
        os.kill(os.getpid(), signum)
        return real(*args)

    saved = {s: signal.getsignal(s) for s in signals.SIGNALS}
    signals.install()
    try:
        monkeypatch.setattr(write_module.os, during, signalled)
        with pytest.raises(signals.Interrupted) as caught:
            write_module.write_all([(str(p), "new\n") for p in outputs])
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
    assert caught.value.exit_code == 128 + signum
    contents = {p.read_text() for p in outputs}
    assert contents == ({"old\n"} if during == "fsync" else {"new\n"})
    assert no_temporaries(tmp_path)


# --- one run, one outcome -----------------------------------------------------------------------------------------


def test_a_report_that_does_not_fit_on_the_disk_leaves_every_old_output(tmp_path):
    """The disk fills up while the report is written (a file size limit stands in for a full disk): the
    new merged agent, already complete in its temporary file, does not replace the old one either."""
    old = {"out.md": "the old merged agent\n", "out.json": "{}\n"}
    for name, text in old.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "a.md").write_text(AGENT)
    (tmp_path / "b.md").write_text(OTHER)
    merged = run_cli("a.md", "b.md", "-o", "-", "-q", cwd=tmp_path).stdout.encode()
    limit = len(merged) + 1000  # the merged agent fits, its JSON report does not

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run([sys.executable, "-m", "agentmerge", "a.md", "b.md", "-o", "out.md",
                           "--report", "out.json", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          preexec_fn=small_disk)
    one_error(proc, "out.json: cannot write")
    assert {name: (tmp_path / name).read_text() for name in old} == old
    assert no_temporaries(tmp_path)


@pytest.mark.parametrize("data", [AGENT.encode("utf-16"), AGENT.encode("utf-32"),
                                  codecs.BOM_UTF16_BE + AGENT.encode("utf-16-be")], ids=["utf-16", "utf-32", "utf-16-be"])
def test_utf16_and_utf32_with_a_byte_order_mark_need_no_encoding(tmp_path, data):
    (tmp_path / "wide.md").write_bytes(data)
    proc = run_cli("wide.md", "-o", "out.md", cwd=tmp_path)
    works(proc)
    assert (tmp_path / "out.md").read_text(encoding="utf-8") == AGENT


def test_utf16_without_a_byte_order_mark_is_refused_with_the_way_to_read_it(tmp_path):
    (tmp_path / "wide.md").write_bytes(AGENT.encode("utf-16-le"))
    proc = run_cli("wide.md", "-o", "out.md", cwd=tmp_path)
    one_error(proc, "wide.md: binary file", "--encoding utf-16-le")
    proc = run_cli("wide.md", "-o", "out.md", "--encoding", "utf-16-le", cwd=tmp_path)
    works(proc)
    assert (tmp_path / "out.md").read_text() == AGENT


def test_an_input_that_is_not_the_encoding_given_is_refused(tmp_path):
    """With --encoding utf-16, a UTF-8 input (no byte-order mark, no NUL byte) would decode as nonsense."""
    (tmp_path / "wide.md").write_bytes(AGENT.encode("utf-16"))
    (tmp_path / "plain.md").write_text(OTHER)
    proc = run_cli("wide.md", "plain.md", "-o", "out.md", "--encoding", "utf-16", cwd=tmp_path)
    one_error(proc, "plain.md: not utf-16 text", "probably UTF-8")
    assert not (tmp_path / "out.md").exists()
    # a UTF-8 file with a byte-order mark says what it is, whatever --encoding says
    (tmp_path / "plain.md").write_bytes(b"\xef\xbb\xbf" + OTHER.encode())
    proc = run_cli("wide.md", "plain.md", "-o", "out.md", "--encoding", "utf-16", cwd=tmp_path)
    works(proc)
    assert "- Review every query plan." in (tmp_path / "out.md").read_text()

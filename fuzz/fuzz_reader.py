"""Fuzz target for the reader and the splitter: bytes -> text -> frontmatter + sections + units.

With atheris installed (`pip install atheris`), run it as a coverage-guided fuzzer:

    python fuzz/fuzz_reader.py -max_total_time=300 fuzz/corpus

`check(data)` is the target. It never raises for any input except through a broken invariant: the input
is either refused with an `AgentmergeError` (one line, naming the file) or read into an agent whose
blocks reassemble the body byte for byte, whose units are exactly the lines they claim to be, and whose
separators hold nothing but blank lines (so no text can hide where the merge would not carry it).
tests/test_fuzz.py runs the same target on a few hundred generated inputs.
"""

from __future__ import annotations

import sys

from agentmerge.model import AgentmergeError
from agentmerge.read import decode, parse_agent

PATH = "fuzz.md"


def check(data: bytes) -> None:
    """Read `data` as an agent file and check every invariant of the result."""
    try:
        text = decode(data, PATH)
        agent = parse_agent(text, PATH)
    except AgentmergeError as exc:
        message = str(exc)
        assert message.strip(), "an error without a message"
        assert PATH in message or message.startswith("--encoding"), message
        return
    again = parse_agent(text, PATH)
    assert again == agent, "reading the same text twice gave two results"
    check_agent(agent)


def check_agent(agent) -> None:
    lines = agent.text.split("\n")
    assert "\r" not in agent.text
    assert agent.newline in ("\n", "\r\n")
    body = lines[agent.body_line - 1 :]
    # The layout reassembles the body, byte for byte.
    rebuilt = agent.head + "".join(slot.sep + slot.text for slot in agent.layout) + agent.tail
    assert rebuilt == "\n".join(body), "layout does not reassemble the body"
    for slot in agent.layout:
        assert _blank(slot.sep), f"text hidden in a separator: {slot.sep!r}"
    assert _blank(agent.head) and _blank(agent.tail), "text outside every block"
    # Units are the lines they say they are, in order, without overlap, never blank.
    end = agent.body_line - 1
    for n, unit in enumerate(agent.units):
        assert unit.uid == agent.units[0].uid + n
        assert agent.body_line <= unit.line <= unit.end_line <= len(lines), (unit.line, unit.end_line)
        assert unit.line > end, "units overlap"
        end = unit.end_line
        assert unit.text == "\n".join(lines[unit.line - 1 : unit.end_line])
        assert not _blank(unit.text)
        assert 0 <= unit.section < len(agent.sections)
        assert unit.uid in agent.sections[unit.section].units
    unit_slots = [slot.ref for slot in agent.layout if slot.kind == "unit"]
    assert unit_slots == [u.uid for u in agent.units]
    # Sections form a tree over earlier sections.
    for section in agent.sections[1:]:
        assert section.parent is not None and 0 <= section.parent < section.index
        assert 1 <= section.level
    # Frontmatter fields point inside the frontmatter.
    fm = agent.frontmatter
    if fm is not None:
        assert agent.text.split("\n")[0].startswith("---")
        assert fm.start_line == 1 and fm.end_line == agent.body_line - 1
        for key, (first, last) in fm.lines.items():
            assert fm.start_line < first <= last < fm.end_line, (key, first, last)
        assert set(fm.data) <= set(fm.lines) or fm.valid_yaml


def _blank(text: str) -> bool:
    """Blank as Markdown means it: nothing but spaces, tabs and line breaks."""
    return not text.strip(" \t\n")


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris expects
    check(data)


def main() -> None:
    import atheris

    atheris.instrument_all()
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

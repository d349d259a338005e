"""The literal prefilters in front of the detectors' patterns: a text a pattern matches always holds one of
its prefilter's words, on every line of every fixture and labelled data file (a prefilter that misses a
match would silently drop a stance, a limit or a history mention)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentmerge.conflicts import align, scope

ROOT = Path(__file__).resolve().parent.parent


def _lines() -> list[str]:
    out = []
    for path in sorted([*ROOT.glob("fixtures/**/*.md"), *ROOT.glob("tests/data/**/*.yaml")]):
        out.extend(line.strip(" -*#>\t") for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return out


LINES = _lines()


@pytest.mark.parametrize("pattern, words, needs_no_digit", [
    (align.CAPABILITY, align._CAPABILITY_WORDS, False),
    (align.HISTORY, align._HISTORY_WORDS, True),
    (scope._ALONE, scope._ALONE_WORDS, False),
    (scope._YOU_ALONE, scope._YOU_ALONE_WORDS, False),
    (scope._LIMIT, scope._LIMIT_WORDS, False),
    (scope._HANDS_OFF, scope._HANDS_OFF_WORDS, False),
], ids=["capability", "history", "alone", "you-alone", "limit", "hands-off"])
def test_every_match_holds_a_prefilter_word(pattern, words, needs_no_digit):
    assert len(LINES) > 5000
    matched = [line for line in LINES if pattern.search(line) and not (needs_no_digit and any(c.isdigit() for c in line))]
    assert matched, "the corpus holds no match: the check would say nothing"
    missed = [line for line in matched if not align.may_hold(line, words)]
    assert missed == []

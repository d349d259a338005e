"""The merged agent is consistent: analysed again on its own, it holds no conflict between its own
statements except those the merge left open (`keep-all`, `mark`, or two sides of one input, which input
order never settles). Checked on the domain pairs under every strategy, and as a property over agents
assembled from contradicting and agreeing statements."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentmerge import merge_files
from agentmerge.model import MergeOptions
from agentmerge.normalize import plain

from .test_detectors import AGREEMENTS, CONFLICTS

PAIRS = Path(__file__).resolve().parent.parent / "fixtures" / "pairs"
DOMAINS = sorted(p.name for p in PAIRS.iterdir() if (p / "expected.yaml").exists())
STRATEGIES = ("prefer-first", "keep-all", "mark")


def _texts(conflict, units) -> list[set[str]]:
    return [{plain(units[u].text) for u in side.uids} for side in conflict.sides]


def _left_in(merged_path: Path) -> list:
    """Conflicts between the merged agent's own statements (its frontmatter is one input's: none there)."""
    alone = merge_files([str(merged_path)])
    return [(c, _texts(c, alone.units)) for c in alone.conflicts if c.kind not in ("frontmatter", "persona")]


def _open(result) -> list[set[str]]:
    """The unit texts of every conflict the merge left open."""
    return [set().union(*_texts(c, result.units)) for c in result.conflicts if c.resolution is None]


def _explained(sides: list[set[str]], open_texts: list[set[str]]) -> bool:
    """A conflict of the merged agent is one the merge left open when each of its sides is (or holds) a
    side of that open conflict."""
    def holds(side: set[str], texts: set[str]) -> bool:
        return any(s == t or t in s for s in side for t in texts)

    return any(all(holds(side, texts) for side in sides) for texts in open_texts)


def _check(paths: list[str], strategy: str, tmp_path: Path) -> None:
    result = merge_files(paths, MergeOptions(on_conflict=strategy))
    merged = tmp_path / f"merged-{strategy}.md"
    merged.write_text(result.text, encoding="utf-8")
    open_texts = _open(result)
    unexplained = [c.message for c, sides in _left_in(merged) if not _explained(sides, open_texts)]
    assert unexplained == []


# A `mark` block whose first side is one paragraph: the "=======" line after it makes that paragraph a
# setext heading when the merged file is read again, and a heading that takes a stance makes its whole
# section that side (pipeline._mark_text writes the block).
SETEXT_MARK = pytest.mark.xfail(strict=True, reason="a mark block's ======= line turns the paragraph above "
                                                    "it into a heading when the merged file is read again")
CASES = [pytest.param(d, s, marks=SETEXT_MARK) if (d, s) == ("data-pipelines", "mark") else (d, s)
         for d in DOMAINS for s in STRATEGIES]


@pytest.mark.parametrize("domain, strategy", CASES)
def test_merged_pairs_hold_no_conflict_the_merge_did_not_leave_open(domain, strategy, tmp_path):
    _check([str(PAIRS / domain / "a.md"), str(PAIRS / domain / "b.md")], strategy, tmp_path)


STATEMENTS = [s for _kind, a, b in CONFLICTS for s in (a, b) if not s.startswith("```")] + [
    s for a, b in AGREEMENTS for s in (a, b) if not s.startswith(("```", "Bad:"))]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=st.lists(st.sampled_from(STATEMENTS), min_size=1, max_size=8, unique=True),
       b=st.lists(st.sampled_from(STATEMENTS), min_size=1, max_size=8, unique=True),
       strategy=st.sampled_from(STRATEGIES))
def test_any_merge_of_contradicting_statements_is_consistent(a, b, strategy, tmp_path):
    pa, pb = tmp_path / "a.md", tmp_path / "b.md"
    pa.write_text("# A\n\n" + "\n".join(a) + "\n", encoding="utf-8")
    pb.write_text("# B\n\n" + "\n".join(b) + "\n", encoding="utf-8")
    _check([str(pa), str(pb)], strategy, tmp_path)

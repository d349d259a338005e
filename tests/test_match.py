"""Matching: the labelled pairs (same rule / look-alike but different) and the documented levels."""

from pathlib import Path

import pytest
import yaml

from agentmerge import parse_agent, read_agents
from agentmerge.match import DUPLICATE, NEGATED, NUMBERS, RELATED, match, relate, weights_of
from agentmerge.normalize import normalise

from .conftest import SEED_FILES

PAIRS = yaml.safe_load((Path(__file__).parent / "data" / "match_pairs.yaml").read_text(encoding="utf-8"))


def _unit(text):
    return parse_agent(text, "pair.md").units[0]


@pytest.fixture(scope="module")
def weights():
    """Word weights from a realistic run: the five seeds plus every labelled text."""
    norms = [normalise(u.text, u.kind) for a in read_agents([str(p) for p in SEED_FILES]) for u in a.units]
    norms += [normalise(_unit(p[k]).text, _unit(p[k]).kind) for p in PAIRS for k in "ab"]
    return weights_of([n for n in norms if not n.code])


def _relation(a, b, weights):
    ua, ub = _unit(a), _unit(b)
    return relate(normalise(ua.text, ua.kind), normalise(ub.text, ub.kind), weights)[0]


def test_labelled_pairs_precision_first(weights):
    """Collapsing two different rules loses guidance: no `different` pair may be called a duplicate.
    Recall is what precision leaves: paraphrases in other words stay apart (and cost only tokens)."""
    tp = fp = fn = 0
    wrong = []
    for p in PAIRS:
        predicted = _relation(p["a"], p["b"], weights) == DUPLICATE
        same = p["label"] == "same"
        tp += predicted and same
        fn += same and not predicted
        if predicted and not same:
            fp += 1
            wrong.append(p["where"] + ": " + p["a"][:60] + " ~ " + p["b"][:60])
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    assert wrong == [], f"different rules collapsed (precision {precision:.2f}): {wrong}"
    assert recall >= 0.14, f"recall fell to {recall:.2f}"
    assert len(PAIRS) >= 100


@pytest.mark.parametrize("a, b, expected", [
    # the issue's own examples
    ("- Identify and eliminate N+1 query problems using joinedload/selectinload",
     "- Avoid N+1 query problems with eager loading strategies", DUPLICATE),
    ("- Add indexes concurrently in production environments",
     "- Add indexes in separate migrations from schema changes", None),
    ("- Test migrations both upgrade and downgrade paths",
     "- Create idempotent Alembic migrations with both upgrade and downgrade paths", RELATED),
    # opposite polarity or different numbers: never duplicates, always conflict candidates
    ("- Always use soft deletes for user records", "- Never use soft deletes for user records", NEGATED),
    ("- Implement pagination for list endpoints (default limit: 50)",
     "- Implement pagination for list endpoints (default limit: 20)", NUMBERS),
    ("- Review the tests before the implementation", "- Review the implementation before the tests", NEGATED),
])
def test_documented_levels(a, b, expected, weights):
    assert _relation(a, b, weights) == expected


def test_code_blocks_collapse_only_when_nearly_identical(weights):
    a = "```python\nx = session.execute(select(User))\n```"
    b = "```python\nx  =  session.execute(select(User))\n```"
    c = "```python\nx = db.query(User).all()\n```"
    assert _relation(a, b, weights) == DUPLICATE
    assert _relation(a, c, weights) is None


def test_groups_keep_the_most_complete_variant():
    text = ("## A\n\n- Avoid N+1 query problems with eager loading strategies\n\n## B\n\n"
            "- Identify and eliminate N+1 query problems using joinedload/selectinload\n")
    agent = parse_agent(text, "a.md")
    m = match(agent.units)
    assert len(m.groups) == 1
    group = m.groups[0]
    assert agent.units[1].uid == group.kept  # the variant that names the loaders carries the other
    assert m.dropped == {agent.units[0].uid: agent.units[1].uid}


def test_seed_self_repetition_is_found():
    """db-engineer-performance.md says 'database-side aggregations instead of Python-side computation' twice."""
    agent = read_agents([str(p) for p in SEED_FILES if p.name == "db-engineer-performance.md"])[0]
    m = match(agent.units)
    by_line = {u.uid: u.line for u in agent.units}
    pairs = {(by_line[g.kept], by_line[d.uid]) for g in m.groups for d in g.members[1:]}
    assert (32, 23) in pairs


def test_big_inputs_use_blocking_and_find_the_same_duplicates():
    """Above the full-matrix limit, candidates come from a rare-word index; a unit whose words are all
    carried by another must still meet it."""
    from agentmerge import match as match_module

    lines = [f"- Rule {i}: keep widget{i} aligned with gadget{i} specs" for i in range(300)]
    lines.append("- Rule 7: keep widget7 aligned with gadget7 specs and document it")
    agent = parse_agent("\n".join(lines) + "\n", "big.md")
    full = match(agent.units)
    old = match_module.FULL_MATRIX_LIMIT
    match_module.FULL_MATRIX_LIMIT = 10
    try:
        blocked = match(agent.units)
    finally:
        match_module.FULL_MATRIX_LIMIT = old
    assert full.dropped == blocked.dropped
    assert len(full.dropped) == 1

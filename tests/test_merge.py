"""Merging: accounting, determinism, idempotence, order, frontmatter, on real seeds and small pairs."""

import itertools

import pytest
import yaml

from agentmerge import MergeOptions, merge, merge_files, parse_agent
from agentmerge.pipeline import AccountingError, check_accounting
from agentmerge.report import to_json

from .conftest import FASTAPI, PERFORMANCE, SEED_FILES


def _places(result):
    """Where each unit went: 'kept', 'duplicate' or 'conflict'."""
    kept = set(result.kept)
    dropped = {m.uid for g in result.groups if g.kind == "duplicate" for m in g.members if m.uid != g.kept}
    lost = {u for c in result.conflicts if c.resolution for i, s in enumerate(c.sides)
            if i not in c.resolution.kept for u in s.uids}
    return {uid: ("kept" if uid in kept else "duplicate" if uid in dropped else "conflict" if uid in lost else None)
            for uid in result.units}


@pytest.mark.parametrize("paths", [
    [FASTAPI, PERFORMANCE],
    SEED_FILES,
    [FASTAPI],
    [PERFORMANCE, FASTAPI],
], ids=["two", "five", "one", "two-reversed"])
def test_every_unit_is_accounted_for(paths):
    result = merge_files([str(p) for p in paths])
    places = _places(result)
    assert None not in places.values()
    assert len(result.kept) == len(set(result.kept))
    # the merged text really holds every kept unit's text (restyled markers aside)
    for uid in result.kept:
        first_words = result.units[uid].text.split("\n")[0].split(maxsplit=1)[-1][:40]
        assert first_words in result.text


def test_accounting_check_refuses_a_lost_unit():
    result = merge([parse_agent("- one\n- two\n", "a.md")])
    result.kept = result.kept[:1]
    with pytest.raises(AccountingError, match="a.md:2 is missing"):
        check_accounting(result, set())


def test_same_inputs_same_bytes():
    paths = [str(p) for p in SEED_FILES]
    first = merge_files(paths)
    second = merge_files(paths)
    assert first.text == second.text
    assert to_json(first) == to_json(second)


def test_merging_a_file_with_itself_changes_nothing_but_its_own_repeats():
    alone = merge_files([str(FASTAPI)])
    twice = merge_files([str(FASTAPI), str(FASTAPI)])
    assert twice.text == alone.text


def test_a_file_without_repeats_comes_back_unchanged():
    text = (SEED_FILES[0].parent / "db-engineer-seed-data.md").read_text(encoding="utf-8")
    result = merge([parse_agent(text, "a.md"), parse_agent(text, "b.md")])
    body = text.split("---\n", 2)[2]
    assert result.body == body


def test_merging_the_merged_file_again_adds_nothing():
    merged = merge_files([str(FASTAPI), str(PERFORMANCE)])
    again = merge([parse_agent(merged.text, "merged.md"), parse_agent(PERFORMANCE.read_text(), "p.md")])
    assert again.body == merged.body


def test_later_sections_follow_their_nearest_matched_section():
    a = "## Setup\n\n- Install with uv\n\n## Testing\n\n- Run pytest before pushing\n\n## Style\n\n- Format with ruff\n"
    b = ("## Testing\n\n- Run pytest before pushing\n- Add a regression test for every bug fix\n\n"
         "## Releases\n\n- Tag releases with semver\n")
    result = merge([parse_agent(a, "a.md"), parse_agent(b, "b.md")])
    assert result.body == (
        "## Setup\n\n- Install with uv\n\n## Testing\n\n- Run pytest before pushing\n"
        "- Add a regression test for every bug fix\n\n## Releases\n\n- Tag releases with semver\n\n"
        "## Style\n\n- Format with ruff\n")


def test_kept_variant_from_a_later_input_takes_the_earlier_slot_and_marker():
    a = "## Performance\n\n1. Avoid N+1 query problems with eager loading strategies\n2. Profile first\n"
    b = "## Performance\n\n- Identify and eliminate N+1 query problems using joinedload/selectinload\n"
    result = merge([parse_agent(a, "a.md"), parse_agent(b, "b.md")])
    assert result.body == ("## Performance\n\n1. Identify and eliminate N+1 query problems using "
                           "joinedload/selectinload\n2. Profile first\n")


def test_frontmatter_is_strict_yaml_that_round_trips_the_seed_descriptions():
    result = merge_files([str(p) for p in SEED_FILES])
    head = result.text.split("---\n")[1]
    data = yaml.safe_load(head)
    assert data == result.frontmatter
    first_description = SEED_FILES[0].read_text().split("\n")[2][len("description: "):]
    assert SEED_FILES[0].name == "db-data-engineer.md"
    assert data["description"].startswith(first_description)
    # scalar keys come from the first input that has them
    assert data["name"] == "db-data-engineer" and data["model"] == "opus" and data["color"] == "red"


def test_examples_from_other_inputs_are_added_up_to_the_cap():
    result = merge_files([str(p) for p in SEED_FILES], MergeOptions(max_examples=5))
    description = result.frontmatter["description"]
    assert description.count("<example>") == 5
    assert result.dropped_examples and all("<example>" in e["text"] for e in result.dropped_examples)


def test_tools_union_and_inherit_every_tool():
    a = parse_agent("---\nname: a\ntools: Read, Grep\n---\nBody A\n", "a.md")
    b = parse_agent("---\nname: a\ntools: Read, Bash\n---\nBody B\n", "b.md")
    c = parse_agent("---\nname: a\n---\nBody C\n", "c.md")
    assert merge([a, b]).frontmatter["tools"] == "Read, Grep, Bash"
    result = merge([a, b, c])
    assert "tools" not in result.frontmatter
    tools = [x for x in result.conflicts if x.topic == "tools"]
    assert tools and "every tool" in tools[0].message


def test_frontmatter_conflicts_prefer_first_or_preferred():
    a = parse_agent("---\nname: a\nmodel: sonnet\n---\nBody A\n", "a.md")
    b = parse_agent("---\nname: a\nmodel: opus\n---\nBody B\n", "b.md")
    result = merge([a, b])
    assert result.frontmatter["model"] == "sonnet"
    [conflict] = [c for c in result.conflicts if c.topic == "model"]
    assert conflict.kind == "frontmatter" and conflict.resolution.kept == (0,)
    preferred = merge([a, b], MergeOptions(prefer="b.md"))
    assert preferred.frontmatter["model"] == "opus"


def test_crlf_output_follows_the_first_input():
    a = parse_agent("---\r\nname: a\r\n---\r\n\r\n- one\r\n", "a.md")
    b = parse_agent("---\nname: a\n---\n\n- two\n", "b.md")
    text = merge([a, b]).text
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")


def test_input_order_changes_only_which_side_wins():
    """Matching does not depend on the order of the inputs: the same units carry the same others. (What
    the merge then drops may: a unit carried by the losing side of a conflict stays, and which side loses
    depends on the order.)"""
    from agentmerge.match import match
    from agentmerge.read import numbered, read_agents

    paths = [str(p) for p in SEED_FILES[:3]]
    found = set()
    for order in itertools.permutations(paths):
        units = [u for a in numbered(read_agents(list(order))) for u in a.units]
        where = {u.uid: (u.path, u.line) for u in units}
        m = match(units)
        found.add(frozenset(where[d] for d in m.dropped))
    assert len(found) == 1 and len(next(iter(found))) > 5


def test_a_related_unit_does_not_leave_the_list_its_lead_in_introduces():
    a = ("---\nname: a\n---\n\n## Checks\n\n- [ ] Redis operations have proper error handling\n"
         "- [ ] Docs are complete\n")
    b = ("---\nname: b\n---\n\n## Checks\n\nBefore shipping any database change, verify:\n"
         "- [ ] Queries are bounded\n- [ ] Error handling wraps all database operations\n- [ ] Indexes are reviewed\n")
    result = merge([parse_agent(a, "a.md"), parse_agent(b, "b.md", index=1)])
    assert [g.kind for g in result.groups] == ["related"]
    body = result.body
    lead = body.index("Before shipping any database change, verify:")
    # the lead-in still introduces its three items, in order, right after it
    assert body[lead:].split("\n")[1:4] == ["- [ ] Queries are bounded", "- [ ] Error handling wraps all database operations",
                                            "- [ ] Indexes are reviewed"]


def test_a_bullet_section_does_not_run_into_a_numbered_procedure_it_shares_a_step_with():
    a = ("---\nname: a\n---\n\n## Query review\n\nFor every query, verify:\n\n1. **Plans**: Is the plan read with EXPLAIN?\n"
         "2. **Join efficiency**: Are joins on indexed foreign keys?\n3. **Bounds**: Is every result set bounded?\n")
    b = ("---\nname: b\n---\n\n## Index strategy\n\n- Add indexes for foreign keys to optimize JOINs\n"
         "- Use partial indexes for filtered queries\n- Build indexes concurrently in production\n")
    body = merge([parse_agent(a, "a.md"), parse_agent(b, "b.md", index=1)]).body
    assert "## Index strategy" in body
    assert "\n- Use partial indexes for filtered queries\n" in body  # still a bullet of its own list
    assert "4. " not in body and "5. " not in body  # the procedure keeps its three steps

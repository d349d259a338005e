"""Property-based tests on generated agent documents.

The generator writes what real agent files contain: frontmatter (valid YAML, or the unquoted `description:`
that strict YAML rejects), nested headings (ATX and setext), bold pseudo-headings over a list, bullet and
ordered lists with nested items, checklists, code fences holding heading-like and item-like lines, tables,
quotes, HTML blocks and thematic breaks. Two kinds of text fill them:

- `wild`: agent vocabulary (always/never, numbers, databases, tests...) drawn from a small pool, so units
  repeat within and across files, near-duplicates and conflicts appear;
- `distinct`: made-up words plus a token of its own in every unit, so no two units of a document say the
  same thing (the documents of which `agentmerge a.md a.md` must give back the body unchanged).

The properties: nothing crashes; every unit of every input is accounted for (kept, a recorded duplicate,
or a recorded losing conflict side, exactly one of them, and a kept unit's text is in the output);
the same inputs give the same bytes (in this process and across PYTHONHASHSEED values); merging a file
with itself gives its body back; merging the merged file again with any of its inputs adds nothing; and
the report's shared, unique and conflicting units do not depend on input order.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentmerge import merge, parse_agent
from agentmerge.model import MergeOptions
from agentmerge.report import markdown, to_json

from .conftest import ROOT, SEED_FILES, SEEDS

ON_CONFLICT = ("prefer-first", "keep-all", "mark")

# The suite runs the same 60 examples of each property every time (a failure is a failure on every run, not
# a flake); `AGENTMERGE_PROPERTY_SEARCH=N pytest tests/test_properties.py` searches N fresh random examples
# of each instead, and prints what it finds.
_SEARCH = int(os.environ.get("AGENTMERGE_PROPERTY_SEARCH", "0") or 0)
PROPERTIES = settings(max_examples=_SEARCH or 60, deadline=None, derandomize=not _SEARCH, database=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- the generator ---------------------------------------------------------------------------------------

WILD_WORDS = (
    "use always never don't avoid prefer must should the a database index indexes query queries cache "
    "timeout retry retries tests test write small functions commit review log logs errors eventual "
    "consistency locks transactions async await migrations schema api endpoint validate input output "
    "30 5 100 seconds minutes `session.commit()` **bold** _em_ N+1 JSONB Redis SQLAlchemy pytest: "
    "security secrets tokens rotate 15 days hours"
).split()
# Syllables that make words no knowledge-base topic, synonym or negation knows.
_SYLLABLES = "ba ke lu mo ri sa te vo zu fra gle plo dri quo snu tra ple bri"
NONSENSE_WORDS = tuple(sorted({a + b + c for a in _SYLLABLES.split()[:9]
                               for b in _SYLLABLES.split()[9:] for c in ("n", "l", "x", "m")}))


def _token(n: int) -> str:
    """A word of its own for unit n: letters only (the matcher reads [a-z0-9_] words), and different from
    every other token in most of its letters (code blocks differing in little more than their token would
    rightly count as the same block)."""
    digest = hashlib.sha256(str(n).encode()).digest()
    return "qz" + "".join(chr(97 + b % 26) for b in digest[:8])


@st.composite
def blocks(draw, words):
    """A document as a list of blocks: (kind, ...) tuples rendered by `render`."""
    sentence = st.lists(words, min_size=2, max_size=9).map(" ".join)
    short = st.lists(words, min_size=1, max_size=4).map(" ".join)
    item = st.tuples(sentence, st.lists(sentence, max_size=2))
    heading = st.tuples(st.just("heading"), st.integers(1, 4), short, st.booleans())
    paragraph = st.tuples(st.just("paragraph"), st.lists(sentence, min_size=1, max_size=3))
    listing = st.tuples(st.just("list"), st.sampled_from(["-", "*", "1.", "1)"]), st.booleans(),
                        st.lists(item, min_size=1, max_size=5))
    code_line = st.one_of(
        sentence.map(lambda s: "# " + s), sentence.map(lambda s: "## " + s), sentence.map(lambda s: "- " + s),
        st.just("---"), st.just("==="), sentence.map(lambda s: "x = '" + s + "'"), st.just(""))
    code = st.tuples(st.just("code"), st.sampled_from(["```", "~~~", "````"]),
                     st.sampled_from(["", "python", "sql", "bash"]), st.lists(code_line, min_size=1, max_size=6))
    table = st.tuples(st.just("table"), st.lists(short, min_size=2, max_size=3),
                      st.lists(st.lists(short, min_size=3, max_size=3), min_size=1, max_size=3))
    quote = st.tuples(st.just("quote"), sentence)
    html = st.tuples(st.just("html"), st.sampled_from(["div", "details", "!--"]), sentence)
    pseudo = st.tuples(st.just("pseudo"), short, st.booleans(), st.lists(item, min_size=1, max_size=4))
    rule = st.tuples(st.just("rule"), st.sampled_from(["---", "***", "___"]))
    kinds = st.one_of(heading, heading, paragraph, paragraph, listing, listing, code, table, quote, html, pseudo,
                      rule)
    return draw(st.lists(kinds, min_size=1, max_size=12))


@st.composite
def frontmatters(draw, words):
    if not draw(st.booleans()):
        return None
    name = "-".join(draw(st.lists(st.sampled_from(NONSENSE_WORDS), min_size=1, max_size=3)))
    description = " ".join(draw(st.lists(words, min_size=1, max_size=12)))
    style = draw(st.sampled_from(["plain", "colon", "quoted", "examples"]))
    if style == "colon":  # the unquoted `: ` strict YAML rejects and the lenient reader recovers
        description = "Use this agent when: " + description
    elif style == "examples":
        description = "Use it. Examples:\\n\\n<example>\\nuser: \"" + description + "\"\\n</example>"
    lines = [f"name: {name}"]
    if style == "quoted":
        lines.append("description: " + json.dumps(description))
    else:
        lines.append("description: " + description)
    tools = draw(st.lists(st.sampled_from(["Read", "Write", "Edit", "Bash", "Grep", "Glob"]), unique=True,
                          max_size=4))
    if tools:
        lines.append("tools: " + (", ".join(tools) if draw(st.booleans()) else "[" + ", ".join(tools) + "]"))
    lines.append("model: " + draw(st.sampled_from(["sonnet", "opus", "inherit"])))
    return lines


def render(front: list[str] | None, parts: list[tuple], distinct: bool, newline: str = "\n") -> str:
    """The document's text. With `distinct`, every unit gets a token of its own."""
    counter = iter(range(10_000))

    def own(text: str) -> str:
        return f"{_token(next(counter))} {text}" if distinct else text

    out: list[str] = []
    if front is None:  # a leading `---` would open frontmatter: the file would be another kind of file
        parts = parts[next((i for i, p in enumerate(parts) if p[0] != "rule"), len(parts)):]
    for part in parts:
        kind = part[0]
        if kind == "heading":
            _, level, title, setext = part
            if setext and level <= 2:
                out.append(f"{title}\n{'=' * max(3, len(title)) if level == 1 else '-' * max(3, len(title))}")
            else:
                out.append(f"{'#' * level} {title}")
        elif kind == "paragraph":
            out.append(own("\n".join(part[1])))
        elif kind in ("list", "pseudo"):
            if kind == "list":
                _, marker, checklist, items = part
                lead = ""
            else:
                _, title, checklist, items = part
                marker, lead = "-", f"**{title}:**\n"
            lines = []
            for k, (text, subitems) in enumerate(items):
                m = f"{k + 1}{marker[-1]}" if marker[0].isdigit() else marker
                box = "[ ] " if checklist else ""
                lines.append(f"{m} {box}{own(text)}")
                pad = " " * (len(m) + 1)
                lines.extend(f"{pad}- {sub}" for sub in subitems)
            out.append(lead + "\n".join(lines))
        elif kind == "code":
            _, fence, lang, lines = part
            tag = _token(next(counter)) if distinct else ""
            body = [f"{line} {tag}".strip() if line.strip() else line for line in lines]
            out.append(f"{fence}{lang}\n" + "\n".join(body) + f"\n{fence}")
        elif kind == "table":
            _, header, rows = part
            tag = _token(next(counter)) if distinct else ""
            cols = len(header)
            cells = [[f"{tag} {c}".strip() for c in header]] + [[f"{tag} {c}".strip() for c in row[:cols]]
                                                                for row in rows]
            lines = ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * cols]
            lines += ["| " + " | ".join(row) + " |" for row in cells[1:]]
            out.append("\n".join(lines))
        elif kind == "quote":
            out.append("> " + own(part[1]))
        elif kind == "html":
            _, tag, text = part
            text = own(text)
            out.append(f"<!-- {text} -->" if tag == "!--" else f"<{tag}>\n{text}\n</{tag}>")
        elif kind == "rule":
            out.append(part[1])
    text = "\n\n".join(out) + "\n"
    if front is not None:
        text = "---\n" + "\n".join(front) + "\n---\n\n" + text
    return text.replace("\n", newline) if newline != "\n" else text


@st.composite
def documents(draw, distinct: bool = False):
    words = st.sampled_from(NONSENSE_WORDS if distinct else WILD_WORDS)
    front = draw(frontmatters(words))
    parts = draw(blocks(words))
    newline = "\n" if distinct else draw(st.sampled_from(["\n", "\n", "\n", "\r\n"]))
    return render(front, parts, distinct, newline)


# --- helpers -----------------------------------------------------------------------------------------------


def agents_of(texts: list[str]) -> list:
    return [parse_agent(t, f"{chr(97 + i)}.md", index=i) for i, t in enumerate(texts)]


def body_of(agent) -> str:
    return "\n".join(agent.text.split("\n")[agent.body_line - 1 :])


_MARK = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")


_LABEL = re.compile(r" ?<!-- agentmerge conflict .*? -->\n?")  # keep-all's label on a kept side


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_accounted(result) -> None:
    """The contract's invariant, checked from the result rather than trusted: every unit of every input is
    in exactly one place, and what is said to be kept is in the merged text."""
    kept = list(result.kept)
    assert len(kept) == len(set(kept)), "a unit is written twice"
    kept_set = set(kept)
    duplicates = [g for g in result.groups if g.kind == "duplicate"]
    dropped = {m.uid for g in duplicates for m in g.members if m.uid != g.kept}
    losing = {u for c in result.conflicts if c.resolution is not None
              for i, side in enumerate(c.sides) if i not in c.resolution.kept for u in side.uids}
    for uid, unit in result.units.items():
        places = (uid in kept_set) + (uid in dropped) + (uid in losing and uid not in kept_set | dropped)
        assert places == 1, f"{unit.where} ({unit.text[:40]!r}) is in {places} places"
    for g in duplicates:
        assert g.kept in kept_set or g.kept in losing, f"duplicate group {g.id} lost its kept unit"
    out = _squash(_LABEL.sub("", result.text))
    for uid in kept:
        text = result.units[uid].text
        assert _squash(_MARK.sub("", text, count=1)) in out, f"kept unit not in the output: {text[:60]!r}"


def report_sets(result) -> dict:
    """What the report says, as sets of units named by (path, line): order-free, and free of which side won.

    A unit in a duplicate group stands for the whole group: which copy is kept (and so which copy stands
    as a conflict side) may follow input order."""
    data = to_json(result)
    unit = lambda m: (m["path"], m["line"])  # noqa: E731
    sides = {(s["path"], u["line"]) for c in data["conflicts"] for s in c["sides"] for u in s.get("units", [])}
    # What a conflict side carries as duplicates follows whether the side wins: kept on its own when the
    # side loses (the report says why), dropped beside it when it wins. Both are left out.
    freed = {unit(u) for u in data["unique"] if "carried_by" in u}
    every = [(frozenset(unit(m) for m in g["members"]), unit(g["kept"]) in sides)
             for g in data["shared"] if g["kind"] == "duplicate"]
    duplicates = {members for members, of_a_side in every if not of_a_side}
    group_of = {member: group for group in duplicates for member in group}
    # a conflict side stands for what it carries, dropped beside it (it won) or kept on its own (it lost)
    carried_by: dict = {}
    for members, of_a_side in every:
        if of_a_side:
            shared = set(members)
            for member in members:
                shared |= carried_by.get(member, set())
            for member in shared:
                carried_by[member] = shared
    side_units = [dict(u, path=s["path"]) for c in data["conflicts"] for s in c["sides"] for u in s.get("units", [])]
    for u in data["unique"] + side_units:
        if "carried_by" in u:
            both = carried_by.setdefault(unit(u["carried_by"]), {unit(u["carried_by"])})
            both.add(unit(u))
            carried_by[unit(u)] = both
    for member, members in carried_by.items():
        group_of[member] = frozenset(members)
    canon = lambda u: group_of.get(u, frozenset([u]))  # noqa: E731
    conflicts = set()
    in_conflict = set()
    for c in data["conflicts"]:
        sides = []
        for s in c["sides"]:
            units = [(s["path"], u["line"]) for u in s.get("units", [{"line": s["line"]}])]
            sides.append(frozenset(canon(u) for u in units))
            in_conflict.update(canon(u) for u in units)
        conflicts.add((c["kind"], frozenset(sides)))  # not the topic: a polarity topic quotes the first side
    related = {unit(m) for g in data["shared"] if g["kind"] == "related" for m in g["members"]}
    unique = {unit(u) for u in data["unique"]}
    # Units kept without a duplicate and outside every conflict. Whether such a unit is `unique` or in a
    # `related` group is left out: it follows which side of a conflict won, and which copy of a duplicate
    # was kept (related groups pair units of different inputs only).
    kept_alone = {u for u in unique | related if u not in group_of} - {u for g in in_conflict for u in g} - freed
    carried = {unit(m) for g in data["shared"] if g["kind"] == "duplicate" and unit(g["kept"]) in sides
               for m in g["members"]}
    kept_alone -= carried
    return {"duplicates": duplicates, "conflicts": conflicts, "kept_alone": kept_alone}


# --- properties -------------------------------------------------------------------------------------------


@PROPERTIES
@given(texts=st.lists(documents(), min_size=1, max_size=3), on_conflict=st.sampled_from(ON_CONFLICT))
def test_no_crash_and_every_unit_is_accounted_for(texts, on_conflict):
    result = merge(agents_of(texts), MergeOptions(on_conflict=on_conflict))
    assert_accounted(result)
    to_json(result), markdown(result)  # the reports render too


@PROPERTIES
@given(texts=st.lists(documents(), min_size=1, max_size=3), on_conflict=st.sampled_from(ON_CONFLICT))
def test_same_inputs_same_output(texts, on_conflict):
    options = MergeOptions(on_conflict=on_conflict)
    first = merge(agents_of(texts), options)
    second = merge(agents_of(texts), options)
    assert first.text == second.text
    assert to_json(first) == to_json(second)


@PROPERTIES
@given(text=documents(distinct=True))
def test_a_file_merged_with_itself_is_its_body_unchanged(text):
    a = agents_of([text])[0]
    assert merge([a]).body == body_of(a)
    twice = merge(agents_of([text, text]))
    assert twice.body == body_of(a)
    assert_accounted(twice)


@PROPERTIES
@given(text=documents())
def test_a_file_merged_with_itself_equals_its_dedup(text):
    once = merge(agents_of([text]))
    twice = merge(agents_of([text, text]))
    assert twice.text == once.text


DOCUMENTS = {"distinct": documents(distinct=True), "wild": documents()}


@pytest.mark.parametrize("kind", ["distinct", "wild"])
def test_merging_the_merged_file_again_adds_nothing(kind):
    @PROPERTIES
    @given(a=DOCUMENTS[kind], b=DOCUMENTS[kind])
    def prop(a, b):
        merged = merge(agents_of([a, b]))
        again = parse_agent(merged.text, "merged.md")
        for text in (a, b):
            other = parse_agent(text, "input.md", index=1)
            assert merge([again, other]).body == body_of(again)

    prop()


@pytest.mark.parametrize("kind", ["distinct", "wild"])
def test_report_sets_do_not_depend_on_input_order(kind):
    @PROPERTIES
    @given(a=DOCUMENTS[kind], b=DOCUMENTS[kind])
    def prop(a, b):
        ab = merge([parse_agent(a, "a.md", index=0), parse_agent(b, "b.md", index=1)])
        ba = merge([parse_agent(b, "b.md", index=0), parse_agent(a, "a.md", index=1)])
        assert report_sets(ab) == report_sets(ba)

    prop()


def test_a_checklist_item_stays_in_its_list_whichever_input_leads():
    """Found by a deeper search: the carrier of a checklist item had an exact copy in the item's own file.
    With the other input leading, the item was dropped into the other input's copy; with its own leading,
    it stayed (never dropped into its own file's guidance). It now stays either way."""
    a = "# use\n\nuse use use use use use prefer\n"
    b = "# use\n\nuse use use use use use prefer\n\n- [ ] use prefer\n"
    ab = merge([parse_agent(a, "a.md", index=0), parse_agent(b, "b.md", index=1)])
    ba = merge([parse_agent(b, "b.md", index=0), parse_agent(a, "a.md", index=1)])
    assert report_sets(ab) == report_sets(ba)
    assert "- [ ] use prefer" in ab.body and "- [ ] use prefer" in ba.body


# --- the same properties on the real seed agents -----------------------------------------------------------


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_seed_merged_with_itself_equals_its_dedup(path):
    text = path.read_text(encoding="utf-8")
    once = merge(agents_of([text]))
    twice = merge(agents_of([text, text]))
    assert twice.text == once.text
    assert_accounted(twice)


SEED_PAIRS = list(zip(SEED_FILES, SEED_FILES[1:] + SEED_FILES[:1]))


@pytest.mark.parametrize("first, second", SEED_PAIRS, ids=lambda p: p.stem)
def test_seeds_merged_again_with_an_input_add_nothing(first, second):
    texts = [first.read_text(encoding="utf-8"), second.read_text(encoding="utf-8")]
    merged = merge(agents_of(texts))
    assert_accounted(merged)
    again = parse_agent(merged.text, "merged.md")
    for text in texts:
        assert merge([again, parse_agent(text, "input.md", index=1)]).body == body_of(again)


@pytest.mark.parametrize("first, second", SEED_PAIRS, ids=lambda p: p.stem)
def test_seed_report_sets_do_not_depend_on_input_order(first, second):
    a, b = first.read_text(encoding="utf-8"), second.read_text(encoding="utf-8")
    ab = merge([parse_agent(a, "a.md", index=0), parse_agent(b, "b.md", index=1)])
    ba = merge([parse_agent(b, "b.md", index=0), parse_agent(a, "a.md", index=1)])
    assert report_sets(ab) == report_sets(ba)


# --- same bytes whatever PYTHONHASHSEED --------------------------------------------------------------------

_DIGESTS = r"""
import hashlib, itertools, json, sys
from agentmerge import merge, parse_agent
from agentmerge.model import MergeOptions
from agentmerge.report import json_text, markdown
texts = json.load(sys.stdin)
for on_conflict in ("prefer-first", "keep-all", "mark"):
    for combo in [(0,), (0, 1), (1, 0), (0, 1, 2), (2, 1, 0)]:
        agents = [parse_agent(texts[i], f"in{i}.md", index=n) for n, i in enumerate(combo)]
        result = merge(agents, MergeOptions(on_conflict=on_conflict))
        blob = (result.text + json_text(result) + markdown(result)).encode()
        print(on_conflict, combo, hashlib.sha256(blob).hexdigest())
"""


def _digests(texts: list[str], seed: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    proc = subprocess.run([sys.executable, "-c", _DIGESTS], input=json.dumps(texts), capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(texts=st.lists(documents(), min_size=3, max_size=3))
def test_same_bytes_whatever_pythonhashseed(texts):
    assert _digests(texts, "1") == _digests(texts, "2")


def test_seed_merges_same_bytes_whatever_pythonhashseed():
    texts = [p.read_text(encoding="utf-8") for p in SEED_FILES[:3]]
    assert _digests(texts, "0") == _digests(texts, "12345")


# --- the minimal cases the properties found, kept as regression tests ---------------------------------------


def test_regression_a_checkbox_copy_does_not_keep_both():
    text = "# Testing\n\n- Write tests first.\n\n- [ ] Write tests first.\n"
    assert merge(agents_of([text, text])).text == merge(agents_of([text])).text


def test_regression_exact_copies_group_whatever_the_order():
    a, b = "use use\n", "# use\n\n- use use\n- use use\n"
    ab = merge([parse_agent(a, "a.md", index=0), parse_agent(b, "b.md", index=1)])
    ba = merge([parse_agent(b, "b.md", index=0), parse_agent(a, "a.md", index=1)])
    assert report_sets(ab) == report_sets(ba)


def test_regression_a_number_is_not_dropped_as_a_duplicate():
    a, b = "- Timeout: 30 seconds\n", "- Always use an appropriate timeout in seconds\n"
    for order in ([a, b], [b, a]):
        assert "30" in merge(agents_of(order)).text


def test_regression_python_and_python_3_12_relate_whatever_the_order():
    a, b = "- Use Python\n", "- Use Python 3.12\n"
    ab = merge([parse_agent(a, "a.md", index=0), parse_agent(b, "b.md", index=1)])
    ba = merge([parse_agent(b, "b.md", index=0), parse_agent(a, "a.md", index=1)])
    assert report_sets(ab) == report_sets(ba)


def test_regression_mark_keeps_every_side_of_overlapping_conflicts():
    texts = ["- Retry failed requests 3 times.\n", "- Never retry failed requests 3 times.\n\nRetries: 5 for every job.\n"]
    result = merge(agents_of(texts), MergeOptions(on_conflict="mark"))
    assert_accounted(result)
    assert "Retries: 5 for every job." in result.text


def test_regression_mark_shows_every_side_of_conflicts_sharing_a_unit_in_one_block():
    text = "- timeout 30\n- prefer timeout 15\n- never prefer timeout 15\n"
    result = merge(agents_of([text]), MergeOptions(on_conflict="mark"))
    # as `git merge-file` writes blocks: two sides each, the later one against an empty upper side
    assert result.text == ("<<<<<<< a.md:1\n- timeout 30\n=======\n- prefer timeout 15\n>>>>>>> a.md:2\n\n"
                           "<<<<<<< a.md:1\n=======\n- never prefer timeout 15\n>>>>>>> a.md:3\n")
    assert_accounted(result)


def test_regression_mark_does_not_write_a_kept_duplicate_twice():
    # the kept variant of a duplicate group comes from the second input and is a side of an open conflict
    texts = ["- use a timeout of 30 seconds\n",
             "- timeout 15 seconds\n\n- always use a request timeout of 30 seconds\n"]
    result = merge(agents_of(texts), MergeOptions(on_conflict="mark"))
    assert_accounted(result)
    assert result.text.count("request timeout of 30 seconds") == 1


def test_regression_an_empty_stop_word_section_is_not_written_twice():
    for text in ("# Rules\n\n## The\n", "# Rules\n\n##\n"):
        assert merge(agents_of([text, text])).text == merge(agents_of([text])).text


def test_regression_merging_again_does_not_bring_back_a_dropped_unit():
    a, b = "retry 1\n", "**use:**\n- timeout 30\n- timeout retry 30\n- timeout 15\n"
    merged = merge(agents_of([a, b]))
    assert "timeout retry 30" not in merged.text  # it loses the retries conflict to the first input
    again = parse_agent(merged.text, "merged.md")
    assert merge([again, parse_agent(b, "input.md", index=1)]).body == body_of(again)


def test_regression_n_plus_1_is_not_a_retries_value():
    texts = ["- Avoid N+1 queries.\n", "- Retry failed requests 3 times.\n"]
    assert [c.topic for c in merge(agents_of(texts)).conflicts] == []


def test_regression_word_weights_do_not_decide_whether_two_units_are_duplicates():
    # the same two units relate the same way whatever else is in the run
    a, b = "never prefer\n", "never prefer database index\n"
    merged = merge(agents_of([a, b]))
    again = parse_agent(merged.text, "merged.md")
    for text in (a, b):
        assert merge([again, parse_agent(text, "input.md", index=1)]).body == body_of(again)


def test_regression_an_item_with_nested_items_keeps_its_marker_in_a_paragraph_slot():
    a, b = "use never\n", "**use:**\n- use use\n  - use never\n"
    merged = merge(agents_of([a, b]))
    assert "- use use\n  - use never" in merged.text
    again = parse_agent(merged.text, "merged.md")
    for text in (a, b):
        assert merge([again, parse_agent(text, "input.md", index=1)]).body == body_of(again)


def test_regression_the_unit_stating_the_number_is_kept_whatever_the_copies():
    # with a copy of each (a.md a.md), the shorter `- use never` took its own copy first and stayed beside
    # `- never 15`, which it had been dropped into alone; "use never" has no content terms now, so both stay
    text = "# use\n\n- use never\n- never 15\n"
    assert merge(agents_of([text, text])).text == merge(agents_of([text])).text
    assert "- never 15" in merge(agents_of([text, text])).text


def test_regression_what_a_losing_side_carried_stays_and_never_comes_back():
    # `never prefer database timeout 30` carries `- never prefer database` and loses the timeout conflict to
    # `- timeout 5`: the unit it carried left with it, and came back when the merged file was merged again
    a, b = "- never prefer database\n- timeout 5\n", "never prefer database timeout 30\n"
    merged = merge(agents_of([a, b]))
    assert merged.text == a
    unique = to_json(merged)["unique"]
    assert [u["carried_by"]["path"] for u in unique if "carried_by" in u] == ["b.md"]
    again = parse_agent(merged.text, "merged.md")
    for text in (a, b):
        assert merge([again, parse_agent(text, "input.md", index=1)]).body == body_of(again)


def test_regression_a_unit_that_loses_one_conflict_leaves_even_where_it_wins_another():
    # the code block is sync (it loses to the first input's async rule) and logs through a logger (it wins
    # against the third input's print()): kept, the merged agent contradicted itself
    texts = [(SEEDS / name).read_text(encoding="utf-8") for name in
             ("db-engineer-fastapi.md", "db-engineer-performance.md", "db-engineer-seed-data.md")]
    merged = merge(agents_of(texts))
    assert "def fetch_user_statistics(db: Session" not in merged.text
    assert [c.topic for c in merge([parse_agent(merged.text, "merged.md")]).conflicts if c.kind != "frontmatter"] == []


def test_regression_copies_of_a_carrier_carry_every_copy_of_what_it_carries():
    text = "use never\n\n- use use\n- use use use use use never\n- use use\n  - use use use never\n"
    assert merge(agents_of([text, text])).text == merge(agents_of([text])).text


# --- fixpoint and idempotence in every mode -------------------------------------------------------------------
#
# Fixpoint: the merged agent, deduplicated on its own, is itself: the same bytes, and no conflict the first merge
# did not leave open (prefer-first settles every conflict between inputs, so the merged agent never contradicts
# itself; keep-all's labels and mark's blocks stand for the conflicts they keep, and are kept as they are).
# Idempotence: merging the merged agent again with any of its inputs changes nothing in its body.


def _lines_of_open_conflicts(result) -> set[int]:
    """Output lines where a unit of a conflict the merge left open stands: undecided, or with sides of two
    stances still standing (sides of one input, which the input order does not settle)."""
    lines: set[int] = set()
    kept = set(result.kept)
    for c in result.conflicts:
        if c.kind == "frontmatter":
            continue
        if len({side.stance for side in c.sides if set(side.uids) & kept}) < 2:
            continue
        for side in c.sides:
            for uid in side.uids:
                if uid in result.output_lines:
                    unit = result.units[uid]
                    start = result.output_lines[uid]
                    lines.update(range(start, start + unit.end_line - unit.line + 1))
    return lines


def assert_fixpoint(merged, on_conflict: str) -> None:
    options = MergeOptions(on_conflict=on_conflict)
    again = merge([parse_agent(merged.text, "merged.md")], options)
    assert again.text == merged.text, "the merged agent deduplicated on its own changed"
    left_open = _lines_of_open_conflicts(merged)
    for c in again.conflicts:
        if c.kind == "frontmatter":
            continue
        for side in c.sides:
            lines = {n for uid in side.uids for n in range(again.units[uid].line, again.units[uid].end_line + 1)}
            assert lines & left_open, f"the merged agent contradicts itself: {c.topic}: {side.stance} at {sorted(lines)[:1]}"
            if on_conflict == "keep-all":  # and each side says so, in the label an earlier merge wrote
                assert all("<!-- agentmerge conflict" in again.units[uid].text for uid in side.uids)


def assert_idempotent(merged, texts: list[str], on_conflict: str) -> None:
    options = MergeOptions(on_conflict=on_conflict)
    again = parse_agent(merged.text, "merged.md")
    for k, text in enumerate(texts):
        body = merge([again, parse_agent(text, f"input{k}.md", index=1)], options).body
        assert body == body_of(again), f"merging the merged agent with input {k} changed its body"


@pytest.mark.parametrize("on_conflict", ON_CONFLICT)
def test_the_merged_agent_is_a_fixpoint_of_generated_inputs(on_conflict):
    @PROPERTIES
    @given(texts=st.lists(documents(), min_size=1, max_size=3))
    def prop(texts):
        assert_fixpoint(merge(agents_of(texts), MergeOptions(on_conflict=on_conflict)), on_conflict)

    prop()


@pytest.mark.parametrize("on_conflict", ON_CONFLICT)
def test_merging_the_merged_agent_with_an_input_adds_nothing_in_every_mode(on_conflict):
    @PROPERTIES
    @given(texts=st.lists(documents(), min_size=2, max_size=3))
    def prop(texts):
        assert_idempotent(merge(agents_of(texts), MergeOptions(on_conflict=on_conflict)), texts, on_conflict)

    prop()


def _fixture_cases() -> list:
    sets = [("seeds", SEED_FILES)]
    for folder in ("pairs", "conflicts", "conflicts-more", "conflicts-extra"):
        for case in sorted(p for p in (ROOT / "fixtures" / folder).iterdir() if p.is_dir()):
            sets.append((f"{folder}/{case.name}", sorted(case.glob("*.md"))))
    return [pytest.param(files, mode, id=f"{name}-{mode}") for name, files in sets for mode in ON_CONFLICT]


@pytest.mark.parametrize("files, on_conflict", _fixture_cases())
def test_fixtures_merged_are_a_fixpoint_and_adding_an_input_again_changes_nothing(files, on_conflict):
    texts = [p.read_text(encoding="utf-8") for p in files]
    agents = [parse_agent(t, str(p), index=i) for i, (t, p) in enumerate(zip(texts, files))]
    merged = merge(agents, MergeOptions(on_conflict=on_conflict))
    assert_accounted(merged)
    assert_fixpoint(merged, on_conflict)
    assert_idempotent(merged, texts, on_conflict)


def _same_sets_either_order(a: str, b: str) -> None:
    ab = merge([parse_agent(a, "a.md", index=0), parse_agent(b, "b.md", index=1)])
    ba = merge([parse_agent(b, "b.md", index=0), parse_agent(a, "a.md", index=1)])
    assert report_sets(ab) == report_sets(ba)


@pytest.mark.parametrize("a", ["# use\n\n- timeout 5\n- timeout 5\n", "# use\n\n- timeout 5\n- use timeout 5\n"],
                         ids=["exact-copy", "same-terms"])
def test_regression_what_says_the_same_as_a_losing_side_leaves_with_it(a):
    # freed from the losing unit it duplicated, the other `timeout 5` became a conflict side of its own in
    # one input order only
    _same_sets_either_order(a, "timeout 30\n")


def test_regression_a_sides_exact_copies_stand_with_it_in_either_order():
    _same_sets_either_order("- use always\n", "- use always\n- never use always\n")


def test_regression_what_a_losing_side_carried_goes_to_another_carrier():
    # `use timeout 30` carried `- use timeout` and lost; `- timeout 15` carries it too
    texts = ["# use\n\n- use timeout\n- timeout 15\n", "use timeout 30\n"]
    merged = merge(agents_of(texts))
    assert merged.text == "# use\n\n- timeout 15\n"
    assert_fixpoint(merged, "prefer-first")


def test_regression_a_later_inputs_section_goes_after_its_own_units():
    # the dropped third item's copy moved the cursor back, and `## never` was written above `- use use use`
    texts = ["# use\n", "# avoid\n\n- use use\n- use use use\n- use use\n\n## never\n"]
    for mode in ON_CONFLICT:
        merged = merge(agents_of(texts), MergeOptions(on_conflict=mode))
        assert merged.text == "# use\n\n# avoid\n\n- use use\n- use use use\n\n## never\n"
        assert_idempotent(merged, texts, mode)


def test_regression_two_lists_of_one_input_stay_two_lists():
    # dropping the bullet list's last item fused the numbered list into it, as bullets: merged again, its
    # steps were steps no more
    texts = ["# use\n", "- use use use\n- use use\n\n1. use use\n2. use use\n"]
    merged = merge(agents_of(texts))
    assert merged.text == "- use use use\n\n1. use use\n2. use use\n\n# use\n"
    assert_idempotent(merged, texts, "prefer-first")


@pytest.mark.parametrize("a, b", [
    ("- [ ] use use\n", "# use\n\n- [ ] use use\n- [ ] use use\n"),
    ("- [ ] use use\n- [ ] use use\n", "# use\n\n# use\n\n- [ ] use use\n- [ ] use use\n- [ ] use use\n\n# use\n"),
    ("- [ ] use prefer\n", "- [ ] prefer use\n- [ ] use prefer\n"),
], ids=["one-and-two", "two-and-three", "same-words-reordered"])
def test_regression_checklist_copies_keep_the_count_of_the_input_with_most_in_either_order(a, b):
    # a held copy was given to another carrier, or joined another held copy: the output kept fewer copies
    # than one input has, in one input order only
    _same_sets_either_order(a, b)
    most = max(a.count("- [ ]"), b.count("- [ ]"))
    for texts in ([a, b], [b, a]):
        assert merge(agents_of(texts)).text.count("- [ ]") == most


def test_regression_a_unit_freed_from_a_carrier_that_stays_goes_back_into_it():
    # the carrier lost to `- never Redis` until the unit it carried, read on its own, agreed with it from
    # the first input: both stayed, and the merged agent deduplicated alone dropped one of them
    a = "- use use\n  - never retries\n  - Redis use\n- never Redis\n"
    b = "# use\n\n# use\n\n- never retries await 5 N+1\n  - Redis indexes\n"
    merged = merge(agents_of([a, b]))
    assert "- use use" not in merged.text
    assert_fixpoint(merged, "prefer-first")
    assert_idempotent(merged, [a, b], "prefer-first")


def test_regression_a_heading_its_input_left_empty_keeps_the_section_above_it():
    # `### 5` lost its one paragraph and was left out, and with it the empty `#### consistency` under it;
    # merged again with its input, the empty heading came back
    a = "# use\n"
    b = "### errors tests\n\nretry 30 days\n\n### 5\n\nuse retry days\n\n#### consistency\n"
    merged = merge(agents_of([a, b]))
    assert "#### consistency" in merged.text
    assert_fixpoint(merged, "prefer-first")
    assert_idempotent(merged, [a, b], "prefer-first")


def test_regression_a_keep_all_label_is_never_read_as_guidance():
    # merged again, the label's "against b.md:1 (30 commit)" was read as a value of its own unit
    # (two counts of one plain noun conflict only in statements that share another word: "Redis")
    texts = ["15 commit use Redis\n\n- use use\n  - eventual use use 15 commit use Redis\n", "- use Redis 30 commit\n"]
    merged = merge(agents_of(texts), MergeOptions(on_conflict="keep-all"))
    assert merged.text.count("<!-- agentmerge conflict") == 2
    assert_fixpoint(merged, "keep-all")


def test_regression_a_section_never_joins_one_whose_title_scopes_its_units_otherwise():
    # `**never:**` joined `**use:**`: there its `- use use` was no longer scoped apart from the copy under
    # `**avoid:**`, and the merged agent deduplicated alone dropped it
    texts = ["# use\n\n**use:**\n- use always\n", "# use\n\n**avoid:**\n- use use\n\n**never:**\n- use use\n- use always\n"]
    merged = merge(agents_of(texts))
    assert merged.text.count("- use use") == 2
    assert_fixpoint(merged, "prefer-first")
    assert_idempotent(merged, texts, "prefer-first")

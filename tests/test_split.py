"""Sections and units, with exact text and line ranges."""

from agentmerge import parse_agent, read_agents

from .conftest import FASTAPI, PERFORMANCE, SEED_FILES

DOC = """---
name: x
---

Intro paragraph.

## Rules

**ORM & Migrations:**
- [ ] one
- two
  - nested under two
- three

After the list.

1. first

2. second

Setext Title
------------

```python
# Preferred: not a heading
x = 1
```

| a | b |
|---|---|
| 1 | 2 |

> quoted

<div>html</div>
"""


def test_sections_units_and_lines():
    agent = parse_agent(DOC, "doc.md")
    titles = [(s.title, s.level, s.pseudo, s.path) for s in agent.sections]
    assert titles == [
        ("", 0, False, ()),
        ("Rules", 2, False, ("Rules",)),
        ("ORM & Migrations", 3, True, ("Rules", "ORM & Migrations")),
        ("Setext Title", 2, False, ("Setext Title",)),
    ]
    got = [(u.kind, u.line, u.end_line, u.section, u.text.split("\n")[0]) for u in agent.units]
    assert got == [
        ("paragraph", 5, 5, 0, "Intro paragraph."),
        ("item", 10, 10, 2, "- [ ] one"),
        ("item", 11, 12, 2, "- two"),
        ("item", 13, 13, 2, "- three"),
        ("paragraph", 15, 15, 1, "After the list."),
        ("item", 17, 17, 1, "1. first"),
        ("item", 19, 19, 1, "2. second"),
        ("code", 24, 27, 3, "```python"),
        ("table", 29, 31, 3, "| a | b |"),
        ("blockquote", 33, 33, 3, "> quoted"),
        ("html", 35, 35, 3, "<div>html</div>"),
    ]
    assert agent.units[2].text == "- two\n  - nested under two"
    assert agent.units[5].marker == "1." and agent.units[1].marker == "-"


def test_heading_like_lines_in_code_are_code():
    agent = read_agents([str(PERFORMANCE)])[0]
    assert not any(s.title.startswith("Preferred") for s in agent.sections)
    code = [u for u in agent.units if u.kind == "code"]
    assert code[0].text.startswith("```python\n# Preferred: Explicit query")
    assert (code[0].line, code[0].end_line) == (65, 92)


def test_bold_pseudo_headings_group_the_following_list():
    agent = read_agents([str(FASTAPI)])[0]
    pseudo = [s.title for s in agent.sections if s.pseudo]
    assert pseudo[:3] == ["Database Design & Architecture", "ORM & Migrations", "FastAPI Endpoint Development"]
    ambiguity = next(s for s in agent.sections if s.title == "When encountering ambiguity")
    assert ambiguity.path == ("Decision-Making Framework", "When encountering ambiguity")
    assert len(ambiguity.units) == 4


def test_every_seed_body_is_covered_exactly():
    """head + every block with its separator + tail gives back the body byte for byte."""
    for path in SEED_FILES:
        agent = read_agents([str(path)])[0]
        body = agent.head + "".join(s.sep + s.text for s in agent.layout) + agent.tail
        assert body == "\n".join(agent.text.split("\n")[agent.body_line - 1:])


def test_text_outside_any_block_is_kept_as_a_unit():
    agent = parse_agent("Para.\n\n[ref]: https://example.com\n", "a.md")
    assert [u.text for u in agent.units] == ["Para.", "[ref]: https://example.com"]

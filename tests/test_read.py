"""Reading agents: lenient frontmatter, encodings, newlines."""

import pytest
import yaml

from agentmerge import AgentmergeError, parse_agent, read_agents
from agentmerge.read import decode

from .conftest import SEED_FILES


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_every_seed_is_rejected_by_strict_yaml_and_recovered(path):
    text = path.read_text(encoding="utf-8")
    raw = text.split("---\n")[1]
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(raw)
    agent = read_agents([str(path)])[0]
    fm = agent.frontmatter
    assert fm.valid_yaml is False and fm.recovered is True
    assert fm.data["name"] and fm.data["model"] in {"sonnet", "opus", "inherit"}
    # the description is kept verbatim: exactly the text after "description: " on its line
    line = next(l for l in text.split("\n") if l.startswith("description: "))
    assert fm.data["description"] == line[len("description: "):]
    assert fm.lines["description"] == (3, 3)
    assert len(agent.warnings) == 1 and "not valid YAML" in agent.warnings[0]


def test_valid_frontmatter_is_parsed_as_yaml():
    agent = parse_agent("---\nname: x\ntools: [Read, Grep]\nmodel: opus\n---\n\nBody.\n", "a.md")
    assert agent.frontmatter.valid_yaml and not agent.frontmatter.recovered
    assert agent.frontmatter.data == {"name": "x", "tools": ["Read", "Grep"], "model": "opus"}
    assert agent.warnings == ()


def test_python_tags_are_never_constructed():
    agent = parse_agent("---\nname: !!python/object/apply:os.system ['echo hacked']\nmodel: x\n---\nBody\n", "a.md")
    assert agent.frontmatter.valid_yaml is False
    assert agent.frontmatter.data["name"] == "!!python/object/apply:os.system ['echo hacked']"


def test_alias_bomb_is_refused():
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(12)) + "---\nBody\n"
    with pytest.raises(AgentmergeError, match="aliases"):
        parse_agent(bomb, "bomb.md")


def test_body_only_file_has_no_frontmatter():
    agent = parse_agent("# CLAUDE.md\n\n- Use uv, not pip.\n", "CLAUDE.md")
    assert agent.frontmatter is None
    assert [u.text for u in agent.units] == ["- Use uv, not pip."]


def test_unclosed_frontmatter_is_an_error_naming_the_file():
    with pytest.raises(AgentmergeError, match=r"a\.md:1: frontmatter .* never closed"):
        parse_agent("---\nname: x\n\nBody\n", "a.md")


def test_bom_and_crlf():
    text = decode("\ufeff---\r\nname: x\r\n---\r\n\r\n- one\r\n- two\r\n".encode("utf-8"), "a.md")
    agent = parse_agent(text, "a.md")
    assert agent.newline == "\r\n"
    assert agent.frontmatter.data == {"name": "x"}
    assert [u.text for u in agent.units] == ["- one", "- two"]
    assert [u.line for u in agent.units] == [5, 6]


def test_invalid_utf8_says_where():
    with pytest.raises(AgentmergeError, match=r"a\.md:2: not valid utf-8 \(byte 0xff at offset 4\)"):
        decode(b"ok\nx\xffy\n", "a.md")


def test_nul_bytes_are_binary():
    with pytest.raises(AgentmergeError, match="binary"):
        decode(b"abc\x00def", "a.md")

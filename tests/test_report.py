"""The JSON report keeps the contract's field names; the Markdown report points at file:line."""

from agentmerge import merge_files
from agentmerge.report import markdown, to_json

from .conftest import FASTAPI, PERFORMANCE


def test_json_report_has_the_contract_fields():
    result = merge_files([str(FASTAPI), str(PERFORMANCE)])
    result.output_path = "merged.md"
    data = to_json(result)
    assert data["schema"] == "agentmerge-report/1"
    for key in ("inputs", "output", "shared", "unique", "conflicts", "stats"):
        assert key in data
    first = data["inputs"][0]
    assert first["path"] == str(FASTAPI) and first["format"] == "claude-agent"
    assert first["frontmatter"] == {"present": True, "valid_yaml": False, "recovered": True}
    assert first["units"] == 130 and first["tokens"] == (len(FASTAPI.read_text()) + 3) // 4
    assert data["output"]["path"] == "merged.md"
    group = data["shared"][0]
    assert set(group) >= {"id", "kind", "kept", "members"} and group["kind"] in ("duplicate", "related")
    assert set(group["members"][0]) >= {"path", "line", "end_line", "text", "score"}
    unique = data["unique"][0]
    assert set(unique) >= {"path", "line", "end_line", "text", "section"}
    stats = data["stats"]
    assert set(stats) >= {"input_tokens", "output_tokens", "shared", "unique", "conflicts"}
    assert stats["shared"] == len(data["shared"]) and stats["unique"] == len(data["unique"])


def test_json_text_is_the_units_source_text():
    result = merge_files([str(FASTAPI), str(PERFORMANCE)])
    data = to_json(result)
    lines = {str(FASTAPI): FASTAPI.read_text().split("\n"), str(PERFORMANCE): PERFORMANCE.read_text().split("\n")}
    for item in data["unique"] + [m for g in data["shared"] for m in g["members"]]:
        source = "\n".join(lines[item["path"]][item["line"] - 1:item["end_line"]])
        assert source == item["text"]


def test_markdown_report_sections_and_locations():
    result = merge_files([str(FASTAPI), str(PERFORMANCE)])
    text = markdown(result)
    for heading in ("# agentmerge report", "## Inputs", "## Conflicts", "## Shared guidance", "## Unique guidance"):
        assert heading in text
    assert f"`{PERFORMANCE}:33`" in text  # the N+1 rule it shares with the first input
    assert "tokens (estimated, characters/4)" in text


def test_a_side_that_leaves_the_output_is_never_reported_as_kept(tmp_path):
    # b.md:1 agrees with the winner of the timeout conflict but loses the retries conflict: it leaves the
    # output, so no conflict may list it among the sides in the output
    (tmp_path / "a.md").write_text("- retry 1\n- timeout 30\n")
    (tmp_path / "b.md").write_text("- timeout retry 30\n- timeout 15\n")
    result = merge_files([str(tmp_path / "a.md"), str(tmp_path / "b.md")])
    assert "timeout retry 30" not in result.text
    data = to_json(result)
    for conflict in data["conflicts"]:
        for i, side in enumerate(conflict["sides"]):
            if side["path"].endswith("b.md") and side["line"] == 1:
                assert i not in conflict["in_output"], conflict["id"]

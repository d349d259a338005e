"""The JSON report keeps the contract's field names; the Markdown report points at file:line."""

import json

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
    headings = ["# agentmerge report", "## To decide", "## Summary", "## Inputs", "## Shared guidance", "## Unique guidance"]
    assert [h for h in headings if h in text] == headings
    assert sorted(headings, key=text.index) == headings  # what to decide comes first
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


def test_the_markdown_report_opens_with_what_to_decide(cli, tmp_path):
    from .conftest import DATA

    proc = cli(PERFORMANCE, DATA, "-o", "m.md", "--report", "m.md.json", "--report", "m.report.md", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = (tmp_path / "m.report.md").read_text()
    data = json.loads((tmp_path / "m.md.json").read_text())
    merged = (tmp_path / "m.md").read_text().split("\n")
    decide = report[report.index("## To decide"):report.index("## Summary")]
    assert report.index("## To decide") < report.index("## Shared guidance") < report.index("## Unique guidance")
    assert f"agentmerge resolve {PERFORMANCE} {DATA} -o m.md" in decide
    for c in data["conflicts"]:
        assert f"key `{c['key']}`" in decide
        for side in c["sides"]:
            assert side["text"] in decide  # in full, not its first line
            assert f"`{side['path']}:{side['line']}" in decide
        kept = c["sides"][c["in_output"][0]]
        assert f"kept, at `m.md:{kept['output_line']}`" in decide
        assert merged[kept["output_line"] - 1] == kept["text"].split("\n")[0]
        for line in c["decide"]:
            assert line in decide
        assert f"- {{conflict: {c['key']}, keep: [{DATA}]}}" in c["decide"]
    # the decision lines, pasted as they are, make a valid decisions file that decides every conflict
    (tmp_path / "d.yaml").write_text("schema: agentmerge-decisions/1\ndecisions:\n"
                                     + "".join(c["decide"][-1] + "\n" for c in data["conflicts"]))
    proc = cli(PERFORMANCE, DATA, "-o", "m.md", "--decisions", "d.yaml", "--check", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_the_summary_never_reads_dropped_sides_as_nothing_to_do(cli, tmp_path):
    proc = cli(FASTAPI, PERFORMANCE, "-o", "m.md", "--report", "m.json", cwd=tmp_path)
    stats = json.loads((tmp_path / "m.json").read_text())["stats"]
    assert stats["unsettled_conflicts"] == 0 and stats["sides_dropped_by_default"] > 0
    line = next(x for x in proc.stdout.split("\n") if x.strip().startswith("conflicts:"))
    assert "0 unsettled" not in line
    assert f"{stats['conflicts']} not decided" in line
    assert f"dropped {stats['sides_dropped_by_default']} side(s)" in line


def test_token_changes_are_signed(tmp_path):
    from agentmerge.report import _change

    assert [_change(100, 101), _change(100, 103), _change(100, 88), _change(1000, 999), _change(50, 50)] == \
        ["+1%", "+3%", "-12%", "-<1%", "±0%"]


def test_token_growth_prints_with_a_plus(cli, tmp_path):
    # keep-all labels both sides of the conflict: the merged agent is bigger than its inputs
    (tmp_path / "a.md").write_text("- Always use soft deletes for user records.\n")
    (tmp_path / "b.md").write_text("- Never use soft deletes for user records.\n")
    proc = cli("a.md", "b.md", "-o", "m.md", "--on-conflict", "keep-all", "--report", "m.json", "--report", "r.md",
               cwd=tmp_path)
    stats = json.loads((tmp_path / "m.json").read_text())["stats"]
    before, after = stats["input_tokens"], stats["output_tokens"]
    growth = round((after - before) * 100 / before)
    assert growth > 100
    line = next(x for x in proc.stdout.split("\n") if "tokens (estimated)" in x)
    assert line.endswith(f"{before} in -> {after} out (+{growth}%)"), line
    assert f"| {before} in, {after} out (+{growth}%) |" in (tmp_path / "r.md").read_text()


def test_unique_guidance_in_full_only_with_verbose(cli, tmp_path):
    cli(FASTAPI, PERFORMANCE, "-o", "m.md", "--report", "short.md", "--report", "m.json", cwd=tmp_path)
    cli(FASTAPI, PERFORMANCE, "-o", "m.md", "--report", "long.md", "-v", cwd=tmp_path)
    unique = json.loads((tmp_path / "m.json").read_text())["unique"]
    short, long = (tmp_path / "short.md").read_text(), (tmp_path / "long.md").read_text()
    sample = unique[len(unique) // 2]
    assert f"`{sample['key']}`" in long and f"`{sample['key']}`" not in short
    assert f"{len(unique)} unit(s) only one input has" in short
    assert len(short) < len(long)

"""bench/match_quality.py: deterministic, and it never shows a held-back pair."""

import json

import yaml

from .conftest import ROOT, load_script

bench = load_script("bench/match_quality.py")


def _run(capsys, *argv):
    code = bench.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_is_the_same_twice_and_counts_the_labels(capsys):
    code, first, _ = _run(capsys, "--files", "seed", "--json")
    assert code == 0
    _, second, _ = _run(capsys, "--files", "seed", "--json")
    assert first == second
    data = json.loads(first)
    pairs = yaml.safe_load((ROOT / "tests" / "data" / "seed_pairs.yaml").read_text(encoding="utf-8"))
    seed = data["files"]["seed"]
    assert (seed["same"], seed["different"]) == (sum(p["label"] == "same" for p in pairs),
                                                   sum(p["label"] != "same" for p in pairs))
    clusters = data["seed_clusters"]
    assert clusters["clusters"] >= 20 and 0 <= clusters["still_repeated"] <= clusters["clusters"]
    assert clusters["members_not_units"] == []


def test_the_held_back_pairs_are_scored_in_totals_only(capsys):
    held = [p for name in ("match_holdout.yaml", "match_fresh2_held.yaml")
            for p in yaml.safe_load((ROOT / "tests" / "data" / "holdout" / name).read_text(encoding="utf-8"))]
    code, out, _ = _run(capsys, "--files", "holdout,fresh2-held,tune")
    assert code == 0 and "holdout" in out and "fresh2-held" in out and "tune by style" in out
    shown = sum(p["a"] in out or p["b"] in out for p in held)
    assert shown == 0, f"{shown} held-back texts printed"  # the message names no pair
    for name in ("holdout", "fresh", "fresh2-held"):
        code, out, err = _run(capsys, "--files", name, "--show-misses")
        assert code == 2 and out == "" and "totals only" in err
    code, out, _ = _run(capsys, "--show-misses", "--json")
    files = json.loads(out)["files"]
    assert code == 0 and "holdout" not in files and "fresh" not in files and "fresh2-held" not in files
    assert "tune" in files and "fresh2" in files


def test_accounting_reads_dropped_duplicates_and_losing_conflict_sides():
    report = {
        "unique": [{"path": "x.md", "line": 1, "end_line": 1}],
        "shared": [{"kind": "duplicate", "members": [{"path": "x.md", "line": 3, "end_line": 4, "kept": True},
                                                      {"path": "y.md", "line": 5, "end_line": 5, "kept": False}]}],
        "conflicts": [{"in_output": [0], "sides": [{"path": "x.md", "units": [{"line": 7, "end_line": 7}]},
                                                    {"path": "y.md", "units": [{"line": 9, "end_line": 11}]}]}],
    }
    assert bench.unit_accounting(report) == {("x.md", 1): (True, 1), ("x.md", 3): (True, 2), ("y.md", 5): (False, 1),
                                             ("x.md", 7): (True, 1), ("y.md", 9): (False, 3)}
    assert bench.relation({"shared": report["shared"]}, "x.md", "y.md") == "duplicate"
    assert bench.relation({"shared": report["shared"]}, "x.md", "z.md") is None


def test_a_kept_member_is_found_in_the_merged_text_whatever_its_list_marker():
    out = ["# Agent", "", "## Rules", "", "1. **Bounded results**: use LIMIT", "- [ ] Tests pass"]
    assert bench.output_line("- **Bounded results**: use LIMIT\n  - nested", out) == 4
    assert bench.output_line("2. Tests pass", out) == 5
    assert bench.output_line("- Not there", out) is None


def test_a_conflict_counts_only_between_body_units_of_both_files():
    fields = {"conflicts": [{"sides": [{"path": "a.md"}, {"path": "b.md"}]}]}  # frontmatter: no units
    body = {"conflicts": [{"sides": [{"path": "a.md", "units": [{"line": 6}]}, {"path": "b.md", "units": [{"line": 6}]}]}]}
    assert not bench.in_conflict(fields, "a.md", "b.md")
    assert bench.in_conflict(body, "a.md", "b.md")
    assert not bench.in_conflict(body, "a.md", "c.md")


def test_two_members_with_the_same_first_line_are_two_places():
    out = ["- Use fixtures", "", "## B", "", "- Use fixtures"]
    first = bench.output_line("- Use fixtures", out)
    assert (first, bench.output_line("- Use fixtures", out, {first})) == (0, 4)

"""bench/real_drops.py lists every duplicate drop of a merge beside the unit kept for it."""

from .conftest import FASTAPI, PERFORMANCE, load_script

bench = load_script("bench/real_drops.py")


def test_kinds_of_units_and_lead_ins():
    assert bench.kind_of("- [ ] Tests pass") == "checklist"
    assert bench.kind_of("3. **Step**: do it") == "numbered"
    assert bench.kind_of("- Use fixtures\n  - nested") == "item"
    assert bench.kind_of("**Frontend:**") == bench.kind_of("*Backend:*") == bench.kind_of("Before you start:") == "lead-in"
    assert bench.kind_of("Always prefer clarity.") == "paragraph"


def test_a_merge_of_two_seeds_lists_its_drops_and_counts_them(capsys, tmp_path):
    a = tmp_path / "a.md"
    a.write_text("## Rules\n\n- Avoid N+1 query problems with eager loading strategies\n\n*Backend:*\n\n- one\n",
                 encoding="utf-8")
    b = tmp_path / "b.md"
    b.write_text("## Rules\n\n- Identify and eliminate N+1 query problems using joinedload/selectinload\n",
                 encoding="utf-8")
    assert bench.main([str(FASTAPI), str(PERFORMANCE), str(a), str(b)]) == 0
    out = capsys.readouterr().out
    drops = [line for line in out.splitlines() if ". DROP " in line]
    kept = [line for line in out.splitlines() if line.lstrip().startswith("KEPT ")]
    assert len(drops) == len(kept)
    assert f"{len(drops)} of " in out.splitlines()[-1]
    assert bench.main([str(a)]) == 2


def test_drops_come_from_duplicate_groups_only():
    report = {"shared": [
        {"kind": "related", "members": [{"path": "a", "line": 1, "text": "- x", "kept": True},
                                        {"path": "b", "line": 2, "text": "- y", "kept": True}]},
        {"kind": "duplicate", "members": [{"path": "a", "line": 5, "text": "- keep me", "kept": True},
                                          {"path": "a", "line": 9, "text": "Lead:", "kept": False}]},
    ]}
    [d] = bench.drops(report)
    assert (d["dropped"]["line"], d["dropped"]["kind"], d["kept"]["line"], d["same_file"]) == (9, "lead-in", 5, True)

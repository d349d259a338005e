import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fixtures" / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.md"))
FASTAPI = SEEDS / "db-engineer-fastapi.md"
PERFORMANCE = SEEDS / "db-engineer-performance.md"
SQLALCHEMY = SEEDS / "db-engineer-sqlalchemy.md"
DATA = SEEDS / "db-data-engineer.md"
SEED_DATA = SEEDS / "db-engineer-seed-data.md"


def load_script(relative: str):
    """A script of the repository that is not part of the package (bench/, fuzz/), imported as a module."""
    path = ROOT / relative
    name = "script_" + "_".join(path.with_suffix("").relative_to(ROOT).parts)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while a class is created
    spec.loader.exec_module(module)
    return module


def run_cli(*args, cwd=None, env_extra=None, input_bytes=None):
    """Run `python -m agentmerge ARGS` as a user would; returns the CompletedProcess (text)."""
    env = dict(os.environ)
    env.pop("AGENTMERGE_DEBUG", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "agentmerge", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, input=input_bytes, timeout=300)


@pytest.fixture
def cli():
    return run_cli

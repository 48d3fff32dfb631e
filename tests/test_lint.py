"""ruff (lint and import order, configured in pyproject.toml) passes on the whole project: CI runs
this with the rest of the suite."""

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_ruff_check_passes():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    result = subprocess.run([ruff, "check", "--no-cache", str(REPO)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr

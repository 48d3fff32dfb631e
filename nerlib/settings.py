"""Where nerlib looks for things: the environment variables and the folders they name.

A module of its own so that every part (data, models, vectors, runs) reads the same settings
without importing each other's heavy dependencies.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "NERLIB_DATA_DIR"  # folder with conllpp_{train,dev,test}.txt
CACHE_DIR_ENV = "NERLIB_CACHE_DIR"  # downloads, unpacked models, converted vectors
RUNS_DIR_ENV = "NERLIB_RUNS_DIR"  # training runs
VECTORS_ENV = "NERLIB_VECTORS"  # the localizer's default vectors


def cache_dir(*parts: str) -> Path:
    """Return the cache folder ``$NERLIB_CACHE_DIR`` (default ``~/.cache/nerlib``), or a
    sub-folder of it (``cache_dir("models")``). Nothing is created."""
    base = Path(os.environ.get(CACHE_DIR_ENV) or Path.home() / ".cache" / "nerlib").expanduser()
    return base.joinpath(*parts)


def runs_dir() -> Path:
    """Return the folder training runs live in: ``$NERLIB_RUNS_DIR``, else ``./runs``."""
    return Path(os.environ.get(RUNS_DIR_ENV) or "runs").expanduser()

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
# Folders whose gensim native vector files (pickles: loading one can run code) are trusted, besides
# our own conversion cache. Separated by os.pathsep (":" on Linux/macOS). Empty by default.
TRUSTED_DIRS_ENV = "NERLIB_TRUSTED_DIRS"
# Folders the dashboard's file-path boxes may read from (os.pathsep-separated). Default: the cache
# folder and the data folder.
FILE_ROOTS_ENV = "NERLIB_FILE_ROOTS"
# The longest line (in bytes) a reader takes from a text, JSON lines, CoNLL or run-record file;
# a longer one is an error, so a pathological file costs bounded memory.
MAX_LINE_BYTES_ENV = "NERLIB_MAX_LINE_BYTES"
DEFAULT_MAX_LINE_BYTES = 1 << 20
# The largest input `nerlib tag --whole-file` reads as ONE text (held in memory and tagged at once,
# its entities one JSON record); longer inputs are tagged a line at a time, without --whole-file.
MAX_WHOLE_FILE_BYTES_ENV = "NERLIB_MAX_WHOLE_FILE_BYTES"
DEFAULT_MAX_WHOLE_FILE_BYTES = 8 << 20


def cache_dir(*parts: str) -> Path:
    """The cache folder ``$NERLIB_CACHE_DIR`` (default ``~/.cache/nerlib``), or a sub-folder of it.

    Nothing is created.

    Parameters
    ----------
    *parts:
        Sub-folder names joined onto the cache folder, e.g. ``cache_dir("models")``; none for the
        cache folder itself.

    Returns
    -------
    Path
        The folder, with ``~`` expanded.
    """
    base = Path(os.environ.get(CACHE_DIR_ENV) or Path.home() / ".cache" / "nerlib").expanduser()
    return base.joinpath(*parts)


def runs_dir() -> Path:
    """The folder training runs live in: ``$NERLIB_RUNS_DIR``, else ``./runs``."""
    return Path(os.environ.get(RUNS_DIR_ENV) or "runs").expanduser()


class SettingError(ValueError):
    """An environment variable of nerlib's holds a value it cannot use; the message names it."""


def _positive_bytes(name: str, default: int) -> int:
    """The positive whole number of bytes in ``$name``, else ``default``; SettingError otherwise."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        bound = int(value)
    except ValueError:
        bound = 0
    if bound < 1:
        raise SettingError(f"{name}={value!r}: must be a positive whole number of bytes")
    return bound


def max_line_bytes() -> int:
    """The longest line a reader accepts, in bytes: ``$NERLIB_MAX_LINE_BYTES``, default 1 MiB.

    Returns
    -------
    int
        The bound (at least 1).

    Raises
    ------
    SettingError
        When the variable is set to something other than a positive whole number (a ValueError).
    """
    return _positive_bytes(MAX_LINE_BYTES_ENV, DEFAULT_MAX_LINE_BYTES)


def max_whole_file_bytes() -> int:
    """The largest input ``nerlib tag --whole-file`` reads as one text: ``$NERLIB_MAX_WHOLE_FILE_BYTES``,
    default 8 MiB.

    Returns
    -------
    int
        The bound (at least 1).

    Raises
    ------
    SettingError
        When the variable is set to something other than a positive whole number.
    """
    return _positive_bytes(MAX_WHOLE_FILE_BYTES_ENV, DEFAULT_MAX_WHOLE_FILE_BYTES)


def _path_list(value: str) -> list[Path]:
    return [Path(part).expanduser() for part in value.split(os.pathsep) if part.strip()]


def trusted_dirs() -> list[Path]:
    """The folders listed in ``$NERLIB_TRUSTED_DIRS`` (may be empty).

    gensim native files under them are loaded although they are pickles. Our own vectors cache is
    always trusted and is not listed here.
    """
    return _path_list(os.environ.get(TRUSTED_DIRS_ENV, ""))


def file_roots() -> list[Path]:
    """The folders the dashboard's file-path boxes may read from.

    ``$NERLIB_FILE_ROOTS`` when set, else the cache folder and ``$NERLIB_DATA_DIR`` (when set).
    """
    configured = os.environ.get(FILE_ROOTS_ENV, "")
    if configured.strip():
        return _path_list(configured)
    roots = [cache_dir()]
    if os.environ.get(DATA_DIR_ENV):
        roots.append(Path(os.environ[DATA_DIR_ENV]).expanduser())
    return roots


def is_within(path: str | os.PathLike, roots: list[Path]) -> bool:
    """Whether ``path``, with symbolic links and ``..`` resolved, lies inside one of ``roots``.

    A link inside a root that points outside it does not count.

    Parameters
    ----------
    path:
        The path to check; need not exist.
    roots:
        The allowed folders (resolved too); a root itself counts as inside.

    Returns
    -------
    bool
        True when the resolved path is a root or lies below one.

    >>> from pathlib import Path
    >>> is_within("/nerlib-example/data/../data/train.txt", [Path("/nerlib-example/data")])
    True
    >>> is_within("/nerlib-example/data/../secrets.txt", [Path("/nerlib-example/data")])
    False
    """
    resolved = Path(path).expanduser().resolve()
    for root in roots:
        root = root.expanduser().resolve()
        if resolved == root or root in resolved.parents:
            return True
    return False

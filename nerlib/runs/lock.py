"""One writer per run folder: an exclusive lock held by the training process for its whole life.

``with hold_run_lock(run_dir):`` takes ``run_dir/.writer.lock`` with ``flock`` (exclusive,
non-blocking). The kernel releases the lock when the process ends however it ends (exit, crash,
``kill -9``), so a lock left behind by a dead process is stale by construction: the next writer
simply takes it. A second writer while the first is alive gets :class:`RunLockedError`, whose
message names the holder (pid, host, start time) from the lock file.

>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> with hold_run_lock(folder):
...     try:
...         acquire_run_lock(folder)
...     except RunLockedError:
...         print("second writer refused")
second writer refused

Coverage: the branches for systems without ``fcntl`` (Windows) do not run on Linux CI.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

__all__ = ["LOCK_FILE", "RunLock", "RunLockedError", "acquire_run_lock", "hold_run_lock"]

LOCK_FILE = ".writer.lock"

try:
    import fcntl
except ImportError:  # Windows: fall back to a pid check (below)
    fcntl = None  # type: ignore[assignment]


class RunLockedError(RuntimeError):
    """Another live process writes into the run folder; the message names it."""


@dataclass
class RunLock:
    """A held lock: release it with :meth:`release` (or let the process end)."""

    path: Path
    fd: int | None

    def release(self) -> None:
        """Release the lock (idempotent). The file stays: removing it could race a new writer."""
        if self.fd is not None:
            if fcntl is not None:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            else:
                self.path.unlink(missing_ok=True)
            os.close(self.fd)
            self.fd = None


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return f"process {info.get('pid')} on {info.get('host')} (since {info.get('started_at')})"
    except (OSError, ValueError, AttributeError):
        return "another process"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def acquire_run_lock(run_dir: str | os.PathLike) -> RunLock:
    """Take the run folder's writer lock.

    A lock file left by a dead process does not count. The lock file records this process's pid,
    host and start time, for the message another writer gets.

    Parameters
    ----------
    run_dir:
        The run folder; it must exist.

    Returns
    -------
    RunLock
        The held lock.

    Raises
    ------
    RunLockedError
        When a live process holds it (naming the holder).
    FileNotFoundError
        When the folder does not exist.
    """
    path = Path(run_dir) / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RunLockedError(
                    f"{run_dir} is being written by {_holder(path)}: one training writes into a run "
                    "folder at a time. Wait for it to finish (or stop it), then --resume; or choose "
                    "another --output-dir"
                ) from None
        else:  # no flock: trust the recorded pid when it is alive on this host
            info = {}
            with contextlib.suppress(OSError, ValueError):
                info = json.loads(path.read_text(encoding="utf-8") or "{}")
            if info.get("host") == socket.gethostname() and info.get("pid") and _pid_alive(info["pid"]) \
                    and info["pid"] != os.getpid():
                raise RunLockedError(f"{run_dir} is being written by {_holder(path)}")
        record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                             "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, record.encode() + b"\n")
    except BaseException:
        os.close(fd)
        raise
    return RunLock(path, fd)


@contextlib.contextmanager
def hold_run_lock(run_dir: str | os.PathLike) -> Iterator[RunLock]:
    """Hold the run folder's writer lock for the ``with`` block.

    Raises
    ------
    RunLockedError
        When a live process holds it (see :func:`acquire_run_lock`).
    """
    lock = acquire_run_lock(run_dir)
    try:
        yield lock
    finally:
        lock.release()

"""The one error boundary of every command, and the input errors that name a file and a line.

Every entry point (``python -m nerlib ...``, ``python -m training.train``, ``python -m
training.lr_find``; the ``bench/`` scripts through :func:`run_script`) runs its work through
:func:`run_command`: whatever goes wrong ends in ONE
``error: ...`` line on standard error and a non-zero exit code (1; argparse's usage errors stay 2).
A traceback is printed only with ``--debug`` on the command line or ``NERLIB_DEBUG=1`` in the
environment. The project's own errors and OS errors say what and where (the file, and the line
where it is known); anything else is a bug, said as such, with a pointer to ``--debug``.

A module of its own at the bottom layer (beside `nerlib.settings`) so that readers in every
layer can raise :class:`InputError` and every entry point can share the boundary.

>>> describe(FileNotFoundError(2, "No such file or directory", "story.txt"))
'story.txt: No such file or directory'
>>> describe(InputError("story.txt", 3, "not UTF-8 text"))
'story.txt, line 3: not UTF-8 text'
>>> quote("x" * 100)
"'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"

Coverage: most of the boundary runs inside the real commands that tests/test_error_boundary.py
starts as subprocesses, which the suite's in-process coverage does not count.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from nerlib.settings import MAX_LINE_BYTES_ENV

DEBUG_ENV = "NERLIB_DEBUG"  # "1": print the traceback under the error line
DEBUG_OPTION = "--debug"
QUOTE_CHARS = 80  # an error message quotes at most this much of an offending line
# Modules whose exception classes are the project's own: their messages are written for users.
PROJECT_MODULES = ("nerlib", "training", "dashboard", "bench")


class InputError(ValueError):
    """An input file (or stream) has a line that cannot be read; the message names file and line.

    Parameters
    ----------
    path:
        The file (``<stdin>`` for standard input).
    line:
        The 1-based line number, or None when the whole file is meant.
    reason:
        What is wrong.
    """

    def __init__(self, path: str | os.PathLike, line: int | None, reason: str):
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = self.path if line is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {reason}")


class LineTooLongError(InputError):
    """A line is longer than the bound on one line (``NERLIB_MAX_LINE_BYTES``).

    Parameters
    ----------
    path:
        The file.
    line:
        The 1-based line number.
    limit:
        The bound, in bytes.
    start:
        The start of the line (at most 80 characters of it are quoted).

    >>> str(LineTooLongError("big.txt", 2, 10, b"x" * 11))
    "big.txt: line 2 is longer than 10 bytes (the bound NERLIB_MAX_LINE_BYTES sets); it starts 'xxxxxxxxxxx'"
    """

    def __init__(self, path: str | os.PathLike, line: int, limit: int, start: bytes | str):
        reason = (f"line {line} is longer than {limit} bytes (the bound {MAX_LINE_BYTES_ENV} sets); "
                  f"it starts {quote(start)}")
        ValueError.__init__(self, f"{path}: {reason}")
        self.path, self.line, self.reason, self.limit = str(path), line, reason, limit


def file_kind(mode: int) -> str:
    """What a file that is not a regular file is, for a message (its ``st_mode``).

    >>> import stat
    >>> file_kind(stat.S_IFIFO), file_kind(stat.S_IFDIR), file_kind(stat.S_IFREG)
    ('a FIFO', 'a folder', 'a regular file')
    """
    import stat

    for test, kind in ((stat.S_ISREG, "a regular file"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a regular file"


def quote(text: str | bytes, limit: int = QUOTE_CHARS) -> str:
    """``text`` as an error message quotes it: ``repr`` of at most ``limit`` characters, ``...`` after.

    Parameters
    ----------
    text:
        The offending text (bytes are decoded with replacement characters).
    limit:
        The most characters quoted.

    Returns
    -------
    str
        The quoted text.

    >>> quote("Paris"), quote(b"\\xff ab", limit=2)
    ("'Paris'", "'\\ufffd ...'")
    """
    if isinstance(text, bytes):
        text = text[: 4 * limit].decode("utf-8", errors="replace")
    return repr(text[:limit]) if len(text) <= limit else repr(text[:limit])[:-1] + "...'"


def debug_requested(argv: Sequence[str]) -> bool:
    """Whether ``--debug`` is among ``argv`` (before a ``--``) or ``NERLIB_DEBUG`` is set (not 0).

    >>> debug_requested(["tag", "--debug"]), debug_requested(["tag", "--", "--debug"])
    (True, False)
    """
    if os.environ.get(DEBUG_ENV, "").strip() not in ("", "0"):
        return True
    options = list(argv)[: list(argv).index("--")] if "--" in argv else list(argv)
    return DEBUG_OPTION in options


def without_debug(argv: Sequence[str]) -> list[str]:
    """``argv`` without its ``--debug`` options (those before a ``--``).

    >>> without_debug(["--debug", "tag", "--", "--debug"])
    ['tag', '--', '--debug']
    """
    argv = list(argv)
    end = argv.index("--") if "--" in argv else len(argv)
    return [a for a in argv[:end] if a != DEBUG_OPTION] + argv[end:]


def is_project_error(error: BaseException) -> bool:
    """Whether ``error``'s message is written for users: the project's own exception classes
    (defined in nerlib, training, ...), OS errors and undecodable text."""
    if isinstance(error, (OSError, UnicodeError, MemoryError)):
        return True
    return any(cls.__module__.split(".")[0] in PROJECT_MODULES for cls in type(error).__mro__)


def describe(error: BaseException) -> str:
    """One line saying what went wrong and where (without the ``error:`` prefix).

    Parameters
    ----------
    error:
        The exception that ended the command.

    Returns
    -------
    str
        An OS error as ``path: reason`` (both paths for a rename), undecodable bytes as what and
        where in the line, a project error as its message, anything else as an unexpected error
        with its type, pointing at ``--debug``; always one line.
    """
    if isinstance(error, OSError) and error.filename is not None:
        reason = error.strerror or str(error)
        paths = f"{error.filename} -> {error.filename2}" if error.filename2 is not None else f"{error.filename}"
        text = f"{paths}: {reason}"
    elif isinstance(error, UnicodeDecodeError):
        text = (f"not {error.encoding} text: {error.reason} at byte {error.start} "
                f"(value 0x{error.object[error.start]:02x})")
    elif isinstance(error, MemoryError):
        text = "out of memory" + (f": {error}" if str(error) else "")
    elif is_project_error(error):
        text = str(error) or type(error).__name__
    else:
        text = (f"unexpected {type(error).__name__}: {error} (a bug; rerun with {DEBUG_OPTION} or "
                f"{DEBUG_ENV}=1 for the traceback, and report it)")
    text = " ".join(text.split())  # one line, whatever the message held
    return text[5:].lstrip() if text.startswith("error:") else text


def report(error: BaseException, *, debug: bool = False) -> None:
    """Print ``error`` as one ``error: ...`` line on standard error (with ``debug``, after its traceback)."""
    if debug:
        traceback.print_exception(error)
    print(f"error: {describe(error)}", file=sys.stderr, flush=True)


def run_command(work: Callable[[list[str]], object], argv: Sequence[str] | None = None) -> int:
    """Run an entry point's ``work(argv)`` inside the boundary and return the exit code.

    Parameters
    ----------
    work:
        The command: called with the arguments, ``--debug`` removed. An int it returns is the exit
        code; anything else means 0.
    argv:
        The arguments; None reads ``sys.argv[1:]``.

    Returns
    -------
    int
        ``work``'s code; 1 after any exception (reported as one ``error:`` line); 130 after Ctrl-C
        or SIGTERM; 0 when standard output was closed early (``... | head``). A ``SystemExit`` passes
        through (argparse's usage errors exit 2; a ``SystemExit("error: ...")`` prints its message).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = debug_requested(argv)
    try:
        code = work(without_debug(argv))
    except SystemExit:
        raise
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `... | head` closed the pipe: not an error; nothing more can be written
        _silence_stdout()
        return 0
    except Exception as error:  # noqa: BLE001 (the boundary: every error ends in one line)
        report(error, debug=debug)
        return 1
    return code if isinstance(code, int) else 0


def run_script(main: Callable[[], object]) -> NoReturn:
    """Run a script's ``main()`` (one that reads ``sys.argv`` itself, as the ``bench/`` scripts do)
    inside the boundary of :func:`run_command`, and exit with its code.

    ``--debug`` is taken off ``sys.argv`` before ``main`` parses it; a ``SystemExit`` with a message
    ends in one ``error: ...`` line too (exit 1). A script's ``__main__`` block is one line::

        if __name__ == "__main__":
            run_script(main)

    Parameters
    ----------
    main:
        The script's entry point; an int it returns is the exit code.

    Raises
    ------
    SystemExit
        Always: with ``main``'s code, 1 after an error (reported as one line), 2 for a bad option.
    """

    def work(argv: list[str]) -> object:
        sys.argv[1:] = argv
        try:
            return main()
        except SystemExit as stop:
            if not isinstance(stop.code, str):
                raise
            message = " ".join(stop.code.split())  # one line, whatever the message held
            print(message if message.startswith("error:") else f"error: {message}", file=sys.stderr, flush=True)
            return 1

    raise SystemExit(run_command(work))


def _silence_stdout() -> None:
    """Point standard output at /dev/null so that the interpreter's final flush cannot fail again
    (the process's own standard output only, never a stream a caller swapped in)."""
    if sys.stdout is not sys.__stdout__:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def check_usable_path(path: str | os.PathLike) -> Path:
    """``path`` as a Path, or an error saying it is not a usable path (a NUL byte, undecodable text).

    Parameters
    ----------
    path:
        A path typed by a user.

    Returns
    -------
    Path
        The path, ``~`` expanded.

    Raises
    ------
    ValueError
        For a NUL byte, a surrogate escape or another character the file system cannot take.

    >>> check_usable_path("a\\x00b")
    Traceback (most recent call last):
    ...
    ValueError: 'a\\x00b' is not a usable path: it holds a NUL byte
    """
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if "\x00" in text:
        raise ValueError(f"{quote(text)} is not a usable path: it holds a NUL byte")
    try:
        os.fsencode(text)
    except UnicodeError:
        raise ValueError(f"{quote(text)} is not a usable path: it holds characters the file system "
                         "cannot store") from None
    if any(ord(ch) < 32 for ch in text):
        raise ValueError(f"{quote(text)} is not a usable path: it holds a control character")
    return Path(text).expanduser()

"""Lines of a text input, read with bounded memory and decoded strictly, one line at a time.

Every reader of a line-based input (text and JSON lines for tagging, CoNLL files, standard input)
goes through :func:`read_lines`: a line longer than ``NERLIB_MAX_LINE_BYTES`` (1 MiB by default)
stops the read with :class:`~nerlib.errors.LineTooLongError` after reading at most that many bytes,
and a line that is not UTF-8 stops it with an :class:`~nerlib.errors.InputError` naming the line;
the lines before it have been yielded already (a command writes their results first).
:func:`open_regular` opens only regular files: a FIFO, a device or a folder is refused before it is
opened, so nothing blocks or reads without end.

>>> import io
>>> list(read_lines(io.BytesIO(b"Paris\\r\\nBerlin\\n\\nRome"), "cities.txt"))
[(1, 'Paris'), (2, 'Berlin'), (3, ''), (4, 'Rome')]
>>> list(read_lines(io.BytesIO(b"ok\\n\\xff\\n"), "bad.txt"))
Traceback (most recent call last):
...
nerlib.errors.InputError: bad.txt, line 2: not UTF-8 text: invalid start byte at byte 3 of the file (byte 1 of this line, value 0xff)
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from nerlib.errors import InputError, LineTooLongError, file_kind
from nerlib.settings import max_line_bytes

BOM = b"\xef\xbb\xbf"


def check_regular_file(path: str | os.PathLike) -> Path:
    """``path`` if it is a regular file (links followed); refused before anything opens it.

    Parameters
    ----------
    path:
        The input file.

    Returns
    -------
    Path
        The path.

    Raises
    ------
    FileNotFoundError
        When nothing is there.
    IsADirectoryError
        When it is a folder.
    InputError
        When it is a FIFO, a socket or a device: reading one may block or never end.
    """
    path = Path(path)
    mode = os.stat(path).st_mode  # FileNotFoundError names the path
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(21, "is a folder, not a file", str(path))
    if not stat.S_ISREG(mode):
        raise InputError(path, None, f"is {file_kind(mode)}, not a regular file; give a file")
    return path


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """Open a regular file for reading bytes (see :func:`check_regular_file` for what is refused)."""
    return open(check_regular_file(path), "rb")  # noqa: SIM115 (the caller closes it)


def read_lines(handle: BinaryIO, path: str | os.PathLike, *, max_bytes: int | None = None,
               skip_bom: bool = False, split_cr: bool = False) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, text)`` for each line of ``handle``, its line break removed.

    Parameters
    ----------
    handle:
        A binary stream (a file opened ``"rb"``, ``sys.stdin.buffer``).
    path:
        What to call the input in messages (``<stdin>`` for standard input).
    max_bytes:
        The longest line accepted; default :func:`nerlib.settings.max_line_bytes`.
    skip_bom:
        Drop a UTF-8 byte-order mark at the start of the first line.
    split_cr:
        Also end lines at a lone ``\\r`` (as Python's universal newlines do); otherwise lines end at
        ``\\n`` and a ``\\r`` before it is removed with it.

    Yields
    ------
    tuple of (int, str)
        The 1-based line number and the line's text.

    Raises
    ------
    nerlib.errors.LineTooLongError
        For a line longer than ``max_bytes``, having read at most ``max_bytes + 1`` bytes of it.
    nerlib.errors.InputError
        For a line that is not UTF-8, with the byte where decoding failed.
    """
    for number, text, error in scan_lines(handle, path, max_bytes=max_bytes, skip_bom=skip_bom, split_cr=split_cr):
        if error is not None:
            raise error
        yield number, text


def scan_lines(handle: BinaryIO, path: str | os.PathLike, *, max_bytes: int | None = None,
               skip_bom: bool = False, split_cr: bool = False) -> Iterator[tuple[int, str, InputError | None]]:
    """Like :func:`read_lines`, but a bad line is yielded with its error and the reading goes on:
    for validators that list every problem of a file instead of stopping at the first.

    A line longer than ``max_bytes`` is skipped reading at most ``max_bytes + 1`` bytes at a time,
    so memory stays bounded whatever the input.

    Parameters
    ----------
    handle, path, max_bytes, skip_bom, split_cr:
        As in :func:`read_lines`.

    Yields
    ------
    tuple of (int, str, InputError or None)
        The 1-based line number, the line's text (``""`` for a bad line) and, for a bad line, its
        :class:`~nerlib.errors.LineTooLongError` or :class:`~nerlib.errors.InputError`.

    >>> import io
    >>> [(n, t, e and e.reason[:12]) for n, t, e in scan_lines(io.BytesIO(b"ok\\n\\xff\\nfine"), "f.txt")]
    [(1, 'ok', None), (2, '', 'not UTF-8 te'), (3, 'fine', None)]
    """
    limit = max_line_bytes() if max_bytes is None else max_bytes
    number, offset = 0, 0  # lines yielded, bytes before this line
    while raw := handle.readline(limit + 1):
        data = raw[len(BOM):] if skip_bom and offset == 0 and raw.startswith(BOM) else raw
        content = data[:-1] if data.endswith(b"\n") else data
        if len(content) > limit:
            yield number + 1, "", LineTooLongError(path, number + 1, limit, content)
            number += 1
            offset += len(raw)
            while not raw.endswith(b"\n") and (raw := handle.readline(limit + 1)):  # the rest of the line
                offset += len(raw)
            continue
        try:
            text, problem = content.decode("utf-8"), None
        except UnicodeDecodeError as error:
            at = error.start + len(raw) - len(data)
            problem = InputError(path, number + 1, f"not UTF-8 text: {error.reason} at byte {offset + at} of the "
                                 f"file (byte {at + 1} of this line, value 0x{raw[at]:02x})")
        if problem is not None:  # yielded outside the except block: the error carries no decoding traceback
            yield number + 1, "", problem
            number += 1
            offset += len(raw)
            continue
        offset += len(raw)
        text = text.removesuffix("\r")
        for piece in text.split("\r") if split_cr and "\r" in text else (text,):
            number += 1
            yield number, piece, None


__all__ = ["check_regular_file", "open_regular", "read_lines", "scan_lines"]

r"""Guards for input that comes from a dashboard visitor: file paths, text size, Markdown.

The dashboard pages call these and show the message of the error they raise; nothing here imports
Streamlit.

>>> escape_markdown("**bold** [link](http://x)")
'\\*\\*bold\\*\\* \\[link\\]\\(http\\://x\\)'
>>> code_span("a `tick`")
'`` a `tick` ``'
>>> check_text_size("short")
'short'
"""

from __future__ import annotations

import glob
import re
from pathlib import Path

from nerlib import settings
from nerlib.errors import check_usable_path

__all__ = [
    "MAX_TEXT_CHARS",
    "PathNotAllowedError",
    "TextTooLongError",
    "UnusablePathError",
    "check_text_size",
    "check_user_path",
    "check_visitor_checkpoint",
    "code_span",
    "escape_markdown",
]

#: The most characters the dashboard tags at once (about 20 pages of prose). Word splitting is
#: linear, but every window of text costs a model forward pass: a visitor's request stays bounded.
MAX_TEXT_CHARS = 50_000

# Characters that Markdown (and Streamlit's extensions: colours, emoji shortcodes, LaTeX) treats as
# markup. Escaping each with a backslash shows it literally.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=])")


class PathNotAllowedError(ValueError):
    """A file path from a visitor lies outside the configured roots (``$NERLIB_FILE_ROOTS``)."""


class UnusablePathError(PathNotAllowedError):
    """A path a visitor typed cannot name a file at all (a NUL byte, a control character)."""


class TextTooLongError(ValueError):
    """A text is longer than :data:`MAX_TEXT_CHARS`; the message says by how much."""


def check_user_path(text: str, roots: list[Path] | None = None, *, allowed_files: tuple[str, ...] = ()) -> Path:
    """The path a visitor typed, when it may be read.

    Whether the path is allowed depends only on where it points (links resolved), never on whether
    a file is there, and nothing is opened: a visitor learns nothing about the server's files
    outside the roots. Once it is inside a root, the files it stands for are checked too: in a
    folder (a checkpoint or run folder, down to ``checkpoints/<name>/``) and beside a file (a
    vectors file's companions, ``name.*``), a link leading out of the roots (to weights, a
    tokenizer, vectors) is refused with the same message as a path outside them.

    Parameters
    ----------
    text:
        The path as typed (``~`` is expanded).
    roots:
        The folders it may lie in; default :func:`nerlib.settings.file_roots`.
    allowed_files:
        Files allowed wherever they are (e.g. the ones the page offers itself).

    Returns
    -------
    Path
        The path, ``~`` expanded but otherwise as typed.

    Raises
    ------
    UnusablePathError
        When it holds a NUL byte or another character no path can hold ("not a usable path").
    PathNotAllowedError
        When it lies outside every root and is none of ``allowed_files``, or a file it stands for
        is a link leading out of the roots.

    >>> check_user_path("runs/a" + chr(0) + "b", [Path("runs")])
    Traceback (most recent call last):
    ...
    nerlib.views.guards.UnusablePathError: 'runs/a\\x00b' is not a usable path: it holds a NUL byte
    """
    try:
        path = check_usable_path(text)
    except ValueError as error:
        raise UnusablePathError(str(error)) from None
    roots = settings.file_roots() if roots is None else roots
    allowed = {Path(name).expanduser().resolve() for name in allowed_files if name}
    if path.resolve() in allowed:
        return path
    if settings.is_within(path, roots) and all(settings.is_within(f, roots) for f in _linked_files(path)):
        return path
    raise PathNotAllowedError(
        "this path is not inside the folders the server's operator allows visitors to read "
        f"(set with {settings.FILE_ROOTS_ENV})"
    )


def _linked_files(path: Path, depth: int = 3, most: int = 2000) -> list[Path]:
    """The links a reader of ``path`` may follow: in a folder, down to ``depth`` levels (a run
    folder's ``checkpoints/<name>/<file>``); beside a file, its companions ``name.*``. At most
    ``most`` entries are looked at (a folder larger than that counts as holding a link)."""
    try:
        if path.is_file():
            return [p for p in path.parent.glob(glob.escape(path.name) + ".*") if p.is_symlink()]
        if not path.is_dir():
            return []
        links, seen, level = [], 0, [path]
        for _ in range(depth):
            below = []
            for folder in level:
                for entry in folder.iterdir():
                    seen += 1
                    if seen > most:
                        return [Path("/")]  # too large to check: refused as if it led outside
                    if entry.is_symlink():
                        links.append(entry)
                    elif entry.is_dir():
                        below.append(entry)
            level = below
        return links
    except OSError:
        return []


def check_visitor_checkpoint(text: str, *, local: bool) -> str:
    """The checkpoint source a dashboard visitor typed, when it may be loaded.

    Parameters
    ----------
    text:
        A folder or a Hub id, as typed.
    local:
        True for a folder box: the folder must lie inside the runs folder or the configured roots,
        checked before the file system is looked at. False for a Hub id box: it must look like
        ``owner/name`` and not be a path.

    Returns
    -------
    str
        A folder as typed; a Hub id as ``hub:owner/name``, which the loader never resolves to a
        local folder.

    Raises
    ------
    PathNotAllowedError
        Otherwise, with the same message whether or not such a path exists on the server.

    >>> check_visitor_checkpoint("dslim/bert-base-NER", local=False)
    'hub:dslim/bert-base-NER'
    """
    if local:
        check_user_path(text, [settings.runs_dir(), *settings.file_roots()])
        return text
    parts = text.split("/")
    if not (1 <= len(parts) <= 2 and all(parts) and not text.startswith((".", "~"))
            and all(c.isalnum() or c in "-_." for part in parts for c in part)):
        raise PathNotAllowedError("not a Hugging Face Hub id (owner/name, e.g. dslim/bert-base-NER)")
    return "hub:" + text


def check_text_size(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Return ``text`` when it has at most ``limit`` characters.

    Parameters
    ----------
    text:
        A visitor's text.
    limit:
        The most characters allowed.

    Returns
    -------
    str
        ``text`` unchanged.

    Raises
    ------
    TextTooLongError
        When it is longer, saying by how much and what to do instead.
    """
    if len(text) > limit:
        raise TextTooLongError(
            f"the text has {len(text):,} characters; the limit is {limit:,}. "
            f"Split it into parts, or tag long files from a terminal (python -m nerlib tag)."
        )
    return text


def escape_markdown(text: str) -> str:
    """``text`` with every Markdown control character backslash-escaped.

    So file names and file content show literally (no bold, no links whose text hides their target).
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def code_span(text: str) -> str:
    """``text`` as a Markdown code span that shows it literally whatever backticks it holds.

    The fence is one backtick longer than the longest run inside. Newlines become spaces.
    """
    text = str(text).replace("\r", " ").replace("\n", " ")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"

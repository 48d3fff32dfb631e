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

import re
from pathlib import Path

from nerlib import settings

__all__ = [
    "MAX_TEXT_CHARS",
    "PathNotAllowedError",
    "TextTooLongError",
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


class TextTooLongError(ValueError):
    """A text is longer than :data:`MAX_TEXT_CHARS`; the message says by how much."""


def check_user_path(text: str, roots: list[Path] | None = None, *, allowed_files: tuple[str, ...] = ()) -> Path:
    """The path a visitor typed, when it may be read.

    The answer depends only on where the path points (links resolved), never on whether a file is
    there, and nothing is opened: a visitor learns nothing about the server's files outside the roots.

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
    PathNotAllowedError
        When it lies outside every root and is none of ``allowed_files``.
    """
    roots = settings.file_roots() if roots is None else roots
    path = Path(text).expanduser()
    allowed = {Path(name).expanduser().resolve() for name in allowed_files if name}
    if path.resolve() in allowed or settings.is_within(path, roots):
        return path
    raise PathNotAllowedError(
        "this path is not inside the folders the server's operator allows visitors to read "
        f"(set with {settings.FILE_ROOTS_ENV})"
    )


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

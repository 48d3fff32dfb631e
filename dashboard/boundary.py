"""The dashboard's error boundary: whatever a page or a loader raises ends in one message on the page.

The same promise as :func:`nerlib.errors.run_command` gives every command, for a visitor: the
project's own errors and OS errors (a file that cannot be read, a malformed line, a setting with a
bad value) are shown as one ``error``-style message naming the file (and line) in the words of
:func:`nerlib.errors.describe`, escaped so that file names and content show literally; anything
else is a bug, shown as its type with a pointer to the server log, which keeps the traceback (as
``client.showErrorDetails = "type"`` does for errors that escape a page). The entry script runs
the sidebar and every page inside :func:`shown_errors`::

    with boundary.shown_errors():
        page.run()

Streamlit's own control flow (``st.stop()``, ``st.rerun()``, page switches) raises exceptions that
are not ``Exception``s and passes through untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from nerlib.errors import describe, is_project_error
from nerlib.views.guards import escape_markdown

LOG = logging.getLogger(__name__)


def visitor_message(error: BaseException) -> str:
    """What a visitor is told about ``error``: the project's own errors and OS errors say what and
    where (file and line); anything else only its type (its text may hold server details).

    >>> visitor_message(FileNotFoundError(2, "No such file or directory", "runs/a/run.json"))
    'runs/a/run.json: No such file or directory'
    >>> visitor_message(KeyError("secret"))
    'unexpected KeyError (a bug; the server log has the details)'
    """
    if is_project_error(error):
        return describe(error)
    return f"unexpected {type(error).__name__} (a bug; the server log has the details)"


@contextmanager
def shown_errors(where: str = "", *, container=None) -> Iterator[None]:
    """Show an error raised in the block as one message (``where`` before it) and go on after it.

    Parameters
    ----------
    where:
        What was being done (``"Sidebar"``), put before the message; empty for nothing.
    container:
        Where the message is drawn (``st.sidebar``); default the page.
    """
    try:
        yield
    except Exception as error:  # noqa: BLE001 (the boundary: every error ends in one message)
        LOG.error("%s failed", where or "the page", exc_info=error)  # the traceback stays in the server log
        text = escape_markdown(visitor_message(error))
        (container or st).error(f"{where}: {text}" if where else text, icon=":material/error:")

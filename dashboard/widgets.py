"""Widgets shared by the dashboard pages: the checkpoint picker, legend, pager, sidebar status and
the refresh-while-training fragment. Each takes a ``key`` prefix for its widgets (as
spacy-streamlit's ``visualize_*(..., key=...)`` do), reads data through ``dashboard.loaders`` and
tables through ``nerlib.views.tables``; nothing here is cached itself.

Import order (no cycle): ``loaders`` and ``quickrun`` import only ``nerlib``; ``widgets`` imports
both; pages import all three and ``session``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import loaders, quickrun, session
from nerlib.runs.folder import Run
from nerlib.settings import RUNS_DIR_ENV
from nerlib.views.guards import PathNotAllowedError, check_visitor_checkpoint, escape_markdown
from nerlib.views.spans import render_legend
from nerlib.views.tables import checkpoint_choices

CHECKPOINT_KINDS = ["From runs", "Local folder", "Hub id"]


def legend(labels=None) -> None:
    """Draw the shared entity colour legend (``labels``: the types to show; default the four
    CoNLL types)."""
    st.html(render_legend(labels) if labels else render_legend())


def pager(num_pages: int, key: str) -> int:
    """A page picker (1-based): ``st.pagination`` where this Streamlit has it, else a number box."""
    if num_pages <= 1:
        return 1
    if hasattr(st, "pagination"):
        return st.pagination(num_pages, key=key)
    return int(st.number_input("Page", min_value=1, max_value=num_pages, value=1, step=1, key=key))


def sidebar_status() -> None:
    """Sidebar footer shared by all pages: where runs come from and how many exist."""
    runs = loaders.all_runs()
    with st.sidebar:
        st.caption(
            f"{len(runs)} run{'s' if len(runs) != 1 else ''} in `{loaders.runs_dir()}` "
            f"(set `{RUNS_DIR_ENV}` to change)"
        )
        if not runs and not quickrun.running():
            st.caption("No trained model yet: the Training, Tagger and Errors pages need one.")
            quickrun.start_button(key="sidebar_quick_run")


def _checkpoint_from_url(key: str, choices: dict[str, Path]) -> None:
    """Fill the picker from a shared link's ``checkpoint`` parameter (first visit only): a run
    checkpoint label (``tiny / best``, with or without the ``(epoch-2)`` suffix), else an existing
    folder, else a hub id."""
    value = session.url_value("checkpoint")
    if not value:
        return
    label = value if value in choices else next((c for c in choices if c.split(" (")[0] == value), None)
    if label is not None:
        st.session_state[f"{key}_kind"], st.session_state[f"{key}_run_checkpoint"] = CHECKPOINT_KINDS[0], label
    elif _allowed_folder(value) and Path(value).expanduser().is_dir():  # never probe paths outside the roots
        st.session_state[f"{key}_kind"], st.session_state[f"{key}_folder"] = CHECKPOINT_KINDS[1], value
    else:
        st.session_state[f"{key}_kind"], st.session_state[f"{key}_hub"] = CHECKPOINT_KINDS[2], value


def checkpoint_picker(key: str, allow_other: bool = True, share: bool = False) -> str | None:
    """Let the user choose a checkpoint: from the runs (default: the newest run's best), a local
    folder, or a hub id. Returns the source string for ``Tagger.from_pretrained``, or None (with
    an explanation and the quick-run button drawn) when nothing is available yet.

    The choice is kept across page switches; with ``share`` it is also read from and written to
    the ``checkpoint`` query parameter (the run checkpoint label, folder or hub id).
    """
    choices = checkpoint_choices(loaders.all_runs())
    if share:
        _checkpoint_from_url(key, choices)
    kind = "From runs"
    if allow_other:
        kind = st.segmented_control("Checkpoint", CHECKPOINT_KINDS, default="From runs", required=True,
                                    key=session.keep(f"{key}_kind"))
    if kind == "From runs":
        if not choices:
            st.info(
                f"No trained checkpoint in `{loaders.runs_dir()}` yet. Train one from a terminal in "
                "the repository root, or start a quick CPU run here:", icon=":material/info:")
            st.code(quickrun.QUICK_COMMAND_TEXT, language="bash")
            quickrun.start_button(key=f"{key}_quick_run")
            return None
        label = st.selectbox("Run checkpoint", list(choices), key=session.keep(f"{key}_run_checkpoint", choices),
                             help="Newest run first; `best` is the checkpoint with the best validation F1.")
        if share:
            session.to_url(checkpoint=label.split(" (")[0])
        return str(choices[label])
    if kind == "Local folder":
        source = st.text_input("Checkpoint folder (saved with save_pretrained, or a run folder)",
                               key=session.keep(f"{key}_folder")).strip()
    else:
        source = st.text_input("Hugging Face Hub id", placeholder="dslim/bert-base-NER",
                               key=session.keep(f"{key}_hub")).strip()
    if share:
        session.to_url(checkpoint=source or None)
    if not source:
        return None
    try:  # folders inside the configured roots only; the message never says whether a path exists
        return check_visitor_checkpoint(source, local=kind == "Local folder")
    except PathNotAllowedError as error:
        st.error(escape_markdown(error), icon=":material/error:")
        return None


def _allowed_folder(value: str) -> bool:
    try:
        check_visitor_checkpoint(value, local=True)
    except PathNotAllowedError:
        return False
    return True


@st.fragment(run_every=5)
def _watch_runs(signature: tuple) -> None:
    if loaders.runs_signature(loaders.runs_dir()) != signature:
        st.rerun(scope="app")


def refresh_while_training(runs: list[Run]) -> None:
    """While one of ``runs`` is still training, re-draw the page when its files change."""
    if any(run.status == "running" for run in runs):
        st.caption("A run is training: this page refreshes when it writes new results.")
        _watch_runs(loaders.runs_signature(loaders.runs_dir()))

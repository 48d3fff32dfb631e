"""Entry point: ``streamlit run dashboard`` (from the repository root).

Registers the pages with ``st.navigation``; each page is a thin script in ``views/`` that
reads widget state, calls ``nerlib`` through the cached loaders in ``dashboard.loaders`` (tables
from ``nerlib.views.tables``, shared widgets from ``dashboard.widgets``), and draws. Before the page runs,
``session.hold_kept_widgets()`` keeps the values of the widgets pages mark with ``session.keep``,
so typed text and choices survive page switches; ``session.page_links`` writes the page's state to
the query string after it ran (links, Back, reload). The sidebar and the page run inside the error
boundary of ``dashboard.boundary``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run dashboard` puts only dashboard/ on sys.path; the pages import `dashboard.*` and
# `nerlib`, which also works from a fresh checkout that was not `pip install`ed.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import streamlit as st  # noqa: E402

from dashboard import boundary, quickrun, session, widgets  # noqa: E402

VIEWS = Path(__file__).resolve().parent / "views"

st.set_page_config(page_title="NER workbench", page_icon="🏷️", layout="wide")

PAGES = [
    st.Page(VIEWS / "dataset.py", title="Dataset", icon=":material/dataset:", default=True),
    st.Page(VIEWS / "training.py", title="Training", icon=":material/monitoring:"),
    st.Page(VIEWS / "tagger.py", title="Tagger", icon=":material/edit_note:"),
    st.Page(VIEWS / "localizer.py", title="Localizer", icon=":material/translate:"),
    st.Page(VIEWS / "errors.py", title="Errors", icon=":material/bug_report:"),
    st.Page(VIEWS / "quality.py", title="Data quality", icon=":material/rule:"),
    st.Page(VIEWS / "compare.py", title="Compare", icon=":material/compare_arrows:"),
]

page = st.navigation(PAGES)
session.hold_kept_widgets()  # before any widget is drawn: values of pages not shown now survive
# One error boundary (dashboard.boundary): a failing loader shows one message naming the file, never
# a traceback; a failing sidebar never takes the page with it.
with boundary.shown_errors("Runs", container=st.sidebar):
    widgets.sidebar_status()
quickrun.progress_panel()  # a quick run started from any page shows its progress on every page
widgets.copy_link_button()  # the address bar holds the view (session.page_links); this copies it
with session.page_links(page.url_path), boundary.shown_errors():
    page.run()

"""Per-browser-session state: widget values that survive page switches, and views shared as links.

Streamlit forgets the value of a widget that the current page does not draw (its clean-up drops
widget state at the end of every run), so text typed on the Tagger page would be gone after a
visit to the Dataset page. A page marks the widgets worth keeping::

    text = st.text_area("Text", value=SAMPLE, key=session.keep("tagger_text"))

and the entry script calls :func:`hold_kept_widgets` before any page runs: it writes every kept
value back through ``st.session_state``, which turns it into a user-set value that the clean-up
keeps. Only value widgets can be kept (text, selections, sliders, toggles), never buttons, file
uploaders or data editors (Streamlit refuses to set those).

Links: :func:`from_url` fills a widget from ``st.query_params`` the first time its page is shown in
a session, and :func:`to_url` writes the current view back, so the address bar always holds a
link that opens the same view (``/tagger?checkpoint=tiny+/+best&text=...``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import streamlit as st

_KEPT = "_session_kept_keys"
_FROM_URL = "_session_from_url_done"
# Long texts make unusable links (and browsers cap URLs); beyond this the text is left out.
MAX_URL_TEXT = 2000


def keep(key: str, options: Iterable[Any] | None = None) -> str:
    """Mark widget ``key`` as kept across page switches; returns ``key`` (use it inline).

    With ``options`` (a selectbox, segmented control or multiselect whose options can change, e.g.
    the runs), a remembered value that is no longer among them is dropped first, so the widget
    falls back to its default instead of failing.
    """
    st.session_state.setdefault(_KEPT, set()).add(key)
    if options is not None and key in st.session_state:
        allowed = list(options)
        value = st.session_state[key]
        if isinstance(value, list):
            kept = [v for v in value if v in allowed]
            if kept != value:
                st.session_state[key] = kept
        elif value is not None and value not in allowed:
            del st.session_state[key]
    return key


def hold_kept_widgets() -> None:
    """Write every kept widget value back into ``st.session_state`` (call once per run, before
    the page): a value set this way survives the run even when its widget is not drawn."""
    for key in st.session_state.get(_KEPT, ()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def from_url(param: str, key: str, *, choices: Iterable[Any] | None = None,
             convert: Callable[[str], Any] = str) -> bool:
    """Fill widget ``key`` from the query parameter ``param``, once per session and key (later
    runs keep what the user changed). Call before the widget is drawn. Returns whether it did;
    a value outside ``choices`` or one ``convert`` rejects (``ValueError``) is ignored."""
    done = st.session_state.setdefault(_FROM_URL, set())
    if key in done:
        return False
    done.add(key)
    if param not in st.query_params:
        return False
    try:
        value = convert(st.query_params[param])
    except ValueError:
        return False
    if choices is not None and value not in list(choices):
        return False
    st.session_state[key] = value
    return True


def url_value(param: str) -> str | None:
    """The query parameter ``param`` when this session has not yet used it for ``param``'s
    widgets (see :func:`from_url`), else None."""
    if f"url:{param}" in st.session_state.setdefault(_FROM_URL, set()):
        return None
    st.session_state[_FROM_URL].add(f"url:{param}")
    return st.query_params.get(param)


def to_url(**params: str | None) -> None:
    """Put the current view into the address bar: each ``name=value`` is set, ``None`` removes
    it; a ``text`` longer than :data:`MAX_URL_TEXT` characters is left out."""
    for name, value in params.items():
        if value is None or (name == "text" and len(value) > MAX_URL_TEXT):
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != value:
            st.query_params[name] = value

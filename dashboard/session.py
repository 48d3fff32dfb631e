"""Per-browser-session state: widget values that survive page switches, and views shared as links.

Streamlit forgets the value of a widget that the current page does not draw (its clean-up drops
widget state at the end of every run), so text typed on the Tagger page would be gone after a
visit to the Dataset page. A page marks the widgets worth keeping::

    text = st.text_area("Text", value=SAMPLE, key=session.keep("tagger_text"))

and the entry script calls :func:`hold_kept_widgets` before any page runs: it writes every kept
value back through ``st.session_state``, which turns it into a user-set value that the clean-up
keeps. Only value widgets can be kept (text, selections, sliders, toggles), never buttons, file
uploaders or data editors (Streamlit refuses to set those).

Links: a page declares each widget that makes its view with :func:`linked` (the query parameter,
the widget key, the default, how to read and check the text); the entry script wraps the page in
:func:`page_links`. A value the URL brings (a shared link, a reload, Back) is put into the widget
before it is drawn, or said on the page when it cannot be used; after the page ran, its whole state
is written to the address bar in one go, without the previous page's parameters, so the address
always opens the same view (``/tagger?checkpoint=tiny+/+best&text=...``). The older
:func:`from_url`, :func:`url_value` and :func:`to_url` take part in the same bookkeeping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from nerlib.views.guards import code_span

_KEPT = "_session_kept_keys"
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
    """Fill widget ``key`` from the query parameter ``param`` when the URL brings a value this
    session did not write for this page (a link, a reload, Back; later runs keep what the user
    changed). Call before the widget is drawn. Returns whether it did; a value outside ``choices``
    or one ``convert`` rejects (``ValueError``) is ignored (:func:`linked` says it on the page)."""
    text = _incoming(param)
    if text is None:
        return False
    try:
        value = convert(text)
    except ValueError:
        return False
    if choices is not None and value not in list(choices):
        return False
    st.session_state[key] = value
    return True


def url_value(param: str) -> str | None:
    """The query parameter ``param`` when the URL brings a value this session did not write for
    this page (see :func:`from_url`), else None."""
    return _incoming(param)


def to_url(**params: str | None) -> None:
    """Put the current view into the address bar: each ``name=value`` is set, ``None`` removes
    it; a ``text`` longer than :data:`MAX_URL_TEXT` characters is left out. Inside
    :func:`page_links` (every page of the app) the values are written once, after the page ran."""
    for name, value in params.items():
        if value is not None and name == "text" and len(value) > MAX_URL_TEXT:
            value = None
        if _in_page():
            _links().pending[name] = lambda value=value: value
        elif value is None:
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != value:
            st.query_params[name] = value


# --------------------------------------------------------------------------- links (a page's state in the URL)
#
# A page declares each piece of its state once, inline where the widget is drawn::
#
#     split = st.selectbox("Split", splits, key=session.linked("split", "browse_split", choices=splits))
#
# and the entry script wraps the page in :func:`page_links`. Before the widget is drawn,
# :func:`linked` restores a value the URL brings (a shared link, a reload, Back or Forward: any value
# this session did not write itself for this page), checking it; after the page ran, :func:`page_links`
# says on the page what it could not use (and what the widget shows instead) and writes the whole
# state the page declared in one go, and only that: the previous page's parameters are dropped.

_LINKS = "_session_links"


@dataclass
class _Unusable:
    """A link's value a page could not use, said once the page ran (when the value shown instead is known)."""

    slot: Any  # the st.empty() placed where the widget's declaration ran
    param: str
    text: str
    reason: str
    key: str


@dataclass
class _PageLinks:
    """What one session knows about its pages' links (kept in ``st.session_state``)."""

    page: str | None = None
    #: param -> a function giving its text now (None: leave it out), declared during this run
    pending: dict[str, Callable[[], str | None]] = field(default_factory=dict)
    #: page -> param -> the text this session last wrote (or took from the URL) for it
    written: dict[str, dict[str, str]] = field(default_factory=dict)
    unusable: list[_Unusable] = field(default_factory=list)
    #: whether this run's link was written (at the page's end or its st.stop())
    finished: bool = False
    #: whether the address still holds exactly the previous page's state (nothing for this page)
    carried: bool = False


def _links() -> _PageLinks:
    return st.session_state.setdefault(_LINKS, _PageLinks())


def _in_page() -> bool:
    return _links().page is not None


def _incoming(param: str) -> str | None:
    """The URL's value of ``param`` when it is news to this page: not what this session last wrote
    for it (a shared link, a reload, Back / Forward), else None. Marks it as taken."""
    if param not in st.query_params or _links().carried:
        return None
    values = st.query_params.get_all(param)
    text = ",".join(values) if len(values) > 1 else st.query_params[param]
    written = _links().written.setdefault(str(_links().page), {})
    if written.get(param) == text:
        return None
    written[param] = text
    return text


def value_text(value: Any) -> str:
    """How a widget value is written in a link: lists joined by commas, booleans ``true`` /
    ``false``, floats without trailing zeros.

    >>> value_text(["PER", "LOC"]), value_text(True), value_text(0.35000000000000003), value_text(25)
    ('PER,LOC', 'true', '0.35', '25')
    """
    if isinstance(value, (list, tuple)):
        return ",".join(value_text(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _shown(value: Any) -> str:
    """``value`` as a code span for a message (``nothing`` for an empty choice)."""
    if value is None or value == [] or value == "":
        return "nothing"
    return code_span(value_text(value))


def number_between(low: float, high: float, kind: Callable[[str], Any] = int) -> Callable[[str], Any]:
    """A ``parse`` for :func:`linked`: a number of ``kind`` from ``low`` to ``high``, else a
    ``ValueError`` saying so.

    >>> number_between(1, 12)("3"), number_between(0.0, 1.0, float)("0.25")
    (3, 0.25)
    >>> number_between(1, 12)("99")
    Traceback (most recent call last):
    ...
    ValueError: `99` is not a whole number from 1 to 12
    """
    what = "a whole number" if kind is int else "a number"

    def parse(text: str) -> Any:
        try:
            number = kind(text)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            raise ValueError(f"{code_span(text)} is not {what} from {value_text(low)} to {value_text(high)}")
        return number

    return parse


def true_or_false(text: str) -> bool:
    """A ``parse`` for :func:`linked` of a toggle or checkbox.

    >>> true_or_false("true"), true_or_false("0")
    (True, False)
    """
    if text.lower() in ("true", "1", "yes", "on"):
        return True
    if text.lower() in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"{code_span(text)} is not true or false")


def one_of(choices: Iterable[Any]) -> Callable[[str], Any]:
    """A ``parse`` for :func:`linked`: the choice whose text (:func:`value_text`) is the link's text.

    >>> one_of([10, 25, 50])("25")
    25
    >>> one_of(["validation", "test"])("bogus")
    Traceback (most recent call last):
    ...
    ValueError: `bogus` is not one of `validation`, `test`
    """
    options = list(choices)
    by_text = {value_text(option): option for option in options}

    def parse(text: str) -> Any:
        if text not in by_text:
            listed = ", ".join(_shown(option) for option in options[:12])
            more = f" and {len(options) - 12} more" if len(options) > 12 else ""
            raise ValueError(f"{code_span(text)} is not one of {listed or 'no choice'}{more}")
        return by_text[text]

    return parse


def linked(param: str, key: str, *, choices: Iterable[Any] | None = None,
           parse: Callable[[str], Any] | None = None, many: bool = False, max_chars: int | None = None) -> str:
    """Declare that widget ``key``'s value is the query parameter ``param`` of this page's link;
    returns ``key`` (use it inline as the widget's key; the value is also kept across pages, see
    :func:`keep`). Call it where the widget is drawn, before it; the widget keeps its own default.

    A value the URL brings (a shared link, a reload, Back) is checked and put into the widget; one
    that cannot be used is said on the page, where this was called (``st.warning`` naming the
    parameter, its value, why, and what the widget shows instead), never replaced silently. After
    the page ran, :func:`page_links` writes the widget's value back to the URL.

    Parameters
    ----------
    param : str
        The query parameter (short: ``split``, ``types``, ``page``).
    key : str
        The widget's key.
    choices : iterable, optional
        The values the widget offers; a value from the URL must be one of them (compared as text,
        so numbers work; :func:`one_of`). A remembered value no longer among them is dropped.
    parse : callable, optional
        Text -> value, raising ``ValueError`` with a message naming the text when it cannot be
        used (:func:`number_between`, :func:`true_or_false`, :func:`one_of`); applied before the
        ``choices`` check. Default: the text itself.
    many : bool
        A multi-choice widget: the value is a list, written comma-separated; the usable items of a
        partly usable list are kept and the others said.
    max_chars : int, optional
        A value whose text is longer is left out of the link (the caller says so on the page).

    Returns
    -------
    str
        ``key``.
    """
    options = list(choices) if choices is not None else None
    keep(key, options)
    text = _incoming(param)
    if text is not None:
        reason = _restore(key, text, options=options, parse=parse, many=many)
        if reason:
            _links().unusable.append(_Unusable(st.empty(), param, text, reason, key))
    links = _links()

    def current() -> str | None:
        if key not in st.session_state:
            return None
        shown = value_text(st.session_state[key])
        return None if max_chars is not None and len(shown) > max_chars else shown

    if _in_page():
        links.pending[param] = current
    return key


def _restore(key: str, text: str, *, options: list | None, parse: Callable[[str], Any] | None,
             many: bool) -> str | None:
    """Put the URL's ``text`` into widget ``key``; returns why (part of) it cannot be used, or None."""
    check = one_of(options) if options is not None else None

    def one(item: str) -> Any:
        value = parse(item) if parse is not None else item
        return check(value_text(value)) if check is not None else value

    if not many:
        try:
            st.session_state[key] = one(text)
        except ValueError as error:
            return str(error)
        return None
    values, reasons = [], []
    for item in (item for item in text.split(",") if item):
        try:
            values.append(one(item))
        except ValueError as error:
            reasons.append(str(error))
    if values or not reasons:
        st.session_state[key] = values
    return "; ".join(reasons[:3]) + ("; ..." if len(reasons) > 3 else "") if reasons else None


# Streamlit's own st.stop(): after it, nothing more reaches the browser in that run (every later
# message raises StopException again), so a page that stops early would never get its link written.
_streamlit_stop = st.stop


def _stop_after_writing_the_link() -> None:
    """``st.stop`` while a page runs inside :func:`page_links`: first finish the page's link."""
    links = st.session_state.get(_LINKS)
    if links is not None and links.page is not None and not links.finished:
        _finish_page_links(links)
    _streamlit_stop()


@contextmanager
def page_links(page: str) -> Iterator[None]:
    """Run a page (the entry script wraps ``page.run()`` in it), then say what of its link it could
    not use and write its whole declared state to the URL in one go: the parameters it declared with
    :func:`linked` or :func:`to_url` in this run (a filter of a view not shown now stays in the
    session, not in the link); every other parameter (another page's) is dropped. A page's ``st.stop()`` does the same first (see :data:`_streamlit_stop`)."""
    links = _links()
    previous, current = links.page, st.query_params.to_dict()
    # A page switch that kept the previous page's address (AppTest's switch_page, a client that keeps
    # the query string) brings nothing for this page: that page's parameters do not leak into it.
    links.carried = bool(previous is not None and previous != page and current
                         and current.items() <= links.written.get(previous, {}).items())
    links.page, links.pending, links.unusable, links.finished = page, {}, [], False
    st.stop = _stop_after_writing_the_link  # the same function for every session: it looks up the caller's
    try:
        yield
    finally:
        if not links.finished:
            _finish_page_links(links)


def _finish_page_links(links: _PageLinks) -> None:
    links.finished = True
    for problem in links.unusable:
        used = _shown(st.session_state[problem.key]) if problem.key in st.session_state else "the default"
        problem.slot.warning(f"The link's {code_span(f'{problem.param}={problem.text}')} cannot be used: "
                             f"{problem.reason}. Showing {used} instead.", icon=":material/link_off:")
    _write_page_links(links)


def _write_page_links(links: _PageLinks) -> None:
    page = str(links.page)
    current = st.query_params.to_dict()
    wanted: dict[str, str] = {}
    written = links.written.setdefault(page, {})
    for param, text_now in links.pending.items():
        text = text_now()
        if text is not None:
            wanted[param] = written[param] = text
    if wanted != current:
        st.query_params.from_dict(wanted)
    links.pending, links.unusable = {}, []

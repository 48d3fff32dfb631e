"""The Tagger page's "Fix a span": a visitor corrects the tagged result before exporting it.

The corrections are :class:`nerlib.views.corrections.SpanEdit` items (word ranges and a type, or no
entity) held per browser session for the text they were made on, and written to the link as
``fix=0-2:ORG,5-6:-`` when the text itself travels in the link; the logic (applying edits with valid
IOB2, the corrected JSON and CoNLL) lives in ``nerlib.views.corrections``. The page calls::

    fixed = fixes.corrected(tagged, text)    # the model's result with the visitor's fixes applied
    ...draw fixed.entities...
    fixes.fix_a_span(fixed, model_types)    # the controls
    widgets.tagged_downloads(fixed, ...)    # the downloads carry the fixes
"""

from __future__ import annotations

import streamlit as st

from dashboard import session
from nerlib.views.corrections import (
    MAX_EDITS,
    CorrectedText,
    SpanEdit,
    correct,
    find_phrase,
    format_edits,
    parse_edits,
    word_range,
)
from nerlib.views.guards import code_span, escape_markdown

#: Session state: ``{"text": the text the fixes were made on, "edits": format_edits(...)}``.
EDITS = "tagger_fix_edits"
NO_ENTITY = "no entity (drop)"
#: The most entities offered as chips (a long text's others are reached by marking their words).
MAX_CHIPS = 300


def _held(text: str) -> dict:
    """The fixes held for ``text`` (a different text starts with none)."""
    held = st.session_state.get(EDITS)
    if not isinstance(held, dict) or held.get("text") != text:
        held = st.session_state[EDITS] = {"text": text, "edits": ""}
    return held


def corrected(tagged, text: str) -> CorrectedText:
    """``tagged`` with the visitor's fixes for ``text`` applied (the link's ``fix`` on a first
    visit); fixes that do not fit the text are dropped with a warning."""
    link = session.url_value("fix")
    if link:
        try:
            st.session_state[EDITS] = {"text": text, "edits": format_edits(parse_edits(link, words=len(tagged.words)))}
        except ValueError as error:
            st.warning(f"The link's {code_span('fix=' + link[:60])} cannot be applied: {escape_markdown(error)}. "
                       "Showing the model's result.", icon=":material/link_off:")
    held = _held(text)
    try:
        fixed = correct(tagged, parse_edits(held["edits"]))
    except ValueError as error:
        st.warning(f"Your fixes do not fit this result ({escape_markdown(error)}); they were dropped.",
                   icon=":material/warning:")
        held["edits"] = ""
        fixed = correct(tagged, [])
    # Fixes are word positions in one text: they go into the link only when the text does.
    session.to_url(fix=held["edits"] if held["edits"] and len(text) <= session.MAX_URL_TEXT else None)
    return fixed


def _add(text: str, edit: SpanEdit) -> None:
    held = _held(text)
    edits = parse_edits(held["edits"])
    if len(edits) < MAX_EDITS:
        held["edits"] = format_edits([*edits, edit])


def _undo(text: str, everything: bool) -> None:
    held = _held(text)
    held["edits"] = "" if everything else format_edits(parse_edits(held["edits"])[:-1])


def fix_a_span(fixed: CorrectedText, types: list[str], key: str = "tagger_fix") -> None:
    """The controls: pick an entity and change its type or drop it; mark words the model missed as
    an entity; undo. Each change re-runs the page with the fix applied."""
    text = fixed.tagged.text
    with st.expander("Fix a span", expanded=fixed.corrected, icon=":material/edit:"):
        st.caption("Change an entity's type or drop it, or mark words the model missed. The page and both "
                   "downloads show the fixed result (the JSON says `corrected: true` and flags each fixed "
                   "entity); the link keeps the fixes.")
        change, mark = st.columns(2)

        chips = {f"{e.start}-{e.end}": e for e in fixed.entities[:MAX_CHIPS]}
        # A chip's label is its value for the browser: a repeated entity gets its ordinal.
        names, seen = {}, {}
        for option, entity in chips.items():
            name = f"{entity.text} · {entity.label}"
            seen[name] = seen.get(name, 0) + 1
            names[option] = escape_markdown(name + (f" ({seen[name]})" if seen[name] > 1 else ""))
        session.from_url("span", f"{key}_span", choices=chips)
        picked = change.pills(
            "Entity", list(chips), selection_mode="single", key=session.keep(f"{key}_span", chips),
            format_func=names.get,
            help="The entities of the fixed result, in order" + (f" (the first {MAX_CHIPS})"
                                                                  if len(fixed.entities) > MAX_CHIPS else "") + ".")
        labels = [*types, NO_ENTITY]
        new_label = change.selectbox("Change to", labels, key=session.keep(f"{key}_label", labels))
        edit = None
        if picked is not None and chips[picked].label != new_label:  # re-typing as its own type is no fix
            start, end = word_range(fixed.words, chips[picked].start, chips[picked].end)
            edit = SpanEdit(start, end, None if new_label == NO_ENTITY else new_label)
        change.button("Apply", key=f"{key}_apply", icon=":material/check:", disabled=edit is None,
                      on_click=_add, args=(text, edit))

        session.from_url("mark", f"{key}_phrase")
        phrase = mark.text_input("Words to mark", key=session.keep(f"{key}_phrase"), max_chars=200,
                                 placeholder="e.g. African Union",
                                 help="Any words of the text (case is ignored when the exact case is not found).")
        found = find_phrase(fixed.words, text, phrase)
        choice = 0
        if len(found) > 1:
            choice = mark.selectbox(
                "Occurrence", range(len(found)), key=f"{key}_occurrence",
                format_func=lambda i: f"{i + 1}: " + " ".join(w.text for w in fixed.words[found[i][0]:found[i][1]])
                + f" (words {found[i][0] + 1}-{found[i][1]})")
        elif phrase.strip() and not found:
            mark.caption("Not in the text.")
        mark_label = mark.selectbox("As", types, key=session.keep(f"{key}_mark_label", types))
        mark_edit = SpanEdit(*found[choice], mark_label) if found and mark_label else None
        mark.button("Mark as entity", key=f"{key}_mark", icon=":material/add:", disabled=mark_edit is None,
                    on_click=_add, args=(text, mark_edit))
        session.to_url(span=picked, mark=phrase.strip() or None)

        if fixed.corrected:
            made = ", ".join(
                code_span(" ".join(w.text for w in fixed.words[e.start:e.end]) + " → " + (e.label or "no entity"))
                for e in fixed.edits)
            dropped = f" Dropped: {', '.join(code_span(e.text) for e in fixed.dropped)}." if fixed.dropped else ""
            st.caption(f"{len(fixed.edits)} fix{'es' if len(fixed.edits) != 1 else ''}: {made}.{dropped}")
            undo, reset = st.columns(2)
            undo.button("Undo the last fix", key=f"{key}_undo", icon=":material/undo:",
                        on_click=_undo, args=(text, False))
            reset.button("Undo all fixes", key=f"{key}_reset", icon=":material/restart_alt:",
                         on_click=_undo, args=(text, True))

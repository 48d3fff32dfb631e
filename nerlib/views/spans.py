"""HTML rendering of coloured entity spans (displaCy-like), one palette for every view.

Pure Python, no Streamlit: the dashboard passes the returned strings to ``st.html``; anything
else (a notebook, a static report) can use them too. Every piece of user text (words, labels,
replacements, hover titles) goes through :func:`html.escape` before it is placed in markup, so
``<script>`` typed by a user is shown as text.

Public API
----------
- ``PALETTE``: entity type -> background colour (``PER``, ``ORG``, ``LOC``, ``MISC``); also used by
  the plotly charts so a type has one colour everywhere.
- ``entity_color(label) -> str``: colour for a type or a ``B-``/``I-`` tag; a type outside
  ``PALETTE`` (``DATE``, ``GPE``, ...) gets a pastel derived from its name, the same in every
  process and on every page. ``FALLBACK_COLOR`` (grey) only for an empty label.
- ``DisplaySpan(start, end, label, score=None, replacement=None, status=None, note=None)``: a span to draw
  (word indices for :func:`render_words`, character offsets for :func:`render_text`).
- ``render_words(words, spans) -> str``: words joined by spaces with coloured spans.
- ``render_text(text, spans) -> str``: raw text (newlines kept) with coloured character spans.
- ``render_replacements(text, spans) -> str``: spans with ``replacement`` set drawn as
  ``original -> replacement`` (the localizer view).
- ``render_comparison(words, gold, pred) -> str``: gold and predicted spans one above the other;
  spans that do not match exactly are outlined.
- ``render_runs_comparison(words, gold, {"A": spans, "B": spans}) -> str``: gold above several
  runs' spans (the Compare view).
- ``render_legend(labels=ENTITY_TYPES) -> str``: the colour legend.
- ``escape_hits(text, hits) -> str``: escaped text with search hits highlighted (``render_words``
  takes the same ``hits``).
- ``parse_marked(text) -> (plain, [(start, end, type)])``: entities typed by hand as
  ``[Paris](LOC)`` (the localizer's input without a tagger).
- ``STYLE``: the CSS the fragments rely on (included in each fragment by default).

Spans are duck-typed: anything with ``start``, ``end``, ``label`` (and optionally ``score``,
``replacement``, ``status``) works, e.g. ``nerlib.data.labels.Span`` or a tagger ``Entity``.
"""

from __future__ import annotations

import colorsys
import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from nerlib.data.labels import ENTITY_TYPES

# displaCy-like pastel backgrounds, chosen to stay distinct for common colour-vision deficiencies
# and readable with dark text on both the light and the dark Streamlit theme.
PALETTE: dict[str, str] = {
    "PER": "#aa9cfc",
    "ORG": "#7aecec",
    "LOC": "#feca74",
    "MISC": "#bfeeb7",
}
FALLBACK_COLOR = "#dddddd"

STYLE = """<style>
.nerd { line-height: 2.4; font-size: 1rem; white-space: pre-wrap; word-wrap: break-word; }
.nerd mark.ent { padding: 0.15em 0.4em; margin: 0 0.15em; border-radius: 0.35em;
  color: #1f2328; line-height: 1; box-decoration-break: clone; -webkit-box-decoration-break: clone; }
.nerd mark.ent .lbl { font-size: 0.65em; font-weight: 700; text-transform: uppercase;
  margin-left: 0.4em; vertical-align: middle; opacity: 0.85; }
.nerd mark.ent .score { font-size: 0.6em; margin-left: 0.25em; opacity: 0.7; }
.nerd mark.ent.wrong { outline: 2px dashed #d62728; outline-offset: 1px; }
.nerd mark.ent.missed { outline: 2px dotted #d62728; outline-offset: 1px; opacity: 0.75; }
.nerd mark.ent .orig { text-decoration: line-through; opacity: 0.65; }
.nerd mark.hit { background: #fff59d; color: #1f2328; padding: 0; border-radius: 0.15em;
  box-shadow: 0 0 0 2px #f9a825; }
.nerd mark.ent .arrow { margin: 0 0.3em; opacity: 0.7; }
.nerd-legend { display: flex; flex-wrap: wrap; gap: 0.5em; margin: 0.3em 0 0.6em 0; font-size: 0.85rem; }
.nerd-legend span { padding: 0.1em 0.6em; border-radius: 0.35em; color: #1f2328; font-weight: 600; }
.nerd-cmp { display: grid; grid-template-columns: max-content 1fr; column-gap: 0.8em; align-items: baseline; }
.nerd-cmp .side { font-size: 0.75rem; font-weight: 700; text-transform: uppercase; opacity: 0.7; }
</style>"""


@dataclass(frozen=True)
class DisplaySpan:
    """One span to draw.

    Attributes
    ----------
    start, end:
        Word indices (:func:`render_words`) or character offsets (:func:`render_text`), end
        exclusive.
    label:
        The entity type or tag.
    score:
        A confidence in [0, 1].
    replacement:
        The localizer's new text for the span.
    status:
        ``"wrong"`` or ``"missed"`` to outline an error.
    note:
        Extra hover text (e.g. why an entity was kept).
    """

    start: int
    end: int
    label: str
    score: float | None = None
    replacement: str | None = None
    status: str | None = None
    note: str | None = None


def _entity_type(label: str) -> str:
    """``B-PER`` / ``I-PER`` / ``PER`` -> ``PER``."""
    if len(label) > 2 and label[1] == "-" and label[0] in "BIES":
        return label[2:]
    return label


def _derived_color(entity_type: str) -> str:
    """A pastel for a type outside ``PALETTE``: hue and lightness come from a SHA-256 of the name
    (not Python's salted ``hash``), so a type has the same colour in every process; lightness
    stays high and saturation moderate like the palette, so dark text stays readable."""
    digest = hashlib.sha256(entity_type.encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") / 65536
    lightness = (0.74, 0.80, 0.86)[digest[2] % 3]
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, 0.80)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def entity_color(label: str) -> str:
    """Background colour (``#rrggbb``) for an entity type or tag (``LOC``, ``B-LOC``).

    The four CoNLL types use ``PALETTE``; any other type gets a stable pastel derived from its
    name (the same on every page and in every process); an empty label gets ``FALLBACK_COLOR``.

    >>> entity_color("B-LOC"), entity_color("DATE"), entity_color("")
    ('#feca74', '#f5d1a3', '#dddddd')
    """
    entity_type = _entity_type(label)
    if entity_type in PALETTE:
        return PALETTE[entity_type]
    return _derived_color(entity_type) if entity_type else FALLBACK_COLOR


def _as_display_span(span: Any) -> DisplaySpan:
    if isinstance(span, DisplaySpan):
        return span
    return DisplaySpan(
        start=int(span.start),
        end=int(span.end),
        label=str(span.label),
        score=getattr(span, "score", None),
        replacement=getattr(span, "replacement", None),
        status=getattr(span, "status", None),
        note=getattr(span, "note", None),
    )


def _sorted_non_overlapping(spans: Iterable[Any], limit: int) -> list[DisplaySpan]:
    """Spans sorted by start; a span overlapping an earlier one or out of range is dropped."""
    out: list[DisplaySpan] = []
    last_end = 0
    for span in sorted((_as_display_span(s) for s in spans), key=lambda s: (s.start, -s.end)):
        if span.start < last_end or span.start >= span.end or span.end > limit or span.start < 0:
            continue
        out.append(span)
        last_end = span.end
    return out


def _hover_title(span: DisplaySpan, original: str | None = None) -> str:
    parts = [_entity_type(span.label)]
    if span.score is not None:
        parts.append(f"confidence {span.score:.1%}")
    if span.replacement is not None and original is not None:
        parts.append(f"{original} \u2192 {span.replacement}")
    if span.status == "wrong":
        parts.append("does not match the gold span")
    elif span.status == "missed":
        parts.append("missed by the model")
    if span.note:
        parts.append(span.note)
    return " \u00b7 ".join(parts)


def escape_hits(text: str, hits: Iterable[tuple[int, int]] = ()) -> str:
    """``text`` HTML-escaped, with each hit (character range into ``text``, end exclusive) wrapped
    in ``<mark class="hit">``; ranges are clipped to the text and overlapping ones merged.

    >>> escape_hits("<b> Germany", [(4, 11)])
    '&lt;b&gt; <mark class="hit">Germany</mark>'
    """
    merged: list[list[int]] = []
    for start, end in sorted((max(0, a), min(len(text), b)) for a, b in hits):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts, position = [], 0
    for start, end in merged:
        parts += [html.escape(text[position:start]), f'<mark class="hit">{html.escape(text[start:end])}</mark>']
        position = end
    parts.append(html.escape(text[position:]))
    return "".join(parts)


def _shift(hits: Sequence[tuple[int, int]], offset: int) -> list[tuple[int, int]]:
    return [(start - offset, end - offset) for start, end in hits]


def _mark(inner_text: str, span: DisplaySpan, show_score: bool, hits: Sequence[tuple[int, int]] = ()) -> str:
    """One coloured ``<mark>`` around already-plain ``inner_text`` (escaped here; ``hits`` are
    character ranges into it to highlight, as :func:`escape_hits`)."""
    entity_type = _entity_type(span.label)
    classes = "ent" + (f" {span.status}" if span.status in ("wrong", "missed") else "")
    if span.replacement is not None:
        body = (
            f'<span class="orig">{html.escape(inner_text)}</span><span class="arrow">\u2192</span>'
            f"{html.escape(span.replacement)}"
        )
    else:
        body = escape_hits(inner_text, hits)
    score = ""
    if show_score and span.score is not None:
        score = f'<span class="score">{span.score:.2f}</span>'
    title = html.escape(_hover_title(span, inner_text), quote=True)
    return (
        f'<mark class="{classes}" style="background: {entity_color(entity_type)}" title="{title}" '
        f'data-label="{html.escape(entity_type, quote=True)}">{body}'
        f'<span class="lbl">{html.escape(entity_type)}</span>{score}</mark>'
    )


def _wrap(body: str, include_style: bool, css_class: str = "nerd") -> str:
    return (STYLE if include_style else "") + f'<div class="{css_class}">{body}</div>'


def render_words(
    words: Sequence[str],
    spans: Iterable[Any],
    *,
    show_score: bool = False,
    include_style: bool = True,
    hits: Sequence[tuple[int, int]] = (),
) -> str:
    """HTML for ``words`` joined by single spaces, with each span as a coloured mark.

    Overlapping or out-of-range spans are skipped rather than breaking the markup.

    Parameters
    ----------
    words:
        The words (escaped here).
    spans:
        :class:`DisplaySpan` or any span with ``start``/``end`` word indices and ``label``.
    show_score:
        Show each span's score after its label.
    include_style:
        Put :data:`STYLE` in front; False when the page already has it.
    hits:
        Character ranges into ``" ".join(words)`` to highlight (a search's matches), inside
        entities too.

    Returns
    -------
    str
        An HTML fragment.

    >>> render_words(["Ada", "ran"], [], hits=[(4, 7)], include_style=False)
    '<div class="nerd">Ada <mark class="hit">ran</mark></div>'
    >>> render_words(["Ada", "ran"], [DisplaySpan(0, 1, "PER")], include_style=False)
    '<div class="nerd"><mark class="ent" style="background: #aa9cfc" title="PER" data-label="PER">Ada<span class="lbl">PER</span></mark> ran</div>'
    """
    words = [str(w) for w in words]
    offsets = [0]  # character offset of each word in " ".join(words)
    for word in words:
        offsets.append(offsets[-1] + len(word) + 1)
    hits = list(hits)
    parts: list[str] = []
    position = 0
    for span in _sorted_non_overlapping(spans, len(words)):
        if span.start > position:
            parts.append(escape_hits(" ".join(words[position : span.start]), _shift(hits, offsets[position])))
        parts.append(_mark(" ".join(words[span.start : span.end]), span, show_score, _shift(hits, offsets[span.start])))
        position = span.end
    if position < len(words):
        parts.append(escape_hits(" ".join(words[position:]), _shift(hits, offsets[position])))
    return _wrap(" ".join(parts), include_style)


def render_text(
    text: str,
    spans: Iterable[Any],
    *,
    show_score: bool = False,
    include_style: bool = True,
) -> str:
    """HTML for raw ``text`` (whitespace and newlines kept) with character-offset spans marked.

    Parameters
    ----------
    text:
        The text (escaped here).
    spans:
        Spans with ``start``/``end`` character offsets and ``label``; overlapping or out-of-range
        ones are skipped.
    show_score, include_style:
        As in :func:`render_words`.

    Returns
    -------
    str
        An HTML fragment.
    """
    parts: list[str] = []
    position = 0
    for span in _sorted_non_overlapping(spans, len(text)):
        parts.append(html.escape(text[position : span.start]))
        parts.append(_mark(text[span.start : span.end], span, show_score))
        position = span.end
    parts.append(html.escape(text[position:]))
    return _wrap("".join(parts), include_style)


def render_replacements(text: str, spans: Iterable[Any], *, include_style: bool = True) -> str:
    """HTML for the localizer: spans with ``replacement`` set drawn as ``original -> replacement``.

    Parameters
    ----------
    text:
        The original text.
    spans:
        Character-offset spans; those without a ``replacement`` are drawn as plain entities.
    include_style:
        As in :func:`render_words`.

    Returns
    -------
    str
        An HTML fragment.
    """
    return render_text(text, spans, include_style=include_style)


def render_comparison(
    words: Sequence[str],
    gold: Iterable[Any],
    pred: Iterable[Any],
    *,
    include_style: bool = True,
    sides: tuple[str, str] = ("gold", "pred"),
) -> str:
    """HTML showing gold spans above predicted spans for the same words.

    A predicted span with no identical gold span (same start, end and type) is outlined dashed
    (``wrong``); a gold span the model did not predict exactly is outlined dotted (``missed``).

    Parameters
    ----------
    words:
        The sentence's words.
    gold, pred:
        Spans over word indices (``B-``/``I-`` prefixes of labels are ignored when matching).
    include_style:
        As in :func:`render_words`.
    sides:
        The names of the two rows (escaped here), e.g. ``("given", "suggested")`` for a review.

    Returns
    -------
    str
        An HTML fragment: a two-row grid, gold above predicted.
    """
    gold_spans = [_as_display_span(s) for s in gold]
    pred_spans = [_as_display_span(s) for s in pred]
    gold_keys = {(s.start, s.end, _entity_type(s.label)) for s in gold_spans}
    pred_keys = {(s.start, s.end, _entity_type(s.label)) for s in pred_spans}
    gold_marked = [
        s if (s.start, s.end, _entity_type(s.label)) in pred_keys else _with_status(s, "missed")
        for s in gold_spans
    ]
    pred_marked = [
        s if (s.start, s.end, _entity_type(s.label)) in gold_keys else _with_status(s, "wrong")
        for s in pred_spans
    ]
    gold_html = render_words(words, gold_marked, include_style=False)
    pred_html = render_words(words, pred_marked, show_score=False, include_style=False)
    body = (
        f'<span class="side">{html.escape(sides[0])}</span>{gold_html}'
        f'<span class="side">{html.escape(sides[1])}</span>{pred_html}'
    )
    return (STYLE if include_style else "") + f'<div class="nerd-cmp">{body}</div>'


def render_runs_comparison(
    words: Sequence[str],
    gold: Iterable[Any],
    runs: dict[str, Iterable[Any]],
    *,
    include_style: bool = True,
) -> str:
    """HTML showing gold spans above the spans of several runs (the Compare view's A and B).

    Each run's span with no identical gold span is outlined dashed (``wrong``); a gold span that
    some run missed is outlined dotted (``missed``) in the gold row.

    Parameters
    ----------
    words:
        The sentence's words.
    gold:
        The gold spans over word indices.
    runs:
        Row name (escaped) -> that run's spans.
    include_style:
        As in :func:`render_words`.

    Returns
    -------
    str
        An HTML fragment: a grid with one row for gold and one per run.

    >>> html_text = render_runs_comparison(["<b>"], [DisplaySpan(0, 1, "PER")], {"A": [], "B": []},
    ...                                    include_style=False)
    >>> "&lt;b&gt;" in html_text and "<b>" not in html_text, html_text.count('class="side"')
    (True, 3)
    """
    gold_spans = [_as_display_span(s) for s in gold]
    run_spans = {name: [_as_display_span(s) for s in spans] for name, spans in runs.items()}
    key = lambda s: (s.start, s.end, _entity_type(s.label))  # noqa: E731
    gold_keys = {key(s) for s in gold_spans}
    found_by_all = set.intersection(*({key(s) for s in spans} for spans in run_spans.values())) if run_spans else set()
    rows = [("gold", [s if key(s) in found_by_all else _with_status(s, "missed") for s in gold_spans], False)]
    rows += [(name, [s if key(s) in gold_keys else _with_status(s, "wrong") for s in spans], False)
             for name, spans in run_spans.items()]
    body = "".join(f'<span class="side">{html.escape(name)}</span>'
                   + render_words(words, spans, show_score=score, include_style=False) for name, spans, score in rows)
    return (STYLE if include_style else "") + f'<div class="nerd-cmp">{body}</div>'


def _with_status(span: DisplaySpan, status: str) -> DisplaySpan:
    return DisplaySpan(span.start, span.end, span.label, span.score, span.replacement, status, span.note)


def render_legend(labels: Iterable[str] = ENTITY_TYPES, *, include_style: bool = True) -> str:
    """HTML legend: one coloured chip per entity type.

    Parameters
    ----------
    labels:
        Entity types or tags, in the order shown.
    include_style:
        As in :func:`render_words`.

    Returns
    -------
    str
        An HTML fragment.

    >>> render_legend(["PER"], include_style=False)
    '<div class="nerd-legend"><span style="background: #aa9cfc">PER</span></div>'
    """
    chips = "".join(
        f'<span style="background: {entity_color(label)}">{html.escape(_entity_type(label))}</span>'
        for label in labels
    )
    return (STYLE if include_style else "") + f'<div class="nerd-legend">{chips}</div>'


_MARKED = re.compile(r"\[([^\[\]]+)\]\(([A-Za-z][A-Za-z0-9_-]*)\)")


def parse_marked(marked: str) -> tuple[str, list[tuple[int, int, str]]]:
    """Entities typed by hand as ``[words](TYPE)``.

    Text that is not markup, including unbalanced brackets, is kept as it is.

    Returns
    -------
    tuple
        ``(plain, entities)``: the text without the markup, and the entities as ``(start, end,
        type)`` character offsets into it (end exclusive).

    >>> parse_marked("I live in [Paris](LOC).")
    ('I live in Paris.', [(10, 15, 'LOC')])
    """
    plain: list[str] = []
    entities: list[tuple[int, int, str]] = []
    cursor = length = 0
    for match in _MARKED.finditer(marked):
        before = marked[cursor : match.start()]
        plain += [before, match.group(1)]
        length += len(before)
        entities.append((length, length + len(match.group(1)), match.group(2)))
        length += len(match.group(1))
        cursor = match.end()
    plain.append(marked[cursor:])
    return "".join(plain), entities

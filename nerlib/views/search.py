"""Searching a CoNLL split: the Dataset page's example browser, without Streamlit.

One row per sentence in :func:`search_index` makes every filter a vectorised pandas query:

    index = search_index(dataset)                       # text, types, entity keys, tokens, document
    query = SentenceQuery(text="germany", entity="Germany", entity_type="ORG")
    matches = filter_sentences(index, query)            # sentence numbers, in order
    subset_statistics(index, matches)                   # sentences, tokens, entities per type
    hit_ranges(words, spans, query)                     # what to highlight (render_words' hits)
    document_context(index, matches[0], around=2)       # the sentences of its document around it
    token_table(dataset, matches[0])                    # token, POS, chunk, NER columns

Search text matches anywhere in a sentence (its words joined by spaces), ignoring case. An entity
search matches an entity's whole text (its words joined by spaces, ignoring case), of one type or
of any: ``Germany`` as ``ORG`` finds the sentences where "Germany" is tagged ORG, not those where it
is a LOC or part of "West Germany".
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from nerlib.data.labels import ENTITY_TYPES, entity_spans
from nerlib.views.spans import render_words

# The sentence a document view is centred on: a bar at its left and a marker in its heading.
_FOCUS_STYLE = "border-left:4px solid #f9a825;padding-left:0.6em;background:rgba(249,168,37,0.08)"

__all__ = [
    "SentenceQuery",
    "SubsetStatistics",
    "document_context",
    "filter_sentences",
    "hit_ranges",
    "render_sentences",
    "search_index",
    "subset_statistics",
    "token_table",
]


def _normalize(text: str) -> str:
    """Lower-cased, whitespace runs as one space: how entity texts are compared."""
    return " ".join(text.split()).lower()


def _names(feature: Any, values: Sequence[Any]) -> list[str]:
    """Tag ids of a ClassLabel sequence as names (string columns pass through)."""
    inner = getattr(feature, "feature", None)
    names = getattr(inner, "names", None)
    return [names[v] for v in values] if names else [str(v) for v in values]


def search_index(dataset: Any) -> pd.DataFrame:
    """One row per sentence of a CoNLL split, for :func:`filter_sentences`.

    Parameters
    ----------
    dataset:
        A ``datasets.Dataset`` (or a dict of columns) with ``tokens`` and ``ner_tags`` (ClassLabel
        ids or tag strings), and optionally ``document``.

    Returns
    -------
    pandas.DataFrame
        Columns ``text`` (words joined by spaces, lower-cased), ``types`` (the entity types
        present, sorted, space-separated), ``entities`` (count), ``tokens`` (count), ``entity_keys``
        (``"\\nTYPE\\ttext\\n"`` per entity, lower-cased text) and ``document`` (its document's
        index, 0 when the split has none).

    >>> index = search_index({"tokens": [["Germany", "won"]], "ner_tags": [["B-ORG", "O"]]})
    >>> index[["text", "types"]].iloc[0].tolist(), index[["entities", "tokens", "document"]].iloc[0].tolist()
    (['germany won', 'ORG'], [1, 2, 0])
    """
    features = getattr(dataset, "features", {}) or {}
    tokens_column, tags_column = dataset["tokens"], dataset["ner_tags"]
    documents = dataset["document"] if "document" in (getattr(dataset, "column_names", None) or dataset) else None
    texts, types, counts, lengths, keys = [], [], [], [], []
    for tokens, tags in zip(tokens_column, tags_column):
        spans = entity_spans(_names(features.get("ner_tags"), tags))
        texts.append(" ".join(tokens).lower())
        types.append(" ".join(sorted({s.label for s in spans})))
        counts.append(len(spans))
        lengths.append(len(tokens))
        keys.append("\n" + "".join(f"{s.label}\t{' '.join(tokens[s.start:s.end]).lower()}\n" for s in spans))
    return pd.DataFrame({"text": texts, "types": types, "entities": counts, "tokens": lengths,
                         "entity_keys": keys,
                         "document": list(documents) if documents is not None else [0] * len(texts)})


@dataclass(frozen=True)
class SentenceQuery:
    """What the browser filters on; an empty field does not filter.

    Attributes
    ----------
    text:
        Text anywhere in the sentence (case ignored).
    types:
        Entity types the sentence must all contain.
    entity:
        An entity's whole text (case ignored).
    entity_type:
        The type ``entity`` must have; None for any type.
    """

    text: str = ""
    types: tuple[str, ...] = ()
    entity: str = ""
    entity_type: str | None = None


def filter_sentences(index: pd.DataFrame, query: SentenceQuery) -> list[int]:
    """The sentences of ``index`` (:func:`search_index`) that match ``query``, in order.

    Parameters
    ----------
    index:
        The split's search index.
    query:
        The filters.

    Returns
    -------
    list of int
        Sentence numbers (row positions).

    >>> index = search_index({"tokens": [["Germany", "won"], ["in", "Germany"], ["West", "Germany"]],
    ...                       "ner_tags": [["B-ORG", "O"], ["O", "B-LOC"], ["B-LOC", "I-LOC"]]})
    >>> filter_sentences(index, SentenceQuery(entity="germany", entity_type="ORG"))
    [0]
    >>> filter_sentences(index, SentenceQuery(entity="Germany")), filter_sentences(index, SentenceQuery(text="GERMANY"))
    ([0, 1], [0, 1, 2])
    """
    mask = pd.Series(True, index=index.index)
    for entity_type in query.types:
        mask &= index["types"].str.split().apply(lambda present, t=entity_type: t in present)
    if query.text.strip():
        mask &= index["text"].str.contains(query.text.strip().lower(), regex=False)
    entity = _normalize(query.entity)
    if entity:
        key = (f"\n{query.entity_type}\t" if query.entity_type else "\t") + entity + "\n"
        mask &= index["entity_keys"].str.contains(key, regex=False)
    return index.index[mask].tolist()


@dataclass
class SubsetStatistics:
    """Counts of a filtered subset of a split.

    Attributes
    ----------
    sentences, tokens, entities:
        Totals over the subset.
    of_sentences:
        How many sentences the split has.
    per_type:
        Entity type -> entities of that type in the subset (CoNLL order first).
    """

    sentences: int
    tokens: int
    entities: int
    of_sentences: int
    per_type: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The counts as short lines of text (they wrap in a narrow column, where a table's columns
        would be cut).

        >>> SubsetStatistics(2, 9, 3, 10, {"PER": 2, "LOC": 1}).lines()
        ['2 of 10 sentences', '9 tokens', '3 entities', 'PER 2 · LOC 1']
        """
        found = [f"{self.sentences:,} of {self.of_sentences:,} sentences", f"{self.tokens:,} tokens",
                 f"{self.entities:,} entities"]
        if self.per_type:
            found.append(" · ".join(f"{entity_type} {count:,}" for entity_type, count in self.per_type.items()))
        return found

    def table(self) -> pd.DataFrame:
        """``what`` / ``count`` rows: sentences, tokens, entities, then one row per type."""
        rows = [("sentences", self.sentences), ("tokens", self.tokens), ("entities", self.entities)]
        rows += [(f"{entity_type} entities", count) for entity_type, count in self.per_type.items()]
        return pd.DataFrame(rows, columns=["what", "count"])


def subset_statistics(index: pd.DataFrame, matches: Sequence[int]) -> SubsetStatistics:
    """Sentences, tokens and entities per type of the sentences ``matches``.

    Parameters
    ----------
    index:
        The split's search index (:func:`search_index`).
    matches:
        Sentence numbers (as :func:`filter_sentences` returns).

    Returns
    -------
    SubsetStatistics
        The counts, and the split's size.

    >>> index = search_index({"tokens": [["Ann", "met", "Bo"], ["in", "Rome"]],
    ...                       "ner_tags": [["B-PER", "O", "B-PER"], ["O", "B-LOC"]]})
    >>> stats = subset_statistics(index, [0])
    >>> stats.sentences, stats.tokens, stats.entities, stats.of_sentences, stats.per_type
    (1, 3, 2, 2, {'PER': 2})
    """
    subset = index.iloc[list(matches)]
    per_type = Counter(line.split("\t", 1)[0] for keys in subset["entity_keys"] for line in keys.split("\n") if line)
    order = [t for t in ENTITY_TYPES if t in per_type] + sorted(set(per_type) - set(ENTITY_TYPES))
    return SubsetStatistics(len(subset), int(subset["tokens"].sum()), int(subset["entities"].sum()), len(index),
                            {t: per_type[t] for t in order})


def hit_ranges(words: Sequence[str], spans: Sequence[Any], query: SentenceQuery) -> list[tuple[int, int]]:
    """What to highlight in a sentence: character ranges into ``" ".join(words)`` (the ``hits`` of
    :func:`nerlib.views.spans.render_words`).

    Parameters
    ----------
    words:
        The sentence's words.
    spans:
        Its entities (``start``/``end`` word indices, ``label``).
    query:
        The search: every occurrence of its text (case ignored) and every entity its entity search
        matches are hits.

    Returns
    -------
    list of tuple of int
        ``(start, end)`` character ranges, end exclusive, in order.

    >>> from nerlib.data.labels import Span
    >>> hit_ranges(["Germany", "beat", "germany"], [Span("ORG", 0, 1)], SentenceQuery(text="GERMANY"))
    [(0, 7), (13, 20)]
    >>> hit_ranges(["Germany", "beat", "germany"], [Span("ORG", 0, 1)], SentenceQuery(entity="germany", entity_type="ORG"))
    [(0, 7)]
    """
    sentence = " ".join(words)
    hits: list[tuple[int, int]] = []
    if query.text.strip():
        hits += [(m.start(), m.end()) for m in re.finditer(re.escape(query.text.strip()), sentence, re.IGNORECASE)]
    entity = _normalize(query.entity)
    if entity:
        offsets = [0]
        for word in words:
            offsets.append(offsets[-1] + len(word) + 1)
        for span in spans:
            label = span.label[2:] if span.label[:2] in ("B-", "I-") else span.label
            if (query.entity_type in (None, label)
                    and _normalize(" ".join(words[span.start:span.end])) == entity):
                hits.append((offsets[span.start], offsets[span.end] - 1))
    return sorted(hits)


def document_context(index: pd.DataFrame, sentence: int, around: int = 2) -> list[int]:
    """The sentences of ``sentence``'s document (between its ``-DOCSTART-`` lines) around it.

    Parameters
    ----------
    index:
        The split's search index (its ``document`` column).
    sentence:
        The sentence number.
    around:
        How many sentences before and after to take (fewer at the document's edges).

    Returns
    -------
    list of int
        Sentence numbers in order, ``sentence`` among them.

    >>> index = search_index({"tokens": [["a"], ["b"], ["c"], ["d"]], "ner_tags": [["O"]] * 4,
    ...                       "document": [0, 0, 1, 1]})
    >>> document_context(index, 1, around=2), document_context(index, 2, around=1)
    ([0, 1], [2, 3])
    """
    documents = index["document"].to_numpy()
    if not 0 <= sentence < len(documents):
        raise IndexError(f"sentence {sentence} is outside the split's {len(documents)} sentences")
    document = documents[sentence]
    first = sentence
    while first > max(0, sentence - around) and documents[first - 1] == document:
        first -= 1
    last = sentence
    while last < min(len(documents) - 1, sentence + around) and documents[last + 1] == document:
        last += 1
    return list(range(first, last + 1))


def token_table(dataset: Any, sentence: int) -> pd.DataFrame:
    """One row per token of a sentence: the token and its POS, chunk and NER (IOB2) tags.

    Parameters
    ----------
    dataset:
        A ``datasets.Dataset`` of CoNLL sentences (``pos_tags`` and ``chunk_tags`` when the file has
        those columns).
    sentence:
        The sentence number.

    Returns
    -------
    pandas.DataFrame
        Columns ``#`` (1-based), ``token``, ``POS``, ``chunk``, ``NER``; a column the data lack
        holds empty strings.
    """
    example = dataset[sentence]
    features = getattr(dataset, "features", {}) or {}
    tokens = list(example["tokens"])
    columns = {"#": list(range(1, len(tokens) + 1)), "token": tokens}
    for name, column in (("POS", "pos_tags"), ("chunk", "chunk_tags"), ("NER", "ner_tags")):
        values = example.get(column)
        columns[name] = _names(features.get(column), values) if values is not None else [""] * len(tokens)
    return pd.DataFrame(columns)


def render_sentences(dataset: Any, numbers: Sequence[int], query: SentenceQuery | None = None, *,
                     focus: int | None = None, include_style: bool = True) -> str:
    """HTML for sentences of a split: each headed by its number (and document), with its gold
    entities as coloured spans, the search's hits highlighted (:func:`hit_ranges`) and ``focus``
    marked (a bar at its left, "▶ found here" in its heading). Every word is escaped.

    Parameters
    ----------
    dataset:
        A ``datasets.Dataset`` of CoNLL sentences.
    numbers:
        The sentence numbers to draw, in order.
    query:
        The search whose hits to highlight; None for none.
    focus:
        The sentence to mark (a document view's found sentence).
    include_style:
        Put the spans' CSS in front (once per page is enough).

    Returns
    -------
    str
        An HTML fragment.
    """
    features = getattr(dataset, "features", {}) or {}
    rows = dataset.select(list(numbers)) if hasattr(dataset, "select") else [dataset[n] for n in numbers]
    blocks = []
    for number, example in zip(numbers, rows):
        tokens = list(example["tokens"])
        spans = entity_spans(_names(features.get("ner_tags"), example["ner_tags"]))
        where = f"#{number}" + (f" · document {example['document']}" if "document" in example else "")
        marked = number == focus
        heading = (f'<div style="opacity:0.6;font-size:0.75rem;margin-top:0.6em">{html.escape(where)}'
                   + (" · <b>▶ found here</b>" if marked else "") + "</div>")
        body = render_words(tokens, spans, include_style=include_style and not blocks,
                            hits=hit_ranges(tokens, spans, query) if query is not None else ())
        blocks.append(f'<div class="nerd-found" style="{_FOCUS_STYLE}">{heading}{body}</div>' if marked
                      else heading + body)
    return "".join(blocks)

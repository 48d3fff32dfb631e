"""The Dataset page's search helpers (``nerlib.views.search``) on the real CoNLL++ files, checked
against the files read line by line with the CoNLL reader."""

from __future__ import annotations

import html
import re

import pytest

from nerlib.data.conll import read_conll_file
from nerlib.data.labels import Span, entity_spans
from nerlib.views.search import (
    SentenceQuery,
    document_context,
    filter_sentences,
    hit_ranges,
    render_sentences,
    search_index,
    subset_statistics,
    token_table,
)
from nerlib.views.spans import render_words


@pytest.fixture(scope="module")
def validation(conllpp_dir):
    """(the validation split as a Dataset with documents, its search index, its sentences as read)."""
    from nerlib.data.conllpp import load_conllpp

    dataset = load_conllpp(conllpp_dir, with_documents=True)["validation"]
    return dataset, search_index(dataset), read_conll_file(conllpp_dir / "conllpp_dev.txt").sentences


def entities_of(sentence):
    return [(s.label, " ".join(sentence.tokens[s.start:s.end])) for s in entity_spans(sentence.ner_tags)]


def test_entity_search_by_text_and_type_matches_the_file(validation):
    _, index, sentences = validation
    for text, entity_type in (("Germany", "LOC"), ("Germany", "ORG"), ("Reuters", "ORG"), ("germany", None)):
        expected = [i for i, s in enumerate(sentences)
                    if any(t.lower() == text.lower() and entity_type in (None, label) for label, t in entities_of(s))]
        assert filter_sentences(index, SentenceQuery(entity=text, entity_type=entity_type)) == expected
    assert filter_sentences(index, SentenceQuery(entity="Germany", entity_type="LOC"))  # found as LOC ...
    assert not filter_sentences(index, SentenceQuery(entity="Germany", entity_type="ORG"))  # ... never as ORG
    # the whole entity, not a part: a sentence whose only Germany entity is "West Germany" is not found
    assert filter_sentences(index, SentenceQuery(entity="West Germany")) != filter_sentences(
        index, SentenceQuery(entity="Germany"))


def test_text_type_and_entity_filters_combine(validation):
    _, index, sentences = validation
    query = SentenceQuery(text="the", types=("PER",), entity="Germany", entity_type="LOC")
    expected = [i for i, s in enumerate(sentences)
                if "the" in " ".join(s.tokens).lower() and any(label == "PER" for label, _ in entities_of(s))
                and ("LOC", "Germany") in entities_of(s)]
    assert expected and filter_sentences(index, query) == expected


def test_subset_statistics_count_the_matching_sentences(validation):
    _, index, sentences = validation
    matches = filter_sentences(index, SentenceQuery(entity="Germany"))
    stats = subset_statistics(index, matches)
    chosen = [sentences[i] for i in matches]
    assert (stats.sentences, stats.tokens, stats.of_sentences) == (len(chosen), sum(len(s) for s in chosen), len(sentences))
    per_type = {}
    for sentence in chosen:
        for label, _ in entities_of(sentence):
            per_type[label] = per_type.get(label, 0) + 1
    assert stats.per_type == per_type and stats.entities == sum(per_type.values())
    assert stats.table()["what"].tolist()[:3] == ["sentences", "tokens", "entities"]


def test_document_context_stays_inside_the_documents_of_the_file(validation):
    _, index, sentences = validation
    for sentence in (0, 1, 7, 500, len(sentences) - 1):
        context = document_context(index, sentence, around=3)
        assert sentence in context and context == list(range(context[0], context[-1] + 1))
        assert {sentences[i].document for i in context} == {sentences[sentence].document}
        # it stops only at the document's edge or after `around` sentences
        before, after = context[0] - 1, context[-1] + 1
        assert sentence - context[0] == 3 or before < 0 or sentences[before].document != sentences[sentence].document
        assert context[-1] - sentence == 3 or after >= len(sentences) or sentences[after].document != sentences[sentence].document


def test_token_table_holds_the_files_columns(validation):
    dataset, _, sentences = validation
    table = token_table(dataset, 5)
    assert list(table.columns) == ["#", "token", "POS", "chunk", "NER"]
    assert table["token"].tolist() == sentences[5].tokens
    assert table["POS"].tolist() == sentences[5].pos_tags and table["chunk"].tolist() == sentences[5].chunk_tags
    assert table["NER"].tolist() == sentences[5].ner_tags


def test_hits_are_highlighted_inside_entities_and_a_hostile_query_is_escaped():
    words = ["<script>alert(1)</script>", "met", "Germany", "in", "germany"]
    spans = [Span("ORG", 0, 1), Span("LOC", 2, 3)]
    query = SentenceQuery(text="<script>alert(1)</script>")
    markup = render_words(words, spans, hits=hit_ranges(words, spans, query), include_style=False)
    assert "<script>" not in markup
    assert '<mark class="hit">&lt;script&gt;alert(1)&lt;/script&gt;</mark>' in markup
    # a hit inside an entity mark, and both occurrences of a word whatever its case
    markup = render_words(words, spans, hits=hit_ranges(words, spans, SentenceQuery(text="GERMANY")), include_style=False)
    assert markup.count('<mark class="hit">') == 2
    assert re.search(r'data-label="LOC"><mark class="hit">Germany</mark>', markup)
    # an entity search highlights only the entity of that type
    only = hit_ranges(words, spans, SentenceQuery(entity="germany", entity_type="LOC"))
    assert only == [(len("<script>alert(1)</script> met "), len("<script>alert(1)</script> met Germany"))]
    # the text a browser shows is unchanged by highlighting
    plain = re.sub(r"<[^>]+>", "", re.sub(r'<span class="lbl">.*?</span>', "", markup))
    assert html.unescape(plain) == " ".join(words)


def test_render_sentences_marks_the_found_sentence(validation):
    dataset, index, _ = validation
    hit = filter_sentences(index, SentenceQuery(entity="Germany", entity_type="LOC"))[0]
    context = document_context(index, hit, around=1)
    markup = render_sentences(dataset, context, SentenceQuery(entity="Germany", entity_type="LOC"), focus=hit)
    assert markup.count("found here") == 1 and markup.count('class="nerd-found"') == 1
    assert f"#{hit} · document" in markup.split('class="nerd-found"')[1][:200]
    assert '<mark class="hit">Germany</mark>' in markup

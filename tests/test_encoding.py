"""The shared encoder: labels only on target words, context from the same document only, the
context budget, truncation and overlap; training and tagging build identical inputs."""

import pytest

pytest.importorskip("torch")

from nerlib.data.labels import NER_LABELS  # noqa: E402
from nerlib.modeling.alignment import IGNORE_INDEX, tokenize_and_align  # noqa: E402
from nerlib.modeling.encoding import (  # noqa: E402
    Window,
    context_config,
    encode_examples,
    encode_words,
    merge_windows,
    read_context_config,
    sentence_windows,
    special_tokens,
)
from tests.test_tagger import build_tokenizer  # noqa: E402

# three documents; each word names its document and sentence so context can be read back
SENTENCES = [["Paris", "a", "visited"], ["Berlin", "the"], ["Angela", "Merkel", "met"],
             ["Acme", "Corp."],
             ["York", "said", "in", "Nairobi"], ["Olympics"]]
DOCUMENTS = [0, 0, 0, 1, 2, 2]
LABELS = [[NER_LABELS.index(t) for t in tags] for tags in
          [["B-LOC", "O", "O"], ["B-LOC", "O"], ["B-PER", "I-PER", "O"], ["B-ORG", "I-ORG"],
           ["B-LOC", "O", "O", "B-LOC"], ["B-MISC"]]]


@pytest.fixture(scope="module")
def tokenizer():
    return build_tokenizer()


def _decode_context(tokenizer, ids):
    return tokenizer.convert_ids_to_tokens(ids)


def test_without_context_equals_plain_alignment(tokenizer):
    ours = encode_examples(tokenizer, SENTENCES, LABELS, max_length=64, documents=DOCUMENTS, context=0)
    plain = tokenize_and_align({"tokens": SENTENCES, "ner_tags": LABELS}, tokenizer, max_length=64)
    assert ours.input_ids == plain["input_ids"]
    assert ours.labels == plain["labels"]
    assert ours.truncated == 0 and ours.context_tokens == 0


@pytest.mark.parametrize("context", [None, 1, 2, 3, 100])
@pytest.mark.parametrize("max_length", [8, 12, 40])
def test_context_labels_and_document_boundaries(tokenizer, context, max_length):
    encoded = encode_words(tokenizer, SENTENCES)
    examples = encode_examples(tokenizer, SENTENCES, LABELS, max_length=max_length, documents=DOCUMENTS,
                               context=context)
    prefix, suffix = special_tokens(tokenizer)
    for index, (ids, labels, word_ids) in enumerate(zip(examples.input_ids, examples.labels, examples.word_ids)):
        assert len(ids) <= max_length
        target = [p for p, w in enumerate(word_ids) if w >= 0]
        # labels only on target words' first sub-tokens, and exactly the gold ones
        labelled = [p for p, label in enumerate(labels) if label != IGNORE_INDEX]
        assert set(labelled) <= set(target)
        words = [word_ids[p] for p in labelled]
        assert words == sorted(set(words))
        assert [labels[p] for p in labelled] == [LABELS[index][w] for w in words]
        # the context around the target comes from the same document only, in order
        begin, end = min(target), max(target) + 1
        left = ids[len(prefix):begin]
        right = ids[end:len(ids) - len(suffix)]
        same_doc = [i for i, d in enumerate(DOCUMENTS) if d == DOCUMENTS[index]]
        before = [t for j in same_doc if j < index for t in encoded[j].ids]
        after = [t for j in same_doc if j > index for t in encoded[j].ids]
        assert left == (before[len(before) - len(left):] if left else [])
        assert right == after[:len(right)]
        if context is not None:
            assert len(left) <= context and len(right) <= context
        room = max_length - len(prefix) - len(suffix) - len(encoded[index].ids)
        if room > 0 and context is None:  # fills the window as far as the document allows
            assert len(left) + len(right) == min(room, len(before) + len(after))


def test_a_sentence_alone_in_its_document_gets_no_context(tokenizer):
    examples = encode_examples(tokenizer, SENTENCES, LABELS, max_length=64, documents=DOCUMENTS, context=None)
    plain = encode_examples(tokenizer, SENTENCES, LABELS, max_length=64)
    assert examples.input_ids[3] == plain.input_ids[3]  # document 1 has one sentence
    assert examples.input_ids[0] != plain.input_ids[0]


def test_truncation_and_overlap(tokenizer):
    long = [["Paris", "visited", "Berlin", "and", "York"] * 4]
    encoded = encode_words(tokenizer, long)
    prefix, suffix = special_tokens(tokenizer)
    windows, truncated = sentence_windows(encoded, max_length=10, prefix=prefix, suffix=suffix)
    assert truncated == 1 and len(windows) == 1
    windows, truncated = sentence_windows(encoded, max_length=10, prefix=prefix, suffix=suffix, overlap=3)
    assert truncated == 0 and windows[-1].end_word == 20
    covered = sorted({w for win in windows for w in range(win.first_word, win.end_word)})
    assert covered == list(range(20))
    assert all(len(w.input_ids) <= 10 for w in windows)


def _window(sentence: int, first_word: int, end_word: int) -> Window:
    """A window over words ``[first_word, end_word)``; merging reads only the word range."""
    return Window(sentence, first_word, end_word, [], 0, 0, [])


def test_merge_takes_each_word_from_the_window_with_most_context_on_its_poorer_side():
    """Each overlapping window labels all its words with its own number, so the merged labels say
    which window each word came from. A word's margin in a window is the context on its poorer side
    (``np.minimum`` of the words left and right of it); the outer side of a sentence's first and
    last window is no edge."""
    import numpy as np

    windows = [
        # sentence 0, nine words: A = words 0-3, B = 2-6, C = 5-8
        _window(0, 0, 4), _window(0, 2, 7), _window(0, 5, 9),
        # sentence 1, six words: D = words 0-3, E = 2-5
        _window(1, 0, 4), _window(1, 2, 6),
        # sentence 2: three words in one window; sentence 3 has no words, so no window
        _window(2, 0, 3),
    ]
    numbers = [1, 2, 3, 4, 5, 6]
    labels = [np.full(w.end_word - w.first_word, n, dtype=np.int64) for w, n in zip(windows, numbers)]
    scores = [np.full(w.end_word - w.first_word, n / 8, dtype=np.float32) for w, n in zip(windows, numbers)]
    merged = merge_windows(windows, [9, 6, 3, 0], labels, scores)
    # word 2: margin 1 in A (one word right of it), 0 in B (on B's left edge): A's.
    # word 3: 0 in A (A's right edge), 1 in B: B's. Word 5: 1 in B, 0 in C: B's. Word 6: 0 in B, 1 in C: C's.
    assert merged[0][0].tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    # word 2: 1 in D, 0 in E; word 3: 0 in D, 1 in E (the larger margin would give D both)
    assert merged[1][0].tolist() == [4, 4, 4, 5, 5, 5]
    assert merged[0][1].tolist() == [n / 8 for n in [1, 1, 1, 2, 2, 2, 3, 3, 3]]  # the score comes along
    assert merged[2][0] is labels[-1] and merged[2][1] is scores[-1]  # a sentence's only window as it is
    assert merged[3][0].tolist() == [] and merged[3][1].dtype == np.float32


# words the test tokenizer cuts into several sub-tokens (checked in the test), one per entity kind:
# a B- word, an I- word continuing the entity before it, an O word of one piece, a type change
MULTI_PIECE_WORDS = ["Parisberg", "Merkelson", "Jonesboro", "visited", "Acmeville", "Corporation", "Smithsonian"]
MULTI_PIECE_TAGS = ["B-LOC", "B-PER", "I-PER", "O", "B-ORG", "I-ORG", "B-MISC"]
MULTI_PIECE_COUNTS = [4, 4, 4, 1, 6, 7, 7]  # sub-tokens per word


@pytest.mark.parametrize("documents", [None, [0, 0, 0]], ids=["alone", "with-context"])
@pytest.mark.parametrize("strategy", ["first", "all"])
def test_words_of_several_sub_tokens_keep_their_label_on_the_first_and_i_on_the_rest(tokenizer, strategy, documents):
    """Hand-written targets per sub-token: a word's first sub-token carries its own label (B- stays
    B-, I- stays I-); with ``all`` every continuation carries the I- of the word's type, with
    ``first`` none is labelled. Context sub-tokens (the sentences around it) carry no label."""
    assert [len(tokenizer.tokenize(w)) for w in MULTI_PIECE_WORDS] == MULTI_PIECE_COUNTS
    sentences = [["the", "report"], MULTI_PIECE_WORDS, ["said", "Paris"]]
    tags = [["O", "O"], MULTI_PIECE_TAGS, ["O", "B-LOC"]]
    examples = encode_examples(tokenizer, sentences, [[NER_LABELS.index(t) for t in s] for s in tags],
                               max_length=64, documents=documents, context=None, strategy=strategy,
                               label_names=NER_LABELS)
    rest = "ignored" if strategy == "first" else None
    expected = [
        "B-LOC", *[rest or "I-LOC"] * 3,    # Parisberg
        "B-PER", *[rest or "I-PER"] * 3,    # Merkelson
        "I-PER", *[rest or "I-PER"] * 3,    # Jonesboro
        "O",                                # visited
        "B-ORG", *[rest or "I-ORG"] * 5,    # Acmeville
        "I-ORG", *[rest or "I-ORG"] * 6,    # Corporation
        "B-MISC", *[rest or "I-MISC"] * 6,  # Smithsonian
    ]
    labels, word_ids = examples.labels[1], examples.word_ids[1]
    target = [p for p, w in enumerate(word_ids) if w >= 0]
    assert [word_ids[p] for p in target] == [w for w, n in enumerate(MULTI_PIECE_COUNTS) for _ in range(n)]
    names = ["ignored" if labels[p] == IGNORE_INDEX else NER_LABELS[labels[p]] for p in target]
    assert names == expected
    outside = [labels[p] for p in range(len(labels)) if p not in set(target)]
    assert outside == [IGNORE_INDEX] * len(outside)
    if documents is not None:  # the context really was there, and unlabelled
        assert len(outside) > 2


def test_context_config_round_trip():
    class Config:
        pass

    config = Config()
    assert read_context_config(config)["document_context"] is False
    assert read_context_config(config)["word_pooling"] == "first"
    config.nerlib_encoding = context_config(64, enabled=True, max_length=128, word_pooling="mean")
    assert read_context_config(config) == {"document_context": True, "context_size": 64, "max_length": 128,
                                           "word_pooling": "mean"}
    config.nerlib_encoding = {"document_context": False, "context_size": 0, "max_length": 128}  # an older record
    assert read_context_config(config)["word_pooling"] == "first"


def test_tagger_uses_the_same_windows(tokenizer):
    """The tagger's model input for a sentence equals the training example's input."""
    from nerlib.tagging.tagger import Tagger
    from tests.test_tagger import build_keyword_model

    model, tok = build_keyword_model()
    examples = encode_examples(tok, SENTENCES, LABELS, max_length=16, documents=DOCUMENTS, context=None)
    tagger = Tagger(model, tok, device="cpu", max_length=16, document_context=True, context_size=None)
    seen = []
    original = tagger.model.forward

    def spy(*args, **kwargs):
        ids, mask = kwargs["input_ids"], kwargs["attention_mask"]
        seen.extend(row[: int(m.sum())].tolist() for row, m in zip(ids, mask))
        return original(*args, **kwargs)

    tagger.model.forward = spy
    tagged = tagger.tag_words(SENTENCES, documents=DOCUMENTS)
    assert sorted(seen) == sorted(examples.input_ids)
    # the keyword model's labels, repaired by hand: York (I-LOC) and Nairobi (I-LOC) follow O
    assert [t.labels for t in tagged] == [["B-LOC", "O", "O"], ["B-LOC", "O"], ["B-PER", "B-PER", "O"],
                                          ["B-ORG", "I-ORG"], ["B-LOC", "O", "O", "B-LOC"], ["B-MISC"]]

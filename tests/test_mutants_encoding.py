"""Training examples (``encode_examples`` and its helpers): cases that kill the mutants
`bench/mutation.py` found surviving in nerlib.modeling.encoding. Every expected sequence is
written out by hand from the hand-made vocabulary in ``wordpiece_by_hand``.
"""

from __future__ import annotations

import pytest
from wordpiece_by_hand import CLS, SEP, VOCAB, hand_tokenizer

from nerlib.modeling.encoding import context_config, encode_examples, encode_words, read_context_config

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
OUT, B_PER, I_PER, B_LOC = 0, 1, 2, 3
IGNORE = -100
JO, HN, NY = VOCAB["Jo"], VOCAB["##hn"], VOCAB["##ny"]


def test_all_strategy_gives_every_continuation_the_inside_label():
    # "Johnny ran" = [CLS] Jo ##hn ##ny ran [SEP]; "John John" = [CLS] Jo ##hn Jo ##hn [SEP]
    out = encode_examples(hand_tokenizer(), [["Johnny", "ran"], ["John", "John"]], [[B_PER, OUT], [B_PER, B_PER]],
                          max_length=32, strategy="all", label_names=LABELS)
    assert out.input_ids == [[CLS, JO, HN, NY, VOCAB["ran"], SEP], [CLS, JO, HN, JO, HN, SEP]]
    assert out.labels == [[IGNORE, B_PER, I_PER, I_PER, OUT, IGNORE], [IGNORE, B_PER, I_PER, B_PER, I_PER, IGNORE]]
    assert out.word_ids == [[-1, 0, 0, 0, 1, -1], [-1, 0, 0, 1, 1, -1]]
    assert (out.truncated, out.context_tokens, len(out)) == (0, 0, 2)


def test_first_strategy_ignores_continuations_even_with_label_names():
    for label_names in (None, LABELS):
        out = encode_examples(hand_tokenizer(), [["Johnny", "ran"]], [[B_PER, OUT]], max_length=32,
                              strategy="first", label_names=label_names)
        assert out.labels == [[IGNORE, B_PER, IGNORE, IGNORE, OUT, IGNORE]]


def test_without_labels_everything_is_ignored_but_word_ids_are_kept():
    out = encode_examples(hand_tokenizer(), [["John", "ran"]], None, max_length=32)
    assert out.labels == [[IGNORE] * 5]
    assert out.word_ids == [[-1, 0, 0, 1, -1]]


def test_an_empty_sentence_gets_only_the_special_tokens_and_the_next_one_is_still_encoded():
    out = encode_examples(hand_tokenizer(), [["ran"], [], ["Paris"]], [[OUT], [], [B_LOC]], max_length=32)
    assert out.input_ids == [[CLS, VOCAB["ran"], SEP], [CLS, SEP], [CLS, VOCAB["Paris"], SEP]]
    assert out.labels == [[IGNORE, OUT, IGNORE], [IGNORE, IGNORE], [IGNORE, B_LOC, IGNORE]]
    assert out.word_ids == [[-1, 0, -1], [-1, -1], [-1, 0, -1]]


def test_a_long_sentence_keeps_its_first_window_and_counts_as_truncated():
    out = encode_examples(hand_tokenizer(), [["the", "ran", "in", "Rome"]], [[OUT, OUT, OUT, B_LOC]], max_length=4)
    assert out.input_ids == [[CLS, VOCAB["the"], VOCAB["ran"], SEP]]
    assert out.labels == [[IGNORE, OUT, OUT, IGNORE]] and out.truncated == 1


def test_an_over_long_word_is_cut_inside_the_window():
    # "Johnny" is three pieces; max_length 4 leaves room for two: Jo ##hn, and [SEP] stays unlabelled.
    out = encode_examples(hand_tokenizer(), [["Johnny"]], [[B_PER]], max_length=4, strategy="all",
                          label_names=LABELS)
    assert out.input_ids == [[CLS, JO, HN, SEP]]
    assert out.labels == [[IGNORE, B_PER, I_PER, IGNORE]]
    assert out.word_ids == [[-1, 0, 0, -1]]


def test_document_context_is_off_by_default_and_counted_when_on():
    words = [["the"], ["John"], ["ran"]]
    labels = [[OUT], [B_PER], [OUT]]
    plain = encode_examples(hand_tokenizer(), words, labels, max_length=32, documents=["d", "d", "d"])
    assert plain.input_ids[1] == [CLS, JO, HN, SEP] and plain.context_tokens == 0
    on = encode_examples(hand_tokenizer(), words, labels, max_length=32, documents=["d", "d", "d"], context=8)
    # sentence 0: right context "Jo ##hn ran" (3); sentence 1: "the" + "ran" (2); sentence 2: "the Jo ##hn" (3)
    assert on.input_ids[1] == [CLS, VOCAB["the"], JO, HN, VOCAB["ran"], SEP]
    assert on.labels[1] == [IGNORE, IGNORE, B_PER, IGNORE, IGNORE, IGNORE]
    assert on.word_ids[1] == [-1, -1, 0, 0, -1, -1]
    assert on.context_tokens == 3 + 2 + 3


def test_bad_strategy_arguments_are_named():
    with pytest.raises(ValueError, match="unknown alignment strategy 'last'; use 'first' or 'all'"):
        encode_examples(hand_tokenizer(), [["ran"]], [[OUT]], max_length=8, strategy="last")
    with pytest.raises(ValueError, match="^strategy='all' needs label_names$"):
        encode_examples(hand_tokenizer(), [["ran"]], [[OUT]], max_length=8, strategy="all")


def test_an_unknown_word_gets_the_unknown_token():
    (encoded,) = encode_words(hand_tokenizer(), [["ran", "Zürich"]])
    assert encoded.ids == [VOCAB["ran"], VOCAB["[UNK]"]] and encoded.starts.tolist() == [0, 1, 2]


def test_context_config_records():
    assert context_config(8, enabled=True, max_length=128) == {
        "document_context": True, "context_size": 8, "max_length": 128, "word_pooling": "first"}
    assert context_config(8, enabled=False, max_length=64)["context_size"] == 0
    assert read_context_config(object()) == {"document_context": False, "context_size": 0, "max_length": None,
                                             "word_pooling": "first"}


def split_dataset(with_documents: bool):
    import datasets

    columns = {"tokens": [["the"], ["John", "ran"], ["Paris"]], "ner_tags": [[OUT], [B_PER, OUT], [B_LOC]]}
    if with_documents:
        columns["document"] = [0, 0, 1]
    return datasets.Dataset.from_dict(columns)


def test_encode_split_keeps_words_gold_labels_and_documents():
    from nerlib.modeling.encoding import encode_split

    split = encode_split("validation", split_dataset(True), hand_tokenizer(), LABELS, "all", max_length=32,
                         context=None)
    assert split.name == "validation" and len(split) == 3 and split.truncated == 0 and split.seen is None
    assert split.tokens == [["the"], ["John", "ran"], ["Paris"]]
    assert split.gold == [["O"], ["B-PER", "O"], ["B-LOC"]]
    # sentence 1 sees "the" on its left (same document), not "Paris" (the next document)
    assert split.input_ids[1] == [CLS, VOCAB["the"], JO, HN, VOCAB["ran"], SEP]
    assert split.labels[1] == [IGNORE, IGNORE, B_PER, I_PER, OUT, IGNORE]
    assert split.word_ids[1] == [-1, -1, 0, 0, 1, -1]
    assert split.lengths == [6, 6, 3]  # "the" sees "Jo ##hn ran" on its right; "Paris" is alone
    # documents but the default context (none): nothing around the targets
    plain = encode_split("test", split_dataset(True), hand_tokenizer(), LABELS, "first", max_length=4)
    assert plain.input_ids == [[CLS, VOCAB["the"], SEP], [CLS, JO, HN, SEP], [CLS, VOCAB["Paris"], SEP]]
    assert plain.labels[1] == [IGNORE, B_PER, IGNORE, IGNORE] and plain.truncated == 1
    no_documents = encode_split("test", split_dataset(False), hand_tokenizer(), LABELS, "first", max_length=32,
                                context=None)
    assert no_documents.input_ids[0] == [CLS, VOCAB["the"], SEP]  # without documents, no context


def test_a_word_the_tokenizer_drops_gets_the_unknown_token():
    # "\x00" is removed by the normalizer: no sub-token; it gets [UNK] so it can carry a label.
    (encoded,) = encode_words(hand_tokenizer(), [["John", "\x00", "ran"]])
    assert encoded.ids == [JO, HN, VOCAB["[UNK]"], VOCAB["ran"]] and encoded.starts.tolist() == [0, 2, 3, 4]
    # also when no other word of the sequence is a single sub-token
    (encoded,) = encode_words(hand_tokenizer(), [["John", "\x00"]])
    assert encoded.ids == [JO, HN, VOCAB["[UNK]"]] and encoded.starts.tolist() == [0, 2, 3]


def test_words_are_never_truncated_by_the_tokenizers_maximum_length():
    words = ["John", "Johnny", "the", "ran", "Paris"]  # 2 + 3 + 1 + 1 + 1 sub-tokens, over a maximum of 4
    (encoded,) = encode_words(hand_tokenizer(model_max_length=4), [words])
    assert encoded.ids == [JO, HN, JO, HN, NY, VOCAB["the"], VOCAB["ran"], VOCAB["Paris"]]
    assert encoded.starts.tolist() == [0, 2, 5, 6, 7, 8]


@pytest.mark.parametrize("chunk", [1, 1000])
def test_many_distinct_words_go_through_in_several_sequences(chunk):
    # 300 distinct words: three pseudo-sentences of at most 128 words for the tokenizer
    words = [f"w{i}" for i in range(300)] + ["John"]
    (encoded,) = encode_words(hand_tokenizer(), [words], chunk=chunk)
    assert encoded.ids == [VOCAB["[UNK]"]] * 300 + [JO, HN]
    assert encoded.starts.tolist() == [*range(301), 302]


def test_document_ids_must_match_the_sentences():
    from nerlib.modeling.encoding import document_ids

    assert document_ids(None, 3) == [0, 1, 2]
    with pytest.raises(ValueError, match="^1 document ids for 2 sentences$"):
        document_ids(["a"], 2)


@pytest.mark.parametrize(("pad_token", "fill"), [("[SEP]", SEP), (None, 0)])
def test_without_an_unknown_token_a_dropped_word_gets_the_padding_token_or_zero(pad_token, fill):
    from transformers import PreTrainedTokenizerFast

    backend = hand_tokenizer().backend_tokenizer
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, **({"pad_token": pad_token} if pad_token else {}))
    assert tokenizer.unk_token_id is None
    (encoded,) = encode_words(tokenizer, [["ran", "\x00"]])
    assert encoded.ids == [VOCAB["ran"], fill] and encoded.starts.tolist() == [0, 1, 2]

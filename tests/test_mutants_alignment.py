"""Label alignment: cases that kill the mutants `bench/mutation.py` found surviving in
nerlib.modeling.alignment. A hand-made WordPiece vocabulary makes every sub-token count known.
"""

from __future__ import annotations

import datasets
import pytest
from wordpiece_by_hand import hand_tokenizer

from nerlib.modeling.alignment import align_dataset, inside_label_ids, tokenize_and_align, word_level_predictions


class WithoutMaxLength:
    """A tokenizer that does not say its maximum length (tokenize_and_align then assumes 512)."""

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, *args, **kwargs):
        return self.inner(*args, **kwargs)


def words_cut(tokenizer, n_words: int, max_length: int | None = None) -> int:
    batch = tokenize_and_align({"tokens": [["the"] * n_words], "ner_tags": [[0] * n_words]}, tokenizer,
                               max_length=max_length)
    return batch["words_cut"][0]


def test_the_tokenizers_own_maximum_length_is_the_default():
    assert words_cut(hand_tokenizer(16), 40) == 40 - 14  # [CLS] + 14 words + [SEP]
    assert words_cut(hand_tokenizer(16), 40, max_length=10) == 40 - 8


def test_a_tokenizer_without_a_maximum_length_is_cut_at_512():
    assert words_cut(WithoutMaxLength(hand_tokenizer(16)), 600) == 600 - 510


def test_an_unbounded_tokenizer_is_cut_at_100_000_sub_tokens():
    assert words_cut(hand_tokenizer(int(1e30)), 100_001) == 100_001 - 99_998


def test_inside_ids_map_only_b_labels_and_keep_labels_without_an_i_form():
    assert inside_label_ids(["O", "B-PER", "I-PER", "E-PER", "S-PER"]) == [0, 2, 2, 3, 4]
    assert inside_label_ids(["O", "B-X", "B-Y", "I-Y"]) == [0, 1, 3, 3]


def dataset(tokens, tags, names):
    features = datasets.Features({
        "tokens": datasets.Sequence(datasets.Value("string")),
        "ner_tags": datasets.Sequence(datasets.ClassLabel(names=names)),
    })
    return datasets.Dataset.from_dict({"tokens": tokens, "ner_tags": tags}, features=features)


def test_align_dataset_reads_the_label_names_from_the_dataset():
    # Label ids of this dataset: O=0, I-X=1, B-X=2. "John" (B-X) is Jo ##hn: ##hn gets I-X = 1.
    data = dataset([["John", "ran"]], [[2, 0]], ["O", "I-X", "B-X"])
    aligned = align_dataset(data, hand_tokenizer(64), strategy="all")
    assert aligned.dataset["labels"][0] == [-100, 2, 1, 0, -100]


def test_a_sentence_losing_one_word_counts_as_truncated():
    data = dataset([["the", "ran", "Paris", "the"], ["the"]], [[0, 0, 0, 0], [0]], ["O", "B-X", "I-X"])
    aligned = align_dataset(data, hand_tokenizer(64), max_length=5)  # [CLS] + 3 words + [SEP]
    assert list(aligned.dataset["words_cut"]) == [1, 0]
    assert aligned.truncated_sentences == 1


def test_word_level_predictions_edges():
    assert word_level_predictions([None, None], ["-", "-"]) == []
    assert word_level_predictions([], []) == []
    # a word id at or past num_words is dropped, not an error
    assert word_level_predictions([None, 0, 1, 2, None], ["-", "a", "b", "c", "-"], num_words=2) == ["a", "b"]


@pytest.mark.parametrize("strategy", ["first", "all"])
def test_continuations_of_a_two_piece_word(strategy):
    data = dataset([["John", "John"]], [[1, 1]], ["O", "B-PER", "I-PER"])
    aligned = align_dataset(data, hand_tokenizer(64), strategy=strategy)
    rest = -100 if strategy == "first" else 2
    # a second B-PER word after the first keeps its own B- on its first piece
    assert aligned.dataset["labels"][0] == [-100, 1, rest, 1, rest, -100]


def test_align_labels_defaults_to_the_first_strategy():
    from nerlib.modeling.alignment import align_labels

    assert align_labels([None, 0, 0, 1, None], [1, 0]) == [-100, 1, -100, 0, -100]


def test_an_empty_sentence_has_no_words_cut():
    batch = tokenize_and_align({"tokens": [[], ["the"]], "ner_tags": [[], [0]]}, hand_tokenizer(64))
    assert batch["words_cut"] == [0, 0]
    assert batch["labels"] == [[-100, -100], [-100, 0, -100]]

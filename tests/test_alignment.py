"""Label alignment on a real fast WordPiece tokenizer trained from the CoNLL++ training tokens."""

import datasets
import pytest

from nerlib.data.labels import NER_LABELS, label2id
from nerlib.modeling.alignment import (
    IGNORE_INDEX,
    align_dataset,
    align_labels,
    inside_label_ids,
    tokenize_and_align,
    word_level_predictions,
)

ids = label2id()


def test_inside_ids():
    inside = inside_label_ids()
    assert NER_LABELS[inside[ids["B-PER"]]] == "I-PER"
    assert inside[ids["O"]] == ids["O"] and inside[ids["I-LOC"]] == ids["I-LOC"]


def test_align_labels_by_hand():
    word_ids = [None, 0, 0, 1, 2, 2, 2, None]
    labels = [ids["B-PER"], ids["O"], ids["B-LOC"]]
    assert align_labels(word_ids, labels, "first") == [
        -100, ids["B-PER"], -100, ids["O"], ids["B-LOC"], -100, -100, -100,
    ]
    assert align_labels(word_ids, labels, "all") == [
        -100, ids["B-PER"], ids["I-PER"], ids["O"], ids["B-LOC"], ids["I-LOC"], ids["I-LOC"], -100,
    ]
    with pytest.raises(ValueError, match="unknown alignment strategy 'last'; use 'first' or 'all'"):
        align_labels(word_ids, labels, "last")


@pytest.mark.parametrize("strategy", ["first", "all"])
def test_real_tokenizer_alignment(wordpiece_tokenizer, strategy):
    words = ["Rumplestiltskinovich", "visited", "Wolverhampton", "."]
    labels = [ids["B-PER"], ids["O"], ids["B-LOC"], ids["O"]]
    encoded = wordpiece_tokenizer(words, is_split_into_words=True)
    word_ids = encoded.word_ids()
    assert word_ids[0] is None and word_ids[-1] is None
    assert word_ids.count(0) > 1, "the made-up name must split into several pieces"
    aligned = align_labels(word_ids, labels, strategy)
    assert len(aligned) == len(encoded["input_ids"])
    assert aligned[0] == aligned[-1] == IGNORE_INDEX
    pieces_of_name = [label for w, label in zip(word_ids, aligned) if w == 0]
    expected_rest = IGNORE_INDEX if strategy == "first" else ids["I-PER"]
    assert pieces_of_name == [ids["B-PER"]] + [expected_rest] * (len(pieces_of_name) - 1)
    # round trip: first sub-token labels back to one label per word
    assert word_level_predictions(word_ids, aligned) == labels


def test_batched_map_reports_truncation(wordpiece_tokenizer):
    features = datasets.Features({
        "tokens": datasets.Sequence(datasets.Value("string")),
        "ner_tags": datasets.Sequence(datasets.ClassLabel(names=list(NER_LABELS))),
    })
    data = datasets.Dataset.from_dict(
        {"tokens": [["Anna", "sings"], ["the"] * 40], "ner_tags": [[1, 0], [0] * 40]}, features=features
    )
    aligned = align_dataset(data, wordpiece_tokenizer, max_length=16)
    assert aligned.truncated_sentences == 1
    assert list(aligned.dataset["words_cut"]) == [0, 40 - 14]  # [CLS] + 14 words + [SEP]
    assert all(len(row) <= 16 for row in aligned.dataset["input_ids"])
    assert aligned.dataset.column_names == ["input_ids", "attention_mask", "labels", "words_cut"]
    batch = tokenize_and_align({"tokens": [["Anna"]], "ner_tags": [[1]]}, wordpiece_tokenizer)
    assert batch["labels"][0][1] == 1 and batch["words_cut"] == [0]


def test_word_level_predictions_fill_for_cut_words():
    assert word_level_predictions([None, 0, 0, 1, None], ["-", "B-PER", "I-PER", "O", "-"], num_words=3, fill="O") == [
        "B-PER", "O", "O",
    ]


def test_alignment_on_the_shared_data(conllpp, wordpiece_tokenizer):
    sample = conllpp["validation"].select(range(200))
    aligned = align_dataset(sample, wordpiece_tokenizer, strategy="first")
    assert aligned.truncated_sentences == 0
    for row, original in zip(aligned.dataset, sample):
        words = wordpiece_tokenizer(original["tokens"], is_split_into_words=True).word_ids()
        assert word_level_predictions(words, row["labels"]) == original["ner_tags"]


def test_wordpiece_tokenizer_saves_and_reloads(wordpiece_tokenizer, tmp_path):
    from transformers import AutoTokenizer

    wordpiece_tokenizer.save_pretrained(tmp_path)
    again = AutoTokenizer.from_pretrained(tmp_path)
    words = ["Müller", "joined", "Siemens", "AG", "."]
    assert again(words, is_split_into_words=True)["input_ids"] == wordpiece_tokenizer(words, is_split_into_words=True)["input_ids"]
    assert again.is_fast and again.cls_token == "[CLS]"

"""Label issues without a model: cleanlab scores on constructed distributions, the review file, the
byte-exact export, fold plans and the recorded recipe.

The model-backed paths (the CLI, one pass and K-fold) are in tests/test_label_issues_cli.py.
"""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from nerlib.data.conll import read_conll
from nerlib.quality.folds import fold_assignment, recipe_arguments
from nerlib.quality.review import (
    ReviewFile,
    ReviewFileError,
    StaleReviewError,
    export_corrected,
    file_sha256,
    review_path,
)
from nerlib.quality.scores import UnknownLabelsError, entity_issues, find_sentence_issues

LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


def confident(tags: list[str], sure: float = 0.96) -> np.ndarray:
    """Distributions that put ``sure`` on each tag and spread the rest."""
    rows = np.full((len(tags), len(LABELS)), (1 - sure) / (len(LABELS) - 1))
    for i, tag in enumerate(tags):
        rows[i, LABELS.index(tag)] = sure
    return rows


def corpus():
    """42 sentences: 40 whose labels agree with the model, and two that do not (index 7 and 23)."""
    tokens, given, model = [], [], []
    for _ in range(42):
        words = ["Ada", "met", "Acme", "in", "Rome", "."]
        tags = ["B-PER", "O", "B-ORG", "O", "B-LOC", "O"]
        tokens.append(words)
        given.append(list(tags))
        model.append(list(tags))
    given[7][4] = "B-ORG"                       # Rome ORG -> LOC: a wrong type
    given[23][0] = "O"                          # Ada: a missed person
    return tokens, given, [confident(t) for t in model]


def test_the_mislabelled_sentences_rank_first_with_the_right_suggestion():
    tokens, given, probabilities = corpus()
    issues = find_sentence_issues(tokens, given, probabilities, LABELS, lines=list(range(1, 43)))
    assert {issues[0].sentence, issues[1].sentence} == {7, 23}
    by_sentence = {issue.sentence: issue for issue in issues}
    assert by_sentence[7].flagged == [4]
    assert by_sentence[7].suggested == ["B-PER", "O", "B-ORG", "O", "B-LOC", "O"]
    assert [str(e) for e in by_sentence[7].entities] == ["Rome ORG -> LOC (wrong type)"]
    assert [e.kind for e in by_sentence[23].entities] == ["missed"]
    assert all(not issue.flagged and issue.suggested == issue.given for issue in issues[2:])
    assert 0 <= issues[0].quality < issues[2].quality <= 1
    line = json.loads(json.dumps(by_sentence[7].to_dict()))
    assert {"sentence", "quality", "tokens", "given", "suggested", "flagged"} <= set(line)


@pytest.mark.parametrize("method", ["min", "softmin", "product"])
def test_every_sentence_method_ranks_the_errors_first(method):
    tokens, given, probabilities = corpus()
    issues = find_sentence_issues(tokens, given, probabilities, LABELS, sentence_method=method)
    assert {issues[0].sentence, issues[1].sentence} == {7, 23}


def test_labels_outside_the_model_are_named():
    tokens, given, probabilities = corpus()
    given[3][1] = "B-DATE"
    with pytest.raises(UnknownLabelsError, match=r"B-DATE \(1 word, first in sentence 3, line 4\)"):
        find_sentence_issues(tokens, given, probabilities, LABELS, lines=list(range(1, 43)), source="x.txt")


def test_empty_input_and_empty_sentences():
    assert find_sentence_issues([], [], [], LABELS) == []
    tokens, given, probabilities = corpus()
    issues = find_sentence_issues([*tokens, []], [*given, []], [*probabilities, np.zeros((0, 9))], LABELS)
    empty = next(i for i in issues if i.sentence == 42)
    assert empty.quality == 1.0 and empty.flagged == []


def test_entity_kinds_are_said_from_the_given_side():
    words = ["New", "York", "beat", "Ada", "Lovelace"]
    kinds = [e.kind for e in entity_issues(words, ["B-LOC", "O", "O", "B-PER", "I-PER"],
                                           ["B-LOC", "I-LOC", "O", "O", "O"])]
    assert kinds == ["wrong_boundary", "spurious"]


CONLL = (b"-DOCSTART- -X- -X- O\r\n\r\n"
         b"EU NNP B-NP B-ORG\r\nrejects VBZ B-VP O\r\nGerman JJ B-NP B-MISC\r\n\r\n"
         b"Peter NNP B-NP B-PER\r\nBlackburn NNP B-NP I-PER\r\n\r\n"
         b"Wales\tNNP\tB-NP\tB-ORG  \r\nwon\tVBD\tB-VP\tO\r\n")


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "data" / "news.txt"
    path.parent.mkdir()
    path.write_bytes(CONLL)
    return path


def test_export_changes_only_the_tag_cells_of_accepted_words(source, tmp_path):
    # CRLF lines, four columns, a tab-separated sentence with padding, no final blank line
    # (mixed separators are one file's worth of quirks at once: each line keeps its own)
    source.write_bytes(CONLL.replace(b"Wales\tNNP\tB-NP\tB-ORG  \r\nwon\tVBD\tB-VP\tO\r\n",
                                     b"Wales NNP B-NP B-ORG\r\nwon VBD B-VP O"))
    review = ReviewFile(tmp_path / "r.jsonl", source)
    review.record(2, "accept", ["B-LOC", "O"])
    review.record(0, "keep", ["B-ORG", "O", "B-MISC"])
    review.record(1, "edit", ["B-PER", "I-PER"])  # no change
    summary = export_corrected(source, review.state(), tmp_path / "fixed.txt")
    assert (summary.sentences, summary.words) == (1, 1)
    assert (tmp_path / "fixed.txt").read_bytes() == source.read_bytes().replace(b"Wales NNP B-NP B-ORG",
                                                                                b"Wales NNP B-NP B-LOC")
    assert source.read_bytes().startswith(b"-DOCSTART-")  # the source is untouched


def test_export_keeps_tab_padding_and_an_iob1_file_stays_iob1(tmp_path):
    path = tmp_path / "iob1.txt"
    path.write_bytes(b"\xef\xbb\xbfWales\tI-ORG  \nand\tO\nRome\tI-LOC\n\nx\tO\n")
    assert read_conll(path)[0].ner_tags == ["B-ORG", "O", "B-LOC"]
    review = ReviewFile(tmp_path / "r.jsonl", path)
    review.record(0, "edit", ["B-LOC", "O", "B-LOC"])
    export_corrected(path, review.state(), tmp_path / "out.txt")
    assert (tmp_path / "out.txt").read_bytes() == b"\xef\xbb\xbfWales\tI-LOC  \nand\tO\nRome\tI-LOC\n\nx\tO\n"


def test_last_decision_wins_and_survives_a_new_reader(source, tmp_path):
    path = review_path(tmp_path / "run", source)
    ReviewFile(path, source).record(1, "accept", ["B-PER", "O"])
    ReviewFile(path, source).record(1, "keep", ["B-PER", "I-PER"])
    state = ReviewFile(path, source).state()   # a restart: a new reader of the same file
    assert state.current[1].decision == "keep" and state.reviewed == 1
    assert path == tmp_path / "run" / "quality" / "news.txt.review.jsonl"


def test_a_review_broken_by_hand_names_its_line_and_the_source_is_untouched(source, tmp_path):
    review = ReviewFile(tmp_path / "r.jsonl", source)
    review.record(0, "accept", ["B-ORG", "O", "O"])
    with open(review.path, "a", encoding="utf-8") as handle:
        handle.write('{"sentence": 1, "decision": "accept", "tags": ["B-PER"\n')
    before = source.read_bytes()
    with pytest.raises(ReviewFileError, match=r"r\.jsonl, line 2: not a JSON line"):
        review.state()
    review.path.write_text('{"sentence": -1, "decision": "maybe", "tags": [], "source_sha256": "x"}\n')
    with pytest.raises(ReviewFileError, match=r"line 1: 'sentence' must be .*'decision' must be one of"):
        review.state()
    assert source.read_bytes() == before


def test_a_review_of_another_version_of_the_source_is_not_applied_silently(source, tmp_path):
    ReviewFile(tmp_path / "r.jsonl", source).record(2, "accept", ["B-LOC", "O"])
    source.write_bytes(source.read_bytes().replace(b"rejects", b"rejected"))
    review = ReviewFile(tmp_path / "r.jsonl", source)
    state = review.state()
    assert list(state.stale) == [2] and not state.current
    with pytest.raises(StaleReviewError, match="another version"):
        export_corrected(source, state, tmp_path / "out.txt")
    summary = export_corrected(source, state, tmp_path / "out.txt", skip_stale=True)
    assert summary.left_out == 1 and (tmp_path / "out.txt").read_bytes() == source.read_bytes()
    with pytest.raises(ValueError, match="is the source file"):
        export_corrected(source, review.state(), source, skip_stale=True)


def _record_many(args):
    path, source, start = args
    review = ReviewFile(path, source)
    for sentence in range(start, start + 40):
        review.record(sentence, "accept", ["O"])


def test_two_writers_at_once_lose_no_decision(source, tmp_path):
    path = tmp_path / "r.jsonl"
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_record_many, [(path, source, 0), (path, source, 1000)])
    decisions = ReviewFile(path, source).decisions()
    assert sorted(d.sentence for d in decisions) == [*range(40), *range(1000, 1040)]
    assert file_sha256(source) == decisions[0].source_sha256


def test_folds_keep_documents_whole_and_cover_every_part():
    documents = [0] * 5 + [1] * 3 + [2] * 4 + [3] * 2 + [4] * 6
    parts = fold_assignment(documents, 3)
    assert sorted(set(parts)) == [0, 1, 2]
    for document in set(documents):
        assert len({p for p, d in zip(parts, documents) if d == document}) == 1
    assert parts == sorted(parts)
    with pytest.raises(ValueError, match="at least 2"):
        fold_assignment(documents, 1)
    with pytest.raises(ValueError, match="cannot be cut"):
        fold_assignment([0, 0], 3)


def test_the_recipe_drops_what_a_fold_sets_itself(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps({"format_version": 1, "command": [
        "python", "-m", "training.train", "--model", "minilm-cpu", "--output-dir", "runs/x", "--data-dir=d",
        "--max-train-samples", "2000", "--epochs", "1", "--no-test", "--resume", "--seed", "3"]}))
    assert recipe_arguments(tmp_path) == ["--model", "minilm-cpu", "--epochs", "1", "--seed", "3"]

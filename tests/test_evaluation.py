"""Evaluation: error classification, metrics of a known model on a made-up file, a tiny trained run."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")

from test_tagger import build_keyword_model, save_keyword_model  # noqa: E402

from nerlib.data.labels import ENTITY_TYPES  # noqa: E402
from nerlib.evaluation.scoring import (  # noqa: E402
    ERROR_COLUMNS,
    ERROR_KINDS,
    EvaluationResult,
    evaluate_checkpoint,
    load_sentences,
    span_errors,
)
from nerlib.tagging.tagger import Tagger  # noqa: E402

# Made-up CoNLL data (4 columns, IOB2); the keyword model tags Angela/Merkel B-PER, Paris/Berlin
# B-LOC, Acme Corp. B-ORG I-ORG, Olympics B-MISC, Smith I-PER, York I-LOC, everything else O.
MADE_UP = """-DOCSTART- -X- -X- O

Angela NNP B-NP B-PER
Smith NNP I-NP I-PER
visited VBD B-VP O
Paris NNP B-NP B-LOC
. . O O

Acme NNP B-NP B-ORG
Corp. NNP I-NP I-ORG
left VBD B-VP O
Berlin NNP B-NP B-ORG
today NN B-NP O

the DT B-NP O
Olympics NNPS I-NP O
in IN B-PP O
New NNP B-NP B-LOC
York NNP I-NP I-LOC

-DOCSTART- -X- -X- O

Zorblat NNP B-NP B-PER
met VBD B-VP O
Merkel NNP B-NP B-PER
"""


@pytest.fixture(scope="module")
def made_up_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "made_up.conll"
    path.write_text(MADE_UP)
    return path


@pytest.fixture(scope="module")
def keyword_dir(tmp_path_factory) -> Path:
    return save_keyword_model(tmp_path_factory.mktemp("keyword"))


def test_span_errors_kinds():
    words = "a b c d e f g h".split()
    gold = ["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG", "I-ORG", "O"]
    pred = ["B-PER", "I-PER", "O", "B-ORG", "B-MISC", "B-ORG", "O", "B-LOC"]
    errors = span_errors(words, gold, pred)
    assert [(e["kind"], e["gold_text"], e["pred_text"]) for e in errors] == [
        ("wrong_type", "d", "d"),
        ("spurious", None, "e"),
        ("wrong_boundary", "f g", "f"),
        ("spurious", None, "h"),
    ]
    assert span_errors(words, gold, gold) == []
    missed = span_errors(["x", "y"], ["B-PER", "I-PER"], ["O", "O"])
    assert [e["kind"] for e in missed] == ["missed"]
    both = span_errors(["x", "y", "z"], ["B-PER", "I-PER", "O"], ["O", "B-LOC", "I-LOC"])
    assert [e["kind"] for e in both] == ["wrong_type_and_boundary"]
    assert both[0]["gold_start"] == 0 and both[0]["pred_start"] == 1 and both[0]["pred_end"] == 3


def test_span_errors_pair_each_prediction_once():
    # one gold entity, two predictions inside it: one is the boundary error, the other spurious
    errors = span_errors(list("abcd"), ["B-ORG", "I-ORG", "I-ORG", "I-ORG"], ["B-LOC", "B-ORG", "I-ORG", "I-ORG"])
    assert sorted(e["kind"] for e in errors) == ["spurious", "wrong_boundary"]
    assert [e["pred_text"] for e in errors if e["kind"] == "wrong_boundary"] == ["b c d"]


def test_known_model_on_made_up_file(keyword_dir, made_up_file):
    result = evaluate_checkpoint(keyword_dir, made_up_file)
    assert isinstance(result, EvaluationResult)
    metrics = result.metrics
    # gold: Angela Smith/PER, Paris/LOC, Acme Corp./ORG, Berlin/ORG, New York/LOC, Zorblat/PER, Merkel/PER
    # pred: Angela Smith/PER, Paris/LOC, Acme Corp./ORG, Berlin/LOC, Olympics/MISC, York/LOC, Merkel/PER
    assert (metrics.support, metrics.predicted, metrics.sentences) == (7, 7, 4)
    assert metrics.precision == pytest.approx(4 / 7)
    assert metrics.recall == pytest.approx(4 / 7)
    assert metrics.per_type["PER"].recall == pytest.approx(2 / 3)
    kinds = result.error_counts()
    assert list(kinds.index) == list(ERROR_KINDS)
    assert kinds.to_dict() == {"wrong_type": 1, "wrong_boundary": 1, "wrong_type_and_boundary": 0,
                               "missed": 1, "spurious": 1}
    # rows with a gold side are the false negatives, rows with a predicted side the false positives
    errors = result.errors
    assert list(errors.columns) == ERROR_COLUMNS
    assert errors.gold_label.notna().sum() == metrics.support - 4
    assert errors.pred_label.notna().sum() == metrics.predicted - 4
    missed = errors[errors.kind == "missed"].iloc[0]
    assert (missed.gold_text, missed.document, missed.line) == ("Zorblat", 1, 23)
    sentences = result.sentences
    assert list(sentences.n_errors) == [0, 1, 2, 1]
    assert sentences.loc[2, "error_kinds"] == "wrong_boundary, spurious"
    assert sentences.loc[0, "gold"] == [{"label": "PER", "start": 0, "end": 2, "text": "Angela Smith"},
                                        {"label": "LOC", "start": 3, "end": 4, "text": "Paris"}]
    assert result.confusion.loc["B-ORG", "B-LOC"] == 1
    assert int(result.confusion.values.sum()) == sum(len(t) for t in result.tokens)


def test_conll_predictions_round_trip(keyword_dir, made_up_file, tmp_path):
    from nerlib.runs.folder import read_predictions

    model, tokenizer = build_keyword_model()
    result = evaluate_checkpoint(Tagger(model, tokenizer, device="cpu"), made_up_file)
    path = result.write_predictions(tmp_path / "out" / "pred.conll")
    back = read_predictions(path)
    assert back.tokens == result.tokens and back.gold == result.gold and back.predicted == result.predicted
    assert result.conll_predictions.splitlines()[0] == "Angela B-PER B-PER"


def test_limit_and_split_names(keyword_dir, conllpp_dir):
    model, tokenizer = build_keyword_model()
    tagger = Tagger(model, tokenizer, device="cpu")
    result = evaluate_checkpoint(tagger, "dev", data_dir=conllpp_dir, limit=25)
    assert result.metrics.sentences == 25 and result.source == "validation"
    assert 0.0 <= result.metrics.f1 <= 1.0


def test_bad_data_is_reported_before_loading_a_model(tmp_path):
    with pytest.raises(FileNotFoundError, match="neither a CoNLL file nor a split"):
        load_sentences("no-such-split")
    with pytest.raises(FileNotFoundError, match="folder"):
        load_sentences(tmp_path)
    with pytest.raises(FileNotFoundError, match="'nope.conll' is neither a CoNLL file nor a split"):
        evaluate_checkpoint(tmp_path / "no-model", "nope.conll")


@pytest.mark.slow
def test_evaluation_on_a_tiny_trained_model(tiny_run, conllpp_dir):
    run_dir = tiny_run  # tests/conftest.py always provides it: no silent skip
    result = evaluate_checkpoint(run_dir, "validation", data_dir=conllpp_dir, limit=200)
    metrics = result.metrics
    assert metrics.sentences == 200
    assert 0.0 <= metrics.precision <= 1.0 and 0.0 <= metrics.recall <= 1.0 and 0.0 <= metrics.f1 <= 1.0
    assert set(metrics.per_type) <= set(ENTITY_TYPES)
    assert metrics.support == sum(s.support for s in metrics.per_type.values())
    assert set(result.errors.kind) <= set(ERROR_KINDS)
    assert len(result.sentences) == 200
    assert len(result.conll_predictions.strip().split("\n\n")) == 200
    assert result.table().iloc[-1]["type"] == "ALL"

"""Training with document context: the setting lands in run.json and the checkpoint, metrics lines
carry seen/unseen scores, and the checkpoint is tagged and evaluated with the same context."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")

from conftest import tiny_run_args  # noqa: E402


@pytest.fixture(scope="module")
def context_run(conllpp_dir, tmp_path_factory):
    from training.train import main

    args = tiny_run_args(conllpp_dir, tmp_path_factory.mktemp("runs") / "ctx", "--document-context",
                         "--context-size", "16", "--max-length", "128")
    args[args.index("--epochs") + 1] = "1"
    return main(args)


@pytest.mark.slow
def test_context_is_recorded(context_run):
    run = json.loads((context_run / "run.json").read_text())
    assert run["config"]["document_context"] is True and run["config"]["context_size"] == 16
    config = json.loads((context_run / "checkpoints" / "best" / "config.json").read_text())
    assert config["nerlib_encoding"] == {"document_context": True, "context_size": 16, "max_length": 128,
                                        "word_pooling": "first"}
    lines = [json.loads(line) for line in (context_run / "metrics.jsonl").read_text().splitlines()]
    for line in lines:
        assert line["seen"]["support"] + line["unseen"]["support"] == line["support"]
        assert line["seen"]["predicted"] + line["unseen"]["predicted"] == line["predicted"]


@pytest.mark.slow
def test_checkpoint_trained_with_context_is_evaluated_with_context(context_run, conllpp_dir):
    from nerlib.data.labels import to_iob2
    from nerlib.evaluation.scoring import evaluate_checkpoint
    from nerlib.runs.folder import read_predictions
    from nerlib.tagging.tagger import Tagger

    tagger = Tagger.from_pretrained(context_run, device="cpu", dtype="float32")
    assert tagger.document_context and tagger.context_size == 16 and tagger.context_length == 128
    result = evaluate_checkpoint(tagger, "test", data_dir=conllpp_dir, limit=200)
    # training cuts a sentence longer than the window, the tagger reads it in overlapping windows:
    # compare the sentences that fit, whose windows (with their context) are the same
    from nerlib.modeling.encoding import encode_words

    fits = [len(e.ids) <= 126 for e in encode_words(tagger.tokenizer, result.tokens)]
    truncated = json.loads((context_run / "run.json").read_text())["data"]["truncated_sentences"]["test"]
    assert fits.count(False) == truncated
    training = read_predictions(context_run / "predictions" / "test.conll")
    # the tagger repairs labels to IOB2 (conlleval's reading, so the same entities); compare repaired
    repaired = [to_iob2(labels) for labels in training.predicted]
    pairs = [(a, b) for ours, theirs, ok in zip(result.predicted, repaired, fits) if ok for a, b in zip(ours, theirs)]
    agree, total = sum(a == b for a, b in pairs), len(pairs)
    assert agree / total > 0.995  # the same windows; only float noise from other batch shapes may differ
    test_line = [json.loads(line) for line in (context_run / "metrics.jsonl").read_text().splitlines()][-1]
    assert result.metrics.f1 == pytest.approx(test_line["f1"], abs=0.02)
    # without context the same checkpoint reads other inputs
    plain = evaluate_checkpoint(Tagger.from_pretrained(context_run, device="cpu", dtype="float32",
                                                       document_context=False), "test", data_dir=conllpp_dir, limit=200)
    assert plain.predicted != result.predicted

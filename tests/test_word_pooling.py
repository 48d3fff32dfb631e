"""Word pooling (nerlib.modeling.pooling): how a word's label is read from its sub-tokens.

- the rules on hand-made scores with a known answer (first sub-token vs mean log-probability);
- the Tagger's batched path against a sentence-by-sentence reference written out here, with a real
  tokenizer and a real (random, contextual) tiny BERT, windows cut short so words cross edges;
- training with labels on every sub-token records ``word_pooling: "mean"`` in the checkpoint and
  run.json, the checkpoint is tagged and evaluated with it, and training's own test scores agree;
- a checkpoint that records no rule (trained before it existed) is read at first sub-tokens.
"""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from conftest import tiny_run_args  # noqa: E402

from nerlib.modeling.pooling import pool_words, pooled_tokens, pooling_for_strategy, word_bounds  # noqa: E402
from tests.test_tagger import save_random_model  # noqa: E402


def test_pooled_tokens_pick_first_or_all_sub_tokens():
    firsts, ends = np.array([1, 2, 6, 10]), np.array([2, 5, 7, 13])
    positions, words = pooled_tokens(firsts, ends, "first")
    assert positions.tolist() == [1, 2, 6, 10] and words.tolist() == [0, 1, 2, 3]
    positions, words = pooled_tokens(firsts, ends, "mean")
    assert positions.tolist() == [1, 2, 3, 4, 6, 10, 11, 12]
    assert words.tolist() == [0, 1, 1, 1, 2, 3, 3, 3]
    with pytest.raises(ValueError, match="unknown word pooling 'max'"):
        pooled_tokens(firsts, ends, "max")


def test_pool_words_known_answer():
    # word 0: a marker-like first sub-token leaning to label 1, then two pieces sure of label 2;
    # word 1: one sub-token (every rule reads it the same)
    logits = torch.tensor([[9.0, 9.0, 9.0],    # [CLS], not read
                           [0.0, 1.0, 0.5],    # word 0, first sub-token
                           [0.0, 0.0, 4.0],
                           [0.0, 0.0, 3.0],
                           [2.0, 0.0, 0.0]])   # word 1
    firsts, ends = np.array([1, 4]), np.array([4, 5])
    results = {}
    for rule in ("first", "mean"):
        positions, words = pooled_tokens(firsts, ends, rule)
        scores, labels = pool_words(logits, torch.from_numpy(positions), torch.from_numpy(words), 2)
        results[rule] = (labels.tolist(), scores.tolist())
    assert results["first"][0] == [1, 0] and results["mean"][0] == [2, 0]
    # first: the first sub-token's own softmax probability
    assert results["first"][1][0] == pytest.approx(math.e / (1 + math.e + math.e ** 0.5), abs=1e-6)
    # mean: the softmax of the mean log-probabilities of the three sub-tokens
    logp = torch.log_softmax(logits[1:4], dim=-1).mean(0)
    assert results["mean"][1][0] == pytest.approx(float(torch.softmax(logp, -1)[2]), abs=1e-6)
    assert results["mean"][1][1] == pytest.approx(results["first"][1][1], abs=1e-6)


def test_word_bounds_of_padded_rows_with_truncated_and_context_tokens():
    # row 0: [CLS] w0 w0 w1 [SEP]; row 1: [CLS] ctx w0 w1 w1 (w2 cut off) ctx [SEP] -> padded to 8
    firsts, ends, owners = word_bounds([[-1, 0, 0, 1, -1], [-1, -1, 0, 1, 1, -1, -1]], 8)
    assert firsts.tolist() == [1, 3, 10, 11] and ends.tolist() == [3, 4, 11, 13]
    assert owners.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    # a word that fills a row to its last cell ends there, not in the next row
    firsts, ends, _ = word_bounds([[0, 0], [0, 1]], 2)
    assert firsts.tolist() == [0, 2, 3] and ends.tolist() == [2, 3, 4]


def test_strategy_decides_the_rule():
    assert pooling_for_strategy("all") == "mean" and pooling_for_strategy("first") == "first"


def reference_labels(tagger, sentence: list[str], pooling: str) -> list[int]:
    """One sentence on its own, the whole sentence in one window: label per word by ``pooling``."""
    encoding = tagger.tokenizer([sentence], is_split_into_words=True, return_tensors="pt")
    with torch.no_grad():
        logp = torch.log_softmax(tagger.model(**encoding).logits[0].float(), dim=-1)
    word_ids = encoding.word_ids(0)
    labels = []
    for word in range(len(sentence)):
        rows = [i for i, w in enumerate(word_ids) if w == word]
        pooled = logp[rows[:1]] if pooling == "first" else logp[rows]
        labels.append(int(pooled.mean(0).argmax()))
    return labels


@pytest.mark.parametrize("pooling", ["first", "mean"])
def test_tagger_batches_pool_like_the_sentence_by_sentence_reference(tmp_path, pooling):
    from nerlib.tagging.tagger import Tagger

    tagger = Tagger.from_pretrained(save_random_model(tmp_path / "m"), device="cpu", dtype="float32",
                                    word_pooling=pooling)
    assert tagger.word_pooling == pooling
    rng = np.random.default_rng(3)
    vocabulary = ["Angela", "Merkel", "visited", "Zürich", "naïve", "café", "Nairobi", "Olympics", "-", "the",
                  "Acme", "Corp.", "Xi", "report", "today", "unheard", "Wörterbuch"]
    sentences = [[str(w) for w in rng.choice(vocabulary, size=rng.integers(1, 12))] for _ in range(60)]
    predicted = [labels.tolist() for labels, _ in tagger.predict(sentences, batch_size=7)]
    expected = [reference_labels(tagger, sentence, pooling) for sentence in sentences]
    assert predicted == expected
    if pooling == "mean":  # the rules really differ on these words
        first = [reference_labels(tagger, sentence, "first") for sentence in sentences]
        assert first != expected


def test_a_word_cut_across_window_edges_is_pooled_inside_its_window(tmp_path):
    from nerlib.tagging.tagger import Tagger

    folder = save_random_model(tmp_path / "m")
    words = "Angela Merkel visited Zürich , Paris and New York today .".split() * 6
    short = Tagger.from_pretrained(folder, device="cpu", dtype="float32", word_pooling="mean", max_length=10,
                                   overlap=3)
    tagged = short.tag_words([words])[0]
    assert len(tagged.words) == len(words) and all(0.0 < w.score <= 1.0 for w in tagged.words)


@pytest.fixture(scope="module")
def all_run(conllpp_dir, tmp_path_factory):
    from training.train import main

    args = tiny_run_args(conllpp_dir, tmp_path_factory.mktemp("runs") / "all", "--label-strategy", "all")
    args[args.index("--epochs") + 1] = "1"
    return main(args)


@pytest.mark.slow
def test_labels_on_all_sub_tokens_record_and_use_mean_pooling(all_run, conllpp_dir):
    from nerlib.data.labels import to_iob2
    from nerlib.evaluation.scoring import evaluate_checkpoint
    from nerlib.runs.folder import read_predictions
    from nerlib.tagging.tagger import Tagger

    config = json.loads((all_run / "checkpoints" / "best" / "config.json").read_text())
    assert config["nerlib_encoding"]["word_pooling"] == "mean"
    assert json.loads((all_run / "run.json").read_text())["encoding"]["word_pooling"] == "mean"
    tagger = Tagger.from_pretrained(all_run, device="cpu", dtype="float32")
    assert tagger.word_pooling == "mean"
    result = evaluate_checkpoint(tagger, "test", data_dir=conllpp_dir, limit=200)
    # training scored its test split through the same decoder: the same labels, up to float noise
    training = read_predictions(all_run / "predictions" / "test.conll")
    pairs = [(a, b) for ours, theirs in zip(result.predicted, training.predicted)
             for a, b in zip(ours, to_iob2(theirs))]
    assert sum(a == b for a, b in pairs) / len(pairs) > 0.995
    first = evaluate_checkpoint(Tagger.from_pretrained(all_run, device="cpu", dtype="float32", word_pooling="first"),
                                "test", data_dir=conllpp_dir, limit=200)
    assert first.predicted != result.predicted  # the rule is in use, not only recorded


@pytest.mark.slow
def test_checkpoint_without_the_field_keeps_first_sub_tokens(tiny_run, tmp_path):
    from nerlib.tagging.tagger import Tagger

    assert Tagger.from_pretrained(tiny_run, device="cpu").word_pooling == "first"  # trained with "first"
    old = shutil.copytree(tiny_run / "checkpoints" / "best", tmp_path / "old")
    config = json.loads((old / "config.json").read_text())
    del config["nerlib_encoding"]["word_pooling"]  # as written before the rule was recorded
    (old / "config.json").write_text(json.dumps(config))
    assert Tagger.from_pretrained(old, device="cpu").word_pooling == "first"
    # a model trained elsewhere (no nerlib record at all) too
    assert Tagger.from_pretrained(save_random_model(tmp_path / "plain"), device="cpu").word_pooling == "first"

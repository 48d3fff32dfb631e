"""Learning-rate finder: the sweep's schedule, divergence stop and suggestion on known curves, and
a real sweep of a from-scratch model that diverges and stops early."""

from __future__ import annotations

import math

import pytest

from nerlib.runs.lr_finder import LRSweep, list_lr_finds, read_lr_find


def test_exponential_schedule():
    sweep = LRSweep(start_lr=1e-6, end_lr=1e-1, num_steps=6)
    assert [round(math.log10(sweep.learning_rate(s)), 6) for s in range(6)] == [-6, -5, -4, -3, -2, -1]


def test_stops_on_divergence_with_known_curve():
    sweep = LRSweep(start_lr=1e-5, end_lr=10.0, num_steps=100, smoothing=0.0)  # no smoothing: exact
    losses = []
    for step in range(100):
        lr = sweep.learning_rate(step)
        loss = 2.0 if lr < 1e-3 else (0.5 if lr < 1e-1 else 100.0)  # falls at 1e-3, explodes at 0.1
        losses.append(loss)
        if sweep.record(lr, loss):
            break
    assert sweep.stopped == "diverged"
    assert sweep.points[-1].learning_rate >= 0.1 and len(sweep.points) < 100
    assert sweep.points[-1].loss == 100.0  # the first exploding step ends it
    assert 1e-4 < sweep.suggestion() < 2e-3  # the steepest fall is the step down at 1e-3
    assert 1e-3 <= sweep.minimum_lr() < 0.1


def test_stops_on_nan_and_at_the_end():
    sweep = LRSweep(num_steps=10)
    assert not sweep.record(sweep.learning_rate(0), 1.0)
    assert sweep.record(sweep.learning_rate(1), float("nan")) and sweep.stopped == "diverged"
    flat = LRSweep(num_steps=5)
    stops = [flat.record(flat.learning_rate(s), 1.0 - 0.1 * s) for s in range(5)]
    assert stops == [False, False, False, False, True] and flat.stopped == "end"


def test_bad_settings():
    with pytest.raises(ValueError, match=r"need 0 < start_lr < end_lr, got 1.0 and 0.001"):
        LRSweep(start_lr=1.0, end_lr=1e-3)
    with pytest.raises(ValueError, match="the sweep needs at least 2 steps"):
        LRSweep(num_steps=1)


def test_unreadable_result_is_named_and_skipped_in_lists(tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "lr_find.json").write_text("{not json")
    with pytest.raises(ValueError, match="lr_find.json"):
        read_lr_find(tmp_path / "bad")
    assert list_lr_finds(tmp_path) == []
    assert list_lr_finds(tmp_path / "missing") == []


def test_the_finder_shares_the_training_options_and_their_preset_schedule():
    from training.lr_find import SWEEP_SCHEDULE_OPTIONS
    from training.lr_find import build_parser as finder_parser
    from training.options import build_parser as training_parser
    from training.options import fill_unset_options, schedule_for

    training = {action.dest: action for action in training_parser()._actions}
    finder = {action.dest: action for action in finder_parser()._actions}
    shared = set(training) & set(finder) - {"help", "output_dir"}
    assert shared == {"model", "data_dir", "label_strategy", "batch_size", "weight_decay", "max_length",
                      "document_context", "context_size", "max_grad_norm", "seed", "max_train_samples", "cpu"}
    fields = ("option_strings", "default", "type", "choices", "help")
    for dest in shared:  # one definition (training.options.add_shared_options)
        assert [getattr(finder[dest], f) for f in fields] == [getattr(training[dest], f) for f in fields], dest
        assert type(finder[dest]) is type(training[dest]), dest

    args = finder_parser().parse_args(["--model", "minilm-cpu", "--batch-size", "8"])
    schedule = fill_unset_options(args, SWEEP_SCHEDULE_OPTIONS)
    assert schedule is schedule_for("minilm-cpu")
    assert (args.batch_size, args.max_length, args.label_strategy) == (8, schedule.max_length, schedule.label_strategy)


@pytest.mark.slow
def test_real_sweep_diverges_and_writes_its_curve(conllpp_dir, tmp_path):
    pytest.importorskip("torch")
    from conftest import TINY_MODEL

    from training.lr_find import main

    folder = main(["--model", TINY_MODEL, "--data-dir", str(conllpp_dir), "--output-dir", str(tmp_path / "lrf"),
                   "--max-train-samples", "400", "--batch-size", "16", "--max-length", "64",
                   "--start-lr", "1e-5", "--end-lr", "1000", "--num-steps", "80", "--cpu"])
    result = read_lr_find(folder)
    assert result.stopped == "diverged" and len(result.points) < 80
    assert result.points[-1].learning_rate < 1000
    assert 1e-5 <= result.suggestion < result.points[-1].learning_rate
    assert result.frame().columns.tolist() == ["step", "learning_rate", "loss", "smoothed"]
    assert [r.path for r in list_lr_finds(tmp_path)] == [folder]

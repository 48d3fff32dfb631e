"""nerlib.views.tables and nerlib.runs.folder.flatten_metrics on hand-made run folders: no training needed."""

from __future__ import annotations

import pandas as pd
import pytest

from nerlib.runs import folder as runs
from nerlib.views import tables


def scores(f1: float, **per_type: float) -> dict:
    return {"precision": f1, "recall": f1, "f1": f1, "support": 10,
            "per_type": {t: {"precision": v, "recall": v, "f1": v, "support": 5} for t, v in per_type.items()}}


def make_run(folder, name: str, lines: list[dict], checkpoints: list[tuple[str, int]], best_of: str | None):
    run_dir = folder / name
    runs.write_run_config(run_dir, {"started_at": name})
    for line in lines:
        runs.append_metrics(run_dir, line)
    by_step = {line["step"]: line for line in lines if line["split"] == "validation"}
    for checkpoint, step in checkpoints:
        temp = runs.checkpoint_temp_dir(run_dir, checkpoint)
        runs.commit_checkpoint(temp, checkpoint, {"step": step, "epoch": step / 10,
                                                  "metrics": {"f1": by_step[step]["f1"]}})
    if best_of is not None:
        step = dict(checkpoints)[best_of]
        temp = runs.checkpoint_temp_dir(run_dir, "best")
        runs.commit_checkpoint(temp, "best", {"step": step, "epoch": step / 10, "source": best_of,
                                              "metrics": {"f1": by_step[step]["f1"]}})
    return runs.load_run(run_dir)


@pytest.fixture
def two_runs(tmp_path):
    a = make_run(tmp_path, "a", [
        {"step": 10, "epoch": 1.0, "split": "validation", **scores(0.5, PER=0.6, DATE=0.2)},
        {"step": 20, "epoch": 2.0, "split": "validation", **scores(0.7, PER=0.8, DATE=0.4)},
        {"step": 20, "epoch": 2.0, "split": "test", **scores(0.65, PER=0.7, DATE=0.3)},
    ], [("epoch-1", 10), ("epoch-2", 20)], best_of="epoch-2")
    b = make_run(tmp_path, "b", [
        {"step": 5, "epoch": 1.0, "split": "validation", **scores(0.4, PER=0.5)},
    ], [("epoch-1", 5)], best_of=None)
    return [b, a]


def test_flatten_metrics_is_the_one_flattening():
    line = {"step": 3, "split": "validation", "f1": 0.5, "per_type": {"PER": {"f1": 0.7, "support": 4}},
            "unseen": {"f1": 0.2, "per_type": {"LOC": {"f1": 0.1}}}}
    assert runs.flatten_metrics(line) == {"step": 3, "split": "validation", "f1": 0.5, "PER_f1": 0.7,
                                          "PER_support": 4, "unseen_f1": 0.2, "unseen_LOC_f1": 0.1}
    frame = runs.metrics_frame([line])
    assert frame.loc[0, "PER_f1"] == 0.7 and frame.loc[0, "unseen_LOC_f1"] == 0.1


def test_checkpoint_choices_put_each_runs_best_first_with_its_source(two_runs):
    choices = tables.checkpoint_choices(two_runs)
    # b has no best/ folder: its best falls back to its highest-F1 checkpoint (nerlib.runs.folder)
    assert list(choices) == ["b / best", "b / epoch-1", "a / best (epoch-2)", "a / epoch-2", "a / epoch-1"]
    assert choices["a / best (epoch-2)"].name == "best"


def test_checkpoint_table_has_per_type_f1_in_type_order(two_runs):
    table = tables.checkpoint_table(two_runs)
    assert list(table.columns) == ["checkpoint", "step", "epoch", "F1", "PER F1", "DATE F1", "same as"]
    assert table["checkpoint"].tolist() == ["b / best", "b / epoch-1", "a / best", "a / epoch-2", "a / epoch-1"]
    row = table.set_index("checkpoint").loc["a / epoch-1"]
    assert (row["F1"], row["PER F1"], row["DATE F1"]) == (0.5, 0.6, 0.2)
    assert table.set_index("checkpoint").loc["a / best", "same as"] == "epoch-2"
    assert pd.isna(table.set_index("checkpoint").loc["b / epoch-1", "DATE F1"])
    assert tables.checkpoint_table([]).empty


def test_checkpoint_delta_is_b_minus_a_per_type_and_score(two_runs):
    delta = tables.checkpoint_delta(two_runs, "a / epoch-1", "a / best")
    assert delta["type"].drop_duplicates().tolist() == ["overall", "PER", "DATE"]
    per = delta.set_index(["type", "score"])[tables.DELTA_COLUMN]
    assert per[("overall", "f1")] == pytest.approx(0.2) and per[("DATE", "recall")] == pytest.approx(0.2)
    mixed = tables.checkpoint_delta(two_runs, "b / epoch-1", "a / best").set_index(["type", "score"])
    assert pd.isna(mixed.loc[("DATE", "f1"), "A"]) and pd.isna(mixed.loc[("DATE", "f1"), tables.DELTA_COLUMN])
    with pytest.raises(KeyError, match="nope"):
        tables.checkpoint_delta(two_runs, "a / epoch-1", "nope")


def test_curves_frame_has_overall_and_each_type_per_evaluation(two_runs):
    curves = tables.curves_frame(two_runs, "f1")
    a = curves[curves["run"] == "a"]
    assert sorted(a["type"].unique()) == ["DATE", "PER", "overall"]
    assert a[a["type"] == "PER"]["value"].tolist() == [0.6, 0.8]
    test = tables.curves_frame(two_runs, "recall", "test")
    assert test["run"].unique().tolist() == ["a"] and len(test) == 3
    assert tables.curves_frame(two_runs, "f1", "nosuchsplit").empty


def test_error_kind_counts_group_by_gold_type_else_predicted():
    errors = pd.DataFrame({"gold_label": ["PER", None, "LOC", "PER"], "pred_label": ["ORG", "MISC", None, "LOC"],
                           "kind": ["wrong_type", "spurious", "missed", "wrong_type"]})
    counts = tables.error_kind_counts(errors)
    assert counts.to_dict("records") == [{"type": "LOC", "kind": "missed", "count": 1},
                                         {"type": "MISC", "kind": "spurious", "count": 1},
                                         {"type": "PER", "kind": "wrong_type", "count": 2}]
    assert list(tables.error_kind_counts(errors.iloc[:0]).columns) == ["type", "kind", "count"]


def test_sentence_index_lists_text_types_and_counts():
    from nerlib.data.conll import ConllSentence
    from nerlib.data.conllpp import sentences_to_dataset

    dataset = sentences_to_dataset([
        ConllSentence(tokens=["Ada", "visited", "Turin"], pos_tags=["NNP", "VBD", "NNP"], chunk_tags=["O"] * 3,
                      ner_tags=["B-PER", "O", "B-LOC"]),
        ConllSentence(tokens=["Nothing", "here"], pos_tags=["NN", "RB"], chunk_tags=["O"] * 2, ner_tags=["O", "O"]),
    ])
    index = tables.sentence_index(dataset)
    assert index.to_dict("records") == [{"text": "ada visited turin", "types": "LOC PER", "entities": 2},
                                        {"text": "nothing here", "types": "", "entities": 0}]

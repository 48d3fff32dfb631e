"""``python -m nerlib tag`` / ``evaluate``: help, JSON lines round trip, per-type table, errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

from test_evaluation import MADE_UP  # noqa: E402
from test_tagger import save_keyword_model  # noqa: E402

from nerlib.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return save_keyword_model(tmp_path_factory.mktemp("cli-model"))


def run_module(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "nerlib", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)


def call(*args: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), stdin=io.StringIO(stdin), stdout=out)
    return code, out.getvalue()


@pytest.mark.parametrize("command", ["tag", "evaluate", "compare"])
def test_help(command):
    result = run_module(command, "--help")
    assert result.returncode == 0
    assert f"usage: python -m nerlib {command}" in result.stdout
    assert "--batch-size" in result.stdout


def test_top_level_help_lists_every_command_and_every_command_has_help():
    """argparse formats each subcommand's help with %: a bare "95%" in one breaks the top-level --help."""
    from nerlib.cli import build_parser

    parser = build_parser()
    text = parser.format_help()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert len(commands) >= 8
    for name, sub in commands.items():
        assert name in text
        assert f"usage: python -m nerlib {name}" in sub.format_help()


def test_tag_round_trip_through_the_module(model_dir):
    text = "Angela Smith flew to  Paris\u00a0(Zürich) with Acme Corp."
    result = run_module("tag", "-m", str(model_dir), text, "Berlin")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["text"] for line in lines] == [text, "Berlin"]
    entities = lines[0]["entities"]
    assert [(e["text"], e["label"]) for e in entities] == [("Angela Smith", "PER"), ("Paris", "LOC"), ("Acme Corp.", "ORG")]
    for entity in entities:
        assert text[entity["start"]:entity["end"]] == entity["text"]


def test_tag_stdin_one_text_per_line(model_dir):
    code, out = call("tag", "-m", str(model_dir), stdin="Paris\n\n  \nBerlin and Paris\n")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [len(line["entities"]) for line in lines] == [1, 0, 0, 2]  # one output line per input line


def test_tag_file_whole_and_words(model_dir, tmp_path):
    story = tmp_path / "story.txt"
    story.write_text("Angela Merkel arrived.\n\nShe met Acme Corp. in Berlin.\n", encoding="utf-8")
    code, out = call("tag", "-m", str(model_dir), "--file", str(story), "--whole-file", "--words")
    assert code == 0
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["text"] == story.read_text(encoding="utf-8")
    assert [e["text"] for e in record["entities"]] == ["Angela", "Merkel", "Acme Corp.", "Berlin"]
    assert record["words"][0] == {"text": "Angela", "start": 0, "end": 6, "label": "B-PER", "score": pytest.approx(1.0, abs=1e-3)}
    output = tmp_path / "out.jsonl"
    code, _ = call("tag", "-m", str(model_dir), "--file", str(story), "-o", str(output))
    assert code == 0 and len(output.read_text().splitlines()) == 3


def test_evaluate_prints_a_per_type_table_and_writes_files(model_dir, tmp_path):
    data = tmp_path / "made_up.conll"
    data.write_text(MADE_UP)
    predictions, errors = tmp_path / "pred.conll", tmp_path / "errors.csv"
    code, out = call("evaluate", str(model_dir), str(data), "--predictions", str(predictions), "--errors", str(errors))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["type", "precision", "recall", "f1", "support"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:7] if line and not line.startswith("-")}
    assert set(rows) == {"LOC", "MISC", "ORG", "PER", "ALL"}
    assert rows["ALL"] == ["57.14", "57.14", "57.14", "7"]
    assert "missed 1" in out and "spurious 1" in out
    assert predictions.read_text().startswith("Angela B-PER B-PER\n")
    assert errors.read_text().splitlines()[0].startswith("sentence,document,line,kind")
    code, out = call("evaluate", str(model_dir), str(data), "--json")
    assert code == 0 and json.loads(out)["metrics"]["support"] == 7


def test_bad_checkpoint_and_bad_data_fail_cleanly(model_dir, tmp_path, capsys):
    code, out = call("tag", "-m", str(tmp_path / "missing" / "model"), "Paris")
    assert code == 1 and out == ""
    assert "no such checkpoint" in capsys.readouterr().err
    code, _ = call("evaluate", str(model_dir), "no-such-split")
    assert code == 1
    assert "neither a CoNLL file nor a split" in capsys.readouterr().err
    broken = tmp_path / "broken.conll"
    broken.write_text("Paris B-LOC\nBerlin\n")
    result = run_module("evaluate", str(model_dir), str(broken))
    assert result.returncode == 1 and "error:" in result.stderr and "line" in result.stderr


def test_tag_defaults_to_the_newest_trained_run(model_dir, tmp_path, monkeypatch, capsys):
    import json as _json
    import shutil

    runs = tmp_path / "runs"
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(runs))
    code, _ = call("tag", "Paris")
    assert code == 1 and "no --model given" in capsys.readouterr().err
    run = runs / "keyword-run"
    shutil.copytree(model_dir, run / "checkpoints" / "best")
    (run / "checkpoints" / "best" / "checkpoint.json").write_text(_json.dumps({"step": 1, "epoch": 1.0}))
    (run / "run.json").write_text(_json.dumps({"started_at": "2031-01-01T00:00:00"}))
    code, out = call("tag", "Paris")
    assert code == 0 and json.loads(out)["entities"][0]["label"] == "LOC"
    assert "keyword-run" in capsys.readouterr().err

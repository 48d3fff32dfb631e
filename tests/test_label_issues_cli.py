"""``python -m nerlib label-issues`` with a real tiny trained run: the JSON lines, the table, bad
input, long sentences, and K-fold cross-training (K=2 on a tiny file, resumed after a lost fold)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("cleanlab")

from nerlib.cli import main  # noqa: E402
from nerlib.data.conll import format_conll, read_conll  # noqa: E402

pytestmark = pytest.mark.timeout(900)


def call(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), stdout=out)
    return code, out.getvalue()


def write_sample(conllpp_dir: Path, path: Path, sentences: int, *, start: int = 0) -> list:
    """The first ``sentences`` of CoNLL++ validation after ``start``, in two documents."""
    chosen = [s for s in read_conll(conllpp_dir / "conllpp_dev.txt") if len(s.tokens) > 3][start:start + sentences]
    half = len(chosen) // 2
    text = ("-DOCSTART- O\n\n" + format_conll([list(zip(s.tokens, s.ner_tags)) for s in chosen[:half]])
            + "-DOCSTART- O\n\n" + format_conll([list(zip(s.tokens, s.ner_tags)) for s in chosen[half:]]))
    path.write_text(text, encoding="utf-8")
    return chosen


def test_writes_one_ranked_line_per_sentence(tiny_run, conllpp_dir, tmp_path, capsys):
    chosen = write_sample(conllpp_dir, tmp_path / "sample.txt", 30)
    code, out = call("label-issues", str(tiny_run), str(tmp_path / "sample.txt"), "--output",
                     str(tmp_path / "issues.jsonl"))
    assert code == 0, capsys.readouterr().err
    assert out == ""
    lines = [json.loads(line) for line in (tmp_path / "issues.jsonl").read_text().splitlines()]
    assert sorted(line["sentence"] for line in lines) == list(range(30))
    qualities = [line["quality"] for line in lines]
    assert qualities == sorted(qualities) and all(0 <= q <= 1 for q in qualities)
    for line in lines:
        sentence = chosen[line["sentence"]]
        assert line["tokens"] == sentence.tokens and line["given"] == sentence.ner_tags
        assert len(line["suggested"]) == len(line["tokens"])
        assert all(0 <= w < len(line["tokens"]) for w in line["flagged"])
        unflagged = set(range(len(line["tokens"]))) - set(line["flagged"])
        assert all(line["suggested"][w] == line["given"][w] or line["given"][w].startswith("I-") for w in unflagged)
    saved = tiny_run / "quality" / "sample.txt.issues.jsonl"
    assert saved.read_text() == (tmp_path / "issues.jsonl").read_text()
    assert "30 sentences" in capsys.readouterr().err

    code, out = call("label-issues", str(tiny_run), str(tmp_path / "sample.txt"), "--top", "5", "--no-save")
    assert code == 0
    rows = out.splitlines()
    assert rows[0].split()[:4] == ["rank", "sentence", "line", "quality"] and len(rows) == 7
    assert rows[1].split()[1] == str(lines[0]["sentence"])
    assert "30 sentences" in rows[-1] and "one pass" in rows[-1]


def test_bad_input(tiny_run, tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("-DOCSTART- O\n\n")
    code, out = call("label-issues", str(tiny_run), str(tmp_path / "empty.txt"), "--output", str(tmp_path / "o.jsonl"))
    assert code == 0 and (tmp_path / "o.jsonl").read_text() == ""
    capsys.readouterr()

    (tmp_path / "dates.txt").write_text("Ada B-PER\nmet O\n\nMonday B-DATE\n")
    code, _ = call("label-issues", str(tiny_run), str(tmp_path / "dates.txt"))
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(error) == 1
    assert error[0].startswith("error: ") and "B-DATE (1 word, first in sentence 1, line 4)" in error[0]

    code, _ = call("label-issues", str(tiny_run), str(tmp_path / "missing.txt"))
    assert code == 1 and "neither a CoNLL file nor a split name" in capsys.readouterr().err


def test_a_sentence_longer_than_the_window_is_scored_whole(tiny_run, tmp_path, capsys):
    words = [f"word{i}" if i % 7 else "Paris" for i in range(700)]  # past the 256 sub-token window
    tags = ["B-LOC" if w == "Paris" else "O" for w in words]
    (tmp_path / "long.txt").write_text(format_conll([list(zip(words, tags)), [("Ada", "B-PER")]]))
    code, out = call("label-issues", str(tiny_run), str(tmp_path / "long.txt"), "--no-save")
    assert code == 0, capsys.readouterr().err
    lines = {json.loads(line)["sentence"]: json.loads(line) for line in out.splitlines()}
    assert len(lines[0]["word_quality"]) == 700 and len(lines[0]["suggested"]) == 700


@pytest.mark.slow
def test_kfold_trains_each_fold_once_and_resumes(tiny_run, conllpp_dir, tmp_path, capsys):
    write_sample(conllpp_dir, tmp_path / "tiny.txt", 24, start=100)
    args = ("label-issues", str(tiny_run), str(tmp_path / "tiny.txt"), "--folds", "2", "--output",
            str(tmp_path / "k.jsonl"))
    code, _ = call(*args)
    err = capsys.readouterr().err
    assert code == 0, err[-3000:]
    assert "fold 1/2: training on 12 sentences, holding out 12" in err and "fold 2/2: done" in err
    folds = next((tiny_run / "quality").glob("folds-tiny.txt-*-k2"))
    first = (folds / "fold-1" / "held-out.npz").stat().st_mtime_ns
    assert (folds / "fold-1" / "checkpoints" / "best").is_dir()
    lines = [json.loads(line) for line in (tmp_path / "k.jsonl").read_text().splitlines()]
    assert sorted(line["sentence"] for line in lines) == list(range(24))

    (folds / "fold-2" / "held-out.npz").unlink()  # as if killed before fold 2 finished
    code, _ = call(*args)
    err = capsys.readouterr().err
    assert code == 0, err[-3000:]
    assert "fold 1/2: done already" in err and "fold 2/2: unfinished run found" in err
    assert (folds / "fold-1" / "held-out.npz").stat().st_mtime_ns == first
    again = [json.loads(line) for line in (tmp_path / "k.jsonl").read_text().splitlines()]
    assert sorted(line["sentence"] for line in again) == list(range(24))


@pytest.mark.slow
def test_training_accepts_a_corrected_file(conllpp_dir, tmp_path):
    from conftest import tiny_run_args

    from nerlib.quality.review import ReviewFile, export_corrected
    from training.train import main as train

    source = tmp_path / "source.txt"
    chosen = write_sample(conllpp_dir, source, 40)
    review = ReviewFile(tmp_path / "review.jsonl", source)
    index = next(i for i, s in enumerate(chosen) if "B-LOC" in s.ner_tags)
    review.record(index, "accept", [t.replace("LOC", "ORG") for t in chosen[index].ner_tags])
    data = tmp_path / "corrected"
    data.mkdir()
    export_corrected(source, review.state(), data / "train.txt")
    write_sample(conllpp_dir, data / "dev.txt", 20, start=200)
    run = train(tiny_run_args(data, tmp_path / "run", "--no-test", "--eval-steps", "0"))
    assert (Path(run) / "checkpoints" / "best").is_dir()
    trained = read_conll(data / "train.txt")
    assert "B-ORG" in trained[index].ner_tags and "B-LOC" not in trained[index].ner_tags

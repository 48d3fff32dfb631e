"""Seen/unseen scores through evaluate_checkpoint and `python -m nerlib evaluate`, with the
keyword model (known predictions) on made-up files; a checkpoint that records document context
is tagged with it."""

from __future__ import annotations

import io
import json

import pytest

pytest.importorskip("torch")

from test_evaluation import MADE_UP  # noqa: E402
from test_tagger import save_keyword_model  # noqa: E402

from nerlib.cli import main as cli_main  # noqa: E402
from nerlib.evaluation.scoring import evaluate_checkpoint, training_entities  # noqa: E402
from nerlib.tagging.tagger import Tagger  # noqa: E402

TRAIN = """-DOCSTART- -X- -X- O

Paris NNP B-NP B-LOC
and CC O O
Berlin NNP B-NP B-LOC

Merkel NNP B-NP B-PER
spoke VBD B-VP O
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seen")
    (folder / "train.conll").write_text(TRAIN)
    (folder / "test.conll").write_text(MADE_UP)
    keyword = save_keyword_model(folder / "keyword")
    return folder, keyword


def test_training_entities(files):
    folder, _ = files
    assert training_entities(folder / "train.conll") == {"Paris", "Berlin", "Merkel"}


def test_known_seen_unseen_answer(files):
    folder, keyword = files
    result = evaluate_checkpoint(keyword, folder / "test.conll", seen_from=folder / "train.conll")
    seen, unseen = result.metrics.seen, result.metrics.unseen
    # seen gold: Paris, Berlin (ORG), Merkel; predicted seen: Paris, Berlin (as LOC: wrong), Merkel
    assert (seen.support, seen.predicted, seen.correct) == (3, 3, 2)
    # unseen gold: Angela Smith, Acme Corp., New York, Zorblat; predicted unseen: Angela Smith,
    # Acme Corp., Olympics (spurious), York (wrong boundary)
    assert (unseen.support, unseen.predicted, unseen.correct) == (4, 4, 2)
    assert unseen.f1 == pytest.approx(0.5) and seen.f1 == pytest.approx(2 / 3)
    assert evaluate_checkpoint(keyword, folder / "test.conll", seen_from=None).metrics.seen is None


def test_cli_prints_and_dumps_seen_unseen(files):
    folder, keyword = files
    out = io.StringIO()
    assert cli_main(["evaluate", str(keyword), str(folder / "test.conll"), "--seen-from",
                     str(folder / "train.conll")], stdout=out) == 0
    lines = out.getvalue().splitlines()
    unseen_line = next(line for line in lines if line.startswith("unseen"))
    assert unseen_line.split()[1:5] == ["50.00", "50.00", "50.00", "4"]
    out = io.StringIO()
    assert cli_main(["evaluate", str(keyword), str(folder / "test.conll"), "--json", "--seen-from",
                     str(folder / "train.conll")], stdout=out) == 0
    payload = json.loads(out.getvalue())
    assert payload["metrics"]["unseen"]["support"] == 4 and payload["metrics"]["seen"]["correct"] == 2


def test_checkpoint_with_context_is_tagged_with_context(files, tmp_path):
    import shutil

    from transformers import AutoConfig

    from nerlib.modeling.encoding import CONFIG_KEY, context_config

    keyword = shutil.copytree(files[1], tmp_path / "keyword")
    assert Tagger.from_pretrained(keyword, device="cpu").document_context is False
    config = AutoConfig.from_pretrained(keyword)
    setattr(config, CONFIG_KEY, context_config(16, enabled=True, max_length=64))
    config.save_pretrained(keyword)
    tagger = Tagger.from_pretrained(keyword, device="cpu")
    assert (tagger.document_context, tagger.context_size, tagger.context_length) == (True, 16, 64)
    assert Tagger.from_pretrained(keyword, device="cpu", document_context=False).document_context is False

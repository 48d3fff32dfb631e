"""Loading checkpoints: good folders, run folders, and every promised error for bad ones."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest

pytest.importorskip("torch")

from test_tagger import build_tokenizer, save_random_model  # noqa: E402

from nerlib.data.labels import NER_LABELS  # noqa: E402
from nerlib.runs.checkpoints import (  # noqa: E402
    CheckpointError,
    CheckpointNotFoundError,
    HubUnavailableError,
    MissingLabelMapError,
    NotTokenClassificationError,
    TokenizerError,
    WeightsError,
    load_checkpoint,
    resolve_checkpoint_dir,
)


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return save_random_model(tmp_path_factory.mktemp("good"))


def copy_of(good: Path, tmp_path: Path, name: str = "model") -> Path:
    target = tmp_path / name
    shutil.copytree(good, target)
    return target


def edit_config(folder: Path, **changes) -> None:
    config = json.loads((folder / "config.json").read_text())
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    (folder / "config.json").write_text(json.dumps(config))


def test_loads_a_saved_folder(good):
    checkpoint = load_checkpoint(good, device="cpu")
    assert checkpoint.labels == list(NER_LABELS)
    assert checkpoint.tokenizer.is_fast
    assert not checkpoint.model.training
    assert checkpoint.path == good


def test_loads_a_training_run_folder_and_a_run_name(good, tmp_path, monkeypatch):
    run = tmp_path / "runs" / "my-run"
    best = run / "checkpoints" / "best"
    shutil.copytree(good, best)
    (best / "checkpoint.json").write_text(json.dumps({"step": 10, "epoch": 1.0, "metrics": {"f1": 0.5}}))
    assert resolve_checkpoint_dir(run) == best
    assert load_checkpoint(run, device="cpu").path == best
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(tmp_path / "runs"))
    assert resolve_checkpoint_dir("my-run") == best


def test_a_file_inside_the_folder_means_the_folder(good):
    assert resolve_checkpoint_dir(good / "config.json") == good


def test_missing_folder(tmp_path):
    with pytest.raises(CheckpointNotFoundError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "does" / "not" / "exist")


def test_folder_without_a_model(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CheckpointNotFoundError, match="config.json"):
        load_checkpoint(tmp_path)


def test_missing_label_map(good, tmp_path):
    folder = copy_of(good, tmp_path)
    edit_config(folder, id2label=None, label2id=None)
    with pytest.raises(MissingLabelMapError, match="id2label"):
        load_checkpoint(folder)


def test_placeholder_label_map(good, tmp_path):
    folder = copy_of(good, tmp_path)
    edit_config(folder, id2label={str(i): f"LABEL_{i}" for i in range(9)},
                label2id={f"LABEL_{i}": i for i in range(9)})
    with pytest.raises(MissingLabelMapError, match="placeholder"):
        load_checkpoint(folder)


def test_label_map_size_differs_from_classifier(good, tmp_path):
    folder = copy_of(good, tmp_path)
    edit_config(folder, id2label={"0": "O", "1": "B-PER", "2": "I-PER"}, label2id={"O": 0, "B-PER": 1, "I-PER": 2})
    with pytest.raises(MissingLabelMapError, match="id2label has 3 labels but the classifier .* has 9 outputs"):
        load_checkpoint(folder)


def test_corrupt_weights(good, tmp_path):
    folder = copy_of(good, tmp_path)
    (folder / "model.safetensors").write_bytes(b"\x00\x01 this is not a safetensors file" * 10)
    with pytest.raises(WeightsError, match="corrupt"):
        load_checkpoint(folder)


def test_truncated_weights(good, tmp_path):
    folder = copy_of(good, tmp_path)
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match="model.safetensors is corrupt or truncated"):
        load_checkpoint(folder)


def test_missing_weights(good, tmp_path):
    folder = copy_of(good, tmp_path)
    (folder / "model.safetensors").unlink()
    with pytest.raises(WeightsError, match="no model.safetensors"):
        load_checkpoint(folder)


class _Trap:
    """Unpickling this writes a marker file: proof that a pickle was (wrongly) loaded."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "unpickled!"))


def test_pickled_weights_are_refused_never_unpickled(good, tmp_path):
    folder = copy_of(good, tmp_path)
    (folder / "model.safetensors").unlink()
    marker = tmp_path / "marker.txt"
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(_Trap(str(marker))))
    with pytest.raises(WeightsError, match="pickle"):
        load_checkpoint(folder)
    assert not marker.exists()


def test_weights_without_the_classifier(tmp_path):
    from transformers import BertConfig, BertModel

    tokenizer = build_tokenizer()
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, id2label=dict(enumerate(NER_LABELS)))
    BertModel(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    edit_config(tmp_path, architectures=["BertForTokenClassification"])
    with pytest.raises(WeightsError, match="lacks"):
        load_checkpoint(tmp_path)


def test_not_a_token_classification_model(tmp_path):
    from transformers import BertConfig, BertForMaskedLM

    tokenizer = build_tokenizer()
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32)
    BertForMaskedLM(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    with pytest.raises(NotTokenClassificationError, match="BertForMaskedLM"):
        load_checkpoint(tmp_path)


def test_remote_code_is_refused(good, tmp_path):
    folder = copy_of(good, tmp_path)
    edit_config(folder, auto_map={"AutoModelForTokenClassification": "modeling_evil.EvilModel"})
    (folder / "modeling_evil.py").write_text("raise SystemExit('remote code ran')\n")
    with pytest.raises(NotTokenClassificationError, match="trust_remote_code"):
        load_checkpoint(folder)


def test_missing_tokenizer(good, tmp_path):
    folder = copy_of(good, tmp_path)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        (folder / name).unlink(missing_ok=True)
    with pytest.raises(TokenizerError, match="has no tokenizer .*save the tokenizer next to the model"):
        load_checkpoint(folder)


def test_config_that_is_not_json(good, tmp_path):
    folder = copy_of(good, tmp_path)
    (folder / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not readable JSON"):
        load_checkpoint(folder)


def test_unreachable_hub_says_what_to_use_instead(monkeypatch, tmp_path):
    # Offline here; with internet the id does not exist. Either way: a clear, specific error.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(tmp_path / "runs"))
    with pytest.raises(HubUnavailableError) as caught:
        load_checkpoint("nerlib-tests/no-such-model")
    message = str(caught.value)
    assert "nerlib-tests/no-such-model" in message
    assert "local folder" in message and "HF_HUB_OFFLINE" in message

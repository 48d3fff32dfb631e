"""``python -m nerlib push``: a run's best checkpoint and model card to the Hugging Face Hub (`nerlib.runs.hub`)."""

from __future__ import annotations

import argparse
from typing import TextIO

NAME = "push"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """The ``push`` subcommand's arguments."""
    push = subparsers.add_parser(
        "push", help="upload a run's best checkpoint with its model card to the Hugging Face Hub",
        description="Write the model card (checkpoints/best/README.md) and upload the weights, tokenizer "
                    "and card (never optimizer state) to a Hub model repository, created if missing. Log "
                    "in first (`hf auth login`) or set HF_TOKEN.",
    )
    push.add_argument("run", help="a training run folder (its best checkpoint) or a checkpoint folder")
    push.add_argument("repo", nargs="?", help="the Hub repository, e.g. my-name/conllpp-minilm")
    push.add_argument("--private", action="store_true", help="create the repository as private")
    push.add_argument("--card-only", action="store_true",
                      help="only write the model card into the checkpoint folder; upload nothing")


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """``push``: write the model card, upload, print the commit URL (or the card's path).

    Parameters
    ----------
    args:
        The parsed ``push`` arguments (``run``, ``repo``, ``private``, ``card_only``).
    stdout:
        Where the commit URL (or, with ``--card-only``, the card's path) is printed.

    Returns
    -------
    int
        The exit code, 0.

    Raises
    ------
    ValueError
        With ``--card-only`` for a checkpoint folder outside a training run (the card needs
        ``run.json`` and ``metrics.jsonl``), or without ``--card-only`` when no repository is given.
    """
    from nerlib.runs.hub import checkpoint_folder, push_checkpoint
    from nerlib.runs.modelcard import write_model_card

    if args.card_only:
        run_dir, folder = checkpoint_folder(args.run)
        if run_dir is None:
            raise ValueError(f"{args.run}: a model card needs the training run (run.json, metrics.jsonl)")
        stdout.write(f"{write_model_card(run_dir, folder)}\n")
        return 0
    if not args.repo:
        raise ValueError("push needs the Hub repository (e.g. my-name/conllpp-minilm), or --card-only")
    stdout.write(push_checkpoint(args.run, args.repo, private=args.private) + "\n")
    return 0

"""``python -m nerlib serve``: the tagger over HTTP (`nerlib.serving`); the defaults are the library's."""

from __future__ import annotations

import argparse
from typing import TextIO

from nerlib.commands.common import add_model_options, check_device, load_tagger, positive_int

NAME = "serve"


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number 0-65535, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 0-65535, got {text}")
    return value


def _milliseconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of milliseconds, got {text!r}") from None
    if not 0 <= value <= 60_000:
        raise argparse.ArgumentTypeError(f"must be 0 to 60000 milliseconds, got {text}")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """The ``serve`` subcommand's arguments; its defaults are the library's."""
    from nerlib.serving import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_CONNECTIONS
    from nerlib.serving.batcher import BatchLimits

    serve = subparsers.add_parser(
        "serve", help="serve a model over HTTP (FastAPI): POST /tag, GET /health, /ready, /metadata, /docs",
        description="Serve a checkpoint over HTTP with FastAPI and uvicorn (the [serve] extra). POST /tag takes "
                    '{"text": "..."} or {"texts": [...]} (optionally "words": true) and answers the JSON '
                    "`tag` writes (one object, or a list of them); GET /health (alive), /ready (model loaded), "
                    "/metadata (labels, model, run, versions), /docs (OpenAPI). Concurrent requests are "
                    "batched: up to --max-batch-size texts, or what arrives within --max-wait-ms, go "
                    "through the model in one call. Listens on loopback only unless --host says otherwise. "
                    "See docs/serving.md.",
    )
    serve.add_argument("model", metavar="RUN_OR_MODEL",
                       help="a training run folder, a checkpoint folder, a run name in $NERLIB_RUNS_DIR, a saved "
                            "Hugging Face model folder, or a Hub id")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for every "
                            "interface, e.g. in a container)")
    serve.add_argument("--port", type=_port, default=8000, help="port (default 8000; 0: any free port, printed)")
    limits = serve.add_argument_group("batching and limits")
    limits.add_argument("--max-batch-size", type=positive_int, default=BatchLimits.max_batch_size,
                        help=f"most texts per model call (default {BatchLimits.max_batch_size}; 1 turns batching off)")
    limits.add_argument("--max-wait-ms", type=_milliseconds, default=BatchLimits.max_wait_ms,
                        help="how long a batch waits for more requests once the first arrives (default "
                             f"{BatchLimits.max_wait_ms:g} ms)")
    limits.add_argument("--max-queue", type=positive_int, default=BatchLimits.max_queue,
                        help=f"most requests waiting for the model; more get 503 (default {BatchLimits.max_queue})")
    limits.add_argument("--max-body-bytes", type=positive_int, default=DEFAULT_MAX_BODY_BYTES,
                        help=f"largest request body; larger gets 413 (default {DEFAULT_MAX_BODY_BYTES})")
    limits.add_argument("--max-connections", type=positive_int, default=DEFAULT_MAX_CONNECTIONS,
                        help="most open connections and requests in flight; more get 503 from uvicorn "
                             f"(default {DEFAULT_MAX_CONNECTIONS})")
    serve.add_argument("--log-level", choices=("critical", "error", "warning", "info", "debug"), default="info",
                       help="uvicorn's log level (default info: one line per request)")
    add_model_options(serve, default_dtype="auto")


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """``serve``: check the options and the model's path, then serve until Ctrl-C or SIGTERM.

    Parameters
    ----------
    args:
        The parsed ``serve`` arguments.

    Returns
    -------
    int
        The exit code, 0 after a clean shutdown.

    Raises
    ------
    nerlib.serving.ServeExtraMissingError
        When FastAPI or uvicorn is not installed.
    UsageError
        When ``--device`` is not available.
    nerlib.runs.checkpoints.CheckpointNotFoundError
        When the model is a local path that holds no model (before the server starts); a model that
        fails to load later stops the server with its own error.
    OSError
        When the address cannot be bound.
    """
    from nerlib.errors import check_usable_path
    from nerlib.runs.checkpoints import resolve_checkpoint_dir
    from nerlib.serving import require_serve_extra

    require_serve_extra()
    check_device(args.device)
    check_usable_path(args.model)
    resolve_checkpoint_dir(args.model)  # a missing folder fails now, not after the server is up

    from nerlib.serving.server import serve
    from nerlib.serving.service import ServiceLimits

    limits = ServiceLimits(max_batch_size=args.max_batch_size, max_wait_ms=args.max_wait_ms,
                           max_queue=args.max_queue, max_body_bytes=args.max_body_bytes)
    serve(lambda: load_tagger(args), host=args.host, port=args.port, limits=limits,
          max_connections=args.max_connections, log_level=args.log_level, describe=args.model)
    return 0

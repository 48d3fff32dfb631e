"""Serving: a tagger over HTTP (``python -m nerlib serve``), with dynamic batching.

- `batcher`: ``DynamicBatcher``, the texts of concurrent requests gathered into one model call, in
  a worker thread, behind a bounded queue (no FastAPI needed).
- `service`: the FastAPI app: ``POST /tag``, ``/health``, ``/ready``, ``/metadata``, the OpenAPI
  page; request validation, body-size limit, JSON errors.
- `server`: binds the socket and runs the app with uvicorn.

FastAPI and uvicorn come with the ``serve`` extra (``pip install 'ner-workbench[serve]'``);
:func:`require_serve_extra` says so when they are missing. Importing this package is cheap: the
modules that need them import them.

May import: every layer left of it (`nerlib.tagging` for the tagger, `nerlib.runs` for the run a
checkpoint came from).
"""

from __future__ import annotations

import importlib.util

SERVE_PACKAGES = ("fastapi", "uvicorn")
# Defaults of the bounds that are not the batcher's (here so that the command line reads them
# without importing FastAPI). Memory held by request bodies stays under their product.
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024  # a few hundred pages of text: far above one request's worth
DEFAULT_MAX_CONNECTIONS = 256


class ServeExtraMissingError(RuntimeError):
    """FastAPI or uvicorn is not installed."""


def require_serve_extra() -> None:
    """Check that the HTTP service's packages are installed.

    Raises
    ------
    ServeExtraMissingError
        Naming the missing packages and the extra that installs them.
    """
    missing = [name for name in SERVE_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise ServeExtraMissingError(
            f"the HTTP service needs {' and '.join(missing)}, which are not installed: "
            "pip install 'ner-workbench[serve]'")

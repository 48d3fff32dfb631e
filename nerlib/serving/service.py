"""The HTTP service: a FastAPI app over a :class:`~nerlib.tagging.tagger.Tagger`.

Endpoints (``docs/serving.md`` has examples):

- ``POST /tag``: ``{"text": "..."}`` gives the object ``python -m nerlib tag`` writes for that text
  (``{"text", "entities": [{"text", "label", "start", "end", "score"}]}``); ``{"texts": [...]}``
  gives a list of them, in order; ``"words": true`` adds every word, as ``tag --words`` does.
- ``GET /health``: the process answers (liveness); ``GET /ready``: the model is loaded (readiness,
  503 until then); ``GET /metadata``: labels, model, run, versions, limits and batching counters;
  ``GET /docs`` and ``GET /openapi.json``: the OpenAPI page and schema.

Every error is a JSON object ``{"error": "<what is wrong>"}`` (a validation error adds
``"problems"``, one per field) with a 4xx status for bad requests: 400 for a body that is not JSON
(or not UTF-8), 413 for a body over the limit, 422 for JSON of the wrong shape (an empty list, a
non-string text, an unknown field), 503 (with ``Retry-After``) while the model loads or when the
queue is full, 500 when the model itself fails. The offending input is never echoed back.

The request body is read by the endpoint itself, counted as it arrives: a body over
``max_body_bytes`` is refused as soon as its ``Content-Length`` (or its running size, for a
chunked upload) passes the limit, never buffered whole. Texts go through a
:class:`~nerlib.serving.batcher.DynamicBatcher`, so concurrent requests share model calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from nerlib.serving import DEFAULT_MAX_BODY_BYTES
from nerlib.serving.batcher import BatchLimits, DynamicBatcher, QueueFullError

__all__ = ["ServiceLimits", "TagRequest", "create_app"]

MAX_PROBLEMS = 5  # validation problems named in one error message
RETRY_AFTER_SECONDS = "1"


@dataclass(frozen=True)
class ServiceLimits:
    """The service's bounds (the ``serve`` command's options of the same names).

    Attributes
    ----------
    max_batch_size, max_wait_ms, max_queue:
        Batching and the queue of waiting requests (:class:`~nerlib.serving.batcher.BatchLimits`).
    max_body_bytes:
        The largest request body accepted; a larger one is answered 413.
    """

    max_batch_size: int = BatchLimits.max_batch_size
    max_wait_ms: float = BatchLimits.max_wait_ms
    max_queue: int = BatchLimits.max_queue
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    def __post_init__(self) -> None:
        self.batch_limits()  # checks the batching bounds
        if self.max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be at least 1, got {self.max_body_bytes}")

    def batch_limits(self) -> BatchLimits:
        """The batcher's share of the limits."""
        return BatchLimits(self.max_batch_size, self.max_wait_ms, self.max_queue)


class TagRequest(BaseModel):
    """The body of ``POST /tag``: one text or a list of texts.

    Strict: a text must be a JSON string (no number or null is turned into one) and an unknown
    field is an error, so a typo such as ``"txt"`` is reported instead of ignored.

    >>> TagRequest.model_validate_json('{"texts": ["Paris", "Berlin"]}').texts
    ['Paris', 'Berlin']
    >>> TagRequest.model_validate_json('{"text": 3}')
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for TagRequest
    text
      Input should be a valid string ...
    """

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={
        "examples": [{"text": "Angela Merkel met Emmanuel Macron in Paris."},
                     {"texts": ["Acme Corp. opened an office in Berlin.", "No entities here."], "words": True}]})

    text: str | None = Field(None, description="one text; the answer is one object")
    texts: list[str] | None = Field(None, min_length=1,
                                    description="several texts; the answer is a list, one object per text, in order")
    words: bool = Field(False, description="also give every word with its label and score (as `tag --words`)")

    @model_validator(mode="after")
    def _one_of_text_or_texts(self) -> TagRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError('give "text" (one text) or "texts" (a list of texts), one of the two')
        return self

    def all_texts(self) -> list[str]:
        """The texts to tag (one for ``text``)."""
        return [self.text] if self.texts is None else list(self.texts)


class _BodyTooLarge(Exception):
    pass


class _ServiceState:
    """What the app's handlers share: the batcher, the tagger once loaded, the load error."""

    def __init__(self, load: Callable[[], Any], limits: ServiceLimits, on_load_failure: Callable[[BaseException], None]):
        self.load, self.limits, self.on_load_failure = load, limits, on_load_failure
        self.batcher = DynamicBatcher(limits.batch_limits())
        self.tagger: Any = None
        self.load_error: BaseException | None = None
        self.load_seconds: float | None = None
        self.started = time.time()

    async def load_model(self) -> None:
        """Load the tagger in the model's thread, warm it up, then start taking requests."""
        loop = asyncio.get_running_loop()
        started = time.perf_counter()

        def load_and_warm_up():
            tagger = self.load()
            tagger.tag_many(["Warm-up text in Paris."])  # first-call allocations happen here, not in a request
            return tagger

        try:
            tagger = await loop.run_in_executor(self.batcher.executor, load_and_warm_up)
        except Exception as error:  # noqa: BLE001 (reported by the server, which then stops)
            self.load_error = error
            self.on_load_failure(error)
            return
        await self.batcher.start(tagger.tag_many)
        self.tagger, self.load_seconds = tagger, time.perf_counter() - started


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """``payload`` as JSON written the way ``nerlib tag`` writes it (UTF-8, not ASCII-escaped)."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _error(status: int, message: str, **extra: Any) -> Response:
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else None
    return _json({"error": message, **extra}, status, headers)


def _problems(error: ValidationError | RequestValidationError) -> list[dict[str, str]]:
    """One ``{"field", "problem"}`` per validation error, without the offending input."""
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item.get("loc", ()) if part != "body") or "body"
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        problems.append({"field": where, "problem": message})
    return problems


def _validation_message(problems: list[dict[str, str]]) -> str:
    named = "; ".join(f"{p['field']}: {p['problem']}" if p["field"] != "body" else p["problem"]
                      for p in problems[:MAX_PROBLEMS])
    more = f" (and {len(problems) - MAX_PROBLEMS} more)" if len(problems) > MAX_PROBLEMS else ""
    return f"bad request body: {named}{more}"


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (:class:`_BodyTooLarge`) as soon as it is known to pass ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes) -> TagRequest | Response:
    """The request, or the error response for a body that is not JSON or not of the right shape."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        return _error(400, f"the body is not UTF-8 text: {error.reason} at byte {error.start}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return _error(400, f"the body is not valid JSON: {error.msg} at line {error.lineno} column {error.colno} "
                           '(send {"text": "..."} or {"texts": ["...", ...]})')
    if not isinstance(data, dict):
        return _error(422, f'the body is a JSON {type(data).__name__}, not an object: send {{"text": "..."}} '
                           'or {"texts": ["...", ...]}')
    try:
        return TagRequest.model_validate(data)
    except ValidationError as error:
        problems = _problems(error)
        return _error(422, _validation_message(problems), problems=problems)


def _run_of(path: Any) -> dict[str, Any] | None:
    """The training run a checkpoint folder belongs to (name, checkpoint, step, validation F1)."""
    from nerlib.runs.folder import CHECKPOINTS_DIR, is_run_dir, read_checkpoint

    if path is None:
        return None
    folder = Path(path)
    if folder.parent.name != CHECKPOINTS_DIR or not is_run_dir(folder.parent.parent):
        return None
    info = read_checkpoint(folder)
    return {
        "name": folder.parent.parent.name,
        "folder": str(folder.parent.parent),
        "checkpoint": folder.name,
        "checkpoint_source": None if info is None else info.source,
        "step": None if info is None else info.step,
        "epoch": None if info is None else info.epoch,
        "validation_f1": None if info is None else info.f1,
    }


def _versions() -> dict[str, str | None]:
    from importlib import metadata

    import nerlib

    versions: dict[str, str | None] = {"nerlib": nerlib.__version__, "python": platform.python_version()}
    for package in ("torch", "transformers", "tokenizers", "onnxruntime", "fastapi", "uvicorn", "pydantic",
                    "httptools", "uvloop"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def _model_description(tagger: Any) -> dict[str, Any]:
    model = getattr(tagger, "model", None)
    config = getattr(model, "config", None)
    try:
        dtype = str(next(model.parameters()).dtype).removeprefix("torch.")
    except (AttributeError, StopIteration, TypeError):
        dtype = None
    return {
        "source": getattr(tagger, "source", None),
        "path": None if getattr(tagger, "path", None) is None else str(tagger.path),
        "type": getattr(config, "model_type", None),
        "runtime": type(model).__module__.split(".")[0] if model is not None else None,
        "dtype": dtype,
        "device": str(getattr(tagger, "device", "")) or None,
        # which runtime runs the model (torch, or an ONNX export with onnxruntime) and why
        "backend": getattr(tagger, "backend", None),
        "backend_reason": getattr(tagger, "backend_reason", None),
        "onnx_file": None if getattr(tagger, "backend", None) != "onnx" else str(getattr(model, "path", "")) or None,
        "max_length": getattr(tagger, "max_length", None),
        "document_context": getattr(tagger, "document_context", None),
        "word_pooling": getattr(tagger, "word_pooling", None),
    }


def create_app(load: Callable[[], Any], limits: ServiceLimits = ServiceLimits(), *,
               on_load_failure: Callable[[BaseException], None] = lambda error: None) -> FastAPI:
    """The FastAPI app of the service.

    The app starts answering at once; the model loads in the background when the app starts
    (its lifespan), in the batcher's worker thread: ``/ready`` says when it is done.

    Parameters
    ----------
    load:
        Returns the :class:`~nerlib.tagging.tagger.Tagger` (or anything with ``tag_many``, and
        ``labels``, ``source``, ``path``, ``model`` for ``/metadata``); called once.
    limits:
        Batching, queue and body-size bounds.
    on_load_failure:
        Called with the error when ``load`` fails (the server uses it to stop).

    Returns
    -------
    FastAPI
        The app; ``app.state.service`` holds its state (the batcher, the tagger once loaded).
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        state: _ServiceState = app.state.service
        loading = asyncio.create_task(state.load_model(), name="nerlib-load-model")
        try:
            yield
        finally:
            loading.cancel()
            await asyncio.gather(loading, return_exceptions=True)
            await state.batcher.stop()

    app = FastAPI(
        title="nerlib tagger", version=_versions()["nerlib"] or "", lifespan=lifespan,
        description="Named-entity recognition over HTTP: POST texts to /tag, get entities with character "
                    "offsets (the JSON `python -m nerlib tag` writes). See docs/serving.md.",
    )
    app.state.service = _ServiceState(load, limits, on_load_failure)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:  # 404, 405: JSON too
        return _error(error.status_code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        problems = _problems(error)
        return _error(422, _validation_message(problems), problems=problems)

    @app.post(
        "/tag", summary="Tag one text or a list of texts",
        openapi_extra={"requestBody": {"required": True,
                                       "content": {"application/json": {"schema": TagRequest.model_json_schema()}}}},
        responses={
            200: {"description": "one object for `text`, a list of them for `texts` (the JSON lines "
                                 "`python -m nerlib tag` writes)"},
            400: {"description": "the body is not JSON or not UTF-8"},
            413: {"description": "the body is larger than the limit"},
            422: {"description": "the JSON is not a valid request (empty list, a text that is not a string, "
                                 "an unknown field)"},
            503: {"description": "the model is still loading, or the queue is full (see Retry-After)"},
        },
    )
    async def tag(request: Request) -> Response:
        """Tag texts. The body is ``{"text": "..."}`` or ``{"texts": ["...", ...]}``, optionally with
        ``"words": true``. Concurrent requests are batched into shared model calls."""
        state: _ServiceState = request.app.state.service
        try:
            body = await _read_body(request, state.limits.max_body_bytes)
        except _BodyTooLarge:
            return _error(413, f"the request body is larger than {state.limits.max_body_bytes} bytes (the "
                               "service's --max-body-bytes); send fewer or shorter texts per request")
        except ClientDisconnect:  # gone before the body arrived: nobody reads the answer
            return _error(400, "the client closed the connection before the body was complete")
        parsed = _parse(body)
        if isinstance(parsed, Response):
            return parsed
        if state.tagger is None:
            reason = f"the model failed to load: {state.load_error}" if state.load_error else "the model is still loading"
            return _error(503, f"not ready: {reason}")
        try:
            results = await state.batcher.submit(parsed.all_texts())
        except QueueFullError as error:
            return _error(503, f"the service is at capacity ({error}); retry later")
        except Exception as error:  # noqa: BLE001 (the model failed on this batch: a 500, the server goes on)
            return _error(500, f"tagging failed: {type(error).__name__}: {error}")
        records = [tagged.to_dict(words=parsed.words) for tagged in results]
        return _json(records[0] if parsed.texts is None else records)

    @app.get("/health", summary="Liveness: the process answers")
    async def health() -> Response:
        return _json({"status": "ok"})

    @app.get("/ready", summary="Readiness: the model is loaded (503 until then)")
    async def ready(request: Request) -> Response:
        state: _ServiceState = request.app.state.service
        if state.tagger is not None:
            return _json({"ready": True, "load_seconds": round(state.load_seconds or 0.0, 3)})
        reason = f"the model failed to load: {state.load_error}" if state.load_error else "the model is loading"
        return _json({"ready": False, "error": reason}, 503, {"Retry-After": RETRY_AFTER_SECONDS})

    @app.get("/metadata", summary="Labels, model, training run, versions, limits and batching counters")
    async def metadata(request: Request) -> Response:
        state: _ServiceState = request.app.state.service
        tagger = state.tagger
        labels = list(getattr(tagger, "labels", [])) if tagger is not None else []
        return _json({
            "ready": tagger is not None,
            "labels": labels,
            "entity_types": sorted({label[2:] for label in labels if label[:2] in ("B-", "I-")}),
            "model": _model_description(tagger) if tagger is not None else None,
            "run": _run_of(getattr(tagger, "path", None)) if tagger is not None else None,
            "versions": _versions(),
            "limits": asdict(state.limits),
            "batching": {**asdict(state.batcher.stats), "waiting": state.batcher.waiting},
            "uptime_seconds": round(time.time() - state.started, 1),
            "platform": f"{platform.system()} {platform.machine()}, Python {sys.version.split()[0]}",
        })

    return app

"""Dynamic batching: the texts of concurrent requests tagged in one model call.

Requests wait in a bounded queue; one collector task takes them out, up to ``max_batch_size``
texts or until ``max_wait_ms`` have passed since the first one (whatever comes first), and hands
their texts to the model in ONE call, run in a worker thread so that the event loop keeps
accepting, parsing and answering requests meanwhile. While the model runs, new requests pile up
in the queue, so under load the batches fill by themselves; when the queue is full a request is
refused at once (:class:`QueueFullError`, a 503) instead of waiting without bound. After a batch
of one request the next one does not wait for company: a lone client would only lose
``max_wait_ms`` on every request (measured in docs/benchmarks.md, "HTTP service").

Only one model call runs at a time: on a CPU two calls at once would share the same cores, and on
a GPU one bigger batch is faster than two small ones. With ``max_batch_size=1`` every request is
its own call (the naive handler ``bench/serve.py`` compares with).

>>> import asyncio
>>> async def demo():
...     batcher = DynamicBatcher(BatchLimits(max_batch_size=8, max_wait_ms=20, max_queue=4))
...     await batcher.start(lambda texts: [t.upper() for t in texts])
...     results = await asyncio.gather(batcher.submit(["a", "b"]), batcher.submit(["c"]))
...     await batcher.stop()
...     return results, batcher.stats.batches
>>> asyncio.run(demo())
([['A', 'B'], ['C']], 1)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BatchLimits", "BatchStats", "DynamicBatcher", "QueueFullError"]


class QueueFullError(RuntimeError):
    """The queue of waiting requests is full: the service is at capacity (answered with a 503)."""


@dataclass(frozen=True)
class BatchLimits:
    """How requests are batched and how many may wait.

    Attributes
    ----------
    max_batch_size:
        Most texts one model call takes (a single request with more texts is still one call).
    max_wait_ms:
        How long the first request of a batch waits for others to join it, in milliseconds.
    max_queue:
        Most requests waiting for the model; one more is refused with :class:`QueueFullError`.
    """

    max_batch_size: int = 32
    max_wait_ms: float = 5.0
    max_queue: int = 128

    def __post_init__(self) -> None:
        if self.max_batch_size < 1 or self.max_queue < 1:
            raise ValueError(f"max_batch_size and max_queue must be at least 1, got {self.max_batch_size} "
                             f"and {self.max_queue}")
        if not self.max_wait_ms >= 0:  # also refuses NaN
            raise ValueError(f"max_wait_ms must be 0 or more, got {self.max_wait_ms}")


@dataclass
class BatchStats:
    """What the batcher has done so far (``GET /metadata`` shows it).

    Attributes
    ----------
    batches:
        Model calls made.
    texts:
        Texts tagged.
    largest_batch:
        The most texts one call took.
    refused:
        Requests refused because the queue was full.
    in_model:
        Texts in the model call running now (0 when the model is idle).
    """

    batches: int = 0
    texts: int = 0
    largest_batch: int = 0
    refused: int = 0
    in_model: int = 0


@dataclass
class _Request:
    texts: Sequence[str]
    future: asyncio.Future = field(repr=False)


class DynamicBatcher:
    """Collect the texts of concurrent requests into batched calls of one function.

    Parameters
    ----------
    limits:
        Batch size, wait and queue bounds.

    Notes
    -----
    :meth:`start` and :meth:`submit` must be called from the event loop the batcher serves.
    """

    def __init__(self, limits: BatchLimits = BatchLimits()):
        self.limits = limits
        self.stats = BatchStats()
        self._function: Callable[[list[str]], list[Any]] | None = None
        self._queue: asyncio.Queue[_Request] | None = None
        self._collector: asyncio.Task | None = None
        # the model's own thread: loading and every call run there, one at a time
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="nerlib-model")

    @property
    def running(self) -> bool:
        """Whether requests are being taken (:meth:`start` ran, :meth:`stop` did not)."""
        return self._collector is not None and not self._collector.done()

    @property
    def waiting(self) -> int:
        """Requests in the queue now."""
        return 0 if self._queue is None else self._queue.qsize()

    async def start(self, function: Callable[[list[str]], list[Any]]) -> None:
        """Start taking requests for ``function`` (texts -> one result per text, in order).

        Parameters
        ----------
        function:
            Called in the batcher's worker thread with the texts of a batch.
        """
        self._function = function
        self._queue = asyncio.Queue(maxsize=self.limits.max_queue)
        self._collector = asyncio.create_task(self._collect(), name="nerlib-batcher")

    async def stop(self) -> None:
        """Stop the collector; requests still waiting fail with ``CancelledError``."""
        if self._collector is not None:
            self._collector.cancel()
            await asyncio.gather(self._collector, return_exceptions=True)
        while self._queue is not None and not self._queue.empty():
            self._queue.get_nowait().future.cancel()
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def submit(self, texts: Sequence[str]) -> list[Any]:
        """Queue ``texts`` and wait for their results.

        Parameters
        ----------
        texts:
            The texts of one request (at least one).

        Returns
        -------
        list
            One result per text, in order.

        Raises
        ------
        QueueFullError
            When ``max_queue`` requests are already waiting.
        RuntimeError
            When the batcher is not running.
        Exception
            Whatever the function raised for the batch this request was part of.
        """
        if not self.running or self._queue is None:
            raise RuntimeError("the batcher is not running")
        request = _Request(texts, asyncio.get_running_loop().create_future())
        try:
            self._queue.put_nowait(request)
        except asyncio.QueueFull:
            self.stats.refused += 1
            raise QueueFullError(f"{self.limits.max_queue} requests are already waiting") from None
        return await request.future

    async def _collect(self) -> None:
        """Forever: take a batch of requests, run it, hand out the results."""
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        wait = self.limits.max_wait_ms / 1000
        held: _Request | None = None  # a request that did not fit in the last batch goes first next
        company = True  # whether the last batch held more than one request
        while True:
            first = held if held is not None else await self._queue.get()
            held = None
            batch, size = [first], len(first.texts)
            deadline = loop.time() + (wait if company else 0.0)
            while size < self.limits.max_batch_size:
                try:
                    request = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    try:
                        request = await asyncio.wait_for(self._queue.get(), remaining)
                    except TimeoutError:
                        break
                if size + len(request.texts) > self.limits.max_batch_size:
                    held = request
                    break
                batch.append(request)
                size += len(request.texts)
            company = len(batch) > 1 or held is not None
            await self._run(loop, [r for r in batch if not r.future.done()])  # skip callers gone away

    async def _run(self, loop: asyncio.AbstractEventLoop, batch: list[_Request]) -> None:
        if not batch:
            return
        texts = [text for request in batch for text in request.texts]
        self.stats.in_model = len(texts)
        try:
            results = await loop.run_in_executor(self.executor, self._function, texts)
            if len(results) != len(texts):
                raise RuntimeError(f"the model returned {len(results)} results for {len(texts)} texts")
        except Exception as error:  # noqa: BLE001 (every request of the batch gets the error)
            for request in batch:
                if not request.future.done():
                    request.future.set_exception(error)
            return
        finally:
            self.stats.in_model = 0
        self.stats.batches += 1
        self.stats.texts += len(texts)
        self.stats.largest_batch = max(self.stats.largest_batch, len(texts))
        start = 0
        for request in batch:
            end = start + len(request.texts)
            if not request.future.done():
                request.future.set_result(results[start:end])
            start = end

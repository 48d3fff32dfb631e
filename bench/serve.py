"""Benchmark: the HTTP service with dynamic batching against one-request-one-forward, same run.

    NERLIB_DATA_DIR=../shared/data/conllpp python bench/serve.py --model runs/<run>

Two servers of ``python -m nerlib serve`` run side by side on loopback, same model, same options,
one torch thread each (``OMP_NUM_THREADS``, default 1):

1. baseline, naive: ``--max-batch-size 1``: every request is its own model call, one at a time;
2. ours, batched: ``--max-batch-size 32 --max-wait-ms 5`` (the defaults; ``--batch-size``,
   ``--wait-ms`` change them).

By default the servers run on the first half of the CPUs and the clients on the other half
(``--server-cpus``, ``--client-cpus``; ``all`` turns pinning off), so that the clients, which a
deployment runs on other machines, do not take the servers' cores; both contenders get the same
cores. An async HTTP client (aiohttp) drives them at 1, 8 and 64 concurrent clients (``--clients``), spread
over ``--client-processes`` processes (default 4; the client side shares the machine with the
servers and must not be what limits them): each client posts ``{"text": sentence}`` and waits for the answer before sending its next, until
``--requests`` requests are answered (80, 160 and 640 per round by default). Sentences are the CoNLL++ test split's, written as
plain text (words joined by spaces), one per request, in order. The contenders take turns per
level (naive, batched, naive, batched: ``--rounds``) after a warm-up, so a busy moment of a shared
machine hits both; each contender's latencies and time are pooled over its rounds. Prints, per
level and contender, requests/s, the p50 / p99 latency and the server process's CPU time per
request (user + system, from ``/proc``: on a shared machine the work a request costs, whatever
share of the cores the server got), then the ratios batched / naive.
Before timing, it checks that both servers give identical answers for the first 200 sentences.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
ROOT = Path(__file__).resolve().parents[1]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="run folder, checkpoint folder or HF folder (default: newest run in $NERLIB_RUNS_DIR)")
    parser.add_argument("--split", default="test", help="CoNLL++ split or CoNLL file for the texts (default test)")
    parser.add_argument("--clients", default="1,8,64", help="concurrency levels (default 1,8,64)")
    parser.add_argument("--requests", default="80,160,640",
                        help="requests per round at each level of --clients (default 80,160,640)")
    parser.add_argument("--rounds", type=int, default=2, help="turns per level for each contender (default 2)")
    parser.add_argument("--batch-size", type=int, default=32, help="the batched server's --max-batch-size")
    parser.add_argument("--wait-ms", type=float, default=5.0, help="the batched server's --max-wait-ms")
    parser.add_argument("--dtype", default="auto", help="--dtype of both servers (default auto, as serve's)")
    parser.add_argument("--client-processes", type=int, default=4,
                        help="processes the clients are spread over (default 4), so that the client side, "
                             "which shares the machine, is not what limits the servers")
    parser.add_argument("--server-cpus", default="auto",
                        help="CPUs the two servers may run on, e.g. 0 or 0-3 (default auto: the first half of "
                             "this process's CPUs; all: no pinning)")
    parser.add_argument("--client-cpus", default="auto",
                        help="CPUs the client processes may run on (default auto: the other half; all: no pinning)")
    parser.add_argument("--json-out", help="also write the figures to this JSON file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # a client process
    return parser.parse_args()


def cpu_sets(server_cpus: str, client_cpus: str) -> tuple[set[int] | None, set[int] | None]:
    """The CPUs the servers and the clients are pinned to (``None``: not pinned).

    ``auto`` splits the CPUs this process may use in two halves, servers first, so that the
    clients (which a real deployment runs on other machines) do not take the servers' cores;
    with one CPU, or where pinning is not supported, nothing is pinned.

    >>> cpu_sets("0", "1-3")
    ({0}, {1, 2, 3})
    >>> cpu_sets("all", "all")
    (None, None)
    """
    def parse(text: str) -> set[int]:
        cpus: set[int] = set()
        for part in text.split(","):
            first, _, last = part.partition("-")
            cpus.update(range(int(first), int(last or first) + 1))
        return cpus

    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    half = len(available) // 2
    chosen = []
    for text, auto in ((server_cpus, available[:half]), (client_cpus, available[half:])):
        if text == "all":
            chosen.append(None)
        elif text == "auto":
            chosen.append(set(auto) if half else None)
        else:
            chosen.append(parse(text))
    return chosen[0], chosen[1]


def pinned(cpus: set[int] | None):
    """A ``preexec_fn`` that pins the child process (and every thread it starts) to ``cpus``."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def start_server(model: str, *options: str, cpus: set[int] | None = None) -> tuple[subprocess.Popen, str]:
    """``python -m nerlib serve`` on a free port; returns the process and its URL once it is ready."""
    import httpx

    process = subprocess.Popen([sys.executable, "-m", "nerlib", "serve", model, "--port", "0", "--log-level",
                                "warning", "--max-queue", "1024", *options],
                               stderr=subprocess.PIPE, text=True, cwd=ROOT, preexec_fn=pinned(cpus))
    line = process.stderr.readline()
    match = re.search(r"on (http://[^ ]+) ", line)
    if not match:
        process.kill()
        raise SystemExit(f"the server did not start: {line}{process.stderr.read()}")
    url = match.group(1)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/ready", timeout=5).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"the server stopped: {process.stderr.read()}")
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{url} was not ready within 10 minutes")


async def drive(url: str, texts: list[str], clients: int, requests: int) -> tuple[float, list[float], int]:
    """``clients`` concurrent clients post ``requests`` texts in all; returns (seconds, latencies,
    failed requests). A request that fails (connection error, a status other than 200) is counted,
    not timed, and sent again. aiohttp, not httpx: the client side shares the machine, and
    aiohttp costs a fraction of httpx's CPU per request."""
    import aiohttp

    latencies: list[float] = []
    failed = 0
    next_index = 0

    async def client(http: aiohttp.ClientSession) -> None:
        nonlocal next_index, failed
        while next_index < requests:
            text = texts[next_index % len(texts)]
            next_index += 1
            while True:
                started = time.perf_counter()
                try:
                    async with http.post(f"{url}/tag", json={"text": text}) as response:
                        body = await response.read()
                        status = response.status
                except aiohttp.ClientError:
                    failed += 1
                    continue
                if status == 200:
                    latencies.append(time.perf_counter() - started)
                    break
                failed += 1
                if failed > requests:
                    raise RuntimeError(f"{url}: {status} {body[:200]!r}")

    # idle connections expire on the client long before the server's keep-alive closes them, so
    # that no request goes out on a connection the server is closing
    connector = aiohttp.TCPConnector(limit=clients, keepalive_timeout=1.0)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        return time.perf_counter() - started, latencies, failed


def worker(split: str) -> None:
    """A client process: for each job line on standard input (``{"url", "clients", "requests"}``),
    run :func:`drive` and answer one JSON line (seconds, latencies, failed)."""
    from nerlib.evaluation.scoring import load_sentences

    texts = [" ".join(s.tokens) for s in load_sentences(split)[0]]
    print("ready", flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        start = job["offset"] % len(texts)  # each process starts elsewhere in the split
        rotated = texts[start:] + texts[:start]
        seconds, latencies, failed = asyncio.run(drive(job["url"], rotated, job["clients"], job["requests"]))
        print(json.dumps({"seconds": seconds, "latencies": latencies, "failed": failed}), flush=True)


class ClientProcesses:
    """Client processes that drive a server together (see :func:`worker`)."""

    def __init__(self, count: int, split: str, cpus: set[int] | None = None):
        self.processes = [subprocess.Popen([sys.executable, __file__, "--worker", "--split", split],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                                           preexec_fn=pinned(cpus))
                          for _ in range(count)]
        for process in self.processes:
            if process.stdout.readline().strip() != "ready":
                raise SystemExit("a client process did not start")

    def drive(self, url: str, clients: int, requests: int) -> tuple[float, list[float], int]:
        """``clients`` clients spread over the processes post ``requests`` texts in all."""
        active = self.processes[:max(1, min(len(self.processes), clients))]
        started = time.perf_counter()
        for i, process in enumerate(active):
            share = {"url": url, "clients": clients // len(active) + (i < clients % len(active)),
                     "requests": requests // len(active) + (i < requests % len(active)), "offset": 800 * i}
            process.stdin.write(json.dumps(share) + "\n")
            process.stdin.flush()
        answers = [json.loads(process.stdout.readline()) for process in active]
        seconds = time.perf_counter() - started
        return seconds, [t for a in answers for t in a["latencies"]], sum(a["failed"] for a in answers)

    def close(self) -> None:
        for process in self.processes:
            process.stdin.close()
            process.wait(timeout=60)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    args = parse_args()
    if args.worker:
        return worker(args.split)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import httpx

    from nerlib.evaluation.scoring import load_sentences

    model = args.model
    if model is None:
        from nerlib.runs.checkpoints import latest_trained_run

        run = latest_trained_run()
        if run is None:
            raise SystemExit("no trained run found; pass --model")
        model = str(run)
    sentences, source = load_sentences(args.split)
    texts = [" ".join(s.tokens) for s in sentences]
    levels = [int(n) for n in args.clients.split(",")]
    counts = [int(n) for n in args.requests.split(",")]
    if len(counts) != len(levels):
        raise SystemExit(f"--requests gives {len(counts)} counts for {len(levels)} levels of --clients")
    common = ["--dtype", args.dtype]
    contenders = {
        "naive": ["--max-batch-size", "1", *common],
        "batched": ["--max-batch-size", str(args.batch_size), "--max-wait-ms", str(args.wait_ms), *common],
    }
    server_cpus, client_cpus = cpu_sets(args.server_cpus, args.client_cpus)
    print(f"model {model}; texts: {source}, {len(texts)} sentences; {args.rounds} rounds of {args.requests} requests "
          f"at {args.clients} clients; OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}; servers on CPUs "
          f"{sorted(server_cpus) if server_cpus else 'any'}, clients on CPUs "
          f"{sorted(client_cpus) if client_cpus else 'any'}", flush=True)
    servers = {name: start_server(model, *options, cpus=server_cpus) for name, options in contenders.items()}
    pool = ClientProcesses(args.client_processes, args.split, client_cpus)
    try:
        check = texts[:200]
        answers = {name: httpx.post(f"{url}/tag", json={"texts": check}, timeout=300).json()
                   for name, (_, url) in servers.items()}
        same = sum(a == b for a, b in zip(answers["naive"], answers["batched"]))
        print(f"identical answers on the first {len(check)} sentences: {same}/{len(check)}", flush=True)
        results: dict[int, dict[str, dict[str, float]]] = {}
        for clients, requests in zip(levels, counts):
            pooled: dict[str, tuple[float, list[float], int]] = {name: (0.0, [], 0) for name in servers}
            cpu = {name: 0.0 for name in servers}
            client_cpu = {name: 0.0 for name in servers}
            for _, url in servers.values():  # warm-up: connections, first batches
                pool.drive(url, clients, min(2 * clients, 100))
            for _ in range(args.rounds):
                for name, (process, url) in servers.items():
                    before = cpu_seconds(process.pid)
                    client_before = sum(cpu_seconds(worker.pid) for worker in pool.processes)
                    seconds, latencies, failed = pool.drive(url, clients, requests)
                    cpu[name] += cpu_seconds(process.pid) - before
                    client_cpu[name] += sum(cpu_seconds(worker.pid) for worker in pool.processes) - client_before
                    total, timed, failures = pooled[name]
                    pooled[name] = (total + seconds, timed + latencies, failures + failed)
            results[clients] = {}
            for name, (seconds, latencies, failures) in pooled.items():
                figures = {"requests_per_s": len(latencies) / seconds, "p50_ms": 1000 * statistics.median(latencies),
                           "p99_ms": 1000 * percentile(latencies, 0.99), "requests": len(latencies),
                           "failed": failures, "server_cpu_ms_per_request": 1000 * cpu[name] / len(latencies),
                           "client_cpu_ms_per_request": 1000 * client_cpu[name] / len(latencies)}
                results[clients][name] = figures
                print(f"{clients:>3} clients  {name:<8} {figures['requests_per_s']:8.1f} requests/s   "
                      f"p50 {figures['p50_ms']:7.1f} ms   p99 {figures['p99_ms']:7.1f} ms   "
                      f"CPU per request: server {figures['server_cpu_ms_per_request']:5.1f} ms, clients "
                      f"{figures['client_cpu_ms_per_request']:5.1f} ms   "
                      f"({figures['requests']} requests, {failures} failed and sent again)", flush=True)
            naive, batched = results[clients]["naive"], results[clients]["batched"]
            print(f"{clients:>3} clients  batched / naive: {batched['requests_per_s'] / naive['requests_per_s']:.2f}x "
                  f"requests/s, p99 {batched['p99_ms'] / naive['p99_ms']:.2f}x, server CPU per request "
                  f"{batched['server_cpu_ms_per_request'] / naive['server_cpu_ms_per_request']:.2f}x", flush=True)
        for name, (_, url) in servers.items():
            stats = httpx.get(f"{url}/metadata").json()["batching"]
            print(f"{name}: {stats['batches']} model calls for {stats['texts']} texts "
                  f"(largest {stats['largest_batch']})")
    finally:
        pool.close()
        for process, _ in servers.values():
            process.terminate()
            process.wait(timeout=60)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"model": model, "source": source, "results": results}, indent=2))


if __name__ == "__main__":
    main()

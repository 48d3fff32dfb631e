"""``python -m nerlib serve``: a real uvicorn server on a free loopback port, real HTTP clients.

The model is the keyword model of test_tagger (a BERT token classifier built from a config, whose
entities are known), saved to a folder and loaded by the service as any checkpoint is. Servers run
in a thread of this process (the app with small limits) or as the real command in a subprocess.
Expected answers come from ``python -m nerlib tag`` on the same texts.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("torch")
httpx = pytest.importorskip("httpx")
uvicorn = pytest.importorskip("uvicorn")

from test_lean_install import _lean_site_packages  # noqa: E402
from test_tagger import save_keyword_model  # noqa: E402

from nerlib.cli import main  # noqa: E402
from nerlib.data.labels import NER_LABELS  # noqa: E402
from nerlib.serving.server import bind_socket  # noqa: E402
from nerlib.serving.service import ServiceLimits, create_app  # noqa: E402
from nerlib.tagging.tagger import Tagger  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ["Angela Smith flew to  Paris\u00a0(Zürich) with Acme Corp.", "", "Berlin and Paris", "nothing here",
         "Merkel met Xi in New York on Olympics day.\nAcme Corp. said so."]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return save_keyword_model(tmp_path_factory.mktemp("serve-model"))


def nerlib_tag(model_dir: Path, texts: list[str], *extra: str) -> list[dict]:
    """What ``python -m nerlib tag`` writes for ``texts``, one object per text."""
    out = io.StringIO()
    assert main(["tag", "-m", str(model_dir), "--dtype", "float32", *extra, *texts], stdout=out) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


@contextlib.contextmanager
def running_server(load: Callable[[], Tagger], limits: ServiceLimits = ServiceLimits(),
                   wait_ready: bool = True) -> Iterator[tuple[str, object]]:
    """The service app under a real uvicorn server in a thread, on a free loopback port."""
    sock = bind_socket("127.0.0.1", 0)
    app = create_app(load, limits)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", limit_concurrency=256))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.01)
        if wait_ready:
            wait_until_ready(url)
        yield url, app
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def wait_until_ready(url: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/ready", timeout=5).status_code == 200:
                return
        time.sleep(0.05)
    raise AssertionError(f"{url} never became ready")


def loader(model_dir: Path) -> Callable[[], Tagger]:
    return lambda: Tagger.from_pretrained(model_dir, device="cpu", dtype="float32")


@pytest.fixture(scope="module")
def server(model_dir) -> Iterator[str]:
    """One server with default limits except a small body limit, shared by the bad-input tests."""
    with running_server(loader(model_dir), ServiceLimits(max_body_bytes=64 * 1024)) as (url, _):
        yield url


# --- answers --------------------------------------------------------------------------------------


def test_answers_equal_what_nerlib_tag_writes(server, model_dir):
    expected = nerlib_tag(model_dir, TEXTS)
    with_words = nerlib_tag(model_dir, TEXTS, "--words")
    assert [e["text"] for e in expected[0]["entities"]] == ["Angela Smith", "Paris", "Acme Corp."]
    assert httpx.post(f"{server}/tag", json={"texts": TEXTS}).json() == expected
    assert httpx.post(f"{server}/tag", json={"texts": TEXTS, "words": True}).json() == with_words
    single = httpx.post(f"{server}/tag", json={"text": TEXTS[0]})
    assert single.status_code == 200 and single.headers["content-type"] == "application/json"
    assert single.json() == expected[0]
    # non-ASCII text comes back as UTF-8, as `tag` writes it (not \\u escapes)
    assert "Zürich".encode() in single.content


@pytest.mark.parametrize("batch_size, wait_ms", [(36, 10_000), (1, 0)], ids=["batched", "one-per-call"])
def test_concurrent_clients_each_get_their_own_answer(model_dir, batch_size, wait_ms):
    # 24 concurrent requests, 36 texts: with room for 36 texts per call and a long wait, they are
    # tagged in ONE model call; with batching off, one call per request.
    words = ["Paris", "Berlin", "Acme Corp.", "Merkel", "the", "report", "Olympics", "with"]
    texts = [" ".join(words[(i * 3 + k) % len(words)] for k in range(1 + i % 5)) + f" {i}" for i in range(36)]
    requests = [{"text": texts[i]} for i in range(12)] + [{"texts": texts[12 + 2 * i: 14 + 2 * i]} for i in range(12)]
    expected = nerlib_tag(model_dir, texts)

    async def clients(url: str) -> list:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            return await asyncio.gather(*(client.post("/tag", json=body) for body in requests))

    limits = ServiceLimits(max_batch_size=batch_size, max_wait_ms=wait_ms)
    with running_server(loader(model_dir), limits) as (url, _):
        responses = asyncio.run(clients(url))
        stats = httpx.get(f"{url}/metadata").json()["batching"]
    assert [r.status_code for r in responses] == [200] * 24
    assert [r.json() for r in responses[:12]] == expected[:12]
    assert [r.json() for r in responses[12:]] == [expected[12 + 2 * i: 14 + 2 * i] for i in range(12)]
    # the warm-up call is not counted: these are the requests' calls only
    if batch_size == 36:
        assert (stats["batches"], stats["largest_batch"], stats["texts"]) == (1, 36, 36)
    else:
        assert (stats["batches"], stats["largest_batch"], stats["texts"]) == (24, 2, 36)


def test_a_lone_client_does_not_wait_for_company():
    # a 60 s window: a request that waited for company would time out below; after a batch of one
    # request the next one goes to the model at once
    from nerlib.serving.batcher import BatchLimits, DynamicBatcher

    async def scenario() -> tuple[list, int]:
        batcher = DynamicBatcher(BatchLimits(max_batch_size=4, max_wait_ms=60_000, max_queue=4))
        await batcher.start(lambda texts: [t.upper() for t in texts])
        try:
            first = await asyncio.wait_for(batcher.submit(["a", "b", "c", "d"]), 30)  # a full batch: no wait
            answers = [first] + [await asyncio.wait_for(batcher.submit([t]), 30) for t in "efg"]
            return answers, batcher.stats.batches
        finally:
            await batcher.stop()

    assert asyncio.run(scenario()) == ([["A", "B", "C", "D"], ["E"], ["F"], ["G"]], 4)


def test_health_ready_and_metadata_before_and_after_the_model_loads(model_dir):
    release = threading.Event()

    def slow_load() -> Tagger:
        assert release.wait(60), "the test never released the load"
        return loader(model_dir)()

    with running_server(slow_load, wait_ready=False) as (url, _):
        assert httpx.get(f"{url}/health").json() == {"status": "ok"}
        ready = httpx.get(f"{url}/ready")
        assert ready.status_code == 503 and ready.json()["ready"] is False and ready.headers["retry-after"]
        early = httpx.post(f"{url}/tag", json={"text": "Paris"})
        assert early.status_code == 503 and "loading" in early.json()["error"]
        assert httpx.get(f"{url}/metadata").json()["ready"] is False
        release.set()
        wait_until_ready(url)
        assert httpx.get(f"{url}/ready").json()["ready"] is True
        assert httpx.post(f"{url}/tag", json={"text": "Paris"}).json()["entities"][0]["label"] == "LOC"
        metadata = httpx.get(f"{url}/metadata").json()
    assert metadata["labels"] == list(NER_LABELS)
    assert metadata["entity_types"] == ["LOC", "MISC", "ORG", "PER"]
    assert metadata["model"]["path"] == str(model_dir) and metadata["model"]["dtype"] == "float32"
    assert (metadata["model"]["backend"], metadata["model"]["backend_reason"], metadata["model"]["onnx_file"]) == \
        ("torch", "auto: no exported ONNX model next to the checkpoint", None)
    assert metadata["run"] is None  # a plain model folder, not a training run
    assert metadata["versions"]["nerlib"] and metadata["versions"]["fastapi"]
    assert metadata["limits"]["max_body_bytes"] == ServiceLimits().max_body_bytes


def test_openapi_page_and_schema(server):
    schema = httpx.get(f"{server}/openapi.json").json()
    body = schema["paths"]["/tag"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"text", "texts", "words"} and body["additionalProperties"] is False
    assert {"/health", "/ready", "/metadata"} <= set(schema["paths"])
    page = httpx.get(f"{server}/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()


# --- bad input ------------------------------------------------------------------------------------

BAD_BODIES = {
    "empty list": (b'{"texts": []}', 422, "texts: List should have at least 1 item"),
    "non-string items": (b'{"texts": ["ok", 3, null]}', 422, "texts.1: Input should be a valid string"),
    "unknown field": (b'{"text": "Paris", "lang": "en"}', 422, "lang: Extra inputs are not permitted"),
    "typo in the field name": (b'{"txt": "Paris"}', 422, "txt: Extra inputs are not permitted"),
    "neither text nor texts": (b'{"words": true}', 422, 'give "text" (one text) or "texts"'),
    "both text and texts": (b'{"text": "a", "texts": ["b"]}', 422, 'give "text" (one text) or "texts"'),
    "words not a boolean": (b'{"text": "a", "words": "yes"}', 422, "words: Input should be a valid boolean"),
    "a JSON list": (b'["Paris"]', 422, "the body is a JSON list, not an object"),
    "malformed JSON": (b'{"texts": ["Paris",', 400, "the body is not valid JSON: Expecting value at line 1"),
    "empty body": (b"", 400, "the body is not valid JSON"),
    "not UTF-8": (b'{"text": "caf\xe9"}', 400, "the body is not UTF-8 text"),
    "10 MB body": (b'{"text": "' + b"Paris " * (10 * 1024 * 1024 // 6) + b'"}', 413,
                   "larger than 65536 bytes"),
}


@pytest.mark.parametrize("name", BAD_BODIES)
def test_bad_input_gets_a_json_4xx_naming_the_problem_and_the_server_keeps_serving(server, name):
    body, status, message = BAD_BODIES[name]
    response = httpx.post(f"{server}/tag", content=body, headers={"content-type": "application/json"}, timeout=60)
    assert response.status_code == status, response.text
    assert message in response.json()["error"], response.json()
    assert len(response.content) < 2000  # the offending input is not echoed back
    good = httpx.post(f"{server}/tag", json={"text": "Paris"})
    assert good.status_code == 200 and good.json()["entities"][0]["text"] == "Paris"


def test_a_chunked_upload_over_the_limit_is_cut_off_with_413(server):
    def chunks():  # no Content-Length: the service counts the bytes as they arrive
        yield b'{"text": "'
        for _ in range(100):
            yield b"Paris " * 1000
        yield b'"}'

    response = httpx.post(f"{server}/tag", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and "larger than 65536 bytes" in response.json()["error"]
    assert httpx.post(f"{server}/tag", json={"text": "Paris"}).status_code == 200


def test_json_sent_as_form_data_by_curl_d_is_still_read(server):
    # `curl -d '{...}'` sends application/x-www-form-urlencoded; the body is JSON all the same
    response = httpx.post(f"{server}/tag", content=b'{"text": "Berlin"}',
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200 and response.json()["entities"][0]["text"] == "Berlin"


def test_unknown_paths_and_methods_answer_json(server):
    missing = httpx.get(f"{server}/nope")
    assert missing.status_code == 404 and missing.json() == {"error": "Not Found"}
    wrong = httpx.get(f"{server}/tag")
    assert wrong.status_code == 405 and wrong.json() == {"error": "Method Not Allowed"}


def test_a_full_queue_answers_503_and_the_server_keeps_serving(model_dir):
    # One request waits at most; a long text keeps the model busy while five more arrive: one
    # waits, four are refused at once. Nothing is refused once the model is free again.
    limits = ServiceLimits(max_batch_size=1, max_queue=1, max_body_bytes=4 * 1024 * 1024)
    long_text = "Angela Merkel visited Paris and Acme Corp. on Olympics day. " * 5_000

    async def scenario(url: str):
        async with httpx.AsyncClient(base_url=url, timeout=300) as client:
            busy = asyncio.create_task(client.post("/tag", json={"text": long_text}))
            for _ in range(3000):
                if (await client.get("/metadata")).json()["batching"]["in_model"] == 1:
                    break
                await asyncio.sleep(0.01)
            else:
                raise AssertionError("the long text never reached the model")
            small = await asyncio.gather(*(client.post("/tag", json={"text": f"Paris {i}"}) for i in range(5)))
            stats = (await client.get("/metadata")).json()["batching"]
            long_answer = await busy
            after = await client.post("/tag", json={"text": "Berlin"})
            return long_answer, small, stats, after

    with running_server(loader(model_dir), limits) as (url, _):
        long_answer, small, stats, after = asyncio.run(scenario(url))
    codes = sorted(r.status_code for r in small)
    assert codes == [200, 503, 503, 503, 503], [r.text for r in small]
    refused = [r for r in small if r.status_code == 503]
    assert all("at capacity" in r.json()["error"] and r.headers["retry-after"] == "1" for r in refused)
    assert stats["refused"] == 4
    assert long_answer.status_code == 200 and len(long_answer.json()["entities"]) == 5 * 5_000
    assert after.status_code == 200


# --- the command ----------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


@pytest.mark.slow
def test_the_serve_command_serves_until_sigterm(model_dir):
    process = subprocess.Popen(
        [sys.executable, "-m", "nerlib", "serve", str(model_dir), "--port", "0", "--dtype", "float32",
         "--max-batch-size", "8", "--log-level", "warning"],
        stderr=subprocess.PIPE, text=True, cwd=ROOT, env=_env())
    try:
        line = process.stderr.readline()
        match = re.search(r"on (http://127\.0\.0\.1:\d+) ", line)
        assert match, line
        url = match.group(1)
        wait_until_ready(url)
        assert httpx.post(f"{url}/tag", json={"texts": TEXTS}).json() == nerlib_tag(model_dir, TEXTS)
        assert httpx.get(f"{url}/metadata").json()["limits"]["max_batch_size"] == 8
        process.send_signal(signal.SIGTERM)  # a graceful shutdown, then the exit code of Ctrl-C
        assert process.wait(timeout=60) == 130
        assert "Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()


@pytest.mark.slow
def test_a_model_that_fails_to_load_stops_the_server_with_one_error_line(model_dir, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for file in model_dir.iterdir():
        (broken / file.name).write_bytes(file.read_bytes())
    (broken / "model.safetensors").write_bytes(b"not weights")
    result = subprocess.run([sys.executable, "-m", "nerlib", "serve", str(broken), "--port", "0"],
                            capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=120)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "model.safetensors" in errors[0], result.stderr
    assert "Traceback" not in result.stderr


def test_bad_command_lines_end_in_one_error_line(model_dir, tmp_path, capsys):
    assert main(["serve", str(tmp_path / "missing")]) == 1
    assert capsys.readouterr().err.strip().startswith("error: no such checkpoint")
    taken = bind_socket("127.0.0.1", 0)
    try:
        port = taken.getsockname()[1]
        assert main(["serve", str(model_dir), "--port", str(port)]) == 1
        assert capsys.readouterr().err.strip() == f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    finally:
        taken.close()
    assert main(["serve", str(model_dir), "--host", "no-such-host.invalid"]) == 1
    assert "--host no-such-host.invalid: not an address" in capsys.readouterr().err
    for option, value in [("--port", "70000"), ("--max-wait-ms", "-1"), ("--max-queue", "0")]:
        with pytest.raises(SystemExit) as exit_:
            main(["serve", str(model_dir), option, value])
        assert exit_.value.code == 2
        assert f"argument {option}" in capsys.readouterr().err


@pytest.mark.slow
def test_without_the_serve_extra_the_command_names_it(model_dir, tmp_path):
    lean = _lean_site_packages(tmp_path / "site-packages")  # without fastapi and uvicorn
    env = {k: v for k, v in _env().items() if k != "PYTHONHOME"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(lean)])
    code = f"import sys; from nerlib.cli import main; sys.exit(main(['serve', {str(model_dir)!r}]))"
    result = subprocess.run([sys.executable, "-S", "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: the HTTP service needs fastapi and uvicorn, which are not installed: "
        "pip install 'ner-workbench[serve]'")

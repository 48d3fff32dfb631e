"""The Ray engine (nerlib.tagging.ray_engine, ``python -m nerlib tag --engine ray``) on a real local
two-node Ray cluster (``ray.cluster_utils.Cluster``, CPU only, one cluster for the module): output
byte-identical to the local engine, Parquet partitions in and Parquet out, a worker killed mid-job,
malformed input, an unreachable cluster address, Ray missing."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from contextlib import redirect_stderr
from pathlib import Path

import pytest

pytest.importorskip("torch")
ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")

from test_bulk import made_up_texts  # noqa: E402
from test_tagger import save_keyword_model  # noqa: E402

from nerlib.cli import main  # noqa: E402
from nerlib.tagging.bulk import BulkError  # noqa: E402
from nerlib.tagging.ray_engine import RayJob, check_cluster_answers, run_ray  # noqa: E402
from nerlib.tagging.tagger import Tagger  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NODE_OBJECT_STORE = 100 * 1024 * 1024  # bytes per node: the records in flight are small
TAGGER_OPTIONS = {"device": "cpu", "dtype": "float32"}
CPU_OPTIONS = ["--device", "cpu", "--dtype", "float32", "--no-progress"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    """A head and a worker node (2 logical CPUs each) on this machine, joined by this process; shut
    down (driver, then every node's processes, then any worker process that outlived its raylet)
    even when a test fails. Workers run at niceness 0 (Ray's default, 15, starves them on a busy
    machine)."""
    from ray.cluster_utils import Cluster

    saved = os.environ.get("RAY_worker_niceness")
    os.environ["RAY_worker_niceness"] = "0"  # read by the raylets this process starts
    cluster = Cluster()
    workers: set[int] = set()
    try:
        cluster.add_node(num_cpus=2, object_store_memory=NODE_OBJECT_STORE, include_dashboard=False)
        cluster.add_node(num_cpus=2, object_store_memory=NODE_OBJECT_STORE)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, log_to_driver=False, logging_level="warning")
        yield cluster
    finally:
        with contextlib.suppress(Exception):
            workers = worker_pids(cluster)
        ray.shutdown()
        cluster.shutdown()
        for pid in workers:  # a worker still importing when its raylet ended would run on alone
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if saved is None:
            os.environ.pop("RAY_worker_niceness", None)
        else:
            os.environ["RAY_worker_niceness"] = saved


def worker_pids(cluster, title: bytes = b"") -> set[int]:
    """The worker processes of this cluster's raylets (those whose title holds ``title``)."""
    raylets = {node.all_processes["raylet"][0].process.pid for node in [cluster.head_node, *cluster.worker_nodes]}
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if title not in (entry / "cmdline").read_bytes():
                continue
            pid = parent = int(entry.name)
            for _ in range(4):  # worker <- raylet (<- a wrapper, on some setups)
                parent = int((Path("/proc") / str(parent) / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if parent in raylets:
                    found.add(pid)
                    break
        except (OSError, ValueError, IndexError):
            continue  # the process ended while being read
    return found


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return save_keyword_model(tmp_path_factory.mktemp("ray-model"))


@pytest.fixture(scope="module")
def tagger(model_dir) -> Tagger:
    return Tagger.from_pretrained(model_dir, **TAGGER_OPTIONS)


def local_engine_output(model_dir: Path, source: Path, output: Path, *extra: str) -> bytes:
    """The local engine's output for ``source`` (``python -m nerlib tag --file ... --output ...``)."""
    assert main(["tag", "-m", str(model_dir), "--file", str(source), "--output", str(output), *CPU_OPTIONS,
                 *extra]) == 0
    return output.read_bytes()


def child_env() -> dict[str, str]:
    """The environment of a ``python -m nerlib`` child: this checkout first, no RAY_ADDRESS."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RAY_ADDRESS", None)
    return env


def run_cli(*argv: str) -> tuple[int, str]:
    """``python -m nerlib`` in this process: its exit code and standard error."""
    errors = io.StringIO()
    with redirect_stderr(errors):
        code = main(list(argv))
    return code, errors.getvalue()


def test_text_output_is_byte_identical_to_the_local_engine(cluster, model_dir, tmp_path):
    texts = made_up_texts(150, seed=3)
    # Lines the engines could split differently: a line separator and a form feed inside a text
    # (kept: str.splitlines, as in Ray's read_text, would cut them), a lone carriage return (a
    # line break for both), non-ASCII text, and a last line without a line break.
    texts[7] = "Angela Merkel\u2028visited Paris\x0c today"
    texts[8] = "Acme Corp.\rNew York"
    texts[9] = "naïve café in Zürich with Xi"
    source = tmp_path / "in.txt"
    source.write_text("\n".join(texts), encoding="utf-8")
    local = local_engine_output(model_dir, source, tmp_path / "local.jsonl")

    # A second driver, in its own process, joins the cluster by its address, as on a real cluster.
    result = subprocess.run([sys.executable, "-m", "nerlib", "tag", "--engine", "ray", "--address", cluster.address,
                             "-m", str(model_dir), "--file", str(source), "--output", str(tmp_path / "ray.jsonl"),
                             "--block-size", "7", *CPU_OPTIONS],
                            env=child_env(), cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "ray.jsonl").read_bytes() == local
    assert local.count(b"\n") == 151  # the \r split one line in two
    assert f"ray engine ({cluster.address}, 1 actor): 151 texts" in result.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_parquet_partitions_in_and_parquet_out_keep_the_order(cluster, model_dir, tagger, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = made_up_texts(120, seed=4)
    folder = tmp_path / "docs"
    folder.mkdir()
    # Two partitions, named so that their sorted order is the input order, and a marker file that
    # listing skips; each partition has several row groups.
    pq.write_table(pa.table({"id": range(70), "body": texts[:70]}), folder / "part-00000.parquet", row_group_size=16)
    pq.write_table(pa.table({"id": range(70, 120), "body": [None if t == "" else t for t in texts[70:]]}),
                   folder / "part-00001.parquet", row_group_size=16)
    (folder / "_SUCCESS").write_text("")
    output = tmp_path / "tagged.parquet"

    summary = run_ray(RayJob(source=str(folder), output=str(output), text_field="body", block_size=16,
                             words=True), str(model_dir), TAGGER_OPTIONS)

    expected = [t.to_dict(words=True) for t in tagger.tag_many(texts)]
    table = pq.read_table(output)
    assert table.column_names == ["text", "entities", "words"]
    assert table.to_pylist() == expected
    assert (summary.records, summary.words) == (120, sum(len(d["words"]) for d in expected))
    assert any(row["entities"] for row in expected)  # the comparison covers entities, not only empty lists


def test_num_gpus_and_num_cpus_reach_the_actor_pool(cluster, model_dir, tmp_path, monkeypatch):
    from nerlib.tagging import ray_engine

    source = tmp_path / "in.txt"
    source.write_text("\n".join(made_up_texts(12, seed=6)), encoding="utf-8")
    # a fraction of a GPU per actor: the option Ray schedules by (not run: this cluster has no GPU)
    planned = ray_engine.tagging_dataset(RayJob(source=str(source), output="-", num_gpus=0.25, num_cpus=0.5,
                                                retries=2), str(model_dir), TAGGER_OPTIONS)
    operator = planned._logical_plan.dag
    assert operator.ray_remote_args == {"num_cpus": 0.5, "num_gpus": 0.25, "max_restarts": 2, "max_task_retries": 2}
    assert (operator.compute.min_size, operator.compute.max_size) == (1, 1)  # --concurrency: a fixed pool

    # from the command line, --num-gpus 0 on this CPU cluster: the pool that ran got exactly that
    seen = []

    def record_options(*args, **kwargs):
        dataset = tagging_dataset(*args, **kwargs)
        seen.append(dataset._logical_plan.dag.ray_remote_args)
        return dataset

    tagging_dataset = ray_engine.tagging_dataset
    monkeypatch.setattr(ray_engine, "tagging_dataset", record_options)
    output = tmp_path / "out.jsonl"
    code, errors = run_cli("tag", "--engine", "ray", "-m", str(model_dir), "--file", str(source), "--output",
                           str(output), "--num-gpus", "0", "--num-cpus", "0.5", *CPU_OPTIONS)
    assert code == 0, errors
    assert seen == [{"num_cpus": 0.5, "num_gpus": 0.0, "max_restarts": 3, "max_task_retries": 3}]
    assert output.read_bytes() == local_engine_output(model_dir, source, tmp_path / "local.jsonl")


def test_a_worker_killed_mid_job_loses_and_repeats_no_record(cluster, model_dir, tmp_path):
    texts = made_up_texts(1200, seed=5)
    folder = tmp_path / "docs"
    folder.mkdir()
    for part, start in enumerate(range(0, len(texts), 600)):
        (folder / f"part-{part}.jsonl").write_text(
            "".join(json.dumps({"n": start + i, "text": t}) + "\n" for i, t in enumerate(texts[start:start + 600])),
            encoding="utf-8")
    joined = tmp_path / "all.jsonl"
    joined.write_text("".join(p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())), encoding="utf-8")
    local = local_engine_output(model_dir, joined, tmp_path / "local.jsonl")

    killed: dict[str, int] = {}
    written = [0]

    def kill_one_actor_once(records: int) -> None:
        written[0] += records
        if killed:
            return
        pids = sorted(worker_pids(cluster, b"TaggingActor"))
        assert pids, "no tagging actor process found"
        os.kill(pids[0], signal.SIGKILL)  # both nodes run on this machine: the actor's process is ours to kill
        killed.update(pid=pids[0], written=written[0])

    output = tmp_path / "tagged.jsonl"
    summary = run_ray(RayJob(source=str(folder), output=str(output), block_size=20, concurrency=2),
                      str(model_dir), TAGGER_OPTIONS, progress=kill_one_actor_once)

    assert killed and killed["written"] < len(texts) / 2  # the kill came with most records still to do
    assert output.read_bytes() == local  # every record once, in input order, byte for byte
    assert summary.records == len(texts)
    assert not Path(f"/proc/{killed['pid']}").exists()


def test_a_malformed_line_names_the_file_and_line_and_leaves_no_output(cluster, model_dir, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "Paris"}\n{"text": "Berlin"}\n{"text": "broken\n{"text": "Rome"}\n', encoding="utf-8")
    output = tmp_path / "out.jsonl"
    code, errors = run_cli("tag", "--engine", "ray", "-m", str(model_dir), "--file", str(source),
                           "--output", str(output), *CPU_OPTIONS)
    assert code == 1
    assert f"error: {source}:3: not valid JSON" in errors.splitlines()[-1]
    assert "Traceback" not in errors
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]  # no output, no temporary file


def test_an_unreachable_address_is_one_error_line(model_dir, tmp_path):
    """Nothing listening (refused at once), and a port that accepts but never answers (given up
    after --connect-timeout, 20 s by default: the 30 s bound holds by construction, not by a
    timing assertion); both in fresh processes, run side by side."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        refused_port = closed.getsockname()[1]
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    silent_port = silent.getsockname()[1]
    source = tmp_path / "in.txt"
    source.write_text("Paris\n", encoding="utf-8")
    env = child_env()
    base = [sys.executable, "-m", "nerlib", "tag", "--engine", "ray", "-m", str(model_dir), "--file", str(source),
            "--output", str(tmp_path / "out.jsonl"), *CPU_OPTIONS]
    try:
        runs = [subprocess.Popen([*base, "--address", address, *extra], env=env, cwd=ROOT, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for address, extra in ((f"127.0.0.1:{refused_port}", []),
                                       (f"127.0.0.1:{silent_port}", ["--connect-timeout", "3"]))]
        results = [(run.wait(timeout=120), run.stderr.read()) for run in runs]
    finally:
        silent.close()
    (refused_code, refused), (silent_code, silent_err) = results
    assert refused_code == 1 and refused.strip().splitlines()[-1].startswith(
        f"error: cannot reach the Ray cluster at 127.0.0.1:{refused_port} (Connection refused"), refused
    assert silent_code == 1 and silent_err.strip().splitlines()[-1].startswith(
        f"error: no Ray cluster answered at 127.0.0.1:{silent_port} within 3 s"), silent_err
    assert not (tmp_path / "out.jsonl").exists()


def test_without_ray_the_error_names_the_extra(model_dir, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as in an install without it
    source = tmp_path / "in.txt"
    source.write_text("Paris\n", encoding="utf-8")
    code, errors = run_cli("tag", "--engine", "ray", "-m", str(model_dir), "--file", str(source), *CPU_OPTIONS)
    assert code == 1
    assert errors.strip().splitlines()[-1] == (
        "error: --engine ray needs Ray Data (ray is not installed): pip install 'ner-workbench[scale]'")


@pytest.mark.parametrize("argv, message", [
    (["Paris"], "--engine ray tags --file"),
    (["--file", "IN", "--resume", "--output", "OUT"], "--resume is for the local engine"),
])
def test_the_cli_refuses_what_the_ray_engine_does_not_do(model_dir, tmp_path, argv, message):
    (tmp_path / "in.txt").write_text("Paris\n", encoding="utf-8")
    argv = [a.replace("IN", str(tmp_path / "in.txt")).replace("OUT", str(tmp_path / "out.jsonl")) for a in argv]
    code, errors = run_cli("tag", "--engine", "ray", "-m", str(model_dir), *argv, *CPU_OPTIONS)
    assert code == 1 and message in errors.splitlines()[-1], errors


def test_the_address_check_accepts_a_ray_head_and_refuses_another_server(cluster):
    check_cluster_answers(cluster.address, 10)  # a real GCS answers as gRPC does
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)

        def answer_like_ssh() -> None:
            connection, _ = server.accept()
            with connection:
                connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

        thread = threading.Thread(target=answer_like_ssh, daemon=True)
        thread.start()
        port = server.getsockname()[1]
        with pytest.raises(BulkError, match=rf"127\.0\.0\.1:{port} is not a Ray cluster"):
            check_cluster_answers(f"127.0.0.1:{port}", 10)
        thread.join(10)
    with pytest.raises(BulkError, match="is not host:port"):
        check_cluster_answers("head-without-port", 1)

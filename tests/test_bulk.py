"""Bulk tagging (nerlib.tagging.bulk, ``python -m nerlib tag --file ... --output ...``): input formats,
block sharding and the ordered merge, resume after a kill (in-process and with two real processes
under ``accelerate launch`` killed mid-run)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")

from test_tagger import FILLER, KEYWORDS, save_keyword_model  # noqa: E402

from nerlib.tagging import bulk  # noqa: E402
from nerlib.tagging.bulk import BulkError, BulkJob, Shard, read_texts, run_bulk  # noqa: E402
from nerlib.tagging.tagger import Tagger  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def made_up_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` made-up texts from the keyword model's vocabulary, some empty."""
    import random

    rng = random.Random(seed)
    vocabulary = list(KEYWORDS) + list(FILLER)
    return ["" if i % 17 == 5 else " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 12)))
            for i in range(n)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return save_keyword_model(tmp_path_factory.mktemp("bulk-model"))


@pytest.fixture(scope="module")
def tagger(model_dir) -> Tagger:
    return Tagger.from_pretrained(model_dir, device="cpu", dtype="float32")


def expected_lines(tagger: Tagger, texts: list[str]) -> list[str]:
    return [json.dumps(t.to_dict(), ensure_ascii=False) for t in tagger.tag_many(texts)]


def write_lines(path: Path, texts: list[str]) -> Path:
    path.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    return path


# --- reading -----------------------------------------------------------------------------------


def test_text_lines_keep_empty_lines_and_a_last_line_without_a_break(tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes("one\r\n\ntwo Zürich\nlast".encode())
    assert list(read_texts(str(path))) == ["one", "", "two Zürich", "last"]
    assert bulk.count_records(str(path)) == 4


def test_jsonl_reads_the_text_field_and_names_the_bad_line(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": 1, "body": "Paris"}\n{"id": 2, "body": ""}\n', encoding="utf-8")
    assert list(read_texts(str(path), text_field="body")) == ["Paris", ""]
    with pytest.raises(BulkError, match=r"in\.jsonl:1: no string field 'text' \(found fields \['body', 'id'\]\)"):
        list(read_texts(str(path)))
    path.write_text('{"text": "ok"}\n{"text": "broken\n', encoding="utf-8")
    with pytest.raises(BulkError, match=r"in\.jsonl:2: not valid JSON"):
        list(read_texts(str(path)))


def test_parquet_reads_the_text_column_in_batches(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = made_up_texts(5000)
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": list(range(5000)), "text": texts}), path, row_group_size=1000)
    assert list(read_texts(str(path))) == texts
    assert bulk.count_records(str(path)) == 5000
    with pytest.raises(BulkError, match="no column 'body' .*columns: id, text"):
        list(read_texts(str(path), text_field="body"))


def test_shard_from_the_launcher_environment():
    assert Shard.from_env({}) == Shard(0, 1, 0)
    shard = Shard.from_env({"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1"})
    assert [b for b in range(7) if shard.owns(b)] == [1, 3, 5]
    with pytest.raises(BulkError, match=r"RANK=2 is outside 0\.\.1"):
        Shard.from_env({"RANK": "2", "WORLD_SIZE": "2"})


# --- sharding, merging, resuming (in-process) ---------------------------------------------------


def test_one_process_writes_what_tag_many_returns(tagger, tmp_path):
    texts = made_up_texts(50)
    output = tmp_path / "out.jsonl"
    summary = run_bulk(tagger, BulkJob(str(write_lines(tmp_path / "in.txt", texts)), str(output), block_size=8),
                       Shard(), model="m")
    assert output.read_text(encoding="utf-8").splitlines() == expected_lines(tagger, texts)
    assert summary.records == 50 and summary.merged and summary.words == sum(len(t.split()) for t in texts)
    assert not bulk.parts_dir(str(output)).exists()


@pytest.mark.parametrize("world", [2, 3])
def test_shards_merge_back_into_input_order(tagger, tmp_path, world):
    texts = made_up_texts(47)  # 47 = 11 blocks of 4 + 3: a short last block
    source = write_lines(tmp_path / "in.txt", texts)
    output = tmp_path / "out.jsonl"
    job = BulkJob(str(source), str(output), block_size=4)
    # the other processes finish first; process 0 merges once all parts are complete
    seen = [run_bulk(tagger, job, Shard(rank, world), model="m").records for rank in range(world - 1, -1, -1)]
    assert sum(seen) == 47
    assert output.read_text(encoding="utf-8").splitlines() == expected_lines(tagger, texts)


def test_resume_after_a_torn_write_loses_and_repeats_nothing(tagger, tmp_path):
    texts = made_up_texts(30)
    source = write_lines(tmp_path / "in.txt", texts)
    output = tmp_path / "out.jsonl"
    expected = expected_lines(tagger, texts)
    job = BulkJob(str(source), str(output), block_size=4)
    # what a kill of process 1 (of 2) can leave: 5 complete lines of its blocks and half a line
    shard = Shard(1, 2)
    mine = [line for block in range(0, 8) if shard.owns(block) for line in expected[4 * block:4 * block + 4]]
    bulk.parts_dir(str(output)).mkdir()
    bulk.part_path(str(output), shard).write_text("\n".join(mine[:5]) + "\n" + mine[5][:7], encoding="utf-8")

    with pytest.raises(BulkError, match="pass --resume"):
        run_bulk(tagger, job, shard, model="m")
    resumed = BulkJob(str(source), str(output), block_size=4, resume=True)
    assert run_bulk(tagger, resumed, shard, model="m").skipped == 5
    assert run_bulk(tagger, resumed, Shard(0, 2), model="m").merged
    assert output.read_text(encoding="utf-8").splitlines() == expected


def test_resume_refuses_another_job(tagger, tmp_path):
    source = write_lines(tmp_path / "in.txt", made_up_texts(10))
    output = tmp_path / "out.jsonl"
    folder = bulk.parts_dir(str(output))
    folder.mkdir()
    meta = bulk._job_meta(BulkJob(str(source), str(output), block_size=4), Shard(0, 2), "m")
    (folder / bulk.META_FILE).write_text(json.dumps(meta))
    with pytest.raises(BulkError, match=r"world: was 2, now 1\) \(run with the same number of processes"):
        run_bulk(tagger, BulkJob(str(source), str(output), block_size=4, resume=True), Shard(), model="m")
    with pytest.raises(BulkError, match="model: was 'm', now 'other'"):
        run_bulk(tagger, BulkJob(str(source), str(output), block_size=4, resume=True), Shard(0, 2), model="other")


# --- the command line, two real processes, a kill in the middle ---------------------------------


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _descendants(pid: int) -> list[int]:
    """Process ids of every descendant of ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _launch(model_dir: Path, source: Path, output: Path, *extra: str, port: int) -> list[str]:
    return [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
            "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
            "--main_process_port", str(port), "-m", "nerlib", "tag", "-m", str(model_dir), "--device", "cpu",
            "--file", str(source), "--output", str(output), "--block-size", "64", "--no-progress", *extra]


def test_cli_tags_jsonl_to_stdout(model_dir, tagger, tmp_path):
    texts = made_up_texts(20)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "nerlib", "tag", "-m", str(model_dir), "--device", "cpu",
                             "--file", str(source)], capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == expected_lines(tagger, texts)
    assert "words/s" in result.stderr


@pytest.mark.slow
def test_two_processes_killed_mid_run_resume_to_the_exact_output(model_dir, tagger, tmp_path):
    texts = made_up_texts(8000, seed=1)
    source = write_lines(tmp_path / "in.txt", texts)
    output = tmp_path / "out.jsonl"
    parts = bulk.parts_dir(str(output))
    process = subprocess.Popen(_launch(model_dir, source, output, port=29541), cwd=ROOT, env=_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.time() + 300
        while time.time() < deadline and process.poll() is None:  # both processes have written blocks
            sizes = [p.stat().st_size for p in parts.glob("part-*.jsonl")] if parts.is_dir() else []
            if len(sizes) == 2 and min(sizes) > 0:
                break
            time.sleep(0.05)
        # like a power cut: the workers (torchrun starts each in its own session) and the launcher
        for pid in _descendants(process.pid):
            os.kill(pid, signal.SIGKILL)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    time.sleep(1)  # nothing may still be writing
    assert not output.exists(), "the run ended before the kill: make the input larger"
    written = sum(len(p.read_bytes().splitlines()) for p in parts.glob("part-*.jsonl"))
    assert 0 < written < len(texts)

    result = subprocess.run(_launch(model_dir, source, output, "--resume", port=29542), cwd=ROOT, env=_env(),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert output.read_text(encoding="utf-8").splitlines() == expected_lines(tagger, texts)
    assert not parts.exists()
    assert "texts done before (resumed)" in result.stderr and "process 2/2" in result.stderr

"""Every command ends in one ``error:`` line (issue 26, points 2-4): a table of bad inputs.

Each row builds one bad input (tiny files, tiny models; oversized inputs are sparse files that cost
no disk), runs the real command in a subprocess (``python -m nerlib ...``, ``python -m
training.train ...``) and asserts: the exit code, exactly one ``error:`` line that names the file
(and line where known), no traceback, and nothing left behind (no empty output file, no
``.parts`` folder). Rows over oversized inputs run under a 1.5 GB address-space limit
(``resource.setrlimit``), so reading a whole line into memory would fail them.

Future defects are added as rows.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytest.importorskip("torch")

from test_tagger import save_keyword_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MEMORY_LIMIT = int(1.5 * 2**30)  # bytes of address space for the oversized rows
SPARSE_SIZE = 2 * 2**30  # a 2 GB file of zeros, without a line break


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(module: str, args: list[str], *, stdin: bytes = b"", bounded: bool = False,
        env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run ``python -m module args`` from the repository root, as a user would."""
    environ = {k: v for k, v in os.environ.items() if k != "NERLIB_DEBUG"}
    environ["PYTHONPATH"] = str(ROOT) + os.pathsep + environ.get("PYTHONPATH", "")
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", module, *args], input=stdin, capture_output=True, cwd=ROOT,
                          env=environ, timeout=timeout, preexec_fn=_limit_memory if bounded else None)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "error:" in line]


@dataclass
class Case:
    """One bad input: ``build(tmp, model)`` makes it and returns the command's arguments."""

    name: str
    build: Callable[[Path, Path], list[str]]
    names: tuple[str, ...]  # what the error line must name (file, line), "{tmp}" filled in
    code: int = 1
    stdin: bytes = b""
    absent: tuple[str, ...] = ()  # paths under tmp that must not exist afterwards
    stdout_lines: int | None = None  # JSON lines written before the error (good lines first)
    bounded: bool = False
    env: dict[str, str] = field(default_factory=dict)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _sparse(path: Path, size: int = SPARSE_SIZE) -> Path:
    with open(path, "wb") as handle:
        handle.truncate(size)
    return path


CONLL = b"Paris B-LOC\nis O\nnice O\n\nBerlin B-LOC\n"

TAG_CASES = [
    Case("stdin-invalid-utf8", lambda tmp, model: ["tag", "-m", str(model)], ("<stdin>", "line 2", "UTF-8"),
         stdin=b"Paris\n\xff Berlin\nRome\n", stdout_lines=1),
    Case("stdin-line-over-the-setting", lambda tmp, model: ["tag", "-m", str(model)],
         # the setting also bounds the model's JSON records (config.json): 20,000 bytes hold them
         ("<stdin>", "line 2 is longer than 20000 bytes"), stdin=b"Paris\n" + b"x" * 30000 + b"\nRome\n",
         stdout_lines=1, env={"NERLIB_MAX_LINE_BYTES": "20000"}),
    Case("max-line-bytes-setting-not-a-number", lambda tmp, model: ["tag", "-m", str(model)],
         ("NERLIB_MAX_LINE_BYTES",), stdin=b"Paris\n", stdout_lines=0, env={"NERLIB_MAX_LINE_BYTES": "lots"}),
    Case("block-size-0", lambda tmp, model: ["tag", "-m", str(model), "--file", str(_write(tmp / "in.txt", b"Paris\n")),
                                             "--block-size", "0"], ("--block-size",), code=2),
    Case("whole-file-on-a-folder", lambda tmp, model: ["tag", "-m", str(model), "--file", str(tmp), "--whole-file",
                                                       "-o", str(tmp / "out.jsonl")],
         ("{tmp}", "folder"), absent=("out.jsonl",)),
    Case("whole-file-undecodable", lambda tmp, model: [
        "tag", "-m", str(model), "--file", str(_write(tmp / "in.txt", b"Paris\nBer\xfflin\n")), "--whole-file",
        "-o", str(tmp / "out.jsonl")], ("in.txt", "line 2", "UTF-8"), absent=("out.jsonl",)),
    Case("file-undecodable-to-stdout", lambda tmp, model: [
        "tag", "-m", str(model), "--file", str(_write(tmp / "in.txt", b"Paris\nBer\xfflin\nRome\n"))],
         ("in.txt", "line 2", "UTF-8"), stdout_lines=1),
    Case("bulk-undecodable-leaves-no-parts", lambda tmp, model: [
        "tag", "-m", str(model), "--file", str(_write(tmp / "in.txt", b"\xffParis\nRome\n")),
        "-o", str(tmp / "out.jsonl"), "--no-progress"],
         ("in.txt", "line 1", "UTF-8"), absent=("out.jsonl", "out.jsonl.parts")),
    Case("bulk-on-a-fifo", lambda tmp, model: [
        "tag", "-m", str(model), "--file", (os.mkfifo(tmp / "fifo.txt"), str(tmp / "fifo.txt"))[1],
        "-o", str(tmp / "out.jsonl")], ("fifo.txt", "FIFO"), absent=("out.jsonl", "out.jsonl.parts")),
    Case("bulk-text-2gb-line", lambda tmp, model: [
        "tag", "-m", str(model), "--file", str(_sparse(tmp / "zeros.txt")), "-o", str(tmp / "out.jsonl"),
        "--no-progress"], ("zeros.txt", "line 1 is longer than 1048576 bytes"),
         absent=("out.jsonl", "out.jsonl.parts"), bounded=True),
    Case("bulk-jsonl-2gb-line-to-stdout", lambda tmp, model: [
        "tag", "-m", str(model), "--file", str(_sparse(tmp / "zeros.jsonl"))],
         ("zeros.jsonl", "line 1 is longer than"), stdout_lines=0, bounded=True),
    Case("evaluate-conll-2gb-line", lambda tmp, model: [
        "evaluate", str(model), str(_sparse(tmp / "zeros.conll")), "--seen-from", "none"],
         ("zeros.conll", "line 1", "longer than"), bounded=True),
    Case("evaluate-conll-line-over-the-setting", lambda tmp, model: [
        "evaluate", str(model), str(_write(tmp / "long.conll", CONLL + b"x" * 300 + b" O\n")), "--seen-from", "none"],
         ("long.conll", "line 6", "longer than 100 bytes"), env={"NERLIB_MAX_LINE_BYTES": "100"}),
    Case("evaluate-conll-undecodable", lambda tmp, model: [
        "evaluate", str(model), str(_write(tmp / "bad.conll", CONLL + b"Rom\xe9 B-LOC\n")), "--seen-from", "none"],
         ("bad.conll", "line 6", "UTF-8")),
    Case("evaluate-writes-into-a-folder", lambda tmp, model: [
        "evaluate", str(model), str(_write(tmp / "ok.conll", CONLL)), "--seen-from", "none", "--errors", str(tmp)],
         ("--errors", "folder")),
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return save_keyword_model(tmp_path_factory.mktemp("boundary-model"))


def check(case: Case, result: subprocess.CompletedProcess, tmp: Path) -> None:
    stderr = result.stderr.decode("utf-8", errors="replace")
    assert "Traceback" not in stderr, stderr[-3000:]
    assert result.returncode == case.code, stderr[-3000:]
    lines = error_lines(stderr)
    assert len(lines) == 1, stderr[-3000:]
    for name in case.names:
        assert name.format(tmp=tmp) in lines[0], lines[0]
    assert len(lines[0]) < len(str(tmp)) + 600, "an error line quotes at most 80 characters of the input"
    for path in case.absent:
        assert not (tmp / path).exists(), f"{path} was left behind"
    if case.stdout_lines is not None:
        records = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
        assert len(records) == case.stdout_lines


@pytest.mark.parametrize("case", TAG_CASES, ids=lambda case: case.name)
def test_a_bad_input_ends_in_one_error_line(case: Case, model_dir: Path, tmp_path: Path):
    args = case.build(tmp_path, model_dir)
    result = run("nerlib", args, stdin=case.stdin, bounded=case.bounded, env=case.env)
    check(case, result, tmp_path)


def test_debug_adds_the_traceback(model_dir: Path, tmp_path: Path):
    folder = str(tmp_path)
    quiet = run("nerlib", ["tag", "-m", str(model_dir), "--file", folder, "--whole-file"])
    loud = run("nerlib", ["tag", "--debug", "-m", str(model_dir), "--file", folder, "--whole-file"])
    by_env = run("nerlib", ["tag", "-m", str(model_dir), "--file", folder, "--whole-file"], env={"NERLIB_DEBUG": "1"})
    assert b"Traceback" not in quiet.stderr
    for result in (loud, by_env):
        assert result.returncode == 1
        assert b"Traceback" in result.stderr
        assert result.stderr.decode().rstrip().splitlines()[-1].startswith("error: ")


def test_good_lines_before_a_bad_one_are_written_with_their_results(model_dir: Path):
    result = run("nerlib", ["tag", "-m", str(model_dir)], stdin=b"Paris\nBerlin\n\xc3(\n")
    assert result.returncode == 1
    assert [json.loads(line)["text"] for line in result.stdout.decode().splitlines()] == ["Paris", "Berlin"]
    assert b"<stdin>, line 3" in result.stderr


def _copy_run(source: Path, tmp: Path) -> Path:
    return Path(shutil.copytree(source, tmp / "run", symlinks=True))


# --- python -m training.train: tampered run folders and unusable output folders ------------------

TINY = ["--model", "scratch:layers=1,hidden=32,heads=2,intermediate=64,vocab=500", "--max-train-samples", "64",
        "--max-eval-samples", "16", "--epochs", "2", "--batch-size", "16", "--eval-steps", "2", "--seed", "1",
        "--disable-tqdm", "--cpu"]


@pytest.fixture(scope="module")
def tiny_run_folder(conllpp_dir, tmp_path_factory) -> Path:
    """A finished run of a 32-wide one-layer model: checkpoints step-2, epoch-1, step-6, epoch-2, best."""
    folder = tmp_path_factory.mktemp("boundary-run") / "run"
    result = run("training.train", [*TINY, "--data-dir", str(conllpp_dir), "--output-dir", str(folder)])
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    return folder


def _edit_json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _truncate(path: Path, size: int = 100) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(size)


NEWEST = "checkpoints/epoch-2"


@dataclass
class RunCase:
    """A tampered copy of the tiny run: ``tamper(run)``, then ``--resume``."""

    name: str
    tamper: Callable[[Path], None]
    names: tuple[str, ...]  # what the error line must name, "{run}" filled in
    code: int = 1


RESUME_CASES = [
    RunCase("run-json-invalid", lambda run: (run / "run.json").write_text("{not json"), ("{run}/run.json", "JSON")),
    RunCase("run-json-without-config", lambda run: _edit_json(run / "run.json", lambda d: d.pop("config")),
            ("{run}/run.json", "config")),
    RunCase("config-epochs-two", lambda run: _edit_json(run / "run.json", lambda d: d["config"].update(epochs="two")),
            ("{run}/run.json", "config.epochs", "'two'")),
    RunCase("config-data-dir-etc", lambda run: _edit_json(run / "run.json",
                                                          lambda d: d["config"].update(data_dir="/etc")), ("/etc",)),
    RunCase("every-checkpoint-truncated", lambda run: [_truncate(p) for p in run.glob("checkpoints/*/model.safetensors")],
            ("{run}/" + NEWEST + "/model.safetensors", "truncated")),
    RunCase("every-optimizer-truncated",
            lambda run: [_truncate(p) for p in run.glob("checkpoints/*/training_state/optimizer.pt")],
            ("{run}/" + NEWEST + "/training_state/optimizer.pt",)),
]


@pytest.mark.parametrize("case", RESUME_CASES, ids=lambda case: case.name)
def test_a_damaged_run_folder_stops_resume_with_one_error_line(case: RunCase, tiny_run_folder: Path, tmp_path: Path):
    run_dir = _copy_run(tiny_run_folder, tmp_path)
    case.tamper(run_dir)
    result = run("training.train", ["--output-dir", str(run_dir), "--resume", "--disable-tqdm"])
    stderr = result.stderr.decode("utf-8", errors="replace")
    assert "Traceback" not in stderr, stderr[-3000:]
    assert result.returncode == case.code, stderr[-3000:]
    lines = error_lines(stderr)
    assert len(lines) == 1, stderr[-3000:]
    for name in case.names:
        assert name.format(run=run_dir) in lines[0], lines[0]


@pytest.mark.parametrize("tamper, damaged", [
    (lambda run: _truncate(run / NEWEST / "model.safetensors"), NEWEST + "/model.safetensors"),
    (lambda run: _edit_json(run / NEWEST / "checkpoint.json", lambda d: d["state"].update(step="x")),
     NEWEST + "/checkpoint.json"),
], ids=["truncated-weights", "state-step-x"])
def test_resume_passes_over_a_damaged_newest_checkpoint_saying_which(tamper, damaged, tiny_run_folder, tmp_path):
    run_dir = _copy_run(tiny_run_folder, tmp_path)
    tamper(run_dir)
    result = run("training.train", ["--output-dir", str(run_dir), "--resume", "--disable-tqdm"])
    stderr = result.stderr.decode("utf-8", errors="replace")
    assert result.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    (warning,) = [line for line in stderr.splitlines() if line.startswith("warning: --resume")]
    assert str(run_dir / damaged) in warning and "continuing from the last complete checkpoint, step-6" in warning


OUTPUT_DIR_CASES = [
    ("under-proc", lambda tmp: "/proc/nerlib-boundary-run", "cannot create"),
    ("onto-an-existing-file", lambda tmp: str(_write(tmp / "a-file", b"")), "is a file"),
    ("below-a-file", lambda tmp: str(_write(tmp / "a-file", b"") / "run"), "cannot create"),
    ("read-only-folder", lambda tmp: (os.chmod(tmp / "ro", 0o555) if (tmp / "ro").mkdir() is None else None,
                                      str(tmp / "ro" / "run"))[1], "cannot create"),
]


@pytest.mark.parametrize("name, output_dir, says", OUTPUT_DIR_CASES, ids=[c[0] for c in OUTPUT_DIR_CASES])
def test_an_unusable_output_dir_ends_in_one_error_line(name, output_dir, says, conllpp_dir, tmp_path):
    if name == "read-only-folder" and os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    folder = output_dir(tmp_path)
    result = run("training.train", [*TINY, "--data-dir", str(conllpp_dir), "--output-dir", folder])
    stderr = result.stderr.decode("utf-8", errors="replace")
    assert "Traceback" not in stderr, stderr[-3000:]
    assert result.returncode == 1, stderr[-3000:]
    (line,) = error_lines(stderr)
    assert folder in line and says in line, line


# --- the dashboard's path boxes: roots hold for the files a folder stands for; unusable paths -----

def _model_with_outside_weights(root: Path, outside: Path) -> Path:
    (outside / "model.safetensors").write_bytes(b"weights")
    model = root / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").symlink_to(outside / "model.safetensors")
    return model


def _run_with_outside_tokenizer(root: Path, outside: Path) -> Path:
    (outside / "tokenizer.json").write_text("{}")
    best = root / "run" / "checkpoints" / "best"
    best.mkdir(parents=True)
    (best / "tokenizer.json").symlink_to(outside / "tokenizer.json")
    return root / "run"


def _vectors_with_outside_companion(root: Path, outside: Path) -> Path:
    (outside / "vectors.kv.vectors.npy").write_bytes(b"\x93NUMPY")
    (root / "vectors.kv").write_bytes(b"kv")
    (root / "vectors.kv.vectors.npy").symlink_to(outside / "vectors.kv.vectors.npy")
    return root / "vectors.kv"


@pytest.mark.parametrize("build", [_model_with_outside_weights, _run_with_outside_tokenizer,
                                   _vectors_with_outside_companion],
                         ids=["weights-link", "tokenizer-link-in-a-run", "vectors-companion-link"])
def test_a_link_out_of_the_roots_inside_a_path_is_refused_like_a_path_outside(build, tmp_path):
    from nerlib.views.guards import PathNotAllowedError, check_user_path

    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    path = build(root, outside)
    with pytest.raises(PathNotAllowedError) as inside_link:
        check_user_path(str(path), [root])
    with pytest.raises(PathNotAllowedError) as outside_path:
        check_user_path(str(outside), [root])
    assert str(inside_link.value) == str(outside_path.value)
    for link in [p for p in root.rglob("*") if p.is_symlink()]:
        link.unlink()
    assert check_user_path(str(path), [root]) == path  # the same path without the link is allowed


@pytest.mark.parametrize("typed", ["runs/a\x00b", "\x00", "runs/line\nbreak"], ids=["nul", "only-nul", "newline"])
def test_an_unusable_path_says_so(typed, tmp_path):
    from nerlib.views.guards import PathNotAllowedError, check_user_path, check_visitor_checkpoint

    for check in (lambda: check_user_path(typed, [tmp_path]), lambda: check_visitor_checkpoint(typed, local=True)):
        with pytest.raises(PathNotAllowedError, match="not a usable path"):
            check()

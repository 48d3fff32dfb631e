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
import re
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


PR_CAPBSET_DROP, CAP_DAC_OVERRIDE = 24, 1  # <linux/prctl.h>, <linux/capability.h>


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _without_permission_override() -> None:
    """Drop CAP_DAC_OVERRIDE from the capability bounding set: the command (root's too, after its
    exec) is then held to the permission bits, so a mode-555 folder is read-only to it as to any user."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE) failed")


def run(module: str, args: list[str], *, stdin: bytes = b"", bounded: bool = False,
        env: dict[str, str] | None = None, timeout: int = 300,
        held_to_permissions: bool = False) -> subprocess.CompletedProcess:
    """Run ``python -m module args`` (a ``.py`` file: ``python module args``) from the repository
    root, as a user would; ``bounded``: under the address-space limit; ``held_to_permissions``: without
    root's power to write where the permission bits forbid it."""
    environ = {k: v for k, v in os.environ.items() if k != "NERLIB_DEBUG"}
    environ["PYTHONPATH"] = str(ROOT) + os.pathsep + environ.get("PYTHONPATH", "")
    environ.update(env or {})
    steps = [step for step, wanted in ((_limit_memory, bounded),
                                       (_without_permission_override, held_to_permissions)) if wanted]
    command = [sys.executable, module] if module.endswith(".py") else [sys.executable, "-m", module]
    return subprocess.run([*command, *args], input=stdin, capture_output=True, cwd=ROOT, env=environ,
                          timeout=timeout, preexec_fn=(lambda: [step() for step in steps]) if steps else None)


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
    # --whole-file holds one text in memory: bounded by NERLIB_MAX_WHOLE_FILE_BYTES (8 MiB), naming the file
    Case("whole-file-2gb", lambda tmp, model: [
        "tag", "-m", str(model), "--file", str(_sparse(tmp / "zeros.txt")), "--whole-file", "-o", str(tmp / "out.jsonl")],
         ("zeros.txt", "larger than 8388608 bytes", "NERLIB_MAX_WHOLE_FILE_BYTES"), absent=("out.jsonl",), bounded=True),
    Case("whole-file-stdin-over-the-setting", lambda tmp, model: ["tag", "-m", str(model), "--whole-file"],
         ("<stdin>", "larger than 100 bytes"), stdin=b"Paris " * 50, stdout_lines=0,
         env={"NERLIB_MAX_WHOLE_FILE_BYTES": "100"}),
    Case("whole-file-setting-not-a-number", lambda tmp, model: [
        "tag", "-m", str(model), "--file", str(_write(tmp / "in.txt", b"Paris\n")), "--whole-file"],
         ("NERLIB_MAX_WHOLE_FILE_BYTES='lots'",), stdout_lines=0, env={"NERLIB_MAX_WHOLE_FILE_BYTES": "lots"}),
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
    assert "a bug" not in lines[0], "a bad input is the user's to fix, not a bug: " + lines[0]
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


def test_tag_without_a_model_passes_over_a_newer_run_whose_checkpoints_are_damaged(tiny_run_folder, tmp_path):
    """A non-numeric step in the newest run's checkpoint.json files: `nerlib tag` without -m used to
    stop with "invalid literal for int()" naming no file; it now tags with the newest healthy run."""
    runs_dir = tmp_path / "runs"
    shutil.copytree(tiny_run_folder, runs_dir / "older", symlinks=True)
    newer = Path(shutil.copytree(tiny_run_folder, runs_dir / "newer", symlinks=True))
    _edit_json(newer / "run.json", lambda d: d.update(started_at="2999-01-01T00:00:00+00:00"))
    for record in newer.glob("checkpoints/*/checkpoint.json"):
        _edit_json(record, lambda d: d.update(step="x"))
    result = run("nerlib", ["tag", "Paris"], env={"NERLIB_RUNS_DIR": str(runs_dir)})
    stderr = result.stderr.decode("utf-8", errors="replace")
    assert result.returncode == 0 and "Traceback" not in stderr, stderr[-3000:]
    assert f"using the newest trained run: {runs_dir / 'older'}" in stderr
    assert json.loads(result.stdout)["text"] == "Paris"


OUTPUT_DIR_CASES = [
    ("under-proc", lambda tmp: "/proc/nerlib-boundary-run", "cannot create"),
    ("onto-an-existing-file", lambda tmp: str(_write(tmp / "a-file", b"")), "is a file"),
    ("below-a-file", lambda tmp: str(_write(tmp / "a-file", b"") / "run"), "cannot create"),
    ("read-only-folder", lambda tmp: (os.chmod(tmp / "ro", 0o555) if (tmp / "ro").mkdir() is None else None,
                                      str(tmp / "ro" / "run"))[1], "cannot create"),
]


@pytest.mark.parametrize("name, output_dir, says", OUTPUT_DIR_CASES, ids=[c[0] for c in OUTPUT_DIR_CASES])
def test_an_unusable_output_dir_ends_in_one_error_line(name, output_dir, says, conllpp_dir, tmp_path):
    # Root writes into any folder (CAP_DAC_OVERRIDE), so as root (CI) the read-only row runs its
    # command without that capability: a mode-555 folder is then read-only to it, as to any user.
    held = name == "read-only-folder" and os.geteuid() == 0
    folder = output_dir(tmp_path)
    try:
        result = run("training.train", [*TINY, "--data-dir", str(conllpp_dir), "--output-dir", folder],
                     held_to_permissions=held)
    except subprocess.SubprocessError as error:  # no CAP_SETPCAP to drop it with (a locked-down container)
        pytest.skip(f"cannot hold root to the permission bits here: {error}")
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


# --- bench/ scripts that users run: the same boundary (nerlib.errors.run_script) -------------------

@dataclass
class ScriptCase:
    """``python bench/<script> args`` with ``env``: one ``error:`` line naming ``names``, exit 1."""

    name: str
    script: str
    args: Callable[[Path], list[str]]
    names: tuple[str, ...]  # "{tmp}" filled in
    env: Callable[[Path], dict[str, str]] = lambda tmp: {}


SCRIPT_CASES = [
    ScriptCase("dataset-without-data", "dataset.py", lambda tmp: [], ("NERLIB_DATA_DIR={tmp}/nowhere",),
               env=lambda tmp: {"NERLIB_DATA_DIR": str(tmp / "nowhere")}),
    ScriptCase("tagger-without-a-run", "tagger.py", lambda tmp: ["--limit", "2"], ("no trained run found",),
               env=lambda tmp: {"NERLIB_RUNS_DIR": str(tmp / "no-runs")}),
    ScriptCase("tagger-model-missing", "tagger.py", lambda tmp: ["--model", str(tmp / "missing"), "--limit", "2"],
               ("{tmp}/missing",)),
]


@pytest.mark.parametrize("case", SCRIPT_CASES, ids=lambda case: case.name)
def test_a_bench_script_ends_in_one_error_line(case: ScriptCase, tmp_path: Path):
    result = run(str(ROOT / "bench" / case.script), case.args(tmp_path), env=case.env(tmp_path))
    stderr = result.stderr.decode("utf-8", errors="replace")
    assert "Traceback" not in stderr, stderr[-3000:]
    assert result.returncode == 1, stderr[-3000:]
    (line,) = error_lines(stderr)
    assert line.startswith("error: "), line
    for name in case.names:
        assert name.format(tmp=tmp_path) in line, line


def test_a_bench_script_prints_the_traceback_with_debug_only(tmp_path: Path):
    env = {"NERLIB_DATA_DIR": str(tmp_path / "nowhere")}
    loud = run(str(ROOT / "bench" / "dataset.py"), ["--debug"], env=env)
    stderr = loud.stderr.decode("utf-8", errors="replace")
    assert loud.returncode == 1 and "Traceback" in stderr
    assert stderr.rstrip().splitlines()[-1].startswith("error: NERLIB_DATA_DIR=")


# --- the dashboard: every page and loader inside one boundary (dashboard/boundary.py), AppTest ------

APP = ROOT / "dashboard" / "streamlit_app.py"


def _shown(text: str) -> str:
    """A message as the visitor reads it: Markdown's backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", text)


def _type(at, key: str, text: str) -> None:
    at.text_input(key=key).set_value(text).run()


def _pick_folder(prefix: str) -> Callable:
    def act(at, tmp: Path) -> None:
        at.segmented_control(key=f"{prefix}_kind").set_value("Local folder").run()
        _type(at, f"{prefix}_folder", str(tmp / "runs") + "/a\x00b")
    return act


def _upload(name: str, data: bytes) -> Callable:
    def act(at, tmp: Path) -> None:
        at.segmented_control(key="dataset_source").set_value("Upload a CoNLL file").run()
        at.file_uploader(key="dataset_upload").set_value((name, data, "text/plain")).run()
    return act


@dataclass
class PageCase:
    """One hostile input to a page: ``env`` set, the page opened, ``act`` done; the page must show
    one ``error`` message holding each of ``says`` ("{tmp}" filled in) and raise nothing."""

    name: str
    page: str
    says: tuple[str, ...]
    act: Callable | None = None
    env: Callable[[Path], dict[str, str]] = lambda tmp: {}
    area: str = "main"  # where the box and its message are: "main" or "sidebar"


LONG_NAME = "x" * 300  # one path component longer than any file system takes: stat() raises OSError

PAGE_CASES = [
    # a NUL byte typed in a path box: "not a usable path", never "ValueError"
    PageCase("tagger-folder-box-nul", "tagger", ("not a usable path", "NUL byte"), act=_pick_folder("tagger")),
    PageCase("errors-folder-box-nul", "errors", ("not a usable path", "NUL byte"), act=_pick_folder("errors")),
    PageCase("localizer-vectors-box-nul", "localizer", ("Vectors", "not a usable path"),
             act=lambda at, tmp: _type(at, "localizer_vectors", "/data/a\x00b.txt"), area="sidebar"),
    # an OS error in a loader names the file, on the page and in the sidebar
    PageCase("runs-dir-unusable", "training", ("{tmp}/" + LONG_NAME, "File name too long"),
             env=lambda tmp: {"NERLIB_RUNS_DIR": str(tmp / LONG_NAME)}),
    PageCase("data-dir-unusable", "dataset", ("{tmp}/" + LONG_NAME, "File name too long"),
             env=lambda tmp: {"NERLIB_DATA_DIR": str(tmp / LONG_NAME)}),
    # uploads: parsed as a stream with the per-line bound; the message names the upload and the line
    PageCase("upload-one-2mb-line", "dataset", ("huge.txt", "line 1 is longer than 1048576 bytes"),
             act=_upload("huge.txt", b"0" * (2 << 20))),
    PageCase("upload-undecodable-line-3", "dataset", ("latin.txt", "line 3", "UTF-8"),
             act=_upload("latin.txt", b"Paris B-LOC\n\nZ\xfcrich B-LOC\n")),
    PageCase("upload-line-over-the-setting", "dataset", ("long.txt", "line 3 is longer than 64 bytes"),
             act=_upload("long.txt", b"Paris B-LOC\n\n" + b"x" * 100 + b" O\n"),
             env=lambda tmp: {"NERLIB_MAX_LINE_BYTES": "64"}),
]


@pytest.mark.parametrize("case", PAGE_CASES, ids=lambda case: case.name)
def test_a_bad_input_to_a_page_shows_one_error_naming_the_file(case: PageCase, tmp_path: Path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("NERLIB_RUNS_DIR", str(tmp_path / "runs"))
    for name, value in case.env(tmp_path).items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    if case.page != "dataset":
        at.switch_page(f"views/{case.page}.py").run()
    if case.act is not None:
        case.act(at, tmp_path)
    assert not at.exception, [e.value for e in at.exception]
    on_the_page = [_shown(e.value) for e in getattr(at, case.area).error]
    assert len(on_the_page) == 1, on_the_page
    assert all(part.format(tmp=tmp_path) in on_the_page[0] for part in case.says), on_the_page[0]
    for text in [_shown(e.value) for e in at.error]:  # the sidebar's too
        assert "Traceback" not in text and not re.fullmatch(r"\w*Error", text.strip()), text
        assert "a bug" not in text, text


def test_the_training_page_shows_damaged_runs_and_notes_without_hiding_the_healthy_one(tmp_path, monkeypatch):
    """A folder of damaged runs (every tampering of test_hostile_run_folders) and one healthy run,
    the oldest: the page opens on it, names every damaged run with file and field, and shows the
    notes of a readable run (a skipped checkpoint, a torn line of a run still writing)."""
    from streamlit.testing.v1 import AppTest
    from test_hostile_run_folders import ROWS, build_run

    build_run(tmp_path, "healthy", "2026-01-01T00:00:00+00:00")
    for day, name in enumerate(sorted(ROWS), start=1):
        ROWS[name].tamper(build_run(tmp_path, name, f"2026-02-{day:02d}T00:00:00+00:00"))
    damaged = sorted(name for name, row in ROWS.items() if row.damaged)
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(tmp_path))
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    at.switch_page("views/training.py").run()
    assert not at.exception, [e.value for e in at.exception]
    newest_healthy = [name for name in sorted(ROWS) if not ROWS[name].damaged][-1]
    assert at.multiselect(key="training_runs").value == [newest_healthy]
    assert "healthy" in at.multiselect(key="training_runs").options
    warnings = [_shown(w.value) for w in at.warning]
    for name in damaged:
        (said,) = [w for w in warnings if w.startswith(f"`{name}`: ")]
        assert all(part in said for part in ROWS[name].damaged), said
    at.multiselect(key="training_runs").set_value(["checkpoint-step-not-a-number", "metrics-torn-last-line-running",
                                                   "healthy"]).run()
    assert not at.exception, [e.value for e in at.exception]
    notes = [_shown(i.value) for i in at.info]
    assert any("checkpoint-step-not-a-number" in n and "step-10/checkpoint.json" in n and "'step'" in n for n in notes)
    assert any("metrics-torn-last-line-running" in n and "metrics.jsonl:3" in n and "torn" in n for n in notes)
    table = at.dataframe[0].value  # the overview
    assert table.set_index("run").loc["healthy", "test F1"] == 0.55


# --- an upload's memory: a stream, a small multiple of its size -----------------------------------

UPLOAD_PROBE = """
import io, sys
from nerlib.data.conllpp import load_conll_stream

kind, size = sys.argv[1], int(sys.argv[2])
if kind == "one-line":
    data = b"0" * size
else:  # CoNLL++ train lines, repeated up to the size
    train = open(sys.argv[3], "rb").read()
    data = (train * (size // len(train) + 1))[:size]
    data = data[: data.rindex(b"\\n\\n") + 2]
upload = io.BytesIO(data)


def resident(field):  # kB -> bytes
    status = open("/proc/self/status").read()
    return int(status.split(field + ":")[1].split()[0]) * 1024


with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")  # the peak so far (the imports') no longer counts: VmHWM restarts from here
before = resident("VmRSS")
try:
    dataset = load_conll_stream(upload, "upload.txt", with_documents=True)
    outcome = f"rows {dataset['upload'].num_rows}"
except ValueError as error:
    outcome = f"error {error}"
print(len(data), max(0, resident("VmHWM") - before), outcome[:300])
"""
UPLOAD_MULTIPLE = 16  # peak memory over the upload's own bytes, at most this many times its size (~10 measured)


@pytest.mark.parametrize("kind, size", [("one-line", 40 << 20), ("conll", 8 << 20)])
def test_an_upload_is_parsed_as_a_stream_in_a_small_multiple_of_its_size(kind, size, conllpp_dir):
    """The Dataset page's parser (dashboard.loaders.uploaded_dataset calls load_conll_stream) under
    the 1.5 GB address-space limit: a 40 MB single line (7 GB before, issue 26) ends after the
    per-line bound; a valid upload costs a small multiple of its size."""
    result = subprocess.run([sys.executable, "-c", UPLOAD_PROBE, kind, str(size), str(conllpp_dir / "conllpp_train.txt")],
                            capture_output=True, cwd=ROOT, timeout=300, preexec_fn=_limit_memory,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    length, growth, outcome = result.stdout.decode().split(" ", 2)
    if kind == "one-line":
        assert outcome.startswith("error upload.txt, line 1: line 1 is longer than 1048576 bytes"), outcome
        assert int(growth) < 16 << 20, f"a refused line cost {int(growth) >> 20} MB"
    else:
        assert outcome.startswith("rows "), outcome
        assert int(growth) <= UPLOAD_MULTIPLE * int(length), f"{int(growth) / int(length):.1f} times the upload"

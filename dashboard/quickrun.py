"""Start a quick CPU training run from the dashboard and follow it live.

The run is an ordinary ``python -m training.train`` subprocess writing into the runs folder; the
dashboard only reads its ``progress.json``. The process handle is kept per server process
(``st.cache_resource``), so switching pages or reloading the browser does not lose it. Imports
only ``nerlib`` from the project (``dashboard.widgets`` imports this module, never the reverse).

The time shown before the start is measured, not guessed: the wall time of the quick runs that
finished on this machine (:func:`recorded_walls`, else :func:`quick_run_walls`); while it runs, the time left is the one training
writes to progress.json from its own step speed and evaluation time.

Coverage: the outcome panels of a quick run that was stopped, had to be killed or failed are not
driven by the tests (a real quick run takes minutes); its start, command and live panel are.
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import streamlit as st

from nerlib.runs.folder import (
    default_runs_dir,
    list_runs,
    read_json_record,
    read_progress,
    unique_run_name,
    write_json_atomic,
)
from nerlib.settings import RUNS_DIR_ENV, cache_dir

# The training script runs from the repository root (``-m training.train``).
REPO_ROOT = Path(__file__).resolve().parent.parent

# The quick run: the offline MiniLM encoder (no download) fine-tuned for one epoch on the first
# 2,000 CoNLL++ training sentences in batches of 16, validated every 40 steps on 300 sentences (so
# the curves have points), then tested: enough for every page to show real content (its F1 and time:
# docs/benchmarks.md, "Dashboard").
QUICK_ARGS = ["--model", "minilm-cpu", "--max-train-samples", "2000", "--max-eval-samples", "300",
              "--epochs", "1", "--batch-size", "16", "--eval-steps", "40", "--cpu", "--disable-tqdm",
              # 125 steps of 16 learn far more than 63 of 32 from the same sentences, and that few
              # steps cannot learn to use document context, so sentences stand alone (measured:
              # docs/benchmarks.md, "Dashboard"); the word embeddings train as in the measured
              # quick run (the preset freezes them)
              "--no-document-context", "--no-freeze-word-embeddings"]
QUICK_COMMAND_TEXT = "python -m training.train " + " ".join(QUICK_ARGS)
# The options that make a run a quick run (run.json's "config"), to find the quick runs that
# finished on this machine: their wall times are the estimate shown before the start.
QUICK_CONFIG = {"model": "minilm-cpu", "max_train_samples": 2000, "max_eval_samples": 300, "epochs": 1,
                "batch_size": 16, "eval_steps": 40, "document_context": False,
                "freeze_word_embeddings": False}


TIMES_FILE = "quick-runs.json"  # in the cache folder: the machine's record, kept when runs are deleted
KEEP_TIMES = 20


def _times(path: Path) -> list:
    """The entries of the record file (none when it is missing or damaged: it is only an estimate)."""
    try:
        record = read_json_record(path) or {}
    except ValueError:
        return []
    return list(record["quick_runs"]) if isinstance(record.get("quick_runs"), list) else []


def recorded_walls() -> list[float]:
    """Wall seconds of the quick runs started from a dashboard on this host, newest last
    (``$NERLIB_CACHE_DIR/dashboard/quick-runs.json``; empty when there is none or it is unreadable)."""
    return [float(e["seconds"]) for e in _times(cache_dir("dashboard") / TIMES_FILE)
            if isinstance(e, dict) and e.get("host") == platform.node()
            and isinstance(e.get("seconds"), int | float) and e["seconds"] > 0]


def record_wall(seconds: float) -> None:
    """Add a finished quick run's wall time to this machine's record (the last :data:`KEEP_TIMES`)."""
    path = cache_dir("dashboard") / TIMES_FILE
    entries = _times(path)
    entries.append({"seconds": round(seconds, 1), "host": platform.node(), "cpus": os.cpu_count(),
                    "finished_at": time.time()})
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, {"quick_runs": entries[-KEEP_TIMES:]})


def quick_run_walls(runs: list) -> list[float]:
    """Wall seconds (start to finish, loading and testing included) of the quick runs among ``runs``
    (``nerlib.runs.folder.Run``) that finished on this host without a resume."""
    walls = []
    for run in runs:
        options, device = run.config.get("config") or {}, run.config.get("device") or {}
        if (run.status != "finished" or run.progress is None or run.config.get("resumed_at")
                or device.get("host") != platform.node()
                or any(options.get(key) != value for key, value in QUICK_CONFIG.items())):
            continue
        try:
            started = datetime.fromisoformat(str(run.config["started_at"])).timestamp()
        except (KeyError, ValueError):
            continue
        if run.progress.updated_at > started:
            walls.append(run.progress.updated_at - started)
    return walls


def estimate_text(walls: list[float]) -> str:
    """What the start button promises, from the quick runs measured on this machine.

    >>> estimate_text([429.0])
    'took 7:09 on this machine last time'
    >>> estimate_text([429.0, 300.0, 361.0])
    'took 5:00-7:09 on this machine, 3 runs'
    >>> estimate_text([])
    'no quick run has finished on this machine yet: the time left is measured once it runs'
    """
    if not walls:
        return "no quick run has finished on this machine yet: the time left is measured once it runs"
    if len(walls) == 1:
        return f"took {_format_seconds(walls[0])} on this machine last time"
    return (f"took {_format_seconds(min(walls))}-{_format_seconds(max(walls))} on this machine, "
            f"{len(walls)} runs")


@st.cache_resource
def _launcher() -> dict:
    """Process-wide record of the quick run started from this server (at most one at a time)."""
    return {"process": None, "run_dir": None, "log": None, "started": None, "reported": False}


def start() -> Path:
    """Start the quick run as a subprocess; returns its run folder (created by the script)."""
    launcher = _launcher()
    runs_dir = default_runs_dir().resolve()
    runs_dir.mkdir(parents=True, exist_ok=True)
    name = unique_run_name("quick", runs_dir)
    run_dir = runs_dir / name
    log = runs_dir / f".{name}.log"
    env = dict(os.environ, **{RUNS_DIR_ENV: str(runs_dir)})
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    command = [sys.executable, "-m", "training.train", *QUICK_ARGS, "--output-dir", str(run_dir)]
    with open(log, "wb") as handle:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=handle,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    launcher.update(process=process, run_dir=run_dir, log=log, started=time.time(), reported=False,
                    command=shlex.join(command))
    return run_dir


def stop() -> None:
    """Stop the quick run started from this server (its folder stays, marked stopped)."""
    process = _launcher()["process"]
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def running() -> bool:
    """Whether a quick run started from this server is still going."""
    process = _launcher()["process"]
    return process is not None and process.poll() is None


def start_button(key: str) -> None:
    """The 'start a quick CPU run' button with its honest time estimate."""
    if running():
        st.caption("A quick run is in progress (see above).")
        return
    runs_dir = default_runs_dir().resolve()
    walls = recorded_walls() or (quick_run_walls(list_runs(runs_dir)) if runs_dir.is_dir() else [])
    if st.button(f"Start a quick CPU run ({estimate_text(walls)})", key=key, type="primary",
                 icon=":material/play_arrow:",
                 help="The estimate is the wall time of the quick runs that finished here (start to finish); "
                      "while it runs, the time left comes from its own steps' speed and evaluations."):
        start()
        st.rerun()


def _format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "estimating"
    seconds = int(max(0, seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


@st.fragment(run_every=2)
def _live_progress() -> None:
    launcher = _launcher()
    process, run_dir = launcher["process"], launcher["run_dir"]
    progress = read_progress(run_dir) if run_dir is not None else None
    elapsed = time.time() - launcher["started"]
    if process.poll() is None:
        if st.button("Stop the quick run", key="quick_run_stop", icon=":material/stop:"):
            stop()
            st.rerun(scope="app")
        if progress is None:
            st.progress(0.0, text=f"Starting `{run_dir.name}` (loading data and model) · {elapsed:.0f} s")
        else:
            st.progress(
                progress.fraction,
                text=(f"`{run_dir.name}`: {progress.phase}, step {progress.step}/{progress.total_steps} · "
                      f"elapsed {_format_seconds(progress.elapsed_s)} · "
                      f"left {_format_seconds(progress.eta_s)} (from this run's own step and evaluation times)"),
            )
        return
    if not launcher["reported"]:
        launcher["reported"] = True
        final = read_progress(run_dir)
        if process.returncode == 0 and final is not None and final.status == "finished":
            record_wall(time.time() - launcher["started"])  # the next button's estimate
        st.rerun(scope="app")  # the finished run appears on every page


def progress_panel() -> None:
    """Live progress of the quick run started here, or the outcome of the last one."""
    launcher = _launcher()
    process = launcher["process"]
    if process is None or launcher["run_dir"].parent != default_runs_dir().resolve():
        return
    if process.poll() is None:
        _live_progress()
        return
    progress = read_progress(launcher["run_dir"])
    if process.returncode in (-15, -9, 130) or (progress is not None and progress.status == "stopped"):
        st.warning(f"Quick run `{launcher['run_dir'].name}` was stopped; continue it with "
                   f"`python -m training.train --output-dir {launcher['run_dir']} --resume`.",
                   icon=":material/stop_circle:")
    elif process.returncode == 0:
        st.success(f"Quick run `{launcher['run_dir'].name}` finished in "
                   f"{_format_seconds(time.time() - launcher['started'])}.", icon=":material/check_circle:")
    else:
        tail = ""
        if launcher["log"] and Path(launcher["log"]).exists():
            tail = Path(launcher["log"]).read_text(errors="replace")[-3000:]
        st.error(f"The quick run failed (exit code {process.returncode}). Command: `{launcher['command']}`",
                 icon=":material/error:")
        if tail:
            st.code(tail, language="text")

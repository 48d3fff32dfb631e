"""Dashboard timings per page and per interaction, before and after a change, as ratios.

Runs the real app with Streamlit's AppTest (the script runs the server executes, without the
browser) in a fresh process, through one fixed visit: each page's first visit, its main
interactions (tag a sentence, change split, filter, compare), then warm revisits (median of
``--repeat``). Pages are visited in the sidebar's order, so the pages after the Tagger are drawn
with the model already loaded ("time to a drawn page after the model is loaded"). With
``--baseline DIR`` (another checkout, e.g. ``git worktree add /tmp/before main``) the same visit
runs on that code too, each in its own process, one after the other in this session, and the
table prints after/before ratios: on a shared machine, read the ratios, not the seconds.

    NERLIB_DATA_DIR=... NERLIB_RUNS_DIR=runs python bench/dashboard.py [--baseline /tmp/before] [--repeat 3]

``RUNS_DIR`` should hold two finished runs (the Compare page compares the best two). The Compare
page is timed on its first 200 sentences, which both versions read from the runs' saved
predictions; comparing a whole split is one model pass per run in both.

``--browser`` instead times first visits and revisits in headless Chromium against ``streamlit run
dashboard`` (the sidebar links), which adds websocket and drawing time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PAGES = ["dataset", "training", "tagger", "localizer", "errors", "quality", "compare"]

# (page, what, session-state changes) in the order they run; None: switch to the page. A list of
# changes is one interaction repeated with different values (nothing cached), median reported.
SENTENCES = ["Angela Merkel met Rahul Mehta of Infosys in Brussels on Monday .",
             "Peter Okafor flew from Lagos to Chicago to meet the World Health Organization .",
             "Siemens opened an office in Munich , Reuters said ."]
VISIT: list[tuple[str, str, dict | list[dict] | None]] = [
    ("dataset", "first visit (loads CoNLL++, statistics)", None),
    ("dataset", "show examples", {"dataset_view": "Examples"}),
    ("dataset", "search a word", [{"browse_query": q} for q in ("Germany", "Clinton", "Reuters")]),
    ("training", "first visit", None),
    ("training", "change split to test", {"training_split": "test"}),
    ("tagger", "first visit (loads the model)", None),
    ("tagger", "tag a sentence", [{"tagger_text": text} for text in SENTENCES]),
    ("localizer", "first visit (loads vectors; model loaded)", None),
    ("localizer", "localize a sentence", [{"localizer_text": text} for text in SENTENCES]),
    ("errors", "first visit (model loaded; validation)", None),
    ("errors", "change split to test", {"errors_split": "test"}),
    ("errors", "filter by error kind", [{"errors_kinds": [kind]} for kind in ("missed", "spurious", "wrong_type")]),
    ("quality", "first visit", None),
    ("compare", "first visit (compare the best two runs, 200 sentences)", None),
    ("compare", "change split to validation", {"compare_split": "validation"}),
]


def _check(at, what: str) -> None:
    if at.exception:
        raise RuntimeError(f"{what} raised: {at.exception[0].value}")


def measure(repeat: int, timeout: float) -> list[dict]:
    """The visit in this process (the code on ``sys.path``): seconds per step, then warm revisits."""
    from streamlit.testing.v1 import AppTest

    import dashboard

    app = Path(dashboard.__file__).resolve().parent / "streamlit_app.py"
    at = AppTest.from_file(str(app), default_timeout=timeout)
    at.session_state["compare_size"] = "200"
    rows = []
    for page, what, changes in VISIT:
        if changes is None:
            start = time.perf_counter()
            if page == "dataset":
                at.run(timeout=timeout)  # the default page; registers the navigation
            else:
                at.switch_page(f"views/{page}.py").run(timeout=timeout)
            times = [time.perf_counter() - start]
        else:
            times = []
            for change in changes if isinstance(changes, list) else [changes]:
                start = time.perf_counter()
                for key, value in change.items():
                    at.session_state[key] = value
                at.run(timeout=timeout)
                times.append(time.perf_counter() - start)
        _check(at, f"{page}: {what}")
        step = what if len(times) == 1 else f"{what} (median of {len(times)})"
        rows.append({"page": page, "step": step, "seconds": statistics.median(times)})
    warm: dict[str, list[float]] = {page: [] for page in PAGES}
    for _ in range(repeat):
        for page in PAGES:
            start = time.perf_counter()
            at.switch_page(f"views/{page}.py").run(timeout=timeout)
            warm[page].append(time.perf_counter() - start)
            _check(at, f"{page}: revisit")
    rows += [{"page": page, "step": f"revisit (median of {repeat})", "seconds": statistics.median(warm[page])}
             for page in PAGES]
    return rows


def _measure_in(root: Path, repeat: int, timeout: float) -> list[dict]:
    """:func:`measure` in a fresh process running the code of checkout ``root``."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "rows.json"
        env = dict(os.environ, PYTHONPATH=str(root))
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--measure", str(out),
                        "--repeat", str(repeat), "--timeout", str(timeout)], cwd=root, env=env, check=True)
        return json.loads(out.read_text())


def _machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in subprocess.run(
        ["lscpu"], capture_output=True, text=True).stdout.splitlines() if line.startswith("Model name")), "?")
    return f"{model}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"


def _warm_files() -> None:
    """Read the runs' checkpoints once, so neither version pays for a cold disk cache."""
    runs = Path(os.environ.get("NERLIB_RUNS_DIR", "runs"))
    for path in runs.glob("*/checkpoints/best/*"):
        if path.is_file():
            path.read_bytes()


def compare_versions(baseline: Path | None, repeat: int, timeout: float) -> None:
    print(f"runs: {os.environ.get('NERLIB_RUNS_DIR', 'runs')}  data: {os.environ.get('NERLIB_DATA_DIR')}")
    print(f"machine: {_machine()}")
    _warm_files()
    before = _measure_in(baseline, repeat, timeout) if baseline is not None else None
    print(f"machine after the baseline: {_machine()}" if before else "", flush=True)
    after = _measure_in(REPO, repeat, timeout)
    print(f"machine at the end: {_machine()}")
    print(f"\nAppTest script runs (server side); baseline = {baseline or 'none'}, this tree = {REPO}")
    print(f"{'page':<10} {'step':<60} {'before s':>9} {'after s':>9} {'after/before':>13}")
    for index, row in enumerate(after):
        old = before[index]["seconds"] if before else float("nan")
        ratio = row["seconds"] / old if before else float("nan")
        print(f"{row['page']:<10} {row['step']:<60} {old:>9.2f} {row['seconds']:>9.2f} {ratio:>13.3f}")
    if before:
        total_before, total_after = sum(r["seconds"] for r in before), sum(r["seconds"] for r in after)
        print(f"{'all':<10} {'the whole visit':<60} {total_before:>9.2f} {total_after:>9.2f} "
              f"{total_after / total_before:>13.3f}")


def bench_browser(repeat: int) -> list[dict]:
    """First visits and revisits in headless Chromium against a real `streamlit run`."""
    sys.path.insert(0, str(REPO / "tests"))
    from playwright.sync_api import sync_playwright
    from test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS, _free_port, _wait_healthy, _wait_until_idle

    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    titles = {"dataset": "Dataset", "training": "Training", "tagger": "Tagger", "localizer": "Localizer",
              "errors": "Errors", "quality": "Data quality", "compare": "Compare"}
    try:
        _wait_healthy(url, process)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            start = time.perf_counter()
            page.goto(url)
            _wait_until_idle(page, 300_000)
            first = time.perf_counter() - start - 1.5  # the dataset page, cold, plus the app's load

            def switch(name: str) -> float:
                start = time.perf_counter()
                page.locator('[data-testid="stSidebarNav"] a', has_text=titles[name]).first.click()
                page.wait_for_function(
                    "t => { const h = document.querySelector('[data-testid=\"stMainBlockContainer\"] h1');"
                    " return h && h.innerText.includes(t); }", arg=titles[name], timeout=300_000)
                _wait_until_idle(page, 300_000)
                return time.perf_counter() - start - 1.5  # minus the fixed settle pause

            cold = {"dataset": first, **{name: switch(name) for name in PAGES[1:]}}
            warm = {name: [] for name in PAGES}
            for _ in range(repeat):
                for name in PAGES[1:] + ["dataset"]:
                    warm[name].append(switch(name))
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    return [{"page": name, "cold_s": cold[name], "warm_s": statistics.median(warm[name]),
             "ratio": statistics.median(warm[name]) / cold[name]} for name in PAGES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, help="a checkout of the code to compare against (e.g. main)")
    parser.add_argument("--repeat", type=int, default=3, help="warm revisits per page (median reported)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed for one script run")
    parser.add_argument("--browser", action="store_true", help="time page visits in Chromium instead")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process: write rows here
    args = parser.parse_args()
    if args.measure is not None:
        args.measure.write_text(json.dumps(measure(args.repeat, args.timeout)))
        return
    if args.baseline is not None and not (args.baseline / "dashboard" / "streamlit_app.py").is_file():
        raise SystemExit(f"--baseline {args.baseline}: not a checkout of this project (no dashboard/streamlit_app.py)")
    if args.browser:
        print(f"{'page':<10} {'first s':>8} {'revisit s':>10} {'revisit/first':>14}")
        for row in bench_browser(args.repeat):
            print(f"{row['page']:<10} {row['cold_s']:>8.2f} {row['warm_s']:>10.3f} {row['ratio']:>14.3f}")
        return
    compare_versions(args.baseline, args.repeat, args.timeout)


if __name__ == "__main__":
    # The parent runs this tree's code; a child the checkout it runs in (its working folder), never
    # this script's folder, whose dashboard.py would shadow the dashboard package.
    sys.path[0] = os.getcwd() if "--measure" in sys.argv else str(REPO)
    from nerlib.errors import run_script  # one error line, traceback only with --debug

    run_script(main)

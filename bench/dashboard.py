"""Dashboard page timings: cold (first render in a fresh process) vs warm (cached re-render).

Runs the real app with Streamlit's AppTest (the same script runs the server executes, without the
browser), page by page: the first visit of each page pays for loading data, models and vectors
and for computing statistics/evaluations; a later visit (a page switch back to it) hits the
caches. Reports per page: cold seconds, warm page-switch seconds (median of ``--repeat``), and
warm/cold ratio; the goal is a warm page switch under 1 s.

    NERLIB_DATA_DIR=... NERLIB_RUNS_DIR=runs python bench/dashboard.py [--repeat 3] [--browser]

``--browser`` also times the same switches in headless Chromium against ``streamlit run dashboard``
(first visit vs revisit through the sidebar link), which adds websocket and drawing time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PAGES = ["dataset", "training", "tagger", "localizer", "errors"]


def _run_page(at, page: str, timeout: float) -> float:
    start = time.perf_counter()
    at.switch_page(f"views/{page}.py").run(timeout=timeout)
    elapsed = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(f"page {page} raised: {at.exception[0].value}")
    return elapsed


def bench_apptest(repeat: int, timeout: float) -> list[dict]:
    """Cold and warm script-run times per page, in this (fresh) process."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "dashboard" / "streamlit_app.py"), default_timeout=timeout)
    start = time.perf_counter()
    at.run(timeout=timeout)  # the default page (dataset) registers the navigation
    first_load = time.perf_counter() - start
    cold = {"dataset": first_load}
    for page in PAGES[1:]:
        cold[page] = _run_page(at, page, timeout)
    warm: dict[str, list[float]] = {page: [] for page in PAGES}
    for _ in range(repeat):
        for page in PAGES:
            warm[page].append(_run_page(at, page, timeout))
    return [
        {"page": page, "cold_s": cold[page], "warm_s": statistics.median(warm[page]),
         "ratio": statistics.median(warm[page]) / cold[page]}
        for page in PAGES
    ]


def bench_browser(repeat: int) -> list[dict]:
    """Cold and warm page switches in headless Chromium against a real `streamlit run`."""
    sys.path.insert(0, str(REPO / "tests"))
    import subprocess

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
              "errors": "Errors"}
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


def _print(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    print(f"{'page':<10} {'cold s':>8} {'warm s':>8} {'warm/cold':>10}  goal warm < 1 s")
    for row in rows:
        ok = "ok" if row["warm_s"] < 1.0 else "SLOW"
        print(f"{row['page']:<10} {row['cold_s']:>8.2f} {row['warm_s']:>8.3f} {row['ratio']:>10.3f}  {ok}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="warm visits per page (median reported)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed for one page run")
    parser.add_argument("--browser", action="store_true", help="also time page switches in Chromium")
    args = parser.parse_args()
    print(f"runs: {os.environ.get('NERLIB_RUNS_DIR', 'runs')}  data: {os.environ.get('NERLIB_DATA_DIR')}")
    _print("AppTest script runs (server side), baseline = cold first visit in the same process",
           bench_apptest(args.repeat, args.timeout))
    if args.browser:
        _print("Headless Chromium page switches via the sidebar (includes websocket + drawing)",
               bench_browser(args.repeat))


if __name__ == "__main__":
    from nerlib.errors import run_script  # one error line, traceback only with --debug

    run_script(main)

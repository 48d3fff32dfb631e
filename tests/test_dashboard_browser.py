"""Real-browser test: `streamlit run dashboard` headless, every page opened in headless Chromium.

Each page must render without a Streamlit exception element; a screenshot of each page goes to
``tests/artifacts/`` (git-ignored). With ``DASHBOARD_SCREENSHOTS=docs/screenshots`` (and real runs in
``NERLIB_RUNS_DIR``) small PNGs are also written there for the docs.

The server (``app_url``) is shared for the whole session with the other browser tests that read the
same runs (tests/dashboard_server.py). Skipped only when Chromium is absent outside CI; with
``CI=true`` a missing browser fails.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
# url path -> (the page title, a selector that proves the page drew its real content)
PAGES = {
    "": ("Dataset", ".js-plotly-plot"),
    "training": ("Training", ".js-plotly-plot"),
    "tagger": ("Tagger", "mark.ent"),
    "localizer": ("Localizer", "mark.ent"),
    "errors": ("Errors", ".nerd-cmp mark.ent"),
}

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(600)]


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Chromium not found at {CHROMIUM}; CI must install Debian's chromium package")
    pytest.skip(f"Chromium not found at {CHROMIUM} (install Debian's chromium to run this test)")


@pytest.fixture(scope="module")
def app_url(tiny_runs_dir, dashboard_servers):
    """A headless `streamlit run dashboard` on a free local port, reading ``tiny_runs_dir``: one
    server per runs folder for the whole session, shared by the modules that read the same runs."""
    _need_chromium()
    return dashboard_servers.url(tiny_runs_dir)


def _wait_until_idle(page, timeout_ms: int) -> None:
    """Wait until the page's script run finished: the app is mounted and no 'running' widget shows."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=timeout_ms)
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            const running = document.querySelector('[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]')
                || (app && app.getAttribute('data-test-script-state') === 'running');
            return !running;
        }""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(1500)  # let charts and late elements paint before the screenshot


def test_every_page_renders_in_chromium(app_url):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    docs_dir = os.environ.get("DASHBOARD_SCREENSHOTS")
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for url_path, (title, content) in PAGES.items():
                page.goto(f"{app_url}/{url_path}", wait_until="domcontentloaded")
                _wait_until_idle(page, timeout_ms=240_000)
                name = url_path or "dataset"
                try:
                    page.wait_for_selector(content, timeout=60_000)
                except PlaywrightTimeout:
                    problems.append(f"{name}: no {content!r} element (the page did not draw its content)")
                shot = ARTIFACTS / f"{name}.png"
                page.screenshot(path=str(shot), full_page=True)
                heading = page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text()
                errors = page.locator('[data-testid="stException"]')
                if errors.count():
                    problems.append(f"{name}: {errors.first.inner_text()[:800]}")
                if title not in heading:
                    problems.append(f"{name}: heading {heading!r}, expected {title!r}")
                if docs_dir:
                    _small_copy(shot, Path(docs_dir) / f"{name}.png")
            problems += _shared_link_opens_the_view(page, app_url)
        finally:
            browser.close()
    assert not problems, "\n".join(problems)


def _shared_link_opens_the_view(page, app_url: str) -> list[str]:
    """A Tagger link with ``?text=`` opens with that text typed and tagged (dashboard.session)."""
    from urllib.parse import quote

    text = "Rahul Mehta flew from Boston to Munich."
    page.goto(f"{app_url}/tagger?text={quote(text)}", wait_until="domcontentloaded")
    _wait_until_idle(page, timeout_ms=240_000)
    shown = page.locator('[data-testid="stTextArea"] textarea').first.input_value()
    drawn = page.locator(".nerd").first.inner_text() if page.locator(".nerd").count() else ""
    problems = []
    if shown != text:
        problems.append(f"shared link: the text box holds {shown!r}, expected {text!r}")
    if "Munich" not in drawn:
        problems.append(f"shared link: the tagged text is not drawn ({drawn[:200]!r})")
    return problems


def _small_copy(source: Path, target: Path, width: int = 1000) -> None:
    """Copy a screenshot scaled to ``width`` pixels (the top 1.6 screens) for the docs."""
    from PIL import Image

    target.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as image:
        image = image.crop((0, 0, image.width, min(image.height, int(image.width * 1.1))))
        height = int(image.height * width / image.width)
        image.convert("RGB").resize((width, height), Image.LANCZOS).quantize(colors=128).save(target, optimize=True)
    if not target.exists():
        shutil.copy(source, target)


@pytest.fixture(scope="module")
def tiny_runs_dir(two_tiny_runs) -> Path:
    """What NERLIB_RUNS_DIR points at: the two tiny runs, as for the other browser tests (one shared server)."""
    return two_tiny_runs

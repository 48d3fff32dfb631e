"""Real-browser check of the Compare page: `streamlit run dashboard` headless over two tiny runs,
the page opened from a deep link in headless Chromium (the server and browser set up as in
tests/test_dashboard_browser.py). A screenshot goes to ``tests/artifacts/compare.png``; with
``DASHBOARD_SCREENSHOTS=docs/screenshots`` a small copy goes there too."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_dashboard_browser import (  # noqa: F401 (app_url is a fixture)
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    _small_copy,
    _wait_until_idle,
    app_url,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def tiny_runs_dir(two_tiny_runs) -> Path:
    """What the server's NERLIB_RUNS_DIR points at: two tiny runs differing only in the seed."""
    return two_tiny_runs


def test_compare_page_from_a_link_draws_the_coloured_diff_in_chromium(app_url, monkeypatch):  # noqa: F811
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{app_url}/compare?split=test&n=200&types=PER", wait_until="domcontentloaded")
            _wait_until_idle(page, timeout_ms=400_000)
            page.wait_for_selector(".nerd-cmp mark.ent", timeout=120_000)
            shot = ARTIFACTS / "compare.png"
            page.screenshot(path=str(shot), full_page=True)
            heading = page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text()
            exceptions = page.locator('[data-testid="stException"]').count()
            metrics = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
            rows = page.locator(".nerd-cmp .side").all_inner_texts()
            address = page.url
        finally:
            browser.close()
    if os.environ.get("DASHBOARD_SCREENSHOTS"):
        _small_copy(shot, Path(os.environ["DASHBOARD_SCREENSHOTS"]) / "compare.png")
    assert "Compare" in heading and exceptions == 0
    assert [m.strip() for m in metrics] == ["F1 A", "F1 B", "B - A", "p-value"]
    assert {r.strip().lower() for r in rows} == {"gold", "a", "b"}
    assert "a=tiny" in address and "types=PER" in address and "split=test" in address

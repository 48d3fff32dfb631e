"""Real-browser test of the Data quality page: flag -> accept -> reload -> decision kept -> export
-> the exported file differs from the source in exactly the accepted change.

`streamlit run dashboard` headless (the session's shared servers, tests/dashboard_server.py), headless Chromium (launch flags and
helpers from tests/test_dashboard_browser.py), the reviewable copy of the tiny run from
tests/test_dashboard_quality.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS, _need_chromium, _wait_until_idle
from test_dashboard_quality import WRONG_TYPE, make_reviewable_run

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def quality_app(tiny_run, tmp_path_factory, dashboard_servers):
    """A headless dashboard reading a reviewable copy of the tiny run; yields (url, run, source)."""
    _need_chromium()
    pytest.importorskip("cleanlab")
    runs_dir = tmp_path_factory.mktemp("quality") / "runs"
    runs_dir.mkdir()
    run, source = make_reviewable_run(Path(tiny_run), runs_dir)
    return dashboard_servers.url(runs_dir), run, source


def _metric(page, label: str) -> str:
    block = page.locator('[data-testid="stMetric"]', has_text=label).first
    return block.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_accept_reload_export_in_chromium(quality_app):
    from playwright.sync_api import sync_playwright

    url, run, source = quality_app
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/quality", wait_until="domcontentloaded")
            _wait_until_idle(page, timeout_ms=240_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert _metric(page, "Reviewed") == "0 / 2"
            assert page.get_by_text(f"sentence #{WRONG_TYPE}", exact=False).count()      # flagged, shown
            assert page.locator(".nerd-cmp mark.ent").count()

            page.get_by_role("button", name="Accept suggestion").click()
            page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stMetricValue"]')]
                                       .some(e => e.innerText.trim() === '1 / 2')""", timeout=120_000)
            page.reload(wait_until="domcontentloaded")                                    # reload: kept
            _wait_until_idle(page, timeout_ms=240_000)
            assert _metric(page, "Reviewed") == "1 / 2"

            page.get_by_role("button", name="Export corrected CoNLL").click()
            page.get_by_text("word tag(s) changed").wait_for(timeout=120_000)
        finally:
            browser.close()
    corrected = run / "quality" / "news.corrected.txt"
    before, after = source.read_bytes().splitlines(keepends=True), corrected.read_bytes().splitlines(keepends=True)
    assert len(before) == len(after)
    assert [(b, a) for b, a in zip(before, after) if b != a] == [(b"Rome B-ORG\n", b"Rome B-LOC\n")]

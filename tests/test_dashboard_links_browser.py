"""Every view is a link, in a real browser: for each page (but the Localizer, tested with its own
issue), set a state through the page's controls in headless Chromium, press the sidebar's
**Copy link**, read the link from the clipboard, open it in a fresh browser context and find the
same view (the same widget values, the same address). On the Dataset page, also Back from another
page returns to the same view without that page's parameters.

One `streamlit run dashboard` over two tiny runs and one browser for the whole module (server and
browser set up as in tests/test_dashboard_browser.py). AppTest of the same logic:
tests/test_dashboard_links.py."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from test_dashboard_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _wait_until_idle, app_url  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(900)]

WAIT_MS = 240_000  # a cold page (model load, evaluation) on 2 shared cores
ACTION_MS = 60_000  # a control to appear once the page is idle

# The value of every widget in the page's main area, as the browser shows it.
WIDGET_STATE_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const out = [];
  main.querySelectorAll('button[data-variant="segmented_control"][aria-checked="true"]').forEach(b => out.push('segment:' + b.innerText));
  main.querySelectorAll('[data-testid="stSelectbox"], [data-testid="stMultiSelect"]').forEach(s => out.push('select:' + s.innerText));
  main.querySelectorAll('[data-testid="stTextInput"] input, [data-testid="stTextArea"] textarea').forEach(i => out.push('text:' + i.value));
  main.querySelectorAll('[data-testid="stSliderThumbValue"]').forEach(s => out.push('slider:' + s.innerText));
  main.querySelectorAll('[data-testid="stCheckbox"]').forEach(c => out.push('toggle:' + c.innerText + '=' + (c.getAttribute('data-selected') === 'true')));
  main.querySelectorAll('[data-testid="stPaginationPageActive"]').forEach(p => out.push('page:' + p.innerText));
  return out;
}"""


@pytest.fixture(scope="module")
def tiny_runs_dir(two_tiny_runs):
    """What the server's NERLIB_RUNS_DIR points at: ``tiny`` and ``tiny-seed2``."""
    return two_tiny_runs


def _idle(page) -> None:
    _wait_until_idle(page, timeout_ms=WAIT_MS)


def _segment(page, label: str) -> None:
    page.locator('[data-testid="stMain"] button[data-variant="segmented_control"]', has_text=label).first.click()
    _idle(page)


def _select(page, testid: str, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox / multiselect labelled ``label`` (again if a rerun closed
    the list before the click)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(3):
        page.locator(f'[data-testid="stMain"] [data-testid="{testid}"]', has_text=label).first.click()
        try:
            page.get_by_role("option", name=option, exact=True).first.click(timeout=15_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            _idle(page)
            if attempt == 2:
                raise
    page.keyboard.press("Escape")
    _idle(page)


def _copied_link(page) -> str:
    """Press the sidebar's Copy link (in its component frame) and read the clipboard."""
    frame = page.frame_locator('[data-testid="stSidebar"] iframe').first
    frame.locator("#nerd-copy-link").click()
    frame.locator("#nerd-copy-link-said", has_text="Copied").wait_for()
    return page.evaluate("navigator.clipboard.readText()")


def _query(link: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(link).query, keep_blank_values=True))


def _same_view_in_a_fresh_context(browser, link: str, state: list[str]) -> list[str]:
    """Open ``link`` in a new context (no cookies, no session); return what differs from ``state``."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.set_default_timeout(ACTION_MS)
        page.set_default_navigation_timeout(WAIT_MS)
        page.goto(link, wait_until="domcontentloaded")
        _idle(page)
        problems = []
        try:  # the view is drawn when every widget shows the copied view's value (or it never does)
            page.wait_for_function(f"() => JSON.stringify(({WIDGET_STATE_JS})()) === {json.dumps(json.dumps(state))}",
                                   timeout=ACTION_MS)
        except PlaywrightTimeout:
            pass
        shown = page.evaluate(WIDGET_STATE_JS)
        if shown != state:
            problems.append(f"{link}: the fresh context shows {shown}, the copied view {state}")
        if urlsplit(page.url).path != urlsplit(link).path or _query(page.url) != _query(link):
            problems.append(f"{link}: the fresh context's address became {page.url}")
        if page.locator('[data-testid="stException"]').count():
            problems.append(f"{link}: an exception is drawn")
        warned = page.locator('[data-testid="stAlertContentWarning"]', has_text="The link's").all_inner_texts()
        if warned:
            problems.append(f"{link}: {warned}")
        return problems
    finally:
        context.close()


def _set_dataset(page) -> dict[str, str]:
    _segment(page, "Examples")
    _select(page, "stSelectbox", "Split", "validation")
    _select(page, "stMultiSelect", "Containing entity type", "LOC")
    search = page.locator('[data-testid="stTextInput"] input').first
    search.fill("germany")
    search.press("Enter")
    _idle(page)
    page.locator('[data-testid="stPaginationNext"]').first.click()
    _idle(page)
    return {"view": "Examples", "split": "validation", "types": "LOC", "q": "germany", "page": "2"}


def _set_training(page) -> dict[str, str]:
    _segment(page, "recall")
    _segment(page, "step")
    _select(page, "stSelectbox", "Split", "test")
    return {"metric": "recall", "x": "step", "split": "test"}


def _set_tagger(page) -> dict[str, str]:
    text = page.locator('[data-testid="stTextArea"] textarea').first
    text.fill("Angela Merkel visited Paris and Berlin .")
    text.press("Control+Enter")
    _idle(page)
    track = page.locator('[data-testid="stSlider"] [role="group"] > div').first
    box = track.bounding_box()
    page.mouse.click(box["x"] + 0.3 * box["width"], box["y"] + box["height"] / 2)  # about 0.3
    _idle(page)
    page.locator('[data-testid="stCheckbox"]', has_text="Show confidence").first.click()
    _idle(page)
    return {"text": "Angela Merkel visited Paris and Berlin .", "scores": "false"}


def _set_errors(page) -> dict[str, str]:
    _segment(page, "test")
    _select(page, "stMultiSelect", "Error kinds", "missed")
    _select(page, "stSelectbox", "Per page", "25")
    return {"split": "test", "kinds": "missed", "per_page": "25"}


def _set_quality(page) -> dict[str, str]:
    _select(page, "stSelectbox", "Run", "tiny-seed2")
    _select(page, "stSelectbox", "Split", "test")
    return {"run": "tiny-seed2", "find_split": "test"}


def _set_compare(page) -> dict[str, str]:
    _segment(page, "validation")
    _select(page, "stMultiSelect", "Entity types", "PER")
    return {"split": "validation", "n": "200", "types": "PER"}


# url path (with the query the page is first opened with) -> how its state is set through its controls
PAGES = {
    "": _set_dataset,
    "training": _set_training,
    "tagger": _set_tagger,
    "errors": _set_errors,
    "quality": _set_quality,
    "compare?n=200": _set_compare,  # 200 sentences: the first visit does not score the whole split
}


def test_a_copied_link_reopens_the_same_view_on_every_page(app_url):  # noqa: F811
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
            page = context.new_page()
            page.set_default_timeout(ACTION_MS)
            page.set_default_navigation_timeout(WAIT_MS)
            for path, set_state in PAGES.items():
                page.goto(f"{app_url}/{path}", wait_until="domcontentloaded")
                _idle(page)
                try:
                    expected = set_state(page)
                except PlaywrightError as error:  # say which control, with what the page shows, and go on
                    ARTIFACTS.mkdir(exist_ok=True)
                    page.screenshot(path=str(ARTIFACTS / f"links-{path.split('?')[0] or 'dataset'}.png"), full_page=True)
                    main = page.locator('[data-testid="stMain"]').inner_text()[:600]
                    problems.append(f"/{path}: {str(error).splitlines()[0]}; the page shows: {main!r}")
                    continue
                state = page.evaluate(WIDGET_STATE_JS)
                link = _copied_link(page)
                if link != page.url:
                    problems.append(f"/{path}: copied {link}, the address bar holds {page.url}")
                if path == "tagger" and _query(link).get("min_score", "0") == "0":
                    problems.append(f"/tagger: the slider's value is not in the link {link}")
                if not expected.items() <= _query(link).items():
                    problems.append(f"/{path}: the link {link} lacks some of {expected}")
                problems += _same_view_in_a_fresh_context(browser, link, state)
                if path == "":
                    problems += _back_returns_to_the_view(page, app_url, link, state)
        finally:
            browser.close()
    assert not problems, "\n".join(problems)


def _back_returns_to_the_view(page, base_url: str, link: str, state: list[str]) -> list[str]:
    """From the Dataset view ``link``, go to the Training page by the sidebar, then Back."""
    page.locator('[data-testid="stSidebarNav"] a', has_text="Training").first.click()
    _idle(page)
    training = _query(page.url)
    for _ in range(3):  # the page switch and the Training page's own link are two history entries
        if urlsplit(page.url).path.rstrip("/") == urlsplit(base_url).path.rstrip("/"):
            break
        page.go_back(wait_until="domcontentloaded")
        _idle(page)
    problems = []
    if _query(page.url) != _query(link):
        problems.append(f"Back: the address is {page.url}, the Dataset view was {link} (Training had {training})")
    if page.evaluate(WIDGET_STATE_JS) != state:
        problems.append(f"Back: the Dataset page shows {page.evaluate(WIDGET_STATE_JS)}, it showed {state}")
    return problems

"""Fixtures for the web app's end-to-end tests: a real server process and Debian's Chromium.

Playwright drives ``/usr/bin/chromium`` (Playwright's own browser download does not work here);
``Testing/install-browser.sh`` installs it, and the browser tests skip with the reason when it is
missing. Each test module starts one server (``deepradiology serve --port 0``) in a subprocess and
shares it between its tests; each test opens its own tab, so it gets its own session.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
#: Where browser tests save their screenshots: the README's pictures when DEEPRADIOLOGY_UPDATE_SCREENSHOTS=1,
#: otherwise a scratch folder, so that a test run leaves the checkout unchanged.
SCREENSHOTS = (REPO / "docs" / "screenshots" if os.environ.get("DEEPRADIOLOGY_UPDATE_SCREENSHOTS") == "1"
               else Path(os.environ.get("DEEPRADIOLOGY_SCREENSHOT_DIR", tempfile.gettempdir())) / "deepradiology-screenshots")
#: Coarse phantom voxels keep start-up short on the shared CI cores; the pictures stay readable.
TEST_PHANTOM_SPACING = "1.2,1.2,3.0"
VIEWPORT = {"width": 1400, "height": 860}

_URL = re.compile(r"serving at (http://\S+?/)")


class RunningServer:
    """A ``deepradiology serve`` subprocess; ``url`` is its address, ``output`` its console so far."""

    def __init__(self, args: list[str], *, env: dict | None = None, start_timeout_s: float = 180) -> None:
        environment = dict(os.environ, VTK_DEFAULT_OPENGL_WINDOW="vtkEGLRenderWindow", PYTHONUNBUFFERED="1")
        environment.update(env or {})
        self.process = subprocess.Popen([sys.executable, "-m", "deepradiology", "serve", *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        env=environment, cwd=REPO)
        self.output: list[str] = []
        self.url = ""
        found = threading.Event()

        def drain() -> None:
            for line in self.process.stdout:
                self.output.append(line)
                match = _URL.search(line)
                if match and not self.url:
                    self.url = match.group(1)
                    found.set()
            found.set()

        threading.Thread(target=drain, daemon=True).start()
        if not found.wait(start_timeout_s) or not self.url:
            self.stop()
            raise RuntimeError("the server did not start:\n" + "".join(self.output[-40:]))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(*args: str, env: dict | None = None) -> RunningServer:
    return RunningServer(["--port", "0", *args], env=env)


@pytest.fixture(scope="session")
def a_browser():
    """Debian's Chromium under Playwright, headless, shared by every browser test."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Debian's Chromium is not installed at {CHROMIUM} (run: bash Testing/install-browser.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def a_default_patient_server():
    """``deepradiology serve`` on the embedded synthetic patient, shared by the browser tests (each
    test opens its own tab, hence its own session)."""
    server = start_server("--phantom-spacing", TEST_PHANTOM_SPACING, "--max-tabs", "4", "--tab-timeout", "5")
    yield server
    server.stop()


def open_tab(browser, url: str, *, views: int = 4, timeout_s: float = 120):
    """A new tab on ``url`` once its slice and 3D views have drawn a first picture."""
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(timeout_s * 1000)
    page.goto(url)
    wait_for_views(page, views=views, timeout_s=timeout_s)
    return page


def wait_for_views(page, *, views: int = 4, timeout_s: float = 120) -> None:
    """Wait until ``views`` remote-rendered view images hold a picture."""
    page.wait_for_function(
        """n => Array.from(document.querySelectorAll('img.image-display-area'))
                 .filter(img => img.src.startsWith('blob:') && img.naturalWidth > 0).length >= n""",
        arg=views, timeout=timeout_s * 1000)


def view_image_digest(page, index: int = 0) -> str:
    """The ``src`` of the ``index``-th view's image; a new render gives a new blob URL."""
    return page.evaluate("i => document.querySelectorAll('img.image-display-area')[i].src", index)


def wait_for_new_render(page, before: str, *, index: int = 0, timeout_s: float = 60) -> None:
    """Wait until view ``index`` shows another picture than the one whose src was ``before``."""
    page.wait_for_function(
        "([i, old]) => { const img = document.querySelectorAll('img.image-display-area')[i];"
        " return img && img.src !== old && img.naturalWidth > 0; }",
        arg=[index, before], timeout=timeout_s * 1000)


def click_view_centre(page, index: int = 0) -> None:
    """Left-click the centre of view ``index`` (the axial view is 0 in the reading layout)."""
    box = page.locator("img.image-display-area").nth(index).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # As a hand does it: arrive, rest, press, release. The view gets mouse events over a throttled
    # websocket; a press arriving before the pointer's move reads as a drag, not a click.
    page.mouse.move(x - 5, y - 5)
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    page.mouse.down()
    page.wait_for_timeout(100)
    page.mouse.up()


def centre_views_on(page, lps_mm) -> None:
    """Type a point into "Centre views on" and press Go, as a radiologist reading a report would."""
    before = view_image_digest(page)
    page.locator("#centre-lps").fill(", ".join(f"{v:.1f}" for v in lps_mm))
    page.locator("#centre-go").click()
    wait_for_new_render(page, before)


def save_screenshot(page, name: str) -> Path:
    """Save the page as ``<SCREENSHOTS>/<name>.png`` (``docs/screenshots`` is linked from the README)."""
    import io

    from PIL import Image as PILImage

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    picture = PILImage.open(io.BytesIO(page.screenshot())).convert("RGB")
    # 256 colours keep the repository small; grey CT and flat UI colours survive them well.
    picture.quantize(colors=256, method=PILImage.Quantize.MEDIANCUT).save(path, optimize=True)
    return path


def wait_until(predicate, timeout_s: float = 60, step_s: float = 0.25):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step_s)
    raise AssertionError("condition not met in time")


def shown_study(page) -> str:
    """The study named in the toolbar's study selector."""
    return page.locator("#study-select").locator("xpath=ancestor::div[contains(@class,'v-select')]").first \
        .locator(".v-select__selection-text").inner_text()


def select_study(page, name_part: str) -> None:
    """Open the study selector and pick the study whose name contains ``name_part``."""
    before = view_image_digest(page)
    page.locator("#study-select").locator("xpath=ancestor::div[contains(@class,'v-field')]").first.click()
    page.locator(".v-overlay-container .v-list-item", has_text=name_part).first.click()
    page.wait_for_function("n => document.querySelector('.v-select__selection-text')?.innerText.includes(n)",
                           arg=name_part)
    wait_for_new_render(page, before)


@pytest.fixture(scope="session")
def a_baseline_truth():
    """The embedded patient's baseline study as the server renders it (same seed and voxels): its
    known lesions (centres in LPS mm, types, axes), for the tests to know where to click."""
    from deepradiology.frames import parse_point
    from deepradiology.phantom import generate_phantom

    phantom = generate_phantom(0, n_studies=1, spacing=tuple(parse_point(TEST_PHANTOM_SPACING)))
    return phantom.studies[0].lesions


def open_panel(page, key: str) -> None:
    """Bring a side-bar panel to the front by its tab."""
    page.locator(f"#tab-{key}").click()
    page.locator(f"#panel-{key}").wait_for(state="visible")


def click_lesion(page, lps_mm, *, ask_button: str) -> None:
    """Centre the views on a lesion, press the panel's button that asks for a click, and click it."""
    centre_views_on(page, lps_mm)
    page.locator(ask_button).click()
    page.locator("#pick-prompt").wait_for(state="visible")
    click_view_centre(page)
    try:
        page.locator("#pick-prompt").wait_for(state="hidden", timeout=15_000)
    except Exception:
        save_screenshot(page, "_failed-click")  # left out of the README; shows what the page was doing
        raise


def count_pixels_like(page, rgb, *, index: int = 0, tolerance: int = 40) -> int:
    """How many pixels of view ``index``'s current picture are within ``tolerance`` of ``rgb`` (0-255)."""
    return page.evaluate(
        """([i, rgb, tol]) => {
             const img = document.querySelectorAll('img.image-display-area')[i];
             const canvas = document.createElement('canvas');
             canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
             const ctx = canvas.getContext('2d'); ctx.drawImage(img, 0, 0);
             const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
             let n = 0;
             for (let p = 0; p < d.length; p += 4) {
               if (Math.abs(d[p] - rgb[0]) <= tol && Math.abs(d[p + 1] - rgb[1]) <= tol
                   && Math.abs(d[p + 2] - rgb[2]) <= tol) n++;
             }
             return n; }""", [index, list(rgb), tolerance])

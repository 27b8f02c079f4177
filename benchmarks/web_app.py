"""Benchmark of the web app (``deepradiology serve``): start-up, a new tab, a RECIST click in a browser.

Each figure has a peer measured in the same run:

* server start (until it prints its URL: rendering the default patient, writing it, building the
  lesion database) against rendering the same phantom alone (`generate_phantom`);
* a new tab (``GET /`` until its worker answers) against loading the same three studies into a plain
  MRML scene through the bridge, in-process (what the worker does, without trame and the views);
* a RECIST click in Chromium (mouse click until the table row is on the page) against
  `RECISTAssistLogic.measure` on the same lesion in-process.

Usage: python benchmarks/web_app.py [--spacing 0.8,0.8,2.5]. Needs Debian's Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def start_server(spacing: str) -> tuple[subprocess.Popen, str, float]:
    env = dict(os.environ, VTK_DEFAULT_OPENGL_WINDOW="vtkEGLRenderWindow", PYTHONUNBUFFERED="1")
    env.pop("DEEPRADIOLOGY_SHARED_DATA", None)  # the synthetic patient only, the same on every machine
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "deepradiology", "serve", "--port", "0", "--phantom-spacing",
                                spacing], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    url, ready = "", threading.Event()

    def drain() -> None:
        nonlocal url
        for line in process.stdout:
            found = re.search(r"serving at (http://\S+?/)", line)
            if found and not url:
                url = found.group(1)
                ready.set()
        ready.set()

    threading.Thread(target=drain, daemon=True).start()
    ready.wait(300)
    if not url:
        process.kill()
        raise SystemExit("the server did not start")
    return process, url, time.perf_counter() - start


def peer_render_phantom(spacing) -> float:
    from deepradiology.phantom import generate_phantom

    start = time.perf_counter()
    generate_phantom(0, n_studies=3, spacing=spacing)
    return time.perf_counter() - start


def time_new_tab(url: str) -> tuple[str, float]:
    """GET / (the broker starts a worker) and poll the tab's page until it answers 200."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    start = time.perf_counter()
    try:
        opener.open(url, timeout=30)
        raise SystemExit("expected a redirect to a tab")
    except urllib.error.HTTPError as exc:
        location = exc.headers["Location"]
    tab_url = url.rstrip("/") + location
    while True:
        try:
            with urllib.request.urlopen(tab_url + "index.html", timeout=200) as response:
                if response.status == 200:
                    return tab_url, time.perf_counter() - start
        except urllib.error.HTTPError:
            time.sleep(0.2)


def peer_load_studies(spacing) -> float:
    """The three studies as written by the server (uncompressed NIfTI) into a bridge scene."""
    import tempfile

    from deepradiology.io import read_image
    from deepradiology_mrml.scene import close_scene, create_scene
    from deepradiology_mrml.volumes import image_to_volume_node
    from deepradiology_web.default_data import embedded_default_case

    with tempfile.TemporaryDirectory() as folder:
        case = embedded_default_case(folder, spacing=spacing)
        start = time.perf_counter()
        scene = create_scene()
        for info in case.images:
            image_to_volume_node(scene, read_image(info.path), info.name)
        elapsed = time.perf_counter() - start
        close_scene(scene)
    return elapsed


def time_recist_click(url: str, lesion: dict) -> float:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 860})
        page.set_default_timeout(120_000)
        page.goto(url)
        page.wait_for_function("() => Array.from(document.querySelectorAll('img.image-display-area'))"
                               ".filter(i => i.naturalWidth > 0).length >= 4")
        page.locator("#tab-recist").click()
        page.locator("#centre-lps").fill(", ".join(f"{v:.1f}" for v in lesion["centre_lps"]))
        page.locator("#centre-go").click()
        page.wait_for_timeout(1500)
        page.locator("#recist-measure").click()
        page.locator("#pick-prompt").wait_for(state="visible")
        box = page.locator("img.image-display-area").first.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.wait_for_timeout(300)
        start = time.perf_counter()
        page.mouse.down()
        page.mouse.up()
        page.locator("#recist-table tbody tr").first.wait_for()
        elapsed = time.perf_counter() - start
        browser.close()
    return elapsed


def peer_recist_logic(spacing, lesion: dict) -> float:
    import numpy as np

    from deepradiology.frames import lps_to_ras
    from deepradiology.phantom import generate_phantom
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.scene import close_scene, create_scene
    from deepradiology_mrml.volumes import image_to_volume_node

    study = generate_phantom(0, n_studies=1, spacing=spacing).studies[0]
    scene = create_scene()
    node = image_to_volume_node(scene, study.ct, "CT")
    logic = RECISTAssistLogic(scene)
    start = time.perf_counter()
    logic.measure(node, lps_to_ras(np.asarray(lesion["centre_lps"])))
    elapsed = time.perf_counter() - start
    close_scene(scene)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spacing", default="0.8,0.8,2.5", help="phantom voxel size i,j,k in mm")
    args = parser.parse_args()
    from deepradiology.frames import parse_point
    from deepradiology.phantom import generate_phantom

    spacing = tuple(parse_point(args.spacing))
    baseline = generate_phantom(0, n_studies=1, spacing=spacing).studies[0]
    liver = max((t for t in baseline.lesions if t["organ"] == "liver"), key=lambda t: t["long_axis_mm"])

    process, url, start_s = start_server(args.spacing)
    try:
        tab_url, tab_s = time_new_tab(url)
        click_s = time_recist_click(url, liver)
    finally:
        process.terminate()
        process.wait(30)
    render_s = peer_render_phantom(spacing)
    load_s = peer_load_studies(spacing)
    logic_s = peer_recist_logic(spacing, liver)
    print(json.dumps({
        "benchmark": "web_app", "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "phantom_spacing_mm": list(spacing),
        "server_start_s": round(start_s, 2), "render_phantom_s": round(render_s, 2),
        "server_start_vs_render_phantom": round(start_s / render_s, 2),
        "new_tab_s": round(tab_s, 2), "load_studies_into_scene_s": round(load_s, 2),
        "new_tab_vs_load_studies": round(tab_s / load_s, 2),
        "recist_click_in_browser_s": round(click_s, 2), "recist_logic_s": round(logic_s, 2),
        "recist_click_vs_logic": round(click_s / logic_s, 2)}))


if __name__ == "__main__":
    main()

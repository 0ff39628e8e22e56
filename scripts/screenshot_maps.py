"""Pictures of what planners open, for the README (``docs/*.png``): web maps, printed figures, QGIS, the workbook.

    python scripts/screenshot_maps.py [maps] [figures] [qgis] [workbook] [workbench] [tiles]   # default: all

* ``maps`` — every map definition rendered offline, opened in headless Chromium
  (``/usr/bin/chromium``) at 1100 × 760, saved as ``docs/map-NAME.png``;
* ``figures`` — ``gis figure`` of the three scheme maps (A4 landscape, 110 dpi) as
  ``docs/figure-NAME.png``, and 浙南 in portrait as ``docs/figure-zhenan-portrait.png``;
* ``qgis`` — the GeoPackage of ``gis export --gpkg`` opened in Debian's QGIS (PyQGIS,
  offscreen, ``tests/qgis_check.py``), its project rendered at the 浙南 and 洞头 maps'
  extents as ``docs/qgis-NAME.png``;
* ``workbook`` — the workbook of ``gis export --xlsx`` converted to PDF by LibreOffice,
  the top of its first page and of the 围垦面积 sheet's page as ``docs/workbook-*.png`` (poppler's
  pdftoppm, 150 dpi);
* ``workbench`` — ``gis serve --profile profiles/example.toml`` on a free loopback port, a site
  drawn by mouse in 浙南 (传统产业提升区 and 新兴产业培育区) in Chromium, the page with its analysis as ``docs/workbench.png``;
* ``tiles`` — ``gis serve --layer 地类图斑=FILE`` with 10⁶ synthetic parcels (GeoParquet), the page's
  first view (zoom 12: small parcels summarised in cells) as ``docs/tiles-overview.png`` and a
  closer view with a parcel clicked (attributes, 亩) as ``docs/tiles-parcels.png``.

Everything runs offline.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from gis.mapdef import list_maps, load_definition  # noqa: E402
from gis.maps import render_map  # noqa: E402

SCHEME_MAPS = ["zhenan", "dongtou", "lucheng"]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
DOCS = ROOT / "docs"


def _wrote(path: Path) -> None:
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")


def maps(tmp: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
        for name in list_maps():
            definition = load_definition(name)
            page_path = tmp / f"{name}.html"
            page_path.write_text(render_map(definition), encoding="utf-8")
            page = browser.new_page(viewport={"width": 1100, "height": 760})
            page.route("http*://**/*", lambda route: route.abort())
            page.goto(page_path.as_uri())
            page.wait_for_function(f"window.gisLabelsZoom === {definition.view.zoom}")
            out = DOCS / f"map-{name}.png"
            page.screenshot(path=str(out))
            page.close()
            _wrote(out)
        browser.close()


def figures(tmp: Path) -> None:
    from gis.figure import render_figure

    for name in SCHEME_MAPS:
        _wrote(render_figure(name, DOCS / f"figure-{name}.png", overwrite=True, dpi=110))
    _wrote(render_figure("zhenan", DOCS / "figure-zhenan-portrait.png", overwrite=True, dpi=110,
                         orientation="portrait"))


def qgis(tmp: Path) -> None:
    from gis.cli import main

    gpkg = tmp / "规划图层.gpkg"
    assert main(["export", "--gpkg", str(gpkg)]) == 0
    extents = [f"{n}=" + ",".join(f"{v:.6f}" for v in load_definition(n).bounds()) for n in ("zhenan", "dongtou")]
    renders = tmp / "qgis"
    renders.mkdir()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTHONPATH", None)
    subprocess.run(["/usr/bin/python3", str(ROOT / "tests" / "qgis_check.py"), str(gpkg), str(renders), *extents],
                   check=True, env=env, capture_output=True, timeout=900)
    for name in ("zhenan", "dongtou"):
        out = DOCS / f"qgis-{name}.png"
        shutil.copyfile(renders / f"{name}.png", out)
        _wrote(out)


def workbook(tmp: Path) -> None:
    from gis.cli import main

    xlsx = tmp / "面积表.xlsx"
    assert main(["export", "--xlsx", str(xlsx)]) == 0
    profile = tmp / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                    "--convert-to", "pdf", "--outdir", str(tmp), str(xlsx)], check=True, capture_output=True,
                   timeout=900)
    pdf = tmp / "面积表.pdf"
    from gis.reports import REPORTS

    reclaim = [r.sheet for r in REPORTS].index("围垦面积") + 1
    for page, name, height in ((1, "workbook-platforms", 760), (reclaim, "workbook-reclamation", 420)):
        stem = tmp / name  # the top of the page at 150 dpi: the lines, the header and the rows
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", "-f", str(page), "-l", str(page),
                        "-x", "0", "-y", "0", "-W", "1754", "-H", str(height), str(pdf), str(stem)], check=True,
                       timeout=300)
        out = DOCS / f"{name}.png"
        shutil.copyfile(stem.with_suffix(".png"), out)
        _wrote(out)


@contextlib.contextmanager
def _serve(tmp: Path, *args: str) -> Iterator[str]:
    """``gis serve`` on a free loopback port with ``args``; yields its URL once it answers, stops it after."""
    import socket
    import time

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(Path(sys.executable).with_name("gis")), "serve", "--port", str(port), "--data",
                               str(tmp / "data"), *args],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while True:  # wait on state: the server answers its health check
            if server.poll() is not None:
                raise SystemExit(f"gis serve {' '.join(args)} stopped (exit {server.returncode})")
            try:
                if httpx.get(url + "/api/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=60)


def workbench(tmp: Path) -> None:
    from playwright.sync_api import sync_playwright

    with _serve(tmp, "--profile", str(ROOT / "profiles" / "example.toml")) as url:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 860})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
            page.goto(url + "/")
            page.wait_for_selector('body[data-ready="1"]', state="attached", timeout=120_000)
            page.evaluate("() => window.gisWorkbench.map.setView([27.856, 120.814], 13)")
            page.click(".leaflet-pm-icon-polygon")
            lonlats = [(120.803, 27.848), (120.824, 27.846), (120.827, 27.862), (120.806, 27.866)]
            points = page.evaluate("""(ll) => ll.map(([x, y]) => {
                const pt = window.gisWorkbench.map.latLngToContainerPoint([y, x]);
                const box = document.getElementById('gis-map').getBoundingClientRect();
                return [pt.x + box.left, pt.y + box.top]; })""", lonlats)
            for x, y in points:
                page.mouse.move(x, y, steps=5)
                page.mouse.down()
                page.mouse.up()
            page.click(".leaflet-pm-actions-container .action-finish:visible")
            page.wait_for_selector("[data-testid=area-mu]", timeout=120_000)
            out = DOCS / "workbench.png"
            page.screenshot(path=str(out))
            browser.close()
        _wrote(out)


def tiles(tmp: Path, n: int = 1_000_000) -> None:
    from playwright.sync_api import sync_playwright

    from gis.synthetic import parcels

    gdf = parcels(n, seed=4)
    gdf["name"] = [f"图斑{i}" for i in range(len(gdf))]
    path = tmp / "dltb.parquet"
    gdf.to_parquet(path)
    # the server answers once it has read the layer and cut its overview
    with _serve(tmp, "--layer", f"地类图斑={path}") as url:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 860})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
            page.goto(url + "/")
            drawn = '[data-tiled-layer="地类图斑"][data-loading="0"]:not([data-drawn="0"])'
            page.wait_for_selector('body[data-ready="1"]', state="attached", timeout=600_000)
            page.wait_for_selector(drawn, state="attached", timeout=600_000)
            overview = DOCS / "tiles-overview.png"
            page.screenshot(path=str(overview))
            point = gdf.geometry.iloc[n // 2 + 100].representative_point()
            page.evaluate("([y, x]) => window.gisWorkbench.redraw((m) => m.setView([y, x], 16, {animate: false}))",
                          [point.y, point.x])
            xy = page.evaluate("""([y, x]) => { const pt = window.gisWorkbench.map.latLngToContainerPoint([y, x]);
                const box = document.getElementById('gis-map').getBoundingClientRect();
                return [pt.x + box.left, pt.y + box.top]; }""", [point.y, point.x])
            page.mouse.click(*xy)
            page.wait_for_selector(".gis-tiled-popup", timeout=120_000)
            page.wait_for_selector(drawn, state="attached", timeout=600_000)
            page.wait_for_function("""() => { const popup = document.querySelector('.leaflet-popup');
                return popup && getComputedStyle(popup).opacity === '1'; }""", timeout=60_000)  # faded in
            close = DOCS / "tiles-parcels.png"
            page.screenshot(path=str(close))
            browser.close()
        _wrote(overview)
        _wrote(close)


def main(parts: list[str]) -> None:
    DOCS.mkdir(exist_ok=True)
    steps = {"maps": maps, "figures": figures, "qgis": qgis, "workbook": workbook, "workbench": workbench,
             "tiles": tiles}
    for part in parts or list(steps):
        with tempfile.TemporaryDirectory() as tmp:
            steps[part](Path(tmp))


if __name__ == "__main__":
    main(sys.argv[1:])

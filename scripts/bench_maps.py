"""Benchmark: big layers on a map — the static quick-look against the workbench's vector tiles, in one run.

    python scripts/bench_maps.py [--sizes 10000 100000] [--tile-sizes 100000 1000000] [--moves 8]
                                 [--cache /tmp/benchmaps] [--skip-folium]

Part 1, the static quick-look (``gis map FILE``). For each of ``--sizes``, generates
parcels (see :mod:`gis.synthetic`), renders a quick-look map with
``gis.maps.render_file`` (offline, escaped, coordinates rounded, simplified
above 5 000 features, one style for the layer) and, for comparison, the same
layer as a plain ``folium.GeoJson`` with a per-feature ``style_function`` (CDN
links removed and Leaflet inlined so that it opens offline too). Each page is
opened in headless Chromium; "open" is the time from navigation until every
feature is drawn (SVG paths counted, or the page's own count of drawn features
where a large layer is drawn on a canvas); "pan" is a 300-pixel pan until the
layer is redrawn (the next two animation frames after ``moveend``).

Part 2, the workbench with the layer as vector tiles (``gis serve --layer
地类图斑=FILE``, the file a GeoParquet). For each of ``--tile-sizes``: the time
the server takes to read and index the layer; in headless Chromium (network
closed but for the server) the time from the page's ``load`` event (and from
navigation start) until the first view's tiles are painted; ``--moves`` pans of
300 pixels at the first view (zoom 12), then at zoom 14, and zooms in and out
(12 → 16 → 12), each until every tile in view is painted (the page's own
``redraw``: ``load`` of the tile layer); then a click on a parcel until its
attributes and measured 亩 are shown. Twice: right after the server answers
("just started": only the overview tiles, zooms 0–12, are cut), and once it has
cut zooms 13 to the detail zoom in the background ("after background cut"),
each time around another parcel, in a new browser context. Tiles not cut yet
(zooms 15–16 always, on the first visit) are cut on demand: the move includes
cutting them.

Generated parcels are kept in ``--cache`` (GeoParquet, by size and seed) and
reused by the next run; pages, the server's data folder and its log are written
in a fresh folder under it.

The last lines put the tiles beside the alternative a planner would otherwise
open — the static quick-look of 10⁵ parcels — as ratios. The machine's load
(``os.getloadavg``) is printed with each row: other work on the machine slows
everything here.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gis.maps import _leaflet_assets, render_file
from gis.synthetic import parcels

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
GIS = str(Path(sys.executable).with_name("gis"))
LAYER = "地类图斑"
VIEWPORT = {"width": 1400, "height": 900}


def load() -> str:
    return "load " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def median_p95(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):.0f}/{p95:.0f}"


# --- part 1: the static quick-look --------------------------------------------------------------------------------

def open_time(browser, path: Path, n: int, *, counter: bool) -> tuple[float, list[float]]:
    """Seconds from navigation until every feature is drawn; then the redraw time (ms) of 4 pans."""
    page = browser.new_page(viewport=VIEWPORT)
    page.route("http*://**/*", lambda route: route.abort())
    start = time.perf_counter()
    page.goto(path.as_uri(), timeout=600_000)
    condition = (f"window.gisDrawn >= {n}" if counter
                 else f"document.querySelectorAll('path.leaflet-interactive').length >= {n}")
    page.wait_for_function(condition, timeout=600_000)
    elapsed = time.perf_counter() - start
    pans = [page.evaluate("""(dx) => new Promise((resolve) => {
        const map = Object.values(window).find((v) => v instanceof L.Map);
        const t0 = performance.now();
        map.once('moveend', () => requestAnimationFrame(() => requestAnimationFrame(
            () => resolve(performance.now() - t0))));
        map.panBy([dx, 0], {animate: false}); })""", dx) for dx in (300, -300, 300, -300)]
    page.close()
    return elapsed, pans


def plain_folium(gdf, path: Path) -> None:
    """The obvious alternative: folium.GeoJson with a per-feature style_function, raw coordinates."""
    import folium

    fmap = folium.Map(location=[27.85, 120.7], zoom_start=12, tiles=None)
    folium.GeoJson(
        gdf.to_json(), style_function=lambda _f: {"color": "#d7301f", "weight": 1.5, "fillOpacity": 0.35},
        tooltip=folium.GeoJsonTooltip(fields=["id"]),
    ).add_to(fmap)
    fmap.save(str(path))
    js, css = _leaflet_assets()
    html = path.read_text(encoding="utf-8")
    html = re.sub(r'<script src="https?://[^"]+"></script>', "", html)
    html = re.sub(r'<link rel="stylesheet" href="https?://[^"]+"/>', "", html)
    html = html.replace("<head>", f"<head><style>{css}</style><script>{js}</script>", 1)
    path.write_text(html, encoding="utf-8")


# --- part 2: the workbench's vector tiles -------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Workbench:
    """``gis serve --layer 地类图斑=FILE`` on a free loopback port (its own process group)."""

    def __init__(self, folder: Path, layer_file: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"serve-{self.port}.log"
        self.args = [GIS, "serve", "--port", str(self.port), "--data", str(folder / "data"), "--layer",
                     f"{LAYER}={layer_file}"]
        self.proc = None

    def __enter__(self) -> Workbench:
        self.proc = subprocess.Popen(self.args, stdout=self.log.open("w"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.log.read_text())
            try:
                if httpx.get(self.url + "/api/health", timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gis serve did not answer: " + self.log.read_text())

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


REDRAW = "([kind, a, b]) => window.gisWorkbench.redraw((m) => kind === 'pan' ? m.panBy([a, b], {animate: false}) " \
         ": m.setZoom(a, {animate: false}))"


def tiles_run(browser, url: str, gdf, moves: int, row: int) -> dict:
    """Open the workbench with the big layer; time the first view, pans and zooms around parcel ``row``, a click."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
    page.goto(url + "/", timeout=600_000)
    page.wait_for_selector(f'[data-tiled-layer="{LAYER}"][data-loading="0"]:not([data-drawn="0"])',
                           state="attached", timeout=600_000)
    times = page.evaluate("""(name) => ({ first: window.gisWorkbench.tiled[name].first,
        load: performance.timing.loadEventEnd - performance.timing.navigationStart,
        zoom: window.gisWorkbench.map.getZoom() })""", LAYER)
    out = {"first_from_nav": times["first"] / 1000, "first_from_load": (times["first"] - times["load"]) / 1000,
           "first_zoom": times["zoom"]}
    steps = [(300, 0), (0, 250), (-300, 0), (0, -250)]
    out["pan_first"] = [page.evaluate(REDRAW, ["pan", *steps[k % 4]]) for k in range(moves)]
    point = gdf.geometry.iloc[row].representative_point()
    page.evaluate("([y, x]) => window.gisWorkbench.redraw((m) => m.setView([y, x], 14, {animate: false}))",
                  [point.y, point.x])
    out["pan_14"] = [page.evaluate(REDRAW, ["pan", *steps[k % 4]]) for k in range(moves)]
    page.evaluate("([y, x]) => window.gisWorkbench.redraw((m) => m.setView([y, x], 12, {animate: false}))",
                  [point.y, point.x])
    zooms = [13, 14, 15, 16, 15, 14, 13, 12]
    out["zoom"] = [page.evaluate(REDRAW, ["zoom", z, 0]) for z in zooms]
    out["zoom_list"] = " ".join(f"{z}:{ms:.0f}" for z, ms in zip(zooms, out["zoom"], strict=True))
    page.evaluate("([y, x]) => window.gisWorkbench.redraw((m) => m.setView([y, x], 16, {animate: false}))",
                  [point.y, point.x])
    xy = page.evaluate("""([y, x]) => { const pt = window.gisWorkbench.map.latLngToContainerPoint([y, x]);
        const box = document.getElementById('gis-map').getBoundingClientRect();
        return [pt.x + box.left, pt.y + box.top]; }""", [point.y, point.x])
    start = time.perf_counter()
    page.mouse.click(*xy)
    page.wait_for_selector(f".gis-tiled-popup:has-text('{gdf['id'].iloc[row]}'):has-text('亩')", timeout=60_000)
    out["click"] = time.perf_counter() - start
    out["popup"] = " / ".join(page.inner_text(".gis-tiled-popup").splitlines()[1:])
    out["errors"] = errors
    context.close()
    return out


def cached_parcels(cache: Path, n: int):
    """``parcels(n, seed=4)`` with a name each (图斑…), from ``cache`` if generated before; and its GeoParquet."""
    import geopandas as gpd

    path = cache / f"parcels-{n}-seed4.parquet"
    if path.exists():
        return gpd.read_parquet(path), path
    gdf = parcels(n, seed=4)
    gdf["name"] = [f"图斑{i}" for i in range(len(gdf))]
    partial = path.with_suffix(".part")
    gdf.to_parquet(partial)
    partial.replace(path)
    return gdf, path


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--tile-sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--moves", type=int, default=8, help="pans at each of two zooms (default 8)")
    parser.add_argument("--skip-folium", action="store_true", help="leave out the plain folium.GeoJson pages")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/benchmaps"),
                        help="folder of the generated parcels, kept between runs (default /tmp/benchmaps)")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="run-", dir=args.cache))
    print(f"bench_maps: {os.cpu_count()} cores, {load()} at the start", flush=True)
    quick: dict[int, tuple[float, list[float], float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
        print(f"{'features':>9} {'variant':<28} {'HTML (MB)':>10} {'build (s)':>10} {'open (s)':>9} "
              f"{'pan ms (med/p95)':>17}  load", flush=True)
        for n in args.sizes:
            gdf, _ = cached_parcels(args.cache, n)
            ours = tmp / f"gis_{n}.html"
            start = time.perf_counter()
            ours.write_text(render_file(gdf, title=f"parcels {n}"), encoding="utf-8")
            t_build = time.perf_counter() - start
            t_open, pans = open_time(browser, ours, n, counter=True)
            quick[n] = (t_open, pans, ours.stat().st_size / 1e6)
            print(f"{n:>9,} {'gis map (quick-look)':<28} {ours.stat().st_size / 1e6:>10.1f} {t_build:>10.1f} "
                  f"{t_open:>9.1f} {median_p95(pans):>17}  {load()}", flush=True)
            if args.skip_folium:
                continue
            plain = tmp / f"folium_{n}.html"
            start = time.perf_counter()
            plain_folium(gdf, plain)
            t_build = time.perf_counter() - start
            t_open, pans = open_time(browser, plain, n, counter=False)
            print(f"{n:>9,} {'plain folium.GeoJson':<28} {plain.stat().st_size / 1e6:>10.1f} {t_build:>10.1f} "
                  f"{t_open:>9.1f} {median_p95(pans):>17}  {load()}", flush=True)
        print()
        print(f"{'features':>9} {'variant':<28} {'start (s)':>10} {'first view (s)':>15} {'pan z12 ms':>11} "
              f"{'pan z14 ms':>11} {'zoom ms':>9} {'click (s)':>9}  load")
        print(f"{'':>9} {'':<28} {'(warm: wait)':>10} {'after load/nav':>15} {'med/p95':>11} {'med/p95':>11} "
              f"{'med/p95':>9}")
        tiles: dict[tuple[int, str], dict] = {}
        for n in args.tile_sizes:
            gdf, path = cached_parcels(args.cache, n)
            start = time.perf_counter()
            with Workbench(tmp, path) as server:
                t_start = time.perf_counter() - start
                for phase in ("cold", "warm"):
                    if phase == "warm":  # the server cuts zooms 13–14 in the background after it starts
                        waited = time.perf_counter()
                        while httpx.get(server.url + "/api/health", timeout=30).json()["tiles"]["warming"]:
                            time.sleep(1)
                        t_start = time.perf_counter() - waited
                    # each phase pans and zooms around a parcel of its own: tiles nobody has asked for yet
                    row = len(gdf) // 2 + 100 if phase == "cold" else len(gdf) // 4 + 100
                    result = tiles_run(browser, server.url, gdf, args.moves, row)
                    tiles[(n, phase)] = result
                    label = "tiles, just started" if phase == "cold" else "tiles, after background cut"
                    print(f"{n:>9,} {label:<28} {t_start:>10.1f} "
                          f"{result['first_from_load']:>6.2f}/{result['first_from_nav']:<8.2f} "
                          f"{median_p95(result['pan_first']):>11} {median_p95(result['pan_14']):>11} "
                          f"{median_p95(result['zoom']):>9} {result['click']:>9.2f}  {load()}", flush=True)
                    print(f"{'':>9}   first view at zoom {result['first_zoom']}; zooms {result['zoom_list']}; "
                          f"clicked: {result['popup']}"
                          + (f"; page errors: {result['errors']}" if result["errors"] else ""), flush=True)
                print(f"{'':>9}   server: " + " | ".join(line.removeprefix("gis serve: ") for line in
                                                         server.log.read_text().splitlines() if "layer" in line))
        browser.close()
    base = max((n for n in quick if n <= 100_000), default=None)
    if base is not None:
        q_open, q_pans, _ = quick[base]
        print()
        for (n, phase), r in tiles.items():
            moves = r["pan_first"] + r["pan_14"]
            pan, worst = statistics.median(moves), max(moves + r["zoom"])
            print(f"ratio: quick-look of {base:,} ({q_open:.1f} s to open, pan {statistics.median(q_pans):.0f} ms, "
                  f"worst {max(q_pans):.0f} ms) vs tiles of {n:,}, {phase} (first view {r['first_from_load']:.2f} s "
                  f"after load, pan {pan:.0f} ms, worst pan or zoom {worst:.0f} ms): open "
                  f"{q_open / max(r['first_from_load'], 1e-3):.1f}× faster, pan {statistics.median(q_pans) / max(pan, 1e-3):.1f}× "
                  f"faster (a pan back to tiles still kept costs a few ms), worst case "
                  f"{max(q_pans) / max(worst, 1e-3):.1f}×")
    print(f"bench_maps: {load()} at the end")


if __name__ == "__main__":
    main()

"""Benchmark: size and opening time of quick-look maps of large layers.

    python scripts/bench_maps.py [--sizes 10000 100000]

For each size, generates parcels (see :mod:`gis.synthetic`), renders a
quick-look map with ``gis.maps.render_file`` (offline, escaped, coordinates
rounded, simplified above 5 000 features, one style for the layer) and, for
comparison, the same layer as a plain ``folium.GeoJson`` with a per-feature
``style_function`` (CDN links removed and Leaflet inlined so that it opens
offline too). Each page is
opened in headless Chromium; "open" is the time from navigation until every
feature is drawn (SVG paths counted, or the page's own count of drawn features
where a large layer is drawn on a canvas).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gis.maps import _leaflet_assets, render_file
from gis.synthetic import parcels

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def open_time(browser, path: Path, n: int, *, counter: bool) -> float:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.route("http*://**/*", lambda route: route.abort())
    start = time.perf_counter()
    page.goto(path.as_uri(), timeout=600_000)
    condition = (f"window.gisDrawn >= {n}" if counter
                 else f"document.querySelectorAll('path.leaflet-interactive').length >= {n}")
    page.wait_for_function(condition, timeout=600_000)
    elapsed = time.perf_counter() - start
    page.close()
    return elapsed


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


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    print(f"{'features':>9} {'variant':<26} {'HTML (MB)':>10} {'build (s)':>10} {'open (s)':>9}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
        for n in args.sizes:
            gdf = parcels(n, seed=4)
            ours = tmp / f"gis_{n}.html"
            start = time.perf_counter()
            ours.write_text(render_file(gdf, title=f"parcels {n}"), encoding="utf-8")
            t_build = time.perf_counter() - start
            t_open = open_time(browser, ours, n, counter=True)
            print(f"{n:>9,} {'gis map (quick-look)':<26} {ours.stat().st_size / 1e6:>10.1f} {t_build:>10.1f} {t_open:>9.1f}")
            plain = tmp / f"folium_{n}.html"
            start = time.perf_counter()
            plain_folium(gdf, plain)
            t_build = time.perf_counter() - start
            t_open = open_time(browser, plain, n, counter=False)
            print(f"{n:>9,} {'plain folium.GeoJson':<26} {plain.stat().st_size / 1e6:>10.1f} {t_build:>10.1f} "
                  f"{t_open:>9.1f}")
        browser.close()


if __name__ == "__main__":
    main()

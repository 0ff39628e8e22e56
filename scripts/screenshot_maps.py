"""Screenshots of the scheme maps for the README (``docs/*.png``).

    python scripts/screenshot_maps.py [NAME ...]

Renders each scheme map (by default ``zhenan``, ``dongtou`` and ``lucheng``) offline, opens it in headless Chromium
(``/usr/bin/chromium``) at 1100 × 760 and saves a PNG under ``docs/``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from gis.maps import load_definition, render_map  # noqa: E402

SCHEME_MAPS = ["zhenan", "dongtou", "lucheng"]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def main(names: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
        for name in names or SCHEME_MAPS:
            page_path = tmp / f"{name}.html"
            page_path.write_text(render_map(load_definition(name)), encoding="utf-8")
            page = browser.new_page(viewport={"width": 1100, "height": 760})
            page.route("http*://**/*", lambda route: route.abort())
            page.goto(page_path.as_uri())
            page.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length > 0")
            page.wait_for_timeout(300)
            out = ROOT / "docs" / f"map-{name}.png"
            out.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(out))
            page.close()
            print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size // 1024} KB)")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])

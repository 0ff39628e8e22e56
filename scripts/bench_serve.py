"""Benchmark: the workbench (`gis serve`) on loopback, against the command line a planner would use instead.

A real server is started on a free loopback port (its own processes), then:

  single site     POST /api/analyse of one drawn 1,000-vertex site, N times in a row: p50 / p95 / max
                  against `gis site` on the same site (a new process each time, as a planner runs it)
  20 planners     20 concurrent clients for --duration seconds, each looping over a mix of what a planner
                  does (open a layer, analyse a small drawn site, list the 项目库, save a site, OGC items in
                  a bbox, open a saved site): errors, requests, p50 / p95 / max per kind and overall
  upload          POST /api/analyse of a zipped Shapefile of 10^4 parcels (GBK .dbf): wall time from the
                  first byte sent to the answer parsed, against `gis site` on the same zip
  page            headless Chromium (/usr/bin/chromium, network closed): navigation start to the page's
                  ready state (plan layers drawn, 项目库 listed), median of 5 loads

Usage: python scripts/bench_serve.py [--duration 60] [--planners 20] [--workers 1] [--analysis-workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

GIS = str(Path(sys.executable).with_name("gis"))
CENTRE = (120.89, 27.955)  # 瓯江口: zones, platforms and reclamation around


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ring(n: int, lon: float, lat: float, radius_deg: float, wobble: float = 0.15) -> list[list[float]]:
    """A closed ring of ``n`` vertices, star-shaped (valid), around (lon, lat)."""
    pts = []
    for k in range(n):
        t = 2 * math.pi * k / n
        r = radius_deg * (1 + wobble * math.sin(7 * t))
        pts.append([round(lon + r * math.cos(t), 7), round(lat + 0.9 * r * math.sin(t), 7)])
    return [*pts, pts[0]]


def site(n: int = 1000, lon: float = CENTRE[0], lat: float = CENTRE[1], radius: float = 0.008, name: str = "选址"):
    return {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": name},
                                                        "geometry": {"type": "Polygon",
                                                                     "coordinates": [ring(n, lon, lat, radius)]}}]}


def parcels_zip(folder: Path, n: int) -> Path:
    import warnings

    import geopandas as gpd
    from shapely.geometry import box

    side = 0.0008
    cols = int(math.sqrt(n))
    geoms = [box(120.84 + side * (i % cols), 27.92 + side * (i // cols), 120.84 + side * (i % cols) + side * 0.9,
                 27.92 + side * (i // cols) + side * 0.9) for i in range(n)]
    gdf = gpd.GeoDataFrame({"id": [f"p{i}" for i in range(n)], "name": [f"地块{i}号" for i in range(n)]},
                           geometry=geoms, crs=4490)
    shp = folder / "parcels" / "地块.shp"
    shp.parent.mkdir(parents=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf.to_file(shp, encoding="GBK")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    out = folder / "地块.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for member in shp.parent.iterdir():
            z.write(member, member.name)
    return out


class Server:
    def __init__(self, data: Path, args: list[str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data.parent / "serve.log"
        self.proc = subprocess.Popen([GIS, "serve", "--port", str(self.port), "--data", str(data), *args],
                                     stdout=self.log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        while True:  # wait on state: the health check answers
            if self.proc.poll() is not None:
                sys.exit(f"gis serve ended: {self.log.read_text()}")
            try:
                if httpx.get(self.url + "/api/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=60)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def describe(values: list[float]) -> str:
    return (f"n={len(values):5d}  p50 {1000 * statistics.median(values):7.1f} ms  p95 {1000 * pct(values, .95):7.1f} ms"
            f"  max {1000 * max(values):7.1f} ms")


@contextlib.contextmanager
def csrf_client(url: str):
    with httpx.Client(base_url=url, timeout=300) as c:
        c.headers["X-CSRF-Token"] = c.get("/api/session").json()["csrf_token"]
        yield c


def bench_single(url: str, folder: Path, repeats: int, cli_repeats: int) -> dict:
    body = site(1000)
    times = []
    with csrf_client(url) as c:
        c.post("/api/analyse", json=body).raise_for_status()  # warm
        for _ in range(repeats):
            t = time.perf_counter()
            r = c.post("/api/analyse", json=body)
            r.raise_for_status()
            r.json()
            times.append(time.perf_counter() - t)
        mu = r.json()["sites"][0]["area_mu"]
    path = folder / "site1000.geojson"
    path.write_text(json.dumps(body), encoding="utf-8")
    cli = []
    for _ in range(cli_repeats):
        t = time.perf_counter()
        subprocess.run([GIS, "site", str(path), "--format", "json", "--id-field", "name"], check=True,
                       capture_output=True)
        cli.append(time.perf_counter() - t)
    return {"server": times, "cli": cli, "area_mu": mu}


async def planner(k: int, url: str, until: float, log: dict, errors: list) -> None:
    rng = random.Random(k)
    async with httpx.AsyncClient(base_url=url, timeout=60) as c:
        token = (await c.get("/api/session")).json()["csrf_token"]
        headers = {"X-CSRF-Token": token}
        saved: list[int] = []
        while time.monotonic() < until:
            kind = rng.choices(["layer", "analyse", "sites", "save", "ogc", "open"], [2, 5, 2, 1, 2, 1])[0]
            lon = CENTRE[0] + rng.uniform(-0.05, 0.05)
            lat = CENTRE[1] + rng.uniform(-0.04, 0.04)
            t = time.perf_counter()
            try:
                if kind == "layer":
                    r = await c.get("/api/layers/" + rng.choice(["zones", "platforms", "reclamation", "projects"]))
                elif kind == "analyse":
                    r = await c.post("/api/analyse", json=site(rng.choice([5, 50, 200]), lon, lat, 0.004), headers=headers)
                elif kind == "sites":
                    r = await c.get("/api/sites")
                elif kind == "save":
                    r = await c.post("/api/sites", json={"name": f"压测{k}-{len(saved)}",
                                                         "geometry": site(40, lon, lat, 0.003)}, headers=headers)
                    if r.status_code == 201:
                        saved.append(r.json()["id"])
                elif kind == "ogc":
                    r = await c.get("/collections/zones/items",
                                    params={"bbox": f"{lon - .02},{lat - .02},{lon + .02},{lat + .02}", "limit": 50})
                else:
                    if not saved:
                        continue
                    r = await c.get(f"/api/sites/{rng.choice(saved)}")
                await r.aread()
                if r.status_code >= 400:
                    errors.append(f"{kind}: {r.status_code} {r.text[:120]}")
            except httpx.HTTPError as exc:
                errors.append(f"{kind}: {type(exc).__name__} {exc}")
                continue
            log.setdefault(kind, []).append(time.perf_counter() - t)


async def bench_planners(url: str, planners: int, duration: float) -> tuple[dict, list]:
    log: dict[str, list[float]] = {}
    errors: list[str] = []
    until = time.monotonic() + duration
    await asyncio.gather(*(planner(k, url, until, log, errors) for k in range(planners)))
    return log, errors


def bench_upload(url: str, archive: Path, repeats: int) -> dict:
    times, sites = [], 0
    data = archive.read_bytes()
    with csrf_client(url) as c:
        for _ in range(repeats):
            t = time.perf_counter()
            r = c.post("/api/analyse", files={"file": (archive.name, data, "application/zip")})
            r.raise_for_status()
            sites = len(r.json()["sites"])
            times.append(time.perf_counter() - t)
    t = time.perf_counter()
    subprocess.run([GIS, "site", str(archive), "--format", "json"], check=True, capture_output=True)
    cli = time.perf_counter() - t
    return {"server": times, "sites": sites, "cli": cli, "bytes": len(data)}


def bench_page(url: str, loads: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"]
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args, headless=True)
        for _ in range(loads):
            context = browser.new_context()
            page = context.new_page()
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
            page.goto(url + "/", wait_until="commit")
            page.wait_for_selector('body[data-ready="1"]', state="attached", timeout=120_000)
            ready = page.evaluate("() => performance.now()")  # ms since navigation start
            out.append(ready / 1000)
            context.close()
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--planners", type=int, default=20)
    parser.add_argument("--parcels", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--analysis-workers", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; load average at start {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        folder = Path(tmp)
        server = Server(folder / "data", ["--workers", str(args.workers),
                                          "--analysis-workers", str(args.analysis_workers)])
        try:
            print(f"server: {server.url}, --workers {args.workers} --analysis-workers {args.analysis_workers}")
            single = bench_single(server.url, folder, args.repeats, 5)
            print(f"\nsingle 1,000-vertex site ({single['area_mu']:.2f} 亩), POST /api/analyse:")
            print(f"  workbench   {describe(single['server'])}   (target p95 < 300 ms)")
            print(f"  gis site    {describe(single['cli'])}")
            print(f"  ratio       gis site p50 / workbench p50 = "
                  f"{statistics.median(single['cli']) / statistics.median(single['server']):.1f}×")

            archive = parcels_zip(folder, args.parcels)
            up = bench_upload(server.url, archive, 3)
            print(f"\nupload: zipped Shapefile of {args.parcels:,} parcels ({up['bytes'] / 1e6:.1f} MB, GBK .dbf), "
                  f"{up['sites']:,} sites analysed:")
            print(f"  workbench   best {min(up['server']):.2f} s, median {statistics.median(up['server']):.2f} s "
                  f"(target < 5 s)")
            print(f"  gis site    {up['cli']:.2f} s   ratio {up['cli'] / statistics.median(up['server']):.1f}×")

            page = bench_page(server.url, 5)
            print(f"\npage interactive (navigation start → ready): median {statistics.median(page):.2f} s, "
                  f"max {max(page):.2f} s (target < 2 s)")

            print(f"\n{args.planners} planners for {args.duration:.0f} s (mixed requests):")
            log, errors = asyncio.run(bench_planners(server.url, args.planners, args.duration))
            every = [t for v in log.values() for t in v]
            for kind, values in sorted(log.items()):
                print(f"  {kind:8s}  {describe(values)}")
            print(f"  {'all':8s}  {describe(every)}   ({len(every) / args.duration:.1f} requests/s; target p95 < 1 s)")
            print(f"  errors: {len(errors)}" + (f" — first: {errors[0]}" if errors else ""))
        finally:
            server.stop()
    print(f"\nload average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()

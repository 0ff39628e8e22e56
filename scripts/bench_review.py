"""Benchmark: `gis review` of 1,000 candidate sites against three control layers of 10^5 polygons and a
10^6-polygon current-land-use layer, against geopandas.overlay doing the same overlaps, in one run.

Layers are written once as GeoParquet (with a bbox column) and as GeoPackage; every variant runs in its own
process, so that its wall time and peak memory (max RSS) are its own:

  review parquet  gis.review.review from a profile naming the GeoParquet files (read where the sites are)
  review gpkg     the same profile naming the GeoPackages (read through their spatial index)
  gpd.overlay     geopandas.read_parquet of the same files, then geopandas.overlay(sites, layer) per layer,
                  the overlap areas measured the same way (ellipsoidal) and summed per site and per class

The plans' own rules (`gis site`'s part of the review) are left out of the timing: the overlay does no such thing.
Each variant runs ``--repeat`` times (default 3), the variants in turn; the best run of each is compared (as
``timeit`` does: the machine's noise only ever adds time), and every run's time is shown. The processor time
(all threads, user and system; least of the runs) is shown beside it: on a virtual machine whose second core
is now and then taken by its host, the two-threaded review loses more wall time than the one-threaded overlay,
and the processor time tells the work done from the waiting. Results of the
variants are compared (largest difference of the per-site overlaps).

Usage: python scripts/bench_review.py [--parcels 1000000] [--layer-features 200000] [--sites 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

ORIGIN = (120.62, 27.80)
CODES = ["0101", "0103", "0301", "1001", "0701", "1207", "1701", "0505", "1704", "1202"]


def build(folder: Path, n_parcels: int, n_layer: int, n_sites: int) -> None:
    import geopandas as gpd
    import shapely

    from gis.engine import write_parquet
    from gis.synthetic import parcels

    started = time.perf_counter()
    land = parcels(n_parcels, origin=ORIGIN, cell_m=(80.0, 60.0), seed=1, topology=True)
    land["DLBM"] = np.random.default_rng(2).choice(CODES, len(land))
    extent = land.total_bounds
    scale = np.sqrt(n_parcels / n_layer)
    for k, name in enumerate(("stbhhx", "yjjbnt", "czkfbj")):
        layer = parcels(n_layer, origin=ORIGIN, cell_m=(80.0 * scale, 60.0 * scale), seed=10 + k, topology=True)
        layer = layer.sample(frac=0.5, random_state=k).reset_index(drop=True)  # half the cover, as a real layer
        write_parquet(layer, folder / f"{name}.parquet")
        layer.to_file(folder / f"{name}.gpkg", driver="GPKG")
    write_parquet(land, folder / "dltb.parquet")
    land.to_file(folder / "dltb.gpkg", driver="GPKG")
    rng = np.random.default_rng(3)
    side = rng.uniform(220, 700, n_sites)  # 5–50 ha
    cx = rng.uniform(extent[0] + 0.01, extent[2] - 0.01, n_sites)
    cy = rng.uniform(extent[1] + 0.01, extent[3] - 0.01, n_sites)
    dx = side / 2 / (111_320 * np.cos(np.radians(cy)))
    dy = side / 2 / 110_574
    sites = gpd.GeoDataFrame({"id": [f"s{i:04d}" for i in range(n_sites)]},
                             geometry=shapely.box(cx - dx, cy - dy, cx + dx, cy + dy), crs=4326)
    sites = sites.assign(geometry=sites.geometry.rotate(15, origin="centroid"))
    sites.to_file(folder / "sites.gpkg", driver="GPKG")
    for suffix in ("parquet", "gpkg"):
        (folder / f"profile_{suffix}.toml").write_text(textwrap.dedent(f"""
            title = "bench"
            [[constraint]]
            name = "生态保护红线"
            source = "stbhhx.{suffix}"
            rule = "must_not_overlap"
            [[constraint]]
            name = "永久基本农田"
            source = "yjjbnt.{suffix}"
            rule = "must_not_overlap"
            category = "永久基本农田"
            [[constraint]]
            name = "城镇开发边界"
            source = "czkfbj.{suffix}"
            rule = "must_be_within"
            [land_use]
            source = "dltb.{suffix}"
            field = "DLBM"
        """), encoding="utf-8")
    os.sync()  # on disk before the runs: the kernel's writing back 1.2 GB must not fall in a timed run
    print(f"built {n_parcels:,} land-use parcels, 3 × {n_layer // 2:,} control polygons, {n_sites:,} sites "
          f"in {time.perf_counter() - started:.0f} s", flush=True)


def run_review(folder: Path, suffix: str) -> dict:
    import geopandas as gpd

    from gis.review import review

    started, cpu = time.perf_counter(), cpu_seconds()
    sites = gpd.read_file(folder / "sites.gpkg")
    result = review(sites, folder / f"profile_{suffix}.toml", rules=False)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    overlaps = {s["id"]: [c["overlap_m2"] for c in s["constraints"]] for s in result.sites}
    classes = {s["id"]: {r["class"]: r["area_m2"] for r in s["land_use"] if r["level"] == "地类"}
               for s in result.sites}
    return {"seconds": seconds, "cpu": cpu, "overlaps": overlaps, "classes": classes}


def run_overlay(folder: Path) -> dict:
    import geopandas as gpd

    from gis.area import ellipsoidal_area

    started, cpu = time.perf_counter(), cpu_seconds()
    sites = gpd.read_file(folder / "sites.gpkg")
    overlaps: dict[str, list[float]] = {s: [] for s in sites["id"]}
    for name in ("stbhhx", "yjjbnt", "czkfbj"):
        layer = gpd.read_parquet(folder / f"{name}.parquet")
        pieces = gpd.overlay(sites[["id", "geometry"]], layer[["geometry"]], how="intersection",
                             keep_geom_type=True)
        pieces["m2"] = ellipsoidal_area(pieces)
        sums = pieces.groupby("id")["m2"].sum()
        for s in overlaps:
            overlaps[s].append(float(sums.get(s, 0.0)))
    land = gpd.read_parquet(folder / "dltb.parquet")
    pieces = gpd.overlay(sites[["id", "geometry"]], land[["DLBM", "geometry"]], how="intersection",
                         keep_geom_type=True)
    pieces["m2"] = ellipsoidal_area(pieces)
    classes: dict[str, dict[str, float]] = {}
    for (site, code), m2 in pieces.groupby(["id", "DLBM"])["m2"].sum().items():
        classes.setdefault(site, {})[code] = float(m2)
    return {"seconds": time.perf_counter() - started, "cpu": cpu_seconds() - cpu, "overlaps": overlaps,
            "classes": classes}


def cpu_seconds() -> float:
    """This process's processor time so far, all threads, user and system (to tell work from waiting)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_memory_gb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def child(variant: str, folder: Path, out: Path) -> None:
    result = run_overlay(folder) if variant == "overlay" else run_review(folder, variant)
    result["max_rss_gb"] = peak_memory_gb()
    out.write_text(json.dumps(result), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--layer-features", type=int, default=200_000,
                        help="polygons drawn per control layer before half are kept (default 200,000 → 10^5)")
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each variant, in turn; the best of each is compared (default 3)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    with tempfile.TemporaryDirectory(prefix="gis-bench-review-") as tmp:
        folder = Path(tmp)
        build(folder, args.parcels, args.layer_features, args.sites)
        runs: dict[str, list[dict]] = {"parquet": [], "gpkg": [], "overlay": []}
        for _ in range(args.repeat):  # the variants in turn, so that a slow spell of the machine hits all of them
            for variant in runs:
                out = folder / f"{variant}.json"
                subprocess.run([sys.executable, __file__, "--child", variant, str(folder), str(out)], check=True)
                runs[variant].append(json.loads(out.read_text(encoding="utf-8")))
        results = {v: min(r, key=lambda x: x["seconds"]) for v, r in runs.items()}  # the best run of each
        base = results["overlay"]
        print(f"{'variant':<16}{'wall (s)':>10}{'all runs (s)':>22}{'CPU (s)':>9}{'peak RSS (GB)':>15}"
              f"{'vs gpd.overlay':>16}{'CPU vs':>8}{'max diff (m²)':>15}")
        for variant, label in (("parquet", "review parquet"), ("gpkg", "review gpkg"), ("overlay", "gpd.overlay")):
            r = results[variant]
            every = " ".join(f"{x['seconds']:.1f}" for x in runs[variant])
            diffs = [0.0]  # m²; the review's figures are rounded to 0.01 m²
            for site, values in r["overlaps"].items():
                diffs.extend(abs(a - b) for a, b in zip(values, base["overlaps"][site], strict=True))
                mine = {k.split(" ")[0]: v for k, v in r["classes"].get(site, {}).items()}
                diffs.extend(abs(mine.get(code, 0.0) - m2) for code, m2 in base["classes"].get(site, {}).items())
            ratio = base["seconds"] / r["seconds"]
            cpu = min(x["cpu"] for x in runs[variant])
            cpu_ratio = min(x["cpu"] for x in runs["overlay"]) / cpu
            peak = max(x["max_rss_gb"] for x in runs[variant])
            print(f"{label:<16}{r['seconds']:>10.1f}{every:>22}{cpu:>9.1f}{peak:>15.2f}{ratio:>15.1f}x"
                  f"{cpu_ratio:>7.1f}x{max(diffs):>15.3f}")
        load = os.getloadavg()
        print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()

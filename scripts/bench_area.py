"""Benchmark: vectorised ellipsoidal area against a per-polygon GeographicLib loop.

    python scripts/bench_area.py [--sizes 100000 1000000]

For each size, generates gap-free parcels near Wenzhou (20–28 vertices, see
:mod:`gis.synthetic`), then times in one run:

* ``gis.ellipsoidal_area`` (one coordinate pass, the series of the authalic function per ring, a compiled loop);
* its floor, extracting the coordinates (``shapely.get_coordinates``), and the ratio of the two
  (the target: within 2×) — each the best of five runs;
* the obvious alternative, a Python loop of
  ``pyproj.Geod(ellps="GRS80").geometry_area_perimeter`` on oriented polygons;
* for context, ``to_crs`` into an equal-area projection plus ``.area``.

It prints the times, the speed-up over the loop and the largest relative
difference from GeographicLib.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

import shapely
from pyproj import Geod

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gis import ellipsoidal_area
from gis.synthetic import parcels


def timed(fn, repeat: int = 1):
    """Return ``fn()`` and its wall time: the best of ``repeat`` runs (as ``timeit`` advises: the others are
    the machine's noise — page faults of a fresh 400 MB array, another process)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


def geod_loop(geoms) -> np.ndarray:
    geod = Geod(ellps="GRS80")
    oriented = shapely.orient_polygons(geoms)
    return np.array([abs(geod.geometry_area_perimeter(g)[0]) for g in oriented])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    print(f"{'parcels':>9} {'vertices':>11} {'gis (s)':>8} {'get_coords (s)':>15} {'× coords':>9} "
          f"{'Geod loop (s)':>14} {'speed-up':>9} {'to_crs CEA (s)':>15} {'max rel diff':>13}")
    for n in args.sizes:
        gdf = parcels(n, seed=1)
        vertices = int(shapely.get_num_coordinates(gdf.geometry.values).sum())
        ellipsoidal_area(gdf.iloc[:100])  # warm up
        _, t_coords = timed(lambda gdf=gdf: shapely.get_coordinates(gdf.geometry.values), repeat=5)
        fast, t_fast = timed(lambda gdf=gdf: ellipsoidal_area(gdf), repeat=5)
        slow, t_slow = timed(lambda gdf=gdf: geod_loop(gdf.geometry.values))
        _, t_cea = timed(lambda gdf=gdf: gdf.to_crs("+proj=cea +ellps=GRS80").area.to_numpy())
        diff = float(np.max(np.abs(fast / slow - 1)))
        print(f"{n:>9,} {vertices:>11,} {t_fast:>8.2f} {t_coords:>15.2f} {t_fast / t_coords:>8.2f}x "
              f"{t_slow:>14.2f} {t_slow / t_fast:>8.1f}x "
              f"{t_cea:>15.2f} {diff:>13.2e}")


if __name__ == "__main__":
    main()

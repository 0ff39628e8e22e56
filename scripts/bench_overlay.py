"""Benchmark: gis.overlay against geopandas.overlay(how="intersection") plus area.

    python scripts/bench_overlay.py [--sizes 100000 1000000]

Generated gap-free parcels (see :mod:`gis.synthetic`) tile the extent of the
浙南产业集聚区 (its zones, parks and reclamation), as a district's parcel file
would, and are overlaid on the shipped polygons there (``zones``, ``platforms``
and ``reclamation``: nested and overlapping, as planning layers are), in one run:

* ``gis.overlay.overlay`` — an STRtree on the parcels, zones containing a
  parcel take it uncut, only boundary pairs are intersected;
* the obvious alternative: ``geopandas.overlay(parcels, zones, how="intersection")``
  and the ellipsoidal area of every piece.

It prints both times, the speed-up, the peak memory, and checks that the two
give the same area for every (parcel, zone) pair to 1e-6 relative.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gis import ellipsoidal_area, read_layer
from gis.overlay import overlay
from gis.synthetic import parcels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    shipped = pd.concat([read_layer(n)[["id", "scheme", "geometry"]] for n in ("zones", "platforms", "reclamation")])
    zones = shipped[shipped["scheme"] == "一核两带三轴四区"][["id", "geometry"]].rename(columns={"id": "zone_id"})
    zones = gpd.GeoDataFrame(zones, geometry="geometry", crs=4326).reset_index(drop=True)
    minx, miny, maxx, maxy = zones.total_bounds
    extent_m = ((maxx - minx) * 111_320 * np.cos(np.radians(miny)), (maxy - miny) * 110_574)
    print(f"zones: {len(zones)} shipped polygons of 一核两带三轴四区, extent {extent_m[0] / 1000:.1f} × "
          f"{extent_m[1] / 1000:.1f} km")
    print(f"{'parcels':>9} {'pairs':>9} {'gis (s)':>8} {'gpd.overlay+area (s)':>21} {'speed-up':>9} "
          f"{'max rel diff':>13} {'peak RSS (GB)':>14}")
    for n in args.sizes:
        side = float(np.sqrt(extent_m[0] * extent_m[1] / n))
        gdf = parcels(n, origin=(minx, miny), cell_m=(side, side), seed=2)[["id", "geometry"]]
        start = time.perf_counter()
        ours = overlay(gdf, zones.rename(columns={"zone_id": "id"}))
        t_ours = time.perf_counter() - start
        ours = ours[ours["zone_id"].notna()]

        start = time.perf_counter()
        pieces = gpd.overlay(gdf, zones, how="intersection", keep_geom_type=True)
        pieces["area"] = ellipsoidal_area(pieces)
        theirs = pieces.groupby(["id", "zone_id"])["area"].sum()
        t_theirs = time.perf_counter() - start

        mine = ours.set_index(["project_id", "zone_id"])["area_inside_m2"]
        mine.index.names = ["id", "zone_id"]
        joined = pd.concat([mine.rename("ours"), theirs.rename("theirs")], axis=1).fillna(0.0)
        joined = joined[(joined["ours"] > 1e-6) | (joined["theirs"] > 1e-6)]
        diff = float(np.max(np.abs(joined["ours"] / joined["theirs"] - 1))) if len(joined) else 0.0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
        print(f"{n:>9,} {len(joined):>9,} {t_ours:>8.2f} {t_theirs:>21.2f} {t_theirs / t_ours:>8.1f}x "
              f"{diff:>13.2e} {peak:>14.2f}")
        if diff > 1e-6:
            print("  areas differ beyond 1e-6: check the pairs above", file=sys.stderr)


if __name__ == "__main__":
    main()

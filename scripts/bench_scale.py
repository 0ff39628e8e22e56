"""Benchmark: the local engine against Dask (2 workers), and GeoParquet against GeoPackage.

    python scripts/bench_scale.py [--sizes 100000 300000 1000000]

For each size, generates parcels tiling the 浙南 extent (see :mod:`gis.synthetic`) and
times, in one run:

* area: ``gis.ellipsoidal_area`` locally; the Dask engine with the parcels sent from
  the client (scattered) and with them read by the workers from GeoParquet;
* overlay on the shipped zones: ``gis.overlay.overlay`` locally and on Dask;
* I/O: writing and reading the parcels as GeoParquet (partitioned) and GeoPackage.

The Dask cluster is a ``LocalCluster`` of 2 worker processes (one thread each) on this
2-core machine. Figures feed ``docs/scaling.md``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import geopandas as gpd
import pyogrio

from gis import ellipsoidal_area, read_layer
from gis.engine import area_dask, dask_client, overlay_dask, write_parquet
from gis.overlay import overlay
from gis.synthetic import parcels


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    zones = read_layer("zones")
    tmp = Path(tempfile.mkdtemp())
    header = (f"{'parcels':>9} {'area local':>10} {'area dask':>10} {'dask(parquet)':>13} {'overlay local':>13} "
              f"{'overlay dask':>12} {'parquet w/r':>12} {'gpkg w/r':>12}")
    print(header)
    with dask_client(workers=2) as client:
        for n in args.sizes:
            gdf = parcels(n, origin=(120.72, 27.74), cell_m=(25.0, 25.0), seed=5)
            _, t_area = timed(lambda gdf=gdf: ellipsoidal_area(gdf))
            _, t_area_dask = timed(lambda gdf=gdf: area_dask(gdf, client=client))
            pq = tmp / f"p{n}.parquet"
            _, t_pq_w = timed(lambda gdf=gdf, pq=pq: write_parquet(gdf, pq))
            _, t_area_pq = timed(lambda pq=pq: area_dask(pq, client=client))
            _, t_pq_r = timed(lambda pq=pq: gpd.read_parquet(pq))
            gp = tmp / f"p{n}.gpkg"
            _, t_gp_w = timed(lambda gdf=gdf, gp=gp: pyogrio.write_dataframe(gdf, gp, use_arrow=True))
            _, t_gp_r = timed(lambda gp=gp: pyogrio.read_dataframe(gp, use_arrow=True))
            _, t_ov = timed(lambda gdf=gdf: overlay(gdf, zones))
            _, t_ov_dask = timed(lambda gdf=gdf: overlay_dask(gdf, zones, client=client))
            print(f"{n:>9,} {t_area:>9.2f}s {t_area_dask:>9.2f}s {t_area_pq:>12.2f}s {t_ov:>12.2f}s "
                  f"{t_ov_dask:>11.2f}s {t_pq_w:>5.1f}/{t_pq_r:<5.1f}s {t_gp_w:>5.1f}/{t_gp_r:<5.1f}s", flush=True)
            shutil.rmtree(pq, ignore_errors=True)
            gp.unlink(missing_ok=True)


if __name__ == "__main__":
    main()

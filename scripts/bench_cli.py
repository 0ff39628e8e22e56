"""Benchmark: whole `gis` processes against DuckDB spatial doing the same jobs end to end, in one run.

    python scripts/bench_cli.py [--sizes 100000 1000000] [--data DIR]

Needs the ``bench`` extra (``pip install -e '.[test,bench]'``: duckdb and duckdb-extension-spatial, loaded
offline from the installed package). For each size, parcels tiling the 浙南 extent (the extent of the
一核两带三轴四区 zones; :func:`gis.synthetic.parcels`: gap-free, 20–28 vertices each, five land-use classes) are
written once per run, in a temporary folder (or ``--data DIR``, kept), as a GeoPackage (``p.gpkg``, with its
R-tree) and a GeoParquet file (``p.parquet``, WKB, as geopandas writes it). Then every job runs as its own
process, whose wall time and peak memory (max RSS of the child, ``RUSAGE_CHILDREN``) are its own:

  gis --help
  gis area p.gpkg --by land_use --unit mu -o area.csv        (and the same from p.parquet)
  gis overlay p.gpkg zones -o overlay.csv                      (and the same from p.parquet)

and DuckDB doing the same from the same files (``ST_Read`` for the GeoPackage, ``read_parquet`` +
``ST_GeomFromWKB`` for GeoParquet), writing the same CSV with ``COPY``:

  area     ST_Area_Spheroid(ST_FlipCoordinates(geom)) summed per land_use, in 亩 (DuckDB counts an overlap
           twice: it does not dissolve; the parcels do not overlap, so the totals are comparable)
  overlay  a LEFT JOIN of the parcels on the shipped zones (exported to a GeoPackage) ON ST_Intersects, the
           ellipsoidal area of ST_Intersection, the share of the parcel inside

Printed: wall time, peak RSS, the ratio gis/DuckDB of each, and the agreement of the results (largest
relative difference of the group totals; of the overlap areas per (parcel, zone) pair), plus the machine's
load average at start and end (another engineer may be running benchmarks on the same 2 cores).
"""

from __future__ import annotations

import argparse
import csv
import glob
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GIS = str(Path(sys.executable).with_name("gis"))


def build(folder: Path, n: int) -> None:
    """Write ``n`` parcels as p.gpkg and p.parquet in ``folder`` (and the zones as zones.gpkg, for DuckDB)."""
    import pyogrio

    from gis.layers import read_layer
    from gis.synthetic import parcels

    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "p.gpkg").exists() and (folder / "p.parquet").exists() and (folder / "zones.gpkg").exists():
        return
    started = time.perf_counter()
    zones = read_layer("zones")
    scheme = zones[zones["scheme"] == "一核两带三轴四区"]
    minx, miny, maxx, maxy = scheme.total_bounds
    extent_m = ((maxx - minx) * 111_320 * np.cos(np.radians(miny)), (maxy - miny) * 110_574)
    side = float(np.sqrt(extent_m[0] * extent_m[1] / n))
    gdf = parcels(n, origin=(minx, miny), cell_m=(side, side), seed=7)
    pyogrio.write_dataframe(gdf, folder / "p.gpkg", layer="parcels", driver="GPKG")
    gdf.to_parquet(folder / "p.parquet")
    pyogrio.write_dataframe(zones[["id", "name", "geometry"]], folder / "zones.gpkg", layer="zones", driver="GPKG")
    vertices = int(np.sum(__import__("shapely").get_num_coordinates(gdf.geometry.values)))
    print(f"built {len(gdf):,} parcels ({vertices / 1e6:.1f} M vertices, {side:.0f} m cells) in "
          f"{time.perf_counter() - started:.0f} s", flush=True)


def spatial_extension() -> str:
    """The spatial extension's file inside the installed duckdb-extension-spatial package, for this duckdb."""
    import duckdb
    import duckdb_extension_spatial

    base = Path(duckdb_extension_spatial.__file__).parent / "extensions"
    exact = base / f"v{duckdb.__version__}" / "spatial.duckdb_extension"
    if exact.exists():
        return str(exact)
    found = sorted(glob.glob(str(base / "*" / "spatial.duckdb_extension")))
    if not found:
        sys.exit(f"no spatial extension in {base}; pip install -e '.[bench]'")
    return found[-1]


DUCK_AREA = """
LOAD '{ext}';
COPY (
  SELECT land_use, count(*) AS features,
         sum(ST_Area_Spheroid(ST_FlipCoordinates(geom))) AS area_m2,
         sum(ST_Area_Spheroid(ST_FlipCoordinates(geom))) / (2000.0 / 3) AS area_mu
  FROM {source} GROUP BY land_use ORDER BY land_use
) TO '{out}' (HEADER, DELIMITER ',');
"""

DUCK_OVERLAY = """
LOAD '{ext}';
CREATE TABLE z AS SELECT id AS zone_id, geom FROM ST_Read('{zones}');
COPY (
  WITH p AS (SELECT id AS project_id, geom FROM {source})
  SELECT p.project_id, z.zone_id,
         ST_Area_Spheroid(ST_FlipCoordinates(ST_Intersection(p.geom, z.geom))) AS area_inside_m2,
         ST_Area_Spheroid(ST_FlipCoordinates(ST_Intersection(p.geom, z.geom)))
           / ST_Area_Spheroid(ST_FlipCoordinates(p.geom)) AS share_inside,
         ST_Area_Spheroid(ST_FlipCoordinates(p.geom)) AS project_area_m2
  FROM p LEFT JOIN z ON ST_Intersects(p.geom, z.geom)
) TO '{out}' (HEADER, DELIMITER ',');
"""


def duck_source(path: Path) -> str:
    if path.suffix == ".gpkg":
        return f"ST_Read('{path}')"
    return f"(SELECT id, land_use, geometry AS geom FROM read_parquet('{path}'))"  # GeoParquet: a GEOMETRY column


def duck_child(job: str, source: Path, out: Path, zones: Path) -> None:
    import duckdb

    con = duckdb.connect()
    sql = (DUCK_AREA if job == "area" else DUCK_OVERLAY).format(ext=spatial_extension(), source=duck_source(source),
                                                                out=out, zones=zones)
    for statement in [s for s in sql.split(";") if s.strip()]:
        con.execute(statement)


def measured(argv: list[str]) -> tuple[float, float]:
    """Wall time and peak RSS of ``argv`` run in a fresh wrapper process (so RUSAGE_CHILDREN is its alone)."""
    proc = subprocess.run([sys.executable, __file__, "--measure", "--", *argv], capture_output=True, text=True,
                          check=False, cwd=ROOT)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{proc.stderr[-3000:]}")
    seconds, gb = proc.stdout.strip().splitlines()[-1].split()
    return float(seconds), float(gb)


def measure_child(argv: list[str]) -> None:
    started = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit(proc.returncode)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    print(f"{seconds:.3f} {peak:.3f}")


def read_area(path: Path, key: str = "land_use") -> dict[str, float]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return {row[key]: float(row["area_m2"]) for row in csv.DictReader(handle) if row[key] not in ("合计", "")}


def read_overlay(path: Path) -> dict[tuple[str, str], float]:
    import pandas as pd

    table = pd.read_csv(path, encoding="utf-8-sig", usecols=["project_id", "zone_id", "area_inside_m2"],
                        dtype={"project_id": str, "zone_id": str})
    table = table[table["zone_id"].notna()]
    return table.groupby(["project_id", "zone_id"])["area_inside_m2"].sum().to_dict()


def agreement(ours: dict, theirs: dict) -> float:
    keys = [k for k in set(ours) | set(theirs) if max(abs(ours.get(k, 0.0)), abs(theirs.get(k, 0.0))) > 1.0]
    if not keys:
        return 0.0
    return max(abs(ours.get(k, 0.0) - theirs.get(k, 0.0)) / max(abs(theirs.get(k, 0.0)), 1.0) for k in keys)


def main() -> None:
    if "--measure" in sys.argv:
        measure_child(sys.argv[sys.argv.index("--") + 1:])
        return
    if "--duck" in sys.argv:
        job, source, out, zones = sys.argv[sys.argv.index("--duck") + 1:]
        duck_child(job, Path(source), Path(out), Path(zones))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--data", help="keep the built files in this folder and reuse them (e.g. /tmp/benchcli: "
                                       "building 10⁶ parcels takes minutes)")
    parser.add_argument("--skip-duckdb", action="store_true", help="time only gis")
    parser.add_argument("--jobs", nargs="+", choices=("area", "overlay"), default=["area", "overlay"])
    parser.add_argument("--formats", nargs="+", choices=("gpkg", "parquet"), default=["gpkg", "parquet"])
    args = parser.parse_args()
    import duckdb  # noqa: F401  (fail early without the bench extra)

    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"duckdb {__import__('duckdb').__version__} + spatial", flush=True)
    tmp = None if args.data else tempfile.mkdtemp(prefix="gis-bench-cli-")
    base = Path(args.data or tmp)
    try:
        seconds, gb = measured([GIS, "--help"])
        duck_s, duck_gb = measured([sys.executable, "-c", f"import duckdb; duckdb.connect().execute(\"LOAD '{spatial_extension()}'\")"])
        print(f"gis --help: {seconds:.2f} s, {gb * 1024:.0f} MB; Python + duckdb + LOAD spatial: {duck_s:.2f} s, "
              f"{duck_gb * 1024:.0f} MB; time × {seconds / duck_s:.2f}", flush=True)
        print(f"{'parcels':>9}  {'job':<30}{'gis (s)':>9}{'DuckDB (s)':>11}{'time ×':>8}"
              f"{'gis GB':>8}{'DuckDB GB':>10}{'mem ×':>7}{'max rel diff':>14}", flush=True)
        for n in args.sizes:
            folder = base / f"n{n}"
            build(folder, n)
            zones = folder / "zones.gpkg"
            for fmt in args.formats:
                source = folder / f"p.{fmt}"
                for job in args.jobs:
                    ours_out = folder / f"gis_{job}_{fmt}.csv"
                    duck_out = folder / f"duck_{job}_{fmt}.csv"
                    for stale in (ours_out, duck_out):
                        stale.unlink(missing_ok=True)
                    if job == "area":
                        argv = [GIS, "area", str(source), "--by", "land_use", "--unit", "mu", "-o", str(ours_out)]
                    else:
                        argv = [GIS, "overlay", str(source), "zones", "-o", str(ours_out)]
                    t_ours, m_ours = measured(argv)
                    if args.skip_duckdb:
                        t_duck = m_duck = float("nan")
                        diff = float("nan")
                    else:
                        t_duck, m_duck = measured([sys.executable, __file__, "--duck", job, str(source),
                                                   str(duck_out), str(zones)])
                        if job == "area":
                            diff = agreement(read_area(ours_out), read_area(duck_out))
                        else:
                            diff = agreement(read_overlay(ours_out), read_overlay(duck_out))
                    label = f"{job} {fmt}" + (" --by land_use" if job == "area" else " × zones")
                    print(f"{n:>9,}  {label:<30}{t_ours:>9.2f}{t_duck:>11.2f}{t_ours / t_duck:>8.2f}"
                          f"{m_ours:>8.2f}{m_duck:>10.2f}{m_ours / m_duck:>7.2f}{diff:>14.2e}", flush=True)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()

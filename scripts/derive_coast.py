"""Derive ``layers/coast.geojson``: land and islands around Wenzhou's coast.

Source: the npm package ``@geo-maps/earth-seas-10m`` (package MIT; data derived
from OpenStreetMap, © OpenStreetMap contributors, ODbL). Run once::

    npm install --prefix /tmp/geo @geo-maps/earth-seas-10m
    python scripts/derive_coast.py /tmp/geo/node_modules/@geo-maps/earth-seas-10m/map.geo.json

The sea polygon is clipped to 120.35–121.35°E, 27.60–28.20°N and its
complement taken as land. Parts are named where a public anchor
(`shared/reference/places.md`) falls inside them. The outline is of about 2017:
it shows the islands and the 瓯江, and some but not all reclamation built since.
It is context for maps and a test of where islands are, not a survey coastline.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import Point, box, shape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gis.area import ellipsoidal_area
from gis.io import write_geojson

BOUNDS = (120.35, 27.60, 121.35, 28.20)
ANCHORS = {  # name: (id, lon, lat) — a point known to lie on that land
    "大陆（温州沿海）": ("coast-mainland", 120.70, 28.00),
    "灵昆岛（含瓯江口新区一期部分围垦）": ("coast-lingkun", 120.89, 27.95),
    "大门岛": ("coast-damen", 121.0913, 27.9657),
    "小门岛": ("coast-xiaomen", 121.0601, 27.9974),
    "鹿西岛": ("coast-luxi", 121.1822, 27.9836),
    "洞头本岛": ("coast-dongtou", 121.155, 27.838),
    "霓屿岛": ("coast-niyu", 121.05, 27.86),
    "状元岙岛": ("coast-zhuangyuanao", 121.13, 27.89),
    "青山岛": ("coast-qingshan", 121.1118, 27.9160),
}
MIN_AREA_KM2 = 0.3


def main(source: str) -> None:
    data = json.loads(Path(source).read_text())
    frame = box(*BOUNDS)
    sea_parts = []
    features = data["features"] if data.get("type") == "FeatureCollection" else [{"geometry": data}]
    for feature in features:
        geom = shape(feature["geometry"])
        for part in getattr(geom, "geoms", [geom]):
            if part.intersects(frame):
                sea_parts.append(shapely.make_valid(part).intersection(frame))
    land = frame.difference(shapely.union_all(sea_parts))
    parts = [p for p in getattr(land, "geoms", [land]) if p.geom_type == "Polygon"]
    rows = []
    unnamed = 0
    for part in sorted(parts, key=lambda p: -p.area):
        area_km2 = float(ellipsoidal_area([part], crs="EPSG:4326")[0]) / 1e6
        if area_km2 < MIN_AREA_KM2:
            continue
        name, ident = None, None
        for label, (aid, lon, lat) in ANCHORS.items():
            if part.contains(Point(lon, lat)):
                name, ident = label, aid
        if name is None:
            unnamed += 1
            name, ident = "岛屿", f"coast-island-{unnamed:02d}"
        rows.append({"id": ident, "name": name, "area_km2_as_drawn": round(area_km2, 2), "geometry": part})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    gdf["source"] = "@geo-maps/earth-seas-10m 0.6.0 (npm), complement of the sea polygon"
    gdf["licence"] = "package MIT; data © OpenStreetMap contributors, ODbL 1.0"
    gdf["geometry_quality"] = "derived"
    gdf["geometry_source"] = "coastline of about 2017 at 1:10m scale; not a survey coastline"
    out = Path(__file__).resolve().parents[1] / "layers" / "coast.geojson"
    write_geojson(gdf, out, name="coast", precision=5)
    print(f"wrote {out} ({len(gdf)} land parts)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: derive_coast.py PATH/TO/earth-seas-10m/map.geo.json")
    main(sys.argv[1])

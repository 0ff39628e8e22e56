"""Vector tiles of a layer (gis.tiles): decoded with mapbox_vector_tile, checked against the layer itself."""

from __future__ import annotations

import mapbox_vector_tile
import numpy as np
import pytest

import geopandas as gpd
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from gis.errors import InputError
from gis.geometry import polygon_area
from gis.synthetic import parcels
from gis.tiles import (
    BUFFER,
    CELL_PX,
    DETAIL_PX,
    EXTENT,
    MAX_ZOOM,
    TiledLayer,
    check_tile,
    mercator,
    tile_at,
    tile_bounds,
)
from gis.units import from_square_metres, round_half_up


def decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def to_lonlat(z: int, x: int, y: int, px: float, py: float) -> tuple[float, float]:
    """Tile units back to degrees (the inverse of the tile's projection)."""
    n = 2 ** z
    lon = (x + px / EXTENT) / n * 360 - 180
    my = (y + py / EXTENT) / n
    lat = np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * my))))
    return float(lon), float(lat)


@pytest.fixture(scope="module")
def block():
    gdf = parcels(3000, seed=7)
    gdf["name"] = [f"地块{i}" for i in range(len(gdf))]
    return gdf


@pytest.fixture(scope="module")
def layer(block):
    return TiledLayer(block, name="parcels")


def test_a_detail_tile_holds_every_parcel_it_touches_with_its_attributes_and_area(block, layer):
    z = layer.detail_zoom + 1
    centre = block.geometry.iloc[1500].representative_point()
    x, y = tile_at(centre.x, centre.y, z)
    decoded = decode(layer.tile(z, x, y))
    assert set(decoded) == {"features"}  # at this zoom every parcel is drawn as itself, none summarised
    features = decoded["features"]["features"]
    west, south, east, north = tile_bounds(z, x, y)
    expected = set(block.sindex.query(box(west, south, east, north), predicate="intersects"))
    got = {f["id"] for f in features}
    assert expected <= got  # a parcel touching the tile is in it (the buffer may add a neighbour or two)
    assert got <= set(block.sindex.query(box(west, south, east, north).buffer((east - west) * BUFFER / EXTENT * 2)))
    area = polygon_area(block.geometry.values)
    for f in features[:50]:
        row = f["id"]
        assert f["properties"]["id"] == block["id"].iloc[row]
        assert f["properties"]["name"] == block["name"].iloc[row]
        assert f["properties"]["land_use"] == block["land_use"].iloc[row]
        assert f["properties"]["mu"] == round_half_up(float(from_square_metres(area[row], "mu")), 2)
        assert f["geometry"]["type"] == "Polygon"
    # the geometry: back in degrees, within a tile unit of the parcel's own
    inside = next(f for f in features if block.geometry.iloc[f["id"]].within(box(west, south, east, north)))
    ring = [to_lonlat(z, x, y, px, py) for px, py in inside["geometry"]["coordinates"][0]]
    drawn = Polygon(ring)
    own = block.geometry.iloc[inside["id"]]
    unit = (east - west) / EXTENT
    assert drawn.symmetric_difference(own).area < own.length * unit * 1.5
    assert drawn.is_valid and shapely.get_num_coordinates(drawn) >= 5


def test_features_are_clipped_to_the_buffer_beyond_the_tile_edges():
    big = gpd.GeoDataFrame({"id": ["big"], "name": ["大片区"]}, geometry=[box(120.0, 27.0, 122.0, 29.0)], crs=4326)
    layer = TiledLayer(big, name="big")
    z = 12
    x, y = tile_at(121.0, 28.0, z)
    feature = decode(layer.tile(z, x, y))["features"]["features"][0]
    xs, ys = zip(*feature["geometry"]["coordinates"][0], strict=True)
    assert min(xs) == -BUFFER and max(xs) == EXTENT + BUFFER
    assert min(ys) == -BUFFER and max(ys) == EXTENT + BUFFER
    assert feature["properties"]["name"] == "大片区"
    # a line and a point keep their kind; a hole stays a hole (winding order as the MVT spec wants)
    west, south, east, north = tile_bounds(z, x, y)
    cx, cy, w = (west + east) / 2, (south + north) / 2, (east - west) / 4
    ring = box(cx - w, cy - w, cx + w, cy + w)
    kinds = gpd.GeoDataFrame({"id": ["ring", "road", "well"]}, crs=4326, geometry=[
        ring.difference(ring.buffer(-w / 2)), LineString([(west - 1, cy), (east + 1, cy)]), Point(cx, cy)])
    decoded = decode(TiledLayer(kinds, name="kinds").tile(z, x, y))["features"]["features"]
    by_id = {f["properties"]["id"]: f for f in decoded}
    assert by_id["ring"]["geometry"]["type"] == "Polygon" and len(by_id["ring"]["geometry"]["coordinates"]) == 2
    line = by_id["road"]["geometry"]["coordinates"]
    assert by_id["road"]["geometry"]["type"] == "LineString" and line[0][0] == -BUFFER and line[-1][0] == EXTENT + BUFFER
    assert by_id["well"]["geometry"]["type"] == "Point"
    assert "mu" not in by_id["road"]["properties"] and "mu" in by_id["ring"]["properties"]


def test_small_features_are_summarised_in_cells_never_dropped(block, layer):
    z = layer.detail_zoom - 3  # each parcel ~1 pixel
    x, y = tile_at(*block.geometry.iloc[0].centroid.coords[0], z)
    tiles = [(z, tx, ty) for tx in (x - 1, x, x + 1) for ty in (y - 1, y, y + 1)]
    counted = checked = 0
    for t in tiles:
        data, stats = layer.tile_with_stats(*t)
        if not data:
            continue
        decoded = decode(data)
        assert "features" not in decoded
        cells = decoded["cells"]["features"]
        assert len(cells) == 1 and cells[0]["properties"] == {"count": stats.summarised}  # one feature a tile
        # its parts are runs of whole cells along a row; together they cover exactly the cells used
        size = EXTENT * CELL_PX // 256
        geometry = cells[0]["geometry"]
        parts = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        covered = 0
        for part in parts:
            xs, ys = zip(*part[0], strict=True)
            assert len(part) == 1 and max(ys) - min(ys) == size and min(ys) % size == 0
            assert (max(xs) - min(xs)) % size == 0 and min(xs) % size == 0
            covered += (max(xs) - min(xs)) // size
        assert covered == stats.cells
        # the cells hold every summarised parcel's centre (of its box in Web Mercator)
        for row in block.index[:300]:
            west, south, east, north = block.geometry.iloc[row].bounds
            (x0, x1), (y1, y0) = mercator([west, east], [south, north])
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            n = 2 ** z
            if int(cx * n) == t[1] and int(cy * n) == t[2]:
                px, py = (cx * n - t[1]) * EXTENT, (cy * n - t[2]) * EXTENT
                assert any(min(xs) <= px <= max(xs) and min(ys) <= py <= max(ys)
                           for xs, ys in (zip(*part[0], strict=True) for part in parts)), row
                checked += 1
        counted += stats.summarised
    assert counted == len(block)  # every parcel is in exactly one cell of the zoom
    assert checked == 300
    assert layer.metadata()["detail_zoom"] == layer.detail_zoom
    px = (mercator(block.total_bounds[2], 0)[0] - mercator(block.total_bounds[0], 0)[0]) * 256 * 2 ** z
    assert px > 10  # the block is several pixels across: shown, by cells


def test_a_big_feature_is_drawn_as_itself_at_low_zooms_beside_the_cells(block):
    field = box(120.55, 27.70, 120.60, 27.75)  # ~5 km: at zoom 8 about 8 pixels
    gdf = gpd.GeoDataFrame({"id": ["field"], "land_use": ["0101"]}, geometry=[field], crs=4326)
    layer = TiledLayer(gpd.GeoDataFrame(gpd.pd.concat([block, gdf], ignore_index=True), crs=4326), name="mixed")
    first = int(layer.first_zoom[-1])
    assert first <= 9
    x, y = tile_at(120.575, 27.725, first)
    decoded = decode(layer.tile(first, x, y))
    assert [f["properties"]["id"] for f in decoded["features"]["features"]] == ["field"]
    assert "cells" in decoded


def test_empty_tiles_and_bad_addresses(layer):
    assert layer.tile(10, 0, 0) == b""
    assert layer.tile_with_stats(MAX_ZOOM, 0, 0)[1].features == 0
    for z, x, y in ((MAX_ZOOM + 1, 0, 0), (-1, 0, 0), (3, 8, 0), (3, 0, -1), (0, 1, 0)):
        with pytest.raises(InputError):
            check_tile(z, x, y)
        with pytest.raises(InputError):
            layer.tile(z, x, y)


def test_point_query_answers_the_parcel_and_its_area_as_gis_area_gives_it(block, layer):
    row = 1234
    point = block.geometry.iloc[row].representative_point()
    found = layer.feature_at(point.x, point.y)
    assert found == row
    described = layer.describe(found)
    area = float(polygon_area([block.geometry.iloc[row]])[0])
    assert described["area_mu"] == round_half_up(float(from_square_metres(area, "mu")), 2)
    assert described["id"] == block["id"].iloc[row] and described["properties"]["name"] == block["name"].iloc[row]
    assert shapely.geometry.shape(described["geometry"]).equals_exact(block.geometry.iloc[row], 1e-6)
    assert layer.feature_at(100.0, 10.0) is None


def test_hostile_text_is_kept_as_it_is_in_tiles():
    hostile = '<img src=x onerror="alert(1)">\u202e=HYPERLINK("http://x")'
    gdf = gpd.GeoDataFrame({"id": [hostile], "name": [hostile], "land_use": [hostile]},
                           geometry=[box(120.7, 27.9, 120.701, 27.901)], crs=4326)
    layer = TiledLayer(gdf, name="hostile")
    z = 16
    x, y = tile_at(120.7005, 27.9005, z)
    props = decode(layer.tile(z, x, y))["features"]["features"][0]["properties"]
    assert props["name"] == hostile and props["id"] == hostile and props["land_use"] == hostile


def test_layers_in_another_crs_and_without_geometry_are_handled():
    gdf = parcels(50, seed=3).to_crs(4528)
    gdf.loc[3, "geometry"] = None
    layer = TiledLayer(gdf, name="gk")
    assert len(layer) == 49
    west, south, east, north = layer.bounds
    assert 120 < west < east < 121 and 27 < south < north < 28
    with pytest.raises(InputError):
        TiledLayer(gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)]), name="nocrs")


def test_detail_threshold_in_pixels(layer):
    assert DETAIL_PX > CELL_PX
    sizes = layer.first_zoom
    assert sizes.min() >= 0 and sizes.max() <= MAX_ZOOM + 1

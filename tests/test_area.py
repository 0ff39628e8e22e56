"""Areas as the land survey computes them (issue: land areas and reclaimed acreage)."""

from __future__ import annotations

import numpy as np
import pytest

import geopandas as gpd
import shapely
from pyproj import Geod
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from gis import ellipsoidal_area, geodesic_area, planar_area, round_half_up
from gis.area import planar_crs_for
from gis.errors import CRSError, GeometryError
from gis.measure import area_table, reconcile
from gis.synthetic import parcels

SHEET = box(120 + 37.5 / 60, 28.0, 120 + 41.25 / 60, 28 + 2.5 / 60)  # 1:10000 sheet


def test_the_compiled_sums_agree_with_the_numpy_sums():
    """The compiled loop (gis.loops.ring_areas) against the same sums in NumPy, the series and the closed form."""
    import gis.area

    gdf = parcels(2000, seed=8)
    geoms = np.concatenate([gdf.geometry.to_numpy(), np.array([box(120.5, lat, 120.6, lat + 0.05) for lat in
                                                                range(-79, 80, 7)], dtype=object)])
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    offsets = np.r_[0, np.cumsum(np.bincount(which))]
    compiled = gis.area._ring_areas(coords, offsets)
    summed = gis.area._summed_ring_areas(coords, offsets)
    assert compiled == pytest.approx(summed, rel=1e-12)
    assert gis.area._ring_areas(coords[:0], offsets[:1]).tolist() == []


GK_SQUARE = box(40568000, 3098000, 40569000, 3099000)  # 1000 m square, EPSG:4528


def test_map_sheet_theoretical_area_from_four_corners():
    assert ellipsoidal_area([SHEET], crs="EPSG:4490")[0] == pytest.approx(28_381_103.77, abs=0.05)


def test_map_sheet_densified_along_parallels_agrees_with_geographiclib():
    dense = shapely.segmentize(SHEET, 0.0005)
    assert geodesic_area([dense], crs="EPSG:4490")[0] == pytest.approx(28_381_103.77, abs=0.05)
    assert ellipsoidal_area([dense], crs="EPSG:4490")[0] == pytest.approx(28_381_103.77, abs=0.05)


def test_map_sheet_with_geodesic_edges_as_qgis_and_arcgis():
    assert geodesic_area([SHEET], crs="EPSG:4490")[0] == pytest.approx(28_381_104.73, abs=0.05)


def test_gauss_kruger_square_planar_and_ellipsoidal():
    assert planar_area([GK_SQUARE], crs="EPSG:4528")[0] == pytest.approx(1_000_000, abs=0.01)
    assert planar_area([GK_SQUARE], crs="EPSG:4528", planar_crs="EPSG:4528")[0] == pytest.approx(1_000_000, abs=0.01)
    assert ellipsoidal_area([GK_SQUARE], crs="EPSG:4528")[0] == pytest.approx(999_884.23, abs=0.01)


def test_planar_zone_chosen_from_the_data():
    assert planar_crs_for([box(120.5, 27.8, 121.0, 28.1)], crs=4326).to_epsg() == 4549
    assert planar_crs_for([box(117.2, 30.0, 117.4, 30.2)], crs=4326).to_epsg() == 4548  # CM 117E


RING = [(120.70, 28.00), (120.72, 28.00), (120.72, 28.02), (120.70, 28.02)]
HOLE = [(120.705, 28.005), (120.705, 28.010), (120.710, 28.010), (120.710, 28.005)]


def _geodesic(g):
    return abs(Geod(ellps="GRS80").geometry_area_perimeter(shapely.orient_polygons(g))[0])


def test_clockwise_hole_and_multipolygon_are_positive_and_right():
    ccw = Polygon(RING)
    cw = Polygon(RING[::-1])
    holed = Polygon(RING, [HOLE])
    holed_same_orientation = Polygon(RING, [HOLE[::-1]])
    multi = MultiPolygon([Polygon(RING), Polygon([(x + 0.05, y) for x, y in RING], [HOLE])])
    areas = ellipsoidal_area([ccw, cw, holed, holed_same_orientation, multi], crs=4326)
    assert np.all(areas > 0)
    assert areas[0] == pytest.approx(areas[1], rel=1e-12)
    assert areas[2] == pytest.approx(areas[3], rel=1e-12)
    hole_area = ellipsoidal_area([Polygon(HOLE)], crs=4326)[0]
    assert areas[2] == pytest.approx(areas[0] - hole_area, rel=1e-9)
    assert areas[4] == pytest.approx(2 * areas[0] - hole_area, rel=1e-6)
    for g, a in zip([ccw, cw, holed, multi], areas[[0, 1, 2, 4]], strict=True):
        assert a == pytest.approx(_geodesic(g), rel=1e-6)


def test_parcels_agree_with_geographiclib_to_1e_6():
    gdf = parcels(3000, seed=5)
    fast = ellipsoidal_area(gdf)
    reference = np.array([_geodesic(p) for p in gdf.geometry])
    assert np.max(np.abs(fast / reference - 1)) < 1e-6
    # and the parcels are what they claim: 20-28 vertices, a few to a few dozen 亩
    vertices = shapely.get_num_coordinates(gdf.geometry.values) - 1
    assert vertices.min() >= 20 and vertices.max() <= 28
    assert 1 < np.median(fast) / (2000 / 3) < 30


def test_lines_and_points_are_refused_not_zero():
    with pytest.raises(GeometryError, match="LineString"):
        ellipsoidal_area([LineString([(120, 28), (121, 28)])], crs=4326)
    with pytest.raises(GeometryError, match="Point"):
        planar_area([Point(120, 28)], crs=4326)


def test_no_crs_is_refused():
    with pytest.raises(CRSError):
        ellipsoidal_area(gpd.GeoSeries([SHEET]))


def _squares(overlap: bool) -> gpd.GeoDataFrame:
    a = box(120.70, 28.00, 120.71, 28.01)
    b = box(120.705 if overlap else 120.71, 28.00, 120.715 if overlap else 120.72, 28.01)
    c = box(120.80, 28.00, 120.81, 28.01)
    return gpd.GeoDataFrame({"id": ["a", "b", "c"], "name": ["甲", "乙", "丙"], "kind": ["x", "x", "y"]},
                            geometry=[a, b, c], crs=4326)


def test_grouped_totals_dissolve_and_show_the_plain_sum():
    table = area_table(_squares(overlap=True), by="kind", unit="mu")
    x = table[table["kind"] == "x"].iloc[0]
    one = ellipsoidal_area([box(120.70, 28.00, 120.71, 28.01)], crs=4326)[0]
    assert x["features"] == 2
    assert x["area_m2"] == pytest.approx(1.5 * one, rel=1e-3)
    assert x["sum_m2"] == pytest.approx(2 * one, rel=1e-3)
    assert x["overlap_m2"] == pytest.approx(0.5 * one, rel=1e-3)
    total = table.iloc[-1]
    assert bool(total["total"]) and total["kind"] == "合计"
    assert total["area_m2"] == pytest.approx(2.5 * one, rel=1e-3)


def test_rounded_parts_add_up_to_the_rounded_total():
    rng = np.random.default_rng(11)
    polys = [box(120.7 + 0.01 * i, 28.0, 120.7 + 0.01 * i + side, 28.0 + side)
             for i, side in enumerate(0.0003 + rng.random(60) * 0.002)]
    gdf = gpd.GeoDataFrame({"id": [f"p{i}" for i in range(60)]}, geometry=polys, crs=4326)
    table = area_table(gdf, unit="mu")
    parts, total = table["area_mu"].iloc[:-1], table["area_mu"].iloc[-1]
    assert round(float(parts.sum()), 2) == total
    assert total == round_half_up(float(ellipsoidal_area(gdf).sum()) / (2000 / 3), 2)
    # Rounded one by one, these parts would not have added up: the balancing did the work.
    naive = sum(round_half_up(a / (2000 / 3), 2) for a in ellipsoidal_area(gdf))
    assert round(naive, 2) != total


def test_reconcile_flags_beyond_tolerance():
    gdf = _squares(overlap=False)
    one_mu = ellipsoidal_area(gdf.iloc[[0]])[0] / (2000 / 3)
    gdf["documented_area"] = [one_mu, one_mu * 1.2, None]
    gdf["documented_area_unit"] = ["亩", "亩", None]
    table = reconcile(gdf, tolerance=0.05)
    assert list(table["flag"]) == ["符合", "超出容差", "无文件面积"]
    assert table["diff_pct"].iloc[1] == pytest.approx(100 * (1 / 1.2 - 1), abs=0.01)


@pytest.mark.parametrize("south, height", [(28.0, 0.04), (28.0, 0.9), (27.0, 3.0), (-60.0, 0.5), (84.5, 0.4),
                                            (0.0, 12.0)])
def test_series_and_closed_form_give_a_sheets_zone_area(south, height):
    # A box bounded by meridians and parallels is a zone of the ellipsoid: a² Δλ (q(φ₂) − q(φ₁)) / 2,
    # whether its rings go through the series of q (within 1° of latitude, up to ±80°) or the closed form.
    from gis.area import CGCS2000_A, authalic_q

    west, width = 120.5, 0.0625
    expected = CGCS2000_A**2 * np.radians(width) * (authalic_q(np.radians(south + height))
                                                    - authalic_q(np.radians(south))) / 2
    ring = box(west, south, west + width, south + height)
    holed = ring.difference(box(west + 0.01, south + height / 4, west + 0.02, south + height / 2))
    hole = CGCS2000_A**2 * np.radians(0.01) * (authalic_q(np.radians(south + height / 2))
                                               - authalic_q(np.radians(south + height / 4))) / 2
    got = ellipsoidal_area([ring, holed], crs="EPSG:4490")
    assert got[0] == pytest.approx(expected, rel=1e-9)
    assert got[1] == pytest.approx(expected - hole, rel=1e-9)

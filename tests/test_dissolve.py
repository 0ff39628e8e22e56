"""Dissolving only what overlaps (gis.dissolve): the same totals as the union of everything."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import shapely
from shapely.geometry import box

from gis.area import ellipsoidal_area
from gis.dissolve import clusters, dissolved_areas, overlapping_pairs
from gis.measure import area_table
from gis.synthetic import parcels


def _union_all_area(geoms) -> float:
    """The former way: measure the union of everything."""
    return float(ellipsoidal_area([shapely.union_all(np.asarray(geoms, dtype=object))], crs="EPSG:4326")[0])


def _measure(geoms):
    return ellipsoidal_area(geoms, crs="EPSG:4326")


def _mixed() -> gpd.GeoDataFrame:
    """Touching neighbours (a coverage), a nested park, two crossing squares, a chain of three, a lone one."""
    d = 0.01
    geoms = [box(120.60 + k * d, 27.80, 120.60 + (k + 1) * d, 27.81) for k in range(4)]  # share edges only
    geoms += [box(120.60, 27.80, 120.605, 27.805)]  # nested in the first
    geoms += [box(120.70, 27.90, 120.72, 27.92), box(120.71, 27.91, 120.73, 27.93)]  # crossing
    geoms += [box(120.80, 27.90, 120.82, 27.92), box(120.81, 27.90, 120.83, 27.92), box(120.82, 27.90, 120.84, 27.92)]
    geoms += [box(120.90, 28.0, 120.91, 28.01)]  # alone
    geoms += [box(120.91, 28.0, 120.92, 28.01)]  # touches the lone one at an edge
    geoms += [box(120.92, 28.01, 120.93, 28.02)]  # touches it at a corner only
    classes = ["a", "a", "b", "b", "a", "c", "c", "a", "b", "a", "c", "c", "c"]
    return gpd.GeoDataFrame({"id": [f"f{i}" for i in range(len(geoms))], "land_use": classes}, geometry=geoms,
                            crs="EPSG:4326")


def test_touching_polygons_are_not_overlapping():
    gdf = _mixed()
    left, right = overlapping_pairs(gdf.geometry.to_numpy())
    pairs = set(zip(left.tolist(), right.tolist(), strict=True))
    assert pairs == {(0, 4), (5, 6), (7, 8), (8, 9)}  # nested, crossing, the chain; no edge or corner neighbour
    assert clusters(len(gdf), left, right).tolist() == [0, 1, 2, 3, 0, 5, 5, 7, 7, 7, 10, 11, 12]


def test_dissolved_total_equals_union_of_everything():
    gdf = _mixed()
    geoms = gdf.geometry.to_numpy()
    areas = _measure(geoms)
    assert dissolved_areas(geoms, areas, _measure)[0] == pytest.approx(_union_all_area(geoms), rel=1e-9)
    assert dissolved_areas(geoms, areas, _measure)[0] < areas.sum()


def test_grouped_dissolve_equals_union_per_group():
    gdf = _mixed()
    table = area_table(gdf, by="land_use", unit="m2")
    for cls, group in gdf.groupby("land_use"):
        row = table[table["land_use"] == cls].iloc[0]
        assert row["area_m2"] == pytest.approx(round(_union_all_area(group.geometry), 2), abs=0.011)
        assert row["sum_m2"] == pytest.approx(round(float(_measure(group.geometry).sum()), 2), abs=0.011)
    total = table.iloc[-1]
    assert total["total"] and total["area_m2"] == pytest.approx(round(_union_all_area(gdf.geometry), 2), abs=0.011)
    assert table.attrs["disjoint"] is False


def test_a_coverage_is_disjoint_and_sums_exactly():
    gdf = parcels(2000, seed=3, topology=True)  # neighbours share every vertex: edges touch, interiors do not
    geoms = gdf.geometry.to_numpy()
    assert len(overlapping_pairs(geoms)[0]) == 0
    areas = _measure(geoms)
    assert dissolved_areas(geoms, areas, _measure)[0] == pytest.approx(areas.sum(), rel=1e-14)
    assert dissolved_areas(geoms, areas, _measure)[0] == pytest.approx(_union_all_area(geoms), rel=1e-9)
    table = area_table(gdf, by="land_use", unit="mu")
    assert table.attrs["disjoint"] is True
    parts = table[~table["total"].astype(bool)]
    assert round(parts["area_mu"].sum(), 2) == table.iloc[-1]["area_mu"]  # 强制调平 still holds


def test_overlapping_parcels_match_union_all():
    base = parcels(1500, seed=4)
    rng = np.random.default_rng(5)
    shifted = base.sample(200, random_state=6).copy()
    shifted["geometry"] = shifted.geometry.translate(xoff=rng.uniform(-3e-4, 3e-4), yoff=rng.uniform(-3e-4, 3e-4))
    gdf = pd.concat([base, shifted], ignore_index=True)
    gdf = gpd.GeoDataFrame(gdf, geometry="geometry", crs="EPSG:4326")
    geoms = gdf.geometry.to_numpy()
    areas = _measure(geoms)
    groups = pd.factorize(gdf["land_use"], sort=True)[0]
    mine = dissolved_areas(geoms, areas, _measure, groups=groups, n_groups=groups.max() + 1)
    for code in range(groups.max() + 1):
        assert mine[code] == pytest.approx(_union_all_area(geoms[groups == code]), rel=1e-9)
    assert dissolved_areas(geoms, areas, _measure)[0] == pytest.approx(_union_all_area(geoms), rel=1e-9)


def test_pairs_between_two_sets():
    a = np.array([box(0, 0, 1, 1), box(2, 0, 3, 1)], dtype=object)
    b = np.array([box(1, 0, 2, 1), box(0.5, 0.5, 2.5, 0.7)], dtype=object)  # an edge neighbour, a crossing strip
    left, right = overlapping_pairs(a, b)
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == [(0, 1), (1, 1)]

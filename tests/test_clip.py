"""Clipping by a convex polygon (gis.clip): the same areas as GEOS's intersection, or NaN for GEOS to do."""

from __future__ import annotations

import numpy as np
import pytest

import shapely
from shapely import affinity
from shapely.geometry import Polygon, box

from gis.clip import clipped_areas
from gis.geometry import polygon_area


def _pairs(rng, n: int):
    """Rotated rectangles (convex) against parcels: convex, concave (L, comb), with holes, two parts, far away,
    around the site."""
    a, b = [], []
    for k in range(n):
        x, y = 120.6 + rng.uniform(0, 0.05), 27.8 + rng.uniform(0, 0.05)
        w = rng.uniform(0.001, 0.006)
        site = affinity.rotate(box(x, y, x + w, y + 0.7 * w), rng.uniform(0, 90))
        u, v = x + rng.uniform(-w, w), y + rng.uniform(-w, w)
        s = rng.uniform(0.0005, 0.004)
        kind = k % 7
        if kind == 0:
            other = affinity.rotate(box(u, v, u + s, v + s), rng.uniform(0, 90))
        elif kind == 1:  # concave: an L
            other = Polygon([(u, v), (u + s, v), (u + s, v + s / 3), (u + s / 3, v + s / 3), (u + s / 3, v + s),
                             (u, v + s)])
        elif kind == 2:  # concave: a comb, whose teeth cross the site's edge several times
            teeth = [(u + t * s / 8, v + (s if t % 2 else s / 4)) for t in range(9)]
            other = Polygon([(u, v), *teeth, (u + s, v)])
        elif kind == 3:  # a hole
            other = box(u, v, u + s, v + s).difference(box(u + s / 4, v + s / 4, u + s / 2, v + s / 2))
        elif kind == 4:  # two parts
            other = shapely.union(box(u, v, u + s / 3, v + s / 3), box(u + s, v + s, u + 1.3 * s, v + 1.3 * s))
        elif kind == 5:  # far away
            other = box(u + 1, v + 1, u + 1 + s, v + 1 + s)
        else:  # the site inside the other
            other = box(x - 0.01, y - 0.01, x + 0.02, y + 0.02)
        if k % 2:  # either order: the convex one clips
            a.append(site)
            b.append(other)
        else:
            a.append(other)
            b.append(site)
    return np.array(a, dtype=object), np.array(b, dtype=object)


def test_clipped_areas_match_geos():
    a, b = _pairs(np.random.default_rng(4), 700)
    mine = clipped_areas(a, b)
    geos = polygon_area(shapely.intersection(a, b))
    done = ~np.isnan(mine)
    kinds = np.arange(len(a)) % 7
    assert done[np.isin(kinds, (0, 5, 6))].all()  # both convex: clipped
    assert not done[np.isin(kinds, (1, 2, 3, 4))].any()  # concave, holes, two parts: left to GEOS
    assert mine[done] == pytest.approx(geos[done], rel=1e-9, abs=1e-6)
    assert (mine[kinds == 5] == 0).all()


def test_concave_and_not_polygons_are_left_to_geos():
    ell = Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
    a = np.array([ell, shapely.Point(0, 0), None, box(0, 0, 1, 1)], dtype=object)
    b = np.array([affinity.translate(ell, 0.5, 0.5), box(0, 0, 1, 1), box(0, 0, 1, 1), shapely.from_wkt(
        "POLYGON EMPTY")], dtype=object)
    assert np.isnan(clipped_areas(a, b)).all()
    assert clipped_areas(np.array([], dtype=object), np.array([], dtype=object)).shape == (0,)


def test_touching_and_shared_edges_give_zero_or_the_whole():
    site = box(120.0, 28.0, 120.01, 28.01)
    a = np.array([site, site, site], dtype=object)
    b = np.array([box(120.01, 28.0, 120.02, 28.01), site, box(120.0, 28.0, 120.005, 28.01)], dtype=object)
    mine = clipped_areas(a, b)
    assert mine[0] == pytest.approx(0.0, abs=1e-6)
    assert mine[1] == pytest.approx(float(polygon_area([site])[0]), rel=1e-12)
    assert mine[2] == pytest.approx(float(polygon_area([b[2]])[0]), rel=1e-12)


def test_float_noise_on_an_edge_is_no_concavity():
    """A parcel whose edges carry vertices placed on them (float noise either side) is clipped, as GEOS cuts it."""
    from gis.synthetic import parcels

    gdf = parcels(400, seed=2, topology=True)  # every edge split into 6 points, computed once
    geoms = gdf.geometry.to_numpy()
    x0, y0, x1, y1 = gdf.total_bounds
    site = affinity.rotate(box(x0 + (x1 - x0) / 4, y0 + (y1 - y0) / 4, x0 + (x1 - x0) * 0.6, y0 + (y1 - y0) * 0.7), 20)
    sites = np.array([site] * len(geoms), dtype=object)
    mine = clipped_areas(sites, geoms)
    assert not np.isnan(mine).any()
    assert mine == pytest.approx(polygon_area(shapely.intersection(sites, geoms)), rel=1e-9, abs=1e-3)


def test_pairs_clipped_in_halves_on_two_threads_give_the_same_areas(monkeypatch):
    import gis.clip
    import gis.geometry

    a, b = _pairs(np.random.default_rng(9), 300)
    whole = clipped_areas(a, b)
    monkeypatch.setattr(gis.clip, "PARALLEL_ABOVE", 10)
    monkeypatch.setattr(gis.geometry, "THREADS", 2)
    halves = clipped_areas(a, b)
    assert np.array_equal(np.isnan(whole), np.isnan(halves))
    assert np.array_equal(whole[~np.isnan(whole)], halves[~np.isnan(halves)])


def test_pairs_by_index_read_each_ring_once_and_match_the_pairs_as_arrays():
    from gis.clip import clipped_pair_areas

    a, b = _pairs(np.random.default_rng(5), 140)
    ia = np.random.default_rng(6).integers(0, len(a), 500)
    ib = np.random.default_rng(7).integers(0, len(b), 500)
    by_index = clipped_pair_areas(a, ia, b, ib)
    as_arrays = clipped_areas(a[ia], b[ib])
    assert np.array_equal(np.isnan(by_index), np.isnan(as_arrays))
    assert by_index[~np.isnan(by_index)] == pytest.approx(as_arrays[~np.isnan(as_arrays)], rel=1e-12, abs=1e-9)

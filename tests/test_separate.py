"""Separating lines (gis.separate): never call a pair separated that GEOS finds overlapping by more than noise."""

from __future__ import annotations

import numpy as np
import pytest

import shapely
from shapely import affinity
from shapely.geometry import Polygon, box

import gis.dissolve
from gis.dissolve import interiors_meet, overlapping_pairs
from gis.separate import Outlines, separated, tolerance_for
from gis.synthetic import parcels


@pytest.fixture(autouse=True)
def _always_separate(monkeypatch):
    """Try separating lines on any number of pairs (by default only from 2,000 on: GEOS is quicker below)."""
    monkeypatch.setattr(gis.dissolve, "SEPARATE_ABOVE", 0)


def _geos(geoms, i, j):
    return shapely.intersects(geoms[i], geoms[j]) & ~shapely.touches(geoms[i], geoms[j])


def _shapes(rng, n: int, x0: float, y0: float, size: float) -> np.ndarray:
    """Rotated rectangles, triangles, L-shapes (concave), squares with holes, two-part polygons, duplicates."""
    out = []
    for k in range(n):
        x, y = x0 + rng.uniform(0, 30 * size), y0 + rng.uniform(0, 30 * size)
        w = rng.uniform(0.2, 2.0) * size
        kind = k % 6
        if kind == 0:
            g = affinity.rotate(box(x, y, x + w, y + 0.6 * w), rng.uniform(0, 90))
        elif kind == 1:
            g = Polygon([(x, y), (x + w, y), (x + rng.uniform(0, w), y + w)])
        elif kind == 2:
            g = Polygon([(x, y), (x + w, y), (x + w, y + w / 3), (x + w / 3, y + w / 3), (x + w / 3, y + w), (x, y + w)])
        elif kind == 3:
            g = box(x, y, x + w, y + w).difference(box(x + w / 4, y + w / 4, x + 3 * w / 4, y + 3 * w / 4))
        elif kind == 4:
            g = shapely.union(box(x, y, x + w / 3, y + w / 3), box(x + w, y + w, x + 1.2 * w, y + 1.2 * w))
        else:
            g = out[-5] if out else box(x, y, x + w, y + w)  # an exact duplicate of an earlier shape
        out.append(g)
    return np.array(out, dtype=object)


@pytest.mark.parametrize("origin", [(120.6, 27.8, 0.001), (40_500_000.0, 3_080_000.0, 100.0), (0.0, 0.0, 1.0)])
def test_separated_pairs_never_overlap(origin):
    geoms = _shapes(np.random.default_rng(1), 1200, *origin)
    i, j = shapely.STRtree(geoms).query(geoms)
    keep = i < j
    i, j = i[keep], j[keep]
    outlines = Outlines(geoms, tolerance_for(geoms))
    split = separated(outlines, i, outlines, j)
    truth = _geos(geoms, i, j)
    assert split.sum() > len(i) // 20  # the test does settle pairs (a third of these shapes are convex) …
    assert not (split & truth).any()  # … and never one that overlaps
    assert (interiors_meet(geoms, i, geoms, j) == truth).all()


def test_outlines_only_for_convex_single_polygons():
    geoms = np.array([box(0, 0, 1, 1),
                      Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)]),  # concave
                      box(0, 0, 3, 3).difference(box(1, 1, 2, 2)),  # a hole
                      shapely.union(box(0, 0, 1, 1), box(2, 2, 3, 3)),  # two parts
                      Polygon([(0, 0), (0.5, 1e-15), (1, 0), (1, 1), (0, 1)]),  # a noise vertex: still a square
                      None], dtype=object)
    assert Outlines(geoms, 1e-12).count.tolist() == [4, 0, 0, 0, 4, 0]


def test_a_vertex_bent_inwards_by_more_than_noise_is_no_corner_lost():
    """A vertex 1 µm° inside an edge (far above the tolerance) makes the polygon concave: GEOS decides."""
    dent = Polygon([(0, 0), (0.5, 1e-6), (1, 0), (1, 1), (0, 1)])
    below = box(0, -1, 1, 1e-7)  # overlaps the square's bottom strip, 1e-7 high, but for the dent
    geoms = np.array([dent, below], dtype=object)
    outlines = Outlines(geoms, 1e-12)
    assert outlines.count[0] == 0
    assert interiors_meet(geoms, np.array([0]), geoms, np.array([1])).tolist() == _geos(geoms, [0], [1]).tolist()


def test_t_junction_noise_is_not_an_overlap_but_a_real_overlap_is():
    """Parcels whose vertices sit on their neighbours' edges (float noise): no pairs; a copy moved 1 m: found."""
    gdf = parcels(3000, seed=9)  # edges split into 5, 6 or 7 vertices, so neighbours' vertices fall on edges
    geoms = gdf.geometry.to_numpy()
    i, j = shapely.STRtree(geoms).query(geoms)
    keep = i < j
    noisy = _geos(geoms, i[keep], j[keep]).sum()
    assert noisy > 0  # GEOS sees the float noise of the T-junctions as overlaps …
    slivers = shapely.area(shapely.intersection(geoms[i[keep]], geoms[j[keep]]))
    assert slivers.max() < 1e-15  # … of at most 1e-15 square degrees (1e-5 m²)
    found_i, _ = overlapping_pairs(geoms)
    assert len(found_i) < noisy // 10  # almost all settled as shared edges (the rest are concave parcels)
    moved = affinity.translate(geoms[100], 1e-5, 0)  # 1 m east: a real overlap with its neighbours
    both = np.concatenate([geoms, [moved]])
    a, b = overlapping_pairs(both)
    partners = set(a[b == len(geoms)].tolist()) | set(b[a == len(geoms)].tolist())
    assert 100 in partners and len(partners) >= 3


def test_outlines_of_empty_and_few_polygons():
    empty = shapely.from_wkt("POLYGON EMPTY")
    geoms = np.array([box(0, 0, 1, 1), empty, None, box(1, 0, 2, 1), empty], dtype=object)
    outlines = Outlines(geoms, 1e-12)
    assert outlines.count.tolist() == [4, 0, 0, 4, 0]
    assert separated(outlines, np.array([0, 0, 1]), outlines, np.array([3, 1, 4])).tolist() == [True, False, False]
    assert Outlines(np.array([], dtype=object), 1e-12).count.tolist() == []


def test_few_pairs_go_to_geos_alone(monkeypatch):
    """Below SEPARATE_ABOVE the answer is GEOS's, and the same where no float noise is involved."""
    geoms = _shapes(np.random.default_rng(2), 600, 120.6, 27.8, 0.001)
    i, j = shapely.STRtree(geoms).query(geoms)
    keep = i < j
    i, j = i[keep], j[keep]
    separated_first = interiors_meet(geoms, i, geoms, j)
    monkeypatch.setattr(gis.dissolve, "SEPARATE_ABOVE", len(i) + 1)
    assert (interiors_meet(geoms, i, geoms, j) == separated_first).all()
    assert (separated_first == _geos(geoms, i, j)).all()

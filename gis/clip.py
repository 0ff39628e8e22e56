"""Clipping by a convex polygon: the area of the intersection of two polygons without GEOS, when one is convex.

A review measures, for every site, the parts of the control layers' features it
cuts — tens of thousands of intersections, GEOS's ``intersection`` at some
45 µs each, most of a review's time. When both polygons are convex (a site
drawn as a rectangle, most parcels of a survey), the intersection is the one
clipped by the other's edges in turn (Sutherland–Hodgman), a compiled loop
(:func:`gis.loops.clip_pairs`) of a few hundred operations; its ring — the same convex polygon GEOS
returns — is measured by the same ellipsoidal kernel as every other area
(:func:`gis.area._ring_areas`).

:func:`clipped_areas` returns the area of each pair it can clip and NaN for the
others (holes, several parts, a concave ring): the caller measures those with
GEOS. (Sutherland–Hodgman would clip a concave polygon too, but into one ring
joined by zero-width bridges along the clip's edge, whose extra chords move the
ellipsoidal area — whose edges are chords between vertices — by ~10⁻⁶; GEOS
cuts it into parts.) A ring counts as convex if no turn goes the other way,
vertices within :data:`COLLINEAR` of the line through their neighbours being
no turns (the float noise of points placed along an edge); the one that clips is
convex exactly (so no sliver is cut off), the other to within that tolerance.
"""

from __future__ import annotations

import numpy as np

from gis.kernels import exterior_rings, simple_polygons
from gis.loops import clip_pairs

#: A vertex nearer than this share of the coordinates' magnitude to the line through its neighbours is no turn
#: (1.2·10⁻¹¹° ≈ 1.3 µm in degrees): the float noise of points placed on an edge does not make a ring concave.
#: Clipping by such a ring cuts slivers at most that wide off the result: < 0.001 m² for a site of 1 km.
COLLINEAR: float = 1e-13
#: Pairs from which the clipping loop runs in halves on two threads.
PARALLEL_ABOVE: int = 40_000


def clipped_areas(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the ellipsoidal area (m², CGCS2000) of ``a[k] ∩ b[k]`` where both are convex, else NaN.

    Parameters
    ----------
    a, b : numpy.ndarray of shapely geometries
        Pairs of polygons in longitude and latitude (EPSG:4326 / CGCS2000).

    Returns
    -------
    numpy.ndarray
        One area per pair; NaN where either is not one convex polygon without holes (the pair is for GEOS).

    Examples
    --------
    >>> import shapely
    >>> from shapely import box
    >>> a = np.array([box(120.0, 28.0, 120.01, 28.01), box(120.0, 28.0, 120.01, 28.01)], dtype=object)
    >>> ell = shapely.Polygon([(120, 28), (120.02, 28), (120.02, 28.005), (120.005, 28.005), (120.005, 28.02),
    ...                        (120, 28.02)])  # concave: for GEOS
    >>> area = clipped_areas(a, np.array([box(120.005, 28.0, 120.02, 28.01), ell], dtype=object))
    >>> round(float(area[0]) / 1e4, 2), bool(np.isnan(area[1]))
    (54.5, True)
    """
    a = np.asarray(a, dtype=object)
    b = np.asarray(b, dtype=object)
    every = np.arange(len(a))
    return clipped_pair_areas(a, every, b, every)


def clipped_pair_areas(a: np.ndarray, ia: np.ndarray, b: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """Return :func:`clipped_areas` of the pairs ``(a[ia[k]], b[ib[k]])``: each polygon's ring is read once.

    Parameters
    ----------
    a, b : numpy.ndarray of shapely geometries
        Polygons in longitude and latitude (EPSG:4326 / CGCS2000): the sites, a layer's features.
    ia, ib : numpy.ndarray of int
        The pairs, as indices into ``a`` and ``b``.

    Examples
    --------
    >>> from shapely import box
    >>> a = np.array([box(120.0, 28.0, 120.01, 28.01)], dtype=object)
    >>> b = np.array([box(120.005, 28.0, 120.02, 28.01), box(121.0, 28.0, 121.01, 28.01)], dtype=object)
    >>> [round(float(x) / 1e4, 2) for x in clipped_pair_areas(a, np.array([0, 0]), b, np.array([0, 1]))]
    [54.5, 0.0]
    """
    from gis.area import _ring_areas

    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    ia, ib = np.asarray(ia, dtype=np.int64), np.asarray(ib, dtype=np.int64)
    out = np.full(len(ia), np.nan)
    if not len(ia):
        return out
    simple_a, simple_b = simple_polygons(a), simple_polygons(b)
    both = np.flatnonzero(simple_a[ia] & simple_b[ib])
    if not len(both):
        return out
    ring_a = np.cumsum(simple_a) - 1  # each simple polygon's ring
    ring_b = np.cumsum(simple_b) - 1
    xa, oa = exterior_rings(a[simple_a])
    xb, ob = exterior_rings(b[simple_b])
    ka, kb = ring_a[ia[both]], ring_b[ib[both]]
    tolerance = COLLINEAR * max(float(np.abs(xa).max(initial=1.0)), float(np.abs(xb).max(initial=1.0)))
    capacity = 2 * ((oa[ka + 1] - oa[ka]) + (ob[kb + 1] - ob[kb])) + 8
    starts = np.r_[0, np.cumsum(capacity)].astype(np.int64)
    buffer = np.empty((int(starts[-1]), 2))
    sizes = np.zeros(len(both), dtype=np.int64)
    from gis.geometry import THREADS

    if len(both) >= PARALLEL_ABOVE and THREADS > 1:  # the loop releases the GIL: halves on two threads
        from concurrent.futures import ThreadPoolExecutor

        cuts = np.linspace(0, len(both), THREADS + 1).astype(np.int64)

        def clip(lo: int, hi: int) -> None:  # the pairs lo … hi - 1, into their own room of the buffer
            clip_pairs(xa, oa, ka[lo:hi], xb, ob, kb[lo:hi], tolerance, buffer, starts[lo:hi + 1], sizes[lo:hi])

        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            list(pool.map(clip, cuts[:-1], cuts[1:]))
    else:
        clip_pairs(xa, oa, ka, xb, ob, kb, tolerance, buffer, starts, sizes)
    done = sizes >= 0  # -1: neither convex
    ring = done & (sizes >= 3)
    out[both[done & ~ring]] = 0.0  # clipped away, or to a line
    if ring.any():
        keep = np.flatnonzero(ring)
        lengths = sizes[keep] + 1  # closed rings
        offsets = np.r_[0, np.cumsum(lengths)].astype(np.int64)
        take = np.repeat(starts[keep] - offsets[:-1], lengths) + np.arange(offsets[-1])
        out[both[keep]] = _ring_areas(buffer[take], offsets)
    return out

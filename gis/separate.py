"""Separating lines: proving cheaply that two polygons' interiors do not meet.

Finding what overlaps in a layer of parcels (:mod:`gis.dissolve`) tests every
pair whose bounding boxes meet — about four per parcel in a coverage, four
million at 10⁶ parcels. GEOS answers each exactly (``intersects`` and not
``touches``), at some 20 µs a pair. Most parcels are convex, and two convex
shapes whose interiors do not meet are separated by a line through one of
their edges (the separating axis theorem), which a compiled loop
(:mod:`gis.loops`) checks for millions of pairs in a second. :func:`separated` does that; the
pairs it cannot separate go to GEOS, so the answer stays exact except for one
tolerance:

* each polygon's exterior ring is reduced to its corners — vertices farther
  than ``tolerance`` from the line through their neighbours — and kept only if
  every vertex lies within ``tolerance`` of that outline and the outline is
  convex (concave, multi-part or many-cornered polygons are left to GEOS);
* a pair is separated when all corners of one lie outside an edge line of the
  other, or within ``tolerance`` of it.

So a pair called separated may still share a sliver at most
``3 × tolerance`` wide along the separating line: the float noise of a vertex
of one parcel placed on its neighbour's edge (a T-junction), which GEOS sees
as an overlap of 10⁻⁸ m² and the survey as a shared edge. :func:`tolerance_for`
sets it at 10⁻¹² of the coordinates' magnitude (1.2·10⁻¹⁰° ≈ 13 µm in
longitude and latitude; 40 µm for Gauss-Krüger metres with a zone number),
some ten thousand times the rounding of a coordinate and far below any
overlap a survey reports.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import shapely

from gis.kernels import exterior_rings, simple_polygons
from gis.loops import outline_rings, separated_pairs

#: Share of the coordinates' largest magnitude below which a distance is float noise.
RELATIVE_TOLERANCE: float = 1e-12
#: Outlines with more corners than this are left to GEOS.
MAX_CORNERS: int = 8
#: Threads (the compiled loops release the GIL; GEOS does too).
THREADS: int = min(2, os.cpu_count() or 1)
#: Items below which the work runs on one thread.
PARALLEL_ABOVE: int = 20_000
#: Items per slice of the work.
SLICE: int = 50_000


def tolerance_for(*geoms: np.ndarray) -> float:
    """Return the separation tolerance for these geometries: :data:`RELATIVE_TOLERANCE` of their largest coordinate.

    Examples
    --------
    >>> from shapely import box
    >>> round(tolerance_for(np.array([box(120, 27, 121, 28)])) * 1e12, 6)
    121.0
    """
    largest = 0.0
    for array in geoms:
        if len(array):
            bounds = shapely.bounds(array)
            finite = bounds[np.isfinite(bounds)]
            if len(finite):
                largest = max(largest, float(np.abs(finite).max()))
    return RELATIVE_TOLERANCE * max(largest, 1.0)


class Outlines:
    """The convex outlines of polygons, as arrays: corners, outward edge normals and edge offsets.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
        Polygons (``None``, empty polygons, polygons with holes and other geometries get no outline).
    tolerance : float
        Vertices within this distance of the line through their neighbours are not corners.

    Attributes
    ----------
    corners : numpy.ndarray
        ``(n, MAX_CORNERS, 2)`` corners, counter-clockwise.
    normals : numpy.ndarray
        ``(n, MAX_CORNERS, 2)`` outward unit normal of the edge from corner ``e`` to the next.
    offsets : numpy.ndarray
        ``(n, MAX_CORNERS)``: the polygon lies where ``normals · x <= offsets`` (to within ``tolerance``).
    count : numpy.ndarray
        Corners per polygon; 0 where the polygon has no convex outline (left to GEOS).
    """

    def __init__(self, geoms: np.ndarray, tolerance: float) -> None:
        geoms = np.asarray(geoms, dtype=object)
        n = len(geoms)
        self.corners = np.zeros((n, MAX_CORNERS, 2))
        self.normals = np.zeros((n, MAX_CORNERS, 2))
        self.offsets = np.zeros((n, MAX_CORNERS))
        self.count = np.zeros(n, dtype=np.int64)
        self.tolerance = float(tolerance)
        if not n:
            return

        def run(part: np.ndarray) -> None:
            lo, hi = int(part[0]), int(part[-1]) + 1
            some = geoms[lo:hi]
            chosen = np.flatnonzero(simple_polygons(some))
            coords, starts = exterior_rings(some[chosen])
            rows = lo + chosen
            corners = np.zeros((len(chosen), MAX_CORNERS, 2))
            normals = np.zeros((len(chosen), MAX_CORNERS, 2))
            offsets = np.zeros((len(chosen), MAX_CORNERS))
            count = np.zeros(len(chosen), dtype=np.int64)
            outline_rings(coords, starts, self.tolerance, corners, normals, offsets, count)
            self.corners[rows], self.normals[rows], self.offsets[rows], self.count[rows] = (
                corners, normals, offsets, count)

        _on_threads(run, n)


def separated(a: Outlines, i: np.ndarray, b: Outlines, j: np.ndarray) -> np.ndarray:
    """Return, per pair ``(a[i], b[j])``, whether a line through an edge of one separates it from the other.

    ``True`` means the interiors do not meet (but for a sliver at most three tolerances wide: see the module);
    ``False`` means not proven — the pair is for GEOS.

    Examples
    --------
    >>> from shapely import box
    >>> g = np.array([box(0, 0, 1, 1), box(1, 0, 2, 1), box(0.5, 0.5, 1.5, 0.7)], dtype=object)
    >>> o = Outlines(g, 1e-12)
    >>> separated(o, np.array([0, 0, 1]), o, np.array([1, 2, 2])).tolist()
    [True, False, False]
    """
    i = np.ascontiguousarray(i, dtype=np.int64)
    j = np.ascontiguousarray(j, dtype=np.int64)
    out = np.zeros(len(i), dtype=np.bool_)
    if not len(i):
        return out
    flags = out.view(np.uint8)  # the loop writes 0 or 1 into the booleans
    tolerance = max(a.tolerance, b.tolerance)

    def run(part: np.ndarray) -> None:
        lo, hi = int(part[0]), int(part[-1]) + 1
        separated_pairs(a.corners, a.normals, a.offsets, a.count, i[lo:hi], b.corners, b.normals, b.offsets,
                        b.count, j[lo:hi], tolerance, flags[lo:hi])

    _on_threads(run, len(i))
    return out


def _on_threads(run, n: int) -> None:
    """Call ``run`` on consecutive slices of ``range(n)`` of at most :data:`SLICE` items, :data:`THREADS` at once.

    Slices keep the arrays each call makes small: GEOS extracts the coordinates of 10⁶ polygons three
    times faster in slices than at once.
    """
    if n < PARALLEL_ABOVE or THREADS < 2:
        run(np.arange(n))
        return
    parts = np.array_split(np.arange(n), max(THREADS, -(-n // SLICE)))
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(run, parts))

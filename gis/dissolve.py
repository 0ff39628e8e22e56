"""Dissolving only what overlaps: the area of a union without building the union of everything.

A dissolved total (溶解后面积, overlaps counted once) equals the sum of the areas
of the features that overlap nothing, plus the area of the union of each cluster
of features that overlap one another. :func:`overlapping_pairs` finds the pairs
whose interiors meet — a bounding-box self-join (``shapely.STRtree.query``),
then :func:`interiors_meet` on the candidates: pairs of convex parcels that a
line separates are settled in numpy (:mod:`gis.separate`), the rest by the exact
GEOS test (``intersects`` and not ``touches``) — so that neighbours sharing an
edge, as the parcels of a coverage do, are *not* overlapping, nor are
neighbours whose shared edge carries the float noise of a vertex placed on it
(a sliver at most 40 µm wide); :func:`clusters` labels the
connected groups of such pairs; :func:`dissolved_areas` unions and measures only
those clusters, per group of a field if asked.

The pairs can come from anywhere — from one table in memory, or from batches of
a file read in turn and the pairs across batches found afterwards
(:mod:`gis.stream`) — the clusters and areas are the same.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import shapely

#: Candidate pairs from which separating lines (:mod:`gis.separate`, a compiled loop) are tried before GEOS:
#: below, GEOS (some 20 µs a pair on two threads) finishes before the outlines are made.
SEPARATE_ABOVE: int = 2_000


def overlapping_pairs(geoms: np.ndarray, other: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return the index pairs of polygons whose interiors intersect (sharing an edge or a corner is not enough).

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
        Polygons (any CRS: the test is topological).
    other : numpy.ndarray of shapely geometries, optional
        A second set: pairs ``(i, j)`` with ``geoms[i]`` overlapping ``other[j]``. Without it, the pairs
        within ``geoms``, each once (``i < j``).

    Returns
    -------
    tuple of numpy.ndarray
        The indices ``i`` (into ``geoms``) and ``j`` (into ``other``, or ``geoms``).

    Examples
    --------
    >>> from shapely import box
    >>> a, b = overlapping_pairs(np.array([box(0, 0, 2, 2), box(2, 0, 4, 2), box(1, 1, 3, 3)]))
    >>> list(zip(a.tolist(), b.tolist()))
    [(0, 2), (1, 2)]
    """
    geoms = np.asarray(geoms, dtype=object)
    target = geoms if other is None else np.asarray(other, dtype=object)
    if not len(geoms) or not len(target):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    i, j = box_pairs(geoms, target)  # i: into geoms (the query), j: into target (the tree); their boxes meet
    if other is None:
        keep = i < j
        i, j = i[keep], j[keep]
    meet = interiors_meet(geoms, i, target, j)
    i, j = i[meet], j[meet]
    order = np.lexsort((j, i))
    return i[order].astype(np.int64), j[order].astype(np.int64)


def box_pairs(geoms: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the pairs ``(i, j)`` whose bounding boxes meet (an STRtree of ``target``, queried on two threads).

    Examples
    --------
    >>> from shapely import box
    >>> i, j = box_pairs(np.array([box(0, 0, 1, 1)]), np.array([box(1, 1, 2, 2), box(3, 3, 4, 4)]))
    >>> i.tolist(), j.tolist()
    ([0], [0])
    """
    from concurrent.futures import ThreadPoolExecutor

    from gis.geometry import PARALLEL_ABOVE, THREADS

    tree = shapely.STRtree(target)
    if len(geoms) < PARALLEL_ABOVE or THREADS < 2:
        i, j = tree.query(geoms)
        return i.astype(np.int64), j.astype(np.int64)
    cuts = np.array_split(np.arange(len(geoms)), THREADS)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:  # GEOS releases the GIL while it queries
        parts = list(pool.map(lambda cut: tree.query(geoms[cut]), cuts))
    i = np.concatenate([cut[part[0]] for cut, part in zip(cuts, parts, strict=True)])
    j = np.concatenate([part[1] for part in parts])
    return i.astype(np.int64), j.astype(np.int64)


def interiors_meet(geoms: np.ndarray, i: np.ndarray, other: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Return, per pair ``(geoms[i], other[j])``, whether the two polygons' interiors intersect.

    Of :data:`SEPARATE_ABOVE` pairs or more, those that a line separates (:mod:`gis.separate`: convex
    outlines, a compiled loop) are answered at once; the rest by GEOS (``intersects`` and not ``touches``),
    on two threads.

    Parameters
    ----------
    geoms, other : numpy.ndarray of shapely geometries
        The polygons (entries not named by ``i`` / ``j`` may be ``None``).
    i, j : numpy.ndarray of int
        The pairs.
    """
    from gis.geometry import parallel
    from gis.separate import Outlines, separated, tolerance_for

    if not len(i):
        return np.zeros(0, dtype=bool)
    if len(i) < SEPARATE_ABOVE:  # GEOS is quicker for few pairs
        a, b = geoms[i], other[j]
        return parallel(shapely.intersects, a, b) & ~parallel(shapely.touches, a, b)
    if other is geoms:  # pairs within one set: one outline per polygon (of a layer, nearly all are in pairs)
        left = right = Outlines(geoms, tolerance_for(geoms))
        ri, rj = i, j
    else:
        ui, ri = np.unique(i, return_inverse=True)
        uj, rj = np.unique(j, return_inverse=True)
        tolerance = tolerance_for(geoms[ui], other[uj])
        left, right = Outlines(geoms[ui], tolerance), Outlines(other[uj], tolerance)
    meet = ~separated(left, ri, right, rj)
    rest = np.flatnonzero(meet)
    if len(rest):
        a, b = geoms[i[rest]], other[j[rest]]
        meet[rest] = parallel(shapely.intersects, a, b) & ~parallel(shapely.touches, a, b)
    return meet


def clusters(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Return a cluster label per item: the smallest index of the connected group of pairs it belongs to.

    Items in no pair are their own cluster (label = own index).

    Examples
    --------
    >>> clusters(5, np.array([0, 3]), np.array([2, 2])).tolist()
    [0, 1, 0, 0, 4]
    """
    labels = np.arange(n, dtype=np.int64)
    if not len(left):
        return labels
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    while True:  # label propagation with pointer jumping: a few rounds for the clusters of real layers
        low = np.minimum(labels[left], labels[right])
        before = labels.copy()
        np.minimum.at(labels, left, low)
        np.minimum.at(labels, right, low)
        labels = labels[labels]
        if np.array_equal(labels, before):
            return labels


def dissolved_areas(
    geoms: np.ndarray,
    areas: np.ndarray,
    measure: Callable[[np.ndarray], np.ndarray],
    *,
    pairs: tuple[np.ndarray, np.ndarray] | None = None,
    groups: np.ndarray | None = None,
    n_groups: int = 1,
) -> np.ndarray:
    """Return the dissolved area of each group: overlaps counted once, only overlapping features unioned.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
        The polygons. Only those in an overlapping pair are read (the others may be ``None``).
    areas : numpy.ndarray
        The area of each polygon, measured as ``measure`` measures.
    measure : callable
        Measures an array of polygons (the same method as ``areas``), e.g. ``gis.area.measure_area``.
    pairs : tuple of numpy.ndarray, optional
        The overlapping pairs (:func:`overlapping_pairs`); found from ``geoms`` if not given.
    groups : numpy.ndarray of int, optional
        A group code (0 … ``n_groups - 1``) per polygon; polygons of different groups are never
        dissolved together. Default: one group.
    n_groups : int
        The number of groups.

    Returns
    -------
    numpy.ndarray
        One dissolved area per group.

    Examples
    --------
    >>> from shapely import box
    >>> squares = np.array([box(0, 0, 2, 2), box(1, 1, 3, 3), box(5, 5, 6, 6)])
    >>> dissolved_areas(squares, shapely.area(squares), shapely.area).tolist()
    [8.0]
    """
    n = len(areas)
    groups = np.zeros(n, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    left, right = overlapping_pairs(geoms) if pairs is None else pairs
    same = groups[left] == groups[right]
    left, right = left[same], right[same]
    if not len(left):
        return np.bincount(groups, weights=areas, minlength=n_groups).astype(float)
    labels = clusters(n, left, right)
    clustered = np.bincount(labels, minlength=n)[labels] > 1  # features of clusters of two or more
    out = np.bincount(groups, weights=np.where(clustered, 0.0, areas), minlength=n_groups).astype(float)
    members = np.flatnonzero(clustered)
    order = members[np.argsort(labels[members], kind="stable")]
    starts = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1]])
    from gis.progress import bar

    unions = np.empty(len(starts), dtype=object)
    with bar(len(order), "dissolving") as progress:
        for k, part in enumerate(np.split(order, starts[1:])):
            unions[k] = shapely.union_all(geoms[part])
            progress.update(len(part))
    np.add.at(out, groups[order[starts]], measure(unions))
    return out

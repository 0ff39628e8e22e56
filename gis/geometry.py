"""The size of a geometry and how much of it lies inside another: one measure for every caller.

* :func:`polygon_area` — ellipsoidal area (CGCS2000, :func:`gis.area.ellipsoidal_area`)
  of the polygonal parts of each geometry;
* :func:`line_length` — geodesic length on CGCS2000 of the linear parts;
* :func:`size` — area for polygons, length for lines, 0 for points;
* :func:`share_inside` — the share of each geometry inside a container: of its
  area for polygons, of its length for lines, and for points the share of its
  points that lie in the container or within :data:`EDGE_TOLERANCE` of it.

The overlay, the plans' rules, ``gis check`` (a child inside its parent) and
the review all measure through these, with one tolerance: a geometry counts as
wholly inside when :data:`INSIDE_SHARE` of it is, and a point on or within
:data:`EDGE_TOLERANCE` of a boundary is inside. Geometries are longitude and
latitude (EPSG:4326 / CGCS2000).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

import shapely
from pyproj import Geod

from gis import settings
from gis.area import CGCS2000_A, CGCS2000_F, lonlat_polygon_area

POLYGON_TYPES = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
LINE_TYPES = (shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING)
POINT_TYPES = (shapely.GeometryType.POINT, shapely.GeometryType.MULTIPOINT)

#: Distance (degrees) within which a point counts as on a boundary: the coordinate
#: precision of the layers (6 decimals ≈ 0.1 m), which moves shared edges by that much.
EDGE_TOLERANCE: float = 10.0 ** -settings.coordinate_precision
#: Share of a geometry that must lie inside a container for it to count as wholly inside.
INSIDE_SHARE: float = 0.999
#: An overlap of at most this many m² is a sliver of digitizing and rounding, not an overlap.
SLIVER_M2: float = 1.0

_GEOD = Geod(a=CGCS2000_A, f=CGCS2000_F)


#: Threads that share large vectorised GEOS operations (GEOS releases the GIL).
THREADS: int = min(2, os.cpu_count() or 1)
#: Elements below which a vectorised operation runs on one thread.
PARALLEL_ABOVE: int = 20_000
#: Seconds between hand-overs of the GIL while threads read and measure side by side (:func:`quick_handover`).
HANDOVER_S: float = 0.0002


class _WhileInside:
    """A process-wide setting changed while any block runs: the first in changes it, the last out restores it.

    Blocks may nest and overlap (reviews on threads of a server). ``change`` returns what ``restore`` is given back.
    """

    def __init__(self, change: Callable[[], Any], restore: Callable[[Any], None]) -> None:
        self._change, self._restore = change, restore
        self._lock = threading.Lock()
        self._inside = 0
        self._saved: Any = None

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if not self._inside:
                self._saved = self._change()
            self._inside += 1
        try:
            yield
        finally:
            with self._lock:
                self._inside -= 1
                if not self._inside:
                    self._restore(self._saved)


def _short_interval() -> float:
    saved = sys.getswitchinterval()
    sys.setswitchinterval(min(HANDOVER_S, saved))
    return saved


def _pause_collector() -> bool:
    enabled = gc.isenabled()
    gc.disable()
    return enabled


def _resume_collector(enabled: bool) -> None:
    if enabled:
        gc.enable()


_HANDOVER = _WhileInside(_short_interval, sys.setswitchinterval)
_COLLECTOR = _WhileInside(_pause_collector, _resume_collector)


def quick_handover() -> contextlib.AbstractContextManager[None]:
    """Hand the GIL over every :data:`HANDOVER_S` (0.2 ms) rather than every 5 ms while the block runs.

    A thread that returns from GDAL, Arrow, SQLite or GEOS waits for the GIL until the
    thread holding it lets go — up to the interpreter's switch interval
    (:func:`sys.setswitchinterval`, 5 ms by default) each time. A review reads and
    measures layers on two threads while the main thread tabulates results, and the
    readers return from C thousands of times: with 5 ms hand-overs they queue for
    much of that time. Blocks may nest and overlap (threads of a server): the first
    to enter sets the interval, the last to leave puts the old one back.
    """
    return _HANDOVER()


def collector_paused() -> contextlib.AbstractContextManager[None]:
    """Pause Python's cyclic garbage collector (:mod:`gc`) while the block runs.

    A review makes tens of thousands of Python objects (frames, dicts and tuples of
    results): the collector runs hundreds of times meanwhile, some of them over
    every object of the process, with the GIL held — while the threads that read
    and measure without the GIL wait to return. Reference counting still
    frees every object that is not in a cycle; those in one are collected once
    the collector runs again. Blocks may nest and overlap (threads of a server):
    the first to enter pauses it, the last to leave resumes it (if it was running).
    """
    return _COLLECTOR()


def parallel(func, *arrays: np.ndarray, **kwargs) -> np.ndarray:
    """Apply an element-wise vectorised function (``shapely.intersection``, ``shapely.is_valid`` …) on threads.

    The arrays are cut into as many chunks as :data:`THREADS`; small inputs run directly.

    Examples
    --------
    >>> from shapely import box
    >>> parallel(shapely.area, np.array([box(0, 0, 1, 1), box(0, 0, 2, 2)], dtype=object)).tolist()
    [1.0, 4.0]
    """
    n = len(arrays[0])
    if n < PARALLEL_ABOVE or THREADS < 2:
        return func(*arrays, **kwargs)
    cuts = np.array_split(np.arange(n), THREADS)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        parts = list(pool.map(lambda idx: func(*(a[idx] for a in arrays), **kwargs), cuts))
    return np.concatenate(parts)


def _array(geoms) -> np.ndarray:
    if hasattr(geoms, "geometry") and not isinstance(geoms, np.ndarray):
        geoms = geoms.geometry
    return np.asarray(getattr(geoms, "values", geoms), dtype=object)


def parts_of(geoms, kinds: tuple) -> np.ndarray:
    """Return, for each geometry, its parts of the given types (lines of a collection, polygons of a cut).

    A geometry with no such part gives ``None``.
    """
    geoms = _array(geoms)
    out = np.empty(len(geoms), dtype=object)
    type_id = shapely.get_type_id(geoms)
    direct = np.isin(type_id, kinds)
    out[direct] = geoms[direct]
    for i in np.flatnonzero(~direct):
        if geoms[i] is None:
            continue
        keep = [g for g in shapely.get_parts(geoms[i]) if shapely.get_type_id(g) in kinds]
        if not keep and shapely.get_type_id(geoms[i]) == shapely.GeometryType.GEOMETRYCOLLECTION:
            nested = [p for g in shapely.get_parts(geoms[i]) for p in shapely.get_parts(g)]
            keep = [g for g in nested if shapely.get_type_id(g) in kinds]
        out[i] = shapely.union_all(keep) if keep else None
    return out


def polygon_area(geoms) -> np.ndarray:
    """Return the ellipsoidal area (m²) of the polygonal parts of each geometry (0 for lines and points).

    Examples
    --------
    >>> from shapely import box, Point
    >>> [round(a) for a in polygon_area([box(120.7, 28.0, 120.71, 28.01), Point(120.7, 28.0)])]
    [1089991, 0]
    """
    geoms = _array(geoms)
    if len(geoms) and (shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON).all():  # nothing to open
        out = np.zeros(len(geoms))
        full = ~shapely.is_empty(geoms)
        out[full] = lonlat_polygon_area(geoms[full])
        return out
    parts, owner = _flat_parts(geoms)
    polygons = np.isin(shapely.get_type_id(parts), (shapely.GeometryType.POLYGON,))
    polygons &= ~shapely.is_empty(parts)
    if not polygons.any():
        return np.zeros(len(geoms))
    return np.bincount(owner[polygons], weights=lonlat_polygon_area(parts[polygons]), minlength=len(geoms))


def _flat_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every single-part geometry of each geometry (collections and multi-parts opened, nested ones too)."""
    present = ~shapely.is_missing(geoms)
    parts, owner = shapely.get_parts(geoms[present], return_index=True)
    owner = np.flatnonzero(present)[owner]
    nested = shapely.get_type_id(parts) == shapely.GeometryType.GEOMETRYCOLLECTION
    while nested.any():
        inner, at = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], inner])
        owner = np.concatenate([owner[~nested], owner[nested][at]])
        nested = shapely.get_type_id(parts) == shapely.GeometryType.GEOMETRYCOLLECTION
    return parts, owner


def line_length(geoms) -> np.ndarray:
    """Return the geodesic length (m, CGCS2000) of the linear parts of each geometry (0 for the rest).

    Examples
    --------
    >>> from shapely import LineString
    >>> round(float(line_length([LineString([(120.7, 28.0), (120.7, 28.01)])])[0]), 1)
    1108.2
    """
    parts = parts_of(geoms, LINE_TYPES)
    return np.array([0.0 if g is None or g.is_empty else _GEOD.geometry_length(g) for g in parts], dtype=float)


def size(geoms, kind: np.ndarray | None = None) -> np.ndarray:
    """Return each geometry's size: area (m²) for polygons, length (m) for lines, 0 for points."""
    geoms = _array(geoms)
    kind = shapely.get_type_id(geoms) if kind is None else kind
    out = np.zeros(len(geoms))
    poly = np.isin(kind, POLYGON_TYPES)
    line = np.isin(kind, LINE_TYPES)
    if poly.any():
        out[poly] = polygon_area(geoms[poly])
    if line.any():
        out[line] = line_length(geoms[line])
    return out


def points_inside(container, points) -> np.ndarray:
    """Return, per point geometry, whether it lies in ``container`` or within :data:`EDGE_TOLERANCE` of it."""
    points = _array(points)
    if container is None or not len(points):
        return np.zeros(len(points), dtype=bool)
    return np.asarray(shapely.dwithin(container, points, EDGE_TOLERANCE), dtype=bool)


def share_inside(geoms, container) -> np.ndarray:
    """Return the share (0–1) of each geometry inside ``container``.

    Polygons by area, lines by length, points by the share of their points
    inside or within :data:`EDGE_TOLERANCE` of the container; an empty or
    missing geometry, or no container, gives 0.

    Examples
    --------
    >>> from shapely import box, LineString, Point
    >>> zone = box(120.7, 28.0, 120.8, 28.1)
    >>> share_inside([box(120.75, 28.0, 120.85, 28.1), LineString([(120.75, 28.05), (120.85, 28.05)]),
    ...               Point(120.8, 28.05)], zone).round(2).tolist()
    [0.5, 0.5, 1.0]
    """
    geoms = _array(geoms)
    out = np.zeros(len(geoms))
    if container is None or not len(geoms):
        return out
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    kind = shapely.get_type_id(geoms)
    point = present & np.isin(kind, POINT_TYPES)
    for i in np.flatnonzero(point):
        parts = shapely.get_parts(geoms[i])
        out[i] = float(points_inside(container, parts).mean())
    measured = present & ~point
    if measured.any():
        whole = size(geoms[measured], kind[measured])
        pieces = shapely.intersection(geoms[measured], container)
        inside = np.where(np.isin(kind[measured], LINE_TYPES), line_length(pieces), polygon_area(pieces))
        with np.errstate(divide="ignore", invalid="ignore"):
            out[measured] = np.where(whole > 0, np.clip(inside / whole, 0.0, 1.0), 0.0)
    return out

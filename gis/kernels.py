"""What the compiled loops share: polygons as flat arrays of rings.

The compiled loops of :mod:`gis.loops` (C, built by Cython at install) read
polygons as one array of coordinates and the offsets of their rings
(:func:`exterior_rings`); :func:`simple_polygons` picks the polygons that are
one ring.
"""

from __future__ import annotations

import numpy as np

import shapely


def simple_polygons(geoms: np.ndarray) -> np.ndarray:
    """Return, per geometry, whether it is one polygon, not empty, without holes: its coordinates are one ring.

    Examples
    --------
    >>> from shapely import box
    >>> simple_polygons(np.array([box(0, 0, 1, 1), box(0, 0, 3, 3).difference(box(1, 1, 2, 2)), None])).tolist()
    [True, False, False]
    """
    ok = shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON
    ok[ok] = (shapely.get_num_interior_rings(geoms[ok]) == 0) & ~shapely.is_empty(geoms[ok])
    return ok


def exterior_rings(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the coordinates of polygons without holes (each ring closed) and the offsets of their rings.

    Ring ``r`` is ``coords[offsets[r]:offsets[r + 1]]``.
    """
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    offsets = np.r_[0, np.cumsum(np.bincount(which, minlength=len(geoms)))].astype(np.int64)
    return coords, offsets

"""What the compiled loops share: numba, loaded on first use, and polygons as flat arrays of rings.

Four measures run loops compiled with numba (:mod:`gis.separate`, :mod:`gis.clip`,
the ring sums of :mod:`gis.area`, the matching of boxes in :mod:`gis.window`).
Importing numba takes 0.4–0.7 s, so it is imported only when a loop is first
wanted (:func:`compiled`); :func:`loaded` tells callers whether that cost is
already paid. The loops read polygons as one array
of coordinates and the offsets of their rings (:func:`exterior_rings`).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator

import numpy as np

import shapely

_COMPILED: dict[Callable, Callable] = {}
_LOCK = threading.Lock()


#: Set while a thread loads numba and its first loop (:func:`warming`): other threads take their NumPy paths
#: meanwhile rather than wait for it.
_WARMING = threading.Event()


def loaded() -> bool:
    """Return whether numba is imported already (by an earlier loop, or by the caller) and not being loaded now."""
    return "numba" in sys.modules and not _WARMING.is_set()


@contextlib.contextmanager
def warming() -> Iterator[None]:
    """Mark the loading of numba and of a first loop, which takes 0.4–0.7 s: meanwhile :func:`loaded` is false."""
    _WARMING.set()
    try:
        yield
    finally:
        _WARMING.clear()


def compiled(loop: Callable, *, calls: tuple[str, ...] = ()) -> Callable:
    """Return ``loop`` compiled by numba (no GIL, cached on disk), compiling or loading it the first time.

    Parameters
    ----------
    loop : callable
        A module-level function numba can compile.
    calls : tuple of str
        Names of module-level functions the loop calls: compiled first and put in its module's namespace,
        where numba looks for them.
    """
    with _LOCK:  # threads asking at once get one dispatcher (numba serialises the compiling itself)
        if loop not in _COMPILED:
            import numba

            jit = numba.njit(nogil=True, cache=True)
            for name in calls:
                helper = loop.__globals__[name]
                if not hasattr(helper, "py_func"):  # not compiled yet
                    loop.__globals__[name] = jit(helper)
            _COMPILED[loop] = jit(loop)
        return _COMPILED[loop]


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

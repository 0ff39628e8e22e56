"""Ellipsoidal and planar areas of polygons, as China's land survey computes them.

Three measures, all in square metres:

``ellipsoidal`` (default, 椭球面积)
    The area on the CGCS2000 ellipsoid (a = 6378137, f = 1/298.257222101) by
    the land-survey method of 国土调查办发〔2008〕32号: vertices in longitude and
    latitude, each edge closing a trapezoid against a reference meridian, the
    trapezoids summed with the closed-form ellipsoid zone area. That sum is
    exactly the planar area of the polygon in a cylindrical equal-area mapping
    ``x = a·λ, y = a·q(φ)/2`` (q the authalic function), so it is computed
    vectorised: one coordinate pass and a shoelace sum per ring in NumPy. Within
    a ring spanning at most 1° of latitude, q is its Taylor series about the
    ring's first vertex (four terms: error < 2e-9 relative, and no sine or
    logarithm per vertex); wider rings use the closed form.
    Edges are thereby straight in (longitude, authalic latitude): a map sheet
    bounded by parallels and meridians gets its theoretical area (图幅理论面积)
    from its four corners.
``geodesic``
    The area with geodesic edges (GeographicLib via ``pyproj.Geod``), as QGIS
    (≥ 3.20) and ArcGIS ``AREA_GEODESIC`` compute it; one call per polygon.
    For parcels the two ellipsoidal measures agree to ~1e-9; they differ on
    long east–west edges (28 381 103.77 vs 28 381 104.73 m² for a 1:10 000 sheet).
``planar``
    The area in the CGCS2000 3° Gauss-Krüger plane whose central meridian is
    nearest the data (EPSG:4549 for Wenzhou), or in a CRS given by the caller.
    It exceeds the ellipsoidal area by ~200–350 ppm east of 120°E.

Polygon orientation (clockwise or not), holes and multipolygons are handled;
lines and points raise :class:`~gis.errors.GeometryError` rather than give 0.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely
from pyproj import CRS, Geod

from gis.crs import CGCS2000, gk_epsg_for_longitude, parse_crs
from gis.errors import CRSError, GeometryError, InputError
from gis.loops import ring_areas
from gis.options import METHODS

#: CGCS2000 semi-major axis (m).
CGCS2000_A = 6378137.0
#: CGCS2000 flattening.
CGCS2000_F = 1 / 298.257222101
_E2 = CGCS2000_F * (2 - CGCS2000_F)
_E = np.sqrt(_E2)

Method = Literal["ellipsoidal", "geodesic", "planar"]
#: Polygons measured per vectorised pass.
CHUNK = 5_000
#: Threads measuring chunks of large inputs.
THREADS = min(2, os.cpu_count() or 1)
#: Rings spanning at most this many degrees of latitude (and not beyond ±80°) use the series of q.
SERIES_SPAN = 1.0
_RADIAN = np.pi / 180
_POLYGONAL = ("Polygon", "MultiPolygon")
#: shapely's type ids and the names geopandas gives them (``geom_type``).
_TYPE_NAMES = dict(enumerate(("Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString",
                              "MultiPolygon", "GeometryCollection")))


def authalic_q(latitude_radians: np.ndarray) -> np.ndarray:
    """Return the authalic function q(φ) of the CGCS2000 ellipsoid.

    ``a² q(φ) / 2`` is the area between the equator and latitude φ per radian of
    longitude, so the full ellipsoid has area ``2π a² q(π/2)``.

    Parameters
    ----------
    latitude_radians : numpy.ndarray
        Geodetic latitudes in radians.

    Returns
    -------
    numpy.ndarray
        q(φ), dimensionless.
    """
    s = np.sin(latitude_radians)
    es = _E * s
    return (1 - _E2) * (s / (1 - _E2 * s * s) - np.log((1 - es) / (1 + es)) / (2 * _E))


def _as_geoseries(data, crs=None) -> gpd.GeoSeries:
    if isinstance(data, gpd.GeoDataFrame):
        series = data.geometry
    elif isinstance(data, gpd.GeoSeries):
        series = data
    else:
        series = gpd.GeoSeries(np.asarray(data, dtype=object), crs=crs)
    if crs is not None and series.crs is None:
        series = series.set_crs(crs)
    if series.crs is None:
        raise CRSError("the geometries have no CRS; declare one with `crs` (e.g. EPSG:4490) before measuring areas")
    return series


def require_polygons(geometries: gpd.GeoSeries, what: str = "the data") -> None:
    """Raise if any geometry is not a polygon or multipolygon.

    Parameters
    ----------
    geometries : geopandas.GeoSeries
        The geometries to test; missing (None) geometries are reported too.
    what : str
        How to name the data in the message (a layer or file name).

    Raises
    ------
    GeometryError
        Naming the geometry types found and how many are missing.
    """
    ids = shapely.get_type_id(np.asarray(geometries.values, dtype=object))  # integers: fast at 10⁶
    missing = int((ids == -1).sum())
    polygonal = (ids == shapely.GeometryType.POLYGON) | (ids == shapely.GeometryType.MULTIPOLYGON)
    found = np.unique(ids[~polygonal & (ids >= 0)])
    bad = sorted(_TYPE_NAMES[int(k)] for k in found)
    if bad:
        raise GeometryError(
            f"{what} holds {', '.join(bad)} geometries: areas are measured on polygons only"
        )
    if missing:
        raise GeometryError(f"{what} has {missing} feature(s) without geometry; areas need polygons")


def _lonlat(series: gpd.GeoSeries) -> np.ndarray:
    crs = CRS.from_user_input(series.crs)
    if crs.is_geographic and crs.ellipsoid is not None and crs.ellipsoid.name in ("GRS 1980", "WGS 84"):
        # WGS84 and CGCS2000 differ by less than 1 m here; no datum shift is applied.
        return np.asarray(series.values, dtype=object)
    return np.asarray(series.to_crs(CGCS2000).values, dtype=object)


def ellipsoidal_area(data, crs=None) -> np.ndarray:
    """Return the ellipsoidal area (椭球面积) of each polygon on CGCS2000, in m².

    Parameters
    ----------
    data : geopandas.GeoDataFrame, geopandas.GeoSeries or array of geometries
        Polygons in any CRS.
    crs : optional
        CRS of ``data`` if it carries none.

    Returns
    -------
    numpy.ndarray
        One positive area per geometry.

    Examples
    --------
    >>> from shapely import box
    >>> sheet = box(120 + 37.5 / 60, 28.0, 120 + 41.25 / 60, 28 + 2.5 / 60)
    >>> round(float(ellipsoidal_area([sheet], crs="EPSG:4490")[0]), 2)
    28381103.77
    """
    series = _as_geoseries(data, crs)
    geoms = _lonlat(series)
    _require_polygon_array(geoms)
    return _ellipsoidal(geoms)  # across ±180°: unwrapped there, ring by ring


def lonlat_polygon_area(geoms: np.ndarray) -> np.ndarray:
    """Return :func:`ellipsoidal_area` of an array of polygons already in longitude/latitude (EPSG:4326/4490).

    The fast entry for callers that hold plain geometry arrays (no CRS handling, no type check).
    """
    return _ellipsoidal(np.asarray(geoms, dtype=object))


def _ellipsoidal(geoms: np.ndarray) -> np.ndarray:
    result = np.zeros(len(geoms))
    rest = np.zeros(len(geoms), dtype=bool)  # polygons with holes, multipolygons: measured after

    def measure_chunk(lo: int) -> int:
        part = geoms[lo:lo + CHUNK]
        # Fast path: plain polygons without holes are one ring each, and get_coordinates gives the ring of
        # every vertex directly. (Sorted out here, per chunk, so that the threads share this work too.)
        simple = shapely.get_type_id(part) == shapely.GeometryType.POLYGON
        simple[simple] = shapely.get_num_interior_rings(part[simple]) == 0
        rest[lo:lo + len(part)] = ~simple
        chosen = np.flatnonzero(simple)
        part = part[chosen]
        counts = shapely.get_num_coordinates(part)
        nonempty = counts > 0
        if nonempty.any():
            offsets = np.zeros(int(nonempty.sum()) + 1, dtype=np.int64)
            np.cumsum(counts[nonempty], out=offsets[1:])
            areas = np.zeros(len(part))
            coords = shapely.get_coordinates(part)
            lon = coords[:, 0]
            with np.errstate(invalid="ignore"):
                wraps = (np.maximum.reduceat(lon, offsets[:-1]) - np.minimum.reduceat(lon, offsets[:-1])) > 180
            if wraps.any():  # across ±180°: the western longitudes shifted by +360°, so that edges are short
                shift = np.repeat(wraps, np.diff(offsets)) & (lon < 0)
                coords[shift, 0] += 360.0
            areas[nonempty] = _ring_areas(coords, offsets)
            result[lo + chosen] = areas
        return len(simple)

    # Chunks keep the temporary arrays small (memory traffic, not arithmetic, bounds the
    # speed) and run on two threads: GEOS and NumPy release the GIL.
    from gis.progress import bar

    starts = range(0, len(geoms), CHUNK)
    with bar(len(geoms), "measuring") as progress:
        if len(starts) > 2:
            with ThreadPoolExecutor(max_workers=THREADS) as pool:
                for done in pool.map(measure_chunk, starts):
                    progress.update(done)
        else:
            for lo in starts:
                progress.update(measure_chunk(lo))
    if rest.any():
        result[rest] = _area_with_holes(_unwrap_antimeridian(geoms[rest]))
    return result


def crosses_antimeridian(geoms: np.ndarray) -> np.ndarray:
    """Return, per lon/lat geometry, whether it spans more than 180° of longitude (it crosses ±180°).

    A parcel cannot be half the world wide: such a geometry is one whose
    vertices jump from +179.9° to −179.9°, as files near the antimeridian store them.
    """
    bounds = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        return (bounds[:, 2] - bounds[:, 0]) > 180


def _no_plane_across_antimeridian(geoms: np.ndarray) -> None:
    if crosses_antimeridian(geoms).any():
        raise CRSError("a polygon crosses the antimeridian (±180°): no Gauss-Krüger plane holds it; "
                       "measure it with `method` ellipsoidal or geodesic")


def _unwrap_antimeridian(geoms: np.ndarray) -> np.ndarray:
    """Shift the western longitudes of geometries that cross ±180° by +360°, so their edges are short."""
    wraps = crosses_antimeridian(geoms)
    if not wraps.any():
        return geoms
    out = geoms.copy()
    out[wraps] = shapely.transform(geoms[wraps], lambda xy: np.column_stack([np.where(xy[:, 0] < 0, xy[:, 0] + 360,
                                                                                       xy[:, 0]), xy[:, 1]]))
    return out


def _mul(a: list, b: list) -> list:
    """Return the product of two power series (coefficient lists of equal length), truncated to that length."""
    return [sum(a[i] * b[k - i] for i in range(k + 1)) for k in range(len(a))]


def authalic_series(latitude_degrees: np.ndarray) -> tuple[np.ndarray, ...]:
    """Return the Taylor series of ``a q(φ)/2`` about latitudes φ₀, per degree of latitude.

    ``a (q(φ₀ + d°) − q(φ₀)) / 2 = s · d · (1 + d·(k₂ + d·(k₃ + d·k₄)))`` with ``(s, k₂, k₃, k₄)`` returned
    (metres per degree, then per degree², ³, ⁴). The derivative of ``q/2`` is ``(1 − e²) cos φ / (1 − e² sin² φ)²``;
    its series is built from those of sine and cosine by series arithmetic, then integrated. The series
    leaves out the fifth power: less than 2e-9 relative error within 1° of φ₀, up to ±80°.

    Examples
    --------
    >>> s, k2, k3, k4 = authalic_series(np.array([28.0]))
    >>> d = 0.01
    >>> exact = CGCS2000_A * (authalic_q(np.radians(28.01)) - authalic_q(np.radians(28.0))) / 2
    >>> bool(abs(s[0] * d * (1 + d * (k2[0] + d * (k3[0] + d * k4[0]))) / exact - 1) < 1e-11)
    True
    """
    phi = np.radians(latitude_degrees)
    s0, c0 = np.sin(phi), np.cos(phi)
    sine = [s0, c0, -s0 / 2, -c0 / 6]  # sin(φ₀ + δ), δ in radians
    cosine = [c0, -s0, -c0 / 2, s0 / 6]
    w = _mul(sine, sine)
    w0 = 1 - _E2 * w[0]
    u = [np.zeros_like(s0), *(-_E2 * w[k] / w0 for k in (1, 2, 3))]  # 1 − e² sin² = w0 (1 + u)
    u2 = _mul(u, u)
    u3 = _mul(u2, u)
    inverse_square = [np.ones_like(s0), *(-2 * u[k] + 3 * u2[k] - 4 * u3[k] for k in (1, 2, 3))]  # (1 + u)⁻²
    f = [(1 - _E2) * c / w0**2 for c in _mul(cosine, inverse_square)]  # d(q/2)/dφ about φ₀
    return (CGCS2000_A * _RADIAN * f[0], f[1] * _RADIAN / (2 * f[0]), f[2] * _RADIAN**2 / (3 * f[0]),
            f[3] * _RADIAN**3 / (4 * f[0]))


def _ring_areas(coords: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Absolute area of each closed ring, ring ``r`` being ``coords[offsets[r]:offsets[r + 1]]`` (none empty).

    The shoelace sum of ``(a λ, a q(φ)/2)``, each ring's q measured from its first vertex (small numbers:
    the sum stays exact to ~1e-10 even for 100 m² parcels), by its series (:func:`authalic_series`), in one
    pass over the coordinates by a compiled loop (:func:`gis.loops.ring_areas`); a ring wider than
    :data:`SERIES_SPAN` in latitude or beyond ±80° by the closed form instead (:func:`_summed_ring_areas`).
    """
    starts = offsets[:-1]
    out = np.empty(len(starts))
    span = np.empty(len(starts))
    ring_areas(np.ascontiguousarray(coords, dtype=float), np.ascontiguousarray(offsets, dtype=np.int64), _E2,
               CGCS2000_A * _RADIAN, out, span)
    exact = np.flatnonzero((span > SERIES_SPAN) | (np.abs(coords[starts, 1]) > 80.0))
    if len(exact):  # wide or polar rings: the closed form, by the NumPy sums
        lengths = np.diff(offsets)[exact]
        sub = np.r_[0, np.cumsum(lengths)].astype(np.int64)
        out[exact] = _summed_ring_areas(coords[np.repeat(starts[exact] - sub[:-1], lengths) + np.arange(sub[-1])], sub)
    return out


def _summed_ring_areas(coords: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Return :func:`_ring_areas` summed by NumPy: the series, or the closed form for wide or polar rings."""
    starts = offsets[:-1]
    counts = np.diff(offsets)
    lam = coords[:, 0]
    phi = coords[:, 1]
    phi0 = phi[starts]
    scale, k2, k3, k4 = authalic_series(phi0)
    d = phi - np.repeat(phi0, counts)
    y = np.repeat(k4, counts)
    y *= d
    y += np.repeat(k3, counts)
    y *= d
    y += np.repeat(k2, counts)
    y *= d
    y += 1.0
    y *= d  # q's difference from the ring's first vertex, per metre of ``scale``
    span = np.maximum.reduceat(np.abs(d), starts)
    exact = (span > SERIES_SPAN) | (np.abs(phi0) > 80.0)
    if exact.any():
        scale = np.where(exact, CGCS2000_A * _RADIAN, scale)
        for r in np.flatnonzero(exact):
            lo, hi = offsets[r], offsets[r + 1]
            q = authalic_q(np.radians(phi[lo:hi]))
            y[lo:hi] = (q - q[0]) / (2 * _RADIAN)
    x = lam - lam[0]  # the shoelace sum of a closed ring does not change with x's origin
    cross = np.empty(len(x))
    np.multiply(x[:-1], y[1:], out=cross[:-1])
    cross[:-1] -= x[1:] * y[:-1]
    cross[offsets[1:] - 1] = 0.0  # the pairs that straddle two rings, and the last
    return np.abs(np.add.reduceat(cross, starts)) * scale * (CGCS2000_A * _RADIAN / 2)


def _area_with_holes(geoms: np.ndarray) -> np.ndarray:
    """Areas of polygons with holes and of multipolygons: shells minus holes."""
    kind, coords, offsets = shapely.to_ragged_array(geoms)
    if kind == shapely.GeometryType.POLYGON:
        ring_offsets, polygon_rings = offsets
        polygon_geometry = np.arange(len(polygon_rings) - 1)
    else:
        ring_offsets, polygon_rings, geometry_polygons = offsets
        polygon_geometry = np.repeat(np.arange(len(geometry_polygons) - 1), np.diff(geometry_polygons))
    rings = len(ring_offsets) - 1
    counts = np.diff(ring_offsets)
    nonempty = counts > 0
    ring_area = np.zeros(rings)
    if nonempty.any():
        ring_area[nonempty] = _ring_areas(coords, np.r_[0, np.cumsum(counts[nonempty])])
    polygon_of_ring = np.repeat(np.arange(len(polygon_rings) - 1), np.diff(polygon_rings))
    is_shell = np.zeros(rings, dtype=bool)
    is_shell[polygon_rings[:-1][np.diff(polygon_rings) > 0]] = True
    signed = np.where(is_shell, ring_area, -ring_area)
    polygon_area = np.bincount(polygon_of_ring, weights=signed, minlength=len(polygon_rings) - 1)
    return np.bincount(polygon_geometry, weights=polygon_area, minlength=len(geoms))


def _require_polygon_array(geoms: np.ndarray, what: str = "the data") -> None:
    """Fast twin of :func:`require_polygons` on a NumPy array of geometries."""
    type_ids = shapely.get_type_id(geoms)
    if np.all((type_ids == shapely.GeometryType.POLYGON) | (type_ids == shapely.GeometryType.MULTIPOLYGON)):
        return
    require_polygons(gpd.GeoSeries(geoms), what)


_GEOD = Geod(a=CGCS2000_A, f=CGCS2000_F)


def geodesic_area(data, crs=None) -> np.ndarray:
    """Return the area of each polygon with geodesic edges (GeographicLib), in m².

    This is the convention of QGIS and ArcGIS ``AREA_GEODESIC``. Rings are
    oriented first, so clockwise shells and holes are handled.

    Examples
    --------
    >>> from shapely import box
    >>> sheet = box(120 + 37.5 / 60, 28.0, 120 + 41.25 / 60, 28 + 2.5 / 60)
    >>> round(float(geodesic_area([sheet], crs="EPSG:4490")[0]), 2)
    28381104.73
    """
    series = _as_geoseries(data, crs)
    require_polygons(series)
    oriented = shapely.orient_polygons(_unwrap_antimeridian(_lonlat(series)), exterior_cw=False)
    return np.array([_GEOD.geometry_area_perimeter(g)[0] for g in oriented], dtype=float)


def planar_crs_for(data, crs=None) -> CRS:
    """Return the CGCS2000 3° Gauss-Krüger CRS whose zone holds the data's centre.

    Examples
    --------
    >>> from shapely import box
    >>> planar_crs_for([box(120.5, 27.8, 121.0, 28.1)], crs="EPSG:4326").to_epsg()
    4549
    """
    series = _as_geoseries(data, crs)
    geoms = _lonlat(series)
    _no_plane_across_antimeridian(geoms)
    minx, _, maxx, _ = shapely.total_bounds(geoms)
    if not np.isfinite(minx):
        return CRS.from_epsg(4549)
    centre = (minx + maxx) / 2
    if not 73.5 <= centre < 136.5:
        raise CRSError(f"the data lie at {centre:.1f}°E, outside China's Gauss-Krüger zones; give `planar_crs`")
    return CRS.from_epsg(gk_epsg_for_longitude(centre))


def planar_area(data, crs=None, *, planar_crs=None) -> np.ndarray:
    """Return the planar area of each polygon in a Gauss-Krüger plane, in m².

    Parameters
    ----------
    data : geopandas.GeoDataFrame, geopandas.GeoSeries or array of geometries
        Polygons in any CRS.
    crs : optional
        CRS of ``data`` if it carries none.
    planar_crs : optional
        The projected CRS to measure in; by default the CGCS2000 3° GK zone
        of the data (:func:`planar_crs_for`). A zone-prefixed code such as
        EPSG:4528 gives the same areas as its plain twin EPSG:4549.

    Returns
    -------
    numpy.ndarray
        One area per geometry.
    """
    series = _as_geoseries(data, crs)
    require_polygons(series)
    _no_plane_across_antimeridian(_lonlat(series))
    target = planar_crs_for(series) if planar_crs is None else parse_crs(planar_crs)
    if not target.is_projected:
        raise CRSError(f"planar areas need a projected CRS, got {target.name}")
    return series.to_crs(target).area.to_numpy(dtype=float)


def measure_area(data, method: Method = "ellipsoidal", crs=None, *, planar_crs=None, engine="local") -> np.ndarray:
    """Return the area of each polygon by ``method`` (see the module docstring), in m².

    Parameters
    ----------
    data : geopandas.GeoDataFrame, geopandas.GeoSeries or array of geometries
        Polygons in any CRS.
    method : {"ellipsoidal", "geodesic", "planar"}
        The measure.
    crs : optional
        CRS of ``data`` if it carries none.
    planar_crs : optional
        CRS of ``method="planar"``.
    engine : {"local", "dask"} or gis.engine.Dask
        Where to compute: this process (default) or a Dask cluster, with the same result.

    Raises
    ------
    InputError
        For an unknown method or engine.
    """
    if method not in METHODS:
        raise InputError(f"unknown `method` {method!r}; use one of {', '.join(METHODS)}")
    from gis.engine import resolve_engine

    dask = resolve_engine(engine)
    if dask is not None:
        from gis.engine import area_dask, dask_client

        series = _as_geoseries(data, crs)
        require_polygons(series)
        if method == "planar" and planar_crs is None:
            planar_crs = planar_crs_for(series)
        with dask_client(dask.scheduler, dask.workers) as client:
            return area_dask(gpd.GeoDataFrame(geometry=series.reset_index(drop=True)), method=method, client=client,
                             progress=dask.progress, planar_crs=planar_crs)
    if method == "ellipsoidal":
        return ellipsoidal_area(data, crs)
    if method == "geodesic":
        return geodesic_area(data, crs)
    if method == "planar":
        return planar_area(data, crs, planar_crs=planar_crs)
    raise AssertionError(method)  # unreachable: checked above


def is_polygonal(series: gpd.GeoSeries) -> pd.Series:
    """Return a boolean Series: which geometries are polygons or multipolygons."""
    return series.geom_type.isin(_POLYGONAL)

"""Coordinate reference systems used for Wenzhou, and how to recognise them.

* CGCS2000 geographic (EPSG:4490) and WGS84 (EPSG:4326) agree to well under a
  metre here; shipped layers are stored in EPSG:4326.
* CGCS2000 3° Gauss-Krüger: EPSG:4534–4554 without the zone prefix (EPSG:4549 is
  the 120°E zone that covers all of Wenzhou) and EPSG:4513–4533 with it
  (EPSG:4528 is zone 40, easting 40 500 000 at 120°E).
* GCJ-02, the shifted coordinates of Chinese web maps (AMap, Tencent), is not a
  CRS PROJ knows: :func:`gcj02_to_wgs84` converts it, iterating the public
  forward formula to sub-millimetre agreement.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from gis.errors import CRSError

if TYPE_CHECKING:
    import numpy as np

    from pyproj import CRS

#: CRS of the shipped layers.
LAYER_CRS = "EPSG:4326"
#: CGCS2000 geographic.
CGCS2000 = "EPSG:4490"
#: Names accepted for GCJ-02 input (not a PROJ CRS).
GCJ02_NAMES = frozenset({"gcj02", "gcj-02", "gcj_02", "gcj"})

_GK3_PLAIN_FIRST = 4534  # CGCS2000 / 3-degree Gauss-Kruger CM 75E
_GK3_PREFIXED_FIRST = 4513  # CGCS2000 / 3-degree Gauss-Kruger zone 25 (CM 75E)


def gk_epsg(central_meridian: float, *, zone_prefix: bool = False) -> int:
    """Return the EPSG code of the CGCS2000 3° Gauss-Krüger CRS for a central meridian.

    Parameters
    ----------
    central_meridian : float
        A multiple of 3 between 75 and 135 (degrees east).
    zone_prefix : bool
        ``True`` for the codes whose easting carries the zone number
        (e.g. 40 500 000), ``False`` for plain 500 000 eastings.

    Returns
    -------
    int
        The EPSG code.

    Examples
    --------
    >>> gk_epsg(120), gk_epsg(120, zone_prefix=True)
    (4549, 4528)
    """
    cm = round(central_meridian)
    if cm % 3 or not 75 <= cm <= 135:
        raise CRSError(f"no CGCS2000 3-degree Gauss-Krüger zone has central meridian {central_meridian}")
    offset = (cm - 75) // 3
    return (_GK3_PREFIXED_FIRST if zone_prefix else _GK3_PLAIN_FIRST) + offset


def gk_epsg_for_longitude(longitude: float) -> int:
    """Return the CGCS2000 3° GK code (no zone prefix) of the zone containing a longitude.

    Examples
    --------
    >>> gk_epsg_for_longitude(120.7)
    4549
    """
    return gk_epsg(3 * round(float(longitude) / 3))


def parse_crs(value: object) -> CRS:
    """Parse a user's CRS (``EPSG:4528``, ``4528``, a WKT or PROJ string).

    Parameters
    ----------
    value : object
        What the user gave.

    Returns
    -------
    pyproj.CRS
        The CRS.

    Raises
    ------
    CRSError
        With the value in the message, if PROJ does not know it.
    """
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjCRSError

    text = str(value).strip()
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return CRS.from_user_input(text)
    except ProjCRSError:  # pyproj's own
        raise CRSError(f"unknown CRS {value!r}; give an EPSG code such as EPSG:4490 or EPSG:4549") from None


def crs_of(definition: object) -> CRS:
    """Return the ``pyproj.CRS`` of a file's CRS definition (PROJJSON dict or text), parsed once per definition.

    A ``pyproj.CRS`` is returned as it is.

    GeoParquet files declare their CRS as PROJJSON; parsing one takes tens of milliseconds, and a review or a
    batched reading meets the same definition many times.

    Examples
    --------
    >>> crs_of("EPSG:4490") is crs_of("EPSG:4490")
    True
    """
    import json

    from pyproj import CRS

    if isinstance(definition, CRS):
        return definition
    key = json.dumps(definition, sort_keys=True) if isinstance(definition, dict) else str(definition)
    return _crs_of(key, isinstance(definition, dict))


@functools.lru_cache(maxsize=64)
def _crs_of(key: str, is_json: bool) -> CRS:
    from pyproj import CRS

    return CRS.from_json(key) if is_json else CRS.from_user_input(key)


def guess_crs(bounds: tuple[float, float, float, float]) -> list[str]:
    """Suggest CRSs for coordinates of unknown CRS, from their bounds.

    Parameters
    ----------
    bounds : tuple of float
        ``(minx, miny, maxx, maxy)`` of the data as stored in the file.

    Returns
    -------
    list of str
        Likely CRSs with a short reason each, best first; empty if nothing fits.

    Examples
    --------
    >>> guess_crs((40560000, 3090000, 40580000, 3100000))
    ['EPSG:4528 (CGCS2000 3-degree Gauss-Krüger zone 40, easting with zone prefix)']
    """
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    guesses: list[str] = []
    if 3 <= minx <= maxx <= 54 and 73 <= miny <= maxy <= 136:
        return ["EPSG:4326 with latitude and longitude swapped (x holds the latitude): swap the columns"]
    if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        if minx >= 73 and maxx <= 136 and miny >= 3 and maxy <= 54:
            guesses.append("EPSG:4490 or EPSG:4326 (longitude/latitude in degrees; in China)")
        else:
            guesses.append("EPSG:4326 (longitude/latitude in degrees)")
        return guesses
    northing_ok = miny >= 0 and maxy <= 6_500_000
    if northing_ok and minx >= 25e6 and maxx < 46e6 and int(minx // 1e6) == int(maxx // 1e6):
        zone = int(minx // 1e6)
        epsg = _GK3_PREFIXED_FIRST + zone - 25
        guesses.append(
            f"EPSG:{epsg} (CGCS2000 3-degree Gauss-Krüger zone {zone}, easting with zone prefix)"
        )
    elif northing_ok and minx > 0 and maxx < 1_000_000:
        guesses.append(
            "EPSG:4549 (CGCS2000 3-degree Gauss-Krüger, central meridian 120°E, no zone prefix; "
            "another central meridian is possible)"
        )
    return guesses


# --- GCJ-02 -----------------------------------------------------------------
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323


def _out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx
    dlat += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx
    dlon += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = np.radians(lat)
    magic = 1 - _KRASOVSKY_EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = _out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Shift WGS84 lon/lat to GCJ-02 with the public formula (unchanged outside China).

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(120.7, 28.0)
    >>> round(float(lon), 5), round(float(lat), 5)
    (120.70406, 27.99672)
    """
    import numpy as np

    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, *, tolerance: float = 1e-10, max_iterations: int = 30):
    """Convert GCJ-02 lon/lat to WGS84 by iterating the forward formula.

    The one-step inverse (subtract the shift computed at the GCJ-02 point)
    errs by 1–2 m; iterating until the forward image matches the input to
    ``tolerance`` degrees (1e-10° ≈ 0.01 mm) gives the exact inverse of the
    public formula.

    Parameters
    ----------
    lon, lat : float or array-like
        GCJ-02 coordinates in degrees.
    tolerance : float
        Largest accepted residual in degrees.
    max_iterations : int
        Safety bound; the iteration converges in 3–5 steps in China.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitude and latitude.
    """
    import numpy as np

    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iterations):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        rlon, rlat = glon - flon, glat - flat
        wlon = wlon + rlon
        wlat = wlat + rlat
        if np.all(np.abs(rlon) < tolerance) and np.all(np.abs(rlat) < tolerance):
            break
    return wlon, wlat


def coordinates_misfit(bounds: tuple[float, float, float, float], crs: CRS) -> str | None:
    """Say why coordinates with these bounds cannot be in ``crs``, or return ``None`` when they can.

    A geographic CRS needs longitudes within ±180° and latitudes within ±90°. A
    projected CRS needs coordinates near its area of use: they must fall within
    that area's projected box widened by its own size on every side (generous,
    so that data just beyond a Gauss-Krüger zone still passes), which catches
    longitude/latitude declared as metres and Gauss-Krüger coordinates with or
    without the zone prefix declared as the other.

    Parameters
    ----------
    bounds : tuple of float
        ``(minx, miny, maxx, maxy)`` of the data as stored.
    crs : pyproj.CRS
        The CRS the data are said to be in.

    Returns
    -------
    str or None
        A reason, naming the coordinates and what they look like.

    Examples
    --------
    >>> from pyproj import CRS
    >>> coordinates_misfit((120.6, 27.9, 120.7, 28.0), CRS.from_epsg(4549)) is not None
    True
    >>> coordinates_misfit((560000, 3090000, 570000, 3100000), CRS.from_epsg(4549)) is None
    True
    """
    import numpy as np

    minx, miny, maxx, maxy = (float(b) for b in bounds)
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        return None
    guesses = guess_crs((minx, miny, maxx, maxy))
    hint = f"; they look like {guesses[0]}" if guesses else ""
    if crs.is_geographic:
        if -180 <= minx <= maxx <= 180 and (miny < -90 or maxy > 90):
            return (f"latitudes reach {max(abs(miny), abs(maxy)):.1f}° in {crs.name}: longitude and latitude "
                    "look swapped (x must hold the longitude)")
        if min(minx, miny) < -180 or max(maxx, maxy) > 180:
            return f"{crs.name} is in degrees but coordinates reach {max(abs(minx), abs(maxx)):.0f}{hint}"
        return None
    area = crs.area_of_use
    if area is None or not crs.is_projected:
        return None
    from pyproj import Transformer

    try:
        transformer = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        x0, y0, x1, y1 = transformer.transform_bounds(area.west, area.south, area.east, area.north)
    except Exception:
        return None
    if not np.all(np.isfinite([x0, y0, x1, y1])):
        return None
    width, height = x1 - x0, y1 - y0
    if minx >= x0 - width and maxx <= x1 + width and miny >= y0 - height and maxy <= y1 + height:
        return None
    return (f"coordinates x {minx:.6g}…{maxx:.6g}, y {miny:.6g}…{maxy:.6g} cannot be in {crs.name} "
            f"(its area of use is {area.name}){hint}")


#: Ellipsoids of datums that coincide with CGCS2000 and WGS 84 to within a metre (both are ITRF-aligned): a
#: geographic shift between them that PROJ calls a "ballpark" offset (none) is then no error worth a review.
#: CGCS2000 is GRS 1980 in all but a tenth of a millimetre; a CRS written out as "+ellps=GRS80" with no datum,
#: as planners' .prj files often are, is taken to be CGCS2000.
COINCIDENT_ELLIPSOIDS: frozenset[str] = frozenset({"GRS 1980", "WGS 84", "CGCS2000"})


def datum_gap(crs: CRS | str, area: tuple[float, float, float, float] | None = None) -> str | None:
    """Say why positions in ``crs`` cannot be carried to CGCS2000 / WGS 84 lon/lat truly, or return ``None``.

    PROJ knows no parameters from Xian 1980 to CGCS2000 or WGS 84, and for
    Beijing 1954 only for areas far from Wenzhou (the Ordos and Tarim basins, the
    seas): elsewhere it falls back on a "ballpark" transformation that leaves the
    longitudes and latitudes as they are, although the datums differ by tens of
    metres on the ground (1954 北京 → 2000 国家大地坐标系 map sheets move by
    −29 to −62 m north and −56 to +84 m east). Such positions are refused, not
    moved silently: the bureau's own parameters (七参数/四参数) must carry them first.
    A datum on a :data:`COINCIDENT_ELLIPSOIDS` ellipsoid needs no shift.

    Parameters
    ----------
    crs : pyproj.CRS or str
        The CRS the data are in.
    area : tuple of float, optional
        ``(west, south, east, north)`` in degrees where the data lie: a transformation counts only if its area
        of use covers it (default: anywhere).

    Examples
    --------
    >>> datum_gap("EPSG:4549") is None  # CGCS2000 3° Gauss-Krüger
    True
    >>> print(datum_gap("EPSG:2385", (120.5, 27.9, 120.8, 28.1)))  # Xian 1980 3° Gauss-Krüger CM 120E
    PROJ has no transformation from the Xian 1980 datum to CGCS2000 / WGS 84 here, only a 'ballpark' one that \
leaves the positions tens of metres off; carry the data to CGCS2000 (EPSG:4490, or EPSG:4549 in Gauss-Krüger) \
with the bureau's parameters first
    """
    source = crs_of(crs)
    if _needs_no_shift(source):
        return None
    geodetic = source.geodetic_crs
    datum = geodetic.datum.name if geodetic.datum is not None else geodetic.name
    key = (source.to_wkt(), None if area is None else tuple(round(float(v), 2) for v in area))
    if _has_transformation(*key):
        return None
    return (f"PROJ has no transformation from the {datum} datum to CGCS2000 / WGS 84 here, only a 'ballpark' one "
            "that leaves the positions tens of metres off; carry the data to CGCS2000 (EPSG:4490, or EPSG:4549 in "
            "Gauss-Krüger) with the bureau's parameters first")


def _needs_no_shift(crs: CRS) -> bool:
    """Return whether ``crs`` has no datum or one on a :data:`COINCIDENT_ELLIPSOIDS` ellipsoid."""
    geodetic = crs.geodetic_crs
    return geodetic is None or (geodetic.ellipsoid is not None and geodetic.ellipsoid.name in COINCIDENT_ELLIPSOIDS)


@functools.lru_cache(maxsize=64)
def _has_transformation(wkt: str, area: tuple[float, float, float, float] | None) -> bool:
    from pyproj import CRS
    from pyproj.aoi import AreaOfInterest
    from pyproj.transformer import TransformerGroup

    aoi = None if area is None else AreaOfInterest(*area)
    group = TransformerGroup(CRS.from_wkt(wkt), LAYER_CRS, always_xy=True, allow_ballpark=False,
                             area_of_interest=aoi)
    return bool(group.transformers)


def to_lonlat(gdf, label: str):
    """Return ``gdf`` in lon/lat (:data:`LAYER_CRS`), refusing positions no transformation carries truly.

    Where PROJ's transformation is the identity (CGCS2000 EPSG:4490 to WGS 84, whose
    lon/lat agree to within a metre) the CRS is relabelled and the geometries are
    kept as they are, not rebuilt one by one.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features with a CRS.
    label : str
        What to name in the error (a file, a profile entry).

    Raises
    ------
    CRSError
        The CRS's datum has no transformation to CGCS2000 / WGS 84 where the features are
        (:func:`datum_gap`).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> out = to_lonlat(gpd.GeoDataFrame(geometry=[Point(120.6, 27.9)], crs="EPSG:4490"), "sites")
    >>> out.crs.to_string(), out.geometry.iloc[0].wkt
    ('EPSG:4326', 'POINT (120.6 27.9)')
    """
    import numpy as np

    from pyproj import Transformer

    if gdf.crs is None:
        raise CRSError(f"{label} has no CRS; give it one (a .prj, or EPSG:4490 / EPSG:4549)")
    target = crs_of(LAYER_CRS)
    source = crs_of(gdf.crs)
    if source.equals(target):
        return gdf
    if not _needs_no_shift(source):  # where the features lie decides which transformations count
        area = None
        bounds = gdf.total_bounds if len(gdf) else None
        if bounds is not None and np.isfinite(bounds).all():
            area = tuple(bounds) if source.is_geographic else \
                Transformer.from_crs(source, target, always_xy=True).transform_bounds(*bounds)
            west, south, east, north = (float(v) for v in area)
            fits = np.isfinite(area).all() and -180 <= west <= east <= 180 and -90 <= south <= north <= 90
            area = (west, south, east, north) if fits else None  # degrees, if they lie on the globe at all
        gap = datum_gap(source, area)
        if gap is not None:
            raise CRSError(f"{label}: {source.name}: {gap}")
    if _is_identity(source.to_wkt()):
        return gdf.set_crs(target, allow_override=True)
    return gdf.to_crs(target)


@functools.lru_cache(maxsize=64)
def _is_identity(wkt: str) -> bool:
    """Return whether PROJ carries lon/lat in this CRS to :data:`LAYER_CRS` unchanged (a no-op pipeline)."""
    from pyproj import CRS, Transformer

    return Transformer.from_crs(CRS.from_wkt(wkt), LAYER_CRS, always_xy=True).definition.startswith("proj=noop")

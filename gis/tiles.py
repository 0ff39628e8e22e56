"""Mapbox Vector Tiles of a layer, built on demand: what the workbench draws for a big layer.

A Leaflet page draws one element per feature, so a layer of 10⁵ parcels is
already too heavy for it (``gis map`` refuses more, see :data:`gis.maps.QUICK_LOOK_MAX`);
the workbench (``gis serve``) sends such a layer as vector tiles instead.
:class:`TiledLayer` holds one layer (EPSG:4326) with what every tile needs,
computed once: an STRtree over the features, each feature's box in Web
Mercator, the first zoom at which it is drawn as itself, and the features sorted
along a Z-order curve of their centres. :meth:`TiledLayer.tile` then answers a
tile ``z/x/y`` (XYZ scheme, 256-pixel tiles, extent 4096) in milliseconds:

* **Features** (MVT layer ``features``): every feature at least
  :data:`DETAIL_PX` pixels across at this zoom, clipped :data:`BUFFER` units
  beyond the tile's edges (``shapely.clip_by_rect``), simplified to half a pixel
  (what no screen shows: a straight edge's intermediate vertices), coordinates on
  the tile's integer grid. Each carries its row
  number as the MVT feature id and the attributes the page styles and labels
  with: ``id``, ``name``, the class field, and the measured area ``mu`` (亩, CGCS2000
  ellipsoid, :func:`gis.geometry.polygon_area`, computed the first time a tile
  holds the feature).
* **Cells** (MVT layer ``cells``): features smaller than that — 10⁶ parcels at
  zoom 12 are 2 pixels each — are not dropped but shown where they are: the
  cells of :data:`CELL_PX` pixels that hold a small feature's centre, as one MVT
  feature a tile (a MultiPolygon of the runs of such cells along each row;
  ``count``: the features it summarises), so that a browser fills one path a
  tile rather than thousands of little squares. From the zoom at which a feature is
  :data:`DETAIL_PX` pixels across (:attr:`TiledLayer.detail_zoom` for the median
  feature), it is drawn as itself; clicking anywhere answers the feature under the
  pointer at every zoom (:meth:`TiledLayer.feature_at`), exact geometry and area.
* **Empty tiles** are answered at once (``b""``; the server sends 204).

The tile is the protobuf message of the ``mapbox-vector-tile`` package (its
compiled ``vector_tile.proto``); the geometry commands are computed with numpy
for all features of a tile at once, because the package's own encoder walks
every coordinate in Python (~60 µs a parcel, 60 ms for a tile of 10³ parcels).
The tests decode tiles with ``mapbox_vector_tile.decode``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from gis.crs import LAYER_CRS
from gis.errors import InputError
from gis.geometry import LINE_TYPES, POINT_TYPES, POLYGON_TYPES, parts_of, polygon_area
from gis.units import from_square_metres, round_half_up, round_half_up_each

#: Units across a tile (the MVT default).
EXTENT = 4096
#: Tile units kept beyond each edge, so that outlines do not show seams.
BUFFER = 64
#: Pixels across a 256-pixel tile.
TILE_PX = 256
#: A feature is drawn as itself from the zoom at which it is this many pixels across.
DETAIL_PX = 8
#: Smaller features are summarised in cells of this many pixels (64 × 64 cells a tile).
CELL_PX = 4
#: Deepest zoom of the tiles (the page draws deeper zooms from these).
MAX_ZOOM = 16
#: Zooms up to which a tile looks only among the features drawn there (a second STRtree).
COARSE_ZOOM = 12
#: Geometries are simplified to this many tile units in a tile (half a pixel).
SIMPLIFY_UNITS = EXTENT / TILE_PX / 2
#: Fields whose values colour the features (the first one a layer has), besides a map definition's.
CLASS_FIELDS = ("land_use", "DLBM", "dlbm", "地类编码", "地类", "class", "role", "status", "type")
#: Fields taken as a feature's name (the first one a layer has).
NAME_FIELDS = ("name", "NAME", "Name", "名称", "项目名称", "地块名称", "XMMC", "MC", "DLMC")
#: Attributes a point query answers at most (besides id, name, class and the measured area).
POPUP_FIELDS = 12

_MORTON_LEVEL = 16
_CELLS = TILE_PX // CELL_PX


# --- Web Mercator ------------------------------------------------------------------------------------------------

def mercator(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Return Web Mercator coordinates normalised to the world square [0, 1]², y down (tile order).

    Examples
    --------
    >>> [round(float(v), 6) for v in mercator(0.0, 0.0)]
    [0.5, 0.5]
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.clip(np.asarray(lat, dtype=float), -85.0511287798, 85.0511287798)
    x = (lon + 180.0) / 360.0
    y = 0.5 - np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) / (2 * np.pi)
    return x, y


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Return a tile's ``(west, south, east, north)`` in degrees.

    Examples
    --------
    >>> [round(v, 4) for v in tile_bounds(1, 1, 0)]
    [0.0, 0.0, 180.0, 85.0511]
    """
    n = 2.0 ** z

    def lat(row: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y)


def tile_at(lon: float, lat: float, z: int) -> tuple[int, int]:
    """Return the ``(x, y)`` of the tile at zoom ``z`` holding a point.

    Examples
    --------
    >>> tile_at(120.7, 28.0, 12)
    (3421, 1715)
    """
    mx, my = mercator(lon, lat)
    n = 2 ** z
    return min(n - 1, int(float(mx) * n)), min(n - 1, int(float(my) * n))


def check_tile(z: int, x: int, y: int) -> None:
    """Refuse a tile address outside the pyramid (:class:`~gis.errors.InputError`)."""
    if not 0 <= z <= MAX_ZOOM:
        raise InputError(f"zoom {z} is outside 0–{MAX_ZOOM}")
    if not (0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise InputError(f"tile {z}/{x}/{y} is outside the zoom-{z} grid (0–{2 ** z - 1})")


def _spread(v: np.ndarray) -> np.ndarray:
    """Spread 16-bit integers' bits apart (bit i to bit 2i), for Z-order keys."""
    v = v.astype(np.uint64) & np.uint64(0xFFFF)
    for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def _morton(qx: np.ndarray, qy: np.ndarray) -> np.ndarray:
    return _spread(qx) | (_spread(qy) << np.uint64(1))


# --- encoding ------------------------------------------------------------------------------------------------------

_MOVE, _LINE, _CLOSE = 1, 2, 7


def _command(cmd: int, count) -> np.ndarray:
    return (np.asarray(count, dtype=np.int64) << 3) | cmd


def _zigzag(v: np.ndarray) -> np.ndarray:
    return (v << 1) ^ (v >> 63)


def _rounded(coords: np.ndarray, starts: np.ndarray, closing: bool) -> tuple[np.ndarray, np.ndarray]:
    """Round paths to the integer grid, drop repeated points (and a ring's closing point).

    ``coords`` holds the paths one after another, path ``k`` starting at ``starts[k]``.
    Returns the kept points and each path's number of kept points.
    """
    pts = np.rint(coords).astype(np.int64)
    n = len(pts)
    path = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, n)))
    keep = np.ones(n, dtype=bool)
    if closing:  # the last point of each ring repeats the first
        ends = np.append(starts[1:], n) - 1
        keep[ends] = False
    same = np.zeros(n, dtype=bool)
    same[1:] = (pts[1:] == pts[:-1]).all(axis=1) & (path[1:] == path[:-1])
    keep &= ~same
    if closing:  # after rounding, a ring may end where it starts
        kept = np.flatnonzero(keep)
        first_of = np.full(len(starts), -1)
        last_of = np.full(len(starts), -1)
        kp = path[kept]
        first_of[kp[::-1]] = kept[::-1]  # where an index repeats, the last assignment holds
        last_of[kp] = kept
        has = first_of >= 0
        dup = has & (first_of != last_of) & (pts[np.maximum(last_of, 0)] == pts[np.maximum(first_of, 0)]).all(axis=1)
        keep[last_of[dup]] = False
    counts = np.bincount(path[keep], minlength=len(starts))
    return pts[keep], counts


def _paths(points: np.ndarray, counts: np.ndarray, owner: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the commands of paths (rings, lines or point sets) and where each path's commands start.

    ``owner`` gives each path's feature (paths of a feature are consecutive); the
    cursor runs on through a feature's paths and starts at (0, 0) for each feature.
    """
    starts = np.cumsum(counts) - counts
    feature_of_point = np.repeat(owner, counts)
    prev = np.vstack([np.zeros((1, 2), dtype=np.int64), points[:-1]])
    first_of_feature = np.ones(len(points), dtype=bool)
    first_of_feature[1:] = feature_of_point[1:] != feature_of_point[:-1]
    prev[first_of_feature] = 0
    deltas = _zigzag(points - prev)
    k = np.arange(len(points)) - np.repeat(starts, counts)  # a point's place in its path
    if kind == "point":  # MoveTo(n) then n pairs
        size = 1 + 2 * counts
        at = np.cumsum(size) - size
        out = np.empty(int(size.sum()), dtype=np.int64)
        out[at] = _command(_MOVE, counts)
        pos = np.repeat(at, counts) + 1 + 2 * k
    else:  # MoveTo(1) x y LineTo(n-1) pairs [ClosePath]
        size = 2 * counts + (3 if kind == "ring" else 2)
        at = np.cumsum(size) - size
        out = np.empty(int(size.sum()), dtype=np.int64)
        out[at] = _command(_MOVE, 1)
        out[at + 3] = _command(_LINE, counts - 1)
        if kind == "ring":
            out[at + size - 1] = _command(_CLOSE, 1)
        pos = np.repeat(at, counts) + 1 + 2 * k + (k >= 1)
    out[pos] = deltas[:, 0]
    out[pos + 1] = deltas[:, 1]
    return out, at


def _encode_geometries(geoms: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    """Encode geometries in tile units (y down) as MVT commands.

    Returns which of them have a geometry left (a ring or line that rounds to
    nothing is dropped), their MVT type (1 point, 2 line, 3 polygon) and commands.
    """
    kinds = shapely.get_type_id(geoms)
    mvt_type = np.zeros(len(geoms), dtype=np.int64)
    mvt_type[np.isin(kinds, POINT_TYPES)] = 1
    mvt_type[np.isin(kinds, LINE_TYPES)] = 2
    mvt_type[np.isin(kinds, POLYGON_TYPES)] = 3
    commands: list[list[int] | None] = [None] * len(geoms)
    for kind_id, kind in ((3, "ring"), (2, "line"), (1, "point")):
        sel = np.flatnonzero(mvt_type == kind_id)
        if not len(sel):
            continue
        parts, part_owner = shapely.get_parts(geoms[sel], return_index=True)
        if kind == "ring":
            parts = shapely.orient_polygons(parts, exterior_cw=False)  # y down: clockwise on the screen
            paths, path_part = shapely.get_rings(parts, return_index=True)
            exterior = np.ones(len(paths), dtype=bool)
            exterior[1:] = path_part[1:] != path_part[:-1]
        elif kind == "line":
            paths, path_part = parts, np.arange(len(parts))
        else:
            paths, path_part = parts, np.arange(len(parts))
        coords, coord_path = shapely.get_coordinates(paths, return_index=True)
        starts = np.searchsorted(coord_path, np.arange(len(paths)))
        points, counts = _rounded(coords, starts, closing=kind == "ring")
        if kind == "ring":
            good = counts >= 3
            good_part = np.zeros(len(parts), dtype=bool)
            good_part[path_part[exterior & good]] = True  # a ring whose exterior is gone goes too
            good &= good_part[path_part]
        elif kind == "line":
            good = counts >= 2
        else:
            good = counts >= 1
        owner = part_owner[path_part]
        if kind == "point":  # one path per feature: all its points after one MoveTo
            order = np.flatnonzero(good)
            pts = points[np.repeat(good, counts)]
            feature_counts = np.bincount(owner[order], minlength=len(sel))
            present = np.flatnonzero(feature_counts)
            out, at = _paths(pts, feature_counts[present], present, "point")
            ends = np.append(at[1:], len(out))
            flat = out.tolist()
            for f, s, e in zip(present, at, ends, strict=True):
                commands[sel[f]] = flat[s:e]
            continue
        pts = points[np.repeat(good, counts)]
        out, at = _paths(pts, counts[good], owner[good], kind)
        owners = owner[good]
        if not len(owners):
            continue
        first = np.ones(len(owners), dtype=bool)
        first[1:] = owners[1:] != owners[:-1]
        f_start = at[first]
        f_end = np.append(f_start[1:], len(out))
        flat = out.tolist()
        for f, s, e in zip(owners[first], f_start, f_end, strict=True):
            commands[sel[f]] = flat[s:e]
    present = np.array([c is not None for c in commands], dtype=bool)
    return present, mvt_type, commands


def _value(value):
    from mapbox_vector_tile.Mapbox import vector_tile_pb2

    if isinstance(value, (bool, np.bool_)):
        return vector_tile_pb2.tile.value(bool_value=bool(value))
    if isinstance(value, (int, np.integer)):
        return vector_tile_pb2.tile.value(sint_value=int(value))
    if isinstance(value, (float, np.floating)):
        return vector_tile_pb2.tile.value(double_value=float(value))
    return vector_tile_pb2.tile.value(string_value=str(value))


def _values(layer, columns: dict[str, np.ndarray]) -> np.ndarray:
    """Add the keys and values of ``columns`` to an MVT layer; return each feature's tags (−1 for none)."""
    from mapbox_vector_tile.Mapbox import vector_tile_pb2

    n = len(next(iter(columns.values()))) if columns else 0
    tags = np.full((n, 2 * len(columns)), -1, dtype=np.int64)
    offset = 0
    for k, (key, values) in enumerate(columns.items()):
        layer.keys.append(key)
        codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
        kinds = {type(v) for v in uniques}
        if kinds <= {str}:
            layer.values.extend([vector_tile_pb2.tile.value(string_value=v) for v in uniques])
        elif kinds <= {float}:
            layer.values.extend([vector_tile_pb2.tile.value(double_value=v) for v in uniques])
        else:
            layer.values.extend([_value(v) for v in uniques])
        ok = codes >= 0
        tags[ok, 2 * k] = k
        tags[ok, 2 * k + 1] = codes[ok] + offset
        offset += len(uniques)
    return tags


def _add_layer(tile, name: str, geoms: np.ndarray, ids: np.ndarray, columns: dict[str, np.ndarray]) -> int:
    """Add an MVT layer of features in tile units to ``tile``; return how many were kept."""
    from mapbox_vector_tile.Mapbox import vector_tile_pb2

    present, mvt_type, commands = _encode_geometries(geoms)
    if not present.any():
        return 0
    layer = tile.layers.add()
    layer.name = name
    layer.version = 2
    layer.extent = EXTENT
    keep = np.flatnonzero(present)
    tags = _values(layer, {k: np.asarray(v, dtype=object)[keep] for k, v in columns.items()})
    feature = vector_tile_pb2.tile.feature
    complete = bool((tags >= 0).all())
    rows = tags.tolist()
    layer.features.extend(
        feature(id=int(i), type=int(t), geometry=commands[j],
                tags=row if complete else [v for v in row if v >= 0])
        for j, i, t, row in zip(keep, ids[keep], mvt_type[keep], rows, strict=True))
    return len(keep)


# --- a layer as tiles ------------------------------------------------------------------------------------------------

def _first_field(gdf: gpd.GeoDataFrame, candidates: tuple[str, ...]) -> str | None:
    return next((c for c in candidates if c in gdf.columns and c != gdf.geometry.name), None)


def _text(values) -> np.ndarray:
    out = pd.Series(values, dtype=object).where(pd.notna(values), None)
    return np.array([None if v is None else str(v) for v in out], dtype=object)


@dataclass(frozen=True)
class TileStats:
    """What one tile holds: features drawn as themselves, summarised features, cells."""

    features: int
    summarised: int
    cells: int


class TiledLayer:
    """A layer ready to be cut into vector tiles and queried by point.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The features (any CRS; reprojected to EPSG:4326). Features without geometry are left out.
    name : str
        The layer's name (in the TileJSON).
    class_field : str, optional
        The field whose values colour the features; by default the first of
        :data:`CLASS_FIELDS` the layer has.

    Examples
    --------
    >>> from gis.synthetic import parcels
    >>> layer = TiledLayer(parcels(400, seed=1), name="parcels")
    >>> layer.class_field, len(layer), layer.detail_zoom
    ('land_use', 400, 14)
    >>> import mapbox_vector_tile
    >>> z, (x, y) = 15, tile_at(120.621, 27.801, 15)
    >>> decoded = mapbox_vector_tile.decode(layer.tile(z, x, y), default_options={"y_coord_down": True})
    >>> sorted(decoded["features"]["features"][0]["properties"])
    ['id', 'land_use', 'mu']
    """

    def __init__(self, gdf: gpd.GeoDataFrame, *, name: str, class_field: str | None = None) -> None:
        if gdf.crs is None:
            raise InputError(f"{name} has no CRS")
        if not gdf.crs.equals(LAYER_CRS) and gdf.crs.to_epsg() != 4326:
            gdf = gdf.to_crs(LAYER_CRS)
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        collections = shapely.get_type_id(geoms) == shapely.GeometryType.GEOMETRYCOLLECTION
        if collections.any():
            geoms = geoms.copy()
            geoms[collections] = parts_of(geoms[collections], POLYGON_TYPES)
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        self.frame = gdf.drop(columns=gdf.geometry.name)[present].reset_index(drop=True)
        self.geoms = geoms[present]
        self.name = name
        n = len(self.geoms)
        id_field = "id" if "id" in self.frame.columns else None
        self.ids = _text(self.frame[id_field]) if id_field else np.array([f"#{k + 1}" for k in range(n)], dtype=object)
        self.name_field = _first_field(self.frame.assign(geometry=None), NAME_FIELDS)
        self.names = _text(self.frame[self.name_field]) if self.name_field else None
        self.class_field = class_field if class_field in self.frame.columns else _first_field(
            self.frame.assign(geometry=None), CLASS_FIELDS)
        self.classes = _text(self.frame[self.class_field]) if self.class_field else None
        self._class_values = [str(v) for v in pd.unique(pd.Series(self.classes).dropna())] \
            if self.classes is not None else []
        kinds = shapely.get_type_id(self.geoms)
        self.polygonal = np.isin(kinds, POLYGON_TYPES)
        self.points = np.isin(kinds, POINT_TYPES)
        bounds = shapely.bounds(self.geoms)
        self.bounds = tuple(float(v) for v in (bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(),
                                               bounds[:, 3].max())) if n else (0.0, 0.0, 0.0, 0.0)
        x0, y1 = mercator(bounds[:, 0], bounds[:, 1])
        x1, y0 = mercator(bounds[:, 2], bounds[:, 3])
        size = np.maximum(x1 - x0, y1 - y0)
        with np.errstate(divide="ignore"):
            first = np.ceil(np.log2(DETAIL_PX / (np.maximum(size, 1e-300) * TILE_PX)))
        first[self.points] = 0
        self.first_zoom = np.clip(first, 0, MAX_ZOOM + 1).astype(np.int8)
        self._cx, self._cy = (x0 + x1) / 2, (y0 + y1) / 2
        scale = 2 ** _MORTON_LEVEL
        keys = _morton(np.clip(self._cx * scale, 0, scale - 1).astype(np.uint64),
                       np.clip(self._cy * scale, 0, scale - 1).astype(np.uint64))
        self._order = np.argsort(keys, kind="stable")
        self._keys = keys[self._order]
        self.tree = shapely.STRtree(self.geoms)
        self._coarse = np.flatnonzero(self.first_zoom <= COARSE_ZOOM)
        self._coarse_tree = shapely.STRtree(self.geoms[self._coarse])
        self._area_m2 = np.full(n, np.nan)

    def __len__(self) -> int:
        return len(self.geoms)

    @property
    def detail_zoom(self) -> int:
        """The zoom from which the median feature is drawn as itself (smaller zooms summarise it in cells)."""
        return int(np.median(self.first_zoom)) if len(self) else 0

    # --- areas ---------------------------------------------------------------------------------------------
    def area_m2(self, rows: np.ndarray) -> np.ndarray:
        """Ellipsoidal areas (m², :func:`gis.geometry.polygon_area`) of some rows, computed once each."""
        rows = np.asarray(rows, dtype=np.int64)
        todo = rows[np.isnan(self._area_m2[rows])]
        if len(todo):
            self._area_m2[todo] = polygon_area(self.geoms[todo])
        return self._area_m2[rows]

    def area_mu(self, rows: np.ndarray) -> np.ndarray:
        """Areas in 亩 rounded to 2 decimals as ``gis area`` gives them (NaN for lines and points)."""
        rows = np.asarray(rows, dtype=np.int64)
        mu = round_half_up_each(from_square_metres(self.area_m2(rows), "mu"), 2).astype(float)
        mu[~self.polygonal[rows]] = np.nan
        return mu

    # --- tiles ---------------------------------------------------------------------------------------------
    def metadata(self) -> dict:
        """TileJSON-like metadata (without the URL, which the server adds)."""
        west, south, east, north = self.bounds
        fields = {"id": "String", "mu": "Number（亩，CGCS2000 椭球面积）"}
        if self.name_field:
            fields["name"] = f"String（{self.name_field}）"
        if self.class_field:
            fields[self.class_field] = "String"
        return {"tilejson": "3.0.0", "name": self.name, "scheme": "xyz", "minzoom": 0, "maxzoom": MAX_ZOOM,
                "bounds": [west, south, east, north], "center": [(west + east) / 2, (south + north) / 2,
                                                                 max(0, self.detail_zoom - 2)],
                "features": len(self), "class_field": self.class_field,
                "classes": self._class_values[:200],
                "detail_zoom": self.detail_zoom, "detail_px": DETAIL_PX, "cell_px": CELL_PX,
                "vector_layers": [{"id": "features", "fields": fields, "minzoom": 0, "maxzoom": MAX_ZOOM},
                                  {"id": "cells", "fields": {"count": "Number（其中汇总的要素数）"},
                                   "minzoom": 0, "maxzoom": MAX_ZOOM}]}

    def tile(self, z: int, x: int, y: int) -> bytes:
        """Return tile ``z/x/y`` as MVT bytes, ``b""`` when nothing is there."""
        return self.tile_with_stats(z, x, y)[0]

    def tile_with_stats(self, z: int, x: int, y: int) -> tuple[bytes, TileStats]:
        """Return tile ``z/x/y`` and what it holds (see :class:`TileStats`)."""
        from mapbox_vector_tile.Mapbox import vector_tile_pb2

        check_tile(z, x, y)
        tile = vector_tile_pb2.tile()
        drawn = self._features(tile, z, x, y)
        summarised, cells = self._cells(tile, z, x, y)
        if not drawn and not cells:
            return b"", TileStats(0, 0, 0)
        return tile.SerializeToString(), TileStats(drawn, summarised, cells)

    def _features(self, tile, z: int, x: int, y: int) -> int:
        west, south, east, north = tile_bounds(z, x, y)
        pad_x, pad_y = (east - west) * BUFFER / EXTENT, (north - south) * BUFFER / EXTENT
        query = shapely.box(west - pad_x, south - pad_y, east + pad_x, north + pad_y)
        coarse = z <= COARSE_ZOOM
        rows = self._coarse[self._coarse_tree.query(query)] if coarse else self.tree.query(query)
        rows = np.sort(rows[self.first_zoom[rows] <= z])
        if not len(rows):
            return 0
        n = 2.0 ** z

        def to_tile(coords: np.ndarray) -> np.ndarray:
            mx, my = mercator(coords[:, 0], coords[:, 1])
            return np.column_stack([(mx * n - x) * EXTENT, (my * n - y) * EXTENT])

        geoms = shapely.transform(self.geoms[rows], to_tile)
        geoms = shapely.simplify(geoms, SIMPLIFY_UNITS, preserve_topology=True)
        b = shapely.bounds(geoms)
        lo, hi = -BUFFER, EXTENT + BUFFER
        crossing = (b[:, 0] < lo) | (b[:, 1] < lo) | (b[:, 2] > hi) | (b[:, 3] > hi)
        if crossing.any():
            geoms[crossing] = shapely.clip_by_rect(geoms[crossing], lo, lo, hi, hi)
        ok = ~(shapely.is_empty(geoms) | shapely.is_missing(geoms))
        rows, geoms = rows[ok], geoms[ok]
        columns: dict[str, np.ndarray] = {"id": self.ids[rows]}
        if self.names is not None:
            columns["name"] = self.names[rows]
        if self.classes is not None:
            columns[self.class_field] = self.classes[rows]
        if self.polygonal[rows].any():
            columns["mu"] = np.array([None if math.isnan(v) else v for v in self.area_mu(rows)], dtype=object)
        return _add_layer(tile, "features", geoms, rows, columns)

    def _cells(self, tile, z: int, x: int, y: int) -> tuple[int, int]:
        shift = np.uint64(2 * (_MORTON_LEVEL - z))
        start = _morton(np.array([x], dtype=np.uint64), np.array([y], dtype=np.uint64))[0] << shift
        end = (_morton(np.array([x], dtype=np.uint64), np.array([y], dtype=np.uint64))[0] + np.uint64(1)) << shift
        a, b = np.searchsorted(self._keys, [start, end])
        rows = self._order[a:b]
        rows = rows[self.first_zoom[rows] > z]
        if not len(rows):
            return 0, 0
        n = 2.0 ** z
        cx = np.clip(((self._cx[rows] * n - x) * _CELLS).astype(np.int64), 0, _CELLS - 1)
        cy = np.clip(((self._cy[rows] * n - y) * _CELLS).astype(np.int64), 0, _CELLS - 1)
        cell = cy * _CELLS + cx
        total = np.bincount(cell, minlength=_CELLS * _CELLS)
        used = total > 0
        # Runs of used cells along a row become one rectangle; all of a tile's rectangles, one feature.
        edge = np.diff(np.concatenate([np.zeros((_CELLS, 1), bool), used.reshape(_CELLS, _CELLS),
                                       np.zeros((_CELLS, 1), bool)], axis=1).astype(np.int8), axis=1)
        row, col0 = np.nonzero(edge == 1)
        _, col1 = np.nonzero(edge == -1)
        size = EXTENT / _CELLS
        runs = shapely.box(col0 * size, row * size, col1 * size, (row + 1) * size)
        _add_layer(tile, "cells", np.array([shapely.multipolygons(runs)], dtype=object), np.array([0]),
                   {"count": np.array([len(rows)], dtype=object)})
        return len(rows), int(used.sum())

    # --- queries -------------------------------------------------------------------------------------------
    def feature_at(self, lon: float, lat: float, z: int = MAX_ZOOM) -> int | None:
        """Return the row of the feature under a point, or ``None`` if there is none.

        A polygon holding the point (the smallest), else the nearest line or point within 4 pixels at zoom ``z``.
        """
        point = shapely.Point(lon, lat)
        rows = self.tree.query(point, predicate="intersects")
        rows = rows[self.polygonal[rows]]
        if len(rows):
            return int(rows[np.argmin(self.area_m2(rows))])
        pixel = 360.0 / (TILE_PX * 2 ** max(0, min(z, 22))) * 4
        rows = self.tree.query(point, predicate="dwithin", distance=pixel)
        if not len(rows):
            return None
        return int(rows[np.argmin(shapely.distance(self.geoms[rows], point))])

    def describe(self, row: int) -> dict:
        """Return what the page shows for one feature: attributes, measured area, geometry (GeoJSON)."""
        record = json.loads(self.frame.iloc[[row]].iloc[:, :POPUP_FIELDS].to_json(
            orient="records", force_ascii=False, date_format="iso", default_handler=str))[0]
        area = float(self.area_m2(np.array([row]))[0]) if self.polygonal[row] else None
        out = {"layer": self.name, "row": int(row), "id": self.ids[row],
               "name": self.names[row] if self.names is not None else None,
               "class_field": self.class_field, "class": self.classes[row] if self.classes is not None else None,
               "properties": record, "area_m2": None, "area_mu": None, "area_ha": None,
               "geometry": json.loads(shapely.to_geojson(
                   shapely.transform(self.geoms[row], lambda c: np.round(c, 7))))}
        if area is not None:
            out["area_m2"] = round_half_up(area, 2)
            out["area_mu"] = round_half_up(from_square_metres(area, "mu"), 2)
            out["area_ha"] = round_half_up(from_square_metres(area, "ha"), 4)
        return out

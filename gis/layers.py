"""The shipped layers: their names, and reading them by name or from any file.

Each layer is one GeoJSON file in ``layers/`` (EPSG:4326, 6 decimals).
:func:`read_layer` reads one by name; :func:`open_source` accepts either a
shipped layer name or the path of a planner's own file, so that every command
takes both.
"""

from __future__ import annotations

import functools
from pathlib import Path

import geopandas as gpd
import shapely

from gis import settings
from gis.errors import LayerNotFoundError
from gis.io import SourceInfo, note_input, read_vector

#: Plan layers in the order reports list them.
PLAN_LAYERS: tuple[str, ...] = ("zones", "corridors", "platforms", "reclamation", "projects")


def list_layers() -> list[str]:
    """Return the names of the shipped layers, plan layers first.

    Examples
    --------
    >>> list_layers()[:3]
    ['zones', 'corridors', 'platforms']
    """
    folder = settings.get_layers_folder()
    names = sorted(p.stem for p in folder.glob("*.geojson"))
    if not names:
        raise LayerNotFoundError(f"no layers (*.geojson) in {folder}; set GIS_LAYERS_FOLDER to the layers folder")
    return [n for n in PLAN_LAYERS if n in names] + [n for n in names if n not in PLAN_LAYERS]


def layer_path(name: str) -> Path:
    """Return the file of a shipped layer.

    Raises
    ------
    LayerNotFoundError
        If no shipped layer has that name.
    """
    path = settings.get_layers_folder() / f"{name}.geojson"
    if not path.exists():
        known = ", ".join(list_layers())
        raise LayerNotFoundError(f"no shipped layer {name!r} and no such file; layers: {known}")
    return path


def is_shipped_layer(name: str) -> bool:
    """Return whether ``name`` is the name of a shipped layer.

    Examples
    --------
    >>> is_shipped_layer("zones"), is_shipped_layer("zones.geojson")
    (True, False)
    """
    if not name or any(ch in name for ch in "/\\."):
        return False
    return (settings.get_layers_folder() / f"{name}.geojson").is_file()


@functools.lru_cache(maxsize=32)
def _read_cached(path: str, stamp: tuple[int, int]) -> gpd.GeoDataFrame:
    gdf, _ = read_vector(path)
    return gdf


def read_layer(name: str) -> gpd.GeoDataFrame:
    """Read a shipped layer by name.

    Each file is parsed once per change (a cache keyed by its modification time);
    every call returns a copy the caller may change.

    Parameters
    ----------
    name : str
        One of :func:`list_layers`.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer in EPSG:4326.

    Examples
    --------
    >>> read_layer("zones").crs.to_epsg()
    4326
    """
    path = layer_path(name)
    note_input(path)
    stat = path.stat()
    return _read_cached(str(path), (stat.st_mtime_ns, stat.st_size)).copy()


def read_layers(names: list[str] | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Read shipped layers by name (all of them by default), in :func:`list_layers` order.

    Raises
    ------
    LayerNotFoundError
        Naming the first unknown layer and the shipped ones.
    """
    return {name: read_layer(name) for name in (list_layers() if names is None else names)}


def is_file_argument(source: str) -> bool:
    """Return whether a command-line SOURCE names a file rather than a shipped layer."""
    return any(ch in source for ch in "/\\.") or Path(source).exists()


def open_source(
    source: str,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    crs: object = None,
    sql: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    columns: list[str] | None = None,
) -> tuple[gpd.GeoDataFrame, SourceInfo]:
    """Open a shipped layer by name, a planner's file by path, a GeoParquet dataset, or PostGIS.

    Parameters
    ----------
    source : str
        A layer name such as ``"platforms"``, a file path, a GeoParquet file or
        folder, or a ``postgresql://`` URL (with ``layer`` = a table, or ``sql``).
    layer, encoding, crs
        As for :func:`gis.io.read_vector` (files only).
    sql : str, optional
        A query, for a PostGIS source.
    bbox : tuple of float or array of boxes, optional
        ``(minlon, minlat, maxlon, maxlat)``, or an ``(n, 4)`` array of boxes: read only features
        whose box meets one — through the file's spatial index, a GeoParquet bbox column, or the
        table's GiST index — rather than the whole source (see :mod:`gis.window`; a shipped layer
        is filtered after reading).
    columns : list of str, optional
        Read only these attribute fields (those of them the source has) besides the geometry.

    Returns
    -------
    tuple
        The GeoDataFrame and how it was read; ``info.name`` is the layer name
        for a shipped layer and the file name otherwise.
    """
    from gis.postgis import is_postgis, read_postgis

    if is_postgis(source):
        return read_postgis(source, layer=layer, sql=sql, bbox=bbox)
    if _is_parquet(source):
        return _read_parquet(Path(source), bbox, columns)
    if not is_file_argument(source):
        path = layer_path(source)
        gdf = read_layer(source)
        if bbox is not None:
            from gis.window import as_boxes

            hits = gdf.sindex.query(shapely.box(*as_boxes(bbox).T), predicate="intersects")[1]
            gdf = gdf.iloc[sorted(set(hits.tolist()))]
        return gdf, SourceInfo(name=source, path=path)
    return read_vector(source, layer=layer, encoding=encoding, crs=crs, bbox=bbox, columns=columns)


def _is_parquet(source: str) -> bool:
    """Return whether :func:`open_source` reads ``source`` as GeoParquet (a ``.parquet`` file, or a folder of them)."""
    return source.endswith(".parquet") or Path(source).is_dir()


def _read_parquet(path: Path, bbox=None, columns=None) -> tuple[gpd.GeoDataFrame, SourceInfo]:
    from gis.errors import DataSourceError

    if not path.exists():
        raise DataSourceError(f"{path}: no such file or folder")
    note_input(path)
    info = SourceInfo(name=path.name, path=path)
    try:
        gdf = gpd.read_parquet(path) if bbox is None else _parquet_where(path, bbox, info, columns)
    except DataSourceError:
        raise
    except Exception as exc:
        raise DataSourceError(f"{path}: cannot read it as GeoParquet: {str(exc).splitlines()[0]}") from None
    return gdf.sort_index(), info


def _parquet_where(path: Path, bbox, info: SourceInfo, columns=None) -> gpd.GeoDataFrame:
    """Read the rows of a GeoParquet source that meet ``bbox`` (one box or several), from its bbox column."""
    import numpy as np

    from gis.crs import crs_of
    from gis.window import as_boxes, parquet_rows

    boxes = as_boxes(bbox)
    found = parquet_rows(path, boxes, columns)
    if found is None:
        gdf = gpd.read_parquet(path)
        info.notes.append(f"{path.name}: no bbox column, so the whole dataset was read and then filtered")
        hits = gdf.to_crs("EPSG:4326").sindex.query(shapely.box(*boxes.T), predicate="intersects")[1]
        return gdf.iloc[np.unique(hits)]
    table, shapes, geo = found
    column = geo.get("primary_column", "geometry")
    frame = table.to_pandas()
    crs = geo.get("columns", {}).get(column, {}).get("crs", "OGC:CRS84")
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(shapes, index=frame.index, name=column),
                            crs=crs_of(crs if crs is not None else "EPSG:4326"))


def holds_no_features(source: str, *, layer: str | None = None) -> bool:
    """Return whether a file, GeoParquet dataset or PostGIS table certainly holds no features at all.

    For telling a layer that has no features anywhere from one that has none near
    some sites (a read by boxes gives neither any). ``False`` when the source cannot
    say (a query, a server that does not answer, a file GDAL cannot count); a shipped
    layer is never empty.
    """
    import pyogrio

    from gis.postgis import is_postgis, table_is_empty

    if is_postgis(source):
        return layer is not None and table_is_empty(source, layer) is True
    if not is_file_argument(source):
        return False
    try:
        if _is_parquet(source):
            import pyarrow.dataset as ds

            return ds.dataset(source, format="parquet").count_rows() == 0
        return pyogrio.read_info(source, layer=layer, force_feature_count=True)["features"] == 0
    except Exception:  # the read itself says what is wrong with the source
        return False


def layer_summary(names: list[str] | None = None) -> list[dict[str, object]]:
    """Summarise shipped layers: features, geometry types, documented and measured areas.

    Parameters
    ----------
    names : list of str, optional
        Layers to summarise; all shipped layers by default.

    Returns
    -------
    list of dict
        One row per layer with ``layer``, ``features``, ``geometry``,
        ``with_documented_area`` and ``area_km2`` (ellipsoidal area of the
        layer's polygons dissolved, so overlaps count once; ``None`` for lines
        and points).
    """
    from gis.area import ellipsoidal_area, is_polygonal
    from gis.dissolve import dissolved_areas
    from gis.measure import measurer

    rows = []
    for name in names or list_layers():
        gdf = read_layer(name)
        polygons = gdf[is_polygonal(gdf.geometry)]
        area_km2 = None
        if len(polygons):
            geoms = polygons.geometry.to_numpy()
            dissolved = dissolved_areas(geoms, ellipsoidal_area(geoms, crs=gdf.crs), measurer(gdf.crs, "ellipsoidal"))
            area_km2 = round(float(dissolved[0]) / 1e6, 2)
        documented = int(gdf["documented_area"].notna().sum()) if "documented_area" in gdf else 0
        rows.append({
            "layer": name,
            "features": len(gdf),
            "geometry": ", ".join(sorted(set(gdf.geom_type.dropna()))),
            "with_documented_area": documented,
            "area_km2": area_km2,
        })
    return rows

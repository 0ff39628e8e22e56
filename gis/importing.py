"""Bringing a planner's file into a layer of ours: ``gis import``.

Reads Shapefile, GeoPackage (any layer), GeoJSON, FlatGeobuf, KML, and CSV/XLSX
tables with coordinate columns (lon/lat, or GK x/y with ``--crs``); decodes
``.dbf`` text in the encoding its bytes prove; takes the CRS from the file, from
``--crs``, or refuses with a suggestion; converts GCJ-02 and BD-09 web-map
coordinates to WGS84; repairs invalid geometries with ``make_valid`` and reports
each repair by feature; maps fields onto our schema (``--map name=项目名称``) and
reports what did not map; writes a diff-friendly GeoJSON layer and says whether
it passes ``gis check``, and if not, exactly why.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from gis import schema
from gis.check import Problem, check_layers
from gis.crs import GCJ02_NAMES, LAYER_CRS, gcj02_to_wgs84, guess_crs, parse_crs, to_lonlat
from gis.errors import CRSError, DataSourceError, FieldError, GeometryError, InputError
from gis.io import encoding_name, read_vector, write_geojson

BD09_NAMES = frozenset({"bd09", "bd-09", "bd_09", "baidu"})
TABLE_SUFFIXES = (".csv", ".xlsx", ".xls")
LON_NAMES = ("lon", "lng", "longitude", "经度", "x")
LAT_NAMES = ("lat", "latitude", "纬度", "y")


@dataclass
class ImportReport:
    """What ``gis import`` did and found."""

    features: int = 0
    notes: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    mapped: dict[str, str] = field(default_factory=dict)
    unmapped_source: list[str] = field(default_factory=list)
    missing_schema: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Convert Baidu BD-09 lon/lat to GCJ-02 (the public inverse of Baidu's offset)."""
    x = np.asarray(lon, dtype=float) - 0.0065
    y = np.asarray(lat, dtype=float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * np.pi * 3000.0 / 180.0)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * np.pi * 3000.0 / 180.0)
    return z * np.cos(theta), z * np.sin(theta)


def _read_table(path: Path, declared: bool, x_field: str | None, y_field: str | None,
                encoding: str | None = None) -> gpd.GeoDataFrame:
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            table = pd.read_excel(path)
        else:
            raw = path.read_bytes()
            if encoding:
                name = encoding_name(encoding)
            else:
                name = next((e for e in ("utf-8-sig", "gb18030") if _decodes(raw, e)), None)
                if name is None:
                    raise DataSourceError(f"{path}: the text is neither UTF-8 nor GBK/GB18030; "
                                          "name its encoding with `encoding`")
            table = pd.read_csv(io.BytesIO(raw), encoding=name)
    except DataSourceError:
        raise
    except UnicodeDecodeError as exc:
        raise DataSourceError(f"{path}: the text is not {encoding} (`encoding`): {exc.reason}") from None
    except Exception as exc:
        raise DataSourceError(f"{path}: cannot read it as a table: {str(exc).strip().splitlines()[0]}") from None
    lowered = {str(c).strip().lower(): c for c in table.columns}
    xcol = x_field or next((lowered[n] for n in LON_NAMES if n in lowered), None)
    ycol = y_field or next((lowered[n] for n in LAT_NAMES if n in lowered), None)
    if xcol is None or ycol is None or xcol not in table.columns or ycol not in table.columns:
        raise FieldError(f"{path}: no coordinate columns found (looked for lon/lat, 经度/纬度, x/y); "
                         "name them with `x_field` and `y_field`")
    xs = pd.to_numeric(table[xcol], errors="coerce")
    ys = pd.to_numeric(table[ycol], errors="coerce")
    bad = xs.isna() | ys.isna()
    if bad.any():
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad)[:5])
        raise FieldError(f"{path}: non-numeric coordinates in {xcol}/{ycol} on line(s) {rows}")
    gdf = gpd.GeoDataFrame(table.drop(columns=[xcol, ycol]), geometry=gpd.points_from_xy(xs, ys), crs=None)
    if not declared:
        guesses = guess_crs(tuple(gdf.total_bounds))
        hint = f"; its coordinates look like {guesses[0]}" if guesses else ""
        raise CRSError(f"{path.name} is a table with no CRS{hint}; declare it with `crs`")
    return gdf


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _to_wgs84_from_web(gdf: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    def convert(xy: np.ndarray) -> np.ndarray:
        lon, lat = xy[:, 0], xy[:, 1]
        if crs in BD09_NAMES:
            lon, lat = bd09_to_gcj02(lon, lat)
        return np.column_stack(gcj02_to_wgs84(lon, lat))

    out = gdf.set_crs(LAYER_CRS, allow_override=True)
    out["geometry"] = shapely.transform(np.asarray(out.geometry.values, dtype=object), convert)
    return out


def import_file(
    source: str | os.PathLike[str],
    *,
    schema_layer: str = "platforms",
    layer: str | None = None,
    encoding: str | None = None,
    crs: object = None,
    mapping: dict[str, str] | None = None,
    x_field: str | None = None,
    y_field: str | None = None,
    check: bool = True,
) -> tuple[gpd.GeoDataFrame, ImportReport]:
    """Read a planner's file and bring it onto our schema.

    Parameters
    ----------
    source : path-like
        The file.
    schema_layer : str
        Whose schema the result should follow (``platforms``, ``projects`` …).
    layer, encoding : optional
        As for :func:`gis.io.read_vector`.
    crs : optional
        The CRS of a file without one, or ``gcj02`` / ``bd09`` for web-map coordinates.
    mapping : dict, optional
        Our field → the file's field (``{"name": "项目名称"}``).
    x_field, y_field : str, optional
        Coordinate columns of a CSV/XLSX table.
    check : bool
        Check the result against the schema (``report.problems``); off for sites that need no schema.

    Returns
    -------
    tuple
        The layer (EPSG:4326) and an :class:`ImportReport`.
    """
    path = Path(source)
    report = ImportReport()
    web = str(crs).strip().lower() if crs is not None else None
    if path.suffix.lower() in TABLE_SUFFIXES:
        if not path.exists():
            raise DataSourceError(f"{path}: no such file")
        gdf = _read_table(path, crs is not None, x_field, y_field, encoding)
        gdf = gdf.set_crs(LAYER_CRS) if web in BD09_NAMES | GCJ02_NAMES else gdf.set_crs(parse_crs(crs))
    else:
        gdf, info = read_vector(path, layer=layer, encoding=encoding,
                                crs=None if web in BD09_NAMES else crs)
        report.notes.extend(info.notes)
        if web in BD09_NAMES and gdf.crs is None:
            gdf = gdf.set_crs(LAYER_CRS)
    if web in BD09_NAMES:
        gdf = _to_wgs84_from_web(gdf, web)
        report.notes.append(f"{path.name}: BD-09 coordinates converted to WGS84 (via GCJ-02, iterated)")
    elif web in GCJ02_NAMES and path.suffix.lower() in TABLE_SUFFIXES:
        gdf = _to_wgs84_from_web(gdf, web)
        report.notes.append(f"{path.name}: GCJ-02 coordinates converted to WGS84 (iterated inverse)")
    if len(gdf) == 0:
        raise InputError(f"{path.name} holds no features")
    gdf = to_lonlat(gdf, path.name)
    values = np.asarray(gdf.geometry.values, dtype=object)
    empty = shapely.is_missing(values) | shapely.is_empty(values)
    if empty.all():
        raise GeometryError(f"{path.name}: no feature has a geometry")
    if shapely.has_z(values[~empty]).any():
        gdf["geometry"] = shapely.force_2d(values)
        report.notes.append(f"{path.name}: Z/M coordinates dropped (heights are not planning data here)")
    mapping = dict(mapping or {})
    for ours, theirs in mapping.items():
        if theirs not in gdf.columns:
            known = ", ".join(c for c in gdf.columns if c != gdf.geometry.name)
            raise FieldError(f"`mapping` {ours}={theirs}: {path.name} has no field {theirs!r}; fields: {known}")
    gdf = gdf.rename(columns={theirs: ours for ours, theirs in mapping.items()})
    wanted = schema.required_fields(schema_layer)
    # Fields that differ from ours only in case (KML's Name, a GIS's ID) map by themselves.
    for col in list(gdf.columns):
        ours = next((w for w in wanted if w.lower() == str(col).lower() and w != col), None)
        if ours and ours not in gdf.columns:
            gdf = gdf.rename(columns={col: ours})
            mapping[ours] = str(col)
    report.mapped = mapping
    report.unmapped_source = [c for c in gdf.columns if c != gdf.geometry.name and c not in wanted]
    report.missing_schema = [f for f in wanted if f not in gdf.columns]
    ids = gdf["id"].astype(str) if "id" in gdf.columns else pd.Series([f"#{i + 1}" for i in range(len(gdf))])
    values = np.asarray(gdf.geometry.values, dtype=object)
    invalid = ~shapely.is_valid(values) & ~(shapely.is_missing(values) | shapely.is_empty(values))
    for i in np.flatnonzero(invalid):
        report.repaired.append(f"{ids.iloc[i]}: {shapely.is_valid_reason(values[i])} → repaired with make_valid")
    if invalid.any():
        values[invalid] = shapely.make_valid(values[invalid])
        gdf["geometry"] = values
    report.features = len(gdf)
    report.problems = check_layers({schema_layer: gdf}) if check else []
    return gdf, report


def write_import(gdf: gpd.GeoDataFrame, dest: str | os.PathLike[str], *, name: str, overwrite: bool) -> Path:
    """Write an imported layer as diff-friendly GeoJSON (EPSG:4326, 6 decimals), atomically."""
    return write_geojson(gdf, dest, name=name, overwrite=overwrite)

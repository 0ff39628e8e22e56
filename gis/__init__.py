"""Spatial-planning GIS toolkit for Wenzhou's industrial platforms (温州产业平台空间规划工具).

The plans of 浙南产业集聚区, 鹿城区 and 洞头区 as layers (``layers/``), their land
areas as China's land survey computes them, overlays and web maps.

Public API
----------
Layers: :func:`list_layers`, :func:`read_layer`, :func:`read_layers`, :func:`open_source`, :func:`read_vector`.
Areas: :func:`ellipsoidal_area`, :func:`geodesic_area`, :func:`planar_area`, :func:`measure_area`
(``engine="local"`` or ``"dask"`` / :class:`Dask`).
Sizes and shares: :func:`polygon_area`, :func:`line_length`, :func:`share_inside`.
Tables: :func:`area_table`, :func:`reconcile`, :func:`reclaim_table`; the report registry :data:`REPORTS`.
Overlay and rules: :func:`overlay`, :func:`zone_composition`, :func:`check_rules`.
Siting review (用地预审): :func:`load_profile`, :func:`review` (and ``gis.review_report`` for its formats).
Map definitions: :func:`load_definition`, :func:`list_maps`, :class:`MapDefinition`; their renderers
:func:`render_map` (web), :func:`render_figure` (print), :func:`layer_qml` (QGIS); :func:`render_file`.
Outputs (writers take data): :func:`write_geopackage`, :func:`write_shapefiles`, :func:`write_geojson_files`,
:func:`write_parquet_datasets`, :func:`write_tables`, :func:`write_geojson`, all over :func:`atomic_path`;
:func:`build_site`; :func:`import_file`.
Checks: :func:`check_layers`, :class:`Problem`.
CRS: :func:`gcj02_to_wgs84`, :func:`wgs84_to_gcj02`, :func:`guess_crs`, :func:`gk_epsg`.
Units: :func:`to_square_metres`, :func:`from_square_metres`, :func:`round_half_up`,
:func:`balanced_round`. Land use: :func:`land_use_name`, :func:`is_known_code`.
Errors and warnings: :class:`GisError` and its subclasses, :class:`GisWarning`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from gis.area import ellipsoidal_area, geodesic_area, measure_area, planar_area
from gis.build import build_site
from gis.check import Problem, check_layers
from gis.crs import gcj02_to_wgs84, gk_epsg, guess_crs, wgs84_to_gcj02
from gis.engine import Dask
from gis.errors import (
    ConfigError,
    CRSError,
    DataSourceError,
    FieldError,
    FontError,
    GeometryError,
    GisError,
    GisWarning,
    InputError,
    LayerNotFoundError,
)
from gis.export import write_geojson_files, write_geopackage, write_parquet_datasets, write_shapefiles, write_tables
from gis.figure import render_figure
from gis.geometry import line_length, polygon_area, share_inside
from gis.importing import import_file
from gis.io import atomic_path, read_vector, write_geojson
from gis.landuse import is_known_code, land_use_name
from gis.layers import list_layers, open_source, read_layer, read_layers
from gis.mapdef import MapDefinition, list_maps, load_definition
from gis.maps import render_file, render_map
from gis.measure import area_table, reclaim_table, reconcile
from gis.overlay import overlay, zone_composition
from gis.qml import layer_qml
from gis.reports import REPORTS
from gis.review import load_profile, review
from gis.rules import check_rules
from gis.units import balanced_round, from_square_metres, round_half_up, to_square_metres

try:
    __version__ = version("wenzhou-gis")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

__all__ = [
    "REPORTS",
    "CRSError",
    "ConfigError",
    "Dask",
    "DataSourceError",
    "FieldError",
    "FontError",
    "GeometryError",
    "GisError",
    "GisWarning",
    "InputError",
    "LayerNotFoundError",
    "MapDefinition",
    "Problem",
    "__version__",
    "area_table",
    "atomic_path",
    "balanced_round",
    "build_site",
    "check_layers",
    "check_rules",
    "ellipsoidal_area",
    "from_square_metres",
    "gcj02_to_wgs84",
    "geodesic_area",
    "gk_epsg",
    "guess_crs",
    "import_file",
    "is_known_code",
    "land_use_name",
    "layer_qml",
    "line_length",
    "list_layers",
    "list_maps",
    "load_definition",
    "load_profile",
    "measure_area",
    "open_source",
    "overlay",
    "planar_area",
    "polygon_area",
    "read_layer",
    "read_layers",
    "read_vector",
    "reclaim_table",
    "reconcile",
    "render_figure",
    "render_file",
    "render_map",
    "review",
    "round_half_up",
    "share_inside",
    "to_square_metres",
    "wgs84_to_gcj02",
    "write_geojson",
    "write_geojson_files",
    "write_geopackage",
    "write_parquet_datasets",
    "write_shapefiles",
    "write_tables",
    "zone_composition",
]

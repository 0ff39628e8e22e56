"""Spatial-planning GIS toolkit for Wenzhou's industrial platforms (温州产业平台空间规划工具).

The plans of 浙南产业集聚区, 鹿城区 and 洞头区 as layers (``layers/``), their land
areas as China's land survey computes them, overlays and web maps.

Public API
----------
Layers: :func:`list_layers`, :func:`read_layer`, :func:`open_source`, :func:`read_vector`.
Areas: :func:`ellipsoidal_area`, :func:`geodesic_area`, :func:`planar_area`, :func:`measure_area`.
Tables: :func:`area_table`, :func:`reconcile`, :func:`reclaim_table`.
Overlay and rules: :func:`overlay`, :func:`zone_composition`, :func:`check_rules`.
Maps and outputs: :func:`render_map`, :func:`render_file`, :func:`build_site`, :func:`import_file`.
Checks: :func:`check_layers`, :class:`Problem`.
CRS: :func:`gcj02_to_wgs84`, :func:`wgs84_to_gcj02`, :func:`guess_crs`, :func:`gk_epsg`.
Units: :func:`to_square_metres`, :func:`from_square_metres`, :func:`round_half_up`,
:func:`balanced_round`. Land use: :func:`land_use_name`, :func:`is_known_code`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from gis.area import ellipsoidal_area, geodesic_area, measure_area, planar_area
from gis.build import build_site
from gis.check import Problem, check_layers
from gis.crs import gcj02_to_wgs84, gk_epsg, guess_crs, wgs84_to_gcj02
from gis.errors import (
    CRSError,
    DataSourceError,
    FieldError,
    GeometryError,
    GisError,
    InputError,
    LayerNotFoundError,
)
from gis.importing import import_file
from gis.io import read_vector, write_geojson
from gis.landuse import is_known_code, land_use_name
from gis.layers import list_layers, open_source, read_layer
from gis.maps import render_file, render_map
from gis.measure import area_table, reclaim_table, reconcile
from gis.overlay import overlay, zone_composition
from gis.rules import check_rules
from gis.units import balanced_round, from_square_metres, round_half_up, to_square_metres

try:
    __version__ = version("wenzhou-gis")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

__all__ = [
    "CRSError",
    "DataSourceError",
    "FieldError",
    "GeometryError",
    "GisError",
    "InputError",
    "LayerNotFoundError",
    "Problem",
    "__version__",
    "area_table",
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
    "list_layers",
    "measure_area",
    "open_source",
    "overlay",
    "planar_area",
    "read_layer",
    "read_vector",
    "reclaim_table",
    "reconcile",
    "render_file",
    "render_map",
    "round_half_up",
    "to_square_metres",
    "wgs84_to_gcj02",
    "write_geojson",
    "zone_composition",
]

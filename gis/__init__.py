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

import importlib

#: Where each public name lives: ``import gis`` loads none of them (nor geopandas, pandas, pyogrio …);
#: the first use of a name imports its module.
_PUBLIC: dict[str, str] = {
    "ellipsoidal_area": "gis.area", "geodesic_area": "gis.area", "measure_area": "gis.area",
    "planar_area": "gis.area",
    "build_site": "gis.build",
    "Problem": "gis.check", "check_layers": "gis.check",
    "gcj02_to_wgs84": "gis.crs", "gk_epsg": "gis.crs", "guess_crs": "gis.crs", "wgs84_to_gcj02": "gis.crs",
    "Dask": "gis.engine",
    "CRSError": "gis.errors", "ConfigError": "gis.errors", "DataSourceError": "gis.errors",
    "FieldError": "gis.errors", "FontError": "gis.errors", "GeometryError": "gis.errors",
    "GisError": "gis.errors", "GisWarning": "gis.errors", "InputError": "gis.errors",
    "LayerNotFoundError": "gis.errors",
    "write_geojson_files": "gis.export", "write_geopackage": "gis.export", "write_parquet_datasets": "gis.export",
    "write_shapefiles": "gis.export", "write_tables": "gis.export",
    "render_figure": "gis.figure",
    "line_length": "gis.geometry", "polygon_area": "gis.geometry", "share_inside": "gis.geometry",
    "import_file": "gis.importing",
    "atomic_path": "gis.io", "read_vector": "gis.io", "write_geojson": "gis.io",
    "is_known_code": "gis.landuse", "land_use_name": "gis.landuse",
    "list_layers": "gis.layers", "open_source": "gis.layers", "read_layer": "gis.layers", "read_layers": "gis.layers",
    "MapDefinition": "gis.mapdef", "list_maps": "gis.mapfiles", "load_definition": "gis.mapdef",
    "render_file": "gis.maps", "render_map": "gis.maps",
    "area_table": "gis.measure", "reclaim_table": "gis.measure", "reconcile": "gis.measure",
    "overlay": "gis.overlay", "zone_composition": "gis.overlay",
    "layer_qml": "gis.qml",
    "REPORTS": "gis.reports",
    "load_profile": "gis.review", "review": "gis.review",
    "check_rules": "gis.rules",
    "balanced_round": "gis.units", "from_square_metres": "gis.units", "round_half_up": "gis.units",
    "to_square_metres": "gis.units",
}

__all__ = sorted([*_PUBLIC, "__version__"], key=lambda name: (not name.isupper(), not name[0].isupper(), name))


def __getattr__(name: str):
    """Import a public name's module on first use (PEP 562) and keep the name here."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("wenzhou-gis")
        except PackageNotFoundError:  # running from a source tree without installation
            value = "0+unknown"
    elif name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
    else:
        raise AttributeError(f"module 'gis' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

"""Exporting layers and tables for QGIS, ArcGIS and Excel, without losing anything.

* :func:`export_geopackage` — all (or chosen) layers in one GeoPackage, each with a
  QGIS style (QML) in the ``layer_styles`` table, so that QGIS opens it styled
  like the web maps: the same classes and colours, labels on ``name``.
* :func:`export_shapefiles` — one Shapefile set per layer, UTF-8 ``.dbf`` with a
  ``.cpg``; field names longer than 10 bytes are shortened to unique names, with
  a warning and a ``NAME.fields.csv`` mapping file; text longer than a ``.dbf``
  holds (254 bytes) is kept whole in ``NAME.long_values.csv``, with a warning.
* :func:`export_geojson` — one GeoJSON per layer.
* :func:`export_tables` — the area, reclamation and overlay tables as one XLSX
  (a sheet each, Chinese headers, 亩/公顷/km² columns, totals that add up) or as
  CSV files (UTF-8 with BOM).

Every output is first written beside its destination under a temporary name and
renamed into place when complete; an existing output is replaced only with
``overwrite=True``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import sqlite3
import tempfile
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import pandas as pd

import geopandas as gpd
import pyogrio

from gis.errors import InputError
from gis.io import atomic_write, geojson_text
from gis.layers import list_layers, read_layer
from gis.maps import list_maps, load_definition
from gis.measure import area_table, reclaim_table
from gis.overlay import overlay
from gis.units import balanced_round, round_half_up

#: Longest text a .dbf field holds, in bytes.
DBF_TEXT_BYTES = 254


class ExportWarning(UserWarning):
    """Something about an export the user should know (e.g. shortened field names)."""


def _refuse_existing(path: Path, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        raise InputError(f"{path} exists; pass --overwrite to replace it")


@contextlib.contextmanager
def _temporary_beside(dest: Path, *, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary file (or folder) in ``dest``'s folder, removed unless renamed into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if directory:
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent))
    else:
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part" + dest.suffix, dir=dest.parent)
        os.close(fd)
        tmp = Path(name)
        tmp.unlink()
    try:
        yield tmp
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()


def layer_styles() -> dict[str, tuple[str, list[tuple[str, str, str]]]]:
    """Return, per layer, the class field and (value, colour, label) classes the map definitions give it."""
    styles: dict[str, tuple[str, list[tuple[str, str, str]]]] = {}
    for name in list_maps():
        for spec in load_definition(name).get("layer", []):
            field, classes = spec.get("class_field", "name"), [tuple(c) for c in spec.get("classes", [])]
            known = styles.setdefault(spec["source"], (field, []))
            if known[0] == field:
                seen = {c[0] for c in known[1]}
                known[1].extend(c for c in classes if c[0] not in seen)
    return styles


def _symbol(kind: str, index: int, colour: str) -> str:
    rgb = ",".join(str(int(colour.lstrip("#")[i : i + 2], 16)) for i in (0, 2, 4)) + ",160"
    if kind == "point":
        layer = (f'<layer class="SimpleMarker"><Option type="Map"><Option name="color" value="{rgb}" type="QString"/>'
                 '<Option name="size" value="3" type="QString"/></Option></layer>')
        symbol_type = "marker"
    elif kind == "line":
        layer = (f'<layer class="SimpleLine"><Option type="Map">'
                 f'<Option name="line_color" value="{rgb}" type="QString"/>'
                 '<Option name="line_width" value="0.8" type="QString"/></Option></layer>')
        symbol_type = "line"
    else:
        layer = (f'<layer class="SimpleFill"><Option type="Map"><Option name="color" value="{rgb}" type="QString"/>'
                 f'<Option name="outline_color" value="{rgb}" type="QString"/></Option></layer>')
        symbol_type = "fill"
    return f'<symbol name="{index}" type="{symbol_type}" alpha="1">{layer}</symbol>'


def qml_style(layer: str, geometry_kind: str, styles: dict | None = None) -> str:
    """Return a QGIS QML style for a layer: categories and colours of the web maps, labels on ``name``.

    ``styles`` is :func:`layer_styles`' result, when the caller has it already.
    """
    field, classes = (styles if styles is not None else layer_styles()).get(layer, ("name", []))
    if classes:
        categories = "".join(
            f'<category render="true" symbol="{i}" value="{xml_escape(value)}" label="{xml_escape(label)}"/>'
            for i, (value, _colour, label) in enumerate(classes)
        )
        symbols = "".join(_symbol(geometry_kind, i, colour) for i, (_v, colour, _l) in enumerate(classes))
        renderer = (f'<renderer-v2 type="categorizedSymbol" attr="{xml_escape(field)}" symbollevels="0">'
                    f"<categories>{categories}</categories><symbols>{symbols}</symbols></renderer-v2>")
    else:
        single = _symbol(geometry_kind, 0, "#d7301f")
        renderer = f'<renderer-v2 type="singleSymbol"><symbols>{single}</symbols></renderer-v2>'
    labeling = ('<labeling type="simple"><settings><text-style fieldName="name" fontSize="9" textColor="0,0,0,255"/>'
                "</settings></labeling>")
    doctype = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
    return f'{doctype}<qgis version="3.28">{renderer}{labeling}</qgis>'


def _kind(gdf: gpd.GeoDataFrame) -> str:
    types = set(gdf.geom_type.dropna())
    if types <= {"Point", "MultiPoint"}:
        return "point"
    if types <= {"LineString", "MultiLineString"}:
        return "line"
    return "fill"


_LAYER_STYLES_DDL = """
CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT, f_table_schema TEXT, f_table_name TEXT,
  f_geometry_column TEXT, styleName TEXT, styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN,
  description TEXT, owner TEXT, ui TEXT, update_time DATETIME DEFAULT CURRENT_TIMESTAMP)
"""


def export_geopackage(path: str | os.PathLike[str], *, layers: list[str] | None = None,
                      overwrite: bool = False) -> Path:
    """Write layers to one GeoPackage with a QGIS style per layer in ``layer_styles``."""
    dest = Path(path)
    _refuse_existing(dest, overwrite)
    names = layers or list_layers()
    styles = layer_styles()
    kinds = {}
    with _temporary_beside(dest) as tmp:
        for name in names:
            gdf = read_layer(name)
            kinds[name] = _kind(gdf)
            pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG", append=tmp.exists())
        with contextlib.closing(sqlite3.connect(tmp)) as db, db:
            db.execute(_LAYER_STYLES_DDL)
            db.execute(  # registered as an attribute table, as QGIS does
                "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, last_change)"
                " VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles',"
                " strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
            )
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            for name in names:
                db.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column,"
                    " styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time)"
                    " VALUES ('', '', ?, 'geom', ?, ?, '', 1, ?, 'gis', '', ?)",
                    (name, name, qml_style(name, kinds[name], styles), "style of the web maps (gis export)", stamp),
                )
        os.replace(tmp, dest)
    return dest


def short_field_names(columns: list[str]) -> dict[str, str]:
    """Map field names to unique names of at most 10 bytes (UTF-8), as the dBASE format needs."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        if len(col.encode("utf-8")) <= 10 and col not in used:
            mapping[col] = col
            used.add(col)
            continue
        base = col.encode("utf-8")[:8].decode("utf-8", errors="ignore")
        for i in range(1, 100):
            candidate = f"{base}{i:02d}" if len(f"{base}{i:02d}".encode()) <= 10 else f"{base[:6]}{i:02d}"
            if candidate not in used:
                break
        mapping[col] = candidate
        used.add(candidate)
    return mapping


def export_shapefiles(folder: str | os.PathLike[str], *, layers: list[str] | None = None,
                      overwrite: bool = False) -> list[Path]:
    """Write one UTF-8 Shapefile set per layer into ``folder``, with field-name mappings where shortened."""
    out = Path(folder)
    written = []
    for name in layers or list_layers():
        dest = out / f"{name}.shp"
        _refuse_existing(dest, overwrite)
        gdf = read_layer(name)
        columns = [c for c in gdf.columns if c != gdf.geometry.name]
        mapping = short_field_names(columns)
        renamed = {k: v for k, v in mapping.items() if k != v}
        with _temporary_beside(out / f"{name}.shpset", directory=True) as tmp:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                pyogrio.write_dataframe(gdf.rename(columns=mapping), tmp / f"{name}.shp", encoding="UTF-8")
            (tmp / f"{name}.cpg").write_text("UTF-8", encoding="ascii")
            if renamed:
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator="\n")
                writer.writerow(["field", "shapefile_field"])
                writer.writerows(renamed.items())
                (tmp / f"{name}.fields.csv").write_text(buffer.getvalue(), encoding="utf-8-sig")
                warnings.warn(
                    f"{name}.shp: {len(renamed)} field name(s) shortened to 10 bytes "
                    f"({', '.join(f'{k}→{v}' for k, v in list(renamed.items())[:4])}…); see {name}.fields.csv",
                    ExportWarning, stacklevel=2,
                )
            long_values = [
                (str(ident), col, value)
                for col in columns if gdf[col].dtype == object or str(gdf[col].dtype).startswith("str")
                for ident, value in zip(gdf.get("id", pd.Series(range(len(gdf)))), gdf[col], strict=True)
                if isinstance(value, str) and len(value.encode("utf-8")) > DBF_TEXT_BYTES
            ]
            if long_values:
                buffer = io.StringIO()
                writer = csv.writer(buffer, lineterminator="\n")
                writer.writerow(["id", "field", "value"])
                writer.writerows(long_values)
                (tmp / f"{name}.long_values.csv").write_text(buffer.getvalue(), encoding="utf-8-sig")
                fields = sorted({f for _, f, _ in long_values})
                warnings.warn(
                    f"{name}.shp: {len(long_values)} text value(s) longer than the .dbf's {DBF_TEXT_BYTES} bytes "
                    f"are cut in the Shapefile (fields {', '.join(fields)}); full values in {name}.long_values.csv",
                    ExportWarning, stacklevel=2,
                )
            for part in sorted(tmp.iterdir()):
                os.replace(part, out / part.name)
                written.append(out / part.name)
    return written


def export_parquet(folder: str | os.PathLike[str], *, layers: list[str] | None = None,
                   overwrite: bool = False) -> list[Path]:
    """Write each layer as a partitioned GeoParquet dataset (Hilbert-ordered), for the Dask engine."""
    from gis.engine import write_parquet

    written = []
    for name in layers or list_layers():
        dest = Path(folder) / f"{name}.parquet"
        _refuse_existing(dest, overwrite)
        with _temporary_beside(dest, directory=True) as tmp:
            write_parquet(read_layer(name), tmp / "data")
            if dest.exists():  # a folder cannot be renamed over another: the old one steps aside first
                os.replace(dest, tmp / "previous")
            os.replace(tmp / "data", dest)
        written.append(dest)
    return written


def export_geojson(folder: str | os.PathLike[str], *, layers: list[str] | None = None,
                   overwrite: bool = False) -> list[Path]:
    """Write one GeoJSON per layer into ``folder``."""
    written = []
    for name in layers or list_layers():
        dest = Path(folder) / f"{name}.geojson"
        with atomic_write(dest, overwrite=overwrite) as handle:
            handle.write(geojson_text(read_layer(name), name=name))
        written.append(dest)
    return written


def _with_units(table: pd.DataFrame, label: str) -> pd.DataFrame:
    """Add 亩, 公顷 and km² columns whose rows add up exactly to the total row.

    Parts are balanced (强制调平) to their rounded sum. Where the parts overlap,
    the total row is their sum and a further row gives the dissolved total, in
    which an overlap counts once.
    """
    parts = table[~table["total"]].copy()
    total = table[table["total"]].iloc[0]
    first = parts.columns[0]
    summed = {first: "合计（各行相加）" if not table.attrs.get("disjoint", True) else "合计", "total": True}
    rows = [parts]
    for unit, factor, digits in (("亩", 2000 / 3, 2), ("公顷", 1e4, 4), ("平方公里", 1e6, 6)):
        values = balanced_round(list(parts["area_m2"] / factor), digits)
        parts[f"{label}（{unit}）"] = values
        summed[f"{label}（{unit}）"] = round_half_up(sum(values), digits)
    summed["area_m2"] = round_half_up(float(parts["area_m2"].sum()), 2)
    rows = [parts, pd.DataFrame([summed])]
    if not table.attrs.get("disjoint", True):
        dissolved = {first: "溶解后合计（重叠只计一次）", "total": True, "area_m2": total["area_m2"]}
        for unit, factor, digits in (("亩", 2000 / 3, 2), ("公顷", 1e4, 4), ("平方公里", 1e6, 6)):
            dissolved[f"{label}（{unit}）"] = round_half_up(float(total["area_m2"]) / factor, digits)
        rows.append(pd.DataFrame([dissolved]))
    return pd.concat(rows, ignore_index=True).drop(columns=["sum_m2", "overlap_m2"], errors="ignore")


SHEET_HEADERS = {
    "id": "编号", "name": "名称", "status": "状态", "scheme": "布局方案", "features": "要素数",
    "area_m2": "面积（平方米）", "sum_m2": "直接相加（平方米）", "overlap_m2": "重叠（平方米）", "total": "合计行",
    "project_id": "项目编号", "zone_id": "分区编号", "area_inside_m2": "区内面积（平方米）", "share_inside": "区内占比",
    "length_inside_m": "区内长度（米）", "project_area_m2": "项目面积（平方米）", "period": "期限",
    "district": "所在区", "parent": "上级", "area_mu": "面积（亩）", "area_km2": "面积（平方公里）",
    "documented": "文件面积", "documented_mu": "文件面积（亩）", "diff_pct": "差异（%）",
}


def tables() -> dict[str, pd.DataFrame]:
    """Return the tables a planner takes to Excel, with Chinese headers: sheet name → table."""
    platforms = _with_units(area_table(read_layer("platforms"), unit="mu").drop(columns=["area_mu"]), "面积")
    by_status = _with_units(area_table(read_layer("reclamation"), by="status", unit="mu").drop(columns=["area_mu"]),
                            "面积")
    areas = reclaim_table(read_layer("reclamation"))["areas"]
    ov = overlay(read_layer("projects"), read_layer("zones"))
    result = {"产业平台面积": platforms, "围垦面积": areas, "围垦按状态": by_status, "项目落区": ov}
    return {sheet: table.rename(columns=SHEET_HEADERS) for sheet, table in result.items()}


def export_tables(path: str | os.PathLike[str], *, overwrite: bool = False) -> list[Path]:
    """Write the tables as one XLSX (``.xlsx``) or as CSV files with a BOM (a folder)."""
    dest = Path(path)
    data = tables()
    if dest.suffix.lower() == ".xlsx":
        _refuse_existing(dest, overwrite)
        with _temporary_beside(dest) as tmp:
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                for sheet, table in data.items():
                    table.to_excel(writer, sheet_name=sheet, index=False)
            os.replace(tmp, dest)
        return [dest]
    written = []
    for sheet, table in data.items():
        target = dest / f"{sheet}.csv"
        with atomic_write(target, overwrite=overwrite, mode="wb") as handle:
            handle.write(table.to_csv(index=False, lineterminator="\n").encode("utf-8-sig"))
        written.append(target)
    return written

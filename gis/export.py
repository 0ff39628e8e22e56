"""Writing layers and tables for QGIS, ArcGIS and Excel, without losing anything.

The writers take data, as pyogrio's ``write_dataframe`` does — GeoDataFrames
by layer name, DataFrames by sheet name — and write through the one atomic
primitive :func:`gis.io.atomic_path`:

* :func:`write_geopackage` — layers in one GeoPackage, each with a QGIS style
  (QML, :mod:`gis.qml`) in the ``layer_styles`` table, so that QGIS opens it
  styled like the web maps.
* :func:`write_shapefiles` — one Shapefile set per layer, UTF-8 ``.dbf`` with a
  ``.cpg`` and the QGIS style as ``NAME.qml`` (QGIS loads it with the layer);
  field names longer than 10 bytes are shortened to unique names, with a
  warning and a ``NAME.fields.csv`` mapping file; text longer than a ``.dbf``
  holds (254 bytes) is kept whole in ``NAME.long_values.csv``, with a warning.
  All sets are written into one temporary folder and moved into place together.
* :func:`write_geojson_files`, :func:`write_parquet_datasets` — one GeoJSON file,
  or one partitioned GeoParquet dataset, per layer.
* :func:`write_tables` — tables as one XLSX (a sheet each) or as CSV files
  (UTF-8 with BOM) in a folder.

An existing output is replaced only with ``overwrite=True``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import sqlite3
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

import geopandas as gpd
import pyogrio

from gis.errors import GisWarning
from gis.io import atomic_path, atomic_write, geojson_text, refuse_existing
from gis.report import csv_text, fixed
from gis.units import round_half_up

if TYPE_CHECKING:
    from gis.reports import Sheet

#: Longest text a .dbf field holds, in bytes.
DBF_TEXT_BYTES = 254


class ExportWarning(GisWarning):
    """Something about an export the user should know (e.g. shortened field names)."""


#: GeoPackage version written: 1.2, which Debian's GDAL 3.6 and QGIS 3.22 read without a warning.
GPKG_VERSION = "1.2"
#: Name of the QGIS projects table (as QGIS creates it).
_PROJECTS_DDL = "CREATE TABLE IF NOT EXISTS qgis_projects(name TEXT PRIMARY KEY, metadata BLOB, content BLOB)"


def _style_table(layers: Mapping[str, gpd.GeoDataFrame], styles: Mapping[str, str]) -> pd.DataFrame:
    """Return the ``layer_styles`` table QGIS reads a layer's default style from (GDAL writes it as QGIS does)."""
    now = pd.Timestamp.now(tz="UTC").floor("ms")
    rows = [{"f_table_catalog": "", "f_table_schema": "", "f_table_name": name, "f_geometry_column": "geom",
             "styleName": name, "styleQML": styles[name], "styleSLD": "", "useAsDefault": True,
             "description": "style of the map definitions (gis export)", "owner": "gis", "ui": "",
             "update_time": now} for name in layers if name in styles]
    return pd.DataFrame(rows, columns=["f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column",
                                       "styleName", "styleQML", "styleSLD", "useAsDefault", "description", "owner",
                                       "ui", "update_time"])


def write_geopackage(layers: Mapping[str, gpd.GeoDataFrame], path: str | os.PathLike[str], *,
                     styles: Mapping[str, str] | None = None, project: bool = True, overwrite: bool = False) -> Path:
    """Write layers to one GeoPackage, with a QGIS style per layer in ``layer_styles`` and a QGIS project.

    The file is a GeoPackage 1.2 (:data:`GPKG_VERSION`); ``layer_styles`` is written
    by GDAL as QGIS writes it (conformant ``update_time``), so Debian's GDAL and
    QGIS open it without a warning. The project (:func:`gis.qml.project_document`,
    in the ``qgis_projects`` table QGIS uses) holds every layer in drawing order,
    grouped, with the context under the plan; QGIS lists it under the GeoPackage
    in its browser.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        The layers, by the name they get in the file.
    path : path-like
        The ``.gpkg`` to write.
    styles : mapping of str to str, optional
        A QML style per layer; by default :func:`gis.qml.layer_qml` (the map definitions' classes and colours).
    project : bool
        Store a QGIS project of the layers in the file.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    Path
        The file written.
    """
    from gis.qml import PROJECT_NAME, layer_qml, project_document, project_metadata

    dest = Path(path)
    styles = layer_qml(layers) if styles is None else styles
    with atomic_path(dest, overwrite=overwrite) as tmp:
        for name, gdf in layers.items():
            first = not tmp.exists()
            pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG", append=not first,
                                    dataset_options={"VERSION": GPKG_VERSION} if first else None)
        table = _style_table(layers, styles)
        if len(table):
            pyogrio.write_dataframe(table, tmp, layer="layer_styles", driver="GPKG", append=True,
                                    layer_options={"FID": "id", "DESCRIPTION": "QGIS layer styles"})
        if project and layers:
            content = project_document(layers, styles, dest.name)
            with contextlib.closing(sqlite3.connect(tmp)) as db, db:
                db.execute(_PROJECTS_DDL)
                db.execute("INSERT INTO qgis_projects (name, metadata, content) VALUES (?, ?, ?)",
                           (PROJECT_NAME, project_metadata(), content.hex()))
    return dest


def short_field_names(columns: list[str]) -> dict[str, str]:
    """Map field names to unique names of at most 10 bytes (UTF-8), as the dBASE format needs.

    Examples
    --------
    >>> short_field_names(["id", "investment_total_wan", "investment_1620_wan"])
    {'id': 'id', 'investment_total_wan': 'investme01', 'investment_1620_wan': 'investme02'}
    """
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


def _csv_text(header: list[str], rows: list) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _write_shapefile_set(name: str, gdf: gpd.GeoDataFrame, folder: Path) -> None:
    """Write one layer's Shapefile set (and its style, mapping and long-value files) into ``folder``."""
    from gis.qml import layer_qml

    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    mapping = short_field_names(columns)
    renamed = {k: v for k, v in mapping.items() if k != v}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(gdf.rename(columns=mapping), folder / f"{name}.shp", encoding="UTF-8")
    (folder / f"{name}.cpg").write_text("UTF-8", encoding="ascii")
    # QGIS loads NAME.qml beside NAME.shp as the layer's style; its expressions use the shortened names.
    style = layer_qml({name: gdf}, fields={name: mapping})[name]
    (folder / f"{name}.qml").write_text(style, encoding="utf-8")
    if renamed:
        (folder / f"{name}.fields.csv").write_text(_csv_text(["field", "shapefile_field"], list(renamed.items())),
                                                   encoding="utf-8-sig")
        warnings.warn(
            f"{name}.shp: {len(renamed)} field name(s) shortened to 10 bytes "
            f"({', '.join(f'{k}→{v}' for k, v in list(renamed.items())[:4])}…); see {name}.fields.csv",
            ExportWarning, stacklevel=3,
        )
    ids = gdf["id"] if "id" in gdf.columns else pd.Series(range(len(gdf)))
    long_values = [
        (str(ident), col, value)
        for col in columns if gdf[col].dtype == object or str(gdf[col].dtype).startswith("str")
        for ident, value in zip(ids, gdf[col], strict=True)
        if isinstance(value, str) and len(value.encode("utf-8")) > DBF_TEXT_BYTES
    ]
    if long_values:
        (folder / f"{name}.long_values.csv").write_text(_csv_text(["id", "field", "value"], long_values),
                                                        encoding="utf-8-sig")
        fields = sorted({f for _, f, _ in long_values})
        warnings.warn(
            f"{name}.shp: {len(long_values)} text value(s) longer than the .dbf's {DBF_TEXT_BYTES} bytes "
            f"are cut in the Shapefile (fields {', '.join(fields)}); full values in {name}.long_values.csv",
            ExportWarning, stacklevel=3,
        )


def write_shapefiles(layers: Mapping[str, gpd.GeoDataFrame], folder: str | os.PathLike[str], *,
                     overwrite: bool = False) -> list[Path]:
    """Write one UTF-8 Shapefile set per layer into ``folder``; return the files written.

    Every set is first written into one temporary folder beside the destination;
    only when all of them are complete are the files moved into ``folder``, so a
    failure (a full disk) leaves no partial set of layers behind.
    """
    out = Path(folder)
    for name in layers:
        refuse_existing(out / f"{name}.shp", overwrite)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with atomic_path(out / ".shapefiles", directory=True, overwrite=True) as tmp:
        for name, gdf in layers.items():
            _write_shapefile_set(name, gdf, tmp)
        parts = sorted(tmp.iterdir())
        for part in parts:
            refuse_existing(out / part.name, overwrite)
        for part in parts:
            os.replace(part, out / part.name)
            written.append(out / part.name)
    with contextlib.suppress(OSError):  # the staging folder, empty now, was renamed into place
        (out / ".shapefiles").rmdir()
    return written


def write_parquet_datasets(layers: Mapping[str, gpd.GeoDataFrame], folder: str | os.PathLike[str], *,
                           overwrite: bool = False) -> list[Path]:
    """Write each layer as a partitioned GeoParquet dataset (Hilbert-ordered), for the Dask engine."""
    from gis.engine import write_parquet

    written = []
    for name, gdf in layers.items():
        dest = Path(folder) / f"{name}.parquet"
        with atomic_path(dest, directory=True, overwrite=overwrite) as tmp:
            write_parquet(gdf, tmp)
        written.append(dest)
    return written


def write_geojson_files(layers: Mapping[str, gpd.GeoDataFrame], folder: str | os.PathLike[str], *,
                        overwrite: bool = False) -> list[Path]:
    """Write one diff-friendly GeoJSON file per layer into ``folder``."""
    written = []
    for name, gdf in layers.items():
        dest = Path(folder) / f"{name}.geojson"
        with atomic_write(dest, overwrite=overwrite) as handle:
            handle.write(geojson_text(gdf, name=name))
        written.append(dest)
    return written


def _as_sheet(name: str, table: pd.DataFrame | Sheet) -> Sheet:
    from gis.reports import Sheet

    if isinstance(table, Sheet):
        return table
    return Sheet(name=name, title="", unit="", source="", table=table)


def _cell_text(value: object, decimals: int | None, percent: bool) -> str:
    """Return a cell as it shows: numbers with thousands separators and fixed decimals, empty for nothing."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, int | float | np.integer | np.floating):
        if percent:
            return f"{fixed(float(value) * 100, 2)}%"
        if decimals is not None:
            return fixed(float(value), decimals)
        return f"{value:,}" if isinstance(value, int | np.integer) else f"{float(value):,}"
    return str(value)


def _csv_value(value: object, decimals: int | None, percent: bool) -> object:
    """Return a cell for CSV: numbers with their fixed decimals and no separators, counts as integers."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        digits = 4 if percent else decimals
        if digits is None:
            return int(value) if float(value).is_integer() else float(value)
        return f"{round_half_up(float(value), digits):.{digits}f}"
    return value


def sheet_csv(sheet: Sheet) -> str:
    """Return a sheet as CSV text: its header and rows, numbers fixed, no Python ``True``/``False`` or ``8.0``."""
    table = sheet.table
    columns = list(table.columns)
    rows = [[_csv_value(v, sheet.decimals.get(c), c in sheet.percent) for c, v in zip(columns, row, strict=True)]
            for row in table.itertuples(index=False)]
    return csv_text(pd.DataFrame(rows, columns=columns, dtype=object))


#: Widest column (character widths); longer text wraps.
MAX_WIDTH = 48
#: Rows above the table in a workbook sheet: title, unit, source and a blank line.
HEAD_ROWS = 4


def _width(text: str) -> float:
    from gis.table import display_width

    return max((display_width(line) for line in str(text).split("\n")), default=0)


#: Characters a spreadsheet cell holds at most (Excel's limit; longer text is cut where it opens, silently).
CELL_TEXT_MAX: int = 32_767
#: What ends a text cut to :data:`CELL_TEXT_MAX`.
CUT_MARK: str = "…（超出单元格容量，以下从略）"


def write_sheet(worksheet, sheet: Sheet) -> None:
    """Write a :class:`~gis.reports.Sheet` into an openpyxl worksheet, laid out to read and to print.

    The title, unit and source lines come first; then the header row (styled,
    frozen with the lines above it and repeated on every printed page); numbers
    carry their format (thousands separators, the column's decimals, or a
    percentage); total rows are bold; every column is as wide as its widest
    cell (a CJK character counts double), long text wraps; the page is A4
    landscape, fitted to the page's width, with page numbers in the footer.
    Text that a spreadsheet would take for a formula is stored as text.
    """
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    table = sheet.table
    columns = list(table.columns)
    ncols = max(len(columns), 1)
    last = get_column_letter(ncols)
    font = "Arial"
    header_row = HEAD_ROWS + 1 if any(sheet.lines) else 1
    widths = [_width(c) * 1.1 + 2 for c in columns]
    texts = []
    for row in table.itertuples(index=False):
        shown = [_cell_text(v, sheet.decimals.get(c), c in sheet.percent) for c, v in zip(columns, row, strict=True)]
        texts.append(shown)
        widths = [max(w, _width(t) * 1.05 + 2) for w, t in zip(widths, shown, strict=True)]
    widths = [min(max(w, 6.0), MAX_WIDTH) for w in widths]
    for i, w in enumerate(widths, start=1):
        worksheet.column_dimensions[get_column_letter(i)].width = round(w, 1)
    total_width = sum(widths)
    if header_row > 1:
        for r, (line, size, bold) in enumerate(zip(sheet.lines, (14, 10, 9), (True, False, False), strict=True),
                                               start=1):
            cell = worksheet.cell(row=r, column=1, value=line)
            if cell.data_type == "f":
                cell.data_type = "s"
            cell.font = Font(name=font, size=size, bold=bold, color="000000" if r == 1 else "444444")
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if ncols > 1:
                worksheet.merge_cells(f"A{r}:{last}{r}")
            lines = max(1, math.ceil(_width(line) * (size / 10) / max(total_width, 1.0)))
            worksheet.row_dimensions[r].height = (size + 5) * lines
    thin = Side(style="thin", color="999999")
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    total_fill = PatternFill("solid", fgColor="F2F2F2")
    for j, name in enumerate(columns, start=1):
        cell = worksheet.cell(row=header_row, column=j, value=str(name))
        if cell.data_type == "f":
            cell.data_type = "s"
        cell.font = Font(name=font, size=10, bold=True)
        cell.fill = header_fill
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
        cell.alignment = Alignment(horizontal="center", vertical="center")
    formats = {}
    for name in columns:
        if name in sheet.percent:
            formats[name] = "0.00%"
        elif name in sheet.decimals:
            digits = sheet.decimals[name]
            formats[name] = "#,##0" + ("." + "0" * digits if digits else "")
    for i, row in enumerate(table.itertuples(index=False)):
        r = header_row + 1 + i
        is_total = i in sheet.totals
        for j, (name, value) in enumerate(zip(columns, row, strict=True), start=1):
            if value is pd.NA or (isinstance(value, float) and math.isnan(value)):
                value = None
            if isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, bool):
                value = "是" if value else "否"
            if isinstance(value, str) and len(value) > CELL_TEXT_MAX:  # Excel would cut it without a word
                value = value[:CELL_TEXT_MAX - len(CUT_MARK)] + CUT_MARK
            cell = worksheet.cell(row=r, column=j, value=value)
            if cell.data_type == "f":  # attribute text is data, never a formula
                cell.data_type = "s"
            if name in formats and isinstance(value, int | float):
                cell.number_format = formats[name]
            cell.font = Font(name=font, size=10, bold=is_total)
            long = _width(texts[i][j - 1]) * 1.05 + 2 > MAX_WIDTH
            cell.alignment = Alignment(wrap_text=long, vertical="top" if long else "center",
                                       horizontal="right" if isinstance(value, int | float) else "left")
            if is_total:
                cell.fill = total_fill
                cell.border = Border(top=thin, bottom=thin)
        lines = max((math.ceil((_width(t) * 1.05 + 2) / max(w - 1, 1.0)) for t, w in zip(texts[i], widths, strict=True)
                     if _width(t) * 1.05 + 2 > MAX_WIDTH), default=1)
        if lines > 1:  # wrapped text: as many lines as it needs (spreadsheets do not grow rows they read)
            worksheet.row_dimensions[r].height = 13.5 * lines
    worksheet.freeze_panes = f"A{header_row + 1}"
    worksheet.print_title_rows = f"{header_row}:{header_row}"
    setup = worksheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = worksheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    worksheet.sheet_properties.pageSetUpPr.fitToPage = True
    worksheet.print_options.horizontalCentered = True
    worksheet.page_margins.left = worksheet.page_margins.right = 0.4
    worksheet.page_margins.top = worksheet.page_margins.bottom = 0.6
    worksheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    worksheet.oddFooter.left.text = (sheet.title or sheet.name).replace("&", "&&")
    worksheet.oddFooter.right.text = "示意"


def write_tables(tables: Mapping[str, pd.DataFrame | Sheet], path: str | os.PathLike[str], *,
                 overwrite: bool = False) -> list[Path]:
    """Write tables as one XLSX workbook (``path`` ends in ``.xlsx``: a sheet per table) or as CSV files.

    Parameters
    ----------
    tables : mapping of str to DataFrame or Sheet
        The tables by sheet name (also the CSV file name); a :class:`~gis.reports.Sheet`
        (:func:`gis.reports.sheets`) brings its title, unit and source lines, its total
        rows and the decimals of its columns (:func:`write_sheet`).
    path : path-like
        A ``.xlsx`` file, or a folder for ``SHEET.csv`` files (UTF-8 with BOM, for Excel;
        numbers with their fixed decimals, no ``True``/``False``).
    overwrite : bool
        Replace existing files.
    """
    from openpyxl import Workbook

    dest = Path(path)
    if dest.suffix.lower() == ".xlsx":
        book = Workbook()
        book.remove(book.active)
        for name, table in tables.items():
            write_sheet(book.create_sheet(title=name[:31]), _as_sheet(name, table))
        with atomic_path(dest, overwrite=overwrite) as tmp:
            book.save(tmp)
        return [dest]
    written = []
    for name, table in tables.items():
        target = dest / f"{name}.csv"
        with atomic_write(target, overwrite=overwrite, mode="wb") as handle:
            handle.write(sheet_csv(_as_sheet(name, table)).encode("utf-8-sig"))
        written.append(target)
    return written

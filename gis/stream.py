"""Reading a big vector file in batches, so that memory holds one batch at a time.

:class:`Batches` reads a GeoPackage or FlatGeobuf through pyogrio's Arrow
stream (``pyogrio.open_arrow``) and a GeoParquet file through
``pyarrow.parquet.ParquetFile.iter_batches``, ``batch_size`` features at a time,
each batch a GeoDataFrame whose index is the features' positions in the file.
:meth:`Batches.take` reads given features again (by FID from a GeoPackage, by
row group from GeoParquet) — what a dissolve needs of the features that
overlap others across batches (:func:`gis.measure.area_table_batches`).

:func:`batches_for` says whether a source is read so (a file of one of those
kinds, with a CRS, at least ``settings.batch_above`` features, read without
``crs``/``encoding``/``sql``), and returns its :class:`Batches` if it is.
Everything else is read whole, as before (:func:`gis.layers.open_source`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

import shapely

from gis import settings
from gis.errors import DataSourceError

if TYPE_CHECKING:
    import geopandas as gpd

#: File suffixes read in batches.
BATCH_SUFFIXES: tuple[str, ...] = (".gpkg", ".fgb", ".parquet")


class Batches:
    """A vector file read ``batch_size`` features at a time.

    Parameters
    ----------
    path : path-like
        A GeoPackage, FlatGeobuf or GeoParquet file.
    layer : str, optional
        The layer of a GeoPackage (default: its only spatial layer).
    columns : list of str, optional
        The attribute fields to read (those of them the file has); default all.
    batch_size : int, optional
        Features per batch (default ``settings.batch_size``).

    Attributes
    ----------
    name : str
        The file's name, for messages.
    crs : str, pyproj.CRS or None
        The file's CRS (WKT, PROJJSON or ``EPSG:…`` text; a ``pyproj.CRS`` once the first batch is read).
    count : int
        The number of features.
    fields : list of str
        The attribute fields of the file.
    """

    def __init__(self, path: str | os.PathLike[str], *, layer: str | None = None, columns: list[str] | None = None,
                 batch_size: int | None = None) -> None:
        from gis.io import note_input

        self.path = Path(path)
        self.name = self.path.name
        note_input(self.path)
        self.batch_size = int(batch_size or settings.number("batch_size"))
        self.parquet = self.path.suffix.lower() == ".parquet"
        if self.parquet:
            self._open_parquet()
        else:
            self._open_ogr(layer)
        self.columns = None if columns is None else [c for c in columns if c in self.fields]
        self._fids: list[np.ndarray] = []

    # --- opening ----------------------------------------------------------------------------------------------

    def _open_ogr(self, layer: str | None) -> None:
        import pyogrio

        from gis.io import _list_layers

        if layer is None and self.path.suffix.lower() == ".gpkg":
            layers = _list_layers(self.path)
            layer = layers[0] if len(layers) == 1 else None
        self.layer = layer
        try:
            info = pyogrio.read_info(self.path, layer=layer)
        except Exception as exc:
            raise DataSourceError(f"{self.path}: cannot read it: {str(exc).splitlines()[0]}") from None
        self.crs = info.get("crs")
        self.count = int(info.get("features") or 0)
        self.fields = [str(f) for f in info.get("fields", [])]
        self.bounds = info.get("total_bounds")

    def _open_parquet(self) -> None:
        import json

        import pyarrow.parquet as pq

        try:
            # Streamed page by page (buffer_size): a file written as one row group is not decoded whole into
            # memory (400 MB of WKB at 10⁶ parcels), and reads faster so.
            self._file = pq.ParquetFile(self.path, buffer_size=8 << 20, pre_buffer=False)
        except Exception as exc:
            raise DataSourceError(f"{self.path}: cannot read it as GeoParquet: {str(exc).splitlines()[0]}") from None
        metadata = self._file.schema_arrow.metadata or {}
        geo = json.loads(metadata.get(b"geo", b"{}") or b"{}")
        self.geometry = geo.get("primary_column", "geometry")
        column = geo.get("columns", {}).get(self.geometry, {})
        if column.get("encoding", "WKB").upper() != "WKB":
            raise DataSourceError(f"{self.path}: geometry encoded as {column.get('encoding')}; only WKB is read "
                                  "in batches")
        crs = column.get("crs", "OGC:CRS84")
        self.crs = "OGC:CRS84" if crs is None else (json.dumps(crs) if isinstance(crs, dict) else crs)
        self.bounds = tuple(column["bbox"]) if len(column.get("bbox", [])) == 4 else None
        self.count = int(self._file.metadata.num_rows)
        pandas_meta = json.loads(metadata.get(b"pandas", b"{}") or b"{}")
        hidden = {c for c in pandas_meta.get("index_columns", []) if isinstance(c, str)}
        self.index_column = next(iter(hidden), None)
        covering = column.get("covering", {}).get("bbox", {})
        hidden |= {v[0] for v in covering.values() if isinstance(v, list)}
        self.fields = [n for n in self._file.schema_arrow.names if n != self.geometry and n not in hidden]

    # --- reading ----------------------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[gpd.GeoDataFrame]:
        """Yield the features, ``batch_size`` at a time; each batch's index is the features' positions."""
        start = 0
        for attributes, geoms, fids in _ahead(self._parquet_batches() if self.parquet else self._ogr_batches()):
            frame = self._frame(attributes, geoms, start)
            if fids is not None:
                self._fids.append(fids)
            start += len(frame)
            yield frame

    def _ogr_batches(self):
        import pyogrio

        with pyogrio.open_arrow(self.path, layer=self.layer, columns=self.columns, batch_size=self.batch_size,
                                use_pyarrow=True, return_fids=True) as (meta, reader):
            geometry = meta.get("geometry_name") or "wkb_geometry"
            fid = meta.get("fid_column") or "OGC_FID"
            for batch in reader:
                geoms = _from_wkb(batch.column(geometry).to_numpy(zero_copy_only=False))
                fids = batch.column(fid).to_numpy().copy()  # a view would keep the whole batch alive
                yield batch.drop_columns([geometry, fid]), geoms, fids

    def _parquet_batches(self):
        columns = [*(self.fields if self.columns is None else self.columns), self.geometry]
        for batch in self._file.iter_batches(batch_size=self.batch_size, columns=columns):
            geoms = _from_wkb(batch.column(self.geometry).to_numpy(zero_copy_only=False))
            yield batch.drop_columns([self.geometry]), geoms, None

    def _frame(self, attributes, geoms: np.ndarray, start: int) -> gpd.GeoDataFrame:
        import pandas as pd

        import geopandas as gpd

        from gis.crs import crs_of

        if self.crs is not None:
            self.crs = crs_of(self.crs)  # parsed once, not once per batch (40 ms each)
        table = attributes.to_pandas()
        table.index = pd.RangeIndex(start, start + len(table))
        return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geoms, index=table.index, crs=self.crs))

    def take(self, positions: np.ndarray) -> np.ndarray:
        """Return the geometries of the features at ``positions`` (file order, 0-based), read again.

        Call it after the batches have been read (a GeoPackage's FIDs are known then).
        """
        positions = np.asarray(positions, dtype=np.int64)
        out = np.empty(len(positions), dtype=object)
        if not len(positions):
            return out
        order = np.argsort(positions, kind="stable")
        wanted = positions[order]
        if self.parquet:
            found = self._parquet_take(wanted)
        else:
            import pyogrio

            fids = np.concatenate(self._fids)
            meta, table = pyogrio.read_arrow(self.path, layer=self.layer, fids=fids[wanted], columns=[],
                                             return_fids=True)
            got = table.column(meta.get("fid_column") or "OGC_FID").to_numpy()
            geometry = meta.get("geometry_name") or "wkb_geometry"
            geoms = _from_wkb(table.column(geometry).to_numpy(zero_copy_only=False))
            lookup = dict(zip(got.tolist(), geoms, strict=True))
            found = np.array([lookup[f] for f in fids[wanted].tolist()], dtype=object)
        out[order] = found
        return out

    def _parquet_take(self, wanted: np.ndarray) -> np.ndarray:
        meta = self._file.metadata
        starts = np.cumsum([0] + [meta.row_group(i).num_rows for i in range(meta.num_row_groups)])
        groups = np.searchsorted(starts, wanted, side="right") - 1
        parts = []
        for group in np.unique(groups):
            rows = wanted[groups == group] - starts[group]  # sorted
            offset = 0  # streamed, not read whole: faster, and one batch of WKB in memory at a time
            for batch in self._file.iter_batches(batch_size=self.batch_size, row_groups=[int(group)],
                                                 columns=[self.geometry]):
                lo, hi = np.searchsorted(rows, [offset, offset + len(batch)])
                if hi > lo:
                    column = batch.column(self.geometry).take(rows[lo:hi] - offset)
                    parts.append(_from_wkb(column.to_numpy(zero_copy_only=False)))
                offset += len(batch)
        return np.concatenate(parts) if parts else np.empty(0, dtype=object)


def _ahead(items: Iterator) -> Iterator:
    """Yield from ``items``, reading the next one on a thread while the caller works on this one."""
    from concurrent.futures import ThreadPoolExecutor

    done = object()
    with ThreadPoolExecutor(max_workers=1) as pool:
        coming = pool.submit(next, items, done)
        while (item := coming.result()) is not done:
            coming = pool.submit(next, items, done)
            yield item


def _from_wkb(wkb: np.ndarray) -> np.ndarray:
    """Decode WKB on two threads (GEOS releases the GIL)."""
    from gis.geometry import parallel

    return parallel(shapely.from_wkb, wkb)


def batches_for(source: str, *, layer: str | None = None, crs=None, encoding: str | None = None,
                sql: str | None = None, columns: list[str] | None = None) -> Batches | None:
    """Return the :class:`Batches` of ``source`` if it is read in batches (see the module docstring), else ``None``."""
    path = Path(source)
    if crs is not None or encoding is not None or sql is not None or path.suffix.lower() not in BATCH_SUFFIXES:
        return None
    if not path.is_file() or path.stat().st_size == 0:
        return None
    try:
        reader = Batches(path, layer=layer, columns=columns)
    except DataSourceError:
        return None  # read whole, so that the error is the one the reader gives
    if reader.parquet and reader.index_column is not None:
        return None  # rows ordered by an index column: read whole (and sorted), as gis.layers does
    if not reader.crs or reader.count < settings.number("batch_above"):
        return None
    if reader.bounds is not None:
        from pyproj import CRS

        from gis.crs import coordinates_misfit

        if coordinates_misfit(tuple(reader.bounds), CRS.from_user_input(reader.crs)) is not None:
            return None  # the whole-file reader refuses it, with the reason
    if not reader.parquet and layer is None and path.suffix.lower() == ".gpkg" and reader.layer is None:
        return None  # several layers: the whole-file reader says which to choose
    return reader

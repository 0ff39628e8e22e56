"""Reading a layer only where it is needed: the features whose box meets one of a set of boxes.

A review of sites spread over a city touches a few percent of a land-use layer
of a million parcels; reading the whole layer would cost more than the review.
These helpers find the features whose bounding box meets any of the sites'
boxes from the source's own index, without decoding the other geometries:

* a GeoPackage: its R-tree (``rtree_<table>_<column>``), one indexed query per box;
* another file GDAL reads (Shapefile, FlatGeobuf …): the features' bounds
  (:func:`pyogrio.read_bounds`), matched to the boxes;
* a GeoParquet dataset with a bbox covering column (GeoParquet 1.1; ``gis export
  --parquet`` writes one): that column alone, then only the matching rows;
* a PostGIS table: its GiST index, through a join on the boxes (``gis.postgis``).

Boxes are ``(minlon, minlat, maxlon, maxlat)`` in EPSG:4326; they are carried into
the source's CRS (densified, so a box stays covered after projection).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import numpy as np

import shapely
from pyproj import CRS, Transformer

from gis.crs import COINCIDENT_ELLIPSOIDS, LAYER_CRS, crs_of
from gis.loops import meeting_rows


def as_boxes(bbox) -> np.ndarray:
    """Return boxes as an ``(n, 4)`` float array (one box, or several).

    Examples
    --------
    >>> as_boxes((1, 2, 3, 4)).shape, as_boxes([(1, 2, 3, 4), (5, 6, 7, 8)]).shape
    ((1, 4), (2, 4))
    """
    boxes = np.atleast_2d(np.asarray(bbox, dtype=float))
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError("boxes are (minx, miny, maxx, maxy)")
    return boxes


def envelope(boxes: np.ndarray) -> tuple[float, float, float, float]:
    """Return the one box that holds all ``boxes``."""
    return (float(boxes[:, 0].min()), float(boxes[:, 1].min()), float(boxes[:, 2].max()), float(boxes[:, 3].max()))


def boxes_in(crs, boxes: np.ndarray) -> np.ndarray:
    """Return lon/lat ``boxes`` carried into ``crs`` (each the box of its densified projection)."""
    if crs is None:
        return boxes
    target = crs_of(crs)
    if target.equals(crs_of(LAYER_CRS)) or (
        target.is_geographic and target.ellipsoid is not None and target.ellipsoid.name in COINCIDENT_ELLIPSOIDS
    ):
        return boxes
    transformer = Transformer.from_crs(LAYER_CRS, target, always_xy=True)
    return np.array([transformer.transform_bounds(*b, densify_pts=21) for b in boxes])


def rows_meeting(bounds: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Return, sorted, the indices of the rows whose ``bounds`` meet any of ``boxes``.

    Fast for a million rows and a thousand boxes: each box is registered in the
    cells of a grid it covers (box-sized cells, at most :data:`GRID_SIDE` a side);
    a compiled loop (:func:`gis.loops.meeting_rows`) tests each row exactly
    against the boxes of the cells it covers. A row or a box spanning more than
    :data:`SPAN_CELLS` cells is tested against every box or row instead; rows
    or boxes that are not finite meet nothing.

    Examples
    --------
    >>> rows_meeting(np.array([[0, 0, 1, 1], [5, 5, 6, 6], [2, 2, 3, 3]]), np.array([[0.5, 0.5, 2.5, 2.5]]))
    array([0, 2])
    """
    bounds = np.ascontiguousarray(bounds, dtype=float)
    boxes = np.asarray(boxes, dtype=float).reshape(-1, 4)
    good = np.ascontiguousarray(boxes[np.isfinite(boxes).all(axis=1)])  # a site without a box meets nothing
    if not len(bounds) or not len(good):
        return np.zeros(0, dtype=np.int64)
    x0, y0 = float(good[:, 0].min()), float(good[:, 1].min())
    x1, y1 = float(good[:, 2].max()), float(good[:, 3].max())
    cell = max(float(np.median(good[:, 2] - good[:, 0])), float(np.median(good[:, 3] - good[:, 1])),
               (x1 - x0) / GRID_SIDE, (y1 - y0) / GRID_SIDE, 1e-12)
    nx = min(int((x1 - x0) / cell) + 1, GRID_SIDE + 1)
    ny = min(int((y1 - y0) / cell) + 1, GRID_SIDE + 1)
    i0 = np.clip(((good[:, 0] - x0) / cell).astype(np.int64), 0, nx - 1)
    i1 = np.clip(((good[:, 2] - x0) / cell).astype(np.int64), 0, nx - 1)
    j0 = np.clip(((good[:, 1] - y0) / cell).astype(np.int64), 0, ny - 1)
    j1 = np.clip(((good[:, 3] - y0) / cell).astype(np.int64), 0, ny - 1)
    span = (i1 - i0 + 1) * (j1 - j0 + 1)
    wide = span > SPAN_CELLS
    usual = np.flatnonzero(~wide)
    per = span[usual]
    owners = np.repeat(usual, per)
    within = np.arange(len(owners)) - np.repeat(np.cumsum(per) - per, per)
    rows_of = j1[owners] - j0[owners] + 1
    cells = (i0[owners] + within // rows_of) * ny + j0[owners] + within % rows_of
    order = np.argsort(cells, kind="stable")
    starts = np.searchsorted(cells[order], np.arange(nx * ny + 1)).astype(np.int64)
    out = np.zeros(len(bounds), dtype=np.bool_)
    meeting_rows(bounds, good, x0, y0, cell, nx, ny, starts, owners[order].astype(np.int64),
                 np.flatnonzero(wide).astype(np.int64), SPAN_CELLS, out.view(np.uint8))
    return np.flatnonzero(out)


#: Cells per side at most of the grid :func:`rows_meeting` registers the boxes in.
GRID_SIDE: int = 2048
#: A box or row spanning more cells than this is tested against every row or box instead.
SPAN_CELLS: int = 64


def gpkg_fids(path: Path, layer: str | None, boxes: np.ndarray) -> np.ndarray | None:
    """Return the feature ids a GeoPackage's R-tree gives for ``boxes`` (lon/lat), or ``None`` without an R-tree."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        query = ("SELECT g.table_name, g.column_name, s.organization, s.organization_coordsys_id, s.definition "
                 "FROM gpkg_geometry_columns g JOIN gpkg_spatial_ref_sys s ON g.srs_id = s.srs_id")
        try:
            rows = db.execute(query).fetchall()
        except sqlite3.Error:
            return None
        if layer is not None:
            rows = [r for r in rows if r[0] == layer]
        if len(rows) != 1:
            return None
        table, column, organization, code, definition = rows[0]
        rtree = f"rtree_{table}_{column}"
        if not db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (rtree,)).fetchall():
            return None
        try:
            crs = CRS.from_authority(organization, code) if organization and code and code > 0 else (
                CRS.from_user_input(definition) if definition and definition != "undefined" else None)
        except Exception:  # an unusual definition: the caller reads by the envelope instead
            return None
        local = np.asarray(boxes_in(crs, boxes), dtype=float).reshape(-1, 4)
        local = local[np.isfinite(local).all(axis=1)]  # a site without a box meets nothing
        if not len(local):
            return np.zeros(0, dtype=np.int64)
        quoted = '"' + rtree.replace('"', '""') + '"'
        # One statement for all boxes (the boxes as a JSON array, each searched in the R-tree), its ids as one
        # text: SQLite walks the tree without the GIL, and the thread does not queue for it once per row.
        sql = (f"SELECT group_concat(r.id) FROM json_each(?) AS b CROSS JOIN {quoted} AS r "
               "WHERE r.minx <= json_extract(b.value, '$[2]') AND r.maxx >= json_extract(b.value, '$[0]') "
               "AND r.miny <= json_extract(b.value, '$[3]') AND r.maxy >= json_extract(b.value, '$[1]')")
        try:
            (found,) = db.execute(sql, (json.dumps(local.tolist()),)).fetchone()
        except sqlite3.Error:  # an SQLite without JSON: the caller reads by the features' boxes instead
            return None
    return np.unique(np.array(found.split(","), dtype=np.int64)) if found else np.zeros(0, dtype=np.int64)


#: Rows decoded at a time when :func:`parquet_rows` cuts a GeoParquet file to the rows it needs.
BATCH_ROWS: int = 16_384
#: Bytes :func:`parquet_rows` reads from a file at a time (rather than each column chunk whole).
READ_BUFFER: int = 4 << 20


def parquet_covering(schema_metadata: dict | None) -> str | None:
    """Return the bbox covering column a GeoParquet file declares, or ``None``."""
    if not schema_metadata or b"geo" not in schema_metadata:
        return None
    geo = json.loads(schema_metadata[b"geo"])
    column = geo.get("primary_column", "geometry")
    covering = geo.get("columns", {}).get(column, {}).get("covering", {}).get("bbox")
    return covering["xmin"][0] if covering else None


def parquet_rows(path: Path, boxes: np.ndarray, columns: list[str] | None = None):
    """Read the rows of a GeoParquet file or dataset whose bbox meets ``boxes``; ``None`` without a bbox column.

    The bbox columns of all files are read first (two files at a time: pyarrow
    decodes without the GIL) and matched to the boxes in one pass; then, of each
    file with rows that meet, only the geometry and the asked ``columns`` (all
    when ``None``), cut to those rows batch by batch as they are decoded.

    Returns
    -------
    tuple or None
        ``(pyarrow.Table, geometries, geo metadata dict)`` of the matching rows: the table without the
        geometry column, the geometries as shapely objects, in the same order.
    """
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    dataset = ds.dataset(str(path), format="parquet")
    metadata = dataset.schema.metadata
    covering = parquet_covering(metadata)
    if covering is None or covering not in dataset.schema.names:
        return None
    geo = json.loads(metadata[b"geo"])
    geometry = geo.get("primary_column", "geometry")
    crs = geo.get("columns", {}).get(geometry, {}).get("crs")
    local = boxes_in(None if crs is None else crs_of(crs), boxes)
    names = [c for c in dataset.schema.names if c != covering]
    wanted = names if columns is None else [c for c in names if c == geometry or c in columns
                                             or c.startswith("__index_level_")]
    from gis.geometry import THREADS

    def on_threads(func, items: list) -> list:
        if len(items) > 1 and THREADS > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=THREADS) as pool:
                return list(pool.map(func, items))
        return [func(item) for item in items]

    def bounds_of(file: str) -> list[np.ndarray]:
        with pq.ParquetFile(file) as handle:
            bbox = handle.read(columns=[covering], use_threads=False).column(covering).combine_chunks()
        return [bbox.field(k).to_numpy(zero_copy_only=False) for k in ("xmin", "ymin", "xmax", "ymax")]

    files = list(dataset.files)
    # Matched in one pass, not file by file: the boxes are registered once, and the threads reading the files
    # do not queue for the GIL between files.
    every = on_threads(bounds_of, files)
    ends = np.cumsum([len(b[0]) for b in every], dtype=np.int64)
    bounds = np.empty((int(ends[-1]) if len(ends) else 0, 4))  # by row, as rows_meeting reads them
    for j in range(4 if every else 0):
        np.concatenate([b[j] for b in every], out=bounds[:, j])
    hits = rows_meeting(bounds, local)
    cuts = np.searchsorted(hits, np.r_[0, ends])
    todo = [(file, hits[cuts[k]:cuts[k + 1]] - (ends[k - 1] if k else 0)) for k, file in enumerate(files)
            if cuts[k + 1] > cuts[k]]

    def read(job) -> tuple[pa.Table, np.ndarray]:
        file, rows = job
        kept = []
        # Batch by batch, each cut to its rows at once: the few megabytes decoded at a time are reused, where a
        # whole file's geometries would be decoded into fresh memory (which the kernel must first clear) and
        # then mostly dropped. Closed at once: a reader keeps the chunks it has read.
        with pq.ParquetFile(file, buffer_size=READ_BUFFER) as handle:
            start = 0
            for batch in handle.iter_batches(batch_size=BATCH_ROWS, columns=wanted, use_threads=False):
                lo, hi = np.searchsorted(rows, (start, start + batch.num_rows))
                if hi > lo:
                    kept.append(batch.take(pa.array(rows[lo:hi] - start)))
                start += batch.num_rows
        part = pa.Table.from_batches(kept)
        # Decoded here, file by file: while one thread makes the geometries (holding the GIL), the other
        # decodes the next file (without it).
        shapes = shapely.from_wkb(part.column(geometry).to_numpy(zero_copy_only=False))
        return part.drop_columns([geometry]), shapes

    parts = on_threads(read, todo)
    if not parts:
        schema = dataset.schema.remove(dataset.schema.get_field_index(covering))
        empty = pa.Table.from_batches([], schema=schema).select(wanted).drop_columns([geometry])
        return empty.replace_schema_metadata(metadata), np.zeros(0, dtype=object), geo
    table = pa.concat_tables([p[0] for p in parts])
    shapes = np.concatenate([p[1] for p in parts])
    return table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata}), shapes, geo

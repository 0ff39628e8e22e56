"""Vector tiles in the workbench: every layer it shows, cut by a worker process of its own.

The tile worker (a one-process pool, so that tiles never wait behind an
analysis) holds the layers as :class:`gis.tiles.TiledLayer`:

* the shipped layers (``/api/layers``), indexed the first time a tile of one is asked for;
* the big layers given to ``gis serve --layer NAME=FILE`` (a GeoPackage, Shapefile,
  GeoParquet… read with :func:`gis.layers.open_source`), read and indexed once when
  the worker starts, with a progress line on standard error;
* a planner's upload with more than :data:`TILED_UPLOAD_ABOVE` features: the analysis
  worker keeps it as GeoParquet in the data folder (``tiles/upload-TOKEN.parquet``)
  for :data:`UPLOAD_TTL_S` (at most :data:`UPLOADS_KEPT` of them), and the page draws it
  from tiles of ``upload-TOKEN`` rather than as one element per feature.

The server process keeps encoded tiles in a bounded LRU cache
(:class:`TileService`, :data:`CACHE_BYTES`), asks the worker once for a tile that
several planners want at the same moment, and answers an empty tile with 204.
A ``--layer``'s overview tiles (zooms up to :data:`START_ZOOM`) are cut before the
server answers; the next zooms, up to one beyond the zoom where its features are
drawn as themselves, are cut in the background after (:data:`WARM_TILES`), one tile
at a time so that a planner's request never waits behind more than one of them.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import sys
import time
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from gis.errors import InputError

#: An upload with more features than this is drawn from tiles (the page draws fewer as vectors).
TILED_UPLOAD_ABOVE = 5_000
#: How long an upload's tiles can be asked for (seconds).
UPLOAD_TTL_S = 2 * 3600
#: Uploads kept for tiles at once (the oldest goes first).
UPLOADS_KEPT = 8
#: Bytes of encoded tiles the server process keeps.
CACHE_BYTES = 256 * 1024 * 1024
#: A ``--layer``'s tiles up to this zoom are cut at start, before the server answers (the overview:
#: each of these tiles summarises the most features).
START_ZOOM = 12
#: After start, tiles from ``START_ZOOM + 1`` to one zoom beyond the layer's detail zoom are cut in the
#: background, at most this many a layer, and no more than three quarters of the cache holds.
WARM_TILES = 6000
#: Names ``--layer`` accepts: letters (Chinese too), digits, ``_`` and ``-``.
LAYER_NAME = re.compile(r"^[^\W][\w-]{0,63}$")
_UPLOAD = re.compile(r"^upload-([0-9a-f]{32})$")

# --- in the tile worker ------------------------------------------------------------------------------------------

_BIG: dict[str, object] = {}
_SHIPPED: dict[tuple, object] = {}
_UPLOADS: OrderedDict[str, object] = OrderedDict()
_FOLDER: list[Path | None] = [None]


def check_layer_name(name: str) -> str:
    """Return a ``--layer`` name, or raise :class:`~gis.errors.InputError` for one the workbench cannot use."""
    from gis.layers import is_shipped_layer

    if not LAYER_NAME.match(name) or _UPLOAD.match(name):
        raise InputError(f"--layer name {name!r}: use letters, digits, _ or - (at most 64), not upload-…")
    if is_shipped_layer(name):
        raise InputError(f"--layer name {name!r} is a shipped layer's: choose another name")
    return name


def _say(text: str) -> None:
    print(f"gis serve: {text}", file=sys.stderr, flush=True)


def init_worker(layers: dict[str, str], folder: str | None) -> None:
    """Read and index the ``--layer`` files (in the tile worker, once, with progress lines)."""
    from gis.layers import open_source
    from gis.tiles import TiledLayer

    _FOLDER[0] = Path(folder) if folder else None
    for name, path in layers.items():
        start = time.perf_counter()
        _say(f"layer {name}: reading {path} …")
        gdf, _info = open_source(path)
        _say(f"layer {name}: {len(gdf):,} features read in {time.perf_counter() - start:.1f} s; indexing …")
        _BIG[name] = TiledLayer(gdf, name=name)
        del gdf
        _say(f"layer {name}: ready for tiles ({len(_BIG[name]):,} features, detail from zoom "
             f"{_BIG[name].detail_zoom}) in {time.perf_counter() - start:.1f} s")


def ready() -> int:
    """Answer once the worker has read its layers (the server waits on this at start)."""
    return os.getpid()


def upload_path(folder: Path | None, name: str) -> Path | None:
    """Return the file of an upload's layer while it is kept, else ``None``."""
    match = _UPLOAD.match(name)
    if folder is None or not match:
        return None
    path = Path(folder) / f"{name}.parquet"
    try:
        fresh = time.time() - path.stat().st_mtime < UPLOAD_TTL_S
    except OSError:
        return None
    return path if fresh else None


def _layer(name: str):
    from gis.layers import is_shipped_layer, layer_path, read_layer
    from gis.tiles import TiledLayer

    if name in _BIG:
        return _BIG[name]
    if is_shipped_layer(name):
        path = layer_path(name)
        key = (name, path.stat().st_mtime_ns, path.stat().st_size)
        if key not in _SHIPPED:
            _SHIPPED[key] = TiledLayer(read_layer(name), name=name)
        return _SHIPPED[key]
    path = upload_path(_FOLDER[0], name)
    if path is None:
        raise KeyError(name)
    if name not in _UPLOADS:
        import geopandas as gpd

        _UPLOADS[name] = TiledLayer(gpd.read_parquet(path), name=name)
        while len(_UPLOADS) > 4:
            _UPLOADS.popitem(last=False)
    _UPLOADS.move_to_end(name)
    return _UPLOADS[name]


def tile(name: str, z: int, x: int, y: int) -> bytes:
    """Tile ``z/x/y`` of a layer (MVT bytes, ``b""`` when empty)."""
    return _layer(name).tile(z, x, y)


def metadata(name: str) -> dict:
    """Return the TileJSON-like metadata of a layer."""
    return _layer(name).metadata()


def feature_at(name: str, lon: float, lat: float, z: int) -> dict | None:
    """Return what the page shows for the feature under a point (attributes, area, geometry), or ``None``."""
    layer = _layer(name)
    row = layer.feature_at(lon, lat, z)
    return None if row is None else layer.describe(row)


# --- in the analysis worker -------------------------------------------------------------------------------------

def save_upload(sites, folder: str | os.PathLike[str], label: str) -> dict:
    """Keep an upload's sites for tiles (GeoParquet in ``folder``); return the layer the page draws."""
    from gis.tiles import POPUP_FIELDS

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    kept = sorted(folder.glob("upload-*.parquet"), key=lambda p: p.stat().st_mtime, reverse=True)
    for k, old in enumerate(kept):
        if k >= UPLOADS_KEPT - 1 or time.time() - old.stat().st_mtime >= UPLOAD_TTL_S:
            old.unlink(missing_ok=True)
    name = f"upload-{secrets.token_hex(16)}"
    columns = ["id", "name", *[c for c in sites.columns if c not in ("id", "name", sites.geometry.name)]]
    frame = sites[[*columns[:POPUP_FIELDS], sites.geometry.name]]
    text = {c: [None if v is None or v != v else str(v) for v in frame[c]] for c in frame.columns
            if c != frame.geometry.name and frame[c].dtype == object}  # mixed objects as text (NaN stays empty)
    frame = frame.assign(**text)
    partial = folder / f".{name}.parquet.part"
    frame.to_parquet(partial)
    partial.replace(folder / f"{name}.parquet")
    return {"layer": name, "features": len(frame), "title": label, "tilejson": f"/api/tiles/{name}.json"}


# --- in the server process --------------------------------------------------------------------------------------

class TileService:
    """The tile worker, the server's cache of encoded tiles, and the names it tiles.

    Parameters
    ----------
    layers : dict
        ``--layer`` names and files.
    folder : Path
        Where uploads are kept for tiles (``DATA/tiles``).
    cache_bytes : int
        Bound of the LRU cache of encoded tiles.
    """

    def __init__(self, layers: dict[str, str], folder: Path, *, cache_bytes: int = CACHE_BYTES) -> None:
        self.layers = dict(layers)
        self.folder = Path(folder)
        self.cache_bytes = cache_bytes
        self.pool: ProcessPoolExecutor | None = None
        self._cache: OrderedDict[tuple, bytes] = OrderedDict()
        self._size = 0
        self._inflight: dict[tuple, asyncio.Future] = {}
        self.warming = False
        self._warm_task: asyncio.Task | None = None
        self._meta: dict[str, dict] = {}  # the --layer layers' metadata, asked once at start (files read once)

    async def start(self) -> None:
        """Start the tile worker, wait until it has read the ``--layer`` files and cut their overview tiles."""
        self.pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"), initializer=init_worker,
                                        initargs=(self.layers, str(self.folder)))
        await self._run(ready)
        metas = {name: await self.metadata(name) for name in self.layers}
        self._meta.update(metas)
        for name, meta in metas.items():
            started = time.perf_counter()
            count = await self._cut(name, meta["bounds"], range(0, START_ZOOM + 1), None)
            _say(f"layer {name}: {count} overview tiles (zoom 0–{START_ZOOM}) cut in "
                 f"{time.perf_counter() - started:.1f} s")
        if metas:
            self.warming = True
            self._warm_task = asyncio.get_running_loop().create_task(self._warm(metas))

    async def _cut(self, name: str, bounds, zooms, budget: int | None) -> int:
        from gis.tiles import tile_at

        west, south, east, north = bounds
        count = 0
        for z in zooms:
            x0, y0 = tile_at(west, north, z)
            x1, y1 = tile_at(east, south, z)
            for x in range(x0, x1 + 1):
                for y in range(y0, y1 + 1):
                    if budget is not None and (count >= budget or self._size > 0.75 * self.cache_bytes):
                        return count
                    await self.tile(name, z, x, y)
                    count += 1
        return count

    async def _warm(self, metas: dict[str, dict]) -> None:
        from gis.tiles import MAX_ZOOM

        try:
            for name, meta in metas.items():
                started = time.perf_counter()
                zooms = range(START_ZOOM + 1, max(START_ZOOM, min(MAX_ZOOM, meta["detail_zoom"] + 1)) + 1)
                count = await self._cut(name, meta["bounds"], zooms, WARM_TILES)
                _say(f"layer {name}: {count} more tiles (zoom {zooms.start}–{zooms.stop - 1}) cut in the background "
                     f"in {time.perf_counter() - started:.1f} s")
        except Exception as exc:  # a failed warm-up leaves tiles to be cut on demand
            _say(f"cutting tiles in the background stopped: {exc}")
        finally:
            self.warming = False

    def stop(self) -> None:
        """Stop the tile worker."""
        if self._warm_task is not None:
            self._warm_task.cancel()
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)

    async def _run(self, func, *args):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, func, *args)

    def knows(self, name: str) -> bool:
        """Whether ``name`` is a layer the workbench tiles (shipped, ``--layer``, or a kept upload)."""
        from gis.layers import is_shipped_layer

        return name in self.layers or is_shipped_layer(name) or upload_path(self.folder, name) is not None

    def _stamp(self, name: str) -> tuple:
        from gis.layers import is_shipped_layer, layer_path

        if is_shipped_layer(name):
            stat = layer_path(name).stat()
            return (stat.st_mtime_ns, stat.st_size)
        return ()

    async def tile(self, name: str, z: int, x: int, y: int) -> bytes:
        """Return a tile, from the cache or the worker."""
        key = (name, self._stamp(name), z, x, y)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        if key in self._inflight:
            return await asyncio.shield(self._inflight[key])
        future = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            data = await self._run(tile, name, z, x, y)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waits
            raise
        finally:
            self._inflight.pop(key, None)
        future.set_result(data)
        self._cache[key] = data
        self._size += len(data) + 64
        while self._size > self.cache_bytes and self._cache:
            _, old = self._cache.popitem(last=False)
            self._size -= len(old) + 64
        return data

    async def metadata(self, name: str) -> dict:
        """Return a layer's TileJSON-like metadata (a ``--layer``'s kept from the start, others from the worker)."""
        if name in self._meta:
            return dict(self._meta[name])
        return await self._run(metadata, name)

    async def feature_at(self, name: str, lon: float, lat: float, z: int) -> dict | None:
        """Return the feature under a point (from the worker), or ``None``."""
        return await self._run(feature_at, name, lon, lat, z)

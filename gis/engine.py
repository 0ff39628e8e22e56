"""The same areas and overlays on Dask: dask-geopandas over a dask.distributed cluster.

``engine="dask"`` partitions the input spatially (along a Hilbert curve), runs
the local functions (:func:`gis.area.measure_area`, :func:`gis.overlay.overlay`)
on every partition on the cluster's workers, and
returns results in the input's order, identical to the local engine. An existing
cluster is used with ``scheduler="tcp://host:8786"``; otherwise a
``LocalCluster`` of ``workers`` processes is started for the call. GeoParquet
inputs (``gis export --parquet``) are read by the workers partition by
partition, so they need not fit in the client's memory.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd

from gis.errors import InputError

#: Rows per partition when the caller does not say.
ROWS_PER_PARTITION = 50_000
#: Engines the area and overlay functions accept by name.
ENGINES: tuple[str, ...] = ("local", "dask")
_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://[^\s/:]+(:\d{1,5})?/?$|^[A-Za-z0-9.-]+:\d{1,5}$")


@dataclass(frozen=True)
class Dask:
    """The Dask engine: an existing scheduler (``scheduler="tcp://host:8786"``), or a local cluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler; default: a ``LocalCluster`` started for the call.
    workers : int
        Worker processes of the local cluster (at least 1).
    progress : bool
        Show a progress bar on standard error.
    """

    scheduler: str | None = None
    workers: int = 2
    progress: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1:
            raise InputError(f"`workers` must be a whole number of at least 1, got {self.workers!r}")
        if self.scheduler is not None and not _ADDRESS.match(str(self.scheduler)):
            raise InputError(f"`scheduler` {self.scheduler!r} is not a scheduler address such as tcp://10.0.0.5:8786")


def resolve_engine(engine: str | Dask | None) -> Dask | None:
    """Return the Dask engine an ``engine`` argument asks for, or ``None`` for the local engine.

    Examples
    --------
    >>> resolve_engine("local") is None, resolve_engine("dask").workers
    (True, 2)
    """
    if engine is None or engine == "local":
        return None
    if engine == "dask":
        return Dask()
    if isinstance(engine, Dask):
        return engine
    raise InputError(f"unknown `engine` {engine!r}; use one of {', '.join(ENGINES)} (or gis.engine.Dask(...))")


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2) -> Iterator[object]:
    """Yield a ``distributed.Client``: of an existing scheduler, or of a LocalCluster made for the call."""
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler, timeout="10s")
        try:
            yield client
        finally:
            client.close()
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=40) as cluster, Client(cluster) as client:
        yield client


def partitions(data: gpd.GeoDataFrame | str | Path, client, npartitions: int | None = None) -> list:
    """Put the input on the cluster as spatial partitions; return one future per partition.

    A GeoDataFrame is ordered along a Hilbert curve (``hilbert_distance``) and cut
    into contiguous, hence spatially compact, partitions that are scattered to the
    workers. A GeoParquet path is read by the workers themselves, partition by
    partition (its partitions are already spatial when ``gis export --parquet``
    wrote it). Every partition carries ``_row``, the input order.
    """
    if isinstance(data, str | Path):
        import dask_geopandas

        frame = dask_geopandas.read_parquet(data)
        frame = frame.map_partitions(lambda part: part.assign(_row=part.index.to_numpy()))
        return client.compute(frame.to_delayed())
    parts = npartitions or max(1, min(64, len(data) // ROWS_PER_PARTITION + 1))
    order = np.argsort(data.geometry.hilbert_distance().to_numpy(), kind="stable")
    chunks = [data.iloc[idx].assign(_row=idx) for idx in np.array_split(order, parts) if len(idx)]
    return client.scatter(chunks)


def _progress(futures: list, what: str) -> None:
    from distributed import as_completed
    from tqdm import tqdm

    for _ in tqdm(as_completed(futures), total=len(futures), desc=f"gis: dask {what}", unit="partitions",
                  file=sys.stderr):
        pass


def _measure_partition(part: gpd.GeoDataFrame, method: str, planar_crs=None) -> pd.DataFrame:
    from gis.area import measure_area

    return pd.DataFrame({"_row": part["_row"].to_numpy(), "area": measure_area(part, method, planar_crs=planar_crs)})


def area_dask(data, *, method: str = "ellipsoidal", client, npartitions: int | None = None,
              progress: bool = False, planar_crs=None) -> np.ndarray:
    """Return :func:`gis.area.measure_area` of every polygon, computed on the cluster, in input order."""
    futures = [client.submit(_measure_partition, part, method, planar_crs)
               for part in partitions(data, client, npartitions)]
    if progress:
        _progress(futures, "area")
    parts = pd.concat(client.gather(futures), ignore_index=True)
    out = np.empty(len(parts))
    out[parts["_row"].to_numpy()] = parts["area"].to_numpy()
    return out


def _overlay_partition(part: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, project_id: str, zone_id: str,
                       min_share: float) -> pd.DataFrame:
    import warnings

    from gis.overlay import overlay

    if len(part) == 0:
        return pd.DataFrame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = overlay(part.drop(columns="_row"), zones, project_id=project_id, zone_id=zone_id, min_share=min_share)
    order = dict(zip(part[project_id].astype(str), part["_row"], strict=True))
    return rows.assign(_row=rows["project_id"].map(order))


def overlay_dask(projects, zones: gpd.GeoDataFrame, *, client, project_id: str = "id", zone_id: str = "id",
                 min_share: float = 0.0, npartitions: int | None = None, progress: bool = False) -> pd.DataFrame:
    """Return :func:`gis.overlay.overlay` computed partition by partition on the cluster, in input order."""
    if not len(projects):
        raise InputError("the projects hold no features")
    zones_future = client.scatter(zones, broadcast=True)
    futures = [client.submit(_overlay_partition, part, zones_future, project_id, zone_id, min_share)
               for part in partitions(projects, client, npartitions)]
    if progress:
        _progress(futures, "overlay")
    rows = pd.concat(client.gather(futures), ignore_index=True)
    rows = rows.sort_values(["_row", "share_inside"], ascending=[True, False], kind="stable")
    rows = rows.drop(columns="_row").reset_index(drop=True)
    rows["zone_id"] = rows["zone_id"].astype(object).where(rows["zone_id"].notna(), None)
    return rows


def write_parquet(gdf: gpd.GeoDataFrame, folder: str | Path, *, rows_per_partition: int = ROWS_PER_PARTITION) -> Path:
    """Write a layer as a GeoParquet dataset of spatial partitions (Hilbert order); the index is the input order.

    One file per partition (``part.0.parquet`` …), each a contiguous stretch of the
    Hilbert curve, so that a Dask worker reads a compact area. Rows without a
    geometry (missing or empty), which have no place on the curve, come last.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = gdf.reset_index(drop=True)
    geoms = data.geometry
    placed = ~(geoms.isna() | geoms.is_empty).to_numpy()
    key = np.full(len(data), np.iinfo(np.int64).max)
    if placed.any():
        key[placed] = geoms[placed].hilbert_distance().to_numpy()
    order = np.argsort(key, kind="stable")
    parts = max(1, len(data) // rows_per_partition + (1 if len(data) % rows_per_partition else 0))
    for i, idx in enumerate(np.array_split(order, parts)):
        data.iloc[np.sort(idx)].to_parquet(folder / f"part.{i}.parquet", write_covering_bbox=True)
    return folder

"""Synthetic parcels near Wenzhou, for benchmarks and tests.

:func:`parcels` tiles a block of the 温州 coastal plain with gap-free irregular
quadrilaterals (a jittered grid, every edge split into several vertices), the
shape and size of land-survey parcels (三调图斑): 20–28 vertices, about 1–30 亩.
Neighbours share their edges exactly, as a coverage does.
"""

from __future__ import annotations

import numpy as np

import geopandas as gpd
import shapely

_M_PER_DEG_LAT = 110_574.0


def parcels(
    n: int,
    *,
    origin: tuple[float, float] = (120.62, 27.80),
    cell_m: tuple[float, float] = (80.0, 60.0),
    seed: int = 0,
    topology: bool = False,
) -> gpd.GeoDataFrame:
    """Return about ``n`` gap-free parcels in EPSG:4326.

    Parameters
    ----------
    n : int
        Number of parcels wanted (rounded to a full grid of rows × columns).
    origin : tuple of float
        South-west corner (lon, lat) of the block.
    cell_m : tuple of float
        Mean parcel width and height in metres.
    seed : int
        Seed of the random jitter.
    topology : bool
        Build a clean coverage as a land survey delivers one (三调 topology checks): every edge
        split into 6 points computed once, so neighbours share every vertex, not only the corners.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``id`` (``p0000001`` …), ``land_use`` (one of five classes) and geometry.
    """
    rng = np.random.default_rng(seed)
    cols = max(1, int(np.sqrt(n * cell_m[1] / cell_m[0])))
    rows = max(1, int(np.ceil(n / cols)))
    lon0, lat0 = origin
    m_per_deg_lon = 111_320.0 * np.cos(np.radians(lat0))
    # Jittered grid nodes, shared by neighbouring parcels.
    gx, gy = np.meshgrid(np.arange(cols + 1) * cell_m[0], np.arange(rows + 1) * cell_m[1])
    gx = gx + rng.uniform(-0.3, 0.3, gx.shape) * cell_m[0]
    gy = gy + rng.uniform(-0.3, 0.3, gy.shape) * cell_m[1]
    nodes = np.stack([lon0 + gx / m_per_deg_lon, lat0 + gy / _M_PER_DEG_LAT], axis=-1)
    r, c = np.divmod(np.arange(rows * cols), cols)
    if topology:
        geoms = _shared_edges(nodes, r, c, 6)
        return _frame(geoms, rng, n)
    corners = np.stack([nodes[r, c], nodes[r, c + 1], nodes[r + 1, c + 1], nodes[r + 1, c]], axis=1)
    split = rng.choice([5, 6, 7], size=len(corners))  # 20, 24 or 28 vertices
    geoms = np.empty(len(corners), dtype=object)
    for k in (5, 6, 7):
        sel = np.flatnonzero(split == k)
        if not len(sel):
            continue
        t = (np.arange(k) / k)[None, None, :, None]
        a = corners[sel][:, :, None, :]
        b = np.roll(corners[sel], -1, axis=1)[:, :, None, :]
        ring = (a + (b - a) * t).reshape(len(sel), 4 * k, 2)
        ring = np.concatenate([ring, ring[:, :1]], axis=1)
        geoms[sel] = shapely.polygons(ring)
    return _frame(geoms, rng, n)


def _shared_edges(nodes: np.ndarray, r: np.ndarray, c: np.ndarray, k: int) -> np.ndarray:
    """Rings whose edges are taken from points computed once per edge (so neighbours share them exactly)."""
    t = (np.arange(k + 1) / k)[None, None, :, None]
    horizontal = nodes[:, :-1, None, :] + (nodes[:, 1:, None, :] - nodes[:, :-1, None, :]) * t[0]
    vertical = nodes[:-1, :, None, :] + (nodes[1:, :, None, :] - nodes[:-1, :, None, :]) * t[0]
    bottom = horizontal[r, c, :k]                # (r, c) → (r, c+1)
    right = vertical[r, c + 1, :k]               # (r, c+1) → (r+1, c+1)
    top = horizontal[r + 1, c, ::-1][:, :k]      # (r+1, c+1) → (r+1, c)
    left = vertical[r, c, ::-1][:, :k]           # (r+1, c) → (r, c)
    ring = np.concatenate([bottom, right, top, left, bottom[:, :1]], axis=1)
    return shapely.polygons(ring)


def _frame(geoms: np.ndarray, rng, n: int) -> gpd.GeoDataFrame:
    classes = np.array(["0103", "1001", "0701", "1207", "1701"])
    gdf = gpd.GeoDataFrame(
        {"id": [f"p{i:07d}" for i in range(len(geoms))], "land_use": classes[rng.integers(0, 5, len(geoms))]},
        geometry=geoms,
        crs="EPSG:4326",
    )
    return gdf.iloc[:n].reset_index(drop=True)

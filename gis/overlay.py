"""Overlay: which zone a project falls in, how much of it, and what a zone holds.

* :func:`overlay` — for every project (point, line or polygon) and every zone
  it touches: the overlap area (ellipsoidal, m²) and the share of the project
  inside (polygons: of its area; lines: of its length; points: 1 if inside or on
  the boundary). A project in no zone gets one row with ``zone_id`` empty; a
  project on a shared boundary is reported in every zone it touches.
* :func:`zone_composition` — for each zone, the area of each class of another
  layer inside it (the layer dissolved per class first) and its share.

Exact geometry, not centroid tests: an STRtree on the projects finds the
candidate pairs; pairs where the zone contains the project whole are taken
uncut, and only the pairs that straddle a zone boundary are intersected.
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely
from pyproj import CRS

from gis.area import crosses_antimeridian
from gis.crs import LAYER_CRS, to_lonlat
from gis.errors import FieldError, GeometryError, GisWarning, InputError
from gis.geometry import (
    EDGE_TOLERANCE,
    LINE_TYPES,
    POINT_TYPES,
    POLYGON_TYPES,
    line_length,
    parallel,
    points_inside,
    polygon_area,
)
from gis.geometry import size as measure_size

_POLY = POLYGON_TYPES
_LINE = LINE_TYPES


class OverlayWarning(GisWarning):
    """Something was done to the inputs to overlay them: a reprojection, a repair."""


def _is_valid(geoms: np.ndarray) -> np.ndarray:
    """``shapely.is_valid`` on two threads for large inputs (GEOS releases the GIL)."""
    return parallel(shapely.is_valid, geoms)


def _check_input(gdf: gpd.GeoDataFrame, id_field: str, what: str) -> None:
    """Refuse an overlay input without features, without the id field or without a CRS."""
    if len(gdf) == 0:
        raise InputError(f"{what} holds no features")
    if id_field not in gdf.columns:
        known = ", ".join(c for c in gdf.columns if c != gdf.geometry.name)
        raise FieldError(f"{what} has no id field {id_field!r} (name it with `project_id` / `zone_id`); "
                         f"fields: {known}")
    if gdf.crs is None:
        raise InputError(f"{what} has no CRS")


def prepare(gdf: gpd.GeoDataFrame, id_field: str, what: str) -> gpd.GeoDataFrame:
    """Check and normalise one overlay input: ids, CRS (→ EPSG:4326), valid geometry.

    Invalid geometries are repaired with ``make_valid`` and each repair is
    reported in an :class:`OverlayWarning` naming the feature; rows without
    geometry are refused.
    """
    _check_input(gdf, id_field, what)
    ids = gdf[id_field].astype(str)
    values = np.asarray(gdf.geometry.values, dtype=object)
    missing = pd.Series(shapely.is_missing(values) | shapely.is_empty(values), index=gdf.index)
    if missing.any():
        raise GeometryError(f"{what}: feature {ids[missing].iloc[0]!r} has no geometry ({int(missing.sum())} in all)")
    same = CRS.from_user_input(gdf.crs).equals(CRS.from_user_input(LAYER_CRS))
    out = gdf.copy() if same else to_lonlat(gdf, what)
    wraps = crosses_antimeridian(np.asarray(out.geometry.values, dtype=object))
    if wraps.any():
        raise GeometryError(f"{what}: feature {ids[wraps].iloc[0]!r} crosses the antimeridian (±180°); "
                            "split it there before overlaying")
    invalid = pd.Series(~_is_valid(np.asarray(out.geometry.values, dtype=object)), index=out.index)
    for ident, geom in zip(ids[invalid], out.geometry[invalid], strict=True):
        warnings.warn(
            f"{what}: feature {ident!r} has an invalid geometry ({shapely.is_valid_reason(geom)}); repaired",
            OverlayWarning,
            stacklevel=3,
        )
    if invalid.any():
        repaired = shapely.make_valid(out.geometry[invalid].values)
        out.loc[invalid, out.geometry.name] = gpd.GeoSeries(repaired, index=out.index[invalid], crs=LAYER_CRS)
    return out


#: Projects from which their sizes are measured in a thread while the pairs are found.
PARALLEL_SIZING = 2_000
#: Project–zone pairs cut per slice (each slice advances the progress bar).
CUT_SLICE = 50_000
#: Longest zone-boundary piece (degrees) whose bounding box finds the projects near the boundary.
BOUNDARY_PIECE = 0.002


def _candidate_pairs(pg: np.ndarray, zg: np.ndarray, kind: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (zone index, project index, wholly inside) for every project touching every zone.

    An STRtree on the projects is queried with each zone's bounding box. Only the
    projects whose box meets the box of a short piece of the zone's boundary can
    cross it; every other candidate lies, box and all, wholly inside or wholly
    outside, which one point-in-polygon test of its box's centre decides. The
    exact predicates run on the few near the boundary.
    """
    tree = shapely.STRtree(pg)
    single = np.isin(kind, (shapely.GeometryType.POLYGON, shapely.GeometryType.POINT, shapely.GeometryType.LINESTRING))
    # A project whose box meets no boundary piece's box lies, box and all, on one side of the
    # boundary: the centre of its box tells which.
    bounds = shapely.bounds(pg)
    first = np.column_stack([(bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2])
    zones_out, projects_out, inside_out = [], [], []
    is_point = np.isin(kind, POINT_TYPES)
    tol = EDGE_TOLERANCE
    for zi, zone in enumerate(zg):
        zx0, zy0, zx1, zy1 = shapely.bounds(zone)
        cand = tree.query(shapely.box(zx0 - tol, zy0 - tol, zx1 + tol, zy1 + tol))
        if not len(cand):
            continue
        boundary = shapely.segmentize(shapely.boundary(zone), BOUNDARY_PIECE)
        coords, ring = shapely.get_coordinates(shapely.get_parts(boundary), return_index=True)
        same = ring[1:] == ring[:-1]
        a, b = coords[:-1][same], coords[1:][same]
        pieces = shapely.box(np.minimum(a[:, 0], b[:, 0]) - tol, np.minimum(a[:, 1], b[:, 1]) - tol,
                             np.maximum(a[:, 0], b[:, 0]) + tol, np.maximum(a[:, 1], b[:, 1]) + tol)
        near = np.zeros(len(pg), dtype=bool)
        near[tree.query(pieces)[1]] = True
        near[~single] = True
        shapely.prepare(zone)
        far = cand[~near[cand]]
        far_in = shapely.contains_xy(zone, first[far, 0], first[far, 1])
        close = cand[near[cand]]
        close_in = shapely.contains(zone, pg[close])
        close_touch = close_in.copy()
        rest = ~close_in
        rest_points = rest & is_point[close]
        close_touch[rest_points] = points_inside(zone, pg[close[rest_points]])  # on the edge, within tolerance
        rest_other = rest & ~is_point[close]
        close_touch[rest_other] = shapely.intersects(zone, pg[close[rest_other]])
        keep_far, keep_close = far[far_in], close[close_touch]
        zones_out.append(np.full(len(keep_far) + len(keep_close), zi))
        projects_out.append(np.concatenate([keep_far, keep_close]))
        inside_out.append(np.concatenate([np.ones(len(keep_far), dtype=bool), close_in[close_touch]]))
    if not zones_out:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=bool)
    return np.concatenate(zones_out), np.concatenate(projects_out), np.concatenate(inside_out)


def _intersections(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return ``shapely.intersection(a, b)``, in slices of :data:`CUT_SLICE` pairs under a progress bar."""
    from gis.progress import bar

    out = np.empty(len(a), dtype=object)
    with bar(len(a), "overlaying", unit="pairs") as progress:
        for lo in range(0, len(a), CUT_SLICE):
            out[lo:lo + CUT_SLICE] = shapely.intersection(a[lo:lo + CUT_SLICE], b[lo:lo + CUT_SLICE])
            progress.update(len(out[lo:lo + CUT_SLICE]))
    return out


def overlay(
    projects: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    project_id: str = "id",
    zone_id: str = "id",
    min_share: float = 0.0,
    projects_name: str = "projects",
    zones_name: str = "zones",
    engine="local",
) -> pd.DataFrame:
    """Overlay projects on zones.

    Parameters
    ----------
    projects, zones : geopandas.GeoDataFrame
        Any CRS; zones must be polygons. A CRS mismatch is resolved by
        reprojecting both to EPSG:4326, with a warning.
    project_id, zone_id : str
        The id fields.
    min_share : float
        Drop pairs whose share is below this (0–1); a project left with no
        zone is still listed with an empty ``zone_id``.
    projects_name, zones_name : str
        How to name the inputs in messages.
    engine : {"local", "dask"} or gis.engine.Dask
        Where to compute: this process (default), or partition by partition on a Dask cluster, with the
        same rows in the same order.

    Returns
    -------
    pandas.DataFrame
        ``project_id``, ``zone_id`` (``None`` for a project in no zone),
        ``area_inside_m2`` (polygons; 0 for points and lines),
        ``length_inside_m`` (lines), ``share_inside`` (0–1), ``project_area_m2``
        (polygons) — sorted by project, then by share descending.
    """
    if projects.crs is not None and zones.crs is not None and not CRS.from_user_input(projects.crs).equals(
        CRS.from_user_input(zones.crs)
    ):
        warnings.warn(
            f"{projects_name} is in {projects.crs.name} and {zones_name} in {zones.crs.name}: both reprojected "
            "to EPSG:4326 for the overlay",
            OverlayWarning,
            stacklevel=2,
        )
    if isinstance(min_share, bool) or not isinstance(min_share, int | float) or not 0 <= min_share <= 1:
        raise InputError(f"`min_share` must be a share from 0 to 1, got {min_share!r}")
    from gis.engine import resolve_engine

    dask = resolve_engine(engine)
    if dask is not None:
        from gis.engine import dask_client, overlay_dask

        _check_input(projects, project_id, projects_name)
        z = prepare(zones, zone_id, zones_name)
        with dask_client(dask.scheduler, dask.workers) as client:
            return overlay_dask(projects, z, client=client, project_id=project_id, zone_id=zone_id,
                                min_share=min_share, progress=dask.progress)
    p = prepare(projects, project_id, projects_name)
    z = prepare(zones, zone_id, zones_name)
    zone_kinds = shapely.get_type_id(z.geometry.values)
    if not np.isin(zone_kinds, _POLY).all():
        raise GeometryError(f"{zones_name} must hold polygons to overlay on")
    pg = np.asarray(p.geometry.values, dtype=object)
    zg = np.asarray(z.geometry.values, dtype=object)
    pid = p[project_id].astype(str).to_numpy()
    zid = z[zone_id].astype(str).to_numpy()
    kind = shapely.get_type_id(pg)
    if len(pg) >= PARALLEL_SIZING:
        with ThreadPoolExecutor(max_workers=1) as pool:  # sizes are measured while the pairs are found
            sizing = pool.submit(measure_size, pg, kind)
            zi_all, pi_all, inside = _candidate_pairs(pg, zg, kind)
            size = sizing.result()
    else:  # a few sites (the workbench's drawn ones): a thread would cost more than it saves
        zi_all, pi_all, inside = _candidate_pairs(pg, zg, kind)
        size = measure_size(pg, kind)
    is_point = np.isin(kind, (shapely.GeometryType.POINT, shapely.GeometryType.MULTIPOINT))
    is_line = np.isin(kind, _LINE)

    amount = np.zeros(len(zi_all))
    amount[inside] = size[pi_all[inside]]
    cut = ~inside & ~is_point[pi_all]
    if cut.any():
        pieces = _intersections(pg[pi_all[cut]], zg[zi_all[cut]])
        cut_lines = is_line[pi_all[cut]]
        amount_cut = np.zeros(int(cut.sum()))
        if (~cut_lines).any():
            amount_cut[~cut_lines] = polygon_area(pieces[~cut_lines])
        if cut_lines.any():
            amount_cut[cut_lines] = line_length(pieces[cut_lines])
        amount[cut] = amount_cut
    share = np.zeros(len(zi_all))
    share[is_point[pi_all]] = 1.0  # inside, or on the boundary within EDGE_TOLERANCE
    measured = ~is_point[pi_all] & (size[pi_all] > 0)
    share[measured] = np.clip(amount[measured] / size[pi_all][measured], 0.0, 1.0)
    keep = is_point[pi_all] | (amount > 0)
    if min_share > 0:
        keep &= share >= min_share
    kept = pi_all[keep]
    rows = pd.DataFrame({
        "_pi": kept,
        "project_id": pid[kept],
        "zone_id": zid[zi_all[keep]],
        "area_inside_m2": np.where(is_line[kept] | is_point[kept], 0.0, amount[keep]),
        "length_inside_m": np.where(is_line[kept], amount[keep], np.nan),
        "share_inside": share[keep],
        "project_area_m2": np.where(is_line[kept] | is_point[kept], np.nan, size[kept]),
    })
    lonely = np.flatnonzero(np.bincount(kept, minlength=len(pg)) == 0)
    if len(lonely):
        rows = pd.concat([rows, pd.DataFrame({
            "_pi": lonely, "project_id": pid[lonely], "zone_id": None, "area_inside_m2": 0.0,
            "length_inside_m": np.where(is_line[lonely], 0.0, np.nan), "share_inside": 0.0,
            "project_area_m2": np.where(is_line[lonely] | is_point[lonely], np.nan, size[lonely]),
        })], ignore_index=True)
    rows = rows.sort_values(["_pi", "share_inside"], ascending=[True, False], kind="stable")
    rows = rows.drop(columns="_pi").reset_index(drop=True)
    rows["zone_id"] = rows["zone_id"].astype(object).where(rows["zone_id"].notna(), None)
    return rows


def overlay_batches(
    batches,
    zones: gpd.GeoDataFrame,
    *,
    project_id: str = "id",
    zone_id: str = "id",
    min_share: float = 0.0,
    projects_name: str = "projects",
    zones_name: str = "zones",
):
    """Yield :func:`overlay` of each batch of a file read in batches (:class:`gis.stream.Batches`).

    The zones are prepared once; the rows, batch after batch, are the rows of :func:`overlay` of the
    whole file in the same order (a project's rows stay together, projects in file order), so that they
    can be written as they come.
    """
    from gis.progress import bar

    z = prepare(zones, zone_id, zones_name)
    warned = False
    with bar(getattr(batches, "count", None), "reading, overlaying and writing") as progress:
        for batch in batches:
            if batch.crs is not None and zones.crs is not None and not CRS.from_user_input(batch.crs).equals(
                CRS.from_user_input(zones.crs)
            ) and not warned:
                warnings.warn(
                    f"{projects_name} is in {batch.crs.name} and {zones_name} in {zones.crs.name}: both reprojected "
                    "to EPSG:4326 for the overlay",
                    OverlayWarning,
                    stacklevel=2,
                )
                warned = True
            if batch.crs is not None and not CRS.from_user_input(batch.crs).equals(CRS.from_user_input(LAYER_CRS)):
                batch = batch.to_crs(LAYER_CRS)
            yield overlay(batch, z, project_id=project_id, zone_id=zone_id, min_share=min_share,
                          projects_name=projects_name, zones_name=zones_name)
            progress.update(len(batch))


def zone_composition(
    zones: gpd.GeoDataFrame,
    layer: gpd.GeoDataFrame,
    *,
    field: str = "land_use",
    zone_id: str = "id",
    zones_name: str = "zones",
    layer_name: str = "layer",
) -> pd.DataFrame:
    """Area of each class of ``layer`` inside each zone, with shares.

    The layer is dissolved per class first, so overlapping features of one
    class count once; the part of a zone that no class covers is reported as
    ``（未覆盖）``.

    Returns
    -------
    pandas.DataFrame
        ``zone_id``, ``class``, ``area_m2``, ``share`` (of the zone's area),
        ``zone_area_m2``.
    """
    z = prepare(zones, zone_id, zones_name)
    if not np.isin(shapely.get_type_id(z.geometry.values), _POLY).all():
        raise GeometryError(f"{zones_name} must hold polygons: a zone's composition is a share of its area")
    if field not in layer.columns:
        raise FieldError(f"{layer_name} has no field {field!r}")
    src = prepare(layer.assign(_row=np.arange(len(layer)).astype(str)), "_row", layer_name)
    src = src[src.geom_type.isin(["Polygon", "MultiPolygon"])]
    classes = src.dissolve(by=field, method="unary")
    rows = []
    for ident, zone in zip(z[zone_id].astype(str), z.geometry, strict=True):
        zone_area = float(polygon_area([zone])[0])
        covered = []
        for value, geom in zip(classes.index, classes.geometry, strict=True):
            piece = shapely.intersection(zone, geom)
            area = float(polygon_area([piece])[0])
            if area > 0:
                rows.append({"zone_id": ident, "class": value, "area_m2": area, "share": area / zone_area,
                             "zone_area_m2": zone_area})
                covered.append(piece)
        rest = zone.difference(shapely.union_all(covered)) if covered else zone
        rest_area = float(polygon_area([rest])[0])
        if rest_area > 0:
            rows.append({"zone_id": ident, "class": "（未覆盖）", "area_m2": rest_area,
                         "share": rest_area / zone_area, "zone_area_m2": zone_area})
    return pd.DataFrame(rows, columns=["zone_id", "class", "area_m2", "share", "zone_area_m2"])

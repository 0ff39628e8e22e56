"""Area tables: per feature, grouped without double counting, reconciled, reclaimed.

* :func:`area_table` — one row per feature, or per group of ``by``; a group's
  area is measured on the union of its geometries (溶解), so an overlap counts
  once, and the plain sum is reported beside it whenever the two differ; a final
  total row likewise.
* :func:`reconcile` — measured against documented area for every feature, with
  the difference in % and a flag beyond the tolerance.
* :func:`reclaim_table` — reclaimed acreage of the ``reclamation`` layer with its
  totals by status, by district and by scheme.

Rounded unit columns are half-up; where the parts of a table are disjoint, they
are balanced so that they add up to the rounded total (强制调平).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from gis.area import Method, measure_area, planar_crs_for, require_polygons
from gis.dissolve import dissolved_areas, interiors_meet, overlapping_pairs
from gis.errors import FieldError, GeometryError, InputError
from gis.units import (
    LABELS,
    balanced_round,
    from_square_metres,
    normalize_unit,
    round_half_up,
    round_half_up_each,
    to_square_metres,
)

#: Relative gap between dissolved area and plain sum below which the parts count as disjoint.
DISJOINT_TOLERANCE = 1e-9
#: Decimal places of each unit in tables.
DECIMALS: dict[str, int] = {"m2": 2, "ha": 4, "mu": 2, "km2": 4, "wanmu": 4}


def _label_fields(gdf: gpd.GeoDataFrame) -> list[str]:
    return [f for f in ("id", "name") if f in gdf.columns]


def measurer(crs, method: Method, planar_crs=None) -> Callable[[np.ndarray], np.ndarray]:
    """Return a function measuring an array of polygons in ``crs`` by ``method`` (for dissolved unions)."""

    def measure(geoms: np.ndarray) -> np.ndarray:
        if not len(geoms):
            return np.zeros(0)
        return measure_area(gpd.GeoSeries(geoms, crs=crs), method, planar_crs=planar_crs)

    return measure


def group_codes(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Return a group code per row (groups sorted, empty values a group of their own) and the groups' key values.

    The second item has the ``keys`` columns (``None`` for an empty value) and ``features``, one row per code.
    """
    grouped = frame[keys].groupby(keys, dropna=False, sort=True)
    codes = grouped.ngroup().to_numpy(dtype=np.int64)
    sizes = grouped.size()
    index = sizes.index.to_frame(index=False) if isinstance(sizes.index, pd.MultiIndex) else pd.DataFrame(
        {keys[0]: sizes.index.to_numpy()})
    groups = pd.DataFrame({k: [None if pd.isna(v) else v for v in index[k]] for k in keys})
    groups["features"] = sizes.to_numpy()
    return codes, groups


def area_table(
    gdf: gpd.GeoDataFrame,
    *,
    by: str | Sequence[str] | None = None,
    unit: str = "mu",
    method: Method = "ellipsoidal",
    planar_crs=None,
    what: str = "the data",
    areas: np.ndarray | None = None,
    engine="local",
) -> pd.DataFrame:
    """Return areas per feature, or per group, with a total row.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons in any CRS.
    by : str or list of str, optional
        Field(s) to group by; each group's geometries are dissolved before measuring.
    unit : str
        Unit of the ``area_<unit>`` column: ``m2``, ``ha``, ``mu``, ``km2``, ``wanmu``.
    method : {"ellipsoidal", "geodesic", "planar"}
        See :mod:`gis.area`.
    planar_crs : optional
        CRS for ``method="planar"`` (default: the data's 3° GK zone).
    what : str
        How to name the data in error messages.
    areas : numpy.ndarray, optional
        Areas already measured, one per row.
    engine : {"local", "dask"} or gis.engine.Dask
        Where the per-feature areas are measured (:func:`gis.area.measure_area`).

    Returns
    -------
    pandas.DataFrame
        Columns: the id/name (or group) fields, ``features``, ``area_m2`` and
        ``area_<unit>`` (rounded, balanced), ``sum_m2`` and ``overlap_m2``
        (plain sum of the parts and what it counts twice; groups and total
        only), and ``total`` (True on the last row).

    Raises
    ------
    GeometryError
        If the data hold lines or points.
    FieldError
        If a ``by`` field does not exist.

    Notes
    -----
    Only the features that overlap others are dissolved (:mod:`gis.dissolve`): the
    rest are summed, which gives the area of the union of all, as fast as a sum.
    """
    unit = normalize_unit(unit)
    require_polygons(gdf.geometry, what)
    require_valid(gdf, what)
    keys = area_keys(gdf, by, what)
    if method == "planar" and planar_crs is None:
        planar_crs = planar_crs_for(gdf)  # one plane for the parts and the unions alike
    if areas is None:
        areas = measure_area(gdf, method, planar_crs=planar_crs, engine=engine)
    areas = np.asarray(areas, dtype=float)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    pairs = overlapping_pairs(geoms)
    measure = measurer(gdf.crs, method, planar_crs)
    if keys:
        codes, table = group_codes(gdf, keys)
        dissolved = dissolved_areas(geoms, areas, measure, pairs=pairs, groups=codes, n_groups=len(table))
        table = group_rows(table, dissolved, np.bincount(codes, weights=areas, minlength=len(table)))
    else:
        table = feature_rows(gdf, areas)
    total = float(dissolved_areas(geoms, areas, measure, pairs=pairs)[0]) if len(gdf) else 0.0
    return finish_area_table(table, keys=keys, label=first_label(gdf, keys), features=len(gdf),
                             plain_total=float(areas.sum()), dissolved_total=total, unit=unit, method=method)


def area_table_batches(
    batches,
    *,
    by: str | Sequence[str] | None = None,
    unit: str = "mu",
    method: Method = "ellipsoidal",
    planar_crs=None,
    what: str = "the data",
) -> pd.DataFrame:
    """Return :func:`area_table` of a file read in batches (:class:`gis.stream.Batches`), one batch in memory.

    Each batch is checked and measured, its group sums added up, its overlapping pairs found; the
    bounding boxes of all features are kept (32 bytes each). Afterwards, the pairs across batches are
    found from the boxes (only features whose box meets another batch's extent are compared) and tested
    on their geometries, read again; the clusters of overlapping features — within and across batches —
    are read again and dissolved. The table is the same as :func:`area_table` of the whole file.

    Parameters
    ----------
    batches : gis.stream.Batches
        The file, read in batches (each a GeoDataFrame indexed by file position), with ``take(positions)``.
    by, unit, method, planar_crs, what
        As for :func:`area_table`.
    """
    from gis.progress import bar

    unit = normalize_unit(unit)
    keys: list[str] | None = None
    codes, boxes, rows, left, right, areas_all = [], [], [], [], [], []
    group_index: dict[tuple, int] = {}
    kept: dict[int, object] = {}  # geometries of the features in overlapping pairs, by position
    crs = None
    label = "feature"
    with bar(batches.count, "reading and measuring") as progress:
        for batch in batches:
            start = int(batch.index[0]) if len(batch) else 0
            if keys is None:
                keys = area_keys(batch, by, what)
                label = first_label(batch, keys)
                crs = batch.crs
                if method == "planar" and planar_crs is None:
                    planar_crs = planar_crs_for(batch)  # the plane of the first batch: the data are in one zone
            require_polygons(batch.geometry, what)
            require_valid(batch, what)
            areas = np.asarray(measure_area(batch, method, planar_crs=planar_crs), dtype=float)
            geoms = np.asarray(batch.geometry.values, dtype=object)
            i, j = overlapping_pairs(geoms)
            left.append(i + start)
            right.append(j + start)
            for k in np.unique(np.concatenate([i, j])):  # kept for the dissolve: no second reading
                kept[int(k) + start] = geoms[k]
            boxes.append(shapely.bounds(geoms))
            areas_all.append(areas)
            if keys:
                local, found = group_codes(batch, keys)
                found_codes = np.array([group_index.setdefault(tuple(row), len(group_index))
                                        for row in found[keys].itertuples(index=False, name=None)], dtype=np.int64)
                codes.append(found_codes[local])
            else:
                rows.append(feature_rows(batch, areas, start))
            progress.update(len(batch))
    if keys is None:
        raise GeometryError(f"{what} holds no features")
    areas = np.concatenate(areas_all)
    bounds = np.concatenate(boxes)
    starts = np.cumsum([0] + [len(b) for b in boxes])
    geoms = np.empty(len(areas), dtype=object)
    i, j = cross_batch_pairs(bounds, starts, batches.take, geoms)
    pairs = (np.concatenate([*left, i]), np.concatenate([*right, j]))
    if kept:
        geoms[np.fromiter(kept, dtype=np.int64, count=len(kept))] = np.array(list(kept.values()), dtype=object)
    measure = measurer(crs, method, planar_crs)
    if keys:
        table, remap = _sorted_groups(group_index, keys)
        code = remap[np.concatenate(codes)]
        table["features"] = np.bincount(code, minlength=len(table))
        dissolved = dissolved_areas(geoms, areas, measure, pairs=pairs, groups=code, n_groups=len(table))
        table = group_rows(table, dissolved, np.bincount(code, weights=areas, minlength=len(table)))
    else:
        table = pd.concat(rows, ignore_index=True)
    total = float(dissolved_areas(geoms, areas, measure, pairs=pairs)[0])
    return finish_area_table(table, keys=keys, label=label, features=len(areas), plain_total=float(areas.sum()),
                             dissolved_total=total, unit=unit, method=method)


def _sorted_groups(group_index: dict[tuple, int], keys: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Order groups as ``groupby(sort=True, dropna=False)`` does; return their keys and the old → new codes."""
    found = pd.DataFrame(list(group_index), columns=keys)
    order = found.sort_values(keys, na_position="last", kind="stable").index.to_numpy()
    remap = np.empty(len(order), dtype=np.int64)
    remap[order] = np.arange(len(order))
    table = found.iloc[order].reset_index(drop=True)
    table = pd.DataFrame({k: [None if pd.isna(v) else v for v in table[k]] for k in keys})
    return table, remap


def cross_batch_pairs(bounds: np.ndarray, starts: np.ndarray, take,
                      geoms: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return the overlapping pairs of features of different batches, given every feature's bounding box.

    Parameters
    ----------
    bounds : numpy.ndarray
        ``(n, 4)`` boxes (minx, miny, maxx, maxy) of all features, in file order.
    starts : numpy.ndarray
        The position of each batch's first feature, and ``n`` last.
    take : callable
        Reads the geometries at given positions (:meth:`gis.stream.Batches.take`).
    geoms : numpy.ndarray, optional
        An array of ``n`` entries that receives the geometries read (the candidates'), for later use.

    Returns
    -------
    tuple of numpy.ndarray
        Positions ``(i, j)``, ``i`` in an earlier batch than ``j``, whose interiors intersect.
    """
    n_batches = len(starts) - 1
    found_i, found_j = [], []
    extents = [(bounds[a:b, 0].min(), bounds[a:b, 1].min(), bounds[a:b, 2].max(), bounds[a:b, 3].max())
               for a, b in itertools.pairwise(starts) if b > a]
    for b in range(n_batches):
        for c in range(b + 1, n_batches):
            eb, ec = extents[b], extents[c]
            if eb[0] > ec[2] or ec[0] > eb[2] or eb[1] > ec[3] or ec[1] > eb[3]:
                continue
            near_b = starts[b] + np.flatnonzero(_meets(bounds[starts[b]:starts[b + 1]], ec))
            near_c = starts[c] + np.flatnonzero(_meets(bounds[starts[c]:starts[c + 1]], eb))
            if not len(near_b) or not len(near_c):
                continue
            tree = shapely.STRtree(shapely.box(*bounds[near_b].T))
            qi, ti = tree.query(shapely.box(*bounds[near_c].T), predicate="intersects")
            found_i.append(near_b[ti])
            found_j.append(near_c[qi])
    if not found_i:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    i, j = np.concatenate(found_i), np.concatenate(found_j)
    needed = np.unique(np.concatenate([i, j]))
    found = take(needed)
    if geoms is not None:
        geoms[needed] = found
    overlap = interiors_meet(found, np.searchsorted(needed, i), found, np.searchsorted(needed, j))
    return i[overlap], j[overlap]


def _meets(bounds: np.ndarray, extent) -> np.ndarray:
    return (bounds[:, 0] <= extent[2]) & (bounds[:, 2] >= extent[0]) & (bounds[:, 1] <= extent[3]) & (
        bounds[:, 3] >= extent[1])


def area_keys(frame: pd.DataFrame, by: str | Sequence[str] | None, what: str) -> list[str]:
    """Return the ``by`` fields as a list, refusing a field the data do not have."""
    keys = [by] if isinstance(by, str) else list(by or [])
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        geometry = getattr(frame, "_geometry_column_name", None)
        known = ", ".join(c for c in frame.columns if c != geometry)
        raise FieldError(f"{what} has no field {missing[0]!r}; its fields are: {known}")
    return keys


def first_label(frame: pd.DataFrame, keys: list[str]) -> str:
    """Return the column of an area table whose total row says 合计."""
    return (keys or _label_fields(frame) or ["feature"])[0]


def feature_rows(gdf: pd.DataFrame, areas: np.ndarray, start: int = 0) -> pd.DataFrame:
    """Return the rows of an ungrouped area table: the id/name fields (or a feature number) and ``area_m2``."""
    labels = _label_fields(gdf)
    table = gdf[labels].reset_index(drop=True).copy() if labels else pd.DataFrame(
        {"feature": np.arange(start + 1, start + len(gdf) + 1)}
    )
    table["area_m2"] = areas
    table["sum_m2"] = np.nan
    table["overlap_m2"] = np.nan
    return table


def group_rows(groups: pd.DataFrame, dissolved: np.ndarray, plain: np.ndarray) -> pd.DataFrame:
    """Return the rows of a grouped area table from the groups' keys and features, dissolved areas and plain sums."""
    table = groups.copy()
    table["area_m2"] = dissolved
    table["sum_m2"] = plain
    table["overlap_m2"] = np.maximum(0.0, plain - dissolved)
    return table


def finish_area_table(table: pd.DataFrame, *, keys: list[str], label: str, features: int, plain_total: float,
                      dissolved_total: float, unit: str, method: str) -> pd.DataFrame:
    """Round an area table's rows (balanced where they are disjoint) and close it with its total row.

    Parameters
    ----------
    table : pandas.DataFrame
        The rows (:func:`feature_rows` or :func:`group_rows`), areas unrounded.
    keys : list of str
        The group fields (empty for one row per feature).
    label : str
        The column whose total row says 合计.
    features : int
        The number of features.
    plain_total, dissolved_total : float
        The plain sum of the features' areas and the area of their union (m²).
    unit, method : str
        The unit of the ``area_<unit>`` column, and how the areas were measured.
    """
    col = f"area_{unit}"
    digits = DECIMALS[unit]
    rows_total = float(table["area_m2"].sum())
    disjoint = abs(rows_total - dissolved_total) <= DISJOINT_TOLERANCE * max(rows_total, 1.0)
    part_values = from_square_metres(table["area_m2"].to_numpy(dtype=float), unit) if len(table) else np.array([])
    rounded = balanced_round(list(part_values), digits) if disjoint else list(round_half_up_each(part_values, digits))
    table[col] = rounded
    total_row = {c: None for c in table.columns}
    total_row[label] = "合计"
    if keys:
        total_row["features"] = features
    total_row.update({
        "area_m2": dissolved_total,
        "sum_m2": plain_total,
        "overlap_m2": max(0.0, plain_total - dissolved_total),
        col: round_half_up(sum(rounded), digits) if disjoint
        else round_half_up(float(from_square_metres(dissolved_total, unit)), digits),
    })
    table["total"] = False
    total_row["total"] = True
    table = pd.concat([table, pd.DataFrame([total_row])], ignore_index=True)
    for c in ("area_m2", "sum_m2", "overlap_m2"):
        values = pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float)
        present = np.isfinite(values)
        table[c] = round_half_up_each(values, 2) if present.any() else [None] * len(table)
    table.attrs.update({"unit": unit, "unit_label": LABELS[unit], "method": method, "disjoint": disjoint})
    return table


def require_valid(gdf: gpd.GeoDataFrame, what: str) -> None:
    """Refuse invalid polygons: their area is not defined (a self-intersecting ring counts twice or cancels).

    Raises
    ------
    GeometryError
        Naming the first invalid feature, the reason, and how many there are.
    """
    from gis.geometry import parallel

    values = np.asarray(gdf.geometry.values, dtype=object)
    invalid = ~parallel(shapely.is_valid, values)
    if invalid.any():
        first = int(np.flatnonzero(invalid)[0])
        ident = gdf["id"].iloc[first] if "id" in gdf.columns else f"#{first + 1}"
        raise GeometryError(
            f"{what}: feature {ident!r} has an invalid geometry ({shapely.is_valid_reason(values[first])})"
            f"{f' and {int(invalid.sum()) - 1} more' if invalid.sum() > 1 else ''}; repair it first "
            "(gis import repairs with make_valid and reports each repair)"
        )


def reconcile(
    gdf: gpd.GeoDataFrame,
    *,
    tolerance: float = 0.05,
    method: Method = "ellipsoidal",
    what: str = "the data",
) -> pd.DataFrame:
    """Compare measured with documented area for every feature.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features with ``documented_area`` and ``documented_area_unit`` fields.
    tolerance : float
        Relative difference beyond which a feature is flagged (0.05 = ±5 %).
    method : {"ellipsoidal", "geodesic", "planar"}
        How to measure.
    what : str
        How to name the data in error messages.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``name``, ``documented_area``, ``documented_area_unit``,
        ``documented_m2``, ``measured_m2``, ``measured_in_unit`` (in the
        documented unit), ``diff_pct`` and ``flag``: ``符合`` (within), ``超出容差`` (beyond),
        ``无文件面积`` (none documented) or ``非面要素`` (not a polygon).
    """
    check_tolerance(tolerance)
    for field in ("documented_area", "documented_area_unit"):
        if field not in gdf.columns:
            raise FieldError(f"{what} has no field {field!r}: nothing to reconcile against")
    polygonal = gdf.geom_type.isin(["Polygon", "MultiPolygon"])
    measured = pd.Series(np.nan, index=gdf.index)
    if polygonal.any():
        measured[polygonal] = measure_area(gdf[polygonal], method)
    rows = []
    for idx, row in gdf.iterrows():
        value = pd.to_numeric(row["documented_area"], errors="coerce")
        unit = row["documented_area_unit"]
        out = {
            "id": row.get("id"), "name": row.get("name"),
            "documented_area": None if pd.isna(value) else float(value),
            "documented_area_unit": None if pd.isna(value) else unit,
            "documented_m2": None, "measured_m2": None if pd.isna(measured[idx]) else float(measured[idx]),
            "measured_in_unit": None, "diff_pct": None,
        }
        if not polygonal[idx]:
            out["flag"] = "非面要素"
        elif pd.isna(value):
            out["flag"] = "无文件面积"
        else:
            documented_m2 = float(to_square_metres(float(value), unit))
            diff = measured[idx] / documented_m2 - 1
            out.update({
                "documented_m2": round_half_up(documented_m2, 2),
                "measured_in_unit": round_half_up(float(from_square_metres(measured[idx], unit)), 4),
                "diff_pct": round_half_up(100 * diff, 2),
                "flag": "符合" if abs(diff) <= tolerance else "超出容差",
            })
        if out["measured_m2"] is not None:
            out["measured_m2"] = round_half_up(out["measured_m2"], 2)
        rows.append(out)
    table = pd.DataFrame(rows)
    table.attrs.update({"tolerance": tolerance, "method": method})
    return table


def check_tolerance(tolerance: float) -> float:
    """Return ``tolerance`` if it is a finite number from 0 to 1, else raise :class:`InputError`.

    Examples
    --------
    >>> check_tolerance(0.05)
    0.05
    """
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not 0 <= tolerance <= 1:
        raise InputError(f"`tolerance` must be a share from 0 to 1 (0.05 = ±5 %), got {tolerance!r}")
    return float(tolerance)


def reclaim_table(gdf: gpd.GeoDataFrame, *, method: Method = "ellipsoidal") -> dict[str, pd.DataFrame]:
    """Reclaimed acreage: every area, and totals by status, district and scheme.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The ``reclamation`` layer (or a file with the same fields).
    method : {"ellipsoidal", "geodesic", "planar"}
        How to measure (ellipsoidal by default, as the land survey does).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``areas`` (one row per area: measured 亩 and km², documented figure and
        difference, status, period) and ``by_status``, ``by_district``,
        ``by_scheme`` (dissolved totals, so nested areas count once, with the
        plain sum beside them).
    """
    require_polygons(gdf.geometry, "the reclamation layer")
    require_valid(gdf, "the reclamation layer")
    measured = measure_area(gdf, method)
    rows = []
    for (_, row), m2 in zip(gdf.iterrows(), measured, strict=True):
        value = pd.to_numeric(row.get("documented_area"), errors="coerce")
        unit = row.get("documented_area_unit")
        documented_m2 = None if pd.isna(value) else float(to_square_metres(float(value), unit))
        rows.append({
            "id": row.get("id"), "name": row.get("name"), "status": row.get("status"),
            "period": row.get("period"), "district": row.get("district"), "scheme": row.get("scheme"),
            "parent": row.get("parent"),
            "area_mu": round_half_up(float(from_square_metres(m2, "mu")), 2),
            "area_km2": round_half_up(m2 / 1e6, 4),
            "documented": None if documented_m2 is None else f"{value:g} {unit}",
            "documented_mu": None if documented_m2 is None else round_half_up(
                float(from_square_metres(documented_m2, "mu")), 2),
            "diff_pct": None if documented_m2 is None else round_half_up(100 * (m2 / documented_m2 - 1), 2),
        })
    tables = {"areas": pd.DataFrame(rows)}
    for key in ("status", "district", "scheme"):
        if key in gdf.columns:
            grouped = area_table(gdf.fillna({key: "（未注明）"}), by=key, unit="mu", method=method)
            grouped["area_km2"] = [None if v is None else round_half_up(v / 1e6, 4) for v in grouped["area_m2"]]
            grouped["sum_mu"] = [None if v is None else round_half_up(float(from_square_metres(v, "mu")), 2)
                                 for v in grouped["sum_m2"]]
            tables[f"by_{key}"] = grouped
    return tables

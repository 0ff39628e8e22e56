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

from collections.abc import Sequence

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from gis.area import Method, measure_area, require_polygons
from gis.errors import FieldError, GeometryError, InputError
from gis.units import LABELS, balanced_round, from_square_metres, normalize_unit, round_half_up, to_square_metres

#: Relative gap between dissolved area and plain sum below which the parts count as disjoint.
DISJOINT_TOLERANCE = 1e-9
#: Decimal places of each unit in tables.
DECIMALS: dict[str, int] = {"m2": 2, "ha": 4, "mu": 2, "km2": 4, "wanmu": 4}


def _union_area(geoms: gpd.GeoSeries, method: Method, planar_crs=None) -> float:
    """Area of the union of ``geoms`` (overlaps counted once)."""
    if len(geoms) == 1:
        return float(measure_area(geoms, method, planar_crs=planar_crs)[0])
    union = geoms.union_all(method="unary")
    return float(measure_area(gpd.GeoSeries([union], crs=geoms.crs), method, planar_crs=planar_crs)[0])


def _label_fields(gdf: gpd.GeoDataFrame) -> list[str]:
    return [f for f in ("id", "name") if f in gdf.columns]


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
    """
    unit = normalize_unit(unit)
    require_polygons(gdf.geometry, what)
    require_valid(gdf, what)
    keys = [by] if isinstance(by, str) else list(by or [])
    missing = [k for k in keys if k not in gdf.columns]
    if missing:
        known = ", ".join(c for c in gdf.columns if c != gdf.geometry.name)
        raise FieldError(f"{what} has no field {missing[0]!r}; its fields are: {known}")
    if areas is None:
        areas = measure_area(gdf, method, planar_crs=planar_crs, engine=engine)
    col = f"area_{unit}"
    digits = DECIMALS[unit]
    if keys:
        rows = []
        work = gdf.assign(_area=areas)
        for values, group in work.groupby(keys, dropna=False, sort=True):
            values = values if isinstance(values, tuple) else (values,)
            dissolved = _union_area(group.geometry, method, planar_crs)
            plain = float(group["_area"].sum())
            rows.append({
                **{k: (None if pd.isna(v) else v) for k, v in zip(keys, values, strict=True)},
                "features": len(group),
                "area_m2": dissolved,
                "sum_m2": plain,
                "overlap_m2": max(0.0, plain - dissolved),
            })
        table = pd.DataFrame(rows)
    else:
        labels = _label_fields(gdf)
        table = gdf[labels].reset_index(drop=True).copy() if labels else pd.DataFrame(
            {"feature": np.arange(1, len(gdf) + 1)}
        )
        table["area_m2"] = areas
        table["sum_m2"] = np.nan
        table["overlap_m2"] = np.nan
    total_dissolved = _union_area(gdf.geometry, method, planar_crs) if len(gdf) else 0.0
    plain_total = float(table["area_m2"].sum())
    disjoint = abs(plain_total - total_dissolved) <= DISJOINT_TOLERANCE * max(plain_total, 1.0)
    part_values = from_square_metres(table["area_m2"].to_numpy(), unit) if len(table) else np.array([])
    rounded = balanced_round(list(part_values), digits) if disjoint else [round_half_up(v, digits) for v in part_values]
    table[col] = rounded
    total_row = {c: None for c in table.columns}
    first = (keys or _label_fields(gdf) or ["feature"])[0]
    total_row[first] = "合计"
    if keys:
        total_row["features"] = len(gdf)
    total_row.update({
        "area_m2": total_dissolved,
        "sum_m2": float(areas.sum()),
        "overlap_m2": max(0.0, float(areas.sum()) - total_dissolved),
        col: round_half_up(sum(rounded), digits) if disjoint
        else round_half_up(float(from_square_metres(total_dissolved, unit)), digits),
    })
    table["total"] = False
    total_row["total"] = True
    table = pd.concat([table, pd.DataFrame([total_row])], ignore_index=True)
    for c in ("area_m2", "sum_m2", "overlap_m2"):
        table[c] = [None if v is None or pd.isna(v) else round_half_up(float(v), 2) for v in table[c]]
    table.attrs.update({"unit": unit, "unit_label": LABELS[unit], "method": method, "disjoint": disjoint})
    return table


def require_valid(gdf: gpd.GeoDataFrame, what: str) -> None:
    """Refuse invalid polygons: their area is not defined (a self-intersecting ring counts twice or cancels).

    Raises
    ------
    GeometryError
        Naming the first invalid feature, the reason, and how many there are.
    """
    values = np.asarray(gdf.geometry.values, dtype=object)
    invalid = ~shapely.is_valid(values)
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

"""The registry of report tables: one list that ``gis build``, ``gis export`` and PostGIS iterate.

Each :class:`Report` has an id (the file name ``gis build`` writes it under), a
Chinese title, the sheet name of the workbook (and CSV file) ``gis export``
writes, the PostGIS table name, and the function that computes it from the
layers. :func:`compute` gives the data tables (machine column names, as
``gis build`` writes them to CSV and JSON); :func:`sheets` gives them as a
planner reads them — Chinese headers, areas in 亩, 公顷 and km² balanced so
that the rows add up to the total row — for the workbook, the CSV files and
the PostGIS result tables alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

import geopandas as gpd

from gis.layers import read_layers
from gis.measure import area_table, reclaim_table, reconcile
from gis.overlay import overlay
from gis.report import HEADERS
from gis.rules import Index, check_rules
from gis.units import LABELS, balanced_round, from_square_metres, round_half_up

Layers = Mapping[str, gpd.GeoDataFrame]

#: Units of the area columns a sheet adds, with their decimals.
SHEET_UNITS: tuple[tuple[str, int], ...] = (("mu", 2), ("ha", 4), ("km2", 6))


@dataclass(frozen=True)
class Report:
    """One report table."""

    id: str
    title: str
    sheet: str
    table: str
    compute: Callable[[Layers], pd.DataFrame]
    #: An area table (rows and a total row): its sheet gets balanced 亩/公顷/km² columns.
    areas: bool = False

    def data(self, layers: Layers | None = None) -> pd.DataFrame:
        """Compute the table from ``layers`` (default: the shipped layers)."""
        return self.compute(read_layers() if layers is None else layers)

    def sheet_table(self, data: pd.DataFrame) -> pd.DataFrame:
        """Return the table as a planner reads it: unit columns for area tables, Chinese headers."""
        shown = with_units(data) if self.areas else data
        return shown.rename(columns=HEADERS)


def _area(layer: str, by: str | None = None) -> Callable[[Layers], pd.DataFrame]:
    def compute(layers: Layers) -> pd.DataFrame:
        gdf = layers[layer]
        if by is not None:
            gdf = gdf.fillna({by: "（未注明）"})
        return area_table(gdf, by=by, unit="mu")

    return compute


def _reconcile(layers: Layers) -> pd.DataFrame:
    return pd.concat([reconcile(layers[n]).assign(layer=n) for n in ("platforms", "reclamation")],
                     ignore_index=True)


def _reclaimed(layers: Layers) -> pd.DataFrame:
    return reclaim_table(layers["reclamation"])["areas"]


def _project_zones(layers: Layers) -> pd.DataFrame:
    table = overlay(layers["projects"], layers["zones"])
    names = dict(zip(layers["projects"]["id"], layers["projects"]["name"], strict=True))
    zones = dict(zip(layers["zones"]["id"], layers["zones"]["name"], strict=True))
    table.insert(1, "project_name", table["project_id"].map(names))
    table.insert(3, "zone_name", table["zone_id"].map(zones))
    return table


def _rules(layers: Layers) -> pd.DataFrame:
    results = check_rules(Index(dict(layers)))
    rows = [r.as_dict() for r in results]
    for row in rows:
        row["subject_ids"] = "; ".join(row.pop("features"))
        row["failing_ids"] = "; ".join(row.pop("failing"))
    return pd.DataFrame(rows, columns=["rule", "verdict", "source", "text", "detail", "subject_ids", "failing_ids"])


#: Every report, in the order outputs list them.
REPORTS: tuple[Report, ...] = (
    Report("areas_platforms", "产业平台面积（亩）", "产业平台面积", "gis_platform_areas", _area("platforms"), True),
    Report("areas_zones_by_scheme", "功能分区面积（按布局方案，亩）", "功能分区面积", "gis_zone_areas",
           _area("zones", "scheme"), True),
    Report("areas_reclamation_by_status", "围垦面积（按状态，亩）", "围垦按状态", "gis_reclamation_by_status",
           _area("reclamation", "status"), True),
    Report("areas_reclamation_by_district", "围垦面积（按所在区，亩）", "围垦按所在区",
           "gis_reclamation_by_district", _area("reclamation", "district"), True),
    Report("areas_reclamation_by_scheme", "围垦面积（按布局方案，亩）", "围垦按布局方案", "gis_reclamation_by_scheme",
           _area("reclamation", "scheme"), True),
    Report("reclaim", "围垦面积（各围垦区）", "围垦面积", "gis_reclamation_areas", _reclaimed),
    Report("reconcile", "量算面积与文件面积核对", "面积核对", "gis_reconcile", _reconcile),
    Report("overlay_projects_zones", "重大项目落区（叠加）", "项目落区", "gis_project_zones", _project_zones),
    Report("rules", "规划规则核查", "规划规则", "gis_rules", _rules),
)


def get_report(ident: str) -> Report:
    """Return the report with this id.

    Examples
    --------
    >>> get_report("rules").sheet
    '规划规则'
    """
    for report in REPORTS:
        if report.id == ident:
            return report
    raise KeyError(ident)


def compute(layers: Layers | None = None) -> dict[str, pd.DataFrame]:
    """Return every report's data table, by report id (from ``layers``, default the shipped layers)."""
    layers = read_layers() if layers is None else layers
    return {report.id: report.data(layers) for report in REPORTS}


def sheets(layers: Layers | None = None, data: Mapping[str, pd.DataFrame] | None = None) -> dict[str, pd.DataFrame]:
    """Return every report as a planner reads it, by sheet name (see :meth:`Report.sheet_table`)."""
    data = compute(layers) if data is None else data
    return {report.sheet: report.sheet_table(data[report.id]) for report in REPORTS}


def with_units(table: pd.DataFrame, label: str = "面积") -> pd.DataFrame:
    """Add 亩, 公顷 and km² columns to an area table, balanced so that the rows add up to the total row.

    Parts are balanced (强制调平) to their rounded sum. Where the parts overlap,
    the total row is their sum and a further row gives the dissolved total, in
    which an overlap counts once. The table's own ``area_<unit>`` column is
    replaced by these.
    """
    table = table.drop(columns=[c for c in table.columns if c.startswith("area_") and c != "area_m2"])
    parts = table[~table["total"].astype(bool)].copy()
    total = table[table["total"].astype(bool)].iloc[0]
    first = parts.columns[0]
    disjoint = table.attrs.get("disjoint", True)
    summed = {first: "合计" if disjoint else "合计（各行相加）", "total": True}
    for unit, digits in SHEET_UNITS:
        values = balanced_round(list(from_square_metres(parts["area_m2"].to_numpy(dtype=float), unit)), digits)
        parts[f"{label}（{LABELS[unit]}）"] = values
        summed[f"{label}（{LABELS[unit]}）"] = round_half_up(sum(values), digits)
    summed["area_m2"] = round_half_up(float(parts["area_m2"].sum()), 2)
    rows = [parts, pd.DataFrame([summed])]
    if not disjoint:
        dissolved = {first: "溶解后合计（重叠只计一次）", "total": True, "area_m2": total["area_m2"]}
        for unit, digits in SHEET_UNITS:
            dissolved[f"{label}（{LABELS[unit]}）"] = round_half_up(
                float(from_square_metres(float(total["area_m2"]), unit)), digits)
        rows.append(pd.DataFrame([dissolved]))
    return pd.concat(rows, ignore_index=True).drop(columns=["sum_m2", "overlap_m2"], errors="ignore")

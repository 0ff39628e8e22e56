"""The registry of report tables: one list that ``gis build``, ``gis export`` and PostGIS iterate.

Each :class:`Report` has an id (the file name ``gis build`` writes it under), a
Chinese title, the sheet name of the workbook (and CSV file) ``gis export``
writes, the PostGIS table name, and the function that computes it from the
layers. :func:`compute` gives the data tables (machine column names, as
``gis build`` writes them to JSON); :func:`sheets` gives them as a planner reads
them (:class:`Sheet`): Chinese headers, names beside ids, areas in 亩, 公顷,
km² and m² rounded exactly as ``gis area`` rounds them (the same
:func:`gis.measure.area_table`, so rows add up to the total row where they do not
overlap), total rows that say 合计, the number of decimals of every column, and
the title, unit and source lines — for the workbook, the CSV files, the index
page and the PostGIS result tables alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

import geopandas as gpd

from gis.area import measure_area
from gis.layers import read_layers
from gis.mapdef import LAYER_TITLES, SCHEMATIC_NOTE
from gis.measure import DECIMALS, area_table, reclaim_table, reconcile
from gis.overlay import overlay
from gis.report import HEADERS, cited
from gis.rules import Index, check_rules
from gis.units import LABELS, normalize_unit, round_half_up

Layers = Mapping[str, gpd.GeoDataFrame]

#: Units of the area columns a sheet shows, in order (decimals: :data:`gis.measure.DECIMALS`).
SHEET_UNITS: tuple[str, ...] = ("mu", "ha", "km2", "m2")
#: How the areas are measured and rounded, as every area sheet says.
AREA_NOTE = ("CGCS2000 椭球面积（国土调查办发〔2008〕32号），四舍五入；"
             "亩 2 位、公顷 4 位、平方公里 4 位、平方米 2 位小数，与 gis area 相同")
#: Decimals of the columns that are not areas in a unit (areas: ``area_<unit>``, from DECIMALS).
COLUMN_DECIMALS: dict[str, int] = {
    "features": 0, "seq": 0, "sum_m2": 2, "overlap_m2": 2, "documented_mu": 2, "documented_m2": 2,
    "measured_m2": 2, "measured_in_unit": 4, "diff_pct": 2, "area_inside_m2": 2, "length_inside_m": 2,
    "project_area_m2": 2,
}
#: Columns shown as a percentage (values are shares 0–1).
PERCENT_COLUMNS: tuple[str, ...] = ("share_inside",)


@dataclass
class Sheet:
    """A report as a planner reads it: a titled table with its unit and source, totals marked.

    Attributes
    ----------
    name : str
        The sheet's name (and the CSV file's).
    title, unit, source : str
        The lines above the table.
    table : pandas.DataFrame
        The rows, with Chinese headers; total rows say 合计 in their first column.
    totals : tuple of int
        Positions of the total rows (drawn bold).
    decimals : dict
        Header → decimals of a number column (0 for counts); percentages are listed in ``percent``.
    percent : tuple of str
        Headers of columns shown as percentages.
    """

    name: str
    title: str
    unit: str
    source: str
    table: pd.DataFrame
    totals: tuple[int, ...] = ()
    decimals: dict[str, int] = field(default_factory=dict)
    percent: tuple[str, ...] = ()

    @property
    def lines(self) -> list[str]:
        """The lines written above the table: title, unit, source."""
        return [self.title, self.unit, self.source]


@dataclass(frozen=True)
class Report:
    """One report table."""

    id: str
    title: str
    sheet: str
    table: str
    compute: Callable[[Layers], pd.DataFrame]
    #: An area table (rows and total rows, areas in every unit of :data:`SHEET_UNITS`).
    areas: bool = False
    #: The layer the report measures (for its source line).
    layer: str | None = None
    #: The unit line of a table that is not an area table.
    unit: str = ""

    def data(self, layers: Layers | None = None) -> pd.DataFrame:
        """Compute the table from ``layers`` (default: the shipped layers)."""
        return self.compute(read_layers() if layers is None else layers)

    def sheet_table(self, data: pd.DataFrame) -> Sheet:
        """Return the table as a planner reads it (:class:`Sheet`)."""
        return build_sheet(self, data)


def _area(layer: str, by: str | None = None) -> Callable[[Layers], pd.DataFrame]:
    def compute(layers: Layers) -> pd.DataFrame:
        gdf = layers[layer]
        if by is not None:
            gdf = gdf.fillna({by: "（未注明）"})
        return unit_areas(gdf, by=by)

    return compute


def unit_areas(gdf: gpd.GeoDataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Return :func:`gis.measure.area_table` with a column for every unit of :data:`SHEET_UNITS`.

    Each unit's column is the one ``gis area --unit UNIT`` prints (one
    measurement, the same rounding and balancing); ``area_m2`` is the m² column
    rounded the same way.
    """
    areas = measure_area(gdf, "ellipsoidal")
    tables = {unit: area_table(gdf, by=by, unit=unit, areas=areas) for unit in SHEET_UNITS}
    table = tables["mu"].copy()
    for unit in SHEET_UNITS:
        table[f"area_{unit}"] = tables[unit][f"area_{unit}"].to_numpy()
    table.attrs.update(tables["mu"].attrs)
    return table


def _reconcile(layers: Layers) -> pd.DataFrame:
    return pd.concat([reconcile(layers[n]).assign(layer=n) for n in ("platforms", "reclamation")],
                     ignore_index=True)


def _names(layers: Layers) -> dict[str, str]:
    names: dict[str, str] = {}
    for gdf in layers.values():
        if "id" in gdf.columns and "name" in gdf.columns:
            names.update({str(k): str(v) for k, v in zip(gdf["id"], gdf["name"], strict=True) if k is not None})
    return names


def _reclaimed(layers: Layers) -> pd.DataFrame:
    gdf = layers["reclamation"]
    table = reclaim_table(gdf)["areas"]
    units = unit_areas(gdf)
    parts = units[~units["total"].astype(bool)].reset_index(drop=True)
    for unit in ("mu", "ha", "km2"):
        table[f"area_{unit}"] = parts[f"area_{unit}"].to_numpy()
    names = _names(layers)
    table.insert(table.columns.get_loc("parent") + 1, "parent_name", table["parent"].map(names))
    total = units[units["total"].astype(bool)].iloc[0]
    row = {"id": "合计", "name": "溶解后面积（嵌套与重叠只计一次）", "total": True,
           **{f"area_{u}": total[f"area_{u}"] for u in ("mu", "ha", "km2")}}
    table["total"] = False
    order = [c for c in table.columns if not c.startswith("area_")]
    at = order.index("documented")
    columns = [*order[:at], "area_mu", "area_ha", "area_km2", *order[at:]]
    return pd.concat([table, pd.DataFrame([row])], ignore_index=True)[columns]


def _project_zones(layers: Layers) -> pd.DataFrame:
    table = overlay(layers["projects"], layers["zones"])
    names = dict(zip(layers["projects"]["id"], layers["projects"]["name"], strict=True))
    zones = dict(zip(layers["zones"]["id"], layers["zones"]["name"], strict=True))
    table.insert(1, "project_name", table["project_id"].map(names))
    table.insert(3, "zone_name", table["zone_id"].map(zones))
    return table


def _rules(layers: Layers) -> pd.DataFrame:
    results = check_rules(Index(dict(layers)))
    names = _names(layers)
    rows = [r.as_dict() for r in results]
    for row in rows:
        row["subject_ids"] = "; ".join(row["features"])
        row["failing_ids"] = "; ".join(row["failing"])
        row["subjects"] = "；".join(f"{names.get(i, i)}（{i}）" for i in row.pop("features"))
        row["failing"] = "；".join(f"{names.get(i, i)}（{i}）" for i in row.pop("failing"))
    return pd.DataFrame(rows, columns=["rule", "verdict", "source", "text", "detail", "subject_ids", "failing_ids",
                                       "subjects", "failing"])


#: Every report, in the order outputs list them.
REPORTS: tuple[Report, ...] = (
    Report("areas_platforms", "产业平台面积", "产业平台面积", "gis_platform_areas", _area("platforms"), True,
           "platforms"),
    Report("areas_zones_by_scheme", "功能分区面积（按布局方案）", "功能分区面积", "gis_zone_areas",
           _area("zones", "scheme"), True, "zones"),
    Report("areas_reclamation_by_status", "围垦面积（按状态）", "围垦按状态", "gis_reclamation_by_status",
           _area("reclamation", "status"), True, "reclamation"),
    Report("areas_reclamation_by_district", "围垦面积（按所在区）", "围垦按所在区",
           "gis_reclamation_by_district", _area("reclamation", "district"), True, "reclamation"),
    Report("areas_reclamation_by_scheme", "围垦面积（按布局方案）", "围垦按布局方案", "gis_reclamation_by_scheme",
           _area("reclamation", "scheme"), True, "reclamation"),
    Report("reclaim", "围垦面积（各围垦区）", "围垦面积", "gis_reclamation_areas", _reclaimed, False, "reclamation",
           "单位：亩、公顷、平方公里；" + AREA_NOTE + "；各围垦区有嵌套（起步区含1—4号围区等），合计为溶解后面积"),
    Report("reconcile", "量算面积与文件面积核对", "面积核对", "gis_reconcile", _reconcile, False, None,
           "文件面积按规划文本的单位；量算面积为 CGCS2000 椭球面积；差异超出 ±5% 标为“超出容差”"),
    Report("overlay_projects_zones", "重大项目落区（叠加）", "项目落区", "gis_project_zones", _project_zones, False,
           "projects", "区内占比：项目在分区内的比例（点状项目在区内或边界上为 100%）"),
    Report("rules", "规划规则核查", "规划规则", "gis_rules", _rules, False, None,
           "结论：通过 / 不通过 / 无法判断（图层不足以判断时说明原因）"),
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


def sheets(layers: Layers | None = None, data: Mapping[str, pd.DataFrame] | None = None) -> dict[str, Sheet]:
    """Return every report as a planner reads it, by sheet name (see :meth:`Report.sheet_table`)."""
    data = compute(layers) if data is None else data
    return {report.sheet: report.sheet_table(data[report.id]) for report in REPORTS}


def _decimals(column: str) -> int | None:
    if column.startswith("area_") and column.removeprefix("area_") in DECIMALS:
        return DECIMALS[column.removeprefix("area_")]
    return COLUMN_DECIMALS.get(column)


def _source(report: Report) -> str:
    if report.layer:
        return (f"数据：{LAYER_TITLES.get(report.layer, report.layer)}图层（{report.layer}），"
                f"依规划文本与公开资料数字化。{SCHEMATIC_NOTE}")
    return f"数据：平台、围垦、项目与分区图层，依规划文本与公开资料数字化。{SCHEMATIC_NOTE}"


def build_sheet(report: Report, data: pd.DataFrame) -> Sheet:
    """Return a report's data table as a :class:`Sheet` (see the module's description)."""
    table = data.copy()
    totals = table["total"].astype(bool).to_numpy() if "total" in table.columns else None
    if report.areas:
        table = _area_rows(table)
        totals = table.pop("total").astype(bool).to_numpy()
        unit = "单位：亩、公顷、平方公里、平方米；" + AREA_NOTE + (
            "；各行强制调平至合计" if data.attrs.get("disjoint", True) else "；各行有重叠，另列溶解后合计")
    else:
        unit = report.unit
        table = table.drop(columns=["total"], errors="ignore")
    if report.id == "reconcile":
        table["documented_area_unit"] = [None if pd.isna(u) else LABELS.get(_unit(u), u)
                                         for u in table["documented_area_unit"]]
    if report.id == "reclaim":
        table["documented"] = [None if pd.isna(d) else _unit_text(str(d)) for d in table["documented"]]
    if "layer" in table.columns:
        table["layer"] = [LAYER_TITLES.get(v, v) for v in table["layer"]]
    if report.id == "overlay_projects_zones":
        empty = [c for c in ("area_inside_m2", "length_inside_m", "project_area_m2")
                 if pd.to_numeric(table[c], errors="coerce").fillna(0).eq(0).all()]
        table = table.drop(columns=empty)  # what points cannot have: areas and lengths inside
    if report.id == "rules":
        table["source"] = [cited(s) for s in table["source"]]
        table = table.drop(columns=["subject_ids", "failing_ids"])
        table = table.rename(columns={"subjects": "subject_ids", "failing": "failing_ids"})
    if "features" in table.columns:
        table["features"] = pd.array([None if pd.isna(v) else int(v) for v in table["features"]], dtype="Int64")
    decimals = {HEADERS.get(c, c): d for c in table.columns if (d := _decimals(c)) is not None}
    percent = tuple(HEADERS.get(c, c) for c in table.columns if c in PERCENT_COLUMNS)
    shown = table.rename(columns=HEADERS).reset_index(drop=True)
    rows = tuple(int(i) for i in range(len(shown)) if totals is not None and totals[i])
    return Sheet(name=report.sheet, title=report.title, unit=unit, source=_source(report), table=shown, totals=rows,
                 decimals=decimals, percent=percent)


def table_sheet(table: pd.DataFrame, *, name: str, title: str, unit: str = "", source: str = "") -> Sheet:
    """Return any result table (``gis area``, ``gis overlay`` …) as a :class:`Sheet`: Chinese headers, totals bold.

    The rows whose ``total`` column is true are the sheet's total rows; numbers keep the decimals of their
    column (:data:`COLUMN_DECIMALS`, the units' decimals), shares show as percentages.
    """
    data = table.reset_index(drop=True)
    totals = tuple(int(i) for i in range(len(data)) if "total" in data.columns and bool(data["total"].iloc[i]))
    data = data.drop(columns=["total"], errors="ignore")
    decimals = {HEADERS.get(c, c): d for c in data.columns if (d := _decimals(c)) is not None}
    percent = tuple(HEADERS.get(c, c) for c in data.columns if c in (*PERCENT_COLUMNS, "share"))
    return Sheet(name=name, title=title, unit=unit, source=source, table=data.rename(columns=HEADERS),
                 totals=totals, decimals=decimals, percent=percent)


def _unit_text(text: str) -> str:
    """Return ``"19.8 km2"`` as ``"19.8 平方公里"``: a figure with its unit's Chinese name."""
    number, _, unit = text.partition(" ")
    return f"{number} {LABELS.get(_unit(unit), unit)}" if unit else text


def _unit(value: str) -> str:
    try:
        return normalize_unit(value)
    except Exception:
        return value


def _area_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Order an area table's columns for people, and add the plain-sum row where parts overlap."""
    first = table.columns[0]
    disjoint = table.attrs.get("disjoint", True)
    units = [f"area_{u}" for u in SHEET_UNITS]
    keys = [c for c in table.columns if c not in (*units, "sum_m2", "overlap_m2", "total")]
    parts = table[~table["total"].astype(bool)]
    total = table[table["total"].astype(bool)].iloc[[0]].copy()
    columns = [*keys, *units, "total"]
    if disjoint:
        return pd.concat([parts, total], ignore_index=True)[columns]
    summed = {first: "各行相加（重叠计入多次）", "total": True,
              **{u: round_half_up(float(parts[u].sum()), DECIMALS[u.removeprefix("area_")]) for u in units}}
    if "features" in table.columns:
        summed["features"] = int(parts["features"].sum())
    total[first] = "合计（溶解后，重叠只计一次）"
    return pd.concat([parts, pd.DataFrame([summed]), total], ignore_index=True)[columns]

"""What the workbench computes for a site: the toolkit's own functions, run in worker processes.

:func:`analyse_collection` takes drawn sites (a GeoJSON FeatureCollection),
:func:`analyse_upload` a planner's file (a zipped Shapefile, GeoJSON, KML,
GeoPackage, or a CSV/XLSX of coordinates in WGS84, CGCS2000, GK, GCJ-02 or
BD-09, as ``gis import`` reads them); both return the JSON the page shows: for
each site its ellipsoidal area (m², 亩, 公顷), the zones, platforms and
reclamation areas it touches (overlap and share), the plans' rule verdicts, and
with a review profile the review's constraints and land-use breakdown; and the
overlap pieces to highlight on the map. :func:`export_result` writes the same as
a workbook, the review PDF, GeoJSON or a GeoPackage.

Everything here is plain functions of plain data, so that the server runs them
in a process pool off its event loop. A bad input raises
:class:`~gis.errors.InputError` (the server turns it into a 4xx with a Chinese
message).
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from gis.crs import LAYER_CRS
from gis.errors import GeometryError, InputError
from gis.geometry import LINE_TYPES, POINT_TYPES, line_length, polygon_area
from gis.units import from_square_metres, round_half_up, round_half_up_each

#: Layers a site is overlaid on, with their Chinese names.
PLAN_LAYERS: dict[str, str] = {"zones": "功能分区", "platforms": "产业平台", "reclamation": "围垦区"}
#: Vertices an upload or a drawing may hold in all (a parcel file of 10⁴ features holds ~250,000).
MAX_VERTICES = 2_000_000
#: Sites whose overlap pieces are drawn on the map (beyond, the touched features are named only).
HIGHLIGHT_SITES = 500
#: File suffixes an upload may have.
UPLOAD_SUFFIXES = (".zip", ".geojson", ".json", ".kml", ".gpkg", ".csv", ".xlsx", ".fgb", ".shp")

#: The reading notes of ``gis import`` (English, for the terminal) as the page says them: pattern → Chinese.
_NOTES_ZH: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(?P<f>.+?): no \.cpg; text decoded as (?P<a>\S+) \(detected from the \.dbf bytes\)$"),
     "{f}：没有 .cpg 文件，按 {a} 编码读取（由 .dbf 的字节识别）"),
    (re.compile(r"^(?P<f>.+?): text decoded as (?P<a>\S+) as asked, but its bytes read as (?P<b>[^;]+);.*$"),
     "{f}：已按所选编码 {a} 读取，但其字节更像 {b}，请核对名称"),
    (re.compile(r"^(?P<f>.+?): BD-09 coordinates converted to WGS84.*$"),
     "{f}：百度 BD-09 坐标已转换为 WGS84（经 GCJ-02）"),
    (re.compile(r"^(?P<f>.+?): GCJ-02 coordinates converted to WGS84.*$"), "{f}：GCJ-02（火星坐标）已转换为 WGS84"),
    (re.compile(r"^(?P<f>.+?): Z/M coordinates dropped.*$"), "{f}：已去除 Z/M 坐标（高程不属于规划数据）"),
    (re.compile(r"^(?P<f>.+?): the file says (?P<a>.+?); `crs` (?P<b>.+?) overrides it$"),
     "{f}：文件声明的坐标系为 {a}，已按所选坐标系 {b} 读取"),
    (re.compile(r"^repaired (?P<f>.+?): (?P<a>.+?) → repaired with make_valid$"), "已修复几何 {f}（{a}）"),
)


#: The verdict details of the plans' rules for one site (:func:`gis.rules.rules_for_sites`) as the page says them.
_RULE_DETAILS_ZH: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^all 1 lie inside (?P<w>.+)$"), "位于{w}内"),
    (re.compile(r"^1 of 1 outside (?P<w>.+?): .+ (?P<s>\d+%) inside$"), "不在{w}内（仅 {s} 位于其内）"),
    (re.compile(r"^all 1 projects that name a place lie in it$"), "位于名称所指的地点内"),
    (re.compile(r"^.+ not in (?P<w>.+)$"), "不在名称所指的{w}内"),
)


def chinese_rule_detail(detail: str, names: dict[str, str] | None = None) -> str:
    """Say the detail of a site's rule verdict in Chinese (a detail of no known kind is kept, marked 说明).

    ``names`` gives the features' names by id: the places a rule names are said by name.

    Examples
    --------
    >>> chinese_rule_detail("all 1 lie inside lc-main", {"lc-main": "主平台"})
    '位于主平台内'
    >>> chinese_rule_detail("1 of 1 outside lc-main: 甲（s1） 40% inside")
    '不在lc-main内（仅 40% 位于其内）'
    """
    names = names or {}
    for pattern, text in _RULE_DETAILS_ZH:
        match = pattern.match(detail)
        if match:
            found = match.groupdict()
            if "w" in found:
                found["w"] = "、".join(names.get(part, part) for part in found["w"].split("、"))
            return text.format(**found)
    return f"说明：{detail}"


def chinese_note(note: str) -> str:
    """Say a reading note in Chinese for the page (a note of no known kind is kept, marked 说明).

    Examples
    --------
    >>> chinese_note("地块.zip: no .cpg; text decoded as GBK (detected from the .dbf bytes)")
    '地块.zip：没有 .cpg 文件，按 GBK 编码读取（由 .dbf 的字节识别）'
    >>> chinese_note("something else")
    '说明：something else'
    """
    for pattern, text in _NOTES_ZH:
        match = pattern.match(note)
        if match:
            return text.format(**match.groupdict())
    return f"说明：{note}"


def _frame_from_geojson(collection: dict) -> gpd.GeoDataFrame:
    if not isinstance(collection, dict) or collection.get("type") not in ("FeatureCollection", "Feature"):
        raise InputError("the body is not a GeoJSON FeatureCollection")
    features = collection.get("features") if collection["type"] == "FeatureCollection" else [collection]
    if not isinstance(features, list) or not features:
        raise InputError("the FeatureCollection holds no feature")
    try:
        gdf = gpd.GeoDataFrame.from_features(features, crs=LAYER_CRS)
    except Exception as exc:  # shapely and geopandas raise many kinds for a malformed geometry
        raise GeometryError(f"a feature's geometry cannot be read: {str(exc).splitlines()[0]}") from None
    return gdf


@functools.lru_cache(maxsize=1)
def _layer_crs():
    from pyproj import CRS

    return CRS.from_user_input(LAYER_CRS)


_PLAN: dict[tuple, gpd.GeoDataFrame] = {}


def _plan_features() -> gpd.GeoDataFrame:
    """Return the plan layers' features in one frame (``id``, ``name``, ``layer``, geometry), cached per change."""
    from gis.layers import layer_path, read_layers

    stamp = tuple((p.stat().st_mtime_ns, p.stat().st_size) for p in map(layer_path, PLAN_LAYERS))
    if stamp not in _PLAN:
        frames = [gdf[["id", "name", "geometry"]].assign(id=gdf["id"].astype(str), layer=name)
                  for name, gdf in read_layers(list(PLAN_LAYERS)).items()]
        _PLAN.clear()
        _PLAN[stamp] = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=LAYER_CRS)
    return _PLAN[stamp]


def _check(gdf: gpd.GeoDataFrame, label: str) -> gpd.GeoDataFrame:
    """Refuse what cannot be analysed truly; give every site an ``id`` and a ``name``."""
    from gis.crs import coordinates_misfit, to_lonlat

    if gdf.crs is None:
        raise InputError(f"{label} has no CRS")
    gdf = to_lonlat(gdf, label)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.all():
        raise GeometryError(f"{label}: no feature has a geometry")
    gdf = gdf[~missing].reset_index(drop=True)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    vertices = int(shapely.get_num_coordinates(geoms).sum())
    if vertices > MAX_VERTICES:
        raise InputError(f"{label}: {vertices:,} vertices; the workbench takes at most {MAX_VERTICES:,}")
    coords = shapely.get_coordinates(geoms)
    if not np.isfinite(coords).all():
        raise GeometryError(f"{label}: a coordinate is not a number")
    reason = coordinates_misfit(tuple(shapely.total_bounds(geoms)), _layer_crs())
    if reason:
        raise InputError(f"{label}: {reason}")
    ids = None
    for field in ("id", "ID", "编号", "BSM", "OBJECTID"):
        if field in gdf.columns and gdf[field].notna().all() and gdf[field].astype(str).is_unique:
            ids = gdf[field].astype(str)
            break
    names = None
    for field in ("name", "NAME", "Name", "名称", "项目名称", "地块名称", "XMMC", "MC"):
        if field in gdf.columns:
            names = gdf[field].fillna("").astype(str)
            break
    gdf = gdf.assign(id=ids if ids is not None else [f"site-{k + 1}" for k in range(len(gdf))])
    gdf["name"] = names if names is not None else gdf["id"]
    gdf.loc[gdf["name"] == "", "name"] = gdf["id"]
    return gdf


def read_upload(filename: str, data: bytes, *, crs: str | None = None, encoding: str | None = None
                ) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read an uploaded file as ``gis import`` does; return the sites (EPSG:4326) and the notes on reading it.

    The notes are said in Chinese (:func:`chinese_note`): the page shows them as they come.
    """
    from gis.importing import import_file

    name = Path(filename or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise InputError(f"{name}: not a file the workbench reads ({', '.join(UPLOAD_SUFFIXES)})")
    if suffix == ".shp":
        raise InputError(f"{name}: a Shapefile is several files: upload them zipped (.zip)")
    with tempfile.TemporaryDirectory(prefix="gis-upload-") as folder:
        path = Path(folder) / ("upload" + suffix)
        path.write_bytes(data)
        gdf, report = import_file(path, schema_layer="projects", crs=crs or None, encoding=encoding or None,
                                  check=False)
    notes = [n.replace("upload" + suffix, name) for n in report.notes]
    notes.extend(f"repaired {r}" for r in report.repaired)
    return gdf, [chinese_note(n) for n in notes]


def analyse_frame(gdf: gpd.GeoDataFrame, profile: str | None = None, *, label: str = "sites",
                  tiles_dir: str | None = None) -> dict:
    """Analyse sites: areas, plan-layer overlaps, the plans' rules and, with a profile, the review.

    With ``tiles_dir``, sites more than :data:`gis.server.tiling.TILED_UPLOAD_ABOVE` are kept
    there for vector tiles, and the result's ``tiles`` names the layer the page draws.
    """
    from gis.overlay import overlay
    from gis.rules import load_rules, rules_for_sites, shipped_index
    from gis.server.tiling import TILED_UPLOAD_ABOVE, save_upload

    sites = _check(gdf, label)
    tiles = save_upload(sites, tiles_dir, label) if tiles_dir and len(sites) > TILED_UPLOAD_ABOVE else None
    geoms = np.asarray(sites.geometry.values, dtype=object)
    kinds = shapely.get_type_id(geoms)
    points = np.isin(kinds, POINT_TYPES)
    lines = np.isin(kinds, LINE_TYPES)
    areas = np.zeros(len(sites))
    areas[~points & ~lines] = polygon_area(geoms[~points & ~lines])
    lengths = np.zeros(len(sites))
    lengths[lines] = line_length(geoms[lines])
    entries = []
    m2 = round_half_up_each(areas, 2)
    mu = round_half_up_each(from_square_metres(areas, "mu"), 2)
    ha = round_half_up_each(from_square_metres(areas, "ha"), 4)
    for k, (ident, name) in enumerate(zip(sites["id"], sites["name"], strict=True)):
        areal = not points[k] and not lines[k]
        entries.append({
            "id": ident, "name": name, "geometry_type": geoms[k].geom_type,
            "measure": "area" if areal else ("length" if lines[k] else "position"),
            "area_m2": float(m2[k]) if areal else None, "area_mu": float(mu[k]) if areal else None,
            "area_ha": float(ha[k]) if areal else None,
            "length_m": round_half_up(float(lengths[k]), 2) if lines[k] else None,
            "overlaps": [], "rules": [], "constraints": [], "land_use": [],
        })
    position = {ident: k for k, ident in enumerate(sites["id"])}
    pieces = []
    plan = _plan_features()  # the three plan layers in one frame: one overlay (ids are unique across layers)
    table = overlay(sites[["id", "name", "geometry"]], plan, projects_name=label, zones_name="the plan layers")
    table = table[table["zone_id"].notna()]
    order = {layer: k for k, layer in enumerate(PLAN_LAYERS)}
    layer_of = dict(zip(plan["id"], plan["layer"], strict=True))
    names = dict(zip(plan["id"], plan["name"], strict=True))
    table = table.assign(_layer=table["zone_id"].map(lambda z: order[layer_of[z]]), _k=np.arange(len(table)))
    table = table.sort_values(["_layer", "_k"], kind="stable")  # by layer, then as the overlay orders them
    for row in table.itertuples(index=False):
        k = position[row.project_id]
        areal = entries[k]["measure"] == "area"
        layer = layer_of[row.zone_id]
        entries[k]["overlaps"].append({
            "layer": layer, "layer_name": PLAN_LAYERS[layer], "id": row.zone_id, "name": names.get(row.zone_id),
            "overlap_m2": round_half_up(float(row.area_inside_m2), 2) if areal else 0.0,
            "overlap_mu": round_half_up(float(from_square_metres(float(row.area_inside_m2), "mu")), 2)
            if areal else 0.0,
            "share": round_half_up(float(row.share_inside), 4),
        })
    if len(sites) <= HIGHLIGHT_SITES and len(table):
        feature_geoms = dict(zip(plan["id"], plan.geometry, strict=True))
        a = geoms[[position[p] for p in table["project_id"]]]
        b = np.array([feature_geoms[z] for z in table["zone_id"]], dtype=object)
        for row, geom in zip(table.itertuples(index=False), shapely.intersection(a, b), strict=True):
            if geom is not None and not geom.is_empty:
                pieces.append({"type": "Feature", "geometry": shapely.geometry.mapping(geom),
                               "properties": {"site": row.project_id, "layer": layer_of[row.zone_id],
                                              "id": row.zone_id, "name": names.get(row.zone_id)}})
    results = rules_for_sites(sites[["id", "name", "geometry"]], shipped_index(), load_rules())
    from gis.plans import describe

    for entry, found in zip(entries, results, strict=True):
        entry["rules"] = [r.as_dict() for r in found]
        for rule in entry["rules"]:  # for the page: the plan by its title, the verdict's detail in Chinese
            rule["source_text"] = describe(rule["source"])
            rule["detail_zh"] = chinese_rule_detail(rule["detail"], names)
    title = None
    if profile:
        from gis.review import review

        result = review(sites[["id", "name", "geometry"]], profile, what=label, rules=False)
        title = result.profile.title
        for entry, reviewed in zip(entries, result.sites, strict=True):
            entry["constraints"] = reviewed["constraints"]
            entry["land_use"] = reviewed["land_use"]
    out = {"sites": entries, "profile": title,
           "highlight": {"type": "FeatureCollection", "features": pieces},
           "geojson": RawJSON(feature_collection(sites))}
    if tiles is not None:
        out["tiles"] = tiles
    return out


class RawJSON(str):
    """JSON text already serialised, to be spliced as it is into the answer (see :func:`answer_json`)."""


def feature_collection(sites: gpd.GeoDataFrame) -> str:
    """Return the sites (``id``, ``name``, geometry) as GeoJSON text, serialised by GEOS (fast for 10⁴)."""
    from json.encoder import encode_basestring as text

    geometries = shapely.to_geojson(np.asarray(sites.geometry.values, dtype=object))
    features = (f'{{"type":"Feature","properties":{{"id":{text(str(i))},"name":{text(str(n))}}},"geometry":{g}}}'
                for i, n, g in zip(sites["id"], sites["name"], geometries, strict=True))
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def answer_json(result: dict) -> bytes:
    """Serialise an analysis for the page: the dict as JSON, its :class:`RawJSON` parts spliced in as they are."""
    raw = {k: v for k, v in result.items() if isinstance(v, RawJSON)}
    plain = {k: (f"@@{k}@@" if k in raw else v) for k, v in result.items()}
    text = json.dumps(plain, ensure_ascii=False, allow_nan=False)
    for key, value in raw.items():
        text = text.replace(f'"@@{key}@@"', value, 1)
    return text.encode("utf-8")


def analyse_collection(collection: dict, profile: str | None = None) -> dict:
    """Analyse drawn sites given as a GeoJSON FeatureCollection (RFC 7946: longitude/latitude, WGS84)."""
    return analyse_frame(_frame_from_geojson(collection), profile, label="the drawn sites")


def analyse_upload(filename: str, data: bytes, profile: str | None = None, *, crs: str | None = None,
                   encoding: str | None = None, tiles_dir: str | None = None) -> dict:
    """Read an uploaded file and analyse its sites; the result carries the notes on reading it."""
    gdf, notes = read_upload(filename, data, crs=crs, encoding=encoding)
    result = analyse_frame(gdf, profile, label=Path(filename or "upload").name, tiles_dir=tiles_dir)
    result["notes"] = notes
    return result


def result_tables(result: dict, *, label: str = "工作台选址") -> dict:
    """Return the sheets of an analysis workbook (:class:`gis.reports.Sheet`, titled, with units and sources).

    选址 (with the plain sum of the sites when there are several), 叠加, 规划规则, and with a
    review 管控审查 and 地类构成.
    """
    from gis.mapdef import SCHEMATIC_NOTE
    from gis.report import HEADERS
    from gis.reports import Sheet

    headers = {**HEADERS, "site_id": "选址编号", "site_name": "选址名称", "layer_name": "图层", "overlap_m2":
               "占用面积（平方米）", "overlap_mu": "占用面积（亩）", "length_m": "长度（米）", "measure": "审查方式",
               "constraint": "管控图层", "rule_text": "规则", "clause": "依据", "reason": "说明", "level": "层级"}
    measure = {"area": "按面积", "length": "按长度", "point": "按位置"}
    units = ("单位：平方米、亩、公顷；CGCS2000 椭球面积（国土调查方法），四舍五入：平方米、亩 2 位，公顷 4 位，"
             "与 gis area 相同")
    source = f"选址：{label}。规划图层{SCHEMATIC_NOTE}"
    decimals = {"面积（平方米）": 2, "面积（亩）": 2, "面积（公顷）": 4, "长度（米）": 2, "占用面积（平方米）": 2,
                "占用面积（亩）": 2}

    def sheet(name: str, title: str, table: pd.DataFrame, unit: str = units, totals: tuple = ()) -> Sheet:
        table = table.rename(columns=headers)
        return Sheet(name=name, title=title, unit=unit, source=source, table=table, totals=totals,
                     decimals={k: v for k, v in decimals.items() if k in table.columns},
                     percent=tuple(c for c in ("占比",) if c in table.columns))

    sites = pd.DataFrame([{"id": s["id"], "name": s["name"], "measure": measure.get(s["measure"], s["measure"]),
                           **{k: s[k] for k in ("area_m2", "area_mu", "area_ha", "length_m")}}
                          for s in result["sites"]], columns=["id", "name", "measure", "area_m2", "area_mu", "area_ha",
                                                              "length_m"])
    totals: tuple = ()
    if len(sites) > 1 and sites["area_m2"].notna().any():
        row = {"id": "各选址相加", "name": f"{len(sites)} 处（相互重叠部分计入多次）", "measure": None,
               "area_m2": sites["area_m2"].sum(min_count=1), "area_mu": sites["area_mu"].sum(min_count=1),
               "area_ha": sites["area_ha"].sum(min_count=1), "length_m": sites["length_m"].sum(min_count=1)}
        sites = pd.concat([sites, pd.DataFrame([row])], ignore_index=True)
        totals = (len(sites) - 1,)
    overlaps = pd.DataFrame([{"site_id": s["id"], "site_name": s["name"], **{k: o[k] for k in (
        "layer_name", "id", "name", "overlap_m2", "overlap_mu", "share")}} for s in result["sites"]
        for o in s["overlaps"]], columns=["site_id", "site_name", "layer_name", "id", "name", "overlap_m2",
                                          "overlap_mu", "share"])
    rules = pd.DataFrame([{"site_id": s["id"], "site_name": s["name"], "rule": r["rule"], "verdict": r["verdict"],
                           "source": r["source"], "detail": r["detail"]} for s in result["sites"] for r in s["rules"]],
                         columns=["site_id", "site_name", "rule", "verdict", "source", "detail"])
    out = {"选址": sheet("选址", "选址面积", sites, totals=totals),
           "叠加": sheet("叠加", "选址与功能分区、产业平台、围垦区叠加（占比为占选址面积之比）", overlaps),
           "规划规则": sheet("规划规则", "规划规则审查（通过 / 不通过 / 无法判断）", rules, unit="结论与说明见各行")}
    if result.get("profile"):
        checks = pd.DataFrame([{"site_id": s["id"], "site_name": s["name"], "constraint": c["name"],
                                "rule_text": c["rule_text"], "verdict": c["verdict"], "overlap_m2": c["overlap_m2"],
                                "overlap_mu": c["overlap_mu"], "share": c["share"], "clause": c["clause"],
                                "reason": c.get("reason")} for s in result["sites"] for c in s["constraints"]],
                              columns=["site_id", "site_name", "constraint", "rule_text", "verdict", "overlap_m2",
                                       "overlap_mu", "share", "clause", "reason"])
        land = pd.DataFrame([{"site_id": s["id"], "site_name": s["name"], "level": r["level"], "class": r["class"],
                              "area_m2": r["area_m2"], "area_mu": r["area_mu"]}
                             for s in result["sites"] for r in s["land_use"]],
                            columns=["site_id", "site_name", "level", "class", "area_m2", "area_mu"])
        out["管控审查"] = sheet("管控审查", f"管控图层审查：{result['profile']}", checks)
        out["地类构成"] = sheet("地类构成", "地类构成（按 2023 用地用海分类及三大类）", land)
    return out


def export_result(collection: dict, fmt: str, profile: str | None = None) -> tuple[bytes, str, str]:
    """Return ``(content, media type, file name)``: sites analysed and written as xlsx, pdf, geojson or gpkg."""
    from gis.export import write_geopackage, write_tables

    gdf = _check(_frame_from_geojson(collection), "the sites")
    with tempfile.TemporaryDirectory(prefix="gis-export-") as folder:
        if fmt == "xlsx":
            path = Path(folder) / "选址分析.xlsx"
            write_tables(result_tables(analyse_frame(gdf, profile)), path)
            media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        elif fmt == "pdf":
            if not profile:
                raise InputError("the review PDF needs a review profile: start the server with --profile")
            from gis.review import review
            from gis.review_report import write_review_pdf

            path = Path(folder) / "用地预审报告.pdf"
            write_review_pdf(review(gdf[["id", "name", "geometry"]], profile), gdf, path)
            media = "application/pdf"
        elif fmt == "geojson":
            path = Path(folder) / "选址.geojson"
            from gis.io import geojson_text

            path.write_text(geojson_text(gdf, name="选址"), encoding="utf-8")
            media = "application/geo+json"
        elif fmt == "gpkg":
            path = Path(folder) / "选址.gpkg"
            write_geopackage({"选址": gdf}, path, styles={}, project=False)
            media = "application/geopackage+sqlite3"
        else:
            raise InputError(f"unknown export format {fmt!r}: xlsx, pdf, geojson or gpkg")
        return path.read_bytes(), media, path.name


def analyse_json(kind: str, args: tuple, profile: str | None, *, tiles_dir: str | None = None
                 ) -> tuple[bytes, int, list[str]]:
    """Analyse drawn sites (``kind="geojson"``) or an upload (``"upload"``) and serialise the answer, in the worker.

    Returns the JSON bytes, the number of sites and their first ids (for the audit log). A big
    upload is kept in ``tiles_dir`` for vector tiles (see :func:`analyse_frame`).
    """
    if kind == "upload":
        filename, data, crs, encoding = args
        result = analyse_upload(filename, data, profile, crs=crs, encoding=encoding, tiles_dir=tiles_dir)
    else:
        result = analyse_collection(args[0], profile)
    return answer_json(result), len(result["sites"]), [s["id"] for s in result["sites"][:20]]


def warm() -> int:
    """Load the layers and rules once in a worker process (so the first request is not the slow one)."""
    from gis.layers import read_layers
    from gis.rules import load_rules

    read_layers()
    load_rules()
    return os.getpid()

"""The ``gis`` command: a thin shell over the API.

Each sub-command parses and checks its options (a bad value stops before any
work, with one line), calls the API and prints. A user error
(:class:`~gis.errors.InputError`, a bad configuration file, a missing font)
prints one line ``gis: error: …`` on stderr and exits 2; ``gis check`` exits 1
when it finds problems. The library names its parameters in messages
(`` `crs` ``, `` `overwrite=True` ``); :func:`cli_message` translates them into
this command's flags, in this one place.
"""

from __future__ import annotations

import argparse
import codecs
import json
import math
import os
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from gis.errors import ConfigError, GisError, GisWarning
from gis.options import BASEMAPS, METHODS, TABLE_FORMATS, output_format
from gis.safe import inert
from gis.units import LABELS, SQUARE_METRES

# The libraries (pandas, geopandas, pyogrio, folium …) are imported by the commands that use them, so that
# ``gis --help`` and a mistyped option answer at once.

#: The library's parameter names (as messages write them, in backticks) and this command's flags.
FLAGS: dict[str, str] = {
    "overwrite=True": "--overwrite", "overwrite": "--overwrite", "crs": "--crs", "layer": "--layer",
    "encoding": "--encoding", "sql": "--sql", "project_id": "--id-field", "zone_id": "--zone-field",
    "id_field": "--id-field", "x_field": "--x-field", "y_field": "--y-field", "mapping": "--map",
    "tianditu_key": "--tianditu-key", "tolerance": "--tolerance", "min_share": "--min-share", "workers": "--workers",
    "scheduler": "--scheduler", "dpi": "--dpi", "engine": "--engine", "method": "--method", "format": "--format",
    "planar_crs": "--planar-crs", "by": "--by", "field": "--field", "schema_layer": "--schema", "unit": "--unit",
    "name_field": "--name-field", "profile": "--profile", "output": "-o", "quiet": "--quiet",
}
_PARAMETER = re.compile(r"`([a-z_]+)(=True)?`")


def cli_message(text: str) -> str:
    """Translate the parameter names of a library message into this command's flags.

    Examples
    --------
    >>> cli_message("out.csv exists; pass `overwrite=True` to replace it")
    'out.csv exists; pass --overwrite to replace it'
    >>> cli_message("choose one with `layer`")
    'choose one with --layer'
    """

    def flag(match: re.Match) -> str:
        key = match.group(1) + (match.group(2) or "")
        return FLAGS.get(key) or FLAGS.get(match.group(1)) or match.group(0)

    return _PARAMETER.sub(flag, str(text))


#: ``--quiet``: no notes and no progress bars (errors and warnings are still printed).
_QUIET = False


def _note(message: str) -> None:
    if not _QUIET:
        print(f"gis: {inert(cli_message(message))}", file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    """``gis check``: validate layers or files; exit 1 if any problem is found."""
    from gis.check import check_layers, summarize
    from gis.layers import is_file_argument, list_layers, open_source

    sources = args.sources or list_layers()
    layers = {}
    for source in sources:
        gdf, info = open_source(source, layer=args.layer, encoding=args.encoding)
        for note in info.notes:
            _note(note)
        name = source if not is_file_argument(source) else (args.schema or info.path.stem)
        layers[name] = gdf
    problems = check_layers(layers, tolerance=args.tolerance)
    for problem in problems:
        print(inert(problem))
    checked = inert(", ".join(layers))
    if problems:
        print(f"gis check: {len(problems)} problem(s) ({inert(summarize(problems))}) in {checked}", file=sys.stderr)
        return 1
    features = sum(len(g) for g in layers.values())
    print(f"gis check: {features} features in {len(layers)} layer(s) pass ({checked})")
    return 0


def cmd_layers(args: argparse.Namespace) -> int:
    """``gis layers``: a table of the shipped layers."""
    from gis.layers import layer_summary
    from gis.table import format_table

    rows = layer_summary(args.names or None)
    headers = ["layer", "features", "geometry", "documented areas", "area km² (dissolved)"]
    print(format_table(headers, [[*list(r.values())[:4], "-" if r["area_km2"] is None else f"{r['area_km2']:.2f}"]
                                 for r in rows], align_right=[False, True, False, True, True]))
    return 0


def _method_label(method: str, gdf) -> str:
    if method == "planar":
        from gis.area import planar_crs_for

        return f"高斯-克吕格平面面积 (EPSG:{planar_crs_for(gdf).to_epsg()})"
    if method == "geodesic":
        return "CGCS2000 椭球面积 (测地线边, GeographicLib)"
    return "CGCS2000 椭球面积 (国土调查方法)"


def _engine(args: argparse.Namespace):
    if args.engine != "dask":
        return "local"
    from gis.engine import Dask

    return Dask(scheduler=args.scheduler, workers=args.workers, progress=True)


def _emit(args: argparse.Namespace, table, title: str | None = None, *, sheet: str = "结果") -> None:
    """Write one result table in the format asked for (or named by the -o suffix): text, or a workbook sheet."""
    _emit_sections(args, [(sheet, title, table)])


def _emit_sections(args: argparse.Namespace, sections, *, csv_section: bool = False) -> None:
    """Write titled tables (``(sheet, title, table)``): one text, or one workbook with a sheet each.

    CSV and JSON of several tables: one CSV with a ``section`` column (``csv_section``), a JSON object by sheet.
    """
    from gis.report import emit, render, render_sections

    if args.format == "xlsx":
        from gis.export import write_tables
        from gis.reports import table_sheet

        write_tables({name: table_sheet(table, name=name, title=title or name) for name, title, table in sections},
                     args.output, overwrite=args.overwrite)
        return
    if len(sections) == 1:
        _, title, table = sections[0]
        text = render(table, args.format, title=title)
    else:
        text = render_sections(sections, args.format, csv_section=csv_section)
    emit(text, args.output, fmt=args.format, overwrite=args.overwrite)


def _for_people(args: argparse.Namespace) -> bool:
    """Whether the output is read by people (terminal table, Markdown, workbook) rather than by programs."""
    return args.format in ("table", "markdown", "xlsx")


def cmd_area(args: argparse.Namespace) -> int:
    """``gis area``: areas per feature or group, or reconciliation against documented areas."""
    from gis.measure import area_table, area_table_batches, reconcile

    reader = None if args.reconcile or args.method == "planar" else _batches(args.source, args)
    if reader is not None:  # a big file: read in batches, one in memory at a time
        table = area_table_batches(reader, by=args.by, unit=args.unit, method=args.method, what=reader.name)
        return _area_output(args, table, reader.name, _method_label(args.method, None))
    gdf, info = _open(args.source, args, "data")
    label = _method_label(args.method, gdf)
    if args.reconcile:
        table = reconcile(gdf, tolerance=args.tolerance, method=args.method, what=info.name)
        _emit(args, table, f"{info.name}: 量算面积与文件面积核对, {label}, 容差 ±{args.tolerance:.0%}",
              sheet="面积核对")
        flagged = int((table["flag"] == "超出容差").sum())
        compared = int(table["diff_pct"].notna().sum())
        _note(f"{compared} feature(s) with a documented area; {flagged} beyond ±{args.tolerance:.0%}")
        return 0
    table = area_table(gdf, by=args.by, unit=args.unit, method=args.method, planar_crs=args.planar_crs,
                       what=info.name, engine=_engine(args))
    return _area_output(args, table, info.name, label)


def _area_output(args: argparse.Namespace, table, name: str, label: str) -> int:
    from gis.report import drop_empty

    _emit(args, drop_empty(table) if _for_people(args) else table, f"{name}: {label}, 单位 {LABELS[args.unit]}",
          sheet="面积")
    if table.attrs.get("disjoint") is False:
        total = table.iloc[-1]
        _note(
            f"features overlap: the total counts {total['overlap_m2']:.2f} m² once "
            f"(plain sum {total['sum_m2']:.2f} m², dissolved {total['area_m2']:.2f} m²)"
        )
    return 0


def cmd_reclaim(args: argparse.Namespace) -> int:
    """``gis reclaim``: reclaimed acreage with totals by status, district and scheme."""
    from gis.measure import reclaim_table
    from gis.report import drop_empty

    gdf, info = _open(args.source, args, "data")
    tables = reclaim_table(gdf, method=args.method)
    label = _method_label(args.method, gdf)
    titles = {
        "areas": (f"{info.name}: 围垦面积 ({label})", "围垦面积"),
        "by_status": ("按状态汇总 (溶解后计算, 嵌套与重叠只计一次)", "按状态"),
        "by_district": ("按所在区汇总", "按所在区"),
        "by_scheme": ("按布局方案汇总", "按布局方案"),
    }
    sections = []
    for name, table in tables.items():
        title, sheet = titles[name]
        if args.format in ("csv", "json"):
            sections.append((name, None, table))
            continue
        shown = table if name == "areas" else drop_empty(
            table[[c for c in table.columns if c not in ("area_m2",)]], ("sum_m2", "overlap_m2", "sum_mu")
        )
        sections.append((sheet, title, shown))
    _emit_sections(args, sections, csv_section=True)
    return 0


def _batches(source: str, args: argparse.Namespace):
    """Return the file's :class:`gis.stream.Batches` if it is big (the local engine only), else ``None``."""
    if getattr(args, "engine", "local") != "local":
        return None
    from gis.stream import batches_for

    return batches_for(source, layer=getattr(args, "layer", None), crs=args.crs, encoding=args.encoding,
                       sql=getattr(args, "sql", None))


def _open(source: str, args: argparse.Namespace, what: str):
    from gis.layers import open_source

    gdf, info = open_source(source, layer=getattr(args, "layer", None), encoding=args.encoding, crs=args.crs,
                            sql=getattr(args, "sql", None))
    for note in info.notes:
        _note(note)
    if len(gdf) == 0:
        raise GisError(f"{info.name} ({what}) holds no features")
    return gdf, info


class _Warnings:
    """Print the warnings an API call raises as ``gis: warning: …`` lines."""

    def __enter__(self):
        self._ctx = warnings.catch_warnings(record=True)
        self._caught = self._ctx.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)
        for w in self._caught:
            if issubclass(w.category, GisWarning):  # the libraries' own warnings are not for planners
                print(f"gis: warning: {inert(cli_message(str(w.message)))}", file=sys.stderr)
        return False


def cmd_overlay(args: argparse.Namespace) -> int:
    """``gis overlay``: projects against zones, overlap area and share inside."""
    from gis.overlay import overlay
    from gis.report import for_terminal

    reader = _batches(args.projects, args)
    if reader is not None:  # a big file: overlaid batch by batch, the rows written as they come
        return _overlay_batches(args, reader)
    projects, pinfo = _open(args.projects, args, "projects")
    zones, zinfo = _open(args.zones, args, "zones")
    with _Warnings():
        table = overlay(projects, zones, project_id=args.id_field, zone_id=args.zone_field, min_share=args.min_share,
                        projects_name=pinfo.name, zones_name=zinfo.name, engine=_engine(args))
    shown = for_terminal(table, mu_of=("area_inside_m2",)) if _for_people(args) else table
    _emit(args, shown, f"{pinfo.name} × {zinfo.name}: 叠加 (CGCS2000 椭球面积)", sheet="叠加")
    alone = int(table["zone_id"].isna().sum())
    _note(f"{table['project_id'].nunique()} project(s); {alone} in no zone")
    return 0


def _overlay_batches(args: argparse.Namespace, reader) -> int:
    import pandas as pd

    from gis.overlay import overlay_batches
    from gis.report import emit_parts, for_terminal

    zones, zinfo = _open(args.zones, args, "zones")
    counts = {"projects": 0, "alone": 0}

    def parts():
        for rows in overlay_batches(reader, zones, project_id=args.id_field, zone_id=args.zone_field,
                                    min_share=args.min_share, projects_name=reader.name, zones_name=zinfo.name):
            counts["projects"] += int(rows["project_id"].nunique())
            counts["alone"] += int(rows["zone_id"].isna().sum())
            yield rows

    with _Warnings():
        if args.format in ("csv", "json"):
            emit_parts(parts(), args.output, fmt=args.format, overwrite=args.overwrite)
        else:
            table = pd.concat(list(parts()), ignore_index=True)
            shown = for_terminal(table, mu_of=("area_inside_m2",)) if _for_people(args) else table
            _emit(args, shown, f"{reader.name} × {zinfo.name}: 叠加 (CGCS2000 椭球面积)", sheet="叠加")
    _note(f"{counts['projects']} project(s); {counts['alone']} in no zone")
    return 0


def cmd_composition(args: argparse.Namespace) -> int:
    """``gis composition``: what each zone holds, by a field of another layer."""
    from gis.overlay import zone_composition
    from gis.report import for_terminal

    zones, zinfo = _open(args.zones, args, "zones")
    layer, linfo = _open(args.layer_source, args, "layer")
    with _Warnings():
        table = zone_composition(zones, layer, field=args.field, zone_id=args.zone_field,
                                 zones_name=zinfo.name, layer_name=linfo.name)
    shown = for_terminal(table, mu_of=("area_m2",)) if _for_people(args) else table
    _emit(args, shown, f"{zinfo.name} 内 {linfo.name} 的构成（按 {args.field}，同类先溶解；CGCS2000 椭球面积）",
          sheet="构成")
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    """``gis rules``: the plans' siting rules checked against the layers."""
    import pandas as pd

    from gis.report import cited, emit
    from gis.rules import check_rules

    results = check_rules()
    if args.format == "json":
        emit(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=1) + "\n",
             args.output, fmt="json", overwrite=args.overwrite)
        return 0
    table = pd.DataFrame([r.as_dict() for r in results])
    if args.format != "table":
        table["features"] = table["features"].map("; ".join)
        table["failing"] = table["failing"].map("; ".join)
        if args.format != "csv":
            table["source"] = [cited(s) for s in table["source"]]
        _emit(args, table, "规划规则核查（通过 / 不通过 / 无法判断）", sheet="规划规则")
        return 0
    lines = []
    for r in results:
        lines.append(inert(f"[{r.verdict}] {r.id}  ({r.source})"))
        lines.append(f"    {inert(r.text)}")
        lines.append(f"    {inert(r.detail)}")
    counts = table["verdict"].value_counts()
    lines.append("合计: " + ", ".join(f"{v} {int(counts.get(v, 0))}" for v in ("通过", "不通过", "无法判断")))
    emit("\n".join(lines) + "\n", args.output, fmt="table", overwrite=args.overwrite)
    return 0


def cmd_site(args: argparse.Namespace) -> int:
    """``gis site``: a siting report (选址分析) for candidate sites."""
    from gis.report import emit
    from gis.site import site_report, site_report_markdown

    sites, info = _open(args.source, args, "sites")
    with _Warnings():
        report = site_report(sites, id_field=args.id_field, what=info.name)
    if args.format == "markdown":
        text = site_report_markdown(report, title=f"选址分析报告：{info.name}")
        emit(text, args.output, fmt="markdown", overwrite=args.overwrite)
    elif args.format == "json":
        text = json.dumps(report["sites"], ensure_ascii=False, indent=1) + "\n"
        emit(text, args.output, fmt="json", overwrite=args.overwrite)
    elif args.format == "csv":
        _emit(args, report["rows"])
    else:
        _emit_sections(args, [("占用情况", f"{info.name}: 占用情况 (CGCS2000 椭球面积)", report["overlaps"]),
                              ("规划规则", "规划规则", report["rules"])])
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    """``gis review``: sites against a review profile's control layers (用地预审 / 合规性审查)."""
    from gis.review import load_profile, review
    from gis.review_report import write_review

    profile = load_profile(args.profile)  # a bad profile stops here, before anything is read or written
    fmt = args.format
    if args.output:
        from gis.io import refuse_existing

        refuse_existing(Path(args.output), args.overwrite)
    sites, info = _open(args.source, args, "sites")
    with _Warnings():
        result = review(sites, profile, id_field=args.id_field, name_field=args.name_field, what=info.name)
    for note in result.notes:
        _note(note)
    text = write_review(result, sites, args.output, fmt, overwrite=args.overwrite)
    if text is not None:
        print(text, end="")
    verdicts = [c["verdict"] for site in result.sites for c in site["constraints"]]
    _note(f"{len(result.sites)} site(s) against {len(profile.constraints)} constraint(s): "
          + ", ".join(f"{v} {verdicts.count(v)}" for v in ("通过", "不通过", "无法判断", "仅量算") if v in verdicts))
    return 0


def _layer_spec(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name.strip() or not path.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: write NAME=FILE, e.g. --layer 地类图斑=dltb.gpkg")
    return name.strip(), path.strip()


def cmd_serve(args: argparse.Namespace) -> int:
    """``gis serve``: the planner's workbench in the browser."""
    from gis.server import ServerConfig, serve

    config = ServerConfig(data=Path(args.data), store=args.store, profile=Path(args.profile) if args.profile else None,
                          workers=args.analysis_workers, secure_cookies=args.secure_cookies,
                          max_upload_bytes=args.max_upload_mb * 1024 * 1024, layers=dict(args.layer or []))
    serve(config, host=args.host, port=args.port, processes=args.workers, forwarded=args.forwarded)
    return 0


def _read_password(prompt: str) -> str:
    import getpass

    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise GisError("no password on standard input")
        return password
    first = getpass.getpass(prompt)
    if getpass.getpass("again: ") != first:
        raise GisError("the two passwords differ")
    return first


def cmd_user(args: argparse.Namespace) -> int:
    """``gis user add|remove|list``: the workbench's accounts."""
    from gis.server.auth import check_user_name, hash_password
    from gis.server.store import open_store

    store = open_store(args.data, args.store)
    if args.action == "list":
        for name in store.users():
            print(inert(name))
        return 0
    if not args.name:
        raise GisError(f"gis user {args.action} needs an account NAME")
    name = check_user_name(args.name)
    if args.action == "remove":
        if not store.remove_user(name):
            raise GisError(f"no account {name!r}")
        store.audit(None, "user_remove", name, "ok", {"by": "gis user"})
        print(f"removed account {inert(name)}")
        return 0
    store.add_user(name, hash_password(_read_password(f"password for {name}: ")))
    store.audit(None, "user_add", name, "ok", {"by": "gis user"})
    print(f"account {inert(name)} is ready ({store.description} store)")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """``gis audit``: the workbench's audit log (who, when, what, result)."""
    from gis.server.store import open_store
    from gis.table import format_table

    entries = open_store(args.data, args.store).audit_log(args.limit)
    if args.format == "json":
        print(json.dumps(entries, ensure_ascii=False, indent=1))
        return 0
    rows = [[e["id"], e["at"], e["user"], e["action"], e["target"], e["result"],
             json.dumps(e["detail"], ensure_ascii=False) if e["detail"] else None] for e in entries]
    print(format_table(["#", "time (UTC)", "user", "action", "target", "result", "detail"], rows))
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    """``gis map``: render a map definition (a shipped one, or a .toml file), or a quick-look map of a file."""
    from gis.io import atomic_write
    from gis.layers import is_file_argument
    from gis.mapdef import is_definition_path, load_definition
    from gis.maps import render_file, render_map

    key = args.tianditu_key or os.environ.get("TIANDITU_KEY")
    if is_definition_path(args.source) and args.source.endswith(".toml"):
        page = render_map(load_definition(args.source), basemap=args.basemap, tianditu_key=key)
    elif is_file_argument(args.source) or args.source.startswith(("postgresql://", "postgres://")):
        gdf, info = _open(args.source, args, "data")
        with _Warnings():
            page = render_file(gdf, title=info.name, basemap=args.basemap, tianditu_key=key)
    else:
        page = render_map(load_definition(args.source), basemap=args.basemap, tianditu_key=key)
    with atomic_write(args.output, overwrite=args.overwrite) as handle:
        handle.write(page)
    print(f"wrote {inert(args.output)} ({len(page.encode()) // 1024} KB)")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    """``gis build``: every map, the area, reclamation, overlay and rules reports, and an index page."""
    from gis.build import build_site

    key = args.tianditu_key or os.environ.get("TIANDITU_KEY")
    with _Warnings():
        written = build_site(Path(args.output), basemap=args.basemap, tianditu_key=key, overwrite=args.overwrite)
    for path in written:
        print(f"wrote {inert(path)}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """``gis import``: a planner's file onto our schema, written as a GeoJSON layer."""
    from gis.importing import import_file, write_import

    mapping = dict(args.map or [])
    gdf, report = import_file(args.source, schema_layer=args.schema, layer=args.layer, encoding=args.encoding,
                              crs=args.crs, mapping=mapping, x_field=args.x_field, y_field=args.y_field)
    for note in report.notes:
        _note(note)
    for repair in report.repaired:
        _note(f"repaired {repair}")
    if report.mapped:
        _note("mapped: " + ", ".join(f"{k} ← {v}" for k, v in report.mapped.items()))
    if report.unmapped_source:
        _note("kept as they are (not in the schema): " + ", ".join(report.unmapped_source))
    path = write_import(gdf, args.output, name=Path(args.output).stem, overwrite=args.overwrite)
    print(f"wrote {inert(path)} ({report.features} features)")
    if report.problems:
        for problem in report.problems:
            print(inert(problem))
        missing = ", ".join(report.missing_schema) or "none"
        print(f"gis import: the layer does not pass gis check against the {inert(args.schema)} schema "
              f"({len(report.problems)} problem(s) above; missing fields: {missing})", file=sys.stderr)
        return 1
    print(f"gis import: the layer passes gis check against the {inert(args.schema)} schema")
    return 0


def cmd_figure(args: argparse.Namespace) -> int:
    """``gis figure``: a printable map (PNG or PDF) of a map definition."""
    from gis.figure import render_figure

    path = render_figure(args.name, args.output, overwrite=args.overwrite, dpi=args.dpi, orientation=args.orientation)
    print(f"wrote {inert(path)}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """``gis export``: layers to GeoPackage (with QGIS styles), Shapefile, GeoJSON; tables to XLSX/CSV."""
    from gis import export, reports

    if not any((args.gpkg, args.shp, args.geojson, args.xlsx, args.csv, args.postgis, args.parquet)):
        raise GisError("say what to export: --gpkg FILE, --shp DIR, --geojson DIR, --xlsx FILE, --csv DIR, "
                       "--parquet DIR or --postgis URL")
    from gis.layers import read_layers

    layers = read_layers(args.layers or None)
    written: list[object] = []
    with _Warnings():
        if args.gpkg:
            written.append(export.write_geopackage(layers, args.gpkg, overwrite=args.overwrite))
        if args.shp:
            written.extend(export.write_shapefiles(layers, args.shp, overwrite=args.overwrite))
        if args.geojson:
            written.extend(export.write_geojson_files(layers, args.geojson, overwrite=args.overwrite))
        sheets = reports.sheets() if (args.xlsx or args.csv or (args.postgis and not args.layers)) else {}
        if args.xlsx:
            written.extend(export.write_tables(sheets, args.xlsx, overwrite=args.overwrite))
        if args.csv:
            written.extend(export.write_tables(sheets, args.csv, overwrite=args.overwrite))
        if args.parquet:
            written.extend(export.write_parquet_datasets(layers, args.parquet, overwrite=args.overwrite))
        if args.postgis:
            from gis.postgis import safe_url, write_postgis

            for name, gdf in layers.items():
                rows = write_postgis(gdf, args.postgis, name, srid=args.srid)
                written.append(f"{safe_url(args.postgis)} table {name} ({rows} rows, SRID {args.srid})")
            if not args.layers:  # the whole set: the result tables too
                for report in reports.REPORTS:
                    rows = write_postgis(sheets[report.sheet].table, args.postgis, report.table)
                    written.append(f"{safe_url(args.postgis)} table {report.table} ({rows} rows)")
    for path in written:
        print(f"wrote {inert(path)}")
    return 0


# --- argument types: checked when parsed, before any work ---------------------------------------------

def _whole(low: int, high: int | None = None):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} must be from {low} to {high}" if high is not None
                                             else f"{value} must be at least {low}")
        return value

    return parse


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} must be a share from 0 to 1")
    return value


def _encoding(text: str) -> str:
    try:
        codecs.lookup(text)
    except LookupError:
        raise argparse.ArgumentTypeError(f"unknown encoding {text!r} (e.g. UTF-8, GBK, GB18030)") from None
    return text


def _scheduler(text: str) -> str:
    from gis.engine import Dask

    try:
        Dask(scheduler=text)
    except GisError as exc:
        raise argparse.ArgumentTypeError(cli_message(str(exc))) from None
    return text


def _mapping(text: str) -> tuple[str, str]:
    ours, sep, theirs = text.partition("=")
    if not sep or not ours.strip() or not theirs.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: write OURS=THEIRS, e.g. --map name=项目名称")
    return ours.strip(), theirs.strip()


def _engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local (default) or dask: the same computation on a Dask cluster")
    p.add_argument("--scheduler", type=_scheduler,
                   help="address of an existing Dask scheduler (default: a local cluster)")
    p.add_argument("--workers", type=_whole(1, 512), default=2, help="workers of the local Dask cluster (default 2)")


def _source_options(p: argparse.ArgumentParser, *, single_file: bool = True) -> None:
    p.add_argument("--sql", help="a query, for a postgresql:// SOURCE")
    if single_file:
        p.add_argument("--layer", help="layer of a multi-layer file (GeoPackage), or table of a postgresql:// SOURCE")
    p.add_argument("--encoding", type=_encoding, help="text encoding of a Shapefile .dbf (detected without .cpg)")
    p.add_argument("--crs", help="CRS of a file that has none (EPSG:4528, 4490 …) or gcj02 for web-map coordinates")


def _map_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--basemap", choices=BASEMAPS, default="none", help="tiles under the map (default: none, offline)")
    p.add_argument("--tianditu-key", help="Tianditu key for --basemap tianditu (or set TIANDITU_KEY)")


def _output_options(p: argparse.ArgumentParser, formats: tuple[str, ...] = TABLE_FORMATS) -> None:
    suffixes = {"csv": ".csv", "json": ".json", "markdown": ".md", "xlsx": ".xlsx", "pdf": ".pdf", "table": ".txt"}
    named = ", ".join(suffixes[f] for f in formats if f in suffixes)
    p.add_argument("--format", choices=formats, default=None,
                   help=f"output format (default: named by the -o suffix — {named} —, else the table on the terminal)")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")
    p.set_defaults(formats=formats)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``gis`` command."""
    parser = _Parser(
        prog="gis",
        description="Spatial-planning toolkit for Wenzhou's industrial platforms (温州产业平台空间规划工具).",
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bars and no notes on standard error (errors and warnings still)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("check", help="validate layers or files against the schema")
    p.add_argument(
        "sources", nargs="*", metavar="LAYER|FILE", help="shipped layer names or files (default: all layers)"
    )
    p.add_argument("--layer", help="layer of a multi-layer file (GeoPackage)")
    p.add_argument("--encoding", type=_encoding, help="text encoding of a Shapefile .dbf (detected without .cpg)")
    p.add_argument("--schema", help="check files against this layer's schema (e.g. platforms)")
    p.add_argument("--tolerance", type=_share, default=None, help="accepted area difference, e.g. 0.05 for ±5%%")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("area", help="land areas per feature or group (亩, 公顷, km², 万亩)")
    p.add_argument("source", metavar="SOURCE", help="a shipped layer name or a vector file")
    p.add_argument("--by", help="group by this field; each group is dissolved before measuring")
    p.add_argument("--unit", choices=list(SQUARE_METRES), default="mu", help="unit (default: mu, 亩)")
    p.add_argument("--method", choices=METHODS, default="ellipsoidal", help="area method (default: ellipsoidal)")
    p.add_argument("--planar-crs", help="projected CRS for --method planar (default: the data's 3° GK zone)")
    p.add_argument("--reconcile", action="store_true", help="compare measured with documented areas")
    p.add_argument("--tolerance", type=_share, default=0.05, help="reconciliation tolerance (default 0.05 = ±5%%)")
    _engine_options(p)
    _source_options(p)
    _output_options(p)
    p.set_defaults(func=cmd_area)

    p = sub.add_parser("reclaim", help="reclaimed acreage with totals by status, district and scheme")
    p.add_argument("source", metavar="SOURCE", nargs="?", default="reclamation",
                   help="the reclamation layer (default) or a file with the same fields")
    p.add_argument("--method", choices=METHODS, default="ellipsoidal", help="area method (default: ellipsoidal)")
    _source_options(p)
    _output_options(p)
    p.set_defaults(func=cmd_reclaim)

    p = sub.add_parser("overlay", help="projects on zones: overlap area and share inside")
    p.add_argument("projects", metavar="PROJECTS", help="a shipped layer name or a vector file")
    p.add_argument("zones", metavar="ZONES", help="a shipped layer name or a vector file of polygons")
    p.add_argument("--id-field", default="id", help="the projects' id field (default: id)")
    p.add_argument("--zone-field", default="id", help="the zones' id field (default: id)")
    p.add_argument("--min-share", type=_share, default=0.0, help="drop overlaps below this share (0-1)")
    _engine_options(p)
    _source_options(p, single_file=False)
    _output_options(p)
    p.set_defaults(func=cmd_overlay)

    p = sub.add_parser("composition", help="zone composition: area of each class of a layer inside each zone")
    p.add_argument("zones", metavar="ZONES", help="a shipped layer name or a vector file of polygons")
    p.add_argument("layer_source", metavar="LAYER", help="the layer whose classes are measured")
    p.add_argument("--field", default="land_use", help="the class field of LAYER (default: land_use)")
    p.add_argument("--zone-field", default="id", help="the zones' id field (default: id)")
    _source_options(p, single_file=False)
    _output_options(p)
    p.set_defaults(func=cmd_composition)

    p = sub.add_parser("rules", help="the plans' siting rules checked against the layers")
    _output_options(p)
    p.set_defaults(func=cmd_rules)

    p = sub.add_parser("site", help="siting report for candidate sites (选址分析)")
    p.add_argument("source", metavar="FILE", help="a vector file of candidate sites (or a shipped layer name)")
    p.add_argument("--id-field", default="id", help="the sites' id field (default: id)")
    _source_options(p)
    _output_options(p)
    p.set_defaults(func=cmd_site)

    p = sub.add_parser("review", help="review sites against a profile of control layers (用地预审 / 合规性审查)")
    p.add_argument("source", metavar="SITES", help="a vector file of candidate sites (or a shipped layer)")
    p.add_argument("--profile", required=True, help="the review profile (TOML): control layers and their rules")
    p.add_argument("--id-field", default="id", help="the sites' id field (default: id)")
    p.add_argument("--name-field", default="name", help="the sites' name field (default: name)")
    _source_options(p)
    _output_options(p, ("table", "json", "markdown", "xlsx", "pdf"))
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("serve", help="the planner's workbench in the browser (127.0.0.1:8000 by default)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (beyond loopback, accounts are required)")
    p.add_argument("--port", type=_whole(1, 65535), default=8000, help="port (default 8000)")
    p.add_argument("--data", default="gis-data", help="folder of the embedded store (created; default gis-data)")
    p.add_argument("--store", help="a postgresql:// URL to keep sites, accounts and the audit log in instead")
    p.add_argument("--profile", help="a review profile: analyses include the review (用地预审)")
    p.add_argument("--workers", type=_whole(1, 64), default=1, help="server processes (default 1)")
    p.add_argument("--analysis-workers", type=_whole(1, 64), default=2,
                   help="analysis processes per server process (default 2)")
    p.add_argument("--max-upload-mb", type=_whole(1, 2048), default=50, help="largest upload in MB (default 50)")
    p.add_argument("--secure-cookies", action="store_true", help="mark the session cookie Secure (behind HTTPS)")
    p.add_argument("--forwarded", action="store_true",
                   help="trust X-Forwarded-For/-Proto from a reverse proxy on this machine")
    p.add_argument("--layer", action="append", type=_layer_spec, metavar="NAME=FILE",
                   help="a big layer drawn from vector tiles, e.g. 地类图斑=dltb.gpkg (repeatable; read at start)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("user", help="accounts of the workbench: add (password on standard input), remove, list")
    p.add_argument("action", choices=("add", "remove", "list"))
    p.add_argument("name", nargs="?", metavar="NAME")
    p.add_argument("--data", default="gis-data", help="the workbench's data folder (default gis-data)")
    p.add_argument("--store", help="a postgresql:// store instead of the data folder")
    p.set_defaults(func=cmd_user)

    p = sub.add_parser("audit", help="the workbench's audit log")
    p.add_argument("--data", default="gis-data", help="the workbench's data folder (default gis-data)")
    p.add_argument("--store", help="a postgresql:// store instead of the data folder")
    p.add_argument("--limit", type=_whole(1), default=None, help="only the last N entries")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("map", help="render a map definition (maps/NAME.toml, or your own .toml) or a quick-look map")
    p.add_argument("source", metavar="NAME|FILE",
                   help=f"a map name ({', '.join(_map_names())}), its title, a definition .toml, or a vector file")
    p.add_argument("-o", "--output", required=True, help="the HTML file to write")
    p.add_argument("--overwrite", action="store_true", help="replace the output if it exists")
    _map_options(p)
    _source_options(p)
    p.set_defaults(func=cmd_map)

    p = sub.add_parser("build", help="the main job: all maps and reports, with an index page")
    p.add_argument("-o", "--output", default="out", help="output folder (default: out)")
    p.add_argument("--overwrite", action="store_true", help="replace files of an earlier build")
    _map_options(p)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("figure", help="a printable A4 map (PNG or PDF) of a map definition")
    p.add_argument("name", metavar="NAME", help=f"a map name ({', '.join(_map_names())}), its title, or a .toml file")
    p.add_argument("-o", "--output", required=True, help="FILE.png or FILE.pdf")
    p.add_argument("--dpi", type=_whole(1, 1200), default=150, help="resolution of a PNG (default 150)")
    p.add_argument("--orientation", choices=("landscape", "portrait"), default="landscape",
                   help="the A4 page's orientation (default landscape)")
    p.add_argument("--overwrite", action="store_true", help="replace the output if it exists")
    p.set_defaults(func=cmd_figure)

    p = sub.add_parser("import", help="bring a planner's file into a layer of ours (GeoJSON)")
    p.add_argument("source", metavar="SRC", help="Shapefile, GeoPackage, GeoJSON, FlatGeobuf, KML, CSV or XLSX")
    p.add_argument("-o", "--output", required=True, help="the GeoJSON layer to write")
    p.add_argument("--schema", default="platforms", help="the layer schema to follow (default: platforms)")
    p.add_argument("--map", action="append", type=_mapping, metavar="OURS=THEIRS",
                   help="map a field, e.g. --map name=项目名称")
    p.add_argument("--x-field", help="longitude / x column of a CSV or XLSX table")
    p.add_argument("--y-field", help="latitude / y column of a CSV or XLSX table")
    p.add_argument("--overwrite", action="store_true", help="replace the output if it exists")
    p.add_argument("--layer", help="layer of a multi-layer file (GeoPackage)")
    p.add_argument("--encoding", type=_encoding, help="text encoding of a Shapefile .dbf (detected without .cpg)")
    p.add_argument("--crs", help="CRS of a file that has none, or gcj02 / bd09 for web-map coordinates")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="layers to GeoPackage (QGIS styles), Shapefile, GeoJSON; tables to XLSX/CSV")
    p.add_argument("layers", nargs="*", metavar="LAYER", help="layers to export (default: all)")
    p.add_argument("--gpkg", help="one GeoPackage with every layer and its QGIS style")
    p.add_argument("--shp", help="a folder for Shapefile sets (UTF-8 .dbf with .cpg)")
    p.add_argument("--geojson", help="a folder for GeoJSON files")
    p.add_argument("--xlsx", help="an Excel workbook of the area, reclamation and overlay tables")
    p.add_argument("--csv", help="a folder for the same tables as CSV (UTF-8 with BOM)")
    p.add_argument("--parquet", help="a folder for partitioned GeoParquet datasets (for --engine dask)")
    p.add_argument("--postgis", metavar="URL", help="a PostGIS database (postgresql://…): one table per layer")
    p.add_argument("--srid", type=int, choices=(4326, 4490), default=4326, help="SRID stored in PostGIS")
    p.add_argument("--overwrite", action="store_true", help="replace outputs that exist")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("layers", help="summarise the shipped layers")
    p.add_argument("names", nargs="*", metavar="LAYER")
    p.set_defaults(func=cmd_layers)
    for command in sub.choices.values():  # -q after the command too (gis area … -q); absent, the global one stands
        command.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                             help="no progress bars and no notes on standard error")
    return parser


def _map_names() -> list[str]:
    from gis.mapfiles import list_maps

    return list_maps()


class _Version(argparse.Action):
    """``--version``: the installed version, looked up only when asked."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from gis import __version__

        parser.exit(0, f"{parser.prog} {__version__}\n")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, ``gis: error: …``, exit 2 (sub-commands inherit it)."""

    def error(self, message: str):
        self.exit(2, f"gis: error: {inert(self.prog.removeprefix('gis '))}: {inert(message)}\n")


def _fewer_malloc_arenas() -> None:
    """Cap glibc's malloc arenas at two (``mallopt(M_ARENA_MAX, 2)``, what ``MALLOC_ARENA_MAX=2`` does).

    The GEOS work runs on two threads; glibc gives each thread arenas of its own, which keep the memory of
    freed batches: reading 10⁶ parcels in batches peaked at 1.1 GB with the default and 0.75 GB with two.
    Called before any thread starts; nothing happens where the C library is not glibc.
    """
    import contextlib
    import ctypes

    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None).mallopt(-8, 2)  # M_ARENA_MAX = -8 in glibc's malloc.h


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gis`` command line; return the exit status."""
    global _QUIET
    _fewer_malloc_arenas()
    parser = build_parser()
    args = parser.parse_args(argv)
    from gis import settings

    shown, _QUIET = settings.progress, args.quiet
    settings.progress = not args.quiet  # bars only on a terminal, for big inputs (gis.progress)
    try:
        if hasattr(args, "formats"):  # the format asked for, or the one the -o suffix names: checked before any work
            args.format = output_format(args.output, args.format, args.formats)
        from gis.io import protect_inputs

        with protect_inputs(), _Warnings():  # no command writes over its own input; warnings as one line each
            return int(args.func(args) or 0)
    except ConfigError as exc:  # names the keys of a file, not parameters
        print(f"gis: error: {inert(exc)}", file=sys.stderr)
        return 2
    except GisError as exc:
        print(f"gis: error: {inert(cli_message(str(exc)))}", file=sys.stderr)
        return 2
    except MemoryError:
        print("gis: error: out of memory", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"gis: error: {inert(where)}{inert(exc.strerror or exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gis: interrupted", file=sys.stderr)
        return 130
    finally:
        settings.progress, _QUIET = shown, False


if __name__ == "__main__":
    sys.exit(main())

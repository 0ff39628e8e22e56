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

import pandas as pd

from gis import __version__
from gis.area import METHODS, planar_crs_for
from gis.build import build_site
from gis.check import check_layers, summarize
from gis.errors import ConfigError, GisError, GisWarning
from gis.io import atomic_write, protect_inputs
from gis.layers import is_file_argument, layer_summary, list_layers, open_source, read_layers
from gis.mapdef import is_definition_path, list_maps, load_definition
from gis.maps import BASEMAPS, render_file, render_map
from gis.measure import area_table, reclaim_table, reconcile
from gis.overlay import overlay, zone_composition
from gis.report import FORMATS, drop_empty, emit, for_terminal, records, render
from gis.rules import check_rules
from gis.safe import inert
from gis.site import site_report, site_report_markdown
from gis.table import format_table
from gis.units import LABELS, SQUARE_METRES

#: The library's parameter names (as messages write them, in backticks) and this command's flags.
FLAGS: dict[str, str] = {
    "overwrite=True": "--overwrite", "overwrite": "--overwrite", "crs": "--crs", "layer": "--layer",
    "encoding": "--encoding", "sql": "--sql", "project_id": "--id-field", "zone_id": "--zone-field",
    "id_field": "--id-field", "x_field": "--x-field", "y_field": "--y-field", "mapping": "--map",
    "tianditu_key": "--tianditu-key", "tolerance": "--tolerance", "min_share": "--min-share", "workers": "--workers",
    "scheduler": "--scheduler", "dpi": "--dpi", "engine": "--engine", "method": "--method", "format": "--format",
    "planar_crs": "--planar-crs", "by": "--by", "field": "--field", "schema_layer": "--schema", "unit": "--unit",
    "name_field": "--name-field", "profile": "--profile",
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


def _note(message: str) -> None:
    print(f"gis: {inert(cli_message(message))}", file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    """``gis check``: validate layers or files; exit 1 if any problem is found."""
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
    rows = layer_summary(args.names or None)
    headers = ["layer", "features", "geometry", "documented areas", "area km² (dissolved)"]
    print(format_table(headers, [[*list(r.values())[:4], "-" if r["area_km2"] is None else f"{r['area_km2']:.2f}"]
                                 for r in rows], align_right=[False, True, False, True, True]))
    return 0


def _method_label(method: str, gdf) -> str:
    if method == "planar":
        return f"高斯-克吕格平面面积 (EPSG:{planar_crs_for(gdf).to_epsg()})"
    if method == "geodesic":
        return "CGCS2000 椭球面积 (测地线边, GeographicLib)"
    return "CGCS2000 椭球面积 (国土调查方法)"


def _engine(args: argparse.Namespace):
    if args.engine != "dask":
        return "local"
    from gis.engine import Dask

    return Dask(scheduler=args.scheduler, workers=args.workers, progress=True)


def _emit(args: argparse.Namespace, table: pd.DataFrame, title: str | None = None) -> None:
    emit(render(table, args.format, title=title), args.output, fmt=args.format, overwrite=args.overwrite)


def cmd_area(args: argparse.Namespace) -> int:
    """``gis area``: areas per feature or group, or reconciliation against documented areas."""
    gdf, info = _open(args.source, args, "data")
    label = _method_label(args.method, gdf)
    if args.reconcile:
        table = reconcile(gdf, tolerance=args.tolerance, method=args.method, what=info.name)
        _emit(args, table, f"{info.name}: 量算面积与文件面积核对, {label}, 容差 ±{args.tolerance:.0%}")
        flagged = int((table["flag"] == "超出容差").sum())
        compared = int(table["diff_pct"].notna().sum())
        _note(f"{compared} feature(s) with a documented area; {flagged} beyond ±{args.tolerance:.0%}")
        return 0
    table = area_table(gdf, by=args.by, unit=args.unit, method=args.method, planar_crs=args.planar_crs,
                       what=info.name, engine=_engine(args))
    _emit(args, drop_empty(table) if args.format == "table" else table,
          f"{info.name}: {label}, 单位 {LABELS[args.unit]}")
    if table.attrs.get("disjoint") is False:
        total = table.iloc[-1]
        _note(
            f"features overlap: the total counts {total['overlap_m2']:.2f} m² once "
            f"(plain sum {total['sum_m2']:.2f} m², dissolved {total['area_m2']:.2f} m²)"
        )
    return 0


def cmd_reclaim(args: argparse.Namespace) -> int:
    """``gis reclaim``: reclaimed acreage with totals by status, district and scheme."""
    gdf, info = _open(args.source, args, "data")
    tables = reclaim_table(gdf, method=args.method)
    if args.format == "json":
        payload = {name: records(t) for name, t in tables.items()}
        text = json.dumps(payload, ensure_ascii=False, indent=1) + "\n"
        emit(text, args.output, fmt="json", overwrite=args.overwrite)
        return 0
    if args.format == "csv":
        combined = pd.concat([t.assign(section=name) for name, t in tables.items()], ignore_index=True)
        combined = combined[["section", *[c for c in combined.columns if c != "section"]]]
        emit(render(combined, "csv"), args.output, fmt="csv", overwrite=args.overwrite)
        return 0
    label = _method_label(args.method, gdf)
    titles = {
        "areas": f"{info.name}: 围垦面积 ({label})",
        "by_status": "按状态汇总 (溶解后计算, 嵌套与重叠只计一次)",
        "by_district": "按所在区汇总",
        "by_scheme": "按布局方案汇总",
    }
    parts = []
    for name, table in tables.items():
        shown = table if name == "areas" else drop_empty(
            table[[c for c in table.columns if c not in ("area_m2",)]], ("sum_m2", "overlap_m2", "sum_mu")
        )
        parts.append(render(shown, "table", title=titles[name]))
    emit("\n".join(parts), args.output, fmt="table", overwrite=args.overwrite)
    return 0


def _open(source: str, args: argparse.Namespace, what: str):
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
    projects, pinfo = _open(args.projects, args, "projects")
    zones, zinfo = _open(args.zones, args, "zones")
    with _Warnings():
        table = overlay(projects, zones, project_id=args.id_field, zone_id=args.zone_field, min_share=args.min_share,
                        projects_name=pinfo.name, zones_name=zinfo.name, engine=_engine(args))
    shown = for_terminal(table, mu_of=("area_inside_m2",)) if args.format == "table" else table
    _emit(args, shown, f"{pinfo.name} × {zinfo.name}: 叠加 (CGCS2000 椭球面积)")
    alone = int(table["zone_id"].isna().sum())
    _note(f"{table['project_id'].nunique()} project(s); {alone} in no zone")
    return 0


def cmd_composition(args: argparse.Namespace) -> int:
    """``gis composition``: what each zone holds, by a field of another layer."""
    zones, zinfo = _open(args.zones, args, "zones")
    layer, linfo = _open(args.layer_source, args, "layer")
    with _Warnings():
        table = zone_composition(zones, layer, field=args.field, zone_id=args.zone_field,
                                 zones_name=zinfo.name, layer_name=linfo.name)
    shown = for_terminal(table, mu_of=("area_m2",)) if args.format == "table" else table
    _emit(args, shown, f"{zinfo.name} 内 {linfo.name} 的构成（按 {args.field}，同类先溶解；CGCS2000 椭球面积）")
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    """``gis rules``: the plans' siting rules checked against the layers."""
    results = check_rules()
    if args.format == "json":
        emit(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=1) + "\n",
             args.output, fmt="json", overwrite=args.overwrite)
        return 0
    table = pd.DataFrame([r.as_dict() for r in results])
    if args.format == "csv":
        table["features"] = table["features"].map("; ".join)
        table["failing"] = table["failing"].map("; ".join)
        emit(render(table, "csv"), args.output, fmt="csv", overwrite=args.overwrite)
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
        emit(render(report["rows"], "csv"), args.output, fmt="csv", overwrite=args.overwrite)
    else:
        parts = [render(report["overlaps"], "table", title=f"{info.name}: 占用情况 (CGCS2000 椭球面积)"),
                 render(report["rules"], "table", title="规划规则")]
        emit("\n".join(parts), args.output, fmt="table", overwrite=args.overwrite)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    """``gis review``: sites against a review profile's control layers (用地预审 / 合规性审查)."""
    from gis.review import load_profile, review
    from gis.review_report import format_for, write_review

    profile = load_profile(args.profile)  # a bad profile stops here, before anything is read or written
    fmt = format_for(args.output, args.format)
    if fmt in ("xlsx", "pdf") and not args.output:
        raise GisError(f"a {fmt} review is a file: name it with -o FILE.{fmt}")
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


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``gis`` command."""
    parser = _Parser(
        prog="gis",
        description="Spatial-planning toolkit for Wenzhou's industrial platforms (温州产业平台空间规划工具).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
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
    p.add_argument("--format", choices=[*FORMATS, "markdown"], default="table", help="output format")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")
    p.set_defaults(func=cmd_site)

    p = sub.add_parser("review", help="review sites against a profile of control layers (用地预审 / 合规性审查)")
    p.add_argument("source", metavar="SITES", help="a vector file of candidate sites (or a shipped layer)")
    p.add_argument("--profile", required=True, help="the review profile (TOML): control layers and their rules")
    p.add_argument("--id-field", default="id", help="the sites' id field (default: id)")
    p.add_argument("--name-field", default="name", help="the sites' name field (default: name)")
    _source_options(p)
    p.add_argument("--format", choices=("table", "json", "markdown", "xlsx", "pdf"), default=None,
                   help="output format (default: from the -o suffix, else table)")
    p.add_argument("-o", "--output", help="write to this file (.json, .md, .xlsx, .pdf) instead of standard output")
    p.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")
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
                   help=f"a map name ({', '.join(list_maps())}), its title, a definition .toml, or a vector file")
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
    p.add_argument("name", metavar="NAME", help=f"a map name ({', '.join(list_maps())}), its title, or a .toml file")
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
    return parser


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, ``gis: error: …``, exit 2 (sub-commands inherit it)."""

    def error(self, message: str):
        self.exit(2, f"gis: error: {inert(self.prog.removeprefix('gis '))}: {inert(message)}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gis`` command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
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


if __name__ == "__main__":
    sys.exit(main())

"""``gis build``, the main job: every map, every report, and an index page a planner reads, swapped in whole.

Writes one folder:

* ``maps/NAME.html`` for every map definition, and ``maps/NAME.png``, a small
  picture of it drawn by the print renderer without text
  (:func:`gis.figure.render_thumbnail`: offline, no font needed);
* in ``reports/`` every report of the registry (:data:`gis.reports.REPORTS`) as
  CSV (the planner's table, as ``gis export --csv`` writes it) and JSON (the
  data, machine column names), and all of them as one workbook
  (:data:`WORKBOOK`, as ``gis export --xlsx`` writes it); the example review
  (``review.pdf``/``.json``/``.md``/``.xlsx``: the example sites against the
  example profile, as ``gis review`` writes them; the PDF only with a CJK font);
* ``index.html``: the key figures (reclaimed area by status, the schemes' and
  the platforms' areas), a card per map with its picture and the plan it draws,
  and every report as a table on the page — every value escaped.

The folder is built under a temporary name beside the destination and swapped
in when complete (:func:`gis.io.atomic_path`), so a killed build leaves the
previous output whole, and the index never links pages of two builds.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pandas as pd

from gis.errors import InputError
from gis.export import sheet_csv, write_tables
from gis.layers import read_layers
from gis.mapdef import SCHEMATIC_NOTE, MapDefinition, load_definitions
from gis.maps import escape, render_map
from gis.report import fixed, records
from gis.reports import REPORTS, Sheet

#: A file that marks a folder as the output of ``gis build`` (only such a folder is ever replaced).
MARKER = ".gis-build"
#: The workbook of every report, in ``reports/``.
WORKBOOK = "wenzhou-gis-reports.xlsx"


def _write(path: Path, text: str, *, bom: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8-sig" if bom else "utf-8"))
    return path


def build_reports(folder: Path) -> tuple[list[tuple[Path, str]], dict[str, Sheet]]:
    """Write every report of the registry as CSV and JSON, and the workbook, into ``folder``.

    Returns
    -------
    tuple
        The (path, title) pairs written, and the sheets by report id.
    """
    layers = read_layers()
    out: list[tuple[Path, str]] = []
    shown: dict[str, Sheet] = {}
    for report in REPORTS:
        table = report.data(layers)
        sheet = report.sheet_table(table)
        shown[report.id] = sheet
        out.append((_write(folder / f"{report.id}.csv", sheet_csv(sheet), bom=True), report.title))
        payload = json.dumps(records(table), ensure_ascii=False, indent=1) + "\n"
        out.append((_write(folder / f"{report.id}.json", payload), f"{report.title}（JSON）"))
    folder.mkdir(parents=True, exist_ok=True)
    workbook = write_tables({s.name: s for s in shown.values()}, folder / WORKBOOK, overwrite=True)[0]
    out.append((workbook, "全部报表（Excel 工作簿）"))
    return out, shown


def build_review(folder: Path) -> list[tuple[Path, str]]:
    """Review the example sites against the example profile (shipped layers only); write JSON, Markdown, XLSX, PDF.

    The PDF needs a CJK font; without one it is left out with a warning (the rest is written).
    """
    import warnings

    import geopandas as gpd

    from gis.errors import FontError, GisWarning
    from gis.review import example_profile_path, review
    from gis.review_report import render_review, write_review_pdf, write_review_workbook

    profile_path = example_profile_path()
    sites = gpd.read_file(profile_path.with_name("example_sites.geojson"))
    result = review(sites, profile_path, what="example_sites.geojson")
    out = [(_write(folder / "review.json", render_review(result, "json")), "选址审查示例（JSON）"),
           (_write(folder / "review.md", render_review(result, "markdown")), "选址审查示例（Markdown）")]
    write_review_workbook(result, folder / "review.xlsx")
    out.append((folder / "review.xlsx", "选址审查示例（工作簿）"))
    try:
        write_review_pdf(result, sites, folder / "review.pdf")
        out.insert(0, (folder / "review.pdf", "选址审查示例（用地预审式报告，PDF）"))
    except FontError as exc:
        warnings.warn(f"the review PDF is left out: {exc}", GisWarning, stacklevel=2)
    return out


def _refuse(folder: Path, overwrite: bool) -> None:
    if not folder.exists():
        return
    if not folder.is_dir():
        raise InputError(f"{folder} exists and is not a folder")
    entries = [p.name for p in folder.iterdir()]
    if not entries:
        return
    if MARKER not in entries and "index.html" not in entries:
        raise InputError(f"{folder} holds files that are not a gis build; choose an empty or new folder")
    if not overwrite:
        raise InputError(f"{folder} holds an earlier build ({folder / 'index.html'}); "
                         "pass `overwrite=True` to replace it")


def _cell(value: object, decimals: int | None, percent: bool) -> tuple[str, bool]:
    """Return a cell's text as the workbook shows it, and whether it is a number."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "", False
    if isinstance(value, bool):
        return ("是" if value else "否"), False
    if isinstance(value, int | float) or hasattr(value, "dtype"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return str(value), False
        if percent:
            return f"{fixed(number * 100, 2)}%", True
        return (fixed(number, decimals) if decimals is not None else f"{number:g}"), True
    return str(value), False


def sheet_html(sheet: Sheet) -> str:
    """Return a report as an HTML table with its unit and source lines; every value escaped."""
    columns = list(sheet.table.columns)
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    rows = []
    for i, row in enumerate(sheet.table.itertuples(index=False)):
        cells = []
        for name, value in zip(columns, row, strict=True):
            text, number = _cell(value, sheet.decimals.get(name), name in sheet.percent)
            cells.append(f'<td class="num">{escape(text)}</td>' if number else f"<td>{escape(text)}</td>")
        total = ' class="total"' if i in sheet.totals else ""
        rows.append(f"<tr{total}>{''.join(cells)}</tr>")
    return (f'<p class="unit">{escape(sheet.unit)}</p>' if sheet.unit else "") + (
        f'<div class="table"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
        f'<p class="source">{escape(sheet.source)}</p>')


def key_figures(shown: dict[str, Sheet]) -> list[tuple[str, str, str]]:
    """Return the index page's key figures: (label, value, note)."""
    out: list[tuple[str, str, str]] = []
    status = shown["areas_reclamation_by_status"]
    first, mu = status.table.columns[0], "面积（亩）"
    for i, row in status.table.iterrows():
        if i in status.totals:
            continue
        out.append((f"围垦{row[first]}", f"{fixed(row[mu], 2)} 亩", f"{fixed(row['面积（平方公里）'], 4)} km²"))
    total = status.table.iloc[status.totals[-1]]
    out.append(("围垦合计", f"{fixed(total[mu], 2)} 亩", "溶解后，嵌套与重叠只计一次"))
    zones = shown["areas_zones_by_scheme"]
    for i, row in zones.table.iterrows():
        if i in zones.totals:
            continue
        out.append((f"“{row[zones.table.columns[0]]}”功能分区", f"{fixed(row[mu], 2)} 亩",
                    f"{int(row['要素数'])} 个分区，{fixed(row['面积（平方公里）'], 4)} km²"))
    parks = shown["areas_platforms"]
    total = parks.table.iloc[parks.totals[-1]]
    count = len(parks.table) - len(parks.totals)
    out.append(("产业平台与区块", f"{fixed(total[mu], 2)} 亩", f"{count} 个，溶解后合计"))
    return out


CSS = """
body{font:15px/1.5 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f3b57;color:#fff;padding:1em 2em}header h1{margin:0;font-size:1.6em}
main{padding:1em 2em;max-width:90em}
.note{background:#fff8e1;padding:.5em 1em;border:1px solid #e0b060;color:#8a4b00}
.figures{display:flex;flex-wrap:wrap;gap:.8em;margin:1em 0}
.figure{background:#fff;border:1px solid #ccc;border-radius:6px;padding:.6em 1em;min-width:13em}
.figure .label{color:#555;font-size:.9em}.figure .value{font-size:1.35em;font-weight:bold;color:#1f3b57}
.figure .extra{color:#777;font-size:.8em}
.maps{display:grid;grid-template-columns:repeat(auto-fill,minmax(370px,1fr));gap:1em}
.card{background:#fff;border:1px solid #ccc;border-radius:6px;overflow:hidden}
.card img{display:block;width:100%;height:auto;border-bottom:1px solid #ddd}
.card h3{font-size:1em;margin:.5em .8em .2em}.card p{margin:.2em .8em .7em;font-size:.85em;color:#555}
.report{background:#fff;border:1px solid #ccc;border-radius:6px;padding:.5em 1em;margin:1em 0}
.report h3{margin:.3em 0}.unit,.source{font-size:.8em;color:#666;margin:.2em 0}
.table{overflow-x:auto;max-height:32em;overflow-y:auto}
table{border-collapse:collapse;font-size:.85em}th{background:#ddebf7;position:sticky;top:0}
th,td{border:1px solid #ccc;padding:2px 6px;white-space:nowrap;vertical-align:top}
td{max-width:36em;white-space:normal}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
tr.total td{font-weight:bold;background:#f2f2f2}
.downloads a{margin-right:1em}
"""


def index_page(maps: list[tuple[MapDefinition, Path, Path]], reports: list[tuple[Path, str]],
               shown: dict[str, Sheet], root: Path, *, reviews: list[tuple[Path, str]] = ()) -> str:
    """Return ``index.html``.

    Key figures, a card per map (picture, title, plan cited), the example
    review's files, and every report as a table.
    """
    figures = "".join(
        f'<div class="figure"><div class="label">{escape(label)}</div><div class="value">{escape(value)}</div>'
        f'<div class="extra">{escape(extra)}</div></div>' for label, value, extra in key_figures(shown))
    cards = "".join(
        f'<div class="card"><a href="{escape(page.relative_to(root).as_posix())}">'
        f'<img src="{escape(picture.relative_to(root).as_posix())}" alt="{escape(d.title)}" width="720" '
        f'height="480"></a><h3><a href="{escape(page.relative_to(root).as_posix())}">{escape(d.title)}</a></h3>'
        f"<p>规划出处：{escape(d.citation or d.source)}</p></div>"
        for d, page, picture in maps)
    review_links = ("<h2>选址审查（示例方案：以规划图层代替管控图层）</h2><ul>" + "".join(
        f'<li><a href="{escape(p.relative_to(root).as_posix())}">{escape(t)}</a></li>' for p, t in reviews)
        + "</ul>") if reviews else ""
    files = {p.name: p for p, _ in reports}
    workbook = files[WORKBOOK].relative_to(root).as_posix()
    sections = []
    for report in REPORTS:
        sheet = shown[report.id]
        links = " ".join(f'<a href="{escape(files[f"{report.id}.{ext}"].relative_to(root).as_posix())}">'
                         f"{label}</a>" for ext, label in (("csv", "CSV"), ("json", "JSON")))
        sections.append(f'<section class="report" id="{escape(report.id)}"><h3>{escape(sheet.title)}</h3>'
                        f"{sheet_html(sheet)}<p class=\"downloads\">下载：{links} "
                        f"<code>reports/{escape(report.id)}.csv</code></p></section>")
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>温州产业平台规划图集（示意）</title><style>{CSS}</style></head><body>"
        "<header><h1>温州产业平台规划图集（示意）</h1>"
        "<div>浙南产业集聚区“一核两带三轴四区”、洞头区“北翼集聚、本岛提升、西片联动”、鹿城区“1+2+N”</div></header><main>"
        f'<p class="note">{escape(SCHEMATIC_NOTE)}</p>'
        f'<h2>主要数字</h2><div class="figures">{figures}</div>'
        f'<h2>地图</h2><div class="maps">{cards}</div>'
        f"{review_links}"
        f'<h2>报表</h2><p class="downloads">全部报表：<a href="{escape(workbook)}">'
        f"Excel 工作簿（{escape(WORKBOOK)}）</a>"
        "，每张表另有 CSV（UTF-8，Excel 可直接打开）与 JSON。</p>"
        f"{''.join(sections)}</main></body></html>\n"
    )


def build_site(folder: str | os.PathLike[str], *, basemap: str = "none", tianditu_key: str | None = None,
               overwrite: bool = False) -> list[Path]:
    """Render every map and report into ``folder`` with an ``index.html``; return the files written.

    The whole folder is built beside the destination and swapped in at the end.
    An existing folder is replaced only if it holds an earlier build and
    ``overwrite`` is true; a folder of other files is never replaced.
    """
    from gis.figure import render_thumbnail
    from gis.io import atomic_path

    dest = Path(folder)
    _refuse(dest, overwrite)
    written: list[Path] = []
    with atomic_path(dest, directory=True, overwrite=True) as tmp:
        maps: list[tuple[MapDefinition, Path, Path]] = []
        for definition in load_definitions():
            page = render_map(definition, basemap=basemap, tianditu_key=tianditu_key)
            path = _write(tmp / "maps" / f"{definition.name}.html", page)
            picture = render_thumbnail(definition, tmp / "maps" / f"{definition.name}.png", width_px=720)
            maps.append((definition, path, picture))
        reports, shown = build_reports(tmp / "reports")
        reviews = build_review(tmp / "reports")
        _write(tmp / "index.html", index_page(maps, reports, shown, tmp, reviews=reviews))
        (tmp / MARKER).write_text("written by gis build\n", encoding="utf-8")
        files = [p for _, page, picture in maps for p in (page, picture)] + [p for p, _ in [*reports, *reviews]]
        written = [dest / p.relative_to(tmp) for p in files] + [dest / "index.html"]
    return written

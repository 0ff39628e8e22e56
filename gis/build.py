"""``gis build``, the main job: every map, every report, and an index page, swapped in whole.

Writes one folder: ``maps/NAME.html`` for every map definition; in
``reports/`` every report of the registry (:data:`gis.reports.REPORTS`) as CSV
(UTF-8 with BOM) and JSON; and ``index.html`` linking them all. The folder is
built under a temporary name beside the destination and swapped in when
complete (:func:`gis.io.atomic_path`), so a killed build leaves the previous
output whole, and the index never links pages of two builds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from gis.errors import InputError
from gis.layers import read_layers
from gis.mapdef import SCHEMATIC_NOTE, load_definitions
from gis.maps import escape, render_map
from gis.report import records, render
from gis.reports import REPORTS

#: A file that marks a folder as the output of ``gis build`` (only such a folder is ever replaced).
MARKER = ".gis-build"


def _write(path: Path, text: str, *, bom: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8-sig" if bom else "utf-8"))
    return path


def build_reports(folder: Path) -> list[tuple[Path, str]]:
    """Write every report of the registry as CSV and JSON into ``folder``; return (path, title) pairs."""
    layers = read_layers()
    out: list[tuple[Path, str]] = []
    for report in REPORTS:
        table = report.data(layers)
        out.append((_write(folder / f"{report.id}.csv", render(table, "csv"), bom=True), report.title))
        payload = json.dumps(records(table), ensure_ascii=False, indent=1) + "\n"
        out.append((_write(folder / f"{report.id}.json", payload), f"{report.title}（JSON）"))
    return out


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


def build_site(folder: str | os.PathLike[str], *, basemap: str = "none", tianditu_key: str | None = None,
               overwrite: bool = False) -> list[Path]:
    """Render every map and report into ``folder`` with an ``index.html``; return the files written.

    The whole folder is built beside the destination and swapped in at the end.
    An existing folder is replaced only if it holds an earlier build and
    ``overwrite`` is true; a folder of other files is never replaced.
    """
    dest = Path(folder)
    _refuse(dest, overwrite)
    from gis.io import atomic_path

    written: list[Path] = []
    with atomic_path(dest, directory=True, overwrite=True) as tmp:
        maps: list[tuple[Path, str]] = []
        for definition in load_definitions():
            page = render_map(definition, basemap=basemap, tianditu_key=tianditu_key)
            maps.append((_write(tmp / "maps" / f"{definition.name}.html", page), definition.title))
        reports = build_reports(tmp / "reports")
        reviews = build_review(tmp / "reports")
        links_maps = "".join(
            f'<li><a href="{escape(p.relative_to(tmp).as_posix())}">{escape(t)}</a></li>' for p, t in maps
        )
        links_reports = "".join(
            f'<li><a href="{escape(p.relative_to(tmp).as_posix())}">{escape(t)}</a> '
            f"<code>{escape(p.name)}</code></li>" for p, t in reports
        )
        links_reviews = "".join(
            f'<li><a href="{escape(p.relative_to(tmp).as_posix())}">{escape(t)}</a></li>' for p, t in reviews
        )
        index = (
            '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>温州产业平台规划图集</title>'
            "<style>body{font:15px sans-serif;margin:2em;max-width:56em}.note{background:#fff8e1;padding:.5em 1em;"
            "border:1px solid #e0b060}</style></head><body><h1>温州产业平台规划图集（示意）</h1>"
            f'<p class="note">{escape(SCHEMATIC_NOTE)}</p><h2>地图</h2><ul>{links_maps}</ul>'
            f"<h2>选址审查（示例方案：以规划图层代替管控图层）</h2><ul>{links_reviews}</ul>"
            f"<h2>报表</h2><ul>{links_reports}</ul></body></html>\n"
        )
        _write(tmp / "index.html", index)
        (tmp / MARKER).write_text("written by gis build\n", encoding="utf-8")
        written = [dest / p.relative_to(tmp) for p, _ in [*maps, *reports, *reviews]] + [dest / "index.html"]
    return written

"""``gis build``, the main job: every map in ``maps/``, the reports, and an index page.

Writes into one folder: ``maps/NAME.html`` for every map definition; in
``reports/`` the areas of the plan layers (CSV), the reconciliation against the
documented areas, the reclaimed acreage, the overlay of projects on zones and
the verdicts of the plan rules (CSV and JSON); and ``index.html`` linking them
all. Every file is written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from gis.errors import InputError
from gis.io import atomic_write
from gis.layers import read_layer
from gis.maps import SCHEMATIC_NOTE, escape, list_maps, load_definition, render_map
from gis.measure import area_table, reclaim_table, reconcile
from gis.overlay import overlay
from gis.report import records, render
from gis.rules import check_rules, shipped_index


def _write(path: Path, text: str, *, bom: bool = False, overwrite: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if bom:
        with atomic_write(path, mode="wb", overwrite=overwrite) as handle:
            handle.write(text.encode("utf-8-sig"))
    else:
        with atomic_write(path, overwrite=overwrite) as handle:
            handle.write(text)
    return path


def build_reports(folder: Path, *, overwrite: bool = False) -> list[tuple[Path, str]]:
    """Write the area, reconciliation, reclamation, overlay and rules reports; return (path, title) pairs."""
    out: list[tuple[Path, str]] = []
    areas = (
        ("platforms", None, "产业平台面积（亩）"),
        ("zones", "scheme", "功能分区面积（按布局方案，亩）"),
        ("reclamation", "status", "围垦面积（按状态，亩）"),
    )
    for layer, by, title in areas:
        table = area_table(read_layer(layer), by=by, unit="mu")
        name = f"areas_{layer}" + (f"_by_{by}" if by else "")
        out.append((_write(folder / f"{name}.csv", render(table, "csv"), bom=True, overwrite=overwrite), title))
    recon = pd.concat([reconcile(read_layer(n)).assign(layer=n) for n in ("platforms", "reclamation")])
    tables = reclaim_table(read_layer("reclamation"))
    payload = json.dumps({k: records(t) for k, t in tables.items()}, ensure_ascii=False, indent=1) + "\n"
    combined = pd.concat([t.assign(section=k) for k, t in tables.items()], ignore_index=True)
    ov = overlay(read_layer("projects"), read_layer("zones"))
    results = [r.as_dict() for r in check_rules(shipped_index())]
    files = (
        ("reconcile.csv", render(recon, "csv"), True, "量算面积与文件面积核对"),
        ("reclaim.json", payload, False, "围垦面积汇总（JSON）"),
        ("reclaim.csv", render(combined, "csv"), True, "围垦面积汇总（CSV）"),
        ("overlay_projects_zones.csv", render(ov, "csv"), True, "重大项目落区（叠加）"),
        ("rules.json", json.dumps(results, ensure_ascii=False, indent=1) + "\n", False, "规划规则核查"),
    )
    for filename, text, bom, title in files:
        out.append((_write(folder / filename, text, bom=bom, overwrite=overwrite), title))
    return out


def build_site(folder: Path, *, basemap: str = "none", tianditu_key: str | None = None,
               overwrite: bool = False) -> list[Path]:
    """Render every map and report into ``folder`` with an ``index.html``; return the files written.

    Without ``overwrite``, a folder that holds an earlier build is refused before anything is written.
    """
    folder = Path(folder)
    earlier = folder / "index.html"
    if earlier.exists() and not overwrite:
        raise InputError(f"{folder} holds an earlier build ({earlier}); pass --overwrite to replace it")
    written: list[Path] = []
    maps: list[tuple[Path, str]] = []
    for name in list_maps():
        definition = load_definition(name)
        page = render_map(definition, basemap=basemap, tianditu_key=tianditu_key)
        maps.append((_write(folder / "maps" / f"{name}.html", page, overwrite=overwrite),
                     definition.get("title", name)))
    reports = build_reports(folder / "reports", overwrite=overwrite)
    links_maps = "".join(
        f'<li><a href="{escape(p.relative_to(folder).as_posix())}">{escape(t)}</a></li>' for p, t in maps
    )
    links_reports = "".join(
        f'<li><a href="{escape(p.relative_to(folder).as_posix())}">{escape(t)}</a> '
        f'<code>{escape(p.name)}</code></li>' for p, t in reports
    )
    index = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>温州产业平台规划图集</title>'
        "<style>body{font:15px sans-serif;margin:2em;max-width:56em}.note{background:#fff8e1;padding:.5em 1em;"
        "border:1px solid #e0b060}</style></head><body><h1>温州产业平台规划图集（示意）</h1>"
        f'<p class="note">{escape(SCHEMATIC_NOTE)}</p><h2>地图</h2><ul>{links_maps}</ul>'
        f"<h2>报表</h2><ul>{links_reports}</ul></body></html>\n"
    )
    written.extend(p for p, _ in maps)
    written.extend(p for p, _ in reports)
    written.append(_write(folder / "index.html", index, overwrite=overwrite))
    return written

"""The review as people read it: a terminal table, Markdown, a workbook and a 用地预审-style PDF.

:func:`render_review` turns a :class:`~gis.review.ReviewResult` into ``table``,
``json``, ``markdown`` text; :func:`write_review_workbook` writes the workbook
(汇总, one sheet per constraint, 占用清单, 地类构成, 数据来源) and
:func:`write_review_pdf` a report of a few A4 pages: title and site list, for
each site a location figure on the plan and control layers (legend, scale bar,
north arrow, 示意 where the plan layers are schematic) with its verdicts and
their clauses, the 占用清单 and the land-use breakdown, and the data sources with
their dates. Every text is data: escaped, inert or neutralised for its medium.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

import shapely

from gis.io import atomic_path, atomic_write
from gis.mapdef import ATTRIBUTION, BACKGROUND, SCHEMATIC_NOTE
from gis.report import HEADERS, render
from gis.review import (
    ReviewResult,
    land_use_table,
    occupation_table,
    sites_table,
    sources_table,
    summary_table,
)
from gis.rules import FAIL, PASS, UNKNOWN
from gis.safe import markdown_text as _md

#: Formats of ``gis review``.
REVIEW_FORMATS: tuple[str, ...] = ("table", "json", "markdown", "xlsx", "pdf")
#: Headers of the review's tables, beyond the common ones.
REVIEW_HEADERS = {**HEADERS, "constraint": "管控图层", "rule": "规则", "overlap_m2": "占用面积（平方米）",
                  "overlap_mu": "占用面积（亩）", "share": "占选址比例", "clause": "依据", "reason": "说明",
                  "measure": "审查方式", "failed": "未通过的管控图层", "level": "层级", "class": "地类",
                  "modified": "文件日期", "features_read": "读取要素数", "date": "数据时点", "name": "名称"}
_MEASURES = {"area": "按面积", "length": "按长度", "position": "按位置"}
_VERDICT_COLOURS = {PASS: "#1a9850", FAIL: "#d73027", UNKNOWN: "#fdae61"}
#: Rows of a 占用清单 a PDF page lists (the workbook lists them all).
PDF_LIST_ROWS = 18


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    if "measure" in out.columns:
        out["measure"] = out["measure"].map(lambda m: _MEASURES.get(m, m))
    return out


def render_review(result: ReviewResult, fmt: str) -> str:
    """Return a review as ``table`` (terminal), ``json`` (the site list) or ``markdown`` text."""
    if fmt == "json":
        return json.dumps(result.as_json(), ensure_ascii=False, indent=1) + "\n"
    if fmt == "markdown":
        return review_markdown(result)
    parts = [f"{result.profile.title}\n", render(_shown(sites_table(result)), "table", title="选址与结论",
                                                 headers=REVIEW_HEADERS),
             render(summary_table(result).drop(columns=["clause"]), "table", title="管控图层审查",
                    headers=REVIEW_HEADERS)]
    uses = land_use_table(result)
    if len(uses):
        parts.append(render(uses, "table", title="地类构成（CGCS2000 椭球面积）", headers=REVIEW_HEADERS))
    return "\n".join(parts)


def _num(value, digits: int = 2) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}f}"


def review_markdown(result: ReviewResult) -> str:
    """Return the review as Markdown: one section per site, its verdicts, 占用清单 and land-use breakdown."""
    p = result.profile
    lines = [f"# {_md(p.title)}", "", f"> {_md(p.note or '')}", "",
             f"> {SCHEMATIC_NOTE} 面积为 CGCS2000 椭球面积。生成时间：{result.created}。", ""]
    for site in result.sites:
        lines.append(f"## {_md(site['name'])}（{_md(site['id'])}）")
        lines.append("")
        if site["measure"] == "area":
            lines.append(f"面积：{_num(site['area_m2'])} 平方米，{_num(site['area_mu'])} 亩，"
                         f"{_num(site['area_ha'], 4)} 公顷。")
        else:
            lines.append(_md(site.get("note", "")))
        lines += ["", "| 管控图层 | 规则 | 结论 | 占用（亩） | 比例 | 说明 | 依据 |", "|---|---|---|---:|---:|---|---|"]
        for c in site["constraints"]:
            share = "—" if c["share"] is None else f"{c['share']:.2%}"
            lines.append(f"| {_md(c['name'])} | {_md(c['rule_text'])} | **{_md(c['verdict'])}** | "
                         f"{_num(c['overlap_mu'])} | {share} | {_md(c.get('reason'))} | {_md(c['clause'])} |")
        touched = [(c["name"], f) for c in site["constraints"] for f in c["features"]]
        if touched:
            lines += ["", "占用清单：", "", "| 管控图层 | 图斑编号 | 名称 | 占用（平方米） |", "|---|---|---|---:|"]
            lines += [f"| {_md(n)} | {_md(f['id'])} | {_md(f['name'])} | {_num(f['overlap_m2'])} |"
                      for n, f in touched]
        if site["land_use"]:
            lines += ["", "地类构成：", "", "| 层级 | 地类 | 面积（平方米） | 面积（亩） |", "|---|---|---:|---:|"]
            lines += [f"| {_md(r['level'])} | {_md(r['class'])} | {_num(r['area_m2'])} | {_num(r['area_mu'])} |"
                      for r in site["land_use"]]
        if site["rules"]:
            lines += ["", "规划规则："] + [f"- **{_md(r['verdict'])}** {_md(r['text'])}（{_md(r['source'])}）"
                                        for r in site["rules"]]
        lines.append("")
    lines += ["## 数据来源", "", "| 图层 | 来源 | 数据时点 | 文件日期 | 读取要素数 | 状态 |",
              "|---|---|---|---|---:|---|"]
    for layer in result.layers:
        lines.append(f"| {_md(layer['name'])} | {_md(layer['source'])} | {_md(layer['date'])} | "
                     f"{_md(layer['modified'])} | {_md(layer['features_read'])} | {_md(layer['reason'] or '已读取')} |")
    lines += ["", f"三大类对照：{_md(result.three_class_source)}（gis/three_classes.toml）。", ""]
    return "\n".join(lines)


def review_sheets(result: ReviewResult) -> dict[str, pd.DataFrame]:
    """Return the review's workbook sheets: 汇总, one per constraint, 占用清单, 地类构成, 数据来源."""
    sheets = {"汇总": _shown(sites_table(result)).rename(columns=REVIEW_HEADERS)}
    summary = summary_table(result)
    used: set[str] = set(sheets)
    for name in dict.fromkeys(summary["constraint"]):
        title = _sheet_name(name, used)
        sheets[title] = summary[summary["constraint"] == name].drop(columns=["constraint"]).rename(
            columns=REVIEW_HEADERS)
    sheets["占用清单"] = occupation_table(result).rename(columns=REVIEW_HEADERS)
    sheets["地类构成"] = land_use_table(result).rename(columns=REVIEW_HEADERS)
    sheets["数据来源"] = sources_table(result).rename(columns=REVIEW_HEADERS)
    return sheets


def _sheet_name(name: str, used: set[str]) -> str:
    base = "".join(ch for ch in name if ch not in "[]:*?/\\")[:28] or "图层"
    title, k = base, 2
    while title in used:
        title, k = f"{base[:26]}{k}", k + 1
    used.add(title)
    return title


def write_review_workbook(result: ReviewResult, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write the review workbook (see :func:`review_sheets`) atomically."""
    from gis.export import write_tables

    return write_tables(review_sheets(result), path, overwrite=overwrite)[0]


# --- the PDF ----------------------------------------------------------------------------------------------

_A4 = (8.27, 11.69)


def _page(plt, title: str):
    fig = plt.figure(figsize=_A4)
    fig.text(0.5, 0.965, title, ha="center", va="top", fontsize=14, weight="bold")
    fig.text(0.5, 0.02, SCHEMATIC_NOTE, ha="center", fontsize=7, color="#8a4b00")
    return fig


def _table(ax, header: list[str], rows: list[list[str]], widths: list[float], *, colours=None,
           size: float = 7.5) -> float:
    """Draw a table from the top of ``ax``; return the height it takes, as a share of the page's height."""
    ax.axis("off")
    box = ax.get_position()
    if not rows:
        ax.text(0, 1, "（无）", va="top", fontsize=size)
        return _line(size)
    table = ax.table(cellText=rows, colLabels=header, colWidths=widths, loc="upper left", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(size)
    heights = _row_heights(header, rows, size)
    for (r, _c), cell in table.get_celld().items():
        cell.set_height(heights[r] / box.height)  # in the axes' units
        cell.set_edgecolor("#bbbbbb")
        cell.PAD = 0.03
        if r == 0:
            cell.set_facecolor("#e8eef4")
            cell.set_text_props(weight="bold")
    if colours:
        for (r, c), cell in table.get_celld().items():
            if r > 0 and (r - 1, c) in colours:
                cell.get_text().set_color(colours[(r - 1, c)])
                cell.get_text().set_weight("bold")
    return sum(heights)


def _line(size: float) -> float:
    """Return the height of a line of text of ``size`` points, as a share of the page's height."""
    return size / 72 * 1.45 / _A4[1]


def _row_heights(header: list[str], rows: list[list[str]], size: float) -> list[float]:
    """Return the height of the header and of each row (as tall as its most wrapped cell), as shares of the page."""
    return [_line(size) * (max(1 + str(v).count("\n") for v in row) + 0.4) for row in (header, *rows)]


def _fitting(header: list[str], rows: list[list[str]], size: float, room: float) -> int:
    """Return how many of ``rows`` :func:`_table` draws within ``room`` (a share of the page's height)."""
    used = np.cumsum(_row_heights(header, rows, size))
    return int(np.searchsorted(used[1:], room, side="right"))


_VERDICT_HEADER = ["管控图层", "规则", "结论", "占用（亩）", "比例", "说明", "依据"]
_VERDICT_SIZE = 6.5
#: Height (share of the page) the verdicts may take below a site's figure and still leave the lists their room.
_VERDICT_ROOM = 0.23


def _verdicts(fig, rows: list[list[str]], top: float) -> float:
    """Draw a site's verdicts from ``top`` (a share of the page's height) down; return the height they take."""
    height = max(sum(_row_heights(_VERDICT_HEADER, rows, _VERDICT_SIZE)), _line(_VERDICT_SIZE))
    colours = {(i, 2): _VERDICT_COLOURS.get(r[2], "#000000") for i, r in enumerate(rows)}
    return _table(fig.add_axes((0.05, top - height, 0.9, height)), _VERDICT_HEADER, rows,
                  [0.17, 0.1, 0.08, 0.1, 0.08, 0.2, 0.27], colours=colours, size=_VERDICT_SIZE)


def _lists(fig, site: dict, top: float) -> None:
    """Draw a site's 占用清单 and 地类构成 side by side from ``top`` down, what does not fit counted below each."""
    uses = [[r["level"], _wrap(r["class"], 18), _num(r["area_m2"]), _num(r["area_mu"])] for r in site["land_use"]]
    touched = [[_wrap(c["name"], 9), _wrap(f["id"], 16), _wrap(f["name"], 9), _num(f["overlap_m2"])]
               for c in site["constraints"] for f in c["features"]]
    room = top - 0.06  # above the 示意 line, with a line for what is left out
    touched_header = ["管控图层", "图斑编号", "名称", "占用（平方米）"]
    more = len(touched) - min(PDF_LIST_ROWS, _fitting(touched_header, touched, 6, room))
    touched = touched[:len(touched) - more]
    uses_left = len(uses) - _fitting(["层级", "地类", "平方米", "亩"], uses, 6, room)
    uses = uses[:len(uses) - uses_left]
    fig.text(0.05, top + 0.004, "占用清单", fontsize=7, weight="bold")
    used = _table(fig.add_axes((0.05, top - 0.18, 0.44, 0.18)), touched_header, touched, [0.3, 0.28, 0.24, 0.2],
                  size=6)
    if more > 0:
        fig.text(0.05, top - used - 0.012, f"另有 {more} 个图斑，见工作簿的占用清单", fontsize=6)
    fig.text(0.52, top + 0.004, "地类构成", fontsize=7, weight="bold")
    used = _table(fig.add_axes((0.52, top - 0.18, 0.44, 0.18)), ["层级", "地类", "平方米", "亩"], uses,
                  [0.16, 0.44, 0.22, 0.18], size=6)
    if uses_left > 0:
        fig.text(0.52, top - used - 0.012, f"另有 {uses_left} 行，见工作簿的地类构成", fontsize=6)


#: A run the PDF's lines are not broken inside: a number with its separators and unit-less words in Latin letters.
_UNBROKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z.,:%/_+\-]*|.", re.S)


def _wrap(text: object, width: int) -> str:
    """Return ``text`` in lines of at most ``width`` characters, never breaking a number or a Latin word.

    Examples
    --------
    >>> print(_wrap("占用 2 个图斑，共 251.22 亩", 12))
    占用 2 个图斑，共
    251.22 亩
    """
    text = "" if text is None else str(text).replace("\r", " ")
    lines: list[str] = []
    line = ""
    for token in _UNBROKEN.findall(text):
        if token == "\n":
            lines.append(line)
            line = ""
            continue
        while len(token) > width:  # longer than a line by itself: cut, as nothing else can be done
            if line:
                lines.append(line)
                line = ""
            lines.append(token[:width])
            token = token[width:]
        if len(line) + len(token) > width:
            lines.append(line.rstrip())
            line = token.lstrip() if token.isspace() else token
        else:
            line += token
    lines.append(line)
    return "\n".join(lines).strip("\n")


def _nice_km(km: float) -> float:
    exponent = 10 ** math.floor(math.log10(km))
    return next((step * exponent for step in (1, 2, 5, 10) if step * exponent >= km), 10 * exponent)


def _location(ax, site_geom, frames: list[tuple[str, object, str]], plan) -> None:
    """Draw one site on the plan and control layers, with legend, scale bar and north arrow."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    import geopandas as gpd

    minx, miny, maxx, maxy = site_geom.bounds
    pad = max(maxx - minx, maxy - miny, 0.004) * 1.5
    view = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    bg = BACKGROUND
    plan["coast"].cx[view[0]:view[2], view[1]:view[3]].plot(ax=ax, facecolor=bg.land_fill,
                                                             edgecolor=bg.land_outline, linewidth=0.5, zorder=1)
    plan["districts"].cx[view[0]:view[2], view[1]:view[3]].boundary.plot(ax=ax, color=bg.district_colour,
                                                                         linewidth=0.6, linestyle="--", zorder=2)
    handles = []
    for name, layer, colour in frames:
        part = layer.cx[view[0]:view[2], view[1]:view[3]]
        if len(part):
            part.plot(ax=ax, facecolor=colour, edgecolor="none", alpha=0.22, zorder=3)
            part.boundary.plot(ax=ax, color=colour, linewidth=1.2, zorder=4)
            handles.append(Patch(facecolor=colour, edgecolor=colour, alpha=0.5, label=name))
    site = gpd.GeoSeries([site_geom], crs=4326)
    if site_geom.geom_type in ("Point", "MultiPoint"):
        site.plot(ax=ax, color="#d7301f", markersize=60, marker="*", zorder=6)
        handles.append(Line2D([], [], marker="*", linestyle="", color="#d7301f", markersize=10, label="选址"))
    else:
        outline = site.boundary if site_geom.geom_type.endswith("Polygon") else site
        outline.plot(ax=ax, color="#d7301f", linewidth=2.2, zorder=6)
        handles.append(Line2D([], [], color="#d7301f", linewidth=2.2, label="选址"))
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])
    mid = (view[1] + view[3]) / 2
    ax.set_aspect(1 / math.cos(math.radians(mid)))
    ax.set_facecolor(bg.sea)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.legend(handles=handles, loc="upper left", fontsize=6.5, framealpha=0.9)
    km_per_deg = 111.32 * math.cos(math.radians(mid))
    width_km = (view[2] - view[0]) * km_per_deg
    length = _nice_km(width_km / 4)
    x1 = view[2] - (view[2] - view[0]) * 0.05
    x0 = x1 - length / km_per_deg
    y0 = view[1] + (view[3] - view[1]) * 0.05
    ax.plot([x0, x1], [y0, y0], color="black", linewidth=3, zorder=7)
    ax.annotate(f"{length * 1000:g} 米" if length < 1 else f"{length:g} 千米", ((x0 + x1) / 2, y0), xytext=(0, 4),
                textcoords="offset points", ha="center", fontsize=7, zorder=7)
    ax.annotate("北", xy=(0.95, 0.95), xytext=(0.95, 0.85), xycoords="axes fraction", ha="center", fontsize=10,
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2})


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _value(value: object):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


_PALETTE = ("#1f78b4", "#33a02c", "#ff7f00", "#6a3d9a", "#b15928", "#e31a1c", "#a6cee3", "#b2df8a")


def write_review_pdf(result: ReviewResult, sites, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write the review as an A4 PDF report (see the module docstring), atomically.

    Parameters
    ----------
    result : ReviewResult
        The review.
    sites : geopandas.GeoDataFrame
        The sites reviewed (their geometry draws the location figures), in the review's order.
    path : path-like
        The ``.pdf`` to write.
    overwrite : bool
        Replace an existing file.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    from gis.figure import cjk_font
    from gis.layers import read_layer
    from gis.review import read_control_layer

    family, _ = cjk_font()
    plt.rcParams["font.family"] = [family, "DejaVu Sans"]
    plt.rcParams["text.parse_math"] = False  # names are data: "$5 到 $6" is dollars, never mathtext
    sites = sites.to_crs(4326)
    plan = {name: read_layer(name) for name in ("coast", "districts")}
    bounds = shapely.bounds(sites.geometry.values)
    pads = np.maximum(bounds[:, 2:] - bounds[:, :2], 0.004)[:, [0, 1, 0, 1]] * np.array([-1.6, -1.6, 1.6, 1.6])
    bounds = bounds + pads  # each site's map shows its surroundings
    frames = []
    for k, c in enumerate(result.profile.constraints):
        read = read_control_layer(c.source, layer=c.layer, folder=result.profile.folder, bbox=bounds, where=c.where,
                                  label=c.name)
        if read.features is not None and len(read.features):
            polys = read.features[read.features.geom_type.isin(["Polygon", "MultiPolygon"])]
            frames.append((c.name, polys, _PALETTE[k % len(_PALETTE)]))
    with atomic_path(path, overwrite=overwrite) as tmp, PdfPages(tmp, metadata={"Title": result.profile.title}) as pdf:
        fig = _page(plt, result.profile.title)
        fig.text(0.08, 0.92, _wrap(result.profile.note or "", 52), va="top", fontsize=8.5, color="#444444")
        fig.text(0.08, 0.86, f"生成时间：{result.created}    面积：CGCS2000 椭球面积（国土调查方法）", fontsize=8)
        table = sites_table(result)
        rows = [[_wrap(_text(r.site_id), 10), _wrap(_text(r.site_name), 16), _MEASURES.get(_text(r.measure), ""),
                 _num(_value(r.area_mu)), _num(_value(r.area_ha), 4), _text(r.verdict), _wrap(_text(r.failed), 14)]
                for r in table.itertuples()]
        colours = {(i, 5): _VERDICT_COLOURS.get(row[5], "#000000") for i, row in enumerate(rows)}
        ax = fig.add_axes((0.06, 0.1, 0.88, 0.72))
        _table(ax, ["编号", "名称", "方式", "面积（亩）", "面积（公顷）", "结论", "未通过"], rows,
               [0.12, 0.22, 0.08, 0.13, 0.13, 0.1, 0.22], colours=colours)
        pdf.savefig(fig)
        plt.close(fig)
        for site, (_, row) in zip(result.sites, sites.iterrows(), strict=True):
            fig = _page(plt, f"{site['name']}（{site['id']}）")
            if site["measure"] == "area":
                line = (f"面积 {_num(site['area_m2'])} 平方米 = {_num(site['area_mu'])} 亩 = "
                        f"{_num(site['area_ha'], 4)} 公顷")
            else:
                line = site.get("note", "")
            fig.text(0.5, 0.935, line, ha="center", fontsize=9)
            _location(fig.add_axes((0.1, 0.5, 0.8, 0.42)), row.geometry, frames, plan)
            crow = [[_wrap(c["name"], 11), c["rule_text"], c["verdict"], _num(c["overlap_mu"]),
                     "—" if c["share"] is None else f"{c['share']:.1%}", _wrap(c.get("reason"), 12),
                     _wrap(c["clause"], 17)] for c in site["constraints"]]
            if sum(_row_heights(_VERDICT_HEADER, crow, _VERDICT_SIZE)) <= _VERDICT_ROOM:
                # The verdicts just below the figure; the two lists just below them.
                _lists(fig, site, 0.48 - _verdicts(fig, crow, 0.48) - 0.03)
            else:  # many constraints: the verdicts down to the foot, the rest of them and the lists on a page of
                # their own, so that nothing is drawn over anything
                first = _fitting(_VERDICT_HEADER, crow, _VERDICT_SIZE, 0.48 - 0.06)
                _verdicts(fig, crow[:first], 0.48)
                pdf.savefig(fig)
                plt.close(fig)
                fig = _page(plt, f"{site['name']}（{site['id']}）（续）")
                rest = crow[first:]
                shown = _fitting(_VERDICT_HEADER, rest, _VERDICT_SIZE, 0.92 - 0.3)  # room left for the lists
                top = 0.92 - _verdicts(fig, rest[:shown], 0.92) - 0.03 if rest else 0.9
                if shown < len(rest):
                    fig.text(0.05, top + 0.018, f"另有 {len(rest) - shown} 个管控图层，见工作簿的汇总", fontsize=6)
                _lists(fig, site, top)
            pdf.savefig(fig)
            plt.close(fig)
        fig = _page(plt, "数据来源与说明")
        rows = [[_wrap(r["name"], 14), _wrap(r["source"], 18), _wrap(r["date"] or "", 12), r["modified"] or "",
                 "" if r["features_read"] is None else str(r["features_read"]), _wrap(r["reason"] or "已读取", 12)]
                for r in result.layers]
        _table(fig.add_axes((0.05, 0.45, 0.9, 0.45)), ["图层", "来源", "数据时点", "文件日期", "要素数", "状态"],
               rows, [0.2, 0.26, 0.16, 0.12, 0.08, 0.18], size=6.5)
        fig.text(0.06, 0.4, _wrap(f"三大类对照：{result.three_class_source}（gis/three_classes.toml）", 60),
                 fontsize=7.5, va="top")
        fig.text(0.06, 0.3, _wrap(ATTRIBUTION, 60), fontsize=7, va="top", color="#444444")
        pdf.savefig(fig)
        plt.close(fig)
    return Path(path)


def write_review(result: ReviewResult, sites, output: str | os.PathLike[str] | None, fmt: str, *,
                 overwrite: bool = False) -> str | None:
    """Write (or return, for the terminal) a review in ``fmt``; return the text when there is no ``output``."""
    if fmt == "xlsx":
        write_review_workbook(result, output, overwrite=overwrite)
        return None
    if fmt == "pdf":
        write_review_pdf(result, sites, output, overwrite=overwrite)
        return None
    text = render_review(result, fmt)
    if output is None:
        return text
    with atomic_write(output, overwrite=overwrite) as handle:
        handle.write(text)
    return None


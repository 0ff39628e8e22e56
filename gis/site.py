"""Siting report (选址分析) for candidate sites, as a "one map" review gives it.

For each site: every zone, platform and reclamation area it touches, with the
overlap area (m² and 亩) and the share of the site inside; and the plan rules
that concern it (:func:`gis.rules.rules_for_sites`) with their verdicts. Rendered
as tables, CSV, JSON, or Markdown that a planner can paste into a document.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import geopandas as gpd

from gis.overlay import overlay, prepare
from gis.rules import Index, load_rules, rules_for_sites, shipped_index
from gis.safe import markdown_text as _md
from gis.units import from_square_metres, round_half_up

#: The layers a site is reviewed against, with their Chinese names.
REVIEW_LAYERS: dict[str, str] = {"zones": "功能分区", "platforms": "产业平台", "reclamation": "围垦区"}


def site_report(sites: gpd.GeoDataFrame, *, id_field: str = "id", what: str = "sites",
                index: Index | None = None) -> dict[str, object]:
    """Review candidate sites against the shipped zones, platforms and reclamation, and the rules.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Points or polygons in any CRS, with an id field (and ``name`` if any).
    id_field : str
        The sites' id field.
    what : str
        How to name the sites in messages.
    index : gis.rules.Index, optional
        The layers to check rules against (default: the shipped layers).

    Returns
    -------
    dict
        ``overlaps`` and ``rules`` (DataFrames), ``rows`` (both, flat, for CSV)
        and ``sites`` (a JSON-ready list, one entry per site).
    """
    sites = prepare(sites, id_field, what)
    names = sites["name"].astype(str) if "name" in sites.columns else sites[id_field].astype(str)
    name_of = dict(zip(sites[id_field].astype(str), names, strict=True))
    index = index or shipped_index()
    overlap_rows = []
    for layer, label in REVIEW_LAYERS.items():
        target = index.layers[layer]
        feature_name = dict(zip(target["id"], target["name"], strict=True))
        table = overlay(sites, target, project_id=id_field, projects_name=what, zones_name=layer)
        for row in table.itertuples():
            if row.zone_id is None:
                continue
            areal = not pd.isna(row.project_area_m2)  # points and lines occupy no area
            overlap_rows.append({
                "site_id": row.project_id, "site_name": name_of[row.project_id], "layer": label,
                "feature_id": row.zone_id, "feature_name": feature_name.get(row.zone_id),
                "area_m2": round_half_up(float(row.area_inside_m2), 2) if areal else None,
                "area_mu": round_half_up(float(from_square_metres(float(row.area_inside_m2), "mu")), 2)
                if areal else None,
                "share": round_half_up(float(row.share_inside), 4),
            })
    overlaps = pd.DataFrame(overlap_rows, columns=["site_id", "site_name", "layer", "feature_id", "feature_name",
                                                   "area_m2", "area_mu", "share"])
    frame = sites.assign(id=sites[id_field].astype(str), name=[name_of[str(i)] for i in sites[id_field]])
    per_site = rules_for_sites(frame, index, load_rules())
    by_site = {sid: group for sid, group in overlaps.groupby("site_id", sort=False)}
    empty = overlaps.iloc[:0]
    rule_rows, entries = [], []
    for sid, geometry, results in zip(frame["id"], frame.geometry, per_site, strict=True):
        for r in results:
            rule_rows.append({"site_id": sid, "site_name": name_of[sid], "rule": r.id, "verdict": r.verdict,
                              "source": r.source, "detail": r.detail})
        mine = by_site.get(sid, empty)
        entries.append({
            "site_id": sid, "name": name_of[sid], "geometry_type": geometry.geom_type,
            "overlaps": mine.drop(columns=["site_id", "site_name"]).to_dict(orient="records"),
            "rules": [r.as_dict() for r in results],
            "in_no_feature": bool(mine.empty),
        })
    rules_df = pd.DataFrame(rule_rows, columns=["site_id", "site_name", "rule", "verdict", "source", "detail"])
    rows = pd.concat([overlaps.assign(section="overlap"), rules_df.assign(section="rule")], ignore_index=True)
    rows = rows[["section", *[c for c in rows.columns if c != "section"]]]
    rows = rows.replace({np.nan: None})
    return {"overlaps": overlaps, "rules": rules_df, "rows": rows, "sites": entries}


def site_report_markdown(report: dict[str, object], *, title: str) -> str:
    """Render a site report as Markdown: one section per site, tables and verdicts."""
    lines = [f"# {title}", "",
             "> 边界为示意（schematic）：图层据规划文本与公开资料数字化，非测绘成果；面积为 CGCS2000 椭球面积。", ""]
    for entry in report["sites"]:
        lines.append(f"## {_md(entry['name'])}（{_md(entry['site_id'])}）")
        lines.append("")
        if entry["in_no_feature"]:
            lines.append("不在任何功能分区、产业平台或围垦区内。")
        else:
            lines.append("| 图层 | 要素 | 占用面积（平方米） | 占用面积（亩） | 占比 |")
            lines.append("|---|---|---:|---:|---:|")
            for o in entry["overlaps"]:
                m2 = "—（点位）" if o["area_m2"] is None else f"{o['area_m2']:,.2f}"
                mu = "—" if o["area_mu"] is None else f"{o['area_mu']:,.2f}"
                lines.append(f"| {_md(o['layer'])} | {_md(o['feature_name'])}（{_md(o['feature_id'])}） | "
                             f"{m2} | {mu} | {o['share']:.2%} |")
        lines.append("")
        if entry["rules"]:
            lines.append("规划规则：")
            lines.append("")
            for r in entry["rules"]:
                lines.append(f"- **{r['verdict']}** {_md(r['text'])}（{_md(r['source'])}）：{_md(r['detail'])}")
        else:
            lines.append("规划规则：无适用规则。")
        lines.append("")
    lines.append(
        "数据来源：规划文本见 `shared/seeds/`；行政区划 cnmaps（BSD-3/MIT）；海岸线 © OpenStreetMap contributors。"
    )
    return "\n".join(lines) + "\n"

"""Web maps of the layout schemes: the folium renderer of a map definition, offline, every value escaped.

A map definition (:class:`gis.mapdef.MapDefinition`, parsed from
``maps/NAME.toml``) names the title, the layers and their features, each
class's colour and legend text, and the initial view. :func:`render_map` draws
it with folium:

* **Offline**: folium's CDN links are dropped; Leaflet's script and stylesheet
  are inlined from the installed ``django-js-lib-leaflet`` package. With
  ``basemap="none"`` the page makes no network request.
* **Safe**: popups and tooltips are bound with JSON-encoded strings built from
  ``html.escape``-d values (:class:`SafePopup`, :class:`SafeTooltip`), never
  folium's template-literal Popup/Tooltip; legend, labels and titles are
  escaped too.
* **What planners expect**: a Chinese legend in the definition's order, a layer
  control, popups with name, land use (code and name), status, period,
  documented and measured area in 亩 and km², and the plan and clause the
  feature comes from (《title》（文号）clause, :func:`gis.plans.describe`); tooltips
  with the name; a metric scale bar; a measuring tool in Chinese that measures
  areas in 亩 and 公顷; a visible 示意 note; the data attribution with the plan cited.
* **Labels that never collide**: where each label goes, and from which zoom it
  shows, is decided at build time for every zoom (:mod:`gis.labels`: greedy by
  priority — the definition's layer order, then larger features — keeping
  clear of the project circles); the page applies it when the zoom changes.
* **Land without a frame**: the land is the coast layer and, beyond its frame,
  the districts (:func:`gis.mapdef.background_land`); the coastline is drawn
  without the frame's edges.
* **Outlines above**: a layer with ``outline_above`` (鹿城's 主平台 "1", the union
  of the parks drawn over it) has its outline drawn in a pane above every fill.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import re
import sys
import warnings
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from branca.element import Element, MacroElement
from jinja2 import Template

import folium
import geopandas as gpd
import shapely

from gis.crs import LAYER_CRS
from gis.errors import GisWarning, InputError
from gis.geometry import polygon_area
from gis.labels import LINE_HEIGHT, ZOOMS, Label, first_zoom, text_box, zoom_placements
from gis.landuse import LAND_USE_2023
from gis.layers import read_layer
from gis.mapdef import (
    ATTRIBUTION,
    BACKGROUND,
    LABEL_PX,
    SCHEMATIC_NOTE,
    MapDefinition,
    MapLayer,
    background_land,
    list_maps,
    load_definition,
)
from gis.options import BASEMAPS
from gis.report import cited, fixed
from gis.safe import html_text as escape
from gis.units import from_square_metres

__all__ = ["ATTRIBUTION", "BASEMAPS", "SCHEMATIC_NOTE", "list_maps", "load_definition", "render_file", "render_map"]

#: Tiles of the basemaps (:data:`gis.options.BASEMAPS`; all optional, the default is none).
_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
    "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)


class MapWarning(GisWarning):
    """Something a map lacks (e.g. the measuring tool is not installed)."""


class OneStyle(MacroElement):
    """One style for a whole GeoJSON layer, set once in the browser (no per-feature style objects)."""

    _template = Template(
        "{% macro script(this, kwargs) %}{{ this._parent.get_name() }}.setStyle({{ this.style_json }});{% endmacro %}"
    )

    def __init__(self, style: dict) -> None:
        super().__init__()
        self._name = "OneStyle"
        self.style_json = json.dumps(style)


class DrawnCount(MacroElement):
    """Publish the number of features drawn (``window.gisDrawn``): tests and benchmarks wait on it."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "window.gisDrawn = (window.gisDrawn || 0) + {{ this._parent.get_name() }}.getLayers().length;"
        "{% endmacro %}"
    )


class SafePopup(MacroElement):
    """A popup bound with a JSON string literal: its HTML is built from escaped values only."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        # panned clear of the zoom and measuring controls (top left) and the title (top centre)
        "{{ this._parent.get_name() }}.bindPopup({{ this.html_json }},"
        " {maxWidth: 420, autoPanPaddingTopLeft: [60, 80]});"
        "{% endmacro %}"
    )

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "SafePopup"
        self.html_json = json.dumps(html_text, ensure_ascii=False).replace("</", "<\\/")


class SafeTooltip(MacroElement):
    """A tooltip bound with a JSON string literal holding escaped text."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.bindTooltip({{ this.text_json }}, {sticky: true});"
        "{% endmacro %}"
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "SafeTooltip"
        self.text_json = json.dumps(escape(text), ensure_ascii=False).replace("</", "<\\/")


def _leaflet_assets() -> tuple[str, str]:
    folder = resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"
    return (folder / "leaflet.js").read_text(encoding="utf-8"), (folder / "leaflet.css").read_text(encoding="utf-8")


#: The measuring tool: npm package and version the set-up installs (see README).
MEASURE_PACKAGE = "leaflet-measure@2.1.7"


def measure_folder() -> Path | None:
    """Return the installed ``leaflet-measure`` dist folder, or ``None``.

    Looked for under ``$GIS_JS_PREFIX``, ``<sys.prefix>/share/gis`` (where the
    README's set-up installs it with npm) and ``./node_modules``.
    """
    prefixes = [os.environ.get("GIS_JS_PREFIX"), str(Path(sys.prefix) / "share" / "gis"), "."]
    for prefix in filter(None, prefixes):
        dist = Path(prefix) / "node_modules" / "leaflet-measure" / "dist"
        if (dist / "leaflet-measure.js").is_file():
            return dist
    return None


def _measure_assets() -> tuple[str, str] | None:
    dist = measure_folder()
    if dist is None:
        return None
    js = (dist / "leaflet-measure.js").read_text(encoding="utf-8")
    css = (dist / "leaflet-measure.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        data = base64.b64encode((dist / match.group(1)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return js, re.sub(r"url\(([^)]+\.png)\)", inline, css)


class MeasureControl(MacroElement):
    """leaflet-measure's control in Chinese (its ``cn`` strings), measuring lengths in m/km and areas in 亩 and 公顷."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.measure({position: 'topleft', localization: 'cn', primaryLengthUnit: 'meters',"
        " secondaryLengthUnit: 'kilometers', primaryAreaUnit: 'mu', secondaryAreaUnit: 'hectares',"
        " activeColor: '#d7301f', completedColor: '#08519c', decPoint: '.', thousandsSep: ',',"
        " units: {mu: {factor: 0.0015, display: '亩', decimals: 2},"
        " hectares: {factor: 0.0001, display: '公顷', decimals: 4}}}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )


class MetricScale(MacroElement):
    """A scale bar in metres and kilometres only."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({metric: true, imperial: false, maxWidth: 160}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )


class Panes(MacroElement):
    """The map's own panes: outlines drawn above every fill, and labels above the markers."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function(m){var o=m.createPane('gis-outline');o.style.zIndex=450;o.style.pointerEvents='none';"
        "var l=m.createPane('gis-labels');l.style.zIndex=640;l.style.pointerEvents='none';})"
        "({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )


class LabelLayer(MacroElement):
    """Every label of a map, placed per zoom at build time (:func:`gis.labels.zoom_placements`).

    The texts travel as JSON and are set with ``textContent``, never as HTML. On
    every zoom the page shows each label at its offset for that zoom, or hides
    it; ``window.gisLabelsZoom`` says which zoom the labels were last placed for.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function(map){"
        "var groups=[{{ this.groups }}];var data={{ this.data_json }};var lo={{ this.lowest }},hi={{ this.highest }};"
        "var items=data.map(function(d){"
        "var icon=L.divIcon({className:'gis-label',html:'',iconSize:[d.w,d.h],iconAnchor:[d.w/2,d.h/2]});"
        "var m=L.marker(d.ll,{icon:icon,interactive:false,keyboard:false,pane:'gis-labels'});"
        "m.on('add',function(){var e=m.getElement();e.textContent='';var s=document.createElement('span');"
        "s.className='gis-label-text';s.textContent=d.t;s.style.color=d.c;e.appendChild(s);"
        "e.setAttribute('data-minzoom',d.min===null?'':d.min);show(m,d);});"
        "m.addTo(groups[d.g]);return [m,d];});"
        "function show(m,d){var e=m.getElement();if(!e){return;}var z=Math.round(map.getZoom());"
        "var p=z<lo?null:d.z[String(Math.min(z,hi))];"
        "if(!p){e.style.display='none';e.classList.remove('gis-label-shown');return;}"
        "e.style.display='';e.classList.add('gis-label-shown');"
        "e.style.marginLeft=(p[0]-d.w/2)+'px';e.style.marginTop=(p[1]-d.h/2)+'px';}"
        "function apply(){items.forEach(function(x){show(x[0],x[1]);});window.gisLabelsZoom=map.getZoom();}"
        "map.on('zoomend',apply);map.whenReady(apply);"
        "})({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self, groups: list[str], data: list[dict], lowest: int, highest: int) -> None:
        super().__init__()
        self._name = "LabelLayer"
        self.groups = ",".join(groups)
        self.data_json = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
        self.lowest, self.highest = lowest, highest


def _inline_assets(fmap: folium.Map) -> None:
    """Inline Leaflet (and the measuring tool, when installed) into the page; no CDN is referenced."""
    js, css = _leaflet_assets()
    root = fmap.get_root()
    root.header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css_inline", index=0)
    root.header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js_inline", index=1)
    root.header.add_child(Element(f"<style>{CSS}</style>"), name="gis_css")
    measure = _measure_assets()
    if measure is None:
        warnings.warn(f"the measuring tool ({MEASURE_PACKAGE}, npm) is not installed: maps have none",
                      MapWarning, stacklevel=3)
        return
    mjs, mcss = measure
    root.header.add_child(Element(f"<style>{mcss}</style>"), name="measure_css_inline")
    root.header.add_child(Element(f"<script>{mjs}</script>"), name="measure_js_inline")
    fmap.add_child(MeasureControl())


def popup_html(row: pd.Series, area_m2: float | None) -> str:
    """Return the popup of one feature: a small table, every value escaped."""
    code = row.get("land_use")
    rows = [("名称", row.get("name"))]
    if isinstance(code, str) and code:
        rows.append(("用地用海", f"{code} {LAND_USE_2023.get(code, '')}".strip()))
    for label, field in (("状态", "status"), ("期限", "period"), ("功能", "role")):
        if field in row and isinstance(row.get(field), str) and row.get(field):
            rows.append((label, row.get(field)))
    value = row.get("documented_area")
    if value is not None and not pd.isna(value):
        rows.append(("文件面积", f"{float(value):g} {row.get('documented_area_unit')}"))
    if area_m2 is not None:
        mu, km2 = from_square_metres(area_m2, "mu"), from_square_metres(area_m2, "km2")
        rows.append(("量算面积", f"{fixed(mu, 2)} 亩（{fixed(km2, 4)} km²），CGCS2000 椭球面积"))
    invest = row.get("investment_total_wan")
    if "investment_total_wan" in row:
        shown = "待定（未知）" if invest is None or pd.isna(invest) else f"{fixed(float(invest), 0)} 万元"
        rows.append(("总投资", shown))
    rows.append(("出处", cited(row.get("source"))))
    quality = row.get("geometry_quality")
    rows.append(("几何", "示意（schematic）" if quality == "schematic" else quality))
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f'<table class="gis-popup">{cells}</table>'


def _arrow_marker(line, colour: str) -> folium.Marker:
    coords = np.asarray(line.coords)
    (x0, y0), (x1, y1) = coords[-2], coords[-1]
    angle = math.degrees(math.atan2(-(y1 - y0), (x1 - x0) * math.cos(math.radians(y1))))
    icon = folium.DivIcon(
        html=f'<div class="gis-arrow" style="color:{escape(colour)};transform:rotate({angle:.1f}deg)">&#10148;</div>',
        icon_size=(18, 18), icon_anchor=(9, 9),
    )
    return folium.Marker([y1, x1], icon=icon, interactive=False)


def _legend_html(title: str, entries: list[tuple[str, str, str]]) -> str:
    items = "".join(
        f'<div class="gis-legend-item"><span class="gis-swatch gis-{escape(kind)}" '
        f'style="background:{escape(colour)};border-color:{escape(colour)}"></span>{escape(label)}</div>'
        for kind, colour, label in entries
    )
    return f'<div class="gis-legend"><div class="gis-legend-title">{escape(title)}</div>{items}</div>'


CSS = """
.gis-title{position:absolute;top:8px;left:50%;transform:translateX(-50%);z-index:1000;background:#fff;
 padding:4px 12px;font:bold 16px sans-serif;border:1px solid #999;border-radius:4px}
.gis-note{position:absolute;top:44px;left:50%;transform:translateX(-50%);z-index:1000;background:#fff8e1;
 padding:2px 10px;font:12px sans-serif;color:#8a4b00;border:1px solid #e0b060;border-radius:4px}
.gis-legend{position:absolute;bottom:56px;left:10px;z-index:1000;background:#fff;padding:6px 10px;
 font:12px sans-serif;border:1px solid #999;border-radius:4px;max-width:320px}
.gis-legend-title{font-weight:bold;margin-bottom:4px}
.gis-legend-item{margin:2px 0}
.gis-swatch{display:inline-block;width:14px;height:10px;margin-right:6px;vertical-align:middle;opacity:.75}
.gis-swatch.gis-line{height:3px}
.gis-swatch.gis-point{width:10px;border-radius:5px}
.gis-attribution{position:absolute;bottom:20px;right:4px;z-index:1000;background:rgba(255,255,255,.85);
 font:10px sans-serif;padding:1px 4px;max-width:min(640px,60%);text-align:right}
.gis-label{display:flex;align-items:center;justify-content:center;white-space:nowrap;pointer-events:none}
.gis-label-text{display:inline-block;font-weight:bold;font-size:LABELpx;line-height:LINEpx;
 font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;
 text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff,0 0 4px #fff}
.gis-arrow{font-size:16px;line-height:18px;text-align:center}
.gis-popup th{text-align:left;padding-right:8px;white-space:nowrap;vertical-align:top}
"""
CSS = CSS.replace("LABELpx", f"{LABEL_PX}px").replace("LINEpx", f"{LABEL_PX * LINE_HEIGHT:g}px")


def render_map(definition: MapDefinition | str, *, basemap: str = "none", tianditu_key: str | None = None) -> str:
    """Render a map definition to a self-contained HTML page.

    Parameters
    ----------
    definition : MapDefinition or str
        A definition (:func:`gis.mapdef.load_definition`), or the name, title or
        file path of one.
    basemap : {"none", "osm", "tianditu", "tianditu-img"}
        Tiles under the layers; ``"none"`` (default) makes the page fully offline.
    tianditu_key : str, optional
        The Tianditu key (``tk``); required for the Tianditu basemaps.

    Returns
    -------
    str
        The HTML page.
    """
    if not isinstance(definition, MapDefinition):
        definition = load_definition(definition)
    fmap = _new_map(list(definition.view.center), definition.view.zoom, basemap, tianditu_key)
    fmap.add_child(Panes())
    _add_background(fmap)
    legend: list[tuple[str, str, str]] = []
    labels: list[Label] = []
    obstacles: list[tuple[float, float, float]] = []
    groups: list[str] = []
    for index, (layer, gdf) in enumerate(definition.frames):
        group, entries = _add_layer(fmap, layer, gdf, index, labels, obstacles)
        legend.extend(entries)
        groups.append(group.get_name())
    _add_labels(fmap, labels, obstacles, groups)
    attribution = f"{ATTRIBUTION}；规划出处：{definition.citation or definition.source}"
    return _finish(fmap, definition.title, SCHEMATIC_NOTE, legend, attribution)


def map_labels(definition: MapDefinition) -> tuple[list[Label], list[tuple[float, float, float]]]:
    """Return the labels of a map definition and the circles (longitude, latitude, radius px) they keep clear of."""
    labels: list[Label] = []
    obstacles: list[tuple[float, float, float]] = []
    for index, (layer, gdf) in enumerate(definition.frames):
        labels.extend(_layer_labels(layer, gdf, index))
        obstacles.extend(_layer_obstacles(layer, gdf))
    return labels, obstacles


def _layer_labels(layer: MapLayer, gdf: gpd.GeoDataFrame, index: int) -> list[Label]:
    if not layer.label or layer.kind == "point" or not len(gdf):
        return []
    values = layer.values(gdf)
    geoms = np.asarray(gdf.geometry.values, dtype=object)  # relative sizes: degrees will do
    sizes = pd.Series(shapely.length(geoms) if layer.kind == "line" else shapely.area(geoms), index=gdf.index)
    out = []
    for position, (idx, row) in enumerate(gdf.iterrows()):
        text = str(row.get("name"))
        anchors = [(p.x, p.y) for p in layer.label_anchors(row.geometry)]
        cls = layer.class_of(values[idx])
        colour = cls.text_colour if cls else "#444444"
        out.append(Label(key=f"{index}-{position}", text=text, anchors=anchors, priority=(index, -float(sizes[idx])),
                         size=text_box(text, LABEL_PX), colour=colour, data={"group": index}))
    return out


def _layer_obstacles(layer: MapLayer, gdf: gpd.GeoDataFrame) -> list[tuple[float, float, float]]:
    out = []
    if layer.kind == "point":
        sizes = _point_sizes(layer, gdf)
        for idx, geom in zip(gdf.index, gdf.geometry, strict=True):
            radius = float(sizes[idx]) if sizes is not None else 6.0
            out.append((geom.x, geom.y, radius + 1))
    elif layer.kind == "line" and layer.arrow:
        for geom in gdf.geometry:
            x, y = np.asarray(geom.coords)[-1]
            out.append((float(x), float(y), 9.0))
    return out


def _add_labels(fmap: folium.Map, labels: list[Label], obstacles: list[tuple[float, float, float]],
                groups: list[str]) -> None:
    table = zoom_placements(labels, obstacles)
    zooms = list(ZOOMS)
    data = []
    for label in labels:
        per_zoom = table[label.key]
        lon, lat = label.anchors[0]
        data.append({
            "g": label.data["group"], "t": label.text, "c": label.colour, "ll": [round(lat, 6), round(lon, 6)],
            "w": round(label.size[0]), "h": round(label.size[1]), "min": first_zoom(per_zoom),
            "z": {str(z): (list(v) if v is not None else 0) for z, v in per_zoom.items()},
        })
    fmap.add_child(LabelLayer(groups, data, zooms[0], zooms[-1]))


def _new_map(location, zoom: int, basemap: str, tianditu_key: str | None, **options) -> folium.Map:
    """Return a folium map with no CDN links, a sea-blue background and the optional basemap tiles."""
    if basemap not in BASEMAPS:
        raise InputError(f"unknown basemap {basemap!r}; use one of {', '.join(BASEMAPS)}")
    if basemap.startswith("tianditu") and not tianditu_key:
        raise InputError("the Tianditu basemap needs a key: pass `tianditu_key` or set TIANDITU_KEY")
    fmap = folium.Map(location=location, zoom_start=zoom, tiles=None, control_scale=False, **options)
    fmap.add_child(MetricScale())
    fmap.get_root().html.add_child(Element(f"<style>.folium-map{{background:{BACKGROUND.sea}}}</style>"))
    fmap.default_js = []
    fmap.default_css = []
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(fmap)
    elif basemap.startswith("tianditu"):
        vec, cva = ("img", "cia") if basemap == "tianditu-img" else ("vec", "cva")
        for layer in (vec, cva):
            folium.TileLayer(
                tiles=_TIANDITU.format(s="{s}", layer=layer, key=html.escape(tianditu_key or "")),
                attr="天地图 (国家地理信息公共服务平台)", name=f"天地图 {layer}", subdomains="01234567",
                overlay=layer == cva,
            ).add_to(fmap)
    return fmap


def _finish(fmap: folium.Map, title: object, note: str, legend: list[tuple[str, str, str]],
            attribution: str | None) -> str:
    """Add the layer control, the inlined assets, title, 示意 note, legend and attribution; render the page."""
    folium.LayerControl(collapsed=False).add_to(fmap)
    _inline_assets(fmap)
    root = fmap.get_root()
    furniture = (f'<div class="gis-title">{escape(title)}</div><div class="gis-note">{escape(note)}</div>'
                 + _legend_html("图例", legend))
    if attribution:
        furniture += f'<div class="gis-attribution">{escape(attribution)}</div>'
    root.html.add_child(Element(furniture))
    return root.render()


def _add_background(fmap: folium.Map) -> None:
    """Land and islands (the coast layer, and the districts beyond its frame), coastline and district lines."""
    group = folium.FeatureGroup(name="底图：陆地与区界", show=True, control=True)
    land, coastline = background_land()
    bg = BACKGROUND
    land_style = {"stroke": False, "fillColor": bg.land_fill, "fillOpacity": 1}
    coast_style = {"color": bg.land_outline, "weight": bg.land_weight, "fill": False}
    districts = bg.district_style
    for data, style in ((land, land_style), (coastline, coast_style)):
        folium.GeoJson(gpd.GeoDataFrame(geometry=data).to_json(drop_id=True), interactive=False,
                       style_function=lambda _f, s=style: s).add_to(group)
    folium.GeoJson(read_layer("districts")[["geometry"]].to_json(drop_id=True), interactive=False,
                   style_function=lambda _f: districts).add_to(group)
    group.add_to(fmap)


def _point_sizes(layer: MapLayer, gdf: gpd.GeoDataFrame) -> pd.Series | None:
    if layer.size_field not in gdf.columns:
        return None
    values = pd.to_numeric(gdf[layer.size_field], errors="coerce")
    return 4 + 18 * np.sqrt(values.fillna(0) / max(float(values.max() or 1), 1.0))


def _add_layer(fmap: folium.Map, layer: MapLayer, gdf: gpd.GeoDataFrame, index: int, labels: list[Label],
               obstacles: list[tuple[float, float, float]]) -> tuple[folium.FeatureGroup, list[tuple[str, str, str]]]:
    group = folium.FeatureGroup(name=escape(layer.name), show=True)
    polygonal = gdf.geom_type.isin(["Polygon", "MultiPolygon"])
    areas = pd.Series(np.nan, index=gdf.index)
    if polygonal.any() and layer.kind != "band":
        areas[polygonal] = polygon_area(gdf[polygonal])
    sizes = _point_sizes(layer, gdf) if layer.kind == "point" else None
    values = layer.values(gdf)
    for idx, row in gdf.iterrows():
        style = layer.style(values[idx])
        geom = row.geometry
        area = None if pd.isna(areas[idx]) else float(areas[idx])
        if layer.kind == "point":
            radius = float(sizes[idx]) if sizes is not None else 6.0
            marker = folium.CircleMarker([geom.y, geom.x], radius=radius, color="#ffffff", weight=1,
                                         fill=True, fill_color=style["color"], fill_opacity=0.75)
            marker.add_child(SafePopup(popup_html(row, None)))
            marker.add_child(SafeTooltip(row.get("name")))
            marker.add_to(group)
            continue
        shape = folium.GeoJson(
            shapely.geometry.mapping(geom), style_function=lambda _f, s=style: s, highlight_function=None,
        )
        shape.add_child(SafePopup(popup_html(row, area)))
        shape.add_child(SafeTooltip(row.get("name")))
        shape.add_to(group)
        if layer.outline_above:
            outline = {**style, "fill": False, "weight": layer.weight, "opacity": 1}
            folium.GeoJson(shapely.geometry.mapping(geom), style_function=lambda _f, s=outline: s, interactive=False,
                           pane="gis-outline").add_to(group)
        if layer.kind == "line" and layer.arrow:
            _arrow_marker(geom, style["color"]).add_to(group)
    group.add_to(fmap)
    labels.extend(_layer_labels(layer, gdf, index))
    obstacles.extend(_layer_obstacles(layer, gdf))
    return group, [(layer.legend_kind, c.colour, c.label) for c in layer.present_classes(gdf)]


#: Features above which a quick-look map simplifies geometry for display.
SIMPLIFY_ABOVE = 5_000
#: Vertices a quick-look map draws at most; beyond, geometry is simplified further (one huge feature too).
DISPLAY_VERTICES = 400_000
#: Properties a quick-look popup shows at most.
POPUP_FIELDS = 12
#: Features a static quick-look page draws at most (one Leaflet element each: 10⁵ opens in ~5 s);
#: beyond, the workbench serves the layer as vector tiles (``gis serve --layer NAME=FILE``).
QUICK_LOOK_MAX = 100_000
_METRES_PER_DEGREE = 111_000


def _displayable(gdf: gpd.GeoDataFrame, title: str) -> gpd.GeoDataFrame:
    """Refuse what a map cannot draw truly (NaN or infinite coordinates, ±180° crossings); flatten collections."""
    from gis.area import crosses_antimeridian
    from gis.geometry import LINE_TYPES, POINT_TYPES, POLYGON_TYPES, parts_of

    geoms = np.asarray(gdf.geometry.values, dtype=object)
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    bad = ~np.isfinite(coords).all(axis=1)
    ids = gdf["id"].astype(str).to_numpy() if "id" in gdf.columns else np.array([f"#{i + 1}" for i in range(len(gdf))])
    if bad.any():
        raise InputError(f"{title}: feature {ids[owner[bad][0]]!r} has a coordinate that is not a number "
                         "(NaN or infinite); a map would draw nothing there")
    wraps = crosses_antimeridian(geoms)
    if wraps.any():
        raise InputError(f"{title}: feature {ids[np.flatnonzero(wraps)[0]]!r} crosses the antimeridian (±180°)")
    collections = shapely.get_type_id(geoms) == shapely.GeometryType.GEOMETRYCOLLECTION
    if collections.any():
        flat = geoms.copy()
        for kinds in (POLYGON_TYPES, LINE_TYPES, POINT_TYPES):
            todo = collections & np.array([g is None or shapely.get_type_id(g) == 7 for g in flat])
            if todo.any():
                flat[todo] = parts_of(geoms[todo], kinds)
        gdf = gdf.assign(geometry=flat)
        gdf = gdf[~(shapely.is_missing(flat) | shapely.is_empty(flat))]
    return gdf


def _simplified(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, float | None]:
    """Simplify for display above :data:`SIMPLIFY_ABOVE` features or :data:`DISPLAY_VERTICES` vertices."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    vertices = int(shapely.get_num_coordinates(geoms).sum())
    if len(gdf) <= SIMPLIFY_ABOVE and vertices <= DISPLAY_VERTICES:
        return gdf, None
    tolerance = 1e-5
    while True:
        simple = shapely.simplify(geoms, tolerance, preserve_topology=True)
        if int(shapely.get_num_coordinates(simple).sum()) <= DISPLAY_VERTICES or tolerance >= 1e-2:
            return gdf.assign(geometry=simple), tolerance
        tolerance *= 4


def render_file(gdf: gpd.GeoDataFrame, *, title: str, basemap: str = "none", tianditu_key: str | None = None) -> str:
    """Render a quick-look map of any vector layer, offline and escaped like the plan maps.

    All string properties and field names are HTML-escaped before they reach the
    page (folium's GeoJSON popups insert them as HTML), and fields are passed
    under neutral names, so a field called ``style`` or ``highlight`` is shown
    like any other; coordinates are rounded to 6 decimals. Above
    :data:`SIMPLIFY_ABOVE` features or :data:`DISPLAY_VERTICES` vertices the
    geometry is simplified for display (topology-preserving, from ~1 m) and the
    map says so. A coordinate that is not a number, or a feature across ±180°,
    is refused; a geometry collection is drawn by its polygons (or lines, or points). A layer of
    more than :data:`QUICK_LOOK_MAX` features is refused (the workbench draws it from vector tiles).
    """
    if gdf.crs is None:
        raise InputError(f"{title} has no CRS")
    if len(gdf) > QUICK_LOOK_MAX:
        raise InputError(f"{title} has {len(gdf):,} features; a quick-look page draws at most {QUICK_LOOK_MAX:,} "
                         f"(one element each): show it as vector tiles with gis serve --layer NAME=FILE")
    gdf = gdf.to_crs(LAYER_CRS)
    present = ~(shapely.is_missing(np.asarray(gdf.geometry.values, dtype=object))
                | shapely.is_empty(np.asarray(gdf.geometry.values, dtype=object)))
    if not present.any():
        raise InputError(f"{title}: no feature has a geometry; there is nothing to map")
    gdf = _displayable(gdf[present], title)
    note = SCHEMATIC_NOTE
    gdf, tolerance = _simplified(gdf)
    large = tolerance is not None
    if large:
        metres = tolerance * _METRES_PER_DEGREE
        note = f"{len(gdf)} 个要素：为显示已简化（约{metres:,.0f}米），面积请用 gis area 计算。"
    fields = [c for c in gdf.columns if c != gdf.geometry.name][:POPUP_FIELDS]
    internal = [f"f{i}" for i in range(len(fields))]
    data = gpd.GeoDataFrame({key: [escape(v) for v in gdf[col]] for key, col in zip(internal, fields, strict=True)},
                            geometry=gdf.geometry.values, crs=LAYER_CRS)
    data["geometry"] = shapely.transform(np.asarray(data.geometry.values, dtype=object), lambda c: np.round(c, 6))
    minx, miny, maxx, maxy = data.total_bounds
    fmap = _new_map([(miny + maxy) / 2, (minx + maxx) / 2], 11, basemap, tianditu_key, prefer_canvas=large)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    aliases = [escape(f) for f in fields]
    name_at = fields.index("name") if "name" in fields else (0 if fields else None)
    geojson = folium.GeoJson(
        data.to_json(drop_id=True), name=escape(title),
        marker=folium.CircleMarker(radius=5, fill=True, color="#d7301f", fill_opacity=0.7),
        tooltip=folium.GeoJsonTooltip(fields=[internal[name_at]], aliases=[aliases[name_at]])
        if name_at is not None else None,
        popup=folium.GeoJsonPopup(fields=internal, aliases=aliases) if fields else None,
    )
    geojson.add_child(OneStyle({"color": "#d7301f", "weight": 1.5, "fillColor": "#fc8d59", "fillOpacity": 0.35}))
    geojson.add_child(DrawnCount())
    geojson.add_to(fmap)
    return _finish(fmap, title, note, [("fill", "#fc8d59", title)], None)

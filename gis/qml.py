"""QGIS styles (QML) and a QGIS project of the layers: the third renderer of the map definitions.

:func:`layer_qml` gives every layer of a set its style, for
:func:`gis.export.write_geopackage` (QGIS reads them from ``layer_styles``) and
for the ``.qml`` beside a Shapefile (QGIS loads it with the ``.shp``):

* a plan layer gets a **rule-based renderer** built from every map definition
  (:func:`gis.mapdef.style_rules`): one rule per class of every map that draws
  the layer, with that map's colour, line width, opacity, dash and legend text;
  rules are made exclusive (a feature takes the first rule it matches, the map
  of its own scheme before a map of all schemes), and an ``ELSE`` rule draws
  whatever no map draws, so every feature gets a symbol. Labels are rule-based
  too, in the class's label colour on a white halo, along the line for lines;
* a context layer (``coast``, ``districts`` and any other non-plan layer) is
  muted as on the web maps — beige land with a grey coastline (the straight
  edges of the coast layer's frame are not drawn), dashed district lines,
  light grey for any other — and unlabelled.

:func:`project_document` writes a QGIS project (``.qgz``) that
:func:`gis.export.write_geopackage` stores inside the GeoPackage: every layer
in drawing order (points, lines, the outlines drawn above, the plan's areas,
then the context, with the districts' land beyond the coast layer's frame at
the bottom, so the land has no straight edge), grouped, with sea-blue canvas, CGCS2000 Gauss–Krüger
(EPSG:4549) map CRS, the CGCS2000 ellipsoid for measuring, and areas in hectares.
"""

from __future__ import annotations

import contextvars
import io
import json
import uuid
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd

import geopandas as gpd

from gis.mapdef import (
    BACKGROUND,
    LAYER_TITLES,
    MapDefinition,
    MapLayer,
    StyleRule,
    is_context_layer,
    load_definitions,
    style_rules,
)

#: The QGIS version the styles are written for (Debian bookworm's).
QGIS_VERSION = "3.22.16-Białowieża"
#: Colour of features no map definition draws.
OTHER_LABEL = "其他（未入任何图的要素）"
#: The map CRS of the project: CGCS2000 3° Gauss–Krüger, central meridian 120°E (Wenzhou).
PROJECT_CRS = "EPSG:4549"
#: Name of the project stored in the GeoPackage.
PROJECT_NAME = "温州产业平台规划（示意）"
#: Label font (QGIS falls back to another CJK font when it is not installed).
LABEL_FONT = "Noto Sans CJK SC"


def geometry_kind(gdf: gpd.GeoDataFrame) -> str:
    """Return ``point``, ``line`` or ``fill``: how QGIS symbolises the layer's geometries.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> geometry_kind(gpd.GeoDataFrame(geometry=[Point(0, 0)]))
    'point'
    """
    types = set(gdf.geom_type.dropna())
    if types and types <= {"Point", "MultiPoint"}:
        return "point"
    if types and types <= {"LineString", "MultiLineString"}:
        return "line"
    return "fill"


def _rgba(colour: str, alpha: float = 1.0) -> str:
    rgb = ",".join(str(int(colour.lstrip("#")[i : i + 2], 16)) for i in (0, 2, 4))
    return f"{rgb},{round(max(0.0, min(1.0, alpha)) * 255)}"


def _options(parent: ET.Element, values: Mapping[str, object]) -> ET.Element:
    box = ET.SubElement(parent, "Option", type="Map")
    for name, value in values.items():
        ET.SubElement(box, "Option", name=name, value=str(value), type="QString")
    return box


def _data_defined(parent: ET.Element, properties: Mapping[str, str], tag: str = "data_defined_properties") -> None:
    dd = ET.SubElement(parent, tag)
    box = ET.SubElement(dd, "Option", type="Map")
    ET.SubElement(box, "Option", name="name", value="", type="QString")
    if properties:
        props = ET.SubElement(box, "Option", name="properties", type="Map")
        for name, expression in properties.items():
            prop = ET.SubElement(props, "Option", name=name, type="Map")
            ET.SubElement(prop, "Option", name="active", value="true", type="bool")
            ET.SubElement(prop, "Option", name="expression", value=expression, type="QString")
            ET.SubElement(prop, "Option", name="type", value="3", type="int")
    else:
        ET.SubElement(box, "Option", name="properties")
    ET.SubElement(box, "Option", name="type", value="collection", type="QString")


def _symbol(parent: ET.Element, kind: str, name: str) -> ET.Element:
    symbol = ET.SubElement(parent, "symbol", type=kind, name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    _data_defined(symbol, {})
    return symbol


def _layer(symbol: ET.Element, cls: str, options: Mapping[str, object],
           properties: Mapping[str, str] | None = None) -> ET.Element:
    layer = ET.SubElement(symbol, "layer", {"class": cls, "enabled": "1", "pass": "0", "locked": "0"})
    _options(layer, options)
    _data_defined(layer, properties or {})
    return layer


def _line_options(colour: str, width: float, *, alpha: float = 0.9, dash: str | None = None,
                  unit: str = "Pixel", cap: str = "round") -> dict[str, object]:
    return {
        "line_color": _rgba(colour, alpha), "line_width": f"{width:g}", "line_width_unit": unit,
        "line_style": "solid", "capstyle": cap, "joinstyle": "round",
        "use_custom_dash": "1" if dash else "0", "customdash": (dash or "5 2").replace(" ", ";"),
        "customdash_unit": "Pixel",
    }


def _fill_symbol(parent: ET.Element, name: str, colour: str, *, fill_alpha: float, outline: str | None,
                 width: float, dash: str | None = None) -> None:
    symbol = _symbol(parent, "fill", name)
    _layer(symbol, "SimpleFill", {"color": _rgba(colour, fill_alpha), "style": "solid" if fill_alpha > 0 else "no",
                                  "outline_style": "no", "outline_color": _rgba(colour), "outline_width": "0"})
    if outline is not None:
        _layer(symbol, "SimpleLine", _line_options(outline, width, dash=dash))


def _point_symbol(parent: ET.Element, name: str, colour: str, size_expression: str | None) -> None:
    symbol = _symbol(parent, "marker", name)
    _layer(symbol, "SimpleMarker", {
        "name": "circle", "color": _rgba(colour, 0.7), "outline_color": "255,255,255,255", "outline_width": "0.5",
        "outline_width_unit": "Pixel", "size": "12", "size_unit": "Pixel", "scale_method": "diameter",
    }, {"size": size_expression} if size_expression else None)


def _line_symbol(parent: ET.Element, name: str, colour: str, width: float, *, dash: str | None = None,
                 arrow: bool = False) -> None:
    symbol = _symbol(parent, "line", name)
    _layer(symbol, "SimpleLine", _line_options(colour, width, dash=dash))
    if arrow:
        marker_line = _layer(symbol, "MarkerLine", {"placement": "lastvertex", "rotate": "1", "interval": "3",
                                                    "offset": "0", "offset_along_line": "0"})
        head = _symbol(marker_line, "marker", "@arrow")
        _layer(head, "SimpleMarker", {"name": "filled_arrowhead", "color": _rgba(colour), "outline_style": "no",
                                      "outline_color": _rgba(colour), "size": f"{4 * width:g}", "size_unit": "Pixel",
                                      "angle": "0", "horizontal_anchor_point": "1", "vertical_anchor_point": "1"})


def _band_symbol(parent: ET.Element, name: str, colour: str, opacity: float, width: float) -> None:
    """Draw a belt by its line: as wide on the ground as its ``band_width_m`` (500 m when empty)."""
    symbol = _symbol(parent, "line", name)
    _layer(symbol, "SimpleLine", {**_line_options(colour, 500, alpha=opacity, unit="RenderMetersInMapUnits",
                                                  cap="flat")},
           {"outlineWidth": f"coalesce({_quote('band_width_m')}, 500)"})
    _layer(symbol, "SimpleLine", _line_options(colour, width / 2, dash="6 4"))


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


#: Field names as the file stores them, where they differ (a Shapefile's 10-byte names).
_RENAMED: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar("renamed", default=None)


def _quote(field_name: str) -> str:
    stored = (_RENAMED.get() or {}).get(field_name, field_name)
    return '"' + stored.replace('"', '""') + '"'


def condition_expression(conditions: Mapping[str, tuple]) -> str:
    """Return a QGIS (and SQLite) expression for field → allowed values.

    Examples
    --------
    >>> print(condition_expression({"scheme": ("1+2+N",), "role": ("1", "2")}))
    "scheme" = '1+2+N' AND "role" IN ('1', '2')
    """
    parts = []
    for key, values in conditions.items():
        if len(values) == 1:
            parts.append(f"{_quote(key)} = {_literal(values[0])}")
        else:
            parts.append(f"{_quote(key)} IN ({', '.join(_literal(v) for v in values)})")
    return " AND ".join(parts) or "TRUE"


def _size_expression(layer: MapLayer, gdf: gpd.GeoDataFrame) -> str | None:
    """Return the web map's circle size (radius 4 + 18·√(value / max) px) as a QGIS diameter expression."""
    if not layer.size_field or layer.size_field not in gdf.columns:
        return None
    values = pd.to_numeric(gdf[layer.size_field], errors="coerce")
    top = max(float(values.max()) if values.notna().any() else 1.0, 1.0)
    return f"2 * (4 + 18 * sqrt(coalesce({_quote(layer.size_field)}, 0) / {top!r}))"


def assigned_rules(rules: list[StyleRule], gdf: gpd.GeoDataFrame) -> tuple[list[StyleRule], pd.Series]:
    """Return the rules some feature of ``gdf`` takes (the first it matches), and each feature's rule index (-1: none).

    Rules no feature takes are left out, so a layer's legend lists what it holds.
    """
    taken = pd.Series(-1, index=gdf.index)
    kept: list[StyleRule] = []
    for rule in rules:
        mask = rule.mask(gdf) & (taken < 0)
        if mask.any():
            taken[mask] = len(kept)
            kept.append(rule)
    return kept, taken


def _symbol_key(rule: StyleRule) -> tuple:
    layer = rule.layer
    return (rule.cls.colour, rule.cls.label, layer.kind, layer.weight, layer.opacity, layer.arrow, layer.label,
            layer.size_field, layer.dash.get(rule.cls.value))


def merge_rules(rules: list[StyleRule]) -> list[list[StyleRule]]:
    """Group rules that draw and label alike (one legend entry), in the order their first rule comes."""
    groups: dict[tuple, list[StyleRule]] = {}
    for rule in rules:
        groups.setdefault(_symbol_key(rule), []).append(rule)
    return list(groups.values())


def _any_of(rules: list[StyleRule]) -> str:
    parts = [condition_expression(r.conditions) for r in rules]
    return parts[0] if len(parts) == 1 else " OR ".join(f"({p})" for p in parts)


def exclusive_filters(groups: list[list[StyleRule]]) -> list[str]:
    """Return each group's filter: any of its rules' conditions, and none of an earlier group's that could overlap."""
    filters = []
    for i, group in enumerate(groups):
        own = _any_of(group)
        earlier = [r for g in groups[:i] for r in g if any(not r.disjoint(mine) for mine in group)]
        filters.append(own if not earlier else f"({own}) AND NOT ({_any_of(earlier)})")
    return filters


def fallback_filter(groups: list[list[StyleRule]]) -> str:
    """Return the filter of the features no rule takes (QGIS's ``ELSE`` would also take unlabelled classes)."""
    rules = [r for g in groups for r in g]
    return f"NOT ({_any_of(rules)})" if rules else "TRUE"


def _label_settings(parent: ET.Element, colour: str, kind: str, priority: int) -> None:
    settings = ET.SubElement(parent, "settings", calloutType="simple")
    style = ET.SubElement(settings, "text-style", {
        "fieldName": "name", "isExpression": "0", "fontFamily": LABEL_FONT, "namedStyle": "Bold", "fontWeight": "75",
        "fontSize": "9", "fontSizeUnit": "Point", "textColor": _rgba(colour), "textOpacity": "1",
        "multilineHeight": "1", "blendMode": "0", "allowHtml": "0", "capitalization": "0",
    })
    ET.SubElement(style, "text-buffer", {
        "bufferDraw": "1", "bufferSize": "1", "bufferSizeUnits": "MM", "bufferColor": "255,255,255,255",
        "bufferOpacity": "0.9", "bufferJoinStyle": "128", "bufferNoFill": "1", "bufferBlendMode": "0",
    })
    ET.SubElement(settings, "text-format", wrapChar="", autoWrapLength="0", multilineAlign="3")
    if kind == "line":  # along the line
        placement = {"placement": "2", "placementFlags": "7"}  # on, above or below the line
    elif kind == "point":
        placement = {"placement": "6", "dist": "1", "distUnits": "MM"}
    else:  # horizontal, inside the polygon
        placement = {"placement": "4", "polygonPlacementFlags": "2", "centroidInside": "1", "fitInPolygonOnly": "0"}
    ET.SubElement(settings, "placement", {**placement, "priority": str(priority), "repeatDistance": "0",
                                          "overrunDistance": "0", "lineAnchorPercent": "0.5"})
    ET.SubElement(settings, "rendering", {"drawLabels": "1", "obstacle": "1", "obstacleFactor": "1",
                                          "obstacleType": "1", "displayAll": "0", "labelPerPart": "0",
                                          "mergeLines": "0", "upsidedownLabels": "0", "zIndex": "0"})
    _data_defined(settings, {}, "dd_properties")


def _document(labels: bool) -> ET.Element:
    return ET.Element("qgis", version=QGIS_VERSION, styleCategories="AllStyleCategories",
                      labelsEnabled="1" if labels else "0", hasScaleBasedVisibilityFlag="0", minScale="0",
                      maxScale="0")


def _finish(root: ET.Element) -> str:
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    doctype = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
    return doctype + ET.tostring(root, encoding="unicode")


def _rule_symbol(parent: ET.Element, name: str, rule: StyleRule, geometry: str, gdf: gpd.GeoDataFrame, *,
                 outline_only: bool = False) -> None:
    layer, style = rule.layer, rule.layer.style(rule.cls.value)
    dash = style.get("dashArray")
    if geometry == "point":
        _point_symbol(parent, name, rule.cls.colour, _size_expression(layer, gdf))
    elif geometry == "line" and layer.kind == "band":
        _band_symbol(parent, name, rule.cls.colour, style["fillOpacity"], layer.weight)
    elif geometry == "line":
        _line_symbol(parent, name, rule.cls.colour, layer.weight, dash=dash, arrow=layer.arrow)
    else:
        _fill_symbol(parent, name, rule.cls.colour, fill_alpha=0.0 if outline_only else style["fillOpacity"],
                     outline=rule.cls.colour, width=layer.weight, dash=dash)


def plan_qml(gdf: gpd.GeoDataFrame, rules: list[StyleRule], *, outline_only: bool = False,
             labels: bool = True) -> str:
    """Return the QML of a plan layer: a rule-based renderer of ``rules`` and rule-based labels on ``name``.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer (its geometry kind, the values that select the rules, the range of sized values).
    rules : list of StyleRule
        The map definitions' rules for the layer (:func:`gis.mapdef.style_rules`).
    outline_only : bool
        Draw only the outlines of ``rules`` (the copy of a layer whose outline is drawn above the plan's areas),
        with no fallback and no labels.
    labels : bool
        Label the features (context layers a map draws are drawn as it draws them, but unlabelled).
    """
    geometry = geometry_kind(gdf)
    kept, _ = assigned_rules(rules, gdf)
    groups = merge_rules(kept)
    filters = exclusive_filters(groups)
    labelled = labels and not outline_only
    root = _document(labels=labelled)
    renderer = ET.SubElement(root, "renderer-v2", type="RuleRenderer", symbollevels="0", forceraster="0",
                             enableorderby="0", referencescale="-1")
    tree = ET.SubElement(renderer, "rules", key="{" + str(uuid.uuid4()) + "}")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (group, expression) in enumerate(zip(groups, filters, strict=True)):
        rule = group[0]
        maps = "、".join(dict.fromkeys(r.definition.title for r in group))
        ET.SubElement(tree, "rule", key=f"{{rule-{i}}}", symbol=str(i), filter=expression, label=rule.cls.label,
                      description=maps)
        _rule_symbol(symbols, str(i), rule, geometry, gdf, outline_only=outline_only)
    other = str(len(groups))
    if not outline_only:
        ET.SubElement(tree, "rule", key="{rule-else}", symbol=other, filter="ELSE", label=OTHER_LABEL)
        if geometry == "point":
            _point_symbol(symbols, other, MapLayer.OTHER_COLOUR, None)
        elif geometry == "line":
            _line_symbol(symbols, other, MapLayer.OTHER_COLOUR, 1.5)
        else:
            _fill_symbol(symbols, other, MapLayer.OTHER_COLOUR, fill_alpha=0.25, outline=MapLayer.OTHER_COLOUR,
                         width=1.5)
    if labelled:
        labeling = ET.SubElement(root, "labeling", type="rule-based")
        label_rules = ET.SubElement(labeling, "rules", key="{labels}")
        kind = "line" if geometry == "line" else ("point" if geometry == "point" else "fill")
        for i, (group, expression) in enumerate(zip(groups, filters, strict=True)):
            rule = group[0]
            if not rule.layer.label:
                continue
            item = ET.SubElement(label_rules, "rule", key=f"{{label-{i}}}", filter=expression,
                                 description=rule.cls.label)
            order = rule.definition.layers.index(rule.layer)
            _label_settings(item, rule.cls.text_colour, kind, max(1, 9 - order))
        item = ET.SubElement(label_rules, "rule", key="{label-else}", filter=fallback_filter(groups),
                             description=OTHER_LABEL)
        _label_settings(item, "#444444", kind, 3)
    return _finish(root)


def _frame_wkt(gdf: gpd.GeoDataFrame) -> str:
    minx, miny, maxx, maxy = (float(v) for v in gdf.total_bounds)
    return f"POLYGON(({minx} {miny}, {maxx} {miny}, {maxx} {maxy}, {minx} {maxy}, {minx} {miny}))"


def context_qml(name: str, gdf: gpd.GeoDataFrame) -> str:
    """Return the QML of a context layer: muted as on the web maps, unlabelled.

    ``coast`` is beige land with a grey coastline (without the straight edges of
    the frame the layer is clipped to); ``districts`` are dashed lines; any other
    context layer is light grey. (The project stored with the GeoPackage adds,
    under them, the land of the districts beyond the coast layer's frame:
    :func:`land_beyond_qml`.)
    """
    bg = BACKGROUND
    root = _document(labels=False)
    renderer = ET.SubElement(root, "renderer-v2", type="singleSymbol", symbollevels="0", forceraster="0",
                             enableorderby="0", referencescale="-1")
    symbols = ET.SubElement(renderer, "symbols")
    geometry = geometry_kind(gdf)
    if name == "coast" and geometry == "fill":
        symbol = _symbol(symbols, "fill", "0")
        _layer(symbol, "SimpleFill", {"color": _rgba(bg.land_fill), "style": "solid", "outline_style": "no"})
        generator = _layer(symbol, "GeometryGenerator", {
            "SymbolType": "Line", "units": "MapUnit",
            "geometryModifier": "difference(boundary($geometry), "
                                f"buffer(boundary(geom_from_wkt('{_frame_wkt(gdf)}')), 0.000001))",
        })
        line = _symbol(generator, "line", "@coastline")
        _layer(line, "SimpleLine", _line_options(bg.land_outline, bg.land_weight * 1.5, alpha=1))
    elif name == "districts" and geometry == "fill":
        _fill_symbol(symbols, "0", bg.land_fill, fill_alpha=0.0, outline=bg.district_colour, width=bg.district_weight,
                     dash=bg.district_dash)
    elif geometry == "point":
        symbol = _symbol(symbols, "marker", "0")
        _layer(symbol, "SimpleMarker", {"name": "circle", "color": _rgba(bg.context_fill),
                                        "outline_color": _rgba(bg.context_outline), "size": "8", "size_unit": "Pixel"})
    elif geometry == "line":
        _line_symbol(symbols, "0", bg.context_outline, 1.0)
    else:
        _fill_symbol(symbols, "0", bg.context_fill, fill_alpha=1.0, outline=bg.context_outline, width=0.8)
    return _finish(root)


def land_beyond_qml(frame: gpd.GeoDataFrame) -> str:
    """Return the QML that fills the districts beige beyond the coast layer's frame (``frame``: the coast layer)."""
    root = _document(labels=False)
    renderer = ET.SubElement(root, "renderer-v2", type="singleSymbol", symbollevels="0", forceraster="0",
                             enableorderby="0", referencescale="-1")
    symbols = ET.SubElement(renderer, "symbols")
    symbol = _symbol(symbols, "fill", "0")
    generator = _layer(symbol, "GeometryGenerator", {
        "SymbolType": "Fill", "units": "MapUnit",
        "geometryModifier": f"difference($geometry, geom_from_wkt('{_frame_wkt(frame)}'))",
    })
    fill = _symbol(generator, "fill", "@land")
    _layer(fill, "SimpleFill", {"color": _rgba(BACKGROUND.land_fill), "style": "solid", "outline_style": "no"})
    return _finish(root)


def layer_qml(layers: Mapping[str, gpd.GeoDataFrame], definitions: list[MapDefinition] | None = None, *,
              fields: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, str]:
    """Return a QML style for every layer of ``layers``, from the map definitions (all shipped ones by default).

    A layer a map draws is styled as the maps draw it (a context layer, such as
    ``coast`` or an airport layer, without labels); a context layer no map draws is
    muted (:func:`context_qml`); any other layer (e.g. a planner's own file) gets the
    fallback symbol with labels.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        The layers by name.
    definitions : list of MapDefinition, optional
        The map definitions; every shipped one by default.
    fields : mapping, optional
        Per layer, field → the name the file stores it under (a Shapefile's shortened names), for the
        style's expressions.
    """
    rules = style_rules(definitions if definitions is not None else load_definitions())
    out = {}
    for name, gdf in layers.items():
        token = _RENAMED.set((fields or {}).get(name, {}))
        context = _is_shipped_context(name)
        try:
            if name in rules:  # drawn by a map: as the map draws it (a context layer unlabelled)
                out[name] = plan_qml(gdf, rules[name], labels=not context)
            elif not context:
                out[name] = plan_qml(gdf, [])
            else:
                out[name] = context_qml(name, gdf)
        finally:
            _RENAMED.reset(token)
    return out


def _is_shipped_context(name: str) -> bool:
    from gis.layers import is_shipped_layer

    return is_shipped_layer(name) and is_context_layer(name)


def outline_layers(layers: Mapping[str, gpd.GeoDataFrame], definitions: list[MapDefinition] | None = None
                   ) -> dict[str, tuple[str, str]]:
    """Return, per layer with an ``outline_above`` map layer, the subset expression and QML of its outline copy."""
    rules = style_rules(definitions if definitions is not None else load_definitions())
    out = {}
    for name, gdf in layers.items():
        above = [r for r in rules.get(name, []) if r.layer.outline_above]
        kept, _ = assigned_rules(above, gdf)
        if kept:
            subset = " OR ".join(f"({condition_expression(r.conditions)})" for r in kept)
            out[name] = (subset, plan_qml(gdf, kept, outline_only=True))
    return out


def drawing_order(names: list[str], layers: Mapping[str, gpd.GeoDataFrame],
                  definitions: list[MapDefinition] | None = None) -> list[str]:
    """Return layer names from the top of the drawing down: points, lines, plan areas, then context.

    Plan areas are stacked as the maps stack them: a layer a map draws after
    another is drawn above it (votes over every map).
    """
    definitions = definitions if definitions is not None else load_definitions()
    votes = dict.fromkeys(names, 0)
    for definition in definitions:
        sources = [layer.source for layer in definition.layers]
        for i, a in enumerate(sources):
            for b in sources[i + 1 :]:
                if a in votes and b in votes and a != b:
                    votes[b] += 1
                    votes[a] -= 1
    rank = {"point": 0, "line": 1, "fill": 2}

    def key(name: str) -> tuple:
        context = _is_shipped_context(name)
        land = context and name == "coast"  # the land under every other context layer
        return (context, land, rank[geometry_kind(layers[name])], -votes[name], names.index(name))

    return sorted(names, key=key)


def _srs(parent: ET.Element, authid: str) -> None:
    from pyproj import CRS

    crs = CRS.from_user_input(authid)
    srs = ET.SubElement(parent, "spatialrefsys")  # QGIS 3.22 reads the CRS from the WKT (an authid alone is not read)
    ET.SubElement(srs, "wkt").text = crs.to_wkt()
    ET.SubElement(srs, "authid").text = authid
    ET.SubElement(srs, "description").text = crs.name


def _wkb_name(gdf: gpd.GeoDataFrame) -> tuple[str, str]:
    """Return (geometry, wkbType) as QGIS names them for the layer as the GeoPackage stores it."""
    types = set(gdf.geom_type.dropna())
    kind = geometry_kind(gdf)
    if kind == "point":
        return "Point", "MultiPoint" if "MultiPoint" in types else "Point"
    if kind == "line":
        return "Line", "MultiLineString" if "MultiLineString" in types else "LineString"
    return "Polygon", "MultiPolygon" if "MultiPolygon" in types else "Polygon"


def _map_layer(parent: ET.Element, ident: str, title: str, source: str, gdf: gpd.GeoDataFrame, qml: str) -> None:
    style = ET.fromstring(qml.split("\n", 1)[1])
    geometry, wkb = _wkb_name(gdf)
    element = ET.SubElement(parent, "maplayer", type="vector", geometry=geometry, wkbType=wkb,
                            labelsEnabled=style.get("labelsEnabled", "0"), styleCategories="AllStyleCategories",
                            hasScaleBasedVisibilityFlag="0", minScale="0", maxScale="0", readOnly="0")
    ET.SubElement(element, "id").text = ident
    ET.SubElement(element, "datasource").text = source
    ET.SubElement(element, "layername").text = title
    srs = ET.SubElement(element, "srs")
    _srs(srs, "EPSG:4326")
    ET.SubElement(element, "provider", encoding="UTF-8").text = "ogr"
    for child in style:
        element.append(child)


def project_document(layers: Mapping[str, gpd.GeoDataFrame], styles: Mapping[str, str], gpkg_name: str,
                     definitions: list[MapDefinition] | None = None) -> bytes:
    """Return a QGIS project (``.qgz`` bytes) of the layers of a GeoPackage named ``gpkg_name``.

    Layers are referenced relative to the project (``./NAME.gpkg|layername=…``), so the
    project finds them while it is stored in that GeoPackage under that name.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        The layers of the GeoPackage.
    styles : mapping of str to str
        Their QML styles (:func:`layer_qml`).
    gpkg_name : str
        The GeoPackage's file name.
    definitions : list of MapDefinition, optional
        The map definitions (for the outlines drawn above and the stacking order).
    """
    definitions = definitions if definitions is not None else load_definitions()
    names = list(layers)
    order = drawing_order(names, layers, definitions)
    outlines = outline_layers(layers, definitions)
    root = ET.Element("qgis", projectname=PROJECT_NAME, version=QGIS_VERSION)
    ET.SubElement(root, "homePath", path="")
    ET.SubElement(root, "title").text = PROJECT_NAME
    crs = ET.SubElement(root, "projectCrs")
    _srs(crs, PROJECT_CRS)
    tree = ET.SubElement(root, "layer-tree-group")
    ET.SubElement(tree, "customproperties")
    groups = {}
    for key, title in (("plan", "规划图层（示意）"), ("context", "底图")):
        group = ET.SubElement(tree, "layer-tree-group", name=title, checked="Qt::Checked", expanded="1")
        ET.SubElement(group, "customproperties")
        groups[key] = group
    project_layers = ET.SubElement(root, "projectlayers")
    stack: list[str] = []

    def add(ident: str, title: str, source: str, gdf: gpd.GeoDataFrame, qml: str, group: str) -> None:
        ET.SubElement(groups[group], "layer-tree-layer", id=ident, name=title, source=source, providerKey="ogr",
                      checked="Qt::Checked", expanded="1" if group == "plan" else "0")
        _map_layer(project_layers, ident, title, source, gdf, qml)
        stack.append(ident)

    placed_outlines = False
    for name in order:
        gdf = layers[name]
        if not placed_outlines and geometry_kind(gdf) == "fill" and not _is_shipped_context(name):
            for base, (subset, qml) in outlines.items():
                title = f"{LAYER_TITLES.get(base, base)}：轮廓（绘于各面之上）"
                source = f"./{gpkg_name}|layername={base}|subset={subset}"
                frame = gpd.GeoDataFrame(geometry=layers[base].geometry)
                add(_layer_id(f"{base}-outline"), title, source, frame, qml, "plan")
            placed_outlines = True
        group = "context" if _is_shipped_context(name) else "plan"
        add(_layer_id(name), LAYER_TITLES.get(name, name), f"./{gpkg_name}|layername={name}", gdf, styles[name], group)
    if "coast" in layers and "districts" in layers and _is_shipped_context("districts"):
        add(_layer_id("districts-land"), "陆地（区县范围，海岸线数据范围以外）", f"./{gpkg_name}|layername=districts",
            layers["districts"], land_beyond_qml(layers["coast"]), "context")
    layer_order = ET.SubElement(root, "layerorder")
    for ident in stack:
        ET.SubElement(layer_order, "layer", id=ident)
    canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
    ET.SubElement(canvas, "units").text = "meters"
    extent = ET.SubElement(canvas, "extent")
    for tag, value in zip(("xmin", "ymin", "xmax", "ymax"), _extent(layers), strict=True):
        ET.SubElement(extent, tag).text = f"{value:.1f}"
    ET.SubElement(canvas, "rotation").text = "0"
    destination = ET.SubElement(canvas, "destinationsrs")
    _srs(destination, PROJECT_CRS)
    properties = ET.SubElement(root, "properties")
    spatial = ET.SubElement(properties, "SpatialRefSys")
    ET.SubElement(spatial, "ProjectionsEnabled", type="int").text = "1"
    sea = BACKGROUND.sea.lstrip("#")
    gui = ET.SubElement(properties, "Gui")
    for part, offset in (("Red", 0), ("Green", 2), ("Blue", 4)):
        ET.SubElement(gui, f"CanvasColor{part}Part", type="int").text = str(int(sea[offset : offset + 2], 16))
    for part, value in (("Red", 255), ("Green", 255), ("Blue", 0), ("Alpha", 255)):
        ET.SubElement(gui, f"SelectionColor{part}Part", type="int").text = str(value)
    measure = ET.SubElement(properties, "Measure")
    ET.SubElement(measure, "Ellipsoid", type="QString").text = "EPSG:1024"  # CGCS2000
    measurement = ET.SubElement(properties, "Measurement")
    ET.SubElement(measurement, "AreaUnits", type="QString").text = "ha"
    ET.SubElement(measurement, "DistanceUnits", type="QString").text = "km"
    paths = ET.SubElement(properties, "Paths")
    ET.SubElement(paths, "Absolute", type="bool").text = "false"
    text = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qgs", text.encode("utf-8"))
    return buffer.getvalue()


def _layer_id(name: str) -> str:
    """Return a stable layer id (QGIS keeps an id only when it is longer than ten characters)."""
    return f"gis_{uuid.uuid5(uuid.NAMESPACE_URL, 'gis-layer:' + name).hex}"


def _extent(layers: Mapping[str, gpd.GeoDataFrame]) -> tuple[float, float, float, float]:
    """Return the plan layers' extent in the project CRS (all layers when none is a plan layer)."""
    plan = [g for n, g in layers.items() if not _is_shipped_context(n) and len(g)] or [g for g in layers.values()
                                                                                       if len(g)]
    if not plan:
        return 0.0, 0.0, 1.0, 1.0
    bounds = np.array([g.to_crs(PROJECT_CRS).total_bounds for g in plan])
    minx, miny = bounds[:, 0].min(), bounds[:, 1].min()
    maxx, maxy = bounds[:, 2].max(), bounds[:, 3].max()
    pad = 0.05 * max(maxx - minx, maxy - miny)
    return float(minx - pad), float(miny - pad), float(maxx + pad), float(maxy + pad)


def project_metadata() -> str:
    """Return the metadata QGIS keeps beside a project stored in a GeoPackage (JSON)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return json.dumps({"last_modified_time": stamp, "last_modified_user": "gis export"})

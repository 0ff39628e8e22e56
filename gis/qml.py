"""QGIS styles (QML) of the layers: the third renderer of the map definitions.

:func:`qml_style` writes, for one layer, the categories and colours that the map
definitions (:mod:`gis.mapdef`) give it — the same classes, colours and legend
texts as the web maps and the printed figures — and labels on ``name``.
:func:`layer_qml` gives every layer of a set its style, for
:func:`gis.export.write_geopackage` (QGIS reads them from ``layer_styles``) and
for the ``.qml`` beside a Shapefile.
"""

from __future__ import annotations

from collections.abc import Mapping
from xml.sax.saxutils import escape as xml_escape

import geopandas as gpd

from gis.mapdef import ClassStyle, MapDefinition, layer_styles

#: Colour of a layer no map definition styles.
DEFAULT_COLOUR = "#d7301f"


def geometry_kind(gdf: gpd.GeoDataFrame) -> str:
    """Return ``point``, ``line`` or ``fill``: how QGIS symbolises the layer's geometries."""
    types = set(gdf.geom_type.dropna())
    if types and types <= {"Point", "MultiPoint"}:
        return "point"
    if types and types <= {"LineString", "MultiLineString"}:
        return "line"
    return "fill"


def _rgb(colour: str, alpha: int = 160) -> str:
    return ",".join(str(int(colour.lstrip("#")[i : i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _symbol(kind: str, index: int, colour: str) -> str:
    rgb = _rgb(colour)
    if kind == "point":
        layer = (f'<layer class="SimpleMarker"><Option type="Map"><Option name="color" value="{rgb}" type="QString"/>'
                 '<Option name="size" value="3" type="QString"/></Option></layer>')
        symbol_type = "marker"
    elif kind == "line":
        layer = (f'<layer class="SimpleLine"><Option type="Map">'
                 f'<Option name="line_color" value="{rgb}" type="QString"/>'
                 '<Option name="line_width" value="0.8" type="QString"/></Option></layer>')
        symbol_type = "line"
    else:
        layer = (f'<layer class="SimpleFill"><Option type="Map"><Option name="color" value="{rgb}" type="QString"/>'
                 f'<Option name="outline_color" value="{rgb}" type="QString"/></Option></layer>')
        symbol_type = "fill"
    return f'<symbol name="{index}" type="{symbol_type}" alpha="1">{layer}</symbol>'


def qml_style(field: str, classes: list[ClassStyle], geometry: str) -> str:
    """Return a QGIS QML style: a categorised renderer on ``field`` with ``classes``, labels on ``name``.

    Parameters
    ----------
    field : str
        The class field.
    classes : list of ClassStyle
        Values, colours and legend texts; none gives a single symbol.
    geometry : {"point", "line", "fill"}
        How the layer is symbolised (:func:`geometry_kind`).
    """
    if classes:
        categories = "".join(
            f'<category render="true" symbol="{i}" value="{xml_escape(c.value)}" label="{xml_escape(c.label)}"/>'
            for i, c in enumerate(classes)
        )
        symbols = "".join(_symbol(geometry, i, c.colour) for i, c in enumerate(classes))
        renderer = (f'<renderer-v2 type="categorizedSymbol" attr="{xml_escape(field)}" symbollevels="0">'
                    f"<categories>{categories}</categories><symbols>{symbols}</symbols></renderer-v2>")
    else:
        single = _symbol(geometry, 0, DEFAULT_COLOUR)
        renderer = f'<renderer-v2 type="singleSymbol"><symbols>{single}</symbols></renderer-v2>'
    labeling = ('<labeling type="simple"><settings><text-style fieldName="name" fontSize="9" textColor="0,0,0,255"/>'
                "</settings></labeling>")
    doctype = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
    return f'{doctype}<qgis version="3.28">{renderer}{labeling}</qgis>'


def layer_qml(layers: Mapping[str, gpd.GeoDataFrame], definitions: list[MapDefinition] | None = None
              ) -> dict[str, str]:
    """Return a QML style for every layer of ``layers``, from the map definitions (all shipped ones by default)."""
    styles = layer_styles(definitions)
    out = {}
    for name, gdf in layers.items():
        field, classes = styles.get(name, ("name", []))
        out[name] = qml_style(field, classes, geometry_kind(gdf))
    return out

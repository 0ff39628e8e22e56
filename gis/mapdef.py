"""Map definitions: the model of ``maps/NAME.toml``, parsed and checked once.

A map definition is data: a title, the plan clause it draws, an initial view and
an ordered list of layers, each a shipped layer (or a file beside the
definition) with a filter, a geometry kind and classes (value, colour, legend
text). :func:`load_definition` parses a file into a :class:`MapDefinition` and
refuses a bad one with one line naming the file, the layer and the key.

The model owns everything the renderers share, so that the web map
(:mod:`gis.maps`, folium), the printable figure (:mod:`gis.figure`,
matplotlib) and the QGIS style (:mod:`gis.qml`) draw the same thing: feature
selection (:meth:`MapLayer.select`), belts drawn as bands of their width
(:meth:`MapLayer.features`), the defaults of every drawing option, the style of
each class (:meth:`MapLayer.style`) and the background of land and district
lines (:data:`BACKGROUND`).

A definition file looks like this::

    title = "鹿城区产业平台“1+2+N”布局（示意）"
    source = "001_bd4c905f1d7d095b.txt 一(二)"
    center = [28.045, 120.575]     # latitude, longitude
    zoom = 12

    [[layer]]
    name = "园区与区块"              # the legend group and the layer-control entry
    source = "platforms"           # a shipped layer, or a file path relative to this file
    where = { scheme = "1+2+N" }   # field = value or [values]
    kind = "polygon"               # polygon, line, point or band (a line drawn as a belt)
    class_field = "role"
    classes = [["2", "#e31a1c", "2：轻工产业园区、中国鞋都产业园"]]
    label = true                   # label features with their name
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd

from gis.config import Table, load_toml
from gis.crs import LAYER_CRS
from gis.errors import InputError

#: Geometry kinds a map layer may have.
KINDS: tuple[str, ...] = ("polygon", "line", "point", "band")
#: Width (m) of a belt whose feature gives none.
DEFAULT_BAND_WIDTH_M = 500.0
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
#: The 示意 note every map and figure carries.
SCHEMATIC_NOTE = "示意图：边界依规划文本与公开资料数字化，非测绘成果，不作为用地边界依据。"
#: Attribution of the data every map and figure carries.
ATTRIBUTION = (
    "数据：温州市相关规划文本；行政区划 cnmaps（BSD-3-Clause / MIT）；海岸线 © OpenStreetMap contributors（ODbL）"
)


@dataclass(frozen=True)
class ClassStyle:
    """One class of a map layer: the attribute value, its colour and its legend text."""

    value: str
    colour: str
    label: str


@dataclass(frozen=True)
class Background:
    """How the context under every map is drawn: sea, land and islands, district lines."""

    sea: str = "#dcecf5"
    land_fill: str = "#f2efe6"
    land_outline: str = "#9e9e9e"
    land_weight: float = 0.6
    district_colour: str = "#8e7cc3"
    district_weight: float = 1.0
    district_dash: str = "4 4"

    @property
    def land_style(self) -> dict[str, Any]:
        """Leaflet path options of the land layer."""
        return {"color": self.land_outline, "weight": self.land_weight, "fillColor": self.land_fill,
                "fillOpacity": 1}

    @property
    def district_style(self) -> dict[str, Any]:
        """Leaflet path options of the district lines."""
        return {"color": self.district_colour, "weight": self.district_weight, "dashArray": self.district_dash,
                "fill": False}


#: The background of every map and figure.
BACKGROUND = Background()
#: The context layers the background is drawn from.
BACKGROUND_LAYERS: tuple[str, ...] = ("coast", "districts")


@dataclass(frozen=True)
class View:
    """The initial view of a web map: centre (latitude, longitude) and zoom."""

    center: tuple[float, float] = (27.9, 120.8)
    zoom: int = 11


@dataclass(frozen=True)
class MapLayer:
    """One layer of a map definition (a ``[[layer]]`` table)."""

    name: str
    source: str
    where: Mapping[str, Any] = field(default_factory=dict)
    kind: str = "polygon"
    class_field: str = "name"
    classes: tuple[ClassStyle, ...] = ()
    label: bool = False
    arrow: bool = False
    weight: float = 2.0
    fill_opacity: float | None = None
    dash: Mapping[str, str] = field(default_factory=dict)
    size_field: str | None = None
    folder: Path | None = None

    #: Colour of a feature whose value no class lists.
    OTHER_COLOUR = "#666666"

    @property
    def opacity(self) -> float:
        """Fill opacity: as defined, else 0.35 (0.25 for a band)."""
        if self.fill_opacity is not None:
            return self.fill_opacity
        return 0.25 if self.kind == "band" else 0.35

    @property
    def legend_kind(self) -> str:
        """How the legend draws a swatch: ``fill``, ``line`` or ``point``."""
        return {"line": "line", "point": "point"}.get(self.kind, "fill")

    def class_of(self, value: object) -> ClassStyle | None:
        """Return the class of an attribute value, or ``None``."""
        return next((c for c in self.classes if c.value == str(value)), None)

    def colour(self, value: object) -> str:
        """Return the colour of an attribute value (grey for a value no class lists)."""
        cls = self.class_of(value)
        return cls.colour if cls else self.OTHER_COLOUR

    def style(self, value: object) -> dict[str, Any]:
        """Return the drawing style of a feature with this class value, as Leaflet path options.

        Keys: ``color``, ``weight``, ``fillColor``, ``fillOpacity``, ``opacity`` and
        ``dashArray`` where the class is dashed. The figure and QGIS renderers read the same keys.
        """
        colour = self.colour(value)
        style = {"color": colour, "weight": self.weight, "fillColor": colour, "fillOpacity": self.opacity,
                 "opacity": 0.9}
        if str(value) in self.dash:
            style["dashArray"] = self.dash[str(value)]
        return style

    def is_shipped(self) -> bool:
        """Return whether the source is a shipped layer (rather than a file beside the definition)."""
        from gis.layers import is_shipped_layer

        return is_shipped_layer(self.source)

    def read(self) -> gpd.GeoDataFrame:
        """Read the layer's source, whole (a shipped layer, or a file relative to the definition)."""
        from gis.layers import open_source, read_layer

        if self.is_shipped():
            return read_layer(self.source)
        path = Path(self.source)
        if not path.is_absolute() and self.folder is not None:
            path = self.folder / path
        gdf, _ = open_source(str(path))
        return gdf.to_crs(LAYER_CRS)

    def select(self, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Return the features the ``where`` filter selects (none when a filter field is missing)."""
        mask = pd.Series(True, index=gdf.index)
        for key, value in self.where.items():
            if key not in gdf.columns:
                return gdf.iloc[:0]
            mask &= gdf[key].isin(value) if isinstance(value, list) else gdf[key] == value
        return gdf[mask]

    def features(self, source: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
        """Return the features to draw: selected, and for a band buffered to its width.

        Parameters
        ----------
        source : geopandas.GeoDataFrame, optional
            The source layer, when the caller has read it already.
        """
        gdf = self.select(self.read() if source is None else source)
        if self.kind == "band":
            gdf = band(gdf)
        return gdf

    def values(self, gdf: gpd.GeoDataFrame) -> pd.Series:
        """Return each feature's class value as a string (empty when the class field is missing)."""
        if self.class_field not in gdf.columns:
            return pd.Series("", index=gdf.index)
        return gdf[self.class_field].astype(str)

    def present_classes(self, gdf: gpd.GeoDataFrame) -> list[ClassStyle]:
        """Return the classes that some feature of ``gdf`` has, in the definition's order."""
        present = set(self.values(gdf))
        return [c for c in self.classes if c.value in present]

    def label_anchor(self, geom):
        """Return where a feature's label goes: mid-line for lines, a point inside for polygons."""
        if self.kind == "line":
            return geom.interpolate(0.5, normalized=True)
        return geom.representative_point()


def band(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return lines buffered to belts of their ``band_width_m`` (flat ends), measured in the GK plane."""
    from gis.area import planar_crs_for

    widths = pd.to_numeric(gdf.get("band_width_m"), errors="coerce")
    widths = (widths if widths is not None else pd.Series(np.nan, index=gdf.index)).fillna(DEFAULT_BAND_WIDTH_M)
    if not len(gdf):
        return gdf
    plane = planar_crs_for(gdf)
    projected = gdf.to_crs(plane)
    projected["geometry"] = [g.buffer(w / 2, cap_style="flat")
                             for g, w in zip(projected.geometry, widths, strict=True)]
    return projected.to_crs(LAYER_CRS)


@dataclass(frozen=True)
class MapDefinition:
    """A whole map: title, cited clause, view and layers, as a definition file gives them."""

    name: str
    title: str
    source: str = ""
    view: View = View()
    layers: tuple[MapLayer, ...] = ()
    background: Background = BACKGROUND
    path: Path | None = None

    @cached_property
    def frames(self) -> list[tuple[MapLayer, gpd.GeoDataFrame]]:
        """Each layer with the features it draws; every source is read once."""
        cache: dict[str, gpd.GeoDataFrame] = {}
        out = []
        for layer in self.layers:
            key = f"{layer.folder}|{layer.source}"
            if key not in cache:
                cache[key] = layer.read()
            out.append((layer, layer.features(cache[key])))
        return out

    def texts(self) -> list[str]:
        """Every text a rendering prints (title, notes, legend), for glyph-coverage checks."""
        texts = [self.title, SCHEMATIC_NOTE, ATTRIBUTION, "图例", "北"]
        texts.extend(c.label for layer in self.layers for c in layer.classes)
        return texts

    def bounds(self) -> tuple[float, float, float, float]:
        """Return (minx, miny, maxx, maxy) of everything the map draws, in degrees."""
        frames = [f.total_bounds for _, f in self.frames if len(f)]
        if not frames:
            lat, lon = self.view.center
            return lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05
        b = np.array(frames)
        return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())


def maps_folder() -> Path:
    """Return the folder of the shipped map definitions (``maps/`` of the source tree, or ``$GIS_MAPS_FOLDER``)."""
    env = os.environ.get("GIS_MAPS_FOLDER")
    if env:
        return Path(env)
    source_tree = Path(__file__).resolve().parents[1] / "maps"
    if source_tree.is_dir():
        return source_tree
    return Path(str(resources.files("gis") / "mapdata"))


def list_maps() -> list[str]:
    """Return the names of the shipped map definitions.

    Examples
    --------
    >>> "zhenan" in list_maps()
    True
    """
    return sorted(p.stem for p in maps_folder().glob("*.toml"))


def is_definition_path(name: str) -> bool:
    """Return whether ``name`` names a definition file (rather than a shipped map's name or title)."""
    return name.endswith(".toml") or "/" in name or os.sep in name


def load_definition(name: str | os.PathLike[str]) -> MapDefinition:
    """Load a map definition: a shipped map by name or by (part of) its Chinese title, or a ``.toml`` file.

    Parameters
    ----------
    name : str or path-like
        ``"zhenan"``, ``"一核两带三轴四区"``, or the path of a definition file of one's own.

    Returns
    -------
    MapDefinition
        The checked definition.

    Raises
    ------
    ConfigError
        If the file is not a valid definition (one line: file, layer, key).
    InputError
        If no shipped map has that name or title.

    Examples
    --------
    >>> load_definition("lucheng").layers[0].source
    'zones'
    """
    text = os.fspath(name)
    if is_definition_path(text):
        return parse_definition(Path(text))
    folder = maps_folder()
    path = folder / f"{text}.toml"
    if path.exists():
        return parse_definition(path)
    for candidate in sorted(folder.glob("*.toml")):
        definition = parse_definition(candidate)
        if text and text in definition.title:
            return definition
    raise InputError(f"no map definition {text!r}; maps: {', '.join(list_maps())} (or give the path of a .toml file)")


def load_definitions() -> list[MapDefinition]:
    """Return every shipped map definition, in name order."""
    return [parse_definition(maps_folder() / f"{name}.toml") for name in list_maps()]


def parse_definition(path: Path, *, data: dict | None = None) -> MapDefinition:
    """Parse and check one definition file.

    Parameters
    ----------
    path : Path
        The file (named in messages; its folder anchors relative ``source`` paths).
    data : dict, optional
        The parsed TOML, when the caller has it.

    Raises
    ------
    ConfigError
        Naming the file, the layer and the key of the first thing wrong.
    """
    path = Path(path)
    top = Table(load_toml(path) if data is None else data, path)
    title = top.text("title")
    source = top.text("source", "")
    center = top.items("center", [27.9, 120.8])
    if (len(center) != 2 or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in center)
            or not (-90 <= center[0] <= 90 and -180 <= center[1] <= 180)):
        raise top.fail(f"`center` must be [latitude, longitude] in degrees, got {center!r}")
    zoom = top.number("zoom", 11, minimum=1, maximum=19, integer=True)
    raw_layers = top.items("layer", [])
    top.done()
    if not raw_layers:
        raise top.fail("no [[layer]]: a map needs at least one layer")
    layers = tuple(_parse_layer(raw, path, i + 1) for i, raw in enumerate(raw_layers))
    return MapDefinition(name=path.stem, title=title, source=source, view=View((float(center[0]), float(center[1])),
                         int(zoom)), layers=layers, path=path)


def _parse_layer(raw: Any, path: Path, number: int) -> MapLayer:
    label = raw.get("name") if isinstance(raw, Mapping) else None
    t = Table(raw, path, f"layer {number}" + (f" ({label})" if isinstance(label, str) else ""))
    name = t.text("name")
    source = t.text("source")
    from gis.layers import is_shipped_layer

    if not is_shipped_layer(source):
        candidate = Path(source) if Path(source).is_absolute() else path.parent / source
        if not candidate.exists():
            raise t.fail(f"`source` {source!r} is neither a shipped layer nor a file beside the definition")
    where = t.table("where", {})
    for key, value in where.items():
        ok = isinstance(value, str | int | float | bool) or (
            isinstance(value, list) and all(isinstance(v, str | int | float | bool) for v in value))
        if not ok:
            raise t.fail(f"`where.{key}` must be a value or a list of values, got {value!r}")
    kind = t.text("kind", "polygon", choices=KINDS)
    class_field = t.text("class_field", "name")
    classes = []
    for item in t.items("classes", []):
        if not (isinstance(item, list) and len(item) == 3 and all(isinstance(v, str) for v in item)):
            raise t.fail(f"each of `classes` must be [value, colour, legend text], got {item!r}")
        if not _COLOUR.match(item[1]):
            raise t.fail(f"`classes` colour {item[1]!r} of {item[0]!r} must be #rrggbb")
        classes.append(ClassStyle(*item))
    dash = t.table("dash", {})
    for value, pattern in dash.items():
        if not isinstance(pattern, str) or not re.fullmatch(r"\d+( \d+)*", pattern):
            raise t.fail(f"`dash.{value}` must be a dash pattern such as \"6 4\", got {pattern!r}")
    size_field = t.text("size_field", None)
    layer = MapLayer(
        name=name, source=source, where=where, kind=kind, class_field=class_field, classes=tuple(classes),
        label=t.flag("label"), arrow=t.flag("arrow"), weight=float(t.number("weight", 2.0, minimum=0, maximum=50)),
        fill_opacity=t.number("fill_opacity", None, minimum=0, maximum=1), dash=dash, size_field=size_field,
        folder=path.parent,
    )
    if layer.fill_opacity is not None:
        object.__setattr__(layer, "fill_opacity", float(layer.fill_opacity))
    t.done()
    if layer.arrow and kind != "line":
        raise t.fail("`arrow` is for line layers only")
    return layer


def layer_styles(definitions: list[MapDefinition] | None = None) -> dict[str, tuple[str, list[ClassStyle]]]:
    """Return, per shipped layer, a class field and the classes the map definitions give it.

    Every definition's classes for a layer are merged, so that a style of the layer
    (QGIS) knows every class any map draws; a layer classed on different fields by
    different maps keeps the field of the first map and the classes that use it.

    Parameters
    ----------
    definitions : list of MapDefinition, optional
        Default: every shipped definition.
    """
    styles: dict[str, tuple[str, list[ClassStyle]]] = {}
    for definition in definitions if definitions is not None else load_definitions():
        for layer in definition.layers:
            if not layer.is_shipped():
                continue
            field_name, classes = styles.setdefault(layer.source, (layer.class_field, []))
            if field_name != layer.class_field:
                continue
            seen = {c.value for c in classes}
            classes.extend(c for c in layer.classes if c.value not in seen)
    return styles


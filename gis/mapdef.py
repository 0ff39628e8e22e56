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

Optional keys of a layer: ``weight`` (line width, px), ``fill_opacity``,
``dash`` (``{ value = "6 4" }``), ``arrow`` (arrowheads at the end of lines),
``size_field`` (points sized by a number) and ``outline_above`` (the layer's
outlines are drawn above every fill of the map, for a unit whose parts are
other layers' features, as 鹿城's 主平台 "1").

The model also owns how text is drawn on a map: the colour of a class's label
(:attr:`ClassStyle.text_colour`, darkened until it reads on a white halo), the
label size (:data:`LABEL_PX`) and where labels may go
(:meth:`MapLayer.label_anchors`), and the colour checks the shipped maps
pass (:func:`colour_distance`, :func:`colour_clashes`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gis.config import Table, load_toml
from gis.crs import LAYER_CRS
from gis.errors import InputError
from gis.mapfiles import list_maps, maps_folder

if TYPE_CHECKING:
    import pandas as pd

    import geopandas as gpd

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


#: Size of map labels in CSS pixels (web maps) and, at 96 px per inch, in points on paper (×0.75).
LABEL_PX = 12
#: Contrast a label's text keeps against its white halo (WCAG's 4.5 : 1 for normal text).
LABEL_CONTRAST = 4.5


def _rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in rgb)


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """Return the relative luminance (WCAG 2) of a ``#rrggbb`` colour, 0 (black) to 1 (white).

    Examples
    --------
    >>> luminance("#ffffff"), luminance("#000000")
    (1.0, 0.0)
    """
    r, g, b = (_linear(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """Return the WCAG contrast ratio of two colours (1 to 21).

    Examples
    --------
    >>> round(contrast("#000000", "#ffffff"), 1)
    21.0
    """
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_on_white(colour: str, ratio: float = LABEL_CONTRAST) -> str:
    """Return ``colour``, darkened just enough to reach ``ratio`` against white (its hue kept).

    Examples
    --------
    >>> readable_on_white("#000000")
    '#000000'
    >>> contrast(readable_on_white("#a6cee3"), "#ffffff") >= 4.5
    True
    """
    rgb = _rgb(colour)
    factor = 1.0
    candidate = colour.lower()
    while contrast(candidate, "#ffffff") < ratio and factor > 0:
        factor -= 0.02
        candidate = _hex(tuple(c * factor for c in rgb))  # type: ignore[arg-type]
    return candidate


def _lab(colour: str) -> tuple[float, float, float]:
    r, g, b = (_linear(c) for c in _rgb(colour))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def colour_distance(a: str, b: str) -> float:
    """Return how different two colours look: CIE76 ΔE in CIELAB (about 2.3 is just noticeable).

    Examples
    --------
    >>> colour_distance("#1f78b4", "#1f78b4")
    0.0
    >>> colour_distance("#e31a1c", "#1f78b4") > 50
    True
    """
    return float(sum((p - q) ** 2 for p, q in zip(_lab(a), _lab(b), strict=True)) ** 0.5)


@dataclass(frozen=True)
class ClassStyle:
    """One class of a map layer: the attribute value, its colour and its legend text."""

    value: str
    colour: str
    label: str

    @property
    def text_colour(self) -> str:
        """The colour of this class's labels: its own, darkened until it reads on a white halo."""
        return readable_on_white(self.colour)


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
    #: Any other context layer (not a plan layer, not land, not districts — e.g. an airport): muted grey.
    context_fill: str = "#d9d9d9"
    context_outline: str = "#9e9e9e"

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
#: What each shipped layer is called where planners see it (QGIS layer tree, index page).
LAYER_TITLES: dict[str, str] = {
    "zones": "功能分区", "corridors": "带、轴与道路", "platforms": "产业平台与区块", "reclamation": "围垦区",
    "projects": "重大项目", "coast": "陆地与海岛（底图）", "districts": "区县界（底图）",
}


def is_context_layer(name: str) -> bool:
    """Return whether a shipped layer is context (drawn muted, under the plan, unlabelled): any non-plan layer.

    Examples
    --------
    >>> is_context_layer("coast"), is_context_layer("zones")
    (True, False)
    """
    from gis.layers import PLAN_LAYERS

    return name not in PLAN_LAYERS


def _stamp(name: str) -> tuple[str, int, int]:
    from gis.layers import layer_path

    path = layer_path(name)
    stat = path.stat()
    return str(path), stat.st_mtime_ns, stat.st_size


def background_land() -> tuple[gpd.GeoSeries, gpd.GeoSeries]:
    """Return the land every map is drawn on, and its coastline.

    Land is the ``coast`` layer (OpenStreetMap's coastline, clipped to a frame)
    and, outside that frame, the land of the ``districts`` layer, so that no
    straight edge of the frame shows; the coastline is the outline of the land
    without the frame's edges.

    Returns
    -------
    tuple of geopandas.GeoSeries
        The land (polygons) and the coastline (lines), in EPSG:4326.
    """
    return _background_land(_stamp("coast"), _stamp("districts"))


@lru_cache(maxsize=4)
def _background_land(coast_stamp: tuple, districts_stamp: tuple) -> tuple[gpd.GeoSeries, gpd.GeoSeries]:
    import geopandas as gpd
    import shapely
    from shapely.geometry import box

    from gis.layers import read_layer

    coast = read_layer("coast").geometry
    frame = box(*coast.total_bounds)
    districts = read_layer("districts").geometry.union_all()
    land = shapely.union_all([coast.union_all(), districts.difference(frame)])
    edges = frame.boundary.buffer(1e-6)
    coastline = land.boundary.difference(edges)
    as_series = [gpd.GeoSeries([g], crs=LAYER_CRS) for g in (land, coastline)]
    return as_series[0], as_series[1]


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
    outline_above: bool = False
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
        import pandas as pd

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
        import pandas as pd

        if self.class_field not in gdf.columns:
            return pd.Series("", index=gdf.index)
        return gdf[self.class_field].astype(str)

    def present_classes(self, gdf: gpd.GeoDataFrame) -> list[ClassStyle]:
        """Return the classes that some feature of ``gdf`` has, in the definition's order."""
        present = set(self.values(gdf))
        return [c for c in self.classes if c.value in present]

    def label_anchor(self, geom):
        """Return where a feature's label goes first: mid-line for lines, the point deepest inside for polygons."""
        return self.label_anchors(geom)[0]

    def label_anchors(self, geom) -> list:
        """Return the points a feature's label may be centred on, best first.

        Lines: the middle, then 40 %, 60 %, 30 %, 70 %, 20 % and 80 % along.
        Polygons (and bands): the pole of inaccessibility of the largest part
        (the point farthest inside), then a point on the surface.
        """
        from shapely.ops import polylabel

        if self.kind == "line":
            return [geom.interpolate(f, normalized=True) for f in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8)]
        if self.kind == "point":
            return [geom]
        parts = list(getattr(geom, "geoms", [geom]))
        largest = max(parts, key=lambda g: g.area)
        span = max(largest.bounds[2] - largest.bounds[0], largest.bounds[3] - largest.bounds[1])
        try:
            best = polylabel(largest, tolerance=max(span / 200, 1e-7))
        except Exception:
            best = largest.representative_point()
        return [best, geom.representative_point()]


def band(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return lines buffered to belts of their ``band_width_m`` (flat ends), measured in the GK plane."""
    import numpy as np
    import pandas as pd

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
        """Every text a rendering prints (title, notes, source, legend, labels), for glyph-coverage checks."""
        texts = [self.title, SCHEMATIC_NOTE, ATTRIBUTION, "图例", "北", "千米", "比例尺", self.citation]
        texts.extend(c.label for layer in self.layers for c in layer.classes)
        for layer, gdf in self.frames:
            if layer.label and "name" in gdf.columns:
                texts.extend(str(v) for v in gdf["name"])
        return texts

    @property
    def citation(self) -> str:
        """The plan and clause the map draws: 《title》（文号）clause (:func:`gis.plans.describe`)."""
        from gis.report import cited

        return cited(self.source)

    def classes(self) -> list[tuple[MapLayer, ClassStyle]]:
        """Every class the map draws (layer, class), in the definition's order."""
        return [(layer, cls) for layer in self.layers for cls in layer.classes]

    def bounds(self) -> tuple[float, float, float, float]:
        """Return (minx, miny, maxx, maxy) of everything the map draws, in degrees."""
        import numpy as np

        frames = [f.total_bounds for _, f in self.frames if len(f)]
        if not frames:
            lat, lon = self.view.center
            return lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05
        b = np.array(frames)
        return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())


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
        outline_above=t.flag("outline_above"), folder=path.parent,
    )
    if layer.fill_opacity is not None:
        object.__setattr__(layer, "fill_opacity", float(layer.fill_opacity))
    t.done()
    if layer.arrow and kind != "line":
        raise t.fail("`arrow` is for line layers only")
    if layer.outline_above and kind != "polygon":
        raise t.fail("`outline_above` is for polygon layers only")
    return layer


#: Least ΔE (:func:`colour_distance`) between two classes one map draws, or one QGIS layer style lists.
MIN_COLOUR_DISTANCE = 15.0


@dataclass(frozen=True)
class StyleRule:
    """One class of one map applied to a shipped layer: which features it styles, and how.

    The QGIS style of a layer (:mod:`gis.qml`) is the list of every map's rules
    for it (:func:`style_rules`), so that every feature any map draws is drawn
    with that map's colour and legend text.

    Attributes
    ----------
    definition : MapDefinition
        The map the class comes from.
    layer : MapLayer
        Its layer (kind, weight, opacity, dash, label).
    cls : ClassStyle
        The class (value, colour, legend text).
    """

    definition: MapDefinition
    layer: MapLayer
    cls: ClassStyle

    @property
    def conditions(self) -> dict[str, tuple]:
        """Field → the values it may have: the layer's ``where`` and the class value of its class field."""
        out: dict[str, tuple] = {}
        for key, value in self.layer.where.items():
            out[key] = tuple(value) if isinstance(value, list) else (value,)
        class_values = (self.cls.value,)
        if self.layer.class_field in out:
            kept = tuple(v for v in out[self.layer.class_field] if str(v) == self.cls.value)
            class_values = kept
        out[self.layer.class_field] = class_values
        return out

    @property
    def specificity(self) -> int:
        """How many fields the layer's ``where`` filter names (more specific rules are tried first)."""
        return len(self.layer.where)

    def disjoint(self, other: StyleRule) -> bool:
        """Return whether no feature can match both rules (some field must take values of two disjoint sets)."""
        mine, theirs = self.conditions, other.conditions
        return any(not {str(v) for v in mine[k]} & {str(v) for v in theirs[k]} for k in mine.keys() & theirs.keys())

    def mask(self, gdf: gpd.GeoDataFrame) -> pd.Series:
        """Return which features of ``gdf`` this rule's conditions select."""
        import pandas as pd

        mask = pd.Series(True, index=gdf.index)
        for key, values in self.conditions.items():
            if key not in gdf.columns:
                return pd.Series(False, index=gdf.index)
            mask &= gdf[key].astype(str).isin([str(v) for v in values]) & gdf[key].notna()
        return mask


def style_rules(definitions: list[MapDefinition] | None = None) -> dict[str, list[StyleRule]]:
    """Return, per shipped layer, the rules every map definition gives it, most specific first.

    A rule is one class of one map layer: its ``where`` filter and its class
    value. Rules are ordered by how many fields the ``where`` names (most
    first), then by map name and order in the map; a feature takes the first
    rule it matches (:mod:`gis.qml` makes them exclusive), so a map drawing one
    scheme wins over a map drawing all of them. A rule identical to an earlier
    one (same conditions) is left out.

    Parameters
    ----------
    definitions : list of MapDefinition, optional
        Default: every shipped definition.
    """
    rules: dict[str, list[StyleRule]] = {}
    for definition in definitions if definitions is not None else load_definitions():
        for layer in definition.layers:
            if not layer.is_shipped():
                continue
            for cls in layer.classes:
                rules.setdefault(layer.source, []).append(StyleRule(definition, layer, cls))
    out = {}
    for source, found in rules.items():
        ordered = sorted(found, key=lambda r: -r.specificity)  # stable: map, then layer, then class order
        kept: list[StyleRule] = []
        seen: set[tuple] = set()
        for rule in ordered:
            key = tuple(sorted((k, tuple(str(v) for v in vs)) for k, vs in rule.conditions.items()))
            if key not in seen:
                seen.add(key)
                kept.append(rule)
        out[source] = kept
    return out


def colour_clashes(definitions: list[MapDefinition] | None = None, *,
                   minimum: float = MIN_COLOUR_DISTANCE) -> list[str]:
    """Return the pairs of classes that can be seen together and look alike; an empty list when none.

    Classes are seen together when one map draws them, or when one QGIS layer
    style lists them (:func:`style_rules`). The same class of a layer (its
    class field and value) must have one colour in every map.

    Parameters
    ----------
    definitions : list of MapDefinition, optional
        Default: every shipped definition.
    minimum : float
        Least :func:`colour_distance` between two different classes.
    """
    definitions = definitions if definitions is not None else load_definitions()
    problems = []
    for definition in definitions:
        classes = definition.classes()
        for i, (la, a) in enumerate(classes):
            for lb, b in classes[i + 1 :]:
                if colour_distance(a.colour, b.colour) < minimum:
                    problems.append(f"{definition.name}: {la.name} {a.value!r} {a.colour} and {lb.name} {b.value!r} "
                                    f"{b.colour} look alike (ΔE {colour_distance(a.colour, b.colour):.1f})")
    colours: dict[tuple, set[str]] = {}
    for source, rules in style_rules(definitions).items():
        for rule in rules:
            colours.setdefault((source, rule.layer.class_field, rule.cls.value), set()).add(rule.cls.colour)
        distinct = {(r.layer.class_field, r.cls.value): r.cls.colour for r in rules}
        items = list(distinct.items())
        for i, (ka, ca) in enumerate(items):
            for kb, cb in items[i + 1 :]:
                if colour_distance(ca, cb) < minimum:
                    problems.append(f"layer {source}: {ka[1]!r} {ca} and {kb[1]!r} {cb} look alike in its QGIS style "
                                    f"(ΔE {colour_distance(ca, cb):.1f})")
    for (source, field_name, value), found in colours.items():
        if len(found) > 1:
            problems.append(f"layer {source}: {field_name} = {value!r} has {len(found)} colours "
                            f"({', '.join(sorted(found))})")
    return problems

"""Printable maps for reports: ``gis figure NAME -o FILE.png|pdf``, the matplotlib renderer of a map definition.

A static rendering of a :class:`~gis.mapdef.MapDefinition` on a real A4 page
(landscape or portrait, 297 × 210 mm, never cropped): the same layers, selection,
bands, class styles and outlines-above as the web map, over the same land
(:func:`gis.mapdef.background_land`) and district lines; title, legend, scale bar
with the scale, north arrow, the 示意 note and the plan cited. Labels are placed
by the web maps' placement (:func:`gis.labels.place`: greedy by priority, with
no two labels meeting and none on a project's circle), each on a white halo, in
the class's label colour; the 三轴 carry arrowheads as on the web map.

Chinese text needs a CJK font: one is looked for among the system's fonts at
run time (Noto Sans CJK from Debian's ``fonts-noto-cjk``, which the README's
set-up installs); without one it refuses with :class:`~gis.errors.FontError`,
rather than print boxes (豆腐块). :func:`render_thumbnail` draws a small picture
of a map without any text (for ``gis build``'s index page), which needs no font.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from gis.errors import FontError, InputError
from gis.io import atomic_path
from gis.labels import PADDING, Label, is_far, place
from gis.layers import read_layer
from gis.mapdef import (
    ATTRIBUTION,
    LABEL_PX,
    SCHEMATIC_NOTE,
    MapDefinition,
    MapLayer,
    background_land,
    load_definition,
)

#: A4 in millimetres (width, height) for each orientation.
PAGES: dict[str, tuple[float, float]] = {"landscape": (297.0, 210.0), "portrait": (210.0, 297.0)}
MM_PER_INCH = 25.4
#: Label size on paper (points): the web map's 12 px at 96 px per inch.
LABEL_PT = LABEL_PX * 0.75 * 0.9


@lru_cache(maxsize=1)
def cjk_font() -> tuple[str, str]:
    """Return (family, file) of an installed CJK font, registering it with matplotlib.

    Raises
    ------
    FontError
        If no CJK font is installed.
    """
    from matplotlib import font_manager

    files = sorted(font_manager.findSystemFonts())
    preferences = ("notosanscjk", "sourcehansans", "wqy", "notoserifcjk", "cjk")
    for token in preferences:
        matches = [f for f in files if token in Path(f).name.replace("-", "").lower()]
        regular = [f for f in matches if "regular" in f.lower()] or matches
        if regular:
            path = regular[0]
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name(), path
    raise FontError("no CJK font is installed, so Chinese would print as boxes: install one "
                     "(Debian: apt-get install fonts-noto-cjk) and run again")


def covers(font_file: str, text: str) -> list[str]:
    """Return the characters of ``text`` the font has no glyph for (empty when it covers them all)."""
    from matplotlib.ft2font import FT2Font

    charmap = FT2Font(font_file).get_charmap()
    return sorted({ch for ch in text if not ch.isspace() and ord(ch) not in charmap})


def _nice_length(km: float) -> float:
    exponent = 10 ** math.floor(math.log10(km))
    for step in (1, 2, 5, 10):
        if step * exponent >= km:
            return step * exponent
    return 10 * exponent


def figure_texts(definition: MapDefinition | str) -> list[str]:
    """Every text a figure prints (title, legend, labels, notes), for glyph-coverage checks."""
    if not isinstance(definition, MapDefinition):
        definition = load_definition(definition)
    return definition.texts()


def _dashes(pattern: str | None):
    if not pattern:
        return "solid"
    return (0, tuple(float(v) for v in pattern.split()))


def _point_area(layer: MapLayer, part: gpd.GeoDataFrame, top: float) -> np.ndarray:
    """Marker areas (pt²) of points: the web map's radius 4 + 18·√(value / max) px, at 0.75 pt per px."""
    if layer.size_field and layer.size_field in part.columns:
        values = pd.to_numeric(part[layer.size_field], errors="coerce").fillna(0).to_numpy(dtype=float)
        radius = 4 + 18 * np.sqrt(values / max(top, 1.0))
    else:
        radius = np.full(len(part), 6.0)
    return (2 * radius * 0.75 * 0.6) ** 2


def _layout(orientation: str) -> dict[str, tuple[float, float, float, float]]:
    """Rectangles (left, bottom, width, height; shares of the page) of the map, legend, title and notes."""
    width, height = PAGES[orientation]
    m = 10.0  # margin, mm

    def rect(x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
        return x / width, y / height, w / width, h / height

    if orientation == "landscape":
        return {"map": rect(m, 24, 205, height - 24 - 22), "legend": rect(m + 210, 24, width - 2 * m - 210,
                                                                          height - 24 - 22),
                "title": rect(m, height - 18, width - 2 * m, 12), "notes": rect(m, 4, width - 2 * m, 18)}
    return {"map": rect(m, 78, width - 2 * m, height - 78 - 22), "legend": rect(m, 27, width - 2 * m, 48),
            "title": rect(m, height - 18, width - 2 * m, 12), "notes": rect(m, 4, width - 2 * m, 20)}


def _extent(definition: MapDefinition, aspect_box: float) -> tuple[float, float, float, float]:
    """Return the map's extent (degrees), padded and widened to the map frame's shape (height/width on paper)."""
    minx, miny, maxx, maxy = definition.bounds()
    padx, pady = (maxx - minx) * 0.06 + 0.005, (maxy - miny) * 0.06 + 0.005
    minx, maxx, miny, maxy = minx - padx, maxx + padx, miny - pady, maxy + pady
    k = math.cos(math.radians((miny + maxy) / 2))
    width, height = (maxx - minx) * k, maxy - miny
    if height / width < aspect_box:
        grow = (width * aspect_box - height) / 2
        miny, maxy = miny - grow, maxy + grow
    else:
        grow = (height / aspect_box - width) / 2 / k
        minx, maxx = minx - grow, maxx + grow
    return minx, miny, maxx, maxy


def _draw_background(ax, definition: MapDefinition) -> None:
    """Draw the land (without the coast layer's frame), the coastline and the district lines."""
    bg = definition.background
    land, coastline = background_land()
    land.plot(ax=ax, facecolor=bg.land_fill, edgecolor="none", linewidth=0, zorder=1)
    coastline.plot(ax=ax, color=bg.land_outline, linewidth=bg.land_weight * 0.7, zorder=1.1)
    read_layer("districts").boundary.plot(ax=ax, color=bg.district_colour, linewidth=bg.district_weight * 0.6,
                                          linestyle=_dashes(bg.district_dash), zorder=2)


def _draw_layers(ax, definition: MapDefinition, *, scale: float = 1.0) -> tuple[list, list[tuple]]:
    """Draw every layer; return the legend handles and the point circles (x, y, marker area pt²)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list = []
    circles: list[tuple] = []
    for index, (layer, gdf) in enumerate(definition.frames):
        values = layer.values(gdf)
        top = 1.0
        if layer.size_field and layer.size_field in gdf.columns:
            top = float(pd.to_numeric(gdf[layer.size_field], errors="coerce").max() or 1.0)
        for cls in layer.classes:
            part = gdf[values == cls.value]
            if part.empty:
                continue
            style = layer.style(cls.value)
            dash = _dashes(style.get("dashArray"))
            if layer.kind == "point":
                area = _point_area(layer, part, top) * scale**2
                ax.scatter(part.geometry.x, part.geometry.y, s=area, c=cls.colour, alpha=0.8, edgecolors="white",
                           linewidths=0.4 * scale, zorder=8)
                circles.extend(zip(part.geometry.x, part.geometry.y, area, strict=True))
                handles.append(Line2D([], [], marker="o", linestyle="", color=cls.colour, label=cls.label))
            elif layer.kind == "line":
                width = layer.weight * 0.6 * scale
                part.plot(ax=ax, color=cls.colour, linewidth=width, zorder=7, linestyle=dash)
                if layer.arrow:
                    for geom in part.geometry:
                        (x0, y0), (x1, y1) = np.asarray(geom.coords)[-2:]
                        ax.annotate("", xy=(x1, y1), xytext=(x0 + (x1 - x0) * 0.9, y0 + (y1 - y0) * 0.9),
                                    arrowprops={"arrowstyle": "-|>,head_length=0.8,head_width=0.45",
                                                "color": cls.colour, "lw": width, "shrinkA": 0, "shrinkB": 0},
                                    zorder=7)
                handles.append(Line2D([], [], color=cls.colour, linewidth=2, linestyle=dash, label=cls.label,
                                      marker=">" if layer.arrow else None, markevery=[-1] if layer.arrow else None))
            else:
                alpha = style["fillOpacity"]
                z = 3 + index * 0.01
                part.plot(ax=ax, facecolor=cls.colour, edgecolor="none", alpha=alpha, linewidth=0, zorder=z)
                edge_z = 6 if layer.outline_above else z + 0.005
                part.boundary.plot(ax=ax, color=cls.colour, linewidth=layer.weight * 0.45 * scale, zorder=edge_z,
                                   linestyle=dash, alpha=0.95)
                handles.append(Patch(facecolor=(*_rgb(cls.colour), max(alpha, 0.25)), edgecolor=cls.colour,
                                     linewidth=1.2 if layer.outline_above else 0.8, label=cls.label))
    return handles, circles


def _rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def _place_labels(fig, ax, definition: MapDefinition, circles: list[tuple], taken: list[tuple]) -> FigureLabels:
    """Place and draw every label (the web maps' placement); return their boxes and those left out."""
    import matplotlib.patheffects as pe

    renderer = fig.canvas.get_renderer()
    to_px = ax.transData.transform
    labels: list[Label] = []
    artists = {}
    for index, (layer, gdf) in enumerate(definition.frames):
        if not layer.label or layer.kind == "point":
            continue
        values = layer.values(gdf)
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        sizes = shapely.length(geoms) if layer.kind == "line" else shapely.area(geoms)
        for position, (idx, row) in enumerate(gdf.iterrows()):
            text = str(row.get("name"))
            cls = layer.class_of(values[idx])
            artist = ax.text(0, 0, text, fontsize=LABEL_PT, fontweight="bold", ha="center", va="center",
                             color=cls.text_colour if cls else "#444444", zorder=10, clip_on=True,
                             path_effects=[pe.withStroke(linewidth=2.6, foreground="white", alpha=0.95)])
            extent = artist.get_window_extent(renderer)
            pad = PADDING * fig.dpi / 96
            key = f"{index}-{position}"
            artists[key] = artist
            anchors = [tuple(to_px((p.x, p.y))) for p in layer.label_anchors(row.geometry)]
            labels.append(Label(key=key, text=text, anchors=anchors, priority=(index, -float(sizes[position])),
                                size=(extent.width + 2 * pad, extent.height + 2 * pad)))
    obstacles = list(taken)
    for x, y, area in circles:
        cx, cy = to_px((x, y))
        radius = math.sqrt(area) / 2 * fig.dpi / 72 + 1
        obstacles.append((cx - radius, cy - radius, cx + radius, cy + radius))
    frame = ax.get_window_extent(renderer)
    def identity(x: float, y: float) -> tuple[float, float]:
        return x, y

    centres = place(labels, identity, obstacles, bounds=(frame.x0, frame.y0, frame.x1, frame.y1),
                    far=True, soft=False)
    inverse = ax.transData.inverted().transform
    sizes = {label.key: label.size for label in labels}
    by_key = {label.key: label for label in labels}
    result = FigureLabels(boxes={}, left_out=[])
    for key, artist in artists.items():
        centre = centres[key]
        if centre is None:
            result.left_out.append(artist.get_text())
            artist.remove()
            continue
        artist.set_position(tuple(inverse(centre)))
        label = by_key[key]
        if is_far(label, centre, identity):  # placed away from its feature: a leader line joins them
            ax.annotate("", xy=tuple(inverse(label.anchors[0])), xytext=tuple(inverse(centre)),
                        arrowprops={"arrowstyle": "-", "color": "#555555", "lw": 0.5, "shrinkA": 4, "shrinkB": 0},
                        zorder=9.5)
        w, h = sizes[key]
        result.boxes[artist.get_text() + "#" + key] = (centre[0] - w / 2, centre[1] - h / 2, centre[0] + w / 2,
                                                      centre[1] + h / 2)
    return result


def _scale_and_north(ax, extent: tuple[float, float, float, float], map_width_mm: float) -> list:
    """Draw the scale bar (with the scale) and the north arrow; return their artists."""
    minx, miny, maxx, maxy = extent
    mid_lat = (miny + maxy) / 2
    km_per_deg = 111.32 * math.cos(math.radians(mid_lat))
    width_km = (maxx - minx) * km_per_deg
    length = _nice_length(width_km / 5)
    x1 = maxx - (maxx - minx) * 0.03
    x0 = x1 - length / km_per_deg
    y0 = miny + (maxy - miny) * 0.04
    bar = ax.plot([x0, x1], [y0, y0], color="black", linewidth=3, solid_capstyle="butt", zorder=11)
    ax.plot([x0, (x0 + x1) / 2], [y0, y0], color="white", linewidth=1.6, solid_capstyle="butt", zorder=11)
    ratio = width_km * 1e6 / map_width_mm
    text = ax.annotate(f"{length:g} 千米　比例尺 1:{_round_scale(ratio):,}", ((x0 + x1) / 2, y0), xytext=(0, 5),
                textcoords="offset points", ha="center", va="bottom", fontsize=7.5, zorder=11,
                path_effects=_halo())
    north = ax.annotate("北", xy=(0.95, 0.95), xytext=(0.95, 0.86), xycoords="axes fraction", ha="center",
                        va="center", fontsize=11, fontweight="bold", zorder=11,
                        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5}, path_effects=_halo())
    return [*bar, text, north, north.arrow_patch]


def _halo() -> list:
    import matplotlib.patheffects as pe

    return [pe.withStroke(linewidth=2.5, foreground="white")]


def _round_scale(ratio: float) -> int:
    """Return the scale's denominator to three significant figures (1:87,342 → 1:87,300)."""
    digits = max(0, math.floor(math.log10(ratio)) - 2)
    return int(round(ratio / 10**digits) * 10**digits)


def _new_figure(orientation: str, dpi: int):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width, height = PAGES[orientation]
    return plt.figure(figsize=(width / MM_PER_INCH, height / MM_PER_INCH), dpi=dpi)


def _map_axes(fig, definition: MapDefinition, rect: tuple[float, float, float, float]):
    ax = fig.add_axes(rect)
    page_w, page_h = fig.get_size_inches()
    aspect_box = (rect[3] * page_h) / (rect[2] * page_w)
    extent = _extent(definition, aspect_box)
    minx, miny, maxx, maxy = extent
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect(1 / math.cos(math.radians((miny + maxy) / 2)), adjustable="datalim")
    ax.set_facecolor(definition.background.sea)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)
    return ax, extent


def render_figure(definition: MapDefinition | str, output: str | os.PathLike[str], *, overwrite: bool = False,
                  dpi: int = 150, orientation: str = "landscape") -> Path:
    """Draw a map definition on an A4 page (PNG or PDF) and write it atomically.

    The page is exactly A4 (297 × 210 mm landscape, 210 × 297 mm portrait): a
    PDF page of 841.89 × 595.28 pt, a PNG of 297/25.4 · ``dpi`` by 210/25.4 · ``dpi`` pixels.

    Parameters
    ----------
    definition : MapDefinition or str
        A definition, or the name, title or file path of one.
    output : path-like
        ``FILE.png`` or ``FILE.pdf``.
    overwrite : bool
        Replace an existing file.
    dpi : int
        Resolution of a PNG (1–1200).
    orientation : {"landscape", "portrait"}
        The page's orientation.

    Raises
    ------
    FontError
        Without a CJK font.
    InputError
        For another suffix, an existing file without ``overwrite``, a bad ``dpi`` or orientation.
    """
    if not isinstance(definition, MapDefinition):
        definition = load_definition(definition)
    dest = Path(output)
    if dest.suffix.lower() not in (".png", ".pdf"):
        raise InputError(f"{dest.name}: a figure is written as .png or .pdf")
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 1 <= dpi <= 1200:
        raise InputError(f"`dpi` must be a whole number from 1 to 1200, got {dpi!r}")
    if orientation not in PAGES:
        raise InputError(f"`orientation` must be one of {', '.join(PAGES)}, got {orientation!r}")
    if dest.exists() and not overwrite:
        raise InputError(f"{dest} exists; pass `overwrite=True` to replace it")
    fig, _ = compose_figure(definition, orientation=orientation, dpi=dpi)
    import matplotlib.pyplot as plt

    try:
        with atomic_path(dest, overwrite=overwrite) as tmp:
            fig.savefig(tmp, dpi=dpi, format=dest.suffix.lower().lstrip("."))
    finally:
        plt.close(fig)
    return dest


@dataclass
class FigureLabels:
    """What :func:`compose_figure` did with the labels: their boxes on the page (px) and how many it left out."""

    boxes: dict[str, tuple[float, float, float, float]]
    left_out: list[str]


def compose_figure(definition: MapDefinition, *, orientation: str = "landscape", dpi: int = 150):
    """Draw a map definition on an A4 page; return the matplotlib figure and its labels (:class:`FigureLabels`).

    The caller saves (or inspects) the figure and closes it.

    Raises
    ------
    FontError
        Without a CJK font.
    """
    family, _font_file = cjk_font()
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = [family, "DejaVu Sans"]
    plt.rcParams["pdf.fonttype"] = 42  # TrueType in the PDF: text stays text (searchable, copyable)
    plt.rcParams["text.parse_math"] = False  # names are data: a "$" in one is a dollar, never mathtext
    fig = _new_figure(orientation, dpi)
    try:
        layout = _layout(orientation)
        ax, _ = _map_axes(fig, definition, layout["map"])
        _draw_background(ax, definition)
        handles, circles = _draw_layers(ax, definition)
        ax.set_xlabel("")
        ax.set_ylabel("")
        fig.canvas.draw()
        map_width_mm = ax.get_position().width * PAGES[orientation][0]
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        furniture = _scale_and_north(ax, (x0, y0, x1, y1), map_width_mm)
        renderer = fig.canvas.get_renderer()
        taken = [tuple(a.get_window_extent(renderer).extents) for a in furniture]  # no label on the scale or north
        labels = _place_labels(fig, ax, definition, circles, taken)
        title = fig.add_axes(layout["title"])
        title.axis("off")
        title.text(0.5, 0.5, definition.title, ha="center", va="center", fontsize=15, fontweight="bold")
        legend_ax = fig.add_axes(layout["legend"])
        legend_ax.axis("off")
        columns = 1 if orientation == "landscape" else 2
        legend_ax.legend(handles=handles, title="图例", loc="upper left", fontsize=7.5, title_fontsize=9,
                         frameon=True, framealpha=1, edgecolor="#999999", ncols=columns, borderaxespad=0)
        notes = fig.add_axes(layout["notes"])
        notes.axis("off")
        notes.text(0.5, 0.78, SCHEMATIC_NOTE, ha="center", va="center", fontsize=9, color="#8a4b00",
                   fontweight="bold")
        source = f"规划出处：{definition.citation or definition.source}"
        notes.text(0.5, 0.45, source, ha="center", va="center", fontsize=7, color="#333333", wrap=True)
        notes.text(0.5, 0.15, ATTRIBUTION, ha="center", va="center", fontsize=6, color="#555555")
    except BaseException:
        plt.close(fig)
        raise
    return fig, labels


def render_thumbnail(definition: MapDefinition | str, output: str | os.PathLike[str], *, width_px: int = 360,
                     overwrite: bool = False) -> Path:
    """Draw a small PNG of a map without any text (no font needed): the index page's picture of the map.

    Parameters
    ----------
    definition : MapDefinition or str
        A definition, or the name, title or file path of one.
    output : path-like
        The ``.png`` to write.
    width_px : int
        Width of the picture; its height is two thirds of it.
    overwrite : bool
        Replace an existing file.
    """
    if not isinstance(definition, MapDefinition):
        definition = load_definition(definition)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dpi = 96
    fig = plt.figure(figsize=(width_px / dpi, width_px * 2 / 3 / dpi), dpi=dpi)
    try:
        ax, _ = _map_axes(fig, definition, (0, 0, 1, 1))
        for spine in ax.spines.values():
            spine.set_visible(False)
        _draw_background(ax, definition)
        _draw_layers(ax, definition, scale=0.5)
        with atomic_path(Path(output), overwrite=overwrite) as tmp:
            fig.savefig(tmp, dpi=dpi, format="png")
    finally:
        plt.close(fig)
    return Path(output)

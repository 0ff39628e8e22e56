"""Printable maps for reports: ``gis figure NAME -o FILE.png|pdf``, the matplotlib renderer of a map definition.

A static rendering of a :class:`~gis.mapdef.MapDefinition`: the same layers,
selection, bands and class styles as the web map, over the same background of
land/island outline and district lines;
title, legend, scale bar, north arrow, the 示意 note and the data source. Chinese
text needs a CJK font: one is looked for among the system's fonts at run time
(Noto Sans CJK from Debian's ``fonts-noto-cjk``, which the README's set-up
installs); without one it refuses with :class:`~gis.errors.FontError`, rather than
print boxes (豆腐块).
"""

from __future__ import annotations

import math
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from gis.errors import FontError, InputError
from gis.io import atomic_path
from gis.layers import read_layer
from gis.mapdef import ATTRIBUTION, SCHEMATIC_NOTE, MapDefinition, load_definition


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
    """Every text a figure prints (title, legend, notes), for glyph-coverage checks."""
    if not isinstance(definition, MapDefinition):
        definition = load_definition(definition)
    return definition.texts()


def _dashes(pattern: str | None):
    if not pattern:
        return "solid"
    return (0, tuple(float(v) for v in pattern.split()))


def render_figure(definition: MapDefinition | str, output: str | os.PathLike[str], *, overwrite: bool = False,
                  dpi: int = 150) -> Path:
    """Draw a map definition as a static PNG or PDF (A4 landscape) and write it atomically.

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

    Raises
    ------
    FontError
        Without a CJK font.
    InputError
        For another suffix, an existing file without ``overwrite``, or a bad ``dpi``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if not isinstance(definition, MapDefinition):
        definition = load_definition(definition)
    dest = Path(output)
    if dest.suffix.lower() not in (".png", ".pdf"):
        raise InputError(f"{dest.name}: a figure is written as .png or .pdf")
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 1 <= dpi <= 1200:
        raise InputError(f"`dpi` must be a whole number from 1 to 1200, got {dpi!r}")
    if dest.exists() and not overwrite:
        raise InputError(f"{dest} exists; pass `overwrite=True` to replace it")
    family, _font_file = cjk_font()
    plt.rcParams["font.family"] = [family, "DejaVu Sans"]
    fig, ax = plt.subplots(figsize=(11.7, 8.3))  # A4 landscape
    handles = []
    for layer, gdf in definition.frames:
        values = layer.values(gdf)
        for cls in layer.classes:
            part = gdf[values == cls.value]
            if part.empty:
                continue
            style = layer.style(cls.value)
            if layer.kind == "point":
                sizes = pd.to_numeric(part.get(layer.size_field, pd.Series(index=part.index, dtype=float)),
                                      errors="coerce").fillna(0)
                area = 15 + 400 * np.sqrt(sizes / max(float(sizes.max() or 1), 1.0))
                ax.scatter(part.geometry.x, part.geometry.y, s=area, c=cls.colour, alpha=0.7, edgecolors="white",
                           linewidths=0.5, zorder=5)
                handles.append(Line2D([], [], marker="o", linestyle="", color=cls.colour, label=cls.label))
            elif layer.kind == "line":
                part.plot(ax=ax, color=cls.colour, linewidth=layer.weight * 0.8, zorder=4,
                          linestyle=_dashes(style.get("dashArray")))
                handles.append(Line2D([], [], color=cls.colour, linewidth=2, label=cls.label))
            else:
                alpha = style["fillOpacity"]
                part.plot(ax=ax, facecolor=cls.colour, edgecolor=cls.colour, alpha=alpha, linewidth=0.8, zorder=3)
                part.boundary.plot(ax=ax, color=cls.colour, linewidth=0.8, zorder=3,
                                   linestyle=_dashes(style.get("dashArray")))
                handles.append(Patch(facecolor=cls.colour, edgecolor=cls.colour, alpha=max(alpha, 0.5),
                                     label=cls.label))
        if layer.label and layer.kind != "point":
            for idx, row in gdf.iterrows():
                anchor = layer.label_anchor(row.geometry)
                ax.annotate(str(row.get("name")), (anchor.x, anchor.y), fontsize=7, ha="center",
                            color=layer.colour(values[idx]), zorder=6)
    minx, miny, maxx, maxy = definition.bounds()
    padx, pady = (maxx - minx) * 0.08 + 0.01, (maxy - miny) * 0.08 + 0.01
    bg = definition.background
    read_layer("coast").plot(ax=ax, facecolor=bg.land_fill, edgecolor=bg.land_outline, linewidth=bg.land_weight * 0.7,
                             zorder=1)
    read_layer("districts").boundary.plot(ax=ax, color=bg.district_colour, linewidth=bg.district_weight * 0.6,
                                          linestyle=_dashes(bg.district_dash), zorder=2)
    ax.set_xlim(minx - padx, maxx + padx)
    ax.set_ylim(miny - pady, maxy + pady)
    mid_lat = (miny + maxy) / 2
    ax.set_aspect(1 / math.cos(math.radians(mid_lat)))
    ax.set_facecolor(bg.sea)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(definition.title, fontsize=15)
    ax.legend(handles=handles, title="图例", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              title_fontsize=9, framealpha=0.9)
    # Scale bar: a round length near a fifth of the width, drawn at the map's middle latitude.
    km_per_deg = 111.32 * math.cos(math.radians(mid_lat))
    width_km = (ax.get_xlim()[1] - ax.get_xlim()[0]) * km_per_deg
    length = _nice_length(width_km / 5)
    x0 = ax.get_xlim()[1] - padx * 0.3 - length / km_per_deg
    y0 = ax.get_ylim()[0] + pady * 0.4
    ax.plot([x0, x0 + length / km_per_deg], [y0, y0], color="black", linewidth=3, zorder=7)
    ax.annotate(f"{length:g} 千米", (x0 + length / km_per_deg / 2, y0), xytext=(0, 4),
                textcoords="offset points", ha="center", fontsize=8, zorder=7)
    ax.annotate("北", xy=(0.96, 0.93), xytext=(0.96, 0.84), xycoords="axes fraction", ha="center",
                fontsize=12, arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5})
    fig.text(0.5, 0.035, SCHEMATIC_NOTE, ha="center", fontsize=9, color="#8a4b00")
    fig.text(0.5, 0.012, f"{ATTRIBUTION}；规划出处：{definition.source}", ha="center", fontsize=6.5,
             color="#444444")
    try:
        with atomic_path(dest, overwrite=overwrite) as tmp:
            fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=dest.suffix.lower().lstrip("."))
    finally:
        plt.close(fig)
    return dest

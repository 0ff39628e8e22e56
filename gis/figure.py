"""Printable maps for reports: ``gis figure NAME -o FILE.png|pdf``.

A static rendering of a map definition with matplotlib: the same layers and
class colours as the web map, over the land/island outline and district lines;
title, legend, scale bar, north arrow, the 示意 note and the data source. Chinese
text needs a CJK font: one is looked for among the system's fonts at run time
(Noto Sans CJK from Debian's ``fonts-noto-cjk``, which the README's set-up
installs); without one the command refuses, rather than print boxes (豆腐块).
"""

from __future__ import annotations

import math
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from gis.errors import InputError
from gis.layers import read_layer
from gis.maps import ATTRIBUTION, SCHEMATIC_NOTE, _band, _select


@lru_cache(maxsize=1)
def cjk_font() -> tuple[str, str]:
    """Return (family, file) of an installed CJK font, registering it with matplotlib.

    Raises
    ------
    InputError
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
    raise InputError("no CJK font is installed, so Chinese would print as boxes: install one "
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


def figure_texts(definition: dict) -> list[str]:
    """Every text a figure prints (title, legend, notes), for glyph-coverage checks."""
    texts = [definition.get("title", ""), SCHEMATIC_NOTE, ATTRIBUTION, "图例", "北"]
    texts.extend(label for spec in definition.get("layer", []) for _, _, label in spec.get("classes", []))
    return texts


def render_figure(definition: dict, output: str | os.PathLike[str], *, overwrite: bool = True, dpi: int = 150) -> Path:
    """Draw a map definition as a static PNG or PDF and write it atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    dest = Path(output)
    if dest.suffix.lower() not in (".png", ".pdf"):
        raise InputError(f"{dest.name}: a figure is written as .png or .pdf")
    if dest.exists() and not overwrite:
        raise InputError(f"{dest} exists; pass --overwrite to replace it")
    family, _font_file = cjk_font()
    plt.rcParams["font.family"] = [family, "DejaVu Sans"]
    fig, ax = plt.subplots(figsize=(11.7, 8.3))  # A4 landscape
    frames = []
    handles = []
    for spec in definition.get("layer", []):
        gdf = _select(read_layer(spec["source"]), spec.get("where", {}))
        kind = spec.get("kind", "polygon")
        if kind == "band":
            gdf = _band(gdf)
        frames.append(gdf)
        field = spec.get("class_field", "name")
        colours = {value: colour for value, colour, _ in spec.get("classes", [])}
        for value, colour, label in spec.get("classes", []):
            part = gdf[gdf[field].astype(str) == value] if field in gdf.columns else gdf.iloc[:0]
            if part.empty:
                continue
            if kind == "point":
                sizes = pd.to_numeric(part.get(spec.get("size_field"), pd.Series(index=part.index, dtype=float)),
                                      errors="coerce").fillna(0)
                area = 15 + 400 * np.sqrt(sizes / max(float(sizes.max() or 1), 1.0))
                ax.scatter(part.geometry.x, part.geometry.y, s=area, c=colour, alpha=0.7, edgecolors="white",
                           linewidths=0.5, zorder=5)
                handles.append(Line2D([], [], marker="o", linestyle="", color=colour, label=label))
            elif kind == "line":
                part.plot(ax=ax, color=colour, linewidth=spec.get("weight", 2) * 0.8, zorder=4)
                handles.append(Line2D([], [], color=colour, linewidth=2, label=label))
            else:
                alpha = spec.get("fill_opacity", 0.35 if kind != "band" else 0.25)
                part.plot(ax=ax, facecolor=colour, edgecolor=colour, alpha=alpha, linewidth=0.8, zorder=3)
                part.boundary.plot(ax=ax, color=colour, linewidth=0.8, zorder=3)
                handles.append(Patch(facecolor=colour, edgecolor=colour, alpha=max(alpha, 0.5), label=label))
        if spec.get("label") and kind != "point":
            for _, row in gdf.iterrows():
                anchor = row.geometry.representative_point() if kind != "line" else row.geometry.interpolate(
                    0.5, normalized=True)
                ax.annotate(str(row.get("name")), (anchor.x, anchor.y), fontsize=7, ha="center",
                            color=colours.get(str(row.get(field)), "#333333"), zorder=6)
    bounds = np.array([f.total_bounds for f in frames if len(f)])
    minx, miny = bounds[:, 0].min(), bounds[:, 1].min()
    maxx, maxy = bounds[:, 2].max(), bounds[:, 3].max()
    padx, pady = (maxx - minx) * 0.08 + 0.01, (maxy - miny) * 0.08 + 0.01
    read_layer("coast").plot(ax=ax, facecolor="#f2efe6", edgecolor="#9e9e9e", linewidth=0.4, zorder=1)
    read_layer("districts").boundary.plot(ax=ax, color="#8e7cc3", linewidth=0.6, linestyle="--", zorder=2)
    ax.set_xlim(minx - padx, maxx + padx)
    ax.set_ylim(miny - pady, maxy + pady)
    mid_lat = (miny + maxy) / 2
    ax.set_aspect(1 / math.cos(math.radians(mid_lat)))
    ax.set_facecolor("#dcecf5")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(definition.get("title", ""), fontsize=15)
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
    fig.text(0.5, 0.012, f"{ATTRIBUTION}；规划出处：{definition.get('source', '')}", ha="center", fontsize=6.5,
             color="#444444")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part{dest.suffix}")
    try:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
        os.replace(tmp, dest)
    finally:
        plt.close(fig)
        if tmp.exists():
            tmp.unlink()
    return dest

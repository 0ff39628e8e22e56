"""Label placement shared by the web maps and the printed figures: greedy, by priority, without collisions.

A label (:class:`Label`) has a text, the points it may be centred on (best
first: :meth:`gis.mapdef.MapLayer.label_anchors`) and a priority. :func:`place`
puts labels one by one in priority order at the first candidate position whose
box meets no box placed before and no obstacle (e.g. a project's circle); a
label that finds no free position is not drawn. Positions are tried at each
anchor: centred, then above, below, right and left of it.

* The printed figure (:mod:`gis.figure`) places its labels once, in the page's
  pixels, with boxes measured by matplotlib.
* The web map (:mod:`gis.maps`) places them at build time for every zoom level
  (:func:`zoom_placements`), in Web-Mercator pixels, with boxes estimated from
  the text (:func:`text_box`): each label gets, per zoom, the offset of its box
  or nothing; a label shown at one zoom keeps its place, where it is still
  free, at the next. The page applies the table when the zoom changes, so that
  no two labels overlap at any zoom.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from gis.mapdef import LABEL_PX

#: Space (px) kept free around a label's text.
PADDING = 2.0
#: Line height of a label, as a share of its font size (the web map's CSS sets the same).
LINE_HEIGHT = 1.2
#: Zoom levels the web maps place labels for (Leaflet's integer zooms).
ZOOMS = range(3, 19)

Box = tuple[float, float, float, float]


def text_width(text: str, size: float = LABEL_PX) -> float:
    """Return the width (px) of ``text`` at font size ``size``, estimated from its characters.

    A wide (CJK, full-width) character takes one em, any other 0.62 em (Noto
    Sans CJK and Microsoft YaHei draw Latin letters and digits narrower; the
    estimate errs wide so that estimated boxes hold the drawn text).

    Examples
    --------
    >>> text_width("南塘工业区", 12)
    60.0
    >>> round(text_width("S2", 10), 1)
    12.4
    """
    em = sum(1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.62 for ch in text)
    return em * size


def text_box(text: str, size: float = LABEL_PX) -> tuple[float, float]:
    """Return the (width, height) in px a label of ``text`` takes, padding included."""
    return text_width(text, size) + 2 * PADDING, size * LINE_HEIGHT + 2 * PADDING


@dataclass
class Label:
    """A label to place.

    Attributes
    ----------
    key : str
        A unique name.
    text : str
        What it says.
    anchors : sequence of (float, float)
        The points (longitude, latitude, or page pixels) it may be centred on, best first.
    priority : tuple
        Sort key: labels with a smaller key are placed first.
    size : tuple of float
        Its box (width, height) in px.
    colour : str
        The colour of its text.
    around : bool
        Place it beside its anchor only, never on it (a point feature's label).
    """

    key: str
    text: str
    anchors: Sequence[tuple[float, float]]
    priority: tuple
    size: tuple[float, float]
    colour: str = "#000000"
    around: bool = False
    data: dict = field(default_factory=dict)


def _offsets(size: tuple[float, float], around: bool) -> list[tuple[float, float]]:
    w, h = size
    beside = [(w / 2 + 4, 0.0), (-(w / 2 + 4), 0.0), (0.0, -(h / 2 + 6)), (0.0, h / 2 + 6)]
    if around:
        return beside
    return [(0.0, 0.0), (0.0, -h), (0.0, h), *beside[:2], (0.0, -2 * h), (0.0, 2 * h)]


def _box(cx: float, cy: float, size: tuple[float, float]) -> Box:
    w, h = size
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def overlaps(a: Box, b: Box) -> bool:
    """Return whether two boxes (x0, y0, x1, y1) share any area.

    Examples
    --------
    >>> overlaps((0, 0, 10, 10), (10, 0, 20, 10)), overlaps((0, 0, 10, 10), (9, 9, 20, 20))
    (False, True)
    """
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def candidates(label: Label, project: Callable[[float, float], tuple[float, float]]) -> list[tuple[float, float]]:
    """Return the centres (px) a label may take, best first."""
    out = []
    for anchor in label.anchors:
        x, y = project(*anchor)
        out.extend((x + dx, y + dy) for dx, dy in _offsets(label.size, label.around))
    return out


def place(labels: Iterable[Label], project: Callable[[float, float], tuple[float, float]],
          obstacles: Iterable[Box] = (), *, keep: dict[str, tuple[float, float]] | None = None,
          bounds: Box | None = None) -> dict[str, tuple[float, float] | None]:
    """Place labels greedily by priority; return each label's box centre (px), or ``None`` where none is free.

    Parameters
    ----------
    labels : iterable of Label
        The labels.
    project : callable
        Maps an anchor to pixels.
    obstacles : iterable of box
        Boxes no label may meet (e.g. circles of point features).
    keep : dict, optional
        Centres that labels had before (at the previous zoom): those labels are
        placed first, in their old place where it is free.
    bounds : box, optional
        A label must lie wholly inside (the map's frame on paper).
    """
    placed: list[Box] = list(obstacles)
    out: dict[str, tuple[float, float] | None] = {}
    keep = keep or {}
    order = sorted(labels, key=lambda lb: (lb.key not in keep, lb.priority))
    for label in order:
        options = candidates(label, project)
        if label.key in keep:
            options.insert(0, keep[label.key])
        out[label.key] = None
        for cx, cy in options:
            box = _box(cx, cy, label.size)
            if bounds is not None and not (bounds[0] <= box[0] and box[2] <= bounds[2] and bounds[1] <= box[1]
                                           and box[3] <= bounds[3]):
                continue
            if not any(overlaps(box, other) for other in placed):
                placed.append(box)
                out[label.key] = (cx, cy)
                break
    return out


def mercator(zoom: int) -> Callable[[float, float], tuple[float, float]]:
    """Return the projection of (longitude, latitude) to Leaflet's pixels at ``zoom`` (Web Mercator, 256 px tiles)."""
    scale = 256 * 2**zoom

    def project(lon: float, lat: float) -> tuple[float, float]:
        sin = math.sin(math.radians(lat))
        return (lon + 180) / 360 * scale, (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale

    return project


def zoom_placements(labels: Sequence[Label], obstacles: Sequence[tuple[float, float, float]] = (),
                    zooms: Iterable[int] = ZOOMS) -> dict[str, dict[int, tuple[int, int] | None]]:
    """Place labels for every zoom level of a web map.

    Parameters
    ----------
    labels : sequence of Label
        Anchors in (longitude, latitude); the first anchor is where the label's marker stands.
    obstacles : sequence of (longitude, latitude, radius px)
        Circles drawn at a fixed pixel size (points), which labels keep clear of.
    zooms : iterable of int
        The zoom levels.

    Returns
    -------
    dict
        Per label, per zoom: the offset (px, x right and y down) of its box centre
        from its marker, or ``None`` where it is not shown.
    """
    out: dict[str, dict[int, tuple[int, int] | None]] = {label.key: {} for label in labels}
    keep: dict[str, tuple[float, float]] = {}
    scale_previous = None
    for zoom in zooms:
        project = mercator(zoom)
        if scale_previous is not None:  # the old centres, carried to this zoom (offsets kept in px)
            keep = {key: _rescale(key, centre, labels, mercator(scale_previous), project)
                    for key, centre in keep.items()}
        boxes = []
        for lon, lat, radius in obstacles:
            x, y = project(lon, lat)
            boxes.append((x - radius, y - radius, x + radius, y + radius))
        centres = place(labels, project, boxes, keep=keep)
        keep = {key: c for key, c in centres.items() if c is not None}
        for label in labels:
            centre = centres[label.key]
            if centre is None:
                out[label.key][zoom] = None
                continue
            ax, ay = project(*label.anchors[0])
            out[label.key][zoom] = (round(centre[0] - ax), round(centre[1] - ay))
        scale_previous = zoom
    return out


def _rescale(key: str, centre: tuple[float, float], labels: Sequence[Label], before, after) -> tuple[float, float]:
    """Carry a label's centre to another zoom: the same pixel offset from the nearest of its anchors."""
    label = next(lb for lb in labels if lb.key == key)
    best = min(label.anchors, key=lambda a: math.dist(before(*a), centre))
    bx, by = before(*best)
    ax, ay = after(*best)
    return ax + centre[0] - bx, ay + centre[1] - by


def first_zoom(table: dict[int, tuple[int, int] | None]) -> int | None:
    """Return the first zoom at which a label shows (``None`` if at none).

    Examples
    --------
    >>> first_zoom({10: None, 11: (0, 0), 12: (0, 0)})
    11
    """
    return next((z for z, v in sorted(table.items()) if v is not None), None)

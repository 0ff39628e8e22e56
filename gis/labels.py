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
  or nothing. Zooms are placed from the nearest out, and only labels shown at
  the next nearer zoom are candidates (in their place there, where it is still
  free), so each label shows from one zoom on and at every zoom nearer. The page
  applies the table when the zoom changes, so that no two labels overlap at any zoom.
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
#: Zoom levels the web maps place labels for (Leaflet's integer zooms); farther out, a map shows no labels.
ZOOMS = range(8, 19)

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


def _offsets(size: tuple[float, float], around: bool, far: bool = False) -> list[tuple[float, float]]:
    w, h = size
    beside = [(w / 2 + 4, 0.0), (-(w / 2 + 4), 0.0), (0.0, -(h / 2 + 6)), (0.0, h / 2 + 6)]
    near = beside if around else [(0.0, 0.0), (0.0, -h), (0.0, h), *beside[:2], (0.0, -2 * h), (0.0, 2 * h)]
    if not far:
        return near
    ring = []
    for reach in (3, 5, 8):  # away from the anchor, to be joined to it by a leader line
        for angle in range(0, 360, 30):
            a = math.radians(angle)
            ring.append(((w / 2 + reach * h) * math.cos(a), (h / 2 + reach * h) * math.sin(a)))
    return near + ring


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


def candidates(label: Label, project: Callable[[float, float], tuple[float, float]], *,
               far: bool = False) -> list[tuple[float, float]]:
    """Return the centres (px) a label may take, best first (``far``: then farther off, for a leader line)."""
    out = []
    for anchor in label.anchors:
        x, y = project(*anchor)
        out.extend((x + dx, y + dy) for dx, dy in _offsets(label.size, label.around))
    if far:
        x, y = project(*label.anchors[0])
        out.extend((x + dx, y + dy) for dx, dy in _offsets(label.size, label.around, far=True)[len(out) // max(
            len(label.anchors), 1):])
    return out


def is_far(label: Label, centre: tuple[float, float], project: Callable[[float, float], tuple[float, float]]) -> bool:
    """Return whether a label was placed away from every anchor (and needs a leader line to its feature)."""
    w, h = label.size
    return all(math.dist(project(*a), centre) > max(w / 2 + 4, 2 * h) + 1 for a in label.anchors)


def place(labels: Iterable[Label], project: Callable[[float, float], tuple[float, float]],
          obstacles: Iterable[Box] = (), *, keep: dict[str, tuple[float, float]] | None = None,
          bounds: Box | None = None, far: bool = False, soft: bool = True) -> dict[str, tuple[float, float] | None]:
    """Place labels greedily by priority; return each label's box centre (px), or ``None`` where none is free.

    Parameters
    ----------
    labels : iterable of Label
        The labels.
    project : callable
        Maps an anchor to pixels.
    obstacles : iterable of box
        Boxes labels keep clear of (circles of point features, the scale bar).
    keep : dict, optional
        Centres that labels had before (at the nearer zoom): those labels are
        placed first, and in their old place where it is free.
    bounds : box, optional
        A label must lie wholly inside (the map's frame on paper).
    far : bool
        When no place near a label's anchors is free, try places farther off (paper: the label is then
        joined to its feature by a leader line; a web map shows it at a higher zoom instead).
    soft : bool
        Where no place clear of the obstacles is free, let a label lie over one (never over another label).
    """
    placed: list[Box] = []
    hard = list(obstacles)
    out: dict[str, tuple[float, float] | None] = {}
    keep = keep or {}
    order = sorted(labels, key=lambda lb: (lb.key not in keep, lb.priority))
    for label in order:
        options = candidates(label, project, far=far)
        if label.key in keep:
            options.insert(0, keep[label.key])
        boxes = [(centre, _box(*centre, label.size)) for centre in options]
        if bounds is not None:
            boxes = [(c, b) for c, b in boxes if bounds[0] <= b[0] and b[2] <= bounds[2] and bounds[1] <= b[1]
                     and b[3] <= bounds[3]]
        free = [(c, b) for c, b in boxes if not any(overlaps(b, other) for other in placed)]
        clear = [(c, b) for c, b in free if not any(overlaps(b, other) for other in hard)]
        # Clear of every label and obstacle if possible; else clear of labels (drawn above a circle, on its halo).
        chosen = clear[0] if clear else (free[0] if free and soft else None)
        out[label.key] = chosen[0] if chosen else None
        if chosen:
            placed.append(chosen[1])
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
    shown = {label.key for label in labels}
    previous = None
    for zoom in sorted(zooms, reverse=True):  # from near to far: what shows at a zoom shows at every nearer one
        project = mercator(zoom)
        if previous is not None:  # the nearer zoom's centres, carried to this zoom (offsets kept in px)
            keep = {key: _rescale(key, centre, labels, mercator(previous), project) for key, centre in keep.items()}
        boxes = []
        for lon, lat, radius in obstacles:
            x, y = project(lon, lat)
            boxes.append((x - radius, y - radius, x + radius, y + radius))
        candidates_here = [label for label in labels if label.key in shown]
        centres = place(candidates_here, project, boxes, keep=keep)
        keep = {key: c for key, c in centres.items() if c is not None}
        shown = set(keep)
        for label in labels:
            centre = centres.get(label.key)
            if centre is None:
                out[label.key][zoom] = None
                continue
            ax, ay = project(*label.anchors[0])
            out[label.key][zoom] = (round(centre[0] - ax), round(centre[1] - ay))
        previous = zoom
    return {key: dict(sorted(table.items())) for key, table in out.items()}


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

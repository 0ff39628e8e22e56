"""Siting review against the bureau's own control layers (用地预审 / 合规性审查): ``gis review``.

A *review profile* is data (TOML): a ``title`` and ``[[constraint]]`` tables,
each naming a control layer — 生态保护红线, 永久基本农田, 城镇开发边界, 规划分区 … —
by ``source`` (a file relative to the profile, a shipped layer, or a
``postgresql://`` URL), optional ``layer``, the ``rule`` to apply and the
``clause`` it comes from; and an optional ``[land_use]`` table (the current
land-use survey, 国土变更调查 DLTB) with ``source``, optional ``layer`` and the
``field`` holding 2023 用地用海 codes::

    title = "某项目用地预审"

    [[constraint]]
    name = "生态保护红线"
    source = "data/stbhhx.gpkg"
    rule = "must_not_overlap"      # any overlap fails; the overlap is reported
    clause = "《生态保护红线管理办法》"
    category = "生态保护红线"       # optional: 永久基本农田, 城镇开发边界 … (shown on their own lines)
    date = "2023年国土变更调查"      # optional: the data's date, printed with the sources

    [[constraint]]
    name = "城镇开发边界"
    source = "data/czkfbj.shp"
    rule = "must_be_within"        # fails unless the whole site is inside; the area outside is reported

    [land_use]
    source = "data/dltb.gpkg"
    field = "DLBM2023"

Further keys are welcome (kept in ``extra``): ``where`` filters features as map
definitions do, ``id_field``/``name_field`` name the fields of the 占用清单.

:func:`review` measures, for every site, its ellipsoidal area; for every
constraint the overlap (the area of the site inside the constraint's features,
overlaps among them counted once), the share of the site, the verdict —
``通过``, ``不通过``, ``无法判断`` (a layer that cannot be read or whose CRS cannot be
reconciled, a layer with no features at all, a site without area), or ``仅量算`` for a
``report`` rule — and the
features touched (占用清单); the site's area by land-use class and by the three
statutory classes (农用地 / 建设用地 / 未利用地, :func:`gis.landuse.three_class`)
with 耕地 and 永久基本农田 on their own lines; and the plans' own rules that
concern the site, as ``gis site`` gives them. A point site is reviewed by its
position, a line by its length, and the result says so.

Control layers are read only where the sites are (a bounding-box filter the
file's spatial index, a GeoParquet bbox column or the table's GiST index
answers). The pairs of sites and features come from one spatial-index query.
A pair of convex polygons (a site drawn as a rectangle, most parcels of a
survey) is clipped by a compiled loop wherever the two lie (inside, across or
apart: :mod:`gis.clip`); of the other pairs, a feature wholly inside a site, or
a site wholly inside a feature, is measured without cutting, and only the pairs
that cross are cut by GEOS. A feature that only touches a site with an area is
no pair of it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from gis.clip import clipped_areas, clipped_pair_areas
from gis.config import Table, load_toml
from gis.crs import LAYER_CRS
from gis.dissolve import interiors_meet
from gis.errors import ConfigError, InputError
from gis.geometry import (
    EDGE_TOLERANCE,
    LINE_TYPES,
    POINT_TYPES,
    SLIVER_M2,
    THREADS,
    collector_paused,
    line_length,
    parallel,
    polygon_area,
    quick_handover,
)
from gis.landuse import LAND_USE_2023, THREE_CLASSES, UNCLASSIFIED, is_cultivated, three_class, three_class_table
from gis.rules import FAIL, PASS, UNKNOWN
from gis.units import (
    balanced_round,
    balanced_round_groups,
    from_square_metres,
    round_half_up,
    round_half_up_each,
)

#: The rules a constraint may name.
RULES: dict[str, str] = {
    "must_not_overlap": "不得占用",
    "must_be_within": "须位于范围内",
    "report": "仅量算",
}
#: A polygon site smaller than this (m²) has no area to review (a degenerate or collapsed polygon).
MIN_SITE_M2 = 0.01
#: The verdict of a ``report`` constraint: it measures, it does not judge.
MEASURED = "仅量算"
#: Keys of a constraint table the review reads (others are kept in ``extra``).
_CONSTRAINT_KEYS = ("name", "source", "layer", "rule", "clause", "category", "date", "where", "id_field",
                    "name_field", "note")
#: Fields tried, in order, for the id and the name of a control layer's features.
ID_FIELDS = ("id", "BSM", "bsm", "TBBH", "tbbh", "OBJECTID", "FID", "fid")
NAME_FIELDS = ("name", "NAME", "MC", "mc", "DLMC", "dlmc", "GHFQMC", "YSMC", "HXMC")


def _by_area(kinds: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Return, per site, whether it is measured by its area: a polygon of at least :data:`MIN_SITE_M2`."""
    return ~np.isin(kinds, (*POINT_TYPES, *LINE_TYPES)) & (np.asarray(size, dtype=float) >= MIN_SITE_M2)


@dataclass(frozen=True)
class Constraint:
    """One control layer of a profile and the rule a site must meet against it."""

    name: str
    source: str
    rule: str
    clause: str = ""
    layer: str | None = None
    category: str | None = None
    date: str | None = None
    where: Mapping[str, Any] = field(default_factory=dict)
    id_field: str | None = None
    name_field: str | None = None
    note: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LandUse:
    """The current land-use layer of a profile and its code field."""

    source: str
    field: str
    layer: str | None = None
    date: str | None = None
    name: str = "现状地类"
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    """A review profile: title, constraints and an optional land-use layer, read from ``path``."""

    title: str
    constraints: tuple[Constraint, ...]
    land_use: LandUse | None = None
    path: Path | None = None
    note: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        """The folder relative ``source`` paths start from."""
        return self.path.parent if self.path is not None else Path.cwd()


def _source_ok(source: str, folder: Path) -> bool:
    from gis.layers import is_shipped_layer
    from gis.postgis import is_postgis

    if is_postgis(source) or is_shipped_layer(source):
        return True
    path = Path(source)
    return (path if path.is_absolute() else folder / path).exists()


def load_profile(path: str | os.PathLike[str]) -> Profile:
    """Read and check a review profile.

    Raises
    ------
    ConfigError
        One line naming the profile, the entry (``constraint 2 (生态保护红线)``) and what
        to fix: an unknown rule, a missing source, a missing key.

    Examples
    --------
    >>> p = load_profile(example_profile_path())
    >>> p.constraints[0].rule in RULES
    True
    """
    path = Path(path)
    top = Table(load_toml(path), path)
    title = top.text("title")
    note = top.text("note", None)
    raw = top.items("constraint", [])
    raw_land_use = top.table("land_use", None)
    extra = {k: v for k, v in top.data.items() if k not in ("title", "note", "constraint", "land_use")}
    constraints = []
    seen: set[str] = set()
    for number, item in enumerate(raw, start=1):
        label = item.get("name") if isinstance(item, Mapping) else None
        t = Table(item, path, f"constraint {number}" + (f" ({label})" if isinstance(label, str) else ""))
        name = t.text("name")
        if name in seen:
            raise t.fail(f"`name` {name!r} is used twice; give each constraint its own name")
        seen.add(name)
        source = t.text("source")
        rule = t.text("rule")
        if rule not in RULES:
            raise t.fail(f"unknown `rule` {rule!r}; use one of {', '.join(RULES)}")
        if not _source_ok(source, path.parent):
            raise t.fail(f"`source` {source!r} is neither a file beside the profile, a shipped layer nor a "
                         "postgresql:// URL; fix the path (relative paths start at the profile's folder)")
        where = t.table("where", {})
        constraint = Constraint(
            name=name, source=source, rule=rule, clause=t.text("clause", ""), layer=t.text("layer", None),
            category=t.text("category", None), date=t.text("date", None), where=where,
            id_field=t.text("id_field", None), name_field=t.text("name_field", None), note=t.text("note", None),
            extra={k: v for k, v in t.data.items() if k not in _CONSTRAINT_KEYS},
        )
        t.done(extra_ok=True)
        constraints.append(constraint)
    land_use = None
    if raw_land_use is not None:
        t = Table(raw_land_use, path, "land_use")
        source = t.text("source")
        if not _source_ok(source, path.parent):
            raise t.fail(f"`source` {source!r} is neither a file beside the profile, a shipped layer nor a "
                         "postgresql:// URL")
        land_use = LandUse(source=source, field=t.text("field"), layer=t.text("layer", None),
                           date=t.text("date", None), name=t.text("name", "现状地类"),
                           extra={k: v for k, v in t.data.items() if k not in ("source", "field", "layer", "date",
                                                                                 "name")})
        t.done(extra_ok=True)
    if not constraints and land_use is None:
        raise top.fail("no [[constraint]] and no [land_use]: there is nothing to review against")
    top.done(extra_ok=True)
    return Profile(title=title, constraints=tuple(constraints), land_use=land_use, path=path, note=note,
                   extra=extra)


def example_profile_path() -> Path:
    """Return the example profile shipped with the toolkit (it uses only the shipped layers)."""
    source_tree = Path(__file__).resolve().parents[1] / "profiles" / "example.toml"
    if source_tree.is_file():
        return source_tree
    from importlib import resources

    return Path(str(resources.files("gis") / "profiledata" / "example.toml"))


# --- reading the control layers where the sites are ---------------------------------------------------

@dataclass
class LayerRead:
    """A control layer as read for a review: its features, or why it could not be read."""

    name: str
    source: str
    features: gpd.GeoDataFrame | None
    reason: str | None = None
    notes: list[str] = field(default_factory=list)
    modified: str | None = None
    crs: str | None = None
    read_whole: bool = False


def _describe_source(source: str) -> str:
    from gis.postgis import is_postgis, safe_url

    return safe_url(source) if is_postgis(source) else source


def read_control_layer(source: str, *, layer: str | None, folder: Path, bbox, where: Mapping[str, Any],
                       label: str, columns: list[str] | None = None) -> LayerRead:
    """Read one control layer, only where ``bbox`` is, into EPSG:4326.

    A layer without a CRS, or a missing file, is the profile's fault and raises
    :class:`ConfigError` (one line naming ``label``); a layer that exists but cannot
    be read (a corrupt file, a database that does not answer) or whose CRS cannot
    be reconciled with its coordinates gives a :class:`LayerRead` with a reason, so
    that its verdicts are 无法判断 rather than a silent pass.
    """
    from gis.crs import to_lonlat
    from gis.errors import CRSError, DataSourceError, LayerNotFoundError
    from gis.layers import holds_no_features, is_shipped_layer, open_source
    from gis.postgis import is_postgis

    shown = _describe_source(source)
    target = source
    modified = None
    if not (is_postgis(source) or is_shipped_layer(source)):
        path = Path(source)
        path = path if path.is_absolute() else folder / path
        if not path.exists():
            raise ConfigError(f"{label}: `source` {source!r} does not exist; fix the path in the profile")
        target = str(path)
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d")
    try:
        gdf, info = open_source(target, layer=layer, bbox=bbox,
                                columns=None if columns is None else [*columns, *where])
    except LayerNotFoundError as exc:
        raise ConfigError(f"{label}: {exc}; fix `layer` in the profile") from None
    except CRSError as exc:
        if "no CRS" in str(exc):
            raise ConfigError(f"{label}: {exc}; give the layer a .prj (or a CRS) before reviewing against it") \
                from None
        return LayerRead(label, shown, None, reason=f"坐标系无法换算（CRS cannot be reconciled: {exc}）",
                         modified=modified)
    except (DataSourceError, OSError) as exc:
        return LayerRead(label, shown, None, reason=f"无法读取（cannot be read: {exc}）", modified=modified)
    if gdf.crs is None:
        raise ConfigError(f"{label}: {shown} has no CRS; give the layer a .prj (or an SRID) before reviewing")
    if not len(gdf) and holds_no_features(target, layer=layer):  # none near the sites, or none at all?
        return LayerRead(label, shown, None, reason="图层没有任何要素（the layer holds no features at all; check that "
                         "it is the right file and layer）", modified=modified)
    try:
        gdf = to_lonlat(gdf, shown)
    except CRSError as exc:  # a datum PROJ has no parameters for: positions tens of metres off
        return LayerRead(label, shown, None, reason=f"坐标系无法换算（CRS cannot be reconciled: {exc}）",
                         modified=modified)
    except Exception as exc:  # PROJ has no path between the layer's CRS and lon/lat
        return LayerRead(label, shown, None, reason=f"坐标系 {gdf.crs.name} 无法换算（cannot be reconciled: {exc}）",
                         modified=modified)
    before = len(gdf)
    for key, value in where.items():
        if key not in gdf.columns:
            raise ConfigError(f"{label}: `where` names the field {key!r}, which {shown} does not have")
        # Compared as text: a code the profile quotes ("2001") matches the number a layer stores (2001, 2001.0).
        wanted = [str(v) for v in (value if isinstance(value, list) else [value])]
        gdf = gdf[_as_text(gdf[key]).isin(wanted).to_numpy()]
    where_note = (f"{label}: `where` {dict(where)} keeps none of the {before} features read near the sites; "
                  "check the field's values" if where and before and not len(gdf) else None)
    values = np.asarray(gdf.geometry.values, dtype=object)
    keep = ~(shapely.is_missing(values) | shapely.is_empty(values))
    gdf = gdf[keep]
    invalid = ~parallel(shapely.is_valid, np.asarray(gdf.geometry.values, dtype=object))  # GEOS frees the GIL
    notes = list(info.notes) + ([where_note] if where_note else [])
    if invalid.any():
        gdf = gdf.copy()
        gdf.loc[invalid, gdf.geometry.name] = shapely.make_valid(np.asarray(gdf.geometry.values, dtype=object)[invalid])
        notes.append(f"{label}: {int(invalid.sum())} invalid geometr{'y' if invalid.sum() == 1 else 'ies'} repaired")
    return LayerRead(label, shown, gdf.reset_index(drop=True), notes=notes, modified=modified,
                     crs=str(LAYER_CRS), read_whole=any("whole dataset" in n for n in notes))


def _pick(gdf: gpd.GeoDataFrame, wanted: str | None, candidates: tuple[str, ...]) -> str | None:
    if wanted:
        if wanted not in gdf.columns:
            raise ConfigError(f"the layer has no field {wanted!r}")
        return wanted
    return next((c for c in candidates if c in gdf.columns), None)


# --- measuring sites against features ---------------------------------------------------------------------

#: Pairs of polygons from which :func:`pair_amounts` measures in halves on two threads (a big land-use layer).
PAIRS_PARALLEL_ABOVE: int = 40_000

@dataclass
class Pairs:
    """Every (site, feature) pair that touches, with the amount of the site inside the feature."""

    site: np.ndarray
    feature: np.ndarray
    amount: np.ndarray        # m² for polygon sites, m for line sites, 1/0 for point sites
    piece: np.ndarray | None  # the piece inside, where made (None where measured uncut, or clipped: gis.clip)


def pair_amounts(sites: np.ndarray, kinds: np.ndarray, site_size: np.ndarray, features: np.ndarray) -> Pairs:
    """Find and measure all (site, feature) pairs that share something, with one spatial-index query.

    For a site with an area, every feature whose box meets the site's is a
    candidate: a pair of convex polygons is clipped at once
    (:func:`gis.clip.clipped_pair_areas`); of the others, a feature wholly inside
    a site counts its own area, a site wholly inside a feature the site's, and
    only the pairs that cross are cut. A pair with no area in common (apart, or
    touching only) is left out. Lines count their length inside; points count 1
    when inside (or within :data:`~gis.geometry.EDGE_TOLERANCE`).
    """
    empty = Pairs(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), None)
    if not len(features) or not len(sites):
        return empty
    # Prepared geometries (which the queries and predicates below make of the sites) build their indexes
    # lazily and must not be shared between threads: layers are measured side by side, and a big layer's
    # pairs in halves. Every call, and every half, works on copies of its own.
    sites = shapely.transform(sites, lambda xy: xy)
    tree = shapely.STRtree(features)
    is_point = np.isin(kinds, POINT_TYPES)
    is_line = np.isin(kinds, LINE_TYPES)
    parts = []
    # Sites with an area: every feature whose box meets the site's. Where both are convex polygons, the pair
    # is clipped at once (inside, outside or across: gis.clip), the pieces left unmade; the other pairs are
    # tested and measured below.
    clipped = (empty.site, empty.feature, empty.amount)
    by_area = _by_area(kinds, site_size)
    polygons = np.flatnonzero(by_area)
    if len(polygons):
        s, f = tree.query(sites[polygons])
        s = polygons[s]
        area = clipped_pair_areas(sites, s, features, f)
        done = ~np.isnan(area)
        inside = done & (area > 0)
        clipped = (s[inside], f[inside], area[inside])
        rest = np.flatnonzero(~done)
        meet = shapely.intersects(sites[s[rest]], features[f[rest]])
        parts.append((s[rest[meet]], f[rest[meet]]))
    others = np.flatnonzero(~is_point & ~by_area)
    if len(others):  # lines, and polygons without area
        s, f = tree.query(sites[others], predicate="intersects")
        parts.append((others[s], f))
    if is_point.any():
        idx = np.flatnonzero(is_point)
        s, f = tree.query(sites[idx], predicate="dwithin", distance=EDGE_TOLERANCE)
        parts.append((idx[s], f))
    si = np.concatenate([p[0] for p in parts]) if parts else empty.site
    fj = np.concatenate([p[1] for p in parts]) if parts else empty.feature
    if not len(si) and not len(clipped[0]):
        return empty
    amount = np.zeros(len(si))
    pieces = np.full(len(si), None, dtype=object)
    point_pair = is_point[si]
    amount[point_pair] = 1.0
    areal = np.flatnonzero(~point_pair & ~is_line[si])
    if len(areal):
        a_si, a_fj = si[areal], fj[areal]
        out = np.zeros(len(areal))
        got = np.empty(len(areal), dtype=object)
        many = len(areal) >= PAIRS_PARALLEL_ABOVE and THREADS > 1
        chunks = np.array_split(np.arange(len(areal)), THREADS) if many else [np.arange(len(areal))]

        def measure(chunk: np.ndarray) -> None:
            own = shapely.transform(sites, lambda xy: xy) if many else sites
            shapely.prepare(own)
            out[chunk], got[chunk] = _areal_amounts(own, site_size, features, a_si[chunk], a_fj[chunk],
                                                    threads=not many)

        if many:
            with ThreadPoolExecutor(max_workers=THREADS) as pool:
                list(pool.map(measure, chunks))
        else:
            measure(chunks[0])
        amount[areal] = out
        pieces[areal] = got
    linear = np.flatnonzero(is_line[si])
    if len(linear):
        got = shapely.intersection(sites[si[linear]], features[fj[linear]])
        amount[linear] = line_length(got)
        pieces[linear] = got
    # A site with an area keeps the features it has some of: a feature that only touches it is no pair.
    kept = ~(by_area[si] & (amount <= 0))
    return Pairs(np.r_[si[kept], clipped[0]], np.r_[fj[kept], clipped[1]], np.r_[amount[kept], clipped[2]],
                 np.r_[pieces[kept], np.full(len(clipped[0]), None, dtype=object)])


def _areal_amounts(sites: np.ndarray, site_size: np.ndarray, features: np.ndarray, a_si: np.ndarray,
                   a_fj: np.ndarray, *, threads: bool) -> tuple[np.ndarray, np.ndarray]:
    """Measure the pairs ``(sites[a_si], features[a_fj])`` of polygons: the area of each site inside its feature.

    A feature wholly inside a site counts its own area; a site wholly inside a feature counts the site's; the
    pairs that cross are clipped (:func:`gis.clip.clipped_areas`) or, where neither ring is convex, cut by
    GEOS. ``threads``: GEOS may run on threads of its own (the caller is not already on several).
    """
    run = parallel if threads else (lambda func, *arrays: func(*arrays))
    # One geometry can cover another only if its box holds the other's box: the exact test runs on those.
    sb, fb = shapely.bounds(sites)[a_si], shapely.bounds(features)[a_fj]
    n = len(a_si)
    site_in = np.zeros(n, dtype=bool)
    maybe = np.flatnonzero((fb[:, 0] <= sb[:, 0]) & (fb[:, 1] <= sb[:, 1]) & (fb[:, 2] >= sb[:, 2])
                           & (fb[:, 3] >= sb[:, 3]))
    if len(maybe):  # the site lies wholly in the feature
        site_in[maybe] = run(shapely.covers, features[a_fj[maybe]], sites[a_si[maybe]])
    feat_in = np.zeros(n, dtype=bool)
    maybe = np.flatnonzero(~site_in & (sb[:, 0] <= fb[:, 0]) & (sb[:, 1] <= fb[:, 1]) & (sb[:, 2] >= fb[:, 2])
                           & (sb[:, 3] >= fb[:, 3]))
    if len(maybe):  # the feature lies wholly in the site
        feat_in[maybe] = shapely.covers(sites[a_si[maybe]], features[a_fj[maybe]])
    cut = ~site_in & ~feat_in
    out = np.zeros(n)
    got = np.empty(n, dtype=object)
    out[site_in] = site_size[a_si[site_in]]
    got[site_in] = sites[a_si[site_in]]
    if feat_in.any():
        out[feat_in] = polygon_area(features[a_fj[feat_in]])
        got[feat_in] = features[a_fj[feat_in]]
    if cut.any():  # clipped by the convex one of the two where one is (gis.clip); GEOS cuts the rest
        crossing = np.flatnonzero(cut)
        area = clipped_areas(sites[a_si[crossing]], features[a_fj[crossing]])
        rest = crossing[np.isnan(area)]
        if len(rest):
            got[rest] = run(shapely.intersection, sites[a_si[rest]], features[a_fj[rest]])
            area[np.isnan(area)] = polygon_area(got[rest])
        out[crossing] = area
    return out, got


def _counted_once(pairs: Pairs, sites: np.ndarray, kinds: np.ndarray, features: np.ndarray) -> np.ndarray:
    """Return the amount of each site inside the union of its features (overlapping features counted once).

    The features a site touches are tested pairwise for interiors that meet (their
    own geometries, not the cut pieces, whose edges carry the floating point of
    the cut) by more than a sliver; only a site whose features overlap has its
    pieces unioned.
    """
    n_sites = len(sites)
    total = np.bincount(pairs.site, weights=pairs.amount, minlength=n_sites)
    if not len(pairs.site):
        return total
    is_point = np.isin(kinds, POINT_TYPES)
    total[is_point] = np.minimum(total[is_point], 1.0)
    counts = np.bincount(pairs.site, minlength=n_sites)
    several = np.flatnonzero((counts > 1) & ~is_point)
    if not len(several):
        return total
    chosen = np.flatnonzero(np.isin(pairs.site, several))
    owners, feats = pairs.site[chosen], pairs.feature[chosen]
    tree = shapely.STRtree(features[feats])
    a, b = tree.query(features[feats])
    keep = (owners[a] == owners[b]) & (a < b)
    a, b = a[keep], b[keep]
    # Whose interiors meet: separating lines first (the features of a control layer are mostly a coverage's
    # neighbours), GEOS for the rest (gis.dissolve.interiors_meet).
    meet = np.flatnonzero(interiors_meet(features, feats[a], features, feats[b]))
    if len(meet):  # edges shared without shared vertices meet by floating noise: a real overlap has area
        shared = polygon_area(shapely.intersection(features[feats[a[meet]]], features[feats[b[meet]]]))
        meet = meet[shared > SLIVER_M2]
    for s in np.unique(owners[a[meet]]):
        mine = chosen[owners == s]
        pieces = pairs.piece[mine].copy()
        unmade = np.flatnonzero(np.equal(pieces, None) & (pairs.amount[mine] > 0))  # clipped: measured only
        if len(unmade):
            pieces[unmade] = shapely.intersection(sites[s], features[pairs.feature[mine[unmade]]])
        union = shapely.union_all(pieces)
        total[s] = float(line_length([union])[0]) if np.isin(kinds[s], LINE_TYPES) else float(polygon_area([union])[0])
    return total


# --- the review -----------------------------------------------------------------------------------------

def _round2(value: float) -> float:
    return round_half_up(float(value), 2)


def _mu(m2: float) -> float:
    return round_half_up(float(from_square_metres(float(m2), "mu")), 2)


def _ha(m2: float) -> float:
    return round_half_up(float(from_square_metres(float(m2), "ha")), 4)


@dataclass
class ReviewResult:
    """A review: one JSON-ready entry per site, with what was read and from where."""

    profile: Profile
    sites: list[dict]
    layers: list[dict]
    notes: list[str]
    land_use_source: str | None = None
    three_class_source: str = ""
    created: str = ""

    def as_json(self) -> list[dict]:
        """Return the machine interface: the list of sites (see :func:`review`)."""
        return self.sites


def _site_measure(kind: int) -> str:
    if kind in POINT_TYPES:
        return "position"
    if kind in LINE_TYPES:
        return "length"
    return "area"


def review(sites: gpd.GeoDataFrame, profile: Profile | str | os.PathLike[str], *, id_field: str = "id",
           name_field: str = "name", what: str = "sites", rules: bool = True) -> ReviewResult:
    """Review candidate sites against a profile's control layers (see the module docstring).

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Polygons (or points or lines) in any CRS, with an id field.
    profile : Profile or path
        The review profile, or the path of its TOML file.
    id_field, name_field : str
        The sites' id and name fields (a missing name field gives the id as name).
    what : str
        How to name the sites in messages.
    rules : bool
        Also evaluate the plans' own rules that concern each site (as ``gis site``).

    Returns
    -------
    ReviewResult
        ``sites`` is a list with, per site: ``id``, ``name``, ``geometry_type``,
        ``measure`` (``area``, ``length`` or ``position``), ``area_m2``, ``area_mu``,
        ``area_ha`` (ellipsoidal; ``None`` for points and lines), ``length_m`` (lines),
        ``constraints`` — each ``{"name", "rule", "clause", "category", "verdict",
        "reason", "overlap_m2", "overlap_mu", "share", "outside_m2", "features":
        [{"id", "name", "overlap_m2"}]}`` (``overlap_m2`` is always the area of the site
        inside the constraint's features; lines add ``overlap_length_m``) — ``land_use``
        (``{"class", "level", "area_m2", "area_mu"}`` rows: by code, by the three classes,
        and the 其中 lines of 耕地 and 永久基本农田) and ``rules``.
    """
    from gis.overlay import prepare

    if not isinstance(profile, Profile):
        profile = load_profile(profile)
    check_review_sites(sites, id_field)
    frame = prepare(sites, id_field, what)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    kinds = shapely.get_type_id(geoms)
    ids = _as_text(frame[id_field]).to_numpy()
    named = _as_text(frame[name_field]).to_numpy() if name_field in frame.columns else ids
    names = np.where(np.char.strip(named.astype(str)) != "", named, ids)  # a site without a name: its id
    n = len(frame)
    size = np.zeros(n)
    areal = ~np.isin(kinds, (*POINT_TYPES, *LINE_TYPES))
    if areal.any():
        size[areal] = polygon_area(geoms[areal])
    lines = np.isin(kinds, LINE_TYPES)
    if lines.any():
        size[lines] = line_length(geoms[lines])
    pad = 1e-4  # degrees (~10 m): a feature within the tolerance of a site's edge is read too
    bbox = shapely.bounds(geoms) + np.array([-pad, -pad, pad, pad])  # one box per site: read only where sites are
    entries = [_site_entry(i, ids, names, kinds, size) for i in range(n)]
    stem = profile.path.name if profile.path else "profile"

    def constraint_job(c: Constraint) -> tuple[LayerRead, list[dict]]:
        wanted = [*([c.id_field] if c.id_field else ID_FIELDS), *([c.name_field] if c.name_field else NAME_FIELDS)]
        read = read_control_layer(c.source, layer=c.layer, folder=profile.folder, bbox=bbox, where=c.where,
                                  label=f"{stem}: constraint {c.name}", columns=wanted)
        return read, _judge(c, read, geoms, kinds, size)

    def land_use_job(lu: LandUse):
        label = f"{stem}: land_use"
        read = read_control_layer(lu.source, layer=lu.layer, folder=profile.folder, bbox=bbox, where={},
                                  label=label, columns=[lu.field])
        return read, _land_use_pairs(lu, read, geoms, kinds, size, label)

    # The layers are read and measured side by side: reading (pyarrow, GDAL), GEOS and the compiled loops
    # release the GIL. The current land use, the biggest layer as a rule, goes first, so that the constraints
    # share the other thread.
    with collector_paused(), quick_handover(), ThreadPoolExecutor(max_workers=THREADS) as pool:
        land_job = pool.submit(land_use_job, profile.land_use) if profile.land_use is not None else None
        jobs = [pool.submit(constraint_job, c) for c in profile.constraints]
        land = land_job.result() if land_job is not None else None
        if land is not None:  # tabulated here while the constraints are still measured
            land_rows = _land_use_rows(land[1], land[0], kinds, size)
        done = [job.result() for job in jobs]
    notes: list[str] = []
    layers_info: list[dict] = []
    farmland: dict[int, float] = {}
    for c, (read, results) in zip(profile.constraints, done, strict=True):
        notes.extend(read.notes)
        layers_info.append(_layer_info(c.name, read, c.layer, c.rule, c.clause, c.date))
        for i, result in enumerate(results):
            entries[i]["constraints"].append(result)
            if _is_farmland(c) and result["verdict"] != UNKNOWN:
                farmland[i] = farmland.get(i, 0.0) + result["overlap_m2"]
    land_source = None
    if land is not None:
        lu, (read, measured) = profile.land_use, land
        notes.extend(read.notes)
        land_source = read.source
        layers_info.append(_layer_info(lu.name, read, lu.layer, "land_use", "", lu.date))
        by_area = _by_area(kinds, size)
        for i, rows in enumerate(land_rows):
            if i in farmland and measured is not None and by_area[i]:
                rows.append({"class": "其中：永久基本农田", "level": "其中", "area_m2": _round2(farmland[i]),
                             "area_mu": _mu(farmland[i])})
            entries[i]["land_use"] = rows
    if rules:
        _plan_rules(frame, entries, id_field, ids, names)
    source, _ = three_class_table()
    return ReviewResult(profile=profile, sites=entries, layers=layers_info, notes=notes, land_use_source=land_source,
                        three_class_source=source, created=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))


def _layer_info(name: str, read: LayerRead, layer, rule: str, clause: str, date) -> dict:
    return {"name": name, "source": read.source, "layer": layer, "rule": rule, "clause": clause, "date": date,
            "modified": read.modified, "features_read": None if read.features is None else len(read.features),
            "reason": read.reason}


_TYPE_NAMES = {int(t): n for t, n in ((shapely.GeometryType.POINT, "Point"), (shapely.GeometryType.MULTIPOINT,
               "MultiPoint"), (shapely.GeometryType.LINESTRING, "LineString"), (shapely.GeometryType.MULTILINESTRING,
               "MultiLineString"), (shapely.GeometryType.POLYGON, "Polygon"),
               (shapely.GeometryType.MULTIPOLYGON, "MultiPolygon"))}


def _site_entry(i: int, ids, names, kinds, size) -> dict:
    kind = int(kinds[i])
    measure = _site_measure(kind)
    entry: dict[str, Any] = {"id": ids[i], "name": names[i], "geometry_type": _TYPE_NAMES.get(kind, "Geometry"),
                             "measure": measure}
    if measure == "area":
        entry.update({"area_m2": _round2(size[i]), "area_mu": _mu(size[i]), "area_ha": _ha(size[i])})
        if size[i] < MIN_SITE_M2:
            entry["note"] = "选址无面积：按面积的规则无法判断"
    else:
        entry.update({"area_m2": None, "area_mu": None, "area_ha": None})
        entry["note"] = ("点状选址：按位置审查（是否位于图层内）" if measure == "position"
                         else "线状选址：按位于各图层内的长度审查")
        if measure == "length":
            entry["length_m"] = _round2(size[i])
    entry["constraints"] = []
    entry["land_use"] = []
    entry["rules"] = []
    return entry


def _is_farmland(c: Constraint) -> bool:
    """Return whether the constraint is the 永久基本农田 whose occupation is the land use's 其中 line.

    Its ``category`` says so; without one, a constraint named just 永久基本农田 (not 永久基本农田储备区 and the
    like, which are other layers).
    """
    return c.category == "永久基本农田" if c.category is not None else c.name.strip() == "永久基本农田"


def _judge(c: Constraint, read: LayerRead, geoms, kinds, size) -> list[dict]:
    n = len(geoms)
    base = {"name": c.name, "rule": c.rule, "rule_text": RULES[c.rule], "clause": c.clause, "category": c.category}
    if read.features is None:
        return [{**base, "verdict": UNKNOWN, "reason": f"图层无法使用：{read.source} {read.reason}", "overlap_m2": None,
                 "overlap_mu": None, "share": None, "outside_m2": None, "features": []} for _ in range(n)]
    feats = read.features
    fgeoms = np.asarray(feats.geometry.values, dtype=object)
    try:
        id_col = _pick(feats, c.id_field, ID_FIELDS)
        name_col = _pick(feats, c.name_field, NAME_FIELDS)
    except ConfigError as exc:
        raise ConfigError(f"constraint {c.name}: {exc}; fix `id_field`/`name_field`") from None
    numbered = pd.Series([f"#{k + 1}" for k in range(len(feats))], index=feats.index)  # the k-th feature read
    fids = (_as_text(feats[id_col]).where(lambda t: t != "", numbered) if id_col else numbered).to_numpy()
    fnames = _as_text(feats[name_col]).to_numpy() if name_col else np.full(len(feats), "", dtype=object)
    pairs = pair_amounts(geoms, kinds, size, fgeoms)
    inside = _counted_once(pairs, geoms, kinds, fgeoms)
    pair_m2 = round_half_up_each(pairs.amount, 2).tolist()
    pair_mu = round_half_up_each(from_square_metres(pairs.amount, "mu"), 2).tolist()
    pair_id, pair_name = fids[pairs.feature].tolist(), fnames[pairs.feature].tolist()
    positive = (pairs.amount > 0).tolist()
    results = []
    order = np.lexsort((-pairs.amount, pairs.site))  # by site, then the largest overlap first
    starts = np.searchsorted(pairs.site[order], np.arange(n + 1))
    for i in range(n):
        mine = order[starts[i]:starts[i + 1]].tolist()
        kind = int(kinds[i])
        measure = _site_measure(kind)
        result = dict(base)
        if measure == "area":
            area = float(size[i])
            over = min(float(inside[i]), area)
            result.update({"overlap_m2": _round2(over), "overlap_mu": _mu(over),
                           "share": round_half_up(over / area, 4) if area > 0 else None,
                           "outside_m2": _round2(max(area - over, 0.0)),
                           "features": [{"id": pair_id[k], "name": pair_name[k], "overlap_m2": pair_m2[k],
                                         "overlap_mu": pair_mu[k]} for k in mine if positive[k]]})
            if area < MIN_SITE_M2:
                result.update(verdict=UNKNOWN, reason="选址无面积，无法按面积判断")
            elif c.rule == "report":
                result.update(verdict=MEASURED, reason="仅量算，不作判断")
            elif c.rule == "must_not_overlap":
                result.update(verdict=FAIL if over > SLIVER_M2 else PASS,
                              reason=(f"占用 {len(result['features'])} 个图斑，共 {_mu(over):,.2f} 亩"
                                      if over > SLIVER_M2 else "未占用"))
            else:
                outside = area - over
                result.update(verdict=FAIL if outside > SLIVER_M2 else PASS,
                              reason=(f"有 {_mu(outside):,.2f} 亩位于范围外" if outside > SLIVER_M2
                                      else "全部位于范围内"))
        elif measure == "length":
            length = float(size[i])
            over = min(float(inside[i]), length)
            result.update({"overlap_m2": 0.0, "overlap_mu": 0.0, "overlap_length_m": _round2(over),
                           "share": round_half_up(over / length, 4) if length > 0 else None,
                           "outside_m2": None, "outside_length_m": _round2(max(length - over, 0.0)),
                           "features": [{"id": pair_id[k], "name": pair_name[k], "overlap_m2": 0.0,
                                         "overlap_length_m": pair_m2[k]} for k in mine if positive[k]]})
            tolerance = 0.1  # m: the coordinate precision of the layers
            if c.rule == "report":
                result.update(verdict=MEASURED, reason="仅量算（按长度）")
            elif c.rule == "must_not_overlap":
                result.update(verdict=FAIL if over > tolerance else PASS,
                              reason=f"线状选址有 {over:,.1f} 米位于图层内（按长度判断）")
            else:
                result.update(verdict=FAIL if length - over > tolerance else PASS,
                              reason=f"线状选址有 {length - over:,.1f} 米位于范围外（按长度判断）")
        else:
            hit = bool(inside[i] >= 1.0)
            result.update({"overlap_m2": 0.0, "overlap_mu": 0.0, "share": 1.0 if hit else 0.0, "outside_m2": None,
                           "features": [{"id": pair_id[k], "name": pair_name[k], "overlap_m2": 0.0} for k in mine]})
            if c.rule == "report":
                result.update(verdict=MEASURED, reason="点状选址，按位置：" + ("位于图层内" if hit else "位于图层外"))
            elif c.rule == "must_not_overlap":
                result.update(verdict=FAIL if hit else PASS,
                              reason="点状选址，按位置：" + ("位于图层内" if hit else "位于图层外"))
            else:
                result.update(verdict=PASS if hit else FAIL,
                              reason="点状选址，按位置：" + ("位于范围内" if hit else "位于范围外"))
        results.append(result)
    return results


def _land_use_pairs(lu: LandUse, read: LayerRead, geoms, kinds, size, label: str):
    """Check the land-use layer's codes and measure every (site, parcel) pair; ``None`` if it could not be read."""
    if read.features is None:
        return None
    feats = read.features
    if lu.field not in feats.columns:
        known = ", ".join(c for c in feats.columns if c != feats.geometry.name)
        raise ConfigError(f"{label}: the layer has no code field {lu.field!r} (`field`); its fields are: {known}")
    raw_codes = feats[lu.field]
    distinct = {v: _code_text(v) for v in pd.unique(raw_codes)}
    bad = sorted(str(v) for v, c in distinct.items() if c not in LAND_USE_2023)
    if bad:
        shown = ", ".join(repr(b) for b in bad[:5])
        raise ConfigError(f"{label}: {len(bad)} code(s) in {lu.field!r} are not codes of the 2023 用地用海分类 "
                          f"({shown}…); recode the layer (三调 codes differ from the 2023 ones)")
    codes = raw_codes.map(distinct).to_numpy()
    features = np.asarray(feats.geometry.values, dtype=object)
    pairs = pair_amounts(geoms, kinds, size, features)
    # What the parcels cover of each site, counted once. A survey's parcels cover the land once, so as a rule
    # the pairs add up to the site's area and that is the answer. A site whose pairs add up to more or less
    # (by over a sliver) has a gap, parcels that overlap, or both: only those are unioned (_counted_once), to
    # tell the two apart. (An overlap and a gap that cancel to within a sliver would go unseen.)
    covered = np.bincount(pairs.site, weights=pairs.amount, minlength=len(geoms))
    off = _by_area(kinds, size) & (np.abs(covered - size) > SLIVER_M2)
    if off.any():
        keep = off[pairs.site]
        some = Pairs(pairs.site[keep], pairs.feature[keep], pairs.amount[keep],
                     None if pairs.piece is None else pairs.piece[keep])
        covered[off] = _counted_once(some, geoms, kinds, features)[off]
    return codes, pairs, covered


def _land_use_rows(measured, read: LayerRead, kinds, size) -> list[list[dict]]:
    """Each site's area by code, by the three statutory classes, and the 其中 line of 耕地.

    (The 其中 line of 永久基本农田 comes from the constraints: :func:`review` adds it.) The sums and the
    rounding run over all sites at once (the same figures as site by site: :func:`balanced_round_groups`).
    """
    n = len(kinds)
    if measured is None:
        return [[{"class": UNKNOWN, "level": "状态", "area_m2": None, "area_mu": None,
                  "reason": f"地类图层无法使用：{read.source} {read.reason}"}] for _ in range(n)]
    codes, pairs, covered_once = measured
    sums = pd.DataFrame({"site": pairs.site, "code": codes[pairs.feature], "m2": pairs.amount}).groupby(
        ["site", "code"], sort=True)["m2"].sum()
    row_site = sums.index.get_level_values("site").to_numpy().astype(np.int64)
    row_code = sums.index.get_level_values("code").to_numpy()
    row_m2 = sums.to_numpy(dtype=float)
    distinct = pd.unique(row_code) if len(row_code) else []
    label_of = {c: f"{c} {LAND_USE_2023[c]}" for c in distinct}
    uncovered_label = "（地类图层未覆盖）"
    keys = (*THREE_CLASSES, UNCLASSIFIED, uncovered_label)
    key_of = {c: keys.index(three_class(c) or UNCLASSIFIED) for c in distinct}
    row_label = [label_of[c] for c in row_code]
    row_key = np.array([key_of[c] for c in row_code], dtype=np.int64)
    row_cultivated = np.array([is_cultivated(c) for c in row_code], dtype=bool)
    area_sites = _by_area(kinds, size)
    site_mu = from_square_metres(np.asarray(size, dtype=float), "mu")
    # By code: the site's rows, then what the layer leaves uncovered (added in the order of the rows, as sums).
    covered = np.bincount(row_site, weights=row_m2, minlength=n)
    uncovered = np.maximum(np.asarray(size, dtype=float) - covered_once, 0.0)
    gap = area_sites & (uncovered > SLIVER_M2)
    mine = area_sites[row_site]
    part_site = np.r_[row_site[mine], np.flatnonzero(gap)]
    part_m2 = np.r_[row_m2[mine], uncovered[gap]]
    order = np.argsort(part_site, kind="stable")
    part_site, part_m2 = part_site[order], part_m2[order]
    # A survey's parcels cover the land once. Where they overlap inside a site (a topology error of the layer)
    # the rows add up to more than the site: they are balanced to their own sum, not forced onto the site's
    # area (which would move a row's 亩 away from its m²), and the overlap is shown on a line of its own.
    overlap = np.where(area_sites, covered - covered_once, 0.0)
    overlapping = overlap > SLIVER_M2
    target_mu = site_mu.copy()
    if overlapping.any():
        own = np.bincount(part_site, weights=from_square_metres(part_m2, "mu"), minlength=n)
        target_mu[overlapping] = own[overlapping]
    part_mu = balanced_round_groups(from_square_metres(part_m2, "mu"), part_site, target_mu, 2)
    part_m2_text = round_half_up_each(part_m2, 2)
    # By the three classes: summed in the order of the rows, as site by site.
    slots = len(keys)
    key_index = np.r_[row_site[mine] * slots + row_key[mine], np.flatnonzero(gap) * slots + slots - 1]
    key_m2 = np.r_[row_m2[mine], uncovered[gap]]
    three = np.bincount(key_index, weights=key_m2, minlength=n * slots)  # each bin summed in the rows' order
    present = np.bincount(key_index, minlength=n * slots) > 0
    three_at = np.flatnonzero(present)
    three_mu = balanced_round_groups(from_square_metres(three[three_at], "mu"), three_at // slots, target_mu, 2)
    three_m2 = round_half_up_each(three[three_at], 2)
    cultivated = np.bincount(row_site, weights=np.where(row_cultivated, row_m2, 0.0), minlength=n)
    cultivated_m2 = round_half_up_each(cultivated, 2)
    cultivated_mu = round_half_up_each(from_square_metres(cultivated, "mu"), 2)
    row_starts = np.searchsorted(row_site, np.arange(n + 1))
    part_starts = np.searchsorted(part_site, np.arange(n + 1))
    three_starts = np.searchsorted(three_at // slots, np.arange(n + 1))
    labels = np.array(row_label, dtype=object)[mine]
    part_labels = np.r_[labels, np.full(int(gap.sum()), uncovered_label, dtype=object)][order]
    out = []
    for i in range(n):
        if not area_sites[i]:
            out.append([{"class": row_label[k], "level": "位置", "area_m2": None, "area_mu": None}
                        for k in range(row_starts[i], row_starts[i + 1])])
            continue
        lo, hi = part_starts[i], part_starts[i + 1]
        table = [{"class": part_labels[k], "level": "地类", "area_m2": float(part_m2_text[k]),
                  "area_mu": float(part_mu[k])} for k in range(lo, hi)]
        lo, hi = three_starts[i], three_starts[i + 1]
        table.extend({"class": keys[three_at[k] % slots], "level": "三大类", "area_m2": float(three_m2[k]),
                      "area_mu": float(three_mu[k])} for k in range(lo, hi))
        table.append({"class": "其中：耕地", "level": "其中", "area_m2": float(cultivated_m2[i]),
                      "area_mu": float(cultivated_mu[i])})
        if overlapping[i]:
            table.append({"class": "（地类图斑重叠）", "level": "状态", "area_m2": round_half_up(overlap[i], 2),
                          "area_mu": round_half_up(float(from_square_metres(overlap[i], "mu")), 2),
                          "reason": "地类图层的图斑在本地块内互相重叠，各地类按图斑各自计，合计大于地块面积；"
                                    "请检查地类图层的拓扑（三调图斑不应重叠）"})
        out.append(table)
    return out


def _code_text(value: object) -> str:
    """Return a land-use code as text: a code stored as a number has lost its leading zero (101 is 0101).

    Examples
    --------
    >>> [_code_text(v) for v in (101, 1.0, np.int64(70101), "0101", "011", "1", None)]
    ['0101', '01', '070101', '0101', '011', '01', '']
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    numeric = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    text = str(value).strip()
    if numeric and text.isdigit() and len(text) % 2:  # the 2023 codes have 2, 4 or 6 digits
        return "0" + text
    return text.zfill(2) if text.isdigit() and len(text) == 1 else text


def _plan_rules(frame: gpd.GeoDataFrame, entries: list[dict], id_field: str, ids, names) -> None:
    from gis.rules import load_rules, rules_for_sites, shipped_index

    sites = gpd.GeoDataFrame({"id": ids, "name": names}, geometry=frame.geometry.values, crs=frame.crs)
    for entry, results in zip(entries, rules_for_sites(sites, shipped_index(), load_rules()), strict=True):
        entry["rules"] = [r.as_dict() for r in results]


# --- tables of a review -------------------------------------------------------------------------------------

def summary_table(result: ReviewResult) -> pd.DataFrame:
    """One row per site and constraint: the verdicts with overlaps, for terminals and workbooks."""
    rows = []
    for site in result.sites:
        for c in site["constraints"]:
            rows.append({"site_id": site["id"], "site_name": site["name"], "constraint": c["name"],
                         "rule": c["rule_text"], "verdict": c["verdict"], "overlap_m2": c["overlap_m2"],
                         "overlap_mu": c["overlap_mu"], "share": c["share"], "clause": c["clause"],
                         "reason": c.get("reason")})
    return pd.DataFrame(rows, columns=["site_id", "site_name", "constraint", "rule", "verdict", "overlap_m2",
                                       "overlap_mu", "share", "clause", "reason"])


def sites_table(result: ReviewResult) -> pd.DataFrame:
    """One row per site: area (m², 亩, 公顷, balanced so the 亩 add up to the total row) and its verdicts."""
    rows = []
    for site in result.sites:
        judged = [c["verdict"] for c in site["constraints"] if c["verdict"] != MEASURED]
        # Nothing judged (only `report` layers, or only the land use): measured, never a 通过 no rule gave.
        overall = FAIL if FAIL in judged else UNKNOWN if UNKNOWN in judged else PASS if judged else MEASURED
        rows.append({"site_id": site["id"], "site_name": site["name"], "measure": site["measure"],
                     "area_m2": site["area_m2"], "area_mu": site["area_mu"], "area_ha": site["area_ha"],
                     "verdict": overall, "failed": "、".join(c["name"] for c in site["constraints"]
                                                              if c["verdict"] == FAIL)})
    table = pd.DataFrame(rows, columns=["site_id", "site_name", "measure", "area_m2", "area_mu", "area_ha",
                                        "verdict", "failed"])
    areas = [r["area_m2"] for r in rows if r["area_m2"] is not None]
    if areas and len(areas) == len(rows):
        mu = balanced_round([from_square_metres(a, "mu") for a in areas], 2)
        table["area_mu"] = mu
        total = {"site_id": "合计", "area_m2": _round2(sum(areas)), "area_mu": round_half_up(sum(mu), 2),
                 "area_ha": _ha(sum(areas))}
        table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    return table


def occupation_table(result: ReviewResult) -> pd.DataFrame:
    """Return the 占用清单: every constraint feature each site touches, with the area inside it."""
    rows = []
    for site in result.sites:
        for c in site["constraints"]:
            for f in c["features"]:
                rows.append({"site_id": site["id"], "site_name": site["name"], "constraint": c["name"],
                             "feature_id": f["id"], "feature_name": f["name"], "overlap_m2": f["overlap_m2"],
                             "overlap_mu": f.get("overlap_mu")})
    return pd.DataFrame(rows, columns=["site_id", "site_name", "constraint", "feature_id", "feature_name",
                                       "overlap_m2", "overlap_mu"])


def land_use_table(result: ReviewResult) -> pd.DataFrame:
    """Return the land-use breakdown of every site: by code, by the three classes, and the 其中 lines."""
    rows = [{"site_id": site["id"], "site_name": site["name"], **row} for site in result.sites
            for row in site["land_use"]]
    return pd.DataFrame(rows, columns=["site_id", "site_name", "level", "class", "area_m2", "area_mu"])


def sources_table(result: ReviewResult) -> pd.DataFrame:
    """Return the data each review used: source, layer, date declared, file date, features read, failures."""
    return pd.DataFrame(result.layers, columns=["name", "source", "layer", "rule", "clause", "date", "modified",
                                                "features_read", "reason"])


def _as_text(values: pd.Series) -> pd.Series:
    """Return values (ids, names, codes) as text: whole floats without ``.0``, missing values ``""`` (not "nan").

    Examples
    --------
    >>> _as_text(pd.Series([1.0, 20.0, None])).tolist(), _as_text(pd.Series(["a", 2])).tolist()
    (['1', '20', ''], ['a', '2'])
    """
    missing = values.isna()
    if pd.api.types.is_float_dtype(values) and ((values[~missing] % 1) == 0).all():
        text = values.fillna(0).astype(np.int64).astype(str)
    else:
        text = values.astype(str)
    return text.where(~missing, "")


def check_review_sites(sites: gpd.GeoDataFrame, id_field: str) -> None:
    """Refuse sites the review cannot name (the id field must exist and be unique)."""
    if id_field not in sites.columns:
        raise InputError(f"the sites have no id field {id_field!r} (name it with `id_field`)")
    ids = _as_text(sites[id_field])
    missing = (ids.str.strip() == "").to_numpy()
    if missing.any():
        raise InputError(f"site {int(np.flatnonzero(missing)[0]) + 1} (of {len(sites)}) has no {id_field!r}; "
                         f"give every site an id ({int(missing.sum())} without one)")
    dup = ids.duplicated()
    if dup.any():
        raise InputError(f"site id {ids[dup].iloc[0]!r} is used twice; ids must be unique")


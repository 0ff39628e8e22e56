"""Validation of layers against the schema: ``gis check``.

:func:`check_layers` reports one :class:`Problem` per thing wrong: a missing
field, a duplicate or malformed id, an unknown land-use code, an unknown status,
an invalid, empty or wrongly typed geometry, a missing or wrong CRS, a parent
that does not exist or does not contain its child, zones of one scheme that
overlap, and a polygon whose measured ellipsoidal area is off its documented
area by more than the tolerance (±5 % by default). Where a layer carries the
optional fields of :data:`gis.schema.OPTIONAL_FIELDS`, it also checks that
``inferred`` names fields that hold a value, that ``plan_name`` cites where the
plan writes it, that ``district_id`` is the id of the district ``district``
names, and that each point lies where its ``placement_anchor`` says.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely
from pyproj import CRS, Geod

from gis import schema, settings
from gis.area import ellipsoidal_area, is_polygonal
from gis.crs import LAYER_CRS
from gis.geometry import INSIDE_SHARE, polygon_area, share_inside
from gis.landuse import is_known_code
from gis.plans import parse_short_citations
from gis.units import to_square_metres

#: Overlap between two zones of one scheme that counts (share of the smaller zone).
OVERLAP_TOLERANCE = 0.001


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a layer."""

    layer: str
    feature: str
    message: str

    def __str__(self) -> str:
        return f"{self.layer}: {self.feature}: {self.message}"


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _fid(row: pd.Series, position: int) -> str:
    fid = _text(row.get("id")) if "id" in row else None
    return fid if fid is not None else f"#{position + 1}"


def check_schema(name: str, gdf: gpd.GeoDataFrame) -> list[Problem]:
    """Check fields, ids, codes, vocabularies and documented areas of one layer."""
    problems: list[Problem] = []
    required = schema.required_fields(name)
    missing = [f for f in required if f not in gdf.columns]
    for field in missing:
        problems.append(Problem(name, "-", f"required field `{field}` is missing"))
    is_context = name in schema.CONTEXT_LAYERS
    for pos, (_, row) in enumerate(gdf.iterrows()):
        fid = _fid(row, pos)
        raw_id = _text(row.get("id")) if "id" in gdf.columns else None
        if "id" in gdf.columns:
            if raw_id is None:
                problems.append(Problem(name, fid, "`id` is empty"))
            elif not schema.ID_PATTERN.match(raw_id):
                problems.append(
                    Problem(name, fid, "`id` must be lower-case ASCII letters, digits and hyphens")
                )
        if "name" in gdf.columns and _text(row.get("name")) is None:
            problems.append(Problem(name, fid, "`name` is empty"))
        if "source" in gdf.columns and _text(row.get("source")) is None:
            problems.append(Problem(name, fid, "`source` is empty: cite the seed file and clause"))
        quality = _text(row.get("geometry_quality")) if "geometry_quality" in gdf.columns else None
        if "geometry_quality" in gdf.columns and quality not in schema.GEOMETRY_QUALITIES:
            known = ", ".join(schema.GEOMETRY_QUALITIES)
            problems.append(Problem(name, fid, f"`geometry_quality` {quality!r} is not one of {known}"))
        if is_context:
            continue
        if "land_use" in gdf.columns:
            code = row.get("land_use")
            code = None if _text(code) is None else str(code).strip()
            if code is None:
                problems.append(Problem(name, fid, "`land_use` is empty"))
            elif not is_known_code(code):
                problems.append(
                    Problem(name, fid, f"`land_use` {code!r} is not a code of the 2023 用地用海分类")
                )
        if "status" in gdf.columns:
            status = _text(row.get("status"))
            if status not in schema.STATUSES:
                known = ", ".join(schema.STATUSES)
                problems.append(Problem(name, fid, f"`status` {status!r} is not one of {known}"))
        problems.extend(_check_documented_area(name, fid, row, gdf.columns))
    if "id" in gdf.columns:
        counts = Counter(t for t in (_text(v) for v in gdf["id"]) if t is not None)
        for ident, n in sorted(counts.items()):
            if n > 1:
                problems.append(Problem(name, ident, f"duplicate id: used by {n} features"))
    if name == "projects" and "seq" in gdf.columns and "scheme" in gdf.columns:
        seqs = gdf.dropna(subset=["seq"])
        for (scheme, seq), n in Counter(zip(seqs["scheme"], seqs["seq"], strict=True)).items():
            if n > 1:
                problems.append(Problem(name, f"seq {seq}", f"sequence number used {n} times in {scheme}"))
    return problems


def _check_documented_area(name: str, fid: str, row: pd.Series, columns) -> list[Problem]:
    if "documented_area" not in columns:
        return []
    value = row.get("documented_area")
    unit = _text(row.get("documented_area_unit")) if "documented_area_unit" in columns else None
    if _text(value) is None:
        if unit is not None:
            return [Problem(name, fid, "`documented_area_unit` is set but `documented_area` is empty")]
        return []
    try:
        number = float(value)
    except (TypeError, ValueError):
        return [Problem(name, fid, f"`documented_area` {value!r} is not a number")]
    problems = []
    if not number > 0:
        problems.append(Problem(name, fid, f"`documented_area` {value!r} must be positive (leave unknowns empty)"))
    if unit not in schema.AREA_UNITS:
        known = ", ".join(schema.AREA_UNITS)
        problems.append(Problem(name, fid, f"`documented_area_unit` {unit!r} is not one of {known}"))
    return problems


def check_geometry(name: str, gdf: gpd.GeoDataFrame) -> list[Problem]:
    """Check CRS, geometry presence, validity and type of one layer."""
    problems: list[Problem] = []
    if gdf.crs is None:
        problems.append(Problem(name, "-", "the layer has no CRS; layers are stored in EPSG:4326"))
    elif not CRS.from_user_input(gdf.crs).equals(CRS.from_user_input(LAYER_CRS)):
        problems.append(
            Problem(name, "-", f"CRS is {gdf.crs.name} (EPSG:{gdf.crs.to_epsg()}); layers are stored in EPSG:4326")
        )
    allowed = schema.GEOMETRY_TYPES.get(name)
    geoms = gdf.geometry
    for pos, (_, row) in enumerate(gdf.iterrows()):
        fid = _fid(row, pos)
        geom = geoms.iloc[pos]
        if geom is None or geom.is_empty:
            problems.append(Problem(name, fid, "no geometry"))
            continue
        if allowed and geom.geom_type not in allowed:
            problems.append(
                Problem(name, fid, f"{geom.geom_type} geometry; this layer holds {' or '.join(allowed)}")
            )
        if not geom.is_valid:
            problems.append(Problem(name, fid, f"invalid geometry: {shapely.is_valid_reason(geom)}"))
    return problems


def check_areas(name: str, gdf: gpd.GeoDataFrame, tolerance: float) -> list[Problem]:
    """Compare the measured ellipsoidal area of each polygon with its documented area."""
    if "documented_area" not in gdf.columns or "documented_area_unit" not in gdf.columns or gdf.crs is None:
        return []
    values = pd.to_numeric(gdf["documented_area"], errors="coerce")
    units = gdf["documented_area_unit"]
    mask = values.notna() & (values > 0) & units.isin(schema.AREA_UNITS) & is_polygonal(gdf.geometry)
    mask &= gdf.geometry.is_valid
    if not mask.any():
        return []
    sub = gdf[mask]
    measured = ellipsoidal_area(sub)
    problems = []
    for (idx, row), m2 in zip(sub.iterrows(), measured, strict=True):
        value = float(values[idx])
        expected = float(to_square_metres(value, row["documented_area_unit"]))
        diff = (m2 - expected) / expected
        if abs(diff) > tolerance:
            problems.append(Problem(
                name, str(row.get("id")),
                f"measured {m2 / 1e6:.4f} km² is {diff:+.1%} off the documented "
                f"{value:g} {row['documented_area_unit']} (tolerance ±{tolerance:.0%})",
            ))
    return problems


def check_parents(layers: dict[str, gpd.GeoDataFrame], reference: dict[str, gpd.GeoDataFrame]) -> list[Problem]:
    """Check that every ``parent`` exists and contains its child.

    Parents are looked up among ``layers`` and ``reference`` (the shipped
    layers, so that a planner's file may name them).
    """
    index: dict[str, object] = {}
    for source in (reference, layers):
        for gdf in source.values():
            if "id" not in gdf.columns or gdf.crs is None:
                continue
            geo = gdf.to_crs(LAYER_CRS)
            for ident, geom in zip(geo["id"], geo.geometry, strict=True):
                if _text(ident) is not None:
                    index[str(ident)] = geom
    problems = []
    for name, gdf in layers.items():
        if "parent" not in gdf.columns or gdf.crs is None:
            continue
        geo = gdf.to_crs(LAYER_CRS)
        for pos, (_, row) in enumerate(geo.iterrows()):
            parent = _text(row.get("parent"))
            if parent is None:
                continue
            fid = _fid(row, pos)
            if parent not in index:
                problems.append(Problem(name, fid, f"parent {parent!r} is not the id of any feature"))
                continue
            child, container = row.geometry, index[parent]
            if child is None or child.is_empty or container is None or not child.is_valid:
                continue
            outside = _share_outside(child, container)
            if outside > 1 - INSIDE_SHARE:
                problems.append(Problem(name, fid, f"lies {outside:.1%} outside its parent {parent!r}"))
    return problems


def _share_outside(child, container) -> float:
    if not container.is_valid:
        container = shapely.make_valid(container)
    return 1.0 - float(share_inside([child], container)[0])


def check_scheme_overlaps(name: str, gdf: gpd.GeoDataFrame) -> list[Problem]:
    """Check that the zones of one layout scheme do not overlap each other."""
    if name != "zones" or "scheme" not in gdf.columns or gdf.crs is None:
        return []
    problems = []
    geo = gdf.to_crs(LAYER_CRS)
    valid = geo[geo.geometry.notna() & geo.geometry.is_valid & is_polygonal(geo.geometry)]
    for _scheme, group in valid.groupby("scheme"):
        rows = list(group.itertuples())
        tree = shapely.STRtree([r.geometry for r in rows])
        left, right = tree.query([r.geometry for r in rows], predicate="intersects")
        for i, j in zip(left, right, strict=True):
            if i >= j:
                continue
            a, b = rows[i], rows[j]
            inter = a.geometry.intersection(b.geometry)
            polys = [g for g in getattr(inter, "geoms", [inter]) if g.geom_type in ("Polygon", "MultiPolygon")]
            if not polys:
                continue
            shared = float(polygon_area(polys).sum())
            smaller = float(min(polygon_area([a.geometry, b.geometry])))
            if smaller and shared / smaller > OVERLAP_TOLERANCE:
                problems.append(Problem(
                    name, str(a.id), f"overlaps {b.id!r} of the same scheme by {shared / 1e6:.3f} km²"
                ))
    return problems


def check_optional_fields(name: str, gdf: gpd.GeoDataFrame) -> list[Problem]:
    """Check ``inferred`` and ``plan_name`` where a layer carries them."""
    problems: list[Problem] = []
    for pos, (_, row) in enumerate(gdf.iterrows()):
        fid = _fid(row, pos)
        if "inferred" in gdf.columns:
            try:
                named = schema.inferred_fields(row.get("inferred"))
            except ValueError as exc:
                problems.append(Problem(name, fid, f"`inferred`: {exc}"))
                named = {}
            for field in named:
                if field == schema.INFERRED_GEOMETRY:
                    continue
                if field not in gdf.columns:
                    problems.append(Problem(name, fid, f"`inferred` names `{field}`, which the layer does not have"))
                elif _text(row.get(field)) is None:
                    problems.append(Problem(name, fid, f"`inferred` names `{field}`, which is empty (an unknown "
                                                       "is left empty, not inferred)"))
        if "plan_name" in gdf.columns and _text(row.get("plan_name")) is not None:
            for part in str(row.get("plan_name")).split(";"):
                cited = parse_short_citations(part)
                wording = part.split("(")[0].strip()
                if len(cited) != 1 or not wording:
                    problems.append(Problem(name, fid, f"`plan_name` part {part.strip()!r} is not "
                                                       "`wording (NNN clause)`"))
    return problems


_GEOD = Geod(a=6378137.0, f=1 / 298.257222101)


def _metres_between(a, b) -> float:
    p, q = shapely.ops.nearest_points(a, b)
    return float(_GEOD.inv(p.x, p.y, q.x, q.y)[2])


def parse_anchor(value: object) -> list[tuple[str, str, float | None]]:
    """Split a ``placement_anchor`` into (kind, id, metres) triples.

    ``in:ID`` — the point lies in feature ID; ``near:ID:METRES`` — within METRES of it.

    Raises
    ------
    ValueError
        If a part is neither form.

    Examples
    --------
    >>> parse_anchor("in:coast-niyu; near:place-shenmen:1000")
    [('in', 'coast-niyu', None), ('near', 'place-shenmen', 1000.0)]
    """
    if _text(value) is None:
        return []
    anchors: list[tuple[str, str, float | None]] = []
    for part in str(value).split(";"):
        bits = part.strip().split(":")
        if len(bits) == 2 and bits[0] == "in" and bits[1]:
            anchors.append(("in", bits[1], None))
        elif len(bits) == 3 and bits[0] == "near" and bits[1]:
            try:
                anchors.append(("near", bits[1], float(bits[2])))
            except ValueError:
                raise ValueError(f"anchor {part.strip()!r}: METRES must be a number") from None
        else:
            raise ValueError(f"anchor {part.strip()!r} is neither `in:ID` nor `near:ID:METRES`")
    return anchors


def check_references(layers: dict[str, gpd.GeoDataFrame], reference: dict[str, gpd.GeoDataFrame]) -> list[Problem]:
    """Check ``placement_anchor`` (ids exist, the point is there) and ``district_id`` (the district named)."""
    index: dict[str, tuple[str, object]] = {}
    for source in (reference, layers):
        for gdf in source.values():
            if "id" not in gdf.columns or gdf.crs is None:
                continue
            geo = gdf.to_crs(LAYER_CRS)
            names = geo["name"] if "name" in geo.columns else pd.Series("", index=geo.index)
            for ident, label, geom in zip(geo["id"], names, geo.geometry, strict=True):
                if _text(ident) is not None:
                    index[str(ident)] = (str(label), geom)
    problems = []
    for name, gdf in layers.items():
        if gdf.crs is None:
            continue
        geo = gdf.to_crs(LAYER_CRS)
        for pos, (_, row) in enumerate(geo.iterrows()):
            fid = _fid(row, pos)
            if "placement_anchor" in geo.columns:
                try:
                    anchors = parse_anchor(row.get("placement_anchor"))
                except ValueError as exc:
                    problems.append(Problem(name, fid, f"`placement_anchor`: {exc}"))
                    anchors = []
                geom = row.geometry
                for kind, ident, metres in anchors:
                    if ident not in index:
                        problems.append(Problem(name, fid, f"placement anchor {ident!r} is not the id of any feature"))
                        continue
                    target = index[ident][1]
                    if geom is None or geom.is_empty or target is None or target.is_empty:
                        continue
                    if kind == "in" and not float(share_inside([geom], target)[0]) >= INSIDE_SHARE:
                        problems.append(Problem(name, fid, f"lies outside its placement anchor {ident!r}"))
                    elif kind == "near" and (away := _metres_between(geom, target)) > metres:
                        problems.append(Problem(name, fid, f"lies {away:,.0f} m from its placement anchor {ident!r}, "
                                                           f"more than {metres:g} m"))
            if "district_id" in geo.columns and _text(row.get("district_id")) is not None:
                ident = str(row.get("district_id")).strip()
                district = _text(row.get("district")) or ""
                if ident not in index:
                    problems.append(Problem(name, fid, f"district_id {ident!r} is not the id of any feature"))
                elif not district.startswith(index[ident][0]):
                    problems.append(Problem(name, fid, f"district_id {ident!r} is {index[ident][0]}, but `district` "
                                                       f"says {district!r}"))
    return problems


def check_layers(
    layers: dict[str, gpd.GeoDataFrame],
    *,
    reference: dict[str, gpd.GeoDataFrame] | None = None,
    tolerance: float | None = None,
) -> list[Problem]:
    """Check layers against the schema and each other.

    Parameters
    ----------
    layers : dict of str to GeoDataFrame
        The layers to check, by name (a shipped layer name selects its schema;
        another name gets the common plan schema).
    reference : dict of str to GeoDataFrame, optional
        Layers that may hold the parents of the checked features; by default
        the shipped layers not among ``layers``.
    tolerance : float, optional
        Accepted relative difference of measured and documented areas;
        default ``settings.area_tolerance`` (0.05).

    Returns
    -------
    list of Problem
        Empty when everything passes.
    """
    tolerance = settings.area_tolerance if tolerance is None else tolerance
    problems: list[Problem] = []
    ids: Counter[str] = Counter()
    for name, gdf in layers.items():
        problems.extend(check_schema(name, gdf))
        problems.extend(check_geometry(name, gdf))
        problems.extend(check_areas(name, gdf, tolerance))
        problems.extend(check_scheme_overlaps(name, gdf))
        if name not in schema.CONTEXT_LAYERS:
            problems.extend(check_optional_fields(name, gdf))
        if "id" in gdf.columns:
            ids.update({t for t in (_text(v) for v in gdf["id"]) if t is not None})
    for ident, n in sorted(ids.items()):
        if n > 1:
            problems.append(Problem("*", ident, f"id used in {n} layers; ids must be unique across layers"))
    if reference is None:
        from gis.layers import list_layers, read_layers

        reference = read_layers([n for n in list_layers() if n not in layers])
    problems.extend(check_parents(layers, reference))
    problems.extend(check_references(layers, reference))
    return problems


def summarize(problems: Iterable[Problem]) -> str:
    """Return a one-line count of problems by layer."""
    counts = Counter(p.layer for p in problems)
    if not counts:
        return "no problems"
    return ", ".join(f"{layer}: {n}" for layer, n in sorted(counts.items()))

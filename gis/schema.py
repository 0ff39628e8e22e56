"""The attribute schema of the layers: fields, vocabularies and geometry types.

Plan layers (``zones``, ``corridors``, ``platforms``, ``reclamation``,
``projects``) share the common fields of :data:`COMMON_FIELDS`; each adds its own
(:data:`LAYER_FIELDS`), and may carry the optional fields of :data:`OPTIONAL_FIELDS`
(which the shipped layers always carry). Context layers (``districts`` and ``coast``,
derived from registry packages; ``places`` and ``airport``, drawn from public facts) carry
:data:`CONTEXT_FIELDS`. ``layers/README.md`` documents every field.
"""

from __future__ import annotations

import re

#: Fields every plan feature has.
COMMON_FIELDS: tuple[str, ...] = (
    "id", "name", "land_use", "status", "period", "parent", "documented_area",
    "documented_area_unit", "source", "geometry_quality", "geometry_source",
)
#: Fields each plan layer adds.
LAYER_FIELDS: dict[str, tuple[str, ...]] = {
    "zones": ("scheme", "role"),
    "corridors": ("scheme", "role", "band_width_m"),
    "platforms": ("scheme", "role"),
    "reclamation": ("scheme", "district"),
    "projects": (
        "scheme", "seq", "group", "investment_total_wan", "investment_1620_wan",
        "construction_period", "content", "in_oujiangkou",
    ),
}
#: Fields a plan layer may carry (the shipped ones do), checked when present: ``inferred`` (which values are
#: inferred and from what: ``field: how; field: how``), ``plan_name`` (the plan's own wording of a name that
#: differs from ours: ``wording (NNN clause)``), and per layer ``district_id`` and ``placement_anchor``.
OPTIONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "zones": ("inferred", "plan_name"),
    "corridors": ("inferred", "plan_name", "note"),
    "platforms": ("inferred", "plan_name", "note"),
    "reclamation": ("inferred", "plan_name", "note", "district_id"),
    "projects": ("inferred", "plan_name", "placement_basis", "placement_anchor"),
}
#: What ``inferred`` may name besides a field of the layer: the geometry itself (a position not stated).
INFERRED_GEOMETRY = "geometry"
#: Fields of context layers (derived from registry packages, or drawn from public facts).
CONTEXT_FIELDS: tuple[str, ...] = ("id", "name", "source", "licence", "geometry_quality", "geometry_source")
#: The context layers.
CONTEXT_LAYERS: tuple[str, ...] = ("districts", "coast", "places", "airport")

#: Geometry types allowed in each layer.
GEOMETRY_TYPES: dict[str, tuple[str, ...]] = {
    "zones": ("Polygon", "MultiPolygon"),
    "platforms": ("Polygon", "MultiPolygon"),
    "reclamation": ("Polygon", "MultiPolygon"),
    "districts": ("Polygon", "MultiPolygon"),
    "coast": ("Polygon", "MultiPolygon"),
    "places": ("Point",),
    "airport": ("Polygon", "MultiPolygon"),
    "corridors": ("LineString", "MultiLineString"),
    "projects": ("Point", "Polygon", "MultiPolygon"),
}

#: Status of a feature, as the plans describe it.
STATUSES: dict[str, str] = {
    "现状": "existing",
    "在建": "under construction",
    "规划": "planned",
    "预留": "reserved for later",
    "研究": "under study (the plan asks for a feasibility study)",
    "待搬迁": "to be relocated or closed",
}
#: How a geometry was obtained.
GEOMETRY_QUALITIES: dict[str, str] = {
    "schematic": "digitized from plan text and public facts; not surveyed (示意)",
    "derived": "derived by a script from a registry package (see source and licence)",
    "surveyed": "from a survey or an official vector file",
}
#: Units a documented area may be given in.
AREA_UNITS: tuple[str, ...] = ("m2", "亩", "公顷", "km2", "万亩")

#: Stable ASCII ids: lower-case letters, digits and hyphens.
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def required_fields(layer: str) -> tuple[str, ...]:
    """Return the fields a layer must have.

    Parameters
    ----------
    layer : str
        A layer name; unknown names get the common plan fields.

    Returns
    -------
    tuple of str
        The required field names.

    Examples
    --------
    >>> required_fields("zones")[-2:]
    ('scheme', 'role')
    """
    if layer in CONTEXT_LAYERS:
        return CONTEXT_FIELDS
    return COMMON_FIELDS + LAYER_FIELDS.get(layer, ())


def split_top_level(text: str) -> list[str]:
    """Split an attribute at ``;`` / ``；`` outside brackets, so that a note like ``(…; …)`` stays whole.

    The separator of the multi-part attributes (``source``, ``inferred``); empty parts are dropped.

    Examples
    --------
    >>> split_top_level("000 三(一); 003 二(四)（注；见附表）；")
    ['000 三(一)', '003 二(四)（注；见附表）']
    """
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "(（":
            depth += 1
        elif ch in ")）":
            depth = max(0, depth - 1)
        elif ch in ";；" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def inferred_fields(value: object) -> dict[str, str]:
    """Split an ``inferred`` value into {field: how it was inferred}.

    Parts are separated by ``;`` outside brackets; each starts with a field name
    and a colon.

    Parameters
    ----------
    value : str or None
        The attribute; ``None`` or a missing value gives ``{}``.

    Returns
    -------
    dict of str to str
        The fields named, in order, with the text after their colon.

    Raises
    ------
    ValueError
        If a part does not start with ``field:``.

    Examples
    --------
    >>> inferred_fields("status: from the period; band_width_m: a drawing width (2.6 km; nominal)")
    {'status': 'from the period', 'band_width_m': 'a drawing width (2.6 km; nominal)'}
    """
    if not isinstance(value, str) or not value.strip():
        return {}
    found: dict[str, str] = {}
    for part in split_top_level(value):
        match = re.match(r"([a-z_]+):\s*(.+)", part, flags=re.S)
        if match is None:
            raise ValueError(f"inferred part {part!r} does not start with `field:`")
        found[match.group(1)] = match.group(2).strip()
    return found

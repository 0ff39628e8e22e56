"""The attribute schema of the layers: fields, vocabularies and geometry types.

Plan layers (``zones``, ``corridors``, ``platforms``, ``reclamation``,
``projects``) share the common fields of :data:`COMMON_FIELDS`; each adds its own
(:data:`LAYER_FIELDS`). Context layers derived from registry packages
(``districts``, ``coast``) carry :data:`CONTEXT_FIELDS`. ``layers/README.md``
documents every field.
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
#: Fields of context layers derived from registry packages.
CONTEXT_FIELDS: tuple[str, ...] = ("id", "name", "source", "licence", "geometry_quality", "geometry_source")
#: The context layers.
CONTEXT_LAYERS: tuple[str, ...] = ("districts", "coast")

#: Geometry types allowed in each layer.
GEOMETRY_TYPES: dict[str, tuple[str, ...]] = {
    "zones": ("Polygon", "MultiPolygon"),
    "platforms": ("Polygon", "MultiPolygon"),
    "reclamation": ("Polygon", "MultiPolygon"),
    "districts": ("Polygon", "MultiPolygon"),
    "coast": ("Polygon", "MultiPolygon"),
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

"""The plans' siting rules, as data (``gis/rules.toml``), checked against layers.

Each rule names the features it tests (a layer and a filter), the test, and
the clause it comes from. :func:`check_rules` gives every rule a verdict —
``通过`` (pass), ``不通过`` (fail) or ``无法判断`` (cannot tell) — with the
features involved and the figures; a rule the data cannot decide says why and
never passes silently. :func:`rules_for_site` applies the rules that concern one
candidate site.
"""

from __future__ import annotations

import copy
import functools
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from gis.config import Table, load_toml
from gis.crs import LAYER_CRS
from gis.errors import ConfigError
from gis.geometry import INSIDE_SHARE, SLIVER_M2, polygon_area
from gis.geometry import share_inside as _share_inside
from gis.layers import read_layers
from gis.units import from_square_metres

PASS, FAIL, UNKNOWN = "通过", "不通过", "无法判断"
#: The tests a rule may name, with the keys each needs beyond the common ones.
TESTS: dict[str, tuple[str, ...]] = {
    "within": ("targets", "no_subjects"),
    "within_keyword": ("keywords", "no_subjects"),
    "disjoint": ("no_subjects",),
    "share_at_least": ("share_field", "minimum", "no_field"),
    "annual_supply": ("minimum_mu", "no_field"),
}
_COMMON = ("id", "source", "text", "test", "subjects")
_OPTIONAL = ("site_applies", "not_followed_by")


@dataclass
class RuleResult:
    """The verdict of one rule."""

    id: str
    source: str
    text: str
    verdict: str
    detail: str
    features: list[str] = field(default_factory=list)
    failing: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Return the result as a JSON-ready dict."""
        return {
            "rule": self.id, "verdict": self.verdict, "source": self.source, "text": self.text,
            "detail": self.detail, "features": self.features, "failing": self.failing,
        }


def rules_path() -> Path:
    """Return the rules file: ``$GIS_RULES`` if set, else the ``rules.toml`` shipped with the package."""
    env = os.environ.get("GIS_RULES")
    return Path(env) if env else Path(str(resources.files("gis") / "rules.toml"))


def load_rules(path: str | os.PathLike[str] | None = None) -> list[dict]:
    """Return the checked rule records of a rules file (default :func:`rules_path`).

    Raises
    ------
    ConfigError
        One line naming the file, the rule and the key, for a file that cannot be used.
    """
    path = Path(path) if path is not None else rules_path()
    try:
        stat = path.stat()
    except OSError:
        return _parse_rules(path)  # the parser says what is wrong with it
    return copy.deepcopy(_parsed_rules(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _parsed_rules(path: str, mtime_ns: int, size: int) -> list[dict]:
    """Return the rules of a file, parsed once per version of it (callers get a copy)."""
    return _parse_rules(Path(path))


def _parse_rules(path: Path) -> list[dict]:
    top = Table(load_toml(path), path)
    records = top.items("rule")
    top.done()
    rules, seen = [], set()
    for number, raw in enumerate(records, start=1):
        ident = raw.get("id") if isinstance(raw, dict) else None
        t = Table(raw, path, f"rule {number}" + (f" ({ident})" if isinstance(ident, str) else ""))
        test = t.text("test", choices=tuple(TESTS))
        for key in ("id", "source", "text"):
            t.text(key)
        subjects = t.table("subjects")
        s = Table(subjects, path, f"{t.where}: subjects")
        layers = s.items("layers")
        if not layers or not all(isinstance(v, str) for v in layers):
            raise s.fail("`layers` must list layer names")
        s.table("where", {})
        for key in ("exclude_under", "under"):
            value = s.items(key, [])
            if not all(isinstance(v, str) for v in value):
                raise s.fail(f"`{key}` must list feature ids")
        s.done()
        for key in TESTS[test]:
            if key in ("minimum", "minimum_mu"):
                t.number(key, minimum=0)
            elif key in ("targets", "keywords"):
                if not t.items(key):
                    raise t.fail(f"`{key}` is empty")
            else:
                t.text(key)
        for key in _OPTIONAL:
            t.raw(key)
        t.done()
        if raw["id"] in seen:
            raise t.fail(f"`id` {raw['id']!r} is used twice")
        seen.add(raw["id"])
        rules.append(dict(raw))
    return rules


class Index:
    """All features of the given layers by id, with their parents' tree."""

    def __init__(self, layers: dict[str, gpd.GeoDataFrame]) -> None:
        self.layers = {name: gdf.to_crs(LAYER_CRS) for name, gdf in layers.items()}
        self.geometry: dict[str, object] = {}
        self.children: dict[str, list[str]] = {}
        for gdf in self.layers.values():
            if "id" not in gdf.columns:
                continue
            for ident, geom in zip(gdf["id"].astype(str), gdf.geometry, strict=True):
                self.geometry[ident] = geom
            if "parent" in gdf.columns:
                for ident, parent in zip(gdf["id"].astype(str), gdf["parent"], strict=True):
                    if isinstance(parent, str) and parent:
                        self.children.setdefault(parent, []).append(ident)

    def descendants(self, ids: list[str]) -> set[str]:
        """Return ``ids`` and every feature below them."""
        found, todo = set(ids), list(ids)
        while todo:
            for child in self.children.get(todo.pop(), []):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def union(self, ids: list[str]):
        """Return the union of the geometries of ``ids`` (missing ids are skipped)."""
        geoms = [self.geometry[i] for i in ids if i in self.geometry]
        return shapely.union_all(geoms) if geoms else None

    def district(self, name: str):
        """Return the polygon of a district of the ``districts`` layer."""
        districts = self.layers.get("districts")
        if districts is None:
            return None
        rows = districts[districts["name"] == name]
        return rows.geometry.iloc[0] if len(rows) else None


def in_district(gdf: gpd.GeoDataFrame, name: str, index: Index) -> pd.Series:
    """Whether each feature lies in a district: by its ``district`` attribute where it has one, else by geometry.

    The districts layer follows the coastline of its source, so reclaimed land lies
    mostly outside every district polygon; a feature's ``district`` attribute (e.g.
    ``洞头区``, ``龙湾区（经开区）``) says where it is managed, and is used first.
    """
    district = index.district(name)
    if district is None:
        return pd.Series(False, index=gdf.index)
    by_geometry = gdf.geometry.representative_point().within(district)
    if "district" not in gdf.columns:
        return by_geometry
    stated = gdf["district"].where(gdf["district"].notna(), None)
    has = stated.map(lambda v: isinstance(v, str) and bool(v.strip()))
    named = stated.map(lambda v: isinstance(v, str) and v.strip().startswith(name))
    return named.where(has, by_geometry).astype(bool)


def _matches(gdf: gpd.GeoDataFrame, where: dict, index: Index) -> pd.Series:
    mask = pd.Series(True, index=gdf.index)
    for key, value in where.items():
        if key == "land_use_prefix":
            mask &= gdf["land_use"].astype(str).str.startswith(value) if "land_use" in gdf else False
        elif key == "name_contains":
            mask &= gdf["name"].astype(str).str.contains(value, regex=False) if "name" in gdf else False
        elif key == "in_district":
            mask &= in_district(gdf, value, index)
        elif key not in gdf.columns:
            mask &= False
        elif isinstance(value, list):
            mask &= gdf[key].isin(value)
        elif isinstance(value, bool):  # a missing value (an unknown) is neither true nor false
            mask &= gdf[key].map(lambda v, want=value: v is not None and not pd.isna(v) and bool(v) == want)
        else:
            mask &= gdf[key] == value
    return mask


def select(spec: dict, index: Index) -> gpd.GeoDataFrame:
    """Return the subjects a rule's ``subjects`` spec selects, with a ``layer`` column."""
    frames = []
    for name in spec.get("layers", []):
        gdf = index.layers.get(name)
        if gdf is None or not len(gdf):
            continue
        picked = gdf[_matches(gdf, spec.get("where", {}), index)]
        frames.append(picked.assign(layer=name))
    if not frames:
        return gpd.GeoDataFrame({"id": [], "layer": []}, geometry=[], crs=LAYER_CRS)
    subjects = pd.concat(frames, ignore_index=True)
    subjects = gpd.GeoDataFrame(subjects, geometry="geometry", crs=LAYER_CRS)
    if spec.get("exclude_under"):
        subjects = subjects[~subjects["id"].astype(str).isin(index.descendants(spec["exclude_under"]))]
    if spec.get("under"):
        below = index.descendants(spec["under"]) - set(spec["under"])
        subjects = subjects[subjects["id"].astype(str).isin(below)]
    return subjects


def share_inside(geom, container) -> float:
    """Share of one geometry inside ``container`` (see :func:`gis.geometry.share_inside`)."""
    if geom is None:
        return 0.0
    return float(_share_inside([geom], container)[0])


def _label(row) -> str:
    return f"{row['id']}（{row['name']}）" if "name" in row and isinstance(row["name"], str) else str(row["id"])


def _within(rule: dict, subjects: gpd.GeoDataFrame, index: Index) -> RuleResult:
    target = index.union(rule["targets"])
    ids = list(subjects["id"].astype(str))
    outside = []
    for _, row in subjects.iterrows():
        share = share_inside(row.geometry, target)
        if share < INSIDE_SHARE:
            outside.append((_label(row), share))
    base = {"id": rule["id"], "source": rule["source"], "text": rule["text"], "features": ids}
    where = "、".join(rule["targets"])
    if outside:
        detail = f"{len(outside)} of {len(ids)} outside {where}: " + "; ".join(
            f"{name} {share:.0%} inside" for name, share in outside
        )
        return RuleResult(verdict=FAIL, detail=detail, failing=[o[0].split("（")[0] for o in outside], **base)
    return RuleResult(verdict=PASS, detail=f"all {len(ids)} lie inside {where}", **base)


def place_named(rule: dict, text: str) -> tuple[str, list[str]] | None:
    """Return the place a text names first (earliest in the text), with the ids that make it up.

    Occurrences followed by one of the rule's ``not_followed_by`` words (a 大门大桥
    is a bridge, not a site on 大门) do not count.
    """
    best = None
    for word, ids in rule["keywords"]:
        start = 0
        while (pos := text.find(word, start)) >= 0:
            rest = text[pos + len(word):]
            if not any(rest.startswith(w) for w in rule.get("not_followed_by", [])):
                if best is None or pos < best[0]:
                    best = (pos, word, ids)
                break
            start = pos + 1
    return None if best is None else (best[1], best[2])


def _within_keyword(rule: dict, subjects: gpd.GeoDataFrame, index: Index) -> RuleResult:
    checked, outside = [], []
    for _, row in subjects.iterrows():
        hit = place_named(rule, str(row.get("name") or "")) or place_named(rule, str(row.get("content") or ""))
        if hit is None:
            continue
        word, ids = hit
        checked.append(str(row["id"]))
        if share_inside(row.geometry, index.union(ids)) < INSIDE_SHARE:
            outside.append(f"{_label(row)} not in {word}")
    base = {"id": rule["id"], "source": rule["source"], "text": rule["text"], "features": checked}
    if not checked:
        return RuleResult(verdict=UNKNOWN, detail=rule["no_subjects"], **base)
    if outside:
        return RuleResult(verdict=FAIL, detail="; ".join(outside), failing=outside, **base)
    return RuleResult(verdict=PASS, detail=f"all {len(checked)} projects that name a place lie in it", **base)


def _disjoint(rule: dict, subjects: gpd.GeoDataFrame) -> RuleResult:
    rows = list(subjects.itertuples())
    overlaps = []
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            piece = shapely.intersection(rows[i].geometry, rows[j].geometry)
            area = float(polygon_area([piece])[0])
            if area > SLIVER_M2:  # more than a rounding sliver
                overlaps.append(f"{rows[i].id} ∩ {rows[j].id} = {area:,.0f} m²")
    base = {"id": rule["id"], "source": rule["source"], "text": rule["text"],
            "features": [str(r.id) for r in rows]}
    if overlaps:
        return RuleResult(verdict=FAIL, detail="; ".join(overlaps), failing=overlaps, **base)
    return RuleResult(verdict=PASS, detail=f"{len(rows)} zones, no overlap above 1 m²", **base)


def _needs_field(rule: dict, subjects: gpd.GeoDataFrame, field_name: str) -> RuleResult | None:
    if field_name in subjects.columns and subjects[field_name].notna().any():
        return None
    drawn = subjects[subjects.geom_type.isin(["Polygon", "MultiPolygon"])]
    figure = ""
    if len(drawn):
        dissolved = float(polygon_area([drawn.geometry.union_all()])[0])
        figure = (f" (industrial land drawn in the selected features: {from_square_metres(dissolved, 'mu'):,.0f} 亩,"
                  " dissolved)")
    return RuleResult(id=rule["id"], source=rule["source"], text=rule["text"], verdict=UNKNOWN,
                      detail=rule["no_field"] + figure, features=list(subjects["id"].astype(str)))


def _share_at_least(rule: dict, subjects: gpd.GeoDataFrame) -> RuleResult:
    missing = _needs_field(rule, subjects, rule["share_field"])
    if missing:
        return missing
    areas = polygon_area(subjects[subjects.geom_type.isin(["Polygon", "MultiPolygon"])])
    flags = subjects[subjects.geom_type.isin(["Polygon", "MultiPolygon"])][rule["share_field"]].fillna(False)
    share = float(areas[flags.astype(bool).to_numpy()].sum() / areas.sum()) if areas.sum() else 0.0
    verdict = PASS if share >= rule["minimum"] else FAIL
    return RuleResult(id=rule["id"], source=rule["source"], text=rule["text"], verdict=verdict,
                      detail=f"share {share:.1%} (minimum {rule['minimum']:.0%})",
                      features=list(subjects["id"].astype(str)))


def _annual_supply(rule: dict, subjects: gpd.GeoDataFrame) -> RuleResult:
    missing = _needs_field(rule, subjects, "supply_year")
    if missing:
        return missing
    polys = subjects[subjects.geom_type.isin(["Polygon", "MultiPolygon"]) & subjects["supply_year"].notna()]
    per_year = pd.Series(from_square_metres(polygon_area(polys), "mu"), index=polys.index)
    per_year = per_year.groupby(polys["supply_year"]).sum()
    short = per_year[per_year < rule["minimum_mu"]]
    detail = "; ".join(f"{int(y)}: {v:,.0f} 亩" for y, v in per_year.items())
    verdict = FAIL if len(short) else PASS
    return RuleResult(id=rule["id"], source=rule["source"], text=rule["text"], verdict=verdict, detail=detail,
                      features=list(polys["id"].astype(str)), failing=[str(int(y)) for y in short.index])


def evaluate(rule: dict, index: Index, subjects: gpd.GeoDataFrame | None = None) -> RuleResult:
    """Evaluate one rule on the layers of ``index`` (or on the given subjects)."""
    if subjects is None:
        subjects = select(rule["subjects"], index)
    test = rule["test"]
    if test == "within_keyword":
        return _within_keyword(rule, subjects, index)
    if test == "share_at_least":
        return _share_at_least(rule, subjects)
    if test == "annual_supply":
        return _annual_supply(rule, subjects)
    if not len(subjects):
        return RuleResult(id=rule["id"], source=rule["source"], text=rule["text"], verdict=UNKNOWN,
                          detail=rule["no_subjects"])
    if test == "within":
        return _within(rule, subjects, index)
    if test == "disjoint":
        return _disjoint(rule, subjects)
    raise ConfigError(f"rule {rule['id']}: unknown test {test!r}; tests: {', '.join(TESTS)}")


def shipped_index() -> Index:
    """Return an :class:`Index` of all shipped layers (built once per version of the layer files)."""
    from gis.layers import layer_path, list_layers

    stamps = tuple((name, layer_path(name).stat().st_mtime_ns) for name in list_layers())
    return _index_for(stamps)


@functools.lru_cache(maxsize=2)
def _index_for(stamps: tuple) -> Index:
    return Index(read_layers([name for name, _ in stamps]))


def check_rules(index: Index | None = None, rules: list[dict] | None = None) -> list[RuleResult]:
    """Evaluate every rule on the shipped layers (or on ``index``)."""
    index = index or shipped_index()
    return [evaluate(rule, index) for rule in (rules or load_rules())]


def rules_for_site(site: pd.Series, index: Index, rules: list[dict] | None = None) -> list[RuleResult]:
    """Evaluate the rules that concern one candidate site (a row with ``id``, ``name``, geometry).

    See :func:`rules_for_sites`, which this calls for a single site.
    """
    frame = gpd.GeoDataFrame([site], geometry="geometry", crs=LAYER_CRS)
    return rules_for_sites(frame, index, rules)[0]


def rules_for_sites(sites: gpd.GeoDataFrame, index: Index, rules: list[dict] | None = None) -> list[list[RuleResult]]:
    """Evaluate, for every candidate site at once, the rules that concern it.

    A rule concerns a site when its ``site_applies`` condition holds (the site
    intersects the rule's district, or carries the rule's field value), or, for a
    keyword rule, when the site's name names one of the rule's places. Each rule
    is measured for all the sites it concerns in one vectorised pass (a share
    inside its target per site), so ten thousand sites take no longer than a few.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        In EPSG:4326, with ``id`` and ``name``.
    index : Index
        The layers the rules refer to.
    rules : list of dict, optional
        Default: :func:`load_rules`.

    Returns
    -------
    list of list of RuleResult
        One list per site, in the sites' order.
    """
    out: list[list[RuleResult]] = [[] for _ in range(len(sites))]
    if not len(sites):
        return out
    geoms = np.asarray(sites.geometry.values, dtype=object)
    ids = sites["id"].astype(str).tolist()
    names = (sites["name"] if "name" in sites.columns else sites["id"]).fillna("").astype(str).tolist()
    labels = [f"{i}（{n}）" if n else i for i, n in zip(ids, names, strict=True)]
    for rule in rules or load_rules():
        base = {"id": rule["id"], "source": rule["source"], "text": rule["text"]}
        if rule["test"] == "within_keyword":
            groups: dict[tuple[str, tuple[str, ...]], list[int]] = {}
            for k, name in enumerate(names):
                hit = place_named(rule, name)
                if hit is not None:
                    groups.setdefault((hit[0], tuple(hit[1])), []).append(k)
            for (word, targets), members in groups.items():
                shares = _share_inside(geoms[members], index.union(list(targets)))
                for k, share in zip(members, shares, strict=True):
                    if share < INSIDE_SHARE:
                        failing = f"{labels[k]} not in {word}"
                        out[k].append(RuleResult(verdict=FAIL, detail=failing, features=[ids[k]], failing=[failing],
                                                 **base))
                    else:
                        out[k].append(RuleResult(verdict=PASS, detail="all 1 projects that name a place lie in it",
                                                 features=[ids[k]], **base))
            continue
        applies = rule.get("site_applies")
        if not applies or rule["test"] != "within":
            continue
        mask = np.ones(len(sites), dtype=bool)
        if "in_district" in applies:
            district = index.district(applies["in_district"])
            if district is None:
                continue
            mask &= np.asarray(shapely.intersects(district, geoms), dtype=bool)
        if "field" in applies:
            if applies["field"] not in sites.columns:
                continue
            values = sites[applies["field"]].fillna(False).astype(bool).to_numpy()
            mask &= values == applies["value"]
        members = np.flatnonzero(mask)
        if not len(members):
            continue
        where = "、".join(rule["targets"])
        shares = _share_inside(geoms[members], index.union(rule["targets"]))
        for k, share in zip(members, shares, strict=True):
            if share < INSIDE_SHARE:
                out[k].append(RuleResult(verdict=FAIL, detail=f"1 of 1 outside {where}: {labels[k]} {share:.0%} inside",
                                         features=[ids[k]], failing=[ids[k]], **base))
            else:
                out[k].append(RuleResult(verdict=PASS, detail=f"all 1 lie inside {where}", features=[ids[k]], **base))
    return out

"""Digitize the plan layers (zones, corridors, platforms, reclamation, projects) and the context layers of
public facts (places, airport).

Run from the repository root (reads ``layers/coast.geojson`` for island outlines and
``layers/districts.geojson`` for 鹿城区)::

    python scripts/digitize_layers.py

No survey exists for these plans, so every geometry is schematic: drawn from
the plan text (``shared/seeds/``) and the public anchors of
``shared/reference/places.md``, and says so in ``geometry_quality`` and
``geometry_source``. The drawing follows fixed rules:

* 浙南产业集聚区 is drawn in a local frame whose axis ``u`` runs along the coast
  (bearing 25°, NNE) and ``v`` out to sea (bearing 115°), origin at S2 沙城站
  on 滨海大道, in kilometres: 滨海大道 is ``v = 0``, 永强大道 ``v = −2.6``,
  the parks lie between 滨海大道 and 沈海高速复线 (``v = 3.4``), and 瓯飞 seaward of it.
* 洞头 features are placed on the island outlines of ``layers/coast.geojson``
  (derived from OpenStreetMap data) and the anchors of places.md.
* 鹿城 parks are placed at the anchors of places.md, inside the cnmaps 鹿城区 polygon.
* Every polygon with a documented area is scaled (about a fixed point, or by
  moving one cut line) until its CGCS2000 ellipsoidal area equals that figure.
* Where the plan gives no size, a nominal block is drawn and no area is documented;
  where no source gives a position either, the feature says so (``inferred =
  "geometry: …"``) or it is not drawn and ``layers/not_drawn.toml`` says why.
* 温州龙湾国际机场 (the ``airport`` context layer) is drawn from public facts
  (``layers/SOURCES.md``); no park, industrial zone or project lies on it, and no
  project point within 1.1 km of its runway.
* Each project point is placed by anchors (``placement_anchor``: ``in:ID`` or
  ``near:ID:METRES``, ids of any layer, the public places of the ``places`` layer
  among them), and its ``placement_basis`` names them.
* Seed 004 (温州 工业强市实施意见) gives the city-wide scheme ``产业平台建设工程``:
  its two 产业集聚区 (zones, extents inferred) and the 经济技术开发区 (a platform).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import numpy as np

import geopandas as gpd
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box
from shapely.ops import unary_union

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from gis.area import ellipsoidal_area  # noqa: E402
from gis.io import write_geojson  # noqa: E402
from gis.units import to_square_metres  # noqa: E402

S000 = "000_5496da43e4360013.txt"
S001 = "001_bd4c905f1d7d095b.txt"
S002 = "002_ff2ba24ae00558cb.txt"
S003 = "003_bc4797bc58bdb950.txt"
S004 = "004_11469c4f806a536c.txt"
PLACES = "shared/reference/places.md"

SCHEME_ZN = "一核两带三轴四区"
SCHEME_DT = "北翼集聚、本岛提升、西片联动"
SCHEME_LC = "1+2+N"

# --------------------------------------------------------------------------- helpers


def area_m2(geom) -> float:
    return float(ellipsoidal_area([geom], crs="EPSG:4326")[0])


class Frame:
    """A local metric frame: ``u`` along ``bearing``, ``v`` 90° clockwise of it, in km."""

    def __init__(self, lon: float, lat: float, bearing: float) -> None:
        self.to_lonlat = Transformer.from_crs(
            f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=GRS80 +units=m", "EPSG:4326", always_xy=True
        )
        b = math.radians(bearing)
        self.eu = (math.sin(b), math.cos(b))
        self.ev = (math.sin(b + math.pi / 2), math.cos(b + math.pi / 2))

    def xy(self, u: float, v: float) -> tuple[float, float]:
        east = (u * self.eu[0] + v * self.ev[0]) * 1000
        north = (u * self.eu[1] + v * self.ev[1]) * 1000
        return self.to_lonlat.transform(east, north)

    def polygon(self, uv: list[tuple[float, float]]) -> Polygon:
        return Polygon([self.xy(u, v) for u, v in _on_grid(uv, closed=True)])

    def rect(self, u0: float, u1: float, v0: float, v1: float) -> Polygon:
        return self.polygon([(u0, v0), (u1, v0), (u1, v1), (u0, v1)])

    def ellipse(self, uc: float, vc: float, a: float, b: float, n: int = 48) -> Polygon:
        return self.polygon(
            [(uc + a * math.cos(2 * math.pi * k / n), vc + b * math.sin(2 * math.pi * k / n)) for k in range(n)]
        )

    def line(self, uv: list[tuple[float, float]]) -> LineString:
        return LineString([self.xy(u, v) for u, v in _on_grid(uv, closed=False)])


GRID_KM = 0.1


def _on_grid(uv: list[tuple[float, float]], *, closed: bool) -> list[tuple[float, float]]:
    """Insert a vertex wherever an axis-parallel edge crosses the 100 m grid of the frame.

    Neighbouring shapes that share an edge then share its vertices exactly, so
    the lon/lat polygons meet without slivers (a straight frame edge is slightly
    curved in lon/lat).
    """
    points = list(uv) + ([uv[0]] if closed else [])
    out: list[tuple[float, float]] = []
    for (u0, v0), (u1, v1) in pairwise(points):
        out.append((u0, v0))
        if u0 == u1 or v0 == v1:
            a, b = (v0, v1) if u0 == u1 else (u0, u1)
            steps = np.arange(math.floor(min(a, b) / GRID_KM) + 1, math.ceil(max(a, b) / GRID_KM)) * GRID_KM
            steps = [round(t, 6) for t in (steps if b > a else steps[::-1]) if min(a, b) < t < max(a, b)]
            out.extend((u0, t) if u0 == u1 else (t, v0) for t in steps)
    if not closed:
        out.append(points[-1])
    return out


def scale_about(geom, factor: float, origin: tuple[float, float]):
    """Scale a lon/lat geometry about ``origin`` in a local equidistant plane."""
    fwd = Transformer.from_crs(
        "EPSG:4326", f"+proj=aeqd +lat_0={origin[1]} +lon_0={origin[0]} +ellps=GRS80", always_xy=True
    )
    inv = Transformer.from_crs(
        f"+proj=aeqd +lat_0={origin[1]} +lon_0={origin[0]} +ellps=GRS80", "EPSG:4326", always_xy=True
    )

    def apply(xy: np.ndarray) -> np.ndarray:
        x, y = fwd.transform(xy[:, 0], xy[:, 1])
        return np.column_stack(inv.transform(np.asarray(x) * factor, np.asarray(y) * factor))

    return shapely.transform(geom, apply)


def solve(build: Callable[[float], object], target_m2: float, lo: float, hi: float):
    """Find the parameter in [lo, hi] whose geometry has ``target_m2``; area must grow with it."""
    for _ in range(60):
        mid = (lo + hi) / 2
        if area_m2(build(mid)) < target_m2:
            lo = mid
        else:
            hi = mid
    return build((lo + hi) / 2)


def fit(geom, target_m2: float, origin: tuple[float, float] | None = None, clip=None):
    """Scale ``geom`` about ``origin`` (its centroid) until its area is ``target_m2``.

    With ``clip``, the scaled shape is intersected with it (e.g. an island) before measuring.
    """
    c = geom.centroid
    origin = origin or (c.x, c.y)

    def build(f: float):
        g = scale_about(geom, f, origin)
        return g.intersection(clip) if clip is not None else g

    return solve(build, target_m2, 0.05, 5.0)


def nominal_square(lon: float, lat: float, side_km: float, bearing: float = 0.0) -> Polygon:
    f = Frame(lon, lat, bearing)
    h = side_km / 2
    return f.rect(-h, h, -h, h)


def spread_points(area, n: int, margin_m: float = 60.0) -> list[Point]:
    """Return ``n`` distinct points inside ``area``, spread on a grid, for co-located projects."""
    c = area.representative_point()
    inner = area.buffer(-margin_m / 111_000)
    if inner.is_empty:
        inner = area
    minx, miny, maxx, maxy = inner.bounds
    step = max((maxx - minx), (maxy - miny)) / 2
    while True:
        xs = np.arange(minx + step / 2, maxx, step)
        ys = np.arange(miny + step / 2, maxy, step)
        pts = [Point(x, y) for y in ys[::-1] for x in xs if inner.contains(Point(x, y))]
        if len(pts) >= n:
            # Take every k-th so that the points spread over the area.
            idx = np.linspace(0, len(pts) - 1, n).round().astype(int)
            return [pts[i] for i in idx]
        step /= 1.5
        if step < 1e-6:
            return [c] * n


def land(coast: gpd.GeoDataFrame, ident: str):
    return coast.loc[coast["id"] == ident, "geometry"].iloc[0]


def feature(
    fid: str,
    name: str,
    geometry,
    *,
    land_use: str,
    status: str,
    source: str,
    geometry_source: str,
    period: str | None = None,
    parent: str | None = None,
    documented_area: float | None = None,
    documented_area_unit: str | None = None,
    **extra,
) -> dict:
    row = {
        "id": fid,
        "name": name,
        **{k: v for k, v in extra.items() if k in ("scheme", "role")},
        "land_use": land_use,
        "status": status,
        "period": period,
        "parent": parent,
        "documented_area": documented_area,
        "documented_area_unit": documented_area_unit,
        "source": source,
        "geometry_quality": "schematic",
        "geometry_source": geometry_source,
    }
    row.update({k: v for k, v in extra.items() if k not in ("scheme", "role")})
    row["geometry"] = geometry
    return row


def documented(value: float, unit: str) -> float:
    return float(to_square_metres(value, unit))


# --------------------------------------------------------------------------- 浙南产业集聚区

ZN = Frame(120.8034, 27.8744, 25.0)  # origin S2 沙城站; u NNE along the coast, v ESE to sea
ZN_NOTE = (
    "drawn in the 浙南 coastal frame (u along the coast from S2 沙城站, v seaward; km): "
)
# 温州龙湾国际机场 (places.md §0; layers/SOURCES.md): the ARP, the runway 03/21 of 3,200 m through it, and
# the T2 station west of it. The runway frame has the ARP as origin and u along the runway.
ARP = (120.8519, 27.9119)
RUNWAY_BEARING = 25.0  # true; 03 = magnetic 025°–034°, variation about 5° W (layers/SOURCES.md)
RUNWAY = Frame(*ARP, RUNWAY_BEARING)
RUNWAY_HALF_KM = 1.6  # 3,200 m
RUNWAY_HALF_WIDTH_KM = 0.03  # 60 m
T2_STATION = (120.8429, 27.9092)  # S1/S2 机场站, underground in front of T2
AIRFIELD_END_KM = 0.3  # beyond each runway end: 60 m runway strip + 240 m end safety area
AIRFIELD_EAST_KM = 0.3  # east of the centreline: the 150 m half strip + 150 m for the ±5° bearing
#: No project point is placed nearer than this to the runway centreline.
RUNWAY_CLEARANCE_KM = 1.1
#: 滨海园区 ends at the airfield: its NE edge (u, km) in the 浙南 frame, SW of the airfield's SW edge.
BINHAI_NE_U = 3.8


def runway_frame_v(lon: float, lat: float) -> float:
    """Distance (km) of a point east (+) or west (−) of the runway centreline."""
    x, y = Transformer.from_crs("EPSG:4326", f"+proj=aeqd +lat_0={ARP[1]} +lon_0={ARP[0]} +ellps=GRS80 +units=m",
                                always_xy=True).transform(lon, lat)
    return (x * RUNWAY.ev[0] + y * RUNWAY.ev[1]) / 1000


def airfield():
    """The airfield outline: the runway with its strip and end areas, west to the T2 station."""
    west = runway_frame_v(*T2_STATION) - 0.1
    half = RUNWAY_HALF_KM + AIRFIELD_END_KM
    return RUNWAY.rect(-half, half, round(west, 2), AIRFIELD_EAST_KM)


def runway():
    return RUNWAY.rect(-RUNWAY_HALF_KM, RUNWAY_HALF_KM, -RUNWAY_HALF_WIDTH_KM, RUNWAY_HALF_WIDTH_KM)


def runway_clearance():
    """The area within RUNWAY_CLEARANCE_KM of the runway centreline (a box: a little more)."""
    c = RUNWAY_CLEARANCE_KM
    return RUNWAY.rect(-RUNWAY_HALF_KM - c, RUNWAY_HALF_KM + c, -c, c)


AIRPORT_NOTE = (
    "airport-zswz-airfield (温州龙湾国际机场, its ARP 120.8519, 27.9119 and runway 03/21 of 3,200 m, layers/SOURCES.md)"
)


def zhenan() -> dict[str, list[dict]]:
    core = fit(ZN.ellipse(-4.2, 1.5, 1.3, 0.78), 3.2e6)
    jinhai = ZN.rect(-6.0, -1.5, 0.2, 3.4)
    binhai = ZN.rect(-1.5, BINHAI_NE_U, 0.2, 3.4)
    newtown = ZN.rect(-6.0, 5.5, -2.6, 0.2)
    oufei_n = ZN.rect(-4.5, 5.5, 3.4, 7.8)
    oufei_s = ZN.rect(-14.5, -4.5, 3.4, 7.8)
    start = ZN.rect(-10.0, -6.0, 0.8, 3.4)
    reserve = unary_union([oufei_n, start])
    binhai_how = (
        f"u −1.5…{BINHAI_NE_U}, v 0.2…3.4 (5.3 × 3.2 km): SE of 滨海大道 (v 0.2), from 金海园区 (u −1.5) NE to "
        f"the airfield: places.md bounds 滨海园区 by the airport on the N, so its NE edge (u {BINHAI_NE_U}) stays "
        f"SW of {AIRPORT_NOTE}, whose SW edge is at u 3.9; with 金海园区 the strip is the 10 × 3 km of places.md"
    )
    zones = [
        feature(
            "zn-core", "环金海湖城市核心区", core, scheme=SCHEME_ZN, role="一核",
            land_use="09", status="在建", period="2016-2018",
            source=f"{S000} 三(一); {S000} 三(五)",
            geometry_source=ZN_NOTE + "ellipse around 金海湖 (u −4.2, v 1.5) in 金海园区, sized to the "
            "public 3.2 km² of the core (places.md); the plan gives no boundary",
        ),
        feature(
            "zn-zone-emerging", "新兴产业培育区", jinhai.difference(core), scheme=SCHEME_ZN, role="四区",
            land_use="1001", status="规划", period="2016-2018", source=f"{S000} 三(一)",
            geometry_source=ZN_NOTE + "金海园区 (u −6.0…−1.5, v 0.2…3.4) less the core; the plan names "
            "the district without a boundary: placed where the new projects (中电, 百威) are",
        ),
        feature(
            "zn-zone-traditional", "传统产业提升区", binhai, scheme=SCHEME_ZN, role="四区",
            land_use="1001", status="规划", period="2016-2018", source=f"{S000} 三(一)",
            geometry_source=ZN_NOTE + "the same polygon as zn-park-binhai (滨海园区): the plan names the district "
            "without a boundary, and 滨海园区 is the older industrial park whose industries it is to upgrade; "
            + binhai_how,
        ),
        feature(
            "zn-zone-newtown", "生态宜业宜居城市新区", newtown, scheme=SCHEME_ZN, role="四区",
            land_use="07", status="规划", period="2016-2018", source=f"{S000} 三(一)",
            geometry_source=ZN_NOTE + "the town strip between 永强大道 and 滨海大道 (u −6…5.5, "
            "v −2.6…0.2: 沙城, 天河, 海城); the plan gives no boundary",
        ),
        feature(
            "zn-zone-oufei", "瓯飞发展预留区", reserve, scheme=SCHEME_ZN, role="四区",
            land_use="16", status="预留", period=None, source=f"{S000} 三(一)",
            geometry_source="union of the drawn 瓯飞一期北片 and 瓯飞起步区 (reclamation layer), the works of 瓯飞 "
            "the plan names (瓯飞一期围垦工程（北片）、瓯飞起步区, 000 三(四))",
        ),
    ]
    platforms = [
        feature(
            "zn-park-binhai", "滨海园区", binhai, scheme=SCHEME_ZN, role="园区",
            land_use="1001", status="现状", source=f"{S000} 三(七)",
            geometry_source=ZN_NOTE + "the same polygon as zn-zone-traditional (传统产业提升区, drawn as this park); "
            + binhai_how,
            inferred="status: 现状 from places.md (a provincial park set up in 2000), and the plan speaks of it as "
            "existing (由滨海园区向金海园区, 000 三(七))",
        ),
        feature(
            "zn-park-jinhai", "金海园区", jinhai, scheme=SCHEME_ZN, role="园区",
            land_use="1001", status="在建", source=f"{S000} 三(一); {S003} 一(四)",
            geometry_source=ZN_NOTE + "SW of 滨海园区 around 金海湖 (places.md ~120.795, 27.835), "
            "drawn 4.5 × 3.2 km",
        ),
    ]
    strip = lambda u0, u1: ZN.rect(u0, u1, 0.8, 3.4)  # noqa: E731
    order_note = (
        "the seeds name 2号, 3号 and 4号 (003 二(四)) and 3#围区 (000 三(四)) but no 1号; their order along the "
        "coast is not in the sources: drawn 2号 to 4号 from SW to NE as the NE three quarters of the drawn "
        "瓯飞起步区 (u −9…−6, 1 km each), whose SW quarter is left undivided; "
    )
    reclamation = [
        feature(
            "zn-rec-oufei-north", "瓯飞一期围垦工程（北片）", oufei_n, land_use="1802", status="在建",
            period="2016-2018", parent="zn-zone-oufei", district="龙湾区（经开区）", scheme=SCHEME_ZN,
            source=f"{S000} 三(四); {S003} 一(六); {S003} 二(四)",
            geometry_source=ZN_NOTE + "u −4.5…5.5, v 3.4…7.8 (10 × 4.4 km, the public ~6.6万亩 of one half of "
            "瓯飞一期, places.md): from the airport's E side down to about 海城, seaward of 沈海高速复线",
            note="海堤全线达6米高程, 龙口合龙 (003 一(六)); 养殖用海 确权 (003 二(四))",
        ),
        feature(
            "zn-rec-oufei-south", "瓯飞一期围垦工程（南片）", oufei_s, land_use="24", status="规划",
            period=None, parent=None, district="瑞安市", scheme=SCHEME_ZN,
            source=PLACES + " §2 (瓯飞一期 南片, context only; not named in the seeds)",
            geometry_source=ZN_NOTE + "u −14.5…−4.5, v 3.4…7.8, the other half of 瓯飞一期 (public "
            "6.65万亩), shown for context",
            inferred="status: 规划 for the second stage of 瓯飞一期 (places.md: 2 stages, 北区 started 2013-07), "
            "which no seed states",
        ),
        feature(
            "zn-rec-oufei-start", "瓯飞起步区", start, land_use="16", status="在建", period="2016-2018",
            parent="zn-zone-oufei", district="瑞安市", scheme=SCHEME_ZN,
            source=f"{S000} 三(四); {S003} 一(六); {S003} 二(四)",
            geometry_source=ZN_NOTE + "u −10…−6, v 0.8…3.4, in front of 丁山 on the 瑞安 side "
            "(places.md ~120.79, 27.82); the area is not given",
            note="主体工程完工验收, 6000亩吹填造地 (003 一(六))",
        ),
        feature(
            "zn-rec-oufei-start-2", "瓯飞起步区2号围区", strip(-9.0, -8.0), land_use="01",
            status="在建", period="2017", parent="zn-rec-oufei-start", district="瑞安市", scheme=SCHEME_ZN,
            source=f"{S003} 二(四)", geometry_source=order_note + "2号: u −9…−8",
            note="2号围区农业造地 (003 二(四)); 2号围区农业用海 (003 二(四))",
        ),
        feature(
            "zn-rec-oufei-start-3", "瓯飞起步区3号围区", strip(-8.0, -7.0), land_use="16",
            status="在建", period="2016-2018", parent="zn-rec-oufei-start", district="瑞安市",
            scheme=SCHEME_ZN, source=f"{S000} 三(四); {S003} 一(六); {S003} 二(四)",
            geometry_source=order_note + "3号: u −8…−7",
            note="3号围区纳入城市总规 (003 一(六)); 3号围区建设用海 (003 二(四)); 3号围区控制性详细规划 and "
            "市政基础设施建设 (003 二(四)); land_use 16 until the 控制性详细规划 assigns uses",
        ),
        feature(
            "zn-rec-oufei-start-4", "瓯飞起步区4号围区", strip(-7.0, -6.0), land_use="01",
            status="在建", period="2017", parent="zn-rec-oufei-start", district="瑞安市", scheme=SCHEME_ZN,
            source=f"{S003} 二(四)", geometry_source=order_note + "4号: u −7…−6",
            plan_name="4号围区 (003 二(四))",
            note="4号围区涂面整理工程 (003 二(四)); 4号围区农业造地 (003 二(四)); 003 writes "
            "“瓯飞起步区2号围区…、3号围区…和4号围区…”, so the name joins 瓯飞起步区 to the plan's 4号围区",
        ),
        feature(
            "zn-rec-oufei-support", "瓯飞生产配套区", ZN.rect(-4.5, -3.5, 3.4, 4.4), land_use="16",
            status="在建", period="2016-2017", parent="zn-rec-oufei-north", district="龙湾区（经开区）",
            scheme=SCHEME_ZN, source=f"{S000} 三(四); {S003} 二(四)",
            geometry_source=ZN_NOTE + "position and size stated nowhere (瓯飞生产配套区, 000 三(四); 生产配套区, "
            "003 二(四); places.md §2: not found): a nominal 1 × 1 km block (u −4.5…−3.5, v 3.4…4.4) at the SW end of the drawn "
            "瓯飞一期（北片）, beside 瓯飞起步区, the two works the texts name with it",
            inferred="geometry: nominal, position and size not stated; district: that of 瓯飞一期（北片）, in which "
            "it is drawn; status: 在建 from 吹填造地 (瓯飞生产配套区及瓯飞起步区吹填造地1万亩, 000 三(四))",
            note="瓯飞生产配套区及瓯飞起步区吹填造地1万亩 (000 三(四)); 生产配套区涂面整理工程 (003 二(四))",
        ),
    ]
    # Corridors: lines with their role; belts carry a drawn band width.
    corridors = [
        feature(
            "zn-belt-life", "生活品质提升带", ZN.line([(-6.0, -1.3), (5.5, -1.3)]), scheme=SCHEME_ZN,
            role="两带", land_use="07", status="规划", period="2016-2018", source=f"{S000} 三(一)",
            geometry_source=ZN_NOTE + "centre line between 滨海大道/S2 (v 0) and 永强大道 (v −2.6)",
            band_width_m=2600, follows="市域轨道S2线; 永强大道",
            inferred="band_width_m: 2600 is a drawing width, the distance between 滨海大道 and 永强大道 as drawn "
            "(v 0 and v −2.6): the plan gives no width",
        ),
        feature(
            "zn-belt-service", "生产性服务业集聚带", ZN.line([(-10.0, 3.4), (BINHAI_NE_U, 3.4)]),
            scheme=SCHEME_ZN, role="两带", land_use="11", status="规划", period="2016-2018", source=f"{S000} 三(一)",
            geometry_source=ZN_NOTE + f"along 沈海高速复线 (v 3.4), both sides, from 瓯飞起步区 (u −10) to the NE end "
            f"of 滨海园区 (u {BINHAI_NE_U}): not drawn along the airfield ({AIRPORT_NOTE})",
            band_width_m=1000, follows="沈海高速复线",
            inferred="band_width_m: 1000 is a nominal drawing width, 500 m each side of 沈海高速复线: the plan "
            "gives no width",
        ),
    ]
    axes = [
        ("zn-axis-8", "“天柱大道－滨海八路”轴线", 2.0),
        ("zn-axis-13", "“新川大道－滨海十三路”轴线", -1.5),
        ("zn-axis-18", "“环山南路－滨海十八路”轴线", -5.0),
    ]
    for fid, name, u in axes:
        corridors.append(
            feature(
                fid, name, ZN.line([(u, -4.0), (u, 0.0), (u, 3.4)]), scheme=SCHEME_ZN, role="三轴",
                land_use="1207", status="规划", period="2016-2018", source=f"{S000} 三(一)",
                geometry_source=ZN_NOTE + f"perpendicular to 滨海大道 at u {u}: 滨海 numbered roads rise "
                "southward, 十七路 at 金海湖 (places.md); drawn from the inland road (v −4) to the sea side",
                band_width_m=None, follows=name.strip("“”轴线"),
            )
        )
    airport_station = T2_STATION
    lingkun = (120.895, 27.945)
    roads = [
        ("zn-road-binhai", "滨海大道", ZN.line([(-9.0, 0.0), (5.5, 0.0)]).coords, "1202",
         "v 0 through the S2 stations on it (沙城站 anchor, places.md)", f"{S000} 二(二)", "在建", None),
        ("zn-road-yongqiang", "永强大道", ZN.line([(-9.0, -2.6), (5.5, -2.6)]).coords, "1202",
         "v −2.6, parallel to and 2–3 km inland of 滨海大道 (places.md, low confidence)", f"{S000} 三(一)", "在建", None),
        ("zn-rail-s2", "市域轨道S2线", [*ZN.line([(-9.0, -0.15), (3.0, -0.15)]).coords, airport_station,
         lingkun], "1206", "along the W side of 滨海大道 to 机场站 (place-station-airport), then N to 灵昆",
         f"{S000} 二(二); {S000} 三(一)", "在建", "S2线经开区段 (000 二(二))"),
        ("zn-road-g15w3", "沈海高速复线（甬台温高速复线）",
         [*ZN.line([(-12.0, 3.4), (5.5, 3.4)]).coords, (120.885, 27.935)], "1202",
         "v 3.4 along the coast, then across 瓯江南口 to 灵昆 (places.md route); it passes E of the airfield",
         f"{S000} 二(二); {S000} 三(一)", "在建", "甬台温高速公路复线 (000 二(二))"),
        ("zn-road-huanshan-east", "环山东路", [(120.77, 27.92), (120.758, 27.888), (120.745, 27.855)],
         "1202", "E foot of 大罗山 (places.md ~120.77, 27.92 → 120.745, 27.855)", f"{S000} 二(二)", "在建", None),
        ("zn-road-binhai-6", "滨海六路", ZN.line([(3.4, 0.0), (3.4, 3.4)]).coords, "1207",
         "a numbered cross-street of 滨海园区, perpendicular to 滨海大道 from 滨海大道 (v 0) to 沈海高速复线 (v 3.4), "
         "at u 3.4: the numbers rise southward 0.7 km apart as the axes are drawn (八路 at u 2.0, 十三路 at "
         "u −1.5: 3.5 km for 5 numbers), so 六路 is 2 numbers (1.4 km) NE of 八路; places.md has no position of "
         "its own for it (low confidence)", f"{S003} 二(三)", "现状", None),
    ]
    for fid, name, coords, lu, how, src, status, plan_name in roads:
        extra = {"plan_name": plan_name} if plan_name else {}
        if fid == "zn-road-binhai-6":
            extra["note"] = "滨海六路周边废气综合整治 (003 二(三))"
            extra["inferred"] = "status: 现状, an existing street: the text asks to clean up the air around it"
        corridors.append(
            feature(
                fid, name, LineString(list(coords)), scheme=SCHEME_ZN, role="道路与轨道",
                land_use=lu, status=status, period="2016-2018" if fid != "zn-road-binhai-6" else None, source=src,
                geometry_source=how, band_width_m=None, follows=None, **extra,
            )
        )
    dyke_how = (
        "position not stated: 003 names them only (两条副隔堤, 003 二(四)) and places.md has none; "
        "drawn as two nominal lines across the drawn 瓯飞一期（北片） at its thirds, u {u} from v 3.4 to 7.8"
    )
    for number, (fid, u) in enumerate((("zn-dyke-secondary-1", -1.2), ("zn-dyke-secondary-2", 2.2)), start=1):
        corridors.append(
            feature(
                fid, f"副隔堤（其{'一二'[number - 1]}）", ZN.line([(u, 3.4), (u, 7.8)]), scheme=SCHEME_ZN,
                role="围垦工程", land_use="1311", status="在建", period="2017", parent="zn-rec-oufei-north",
                source=f"{S003} 二(四)", geometry_source=dyke_how.format(u=u), band_width_m=None, follows=None,
                inferred="geometry: nominal, the position of the dykes is not stated, and which is 其一 and which "
                "其二 is ours",
                note="重点加速推进瓯飞一期(北片)围垦、两条副隔堤 (003 二(四))",
            )
        )
    return {"zones": zones, "platforms": platforms, "reclamation": reclamation, "corridors": corridors}


ZN_STATUS = "status: read from the wording of the texts (no status is stated): "


def zhenan_projects(layers: dict[str, object]) -> list[dict]:
    """Named 浙南 projects as points, in the zone or park the plans give (or a stated guess).

    Each point lies in its parent (its ``placement_anchor``), and none within RUNWAY_CLEARANCE_KM of the
    runway centreline.
    """
    g = layers
    placements = [
        # (id, name, parent id, basis, source, land_use, status, how the status was read, plan's other name)
        ("zn-p-budweiser", "百威啤酒", "zn-park-jinhai", "public: on 金海三道 in 金海园区 (places.md)",
         f"{S000} 二(一); {S003} 一(一)", "1001", "在建", "在建 from 落地建设 (百威英博 … 落地建设, 003 一(一))",
         "百威英博 (003 一(一))"),
        ("zn-p-cec", "中电产业园一期（中国电子信息产业城）", "zn-zone-emerging",
         "not stated; placed in 新兴产业培育区 (电子信息 is one of the 五大主导产业 of the 核心区, 003 二(一))",
         f"{S000} 二(一); {S003} 一(一)", "1001", "在建",
         "在建 from 落地建设 (中国电子信息产业城 … 落地建设, 003 一(一))", "中国电子信息产业城 (003 一(一))"),
        ("zn-p-beidou-chip", "华大电子“北斗之芯”", "zn-zone-emerging", "not stated; electronics → 新兴产业培育区",
         f"{S000} 二(一)", "1001", "规划", "规划 from 推进…落地建设 (华大电子 … 落地建设, 000 二(一))", None),
        ("zn-p-benteng", "奔腾激光二期", "zn-zone-traditional",
         "not stated; an existing firm → 传统产业提升区 (滨海园区)", f"{S003} 一(一)", "1001", "在建",
         "在建 from 落地建设 (奔腾激光二期 … 落地建设, 003 一(一))", None),
        ("zn-p-haichuang", "海创园", "zn-core",
         "the plan builds it as part of the 环金海湖城市核心区 (以打造环金海湖城市核心区为载体 … 推进海创园, 000 三(五))",
         f"{S000} 三(五)", "0902", "在建", "在建 from 推进…建设 (推进海创园, 000 三(五))", None),
        ("zn-p-hub", "滨海交通枢纽中心", "zn-core",
         "part of the 环金海湖城市核心区 (环金海湖城市核心区 … 滨海交通枢纽中心, 000 三(五))",
         f"{S000} 三(五); {S003} 一(四)", "120802", "在建", "在建 from 基本建成 (交通枢纽中心 … 基本建成, 003 一(四))",
         None),
        ("zn-p-huating", "华廷大酒店（五星级）", "zn-core",
         "part of the 环金海湖城市核心区 (环金海湖城市核心区 … 华廷大酒店, 000 三(五))",
         f"{S000} 三(五)", "090104", "在建", "在建 from 推进…建设 (华廷大酒店建设, 000 三(五))", None),
        ("zn-p-hq", "金海总部大厦", "zn-core",
         "金海园区 facilities (金海园区功能配套 … 金海总部大厦, 003 一(四)); faces 金海湖 in the "
         "环金海湖城市核心区 (places.md)",
         f"{S003} 一(四)", "0902", "在建", "在建 from 基本建成 (金海总部大厦 … 基本建成, 003 一(四))", None),
        ("zn-p-korea", "温州韩国产业园", "zn-zone-emerging", "not stated; placed in 新兴产业培育区",
         f"{S000} 三(三); {S000} 三(六)", "1001", "规划", "规划 from 积极建设 (积极建设温州韩国产业园, 000 三(三))", None),
        ("zn-p-strait", "海峡两岸民营经济示范区", "zn-zone-traditional",
         "not stated; placed in 传统产业提升区 (滨海园区), away from the airfield",
         f"{S000} 三(三); {S000} 三(六)", "1001", "规划",
         "规划 from 积极建设 (积极建设温州韩国产业园和海峡两岸民营经济示范区, 000 三(三))", None),
        ("zn-p-auto-town", "汽车时尚小镇", "zn-zone-emerging",
         "not stated; 核心区 industries (推进汽车时尚小镇、电子信息小镇两大特色小镇建设, 003 二(一)); placed in "
         "新兴产业培育区", f"{S000} 三(三); {S003} 二(一)", "1001", "规划",
         "规划 from 着力建设 (着力建设汽车时尚小镇, 000 三(三))", None),
        ("zn-p-eit-town", "电子信息小镇", "zn-zone-emerging",
         "not stated; 核心区 industries (推进汽车时尚小镇、电子信息小镇两大特色小镇建设, 003 二(一)); placed in "
         "新兴产业培育区", f"{S000} 三(三); {S003} 二(一)", "1001", "规划",
         "规划 from 着力建设 (着力建设汽车时尚小镇、电子信息小镇, 000 三(三))", None),
        ("zn-p-biomed", "生物医药园区", "zn-zone-emerging", "not stated; placed in 新兴产业培育区",
         f"{S000} 三(三)", "1001", "规划", "规划 from 着力建设 (着力建设 … 生物医药园区, 000 三(三))", None),
        ("zn-p-zhouyuan", "籀园小学滨海分校", "zn-zone-newtown",
         "not stated; a school of the town belt: 生态宜业宜居城市新区",
         f"{S000} 二(二); {S000} 三(八); {S003} 一(七)", "080403", "在建",
         "在建 from the new building (籀园小学滨海分校新校舍, 000 三(八))", None),
        ("zn-p-xiushan", "绣山中学滨海分校", "zn-zone-newtown",
         "not stated; a school of the town belt: 生态宜业宜居城市新区",
         f"{S000} 二(二); {S000} 三(八); {S003} 一(七)", "080403", "在建",
         "在建 from the new building (绣山中学滨海分校新校舍建设, 000 三(八))", None),
        ("zn-p-bincheng-hospital", "温州滨城医院", "zn-zone-newtown",
         "not stated; a hospital of the town belt: 生态宜业宜居城市新区",
         f"{S000} 三(八); {S003} 二(五)", "0806", "在建", "在建 from 加快推进…建设 (加快推进温州滨城医院, 000 三(八))",
         None),
        ("zn-p-ocean-sci", "海洋科技创新园", "zn-zone-traditional",
         "not stated; placed in 传统产业提升区 (滨海园区)", f"{S003} 二(一)", "0802", "在建",
         "在建 from 发挥…作用 (充分发挥海洋科技创新园创新主平台, 003 二(一)): it works, and is being extended", None),
        ("zn-p-beidou-park", "北斗卫星产业园", "zn-zone-traditional",
         "not stated; placed in 传统产业提升区 (滨海园区)", f"{S003} 二(一)", "1001", "规划",
         "规划 from 加快…项目建设 (北斗卫星产业园等项目建设, 003 二(一)): a project to be built", None),
        ("zn-p-sludge-chp", "污泥热电联产项目", "zn-park-jinhai",
         "not stated; 金海园区 (金海园区功能配套 … 污泥热电联产项目正式发电并集中供热, 003 一(四))",
         f"{S003} 一(四)", "1305", "现状", "现状 from 正式发电 (污泥热电联产项目正式发电, 003 一(四))", None),
    ]
    clear = runway_clearance()
    by_parent: dict[str, list[tuple]] = {}
    for p in placements:
        by_parent.setdefault(p[2], []).append(p)
    rows = []
    for parent, items in by_parent.items():
        area = g[parent].difference(clear)
        if parent == "zn-park-jinhai":
            area = area.difference(g["zn-core"])
        for item, pt in zip(items, spread_points(area, len(items)), strict=True):
            fid, name, _, basis, src, lu, status, status_how, plan_name = item
            rows.append(
                project_row(
                    fid, name, pt, parent=parent, source=src, land_use=lu, status=status,
                    scheme=SCHEME_ZN, group="浙南产业集聚区 重点项目", group_top="浙南产业集聚区 重点项目",
                    placement_basis=basis, anchor=f"in:{parent}", in_ojk=None,
                    rule=f"spread inside {parent} on a grid, {RUNWAY_CLEARANCE_KM:g} km or more from the runway "
                    "centreline of airport-zswz-runway",
                    inferred=ZN_STATUS + status_how, plan_name=plan_name,
                )
            )
    return rows


# --------------------------------------------------------------------------- 洞头区


def dongtou(coast: gpd.GeoDataFrame) -> dict[str, list[dict]]:
    damen = land(coast, "coast-damen")
    xiaomen = land(coast, "coast-xiaomen")
    islands = unary_union([damen, xiaomen])
    main_island = land(coast, "coast-dongtou")
    niyu = land(coast, "coast-niyu")

    # 大小门岛之间围垦区: the flats W of 大门岛 and SW of 小门岛, islands excluded, 19.8 km².
    outer = Polygon([
        (121.000, 27.972), (121.010, 27.990), (121.030, 28.000), (121.048, 27.994), (121.062, 27.986),
        (121.074, 27.982), (121.060, 27.960), (121.042, 27.946), (121.012, 27.952),
    ])
    big = solve(lambda f: scale_about(outer, f, (121.045, 27.975)).difference(islands),
                documented(19.8, "km2"), 0.5, 2.0)
    # 临港石化产业岛启动区 (2.2 km²): the W part of 小门岛 (W of 121.052°E) plus 小门岛西片, the
    # reclamation against it (N of 27.986°N), whose W edge is moved until the whole measures 2.2 km².
    xm_island_west = xiaomen.intersection(box(121.0, 27.9, 121.052, 28.1))
    start = solve(
        lambda d: unary_union([xm_island_west, big.intersection(box(121.06 - d, 27.986, 121.06, 28.02))]),
        documented(2.2, "km2"), 0.0, 0.06,
    )
    xm_west = start.difference(xiaomen)
    # 大门临港产业区围海工程 (16200 亩): the S part of the reclamation, against 大门岛, cut at a parallel.
    lingang = solve(
        lambda lat: big.intersection(box(121.0, 27.9, 121.1, lat)).difference(xm_west),
        documented(16200, "mu"), 27.947, 28.0,
    )
    north_zone = unary_union([damen, xiaomen, big]).buffer(0.001).buffer(-0.0008)
    north_zone = shapely.simplify(north_zone, 0.0002)
    north_zone = unary_union([north_zone, damen, xiaomen, big])

    # 瓯江口新区一期 (~24 km²) E of 灵昆 around S1 双瓯大道站, S of 灵霓大堤.
    ojk1 = fit(
        Polygon([(120.912, 27.945), (120.945, 27.937), (120.975, 27.918), (120.975, 27.888),
                 (120.912, 27.888)]),
        documented(24, "km2"), origin=(120.945, 27.915),
    )
    e_edge = ojk1.bounds[2]
    qiantan2 = Polygon([(e_edge, 27.918), (121.005, 27.902), (121.028, 27.892), (121.028, 27.862),
                        (e_edge, 27.862)]).difference(ojk1).difference(niyu)
    ojk2 = box(ojk1.bounds[0], 27.852, e_edge, ojk1.bounds[1]).difference(ojk1)
    west_zone = unary_union([ojk1, qiantan2, ojk2, niyu])

    # Parks inside 瓯江口新区一期: 工业功能区 in the NW corner (3000 亩), 轨道交通 in the E (1500 亩).
    minx, miny, maxx, maxy = ojk1.bounds
    ojk_ind = solve(lambda d: ojk1.intersection(box(minx, maxy - d, minx + d * 1.2, maxy)),
                    documented(3000, "mu"), 0.001, 0.05)
    rail = solve(lambda d: ojk1.intersection(box(maxx - d, miny + 0.006, maxx, miny + 0.006 + 0.012)),
                 documented(1500, "mu"), 0.001, 0.05)

    # 本岛: 南塘 in the south (1360 亩), 杨文 in the north (870 亩).
    nantang = fit(nominal_square(121.145, 27.826, 1.0, 10), documented(1360, "mu"),
                  origin=(121.145, 27.826), clip=main_island)
    yangwen = fit(nominal_square(121.128, 27.850, 0.8, 10), documented(870, "mu"),
                  origin=(121.128, 27.850), clip=main_island)
    jiumuqiu = fit(nominal_square(121.150, 27.824, 0.2), documented(51, "mu"), origin=(121.150, 27.824),
                   clip=nantang)
    auto_parts = nominal_square(121.140, 27.829, 0.25).intersection(nantang)
    electric = nominal_square(121.146, 27.8295, 0.2).intersection(nantang).difference(auto_parts)
    granite = fit(nominal_square(121.118, 27.958, 0.3), documented(100, "mu"), origin=(121.118, 27.958),
                  clip=damen)
    algae = fit(nominal_square(121.045, 27.858, 0.25), documented(60, "mu"), origin=(121.045, 27.858),
                clip=niyu)
    anchor = start.representative_point()
    green_town = nominal_square(anchor.x, anchor.y, 0.5).intersection(start)
    damen_west = nominal_square(121.052, 27.962, 0.6).intersection(damen)
    damen_transfer = nominal_square(121.100, 27.972, 0.4).intersection(damen)
    niyu_transfer = nominal_square(121.055, 27.862, 0.4).intersection(niyu)

    zones = [
        feature("dt-zone-north", "北翼集聚（大门镇）", north_zone, scheme=SCHEME_DT, role="北翼集聚",
                land_use="1001", status="规划", period="2016-2020", source=f"{S002} 第三章 一(一)",
                geometry_source="大门岛 and 小门岛 (coast layer) with the drawn 大小门岛之间围垦区"),
        feature("dt-zone-main", "本岛提升（洞头本岛）", main_island, scheme=SCHEME_DT, role="本岛提升",
                land_use="1001", status="规划", period="2016-2020", source=f"{S002} 第三章 一(二)",
                geometry_source="the outline of 洞头本岛 in the coast layer (OpenStreetMap-derived, ~2017)"),
        feature("dt-zone-west", "西片联动（灵昆—霓屿围垦区）", west_zone, scheme=SCHEME_DT, role="西片联动",
                land_use="1001", status="规划", period="2016-2020", source=f"{S002} 第三章 一(三)",
                geometry_source="union of the drawn 瓯江口新区一期, 二期 and 浅滩二期 (reclamation layer) and 霓屿岛 "
                "(coast layer): the western cluster from 灵昆 to 霓屿"),
    ]
    reclamation = [
        feature("dt-rec-damen-xiaomen", "大小门岛之间围垦区", big, land_use="1901", status="规划",
                period=None, parent="dt-zone-north", district="洞头区", scheme=SCHEME_DT,
                documented_area=19.8, documented_area_unit="km2", source=f"{S002} 第三章 一(一); {S002} 第二章 二",
                plan_name="大小门岛之间的围垦区域 (002 第三章 一(一)); 大小门岛围垦区 (002 第二章 二)",
                geometry_source="the flats W of 大门岛 and SW of 小门岛, islands of the coast layer excluded, "
                "scaled to 19.8 km²; the plan gives no boundary"),
        feature("dt-rec-xiaomen-west", "小门岛西片围涂工程", xm_west, land_use="1901", status="在建",
                period="2016-2020", parent="dt-rec-damen-xiaomen", district="洞头区", scheme=SCHEME_DT,
                source=f"{S002} 第一章 一; {S002} 第三章 一(一); {S002} 第五章 一(一)",
                geometry_source="the part of the drawn 大小门岛之间围垦区 W of 小门岛 (N of 27.986°N) that, "
                "with the W part of 小门岛, makes the 2.2 km² 临港石化产业岛启动区; its own area is not given"),
        feature("dt-rec-damen-lingang", "大门临港产业区围海工程", lingang, land_use="1901", status="规划",
                period="2019-2025", parent="dt-rec-damen-xiaomen", district="洞头区", scheme=SCHEME_DT,
                documented_area=16200, documented_area_unit="亩", source=f"{S002} 附表 序号43",
                geometry_source="the S part of the drawn 大小门岛之间围垦区 against 大门岛, cut at a parallel "
                "so that it measures 16200 亩"),
        feature("dt-rec-ojk-1", "瓯江口新区一期", ojk1, land_use="1001", status="在建", period="2016-2020",
                parent="dt-zone-west", district="洞头区", scheme=SCHEME_DT, documented_area=24,
                documented_area_unit="km2", source=f"{S002} 第一章 一; {S002} 第三章 一(三)",
                geometry_source="E of 灵昆, around S1 双瓯大道站 (120.9472, 27.9228), S of 灵霓大堤, "
                "scaled to 24 km²"),
        feature("dt-rec-qiantan-2", "浅滩二期", qiantan2, land_use="1001", status="预留", period=None,
                parent="dt-zone-west", district="洞头区", scheme=SCHEME_DT,
                source=f"{S002} 第三章 一(三); {S002} 第三章 二(三)",
                geometry_source="E of 瓯江口新区一期 to 霓屿 (places.md ~120.995, 27.888; W: 一期 E dyke, "
                "N: 灵霓大堤), 霓屿岛 excluded; the area is not given"),
        feature("dt-rec-ojk-2", "瓯江口新区二期", ojk2, land_use="1001", status="预留", period=None,
                parent="dt-zone-west", district="洞头区", scheme=SCHEME_DT, source=f"{S002} 第三章 一(三)",
                geometry_source="S of 瓯江口新区一期 (position argued from 灵霓半岛's extent, places.md); "
                "the area is not given"),
    ]
    platforms = [
        feature("dt-park-petrochem", "临港石化产业岛启动区", start, scheme=SCHEME_DT, role="产业平台",
                land_use="1001", status="在建", period="2016-2020", parent="dt-zone-north",
                documented_area=2.2, documented_area_unit="km2", source=f"{S002} 第五章 一(一)",
                geometry_source="the W part of 小门岛 (coast layer, W of 121.052°E) plus the 小门岛西片 "
                "reclamation, whose W edge is set so that the whole measures 2.2 km²"),
        feature("dt-park-nantang", "南塘工业区", nantang, scheme=SCHEME_DT, role="工业智造示范园",
                land_use="1001", status="在建", period="2016-2020", parent="dt-zone-main",
                documented_area=1360, documented_area_unit="亩",
                source=f"{S002} 第三章 一(二); {S002} 第五章 一(二)1",
                geometry_source="a block in the S of 洞头本岛 (coast layer), clipped to the island and "
                "scaled to 1360 亩"),
        feature("dt-park-yangwen", "杨文工业区", yangwen, scheme=SCHEME_DT, role="工业智造示范园",
                land_use="1001", status="现状", period="2016-2020", parent="dt-zone-main",
                documented_area=870, documented_area_unit="亩",
                source=f"{S002} 第三章 一(二); {S002} 第五章 一(二)2",
                geometry_source="a block in the N of 洞头本岛 (coast layer), clipped to the island and "
                "scaled to 870 亩"),
        feature("dt-park-ojk-industry", "瓯江口一期工业功能区", ojk_ind, scheme=SCHEME_DT,
                role="工业智造示范园", land_use="1001", status="在建", period="2016-2020",
                parent="dt-rec-ojk-1", documented_area=3000, documented_area_unit="亩",
                source=f"{S002} 第五章 一(二)3",
                geometry_source="the NW corner of the drawn 瓯江口新区一期, sized to 3000 亩"),
        feature("dt-park-rail", "轨道交通装备产业示范区", rail, scheme=SCHEME_DT, role="工业智造示范园",
                land_use="1001", status="在建", period="2016-2020", parent="dt-rec-ojk-1",
                documented_area=1500, documented_area_unit="亩", source=f"{S002} 第五章 一(二)4",
                geometry_source="the E part of the drawn 瓯江口新区一期, sized to 1500 亩"),
        feature("dt-park-jiumuqiu", "洞头九亩丘海创园", jiumuqiu, scheme=SCHEME_DT, role="创业创新平台",
                land_use="0902", status="在建", period="2016-2018", parent="dt-park-nantang",
                documented_area=51, documented_area_unit="亩", source=f"{S002} 附表 序号28",
                geometry_source="inside 南塘工业区 (南塘标准厂房 退二进三), sized to 51 亩"),
        feature("dt-park-auto-parts", "机械汽配产业园", auto_parts, scheme=SCHEME_DT, role="创业创新平台",
                land_use="1001", status="在建", period="2016-2020", parent="dt-park-nantang",
                source=f"{S002} 第一章 一; {S002} 第五章 一(三)1; {S002} 附表 序号3",
                geometry_source="inside 南塘工业区 (002 第一章 一); size not stated: a nominal 250 m block"),
        feature("dt-park-electric", "电子电器创业园", electric, scheme=SCHEME_DT, role="创业创新平台",
                land_use="1001", status="在建", period="2016-2020", parent="dt-park-nantang",
                source=f"{S002} 第一章 一; {S002} 第五章 一(三)1",
                geometry_source="inside 南塘工业区 (002 第一章 一); size not stated: a nominal 200 m block"),
        feature("dt-park-granite", "大门花岗岩深加工产业园", granite, scheme=SCHEME_DT, role="创业创新平台",
                land_use="1001", status="在建", period="2015-2018", parent="dt-zone-north",
                documented_area=100, documented_area_unit="亩",
                source=f"{S002} 第三章 二(二); {S002} 附表 序号6",
                geometry_source="on 大门岛 (coast layer); position on the island not stated; sized to 100 亩"),
        feature("dt-park-algae", "海洋藻类深加工创业园（霓屿）", algae, scheme=SCHEME_DT, role="创业创新平台",
                land_use="1001", status="规划", period="2017-2020", parent="dt-zone-west",
                documented_area=60, documented_area_unit="亩",
                source=f"{S002} 第三章 二(二); {S002} 附表 序号35",
                plan_name="霓屿海藻类创业园 (002 附表 序号35)",
                geometry_source="on 霓屿岛 (网寮鼻料场; coast layer); sized to 60 亩"),
        feature("dt-park-green-town", "大门绿能小镇", green_town, scheme=SCHEME_DT, role="特色小镇",
                land_use="1001", status="规划", period="2016-2020", parent="dt-park-petrochem",
                source=f"{S002} 第三章 三(一); {S002} 第五章 一(一); {S002} 第五章 一(三)1",
                geometry_source="in 临港石化产业岛启动区 (小门绿能小镇 创建, 002 第五章 一(一)); "
                "size not stated: a nominal 500 m block"),
        feature("dt-park-damen-west", "大门西片临港产业园（原船舶修造基地）", damen_west, scheme=SCHEME_DT,
                role="转产转业平台", land_use="1001", status="研究", period=None, parent="dt-zone-north",
                source=f"{S002} 第五章 一(三)1",
                geometry_source="W coast of 大门岛 (coast layer); size not stated: a nominal 600 m block"),
        feature("dt-park-damen-transfer", "大门转产转业示范区", damen_transfer, scheme=SCHEME_DT,
                role="转产转业平台", land_use="1001", status="研究", period=None, parent="dt-zone-north",
                source=f"{S002} 第五章 一(三)1",
                geometry_source="near 大门镇 centre (121.1075, 27.9728); size not stated: nominal 400 m"),
        feature("dt-park-niyu-transfer", "霓屿转产转业示范区", niyu_transfer, scheme=SCHEME_DT,
                role="转产转业平台", land_use="1001", status="研究", period=None, parent="dt-zone-west",
                source=f"{S002} 第五章 一(三)1",
                geometry_source="on 霓屿岛 (coast layer); size not stated: a nominal 400 m block"),
    ]
    return {"zones": zones, "reclamation": reclamation, "platforms": platforms,
            "_land": {"damen": damen, "xiaomen": xiaomen, "main": main_island, "niyu": niyu}}


# The 洞头 project table (002 附表), transcribed: seq, name, content, period, total, 2016–2020 (万元).
# None = "待定" in the source (unknown, not zero).
G1 = "一、计划实施类产业项目"
G2 = "二、计划招商类产业项目"
G3 = "三、重点基础配套设施项目"
DT_PROJECTS: list[tuple] = [
    (1, "塑料增塑剂生产基地（二期）项目", "占地60亩，总投资约1.6亿元，主要投资塑料增塑剂项目。", "2014-2018", 16000, 8000),
    (2, "金源化工新增年产600吨喹吖啶酮系列高档有机颜料改扩建",
     "总用地面积625平方米，建筑面积3,125.00平方米，建成后形成年产1500吨喹吖啶酮系列高档有机颜料的生产能力。",
     "2016-2020", 4678, 4678),
    (3, "南塘机械汽配产业园区", "厂房办公楼总面积73750平方米，包括生产车间、材料仓库及成品仓库。",
     "2014-2017", 13550, 8310),
    (4, "浙江迪特高强度螺栓公司扩能项目", "用地面积18亩，总建筑面积9706平方米。", "2015-2019", 2200, 1400),
    (5, "温州大华玻璃装饰有限公司铝合金窗加工项目", "项目用地面积51.05亩，总建筑面积21383.37平方米。",
     "2016-2020", 44856, 44856),
    (6, "大门花岗岩加工产业园项目", "总用地约100亩，总建筑面积6万平方米。", "2015-2018", 20000, 20000),
    (7, "诚意药业健康产业园", "主要建设产业园综合楼、药剂楼、仓储中心、中成药研发中心等办公大楼以及园区基础配套设施。",
     "2017-2022", 100000, 30000),
    (8, "楠江集团能源机械装备投资项目", "建设总用地面积69391.9平方米。总建筑面积114548平方米。",
     "2013-2016", 36000, 7114),
    (9, "辐射供暖供冷系统生产流水线与厂房建设", "项目总建筑面积：约56800平方米，包括生产用房和非生产用房。",
     "2012-2016", 24000, 7496),
    (10, "年产500台硅晶体生长炉项目",
     "年产350台半导体级单晶炉生产线及厂房建设项目。包括：硅单晶炉，磁拉单晶炉，锗单晶炉等系列半导体材料设备。",
     "2012-2016", 15600, 12128),
    (11, "年产11亿只高中档食品及饮料包装制品项目", "建设总用地面积30000平方米。总建筑面积45033平方米。",
     "2013-2016", 17200, 6210),
    (12, "年产7万台草坪护理机器人和12万只智能断路器工业项目",
     "项目主要建成研发大楼、生产车间和配套设施，总用地38亩，总建筑面积约32000平方米。", "2013-2017", 13000, 9589),
    (13, "年产1.6亿只碳刷、800万套碳刷架总成、400万个调节器及厂房建设项目",
     "总建筑面积46575.9平方米，其中生产性建筑面积40350.9平方米，非生产性建筑面积6225平方米。",
     "2013-2016", 12000, 7940),
    (14, "电容式触摸屏Sensor项目",
     "建设用地面积70076.3平方米，建筑占地面积34053.94平方米。地上总建筑面积139556.39平方米，其中研发楼11262.34平方米，"
     "生产车间111079.23平方米，1宿舍楼16749.12平方米，开闭所122.8平方米，配电房234.9平方米，电信接线房105平方米等;"
     "地下建筑面积1327.68平方米（不计容）。", "2013-2018", 38000, 24940),
    (15, "温州新科先进粉体材料有限公司超微细材料工业化生产项目", "项目建设用地109967平方米，总建筑面积15.6平方米。",
     "2013-2016", 54800, 32715),
    (16, "温州南车灵昆车辆维修基地", "一期项目建设总面积26135.65平方米。", "2015-2017", 48873, 38912),
    (17, "威马新能源汽车智能产业园", "园区总占地约1000亩，集智能制造、智慧物流、零部件柔性化配套、自动驾驶试验四大功能。",
     "2016-2018", 670000, 670000),
    (18, "新光机械有限公司新建年产29000台液压油缸组件、电液控阀组等产品生产线及厂房",
     "新建年产29000台液压油缸组件、电液控阀组等产品及厂房。", "2016-2018", 7680, 7680),
    (19, "中石化温州液化天然气（LNG）项目",
     "包括陆域形成工程及码头、接收站工程（含冷能综合利用）、输气管道工程等部分,一期接收规模为300万吨/年，"
     "管道外输天然气能力300万吨/年，LNG汽车装车外输能力50万吨/年，年供气40亿立方。", "2016-2020", 1080000, 1080000),
    (20, "浙能集团热电联产项目（一期）", "项目建设2座5万吨散货码头及2台35万超超临界燃煤发电机组，用地面积约450亩。",
     "2017-2020", 280000, 280000),
    (21, "温州中石油燃料罐区扩容及附属配套设施项目", "新建13.66万立方米储罐、50吨/小时污水处理场、三级防控系统。",
     "2016-2019", 35000, 35000),
    (22, "中石油丽水36-1项目海上平台改造及压缩机调整井建设项目",
     "中石油丽水36-1项目海上平台改造及压缩机调整井建设项目，总投资13.54亿元。", "2016-2017", 82900, 82900),
    (23, "永宏电气对台锂电池制造合作项目", "主要与台商企业合作投资建设新型锂电池制造合作项目，总投资额约0.5亿元。",
     "2017-2020", 5000, 5000),
    (24, "4G全覆盖工程", "建设2G基站9个，T3G基站21个，4G（TD-LTE）基站140个，WLAN站15个。", "2015-2020", 10000, 7400),
    (25, "洞头移动光纤网络助力城乡统筹建设项目",
     "有线宽带新增7000户，光缆150皮公里，道路跟进管道建设150孔公里。建成77省道、大门大桥综合通信管道。",
     "2014-2016", 5800, 1430),
    (26, "智慧城市", "建立智慧交通、旅游、电网、医疗、物流、金融、能源、教育、环保等体系；建立Wi-Fi公益性场所48个，AP447个。",
     "2017-2022", None, 3000),
    (27, "永宏跨境电商服务中心",
     "企业实施东屏街道所在旧厂房整体退二进三改造，占地18亩，建筑面积13232平方米，总投资约0.35亿元，"
     "主要改造建成集对台小额贸易、跨境电商、水产品及机电产品展示、营销平台。", "2016-2018", 3500, 3500),
    (28, "洞头九亩丘海创园",
     "实施南塘标准厂房整体退二进三改造，占地51亩，建筑面积7.29万平方米，预计总投资约2亿元，"
     "主要改造发展海洋文创意、总部经济、设计服务业等生产性服务业项目。", "2016-2018", 20000, 20000),
    (29, "洞头众创空间（一期）", "利用南塘电子电器科技园总部大楼，一期建筑面积3000平方米，建成众创空间，预计改造投入费用300万元。",
     "2016-2018", 300, 300),
    (30, "LNG配套产业园", "总用地1100亩，开展氢能、冷能和热电联产等项目引进研究。", "2020-2025", None, 10000),
    (31, "华亚控股年产20万吨LPG综合利用深加工项目", "总规划用地200亩，计划总投资11亿元，建设年产20万吨LPG综合利用深加工项目。",
     "2017-2018", 110000, 110000),
    (32, "诚意药业小门岛搬迁改造项目",
     "总规划用地200亩，计划总投资10亿元，建设年产100吨门冬氨酸鸟氨酸、20吨抗病毒药、20.02吨抗肿瘤药、"
     "500吨盐酸氨基葡萄藤及制剂项目。", "2018-2020", 70000, 70000),
    (33, "金源化工小门搬迁改造项目",
     "总规划用地150亩，计划总投资3亿元，建设年产2050-3000吨喹丫啶酮及异吲哚啉酮类、蒽醌类高档有机颜料项目。",
     "2018-2020", 30000, 30000),
    (34, "小门岛工业气体配套产业项目", "总规划用地50亩，引进以液氨、氨水、氧气、氮气、氩气、乙炔等各种气体配套项目生产、仓储项目。",
     "2018-2020", 15000, 15000),
    (35, "霓屿海藻类创业园", "选址于网寮鼻料场，占地面积60亩海藻类创业园厂房建设，其中：一期启动20亩用地建设。",
     "2017-2020", 3000, 3000),
    (36, "金源水产坛紫菜规模化加工项目", "意向选址南塘工业区空闲地块，分三期新建20条自动化加工生产线和2条精深加工生产线，"
     "预计总投资约7000万元。", "2017-2020", 7000, 7000),
    (37, "其他空间地块招商", "主要在杨文、南塘工业区未出让地块、低效用地、空闲厂房，以及小门岛预留未出让地块招商，"
     "预计地块空间约300亩，计划招商项目10个，总投资8亿元。", "2016-2018", 80000, 80000),
    (38, "220kV大门输变电工程", "用地面积约28亩，新建220kV变电所1座，容量2×240MVA，架空线路20km。", "2016-2020", 40000, 40000),
    (39, "110千伏深水输变电工程", "新增主变2*50MVA，新建110kv架空线路LGJ-300型号9.99公里。", "2017-2018", 5399, 5399),
    (40, "小门岛污水处理厂", "总的占地用地约30亩，总规模2.0万吨/日。", "2017-2020", 5000, 5000),
    (41, "大门产业基地应急引水工程",
     "工程输水规模4.9万立方米/日，主要建设内容为万岙接管点至翁垟加压泵9.1公里DN1200管道，翁垟加压泵站一座，"
     "小门岛配水站1座及相关配套与附属工程。", "2015-2017", 20447, 17447),
    (42, "大门加油站建设工程", "项目总用地约8亩。", "2016-2018", 2000, 2000),
    (43, "大门临港产业区围海工程", "围海面积约16200亩。", "2019-2025", 150000, 10000),
]
IN_OUJIANGKOU = {8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}  # the table's "*"
SITE_AREAS = {  # seq: (value, unit) of the site area the table states
    1: (60, "亩"), 2: (625, "m2"), 4: (18, "亩"), 5: (51.05, "亩"), 6: (100, "亩"), 8: (69391.9, "m2"),
    11: (30000, "m2"), 12: (38, "亩"), 14: (70076.3, "m2"), 15: (109967, "m2"), 17: (1000, "亩"),
    20: (450, "亩"), 27: (18, "亩"), 28: (51, "亩"), 30: (1100, "亩"), 31: (200, "亩"), 32: (200, "亩"),
    33: (150, "亩"), 34: (50, "亩"), 35: (60, "亩"), 37: (300, "亩"), 38: (28, "亩"), 40: (30, "亩"),
    42: (8, "亩"), 43: (16200, "亩"),
}
LAND_USE = {
    19: "1304", 20: "1303", 21: "1102", 22: "1904", 24: "1306", 25: "1306", 26: "1306", 27: "0902",
    28: "0902", 29: "0902", 38: "1303", 39: "1303", 40: "1302", 41: "1301", 42: "090105", 43: "1901",
}
# seq: (parent feature id, where inside it, the basis of the placement, the anchors the point must satisfy)
# Anchors: "in:ID" (the point lies in feature ID of any layer) or "near:ID:METRES" (within METRES of it);
# every anchor's name is in the basis, and a basis that says "on <island>" has that island as an "in:" anchor.
ON_PETROCHEM = "in:coast-xiaomen; in:dt-park-petrochem"
PLACEMENT: dict[int, tuple[str, str, str, str]] = {
    1: ("dt-park-yangwen", "park", "site not stated; an existing plant's phase 2 on 本岛: 杨文工业区 assumed",
        "in:dt-park-yangwen"),
    2: ("dt-park-yangwen", "park", "site not stated; the firm's plant is on 本岛 before its move (#33): 杨文工业区 "
        "assumed", "in:dt-park-yangwen"),
    3: ("dt-park-auto-parts", "park", "the name places it in 南塘 (机械汽配产业园)", "in:dt-park-auto-parts"),
    4: ("dt-park-nantang", "park", "site not stated; 机械汽配 sits in 南塘 (南塘工业区内的机械汽配产业园, "
        "002 第一章 一): 南塘工业区 assumed", "in:dt-park-nantang"),
    5: ("dt-park-yangwen", "park", "site not stated; 本岛: 杨文工业区 assumed", "in:dt-park-yangwen"),
    6: ("dt-park-granite", "park", "the name places it on 大门岛: 大门花岗岩深加工产业园",
        "in:dt-park-granite; in:coast-damen"),
    7: ("dt-park-yangwen", "park", "site not stated; 医药 is a 本岛 industry (功能定位 … 医药, "
        "002 第三章 一(二)): 杨文工业区 assumed", "in:dt-park-yangwen"),
    16: ("dt-park-rail", "park", "marked * (in 瓯江口新区一期); 轨道交通 → 轨道交通装备产业示范区",
         "in:dt-park-rail; in:dt-rec-ojk-1"),
    19: ("xiaomen", "lng", "温州LNG接收站 on the NE of 小门岛 (places.md ~121.07, 28.005): on 小门岛",
         "in:coast-xiaomen; near:place-lng-xiaomen:800"),
    20: ("dt-rec-damen-xiaomen", "rest", "site not stated; 大小门岛之间围垦区 (临港) assumed; 2 berths need the coast",
         "in:dt-rec-damen-xiaomen"),
    21: ("dt-park-petrochem", "island-petrochem", "the fuel depot is on 小门岛 (oil transfer base, places.md): "
         "in the island part of 临港石化产业岛启动区", ON_PETROCHEM),
    22: ("dt-park-petrochem", "island-petrochem", "offshore platform; shown on 小门岛 in 临港石化产业岛启动区, not at "
         "sea", ON_PETROCHEM),
    23: ("dongping", "point", "永宏 is at 东屏 (#27): at 东屏街道's seat", "near:place-dongping:500"),
    24: ("beiao", "point", "district-wide works; shown at 北岙, the seat", "near:place-beiao:500"),
    25: ("beiao", "point", "district-wide works; shown at 北岙, the seat", "near:place-beiao:500"),
    26: ("beiao", "point", "district-wide works; shown at 北岙, the seat", "near:place-beiao:500"),
    27: ("dongping", "point", "东屏街道 (the table's text): at its seat", "near:place-dongping:500"),
    28: ("dt-park-jiumuqiu", "park", "南塘 (the table's text): 洞头九亩丘海创园", "in:dt-park-jiumuqiu"),
    29: ("dt-park-electric", "park", "南塘电子电器科技园 (the table's text): 电子电器创业园", "in:dt-park-electric"),
    30: ("dt-rec-damen-xiaomen", "rest", "LNG产业链 in 临港石化产业岛启动区 (集聚发展LNG产业链, 002 第五章 一(一)): "
         "shown in 大小门岛之间围垦区 beside it", "in:dt-rec-damen-xiaomen"),
    31: ("dt-park-petrochem", "island-petrochem", "LPG base on 小门岛; in 临港石化产业岛启动区", ON_PETROCHEM),
    32: ("dt-park-petrochem", "island-petrochem", "小门岛 (the table's name): on 小门岛, in 临港石化产业岛启动区",
         ON_PETROCHEM),
    33: ("dt-park-petrochem", "island-petrochem", "小门 (the table's name): on 小门岛, in 临港石化产业岛启动区",
         ON_PETROCHEM),
    34: ("dt-park-petrochem", "island-petrochem", "小门岛 (the table's name): on 小门岛, in 临港石化产业岛启动区",
         ON_PETROCHEM),
    35: ("dt-park-algae", "park", "霓屿 网寮鼻料场 (the table's text): on 霓屿岛, in 海洋藻类深加工创业园",
         "in:dt-park-algae; in:coast-niyu"),
    36: ("dt-park-nantang", "park", "南塘工业区 (the table's text)", "in:dt-park-nantang"),
    37: ("dt-park-yangwen", "park", "杨文, 南塘 and 小门岛 (the table's text); shown in 杨文工业区, the first named",
         "in:dt-park-yangwen"),
    38: ("damen", "island", "大门 (the table's name): on 大门岛", "in:coast-damen"),
    39: ("niyu", "shenmen", "site not stated; from the name 深水: at 深门 (霓屿—状元岙, 深门大桥), on 霓屿岛 where "
         "it faces 深门", "in:coast-niyu; near:place-shenmen:1000"),
    40: ("xiaomen", "island-e", "小门岛 (the table's name): on 小门岛, E of 临港石化产业岛启动区", "in:coast-xiaomen"),
    41: ("xiaomen", "island-e", "ends at the 小门岛配水站 (the table's text): on 小门岛", "in:coast-xiaomen"),
    42: ("damen", "island", "大门 (the table's name): on 大门岛", "in:coast-damen"),
    43: ("dt-rec-damen-lingang", "park", "the reclamation of the same name: 大门临港产业区围海工程",
         "in:dt-rec-damen-lingang"),
}
for _seq in IN_OUJIANGKOU - {16}:
    PLACEMENT[_seq] = ("dt-park-ojk-industry", "park", "marked * (in 瓯江口新区一期); its 工业功能区 assumed: "
                       "瓯江口一期工业功能区", "in:dt-park-ojk-industry; in:dt-rec-ojk-1")
#: The places a point is shown at (ids of the places layer).
POINT_PLACES = {"beiao": "place-beiao", "dongping": "place-dongping"}
DT_STATUS = (
    "status: from construction_period, the table states none: a period that starts in or before 2016 → 在建, "
    "a later one → 规划, and the 计划招商类 items (30–37) → 规划"
)


def group_of(seq: int) -> tuple[str, str]:
    if seq <= 18:
        return G1, "（一）制造业产业项目"
    if seq <= 22:
        return G1, "（二）能源类产业项目"
    if seq <= 26:
        return G1, "（三）信息经济产业项目"
    if seq <= 29:
        return G1, "（四）生产性服务业项目"
    if seq <= 37:
        return G2, G2
    return G3, G3


def project_row(fid, name, point, *, parent, source, land_use, status, scheme, group, group_top,
                placement_basis, anchor, rule, seq=None, content=None, construction_period=None, total=None,
                in_1620=None, in_ojk=None, area=None, note=None, inferred=None, plan_name=None) -> dict:
    value, unit = area if area else (None, None)
    row = feature(
        fid, name, point, land_use=land_use, status=status, period=construction_period, parent=parent,
        documented_area=value, documented_area_unit=unit, source=source,
        geometry_source=f"point {rule}; placement_anchor {anchor}; basis: {placement_basis}",
        scheme=scheme,
    )
    row.pop("geometry")
    row.update({
        "seq": seq, "group": group, "group_top": group_top, "investment_total_wan": total,
        "investment_1620_wan": in_1620, "construction_period": construction_period, "content": content,
        "in_oujiangkou": in_ojk, "placement_basis": placement_basis, "placement_anchor": anchor,
        "source_note": note, "inferred": inferred, "plan_name": plan_name, "geometry": point,
    })
    return row


def _inset_point(area, target: Point, inset_m: float) -> Point:
    """The point of ``area`` nearest ``target``, moved ``inset_m`` into it (for a site at a strait or cape)."""
    inner = area.buffer(-inset_m / 100_000)
    return shapely.ops.nearest_points(inner if not inner.is_empty else area, target)[0]


def dongtou_projects(geoms: dict[str, object], lands: dict[str, object]) -> list[dict]:
    xiaomen = lands["xiaomen"]
    regions: dict[tuple[str, str], object] = {}
    for ref, where, _, _ in PLACEMENT.values():
        key = (ref, where)
        if key in regions:
            continue
        if where == "park":
            regions[key] = geoms[ref]
        elif where == "rest":
            regions[key] = geoms[ref].difference(geoms["dt-rec-damen-lingang"]).difference(
                geoms["dt-rec-xiaomen-west"])
        elif where == "island-petrochem":
            regions[key] = xiaomen.intersection(geoms["dt-park-petrochem"])
        elif where == "island-e":
            regions[key] = xiaomen.difference(geoms["dt-park-petrochem"]).intersection(
                box(121.0, 27.9, 121.1, 28.0005))
        elif where == "island":
            regions[key] = lands[ref]
    members: dict[tuple[str, str], list[int]] = {}
    for seq in sorted(PLACEMENT):
        ref, where, _, _ = PLACEMENT[seq]
        if where not in ("point", "shenmen", "lng"):
            members.setdefault((ref, where), []).append(seq)
    points: dict[int, Point] = {}
    for key, seqs in members.items():
        for seq, pt in zip(seqs, spread_points(regions[key], len(seqs), margin_m=40), strict=True):
            points[seq] = pt
    offsets = {}
    for seq, (ref, where, _, _) in PLACEMENT.items():
        if where == "point":
            k = offsets.get(ref, 0)
            offsets[ref] = k + 1
            anchor = geoms[POINT_PLACES[ref]]
            points[seq] = Point(anchor.x + 0.0015 * k, anchor.y - 0.0006 * k)
        elif where == "shenmen":
            points[seq] = _inset_point(lands["niyu"], geoms["place-shenmen"], 150)
        elif where == "lng":
            points[seq] = _inset_point(xiaomen, geoms["place-lng-xiaomen"], 150)
    parent_of = {
        "xiaomen": "dt-zone-north", "damen": "dt-zone-north", "niyu": "dt-zone-west", "beiao": "dt-zone-main",
        "dongping": "dt-zone-main",
    }
    rows = []
    for seq, name, content, period, total, in_1620 in DT_PROJECTS:
        ref, where, basis, anchor = PLACEMENT[seq]
        parent = ref if ref.startswith("dt-") else parent_of[ref]
        top, group = group_of(seq)
        status = "规划" if seq >= 30 and seq <= 37 else ("在建" if period.split("-")[0] <= "2016" else "规划")
        note = None
        if seq == 15:
            note = "源表写“总建筑面积15.6平方米”，与用地109967平方米不符，显系笔误；保留原值，未改正"
        if total is None:
            note = "源表总投资为“待定”：未知，不是零；小计不含此项"
        rule = {
            "point": "offset 150 m per project from its place", "shenmen": "on the island, 150 m in from the "
            "point of its outline nearest the place", "lng": "at the place, or the point of the island 150 m in "
            "from its outline nearest it",
        }.get(where, "spread on a grid inside the region named in the basis")
        rows.append(project_row(
            f"dt-p{seq:02d}", name, points[seq], parent=parent,
            source=f"{S002} 附表 序号{seq}", land_use=LAND_USE.get(seq, "1001"), status=status,
            scheme=SCHEME_DT, group=group, group_top=top, placement_basis=basis, anchor=anchor, rule=rule, seq=seq,
            content=content, construction_period=period, total=total, in_1620=in_1620, in_ojk=seq in IN_OUJIANGKOU,
            area=SITE_AREAS.get(seq), note=note, inferred=DT_STATUS,
        ))
    return rows


# --------------------------------------------------------------------------- 鹿城区


def lucheng(districts: gpd.GeoDataFrame) -> dict[str, list[dict]]:
    lucheng_district = districts.loc[districts["name"] == "鹿城区", "geometry"].iloc[0]
    light = fit(Frame(120.560, 28.058, 80).rect(-2.1, 2.1, -0.8, 0.8), documented(6.65, "km2"),
                origin=(120.560, 28.058))
    shoes = fit(Frame(120.600, 28.0165, 80).rect(-2.0, 2.0, -0.8, 0.8), documented(6.5, "km2"),
                 origin=(120.600, 28.0165))
    blocks = [
        ("lc-block-juguang", "炬光园", nominal_square(120.640, 27.999, 0.6).intersection(lucheng_district),
         "on the 鹿城/瓯海 border (炬光园中路, places.md ~120.62, 27.99), clipped to the cnmaps 鹿城区"),
        ("lc-block-yanjiang", "沿江工业区", nominal_square(120.632, 28.025, 0.6),
         "not found in public sources; placed by its name along the 瓯江 S bank W of the centre"),
        ("lc-block-tengqiao-apparel", "藤桥服饰工业园", nominal_square(120.505, 28.072, 0.7),
         "藤桥镇 (places.md ~120.50, 28.07); not located more closely"),
        ("lc-block-tengqiao-food", "藤桥食品加工基地", nominal_square(120.488, 28.062, 0.6),
         "藤桥镇 (places.md ~120.50, 28.07); not located more closely"),
        ("lc-block-shanfu", "山福沙头工业园", nominal_square(120.420, 28.120, 0.6),
         "山福镇 (places.md ~120.42, 28.12); not located more closely"),
    ]
    relocate = [
        ("lc-reloc-wuqiao", "吴桥工业区", nominal_square(120.668, 27.992, 0.5), "not found; placed by name in the 市区"),
        ("lc-reloc-hengdu", "横渎工业区", nominal_square(120.692, 27.995, 0.5),
         "横渎村, 南汇街道 (places.md ~120.69, 27.995)"),
        ("lc-reloc-longfang", "龙方工业园区", nominal_square(120.646, 27.985, 0.5),
         "龙方村, 南郊街道 (places.md ~120.64, 27.985), kept inside the cnmaps 鹿城区"),
        ("lc-reloc-liming", "黎明工业区", nominal_square(120.685, 28.006, 0.5),
         "新城 (places.md ~120.685, 28.005)"),
        ("lc-reloc-lucheng", "鹿城工业区", nominal_square(120.655, 28.003, 0.5), "not found; placed by name in the 市区"),
    ]
    main = unary_union([light, shoes, *[b[2] for b in blocks]])
    zones = [
        feature("lc-main", "鹿城区产业发展平台（主平台）", main, scheme=SCHEME_LC, role="1",
                land_use="1001", status="规划", period="2016-2018", source=f"{S001} 一(二); {S001} 二(七)",
                geometry_source="union of the drawn 轻工产业园区, 中国鞋都产业园 and the five trusteeship blocks"),
    ]
    platforms = [
        feature("lc-park-light", "浙江温州鹿城轻工产业园区", light, scheme=SCHEME_LC, role="2",
                land_use="1001", status="现状", period="2016-2018", parent="lc-main",
                documented_area=6.65, documented_area_unit="km2", source=f"{S001} 二(三); {S001} 一(二)",
                geometry_source="上戍/藤桥 along the 戍浦江 (places.md ~120.560, 28.055), N of the 鹿城/瓯海 "
                "line; a 4.2 × 1.6 km block scaled to 6.65 km²"),
        feature("lc-park-shoes", "中国鞋都产业园", shoes, scheme=SCHEME_LC, role="2",
                land_use="1001", status="现状", period="2016-2018", parent="lc-main",
                documented_area=6.5, documented_area_unit="km2", source=f"{S001} 二(三)",
                geometry_source="双屿街道 (places.md ~120.595, 28.005), kept N of the cnmaps 鹿城/瓯海 line; a 4 × 1.6 km "
                "block scaled to 6.5 km²"),
    ]
    for fid, name, geom, how in blocks:
        platforms.append(feature(
            fid, name, geom, scheme=SCHEME_LC, role="托管区块", land_use="1001", status="现状",
            period="2016-2018", parent="lc-main", source=f"{S001} 一(二); {S001} 二(四)",
            geometry_source=how + "; size not stated: a nominal block",
            note="由轻工产业园区统一托管 (001 二(四))",
        ))
    for fid, name, geom, how in relocate:
        platforms.append(feature(
            fid, name, geom, scheme=SCHEME_LC, role="搬迁区块", land_use="1001", status="待搬迁",
            period="2016-2018", parent=None, source=f"{S001} 二(四)",
            geometry_source=how + "; size not stated: a nominal 500 m block",
            note="市区限制发展区内; 整体搬迁、退二进三、关停淘汰 (001 二(四)); one of the 10 (5 named); "
            "2016年底限制发展区内10个工业区块启动搬迁 (001 二(六))",
        ))
    return {"zones": zones, "platforms": platforms}


# --------------------------------------------------------------------------- places (context)

FACTS = "public facts (coordinates, lengths, bearings); no text or drawing is copied"
#: 东屏街道: its seat 中仑村 lies 1.3 km SE of the county seat 北岙 (西北距县城1.3公里, layers/SOURCES.md).
BEIAO = (121.155, 27.838)


def _offset(lon: float, lat: float, bearing: float, km: float) -> tuple[float, float]:
    return Frame(lon, lat, bearing).xy(km, 0.0)


def shenmen(coast: gpd.GeoDataFrame) -> Point:
    """深门, the strait between 霓屿岛 and 状元岙岛: the middle of the shortest gap between their outlines."""
    a, b = shapely.ops.nearest_points(land(coast, "coast-niyu"), land(coast, "coast-zhuangyuanao"))
    return Point((a.x + b.x) / 2, (a.y + b.y) / 2)


def _context_row(fid, name, kind, geom, source, how, quality="schematic"):
    return {"id": fid, "name": name, "kind": kind, "source": source, "licence": FACTS,
            "geometry_quality": quality, "geometry_source": how, "geometry": geom}


def airport() -> list[dict]:
    """温州龙湾国际机场 as a context layer (``airport``): the airfield outline and the runway."""
    row = _context_row
    return [
        row("airport-zswz-airfield", "温州龙湾国际机场（飞行区）", "airfield", airfield(),
            "ARP and runway: zh.wikipedia.org/zh/温州龙湾国际机场 (27°54′43″N 120°51′07″E; 03/21, 3,200 m), "
            "places.md §0; runway east of the old one: zjnews.zjol.com.cn/system/2010/08/04/016818276.shtml; "
            "T2 station: places.md §0 (机场站)",
            "schematic outline: a box along the runway (true bearing 025°: 03 is magnetic 025°–034°, variation "
            "about 5° W) from 300 m beyond each runway end (60 m runway strip + 240 m end safety area) and from "
            "300 m E of the centreline (150 m half strip + 150 m for a ±5° bearing) W to 100 m W of the T2 "
            "station (it holds the old runway, now the parallel taxiway, the aprons and T2); the ARP is taken as "
            "the runway's midpoint; not the airport's land boundary (its area is not documented: the public "
            "1900 亩 of 1987 and 2100 亩 of the 2010 extension are not the whole)"),
        row("airport-zswz-runway", "温州龙湾国际机场跑道（03/21）", "runway", runway(),
            "zh.wikipedia.org/zh/温州龙湾国际机场 (3,200 m); width 60 m: www.wzair.cn/jtdt/mtbd/2016/10/04/175533.html "
            "(温州日报 2013-01-31)",
            "3,200 × 60 m through the ARP (taken as its midpoint) at true bearing 025°"),
    ]


def places(coast: gpd.GeoDataFrame) -> list[dict]:
    """The public anchors the plan features are placed by, as a context layer (``places``, points)."""
    dongping = _offset(*BEIAO, 135.0, 1.3)
    row = _context_row
    return [
        row("place-station-airport", "机场站（S1/S2）", "station", Point(*T2_STATION),
            "places.md §0 (54e1ad4b48888.kfd.me/zh-mo/机场站_(温州市))", "the station's coordinates"),
        row("place-station-shacheng", "沙城站（S2）", "station", Point(120.8034, 27.8744),
            "places.md §0 (wiwiwikim.kfd.me/zh-my/沙城站_(温州市))",
            "the station's coordinates; origin of the 浙南 drawing frame"),
        row("place-station-shuangou", "双瓯大道站（S1）", "station", Point(120.9472, 27.9228),
            "places.md §0 (zh.wikipedia.org/zh-hk/双瓯大道站)", "the station's coordinates"),
        row("place-beiao", "北岙（洞头区政府驻地）", "town", Point(*BEIAO),
            "places.md §3 (洞头本岛 / 北岙, medium confidence)", "the seat's approximate centre (places.md ~)"),
        row("place-dongping", "东屏街道（驻地中仑村）", "town", Point(*dongping),
            "sandpitts.com/zhejiangsheng/dongtouxian_dongpingzhen_info.html (东屏镇位于洞头岛的东南部…镇政府驻地中侖村，"
            "西北距县城1.3公里)",
            "1.3 km SE (bearing 135°) of place-beiao: the text gives the distance and that 北岙 lies NW; the "
            "exact bearing is not given (low confidence)"),
        row("place-damen-town", "大门镇（镇中心）", "town", Point(121.1075, 27.9728),
            "places.md §0 (newton.com.tw/wiki/大門鎮)", "the town centre's coordinates"),
        row("place-lng-xiaomen", "温州LNG接收站（小门岛东北部）", "site", Point(121.07, 28.005),
            "places.md §3 (huxiuyang.cn/news/show-108558.html; facts high, coordinate medium)",
            "approximate coordinate of places.md (~121.07, 28.005)"),
        row("place-shenmen", "深门（霓屿—状元岙）", "strait", shenmen(coast),
            "places.md §3 (霓屿岛: 深门大桥 to 状元岙); coast layer",
            "the middle of the shortest gap between 霓屿岛 and 状元岙岛 in the coast layer (the strait the 深门大桥 "
            "crosses); places.md gives no coordinate of 深门 itself"),
    ]


# --------------------------------------------------------------------------- 温州市 (004)

SCHEME_WZ = "产业平台建设工程"


def city(geoms: dict[str, object]) -> dict[str, list[dict]]:
    """The frame of 004 (温州 工业强市实施意见) that can be drawn; the rest is in layers/not_drawn.toml.

    The two 产业集聚区 are zones of the city-wide scheme (disjoint: 浙南 and 灵霓); the 经济技术开发区 is a
    platform of it (it lies partly in the 浙南 集聚区 and partly outside).
    """
    zn_scheme = unary_union([geoms[i] for i in ("zn-core", "zn-zone-emerging", "zn-zone-traditional",
                                                "zn-zone-newtown", "zn-zone-oufei")])
    ojk = unary_union([geoms["coast-lingkun"], geoms["dt-zone-west"]])
    longwan_1992 = fit(nominal_square(120.735, 27.975, 2.26), 5.11e6, origin=(120.735, 27.975))
    etdz = unary_union([longwan_1992, geoms["zn-park-binhai"]])
    common = {"scheme": SCHEME_WZ, "land_use": "1001", "period": "2014-2016"}
    period = "period: 2014-2016 from the date of the text (2014-03-19) and 力争到2016年实现以下目标 (004 二)"
    zones = [
        feature(
            "wz-cluster-zhenan", "浙南沿海先进装备产业集聚区", zn_scheme, role="产业集聚区", status="在建",
            source=f"{S004} 二; {S004} 三(二)1",
            geometry_source="the union of the drawn zones of 000's 一核两带三轴四区 (zn-core and the 四区): 004 names "
            "the 集聚区 without an extent; it is identified with the 浙南产业集聚区 of 000 and 003, which 000 calls a "
            "省级产业集聚区 (省级产业集聚区加快提升发展, 000 一) on the same coast",
            inferred="geometry: the identification with 000's 浙南产业集聚区 is ours, no source states it; "
            "status: 在建 (初步建成浙南沿海先进装备产业集聚区, 004 二); " + period,
            note="初步建成浙南沿海先进装备产业集聚区 (004 二); 加快推进浙南沿海先进装备产业集聚区和瓯江口产业集聚区规划建设 "
            "(004 三(二)1)",
            **common,
        ),
        feature(
            "wz-cluster-oujiangkou", "瓯江口产业集聚区", ojk, role="产业集聚区", status="在建",
            source=f"{S004} 二; {S004} 三(二)1",
            geometry_source="the union of 灵昆岛 (coast layer) and the drawn 西片联动 (dt-zone-west: 瓯江口新区一期, 二期, "
            "浅滩二期 and 霓屿岛), i.e. 灵霓半岛 from 灵昆 to 霓屿 (places.md: 瓯江口新区 = 灵霓半岛, about 130 km²): "
            "004 names the 集聚区 without an extent; 002 says the 西片 is to develop as a 省级产业集聚区 "
            "(立足省级产业集聚区提升发展, 002 第三章 一(三))",
            inferred="geometry: the identification with 瓯江口新区 (灵霓半岛) is ours, no source states it; "
            "status: 在建 (全面完成瓯江口产业集聚区基础设施项目, 004 二); " + period,
            note="全面完成瓯江口产业集聚区基础设施项目和重点功能区建设 (004 二); 瓯江口新区 is also among the places of "
            "the 战略性新兴产业生产基地 (瓯江口新区, 004 三(四)2; layers/not_drawn.toml)",
            **common,
        ),
    ]
    platforms = [
        feature(
            "wz-etdz", "温州经济技术开发区", etdz, role="经济技术开发区", status="现状",
            source=f"{S004} 二; {S004} 三(四)2", plan_name="温州经开区 (004 三(四)2)",
            geometry_source="two parts: the 1992 龙湾园区 (places.md §1: 5.11 km², bounds 温强公路 N, 汤家桥路 W, "
            "车站大道 S, 坦河 E, not drawn; drawn as a square of 5.11 km² at ~120.735, 27.975, coordinate low) and "
            "the drawn 滨海园区 (zn-park-binhai; places.md's document is titled 温州经济技术开发区滨海园区概况); 金海园区 and the later areas are not added (no source found that "
            "they are 经开区 land rather than 集聚区 land)",
            inferred="status: 现状, an existing national 开发区 (国函〔1992〕28号, places.md); " + period,
            note="加快温州经济技术开发区和省级工业园区整合提升 (004 二); 温州经开区 is among the places of the "
            "战略性新兴产业生产基地 (温州经开区 … 战略性新兴产业生产基地, 004 三(四)2)",
            **common,
        ),
    ]
    return {"zones": zones, "platforms": platforms}


# --------------------------------------------------------------------------- assembly

_TAIL = ["source", "geometry_quality", "geometry_source", "inferred", "plan_name"]
LAYER_COLUMNS = {
    "zones": ["id", "name", "scheme", "role", "land_use", "status", "period", "parent", "documented_area",
              "documented_area_unit", *_TAIL],
    "corridors": ["id", "name", "scheme", "role", "land_use", "status", "period", "parent", "documented_area",
                  "documented_area_unit", "band_width_m", "follows", *_TAIL, "note"],
    "platforms": ["id", "name", "scheme", "role", "land_use", "status", "period", "parent", "documented_area",
                  "documented_area_unit", *_TAIL, "note"],
    "reclamation": ["id", "name", "scheme", "district", "district_id", "land_use", "status", "period", "parent",
                    "documented_area", "documented_area_unit", *_TAIL, "note"],
    "projects": ["id", "name", "scheme", "seq", "group_top", "group", "land_use", "status", "period", "parent",
                 "documented_area", "documented_area_unit", "investment_total_wan", "investment_1620_wan",
                 "construction_period", "content", "in_oujiangkou", "placement_basis", "placement_anchor", "source",
                 "source_note", "geometry_quality", "geometry_source", "inferred", "plan_name"],
    "places": ["id", "name", "kind", "source", "licence", "geometry_quality", "geometry_source"],
    "airport": ["id", "name", "kind", "source", "licence", "geometry_quality", "geometry_source"],
}
#: The district a reclamation area lies or is managed in → the id of that district in the districts layer.
DISTRICT_IDS = {"洞头区": "district-330305", "瑞安市": "district-330381", "龙湾区（经开区）": "district-330303"}


def to_frame(rows: list[dict], layer: str) -> gpd.GeoDataFrame:
    columns = LAYER_COLUMNS[layer]
    data = [{c: r.get(c) for c in columns} | {"geometry": _clean(r["geometry"])} for r in rows]
    return gpd.GeoDataFrame(data, columns=[*columns, "geometry"], geometry="geometry", crs="EPSG:4326")


def _clean(geom):
    """Round to the stored precision, keep only polygonal parts, and make valid."""
    geom = shapely.set_precision(geom, 1e-6)
    if geom.geom_type == "GeometryCollection":
        geom = unary_union([g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")])
    if geom.geom_type == "MultiPolygon" and len(geom.geoms) == 1:
        geom = geom.geoms[0]
    if isinstance(geom, Polygon | MultiPolygon) and not geom.is_valid:
        geom = shapely.make_valid(geom)
    return geom


def main() -> None:
    coast = gpd.read_file(ROOT / "layers" / "coast.geojson")
    zn = zhenan()
    dt = dongtou(coast)
    lc = lucheng(gpd.read_file(ROOT / "layers" / "districts.geojson"))
    layers: dict[str, list[dict]] = {name: [] for name in LAYER_COLUMNS}
    for part in (zn, dt, lc):
        for name, rows in part.items():
            if not name.startswith("_"):
                layers[name].extend(rows)
    layers["places"] = places(coast)
    layers["airport"] = airport()
    for row in layers["reclamation"]:
        row["district_id"] = DISTRICT_IDS[row["district"]]
    geoms = {r["id"]: r["geometry"] for rows in layers.values() for r in rows}
    geoms |= dict(zip(coast["id"], coast.geometry, strict=True))
    for name, rows in city(geoms).items():
        layers[name].extend(rows)
    layers["projects"] = dongtou_projects(geoms, dt["_land"]) + zhenan_projects(geoms)
    out = ROOT / "layers"
    for name, rows in layers.items():
        gdf = to_frame(rows, name)
        if name == "projects":
            gdf = gdf.sort_values(["scheme", "seq", "id"], na_position="last", kind="stable")
            for col in ("seq", "investment_total_wan", "investment_1620_wan"):
                gdf[col] = gdf[col].astype("Int64")
        write_geojson(gdf, out / f"{name}.geojson", name=name)
        print(f"wrote layers/{name}.geojson: {len(gdf)} features")


if __name__ == "__main__":
    main()

"""The shipped layers carry the plans faithfully (issue: the plans as data)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import shapely

from gis import ellipsoidal_area, land_use_name, read_layer, to_square_metres
from gis.layers import PLAN_LAYERS, list_layers
from gis.plans import find_document, load_plans, parse_citation, parse_short_citations
from gis.schema import required_fields

from .conftest import ROOT

SCHEME_DT = "北翼集聚、本岛提升、西片联动"


CONTEXT = ("districts", "coast", "places", "airport")


def test_every_layer_is_shipped(layers):
    assert set(list_layers()) == {*PLAN_LAYERS, *CONTEXT}


@pytest.mark.parametrize("name", [*PLAN_LAYERS, *CONTEXT])
def test_layer_files_are_wgs84_rounded_and_diffable(name):
    text = (ROOT / "layers" / f"{name}.geojson").read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["type"] == "FeatureCollection" and data["name"] == name
    numbers = re.findall(r"-?\d+\.(\d+)", text.split('"features"', 1)[1])
    assert numbers and max(len(n) for n in numbers if len(n) > 0) <= 8  # properties may hold 2-8 decimals
    for feature in data["features"]:
        coords = np.array(shapely.get_coordinates(shapely.geometry.shape(feature["geometry"])))
        assert np.all(np.round(coords, 6) == coords)
        assert np.all((coords[:, 0] > 119) & (coords[:, 0] < 122) & (coords[:, 1] > 27) & (coords[:, 1] < 29))
    # One property per line: a changed attribute changes one line.
    assert '\n  "id": ' in text


@pytest.mark.parametrize("name", PLAN_LAYERS)
def test_plan_layers_have_the_schema(layers, name):
    gdf = layers[name]
    assert gdf.crs.to_epsg() == 4326
    assert set(required_fields(name)) <= set(gdf.columns)
    assert (gdf["geometry_quality"] == "schematic").all()
    assert gdf["geometry_source"].str.len().gt(10).all()
    for code in gdf["land_use"]:
        land_use_name(code)  # raises KeyError for an unknown code


def test_ids_are_unique_stable_ascii(layers):
    ids = pd.concat([g["id"] for g in layers.values()])
    assert ids.is_unique
    assert ids.str.fullmatch(r"[a-z0-9][a-z0-9-]*").all()


def test_every_documented_figure_cites_a_declared_document(layers):
    plans = load_plans()
    for name in PLAN_LAYERS:
        gdf = layers[name]
        assert gdf["source"].notna().all()
        cited = gdf[gdf["documented_area"].notna()]
        for ident, source in zip(cited["id"], cited["source"], strict=True):
            files = [file for file, _clause in parse_citation(source)]
            assert files and all(file in plans for file in files), (ident, source)


def test_seed_files_named_in_sources_are_declared(layers):
    """Every seed file a source names is a document of layers/plans.toml (the texts need not be at hand)."""
    plans = load_plans()
    cited = set()
    for name in PLAN_LAYERS:
        for ident, source in zip(layers[name]["id"], layers[name]["source"], strict=True):
            named = set(re.findall(r"\d{3}_[0-9a-f]{16}\.txt", source))
            assert named == {file for file, _clause in parse_citation(source)}, (ident, source)  # all parsed
            assert named <= set(plans), (ident, sorted(named - set(plans)))
            cited |= named
    assert cited == set(plans)  # every declared document, 004 (the city-wide 实施意见) too


def test_short_references_in_free_text_name_declared_documents(layers):
    """``(002 第一章 一)`` in geometry_source, placement_basis and note: a declared seed's number."""
    found = 0
    for name in PLAN_LAYERS:
        gdf = layers[name]
        for field in ("geometry_source", "placement_basis", "note"):
            if field not in gdf:
                continue
            for ident, text in zip(gdf["id"], gdf[field], strict=True):
                for number, clause in parse_short_citations(text):
                    found += 1
                    assert find_document(number) is not None, (ident, field, number, clause)
                    assert clause, (ident, field, text)
                # Nothing that looks like a reference is missed: every "(NNN " is parsed.
                if isinstance(text, str):
                    assert len(re.findall(r"\((\d{3}) ", text)) <= len(parse_short_citations(text)), (ident, text)
    assert found >= 40


def _by_name(gdf, name):
    rows = gdf[gdf["name"] == name]
    assert len(rows) == 1, f"{name!r} found {len(rows)} times"
    return rows.iloc[0]


def test_zones_hold_every_scheme(layers):
    zones = layers["zones"]
    expected = {
        "一核两带三轴四区": {"环金海湖城市核心区", "新兴产业培育区", "传统产业提升区", "生态宜业宜居城市新区", "瓯飞发展预留区"},
        SCHEME_DT: {"北翼集聚（大门镇）", "本岛提升（洞头本岛）", "西片联动（灵昆—霓屿围垦区）"},
        "1+2+N": {"鹿城区产业发展平台（主平台）"},
    }
    for scheme, names in expected.items():
        assert set(zones.loc[zones["scheme"] == scheme, "name"]) == names
    assert _by_name(zones, "环金海湖城市核心区")["role"] == "一核"
    assert (zones.loc[zones["name"].isin(expected["一核两带三轴四区"] - {"环金海湖城市核心区"}), "role"] == "四区").all()


def test_corridors_two_belts_three_axes_and_roads(layers):
    corridors = layers["corridors"]
    belts = corridors[corridors["role"] == "两带"]
    assert set(belts["name"]) == {"生活品质提升带", "生产性服务业集聚带"}
    assert belts["band_width_m"].gt(0).all()
    axes = corridors[corridors["role"] == "三轴"]
    assert len(axes) == 3
    assert all(any(key in n for n in axes["name"]) for key in ("天柱大道－滨海八路", "新川大道－滨海十三路", "环山南路－滨海十八路"))
    roads = set(corridors.loc[corridors["role"] == "道路与轨道", "name"])
    assert {"滨海大道", "永强大道", "市域轨道S2线", "滨海六路"} <= roads
    assert set(corridors.loc[corridors["role"] == "围垦工程", "name"]) == {"副隔堤（其一）", "副隔堤（其二）"}
    assert any("沈海高速复线" in r for r in roads)
    assert (corridors.geom_type == "LineString").all()


PLATFORMS = [
    "浙江温州鹿城轻工产业园区", "中国鞋都产业园", "炬光园", "沿江工业区", "藤桥服饰工业园", "藤桥食品加工基地",
    "山福沙头工业园", "吴桥工业区", "横渎工业区", "龙方工业园区", "黎明工业区", "鹿城工业区", "南塘工业区",
    "杨文工业区", "瓯江口一期工业功能区", "轨道交通装备产业示范区", "临港石化产业岛启动区", "金海园区", "滨海园区",
]
RECLAMATION = [
    "瓯飞起步区", "瓯飞起步区2号围区", "瓯飞起步区3号围区", "瓯飞起步区4号围区", "瓯飞生产配套区",
    "瓯飞一期围垦工程（北片）", "瓯飞一期围垦工程（南片）", "大小门岛之间围垦区", "小门岛西片围涂工程",
    "大门临港产业区围海工程", "瓯江口新区一期", "浅滩二期", "瓯江口新区二期",
]


def test_platforms_and_reclamation_named_by_the_plans(layers):
    for name in PLATFORMS:
        _by_name(layers["platforms"], name)
    for name in RECLAMATION:
        _by_name(layers["reclamation"], name)
    relocation = layers["platforms"][layers["platforms"]["role"] == "搬迁区块"]
    assert len(relocation) == 5 and (relocation["status"] == "待搬迁").all()
    trustee = layers["platforms"][layers["platforms"]["role"] == "托管区块"]
    assert len(trustee) == 5 and (trustee["parent"] == "lc-main").all()
    rec = layers["reclamation"]
    assert rec["status"].notna().all()
    assert _by_name(rec, "瓯江口新区二期")["status"] == "预留"


DOCUMENTED = {  # name: (value, unit) as the plans state them
    "浙江温州鹿城轻工产业园区": (6.65, "km2"), "中国鞋都产业园": (6.5, "km2"), "南塘工业区": (1360, "亩"),
    "杨文工业区": (870, "亩"), "瓯江口一期工业功能区": (3000, "亩"), "轨道交通装备产业示范区": (1500, "亩"),
    "临港石化产业岛启动区": (2.2, "km2"), "大小门岛之间围垦区": (19.8, "km2"), "大门临港产业区围海工程": (16200, "亩"),
    "瓯江口新区一期": (24, "km2"),
}


def test_documented_areas_match_the_plans_within_five_percent(layers):
    polygons = pd.concat([layers["platforms"], layers["reclamation"], layers["zones"]])
    for name, (value, unit) in DOCUMENTED.items():
        row = _by_name(polygons, name)
        assert (row["documented_area"], row["documented_area_unit"]) == (value, unit)
    with_area = polygons[polygons["documented_area"].notna()].set_crs(4326, allow_override=True)
    assert len(with_area) >= len(DOCUMENTED)
    measured = ellipsoidal_area(with_area)
    expected = np.array([to_square_metres(v, u) for v, u in zip(with_area["documented_area"],
                                                                  with_area["documented_area_unit"], strict=True)])
    assert np.all(np.abs(measured / expected - 1) <= 0.05)


# The subtotals of the 洞头 table (plan-inventory.md), in 万元.
SUBTOTALS = {
    ("group_top", "一、计划实施类产业项目"): (29, 2_660_937, 2_460_498),
    ("group", "（一）制造业产业项目"): (18, 1_138_437, 941_968),
    ("group", "（二）能源类产业项目"): (4, 1_477_900, 1_477_900),
    ("group", "（三）信息经济产业项目"): (4, 20_800, 16_830),
    ("group", "（四）生产性服务业项目"): (3, 23_800, 23_800),
    ("group_top", "二、计划招商类产业项目"): (8, 315_000, 325_000),
    ("group_top", "三、重点基础配套设施项目"): (6, 222_846, 79_846),
}


@pytest.fixture(scope="module")
def dongtou_projects():
    projects = read_layer("projects")
    return projects[projects["scheme"] == SCHEME_DT]


def test_projects_reproduce_the_table_subtotals_exactly(dongtou_projects):
    p = dongtou_projects
    assert sorted(p["seq"].astype(int)) == list(range(1, 44))
    for (field, value), (items, total, in_1620) in SUBTOTALS.items():
        group = p[p[field] == value]
        assert len(group) == items, value
        assert int(group["investment_total_wan"].sum()) == total, value
        assert int(group["investment_1620_wan"].sum()) == in_1620, value
    assert int(p["investment_total_wan"].sum()) == 3_198_783
    assert int(p["investment_1620_wan"].sum()) == 2_865_344


def test_undecided_investment_is_unknown_not_zero(dongtou_projects):
    p = dongtou_projects.set_index("seq")
    assert p.loc[26, "investment_total_wan"] is pd.NA or pd.isna(p.loc[26, "investment_total_wan"])
    assert pd.isna(p.loc[30, "investment_total_wan"])
    assert (dongtou_projects["investment_total_wan"].dropna() > 0).all()
    assert "待定" in p.loc[26, "source_note"]
    assert "15.6" in p.loc[15, "content"] and "笔误" in p.loc[15, "source_note"]


def test_starred_projects_lie_in_oujiangkou_phase_one(dongtou_projects, layers):
    starred = dongtou_projects[dongtou_projects["in_oujiangkou"].astype(bool)]
    assert sorted(starred["seq"].astype(int)) == list(range(8, 19))
    phase_one = _by_name(layers["reclamation"], "瓯江口新区一期").geometry
    assert starred.geometry.within(phase_one).all()
    others = dongtou_projects[~dongtou_projects["in_oujiangkou"].astype(bool)]
    assert not others.geometry.within(phase_one).any()


@pytest.mark.parametrize(("seq", "place"), [
    (3, "南塘工业区"), (36, "南塘工业区"), (28, "南塘工业区"), (6, "大门花岗岩深加工产业园"),
    (31, "临港石化产业岛启动区"), (32, "临港石化产业岛启动区"), (33, "临港石化产业岛启动区"),
    (34, "临港石化产业岛启动区"), (35, "海洋藻类深加工创业园（霓屿）"), (16, "轨道交通装备产业示范区"),
])
def test_projects_sit_in_the_park_the_table_names(dongtou_projects, layers, seq, place):
    point = dongtou_projects.set_index("seq").loc[seq, "geometry"]
    assert point.within(_by_name(layers["platforms"], place).geometry)


def test_zhenan_named_projects_are_placed(layers):
    projects = layers["projects"]
    zn = projects[projects["scheme"] == "一核两带三轴四区"]
    for name in ("百威啤酒", "中电产业园一期", "北斗之芯", "奔腾激光二期", "海创园", "滨海交通枢纽中心", "华廷大酒店",
                 "金海总部大厦", "温州韩国产业园", "海峡两岸民营经济示范区", "汽车时尚小镇", "电子信息小镇",
                 "生物医药园区", "籀园小学", "绣山中学", "滨城医院", "海洋科技创新园", "北斗卫星产业园", "污泥热电联产"):
        assert zn["name"].str.contains(name).sum() == 1, name
    assert zn["placement_basis"].str.len().gt(5).all()


def _land(layers, ident):
    coast = layers["coast"]
    return coast.loc[coast["id"] == ident, "geometry"].iloc[0]


def test_geometry_is_where_the_public_facts_put_it(layers):
    platforms, reclamation, districts = layers["platforms"], layers["reclamation"], layers["districts"]
    lucheng = districts.loc[districts["name"] == "鹿城区", "geometry"].iloc[0]
    lc = platforms[platforms["scheme"] == "1+2+N"]
    assert lc.geometry.within(lucheng.buffer(1e-6)).all()
    # 轻工 park north of the 鹿城/瓯海 line at 120.55°E (places.md: north of ~28.037).
    assert _by_name(platforms, "浙江温州鹿城轻工产业园区").geometry.bounds[1] > 28.037
    # 南塘 in the south and 杨文 in the north of 洞头本岛, both on the island.
    island = _land(layers, "coast-dongtou")
    nantang, yangwen = _by_name(platforms, "南塘工业区").geometry, _by_name(platforms, "杨文工业区").geometry
    assert nantang.within(island.buffer(1e-6)) and yangwen.within(island.buffer(1e-6))
    assert nantang.centroid.y < yangwen.centroid.y
    # The 大小门岛 reclamation is at sea: it does not cover the islands.
    between = _by_name(reclamation, "大小门岛之间围垦区").geometry
    islands = _land(layers, "coast-damen").union(_land(layers, "coast-xiaomen"))
    assert between.intersection(islands).area / between.area < 0.001
    assert between.distance(islands) < 1e-3  # but it adjoins them
    # 瓯江口新区一期 surrounds S1 双瓯大道站; 瓯飞 lies seaward (east) of 滨海大道's 沙城站.
    assert _by_name(reclamation, "瓯江口新区一期").geometry.contains(shapely.Point(120.9472, 27.9228))
    assert _by_name(reclamation, "瓯飞一期围垦工程（北片）").geometry.bounds[0] > 120.8034
    core = _by_name(layers["zones"], "环金海湖城市核心区").geometry
    assert core.within(_by_name(platforms, "金海园区").geometry.buffer(1e-6))


def test_zones_of_a_scheme_do_not_overlap(layers):
    zones = layers["zones"]
    for _, group in zones.groupby("scheme"):
        geoms = list(group.geometry)
        for i in range(len(geoms)):
            for j in range(i + 1, len(geoms)):
                assert geoms[i].intersection(geoms[j]).area < 1e-9


def test_context_layers_carry_source_and_licence(layers):
    for name in CONTEXT:
        gdf = layers[name]
        assert gdf["licence"].str.len().gt(3).all() and gdf["source"].str.len().gt(10).all()
        assert (gdf["geometry_quality"] == ("derived" if name in ("districts", "coast") else "schematic")).all()
    assert "OpenStreetMap" in layers["coast"]["licence"].iloc[0]
    assert len(layers["districts"]) == 12
    lucheng = layers["districts"].set_index("name").loc["鹿城区"]
    assert abs(float(ellipsoidal_area([lucheng.geometry], crs=4326)[0]) / 1e6 - 290.8) / 290.8 < 0.01

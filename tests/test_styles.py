"""The one model of style: no colour clashes, readable label colours, QGIS rules that take each feature once."""

from __future__ import annotations

import pytest

from gis.layers import PLAN_LAYERS, read_layer
from gis.mapdef import (
    MIN_COLOUR_DISTANCE,
    colour_clashes,
    colour_distance,
    contrast,
    is_context_layer,
    load_definitions,
    style_rules,
)
from gis.qml import assigned_rules, condition_expression, exclusive_filters, merge_rules


def test_no_two_classes_seen_together_look_alike_and_a_class_has_one_colour():
    assert colour_clashes() == []
    # the clashes the issue found are gone
    dongtou = {c.value: c.colour for layer in load_definitions()[0].layers for c in layer.classes}
    assert colour_distance(dongtou["西片联动"], dongtou["在建"]) >= MIN_COLOUR_DISTANCE


def test_every_label_colour_reads_on_its_white_halo():
    for definition in load_definitions():
        for _layer, cls in definition.classes():
            assert contrast(cls.text_colour, "#ffffff") >= 4.5, (definition.name, cls.value, cls.text_colour)


@pytest.mark.parametrize("name", [n for n in PLAN_LAYERS if n in style_rules()])
def test_qgis_rules_take_each_feature_at_most_once(name):
    gdf = read_layer(name)
    rules = style_rules()[name]
    kept, taken = assigned_rules(rules, gdf)
    groups = merge_rules(kept)
    filters = exclusive_filters(groups)
    assert len(filters) == len(groups)
    # evaluate each group's exclusive filter in Python: no feature matches two groups
    seen = {}
    for index, group in enumerate(groups):
        own = group[0].mask(gdf)
        for rule in group[1:]:
            own |= rule.mask(gdf)
        earlier = [r for g in groups[:index] for r in g]
        for rule in earlier:
            own &= ~rule.mask(gdf)
        for ident in gdf.loc[own, "id"]:
            assert ident not in seen, f"{ident} is drawn by two rules"
            seen[ident] = index
    drawn_by_a_map = set(gdf.loc[taken >= 0, "id"])
    assert drawn_by_a_map == set(seen)


def test_a_scheme_map_wins_over_a_map_of_all_schemes():
    zones = style_rules()["zones"]
    first = zones[0]
    assert first.specificity == max(r.specificity for r in zones)
    general = [r for r in zones if not r.layer.where]
    assert general and zones.index(general[0]) > zones.index(first)
    assert condition_expression({"scheme": ("1+2+N",)}) == "\"scheme\" = '1+2+N'"


def test_a_new_context_layer_such_as_a_harbour_is_muted_unlabelled_and_under_the_plan(tmp_path, monkeypatch):
    import shutil
    import zipfile
    from io import BytesIO
    from xml.etree import ElementTree as ET

    import geopandas as gpd
    from shapely.geometry import box

    from gis import settings
    from gis.mapdef import BACKGROUND, is_context_layer
    from gis.qml import layer_qml, project_document

    folder = tmp_path / "layers"
    shutil.copytree(settings.get_layers_folder(), folder)
    harbour = gpd.GeoDataFrame({"id": ["ctx-harbour"], "name": ["状元岙港区"]},
                               geometry=[box(121.05, 27.90, 121.08, 27.92)], crs=4326)
    harbour.to_file(folder / "harbour.geojson", driver="GeoJSON")
    monkeypatch.setenv("GIS_LAYERS_FOLDER", str(folder))
    assert is_context_layer("harbour")
    layers = {"zones": read_layer("zones"), "harbour": read_layer("harbour"), "coast": read_layer("coast"),
              "districts": read_layer("districts")}
    styles = layer_qml(layers)
    qml = styles["harbour"]
    assert 'labelsEnabled="0"' in qml and "<labeling" not in qml
    rgb = ",".join(str(int(BACKGROUND.context_fill[i : i + 2], 16)) for i in (1, 3, 5))
    assert rgb in qml
    archive = zipfile.ZipFile(BytesIO(project_document(layers, styles, "x.gpkg")))
    root = ET.fromstring(archive.read("project.qgs").decode("utf-8").split("\n", 1)[1])
    groups = {g.get("name"): [n.get("name") for n in g.iter("layer-tree-layer")]
              for g in root.find("layer-tree-group").findall("layer-tree-group")}
    assert "harbour" in groups["底图"] and "harbour" not in groups["规划图层（示意）"]
    context = groups["底图"]
    assert context.index("harbour") < context.index("陆地与海岛（底图）")  # above the land, under the plan


def test_a_context_layer_a_map_draws_keeps_the_maps_style_without_labels():
    from gis.qml import layer_qml

    assert is_context_layer("airport")
    layers = {name: read_layer(name) for name in ("zones", "airport", "coast", "districts")}
    qml = layer_qml(layers)["airport"]
    assert 'labelsEnabled="0"' in qml and "<labeling" not in qml
    assert "150,150,150" in qml  # the zhenan and wenzhou maps' airfield colour #969696

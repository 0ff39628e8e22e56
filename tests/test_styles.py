"""The one model of style: no colour clashes, readable label colours, QGIS rules that take each feature once."""

from __future__ import annotations

import pytest

from gis.layers import PLAN_LAYERS, read_layer
from gis.mapdef import MIN_COLOUR_DISTANCE, colour_clashes, colour_distance, contrast, load_definitions, style_rules
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

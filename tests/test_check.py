"""``gis check`` passes on the shipped layers and names each kind of problem."""

from __future__ import annotations

import pytest

import geopandas as gpd
import shapely
from shapely.affinity import translate
from shapely.geometry import Polygon

from gis import check_layers, read_layer


def test_shipped_layers_pass(gis):
    run = gis("check")
    assert run.code == 0, run.out + run.err
    assert "pass" in run.out and "projects" in run.out


def _platforms_file(tmp_path, mutate) -> str:
    gdf = read_layer("platforms")
    mutate(gdf)
    path = tmp_path / "platforms-edit.geojson"
    gdf.to_file(path, driver="GeoJSON")
    return str(path)


def _one_problem(run, *needles):
    assert run.code == 1, run.out + run.err
    lines = [line for line in run.out.splitlines() if line.strip()]
    hits = [line for line in lines if all(n in line for n in needles)]
    assert hits, lines
    assert "Traceback" not in run.out + run.err
    return hits


def test_duplicate_id(gis, tmp_path):
    def mutate(gdf):
        gdf.loc[gdf.index[1], "id"] = gdf.loc[gdf.index[0], "id"]

    path = _platforms_file(tmp_path, mutate)
    _one_problem(gis("check", path, "--schema", "platforms"), "duplicate id")


def test_unknown_land_use_code(gis, tmp_path):
    def mutate(gdf):
        gdf.loc[gdf["id"] == "dt-park-yangwen", "land_use"] = "M1"

    path = _platforms_file(tmp_path, mutate)
    _one_problem(gis("check", path, "--schema", "platforms"), "dt-park-yangwen", "'M1'", "2023")


def test_self_intersecting_polygon(gis, tmp_path):
    def mutate(gdf):
        x0, y0, x1, y1 = gdf.loc[gdf["id"] == "lc-reloc-hengdu"].geometry.iloc[0].bounds
        bowtie = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
        gdf.loc[gdf["id"] == "lc-reloc-hengdu", "geometry"] = gpd.GeoSeries([bowtie], index=gdf.index[gdf["id"] == "lc-reloc-hengdu"])

    path = _platforms_file(tmp_path, mutate)
    _one_problem(gis("check", path, "--schema", "platforms"), "lc-reloc-hengdu", "invalid geometry", "Self-intersection")


def test_park_outside_its_parent(gis, tmp_path):
    def mutate(gdf):
        row = gdf["id"] == "dt-park-nantang"
        moved = translate(gdf.loc[row].geometry.iloc[0], xoff=-0.2)
        gdf.loc[row, "geometry"] = gpd.GeoSeries([moved], index=gdf.index[row])

    path = _platforms_file(tmp_path, mutate)
    hits = _one_problem(gis("check", path, "--schema", "platforms"), "dt-park-nantang", "outside its parent", "dt-zone-main")
    assert "100.0%" in hits[0]


def test_documented_area_off_by_more_than_tolerance(gis, tmp_path):
    def mutate(gdf):
        gdf.loc[gdf["id"] == "dt-park-yangwen", "documented_area"] = 1000.0

    path = _platforms_file(tmp_path, mutate)
    _one_problem(gis("check", path, "--schema", "platforms"), "dt-park-yangwen", "off the documented 1000 亩")


def test_missing_field_and_unknown_status(gis, tmp_path):
    def mutate(gdf):
        del gdf["source"]
        gdf.loc[gdf.index[0], "status"] = "done"

    path = _platforms_file(tmp_path, mutate)
    run = gis("check", path, "--schema", "platforms")
    _one_problem(run, "required field `source` is missing")
    _one_problem(run, "`status` 'done'")


def test_file_without_crs_is_refused_with_the_likely_crs(gis, gis_process, tmp_path):
    square = Polygon([(40568000, 3098000), (40569000, 3098000), (40569000, 3099000), (40568000, 3099000)])
    gdf = gpd.GeoDataFrame({"id": ["a"], "name": ["测试"]}, geometry=[square], crs=None)
    path = tmp_path / "no_crs.shp"
    with pytest.warns(UserWarning, match="crs"):
        gdf.to_file(path, encoding="utf-8")
    assert not path.with_suffix(".prj").exists()
    run = gis_process("check", path)
    assert run.code == 2
    assert "Traceback" not in run.err
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and "no CRS" in lines[0] and "EPSG:4528" in lines[0] and "no_crs.shp" in lines[0]


def test_missing_file_is_one_line(gis_process, tmp_path):
    run = gis_process("check", tmp_path / "nothing.geojson")
    assert run.code == 2 and "Traceback" not in run.err
    assert run.err.strip().count("\n") == 0 and "no such file" in run.err


def test_unknown_layer_name(gis):
    run = gis("check", "parks")
    assert run.code == 2 and "no shipped layer 'parks'" in run.err


def test_overlapping_zones_of_one_scheme_are_reported():
    zones = read_layer("zones")
    core = zones["id"] == "zn-core"
    zones.loc[core, "geometry"] = gpd.GeoSeries([zones.loc[core].geometry.iloc[0].buffer(0.01)], index=zones.index[core])
    problems = check_layers({"zones": zones})
    assert any(p.feature == "zn-core" and "overlaps" in p.message for p in problems) or any(
        "zn-core" in p.message and "overlaps" in p.message for p in problems
    )


def test_ids_unique_across_layers():
    platforms = read_layer("platforms")
    zones = read_layer("zones")
    platforms.loc[platforms.index[0], "id"] = zones["id"].iloc[0]
    problems = check_layers({"zones": zones, "platforms": platforms})
    assert any(p.layer == "*" and "unique across layers" in p.message for p in problems)


def test_valid_reason_is_shapely_text():
    assert "Self-intersection" in shapely.is_valid_reason(Polygon([(0, 0), (1, 1), (1, 0), (0, 1)]))

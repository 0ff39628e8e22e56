"""``gis area`` and ``gis reclaim`` on shipped layers and on planners' own files."""

from __future__ import annotations

import json

import numpy as np
import pytest

import geopandas as gpd
import shapely
from shapely.geometry import box

from gis import ellipsoidal_area, read_layer, wgs84_to_gcj02
from gis.table import display_width


def test_area_table_aligns_chinese_names(gis):
    run = gis("area", "platforms")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert "单位 亩" in lines[0] and "CGCS2000 椭球面积" in lines[0]
    header, rule, *rows = lines[1:]
    assert "南塘工业区" in run.out and rows[-1].startswith("合计")
    # Right-aligned area column: every row ends at the same display column.
    widths = {display_width(line) for line in [header, rule, *rows]}
    assert len(widths) == 1, widths
    assert "features overlap" in run.err  # nested parks: the total counts the overlap once


def test_area_json_rows_and_total(gis):
    run = gis("area", "platforms", "--format", "json", "--unit", "km2")
    rows = json.loads(run.out)
    assert all({"id", "name", "area_m2", "area_km2", "total"} <= set(r) for r in rows)
    assert [r["total"] for r in rows].count(True) == 1 and rows[-1]["total"] is True
    light = next(r for r in rows if r["name"] == "浙江温州鹿城轻工产业园区")
    assert light["area_km2"] == pytest.approx(6.65, rel=0.05)
    total = rows[-1]
    assert total["area_m2"] < total["sum_m2"]  # dissolved total below the plain sum: overlaps shown


def test_area_by_field_to_csv_file_with_bom(gis, tmp_path):
    out = tmp_path / "by_status.csv"
    run = gis("area", "reclamation", "--by", "status", "--format", "csv", "-o", out)
    assert run.code == 0 and run.out == ""
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig").splitlines()
    assert text[0].split(",")[:3] == ["status", "features", "area_m2"]
    assert any(line.startswith("在建,") for line in text) and text[-1].startswith("合计,")
    assert not list(tmp_path.glob(".*part"))  # no temporary file left behind


def test_planar_method_in_gauss_kruger(gis):
    ellipsoidal = json.loads(gis("area", "zones", "--format", "json", "--unit", "m2").out)
    planar_run = gis("area", "zones", "--format", "json", "--unit", "m2", "--method", "planar")
    planar = json.loads(planar_run.out)
    for e, p in zip(ellipsoidal, planar, strict=True):
        assert 1.00005 < p["area_m2"] / e["area_m2"] < 1.0005  # away from 120°E the GK plane is larger
    assert "EPSG:4549" in gis("area", "zones", "--method", "planar").out.splitlines()[0]


def test_unknown_by_field_and_line_layer_fail_in_one_line(gis_process):
    run = gis_process("area", "platforms", "--by", "colour")
    assert run.code == 2 and "no field 'colour'" in run.err and "Traceback" not in run.err
    run = gis_process("area", "corridors")
    assert run.code == 2 and "Traceback" not in run.err
    assert run.err.strip().count("\n") == 0 and "LineString" in run.err and "polygons only" in run.err


def _gbk_shapefile(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"id": ["a1", "a2"], "名称": ["围垦海域项目", "南塘工业区地块"], "用途": ["工业用海", "工业用地"]},
        geometry=[box(120.70, 28.00, 120.71, 28.01), box(120.72, 28.00, 120.73, 28.01)],
        crs="EPSG:4490",
    )
    path = tmp_path / "规划地块.shp"
    gdf.to_file(path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    assert "围垦".encode("gbk") in path.with_suffix(".dbf").read_bytes()
    return path


def test_gbk_shapefile_without_cpg_reads_chinese(gis_process, tmp_path):
    path = _gbk_shapefile(tmp_path)
    run = gis_process("area", path, "--format", "json")
    assert run.code == 0, run.err
    assert "GBK" in run.err and "no .cpg" in run.err
    rows = json.loads(run.out)
    assert rows[0]["id"] == "a1"
    table = gis_process("area", path, "--by", "用途")
    assert "工业用海" in table.out and "工业用地" in table.out


def test_explicit_encoding_overrides_detection(gis, tmp_path):
    path = _gbk_shapefile(tmp_path)
    run = gis("area", path, "--by", "名称", "--encoding", "gb18030")
    assert run.code == 0 and "围垦海域项目" in run.out


def test_file_without_crs_names_the_likely_crs(gis_process, tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["s"]}, geometry=[box(40568000, 3098000, 40569000, 3099000)])
    path = tmp_path / "gk.shp"
    with pytest.warns(UserWarning):
        gdf.to_file(path)
    run = gis_process("area", path)
    assert run.code == 2 and "Traceback" not in run.err
    assert "no CRS" in run.err and "EPSG:4528" in run.err
    declared = gis_process("area", path, "--crs", "EPSG:4528", "--unit", "m2", "--format", "json")
    assert json.loads(declared.out)[0]["area_m2"] == pytest.approx(999_884.23, abs=0.01)


def test_gcj02_input_is_converted_to_wgs84(gis, tmp_path):
    wgs = box(120.70, 28.00, 120.72, 28.02)
    coords = shapely.get_coordinates(wgs)
    glon, glat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
    gcj = shapely.polygons(np.column_stack([glon, glat]))
    path = tmp_path / "amap.geojson"
    gpd.GeoDataFrame({"id": ["site"]}, geometry=[gcj], crs=4326).to_file(path)
    expected = ellipsoidal_area([wgs], crs=4326)[0]
    run = gis("area", path, "--crs", "gcj02", "--unit", "m2", "--format", "json")
    assert "GCJ-02" in run.err
    assert json.loads(run.out)[0]["area_m2"] == pytest.approx(expected, rel=1e-6)


def test_geopackage_layer_and_flatgeobuf(gis, tmp_path):
    parks = read_layer("platforms")
    gpkg = tmp_path / "plans.gpkg"
    parks.to_file(gpkg, layer="园区", driver="GPKG")
    read_layer("reclamation").to_file(gpkg, layer="围垦", driver="GPKG")
    run = gis("area", gpkg)
    assert run.code == 2 and "choose one with --layer" in run.err and "园区" in run.err
    assert gis("area", gpkg, "--layer", "围垦").code == 0
    fgb = tmp_path / "parks.fgb"
    parks.to_file(fgb, driver="FlatGeobuf")
    assert "南塘工业区" in gis("area", fgb).out


def test_truncated_and_bogus_files(gis_process, tmp_path):
    path = _gbk_shapefile(tmp_path)
    dbf = path.with_suffix(".dbf")
    dbf.write_bytes(dbf.read_bytes()[:-40])
    run = gis_process("area", path)
    assert run.code == 2 and "truncated" in run.err and "Traceback" not in run.err
    path.with_suffix(".shx").unlink()
    run = gis_process("area", path)
    assert run.code == 2 and ".shx" in run.err
    bogus = tmp_path / "bogus.geojson"
    bogus.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    run = gis_process("area", bogus)
    assert run.code == 2 and "bogus.geojson" in run.err and "Traceback" not in run.err


def test_reconcile_shipped_platforms(gis):
    run = gis("area", "platforms", "--reconcile", "--format", "json")
    rows = json.loads(run.out)
    documented = [r for r in rows if r["documented_area"] is not None]
    assert len(documented) == 10 and all(r["flag"] == "符合" for r in documented)
    assert all(abs(r["diff_pct"]) <= 5 for r in documented)
    assert "beyond ±5%" in run.err
    assert gis("area", "districts", "--reconcile").code == 2  # no documented_area field: says so


def test_reclaim_report(gis, tmp_path):
    run = gis("reclaim")
    assert run.code == 0, run.err
    for text in ("大小门岛之间围垦区", "瓯飞起步区3号围区", "按状态汇总", "按所在区汇总", "按布局方案汇总", "16200 亩"):
        assert text in run.out
    data = json.loads(gis("reclaim", "--format", "json").out)
    assert set(data) == {"areas", "by_status", "by_district", "by_scheme"}
    rows = {r["name"]: r for r in data["areas"]}
    assert abs(rows["大小门岛之间围垦区"]["diff_pct"]) <= 5
    assert rows["大门临港产业区围海工程"]["documented_mu"] == 16200
    status_total = data["by_status"][-1]
    assert status_total["total"] and status_total["area_m2"] < status_total["sum_m2"]  # nested areas count once
    out = tmp_path / "reclaim.csv"
    assert gis("reclaim", "--format", "csv", "-o", out).code == 0
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("section,") and any(line.startswith("by_district,") for line in lines)


def test_a_file_of_no_vector_format_is_named_without_gdal_driver_advice(gis, tmp_path):
    """A CSV saved as .gpkg: one line saying the format is not recognised, not GDAL's '<DRIVER>:' prefix advice."""
    wrong = tmp_path / "地块.gpkg"
    wrong.write_text("id,x,y\nA,1,2\n", encoding="utf-8")
    run = gis("area", str(wrong))
    assert run.code == 2
    assert "地块.gpkg: cannot read it" in run.err and "not recognized as being in a supported file format" in run.err
    assert "<DRIVER>" not in run.err and "It might help" not in run.err and len(run.err.strip().splitlines()) == 1

"""One model per concept: map definitions, shares inside, the report registry, writers, errors, atomic outputs."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import geopandas as gpd
import shapely
from shapely.geometry import LineString, Point, box

import gis as gislib
from gis.check import check_layers
from gis.errors import ConfigError, FontError, GisWarning, InputError
from gis.export import ExportWarning
from gis.geometry import EDGE_TOLERANCE, INSIDE_SHARE, line_length, share_inside
from gis.mapdef import load_definition, load_definitions
from gis.maps import MapWarning
from gis.overlay import OverlayWarning, overlay
from gis.reports import REPORTS
from gis.rules import load_rules
from gis.rules import share_inside as rule_share

MINIMAL = """
title = "我的地图"
source = "自编"
center = [27.95, 120.7]
zoom = 12

[[layer]]
name = "我的地块"
source = "parcels.geojson"
kind = "polygon"
class_field = "kind"
label = true
classes = [["a", "#e31a1c", "甲类地块"], ["b", "#1f78b4", "乙类地块"]]
"""


def _mine(tmp_path: Path) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    gdf = gpd.GeoDataFrame({"id": ["m1", "m2"], "name": ["一号", "二号"], "kind": ["a", "b"]},
                           geometry=[box(120.70, 27.95, 120.71, 27.96), box(120.72, 27.95, 120.73, 27.96)],
                           crs="EPSG:4326")
    gdf.to_file(folder / "parcels.geojson")
    (folder / "mymap.toml").write_text(MINIMAL, encoding="utf-8")
    return folder / "mymap.toml"


# --- map definitions ------------------------------------------------------------------------------

def test_every_shipped_definition_parses_into_the_model():
    definitions = load_definitions()
    assert {d.name for d in definitions} == set(gislib.list_maps())
    for d in definitions:
        assert d.title and d.layers and 1 <= d.view.zoom <= 19
        for layer in d.layers:
            assert layer.kind in ("polygon", "line", "point", "band")
            assert all(c.colour.startswith("#") and len(c.colour) == 7 for c in layer.classes)
            assert 0 <= layer.opacity <= 1


def test_gis_map_renders_the_definition_file_given(gis, tmp_path, monkeypatch):
    path = _mine(tmp_path)
    monkeypatch.chdir(path.parent)
    out = tmp_path / "m.html"
    run = gis("map", "./mymap.toml", "-o", out)
    assert run.code == 0, run.err
    page = out.read_text(encoding="utf-8")
    assert "我的地图" in page and "甲类地块" in page and "乙类地块" in page
    assert "一号" in page  # the features of the file beside the definition, not a shipped map
    assert "浙南产业集聚区" not in page.split("<body", 1)[1].split("规划出处")[0]


def test_a_file_named_like_a_shipped_map_is_the_file_not_the_shipped_map(gis, tmp_path, monkeypatch):
    path = _mine(tmp_path)
    (path.parent / "zhenan.toml").write_text(MINIMAL.replace("我的地图", "不是浙南"), encoding="utf-8")
    monkeypatch.chdir(path.parent)
    assert gis("map", "./zhenan.toml", "-o", tmp_path / "z.html").code == 0
    assert "不是浙南" in (tmp_path / "z.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("edit", "where"), [
    (lambda t: t.replace('kind = "polygon"', 'kind = "area"'), "layer 1 (我的地块): `kind` 'area'"),
    (lambda t: t.replace('"#e31a1c"', '"red"'), "layer 1 (我的地块): `classes` colour 'red'"),
    (lambda t: t.replace("label = true", "lable = true"), "layer 1 (我的地块): unknown key `lable`"),
    (lambda t: t.replace('source = "parcels.geojson"', 'source = "nowhere"'), "layer 1 (我的地块): `source` 'nowhere'"),
    (lambda t: t.replace("zoom = 12", "zoom = 40"), "`zoom` 40"),
    (lambda t: t.replace('title = "我的地图"', ""), "`title` is missing"),
    (lambda t: t.replace("[[layer]]", "[[layer]"), "invalid TOML"),
])
def test_a_bad_definition_is_one_line_naming_file_layer_and_key(gis, tmp_path, edit, where):
    path = _mine(tmp_path)
    path.write_text(edit(MINIMAL), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_definition(path)
    assert "mymap.toml" in str(info.value) and where in str(info.value)
    out = tmp_path / "bad.html"
    for args in (("map", path, "-o", out), ("figure", path, "-o", tmp_path / "bad.png")):
        run = gis(*args)
        assert run.code == 2 and run.err.count("\n") == 1 and where in run.err and "Traceback" not in run.err
    assert not out.exists() and not (tmp_path / "bad.png").exists()


def test_the_three_renderers_draw_the_classes_of_the_one_model(tmp_path):
    from gis.qml import layer_qml

    definition = load_definition("zhenan")
    page = gislib.render_map(definition)
    for layer in definition.layers:
        for cls in layer.present_classes(layer.select(gislib.read_layer(layer.source))):
            assert cls.label in page
    styles = layer_qml(gislib.read_layers(["zones"]))
    assert "北翼集聚" in styles["zones"]
    assert definition.texts()[0] == definition.title


# --- one measure of share inside, one tolerance ---------------------------------------------------

def _parent_child(child):
    parent = gpd.GeoDataFrame({"id": ["pa"], "name": ["父"], "parent": [None]}, geometry=[box(120.7, 28.0, 120.8, 28.1)],
                              crs="EPSG:4326")
    kid = gpd.GeoDataFrame({"id": ["ch"], "name": ["子"], "parent": ["pa"]}, geometry=[child], crs="EPSG:4326")
    return parent, kid


@pytest.mark.parametrize(("point", "inside"), [
    (Point(120.8 + EDGE_TOLERANCE / 2, 28.05), True),   # on the edge within the tolerance
    (Point(120.8, 28.05), True),                         # on the edge
    (Point(120.8 + 10 * EDGE_TOLERANCE, 28.05), False),  # outside
])
def test_overlay_rules_and_check_agree_on_a_point_at_the_edge(point, inside):
    parent, kid = _parent_child(point)
    assert (rule_share(point, parent.geometry.iloc[0]) == 1.0) is inside
    rows = overlay(kid, parent)
    assert (rows["zone_id"].iloc[0] == "pa") is inside
    problems = [p for p in check_layers({"zones": parent, "projects": kid}, reference={}) if "outside" in p.message]
    assert (not problems) is inside


def test_check_measures_a_line_outside_its_parent_geodesically_like_the_rules():
    line = LineString([(120.75, 28.05), (120.85, 28.05)])  # half outside
    parent, kid = _parent_child(line)
    share = float(share_inside([line], parent.geometry.iloc[0])[0])
    assert share == pytest.approx(0.5, abs=1e-3)
    total = float(line_length([line])[0])
    assert total == pytest.approx(9836, rel=0.01)  # metres, not degrees
    problems = [p for p in check_layers({"corridors": parent.assign(id="pa"), "x": kid}, reference={})
                if "outside" in p.message]
    assert problems and f"{1 - share:.1%}" in problems[0].message
    assert INSIDE_SHARE == 0.999


# --- the report registry ----------------------------------------------------------------------------

def test_build_export_and_postgis_iterate_the_one_registry(tmp_path, gis):
    assert len({r.id for r in REPORTS}) == len({r.sheet for r in REPORTS}) == len({r.table for r in REPORTS})
    assert gis("export", "--xlsx", tmp_path / "t.xlsx", "--csv", tmp_path / "csv").code == 0
    import openpyxl

    assert openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames == [r.sheet for r in REPORTS]
    assert sorted(p.stem for p in (tmp_path / "csv").glob("*.csv")) == sorted(r.sheet for r in REPORTS)
    assert gis("build", "-o", tmp_path / "site").code == 0
    for report in REPORTS:
        assert (tmp_path / "site" / "reports" / f"{report.id}.csv").exists()
        assert f"reports/{report.id}.csv" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")


# --- writers take data -------------------------------------------------------------------------------

def test_writers_take_geodataframes_of_any_name(tmp_path):
    mine = gpd.GeoDataFrame({"id": ["a"], "name": ["地块"]}, geometry=[box(120.7, 28.0, 120.71, 28.01)], crs=4326)
    gpkg = gislib.write_geopackage({"我的地块": mine}, tmp_path / "x.gpkg")
    back, _ = gislib.read_vector(gpkg, layer="我的地块")
    assert back["name"].tolist() == ["地块"]
    shp = gislib.write_shapefiles({"mine": mine}, tmp_path / "shp")
    assert {p.name for p in shp} >= {"mine.shp", "mine.dbf", "mine.cpg"}
    assert not list((tmp_path / "shp").glob(".*"))  # no staging folder left
    tables = gislib.write_tables({"表": mine.drop(columns="geometry")}, tmp_path / "t")
    assert tables[0].read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(InputError, match="`overwrite=True`"):
        gislib.write_geopackage({"m": mine}, gpkg)


def test_atomic_path_takes_a_255_byte_name_and_leaves_nothing_on_failure(tmp_path):
    name = "规" * 80 + ".csv"  # 244 bytes
    assert len(name.encode()) == 244
    with gislib.atomic_path(tmp_path / name) as tmp:
        tmp.write_text("ok", encoding="utf-8")
    assert (tmp_path / name).read_text(encoding="utf-8") == "ok"
    with pytest.raises(RuntimeError), gislib.atomic_path(tmp_path / "never.csv") as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("killed")
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


# --- errors name parameters; the CLI names flags; types of errors and warnings --------------------------

def test_library_messages_name_parameters_and_the_cli_names_flags(tmp_path, gis):
    src = tmp_path / "nocrs.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyogrio: no CRS given, which is the point
        gpd.GeoDataFrame({"id": ["a"]}, geometry=[box(40568000, 3098000, 40568100, 3098100)]).to_file(src)
    with pytest.raises(gislib.CRSError, match="`crs`"):
        gislib.read_vector(src)
    run = gis("area", src)
    assert run.code == 2 and "--crs" in run.err and "`" not in run.err
    with pytest.raises(InputError, match="`engine`"):
        gislib.area_table(gislib.read_layer("platforms"), engine="spark")


def test_warnings_share_one_base_class():
    assert all(issubclass(w, GisWarning) for w in (OverlayWarning, ExportWarning, MapWarning))
    assert issubclass(ConfigError, InputError) and not issubclass(FontError, InputError)


def test_a_bad_rules_file_is_one_line(tmp_path, gis, monkeypatch):
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nid = "x"\nsource = "s"\ntext = "t"\ntest = "within_circle"\n'
                     'subjects = { layers = ["zones"] }\n', encoding="utf-8")
    monkeypatch.setenv("GIS_RULES", str(rules))
    with pytest.raises(ConfigError, match="rule 1 \\(x\\): `test` 'within_circle'"):
        load_rules()
    run = gis("rules")
    assert run.code == 2 and run.err.count("\n") == 1 and "rules.toml" in run.err and "Traceback" not in run.err
    rules.write_text('[[rule]]\nid = "x"\nsource = "s"\ntext = "t"\ntest = "within"\n'
                     'subjects = { layers = ["zones"] }\nno_subjects = "n"\n', encoding="utf-8")
    assert "`targets` is missing" in gis("rules").err


def test_a_missing_cjk_font_is_its_own_error(monkeypatch, gis, tmp_path):
    from matplotlib import font_manager

    from gis import figure

    figure.cjk_font.cache_clear()
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    try:
        with pytest.raises(FontError, match="fonts-noto-cjk"):
            figure.cjk_font()
        run = gis("figure", "zhenan", "-o", tmp_path / "f.png")
        assert run.code == 2 and run.err.count("\n") == 1 and not (tmp_path / "f.png").exists()
    finally:
        figure.cjk_font.cache_clear()


@pytest.mark.parametrize("args", [
    ("figure", "zhenan", "-o", "f.png", "--dpi", "-5"),
    ("figure", "zhenan", "-o", "f.png", "--dpi", "abc"),
    ("area", "platforms", "--engine", "dask", "--workers", "0"),
    ("area", "platforms", "--engine", "dask", "--scheduler", "not a url"),
    ("area", "platforms", "--reconcile", "--tolerance", "nan"),
    ("area", "platforms", "--reconcile", "--tolerance", "-1"),
    ("overlay", "projects", "zones", "--min-share", "5"),
    ("area", "platforms", "--encoding", "no-such-codec"),
    ("import", "x.geojson", "-o", "y.geojson", "--map", "name"),
])
def test_arguments_are_checked_when_parsed_before_any_work(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "gis.cli", *args], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and proc.stderr.startswith("gis: error: ")
    assert "Traceback" not in proc.stderr and "usage:" not in proc.stderr
    assert not list(tmp_path.iterdir())  # nothing written
    assert time.monotonic() - started < 60  # refused at once, not after a cluster timed out


# --- gis build as a whole ----------------------------------------------------------------------------

def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_killed_build_leaves_the_previous_output_whole(tmp_path, gis):
    out = tmp_path / "out"
    assert gis("build", "-o", out).code == 0
    (out / "index.html").write_text((out / "index.html").read_text(encoding="utf-8") + "<!-- first -->",
                                    encoding="utf-8")
    before = _digest(out)
    exe = Path(sys.executable).with_name("gis")
    proc = subprocess.Popen([str(exe), "build", "-o", str(out), "--overwrite"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # wait on state: the new build has written its first pages
            staged = [p for p in tmp_path.glob(".out.gis*.part") if (p / "maps").is_dir()]
            if staged and any(staged[0].joinpath("maps").glob("*.html")):
                break
            assert proc.poll() is None, "the build ended before it could be killed"
            time.sleep(0.01)
        else:
            pytest.fail("the build never started writing")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _digest(out) == before  # the old build, whole; no page of the new one
    run = gis("build", "-o", out, "--overwrite")
    assert run.code == 0
    assert "<!-- first -->" not in (out / "index.html").read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".out.*"))  # the killed build's staging folder was swept away


def test_build_never_replaces_a_folder_of_other_files(tmp_path, gis):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "报告.docx").write_bytes(b"precious")
    run = gis("build", "-o", folder, "--overwrite")
    assert run.code == 2 and "not a gis build" in run.err
    assert (folder / "报告.docx").read_bytes() == b"precious"


def test_sizes_are_vectorised_and_shapes_agree():
    geoms = np.array([box(120.7, 28.0, 120.71, 28.01), LineString([(120.7, 28.0), (120.71, 28.0)]),
                      Point(120.7, 28.0), None], dtype=object)
    sizes = gislib.geometry.size(geoms)
    assert sizes[0] == pytest.approx(float(gislib.ellipsoidal_area([geoms[0]], crs=4326)[0]))
    assert sizes[1] > 900 and sizes[2] == 0 and sizes[3] == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert share_inside(geoms, shapely.box(120.6, 27.9, 120.8, 28.1)).tolist() == [1.0, 1.0, 1.0, 0.0]
    os.environ.pop("GIS_RULES", None)

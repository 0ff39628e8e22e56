"""``gis import`` round trips and printable figures."""

from __future__ import annotations

import json

import numpy as np
import pytest

import geopandas as gpd
import shapely
from shapely.geometry import Polygon

from gis import read_layer, wgs84_to_gcj02
from gis.figure import cjk_font, covers, figure_texts, render_figure
from gis.importing import bd09_to_gcj02, import_file
from gis.maps import list_maps, load_definition


def _same(original: gpd.GeoDataFrame, back: gpd.GeoDataFrame, fields: list[str]) -> None:
    assert list(back["id"]) == list(original["id"])
    for col in fields:
        assert back[col].fillna("").astype(str).tolist() == original[col].fillna("").astype(str).tolist(), col
    for a, b in zip(original.geometry, back.geometry, strict=True):
        assert np.allclose(shapely.get_coordinates(a), shapely.get_coordinates(b), atol=1e-6)


def test_round_trip_through_geopackage(gis, tmp_path):
    gpkg = tmp_path / "plans.gpkg"
    assert gis("export", "platforms", "--gpkg", gpkg).code == 0
    out = tmp_path / "platforms.geojson"
    run = gis("import", gpkg, "-o", out, "--schema", "platforms")
    assert run.code == 0 and "passes gis check" in run.out
    back = gpd.read_file(out)
    _same(read_layer("platforms"), back, ["name", "land_use", "status", "source", "parent", "geometry_source"])


def test_round_trip_through_shapefile_keeps_chinese(gis, tmp_path):
    assert gis("export", "projects", "--shp", tmp_path / "shp").code == 0
    mapping = (tmp_path / "shp" / "projects.fields.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    args = [a for line in mapping for a in ("--map", "=".join(line.split(",")))]
    out = tmp_path / "projects.geojson"
    run = gis("import", tmp_path / "shp" / "projects.shp", "-o", out, "--schema", "projects", *args)
    assert "mapped:" in run.err
    back = gpd.read_file(out)
    _same(read_layer("projects"), back, ["name", "group", "source", "placement_basis"])


def test_csv_with_gcj02_and_bd09_coordinates(gis, tmp_path):
    lon, lat = wgs84_to_gcj02(np.array([120.70]), np.array([28.00]))
    csv = tmp_path / "sites.csv"
    csv.write_text(f"项目名称,经度,纬度\n测试项目,{lon[0]:.8f},{lat[0]:.8f}\n", encoding="utf-8")
    out = tmp_path / "sites.geojson"
    run = gis("import", csv, "-o", out, "--crs", "gcj02", "--map", "name=项目名称", "--schema", "projects")
    assert run.code == 1 and "does not pass gis check" in run.err and "missing fields" in run.err
    point = gpd.read_file(out).geometry.iloc[0]
    assert abs(point.x - 120.70) < 1e-6 and abs(point.y - 28.00) < 1e-6
    gx, gy = bd09_to_gcj02(120.70 + 0.0065, 28.00 + 0.006)
    assert abs(gx - 120.70) < 2e-4 and abs(gy - 28.00) < 2e-4  # the BD-09 offset is about 1 km


def test_import_repairs_and_reports_each_feature(tmp_path):
    bowtie = Polygon([(120.70, 28.00), (120.71, 28.01), (120.71, 28.00), (120.70, 28.01)])
    path = tmp_path / "cad.geojson"
    gpd.GeoDataFrame({"id": ["cad-1"], "name": ["CAD 图斑"]}, geometry=[bowtie], crs=4326).to_file(path)
    gdf, report = import_file(path)
    assert report.repaired and report.repaired[0].startswith("cad-1: Self-intersection")
    assert gdf.geometry.is_valid.all()
    assert "id" not in report.missing_schema and "land_use" in report.missing_schema


def test_import_map_of_an_unknown_field_is_one_line(gis, tmp_path):
    path = tmp_path / "a.geojson"
    gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.box(120.7, 28.0, 120.71, 28.01)], crs=4326).to_file(path)
    run = gis("import", path, "-o", tmp_path / "b.geojson", "--map", "name=项目名称")
    assert run.code == 2 and "no field '项目名称'" in run.err and not (tmp_path / "b.geojson").exists()


@pytest.mark.cjk_font
@pytest.mark.parametrize("name", list_maps())
def test_the_cjk_font_covers_every_text_of_every_figure(name):
    _family, font_file = cjk_font()
    assert covers(font_file, "".join(figure_texts(load_definition(name)))) == []


@pytest.mark.cjk_font
def test_figure_png_and_pdf(tmp_path, gis):
    png = tmp_path / "一核两带三轴四区.png"
    run = gis("figure", "zhenan", "-o", png)
    assert run.code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000
    pdf = tmp_path / "dongtou.pdf"
    assert gis("figure", "dongtou", "-o", pdf).code == 0 and pdf.read_bytes()[:5] == b"%PDF-"
    assert gis("figure", "dongtou", "-o", pdf).code == 2  # exists: not overwritten without --overwrite
    assert gis("figure", "dongtou", "-o", tmp_path / "x.svg").code == 2


@pytest.mark.cjk_font
def test_figure_draws_chinese_without_missing_glyph_warnings(tmp_path, recwarn):
    render_figure(load_definition("lucheng"), tmp_path / "lucheng.png")
    assert not [w for w in recwarn if "missing from font" in str(w.message).lower()]


def test_rules_toml_is_valid_json_serialisable():
    from gis.rules import load_rules

    assert json.dumps(load_rules(), ensure_ascii=False)


def test_kml_and_xlsx_inputs(gis, tmp_path):
    parks = read_layer("platforms").head(3)[["id", "name", "geometry"]]
    kml = tmp_path / "parks.kml"
    parks.to_file(kml, driver="KML")
    out = tmp_path / "from_kml.geojson"
    run = gis("import", kml, "-o", out)
    assert run.code in (0, 1), run.err
    back = gpd.read_file(out)
    assert back["name"].tolist() == parks["name"].tolist()
    xlsx = tmp_path / "sites.xlsx"
    import pandas as pd

    pd.DataFrame({"名称": ["甲地块", "乙地块"], "x": [40568000.0, 40569000.0], "y": [3098000.0, 3099000.0]}).to_excel(
        xlsx, index=False)
    refused = gis("import", xlsx, "-o", tmp_path / "x.geojson")
    assert refused.code == 2 and "EPSG:4528" in refused.err
    ok = gis("import", xlsx, "-o", tmp_path / "x.geojson", "--crs", "EPSG:4528", "--map", "name=名称")
    assert ok.code in (0, 1)
    pts = gpd.read_file(tmp_path / "x.geojson")
    assert pts["name"].tolist() == ["甲地块", "乙地块"] and 120.6 < pts.geometry.x.iloc[0] < 120.8


@pytest.mark.cjk_font
@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
def test_figure_is_an_a4_page_of_the_size_asked_for(tmp_path, gis, orientation):
    import re
    import subprocess

    pdf = tmp_path / f"zhenan-{orientation}.pdf"
    assert gis("figure", "zhenan", "-o", pdf, "--orientation", orientation).code == 0
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=300, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    expected = (841.89, 595.28) if orientation == "landscape" else (595.28, 841.89)
    assert abs(width - expected[0]) < 0.5 and abs(height - expected[1]) < 0.5, (width, height)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=300, check=True).stdout
    assert "示意" in text and "温委办发〔2016〕62号" in text  # text stays text; the plan is cited by title and 文号
    png = tmp_path / f"zhenan-{orientation}.png"
    assert gis("figure", "zhenan", "-o", png, "--orientation", orientation, "--dpi", "100").code == 0
    from matplotlib.image import imread

    h, w = imread(png).shape[:2]
    size = (round(297 / 25.4 * 100), round(210 / 25.4 * 100))
    assert abs(w - (size[0] if orientation == "landscape" else size[1])) <= 1
    assert abs(h - (size[1] if orientation == "landscape" else size[0])) <= 1


@pytest.mark.cjk_font
@pytest.mark.parametrize("name", list_maps())
def test_figure_labels_never_meet_have_halos_and_the_axes_arrowheads(name):
    import matplotlib.pyplot as plt
    from matplotlib.text import Annotation

    from gis.figure import compose_figure
    from gis.labels import overlaps

    definition = load_definition(name)
    for orientation in ("landscape", "portrait"):
        fig, labels = compose_figure(definition, orientation=orientation, dpi=100)
        try:
            boxes = list(labels.boxes.values())
            assert labels.left_out == [], f"{name} {orientation}: no place for {labels.left_out}"
            for i, a in enumerate(boxes):
                assert not any(overlaps(a, b) for b in boxes[i + 1:]), f"{name} {orientation}: labels meet"
            ax = fig.axes[0]
            texts = [t for t in ax.texts if t.get_zorder() == 10]
            assert len(texts) == len(boxes)
            assert all(t.get_path_effects() for t in texts), "a label without its halo"
            frame = ax.get_window_extent()
            assert all(frame.x0 <= b[0] and b[2] <= frame.x1 and frame.y0 <= b[1] and b[3] <= frame.y1 for b in boxes)
            arrows = [c for c in ax.get_children() if isinstance(c, Annotation) and c.arrow_patch is not None
                      and c.get_text() == "" and c.arrow_patch.get_arrowstyle().__class__.__name__ != "Curve"]
            axes = [layer for layer in definition.layers if layer.arrow]
            expected = sum(len(layer.select(read_layer(layer.source))) for layer in axes)
            assert len(arrows) >= expected
        finally:
            plt.close(fig)


def test_a_file_on_a_datum_proj_cannot_shift_is_refused_and_cgcs2000_gauss_kruger_comes_in(gis, tmp_path):
    platforms = read_layer("platforms")
    # CGCS2000 3° Gauss-Krüger: carried to lon/lat as before.
    gk = tmp_path / "gk.gpkg"
    platforms.to_crs(4549).to_file(gk, driver="GPKG")
    out = tmp_path / "gk.geojson"
    assert gis("import", gk, "-o", out, "--schema", "platforms").code == 0
    assert np.allclose(gpd.read_file(out).total_bounds, platforms.total_bounds, atol=1e-7)
    # The same coordinates declared Xian 1980 Gauss-Krüger (EPSG:2385): PROJ would leave them tens of metres off.
    xian = tmp_path / "xian80.gpkg"
    platforms.to_crs(4549).set_crs(2385, allow_override=True).to_file(xian, driver="GPKG")
    out = tmp_path / "xian80.geojson"
    run = gis("import", xian, "-o", out, "--schema", "platforms")
    assert run.code == 2 and run.err.count("\n") == 1 and "Xian 1980" in run.err and "bureau's parameters" in run.err
    assert not out.exists()

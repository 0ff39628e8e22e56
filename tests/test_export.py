"""``gis export``: GeoPackage with QGIS styles, Shapefile, XLSX/CSV; nothing overwritten or lost."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import openpyxl
import pytest

import pyogrio
import shapely

from gis import read_layer, read_vector
from gis.layers import list_layers


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from gis.cli import main

    out = tmp_path_factory.mktemp("export")
    assert main(["export", "--gpkg", str(out / "plans.gpkg"), "--shp", str(out / "shp"),
                 "--xlsx", str(out / "tables.xlsx"), "--csv", str(out / "csv")]) == 0
    return out


def test_geopackage_holds_every_layer_with_its_qgis_style(exported):
    gpkg = exported / "plans.gpkg"
    assert {row[0] for row in pyogrio.list_layers(gpkg) if row[1] is not None} == set(list_layers())
    with sqlite3.connect(gpkg) as db:
        styles = dict(db.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault").fetchall())
        projects = [r[0] for r in db.execute("SELECT name FROM qgis_projects")]
    assert set(styles) == set(list_layers())
    platforms = styles["platforms"]
    assert 'type="RuleRenderer"' in platforms and "&quot;role&quot; = '2'" in platforms
    assert "227,26,28" in platforms  # the web map's red (#e31a1c) for the parks
    assert 'fieldName="name"' in platforms  # labelled by name
    assert "搬迁区块" in platforms
    assert 'filter="ELSE"' in platforms  # whatever no map draws still gets a symbol
    assert 'labelsEnabled="0"' in styles["coast"] and "<labeling" not in styles["coast"]
    assert projects == ["温州产业平台规划（示意）"]


def test_geopackage_round_trip_is_identical(exported):
    for name in ("platforms", "projects", "reclamation"):
        original = read_layer(name)
        back, _ = read_vector(exported / "plans.gpkg", layer=name)
        assert list(back["id"]) == list(original["id"])
        for col in ("name", "land_use", "source", "status"):
            assert back[col].fillna("").tolist() == original[col].fillna("").tolist()
        # A layer mixing polygons and multipolygons is stored as multipolygons (GeoPackage has one type
        # per layer): the same rings, vertex for vertex.
        for a, b in zip(original.geometry, back.geometry, strict=True):
            assert np.array_equal(shapely.get_coordinates(a), shapely.get_coordinates(b))
            assert a.equals(b)
        assert back.crs.to_epsg() == 4326


def test_shapefile_keeps_chinese_and_says_what_it_shortened(exported):
    shp = exported / "shp" / "projects.shp"
    assert (exported / "shp" / "projects.cpg").read_text() == "UTF-8"
    back, _ = read_vector(shp)
    original = read_layer("projects")
    assert back["name"].tolist() == original["name"].tolist()
    mapping = (exported / "shp" / "projects.fields.csv").read_text(encoding="utf-8-sig")
    assert "investment_total_wan,investme01" in mapping
    long_values = (exported / "shp" / "projects.long_values.csv").read_text(encoding="utf-8-sig")
    full = original.set_index("id").loc["dt-p14", "content"]
    assert full in long_values  # the text the .dbf cannot hold is kept whole beside it


def test_xlsx_totals_equal_the_sums_of_their_rows(exported):
    from gis.export import HEAD_ROWS

    book = openpyxl.load_workbook(exported / "tables.xlsx")
    assert {"产业平台面积", "围垦面积", "围垦按状态", "项目落区"} <= set(book.sheetnames)
    checked = 0
    # parts that do not overlap: balanced to 合计; parts that do (功能分区, since 004's 产业集聚区 contain others):
    # the plain sum in its own row, the dissolved total below it and smaller
    for sheet, total_label in (("围垦按布局方案", "合计"), ("围垦按所在区", "合计"),
                               ("功能分区面积", "各行相加（重叠计入多次）")):
        ws = book[sheet]
        header = [c.value for c in ws[HEAD_ROWS + 1]]
        rows = [[c.value for c in r] for r in ws.iter_rows(min_row=HEAD_ROWS + 2)]
        parts = [r for r in rows if not str(r[0]).startswith(("合计", "各行相加"))]
        total = next(r for r in rows if r[0] == total_label)
        for unit, digits in (("面积（亩）", 2), ("面积（公顷）", 4), ("面积（平方公里）", 4), ("面积（平方米）", 2)):
            col = header.index(unit)
            assert round(sum(r[col] for r in parts), digits) == pytest.approx(total[col], abs=10 ** -digits / 2)
            checked += 1
        if total_label != "合计":
            dissolved = next(r for r in rows if r[0] == "合计（溶解后，重叠只计一次）")
            assert dissolved[header.index("面积（亩）")] < total[header.index("面积（亩）")]
    assert checked == 12
    ws = book["围垦按状态"]  # nested areas: the plain sum and the dissolved total, each in its own row
    labels = [ws.cell(row=r, column=1).value for r in range(HEAD_ROWS + 2, ws.max_row + 1)]
    assert labels[-2:] == ["各行相加（重叠计入多次）", "合计（溶解后，重叠只计一次）"]
    csv_text = (exported / "csv" / "围垦面积.csv").read_bytes()
    assert csv_text.startswith(b"\xef\xbb\xbf") and "大小门岛之间围垦区" in csv_text.decode("utf-8-sig")


def test_existing_output_is_not_overwritten_without_flag(gis, tmp_path):
    target = tmp_path / "plans.gpkg"
    target.write_bytes(b"previous content")
    run = gis("export", "zones", "--gpkg", target)
    assert run.code == 2 and "--overwrite" in run.err
    assert target.read_bytes() == b"previous content"
    assert gis("export", "zones", "--gpkg", target, "--overwrite").code == 0
    assert [row[0] for row in pyogrio.list_layers(target) if row[1] is not None] == ["zones"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_killed_export_leaves_the_previous_file_byte_identical(tmp_path):
    target = tmp_path / "plans.gpkg"
    from gis.cli import main

    assert main(["export", "zones", "--gpkg", str(target)]) == 0
    before = target.read_bytes()
    exe = Path(sys.executable).with_name("gis")
    proc = subprocess.Popen([str(exe), "export", "--gpkg", str(target), "--overwrite"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(tmp_path.glob(".plans.gpkg.*")):
        time.sleep(0.005)
    assert list(tmp_path.glob(".plans.gpkg.*")), "the export never started writing"
    proc.send_signal(signal.SIGKILL)  # mid-write: the temporary file exists, the rename has not happened
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert target.read_bytes() == before
    # Run to the end, the same command replaces the file.
    assert subprocess.run([str(exe), "export", "--gpkg", str(target), "--overwrite"], check=False).returncode == 0
    assert target.read_bytes() != before


def test_export_needs_a_target_and_known_layers(gis, tmp_path):
    assert gis("export").code == 2
    run = gis("export", "parks", "--gpkg", tmp_path / "x.gpkg")
    assert run.code == 2 and "no shipped layer 'parks'" in run.err


def test_every_command_output_needs_overwrite(gis, tmp_path):
    out = tmp_path / "areas.csv"
    assert gis("area", "platforms", "--format", "csv", "-o", out).code == 0
    first = out.read_bytes()
    run = gis("area", "zones", "--format", "csv", "-o", out)
    assert run.code == 2 and "--overwrite" in run.err and out.read_bytes() == first
    assert gis("area", "zones", "--format", "csv", "-o", out, "--overwrite").code == 0 and out.read_bytes() != first
    page = tmp_path / "m.html"
    assert gis("map", "lucheng", "-o", page).code == 0
    assert gis("map", "zhenan", "-o", page).code == 2
    site = tmp_path / "site"
    assert gis("build", "-o", site).code == 0
    again = gis("build", "-o", site)
    assert again.code == 2 and "earlier build" in again.err
    assert gis("build", "-o", site, "--overwrite").code == 0


def test_text_longer_than_a_cell_holds_is_cut_with_a_mark_not_silently(tmp_path):
    import pandas as pd

    from gis.export import CELL_TEXT_MAX, CUT_MARK, write_tables

    long = "占" * 40_000
    write_tables({"表": pd.DataFrame({"名称": [long, "短"]})}, tmp_path / "t.xlsx")
    cells = [c.value for c in openpyxl.load_workbook(tmp_path / "t.xlsx")["表"]["A"] if c.value]
    shown = next(v for v in cells if v.startswith("占"))
    assert len(shown) == CELL_TEXT_MAX and shown.endswith(CUT_MARK) and "短" in cells

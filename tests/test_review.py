"""``gis review``: sites against generated control layers of known overlap (checked to 0.01 亩), every format,
bad profiles refused in one line, points and lines by position and length, layers read only where the sites are."""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import shapely
from shapely.geometry import LineString, Point, box

from gis.area import CGCS2000_A, authalic_q
from gis.errors import ConfigError
from gis.review import load_profile, review
from gis.units import from_square_metres

X0, Y0 = 120.70, 27.90
D = 0.01  # degrees


def rect_m2(x0, y0, x1, y1) -> float:
    """Exact ellipsoidal area of a longitude/latitude rectangle (closed form; independent of the code under test)."""
    return CGCS2000_A**2 * np.radians(x1 - x0) * (authalic_q(np.radians(y1)) - authalic_q(np.radians(y0))) / 2


def mu(m2: float) -> float:
    return float(from_square_metres(m2, "mu"))


def _write(gdf, path: Path, **kw) -> Path:
    gdf.to_file(path, **kw)
    return path


@pytest.fixture()
def case(tmp_path):
    """Control layers in a folder, a profile naming them, and five sites of known overlap."""
    folder = tmp_path / "bureau"
    folder.mkdir()
    # 生态保护红线: two overlapping squares (their overlap must count once).
    red = gpd.GeoDataFrame({"BSM": ["r1", "r2"], "HXMC": ["红线甲", "红线乙"]},
                           geometry=[box(X0, Y0, X0 + D, Y0 + D), box(X0 + D / 2, Y0, X0 + 1.5 * D, Y0 + D)],
                           crs=4326)
    _write(red, folder / "stbhhx.gpkg", driver="GPKG")
    # 城镇开发边界: one rectangle east of the red line; stored in GK (EPSG:4549), reprojected by the review.
    edge = gpd.GeoDataFrame({"id": ["k1"], "name": ["开发边界"]},
                            geometry=[box(X0 + 2 * D, Y0, X0 + 4 * D, Y0 + 2 * D)], crs=4326).to_crs(4549)
    edge.geometry = shapely.segmentize(edge.geometry.values, 10)  # GK edges stay on the lon/lat lines to < 1 mm
    _write(edge, folder / "czkfbj.shp")
    # 永久基本农田 and the land-use survey: a 2 × 2 coverage of parcels over x in [3D, 5D] (east half of 开发边界).
    codes = [["0101", "0301"], ["1001", "0505"]]
    parcels, cells = [], []
    for i in range(2):
        for j in range(2):
            cells.append(box(X0 + (3 + i) * D, Y0 + j * D, X0 + (4 + i) * D, Y0 + (j + 1) * D))
            parcels.append(codes[i][j])
    gpd.GeoDataFrame({"TBBH": [f"t{k}" for k in range(4)], "DLBM2023": parcels}, geometry=cells,
                     crs=4326).to_file(folder / "dltb.gpkg", driver="GPKG")
    farmland = gpd.GeoDataFrame({"id": ["f1"], "name": ["基本农田一"]}, geometry=[cells[0]], crs=4326)
    _write(farmland, folder / "yjjbnt.geojson")
    profile = tmp_path / "profile.toml"
    profile.write_text(textwrap.dedent("""
        title = "测试预审"
        reviewer = "规划科"          # other keys are welcome

        [[constraint]]
        name = "生态保护红线"
        source = "bureau/stbhhx.gpkg"
        rule = "must_not_overlap"
        clause = "生态保护红线管理办法"
        name_field = "HXMC"

        [[constraint]]
        name = "城镇开发边界"
        source = "bureau/czkfbj.shp"
        rule = "must_be_within"
        clause = "国土空间总体规划"

        [[constraint]]
        name = "永久基本农田"
        source = "bureau/yjjbnt.geojson"
        rule = "must_not_overlap"
        category = "永久基本农田"
        clause = "基本农田保护条例 第十五条"

        [[constraint]]
        name = "产业平台"
        source = "platforms"
        rule = "report"

        [land_use]
        source = "bureau/dltb.gpkg"
        field = "DLBM2023"
        date = "2023年度国土变更调查"
    """), encoding="utf-8")
    sites = gpd.GeoDataFrame({
        "id": ["a", "b", "c", "d", "e", "f"],
        "name": ["跨红线", "边界内", "跨边界", "跨四地类", "点位", "线位"],
    }, geometry=[
        box(X0 + 0.25 * D, Y0 + 0.25 * D, X0 + 1.25 * D, Y0 + 0.75 * D),  # a: in both red squares (overlap once)
        box(X0 + 2.2 * D, Y0 + 0.2 * D, X0 + 2.8 * D, Y0 + 0.8 * D),      # b: wholly inside 开发边界
        box(X0 + 3.5 * D, Y0 + 0.5 * D, X0 + 4.5 * D, Y0 + 1.5 * D),      # c, d-like: half outside 开发边界
        box(X0 + 3.5 * D, Y0 + 0.5 * D, X0 + 4.5 * D, Y0 + 1.5 * D),      # d: the four parcels, a quarter each
        Point(X0 + 0.1 * D, Y0 + 0.1 * D),                                # e: a point inside the red line
        LineString([(X0 + 1.0 * D, Y0 + 0.5 * D), (X0 + 3.0 * D, Y0 + 0.5 * D)]),  # f: crosses red, enters 开发边界
    ], crs=4326)
    sites_path = _write(sites, tmp_path / "sites.geojson")
    return {"profile": profile, "sites": sites, "sites_path": sites_path, "folder": folder, "tmp": tmp_path}


def _by(result, ident):
    return next(s for s in result.sites if s["id"] == ident)


def _c(site, name):
    return next(c for c in site["constraints"] if c["name"] == name)


def test_overlaps_of_known_area_to_a_hundredth_of_a_mu(case):
    result = review(case["sites"], case["profile"])
    a = _by(result, "a")
    assert a["area_mu"] == pytest.approx(mu(rect_m2(X0 + 0.25 * D, Y0 + 0.25 * D, X0 + 1.25 * D, Y0 + 0.75 * D)),
                                         abs=0.01)
    red = _c(a, "生态保护红线")
    assert red["verdict"] == "不通过"
    # The two red squares overlap under the site; the site lies wholly in their union: counted once.
    assert red["overlap_mu"] == pytest.approx(a["area_mu"], abs=0.01) and red["share"] == pytest.approx(1.0)
    assert {f["id"] for f in red["features"]} == {"r1", "r2"}
    assert {f["name"] for f in red["features"]} == {"红线甲", "红线乙"}
    in_r1 = rect_m2(X0 + 0.25 * D, Y0 + 0.25 * D, X0 + D, Y0 + 0.75 * D)
    assert next(f for f in red["features"] if f["id"] == "r1")["overlap_m2"] == pytest.approx(in_r1, abs=0.01 * 667)
    b = _by(result, "b")
    assert _c(b, "城镇开发边界")["verdict"] == "通过" and _c(b, "生态保护红线")["verdict"] == "通过"
    assert _c(b, "城镇开发边界")["outside_m2"] < 1
    c = _by(result, "c")
    edge = _c(c, "城镇开发边界")
    inside = rect_m2(X0 + 3.5 * D, Y0 + 0.5 * D, X0 + 4 * D, Y0 + 1.5 * D)
    assert edge["verdict"] == "不通过"
    assert edge["overlap_mu"] == pytest.approx(mu(inside), abs=0.01)
    assert edge["outside_m2"] == pytest.approx(rect_m2(X0 + 4 * D, Y0 + 0.5 * D, X0 + 4.5 * D, Y0 + 1.5 * D),
                                               abs=0.01 * 667)


def test_land_use_by_code_three_classes_and_the_of_which_lines(case):
    d = _by(review(case["sites"], case["profile"]), "d")
    rows = {r["class"]: r for r in d["land_use"]}
    quarter = {
        "0101 水田": rect_m2(X0 + 3.5 * D, Y0 + 0.5 * D, X0 + 4 * D, Y0 + D),
        "0301 乔木林地": rect_m2(X0 + 3.5 * D, Y0 + D, X0 + 4 * D, Y0 + 1.5 * D),
        "1001 工业用地": rect_m2(X0 + 4 * D, Y0 + 0.5 * D, X0 + 4.5 * D, Y0 + D),
        "0505 沿海滩涂": rect_m2(X0 + 4 * D, Y0 + D, X0 + 4.5 * D, Y0 + 1.5 * D),
    }
    for cls, m2 in quarter.items():
        assert rows[cls]["area_mu"] == pytest.approx(mu(m2), abs=0.01), cls
    assert rows["农用地"]["area_mu"] == pytest.approx(mu(quarter["0101 水田"] + quarter["0301 乔木林地"]), abs=0.01)
    assert rows["建设用地"]["area_mu"] == pytest.approx(mu(quarter["1001 工业用地"]), abs=0.01)
    assert rows["未利用地"]["area_mu"] == pytest.approx(mu(quarter["0505 沿海滩涂"]), abs=0.01)
    assert rows["其中：耕地"]["area_mu"] == pytest.approx(mu(quarter["0101 水田"]), abs=0.01)
    assert rows["其中：永久基本农田"]["area_mu"] == pytest.approx(mu(quarter["0101 水田"]), abs=0.01)
    # Balanced rounding: the rows of each level add up to the site's area in 亩.
    for level in ("地类", "三大类"):
        parts = [r["area_mu"] for r in d["land_use"] if r["level"] == level]
        assert round(sum(parts), 2) == d["area_mu"]


def test_parcels_that_overlap_or_leave_a_gap_are_shown_and_no_row_leaves_its_square_metres(case):
    dltb = gpd.read_file(case["folder"] / "dltb.gpkg")
    # The parcel of 0505 goes (a gap of a quarter of site d), and a 1001 parcel is drawn over most of the 水田
    # quarter: the rows add up to nearly the site, and the gap row went, the overlap unseen.
    extra = gpd.GeoDataFrame({"TBBH": ["t9"], "DLBM2023": ["1001"]},
                             geometry=[box(X0 + 3.5 * D, Y0 + 0.5 * D, X0 + 3.9 * D, Y0 + D)], crs=4326)
    dltb = gpd.GeoDataFrame(pd.concat([dltb[dltb["DLBM2023"] != "0505"], extra], ignore_index=True), crs=4326)
    dltb["DLBM2023"] = dltb["DLBM2023"].astype(int)  # stored as numbers: 0101 has become 101
    dltb.to_file(case["folder"] / "dltb.gpkg", driver="GPKG")
    d = _by(review(case["sites"], case["profile"]), "d")
    rows = {r["class"]: r for r in d["land_use"]}
    quarter = rect_m2(X0 + 3.5 * D, Y0 + 0.5 * D, X0 + 4 * D, Y0 + D)
    gap = rect_m2(X0 + 4 * D, Y0 + D, X0 + 4.5 * D, Y0 + 1.5 * D)
    assert rows["0101 水田"]["area_m2"] == pytest.approx(quarter, abs=0.01)
    assert rows["（地类图层未覆盖）"]["area_m2"] == pytest.approx(gap, abs=0.01)
    assert rows["（地类图斑重叠）"]["area_m2"] == pytest.approx(rect_m2(X0 + 3.5 * D, Y0 + 0.5 * D, X0 + 3.9 * D, Y0 + D),
                                                          abs=0.01)
    assert "重叠" in rows["（地类图斑重叠）"]["reason"]
    for r in d["land_use"]:  # every row's 亩 is its own m² in 亩: not pushed onto the site's total
        if r["area_m2"] is not None:
            assert r["area_mu"] == pytest.approx(mu(r["area_m2"]), abs=0.01), r


def test_only_the_farmland_category_is_the_farmland_line_and_nothing_judged_is_no_pass(case, tmp_path):
    text = case["profile"].read_text(encoding="utf-8")
    reserve = text.replace('[land_use]', textwrap.dedent("""
        [[constraint]]
        name = "永久基本农田储备区"
        source = "bureau/yjjbnt.geojson"
        rule = "report"

        [land_use]"""))
    case["profile"].write_text(reserve, encoding="utf-8")
    d = _by(review(case["sites"], case["profile"]), "d")
    farmland = next(r for r in d["land_use"] if r["class"] == "其中：永久基本农田")
    assert farmland["area_m2"] == _c(d, "永久基本农田")["overlap_m2"]  # not twice, with the 储备区's
    measured = tmp_path / "measured.toml"
    measured.write_text('title = "只量算"\n[[constraint]]\nname = "红线"\nsource = "bureau/stbhhx.gpkg"\n'
                        'rule = "report"\n', encoding="utf-8")
    from gis.review import sites_table

    table = sites_table(review(case["sites"], measured))
    assert set(table["verdict"].dropna()) == {"仅量算"}


def test_site_ids_are_text_without_nan_and_a_quoted_code_matches_a_number(case, gis, tmp_path):
    sites = case["sites"].iloc[:4].assign(id=[1.0, 2.0, 3.0, 4.0])
    ids = [s["id"] for s in review(sites, case["profile"]).sites]
    assert ids == ["1", "2", "3", "4"]
    path = tmp_path / "noid.gpkg"
    sites.assign(id=[1.0, None, 3.0, 4.0]).to_file(path)
    out = tmp_path / "noid.json"
    run = gis("review", path, "--profile", case["profile"], "-o", out)
    assert run.code == 2 and "site 2 (of 4) has no 'id'" in run.err and run.err.count("\n") == 1 and not out.exists()
    red = gpd.read_file(case["folder"] / "stbhhx.gpkg").assign(YSDM=[2001, 2002])
    red.to_file(case["folder"] / "stbhhx.gpkg", driver="GPKG")
    profile = case["profile"].read_text(encoding="utf-8").replace(
        'name_field = "HXMC"', 'name_field = "HXMC"\nwhere = { YSDM = "2001" }')
    case["profile"].write_text(profile, encoding="utf-8")
    a = _c(_by(review(case["sites"], case["profile"]), "a"), "生态保护红线")
    assert a["verdict"] == "不通过" and [f["name"] for f in a["features"]] == ["红线甲"]


def test_names_are_text_in_the_pdf_and_the_markdown(case, gis, tmp_path):
    sites = case["sites"].iloc[:1].assign(id=["X$^$1"], name=["价格$5到$6的[地块](javascript:alert(1))"])
    path = tmp_path / "odd.gpkg"
    sites.to_file(path)
    pdf, md = tmp_path / "odd.pdf", tmp_path / "odd.md"
    assert gis("review", path, "--profile", case["profile"], "-o", pdf).code == 0
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "X$^$1" in text and "价格$5到$6" in text  # dollars, not mathtext
    assert gis("review", path, "--profile", case["profile"], "-o", md).code == 0
    page = md.read_text(encoding="utf-8")
    assert "](javascript" not in page.replace("\\]", "") and "\\[地块\\]" in page


def test_points_by_position_and_lines_by_length(case):
    result = review(case["sites"], case["profile"])
    e = _by(result, "e")
    assert e["measure"] == "position" and e["area_mu"] is None and "位置" in e["note"]
    assert _c(e, "生态保护红线")["verdict"] == "不通过" and "位置" in _c(e, "生态保护红线")["reason"]
    assert _c(e, "城镇开发边界")["verdict"] == "不通过"
    f = _by(result, "f")
    assert f["measure"] == "length" and f["length_m"] == pytest.approx(2 * 982.6, rel=0.01)
    red = _c(f, "生态保护红线")
    assert red["verdict"] == "不通过" and red["overlap_length_m"] == pytest.approx(0.25 * f["length_m"], rel=0.01)
    assert _c(f, "城镇开发边界")["outside_length_m"] == pytest.approx(0.5 * f["length_m"], rel=0.01)


def test_the_json_keeps_the_machine_shape(case, gis, tmp_path):
    out = tmp_path / "r.json"
    run = gis("review", case["sites_path"], "--profile", case["profile"], "-o", out)
    assert run.code == 0, run.err
    sites = json.loads(out.read_text(encoding="utf-8"))
    assert [s["id"] for s in sites] == ["a", "b", "c", "d", "e", "f"]
    for site in sites:
        assert {"id", "name", "area_m2", "area_mu", "area_ha", "constraints", "land_use", "rules"} <= set(site)
        for c in site["constraints"]:
            assert {"name", "rule", "verdict", "overlap_m2", "overlap_mu", "share", "features"} <= set(c)
            assert c["verdict"] in ("通过", "不通过", "无法判断", "仅量算")
            for f in c["features"]:
                assert {"id", "name", "overlap_m2"} <= set(f)
        for row in site["land_use"]:
            assert {"class", "area_m2", "area_mu"} <= set(row)


def test_every_format_is_written_and_reads_right(case, gis, tmp_path):
    import openpyxl

    for fmt in ("table", "markdown", "xlsx", "pdf"):
        out = tmp_path / f"r.{ {'markdown': 'md', 'table': 'txt'}.get(fmt, fmt)}"
        run = gis("review", case["sites_path"], "--profile", case["profile"], "-o", out)
        assert run.code == 0, run.err
        assert out.stat().st_size > 500
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "## 跨红线（a）" in text and "**不通过**" in text and "基本农田保护条例" in text and "数据来源" in text
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert {"汇总", "生态保护红线", "城镇开发边界", "永久基本农田", "占用清单", "地类构成", "数据来源"} <= set(book.sheetnames)
    pdf_text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True,
                              check=True).stdout
    for word in ("测试预审", "跨红线", "不通过", "生态保护红线", "数据来源", "2023年度国土变更调查", "北", "示意"):
        assert word in pdf_text, word
    pages = subprocess.run(["pdfinfo", str(tmp_path / "r.pdf")], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+8\n", pages) and "(A4)" in pages  # title, six sites, sources


@pytest.mark.parametrize(("edit", "expect"), [
    (lambda t: t.replace('rule = "must_be_within"', 'rule = "must_be_near"'),
     "constraint 2 (城镇开发边界): unknown `rule` 'must_be_near'"),
    (lambda t: t.replace("bureau/czkfbj.shp", "bureau/nowhere.shp"), "constraint 2 (城镇开发边界): `source`"),
    (lambda t: t.replace('field = "DLBM2023"', 'field = "DLBM"'), "no code field 'DLBM'"),
    (lambda t: t.replace('title = "测试预审"', ""), "`title` is missing"),
    (lambda t: t.replace('name = "永久基本农田"', 'name = "生态保护红线"'), "used twice"),
    (lambda t: t.replace('name_field = "HXMC"', 'name_field = "HXMC"\nlayer = "hx2023"'),
     ("constraint 生态保护红线: ", "has no layer 'hx2023'; it holds: stbhhx; fix `layer` in the profile")),
])
def test_a_bad_profile_is_one_line_naming_the_entry_and_nothing_is_written(case, gis, tmp_path, edit, expect):
    case["profile"].write_text(edit(case["profile"].read_text(encoding="utf-8")), encoding="utf-8")
    out = tmp_path / "r.pdf"
    run = gis("review", case["sites_path"], "--profile", case["profile"], "-o", out)
    expects = expect if isinstance(expect, tuple) else (expect,)
    assert run.code == 2 and run.err.count("\n") == 1 and all(e in run.err for e in expects), run.err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".r.pdf")]


def test_layers_without_crs_and_codes_outside_the_classification_are_refused(case, gis, tmp_path):
    shp = case["folder"] / "czkfbj.shp"
    shp.with_suffix(".prj").unlink()
    run = gis("review", case["sites_path"], "--profile", case["profile"])
    assert run.code == 2 and "城镇开发边界" in run.err and "no CRS" in run.err and run.err.count("\n") == 1
    gpd.read_file(case["folder"] / "stbhhx.gpkg").to_file(shp)  # a CRS again
    dltb = gpd.read_file(case["folder"] / "dltb.gpkg")
    dltb.loc[0, "DLBM2023"] = "011"  # a 三调-style code, not a 2023 one
    dltb.to_file(case["folder"] / "dltb.gpkg", driver="GPKG")
    run = gis("review", case["sites_path"], "--profile", case["profile"])
    assert run.code == 2 and "'011'" in run.err and "2023" in run.err and run.err.count("\n") == 1


def test_an_unreadable_layer_is_cannot_tell_never_a_pass(case):
    (case["folder"] / "yjjbnt.geojson").write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    result = review(case["sites"], case["profile"])
    for site in result.sites:
        farmland = _c(site, "永久基本农田")
        assert farmland["verdict"] == "无法判断" and "无法使用" in farmland["reason"] and "无法读取" in farmland["reason"]
    assert next(layer for layer in result.layers if layer["name"] == "永久基本农田")["reason"]


def test_an_empty_layer_or_a_shapefile_cut_short_is_cannot_tell_never_a_pass(case):
    # A layer with no features anywhere proves nothing (a read by boxes finds none near the sites either way).
    empty = gpd.read_file(case["folder"] / "yjjbnt.geojson").iloc[:0]
    empty.to_file(case["folder"] / "yjjbnt.geojson", driver="GeoJSON")
    # A Shapefile cut short in copying: GDAL reads the features it still holds and says nothing.
    shp = case["folder"] / "czkfbj.shp"
    shp.write_bytes(shp.read_bytes()[:300])
    result = review(case["sites"], case["profile"])
    for site in result.sites:
        farmland, edge = _c(site, "永久基本农田"), _c(site, "城镇开发边界")
        assert farmland["verdict"] == "无法判断" and "没有任何要素" in farmland["reason"], farmland
        assert edge["verdict"] == "无法判断" and "无法读取" in edge["reason"] and "truncated .shp" in edge["reason"], edge
        assert _c(site, "生态保护红线")["verdict"] != "无法判断"  # the others as they were
    # Features, but none near the sites: a pass, as before.
    far = gpd.GeoDataFrame({"id": ["f9"]}, geometry=[box(X0 + 50 * D, Y0, X0 + 51 * D, Y0 + D)], crs=4326)
    far.to_file(case["folder"] / "yjjbnt.geojson", driver="GeoJSON")
    again = review(case["sites"], case["profile"])
    assert {_c(s, "永久基本农田")["verdict"] for s in again.sites if s["area_m2"]} == {"通过"}


def test_a_layer_on_a_datum_proj_cannot_shift_is_cannot_tell_and_cgcs2000_counts_as_before(case, gis):
    before = review(case["sites"], case["profile"])
    # CGCS2000 lon/lat (EPSG:4490) is WGS 84's to within a metre: the same numbers, the geometries relabelled.
    red = gpd.read_file(case["folder"] / "stbhhx.gpkg")
    red.set_crs(4490, allow_override=True).to_file(case["folder"] / "stbhhx.gpkg", driver="GPKG")
    again = review(case["sites"], case["profile"])
    assert [_c(s, "生态保护红线") for s in again.sites] == [_c(s, "生态保护红线") for s in before.sites]
    # Xian 1980 Gauss-Krüger (EPSG:2385): PROJ has no parameters to CGCS2000, only a 'ballpark' no-op that would
    # leave the red line tens of metres off. Never a silent pass: 无法判断, saying why.
    red.set_crs(4610, allow_override=True).to_crs(2385).to_file(case["folder"] / "stbhhx.gpkg", driver="GPKG")
    result = review(case["sites"], case["profile"])
    for site in result.sites:
        verdict = _c(site, "生态保护红线")
        assert verdict["verdict"] == "无法判断" and "Xian 1980" in verdict["reason"] and "ballpark" in verdict["reason"]
        assert _c(site, "城镇开发边界") == _c(_by(before, site["id"]), "城镇开发边界")  # the others as before
    # Sites in Beijing 1954 (no transformation covers Wenzhou): refused in one line, nothing written.
    old = case["sites"].set_crs(4214, allow_override=True)
    path = old.to_file(case["tmp"] / "old_sites.geojson") or case["tmp"] / "old_sites.geojson"
    out = case["tmp"] / "old.json"
    run = gis("review", path, "--profile", case["profile"], "--format", "json", "-o", out)
    assert run.code == 2 and run.err.count("\n") == 1 and "Beijing 1954" in run.err and "ballpark" in run.err
    assert not out.exists()


def test_a_site_without_area_is_cannot_tell(case):
    flat = gpd.GeoDataFrame({"id": ["z"], "name": ["零面积"]}, geometry=[box(X0, Y0, X0 + D, Y0 + 1e-12)], crs=4326)
    site = review(flat, case["profile"]).sites[0]
    assert all(c["verdict"] in ("无法判断", "仅量算") for c in site["constraints"])


def test_geoparquet_and_postgis_layers_are_read_only_where_the_sites_are(case, pg, tmp_path):
    from gis.engine import write_parquet
    from gis.postgis import write_postgis
    from gis.synthetic import parcels

    field = parcels(20_000, origin=(X0 - 0.2, Y0 - 0.2), cell_m=(80.0, 60.0), seed=5)
    write_parquet(field, case["folder"] / "dltb.parquet")
    write_postgis(field, pg.url, "dltb_review")
    profile = tmp_path / "p2.toml"
    profile.write_text(textwrap.dedent(f"""
        title = "读取范围"
        [[constraint]]
        name = "地块（GeoParquet）"
        source = "bureau/dltb.parquet"
        rule = "report"
        [[constraint]]
        name = "地块（PostGIS）"
        source = "{pg.url}"
        layer = "dltb_review"
        rule = "report"
    """), encoding="utf-8")
    site = gpd.GeoDataFrame({"id": ["s"]}, geometry=[box(X0 - 0.19, Y0 - 0.19, X0 - 0.185, Y0 - 0.185)], crs=4326)
    result = review(site, profile)
    read = {layer["name"]: layer["features_read"] for layer in result.layers}
    assert 0 < read["地块（GeoParquet）"] < len(field) / 10 and 0 < read["地块（PostGIS）"] < len(field) / 10
    parquet, postgis = (_c(result.sites[0], n) for n in ("地块（GeoParquet）", "地块（PostGIS）"))
    assert parquet["overlap_m2"] == pytest.approx(result.sites[0]["area_m2"], rel=1e-6)
    assert postgis["overlap_m2"] == pytest.approx(parquet["overlap_m2"], rel=1e-9)
    assert "***" in next(layer["source"] for layer in result.layers if layer["name"] == "地块（PostGIS）")
    # No row near a site: the table's CRS from geometry_columns, and a pass (not "no CRS").
    away = site.assign(geometry=[box(X0 + 1, Y0 + 1, X0 + 1.001, Y0 + 1.001)])
    assert _c(review(away, profile).sites[0], "地块（PostGIS）")["verdict"] == "仅量算"
    # A table with no rows at all proves nothing: 无法判断, as a file without features (asked read-only).
    import psycopg

    with psycopg.connect(pg.url, autocommit=True) as conn:
        conn.execute("DELETE FROM dltb_review")
    empty = _c(review(site, profile).sites[0], "地块（PostGIS）")
    assert empty["verdict"] == "无法判断" and "没有任何要素" in empty["reason"], empty


def test_the_example_profile_uses_only_shipped_layers_and_says_so():
    from gis.layers import is_shipped_layer
    from gis.review import example_profile_path

    profile = load_profile(example_profile_path())
    assert all(is_shipped_layer(c.source) for c in profile.constraints)
    assert is_shipped_layer(profile.land_use.source)
    text = example_profile_path().read_text(encoding="utf-8")
    assert "自然资源和规划局" in text and "示例" in profile.title


def test_the_build_reviews_the_example_and_links_its_report(gis, tmp_path):
    assert gis("build", "-o", tmp_path / "site").code == 0
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    for name in ("review.pdf", "review.xlsx", "review.json", "review.md"):
        assert (tmp_path / "site" / "reports" / name).exists() and f"reports/{name}" in index


def test_a_profile_error_names_the_file(tmp_path):
    bad = tmp_path / "p.toml"
    bad.write_text('title = "x"\n[[constraint]]\nname = "a"\nsource = "zones"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"p.toml: constraint 1 \(a\): `rule` is missing"):
        load_profile(bad)


def test_the_pdf_lists_what_fits_below_the_verdicts_and_counts_the_rest(tmp_path):
    from gis.review_report import PDF_LIST_ROWS, write_review_pdf

    grid = [box(X0 + i * D / 10, Y0 + j * D / 10, X0 + (i + 0.9) * D / 10, Y0 + (j + 0.9) * D / 10)
            for i in range(8) for j in range(5)]
    gpd.GeoDataFrame({"id": [f"g{k:02d}" for k in range(len(grid))], "name": ["格"] * len(grid)}, geometry=grid,
                     crs=4326).to_file(tmp_path / "grid.gpkg")
    profile = tmp_path / "p.toml"
    profile.write_text('title = "清单"\n[[constraint]]\nname = "格网"\nsource = "grid.gpkg"\nrule = "report"\n',
                       encoding="utf-8")
    sites = gpd.GeoDataFrame({"id": ["big"], "name": ["大"]}, geometry=[box(X0, Y0, X0 + D, Y0 + D)], crs=4326)
    result = review(sites, profile)
    assert len(result.sites[0]["constraints"][0]["features"]) == 40
    write_review_pdf(result, sites, tmp_path / "r.pdf")
    page = subprocess.run(["pdftotext", "-f", "2", "-l", "2", "-layout", str(tmp_path / "r.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    shown = set(re.findall(r"g\d\d", page))
    assert len(shown) == PDF_LIST_ROWS and f"另有 {40 - PDF_LIST_ROWS} 个图斑，见工作簿的占用清单" in page
    lines = [line for line in page.splitlines() if line.strip()]
    assert page.index("占用清单") < re.search(r"g\d\d", page).start() and "示意" in lines[-1]


@pytest.mark.parametrize("count", [12, 24])
def test_many_constraints_continue_on_a_page_of_their_own_with_the_lists_below_them(tmp_path, count):
    """Many control layers: their verdicts and the lists do not fit below the figure together."""
    from gis.review_report import PDF_LIST_ROWS, write_review_pdf

    gpd.GeoDataFrame({"id": ["z1"], "name": ["区"]}, geometry=[box(X0, Y0, X0 + D / 2, Y0 + D)],
                     crs=4326).to_file(tmp_path / "zone.gpkg")
    clause = "《温州市国土空间总体规划（2021—2035年）》第十二条管控要求"
    profile = tmp_path / "p.toml"
    profile.write_text('title = "多图层"\n' + "".join(
        f'[[constraint]]\nname = "管控图层{k:02d}"\nsource = "zone.gpkg"\nrule = "report"\nclause = "{clause}"\n'
        for k in range(1, count + 1)), encoding="utf-8")
    sites = gpd.GeoDataFrame({"id": ["s"], "name": ["甲"]}, geometry=[box(X0, Y0, X0 + D, Y0 + D)], crs=4326)
    result = review(sites, profile)
    write_review_pdf(result, sites, tmp_path / "r.pdf")
    info = subprocess.run(["pdfinfo", str(tmp_path / "r.pdf")], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+4", info)  # the sites, the site, its continuation, the sources

    def page(k: int) -> str:
        return subprocess.run(["pdftotext", "-f", str(k), "-l", str(k), "-layout", str(tmp_path / "r.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout

    first, second = page(2), page(3)
    assert "占用清单" not in first and "地类构成" not in first and "管控图层01" in first
    assert "甲（s）（续）" in second and "占用清单" in second
    verdicts_after = second[:second.index("占用清单")]  # the rest of the verdicts, above the lists
    assert "（无）" not in verdicts_after
    names = set(re.findall(r"管控图层\d\d", first)) | set(re.findall(r"管控图层\d\d", verdicts_after))
    assert names == {f"管控图层{k:02d}" for k in range(1, count + 1)}
    assert ("管控图层24" in verdicts_after) is (count == 24)  # those that do not fit continue here
    listed = re.findall(r"管控图层\d\d\s+z1", second[second.index("占用清单"):])
    assert len(listed) == min(count, PDF_LIST_ROWS) or "个图斑，见工作簿的占用清单" in second
    assert "示意" in [line for line in second.splitlines() if line.strip()][-1]


def test_a_big_layer_measured_in_halves_on_two_threads_gives_the_same_pairs(monkeypatch):
    import gis.review as module
    from gis.synthetic import parcels

    field = parcels(6_000, origin=(X0, Y0), cell_m=(80.0, 60.0), seed=3, topology=True)
    feats = np.asarray(field.geometry.values, dtype=object)
    x0, y0, x1, y1 = field.total_bounds
    rng = np.random.default_rng(5)
    cx, cy = rng.uniform(x0, x1, 60), rng.uniform(y0, y1, 60)
    sites = shapely.box(cx, cy, cx + 0.004, cy + 0.003)
    sites = shapely.transform(sites, lambda xy: xy + np.sin(xy[:, ::-1] * 900) * 3e-4)  # not all convex
    kinds = shapely.get_type_id(sites)
    size = module.polygon_area(sites)
    whole = module.pair_amounts(sites, kinds, size, feats)
    monkeypatch.setattr(module, "PAIRS_PARALLEL_ABOVE", 10)
    halves = module.pair_amounts(sites, kinds, size, feats)
    assert len(whole.site) > 500
    assert np.array_equal(whole.site, halves.site) and np.array_equal(whole.feature, halves.feature)
    assert np.allclose(whole.amount, halves.amount, rtol=1e-12, atol=1e-9)
    made = np.flatnonzero(~np.equal(whole.piece, None))
    assert np.array_equal(made, np.flatnonzero(~np.equal(halves.piece, None)))
    assert np.allclose(module.polygon_area(whole.piece[made]), module.polygon_area(halves.piece[made]))

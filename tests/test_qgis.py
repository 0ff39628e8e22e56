"""The GeoPackage and Shapefiles of ``gis export`` opened in Debian's QGIS (PyQGIS, offscreen) and GDAL.

QGIS runs in Debian's system Python (``/usr/bin/python3`` with ``python3-qgis``, installed by
``scripts/install-system-deps.sh``) through ``tests/qgis_check.py``, which reports what QGIS sees
as JSON. The tests wait for that process to end; nothing waits on time.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from gis.layers import list_layers, read_layer
from gis.mapdef import LAYER_TITLES, load_definitions, style_rules

pytestmark = pytest.mark.qgis

SYSTEM_PYTHON = "/usr/bin/python3"
CHECK = Path(__file__).with_name("qgis_check.py")


def run_qgis(*args: object) -> tuple[dict, str]:
    """Run tests/qgis_check.py in Debian's Python; return its report and its standard error."""
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True, check=False)
    assert probe.returncode == 0, ("PyQGIS is required: Debian's python3-qgis (scripts/install-system-deps.sh); "
                                   + probe.stderr[-300:])
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": os.environ.get("XDG_RUNTIME_DIR", "/tmp")}
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([SYSTEM_PYTHON, str(CHECK), *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=900, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("QGIS-REPORT ")]
    assert lines, f"qgis_check.py gave no report (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(lines[-1].removeprefix("QGIS-REPORT ")), proc.stderr


def warnings_in(stderr: str) -> list[str]:
    """Lines of QGIS's or GDAL's standard error that warn (Qt's note about XDG_RUNTIME_DIR is not about the file)."""
    return [line for line in stderr.splitlines()
            if re.search(r"warning|error|non-conformant|partially supported", line, re.IGNORECASE)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from gis.cli import main

    out = tmp_path_factory.mktemp("qgis")
    assert main(["export", "--gpkg", str(out / "规划图层.gpkg"), "--shp", str(out / "shp")]) == 0
    extents = [f"{d.name}=" + ",".join(f"{v:.6f}" for v in d.bounds()) for d in load_definitions()]
    (out / "renders").mkdir()
    report, stderr = run_qgis(out / "规划图层.gpkg", out / "renders", *extents)
    return out, report, stderr


def test_every_feature_of_every_layer_gets_a_symbol_in_qgis(exported):
    _, report, _ = exported
    assert set(report["layers"]) == set(list_layers())
    for name, layer in report["layers"].items():
        assert layer["valid"], name
        assert layer["features"] == len(read_layer(name)), name
        assert layer["without_symbol"] == [], f"{name}: QGIS draws nothing for {layer['without_symbol']}"


def test_plan_styles_carry_every_maps_classes_and_legend_texts(exported):
    _, report, _ = exported
    layers = report["layers"]
    for name in ("zones", "corridors", "platforms", "reclamation", "projects"):
        assert layers[name]["renderer"] == "RuleRenderer", name
    # The classes the issue found missing: 四区 (by name), the 三轴 (by role), and every scheme's zones.
    for label in ("新兴产业培育区", "传统产业提升区", "生态宜业宜居城市新区", "瓯飞发展预留区", "一核：环金海湖城市核心区",
                  "北翼集聚（大门镇、大小门岛）", "1：鹿城区产业发展平台（主平台）"):
        assert label in layers["zones"]["legend"], label
    assert "三轴：东西向产城融合轴线" in layers["corridors"]["legend"]
    assert "生活品质提升带（沿S2线、永强大道）" in layers["corridors"]["legend"]
    # Every legend text is a class label of some map (or the one fallback).
    labels = {r.cls.label for rules in style_rules().values() for r in rules} | {"其他（未入任何图的要素）"}
    for name in ("zones", "corridors", "platforms", "reclamation", "projects"):
        assert set(layers[name]["legend"]) <= labels, name


def test_line_layers_are_labelled_along_the_line_and_context_is_not_labelled(exported):
    _, report, _ = exported
    corridors = report["layers"]["corridors"]
    assert corridors["labels_enabled"] and corridors["label_placements"]
    assert set(corridors["label_placements"]) <= {2, 3}, "lines are labelled along the line (Line / Curved)"
    for name in ("coast", "districts"):
        assert not report["layers"][name]["labels_enabled"], name
    drawn = report["project"]["labels"]["zhenan"][LAYER_TITLES["corridors"]]
    for axis in ("“天柱大道－滨海八路”轴线", "“新川大道－滨海十三路”轴线", "“环山南路－滨海十八路”轴线",
                 "生活品质提升带", "生产性服务业集聚带"):
        assert axis in drawn, f"QGIS placed no label on {axis} at the 浙南 map's extent: {drawn}"


def test_the_project_in_the_geopackage_draws_context_under_the_plan(exported):
    _, report, _ = exported
    project = report["project"]
    assert report["projects"] and project["read"]
    assert all(project["valid"]), project["order"]
    assert project["crs"] == "EPSG:4549" and project["ellipsoid"] == "EPSG:1024"
    assert project["groups"] == ["规划图层（示意）", "底图"]
    order = project["order"]  # top first
    context = [i for i, title in enumerate(order) if "底图" in title or title.startswith("陆地")]
    plan = [i for i in range(len(order)) if i not in context]
    assert context and max(plan) < min(context), order
    assert order.index(LAYER_TITLES["projects"]) < order.index(LAYER_TITLES["corridors"]) < order.index(
        LAYER_TITLES["platforms"]) < order.index(LAYER_TITLES["zones"])
    outline = next(t for t in order if "轮廓" in t)  # the main platform "1", drawn above the parks it holds
    assert order.index(outline) < order.index(LAYER_TITLES["platforms"])
    for title, layer in project["layers"].items():
        assert layer["without_symbol"] == [], title
    assert not any(project["layers"][t]["labels_enabled"] for t in order if t in
                   (LAYER_TITLES["coast"], LAYER_TITLES["districts"]))


def test_the_geopackage_opens_without_warnings_in_qgis_and_gdal(exported):
    out, report, stderr = exported
    assert report["messages"] == [], report["messages"]
    assert warnings_in(stderr) == [], warnings_in(stderr)
    gpkg = out / "规划图层.gpkg"
    info = subprocess.run(["ogrinfo", "-so", "-al", str(gpkg)], capture_output=True, text=True, timeout=300,
                          check=False)
    assert info.returncode == 0 and info.stderr.strip() == "", info.stderr  # Debian's GDAL 3.6: not a word
    with sqlite3.connect(gpkg) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200
        stamps = [r[0] for r in db.execute("SELECT update_time FROM layer_styles")]
    assert stamps and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", s) for s in stamps), stamps


def test_shapefiles_come_with_their_qml_and_qgis_uses_it(exported):
    out, _, _ = exported
    shp = out / "shp"
    for name in list_layers():
        assert (shp / f"{name}.qml").is_file(), name
    report, stderr = run_qgis(shp)
    assert set(report["layers"]) == set(list_layers())
    for name, layer in report["layers"].items():
        assert layer["without_symbol"] == [], name
        if name in ("zones", "corridors", "platforms", "reclamation", "projects"):
            assert layer["renderer"] == "RuleRenderer", name
    assert report["layers"]["corridors"]["labels_enabled"]
    assert warnings_in(stderr) == []

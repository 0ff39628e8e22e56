"""Web maps: offline, escaped, and what a planner sees, checked in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from gis.errors import InputError
from gis.layers import read_layer
from gis.mapdef import MapDefinition
from gis.maps import list_maps, load_definition, measure_folder, render_file, render_map
from gis.safe import html_text as escape_html

HOSTILE = ['<script>window.__xss=1</script>', '<img src=x onerror="window.__xss=2">', '"><svg onload="window.__xss=3">']


def open_page(browser, path: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.requests = []
    page.dialogs = []
    page.errors = []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.route("http*://**/*", lambda route: route.abort())  # the network is closed to the page
    page.goto(path.as_uri())
    page.wait_for_function("window.L !== undefined && document.querySelector('.leaflet-pane') !== null")
    return page


def expected_features(definition: MapDefinition) -> int:
    return sum(len(layer.select(read_layer(layer.source))) for layer in definition.layers)


def test_measuring_tool_is_installed():
    assert measure_folder() is not None, "leaflet-measure (npm) is installed by the README's set-up"


@pytest.mark.parametrize("name", list_maps())
def test_every_map_renders_offline_with_legend_popups_and_tools(browser, tmp_path, name):
    definition = load_definition(name)
    path = tmp_path / f"{name}.html"
    path.write_text(render_map(definition), encoding="utf-8")
    page = open_page(browser, path)
    try:
        assert page.evaluate("L.version") == "1.9.4"
        assert not page.errors, page.errors
        drawn = page.locator("path.leaflet-interactive").count()
        assert drawn == expected_features(definition)
        legend = page.locator(".gis-legend").inner_text()
        for label in (c.label for layer in definition.layers for c in layer.classes):
            if label.split("（")[0] in legend:
                break
        else:
            pytest.fail(f"legend shows none of the class labels: {legend}")
        assert "示意" in page.locator(".gis-note").inner_text()
        assert definition.title in page.locator(".gis-title").inner_text()
        assert page.locator(".leaflet-control-scale").count() == 1
        assert page.locator(".leaflet-control-measure").count() == 1
        assert page.locator(".leaflet-control-layers").count() == 1
        assert "OpenStreetMap" in page.locator(".gis-attribution").inner_text()
        # Clicking a polygon opens its popup with the area in 亩.
        polygons = [layer for layer in definition.layers if layer.kind == "polygon"]
        if polygons:
            page.locator("path.leaflet-interactive").last.dispatch_event("click")
            page.wait_for_selector(".leaflet-popup-content", timeout=60_000)
            popup = page.locator(".leaflet-popup-content").inner_text()
            assert "名称" in popup and ("亩" in popup or "总投资" in popup)
        assert [u for u in page.requests if not u.startswith(("file:", "data:"))] == []
    finally:
        page.close()


def _hostile_layers(tmp_path: Path) -> Path:
    folder = tmp_path / "layers"
    from gis import settings

    shutil.copytree(settings.get_layers_folder(), folder)
    data = json.loads((folder / "platforms.geojson").read_text(encoding="utf-8"))
    for feature, payload in zip(
        (f for f in data["features"] if f["properties"]["scheme"] == "1+2+N"), HOSTILE * 5, strict=False
    ):
        feature["properties"]["name"] = payload + feature["properties"]["name"]
        feature["properties"]["source"] = payload
    (folder / "platforms.geojson").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return folder


def test_hostile_names_render_as_text_and_never_run(browser, tmp_path, monkeypatch):
    monkeypatch.setenv("GIS_LAYERS_FOLDER", str(_hostile_layers(tmp_path)))
    path = tmp_path / "lucheng.html"
    path.write_text(render_map(load_definition("lucheng")), encoding="utf-8")
    page = open_page(browser, path)
    try:
        title = page.title()
        for i in range(page.locator("path.leaflet-interactive").count()):
            page.locator("path.leaflet-interactive").nth(i).dispatch_event("click")
        # Tooltips open on mouseover: fire it on the element itself (no pointer geometry, nothing off-screen).
        page.locator("path.leaflet-interactive").last.dispatch_event("mouseover")
        page.locator(".leaflet-popup-content").first.wait_for(state="attached")
        page.locator(".leaflet-tooltip").first.wait_for(state="attached")
        popup = "\n".join(page.locator(".leaflet-popup-content").all_inner_texts())
        assert any(p in popup for p in HOSTILE), popup  # shown as text
        labels = page.locator(".gis-label").all_inner_texts()
        assert any("<img src=x" in t for t in labels)
        assert page.evaluate("window.__xss") is None
        assert page.dialogs == [] and page.title() == title
        assert page.locator(".leaflet-popup-content img, .leaflet-popup-content svg, .gis-label svg").count() == 0
    finally:
        page.close()


def test_quick_look_map_of_a_file_is_escaped_too(browser, tmp_path, gis):
    gdf = read_layer("platforms").head(6).copy()
    gdf["name"] = [p + "x" for p in (HOSTILE * 2)[:6]]
    src = tmp_path / "mine.geojson"
    gdf.to_file(src)
    out = tmp_path / "quick.html"
    assert gis("map", src, "-o", out).code == 0
    page = open_page(browser, out)
    try:
        assert page.locator("path.leaflet-interactive").count() == 6
        page.locator("path.leaflet-interactive").first.dispatch_event("click")
        page.wait_for_selector(".leaflet-popup-content", timeout=60_000)
        assert "<script>" in page.locator(".leaflet-popup-content").inner_text()
        assert page.evaluate("window.__xss") is None and page.dialogs == []
        assert [u for u in page.requests if not u.startswith(("file:", "data:"))] == []
    finally:
        page.close()


def test_basemaps_are_optional_and_tianditu_needs_a_key(monkeypatch):
    definition = load_definition("lucheng")
    offline = render_map(definition)
    assert "tile.openstreetmap.org" not in offline and "tianditu" not in offline
    assert "tile.openstreetmap.org" in render_map(definition, basemap="osm")
    with pytest.raises(InputError, match="key"):
        render_map(definition, basemap="tianditu")
    assert "tk=abc123" in render_map(definition, basemap="tianditu", tianditu_key="abc123")
    for cdn in ("cdn.jsdelivr", "cdnjs", "unpkg.com", "code.jquery", "bootstrapcdn"):
        assert cdn not in offline


def test_map_by_chinese_title_and_unknown_name(gis, tmp_path):
    out = tmp_path / "m.html"
    assert gis("map", "一核两带三轴四区", "-o", out).code == 0 and out.exists()
    run = gis("map", "nowhere", "-o", tmp_path / "x.html")
    assert run.code == 2 and "no map definition" in run.err and not (tmp_path / "x.html").exists()
    monkeypatch_env = gis("map", "lucheng", "-o", tmp_path / "t.html", "--basemap", "tianditu")
    assert monkeypatch_env.code == 2 and "TIANDITU_KEY" in monkeypatch_env.err


def test_build_writes_maps_reports_and_an_index(gis, tmp_path):
    run = gis("build", "-o", tmp_path / "site")
    assert run.code == 0
    site = tmp_path / "site"
    index = (site / "index.html").read_text(encoding="utf-8")
    for name in list_maps():
        assert f"maps/{name}.html" in index and (site / "maps" / f"{name}.html").exists()
        picture = site / "maps" / f"{name}.png"
        assert f"maps/{name}.png" in index and picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert escape_html(load_definition(name).citation) in index  # the plan each map draws, by title
    for report in ("reclaim.csv", "reconcile.csv", "overlay_projects_zones.csv", "rules.json"):
        assert f"reports/{report}" in index and (site / "reports" / report).exists()
    assert "reports/wenzhou-gis-reports.xlsx" in index and (site / "reports" / "wenzhou-gis-reports.xlsx").exists()
    assert "示意" in index and run.out.count("wrote ") >= 14
    # key figures and every report as a table on the page
    assert "主要数字" in index and "围垦在建" in index and "围垦合计" in index and "产业平台与区块" in index
    from gis.reports import REPORTS, sheets

    shown = sheets()
    for report in REPORTS:
        assert f'id="{report.id}"' in index
        sheet = shown[report.sheet]
        for header in sheet.table.columns:
            assert f"<th>{escape_html(header)}</th>" in index
    assert "<td>瓯飞起步区2号围区</td>" in index and "合计（溶解后" in index
    assert "True" not in (site / "reports" / "reclaim.csv").read_text(encoding="utf-8-sig")


def test_build_index_escapes_every_value(gis, tmp_path, monkeypatch):
    monkeypatch.setenv("GIS_LAYERS_FOLDER", str(_hostile_layers(tmp_path)))
    assert gis("build", "-o", tmp_path / "site").code == 0
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    for payload in HOSTILE:
        assert payload not in index
    assert escape_html(HOSTILE[1]) in index  # shown as text in the report tables


def test_large_layer_quick_look_is_small_drawn_and_says_simplified(browser, tmp_path):
    from gis.synthetic import parcels

    path = tmp_path / "big.html"
    path.write_text(render_file(parcels(10_000, seed=3), title="parcels"), encoding="utf-8")
    assert path.stat().st_size < 5_000_000
    page = open_page(browser, path)
    try:
        page.wait_for_function("window.gisDrawn === 10000", timeout=20_000)
        assert "简化" in page.locator(".gis-note").inner_text()
        assert page.locator("canvas").count() >= 1  # drawn on a canvas, not 10^4 SVG paths
    finally:
        page.close()


def test_quick_look_refuses_beyond_its_limit_and_points_to_the_workbench(gis, tmp_path, monkeypatch):
    from gis import maps as maps_module
    from gis.synthetic import parcels

    path = tmp_path / "parcels.geojson"
    parcels(30, seed=2).to_file(path, driver="GeoJSON")
    monkeypatch.setattr(maps_module, "QUICK_LOOK_MAX", 20)  # the same check as at 100,000, on a small file
    r = gis("map", path, "-o", tmp_path / "x.html")
    assert r.code == 2 and not (tmp_path / "x.html").exists()
    assert len(r.err.strip().splitlines()) == 1 and "gis serve --layer" in r.err and "30 features" in r.err
    monkeypatch.setattr(maps_module, "QUICK_LOOK_MAX", 30)
    assert gis("map", path, "-o", tmp_path / "x.html").code == 0


def test_quick_look_honours_the_basemap_option():
    gdf = read_layer("platforms").head(2)
    assert "tile.openstreetmap.org" not in render_file(gdf, title="t")
    assert "tile.openstreetmap.org" in render_file(gdf, title="t", basemap="osm")
    with pytest.raises(InputError, match="key"):
        render_file(gdf, title="t", basemap="tianditu")


# --- what a planner sees: labels, scale, measuring tool, the main platform, land, citations ------------

VISIBLE_LABELS = """() => {
  const boxes = [...document.querySelectorAll('.gis-label-shown .gis-label-text')].map(e => {
    const b = e.getBoundingClientRect(); return {t: e.textContent, l: b.left, t0: b.top, r: b.right, b: b.bottom}; });
  const pairs = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], c = boxes[j];
    if (a.l < c.r && c.l < a.r && a.t0 < c.b && c.t0 < a.b) pairs.push([a.t, c.t]);
  }
  return {shown: boxes.length, pairs: pairs};
}"""


#: The page's Leaflet map, in the page's JavaScript.
THE_MAP = "Object.values(window).find(v => v instanceof L.Map)"


@pytest.mark.parametrize("name", list_maps())
def test_no_two_labels_overlap_at_the_initial_view_or_closer(browser, tmp_path, name):
    definition = load_definition(name)
    path = tmp_path / f"{name}.html"
    path.write_text(render_map(definition), encoding="utf-8")
    page = open_page(browser, path)
    try:
        page.wait_for_function(f"window.gisLabelsZoom === {definition.view.zoom}")
        labelled = [layer for layer in definition.layers if layer.label and layer.kind != "point"]
        for step in range(3):
            zoom = definition.view.zoom + step
            if step:
                page.evaluate(f"() => {{ {THE_MAP}.setZoom({zoom}, {{animate: false}}); }}")  # returns nothing
                page.wait_for_function(f"window.gisLabelsZoom === {zoom}")
            seen = page.evaluate(VISIBLE_LABELS)
            assert seen["pairs"] == [], f"{name} at zoom {zoom}: labels overlap: {seen['pairs']}"
            if labelled and step == 0:
                assert seen["shown"] >= 3, f"{name}: only {seen['shown']} labels at the initial view"
    finally:
        page.close()


def test_every_label_shows_from_some_zoom_and_stays(tmp_path):
    from gis.labels import first_zoom, zoom_placements
    from gis.maps import map_labels

    for name in list_maps():
        labels, obstacles = map_labels(load_definition(name))
        table = zoom_placements(labels, obstacles)
        for label in labels:
            start = first_zoom(table[label.key])
            assert start is not None and start <= 16, f"{name}: {label.text} never shows"
            assert all(table[label.key][z] is not None for z in range(start, 19)), f"{name}: {label.text} blinks"


def test_scale_is_metric_and_the_measuring_tool_speaks_chinese_in_mu_and_hectares(browser, tmp_path):
    path = tmp_path / "lucheng.html"
    path.write_text(render_map(load_definition("lucheng")), encoding="utf-8")
    page = open_page(browser, path)
    try:
        scale = page.locator(".leaflet-control-scale").inner_text()
        assert page.locator(".leaflet-control-scale-line").count() == 1
        assert re.fullmatch(r"\d+ k?m", scale.strip()), scale  # no miles, no feet
        control = page.locator(".leaflet-control-measure")
        assert control.locator(".js-toggle").inner_text() == "测量"
        control.hover()
        control.locator(".js-start").click()
        for x, y in ((500, 400), (700, 400), (700, 600), (500, 600)):
            page.mouse.click(x, y)
        control.locator(".js-finish").click()
        page.wait_for_selector(".leaflet-popup-content")
        result = page.locator(".leaflet-popup-content").inner_text()
        assert "面积测量" in result and "亩" in result and "公顷" in result and "周长" in result, result
        assert not re.search(r"[Aa]cres|[Mm]iles|Area|Perimeter", result), result
    finally:
        page.close()


def test_the_main_platform_1_is_drawn_above_its_parks_and_popups_cite_the_plan(browser, tmp_path):
    path = tmp_path / "lucheng.html"
    definition = load_definition("lucheng")
    path.write_text(render_map(definition), encoding="utf-8")
    page = open_page(browser, path)
    try:
        outline = page.locator(".leaflet-gis-outline-pane path")
        assert outline.count() >= 1
        colour = definition.layers[0].classes[0].colour
        assert outline.first.get_attribute("stroke") == colour and outline.first.get_attribute("fill") == "none"
        z_outline = page.evaluate("getComputedStyle(document.querySelector('.leaflet-gis-outline-pane')).zIndex")
        z_fills = page.evaluate("getComputedStyle(document.querySelector('.leaflet-overlay-pane')).zIndex")
        assert int(z_outline) > int(z_fills)
        page.locator(".leaflet-overlay-pane path.leaflet-interactive").last.dispatch_event("click")
        page.wait_for_selector(".leaflet-popup-content")
        popup = page.locator(".leaflet-popup-content").inner_text()
        assert "《" in popup and "温鹿政办〔2016〕97号" in popup and ".txt" not in popup, popup
        attribution = page.locator(".gis-attribution").inner_text()
        assert "《鹿城区产业(工业)平台整合提升三年行动计划" in attribution and ".txt" not in attribution
    finally:
        page.close()


def test_land_goes_on_beyond_the_coast_layers_frame_and_no_frame_edge_is_drawn():
    from shapely.geometry import box

    from gis.mapdef import background_land

    land, coastline = background_land()
    frame = box(*read_layer("coast").total_bounds)
    assert land.union_all().area > frame.intersection(land.union_all()).area * 1.5  # the districts beyond it
    along_frame = coastline.union_all().intersection(frame.boundary.buffer(1e-7)).length
    assert along_frame < 1e-6, "the coast layer's frame is drawn as a coastline"
    for name in ("reclamation", "projects"):  # the initial views of the two wide maps lie on the land drawn
        definition = load_definition(name)
        lat, lon = definition.view.center
        assert frame.contains(box(lon - 0.1, lat - 0.1, lon + 0.1, lat + 0.1))

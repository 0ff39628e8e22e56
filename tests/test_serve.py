"""The workbench (``gis serve``): a real server on a free loopback port, its API, and its page in Chromium.

Every wait is on state (a DOM attribute the page sets, a log line, an answer), never on time.
"""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import subprocess
import threading
import zipfile
from pathlib import Path

import httpx
import pytest

import geopandas as gpd
import shapely
from shapely.geometry import Polygon, box, mapping

from .workbench import Server, add_user, free_port, gis_command

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "profiles" / "example.toml"
#: A site in 瓯江口 (the 浙南 platform), where zones, the platform and reclamation areas lie.
SITE = box(120.88, 27.95, 120.90, 27.965)


def collection(*geoms, names=None) -> dict:
    names = names or [f"选址{i + 1}" for i in range(len(geoms))]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": n}, "geometry": mapping(g)} for g, n in zip(geoms, names,
                                                                                            strict=True)]}


def gis_area_mu(path: Path) -> float:
    """The 亩 `gis area` gives for a file (one feature)."""
    out = subprocess.run([gis_command(), "area", str(path), "--unit", "mu", "--format", "json"], capture_output=True,
                         text=True, check=True, timeout=300).stdout
    rows = json.loads(out)
    rows = [r for r in (rows["rows"] if isinstance(rows, dict) else rows)
            if not r.get("total") and r.get("feature") != "合计"]
    assert len(rows) == 1, rows
    return float(rows[0]["area_mu"])


def gbk_shapefile_zip(folder: Path, names: list[str], geoms: list) -> Path:
    """A zipped Shapefile with a GBK ``.dbf`` and no ``.cpg`` (as planners' desktop tools write them)."""
    import warnings

    shp = folder / "gbk" / "地块.shp"
    shp.parent.mkdir(parents=True, exist_ok=True)
    gdf = gpd.GeoDataFrame({"name": names, "用途": ["工业"] * len(names)}, geometry=geoms, crs=4490)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf.to_file(shp, encoding="GBK")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    assert "东片".encode("gbk") in shp.with_suffix(".dbf").read_bytes() or names[0].encode("gbk") in \
        shp.with_suffix(".dbf").read_bytes()
    out = folder / "地块.zip"
    with zipfile.ZipFile(out, "w") as z:
        for member in shp.parent.iterdir():
            z.write(member, member.name)
    return out


# --- the servers ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server without accounts (loopback), with the example review profile."""
    data = tmp_path_factory.mktemp("wb") / "data"
    s = Server(data, profile=PROFILE).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """A server with an account ``planner``."""
    data = tmp_path_factory.mktemp("wb-accounts") / "data"
    add_user(data, "planner", "correct horse 电池")
    add_user(data, "qgis", "qgis-Basic-2026")  # QGIS sends Basic credentials in Latin-1: an ASCII password
    s = Server(data).start()
    yield s
    s.stop()


class Page:
    """A workbench page: JavaScript errors and any request off the server recorded; the network closed."""

    def __init__(self, browser, base: str) -> None:
        self.context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

        def route(r):
            if r.request.url.startswith(base):
                r.continue_()
            else:
                self.outside.append(r.request.url)
                r.abort()

        self.page.route("**/*", route)
        self.base = base

    def open(self, *, ready: bool = True):
        self.page.goto(self.base + "/")
        if ready:
            self.page.wait_for_selector('body[data-ready="1"]', timeout=120_000)
        return self.page

    def shown(self, before: int, sites: int | None = None, timeout: float = 120_000) -> None:
        """Wait until the page has shown a result after the ``before``-th one."""
        self.page.wait_for_selector(f'body[data-shown="{before + 1}"]', state="attached", timeout=timeout)
        if sites is not None:
            assert self.page.get_attribute("body", "data-sites") == str(sites)

    def count(self) -> int:
        return int(self.page.get_attribute("body", "data-shown") or 0)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def page(browser, server):
    p = Page(browser, server.url)
    yield p
    assert not p.outside, f"requests off the server: {p.outside[:3]}"
    p.close()


# --- the page --------------------------------------------------------------------------------------------------

def draw_polygon(p: Page, lonlats: list[tuple[float, float]]) -> None:
    """Draw a polygon with the mouse: the polygon tool, one click per vertex, then 完成."""
    page = p.page
    page.click(".leaflet-pm-icon-polygon")
    points = page.evaluate("""(ll) => ll.map(([x, y]) => {
        const pt = window.gisWorkbench.map.latLngToContainerPoint([y, x]);
        const box = document.getElementById('gis-map').getBoundingClientRect();
        return [pt.x + box.left, pt.y + box.top]; })""", lonlats)
    for x, y in points:
        page.mouse.move(x, y, steps=5)
        page.mouse.down()
        page.mouse.up()
    page.click(".leaflet-pm-actions-container .action-finish:visible")


def test_page_loads_offline_in_chinese_with_schemes(page):
    pg = page.open()
    assert pg.title() == "温州产业平台规划工作台"
    assert "示意" in pg.inner_text("#gis-map .gis-note")
    schemes = pg.eval_on_selector_all("#gis-scheme option", "os => os.map(o => o.textContent)")
    assert len(schemes) >= 3 and all(any("\u4e00" <= ch <= "\u9fff" for ch in s) for s in schemes)
    first_title = pg.inner_text("#gis-scheme-title")
    current = pg.input_value("#gis-scheme")
    other = next(v for v in pg.eval_on_selector_all("#gis-scheme option", "os => os.map(o => o.value)") if v != current)
    pg.select_option("#gis-scheme", other)
    pg.wait_for_selector(f'body[data-scheme="{other}"]', state="attached", timeout=60_000)
    assert pg.inner_text("#gis-scheme-title") != first_title
    assert pg.locator(".leaflet-control-layers-overlays label").count() >= 3  # layers can be switched
    assert pg.locator("#gis-legend .gis-legend-item").count() >= 2
    assert not page.errors, page.errors


def test_search_goes_to_the_feature_and_shows_its_measured_area(page):
    pg = page.open()
    pg.fill("#gis-search", "小门岛")
    pg.wait_for_selector("#gis-search-results .gis-hit", timeout=60_000)
    pg.locator("#gis-search-results .gis-hit").first.click()
    popup = pg.wait_for_selector(".leaflet-popup-content .gis-popup", timeout=60_000)
    text = popup.inner_text()
    assert "小门岛" in text and "出处" in text and "示意" in text
    hits = [pg.locator("#gis-search-results .gis-hit").nth(i).inner_text()
            for i in range(pg.locator("#gis-search-results .gis-hit").count())]
    assert all("小门岛" in h for h in hits)
    # a polygon's popup gives its measured area
    pg.fill("#gis-search", "瓯江口产业集聚区")
    pg.wait_for_selector("#gis-search-results .gis-hit", timeout=60_000)
    pg.locator("#gis-search-results .gis-hit").first.click()
    pg.wait_for_selector(".leaflet-popup-content :text('量算面积')", timeout=60_000)
    assert "亩" in pg.inner_text(".leaflet-popup-content")
    assert not page.errors, page.errors


def test_clicking_a_feature_shows_its_attributes_and_measured_area(page):
    from gis.layers import read_layer

    zones = read_layer("zones")
    zone = zones[zones["name"] == "新兴产业培育区"].iloc[0]
    point = zone.geometry.representative_point()
    pg = page.open()
    pg.evaluate("([y, x]) => window.gisWorkbench.map.setView([y, x], 14)", [point.y, point.x])
    xy = pg.evaluate("""([y, x]) => { const pt = window.gisWorkbench.map.latLngToContainerPoint([y, x]);
        const box = document.getElementById('gis-map').getBoundingClientRect();
        return [pt.x + box.left, pt.y + box.top]; }""", [point.y, point.x])
    pg.mouse.click(*xy)
    popup = pg.wait_for_selector(".leaflet-popup-content .gis-popup", timeout=60_000)
    text = popup.inner_text()
    assert "量算面积" in text and "亩" in text and "出处" in text and "示意" in text
    names = {n for layer in ("zones", "platforms", "reclamation") for n in read_layer(layer)["name"]}
    assert any(name in text for name in names), text  # the topmost plan feature under the click
    assert not page.errors, page.errors


def test_drawn_polygon_area_on_the_page_equals_gis_area(page, tmp_path):
    pg = page.open()
    pg.evaluate("() => window.gisWorkbench.map.setView([27.955, 120.89], 14)")
    before = page.count()
    draw_polygon(page, [(120.880, 27.950), (120.897, 27.949), (120.899, 27.962), (120.884, 27.965)])
    page.shown(before, sites=1)
    shown_mu = float(pg.inner_text("[data-testid=area-mu]").replace(",", ""))
    drawn = pg.evaluate("() => window.gisWorkbench.drawn.toGeoJSON()")
    assert len(drawn["features"]) == 1 and drawn["features"][0]["geometry"]["type"] == "Polygon"
    path = tmp_path / "drawn.geojson"
    path.write_text(json.dumps(drawn), encoding="utf-8")
    assert shown_mu == pytest.approx(gis_area_mu(path), abs=0.005)
    assert shown_mu > 1000
    # the overlaps, the rules and the review are there at once, and the overlaps are highlighted
    section = pg.inner_text("#gis-result")
    assert "叠加" in section and "规划规则" in section and "管控图层审查" in section
    assert pg.locator("#gis-result table").count() >= 2
    assert pg.evaluate("() => window.gisWorkbench.lastResult.highlight.features.length") >= 1
    assert not page.errors, page.errors


def test_uploaded_gbk_shapefile_shows_chinese_names(page, tmp_path):
    names = ["东片区工业地块", "西片区仓储地块"]
    archive = gbk_shapefile_zip(tmp_path, names, [SITE, box(120.86, 27.95, 120.87, 27.96)])
    pg = page.open()
    before = page.count()
    pg.set_input_files("#gis-file", str(archive))
    pg.click("#gis-upload button[type=submit]")
    page.shown(before, sites=2)
    headings = pg.locator("#gis-result h3").all_inner_texts()
    assert [h.split("（")[0] for h in headings] == names
    assert pg.get_attribute("#gis-status", "data-kind") == "ok"
    notes = pg.locator("#gis-result .gis-note-line").all_inner_texts()
    assert any("没有 .cpg 文件，按 GBK 编码读取" in n for n in notes), notes  # said in Chinese, as all the page
    assert pg.evaluate("() => window.gisWorkbench.drawn.getLayers().length") == 2
    assert not page.errors, page.errors


def test_hostile_name_in_an_upload_stays_text(page, tmp_path):
    hostile = '<img src=x onerror="document.body.dataset.pwned=1">=HYPERLINK("http://x")'
    path = tmp_path / "hostile.geojson"
    path.write_text(json.dumps(collection(SITE, names=[hostile])), encoding="utf-8")
    pg = page.open()
    pg.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    before = page.count()
    pg.set_input_files("#gis-file", str(path))
    pg.click("#gis-upload button[type=submit]")
    page.shown(before, sites=1)
    assert hostile in pg.inner_text("#gis-result h3")
    assert pg.locator("#gis-result img").count() == 0
    assert pg.get_attribute("body", "data-pwned") is None and not page.dialogs


def test_xlsx_download_opens_with_the_sites_figures(page, tmp_path):
    import openpyxl

    path = tmp_path / "site.geojson"
    path.write_text(json.dumps(collection(SITE, names=["下载测试"])), encoding="utf-8")
    pg = page.open()
    before = page.count()
    pg.set_input_files("#gis-file", str(path))
    pg.click("#gis-upload button[type=submit]")
    page.shown(before, sites=1)
    shown_mu = pg.inner_text("[data-testid=area-mu]")
    with pg.expect_download(timeout=120_000) as info:
        pg.click("[data-download=xlsx]")
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.suffix == ".xlsx"
    book = openpyxl.load_workbook(target)
    cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None}
    assert "下载测试" in cells
    assert any(c.replace(",", "") == shown_mu.replace(",", "") for c in cells) or \
        float(shown_mu.replace(",", "")) in {c.value for ws in book.worksheets for row in ws.iter_rows() for c in row}
    with pg.expect_download(timeout=180_000) as info:
        pg.click("#gis-pdf")
    pdf = tmp_path / info.value.suggested_filename
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    with pg.expect_download(timeout=120_000) as info:
        pg.click("[data-download=gpkg]")
    gpkg = tmp_path / info.value.suggested_filename
    info.value.save_as(gpkg)
    import pyogrio

    layers = [name for name, _ in pyogrio.list_layers(gpkg) if name != "layer_styles"]
    assert gpd.read_file(gpkg, layer=layers[0])["name"].tolist() == ["下载测试"]


def test_save_reopen_rename_compare_and_delete_sites(page, server, tmp_path):
    pg = page.open()
    names = {"甲地块": SITE, "乙地块": box(120.86, 27.95, 120.87, 27.96)}
    for name, geom in names.items():
        path = tmp_path / f"{name}.geojson"
        path.write_text(json.dumps(collection(geom, names=[name])), encoding="utf-8")
        before = page.count()
        pg.set_input_files("#gis-file", str(path))
        pg.click("#gis-upload button[type=submit]")
        page.shown(before, sites=1)
        pg.fill("#gis-site-name", name)
        pg.click("#gis-save")
        pg.wait_for_selector(f"#gis-sites .gis-saved-name:text-is('{name}')", timeout=60_000)
    # reopen in a fresh page: the 项目库 is the server's
    page.close()
    again = Page(page.page.context.browser, server.url)
    try:
        pg = again.open()
        item = pg.locator("#gis-sites li.gis-saved", has_text="甲地块")
        assert "（匿名）" in item.inner_text()
        before = again.count()
        item.get_by_role("button", name="打开").click()
        again.shown(before, sites=1)
        assert pg.input_value("#gis-site-name") == "甲地块"
        assert pg.evaluate("() => window.gisWorkbench.drawn.getLayers().length") == 1
        # compare the two
        for name in names:
            pg.locator("#gis-sites li.gis-saved", has_text=name).locator(".gis-compare-pick").check()
        pg.click("#gis-compare-button")
        pg.wait_for_selector("#gis-compare table", timeout=60_000)
        compared = pg.inner_text("#gis-compare")
        assert "面积（亩）" in compared and "甲地块" in compared and "乙地块" in compared
        # rename (the page asks for the new name)
        pg.once("dialog", lambda d: d.accept("甲地块（调整）"))
        item.get_by_role("button", name="重命名").click()
        pg.wait_for_selector("#gis-sites .gis-saved-name:text-is('甲地块（调整）')", timeout=60_000)
        # delete both (the page asks to confirm)
        for name in ("甲地块（调整）", "乙地块"):
            pg.once("dialog", lambda d: d.accept())
            pg.locator("#gis-sites li.gis-saved", has_text=name).get_by_role("button", name="删除").click()
            pg.wait_for_selector(f"#gis-sites .gis-saved-name:text-is('{name}')", state="detached", timeout=60_000)
        assert not again.errors, again.errors
        assert not again.outside
    finally:
        again.close()
    with server.client() as c:
        assert c.get("/api/sites").json()["sites"] == []
        actions = [e["action"] for e in c.get("/api/audit").json()["audit"]]
    assert {"analyse", "save", "rename", "delete"} <= set(actions)


def test_page_with_accounts_asks_to_log_in(browser, guarded):
    p = Page(browser, guarded.url)
    try:
        pg = p.open(ready=False)
        pg.wait_for_selector("#gis-login:not([hidden])", timeout=60_000)
        pg.fill("#gis-login-name", "planner")
        pg.fill("#gis-login-password", "wrong")
        pg.click("#gis-login-form button[type=submit]")
        pg.wait_for_selector("#gis-login-error:text('用户名或密码错误')", timeout=60_000)
        pg.fill("#gis-login-password", "correct horse 电池")
        pg.click("#gis-login-form button[type=submit]")
        pg.wait_for_selector('body[data-ready="1"]', timeout=120_000)
        assert pg.inner_text("#gis-user") == "用户：planner"
        cookie = next(c for c in p.context.cookies() if c["name"].startswith("gis"))
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        pg.click("#gis-logout")
        pg.wait_for_selector("#gis-login:not([hidden])", timeout=60_000)
        assert not p.outside
    finally:
        p.close()


# --- the API -----------------------------------------------------------------------------------------------------

def test_analyse_answers_in_the_documented_shape(server):
    with server.client() as c:
        r = c.post("/api/analyse", json=collection(SITE, box(120.70, 28.00, 120.701, 28.001)))
    assert r.status_code == 200, r.text
    sites = r.json()["sites"]
    assert len(sites) == 2
    for s in sites:
        assert {"id", "name", "area_m2", "area_mu", "area_ha", "overlaps", "rules", "constraints"} <= set(s)
        assert s["area_mu"] == pytest.approx(s["area_m2"] * 0.0015, abs=0.01)
        assert s["area_ha"] == pytest.approx(s["area_m2"] / 1e4, abs=1e-4)
        for o in s["overlaps"]:
            assert {"layer", "id", "name", "overlap_m2", "share"} <= set(o)
            assert 0 < o["share"] <= 1 and o["overlap_m2"] <= s["area_m2"] + 0.01
        assert s["constraints"], "the example profile's constraints"
        assert all({"name", "verdict", "overlap_m2", "features"} <= set(k) for k in s["constraints"])
    assert sites[0]["overlaps"], "the 瓯江口 site touches zones"
    assert {o["layer"] for o in sites[0]["overlaps"]} >= {"zones"}


def test_rule_verdicts_are_said_in_chinese_with_the_plan_named():
    """The page shows a rule's plan by its title and the verdict's detail in Chinese, the places by name."""
    from gis.layers import read_layer
    from gis.server.analysis import analyse_collection

    parks = read_layer("platforms")
    inside = parks.loc[parks["id"] == "lc-park-light"].geometry.iloc[0].centroid.buffer(0.003)
    outside = box(120.55, 28.05, 120.56, 28.06)  # in 鹿城区, mostly beyond its main platform
    answer = analyse_collection(collection(inside, outside))
    rules = [{r["rule"]: r for r in s["rules"]}["lc-industrial-land-in-main-platform"] for s in answer["sites"]]
    assert [r["verdict"] for r in rules] == ["通过", "不通过"]
    assert rules[0]["detail_zh"] == "位于鹿城区产业发展平台（主平台）内"
    assert rules[1]["detail_zh"].startswith("不在鹿城区产业发展平台（主平台）内（仅 ")
    assert all(r["source_text"].startswith("《鹿城区产业(工业)平台整合提升三年行动计划") and "二(七)" in r["source_text"]
               for r in rules)


def test_uploads_of_every_kind_read_as_gis_import_reads_them(server, tmp_path):
    import warnings

    from gis.crs import wgs84_to_gcj02

    parcels = gpd.GeoDataFrame({"name": ["甲地块", "乙地块"]}, geometry=[SITE, box(120.86, 27.95, 120.87, 27.96)],
                               crs=4326)
    files = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for suffix, driver in ((".geojson", "GeoJSON"), (".kml", "KML"), (".gpkg", "GPKG"), (".fgb", "FlatGeobuf")):
            path = tmp_path / f"sites{suffix}"
            parcels.to_file(path, driver=driver)
            files[suffix] = path
    with server.client() as c:
        areas = {}
        for suffix, path in files.items():
            r = c.post("/api/analyse", files={"file": (path.name, path.read_bytes())})
            assert r.status_code == 200, (suffix, r.text)
            areas[suffix] = [(x["name"], x["area_m2"]) for x in r.json()["sites"]]
        assert len({json.dumps(v, ensure_ascii=False) for v in areas.values()}) == 1, areas
        # points copied from AMap (GCJ-02) in a CSV: the planner says so, as with gis import --crs gcj02
        lon, lat = 120.885, 27.957
        glon, glat = wgs84_to_gcj02(lon, lat)
        csv = tmp_path / "points.csv"
        csv.write_text(f"name,lon,lat\n码头,{glon:.7f},{glat:.7f}\n", encoding="utf-8")
        r = c.post("/api/analyse", files={"file": (csv.name, csv.read_bytes())}, data={"crs": "gcj02"})
        assert r.status_code == 200, r.text
        answer = r.json()
    imported = tmp_path / "imported.geojson"
    subprocess.run([gis_command(), "import", str(csv), "--crs", "gcj02", "-o", str(imported), "--schema", "projects"],
                   capture_output=True, timeout=300)  # written; exit 1 only because the schema wants more fields
    want = json.loads(imported.read_text(encoding="utf-8"))["features"][0]["geometry"]["coordinates"]
    got = answer["geojson"]["features"][0]["geometry"]["coordinates"]
    assert got == pytest.approx(want, abs=1e-6) and got == pytest.approx([lon, lat], abs=2e-5)
    assert answer["sites"][0]["measure"] == "position"
    assert answer["notes"] == ["points.csv：GCJ-02（火星坐标）已转换为 WGS84"]  # the page says it in Chinese


def test_analysis_equals_gis_review_json(server, tmp_path):
    path = tmp_path / "one.geojson"
    path.write_text(json.dumps(collection(SITE, names=["对照"])), encoding="utf-8")
    out = subprocess.run([gis_command(), "review", str(path), "--profile", str(PROFILE), "--format", "json",
                          "--id-field", "name"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode in (0, 1), out.stderr
    review = json.loads(out.stdout)
    with server.client() as c:
        site = c.post("/api/analyse", json=collection(SITE, names=["对照"])).json()["sites"][0]
    expected = {k["name"]: (k["verdict"], k["overlap_m2"]) for k in review[0]["constraints"]}
    assert {k["name"]: (k["verdict"], k["overlap_m2"]) for k in site["constraints"]} == expected


def test_layers_api_and_unknown_names(server):
    with server.client() as c:
        listed = c.get("/api/layers").json()["layers"]
        names = {row["name"] for row in listed}
        assert {"zones", "platforms", "reclamation", "projects"} <= names
        zones = c.get("/api/layers/zones")
        assert zones.headers["content-type"].startswith("application/geo+json")
        features = zones.json()["features"]
        assert features and all(f["properties"]["measured_mu"] > 0 for f in features)
        missing = c.get("/api/layers/..%2Fsetup.cfg")
        assert missing.status_code == 404 and missing.json()["error"] == "没有这个地址"
        assert c.get("/api/layers/nope").json()["error"] == "没有图层 nope"
        assert c.put("/api/sites").status_code == 405
        assert c.get("/api/sites/abc").status_code == 404
        assert c.get("/docs").status_code == 200 and "/api/analyse" in c.get("/docs").text
        r = c.get("/")
        assert r.headers["content-security-policy"].startswith("default-src 'self'")
        assert r.headers["x-content-type-options"] == "nosniff"


def zipped(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def shapefile_members(tmp_path: Path, gdf: gpd.GeoDataFrame, *, prj: bool = True) -> dict[str, bytes]:
    import warnings

    folder = tmp_path / f"shp{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf.to_file(folder / "p.shp")
    if not prj:
        (folder / "p.prj").unlink()
    return {f.name: f.read_bytes() for f in folder.iterdir()}


def bad_uploads(tmp_path: Path) -> dict[str, tuple[str, bytes, dict]]:
    """Uploads a planner might make by mistake, or an attacker on purpose: (filename, bytes, form fields)."""
    parcels = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[SITE, box(120.86, 27.95, 120.87, 27.96)], crs=4490)
    swapped = parcels.copy()
    swapped["geometry"] = shapely.transform(swapped.geometry.values, lambda xy: xy[:, ::-1])
    swapped = swapped.set_crs(4490, allow_override=True)
    import math

    many = gpd.GeoDataFrame({"name": ["细"]}, geometry=[Polygon(
        [(120.88 + 0.01 * math.cos(2 * math.pi * k / 2_100_000), 27.95 + 0.01 * math.sin(2 * math.pi * k / 2_100_000))
         for k in range(2_100_000)])], crs=4490)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("p.shp", b"\0" * (300 * 1024 * 1024))
    slip = zipped({"../../escape.geojson": json.dumps(collection(SITE)).encode()})
    return {
        "not a geometry file": ("notes.txt", "这不是空间数据".encode(), {}),
        "no CRS": ("p.zip", zipped(shapefile_members(tmp_path, parcels, prj=False)), {}),
        "Xian 1980 (no datum shift in PROJ)": ("x.zip", zipped(shapefile_members(
            tmp_path, parcels.to_crs(4549).set_crs(2385, allow_override=True))), {}),
        "swapped lat/lon": ("swapped.geojson", swapped.to_json().encode(), {}),
        "corrupt zip": ("p.zip", b"PK\x03\x04" + b"\x00" * 100, {}),
        "too many vertices": ("many.zip", zipped(shapefile_members(tmp_path, many)), {}),
        "zip bomb": ("bomb.zip", bomb.getvalue(), {}),
        "zip slip": ("slip.zip", slip, {}),
        "unknown crs": ("ok.geojson", json.dumps(collection(SITE)).encode(), {"crs": "EPSG:999999"}),
        "empty": ("empty.geojson", b"", {}),
    }


def test_bad_uploads_get_a_chinese_4xx_never_a_500(server, tmp_path):
    cases = bad_uploads(tmp_path)
    with server.client() as c:
        sites_before = c.get("/api/sites").json()["sites"]
        for label, (filename, data, fields) in cases.items():
            r = c.post("/api/analyse", files={"file": (filename, data)}, data=fields)
            assert 400 <= r.status_code < 500, (label, r.status_code, r.text[:300])
            message = r.json()["error"]
            assert "\n" not in message and any("\u4e00" <= ch <= "\u9fff" for ch in message[:12]), (label, message)
            if label.startswith("Xian"):
                assert "Xian 1980" in message and "ballpark" in message, message
        # bodies that are not JSON, and saves of geometry that is not: refused, nothing saved
        assert c.post("/api/analyse", content=b"{not json", headers={"Content-Type": "application/json"}
                      ).status_code == 400
        for body in ({"name": "坏", "geometry": {"type": "Polygon", "coordinates": [[[0, 0]]]}},
                     {"name": "", "geometry": collection(SITE)}, {"name": "x" * 201, "geometry": collection(SITE)},
                     {"name": "无几何"}, {"name": "经纬颠倒", "geometry": collection(box(27.95, 120.88, 27.96, 120.89))},
                     ["not", "an", "object"]):
            r = c.post("/api/sites", json=body)
            assert 400 <= r.status_code < 500, (body, r.text)
        assert c.get("/api/sites").json()["sites"] == sites_before
    assert not (tmp_path.parent / "escape.geojson").exists()
    assert "Traceback" not in server.log.read_text()


def test_upload_size_limit(tmp_path):
    s = Server(tmp_path / "data", extra=["--max-upload-mb", "1"]).start()
    try:
        with s.client() as c:
            r = c.post("/api/analyse", files={"file": ("big.geojson", b" " * (2 * 1024 * 1024))})
            assert r.status_code == 413 and "文件过大" in r.json()["error"]
            r = c.post("/api/analyse", content=b" " * (2 * 1024 * 1024), headers={"Content-Type": "application/json"})
            assert r.status_code == 413
    finally:
        s.stop()


def test_a_long_analysis_does_not_stall_other_planners(server):
    import time

    parcels = [box(120.85 + 0.0004 * (i % 100), 27.93 + 0.0004 * (i // 100), 120.85 + 0.0004 * (i % 100) + 0.0003,
                   27.93 + 0.0004 * (i // 100) + 0.0003) for i in range(10_000)]
    done: dict[str, float] = {}

    def long_one():
        with server.client() as c:
            assert c.post("/api/analyse", json=collection(*parcels)).status_code == 200
        done["long"] = time.monotonic()

    worker = threading.Thread(target=long_one)
    worker.start()
    with server.client() as c:  # wait on state: the long analysis is under way (its request is being read)
        while worker.is_alive() and "long" not in done:
            r = c.get("/api/health")
            assert r.status_code == 200
            small = c.post("/api/analyse", json=collection(SITE))
            assert small.status_code == 200
            done.setdefault("small", time.monotonic())
            break
    worker.join()
    assert done["small"] < done["long"]


# --- security ----------------------------------------------------------------------------------------------------

def test_off_loopback_without_accounts_refuses_to_start(tmp_path):
    r = subprocess.run([gis_command(), "serve", "--host", "0.0.0.0", "--port", str(free_port()), "--data", str(tmp_path / "d")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "account" in lines[0] and "Traceback" not in r.stderr


def test_off_loopback_with_accounts_starts_and_stops_serving_when_the_last_goes(tmp_path):
    data = tmp_path / "data"
    add_user(data, "planner", "pw-1234567")
    s = Server(data, extra=["--host", "0.0.0.0"]).start()
    try:
        assert httpx.get(s.url + "/api/sites").status_code == 401
        subprocess.run([gis_command(), "user", "remove", "planner", "--data", str(data)], check=True,
                       capture_output=True, timeout=120)
        with httpx.Client(base_url=s.url, timeout=60) as c:
            while c.get("/api/health").json()["accounts"]:  # wait on state: the server has seen the removal
                pass
            r = c.get("/api/sites")
            assert r.status_code == 503 and "尚无账户" in r.json()["error"]  # never open beyond loopback
            assert c.get("/").status_code == 503
    finally:
        s.stop()


def test_accounts_session_csrf_and_lockout(guarded):
    assert httpx.get(guarded.url + "/api/health").status_code == 200
    for path in ("/api/sites", "/api/layers", "/api/audit", "/collections", "/api/maps"):
        r = httpx.get(guarded.url + path)
        assert r.status_code == 401, path
        assert r.json()["error"] == "请先登录"
    assert httpx.post(guarded.url + "/api/analyse", json=collection(SITE)).status_code in (401, 403)
    with guarded.client() as c:
        r = c.post("/api/login", json={"name": "planner", "password": "correct horse 电池"})
        assert r.status_code == 200
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        assert c.get("/api/session").json()["user"] == "planner"
        assert c.get("/api/sites").status_code == 200
        # a writing request without the token, or with another one, is refused and changes nothing
        token = c.headers.pop("X-CSRF-Token")
        assert c.post("/api/sites", json={"name": "无令牌", "geometry": collection(SITE)}).status_code == 403
        c.headers["X-CSRF-Token"] = "forged"
        assert c.post("/api/sites", json={"name": "伪令牌", "geometry": collection(SITE)}).status_code == 403
        c.headers["X-CSRF-Token"] = token
        assert c.get("/api/sites").json()["sites"] == []
        saved = c.post("/api/sites", json={"name": "有令牌", "geometry": collection(SITE)})
        assert saved.status_code == 201 and saved.json()["author"] == "planner"
        assert c.delete(f"/api/sites/{saved.json()['id']}").status_code == 200
        c.post("/api/logout")
        assert c.get("/api/sites").status_code == 401


def test_repeated_failures_lock_out_the_account_then_the_client(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from gis.server.auth import CLIENT_LOCKOUT_FAILURES, LOCKOUT_FAILURES

    data = tmp_path / "data"
    add_user(data, "victim", "right-password")
    add_user(data, "planner", "planner-password")
    s = Server(data).start()
    try:
        with s.client() as c:
            codes = [c.post("/api/login", json={"name": "victim", "password": f"guess{i}"}).status_code
                     for i in range(LOCKOUT_FAILURES + 1)]
            assert codes == [401] * LOCKOUT_FAILURES + [429]
            r = c.post("/api/login", json={"name": "victim", "password": "right-password"})
            assert r.status_code == 429 and "15 分钟" in r.json()["error"]  # even with the right password
            assert c.post("/api/login", json={"name": "planner", "password": "planner-password"}).status_code == 200
        with s.client() as c, ThreadPoolExecutor(8) as pool:  # guessing across accounts locks the client out
            def guess(i):
                return c.post("/api/login", json={"name": f"user{i}", "password": "x"}).status_code

            list(pool.map(guess, range(CLIENT_LOCKOUT_FAILURES)))
            assert c.post("/api/login", json={"name": "planner", "password": "planner-password"}).status_code == 429
            assert httpx.get(s.url + "/collections", auth=("planner", "planner-password")).status_code == 401
        with s.client() as c:  # a forged X-Forwarded-For does not get the client a new address
            r = c.post("/api/login", json={"name": "planner", "password": "planner-password"},
                       headers={"X-Forwarded-For": "10.9.8.7"})
            assert r.status_code == 429
        with sqlite3.connect(data / "gis-workbench.sqlite") as db:
            results = db.execute("SELECT target, result FROM audit WHERE action = 'login'").fetchall()
        assert ("victim", "locked") in results and ("planner", "ok") in results
    finally:
        s.stop()


def test_sessions_end_on_the_server_at_logout_removal_and_new_password(tmp_path):
    data = tmp_path / "data"
    add_user(data, "reader", "first-password")
    add_user(data, "colleague", "another-password")
    s = Server(data).start()
    try:
        def login(password: str) -> tuple[dict, str]:
            with s.client() as c:
                r = c.post("/api/login", json={"name": "reader", "password": password})
                assert r.status_code == 200, r.text
                return dict(c.cookies), r.json()["csrf_token"]

        def sites(cookies: dict) -> int:
            with httpx.Client(base_url=s.url, cookies=cookies, timeout=60) as c:
                return c.get("/api/sites").status_code

        copied, token = login("first-password")
        assert sites(copied) == 200
        with httpx.Client(base_url=s.url, cookies=copied, timeout=60) as c:  # log out with the cookie …
            assert c.post("/api/logout", headers={"X-CSRF-Token": token}).status_code == 200
        assert sites(copied) == 401  # … and a copy of it kept from before is worth nothing
        kept, _ = login("first-password")
        add_user(data, "reader", "second-password")  # a new password ends the old sessions
        assert sites(kept) == 401
        kept, _ = login("second-password")
        assert sites(kept) == 200
        subprocess.run([gis_command(), "user", "remove", "reader", "--data", str(data)], check=True,
                       capture_output=True, timeout=120)
        assert sites(kept) == 401  # the account is gone, and with it its sessions
        # HTTP Basic reads (QGIS), but never writes: a browser would replay it on its own
        add_user(data, "qgis", "basic-only-2026")
        auth = ("qgis", "basic-only-2026")
        assert httpx.get(s.url + "/collections", auth=auth).status_code == 200
        r = httpx.post(s.url + "/api/sites", auth=auth, json={"name": "经 Basic", "geometry": collection(SITE)})
        assert r.status_code == 401
    finally:
        s.stop()


def test_audit_log_records_and_never_holds_secrets(guarded):
    password = "correct horse 电池"
    with guarded.client() as c:
        c.headers["X-CSRF-Token"] = c.post("/api/login", json={"name": "planner", "password": password}
                                           ).json()["csrf_token"]
        c.post("/api/analyse", json=collection(SITE))
        saved = c.post("/api/sites", json={"name": "留痕", "geometry": collection(SITE)}).json()
        c.delete(f"/api/sites/{saved['id']}")
        cookie = next(v for k, v in c.cookies.items() if k.startswith("gis"))
        entries = c.get("/api/audit").json()["audit"]
    mine = [(e["user"], e["action"], e["result"]) for e in entries if e["user"] == "planner"]
    assert ("planner", "analyse", "ok") in mine and ("planner", "save", "ok") in mine and \
        ("planner", "delete", "ok") in mine
    assert all(e["at"].endswith("Z") for e in entries)
    assert all(e["detail"]["client"] == "127.0.0.1" for e in entries if e["action"] != "user_add")
    printed = subprocess.run([gis_command(), "audit", "--data", str(guarded.data)], capture_output=True, text=True,
                             check=True, timeout=120).stdout
    assert "留痕" in printed and "delete" in printed
    from gis.server.auth import SECRET_NAME

    secret_file = guarded.data / SECRET_NAME
    assert secret_file.stat().st_mode & 0o077 == 0, "the session secret is readable by its owner only"
    secret = secret_file.read_bytes().strip()
    assert len(secret) >= 32
    blobs = b"".join(f.read_bytes() for f in guarded.data.rglob("*") if f.is_file() and f != secret_file)
    for forbidden in (password.encode(), cookie.encode(), secret):
        assert forbidden not in blobs
        assert forbidden not in guarded.log.read_bytes()
        assert forbidden.decode() not in printed
    # the audit log is append-only in the database itself
    with sqlite3.connect(guarded.data / "gis-workbench.sqlite") as db, pytest.raises(sqlite3.DatabaseError):
        db.execute("DELETE FROM audit")


def test_server_killed_during_saves_leaves_the_store_consistent(tmp_path):
    data = tmp_path / "data"
    s = Server(data).start()
    with s.client() as c:
        c.post("/api/sites", json={"name": "先存的", "geometry": collection(SITE)}).raise_for_status()
        headers = dict(c.headers)
        cookies = dict(c.cookies)

    def save(k):
        with contextlib.suppress(httpx.HTTPError):  # the server is killed under it
            httpx.post(s.url + "/api/sites", json={"name": f"并发{k}", "geometry": collection(SITE)}, headers=headers,
                       cookies=cookies, timeout=120)

    threads = [threading.Thread(target=save, args=(k,)) for k in range(8)]
    offset = len(s.log.read_text())
    for t in threads:
        t.start()
    while "gis serve: saving site '并发" not in s.log.read_text()[offset:]:  # wait on state: a save is under way
        assert any(t.is_alive() for t in threads), s.log.read_text()
    s.kill()
    for t in threads:
        t.join()
    with sqlite3.connect(data / "gis-workbench.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT id, name, geometry, analysis FROM sites").fetchall()
        saved = {f"site {r[0]}" for r in rows}
        audited = {r[0] for r in db.execute("SELECT target FROM audit WHERE action = 'save'")}
    assert saved == audited, "every saved site has its audit entry, and no entry names a site that is not there"
    for _, name, geometry, analysis in rows:
        assert json.loads(geometry)["features"] and json.loads(analysis)["sites"], name
    again = Server(data).start()
    try:
        with again.client() as c:
            listed = c.get("/api/sites").json()["sites"]
            assert {x["name"] for x in listed} == {r[1] for r in rows} and "先存的" in {x["name"] for x in listed}
            for x in listed:
                assert c.get(f"/api/sites/{x['id']}").json()["analysis"]["sites"]
    finally:
        again.stop()


def test_postgresql_store(pg, tmp_path):
    s = Server(tmp_path / "data", extra=["--store", pg.url]).start()
    try:
        with s.client() as c:
            assert c.get("/api/health").json()["store"] == "PostgreSQL"
            saved = c.post("/api/sites", json={"name": "库中选址", "geometry": collection(SITE)})
            assert saved.status_code == 201
            ident = saved.json()["id"]
            assert c.patch(f"/api/sites/{ident}", json={"name": "库中选址二"}).json()["name"] == "库中选址二"
            assert c.get(f"/api/sites/{ident}").json()["analysis"]["sites"][0]["area_mu"] > 0
            assert c.delete(f"/api/sites/{ident}").status_code == 200
            actions = [e["action"] for e in c.get("/api/audit").json()["audit"]]
            assert actions[-3:] == ["save", "rename", "delete"]
    finally:
        s.stop()
    with pytest.raises(Exception, match="append-only"):
        import psycopg

        with psycopg.connect(pg.url) as conn:
            conn.execute("DELETE FROM gis_audit")


def test_two_servers_on_one_postgresql_store_share_accounts_sessions_and_sites(pg, tmp_path):
    """Several servers behind one proxy: a session from one is good on the other; the 项目库 is one."""
    r = subprocess.run([gis_command(), "user", "add", "shared", "--store", pg.url], input="two-servers-pw\n",
                       text=True, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    a = Server(tmp_path / "a", extra=["--store", pg.url]).start()
    b = Server(tmp_path / "b", extra=["--store", pg.url]).start()
    try:
        with a.client() as ca:
            login = ca.post("/api/login", json={"name": "shared", "password": "two-servers-pw"})
            assert login.status_code == 200
            token = login.json()["csrf_token"]
            saved = ca.post("/api/sites", json={"name": "甲服务器存", "geometry": collection(SITE)},
                            headers={"X-CSRF-Token": token}).json()
            cookies = dict(ca.cookies)
        with httpx.Client(base_url=b.url, cookies=cookies, timeout=120) as cb:
            assert cb.get("/api/session").json()["user"] == "shared"
            assert "甲服务器存" in {x["name"] for x in cb.get("/api/sites").json()["sites"]}
            assert cb.delete(f"/api/sites/{saved['id']}", headers={"X-CSRF-Token": token}).status_code == 200
    finally:
        a.stop()
        b.stop()
        subprocess.run([gis_command(), "user", "remove", "shared", "--store", pg.url], capture_output=True,
                       timeout=120)


# --- OGC API – Features ------------------------------------------------------------------------------------------

def test_ogc_api_features(server):
    with server.client() as c:
        saved = c.post("/api/sites", json={"name": "OGC 选址", "geometry": collection(SITE)}).json()
        collections = c.get("/collections?f=json").json()["collections"]
        ids = {x["id"] for x in collections}
        assert {"zones", "platforms", "projects", "sites"} <= ids
        landing = c.get("/", headers={"Accept": "application/json"}).json()
        desc = next(link for link in landing["links"] if link["rel"] == "service-desc")
        api = c.get(desc["href"])
        assert api.headers["content-type"].startswith("application/vnd.oai.openapi+json")
        assert api.json()["components"]["parameters"]["limit"]["schema"]["maximum"] >= 1000
        conformance = c.get("/conformance?f=json").json()["conformsTo"]
        assert any("ogcapi-features-1/1.0/conf/geojson" in x for x in conformance)
        items = c.get("/collections/zones/items", params={"limit": 2, "f": "json"}).json()
        assert len(items["features"]) == 2 and items["numberMatched"] > 2
        assert any(link["rel"] == "next" for link in items["links"])
        inside = c.get("/collections/zones/items", params={"bbox": "120.88,27.95,120.90,27.965"}).json()
        all_zones = c.get("/collections/zones/items", params={"limit": 1000}).json()
        assert 0 < len(inside["features"]) < len(all_zones["features"])
        sites = c.get("/collections/sites/items").json()["features"]
        assert "OGC 选址" in {f["properties"]["name"] for f in sites}
        assert c.get("/collections/nope/items").status_code == 404
        assert c.get("/collections/zones/items", params={"bbox": "1,2,3"}).status_code == 400
        c.delete(f"/api/sites/{saved['id']}")


QGIS_SCRIPT = r"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from qgis.core import QgsApplication, QgsVectorLayer, QgsDataSourceUri
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
url, user, password = sys.argv[1:4]
out = []
for name in ("zones", "projects"):
    uri = f"url='{url}' typename='{name}' restrictToRequestBBOX='0'"
    if user:
        uri += f" username='{user}' password='{password}'"
    layer = QgsVectorLayer(uri, name, "OAPIF")
    out.append(f"{name} valid={layer.isValid()} count={layer.featureCount()} crs={layer.crs().authid()}")
    if not layer.isValid():
        out.append(f"error {layer.dataProvider().error().message() if layer.dataProvider() else ''}")
    if layer.isValid():
        names = [f["name"] for f in layer.getFeatures()]
        out.append(f"{name}-first {names[0] if names else ''}")
print("\n".join(out), flush=True)
os._exit(0)
"""


@pytest.mark.parametrize("accounts", [False, True], ids=["open", "basic-auth"])
def test_qgis_adds_the_workbench_as_ogc_api_features(server, guarded, accounts, tmp_path):
    target = guarded if accounts else server
    script = tmp_path / "qgis_oapif.py"
    script.write_text(QGIS_SCRIPT, encoding="utf-8")
    creds = ["qgis", "qgis-Basic-2026"] if accounts else ["", ""]
    r = subprocess.run(["/usr/bin/python3", str(script), target.url, *creds], capture_output=True, text=True,
                       timeout=600, env={"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
                                         "PATH": "/usr/bin:/bin"})
    lines = dict(line.split(" ", 1) for line in r.stdout.splitlines() if " " in line)
    with httpx.Client(base_url=target.url, auth=(creds[0], creds[1]) if accounts else None) as c:
        zones = len(c.get("/collections/zones/items", params={"limit": 10000}).json()["features"])
        projects = c.get("/collections/projects/items", params={"limit": 10000}).json()["features"]
    assert lines.get("zones", "").startswith(f"valid=True count={zones} "), r.stdout + r.stderr
    assert lines.get("projects", "").startswith(f"valid=True count={len(projects)} "), r.stdout + r.stderr
    assert lines.get("projects-first") in {f["properties"]["name"] for f in projects}


# --- big layers as vector tiles ------------------------------------------------------------------------------------

#: A parcel with a hostile name in the big layer (row of ``parcels(20_000, seed=5)``).
HOSTILE_ROW = 777
HOSTILE = '<img src=x onerror="document.body.dataset.pwned=1">=HYPERLINK("http://x")'


@pytest.fixture(scope="module")
def big_layer(tmp_path_factory):
    """A 2×10⁴-parcel GeoPackage (as a bureau delivers its 地类图斑), one parcel with a hostile name."""
    from gis.synthetic import parcels

    gdf = parcels(20_000, seed=5)
    gdf["name"] = [f"图斑{i}" for i in range(len(gdf))]
    gdf.loc[HOSTILE_ROW, "name"] = HOSTILE
    path = tmp_path_factory.mktemp("big") / "dltb.gpkg"
    gdf.to_file(path, driver="GPKG", layer="地类图斑")
    return gdf, path


@pytest.fixture(scope="module")
def tiled(tmp_path_factory, big_layer):
    """A server without a profile, with the big layer given as ``--layer 地类图斑=dltb.gpkg``."""
    data = tmp_path_factory.mktemp("wb-tiles") / "data"
    s = Server(data, extra=["--layer", f"地类图斑={big_layer[1]}"]).start()
    yield s
    s.stop()


def _decode(data: bytes) -> dict:
    import mapbox_vector_tile

    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def test_tiles_api_for_a_big_layer_shipped_layers_and_bad_addresses(tiled, big_layer):
    from gis.tiles import tile_at

    gdf, _ = big_layer
    assert "地类图斑: 20,000 features read" in tiled.log.read_text()  # the progress lines of the start
    with tiled.client() as c:
        listed = {row["name"]: row for row in c.get("/api/layers").json()["layers"]}
        assert listed["地类图斑"]["big"] and listed["地类图斑"]["features"] == 20_000
        meta = c.get(listed["地类图斑"]["tiles"]).json()
        assert meta["features"] == 20_000 and meta["class_field"] == "land_use" and meta["maxzoom"] == 16
        assert meta["tiles"][0].endswith("/{z}/{x}/{y}.pbf")
        assert meta["bounds"] == pytest.approx(list(gdf.total_bounds))
        centre = gdf.geometry.iloc[5000].representative_point()
        x, y = tile_at(centre.x, centre.y, 15)
        r = c.get(f"/api/tiles/地类图斑/15/{x}/{y}.pbf")
        assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
        features = _decode(r.content)["features"]["features"]
        assert 10 < len(features) < 2000 and gdf["id"].iloc[5000] in {f["properties"]["id"] for f in features}
        assert c.get("/api/tiles/地类图斑/15/0/0.pbf").status_code == 204  # empty: answered at once
        zx, zy = tile_at(120.7, 28.0, 10)
        zones = c.get(f"/api/tiles/zones/10/{zx}/{zy}.pbf")
        assert zones.status_code == 200 and "features" in _decode(zones.content)  # shipped layers too
        for bad in ("/api/tiles/地类图斑/17/0/0.pbf", "/api/tiles/地类图斑/3/8/0.pbf", "/api/tiles/地类图斑/3/0/9.pbf"):
            r = c.get(bad)
            assert r.status_code == 400 and r.json()["error"].startswith("切片编号无效"), bad
        assert c.get("/api/tiles/地类图斑/a/0/0.pbf").status_code == 404
        assert c.get("/api/tiles/nope/1/0/0.pbf").json()["error"].startswith("没有可切片的图层")
        assert c.get("/api/tiles/upload-" + "0" * 32 + ".json").status_code == 404
        assert c.get("/api/tiles/地类图斑/at", params={"lon": "x", "lat": 1}).status_code == 400
        assert c.get("/api/tiles/地类图斑/at", params={"lon": 100, "lat": 10}).json()["error"] == "此处没有要素"
        assert c.get("/api/layers/地类图斑").status_code == 413  # not as one GeoJSON
        assert "/api/tiles/{layer}/{z}/{x}/{y}.pbf" in c.get("/docs").text


def test_serve_refuses_a_bad_layer_in_one_line(tmp_path):
    bad = tmp_path / "bad.gpkg"
    bad.write_text("not a geopackage", encoding="utf-8")
    for spec in (f"zones={bad}", f"x={tmp_path / 'missing.gpkg'}", f"坏={bad}", "nofile"):
        r = subprocess.run([gis_command(), "serve", "--port", str(free_port()), "--data", str(tmp_path / "d"),
                            "--layer", spec], capture_output=True, text=True, timeout=120)
        assert r.returncode == 2, (spec, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr


def tiles_drawn(pg, name: str) -> None:
    """Wait until a tiled layer has drawn the tiles in view (state the page sets)."""
    pg.wait_for_selector(f'[data-tiled-layer="{name}"][data-loading="0"]:not([data-drawn="0"])', state="attached",
                         timeout=120_000)


def click_at(pg, lon: float, lat: float) -> None:
    xy = pg.evaluate("""([y, x]) => { const pt = window.gisWorkbench.map.latLngToContainerPoint([y, x]);
        const box = document.getElementById('gis-map').getBoundingClientRect();
        return [pt.x + box.left, pt.y + box.top]; }""", [lat, lon])
    pg.mouse.click(*xy)


def test_big_layer_is_drawn_from_tiles_and_a_click_shows_its_attributes_and_area(browser, tiled, big_layer, tmp_path):
    gdf, _ = big_layer
    p = Page(browser, tiled.url)
    try:
        pg = p.open()
        tiles_drawn(pg, "地类图斑")
        assert "20,000 个要素" in pg.inner_text('[data-tiled-layer="地类图斑"]')
        assert "示意" in pg.inner_text("#gis-map .gis-note")
        row = 4321
        point = gdf.geometry.iloc[row].representative_point()
        ms = pg.evaluate("([y, x]) => window.gisWorkbench.redraw((m) => m.setView([y, x], 16, {animate: false}))",
                         [point.y, point.x])
        assert ms >= 0
        tiles_drawn(pg, "地类图斑")
        painted = pg.evaluate("""() => { const t = window.gisWorkbench.tiled['地类图斑'].layer;
            return Object.values(t._tiles).filter((x) => x.el.width > 0).length; }""")
        assert painted >= 4
        click_at(pg, point.x, point.y)
        popup = pg.wait_for_selector(".leaflet-popup-content .gis-tiled-popup", timeout=60_000)
        text = popup.inner_text()
        assert gdf["id"].iloc[row] in text and gdf["land_use"].iloc[row] in text and f"图斑{row}" in text
        shown_mu = float(text.split("量算面积")[1].split("亩")[0].strip().replace(",", ""))
        one = tmp_path / "one.geojson"
        gdf.iloc[[row]].to_file(one, driver="GeoJSON")
        assert shown_mu == pytest.approx(gis_area_mu(one), abs=0.005)
        assert pg.evaluate("() => window.gisWorkbench.map.hasLayer(window.gisWorkbench.tiled['地类图斑'].layer)")
        # a parcel whose name is hostile: shown as text
        hostile = gdf.geometry.iloc[HOSTILE_ROW].representative_point()
        pg.evaluate("([y, x]) => window.gisWorkbench.redraw((m) => m.setView([y, x], 16, {animate: false}))",
                    [hostile.y, hostile.x])
        click_at(pg, hostile.x, hostile.y)
        pg.wait_for_selector(f".gis-tiled-popup :text('{gdf['id'].iloc[HOSTILE_ROW]}')", timeout=60_000)
        assert HOSTILE in pg.locator(".gis-tiled-popup", has_text=gdf["id"].iloc[HOSTILE_ROW]).inner_text()
        assert pg.locator(".leaflet-popup-content img").count() == 0 and pg.get_attribute("body", "data-pwned") is None
        assert not p.errors, p.errors
        assert not p.outside
    finally:
        p.close()


def test_an_upload_above_the_threshold_is_drawn_from_its_tiles(browser, tiled, tmp_path):
    from gis.server.tiling import TILED_UPLOAD_ABOVE
    from gis.synthetic import parcels

    sites = parcels(TILED_UPLOAD_ABOVE + 100, origin=(120.95, 27.95), cell_m=(60.0, 50.0), seed=9)
    path = tmp_path / "many.geojson"
    sites.to_file(path, driver="GeoJSON")
    p = Page(browser, tiled.url)
    try:
        pg = p.open()
        before = p.count()
        pg.set_input_files("#gis-file", str(path))
        pg.click("#gis-upload button[type=submit]")
        p.shown(before, sites=len(sites), timeout=300_000)
        name = pg.evaluate("() => Object.keys(window.gisWorkbench.tiled).find((n) => n.startsWith('upload-'))")
        assert name
        tiles_drawn(pg, name)
        assert pg.evaluate("() => window.gisWorkbench.drawn.getLayers().length") == 0  # not one element each
        assert f"{len(sites):,} 个要素" in pg.inner_text(f'[data-tiled-layer="{name}"]')
        row = 2500
        point = sites.geometry.iloc[row].representative_point()
        pg.evaluate("([y, x]) => window.gisWorkbench.redraw((m) => m.setView([y, x], 16, {animate: false}))",
                    [point.y, point.x])
        click_at(pg, point.x, point.y)
        popup = pg.wait_for_selector(f".gis-tiled-popup[data-layer='{name}']", timeout=60_000)
        assert sites["id"].iloc[row] in popup.inner_text() and "亩" in popup.inner_text()
        assert not p.errors, p.errors
    finally:
        p.close()
    with tiled.client() as c:
        assert c.get(f"/api/tiles/{name}.json").json()["features"] == len(sites)
    assert (tiled.data / "tiles" / f"{name}.parquet").exists()


def test_tiles_need_a_session_once_accounts_exist(guarded):
    for path in ("/api/tiles/zones.json", "/api/tiles/zones/10/855/428.pbf", "/api/tiles/zones/at?lon=120.8&lat=27.9"):
        r = httpx.get(guarded.url + path)
        assert r.status_code == 401 and r.json()["error"] == "请先登录", path
    with guarded.client() as c:
        c.post("/api/login", json={"name": "planner", "password": "correct horse 电池"}).raise_for_status()
        assert c.get("/api/tiles/zones.json").json()["name"] == "zones"
        assert c.get("/api/tiles/zones/10/855/428.pbf").status_code in (200, 204)

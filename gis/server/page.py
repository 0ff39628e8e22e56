"""The workbench page: one HTML document with Leaflet, leaflet-geoman, protomaps-leaflet and the workbench's script.

Leaflet comes from the installed ``django-js-lib-leaflet`` package, leaflet-geoman
(``@geoman-io/leaflet-geoman-free``) and the vector-tile layer (``protomaps-leaflet``,
which paints Mapbox Vector Tiles on canvas tiles) from npm, installed by the README's set-up
beside the measuring tool; nothing is fetched from the internet, so the page
works with the network closed. Everything the server sends reaches the page
through ``textContent``; the only markup is this file's.
"""

from __future__ import annotations

import html
import os
import sys
from importlib import resources
from pathlib import Path

from gis.errors import InputError
from gis.mapdef import SCHEMATIC_NOTE

#: The drawing tool: npm package and version the set-up installs (see README).
GEOMAN_PACKAGE = "@geoman-io/leaflet-geoman-free@2.20.2"
#: The vector-tile layer: npm package and version the set-up installs (see README).
TILES_PACKAGE = "protomaps-leaflet@5.1.0"


def _js_prefixes() -> list[Path]:
    return [Path(p) for p in (os.environ.get("GIS_JS_PREFIX"), str(Path(sys.prefix) / "share" / "gis"), ".") if p]


def geoman_folder() -> Path | None:
    """Return the installed leaflet-geoman ``dist`` folder, or ``None``."""
    for prefix in _js_prefixes():
        dist = prefix / "node_modules" / "@geoman-io" / "leaflet-geoman-free" / "dist"
        if (dist / "leaflet-geoman.min.js").is_file():
            return dist
    return None


def tiles_script() -> Path | None:
    """Return the installed protomaps-leaflet script (``dist/protomaps-leaflet.js``, ``protomapsL``), or ``None``."""
    for prefix in _js_prefixes():
        script = prefix / "node_modules" / "protomaps-leaflet" / "dist" / "protomaps-leaflet.js"
        if script.is_file():
            return script
    return None


def _static(name: str) -> str:
    return (resources.files("gis.server") / "static" / name).read_text(encoding="utf-8")


def _script(text: str) -> str:
    return "<script>" + text.replace("</script", "<\\/script") + "</script>"


def workbench_page() -> str:
    """Return the workbench page.

    Raises
    ------
    InputError
        If leaflet-geoman or protomaps-leaflet is not installed (the README's npm line installs them).
    """
    from gis.maps import _leaflet_assets

    dist = geoman_folder()
    if dist is None:
        raise InputError(f"the drawing tool ({GEOMAN_PACKAGE}, npm) is not installed: run the README's npm line")
    tiles = tiles_script()
    if tiles is None:
        raise InputError(f"the vector-tile layer ({TILES_PACKAGE}, npm) is not installed: run the README's npm line")
    leaflet_js, leaflet_css = _leaflet_assets()
    geoman_js = (dist / "leaflet-geoman.min.js").read_text(encoding="utf-8")
    geoman_css = (dist / "leaflet-geoman.css").read_text(encoding="utf-8")
    crs_options = [("", "自动（取文件自带的坐标系）"), ("EPSG:4490", "CGCS2000 经纬度（EPSG:4490）"),
                   ("EPSG:4326", "WGS84 经纬度（EPSG:4326）"), ("EPSG:4528", "CGCS2000 3°带 40 带（EPSG:4528，带号）"),
                   ("EPSG:4549", "CGCS2000 3°带 中央经线120°（EPSG:4549）"), ("gcj02", "高德/腾讯坐标（GCJ-02）"),
                   ("bd09", "百度坐标（BD-09）")]
    encodings = [("", "自动识别"), ("GBK", "GBK"), ("GB18030", "GB18030"), ("UTF-8", "UTF-8")]
    options = "".join(f'<option value="{html.escape(v)}">{html.escape(t)}</option>' for v, t in crs_options)
    enc = "".join(f'<option value="{html.escape(v)}">{html.escape(t)}</option>' for v, t in encodings)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>温州产业平台规划工作台</title>
<style>{leaflet_css}</style><style>{geoman_css}</style><style>{_static("workbench.css")}</style>
</head><body>
<header><h1>温州产业平台规划工作台（示意）</h1>
<label>方案 <select id="gis-scheme" aria-label="布局方案"></select></label>
<input id="gis-search" type="search" placeholder="搜索园区、分区、项目…" aria-label="搜索">
<span class="gis-spacer"></span><span id="gis-user"></span>
<button id="gis-logout" type="button" hidden>退出</button></header>
<main><aside>
<ul id="gis-search-results"></ul>
<h2 id="gis-scheme-title"></h2>
<h2>选址分析</h2>
<p class="gis-hint">用地图左侧的工具绘制面、线或点；或上传文件：</p>
<form id="gis-upload" class="gis-row">
<input id="gis-file" class="gis-visually-hidden" type="file" accept=".zip,.geojson,.json,.kml,.gpkg,.csv,.xlsx,.fgb"
 aria-label="选址文件"><label for="gis-file" class="gis-file-button">选择文件</label>
<span id="gis-file-name" class="gis-hint">未选择文件（zip 压缩的 Shapefile、GeoJSON、KML、GeoPackage、
CSV/XLSX 坐标表）</span>
<label>坐标系 <select id="gis-crs">{options}</select></label>
<label>编码 <select id="gis-encoding">{enc}</select></label>
<button type="submit">上传并分析</button></form>
<div class="gis-row">下载：
<button type="button" data-download="xlsx">分析表（XLSX）</button>
<button type="button" data-download="pdf" id="gis-pdf" hidden>预审报告（PDF）</button>
<button type="button" data-download="geojson">GeoJSON</button>
<button type="button" data-download="gpkg">GeoPackage</button></div>
<div id="gis-result"></div>
<h2>项目库</h2>
<div class="gis-row"><input id="gis-site-name" placeholder="选址名称" aria-label="选址名称">
<button id="gis-save" type="button">保存到项目库</button>
<button id="gis-compare-button" type="button">比较勾选的两处</button></div>
<ul id="gis-sites"></ul>
<div id="gis-compare"></div>
</aside>
<div id="gis-map"><div class="gis-note">{html.escape(SCHEMATIC_NOTE)}</div><div id="gis-legend"></div>
<div id="gis-tiles" hidden></div></div>
</main>
<div id="gis-status" class="gis-status" role="status" aria-live="polite"></div>
<div id="gis-login" hidden><form id="gis-login-form"><h2>登录</h2>
<label for="gis-login-name">用户名</label><input id="gis-login-name" autocomplete="username">
<label for="gis-login-password">密码</label><input id="gis-login-password" type="password"
 autocomplete="current-password">
<p id="gis-login-error"></p><button type="submit">登录</button></form></div>
{_script(leaflet_js)}{_script(geoman_js)}{_script(tiles.read_text(encoding="utf-8"))}{_script(_static("workbench.js"))}
</body></html>
"""


def docs_page(text: str) -> str:
    """Return the API documentation page: the application module's route table, as preformatted text."""
    return ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>工作台 API</title>'
            "<style>body{font:14px sans-serif;margin:2em;max-width:72em}pre{white-space:pre-wrap}</style></head>"
            f"<body><h1>温州产业平台规划工作台 · HTTP API</h1><pre>{html.escape(text)}</pre></body></html>")

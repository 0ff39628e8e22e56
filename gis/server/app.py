"""The workbench's HTTP application (Starlette): a thin layer over the toolkit's API.

Routes (JSON unless said; the page uses only these, and ``/docs`` lists them):

==========================================  =====================================================
``GET /``                                   the workbench page (or the OGC API landing page as JSON)
``GET /maps/{name}.html``                   a plan map of ``maps/`` (the same page as ``gis map``)
``GET /api/health``                         ``{"status": "ok", …, "tiles": {"warming"}}`` — open to all
``GET /api/session``                        ``{"user", "csrf_token", "accounts", "profile"}``
``POST /api/login`` · ``POST /api/logout``  ``{"name", "password"}``; sets / clears the session cookie
``GET /api/maps``                           the map definitions (schemes, layers, classes, styles)
``GET /api/layers`` · ``/api/layers/{n}``    the shipped layers (and ``--layer`` ones, ``"big": true``);
                                            one shipped layer as GeoJSON with measured areas
``GET /api/tiles/{layer}.json``             TileJSON of a layer's vector tiles: bounds, zooms, fields,
                                            the zoom from which features are drawn as themselves
``GET /api/tiles/{layer}/{z}/{x}/{y}.pbf``  a Mapbox Vector Tile (layers ``features`` and ``cells``);
                                            204 when empty; any shipped, ``--layer`` or tiled upload
``GET /api/tiles/{layer}/at?lon=&lat=&z=``  the feature under a point: attributes, 亩 measured
                                            (CGCS2000 ellipsoid), its geometry; 404 if none
``POST /api/analyse``                       GeoJSON FeatureCollection, or multipart ``file`` (+ ``crs``,
                                            ``encoding``) → ``{"sites": [...]}``; an upload of more than
                                            5 000 features adds ``"tiles": {"layer": "upload-…"}``
``POST /api/export/{fmt}``                  sites → ``xlsx``, ``pdf`` (review), ``geojson``, ``gpkg``
``GET/POST /api/sites``                     the 项目库: list; save ``{"name", "geometry"}``
``GET/PATCH/DELETE /api/sites/{id}``        one saved site; rename ``{"name"}``; delete
``GET /api/sites/{id}/export/{fmt}``        a saved site's files
``GET /api/compare?a=&b=``                  two saved sites side by side
``GET /api/audit``                          the audit log (newest last)
``GET /collections`` …                      OGC API – Features (layers and saved sites)
==========================================  =====================================================

Security: once any account exists, every call but health, session and login
needs a session (or, to read, HTTP Basic credentials, for OGC clients such as
QGIS), and every writing request the CSRF token in ``X-CSRF-Token``. Logins are
kept by the store: logout, removing the account or a new password ends them. CPU-bound work runs
in a process pool, so one long analysis does not stall other planners. Every
analysis, save, rename, delete, export and login is written to the audit log.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from gis import __version__
from gis.errors import CRSError, DataSourceError, FieldError, GeometryError, GisError
from gis.server import analysis
from gis.server.auth import (
    COOKIE,
    FAILURE_DELAY_S,
    Session,
    Sessions,
    locked_out,
    verify_password,
)
from gis.server.store import Store
from gis.server.tiling import TileService

log = logging.getLogger("gis.serve")

#: Largest request body the workbench takes (an upload): 50 MB.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
#: Paths open to everyone, accounts or not.
OPEN_PATHS = {"/api/health", "/api/session", "/api/login", "/api/logout", "/", "/docs"}
_WRITING = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class ServerConfig:
    """How a workbench server runs (``gis serve`` options)."""

    data: Path = Path("gis-data")
    store: str | None = None
    profile: Path | None = None
    workers: int = 2
    secure_cookies: bool = False
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    #: Listening beyond loopback: then the server answers nothing but health while no account exists.
    public: bool = False
    layers: dict[str, str] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


class HTTPProblem(Exception):
    """An answer other than 200 with a one-line Chinese message for the page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def chinese_message(exc: GisError) -> tuple[int, str]:
    """Turn a toolkit error into a status and a one-line Chinese message (the technical detail after it)."""
    text = str(exc).replace("`crs`", "“坐标系”").replace("`encoding`", "“编码”").replace("`layer`", "“图层”")
    lower = text.lower()
    if "swapped" in lower:
        head = "经纬度似乎颠倒（x 应为经度）"
    elif "no crs" in lower:
        head = "文件没有坐标系，请在“坐标系”中选择"
    elif "cannot be in" in lower or "is in degrees but" in lower:
        head = "坐标与所选坐标系不符"
    elif "vertices" in lower:
        head = "顶点过多"
    elif "zip" in lower:
        head = "压缩包无法使用"
    elif isinstance(exc, CRSError):
        head = "坐标系无法确定"
    elif isinstance(exc, DataSourceError):
        head = "文件无法读取"
    elif isinstance(exc, GeometryError):
        head = "几何图形无效"
    elif isinstance(exc, FieldError):
        head = "字段有误"
    elif "not a file the workbench reads" in lower or "not a geojson" in lower or "several files" in lower:
        head = "不是可识别的空间数据文件"
    else:
        head = "输入有误"
    one_line = " ".join(text.split())
    return (413 if "vertices" in lower else 422), f"{head}：{one_line}"


def _json_body(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise HTTPProblem(400, "请求内容不是有效的 JSON") from None


class Workbench:
    """The server's state: configuration, store, sessions, worker pool, caches."""

    def __init__(self, config: ServerConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.sessions = Sessions(store.session_secret())
        self.profile = str(config.profile) if config.profile else None
        self.profile_title = None
        if self.profile:
            from gis.review import load_profile

            self.profile_title = load_profile(self.profile).title
        self.pool: ProcessPoolExecutor | None = None
        self.tiles = TileService(config.layers, Path(config.data) / "tiles")
        self._accounts: tuple[float, bool] = (0.0, False)
        self._cache: dict[str, bytes] = {}

    # --- lifecycle -----------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the analysis processes and warm them (layers and rules loaded once); start the tile worker.

        The tile worker reads the ``--layer`` files before the server answers.
        """
        self.pool = ProcessPoolExecutor(max_workers=max(1, self.config.workers), mp_context=get_context("spawn"))
        await asyncio.gather(asyncio.to_thread(self.prime), self.tiles.start(),
                             *(self.run(analysis.warm) for _ in range(max(1, self.config.workers))))

    def prime(self) -> None:
        """Build the page and the shipped layers' GeoJSON once, so that the first planner waits no longer."""
        from gis.layers import list_layers
        from gis.server.page import workbench_page

        self._cache["page"] = workbench_page().encode("utf-8")
        for name in list_layers():
            self._cache[f"layer:{name}"] = _layer_geojson(name)

    async def stop(self) -> None:
        """Stop the analysis processes."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.tiles.stop()

    async def run(self, func, *args, **kwargs):
        """Run CPU-bound work in the process pool, off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, partial(func, *args, **kwargs))

    async def db(self, func, *args):
        """Run a store call in a thread (SQLite and psycopg block)."""
        return await asyncio.to_thread(func, *args)

    def accounts(self) -> bool:
        """Whether accounts exist (cached for two seconds: ``gis user add`` takes effect at once enough)."""
        checked, value = self._accounts
        if time.monotonic() - checked > 2:
            value = self.store.has_users()
            self._accounts = (time.monotonic(), value)
        return value


# --- requests and answers -------------------------------------------------------------------------------------

def _bench(request: Request) -> Workbench:
    return request.app.state.workbench


def _user(request: Request) -> str | None:
    return request.state.session.user if getattr(request.state, "session", None) else None


def _client(request: Request) -> str:
    """Return the client's address.

    Behind a trusted proxy (``gis serve --forwarded``) uvicorn has already taken it
    from ``X-Forwarded-For``; the header itself is never read here, so no client
    can choose its own address (and escape its lockout, or forge the audit log).
    """
    return request.client.host if request.client else "?"


async def _audit(request: Request, action: str, target: str | None, result: str, detail: dict | None = None) -> None:
    bench = _bench(request)
    await bench.db(bench.store.audit, _user(request) or "（匿名）", action, target, result,
                   {**(detail or {}), "client": _client(request)})


async def health(request: Request) -> Response:
    """``GET /api/health``: the server answers (open to everyone)."""
    bench = _bench(request)
    return JSONResponse({"status": "ok", "version": __version__, "store": bench.store.description,
                         "profile": bench.profile_title, "accounts": bench.accounts(),
                         "tiles": {"layers": len(bench.tiles.layers), "warming": bench.tiles.warming}})


async def session_info(request: Request) -> Response:
    """``GET /api/session``: who is logged in, the CSRF token, whether accounts exist."""
    bench = _bench(request)
    s = request.state.session
    return JSONResponse({"user": s.user, "csrf_token": s.csrf, "accounts": bench.accounts(),
                         "profile": bench.profile_title})


async def login(request: Request) -> Response:
    """``POST /api/login``: check name and password (with delay and lockout), start a session."""
    bench = _bench(request)
    body = _json_body(await request.body())
    name, password = (body.get("name"), body.get("password")) if isinstance(body, dict) else (None, None)
    if not isinstance(name, str) or not isinstance(password, str) or not name:
        raise HTTPProblem(400, "请填写用户名和密码")
    client = _client(request)
    if await bench.db(locked_out, bench.store, name, client):
        await _audit(request, "login", name, "locked")
        raise HTTPProblem(429, "登录失败次数过多，请 15 分钟后再试")
    stored = await bench.db(bench.store.password_hash, name)
    ok = await asyncio.to_thread(verify_password, password, stored)
    if not ok:
        await bench.db(bench.store.record_failure, name, client, time.time())
        await _audit(request, "login", name, "failed")
        await asyncio.sleep(FAILURE_DELAY_S)
        raise HTTPProblem(401, "用户名或密码错误")
    await bench.db(bench.store.clear_failures, name)
    request.state.session = bench.sessions.new(name)  # a new session and a new CSRF token at login
    now = time.time()
    await bench.db(partial(bench.store.end_session, "", expired_before=now - bench.sessions.max_age))
    await bench.db(bench.store.add_session, request.state.session.sid, name, now)
    await _audit(request, "login", name, "ok")
    return JSONResponse({"user": name, "csrf_token": request.state.session.csrf})


async def logout(request: Request) -> Response:
    """``POST /api/logout``: end the session."""
    bench = _bench(request)
    user = _user(request)
    if user:
        await _audit(request, "logout", user, "ok")
        await bench.db(bench.store.end_session, request.state.session.sid)  # the cookie is worth nothing after
    request.state.session = bench.sessions.new(None)
    return JSONResponse({"user": None, "csrf_token": request.state.session.csrf})


async def maps_index(request: Request) -> Response:
    """``GET /api/maps``: the map definitions, as the page draws them."""
    from gis.mapdef import BACKGROUND, load_definitions

    out = []
    for d in load_definitions():
        out.append({"name": d.name, "title": d.title, "source": d.source,
                    "view": {"center": list(d.view.center), "zoom": d.view.zoom},
                    "layers": [{"name": layer.name, "source": layer.source, "kind": layer.kind,
                                "class_field": layer.class_field, "where": dict(layer.where), "label": layer.label,
                                "classes": [{"value": c.value, "colour": c.colour, "label": c.label}
                                            for c in layer.classes],
                                "weight": layer.weight, "fill_opacity": layer.opacity, "dash": dict(layer.dash)}
                               for layer in d.layers if layer.is_shipped()]})
    bg = BACKGROUND
    return JSONResponse({"maps": out, "background": {"land": bg.land_style, "districts": bg.district_style,
                                                     "sea": bg.sea}})


def _layer_geojson(name: str) -> bytes:
    from gis.geometry import polygon_area
    from gis.io import geojson_text
    from gis.layers import read_layer
    from gis.mapdef import band
    from gis.units import from_square_metres, round_half_up_each

    gdf = read_layer(name)
    polygonal = gdf.geom_type.isin(["Polygon", "MultiPolygon"])
    if polygonal.any() and "area_mu" not in gdf.columns:
        m2 = polygon_area(gdf.geometry.values)
        gdf["measured_mu"] = [float(v) if p else None for v, p in zip(
            round_half_up_each(from_square_metres(m2, "mu"), 2), polygonal, strict=True)]
        gdf["measured_km2"] = [float(v) if p else None for v, p in zip(
            round_half_up_each(from_square_metres(m2, "km2"), 4), polygonal, strict=True)]
    if name == "corridors":  # belts are drawn as bands of their width: ship the band with the line
        bands = band(gdf[gdf["role"] == "两带"]) if "role" in gdf.columns else gdf.iloc[:0]
        gdf["band"] = None
        for idx, geom in zip(bands.index, bands.geometry, strict=True):
            gdf.at[idx, "band"] = json.dumps(shapely_mapping(geom))
    return geojson_text(gdf, name=name).encode("utf-8")


def shapely_mapping(geom) -> dict:
    """GeoJSON of a geometry, coordinates rounded to 6 decimals."""
    import shapely

    return shapely.geometry.mapping(shapely.set_precision(geom, 1e-6))


async def layers_index(request: Request) -> Response:
    """``GET /api/layers``: the shipped layers and their sizes."""
    from gis.layers import layer_summary

    bench = _bench(request)
    rows = await asyncio.to_thread(layer_summary)
    out = [{"name": r["layer"], "href": f"/api/layers/{r['layer']}", "tiles": f"/api/tiles/{r['layer']}.json",
            **{k: v for k, v in r.items() if k != "layer"}} for r in rows]
    for name in bench.tiles.layers:
        meta = await bench.tiles.metadata(name)
        out.append({"name": name, "big": True, "features": meta["features"], "tiles": f"/api/tiles/{name}.json"})
    return JSONResponse({"layers": out})


async def layer(request: Request) -> Response:
    """``GET /api/layers/{name}``: one shipped layer as GeoJSON, with measured areas."""
    from gis.layers import is_shipped_layer

    name = request.path_params["name"]
    bench = _bench(request)
    if name in bench.tiles.layers:
        raise HTTPProblem(413, f"图层 {name} 要素过多，不以 GeoJSON 提供：请用矢量切片 /api/tiles/{name}.json")
    if not is_shipped_layer(name):
        raise HTTPProblem(404, f"没有图层 {name}")
    key = f"layer:{name}"
    if key not in bench._cache:
        bench._cache[key] = await asyncio.to_thread(_layer_geojson, name)
    return Response(bench._cache[key], media_type="application/geo+json")


def _tiled(request: Request) -> str:
    name = request.path_params["layer"]
    if not _bench(request).tiles.knows(name):
        raise HTTPProblem(404, f"没有可切片的图层 {name}（上传的图层保留 2 小时，过期请重新上传）")
    return name


async def tilejson(request: Request) -> Response:
    """``GET /api/tiles/{layer}.json``: a layer's TileJSON (bounds, zooms, fields, where features are summarised)."""
    name = _tiled(request)
    meta = await _bench(request).tiles.metadata(name)
    base = str(request.base_url).rstrip("/")
    from urllib.parse import quote

    meta["tiles"] = [f"{base}/api/tiles/{quote(name)}/{{z}}/{{x}}/{{y}}.pbf"]
    return JSONResponse(meta)


async def vector_tile(request: Request) -> Response:
    """``GET /api/tiles/{layer}/{z}/{x}/{y}.pbf``: one Mapbox Vector Tile; 204 when nothing is there."""
    from gis.tiles import check_tile

    name = _tiled(request)
    z, x, y = (request.path_params[k] for k in ("z", "x", "y"))
    try:
        check_tile(z, x, y)
    except GisError as exc:
        raise HTTPProblem(400, f"切片编号无效：{exc}") from None
    data = await _bench(request).tiles.tile(name, z, x, y)
    headers = {"Cache-Control": "private, max-age=300"}
    if not data:
        return Response(status_code=204, headers=headers)
    return Response(data, media_type="application/vnd.mapbox-vector-tile", headers=headers)


def _number(request: Request, key: str, low: float, high: float) -> float:
    import math

    text = request.query_params.get(key, "")
    try:
        value = float(text)
    except ValueError:
        raise HTTPProblem(400, f"参数 {key} 应为数字（收到 {text[:40]!r}）") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise HTTPProblem(400, f"参数 {key} 应在 {low:g} 与 {high:g} 之间")
    return value


async def tile_feature(request: Request) -> Response:
    """``GET /api/tiles/{layer}/at?lon=&lat=&z=``: the feature under a point, with its measured area."""
    name = _tiled(request)
    lon = _number(request, "lon", -180, 180)
    lat = _number(request, "lat", -85.06, 85.06)
    z = int(_number(request, "z", 0, 30)) if "z" in request.query_params else 16
    found = await _bench(request).tiles.feature_at(name, lon, lat, z)
    if found is None:
        raise HTTPProblem(404, "此处没有要素")
    return JSONResponse(found)


async def _read_body(request: Request) -> bytes:
    limit = _bench(request).config.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPProblem(413, f"文件过大：上限 {limit // 1024 // 1024} MB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPProblem(413, f"文件过大：上限 {limit // 1024 // 1024} MB")
        chunks.append(chunk)
    return b"".join(chunks)


async def _sites_from_request(request: Request) -> tuple[str, tuple]:
    """Return how to analyse the request's sites: (kind, arguments) for the worker."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        limit = _bench(request).config.max_upload_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
            raise HTTPProblem(413, f"文件过大：上限 {limit // 1024 // 1024} MB")
        try:
            form = await request.form(max_files=1, max_fields=10, max_part_size=limit)
        except Exception as exc:  # python-multipart's own errors: a malformed or too large form
            text = str(exc)
            if "size" in text.lower() or "large" in text.lower():
                raise HTTPProblem(413, f"文件过大：上限 {limit // 1024 // 1024} MB") from None
            raise HTTPProblem(400, "上传的表单无法读取") from None
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPProblem(400, "请选择要上传的文件（表单字段 file）")
        data = await upload.read()
        if len(data) > limit:
            raise HTTPProblem(413, f"文件过大：上限 {limit // 1024 // 1024} MB")
        if not data:
            raise HTTPProblem(400, "上传的文件是空的")
        crs = form.get("crs") or None
        encoding = form.get("encoding") or None
        return "upload", (upload.filename or "upload", data, crs if isinstance(crs, str) else None,
                          encoding if isinstance(encoding, str) else None)
    return "geojson", (_json_body(await _read_body(request)),)


async def analyse(request: Request) -> Response:
    """``POST /api/analyse``: analyse drawn sites (GeoJSON) or an uploaded file (multipart)."""
    bench = _bench(request)
    kind, args = await _sites_from_request(request)
    target = args[0] if kind == "upload" else "drawn sites"
    try:
        body, count, ids = await bench.run(analysis.analyse_json, kind, args, bench.profile,
                                           tiles_dir=str(bench.tiles.folder))
    except GisError as exc:
        await _audit(request, "analyse", target, "refused", {"reason": str(exc)[:300]})
        raise
    await _audit(request, "analyse", target, "ok", {"sites": count, "ids": ids})
    return Response(body, media_type="application/json")


_FORMATS = {"xlsx", "pdf", "geojson", "gpkg"}


def _download(content: bytes, media: str, filename: str) -> Response:
    from urllib.parse import quote

    return Response(content, media_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"site.{filename.rsplit('.', 1)[-1]}\"; "
                               f"filename*=UTF-8''{quote(filename)}"})


async def export(request: Request) -> Response:
    """``POST /api/export/{fmt}``: the analysis of sites as a file."""
    fmt = request.path_params["fmt"]
    if fmt not in _FORMATS:
        raise HTTPProblem(404, f"没有这种下载格式：{fmt}")
    collection = _json_body(await _read_body(request))
    bench = _bench(request)
    content, media, filename = await bench.run(analysis.export_result, collection, fmt, bench.profile)
    await _audit(request, "export", fmt, "ok")
    return _download(content, media, filename)


async def sites_list(request: Request) -> Response:
    """``GET /api/sites``: the 项目库."""
    bench = _bench(request)
    return JSONResponse({"sites": [s.as_dict(full=False) for s in await bench.db(bench.store.sites)]})


def _site_name(body: Any) -> str:
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise HTTPProblem(422, "请为选址填写名称（1–200 字）")
    return name.strip()


async def site_save(request: Request) -> Response:
    """``POST /api/sites``: analyse and save a site with a name."""
    bench = _bench(request)
    body = _json_body(await _read_body(request))
    name = _site_name(body)
    geometry = body.get("geometry")
    result = await bench.run(analysis.analyse_collection, geometry, bench.profile)
    result.pop("geojson", None)  # the geometry is kept as given
    print(f"gis serve: saving site {name!r}", file=sys.stderr, flush=True)  # the kill test waits on this line
    site = await bench.db(bench.store.add_site, name, _user(request) or "（匿名）", geometry, result,
                          {"client": _client(request)})  # the site and its audit entry in one transaction
    return JSONResponse(site.as_dict(), status_code=201)


async def _site_or_404(request: Request):
    bench = _bench(request)
    try:
        ident = int(request.path_params["ident"])
    except ValueError:
        raise HTTPProblem(404, "没有这个选址") from None
    site = await bench.db(bench.store.site, ident)
    if site is None:
        raise HTTPProblem(404, "没有这个选址")
    return site


async def site_one(request: Request) -> Response:
    """``GET/PATCH/DELETE /api/sites/{id}``: one saved site; rename; delete."""
    bench = _bench(request)
    if request.method == "GET":
        return JSONResponse((await _site_or_404(request)).as_dict())
    site = await _site_or_404(request)
    if request.method == "PATCH":
        name = _site_name(_json_body(await _read_body(request)))
        renamed = await bench.db(bench.store.rename_site, site.id, name, _user(request) or "（匿名）",
                                 {"client": _client(request)})
        if renamed is None:
            raise HTTPProblem(404, "没有这个选址")
        return JSONResponse(renamed.as_dict())
    if not await bench.db(bench.store.delete_site, site.id, _user(request) or "（匿名）", {"client": _client(request)}):
        raise HTTPProblem(404, "没有这个选址")
    return JSONResponse({"deleted": site.id})


async def site_export(request: Request) -> Response:
    """``GET /api/sites/{id}/export/{fmt}``: a saved site as a file."""
    fmt = request.path_params["fmt"]
    if fmt not in _FORMATS:
        raise HTTPProblem(404, f"没有这种下载格式：{fmt}")
    site = await _site_or_404(request)
    bench = _bench(request)
    content, media, filename = await bench.run(analysis.export_result, site.geometry, fmt, bench.profile)
    await _audit(request, "export", f"site {site.id}", "ok", {"format": fmt})
    return _download(content, media, filename.replace("选址", site.name[:40] or "选址", 1))


async def compare(request: Request) -> Response:
    """``GET /api/compare?a=&b=``: two saved sites side by side."""
    bench = _bench(request)
    out = []
    for key in ("a", "b"):
        value = request.query_params.get(key, "")
        site = await bench.db(bench.store.site, int(value)) if value.isdigit() else None
        if site is None:
            raise HTTPProblem(404, f"没有编号为 {value} 的选址")
        out.append(site)
    rows = []
    analyses = [s.analysis or {"sites": []} for s in out]
    totals = [sum(x["area_mu"] or 0 for x in a["sites"]) for a in analyses]
    rows.append({"item": "面积（亩）", "a": round(totals[0], 2), "b": round(totals[1], 2)})
    layers: dict[str, list[float]] = {}
    for k, a in enumerate(analyses):
        for site in a["sites"]:
            for o in site["overlaps"]:
                key = f"{o['layer_name']}：{o['name']}"
                layers.setdefault(key, [0.0, 0.0])[k] += o["overlap_mu"] or 0
    rows.extend({"item": f"占用 {k}（亩）", "a": round(v[0], 2), "b": round(v[1], 2)}
                for k, v in sorted(layers.items()))
    verdicts: dict[str, list[str]] = {}
    for k, a in enumerate(analyses):
        for site in a["sites"]:
            for c in site.get("constraints", []):
                verdicts.setdefault(c["name"], ["—", "—"])[k] = c["verdict"]
            for r in site.get("rules", []):
                verdicts.setdefault(f"规则 {r['rule']}", ["—", "—"])[k] = r["verdict"]
    rows.extend({"item": k, "a": v[0], "b": v[1]} for k, v in verdicts.items())
    return JSONResponse({"a": out[0].as_dict(full=False), "b": out[1].as_dict(full=False), "rows": rows})


async def audit_log(request: Request) -> Response:
    """``GET /api/audit``: the audit log."""
    bench = _bench(request)
    limit = request.query_params.get("limit", "200")
    return JSONResponse({"audit": await bench.db(bench.store.audit_log, int(limit) if limit.isdigit() else 200)})


async def plan_map(request: Request) -> Response:
    """``GET /maps/{name}.html``: a plan map page."""
    from gis.mapdef import list_maps
    from gis.maps import render_map

    name = request.path_params["name"]
    if name not in list_maps():
        raise HTTPProblem(404, f"没有地图 {name}")
    bench = _bench(request)
    key = f"map:{name}"
    if key not in bench._cache:
        bench._cache[key] = (await asyncio.to_thread(render_map, name)).encode("utf-8")
    return HTMLResponse(bench._cache[key])


async def index(request: Request) -> Response:
    """``GET /``: the workbench page, or the OGC API landing page for a JSON client."""
    from gis.server import ogc
    from gis.server.page import workbench_page

    if ogc.wants_json(request):
        return JSONResponse(ogc.landing(request))
    bench = _bench(request)
    if "page" not in bench._cache:
        bench._cache["page"] = (await asyncio.to_thread(workbench_page)).encode("utf-8")
    return HTMLResponse(bench._cache["page"])


async def docs(request: Request) -> Response:
    """``GET /docs``: the API documentation."""
    from gis.server.page import docs_page

    return HTMLResponse(docs_page(__doc__))


# --- middleware: sessions, accounts, CSRF, errors, headers ------------------------------------------------------

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' "
                               "'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors "
                               "'self'; form-action 'self'; base-uri 'none'",
}


def _basic_user(request: Request, bench: Workbench) -> str | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        name, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    client = _client(request)
    if locked_out(bench.store, name, client):
        return None
    if verify_password(password, bench.store.password_hash(name)):
        return name
    bench.store.record_failure(name, client, time.time())
    return None


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def build_app(bench: Workbench) -> Starlette:
    """Return the ASGI application of a :class:`Workbench`."""
    from gis.server import ogc

    routes = [
        Route("/", index), Route("/docs", docs), Route("/maps/{name}.html", plan_map),
        Route("/api/health", health), Route("/api/session", session_info),
        Route("/api/login", login, methods=["POST"]), Route("/api/logout", logout, methods=["POST"]),
        Route("/api/maps", maps_index), Route("/api/layers", layers_index), Route("/api/layers/{name}", layer),
        Route("/api/tiles/{layer}.json", tilejson), Route("/api/tiles/{layer}/at", tile_feature),
        Route("/api/tiles/{layer}/{z:int}/{x:int}/{y:int}.pbf", vector_tile),
        Route("/api/analyse", analyse, methods=["POST"]), Route("/api/export/{fmt}", export, methods=["POST"]),
        Route("/api/sites", sites_list, methods=["GET"]), Route("/api/sites", site_save, methods=["POST"]),
        Route("/api/sites/{ident}", site_one, methods=["GET", "PATCH", "DELETE"]),
        Route("/api/sites/{ident}/export/{fmt}", site_export), Route("/api/compare", compare),
        Route("/api/audit", audit_log),
        *ogc.routes(bench),
    ]

    async def lifespan(app):
        await bench.start()
        yield
        await bench.stop()

    async def problem(request: Request, exc: HTTPProblem) -> Response:
        return _problem(exc.status, exc.message)

    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: "没有这个地址", 405: "不支持这种请求方法"}
        return _problem(exc.status_code, messages.get(exc.status_code, f"请求有误（{exc.status_code}）"))

    async def toolkit_error(request: Request, exc: GisError) -> Response:
        return _problem(*chinese_message(exc))

    async def unexpected(request: Request, exc: Exception) -> Response:
        traceback.print_exception(exc, file=sys.stderr)  # the page gets one line; the log the story
        return _problem(500, "服务器内部错误，已记录；请稍后再试")

    async def guard(request: Request, call_next):
        session = bench.sessions.load(request.cookies.get(COOKIE))
        if session is not None and session.user is not None:  # a login the store still knows (not ended)
            live = await asyncio.to_thread(bench.store.session_user, session.sid,
                                           time.time() - bench.sessions.max_age)
            if live != session.user:
                session = Session(user=None, csrf=session.csrf)
        request.state.session = session or bench.sessions.new(None)
        path = request.url.path
        response = None
        if bench.config.public and not bench.accounts() and path != "/api/health":
            response = _problem(503, "工作台尚无账户，暂停服务：请管理员用 gis user add 创建账户")
        elif bench.accounts() and path not in OPEN_PATHS and not request.state.session.user:
            # HTTP Basic is for reading clients (QGIS): a browser replays it on its own, so it never writes
            user = await asyncio.to_thread(_basic_user, request, bench) if request.method in ("GET", "HEAD") else None
            if user is None:
                response = _problem(401, "请先登录")
                response.headers["WWW-Authenticate"] = 'Basic realm="gis workbench", charset="UTF-8"' \
                    if not path.startswith("/api/") else "Session"
            else:
                request.state.session = Session(user=user, csrf=request.state.session.csrf)
                request.state.basic = True
        if response is None and request.method in _WRITING and not getattr(request.state, "basic", False) \
                and not Sessions.csrf_ok(session, request.headers.get("x-csrf-token")):
            response = _problem(403, "请求缺少有效的 CSRF 令牌，请刷新页面后重试")
        if response is None:
            response = await call_next(request)
        for key, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        current = request.state.session
        changed = session is None or current.user != session.user or current.csrf != session.csrf
        if changed and not getattr(request.state, "basic", False):
            response.set_cookie(COOKIE, bench.sessions.dump(current), max_age=bench.sessions.max_age, httponly=True,
                                samesite="strict", secure=bench.config.secure_cookies, path="/")
        return response

    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(BaseHTTPMiddleware, dispatch=guard)],
                    exception_handlers={HTTPProblem: problem, StarletteHTTPException: http_error,
                                        GisError: toolkit_error, Exception: unexpected})
    app.state.workbench = bench
    return app

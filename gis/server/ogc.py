"""OGC API – Features of the workbench: the shipped layers and the saved sites as collections.

``GET /`` (as JSON), ``/conformance``, ``/collections``, ``/collections/{id}``,
``/collections/{id}/items`` (``bbox``, ``limit``, ``offset``; GeoJSON with
``numberMatched``, ``numberReturned`` and a ``next`` link) and
``/collections/{id}/items/{featureId}``, and the API definition at ``/api``
(OpenAPI 3.0, which QGIS reads for the page size): what QGIS, ArcGIS and GDAL
(``OAPIF:``) need to add the workbench as a data source with no plugin.
Coordinates are CRS84 (longitude, latitude), as the standard's core requires.
"""

from __future__ import annotations

import asyncio
import json
import math
from urllib.parse import urlencode

import numpy as np
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import shapely

#: Features an items page holds by default, and at most.
DEFAULT_LIMIT, MAX_LIMIT = 100, 10_000
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
SITES = "sites"
OPENAPI_TYPE = "application/vnd.oai.openapi+json;version=3.0"


def _param(name: str, schema: dict, description: str, *, explode: bool = False) -> dict:
    return {"name": name, "in": "query", "required": False, "style": "form", "explode": explode, "schema": schema,
            "description": description}


def openapi(base: str, version: str) -> dict:
    """Return the OpenAPI 3.0 definition of the OGC API part (and the workbench's own paths, named)."""
    geojson = {"application/geo+json": {"schema": {"type": "object"}}}
    plain = {"application/json": {"schema": {"type": "object"}}}

    def get(summary: str, content: dict, parameters: list | None = None) -> dict:
        return {"get": {"summary": summary, "parameters": parameters or [],
                        "responses": {"200": {"description": summary, "content": content}}}}

    paths = {
        "/": get("landing page", plain), "/conformance": get("conformance classes", plain),
        "/collections": get("the collections", plain),
        "/collections/{collectionId}": get("one collection", plain, [{"$ref": "#/components/parameters/collectionId"}]),
        "/collections/{collectionId}/items": get("features of a collection", geojson, [
            {"$ref": "#/components/parameters/collectionId"}, {"$ref": "#/components/parameters/limit"},
            {"$ref": "#/components/parameters/bbox"}, {"$ref": "#/components/parameters/offset"}]),
        "/collections/{collectionId}/items/{featureId}": get("one feature", geojson, [
            {"$ref": "#/components/parameters/collectionId"}, {"$ref": "#/components/parameters/featureId"}]),
    }
    for path, summary in (("/api/health", "server status"), ("/api/session", "user and CSRF token"),
                          ("/api/maps", "map definitions"), ("/api/layers", "the shipped layers"),
                          ("/api/sites", "the saved sites (项目库)"), ("/api/audit", "the audit log")):
        paths[path] = get(summary, plain)
    return {
        "openapi": "3.0.3",
        "info": {"title": "温州产业平台规划工作台", "version": version,
                 "description": "OGC API – Features of the plan layers and saved sites; the workbench API is described "
                                "at /docs. Geometry is schematic (示意), digitized from plan text, not surveyed."},
        "servers": [{"url": base}],
        "paths": paths,
        "components": {"parameters": {
            "collectionId": {"name": "collectionId", "in": "path", "required": True, "schema": {"type": "string"}},
            "featureId": {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}},
            "limit": _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
                            "features a page holds"),
            "offset": _param("offset", {"type": "integer", "minimum": 0, "default": 0}, "features skipped"),
            "bbox": _param("bbox", {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
                           "minx,miny,maxx,maxy in CRS84"),
        }},
    }


def wants_json(request: Request) -> bool:
    """Whether a request for ``/`` asks for JSON (an OGC client) rather than the page (a browser)."""
    if request.query_params.get("f") == "json":
        return True
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def landing(request: Request) -> dict:
    """Return the OGC API landing page."""
    base = _base(request)
    return {"title": "温州产业平台规划工作台", "description": "规划图层与项目库（OGC API – Features）",
            "links": [
                {"href": f"{base}/?f=json", "rel": "self", "type": "application/json", "title": "this document"},
                {"href": f"{base}/api", "rel": "service-desc", "type": OPENAPI_TYPE, "title": "API definition"},
                {"href": f"{base}/docs", "rel": "service-doc", "type": "text/html", "title": "API"},
                {"href": f"{base}/conformance", "rel": "conformance", "type": "application/json"},
                {"href": f"{base}/collections", "rel": "data", "type": "application/json"}]}


def _collection(request: Request, name: str, title: str, bounds) -> dict:
    base = _base(request)
    extent = [float(v) for v in bounds] if bounds is not None and all(map(math.isfinite, bounds)) else [
        73.0, 3.0, 136.0, 54.0]
    return {"id": name, "title": title, "itemType": "feature", "crs": [CRS84],
            "extent": {"spatial": {"bbox": [extent], "crs": CRS84}},
            "links": [{"href": f"{base}/collections/{name}", "rel": "self", "type": "application/json"},
                      {"href": f"{base}/collections/{name}/items", "rel": "items", "type": "application/geo+json"}]}


def _layer_features(name: str) -> list[dict]:
    from gis.layers import read_layer

    return json.loads(read_layer(name).to_json(drop_id=True))["features"]


class Collections:
    """The collections, their features cached (layers) or read from the store (saved sites)."""

    def __init__(self, bench) -> None:
        self.bench = bench
        self._features: dict[str, list[dict]] = {}

    def names(self) -> dict[str, str]:
        """Return the collections' ids and titles."""
        from gis.layers import list_layers

        titles = {"zones": "功能分区", "corridors": "带与轴、道路", "platforms": "产业平台", "reclamation": "围垦区",
                  "projects": "重大项目", "coast": "陆地与海岛（背景）", "districts": "行政区（背景）"}
        out = {name: titles.get(name, name) for name in list_layers()}
        out[SITES] = "项目库（保存的选址）"
        return out

    def features(self, name: str) -> list[dict]:
        """Return a collection's features as GeoJSON dicts."""
        if name == SITES:
            return self.bench.store.all_site_features()
        if name not in self._features:
            features = _layer_features(name)
            for k, f in enumerate(features):
                f["id"] = f["properties"].get("id") or k + 1
            self._features[name] = features
        return self._features[name]


def _bounds(features: list[dict]):
    geoms = [shapely.geometry.shape(f["geometry"]) for f in features if f.get("geometry")]
    return shapely.total_bounds(np.array(geoms, dtype=object)) if geoms else None


def routes(bench) -> list[Route]:
    """Return the OGC API routes of a workbench."""
    collections = Collections(bench)

    async def api(request: Request) -> Response:
        from gis import __version__

        return Response(json.dumps(openapi(_base(request), __version__), ensure_ascii=False), media_type=OPENAPI_TYPE)

    async def conformance(request: Request) -> Response:
        return JSONResponse({"conformsTo": CONFORMANCE})

    async def collection_list(request: Request) -> Response:
        out = []
        for name, title in collections.names().items():
            feats = await asyncio.to_thread(collections.features, name)
            out.append(_collection(request, name, title, _bounds(feats)))
        return JSONResponse({"collections": out, "links": [
            {"href": f"{_base(request)}/collections", "rel": "self", "type": "application/json"}]})

    def _named(request: Request) -> str:
        name = request.path_params["cid"]
        if name not in collections.names():
            raise _not_found(f"没有数据集 {name}")
        return name

    async def collection_one(request: Request) -> Response:
        name = _named(request)
        feats = await asyncio.to_thread(collections.features, name)
        return JSONResponse(_collection(request, name, collections.names()[name], _bounds(feats)))

    async def items(request: Request) -> Response:
        name = _named(request)
        feats = await asyncio.to_thread(collections.features, name)
        params = request.query_params
        try:
            limit = min(int(params.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
            offset = max(int(params.get("offset", 0)), 0)
            bbox = [float(v) for v in params["bbox"].split(",")] if "bbox" in params else None
        except ValueError:
            return JSONResponse({"error": "limit、offset 须为整数，bbox 为 minx,miny,maxx,maxy"}, status_code=400)
        if limit < 1 or (bbox is not None and len(bbox) not in (4, 6)):
            return JSONResponse({"error": "limit 须为正整数，bbox 为 4 个数"}, status_code=400)
        if bbox is not None:
            box = shapely.box(bbox[0], bbox[1], bbox[-3 if len(bbox) == 6 else 2], bbox[-2 if len(bbox) == 6 else 3])
            geoms = np.array([shapely.geometry.shape(f["geometry"]) if f.get("geometry") else None for f in feats],
                             dtype=object)
            keep = np.asarray(shapely.intersects(box, geoms), dtype=bool) if len(geoms) else np.zeros(0, bool)
            feats = [f for f, k in zip(feats, keep, strict=True) if k]
        page = feats[offset:offset + limit]
        base = f"{_base(request)}/collections/{name}/items"
        links = [{"href": str(request.url), "rel": "self", "type": "application/geo+json"}]
        if offset + limit < len(feats):
            query = dict(params)
            query.update(offset=str(offset + limit), limit=str(limit))
            links.append({"href": f"{base}?{urlencode(query)}", "rel": "next",
                          "type": "application/geo+json"})
        body = {"type": "FeatureCollection", "features": page, "numberMatched": len(feats),
                "numberReturned": len(page), "links": links}
        return Response(json.dumps(body, ensure_ascii=False), media_type="application/geo+json")

    async def item(request: Request) -> Response:
        name = _named(request)
        fid = request.path_params["fid"]
        feats = await asyncio.to_thread(collections.features, name)
        for f in feats:
            if str(f.get("id")) == fid:
                return Response(json.dumps(f, ensure_ascii=False), media_type="application/geo+json")
        return JSONResponse({"error": f"没有要素 {fid}"}, status_code=404)

    return [Route("/api", api), Route("/conformance", conformance), Route("/collections", collection_list),
            Route("/collections/{cid}", collection_one), Route("/collections/{cid}/items", items),
            Route("/collections/{cid}/items/{fid}", item)]


def _not_found(message: str):
    from gis.server.app import HTTPProblem

    return HTTPProblem(404, message)

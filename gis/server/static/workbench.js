/* 温州产业平台规划工作台 — the workbench page. Uses only the server's own API (same origin).
 * Every value from the server reaches the page through textContent, never as markup. */
"use strict";
(function () {
  const state = { csrf: null, user: null, accounts: false, profile: null, maps: [], background: null,
                  layerData: {}, scheme: null, schemeLayers: [], result: null, busy: 0,
                  tiled: {}, upload: null };
  const $ = (sel) => document.querySelector(sel);
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  };
  const fmt = (v, d = 2) => (v === null || v === undefined || Number.isNaN(v)) ? "—"
    : Number(v).toLocaleString("zh-CN", { minimumFractionDigits: d, maximumFractionDigits: d });
  const pct = (v) => (v === null || v === undefined) ? "—" : (100 * v).toFixed(1) + "%";

  function status(message, kind) {
    const box = $("#gis-status");
    box.textContent = message || "";
    box.className = "gis-status" + (kind ? " gis-" + kind : "");
    box.dataset.kind = kind || "";
  }

  async function api(path, options = {}) {
    const opts = { credentials: "same-origin", ...options, headers: { ...(options.headers || {}) } };
    if (opts.method && opts.method !== "GET") opts.headers["X-CSRF-Token"] = state.csrf || "";
    if (opts.json !== undefined) {
      opts.body = JSON.stringify(opts.json);
      opts.headers["Content-Type"] = "application/json";
      delete opts.json;
    }
    state.busy += 1;
    document.body.classList.add("gis-busy");
    try {
      const response = await fetch(path, opts);
      if (response.status === 401 && path !== "/api/login") {
        showLogin();
      }
      if (!response.ok) {
        let message = "请求失败（" + response.status + "）";
        try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
        const error = new Error(message);
        error.status = response.status;
        throw error;
      }
      return response;
    } finally {
      state.busy -= 1;
      if (!state.busy) document.body.classList.remove("gis-busy");
    }
  }

  // --- the map -------------------------------------------------------------------------------------------
  const map = L.map("gis-map", { zoomControl: true, preferCanvas: false }).setView([27.93, 120.85], 10);
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  const layerControl = L.control.layers(null, null, { collapsed: false, position: "topright" }).addTo(map);
  map.createPane("background").style.zIndex = 350;
  map.createPane("plans").style.zIndex = 400;
  map.createPane("tiled").style.zIndex = 380;  // big layers' vector tiles: above the land, below the plans
  const drawn = L.featureGroup().addTo(map);
  const highlight = L.featureGroup().addTo(map);
  layerControl.addOverlay(drawn, "我的选址");
  layerControl.addOverlay(highlight, "占用部分（高亮）");

  function layerGeoJSON(name) {  // one request per layer, shared by every caller (the promise is kept)
    if (!state.layerData[name]) {
      state.layerData[name] = api("/api/layers/" + encodeURIComponent(name)).then((r) => r.json());
      state.layerData[name].catch(() => { delete state.layerData[name]; });
    }
    return state.layerData[name];
  }

  function popupContent(p) {
    const rows = [["名称", p.name]];
    if (p.land_use) rows.push(["用地用海", p.land_use]);
    for (const [label, key] of [["状态", "status"], ["期限", "period"], ["功能", "role"], ["布局方案", "scheme"]]) {
      if (p[key]) rows.push([label, p[key]]);
    }
    if (p.documented_area !== null && p.documented_area !== undefined) {
      rows.push(["文件面积", p.documented_area + " " + (p.documented_area_unit || "")]);
    }
    if (p.measured_mu !== null && p.measured_mu !== undefined) {
      rows.push(["量算面积", fmt(p.measured_mu) + " 亩（" + fmt(p.measured_km2, 4) + " km²），CGCS2000 椭球面积"]);
    }
    if (p.investment_total_wan !== undefined) {
      rows.push(["总投资", p.investment_total_wan === null ? "待定（未知）" : fmt(p.investment_total_wan, 0) + " 万元"]);
    }
    if (p.source) rows.push(["出处", p.source]);
    rows.push(["几何", p.geometry_quality === "schematic" ? "示意（schematic）" : (p.geometry_quality || "")]);
    return el("table", { class: "gis-popup" }, rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
  }

  function matches(props, where) {
    return Object.entries(where || {}).every(([k, v]) => Array.isArray(v) ? v.includes(props[k]) : props[k] === v);
  }

  async function showScheme(name) {
    for (const layer of state.schemeLayers) { map.removeLayer(layer); layerControl.removeLayer(layer); }
    state.schemeLayers = [];
    const definition = state.maps.find((m) => m.name === name);
    if (!definition) return;
    state.scheme = definition;
    $("#gis-scheme-title").textContent = definition.title;
    const legend = $("#gis-legend");
    legend.replaceChildren(el("div", { class: "gis-legend-title", title: "点击折叠或展开图例",
                                      onclick: () => legend.classList.toggle("gis-collapsed") }, "图例"));
    for (const spec of definition.layers) {
      const data = await layerGeoJSON(spec.source);
      const colours = Object.fromEntries(spec.classes.map((c) => [c.value, c.colour]));
      const group = L.featureGroup();
      for (const feature of data.features) {
        const p = feature.properties;
        if (!matches(p, spec.where)) continue;
        const value = String(p[spec.class_field]);
        const colour = colours[value] || "#666666";
        const style = { color: colour, weight: spec.weight, fillColor: colour, fillOpacity: spec.fill_opacity,
                        opacity: 0.9, dashArray: (spec.dash || {})[value] };
        let shape;
        if (spec.kind === "point") {
          const [x, y] = feature.geometry.coordinates;
          shape = L.circleMarker([y, x], { radius: 6, color: colour, weight: 1, fillColor: colour, fillOpacity: 0.7,
                                           pane: "plans", pmIgnore: true });
        } else if (spec.kind === "band" && p.band) {
          shape = L.geoJSON(JSON.parse(p.band), { style: () => style, pane: "plans", pmIgnore: true });
        } else {
          shape = L.geoJSON(feature.geometry, { style: () => style, pane: "plans", pmIgnore: true });
        }
        shape.feature = feature;
        shape.bindPopup(() => popupContent(p), { maxWidth: 420, autoPanPaddingTopLeft: [60, 80] });
        shape.bindTooltip(() => document.createTextNode(p.name || ""), { sticky: true });
        shape.addTo(group);
      }
      group.addTo(map);
      layerControl.addOverlay(group, spec.name);
      state.schemeLayers.push(group);
      for (const c of spec.classes) {
        legend.append(el("div", { class: "gis-legend-item" },
          el("span", { class: "gis-swatch", style: "background:" + c.colour }), c.label));
      }
    }
    map.setView(definition.view.center, definition.view.zoom);
    document.body.dataset.scheme = name;  // tests wait on this state
  }

  async function background() {
    const land = await layerGeoJSON("coast");
    const districts = await layerGeoJSON("districts");
    L.geoJSON(land, { style: () => state.background.land, interactive: false, pane: "background", pmIgnore: true })
      .addTo(map);
    L.geoJSON(districts, { style: () => state.background.districts, interactive: false, pane: "background",
                           pmIgnore: true }).addTo(map);
    $("#gis-map").style.background = state.background.sea;
  }

  // --- big layers as vector tiles (protomaps-leaflet paints them on canvas tiles) ---------------------------
  const NEUTRAL = { fill: "rgba(252,141,89,0.35)", cell: "rgba(252,141,89,0.6)", stroke: "#d7301f" };

  function rgba(hex, alpha) {
    const n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16 & 255) + "," + (n >> 8 & 255) + "," + (n & 255) + "," + alpha + ")";
  }

  function tileColours(name, meta) {  // a plan layer's classes from the map definition; a neutral style otherwise
    const spec = state.scheme && state.scheme.layers.find((l) => l.source === name);
    if (!spec) return { field: null, colour: () => NEUTRAL.fill, cell: () => NEUTRAL.cell, stroke: NEUTRAL.stroke };
    const fills = new Map(spec.classes.map((c) => [String(c.value), rgba(c.colour, spec.fill_opacity)]));
    const other = rgba("#666666", spec.fill_opacity);  // a class the map definition does not list
    return { field: spec.class_field, colour: (z, f) => fills.get(String(f.props[spec.class_field])) || other,
             cell: () => "rgba(102,102,102,0.45)", stroke: "#555555" };
  }

  function tilesBox() {
    const box = $("#gis-tiles");
    box.hidden = !Object.keys(state.tiled).length;
    return box;
  }

  function addTiled(name, meta, title) {
    const style = tileColours(name, meta);
    const P = window.protomapsL;
    const [w, s, e, n] = meta.bounds;
    const layer = P.leafletLayer({
      url: "/api/tiles/" + encodeURIComponent(name) + "/{z}/{x}/{y}.pbf", maxDataZoom: meta.maxzoom, levelDiff: 0,
      tileDelay: 1, pane: "tiled", bounds: L.latLngBounds([s - 1e-6, w - 1e-6], [n + 1e-6, e + 1e-6]),
      attribution: "示意 · " + title, maxZoom: 20,
      paintRules: [
        { dataLayer: "cells", symbolizer: new P.PolygonSymbolizer({ fill: style.cell, opacity: 1 }) },
        { dataLayer: "features", filter: (z, f) => f.geomType === 3,
          symbolizer: new P.PolygonSymbolizer({ fill: style.colour, stroke: style.stroke, width: (z) => z >= 15 ? 1 : 0.5,
                                                opacity: 1 }) },
        { dataLayer: "features", filter: (z, f) => f.geomType === 2,
          symbolizer: new P.LineSymbolizer({ color: style.stroke, width: 1.5 }) },
        { dataLayer: "features", filter: (z, f) => f.geomType === 1,
          symbolizer: new P.CircleSymbolizer({ radius: 3, fill: style.stroke, stroke: "#ffffff", width: 0.5 }) },
      ],
    });
    const item = el("div", { class: "gis-legend-item gis-tiled", "data-tiled-layer": name, "data-loading": "0",
                             "data-drawn": "0" },
      el("span", { class: "gis-swatch", style: "background:" + NEUTRAL.stroke }),
      title + " · " + fmt(meta.features, 0) + " 个要素（矢量切片）");
    const note = el("div", { class: "gis-tiled-note" }, "缩放 " + meta.detail_zoom + " 级起逐个显示；更小比例尺下，小于 " +
      meta.detail_px + " 像素的要素以其所在的 " + meta.cell_px + " 像素格示出（不分类别）。点击查看属性与量算面积。");
    const entry = { name, meta, layer, item, note, title, drawn: 0, first: null };
    layer.on("loading", () => { item.dataset.loading = "1"; });
    layer.on("load", () => {
      entry.drawn += 1;
      if (entry.first === null) entry.first = performance.now();
      item.dataset.loading = "0";
      item.dataset.drawn = String(entry.drawn);
    });
    state.tiled[name] = entry;
    layer.addTo(map);
    layerControl.addOverlay(layer, title + "（矢量切片）");
    tilesBox().append(item, note);
    return entry;
  }

  function removeTiled(name) {
    const entry = state.tiled[name];
    if (!entry) return;
    map.removeLayer(entry.layer);
    layerControl.removeLayer(entry.layer);
    entry.item.remove();
    entry.note.remove();
    delete state.tiled[name];
    tilesBox();
  }

  function whenDrawn() {  // every tiled layer on the map has painted the tiles in view
    const pending = Object.values(state.tiled).filter((t) => map.hasLayer(t.layer) && t.layer._loading);
    return Promise.all(pending.map((t) => new Promise((resolve) => t.layer.once("load", resolve))));
  }

  async function redraw(action) {  // for the benchmark: run a map action, wait until its tiles are painted
    const start = performance.now();
    action(map);
    await whenDrawn();
    return performance.now() - start;
  }

  function tiledPopup(entry, f) {
    const rows = [["图层", entry.title], ["编号", f.id]];
    if (f.name !== null && f.name !== undefined && f.name !== f.id) rows.push(["名称", f.name]);
    if (f.class_field) rows.push([f.class_field, f.class === null ? "—" : f.class]);
    for (const [k, v] of Object.entries(f.properties || {})) {
      if (["id", "name", f.class_field].includes(k) || v === null || v === undefined || typeof v === "object") continue;
      rows.push([k, String(v)]);
    }
    if (f.area_mu !== null && f.area_mu !== undefined) {
      rows.push(["量算面积", fmt(f.area_mu) + " 亩（" + fmt(f.area_m2) + " 平方米），CGCS2000 椭球面积"]);
    }
    return el("table", { class: "gis-popup gis-tiled-popup", "data-layer": entry.name },
      rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))));
  }

  map.on("click", async (e) => {
    const target = e.originalEvent && e.originalEvent.target;
    if (map.getContainer().classList.contains("gis-drawing")) return;
    if (target && target.classList && target.classList.contains("leaflet-interactive")) return;  // a plan feature
    const entries = Object.values(state.tiled).filter((t) => map.hasLayer(t.layer)).reverse();  // topmost first
    for (const entry of entries) {
      const query = "?lon=" + e.latlng.lng.toFixed(7) + "&lat=" + e.latlng.lat.toFixed(7) + "&z=" + map.getZoom();
      try {
        const found = await (await api("/api/tiles/" + encodeURIComponent(entry.name) + "/at" + query)).json();
        highlight.clearLayers();
        L.geoJSON(found.geometry, { style: () => ({ color: "#1f78b4", weight: 2, fillOpacity: 0.1 }),
                                    interactive: false, pmIgnore: true, pane: "plans" }).addTo(highlight);
        L.popup({ maxWidth: 420 }).setLatLng(e.latlng).setContent(tiledPopup(entry, found)).openOn(map);
        return;
      } catch (error) {
        if (error.status !== 404) { status(error.message, "error"); return; }
      }
    }
  });

  async function bigLayers() {  // the --layer layers and their TileJSON, fetched at once
    const listed = (await (await api("/api/layers")).json()).layers.filter((l) => l.big);
    return Promise.all(listed.map(async (l) => [l, await (await api(l.tiles)).json()]));
  }

  // --- search ------------------------------------------------------------------------------------------
  async function search(text) {
    const box = $("#gis-search-results");
    box.replaceChildren();
    if (!text) return;
    const hits = [];
    for (const name of ["zones", "platforms", "reclamation", "projects", "corridors"]) {
      const data = await layerGeoJSON(name);
      for (const f of data.features) {
        if ((f.properties.name || "").includes(text)) hits.push([name, f]);
      }
    }
    for (const [name, f] of hits.slice(0, 30)) {
      box.append(el("li", { class: "gis-hit", onclick: () => goTo(f) }, f.properties.name,
        el("span", { class: "gis-hit-layer" }, " · " + name)));
    }
    if (!hits.length) box.append(el("li", {}, "未找到"));
  }

  function goTo(feature) {
    const shape = L.geoJSON(feature.geometry);
    map.fitBounds(shape.getBounds(), { maxZoom: 15 });
    L.popup({ maxWidth: 420 }).setLatLng(shape.getBounds().getCenter()).setContent(popupContent(feature.properties))
      .openOn(map);
  }

  // --- drawing and analysis ---------------------------------------------------------------------------------
  map.pm.setLang("zh");
  map.pm.addControls({ position: "topleft", drawCircle: false, drawCircleMarker: false, drawRectangle: true,
                       drawText: false, cutPolygon: false, rotateMode: false });
  map.pm.setGlobalOptions({ layerGroup: drawn });

  function drawnCollection() {
    const features = [];
    drawn.eachLayer((layer) => {
      const geojson = layer.toGeoJSON();
      for (const f of geojson.type === "FeatureCollection" ? geojson.features : [geojson]) {
        f.properties = { ...(layer.gisProperties || {}), ...(f.properties || {}) };
        features.push(f);
      }
    });
    if (!features.length && state.upload) return state.upload;  // a big upload, drawn from tiles
    return { type: "FeatureCollection", features };
  }

  let pending = null;
  function analyseSoon() {
    clearTimeout(pending);
    pending = setTimeout(analyseDrawn, 200);
  }

  async function analyseDrawn() {
    const collection = drawnCollection();
    if (!collection.features.length) { showResult(null); return; }
    status("正在分析……");
    try {
      const result = await (await api("/api/analyse", { method: "POST", json: collection })).json();
      showResult(result);
      status("分析完成：" + result.sites.length + " 处选址", "ok");
    } catch (error) {
      status(error.message, "error");
    }
  }

  map.on("pm:create", (e) => { state.upload = null; e.layer.on("pm:edit", analyseSoon); analyseSoon(); });
  // While drawing, the plan layers let the clicks through to the map (each click places a vertex).
  map.on("pm:drawstart", () => { map.closePopup(); map.getContainer().classList.add("gis-drawing"); });
  map.on("pm:drawend", () => map.getContainer().classList.remove("gis-drawing"));
  map.on("pm:remove", analyseSoon);

  function verdictBadge(verdict) {
    const kind = { "通过": "pass", "不通过": "fail", "无法判断": "unknown", "仅量算": "measured" }[verdict] || "";
    return el("span", { class: "gis-verdict gis-" + kind }, verdict);
  }

  function table(headers, rows) {
    return el("table", { class: "gis-table" }, el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))),
      el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c))))));
  }

  function showResult(result) {
    state.result = result;
    window.gisWorkbench.lastResult = result;
    state.shown = (state.shown || 0) + 1;
    document.body.dataset.shown = String(state.shown);  // tests wait on this state, never on time
    document.body.dataset.sites = String(result ? result.sites.length : 0);
    highlight.clearLayers();
    const box = $("#gis-result");
    box.replaceChildren();
    if (!result) { box.append(el("p", { class: "gis-hint" }, "在地图上绘制选址（面、线或点），或上传文件。")); return; }
    L.geoJSON(result.highlight, { style: () => ({ color: "#ff6600", weight: 3, fillColor: "#ff6600",
                                                 fillOpacity: 0.45 }), interactive: false, pmIgnore: true,
                                  pane: "plans" }).addTo(highlight);
    if (result.profile) box.append(el("p", { class: "gis-profile" }, "审查方案：" + result.profile));
    for (const n of result.notes || []) box.append(el("p", { class: "gis-note-line" }, n));
    for (const site of result.sites) {
      const section = el("section", { class: "gis-site", "data-site": site.id });
      section.append(el("h3", {}, site.name + "（" + site.id + "）"));
      if (site.measure === "area") {
        section.append(el("p", { class: "gis-area" },
          el("span", { "data-testid": "area-m2" }, fmt(site.area_m2)), " 平方米 ＝ ",
          el("strong", { "data-testid": "area-mu" }, fmt(site.area_mu)), " 亩 ＝ ",
          el("span", { "data-testid": "area-ha" }, fmt(site.area_ha, 4)), " 公顷（CGCS2000 椭球面积）"));
      } else if (site.measure === "length") {
        section.append(el("p", {}, "线状选址，长 " + fmt(site.length_m) + " 米（按长度审查）"));
      } else {
        section.append(el("p", {}, "点状选址（按位置审查）"));
      }
      section.append(el("h4", {}, "叠加：功能分区、产业平台、围垦区"));
      section.append(site.overlaps.length
        ? table(["图层", "名称", "占用（亩）", "占比"], site.overlaps.map((o) => [o.layer_name, o.name, fmt(o.overlap_mu),
          pct(o.share)]))
        : el("p", {}, "不在任何功能分区、产业平台或围垦区内。"));
      section.append(el("h4", {}, "规划规则"));
      section.append(site.rules.length
        ? el("ul", { class: "gis-rules" }, site.rules.map((r) => el("li", {}, verdictBadge(r.verdict), " ", r.text,
          el("span", { class: "gis-source" }, "（" + (r.source_text || r.source) + "）"),
          el("div", { class: "gis-detail" }, r.detail_zh || r.detail))))
        : el("p", {}, "无适用规则。"));
      if (site.constraints.length) {
        section.append(el("h4", {}, "管控图层审查"));
        section.append(table(["管控图层", "规则", "结论", "占用（亩）", "比例", "说明"], site.constraints.map((c) => [
          c.name, c.rule_text, verdictBadge(c.verdict), fmt(c.overlap_mu), pct(c.share), c.reason || ""])));
        const listed = site.constraints.flatMap((c) => c.features.map((f) => [c.name, f.id, f.name, fmt(f.overlap_m2)]));
        if (listed.length) {
          section.append(el("details", {}, el("summary", {}, "占用清单（" + listed.length + "）"),
            table(["管控图层", "编号", "名称", "占用（平方米）"], listed)));
        }
      }
      if (site.land_use.length) {
        section.append(el("h4", {}, "地类构成"));
        section.append(table(["层级", "地类", "亩"], site.land_use.map((r) => [r.level, r.class, fmt(r.area_mu)])));
      }
      box.append(section);
    }
  }

  // --- upload ------------------------------------------------------------------------------------------------
  async function upload(event) {
    event.preventDefault();
    const input = $("#gis-file");
    if (!input.files.length) { status("请选择文件", "error"); return; }
    const form = new FormData();
    form.append("file", input.files[0]);
    form.append("crs", $("#gis-crs").value);
    form.append("encoding", $("#gis-encoding").value);
    status("正在读取和分析 " + input.files[0].name + " ……");
    try {
      const result = await (await api("/api/analyse", { method: "POST", body: form })).json();
      drawn.clearLayers();
      for (const name of Object.keys(state.tiled)) if (name.startsWith("upload-")) removeTiled(name);
      state.upload = null;
      if (result.tiles) {  // too many to draw one by one: the server's tiles of this upload
        const meta = await (await api(result.tiles.tilejson)).json();
        state.upload = result.geojson;
        addTiled(result.tiles.layer, meta, "上传：" + input.files[0].name);
        const [w, s, e, n] = meta.bounds;
        map.fitBounds([[s, w], [n, e]], { maxZoom: 16 });
      } else {
        const shapes = L.geoJSON(result.geojson, { pmIgnore: false });
        shapes.eachLayer((layer) => {
          layer.gisProperties = { id: layer.feature.properties.id, name: layer.feature.properties.name };
          layer.on("pm:edit", analyseSoon);
          drawn.addLayer(layer);
        });
        if (drawn.getLayers().length) map.fitBounds(drawn.getBounds(), { maxZoom: 16 });
      }
      showResult(result);
      status("已读取 " + result.sites.length + " 处选址", "ok");
    } catch (error) {
      status(error.message, "error");
    }
  }

  // --- downloads, the 项目库, comparison -------------------------------------------------------------------
  async function download(fmtName, path, body) {
    try {
      const response = body ? await api(path, { method: "POST", json: body }) : await api(path);
      const blob = await response.blob();
      const disposition = response.headers.get("Content-Disposition") || "";
      const match = /filename\*=UTF-8''([^;]+)/.exec(disposition);
      const name = match ? decodeURIComponent(match[1]) : "选址." + fmtName;
      const link = el("a", { href: URL.createObjectURL(blob), download: name });
      document.body.append(link);
      link.click();
      link.remove();
      status("已下载 " + name, "ok");
    } catch (error) {
      status(error.message, "error");
    }
  }

  async function saveSite() {
    const name = $("#gis-site-name").value.trim();
    const collection = drawnCollection();
    if (!collection.features.length) { status("请先绘制或上传选址", "error"); return; }
    if (!name) { status("请为选址填写名称", "error"); return; }
    try {
      const site = await (await api("/api/sites", { method: "POST", json: { name, geometry: collection } })).json();
      status("已保存：" + site.name, "ok");
      await listSites();
    } catch (error) {
      status(error.message, "error");
    }
  }

  async function listSites() {
    const box = $("#gis-sites");
    box.replaceChildren();
    let sites = [];
    try { sites = (await (await api("/api/sites")).json()).sites; } catch (error) { status(error.message, "error"); }
    if (!sites.length) { box.append(el("li", { class: "gis-hint" }, "项目库为空")); return; }
    for (const s of sites) {
      box.append(el("li", { class: "gis-saved", "data-id": s.id },
        el("input", { type: "checkbox", class: "gis-compare-pick", value: s.id, title: "选择以比较" }),
        el("span", { class: "gis-saved-name" }, s.name),
        el("span", { class: "gis-saved-meta" }, " · " + s.author + " · " + s.updated.replace("T", " ").replace("Z", "")),
        el("button", { type: "button", onclick: () => openSite(s.id) }, "打开"),
        el("button", { type: "button", onclick: () => renameSite(s) }, "重命名"),
        el("button", { type: "button", onclick: () => deleteSite(s) }, "删除")));
    }
  }

  async function openSite(id) {
    try {
      const site = await (await api("/api/sites/" + id)).json();
      drawn.clearLayers();
      L.geoJSON(site.geometry).eachLayer((layer) => {
        layer.gisProperties = layer.feature ? layer.feature.properties : {};
        layer.on("pm:edit", analyseSoon);
        drawn.addLayer(layer);
      });
      if (drawn.getLayers().length) map.fitBounds(drawn.getBounds(), { maxZoom: 16 });
      $("#gis-site-name").value = site.name;
      showResult(site.analysis);
      status("已打开：" + site.name + "（" + site.author + "，" + site.updated + "）", "ok");
    } catch (error) {
      status(error.message, "error");
    }
  }

  async function renameSite(s) {
    const name = window.prompt("新名称", s.name);
    if (!name) return;
    try {
      await api("/api/sites/" + s.id, { method: "PATCH", json: { name } });
      await listSites();
      status("已重命名为 " + name, "ok");
    } catch (error) { status(error.message, "error"); }
  }

  async function deleteSite(s) {
    if (!window.confirm("删除选址“" + s.name + "”？")) return;
    try {
      await api("/api/sites/" + s.id, { method: "DELETE" });
      await listSites();
      status("已删除：" + s.name, "ok");
    } catch (error) { status(error.message, "error"); }
  }

  async function compareSites() {
    const picked = [...document.querySelectorAll(".gis-compare-pick:checked")].map((c) => c.value);
    const box = $("#gis-compare");
    box.replaceChildren();
    if (picked.length !== 2) { status("请在项目库中勾选两处选址", "error"); return; }
    try {
      const result = await (await api("/api/compare?a=" + picked[0] + "&b=" + picked[1])).json();
      box.append(table(["项目", result.a.name, result.b.name], result.rows.map((r) => [r.item, String(r.a),
        String(r.b)])));
    } catch (error) { status(error.message, "error"); }
  }

  // --- session --------------------------------------------------------------------------------------------------
  function showLogin() { $("#gis-login").hidden = false; $("#gis-login-name").focus(); }

  async function login(event) {
    event.preventDefault();
    try {
      const answer = await (await api("/api/login", { method: "POST", json: {
        name: $("#gis-login-name").value, password: $("#gis-login-password").value } })).json();
      state.user = answer.user;
      state.csrf = answer.csrf_token;
      $("#gis-login").hidden = true;
      $("#gis-login-password").value = "";
      await start();
    } catch (error) {
      $("#gis-login-error").textContent = error.message;
    }
  }

  async function logout() {
    const answer = await (await api("/api/logout", { method: "POST" })).json();
    state.user = null;
    state.csrf = answer.csrf_token;
    showUser();
    if (state.accounts) showLogin();
  }

  function showUser() {
    $("#gis-user").textContent = state.user ? "用户：" + state.user : (state.accounts ? "未登录" : "本机（无账户）");
    $("#gis-logout").hidden = !state.user;
  }

  async function start() {
    const session = await (await api("/api/session")).json();
    Object.assign(state, { csrf: session.csrf_token, user: session.user, accounts: session.accounts,
                           profile: session.profile });
    showUser();
    if (state.accounts && !state.user) { showLogin(); return; }
    $("#gis-pdf").hidden = !state.profile;
    const maps = await (await api("/api/maps")).json();
    state.maps = maps.maps;
    state.background = maps.background;
    const first = state.maps.find((m) => m.name === "zhenan") || state.maps[0];
    const sites = listSites();  // the 项目库, the big layers and every layer the first scheme draws, fetched at once
    map.setView(first.view.center, first.view.zoom);  // the first scheme's view: big layers' tiles load meanwhile
    const big = bigLayers().then((listed) => { for (const [l, meta] of listed) addTiled(l.name, meta, l.name); });
    await Promise.all(["coast", "districts", ...first.layers.map((l) => l.source)].map(layerGeoJSON));
    await background();
    const select = $("#gis-scheme");
    select.replaceChildren(...state.maps.map((m) => el("option", { value: m.name }, m.title)));
    await showScheme(first.name);
    select.value = state.scheme.name;
    await big;
    await sites;
    showResult(null);
    window.gisWorkbench.ready = true;
    document.body.dataset.ready = "1";
  }

  $("#gis-scheme").addEventListener("change", (e) => showScheme(e.target.value));
  $("#gis-search").addEventListener("input", (e) => search(e.target.value.trim()));
  $("#gis-upload").addEventListener("submit", upload);
  $("#gis-file").addEventListener("change", (e) => {
    $("#gis-file-name").textContent = e.target.files.length ? e.target.files[0].name : "未选择文件";
  });
  $("#gis-save").addEventListener("click", saveSite);
  $("#gis-compare-button").addEventListener("click", compareSites);
  $("#gis-login-form").addEventListener("submit", login);
  $("#gis-logout").addEventListener("click", logout);
  for (const button of document.querySelectorAll("[data-download]")) {
    button.addEventListener("click", () => {
      const collection = drawnCollection();
      if (!collection.features.length) { status("请先绘制或上传选址", "error"); return; }
      download(button.dataset.download, "/api/export/" + button.dataset.download, collection);
    });
  }
  window.gisWorkbench = { map, drawn, state, ready: false, lastResult: null, analyse: analyseDrawn, redraw, whenDrawn,
                          tiled: state.tiled };
  start().catch((error) => status(error.message, "error"));
})();

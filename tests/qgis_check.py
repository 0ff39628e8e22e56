"""Open a GeoPackage of ``gis export`` in QGIS (PyQGIS, offscreen) and report what QGIS sees, as JSON.

Run with Debian's system Python, which has the ``qgis`` module (``python3-qgis``)::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_check.py FILE.gpkg [OUT_DIR NAME=W,S,E,N ...]
    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_check.py SHAPEFILE_FOLDER

For every layer as QGIS adds it from the file (its default style from ``layer_styles``):
the renderer, the features without a symbol, the label settings (placement, whether
labels are on); then the project stored in the file: its layers in drawing order,
their validity, and the labels QGIS places when it renders each extent given
(longitude/latitude; written to OUT_DIR/NAME.png). Given a folder, every ``*.shp`` in it is
described as QGIS adds it (with the ``.qml`` beside it as its style). Messages QGIS and GDAL log at warning level or above are
collected. The report is printed as one JSON line; the process then ends with
``os._exit`` (QGIS's teardown may crash after the work is done).
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProject,
    QgsProviderRegistry,
    QgsRenderContext,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor


def main(path: str, out_dir: str | None, extents: dict[str, list[float]]) -> dict:
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    messages: list[list] = []

    def log(message, tag, level):
        if int(level) >= int(Qgis.Warning):
            messages.append([tag, int(level), message])

    QgsApplication.messageLog().messageReceived.connect(log)
    report: dict = {"qgis": Qgis.version(), "layers": {}, "messages": messages}
    metadata = QgsProviderRegistry.instance().providerMetadata("ogr")
    if os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            if name.endswith(".shp"):
                layer = QgsVectorLayer(os.path.join(path, name), name[:-4], "ogr")
                report["layers"][name[:-4]] = describe(layer)
        return report
    sublayers = [s.name() for s in metadata.querySublayers(path)] if hasattr(metadata, "querySublayers") else []
    report["sublayers"] = sublayers
    for name in sublayers:
        if name == "layer_styles":
            continue
        layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
        report["layers"][name] = describe(layer)
    project = QgsProject.instance()
    uri = f"geopackage:{path}?projectName="
    projects = metadata_projects(path)
    report["projects"] = projects
    if projects:
        from urllib.parse import quote

        ok = project.read(uri + quote(projects[0]))
        root = project.layerTreeRoot()
        order = root.layerOrder()
        report["project"] = {
            "read": ok, "crs": project.crs().authid(), "ellipsoid": project.ellipsoid(),
            "area_units": int(project.areaUnits()),
            "order": [lyr.name() for lyr in order],
            "sources": [lyr.source().split("|")[1] if "|" in lyr.source() else lyr.source() for lyr in order],
            "valid": [lyr.isValid() for lyr in order],
            "groups": [g.name() for g in root.children()],
            "layers": {lyr.name(): describe(lyr) for lyr in order},
        }
        report["project"]["labels"] = {
            name: render_project(project, order, extent, os.path.join(out_dir, f"{name}.png") if out_dir else None)
            for name, extent in extents.items()
        }
    return report


def metadata_projects(path: str) -> list[str]:
    import sqlite3

    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "qgis_projects" not in tables:
            return []
        return [r[0] for r in db.execute("SELECT name FROM qgis_projects")]


def describe(layer: QgsVectorLayer) -> dict:
    out: dict = {"valid": layer.isValid(), "features": 0, "without_symbol": [], "renderer": None}
    if not layer.isValid():
        return out
    renderer = layer.renderer()
    out["renderer"] = renderer.type()
    out["geometry"] = int(layer.geometryType())
    out["blend_mode"] = int(layer.blendMode())
    context = QgsRenderContext()
    renderer = renderer.clone()
    renderer.startRender(context, layer.fields())
    legend = {}
    for feature in layer.getFeatures():
        out["features"] += 1
        context.expressionContext().setFeature(feature)
        symbols = renderer.symbolsForFeature(feature, context)
        if not symbols:
            out["without_symbol"].append(feature["name"] if "name" in feature.fields().names() else feature.id())
        keys = renderer.legendKeysForFeature(feature, context)
        for key in keys:
            legend[key] = legend.get(key, 0) + 1
    renderer.stopRender(context)
    out["legend"] = [item.label() for item in renderer.legendSymbolItems()]
    out["symbols_per_feature_max"] = None
    labeling = layer.labeling()
    out["labels_enabled"] = bool(layer.labelsEnabled() and labeling is not None)
    placements = []
    if labeling is not None:
        for provider in labeling.subProviders():
            settings = labeling.settings(provider)
            placements.append(int(settings.placement))
        if not placements and hasattr(labeling, "settings"):
            placements.append(int(labeling.settings().placement))
    out["label_placements"] = placements
    return out


def render_project(project: QgsProject, order: list, bounds: list[float], path: str | None) -> dict:
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsRectangle

    settings = QgsMapSettings()
    settings.setLayers(order)
    settings.setDestinationCrs(project.crs())
    settings.setBackgroundColor(QColor(project.backgroundColor()))
    settings.setOutputSize(QSize(1400, 1000))
    settings.setOutputDpi(110)
    transform = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), project.crs(), project)
    extent = transform.transformBoundingBox(QgsRectangle(*bounds))
    extent.scale(1.1)
    settings.setExtent(extent)
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    if path:
        job.renderedImage().save(path, "png")
    results = job.takeLabelingResults()
    labels: dict[str, list[str]] = {}
    if results is not None:
        for position in results.labelsWithinRect(settings.visibleExtent()):
            layer = project.mapLayer(position.layerID)
            labels.setdefault(layer.name() if layer else position.layerID, []).append(position.labelText)
    return labels


if __name__ == "__main__":
    named = {}
    for arg in sys.argv[3:]:
        key, _, values = arg.partition("=")
        named[key] = [float(v) for v in values.split(",")]
    result = main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None, named)
    print("QGIS-REPORT " + json.dumps(result, ensure_ascii=False))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)

"""Overlay, zone composition, plan rules and siting reports (issue: overlaying projects on zones)."""

from __future__ import annotations

import json

import pytest

import geopandas as gpd
from shapely.geometry import LineString, Point, Polygon, box

from gis import ellipsoidal_area, read_layer
from gis.errors import FieldError, InputError
from gis.overlay import OverlayWarning, overlay, zone_composition
from gis.rules import FAIL, PASS, UNKNOWN, check_rules

# Two zones side by side (x 0–1 and 1–2 around 120.7°E, 28°N, in 0.01° units), the right one with a hole.
U = 0.01
Z1 = box(120.70, 28.00, 120.70 + U, 28.00 + U)
Z2 = Polygon(
    [(120.70 + U, 28.00), (120.70 + 2 * U, 28.00), (120.70 + 2 * U, 28.00 + U), (120.70 + U, 28.00 + U)],
    [[(120.70 + 1.4 * U, 28.00 + 0.4 * U), (120.70 + 1.4 * U, 28.00 + 0.6 * U),
      (120.70 + 1.6 * U, 28.00 + 0.6 * U), (120.70 + 1.6 * U, 28.00 + 0.4 * U)]],
)
ZONES = gpd.GeoDataFrame({"id": ["z1", "z2"], "name": ["一区", "二区"]}, geometry=[Z1, Z2], crs=4326)


def _projects() -> gpd.GeoDataFrame:
    half_in = box(120.70 - 0.2 * U, 28.00 + 0.2 * U, 120.70 + 0.2 * U, 28.00 + 0.4 * U)  # half in z1
    across = box(120.70 + 0.8 * U, 28.00 + 0.7 * U, 120.70 + 1.2 * U, 28.00 + 0.9 * U)  # z1 and z2
    outside = box(120.90, 28.10, 120.91, 28.11)
    on_boundary = Point(120.70 + U, 28.00 + 0.5 * U)  # on the shared edge
    in_hole = box(120.70 + 1.45 * U, 28.00 + 0.45 * U, 120.70 + 1.55 * U, 28.00 + 0.55 * U)
    line = LineString([(120.70 + 0.5 * U, 28.00 + 0.1 * U), (120.70 + 1.5 * U, 28.00 + 0.1 * U)])
    return gpd.GeoDataFrame(
        {"id": ["half", "across", "outside", "point", "hole", "line"]},
        geometry=[half_in, across, outside, on_boundary, in_hole, line], crs=4326,
    )


@pytest.fixture(scope="module")
def result():
    return overlay(_projects(), ZONES)


def _rows(result, pid):
    return result[result["project_id"] == pid]


def test_square_half_inside_has_share_one_half(result):
    row = _rows(result, "half")
    assert list(row["zone_id"]) == ["z1"]
    assert row["share_inside"].iloc[0] == pytest.approx(0.5, abs=1e-3)
    full = ellipsoidal_area(_projects().iloc[[0]])[0]
    assert row["area_inside_m2"].iloc[0] == pytest.approx(full / 2, rel=1e-3)


def test_project_across_two_zones(result):
    row = _rows(result, "across")
    assert set(row["zone_id"]) == {"z1", "z2"}
    assert row["share_inside"].sum() == pytest.approx(1.0, abs=1e-9)
    assert row["share_inside"].iloc[0] == pytest.approx(0.5, abs=2e-3)


def test_project_outside_every_zone_is_listed(result):
    row = _rows(result, "outside")
    assert len(row) == 1 and row["zone_id"].iloc[0] is None and row["share_inside"].iloc[0] == 0


def test_point_on_shared_boundary_is_in_both(result):
    row = _rows(result, "point")
    assert set(row["zone_id"]) == {"z1", "z2"} and (row["share_inside"] == 1).all()


def test_zone_with_a_hole(result):
    row = _rows(result, "hole")
    assert len(row) == 1 and row["zone_id"].iloc[0] is None  # the hole is not the zone


def test_line_share_is_by_length(result):
    row = _rows(result, "line").set_index("zone_id")
    assert row.loc["z1", "share_inside"] == pytest.approx(0.5, abs=1e-3)
    assert row.loc["z2", "share_inside"] == pytest.approx(0.5, abs=1e-3)
    assert row["length_inside_m"].sum() == pytest.approx(0.01 * 111_320 * 0.883, rel=0.01)


def test_min_share_keeps_projects_listed():
    result = overlay(_projects(), ZONES, min_share=0.6)
    assert set(result["project_id"]) == {"half", "across", "outside", "point", "hole", "line"}
    assert _rows(result, "half")["zone_id"].iloc[0] is None


def test_mismatched_crs_is_reprojected_with_a_warning():
    projects = _projects().to_crs("EPSG:4549")
    with pytest.warns(OverlayWarning, match="reprojected"):
        result = overlay(projects, ZONES)
    assert _rows(result, "half")["share_inside"].iloc[0] == pytest.approx(0.5, abs=1e-3)


def test_invalid_geometry_is_repaired_with_a_warning_naming_it():
    bowtie = Polygon([(120.701, 28.001), (120.709, 28.009), (120.709, 28.001), (120.701, 28.009)])
    projects = gpd.GeoDataFrame({"id": ["bow"]}, geometry=[bowtie], crs=4326)
    with pytest.warns(OverlayWarning, match="'bow'.*repaired"):
        result = overlay(projects, ZONES)
    assert result["zone_id"].iloc[0] == "z1" and result["share_inside"].iloc[0] == pytest.approx(1.0)


def test_empty_input_and_missing_id_field():
    with pytest.raises(InputError, match="no features"):
        overlay(_projects().iloc[:0], ZONES)
    with pytest.raises(FieldError, match="'code'"):
        overlay(_projects(), ZONES, project_id="code")


def test_zone_composition_dissolves_and_shares():
    layer = gpd.GeoDataFrame(
        {"land_use": ["1001", "1001", "0701"]},
        geometry=[box(120.70, 28.00, 120.70 + 0.5 * U, 28.00 + U), box(120.70 + 0.25 * U, 28.00, 120.70 + 0.5 * U, 28.00 + U),
                  box(120.70 + 0.5 * U, 28.00, 120.70 + 0.75 * U, 28.00 + U)],
        crs=4326,
    )
    comp = zone_composition(ZONES.iloc[[0]], layer).set_index("class")
    assert comp.loc["1001", "share"] == pytest.approx(0.5, abs=1e-3)  # overlap counted once
    assert comp.loc["0701", "share"] == pytest.approx(0.25, abs=1e-3)
    assert comp.loc["（未覆盖）", "share"] == pytest.approx(0.25, abs=1e-3)


def test_every_dongtou_project_is_in_a_zone_and_starred_ones_in_oujiangkou():
    projects = read_layer("projects")
    dt = projects[projects["id"].str.startswith("dt-p")]
    result = overlay(dt, read_layer("zones"))
    assert result["zone_id"].notna().all()
    starred = set(dt.loc[dt["in_oujiangkou"].astype(bool), "id"])
    on_reclamation = overlay(dt, read_layer("reclamation"))
    inside = set(on_reclamation.loc[on_reclamation["zone_id"] == "dt-rec-ojk-1", "project_id"])
    assert starred == inside


def test_plan_rules_verdicts_on_shipped_layers():
    results = {r.id: r for r in check_rules()}
    assert results["dt-starred-projects-in-oujiangkou"].verdict == PASS
    assert results["dt-projects-in-named-parks"].verdict == PASS
    assert len(results["dt-projects-in-named-parks"].features) >= 12
    assert results["zn-four-districts-and-core-disjoint"].verdict == PASS
    for rid in ("lc-leading-industry-share", "zn-industrial-supply-per-year", "lc-core-area-in-main-platform"):
        assert results[rid].verdict == UNKNOWN and len(results[rid].detail) > 30  # says why
    assert all(r.source.split()[0].endswith(".txt") for r in results.values())


def test_rules_fail_when_the_data_break_them():
    from gis.layers import list_layers
    from gis.rules import Index

    layers = {n: read_layer(n) for n in list_layers()}
    projects = layers["projects"]
    moved = projects["id"] == "dt-p08"
    projects.loc[moved, "geometry"] = gpd.GeoSeries([Point(121.15, 27.83)], index=projects.index[moved])
    zones = layers["zones"]
    core = zones["id"] == "zn-core"
    zones.loc[core, "geometry"] = gpd.GeoSeries([zones.loc[core].geometry.iloc[0].buffer(0.01)], index=zones.index[core])
    results = {r.id: r for r in check_rules(Index(layers))}
    assert results["dt-starred-projects-in-oujiangkou"].verdict == FAIL
    assert "dt-p08" in results["dt-starred-projects-in-oujiangkou"].failing
    assert results["zn-four-districts-and-core-disjoint"].verdict == FAIL


def test_overlay_cli_json(gis):
    run = gis("overlay", "projects", "zones", "--format", "json")
    rows = json.loads(run.out)
    assert {"project_id", "zone_id", "area_inside_m2", "share_inside"} <= set(rows[0])
    assert "0 in no zone" in run.err


def test_overlay_cli_errors_are_one_line(gis_process, tmp_path):
    run = gis_process("overlay", "projects", "zones", "--id-field", "code")
    assert run.code == 2 and "no id field 'code'" in run.err and "Traceback" not in run.err
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    run = gis_process("overlay", empty, "zones")
    assert run.code == 2 and "no features" in run.err and "Traceback" not in run.err


def test_rules_cli(gis):
    run = gis("rules")
    assert run.code == 0 and "[通过] dt-starred-projects-in-oujiangkou" in run.out
    assert "合计: 通过 3, 不通过 0, 无法判断 4" in run.out


def test_site_report_formats(gis, tmp_path):
    sites = gpd.GeoDataFrame(
        {"id": ["s1", "s2"], "name": ["鹿城候选工业地块", "南塘工业区扩建地块"]},
        geometry=[box(120.66, 28.01, 120.665, 28.014), box(121.144, 27.825, 121.146, 27.827)], crs=4326,
    )
    path = tmp_path / "sites.geojson"
    sites.to_file(path)
    md = gis("site", path, "--format", "markdown")
    assert md.code == 0 and "# 选址分析报告" in md.out and "示意" in md.out
    assert "**不通过**" in md.out and "南塘工业区（dt-park-nantang）" in md.out
    data = json.loads(gis("site", path, "--format", "json").out)
    s2 = next(s for s in data if s["site_id"] == "s2")
    nantang = next(o for o in s2["overlaps"] if o["feature_id"] == "dt-park-nantang")
    assert nantang["share"] == pytest.approx(1.0, abs=1e-3) and nantang["area_mu"] > 0
    assert any(r["verdict"] == "通过" for r in s2["rules"])
    csv_out = tmp_path / "site.csv"
    assert gis("site", path, "--format", "csv", "-o", csv_out).code == 0
    assert csv_out.read_text(encoding="utf-8-sig").startswith("section,")
    table = gis("site", path)
    assert "占用情况" in table.out and "规划规则" in table.out


def test_mismatched_crs_warning_reaches_the_cli(gis, tmp_path):
    path = tmp_path / "projects_gk.gpkg"
    _projects().to_crs("EPSG:4549").to_file(path, driver="GPKG")
    zones = tmp_path / "zones.geojson"
    ZONES.to_file(zones)
    run = gis("overlay", path, zones, "--format", "json")
    assert run.code == 0 and "gis: warning:" in run.err and "reprojected" in run.err
    rows = json.loads(run.out)
    half = next(r for r in rows if r["project_id"] == "half")
    assert half["share_inside"] == pytest.approx(0.5, abs=1e-3)


def test_invalid_geometry_warning_names_the_feature_in_the_cli(gis, tmp_path):
    bowtie = Polygon([(120.701, 28.001), (120.709, 28.009), (120.709, 28.001), (120.701, 28.009)])
    path = tmp_path / "bad.geojson"
    gpd.GeoDataFrame({"id": ["bow"]}, geometry=[bowtie], crs=4326).to_file(path)
    zones = tmp_path / "zones.geojson"
    ZONES.to_file(zones)
    run = gis("overlay", path, zones)
    assert run.code == 0 and "'bow'" in run.err and "repaired" in run.err


def test_composition_cli(gis):
    run = gis("composition", "zones", "platforms", "--field", "role", "--format", "json")
    rows = json.loads(run.out)
    core = [r for r in rows if r["zone_id"] == "zn-core"]
    assert core and core[0]["class"] == "园区" and core[0]["share"] == pytest.approx(1.0, abs=1e-3)

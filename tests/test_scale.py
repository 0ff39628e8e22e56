"""Beyond one machine: the Dask engine on a real LocalCluster, PostGIS on a real server."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import shapely

from gis import ellipsoidal_area, read_layer
from gis.engine import area_dask, dask_client, overlay_dask, write_parquet
from gis.errors import DataSourceError
from gis.overlay import overlay
from gis.postgis import read_postgis, write_postgis
from gis.synthetic import parcels

from .pgserver import PASSWORD


@pytest.fixture(scope="module")
def client():
    with dask_client(workers=2) as c:
        yield c


@pytest.fixture(scope="module")
def field():
    return parcels(100_000, origin=(120.74, 27.80), cell_m=(30.0, 30.0), seed=9)


def test_dask_and_local_agree_on_area_of_1e5_parcels(client, field):
    local = ellipsoidal_area(field)
    distributed = area_dask(field, client=client, npartitions=8)
    assert np.max(np.abs(distributed / local - 1)) <= 1e-9


def test_dask_and_local_agree_on_overlay_of_1e5_parcels(client, field):
    zones = read_layer("zones")
    local = overlay(field, zones)
    distributed = overlay_dask(field, zones, client=client, npartitions=8)
    assert list(local["project_id"]) == list(distributed["project_id"])
    assert list(local["zone_id"].fillna("-")) == list(distributed["zone_id"].fillna("-"))
    a, b = local["area_inside_m2"].to_numpy(), distributed["area_inside_m2"].to_numpy()
    assert np.all(np.abs(a - b) <= 1e-9 * np.maximum(np.abs(a), 1.0))


def test_geoparquet_partitions_are_read_by_the_workers(client, field, tmp_path):
    path = write_parquet(field, tmp_path / "parcels.parquet", rows_per_partition=25_000)
    assert len(list(path.glob("*.parquet"))) >= 4
    areas = area_dask(path, client=client)
    assert np.max(np.abs(areas / ellipsoidal_area(field) - 1)) <= 1e-9


@pytest.mark.dask  # the command starts its own LocalCluster (no client fixture)
def test_cli_dask_engine_gives_the_local_table(gis):
    local = json.loads(gis("area", "platforms", "--format", "json").out)
    run = gis("area", "platforms", "--format", "json", "--engine", "dask", "--workers", "2")
    assert run.code == 0 and "partitions" in run.err  # progress is shown
    assert json.loads(run.out) == local


@pytest.mark.parametrize("srid", [4326, 4490])
def test_postgis_round_trip_is_identical(pg, srid):
    for name in ("platforms", "projects"):
        original = read_layer(name)
        assert write_postgis(original, pg.url, f"{name}_{srid}", srid=srid) == len(original)
        back, _ = read_postgis(pg.url, layer=f"{name}_{srid}")
        assert back.crs.to_epsg() == srid
        back = back.drop(columns="gid").to_crs(4326)
        for col in original.columns.drop("geometry"):
            a, b = original[col].tolist(), back[col].tolist()
            assert [None if pd.isna(x) else x for x in a] == [None if pd.isna(x) else x for x in b], col
        for g1, g2 in zip(original.geometry, back.geometry, strict=True):
            assert np.allclose(shapely.get_coordinates(g1), shapely.get_coordinates(g2), atol=1e-9)


def test_postgis_table_has_srid_and_spatial_index(pg):
    from sqlalchemy import create_engine, text

    write_postgis(read_layer("zones"), pg.url, "zones")
    engine = create_engine(pg.url)
    with engine.connect() as conn:
        srid = conn.execute(text("SELECT srid FROM geometry_columns WHERE f_table_name = 'zones'")).scalar()
        index = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename = 'zones' AND indexdef LIKE '%gist%'")).scalar()
    engine.dispose()
    assert srid == 4326 and "gist" in index.lower()


def test_a_write_that_fails_halfway_leaves_the_table_unchanged(pg):
    zones = read_layer("zones")
    write_postgis(zones, pg.url, "stable")
    bad = read_layer("platforms")
    bad["counter"] = pd.Series([1] * 10 + [2**70] + [1] * (len(bad) - 11), dtype=object)  # row 11 overflows bigint
    with pytest.raises(DataSourceError, match="out of range"):
        write_postgis(bad, pg.url, "stable")
    back, _ = read_postgis(pg.url, layer="stable")
    assert list(back["id"]) == list(zones["id"])  # the old table, untouched


def test_cli_reads_postgis_tables_and_queries(pg, gis):
    write_postgis(read_layer("platforms"), pg.url, "parks")
    table = json.loads(gis("area", pg.url, "--layer", "parks", "--format", "json").out)
    local = json.loads(gis("area", "platforms", "--format", "json").out)
    assert [r["area_m2"] for r in table] == pytest.approx([r["area_m2"] for r in local], rel=1e-9)
    query = gis("area", pg.url, "--sql", "SELECT id, name, geom FROM parks WHERE role = '2'", "--format", "json")
    assert [r["name"] for r in json.loads(query.out)][:2] == ["浙江温州鹿城轻工产业园区", "中国鞋都产业园"]
    run = gis("export", "zones", "reclamation", "--postgis", pg.url)
    assert run.code == 0 and PASSWORD not in run.out and "***" in run.out


def test_wrong_password_is_one_line_without_the_password(pg, gis_process):
    wrong = pg.url.replace(PASSWORD, "not-the-password")
    run = gis_process("area", wrong, "--layer", "parks")
    assert run.code == 2 and "Traceback" not in run.err
    assert run.err.strip().count("\n") == 0 and "password" in run.err.lower()
    assert "not-the-password" not in run.err and PASSWORD not in run.err


def test_unreachable_database_is_one_line(gis_process):
    run = gis_process("area", "postgresql://gis:secret@127.0.0.1:1/gis", "--layer", "x")
    assert run.code == 2 and "secret" not in run.err and run.err.strip().count("\n") == 0


def test_field_is_realistic(field):
    assert isinstance(field, gpd.GeoDataFrame) and len(field) == 100_000


def test_export_all_layers_and_result_tables_to_postgis(pg, gis):
    from sqlalchemy import create_engine, text

    run = gis("export", "--postgis", pg.url, "--srid", "4490")
    assert run.code == 0, run.err
    engine = create_engine(pg.url)
    with engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))}
        total = conn.execute(text('SELECT "面积（亩）" FROM gis_reclamation_by_status WHERE "状态" LIKE \'合计%\'')).scalar()
    engine.dispose()
    assert {"zones", "platforms", "projects", "gis_platform_areas", "gis_project_zones"} <= tables
    assert total is not None and total > 0


def test_credentials_from_the_standard_pg_variables(pg, gis_process):
    write_postgis(read_layer("zones"), pg.url, "from_env")
    bare = f"postgresql://127.0.0.1:{pg.port}/gis"  # no user, no password in the URL
    run = gis_process("area", bare, "--layer", "from_env", "--format", "json",
                      env={"PGUSER": "gis", "PGPASSWORD": PASSWORD})
    assert run.code == 0, run.err
    assert len(json.loads(run.out)) == len(read_layer("zones")) + 1

"""Reading in batches (gis.stream): the same tables as reading whole, overlaps across batches counted once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import pyogrio

from gis import settings
from gis.measure import area_table, area_table_batches
from gis.overlay import overlay
from gis.stream import Batches, batches_for
from gis.synthetic import parcels


def _overlapping(n: int = 600) -> gpd.GeoDataFrame:
    """A coverage, plus copies of some parcels shifted a little and appended at the end: they overlap parcels
    of the first batches, so that their overlaps span batch boundaries; one parcel nested in another too."""
    base = parcels(n, seed=11)
    rng = np.random.default_rng(12)
    picked = base.iloc[rng.choice(n, 40, replace=False)].copy()
    picked["geometry"] = picked.geometry.translate(xoff=2e-4, yoff=-1e-4)
    nested = base.iloc[[3]].copy()
    nested["geometry"] = nested.geometry.scale(0.5, 0.5)
    extra = pd.concat([picked, nested], ignore_index=True)
    extra["id"] = [f"x{i:03d}" for i in range(len(extra))]
    out = pd.concat([base, extra], ignore_index=True)
    out.loc[out.index[::7], "land_use"] = None  # empty values are a group of their own
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")


@pytest.fixture(params=["gpkg", "parquet"])
def source(request, tmp_path):
    gdf = _overlapping()
    path = tmp_path / f"p.{request.param}"
    if request.param == "gpkg":
        pyogrio.write_dataframe(gdf, path, layer="parcels", driver="GPKG")
    else:
        gdf.to_parquet(path)
    return path, gdf


@pytest.mark.parametrize("by", ["land_use", None])
def test_batches_give_the_same_table_as_the_whole_file(source, by):
    path, gdf = source
    whole = area_table(gdf, by=by, unit="mu")
    assert whole.attrs["disjoint"] is False  # the copies overlap
    streamed = area_table_batches(Batches(path, batch_size=97), by=by, unit="mu")
    pd.testing.assert_frame_equal(streamed, whole, check_dtype=False)
    assert streamed.attrs == whole.attrs


def test_overlaps_across_batches_are_counted_once(source):
    path, gdf = source
    reader = Batches(path, batch_size=97)
    table = area_table_batches(reader, by="land_use", unit="m2")
    total = table.iloc[-1]
    assert total["overlap_m2"] > 0  # the shifted copies overlap parcels read many batches earlier
    assert total["area_m2"] == pytest.approx(round(float(area_table(gdf, unit="m2").iloc[-1]["area_m2"]), 2))
    # a batch as big as the file finds the same
    assert area_table_batches(Batches(path, batch_size=10_000), by="land_use", unit="m2").equals(table)


def test_batches_are_indexed_by_file_position_and_take_reads_again(source):
    path, gdf = source
    reader = Batches(path, batch_size=100)
    frames = list(reader)
    assert [len(f) for f in frames][:2] == [100, 100] and sum(len(f) for f in frames) == len(gdf)
    assert frames[2].index[0] == 200 and list(frames[2]["id"][:2]) == list(gdf["id"][200:202])
    positions = np.array([len(gdf) - 1, 0, 250])
    taken = reader.take(positions)
    assert all(a.equals_exact(b, 1e-12) for a, b in zip(taken, gdf.geometry.to_numpy()[positions], strict=True))


def test_overlay_of_batches_is_the_overlay_of_the_whole(source, layers):
    path, gdf = source
    zones = layers["zones"]
    whole = overlay(gdf, zones)
    parts = pd.concat([overlay(batch, zones) for batch in Batches(path, batch_size=97)], ignore_index=True)
    pd.testing.assert_frame_equal(parts, whole)


def test_which_sources_are_read_in_batches(source, tmp_path, monkeypatch):
    path, _ = source
    assert batches_for(str(path)) is None  # small: read whole
    monkeypatch.setattr(settings, "batch_above", 10)
    assert isinstance(batches_for(str(path)), Batches)
    assert batches_for(str(path), crs="EPSG:4490") is None  # a declared CRS: the whole-file reader applies it
    geojson = tmp_path / "p.geojson"
    gpd.GeoDataFrame({"id": ["a"]}, geometry=gpd.GeoSeries.from_wkt(["POINT (120.7 28)"]), crs=4326).to_file(geojson)
    assert batches_for(str(geojson)) is None

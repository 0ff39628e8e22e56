"""Reading only where the sites are: matching boxes (a compiled loop), GeoParquet datasets, GeoPackages."""

from __future__ import annotations

import numpy as np
import pytest

import geopandas as gpd
import shapely

from gis import window
from gis.window import rows_meeting


def _brute(bounds: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    meet = ((bounds[:, None, 0] <= boxes[None, :, 2]) & (bounds[:, None, 2] >= boxes[None, :, 0])
            & (bounds[:, None, 1] <= boxes[None, :, 3]) & (bounds[:, None, 3] >= boxes[None, :, 1]))
    return np.flatnonzero(meet.any(axis=1))


def _case(rng: np.random.Generator, trial: int) -> tuple[np.ndarray, np.ndarray]:
    n, m = int(rng.integers(1, 400)), int(rng.integers(1, 60))
    corner = rng.uniform(0, 100, (n, 2))
    bounds = np.c_[corner, corner + rng.exponential(rng.choice([0.2, 5.0, 60.0]), (n, 2))]
    if trial % 3 == 0:  # rows without a box: missing or empty geometries
        bounds[rng.integers(0, n, 3)] = np.nan
    if trial % 4 == 0:  # touching exactly: edges shared
        bounds[0] = [10.0, 10.0, 20.0, 20.0]
    low = rng.uniform(-10, 110, (m, 2))
    boxes = np.c_[low, low + rng.exponential(rng.choice([0.5, 10.0, 90.0]), (m, 2))]
    if trial % 4 == 0:
        boxes[0] = [20.0, 5.0, 30.0, 10.0]  # meets row 0 at its corner only
    if trial % 5 == 0:
        boxes[-1] = np.nan  # a site without a box counts for nothing
    return bounds, boxes


def test_the_matching_gives_the_rows_meeting_a_box():
    rng = np.random.default_rng(7)
    for trial in range(300):
        bounds, boxes = _case(rng, trial)
        assert np.array_equal(rows_meeting(bounds, boxes), _brute(bounds, boxes)), trial
        assert np.array_equal(rows_meeting(np.asfortranarray(bounds), boxes), _brute(bounds, boxes)), trial


def test_huge_rows_and_boxes_spanning_the_grid_are_matched(monkeypatch):
    monkeypatch.setattr(window, "SPAN_CELLS", 4)
    rng = np.random.default_rng(3)
    small = rng.uniform(0, 100, (500, 2))
    bounds = np.r_[np.c_[small, small + 0.5], [[-1e6, -1e6, 1e6, 1e6], [40.0, -50.0, 41.0, 150.0]]]
    low = rng.uniform(0, 100, (30, 2))
    boxes = np.r_[np.c_[low, low + 1.0], [[0.0, 49.0, 100.0, 50.0]]]  # a band across the grid
    assert np.array_equal(rows_meeting(bounds, boxes), _brute(bounds, boxes))


def test_a_row_far_wider_than_the_grid_still_meets_a_point_box():
    boxes = np.array([[500000.0, 3000000.0, 500000.0, 3000000.0]])  # one point: the grid's cells are tiny
    bounds = np.array([[-5e6, 2999000.0, 2e7, 3001000.0], [499000.0, 2999000.0, 501000.0, 3001000.0],
                       [-5e6, -5e6, -4e6, -4e6]])
    assert rows_meeting(bounds, boxes).tolist() == [0, 1] == _brute(bounds, boxes).tolist()


def test_a_geoparquet_dataset_gives_exactly_the_rows_meeting_the_boxes(tmp_path):
    from gis.engine import write_parquet
    from gis.layers import open_source
    from gis.synthetic import parcels

    field = parcels(120_000, origin=(120.6, 27.9), cell_m=(80.0, 60.0), seed=2)  # several files
    write_parquet(field, tmp_path / "p.parquet")
    assert len(list((tmp_path / "p.parquet").glob("*.parquet"))) > 1
    rng = np.random.default_rng(1)
    x0, y0, x1, y1 = field.total_bounds
    cx, cy = rng.uniform(x0, x1, 40), rng.uniform(y0, y1, 40)
    boxes = np.c_[cx, cy, cx + 0.004, cy + 0.003]
    got, _ = open_source(str(tmp_path / "p.parquet"), bbox=boxes)
    expected = _brute(shapely.bounds(field.geometry.values), boxes)
    assert sorted(got["id"]) == sorted(field["id"].iloc[expected])
    assert got.crs.equals(field.crs) and shapely.equals(
        got.set_index("id").geometry.sort_index().values, field.set_index("id").geometry.loc[
            sorted(got["id"])].values).all()


def test_a_geoparquet_dataset_keeps_rows_without_geometry_and_reads_around_them(tmp_path):
    """Missing and empty geometries have no place on the Hilbert curve: they are written last, not refused."""
    import pandas as pd

    from gis.engine import write_parquet
    from gis.layers import open_source

    shapes = [shapely.box(120.0 + k * 0.01, 28.0, 120.005 + k * 0.01, 28.005) for k in range(5)]
    frame = gpd.GeoDataFrame({"id": [f"p{k}" for k in range(7)]},
                             geometry=[shapes[0], None, shapes[1], shapely.Polygon(), *shapes[2:]], crs=4490)
    path = write_parquet(frame, tmp_path / "gaps.parquet", rows_per_partition=3)
    back = pd.concat([gpd.read_parquet(f) for f in sorted(path.glob("*.parquet"), key=lambda f: int(f.stem[5:]))])
    assert sorted(back["id"]) == sorted(frame["id"]) and list(back["id"][-2:]) == ["p1", "p3"]
    assert back.set_index("id").geometry.loc[["p1"]].isna().all() and back.set_index("id").geometry["p3"].is_empty
    got, _ = open_source(str(path), bbox=np.array([[120.009, 27.99, 120.031, 28.01]]))
    assert sorted(got["id"]) == ["p2", "p4", "p5"]


@pytest.mark.parametrize("suffix", ["gpkg", "fgb"])
def test_a_file_read_by_boxes_gives_the_same_features_as_read_whole(tmp_path, suffix):
    from gis.io import read_vector

    rng = np.random.default_rng(4)
    corner = rng.uniform(0, 0.5, (3000, 2)) + np.array([120.0, 28.0])
    frame = gpd.GeoDataFrame({"name": [f"地块{i}" for i in range(3000)], "code": rng.integers(0, 9, 3000),
                              "when": np.datetime64("2023-05-01") + rng.integers(0, 400, 3000).astype("m8[D]")},
                             geometry=shapely.box(corner[:, 0], corner[:, 1], corner[:, 0] + 0.002,
                                                  corner[:, 1] + 0.002), crs=4490)
    path = tmp_path / f"f.{suffix}"
    frame.to_file(path)
    boxes = np.array([[120.1, 28.1, 120.15, 28.12], [120.3, 28.3, 120.32, 28.4]])
    part, _ = read_vector(path, bbox=boxes)
    whole, _ = read_vector(path)
    expected = whole.iloc[_brute(shapely.bounds(whole.geometry.values), boxes)]
    assert 0 < len(part) < len(whole) / 10
    assert part.dtypes.to_dict() == whole.dtypes.to_dict()
    assert part.sort_values("name").drop(columns="geometry").reset_index(drop=True).equals(
        expected.sort_values("name").drop(columns="geometry").reset_index(drop=True))


def test_the_matching_of_points_far_apart_keeps_its_grid_within_bounds():
    """Point boxes and point rows (no size at all) a thousand km apart: cells as small as nothing, capped."""
    boxes = np.array([[0.0, 0.0, 0.0, 0.0], [1e6, 1e6, 1e6, 1e6], [5e5, 5e5, 5e5 + 1.0, 5e5 + 1.0]])
    rows = np.array([[0.0, 0.0, 0.0, 0.0], [1e6, 1e6, 1e6, 1e6], [3.0, 3.0, 3.0, 3.0], [5e5 + 1.0, 5e5, 5e5 + 2.0, 5e5],
                     [-1.0, -1.0, 2e6, -0.5]])
    assert rows_meeting(rows, boxes).tolist() == [0, 1, 3] == _brute(rows, boxes).tolist()


def _nest_and_overlap(block, inside) -> None:
    """Enter ``block`` here, in another thread and nested here; ``inside()`` holds throughout, and still once
    this thread has left while the other is in. Returns when the other has left too."""
    import threading

    entered, leave = threading.Event(), threading.Event()

    def other() -> None:
        with block():
            entered.set()
            leave.wait()

    with block():
        assert inside()
        thread = threading.Thread(target=other)
        thread.start()
        entered.wait()
        with block():  # nested in the same thread
            assert inside()
    assert inside()  # the other is still inside
    leave.set()
    thread.join()


def test_quick_handover_nests_and_overlaps_and_puts_the_interval_back():
    """Reviews on threads of a server: the first in sets the GIL's switch interval, the last out restores it."""
    import sys

    from gis.geometry import HANDOVER_S, quick_handover

    before = sys.getswitchinterval()
    _nest_and_overlap(quick_handover, lambda: sys.getswitchinterval() == pytest.approx(min(HANDOVER_S, before)))
    assert sys.getswitchinterval() == before


def test_collector_paused_nests_and_overlaps_and_resumes_only_what_ran():
    """The cyclic collector is paused while any review runs and resumed by the last out, unless it was off before."""
    import gc

    from gis.geometry import collector_paused

    assert gc.isenabled()
    _nest_and_overlap(collector_paused, lambda: not gc.isenabled())
    assert gc.isenabled()
    gc.disable()  # a caller that runs without the collector keeps it so
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()

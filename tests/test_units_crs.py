"""Units, rounding and coordinate systems."""

from __future__ import annotations

import numpy as np
import pytest

from gis import balanced_round, from_square_metres, gcj02_to_wgs84, round_half_up, to_square_metres, wgs84_to_gcj02
from gis.crs import gk_epsg, guess_crs
from gis.errors import InputError
from gis.units import normalize_unit


def test_units_are_exact():
    assert to_square_metres(1, "亩") == pytest.approx(2000 / 3, rel=1e-15)
    assert from_square_metres(1_000_000, "mu") == pytest.approx(1500)
    assert from_square_metres(10_000, "ha") == 1
    assert from_square_metres(20_000_000 / 3, "wanmu") == pytest.approx(1)
    assert to_square_metres(1, "km2") == 1e6
    assert normalize_unit("平方公里") == "km2"
    with pytest.raises(InputError, match="unknown area unit"):
        normalize_unit("acre")


def test_half_up_not_bankers():
    assert round_half_up(0.125, 2) == 0.13
    assert round_half_up(2.5, 0) == 3
    assert round_half_up(-0.0001, 2) == 0.0
    assert str(round_half_up(-0.0001, 2)) == "0.0"


def test_balanced_round_sums_to_rounded_total():
    rng = np.random.default_rng(3)
    for _ in range(200):
        parts = list(rng.random(rng.integers(2, 12)) * 1000)
        rounded = balanced_round(parts, 2)
        assert round(sum(rounded), 2) == round_half_up(sum(parts), 2)
        assert max(abs(r - p) for r, p in zip(rounded, parts, strict=True)) < 0.02


def test_gcj02_round_trip_is_sub_metre_everywhere_in_wenzhou():
    lon, lat = np.meshgrid(np.linspace(119.6, 121.3, 40), np.linspace(27.0, 28.6, 40))
    glon, glat = wgs84_to_gcj02(lon.ravel(), lat.ravel())
    shift_m = np.hypot((glon - lon.ravel()) * 98_000, (glat - lat.ravel()) * 111_000)
    assert shift_m.min() > 400  # GCJ-02 really moves points by hundreds of metres here
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    error_m = np.hypot((wlon - lon.ravel()) * 98_000, (wlat - lat.ravel()) * 111_000)
    assert error_m.max() < 0.01


def test_outside_china_is_unchanged():
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


def test_gk_codes_and_guesses():
    assert gk_epsg(120) == 4549 and gk_epsg(120, zone_prefix=True) == 4528
    assert gk_epsg(117) == 4548
    assert "EPSG:4528" in guess_crs((40_560_000, 3_090_000, 40_580_000, 3_100_000))[0]
    assert "EPSG:4549" in guess_crs((560_000, 3_090_000, 580_000, 3_100_000))[0]
    assert "EPSG:4490" in guess_crs((120.5, 27.8, 121.0, 28.1))[0]
    assert any("swapped" in g for g in guess_crs((27.8, 120.5, 28.1, 121.0)))


def test_rounding_many_groups_at_once_gives_what_each_group_gives_alone():
    from gis.units import balanced_round_groups, round_half_up_each

    rng = np.random.default_rng(11)
    values, groups, totals = [], [], []
    for k in range(400):
        n = int(rng.integers(1, 10))
        part = rng.choice([rng.uniform(0, 100, n), np.round(rng.uniform(0, 100, n), 3), np.full(n, 1 / 3)])
        values.extend(part)
        groups.extend([k] * n)
        totals.append(float(sum(part)) + float(rng.choice([0.0, 0.004, -0.004, 0.5])))
    together = balanced_round_groups(values, groups, totals, 2)
    groups = np.array(groups)
    for k, total in enumerate(totals):
        alone = balanced_round([values[i] for i in np.flatnonzero(groups == k)], 2, total=total)
        assert together[groups == k].tolist() == alone
    x = np.r_[rng.uniform(-1e5, 1e5, 5000), np.round(rng.uniform(0, 100, 5000), 3), [2.675, 312.43499999999995]]
    assert round_half_up_each(x, 2).tolist() == [round_half_up(float(v), 2) for v in x]
    # Numbers with no digit left to round, and what is no number, are kept by both (Decimal would refuse them).
    odd = [float("inf"), -float("inf"), 1e300, -3e16, 2.0**53 + 2]
    assert round_half_up_each(odd, 2).tolist() == [round_half_up(v, 2) for v in odd] == odd
    assert np.isnan(round_half_up(float("nan"), 2)) and np.isnan(round_half_up_each([float("nan")], 2)).all()

"""Progress bars (gis.progress): on standard error when it is a terminal, silent when piped or with --quiet."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pandas as pd
import pytest

import geopandas as gpd
import pyogrio

from gis import settings
from gis.layers import read_layer
from gis.progress import bar, enabled
from gis.synthetic import parcels

GIS = str(Path(sys.executable).with_name("gis"))
#: Every piece of work shows its bar, however small, and files are read in small batches.
SMALL = {"GIS_PROGRESS_ABOVE": "1", "GIS_BATCH_ABOVE": "1", "GIS_BATCH_SIZE": "100"}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def bars_on(monkeypatch):
    monkeypatch.setattr(settings, "progress", True)
    monkeypatch.setattr(settings, "progress_above", 10)


def test_a_bar_shows_on_a_terminal_for_big_work(bars_on, monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with bar(50, "measuring") as progress:
        progress.update(50)
    assert "gis: measuring" in terminal.getvalue() and "features" in terminal.getvalue()


def test_no_bar_for_small_work_off_a_terminal_or_when_off(bars_on, monkeypatch):
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert enabled(50) and not enabled(9) and not enabled(None)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # piped
    assert not enabled(50)
    monkeypatch.setattr(sys, "stderr", _Terminal())
    monkeypatch.setattr(settings, "progress", False)  # the library's default, and --quiet
    assert not enabled(50)
    with bar(50, "measuring") as progress:
        progress.update(50)
    assert sys.stderr.getvalue() == ""


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    folder = tmp_path_factory.mktemp("progress")
    corner = read_layer("zones").geometry.iloc[0].representative_point()
    gdf = parcels(1200, seed=5, origin=(corner.x, corner.y))  # across a zone's boundary: pairs to cut
    shifted = gdf.iloc[::10].copy()
    shifted["geometry"] = shifted.geometry.translate(xoff=2e-4)  # overlapping parcels: clusters to dissolve
    gdf = gpd.GeoDataFrame(pd.concat([gdf, shifted], ignore_index=True), crs=gdf.crs)
    path = folder / "p.gpkg"
    pyogrio.write_dataframe(gdf, path, layer="parcels", driver="GPKG")
    gdf.to_file(folder / "p.geojson", driver="GeoJSON")  # read whole, not in batches
    return folder


def _on_a_terminal(*args: str) -> tuple[int, str]:
    """Run ``gis ARGS`` with standard error on a pseudo-terminal; return the exit code and what it showed."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal 100 columns wide
    proc = subprocess.Popen([GIS, *args], stdout=subprocess.DEVNULL, stderr=follower, stdin=subprocess.DEVNULL,
                            env={**os.environ, **SMALL})
    os.close(follower)
    shown = bytearray()
    while True:  # until the process has closed the terminal
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return proc.wait(timeout=300), shown.decode("utf-8", "replace")


def _piped(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([GIS, *args], capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, **SMALL})


@pytest.mark.parametrize("args, what", [
    (("area", "{p}.gpkg", "--by", "land_use", "-o", "{out}.csv"), "gis: reading and measuring"),
    (("area", "{p}.geojson", "--by", "land_use", "-o", "{out}.csv"), "gis: measuring"),
    (("area", "{p}.geojson", "--by", "land_use", "-o", "{out}.csv"), "gis: dissolving"),
    (("overlay", "{p}.gpkg", "zones", "-o", "{out}.csv"), "gis: reading, overlaying and writing"),
    (("overlay", "{p}.geojson", "zones", "-o", "{out}.csv"), "gis: overlaying"),
])
def test_long_work_shows_a_bar_on_a_terminal_and_none_when_piped_or_quiet(big, tmp_path, args, what):
    argv = [a.format(p=big / "p", out=tmp_path / "out") for a in args]
    code, shown = _on_a_terminal(*argv, "--overwrite")
    assert code == 0, shown
    assert what in shown and "%" in shown
    piped = _piped(*argv, "--overwrite")
    assert piped.returncode == 0 and what not in piped.stderr and "%|" not in piped.stderr
    code, shown = _on_a_terminal("--quiet", *argv, "--overwrite")
    assert code == 0 and shown == ""  # no bar and no note
    code, shown = _on_a_terminal(*argv, "--overwrite", "-q")  # after the command too
    assert code == 0 and shown == ""

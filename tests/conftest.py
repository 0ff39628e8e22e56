"""Shared fixtures: the shipped layers, a CLI runner, and builders of bad files."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import geopandas as gpd

from gis.cli import main
from gis.layers import list_layers, read_layer

ROOT = Path(__file__).resolve().parents[1]
#: Run by Debian's system Python (PyQGIS), not imported by pytest.
collect_ignore = ["qgis_check.py"]

#: Fixtures that need something beyond Python, and the marker (declared in setup.cfg) a test using one gets.
#: Tests that need it without such a fixture carry the marker explicitly (the figure tests: cjk_font;
#: ``gis area --engine dask``: dask).
FIXTURE_MARKERS = {
    "browser": "browser",  # tests/test_maps.py: headless Chromium through Playwright
    "pg": "postgres",  # tests/test_scale.py: a PostgreSQL server with PostGIS
    "client": "dask",  # tests/test_scale.py: a Dask LocalCluster
}


def pytest_collection_modifyitems(config, items):
    """Mark each test by the fixtures it uses (directly or through other fixtures), so that
    ``pytest -m "not browser and not postgres and not dask and not cjk_font"`` runs the rest."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for fixture, marker in FIXTURE_MARKERS.items():
            if fixture in used:
                item.add_marker(marker)


@dataclass
class Run:
    code: int
    out: str
    err: str


#: Debian's Chromium, and the flags it runs with as root in a container.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's, driven by Playwright; no browser is downloaded) for the whole run."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is required (the README's test set-up installs it)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def pg():
    """A real PostgreSQL server with PostGIS for the whole run (Debian packages), stopped at the end."""
    from .pgserver import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return {name: read_layer(name) for name in list_layers()}


@pytest.fixture
def gis(capsys):
    """Run ``gis ARGS`` in-process; return exit code, stdout and stderr."""

    def run(*args: str) -> Run:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def gis_process():
    """Run the installed ``gis`` console command in a subprocess (as a planner would)."""

    def run(*args: str, cwd: Path | None = None, env: dict | None = None) -> Run:
        import os

        exe = Path(sys.executable).with_name("gis")
        proc = subprocess.run(
            [str(exe), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300, check=False,
            env={**os.environ, **(env or {})},
        )
        return Run(proc.returncode, proc.stdout, proc.stderr)

    return run


def write_geojson_file(path: Path, gdf: gpd.GeoDataFrame) -> Path:
    gdf.to_file(path, driver="GeoJSON")
    return path


def feature_collection(features: list[dict]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def pytest_terminal_summary(terminalreporter):
    """Print the bad-input and hostile-input corpus outcomes as tables of cases × commands."""
    from gis.table import format_table

    try:
        from tests.test_bad_input import COMMANDS, OUTCOMES
    except ImportError:
        OUTCOMES = {}
    if OUTCOMES:
        cases = list(dict.fromkeys(case for case, _ in OUTCOMES))
        rows = [[case, *[OUTCOMES.get((case, c), "-") for c in COMMANDS]] for case in cases]
        terminalreporter.write_sep("-", "bad-input corpus: outcome per command (ok / problems reported / one-line error)")
        terminalreporter.write_line(format_table(["case", *COMMANDS], rows))
    try:
        from tests.test_hostile import OUTCOMES as HOSTILE
    except ImportError:
        return
    if not HOSTILE:
        return
    cases = list(dict.fromkeys(case for case, _ in HOSTILE))
    rows = []
    for case in cases:
        runs = [(c, o) for (k, c), o in HOSTILE.items() if k == case and c != "_class"]
        cells = "; ".join(f"{c}: {'/'.join(o)}" for c, o in runs)
        rows.append([HOSTILE.get((case, "_class"), ["?"])[0], case, cells])
    terminalreporter.write_sep("-", "hostile-input corpus: class, case, outcome of each run by command")
    terminalreporter.write_line(format_table(["class", "case", "runs (command: outcomes)"], rows))

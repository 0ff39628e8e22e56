"""Settings of the toolkit, as typed module globals.

``layers_folder``
    Folder the shipped layers are read from. ``None`` (the default) means the
    ``layers/`` data installed with the package; set it, or the environment
    variable ``GIS_LAYERS_FOLDER``, to work on another copy.
``coordinate_precision``
    Decimal places of lon/lat written to GeoJSON layers (6 ≈ 0.1 m).
``area_tolerance``
    Relative difference between measured and documented area that
    ``gis check`` and reconciliation accept (0.05 = ±5 %).
``progress``
    Show progress bars on standard error (:mod:`gis.progress`). Off for the
    library; the command line turns it on unless ``--quiet``. A bar shows only
    when standard error is a terminal and the work is big.
``progress_above``
    Features (or vertices, for measuring) from which a bar is shown; the
    environment variable ``GIS_PROGRESS_ABOVE`` overrides it.
``batch_above``
    Features from which the command line reads a GeoPackage, FlatGeobuf or
    GeoParquet file in batches (:mod:`gis.stream`) instead of whole;
    ``GIS_BATCH_ABOVE`` overrides it.
``batch_size``
    Features per batch; ``GIS_BATCH_SIZE`` overrides it.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

layers_folder: Path | None = None
coordinate_precision: int = 6
area_tolerance: float = 0.05
progress: bool = False
progress_above: int = 200_000
batch_above: int = 200_000
batch_size: int = 65_536


def number(name: str) -> int:
    """Return the whole-number setting ``name`` (``progress_above``, ``batch_above``, ``batch_size``).

    The environment variable ``GIS_<NAME>`` overrides the module's value.

    Examples
    --------
    >>> number("batch_size") > 0
    True
    """
    env = os.environ.get(f"GIS_{name.upper()}")
    if env is not None and env.strip().isdigit():
        return int(env)
    return int(globals()[name])


def get_layers_folder() -> Path:
    """Return the folder the shipped layers are read from.

    Returns
    -------
    Path
        ``settings.layers_folder`` if set, else ``$GIS_LAYERS_FOLDER`` if set,
        else the ``layers/`` data installed with the package.
    """
    if layers_folder is not None:
        return Path(layers_folder)
    env = os.environ.get("GIS_LAYERS_FOLDER")
    if env:
        return Path(env)
    source_tree = Path(__file__).resolve().parents[1] / "layers"
    if source_tree.is_dir():  # a source checkout or an editable install
        return source_tree
    return Path(str(resources.files("gis") / "layerdata"))  # an installed wheel

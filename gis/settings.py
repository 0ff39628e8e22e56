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
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

layers_folder: Path | None = None
coordinate_precision: int = 6
area_tolerance: float = 0.05


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

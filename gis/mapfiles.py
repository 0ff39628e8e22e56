"""Where the shipped map definitions are, and their names — without parsing any.

:func:`maps_folder` finds ``maps/`` (of the source tree, the installed package's
``mapdata``, or ``$GIS_MAPS_FOLDER``) and :func:`list_maps` names the
definitions in it. Reading one is :func:`gis.mapdef.load_definition`; this
module imports nothing else, so that ``gis --help`` can name the maps at once.
"""

from __future__ import annotations

import os
from pathlib import Path


def maps_folder() -> Path:
    """Return the folder of the shipped map definitions (``maps/`` of the source tree, or ``$GIS_MAPS_FOLDER``)."""
    env = os.environ.get("GIS_MAPS_FOLDER")
    if env:
        return Path(env)
    source_tree = Path(__file__).resolve().parents[1] / "maps"
    if source_tree.is_dir():
        return source_tree
    from importlib import resources

    return Path(str(resources.files("gis") / "mapdata"))


def list_maps() -> list[str]:
    """Return the names of the shipped map definitions.

    Examples
    --------
    >>> "zhenan" in list_maps()
    True
    """
    return sorted(p.stem for p in maps_folder().glob("*.toml"))

"""The values the toolkit's options take, in a module without dependencies.

The command line builds its parser (and prints ``--help``) from these without
importing any library: the area methods, the basemaps, and the output formats
with the file suffixes that name them. :func:`output_format` decides the format
of an output: the one asked for, else the one the file's suffix names (``.txt``
the terminal's table), else the terminal table when there is no file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from gis.errors import InputError

#: Area methods (see :mod:`gis.area`).
METHODS: tuple[str, ...] = ("ellipsoidal", "geodesic", "planar")
#: Tiles a web map may draw under its layers (see :mod:`gis.maps`).
BASEMAPS: tuple[str, ...] = ("none", "osm", "tianditu", "tianditu-img")
#: Formats of a result table: the terminal's aligned text, CSV, JSON, Markdown and an XLSX workbook.
TABLE_FORMATS: tuple[str, ...] = ("table", "csv", "json", "markdown", "xlsx")
#: The format each output suffix names.
SUFFIX_FORMATS: dict[str, str] = {
    ".txt": "table", ".csv": "csv", ".json": "json", ".md": "markdown", ".markdown": "markdown", ".xlsx": "xlsx",
    ".pdf": "pdf",
}
#: Formats that are files, never printed.
FILE_FORMATS: tuple[str, ...] = ("xlsx", "pdf")


def output_format(output: str | os.PathLike[str] | None, fmt: str | None,
                  formats: Sequence[str] = TABLE_FORMATS) -> str:
    """Return the format to write: ``fmt`` if given, else the one the output's suffix names, else ``table``.

    Parameters
    ----------
    output : path-like, optional
        The output file; ``None`` for standard output.
    fmt : str, optional
        The format asked for; it overrides the suffix.
    formats : sequence of str
        The formats the caller writes.

    Raises
    ------
    InputError
        For a suffix that names no format of ``formats`` (and no ``format`` given), or a file format
        (XLSX, PDF) without an output file.

    Examples
    --------
    >>> output_format("面积.xlsx", None), output_format("x.md", None), output_format("x.txt", None)
    ('xlsx', 'markdown', 'table')
    >>> output_format("x.txt", "csv")
    'csv'
    >>> output_format(None, None)
    'table'
    """
    if fmt is None:
        if output is None:
            return "table"
        suffix = Path(output).suffix.lower()
        fmt = SUFFIX_FORMATS.get(suffix)
        if fmt is None or fmt not in formats:
            known = ", ".join(s for s, f in SUFFIX_FORMATS.items() if f in formats and s not in (".markdown", ".txt"))
            said = f"suffix {suffix!r}" if suffix else "no suffix"
            raise InputError(f"{output}: {said} names no output format; name the file {known}, "
                             "or choose one with `format`")
    if fmt not in formats:
        raise InputError(f"unknown `format` {fmt!r}; formats: {', '.join(formats)}")
    if fmt in FILE_FORMATS and output is None:
        raise InputError(f"{fmt} is a file: name it with `output` (FILE.{fmt})")
    return fmt

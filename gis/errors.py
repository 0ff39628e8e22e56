"""Exceptions of the toolkit.

Every error a user can cause (a wrong file, a wrong CRS, a missing field) is an
:class:`InputError`; the command line prints its message on one line and exits
non-zero without a traceback. Messages name the file, layer or feature and say
what to do next.
"""

from __future__ import annotations


class GisError(Exception):
    """Base class of every error raised by the toolkit."""


class InputError(GisError, ValueError):
    """A problem with what the user gave: a file, a layer name, an option."""


class DataSourceError(InputError):
    """A file that cannot be opened or read (missing, truncated, corrupt)."""


class LayerNotFoundError(InputError):
    """A layer name that is neither a shipped layer nor an existing file."""


class CRSError(InputError):
    """A missing, unknown or unusable coordinate reference system."""


class GeometryError(InputError):
    """Geometries of the wrong type, empty or invalid beyond repair."""


class FieldError(InputError):
    """A missing or malformed attribute field."""

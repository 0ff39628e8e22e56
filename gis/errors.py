"""Exceptions and warnings of the toolkit.

Every error a user can cause (a wrong file, a wrong CRS, a missing field, a bad
argument) is an :class:`InputError`; a configuration file that cannot be used
(a map definition, the rules, a review profile) is a :class:`ConfigError`; a
system resource the toolkit needs and does not find (a CJK font) is a
:class:`FontError`. Messages name the file, layer, feature or key, say what to
do next, and name the library's *parameters* in backticks (`` `crs` ``,
`` `overwrite=True` ``); the command line translates those names into its
flags in one place (:func:`gis.cli.cli_message`).

Everything the toolkit warns about is a :class:`GisWarning`.
"""

from __future__ import annotations


class GisError(Exception):
    """Base class of every error raised by the toolkit."""


class InputError(GisError, ValueError):
    """A problem with what the user gave: a file, a layer name, an argument."""


class DataSourceError(InputError):
    """A file or database that cannot be opened or read (missing, truncated, corrupt)."""


class LayerNotFoundError(InputError):
    """A layer name that is neither a shipped layer nor an existing file."""


class CRSError(InputError):
    """A missing, unknown or unusable coordinate reference system."""


class GeometryError(InputError):
    """Geometries of the wrong type, empty or invalid beyond repair."""


class FieldError(InputError):
    """A missing or malformed attribute field."""


class ConfigError(InputError):
    """A configuration file (TOML) that cannot be used: bad syntax, an unknown or missing key, a wrong value.

    The message is one line naming the file, the entry (a map layer, a rule) and the key.
    """


class WriteError(GisError, OSError):
    """An output that cannot be written (a full disk, no permission); the previous output is left as it was."""


class FontError(GisError, RuntimeError):
    """A system font the toolkit needs (a CJK font for Chinese figures) is not installed."""


class GisWarning(UserWarning):
    """Base class of every warning of the toolkit: something the user should know about a result."""

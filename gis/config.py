"""Reading configuration files (TOML) and checking their keys, with one-line errors.

Map definitions, the plans' rules and review profiles are data files. They are
parsed by :func:`load_toml` and their tables checked with :class:`Table`, which
raises :class:`~gis.errors.ConfigError` naming the file, the entry and the key,
e.g. ``maps/mine.toml: layer 2 (四区): `kind` 'area' is not one of polygon, line,
point, band``. Nothing is read twice: callers build their models from the
checked values.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from gis.errors import ConfigError

_MISSING = object()


def load_toml(path: str | os.PathLike[str], *, text: str | None = None) -> dict[str, Any]:
    """Parse a TOML file (or ``text`` read from it) into a dict.

    Parameters
    ----------
    path : path-like
        The file; named in error messages.
    text : str, optional
        The file's text, when the caller has it already (e.g. from package resources).

    Returns
    -------
    dict
        The parsed document.

    Raises
    ------
    ConfigError
        If the file is missing, not UTF-8, or not valid TOML (with the line and column).
    """
    label = _label(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{label}: no such file") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{label}: not UTF-8 text; save it as UTF-8") from None
        except OSError as exc:
            raise ConfigError(f"{label}: cannot read it: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: invalid TOML: {exc}") from None


def _label(path: str | os.PathLike[str]) -> str:
    p = Path(path)
    return f"{p.parent.name}/{p.name}" if p.parent.name else p.name


class Table:
    """One table of a configuration file, whose keys are taken one by one and checked.

    Parameters
    ----------
    data : mapping
        The table's values.
    path : path-like
        The file, for messages.
    where : str
        Which entry of the file this is (e.g. ``"layer 2 (四区)"``); empty for the top level.

    Examples
    --------
    >>> t = Table({"zoom": 11}, "maps/x.toml", "")
    >>> t.number("zoom", minimum=1, maximum=19, integer=True)
    11
    >>> t.done()
    """

    def __init__(self, data: Mapping[str, Any], path: str | os.PathLike[str], where: str = "") -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{_label(path)}: {where or 'the file'} must be a table")
        self.data = dict(data)
        self.path = path
        self.where = where
        self._taken: set[str] = set()

    def fail(self, message: str) -> ConfigError:
        """Return a :class:`ConfigError` for this table: ``file: entry: message``."""
        prefix = f"{_label(self.path)}: " + (f"{self.where}: " if self.where else "")
        return ConfigError(prefix + message)

    def _get(self, key: str, default: Any) -> Any:
        self._taken.add(key)
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise self.fail(f"`{key}` is missing")
            return default
        return value

    def text(self, key: str, default: Any = _MISSING, *, choices: Collection[str] | None = None) -> Any:
        """Return a non-empty string (or ``default`` when the key is absent)."""
        value = self._get(key, default)
        if value is default and key not in self.data:
            return value
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"`{key}` must be a non-empty string, got {value!r}")
        if choices is not None and value not in choices:
            raise self.fail(f"`{key}` {value!r} is not one of {', '.join(choices)}")
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        """Return a boolean."""
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"`{key}` must be true or false, got {value!r}")
        return value

    def number(self, key: str, default: Any = _MISSING, *, minimum: float | None = None,
               maximum: float | None = None, integer: bool = False) -> Any:
        """Return a finite number within ``[minimum, maximum]``."""
        value = self._get(key, default)
        if value is default and key not in self.data:
            return value
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok or not math.isfinite(value):
            kind = "an integer" if integer else "a number"
            raise self.fail(f"`{key}` must be {kind}, got {value!r}")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise self.fail(f"`{key}` {value!r} must lie between {minimum:g} and {maximum:g}")
        return value

    def table(self, key: str, default: Any = _MISSING) -> Any:
        """Return a sub-table (a dict)."""
        value = self._get(key, default)
        if value is default and key not in self.data:
            return value
        if not isinstance(value, Mapping):
            raise self.fail(f"`{key}` must be a table ({{ … }}), got {value!r}")
        return dict(value)

    def items(self, key: str, default: Any = _MISSING) -> Any:
        """Return a list (an array, or an array of tables)."""
        value = self._get(key, default)
        if value is default and key not in self.data:
            return value
        if not isinstance(value, list):
            raise self.fail(f"`{key}` must be an array ([ … ]), got {value!r}")
        return value

    def raw(self, key: str, default: Any = None) -> Any:
        """Return a value as it is (the caller checks it)."""
        return self._get(key, default)

    def done(self, *, extra_ok: bool = False) -> None:
        """Refuse keys no one took (a typo such as ``colour`` for ``classes`` must not pass silently)."""
        unknown = sorted(set(self.data) - self._taken)
        if unknown and not extra_ok:
            known = ", ".join(sorted(self._taken))
            raise self.fail(f"unknown key `{unknown[0]}`; the keys are: {known}")

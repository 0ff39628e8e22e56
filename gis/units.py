"""Area units of Chinese planning and the rounding that land surveys use.

Units: ``m2`` (平方米), ``ha`` (公顷), ``mu`` (亩, exactly 2000/3 m²), ``km2``
(平方公里) and ``wanmu`` (万亩). Rounding is half-up (四舍五入), not Python's
round-half-even; where rounded parts are shown with their total, the parts are
balanced so that they add up to the rounded total (强制调平), as survey
roll-ups do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from gis.errors import InputError

if TYPE_CHECKING:
    import numpy as np

#: Square metres in one unit, exact.
SQUARE_METRES: dict[str, Fraction] = {
    "m2": Fraction(1),
    "ha": Fraction(10_000),
    "mu": Fraction(2000, 3),
    "km2": Fraction(1_000_000),
    "wanmu": Fraction(20_000_000, 3),
}

#: Chinese label of each unit, as tables print it.
LABELS: dict[str, str] = {
    "m2": "平方米",
    "ha": "公顷",
    "mu": "亩",
    "km2": "平方公里",
    "wanmu": "万亩",
}

_ALIASES: dict[str, str] = {
    "m2": "m2", "m²": "m2", "平方米": "m2", "sqm": "m2",
    "ha": "ha", "hectare": "ha", "公顷": "ha",
    "mu": "mu", "亩": "mu",
    "km2": "km2", "km²": "km2", "平方公里": "km2", "平方千米": "km2",
    "wanmu": "wanmu", "万亩": "wanmu",
}


#: The factors as floats, by canonical key (the fast path of the conversions).
_FACTORS: dict[str, float] = {key: float(value) for key, value in SQUARE_METRES.items()}


def normalize_unit(unit: str) -> str:
    """Return the canonical key (``m2``, ``ha``, ``mu``, ``km2``, ``wanmu``) of a unit.

    Parameters
    ----------
    unit : str
        A key or a Chinese name such as ``"亩"`` or ``"公顷"``.

    Returns
    -------
    str
        The canonical key.

    Raises
    ------
    InputError
        If the unit is not an area unit the toolkit knows.

    Examples
    --------
    >>> normalize_unit("万亩")
    'wanmu'
    """
    key = _ALIASES.get(str(unit).strip().lower()) or _ALIASES.get(str(unit).strip())
    if key is None:
        known = ", ".join(SQUARE_METRES)
        raise InputError(f"unknown area unit {unit!r}; use one of {known} (or 亩, 公顷, 平方公里, 万亩)")
    return key


def to_square_metres(value, unit: str):
    """Convert an area in ``unit`` to square metres.

    Parameters
    ----------
    value : float or array-like
        Area(s) in ``unit``.
    unit : str
        Any name :func:`normalize_unit` accepts.

    Returns
    -------
    float or numpy.ndarray
        Area(s) in m².

    Examples
    --------
    >>> to_square_metres(1500, "亩")
    1000000.0
    """
    factor = _FACTORS.get(unit) or float(SQUARE_METRES[normalize_unit(unit)])
    if isinstance(value, float | int):
        return float(value) * factor
    import numpy as np

    return np.asarray(value, dtype=float) * factor if np.ndim(value) else float(value) * factor


def from_square_metres(value, unit: str):
    """Convert an area in square metres to ``unit``.

    Examples
    --------
    >>> from_square_metres(1_000_000, "mu")
    1500.0
    """
    factor = _FACTORS.get(unit) or float(SQUARE_METRES[normalize_unit(unit)])
    if isinstance(value, float | int):
        return float(value) / factor
    import numpy as np

    return np.asarray(value, dtype=float) / factor if np.ndim(value) else float(value) / factor


def round_half_up(value: float, ndigits: int = 2) -> float:
    """Round half away from zero (四舍五入), as survey tables do.

    Parameters
    ----------
    value : float
        The number to round.
    ndigits : int
        Decimal places to keep.

    Returns
    -------
    float
        The rounded number.

    Examples
    --------
    >>> round_half_up(2.675, 2), round(2.5), round_half_up(2.5, 0)
    (2.68, 2, 3.0)
    """
    value = float(value)
    scaled = value * 10.0**ndigits
    if not math.isfinite(scaled) or abs(scaled) >= 2**52:
        # Not a number, or no digit left at that place: a float this big has none to round away.
        return value + 0.0
    if abs(abs(scaled) % 1.0 - 0.5) > 1e-6:
        # Far from a half: ordinary rounding gives the same digits, without Decimal's cost.
        return round(value, ndigits) + 0.0
    quantum = Decimal(1).scaleb(-ndigits)
    # repr() gives the shortest decimal that round-trips, so 2.675 stays 2.675.
    rounded = float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))
    return rounded + 0.0  # no negative zero


def balanced_round(parts: Sequence[float], ndigits: int = 2, total: float | None = None) -> list[float]:
    """Round parts so that they add up to their rounded total (强制调平).

    Each part is rounded half-up; the difference between the rounded total and
    the sum of rounded parts is then given, one quantum at a time, to the parts
    whose rounding moved them furthest (largest remainder method).

    Parameters
    ----------
    parts : sequence of float
        The unrounded parts.
    ndigits : int
        Decimal places to keep.
    total : float, optional
        The unrounded total the parts must match; defaults to their sum.

    Returns
    -------
    list of float
        Rounded parts whose sum equals ``round_half_up(total, ndigits)``.

    Examples
    --------
    >>> balanced_round([1/3, 1/3, 1/3], 2)
    [0.34, 0.33, 0.33]
    """
    values = [float(p) for p in parts]
    if not values:
        return []
    scale = 10**ndigits
    target = round(round_half_up(sum(values) if total is None else total, ndigits) * scale)
    rounded = [round(round_half_up(v, ndigits) * scale) for v in values]
    gap = target - sum(rounded)
    step = 1 if gap > 0 else -1
    # The parts whose exact value lies furthest in the direction of the gap take the quanta.
    order = sorted(range(len(values)), key=lambda i: -(values[i] * scale - rounded[i]) * step)
    for k in range(abs(gap)):
        rounded[order[k % len(order)]] += step
    return [r / scale for r in rounded]


def round_half_up_each(values, ndigits: int = 2) -> np.ndarray:
    """Round an array as :func:`round_half_up` rounds each of its numbers, to the same digits.

    The one rounding of arrays: every table, report and the workbench round through it or
    :func:`round_half_up`. Numbers far from a half are rounded by NumPy (the same digits as
    ``round``); the few within 10⁻⁶ of a half by :func:`round_half_up` itself (so 2.675, stored as
    2.67499…, gives 2.68, and 312.43499999999995 gives 312.43); NaN, infinities and numbers with no
    digit at that place are kept.

    Examples
    --------
    >>> round_half_up_each([2.675, 312.43499999999995, 1/3, -2.5, float("inf")], 2).tolist()
    [2.68, 312.43, 0.33, -2.5, inf]
    """
    import numpy as np

    values = np.asarray(values, dtype=float)
    scaled = values * 10.0**ndigits
    with np.errstate(invalid="ignore", over="ignore"):
        kept = ~np.isfinite(scaled) | (np.abs(scaled) >= 2**52)
        near = ~kept & (np.abs(np.abs(scaled) % 1.0 - 0.5) <= 1e-6)
        out = np.round(values, ndigits) + 0.0
    out[kept] = values[kept] + 0.0
    for k in np.flatnonzero(near):
        out[k] = round_half_up(float(values[k]), ndigits)
    return out


def balanced_round_groups(parts, groups, totals, ndigits: int = 2) -> np.ndarray:
    """Round many groups of parts at once, as :func:`balanced_round` rounds one (强制调平 per group).

    Parameters
    ----------
    parts : array of float
        The unrounded parts, of all groups.
    groups : array of int
        The group of each part, ``0 … len(totals) - 1``.
    totals : array of float
        The unrounded total each group's parts must match once rounded.
    ndigits : int
        Decimal places to keep.

    Returns
    -------
    numpy.ndarray
        The rounded parts; each group's add up to its rounded total.

    Examples
    --------
    >>> balanced_round_groups([1/3, 1/3, 1/3, 0.125, 0.125], [0, 0, 0, 1, 1], [1.0, 0.25], 2).tolist()
    [0.34, 0.33, 0.33, 0.12, 0.13]
    >>> balanced_round([0.125, 0.125], 2)
    [0.12, 0.13]
    """
    import numpy as np

    values = np.asarray(parts, dtype=float)
    groups = np.asarray(groups, dtype=np.int64)
    totals = np.asarray(totals, dtype=float)
    if not len(values):
        return np.zeros(0)
    scale = 10**ndigits
    rounded = np.rint(round_half_up_each(values, ndigits) * scale).astype(np.int64)
    target = np.rint(round_half_up_each(totals, ndigits) * scale).astype(np.int64)
    gap = target - np.bincount(groups, weights=rounded, minlength=len(totals)).astype(np.int64)
    step = np.sign(gap)
    # Within each group, the parts whose exact value lies furthest in the direction of the gap first (ties in
    # their order), each taking one quantum in turn until the gap is closed.
    key = -(values * scale - rounded) * step[groups]
    order = np.lexsort((np.arange(len(values)), key, groups))
    size = np.bincount(groups, minlength=len(totals))
    first = np.cumsum(size) - size
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(len(values)) - np.repeat(first, size)
    need = np.abs(gap)[groups]
    members = np.maximum(size[groups], 1)
    quanta = need // members + (rank < need % members)
    return (rounded + quanta * step[groups]) / scale

"""Plain-text tables that keep Chinese text aligned.

Chinese characters take two terminal columns; :func:`display_width` counts
them so (``wcwidth``, the terminal's own rules: wide and full-width characters,
combining marks that take none), and :func:`format_table` pads by display
width, numbers to the right.
Every cell is made inert first (:func:`gis.safe.inert`): a name cannot carry
escape sequences or line breaks into the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence

from wcwidth import wcswidth

from gis.safe import inert


def display_width(text: str) -> int:
    """Return the number of terminal columns ``text`` takes.

    Examples
    --------
    >>> display_width("南塘工业区"), display_width("abc"), display_width("e\u0301")
    (10, 3, 1)
    """
    width = wcswidth(text)
    return width if width >= 0 else len(text)  # a control character (cells are inert, so not here)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    align_right: Sequence[bool] | None = None,
) -> str:
    """Format rows as an aligned plain-text table.

    Parameters
    ----------
    headers : sequence of str
        Column headers.
    rows : sequence of sequences
        Cell values; ``None`` prints as ``-``.
    align_right : sequence of bool, optional
        Which columns to right-align; by default columns whose values are all numbers.

    Returns
    -------
    str
        The table, one line per row, with a rule under the headers.
    """
    cells = [["-" if v is None else inert(v) for v in row] for row in rows]
    headers = [inert(h) for h in headers]
    if align_right is None:
        align_right = [
            bool(rows) and all(isinstance(r[i], int | float) or r[i] is None for r in rows)
            for i in range(len(headers))
        ]
    widths = [
        max([display_width(h)] + [display_width(c[i]) for c in cells]) for i, h in enumerate(headers)
    ]
    lines = ["  ".join(_pad(h, w, r) for h, w, r in zip(headers, widths, align_right, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for c in cells:
        lines.append("  ".join(_pad(v, w, r) for v, w, r in zip(c, widths, align_right, strict=True)))
    return "\n".join(line.rstrip() for line in lines)

"""Progress bars on standard error for long work: reading, measuring, dissolving, overlaying, writing.

:func:`bar` returns a tqdm bar when bars are on (:data:`gis.settings.progress`,
which the command line turns on unless ``--quiet``), standard error is a
terminal, and the work is at least ``settings.progress_above`` items; otherwise
a silent stand-in with the same ``update``/``close`` methods. tqdm is imported
only for a bar that shows.
"""

from __future__ import annotations

import sys

from gis import settings


class _Silent:
    """A bar that shows nothing."""

    def update(self, n: int = 1) -> None:
        """Count ``n`` more items (nothing to show)."""

    def close(self) -> None:
        """Finish (nothing to show)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


def enabled(total: int | None) -> bool:
    """Return whether a bar for ``total`` items would show (bars on, a terminal, big enough work)."""
    if not settings.progress or total is None or total < settings.number("progress_above"):
        return False
    stream = sys.stderr
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())


def bar(total: int | None, what: str, *, unit: str = "features"):
    """Return a progress bar for ``total`` items of work named ``what`` (``gis: reading`` …), or a silent one.

    Examples
    --------
    >>> with bar(10, "measuring") as b:
    ...     b.update(10)
    """
    if not enabled(total):
        return _Silent()
    from tqdm import tqdm

    return tqdm(total=total, desc=f"gis: {what}", unit=f" {unit}", unit_scale=True, file=sys.stderr, leave=False,
                dynamic_ncols=True, mininterval=0.2)

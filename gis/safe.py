"""Attribute text is data: neutralised for terminals, spreadsheets and HTML.

A name in a planner's file may hold anything. Before it reaches a person it is
made inert for the medium that shows it:

* :func:`inert` — for a terminal or a log line: control characters (escape
  sequences, newlines, carriage returns, bidirectional overrides) are shown as
  visible escapes, so a name cannot recolour the terminal, move the cursor or
  print a fake line of output;
* :func:`spreadsheet_text` — for a CSV or XLSX cell: text that a spreadsheet
  would run as a formula (beginning with ``= + - @``, a tab or a carriage
  return; OWASP's rule) is prefixed with ``'``; numbers stay numbers;
* :func:`html_text` — for a web page: HTML-escaped.
"""

from __future__ import annotations

import html
import math
import re
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: Characters that start a formula in Excel, LibreOffice and Google Sheets.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape_char(match: re.Match) -> str:
    ch = match.group(0)
    return _NAMED.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")


def inert(text: object) -> str:
    r"""Return ``text`` safe to print on a terminal: control and bidi characters as visible escapes.

    Examples
    --------
    >>> print(inert("园区\x1b[31m红"))
    园区\x1b[31m红
    >>> print(inert("a\nb"))
    a\nb
    """
    return _UNSAFE.sub(_escape_char, str(text))


def spreadsheet_text(value: object) -> object:
    """Return a cell value that a spreadsheet shows as text, never runs as a formula.

    Examples
    --------
    >>> print(spreadsheet_text('=HYPERLINK("http://x.invalid","y")'))
    '=HYPERLINK("http://x.invalid","y")
    >>> spreadsheet_text(-5), spreadsheet_text("南塘")
    (-5, '南塘')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` with every text cell (and column name) passed through :func:`spreadsheet_text`."""
    import pandas as pd

    out = table.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = [spreadsheet_text(v) for v in out[col]]
    out.columns = [spreadsheet_text(c) for c in out.columns]
    return out


def html_text(value: object) -> str:
    """Return a value as escaped HTML text (``None``, NaN and pandas' NA give an empty string)."""
    pandas = sys.modules.get("pandas")  # a pandas NA exists only where pandas is loaded
    if value is None or (pandas is not None and value is pandas.NA) or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


#: Characters that Markdown reads as markup (links, images, emphasis, code, tables, HTML), escaped in text.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|!#~])")


def markdown_text(value: object) -> str:
    r"""Return ``value`` as Markdown text that renders as itself: never a link, an image, emphasis or HTML.

    Line breaks become spaces (a table row stays one row), other control characters visible escapes
    (:func:`inert`), and the characters Markdown reads as markup are backslash-escaped. Missing values
    (``None``, NaN) are empty.

    Examples
    --------
    >>> print(markdown_text("![x](http://evil.example/p.png) [点](javascript:alert(1)) a|b <b>"))
    \!\[x\](http://evil.example/p.png) \[点\](javascript:alert(1)) a\|b \<b\>
    >>> print(markdown_text("甲\r\n乙"))
    甲 乙
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = re.sub(r"[\r\n\u2028\u2029]+", " ", str(value))
    return _MARKDOWN.sub(r"\\\1", inert(text))

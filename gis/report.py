"""Rendering result tables as aligned text, CSV, JSON or Markdown, and writing them safely.

Text tables carry Chinese headers and keep Chinese names aligned, every cell
inert for the terminal; CSV is UTF-8 with a byte-order mark so that Excel opens
it right, and no text cell can run as a formula (:func:`gis.safe.spreadsheet_text`); JSON is an array of row
objects with the same keys as the CSV header (``null`` for an empty cell); Markdown is a titled pipe table
with the Chinese headers, every cell inert and escaped. (The workbook of a table is
:func:`gis.reports.table_sheet` written by :func:`gis.export.write_tables`.)
Writing goes through :func:`gis.io.atomic_write`.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

from gis.errors import InputError
from gis.io import atomic_write
from gis.safe import markdown_text, spreadsheet_frame
from gis.table import format_table
from gis.units import from_square_metres, round_half_up

#: The text formats :func:`render` writes.
FORMATS: tuple[str, ...] = ("table", "csv", "json", "markdown")

#: Chinese headers of every table the toolkit prints or writes for people (terminal, workbook, CSV, PostGIS).
HEADERS: dict[str, str] = {
    "id": "编号", "name": "名称", "feature": "要素", "features": "要素数", "scheme": "布局方案", "role": "功能",
    "status": "状态", "period": "期限", "district": "所在区", "land_use": "用地用海代码", "parent": "上级",
    "area_m2": "面积（平方米）", "sum_m2": "直接相加（平方米）", "overlap_m2": "重叠（平方米）",
    "area_ha": "面积（公顷）", "area_mu": "面积（亩）", "area_km2": "面积（平方公里）", "area_wanmu": "面积（万亩）",
    "sum_mu": "直接相加（亩）", "documented": "文件面积", "documented_area": "文件面积",
    "documented_area_unit": "单位", "parent_name": "上级名称",
    "documented_m2": "文件面积（平方米）", "documented_mu": "文件面积（亩）",
    "measured_m2": "量算面积（平方米）", "measured_in_unit": "量算面积（同单位）", "diff_pct": "差异（%）",
    "flag": "核对", "total": "合计行",
    "project_id": "项目编号", "project_name": "项目名称", "zone_id": "分区编号", "zone_name": "分区名称",
    "area_inside_m2": "区内面积（平方米）", "area_inside_mu": "区内面积（亩）", "length_inside_m": "区内长度（米）",
    "share_inside": "区内占比", "project_area_m2": "项目面积（平方米）", "site_id": "选址编号",
    "site_name": "选址名称", "layer": "图层", "feature_id": "要素编号", "feature_name": "要素名称", "share": "占比",
    "rule": "规则", "verdict": "结论", "source": "出处", "detail": "说明", "text": "条文", "class": "类别",
    "zone_area_m2": "分区面积（平方米）", "subject_ids": "涉及要素", "failing_ids": "未通过要素",
}


def fixed(value: float, digits: int) -> str:
    """Return a number as people read it: rounded half-up (as :func:`gis.units.round_half_up`), thousands separated.

    Examples
    --------
    >>> fixed(1234.005, 2), fixed(0.125, 2), fixed(-0.0, 0)
    ('1,234.01', '0.13', '0')
    """
    return f"{round_half_up(float(value), digits):,.{digits}f}"


def cited(source: object) -> str:
    """Return a ``source`` as people read it: 《title》（文号）clause (:func:`gis.plans.describe`).

    Where the layers folder declares no plans (no ``plans.toml``), the source is given as it is.

    Examples
    --------
    >>> cited("002_ff2ba24ae00558cb.txt 附表 序号43")
    '《洞头区工业和信息化发展“十三五”规划》附表 序号43'
    """
    from gis.plans import PlansError, describe

    if not isinstance(source, str):
        return ""
    try:
        return describe(source) or source
    except PlansError:
        return source


def _clean(value):
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def records(table: pd.DataFrame) -> list[dict]:
    """Return the rows of ``table`` as JSON-ready dicts (``None`` for empty cells)."""
    return [{k: _clean(v) for k, v in row.items()} for row in table.to_dict(orient="records")]


def drop_empty(table: pd.DataFrame, columns: tuple[str, ...] = ("sum_m2", "overlap_m2", "sum_mu")) -> pd.DataFrame:
    """Drop the given columns where they say nothing (all empty, or no overlap anywhere)."""
    keep = []
    overlap = "overlap_m2" in table and pd.to_numeric(table["overlap_m2"], errors="coerce").fillna(0).gt(0).any()
    for c in table.columns:
        if c in columns and (not overlap or table[c].isna().all()):
            continue
        keep.append(c)
    return table[keep]


def _csv_ready(table: pd.DataFrame, whole_numbers: bool = True) -> pd.DataFrame:
    """Return ``table`` as CSV should spell it: ``true``/``false`` (not Python's ``True``), counts without ``.0``."""
    out = table.copy()
    for col in out.columns:
        values = out[col]
        present = values.dropna()
        if len(present) and all(isinstance(v, bool | np.bool_) for v in present):
            out[col] = [None if pd.isna(v) else ("true" if v else "false") for v in values]
        elif (whole_numbers and pd.api.types.is_float_dtype(values) and len(present)
              and bool(np.all(np.mod(present, 1) == 0))):
            out[col] = values.astype("Int64")
    return out


def csv_text(table: pd.DataFrame, *, header: bool = True, whole_numbers: bool = True) -> str:
    """Return a table as CSV text: RFC 4180 line ends (so a value holding a CR or LF is quoted), inert cells.

    Booleans are written ``true``/``false`` and whole-number columns without a
    decimal point (``8``, not ``8.0``) — unless ``whole_numbers=False``, for a table
    written in parts (a part cannot know whether the whole column is whole numbers);
    ``header=False`` leaves out the header line (the parts after the first).

    Examples
    --------
    >>> csv_text(pd.DataFrame({"name": ["=1+1", "b"], "n": [1, 2]})).splitlines()[1]
    "'=1+1,1"
    >>> csv_text(pd.DataFrame({"features": [8.0, None], "total": [False, True]})).splitlines()[1:]
    ['8,false', ',true']
    """
    buffer = io.StringIO()
    spreadsheet_frame(_csv_ready(table, whole_numbers)).to_csv(buffer, index=False, lineterminator="\r\n",
                                                               header=header)
    return buffer.getvalue()


def render(table: pd.DataFrame, fmt: str, *, title: str | None = None, headers: Mapping[str, str] = HEADERS) -> str:
    """Render a table as ``table`` (aligned text), ``csv`` or ``json``.

    Parameters
    ----------
    table : pandas.DataFrame
        The rows.
    fmt : {"table", "csv", "json", "markdown"}
        The format.
    title : str, optional
        A line printed above a text table (a heading above a Markdown one).
    headers : mapping
        Chinese headers of the text format.

    Returns
    -------
    str
        The rendered text, ending in a newline.
    """
    if fmt == "json":
        return json.dumps(records(table), ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        return csv_text(table)
    if fmt == "markdown":
        return markdown_table(table, title=title, headers=headers)
    if fmt != "table":
        raise InputError(f"unknown `format` {fmt!r}; formats: {', '.join(FORMATS)}")
    shown = table.drop(columns=[c for c in ("total",) if c in table.columns])
    rows = [[_clean(v) for v in row] for row in shown.itertuples(index=False)]
    text = format_table([headers.get(c, c) for c in shown.columns], rows)
    return (f"{title}\n" if title else "") + text + "\n"


def _md_cell(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    return markdown_text(value)


def markdown_table(table: pd.DataFrame, *, title: str | None = None, headers: Mapping[str, str] = HEADERS) -> str:
    r"""Return a table as Markdown: an optional ``##`` title, Chinese headers, numbers right-aligned.

    Every cell is inert (no control characters) and escaped (``|``, ``\``, `````, ``<``), so that a name
    cannot break the table or become markup.

    Examples
    --------
    >>> print(markdown_table(pd.DataFrame({"name": ["a|b"], "area_m2": [1.5]})), end="")
    | 名称 | 面积（平方米） |
    |---|---:|
    | a\|b | 1.5 |
    """
    shown = table.drop(columns=[c for c in ("total",) if c in table.columns])
    numeric = [pd.api.types.is_numeric_dtype(shown[c]) and not pd.api.types.is_bool_dtype(shown[c])
               for c in shown.columns]
    lines = [f"## {_md_cell(title)}", ""] if title else []
    lines.append("| " + " | ".join(_md_cell(headers.get(c, c)) for c in shown.columns) + " |")
    lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
    for row in shown.itertuples(index=False):
        lines.append("| " + " | ".join(_md_cell(_clean(v)) for v in row) + " |")
    return "\n".join(lines) + "\n"


def render_sections(sections, fmt: str, *, csv_section: bool = False,
                    headers: Mapping[str, str] = HEADERS) -> str:
    """Render several titled tables (``(name, title, table)`` triples) as one text.

    ``table`` and ``markdown`` give each table under its title; ``json`` an object of the tables' rows by
    name; ``csv`` one table with a ``section`` column first (``csv_section``) or the tables one after
    the other.
    """
    if fmt == "json":
        return json.dumps({name: records(t) for name, _, t in sections}, ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv" and csv_section:
        combined = pd.concat([t.assign(section=name) for name, _, t in sections], ignore_index=True)
        return csv_text(combined[["section", *[c for c in combined.columns if c != "section"]]])
    return "\n".join(render(t, fmt, title=title, headers=headers) for _, title, t in sections)


def emit(text: str, output: str | os.PathLike[str] | None, *, fmt: str, overwrite: bool = False) -> None:
    """Print ``text`` or write it to ``output`` atomically (CSV with a BOM for Excel).

    An existing ``output`` is replaced only with ``overwrite=True``.
    """
    if output is None:
        print(text, end="")
        return
    if fmt == "csv":
        with atomic_write(output, overwrite=overwrite, mode="wb") as handle:
            handle.write(text.encode("utf-8-sig"))
        return
    with atomic_write(output, overwrite=overwrite) as handle:
        handle.write(text)


def emit_parts(parts, output: str | os.PathLike[str] | None, *, fmt: str, overwrite: bool = False) -> int:
    """Write a table that comes in parts (``csv`` or ``json``) as the parts come; return the rows written.

    The text is that of :func:`render` of the whole table (CSV: one header; JSON: one array of row
    objects), except that CSV keeps a float column's decimal point (``whole_numbers=False``); only one
    part is in memory at a time. A file is written through :func:`gis.io.atomic_write` (CSV with a BOM)
    and appears only once complete.
    """
    if fmt not in ("csv", "json"):
        raise InputError(f"a table in parts is written as csv or json, not `format` {fmt!r}")
    written = 0

    def pieces():
        nonlocal written
        started = False
        for part in parts:
            if fmt == "csv":
                if started and not len(part):
                    continue
                text = csv_text(part, header=not started, whole_numbers=False)
                yield ("\ufeff" + text) if not started and output is not None else text
            else:
                for row in records(part):
                    yield ("[\n" if written == 0 else ",\n") + json.dumps([row], ensure_ascii=False, indent=1)[2:-2]
                    written += 1
                continue
            started = True
            written += len(part)
        if fmt == "json":
            yield "\n]\n" if written else "[]\n"

    if output is None:
        for text in pieces():
            print(text, end="")
        return written
    with atomic_write(output, overwrite=overwrite) as handle:
        for text in pieces():
            handle.write(text)
    return written


def for_terminal(table: pd.DataFrame, *, mu_of: tuple[str, ...] = ("area_m2", "area_inside_m2")) -> pd.DataFrame:
    """Return a result table as the terminal shows it: 亩 beside the m² columns, figures rounded.

    For each column of ``mu_of`` present, a ``…_mu`` column (亩, 2 decimals) is
    added after it unless the table has one; ``…_m2`` columns are rounded to 2
    decimals and shares to 4, half-up (:func:`gis.units.round_half_up`).
    """
    out = table.copy()
    for col in mu_of:
        mu = col[: -len("_m2")] + "_mu"
        if col in out.columns and mu not in out.columns:
            values = [None if pd.isna(v) else round_half_up(float(from_square_metres(float(v), "mu")), 2)
                      for v in out[col]]
            out.insert(out.columns.get_loc(col) + 1, mu, values)
    for col in out.columns:
        digits = 2 if col.endswith("_m2") or col.endswith("_m") else 4 if col.startswith("share") else None
        if digits is not None and pd.api.types.is_numeric_dtype(out[col]):
            out[col] = [None if pd.isna(v) else round_half_up(float(v), digits) for v in out[col]]
    return out

"""The workbook and CSV files of ``gis export``: laid out to read and print, rounded as ``gis area`` rounds.

The print test converts the workbook to PDF with LibreOffice (``libreoffice-calc-nogui``, its own
profile folder, so it runs beside any other LibreOffice) and reads the PDF with poppler's
``pdftotext`` and ``pdfinfo``; the tests wait for those processes to end, never on time.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess

import openpyxl
import pytest

from gis.cli import main
from gis.export import HEAD_ROWS, MAX_WIDTH
from gis.layers import read_layer
from gis.measure import area_table
from gis.reports import REPORTS, sheets
from gis.table import display_width


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("workbook")
    assert main(["export", "--xlsx", str(out / "面积表.xlsx"), "--csv", str(out / "csv")]) == 0
    return out


@pytest.fixture(scope="module")
def printed(exported, tmp_path_factory):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is required (libreoffice-calc-nogui; scripts/install-system-deps.sh)"
    profile = tmp_path_factory.mktemp("lo-profile")
    pdf_dir = tmp_path_factory.mktemp("pdf")
    run = subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                          "--convert-to", "pdf", "--outdir", str(pdf_dir), str(exported / "面积表.xlsx")],
                         capture_output=True, text=True, timeout=900, check=False)
    pdf = pdf_dir / "面积表.pdf"
    assert run.returncode == 0 and pdf.exists(), run.stderr
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=300,
                          check=True).stdout
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=300, check=True).stdout
    return pdf, text, info


@pytest.mark.libreoffice
def test_the_printed_workbook_shows_every_name_and_header_whole(printed):
    _, text, info = printed
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert abs(width - 841.89) < 1 and abs(height - 595.28) < 1  # A4 landscape
    flat = re.sub(r"\s+", "", text)
    assert "###" not in text
    assert not re.search(r"\d[.,]?\d*E[+-]\d+", text), "a number shows as an exponent"
    for sheet in sheets().values():
        for line in sheet.lines:
            assert re.sub(r"\s+", "", line) in flat, line
        for header in sheet.table.columns:
            assert header in text, f"{sheet.name}: header {header!r} is cut"
        for column in ("名称", "项目名称", "分区名称", "上级名称"):
            if column not in sheet.table.columns:
                continue
            for name in sheet.table[column].dropna().astype(str):
                if display_width(name) * 1.05 + 2 <= MAX_WIDTH:  # longer text wraps inside its cell
                    assert name in text, f"{sheet.name}: {name!r} is cut"
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= len(REPORTS)


def test_each_sheet_has_its_lines_a_frozen_styled_header_formats_and_print_set_up(exported):
    book = openpyxl.load_workbook(exported / "面积表.xlsx")
    assert book.sheetnames == [r.sheet for r in REPORTS]
    planned = sheets()
    for name in book.sheetnames:
        ws, sheet = book[name], planned[name]
        assert [ws.cell(row=r, column=1).value for r in (1, 2, 3)] == sheet.lines
        header_row = HEAD_ROWS + 1
        header = [c.value for c in ws[header_row]]
        assert header == list(sheet.table.columns)
        assert "合计行" not in header and "total" not in header
        assert ws.freeze_panes == f"A{header_row + 1}"
        assert ws.print_title_rows.replace("$", "") == f"{header_row}:{header_row}"
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert all(ws.cell(row=header_row, column=j).font.b for j in range(1, len(header) + 1))
        for j, column in enumerate(header, start=1):  # wide enough for the header (a CJK character counts two)
            width = ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width
            assert width >= min(display_width(column), MAX_WIDTH - 2), (name, column, width)
        for i in sheet.totals:
            row = ws[header_row + 1 + i]
            assert str(row[0].value).startswith(("合计", "各行相加")) and all(c.font.b for c in row), (name, i)
        for j, column in enumerate(header, start=1):
            digits = sheet.decimals.get(column)
            if digits is None:
                continue
            expected = "#,##0" + ("." + "0" * digits if digits else "")
            for r in range(header_row + 1, ws.max_row + 1):
                cell = ws.cell(row=r, column=j)
                if isinstance(cell.value, int | float):
                    assert cell.number_format == expected, (name, column, cell.number_format)


def test_decimals_per_unit_and_the_same_rounding_as_gis_area(exported, gis):
    book = openpyxl.load_workbook(exported / "面积表.xlsx")
    ws = book["产业平台面积"]
    header = [c.value for c in ws[HEAD_ROWS + 1]]
    formats = {h: ws.cell(row=HEAD_ROWS + 2, column=header.index(h) + 1).number_format for h in header}
    assert formats["面积（亩）"] == "#,##0.00" and formats["面积（公顷）"] == "#,##0.0000"
    assert formats["面积（平方公里）"] == "#,##0.0000" and formats["面积（平方米）"] == "#,##0.00"
    platforms = read_layer("platforms")
    for unit, column in (("mu", "面积（亩）"), ("ha", "面积（公顷）"), ("km2", "面积（平方公里）"), ("m2", "面积（平方米）")):
        expected = area_table(platforms, unit=unit)
        rows = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=header.index(column) + 1).value
                for r in range(HEAD_ROWS + 2, ws.max_row + 1)}
        for ident, value in zip(expected["id"], expected[f"area_{unit}"], strict=True):
            if ident != "合计":
                assert rows[ident] == value, (unit, ident, rows[ident], value)
    # the command line prints the very same figures
    run = gis("area", "reclamation", "--by", "status", "--unit", "ha", "--format", "json")
    import json

    cli = {r["status"]: r["area_ha"] for r in json.loads(run.out) if not r["total"]}
    ws = book["围垦按状态"]
    header = [c.value for c in ws[HEAD_ROWS + 1]]
    sheet = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=header.index("面积（公顷）") + 1).value
             for r in range(HEAD_ROWS + 2, ws.max_row + 1)}
    assert all(sheet[k] == v for k, v in cli.items())


def test_reclamation_areas_have_a_total_and_names_beside_ids(exported):
    book = openpyxl.load_workbook(exported / "面积表.xlsx")
    ws = book["围垦面积"]
    header = [c.value for c in ws[HEAD_ROWS + 1]]
    assert "上级名称" in header and header.index("上级名称") == header.index("上级") + 1
    last = [c.value for c in ws[ws.max_row]]
    assert last[0] == "合计" and ws[ws.max_row][0].font.b
    dissolved = area_table(read_layer("reclamation"), unit="mu").iloc[-1]["area_mu"]
    assert last[header.index("面积（亩）")] == dissolved
    ws = book["项目落区"]
    header = [c.value for c in ws[HEAD_ROWS + 1]]
    assert header[:4] == ["项目编号", "项目名称", "分区编号", "分区名称"]
    assert all(ws.cell(row=r, column=2).value for r in range(HEAD_ROWS + 2, ws.max_row + 1))
    ws = book["规划规则"]
    header = [c.value for c in ws[HEAD_ROWS + 1]]
    sources = [ws.cell(row=r, column=header.index("出处") + 1).value for r in range(HEAD_ROWS + 2, ws.max_row + 1)]
    assert all("《" in s and ".txt" not in s for s in sources), sources


def test_csv_files_hold_no_python_booleans_or_float_counts(exported):
    for path in sorted((exported / "csv").glob("*.csv")):
        text = path.read_text(encoding="utf-8-sig")
        assert "True" not in text and "False" not in text, path.name
        rows = list(csv.reader(io.StringIO(text)))
        header = rows[0]
        if "要素数" in header:
            counts = [r[header.index("要素数")] for r in rows[1:] if r[header.index("要素数")]]
            assert all(re.fullmatch(r"\d+", c) for c in counts), (path.name, counts)
        for column in ("面积（亩）", "面积（公顷）", "面积（平方公里）"):
            if column in header:
                digits = {"面积（亩）": 2, "面积（公顷）": 4, "面积（平方公里）": 4}[column]
                values = [r[header.index(column)] for r in rows[1:] if r[header.index(column)]]
                assert all(re.fullmatch(rf"-?\d+\.\d{{{digits}}}", v) for v in values), (path.name, column)

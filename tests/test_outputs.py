"""The output format follows the -o file name (every table command), and start-up imports no library it does not use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from openpyxl import load_workbook

import gis

HEAVY = ("numpy", "pandas", "geopandas", "shapely", "pyogrio", "pyproj", "folium", "matplotlib", "openpyxl",
         "starlette", "pyarrow", "tqdm", "dask")


def _loaded_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint('loaded:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    line = next(x for x in proc.stdout.splitlines() if x.startswith("loaded:"))
    return [m for m in line.removeprefix("loaded:").split(",") if m]


def test_import_gis_loads_no_library():
    assert _loaded_after("import gis") == []


def test_gis_help_loads_no_library():
    code = ("from gis.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "try:\n    main(['area', '--help'])\nexcept SystemExit:\n    pass")
    assert _loaded_after(code) == []


def test_public_names_are_the_same_and_load_on_use():
    names = {"area_table", "read_layer", "ellipsoidal_area", "GisError", "REPORTS", "render_map", "__version__"}
    assert names <= set(gis.__all__) and names <= set(dir(gis))
    assert len(gis.__all__) == len(set(gis.__all__)) == 61
    assert all(getattr(gis, name) is not None for name in gis.__all__)  # every name resolves
    assert gis.area_table.__module__ == "gis.measure" and issubclass(gis.CRSError, gis.GisError)
    assert isinstance(gis.__version__, str)
    with pytest.raises(AttributeError):
        gis.no_such_name  # noqa: B018
    assert _loaded_after("from gis import GisError") == []


@pytest.mark.parametrize("suffix", [".csv", ".json", ".xlsx", ".md"])
def test_area_writes_the_format_its_file_name_names(gis, tmp_path, suffix):
    out = tmp_path / f"面积{suffix}"
    run = gis("area", "reclamation", "--by", "status", "-o", out)
    assert run.code == 0 and run.out == "", run.err
    if suffix == ".csv":
        raw = out.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and raw.decode("utf-8-sig").startswith("status,features,area_m2")
    elif suffix == ".json":
        rows = json.loads(out.read_text(encoding="utf-8"))
        assert rows[-1]["total"] is True and rows[-1]["status"] == "合计"
    elif suffix == ".xlsx":
        sheet = load_workbook(out).active
        values = [[c.value for c in row] for row in sheet.iter_rows()]
        assert "围垦" in str(values[0][0]) or "reclamation" in str(values[0][0])
        header = next(r for r in values if "状态" in r)
        assert "面积（亩）" in header and "合计行" not in header
        total = next(row for row in sheet.iter_rows() if row[0].value == "合计")
        assert total[0].font.b  # the total row is bold
        assert isinstance(total[header.index("面积（亩）")].value, float)
    else:
        text = out.read_text(encoding="utf-8")
        assert text.startswith("## reclamation") and "| 状态 |" in text and "| 合计 |" in text
        assert "|---|" in text and "---:" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no temporary file left


def test_format_overrides_the_suffix(gis, tmp_path):
    out = tmp_path / "areas.txt"
    assert gis("area", "platforms", "-o", out, "--format", "csv").code == 0
    assert out.read_text(encoding="utf-8-sig").startswith("id,name,area_m2")
    table = tmp_path / "table.md"
    assert gis("area", "platforms", "-o", table, "--format", "table").code == 0
    assert "合计" in table.read_text(encoding="utf-8") and "|" not in table.read_text(encoding="utf-8")
    text = tmp_path / "areas_text.txt"  # a .txt file is the terminal's table
    assert gis("area", "platforms", "-o", text).code == 0
    assert text.read_text(encoding="utf-8") == gis("area", "platforms").out


@pytest.mark.parametrize("args", [
    ("area", "platforms"), ("overlay", "projects", "zones"), ("reclaim",), ("rules",), ("composition", "zones", "platforms"),
    ("site", "projects"),
])
def test_an_unknown_suffix_is_one_line_and_nothing_is_written(gis_process, tmp_path, args):
    out = tmp_path / "result.dat"
    run = gis_process(*args, "-o", out)
    assert run.code == 2 and run.err.count("\n") == 1 and run.err.startswith("gis: error: ")
    assert "'.dat'" in run.err and "--format" in run.err and ".xlsx" in run.err and "Traceback" not in run.err
    assert not list(tmp_path.iterdir())


def test_a_workbook_needs_a_file(gis):
    run = gis("area", "platforms", "--format", "xlsx")
    assert run.code == 2 and "-o" in run.err and "xlsx" in run.err


@pytest.mark.parametrize("args, sheets", [
    (("overlay", "projects", "zones"), ["叠加"]),
    (("composition", "zones", "platforms", "--field", "role"), ["构成"]),
    (("reclaim",), ["围垦面积", "按状态", "按所在区", "按布局方案"]),
    (("rules",), ["规划规则"]),
    (("site", "projects"), ["占用情况", "规划规则"]),
])
def test_every_table_command_writes_workbooks_and_markdown(gis, tmp_path, args, sheets):
    book = tmp_path / "out.xlsx"
    assert gis(*args, "-o", book).code == 0
    assert load_workbook(book).sheetnames == sheets
    md = tmp_path / "out.md"
    assert gis(*args, "-o", md).code == 0
    text = md.read_text(encoding="utf-8")
    assert text.startswith("#") and "|---" in text


def test_markdown_cells_are_escaped_and_inert(tmp_path, gis):
    import geopandas as gpd
    from shapely.geometry import box

    src = tmp_path / "sites.geojson"
    gpd.GeoDataFrame({"id": ["a|b"], "name": ["x\x1b[31m<b>`c`</b>[点](javascript:alert(1))![i](http://x.invalid/p.png)\r*d*"]},
                     geometry=[box(120.7, 28.0, 120.71, 28.01)], crs=4326).to_file(src)
    out = tmp_path / "a.md"
    assert gis("area", src, "-o", out).code == 0
    row = next(line for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("| a"))
    assert "a\\|b" in row and "\x1b" not in row and "\\x1b" in row and "\\<b\\>" in row and "\\`c\\`" in row
    # never a link, an image or emphasis; a carriage return does not split the row
    assert "\\[点\\](javascript" in row and "\\!\\[i\\](http" in row and "\\*d\\*" in row and "\r" not in row

"""Every command that reads files, on every case of the bad-input corpus.

The outcome must be a result (exit 0, or 1 for a check or import that reports
problems) or a one-line ``gis: error:`` and exit 2 — never a traceback — and a
command that fails leaves no output file behind. The table of outcomes is printed
at the end of the test run.
"""

from __future__ import annotations

import pytest

from gis.cli import main

from .badinput import CASES

OUTCOMES: dict[tuple[str, str], str] = {}

COMMANDS = {
    "check": lambda f, o: ["check", f],
    "area": lambda f, o: ["area", f],
    "reclaim": lambda f, o: ["reclaim", f],
    "overlay": lambda f, o: ["overlay", f, "zones"],
    "composition": lambda f, o: ["composition", f, "platforms"],
    "site": lambda f, o: ["site", f, "--format", "json", "-o", o],
    "map": lambda f, o: ["map", f, "-o", o],
    "import": lambda f, o: ["import", f, "-o", o],
}
# Cases where the file is fine to read, so a command must give a result (not refuse it).
READABLE = {"GBK, no .cpg", "GCJ-02 points", "Z coordinates", "duplicate ids", "non-numeric areas"}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", list(CASES))
def test_command_on_bad_input(case, command, tmp_path, capsys):
    source = CASES[case](tmp_path)
    out = tmp_path / "out" / ("result.html" if command == "map" else "result.json")
    try:
        code = main([str(a) for a in COMMANDS[command](source, out)])
    except SystemExit as exc:  # argparse errors
        code = exc.code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    if code == 2:
        errors = [line for line in captured.err.splitlines() if line.startswith("gis: error:")]
        assert len(errors) == 1, captured.err
        assert not out.exists(), "a failed command left an output file"
        assert not list(out.parent.glob(".*")) if out.parent.exists() else True
        OUTCOMES[(case, command)] = "error"
    else:
        assert code in (0, 1), (code, captured.err)
        OUTCOMES[(case, command)] = "ok" if code == 0 else "problems"
    if case in READABLE and command in ("check", "map", "import", "overlay"):
        assert code in (0, 1), f"{case}: {command} refused a readable file: {captured.err}"
    if case in ("missing .shx", "cut .dbf", "cut .shp", "cut .shp, zipped", "2 GB-claiming header", "swapped lat/lon",
                "GK zone prefix, no .prj", "GK no prefix, no .prj"):
        assert code == 2, f"{case}: {command} should refuse it"
        message = captured.err
        expected = {"missing .shx": ".shx", "cut .dbf": "truncated", "cut .shp": "truncated .shp",
                    "cut .shp, zipped": "truncated .shp",
                    "2 GB-claiming header": "truncated",
                    "swapped lat/lon": "swapped", "GK zone prefix, no .prj": "EPSG:4528",
                    "GK no prefix, no .prj": "EPSG:4549"}[case]
        assert expected in message and source.stem in message, message

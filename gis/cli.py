"""The ``gis`` command: a thin layer over the API.

Each sub-command parses its options, calls the API and prints. A user error
(:class:`~gis.errors.InputError`) prints one line ``gis: error: …`` on stderr and
exits 2; ``gis check`` exits 1 when it finds problems.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gis import __version__
from gis.check import check_layers, summarize
from gis.errors import InputError
from gis.layers import is_file_argument, layer_summary, list_layers, open_source, read_layer
from gis.table import format_table


def _note(message: str) -> None:
    print(f"gis: {message}", file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    """``gis check``: validate layers or files; exit 1 if any problem is found."""
    sources = args.sources or list_layers()
    layers = {}
    for source in sources:
        gdf, info = open_source(source, layer=args.layer, encoding=args.encoding)
        for note in info.notes:
            _note(note)
        name = source if not is_file_argument(source) else (args.schema or info.path.stem)
        layers[name] = gdf
    reference = {n: read_layer(n) for n in list_layers() if n not in layers}
    problems = check_layers(layers, reference=reference, tolerance=args.tolerance)
    for problem in problems:
        print(problem)
    checked = ", ".join(layers)
    if problems:
        print(f"gis check: {len(problems)} problem(s) ({summarize(problems)}) in {checked}", file=sys.stderr)
        return 1
    features = sum(len(g) for g in layers.values())
    print(f"gis check: {features} features in {len(layers)} layer(s) pass ({checked})")
    return 0


def cmd_layers(args: argparse.Namespace) -> int:
    """``gis layers``: a table of the shipped layers."""
    rows = layer_summary(args.names or None)
    headers = ["layer", "features", "geometry", "documented areas", "area km² (dissolved)"]
    print(format_table(headers, [list(r.values()) for r in rows]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``gis`` command."""
    parser = argparse.ArgumentParser(
        prog="gis",
        description="Spatial-planning toolkit for Wenzhou's industrial platforms (温州产业平台空间规划工具).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("check", help="validate layers or files against the schema")
    p.add_argument(
        "sources", nargs="*", metavar="LAYER|FILE", help="shipped layer names or files (default: all layers)"
    )
    p.add_argument("--layer", help="layer of a multi-layer file (GeoPackage)")
    p.add_argument("--encoding", help="text encoding of a Shapefile .dbf (detected if there is no .cpg)")
    p.add_argument("--schema", help="check files against this layer's schema (e.g. platforms)")
    p.add_argument("--tolerance", type=float, default=None, help="accepted area difference, e.g. 0.05 for ±5%%")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("layers", help="summarise the shipped layers")
    p.add_argument("names", nargs="*", metavar="LAYER")
    p.set_defaults(func=cmd_layers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gis`` command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"gis: error: {exc}", file=sys.stderr)
        return 2
    except (OSError, MemoryError) as exc:
        print(f"gis: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gis: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

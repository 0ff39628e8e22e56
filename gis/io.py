"""Reading planners' vector files and writing outputs without loss.

:func:`read_vector` opens GeoJSON, GeoPackage (any layer), Shapefile and
FlatGeobuf through pyogrio. A Shapefile whose ``.dbf`` has no ``.cpg`` is
decoded in the encoding its bytes prove (UTF-8, else GBK/GB18030), and the
encoding used is reported; a file without a CRS is refused with the likely CRS
named; ``crs="gcj02"`` converts coordinates copied from Chinese web maps to
WGS84. Failures become one-line :class:`~gis.errors.InputError` messages that
name the file.

Every write goes to a temporary file in the destination folder and is renamed
into place only when complete (:func:`atomic_write`), so an interrupted run
leaves the previous file intact.
"""

from __future__ import annotations

import codecs
import contextlib
import contextvars
import ctypes
import json
import os
import re
import secrets
import shutil
import sqlite3
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import pyogrio
import shapely
from pyproj import CRS

from gis.crs import GCJ02_NAMES, LAYER_CRS, coordinates_misfit, gcj02_to_wgs84, guess_crs, parse_crs
from gis.errors import CRSError, DataSourceError, GisError, InputError, LayerNotFoundError, WriteError

#: File suffixes read as vector data.
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".gml", ".kml", ".zip")


@dataclass
class SourceInfo:
    """Where a GeoDataFrame came from and what was done to read it."""

    name: str
    path: Path | None = None
    layer: str | None = None
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


def _dbf_span(header: bytes, size: int, label: str) -> tuple[int, int]:
    """Return where a ``.dbf``'s records start and how many bytes they take, from its ``header`` (first 32 bytes).

    A file of ``size`` bytes shorter than its header says was cut in copying: refused.
    """
    if len(header) < 32:
        raise DataSourceError(f"{label}: truncated .dbf ({size} bytes, not even a header)")
    records = int.from_bytes(header[4:8], "little")
    header_length = int.from_bytes(header[8:10], "little")
    record_length = int.from_bytes(header[10:12], "little")
    if size < header_length + records * record_length:
        held = max(size - header_length, 0) // record_length if record_length else 0
        raise DataSourceError(
            f"{label}: truncated .dbf: its header announces {records} records, the file holds {held}"
        )
    return header_length, records * record_length


def _dbf_body(data: bytes, label: str) -> bytes:
    """Return the record bytes of a ``.dbf`` file's content, refusing a truncated one."""
    start, length = _dbf_span(data[:32], len(data), label)
    return data[start:start + length]


def _bytes_encoding(body: bytes) -> str:
    for encoding in ("ascii", "utf-8", "gbk", "gb18030"):
        try:
            body.decode(encoding)
        except UnicodeDecodeError:
            continue
        return {"ascii": "UTF-8", "utf-8": "UTF-8", "gbk": "GBK", "gb18030": "GB18030"}[encoding]
    return "ISO-8859-1"


def detect_dbf_encoding(dbf_path: Path) -> str:
    """Return the encoding the text of a ``.dbf`` is written in.

    The record bytes are tried as ASCII, UTF-8 and then GB18030 (which
    includes GBK); the first that decodes them all wins.

    Parameters
    ----------
    dbf_path : Path
        The ``.dbf`` file of a Shapefile.

    Returns
    -------
    str
        ``"UTF-8"``, ``"GBK"``, ``"GB18030"`` or ``"ISO-8859-1"``.

    Raises
    ------
    DataSourceError
        If the file is shorter than its header says (truncated).
    """
    return _bytes_encoding(_dbf_body(dbf_path.read_bytes(), str(dbf_path)))


#: Python codec names and the names GDAL (iconv) knows them by.
_ICONV = {"utf_8": "UTF-8", "gbk": "GBK", "gb18030": "GB18030", "gb2312": "GB2312", "big5": "BIG5",
          "latin_1": "ISO-8859-1", "iso8859_1": "ISO-8859-1", "cp936": "CP936", "cp1252": "CP1252",
          "ascii": "ASCII", "utf_16": "UTF-16", "big5hkscs": "BIG5-HKSCS", "cp950": "CP950"}


def encoding_name(encoding: str) -> str:
    """Return the name GDAL knows an encoding by, or raise one line for an encoding that does not exist.

    Examples
    --------
    >>> encoding_name("latin-1"), encoding_name("gbk")
    ('ISO-8859-1', 'GBK')
    """
    try:
        python_name = codecs.lookup(encoding).name.replace("-", "_")
    except LookupError:
        raise InputError(f"unknown `encoding` {encoding!r}; use e.g. UTF-8, GBK or GB18030") from None
    return _ICONV.get(python_name, python_name.upper().replace("_", "-"))


def _choose_encoding(dbf: bytes | None, has_cpg: bool, declared: str | None, label: str,
                     info: SourceInfo) -> str | None:
    """Return the encoding to read a ``.dbf`` in: the declared one (checked against its bytes) or the detected."""
    if declared:
        name = encoding_name(declared)
        if dbf is not None:
            body = _dbf_body(dbf, label)
            detected = _bytes_encoding(body)
            try:
                body.decode(codecs.lookup(declared).name)
            except UnicodeDecodeError:
                raise InputError(f"{label}: the .dbf text is not {name} (`encoding`); its bytes read as "
                                 f"{detected}") from None
            if detected not in ("UTF-8", name) and name in ("ISO-8859-1", "CP1252"):
                info.notes.append(f"{label}: text decoded as {name} as asked, but its bytes read as {detected}; "
                                  "check the names")
        return name
    if has_cpg or dbf is None:
        return None
    detected = _bytes_encoding(_dbf_body(dbf, label))
    info.notes.append(f"{label}: no .cpg; text decoded as {detected} (detected from the .dbf bytes)")
    return detected


def _shapefile_encoding(path: Path, encoding: str | None, info: SourceInfo) -> str | None:
    cpg = next((p for p in (path.with_suffix(".cpg"), path.with_suffix(".CPG")) if p.exists()), None)
    dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None)
    return _choose_encoding(dbf.read_bytes() if dbf is not None and (encoding or cpg is None) else None,
                            cpg is not None, encoding, path.name, info)


#: Largest total a zip archive may unpack to, and the largest ratio of unpacked to packed size.
ZIP_MAX_BYTES = 4 * 1024**3
ZIP_MAX_RATIO = 1000


def _zip_member(path: Path, layer: str | None, encoding: str | None, info: SourceInfo) -> tuple[str, str | None]:
    """Choose the vector member of a zip archive; return its ``/vsizip/`` path and the encoding to read it in."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            total = sum(m.file_size for m in members)
            packed = sum(m.compress_size for m in members) or 1
            if total > ZIP_MAX_BYTES or (total > 100 * 1024**2 and total / packed > ZIP_MAX_RATIO):
                raise DataSourceError(f"{path}: the archive unpacks to {total / 1024**3:.1f} GB "
                                      f"({total / packed:.0f}× its size); refused as a zip bomb")
            names = [m.filename for m in members if not m.is_dir()]
            for name in names:
                if name.startswith(("/", "\\")) or ".." in Path(name).parts or ":" in name.split("/")[0]:
                    raise DataSourceError(f"{path}: member {name!r} points outside the archive; refused")
            vectors = [n for n in names if Path(n).suffix.lower() in VECTOR_SUFFIXES and not n.endswith(".zip")
                       and not Path(n).name.startswith("._")]
            if layer is not None:
                chosen = [n for n in vectors if n == layer or Path(n).stem == layer]
                if not chosen:
                    raise InputError(f"{path} has no member {layer!r}; it holds: {', '.join(vectors) or 'none'}")
            else:
                chosen = vectors
            if not chosen:
                raise DataSourceError(f"{path}: the archive holds no vector file (.shp, .gpkg, .geojson …)")
            if len(chosen) > 1:
                stems = ", ".join(Path(n).stem for n in chosen)
                raise InputError(f"{path} holds {len(chosen)} layers ({stems}); choose one with `layer`")
            member = chosen[0]
            read_encoding = encoding_name(encoding) if encoding else None
            if member.lower().endswith(".shp"):
                stem = member[:-4]
                lower = {n.lower(): n for n in names}
                for part in (".shx", ".dbf"):
                    if stem.lower() + part not in lower:
                        raise DataSourceError(f"{path}: {Path(member).name} has no {part} beside it in the archive")
                dbf = archive.read(lower[stem.lower() + ".dbf"])
                for part in (".shp", ".shx", ".dbf"):  # a set cut short before it was packed
                    name = member if part == ".shp" else lower[stem.lower() + part]
                    if part == ".dbf":
                        header, size = dbf[:32], len(dbf)
                    else:
                        with archive.open(name) as handle:
                            header, size = handle.read(32), archive.getinfo(name).file_size
                    _check_part(f"{path.name}:{Path(name).name}", part, header, size)
                read_encoding = _choose_encoding(dbf, stem.lower() + ".cpg" in lower, encoding,
                                                 f"{path.name}:{Path(member).name}", info)
    except zipfile.BadZipFile as exc:
        raise DataSourceError(f"{path}: not a readable zip archive ({_first_line(exc)})") from None
    return f"/vsizip/{path.resolve()}/{member}", read_encoding


def _check_shapefile_parts(path: Path) -> None:
    """Refuse a Shapefile set with a part missing or cut short (GDAL would read the features it holds, silently).

    The .shp and .shx headers give their own length, the .dbf header its records and their size: a file shorter
    than its header says was cut in copying.
    """
    parts = {".shp": path}
    for suffix in (".shx", ".dbf"):
        found = [p for p in (path.with_suffix(suffix), path.with_suffix(suffix.upper())) if p.exists()]
        if not found:
            raise DataSourceError(f"{path}: the Shapefile has no {suffix} beside it; copy the whole set")
        parts[suffix] = found[0]
    for suffix, part in parts.items():
        with part.open("rb") as handle:
            header = handle.read(32)
        _check_part(str(part), suffix, header, part.stat().st_size)


def _check_part(label: str, suffix: str, header: bytes, size: int) -> None:
    """Refuse one part of a Shapefile set (``suffix``, its first 32 bytes, its size) shorter than its header says."""
    if suffix == ".dbf":
        _dbf_span(header, size, label)
        return
    if len(header) < 28 or int.from_bytes(header[:4], "big") != 9994:
        raise DataSourceError(f"{label}: not a Shapefile {suffix} (its header is missing or damaged)")
    expected = int.from_bytes(header[24:28], "big") * 2  # the file's length, in 16-bit words
    if size < expected:
        raise DataSourceError(f"{label}: truncated {suffix}: {size:,} bytes where its header says {expected:,}; "
                              "copy the Shapefile set again")


def _apply_crs(gdf: gpd.GeoDataFrame, crs: object, info: SourceInfo) -> gpd.GeoDataFrame:
    label = info.name
    if crs is not None and str(crs).strip().lower() in GCJ02_NAMES:
        if gdf.crs is not None and not CRS.from_user_input(gdf.crs).is_geographic:
            raise CRSError(f"{label}: GCJ-02 coordinates are longitude/latitude, but the file is in {gdf.crs.name}")
        gdf = gdf.set_crs(LAYER_CRS, allow_override=True)
        gdf["geometry"] = shapely.transform(
            gdf.geometry.values, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1]))
        )
        info.notes.append(f"{label}: GCJ-02 coordinates converted to WGS84 (iterated inverse)")
    elif crs is not None:
        declared = parse_crs(crs)
        if gdf.crs is not None and not CRS.from_user_input(gdf.crs).equals(declared):
            info.notes.append(f"{label}: the file says {gdf.crs.name}; `crs` {crs} overrides it")
        gdf = gdf.set_crs(declared, allow_override=True)
    elif gdf.crs is None:
        bounds = gdf.total_bounds if len(gdf) else (np.nan,) * 4
        guesses = guess_crs(tuple(bounds)) if np.all(np.isfinite(bounds)) else []
        hint = f"; its coordinates look like {guesses[0]}" if guesses else ""
        raise CRSError(f"{label} has no CRS (no .prj or CRS entry){hint}; declare it with `crs`")
    crs_obj = CRS.from_user_input(gdf.crs)
    if len(gdf):
        reason = coordinates_misfit(tuple(gdf.total_bounds), crs_obj)
        if reason is not None:
            said = "the declared" if crs is not None else "the file's"
            raise CRSError(f"{label}: {reason} ({said} CRS); declare the right one with `crs`")
    return gdf


def read_vector(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    encoding: str | None = None,
    crs: object = None,
    bbox: tuple[float, float, float, float] | None = None,
    columns: list[str] | None = None,
) -> tuple[gpd.GeoDataFrame, SourceInfo]:
    """Read a vector file a planner has.

    Parameters
    ----------
    path : path-like
        A GeoJSON, GeoPackage, Shapefile, FlatGeobuf (or other OGR) file.
    layer : str, optional
        The layer of a multi-layer file such as a GeoPackage.
    encoding : str, optional
        Text encoding of a Shapefile's ``.dbf``; detected when there is no ``.cpg``.
    crs : optional
        The CRS of a file that has none, a CRS that overrides the file's, or
        ``"gcj02"`` for web-map coordinates (converted to WGS84).
    bbox : tuple of float or array of boxes, optional
        ``(minlon, minlat, maxlon, maxlat)``, or an ``(n, 4)`` array of such boxes:
        read only the features whose bounding box meets one (a GeoPackage's R-tree,
        or the features' bounds, answer; the other geometries are never decoded;
        see :mod:`gis.window`).
    columns : list of str, optional
        Read only these attribute fields (those of them the file has) besides the geometry.

    Returns
    -------
    tuple
        The GeoDataFrame and a :class:`SourceInfo` saying how it was read.

    Raises
    ------
    DataSourceError
        If the file is missing, truncated or not a readable vector file.
    LayerNotFoundError
        If ``layer`` is not one of the file's layers.
    CRSError
        If the file has no CRS and none is given, or the CRS contradicts the coordinates.
    """
    path = Path(path)
    info = SourceInfo(name=path.name, path=path, layer=layer)
    if not path.exists():
        raise DataSourceError(f"{path}: no such file")
    note_input(path)
    if path.is_file() and path.stat().st_size == 0:
        raise DataSourceError(f"{path}: the file is empty")
    read_encoding = None
    source: str | Path = path
    if path.suffix.lower() == ".shp":
        _check_shapefile_parts(path)
        read_encoding = _shapefile_encoding(path, encoding, info)
    elif path.suffix.lower() == ".zip":
        source, read_encoding = _zip_member(path, layer, encoding, info)
        layer = None
    elif encoding:
        read_encoding = encoding_name(encoding)
    info.encoding = read_encoding
    if layer is not None:  # a layer the file does not hold is the caller's mistake, not damage to the file
        held = _list_layers(path)
        if layer not in held:
            raise LayerNotFoundError(f"{path} has no layer {layer!r}; it holds: {', '.join(held) or 'none'}")
    if layer is None and path.suffix.lower() == ".gpkg":
        layers = _list_layers(path)
        if len(layers) > 1:
            names = ", ".join(layers)
            raise InputError(f"{path} holds {len(layers)} layers ({names}); choose one with `layer`")
        if layers:
            layer = layers[0]
    try:
        with warnings.catch_warnings(), _plain_name(source) as plain:
            warnings.simplefilter("ignore", RuntimeWarning)
            kwargs = {"layer": layer} if layer is not None else {}
            if read_encoding:
                kwargs["encoding"] = read_encoding
            if bbox is not None:
                kwargs.update(_where(plain, path, layer, bbox, crs))
            if columns is not None:
                fields = list(pyogrio.read_info(plain, layer=layer).get("fields", []))
                kwargs["columns"] = [c for c in fields if c in set(columns)]
            if "fids" in kwargs and path.suffix.lower() == ".gpkg":
                kwargs["use_arrow"] = True  # features by id: 2.5x quicker through Arrow (GeoPackage text is UTF-8)
            gdf = pyogrio.read_dataframe(plain, **kwargs)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise DataSourceError(f"{path}: cannot read it: {_first_line(exc)}") from None
    except (pyogrio.errors.FieldError, pyogrio.errors.GeometryError, pyogrio.errors.FeatureError) as exc:
        raise DataSourceError(f"{path}: damaged content: {_first_line(exc)}") from None
    except shapely.errors.GEOSException as exc:
        raise DataSourceError(f"{path}: a geometry cannot be built from it: {_first_line(exc)}") from None
    except (UnicodeDecodeError, ValueError, RuntimeError, OSError) as exc:
        raise DataSourceError(f"{path}: cannot read it: {_first_line(exc)}") from None
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise DataSourceError(f"{path}: no geometry column; it is a table, not a vector layer (a table of "
                              "coordinates, lon/lat or x/y columns, is read as points by gis import / gis.import_file)")
    gdf = _apply_crs(gdf, crs, info)
    return gdf, info


def _where(plain, path: Path, layer: str | None, bbox, crs) -> dict:
    """Return the pyogrio arguments that read only the features meeting ``bbox`` (one box or several)."""
    from gis.window import as_boxes, boxes_in, envelope, gpkg_fids, rows_meeting

    boxes = as_boxes(bbox)
    if crs is not None and str(crs).strip().lower() in GCJ02_NAMES:
        return {"bbox": envelope(boxes)}  # GCJ-02 is within a kilometre of the boxes, which carry a margin
    if path.suffix.lower() == ".gpkg" and crs is None:
        fids = gpkg_fids(Path(plain), layer, boxes)
        if fids is not None:
            return {"fids": fids}
    file_crs = parse_crs(crs) if crs is not None else pyogrio.read_info(plain, layer=layer).get("crs")
    local = boxes_in(file_crs, boxes)
    if len(boxes) == 1:
        return {"bbox": tuple(local[0])}
    fids, bounds = pyogrio.read_bounds(plain, layer=layer)
    return {"fids": fids[rows_meeting(np.asarray(bounds).T, local)]}


@contextlib.contextmanager
def _plain_name(source: str | Path) -> Iterator[str | Path]:
    """Yield a path GDAL can open: a name with ``;`` (which URL parsing would cut) is linked under a plain one."""
    text = str(source)
    if ";" not in text:
        yield source
        return
    if text.startswith("/vsizip/"):
        archive = Path(text[len("/vsizip/"):].split(".zip/", 1)[0] + ".zip")
        member = text.split(".zip/", 1)[1]
        with _plain_name(archive) as plain:
            yield f"/vsizip/{plain}/{member}"
        return
    path = Path(source).resolve()
    with tempfile.TemporaryDirectory(prefix="gis-read-") as folder:
        siblings = [p for p in path.parent.iterdir() if p.stem == path.stem] or [path]
        for sibling in siblings:
            (Path(folder) / f"source{sibling.suffix}").symlink_to(sibling)
        yield Path(folder) / f"source{path.suffix}"


def _list_layers(path: Path) -> list[str]:
    """Return the spatial layers of a file (attribute tables such as QGIS's ``layer_styles`` are left out)."""
    try:
        with _plain_name(path) as plain:
            return [str(row[0]) for row in pyogrio.list_layers(plain) if row[1] is not None]
    except Exception as exc:
        raise DataSourceError(f"{path}: cannot read it: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    """Return the first line of a reader's message, without GDAL's advice on driver prefixes (not a gis option).

    A message that starts with the file's name in quotes (GDAL's ``'x.shp' not recognized as …``) loses it:
    the caller names the file already.

    Examples
    --------
    >>> _first_line(OSError("'/tmp/a.geojson' not recognized as being in a supported file format."))
    'not recognized as being in a supported file format.'
    """
    text = str(exc).strip().splitlines()
    if not text:
        return type(exc).__name__
    line = text[0].split("; It might help to specify the correct driver")[0].rstrip(" ;")
    return re.sub(r"^'[^']*' (?=\S)", "", line)


#: Bytes of the destination's name kept in a temporary name (names may be 255 bytes long).
_TEMP_NAME_BYTES = 40
_TEMP = re.compile(r"^\.(?P<stem>.*)\.gis(?P<pid>\d+)-[0-9a-f]{8}\.part")


def _temporary_name(dest: Path) -> str:
    return f".{_temp_stem(dest)}.gis{os.getpid()}-{secrets.token_hex(4)}.part{dest.suffix[:16].replace(';', '_')}"


def _temp_stem(dest: Path) -> str:
    # GDAL cuts paths at ';' (URL parameters): temporary names never hold one.
    return dest.name.encode("utf-8")[:_TEMP_NAME_BYTES].decode("utf-8", errors="ignore").replace(";", "_")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep_stale(dest: Path) -> None:
    """Remove temporary files of ``dest`` left by killed runs (their process is gone)."""
    stem = _temp_stem(dest)
    try:
        siblings = list(dest.parent.iterdir())
    except OSError:
        return
    for entry in siblings:
        match = _TEMP.match(entry.name)
        if not match or match["stem"] != stem or _alive(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); return ``False`` where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0


_INPUTS: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar("gis_inputs", default=None)


@contextlib.contextmanager
def protect_inputs() -> Iterator[set[str]]:
    """Within the block, refuse to write over any file read in it (the command line runs every command so).

    Every file :func:`read_vector` reads (with a Shapefile's sidecar files) is
    remembered; :func:`atomic_path` then refuses a destination that is one of
    them, so ``--overwrite`` can never destroy a command's own input.
    """
    token = _INPUTS.set(set())
    try:
        yield _INPUTS.get()
    finally:
        _INPUTS.reset(token)


def note_input(path: str | os.PathLike[str]) -> None:
    """Remember ``path`` (and, for a Shapefile, its sidecar files) as an input of the running command."""
    inputs = _INPUTS.get()
    if inputs is None:
        return
    path = Path(path)
    with contextlib.suppress(OSError):
        inputs.add(os.path.realpath(path))
        if path.suffix.lower() == ".shp" and path.parent.is_dir():
            stem = path.stem.lower()
            inputs.update(os.path.realpath(p) for p in path.parent.iterdir() if p.stem.lower() == stem)


def check_not_input(dest: Path) -> None:
    """Raise :class:`InputError` if ``dest`` is a file the running command has read."""
    inputs = _INPUTS.get()
    if inputs and os.path.realpath(dest) in inputs:
        raise InputError(f"{dest} is an input of this command; write the output to another file")


def refuse_existing(dest: Path, overwrite: bool) -> None:
    """Raise :class:`InputError` if ``dest`` exists and ``overwrite`` is false, or if it is an input."""
    check_not_input(dest)
    if (dest.exists() or dest.is_symlink()) and not overwrite:
        raise InputError(f"{dest} exists; pass `overwrite=True` to replace it")


def _write_failure(dest: Path, exc: BaseException) -> WriteError:
    reason = getattr(exc, "strerror", None) or _first_line(exc)
    return WriteError(f"{dest}: cannot write it: {reason}; the previous file, if any, is left as it was")


_WRITE_ERRORS = (OSError, sqlite3.Error, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError)


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike[str], *, overwrite: bool = False, directory: bool = False
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place when the block succeeds.

    The one write primitive under every output of the toolkit: a file (or, with
    ``directory=True``, a folder) is written under a temporary name in the
    destination's folder and renamed over the destination only when complete,
    so that an interrupted run leaves the previous output whole. A folder
    replaces an existing one in one atomic exchange where the system offers it.
    Temporary names are short (a 255-byte destination name still works) and
    carry the process id, so that leftovers of killed runs are swept away by the
    next write of the same destination.

    Parameters
    ----------
    path : path-like
        The destination.
    overwrite : bool
        Replace an existing destination; otherwise refuse with :class:`InputError`.
    directory : bool
        Yield a (created) folder instead of a file path (which does not exist yet).

    Yields
    ------
    Path
        The temporary path; removed if the block raises.
    """
    dest = Path(path)
    refuse_existing(dest, overwrite)
    if directory and dest.exists() and not dest.is_dir():
        raise InputError(f"{dest} exists and is not a folder")
    dest.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale(dest)
    tmp = dest.parent / _temporary_name(dest)
    try:
        if directory:
            tmp.mkdir()
        try:
            yield tmp
        except GisError:
            raise
        except _WRITE_ERRORS as exc:
            raise _write_failure(dest, exc) from None
        if directory:
            if dest.exists():
                if _exchange(tmp, dest):
                    shutil.rmtree(tmp, ignore_errors=True)
                else:
                    old = dest.parent / _temporary_name(dest)
                    os.replace(dest, old)
                    os.replace(tmp, dest)
                    shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, dest)
        else:
            if not tmp.exists():
                raise InputError(f"{dest}: nothing was written")
            with contextlib.suppress(OSError):
                os.chmod(tmp, _file_mode(dest))
            os.replace(tmp, dest)
    except GisError:
        raise
    except OSError as exc:
        raise _write_failure(dest, exc) from None
    finally:
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists() or tmp.is_symlink():
            with contextlib.suppress(OSError):
                tmp.unlink()


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, overwrite: bool = True, mode: str = "w") -> Iterator:
    """Open a temporary file beside ``path`` and rename it into place on success (see :func:`atomic_path`).

    Parameters
    ----------
    path : path-like
        The destination.
    overwrite : bool
        If ``False`` and ``path`` exists, raise instead of replacing it.
    mode : str
        ``"w"`` for text (UTF-8), ``"wb"`` for bytes.

    Yields
    ------
    file object
        The temporary file; on an exception it is removed and ``path`` is untouched.
    """
    with atomic_path(path, overwrite=overwrite) as tmp:
        encoding = None if "b" in mode else "utf-8"
        newline = None if "b" in mode else "\n"
        with open(tmp, mode, encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())


def _file_mode(dest: Path) -> int:
    """Keep an existing file's mode; give a new one the mode the umask allows."""
    if dest.exists():
        return dest.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _round_coords(obj, precision: int):
    if isinstance(obj, float):
        value = round(obj, precision)
        return 0.0 if value == 0 else value
    if isinstance(obj, list | tuple):
        return [_round_coords(v, precision) for v in obj]
    return obj


def _json_value(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return None
        as_float = float(value)
        return int(as_float) if as_float.is_integer() and abs(as_float) < 2**53 else as_float
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def geojson_text(gdf: gpd.GeoDataFrame, *, name: str, precision: int = 6, extra: dict | None = None) -> str:
    """Serialise a layer as GeoJSON that diffs well.

    One property per line, one ring per line, lon/lat rounded to ``precision``
    decimals, keys in column order; the result is EPSG:4326 (RFC 7946).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer (any CRS; reprojected to EPSG:4326).
    name : str
        The layer name written at the top of the file.
    precision : int
        Decimal places of coordinates.
    extra : dict, optional
        More top-level members (e.g. a ``metadata`` object).

    Returns
    -------
    str
        The GeoJSON text, ending in a newline.
    """
    if gdf.crs is None:
        raise CRSError(f"layer {name} has no CRS")
    gdf = gdf.to_crs(LAYER_CRS)
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    lines = ["{", '"type": "FeatureCollection",', f'"name": {json.dumps(name, ensure_ascii=False)},']
    for key, value in (extra or {}).items():
        lines.append(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False, sort_keys=False)},")
    lines.append('"features": [')
    features = []
    for row, geom in zip(gdf[columns].itertuples(index=False), gdf.geometry, strict=True):
        props = ",\n".join(
            f"  {json.dumps(col, ensure_ascii=False)}: "
            f"{json.dumps(_json_value(val), ensure_ascii=False)}"
            for col, val in zip(columns, row, strict=True)
        )
        geo = shapely.geometry.mapping(geom) if geom is not None else None
        geom_text = "null"
        if geo is not None:
            coords = _round_coords(geo["coordinates"], precision)
            if geo["type"] == "Polygon":
                body = ",\n    ".join(json.dumps(ring) for ring in coords)
                geom_text = f'{{"type": "Polygon", "coordinates": [\n    {body}]}}'
            elif geo["type"] == "MultiPolygon":
                body = ",\n    ".join(json.dumps(poly) for poly in coords)
                geom_text = f'{{"type": "MultiPolygon", "coordinates": [\n    {body}]}}'
            else:
                geom_text = json.dumps({"type": geo["type"], "coordinates": coords})
        features.append(
            '{"type": "Feature",\n "properties": {\n' + props + "\n },\n \"geometry\": " + geom_text + "}"
        )
    lines.append(",\n".join(features))
    lines.append("]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_geojson(gdf: gpd.GeoDataFrame, path: str | os.PathLike[str], *, name: str, precision: int = 6,
                  extra: dict | None = None, overwrite: bool = True) -> Path:
    """Write a layer as diff-friendly GeoJSON through :func:`atomic_write`.

    Returns
    -------
    Path
        The written file.
    """
    text = geojson_text(gdf, name=name, precision=precision, extra=extra)
    with atomic_write(path, overwrite=overwrite) as handle:
        handle.write(text)
    return Path(path)

"""PostGIS as a layer store: read any table or query, write layers in one transaction.

A SOURCE that starts with ``postgresql://`` (or ``postgres://``) is read from
PostGIS, as a table (``layer``) or a query (``sql``); the CRS comes from the
geometries' SRID. :func:`write_postgis` writes a layer into a new table inside
one transaction — create, fill, replace the old table, index — so a write that
fails halfway leaves the table as it was. Credentials come from the URL or the
standard ``PG*`` environment variables (libpq reads ``PGPASSWORD``, ``PGUSER``,
``PGHOST``…); messages never show the password.
"""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from gis.errors import DataSourceError, InputError
from gis.io import SourceInfo

PREFIXES = ("postgresql://", "postgres://")
#: Seconds a query given to read a source may run before the server cancels it.
STATEMENT_TIMEOUT_S = 300
_GEOMETRY_NAMES = ("geom", "geometry", "the_geom", "wkb_geometry", "shape")


def is_postgis(source: object) -> bool:
    """Return whether a SOURCE names a PostgreSQL database (``postgresql://`` or a driver-qualified URL)."""
    return isinstance(source, str) and re.match(r"^postgres(ql)?(\+\w+)?://", source) is not None


def safe_url(url: str) -> str:
    """Return the URL with any password replaced by ``***``.

    Examples
    --------
    >>> safe_url("postgresql://planner:s3cret@db/gis")
    'postgresql://planner:***@db/gis'
    """
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


def check_url(url: str) -> str:
    """Return a libpq URL for ``url``, or raise one line naming what is wrong with it (never the password)."""
    import psycopg

    if not url.startswith(PREFIXES):
        scheme = url.split("://", 1)[0]
        raise InputError(f"{safe_url(url)}: {scheme}:// is not a database URL this toolkit reads; "
                         "write postgresql://user@host:port/database")
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise InputError(f"{safe_url(url)}: not a valid database URL ({_first(exc)})") from None
    port = str(params.get("port") or "5432")
    if not all(p.isdigit() and 0 < int(p) < 65536 for p in port.split(",")):
        raise InputError(f"{safe_url(url)}: the port {port!r} is not a number from 1 to 65535")
    return url


def _first(exc: BaseException) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    text = (primary or str(exc)).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return re.sub(r"password\s*=\s*\S+", "password=***", first, flags=re.IGNORECASE)


def _engine(url: str):
    from sqlalchemy import create_engine
    from sqlalchemy.exc import ArgumentError

    check_url(url)
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    try:
        return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), pool_pre_ping=True)
    except (ArgumentError, ValueError) as exc:
        raise InputError(f"{safe_url(url)}: not a valid database URL ({_first(exc)})") from None


def _fail(url: str, exc: BaseException) -> DataSourceError:
    first = _first(getattr(exc, "orig", None) or exc).replace(url, safe_url(url))
    return DataSourceError(f"{safe_url(url)}: {first}")


def quote_ident(name: str) -> str:
    """Quote one SQL identifier (any text, Chinese included), doubling embedded quotes.

    Examples
    --------
    >>> quote_ident('地块'), quote_ident('a"b')
    ('"地块"', '"a""b"')
    """
    if not name or "\x00" in name:
        raise InputError(f"{name!r} is not a table or column name")
    return '"' + name.replace('"', '""') + '"'


def _ident(name: str, what: str = "table") -> str:
    """Quote a table name, optionally ``schema.table``."""
    parts = name.split(".", 1) if "." in name and not name.startswith('"') else [name]
    return ".".join(quote_ident(p) for p in parts)


def _read_only(url: str, timeout: float):
    """Open a read-only session on ``url`` whose statements the server cancels after ``timeout`` seconds."""
    import psycopg

    options = f"-c default_transaction_read_only=on -c statement_timeout={int(timeout * 1000)}"
    conn = psycopg.connect(url, connect_timeout=10, options=options, autocommit=False)
    conn.read_only = True
    return conn


def table_is_empty(url: str, layer: str, *, timeout: float = STATEMENT_TIMEOUT_S) -> bool | None:
    """Return whether the table ``layer`` holds no rows at all; ``None`` if the server does not say (read only).

    Examples
    --------
    >>> table_is_empty("postgresql://nobody@127.0.0.1:1/none", "t", timeout=1) is None  # no server there
    True
    """
    import psycopg

    check_url(url)
    try:
        with _read_only(url, timeout) as conn:
            (exists,) = conn.execute(f"SELECT EXISTS (SELECT 1 FROM {_ident(layer)})").fetchone()
            conn.rollback()
    except psycopg.Error:
        return None
    return not exists


def read_postgis(url: str, *, layer: str | None = None, sql: str | None = None,
                 timeout: float = STATEMENT_TIMEOUT_S,
                 bbox: tuple[float, float, float, float] | None = None) -> tuple[gpd.GeoDataFrame, SourceInfo]:
    """Read a table (``layer``) or a query (``sql``) from PostGIS, never writing to it.

    The query runs in a read-only session (``default_transaction_read_only``
    and a read-only transaction), as one statement only (it is prepared, so a
    text holding several statements is refused by the server), and is cancelled
    after ``timeout`` seconds. The geometry column is the first of ``geom``,
    ``geometry``, ``the_geom``, ``wkb_geometry``, ``shape``, or any PostGIS
    ``geometry`` column; the CRS comes from its SRID.

    Parameters
    ----------
    url : str
        ``postgresql://user@host:port/database`` (credentials also from ``PG*`` variables).
    layer : str, optional
        A table (``schema.table`` allowed; any name, quoted as an identifier).
    sql : str, optional
        One ``SELECT`` (or ``WITH … SELECT``) statement.
    timeout : float
        Seconds before the server cancels the query.
    bbox : tuple of float or array of boxes, optional
        ``(minlon, minlat, maxlon, maxlat)``, or an ``(n, 4)`` array of boxes: with ``layer``, read only
        the rows whose geometry's box meets one (the GiST index answers); with ``sql``, the rows are
        filtered after reading.

    Returns
    -------
    tuple
        The GeoDataFrame and a :class:`~gis.io.SourceInfo`.

    Raises
    ------
    DataSourceError
        One line, without the query text or the password: the server's reason.
    """
    import psycopg

    if (layer is None) == (sql is None):
        raise InputError(f"{safe_url(url)}: say what to read, with `layer` (a table) or `sql` (a query)")
    if not isinstance(timeout, int | float) or not timeout > 0:
        raise InputError(f"`timeout` must be a positive number of seconds, got {timeout!r}")
    check_url(url)
    try:
        with _read_only(url, timeout) as conn:
            geometry_oids = {row[0] for row in conn.execute(
                "SELECT oid FROM pg_type WHERE typname IN ('geometry', 'geography')").fetchall()}
            query, params = (sql, None) if sql is not None else (f"SELECT * FROM {_ident(layer)}", None)
            # The table's declared column and SRID: its CRS even when no row comes back (none near the boxes).
            declared = _geometry_column(conn, layer) if layer is not None else None
            if declared is not None and bbox is not None:
                query, params = _where_boxes(layer, declared, bbox)
            with conn.cursor() as cur:
                cur.execute(query, params, prepare=True)  # prepared: one statement only
                if cur.description is None:
                    raise InputError(f"{safe_url(url)}: the query returns no rows (give one SELECT statement)")
                names = [d.name for d in cur.description]
                kinds = [d.type_code for d in cur.description]
                rows = cur.fetchall()
            conn.rollback()
    except InputError:
        raise
    except psycopg.Error as exc:
        raise _fail(url, exc) from None
    geom_col = next((n for n in _GEOMETRY_NAMES if n in names), None)
    if geom_col is None:
        geom_col = next((n for n, k in zip(names, kinds, strict=True) if k in geometry_oids), None)
    if geom_col is None:
        raise InputError(f"{safe_url(url)}: the result has no geometry column (geom, geometry, the_geom)")
    frame = pd.DataFrame.from_records(rows, columns=names)
    if layer is not None and "gid" in frame.columns:
        frame = frame.sort_values("gid", kind="stable").reset_index(drop=True)  # the order it was written in
    raw = frame.pop(geom_col)
    geoms = shapely.from_wkb([None if v is None else (bytes.fromhex(v) if isinstance(v, str) else bytes(v))
                              for v in raw])
    srids = {int(shapely.get_srid(g)) for g in geoms if g is not None} - {0}
    if len(srids) > 1:
        raise DataSourceError(f"{safe_url(url)}: the geometries have several SRIDs ({sorted(srids)})")
    for col in frame.columns:
        if frame[col].map(lambda v: isinstance(v, Decimal)).any():
            frame[col] = frame[col].map(lambda v: float(v) if isinstance(v, Decimal) else v)
    if not srids and declared is not None and declared[1] > 0:
        srids = {declared[1]}
    gdf = gpd.GeoDataFrame(frame, geometry=geoms, crs=f"EPSG:{srids.pop()}" if srids else None)
    if bbox is not None and sql is not None and gdf.crs is not None and len(gdf):
        from gis.window import as_boxes

        hits = gdf.to_crs("EPSG:4326").sindex.query(shapely.box(*as_boxes(bbox).T), predicate="intersects")[1]
        gdf = gdf.iloc[np.unique(hits)].reset_index(drop=True)
    return gdf, SourceInfo(name=layer or "query", layer=layer)


def _where_boxes(layer: str, column: tuple[str, int], bbox) -> tuple[str, list]:
    """Return a query of the rows of ``layer`` whose geometry's box meets one of the boxes (GiST answers)."""
    from gis.window import as_boxes

    name, srid = column
    boxes = as_boxes(bbox)
    envelope = "ST_MakeEnvelope(b.x0, b.y0, b.x1, b.y1, 4326)"
    if srid and srid != 4326:
        envelope = f"ST_Transform({envelope}, {int(srid)})"
    elif not srid:
        envelope = "ST_MakeEnvelope(b.x0, b.y0, b.x1, b.y1)"
    table = _ident(layer).replace("%", "%%")
    geom = quote_ident(name).replace("%", "%%")
    query = (f"SELECT * FROM {table} WHERE ctid IN (SELECT t.ctid FROM unnest(%s::float8[], %s::float8[], "
             f"%s::float8[], %s::float8[]) AS b(x0, y0, x1, y1) JOIN {table} AS t ON t.{geom} && {envelope})")
    return query, [boxes[:, k].tolist() for k in range(4)]


def _geometry_column(conn, layer: str) -> tuple[str, int] | None:
    """Return the geometry column and SRID of a table, from PostGIS's ``geometry_columns``."""
    schema, _, table = layer.rpartition(".")
    rows = conn.execute(
        "SELECT f_geometry_column, srid FROM geometry_columns WHERE f_table_name = %s"
        + (" AND f_table_schema = %s" if schema else ""), [table, schema] if schema else [table]).fetchall()
    return (rows[0][0], int(rows[0][1])) if rows else None


def _column_type(series: pd.Series) -> str:
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind in ("integer",):
        return "bigint"
    if kind in ("floating", "mixed-integer-float", "decimal"):
        return "double precision"
    if kind == "boolean":
        return "boolean"
    return "text"


def _value(value):
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def write_postgis(gdf: gpd.GeoDataFrame | pd.DataFrame, url: str, table: str, *, srid: int = 4326) -> int:
    """Write a layer (or a result table without geometry) to PostGIS in one transaction; return the rows written.

    The layer goes into a fresh table which, once filled, replaces ``table``
    and gets a GiST index on ``geom`` (SRID ``srid``: 4326 or 4490), all inside
    one transaction: if anything fails, ``table`` is left exactly as it was.
    """
    from sqlalchemy import exc as sa_exc
    from sqlalchemy import text

    target = _ident(table)
    plain = table.split(".")[-1]
    staging = _ident(f"{table}__gis_new")
    spatial = isinstance(gdf, gpd.GeoDataFrame)
    if spatial and gdf.crs is None:
        raise InputError(f"the layer for {table} has no CRS")
    data = gdf.to_crs(srid) if spatial else gdf
    columns = [c for c in data.columns if not (spatial and c == data.geometry.name)]
    defs = ", ".join(f"{quote_ident(str(c))} {_column_type(data[c])}" for c in columns)
    quoted = ", ".join(quote_ident(str(c)) for c in columns)
    params = ", ".join(f":c{i}" for i in range(len(columns)))
    if spatial:
        geom_def = f"{', ' if defs else ''}geom geometry(Geometry, {int(srid)})"
        insert = text(f"INSERT INTO {staging} ({quoted}{', ' if columns else ''}geom) VALUES "
                      f"({params}{', ' if columns else ''}ST_SetSRID(ST_GeomFromWKB(:geom), {int(srid)}))")
        geoms = shapely.to_wkb(data.geometry.values, hex=False)
    else:
        geom_def = ""
        insert = text(f"INSERT INTO {staging} ({quoted}) VALUES ({params})")
        geoms = [None] * len(data)
    rows = [
        {**{f"c{i}": _value(v) for i, v in enumerate(values)}, **({"geom": g} if spatial else {})}
        for values, g in zip(data[columns].itertuples(index=False, name=None), geoms, strict=True)
    ]
    engine = _engine(url)
    try:
        with engine.begin() as conn:  # one transaction: all of it, or nothing
            conn.execute(text(f"DROP TABLE IF EXISTS {staging}"))
            conn.execute(text(f"CREATE TABLE {staging} (gid serial PRIMARY KEY{', ' if defs else ''}{defs}"
                              f"{geom_def})"))
            if rows:
                conn.execute(insert, rows)
            conn.execute(text(f"DROP TABLE IF EXISTS {target}"))
            conn.execute(text(f"ALTER TABLE {staging} RENAME TO {quote_ident(plain)}"))
            if spatial:
                conn.execute(text(f"CREATE INDEX {quote_ident(plain + '_geom_gist')} ON {target} USING GIST (geom)"))
    except sa_exc.SQLAlchemyError as exc:
        raise _fail(url, exc) from None
    finally:
        engine.dispose()
    return len(rows)

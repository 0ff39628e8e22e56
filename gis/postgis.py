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

import pandas as pd

import geopandas as gpd
import shapely

from gis.errors import DataSourceError, InputError
from gis.io import SourceInfo

PREFIXES = ("postgresql://", "postgres://", "postgresql+psycopg2://")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_postgis(source: object) -> bool:
    """Return whether a SOURCE names a PostGIS database."""
    return isinstance(source, str) and source.startswith(PREFIXES)


def safe_url(url: str) -> str:
    """Return the URL with any password replaced by ``***``."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _engine(url: str):
    from sqlalchemy import create_engine

    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return create_engine(url, pool_pre_ping=True)


def _fail(url: str, exc: BaseException) -> DataSourceError:
    text = str(getattr(exc, "orig", exc) or exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    first = first.replace(url, safe_url(url))
    first = re.sub(r'password[^,;]*', "password ***", first, flags=re.IGNORECASE) if "password=" in first else first
    return DataSourceError(f"{safe_url(url)}: {first}")


def _ident(name: str, what: str) -> str:
    parts = name.split(".")
    if not 1 <= len(parts) <= 2 or not all(_IDENT.match(p) for p in parts):
        raise InputError(f"{what} {name!r} is not a plain table name (letters, digits, _; optionally schema.table)")
    return ".".join(f'"{p}"' for p in parts)


def read_postgis(url: str, *, layer: str | None = None, sql: str | None = None) -> tuple[gpd.GeoDataFrame, SourceInfo]:
    """Read a table (``layer``) or a query (``sql``) from PostGIS.

    Returns
    -------
    tuple
        The GeoDataFrame (CRS from the SRID) and a :class:`~gis.io.SourceInfo`.
    """
    from sqlalchemy import exc as sa_exc
    from sqlalchemy import text

    if (layer is None) == (sql is None):
        raise InputError(f"{safe_url(url)}: say what to read, with `layer` (a table) or `sql` (a query)")
    query = sql or f"SELECT * FROM {_ident(layer, 'layer')}"
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            columns = conn.execute(text(f"SELECT * FROM ({query}) AS q LIMIT 0"))
            names = list(columns.keys())
            if sql is None and "gid" in names:
                query += " ORDER BY gid"  # the order the layer was written in
            geom_col = next((n for n in ("geom", "geometry", "the_geom", "wkb_geometry") if n in names), None)
            if geom_col is None:
                raise InputError(f"{safe_url(url)}: the result has no geometry column (geom, geometry, the_geom)")
            gdf = gpd.read_postgis(text(query), conn, geom_col=geom_col)
    except InputError:
        raise
    except sa_exc.SQLAlchemyError as exc:
        raise _fail(url, exc) from None
    finally:
        engine.dispose()
    if geom_col != "geometry":
        gdf = gdf.rename_geometry("geometry")
    return gdf, SourceInfo(name=layer or "query", layer=layer)


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

    target = _ident(table, "table")
    plain = table.split(".")[-1]
    staging = _ident(f"{table}__gis_new", "table")
    spatial = isinstance(gdf, gpd.GeoDataFrame)
    if spatial and gdf.crs is None:
        raise InputError(f"the layer for {table} has no CRS")
    data = gdf.to_crs(srid) if spatial else gdf
    columns = [c for c in data.columns if not (spatial and c == data.geometry.name)]
    defs = ", ".join(f'"{c}" {_column_type(data[c])}' for c in columns)
    quoted = ", ".join(f'"{c}"' for c in columns)
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
            conn.execute(text(f'ALTER TABLE {staging} RENAME TO "{plain}"'))
            if spatial:
                conn.execute(text(f'CREATE INDEX "{plain}_geom_gist" ON {target} USING GIST (geom)'))
    except sa_exc.SQLAlchemyError as exc:
        raise _fail(url, exc) from None
    finally:
        engine.dispose()
    return len(rows)

"""The planner's workbench in the browser: ``gis serve``.

A Starlette application (:mod:`gis.server.app`) on uvicorn that serves the plan
maps, the workbench page (:mod:`gis.server.page`) and a JSON API over the
toolkit's own functions (:mod:`gis.server.analysis`), with a store of saved
sites, accounts and an audit log (:mod:`gis.server.store`, :mod:`gis.server.auth`)
and OGC API – Features (:mod:`gis.server.ogc`).

:func:`create_app` builds the application for a :class:`ServerConfig`;
:func:`serve` runs it, refusing to bind beyond loopback without accounts.
"""

from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path

from gis.errors import InputError
from gis.server.app import ServerConfig, Workbench, build_app
from gis.server.store import open_store

__all__ = ["ServerConfig", "check_layers", "create_app", "is_loopback", "serve"]

_CONFIG_ENV = "GIS_SERVE_CONFIG"


def is_loopback(host: str) -> bool:
    """Return whether a bind address is loopback only.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0"), is_loopback("::1")
    (True, True, False, True)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def create_app(config: ServerConfig):
    """Return the workbench's ASGI application for ``config`` (the store is opened, created if new)."""
    if config.profile is not None:
        from gis.review import load_profile

        load_profile(config.profile)  # a bad profile stops the server before it starts
    return build_app(Workbench(config, open_store(config.data, config.store)))


def app_from_env():
    """Return the application for uvicorn's workers (``gis serve --workers N``); the config comes by environment."""
    raw = json.loads(os.environ[_CONFIG_ENV])
    config = ServerConfig(data=Path(raw["data"]), store=raw.get("store"),
                          profile=Path(raw["profile"]) if raw.get("profile") else None,
                          workers=int(raw.get("workers", 2)), secure_cookies=bool(raw.get("secure_cookies")),
                          max_upload_bytes=int(raw.get("max_upload_bytes")), public=bool(raw.get("public")),
                          layers=dict(raw.get("layers") or {}))
    return create_app(config)


def check_layers(layers: dict[str, str]) -> dict[str, str]:
    """Check ``--layer NAME=FILE`` before the server starts: a usable name, a file that opens and has a CRS.

    Returns the names and absolute paths. The tile worker reads the files themselves.

    Raises
    ------
    InputError
        With one line naming the name or file at fault.
    """
    from gis.server.tiling import check_layer_name

    out = {}
    for name, file in layers.items():
        check_layer_name(name)
        path = Path(file)
        if not path.exists():
            raise InputError(f"--layer {name}={file}: no such file")
        if path.suffix.lower() != ".parquet" and not path.is_dir():
            import pyogrio

            try:
                info = pyogrio.read_info(path)
            except Exception as exc:  # pyogrio raises several kinds for a file GDAL cannot open
                raise InputError(f"--layer {name}={file}: cannot be read ({str(exc).splitlines()[0]})") from None
            if not info.get("crs"):
                raise InputError(f"--layer {name}={file}: the file has no CRS (declare it with gis import first)")
        out[name] = str(path.resolve())
    return out


def serve(config: ServerConfig, *, host: str = "127.0.0.1", port: int = 8000, processes: int = 1,
          forwarded: bool = False) -> None:
    """Run the workbench with uvicorn until interrupted.

    Parameters
    ----------
    config : ServerConfig
        Data folder or PostgreSQL store, review profile, analysis workers.
    host, port : str, int
        Where to listen. Beyond loopback, the store must hold at least one account.
    processes : int
        uvicorn worker processes (each with its own analysis pool).
    forwarded : bool
        Trust ``X-Forwarded-For``/``-Proto`` from a reverse proxy on this machine.

    Raises
    ------
    InputError
        When asked to listen beyond loopback without accounts, or for a bad profile or store.
    """
    import uvicorn

    store = open_store(config.data, config.store)
    if not is_loopback(host) and not store.has_users():
        raise InputError(f"the workbench would listen on {host} with no accounts: create one first "
                         f"(gis user add NAME --data {config.data}) or listen on 127.0.0.1")
    if config.profile is not None:
        from gis.review import load_profile

        load_profile(config.profile)
    from gis.server.page import geoman_folder

    if geoman_folder() is None:
        raise InputError("the drawing tool (@geoman-io/leaflet-geoman-free, npm) is not installed: run the README's "
                         "npm line")
    from gis.server.page import TILES_PACKAGE, tiles_script

    if tiles_script() is None:
        raise InputError(f"the vector-tile layer ({TILES_PACKAGE}, npm) is not installed: run the README's npm line")
    layers = check_layers(config.layers)
    os.environ[_CONFIG_ENV] = json.dumps({"data": str(config.data), "store": config.store,
                                          "profile": str(config.profile) if config.profile else None,
                                          "workers": config.workers, "secure_cookies": config.secure_cookies,
                                          "max_upload_bytes": config.max_upload_bytes,
                                          "public": not is_loopback(host), "layers": layers})
    print(f"gis serve: http://{host if ':' not in host else f'[{host}]'}:{port}/ "
          f"(store: {store.description}; {'accounts' if store.has_users() else 'no accounts, loopback only'})",
          flush=True)
    uvicorn.run("gis.server:app_from_env", factory=True, host=host, port=port, workers=max(1, processes),
                log_level="warning", proxy_headers=forwarded, forwarded_allow_ips="127.0.0.1" if forwarded else None,
                server_header=False, timeout_graceful_shutdown=5)

"""The workbench's store: saved sites (项目库), accounts, login failures and the append-only audit log.

Two implementations of one interface (:class:`Store`):

* :class:`SQLiteStore` — a SQLite database ``gis-workbench.sqlite`` in the data
  folder (write-ahead log, one transaction per change, so a server killed in the
  middle of a save leaves either the old state or the new one);
* :class:`PostgresStore` — the same tables in PostgreSQL (``--store postgresql://…``),
  for several servers behind one proxy (the session secret is kept there too, so
  a session from one server is good on the others).

Sites keep their geometry as GeoJSON (EPSG:4326) and their last analysis as
JSON, with author and times. The audit log cannot be changed through the
store: it only appends, and the database refuses ``UPDATE`` and ``DELETE`` on it
(triggers). Passwords are never stored, only their scrypt hashes.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gis.errors import DataSourceError, InputError

#: The SQLite file in the data folder.
SQLITE_NAME = "gis-workbench.sqlite"


def now() -> str:
    """Return the current time, UTC, ISO 8601 to the second (as the store records it)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Site:
    """A saved site of the 项目库."""

    id: int
    name: str
    author: str
    created: str
    updated: str
    geometry: dict
    analysis: dict | None = None

    def as_dict(self, *, full: bool = True) -> dict:
        """JSON of the site; without ``geometry`` and ``analysis`` when not ``full``."""
        out = {"id": self.id, "name": self.name, "author": self.author, "created": self.created,
               "updated": self.updated}
        if full:
            out.update(geometry=self.geometry, analysis=self.analysis)
        return out


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS sites (
  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, author TEXT NOT NULL, created TEXT NOT NULL,
  updated TEXT NOT NULL, geometry TEXT NOT NULL, analysis TEXT);
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, password TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS login_failures (name TEXT NOT NULL, client TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS user_sessions (id TEXT PRIMARY KEY, name TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, user TEXT, action TEXT NOT NULL, target TEXT,
  result TEXT NOT NULL, detail TEXT);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

_POSTGRES_SCHEMA = """
CREATE TABLE IF NOT EXISTS gis_sites (
  id bigserial PRIMARY KEY, name text NOT NULL, author text NOT NULL, created text NOT NULL,
  updated text NOT NULL, geometry text NOT NULL, analysis text);
CREATE TABLE IF NOT EXISTS gis_users (name text PRIMARY KEY, password text NOT NULL, created text NOT NULL);
CREATE TABLE IF NOT EXISTS gis_secret (id integer PRIMARY KEY CHECK (id = 1), secret text NOT NULL);
CREATE TABLE IF NOT EXISTS gis_login_failures (name text NOT NULL, client text NOT NULL, at double precision NOT NULL);
CREATE TABLE IF NOT EXISTS gis_user_sessions (
  id text PRIMARY KEY, name text NOT NULL, created double precision NOT NULL);
CREATE TABLE IF NOT EXISTS gis_audit (
  id bigserial PRIMARY KEY, at text NOT NULL, "user" text, action text NOT NULL, target text, result text NOT NULL,
  detail text);
CREATE OR REPLACE FUNCTION gis_audit_append_only() RETURNS trigger AS $$
  BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS gis_audit_no_change ON gis_audit;
CREATE TRIGGER gis_audit_no_change BEFORE UPDATE OR DELETE ON gis_audit
  FOR EACH ROW EXECUTE FUNCTION gis_audit_append_only();
"""


class Store:
    """What the workbench keeps; see the module docstring. Implementations share the SQL below."""

    #: Table names (the PostgreSQL store prefixes them).
    sites_table = "sites"
    users_table = "users"
    sessions_table = "user_sessions"
    failures_table = "login_failures"
    audit_table = "audit"
    placeholder = "?"
    description = "store"

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:  # pragma: no cover - implemented by subclasses
        """Yield a cursor inside one transaction (committed at the end, rolled back on an error)."""
        raise NotImplementedError
        yield

    def _q(self, sql: str) -> str:
        return sql.replace("?", self.placeholder)

    # --- sites -----------------------------------------------------------------------------------------
    def add_site(self, name: str, author: str, geometry: dict, analysis: dict | None,
                 detail: dict | None = None) -> Site:
        """Save a new site and its audit entry (``save``, by ``author``) in one transaction; return the site."""
        stamp = now()
        with self.transaction() as cur:
            cur.execute(self._q(f"INSERT INTO {self.sites_table} (name, author, created, updated, geometry, analysis)"
                                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id"),
                        (name, author, stamp, stamp, json.dumps(geometry, ensure_ascii=False),
                         None if analysis is None else json.dumps(analysis, ensure_ascii=False)))
            ident = int(cur.fetchone()[0])
            self._append(cur, author, "save", f"site {ident}", "ok", {"name": name, **(detail or {})})
        return Site(ident, name, author, stamp, stamp, geometry, analysis)

    def sites(self) -> list[Site]:
        """Every saved site, newest first (without geometry and analysis)."""
        with self.transaction() as cur:
            cur.execute(f"SELECT id, name, author, created, updated FROM {self.sites_table} ORDER BY id DESC")
            return [Site(int(r[0]), r[1], r[2], r[3], r[4], {}) for r in cur.fetchall()]

    def site(self, ident: int) -> Site | None:
        """One saved site with its geometry and analysis, or ``None``."""
        with self.transaction() as cur:
            cur.execute(self._q(f"SELECT id, name, author, created, updated, geometry, analysis FROM "
                                f"{self.sites_table} WHERE id = ?"), (int(ident),))
            row = cur.fetchone()
        if row is None:
            return None
        return Site(int(row[0]), row[1], row[2], row[3], row[4], json.loads(row[5]),
                    None if row[6] is None else json.loads(row[6]))

    def rename_site(self, ident: int, name: str, user: str | None = None, detail: dict | None = None) -> Site | None:
        """Rename a site and audit it (``rename``) in one transaction; return it, or ``None`` if there is none."""
        with self.transaction() as cur:
            cur.execute(self._q(f"SELECT name FROM {self.sites_table} WHERE id = ?"), (int(ident),))
            row = cur.fetchone()
            if row is None:
                return None
            cur.execute(self._q(f"UPDATE {self.sites_table} SET name = ?, updated = ? WHERE id = ?"),
                        (name, now(), int(ident)))
            self._append(cur, user, "rename", f"site {ident}", "ok", {"from": row[0], "to": name, **(detail or {})})
        return self.site(ident)

    def delete_site(self, ident: int, user: str | None = None, detail: dict | None = None) -> bool:
        """Delete a site and audit it (``delete``) in one transaction; return whether there was one."""
        with self.transaction() as cur:
            cur.execute(self._q(f"SELECT name FROM {self.sites_table} WHERE id = ?"), (int(ident),))
            row = cur.fetchone()
            if row is None:
                return False
            cur.execute(self._q(f"DELETE FROM {self.sites_table} WHERE id = ?"), (int(ident),))
            self._append(cur, user, "delete", f"site {ident}", "ok", {"name": row[0], **(detail or {})})
            return True

    def all_site_features(self) -> list[dict]:
        """Every saved site as GeoJSON features (for OGC API – Features)."""
        with self.transaction() as cur:
            cur.execute(f"SELECT id, name, author, created, updated, geometry FROM {self.sites_table} ORDER BY id")
            rows = cur.fetchall()
        features = []
        for r in rows:
            collection = json.loads(r[5])
            geoms = [f.get("geometry") for f in collection.get("features", [])] if "features" in collection else [
                collection]
            geometry = geoms[0] if len(geoms) == 1 else {"type": "GeometryCollection", "geometries": geoms}
            features.append({"type": "Feature", "id": int(r[0]), "geometry": geometry,
                             "properties": {"id": int(r[0]), "name": r[1], "author": r[2], "created": r[3],
                                            "updated": r[4]}})
        return features

    def session_secret(self) -> bytes:  # pragma: no cover - implemented by subclasses
        """Return the secret that signs session cookies, the same for every worker and server of this store."""
        raise NotImplementedError

    # --- users --------------------------------------------------------------------------------------------
    def add_user(self, name: str, password_hash: str) -> None:
        """Create an account, or replace its password (which ends the account's sessions)."""
        with self.transaction() as cur:
            cur.execute(self._q(f"DELETE FROM {self.sessions_table} WHERE name = ?"), (name,))
            cur.execute(self._q(f"DELETE FROM {self.users_table} WHERE name = ?"), (name,))
            cur.execute(self._q(f"INSERT INTO {self.users_table} (name, password, created) VALUES (?, ?, ?)"),
                        (name, password_hash, now()))

    def remove_user(self, name: str) -> bool:
        """Remove an account and end its sessions; return whether there was one."""
        with self.transaction() as cur:
            cur.execute(self._q(f"DELETE FROM {self.sessions_table} WHERE name = ?"), (name,))
            cur.execute(self._q(f"DELETE FROM {self.users_table} WHERE name = ?"), (name,))
            return cur.rowcount > 0

    # --- login sessions (ended on the server at logout, account removal or a new password) -------------------
    def add_session(self, sid: str, name: str, at: float) -> None:
        """Remember a login session."""
        with self.transaction() as cur:
            cur.execute(self._q(f"INSERT INTO {self.sessions_table} (id, name, created) VALUES (?, ?, ?)"),
                        (sid, name, at))

    def session_user(self, sid: str, since: float) -> str | None:
        """Return the account of a live session started after ``since``, or ``None``."""
        with self.transaction() as cur:
            cur.execute(self._q(f"SELECT s.name FROM {self.sessions_table} s JOIN {self.users_table} u ON "
                                "u.name = s.name WHERE s.id = ? AND s.created >= ?"), (sid, since))
            row = cur.fetchone()
        return None if row is None else row[0]

    def end_session(self, sid: str, *, expired_before: float | None = None) -> None:
        """Forget a session (and, with ``expired_before``, every session started before then)."""
        with self.transaction() as cur:
            cur.execute(self._q(f"DELETE FROM {self.sessions_table} WHERE id = ?"), (sid,))
            if expired_before is not None:
                cur.execute(self._q(f"DELETE FROM {self.sessions_table} WHERE created < ?"), (expired_before,))

    def password_hash(self, name: str) -> str | None:
        """Return the stored hash of an account's password, or ``None``."""
        with self.transaction() as cur:
            cur.execute(self._q(f"SELECT password FROM {self.users_table} WHERE name = ?"), (name,))
            row = cur.fetchone()
        return None if row is None else row[0]

    def users(self) -> list[str]:
        """Return the account names."""
        with self.transaction() as cur:
            cur.execute(f"SELECT name FROM {self.users_table} ORDER BY name")
            return [r[0] for r in cur.fetchall()]

    def has_users(self) -> bool:
        """Whether any account exists (then every API call but health and login needs a session)."""
        with self.transaction() as cur:
            cur.execute(f"SELECT 1 FROM {self.users_table} LIMIT 1")
            return cur.fetchone() is not None

    # --- login failures (lockout, shared by every worker) ----------------------------------------------------
    def record_failure(self, name: str, client: str, at: float) -> None:
        """Remember a failed login."""
        with self.transaction() as cur:
            cur.execute(self._q(f"INSERT INTO {self.failures_table} (name, client, at) VALUES (?, ?, ?)"),
                        (name, client, at))

    def failures_since(self, name: str, client: str, since: float) -> tuple[int, int]:
        """Failed logins since ``since``: for this account, and from this client."""
        with self.transaction() as cur:
            cur.execute(self._q(f"SELECT count(CASE WHEN name = ? THEN 1 END), count(CASE WHEN client = ? THEN 1 END) "
                                f"FROM {self.failures_table} WHERE at >= ?"), (name, client, since))
            row = cur.fetchone()
            return int(row[0]), int(row[1])

    def clear_failures(self, name: str) -> None:
        """Forget the failed logins of an account (after a successful one)."""
        with self.transaction() as cur:
            cur.execute(self._q(f"DELETE FROM {self.failures_table} WHERE name = ?"), (name,))

    # --- audit ----------------------------------------------------------------------------------------------
    def _append(self, cur: Any, user: str | None, action: str, target: str | None, result: str,
                detail: dict | None) -> None:
        cur.execute(self._q(f'INSERT INTO {self.audit_table} (at, "user", action, target, result, detail) '
                            "VALUES (?, ?, ?, ?, ?, ?)"),
                    (now(), user, action, target, result,
                     None if detail is None else json.dumps(detail, ensure_ascii=False)))

    def audit(self, user: str | None, action: str, target: str | None, result: str, detail: dict | None = None) -> None:
        """Append one entry to the audit log (who, when, what, result)."""
        with self.transaction() as cur:
            self._append(cur, user, action, target, result, detail)

    def audit_log(self, limit: int | None = None) -> list[dict]:
        """Return the audit log, oldest first (the last ``limit`` entries when given)."""
        with self.transaction() as cur:
            sql = f'SELECT id, at, "user", action, target, result, detail FROM {self.audit_table} ORDER BY id'
            cur.execute(sql)
            rows = cur.fetchall()
        if limit is not None:
            rows = rows[-limit:]
        return [{"id": int(r[0]), "at": r[1], "user": r[2], "action": r[3], "target": r[4], "result": r[5],
                 "detail": None if r[6] is None else json.loads(r[6])} for r in rows]


class SQLiteStore(Store):
    """The embedded store: one SQLite file in the data folder (created, with the folder, when missing)."""

    description = "SQLite"

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{self.folder}: cannot create the data folder ({exc.strerror})") from None
        self.path = self.folder / SQLITE_NAME
        self._local = threading.local()
        try:
            self._connection().executescript(_SQLITE_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise DataSourceError(f"{self.path}: not a workbench store ({exc})") from None
        os.chmod(self.path, 0o600)

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        conn = self._connection()
        cur = conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            yield cur
            cur.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()

    def session_secret(self) -> bytes:
        """Return the session secret, kept in the data folder (mode 0600) beside the database."""
        from gis.server.auth import session_secret

        return session_secret(self.folder)

    def check(self) -> str:
        """SQLite's own integrity check (``ok`` when the file is consistent)."""
        with self.transaction() as cur:
            cur.execute("PRAGMA integrity_check")
            return str(cur.fetchone()[0])


class PostgresStore(Store):
    """The same tables in PostgreSQL (``gis_sites``, ``gis_users``, ``gis_login_failures``, ``gis_audit``)."""

    sites_table = "gis_sites"
    users_table = "gis_users"
    sessions_table = "gis_user_sessions"
    failures_table = "gis_login_failures"
    audit_table = "gis_audit"
    placeholder = "%s"
    description = "PostgreSQL"

    def __init__(self, url: str) -> None:
        import psycopg

        from gis.postgis import check_url, safe_url

        self.url = check_url(url)
        self.shown = safe_url(url)
        self._local = threading.local()
        try:
            with self.transaction() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(482911)")  # one server creates the tables at a time
                cur.execute(_POSTGRES_SCHEMA)
        except psycopg.Error as exc:
            raise DataSourceError(f"{self.shown}: {str(exc).strip().splitlines()[0]}") from None

    def session_secret(self) -> bytes:
        """Return the session secret, kept in the database so that every server behind the proxy shares it."""
        from gis.server.auth import new_secret

        with self.transaction() as cur:
            cur.execute("INSERT INTO gis_secret (id, secret) VALUES (1, %s) ON CONFLICT (id) DO NOTHING",
                        (new_secret(),))
            cur.execute("SELECT secret FROM gis_secret WHERE id = 1")
            return str(cur.fetchone()[0]).encode()

    def _connection(self):
        import psycopg

        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(self.url, connect_timeout=10)
            self._local.conn = conn
        return conn

    @contextlib.contextmanager
    def transaction(self):
        """One transaction: committed when the block ends, rolled back if it raises."""
        conn = self._connection()
        with conn.transaction(), conn.cursor() as cur:
            yield cur


def open_store(data: str | os.PathLike[str] | None, store: str | None = None) -> Store:
    """Open the store a server or command is told to use: PostgreSQL with ``store``, else SQLite in ``data``."""
    if store:
        from gis.postgis import is_postgis

        if not is_postgis(store):
            raise InputError(f"`store` {store!r} is not a postgresql:// URL")
        return PostgresStore(store)
    return SQLiteStore(data or "gis-data")

"""Accounts, sessions and CSRF protection of the workbench.

* Passwords are hashed with scrypt (``hashlib.scrypt``, a memory-hard KDF; a
  random salt each) and compared in constant time; only the hash is stored.
* A session is a signed cookie (``itsdangerous``, keyed by a secret the store
  keeps, shared by every worker): HttpOnly, SameSite=Strict, ``Secure`` behind
  HTTPS. It carries a CSRF token that every writing request must send back in
  the ``X-CSRF-Token`` header and, once logged in, the user and a session id the
  store keeps: logging out, removing the account or changing its password ends
  the session on the server, so a copied cookie is worth nothing afterwards.
* Failed logins are counted per account and per client in the store (so every
  worker sees them): each failure costs a delay; after :data:`LOCKOUT_FAILURES`
  within :data:`LOCKOUT_WINDOW_S` the account is locked out for that window, and
  a client that has failed :data:`CLIENT_LOCKOUT_FAILURES` times (guessing across
  accounts) is too — higher, because planners behind one proxy share an address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from gis.errors import InputError

#: scrypt parameters (N = 2^15, r = 8, p = 1: ~32 MB and ~50–100 ms a hash here).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
#: Failed logins within the window that lock an account or a client out.
LOCKOUT_FAILURES = 5
#: Failed logins from one client (any accounts) within the window that lock the client out.
CLIENT_LOCKOUT_FAILURES = 20
LOCKOUT_WINDOW_S = 15 * 60
#: Seconds a failed login waits before it answers (slows guessing, never blocks other requests).
FAILURE_DELAY_S = 1.0
#: How long a session lasts without being renewed.
SESSION_MAX_AGE_S = 12 * 3600
COOKIE = "gis_session"
SECRET_NAME = "session-secret"
_NAME_OK = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")


def check_user_name(name: str) -> str:
    """Return ``name`` if it can name an account (letters, digits, ``._-@``, or CJK; 1–64 characters)."""
    if not name or len(name) > 64 or not all(ch in _NAME_OK or "\u4e00" <= ch <= "\u9fff" for ch in name):
        raise InputError(f"account name {name!r}: use 1–64 letters, digits, . _ - @ or Chinese characters")
    return name


def hash_password(password: str) -> str:
    """Return the scrypt hash of a password, as ``scrypt$N$r$p$salt$hash`` (base64).

    Examples
    --------
    >>> h = hash_password("correct horse")
    >>> verify_password("correct horse", h), verify_password("wrong", h)
    (True, False)
    """
    if len(password) < 8:
        raise InputError("a password needs at least 8 characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            maxmem=128 * 1024**2, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Return whether ``password`` matches a stored hash (constant-time comparison)."""
    if not stored:
        # Same work as a real check, so that an unknown account does not answer faster.
        hashlib.scrypt(b"x", salt=b"0" * 16, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=128 * 1024**2, dklen=32)
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                  p=int(p), maxmem=128 * 1024**2, dklen=len(base64.b64decode(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, base64.b64decode(digest))


def session_secret(folder: str | os.PathLike[str]) -> bytes:
    """Return the session-signing secret of a data folder, creating it (mode 0600) the first time.

    The file appears whole or not at all (written aside, then linked into place),
    so workers starting together all read the one secret.
    """
    path = Path(folder) / SECRET_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f".{SECRET_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(new_secret())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(aside, path)
        except FileExistsError:
            pass  # another worker was first: use its secret
        finally:
            aside.unlink()
    return path.read_text().strip().encode()


def new_secret() -> str:
    """Return a new random session-signing secret."""
    return secrets.token_urlsafe(48)


@dataclass
class Session:
    """What a session cookie carries."""

    user: str | None
    csrf: str
    sid: str | None = None


class Sessions:
    """Signed session cookies: issue, read, and check the CSRF token of a request."""

    def __init__(self, secret: bytes, *, max_age: int = SESSION_MAX_AGE_S) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="gis-workbench-session")
        self.max_age = max_age

    def new(self, user: str | None = None) -> Session:
        """Return a fresh session: a new CSRF token and, for a user, a new session id (for the store to keep)."""
        return Session(user=user, csrf=secrets.token_urlsafe(24), sid=secrets.token_urlsafe(24) if user else None)

    def dump(self, session: Session) -> str:
        """Return the cookie value of a session."""
        return self._serializer.dumps({"u": session.user, "c": session.csrf, "s": session.sid})

    def load(self, value: str | None) -> Session | None:
        """Return the session a cookie value carries, or ``None`` if it is missing, forged or expired."""
        if not value:
            return None
        try:
            data = self._serializer.loads(value, max_age=self.max_age)
        except (BadSignature, SignatureExpired):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        user, sid = data.get("u"), data.get("s")
        if not isinstance(user, str) or not isinstance(sid, str):
            user = sid = None
        return Session(user=user, csrf=data["c"], sid=sid)

    @staticmethod
    def csrf_ok(session: Session | None, header: str | None) -> bool:
        """Whether a writing request's ``X-CSRF-Token`` header matches its session."""
        return bool(session and header and hmac.compare_digest(session.csrf, header))


def locked_out(store, name: str, client: str) -> bool:
    """Whether an account, or a client, has failed too often lately."""
    by_name, by_client = store.failures_since(name, client, time.time() - LOCKOUT_WINDOW_S)
    return by_name >= LOCKOUT_FAILURES or by_client >= CLIENT_LOCKOUT_FAILURES

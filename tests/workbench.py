"""A real workbench server for the tests: ``gis serve`` in a subprocess on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gis_command() -> str:
    return str(Path(sys.executable).with_name("gis"))


def add_user(data: Path, name: str, password: str) -> None:
    subprocess.run([gis_command(), "user", "add", name, "--data", str(data)], input=password + "\n", text=True,
                   capture_output=True, check=True, timeout=120)


class Server:
    """``gis serve`` started with :meth:`start` (waits until it answers), stopped with :meth:`stop`."""

    def __init__(self, data: Path, *, profile: Path | None = None, extra: list[str] | None = None) -> None:
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [gis_command(), "serve", "--port", str(self.port), "--data", str(data),
                     "--analysis-workers", "2", *(["--profile", str(profile)] if profile else []), *(extra or [])]
        self.proc: subprocess.Popen | None = None
        self.log = data.parent / f"serve-{self.port}.log"

    def start(self, timeout: float = 180) -> Server:
        self.data.mkdir(parents=True, exist_ok=True)
        handle = self.log.open("w")
        self.proc = subprocess.Popen(self.args, stdout=handle, stderr=subprocess.STDOUT, env={**os.environ},
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # wait on state: the server answers its health check
            if self.proc.poll() is not None:
                raise RuntimeError(f"gis serve ended: {self.log.read_text()}")
            try:
                if httpx.get(self.url + "/api/health", timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gis serve did not answer: {self.log.read_text()}")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=60)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    @contextlib.contextmanager
    def client(self) -> Iterator[httpx.Client]:
        """A client with a session: its CSRF token in ``client.headers``."""
        with httpx.Client(base_url=self.url, timeout=120) as client:
            client.headers["X-CSRF-Token"] = client.get("/api/session").json()["csrf_token"]
            yield client

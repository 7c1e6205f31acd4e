"""A real Codev server in a subprocess on a loopback port, for end-to-end and browser tests."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

SETUP_LINK = re.compile(r"(http://\S+/setup\?token=\S+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    data_dir: Path
    port: int
    env: dict[str, str] = field(default_factory=dict)
    preexec: Callable[[], None] | None = None
    """Run in the server's process before it starts (e.g. to lower its resource limits)."""
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)
    _drainer: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> None:
        env = {
            **os.environ,
            "CODEV_DATA_DIR": str(self.data_dir),
            "CODEV_HOST": "127.0.0.1",
            "CODEV_PORT": str(self.port),
            "CODEV_SECRET_KEY": "live-test-key",
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=self.preexec,
        )
        self._drainer = threading.Thread(target=self._drain, args=(self.process,), daemon=True)
        self._drainer.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited:\n" + "".join(self.output))
            try:
                if httpx.get(f"{self.url}/api/setup", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not start:\n" + "".join(self.output))

    def _drain(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.output.append(line)

    def setup_link(self) -> str:
        for line in self.output:
            if match := SETUP_LINK.search(line):
                return match.group(1)
        raise AssertionError("the server printed no setup link:\n" + "".join(self.output))

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close_pipe()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; what was acknowledged must survive this."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close_pipe()

    def _close_pipe(self) -> None:
        if self.process and self.process.stdout and self._drainer:
            self._drainer.join(timeout=5)
            self.process.stdout.close()


@contextmanager
def live_server(data_dir: Path, **env: str) -> Iterator[LiveServer]:
    server = LiveServer(data_dir=data_dir, port=free_port(), env=env)
    server.start()
    try:
        yield server
    finally:
        server.stop()

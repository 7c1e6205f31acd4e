"""Start the server under test (the real ``codev serve``, or the baseline relay) and watch it.

CPU and memory come from /proc: ``utime + stime`` ticks of ``/proc/PID/stat`` and ``VmRSS`` of
``/proc/PID/status``. A server can be pinned to CPU cores with ``taskset`` (inherited by every
thread it starts, aiosqlite's included).
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")


def raise_fd_limit() -> int:
    """Raise the soft open-files limit to the hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1_048_576
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by ``pid`` (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the ")" of comm: field 3 is state, so utime (14) and stime (15) are at 11 and 12.
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (``/proc/stat``)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / TICKS


@dataclass
class CpuMeter:
    """CPU % of a set of processes (or of the whole machine when ``pids`` is empty) between
    ``start()`` and ``stop()``, with a 1 s peak; 100 is one core."""

    pids: list[int]
    interval: float = 1.0
    samples: list[float] = field(default_factory=list)
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _t0: float = 0.0
    _c0: float = 0.0
    result: float | None = None

    def _total(self) -> float:
        if not self.pids:
            return machine_busy_seconds()
        total = 0.0
        for pid in self.pids:
            with contextlib.suppress(OSError):
                total += cpu_seconds(pid)
        return total

    def start(self) -> None:
        self._t0, self._c0 = time.monotonic(), self._total()
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        last_t, last_c = self._t0, self._c0
        while not self._stop.wait(self.interval):
            t, c = time.monotonic(), self._total()
            self.samples.append(100 * (c - last_c) / (t - last_t))
            last_t, last_c = t, c

    def stop(self) -> float:
        t, c = time.monotonic(), self._total()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.result = round(100 * (c - self._c0) / max(t - self._t0, 1e-9), 1)
        return self.result

    @property
    def peak(self) -> float | None:
        return round(max(self.samples), 1) if self.samples else None


@dataclass
class Server:
    """One server process on a loopback port; its output goes to ``log_path``."""

    name: str
    argv: list[str]
    port: int
    env: dict[str, str]
    log_path: Path
    cores: set[int] | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        argv = list(self.argv)
        if self.cores:
            argv = ["taskset", "-c", ",".join(map(str, sorted(self.cores))), *argv]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")  # noqa: SIM115 - kept open for the child's lifetime
        self.process = subprocess.Popen(
            argv, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(self.origin + "/", timeout=2) as response:
                    response.read()
                return
            except urllib.error.HTTPError:
                return  # it answers: up
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not start:\n{self.log_path.read_text()[-4000:]}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 60) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def codev_server(port: int, env: dict[str, str], log_path: Path, cores: set[int] | None) -> Server:
    """The real server, exactly as ``codev serve`` runs it."""
    argv = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return Server("codev", argv, port, env, log_path, cores)


def baseline_server(
    port: int, env: dict[str, str], log_path: Path, cores: set[int] | None
) -> Server:
    argv = [sys.executable, "-m", "bench.baseline", "--port", str(port)]
    return Server("baseline", argv, port, env, log_path, cores)

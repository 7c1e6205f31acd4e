"""Guessing secrets is slow and bounded: sign-in attempts are limited per account and per client
address (a successful one gives its attempt back, so only failures add up), and password hashes
run a few at a time on low-priority threads of their own, so that a flood of sign-ins cannot
starve the live meetings served by the same process.

The limits are this process's own: with several processes behind a load balancer an attacker
gets each process's allowance (see the README's scaling section).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, TypeVar

from fastapi import Depends
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.errors import error_body
from app.errors import AppError
from app.settings import Settings

T = TypeVar("T")

TOO_MANY = "too many failed attempts; wait a moment and try again"
GUARDED_PATHS = frozenset({"/api/auth/login", "/api/setup"})
"""The routes that attempt a secret (``Guard.attempt``)."""
MAX_KEYS = 100_000
"""Accounts and addresses remembered at most; beyond, the oldest are forgotten first."""


class RateLimited(AppError):
    """Raised when an account or an address failed too often: try again after ``retry_after``."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(max(1, math.ceil(retry_after)))}


class HashingBusy(AppError):
    """Raised when too many passwords are being checked at once for this one to wait its turn."""

    status = 503
    code = "busy"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": "1"}


class Attempts:
    """A token bucket per key: ``allowed`` attempts at once, refilled over ``window`` seconds.
    Spent before the attempt is made, so concurrent ones cannot overshoot; given back when it
    succeeds."""

    def __init__(self, allowed: int, window: float) -> None:
        self._allowed = allowed
        self._rate = allowed / window
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)
        self._next_sweep = 64

    def wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again; 0 if it may now."""
        tokens = self._tokens(key, now)
        return 0.0 if tokens >= 1 else (1 - tokens) / self._rate

    def spend(self, key: str, now: float, tokens: float = 1) -> None:
        left = max(-self._allowed, self._tokens(key, now) - tokens)  # a debt of one window
        self._buckets.pop(key, None)
        if left < self._allowed:  # a full bucket is the same as none
            self._buckets[key] = (left, now)  # re-inserted: dict order is least recently used
        if len(self._buckets) >= self._next_sweep:
            self._sweep(now)

    def give_back(self, key: str, now: float) -> None:
        self.spend(key, now, -1)

    def _tokens(self, key: str, now: float) -> float:
        tokens, when = self._buckets.get(key, (self._allowed, now))
        return min(self._allowed, tokens + (now - when) * self._rate)

    def _sweep(self, now: float) -> None:
        """Forget the keys that have refilled (the same as unknown ones), then the oldest."""
        kept = {k: v for k, v in self._buckets.items() if self._tokens(k, now) < self._allowed}
        while len(kept) > MAX_KEYS:
            del kept[next(iter(kept))]
        self._buckets = kept
        self._next_sweep = max(64, 2 * len(kept))


def client_address(connection: HTTPConnection) -> str:
    """The client's address as uvicorn resolved it: the TCP peer, or what a trusted proxy
    (``FORWARDED_ALLOW_IPS``) says it forwarded. IPv6 counts per /64: one host has them all."""
    host = connection.client.host if connection.client else ""
    with contextlib.suppress(ValueError):
        address = ipaddress.ip_address(host)
        if address.version == 6:
            return str(ipaddress.ip_network(f"{host}/64", strict=False))
    return host


def _lower_priority() -> None:
    """Hash threads yield the CPU to the event loop (nice 19; Linux sets it per thread, and
    argon2's own lane threads inherit it)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def _hashers(workers: int) -> ThreadPoolExecutor:
    """Not the default executor, which serves the rest of the app. (A process of their own
    would isolate them better, but its fork server outlives the server and holds its output.)"""
    return ThreadPoolExecutor(workers, "password-hash", initializer=_lower_priority)


class Guard:
    """The sign-in limits and the password-hash bound of one server process."""

    def __init__(self, settings: Settings) -> None:
        window = settings.login_window_seconds
        self.accounts = Attempts(settings.login_failures_per_account, window)
        self.addresses = Attempts(settings.login_failures_per_address, window)
        self._wait = settings.password_hash_wait
        self._rest = 1 / settings.password_hash_share - 1
        self._waiting = 0
        self._slots = asyncio.Semaphore(settings.password_hashes_at_once)
        self._workers = settings.password_hashes_at_once
        self._hashers = _hashers(self._workers)  # started at the first hash

    def attempt(self, *, address: str, account: str | None = None) -> None:
        """Count an attempt of the address (at the account), or raise ``RateLimited`` if they
        failed too often lately: before any work is done, so a refusal costs nothing."""
        now = time.monotonic()
        wait = self.addresses.wait(address, now)
        if account is not None:
            wait = max(wait, self.accounts.wait(account, now))
        if wait > 0:
            self.addresses.spend(address, now)  # hammering on keeps the address refused
            raise RateLimited(TOO_MANY, max(wait, self.addresses.wait(address, now)))
        self.addresses.spend(address, now)
        if account is not None:
            self.accounts.spend(account, now)

    def succeeded(self, *, address: str, account: str | None = None) -> None:
        """The attempt was right: it does not count against anyone."""
        now = time.monotonic()
        self.addresses.give_back(address, now)
        if account is not None:
            self.accounts.give_back(account, now)

    async def hash(self, fn: Callable[..., T], *args: str) -> T:
        """Run a password hash or check on the hash threads, waiting briefly for a slot.

        When others wait, a slot rests after each hash in proportion to how long it took, so
        that a flood of them takes at most their share of the time: argon2 is memory-hard
        (64 MiB, four lanes), and back to back it would crowd the caches and cores of live
        meetings even at the lowest priority. One sign-in after another never waits."""
        loop = asyncio.get_running_loop()
        self._waiting += 1
        try:
            await asyncio.wait_for(self._slots.acquire(), self._wait)
        except TimeoutError:
            raise HashingBusy("the server is busy checking passwords; try again") from None
        finally:
            self._waiting -= 1
        started = time.perf_counter()
        try:
            return await loop.run_in_executor(self._hashers, fn, *args)
        finally:
            rest = (time.perf_counter() - started) * self._rest if self._waiting else 0.0
            loop.call_later(rest, self._slots.release)

    def close(self) -> None:
        self._hashers.shutdown(wait=False, cancel_futures=True)


class RefuseBlockedAddresses:
    """Pure ASGI middleware: an attempt from an address that is refused anyway gets its 429
    before the app parses it, so a flood of them costs a small part of a request each."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in GUARDED_PATHS:
            guard: Guard | None = getattr(scope["app"].state, "guard", None)
            now = time.monotonic()
            address = client_address(HTTPConnection(scope))
            if guard is not None and guard.addresses.wait(address, now) > 0:
                guard.addresses.spend(address, now)
                retry = str(max(1, math.ceil(guard.addresses.wait(address, now))))
                body = error_body(RateLimited.code, TOO_MANY)
                response = JSONResponse(body, status_code=429, headers={"Retry-After": retry})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


THROTTLED: dict[int | str, dict[str, object]] = {
    429: {"description": "`rate_limited`: too many failed attempts; see `Retry-After`"},
    503: {"description": "`busy`: too many passwords being checked; see `Retry-After`"},
}
"""The answers of a route that attempts a secret, for its OpenAPI description."""


def get_guard(connection: HTTPConnection) -> Guard:
    guard: Guard = connection.app.state.guard
    return guard


GuardDep = Annotated[Guard, Depends(get_guard)]

"""``/livez`` (the process answers) and ``/readyz`` (it can serve: the database, and Redis when
configured, answer), for a load balancer, an orchestrator or Docker's ``HEALTHCHECK``."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import redis.asyncio as redis
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.api.errors import error_body
from app.services import Services

router = APIRouter(tags=["operations"])

TIMEOUT = 2.0
"""Seconds a dependency has to answer: a probe must answer before the prober gives up."""


@router.get("/livez")
async def livez() -> dict[str, str]:
    """The process answers. Checks nothing else, so a database outage does not get it killed."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(request: Request) -> dict[str, object] | JSONResponse:
    """200 when every dependency answers; 503 with the failing ones in ``details`` otherwise."""
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        return _not_ready([{"check": "server", "ok": False, "message": "starting"}])
    checks = [await _check("database", _database(services))]
    if services.settings.redis_url:
        checks.append(await _check("redis", _redis(services.settings.redis_url)))
    if not all(check["ok"] for check in checks):
        return _not_ready(checks)
    return {"status": "ready", "checks": checks}


async def _database(services: Services) -> None:
    async with services.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _redis(url: str) -> None:
    client: redis.Redis = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT)
    try:
        await client.ping()
    finally:
        await client.aclose()


async def _check(name: str, probe: Coroutine[Any, Any, None]) -> dict[str, object]:
    try:
        await asyncio.wait_for(probe, TIMEOUT)
    except TimeoutError:
        return {"check": name, "ok": False, "message": f"no answer within {TIMEOUT:g} s"}
    except Exception as exc:  # any failure means not ready; the kind says which
        return {"check": name, "ok": False, "message": type(exc).__name__}
    return {"check": name, "ok": True}


def _not_ready(checks: list[dict[str, object]]) -> JSONResponse:
    failing = ", ".join(str(check["check"]) for check in checks if not check["ok"])
    body = error_body("not_ready", f"not ready: {failing} not answering", details=checks)
    return JSONResponse(body, status_code=503)

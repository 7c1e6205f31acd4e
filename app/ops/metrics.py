"""``/metrics``: Prometheus text, off unless ``CODEV_METRICS_TOKEN`` is set, then for that token.

One registry per app (tests run several apps in one process). What grows on every event or every
socket (open sockets, the queue high-water, broker and gap counts) is kept by the hub and the
broker as plain numbers and read only when scraped; histograms are observed once per request,
command, publication or transaction, never once per socket.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_body
from app.realtime.broker import Listener, Publication

if TYPE_CHECKING:
    from app.services import Services

router = APIRouter(tags=["operations"])

FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Seconds: the write path and the fan-out are measured in milliseconds."""


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http = Histogram(
            "codev_http_request_duration_seconds",
            "HTTP requests by method, route template and status class.",
            ["method", "route", "status"],
            registry=r,
        )
        self.commands = Counter(
            "codev_commands",
            "Commands by type and outcome (ack, duplicate, or the error code).",
            ["type", "outcome"],
            registry=r,
        )
        self.ack = Histogram(
            "codev_ack_latency_seconds",
            "From a command's frame read to its answer queued (stored and published first).",
            buckets=FAST,
            registry=r,
        )
        self.fanout = Histogram(
            "codev_fanout_duration_seconds",
            "Time to hand one publication to every local socket of its meeting.",
            buckets=FAST,
            registry=r,
        )
        self.batch_size = Histogram(
            "codev_group_commit_batch_size",
            "Commits written in one group-commit transaction.",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=r,
        )
        self.batch_seconds = Histogram(
            "codev_group_commit_duration_seconds",
            "Time to write one group-commit transaction.",
            buckets=FAST,
            registry=r,
        )
        self._live = _Live()
        r.register(self._live)

    def watch(self, services: Services) -> None:
        """Read the hub's and the broker's own counts at each scrape."""
        self._live.services = services

    def command(self, kind: str, outcome: str, started: float) -> None:
        self.commands.labels(kind, outcome).inc()
        self.ack.observe(time.perf_counter() - started)

    def group_commit(self, size: int, seconds: float) -> None:
        self.batch_size.observe(size)
        self.batch_seconds.observe(seconds)

    def timed(self, listener: Listener) -> Listener:
        """``listener`` (the hub's fan-out), timed once per publication."""
        observe = self.fanout.observe

        def fan_out(publication: Publication) -> None:
            started = time.perf_counter()
            listener(publication)
            observe(time.perf_counter() - started)

        return fan_out


class _Live(Collector):
    """Gauges and counters read from the running services when scraped."""

    services: Services | None = None

    def describe(self) -> list[Metric]:
        return []  # its metrics exist only once the app runs

    def collect(self) -> Iterator[Metric]:
        services = self.services
        if services is None:
            return
        hub, broker = services.hub, services.broker
        meetings, sockets = hub.counts()
        yield GaugeMetricFamily("codev_open_sockets", "Open WebSockets here.", value=sockets)
        yield GaugeMetricFamily(
            "codev_live_meetings", "Meetings with a socket open here.", value=meetings
        )
        yield GaugeMetricFamily(
            "codev_socket_queue_high_water",
            "Most items ever queued for one socket here (a slow client shows here).",
            value=hub.queue_depth.high_water,
        )
        yield CounterMetricFamily(
            "codev_broker_publications", "Publications sent by this process.", broker.published
        )
        yield CounterMetricFamily(
            "codev_broker_reconnects", "Broker links lost and made again.", broker.reconnects
        )
        yield CounterMetricFamily(
            "codev_gaps_filled",
            "Sockets caught up from the log after a lost publication.",
            hub.gaps_filled,
        )


class HttpMetrics:
    """ASGI middleware: each HTTP request's duration by its route template (never its path,
    which may hold a token)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or ("static" if route else "unmatched")
            self.metrics.http.labels(scope["method"], template, f"{status // 100}xx").observe(
                time.perf_counter() - started
            )


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    token = request.app.state.services.settings.metrics_token
    if not token:
        return JSONResponse(error_body("not_found", "not found"), status_code=404)
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        body = error_body("not_authenticated", "send the metrics token as a bearer token")
        return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    registry: CollectorRegistry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

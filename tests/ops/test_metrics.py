"""``/metrics``: off by default, for its token only, and its figures follow a live meeting."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from app.settings import Settings
from tests.api.factories import browser
from tests.live import LiveServer, live_server
from tests.ops.helpers import ok, schedule

TOKEN = "metrics-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
Figures = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(tmp_path / "data", CODEV_METRICS_TOKEN=TOKEN) as running:
        yield running


def _scrape(server: LiveServer) -> Figures:
    response = httpx.get(f"{server.url}/metrics", headers=AUTH, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(figures: Figures, name: str, **labels: str) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.slow
async def test_a_scrape_during_a_live_meeting_shows_the_figures_move(server: LiveServer) -> None:
    scheduled = await asyncio.to_thread(schedule, server)
    meeting_id = scheduled.meeting("November meeting")
    scheduled.org.close()
    before = await asyncio.to_thread(_scrape, server)
    assert _value(before, "codev_open_sockets") == 0
    assert _value(before, "codev_live_meetings") == 0

    people = scheduled.people(server, meeting_id)
    for person in people.values():
        await person.connect()
    olivia, ana = people["Olivia"], people["Ana"]
    ok(await olivia.send("advance_stage", expected_stage="lobby"))
    ok(await ana.send("add_private_note", text="a note"))
    refused = await ana.send("advance_stage", expected_stage="presentation")
    assert refused["code"] == "forbidden"
    during = await asyncio.to_thread(_scrape, server)

    assert _value(during, "codev_open_sockets") == 4
    assert _value(during, "codev_live_meetings") == 1
    advance = _value(during, "codev_commands_total", type="advance_stage", outcome="ack")
    assert advance == 1
    assert _value(during, "codev_commands_total", type="add_private_note", outcome="ack") == 1
    assert _value(during, "codev_commands_total", type="advance_stage", outcome="forbidden") == 1
    assert _value(during, "codev_ack_latency_seconds_count") == 3
    assert _value(during, "codev_fanout_duration_seconds_count") >= 2
    assert _value(during, "codev_group_commit_batch_size_count") >= 2
    assert _value(during, "codev_group_commit_batch_size_sum") >= 2
    assert _value(during, "codev_group_commit_duration_seconds_count") >= 2
    assert _value(during, "codev_broker_publications_total") >= 2
    assert _value(during, "codev_socket_queue_high_water") >= 0
    assert _value(during, "codev_broker_reconnects_total") == 0
    assert _value(during, "codev_gaps_filled_total") == 0
    route = {"method": "POST", "route": "/api/groups/{group_id}/meetings", "status": "2xx"}
    assert _value(during, "codev_http_request_duration_seconds_count", **route) == 1
    invite = {"method": "GET", "route": "/invite/{token}", "status": "3xx"}
    assert _value(during, "codev_http_request_duration_seconds_count", **invite) == 3
    routes = {dict(labels).get("route") for _, labels in during} - {None}
    tokens = {link.rsplit("/", 1)[1] for link in scheduled.invites.values()}
    assert not any(token in str(route) for route in routes for token in tokens)

    for person in people.values():
        await person.close()
    for _ in range(100):  # the server sees the sockets close a moment later
        after = await asyncio.to_thread(_scrape, server)
        if _value(after, "codev_open_sockets") == 0:
            break
        await asyncio.sleep(0.05)
    assert _value(after, "codev_open_sockets") == 0
    assert _value(after, "codev_live_meetings") == 0


async def test_metrics_are_off_unless_a_token_is_set(tmp_path: Path) -> None:
    app = create_app(Settings(_env_file=None, data_dir=tmp_path, secret_key="k"))
    async with app.router.lifespan_context(app), browser(app) as client:
        response = await client.get("/metrics")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_metrics_answer_only_their_token(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, secret_key="k", metrics_token=TOKEN)
    app = create_app(settings)
    async with app.router.lifespan_context(app), browser(app) as client:
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await client.get("/metrics", headers=AUTH)
    assert missing.status_code == wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "not_authenticated"
    assert right.status_code == 200
    assert "codev_open_sockets 0.0" in right.text


async def test_two_apps_in_one_process_count_their_own_requests(tmp_path: Path) -> None:
    def app_in(path: Path) -> FastAPI:
        settings = Settings(_env_file=None, data_dir=path, secret_key="k", metrics_token=TOKEN)
        return create_app(settings)

    first, second = app_in(tmp_path / "a"), app_in(tmp_path / "b")
    async with (
        first.router.lifespan_context(first),
        second.router.lifespan_context(second),
        browser(first) as a,
        browser(second) as b,
    ):
        for _ in range(3):
            await a.get("/livez")
        await b.get("/livez")
        a_text = (await a.get("/metrics", headers=AUTH)).text
        b_text = (await b.get("/metrics", headers=AUTH)).text
    line = 'codev_http_request_duration_seconds_count{method="GET",route="/livez",status="2xx"}'
    assert f"{line} 3.0" in a_text
    assert f"{line} 1.0" in b_text
